/* SPDX-License-Identifier: MIT */
/* The virtio-mmio transport, version 2 (virtio 1.x "modern" only). */
#include "virtio.h"
#include "util.h"

#include <endian.h>
#include <pthread.h>
#include <string.h>

enum {
	VM_MAGIC = 0x000,
	VM_VERSION = 0x004,
	VM_DEVICE_ID = 0x008,
	VM_VENDOR_ID = 0x00c,
	VM_DEVICE_FEATURES = 0x010,
	VM_DEVICE_FEATURES_SEL = 0x014,
	VM_DRIVER_FEATURES = 0x020,
	VM_DRIVER_FEATURES_SEL = 0x024,
	VM_QUEUE_SEL = 0x030,
	VM_QUEUE_NUM_MAX = 0x034,
	VM_QUEUE_NUM = 0x038,
	VM_QUEUE_READY = 0x044,
	VM_QUEUE_NOTIFY = 0x050,
	VM_INTERRUPT_STATUS = 0x060,
	VM_INTERRUPT_ACK = 0x064,
	VM_STATUS = 0x070,
	VM_QUEUE_DESC_LOW = 0x080,
	VM_QUEUE_DESC_HIGH = 0x084,
	VM_QUEUE_DRIVER_LOW = 0x090,
	VM_QUEUE_DRIVER_HIGH = 0x094,
	VM_QUEUE_DEVICE_LOW = 0x0a0,
	VM_QUEUE_DEVICE_HIGH = 0x0a4,
	VM_SHM_SEL = 0x0ac,
	VM_SHM_LEN_LOW = 0x0b0,
	VM_SHM_LEN_HIGH = 0x0b4,
	VM_SHM_BASE_LOW = 0x0b8,
	VM_SHM_BASE_HIGH = 0x0bc,
	VM_CONFIG_GENERATION = 0x0fc,
	VM_CONFIG = 0x100,
};
#define VIRTIO_MMIO_MAGIC 0x74726976 /* "virt" */
#define VIRTIO_VENDOR_ID  0x48545242 /* "BRTH" */
#define INT_USED_BUFFER   1
#define INT_CONFIG        2

struct virtio_mmio {
	pthread_mutex_t lock;
	struct virtio_device dev;
	bool present;
	struct guest_ram ram;
	struct plic *plic;
	unsigned irq;
	uint64_t host_features, driver_features;
	uint32_t device_features_sel, driver_features_sel, queue_sel;
	uint32_t status, int_status;
	struct virtq queues[VIRTIO_MMIO_MAX_QUEUES];
};

static void virtio_mmio_update_irq(struct virtio_mmio *t)
{
	if (t->plic != NULL)
		plic_set_irq(t->plic, t->irq, t->int_status != 0);
}

static void virtio_mmio_fail(struct virtio_mmio *t)
{
	t->status |= VIRTIO_STATUS_NEEDS_RESET;
	if (t->status & VIRTIO_STATUS_DRIVER_OK) {
		t->int_status |= INT_CONFIG;
		virtio_mmio_update_irq(t);
	}
}

static void virtio_mmio_reset(struct virtio_mmio *t)
{
	for (unsigned i = 0; i < VIRTIO_MMIO_MAX_QUEUES; i++)
		virtq_reset(&t->queues[i]);
	t->driver_features = 0;
	t->device_features_sel = t->driver_features_sel = t->queue_sel = 0;
	t->status = 0;
	t->int_status = 0;
	if (t->present && t->dev.reset != NULL)
		t->dev.reset(t->dev.opaque);
	virtio_mmio_update_irq(t);
}

struct virtio_mmio *virtio_mmio_create(const struct virtio_device *dev, const struct guest_ram *ram,
                                       struct plic *plic, unsigned irq)
{
	struct virtio_mmio *t = xmalloc0(sizeof(*t));

	pthread_mutex_init(&t->lock, NULL);
	if (dev != NULL) {
		t->dev = *dev;
		t->present = true;
		if (t->dev.num_queues > VIRTIO_MMIO_MAX_QUEUES)
			t->dev.num_queues = VIRTIO_MMIO_MAX_QUEUES;
	}
	t->ram = *ram;
	t->plic = plic;
	t->irq = irq;
	t->host_features = t->dev.features | (1ull << VIRTIO_F_VERSION_1) |
	                   (1ull << VIRTIO_F_RING_EVENT_IDX) |
	                   (1ull << VIRTIO_F_RING_INDIRECT_DESC);
	if (t->present && t->dev.start != NULL)
		t->dev.start(t->dev.opaque, t);
	return t;
}

