/* SPDX-License-Identifier: MIT */
/* berth attach: a detached container's monitor serves its output stream, and takes input for
 * its stdin (a container made with -i), on a unix socket containers/<id>/attach.sock (the
 * directory is root's, 0700). The monitor sends frames (a byte: stream 1 or 2; 4 bytes: the
 * length, big-endian; the data); a client sends the raw bytes of its stdin. One thread of
 * the monitor accepts clients and copies their input while the container runs; the output is
 * sent from the monitor's sink as it comes, never blocking the monitor: a client that does
 * not keep up loses what it could not take. The thread is stopped whenever the monitor
 * makes a container (attach_hold): a process that forks must have one thread, or the child
 * (the container's init, which goes on to allocate, load its config and mount) can block
 * forever on a lock the other thread held at the fork. Clients that connect meanwhile wait
 * in the socket's backlog. */
#include "image_priv.h"
#include "attach.h"
#include "events.h"
#include "terminal.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#define ATTACH_MAX_CLIENTS 16

struct attach_srv {
	int listen_fd, wake[2], dir_fd;
	pthread_t thread;
	bool running;         /* the thread */
	pthread_mutex_t lock; /* clients */
	int clients[ATTACH_MAX_CLIENTS];
	/* in_lock: input, written to while held (which may block on a terminal the container
	 * does not read: never while the output's lock is held) */
	pthread_mutex_t in_lock;
	int input; /* the container's stdin (pipe write end or pty master), or -1 */
};

/* "/proc/self/fd/N/attach.sock": a socket path stays short whatever the root's length. */
static void attach_addr(int dir_fd, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d/attach.sock", dir_fd);
}

static void attach_drop(struct attach_srv *s, int i)
{
	close(s->clients[i]);
	s->clients[i] = -1;
}

static void *attach_thread(void *arg)
{
	struct attach_srv *s = arg;
	char buf[4096];

	for (;;) {
		struct pollfd p[ATTACH_MAX_CLIENTS + 2];
		int idx[ATTACH_MAX_CLIENTS];
		nfds_t n = 2;

		p[0] = (struct pollfd){.fd = s->wake[0], .events = POLLIN};
		p[1] = (struct pollfd){.fd = s->listen_fd, .events = POLLIN};
		pthread_mutex_lock(&s->lock);
		for (int i = 0; i < ATTACH_MAX_CLIENTS; i++)
			if (s->clients[i] >= 0) {
				idx[n - 2] = i;
				p[n++] = (struct pollfd){.fd = s->clients[i], .events = POLLIN};
			}
		pthread_mutex_unlock(&s->lock);
		if (poll(p, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents)
			break;
		if (p[1].revents & POLLIN) {
			int c = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
			bool kept = false;
			pthread_mutex_lock(&s->lock);
			for (int i = 0; c >= 0 && i < ATTACH_MAX_CLIENTS && !kept; i++)
				if (s->clients[i] < 0) {
					s->clients[i] = c;
					kept = true;
				}
			pthread_mutex_unlock(&s->lock);
			if (c >= 0 && !kept)
				close(c);
		}
		for (nfds_t k = 2; k < n; k++) {
			ssize_t got;
			if (!p[k].revents)
				continue;
			got = read(p[k].fd, buf, sizeof(buf));
			if (got > 0) {
				pthread_mutex_lock(&s->in_lock);
				if (s->input >= 0)
					util_write_all(s->input, buf, (size_t)got);
				pthread_mutex_unlock(&s->in_lock);
				continue;
			}
			/* gone (unless attach_send dropped it already) */
			pthread_mutex_lock(&s->lock);
			if (s->clients[idx[k - 2]] == p[k].fd)
				attach_drop(s, idx[k - 2]);
			pthread_mutex_unlock(&s->lock);
		}
	}
	return NULL;
}

struct attach_srv *attach_serve(struct engine *e, const char *id, berth_error_t *err)
{
	cleanup_free char *dir = engine_path(e, "containers/%s", id);
	struct attach_srv *s = xmalloc0(sizeof(*s));
	struct sockaddr_un sa;

	s->listen_fd = s->wake[0] = s->wake[1] = -1;
	s->input = -1;
	for (int i = 0; i < ATTACH_MAX_CLIENTS; i++)
		s->clients[i] = -1;
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->in_lock, NULL);
	s->dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s->dir_fd < 0) {
		berth_error(err, errno, "open `%s`", dir);
		goto fail;
	}
	unlinkat(s->dir_fd, "attach.sock", 0);
	attach_addr(s->dir_fd, &sa);
	s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->listen_fd < 0 || bind(s->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(s->listen_fd, 8) < 0 || pipe2(s->wake, O_CLOEXEC) < 0) {
		berth_error(err, errno, "the attach socket in `%s`", dir);
		goto fail;
	}
	return s;
