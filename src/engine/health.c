/* SPDX-License-Identifier: MIT */
/* Health checks, as Docker's: the image's HEALTHCHECK (its config's Healthcheck {Test, Interval,
 * Timeout, Retries, StartPeriod}, durations in ns) with run/create's --health-* flags over it,
 * kept in the container's record as "healthcheck" (inspect's Config.Healthcheck).
 *
 * Who runs the checks (the fork-safety rule of attach.c: a process forks only while it has
 * one thread, and the monitor runs attach's thread while the container runs): the monitor
 * forks a health checker right after container_start, before attach_start, while it still
 * has one thread (health_start). The checker never starts a thread: it sleeps the interval,
 * runs the check through the runtime library's exec (which forks its helper and the process:
 * allowed, as nothing else runs in the checker), waits for it up to the timeout (then kills
 * its process group: the process is a session leader, so a shell's children go with it), and
 * records the result. It dies with the monitor (PR_SET_PDEATHSIG), and the monitor kills and
 * reaps it (through a pidfd, safe against pid reuse) as soon as the container's init exited,
 * before a restart policy starts the container again with a checker of its own.
 *
 * The state is containers/<id>/health.json: {Status, FailingStreak, Log (the last 5 results:
 * Start, End, ExitCode, Output, at most 4 KiB), checker_pid, start_ns (CLOCK_MONOTONIC of the
 * start, for the start period)}, apart from container.json as the checker writes it every
 * interval while other commands rewrite the record whole; each change is made under a flock
 * of the container's directory and written by a rename. */
#include "image_priv.h"
#include "exec.h"
#include "supervise.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HEALTH_LOG_MAX    5
#define HEALTH_OUTPUT_MAX 4096
#define HEALTH_SEC        1000000000LL

static const char *const health_flags[HEALTH_N] = {"--health-cmd",     "--health-interval",
                                                   "--health-timeout", "--health-start-period",
                                                   "--health-retries", "--no-healthcheck"};
/* the record's keys of the durations and the retries */
static const char *const health_keys[HEALTH_N] = {NULL, "Interval", "Timeout", "StartPeriod",
                                                  "Retries"};

/* Go's time.ParseDuration without a sign: "1m30s", "500ms", "1.5h", "0". -1 when bad. */
static int health_parse_duration(const char *s, int64_t *out)
{
	static const struct {
		const char *unit;
		long double ns;
	} units[] = {{"ns", 1},   {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"\xce\xbcs", 1e3},
	             {"ms", 1e6}, {"s", 1e9},  {"m", 60e9},        {"h", 3600e9}};
	long double total = 0;
	const char *p = s;

	if (strcmp(p, "0") == 0) {
		*out = 0;
		return 0;
	}
	if (*p == '\0')
		return -1;
	while (*p) {
		long double v = 0, scale = 1;
		bool digits = false, found = false;
		size_t ul;
		while (isdigit((unsigned char)*p)) {
			v = v * 10 + (*p++ - '0');
			digits = true;
		}
		if (*p == '.')
			for (p++; isdigit((unsigned char)*p); p++) {
				scale /= 10;
				v += (*p - '0') * scale;
				digits = true;
			}
		ul = strcspn(p, "0123456789.");
		if (!digits || ul == 0)
			return -1;
		for (size_t i = 0; i < ARRAY_SIZE(units) && !found; i++)
			if (strlen(units[i].unit) == ul && strncmp(p, units[i].unit, ul) == 0) {
				total += v * units[i].ns;
				found = true;
			}
		if (!found || total >= 9223372036854775808.0L)
			return -1;
		p += ul;
	}
	*out = (int64_t)total;
	return 0;
}

/* As Go prints a duration: "30s", "1m30s", "1h0m0s", "500ms", "1.5s". */
static void health_fmt_duration(int64_t ns, char *out, size_t size)
{
	if (ns >= 60 * HEALTH_SEC) {
		int64_t s = ns / HEALTH_SEC;
		if (s >= 3600)
			snprintf(out, size, "%lldh%lldm%llds", (long long)(s / 3600),
			         (long long)(s / 60 % 60), (long long)(s % 60));
		else
			snprintf(out, size, "%lldm%llds", (long long)(s / 60), (long long)(s % 60));
	} else if (ns >= HEALTH_SEC) {
		snprintf(out, size, "%gs", (double)ns / 1e9);
	} else {
		snprintf(out, size, "%gms", (double)ns / 1e6);
	}
}

