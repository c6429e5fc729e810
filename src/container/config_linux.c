/* SPDX-License-Identifier: MIT */
/* config.json: the "linux" object (namespaces, devices, resources, seccomp, …). */
#include "config.h"
#include "config_priv.h"
#include "util.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

/* ------------------------------------------------------------------------------------------
 * namespaces, devices, time offsets
 */

static int parse_namespace(struct cfg_ctx *c, const json_t *v, const struct cfg_path *p, void *elem)
{
	struct config_namespace *ns = elem;
	cleanup_free char *type = NULL;
	int t;

	if (config_jstr(c, v, p, "type", true, &type) < 0)
		return -1;
	t = config_ns_from_name(type);
	if (t < 0)
		return config_perr(c, CFG_KEY(p, "type"),
		                   "unknown namespace type \"%s\" (expected one of pid, network, "
		                   "mount, ipc, uts, user, cgroup, time)",
		                   type);
	ns->type = (enum config_ns_type)t;
	if (config_jstr(c, v, p, "path", false, &ns->path) < 0 ||
	    config_check_abs(c, CFG_KEY(p, "path"), ns->path) < 0)
		return -1;
	return 0;
}

static int parse_namespaces(struct cfg_ctx *c, const json_t *lin, const struct cfg_path *p,
                            struct config_linux *l)
{
	if (CFG_OBJECTS(c, lin, p, "namespaces", l->namespaces, l->n_namespaces, parse_namespace) <
	    0)
		return -1;
	for (size_t i = 0; i < l->n_namespaces; i++) {
		for (size_t j = 0; j < i; j++) {
			if (l->namespaces[i].type == l->namespaces[j].type)
				return config_perr(
				    c, CFG_KEY(CFG_IDX(CFG_KEY(p, "namespaces"), i), "type"),
				    "duplicate namespace type \"%s\"",
				    config_ns_name(l->namespaces[i].type));
		}
	}
	return 0;
}

static int parse_device(struct cfg_ctx *c, const json_t *v, const struct cfg_path *p, void *elem)
{
	struct config_device *d = elem;
	cleanup_free char *type = NULL;
	bool has_major, has_minor;
	int64_t n;

	if (config_jstr(c, v, p, "path", true, &d->path) < 0 ||
	    config_check_abs(c, CFG_KEY(p, "path"), d->path) < 0 ||
	    config_jstr(c, v, p, "type", true, &type) < 0)
		return -1;
	if (strlen(type) != 1 || strchr("cbup", type[0]) == NULL)
		return config_perr(c, CFG_KEY(p, "type"),
		                   "unknown device type \"%s\" (expected one of c, b, u, p)", type);
	d->type = type[0];
	if (config_jint(c, v, p, "major", INT64_MIN, INT64_MAX, &d->major, &has_major) < 0 ||
	    config_jint(c, v, p, "minor", INT64_MIN, INT64_MAX, &d->minor, &has_minor) < 0)
		return -1;
	if (d->type != 'p') {
		if (!has_major)
			return config_perr_missing(c, p, "major");
		if (!has_minor)
			return config_perr_missing(c, p, "minor");
	}
	if (config_jint(c, v, p, "fileMode", 0, 07777, &n, &d->has_file_mode) < 0)
		return -1;
	d->file_mode = d->has_file_mode ? (mode_t)n : 0;
	if (config_jint(c, v, p, "uid", 0, CFG_U32_MAX, &n, &d->has_uid) < 0)
		return -1;
	d->uid = d->has_uid ? (uid_t)n : 0;
	if (config_jint(c, v, p, "gid", 0, CFG_U32_MAX, &n, &d->has_gid) < 0)
		return -1;
	d->gid = d->has_gid ? (gid_t)n : 0;
	return 0;
}

static int parse_time_offsets(struct cfg_ctx *c, const json_t *lin, const struct cfg_path *lp,
                              struct config_linux *l)
{
	const struct cfg_path *p = CFG_KEY(lp, "timeOffsets");
	json_t *v, *e;
	const char *k;
	size_t i = 0;

	if (config_jobj(c, lin, lp, "timeOffsets", false, &v) < 0)
		return -1;
	if (v == NULL)
		return 0;
	l->time_offsets = xmalloc0((json_object_size(v) + 1) * sizeof(*l->time_offsets));
	l->n_time_offsets = json_object_size(v);
	json_object_foreach(v, k, e)
	{
		struct config_time_offset *t = &l->time_offsets[i++];
		const struct cfg_path *ep = CFG_KEY(p, k);
		int64_t n;
		bool has;

		if (strcmp(k, "monotonic") != 0 && strcmp(k, "boottime") != 0)
			return config_perr(
			    c, ep, "unknown clock \"%s\" (expected monotonic or boottime)", k);
		if (!json_is_object(e))
			return config_perr_type(c, ep, "object", e);
		t->clock = xstrdup(k);
		if (config_jint(c, e, ep, "secs", INT64_MIN, INT64_MAX, &t->secs, &has) < 0 ||
		    config_jint(c, e, ep, "nanosecs", 0, 999999999, &n, &has) < 0)
			return -1;
		t->nanosecs = has ? (uint32_t)n : 0;
	}
	return 0;
}

