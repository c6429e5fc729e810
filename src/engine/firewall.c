/* SPDX-License-Identifier: MIT */
/* berth's packet filter (firewall.h), written through libnftables into one table of its
 * own, `inet berth` (IPv4 and IPv6 in one), and nothing else:
 *
 *   chain forward      filter/forward:  ct state established,related accept
 *                                       oifname vmap @fwd_out   (into a berth bridge)
 *                                       iifname vmap @fwd_in    (out of a berth bridge)
 *   chain raw_prerouting filter/prerouting, raw: ip daddr 127.0.0.0/8 iifname @bridges drop
 *                                       (route_localnet is on for the bridges: nothing from
 *                                       a container may reach the host's loopback services;
 *                                       every packet of the host passes here, bridged ones
 *                                       too under br_netfilter: the address is tested first,
 *                                       so nearly all leave after one compare, no set lookup)
 *   chain prerouting   nat/prerouting:  fib daddr type local jump ports
 *   chain output       nat/output:      fib daddr type local jump ports
 *   chain postrouting  nat/postrouting: oifname @bridges ip saddr 127.0.0.0/8 masquerade
 *                                       ip saddr vmap @post4, ip6 saddr vmap @post6
 *   chain ports        one `jump ctr-ID` per container with published ports
 *
 * Each network NAME (the engine gives its bridge's name: unique on the host) owns the
 * chains net-NAME-in / -out / -post and the elements keyed by
 * its bridge (set bridges, maps fwd_in, fwd_out) and its subnets (maps post4, post6);
 * each container ID owns the chain ctr-ID (its DNAT rules) and its jump in `ports`. So
 * deleting an object deletes exactly its own chains and elements, found by name in a
 * listing of the table. Every change is one libnftables batch (one kernel transaction)
 * made under a lock file, so concurrent berth processes never interleave a listing and a
 * change; the static rules of the base chains are flushed and written again in every
 * batch (atomically: no packet sees them missing). The table goes when its last network
 * and last container are gone.
 *
 * A network's rules are written when its first container starts and then only when
 * something may have changed them (fw_network_add is called on every start: listing the
 * table and committing cost ~15 ms). The kernel counts the ruleset's transactions, its
 * generation (NFT_MSG_GETGEN, one netlink round trip); /run/berth/firewall.state holds the
 * generation after berth's last commit, with the boot, the network namespace and, for each
 * network whose rules that commit left in place, a hash of the rules. A commit of berth's
 * keeps the entries only when the generation went from the recorded one up by exactly one
 * (no other tool's transaction came between); anything else, another tool's change
 * included, empties the list, and the next start writes its network's rules again. */
#include "firewall.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <netinet/in.h>
#include "dlib.h"
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#define FW_TABLE     "inet berth"
#define FW_LOCK_DIR  "/run/berth"
#define FW_LOCK_FILE FW_LOCK_DIR "/firewall.lock"
#define FW_STATE     FW_LOCK_DIR "/firewall.state"

/* --- validation ------------------------------------------------------------------------ */

/* Names go into nft's language unquoted (1.0.x takes no quoted chain names): letters,
 * digits, `_`, `.`, `-` only, first a letter or digit. */
static int fw_check_name(const char *what, const char *s, size_t max, berth_error_t *err)
{
	size_t len = s != NULL ? strlen(s) : 0;

	if (len == 0 || len > max)
		return berth_error(err, 0, "firewall: %s `%s`: expected 1 to %zu characters", what,
		                   s != NULL ? s : "", max);
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		          (c >= '0' && c <= '9') || (i > 0 && (c == '_' || c == '.' || c == '-'));
		if (!ok)
			return berth_error(
			    err, 0,
			    "firewall: %s `%s`: expected letters, digits, `_`, `.` and "
			    "`-` (not first)",
			    what, s);
	}
	return 0;
}

/* "10.89.0.0/24" -> the canonical network "10.89.0.0/24" in out (host bits cleared). */
static int fw_cidr(const char *what, const char *s, int family, char *out, size_t size,
                   berth_error_t *err)
{
	char addr[INET6_ADDRSTRLEN];
	unsigned char a[16];
	const char *slash = strchr(s, '/');
	int max = family == AF_INET ? 32 : 128;
	char *end;
	long len;

	if (slash == NULL || (size_t)(slash - s) >= sizeof(addr))
		return berth_error(err, 0, "firewall: %s `%s`: expected ADDRESS/PREFIX", what, s);
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	errno = 0;
	len = strtol(slash + 1, &end, 10);
	if (inet_pton(family, addr, a) != 1 || slash[1] < '0' || slash[1] > '9' || *end != '\0' ||
	    len < 0 || len > max)
		return berth_error(err, 0, "firewall: %s `%s`: expected an IPv%d ADDRESS/PREFIX",
		                   what, s, family == AF_INET ? 4 : 6);
	for (int bit = (int)len; bit < max; bit++)
		a[bit / 8] &= (unsigned char)~(0x80 >> (bit % 8));
	inet_ntop(family, a, addr, sizeof(addr));
	if ((size_t)snprintf(out, size, "%s/%ld", addr, len) >= size)
		return berth_error(err, 0, "firewall: %s `%s`: too long", what, s);
	return 0;
}

static int fw_check_ip(const char *what, const char *s, int family, berth_error_t *err)
{
	unsigned char a[16];

	if (inet_pton(family, s, a) != 1)
		return berth_error(err, 0, "firewall: %s `%s`: expected an IPv%d address", what, s,
		                   family == AF_INET ? 4 : 6);
	return 0;
}

