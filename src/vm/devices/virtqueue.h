/* SPDX-License-Identifier: MIT */
/* One split virtqueue implementation (virtio 1.x) shared by every virtio device, with
 * VIRTIO_RING_F_EVENT_IDX and VIRTIO_RING_F_INDIRECT_DESC. Everything in guest memory is
 * hostile: ring addresses, indices, descriptor chains (loops, lengths, addresses outside RAM,
 * nested indirect tables) are checked, and a ring that breaks a rule makes virtq_pop() fail
 * so the device can set NEEDS_RESET; the host never reads or writes outside guest RAM. */
#ifndef BERTH_VM_VIRTQUEUE_H
#define BERTH_VM_VIRTQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Guest RAM as the host sees it: guest physical [base, base + size) at host. */
struct code_map;

struct guest_ram {
	uint8_t *host;
	uint64_t base, size;
	struct code_map *code; /* pages holding translated code (codemap.h), or NULL */
};

/* Host pointer for guest physical [gpa, gpa + len), or NULL when any of it is outside RAM. */
static inline void *guest_ram_ptr(const struct guest_ram *r, uint64_t gpa, uint64_t len)
{
	if (gpa < r->base || len > r->size || gpa - r->base > r->size - len)
		return NULL;
	return r->host + (gpa - r->base);
}

#define VIRTQ_MAX_SIZE  256  /* the largest queue we offer (QueueNumMax) */
#define VIRTQ_MAX_CHAIN 1024 /* descriptors in one chain, indirect tables included */

#define VIRTQ_DESC_F_NEXT     1
#define VIRTQ_DESC_F_WRITE    2
#define VIRTQ_DESC_F_INDIRECT 4

struct virtq {
	/* set by the transport */
	uint16_t num;
	bool ready;
	uint64_t desc_addr, avail_addr, used_addr;
	bool event_idx, indirect; /* negotiated features */
	/* state */
	uint8_t *desc, *avail, *used; /* host pointers, checked by virtq_setup() */
	struct code_map *code;        /* the RAM's code map: what devices write invalidates */
	uint16_t last_avail, used_idx, signalled_used;
	bool signalled_valid, broken;
};

/* A request: n_out device-readable segments, then n_in device-writable ones. */
struct virtq_elem {
	uint16_t head;
	unsigned n_out, n_in;
	uint64_t out_len, in_len;
	struct iovec iov[VIRTQ_MAX_CHAIN];
};

/* Check the ring addresses against RAM and start at index 0. Returns 0 or -1. */
int virtq_setup(struct virtq *q, const struct guest_ram *ram);
void virtq_reset(struct virtq *q);
/* Take the next available chain: 1 got one, 0 nothing there, -1 the ring is corrupt (the
 * queue is then broken until reset). */
int virtq_pop(struct virtq *q, const struct guest_ram *ram, struct virtq_elem *e);
/* Give back the last n chains popped and not pushed: the next pops return them again. */
void virtq_rewind(struct virtq *q, uint16_t n);
/* Return a chain to the driver with `len` bytes written into it (translations of code in
 * those bytes are invalidated first). */
void virtq_push(struct virtq *q, const struct virtq_elem *e, uint32_t len);
/* Whether the driver wants an interrupt for what was pushed since the last time (EVENT_IDX
 * used_event, or VRING_AVAIL_F_NO_INTERRUPT). */
bool virtq_should_notify(struct virtq *q);

/* Copy out of the readable part of e from byte offset off; returns the bytes copied. */
size_t virtq_elem_read(const struct virtq_elem *e, size_t off, void *buf, size_t len);
/* Copy into the writable part of e at byte offset off; returns the bytes copied. */
size_t virtq_elem_write(const struct virtq_elem *e, size_t off, const void *buf, size_t len);
/* Describe bytes [off, off + len) of the readable (in=false) or writable part as at most max
 * iovecs; returns how many, and the bytes they cover in *covered. */
unsigned virtq_elem_iovec(const struct virtq_elem *e, bool in, size_t off, size_t len,
                          struct iovec *iov, unsigned max, size_t *covered);

#endif
