/* SPDX-License-Identifier: MIT */
/* Network back ends of `berth vm` (--net): what a virtio-net card sends goes to a back end,
 * and what a back end receives waits in its queue until the guest has posted receive buffers.
 *
 * A back end lives for the whole run (the card is made again on each guest reboot and
 * attaches to it). It owns a thread that polls its file descriptors (the slirp sockets, the
 * TAP device), puts frames for the guest in the queue with net_backend_deliver(), and then,
 * holding none of its own locks, calls net_backend_kick() so that the card moves them into
 * the guest's buffers and interrupts it.
 *
 * Locks, always taken in this order: the attach lock (the card pointer), the card's transport
 * lock, the back end's own lock (slirp's state), the queue lock. The card calls send() with
 * its transport locked; a back end must therefore never kick while holding its own lock. */
#ifndef BERTH_VM_NET_H
#define BERTH_VM_NET_H

#include "error.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest Ethernet frame either way (no segmentation offloads: the MTU rules) */
#define NET_FRAME_MAX 65550
/* Frames waiting for receive buffers; more are dropped (slirp) or left unread (TAP) */
#define NET_RXQ_MAX 256

struct net_frame {
	size_t len;
	uint8_t data[];
};

struct net_backend;

struct net_backend_ops {
	/* guest -> network: one Ethernet frame, checksums complete. Called on a hart thread with
	 * the card's transport locked. */
	void (*send)(struct net_backend *be, const uint8_t *frame, size_t len);
	/* Stop the thread and free everything (the TAP device goes with its fd). */
	void (*destroy)(struct net_backend *be);
};

struct net_backend {
	const struct net_backend_ops *ops;
	uint8_t mac[6]; /* the card's MAC address, chosen by the back end */
	/* The back end takes TCP frames larger than the MTU (slirp's TCP does): the card hands
	 * over a segmentation-offload frame whole, its checksum completed, instead of cutting it
	 * up (and the guest gets one ACK for it instead of one per segment). */
	bool large_tcp;
	/* send() only queues the frame; the back end's thread takes it later and then calls
	 * net_backend_sent(): the card tells the guest that its transmit buffers are free at
	 * that kick (one interrupt with the replies) instead of at once. */
	bool async_send;
	/* frames for the guest */
	pthread_mutex_t qlock;
	struct net_frame *q[NET_RXQ_MAX];
	unsigned qhead, qcount;
	uint64_t dropped;
	int space_fd; /* eventfd written when a full queue gets room again (or -1) */
	/* the card, while one is attached */
	pthread_mutex_t attach_lock;
	void *card;
	void (*card_kick)(void *card);
};

void net_backend_init(struct net_backend *be, const struct net_backend_ops *ops);
void net_backend_fini(struct net_backend *be);
void net_backend_destroy(struct net_backend *be);

/* The back end's side. Queue a copy of a frame; false when the queue is full (dropped). */
bool net_backend_deliver(struct net_backend *be, const void *frame, size_t len);
bool net_backend_full(struct net_backend *be);
/* Tell the attached card that frames wait (call holding none of the back end's locks). */
void net_backend_kick(struct net_backend *be);
/* async_send: tell the attached card that frames it sent were taken (and that frames wait, if
 * any); the same rules as net_backend_kick(). */
void net_backend_sent(struct net_backend *be);

/* The card's side. */
void net_backend_attach(struct net_backend *be, void *card, void (*kick)(void *card));
void net_backend_detach(struct net_backend *be);
/* The oldest waiting frame (NULL: none); it stays queued until net_backend_pop(). Only the
 * card takes frames out, with its transport locked. */
const struct net_frame *net_backend_peek(struct net_backend *be);
void net_backend_pop(struct net_backend *be);
/* guest -> network */
static inline void net_backend_send(struct net_backend *be, const uint8_t *frame, size_t len)
{
	be->ops->send(be, frame, len);
}

/* --- --net -------------------------------------------------------------------------------- */

enum vm_net_kind { VM_NET_NONE, VM_NET_USER, VM_NET_BRIDGE };

#define VM_NET_MAX_HOSTFWD 16

struct vm_hostfwd {
	bool udp;
	uint32_t host_addr, guest_addr; /* network byte order; 0: any / the DHCP address */
	uint16_t host_port, guest_port;
};

struct vm_net {
	enum vm_net_kind kind;
	char *bridge; /* VM_NET_BRIDGE: the Linux bridge (malloc'd) */
	struct vm_hostfwd fwd[VM_NET_MAX_HOSTFWD];
	unsigned nfwd;
	/* VM_NET_BRIDGE on a berth network: the address its lease gave the card (host byte
	 * order; 0: none, the guest configures itself), told to the guest on the kernel command
	 * line as berth.ip=ethN,IP/PREFIX[,GATEWAY] */
	uint32_t ip, gateway;
	int prefix;
};

#define VM_NET_DEFAULT_BRIDGE "berth0"

/* Parse a --net argument: none | user[,hostfwd=...]... | bridge[=NAME]; no kind means user.
 * Returns 0, or -1 with *err set to one line naming the argument. */
int vm_parse_net(const char *arg, struct vm_net *out, berth_error_t *err);
void vm_net_free(struct vm_net *n);

/* Open the back end of card `index` (net_slirp.c, net_tap.c). 0, or -1 with *err set and
 * nothing left behind. */
int net_slirp_open(const struct vm_net *cfg, unsigned index, struct net_backend **out,
                   berth_error_t *err);
int net_tap_open(const struct vm_net *cfg, unsigned index, struct net_backend **out,
                 berth_error_t *err);

/* A card's MAC address: user-mode cards take 52:54:00:12:34:56 + index, as QEMU numbers its
 * cards (each has a network of its own); bridged cards 52:54:00 and three random bytes, as
 * several VMs may share one bridge. */
void vm_net_mac(unsigned index, bool random, uint8_t mac[6]);

#endif
