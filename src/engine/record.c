/* SPDX-License-Identifier: MIT */
/* A container's state as the CLI sees it: the record the monitor keeps
 * (containers/<id>/container.json) checked against what is really there: whether the monitor
 * process lives (pid and start time, a zombie is dead) and whether the runtime library still
 * has a live init for the container (its state: pid and start time). A monitor that died
 * (OOM, kill -9) while the container runs on is reported as such, and stop / kill act on the
 * container's init through the runtime library all the same. */
#include "image_priv.h"
#include "events.h"
#include "network.h"
#include "cgroup.h"
#include "container.h"
#include "manage.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- pure parts (unit-tested) ------------------------------------------------------------ */

int ctr_parse_stat(const char *text, char *state, unsigned long long *start_time)
{
	/* the command name may hold spaces and parentheses: the fields start after the last ')' */
	const char *p = strrchr(text, ')');
	char *end;

	if (p == NULL || p[1] != ' ' || p[2] == '\0')
		return -1;
	*state = p[2];
	/* p + 1 is the space before field 3; field 22 is 19 spaces further */
	p++;
	for (int field = 3; field < 22; field++) {
		p = strchr(p + 1, ' ');
		if (p == NULL)
			return -1;
	}
	errno = 0;
	*start_time = strtoull(p + 1, &end, 10);
	if (errno || end == p + 1)
		return -1;
	return 0;
}

enum ctr_status ctr_status_decide(const char *recorded, bool has_monitor, bool monitor_alive,
                                  enum ctr_init init)
{
	bool live_record = strcmp(recorded, "running") == 0 || strcmp(recorded, "created") == 0;

	if (init == CTR_INIT_ALIVE)
		return monitor_alive ? CTR_RUNNING : CTR_MONITOR_LOST;
	/* the monitor is about to create the container, or to record its exit */
	if (monitor_alive && live_record)
		return CTR_RUNNING;
	/* run -d before its monitor started */
	if (strcmp(recorded, "created") == 0 && !has_monitor)
		return CTR_CREATED;
	return CTR_EXITED;
}

const char *ctr_status_name(enum ctr_status st)
{
	static const char *const names[] = {"created", "running", "running (monitor lost)",
	                                    "exited"};
	return names[st];
}

bool ctr_status_running(enum ctr_status st)
{
	return st == CTR_RUNNING || st == CTR_MONITOR_LOST;
}

/* ---- the live checks ------------------------------------------------------------------------ */

/* Whether pid lives (not a zombie) and, when start_time is not 0, is still the process that
 * started then. *start (optional) gets its start time. */
static bool ctr_proc_alive(pid_t pid, unsigned long long start_time, unsigned long long *start)
{
	char path[64], buf[1024];
	cleanup_close int fd = -1;
	unsigned long long st;
	ssize_t n;
	char state;

	if (pid <= 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	if (ctr_parse_stat(buf, &state, &st) < 0 || state == 'Z' || state == 'X')
		return false;
	if (start)
		*start = st;
	return start_time == 0 || st == start_time;
}

bool ctr_pid_alive(pid_t pid, unsigned long long start_time, unsigned long long *start)
{
	return ctr_proc_alive(pid, start_time, start);
}

unsigned long long ctr_self_start_time(void)
{
	unsigned long long st = 0;
	ctr_proc_alive(getpid(), 0, &st);
	return st;
}

/* What the runtime library says of the container's init; *pid gets it, *paused whether its
 * processes are frozen. */
static enum ctr_init ctr_init_state(struct engine *e, const char *id, pid_t *pid, bool *paused)
{
	cleanup_free char *rt = ctr_runtime_root(e);
	berth_error_t e2 = NULL;
	json_t *st;
	const char *s;
	enum ctr_init r;

	*pid = 0;
	*paused = false;
	if (container_state(rt, id, &st, &e2) < 0) {
		berth_error_release(&e2);
		return CTR_INIT_NONE;
	}
	s = json_string_value(json_object_get(st, "status")) ?: "stopped";
	*pid = (pid_t)json_integer_value(json_object_get(st, "pid"));
	/* the runtime counts a zombie (an init whose new parent did not reap it yet) as alive */
	r = strcmp(s, "stopped") != 0 && ctr_proc_alive(*pid, 0, NULL) ? CTR_INIT_ALIVE
	                                                               : CTR_INIT_GONE;
	*paused = r == CTR_INIT_ALIVE && strcmp(s, "paused") == 0;
	json_decref(st);
	return r;
}

static char *ctr_dup(json_t *rec, const char *key)
{
	const char *s = json_string_value(json_object_get(rec, key));
	return s ? xstrdup(s) : NULL;
}

/* The record's published ports: as `ps` shows them ("0.0.0.0:8080->80/tcp, …") or, port,
 * one line each as `berth port` does ("80/tcp -> 0.0.0.0:8080"). */
static char *ctr_ports_fmt(json_t *rec, bool port)
{
	json_t *ports = json_object_get(json_object_get(rec, "network_settings"), "ports"), *p;
	char *out = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&out, &len);

	if (f == NULL)
		abort();
	json_array_foreach(ports, i, p)
	{
		const char *hip = json_string_value(json_object_get(p, "host_ip")) ?: "";
		const char *proto = json_string_value(json_object_get(p, "proto")) ?: "tcp";
		bool v6 = strchr(hip, ':') != NULL;
		int hp = (int)json_integer_value(json_object_get(p, "host_port"));
		int cp = (int)json_integer_value(json_object_get(p, "ctr_port"));
		if (port)
			fprintf(f, "%d/%s -> %s%s%s:%d\n", cp, proto, v6 ? "[" : "", hip,
			        v6 ? "]" : "", hp);
		else
			fprintf(f, "%s%s%s%s:%d->%d/%s", i ? ", " : "", v6 ? "[" : "", hip,
			        v6 ? "]" : "", hp, cp, proto);
	}
	fclose(f);
	return out;
}

