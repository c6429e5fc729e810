/* SPDX-License-Identifier: MIT */
/* virtio over MMIO (transport version 2) and the devices behind it. The transport owns the
 * registers, feature negotiation, status and queues; a device supplies its id, features,
 * config space and a notify handler that drains a queue. Requests are served synchronously
 * on the hart that wrote QueueNotify, under the transport's lock. */
#ifndef BERTH_VM_VIRTIO_H
#define BERTH_VM_VIRTIO_H

#include "devices.h"
#include "virtqueue.h"
#include "error.h"

#define VIRTIO_MMIO_SIZE       0x1000
#define VIRTIO_MMIO_MAX_QUEUES 10 /* virtio-console: 2 + 2 per port, 4 ports */

#define VIRTIO_F_RING_INDIRECT_DESC 28
#define VIRTIO_F_RING_EVENT_IDX     29
#define VIRTIO_F_VERSION_1          32

#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER      2
#define VIRTIO_STATUS_DRIVER_OK   4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED      0x80

enum {
	VIRTIO_ID_NET = 1,
	VIRTIO_ID_BLOCK = 2,
	VIRTIO_ID_CONSOLE = 3,
	VIRTIO_ID_RNG = 4,
	VIRTIO_ID_9P = 9,
	VIRTIO_ID_INPUT = 18
};

struct virtio_mmio;

struct virtio_device {
	uint32_t device_id;
	uint64_t features; /* device features; the transport adds VERSION_1 and the ring ones */
	unsigned num_queues;
	uint8_t *config; /* config space, little-endian, config_size bytes */
	size_t config_size;
	void *opaque;
	/* Drain queue q: returns 0, or -1 when the ring is corrupt (the transport then sets
	 * NEEDS_RESET). Called with the transport locked. */
	int (*notify)(struct virtio_mmio *t, void *opaque, unsigned q);
	void (*reset)(void *opaque);
	void (*destroy)(void *opaque);
	/* Optional: called once the transport exists, for devices fed from host threads. */
	void (*start)(void *opaque, struct virtio_mmio *t);
	/* Optional: the driver wrote size bytes (val) at off in the config space (bounded by
	 * the transport to config_size). Called with the transport locked. NULL: read-only. */
	void (*config_write)(void *opaque, uint64_t off, unsigned size, uint64_t val);
};

/* dev NULL: an empty slot (device id 0), as QEMU virt has. The transport takes dev over. */
struct virtio_mmio *virtio_mmio_create(const struct virtio_device *dev, const struct guest_ram *ram,
                                       struct plic *plic, unsigned irq);
void virtio_mmio_destroy(struct virtio_mmio *t);
int virtio_mmio_read(void *dev, uint64_t off, unsigned size, uint64_t *val);
int virtio_mmio_write(void *dev, uint64_t off, unsigned size, uint64_t val);
uint32_t virtio_mmio_status(struct virtio_mmio *t);
/* Snapshots (the VM_DEVICE hooks of every virtio-mmio slot and the keyboard). */
void virtio_mmio_save(void *dev, struct vm_snap_writer *w, uint32_t inst);
int virtio_mmio_load(void *dev, const struct vm_snap_reader *r, uint32_t inst, berth_error_t *err);
/* For device notify handlers. */
struct virtq *virtio_mmio_queue(struct virtio_mmio *t, unsigned q);
const struct guest_ram *virtio_mmio_ram(struct virtio_mmio *t);
/* Input from a host thread for queue q: fn runs under the transport's lock, only while the
 * driver is ready (DRIVER_OK, not NEEDS_RESET) and the queue is set up; it returns the bytes
 * it took or -1 for a corrupt ring (the transport then sets NEEDS_RESET). Returns the bytes
 * taken (0 when the device is not ready). */
typedef long (*virtio_input_fn)(struct virtio_mmio *t, void *opaque, unsigned q, const void *buf,
                                size_t len);
size_t virtio_mmio_input(struct virtio_mmio *t, unsigned q, virtio_input_fn fn, const void *buf,
                         size_t len);