void virtio_mmio_destroy(struct virtio_mmio *t)
{
	if (t == NULL)
		return;
	if (t->present && t->dev.destroy != NULL)
		t->dev.destroy(t->dev.opaque);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

struct virtq *virtio_mmio_queue(struct virtio_mmio *t, unsigned q)
{
	return q < t->dev.num_queues ? &t->queues[q] : NULL;
}

const struct guest_ram *virtio_mmio_ram(struct virtio_mmio *t)
{
	return &t->ram;
}

uint32_t virtio_mmio_status(struct virtio_mmio *t)
{
	uint32_t s;

	pthread_mutex_lock(&t->lock);
	s = t->status;
	pthread_mutex_unlock(&t->lock);
	return s;
}

void virtio_mmio_used(struct virtio_mmio *t, unsigned q)
{
	struct virtq *vq = virtio_mmio_queue(t, q);

	if (vq != NULL && virtq_should_notify(vq)) {
		t->int_status |= INT_USED_BUFFER;
		virtio_mmio_update_irq(t);
	}
}

uint64_t virtio_mmio_driver_features(struct virtio_mmio *t)
{
	return t->driver_features;
}

/* Whether the device may serve queue q now (the transport locked). */
static bool virtio_mmio_live(struct virtio_mmio *t, unsigned q)
{
	return t->present && q < t->dev.num_queues && t->queues[q].ready &&
	       (t->status & VIRTIO_STATUS_DRIVER_OK) && !(t->status & VIRTIO_STATUS_NEEDS_RESET) &&
	       t->dev.notify != NULL;
}

void virtio_mmio_kick(struct virtio_mmio *t, unsigned q)
{
	pthread_mutex_lock(&t->lock);
	if (virtio_mmio_live(t, q) && t->dev.notify(t, t->dev.opaque, q) < 0)
		virtio_mmio_fail(t);
	pthread_mutex_unlock(&t->lock);
}

size_t virtio_mmio_input(struct virtio_mmio *t, unsigned q, virtio_input_fn fn, const void *buf,
                         size_t len)
{
	size_t n = 0;

	pthread_mutex_lock(&t->lock);
	if (t->present && q < t->dev.num_queues && t->queues[q].ready &&
	    (t->status & VIRTIO_STATUS_DRIVER_OK) && !(t->status & VIRTIO_STATUS_NEEDS_RESET)) {
		long r = fn(t, t->dev.opaque, q, buf, len);
		if (r < 0)
			virtio_mmio_fail(t);
		else
			n = (size_t)r;
	}
	pthread_mutex_unlock(&t->lock);
	return n;
}

static int virtio_mmio_config_read(struct virtio_mmio *t, uint64_t off, unsigned size,
                                   uint64_t *val)
{
	uint64_t v = 0;

	if (off > t->dev.config_size || size > t->dev.config_size - off)
		return 0; /* reads past the config space return 0 */
	memcpy(&v, t->dev.config + off, size);
	*val = le64toh(v);
	return 0;
}

int virtio_mmio_read(void *dev, uint64_t off, unsigned size, uint64_t *val)
{
	struct virtio_mmio *t = dev;
	struct virtq *q;
	uint64_t v = 0;

	*val = 0;
	pthread_mutex_lock(&t->lock);
	if (off >= VM_CONFIG) {
		if (t->present)
			virtio_mmio_config_read(t, off - VM_CONFIG, size, val);
		pthread_mutex_unlock(&t->lock);
		return 0;
	}
	if (size != 4) {
		pthread_mutex_unlock(&t->lock);
		return -1;
	}
	q = t->queue_sel < t->dev.num_queues ? &t->queues[t->queue_sel] : NULL;
	switch (off) {
	case VM_MAGIC:
		v = VIRTIO_MMIO_MAGIC;
		break;
	case VM_VERSION:
		v = 2;
		break;
	case VM_DEVICE_ID:
		v = t->present ? t->dev.device_id : 0;
		break;
	case VM_VENDOR_ID:
		v = VIRTIO_VENDOR_ID;
		break;
	case VM_DEVICE_FEATURES:
		if (t->present && t->device_features_sel < 2)
			v = (uint32_t)(t->host_features >> (32 * t->device_features_sel));
		break;
	case VM_QUEUE_NUM_MAX:
		v = q != NULL ? VIRTQ_MAX_SIZE : 0;
		break;
	case VM_QUEUE_READY:
		v = q != NULL && q->ready;
		break;
	case VM_INTERRUPT_STATUS:
		v = t->int_status;
		break;
	case VM_STATUS:
		v = t->status;
		break;
	case VM_SHM_LEN_LOW:
	case VM_SHM_LEN_HIGH:
	case VM_SHM_BASE_LOW:
	case VM_SHM_BASE_HIGH:
		v = 0xffffffff; /* no shared memory regions */
		break;
	case VM_CONFIG_GENERATION:
		v = 0;
		break;
	default:
		break;
	}
	pthread_mutex_unlock(&t->lock);
	*val = v;
	return 0;
}

static void set_half(uint64_t *reg, bool high, uint32_t v)
{
	if (high)
		*reg = (*reg & 0xffffffffull) | ((uint64_t)v << 32);
	else
		*reg = (*reg & ~0xffffffffull) | v;
}

static void virtio_mmio_set_status(struct virtio_mmio *t, uint32_t v)
{
	if (v == 0) {
		virtio_mmio_reset(t);
		return;
	}
	if ((v & VIRTIO_STATUS_FEATURES_OK) && !(t->status & VIRTIO_STATUS_FEATURES_OK)) {
		/* accept only a subset of what we offered, and only modern drivers */
		if ((t->driver_features & ~t->host_features) != 0 ||
		    !(t->driver_features & (1ull << VIRTIO_F_VERSION_1)))
			v &= ~(uint32_t)VIRTIO_STATUS_FEATURES_OK;
	}
	t->status = (v & 0xff & ~(uint32_t)VIRTIO_STATUS_NEEDS_RESET) |
	            (t->status & VIRTIO_STATUS_NEEDS_RESET);
}

int virtio_mmio_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
	struct virtio_mmio *t = dev;
	uint32_t v = (uint32_t)val;
	struct virtq *q;

	if (off >= VM_CONFIG) {
		/* read-only but for devices with a config_write (virtio-input's select) */
		off -= VM_CONFIG;
		if (t->dev.config_write == NULL || off > t->dev.config_size ||
		    size > t->dev.config_size - off)
			return 0;
		pthread_mutex_lock(&t->lock);
		t->dev.config_write(t->dev.opaque, off, size, val);
		pthread_mutex_unlock(&t->lock);
		return 0;
	}
	if (size != 4)
		return -1;
	pthread_mutex_lock(&t->lock);
	if (!t->present) {
		pthread_mutex_unlock(&t->lock);
		return 0;
	}
	q = t->queue_sel < t->dev.num_queues ? &t->queues[t->queue_sel] : NULL;
	/* queue registers are frozen while the queue is live */
	if (q != NULL && q->ready &&
	    (off == VM_QUEUE_NUM || (off >= VM_QUEUE_DESC_LOW && off <= VM_QUEUE_DEVICE_HIGH)))
		q = NULL;
	switch (off) {
	case VM_DEVICE_FEATURES_SEL:
		t->device_features_sel = v;
		break;
	case VM_DRIVER_FEATURES:
		if (t->driver_features_sel < 2 && !(t->status & VIRTIO_STATUS_FEATURES_OK))
			set_half(&t->driver_features, t->driver_features_sel == 1, v);
		break;
	case VM_DRIVER_FEATURES_SEL:
		t->driver_features_sel = v;
		break;
	case VM_QUEUE_SEL:
		t->queue_sel = v;
		break;
	case VM_QUEUE_NUM:
		if (q != NULL)
			q->num = v > 0xffff ? 0 : (uint16_t)v;
		break;
	case VM_QUEUE_READY:
		q = t->queue_sel < t->dev.num_queues ? &t->queues[t->queue_sel] : NULL;
		if (q == NULL)
			break;
		if ((v & 1) && !q->ready) {
			q->event_idx = t->driver_features & (1ull << VIRTIO_F_RING_EVENT_IDX);
			q->indirect = t->driver_features & (1ull << VIRTIO_F_RING_INDIRECT_DESC);
			q->ready = true;
			if (virtq_setup(q, &t->ram) < 0)
				virtio_mmio_fail(t);
		} else if (!(v & 1)) {
			q->ready = false;
		}
		break;
	case VM_QUEUE_NOTIFY:
		if (virtio_mmio_live(t, v) && t->dev.notify(t, t->dev.opaque, v) < 0)
			virtio_mmio_fail(t);
		break;
	case VM_INTERRUPT_ACK:
		t->int_status &= ~v;
		virtio_mmio_update_irq(t);
		break;
	case VM_STATUS:
		virtio_mmio_set_status(t, v);
		break;
	case VM_QUEUE_DESC_LOW:
	case VM_QUEUE_DESC_HIGH:
		if (q != NULL)
			set_half(&q->desc_addr, off == VM_QUEUE_DESC_HIGH, v);
		break;
	case VM_QUEUE_DRIVER_LOW:
	case VM_QUEUE_DRIVER_HIGH:
		if (q != NULL)
			set_half(&q->avail_addr, off == VM_QUEUE_DRIVER_HIGH, v);
		break;
	case VM_QUEUE_DEVICE_LOW:
	case VM_QUEUE_DEVICE_HIGH:
		if (q != NULL)
			set_half(&q->used_addr, off == VM_QUEUE_DEVICE_HIGH, v);
		break;
	case VM_SHM_SEL:
	default:
		break;
	}
	pthread_mutex_unlock(&t->lock);
	return 0;
}

