/* SPDX-License-Identifier: MIT */
/* pause, resume, update, events, ps and top of an existing container: state + cgroup. */
#include "manage.h"
#include "config.h"
#include "log.h"
#include "state.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <poll.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- helpers ---------------------------------------------------------------------- */

static void manage_state_freep(struct state **s)
{
	state_free(*s);
}
static void manage_cgroup_freep(struct cgroup **cg)
{
	cgroup_free(*cg);
}
static void manage_config_freep(struct config **c)
{
	config_free(*c);
}
#define cleanup_state  __attribute__((cleanup(manage_state_freep)))
#define cleanup_cgroup __attribute__((cleanup(manage_cgroup_freep)))
#define cleanup_config __attribute__((cleanup(manage_config_freep)))

/* The cgroup of the container of state s. */
static int manage_open_cgroup(const struct state *s, struct cgroup **cg, berth_error_t *err)
{
	struct cgroup_host h;

	*cg = NULL;
	if (s->cgroup_path == NULL)
		return berth_error(err, 0, "container `%s` has no cgroup", s->id);
	if (cgroup_host_detect(&h, NULL, err) < 0)
		return -1;
	return cgroup_open(&h, s->cgroup_path, cg, err);
}

/* Lock and load a container that must be in one of the statuses of `ok` (a bit mask of
 * 1 << STATE_X); otherwise "cannot <verb> container `id`: it is <status> (<expect>)". */
static int manage_load(const char *root, const char *id, unsigned ok, const char *verb,
                       const char *expect, int *lock, struct state **s, berth_error_t *err)
{
	enum state_status st;

	*s = NULL;
	if (state_validate_id(id, err) < 0)
		return -1;
	if (lock != NULL) {
		*lock = state_lock(root, id, err);
		if (*lock < 0)
			return -1;
	}
	if (state_load(root, id, s, err) < 0)
		return -1;
	st = state_status(root, *s);
	if (!(ok & (1u << st)))
		return berth_error(err, 0, "cannot %s container `%s`: it is %s (%s)", verb, id,
		                   state_status_name(st), expect);
	return 0;
}

int manage_thaw(const struct state *s, berth_error_t *err)
{
	cleanup_cgroup struct cgroup *cg = NULL;

	if (s->cgroup_path == NULL)
		return 0;
	if (manage_open_cgroup(s, &cg, err) < 0)
		return -1;
	return cgroup_thaw(cg, err);
}

/* ---- pause, resume ---------------------------------------------------------------- */

int container_pause(const char *root, const char *id, berth_error_t *err)
{
	cleanup_close int lock = -1;
	cleanup_state struct state *s = NULL;
	cleanup_cgroup struct cgroup *cg = NULL;

	if (manage_load(root, id, 1u << STATE_CREATED | 1u << STATE_RUNNING, "pause",
	                "expected running or created", &lock, &s, err) < 0 ||
	    manage_open_cgroup(s, &cg, err) < 0)
		return -1;
	if (cgroup_freeze(cg, err) < 0)
		return berth_error_prefix(err, "pause `%s`", id);
	return 0;
}

int container_resume(const char *root, const char *id, berth_error_t *err)
{
	cleanup_close int lock = -1;
	cleanup_state struct state *s = NULL;
	cleanup_cgroup struct cgroup *cg = NULL;

	if (manage_load(root, id, 1u << STATE_PAUSED, "resume", "expected paused", &lock, &s, err) <
	        0 ||
	    manage_open_cgroup(s, &cg, err) < 0)
		return -1;
	if (cgroup_thaw(cg, err) < 0)
		return berth_error_prefix(err, "resume `%s`", id);
	return 0;
}

/* ---- update ----------------------------------------------------------------------- */

/* Whether the host has controller c (in v1 or in the cgroup2 tree). */
static bool manage_has_ctrl(const struct cgroup *cg, enum cgroup_controller c)
{
	return ((cg->host.v1_controllers | (cg->host.has_v2 ? cg->host.v2_controllers : 0)) &
	        (1u << c)) != 0;
}

