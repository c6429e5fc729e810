/* SPDX-License-Identifier: MIT */
#include "virtqueue.h"

#include "codemap.h"

#include <endian.h>
#include <string.h>

#define VRING_AVAIL_F_NO_INTERRUPT 1

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* Ring fields live in memory the guest writes concurrently: read each one exactly once. */
static uint16_t ring_load16(const uint8_t *p)
{
	return le16toh(__atomic_load_n((const uint16_t *)(const void *)p, __ATOMIC_ACQUIRE));
}

static void ring_store16(uint8_t *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)(void *)p, htole16(v), __ATOMIC_RELEASE);
}

static bool is_pow2(unsigned n)
{
	return n != 0 && (n & (n - 1)) == 0;
}

int virtq_setup(struct virtq *q, const struct guest_ram *ram)
{
	uint64_t n = q->num;

	q->desc = q->avail = q->used = NULL;
	q->last_avail = q->used_idx = q->signalled_used = 0;
	q->signalled_valid = false;
	q->broken = true;
	if (!is_pow2(q->num) || q->num > VIRTQ_MAX_SIZE)
		return -1;
	if ((q->desc_addr & 15) || (q->avail_addr & 1) || (q->used_addr & 3))
		return -1;
	q->code = ram->code;
	q->desc = guest_ram_ptr(ram, q->desc_addr, 16 * n);
	q->avail = guest_ram_ptr(ram, q->avail_addr, 6 + 2 * n);
	q->used = guest_ram_ptr(ram, q->used_addr, 6 + 8 * n);
	if (q->desc == NULL || q->avail == NULL || q->used == NULL)
		return -1;
	q->broken = false;
	return 0;
}

void virtq_reset(struct virtq *q)
{
	memset(q, 0, sizeof(*q));
}

static int virtq_fail(struct virtq *q)
{
	q->broken = true;
	return -1;
}

int virtq_pop(struct virtq *q, const struct guest_ram *ram, struct virtq_elem *e)
{
	const uint8_t *table;
	unsigned tnum, limit, count = 0;
	uint16_t avail_idx, idx;
	bool in_indirect = false;

	if (!q->ready || q->desc == NULL)
		return 0;
	if (q->broken)
		return -1;
	avail_idx = ring_load16(q->avail + 2);
	if ((uint16_t)(avail_idx - q->last_avail) > q->num)
		return virtq_fail(q);
	if (avail_idx == q->last_avail) {
		if (!q->event_idx)
			return 0;
		/* ask for a kick at the next buffer, then look once more */
		ring_store16(q->used + 4 + 8 * q->num, q->last_avail);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		avail_idx = ring_load16(q->avail + 2);
		if (avail_idx == q->last_avail)
			return 0;
		if ((uint16_t)(avail_idx - q->last_avail) > q->num)
			return virtq_fail(q);
	}
	idx = ring_load16(q->avail + 4 + 2 * (q->last_avail % q->num));
	e->head = idx;
	e->n_out = e->n_in = 0;
	e->out_len = e->in_len = 0;
	table = q->desc;
	tnum = limit = q->num;
	for (;;) {
		struct vring_desc d;
		uint64_t addr;
		uint32_t len;
		uint16_t flags;
		void *p;

		if (idx >= tnum || ++count > limit)
			return virtq_fail(q); /* out of range, or a loop */
		memcpy(&d, table + 16 * (size_t)idx, sizeof(d));
		addr = le64toh(d.addr);
		len = le32toh(d.len);
		flags = le16toh(d.flags);
		if (flags & VIRTQ_DESC_F_INDIRECT) {
			if (!q->indirect || in_indirect || (flags & VIRTQ_DESC_F_NEXT))
				return virtq_fail(q);
			if (len == 0 || len % 16 != 0 || len / 16 > VIRTQ_MAX_CHAIN)
				return virtq_fail(q);
			table = guest_ram_ptr(ram, addr, len);
			if (table == NULL)
				return virtq_fail(q);
			tnum = limit = len / 16;
			count = 0;
			idx = 0;
			in_indirect = true;
			continue;
		}
		p = guest_ram_ptr(ram, addr, len);
		if (p == NULL)
			return virtq_fail(q);
		if (e->n_out + e->n_in >= VIRTQ_MAX_CHAIN)
			return virtq_fail(q);
		if (flags & VIRTQ_DESC_F_WRITE) {
			e->iov[e->n_out + e->n_in++] = (struct iovec){p, len};
			e->in_len += len;
		} else {
			if (e->n_in > 0) /* readable after writable */
				return virtq_fail(q);
			e->iov[e->n_out++] = (struct iovec){p, len};
			e->out_len += len;
		}
		if (!(flags & VIRTQ_DESC_F_NEXT))
			break;
		idx = le16toh(d.next);
	}
	if (e->in_len > UINT32_MAX || e->out_len > UINT32_MAX)
		return virtq_fail(q);
	q->last_avail++;
	if (q->event_idx)
		ring_store16(q->used + 4 + 8 * q->num, q->last_avail);
	return 1;
}

