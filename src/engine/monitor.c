/* SPDX-License-Identifier: MIT */
/* The monitor: the process that creates the container through the runtime library (in the
 * foreground mode, so that it stays the container's parent: PR_SET_CHILD_SUBREAPER), holds
 * its stdio (pipes, or the pty master received on a console socket), copies the output to
 * containers/<id>/ctr.log (and to the terminal when attached), and records the exit status.
 * `berth run` is the monitor itself; `berth run -d` and `berth start` double-fork one. */
#include "image_priv.h"
#include "container.h"
#include "log.h"
#include "terminal.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char *monitor_now(void)
{
	struct timespec ts;
	struct tm tm;
	char buf[40];
	size_t k;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	k = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + k, sizeof(buf) - k, ".%09ldZ", ts.tv_nsec);
	return xstrdup(buf);
}

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

static int monitor_exit_status(int ws)
{
	if (WIFEXITED(ws))
		return WEXITSTATUS(ws);
	if (WIFSIGNALED(ws))
		return 128 + WTERMSIG(ws);
	return 255;
}

/* Copy what is readable on fd to the log and (when >= 0) to out. 0 at EOF. */
static int monitor_copy(int fd, int logfd, int out)
{
	char buf[16384];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 1;
	if (n <= 0)
		return 0;
	util_write_all(logfd, buf, (size_t)n);
	if (out >= 0)
		util_write_all(out, buf, (size_t)n);
	return 1;
}

static int monitor_console(const char *id, char **path, berth_error_t *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return berth_error(err, errno, "socket");
	*path = xasprintf("/tmp/berth-console-%d-%.12s.sock", getpid(), id);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", *path);
	unlink(*path);
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s, 1) < 0) {
		close(s);
		return berth_error(err, errno, "console socket `%s`", *path);
	}
	return s;
}

