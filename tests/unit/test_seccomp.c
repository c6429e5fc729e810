/* SPDX-License-Identifier: MIT */
/* Unit tests for src/container/seccomp.c: name mappings and linux.seccomp compiled into a
 * filter (checked through libseccomp's PFC text), without loading anything. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"
#include "error.h"
#include "seccomp.h"
#include "util.h"

#include <errno.h>
#include <string.h>

static struct config *parse_seccomp(const char *seccomp)
{
	cleanup_free char *text = xasprintf("{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"r\"},"
	                                    "\"linux\":{\"seccomp\":%s}}",
	                                    seccomp);
	berth_error_t err = NULL;
	struct config *c = NULL;

	if (config_parse(text, strlen(text), "config.json", &c, &err) < 0) {
		print_error("unexpected error: %s\n", err->msg);
		berth_error_release(&err);
		fail();
	}
	assert_true(c->linux_.has_seccomp);
	return c;
}

/* Build and return the PFC text (NULL and *msg set on error). */
static char *build(const char *seccomp, char **msg, bool *notify)
{
	struct config *c = parse_seccomp(seccomp);
	struct seccomp_program *p = NULL;
	berth_error_t err = NULL;
	char *pfc = NULL;

	*msg = NULL;
	if (seccomp_build(&c->linux_.seccomp, &p, &err) < 0) {
		*msg = xstrdup(err->msg);
		berth_error_release(&err);
	} else {
		pfc = seccomp_program_pfc(p);
		assert_non_null(pfc);
		if (notify)
			*notify = seccomp_program_notifies(p);
		seccomp_program_free(p);
	}
	config_free(c);
	return pfc;
}

static void test_actions(void **state)
{
	berth_error_t err = NULL;
	uint32_t a;

	(void)state;
	assert_int_equal(seccomp_action_from_name("SCMP_ACT_ALLOW", false, 0, &a, &err), 0);
	assert_int_equal(a, SCMP_ACT_ALLOW);
	assert_int_equal(seccomp_action_from_name("SCMP_ACT_KILL", false, 0, &a, &err), 0);
	assert_int_equal(a, SCMP_ACT_KILL_THREAD);
	assert_int_equal(seccomp_action_from_name("SCMP_ACT_KILL_PROCESS", false, 0, &a, &err), 0);
	assert_int_equal(a, SCMP_ACT_KILL_PROCESS);
	assert_int_equal(seccomp_action_from_name("SCMP_ACT_ERRNO", false, 0, &a, &err), 0);
	assert_int_equal(a, SCMP_ACT_ERRNO(EPERM));
	assert_int_equal(seccomp_action_from_name("SCMP_ACT_ERRNO", true, 38, &a, &err), 0);
	assert_int_equal(a, SCMP_ACT_ERRNO(38));
	assert_int_equal(seccomp_action_from_name("SCMP_ACT_TRACE", true, 7, &a, &err), 0);
	assert_int_equal(a, SCMP_ACT_TRACE(7));
	assert_int_equal(seccomp_action_from_name("SCMP_ACT_NOTIFY", false, 0, &a, &err), 0);
	assert_int_equal(a, SCMP_ACT_NOTIFY);
	assert_int_equal(seccomp_action_from_name("SCMP_ACT_LOG", false, 0, &a, &err), 0);
	assert_int_equal(a, SCMP_ACT_LOG);
	assert_int_equal(seccomp_action_from_name("SCMP_ACT_TRAP", false, 0, &a, &err), 0);
	assert_int_equal(a, SCMP_ACT_TRAP);

	assert_int_equal(seccomp_action_from_name("SCMP_ACT_NOPE", false, 0, &a, &err), -1);
	assert_string_equal(err->msg, "unknown seccomp action \"SCMP_ACT_NOPE\"");
	berth_error_release(&err);
	assert_int_equal(seccomp_action_from_name("SCMP_ACT_ALLOW", true, 1, &a, &err), -1);
	assert_non_null(strstr(err->msg, "errnoRet is only valid"));
	berth_error_release(&err);
	assert_int_equal(seccomp_action_from_name("SCMP_ACT_ERRNO", true, 70000, &a, &err), -1);
	assert_non_null(strstr(err->msg, "out of range"));
	berth_error_release(&err);
	/* every name in the table maps */
	for (size_t i = 0; seccomp_action_name(i); i++)
		assert_int_equal(
		    seccomp_action_from_name(seccomp_action_name(i), false, 0, &a, &err), 0);
}

