/* SPDX-License-Identifier: MIT */
/* cgroup v2 behind cgroup_v2_ops: making a cgroup (controllers enabled down the path),
 * linux.resources to the unified hierarchy's files, device rules as a BPF program,
 * cgroup.freeze and cgroup.kill, and statistics (runc's fs2 driver is the reference for
 * names, order and conversions). Written on cgroup_fs.c only; never calls v1. */
#include "cgroup.h"
#include "cgroup_priv.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

/* runc's numToStr: 0 = not set, -1 = "max" */
static char *cgroup_v2_num(int64_t v)
{
	if (v == 0)
		return NULL;
	if (v == -1)
		return xstrdup("max");
	return xasprintf("%" PRId64, v);
}

static int cgroup_v2_memory(const char *dir, const struct config_resources *r, bool update,
                            berth_error_t *err)
{
	int64_t limit = r->has_mem_limit ? r->mem_limit : 0;
	int64_t swap = r->has_mem_swap ? r->mem_swap : 0;
	int64_t swap2;
	bool set_swap;
	cleanup_free char *lim = NULL, *low = NULL;

	if (r->has_mem_kernel && r->mem_kernel != 0)
		log_warning("linux.resources.memory.kernel is not supported on cgroup v2: ignored");
	if (r->has_mem_kernel_tcp && r->mem_kernel_tcp != 0)
		log_warning("linux.resources.memory.kernelTCP is not supported on cgroup v2: "
		            "ignored");
	if (r->has_mem_swappiness && r->mem_swappiness != UINT64_MAX)
		log_warning("linux.resources.memory.swappiness is not supported on cgroup v2: "
		            "ignored");
	if (r->has_mem_disable_oom_killer && r->mem_disable_oom_killer)
		log_warning("linux.resources.memory.disableOOMKiller is not supported on cgroup "
		            "v2: ignored");
	if (cgroup_swap_to_v2(swap, limit, &swap2, &set_swap, err) < 0)
		return -1;
	if (update && r->has_mem_check_before_update && r->mem_check_before_update && limit > 0 &&
	    dir != NULL) {
		uint64_t usage;
		if (cgroup_read_u64(dir, "memory.current", &usage, err) < 0)
			return -1;
		if (usage > (uint64_t)limit)
			return berth_error(err, 0,
			                   "rejecting memory limit %" PRId64
			                   " below current usage %" PRIu64,
			                   limit, usage);
	}
	if (set_swap) {
		/* swap == limit gives 0: swap disabled */
		cleanup_free char *v = swap2 == -1 ? xstrdup("max") : xasprintf("%" PRId64, swap2);
		berth_error_t e = NULL;
		if (cgroup_set(dir, "memory", "memory.swap.max", v, &e) < 0) {
			/* no swap accounting: fine when asking for "max" or "0", as runc */
			if (!(e->status == ENOENT && (swap2 == -1 || swap2 == 0))) {
				berth_error(err, e->status, "%s", e->msg);
				berth_error_release(&e);
				return -1;
			}
			berth_error_release(&e);
		}
	}
	lim = cgroup_v2_num(limit);
	if (lim && cgroup_set(dir, "memory", "memory.max", lim, err) < 0)
		return -1;
	low = cgroup_v2_num(r->has_mem_reservation ? r->mem_reservation : 0);
	if (low && cgroup_set(dir, "memory", "memory.low", low, err) < 0)
		return -1;
	return 0;
}

static int cgroup_v2_cpu(const char *dir, const struct config_resources *r, bool update,
                         berth_error_t *err)
{
	cleanup_free char *burst = NULL;
	bool quota =
	    (r->has_cpu_quota && r->cpu_quota != 0) || (r->has_cpu_period && r->cpu_period != 0);

	(void)update;
	if ((r->has_cpu_realtime_runtime && r->cpu_realtime_runtime != 0) ||
	    (r->has_cpu_realtime_period && r->cpu_realtime_period != 0))
		log_warning("linux.resources.cpu.realtimeRuntime/realtimePeriod are not supported "
		            "on cgroup v2: ignored");
	if (cgroup_fs_cpu_idle(dir, r, err) < 0)
		return -1;
	if (r->has_cpu_shares && r->cpu_shares != 0 &&
	    cgroup_setf(dir, "cpu", "cpu.weight", err, "%" PRIu64,
	                cgroup_shares_to_weight(r->cpu_shares)) < 0)
		return -1;
	/* the burst may exceed the old quota: then retry once the quota is written */
	if (r->has_cpu_burst) {
		cleanup_free char *v = xasprintf("%" PRIu64, r->cpu_burst);
		if (cgroup_set_later(dir, "cpu", "cpu.max.burst", v, quota, &burst, err) < 0)
			return -1;
	}
	if (quota) {
		cleanup_free char *v = NULL;
		if (r->has_cpu_quota && r->cpu_quota > 0)
			v = xasprintf("%" PRId64, r->cpu_quota);
		else
			v = xstrdup("max");
		if (r->has_cpu_period && r->cpu_period != 0) {
			char *p = xasprintf("%s %" PRIu64, v, r->cpu_period);
			free(v);
			v = p;
		}
		if (cgroup_set(dir, "cpu", "cpu.max", v, err) < 0)
			return -1;
		if (burst && cgroup_set(dir, "cpu", "cpu.max.burst", burst, err) < 0)
			return -1;
	}
	return 0;
}

