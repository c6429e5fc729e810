/* SPDX-License-Identifier: MIT */
/* --net parsing, and virtio-net over virtio-mmio driven like a driver, on a fake back end:
 * transmit with checksum completion, receive into one and several (mergeable) buffers, a
 * frame waiting for buffers, and hostile chains; and the --net user back end's queue of
 * what the guest sends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vm/devices/virtio.h"
#include "vm/machine.h"
#include "vm/net.h"
#include "util.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* --- the parser ----------------------------------------------------------------------- */

static void test_parse_net(void **state)
{
	(void)state;
	berth_error_t err = NULL;
	struct vm_net n;

	assert_int_equal(vm_parse_net("none", &n, &err), 0);
	assert_int_equal(n.kind, VM_NET_NONE);
	assert_int_equal(vm_parse_net("user", &n, &err), 0);
	assert_int_equal(n.kind, VM_NET_USER);
	assert_int_equal(n.nfwd, 0);
	assert_int_equal(vm_parse_net("bridge", &n, &err), 0);
	assert_int_equal(n.kind, VM_NET_BRIDGE);
	assert_string_equal(n.bridge, VM_NET_DEFAULT_BRIDGE);
	vm_net_free(&n);
	assert_int_equal(vm_parse_net("bridge=br-test0", &n, &err), 0);
	assert_string_equal(n.bridge, "br-test0");
	vm_net_free(&n);

	assert_int_equal(
	    vm_parse_net("user,hostfwd=tcp:127.0.0.1:8080-:80,hostfwd=udp::53-10.0.2.15:"
	                 "5353",
	                 &n, &err),
	    0);
	assert_int_equal(n.kind, VM_NET_USER);
	assert_int_equal(n.nfwd, 2);
	assert_false(n.fwd[0].udp);
	assert_int_equal(n.fwd[0].host_addr, htonl(0x7f000001));
	assert_int_equal(n.fwd[0].host_port, 8080);
	assert_int_equal(n.fwd[0].guest_addr, 0);
	assert_int_equal(n.fwd[0].guest_port, 80);
	assert_true(n.fwd[1].udp);
	assert_int_equal(n.fwd[1].host_addr, 0);
	assert_int_equal(n.fwd[1].host_port, 53);
	assert_int_equal(n.fwd[1].guest_addr, htonl(0x0a00020f));
	assert_int_equal(n.fwd[1].guest_port, 5353);
	/* no kind: user */
	assert_int_equal(vm_parse_net("hostfwd=tcp::2222-:22", &n, &err), 0);
	assert_int_equal(n.kind, VM_NET_USER);
	assert_int_equal(n.nfwd, 1);
	assert_int_equal(n.fwd[0].host_port, 2222);
	/* QEMU's empty protocol is tcp */
	assert_int_equal(vm_parse_net("user,hostfwd=::2222-:22", &n, &err), 0);
	assert_false(n.fwd[0].udp);
	assert_null(err);
}

static void test_parse_net_bad(void **state)
{
	(void)state;
	const char *bad[] = {
	    "",
	    "foo",
	    ",",
	    "user,",
	    "user,,hostfwd=tcp::1-:2",
	    "none,hostfwd=tcp::1-:2",
	    "bridge,hostfwd=tcp::1-:2",
	    "bridge=",
	    "bridge=a/b",
	    "bridge=a b",
	    "bridge=..",
	    "bridge=0123456789abcdef",
	    "user,hostfwd=",
	    "user,hostfwd=tcp",
	    "user,hostfwd=tcp::80",
	    "user,hostfwd=tcp::80-",
	    "user,hostfwd=tcp::80-:",
	    "user,hostfwd=tcp::-:80",
	    "user,hostfwd=tcp::0-:80",
	    "user,hostfwd=tcp::65536-:80",
	    "user,hostfwd=tcp::80-:99999",
	    "user,hostfwd=tcp::8x-:80",
	    "user,hostfwd=sctp::80-:80",
	    "user,hostfwd=tcp:1.2.3:80-:80",
	    "user,hostfwd=tcp:::80-:80",
	    "user,hostfwd=tcp::80-1.2.3.4.5:80",
	    "user,restrict=on",
	    "user,hostfwd=tcp::1-:2,x",
	};
	berth_error_t err = NULL;
	struct vm_net n;

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (vm_parse_net(bad[i], &n, &err) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_non_null(err);
		assert_non_null(strstr(err->msg, "--net"));
		assert_null(strchr(err->msg, '\n'));
		berth_error_release(&err);
	}
	/* at most 16 forwards */
	char many[1024] = "user";
	for (int i = 0; i < VM_NET_MAX_HOSTFWD + 1; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), ",hostfwd=tcp::%d-:80",
		         1000 + i);
	assert_int_equal(vm_parse_net(many, &n, &err), -1);
	assert_non_null(strstr(err->msg, "at most 16"));
	berth_error_release(&err);
}

/* vm_run() refuses more disks and cards than the slots hold, before reading anything */
static void test_too_many_cards(void **state)
{
	(void)state;
	struct vm_config cfg = {.kernel = "/nonexistent", .mem = 256ull << 20, .cpus = 1};
	berth_error_t err = NULL;

	cfg.ndisks = 2;
	cfg.nnets = 5;
	for (unsigned i = 0; i < cfg.nnets; i++)
		cfg.nets[i].kind = VM_NET_USER;
	assert_int_equal(vm_run(&cfg, &err), -1);
	assert_non_null(strstr(err->msg, "at most 6 disks, network cards and shares together"));
	berth_error_release(&err);
}