/* ------------------------------------------------------------------------------------------
 * resources
 */

static int parse_device_cgroup(struct cfg_ctx *c, const json_t *v, const struct cfg_path *p,
                               void *elem)
{
	struct config_device_cgroup *d = elem;
	cleanup_free char *type = NULL;
	bool has;

	if (json_object_get(v, "allow") == NULL)
		return config_perr_missing(c, p, "allow");
	if (config_jbool(c, v, p, "allow", &d->allow, NULL) < 0 ||
	    config_jstr(c, v, p, "type", false, &type) < 0)
		return -1;
	d->type = 'a';
	if (type != NULL) {
		if (strlen(type) != 1 || strchr("acb", type[0]) == NULL)
			return config_perr(c, CFG_KEY(p, "type"),
			                   "unknown device type \"%s\" (expected one of a, c, b)",
			                   type);
		d->type = type[0];
	}
	if (config_jint(c, v, p, "major", -1, INT64_MAX, &d->major, &has) < 0)
		return -1;
	if (!has)
		d->major = -1;
	if (config_jint(c, v, p, "minor", -1, INT64_MAX, &d->minor, &has) < 0)
		return -1;
	if (!has)
		d->minor = -1;
	if (config_jstr(c, v, p, "access", false, &d->access) < 0)
		return -1;
	if (d->access != NULL && strspn(d->access, "rwm") != strlen(d->access))
		return config_perr(c, CFG_KEY(p, "access"),
		                   "invalid device access \"%s\" (only r, w and m are allowed)",
		                   d->access);
	return 0;
}

static int parse_memory(struct cfg_ctx *c, const json_t *res, const struct cfg_path *rp,
                        struct config_resources *r)
{
	const struct cfg_path *p = CFG_KEY(rp, "memory");
	json_t *v;
	int64_t n;

	if (config_jobj(c, res, rp, "memory", false, &v) < 0)
		return -1;
	if (v == NULL)
		return 0;
	r->has_memory = true;
	if (config_jint(c, v, p, "limit", -1, INT64_MAX, &r->mem_limit, &r->has_mem_limit) < 0 ||
	    config_jint(c, v, p, "reservation", -1, INT64_MAX, &r->mem_reservation,
	                &r->has_mem_reservation) < 0 ||
	    config_jint(c, v, p, "swap", -1, INT64_MAX, &r->mem_swap, &r->has_mem_swap) < 0 ||
	    config_jint(c, v, p, "kernel", -1, INT64_MAX, &r->mem_kernel, &r->has_mem_kernel) < 0 ||
	    config_jint(c, v, p, "kernelTCP", -1, INT64_MAX, &r->mem_kernel_tcp,
	                &r->has_mem_kernel_tcp) < 0 ||
	    config_jint(c, v, p, "swappiness", 0, 100, &n, &r->has_mem_swappiness) < 0)
		return -1;
	/* 0 and -1 mean "no limit" */
	if (r->has_mem_limit && r->mem_limit > 0 && r->mem_limit < CONFIG_MIN_MEMORY_LIMIT)
		return config_perr(c, CFG_KEY(p, "limit"),
		                   "%" PRId64 " bytes is below the minimum of %lld (6 MiB): the "
		                   "container could not even start",
		                   r->mem_limit, CONFIG_MIN_MEMORY_LIMIT);
	r->mem_swappiness = r->has_mem_swappiness ? (uint64_t)n : 0;
	if (config_jbool(c, v, p, "disableOOMKiller", &r->mem_disable_oom_killer,
	                 &r->has_mem_disable_oom_killer) < 0 ||
	    config_jbool(c, v, p, "useHierarchy", &r->mem_use_hierarchy,
	                 &r->has_mem_use_hierarchy) < 0 ||
	    config_jbool(c, v, p, "checkBeforeUpdate", &r->mem_check_before_update,
	                 &r->has_mem_check_before_update) < 0)
		return -1;
	return 0;
}

static int parse_cpu(struct cfg_ctx *c, const json_t *res, const struct cfg_path *rp,
                     struct config_resources *r)
{
	const struct cfg_path *p = CFG_KEY(rp, "cpu");
	json_t *v;