/* --- libnftables --------------------------------------------------------------------- */

struct fw {
	struct nft_ctx *nft;
	int lock_fd;
};

static void fw_close(struct fw *fw)
{
	if (fw->nft != NULL)
		dl_nft.nft_ctx_free(fw->nft);
	fw->nft = NULL;
	if (fw->lock_fd >= 0)
		close(fw->lock_fd); /* releases the flock */
	fw->lock_fd = -1;
}

/* The libnftables context of one call (its listing and its batch), output and errors
 * into buffers. */
static int fw_ctx(struct fw *fw, berth_error_t *err)
{
	if (dlib_nft_load(err) < 0)
		return -1;
	fw->nft = dl_nft.nft_ctx_new(NFT_CTX_DEFAULT);
	if (fw->nft == NULL)
		return berth_error(err, ENOMEM, "firewall: nft_ctx_new");
	if (dl_nft.nft_ctx_buffer_output(fw->nft) < 0 || dl_nft.nft_ctx_buffer_error(fw->nft) < 0)
		return berth_error(err, ENOMEM, "firewall: nft_ctx_buffer_output");
	return 0;
}

/* The lock alone (fw_ctx makes the context). */
static int fw_lock(struct fw *fw, berth_error_t *err)
{
	fw->nft = NULL;
	fw->lock_fd = -1;
	if (mkdir(FW_LOCK_DIR, 0700) < 0 && errno != EEXIST)
		return berth_error(err, errno, "firewall: mkdir `%s`", FW_LOCK_DIR);
	fw->lock_fd = open(FW_LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fw->lock_fd < 0)
		return berth_error(err, errno, "firewall: open `%s`", FW_LOCK_FILE);
	while (flock(fw->lock_fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int e = errno;
			fw_close(fw);
			return berth_error(err, e, "firewall: lock `%s`", FW_LOCK_FILE);
		}
	}
	return 0;
}

static int fw_open(struct fw *fw, berth_error_t *err)
{
	if (fw_lock(fw, err) < 0)
		return -1;
	if (fw_ctx(fw, err) < 0) {
		fw_close(fw);
		return -1;
	}
	return 0;
}

/* Run cmds (one batch: one transaction). On failure *err is nft's first error line and
 * the command it names. */
static int fw_run(struct fw *fw, const char *cmds, berth_error_t *err)
{
	const char *msg;
	char line[512], cmd[512];

	if (dl_nft.nft_run_cmd_from_buffer(fw->nft, cmds) == 0)
		return 0;
	msg = dl_nft.nft_ctx_get_error_buffer(fw->nft);
	line[0] = cmd[0] = '\0';
	if (msg != NULL) {
		/* "FILE:L:C-C: Error: what\nthe command\n   ^^^\n" or "Error: what\ncmd\n..." */
		const char *e = strstr(msg, "Error: ");
		const char *nl;
		if (e != NULL) {
			e += strlen("Error: ");
			nl = strchr(e, '\n');
			snprintf(line, sizeof(line), "%.*s", (int)(nl ? nl - e : (long)strlen(e)),
			         e);
			if (nl != NULL) {
				const char *c = nl + 1, *nl2 = strchr(c, '\n');
				snprintf(cmd, sizeof(cmd), "%.*s",
				         (int)(nl2 ? nl2 - c : (long)strlen(c)), c);
			}
		}
	}
	/* the command is named only for a syntax error: for an error the kernel reports,
	 * libnftables 1.0.6 often names the batch's first command instead of the culprit */
	if (cmd[0] != '\0' && strstr(line, "syntax error") != NULL)
		return berth_error(err, 0, "firewall: nftables: %s (in `%s`)",
		                   line[0] ? line : "failed", cmd);
	return berth_error(err, 0, "firewall: nftables: %s", line[0] ? line : "failed");
}

/* berth's table as nft's JSON, or NULL (and no error) when there is none. */
static int fw_list(struct fw *fw, json_t **out, berth_error_t *err)
{
	const char *text;
	json_error_t je;
	unsigned flags = dl_nft.nft_ctx_output_get_flags(fw->nft);
	int rc;

	*out = NULL;
	dl_nft.nft_ctx_output_set_flags(fw->nft,
	                                flags | NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_HANDLE);
	rc = dl_nft.nft_run_cmd_from_buffer(fw->nft, "list table " FW_TABLE);
	dl_nft.nft_ctx_output_set_flags(fw->nft, flags);
	if (rc != 0) {
		const char *msg = dl_nft.nft_ctx_get_error_buffer(fw->nft);
		if (msg != NULL && strstr(msg, "No such file or directory") != NULL)
			return 0;
		return fw_run(fw, "list table " FW_TABLE, err); /* for the message */
	}
	text = dl_nft.nft_ctx_get_output_buffer(fw->nft);
	*out = json_loads(text != NULL ? text : "", 0, &je);
	if (*out == NULL)
		return berth_error(err, 0, "firewall: nft's listing of " FW_TABLE ": %s (line %d)",
		                   je.text, je.line);
	return 0;
}

/* --- what the listing holds ---------------------------------------------------------- */