/* Refuse, before anything is written, a setting whose controller the host lacks (the
 * library would fail on it half-way through). */
static int manage_check_ctrls(const struct cgroup *cg, const struct config_resources *r,
                              berth_error_t *err)
{
	static const struct {
		enum cgroup_controller c;
		const char *what;
	} need[] = {
	    {CGROUP_CTRL_MEMORY, "memory"}, {CGROUP_CTRL_CPU, "cpu"},
	    {CGROUP_CTRL_CPUSET, "cpuset"}, {CGROUP_CTRL_PIDS, "pids"},
	    {CGROUP_CTRL_IO, "blockIO"},    {CGROUP_CTRL_HUGETLB, "hugepageLimits"},
	    {CGROUP_CTRL_RDMA, "rdma"},
	};
	bool want[ARRAY_SIZE(need)] = {
	    (r->has_mem_limit && r->mem_limit != 0) || (r->has_mem_swap && r->mem_swap != 0) ||
	        (r->has_mem_reservation && r->mem_reservation != 0) || r->has_mem_swappiness ||
	        r->has_mem_disable_oom_killer,
	    (r->has_cpu_shares && r->cpu_shares != 0) || (r->has_cpu_quota && r->cpu_quota) ||
	        (r->has_cpu_period && r->cpu_period) || r->has_cpu_burst || r->has_cpu_idle,
	    (r->cpu_cpus && *r->cpu_cpus) || (r->cpu_mems && *r->cpu_mems),
	    r->has_pids_limit,
	    r->has_blkio_weight || r->n_blkio_weight_device || r->n_blkio_throttle_read_bps ||
	        r->n_blkio_throttle_write_bps || r->n_blkio_throttle_read_iops ||
	        r->n_blkio_throttle_write_iops,
	    r->n_hugepage_limits > 0,
	    r->n_rdma > 0,
	};

	for (size_t i = 0; i < ARRAY_SIZE(need); i++)
		if (want[i] && !manage_has_ctrl(cg, need[i].c))
			return berth_error(
			    err, 0, "cannot set %s limits: the host has no %s controller",
			    need[i].what,
			    cgroup_controller_name(need[i].c, cg->host.mode != CGROUP_MODE_V2));
	return 0;
}

/* dst[key] as an object, made when absent. */
static json_t *manage_obj(json_t *dst, const char *key)
{
	json_t *o = json_object_get(dst, key);

	if (!json_is_object(o)) {
		o = json_object();
		json_object_set_new(dst, key, o);
	}
	return o;
}

/* Objects are merged member by member; anything else replaces. */
static void manage_merge(json_t *dst, json_t *patch)
{
	const char *k;
	json_t *v;

	json_object_foreach(patch, k, v)
	{
		if (json_is_object(v))
			manage_merge(manage_obj(dst, k), v);
		else
			json_object_set(dst, k, v);
	}
}

static int manage_save_config(const char *root, const char *id, json_t *raw, berth_error_t *err)
{
	cleanup_free char *path = xasprintf("%s/%s/config.json", root, id);
	cleanup_free char *text = json_dumps(raw, JSON_COMPACT);

	if (text == NULL)
		return berth_error(err, ENOMEM, "serialize `%s`", path);
	return util_write_file_atomic(path, text, strlen(text), 0600, err);
}

