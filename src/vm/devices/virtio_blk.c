/* SPDX-License-Identifier: MIT */
/* virtio-blk on a raw image: read, write, flush, get_id, discard; `ro` offers VIRTIO_BLK_F_RO
 * and fails writes with IOERR. I/O is synchronous (preadv/pwritev straight into guest RAM). */
#include "virtio.h"
#include "util.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX  2
#define VIRTIO_BLK_F_RO       5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH    9
#define VIRTIO_BLK_F_DISCARD  13

#define VIRTIO_BLK_T_IN      0
#define VIRTIO_BLK_T_OUT     1
#define VIRTIO_BLK_T_FLUSH   4
#define VIRTIO_BLK_T_GET_ID  8
#define VIRTIO_BLK_T_DISCARD 11

#define VIRTIO_BLK_S_OK     0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2

/* SEG_MAX: a 1 MiB O_DIRECT transfer of 4 KiB pages is one request (QEMU offers 254; 126
 * split it in three) */
#define SECTOR          512ull
#define SEG_MAX         256
#define DISCARD_SEG_MAX 32
#define CONFIG_SIZE     60

struct blk_req_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

struct blk_discard {
	uint64_t sector;
	uint32_t num_sectors;
	uint32_t flags;
};

struct blk {
	int fd;
	bool ro;
	uint64_t size; /* bytes, a multiple of 512 */
	char id[20];
	uint8_t config[CONFIG_SIZE];
	struct virtq_elem elem;
	struct iovec iov[VIRTQ_MAX_CHAIN];
};

static void put_le32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static void put_le64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, 8);
}

static bool blk_range_ok(const struct blk *b, uint64_t sector, uint64_t len)
{
	return sector <= b->size / SECTOR && len <= b->size - sector * SECTOR;
}

static uint8_t blk_rw(struct blk *b, const struct virtq_elem *e, uint64_t sector, bool write,
                      uint32_t *written)
{
	uint64_t len = write ? e->out_len - sizeof(struct blk_req_hdr) : e->in_len - 1;
	size_t covered;
	unsigned n;
	ssize_t r;

	if (write && b->ro)
		return VIRTIO_BLK_S_IOERR;
	if (!blk_range_ok(b, sector, len))
		return VIRTIO_BLK_S_IOERR;
	n = virtq_elem_iovec(e, !write, write ? sizeof(struct blk_req_hdr) : 0, len, b->iov,
	                     VIRTQ_MAX_CHAIN, &covered);
	if (covered != len)
		return VIRTIO_BLK_S_IOERR;
	off_t off = (off_t)(sector * SECTOR);
	uint64_t done = 0;
	while (done < len) {
		/* skip the iovecs already done */
		struct iovec *iov = b->iov;
		unsigned cnt = n;
		uint64_t skip = done;
		while (cnt > 0 && skip >= iov->iov_len) {
			skip -= iov->iov_len;
			iov++;
			cnt--;
		}
		struct iovec first = *iov, *base = iov;
		iov->iov_base = (uint8_t *)iov->iov_base + skip;
		iov->iov_len -= skip;
		r = write ? pwritev(b->fd, base, (int)(cnt < 1024 ? cnt : 1024), off + (off_t)done)
		          : preadv(b->fd, base, (int)(cnt < 1024 ? cnt : 1024), off + (off_t)done);
		*iov = first;
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return VIRTIO_BLK_S_IOERR;
		done += (uint64_t)r;
	}
	if (!write)
		*written = (uint32_t)len;
	return VIRTIO_BLK_S_OK;
}

static uint8_t blk_discard(struct blk *b, const struct virtq_elem *e)
{
	uint64_t nseg = (e->out_len - sizeof(struct blk_req_hdr)) / sizeof(struct blk_discard);

	if (b->ro)
		return VIRTIO_BLK_S_IOERR;
	if (nseg == 0 || nseg > DISCARD_SEG_MAX)
		return VIRTIO_BLK_S_IOERR;
	for (uint64_t i = 0; i < nseg; i++) {
		struct blk_discard d;
		virtq_elem_read(e, sizeof(struct blk_req_hdr) + i * sizeof(d), &d, sizeof(d));
		uint64_t sector = le64toh(d.sector), len = le32toh(d.num_sectors) * SECTOR;
		if (le32toh(d.flags) != 0 || !blk_range_ok(b, sector, len))
			return VIRTIO_BLK_S_UNSUPP;
		/* advisory: a file system that cannot punch holes keeps the data */
		(void)fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		                (off_t)(sector * SECTOR), (off_t)len);
	}
	return VIRTIO_BLK_S_OK;
}

