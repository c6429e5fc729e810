/* SPDX-License-Identifier: MIT */
/* The built-in busybox image: an OCI image index of two one-layer images, linux/amd64 from
 * the host's busybox-static and linux/riscv64 from Debian's riscv64 busybox-static, which
 * guest/fetch-busybox.sh fetches once (mmdebstrap) into the guest cache for the VM's initrd.
 * Without that file the index has amd64 only, and says why in an annotation
 * (BUSYBOX_NOTE), which `berth image inspect busybox` shows. */
#include "image_priv.h"
#include "dlib.h"
#include "util.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef BERTH_GUEST_CACHE_DIR
#define BERTH_GUEST_CACHE_DIR "/var/cache/berth/guest"
#endif
#define BUSYBOX_RISCV64_FILE "busybox-riscv64-trixie"
#define BUSYBOX_NOTE         "org.berth.busybox.riscv64"
#define EM_RISCV_NUM         243

/* The riscv64 busybox's path: $BERTH_BUSYBOX_RISCV64 (empty: none), else the guest cache
 * ($BERTH_GUEST_CACHE, else the one set at build time) as fetch-busybox.sh names it. */
static char *busybox_riscv64_path(void)
{
	const char *p = getenv("BERTH_BUSYBOX_RISCV64");
	const char *cache = getenv("BERTH_GUEST_CACHE");

	if (p)
		return xstrdup(p);
	return xasprintf("%s/%s", cache && cache[0] ? cache : BERTH_GUEST_CACHE_DIR,
	                 BUSYBOX_RISCV64_FILE);
}

/* Busybox keeps its applet names sorted, NUL-separated, from "[" on: found in the binary
 * (it cannot be run here to ask for --list). A run of at least 10 names of [a-z0-9_.[-],
 * in strictly ascending order, ending with an empty name. Returns the names joined by
 * '\n', or NULL. */
static char *busybox_applets(const char *data, size_t len)
{
	static const char start[] = "[\0[[\0";
	const char *end = data + len;

	for (const char *p = data; p && p + sizeof(start) <= end;
	     p = memmem(p + 1, (size_t)(end - p - 1), start, sizeof(start) - 1)) {
		const char *q = p, *prev = NULL;
		size_t count = 0;
		char *out;
		if (memcmp(p, start, sizeof(start) - 1) != 0)
			continue;
		while (q < end && *q) {
			size_t n = strnlen(q, (size_t)(end - q));
			if (q + n >= end || n > 64 ||
			    strspn(q, "abcdefghijklmnopqrstuvwxyz0123456789_.-[") != n ||
			    (prev && strcmp(prev, q) >= 0))
				break;
			prev = q;
			q += n + 1;
			count++;
		}
		if (q >= end || *q || count < 10)
			continue;
		out = xmalloc0((size_t)(q - p) + 1);
		memcpy(out, p, (size_t)(q - p));
		for (char *c = out; c < out + (q - p) - 1; c++)
			if (*c == '\0')
				*c = '\n';
		return out;
	}
	return NULL;
}

/* The applets of the host's busybox, as it lists them. */
static char *busybox_list(const char *bb, berth_error_t *err)
{
	cleanup_free char *cmd = xasprintf("'%s' --list", bb);
	cleanup_close int fd = -1;
	char *list = NULL;
	size_t llen;
	FILE *p = popen(cmd, "r");

	if (p == NULL) {
		berth_error(err, errno, "%s --list", bb);
		return NULL;
	}
	fd = dup(fileno(p));
	if (fd < 0 || util_read_fd(fd, bb, &list, &llen, err) < 0) {
		if (fd < 0)
			berth_error(err, errno, "%s --list", bb);
		pclose(p);
		return NULL;
	}
	pclose(p);
	return list;
}