int container_update(const char *root, const char *id, json_t *patch, const char *name,
                     berth_error_t *err)
{
	cleanup_close int lock = -1;
	cleanup_state struct state *s = NULL;
	cleanup_cgroup struct cgroup *cg = NULL;
	cleanup_config struct config *c = NULL;
	cleanup_free char *text = NULL;
	struct config_resources r = {0}, a;
	const struct config_resources *old;
	int ret = -1;

	if (!json_is_object(patch))
		return berth_error(err, 0, "%s: expected an object", name);
	text = json_dumps(patch, JSON_COMPACT);
	if (text == NULL)
		return berth_error(err, ENOMEM, "%s", name);
	if (config_parse_resources(text, strlen(text), name, &r, err) < 0)
		return -1;
	if (manage_load(root, id, 1u << STATE_CREATED | 1u << STATE_RUNNING | 1u << STATE_PAUSED,
	                "update", "expected created, running or paused", &lock, &s, err) < 0 ||
	    state_load_config(root, id, &c, err) < 0 || manage_open_cgroup(s, &cg, err) < 0 ||
	    manage_check_ctrls(cg, &r, err) < 0)
		goto out;

	/* runc: quota or period alone keeps the other at the value in the config */
	a = r;
	old = &c->linux_.resources;
	if (a.has_cpu_quota && a.cpu_quota != 0 && !(a.has_cpu_period && a.cpu_period != 0) &&
	    old->has_cpu_period && old->cpu_period != 0) {
		a.has_cpu_period = true;
		a.cpu_period = old->cpu_period;
	} else if (a.has_cpu_period && a.cpu_period != 0 &&
	           !(a.has_cpu_quota && a.cpu_quota != 0) && old->has_cpu_quota &&
	           old->cpu_quota != 0) {
		a.has_cpu_quota = true;
		a.cpu_quota = old->cpu_quota;
	}
	/* the kernel (v1) would refuse it half-way through: memory+swap below memory */
	{
		int64_t lim = a.has_mem_limit && a.mem_limit != 0 ? a.mem_limit
		              : old->has_mem_limit                ? old->mem_limit
		                                                  : 0;
		int64_t swap = a.has_mem_swap && a.mem_swap != 0 ? a.mem_swap
		               : old->has_mem_swap               ? old->mem_swap
		                                                 : 0;
		if ((a.has_mem_limit || a.has_mem_swap) && lim > 0 && swap > 0 && swap < lim) {
			berth_error(err, 0,
			            "memory+swap limit %" PRId64
			            " should be >= memory limit %" PRId64,
			            swap, lim);
			goto out;
		}
	}
	/* runc: a pids limit of 0 leaves the limit alone */
	if (a.has_pids_limit && a.pids_limit == 0)
		a.has_pids_limit = false;
	{
		struct cgroup_apply_opts o = {
		    .update = true, .devices = c->linux_.devices, .n_devices = c->linux_.n_devices};
		if (cgroup_apply_opts(cg, &a, &o, err) < 0)
			goto out;
	}
	manage_merge(manage_obj(manage_obj(c->raw, "linux"), "resources"), patch);
	if (manage_save_config(root, id, c->raw, err) < 0) {
		berth_error_prefix(err, "the limits are set but not recorded");
		goto out;
	}
	ret = 0;
out:
	config_resources_free(&r);
	return ret;
}

/* ---- stats as runc prints them ----------------------------------------------------- */

/* A tiny JSON writer (jansson's integers stop at INT64_MAX; cgroup limits do not). */
struct jw {
	FILE *f;
	bool first; /* no member written yet in the current object or array */
};

static void jw_str(struct jw *w, const char *s)
{
	fputc('"', w->f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(w->f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(w->f, "\\u%04x", ch);
		else
			fputc(ch, w->f);
	}
	fputc('"', w->f);
}

static void jw_key(struct jw *w, const char *key)
{
	if (!w->first)
		fputc(',', w->f);
	w->first = false;
	jw_str(w, key);
	fputc(':', w->f);
}

static void jw_open(struct jw *w, const char *key, char brace)
{
	if (key != NULL)
		jw_key(w, key);
	fputc(brace, w->f);
	w->first = true;
}

static void jw_close(struct jw *w, char brace)
{
	fputc(brace, w->f);
	w->first = false;
}

/* Go's `omitempty`: a zero is left out. */
static void jw_u64(struct jw *w, const char *key, uint64_t v, bool omitempty)
{
	if (omitempty && v == 0)
		return;
	jw_key(w, key);
	fprintf(w->f, "%" PRIu64, v);
}

static void jw_mem_entry(struct jw *w, const char *key, const struct cgroup_mem_entry *e)
{
	jw_open(w, key, '{');
	jw_u64(w, "limit", e->limit, false);
	jw_u64(w, "usage", e->usage, true);
	jw_u64(w, "max", e->max_usage, true);
	jw_u64(w, "failcnt", e->failcnt, false);
	jw_close(w, '}');
}

static void jw_blkio(struct jw *w, const char *key, const struct cgroup_blkio_entry *e, size_t n)
{
	if (n == 0)
		return;
	jw_open(w, key, '[');
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			fputc(',', w->f);
		jw_open(w, NULL, '{');
		jw_u64(w, "major", e[i].major, true);
		jw_u64(w, "minor", e[i].minor, true);
		if (e[i].op[0]) {
			jw_key(w, "op");
			jw_str(w, e[i].op);
		}
		jw_u64(w, "value", e[i].value, true);
		jw_close(w, '}');
	}
	jw_close(w, ']');
}