char *ctr_port_text(const struct ctr_info *c)
{
	return ctr_status_running(c->status) ? ctr_ports_fmt(c->raw, true) : xstrdup("");
}

static void ctr_info_fill(struct engine *e, json_t *rec, struct ctr_info *c)
{
	json_t *ec = json_object_get(rec, "exit_code");
	enum ctr_init init;
	pid_t ipid;

	memset(c, 0, sizeof(*c));
	c->id = ctr_dup(rec, "id");
	c->name = ctr_dup(rec, "name");
	c->image = ctr_dup(rec, "image");
	c->command = ctr_dup(rec, "command");
	c->created = ctr_dup(rec, "created");
	c->started_at = ctr_dup(rec, "started_at");
	c->finished_at = ctr_dup(rec, "finished_at");
	c->recorded = ctr_dup(rec, "state");
	if (c->id == NULL)
		c->id = xstrdup("");
	if (c->recorded == NULL)
		c->recorded = xstrdup("?");
	c->pid = (pid_t)json_integer_value(json_object_get(rec, "pid"));
	c->monitor_pid = (pid_t)json_integer_value(json_object_get(rec, "monitor_pid"));
	c->monitor_alive = ctr_proc_alive(
	    c->monitor_pid,
	    (unsigned long long)json_integer_value(json_object_get(rec, "monitor_start")), NULL);
	c->has_exit_code = json_is_integer(ec);
	c->exit_code = (int)json_integer_value(ec);
	c->rm = json_is_true(json_object_get(rec, "rm"));
	c->tty = json_is_true(json_object_get(rec, "tty"));
	c->interactive = json_is_true(json_object_get(rec, "interactive"));
	c->detach = json_is_true(json_object_get(rec, "detach"));
	{
		static const char *const streams[] = {"stdin", "stdout", "stderr"};
		json_t *a;
		size_t i;
		c->attach = 0;
		json_array_foreach(json_object_get(rec, "attach"), i, a)
		{
			for (unsigned k = 0; k < 3; k++)
				if (strcmp(json_string_value(a) ?: "", streams[k]) == 0)
					c->attach |= 1u << k;
		}
	}
	init = ctr_init_state(e, c->id, &ipid, &c->paused);
	if (init == CTR_INIT_ALIVE)
		c->pid = ipid;
	c->status = ctr_status_decide(c->recorded, c->monitor_pid > 0, c->monitor_alive, init);
	health_fill(e, rec);
	c->raw = rec;
	if (ctr_status_running(c->status)) {
		const char *ip = json_string_value(
		    json_object_get(json_object_get(rec, "network_settings"), "ip_address"));
		c->ip = ip ? xstrdup(ip) : NULL;
		c->ports = ctr_ports_fmt(rec, false);
	} else {
		c->ports = xstrdup("");
	}
}

void ctr_info_free(struct ctr_info *c)
{
	if (c == NULL)
		return;
	free(c->id);
	free(c->name);
	free(c->image);
	free(c->command);
	free(c->created);
	free(c->started_at);
	free(c->finished_at);
	free(c->recorded);
	free(c->ip);
	free(c->ports);
	json_decref(c->raw);
	memset(c, 0, sizeof(*c));
}

void ctr_infos_free(struct ctr_info *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ctr_info_free(&v[i]);
	free(v);
}

int ctr_get_id(struct engine *e, const char *id, struct ctr_info *out, berth_error_t *err)
{
	json_t *rec;

	if (ctr_load(e, id, &rec, err) < 0)
		return -1;
	ctr_info_fill(e, rec, out);
	return 0;
}

