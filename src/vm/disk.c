/* SPDX-License-Identifier: MIT */
#include "disk.h"
#include "util.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define VDI_SIGNATURE_OFFSET 0x40
#define VDI_SIGNATURE        0xbeda107fu

const char *vm_disk_format(const unsigned char *head, size_t len)
{
	static const struct {
		const char *magic;
		size_t len;
		const char *name;
	} magics[] = {
	    {"KDMV", 4, "VMDK"},     /* hosted sparse extent */
	    {"COWD", 4, "VMDK"},     /* ESX sparse extent */
	    {"vhdxfile", 8, "VHDX"}, /* file type identifier */
	    {"QED\0", 4, "QED"},     /* */
	    {"conectix", 8, "VHD"},  /* the footer's copy at the start of a dynamic VHD */
	};

	if (len >= 8 && memcmp(head, "QFI\xfb", 4) == 0) {
		uint32_t version;
		memcpy(&version, head + 4, sizeof(version));
		return be32toh(version) >= 2 ? "qcow2" : "qcow";
	}
	for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
		if (len >= magics[i].len && memcmp(head, magics[i].magic, magics[i].len) == 0)
			return magics[i].name;
	if (len >= VDI_SIGNATURE_OFFSET + 4) {
		uint32_t sig;
		memcpy(&sig, head + VDI_SIGNATURE_OFFSET, sizeof(sig));
		if (le32toh(sig) == VDI_SIGNATURE)
			return "VDI";
	}
	return NULL;
}

int vm_disk_open(const char *path, bool ro, berth_error_t *err)
{
	/* O_NONBLOCK: a FIFO must not make open() wait; the type is checked on the fd */
	cleanup_close int fd =
	    open(path, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	struct flock lk = {.l_type = ro ? F_RDLCK : F_WRLCK, .l_whence = SEEK_SET};
	unsigned char head[VM_DISK_PROBE_SIZE];
	const char *format;
	struct stat st;
	ssize_t n;

	if (fd < 0)
		return berth_error(err, errno, "--disk: open `%s`", path);
	if (fstat(fd, &st) < 0)
		return berth_error(err, errno, "--disk: stat `%s`", path);
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return berth_error(err, 0, "--disk: `%s` is not a regular file or block device",
		                   path);
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0)
		return berth_error(err, errno, "--disk: fcntl `%s`", path);
	/* the whole file, owned by this open file description (not the process): a second
	 * --disk of the same file in this VM conflicts too */
	if (fcntl(fd, F_OFD_SETLK, &lk) < 0) {
		if (errno == EAGAIN || errno == EACCES)
			return berth_error(
			    err, 0,
			    ro ? "--disk: `%s` is in use for writing by another process"
			       : "--disk: `%s` is in use by another process (a writable "
			         "disk cannot be shared)",
			    path);
		return berth_error(err, errno, "--disk: lock `%s`", path);
	}
	do
		n = pread(fd, head, sizeof(head), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return berth_error(err, errno, "--disk: read `%s`", path);
	format = vm_disk_format(head, (size_t)n);
	if (format != NULL)
		return berth_error(
		    err, 0,
		    "--disk: `%s` is a %s image; berth vm uses raw disks (convert with "
		    "qemu-img convert -O raw)",
		    path, format);
	return util_steal_fd(fd);
}

/* Copy [off, off + len) of in to the same place in out (copy_file_range: a reflink where the
 * file system shares extents, an in-kernel copy elsewhere). */
static int disk_copy_range(int in, int out, off_t off, off_t len)
{
	while (len > 0) {
		loff_t a = off, b = off;
		ssize_t n = copy_file_range(in, &a, out, &b, (size_t)len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += n;
		len -= n;
	}
	return 0;
}

/* A temporary, already unlinked file: beside the image (where a reflink can share its
 * extents), else in $TMPDIR or /var/tmp. */
static int disk_tmpfile(const char *path)
{
	cleanup_free char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	const char *tmp = getenv("TMPDIR");
	int fd;

	if (slash == NULL)
		snprintf(dir, strlen(dir) + 1, ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0 && tmp != NULL && *tmp == '/')
		fd = open(tmp, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		fd = open("/var/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	return fd;
}

int vm_disk_open_snapshot(const char *path, berth_error_t *err)
{
	cleanup_close int base = vm_disk_open(path, true, err);
	cleanup_close int fd = -1;
	off_t size, off = 0;

	if (base < 0)
		return -1;
	size = lseek(base, 0, SEEK_END);
	if (size < 0)
		return berth_error(err, errno, "--disk: size of `%s`", path);
	fd = disk_tmpfile(path);
	if (fd < 0)
		return berth_error(err, errno,
		                   "--disk: `%s`,snapshot: cannot make a temporary file", path);
	if (ftruncate(fd, size) < 0)
		return berth_error(err, errno, "--disk: `%s`,snapshot: size the overlay", path);
	/* the data extents only (a sparse image copies fast); a block device has no holes */
	while (off < size) {
		off_t data = lseek(base, off, SEEK_DATA), hole;
		if (data < 0 && errno == ENXIO)
			break; /* only a hole is left */
		if (data < 0) {
			data = off; /* no SEEK_DATA here: copy it all */
			hole = size;
		} else {
			hole = lseek(base, data, SEEK_HOLE);
			if (hole < 0 || hole > size)
				hole = size;
		}
		if (disk_copy_range(base, fd, data, hole - data) < 0)
			return berth_error(err, errno, "--disk: `%s`,snapshot: copy to the overlay",
			                   path);
		off = hole;
	}
	return util_steal_fd(fd);
}