/* Buffers were pushed to queue q: interrupt the driver if it wants one. */
void virtio_mmio_used(struct virtio_mmio *t, unsigned q);
/* The features the driver accepted (with the transport locked, as in notify). */
uint64_t virtio_mmio_driver_features(struct virtio_mmio *t);
/* From a host thread: the device has something for queue q. Locks the transport and calls
 * the device's notify for q as a driver's QueueNotify would (only while the driver is live). */
void virtio_mmio_kick(struct virtio_mmio *t, unsigned q);

/* Devices. out receives what the guest writes to the console. */
int virtio_blk_init(struct virtio_device *dev, const char *path, bool ro, unsigned index,
                    berth_error_t *err);
/* The same on an open disk fd (not taken over: a duplicate shares its open file description,
 * so a lock on it lasts as long as the caller's fd, across the board's rebuilds). */
int virtio_blk_init_fd(struct virtio_device *dev, int fd, const char *path, bool ro, unsigned index,
                       berth_error_t *err);
void virtio_rng_init(struct virtio_device *dev);
/* A host directory shared with the guest as mount tag `tag` (p9.c serves it). */
int virtio_9p_init(struct virtio_device *dev, const char *dir, const char *tag, bool ro,
                   berth_error_t *err);
void virtio_console_init(struct virtio_device *dev, uart_out_fn out, void *opaque);
/* virtio-console with named ports (VIRTIO_CONSOLE_F_MULTIPORT when nports > 1): ports[0] is
 * the console (name NULL), ports[1..] named ports the guest sees as /dev/vportNpM with
 * /sys/class/virtio-ports/vportNpM/name. out(opaque) gets what the guest writes on each. */
#define VIRTIO_CONSOLE_MAX_PORTS 3  /* named ports, besides the console */
#define VIRTIO_CONSOLE_NAME_MAX  64 /* the longest port name */
enum {
	VIRTIO_CONSOLE_DEVICE_READY = 0,
	VIRTIO_CONSOLE_DEVICE_ADD = 1,
	VIRTIO_CONSOLE_DEVICE_REMOVE = 2,
	VIRTIO_CONSOLE_PORT_READY = 3,
	VIRTIO_CONSOLE_CONSOLE_PORT = 4,
	VIRTIO_CONSOLE_RESIZE = 5,
	VIRTIO_CONSOLE_PORT_OPEN = 6,
	VIRTIO_CONSOLE_PORT_NAME = 7,
};
struct vcon_port {
	const char *name;
	uart_out_fn out;
	void *opaque;
};
void virtio_console_init_ports(struct virtio_device *dev, const struct vcon_port *ports,
                               unsigned nports);
/* One control message from the driver (its bytes, len of them) for the device dev->opaque:
 * 0 when it was understood, -1 when it was ignored (short, unknown event, port out of range,
 * bad value). Answers wait for the driver's control buffers; virtio_console_pending() says
 * how many. Exposed for the unit tests and the fuzzer. */
int virtio_console_control(void *opaque, const uint8_t *msg, size_t len);
size_t virtio_console_pending(void *opaque);
/* Input for named port `port` (1..): the bytes taken, 0 when the guest has no buffer. */
size_t virtio_console_port_receive(struct virtio_mmio *t, unsigned port, const uint8_t *buf,
                                   size_t len);
struct net_backend;
/* A network card on back end be (not taken over: it outlives the card). */
void virtio_net_init(struct virtio_device *dev, struct net_backend *be);
/* virtio-input keyboard (virtio_input.c, its own VM_DEVICE): press and release Ctrl-Alt-Del,
 * which a Linux guest's keyboard handler turns into ctrl_alt_del() (SIGINT to init once
 * init has disabled the kernel's own reboot). Returns 0, or -1 when the guest's driver is
 * not ready or has posted too few event buffers. */
int virtio_input_ctrl_alt_del(struct virtio_mmio *t);
/* The keyboard device, for a transport (the board's VM_DEVICE, and the unit tests). */
void virtio_input_init(struct virtio_device *dev);
/* Terminal input for the virtio console (hvc1 in a Linux guest, after the SBI's hvc0): the
 * bytes taken, 0 when the guest has no receive buffer ready. */
size_t virtio_console_receive(struct virtio_mmio *t, const uint8_t *buf, size_t len);

#endif
