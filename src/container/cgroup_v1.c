/* SPDX-License-Identifier: MIT */
/* cgroup v1 behind cgroup_v1_ops: making a cgroup (cpuset copied down), linux.resources to
 * the v1 controllers' files, the freezer, and statistics (runc's fs driver is the reference
 * for names, order and conversions). Written on cgroup_fs.c only. */
#include "cgroup.h"
#include "cgroup_priv.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

/* ---- memory ------------------------------------------------------------------------ */

static int cgroup_v1_mem_limits(const char *dir, int64_t limit, int64_t swap, berth_error_t *err)
{
	bool swap_first = false;

	/* unlimited memory without a swap setting: unlimited swap too (when accounted) */
	if (limit == -1 && swap == 0 && cgroup_file_exists(dir, "memory.memsw.limit_in_bytes"))
		swap = -1;
	/* the kernel wants memory <= memsw at every step: pick the order that keeps it so */
	if (limit != 0 && swap != 0 && dir != NULL) {
		uint64_t cur;
		berth_error_t e = NULL;
		if (cgroup_read_u64(dir, "memory.limit_in_bytes", &cur, &e) == 0)
			swap_first = swap == -1 || cur < (uint64_t)swap;
		berth_error_release(&e);
	}
	if (swap_first &&
	    cgroup_setf(dir, "memory", "memory.memsw.limit_in_bytes", err, "%" PRId64, swap) < 0)
		return -1;
	if (limit != 0 &&
	    cgroup_setf(dir, "memory", "memory.limit_in_bytes", err, "%" PRId64, limit) < 0)
		return -1;
	if (!swap_first && swap != 0 &&
	    cgroup_setf(dir, "memory", "memory.memsw.limit_in_bytes", err, "%" PRId64, swap) < 0)
		return -1;
	return 0;
}

static int cgroup_v1_memory(const char *dir, const struct config_resources *r, bool update,
                            berth_error_t *err)
{
	int64_t limit = r->has_mem_limit ? r->mem_limit : 0;
	int64_t swap = r->has_mem_swap ? r->mem_swap : 0;

	if (r->has_mem_kernel && r->mem_kernel != 0)
		log_warning("linux.resources.memory.kernel is deprecated by the kernel: ignored");
	if (update && r->has_mem_check_before_update && r->mem_check_before_update && limit > 0 &&
	    dir != NULL) {
		uint64_t usage;
		if (cgroup_read_u64(dir, "memory.usage_in_bytes", &usage, err) < 0)
			return -1;
		if (usage > (uint64_t)limit)
			return berth_error(err, 0,
			                   "rejecting memory limit %" PRId64
			                   " below current usage %" PRIu64,
			                   limit, usage);
	}
	if (cgroup_v1_mem_limits(dir, limit, swap, err) < 0)
		return -1;
	if (r->has_mem_reservation && r->mem_reservation != 0 &&
	    cgroup_setf(dir, "memory", "memory.soft_limit_in_bytes", err, "%" PRId64,
	                r->mem_reservation) < 0)
		return -1;
	if (r->has_mem_kernel_tcp && r->mem_kernel_tcp != 0) {
		if (!cgroup_file_exists(dir, "memory.kmem.tcp.limit_in_bytes"))
			log_warning("linux.resources.memory.kernelTCP: the kernel has no "
			            "memory.kmem.tcp.limit_in_bytes: ignored");
		else if (cgroup_setf(dir, "memory", "memory.kmem.tcp.limit_in_bytes", err,
		                     "%" PRId64, r->mem_kernel_tcp) < 0)
			return -1;
	}
	if (r->has_mem_disable_oom_killer && r->mem_disable_oom_killer &&
	    cgroup_set(dir, "memory", "memory.oom_control", "1", err) < 0)
		return -1;
	if (r->has_mem_swappiness && r->mem_swappiness != UINT64_MAX) {
		if (r->mem_swappiness > 100)
			return berth_error(err, 0,
			                   "invalid memory swappiness %" PRIu64
			                   ": the valid range is 0-100",
			                   r->mem_swappiness);
		if (cgroup_setf(dir, "memory", "memory.swappiness", err, "%" PRIu64,
		                r->mem_swappiness) < 0)
			return -1;
	}
	if (r->has_mem_use_hierarchy && !r->mem_use_hierarchy)
		log_warning("linux.resources.memory.useHierarchy false: the kernel always uses "
		            "the hierarchy: ignored");
	return 0;
}

