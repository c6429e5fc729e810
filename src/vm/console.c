/* SPDX-License-Identifier: MIT */
#include "console.h"
#include "devices/devices.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <termios.h>
#include <time.h>

#define CTRL_A 0x01

struct console {
	int in_fd, out_fd;
	int stop_pipe[2];
	pthread_t reader;
	bool reader_running;
	pthread_mutex_t out_lock, sink_lock;
	struct uart *uart;
	void (*quit)(void *);
	void *opaque;
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
		if (c->uart != NULL)
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

struct console *console_open(int in_fd, int out_fd, void (*quit)(void *), void *opaque)
{
	struct console *c = xmalloc0(sizeof(*c));

	c->in_fd = in_fd;
	c->out_fd = out_fd;
	c->quit = quit;
	c->opaque = opaque;
	c->stop_pipe[0] = c->stop_pipe[1] = -1;
	pthread_mutex_init(&c->out_lock, NULL);
	pthread_mutex_init(&c->sink_lock, NULL);
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
	console_restore_terminal();
	pthread_mutex_destroy(&c->out_lock);
	pthread_mutex_destroy(&c->sink_lock);
	free(c);
}

void console_set_uart(struct console *c, struct uart *u)
{
	pthread_mutex_lock(&c->sink_lock);
	c->uart = u;
	pthread_mutex_unlock(&c->sink_lock);
}

void console_write(void *console, const uint8_t *buf, size_t len)
{
	struct console *c = console;

	pthread_mutex_lock(&c->out_lock);
	(void)util_write_all(c->out_fd, buf, len);
	pthread_mutex_unlock(&c->out_lock);
}
