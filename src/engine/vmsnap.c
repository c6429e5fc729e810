/* SPDX-License-Identifier: MIT */
/* Snapshots of managed VMs (docs/vm.md, "Snapshot and restore"): DIR/ram is guest RAM as a
 * plain sparse file; DIR/state is
 *   "BERTHVMS" | format version u32 | 0 u32 | body length u64 | body | SHA-256 (64 hex)
 * where the body is records (src/vm/snapstate.h): META (this file's JSON: berth version,
 * the VM's name, cwd and `vm run` options), then the machine's (MACH, DISK, HART, devices).
 * The checksum covers everything before it and is checked before any record is read. */
#include "vmm.h"
#include "util.h"
#include "vm/machine.h"
#include "vm/snapstate.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The state file's SHA-256, with nettle (linked in statically): this runs in the VM process,
 * where loading libcrypto (src/engine/sha256.c) for a few KiB of records would add ~0.5 MiB
 * of its data to the VMM's memory (docs/vm.md, Memory). */
static void vmsnap_sha256_hex(const void *a, size_t alen, const void *b, size_t blen, char hex[65])
{
	uint8_t md[SHA256_DIGEST_SIZE];
	struct sha256_ctx h;

	sha256_init(&h);
	sha256_update(&h, alen, a);
	if (blen > 0)
		sha256_update(&h, blen, b);
	sha256_digest(&h, sizeof(md), md);
	util_hex(md, sizeof(md), hex);
}

#define SNAP_MAGIC   "BERTHVMS"
#define SNAP_VERSION 1
#define SNAP_HEAD    24
#define SNAP_MAX     (64u << 20) /* a state file is a few hundred KiB at most */
#define SNAP_MEMFD   "berth-snapshot-state"