/* --- the card ----------------------------------------------------------------------------- */

#define RAM_BASE 0x80000000ull
#define RAM_SIZE (1u << 20)
#define QNUM     8
/* per queue q: descriptors, avail and used rings at these offsets + q * 0x4000 */
#define DESC  0x1000u
#define AVAIL 0x2000u
#define USED  0x3000u
#define BUF   0x20000u /* buffers */

enum {
	R_DEVICE_ID = 8,
	R_DEV_FEAT = 0x10,
	R_DEV_FEAT_SEL = 0x14,
	R_DRV_FEAT = 0x20,
	R_DRV_FEAT_SEL = 0x24,
	R_QSEL = 0x30,
	R_QNUM = 0x38,
	R_QREADY = 0x44,
	R_NOTIFY = 0x50,
	R_ISR = 0x60,
	R_ISR_ACK = 0x64,
	R_STATUS = 0x70,
	R_DESC = 0x80,
	R_DRIVER = 0x90,
	R_DEVICE = 0xa0,
	R_CONFIG = 0x100,
};

#define F_CSUM       (1ull << 0)
#define F_GUEST_CSUM (1ull << 1)
#define F_MAC        (1ull << 5)
#define F_TSO4       (1ull << 11)
#define F_TSO6       (1ull << 12)
#define F_MRG        (1ull << 15)
#define F_STATUS     (1ull << 16)
#define F_VERSION_1  (1ull << 32)

struct fake_be {
	struct net_backend be;
	uint8_t sent[8][4096];
	size_t sent_len[8];
	unsigned nsent;
};

static void fake_send(struct net_backend *be, const uint8_t *frame, size_t len)
{
	struct fake_be *f = (struct fake_be *)be;

	assert_true(len <= sizeof(f->sent[0]));
	if (f->nsent < 8) {
		memcpy(f->sent[f->nsent], frame, len);
		f->sent_len[f->nsent] = len;
	}
	f->nsent++;
}

static void fake_destroy(struct net_backend *be)
{
	net_backend_fini(be);
	free(be);
}

static const struct net_backend_ops fake_ops = {.send = fake_send, .destroy = fake_destroy};

static void plic_cb(void *opaque, unsigned ctx, bool level)
{
	(void)opaque;
	(void)ctx;
	(void)level;
}

struct nfix {
	uint8_t *mem;
	struct guest_ram ram;
	struct plic *plic;
	struct virtio_mmio *t;
	struct fake_be *be;
	uint16_t avail_idx[2], used_seen[2];
};

static uint32_t rd(struct nfix *f, uint64_t off)
{
	uint64_t v;
	assert_int_equal(virtio_mmio_read(f->t, off, 4, &v), 0);
	return (uint32_t)v;
}

static void wr(struct nfix *f, uint64_t off, uint32_t v)
{
	assert_int_equal(virtio_mmio_write(f->t, off, 4, v), 0);
}

static struct nfix *net_fix(uint64_t features)
{
	struct nfix *f = xmalloc0(sizeof(*f));
	struct virtio_device d;
	uint32_t st;

	f->mem = xmalloc0(RAM_SIZE);
	f->ram = (struct guest_ram){f->mem, RAM_BASE, RAM_SIZE, NULL};
	f->plic = plic_create(2, plic_cb, NULL);
	f->be = xmalloc0(sizeof(*f->be));
	net_backend_init(&f->be->be, &fake_ops);
	vm_net_mac(1, false, f->be->be.mac);
	virtio_net_init(&d, &f->be->be);
	f->t = virtio_mmio_create(&d, &f->ram, f->plic, 1);
	wr(f, R_STATUS, 0);
	wr(f, R_STATUS, 3);
	wr(f, R_DRV_FEAT_SEL, 0);
	wr(f, R_DRV_FEAT, (uint32_t)features);
	wr(f, R_DRV_FEAT_SEL, 1);
	wr(f, R_DRV_FEAT, (uint32_t)(features >> 32));
	wr(f, R_STATUS, 0xb);
	st = rd(f, R_STATUS);
	assert_true(st & VIRTIO_STATUS_FEATURES_OK);
	for (unsigned q = 0; q < 2; q++) {
		wr(f, R_QSEL, q);
		wr(f, R_QNUM, QNUM);
		wr(f, R_DESC, (uint32_t)(RAM_BASE + DESC + q * 0x4000));
		wr(f, R_DESC + 4, 0);
		wr(f, R_DRIVER, (uint32_t)(RAM_BASE + AVAIL + q * 0x4000));
		wr(f, R_DRIVER + 4, 0);
		wr(f, R_DEVICE, (uint32_t)(RAM_BASE + USED + q * 0x4000));
		wr(f, R_DEVICE + 4, 0);
		wr(f, R_QREADY, 1);
	}
	wr(f, R_STATUS, st | VIRTIO_STATUS_DRIVER_OK);
	return f;
}

