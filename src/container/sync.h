/* SPDX-License-Identifier: MIT */
/* Messages between berth-runtime and the container's init while it is being created, over
 * a SOCK_SEQPACKET socketpair: one message per packet, a type, a number and an optional
 * payload. EOF means the other side died; each side then gives up. */
#ifndef BERTH_SYNC_H
#define BERTH_SYNC_H

#include "error.h"

#include <stddef.h>
#include <stdint.h>

enum sync_type {
	SYNC_GO = 1,  /* runtime -> init: it is in its cgroup, go on (payload: the state JSON) */
	SYNC_USERMAP, /* stage1 -> runtime: write my uid_map/gid_map */
	SYNC_ACK,     /* runtime -> init: done */
	SYNC_PID,     /* stage1 -> runtime: the init's pid */
	SYNC_HOOKS,   /* init -> runtime: mounts are ready, run prestart/createRuntime (sent
	               * only when there are such hooks) */
	SYNC_READY,   /* init -> runtime: ready to run the user process */
	SYNC_ERROR,   /* init -> runtime: payload is the error message */
	SYNC_CGROUP,  /* runtime -> init: the cgroup's directories exist (before SYNC_GO) */
};

struct sync_msg {
	int32_t type;
	int64_t value;
	char *payload; /* NUL terminated, heap, may be NULL */
	size_t len;
};

int sync_send(int fd, enum sync_type type, int64_t value, const char *payload, berth_error_t *err);
/* Receive one message; EOF gives an error "… closed". Free msg->payload after. */
int sync_recv(int fd, struct sync_msg *msg, berth_error_t *err);
/* Receive and check the type (SYNC_ERROR turns into the error it carries). */
int sync_expect(int fd, enum sync_type type, struct sync_msg *msg, berth_error_t *err);

#endif