/* One element's key as nft's language writes it ("berth0" quoted, 10.89.0.0/24), or NULL. */
static char *fw_key_text(json_t *k, bool quote)
{
	json_t *v;

	if (json_is_object(k) && (v = json_object_get(k, "elem")) != NULL)
		k = json_object_get(v, "val");
	if (json_is_string(k)) /* an ifname is quoted; an address is not */
		return quote ? xasprintf("\"%s\"", json_string_value(k))
		             : xstrdup(json_string_value(k));
	if (json_is_object(k) && (v = json_object_get(k, "prefix")) != NULL)
		return xasprintf("%s/%lld", json_string_value(json_object_get(v, "addr")),
		                 json_integer_value(json_object_get(v, "len")));
	if (json_is_object(k) && (v = json_object_get(k, "range")) != NULL)
		return xasprintf("%s-%s", json_string_value(json_array_get(v, 0)),
		                 json_string_value(json_array_get(v, 1)));
	return NULL;
}

static const char *fw_jump_target(json_t *verdict)
{
	json_t *j = json_object_get(verdict, "jump");
	if (j == NULL)
		j = json_object_get(verdict, "goto");
	return json_string_value(json_object_get(j, "target"));
}

static bool fw_has_chain(json_t *list, const char *name)
{
	json_t *o;
	size_t i;

	json_array_foreach(json_object_get(list, "nftables"), i, o)
	{
		json_t *c = json_object_get(o, "chain");
		if (c != NULL && json_is_string(json_object_get(c, "name")) &&
		    strcmp(json_string_value(json_object_get(c, "name")), name) == 0)
			return true;
	}
	return false;
}

static json_t *fw_find_set(json_t *list, const char *name)
{
	json_t *o;
	size_t i;

	json_array_foreach(json_object_get(list, "nftables"), i, o)
	{
		json_t *s = json_object_get(o, "map");
		if (s == NULL)
			s = json_object_get(o, "set");
		if (s != NULL && json_is_string(json_object_get(s, "name")) &&
		    strcmp(json_string_value(json_object_get(s, "name")), name) == 0)
			return s;
	}
	return NULL;
}

/* Write `delete element` for every element of map `map` whose verdict jumps to `target`;
 * with set_also non-NULL, the same keys also from that set (when they are in it). Returns
 * how many keys were found. */
static size_t fw_del_elems(FILE *b, json_t *list, const char *map, const char *target,
                           const char *set_also)
{
	json_t *m = fw_find_set(list, map), *e;
	json_t *set = set_also != NULL ? fw_find_set(list, set_also) : NULL;
	size_t i, found = 0;
	bool quote = strcmp(json_string_value(json_object_get(m, "type")) ?: "", "ifname") == 0;

	json_array_foreach(json_object_get(m, "elem"), i, e)
	{
		const char *t = fw_jump_target(json_array_get(e, 1));
		cleanup_free char *key = NULL;
		if (t == NULL || strcmp(t, target) != 0)
			continue;
		key = fw_key_text(json_array_get(e, 0), quote);
		if (key == NULL)
			continue;
		fprintf(b, "delete element " FW_TABLE " %s { %s }\n", map, key);
		found++;
		if (set != NULL) {
			json_t *s;
			size_t k;
			json_array_foreach(json_object_get(set, "elem"), k, s)
			{
				cleanup_free char *sk = fw_key_text(s, quote);
				if (sk != NULL && strcmp(sk, key) == 0) {
					fprintf(b, "delete element " FW_TABLE " %s { %s }\n",
					        set_also, key);
					break;
				}
			}
		}
	}
	return found;
}

static void fw_del_chain(FILE *b, json_t *list, const char *name)
{
	if (fw_has_chain(list, name))
		fprintf(b, "flush chain " FW_TABLE " %s\ndelete chain " FW_TABLE " %s\n", name,
		        name);
}

/* `delete rule` for each rule of `ports` that jumps to chain; returns how many. */
static size_t fw_del_jumps(FILE *b, json_t *list, const char *chain)
{
	json_t *o;
	size_t i, found = 0;

	json_array_foreach(json_object_get(list, "nftables"), i, o)
	{
		json_t *r = json_object_get(o, "rule"), *x;
		size_t k;
		if (r == NULL || !json_is_string(json_object_get(r, "chain")) ||
		    strcmp(json_string_value(json_object_get(r, "chain")), "ports") != 0)
			continue;
		json_array_foreach(json_object_get(r, "expr"), k, x)
		{
			const char *t = fw_jump_target(x);
			if (t != NULL && strcmp(t, chain) == 0) {
				fprintf(b, "delete rule " FW_TABLE " ports handle %lld\n",
				        json_integer_value(json_object_get(r, "handle")));
				found++;
				break;
			}
		}
	}
	return found;
}

/* How many networks (fwd_in elements) and containers (rules in ports) the table holds. */
static void fw_count(json_t *list, size_t *nets, size_t *ctrs)
{
	json_t *o;
	size_t i;

	*nets = json_array_size(json_object_get(fw_find_set(list, "fwd_in"), "elem"));
	*ctrs = 0;
	json_array_foreach(json_object_get(list, "nftables"), i, o)
	{
		json_t *r = json_object_get(o, "rule");
		if (r != NULL && json_is_string(json_object_get(r, "chain")) &&
		    strcmp(json_string_value(json_object_get(r, "chain")), "ports") == 0)
			(*ctrs)++;
	}
}

/* --- conflicts with other networks ---------------------------------------------------- */

