/* SPDX-License-Identifier: MIT */
/* The part of the network back ends every kind shares: the queue of frames for the guest and
 * the card attached to it (net.h), and the --net parser. */
#include "net.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

void net_backend_init(struct net_backend *be, const struct net_backend_ops *ops)
{
	memset(be, 0, sizeof(*be));
	be->ops = ops;
	be->space_fd = -1;
	pthread_mutex_init(&be->qlock, NULL);
	pthread_mutex_init(&be->attach_lock, NULL);
}

void net_backend_fini(struct net_backend *be)
{
	while (be->qcount > 0) {
		free(be->q[be->qhead]);
		be->qhead = (be->qhead + 1) % NET_RXQ_MAX;
		be->qcount--;
	}
	pthread_mutex_destroy(&be->qlock);
	pthread_mutex_destroy(&be->attach_lock);
}

void net_backend_destroy(struct net_backend *be)
{
	if (be != NULL)
		be->ops->destroy(be);
}

bool net_backend_deliver(struct net_backend *be, const void *frame, size_t len)
{
	struct net_frame *f;

	if (len == 0 || len > NET_FRAME_MAX)
		return false;
	pthread_mutex_lock(&be->qlock);
	if (be->qcount >= NET_RXQ_MAX) {
		be->dropped++;
		pthread_mutex_unlock(&be->qlock);
		return false;
	}
	pthread_mutex_unlock(&be->qlock);
	f = xrealloc(NULL, sizeof(*f) + len);
	f->len = len;
	memcpy(f->data, frame, len);
	pthread_mutex_lock(&be->qlock);
	if (be->qcount >= NET_RXQ_MAX) { /* only the back end's thread adds: cannot happen */
		be->dropped++;
		pthread_mutex_unlock(&be->qlock);
		free(f);
		return false;
	}
	be->q[(be->qhead + be->qcount) % NET_RXQ_MAX] = f;
	be->qcount++;
	pthread_mutex_unlock(&be->qlock);
	return true;
}

bool net_backend_full(struct net_backend *be)
{
	bool full;

	pthread_mutex_lock(&be->qlock);
	full = be->qcount >= NET_RXQ_MAX;
	pthread_mutex_unlock(&be->qlock);
	return full;
}

static void backend_kick(struct net_backend *be, bool always)
{
	pthread_mutex_lock(&be->attach_lock);
	if (be->card != NULL && be->card_kick != NULL) {
		pthread_mutex_lock(&be->qlock);
		unsigned n = be->qcount;
		pthread_mutex_unlock(&be->qlock);
		if (n > 0 || always)
			be->card_kick(be->card);
	}
	pthread_mutex_unlock(&be->attach_lock);
}

void net_backend_kick(struct net_backend *be)
{
	backend_kick(be, false);
}

void net_backend_sent(struct net_backend *be)
{
	backend_kick(be, true);
}

void net_backend_attach(struct net_backend *be, void *card, void (*kick)(void *card))
{
	pthread_mutex_lock(&be->attach_lock);
	be->card = card;
	be->card_kick = kick;
	pthread_mutex_unlock(&be->attach_lock);
}

void net_backend_detach(struct net_backend *be)
{
	net_backend_attach(be, NULL, NULL);
}

const struct net_frame *net_backend_peek(struct net_backend *be)
{
	const struct net_frame *f;

	pthread_mutex_lock(&be->qlock);
	f = be->qcount > 0 ? be->q[be->qhead] : NULL;
	pthread_mutex_unlock(&be->qlock);
	return f;
}

void net_backend_pop(struct net_backend *be)
{
	struct net_frame *f = NULL;
	bool was_full;

	pthread_mutex_lock(&be->qlock);
	was_full = be->qcount >= NET_RXQ_MAX;
	if (be->qcount > 0) {
		f = be->q[be->qhead];
		be->q[be->qhead] = NULL;
		be->qhead = (be->qhead + 1) % NET_RXQ_MAX;
		be->qcount--;
	}
	pthread_mutex_unlock(&be->qlock);
	free(f);
	if (was_full && be->space_fd >= 0) {
		uint64_t one = 1;
		(void)!write(be->space_fd, &one, sizeof(one));
	}
}

void vm_net_mac(unsigned index, bool random, uint8_t mac[6])
{
	static const uint8_t base[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

	memcpy(mac, base, 6);
	mac[5] = (uint8_t)(base[5] + index);
	if (random && getrandom(mac + 3, 3, 0) != 3)
		mac[4] ^= (uint8_t)getpid(); /* no entropy yet: at least differ between runs */
}

/* --- --net -------------------------------------------------------------------------------- */

#define NET_SYNTAX                                                                                 \
	"none, user[,hostfwd=tcp|udp:[HOSTIP]:HOSTPORT-[GUESTIP]:GUESTPORT]... or bridge[=NAME]"
#define FWD_SYNTAX "tcp|udp:[HOSTIP]:HOSTPORT-[GUESTIP]:GUESTPORT"

static bool is_word(const char *s, size_t len, const char *w)
{
	return strlen(w) == len && memcmp(s, w, len) == 0;
}

static int parse_port(const char *s, size_t len, uint16_t *out)
{
	unsigned v = 0;

	if (len == 0 || len > 5)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

static int parse_ip4(const char *s, size_t len, uint32_t *out)
{
	char buf[INET_ADDRSTRLEN];
	struct in_addr a;

	if (len == 0) {
		*out = 0;
		return 0;
	}
	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, &a) != 1)
		return -1;
	*out = a.s_addr;
	return 0;
}

