/* SPDX-License-Identifier: MIT */
#include "terminal.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>

int terminal_open_pty(int *master, int *slave, unsigned rows, unsigned cols, berth_error_t *err)
{
	cleanup_close int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	int s;

	if (m < 0)
		return berth_error(err, errno, "open `/dev/ptmx`");
	if (unlockpt(m) < 0)
		return berth_error(err, errno, "unlockpt");
	s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0)
		return berth_error(err, errno, "open the pty peer");
	if (rows && cols) {
		struct winsize ws = {.ws_row = (unsigned short)rows,
		                     .ws_col = (unsigned short)cols};
		ioctl(m, TIOCSWINSZ, &ws);
	}
	*master = util_steal_fd(m);
	*slave = s;
	return 0;
}

int terminal_make_controlling(int slave, berth_error_t *err)
{
	if (setsid() < 0)
		return berth_error(err, errno, "setsid");
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return berth_error(err, errno, "ioctl(TIOCSCTTY)");
	for (int fd = 0; fd < 3; fd++)
		if (dup2(slave, fd) < 0)
			return berth_error(err, errno, "dup2 the terminal to fd %d", fd);
	return 0;
}

int terminal_connect(const char *path, berth_error_t *err)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	cleanup_close int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return berth_error(err, errno, "socket");
	if (strlen(path) >= sizeof(addr.sun_path))
		return berth_error(err, ENAMETOOLONG, "--console-socket `%s`", path);
	strcpy(addr.sun_path, path);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return berth_error(err, errno, "connect to the console socket `%s`", path);
	return util_steal_fd(fd);
}

int terminal_send_fd(int sock, int fd, const char *name, berth_error_t *err)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = (void *)name, .iov_len = strlen(name)};
	struct msghdr msg = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c;

	memset(cbuf, 0, sizeof(cbuf));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	while (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0)
		if (errno != EINTR)
			return berth_error(err, errno, "send the terminal over the console socket");
	return 0;
}

int terminal_recv_fd(int sock, berth_error_t *err)
{
	char buf[256];
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct msghdr msg = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c;
	int fd;

	while (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) < 0)
		if (errno != EINTR)
			return berth_error(err, errno, "receive the terminal");
	c = CMSG_FIRSTHDR(&msg);
	if (c == NULL || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int)))
		return berth_error(err, 0,
		                   "receive the terminal: no file descriptor in the message");
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

static struct termios terminal_saved;
static bool terminal_raw;

void terminal_raw_end(void)
{
	if (terminal_raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &terminal_saved);
	terminal_raw = false;
}

void terminal_copy_winsize(int master)
{
	struct winsize ws;
	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
		ioctl(master, TIOCSWINSZ, &ws);
}

void terminal_raw_begin(int master)
{
	struct termios raw;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &terminal_saved) < 0)
		return;
	raw = terminal_saved;
	cfmakeraw(&raw);
	if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0) {
		terminal_raw = true;
		atexit(terminal_raw_end);
	}
	terminal_copy_winsize(master);
}

int terminal_dup_stdio(const int fds[3])
{
	int tmp[3];

	/* first above 2, so that fds[] may name 0-2 in any order */
	for (int i = 0; i < 3; i++) {
		tmp[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
		if (tmp[i] < 0)
			return -errno;
	}
	for (int i = 0; i < 3; i++) {
		if (dup2(tmp[i], i) < 0)
			return -errno;
		close(tmp[i]);
	}
	return 0;
}