/* A map key as an address and prefix length (a single address is a full-length prefix). */
static bool fw_key_prefix(json_t *k, int family, unsigned char a[16], int *len)
{
	json_t *v;
	const char *addr = NULL;

	if (json_is_object(k) && (v = json_object_get(k, "elem")) != NULL)
		k = json_object_get(v, "val");
	if (json_is_string(k)) {
		addr = json_string_value(k);
		*len = family == AF_INET ? 32 : 128;
	} else if (json_is_object(k) && (v = json_object_get(k, "prefix")) != NULL) {
		addr = json_string_value(json_object_get(v, "addr"));
		*len = (int)json_integer_value(json_object_get(v, "len"));
	}
	return addr != NULL && inet_pton(family, addr, a) == 1;
}

/* Two prefixes overlap when they agree on the shorter one's bits. */
static bool fw_overlap(const unsigned char *a, int alen, const unsigned char *b, int blen)
{
	int n = alen < blen ? alen : blen;

	for (int bit = 0; bit < n; bit++) {
		int m = 0x80 >> (bit % 8);
		if ((a[bit / 8] & m) != (b[bit / 8] & m))
			return false;
	}
	return true;
}

/* The name of the network whose chain `target` is ("net-NAME-SUFFIX"), into out. */
static void fw_net_of(const char *target, const char *suffix, char *out, size_t size)
{
	size_t len = strlen(target), sl = strlen(suffix);

	if (len > 4 + sl && strncmp(target, "net-", 4) == 0)
		snprintf(out, size, "%.*s", (int)(len - 4 - sl), target + 4);
	else
		snprintf(out, size, "%s", target);
}

/* Another network already has this bridge, or a subnet that overlaps ours: one line. */
/* Another network's rules that the network `name` would clash with: its subnets overlapping
 * one of another network's (an error). The rules of another name for the same bridge are an
 * older name of this network (berth once named networks by the engine's names, which are
 * not unique on a host): *stale gets that name, and the caller replaces them. */
static int fw_net_conflict(json_t *list, const char *name, const char *bridge, const char *s4,
                           const char *s6, char stale[96], berth_error_t *err)
{
	char mine[96], other[96], stale_post[110] = "";
	json_t *e;
	size_t i;

	stale[0] = '\0';
	snprintf(mine, sizeof(mine), "net-%s-in", name);
	json_array_foreach(json_object_get(fw_find_set(list, "fwd_in"), "elem"), i, e)
	{
		json_t *k = json_array_get(e, 0), *v;
		const char *t = fw_jump_target(json_array_get(e, 1));
		if (json_is_object(k) && (v = json_object_get(k, "elem")) != NULL)
			k = json_object_get(v, "val");
		if (t == NULL || strcmp(t, mine) == 0 || !json_is_string(k) ||
		    strcmp(json_string_value(k), bridge) != 0)
			continue;
		fw_net_of(t, "-in", stale, 96);
		snprintf(stale_post, sizeof(stale_post), "net-%s-post", stale);
	}
	snprintf(mine, sizeof(mine), "net-%s-post", name);
	for (int f = 0; f < 2; f++) {
		int family = f == 0 ? AF_INET : AF_INET6;
		const char *sub = f == 0 ? s4 : s6;
		unsigned char a[16], b[16];
		char addr[INET6_ADDRSTRLEN];
		int alen, blen;
		if (sub == NULL || sub[0] == '\0')
			continue;
		snprintf(addr, sizeof(addr), "%.*s", (int)strcspn(sub, "/"), sub);
		if (inet_pton(family, addr, a) != 1)
			continue;
		alen = atoi(strchr(sub, '/') + 1);
		json_array_foreach(
		    json_object_get(fw_find_set(list, f == 0 ? "post4" : "post6"), "elem"), i, e)
		{
			const char *t = fw_jump_target(json_array_get(e, 1));
			if (t == NULL || strcmp(t, mine) == 0 || strcmp(t, stale_post) == 0 ||
			    !fw_key_prefix(json_array_get(e, 0), family, b, &blen) ||
			    !fw_overlap(a, alen, b, blen))
				continue;
			fw_net_of(t, "-post", other, sizeof(other));
			inet_ntop(family, b, addr, sizeof(addr));
			return berth_error(
			    err, 0,
			    "firewall: network `%s`: subnet %s overlaps network `%s`'s "
			    "%s/%d",
			    name, sub, other, addr, blen);
		}
	}
	return 0;
}

/* --- the batches --------------------------------------------------------------------- */

/* The base chains, sets and maps (all `add`: nothing if they exist), and the static rules
 * of the base chains written afresh. A batch writes `add table`, then the chains of the
 * object it makes, then this: libnftables 1.0.6 fails (ENOENT) to add an interval map's
 * element that jumps to a chain made in the same batch after the map. */