	if (config_jobj(c, res, rp, "cpu", false, &v) < 0)
		return -1;
	if (v == NULL)
		return 0;
	r->has_cpu = true;
	if (config_juint(c, v, p, "shares", UINT64_MAX, &r->cpu_shares, &r->has_cpu_shares) < 0 ||
	    config_jint(c, v, p, "quota", -1, INT64_MAX, &r->cpu_quota, &r->has_cpu_quota) < 0 ||
	    config_juint(c, v, p, "burst", UINT64_MAX, &r->cpu_burst, &r->has_cpu_burst) < 0 ||
	    config_juint(c, v, p, "period", UINT64_MAX, &r->cpu_period, &r->has_cpu_period) < 0 ||
	    config_jint(c, v, p, "realtimeRuntime", -1, INT64_MAX, &r->cpu_realtime_runtime,
	                &r->has_cpu_realtime_runtime) < 0 ||
	    config_juint(c, v, p, "realtimePeriod", UINT64_MAX, &r->cpu_realtime_period,
	                 &r->has_cpu_realtime_period) < 0 ||
	    config_jint(c, v, p, "idle", INT64_MIN, INT64_MAX, &r->cpu_idle, &r->has_cpu_idle) <
	        0 ||
	    config_jstr(c, v, p, "cpus", false, &r->cpu_cpus) < 0 ||
	    config_jstr(c, v, p, "mems", false, &r->cpu_mems) < 0)
		return -1;
	return 0;
}

static int parse_weight_device(struct cfg_ctx *c, const json_t *v, const struct cfg_path *p,
                               void *elem)
{
	struct config_weight_device *d = elem;
	int64_t n;

	if (config_jint(c, v, p, "major", INT64_MIN, INT64_MAX, &d->major, NULL) < 0 ||
	    config_jint(c, v, p, "minor", INT64_MIN, INT64_MAX, &d->minor, NULL) < 0)
		return -1;
	if (config_jint(c, v, p, "weight", 0, CFG_U16_MAX, &n, &d->has_weight) < 0)
		return -1;
	d->weight = d->has_weight ? (uint16_t)n : 0;
	if (config_jint(c, v, p, "leafWeight", 0, CFG_U16_MAX, &n, &d->has_leaf_weight) < 0)
		return -1;
	d->leaf_weight = d->has_leaf_weight ? (uint16_t)n : 0;
	return 0;
}

static int parse_throttle_device(struct cfg_ctx *c, const json_t *v, const struct cfg_path *p,
                                 void *elem)
{
	struct config_throttle_device *d = elem;

	if (config_jint(c, v, p, "major", INT64_MIN, INT64_MAX, &d->major, NULL) < 0 ||
	    config_jint(c, v, p, "minor", INT64_MIN, INT64_MAX, &d->minor, NULL) < 0 ||
	    config_juint(c, v, p, "rate", UINT64_MAX, &d->rate, NULL) < 0)
		return -1;
	return 0;
}

static int parse_blkio(struct cfg_ctx *c, const json_t *res, const struct cfg_path *rp,
                       struct config_resources *r)
{
	const struct cfg_path *p = CFG_KEY(rp, "blockIO");
	json_t *v;
	int64_t n;

	if (config_jobj(c, res, rp, "blockIO", false, &v) < 0)
		return -1;
	if (v == NULL)
		return 0;
	r->has_blkio = true;
	if (config_jint(c, v, p, "weight", 0, CFG_U16_MAX, &n, &r->has_blkio_weight) < 0)
		return -1;
	r->blkio_weight = r->has_blkio_weight ? (uint16_t)n : 0;
	if (config_jint(c, v, p, "leafWeight", 0, CFG_U16_MAX, &n, &r->has_blkio_leaf_weight) < 0)
		return -1;
	r->blkio_leaf_weight = r->has_blkio_leaf_weight ? (uint16_t)n : 0;
	if (CFG_OBJECTS(c, v, p, "weightDevice", r->blkio_weight_device, r->n_blkio_weight_device,
	                parse_weight_device) < 0 ||
	    CFG_OBJECTS(c, v, p, "throttleReadBpsDevice", r->blkio_throttle_read_bps,
	                r->n_blkio_throttle_read_bps, parse_throttle_device) < 0 ||
	    CFG_OBJECTS(c, v, p, "throttleWriteBpsDevice", r->blkio_throttle_write_bps,
	                r->n_blkio_throttle_write_bps, parse_throttle_device) < 0 ||
	    CFG_OBJECTS(c, v, p, "throttleReadIOPSDevice", r->blkio_throttle_read_iops,
	                r->n_blkio_throttle_read_iops, parse_throttle_device) < 0 ||
	    CFG_OBJECTS(c, v, p, "throttleWriteIOPSDevice", r->blkio_throttle_write_iops,
	                r->n_blkio_throttle_write_iops, parse_throttle_device) < 0)
		return -1;
	return 0;
}

static int parse_hugepage_limit(struct cfg_ctx *c, const json_t *v, const struct cfg_path *p,
                                void *elem)
{
	struct config_hugepage_limit *h = elem;

	if (config_jstr(c, v, p, "pageSize", true, &h->page_size) < 0 ||
	    config_juint(c, v, p, "limit", UINT64_MAX, &h->limit, NULL) < 0)
		return -1;
	return 0;
}

static int parse_net_priority(struct cfg_ctx *c, const json_t *v, const struct cfg_path *p,
                              void *elem)
{
	struct config_net_priority *np = elem;
	int64_t n;

	if (config_jstr(c, v, p, "name", true, &np->name) < 0 ||
	    config_jint(c, v, p, "priority", 0, CFG_U32_MAX, &n, NULL) < 0)
		return -1;
	np->priority = (uint32_t)n;
	return 0;
}