int ctr_get(struct engine *e, const char *ref, struct ctr_info *out, berth_error_t *err)
{
	cleanup_free char *id = NULL;

	if (ctr_lookup(e, ref, &id, err) < 0)
		return -1;
	return ctr_get_id(e, id, out, err);
}

int ctr_get_all(struct engine *e, struct ctr_info **out, size_t *n, berth_error_t *err)
{
	json_t *list, *r;
	size_t i;

	*out = NULL;
	*n = 0;
	if (ctr_list(e, &list, err) < 0)
		return -1;
	*out = xmalloc0((json_array_size(list) + 1) * sizeof(**out));
	json_array_foreach(list, i, r)
	{
		json_incref(r);
		ctr_info_fill(e, r, &(*out)[(*n)++]);
	}
	json_decref(list);
	return 0;
}

/* The record as ps --format json and inspect show it: state is the live status, with
 * monitor_lost when the container runs without its monitor. */
json_t *ctr_info_json(const struct ctr_info *c)
{
	/* JSON readers see "running" and monitor_lost, ps shows "running (monitor lost)" */
	const char *st = c->status == CTR_MONITOR_LOST ? "running" : ctr_status_name(c->status);
	json_t *o = json_deep_copy(c->raw);

	/* as Docker's State.Status */
	if (c->paused && ctr_status_running(c->status))
		st = "paused";

	json_object_set_new(o, "state", json_string(st));
	json_object_set_new(o, "monitor_lost", json_boolean(c->status == CTR_MONITOR_LOST));
	if (c->pid > 0)
		json_object_set_new(o, "pid", json_integer(c->pid));
	return o;
}

char *ctr_infos_json(const struct ctr_info *v, size_t n)
{
	json_t *a = json_array();
	char *t;

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, ctr_info_json(&v[i]));
	t = json_dumps(a, JSON_INDENT(2));
	json_decref(a);
	return t;
}

static json_t *ctr_inspect_doc(struct engine *e, const struct ctr_info *c)
{
	cleanup_free char *cp = engine_path(e, "containers/%s/config.json", c->id);
	json_t *o = ctr_info_json(c);
	json_t *cfg = json_load_file(cp, 0, NULL);

	if (cfg)
		json_object_set_new(o, "config", cfg);
	health_inspect(o);
	return o;
}

char *ctr_inspect_json(struct engine *e, const struct ctr_info *c)
{
	json_t *o = ctr_inspect_doc(e, c);
	char *t = json_dumps(o, JSON_INDENT(2));

	json_decref(o);
	return t;
}

/* ---- acting on the container --------------------------------------------------------------- */

bool ctr_mark_stopped(struct engine *e, const char *id)
{
	berth_error_t e2 = NULL;
	bool marked = false;
	json_t *rec;

	/* only a container with a restart policy needs it (a record write costs a flush) */
	if (ctr_load(e, id, &rec, &e2) < 0) {
		berth_error_release(&e2);
		return false;
	}
	if (json_object_get(rec, "restart_policy") != NULL)
		marked = ctr_update(e, id, json_pack("{s:b}", "stop_requested", 1), &e2) == 0;
	berth_error_release(&e2);
	json_decref(rec);
	return marked;
}

bool ctr_is_vm(struct engine *e, const char *id)
{
	berth_error_t e2 = NULL;
	json_t *rec;
	bool vm;

	if (ctr_load(e, id, &rec, &e2) < 0) {
		berth_error_release(&e2);
		return false;
	}
	vm = vmctr_is(rec);
	json_decref(rec);
	return vm;
}

int ctr_signal(struct engine *e, const char *id, int sig, berth_error_t *err)
{
	cleanup_free char *rt = ctr_runtime_root(e);

	/* as Docker: a container stopped or killed by hand is not restarted by its policy */
	bool marked = ctr_mark_stopped(e, id);

	/* logged as it is sent: its die (the monitor's) comes after it */
	event_ctr_num(e, id, "kill", "signal", sig);
	if (ctr_is_vm(e, id))
		return vmctr_signal(e, id, sig, err);
	if (container_kill(rt, id, sig, false, err) < 0) {
		struct ctr_info c;
		berth_error_t e2 = NULL;
		bool gone = false;
		/* SIGKILL to a paused container: the runtime library thaws it after the
		 * signal, and its monitor may delete the cgroup under the thaw once the
		 * process died; between two runs of a restart policy, the mark ends it */
		if (!marked && sig == SIGKILL && ctr_wait_exit(e, id, 2) &&
		    ctr_get_id(e, id, &c, &e2) == 0) {
			gone = !ctr_status_running(c.status);
			ctr_info_free(&c);
		}
		berth_error_release(&e2);
		if (!marked && !gone)
			return -1;
		berth_error_release(err);
	}
	return 0;
}