static int manage_kv_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct config_kv *const *)a)->key,
	              (*(const struct config_kv *const *)b)->key);
}

static int manage_huge_cmp(const void *a, const void *b)
{
	return strcmp(((const struct cgroup_hugetlb_entry *)a)->page_size,
	              ((const struct cgroup_hugetlb_entry *)b)->page_size);
}

char *manage_stats_json(const char *id, const struct cgroup_stats *st)
{
	char *buf = NULL;
	size_t size = 0;
	struct jw w = {.f = open_memstream(&buf, &size), .first = true};

	if (w.f == NULL)
		abort();
	jw_open(&w, NULL, '{');
	jw_key(&w, "type");
	jw_str(&w, "stats");
	jw_key(&w, "id");
	jw_str(&w, id);
	jw_open(&w, "data", '{');

	jw_open(&w, "cpu", '{');
	jw_open(&w, "usage", '{');
	jw_u64(&w, "total", st->cpu.total, true);
	if (st->cpu.n_percpu > 0) {
		jw_open(&w, "percpu", '[');
		for (size_t i = 0; i < st->cpu.n_percpu; i++)
			fprintf(w.f, "%s%" PRIu64, i ? "," : "", st->cpu.percpu[i]);
		jw_close(&w, ']');
	}
	jw_u64(&w, "kernel", st->cpu.kernel, false);
	jw_u64(&w, "user", st->cpu.user, false);
	jw_close(&w, '}');
	jw_open(&w, "throttling", '{');
	jw_u64(&w, "periods", st->cpu.periods, true);
	jw_u64(&w, "throttledPeriods", st->cpu.throttled_periods, true);
	jw_u64(&w, "throttledTime", st->cpu.throttled_time, true);
	jw_close(&w, '}');
	jw_close(&w, '}');

	jw_open(&w, "cpuset", '{');
	jw_close(&w, '}');

	jw_open(&w, "memory", '{');
	jw_u64(&w, "cache", st->memory.cache, true);
	jw_mem_entry(&w, "usage", &st->memory.usage);
	jw_mem_entry(&w, "swap", &st->memory.swap);
	jw_mem_entry(&w, "kernel", &st->memory.kernel);
	jw_mem_entry(&w, "kernelTCP", &st->memory.kernel_tcp);
	if (st->memory.n_raw > 0) {
		/* Go prints a map's keys sorted */
		const struct config_kv **kv = xmalloc0(st->memory.n_raw * sizeof(*kv));
		for (size_t i = 0; i < st->memory.n_raw; i++)
			kv[i] = &st->memory.raw[i];
		qsort(kv, st->memory.n_raw, sizeof(*kv), manage_kv_cmp);
		jw_open(&w, "raw", '{');
		for (size_t i = 0; i < st->memory.n_raw; i++)
			jw_u64(&w, kv[i]->key, strtoull(kv[i]->value, NULL, 10), false);
		jw_close(&w, '}');
		free(kv);
	}
	jw_close(&w, '}');

	jw_open(&w, "pids", '{');
	jw_u64(&w, "current", st->pids.current, true);
	jw_u64(&w, "limit", st->pids.limit, true);
	jw_close(&w, '}');

	jw_open(&w, "blkio", '{');
	jw_blkio(&w, "ioServiceBytesRecursive", st->blkio.service_bytes, st->blkio.n_service_bytes);
	jw_blkio(&w, "ioServicedRecursive", st->blkio.serviced, st->blkio.n_serviced);
	jw_close(&w, '}');

	jw_open(&w, "hugetlb", '{');
	{
		struct cgroup_hugetlb_entry *h = NULL;
		if (st->n_hugetlb > 0) {
			h = xmalloc0(st->n_hugetlb * sizeof(*h));
			memcpy(h, st->hugetlb, st->n_hugetlb * sizeof(*h));
			qsort(h, st->n_hugetlb, sizeof(*h), manage_huge_cmp);
		}
		for (size_t i = 0; i < st->n_hugetlb; i++) {
			jw_open(&w, h[i].page_size, '{');
			jw_u64(&w, "usage", h[i].usage, true);
			jw_u64(&w, "max", h[i].max_usage, true);
			jw_u64(&w, "failcnt", h[i].failcnt, false);
			jw_close(&w, '}');
		}
		free(h);
	}
	jw_close(&w, '}');

	jw_open(&w, "intel_rdt", '{');
	jw_close(&w, '}');
	jw_key(&w, "network_interfaces");
	fputs("null", w.f);

	jw_close(&w, '}');
	jw_close(&w, '}');
	fclose(w.f);
	return buf;
}