static void fw_base(FILE *b)
{
	fputs("add set " FW_TABLE " bridges { type ifname; }\n"
	      "add map " FW_TABLE " fwd_in { type ifname : verdict; }\n"
	      "add map " FW_TABLE " fwd_out { type ifname : verdict; }\n"
	      "add map " FW_TABLE " post4 { type ipv4_addr : verdict; flags interval; }\n"
	      "add map " FW_TABLE " post6 { type ipv6_addr : verdict; flags interval; }\n"
	      "add chain " FW_TABLE " ports\n"
	      "add chain " FW_TABLE
	      " forward { type filter hook forward priority filter; policy accept; }\n"
	      "add chain " FW_TABLE
	      " raw_prerouting { type filter hook prerouting priority raw; policy accept; }\n"
	      "add chain " FW_TABLE
	      " prerouting { type nat hook prerouting priority dstnat; policy accept; }\n"
	      "add chain " FW_TABLE
	      " output { type nat hook output priority -100; policy accept; }\n"
	      "add chain " FW_TABLE
	      " postrouting { type nat hook postrouting priority srcnat; policy accept; }\n"
	      "flush chain " FW_TABLE " forward\n"
	      "add rule " FW_TABLE " forward ct state established,related accept\n"
	      "add rule " FW_TABLE " forward oifname vmap @fwd_out\n"
	      "add rule " FW_TABLE " forward iifname vmap @fwd_in\n"
	      "flush chain " FW_TABLE " raw_prerouting\n"
	      "add rule " FW_TABLE " raw_prerouting ip daddr 127.0.0.0/8 iifname @bridges drop\n"
	      "flush chain " FW_TABLE " prerouting\n"
	      "add rule " FW_TABLE " prerouting fib daddr type local jump ports\n"
	      "flush chain " FW_TABLE " output\n"
	      "add rule " FW_TABLE " output fib daddr type local jump ports\n"
	      "flush chain " FW_TABLE " postrouting\n"
	      "add rule " FW_TABLE " postrouting oifname @bridges ip saddr 127.0.0.0/8 masquerade\n"
	      "add rule " FW_TABLE " postrouting ip saddr vmap @post4\n"
	      "add rule " FW_TABLE " postrouting ip6 saddr vmap @post6\n",
	      b);
}

/* Everything network `name` owns, deleted (what the listing shows of it); returns how
 * many bridges it had (0 or 1). */
static size_t fw_net_remove(FILE *b, json_t *list, const char *name)
{
	char in[96], out[96], post[96];
	size_t found;

	snprintf(in, sizeof(in), "net-%s-in", name);
	snprintf(out, sizeof(out), "net-%s-out", name);
	snprintf(post, sizeof(post), "net-%s-post", name);
	found = fw_del_elems(b, list, "fwd_in", in, "bridges");
	fw_del_elems(b, list, "fwd_out", out, NULL);
	fw_del_elems(b, list, "post4", post, NULL);
	fw_del_elems(b, list, "post6", post, NULL);
	fw_del_chain(b, list, in);
	fw_del_chain(b, list, out);
	fw_del_chain(b, list, post);
	return found;
}

static void fw_ctr_remove(FILE *b, json_t *list, const char *id)
{
	char chain[96];

	snprintf(chain, sizeof(chain), "ctr-%s", id);
	fw_del_jumps(b, list, chain);
	fw_del_chain(b, list, chain);
}

/* Batch text from an open_memstream; run it. */
static int fw_commit(struct fw *fw, FILE *b, char **text, berth_error_t *err)
{
	if (fclose(b) != 0)
		return berth_error(err, errno, "firewall: build the nft batch");
	if (*text == NULL || **text == '\0')
		return 0;
	return fw_run(fw, *text, err);
}

/* --- the generation stamp ------------------------------------------------------------- */

/* The ruleset's generation (NFT_MSG_GETGEN), or -1 (then nothing is taken as known). */
static long long fw_genid(void)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	long long gen = -1;
	ssize_t n;

	if (nl == NULL)
		return -1;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETGEN;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = 1;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0 ||
	    (n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) < 0)
		goto out;
	nlh = (struct nlmsghdr *)buf;
	if (!mnl_nlmsg_ok(nlh, (int)n) ||
	    nlh->nlmsg_type != ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWGEN))
		goto out;
	{
		struct nlattr *a;
		mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
		{
			if (mnl_attr_get_type(a) == NFTA_GEN_ID &&
			    mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				gen = ntohl(mnl_attr_get_u32(a));
		}
	}
out:
	mnl_socket_close(nl);
	return gen;
}

/* The commit after generation `gen` makes `gen` + 1 (0 is skipped). */
static long long fw_gen_next(long long gen)
{
	return gen == 0xffffffffLL ? 1 : gen + 1;
}

/* What the stamp is valid for: this boot and this network namespace. */
static void fw_stamp_where(char *out, size_t size)
{
	char boot[64] = "";
	struct stat st = {0};
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");

	if (f != NULL) {
		if (fgets(boot, sizeof(boot), f) == NULL)
			boot[0] = '\0';
		fclose(f);
	}
	boot[strcspn(boot, "\n")] = '\0';
	stat("/proc/self/ns/net", &st);
	snprintf(out, size, "%s:%llu", boot[0] ? boot : "-", (unsigned long long)st.st_ino);
}

/* The stamp: "WHERE GEN" then "NAME HASH" lines. Its entries as a JSON object (name ->
 * hash) when it is valid here at generation gen, else an empty one. */
static json_t *fw_stamp_load(long long gen)
{
	char where[96], line[256], w[96];
	long long g;
	json_t *nets = json_object();
	FILE *f;

	if (gen < 0 || (f = fopen(FW_STATE, "re")) == NULL)
		return nets;
	fw_stamp_where(where, sizeof(where));
	if (fgets(line, sizeof(line), f) != NULL && sscanf(line, "%95s %lld", w, &g) == 2 &&
	    strcmp(w, where) == 0 && g == gen) {
		char name[80], hash[32];
		while (fgets(line, sizeof(line), f) != NULL)
			if (sscanf(line, "%79s %31s", name, hash) == 2)
				json_object_set_new(nets, name, json_string(hash));
	}
	fclose(f);
	return nets;
}