bool ctr_wait_exit(struct engine *e, const char *id, double secs)
{
	long long end = util_now_ns() + (long long)(secs * 1e9);

	do {
		struct ctr_info c;
		berth_error_t e2 = NULL;
		bool run;
		if (ctr_get_id(e, id, &c, &e2) < 0) {
			berth_error_release(&e2);
			return true;
		}
		run = ctr_status_running(c.status);
		ctr_info_free(&c);
		if (!run)
			return true;
		usleep(10000);
	} while (util_now_ns() < end);
	return false;
}

int ctr_settle(struct engine *e, const char *id, berth_error_t *err)
{
	cleanup_free char *rt = ctr_runtime_root(e);
	struct ctr_info c;
	berth_error_t e2 = NULL;
	int r = 0;

	if (ctr_get_id(e, id, &c, err) < 0)
		return -1;
	/* only an exited container whose monitor died without recording it */
	if (c.status != CTR_EXITED || strcmp(c.recorded, "exited") == 0 || c.monitor_pid <= 0) {
		ctr_info_free(&c);
		return 0;
	}
	if (container_delete(rt, id, true, &e2) < 0 && strstr(e2->msg, "does not exist") == NULL)
		log_warning("%s", e2->msg);
	berth_error_release(&e2);
	ctr_umount(e, id);
	net_detach(e, id);
	if (vmctr_is(c.raw))
		vmctr_cleanup(e, id);
	if (c.rm) {
		r = ctr_remove_dir(e, id, true, err); /* and its anonymous volumes */
	} else {
		cleanup_free char *now = util_now_rfc3339();
		json_t *rec = json_deep_copy(c.raw);
		/* nobody waited for the init: its exit status is unknown */
		json_t *upd = json_pack("{s:s,s:n,s:s,s:I}", "state", "exited", "exit_code",
		                        "finished_at", now, "monitor_pid", (json_int_t)0);
		json_object_update(rec, upd);
		json_decref(upd);
		r = ctr_save(e, id, rec, err);
		json_decref(rec);
	}
	ctr_info_free(&c);
	return r;
}

int ctr_stop(struct engine *e, const char *id, double secs, berth_error_t *err)
{
	berth_error_t e2 = NULL;
	cleanup_free char *rt = ctr_runtime_root(e);
	double dsecs;
	int sig;

	/* --stop-signal (or the image's StopSignal) and --stop-timeout, unless -t was given */
	ctr_stop_defaults(e, id, &sig, &dsecs);
	if (secs < 0)
		secs = dsecs;
	ctr_signal(e, id, sig, &e2);
	berth_error_release(&e2);
	/* paused: the signal is pending until the processes are thawed */
	if (container_resume(rt, id, &e2) < 0)
		berth_error_release(&e2);
	if (!ctr_wait_exit(e, id, secs)) {
		ctr_signal(e, id, SIGKILL, &e2);
		berth_error_release(&e2);
		ctr_wait_exit(e, id, 10);
	}
	event_ctr(e, id, "stop", NULL);
	return ctr_settle(e, id, err);
}

int ctr_binfmt_ready(struct engine *e, const char *id, berth_error_t *err)
{
	json_t *rec = NULL;
	const char *pl, *a;
	cleanup_free char *arch = NULL;

	if (ctr_load(e, id, &rec, err) < 0)
		return -1;
	/* "linux/riscv64[/VARIANT]": the ARCH part */
	pl = json_string_value(json_object_get(rec, "platform")) ?: "";
	a = strchr(pl, '/');
	arch = a ? xasprintf("%.*s", (int)strcspn(a + 1, "/"), a + 1) : xstrdup("");
	json_decref(rec);
	return binfmt_prepare(arch, false, err);
}

int ctr_start(struct engine *e, const char *id, berth_error_t *err)
{
	cleanup_free char *rt = ctr_runtime_root(e);
	berth_error_t e2 = NULL;

	if (ctr_settle(e, id, err) < 0 || ctr_binfmt_ready(e, id, err) < 0)
		return -1;
	/* what a monitor that died left behind: the runtime's state, the mount */
	if (container_delete(rt, id, true, &e2) < 0)
		berth_error_release(&e2);
	ctr_umount(e, id);
	if (ctr_mount(e, id, err) < 0 || monitor_spawn(e, id, err) < 0) {
		ctr_umount(e, id);
		ctr_start_failed(e, id);
		return -1;
	}
	/* a system container's init that gives up at once says why */
	return systemd_check_started(e, id, false, err);
}