/* ---- events ----------------------------------------------------------------------- */

static int manage_print_stats(const struct cgroup *cg, const char *id, FILE *out,
                              berth_error_t *err)
{
	struct cgroup_stats st;
	cleanup_free char *line = NULL;

	if (cgroup_stats(cg, &st, err) < 0)
		return -1;
	line = manage_stats_json(id, &st);
	cgroup_stats_free(&st);
	fprintf(out, "%s\n", line);
	fflush(out);
	return 0;
}

int container_events(const char *root, const char *id, bool stats_only, long long interval_ns,
                     FILE *out, berth_error_t *err)
{
	cleanup_state struct state *s = NULL;
	cleanup_cgroup struct cgroup *cg = NULL;
	cleanup_close int pidfd = -1;
	uint64_t ooms = 0, now_ooms = 0;
	long long next;

	if (manage_load(root, id, ~(1u << STATE_STOPPED), "watch",
	                "expected created, running or paused", NULL, &s, err) < 0 ||
	    manage_open_cgroup(s, &cg, err) < 0)
		return -1;
	if (stats_only)
		return manage_print_stats(cg, id, out, err);

	pidfd = (int)syscall(SYS_pidfd_open, s->pid, 0);
	cgroup_oom_count(cg, &ooms, err);
	next = util_now_ns() + interval_ns;
	for (;;) {
		struct pollfd p = {.fd = pidfd, .events = POLLIN};
		long long left = next - util_now_ns();
		int timeout = left <= 0 ? 0 : left > 100000000LL ? 100 : (int)(left / 1000000) + 1;
		bool gone;

		if (pidfd >= 0 && poll(&p, 1, timeout) < 0 && errno != EINTR)
			return berth_error(err, errno, "poll");
		if (pidfd < 0)
			poll(NULL, 0, timeout);
		gone = (pidfd >= 0 && (p.revents & (POLLIN | POLLHUP))) ||
		       !state_pid_alive(s->pid, s->start_time);
		/* before leaving: an OOM kill of the init is what stopped it */
		if (cgroup_oom_count(cg, &now_ooms, err) == 0 && now_ooms > ooms) {
			for (; ooms < now_ooms; ooms++)
				fprintf(out, "{\"type\":\"oom\",\"id\":\"%s\"}\n", id);
			fflush(out);
		}
		if (gone)
			return 0;
		if (util_now_ns() >= next) {
			berth_error_t e = NULL;
			if (manage_print_stats(cg, id, out, &e) < 0) {
				log_warning("events: %s", e->msg);
				berth_error_release(&e);
			}
			next += interval_ns;
			if (next < util_now_ns())
				next = util_now_ns() + interval_ns;
		}
		if (ferror(out))
			return berth_error(err, EIO, "events: write");
	}
}