/* After berth's commit: gen_before was read before it (under the lock). The entries stay
 * (but `drop`; `add` gets `hash`) only when no other transaction came between. A stamp
 * that cannot be written is removed: the next start then writes its rules again. */
static void fw_stamp_commit(long long gen_before, const char *drop, const char *add,
                            const char *hash)
{
	long long gen_after = fw_genid();
	json_t *nets = fw_stamp_load(gen_before);
	char where[96];
	const char *k;
	json_t *v;
	FILE *f;

	if (gen_before >= 0 && gen_after == gen_before) {
		json_decref(nets); /* nothing was committed */
		return;
	}
	if (gen_before < 0 || gen_after != fw_gen_next(gen_before)) {
		json_decref(nets);
		unlink(FW_STATE);
		return;
	}
	if (drop != NULL)
		json_object_del(nets, drop);
	if (add != NULL)
		json_object_set_new(nets, add, json_string(hash));
	fw_stamp_where(where, sizeof(where));
	f = fopen(FW_STATE ".tmp", "we");
	if (f != NULL) {
		fprintf(f, "%s %lld\n", where, gen_after);
		json_object_foreach(nets, k, v) fprintf(f, "%s %s\n", k, json_string_value(v));
	}
	if (f == NULL || fclose(f) != 0 || rename(FW_STATE ".tmp", FW_STATE) < 0) {
		unlink(FW_STATE ".tmp");
		unlink(FW_STATE);
	}
	json_decref(nets);
}

/* FNV-1a of the rules a network wants, as hex. */
static void fw_hash(const char *text, char out[17])
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const unsigned char *c = (const unsigned char *)text; *c; c++)
		h = (h ^ *c) * 0x100000001b3ULL;
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}

static int fw_sysctl_on(const char *path, berth_error_t *err)
{
	char v[8] = "";
	FILE *f = fopen(path, "re");

	if (f != NULL) {
		if (fgets(v, sizeof(v), f) == NULL)
			v[0] = '\0';
		fclose(f);
	}
	if (v[0] == '1')
		return 0;
	return util_write_file(path, "1", err);
}