/* ---- cpu --------------------------------------------------------------------------- */

/* Give dir's parent at least `need` of realtime runtime, from the hierarchy root down: a
 * new cgroup (berth's own /berth among them) starts with cpu.rt_runtime_us 0, and a child
 * can never have more than its parent, so a container's realtimeRuntime needs its
 * ancestors' budgets raised first, as crun does. The root's budget is the system's: it is
 * never changed. */
static int cgroup_v1_rt_parent(const char *dir, int64_t need, berth_error_t *err)
{
	cleanup_free char *parent = xstrdup(dir);
	cleanup_free char *root_marker = NULL;
	char *slash = strrchr(parent, '/');
	uint64_t have;

	if (slash == NULL || slash == parent)
		return 0;
	*slash = '\0';
	root_marker = xasprintf("%s/cgroup.sane_behavior", parent);
	if (access(root_marker, F_OK) == 0) /* the hierarchy's root */
		return 0;
	if (cgroup_read_u64(parent, "cpu.rt_runtime_us", &have, err) < 0)
		return -1;
	if ((int64_t)have >= need)
		return 0;
	if (cgroup_v1_rt_parent(parent, need, err) < 0)
		return -1;
	return cgroup_setf(parent, "cpu", "cpu.rt_runtime_us", err, "%" PRId64, need);
}

static int cgroup_v1_rt_runtime(const char *dir, int64_t runtime, berth_error_t *err)
{
	berth_error_t e = NULL;

	if (cgroup_setf(dir, "cpu", "cpu.rt_runtime_us", &e, "%" PRId64, runtime) == 0)
		return 0;
	if (e->status != EINVAL || runtime < 0) {
		*err = e;
		return -1;
	}
	berth_error_release(&e);
	if (cgroup_v1_rt_parent(dir, runtime, err) < 0)
		return berth_error_prefix(err,
		                          "linux.resources.cpu.realtimeRuntime %" PRId64
		                          ": raise the parent cgroups' budget",
		                          runtime);
	if (cgroup_setf(dir, "cpu", "cpu.rt_runtime_us", err, "%" PRId64, runtime) < 0)
		return berth_error_prefix(err,
		                          "linux.resources.cpu.realtimeRuntime %" PRId64
		                          " (more than the host's realtime budget?)",
		                          runtime);
	return 0;
}

static int cgroup_v1_cpu(const char *dir, const struct config_resources *r, bool update,
                         berth_error_t *err)
{
	bool quota = r->has_cpu_quota && r->cpu_quota != 0;
	cleanup_free char *period = NULL, *burst = NULL;

	(void)update;
	if (r->has_cpu_shares && r->cpu_shares != 0) {
		uint64_t got;
		if (cgroup_setf(dir, "cpu", "cpu.shares", err, "%" PRIu64, r->cpu_shares) < 0 ||
		    cgroup_read_u64(dir, "cpu.shares", &got, err) < 0)
			return -1;
		if (r->cpu_shares > got)
			return berth_error(err, 0, "the maximum allowed cpu-shares is %" PRIu64,
			                   got);
		if (r->cpu_shares < got)
			return berth_error(err, 0, "the minimum allowed cpu-shares is %" PRIu64,
			                   got);
	}
	/* period and burst may be refused (EINVAL) until the quota is set: retry after it */
	if (r->has_cpu_period && r->cpu_period != 0) {
		cleanup_free char *v = xasprintf("%" PRIu64, r->cpu_period);
		if (cgroup_set_later(dir, "cpu", "cpu.cfs_period_us", v, quota, &period, err) < 0)
			return -1;
	}
	if (r->has_cpu_burst) {
		cleanup_free char *v = xasprintf("%" PRIu64, r->cpu_burst);
		if (cgroup_set_later(dir, "cpu", "cpu.cfs_burst_us", v, quota, &burst, err) < 0)
			return -1;
	}
	if (quota) {
		if (cgroup_setf(dir, "cpu", "cpu.cfs_quota_us", err, "%" PRId64, r->cpu_quota) < 0)
			return -1;
		if (period && cgroup_set(dir, "cpu", "cpu.cfs_period_us", period, err) < 0)
			return -1;
		if (burst && cgroup_set(dir, "cpu", "cpu.cfs_burst_us", burst, err) < 0)
			return -1;
	}
	if (r->has_cpu_realtime_period && r->cpu_realtime_period != 0 &&
	    cgroup_setf(dir, "cpu", "cpu.rt_period_us", err, "%" PRIu64, r->cpu_realtime_period) <
	        0)
		return -1;
	if (r->has_cpu_realtime_runtime && r->cpu_realtime_runtime != 0 &&
	    cgroup_v1_rt_runtime(dir, r->cpu_realtime_runtime, err) < 0)
		return -1;
	return cgroup_fs_cpu_idle(dir, r, err);
}