/* PROTO:[HOSTIP]:HOSTPORT-[GUESTIP]:GUESTPORT (s is len bytes, not NUL-terminated) */
static int parse_hostfwd(const char *s, size_t len, struct vm_hostfwd *f)
{
	const char *end = s + len, *c1, *c2, *dash, *c3;

	c1 = memchr(s, ':', len);
	if (c1 == NULL)
		return -1;
	if (is_word(s, (size_t)(c1 - s), "tcp") || c1 == s)
		f->udp = false;
	else if (is_word(s, (size_t)(c1 - s), "udp"))
		f->udp = true;
	else
		return -1;
	c2 = memchr(c1 + 1, ':', (size_t)(end - c1 - 1));
	if (c2 == NULL)
		return -1;
	dash = memchr(c2 + 1, '-', (size_t)(end - c2 - 1));
	if (dash == NULL)
		return -1;
	c3 = memchr(dash + 1, ':', (size_t)(end - dash - 1));
	if (c3 == NULL)
		return -1;
	if (parse_ip4(c1 + 1, (size_t)(c2 - c1 - 1), &f->host_addr) < 0 ||
	    parse_port(c2 + 1, (size_t)(dash - c2 - 1), &f->host_port) < 0 ||
	    parse_ip4(dash + 1, (size_t)(c3 - dash - 1), &f->guest_addr) < 0 ||
	    parse_port(c3 + 1, (size_t)(end - c3 - 1), &f->guest_port) < 0)
		return -1;
	return 0;
}

static bool bridge_name_ok(const char *s, size_t len)
{
	if (len == 0 || len >= IFNAMSIZ || is_word(s, len, ".") || is_word(s, len, ".."))
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] == '/' || s[i] == ':' || (unsigned char)s[i] <= ' ' || s[i] == 0x7f)
			return false;
	return true;
}

void vm_net_free(struct vm_net *n)
{
	free(n->bridge);
	n->bridge = NULL;
}

int vm_parse_net(const char *arg, struct vm_net *out, berth_error_t *err)
{
	struct vm_net n = {.kind = VM_NET_USER};
	const char *p = arg, *tok;
	size_t len = strcspn(p, ",");
	bool first_is_option = false;

	if (len == 0)
		return berth_error(err, 0, "--net: expected %s, got \"%s\"", NET_SYNTAX, arg);
	if (is_word(p, len, "none")) {
		n.kind = VM_NET_NONE;
	} else if (is_word(p, len, "user")) {
		n.kind = VM_NET_USER;
	} else if (is_word(p, len, "bridge")) {
		n.kind = VM_NET_BRIDGE;
		n.bridge = xstrdup(VM_NET_DEFAULT_BRIDGE);
	} else if (len > 7 && memcmp(p, "bridge=", 7) == 0) {
		if (!bridge_name_ok(p + 7, len - 7))
			return berth_error(
			    err, 0,
			    "--net: bridge=NAME: expected an interface name of 1 to %d "
			    "characters without '/', ':' or spaces, got \"%.*s\"",
			    IFNAMSIZ - 1, (int)(len - 7), p + 7);
		n.kind = VM_NET_BRIDGE;
		n.bridge = strndup(p + 7, len - 7);
		if (n.bridge == NULL)
			return berth_error(err, ENOMEM, "--net");
	} else if (memchr(p, '=', len) != NULL) {
		first_is_option = true; /* no kind: user */
	} else {
		return berth_error(err, 0, "--net: expected %s, got \"%s\"", NET_SYNTAX, arg);
	}
	if (!first_is_option)
		p += len;
	while (first_is_option || *p == ',') {
		if (!first_is_option)
			p++;
		first_is_option = false;
		tok = p;
		len = strcspn(tok, ",");
		p = tok + len;
		if (n.kind == VM_NET_USER && len >= 8 && memcmp(tok, "hostfwd=", 8) == 0) {
			if (n.nfwd >= VM_NET_MAX_HOSTFWD) {
				vm_net_free(&n);
				return berth_error(err, 0, "--net: at most %d hostfwd= in \"%s\"",
				                   VM_NET_MAX_HOSTFWD, arg);
			}
			if (parse_hostfwd(tok + 8, len - 8, &n.fwd[n.nfwd]) < 0) {
				vm_net_free(&n);
				return berth_error(err, 0,
				                   "--net: hostfwd: expected " FWD_SYNTAX
				                   " (ports 1 to 65535), got \"%.*s\"",
				                   (int)(len - 8), tok + 8);
			}
			n.nfwd++;
			continue;
		}
		vm_net_free(&n);
		return berth_error(
		    err, 0, "--net: unknown option \"%.*s\" in \"%s\" (accepted: %s)", (int)len,
		    tok, arg, n.kind == VM_NET_USER ? "hostfwd=" FWD_SYNTAX : "none for this kind");
	}
	*out = n;
	return 0;
}