void virtq_rewind(struct virtq *q, uint16_t n)
{
	q->last_avail = (uint16_t)(q->last_avail - n);
	if (q->event_idx && q->used != NULL)
		ring_store16(q->used + 4 + 8 * q->num, q->last_avail);
}

void virtq_push(struct virtq *q, const struct virtq_elem *e, uint32_t len)
{
	uint8_t *slot;
	uint32_t v[2];

	if (q->used == NULL)
		return;
	/* what the device wrote (DMA) may be code the harts translated */
	for (unsigned i = 0, left = len; q->code != NULL && i < e->n_in && left > 0; i++) {
		const struct iovec *iov = &e->iov[e->n_out + i];
		size_t n = iov->iov_len < left ? iov->iov_len : left;
		code_map_written(q->code, iov->iov_base, n);
		left -= (unsigned)n;
	}
	slot = q->used + 4 + 8 * (size_t)(q->used_idx % q->num);
	v[0] = htole32(e->head);
	v[1] = htole32(len);
	memcpy(slot, v, sizeof(v));
	q->used_idx++;
	ring_store16(q->used + 2, q->used_idx);
}

bool virtq_should_notify(struct virtq *q)
{
	uint16_t old, new, event;
	bool valid;

	if (q->used == NULL)
		return false;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!q->event_idx)
		return !(ring_load16(q->avail) & VRING_AVAIL_F_NO_INTERRUPT);
	old = q->signalled_used;
	new = q->used_idx;
	valid = q->signalled_valid;
	q->signalled_used = new;
	q->signalled_valid = true;
	if (!valid)
		return true;
	event = ring_load16(q->avail + 4 + 2 * q->num);
	/* vring_need_event() */
	return (uint16_t)(new - event - 1) < (uint16_t)(new - old);
}

size_t virtq_elem_read(const struct virtq_elem *e, size_t off, void *buf, size_t len)
{
	size_t done = 0;

	for (unsigned i = 0; i < e->n_out && done < len; i++) {
		size_t seg = e->iov[i].iov_len;
		if (off >= seg) {
			off -= seg;
			continue;
		}
		size_t n = seg - off < len - done ? seg - off : len - done;
		memcpy((uint8_t *)buf + done, (uint8_t *)e->iov[i].iov_base + off, n);
		done += n;
		off = 0;
	}
	return done;
}

size_t virtq_elem_write(const struct virtq_elem *e, size_t off, const void *buf, size_t len)
{
	size_t done = 0;

	for (unsigned i = e->n_out; i < e->n_out + e->n_in && done < len; i++) {
		size_t seg = e->iov[i].iov_len;
		if (off >= seg) {
			off -= seg;
			continue;
		}
		size_t n = seg - off < len - done ? seg - off : len - done;
		memcpy((uint8_t *)e->iov[i].iov_base + off, (const uint8_t *)buf + done, n);
		done += n;
		off = 0;
	}
	return done;
}

unsigned virtq_elem_iovec(const struct virtq_elem *e, bool in, size_t off, size_t len,
                          struct iovec *iov, unsigned max, size_t *covered)
{
	unsigned first = in ? e->n_out : 0, end = in ? e->n_out + e->n_in : e->n_out, n = 0;
	size_t done = 0;

	for (unsigned i = first; i < end && done < len && n < max; i++) {
		size_t seg = e->iov[i].iov_len;
		if (off >= seg) {
			off -= seg;
			continue;
		}
		size_t take = seg - off < len - done ? seg - off : len - done;
		iov[n++] = (struct iovec){(uint8_t *)e->iov[i].iov_base + off, take};
		done += take;
		off = 0;
	}
	*covered = done;
	return n;
}