/* ---- ps --------------------------------------------------------------------------- */

int container_ps(const char *root, const char *id, pid_t **pids, size_t *n, berth_error_t *err)
{
	cleanup_state struct state *s = NULL;
	struct cgroup_host h;

	*pids = NULL;
	*n = 0;
	if (state_validate_id(id, err) < 0 || state_load(root, id, &s, err) < 0)
		return -1;
	if (s->cgroup_path == NULL)
		return berth_error(err, 0, "container `%s` has no cgroup", id);
	if (cgroup_host_detect(&h, NULL, err) < 0)
		return -1;
	return cgroup_get_pids(&h, s->cgroup_path, pids, n, err);
}

/* ps with args (argv-style, NULL-terminated): its stdout and stderr in *out. */
static int manage_ps_run(char **args, bool null_stdin, char **out, berth_error_t *err)
{
	int p[2], status, r;
	size_t len = 0;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return berth_error(err, errno, "pipe");
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return berth_error(err, errno, "fork");
	}
	if (pid == 0) {
		int null = null_stdin ? open("/dev/null", O_RDONLY) : -1;
		if (null >= 0)
			dup2(null, STDIN_FILENO);
		dup2(p[1], STDOUT_FILENO);
		dup2(p[1], STDERR_FILENO);
		execvp("ps", args);
		dprintf(STDERR_FILENO, "exec ps: %s\n", strerror(errno));
		_exit(127);
	}
	close(p[1]);
	r = util_read_fd(p[0], "the output of ps", out, &len, err);
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (r < 0)
		return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		(*out)[strcspn(*out, "\n")] = '\0';
		return berth_error(
		    err, 0, "`ps` failed (%s %d): %s", WIFEXITED(status) ? "exit status" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), *out);
	}
	return 0;
}

int container_top(const char *root, const char *id, char **args, unsigned flags, char **out,
                  berth_error_t *err)
{
	cleanup_free pid_t *pids = NULL;
	cleanup_free char *text = NULL;
	cleanup_free char *hdr = NULL;
	char *line, *save = NULL, *s2 = NULL;
	size_t n = 0, len = 0;
	int pid_col = -1, col = 0;
	FILE *f;

	*out = NULL;
	if (container_ps(root, id, &pids, &n, err) < 0 ||
	    manage_ps_run(args, flags & CONTAINER_TOP_NULL_STDIN, &text, err) < 0)
		return -1;
	line = strtok_r(text, "\n", &save);
	if (line == NULL)
		return berth_error(err, 0, "`ps` printed nothing");
	hdr = xstrdup(line);
	for (char *w = strtok_r(hdr, " \t", &s2); w; w = strtok_r(NULL, " \t", &s2), col++)
		if (strcmp(w, "PID") == 0) {
			pid_col = col;
			break;
		}
	if (pid_col < 0)
		return berth_error(err, 0, "no PID column in the output of ps: `%s` (ask for pid)",
		                   line);
	f = open_memstream(out, &len);
	if (f == NULL)
		return berth_error(err, errno, "open_memstream");
	fprintf(f, "%s\n", line);
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		cleanup_free char *copy = xstrdup(line);
		char *s3 = NULL, *w = strtok_r(copy, " \t", &s3), *end;
		long pid;

		for (int i = 0; w != NULL && i < pid_col; i++)
			w = strtok_r(NULL, " \t", &s3);
		if (w == NULL)
			continue;
		pid = strtol(w, &end, 10);
		if (*end != '\0' && (flags & CONTAINER_TOP_STRICT)) {
			fclose(f);
			free(*out);
			*out = NULL;
			return berth_error(err, 0, "cannot parse the pid `%s` in `%s`", w, line);
		}
		if (*end != '\0')
			continue;
		for (size_t i = 0; i < n; i++)
			if (pids[i] == pid) {
				fprintf(f, "%s\n", line);
				break;
			}
	}
	fclose(f);
	return 0;
}
