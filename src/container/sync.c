/* SPDX-License-Identifier: MIT */
#include "sync.h"
#include "util.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

struct sync_header {
	int32_t type;
	int32_t pad;
	int64_t value;
};

int sync_send(int fd, enum sync_type type, int64_t value, const char *payload, berth_error_t *err)
{
	struct sync_header h = {.type = type, .value = value};
	struct iovec iov[2] = {
	    {.iov_base = &h, .iov_len = sizeof(h)},
	    {.iov_base = (void *)payload, .iov_len = payload ? strlen(payload) : 0},
	};
	struct msghdr m = {.msg_iov = iov, .msg_iovlen = 2};

	while (sendmsg(fd, &m, MSG_NOSIGNAL) < 0)
		if (errno != EINTR)
			return berth_error(err, errno, "sync: send");
	return 0;
}

int sync_recv(int fd, struct sync_msg *msg, berth_error_t *err)
{
	struct sync_header h;
	ssize_t n, len;
	char *buf;
	int reset = 0;

	memset(msg, 0, sizeof(*msg));
	/* A peer that died with a message of ours unread leaves ECONNRESET, which the kernel
	 * reports once, before what that peer sent before it died (its SYNC_ERROR): to the
	 * peek, or to the recv after it when the peer died between the two. */
	do
		len = recv(fd, NULL, 0, MSG_PEEK | MSG_TRUNC);
	while (len < 0 && (errno == EINTR || (errno == ECONNRESET && !reset++)));
	if (len < 0)
		return berth_error(err, errno, "sync: receive");
	if (len == 0)
		return berth_error(err, EPIPE, "sync: the other side closed");
	if ((size_t)len < sizeof(h))
		return berth_error(err, EPROTO, "sync: short message");
	buf = xmalloc0((size_t)len + 1);
	do
		n = recv(fd, buf, (size_t)len, 0);
	while (n < 0 && (errno == EINTR || (errno == ECONNRESET && !reset++)));
	if (n < (ssize_t)sizeof(h)) {
		free(buf);
		return berth_error(err, n < 0 ? errno : EPROTO, "sync: receive");
	}
	memcpy(&h, buf, sizeof(h));
	msg->type = h.type;
	msg->value = h.value;
	msg->len = (size_t)n - sizeof(h);
	memmove(buf, buf + sizeof(h), msg->len);
	buf[msg->len] = '\0';
	msg->payload = buf;
	return 0;
}

int sync_expect(int fd, enum sync_type type, struct sync_msg *msg, berth_error_t *err)
{
	if (sync_recv(fd, msg, err) < 0)
		return -1;
	if (msg->type == SYNC_ERROR) {
		berth_error(err, 0, "%s", msg->payload);
		if (err && *err)
			(*err)->status = (int)msg->value;
		free(msg->payload);
		msg->payload = NULL;
		return -1;
	}
	if (msg->type != (int32_t)type) {
		free(msg->payload);
		msg->payload = NULL;
		return berth_error(err, EPROTO, "sync: expected message %d, got %d", type,
		                   msg->type);
	}
	return 0;
}
