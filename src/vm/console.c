/* SPDX-License-Identifier: MIT */
#include "console.h"
#include "devices/virtio.h"
#include "util.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>

#define CTRL_A  0x01
#define BACKLOG 16384 /* output kept for the next user of a socket console */

struct console {
	int in_fd, out_fd;
	/* --console socket:PATH: the listening socket, the connected user (or -1) */
	int listen_fd, client_fd;
	char *sock_path;
	dev_t sock_dev;
	ino_t sock_ino;
	uint8_t backlog[BACKLOG]; /* the last output while nobody was connected */
	size_t backlog_len;
	int stop_pipe[2];
	pthread_t reader;
	bool reader_running;
	pthread_mutex_t out_lock, sink_lock;
	struct uart *uart;
	struct virtio_mmio *hvc; /* input goes here instead of the UART when set */
	unsigned hvc_port;       /* to this port of it (0: the console) */
	void (*quit)(void *);
	void *opaque;
	int log_fd; /* a copy of all output (a managed VM's console.log), or -1 */
};

/* the saved terminal state, for the signal handler and atexit */
static struct termios saved_tio;
static atomic_int saved_fd = -1;

void console_restore_terminal(void)
{
	int fd = atomic_exchange(&saved_fd, -1);

	if (fd >= 0)
		tcsetattr(fd, TCSANOW, &saved_tio);
}

static void console_raw(int fd)
{
	struct termios tio;

	if (!isatty(fd) || tcgetattr(fd, &saved_tio) < 0)
		return;
	tio = saved_tio;
	cfmakeraw(&tio);
	if (tcsetattr(fd, TCSANOW, &tio) == 0) {
		atomic_store(&saved_fd, fd);
		atexit(console_restore_terminal);
	}
}

size_t console_filter(int *state, const uint8_t *in, size_t len, uint8_t *out, int *quit, int *help)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		uint8_t c = in[i];
		if (*state == 0) {
			if (c == CTRL_A)
				*state = 1;
			else
				out[n++] = c;
			continue;
		}
		*state = 0;
		switch (c) {
		case 'x':
		case 'X':
			*quit = 1;
			return n;
		case 'h':
		case 'H':
		case '?':
			*help = 1;
			break;
		case CTRL_A:
			out[n++] = CTRL_A;
			break;
		default: /* not an escape: pass both on */
			out[n++] = CTRL_A;
			out[n++] = c;
			break;
		}
	}
	return n;
}

static void console_feed(struct console *c, const uint8_t *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		size_t n = 0;
		pthread_mutex_lock(&c->sink_lock);
		if (c->hvc != NULL && c->hvc_port > 0)
			n = virtio_console_port_receive(c->hvc, c->hvc_port, buf + done,
			                                len - done);
		else if (c->hvc != NULL)
			n = virtio_console_receive(c->hvc, buf + done, len - done);
		else if (c->uart != NULL)
			n = uart_receive(c->uart, buf + done, len - done);
		pthread_mutex_unlock(&c->sink_lock);
		done += n;
		if (done < len) {
			struct pollfd p = {.fd = c->stop_pipe[0], .events = POLLIN};
			if (poll(&p, 1, 10) > 0)
				return; /* closing */
		}
	}
}

static void *console_reader(void *arg)
{
	static const char help[] = "\r\nC-a x    exit berth\r\nC-a C-a  send C-a\r\n";
	struct console *c = arg;
	int state = 0;

	for (;;) {
		struct pollfd p[2] = {{.fd = c->in_fd, .events = POLLIN},
		                      {.fd = c->stop_pipe[0], .events = POLLIN}};
		uint8_t in[256], out[2 * sizeof(in)];
		int quit = 0, want_help = 0;
		ssize_t r;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		r = read(c->in_fd, in, sizeof(in));
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			break; /* end of input: the guest just sees no more */
		size_t n = console_filter(&state, in, (size_t)r, out, &quit, &want_help);
		if (want_help)
			console_write(c, (const uint8_t *)help, sizeof(help) - 1);
		console_feed(c, out, n);
		if (quit) {
			if (c->quit != NULL)
				c->quit(c->opaque);
			break;
		}
	}
	return NULL;
}

/* To the socket console's user, never waiting for one who does not read: what does not fit
 * is dropped. Called with out_lock held. */
static void console_send(struct console *c, const uint8_t *buf, size_t len)
{
	size_t done = 0;

	while (c->client_fd >= 0 && done < len) {
		ssize_t r = send(c->client_fd, buf + done, len - done, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		done += (size_t)r;
	}
}

/* While nobody is connected: keep the last BACKLOG bytes. Called with out_lock held. */
static void console_keep(struct console *c, const uint8_t *buf, size_t len)
{
	if (len >= BACKLOG) {
		memcpy(c->backlog, buf + len - BACKLOG, BACKLOG);
		c->backlog_len = BACKLOG;
		return;
	}
	if (c->backlog_len + len > BACKLOG) {
		size_t drop = c->backlog_len + len - BACKLOG;
		memmove(c->backlog, c->backlog + drop, c->backlog_len - drop);
		c->backlog_len -= drop;
	}
	memcpy(c->backlog + c->backlog_len, buf, len);
	c->backlog_len += len;
}

/* The socket console: one user at a time; their bytes go to the guest as typed (no Ctrl-A
 * escapes: berth is not theirs to quit), the guest's output to them while connected. */
static void *console_socket_reader(void *arg)
{
	struct console *c = arg;

	for (;;) {
		int fd = c->client_fd >= 0 ? c->client_fd : c->listen_fd;
		struct pollfd p[2] = {{.fd = fd, .events = POLLIN},
		                      {.fd = c->stop_pipe[0], .events = POLLIN}};
		uint8_t in[256];
		ssize_t r;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		if (c->client_fd < 0) {
			int nfd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);
			if (nfd >= 0) {
				pthread_mutex_lock(&c->out_lock);
				c->client_fd = nfd;
				console_send(c, c->backlog, c->backlog_len);
				c->backlog_len = 0;
				pthread_mutex_unlock(&c->out_lock);
			}
			continue;
		}
		r = read(c->client_fd, in, sizeof(in));
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0) { /* the user left: wait for the next one */
			pthread_mutex_lock(&c->out_lock);
			close(c->client_fd);
			c->client_fd = -1;
			pthread_mutex_unlock(&c->out_lock);
			continue;
		}
		console_feed(c, in, (size_t)r);
	}
	return NULL;
}

