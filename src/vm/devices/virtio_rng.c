/* SPDX-License-Identifier: MIT */
/* virtio-rng: every writable buffer is filled from getrandom(). */
#include "virtio.h"
#include "util.h"

#include <errno.h>
#include <sys/random.h>

struct rng {
	struct virtq_elem elem;
};

static int rng_notify(struct virtio_mmio *t, void *opaque, unsigned qi)
{
	struct rng *r = opaque;
	struct virtq *q = virtio_mmio_queue(t, qi);
	struct virtq_elem *e = &r->elem;
	int ret;

	while ((ret = virtq_pop(q, virtio_mmio_ram(t), e)) > 0) {
		uint64_t total = 0;
		for (unsigned i = e->n_out; i < e->n_out + e->n_in; i++) {
			size_t done = 0;
			while (done < e->iov[i].iov_len) {
				ssize_t n = getrandom((uint8_t *)e->iov[i].iov_base + done,
				                      e->iov[i].iov_len - done, 0);
				if (n < 0 && errno == EINTR)
					continue;
				if (n <= 0)
					break;
				done += (size_t)n;
			}
			total += done;
			if (done < e->iov[i].iov_len)
				break;
		}
		virtq_push(q, e, (uint32_t)total);
	}
	virtio_mmio_used(t, qi);
	return ret;
}

static void rng_destroy(void *opaque)
{
	free(opaque);
}

void virtio_rng_init(struct virtio_device *dev)
{
	*dev = (struct virtio_device){
	    .device_id = VIRTIO_ID_RNG,
	    .num_queues = 1,
	    .opaque = xmalloc0(sizeof(struct rng)),
	    .notify = rng_notify,
	    .destroy = rng_destroy,
	};
}