static int cgroup_v2_io_max(const char *dir, const char *key,
                            const struct config_throttle_device *t, size_t n, berth_error_t *err)
{
	for (size_t i = 0; i < n; i++)
		if (cgroup_setf(dir, "io", "io.max", err, "%" PRId64 ":%" PRId64 " %s=%" PRIu64,
		                t[i].major, t[i].minor, key, t[i].rate) < 0)
			return -1;
	return 0;
}

static int cgroup_v2_io(const char *dir, const struct config_resources *r, bool update,
                        berth_error_t *err)
{
	bool bfq = cgroup_file_exists(dir, "io.bfq.weight");

	(void)update;
	if (r->has_blkio_leaf_weight && r->blkio_leaf_weight != 0)
		log_warning("linux.resources.blockIO.leafWeight is not supported on cgroup v2: "
		            "ignored");
	if (r->has_blkio_weight && r->blkio_weight != 0) {
		/* BFQ takes the blkio range (10-1000) as is; io.weight needs converting */
		if (bfq) {
			if (cgroup_setf(dir, "io", "io.bfq.weight", err, "%u", r->blkio_weight) < 0)
				return -1;
		} else if (cgroup_setf(dir, "io", "io.weight", err, "%" PRIu64,
		                       cgroup_blkio_to_io_weight(r->blkio_weight)) < 0) {
			return -1;
		}
	}
	for (size_t i = 0; i < r->n_blkio_weight_device; i++) {
		const struct config_weight_device *w = &r->blkio_weight_device[i];
		if (!w->has_weight)
			continue;
		if (!bfq && dir != NULL) {
			log_warning("linux.resources.blockIO.weightDevice needs the BFQ I/O "
			            "scheduler (io.bfq.weight): ignored");
			break;
		}
		if (cgroup_setf(dir, "io", "io.bfq.weight", err, "%" PRId64 ":%" PRId64 " %u",
		                w->major, w->minor, w->weight) < 0)
			return -1;
	}
	if (cgroup_v2_io_max(dir, "rbps", r->blkio_throttle_read_bps, r->n_blkio_throttle_read_bps,
	                     err) < 0 ||
	    cgroup_v2_io_max(dir, "wbps", r->blkio_throttle_write_bps,
	                     r->n_blkio_throttle_write_bps, err) < 0 ||
	    cgroup_v2_io_max(dir, "riops", r->blkio_throttle_read_iops,
	                     r->n_blkio_throttle_read_iops, err) < 0 ||
	    cgroup_v2_io_max(dir, "wiops", r->blkio_throttle_write_iops,
	                     r->n_blkio_throttle_write_iops, err) < 0)
		return -1;
	return 0;
}

static int cgroup_v2_hugetlb(const char *dir, const struct config_resources *r, bool update,
                             berth_error_t *err)
{
	(void)update;
	return cgroup_fs_hugetlb(dir, "max", r, err);
}

/* net_cls and net_prio have no v2 counterpart (runc ignores them with a warning) */
static int cgroup_v2_net_cls(const char *dir, const struct config_resources *r, bool update,
                             berth_error_t *err)
{
	(void)dir, (void)update, (void)err;
	if (r->has_net_class_id)
		log_warning("linux.resources.network.classID is not supported on cgroup v2: "
		            "ignored");
	return 0;
}

static int cgroup_v2_net_prio(const char *dir, const struct config_resources *r, bool update,
                              berth_error_t *err)
{
	(void)dir, (void)update, (void)err;
	if (r->n_net_priorities > 0)
		log_warning("linux.resources.network.priorities is not supported on cgroup v2: "
		            "ignored");
	return 0;
}