static int parse_network(struct cfg_ctx *c, const json_t *res, const struct cfg_path *rp,
                         struct config_resources *r)
{
	const struct cfg_path *p = CFG_KEY(rp, "network");
	json_t *v;
	int64_t n;

	if (config_jobj(c, res, rp, "network", false, &v) < 0)
		return -1;
	if (v == NULL)
		return 0;
	r->has_network = true;
	if (config_jint(c, v, p, "classID", 0, CFG_U32_MAX, &n, &r->has_net_class_id) < 0)
		return -1;
	r->net_class_id = r->has_net_class_id ? (uint32_t)n : 0;
	return CFG_OBJECTS(c, v, p, "priorities", r->net_priorities, r->n_net_priorities,
	                   parse_net_priority);
}

static int parse_rdma(struct cfg_ctx *c, const json_t *res, const struct cfg_path *rp,
                      struct config_resources *r)
{
	const struct cfg_path *p = CFG_KEY(rp, "rdma");
	json_t *v, *e;
	const char *k;
	size_t i = 0;

	if (config_jobj(c, res, rp, "rdma", false, &v) < 0)
		return -1;
	if (v == NULL)
		return 0;
	r->rdma = xmalloc0((json_object_size(v) + 1) * sizeof(*r->rdma));
	r->n_rdma = json_object_size(v);
	json_object_foreach(v, k, e)
	{
		struct config_rdma *d = &r->rdma[i++];
		const struct cfg_path *ep = CFG_KEY(p, k);
		int64_t n;

		if (!json_is_object(e))
			return config_perr_type(c, ep, "object", e);
		d->device = xstrdup(k);
		if (config_jint(c, e, ep, "hcaHandles", 0, CFG_U32_MAX, &n, &d->has_hca_handles) <
		    0)
			return -1;
		d->hca_handles = d->has_hca_handles ? (uint32_t)n : 0;
		if (config_jint(c, e, ep, "hcaObjects", 0, CFG_U32_MAX, &n, &d->has_hca_objects) <
		    0)
			return -1;
		d->hca_objects = d->has_hca_objects ? (uint32_t)n : 0;
	}
	return 0;
}

/* The resources object v at path p. */
static int parse_resources_obj(struct cfg_ctx *c, const json_t *v, const struct cfg_path *p,
                               struct config_resources *r)
{
	json_t *pids;

	if (CFG_OBJECTS_MAX(c, v, p, "devices", r->devices, r->n_devices, parse_device_cgroup,
	                    CONFIG_MAX_DEVICES) < 0 ||
	    parse_memory(c, v, p, r) < 0 || parse_cpu(c, v, p, r) < 0)
		return -1;
	if (config_jobj(c, v, p, "pids", false, &pids) < 0)
		return -1;
	if (pids != NULL && config_jint(c, pids, CFG_KEY(p, "pids"), "limit", INT64_MIN, INT64_MAX,
	                                &r->pids_limit, &r->has_pids_limit) < 0)
		return -1;
	if (parse_blkio(c, v, p, r) < 0 ||
	    CFG_OBJECTS(c, v, p, "hugepageLimits", r->hugepage_limits, r->n_hugepage_limits,
	                parse_hugepage_limit) < 0 ||
	    parse_network(c, v, p, r) < 0 || parse_rdma(c, v, p, r) < 0 ||
	    config_jmap(c, v, p, "unified", &r->unified, &r->n_unified) < 0)
		return -1;
	return 0;
}

static int parse_resources(struct cfg_ctx *c, const json_t *lin, const struct cfg_path *lp,
                           struct config_linux *l)
{
	json_t *v;

	if (config_jobj(c, lin, lp, "resources", false, &v) < 0)
		return -1;
	if (v == NULL)
		return 0;
	l->has_resources = true;
	return parse_resources_obj(c, v, CFG_KEY(lp, "resources"), &l->resources);
}

static void resources_clear(struct config_resources *r)
{
	for (size_t i = 0; r->devices != NULL && i < r->n_devices; i++)
		free(r->devices[i].access);
	free(r->devices);
	free(r->cpu_cpus);
	free(r->cpu_mems);
	free(r->blkio_weight_device);
	free(r->blkio_throttle_read_bps);
	free(r->blkio_throttle_write_bps);
	free(r->blkio_throttle_read_iops);
	free(r->blkio_throttle_write_iops);
	for (size_t i = 0; r->hugepage_limits != NULL && i < r->n_hugepage_limits; i++)
		free(r->hugepage_limits[i].page_size);
	free(r->hugepage_limits);
	for (size_t i = 0; r->net_priorities != NULL && i < r->n_net_priorities; i++)
		free(r->net_priorities[i].name);
	free(r->net_priorities);
	for (size_t i = 0; r->rdma != NULL && i < r->n_rdma; i++)
		free(r->rdma[i].device);
	free(r->rdma);
	config_kv_free(r->unified, r->n_unified);
}

