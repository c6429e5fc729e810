/* SPDX-License-Identifier: MIT */
/* virtio-mmio transport with virtio-blk, rng, console and 9p behind it, driven like a driver. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vm/devices/virtio.h"
#include "util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RAM_BASE  0x80000000ull
#define RAM_SIZE  (1u << 20)
#define QNUM      8
#define DESC      0x1000u
#define AVAIL     0x2000u
#define USED      0x3000u
#define HDR       0x4000u
#define DATA      0x5000u
#define STATUS    0x6000u
#define DISK_SIZE (64u << 10)

enum {
	R_MAGIC = 0,
	R_VERSION = 4,
	R_DEVICE_ID = 8,
	R_DEV_FEAT = 0x10,
	R_DEV_FEAT_SEL = 0x14,
	R_DRV_FEAT = 0x20,
	R_DRV_FEAT_SEL = 0x24,
	R_QSEL = 0x30,
	R_QNUM_MAX = 0x34,
	R_QNUM = 0x38,
	R_QREADY = 0x44,
	R_NOTIFY = 0x50,
	R_ISR = 0x60,
	R_ACK = 0x64,
	R_STATUS = 0x70,
	R_DESC = 0x80,
	R_DRIVER = 0x90,
	R_DEVICE = 0xa0
};

static bool line;

static void notify(void *opaque, unsigned ctx, bool level)
{
	(void)opaque;
	if (ctx == 1)
		line = level;
}

struct fix {
	uint8_t *mem;
	struct guest_ram ram;
	struct plic *plic;
	struct virtio_mmio *t;
	char path[64];
	uint16_t avail_idx;
	char out[64];
	size_t out_len;
};

static uint32_t rd(struct fix *f, uint64_t off)
{
	uint64_t v;
	assert_int_equal(virtio_mmio_read(f->t, off, 4, &v), 0);
	return (uint32_t)v;
}

static void wr(struct fix *f, uint64_t off, uint32_t v)
{
	assert_int_equal(virtio_mmio_write(f->t, off, 4, v), 0);
}

static struct fix *fix_new(void)
{
	struct fix *f = xmalloc0(sizeof(*f));
	f->mem = xmalloc0(RAM_SIZE);
	f->ram = (struct guest_ram){f->mem, RAM_BASE, RAM_SIZE, NULL};
	f->plic = plic_create(2, notify, NULL);
	plic_write(f->plic, 4 * 1, 4, 1);
	plic_write(f->plic, 0x2000 + 0x80, 4, 1u << 1);
	line = false;
	return f;
}

static void fix_free(struct fix *f)
{
	virtio_mmio_destroy(f->t);
	plic_destroy(f->plic);
	if (f->path[0])
		unlink(f->path);
	free(f->mem);
	free(f);
}

static struct fix *blk_fix(bool ro)
{
	struct fix *f = fix_new();
	struct virtio_device d;
	berth_error_t err = NULL;
	uint8_t *disk = xmalloc0(DISK_SIZE);

	for (unsigned i = 0; i < DISK_SIZE; i++)
		disk[i] = (uint8_t)(i / 512 + i);
	snprintf(f->path, sizeof(f->path), "/tmp/berth-vm-disk.XXXXXX");
	int fd = mkstemp(f->path);
	assert_true(fd >= 0);
	assert_int_equal(util_write_all(fd, disk, DISK_SIZE), 0);
	close(fd);
	free(disk);
	assert_int_equal(virtio_blk_init(&d, f->path, ro, 0, &err), 0);
	f->t = virtio_mmio_create(&d, &f->ram, f->plic, 1);
	return f;
}

/* The driver's side of initialization; returns the status after FEATURES_OK. */
static uint32_t driver_init(struct fix *f, uint64_t features, bool setup_queue)
{
	wr(f, R_STATUS, 0);
	wr(f, R_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(f, R_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(f, R_DRV_FEAT_SEL, 0);
	wr(f, R_DRV_FEAT, (uint32_t)features);
	wr(f, R_DRV_FEAT_SEL, 1);
	wr(f, R_DRV_FEAT, (uint32_t)(features >> 32));
	wr(f, R_STATUS,
	   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	uint32_t st = rd(f, R_STATUS);
	if (!setup_queue)
		return st;
	wr(f, R_QSEL, 0);
	assert_int_equal(rd(f, R_QNUM_MAX), VIRTQ_MAX_SIZE);
	wr(f, R_QNUM, QNUM);
	wr(f, R_DESC, (uint32_t)(RAM_BASE + DESC));
	wr(f, R_DESC + 4, 0);
	wr(f, R_DRIVER, (uint32_t)(RAM_BASE + AVAIL));
	wr(f, R_DRIVER + 4, 0);
	wr(f, R_DEVICE, (uint32_t)(RAM_BASE + USED));
	wr(f, R_DEVICE + 4, 0);
	wr(f, R_QREADY, 1);
	wr(f, R_STATUS, st | VIRTIO_STATUS_DRIVER_OK);
	return st;
}

static void set_desc(struct fix *f, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
                     uint16_t next)
{
	uint8_t *d = f->mem + DESC + 16 * i;
	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
}

static void offer(struct fix *f, uint16_t head)
{
	memcpy(f->mem + AVAIL + 4 + 2 * (f->avail_idx % QNUM), &head, 2);
	f->avail_idx++;
	memcpy(f->mem + AVAIL + 2, &f->avail_idx, 2);
	wr(f, R_NOTIFY, 0);
}

static void used(struct fix *f, unsigned i, uint32_t *id, uint32_t *len)
{
	memcpy(id, f->mem + USED + 4 + 8 * (i % QNUM), 4);
	memcpy(len, f->mem + USED + 8 + 8 * (i % QNUM), 4);
}

/* Submit a 3-descriptor request; returns the status byte. */
static uint8_t blk_req(struct fix *f, uint32_t type, uint64_t sector, uint32_t len, bool write)
{
	uint32_t hdr[4] = {type, 0, (uint32_t)sector, (uint32_t)(sector >> 32)};
	uint32_t id, ulen;

	memcpy(f->mem + HDR, hdr, 16);
	f->mem[STATUS] = 0xff;
	set_desc(f, 0, RAM_BASE + HDR, 16, VIRTQ_DESC_F_NEXT, 1);
	set_desc(f, 1, RAM_BASE + DATA, len,
	         (uint16_t)(VIRTQ_DESC_F_NEXT | (write ? 0 : VIRTQ_DESC_F_WRITE)), 2);
	set_desc(f, 2, RAM_BASE + STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
	offer(f, 0);
	used(f, f->avail_idx - 1, &id, &ulen);
	assert_int_equal(id, 0);
	return f->mem[STATUS];
}

static void test_registers(void **state)
{
	(void)state;
	struct fix *f = blk_fix(false);

	assert_int_equal(rd(f, R_MAGIC), 0x74726976);
	assert_int_equal(rd(f, R_VERSION), 2);
	assert_int_equal(rd(f, R_DEVICE_ID), VIRTIO_ID_BLOCK);
	wr(f, R_DEV_FEAT_SEL, 1);
	assert_true(rd(f, R_DEV_FEAT) & 1); /* VERSION_1 */
	wr(f, R_DEV_FEAT_SEL, 0);
	assert_true(rd(f, R_DEV_FEAT) & (1u << VIRTIO_F_RING_EVENT_IDX));
	uint64_t v;
	assert_int_equal(virtio_mmio_read(f->t, 0x100, 4, &v), 0); /* capacity, low half */
	assert_int_equal(v, DISK_SIZE / 512);
	assert_int_equal(virtio_mmio_read(f->t, 0x100, 8, &v), 0);
	assert_int_equal(v, DISK_SIZE / 512);
	assert_int_equal(virtio_mmio_read(f->t, 0xff0, 4, &v), 0); /* past the config */
	assert_int_equal(v, 0);
	assert_int_equal(virtio_mmio_read(f->t, R_MAGIC, 2, &v), -1);
	fix_free(f);
}

static void test_features(void **state)
{
	(void)state;
	struct fix *f = blk_fix(false);

	/* a legacy driver (no VERSION_1) is refused */
	assert_false(driver_init(f, 0, false) & VIRTIO_STATUS_FEATURES_OK);
	/* so is a feature we never offered */
	assert_false(driver_init(f, (1ull << VIRTIO_F_VERSION_1) | (1ull << 60), false) &
	             VIRTIO_STATUS_FEATURES_OK);
	assert_true(driver_init(f, 1ull << VIRTIO_F_VERSION_1, false) & VIRTIO_STATUS_FEATURES_OK);
	wr(f, R_STATUS, 0);
	assert_int_equal(rd(f, R_STATUS), 0);
	fix_free(f);
}

static void test_blk_io(void **state)
{
	(void)state;
	struct fix *f = blk_fix(false);
	uint32_t id, len;

	driver_init(f, 1ull << VIRTIO_F_VERSION_1, true);
	assert_int_equal(blk_req(f, 0, 2, 1024, false), 0); /* read sectors 2-3 */
	used(f, 0, &id, &len);
	assert_int_equal(len, 1025);
	assert_int_equal(f->mem[DATA], (uint8_t)(2 + 1024));
	assert_int_equal(f->mem[DATA + 600], (uint8_t)(3 + 1024 + 600));
	assert_int_equal(rd(f, R_ISR) & 1, 1);
	assert_true(line);
	wr(f, R_ACK, 1);
	assert_false(line);

	memset(f->mem + DATA, 0xab, 512);
	assert_int_equal(blk_req(f, 1, 5, 512, true), 0); /* write sector 5 */
	assert_int_equal(blk_req(f, 0, 5, 512, false), 0);
	assert_int_equal(f->mem[DATA + 17], 0xab);
	assert_int_equal(blk_req(f, 4, 0, 0, false), 0);                 /* flush, no data */
	assert_int_equal(blk_req(f, 0, DISK_SIZE / 512, 512, false), 1); /* past the end */
	assert_int_equal(blk_req(f, 0, UINT64_MAX / 256, 512, false), 1);
	assert_int_equal(blk_req(f, 8, 0, 20, false), 0); /* get_id */
	assert_memory_equal(f->mem + DATA, "berth-disk0", 11);
	assert_int_equal(blk_req(f, 99, 0, 512, false), 2); /* unsupported */
	/* discard: one segment of 8 sectors at 8 */
	uint64_t seg[2] = {8, 8};
	memcpy(f->mem + DATA, seg, 16);
	assert_int_equal(blk_req(f, 11, 0, 16, true), 0);
	seg[0] = DISK_SIZE / 512; /* past the end */
	memcpy(f->mem + DATA, seg, 16);
	assert_int_equal(blk_req(f, 11, 0, 16, true), 2);
	assert_false(virtio_mmio_status(f->t) & VIRTIO_STATUS_NEEDS_RESET);
	fix_free(f);
}

static void test_blk_ro(void **state)
{
	(void)state;
	struct fix *f = blk_fix(true);

	wr(f, R_DEV_FEAT_SEL, 0);
	assert_true(rd(f, R_DEV_FEAT) & (1u << 5)); /* VIRTIO_BLK_F_RO */
	driver_init(f, 1ull << VIRTIO_F_VERSION_1 | (1ull << 5), true);
	assert_int_equal(blk_req(f, 1, 0, 512, true), 1);
	assert_int_equal(blk_req(f, 0, 0, 512, false), 0);
	fix_free(f);
}

static void test_corrupt_ring(void **state)
{
	(void)state;
	struct fix *f = blk_fix(false);
	uint16_t head = 200;

	driver_init(f, 1ull << VIRTIO_F_VERSION_1, true);
	memcpy(f->mem + AVAIL + 4, &head, 2);
	f->avail_idx = 1;
	memcpy(f->mem + AVAIL + 2, &f->avail_idx, 2);
	wr(f, R_NOTIFY, 0);
	assert_true(rd(f, R_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
	assert_true(rd(f, R_ISR) & 2);
	assert_true(line);
	/* further notifies do nothing; a reset brings it back */
	wr(f, R_NOTIFY, 0);
	wr(f, R_STATUS, 0);
	assert_int_equal(rd(f, R_STATUS), 0);
	assert_false(line);
	f->avail_idx = 0;
	memset(f->mem + AVAIL, 0, 0x100);
	memset(f->mem + USED, 0, 0x100);
	driver_init(f, 1ull << VIRTIO_F_VERSION_1, true);
	assert_int_equal(blk_req(f, 0, 0, 512, false), 0);
	fix_free(f);
}

static void test_queue_outside_ram(void **state)
{
	(void)state;
	struct fix *f = blk_fix(false);

	driver_init(f, 1ull << VIRTIO_F_VERSION_1, false);
	wr(f, R_QSEL, 0);
	wr(f, R_QNUM, QNUM);
	wr(f, R_DESC, 0x1000); /* below RAM */
	wr(f, R_QREADY, 1);
	assert_true(rd(f, R_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
	/* a queue that does not exist */
	wr(f, R_QSEL, 7);
	assert_int_equal(rd(f, R_QNUM_MAX), 0);
	wr(f, R_QREADY, 1);
	wr(f, R_NOTIFY, 7);
	wr(f, R_NOTIFY, 0xffffffff);
	fix_free(f);
}

static void test_empty_slot(void **state)
{
	(void)state;
	struct fix *f = fix_new();

	f->t = virtio_mmio_create(NULL, &f->ram, f->plic, 1);
	assert_int_equal(rd(f, R_MAGIC), 0x74726976);
	assert_int_equal(rd(f, R_DEVICE_ID), 0);
	wr(f, R_STATUS, 1);
	assert_int_equal(rd(f, R_STATUS), 0);
	wr(f, R_NOTIFY, 0);
	fix_free(f);
}

static void test_rng(void **state)
{
	(void)state;
	struct fix *f = fix_new();
	struct virtio_device d;
	uint32_t id, len;

	virtio_rng_init(&d);
	f->t = virtio_mmio_create(&d, &f->ram, f->plic, 1);
	driver_init(f, 1ull << VIRTIO_F_VERSION_1, true);
	set_desc(f, 0, RAM_BASE + DATA, 64, VIRTQ_DESC_F_WRITE, 0);
	offer(f, 0);
	used(f, 0, &id, &len);
	assert_int_equal(len, 64);
	uint8_t zero[64] = {0};
	assert_memory_not_equal(f->mem + DATA, zero, 64);
	fix_free(f);
}

/* virtio-input: the config space answers select/subsel; Ctrl-Alt-Del is eight events in
 * eight buffers, all of them or none. */
static void test_input(void **state)
{
	(void)state;
	struct fix *f = fix_new();
	struct virtio_device d;
	uint64_t v;
	uint32_t id, len;
	uint16_t ev[4];

	virtio_input_init(&d);
	f->t = virtio_mmio_create(&d, &f->ram, f->plic, 1);
	assert_int_equal(rd(f, 0x008), 18); /* DeviceID */
	/* ID_NAME */
	assert_int_equal(virtio_mmio_write(f->t, 0x100, 1, 0x01), 0);
	assert_int_equal(virtio_mmio_write(f->t, 0x101, 1, 0), 0);
	assert_int_equal(virtio_mmio_read(f->t, 0x102, 1, &v), 0);
	assert_int_equal(v, strlen("berth power keyboard"));
	assert_int_equal(virtio_mmio_read(f->t, 0x108, 4, &v), 0);
	assert_memory_equal(&v, "bert", 4);
	/* EV_BITS for EV_KEY: Left Ctrl (29), Left Alt (56), Delete (111) */
	assert_int_equal(virtio_mmio_write(f->t, 0x100, 2, 0x0111), 0);
	assert_int_equal(virtio_mmio_read(f->t, 0x102, 1, &v), 0);
	assert_int_equal(v, 14);
	assert_int_equal(virtio_mmio_read(f->t, 0x108 + 29 / 8, 1, &v), 0);
	assert_true(v & (1u << (29 % 8)));
	assert_int_equal(virtio_mmio_read(f->t, 0x108 + 111 / 8, 1, &v), 0);
	assert_true(v & (1u << (111 % 8)));
	/* EV_BITS for EV_REL (2) and an unknown select: size 0; the driver cannot write size,
	 * nor past the config space */
	assert_int_equal(virtio_mmio_write(f->t, 0x101, 1, 2), 0);
	assert_int_equal(virtio_mmio_read(f->t, 0x102, 1, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(virtio_mmio_write(f->t, 0x100, 1, 0x7f), 0);
	assert_int_equal(virtio_mmio_read(f->t, 0x102, 1, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(virtio_mmio_write(f->t, 0x102, 1, 99), 0);
	assert_int_equal(virtio_mmio_read(f->t, 0x102, 1, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(virtio_mmio_write(f->t, 0x100 + 4000, 4, 1), 0);
	/* the driver not ready: refused */
	assert_int_equal(virtio_input_ctrl_alt_del(f->t), -1);
	driver_init(f, 1ull << VIRTIO_F_VERSION_1, true);
	/* seven buffers are too few: none is used */
	for (unsigned i = 0; i < 7; i++) {
		set_desc(f, i, RAM_BASE + DATA + 8 * i, 8, VIRTQ_DESC_F_WRITE, 0);
		offer(f, (uint16_t)i);
	}
	assert_int_equal(virtio_input_ctrl_alt_del(f->t), -1);
	memcpy(&ev[0], f->mem + USED + 2, 2);
	assert_int_equal(ev[0], 0);
	set_desc(f, 7, RAM_BASE + DATA + 56, 8, VIRTQ_DESC_F_WRITE, 0);
	offer(f, 7);
	assert_int_equal(virtio_input_ctrl_alt_del(f->t), 0);
	memcpy(&ev[0], f->mem + USED + 2, 2);
	assert_int_equal(ev[0], 8);
	used(f, 2, &id, &len);
	assert_int_equal(len, 8);
	memcpy(ev, f->mem + DATA + 8 * id, 8);
	assert_int_equal(ev[0], 1);   /* EV_KEY */
	assert_int_equal(ev[1], 111); /* KEY_DELETE */
	assert_int_equal(ev[2], 1);   /* pressed */
	used(f, 7, &id, &len);
	memcpy(ev, f->mem + DATA + 8 * id, 8);
	assert_int_equal(ev[0], 0); /* EV_SYN */
	fix_free(f);
}

static void sink(void *opaque, const uint8_t *buf, size_t len)
{
	struct fix *f = opaque;
	memcpy(f->out + f->out_len, buf, len);
	f->out_len += len;
}

static void test_console(void **state)
{
	(void)state;
	struct fix *f = fix_new();
	struct virtio_device d;

	virtio_console_init(&d, sink, f);
	f->t = virtio_mmio_create(&d, &f->ram, f->plic, 1);
	driver_init(f, 1ull << VIRTIO_F_VERSION_1, false);
	wr(f, R_QSEL, 1);
	wr(f, R_QNUM, QNUM);
	wr(f, R_DESC, (uint32_t)(RAM_BASE + DESC));
	wr(f, R_DRIVER, (uint32_t)(RAM_BASE + AVAIL));
	wr(f, R_DEVICE, (uint32_t)(RAM_BASE + USED));
	wr(f, R_QREADY, 1);
	wr(f, R_STATUS, 0xf);
	memcpy(f->mem + DATA, "hvc!", 4);
	set_desc(f, 0, RAM_BASE + DATA, 4, 0, 0);
	memcpy(f->mem + AVAIL + 4, &(uint16_t){0}, 2);
	memcpy(f->mem + AVAIL + 2, &(uint16_t){1}, 2);
	wr(f, R_NOTIFY, 1);
	assert_int_equal(f->out_len, 4);
	assert_memory_equal(f->out, "hvc!", 4);
	fix_free(f);
}

/* A control message for the multiport console: id, event, value (little-endian). */
static void ctrl_msg(uint8_t m[8], uint32_t id, uint16_t event, uint16_t value)
{
	memcpy(m, &id, 4);
	memcpy(m + 4, &event, 2);
	memcpy(m + 6, &value, 2);
}

/* The control messages of the multiport console, parsed alone: each answer is queued, and
 * hostile ones (short, unknown events, ports out of range, bad values, floods) are ignored
 * and never grow the queue past its bound. */
static void test_console_control(void **state)
{
	(void)state;
	struct vcon_port ports[3] = {
	    {.out = sink}, {.name = "org.a", .out = sink}, {.name = "org.b", .out = sink}};
	struct virtio_device d;
	uint8_t m[8];
	size_t bound;

	virtio_console_init_ports(&d, ports, 3);
	assert_int_equal(d.features, 1ull << 1); /* MULTIPORT */
	assert_int_equal(d.num_queues, 8);
	assert_int_equal(d.config[4], 3); /* max_nr_ports */
	assert_int_equal(virtio_console_pending(d.opaque), 0);
	ctrl_msg(m, 0, VIRTIO_CONSOLE_DEVICE_READY, 1);
	assert_int_equal(virtio_console_control(d.opaque, m, 8), 0);
	assert_int_equal(virtio_console_pending(d.opaque), 3); /* DEVICE_ADD for each port */
	ctrl_msg(m, 0, VIRTIO_CONSOLE_PORT_READY, 1);
	assert_int_equal(virtio_console_control(d.opaque, m, 8), 0);
	assert_int_equal(virtio_console_pending(d.opaque), 4); /* CONSOLE_PORT */
	ctrl_msg(m, 2, VIRTIO_CONSOLE_PORT_READY, 1);
	assert_int_equal(virtio_console_control(d.opaque, m, 8), 0);
	assert_int_equal(virtio_console_pending(d.opaque), 6); /* PORT_NAME, PORT_OPEN */
	/* hostile ones change nothing */
	assert_int_equal(virtio_console_control(d.opaque, m, 7), -1);
	assert_int_equal(virtio_console_control(d.opaque, m, 0), -1);
	ctrl_msg(m, 3, VIRTIO_CONSOLE_PORT_READY, 1);
	assert_int_equal(virtio_console_control(d.opaque, m, 8), -1);
	ctrl_msg(m, 0xffffffffu, VIRTIO_CONSOLE_PORT_READY, 1);
	assert_int_equal(virtio_console_control(d.opaque, m, 8), -1);
	ctrl_msg(m, 1, VIRTIO_CONSOLE_PORT_READY, 0);
	assert_int_equal(virtio_console_control(d.opaque, m, 8), -1);
	ctrl_msg(m, 1, VIRTIO_CONSOLE_PORT_NAME, 1); /* the device's to send, not the driver's */
	assert_int_equal(virtio_console_control(d.opaque, m, 8), -1);
	ctrl_msg(m, 1, 0xffff, 1);
	assert_int_equal(virtio_console_control(d.opaque, m, 8), -1);
	ctrl_msg(m, 7, VIRTIO_CONSOLE_PORT_OPEN, 1);
	assert_int_equal(virtio_console_control(d.opaque, m, 8), -1);
	ctrl_msg(m, 1, VIRTIO_CONSOLE_PORT_OPEN, 1);
	assert_int_equal(virtio_console_control(d.opaque, m, 8), 0);
	ctrl_msg(m, 0, VIRTIO_CONSOLE_DEVICE_READY, 0);
	assert_int_equal(virtio_console_control(d.opaque, m, 8), -1);
	assert_int_equal(virtio_console_pending(d.opaque), 6);
	/* a driver that repeats DEVICE_READY without taking the answers: bounded */
	ctrl_msg(m, 0, VIRTIO_CONSOLE_DEVICE_READY, 1);
	for (int i = 0; i < 10000; i++)
		virtio_console_control(d.opaque, m, 8);
	bound = virtio_console_pending(d.opaque);
	assert_true(bound >= 6 && bound <= 64);
	d.reset(d.opaque);
	assert_int_equal(virtio_console_pending(d.opaque), 0);
	d.destroy(d.opaque);
	/* without named ports: no MULTIPORT, two queues */
	virtio_console_init(&d, sink, NULL);
	assert_int_equal(d.features, 0);
	assert_int_equal(d.num_queues, 2);
	d.destroy(d.opaque);
}

/* Through the transport: DEVICE_READY on the control transmit queue (3), a short message
 * and a chain with no readable bytes ignored; the answers go into the control receive queue
 * (2) once the driver posts buffers there; a named port's transmit queue (5) reaches its
 * sink, and host input its receive queue (4). */
#define RING2 0x10000u /* a second set of rings: DESC, AVAIL, USED at +0, +0x1000, +0x2000 */
static void q2_desc(struct fix *f, unsigned i, uint64_t addr, uint32_t len, uint16_t flags)
{
	uint8_t *d = f->mem + RING2 + 16 * i;
	uint16_t next = 0;
	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
}

static void setup_q(struct fix *f, unsigned q, uint32_t base)
{
	wr(f, R_QSEL, q);
	wr(f, R_QNUM, QNUM);
	wr(f, R_DESC, (uint32_t)(RAM_BASE + base));
	wr(f, R_DRIVER, (uint32_t)(RAM_BASE + base + 0x1000));
	wr(f, R_DEVICE, (uint32_t)(RAM_BASE + base + 0x2000));
	wr(f, R_QREADY, 1);
}

static void test_console_multiport(void **state)
{
	(void)state;
	struct fix *f = fix_new();
	struct fix port = {0};
	struct vcon_port ports[2] = {{.out = sink, .opaque = f},
	                             {.name = "org.berth.x", .out = sink, .opaque = &port}};
	struct virtio_device d;
	uint16_t idx2 = 0, zero = 0;
	uint32_t id, len, event;
	uint8_t m[8];

	virtio_console_init_ports(&d, ports, 2);
	f->t = virtio_mmio_create(&d, &f->ram, f->plic, 1);
	wr(f, R_DEV_FEAT_SEL, 0);
	assert_int_equal(rd(f, R_DEV_FEAT) & 2, 2);
	driver_init(f, (1ull << VIRTIO_F_VERSION_1) | 2, false);
	setup_q(f, 3, DESC);           /* control transmit: the fixture's rings */
	setup_q(f, 2, RING2);          /* control receive */
	setup_q(f, 5, RING2 + 0x4000); /* port 1 transmit */
	setup_q(f, 4, RING2 + 0x8000); /* port 1 receive */
	wr(f, R_STATUS, 0xf);
	/* a short message, a chain with only writable bytes, then DEVICE_READY */
	ctrl_msg(f->mem + DATA, 0, VIRTIO_CONSOLE_DEVICE_READY, 1);
	set_desc(f, 0, RAM_BASE + DATA, 4, 0, 0);
	set_desc(f, 1, RAM_BASE + DATA, 8, VIRTQ_DESC_F_WRITE, 0);
	set_desc(f, 2, RAM_BASE + DATA, 8, 0, 0);
	memcpy(f->mem + AVAIL + 4, &(uint16_t){0}, 2);
	memcpy(f->mem + AVAIL + 6, &(uint16_t){1}, 2);
	memcpy(f->mem + AVAIL + 8, &(uint16_t){2}, 2);
	memcpy(f->mem + AVAIL + 2, &(uint16_t){3}, 2);
	wr(f, R_NOTIFY, 3);
	assert_int_equal(rd(f, R_STATUS) & VIRTIO_STATUS_NEEDS_RESET, 0);
	used(f, 2, &id, &len);
	assert_int_equal(id, 2);
	assert_int_equal(virtio_console_pending(d.opaque), 2); /* DEVICE_ADD 0 and 1 */
	/* the driver posts two control buffers (one too small: it gets what fits) */
	q2_desc(f, 0, RAM_BASE + DATA + 0x100, 64, VIRTQ_DESC_F_WRITE);
	q2_desc(f, 1, RAM_BASE + DATA + 0x200, 4, VIRTQ_DESC_F_WRITE);
	memcpy(f->mem + RING2 + 0x1000 + 4, &zero, 2);
	memcpy(f->mem + RING2 + 0x1000 + 6, &(uint16_t){1}, 2);
	idx2 = 2;
	memcpy(f->mem + RING2 + 0x1000 + 2, &idx2, 2);
	wr(f, R_NOTIFY, 2);
	assert_int_equal(virtio_console_pending(d.opaque), 0);
	memcpy(&len, f->mem + RING2 + 0x2000 + 8, 4);
	assert_int_equal(len, 8);
	memcpy(&id, f->mem + DATA + 0x100, 4);
	memcpy(&event, f->mem + DATA + 0x104, 4);
	assert_int_equal(id, 0);
	assert_int_equal(event & 0xffff, VIRTIO_CONSOLE_DEVICE_ADD);
	memcpy(&len, f->mem + RING2 + 0x2000 + 16, 4);
	assert_int_equal(len, 4);
	/* port 1: the guest writes, the host sink gets it */
	memcpy(f->mem + DATA + 0x300, "port!", 5);
	{
		uint8_t *dd = f->mem + RING2 + 0x4000;
		uint64_t a = RAM_BASE + DATA + 0x300;
		uint32_t l = 5;
		memcpy(dd, &a, 8);
		memcpy(dd + 8, &l, 4);
		memcpy(f->mem + RING2 + 0x5000 + 4, &zero, 2);
		memcpy(f->mem + RING2 + 0x5000 + 2, &(uint16_t){1}, 2);
	}
	wr(f, R_NOTIFY, 5);
	assert_int_equal(port.out_len, 5);
	assert_memory_equal(port.out, "port!", 5);
	assert_int_equal(f->out_len, 0);
	/* host input for port 1 into its receive queue; port 0 has no buffers; no port 5 */
	{
		uint8_t *dd = f->mem + RING2 + 0x8000;
		uint64_t a = RAM_BASE + DATA + 0x400;
		uint32_t l = 16;
		uint16_t fl = VIRTQ_DESC_F_WRITE;
		memcpy(dd, &a, 8);
		memcpy(dd + 8, &l, 4);
		memcpy(dd + 12, &fl, 2);
		memcpy(f->mem + RING2 + 0x9000 + 4, &zero, 2);
		memcpy(f->mem + RING2 + 0x9000 + 2, &(uint16_t){1}, 2);
	}
	assert_int_equal(virtio_console_port_receive(f->t, 1, (const uint8_t *)"in", 2), 2);
	assert_memory_equal(f->mem + DATA + 0x400, "in", 2);
	assert_int_equal(virtio_console_receive(f->t, (const uint8_t *)"x", 1), 0);
	assert_int_equal(virtio_console_port_receive(f->t, 3, (const uint8_t *)"x", 1), 0);
	assert_int_equal(virtio_console_port_receive(f->t, 1000, (const uint8_t *)"x", 1), 0);
	/* a message the driver sends back is answered when it is a PORT_READY */
	ctrl_msg(m, 1, VIRTIO_CONSOLE_PORT_READY, 1);
	assert_int_equal(virtio_console_control(d.opaque, m, 8), 0);
	fix_free(f);
}

/* Terminal input fills the receive queue's buffers, only once the driver is ready. */
static void test_console_input(void **state)
{
	(void)state;
	struct fix *f = fix_new();
	struct virtio_device d;
	uint32_t id, len;

	virtio_console_init(&d, sink, f);
	f->t = virtio_mmio_create(&d, &f->ram, f->plic, 1);
	assert_int_equal(virtio_console_receive(f->t, (const uint8_t *)"early", 5), 0);
	driver_init(f, 1ull << VIRTIO_F_VERSION_1, true); /* queue 0: receive */
	assert_int_equal(virtio_console_receive(f->t, (const uint8_t *)"none yet", 8), 0);
	set_desc(f, 0, RAM_BASE + DATA, 8, VIRTQ_DESC_F_WRITE, 0);
	set_desc(f, 1, RAM_BASE + DATA + 8, 8, VIRTQ_DESC_F_WRITE, 0);
	offer(f, 0);
	offer(f, 1);
	assert_int_equal(rd(f, R_ISR) & 1, 0);
	assert_int_equal(virtio_console_receive(f->t, (const uint8_t *)"hello, world, more", 18),
	                 16);
	assert_int_equal(rd(f, R_ISR) & 1, 1); /* used buffers */
	used(f, 0, &id, &len);
	assert_int_equal(id, 0);
	assert_int_equal(len, 8);
	used(f, 1, &id, &len);
	assert_int_equal(id, 1);
	assert_int_equal(len, 8);
	assert_memory_equal(f->mem + DATA, "hello, world, mo", 16);
	assert_int_equal(virtio_console_receive(f->t, (const uint8_t *)"re", 2), 0);
	/* a corrupt ring: the device needs a reset and takes nothing more */
	memcpy(f->mem + AVAIL + 4 + 2 * (f->avail_idx % QNUM), &(uint16_t){QNUM + 3}, 2);
	f->avail_idx++;
	memcpy(f->mem + AVAIL + 2, &f->avail_idx, 2);
	assert_int_equal(virtio_console_receive(f->t, (const uint8_t *)"x", 1), 0);
	assert_true(rd(f, R_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(virtio_console_receive(f->t, (const uint8_t *)"x", 1), 0);
	fix_free(f);
}

/* virtio-9p: the mount tag in the config space, one request through the queue, and a reply
 * with no room for even an Rlerror. */
static void test_9p(void **state)
{
	(void)state;
	struct fix *f = fix_new();
	struct virtio_device d;
	berth_error_t err = NULL;
	char dir[] = "/tmp/berth-vm-9p.XXXXXX";
	static const uint8_t version[] = {21, 0, 0,   0,   100, 1,   0,   0,   0,   1,  0,
	                                  8,  0, '9', 'P', '2', '0', '0', '0', '.', 'L'};
	uint32_t id, len;
	uint64_t v;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(virtio_9p_init(&d, "/nonexistent-berth-dir", "t", false, &err), -1);
	berth_error_release(&err);
	assert_int_equal(virtio_9p_init(&d, dir, "", false, &err), -1);
	berth_error_release(&err);
	assert_int_equal(virtio_9p_init(&d, dir, "tg", false, &err), 0);
	f->t = virtio_mmio_create(&d, &f->ram, f->plic, 1);
	assert_int_equal(rd(f, R_DEVICE_ID), 9);
	assert_int_equal(rd(f, R_DEV_FEAT) & 1, 1); /* MOUNT_TAG */
	assert_int_equal(virtio_mmio_read(f->t, 0x100, 2, &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(virtio_mmio_read(f->t, 0x102, 1, &v), 0);
	assert_int_equal(v, 't');
	assert_int_equal(virtio_mmio_read(f->t, 0x103, 1, &v), 0);
	assert_int_equal(v, 'g');
	driver_init(f, 1ull << VIRTIO_F_VERSION_1 | 1, true);
	memcpy(f->mem + HDR, version, sizeof(version));
	set_desc(f, 0, RAM_BASE + HDR, sizeof(version), VIRTQ_DESC_F_NEXT, 1);
	set_desc(f, 1, RAM_BASE + DATA, 64, VIRTQ_DESC_F_WRITE, 0);
	offer(f, 0);
	used(f, 0, &id, &len);
	assert_int_equal(len, 21);
	assert_int_equal(f->mem[DATA + 4], 101); /* Rversion */
	assert_int_equal(f->mem[DATA + 9], 1);   /* msize 65536 */
	/* 5 writable bytes: nothing fits, nothing is written */
	memset(f->mem + DATA, 0xee, 64);
	set_desc(f, 1, RAM_BASE + DATA, 5, VIRTQ_DESC_F_WRITE, 0);
	offer(f, 0);
	used(f, 1, &id, &len);
	assert_int_equal(len, 0);
	assert_int_equal(f->mem[DATA], 0xee);
	fix_free(f);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_registers),
	    cmocka_unit_test(test_features),
	    cmocka_unit_test(test_blk_io),
	    cmocka_unit_test(test_blk_ro),
	    cmocka_unit_test(test_corrupt_ring),
	    cmocka_unit_test(test_queue_outside_ram),
	    cmocka_unit_test(test_empty_slot),
	    cmocka_unit_test(test_rng),
	    cmocka_unit_test(test_input),
	    cmocka_unit_test(test_console),
	    cmocka_unit_test(test_console_input),
	    cmocka_unit_test(test_console_control),
	    cmocka_unit_test(test_console_multiport),
	    cmocka_unit_test(test_9p),
	};
	return cmocka_run_group_tests_name("vm_virtio", tests, NULL, NULL);
}
