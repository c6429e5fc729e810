/* SPDX-License-Identifier: MIT */
/* virtio-net (virtio 1.x): one receive and one transmit queue, a MAC address, link status,
 * mergeable receive buffers and checksum offload both ways. Frames go to and come from a
 * back end (../net.h) that outlives the card across guest reboots.
 *
 * Transmit (on the hart that notified): each chain is a 12-byte header and one Ethernet frame;
 * it is copied out of guest memory, its checksum completed when the guest asked for it
 * (VIRTIO_NET_F_CSUM), and handed to the back end. A TCP frame of up to 64 KiB the guest
 * left to the card to segment (VIRTIO_NET_F_HOST_TSO4/6) is cut into MSS-sized frames here,
 * so the emulated guest handles one packet where it would have handled forty. With a back end
 * that takes frames later on its own thread (async_send: slirp's), the interrupt for the
 * returned transmit chains waits for that thread's next kick, so that one interrupt covers a
 * segment and the ACK slirp made for it. Receive: the back end's thread queues frames and kicks
 * the card, which fills the guest's buffers (several chains for one frame with
 * VIRTIO_NET_F_MRG_RXBUF) under the transport's lock; a frame waits while the guest has posted
 * too little room for it, and one that can never fit is dropped. */
#include "virtio.h"
#include "../net.h"
#include "util.h"

#include <endian.h>
#include <string.h>

#define VIRTIO_NET_F_CSUM       0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MAC        5
#define VIRTIO_NET_F_HOST_TSO4  11
#define VIRTIO_NET_F_HOST_TSO6  12
#define VIRTIO_NET_F_MRG_RXBUF  15
#define VIRTIO_NET_F_STATUS     16

#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_F_DATA_VALID 2
#define VIRTIO_NET_HDR_GSO_NONE     0
#define VIRTIO_NET_HDR_GSO_TCPV4    1
#define VIRTIO_NET_HDR_GSO_TCPV6    4
#define VIRTIO_NET_S_LINK_UP        1

#define NET_RXQ 0
#define NET_TXQ 1
#define HDR_LEN 12 /* struct virtio_net_hdr with num_buffers: always, for VERSION_1 */
/* Receive chains one frame may take with mergeable buffers; a frame needing more is dropped */
#define RX_MAX_CHAINS 16

struct virtio_net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
};
_Static_assert(sizeof(struct virtio_net_hdr) == HDR_LEN, "virtio_net_hdr");

struct vnet {
	struct net_backend *be;
	struct virtio_mmio *t;
	uint8_t config[12]; /* mac[6], status, max_virtqueue_pairs, mtu (unused) */
	uint64_t tx_frames, tx_dropped, rx_frames, rx_dropped;
	/* transmit chains returned without an interrupt yet (async_send back ends: the next kick
	 * or receive notification gives it) */
	bool tx_unsignalled;
	struct virtq_elem tx;
	struct virtq_elem rx[RX_MAX_CHAINS];
	uint8_t frame[HDR_LEN + NET_FRAME_MAX];
	uint8_t seg[NET_FRAME_MAX];
};

/* The Internet checksum of buf added to sum, not folded. */
static uint64_t csum_add(const uint8_t *buf, size_t len, uint64_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(buf[i] << 8 | buf[i + 1]);
	if (i < len)
		sum += (uint32_t)buf[i] << 8;
	return sum;
}