/* ---- blkio ------------------------------------------------------------------------- */

static int cgroup_v1_throttle(const char *dir, const char *file,
                              const struct config_throttle_device *t, size_t n, berth_error_t *err)
{
	for (size_t i = 0; i < n; i++)
		if (cgroup_setf(dir, "blkio", file, err, "%" PRId64 ":%" PRId64 " %" PRIu64,
		                t[i].major, t[i].minor, t[i].rate) < 0)
			return -1;
	return 0;
}

static int cgroup_v1_blkio(const char *dir, const struct config_resources *r, bool update,
                           berth_error_t *err)
{
	/* kernels with BFQ and without CFQ only have the blkio.bfq.* weight files */
	bool bfq = dir != NULL && !cgroup_file_exists(dir, "blkio.weight") &&
	           cgroup_file_exists(dir, "blkio.bfq.weight");

	(void)update;
	if (r->has_blkio_weight && r->blkio_weight != 0 &&
	    cgroup_setf(dir, "blkio", bfq ? "blkio.bfq.weight" : "blkio.weight", err, "%u",
	                r->blkio_weight) < 0)
		return -1;
	if (r->has_blkio_leaf_weight && r->blkio_leaf_weight != 0 &&
	    cgroup_setf(dir, "blkio", "blkio.leaf_weight", err, "%u", r->blkio_leaf_weight) < 0)
		return -1;
	for (size_t i = 0; i < r->n_blkio_weight_device; i++) {
		const struct config_weight_device *w = &r->blkio_weight_device[i];
		if (w->has_weight &&
		    cgroup_setf(dir, "blkio",
		                bfq ? "blkio.bfq.weight_device" : "blkio.weight_device", err,
		                "%" PRId64 ":%" PRId64 " %u", w->major, w->minor, w->weight) < 0)
			return -1;
		if (w->has_leaf_weight && cgroup_setf(dir, "blkio", "blkio.leaf_weight_device", err,
		                                      "%" PRId64 ":%" PRId64 " %u", w->major,
		                                      w->minor, w->leaf_weight) < 0)
			return -1;
	}
	if (cgroup_v1_throttle(dir, "blkio.throttle.read_bps_device", r->blkio_throttle_read_bps,
	                       r->n_blkio_throttle_read_bps, err) < 0 ||
	    cgroup_v1_throttle(dir, "blkio.throttle.write_bps_device", r->blkio_throttle_write_bps,
	                       r->n_blkio_throttle_write_bps, err) < 0 ||
	    cgroup_v1_throttle(dir, "blkio.throttle.read_iops_device", r->blkio_throttle_read_iops,
	                       r->n_blkio_throttle_read_iops, err) < 0 ||
	    cgroup_v1_throttle(dir, "blkio.throttle.write_iops_device",
	                       r->blkio_throttle_write_iops, r->n_blkio_throttle_write_iops,
	                       err) < 0)
		return -1;
	return 0;
}

/* ---- hugetlb, network, rdma -------------------------------------------------------- */

static int cgroup_v1_hugetlb(const char *dir, const struct config_resources *r, bool update,
                             berth_error_t *err)
{
	(void)update;
	return cgroup_fs_hugetlb(dir, "limit_in_bytes", r, err);
}

static int cgroup_v1_net_cls(const char *dir, const struct config_resources *r, bool update,
                             berth_error_t *err)
{
	(void)update;
	if (!r->has_net_class_id)
		return 0;
	return cgroup_setf(dir, "net_cls", "net_cls.classid", err, "%" PRIu32, r->net_class_id);
}