int vmm_snapshot_take(struct engine *e, const char *id, struct machine *m, const char *dir,
                      berth_error_t *err)
{
	cleanup_free char *ramp = NULL, *statep = NULL, *meta_text = NULL;
	cleanup_close int ramfd = -1;
	struct vm_snap_writer w = {0};
	json_t *rec = NULL, *meta;
	uint8_t head[SNAP_HEAD];
	uint64_t blen;
	uint32_t ver = htole32(SNAP_VERSION);
	char hex[65];
	bool made = false;
	int r = -1;

	if (dir[0] != '/')
		return berth_error(err, 0, "snapshot: the directory must be absolute, got `%s`",
		                   dir);
	if (mkdir(dir, 0700) == 0)
		made = true;
	else if (errno != EEXIST)
		return berth_error(err, errno, "snapshot: mkdir `%s`", dir);
	ramp = xasprintf("%s/ram", dir);
	statep = xasprintf("%s/state", dir);
	ramfd = open(ramp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (ramfd < 0) {
		berth_error(err, errno, "snapshot: create `%s`", ramp);
		goto out;
	}
	if (vmm_load(e, id, &rec, err) < 0)
		goto fail;
	meta = json_pack("{s:s, s:O, s:O, s:O}", "berth_version", BERTH_VERSION, "name",
	                 json_object_get(rec, "name"), "cwd", json_object_get(rec, "cwd"), "args",
	                 json_object_get(rec, "args"));
	meta_text = json_dumps(meta, JSON_COMPACT);
	json_decref(meta);
	vm_snap_put(&w, "META", 0, meta_text, strlen(meta_text));
	if (vm_snapshot(m, ramfd, &w, err) < 0)
		goto fail;
	blen = htole64((uint64_t)w.len);
	memcpy(head, SNAP_MAGIC, 8);
	memcpy(head + 8, &ver, 4);
	memset(head + 12, 0, 4);
	memcpy(head + 16, &blen, 8);
	vmsnap_sha256_hex(head, sizeof(head), w.buf, w.len, hex);
	{
		size_t total = sizeof(head) + w.len + 64;
		cleanup_free uint8_t *file = xmalloc0(total);
		memcpy(file, head, sizeof(head));
		memcpy(file + sizeof(head), w.buf, w.len);
		memcpy(file + sizeof(head) + w.len, hex, 64);
		if (util_write_file_atomic(statep, file, total, 0600, err) < 0)
			goto fail;
	}
	r = 0;
	goto out;
fail:
	unlink(ramp);
	if (made)
		rmdir(dir);
out:
	json_decref(rec);
	vm_snap_writer_free(&w);
	return r;
}

int vmm_snapshot_open(const char *dir, uint8_t **body, size_t *len, json_t **meta,
                      berth_error_t *err)
{
	cleanup_free char *statep = xasprintf("%s/state", dir), *text = NULL;
	struct vm_snap_reader rd = {0};
	const char *mt;
	size_t n, mlen;
	uint64_t blen;
	uint32_t ver;
	char hex[65];
	json_error_t je;
	const char *v;

	if (util_read_file(statep, &text, &n, err) < 0)
		return -1;
	if (n < SNAP_HEAD + 64 || memcmp(text, SNAP_MAGIC, 8) != 0)
		return berth_error(err, 0, "`%s`: not a berth VM snapshot state file", statep);
	memcpy(&ver, text + 8, 4);
	memcpy(&blen, text + 16, 8);
	if (le32toh(ver) != SNAP_VERSION)
		return berth_error(err, 0, "`%s`: state format version %u, this berth reads %d",
		                   statep, le32toh(ver), SNAP_VERSION);
	blen = le64toh(blen);
	if (n > SNAP_MAX || blen != n - SNAP_HEAD - 64)
		return berth_error(err, 0,
		                   "`%s`: %zu bytes, but its header says %llu of records "
		                   "(truncated or corrupt)",
		                   statep, n, (unsigned long long)blen);
	vmsnap_sha256_hex(text, n - 64, NULL, 0, hex);
	if (memcmp(hex, text + n - 64, 64) != 0)
		return berth_error(err, 0, "`%s`: the SHA-256 does not match (corrupt)", statep);
	if (vm_snap_parse((uint8_t *)text + SNAP_HEAD, (size_t)blen, &rd, err) < 0 ||
	    (mt = vm_snap_get(&rd, "META", 0, SIZE_MAX, &mlen, err)) == NULL) {
		vm_snap_reader_free(&rd);
		return berth_error_prefix(err, "`%s`", statep);
	}
	*meta = json_loadb(mt, mlen, 0, &je);
	vm_snap_reader_free(&rd);
	if (*meta == NULL || !json_is_array(json_object_get(*meta, "args")))
		return berth_error(err, 0, "`%s`: record META: %s", statep,
		                   *meta == NULL ? je.text : "no args");
	v = json_string_value(json_object_get(*meta, "berth_version"));
	if (v == NULL || strcmp(v, BERTH_VERSION) != 0) {
		berth_error(err, 0, "`%s`: made by berth %s, this is berth %s", statep,
		            v != NULL ? v : "(unknown)", BERTH_VERSION);
		json_decref(*meta);
		*meta = NULL;
		return -1;
	}
	*len = (size_t)blen;
	*body = xmalloc0(*len + 1);
	memcpy(*body, text + SNAP_HEAD, *len);
	return 0;
}

/* A sealed memfd holding the checked records, for the VM process's stdin. */
static int vmm_state_memfd(const uint8_t *body, size_t len, berth_error_t *err)
{
	cleanup_close int fd = memfd_create(SNAP_MEMFD, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	int r;

	if (fd < 0)
		return berth_error(err, errno, "restore: memfd_create");
	if (util_write_all(fd, body, len) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
		return berth_error(err, errno, "restore: write the state to a memfd");
	r = fd;
	fd = -1;
	return r;
}

int vmm_restore_state(uint8_t **body, size_t *len, berth_error_t *err)
{
	char link[64], name[64] = "";
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int seals = fcntl(0, F_GET_SEALS);

	/* ours: a memfd of that name, sealed against every change */
	n = readlink("/proc/self/fd/0", link, sizeof(link) - 1);
	if (n > 0) {
		link[n] = '\0';
		snprintf(name, sizeof(name), "%s", link);
	}
	if (seals < 0 || (seals & F_SEAL_WRITE) == 0 ||
	    strncmp(name, "/memfd:" SNAP_MEMFD, sizeof("/memfd:" SNAP_MEMFD) - 1) != 0)
		return 1;
	if (fstat(0, &st) < 0 || st.st_size <= 0 || (uint64_t)st.st_size > SNAP_MAX)
		return berth_error(err, errno, "restore: the handed-over state has a bad size");
	*len = (size_t)st.st_size;
	*body = xmalloc0(*len + 1);
	while (got < *len) {
		n = pread(0, *body + got, *len - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(*body);
			*body = NULL;
			return berth_error(err, errno, "restore: read the handed-over state");
		}
		got += (size_t)n;
	}
	{
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (null >= 0) { /* the memfd is not needed any more */
			dup2(null, 0);
			close(null);
		}
	}
	return 0;
}

int vmm_restore(struct engine *e, const char *dir, const char *name, bool copy_disks, char **id,
                berth_error_t *err)
{
	cleanup_free char *abs = realpath(dir, NULL), *ramp = NULL;
	cleanup_free uint8_t *body = NULL;
	cleanup_close int memfd = -1;
	json_t *meta = NULL, *args, *extra;
	const char *cwd;
	char **argv;
	size_t blen, nargs;
	struct stat st;
	int r;

	if (abs == NULL)
		return berth_error(err, errno, "restore: `%s`", dir);
	if (vmm_snapshot_open(abs, &body, &blen, &meta, err) < 0)
		return -1;
	ramp = xasprintf("%s/ram", abs);
	if (stat(ramp, &st) < 0 || !S_ISREG(st.st_mode)) {
		json_decref(meta);
		return berth_error(err, errno, "restore: `%s` is missing or not a file", ramp);
	}
	/* the VM's options are relative to the directory it was made in */
	cwd = json_string_value(json_object_get(meta, "cwd"));
	if (cwd != NULL && chdir(cwd) < 0) {
		r = berth_error(err, errno, "restore: cannot enter the VM's directory `%s`", cwd);
		json_decref(meta);
		return r;
	}
	args = json_object_get(meta, "args");
	nargs = json_array_size(args);
	argv = xmalloc0((nargs + 1) * sizeof(char *));
	for (size_t i = 0; i < nargs; i++)
		argv[i] = (char *)(json_string_value(json_array_get(args, i)) ?: "");
	/* the record says where the VM process finds the snapshot: one write */
	extra = json_pack("{s:s, s:b}", "restore", abs, "copy_disks", copy_disks);
	r = vmm_create(e, name, argv, nargs, extra, id, err);
	json_decref(extra);
	free(argv);
	json_decref(meta);
	if (r < 0)
		return -1;
	memfd = vmm_state_memfd(body, blen, err);
	if (memfd < 0 || vmm_start_with(e, *id, memfd, err) < 0)
		goto fail;
	return 0;
fail : {
	berth_error_t e2 = NULL;
	if (vmm_rm(e, *id, true, &e2) < 0)
		berth_error_release(&e2);
	free(*id);
	*id = NULL;
	return -1;
}
}