fail:
	if (s->listen_fd >= 0)
		unlinkat(s->dir_fd, "attach.sock", 0);
	util_closep(&s->listen_fd);
	util_closep(&s->wake[0]);
	util_closep(&s->wake[1]);
	util_closep(&s->dir_fd);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->in_lock);
	free(s);
	return NULL;
}

int attach_start(struct attach_srv *s, berth_error_t *err)
{
	sigset_t all, old;
	int r;

	if (s == NULL || s->running)
		return 0;
	/* the thread takes no signal: they are the supervise loop's */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&s->thread, NULL, attach_thread, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0)
		return berth_error(err, r, "pthread_create");
	s->running = true;
	return 0;
}

void attach_hold(struct attach_srv *s)
{
	char c;

	if (s == NULL || !s->running)
		return;
	if (util_write_all(s->wake[1], "x", 1) == 0) {
		pthread_join(s->thread, NULL);
		/* the next thread must not see this wake-up */
		while (read(s->wake[0], &c, 1) < 0 && errno == EINTR)
			;
	}
	s->running = false;
}

void attach_set_input(struct attach_srv *s, int fd)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->in_lock);
	s->input = fd;
	pthread_mutex_unlock(&s->in_lock);
}

void attach_send(struct attach_srv *s, int stream, const char *buf, size_t len)
{
	unsigned char head[5];

	if (s == NULL)
		return;
	while (len > 0) {
		size_t n = len > 65536 ? 65536 : len;
		head[0] = (unsigned char)stream;
		head[1] = (unsigned char)(n >> 24);
		head[2] = (unsigned char)(n >> 16);
		head[3] = (unsigned char)(n >> 8);
		head[4] = (unsigned char)n;
		pthread_mutex_lock(&s->lock);
		for (int i = 0; i < ATTACH_MAX_CLIENTS; i++) {
			struct iovec iov[2] = {{head, 5}, {(void *)buf, n}};
			struct msghdr m = {.msg_iov = iov, .msg_iovlen = 2};
			ssize_t w;
			if (s->clients[i] < 0)
				continue;
			/* a frame goes whole or the client goes: never a torn frame */
			w = sendmsg(s->clients[i], &m, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (w != (ssize_t)(n + 5))
				attach_drop(s, i);
		}
		pthread_mutex_unlock(&s->lock);
		buf += n;
		len -= n;
	}
}

void attach_stop(struct attach_srv *s)
{
	if (s == NULL)
		return;
	attach_hold(s);
	for (int i = 0; i < ATTACH_MAX_CLIENTS; i++)
		if (s->clients[i] >= 0)
			attach_drop(s, i);
	unlinkat(s->dir_fd, "attach.sock", 0);
	util_closep(&s->listen_fd);
	util_closep(&s->wake[0]);
	util_closep(&s->wake[1]);
	util_closep(&s->dir_fd);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->in_lock);
	free(s);
}

/* ---- the client ---------------------------------------------------------------------- */

