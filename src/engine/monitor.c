/* SPDX-License-Identifier: MIT */
/* The monitor: the process that creates the container through the runtime library (in the
 * foreground mode, so that it stays the container's parent: PR_SET_CHILD_SUBREAPER), gives
 * it its stdio (pipes it holds the other ends of, or a terminal whose master the library
 * hands back), copies the output to its log (ctrlog.h: as --log-driver says, a record a line;
 * and to the terminal when attached) with the library's supervise loop, and records the exit
 * status. `berth run` is the monitor itself; `berth run -d` and `berth start` double-fork one. */
#include "ctrlog.h"
#include "events.h"
#include "image_priv.h"
#include "network.h"
#include "resources.h"
#include "attach.h"
#include "container.h"
#include "log.h"
#include "supervise.h"
#include "timing.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int monitor_update(struct engine *e, const char *id, json_t *fields, berth_error_t *err)
{
	json_t *rec;
	int r;

	if (ctr_load(e, id, &rec, err) < 0) {
		json_decref(fields);
		return -1;
	}
	json_object_update(rec, fields);
	json_decref(fields);
	r = ctr_save(e, id, rec, err);
	json_decref(rec);
	return r;
}

struct monitor_sink {
	struct ctrlog_writer log; /* ctrlog.h: as --log-driver says */
	bool attached;
	struct attach_srv *srv; /* detached: berth attach's clients */
};

/* The container's output goes to its log, a record a line with its stream and time (one
 * write a chunk), and, attached, to our stdout / stderr. */
static void monitor_sink(void *arg, int stream, const char *buf, size_t len)
{
	struct monitor_sink *m = arg;
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	ctrlog_write(&m->log, &now, stream, buf, len);
	attach_send(m->srv, stream, buf, len);
	if (m->attached)
		util_write_all(stream, buf, len);
}

/* Whether a stop (kill, rm -f) was asked for since the container started. */
static bool monitor_stopped(struct engine *e, const char *id)
{
	berth_error_t e2 = NULL;
	json_t *rec;
	bool stopped;

	if (ctr_load(e, id, &rec, &e2) < 0) {
		berth_error_release(&e2);
		return true;
	}
	stopped = json_is_true(json_object_get(rec, "stop_requested"));
	json_decref(rec);
	return stopped;
}

static bool monitor_restart_wanted(struct engine *e, const char *id, const char *policy, int max,
                                   int count, int status)
{
	/* the policy as recorded now: berth update --restart changes it while it runs */
	berth_error_t e2 = NULL;
	json_t *rec, *rp;
	bool want;

	if (ctr_load(e, id, &rec, &e2) < 0) {
		berth_error_release(&e2);
		return policy && ctr_restart_wanted(policy, max, count, status, true);
	}
	rp = json_object_get(rec, "restart_policy");
	policy = json_string_value(json_object_get(rp, "name"));
	max = (int)json_integer_value(json_object_get(rp, "maximum_retry_count"));
	want = policy && ctr_restart_wanted(policy, max, count, status, monitor_stopped(e, id));
	json_decref(rec);
	return want;
}

/* Sleep ms before a restart, looking for a stop every 100 ms: false when one came. */
static bool monitor_backoff(struct engine *e, const char *id, long long ms)
{
	for (long long t = 0; t < ms; t += 100) {
		if (monitor_stopped(e, id))
			return false;
		usleep(ms - t < 100 ? (useconds_t)(ms - t) * 1000 : 100000);
	}
	return !monitor_stopped(e, id);
}