static int bb_entry(struct archive *a, const char *name, mode_t type, mode_t perm, const char *link,
                    const char *data, size_t len, berth_error_t *err)
{
	struct archive_entry *en = dlib_archive()->archive_entry_new();
	int r = 0;

	dlib_archive()->archive_entry_set_pathname(en, name);
	dlib_archive()->archive_entry_set_filetype(en, type);
	dlib_archive()->archive_entry_set_perm(en, perm);
	if (link)
		dlib_archive()->archive_entry_set_symlink(en, link);
	dlib_archive()->archive_entry_set_size(en, type == AE_IFREG ? (la_int64_t)len : 0);
	if (dlib_archive()->archive_write_header(a, en) != ARCHIVE_OK ||
	    (type == AE_IFREG && dlib_archive()->archive_write_data(a, data, len) < 0))
		r = berth_error(err, 0, "busybox layer: %s",
		                dlib_archive()->archive_error_string(a));
	dlib_archive()->archive_entry_free(en);
	return r;
}

/* The layer as a tar in fd: the binary, a symlink per applet of list, passwd and group. */
static int busybox_layer(int fd, const char *data, size_t len, char *list, berth_error_t *err)
{
	static const char *const dirs[] = {"bin",  "etc", "proc", "sys",  "dev",       "tmp",
	                                   "root", "var", "run",  "home", "home/user", "usr"};
	static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
	                             "user:x:1000:1000:user:/home/user:/bin/sh\n"
	                             "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
	static const char group[] = "root:x:0:\nuser:x:1000:\nnogroup:x:65534:\n";
	struct archive *a = dlib_archive()->archive_write_new();
	int r = -1;

	dlib_archive()->archive_write_set_format_pax_restricted(a);
	if (dlib_archive()->archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		berth_error(err, 0, "busybox layer: %s", dlib_archive()->archive_error_string(a));
		goto out;
	}
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
		if (bb_entry(a, dirs[i], AE_IFDIR, strcmp(dirs[i], "tmp") ? 0755 : 01777, NULL,
		             NULL, 0, err) < 0)
			goto out;
	if (bb_entry(a, "bin/busybox", AE_IFREG, 0755, NULL, data, len, err) < 0 ||
	    bb_entry(a, "etc/passwd", AE_IFREG, 0644, NULL, passwd, strlen(passwd), err) < 0 ||
	    bb_entry(a, "etc/group", AE_IFREG, 0644, NULL, group, strlen(group), err) < 0 ||
	    bb_entry(a, "usr/bin", AE_IFLNK, 0777, "../bin", NULL, 0, err) < 0 ||
	    bb_entry(a, "sbin", AE_IFLNK, 0777, "bin", NULL, 0, err) < 0)
		goto out;
	for (char *save = NULL, *t = strtok_r(list, "\n", &save); t;
	     t = strtok_r(NULL, "\n", &save)) {
		cleanup_free char *n = xasprintf("bin/%s", t);
		if (strcmp(t, "busybox") == 0 || strchr(t, '/'))
			continue;
		if (bb_entry(a, n, AE_IFLNK, 0777, "busybox", NULL, 0, err) < 0)
			goto out;
	}
	if (dlib_archive()->archive_write_close(a) != ARCHIVE_OK) {
		berth_error(err, 0, "busybox layer: %s", dlib_archive()->archive_error_string(a));
		goto out;
	}
	r = 0;
out:
	dlib_archive()->archive_write_free(a);
	return r;
}

