/* SPDX-License-Identifier: MIT */
/* virtio-9p: a host directory shared with the guest (`--share DIR:TAG[,ro]`), served by the
 * 9P2000.L server in p9.c. One request queue; each chain is one T-message in its readable
 * part and room for the R-message in its writable part. The request is copied out of guest
 * memory (at most the largest msize) before the server parses it, so the guest cannot change
 * it under the parser, and the reply is copied back, bounded by the writable length. */
#include "virtio.h"
#include "../p9.h"
#include "util.h"

#include <endian.h>
#include <string.h>

#define VIRTIO_9P_MOUNT_TAG 0
#define P9_TAG_MAX          64

struct v9p {
	struct p9_server *srv;
	uint8_t config[2 + P9_TAG_MAX];
	struct virtq_elem elem;
	uint8_t req[P9_MAX_MSIZE], rep[P9_MAX_MSIZE];
};

static int v9p_notify(struct virtio_mmio *t, void *opaque, unsigned qi)
{
	struct v9p *v = opaque;
	struct virtq *q = virtio_mmio_queue(t, qi);
	struct virtq_elem *e = &v->elem;
	int r;

	while ((r = virtq_pop(q, virtio_mmio_ram(t), e)) > 0) {
		size_t len = virtq_elem_read(e, 0, v->req, sizeof(v->req));
		size_t cap = e->in_len < sizeof(v->rep) ? (size_t)e->in_len : sizeof(v->rep);
		size_t n = p9_handle(v->srv, v->req, len, v->rep, cap);
		virtq_push(q, e, (uint32_t)virtq_elem_write(e, 0, v->rep, n));
	}
	virtio_mmio_used(t, qi);
	return r;
}

static void v9p_reset(void *opaque)
{
	struct v9p *v = opaque;

	p9_server_reset(v->srv);
}

static void v9p_destroy(void *opaque)
{
	struct v9p *v = opaque;

	p9_server_destroy(v->srv);
	free(v);
}

int virtio_9p_init(struct virtio_device *dev, const char *dir, const char *tag, bool ro,
                   berth_error_t *err)
{
	size_t tl = strlen(tag);
	struct p9_server *srv;
	struct v9p *v;
	uint16_t le;

	if (tl == 0 || tl > P9_TAG_MAX)
		return berth_error(err, 0, "--share: the tag must be 1 to %d bytes, got \"%s\"",
		                   P9_TAG_MAX, tag);
	srv = p9_server_create(dir, ro, err);
	if (srv == NULL)
		return -1;
	v = xmalloc0(sizeof(*v));
	v->srv = srv;
	le = htole16((uint16_t)tl);
	memcpy(v->config, &le, 2);
	memcpy(v->config + 2, tag, tl);
	*dev = (struct virtio_device){
	    .device_id = VIRTIO_ID_9P,
	    .features = 1ull << VIRTIO_9P_MOUNT_TAG,
	    .num_queues = 1,
	    .config = v->config,
	    .config_size = 2 + tl,
	    .opaque = v,
	    .notify = v9p_notify,
	    .reset = v9p_reset,
	    .destroy = v9p_destroy,
	};
	return 0;
}