/* notify: a pipe to write "ok" or the error line to once the container runs (or -1). */
static int monitor_main(struct engine *e, const char *id, bool attached, bool in, int notify,
                        int *status, berth_error_t *err)
{
	cleanup_free char *dir = engine_path(e, "containers/%s", id);
	cleanup_free char *rt = ctr_runtime_root(e);
	cleanup_close int devnull = -1;
	int out[2] = {-1, -1}, errp[2] = {-1, -1}, master = -1;
	int stdio[3];
	struct container_opts co = {
	    .root = rt, .id = id, .bundle = dir, .foreground = true, .stdio = stdio};
	struct monitor_sink ms = {.attached = attached, .log = {.fd = -1}};
	struct supervise_io io = {.master = -1,
	                          .out = -1,
	                          .err = -1,
	                          .in = -1,
	                          .sink = monitor_sink,
	                          .arg = &ms,
	                          .forward = attached};
	bool tty, interactive, rm, created = false, started = false, keep_stdin, vm, sys;
	int console = -1; /* a system container's console, held open (systemd.c) */
	int inp[2] = {-1, -1}, tty_in = -1;
	int *port_fds = NULL;
	size_t n_port_fds = 0;
	cleanup_free char *policy = NULL;
	int max = 0, count = 0;
	long long delay_ms = 100;
	pid_t proxy = 0;
	sigset_t chld, old;
	pid_t init = 0;
	int health = -1; /* the health checker's pidfd (health.c) */
	json_t *rec;
	int r = -1;

	*status = 125;
	if (ctr_load(e, id, &rec, err) < 0)
		return -1;
	tty = json_is_true(json_object_get(rec, "tty"));
	sys = json_is_string(json_object_get(rec, "system"));
	/* our stdin goes to the container attached, when it was made with -i (and, for
	 * start, asked for with -i) */
	interactive = in && json_is_true(json_object_get(rec, "interactive"));
	/* detached with -i: its stdin stays open, for berth attach */
	keep_stdin = !attached && json_is_true(json_object_get(rec, "interactive"));
	rm = json_is_true(json_object_get(rec, "rm"));
	vm = vmctr_is(rec); /* `berth vm run` in place of the init (vmctr.c) */
	{
		json_t *rp = json_object_get(rec, "restart_policy");
		const char *name = json_string_value(json_object_get(rp, "name"));
		policy = name ? xstrdup(name) : NULL;
		max = (int)json_integer_value(json_object_get(rp, "maximum_retry_count"));
		count = (int)json_integer_value(json_object_get(rec, "restart_count"));
	}
	r = ctrlog_writer_open(dir, rec, &ms.log, err);
	json_decref(rec);
	if (r < 0)
		return -1;
	r = -1;
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0) {
		ctrlog_writer_close(&ms.log);
		return berth_error(err, errno, "open `/dev/null`");
	}
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old);

	/* detached: who the monitor is, before there is a container to be seen without it */
	if (!attached) {
		json_t *upd = json_pack("{s:I,s:I}", "monitor_pid", (json_int_t)getpid(),
		                        "monitor_start", (json_int_t)ctr_self_start_time());
		/* a stop asked for before this start is over */
		if (policy)
			json_object_set_new(upd, "stop_requested", json_false());
		if (monitor_update(e, id, upd, err) < 0)
			goto out;
	}
	/* its network, before its process exists (it joins the namespace made here); the
	 * published host ports stay bound here while it runs */
	if (net_attach(e, id, &port_fds, &n_port_fds, &proxy, err) < 0)
		goto out;
	if (!attached && (ms.srv = attach_serve(e, id, err)) == NULL)
		goto out;
	timing_mark("monitor-ready");
	/* our end never blocks: the monitor holds the read end too, so a full pipe would block
	 * a writer forever once the container is gone (attach's input is then dropped) */
	if (keep_stdin && !tty &&
	    (pipe2(inp, O_CLOEXEC) < 0 || fcntl(inp[1], F_SETFL, O_NONBLOCK) < 0)) {
		berth_error(err, errno, "pipe");
		goto out;
	}
	for (;;) {
		long long t0 = util_now_ns();
		json_t *upd;

		/* --ipc/--pid/--network container:NAME: the donor's namespaces as it runs now */
		if (res_refresh(e, id, err) < 0)
			goto out;

		/* the container's stdio, given to the runtime library: its terminal (whose
		 * master comes back), or pipes for its output and our stdin when attached
		 * with -i */
		if (vm) {
			/* the guest's stdout and stderr ports, connected */
			/* its input, without a terminal: ours attached with -i, or attach's */
			int vin = tty                       ? -1
			          : attached && interactive ? STDIN_FILENO
			          : inp[0] >= 0             ? inp[0]
			                                    : -1;
			if (vmctr_start(e, id, vin, &init, &out[0], &errp[0], err) < 0)
				goto out;
			if (tty) { /* the agent's terminal, both ways on the stdout port */
				master = out[0];
				out[0] = -1;
			}
			started = true;
			event_ctr(e, id, "start", NULL);
			{
				cleanup_free char *now = util_now_rfc3339();
				upd = json_pack("{s:s,s:I,s:s,s:n,s:o}", "state", "running", "pid",
				                (json_int_t)init, "started_at", now, "exit_code",
				                "network_settings", vmctr_network_settings(e, id));
				if (!attached) {
					json_object_set_new(upd, "monitor_pid",
					                    json_integer(getpid()));
					json_object_set_new(
					    upd, "monitor_start",
					    json_integer((json_int_t)ctr_self_start_time()));
				}
				if (monitor_update(e, id, upd, err) < 0) {
					kill(init, SIGKILL);
					goto out;
				}
			}
			goto running;
		}
		if (tty) {
			stdio[0] = stdio[1] = stdio[2] = devnull;
			co.master = &master;
		} else {
			if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
				berth_error(err, errno, "pipe");
				goto out;
			}
			stdio[0] = attached && interactive ? STDIN_FILENO
			           : inp[0] >= 0           ? inp[0]
			                                   : devnull;
			stdio[1] = out[1];
			stdio[2] = errp[1];
		}
		r = container_create(&co, &init, err);
		util_closep(&out[1]);
		util_closep(&errp[1]);
		if (r < 0)
			goto out;
		/* a system container's init closes its stdio and opens /dev/console when it has
		 * something to say: a terminal side held here keeps the master readable (no EIO)
		 * between the two */
		if (sys && tty && master >= 0)
			console = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
		r = -1;
		created = true;
		if (container_start(rt, id, err) < 0)
			goto out;
		started = true;
		event_ctr(e, id, "start", NULL);
		if (!attached) {
			cleanup_free char *now = util_now_rfc3339();
			upd = json_pack("{s:s,s:I,s:I,s:I,s:s,s:n}", "state", "running", "pid",
			                (json_int_t)init, "monitor_pid", (json_int_t)getpid(),
			                "monitor_start", (json_int_t)ctr_self_start_time(),
			                "started_at", now, "exit_code");
			if (policy || count) /* or one given by update --restart */
				json_object_set_new(upd, "restart_count", json_integer(count));
			if (monitor_update(e, id, upd, err) < 0)
				goto out;
		}
		/* forked while the monitor has one thread, before attach_start (health.c) */
		health = health_start(e, id, init);
	running:
		if (notify >= 0) {
			util_write_all(notify, "ok", 2);
			close(notify);
			notify = -1;
		}

		/* berth attach's input: the terminal (a copy of the master, which
		 * supervise_run closes), or the pipe to its stdin */
		if (keep_stdin && tty)
			tty_in = fcntl(master, F_DUPFD_CLOEXEC, 3);
		attach_set_input(ms.srv, keep_stdin ? (tty ? tty_in : inp[1]) : -1);
		/* the clients' thread runs only now that no fork is left to make (attach.c) */
		if (attach_start(ms.srv, err) < 0) {
			kill(init, SIGKILL);
			goto out;
		}
		io.master = master;
		io.out = out[0];
		io.err = errp[0];
		io.in = attached && interactive && tty ? STDIN_FILENO : -1;
		io.raw = attached && tty;
		/* supervise_run closes them */
		master = out[0] = errp[0] = -1;
		r = supervise_run(init, &io, status, err);
		timing_mark("ctr-exited");
		util_closep(&console);
		if (vm && r == 0)
			*status = vmctr_exit_status(e, id, *status);
		health_stop(&health);
		event_ctr_num(e, id, "die", "exitCode", r < 0 ? -1 : *status);
		attach_hold(ms.srv);
		attach_set_input(ms.srv, keep_stdin && !tty ? inp[1] : -1);
		util_closep(&tty_in);
		if (r < 0) {
			r = -1;
			goto out;
		}
		r = -1;
		/* the restart policy (detached): the same container again, in the same
		 * network namespace, after a delay that doubles from 100 ms up to a minute
		 * (back to 100 ms after a run of 10 s), as Docker's restart manager */
		if (attached || !monitor_restart_wanted(e, id, policy, max, count, *status))
			break;
		{
			berth_error_t e2 = NULL;
			if (container_delete(rt, id, true, &e2) < 0)
				log_warning("%s", e2->msg);
			berth_error_release(&e2);
			created = false;
		}
		if (util_now_ns() - t0 > 10000000000LL)
			delay_ms = 100;
		if (!monitor_backoff(e, id, delay_ms))
			break;
		delay_ms = delay_ms * 2 > 60000 ? 60000 : delay_ms * 2;
		count++;
	}
	r = 0;