static void net_fix_free(struct nfix *f)
{
	virtio_mmio_destroy(f->t);
	net_backend_destroy(&f->be->be);
	plic_destroy(f->plic);
	free(f->mem);
	free(f);
}

static void set_desc(struct nfix *f, unsigned q, unsigned i, uint64_t addr, uint32_t len,
                     uint16_t flags, uint16_t next)
{
	uint8_t *d = f->mem + DESC + q * 0x4000 + 16 * i;
	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
}

/* Make head available on queue q, without notifying. */
static void post(struct nfix *f, unsigned q, uint16_t head)
{
	memcpy(f->mem + AVAIL + q * 0x4000 + 4 + 2 * (f->avail_idx[q] % QNUM), &head, 2);
	f->avail_idx[q]++;
	memcpy(f->mem + AVAIL + q * 0x4000 + 2, &f->avail_idx[q], 2);
}

static uint16_t used_idx(struct nfix *f, unsigned q)
{
	uint16_t v;
	memcpy(&v, f->mem + USED + q * 0x4000 + 2, 2);
	return v;
}

static void used_elem(struct nfix *f, unsigned q, unsigned i, uint32_t *id, uint32_t *len)
{
	memcpy(id, f->mem + USED + q * 0x4000 + 4 + 8 * (i % QNUM), 4);
	memcpy(len, f->mem + USED + q * 0x4000 + 8 + 8 * (i % QNUM), 4);
}

static void test_net_config(void **state)
{
	(void)state;
	struct nfix *f = net_fix(F_VERSION_1 | F_MAC | F_STATUS);
	uint64_t v;

	assert_int_equal(rd(f, R_DEVICE_ID), VIRTIO_ID_NET);
	wr(f, R_DEV_FEAT_SEL, 0);
	uint32_t feat = rd(f, R_DEV_FEAT);
	assert_true(feat & F_CSUM);
	assert_true(feat & F_GUEST_CSUM);
	assert_true(feat & F_MAC);
	assert_true(feat & F_MRG);
	assert_true(feat & F_STATUS);
	/* mac, byte by byte, then the status (link up) */
	static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x57};
	for (unsigned i = 0; i < 6; i++) {
		assert_int_equal(virtio_mmio_read(f->t, R_CONFIG + i, 1, &v), 0);
		assert_int_equal(v, mac[i]);
	}
	assert_int_equal(virtio_mmio_read(f->t, R_CONFIG + 6, 2, &v), 0);
	assert_int_equal(v, 1);
	net_fix_free(f);
}

/* An Ethernet + IPv4 + UDP frame with payload len bytes. */
static size_t udp_frame(uint8_t *p, size_t payload)
{
	size_t ip_len = 20 + 8 + payload;
	memset(p, 0, 14 + ip_len);
	memset(p, 0xff, 6);
	p[12] = 0x08;
	uint8_t *ip = p + 14, *udp = ip + 20;
	ip[0] = 0x45;
	ip[2] = (uint8_t)(ip_len >> 8);
	ip[3] = (uint8_t)ip_len;
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, "\x0a\x00\x02\x0f", 4);
	memcpy(ip + 16, "\x0a\x00\x02\x02", 4);
	udp[0] = 0x12;
	udp[1] = 0x34;
	udp[2] = 0x00;
	udp[3] = 0x35;
	udp[4] = (uint8_t)((8 + payload) >> 8);
	udp[5] = (uint8_t)(8 + payload);
	for (size_t i = 0; i < payload; i++)
		udp[8 + i] = (uint8_t)(i * 13 + 1);
	return 14 + ip_len;
}

static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* The UDP pseudo-header's sum, as a driver leaves it in the checksum field. */
static uint16_t pseudo(const uint8_t *frame)
{
	const uint8_t *ip = frame + 14;
	uint32_t s = sum16(ip + 12, 8, 0) + 17 + (uint32_t)(ip[24] << 8 | ip[25]);
	return fold(s);
}

static void tx(struct nfix *f, uint16_t head, const uint8_t *hdr, const uint8_t *frame, size_t len)
{
	memcpy(f->mem + BUF + 0x1000 * head, hdr, 12);
	memcpy(f->mem + BUF + 0x1000 * head + 12, frame, len);
	/* header and frame in two descriptors, split inside the frame too */
	set_desc(f, 1, head, RAM_BASE + BUF + 0x1000 * head, 20, VIRTQ_DESC_F_NEXT,
	         (uint16_t)(head + 1));
	set_desc(f, 1, head + 1u, RAM_BASE + BUF + 0x1000 * head + 20, (uint32_t)(12 + len - 20), 0,
	         0);
	post(f, 1, head);
	wr(f, R_NOTIFY, 1);
}