static int cgroup_v2_unified(const char *dir, unsigned controllers,
                             const struct config_resources *r, berth_error_t *err)
{
	for (size_t i = 0; i < r->n_unified; i++) {
		const char *k = r->unified[i].key, *dot;
		if (*k == '\0' || strchr(k, '/') != NULL || strcmp(k, ".") == 0 ||
		    strcmp(k, "..") == 0)
			return berth_error(err, 0,
			                   "linux.resources.unified: invalid file name `%s`", k);
		dot = strchr(k, '.');
		if (!cgroup_file_exists(dir, k) && dot != NULL) {
			bool known = false;
			for (int c = 0; c < CGROUP_CTRL_COUNT; c++) {
				const char *name = cgroup_controller_name(c, false);
				if (strlen(name) == (size_t)(dot - k) &&
				    strncmp(name, k, (size_t)(dot - k)) == 0)
					known = (controllers & (1u << c)) != 0;
			}
			if (!known && strncmp(k, "cgroup.", 7) != 0)
				return berth_error(err, 0,
				                   "linux.resources.unified: `%s`: controller "
				                   "`%.*s` is not available",
				                   k, (int)(dot - k), k);
		}
		if (cgroup_set(dir, "unified", k, r->unified[i].value, err) < 0)
			return -1;
	}
	return 0;
}

/* ---- stats ------------------------------------------------------------------------- */

/* The v2 directory for a controller when the stats must come from v2, else NULL. */
static char *cgroup_v2_stat_dir(const struct cgroup *cg, enum cgroup_controller c)
{
	bool v2;
	char *dir = cgroup_ctrl_dir(cg, c, &v2);

	if (dir != NULL && !v2) {
		free(dir);
		return NULL;
	}
	return dir;
}