int fw_network_add(const struct fw_net *net, berth_error_t *err)
{
	char s4[64] = "", s6[64] = "", path[128];
	struct fw fw __attribute__((cleanup(fw_close))) = {NULL, -1};
	json_t *list __attribute__((cleanup(json_decrefp))) = NULL;
	json_t *known __attribute__((cleanup(json_decrefp))) = NULL;
	cleanup_free char *text = NULL, *rules = NULL;
	size_t size = 0, rsize = 0;
	char hash[17], stale[96];
	long long gen;
	FILE *b;
	const char *n, *br;

	if (fw_check_name("network name", net->name, 64, err) < 0 ||
	    fw_check_name("bridge", net->bridge, 15, err) < 0)
		return -1;
	if (net->subnet4 != NULL &&
	    fw_cidr("subnet", net->subnet4, AF_INET, s4, sizeof(s4), err) < 0)
		return -1;
	if (net->subnet6 != NULL &&
	    fw_cidr("IPv6 subnet", net->subnet6, AF_INET6, s6, sizeof(s6), err) < 0)
		return -1;
	n = net->name;
	br = net->bridge;

	/* the bridge path needs forwarding; 127.0.0.1 reaches a published port only with
	 * route_localnet on the bridge (and the masquerade of 127.0.0.0/8 below) */
	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/route_localnet", br);
	if (access(path, F_OK) < 0)
		return berth_error(err, errno, "firewall: network `%s`: bridge `%s`", n, br);
	if (fw_sysctl_on(path, err) < 0 || fw_sysctl_on("/proc/sys/net/ipv4/ip_forward", err) < 0)
		return -1;
	if (s6[0] != '\0' && fw_sysctl_on("/proc/sys/net/ipv6/conf/all/forwarding", err) < 0)
		return -1;

	/* the rules this network wants */
	b = open_memstream(&rules, &rsize);
	if (b == NULL)
		return berth_error(err, errno, "firewall: open_memstream");
	fprintf(b, "add chain " FW_TABLE " net-%s-in\n", n);
	fprintf(b, "add chain " FW_TABLE " net-%s-out\n", n);
	fprintf(b, "add chain " FW_TABLE " net-%s-post\n", n);
	fw_base(b);
	/* out of the bridge, forwarded: an internal network goes nowhere but its own subnet */
	if (net->internal) {
		if (s4[0] != '\0')
			fprintf(b, "add rule " FW_TABLE " net-%s-in ip daddr != %s drop\n", n, s4);
		else
			fprintf(b, "add rule " FW_TABLE " net-%s-in meta nfproto ipv4 drop\n", n);
		if (s6[0] != '\0')
			fprintf(b, "add rule " FW_TABLE " net-%s-in ip6 daddr != %s drop\n", n, s6);
		else
			fprintf(b, "add rule " FW_TABLE " net-%s-in meta nfproto ipv6 drop\n", n);
	}
	/* isolation: never into another berth network, but for a published port (DNAT), which
	 * is reachable from wherever the host is */
	fprintf(b,
	        "add rule " FW_TABLE " net-%s-in oifname != \"%s\" oifname @bridges ct status dnat "
	        "return\n",
	        n, br);
	fprintf(b, "add rule " FW_TABLE " net-%s-in oifname != \"%s\" oifname @bridges drop\n", n,
	        br);
	fprintf(b, "add rule " FW_TABLE " net-%s-in accept\n", n);
	/* into the bridge, forwarded: an internal network takes only its own subnet */
	if (net->internal) {
		if (s4[0] != '\0')
			fprintf(b, "add rule " FW_TABLE " net-%s-out ip saddr != %s drop\n", n, s4);
		else
			fprintf(b, "add rule " FW_TABLE " net-%s-out meta nfproto ipv4 drop\n", n);
		if (s6[0] != '\0')
			fprintf(b, "add rule " FW_TABLE " net-%s-out ip6 saddr != %s drop\n", n,
			        s6);
		else
			fprintf(b, "add rule " FW_TABLE " net-%s-out meta nfproto ipv6 drop\n", n);
	}
	/* from the subnet: masquerade when leaving the bridge; hairpin (a container reaching
	 * a published port of its own network through a host address) also on the bridge */
	if (!net->internal)
		fprintf(b, "add rule " FW_TABLE " net-%s-post oifname != \"%s\" masquerade\n", n,
		        br);
	fprintf(b, "add rule " FW_TABLE " net-%s-post oifname \"%s\" ct status dnat masquerade\n",
	        n, br);

	fprintf(b, "add element " FW_TABLE " bridges { \"%s\" }\n", br);
	fprintf(b, "add element " FW_TABLE " fwd_in { \"%s\" : jump net-%s-in }\n", br, n);
	fprintf(b, "add element " FW_TABLE " fwd_out { \"%s\" : jump net-%s-out }\n", br, n);
	if (s4[0] != '\0')
		fprintf(b, "add element " FW_TABLE " post4 { %s : jump net-%s-post }\n", s4, n);
	if (s6[0] != '\0')
		fprintf(b, "add element " FW_TABLE " post6 { %s : jump net-%s-post }\n", s6, n);
	if (fclose(b) != 0)
		return berth_error(err, errno, "firewall: build the nft batch");
	fw_hash(rules, hash);

	if (fw_lock(&fw, err) < 0)
		return -1;
	/* in place since berth's last commit, and nothing has changed the ruleset since */
	gen = fw_genid();
	known = fw_stamp_load(gen);
	if (strcmp(json_string_value(json_object_get(known, n)) ?: "", hash) == 0)
		return 0;
	if (fw_ctx(&fw, err) < 0 || fw_list(&fw, &list, err) < 0 ||
	    fw_net_conflict(list, n, br, s4, s6, stale, err) < 0)
		return -1;
	b = open_memstream(&text, &size);
	if (b == NULL)
		return berth_error(err, errno, "firewall: open_memstream");
	fputs("add table " FW_TABLE "\n", b);
	/* again: replaced as a whole (and under an older name) */
	fw_net_remove(b, list, n);
	if (stale[0] != '\0')
		fw_net_remove(b, list, stale);
	fputs(rules, b);
	if (fw_commit(&fw, b, &text, err) < 0)
		return berth_error_prefix(err, "network `%s`", n);
	fw_stamp_commit(gen, NULL, n, hash);
	return 0;
}