/* One platform's image staged from the binary: its index entry, or NULL. */
static json_t *busybox_stage(struct staging *s, const char *arch, const char *data, size_t len,
                             char *list, berth_error_t *err)
{
	cleanup_free char *tar = xasprintf("%s/layer-%s.tar", s->dir, arch);
	cleanup_free char *what = xasprintf("busybox layer (%s)", arch);
	cleanup_free char *digest = NULL;
	cleanup_close int fd = open(tar, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	char mhex[65];
	size_t msize;

	if (fd < 0) {
		berth_error(err, errno, "create `%s`", tar);
		return NULL;
	}
	if (busybox_layer(fd, data, len, list, err) < 0 ||
	    staging_rootfs(s, fd, what, arch, mhex, &msize, err) < 0)
		return NULL;
	digest = xasprintf("sha256:%s", mhex);
	return json_pack("{s:s,s:s,s:I,s:{s:s,s:s}}", "mediaType", MT_MANIFEST, "digest", digest,
	                 "size", (json_int_t)msize, "platform", "architecture", arch, "os",
	                 "linux");
}

/* Debian's riscv64 busybox (data, len), or why there is none (*why, heap). */
static int busybox_riscv64(char **data, size_t *len, char **list, char **why)
{
	cleanup_free char *p = busybox_riscv64_path();
	berth_error_t e2 = NULL;
	const unsigned char *h;

	*data = *list = *why = NULL;
	if (p[0] == '\0') {
		*why = xstrdup("left out: BERTH_BUSYBOX_RISCV64 is empty");
		return -1;
	}
	if (util_read_file(p, data, len, &e2) < 0) {
		*why = xasprintf("left out: %s (guest/fetch-busybox.sh fetches Debian's riscv64 "
		                 "busybox-static)",
		                 e2->msg);
		berth_error_release(&e2);
		return -1;
	}
	h = (const unsigned char *)*data;
	if (*len < 64 || memcmp(h, "\177ELF", 4) != 0 || h[4] != 2 || h[5] != 1 ||
	    (h[18] | h[19] << 8) != EM_RISCV_NUM)
		*why = xasprintf("left out: `%s` is not a little-endian ELF64 RISC-V binary", p);
	else if ((*list = busybox_applets(*data, *len)) == NULL)
		*why = xasprintf("left out: `%s`: no busybox applet table found in it", p);
	if (*why == NULL)
		return 0;
	free(*data);
	*data = NULL;
	return -1;
}

int image_make_busybox(struct engine *e, berth_error_t *err)
{
	const char *bb = getenv("BERTH_BUSYBOX") ?: "/bin/busybox";
	cleanup_free char *data = NULL;
	cleanup_free char *list = NULL;
	cleanup_free char *rdata = NULL;
	cleanup_free char *rlist = NULL;
	cleanup_free char *why = NULL;
	cleanup_free char *text = NULL;
	struct staging s;
	size_t len, rlen = 0;
	json_t *index = NULL, *d;
	char ihex[65];
	int r = -1;

	if (util_read_file(bb, &data, &len, err) < 0)
		return berth_error_prefix(
		    err, "the host's busybox-static is needed (apt-get install busybox-static)");
	list = busybox_list(bb, err);
	if (list == NULL)
		return -1;
	if (staging_init(&s, e, "built-in busybox", "busybox", err) < 0)
		goto out;
	index = json_pack("{s:i,s:s,s:[]}", "schemaVersion", 2, "mediaType", MT_INDEX, "manifests");
	d = busybox_stage(&s, "amd64", data, len, list, err);
	if (d == NULL)
		goto out;
	json_array_append_new(json_object_get(index, "manifests"), d);
	if (busybox_riscv64(&rdata, &rlen, &rlist, &why) == 0) {
		d = busybox_stage(&s, "riscv64", rdata, rlen, rlist, err);
		if (d == NULL)
			goto out;
		json_array_append_new(json_object_get(index, "manifests"), d);
	} else {
		json_object_set_new(index, "annotations", json_pack("{s:s}", BUSYBOX_NOTE, why));
	}
	text = json_dumps(index, JSON_COMPACT);
	if (staging_blob_mem(&s, text, strlen(text), ihex, err) < 0 ||
	    staging_add_image(&s, "busybox:latest", ihex, strlen(text), MT_INDEX) < 0)
		goto out;
	r = staging_commit(&s, NULL, err);
out:
	json_decref(index);
	staging_free(&s);
	return r;
}