static struct console *console_new(void)
{
	struct console *c = xmalloc0(sizeof(*c));

	c->in_fd = c->out_fd = c->listen_fd = c->client_fd = c->log_fd = -1;
	c->stop_pipe[0] = c->stop_pipe[1] = -1;
	pthread_mutex_init(&c->out_lock, NULL);
	pthread_mutex_init(&c->sink_lock, NULL);
	return c;
}

struct console *console_open_socket(const char *path, berth_error_t *err)
{
	return console_open_socket_as("--console", path, err);
}

struct console *console_open_socket_as(const char *what, const char *path, berth_error_t *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct console *c;
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		berth_error(err, 0, "%s: the socket path `%s` is longer than %zu bytes", what, path,
		            sizeof(sa.sun_path) - 1);
		return NULL;
	}
	if (lstat(path, &st) == 0) {
		berth_error(err, 0, "%s: `%s` already exists", what, path);
		return NULL;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		berth_error(err, errno, "%s: socket", what);
		return NULL;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		berth_error(err, errno, "%s: cannot listen on `%s`", what, path);
		close(fd);
		return NULL;
	}
	if (listen(fd, 1) < 0 || lstat(path, &st) < 0) {
		berth_error(err, errno, "%s: cannot listen on `%s`", what, sa.sun_path);
		unlink(path);
		close(fd);
		return NULL;
	}
	c = console_new();
	c->listen_fd = fd;
	c->sock_path = xstrdup(path);
	c->sock_dev = st.st_dev;
	c->sock_ino = st.st_ino;
	if (pipe2(c->stop_pipe, O_CLOEXEC) == 0 &&
	    pthread_create(&c->reader, NULL, console_socket_reader, c) == 0)
		c->reader_running = true;
	return c;
}

struct console *console_open(int in_fd, int out_fd, void (*quit)(void *), void *opaque)
{
	struct console *c = console_new();

	c->in_fd = in_fd;
	c->out_fd = out_fd;
	c->quit = quit;
	c->opaque = opaque;
	if (in_fd >= 0 && pipe2(c->stop_pipe, O_CLOEXEC) == 0) {
		console_raw(in_fd);
		if (pthread_create(&c->reader, NULL, console_reader, c) == 0)
			c->reader_running = true;
	}
	return c;
}

void console_close(struct console *c)
{
	if (c == NULL)
		return;
	if (c->reader_running) {
		(void)!write(c->stop_pipe[1], "x", 1);
		pthread_join(c->reader, NULL);
	}
	if (c->stop_pipe[0] >= 0) {
		close(c->stop_pipe[0]);
		close(c->stop_pipe[1]);
	}
	if (c->listen_fd >= 0) {
		struct stat st;
		/* remove the socket, if it is still ours */
		if (lstat(c->sock_path, &st) == 0 && st.st_dev == c->sock_dev &&
		    st.st_ino == c->sock_ino)
			unlink(c->sock_path);
		close(c->listen_fd);
		free(c->sock_path);
	}
	if (c->client_fd >= 0)
		close(c->client_fd);
	console_restore_terminal();
	pthread_mutex_destroy(&c->out_lock);
	pthread_mutex_destroy(&c->sink_lock);
	free(c);
}

void console_set_log(struct console *c, int fd)
{
	pthread_mutex_lock(&c->out_lock);
	c->log_fd = fd;
	pthread_mutex_unlock(&c->out_lock);
}

void console_set_uart(struct console *c, struct uart *u)
{
	pthread_mutex_lock(&c->sink_lock);
	c->uart = u;
	pthread_mutex_unlock(&c->sink_lock);
}

void console_set_hvc(struct console *c, struct virtio_mmio *t)
{
	pthread_mutex_lock(&c->sink_lock);
	c->hvc = t;
	pthread_mutex_unlock(&c->sink_lock);
}

void console_set_port(struct console *c, struct virtio_mmio *t, unsigned port)
{
	pthread_mutex_lock(&c->sink_lock);
	c->hvc = t;
	c->hvc_port = port;
	pthread_mutex_unlock(&c->sink_lock);
}

int console_getchar(void *console)
{
	struct console *c = console;
	int r = -1;

	pthread_mutex_lock(&c->sink_lock);
	if (c->uart != NULL)
		r = uart_getchar(c->uart);
	pthread_mutex_unlock(&c->sink_lock);
	return r;
}

void console_write(void *console, const uint8_t *buf, size_t len)
{
	struct console *c = console;

	pthread_mutex_lock(&c->out_lock);
	if (c->log_fd >= 0)
		(void)util_write_all(c->log_fd, buf, len);
	if (c->listen_fd >= 0) {
		if (c->client_fd >= 0)
			console_send(c, buf, len);
		else
			console_keep(c, buf, len);
	} else if (c->out_fd >= 0) {
		(void)util_write_all(c->out_fd, buf, len);
	}
	pthread_mutex_unlock(&c->out_lock);
}