static void test_net_tx_csum(void **state)
{
	(void)state;
	struct nfix *f = net_fix(F_VERSION_1 | F_MAC | F_CSUM);
	uint8_t frame[200], hdr[12] = {0};
	size_t len = udp_frame(frame, 101);
	uint16_t ph = pseudo(frame), start = 14 + 20, off = 6;
	uint32_t id, ulen;

	frame[start + off] = (uint8_t)(ph >> 8);
	frame[start + off + 1] = (uint8_t)ph;
	hdr[0] = 1; /* NEEDS_CSUM */
	memcpy(hdr + 6, &start, 2);
	memcpy(hdr + 8, &off, 2);
	tx(f, 0, hdr, frame, len);
	assert_int_equal(f->be->nsent, 1);
	assert_int_equal(f->be->sent_len[0], len);
	assert_int_equal(used_idx(f, 1), 1);
	used_elem(f, 1, 0, &id, &ulen);
	assert_int_equal(id, 0);
	assert_int_equal(ulen, 0);
	/* the checksum verifies: pseudo-header + UDP sums to 0xffff */
	const uint8_t *s = f->be->sent[0];
	uint32_t v = sum16(s + 14 + 12, 8, 0) + 17 + (uint32_t)(s[14 + 24] << 8 | s[14 + 25]);
	v = sum16(s + start, len - start, v);
	assert_int_equal(fold(v), 0xffff);
	assert_memory_equal(s + start + 8, frame + start + 8, len - start - 8);

	/* offsets outside the frame: dropped, the chain returned */
	start = (uint16_t)(len - 1);
	memcpy(hdr + 6, &start, 2);
	tx(f, 2, hdr, frame, len);
	start = 14;
	off = 0xfff0;
	memcpy(hdr + 6, &start, 2);
	memcpy(hdr + 8, &off, 2);
	tx(f, 4, hdr, frame, len);
	assert_int_equal(f->be->nsent, 1);
	assert_int_equal(used_idx(f, 1), 3);
	/* GSO was not offered: dropped */
	memset(hdr, 0, sizeof(hdr));
	hdr[1] = 1;
	tx(f, 6, hdr, frame, len);
	assert_int_equal(f->be->nsent, 1);
	/* a plain frame goes through untouched */
	hdr[1] = 0;
	tx(f, 6, hdr, frame, len);
	assert_int_equal(f->be->nsent, 2);
	assert_memory_equal(f->be->sent[1], frame, len);
	assert_false(virtio_mmio_status(f->t) & VIRTIO_STATUS_NEEDS_RESET);
	net_fix_free(f);
}

/* A back end that takes frames on its own thread (async_send): the transmit chains go back at
 * once, the interrupt for them waits for the back end's net_backend_sent(). */
static void test_net_tx_async(void **state)
{
	(void)state;
	struct nfix *f = net_fix(F_VERSION_1 | F_MAC);
	uint8_t frame[200], hdr[12] = {0};
	size_t len = udp_frame(frame, 10);

	f->be->be.async_send = true;
	tx(f, 0, hdr, frame, len);
	assert_int_equal(f->be->nsent, 1);
	assert_int_equal(used_idx(f, 1), 1);
	assert_int_equal(rd(f, R_ISR) & 1, 0);
	net_backend_sent(&f->be->be);
	assert_int_equal(rd(f, R_ISR) & 1, 1);
	/* acknowledged: nothing new, no interrupt again */
	wr(f, R_ISR_ACK, 1);
	net_backend_sent(&f->be->be);
	assert_int_equal(rd(f, R_ISR) & 1, 0);
	/* the guest posting receive buffers tells it too */
	tx(f, 2, hdr, frame, len);
	assert_int_equal(rd(f, R_ISR) & 1, 0);
	wr(f, R_NOTIFY, 0);
	assert_int_equal(rd(f, R_ISR) & 1, 1);
	wr(f, R_ISR_ACK, 1);
	/* a back end that sends at once: the interrupt at once */
	f->be->be.async_send = false;
	tx(f, 4, hdr, frame, len);
	assert_int_equal(f->be->nsent, 3);
	assert_int_equal(used_idx(f, 1), 3);
	assert_int_equal(rd(f, R_ISR) & 1, 1);
	net_fix_free(f);
}

/* NEEDS_CSUM without VIRTIO_NET_F_CSUM negotiated is refused. */
static void test_net_tx_csum_not_negotiated(void **state)
{
	(void)state;
	struct nfix *f = net_fix(F_VERSION_1 | F_MAC);
	uint8_t frame[200], hdr[12] = {0};
	size_t len = udp_frame(frame, 10);
	uint16_t start = 34, off = 6;

	hdr[0] = 1;
	memcpy(hdr + 6, &start, 2);
	memcpy(hdr + 8, &off, 2);
	tx(f, 0, hdr, frame, len);
	assert_int_equal(f->be->nsent, 0);
	assert_int_equal(used_idx(f, 1), 1);
	net_fix_free(f);
}

/* An Ethernet + IPv4 + TCP frame (flags CWR|PSH|ACK|FIN) with payload bytes. */
static size_t tcp_frame(uint8_t *p, size_t payload)
{
	size_t ip_len = 20 + 20 + payload;
	memset(p, 0, 14 + ip_len);
	p[12] = 0x08;
	uint8_t *ip = p + 14, *tcp = ip + 20;
	ip[0] = 0x45;
	ip[2] = (uint8_t)(ip_len >> 8);
	ip[3] = (uint8_t)ip_len;
	ip[4] = 0x12;
	ip[5] = 0x34;
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, "\x0a\x00\x02\x0f", 4);
	memcpy(ip + 16, "\x0a\x00\x02\x02", 4);
	tcp[1] = 80;
	memcpy(tcp + 4, "\xff\xff\xfc\x00", 4); /* the sequence number wraps */
	tcp[12] = 5 << 4;
	tcp[13] = 0x80 | 0x10 | 0x08 | 0x01;
	for (size_t i = 0; i < payload; i++)
		tcp[20 + i] = (uint8_t)(i * 7 + 3);
	return 14 + ip_len;
}