out:
	health_stop(&health);
	/* the clients see the end before the exit is recorded: attach then reads it */
	attach_stop(ms.srv);
	ms.srv = NULL;
	util_closep(&inp[0]);
	util_closep(&inp[1]);
	util_closep(&tty_in);
	util_closep(&master);
	util_closep(&console);
	util_closep(&out[0]);
	util_closep(&errp[0]);
	util_closep(&out[1]);
	util_closep(&errp[1]);
	if (notify >= 0 && r < 0) {
		/* "STATUS MESSAGE": the status tells a command not found (127, 126) */
		char head[16];
		snprintf(head, sizeof(head), "%d ", (*err)->status);
		util_write_all(notify, head, strlen(head));
		util_write_all(notify, (*err)->msg, strlen((*err)->msg));
		close(notify);
	}
	if (created) {
		berth_error_t e2 = NULL;
		if (container_delete(rt, id, true, &e2) < 0)
			log_warning("%s", e2->msg);
		berth_error_release(&e2);
	}
	if (vm)
		vmctr_cleanup(e, id);
	ctr_umount(e, id);
	timing_mark("ctr-umounted");
	proxy_stop(proxy);
	net_detach(e, id);
	timing_mark("net-detached");
	for (size_t i = 0; i < n_port_fds; i++)
		util_closep(&port_fds[i]);
	free(port_fds);
	if (r < 0 && !started) {
		/* it never ran: a created container stays Created (as Docker's), with no
		 * monitor */
		berth_error_t e2 = NULL;
		monitor_update(e, id,
		               json_pack("{s:I,s:I}", "monitor_pid", (json_int_t)0, "monitor_start",
		                         (json_int_t)0),
		               &e2);
		berth_error_release(&e2);
	}
	if ((r == 0 && !rm) || (r < 0 && started)) {
		cleanup_free char *now = util_now_rfc3339();
		berth_error_t e2 = NULL;
		monitor_update(e, id,
		               json_pack("{s:s,s:i,s:s,s:I}", "state", "exited", "exit_code",
		                         *status, "finished_at", now, "monitor_pid", (json_int_t)0),
		               &e2);
		berth_error_release(&e2);
	}
	if (rm && r == 0) {
		berth_error_t e2 = NULL;
		ctr_remove_dir(e, id, true, &e2); /* and its anonymous volumes (volume.c) */
		berth_error_release(&e2);
		timing_mark("ctr-removed");
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	ctrlog_writer_close(&ms.log);
	return r;
}