static uint16_t fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* The Internet checksum of buf, folded, not complemented. */
static uint16_t csum_fold(const uint8_t *buf, size_t len)
{
	return fold(csum_add(buf, len, 0));
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Segment a TCP frame the guest handed over with TSO (gso_type TCPV4 or TCPV6) into frames of
 * at most mss payload bytes, each sent on its own: headers copied, then the IP length (and
 * IPv4 id and header checksum), the sequence number, the flags (FIN and PSH only on the last,
 * CWR only on the first) and the TCP checksum made again. Everything is read from the frame
 * the guest wrote, hostile: returns -1 (drop) for one that is not an IPv4 or IPv6 (no
 * extension headers) TCP frame with headers inside it. */
static int vnet_tso(struct vnet *n, const uint8_t *f, size_t len, bool v6, size_t mss)
{
	const size_t l3 = 14;
	size_t l4, hdrs, payload, off = 0;
	unsigned i = 0;

	if (len < l3 + 40 || mss == 0)
		return -1;
	if (!v6) {
		size_t ihl = (size_t)(f[l3] & 0xf) * 4;
		if (f[12] != 0x08 || f[13] != 0x00 || (f[l3] >> 4) != 4 || ihl < 20 ||
		    f[l3 + 9] != 6)
			return -1;
		l4 = l3 + ihl;
	} else {
		if (f[12] != 0x86 || f[13] != 0xdd || (f[l3] >> 4) != 6 || f[l3 + 6] != 6)
			return -1;
		l4 = l3 + 40;
	}
	if (len < l4 + 20)
		return -1;
	hdrs = l4 + (size_t)(f[l4 + 12] >> 4) * 4;
	if (hdrs < l4 + 20 || len < hdrs || mss > sizeof(n->seg) - hdrs)
		return -1;
	payload = len - hdrs;
	uint32_t seq = get_be32(f + l4 + 4);
	uint16_t id = (uint16_t)(f[l3 + 4] << 8 | f[l3 + 5]);
	do {
		size_t take = payload - off < mss ? payload - off : mss, total = hdrs + take;
		uint8_t *s = n->seg, *tcp = s + l4;
		bool last = off + take >= payload;
		uint64_t sum;

		memcpy(s, f, hdrs);
		memcpy(s + hdrs, f + hdrs + off, take);
		if (!v6) {
			put_be16(s + l3 + 2, (uint16_t)(total - l3));
			put_be16(s + l3 + 4, (uint16_t)(id + i));
			put_be16(s + l3 + 10, 0);
			put_be16(s + l3 + 10, (uint16_t)~csum_fold(s + l3, l4 - l3));
			sum = csum_add(s + l3 + 12, 8, 0);
		} else {
			put_be16(s + l3 + 4, (uint16_t)(total - l4));
			sum = csum_add(s + l3 + 8, 32, 0);
		}
		uint32_t sq = seq + (uint32_t)off;
		tcp[4] = (uint8_t)(sq >> 24);
		tcp[5] = (uint8_t)(sq >> 16);
		tcp[6] = (uint8_t)(sq >> 8);
		tcp[7] = (uint8_t)sq;
		if (!last)
			tcp[13] &= (uint8_t)~0x09; /* FIN, PSH */
		if (i > 0)
			tcp[13] &= (uint8_t)~0x80; /* CWR */
		put_be16(tcp + 16, 0);
		sum += 6 + (total - l4);
		put_be16(tcp + 16, (uint16_t)~fold(csum_add(tcp, total - l4, sum)));
		net_backend_send(n->be, s, total);
		n->tx_frames++;
		off += take;
		i++;
	} while (off < payload);
	return 0;
}

/* Complete a checksum the guest left to the device: the one's complement sum of
 * frame[start..len) (the guest put the pseudo-header's sum in the field) stored at
 * start + offset. Returns -1 when the offsets do not lie inside the frame. */
static int vnet_complete_csum(uint8_t *frame, size_t len, unsigned start, unsigned offset)
{
	uint16_t c;

	if (start > len || offset > len - start || 2 > len - start - offset)
		return -1;
	c = (uint16_t)~csum_fold(frame + start, len - start);
	if (c == 0)
		c = 0xffff; /* as Linux's skb_checksum_help: 0 would mean "none" for UDP */
	frame[start + offset] = (uint8_t)(c >> 8);
	frame[start + offset + 1] = (uint8_t)c;
	return 0;
}

/* Move waiting frames into the guest's receive buffers. */
static int vnet_rx(struct vnet *n)
{
	struct virtq *q = virtio_mmio_queue(n->t, NET_RXQ);
	const struct guest_ram *ram = virtio_mmio_ram(n->t);
	uint64_t feat = virtio_mmio_driver_features(n->t);
	bool mrg = feat & (1ull << VIRTIO_NET_F_MRG_RXBUF);
	const struct net_frame *f;
	bool pushed = false;
	int ret = 0;

	while ((f = net_backend_peek(n->be)) != NULL) {
		uint64_t need = HDR_LEN + f->len, have = 0;
		unsigned k = 0, max = mrg ? RX_MAX_CHAINS : 1;
		int r = 0;

		while (have < need && k < max) {
			r = virtq_pop(q, ram, &n->rx[k]);
			if (r <= 0)
				break;
			have += n->rx[k].in_len;
			k++;
		}
		if (r < 0) {
			ret = -1; /* a corrupt ring: the queue is broken until reset */
			break;
		}
		if (have < need && k < max && k < q->num) {
			virtq_rewind(q, (uint16_t)k); /* wait for more buffers */
			break;
		}
		/* (with the whole ring taken and still too little room, more cannot come) */
		if (have < need) { /* can never fit what the guest posts: drop it */
			virtq_rewind(q, (uint16_t)k);
			n->rx_dropped++;
			net_backend_pop(n->be);
			/* without room for even one frame the buffers stay with us; a guest that
			 * posts only tiny chains gets nothing, as the spec allows */
			continue;
		}
		struct virtio_net_hdr h = {
		    .flags = (feat & (1ull << VIRTIO_NET_F_GUEST_CSUM))
		                 ? VIRTIO_NET_HDR_F_DATA_VALID
		                 : 0,
		    .gso_type = VIRTIO_NET_HDR_GSO_NONE,
		    .num_buffers = htole16((uint16_t)k),
		};
		size_t off = 0; /* bytes of header + frame written */
		for (unsigned i = 0; i < k; i++) {
			size_t room = n->rx[i].in_len, w = 0;
			if (off < HDR_LEN) {
				size_t hn = HDR_LEN - off < room ? HDR_LEN - off : room;
				w += virtq_elem_write(&n->rx[i], 0, (uint8_t *)&h + off, hn);
			}
			if (off + w >= HDR_LEN && w < room && off + w < need) {
				size_t from = off + w - HDR_LEN, dn = f->len - from;
				if (dn > room - w)
					dn = room - w;
				w += virtq_elem_write(&n->rx[i], w, f->data + from, dn);
			}
			off += w;
			virtq_push(q, &n->rx[i], (uint32_t)w);
		}
		pushed = true;
		n->rx_frames++;
		net_backend_pop(n->be);
	}
	if (pushed)
		virtio_mmio_used(n->t, NET_RXQ);
	return ret;
}

static int vnet_tx(struct vnet *n)
{
	struct virtq *q = virtio_mmio_queue(n->t, NET_TXQ);
	const struct guest_ram *ram = virtio_mmio_ram(n->t);
	uint64_t feat = virtio_mmio_driver_features(n->t);
	struct virtq_elem *e = &n->tx;
	int r;

	while ((r = virtq_pop(q, ram, e)) > 0) {
		struct virtio_net_hdr h;
		size_t len;

		if (e->out_len < HDR_LEN || e->out_len > HDR_LEN + NET_FRAME_MAX) {
			n->tx_dropped++;
			virtq_push(q, e, 0);
			continue;
		}
		len = virtq_elem_read(e, 0, n->frame, (size_t)e->out_len);
		memcpy(&h, n->frame, HDR_LEN);
		len -= HDR_LEN;
		if (h.gso_type == VIRTIO_NET_HDR_GSO_TCPV4 ||
		    h.gso_type == VIRTIO_NET_HDR_GSO_TCPV6) {
			bool v6 = h.gso_type == VIRTIO_NET_HDR_GSO_TCPV6;
			uint8_t *fr = n->frame + HDR_LEN;
			if (!(feat &
			      (1ull << (v6 ? VIRTIO_NET_F_HOST_TSO6 : VIRTIO_NET_F_HOST_TSO4))))
				n->tx_dropped++;
			else if (n->be->large_tcp && (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
			         vnet_complete_csum(fr, len, le16toh(h.csum_start),
			                            le16toh(h.csum_offset)) == 0)
				net_backend_send(n->be, fr, len);
			else if (vnet_tso(n, fr, len, v6, le16toh(h.gso_size)) < 0)
				n->tx_dropped++;
			virtq_push(q, e, 0);
			continue;
		}
		if (h.gso_type != VIRTIO_NET_HDR_GSO_NONE || len < 14 ||
		    ((h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
		     (!(feat & (1ull << VIRTIO_NET_F_CSUM)) ||
		      vnet_complete_csum(n->frame + HDR_LEN, len, le16toh(h.csum_start),
		                         le16toh(h.csum_offset)) < 0))) {
			n->tx_dropped++;
			virtq_push(q, e, 0);
			continue;
		}
		net_backend_send(n->be, n->frame + HDR_LEN, len);
		n->tx_frames++;
		virtq_push(q, e, 0);
	}
	if (n->be->async_send)
		n->tx_unsignalled = true; /* at the back end's kick, with its replies */
	else
		virtio_mmio_used(n->t, NET_TXQ);
	if (r < 0)
		return -1;
	/* replies the back end made at once (slirp answers ARP and DHCP inline) */
	return vnet_rx(n);
}

static int vnet_notify(struct virtio_mmio *t, void *opaque, unsigned qi)
{
	struct vnet *n = opaque;

	n->t = t;
	if (qi == NET_TXQ)
		return vnet_tx(n);
	/* the back end's kick (or the guest posting receive buffers) */
	if (n->tx_unsignalled) {
		n->tx_unsignalled = false;
		virtio_mmio_used(t, NET_TXQ);
	}
	return vnet_rx(n);
}

static void vnet_kick(void *card)
{
	struct vnet *n = card;

	virtio_mmio_kick(n->t, NET_RXQ);
}

static void vnet_start(void *opaque, struct virtio_mmio *t)
{
	struct vnet *n = opaque;

	n->t = t;
	net_backend_attach(n->be, n, vnet_kick);
}

static void vnet_destroy(void *opaque)
{
	struct vnet *n = opaque;

	if (n->t != NULL)
		net_backend_detach(n->be);
	free(n);
}

void virtio_net_init(struct virtio_device *dev, struct net_backend *be)
{
	struct vnet *n = xmalloc0(sizeof(*n));
	uint16_t v;

	n->be = be;
	memcpy(n->config, be->mac, 6);
	v = htole16(VIRTIO_NET_S_LINK_UP);
	memcpy(n->config + 6, &v, 2);
	v = htole16(1);
	memcpy(n->config + 8, &v, 2);
	v = htole16(1500);
	memcpy(n->config + 10, &v, 2);
	*dev = (struct virtio_device){
	    .device_id = VIRTIO_ID_NET,
	    .features = (1ull << VIRTIO_NET_F_CSUM) | (1ull << VIRTIO_NET_F_GUEST_CSUM) |
	                (1ull << VIRTIO_NET_F_HOST_TSO4) | (1ull << VIRTIO_NET_F_HOST_TSO6) |
	                (1ull << VIRTIO_NET_F_MAC) | (1ull << VIRTIO_NET_F_MRG_RXBUF) |
	                (1ull << VIRTIO_NET_F_STATUS),
	    .num_queues = 2,
	    .config = n->config,
	    .config_size = sizeof(n->config),
	    .opaque = n,
	    .notify = vnet_notify,
	    .destroy = vnet_destroy,
	    .start = vnet_start,
	};
}