int health_flag(struct health_opts *h, enum health_flag f, const char *v, berth_error_t *err)
{
	const char *flag = health_flags[f];

	h->set[f] = true;
	for (int g = 0; g < HEALTH_NONE; g++)
		if (h->set[HEALTH_NONE] && h->set[g])
			return berth_error(err, 0,
			                   "--no-healthcheck conflicts with %s (give one of them)",
			                   health_flags[g]);
	switch (f) {
	case HEALTH_CMD:
		if (*v == '\0')
			return berth_error(err, 0, "bad %s ``: expected a command", flag);
		h->cmd = v;
		return 0;
	case HEALTH_NONE:
		return 0;
	case HEALTH_RETRIES: {
		char *end;
		long n;
		errno = 0;
		n = strtol(v, &end, 10);
		if (*v == '\0' || *end || errno || n < 0 || n > INT_MAX)
			return berth_error(err, 0,
			                   "bad %s `%s`: expected a number of failures (0: the "
			                   "default, 3)",
			                   flag, v);
		h->value[f] = n;
		return 0;
	}
	default:
		if (health_parse_duration(v, &h->value[f]) < 0 ||
		    (h->value[f] > 0 && h->value[f] < 1000000))
			return berth_error(err, 0,
			                   "bad %s `%s`: expected a duration like 30s, 1m30s or "
			                   "500ms (0: the default; else at least 1ms)",
			                   flag, v);
		return 0;
	}
}

/* ---- the configuration ------------------------------------------------------------- */

/* Test: [] (none given), ["NONE"], ["CMD", ARG…] or ["CMD-SHELL", "COMMAND"]. */
static bool health_test_ok(json_t *t)
{
	const char *kind = json_string_value(json_array_get(t, 0));
	size_t i;
	json_t *a;

	if (!json_is_array(t))
		return false;
	json_array_foreach(t, i, a) if (!json_is_string(a)) return false;
	if (json_array_size(t) == 0)
		return true;
	if (strcmp(kind, "NONE") == 0)
		return json_array_size(t) == 1;
	if (strcmp(kind, "CMD") == 0)
		return json_array_size(t) >= 2;
	return strcmp(kind, "CMD-SHELL") == 0 && json_array_size(t) == 2;
}

int health_record(json_t *rec, const struct run_opts *o, json_t *image_config, berth_error_t *err)
{
	const struct health_opts *h = &o->health;
	json_t *img = json_object_get(image_config, "Healthcheck");
	json_t *hc = json_object();
	json_t *test = NULL;

	/* the image's, checked: its config is data from outside */
	if (img && !json_is_null(img)) {
		if (!json_is_object(img) ||
		    ((test = json_object_get(img, "Test")) && !health_test_ok(test))) {
			json_decref(hc);
			return berth_error(err, 0,
			                   "bad image config: config.Healthcheck.Test: expected "
			                   "[\"CMD\", ARG…], [\"CMD-SHELL\", \"COMMAND\"] or "
			                   "[\"NONE\"]");
		}
		if (test && json_array_size(test) > 0)
			json_object_set(hc, "Test", test);
		for (int f = HEALTH_INTERVAL; f <= HEALTH_RETRIES; f++) {
			json_t *v = json_object_get(img, health_keys[f]);
			if (v == NULL || json_is_null(v))
				continue;
			if (!json_is_integer(v) || json_integer_value(v) < 0 ||
			    (f == HEALTH_RETRIES && json_integer_value(v) > INT_MAX)) {
				json_decref(hc);
				return berth_error(
				    err, 0,
				    "bad image config: config.Healthcheck.%s: expected "
				    "a number of at least 0",
				    health_keys[f]);
			}
			if (json_integer_value(v) > 0)
				json_object_set(hc, health_keys[f], v);
		}
	}
	/* the flags over it */
	if (h->set[HEALTH_NONE])
		json_object_set_new(hc, "Test", json_pack("[s]", "NONE"));
	if (h->cmd)
		json_object_set_new(hc, "Test", json_pack("[s,s]", "CMD-SHELL", h->cmd));
	for (int f = HEALTH_INTERVAL; f <= HEALTH_RETRIES; f++)
		if (h->set[f] && h->value[f] > 0)
			json_object_set_new(hc, health_keys[f], json_integer(h->value[f]));
	if (json_object_get(hc, "Test"))
		json_object_set_new(rec, "healthcheck", hc);
	else
		json_decref(hc);
	return 0;
}