static void test_net_tx_tso(void **state)
{
	(void)state;
	struct nfix *f = net_fix(F_VERSION_1 | F_MAC | F_CSUM | F_TSO4);
	static uint8_t frame[3200];
	uint8_t hdr[12] = {0};
	size_t len = tcp_frame(frame, 2500);
	uint16_t mss = 1000, start = 34, off = 16;

	hdr[0] = 1;
	hdr[1] = 1; /* GSO_TCPV4 */
	memcpy(hdr + 4, &mss, 2);
	memcpy(hdr + 6, &start, 2);
	memcpy(hdr + 8, &off, 2);
	memcpy(f->mem + 0x80000, hdr, 12);
	memcpy(f->mem + 0x80000 + 12, frame, len);
	set_desc(f, 1, 0, RAM_BASE + 0x80000, (uint32_t)(12 + len), 0, 0);
	post(f, 1, 0);
	wr(f, R_NOTIFY, 1);
	assert_int_equal(f->be->nsent, 3);
	assert_int_equal(used_idx(f, 1), 1);
	for (unsigned i = 0; i < 3; i++) {
		const uint8_t *s = f->be->sent[i], *ip = s + 14, *tcp = ip + 20;
		size_t plen = i < 2 ? 1000 : 500;
		assert_int_equal(f->be->sent_len[i], 54 + plen);
		assert_int_equal(ip[2] << 8 | ip[3], 40 + plen);
		assert_int_equal(ip[4] << 8 | ip[5], 0x1234 + i);
		assert_int_equal(fold(sum16(ip, 20, 0)), 0xffff);
		uint32_t seq = (uint32_t)tcp[4] << 24 | (uint32_t)tcp[5] << 16 |
		               (uint32_t)tcp[6] << 8 | tcp[7];
		assert_int_equal(seq, (uint32_t)(0xfffffc00u + 1000 * i));
		/* CWR on the first only, PSH and FIN on the last only, ACK on all */
		assert_int_equal(tcp[13], i == 0 ? 0x90 : i == 1 ? 0x10 : 0x19);
		uint32_t v = sum16(ip + 12, 8, 0) + 6 + (uint32_t)(20 + plen);
		assert_int_equal(fold(sum16(tcp, 20 + plen, v)), 0xffff);
		assert_memory_equal(tcp + 20, frame + 54 + 1000 * i, plen);
	}

	/* hostile: a TCP data offset past the frame, not IPv4, UDP, no MSS: all dropped */
	frame[14 + 20 + 12] = 0xf0;
	memcpy(f->mem + 0x80000 + 12, frame, 60);
	set_desc(f, 1, 1, RAM_BASE + 0x80000, 12 + 60, 0, 0);
	post(f, 1, 1);
	wr(f, R_NOTIFY, 1);
	frame[14 + 20 + 12] = 0x50;
	frame[12] = 0x86;
	memcpy(f->mem + 0x80000 + 12, frame, len);
	set_desc(f, 1, 2, RAM_BASE + 0x80000, (uint32_t)(12 + len), 0, 0);
	post(f, 1, 2);
	wr(f, R_NOTIFY, 1);
	frame[12] = 0x08;
	frame[14 + 9] = 17;
	memcpy(f->mem + 0x80000 + 12, frame, len);
	post(f, 1, 2);
	wr(f, R_NOTIFY, 1);
	frame[14 + 9] = 6;
	memcpy(f->mem + 0x80000 + 12, frame, len);
	mss = 0;
	memcpy(f->mem + 0x80000 + 4, &mss, 2);
	post(f, 1, 2);
	wr(f, R_NOTIFY, 1);
	/* TCPV6 was not negotiated */
	mss = 1000;
	memcpy(f->mem + 0x80000 + 4, &mss, 2);
	f->mem[0x80000 + 1] = 4;
	post(f, 1, 2);
	wr(f, R_NOTIFY, 1);
	assert_int_equal(f->be->nsent, 3);
	assert_int_equal(used_idx(f, 1), 6);
	/* the same frame again as TCPV4: segmented */
	f->mem[0x80000 + 1] = 1;
	post(f, 1, 2);
	wr(f, R_NOTIFY, 1);
	assert_int_equal(f->be->nsent, 6);
	/* a back end that takes large TCP frames gets it whole, its checksum completed */
	f->be->be.large_tcp = true;
	uint16_t ph = fold(sum16(frame + 14 + 12, 8, 0) + 6 + (uint32_t)(len - 34));
	f->mem[0x80000 + 12 + 34 + 16] = (uint8_t)(ph >> 8); /* as the driver leaves it */
	f->mem[0x80000 + 12 + 34 + 17] = (uint8_t)ph;
	post(f, 1, 2);
	wr(f, R_NOTIFY, 1);
	assert_int_equal(f->be->nsent, 7);
	assert_int_equal(f->be->sent_len[6], len);
	const uint8_t *s = f->be->sent[6];
	uint32_t v = sum16(s + 14 + 12, 8, 0) + 6 + (uint32_t)(len - 34);
	assert_int_equal(fold(sum16(s + 34, len - 34, v)), 0xffff);
	assert_memory_equal(s + 54, frame + 54, len - 54);
	assert_false(virtio_mmio_status(f->t) & VIRTIO_STATUS_NEEDS_RESET);
	net_fix_free(f);
}

