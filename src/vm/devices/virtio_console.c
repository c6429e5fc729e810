/* SPDX-License-Identifier: MIT */
/* virtio-console, a second (output-only) console: port 0 without MULTIPORT; what the guest
 * writes on the transmit queue goes to the terminal, the receive queue is never filled. */
#include "virtio.h"
#include "util.h"

#define CONSOLE_RX 0
#define CONSOLE_TX 1

struct vcon {
	uart_out_fn out;
	void *out_opaque;
	uint8_t config[12]; /* cols, rows, max_nr_ports, emerg_wr: unused without features */
	struct virtq_elem elem;
};

static int vcon_notify(struct virtio_mmio *t, void *opaque, unsigned qi)
{
	struct vcon *c = opaque;
	struct virtq *q = virtio_mmio_queue(t, qi);
	struct virtq_elem *e = &c->elem;
	int r;

	if (qi != CONSOLE_TX)
		return 0; /* receive buffers stay with us until there is input (never) */
	while ((r = virtq_pop(q, virtio_mmio_ram(t), e)) > 0) {
		for (unsigned i = 0; i < e->n_out; i++)
			if (c->out != NULL && e->iov[i].iov_len > 0)
				c->out(c->out_opaque, e->iov[i].iov_base, e->iov[i].iov_len);
		virtq_push(q, e, 0);
	}
	virtio_mmio_used(t, qi);
	return r;
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
