/* SPDX-License-Identifier: MIT */
/* virtio-console, a second console: port 0 without MULTIPORT; what the guest writes on the
 * transmit queue goes to the terminal, and terminal input fills the receive queue's buffers
 * when the machine routes input here (virtio_console_receive, from the console's reader). */
#include "virtio.h"
#include "util.h"

#define CONSOLE_RX 0
#define CONSOLE_TX 1

struct vcon {
	uart_out_fn out;
	void *out_opaque;
	uint8_t config[12]; /* cols, rows, max_nr_ports, emerg_wr: unused without features */
	struct virtq_elem elem, rx_elem;
};

static int vcon_notify(struct virtio_mmio *t, void *opaque, unsigned qi)
{
	struct vcon *c = opaque;
	struct virtq *q = virtio_mmio_queue(t, qi);
	struct virtq_elem *e = &c->elem;
	int r;

	if (qi != CONSOLE_TX)
		return 0; /* receive buffers stay with us until there is input */
	while ((r = virtq_pop(q, virtio_mmio_ram(t), e)) > 0) {
		for (unsigned i = 0; i < e->n_out; i++)
			if (c->out != NULL && e->iov[i].iov_len > 0)
				c->out(c->out_opaque, e->iov[i].iov_base, e->iov[i].iov_len);
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

	if (qi != CONSOLE_RX)
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

static void vcon_destroy(void *opaque)
{
	free(opaque);
}

void virtio_console_init(struct virtio_device *dev, uart_out_fn out, void *opaque)
{
	struct vcon *c = xmalloc0(sizeof(*c));

	c->out = out;
	c->out_opaque = opaque;
	*dev = (struct virtio_device){
	    .device_id = VIRTIO_ID_CONSOLE,
	    .num_queues = 2,
	    .config = c->config,
	    .config_size = sizeof(c->config),
	    .opaque = c,
	    .notify = vcon_notify,
	    .destroy = vcon_destroy,
	};
}