int config_parse_resources(const char *text, size_t len, const char *name,
                           struct config_resources *out, berth_error_t *err)
{
	struct cfg_ctx c = {.text = text, .len = len, .name = name, .err = err};
	cleanup_free char *copy = config_bigints_hide(text, len, &c.big, &c.n_big);
	json_error_t jerr;
	json_t *root = json_loadb(copy != NULL ? copy : text, len, 0, &jerr);
	int r;

	memset(out, 0, sizeof(*out));
	if (root == NULL) {
		cleanup_free char *msg = config_one_line(jerr.text);
		free(c.big);
		return berth_error(err, 0, "%s: invalid JSON: %s (line %d, column %d)", name, msg,
		                   jerr.line, jerr.column);
	}
	if (!json_is_object(root))
		r = config_perr_type(&c, NULL, "object", root);
	else
		r = parse_resources_obj(&c, root, NULL, out);
	json_decref(root);
	free(c.big);
	if (r < 0)
		config_resources_free(out);
	return r;
}

void config_resources_free(struct config_resources *r)
{
	resources_clear(r);
	memset(r, 0, sizeof(*r));
}

/* ------------------------------------------------------------------------------------------
 * seccomp
 */

static const char *const seccomp_actions[] = {
    "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
    "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
    "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",          "SCMP_ACT_NOTIFY",
};

static const char *const seccomp_ops[] = {
    "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",        "SCMP_CMP_EQ",
    "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
};

static const char *const seccomp_archs[] = {
    "SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",
    "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",
    "SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",     "SCMP_ARCH_LOONGARCH64",
    "SCMP_ARCH_M68K",    "SCMP_ARCH_SH",       "SCMP_ARCH_SHEB",
};

static const char *const seccomp_flags[] = {
    "SECCOMP_FILTER_FLAG_TSYNC",
    "SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
};

static bool name_in(const char *const *table, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(table[i], name) == 0)
			return true;
	}
	return false;
}

static int check_action(struct cfg_ctx *c, const struct cfg_path *p, const char *action)
{
	if (name_in(seccomp_actions, ARRAY_SIZE(seccomp_actions), action))
		return 0;
	return config_perr(c, p, "unknown seccomp action \"%s\"", action);
}

static int parse_seccomp_arg(struct cfg_ctx *c, const json_t *v, const struct cfg_path *p,
                             void *elem)
{
	struct config_seccomp_arg *a = elem;
	int64_t n;
	bool has;

	if (config_jint(c, v, p, "index", 0, 5, &n, NULL) < 0)
		return -1;
	a->index = (unsigned)n;
	if (config_juint(c, v, p, "value", UINT64_MAX, &a->value, NULL) < 0 ||
	    config_juint(c, v, p, "valueTwo", UINT64_MAX, &a->value_two, &has) < 0)
		return -1;
	if (config_jstr(c, v, p, "op", true, &a->op) < 0)
		return -1;
	if (!name_in(seccomp_ops, ARRAY_SIZE(seccomp_ops), a->op))
		return config_perr(c, CFG_KEY(p, "op"), "unknown seccomp operator \"%s\"", a->op);
	return 0;
}

static int parse_seccomp_syscall(struct cfg_ctx *c, const json_t *v, const struct cfg_path *p,
                                 void *elem)
{
	struct config_seccomp_syscall *s = elem;
	int64_t n;

	if (config_jget(v, "names") == NULL)
		return config_perr_missing(c, p, "names");
	if (config_jstrv(c, v, p, "names", &s->names, &s->n_names) < 0)
		return -1;
	if (s->n_names == 0)
		return config_perr(c, CFG_KEY(p, "names"), "must not be empty");
	if (config_jstr(c, v, p, "action", true, &s->action) < 0 ||
	    check_action(c, CFG_KEY(p, "action"), s->action) < 0)
		return -1;
	if (config_jint(c, v, p, "errnoRet", 0, CFG_U32_MAX, &n, &s->has_errno_ret) < 0)
		return -1;
	s->errno_ret = s->has_errno_ret ? (uint32_t)n : 0;
	return CFG_OBJECTS(c, v, p, "args", s->args, s->n_args, parse_seccomp_arg);
}

static int check_names(struct cfg_ctx *c, const struct cfg_path *p, char **v, size_t n,
                       const char *const *table, size_t tn, const char *what)
{
	for (size_t i = 0; i < n; i++) {
		if (!name_in(table, tn, v[i]))
			return config_perr(c, CFG_IDX(p, i), "unknown seccomp %s \"%s\"", what,
			                   v[i]);
	}
	return 0;
}

static int parse_seccomp(struct cfg_ctx *c, const json_t *lin, const struct cfg_path *lp,
                         struct config_linux *l)
{
	const struct cfg_path *p = CFG_KEY(lp, "seccomp");
	struct config_seccomp *s = &l->seccomp;
	bool notify = false;
	json_t *v;
	int64_t n;