static int cgroup_v1_net_prio(const char *dir, const struct config_resources *r, bool update,
                              berth_error_t *err)
{
	(void)update;
	for (size_t i = 0; i < r->n_net_priorities; i++)
		if (cgroup_setf(dir, "net_prio", "net_prio.ifpriomap", err, "%s %" PRIu32,
		                r->net_priorities[i].name, r->net_priorities[i].priority) < 0)
			return -1;
	return 0;
}

/* ---- devices ----------------------------------------------------------------------- */

static void cgroup_dev_string(const struct cgroup_dev_rule *d, char buf[64])
{
	char maj[24] = "*", min[24] = "*", acc[4];
	size_t n = 0;

	if (d->major >= 0)
		snprintf(maj, sizeof(maj), "%" PRId64, d->major);
	if (d->minor >= 0)
		snprintf(min, sizeof(min), "%" PRId64, d->minor);
	if (d->access & CGROUP_DEV_R)
		acc[n++] = 'r';
	if (d->access & CGROUP_DEV_W)
		acc[n++] = 'w';
	if (d->access & CGROUP_DEV_M)
		acc[n++] = 'm';
	acc[n] = '\0';
	snprintf(buf, 64, "%c %s:%s %s", d->type, maj, min, acc);
}

/* The current allow list from devices.list. false when the cgroup allows everything (the
 * list then shows "a *:* rwm" and not the deny exceptions) or cannot be read. */