struct health_cfg {
	char **args; /* the check's process */
	size_t n_args;
	int64_t interval, timeout, start_period;
	int retries;
};

static void health_cfg_free(struct health_cfg *c)
{
	for (size_t i = 0; i < c->n_args; i++)
		free(c->args[i]);
	free(c->args);
	memset(c, 0, sizeof(*c));
}

static int64_t health_ns(json_t *hc, const char *key, int64_t dflt)
{
	json_int_t v = json_integer_value(json_object_get(hc, key));
	return v > 0 ? v : dflt;
}

/* The record's check, with Docker's defaults: false when it has none (or NONE). */
static bool health_cfg_load(json_t *rec, struct health_cfg *c)
{
	json_t *hc = json_object_get(rec, "healthcheck");
	json_t *t = json_object_get(hc, "Test");
	const char *kind = json_string_value(json_array_get(t, 0));

	memset(c, 0, sizeof(*c));
	if (!health_test_ok(t) || kind == NULL || strcmp(kind, "NONE") == 0)
		return false;
	if (strcmp(kind, "CMD-SHELL") == 0) {
		c->n_args = 3;
		c->args = xmalloc0(4 * sizeof(char *));
		c->args[0] = xstrdup("/bin/sh");
		c->args[1] = xstrdup("-c");
		c->args[2] = xstrdup(json_string_value(json_array_get(t, 1)));
	} else {
		c->n_args = json_array_size(t) - 1;
		c->args = xmalloc0((c->n_args + 1) * sizeof(char *));
		for (size_t i = 0; i < c->n_args; i++)
			c->args[i] = xstrdup(json_string_value(json_array_get(t, i + 1)));
	}
	c->interval = health_ns(hc, "Interval", 30 * HEALTH_SEC);
	c->timeout = health_ns(hc, "Timeout", 30 * HEALTH_SEC);
	c->start_period = health_ns(hc, "StartPeriod", 0);
	c->retries = (int)health_ns(hc, "Retries", 3);
	return true;
}

/* ---- the state: health.json ------------------------------------------------------------- */

/* The container's directory, flocked (closing it unlocks), or -1. */
static int health_lock(struct engine *e, const char *id)
{
	cleanup_free char *dir = engine_path(e, "containers/%s", id);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR) {
			close(fd);
			return -1;
		}
	return fd;
}

static json_t *health_load(struct engine *e, const char *id)
{
	cleanup_free char *p = engine_path(e, "containers/%s/health.json", id);
	json_t *h = json_load_file(p, 0, NULL);

	if (!json_is_object(h)) {
		json_decref(h);
		h = json_pack("{s:s,s:i,s:[]}", "Status", "starting", "FailingStreak", 0, "Log");
	}
	return h;
}

static void health_save(struct engine *e, const char *id, json_t *h)
{
	cleanup_free char *p = engine_path(e, "containers/%s/health.json", id);
	cleanup_free char *text = json_dumps(h, JSON_INDENT(2));
	berth_error_t e2 = NULL;

	if (text && util_write_file_atomic(p, text, strlen(text), 0600, &e2) < 0)
		berth_error_release(&e2);
}

struct health_result {
	char *start, *end;
	int exit_code;
	char output[HEALTH_OUTPUT_MAX + 1];
	size_t len;
};

/* The check's output as a JSON string: invalid UTF-8 and NULs become '?'. */
static json_t *health_output(const char *s, size_t n)
{
	cleanup_free char *t = xmalloc0(n + 1);

	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		size_t k = c < 0x80             ? 1
		           : (c & 0xe0) == 0xc0 ? 2
		           : (c & 0xf0) == 0xe0 ? 3
		           : (c & 0xf8) == 0xf0 ? 4
		                                : 0;
		bool ok = k > 0 && c != 0 && i + k <= n && !(c >= 0xc0 && c < 0xc2) && c < 0xf5;
		for (size_t j = 1; ok && j < k; j++)
			ok = ((unsigned char)s[i + j] & 0xc0) == 0x80;
		if (ok && k == 3)
			ok = !(c == 0xe0 && (unsigned char)s[i + 1] < 0xa0) &&
			     !(c == 0xed && (unsigned char)s[i + 1] >= 0xa0);
		if (ok && k == 4)
			ok = !(c == 0xf0 && (unsigned char)s[i + 1] < 0x90) &&
			     !(c == 0xf4 && (unsigned char)s[i + 1] >= 0x90);
		if (!ok) {
			t[i++] = '?';
			continue;
		}
		memcpy(t + i, s + i, k);
		i += k;
	}
	return json_stringn(t, n);
}