	if (config_jobj(c, lin, lp, "seccomp", false, &v) < 0)
		return -1;
	if (v == NULL)
		return 0;
	l->has_seccomp = true;
	if (config_jstr(c, v, p, "defaultAction", true, &s->default_action) < 0 ||
	    check_action(c, CFG_KEY(p, "defaultAction"), s->default_action) < 0)
		return -1;
	if (config_jint(c, v, p, "defaultErrnoRet", 0, CFG_U32_MAX, &n, &s->has_default_errno_ret) <
	    0)
		return -1;
	s->default_errno_ret = s->has_default_errno_ret ? (uint32_t)n : 0;
	if (config_jstrv(c, v, p, "architectures", &s->architectures, &s->n_architectures) < 0 ||
	    check_names(c, CFG_KEY(p, "architectures"), s->architectures, s->n_architectures,
	                seccomp_archs, ARRAY_SIZE(seccomp_archs), "architecture") < 0 ||
	    config_jstrv(c, v, p, "flags", &s->flags, &s->n_flags) < 0 ||
	    check_names(c, CFG_KEY(p, "flags"), s->flags, s->n_flags, seccomp_flags,
	                ARRAY_SIZE(seccomp_flags), "flag") < 0 ||
	    config_jstr(c, v, p, "listenerPath", false, &s->listener_path) < 0 ||
	    config_jstr(c, v, p, "listenerMetadata", false, &s->listener_metadata) < 0 ||
	    CFG_OBJECTS_MAX(c, v, p, "syscalls", s->syscalls, s->n_syscalls, parse_seccomp_syscall,
	                    CONFIG_MAX_SYSCALLS) < 0)
		return -1;
	if (strcmp(s->default_action, "SCMP_ACT_NOTIFY") == 0)
		return config_perr(c, CFG_KEY(p, "defaultAction"),
		                   "SCMP_ACT_NOTIFY cannot be the default action");
	for (size_t i = 0; i < s->n_syscalls; i++)
		notify = notify || strcmp(s->syscalls[i].action, "SCMP_ACT_NOTIFY") == 0;
	if (notify && s->listener_path == NULL)
		return config_perr(c, p, "SCMP_ACT_NOTIFY is used but listenerPath is not set");
	return 0;
}

static void seccomp_clear(struct config_seccomp *s)
{
	free(s->default_action);
	config_strv_free(s->architectures, s->n_architectures);
	config_strv_free(s->flags, s->n_flags);
	free(s->listener_path);
	free(s->listener_metadata);
	for (size_t i = 0; s->syscalls != NULL && i < s->n_syscalls; i++) {
		struct config_seccomp_syscall *sc = &s->syscalls[i];
		config_strv_free(sc->names, sc->n_names);
		free(sc->action);
		for (size_t j = 0; sc->args != NULL && j < sc->n_args; j++)
			free(sc->args[j].op);
		free(sc->args);
	}
	free(s->syscalls);
}

/* ------------------------------------------------------------------------------------------
 * the rest of linux.*
 */