/* Slot i: the --disks, the --net cards, then a virtio-rng, a virtio-console, the --shares
 * (virtio-9p), then empty slots (as QEMU virt). */
static int virtio_board_create(const struct vm_board *b, unsigned i, void **dev, berth_error_t *err)
{
	const struct vm_config *cfg = b->cfg;
	unsigned nets = b->nets != NULL ? cfg->nnets : 0, rng = cfg->ndisks + nets;
	struct virtio_device d;
	bool present = true;

	if (i < cfg->ndisks) {
		int r = b->disk_fds != NULL
		            ? virtio_blk_init_fd(&d, b->disk_fds[i], cfg->disks[i].path,
		                                 cfg->disks[i].ro, i, err)
		            : virtio_blk_init(&d, cfg->disks[i].path, cfg->disks[i].ro, i, err);
		if (r < 0)
			return -1;
	} else if (i < rng) {
		virtio_net_init(&d, b->nets[i - cfg->ndisks]);
	} else if (i == rng) {
		virtio_rng_init(&d);
	} else if (i == rng + 1) {
		struct vcon_port ports[VIRTIO_CONSOLE_MAX_PORTS + 1] = {
		    {.out = b->console_out, .opaque = b->console_opaque}};
		unsigned np = 1;
		for (unsigned k = 0;
		     b->serials != NULL && k < cfg->nserials && k < VIRTIO_CONSOLE_MAX_PORTS; k++)
			ports[np++] = (struct vcon_port){.name = cfg->serials[k].name,
			                                 .out = b->console_out,
			                                 .opaque = b->serials[k]};
		virtio_console_init_ports(&d, ports, np);
	} else if (i - rng - 2 < cfg->nshares) {
		const struct vm_share *sh = &cfg->shares[i - rng - 2];
		if (virtio_9p_init(&d, sh->dir, sh->tag, sh->ro, err) < 0)
			return -1;
	} else {
		present = false;
	}
	*dev = virtio_mmio_create(present ? &d : NULL, b->ram, b->plic, vm_device_virtio.irq + i);
	return 0;
}

