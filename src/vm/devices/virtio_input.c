/* SPDX-License-Identifier: MIT */
/* virtio-input (virtio 1.x, device id 18): a keyboard with only the keys of Ctrl-Alt-Del, so
 * that the host can ask an unmodified guest to shut down (`berth vm stop`): Linux's keyboard
 * handler (CONFIG_VT) maps Ctrl-Alt-Del to ctrl_alt_del(), which signals init (SIGINT) once
 * init has turned the kernel's own reboot off (busybox init, systemd and berth's guest init
 * do). Only a managed VM has it (cfg->keyboard), in its own slot after the eight virtio
 * slots, so a foreground VM's device tree and virtio numbering are unchanged.
 *
 * Config space (virtio spec 5.8.4): the driver writes select and subsel, then reads size and
 * the union. Queue 0 (eventq) carries events to the driver, queue 1 (statusq) LED changes
 * from it, which are taken and ignored. */
#include "virtio.h"
#include "util.h"

#include <endian.h>
#include <string.h>

enum {
	INPUT_CFG_UNSET = 0x00,
	INPUT_CFG_ID_NAME = 0x01,
	INPUT_CFG_ID_SERIAL = 0x02,
	INPUT_CFG_ID_DEVIDS = 0x03,
	INPUT_CFG_PROP_BITS = 0x10,
	INPUT_CFG_EV_BITS = 0x11,
	INPUT_CFG_ABS_INFO = 0x12,
};

/* linux/input-event-codes.h */
enum {
	EV_SYN = 0x00,
	EV_KEY = 0x01,
	KEY_LEFTCTRL = 29,
	KEY_LEFTALT = 56,
	KEY_DELETE = 111,
	SYN_REPORT = 0,
};

#define INPUT_CONFIG_SIZE 136 /* select, subsel, size, reserved[5], union[128] */
#define INPUT_NAME        "berth power keyboard"

struct input_event_le {
	uint16_t type, code;
	uint32_t value;
};

struct input {
	uint8_t config[INPUT_CONFIG_SIZE];
	struct virtq_elem elem;
};

/* Fill size and the union for the driver's select/subsel. */
static void input_select(struct input *in)
{
	uint8_t sel = in->config[0], sub = in->config[1];
	uint8_t *u = in->config + 8;
	size_t size = 0;

	memset(u, 0, INPUT_CONFIG_SIZE - 8);
	switch (sel) {
	case INPUT_CFG_ID_NAME:
		if (sub == 0) {
			size = sizeof(INPUT_NAME) - 1;
			memcpy(u, INPUT_NAME, size);
		}
		break;
	case INPUT_CFG_ID_DEVIDS:
		if (sub == 0) {
			uint16_t ids[4] = {htole16(0x06) /* BUS_VIRTUAL */, htole16(0x0627),
			                   htole16(0x0001), htole16(0x0001)};
			size = sizeof(ids);
			memcpy(u, ids, size);
		}
		break;
	case INPUT_CFG_EV_BITS:
		if (sub == EV_KEY) {
			u[KEY_LEFTCTRL / 8] |= (uint8_t)(1u << (KEY_LEFTCTRL % 8));
			u[KEY_LEFTALT / 8] |= (uint8_t)(1u << (KEY_LEFTALT % 8));
			u[KEY_DELETE / 8] |= (uint8_t)(1u << (KEY_DELETE % 8));
			size = KEY_DELETE / 8 + 1;
		}
		break;
	default: /* no serial, properties, other event types or axes */
		break;
	}
	in->config[2] = (uint8_t)size;
}

static void input_config_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct input *in = opaque;
	uint64_t v = htole64(val);

	/* only select and subsel are the driver's to write */
	for (unsigned i = 0; i < size && off + i < 2; i++)
		in->config[off + i] = ((uint8_t *)&v)[i];
	if (off < 2)
		input_select(in);
}

static int input_notify(struct virtio_mmio *t, void *opaque, unsigned qi)
{
	struct input *in = opaque;
	struct virtq *q = virtio_mmio_queue(t, qi);
	int ret = 0;

	if (qi != 1)
		return 0; /* eventq: buffers wait for events */
	while ((ret = virtq_pop(q, virtio_mmio_ram(t), &in->elem)) > 0)
		virtq_push(q, &in->elem, 0);
	virtio_mmio_used(t, qi);
	return ret;
}