int monitor_run_attached(struct engine *e, const char *id, int *status, berth_error_t *err)
{
	return monitor_main(e, id, true, true, -1, status, err);
}

int monitor_run_attached_in(struct engine *e, const char *id, bool in, int *status,
                            berth_error_t *err)
{
	return monitor_main(e, id, true, in, -1, status, err);
}

int monitor_spawn(struct engine *e, const char *id, berth_error_t *err)
{
	int p[2];
	pid_t child;
	char buf[1024];
	ssize_t n;
	size_t got = 0;

	if (pipe2(p, O_CLOEXEC) < 0)
		return berth_error(err, errno, "pipe");
	child = fork();
	if (child < 0)
		return berth_error(err, errno, "fork");
	if (child == 0) {
		close(p[0]);
		setsid();
		if (fork() != 0)
			_exit(0);
		{
			int null = open("/dev/null", O_RDWR);
			berth_error_t e2 = NULL;
			int st;
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
			if (null > 2)
				close(null);
			signal(SIGHUP, SIG_IGN);
			if (chdir("/") < 0)
				_exit(125);
			prctl(PR_SET_NAME, "berth-monitor", 0, 0, 0);
			if (monitor_main(e, id, false, false, p[1], &st, &e2) < 0)
				_exit(125);
			_exit(0);
		}
	}
	close(p[1]);
	waitpid(child, NULL, 0);
	while (got < sizeof(buf) - 1 && (n = read(p[0], buf + got, sizeof(buf) - 1 - got)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		got += (size_t)n;
	}
	close(p[0]);
	buf[got] = '\0';
	if (strcmp(buf, "ok") == 0)
		return 0;
	{
		char *msg;
		long st = strtol(buf, &msg, 10);
		if (got == 0 || *msg != ' ')
			return berth_error(err, 0, "%s",
			                   got ? buf
			                       : "the monitor exited before the container started");
		berth_error(err, 0, "%s", msg + 1);
		(*err)->status = (int)st;
		return -1;
	}
}