static bool cgroup_v1_dev_current(const char *dir, struct cgroup_dev_rule **v, size_t *n)
{
	cleanup_free char *s = NULL;
	berth_error_t e = NULL;
	char *save = NULL;

	*v = NULL;
	*n = 0;
	if (dir == NULL || cgroup_read(dir, "devices.list", &s, &e) < 0) {
		berth_error_release(&e);
		return false;
	}
	for (char *l = strtok_r(s, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		struct cgroup_dev_rule r = {.allow = true, .major = -1, .minor = -1};
		char maj[24], min[24], acc[8];
		if (sscanf(l, "%c %23[^:]:%23s %7s", &r.type, maj, min, acc) != 4 ||
		    r.type == 'a') {
			free(*v);
			*v = NULL;
			*n = 0;
			return false;
		}
		if (strcmp(maj, "*") != 0)
			r.major = strtoll(maj, NULL, 10);
		if (strcmp(min, "*") != 0)
			r.minor = strtoll(min, NULL, 10);
		for (char *c = acc; *c; c++)
			r.access |= *c == 'r'   ? CGROUP_DEV_R
			            : *c == 'w' ? CGROUP_DEV_W
			                        : CGROUP_DEV_M;
		*v = xrealloc(*v, (*n + 1) * sizeof(**v));
		(*v)[(*n)++] = r;
	}
	return true;
}

static int cgroup_v1_dev_write(const char *dir, const char *file, const struct cgroup_dev_rule *d,
                               berth_error_t *err)
{
	char buf[64];

	cgroup_dev_string(d, buf);
	return cgroup_set(dir, "devices", file, buf, err);
}

static int cgroup_v1_devices(const char *dir, const struct cgroup_dev_state *st, berth_error_t *err)
{
	cleanup_free struct cgroup_dev_rule *cur = NULL;
	size_t n_cur = 0;

	/* allow list to allow list (an update of a running container): take away what is no
	 * longer allowed and add the rest, never passing through deny-all */
	if (!st->default_allow && cgroup_v1_dev_current(dir, &cur, &n_cur)) {
		for (size_t i = 0; i < n_cur; i++) {
			struct cgroup_dev_rule d = cur[i];
			for (size_t j = 0; j < st->n_rules; j++)
				if (st->rules[j].type == d.type && st->rules[j].major == d.major &&
				    st->rules[j].minor == d.minor)
					d.access &= ~st->rules[j].access;
			if (d.access != 0 && cgroup_v1_dev_write(dir, "devices.deny", &d, err) < 0)
				return -1;
		}
	} else if (cgroup_set(dir, "devices", st->default_allow ? "devices.allow" : "devices.deny",
	                      "a", err) < 0) {
		/* otherwise the default first ("a" resets the list), then the exceptions */
		return -1;
	}
	for (size_t i = 0; i < st->n_rules; i++)
		if (cgroup_v1_dev_write(dir, st->rules[i].allow ? "devices.allow" : "devices.deny",
		                        &st->rules[i], err) < 0)
			return -1;
	return 0;
}

/* ---- stats ------------------------------------------------------------------------- */

static char *cgroup_v1_dir(const struct cgroup *cg, enum cgroup_controller c)
{
	bool v2;
	char *dir = cgroup_ctrl_dir(cg, c, &v2);

	if (dir != NULL && v2) {
		free(dir);
		return NULL;
	}
	return dir;
}

static void cgroup_v1_mem_entry(const char *dir, const char *prefix, struct cgroup_mem_entry *m)
{
	cleanup_free char *u = xasprintf("%s.usage_in_bytes", prefix);
	cleanup_free char *mx = xasprintf("%s.max_usage_in_bytes", prefix);
	cleanup_free char *l = xasprintf("%s.limit_in_bytes", prefix);
	cleanup_free char *f = xasprintf("%s.failcnt", prefix);

	cgroup_read_u64_or0(dir, u, &m->usage);
	cgroup_read_u64_or0(dir, mx, &m->max_usage);
	cgroup_read_u64_or0(dir, l, &m->limit);
	cgroup_read_u64_or0(dir, f, &m->failcnt);
}

/* "key value" lines into st->memory.raw */
static void cgroup_parse_kv(const char *dir, const char *file, struct config_kv **kv, size_t *n)
{
	cleanup_free char *s = NULL;
	berth_error_t e = NULL;
	char *save = NULL;

	if (dir == NULL || cgroup_read(dir, file, &s, &e) < 0) {
		berth_error_release(&e);
		return;
	}
	for (char *l = strtok_r(s, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(l, ' ');
		if (sp == NULL)
			continue;
		*kv = xrealloc(*kv, (*n + 1) * sizeof(**kv));
		(*kv)[*n].key = strndup(l, (size_t)(sp - l));
		(*kv)[*n].value = xstrdup(sp + 1);
		(*n)++;
	}
}

static uint64_t cgroup_kv_u64(const struct config_kv *kv, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(kv[i].key, key) == 0)
			return strtoull(kv[i].value, NULL, 10);
	return 0;
}

/* "8:0 Read 4096" lines */
static void cgroup_v1_blkio_file(const char *dir, const char *file, struct cgroup_blkio_entry **v,
                                 size_t *n)
{
	cleanup_free char *s = NULL;
	berth_error_t e = NULL;
	char *save = NULL;

	if (cgroup_read(dir, file, &s, &e) < 0) {
		berth_error_release(&e);
		return;
	}
	for (char *l = strtok_r(s, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		struct cgroup_blkio_entry b = {0};
		unsigned long long maj, min, val;
		char op[16];
		if (sscanf(l, "%llu:%llu %15s %llu", &maj, &min, op, &val) != 4)
			continue;
		b.major = maj;
		b.minor = min;
		b.value = val;
		snprintf(b.op, sizeof(b.op), "%s", op);
		*v = xrealloc(*v, (*n + 1) * sizeof(**v));
		(*v)[(*n)++] = b;
	}
}

static void cgroup_v1_blkio_stats(const char *dir, struct cgroup_stats *st)
{
	/* CFQ/BFQ's own files when they have data, else the throttling layer's (as runc) */
	static const char *const bytes[] = {"blkio.io_service_bytes_recursive",
	                                    "blkio.bfq.io_service_bytes_recursive",
	                                    "blkio.throttle.io_service_bytes_recursive"};
	static const char *const ios[] = {"blkio.io_serviced_recursive",
	                                  "blkio.bfq.io_serviced_recursive",
	                                  "blkio.throttle.io_serviced_recursive"};

	if (dir == NULL)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(bytes) && st->blkio.n_service_bytes == 0; i++)
		cgroup_v1_blkio_file(dir, bytes[i], &st->blkio.service_bytes,
		                     &st->blkio.n_service_bytes);
	for (size_t i = 0; i < ARRAY_SIZE(ios) && st->blkio.n_serviced == 0; i++)
		cgroup_v1_blkio_file(dir, ios[i], &st->blkio.serviced, &st->blkio.n_serviced);
}

static void cgroup_v1_cpu_stats(const char *acct, const char *cpu, struct cgroup_stats *st)
{
	if (acct != NULL) {
		cleanup_free char *pc = NULL;
		berth_error_t e = NULL;
		cgroup_read_u64_or0(acct, "cpuacct.usage", &st->cpu.total);
		if (cgroup_file_exists(acct, "cpuacct.usage_user")) {
			cgroup_read_u64_or0(acct, "cpuacct.usage_user", &st->cpu.user);
			cgroup_read_u64_or0(acct, "cpuacct.usage_sys", &st->cpu.kernel);
		} else {
			/* cpuacct.stat is in USER_HZ ticks */
			uint64_t u = 0, s = 0;
			long hz = sysconf(_SC_CLK_TCK);
			cgroup_read_key(acct, "cpuacct.stat", "user", &u);
			cgroup_read_key(acct, "cpuacct.stat", "system", &s);
			if (hz > 0) {
				st->cpu.user = u * (1000000000ull / (uint64_t)hz);
				st->cpu.kernel = s * (1000000000ull / (uint64_t)hz);
			}
		}
		if (cgroup_read(acct, "cpuacct.usage_percpu", &pc, &e) == 0) {
			char *p = pc, *end;
			for (;;) {
				unsigned long long v = strtoull(p, &end, 10);
				if (end == p)
					break;
				st->cpu.percpu = xrealloc(st->cpu.percpu, (st->cpu.n_percpu + 1) *
				                                              sizeof(uint64_t));
				st->cpu.percpu[st->cpu.n_percpu++] = v;
				p = end;
			}
		}
		berth_error_release(&e);
	}
	if (cpu != NULL) {
		cgroup_read_key(cpu, "cpu.stat", "nr_periods", &st->cpu.periods);
		cgroup_read_key(cpu, "cpu.stat", "nr_throttled", &st->cpu.throttled_periods);
		cgroup_read_key(cpu, "cpu.stat", "throttled_time", &st->cpu.throttled_time);
	}
}

static int cgroup_v1_stats(const struct cgroup *cg, struct cgroup_stats *st, berth_error_t *err)
{
	cleanup_free char *acct = cgroup_v1_dir(cg, CGROUP_CTRL_CPUACCT);
	cleanup_free char *cpu = cgroup_v1_dir(cg, CGROUP_CTRL_CPU);
	cleanup_free char *mem = cgroup_v1_dir(cg, CGROUP_CTRL_MEMORY);
	cleanup_free char *pids = cgroup_v1_dir(cg, CGROUP_CTRL_PIDS);
	cleanup_free char *blkio = cgroup_v1_dir(cg, CGROUP_CTRL_IO);
	cleanup_free char *huge = cgroup_v1_dir(cg, CGROUP_CTRL_HUGETLB);

	(void)err;
	cgroup_v1_cpu_stats(acct, cpu, st);
	if (mem != NULL) {
		uint64_t uh = 0;
		cgroup_v1_mem_entry(mem, "memory", &st->memory.usage);
		cgroup_v1_mem_entry(mem, "memory.memsw", &st->memory.swap);
		cgroup_v1_mem_entry(mem, "memory.kmem", &st->memory.kernel);
		cgroup_v1_mem_entry(mem, "memory.kmem.tcp", &st->memory.kernel_tcp);
		cgroup_parse_kv(mem, "memory.stat", &st->memory.raw, &st->memory.n_raw);
		st->memory.cache = cgroup_kv_u64(st->memory.raw, st->memory.n_raw, "cache");
		st->memory.rss = cgroup_kv_u64(st->memory.raw, st->memory.n_raw, "rss");
		cgroup_read_key(mem, "memory.oom_control", "oom_kill", &st->memory.oom_kill);
		cgroup_read_u64_or0(mem, "memory.use_hierarchy", &uh);
		st->memory.use_hierarchy = uh == 1;
	}
	if (pids != NULL) {
		cgroup_read_u64_or0(pids, "pids.current", &st->pids.current);
		cgroup_read_u64_or0(pids, "pids.max", &st->pids.limit);
		if (st->pids.limit == UINT64_MAX)
			st->pids.limit = 0;
	}
	cgroup_v1_blkio_stats(blkio, st);
	if (huge != NULL) {
		size_t n = 0;
		char **sizes = cgroup_hugepage_sizes(NULL, &n);
		for (size_t i = 0; i < n; i++) {
			struct cgroup_hugetlb_entry h = {0};
			cleanup_free char *u = xasprintf("hugetlb.%s.usage_in_bytes", sizes[i]);
			cleanup_free char *m = xasprintf("hugetlb.%s.max_usage_in_bytes", sizes[i]);
			cleanup_free char *f = xasprintf("hugetlb.%s.failcnt", sizes[i]);
			snprintf(h.page_size, sizeof(h.page_size), "%s", sizes[i]);
			cgroup_read_u64_or0(huge, u, &h.usage);
			cgroup_read_u64_or0(huge, m, &h.max_usage);
			cgroup_read_u64_or0(huge, f, &h.failcnt);
			st->hugetlb = xrealloc(st->hugetlb, (st->n_hugetlb + 1) * sizeof(h));
			st->hugetlb[st->n_hugetlb++] = h;
		}
		cgroup_strv_free(sizes, n);
	}
	return 0;
}

/* ---- create ------------------------------------------------------------------------ */

/* v1 cpuset: a new cgroup has empty cpus/mems, and no task can join it until they are set. */
static int cgroup_v1_cpuset_copy(const char *parent, const char *dir, berth_error_t *err)
{
	static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		cleanup_free char *cur = NULL, *pv = NULL;
		if (cgroup_read(dir, files[i], &cur, err) < 0)
			return -1;
		if (cur[0] != '\0')
			continue;
		if (cgroup_read(parent, files[i], &pv, err) < 0 ||
		    cgroup_set(dir, "cpuset", files[i], pv, err) < 0)
			return -1;
	}
	return 0;
}

