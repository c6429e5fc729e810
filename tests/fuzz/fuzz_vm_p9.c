/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the 9P2000.L server (src/vm/p9.c) fed hostile requests. Each input is a
 * flag byte (bit 0: a read-only share), then messages, each [cap:2][len:2][len bytes] (cap: the
 * room for the reply, at least 11), sent to
 * a server on a fresh directory TMP/share (a file, a directory and a symlink in it), after a
 * Tversion and a Tattach of fid 0 so that the fuzzer starts from a mounted share. Checked
 * after every input: each reply is one whole message that fits its room, and nothing outside
 * the share changed (TMP holds exactly `share` and `secret`, whose content is intact), so a
 * request that escapes the share is a finding, like a crash or a leak. */
#include "vm/p9.h"
#include "util.h"

#include <dirent.h>
#include <endian.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t reply[P9_MAX_MSIZE];

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	close(fd);
}

static void send_raw(struct p9_server *s, const uint8_t *msg, size_t len)
{
	size_t n = p9_handle(s, msg, len, reply, sizeof(reply));
	if (n < 7)
		abort();
}

/* Nothing but share/ and an intact secret in tmp. */
static void check_outside(const char *tmp)
{
	char path[4096], buf[64];
	DIR *d = opendir(tmp);
	struct dirent *e;
	int n = 0, fd;
	ssize_t r;

	if (d == NULL)
		abort();
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (strcmp(e->d_name, "share") != 0 && strcmp(e->d_name, "secret") != 0)
			abort(); /* something was made outside the share */
		n++;
	}
	closedir(d);
	if (n != 2)
		abort(); /* the share or the secret was moved or removed from inside */
	snprintf(path, sizeof(path), "%s/secret", tmp);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		abort();
	r = read(fd, buf, sizeof(buf));
	close(fd);
	if (r != 7 || memcmp(buf, "SECRET\n", 7) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t version[] = {21, 0, 0,   0,   100, 0xff, 0xff, 0x00, 0x00, 0x01, 0x00,
	                                  8,  0, '9', 'P', '2', '0',  '0',  '0',  '.',  'L'};
	/* fid 0, no afid, empty uname and aname, n_uname 0 */
	static const uint8_t attach[] = {23,   0,    0,    0, 104, 1, 0, 0, 0, 0, 0, 0xff,
	                                 0xff, 0xff, 0xff, 0, 0,   0, 0, 0, 0, 0, 0};
	const char *base = getenv("TMPDIR");
	char tmp[4096], path[4096];
	struct p9_server *s;
	berth_error_t err = NULL;
	size_t off = 0;

	snprintf(tmp, sizeof(tmp), "%s/p9.XXXXXX", base != NULL ? base : "/tmp");
	if (mkdtemp(tmp) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/share", tmp);
	if (mkdir(path, 0755) < 0)
		abort();
	snprintf(path, sizeof(path), "%s/share/file", tmp);
	write_file(path, "hello, 9p\n");
	snprintf(path, sizeof(path), "%s/share/dir", tmp);
	if (mkdir(path, 0755) < 0)
		abort();
	snprintf(path, sizeof(path), "%s/share/up", tmp);
	if (symlink("../secret", path) < 0)
		abort();
	snprintf(path, sizeof(path), "%s/secret", tmp);
	write_file(path, "SECRET\n");

	snprintf(path, sizeof(path), "%s/share", tmp);
	s = p9_server_create(path, size > 0 && (data[0] & 1), &err);
	if (s == NULL)
		abort();
	send_raw(s, version, sizeof(version));
	send_raw(s, attach, sizeof(attach));
	if (reply[4] != 105)
		abort(); /* Rattach */

	if (size > 0)
		off = 1;
	while (off + 4 <= size) {
		uint16_t cap, len;
		memcpy(&cap, data + off, 2);
		memcpy(&len, data + off + 2, 2);
		cap = le16toh(cap);
		len = le16toh(len);
		off += 4;
		if (len > size - off)
			len = (uint16_t)(size - off);
		size_t room = cap < 11 ? 11 + cap : cap;
		size_t n = p9_handle(s, data + off, len, reply, room);
		if (n > room || n < 7)
			abort();
		uint32_t rsize;
		memcpy(&rsize, reply, 4);
		if (le32toh(rsize) != n)
			abort();
		off += len;
	}
	p9_server_destroy(s);
	check_outside(tmp);
	if (util_rm_rf(tmp, &err) < 0)
		abort();
	return 0;
}
