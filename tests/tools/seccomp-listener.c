/* SPDX-License-Identifier: MIT */
/* A seccomp notification listener for the tests of linux.seccomp.listenerPath.
 *
 *   seccomp-listener SOCKET [ERRNO|+VALUE] [COUNT]
 *
 * Listens on the unix socket SOCKET, takes one connection, receives the container process
 * state (JSON) with the seccomp fd (SCM_RIGHTS), prints "state <json>", then answers COUNT
 * notifications (default 1): with -ERRNO when the answer is a number, with success and
 * VALUE as the syscall's return value when it is "+VALUE" (default "+0"). Prints
 * "notify <syscall> <pid>" for each one. */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void die(const char *what, int e)
{
	fprintf(stderr, "seccomp-listener: %s: %s\n", what, strerror(e));
	exit(1);
}

int main(int argc, char **argv)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	static char buf[1 << 16];
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf) - 1};
	struct msghdr msg = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	const char *answer = argc > 2 ? argv[2] : "+0";
	int count = argc > 3 ? atoi(argv[3]) : 1;
	struct cmsghdr *c;
	int lfd, conn, fd;
	ssize_t n;

	if (argc < 2 || strlen(argv[1]) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "usage: seccomp-listener SOCKET [ERRNO|+VALUE] [COUNT]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	strcpy(addr.sun_path, argv[1]);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(lfd, 1) < 0)
		die(argv[1], errno);
	conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (conn < 0)
		die("accept", errno);
	n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
	if (n < 0)
		die("recvmsg", errno);
	buf[n] = '\0';
	c = CMSG_FIRSTHDR(&msg);
	if (c == NULL || c->cmsg_type != SCM_RIGHTS)
		die("no fd in the message", EPROTO);
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	printf("state %s\n", buf);

	for (int i = 0; i < count; i++) {
		struct seccomp_notif *req;
		struct seccomp_notif_resp *resp;
		char *name;
		int r;

		r = seccomp_notify_alloc(&req, &resp);
		if (r < 0)
			die("seccomp_notify_alloc", -r);
		r = seccomp_notify_receive(fd, req);
		if (r < 0)
			die("seccomp_notify_receive", -r);
		name = seccomp_syscall_resolve_num_arch(req->data.arch, req->data.nr);
		printf("notify %s %u\n", name ? name : "?", req->pid);
		free(name);
		resp->id = req->id;
		resp->flags = 0;
		if (answer[0] == '+') {
			resp->error = 0;
			resp->val = atoll(answer + 1);
		} else {
			resp->error = -atoi(answer);
			resp->val = 0;
		}
		r = seccomp_notify_respond(fd, resp);
		if (r < 0)
			die("seccomp_notify_respond", -r);
		seccomp_notify_free(req, resp);
	}
	close(fd);
	close(conn);
	unlink(argv[1]);
	return 0;
}
