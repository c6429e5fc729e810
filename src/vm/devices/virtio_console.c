/* SPDX-License-Identifier: MIT */
/* virtio-console: port 0 is the console (the guest's hvc1); what the guest writes on its
 * transmit queue goes to the terminal, and terminal input fills its receive queue's buffers
 * when the machine routes input here (virtio_console_receive, from the console's reader).
 *
 * With named ports (--serial NAME=socket:PATH) the device offers VIRTIO_CONSOLE_F_MULTIPORT:
 * queues 0/1 are port 0's, 2/3 the control queues (device->driver, driver->device), then
 * 4+2(n-1)/5+2(n-1) port n's. The driver's control messages (DEVICE_READY, PORT_READY,
 * PORT_OPEN) are hostile: each is copied out of the chain (at most its 8-byte header is
 * read), an unknown event, a port id out of range, a short message are ignored, and the
 * device's answers wait in a bounded queue until the driver posts control buffers. */
#include "virtio.h"
#include "util.h"

#include <endian.h>
#include <string.h>

#define CONSOLE_RX   0
#define CONSOLE_TX   1
#define CONTROL_RX   2 /* device -> driver */
#define CONTROL_TX   3 /* driver -> device */
#define PENDING_MAX  (4 * (VIRTIO_CONSOLE_MAX_PORTS + 1) + 4)
#define F_MULTIPORT  1
#define CTRL_HDR_LEN 8

struct vcon_msg {
	size_t len;
	uint8_t data[CTRL_HDR_LEN + VIRTIO_CONSOLE_NAME_MAX];
};

struct vcon {
	uint8_t config[12]; /* cols, rows, max_nr_ports, emerg_wr */
	unsigned nports;    /* port 0 and the named ones */
	struct vcon_port ports[VIRTIO_CONSOLE_MAX_PORTS + 1];
	/* control messages for the driver, waiting for buffers on CONTROL_RX */
	struct vcon_msg pending[PENDING_MAX];
	unsigned pending_head, pending_count;
	uint64_t dropped; /* answers that did not fit in pending[] */
	struct virtq_elem elem, rx_elem;
};

/* The port whose transmit queue is qi, or -1. */
static int vcon_tx_port(const struct vcon *c, unsigned qi)
{
	if (qi == CONSOLE_TX)
		return 0;
	if (c->nports > 1 && qi >= 5 && (qi & 1) && (qi - 3) / 2 < c->nports)
		return (int)((qi - 3) / 2);
	return -1;
}

static void vcon_queue_msg(struct vcon *c, uint32_t id, uint16_t event, uint16_t value,
                           const char *name)
{
	struct vcon_msg *m;
	uint32_t id_le = htole32(id);
	uint16_t ev_le = htole16(event), val_le = htole16(value);
	size_t nlen = name != NULL ? strlen(name) : 0;

	if (c->pending_count >= PENDING_MAX) {
		c->dropped++;
		return;
	}
	if (nlen > VIRTIO_CONSOLE_NAME_MAX)
		nlen = VIRTIO_CONSOLE_NAME_MAX;
	m = &c->pending[(c->pending_head + c->pending_count++) % PENDING_MAX];
	memcpy(m->data, &id_le, 4);
	memcpy(m->data + 4, &ev_le, 2);
	memcpy(m->data + 6, &val_le, 2);
	if (nlen > 0)
		memcpy(m->data + CTRL_HDR_LEN, name, nlen);
	m->len = CTRL_HDR_LEN + nlen;
}

/* Move waiting control messages into the driver's CONTROL_RX buffers. */
static int vcon_flush_control(struct virtio_mmio *t, struct vcon *c)
{
	struct virtq *q = virtio_mmio_queue(t, CONTROL_RX);
	bool pushed = false;
	int r = 0;

	while (q != NULL && c->pending_count > 0 &&
	       (r = virtq_pop(q, virtio_mmio_ram(t), &c->rx_elem)) > 0) {
		const struct vcon_msg *m = &c->pending[c->pending_head];
		/* a buffer too small for the whole message gets what fits: the driver drops it */
		size_t n = virtq_elem_write(&c->rx_elem, 0, m->data, m->len);
		virtq_push(q, &c->rx_elem, (uint32_t)n);
		pushed = true;
		c->pending_head = (c->pending_head + 1) % PENDING_MAX;
		c->pending_count--;
	}
	if (pushed)
		virtio_mmio_used(t, CONTROL_RX);
	return r < 0 ? -1 : 0;
}

int virtio_console_control(void *opaque, const uint8_t *msg, size_t len)
{
	struct vcon *c = opaque;
	uint32_t id;
	uint16_t event, value;

	if (len < CTRL_HDR_LEN)
		return -1;
	memcpy(&id, msg, 4);
	memcpy(&event, msg + 4, 2);
	memcpy(&value, msg + 6, 2);
	id = le32toh(id);
	event = le16toh(event);
	value = le16toh(value);
	switch (event) {
	case VIRTIO_CONSOLE_DEVICE_READY:
		if (value != 1)
			return -1;
		for (unsigned p = 0; p < c->nports; p++)
			vcon_queue_msg(c, p, VIRTIO_CONSOLE_DEVICE_ADD, 1, NULL);
		return 0;
	case VIRTIO_CONSOLE_PORT_READY:
		if (id >= c->nports || value != 1)
			return -1;
		if (id == 0) {
			vcon_queue_msg(c, 0, VIRTIO_CONSOLE_CONSOLE_PORT, 1, NULL);
		} else {
			vcon_queue_msg(c, id, VIRTIO_CONSOLE_PORT_NAME, 1, c->ports[id].name);
			/* the host side is a listening socket: always there */
			vcon_queue_msg(c, id, VIRTIO_CONSOLE_PORT_OPEN, 1, NULL);
		}
		return 0;
	case VIRTIO_CONSOLE_PORT_OPEN: /* the guest opened or closed the port: nothing to do */
		return id < c->nports ? 0 : -1;
	default:
		return -1;
	}
}