/* The result into the state, as Docker's health monitor: a pass makes it healthy; a failure
 * counts (unless in the start period while still starting), and retries of them in a row
 * make it unhealthy. */
static void health_apply(struct engine *e, const char *id, const struct health_cfg *c,
                         const struct health_result *r)
{
	cleanup_close int lk = health_lock(e, id);
	json_t *h, *log;
	long long streak;
	const char *status;
	bool in_start;

	if (lk < 0)
		return;
	h = health_load(e, id);
	log = json_object_get(h, "Log");
	if (!json_is_array(log)) {
		log = json_array();
		json_object_set_new(h, "Log", log);
	}
	json_array_append_new(log, json_pack("{s:s,s:s,s:i,s:o}", "Start", r->start, "End", r->end,
	                                     "ExitCode", r->exit_code, "Output",
	                                     health_output(r->output, r->len)));
	while (json_array_size(log) > HEALTH_LOG_MAX)
		json_array_remove(log, 0);
	streak = json_integer_value(json_object_get(h, "FailingStreak"));
	status = json_string_value(json_object_get(h, "Status"));
	in_start =
	    status && strcmp(status, "starting") == 0 &&
	    util_now_ns() - json_integer_value(json_object_get(h, "start_ns")) < c->start_period;
	if (r->exit_code == 0) {
		json_object_set_new(h, "FailingStreak", json_integer(0));
		json_object_set_new(h, "Status", json_string("healthy"));
	} else if (!in_start) {
		json_object_set_new(h, "FailingStreak", json_integer(++streak));
		if (streak >= c->retries)
			json_object_set_new(h, "Status", json_string("unhealthy"));
	}
	health_save(e, id, h);
	json_decref(h);
}

/* ---- one check ------------------------------------------------------------------------- */