/* Post receive chain `head` of one writable buffer of len bytes at BUF + 0x1000 * head. */
static void rx_buf(struct nfix *f, uint16_t head, uint32_t len)
{
	set_desc(f, 0, head, RAM_BASE + BUF + 0x1000 * head, len, VIRTQ_DESC_F_WRITE, 0);
	post(f, 0, head);
}

static void test_net_rx(void **state)
{
	(void)state;
	struct nfix *f = net_fix(F_VERSION_1 | F_MAC | F_GUEST_CSUM);
	uint8_t frame[1600];
	size_t len = udp_frame(frame, 1000);
	uint32_t id, ulen;
	uint16_t nb;

	/* no buffers yet: the frame waits */
	assert_true(net_backend_deliver(&f->be->be, frame, len));
	net_backend_kick(&f->be->be);
	assert_int_equal(used_idx(f, 0), 0);
	assert_non_null(net_backend_peek(&f->be->be));
	/* a buffer too small for it (no mergeable buffers): the frame is dropped, the buffer
	 * stays with the device */
	rx_buf(f, 0, 100);
	wr(f, R_NOTIFY, 0);
	assert_int_equal(used_idx(f, 0), 0);
	assert_null(net_backend_peek(&f->be->be));
	/* the small buffer stays first in line: every frame is dropped (a driver without
	 * mergeable buffers must post room for a whole frame) */
	rx_buf(f, 1, 2048);
	assert_true(net_backend_deliver(&f->be->be, frame, len));
	net_backend_kick(&f->be->be);
	assert_int_equal(used_idx(f, 0), 0);
	assert_null(net_backend_peek(&f->be->be));
	net_fix_free(f);

	f = net_fix(F_VERSION_1 | F_MAC | F_GUEST_CSUM);
	rx_buf(f, 1, 2048);
	wr(f, R_NOTIFY, 0);
	assert_true(net_backend_deliver(&f->be->be, frame, len));
	net_backend_kick(&f->be->be);
	assert_int_equal(used_idx(f, 0), 1);
	used_elem(f, 0, 0, &id, &ulen);
	assert_int_equal(id, 1);
	assert_int_equal(ulen, 12 + len);
	const uint8_t *b = f->mem + BUF + 0x1000;
	assert_int_equal(b[0], 2); /* DATA_VALID */
	assert_int_equal(b[1], 0); /* GSO_NONE */
	memcpy(&nb, b + 10, 2);
	assert_int_equal(nb, 1);
	assert_memory_equal(b + 12, frame, len);
	assert_null(net_backend_peek(&f->be->be));
	net_fix_free(f);
}

static void test_net_rx_mergeable(void **state)
{
	(void)state;
	struct nfix *f = net_fix(F_VERSION_1 | F_MAC | F_MRG);
	uint8_t frame[3000];
	size_t len = udp_frame(frame, 2500);
	uint32_t id, ulen;
	uint16_t nb;

	/* 1000 + 1000 bytes are not enough for 12 + 2542: it waits, nothing is used */
	rx_buf(f, 0, 1000);
	rx_buf(f, 1, 1000);
	assert_true(net_backend_deliver(&f->be->be, frame, len));
	net_backend_kick(&f->be->be);
	assert_int_equal(used_idx(f, 0), 0);
	assert_non_null(net_backend_peek(&f->be->be));
	/* a third buffer: three chains, num_buffers 3 in the first */
	rx_buf(f, 2, 1000);
	rx_buf(f, 3, 1000);
	wr(f, R_NOTIFY, 0);
	assert_int_equal(used_idx(f, 0), 3);
	assert_null(net_backend_peek(&f->be->be));
	used_elem(f, 0, 0, &id, &ulen);
	assert_int_equal(id, 0);
	assert_int_equal(ulen, 1000);
	used_elem(f, 0, 1, &id, &ulen);
	assert_int_equal(id, 1);
	assert_int_equal(ulen, 1000);
	used_elem(f, 0, 2, &id, &ulen);
	assert_int_equal(id, 2);
	assert_int_equal(ulen, 12 + len - 2000);
	memcpy(&nb, f->mem + BUF + 10, 2);
	assert_int_equal(nb, 3);
	assert_int_equal(f->mem[BUF], 0); /* no GUEST_CSUM: no DATA_VALID */
	assert_memory_equal(f->mem + BUF + 12, frame, 1000 - 12);
	assert_memory_equal(f->mem + BUF + 0x1000, frame + 988, 1000);
	assert_memory_equal(f->mem + BUF + 0x2000, frame + 1988, len - 1988);
	/* the fourth buffer is still available: a small frame takes it */
	assert_true(net_backend_deliver(&f->be->be, frame, 60));
	net_backend_kick(&f->be->be);
	assert_int_equal(used_idx(f, 0), 4);
	used_elem(f, 0, 3, &id, &ulen);
	assert_int_equal(id, 3);
	assert_int_equal(ulen, 72);
	net_fix_free(f);
}