size_t virtio_console_pending(void *opaque)
{
	return ((struct vcon *)opaque)->pending_count;
}

static int vcon_notify(struct virtio_mmio *t, void *opaque, unsigned qi)
{
	struct vcon *c = opaque;
	struct virtq *q = virtio_mmio_queue(t, qi);
	struct virtq_elem *e = &c->elem;
	int r = 0, port;

	if (c->nports > 1 && qi == CONTROL_TX) {
		uint8_t msg[CTRL_HDR_LEN];
		while ((r = virtq_pop(q, virtio_mmio_ram(t), e)) > 0) {
			size_t n = virtq_elem_read(e, 0, msg, sizeof(msg));
			(void)virtio_console_control(c, msg, n);
			virtq_push(q, e, 0);
		}
		virtio_mmio_used(t, qi);
		if (r < 0)
			return -1;
		return vcon_flush_control(t, c);
	}
	if (c->nports > 1 && qi == CONTROL_RX)
		return vcon_flush_control(t, c);
	port = vcon_tx_port(c, qi);
	if (port < 0)
		return 0; /* receive buffers stay with us until there is input */
	while ((r = virtq_pop(q, virtio_mmio_ram(t), e)) > 0) {
		const struct vcon_port *p = &c->ports[port];
		for (unsigned i = 0; i < e->n_out; i++)
			if (p->out != NULL && e->iov[i].iov_len > 0)
				p->out(p->opaque, e->iov[i].iov_base, e->iov[i].iov_len);
		virtq_push(q, e, 0);
	}
	virtio_mmio_used(t, qi);
	return r;
}

static long vcon_rx(struct virtio_mmio *t, void *opaque, unsigned qi, const void *buf, size_t len)
{
	struct vcon *c = opaque;
	struct virtq *q = virtio_mmio_queue(t, qi);
	size_t done = 0;
	bool pushed = false;
	int r = 1;

	if (q == NULL)
		return 0;
	while (done < len && (r = virtq_pop(q, virtio_mmio_ram(t), &c->rx_elem)) > 0) {
		size_t n =
		    virtq_elem_write(&c->rx_elem, 0, (const uint8_t *)buf + done, len - done);
		virtq_push(q, &c->rx_elem, (uint32_t)n);
		pushed = true;
		done += n;
		if (n == 0)
			break; /* a chain with no writable bytes: taken, nothing in it */
	}
	if (r < 0)
		return -1;
	if (pushed) /* no interrupt when there was nowhere to put the input */
		virtio_mmio_used(t, qi);
	return (long)done;
}

size_t virtio_console_receive(struct virtio_mmio *t, const uint8_t *buf, size_t len)
{
	return virtio_mmio_input(t, CONSOLE_RX, vcon_rx, buf, len);
}

size_t virtio_console_port_receive(struct virtio_mmio *t, unsigned port, const uint8_t *buf,
                                   size_t len)
{
	/* the queue of port n is fixed by the layout: 0 for port 0, 2 + 2n for the others; a
	 * port the device does not have has no queue (virtio_mmio_queue() says NULL) */
	if (port > VIRTIO_CONSOLE_MAX_PORTS)
		return 0;
	return virtio_mmio_input(t, port == 0 ? CONSOLE_RX : 2 + 2 * port, vcon_rx, buf, len);
}

static void vcon_reset(void *opaque)
{
	struct vcon *c = opaque;

	c->pending_head = c->pending_count = 0;
}

static void vcon_destroy(void *opaque)
{
	free(opaque);
}

void virtio_console_init_ports(struct virtio_device *dev, const struct vcon_port *ports,
                               unsigned nports)
{
	struct vcon *c = xmalloc0(sizeof(*c));
	uint32_t max;

	if (nports < 1)
		nports = 1;
	if (nports > VIRTIO_CONSOLE_MAX_PORTS + 1)
		nports = VIRTIO_CONSOLE_MAX_PORTS + 1;
	c->nports = nports;
	for (unsigned i = 0; i < nports; i++)
		c->ports[i] = ports[i];
	max = htole32(nports);
	if (nports > 1)
		memcpy(c->config + 4, &max, 4);
	*dev = (struct virtio_device){
	    .device_id = VIRTIO_ID_CONSOLE,
	    .features = nports > 1 ? 1ull << F_MULTIPORT : 0,
	    .num_queues = nports > 1 ? 2 + 2 * nports : 2,
	    .config = c->config,
	    .config_size = sizeof(c->config),
	    .opaque = c,
	    .notify = vcon_notify,
	    .reset = vcon_reset,
	    .destroy = vcon_destroy,
	};
}

void virtio_console_init(struct virtio_device *dev, uart_out_fn out, void *opaque)
{
	struct vcon_port p = {.name = NULL, .out = out, .opaque = opaque};

	virtio_console_init_ports(dev, &p, 1);
}