static void cgroup_v2_io_stats(const char *dir, struct cgroup_stats *st)
{
	cleanup_free char *s = NULL;
	berth_error_t e = NULL;
	char *save = NULL;

	if (cgroup_read(dir, "io.stat", &s, &e) < 0) {
		berth_error_release(&e);
		return;
	}
	for (char *l = strtok_r(s, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		unsigned long long maj, min;
		char *save2 = NULL, *t;
		if (sscanf(l, "%llu:%llu", &maj, &min) != 2)
			continue;
		strtok_r(l, " ", &save2);
		while ((t = strtok_r(NULL, " ", &save2)) != NULL) {
			struct cgroup_blkio_entry b = {.major = maj, .minor = min};
			struct cgroup_blkio_entry **v;
			size_t *n;
			char *eq = strchr(t, '=');
			if (eq == NULL)
				continue;
			*eq = '\0';
			b.value = strtoull(eq + 1, NULL, 10);
			if (strcmp(t, "rbytes") == 0 || strcmp(t, "wbytes") == 0) {
				v = &st->blkio.service_bytes;
				n = &st->blkio.n_service_bytes;
			} else if (strcmp(t, "rios") == 0 || strcmp(t, "wios") == 0) {
				v = &st->blkio.serviced;
				n = &st->blkio.n_serviced;
			} else {
				continue;
			}
			snprintf(b.op, sizeof(b.op), "%s", t[0] == 'r' ? "Read" : "Write");
			*v = xrealloc(*v, (*n + 1) * sizeof(**v));
			(*v)[(*n)++] = b;
		}
	}
}

static void cgroup_v2_memory_stats(const char *dir, struct cgroup_stats *st)
{
	cleanup_free char *s = NULL;
	berth_error_t e = NULL;
	char *save = NULL;
	uint64_t swap = 0, swap_max = 0;

	cgroup_read_u64_or0(dir, "memory.current", &st->memory.usage.usage);
	cgroup_read_u64_or0(dir, "memory.peak", &st->memory.usage.max_usage);
	cgroup_read_u64_or0(dir, "memory.max", &st->memory.usage.limit);
	cgroup_read_key(dir, "memory.events", "max", &st->memory.usage.failcnt);
	cgroup_read_key(dir, "memory.events", "oom_kill", &st->memory.oom_kill);
	/* runc reports swap as memory+swap, like v1's memsw */
	if (cgroup_file_exists(dir, "memory.swap.current")) {
		cgroup_read_u64_or0(dir, "memory.swap.current", &swap);
		cgroup_read_u64_or0(dir, "memory.swap.max", &swap_max);
		st->memory.swap.usage = swap + st->memory.usage.usage;
		st->memory.swap.limit =
		    swap_max == UINT64_MAX || st->memory.usage.limit == UINT64_MAX
		        ? UINT64_MAX
		        : swap_max + st->memory.usage.limit;
		cgroup_read_u64_or0(dir, "memory.swap.peak", &swap);
		st->memory.swap.max_usage = swap ? swap + st->memory.usage.max_usage : 0;
	}
	st->memory.use_hierarchy = true;
	if (cgroup_read(dir, "memory.stat", &s, &e) < 0) {
		berth_error_release(&e);
		return;
	}
	for (char *l = strtok_r(s, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(l, ' ');
		if (sp == NULL)
			continue;
		*sp = '\0';
		if (strcmp(l, "file") == 0)
			st->memory.cache = strtoull(sp + 1, NULL, 10);
		else if (strcmp(l, "anon") == 0)
			st->memory.rss = strtoull(sp + 1, NULL, 10);
		st->memory.raw =
		    xrealloc(st->memory.raw, (st->memory.n_raw + 1) * sizeof(struct config_kv));
		st->memory.raw[st->memory.n_raw].key = xstrdup(l);
		st->memory.raw[st->memory.n_raw].value = xstrdup(sp + 1);
		st->memory.n_raw++;
	}
}

static int cgroup_v2_stats(const struct cgroup *cg, struct cgroup_stats *st, berth_error_t *err)
{
	cleanup_free char *cpu = NULL, *mem = NULL, *pids = NULL, *io = NULL, *huge = NULL;

	(void)err;
	/* cpu.stat's usage lines exist without the cpu controller */
	if (cg->host.mode == CGROUP_MODE_V2)
		cpu = xasprintf("%s%s", cg->host.v2_mount, cg->path);
	mem = cgroup_v2_stat_dir(cg, CGROUP_CTRL_MEMORY);
	pids = cgroup_v2_stat_dir(cg, CGROUP_CTRL_PIDS);
	io = cgroup_v2_stat_dir(cg, CGROUP_CTRL_IO);
	huge = cgroup_v2_stat_dir(cg, CGROUP_CTRL_HUGETLB);

	if (cpu != NULL) {
		uint64_t v = 0;
		if (cgroup_read_key(cpu, "cpu.stat", "usage_usec", &v) == 0)
			st->cpu.total = v * 1000;
		if (cgroup_read_key(cpu, "cpu.stat", "user_usec", &v) == 0)
			st->cpu.user = v * 1000;
		if (cgroup_read_key(cpu, "cpu.stat", "system_usec", &v) == 0)
			st->cpu.kernel = v * 1000;
		cgroup_read_key(cpu, "cpu.stat", "nr_periods", &st->cpu.periods);
		cgroup_read_key(cpu, "cpu.stat", "nr_throttled", &st->cpu.throttled_periods);
		if (cgroup_read_key(cpu, "cpu.stat", "throttled_usec", &v) == 0)
			st->cpu.throttled_time = v * 1000;
	}
	if (mem != NULL)
		cgroup_v2_memory_stats(mem, st);
	if (pids != NULL) {
		cgroup_read_u64_or0(pids, "pids.current", &st->pids.current);
		cgroup_read_u64_or0(pids, "pids.max", &st->pids.limit);
		if (st->pids.limit == UINT64_MAX)
			st->pids.limit = 0;
	}
	if (io != NULL)
		cgroup_v2_io_stats(io, st);
	if (huge != NULL) {
		size_t n = 0;
		char **sizes = cgroup_hugepage_sizes(NULL, &n);
		for (size_t i = 0; i < n; i++) {
			struct cgroup_hugetlb_entry h = {0};
			cleanup_free char *cur = xasprintf("hugetlb.%s.current", sizes[i]);
			cleanup_free char *ev = xasprintf("hugetlb.%s.events", sizes[i]);
			snprintf(h.page_size, sizeof(h.page_size), "%s", sizes[i]);
			cgroup_read_u64_or0(huge, cur, &h.usage);
			cgroup_read_key(huge, ev, "max", &h.failcnt);
			st->hugetlb = xrealloc(st->hugetlb, (st->n_hugetlb + 1) * sizeof(h));
			st->hugetlb[st->n_hugetlb++] = h;
		}
		cgroup_strv_free(sizes, n);
	}
	return 0;
}

/* ---- create ------------------------------------------------------------------------ */

/* "+cpu +io …" for the controllers listed in dir/cgroup.controllers */
static int cgroup_v2_enable(const char *dir, const char *child, berth_error_t *err)
{
	cleanup_free char *ctrls = NULL, *all = NULL;
	char *save = NULL;
	berth_error_t e = NULL;

	(void)child;
	if (cgroup_read(dir, "cgroup.controllers", &ctrls, err) < 0)
		return -1;
	for (char *t = strtok_r(ctrls, " \n", &save); t; t = strtok_r(NULL, " \n", &save)) {
		char *n = xasprintf("%s%s+%s", all ? all : "", all ? " " : "", t);
		free(all);
		all = n;
	}
	if (all == NULL)
		return 0;
	if (cgroup_set(dir, "", "cgroup.subtree_control", all, &e) == 0)
		return 0;
	/* one by one, as runc does: what cannot be enabled fails later, when it is set */
	berth_error_release(&e);
	save = NULL;
	for (char *t = strtok_r(all, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		if (cgroup_set(dir, "", "cgroup.subtree_control", t, &e) < 0) {
			log_debug("%s", e->msg);
			berth_error_release(&e);
		}
	}
	return 0;
}

static int cgroup_v2_create(const char *mount, const char *path, unsigned controllers, char **top,
                            berth_error_t *err)
{
	(void)controllers;
	return cgroup_fs_mkdirs(mount, path, cgroup_v2_enable, NULL, top, err);
}

/* ---- devices: a BPF program --------------------------------------------------------- */

static int cgroup_v2_devices(const char *dir, const struct cgroup_dev_state *st, berth_error_t *err)
{
	size_t n = 0;
	cleanup_free struct bpf_insn *prog = cgroup_dev_bpf_program(st, &n);
	cleanup_close int fd = cgroup_dev_bpf_load(prog, n, err);

	if (fd < 0)
		return -1;
	return cgroup_dev_bpf_attach(dir, fd, err);
}

/* ---- freezer and kill -------------------------------------------------------------- */

static int cgroup_v2_freeze_set(const char *dir, bool freeze, berth_error_t *err)
{
	uint64_t frozen = 2;

	if (cgroup_set(dir, "freezer", "cgroup.freeze", freeze ? "1" : "0", err) < 0)
		return -1;
	for (int i = 0; i * 2 < CGROUP_FREEZE_TIMEOUT_MS; i++) {
		if (cgroup_read_key(dir, "cgroup.events", "frozen", &frozen) < 0)
			return berth_error(err, 0, "read `%s/cgroup.events`: no `frozen` key", dir);
		if (frozen == (freeze ? 1 : 0))
			return 0;
		cgroup_fs_sleep_ms(2);
	}
	if (freeze) {
		berth_error_t e = NULL;
		cgroup_set(dir, "freezer", "cgroup.freeze", "0", &e);
		berth_error_release(&e);
	}
	return berth_error(err, ETIMEDOUT, "cgroup `%s` did not become %s", dir,
	                   freeze ? "frozen" : "thawed");
}

static int cgroup_v2_is_frozen(const char *dir, berth_error_t *err)
{
	uint64_t frozen;

	if (cgroup_read_key(dir, "cgroup.events", "frozen", &frozen) < 0)
		return berth_error(err, 0, "read `%s/cgroup.events`: no `frozen` key", dir);
	return frozen == 1;
}

static int cgroup_v2_kill(const char *dir, berth_error_t *err)
{
	if (!cgroup_file_exists(dir, "cgroup.kill"))
		return berth_error(err, ENOTSUP, "`%s/cgroup.kill`", dir);
	return cgroup_set(dir, "", "cgroup.kill", "1", err);
}

const struct cgroup_ops cgroup_v2_ops = {
    .create = cgroup_v2_create,
    .set =
        {
            [CGROUP_CTRL_MEMORY] = cgroup_v2_memory,
            [CGROUP_CTRL_CPU] = cgroup_v2_cpu,
            [CGROUP_CTRL_CPUSET] = cgroup_fs_cpuset,
            [CGROUP_CTRL_PIDS] = cgroup_fs_pids,
            [CGROUP_CTRL_IO] = cgroup_v2_io,
            [CGROUP_CTRL_HUGETLB] = cgroup_v2_hugetlb,
            [CGROUP_CTRL_RDMA] = cgroup_fs_rdma,
            [CGROUP_CTRL_NET_CLS] = cgroup_v2_net_cls,
            [CGROUP_CTRL_NET_PRIO] = cgroup_v2_net_prio,
        },
    .devices = cgroup_v2_devices,
    .unified = cgroup_v2_unified,
    .freeze = cgroup_v2_freeze_set,
    .is_frozen = cgroup_v2_is_frozen,
    .freeze_file = "cgroup.freeze",
    .kill = cgroup_v2_kill,
    .oom_file = "memory.events",
    .stats = cgroup_v2_stats,
};
