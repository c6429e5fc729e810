/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the guest's side of virtio-mmio (blk, rng, console, net), the virtqueues
 * behind it, the PLIC and the UART, driven by hostile register writes over hostile RAM.
 *
 * Input: a 2-byte operation count n, n operations of 8 bytes, then the initial guest RAM
 * (repeated to fill 64 KiB). An operation is {target, kind, offset (le16), value (le32)}:
 * kind 0 reads, 1 writes, 2 runs a driver's usual initialization on the target with the
 * rings at offsets taken from the value (so that the fuzzer reaches the queues quickly; for
 * the network card both queues, with the features from the value), 3 (network card only)
 * has the back end deliver a frame of up to 2 KiB taken from guest RAM and kick the card
 * (net_backend_sent(): also the transmit interrupt of a back end that takes frames later, as
 * slirp's does, chosen by bit 2 of n). The card's back end loops every frame the guest sends
 * back to it, so hostile transmit
 * headers and receive chains (mergeable or not) meet in one run. The console has two named
 * ports (MULTIPORT): kind 2 sets up all its queues, the control queues included, so hostile
 * control messages (queue 3) and the answers the device queues for queue 2 meet; kind 3
 * notifies one of its 8 queues, or (bit 8 of the value) gives a port host input. */
#include "vm/devices/virtio.h"
#include "vm/net.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define RAM_BASE 0x80000000ull
#define RAM_SIZE 0x10000u

static void sink(void *opaque, const uint8_t *buf, size_t len)
{
	(void)opaque;
	(void)buf;
	(void)len;
}

static const struct vcon_port cports[3] = {
    {.out = sink}, {.name = "org.berth.a", .out = sink}, {.name = "b", .out = sink}};

static void notify(void *opaque, unsigned ctx, bool level)
{
	(void)opaque;
	(void)ctx;
	(void)level;
}

/* The console with named ports (MULTIPORT): all its queues (port 0, control, ports 1-2) at
 * once, overlapping as they may, so that control messages meet their answers. */
static void console_driver_init(struct virtio_mmio *t, uint32_t v)
{
	uint64_t base = RAM_BASE + (v & 0xf000);
	unsigned num = 1u << ((v >> 17) & 7);

	virtio_mmio_write(t, 0x70, 4, 0);
	virtio_mmio_write(t, 0x70, 4, 3);
	virtio_mmio_write(t, 0x24, 4, 0);
	virtio_mmio_write(t, 0x20, 4, (v & 0x80000000 ? 0x30000000 : 0x20000000) | 2);
	virtio_mmio_write(t, 0x24, 4, 1);
	virtio_mmio_write(t, 0x20, 4, 1);
	virtio_mmio_write(t, 0x70, 4, 0xb);
	for (unsigned q = 0; q < 8; q++) {
		uint64_t b = base + ((v >> 8) & 0xf) * 0x40 * q;
		virtio_mmio_write(t, 0x30, 4, q);
		virtio_mmio_write(t, 0x38, 4, num);
		virtio_mmio_write(t, 0x80, 4, (uint32_t)b);
		virtio_mmio_write(t, 0x90, 4, (uint32_t)(b + 0x800));
		virtio_mmio_write(t, 0xa0, 4, (uint32_t)(b + 0xc00));
		virtio_mmio_write(t, 0x44, 4, 1);
	}
	virtio_mmio_write(t, 0x70, 4, 0xf);
}

static void driver_init(struct virtio_mmio *t, uint32_t v)
{
	uint64_t base = RAM_BASE + (v & 0xf000);
	unsigned q = (v >> 16) & 1, num = 1u << ((v >> 17) & 7);

	virtio_mmio_write(t, 0x70, 4, 0);
	virtio_mmio_write(t, 0x70, 4, 3);
	virtio_mmio_write(t, 0x24, 4, 0);
	virtio_mmio_write(t, 0x20, 4, v & 0x80000000 ? 0x30000020 : 0x20000000);
	virtio_mmio_write(t, 0x24, 4, 1);
	virtio_mmio_write(t, 0x20, 4, 1);
	virtio_mmio_write(t, 0x70, 4, 0xb);
	virtio_mmio_write(t, 0x30, 4, q);
	virtio_mmio_write(t, 0x38, 4, num);
	virtio_mmio_write(t, 0x80, 4, (uint32_t)base);
	virtio_mmio_write(t, 0x90, 4, (uint32_t)(base + 0x800));
	virtio_mmio_write(t, 0xa0, 4, (uint32_t)(base + 0xc00));
	virtio_mmio_write(t, 0x44, 4, 1);
	virtio_mmio_write(t, 0x70, 4, 0xf);
}

/* Both queues of the network card, rings in the 16 KiB at an offset from v; features: MAC,
 * and CSUM, GUEST_CSUM, MRG_RXBUF and the ring features as v's bits say. */
static void net_driver_init(struct virtio_mmio *t, uint32_t v)
{
	uint64_t base = RAM_BASE + (v & 0xc000);
	uint32_t lo = (1u << 5) | (v & 0x8003) | (v & 0x100 ? 1u << 16 : 0) | (v & 0x30000000);

	virtio_mmio_write(t, 0x70, 4, 0);
	virtio_mmio_write(t, 0x70, 4, 3);
	virtio_mmio_write(t, 0x24, 4, 0);
	virtio_mmio_write(t, 0x20, 4, lo);
	virtio_mmio_write(t, 0x24, 4, 1);
	virtio_mmio_write(t, 0x20, 4, 1);
	virtio_mmio_write(t, 0x70, 4, 0xb);
	for (unsigned q = 0; q < 2; q++) {
		uint64_t b = base + q * 0x2000;
		virtio_mmio_write(t, 0x30, 4, q);
		virtio_mmio_write(t, 0x38, 4, 1u << ((v >> (17 + 3 * q)) & 7));
		virtio_mmio_write(t, 0x80, 4, (uint32_t)b);
		virtio_mmio_write(t, 0x90, 4, (uint32_t)(b + 0x1000));
		virtio_mmio_write(t, 0xa0, 4, (uint32_t)(b + 0x1800));
		virtio_mmio_write(t, 0x44, 4, 1);
	}
	virtio_mmio_write(t, 0x70, 4, 0xf);
}

/* The network card's back end: what the guest sends comes back to it. */
static void loop_send(struct net_backend *be, const uint8_t *frame, size_t len)
{
	net_backend_deliver(be, frame, len);
}

static void loop_destroy(struct net_backend *be)
{
	net_backend_fini(be);
}

static const struct net_backend_ops loop_ops = {.send = loop_send, .destroy = loop_destroy};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *ram;
	static int disk_fd = -1;
	struct guest_ram gram;
	struct virtio_device d;
	struct virtio_mmio *t[4];
	struct net_backend be;
	struct plic *plic;
	struct uart *uart;
	berth_error_t err = NULL;
	char path[32];
	size_t n, i;

	if (size < 2)
		return 0;
	if (ram == NULL) {
		ram = malloc(RAM_SIZE);
		disk_fd = memfd_create("fuzz-disk", 0);
		if (ram == NULL || disk_fd < 0 || ftruncate(disk_fd, 64 << 10) < 0)
			abort();
	}
	n = (size_t)(data[0] | (data[1] << 8));
	data += 2;
	size -= 2;
	if (n > size / 8)
		n = size / 8;
	const uint8_t *ops = data, *init = data + 8 * n;
	size_t init_len = size - 8 * n;
	for (i = 0; i < RAM_SIZE; i++)
		ram[i] = init_len ? init[i % init_len] : 0;
	gram = (struct guest_ram){ram, RAM_BASE, RAM_SIZE, NULL};

	plic = plic_create(2, notify, NULL);
	uart = uart_create(plic, 10, sink, NULL);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", disk_fd);
	if (virtio_blk_init(&d, path, (n & 1) != 0, 0, &err) < 0)
		abort();
	t[0] = virtio_mmio_create(&d, &gram, plic, 1);
	virtio_rng_init(&d);
	t[1] = virtio_mmio_create(&d, &gram, plic, 2);
	virtio_console_init_ports(&d, cports, 3);
	t[2] = virtio_mmio_create(&d, &gram, plic, 3);
	net_backend_init(&be, &loop_ops);
	vm_net_mac(0, false, be.mac);
	be.large_tcp = (n & 2) != 0;  /* segmentation offload: whole frames, or cut here */
	be.async_send = (n & 4) != 0; /* transmit interrupts at the back end's kick */
	virtio_net_init(&d, &be);
	t[3] = virtio_mmio_create(&d, &gram, plic, 4);

	for (i = 0; i < n; i++) {
		const uint8_t *op = ops + 8 * i;
		unsigned target = op[0] % 6, kind = op[1] % 4;
		uint64_t off = (uint64_t)(op[2] | (op[3] << 8)), val;
		uint32_t v = (uint32_t)op[4] | ((uint32_t)op[5] << 8) | ((uint32_t)op[6] << 16) |
		             ((uint32_t)op[7] << 24);
		unsigned sz = 1u << (op[1] >> 6);
		switch (target) {
		case 0:
		case 1:
		case 2:
		case 3:
			off &= 0x1ff;
			if (kind == 3 && target == 3) {
				size_t at = v % RAM_SIZE, len = (v >> 16) & 0x7ff;
				if (len > RAM_SIZE - at)
					len = RAM_SIZE - at;
				net_backend_deliver(&be, ram + at, len);
				net_backend_sent(&be); /* a kick, frames or not */
			} else if (kind == 2 && target == 3) {
				net_driver_init(t[target], v);
			} else if (kind == 2 && target == 2) {
				console_driver_init(t[target], v);
			} else if (kind == 3 && target == 2 && (v & 0x100)) {
				/* host input for a port (0: the console; 3: none) */
				virtio_console_port_receive(t[target], (v >> 9) & 3, op + 4, 4);
			} else if (kind == 3 && target == 2) {
				virtio_mmio_write(t[target], 0x50, 4, v & 7);
			} else if (kind == 2) {
				driver_init(t[target], v);
			} else if (kind == 3) {
				virtio_mmio_write(t[target], 0x50, 4, v & 3);
			} else if (kind == 1) {
				virtio_mmio_write(t[target], off, off < 0x100 ? 4 : sz, v);
			} else {
				virtio_mmio_read(t[target], off, off < 0x100 ? 4 : sz, &val);
			}
			break;
		case 4:
			if (kind == 1)
				uart_write(uart, off & 7, 1, v);
			else if (kind == 2)
				uart_receive(uart, op + 4, 4);
			else
				uart_read(uart, off & 7, 1, &val);
			break;
		case 5:
			off = (off << 8) % PLIC_SIZE & ~3ull;
			if (kind == 1)
				plic_write(plic, off, 4, v);
			else if (kind == 2)
				plic_set_irq(plic, v % 128, v & 0x100);
			else
				plic_read(plic, off, 4, &val);
			break;
		}
	}
	for (i = 0; i < 4; i++)
		virtio_mmio_destroy(t[i]);
	net_backend_fini(&be);
	uart_destroy(uart);
	plic_destroy(plic);
	return 0;
}