/* notify: a pipe to write "ok" or the error line to once the container runs (or -1). */
static int monitor_main(struct engine *e, const char *id, bool attached, int notify, int *status,
                        berth_error_t *err)
{
	cleanup_free char *dir = engine_path(e, "containers/%s", id);
	cleanup_free char *logp = engine_path(e, "containers/%s/ctr.log", id);
	cleanup_free char *rt = ctr_runtime_root(e);
	cleanup_free char *con_path = NULL;
	cleanup_close int logfd = -1;
	cleanup_close int sfd = -1;
	cleanup_close int con = -1;
	cleanup_close int master = -1;
	cleanup_close int devnull = -1;
	int out[2] = {-1, -1}, errp[2] = {-1, -1};
	struct container_opts co = {.root = rt, .id = id, .bundle = dir, .foreground = true};
	bool tty, interactive, rm, created = false, done = false, in_open;
	sigset_t chld, all, old;
	pid_t init = 0;
	json_t *rec;
	int r = -1;

	*status = 125;
	if (ctr_load(e, id, &rec, err) < 0)
		return -1;
	tty = json_is_true(json_object_get(rec, "tty"));
	interactive = json_is_true(json_object_get(rec, "interactive"));
	rm = json_is_true(json_object_get(rec, "rm"));
	json_decref(rec);
	in_open = attached && interactive && tty;

	logfd = open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (logfd < 0 || devnull < 0)
		return berth_error(err, errno, "open `%s`", logp);
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old);

	if (tty) {
		con = monitor_console(id, &con_path, err);
		if (con < 0)
			goto out;
		co.console_socket = con_path;
		if (container_create(&co, &init, err) < 0)
			goto out;
		created = true;
		{
			cleanup_close int c = accept4(con, NULL, NULL, SOCK_CLOEXEC);
			if (c < 0) {
				berth_error(err, errno, "accept on `%s`", con_path);
				goto out;
			}
			master = terminal_recv_fd(c, err);
			if (master < 0)
				goto out;
		}
	} else {
		int save[3];
		if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
			berth_error(err, errno, "pipe");
			goto out;
		}
		for (int i = 0; i < 3; i++)
			save[i] = fcntl(i, F_DUPFD_CLOEXEC, 3);
		dup2(attached && interactive ? save[0] : devnull, 0);
		dup2(out[1], 1);
		dup2(errp[1], 2);
		r = container_create(&co, &init, err);
		for (int i = 0; i < 3; i++) {
			dup2(save[i], i);
			close(save[i]);
		}
		close(out[1]);
		close(errp[1]);
		out[1] = errp[1] = -1;
		if (r < 0)
			goto out;
		r = -1;
		created = true;
	}
	if (container_start(rt, id, err) < 0)
		goto out;
	if (!attached) {
		cleanup_free char *now = monitor_now();
		if (monitor_update(e, id,
		                   json_pack("{s:s,s:I,s:I,s:s,s:n}", "state", "running", "pid",
		                             (json_int_t)init, "monitor_pid", (json_int_t)getpid(),
		                             "started_at", now, "exit_code"),
		                   err) < 0)
			goto out;
	}
	if (notify >= 0) {
		util_write_all(notify, "ok", 2);
		close(notify);
		notify = -1;
	}

	sigfillset(&all);
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGABRT);
	sigprocmask(SIG_BLOCK, &all, NULL);
	sfd = signalfd(-1, &all, SFD_CLOEXEC);
	if (attached && master >= 0 && isatty(STDIN_FILENO))
		terminal_raw_begin(master);
	while (!done) {
		struct pollfd p[5] = {
		    {.fd = sfd, .events = POLLIN},
		    {.fd = out[0], .events = POLLIN},
		    {.fd = errp[0], .events = POLLIN},
		    {.fd = master, .events = POLLIN},
		    {.fd = in_open ? STDIN_FILENO : -1, .events = POLLIN},
		};
		if (poll(p, 5, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGCHLD) {
					int ws;
					pid_t w;
					while ((w = waitpid(-1, &ws, WNOHANG)) > 0)
						if (w == init) {
							*status = monitor_exit_status(ws);
							done = true;
						}
				} else if (si.ssi_signo == SIGWINCH) {
					if (master >= 0 && attached)
						terminal_copy_winsize(master);
				} else if (attached && si.ssi_signo != SIGPIPE) {
					kill(init, (int)si.ssi_signo);
				}
			}
		}
		if (p[1].revents & (POLLIN | POLLHUP) &&
		    !monitor_copy(out[0], logfd, attached ? 1 : -1)) {
			close(out[0]);
			out[0] = -1;
		}
		if (p[2].revents & (POLLIN | POLLHUP) &&
		    !monitor_copy(errp[0], logfd, attached ? 2 : -1)) {
			close(errp[0]);
			errp[0] = -1;
		}
		if (p[3].revents & (POLLIN | POLLHUP | POLLERR) &&
		    !monitor_copy(master, logfd, attached ? 1 : -1)) {
			close(master);
			master = -1;
		}
		if (p[4].revents & (POLLIN | POLLHUP)) {
			char buf[4096];
			ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
			if (n <= 0)
				in_open = false;
			else
				util_write_all(master, buf, (size_t)n);
		}
	}
	/* what the container wrote last */
	{
		int fds[3] = {out[0], errp[0], master};
		for (int i = 0; i < 3; i++) {
			if (fds[i] < 0)
				continue;
			fcntl(fds[i], F_SETFL, O_NONBLOCK);
			while (monitor_copy(fds[i], logfd, attached ? (i == 1 ? 2 : 1) : -1) > 0) {
				struct pollfd q = {.fd = fds[i], .events = POLLIN};
				if (poll(&q, 1, 0) <= 0)
					break;
			}
		}
	}
	terminal_raw_end();
	r = 0;
out:
	if (con_path)
		unlink(con_path);
	if (out[0] >= 0)
		close(out[0]);
	if (errp[0] >= 0)
		close(errp[0]);
	if (out[1] >= 0)
		close(out[1]);
	if (errp[1] >= 0)
		close(errp[1]);
	if (notify >= 0 && r < 0) {
		util_write_all(notify, (*err)->msg, strlen((*err)->msg));
		close(notify);
	}
	if (created) {
		berth_error_t e2 = NULL;
		if (container_delete(rt, id, true, &e2) < 0)
			log_warning("%s", e2->msg);
		berth_error_release(&e2);
	}
	ctr_umount(e, id);
	if ((r == 0 && !rm) || (r < 0 && created)) {
		cleanup_free char *now = monitor_now();
		berth_error_t e2 = NULL;
		monitor_update(e, id,
		               json_pack("{s:s,s:i,s:s,s:I}", "state", "exited", "exit_code",
		                         *status, "finished_at", now, "monitor_pid", (json_int_t)0),
		               &e2);
		berth_error_release(&e2);
	}
	if (rm && r == 0) {
		berth_error_t e2 = NULL;
		util_rm_rf(dir, &e2);
		berth_error_release(&e2);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return r;
}

int monitor_run_attached(struct engine *e, const char *id, int *status, berth_error_t *err)
{
	return monitor_main(e, id, true, -1, status, err);
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
			if (monitor_main(e, id, false, p[1], &st, &e2) < 0)
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
	return berth_error(err, 0, "%s",
	                   got ? buf : "the monitor exited before the container started");
}