static const struct {
	const char *name;
	unsigned long flags;
} propagations[] = {
    {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

static int parse_propagation(struct cfg_ctx *c, const json_t *lin, const struct cfg_path *lp,
                             struct config_linux *l)
{
	if (config_jstr(c, lin, lp, "rootfsPropagation", false, &l->rootfs_propagation) < 0)
		return -1;
	if (l->rootfs_propagation == NULL || l->rootfs_propagation[0] == '\0')
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(propagations); i++) {
		if (strcmp(propagations[i].name, l->rootfs_propagation) == 0) {
			l->rootfs_propagation_flags = propagations[i].flags;
			return 0;
		}
	}
	return config_perr(c, CFG_KEY(lp, "rootfsPropagation"),
	                   "unknown propagation \"%s\" (expected one of private, shared, slave, "
	                   "unbindable, optionally prefixed with r)",
	                   l->rootfs_propagation);
}

static int parse_personality(struct cfg_ctx *c, const json_t *lin, const struct cfg_path *lp,
                             struct config_linux *l)
{
	const struct cfg_path *p = CFG_KEY(lp, "personality");
	json_t *v;

	if (config_jobj(c, lin, lp, "personality", false, &v) < 0)
		return -1;
	if (v == NULL)
		return 0;
	l->has_personality = true;
	if (config_jstr(c, v, p, "domain", true, &l->personality.domain) < 0 ||
	    config_jstrv(c, v, p, "flags", &l->personality.flags, &l->personality.n_flags) < 0)
		return -1;
	if (strcmp(l->personality.domain, "LINUX") != 0 &&
	    strcmp(l->personality.domain, "LINUX32") != 0)
		return config_perr(c, CFG_KEY(p, "domain"),
		                   "unknown personality domain \"%s\" (expected LINUX or LINUX32)",
		                   l->personality.domain);
	return 0;
}

static int parse_intel_rdt(struct cfg_ctx *c, const json_t *lin, const struct cfg_path *lp,
                           struct config_linux *l)
{
	const struct cfg_path *p = CFG_KEY(lp, "intelRdt");
	struct config_intel_rdt *r = &l->intel_rdt;
	json_t *v;

	if (config_jobj(c, lin, lp, "intelRdt", false, &v) < 0)
		return -1;
	if (v == NULL)
		return 0;
	l->has_intel_rdt = true;
	if (config_jstr(c, v, p, "closID", false, &r->clos_id) < 0 ||
	    config_jstr(c, v, p, "l3CacheSchema", false, &r->l3_cache_schema) < 0 ||
	    config_jstr(c, v, p, "memBwSchema", false, &r->mem_bw_schema) < 0 ||
	    config_jbool(c, v, p, "enableCMT", &r->enable_cmt, NULL) < 0 ||
	    config_jbool(c, v, p, "enableMBM", &r->enable_mbm, NULL) < 0)
		return -1;
	return 0;
}

static const struct {
	const char *name;
	int value;
} mpol_modes[] =
    {
        {"MPOL_DEFAULT", 0},
        {"MPOL_PREFERRED", 1},
        {"MPOL_BIND", 2},
        {"MPOL_INTERLEAVE", 3},
        {"MPOL_LOCAL", 4},
        {"MPOL_PREFERRED_MANY", 5},
        {"MPOL_WEIGHTED_INTERLEAVE", 6},
},
  mpol_flags[] = {
      {"MPOL_F_NUMA_BALANCING", 1 << 13},
      {"MPOL_F_RELATIVE_NODES", 1 << 14},
      {"MPOL_F_STATIC_NODES", 1 << 15},
};

const char *config_mpol_mode_name(size_t i)
{
	return i < ARRAY_SIZE(mpol_modes) ? mpol_modes[i].name : NULL;
}

const char *config_mpol_flag_name(size_t i)
{
	return i < ARRAY_SIZE(mpol_flags) ? mpol_flags[i].name : NULL;
}

/* "0-3,7" into m->nodemask and m->max_node; false when malformed or out of range. */
static bool parse_mpol_nodes(struct config_memory_policy *m)
{
	const char *s = m->nodes;
	const unsigned bits = 8 * sizeof(unsigned long);

	while (s && *s) {
		char *end;
		unsigned long lo, hi;

		if (*s < '0' || *s > '9')
			return false;
		lo = hi = strtoul(s, &end, 10);
		if (*end == '-') {
			if (end[1] < '0' || end[1] > '9')
				return false;
			hi = strtoul(end + 1, &end, 10);
		}
		if (lo > hi || hi >= CONFIG_MPOL_MAX_NODES || (*end != ',' && *end != '\0') ||
		    (*end == ',' && end[1] == '\0'))
			return false;
		for (unsigned long n = lo; n <= hi; n++)
			m->nodemask[n / bits] |= 1ul << (n % bits);
		if (hi + 1 > m->max_node)
			m->max_node = (unsigned)hi + 1;
		s = *end == ',' ? end + 1 : end;
	}
	return true;
}

static int parse_memory_policy(struct cfg_ctx *c, const json_t *lin, const struct cfg_path *lp,
                               struct config_linux *l)
{
	const struct cfg_path *p = CFG_KEY(lp, "memoryPolicy");
	struct config_memory_policy *m = &l->memory_policy;
	cleanup_free char *mode = NULL;
	char **flags = NULL;
	size_t n_flags = 0;
	json_t *v;
	int r = 0;

	if (config_jobj(c, lin, lp, "memoryPolicy", false, &v) < 0)
		return -1;
	if (v == NULL)
		return 0;
	l->has_memory_policy = true;
	if (config_jstr(c, v, p, "mode", true, &mode) < 0 ||
	    config_jstr(c, v, p, "nodes", false, &m->nodes) < 0)
		return -1;
	m->mode = -1;
	for (size_t i = 0; i < ARRAY_SIZE(mpol_modes); i++)
		if (strcmp(mpol_modes[i].name, mode) == 0)
			m->mode = mpol_modes[i].value;
	if (m->mode < 0)
		return config_perr(c, CFG_KEY(p, "mode"),
		                   "unknown memory policy mode \"%s\" (expected MPOL_DEFAULT, "
		                   "MPOL_PREFERRED, MPOL_BIND, MPOL_INTERLEAVE, MPOL_LOCAL, "
		                   "MPOL_PREFERRED_MANY or MPOL_WEIGHTED_INTERLEAVE)",
		                   mode);
	if (!parse_mpol_nodes(m))
		return config_perr(
		    c, CFG_KEY(p, "nodes"),
		    "expected a list of NUMA nodes and ranges below %d, like \"0-3,7\"",
		    CONFIG_MPOL_MAX_NODES);
	/* MPOL_DEFAULT and MPOL_LOCAL take no nodes; BIND, INTERLEAVE and the like need some */
	if ((m->mode == 0 || m->mode == 4) && m->max_node > 0)
		return config_perr(c, CFG_KEY(p, "nodes"), "must be empty for %s", mode);
	if (m->mode != 0 && m->mode != 1 && m->mode != 4 && m->max_node == 0)
		return config_perr(c, CFG_KEY(p, "nodes"), "required for %s", mode);
	if (config_jstrv(c, v, p, "flags", &flags, &n_flags) < 0)
		r = -1;
	for (size_t i = 0; r == 0 && i < n_flags; i++) {
		int f = -1;
		for (size_t j = 0; j < ARRAY_SIZE(mpol_flags); j++)
			if (strcmp(mpol_flags[j].name, flags[i]) == 0)
				f = mpol_flags[j].value;
		if (f < 0)
			r = config_perr(c, CFG_IDX(CFG_KEY(p, "flags"), i),
			                "unknown memory policy flag \"%s\"", flags[i]);
		else
			m->flags |= (unsigned)f;
	}
	config_strv_free(flags, n_flags);
	return r;
}

/* linux.sysctl: a bounded number of well-formed keys (whether each is namespaced is checked
 * at create, against the namespaces: config_sysctl_check()). */
static int check_sysctl(struct cfg_ctx *c, const struct cfg_path *p, struct config_linux *l)
{
	const struct cfg_path *sp = CFG_KEY(p, "sysctl");

	if (l->n_sysctl > CONFIG_MAX_SYSCTL)
		return config_perr(c, sp, "%zu entries, more than the limit of %d", l->n_sysctl,
		                   CONFIG_MAX_SYSCTL);
	for (size_t i = 0; i < l->n_sysctl; i++) {
		const char *k = l->sysctl[i].key;
		size_t n = strlen(k);
		if (n == 0 || strchr(k, '/') || strstr(k, "..") || k[0] == '.' || k[n - 1] == '.')
			return config_perr(
			    c, CFG_KEY(sp, k),
			    "not a sysctl name (expected one like net.ipv4.ip_forward)");
	}
	return 0;
}

int config_parse_linux(struct cfg_ctx *c, const json_t *v, const struct cfg_path *p,
                       struct config_linux *l)
{
	if (parse_namespaces(c, v, p, l) < 0 ||
	    config_parse_id_mappings(c, v, p, "uidMappings", &l->uid_mappings, &l->n_uid_mappings) <
	        0 ||
	    config_parse_id_mappings(c, v, p, "gidMappings", &l->gid_mappings, &l->n_gid_mappings) <
	        0 ||
	    parse_time_offsets(c, v, p, l) < 0 ||
	    CFG_OBJECTS_MAX(c, v, p, "devices", l->devices, l->n_devices, parse_device,
	                    CONFIG_MAX_DEVICES) < 0 ||
	    config_jstr(c, v, p, "cgroupsPath", false, &l->cgroups_path) < 0 ||
	    parse_resources(c, v, p, l) < 0 || parse_propagation(c, v, p, l) < 0 ||
	    config_jmap(c, v, p, "sysctl", &l->sysctl, &l->n_sysctl) < 0 ||
	    check_sysctl(c, p, l) < 0 || parse_seccomp(c, v, p, l) < 0 ||
	    config_jstrv(c, v, p, "maskedPaths", &l->masked_paths, &l->n_masked_paths) < 0 ||
	    config_jstrv(c, v, p, "readonlyPaths", &l->readonly_paths, &l->n_readonly_paths) < 0 ||
	    config_jstr(c, v, p, "mountLabel", false, &l->mount_label) < 0 ||
	    parse_personality(c, v, p, l) < 0 || parse_intel_rdt(c, v, p, l) < 0 ||
	    parse_memory_policy(c, v, p, l) < 0)
		return -1;
	return 0;
}

void config_linux_clear(struct config_linux *l)
{
	for (size_t i = 0; l->namespaces != NULL && i < l->n_namespaces; i++)
		free(l->namespaces[i].path);
	free(l->namespaces);
	free(l->uid_mappings);
	free(l->gid_mappings);
	for (size_t i = 0; l->time_offsets != NULL && i < l->n_time_offsets; i++)
		free(l->time_offsets[i].clock);
	free(l->time_offsets);
	for (size_t i = 0; l->devices != NULL && i < l->n_devices; i++)
		free(l->devices[i].path);
	free(l->devices);
	free(l->cgroups_path);
	resources_clear(&l->resources);
	free(l->rootfs_propagation);
	config_kv_free(l->sysctl, l->n_sysctl);
	seccomp_clear(&l->seccomp);
	config_strv_free(l->masked_paths, l->n_masked_paths);
	config_strv_free(l->readonly_paths, l->n_readonly_paths);
	free(l->mount_label);
	free(l->personality.domain);
	config_strv_free(l->personality.flags, l->personality.n_flags);
	free(l->intel_rdt.clos_id);
	free(l->intel_rdt.l3_cache_schema);
	free(l->intel_rdt.mem_bw_schema);
	free(l->memory_policy.nodes);
	memset(l, 0, sizeof(*l));
}