int fw_bridge_port(const char *host_if, berth_error_t *err)
{
	char path[96];

	if (fw_check_name("bridge port", host_if, 15, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "/sys/class/net/%s/brport/hairpin_mode", host_if);
	if (access(path, F_OK) < 0)
		return berth_error(err, errno, "firewall: bridge port `%s`", host_if);
	return fw_sysctl_on(path, err);
}

/* Delete the whole table when nothing of berth's is left in it. */
static void fw_maybe_drop_table(FILE *b, json_t *list, size_t nets_gone, size_t ctrs_gone)
{
	size_t nets, ctrs;

	fw_count(list, &nets, &ctrs);
	if (nets <= nets_gone && ctrs <= ctrs_gone)
		fputs("delete table " FW_TABLE "\n", b);
}

int fw_network_del(const char *name, berth_error_t *err)
{
	struct fw fw __attribute__((cleanup(fw_close))) = {NULL, -1};
	json_t *list __attribute__((cleanup(json_decrefp))) = NULL;
	cleanup_free char *text = NULL;
	size_t size = 0, gone;
	long long gen;
	FILE *b;

	if (fw_check_name("network name", name, 64, err) < 0)
		return -1;
	if (fw_open(&fw, err) < 0)
		return -1;
	gen = fw_genid();
	if (fw_list(&fw, &list, err) < 0)
		return -1;
	if (list == NULL)
		return 0;
	b = open_memstream(&text, &size);
	if (b == NULL)
		return berth_error(err, errno, "firewall: open_memstream");
	gone = fw_net_remove(b, list, name);
	fw_maybe_drop_table(b, list, gone, 0);
	if (fw_commit(&fw, b, &text, err) < 0)
		return berth_error_prefix(err, "network `%s`", name);
	fw_stamp_commit(gen, name, NULL, NULL);
	return 0;
}

/* The DNAT rules of one port for one family into chain ctr-ID. */
static void fw_port_rule(FILE *b, const char *id, const struct fw_port *p, int family,
                         const char *ctr_ip)
{
	const char *proto = p->proto == IPPROTO_UDP ? "udp" : "tcp";

	fprintf(b, "add rule " FW_TABLE " ctr-%s meta nfproto %s ", id,
	        family == AF_INET ? "ipv4" : "ipv6");
	if (p->host_ip[0] != '\0')
		fprintf(b, "%s daddr %s ", family == AF_INET ? "ip" : "ip6", p->host_ip);
	else if (family == AF_INET6)
		/* no route_localnet for IPv6: ::1 cannot be redirected off the host */
		fputs("ip6 daddr != ::1 ", b);
	if (family == AF_INET)
		fprintf(b, "%s dport %u dnat ip to %s:%u\n", proto, p->host_port, ctr_ip,
		        p->ctr_port);
	else
		fprintf(b, "%s dport %u dnat ip6 to [%s]:%u\n", proto, p->host_port, ctr_ip,
		        p->ctr_port);
}

int fw_ports_add(const char *id, const struct fw_net *net, const char *ip4, const char *ip6,
                 const struct fw_port *ports, size_t n, berth_error_t *err)
{
	struct fw fw __attribute__((cleanup(fw_close))) = {NULL, -1};
	json_t *list __attribute__((cleanup(json_decrefp))) = NULL;
	cleanup_free char *text = NULL;
	size_t size = 0;
	long long gen;
	FILE *b;

	if (fw_check_name("container id", id, 80, err) < 0)
		return -1;
	if (net != NULL && net->name != NULL &&
	    fw_check_name("network name", net->name, 64, err) < 0)
		return -1;
	if (ip4 != NULL && fw_check_ip("container address", ip4, AF_INET, err) < 0)
		return -1;
	if (ip6 != NULL && fw_check_ip("container address", ip6, AF_INET6, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct fw_port *p = &ports[i];
		bool want4 = p->family == AF_INET || p->family == AF_UNSPEC;
		bool want6 = p->family == AF_INET6 || p->family == AF_UNSPEC;
		if (p->host_port == 0 || p->ctr_port == 0 || p->host_port_end > p->host_port)
			return berth_error(
			    err, 0,
			    "firewall: container `%s`: port %u -> %u is not reserved "
			    "(port_reserve() chooses the host port)",
			    id, p->host_port, p->ctr_port);
		if (p->proto != IPPROTO_TCP && p->proto != IPPROTO_UDP)
			return berth_error(err, 0, "firewall: container `%s`: protocol %d", id,
			                   p->proto);
		if (p->host_ip[0] != '\0' &&
		    fw_check_ip("host address", p->host_ip,
		                p->family == AF_INET6 ? AF_INET6 : AF_INET, err) < 0)
			return -1;
		if ((want4 && ip4 == NULL && (!want6 || ip6 == NULL)) ||
		    (want6 && ip6 == NULL && (!want4 || ip4 == NULL)))
			return berth_error(
			    err, 0,
			    "firewall: container `%s`: host port %u: the container has "
			    "no IPv%d address",
			    id, p->host_port, want4 ? 4 : 6);
	}
	if (fw_open(&fw, err) < 0)
		return -1;
	gen = fw_genid();
	if (fw_list(&fw, &list, err) < 0)
		return -1;
	b = open_memstream(&text, &size);
	if (b == NULL)
		return berth_error(err, errno, "firewall: open_memstream");
	fputs("add table " FW_TABLE "\n", b);
	fw_ctr_remove(b, list, id);
	fprintf(b, "add chain " FW_TABLE " ctr-%s\n", id);
	fw_base(b);
	for (size_t i = 0; i < n; i++) {
		const struct fw_port *p = &ports[i];
		if ((p->family == AF_INET || p->family == AF_UNSPEC) && ip4 != NULL)
			fw_port_rule(b, id, p, AF_INET, ip4);
		if ((p->family == AF_INET6 || p->family == AF_UNSPEC) && ip6 != NULL)
			fw_port_rule(b, id, p, AF_INET6, ip6);
	}
	fprintf(b, "add rule " FW_TABLE " ports jump ctr-%s comment \"ctr %s net %s\"\n", id, id,
	        net != NULL && net->name != NULL ? net->name : "-");
	if (fw_commit(&fw, b, &text, err) < 0)
		return berth_error_prefix(err, "container `%s`", id);
	fw_stamp_commit(gen, NULL, NULL, NULL);
	return 0;
}

int fw_ports_del(const char *id, berth_error_t *err)
{
	struct fw fw __attribute__((cleanup(fw_close))) = {NULL, -1};
	json_t *list __attribute__((cleanup(json_decrefp))) = NULL;
	cleanup_free char *text = NULL;
	size_t size = 0, gone;
	long long gen;
	char chain[96];
	FILE *b;

	if (fw_check_name("container id", id, 80, err) < 0)
		return -1;
	if (fw_open(&fw, err) < 0)
		return -1;
	gen = fw_genid();
	if (fw_list(&fw, &list, err) < 0)
		return -1;
	if (list == NULL)
		return 0;
	b = open_memstream(&text, &size);
	if (b == NULL)
		return berth_error(err, errno, "firewall: open_memstream");
	snprintf(chain, sizeof(chain), "ctr-%s", id);
	gone = fw_del_jumps(b, list, chain);
	fw_del_chain(b, list, chain);
	fw_maybe_drop_table(b, list, 0, gone);
	if (fw_commit(&fw, b, &text, err) < 0)
		return berth_error_prefix(err, "container `%s`", id);
	fw_stamp_commit(gen, NULL, NULL, NULL);
	return 0;
}