static int health_pidfd(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* Run the check in the container (as berth exec: the runtime library's exec), its output
 * to a pipe, killed with its process group after the timeout. */
static void health_probe(struct engine *e, const char *id, const struct health_cfg *c,
                         struct health_result *r)
{
	cleanup_free char *rt = ctr_runtime_root(e);
	cleanup_close int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	cleanup_close int rd = -1, wr = -1, pfd = -1;
	int p[2], stdio[3], st = 0;
	pid_t child = 0;
	berth_error_t e2 = NULL;
	long long deadline;
	struct exec_opts x = {.root = rt,
	                      .id = id,
	                      .args = c->args,
	                      .n_args = c->n_args,
	                      .detach = true,
	                      .pid_out = &child,
	                      .stdio = stdio};

	memset(r, 0, sizeof(*r));
	r->start = util_now_rfc3339();
	r->exit_code = -1;
	if (pipe2(p, O_CLOEXEC) < 0) {
		r->len =
		    (size_t)snprintf(r->output, sizeof(r->output), "pipe: %s", strerror(errno));
		goto out;
	}
	rd = p[0];
	wr = p[1];
	stdio[0] = devnull;
	stdio[1] = stdio[2] = wr;
	deadline = util_now_ns() + c->timeout;
	if (exec_run(&x, &st, &e2) < 0) {
		/* a command not found (127) or not executable (126) is the check's failure */
		r->exit_code = e2->status == 126 || e2->status == 127 ? e2->status : -1;
		r->len = (size_t)snprintf(r->output, sizeof(r->output), "%s", e2->msg);
		berth_error_release(&e2);
		goto out;
	}
	util_closep(&wr);
	pfd = child > 0 ? health_pidfd(child) : -1;
	for (;;) {
		long long left = deadline - util_now_ns();
		struct pollfd pl[2] = {{.fd = pfd, .events = POLLIN}, {.fd = rd, .events = POLLIN}};
		int n;
		if (left <= 0 || pfd < 0) {
			char d[32];
			if (child > 0) {
				kill(-child, SIGKILL); /* its session: a shell's children too */
				kill(child, SIGKILL);
				waitpid(child, NULL, 0);
			}
			health_fmt_duration(c->timeout, d, sizeof(d));
			r->exit_code = -1;
			r->len = (size_t)snprintf(r->output, sizeof(r->output),
			                          "Health check exceeded timeout (%s)", d);
			goto out;
		}
		n = poll(pl, rd >= 0 ? 2 : 1, left > HEALTH_SEC ? 1000 : (int)(left / 1000000 + 1));
		if (n < 0 && errno != EINTR)
			pfd = -1;
		if (n <= 0)
			continue;
		if (pl[1].revents) {
			char buf[4096];
			ssize_t k = read(rd, buf, sizeof(buf));
			if (k > 0 && r->len < HEALTH_OUTPUT_MAX) {
				size_t take = (size_t)k < HEALTH_OUTPUT_MAX - r->len
				                  ? (size_t)k
				                  : HEALTH_OUTPUT_MAX - r->len;
				memcpy(r->output + r->len, buf, take);
				r->len += take;
			} else if (k == 0 || (k < 0 && errno != EINTR)) {
				util_closep(&rd);
			}
		}
		if (pl[0].revents & POLLIN)
			break;
	}
	/* it exited: what it wrote, without waiting for whoever else holds the pipe */
	if (waitpid(child, &st, 0) == child)
		r->exit_code = supervise_exit_status(st);
	if (rd >= 0 && fcntl(rd, F_SETFL, O_NONBLOCK) == 0)
		while (r->len < HEALTH_OUTPUT_MAX) {
			ssize_t k = read(rd, r->output + r->len, HEALTH_OUTPUT_MAX - r->len);
			if (k <= 0)
				break;
			r->len += (size_t)k;
		}
out:
	r->end = util_now_rfc3339();
}

static void health_result_free(struct health_result *r)
{
	free(r->start);
	free(r->end);
}

/* ---- the checker ------------------------------------------------------------------------- */

static void health_sleep(int64_t ns)
{
	struct timespec ts = {.tv_sec = ns / HEALTH_SEC, .tv_nsec = ns % HEALTH_SEC};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Whether no check is to be made now: 1 while the container is paused, -1 once its init
 * is gone (or its record), else 0. */
static int health_idle(struct engine *e, const char *id, pid_t init)
{
	struct ctr_info ci;
	berth_error_t e2 = NULL;
	bool paused;

	if (!ctr_pid_alive(init, 0, NULL))
		return -1;
	if (ctr_get_id(e, id, &ci, &e2) < 0) {
		berth_error_release(&e2);
		return -1;
	}
	paused = ci.paused;
	ctr_info_free(&ci);
	return paused ? 1 : 0;
}

/* The checker's life (one thread): a check every interval while init lives (none while the
 * container is paused); then it waits to be killed (the monitor reaps it). */
static _Noreturn void health_checker(struct engine *e, const char *id, struct health_cfg *c,
                                     pid_t init)
{
	for (;;) {
		struct health_result r;
		int idle;

		health_sleep(c->interval);
		idle = health_idle(e, id, init);
		if (idle < 0)
			break;
		if (idle > 0)
			continue;
		health_probe(e, id, c, &r);
		/* a failure because the container ended or was paused meanwhile is not one */
		if (r.exit_code == 0 || health_idle(e, id, init) == 0)
			health_apply(e, id, c, &r);
		health_result_free(&r);
	}
	for (;;)
		pause();
}

int health_start(struct engine *e, const char *id, pid_t init)
{
	berth_error_t e2 = NULL;
	struct health_cfg c;
	pid_t monitor = getpid(), child;
	int lk, pfd;
	json_t *rec, *h;

	if (ctr_load(e, id, &rec, &e2) < 0) {
		berth_error_release(&e2);
		return -1;
	}
	if (!health_cfg_load(rec, &c)) {
		json_decref(rec);
		return -1;
	}
	json_decref(rec);
	/* starting again, the log kept (as Docker's) */
	lk = health_lock(e, id);
	h = health_load(e, id);
	json_object_set_new(h, "Status", json_string("starting"));
	json_object_set_new(h, "FailingStreak", json_integer(0));
	json_object_set_new(h, "start_ns", json_integer(util_now_ns()));
	json_object_set_new(h, "checker_pid", json_integer(0));
	health_save(e, id, h);
	if (lk >= 0)
		close(lk);
	child = fork();
	if (child == 0) {
		int null = open("/dev/null", O_RDWR);
		sigset_t none;
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		if (getppid() != monitor)
			_exit(0);
		prctl(PR_SET_NAME, "berth-health", 0, 0, 0);
		/* nothing of the monitor's: its stdio, log, attach socket, pipes */
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
		close_range(3, ~0U, 0);
		e->lock_fd = -1;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		health_checker(e, id, &c, init);
	}
	health_cfg_free(&c);
	if (child < 0) {
		json_decref(h);
		return -1;
	}
	pfd = health_pidfd(child);
	/* its pid, for who looks for it (health.json) */
	lk = health_lock(e, id);
	json_decref(h);
	h = health_load(e, id);
	json_object_set_new(h, "checker_pid", json_integer(child));
	health_save(e, id, h);
	json_decref(h);
	if (lk >= 0)
		close(lk);
	if (pfd < 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	return pfd;
}

void health_stop(int *pidfd)
{
	if (*pidfd < 0)
		return;
	syscall(SYS_pidfd_send_signal, *pidfd, SIGKILL, NULL, 0);
	{
		siginfo_t si;
		while (waitid(P_PIDFD, (id_t)*pidfd, &si, WEXITED) < 0 && errno == EINTR)
			;
	}
	close(*pidfd);
	*pidfd = -1;
}

/* ---- healthcheck run, and what ps and inspect show ----------------------------------------- */

int health_run(struct engine *e, const char *ref, bool *healthy, berth_error_t *err)
{
	struct ctr_info ci;
	struct health_cfg c;
	struct health_result r;

	if (ctr_get(e, ref, &ci, err) < 0)
		return -1;
	if (!health_cfg_load(ci.raw, &c)) {
		berth_error(err, 0,
		            "container \"%s\" has no health check (run it with --health-cmd, or an "
		            "image with a HEALTHCHECK)",
		            ci.name);
		ctr_info_free(&ci);
		return -1;
	}
	if (!ctr_status_running(ci.status) || ci.paused) {
		berth_error(err, 0, "container \"%s\" is not running%s", ci.name,
		            ci.paused ? " (paused)" : "");
		ctr_info_free(&ci);
		health_cfg_free(&c);
		return -1;
	}
	health_probe(e, ci.id, &c, &r);
	health_apply(e, ci.id, &c, &r);
	*healthy = r.exit_code == 0;
	health_result_free(&r);
	health_cfg_free(&c);
	ctr_info_free(&ci);
	return 0;
}

void health_fill(struct engine *e, json_t *rec)
{
	const char *id = json_string_value(json_object_get(rec, "id"));
	struct health_cfg c;
	cleanup_free char *p = NULL;
	json_t *h;

	if (id == NULL || !health_cfg_load(rec, &c))
		return;
	health_cfg_free(&c);
	p = engine_path(e, "containers/%s/health.json", id);
	h = json_load_file(p, 0, NULL);
	if (!json_is_object(h)) {
		json_decref(h);
		return;
	}
	json_object_set_new(rec, "health",
	                    json_pack("{s:O?,s:O?,s:O?}", "Status", json_object_get(h, "Status"),
	                              "FailingStreak", json_object_get(h, "FailingStreak"), "Log",
	                              json_object_get(h, "Log")));
	json_decref(h);
}

const char *health_ps_status(const struct ctr_info *c)
{
	const char *st =
	    json_string_value(json_object_get(json_object_get(c->raw, "health"), "Status"));

	if (st == NULL || !ctr_status_running(c->status) || c->paused)
		return "";
	if (strcmp(st, "healthy") == 0)
		return " (healthy)";
	if (strcmp(st, "unhealthy") == 0)
		return " (unhealthy)";
	return " (health: starting)";
}

void health_inspect(json_t *o)
{
	json_t *hc = json_object_get(o, "healthcheck");
	json_t *h = json_object_get(o, "health");

	if (hc) {
		/* beside the record's Config (AttachStdin, …), a copy: o may share it */
		json_t *cfg = json_is_object(json_object_get(o, "Config"))
		                  ? json_deep_copy(json_object_get(o, "Config"))
		                  : json_object();
		json_object_set(cfg, "Healthcheck", hc);
		json_object_set_new(o, "Config", cfg);
	}
	if (h)
		json_object_set_new(
		    o, "State",
		    json_pack("{s:O?,s:O}", "Status", json_object_get(o, "state"), "Health", h));
}