static void test_ops_archs_flags(void **state)
{
	(void)state;
	assert_int_equal(seccomp_op_from_name("SCMP_CMP_NE"), SCMP_CMP_NE);
	assert_int_equal(seccomp_op_from_name("SCMP_CMP_LT"), SCMP_CMP_LT);
	assert_int_equal(seccomp_op_from_name("SCMP_CMP_LE"), SCMP_CMP_LE);
	assert_int_equal(seccomp_op_from_name("SCMP_CMP_EQ"), SCMP_CMP_EQ);
	assert_int_equal(seccomp_op_from_name("SCMP_CMP_GE"), SCMP_CMP_GE);
	assert_int_equal(seccomp_op_from_name("SCMP_CMP_GT"), SCMP_CMP_GT);
	assert_int_equal(seccomp_op_from_name("SCMP_CMP_MASKED_EQ"), SCMP_CMP_MASKED_EQ);
	assert_int_equal(seccomp_op_from_name("SCMP_CMP_ALMOST"), -1);
	assert_int_equal(seccomp_op_name(7), NULL);

	assert_int_equal(seccomp_arch_from_name("SCMP_ARCH_X86_64"), SCMP_ARCH_X86_64);
	assert_int_equal(seccomp_arch_from_name("SCMP_ARCH_X86"), SCMP_ARCH_X86);
	assert_int_equal(seccomp_arch_from_name("SCMP_ARCH_AARCH64"), SCMP_ARCH_AARCH64);
	assert_int_equal(seccomp_arch_from_name("SCMP_ARCH_RISCV64"), SCMP_ARCH_RISCV64);
	assert_int_equal(seccomp_arch_from_name("SCMP_ARCH_PPC64LE"), SCMP_ARCH_PPC64LE);
	assert_int_equal(seccomp_arch_from_name("SCMP_ARCH_S390X"), SCMP_ARCH_S390X);
	assert_int_equal(seccomp_arch_from_name("SCMP_ARCH_NOPE"), 0);

	assert_int_equal(seccomp_flag_from_name("SECCOMP_FILTER_FLAG_LOG"), 2);
	assert_int_equal(seccomp_flag_from_name("SECCOMP_FILTER_FLAG_SPEC_ALLOW"), 4);
	assert_int_equal(seccomp_flag_from_name("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"), 32);
	assert_int_equal(seccomp_flag_from_name("SECCOMP_FILTER_FLAG_NOPE"), 0);
}

static void test_build_rules(void **state)
{
	char *msg;
	bool notify = true;
	char *pfc;

	(void)state;
	pfc = build("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
	            "{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":38},"
	            "{\"names\":[\"kill\"],\"action\":\"SCMP_ACT_KILL_PROCESS\",\"args\":["
	            "{\"index\":1,\"op\":\"SCMP_CMP_MASKED_EQ\",\"value\":3,\"valueTwo\":2}]}]}",
	            &msg, &notify);
	assert_null(msg);
	assert_non_null(pfc);
	assert_false(notify);
	assert_non_null(strstr(pfc, "if ($syscall == 83)")); /* mkdir */
	assert_non_null(strstr(pfc, "action ERRNO(38);"));
	assert_non_null(strstr(pfc, "if ($syscall == 62)"));             /* kill */
	assert_non_null(strstr(pfc, "if ($a1.lo32 & 0x00000003 == 2)")); /* masked eq */
	assert_non_null(strstr(pfc, "action KILL_PROCESS;"));
	assert_non_null(strstr(pfc, "# default action\n  action ALLOW;"));
	free(pfc);
}

static void test_build_same_index_twice(void **state)
{
	char *msg;
	char *pfc;

	(void)state;
	/* the same argument twice: one rule each, so both values match */
	pfc = build("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
	            "{\"names\":[\"kill\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":["
	            "{\"index\":1,\"op\":\"SCMP_CMP_EQ\",\"value\":17},"
	            "{\"index\":1,\"op\":\"SCMP_CMP_EQ\",\"value\":28}]}]}",
	            &msg, NULL);
	assert_null(msg);
	assert_non_null(strstr(pfc, "if ($a1.lo32 == 17)"));
	assert_non_null(strstr(pfc, "if ($a1.lo32 == 28)"));
	free(pfc);
	/* different arguments: all of them in one rule */
	pfc = build("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
	            "{\"names\":[\"kill\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":["
	            "{\"index\":0,\"op\":\"SCMP_CMP_GT\",\"value\":1},"
	            "{\"index\":1,\"op\":\"SCMP_CMP_NE\",\"value\":9}]}]}",
	            &msg, NULL);
	assert_null(msg);
	assert_non_null(strstr(pfc, "if ($a0.lo32 > 1)"));
	assert_non_null(strstr(pfc, "if ($a1.lo32 == 9)")); /* NE: the else branch acts */
	free(pfc);
}

static void test_build_skips(void **state)
{
	char *msg;
	bool notify = false;
	char *pfc;

	(void)state;
	/* an unknown name is skipped, the rest of the rule stays; a rule with the default
	 * action is dropped (libseccomp would refuse it) */
	pfc = build(
	    "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":1,"
	    "\"listenerPath\":\"/x.sock\",\"syscalls\":["
	    "{\"names\":[\"berth_no_such_syscall\",\"getpid\"],\"action\":\"SCMP_ACT_ALLOW\"},"
	    "{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1},"
	    "{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}",
	    &msg, &notify);
	assert_null(msg);
	assert_true(notify);
	assert_non_null(strstr(pfc, "if ($syscall == 39)")); /* getpid */
	assert_null(strstr(pfc, "if ($syscall == 110)"));    /* getppid */
	assert_non_null(strstr(pfc, "action 0x7fc00000;"));  /* NOTIFY */
	assert_non_null(strstr(pfc, "action ERRNO(1);"));
	free(pfc);
}

static void test_build_errors(void **state)
{
	char *msg;
	char *pfc;

	(void)state;
	pfc = build("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
	            "{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_LOG\",\"errnoRet\":3}]}",
	            &msg, NULL);
	assert_null(pfc);
	assert_string_equal(msg, "linux.seccomp.syscalls[0]: errnoRet is only valid with "
	                         "SCMP_ACT_ERRNO and SCMP_ACT_TRACE, not SCMP_ACT_LOG");
	free(msg);
	pfc = build("{\"defaultAction\":\"SCMP_ACT_TRAP\",\"defaultErrnoRet\":3}", &msg, NULL);
	assert_null(pfc);
	assert_non_null(strstr(msg, "linux.seccomp.defaultAction: errnoRet"));
	free(msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_actions),     cmocka_unit_test(test_ops_archs_flags),
	    cmocka_unit_test(test_build_rules), cmocka_unit_test(test_build_same_index_twice),
	    cmocka_unit_test(test_build_skips), cmocka_unit_test(test_build_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
