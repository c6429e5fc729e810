/* SPDX-License-Identifier: MIT */
/* libFuzzer target: layer unpacking (layer_unpack in src/engine/unpack.c) of a hostile
 * (gzip, zstd, xz, bzip2 or plain) tar stream. The headers of a plain tar get their checksums
 * fixed first, so that mutations reach the unpacker.
 *
 * Every input is unpacked into a fresh, empty directory, three levels below a private
 * temporary directory whose levels each hold one canary file:
 *     $TMPDIR/berth-fuzz-unpack.XXXXXX/canary  a/canary  a/b/canary  a/b/layer/
 * After the unpack, every level must still hold exactly its canary and the next level
 * (nothing written next to the layer by `..` or a link), and the layer is removed again, so
 * that each input starts from an empty directory and the fuzzer writes nowhere else. The
 * temporary directory is removed at exit. */
#include "engine.h"
#include "error.h"
#include "log.h"
#include "rootless.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The unpacker asks rootless.c one thing, which xattr marks an opaque directory; the fuzzer
 * unpacks as root does (rootless.c itself, with the user namespace it keeps, is not linked) */
bool rootless_active(void)
{
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char base[PATH_MAX];     /* $TMPDIR/berth-fuzz-unpack.XXXXXX */
static char level[3][PATH_MAX]; /* base, base/a, base/a/b */
static char layer[PATH_MAX];    /* base/a/b/layer */

static void fuzz_die(const char *what)
{
	fprintf(stderr, "fuzz_unpack: %s\n", what);
	abort();
}

static void fuzz_cleanup(void)
{
	berth_error_t err = NULL;

	if (base[0] != '\0' && util_rm_rf(base, &err) < 0)
		berth_error_release(&err);
}

static void fuzz_setup(void)
{
	const char *tmp = getenv("TMPDIR");
	char templ[PATH_MAX - 32];

	snprintf(templ, sizeof(templ), "%s/berth-fuzz-unpack.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(templ) == NULL)
		fuzz_die("mkdtemp");
	snprintf(base, sizeof(base), "%s", templ);
	atexit(fuzz_cleanup);
	log_open("/dev/null", 0, 0); /* no debug lines about skipped entries */
	snprintf(level[0], sizeof(level[0]), "%s", base);
	snprintf(level[1], sizeof(level[1]), "%s/a", base);
	snprintf(level[2], sizeof(level[2]), "%s/a/b", base);
	snprintf(layer, sizeof(layer), "%s/a/b/layer", base);
	for (int i = 0; i < 3; i++) {
		char p[PATH_MAX + 8];
		int fd;
		if (i > 0 && mkdir(level[i], 0755) < 0)
			fuzz_die("mkdir");
		snprintf(p, sizeof(p), "%s/canary", level[i]);
		fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0 || write(fd, "canary\n", 7) != 7 || close(fd) < 0)
			fuzz_die("canary");
	}
}

/* Each level holds exactly `canary` (a 7-byte regular file) and its next level. */
static void fuzz_check_levels(void)
{
	static const char *const next[3] = {"a", "b", "layer"};

	for (int i = 0; i < 3; i++) {
		DIR *d = opendir(level[i]);
		struct dirent *de;
		int seen = 0;
		if (d == NULL)
			fuzz_die("a level above the layer is gone");
		while ((de = readdir(d)) != NULL) {
			struct stat st;
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			if (strcmp(de->d_name, next[i]) == 0) {
				if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
				    !S_ISDIR(st.st_mode))
					fuzz_die("a level above the layer was replaced");
				seen++;
			} else if (strcmp(de->d_name, "canary") == 0) {
				if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
				    !S_ISREG(st.st_mode) || st.st_size != 7 || st.st_nlink != 1)
					fuzz_die("a canary above the layer was changed or linked");
				seen++;
			} else {
				fprintf(stderr, "fuzz_unpack: %s/%s written outside the layer\n",
				        level[i], de->d_name);
				abort();
			}
		}
		closedir(d);
		if (seen != 2)
			fuzz_die("a canary above the layer was removed");
	}
}

/* A tar header's checksum: the sum of its bytes with the checksum field taken as spaces. */
static void fuzz_tar_checksum(uint8_t *h)
{
	unsigned sum = 0;

	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum & 0777777);
	h[155] = ' ';
}

/* An uncompressed tar: give every header the right checksum, so that mutations of names,
 * types, sizes and link targets reach the unpacker instead of libarchive's checksum test.
 * The walk follows the size fields (octal) as libarchive does; compressed input is left as
 * it is. */
static void fuzz_fix_tar(uint8_t *buf, size_t size)
{
	size_t off = 0;

	if (size >= 2 &&
	    ((buf[0] == 0x1f && buf[1] == 0x8b) || (buf[0] == 0x28 && buf[1] == 0xb5) ||
	     (buf[0] == 0xfd && buf[1] == '7') || (buf[0] == 'B' && buf[1] == 'Z')))
		return;
	while (off + 512 <= size) {
		uint8_t *h = buf + off;
		unsigned long long len = 0;
		int i;
		for (i = 0; i < 512 && h[i] == 0; i++)
			;
		if (i == 512) { /* a zero block: the end, or padding */
			off += 512;
			continue;
		}
		fuzz_tar_checksum(h);
		for (i = 124; i < 136 && h[i] >= '0' && h[i] <= '7'; i++)
			len = len * 8 + (unsigned)(h[i] - '0');
		if (len > size)
			break;
		off += 512 + (size_t)((len + 511) / 512 * 512);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	berth_error_t err = NULL;
	uint8_t *buf;
	int fd;

	if (level[0][0] == '\0')
		fuzz_setup();
	if (mkdir(layer, 0755) < 0)
		fuzz_die("mkdir layer");
	fd = memfd_create("fuzz-layer", MFD_CLOEXEC);
	if (fd < 0)
		fuzz_die("memfd_create");
	buf = malloc(size ? size : 1);
	if (buf == NULL)
		fuzz_die("malloc");
	memcpy(buf, data, size);
	fuzz_fix_tar(buf, size);
	for (size_t off = 0; off < size;) {
		ssize_t w = write(fd, buf + off, size - off);
		if (w <= 0)
			fuzz_die("write memfd");
		off += (size_t)w;
	}
	free(buf);
	if (layer_unpack(fd, "layer.tar", layer, NULL, &err) < 0) {
		if (err == NULL || err->msg == NULL || strchr(err->msg, '\n') != NULL) {
			fprintf(stderr, "fuzz_unpack: a failure without a one-line message: [%s]\n",
			        err && err->msg ? err->msg : "(none)");
			abort();
		}
		berth_error_release(&err);
	}
	close(fd);
	fuzz_check_levels();
	if (util_rm_rf(layer, &err) < 0) {
		fprintf(stderr, "fuzz_unpack: cannot clean the layer: %s\n", err->msg);
		abort();
	}
	return 0;
}