/* snapshots: the transport's registers and each queue's addresses and positions (the ring
 * pointers are made again from the addresses, checked against RAM). The devices behind it
 * keep nothing a driver depends on between requests (blk, rng, input: none; net: frames
 * waiting in the card's queue are dropped as lost packets); the console's waiting control
 * answers are not saved. */
struct vmio_queue_state {
	uint64_t desc_addr, avail_addr, used_addr;
	uint16_t num, last_avail, used_idx, signalled_used;
	uint8_t ready, event_idx, indirect, signalled_valid, broken, pad[3];
};
struct vmio_state {
	uint32_t device_id, present;
	uint64_t host_features, driver_features;
	uint32_t device_features_sel, driver_features_sel, queue_sel, status, int_status, pad;
	struct vmio_queue_state q[VIRTIO_MMIO_MAX_QUEUES];
};

void virtio_mmio_save(void *dev, struct vm_snap_writer *w, uint32_t inst)
{
	struct virtio_mmio *t = dev;
	struct vmio_state st = {0};

	pthread_mutex_lock(&t->lock);
	st.device_id = t->present ? t->dev.device_id : 0;
	st.present = t->present;
	st.host_features = t->host_features;
	st.driver_features = t->driver_features;
	st.device_features_sel = t->device_features_sel;
	st.driver_features_sel = t->driver_features_sel;
	st.queue_sel = t->queue_sel;
	st.status = t->status;
	st.int_status = t->int_status;
	for (unsigned i = 0; i < VIRTIO_MMIO_MAX_QUEUES; i++) {
		const struct virtq *q = &t->queues[i];
		st.q[i] = (struct vmio_queue_state){
		    .desc_addr = q->desc_addr,
		    .avail_addr = q->avail_addr,
		    .used_addr = q->used_addr,
		    .num = q->num,
		    .last_avail = q->last_avail,
		    .used_idx = q->used_idx,
		    .signalled_used = q->signalled_used,
		    .ready = q->ready,
		    .event_idx = q->event_idx,
		    .indirect = q->indirect,
		    .signalled_valid = q->signalled_valid,
		    .broken = q->broken,
		};
	}
	pthread_mutex_unlock(&t->lock);
	vm_snap_put(w, "VMIO", inst, &st, sizeof(st));
}