/* The detach keys: "ctrl-p,ctrl-q" -> bytes 0x10 0x11. */
static int attach_keys(const char *spec, char *out, size_t *n, berth_error_t *err)
{
	cleanup_free char *copy = xstrdup(spec);
	char *save = NULL;

	*n = 0;
	for (char *k = strtok_r(copy, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
		if (*n >= 8)
			goto bad;
		if (strncmp(k, "ctrl-", 5) == 0 && strlen(k) == 6 &&
		    ((k[5] >= 'a' && k[5] <= 'z') || strchr("@[\\]^_", k[5])))
			out[(*n)++] =
			    (char)(k[5] >= 'a' && k[5] <= 'z' ? k[5] - 'a' + 1 : k[5] - '@');
		else if (strlen(k) == 1)
			out[(*n)++] = k[0];
		else
			goto bad;
	}
	if (*n > 0)
		return 0;
bad:
	return berth_error(err, 0,
	                   "bad --detach-keys `%s`: expected keys like ctrl-p,ctrl-q (a letter, or "
	                   "ctrl- and a letter or one of @[\\]^_, comma-separated)",
	                   spec);
}

int ctr_attach(struct engine *e, const char *id, const struct ctr_attach_opts *o, int *status,
               berth_error_t *err)
{
	cleanup_free char *dir = engine_path(e, "containers/%s", id);
	cleanup_close int dir_fd = -1;
	cleanup_close int sock = -1;
	cleanup_close int sfd = -1;
	struct sockaddr_un sa;
	struct ctr_info c;
	char keys[8];
	size_t n_keys = 0, matched = 0;
	bool running, in, tty, raw = false, detached = false;
	sigset_t sigs, old;
	int r = -1;

	*status = 0;
	if (attach_keys(o->detach_keys ? o->detach_keys : "ctrl-p,ctrl-q", keys, &n_keys, err) < 0)
		return -1;
	if (ctr_get_id(e, id, &c, err) < 0)
		return -1;
	running = ctr_status_running(c.status);
	in = !o->no_stdin && c.interactive;
	tty = c.tty;
	if (!running)
		berth_error(err, 0, "container \"%s\" is not running (berth start -a it)", c.name);
	else if (c.status == CTR_MONITOR_LOST)
		berth_error(err, 0, "container \"%s\" lost its monitor: nothing to attach to",
		            c.name);
	ctr_info_free(&c);
	if (*err)
		return -1;
	dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (dir_fd < 0 || sock < 0)
		return berth_error(err, errno, "attach to %.12s", id);
	attach_addr(dir_fd, &sa);
	if (connect(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return berth_error(err, 0,
		                   "container %.12s has no detached monitor to attach to (it runs "
		                   "attached to the berth run that made it)",
		                   id);
	event_ctr(e, id, "attach", NULL);
	/* the signals we get go to the container (--sig-proxy, not with a terminal) */
	sigemptyset(&sigs);
	if (o->sig_proxy && !tty) {
		int fwd[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
		for (size_t i = 0; i < ARRAY_SIZE(fwd); i++)
			sigaddset(&sigs, fwd[i]);
	}
	sigprocmask(SIG_BLOCK, &sigs, &old);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (in && tty && isatty(STDIN_FILENO)) {
		terminal_raw_begin(-1);
		raw = true;
	}
	for (;;) {
		struct pollfd p[3] = {{.fd = sock, .events = POLLIN},
		                      {.fd = in ? STDIN_FILENO : -1, .events = POLLIN},
		                      {.fd = sfd, .events = POLLIN}};
		unsigned char head[5];
		char buf[4096];
		ssize_t got;

		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			berth_error(err, errno, "poll");
			goto out;
		}
		if (p[2].revents & POLLIN) {
			struct signalfd_siginfo si;
			berth_error_t e2 = NULL;
			if (read(sfd, &si, sizeof(si)) == sizeof(si) &&
			    ctr_signal(e, id, (int)si.ssi_signo, &e2) < 0)
				berth_error_release(&e2);
		}
		if (p[1].revents) {
			got = read(STDIN_FILENO, buf, sizeof(buf));
			if (got <= 0) {
				/* our stdin ended: the container's stays open (as Docker's) */
				in = false;
			} else {
				for (size_t i = 0; tty && i < (size_t)got; i++) {
					matched = buf[i] == keys[matched] ? matched + 1
					          : buf[i] == keys[0]     ? 1
					                                  : 0;
					if (matched == n_keys) {
						detached = true;
						break;
					}
				}
				if (detached)
					break;
				if (util_write_all(sock, buf, (size_t)got) < 0)
					in = false;
			}
		}
		if (p[0].revents) {
			uint32_t len;
			if (util_read_all(sock, head, 5) != 5)
				break; /* the monitor closed it: the container exited */
			len = (uint32_t)head[1] << 24 | (uint32_t)head[2] << 16 |
			      (uint32_t)head[3] << 8 | head[4];
			while (len > 0) {
				size_t want = len > sizeof(buf) ? sizeof(buf) : len;
				got = util_read_all(sock, buf, want);
				if (got != (ssize_t)want)
					break;
				util_write_all(head[0] == 2 ? STDERR_FILENO : STDOUT_FILENO, buf,
				               want);
				len -= (uint32_t)want;
			}
		}
	}
	if (raw)
		terminal_raw_end();
	raw = false;
	if (detached) {
		fprintf(stderr, "\r\nread escape sequence\r\n");
		r = 0;
		goto out;
	}
	/* as Docker's attach: the container's exit status */
	r = ctr_wait(e, id, status, err);
	if (r == 0 && *status < 0)
		*status = 0;
out:
	if (raw)
		terminal_raw_end();
	sigprocmask(SIG_SETMASK, &old, NULL);
	return r;
}
