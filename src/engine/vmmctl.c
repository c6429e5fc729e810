/* SPDX-License-Identifier: MIT */
/* A managed VM's control socket (docs/vm.md): the VM process serves it from the machine's
 * thread, one request a connection: the client sends one JSON object and a newline,
 * {"execute": COMMAND}, and gets one line back, {"return": {...}} or
 * {"error": {"class": "GenericError", "desc": TEXT}}, as QMP answers. Commands: query-status,
 * pause, resume, powerdown (Ctrl-Alt-Del on the virtio keyboard), quit, snapshot (vmsnap.c,
 * with {"arguments": {"dir": DIR, "stop": BOOL}}). Only root or the
 * socket's owner (the VM process's user) is served (SO_PEERCRED; the socket is 0600 in a
 * 0700 directory). Also the client side, the console attachment, and the VM process. */
#include "vmm.h"
#include "util.h"
#include "vm/machine.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define VMM_MSG_MAX 4096
#define CTRL_A      0x01

/* --- the client ------------------------------------------------------------------------ */

static int vmm_connect(const char *path, berth_error_t *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return berth_error(err, errno, "socket");
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(fd);
		return berth_error(err, e, "connect");
	}
	return fd;
}

int vmm_request(struct engine *e, const char *ref, const char *command, json_t **ret,
                berth_error_t *err)
{
	return vmm_request_args(e, ref, command, NULL, ret, err);
}