/* Mergeable buffers that fill the whole ring and still hold too little for a frame: it
 * cannot ever fit, so it is dropped (instead of blocking the queue for good); a small frame
 * then takes the first buffer. */
static void test_net_rx_ring_too_small(void **state)
{
	(void)state;
	struct nfix *f = net_fix(F_VERSION_1 | F_MAC | F_MRG);
	uint8_t frame[1600];
	size_t len = udp_frame(frame, 1400);
	uint32_t id, ulen;

	for (uint16_t i = 0; i < QNUM; i++)
		rx_buf(f, i, 100);
	assert_true(net_backend_deliver(&f->be->be, frame, len));
	net_backend_kick(&f->be->be);
	assert_int_equal(used_idx(f, 0), 0);
	assert_null(net_backend_peek(&f->be->be));
	assert_true(net_backend_deliver(&f->be->be, frame, 60));
	net_backend_kick(&f->be->be);
	assert_int_equal(used_idx(f, 0), 1);
	used_elem(f, 0, 0, &id, &ulen);
	assert_int_equal(id, 0);
	assert_int_equal(ulen, 72);
	net_fix_free(f);
}

/* A receive buffer outside RAM breaks the queue: NEEDS_RESET, nothing written. */
static void test_net_rx_hostile(void **state)
{
	(void)state;
	struct nfix *f = net_fix(F_VERSION_1 | F_MAC | F_MRG);
	uint8_t frame[100];
	size_t len = udp_frame(frame, 20);

	set_desc(f, 0, 0, RAM_BASE + RAM_SIZE - 8, 64, VIRTQ_DESC_F_WRITE, 0);
	post(f, 0, 0);
	assert_true(net_backend_deliver(&f->be->be, frame, len));
	net_backend_kick(&f->be->be);
	assert_int_equal(used_idx(f, 0), 0);
	assert_true(virtio_mmio_status(f->t) & VIRTIO_STATUS_NEEDS_RESET);
	/* a transmit chain whose header is in a writable descriptor: dropped */
	net_fix_free(f);

	f = net_fix(F_VERSION_1 | F_MAC);
	set_desc(f, 1, 0, RAM_BASE + BUF, 64, VIRTQ_DESC_F_WRITE, 0);
	post(f, 1, 0);
	wr(f, R_NOTIFY, 1);
	assert_int_equal(f->be->nsent, 0);
	assert_int_equal(used_idx(f, 1), 1);
	/* a frame too short for an Ethernet header: dropped */
	set_desc(f, 1, 1, RAM_BASE + BUF, 12 + 13, 0, 0);
	post(f, 1, 1);
	wr(f, R_NOTIFY, 1);
	assert_int_equal(f->be->nsent, 0);
	assert_int_equal(used_idx(f, 1), 2);
	assert_false(virtio_mmio_status(f->t) & VIRTIO_STATUS_NEEDS_RESET);
	net_fix_free(f);
}

/* The queue for the guest holds NET_RXQ_MAX frames; more are refused. */
static void test_backend_queue(void **state)
{
	(void)state;
	struct fake_be *b = xmalloc0(sizeof(*b));
	uint8_t frame[64] = {1};

	net_backend_init(&b->be, &fake_ops);
	for (unsigned i = 0; i < NET_RXQ_MAX; i++)
		assert_true(net_backend_deliver(&b->be, frame, sizeof(frame)));
	assert_true(net_backend_full(&b->be));
	assert_false(net_backend_deliver(&b->be, frame, sizeof(frame)));
	assert_false(net_backend_deliver(&b->be, frame, 0));
	net_backend_pop(&b->be);
	assert_false(net_backend_full(&b->be));
	/* no card attached: kicking does nothing */
	net_backend_kick(&b->be);
	net_backend_destroy(&b->be);
}

/* --- --net user: what the guest sends goes to slirp in order, on slirp's thread ------------ */

struct slirp_card {
	pthread_mutex_t lock;
	unsigned replies, kicks, bad_order;
	int next_seq;
	struct net_backend *be;
};

/* The card's kick, on slirp's thread: takes every frame, counts the echo replies and checks
 * that their sequence numbers come in the order the requests went. */
static void slirp_card_kick(void *opaque)
{
	struct slirp_card *c = opaque;
	const struct net_frame *fr;

	pthread_mutex_lock(&c->lock);
	c->kicks++;
	while ((fr = net_backend_peek(c->be)) != NULL) {
		const uint8_t *p = fr->data;
		if (fr->len >= 14 + 20 + 8 && p[12] == 0x08 && p[13] == 0x00 && p[14 + 9] == 1 &&
		    p[14 + 20] == 0) {
			int seq = p[14 + 20 + 6] << 8 | p[14 + 20 + 7];
			if (seq != c->next_seq)
				c->bad_order++;
			c->next_seq = seq + 1;
			c->replies++;
		}
		net_backend_pop(c->be);
	}
	pthread_mutex_unlock(&c->lock);
}

static const uint8_t guest_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

static uint16_t csum16(const uint8_t *p, size_t len)
{
	return (uint16_t)~fold(sum16(p, len, 0));
}