int virtio_mmio_load(void *dev, const struct vm_snap_reader *r, uint32_t inst, berth_error_t *err)
{
	struct virtio_mmio *t = dev;
	const struct vmio_state *st = vm_snap_get(r, "VMIO", inst, sizeof(*st), NULL, err);

	if (st == NULL)
		return -1;
	if ((st->present != 0) != t->present || (t->present && st->device_id != t->dev.device_id))
		return berth_error(err, 0,
		                   "record VMIO %u: device id %u, but this machine has %u there",
		                   inst, st->device_id, t->present ? t->dev.device_id : 0);
	pthread_mutex_lock(&t->lock);
	t->host_features = st->host_features;
	t->driver_features = st->driver_features;
	t->device_features_sel = st->device_features_sel;
	t->driver_features_sel = st->driver_features_sel;
	t->queue_sel = st->queue_sel;
	t->status = st->status;
	t->int_status = st->int_status;
	for (unsigned i = 0; i < VIRTIO_MMIO_MAX_QUEUES; i++) {
		const struct vmio_queue_state *qs = &st->q[i];
		struct virtq *q = &t->queues[i];
		virtq_reset(q);
		q->num = qs->num;
		q->desc_addr = qs->desc_addr;
		q->avail_addr = qs->avail_addr;
		q->used_addr = qs->used_addr;
		q->event_idx = qs->event_idx != 0;
		q->indirect = qs->indirect != 0;
		q->ready = qs->ready != 0;
		if (q->ready) {
			/* the ring pointers again, checked as a driver's setup is */
			bool broken = virtq_setup(q, &t->ram) < 0 || qs->broken;
			q->broken = broken;
		}
		q->last_avail = qs->last_avail;
		q->used_idx = qs->used_idx;
		q->signalled_used = qs->signalled_used;
		q->signalled_valid = qs->signalled_valid != 0;
	}
	virtio_mmio_update_irq(t);
	pthread_mutex_unlock(&t->lock);
	return 0;
}

static void virtio_board_destroy(void *dev)
{
	virtio_mmio_destroy(dev);
}

/* Registers are 32-bit (the transport faults other sizes); the config space takes any. */
VM_DEVICE(vm_device_virtio, .name = "virtio_mmio", .base = 0x10001000, .size = VIRTIO_MMIO_SIZE,
          .count = VM_VIRTIO_SLOTS, .stride = 0x1000, .irq = 1, .access = VM_ACCESS_ANY,
          .in_fdt = true, VM_FDT_COMPATIBLE("virtio,mmio"), .create = virtio_board_create,
          .read = virtio_mmio_read, .write = virtio_mmio_write, .destroy = virtio_board_destroy,
          .save = virtio_mmio_save, .load = virtio_mmio_load);