int vmm_request_args(struct engine *e, const char *ref, const char *command, json_t *args,
                     json_t **ret, berth_error_t *err)
{
	cleanup_free char *id = NULL, *req = NULL;
	cleanup_close int dirfd = -1, fd = -1;
	char path[64], buf[VMM_MSG_MAX];
	/* a snapshot writes all of guest RAM */
	struct timeval tv = {.tv_sec = args != NULL ? 600 : 10};
	json_t *rj;
	size_t got = 0;
	json_error_t je;
	json_t *ans, *v;

	rj = args != NULL ? json_pack("{s:s, s:o}", "execute", command, "arguments", args)
	                  : json_pack("{s:s}", "execute", command);
	if (vmm_resolve(e, ref, &id, err) < 0 ||
	    vmm_sock_path(e, id, "control.sock", &dirfd, path, err) < 0) {
		json_decref(rj);
		return -1;
	}
	fd = vmm_connect(path, err);
	if (fd < 0) {
		json_decref(rj);
		berth_error_release(err);
		return berth_error(err, 0, "VM %s is not running (no control socket)", ref);
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	{
		cleanup_free char *text = json_dumps(rj, JSON_COMPACT);
		req = xasprintf("%s\n", text);
	}
	json_decref(rj);
	if (util_write_all(fd, req, strlen(req)) < 0)
		return berth_error(err, errno, "VM %s: control socket", ref);
	while (got < sizeof(buf) - 1) {
		ssize_t n = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (memchr(buf, '\n', got) != NULL)
			break;
	}
	buf[got] = '\0';
	ans = json_loads(buf, JSON_DISABLE_EOF_CHECK, &je);
	if (ans == NULL)
		return berth_error(err, 0, "VM %s: no answer on the control socket", ref);
	v = json_object_get(ans, "return");
	if (v == NULL) {
		const char *desc =
		    json_string_value(json_object_get(json_object_get(ans, "error"), "desc"));
		berth_error(err, 0, "VM %s: %s: %s", ref, command, desc ?: "failed");
		json_decref(ans);
		return -1;
	}
	if (ret != NULL)
		*ret = json_incref(v);
	json_decref(ans);
	return 0;
}

/* --- the console ----------------------------------------------------------------------- */

int vmm_console(struct engine *e, const char *ref, int in_fd, int out_fd, berth_error_t *err)
{
	cleanup_free char *id = NULL;
	cleanup_close int dirfd = -1, fd = -1;
	struct termios saved, raw;
	bool tty = false, quitting = false;
	char path[64];
	int state = 0;

	if (vmm_resolve(e, ref, &id, err) < 0 ||
	    vmm_sock_path(e, id, "console.sock", &dirfd, path, err) < 0)
		return -1;
	fd = vmm_connect(path, err);
	if (fd < 0) {
		berth_error_release(err);
		return berth_error(err, 0, "VM %s is not running (no console socket)", ref);
	}
	if (isatty(in_fd) && tcgetattr(in_fd, &saved) == 0) {
		raw = saved;
		cfmakeraw(&raw);
		tty = tcsetattr(in_fd, TCSANOW, &raw) == 0;
	}
	for (;;) {
		struct pollfd p[2] = {{.fd = fd, .events = POLLIN},
		                      {.fd = in_fd, .events = POLLIN}};
		uint8_t in[4096], out[2 * sizeof(in)];
		size_t n = 0;
		ssize_t r;

		if (poll(p, quitting || in_fd < 0 ? 1 : 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents) {
			r = read(fd, in, sizeof(in));
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break; /* the VM ended */
			if (util_write_all(out_fd, in, (size_t)r) < 0)
				break;
		}
		if (quitting || !(p[1].revents))
			continue;
		r = read(in_fd, in, sizeof(in));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			in_fd = -1; /* end of input: keep showing output */
			continue;
		}
		for (ssize_t i = 0; i < r; i++) {
			uint8_t c = in[i];
			if (state == 0) {
				if (c == CTRL_A)
					state = 1;
				else
					out[n++] = c;
				continue;
			}
			state = 0;
			if (c == 'd' || c == 'D') {
				(void)util_write_all(fd, out, n);
				goto detach;
			} else if (c == 'x' || c == 'X') {
				berth_error_t e2 = NULL;
				(void)util_write_all(fd, out, n);
				n = 0;
				if (vmm_request(e, id, "quit", NULL, &e2) < 0)
					berth_error_release(&e2);
				quitting = true;
				break;
			} else if (c == CTRL_A) {
				out[n++] = CTRL_A;
			} else {
				out[n++] = CTRL_A;
				out[n++] = c;
			}
		}
		if (n > 0 && util_write_all(fd, out, n) < 0)
			break;
	}
detach:
	if (tty)
		tcsetattr(in_fd >= 0 ? in_fd : 0, TCSANOW, &saved);
	return 0;
}

/* --- the VM process -------------------------------------------------------------------- */

struct vmm_srv {
	struct engine *e;
	const char *id;
	int listen_fd;
};

static void vmm_set_status(struct engine *e, const char *id, const char *status)
{
	berth_error_t e2 = NULL;
	json_t *rec;

	if (vmm_load(e, id, &rec, &e2) < 0) {
		berth_error_release(&e2);
		return;
	}
	json_object_set_new(rec, "status", json_string(status));
	if (vmm_save(e, id, rec, &e2) < 0)
		berth_error_release(&e2);
	json_decref(rec);
}

/* One request on the machine's thread: the answer, malloc'd. */
static char *vmm_answer(struct vmm_srv *s, struct machine *m, const char *req)
{
	json_error_t je;
	json_t *j = json_loads(req, JSON_DISABLE_EOF_CHECK, &je), *ret = NULL;
	const char *cmd = json_string_value(json_object_get(j, "execute")), *fail = NULL;
	cleanup_free char *failbuf = NULL;
	char *text;

	if (cmd == NULL) {
		fail = "expected {\"execute\": COMMAND}";
	} else if (strcmp(cmd, "query-status") == 0) {
		ret =
		    json_pack("{s:s, s:b, s:I}", "status", vm_paused(m) ? "paused" : "running",
		              "running", !vm_paused(m), "guest_time", (json_int_t)vm_guest_time(m));
	} else if (strcmp(cmd, "pause") == 0) {
		vm_pause(m);
		vmm_set_status(s->e, s->id, "paused");
		ret = json_object();
	} else if (strcmp(cmd, "resume") == 0) {
		if (vm_resume(m) == 0)
			vmm_set_status(s->e, s->id, "running");
		ret = json_object();
	} else if (strcmp(cmd, "powerdown") == 0) {
		if (vm_powerdown(m) < 0)
			fail = "the guest's keyboard driver is not ready";
		else
			ret = json_object();
	} else if (strcmp(cmd, "quit") == 0) {
		vm_quit(m);
		ret = json_object();
	} else if (strcmp(cmd, "snapshot") == 0) {
		json_t *a = json_object_get(j, "arguments");
		const char *dir = json_string_value(json_object_get(a, "dir"));
		bool stop = json_is_true(json_object_get(a, "stop")), was = vm_paused(m);
		berth_error_t e2 = NULL;
		if (dir == NULL) {
			fail = "snapshot: expected {\"arguments\": {\"dir\": DIR}}";
		} else {
			vm_pause(m);
			if (vmm_snapshot_take(s->e, s->id, m, dir, &e2) < 0) {
				fail = failbuf = xstrdup(e2->msg);
				berth_error_release(&e2);
			} else {
				ret =
				    json_pack("{s:I}", "guest_time", (json_int_t)vm_guest_time(m));
			}
			if (stop && ret != NULL)
				vm_quit(m);
			else if (!was)
				vm_resume(m);
		}
	} else {
		fail = "unknown command (query-status, pause, resume, powerdown, quit, snapshot)";
	}
	json_decref(j);
	if (ret != NULL)
		j = json_pack("{s:o}", "return", ret);
	else
		j = json_pack("{s:{s:s, s:s}}", "error", "class", "GenericError", "desc", fail);
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return text;
}

static void vmm_control(void *opaque, struct machine *m)
{
	struct vmm_srv *s = opaque;
	struct timeval tv = {.tv_sec = 2};
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	char buf[VMM_MSG_MAX];
	size_t got = 0;
	cleanup_free char *ans = NULL;
	cleanup_close int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0 ||
	    (cred.uid != 0 && cred.uid != geteuid()))
		return;
	/* the CLI sends at once: a client that does not cannot hold the machine long */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (got < sizeof(buf) - 1 && memchr(buf, '\n', got) == NULL) {
		ssize_t n = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	ans = vmm_answer(s, m, buf);
	if (ans != NULL) {
		(void)util_write_all(fd, ans, strlen(ans));
		(void)util_write_all(fd, "\n", 1);
	}
}

int vmm_enter_cwd(struct engine *e, const char *id, berth_error_t *err)
{
	json_t *rec;
	const char *cwd;
	int r = 0;

	if (vmm_load(e, id, &rec, err) < 0)
		return -1;
	cwd = json_string_value(json_object_get(rec, "cwd"));
	if (cwd != NULL && chdir(cwd) < 0)
		r = berth_error(err, errno, "VM %s: cannot enter its directory `%s`", id, cwd);
	json_decref(rec);
	return r;
}

int vmm_serve(struct engine *e, const char *id, struct vm_config *cfg, int ready_fd,
              berth_error_t *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	cleanup_close int dirfd = -1, logfd = -1, lfd = -1;
	char cpath[64], lpath[64];
	struct vmm_srv srv = {.e = e, .id = id, .listen_fd = -1};
	struct vm_managed mg = {.ready_fd = ready_fd, .control = vmm_control, .opaque = &srv};
	cleanup_free char *now = NULL, *end = NULL, *copydir = NULL;
	cleanup_free uint8_t *body = NULL;
	cleanup_close int ramfd = -1;
	const char *rdir;
	size_t blen = 0;
	json_t *rec;
	int status;

	if (vmm_sock_path(e, id, "console.sock", &dirfd, cpath, err) < 0)
		return -1;
	snprintf(lpath, sizeof(lpath), "/proc/self/fd/%d/control.sock", dirfd);
	unlink(lpath);
	unlink(cpath);
	logfd = openat(dirfd, "console.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (logfd < 0)
		return berth_error(err, errno, "VM %s: open console.log", id);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (lfd < 0)
		return berth_error(err, errno, "socket");
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", lpath);
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    fchmodat(dirfd, "control.sock", 0600, 0) < 0 || listen(lfd, 8) < 0)
		return berth_error(err, errno, "VM %s: cannot listen on its control socket", id);
	srv.listen_fd = lfd;
	mg.control_fd = lfd;
	mg.log_fd = logfd;
	cfg->managed = &mg;
	cfg->keyboard = true;
	cfg->in_fd = cfg->out_fd = -1;
	cfg->console_socket = cpath;

	if (vmm_load(e, id, &rec, err) < 0)
		return -1;
	rdir = json_string_value(json_object_get(rec, "restore"));
	if (rdir != NULL) {
		/* a restore (vmsnap.c) */
		cleanup_free char *ramp = xasprintf("%s/ram", rdir);
		json_t *meta = NULL;
		int r = vmm_restore_state(&body, &blen, err);
		/* the records vmm_restore checked, or else DIR/state, checked here */
		if (r == 1)
			r = vmm_snapshot_open(rdir, &body, &blen, &meta, err);
		json_decref(meta);
		if (r < 0) {
			json_decref(rec);
			return -1;
		}
		ramfd = open(ramp, O_RDONLY | O_CLOEXEC);
		if (ramfd < 0) {
			json_decref(rec);
			return berth_error(err, errno, "restore: open `%s`", ramp);
		}
		cfg->restore_state = body;
		cfg->restore_len = blen;
		cfg->restore_ram_fd = ramfd;
		if (json_is_true(json_object_get(rec, "copy_disks"))) {
			copydir = engine_path(e, "vms/%s", id);
			cfg->restore_copy_dir = copydir;
		}
		/* a later start boots afresh */
		json_object_del(rec, "restore");
		json_object_del(rec, "copy_disks");
	}
	now = util_now_rfc3339();
	json_object_set_new(rec, "status", json_string("running"));
	json_object_set_new(rec, "pid", json_integer(getpid()));
	json_object_set_new(rec, "pid_start", json_integer((json_int_t)vmm_proc_start(getpid())));
	json_object_set_new(rec, "started", json_string(now));
	json_object_del(rec, "exit_code");
	json_object_del(rec, "finished");
	if (vmm_save(e, id, rec, err) < 0) {
		json_decref(rec);
		return -1;
	}
	json_decref(rec);

	umask(077); /* the console socket too is the owner's only */
	status = vm_run(cfg, err);
	unlink(lpath);

	if (vmm_load(e, id, &rec, NULL) == 0) {
		end = util_now_rfc3339();
		json_object_set_new(rec, "status", json_string("exited"));
		json_object_set_new(rec, "exit_code", json_integer(status < 0 ? 125 : status));
		json_object_set_new(rec, "finished", json_string(end));
		(void)vmm_save(e, id, rec, NULL);
		json_decref(rec);
	}
	return status;
}