static int cgroup_v1_create(const char *mount, const char *path, unsigned controllers, char **top,
                            berth_error_t *err)
{
	bool cpuset = (controllers & (1u << CGROUP_CTRL_CPUSET)) != 0;

	return cgroup_fs_mkdirs(mount, path, NULL, cpuset ? cgroup_v1_cpuset_copy : NULL, top, err);
}

/* ---- freezer ----------------------------------------------------------------------- */

static int cgroup_v1_freezer_set(const char *dir, bool freeze, berth_error_t *err)
{
	const char *want = freeze ? "FROZEN" : "THAWED";

	for (int i = 0; i * 2 < CGROUP_FREEZE_TIMEOUT_MS; i++) {
		cleanup_free char *st = NULL;
		/* write again now and then: a task forked while freezing may escape a pass */
		if (i % 25 == 0 && cgroup_set(dir, "freezer", "freezer.state", want, err) < 0)
			return -1;
		if (cgroup_read(dir, "freezer.state", &st, err) < 0)
			return -1;
		if (strcmp(st, want) == 0)
			return 0;
		cgroup_fs_sleep_ms(2);
	}
	if (freeze) {
		berth_error_t e = NULL;
		cgroup_set(dir, "freezer", "freezer.state", "THAWED", &e);
		berth_error_release(&e);
	}
	return berth_error(err, ETIMEDOUT, "`%s/freezer.state` did not become %s", dir, want);
}

