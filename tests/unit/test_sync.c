/* SPDX-License-Identifier: MIT */
/* Unit tests for src/container/sync.c: a peer that dies with a message of ours unread leaves
 * ECONNRESET, reported once, before what it sent before it died; sync_recv must still return
 * that message, whether the reset comes to its peek or to the recv after it. recv is wrapped
 * (-Wl,--wrap=recv) so the peer can be closed between the two. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sync.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

ssize_t __real_recv(int fd, void *buf, size_t len, int flags);

static int close_before_recv = -1; /* closed by the next recv that is not a peek */

ssize_t __wrap_recv(int fd, void *buf, size_t len, int flags);
ssize_t __wrap_recv(int fd, void *buf, size_t len, int flags)
{
	if (!(flags & MSG_PEEK) && close_before_recv >= 0) {
		close(close_before_recv);
		close_before_recv = -1;
	}
	return __real_recv(fd, buf, len, flags);
}

/* runtime (r) and init (i); the init sends its error, the runtime a message it never reads */
static void pair_with_error(int *r, int *i)
{
	int sp[2];
	berth_error_t err = NULL;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
	*r = sp[0];
	*i = sp[1];
	assert_int_equal(sync_send(*i, SYNC_ERROR, 2, "process.cwd: refused", &err), 0);
	assert_int_equal(sync_send(*r, SYNC_CGROUP, 0, NULL, &err), 0);
}

static void expect_error_message(int r)
{
	struct sync_msg m;
	berth_error_t err = NULL;

	assert_int_equal(sync_recv(r, &m, &err), 0);
	assert_null(err);
	assert_int_equal(m.type, SYNC_ERROR);
	assert_int_equal(m.value, 2);
	assert_string_equal(m.payload, "process.cwd: refused");
	free(m.payload);
	/* and then the end */
	assert_int_equal(sync_recv(r, &m, &err), -1);
	assert_int_equal(err->status, EPIPE);
	berth_error_release(&err);
	close(r);
}

static void test_reset_before_peek(void **state)
{
	int r, i;
	(void)state;

	pair_with_error(&r, &i);
	close(i); /* died with SYNC_CGROUP unread */
	expect_error_message(r);
}

static void test_reset_between_peek_and_recv(void **state)
{
	int r, i;
	(void)state;

	pair_with_error(&r, &i);
	close_before_recv = i; /* dies after the runtime's peek saw its message */
	expect_error_message(r);
}

static void test_closed_without_message(void **state)
{
	int sp[2];
	struct sync_msg m;
	berth_error_t err = NULL;
	(void)state;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
	close(sp[1]);
	assert_int_equal(sync_recv(sp[0], &m, &err), -1);
	assert_int_equal(err->status, EPIPE);
	berth_error_release(&err);
	close(sp[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reset_before_peek),
	    cmocka_unit_test(test_reset_between_peek_and_recv),
	    cmocka_unit_test(test_closed_without_message),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
