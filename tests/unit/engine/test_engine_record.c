/* SPDX-License-Identifier: MIT */
/* Unit tests for the engine's container record state machine (src/engine/record.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine.h"

#include <string.h>

static void test_status_decide(void **state)
{
	(void)state;
	/* a monitor that lives: running, whatever the runtime says yet */
	assert_int_equal(ctr_status_decide("running", true, true, CTR_INIT_ALIVE), CTR_RUNNING);
	assert_int_equal(ctr_status_decide("running", true, true, CTR_INIT_GONE), CTR_RUNNING);
	/* attached run: recorded once, as created, with berth as its monitor, before create */
	assert_int_equal(ctr_status_decide("created", true, true, CTR_INIT_NONE), CTR_RUNNING);
	/* the monitor died (OOM, kill -9) but the init runs on */
	assert_int_equal(ctr_status_decide("running", true, false, CTR_INIT_ALIVE),
	                 CTR_MONITOR_LOST);
	assert_int_equal(ctr_status_decide("created", true, false, CTR_INIT_ALIVE),
	                 CTR_MONITOR_LOST);
	/* both gone */
	assert_int_equal(ctr_status_decide("running", true, false, CTR_INIT_GONE), CTR_EXITED);
	assert_int_equal(ctr_status_decide("running", true, false, CTR_INIT_NONE), CTR_EXITED);
	assert_int_equal(ctr_status_decide("created", true, false, CTR_INIT_NONE), CTR_EXITED);
	/* the monitor recorded the exit */
	assert_int_equal(ctr_status_decide("exited", false, false, CTR_INIT_NONE), CTR_EXITED);
	/* run -d before its monitor started */
	assert_int_equal(ctr_status_decide("created", false, false, CTR_INIT_NONE), CTR_CREATED);
	/* garbage in the record is not running */
	assert_int_equal(ctr_status_decide("?", false, false, CTR_INIT_NONE), CTR_EXITED);
}

static void test_status_names(void **state)
{
	(void)state;
	assert_string_equal(ctr_status_name(CTR_CREATED), "created");
	assert_string_equal(ctr_status_name(CTR_RUNNING), "running");
	assert_string_equal(ctr_status_name(CTR_MONITOR_LOST), "running (monitor lost)");
	assert_string_equal(ctr_status_name(CTR_EXITED), "exited");
	assert_true(ctr_status_running(CTR_RUNNING));
	assert_true(ctr_status_running(CTR_MONITOR_LOST));
	assert_false(ctr_status_running(CTR_CREATED));
	assert_false(ctr_status_running(CTR_EXITED));
}

static void test_parse_stat(void **state)
{
	(void)state;
	char st;
	unsigned long long start;
	/* a command name with spaces and parentheses */
	const char *t = "4242 (a) (b c) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 "
	                "987654 1000 10 18446744073709551615";

	assert_int_equal(ctr_parse_stat(t, &st, &start), 0);
	assert_int_equal(st, 'S');
	assert_int_equal(start, 987654ULL);
	assert_int_equal(
	    ctr_parse_stat("4242 (x) Z 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 55 0", &st, &start), 0);
	assert_int_equal(st, 'Z');
	assert_int_equal(start, 55ULL);
	/* cut short, or no name */
	assert_int_equal(ctr_parse_stat("4242 (x) S 1 2 3", &st, &start), -1);
	assert_int_equal(ctr_parse_stat("4242 x S 1", &st, &start), -1);
	assert_int_equal(ctr_parse_stat("", &st, &start), -1);
	/* this process: running, with a start time */
	assert_true(ctr_self_start_time() > 0);
}

static void test_restart_policy(void **state)
{
	berth_error_t err = NULL;
	const char *name = NULL;
	int max = -1;

	(void)state;
	assert_int_equal(ctr_parse_restart("always", &name, &max, &err), 0);
	assert_string_equal(name, "always");
	assert_int_equal(max, 0);
	assert_int_equal(ctr_parse_restart("on-failure:3", &name, &max, &err), 0);
	assert_string_equal(name, "on-failure");
	assert_int_equal(max, 3);
	assert_int_equal(ctr_parse_restart("on-failure", &name, &max, &err), 0);
	assert_int_equal(max, 0);
	assert_int_equal(ctr_parse_restart("unless-stopped", &name, &max, &err), 0);
	assert_int_equal(ctr_parse_restart("no", &name, &max, &err), 0);
	assert_string_equal(name, "no");
	const char *bad[] = {"",
	                     "sometimes",
	                     "on-failure:",
	                     "on-failure:x",
	                     "on-failure:-1",
	                     "on-failure:3x",
	                     "on-failures",
	                     "always:2",
	                     "on-failure:99999999999"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ctr_parse_restart(bad[i], &name, &max, &err), -1);
		assert_non_null(strstr(err->msg, "bad --restart"));
		berth_error_release(&err);
	}
	/* Docker's restart manager: never after a stop by hand */
	assert_true(ctr_restart_wanted("always", 0, 7, 0, false));
	assert_false(ctr_restart_wanted("always", 0, 7, 0, true));
	assert_true(ctr_restart_wanted("unless-stopped", 0, 0, 1, false));
	assert_false(ctr_restart_wanted("unless-stopped", 0, 0, 1, true));
	assert_true(ctr_restart_wanted("on-failure", 0, 100, 1, false));
	assert_false(ctr_restart_wanted("on-failure", 0, 0, 0, false));
	assert_true(ctr_restart_wanted("on-failure", 3, 2, 137, false));
	assert_false(ctr_restart_wanted("on-failure", 3, 3, 1, false));
	assert_false(ctr_restart_wanted("no", 0, 0, 1, false));
	assert_false(ctr_restart_wanted(NULL, 0, 0, 1, false));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_status_decide),
	    cmocka_unit_test(test_status_names),
	    cmocka_unit_test(test_parse_stat),
	    cmocka_unit_test(test_restart_policy),
	};
	return cmocka_run_group_tests_name("engine record", tests, NULL, NULL);
}