static int cgroup_v1_is_frozen(const char *dir, berth_error_t *err)
{
	cleanup_free char *st = NULL;

	if (cgroup_read(dir, "freezer.state", &st, err) < 0)
		return -1;
	return strcmp(st, "FROZEN") == 0;
}

const struct cgroup_ops cgroup_v1_ops = {
    .create = cgroup_v1_create,
    .set =
        {
            [CGROUP_CTRL_MEMORY] = cgroup_v1_memory,
            [CGROUP_CTRL_CPU] = cgroup_v1_cpu,
            [CGROUP_CTRL_CPUSET] = cgroup_fs_cpuset,
            [CGROUP_CTRL_PIDS] = cgroup_fs_pids,
            [CGROUP_CTRL_IO] = cgroup_v1_blkio,
            [CGROUP_CTRL_HUGETLB] = cgroup_v1_hugetlb,
            [CGROUP_CTRL_RDMA] = cgroup_fs_rdma,
            [CGROUP_CTRL_NET_CLS] = cgroup_v1_net_cls,
            [CGROUP_CTRL_NET_PRIO] = cgroup_v1_net_prio,
        },
    .devices = cgroup_v1_devices,
    .freeze = cgroup_v1_freezer_set,
    .is_frozen = cgroup_v1_is_frozen,
    .freeze_file = "freezer.state",
    .oom_file = "memory.oom_control",
    .stats = cgroup_v1_stats,
};