static int blk_notify(struct virtio_mmio *t, void *opaque, unsigned qi)
{
	struct blk *b = opaque;
	struct virtq *q = virtio_mmio_queue(t, qi);
	struct virtq_elem *e = &b->elem;
	int r;

	while ((r = virtq_pop(q, virtio_mmio_ram(t), e)) > 0) {
		struct blk_req_hdr h;
		uint8_t status = VIRTIO_BLK_S_IOERR;
		uint32_t written = 0;

		if (e->in_len < 1) { /* nowhere to put the status */
			virtq_push(q, e, 0);
			continue;
		}
		if (virtq_elem_read(e, 0, &h, sizeof(h)) == sizeof(h)) {
			uint64_t sector = le64toh(h.sector);
			switch (le32toh(h.type)) {
			case VIRTIO_BLK_T_IN:
				status = blk_rw(b, e, sector, false, &written);
				break;
			case VIRTIO_BLK_T_OUT:
				status = blk_rw(b, e, sector, true, &written);
				break;
			case VIRTIO_BLK_T_FLUSH:
				status = b->ro || fdatasync(b->fd) == 0 ? VIRTIO_BLK_S_OK
				                                        : VIRTIO_BLK_S_IOERR;
				break;
			case VIRTIO_BLK_T_GET_ID:
				written = (uint32_t)virtq_elem_write(
				    e, 0, b->id,
				    e->in_len - 1 < sizeof(b->id) ? e->in_len - 1 : sizeof(b->id));
				status = VIRTIO_BLK_S_OK;
				break;
			case VIRTIO_BLK_T_DISCARD:
				status = blk_discard(b, e);
				break;
			default:
				status = VIRTIO_BLK_S_UNSUPP;
				break;
			}
		}
		virtq_elem_write(e, e->in_len - 1, &status, 1);
		virtq_push(q, e, written + 1);
	}
	virtio_mmio_used(t, qi);
	return r;
}

static void blk_destroy(void *opaque)
{
	struct blk *b = opaque;

	if (b->fd >= 0)
		close(b->fd);
	free(b);
}

/* The device on fd (taken over; blocking): checks its type and sizes the disk. */
static int blk_init(struct virtio_device *dev, int fd_in, const char *path, bool ro, unsigned index,
                    berth_error_t *err)
{
	cleanup_close int fd = fd_in;
	struct blk *b;
	struct stat st;
	uint8_t *c;

	if (fstat(fd, &st) < 0)
		return berth_error(err, errno, "--disk: stat `%s`", path);
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return berth_error(err, 0, "--disk: `%s` is not a regular file or block device",
		                   path);
	b = xmalloc0(sizeof(*b));
	b->ro = ro;
	if (S_ISBLK(st.st_mode)) {
		off_t end = lseek(fd, 0, SEEK_END);
		b->size = end > 0 ? (uint64_t)end : 0;
	} else {
		b->size = (uint64_t)st.st_size;
	}
	b->size -= b->size % SECTOR;
	snprintf(b->id, sizeof(b->id), "berth-disk%u", index);
	c = b->config;
	put_le64(c + 0, b->size / SECTOR); /* capacity */
	put_le32(c + 8, 1u << 20);         /* size_max */
	put_le32(c + 12, SEG_MAX);         /* seg_max */
	put_le32(c + 20, 512);             /* blk_size */
	put_le32(c + 36, 1u << 22);        /* max_discard_sectors */
	put_le32(c + 40, DISCARD_SEG_MAX); /* max_discard_seg */
	put_le32(c + 44, 8);               /* discard_sector_alignment */
	b->fd = util_steal_fd(fd);
	*dev = (struct virtio_device){
	    .device_id = VIRTIO_ID_BLOCK,
	    .features = (1ull << VIRTIO_BLK_F_SIZE_MAX) | (1ull << VIRTIO_BLK_F_SEG_MAX) |
	                (1ull << VIRTIO_BLK_F_BLK_SIZE) | (1ull << VIRTIO_BLK_F_FLUSH) |
	                (ro ? 1ull << VIRTIO_BLK_F_RO : 1ull << VIRTIO_BLK_F_DISCARD),
	    .num_queues = 1,
	    .config = b->config,
	    .config_size = sizeof(b->config),
	    .opaque = b,
	    .notify = blk_notify,
	    .destroy = blk_destroy,
	};
	return 0;
}

int virtio_blk_init(struct virtio_device *dev, const char *path, bool ro, unsigned index,
                    berth_error_t *err)
{
	/* O_NONBLOCK: a FIFO must not make open() wait; the type is checked on the fd */
	cleanup_close int fd =
	    open(path, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);

	if (fd < 0)
		return berth_error(err, errno, "--disk: open `%s`", path);
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0)
		return berth_error(err, errno, "--disk: fcntl `%s`", path);
	return blk_init(dev, util_steal_fd(fd), path, ro, index, err);
}

int virtio_blk_init_fd(struct virtio_device *dev, int fd, const char *path, bool ro, unsigned index,
                       berth_error_t *err)
{
	int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);

	if (copy < 0)
		return berth_error(err, errno, "--disk: dup `%s`", path);
	return blk_init(dev, copy, path, ro, index, err);
}