/* An ICMP echo request from 10.0.2.15 to the gateway 10.0.2.2 with sequence number seq. */
static size_t ping_frame(uint8_t *p, const uint8_t *dst_mac, uint16_t seq)
{
	uint8_t *ip = p + 14, *icmp = ip + 20;
	uint16_t c;

	memset(p, 0, 14 + 20 + 8 + 32);
	memcpy(p, dst_mac, 6);
	memcpy(p + 6, guest_mac, 6);
	p[12] = 0x08;
	ip[0] = 0x45;
	ip[3] = 20 + 8 + 32;
	ip[5] = (uint8_t)seq;
	ip[8] = 64;
	ip[9] = 1;
	memcpy(ip + 12, "\x0a\x00\x02\x0f", 4);
	memcpy(ip + 16, "\x0a\x00\x02\x02", 4);
	c = csum16(ip, 20);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	icmp[0] = 8; /* echo request */
	icmp[4] = 0x12;
	icmp[6] = (uint8_t)(seq >> 8);
	icmp[7] = (uint8_t)seq;
	for (unsigned i = 0; i < 32; i++)
		icmp[8 + i] = (uint8_t)(i + seq);
	c = csum16(icmp, 8 + 32);
	icmp[2] = (uint8_t)(c >> 8);
	icmp[3] = (uint8_t)c;
	return 14 + 20 + 8 + 32;
}

/* An ARP request from the guest for the gateway (slirp learns the guest's MAC from it). */
static size_t arp_frame(uint8_t *p)
{
	static const uint8_t arp[28] = {0,  1, 8, 0,  6, 4, 0, 1, 0x52, 0x54, 0,  0x12, 0x34, 0x56,
	                                10, 0, 2, 15, 0, 0, 0, 0, 0,    0,    10, 0,    2,    2};
	memset(p, 0xff, 6);
	memcpy(p + 6, guest_mac, 6);
	p[12] = 0x08;
	p[13] = 0x06;
	memcpy(p + 14, arp, sizeof(arp));
	return 14 + sizeof(arp);
}

static unsigned slirp_replies(struct slirp_card *c)
{
	unsigned n;

	pthread_mutex_lock(&c->lock);
	n = c->replies;
	pthread_mutex_unlock(&c->lock);
	return n;
}

/* send() hands frames to slirp's thread: bursts of echo requests to the gateway are all
 * answered, in order, and the thread kicks the card after taking them (net_backend_sent) even
 * when nothing came back. */
static void test_slirp_send_queue(void **state)
{
	(void)state;
	struct vm_net cfg = {.kind = VM_NET_USER};
	struct slirp_card c = {.lock = PTHREAD_MUTEX_INITIALIZER};
	struct net_backend *be = NULL;
	berth_error_t err = NULL;
	uint8_t frame[128], gw_mac[6] = {0x52, 0x55, 10, 0, 2, 2};
	unsigned sent = 0, kicks;
	size_t len;

	assert_int_equal(net_slirp_open(&cfg, 0, &be, &err), 0);
	assert_true(be->async_send);
	c.be = be;
	net_backend_attach(be, &c, slirp_card_kick);
	len = arp_frame(frame);
	net_backend_send(be, frame, len);
	for (unsigned round = 0; round < 4; round++) {
		for (unsigned i = 0; i < 200; i++) {
			len = ping_frame(frame, gw_mac, (uint16_t)sent++);
			net_backend_send(be, frame, len);
		}
		for (unsigned i = 0; i < 1000 && slirp_replies(&c) < sent; i++)
			usleep(10000);
		assert_int_equal(slirp_replies(&c), sent);
	}
	pthread_mutex_lock(&c.lock);
	assert_int_equal(c.bad_order, 0);
	kicks = c.kicks;
	pthread_mutex_unlock(&c.lock);
	/* a frame slirp drops (not IP, not ARP): the card is kicked all the same */
	memset(frame, 0, 60);
	memcpy(frame, gw_mac, 6);
	frame[12] = 0x88;
	frame[13] = 0xb5;
	net_backend_send(be, frame, 60);
	for (unsigned i = 0; i < 1000; i++) {
		pthread_mutex_lock(&c.lock);
		bool more = c.kicks > kicks;
		pthread_mutex_unlock(&c.lock);
		if (more)
			break;
		usleep(10000);
	}
	pthread_mutex_lock(&c.lock);
	assert_true(c.kicks > kicks);
	pthread_mutex_unlock(&c.lock);
	net_backend_detach(be);
	net_backend_destroy(be);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_net),
	    cmocka_unit_test(test_parse_net_bad),
	    cmocka_unit_test(test_too_many_cards),
	    cmocka_unit_test(test_net_config),
	    cmocka_unit_test(test_net_tx_csum),
	    cmocka_unit_test(test_net_tx_csum_not_negotiated),
	    cmocka_unit_test(test_net_tx_async),
	    cmocka_unit_test(test_net_tx_tso),
	    cmocka_unit_test(test_net_rx),
	    cmocka_unit_test(test_net_rx_mergeable),
	    cmocka_unit_test(test_net_rx_ring_too_small),
	    cmocka_unit_test(test_net_rx_hostile),
	    cmocka_unit_test(test_backend_queue),
	    cmocka_unit_test(test_slirp_send_queue),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