/* Under the transport's lock: one event per chain; all of them or none. */
static long input_send(struct virtio_mmio *t, void *opaque, unsigned qi, const void *buf,
                       size_t len)
{
	struct input *in = opaque;
	struct virtq *q = virtio_mmio_queue(t, qi);
	const struct input_event_le *ev = buf;
	size_t n = len / sizeof(*ev), done = 0;

	for (; done < n; done++) {
		int r = virtq_pop(q, virtio_mmio_ram(t), &in->elem);
		if (r < 0)
			return -1;
		if (r == 0 || in->elem.in_len < sizeof(*ev)) {
			virtq_rewind(q, (uint16_t)(done + (r > 0)));
			return 0;
		}
	}
	virtq_rewind(q, (uint16_t)n);
	for (size_t i = 0; i < n; i++) {
		if (virtq_pop(q, virtio_mmio_ram(t), &in->elem) <= 0)
			return -1;
		virtq_elem_write(&in->elem, 0, &ev[i], sizeof(ev[i]));
		virtq_push(q, &in->elem, sizeof(ev[i]));
	}
	virtio_mmio_used(t, qi);
	return (long)len;
}

int virtio_input_ctrl_alt_del(struct virtio_mmio *t)
{
#define KEV(type, code, value)                                                                     \
	{                                                                                          \
		htole16(type), htole16(code), htole32(value)                                       \
	}
	const struct input_event_le seq[] = {
	    KEV(EV_KEY, KEY_LEFTCTRL, 1), KEV(EV_KEY, KEY_LEFTALT, 1), KEV(EV_KEY, KEY_DELETE, 1),
	    KEV(EV_SYN, SYN_REPORT, 0),   KEV(EV_KEY, KEY_DELETE, 0),  KEV(EV_KEY, KEY_LEFTALT, 0),
	    KEV(EV_KEY, KEY_LEFTCTRL, 0), KEV(EV_SYN, SYN_REPORT, 0),
	};
#undef KEV
	if (t == NULL)
		return -1;
	return virtio_mmio_input(t, 0, input_send, seq, sizeof(seq)) == sizeof(seq) ? 0 : -1;
}

static void input_destroy(void *opaque)
{
	free(opaque);
}

void virtio_input_init(struct virtio_device *dev)
{
	struct input *in = xmalloc0(sizeof(*in));

	*dev = (struct virtio_device){
	    .device_id = VIRTIO_ID_INPUT,
	    .num_queues = 2,
	    .config = in->config,
	    .config_size = sizeof(in->config),
	    .opaque = in,
	    .notify = input_notify,
	    .destroy = input_destroy,
	    .config_write = input_config_write,
	};
}

static int input_board_create(const struct vm_board *b, unsigned i, void **dev, berth_error_t *err)
{
	struct virtio_device d;

	(void)i;
	(void)err;
	if (!b->cfg->keyboard) {
		*dev = virtio_mmio_create(NULL, b->ram, b->plic, vm_device_virtio_input.irq);
		return 0;
	}
	virtio_input_init(&d);
	*dev = virtio_mmio_create(&d, b->ram, b->plic, vm_device_virtio_input.irq);
	return 0;
}

static void input_board_destroy(void *dev)
{
	virtio_mmio_destroy(dev);
}

/* After QEMU virt's eight virtio-mmio slots (0x10001000..0x10008fff); irq 12 is free there. */
VM_DEVICE(vm_device_virtio_input, .name = "virtio_mmio", .base = 0x10009000,
          .size = VIRTIO_MMIO_SIZE, .irq = 12, .access = VM_ACCESS_ANY, .in_fdt = true,
          VM_FDT_COMPATIBLE("virtio,mmio"), .create = input_board_create, .read = virtio_mmio_read,
          .write = virtio_mmio_write, .destroy = input_board_destroy, .save = virtio_mmio_save,
          .load = virtio_mmio_load);
