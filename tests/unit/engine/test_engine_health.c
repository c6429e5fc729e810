/* SPDX-License-Identifier: MIT */
/* Unit tests for health checks' configuration (src/engine/health.c): run/create's --health-*
 * values (Go's durations), the image's Healthcheck merged with them, and ps's STATUS words. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "image_priv.h"

#include <stdlib.h>
#include <string.h>

/* flag f's value v: 0 with *ns set, or -1 (the error's text in msg). */
static int flag(enum health_flag f, const char *v, int64_t *ns, char *msg, size_t size)
{
	struct health_opts h = {0};
	berth_error_t err = NULL;
	int r = health_flag(&h, f, v, &err);

	if (r < 0) {
		snprintf(msg, size, "%s", err->msg);
		berth_error_release(&err);
		return -1;
	}
	*ns = h.value[f];
	return 0;
}

static void test_durations(void **state)
{
	static const struct {
		const char *in;
		int64_t ns;
	} good[] = {{"0", 0},
	            {"1s", 1000000000LL},
	            {"1m30s", 90000000000LL},
	            {"500ms", 500000000LL},
	            {"1.5h", 5400000000000LL},
	            {"1h2m3s4ms", 3723004000000LL},
	            {"1000us", 1000000LL},
	            {"1000\xc2\xb5s", 1000000LL},
	            {"2000000ns", 2000000LL},
	            {".5s", 500000000LL},
	            {"2562047h", 2562047LL * 3600 * 1000000000LL}};
	static const char *const bad[] = {"",      "10",  "-1s", "+1s",   "1x",  "s",       ".s",
	                                  "1.5.s", "1 s", "1sm", "999us", "1ns", "2562048h"};
	char msg[256];
	int64_t ns;
	(void)state;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(flag(HEALTH_INTERVAL, good[i].in, &ns, msg, sizeof(msg)), 0);
		assert_true(ns == good[i].ns);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(flag(HEALTH_TIMEOUT, bad[i], &ns, msg, sizeof(msg)), -1);
		assert_non_null(strstr(msg, "bad --health-timeout `"));
		assert_null(strchr(msg, '\n'));
	}
	assert_int_equal(flag(HEALTH_START_PERIOD, "5", &ns, msg, sizeof(msg)), -1);
	assert_non_null(strstr(msg, "--health-start-period"));
}

static void test_retries_and_cmd(void **state)
{
	char msg[256];
	int64_t n;
	(void)state;

	assert_int_equal(flag(HEALTH_RETRIES, "0", &n, msg, sizeof(msg)), 0);
	assert_int_equal(flag(HEALTH_RETRIES, "5", &n, msg, sizeof(msg)), 0);
	assert_true(n == 5);
	assert_int_equal(flag(HEALTH_RETRIES, "-1", &n, msg, sizeof(msg)), -1);
	assert_int_equal(flag(HEALTH_RETRIES, "x", &n, msg, sizeof(msg)), -1);
	assert_int_equal(flag(HEALTH_RETRIES, "99999999999", &n, msg, sizeof(msg)), -1);
	assert_non_null(strstr(msg, "--health-retries"));
	assert_int_equal(flag(HEALTH_CMD, "", &n, msg, sizeof(msg)), -1);
	assert_non_null(strstr(msg, "--health-cmd"));
}

static void test_no_healthcheck_conflicts(void **state)
{
	struct health_opts h = {0};
	berth_error_t err = NULL;
	(void)state;

	assert_int_equal(health_flag(&h, HEALTH_CMD, "true", &err), 0);
	assert_int_equal(health_flag(&h, HEALTH_NONE, NULL, &err), -1);
	assert_non_null(strstr(err->msg, "--no-healthcheck conflicts with --health-cmd"));
	berth_error_release(&err);
	memset(&h, 0, sizeof(h));
	assert_int_equal(health_flag(&h, HEALTH_NONE, NULL, &err), 0);
	assert_int_equal(health_flag(&h, HEALTH_RETRIES, "2", &err), -1);
	assert_non_null(strstr(err->msg, "--health-retries"));
	berth_error_release(&err);
}

/* health_record over an image config (JSON text, or NULL) and o: the record's "healthcheck"
 * as compact JSON ("-" when none), or NULL when refused. */
static char *record(const char *image, const struct run_opts *o)
{
	json_t *cfg = image ? json_loads(image, 0, NULL) : NULL;
	json_t *rec = json_object();
	berth_error_t err = NULL;
	char *out = NULL;

	if (health_record(rec, o, cfg, &err) == 0) {
		json_t *hc = json_object_get(rec, "healthcheck");
		out = hc ? json_dumps(hc, JSON_COMPACT | JSON_SORT_KEYS) : strdup("-");
	} else {
		assert_null(strchr(err->msg, '\n'));
		berth_error_release(&err);
	}
	json_decref(cfg);
	json_decref(rec);
	return out;
}

static void expect_record(const char *image, const struct run_opts *o, const char *want)
{
	char *got = record(image, o);
	if (want == NULL) {
		assert_null(got);
		return;
	}
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_record(void **state)
{
	static const char img[] = "{\"Healthcheck\": {\"Test\": [\"CMD-SHELL\", \"echo img\"], "
	                          "\"Interval\": 1000000000, \"Retries\": 4}}";
	struct run_opts o = {0};
	berth_error_t err = NULL;
	(void)state;

	/* neither: none */
	expect_record(NULL, &o, "-");
	expect_record("{}", &o, "-");
	/* the image's */
	expect_record(
	    img, &o,
	    "{\"Interval\":1000000000,\"Retries\":4,\"Test\":[\"CMD-SHELL\",\"echo img\"]}");
	/* a flag replaces its field only */
	assert_int_equal(health_flag(&o.health, HEALTH_RETRIES, "2", &err), 0);
	expect_record(
	    img, &o,
	    "{\"Interval\":1000000000,\"Retries\":2,\"Test\":[\"CMD-SHELL\",\"echo img\"]}");
	assert_int_equal(health_flag(&o.health, HEALTH_CMD, "echo flag", &err), 0);
	expect_record(
	    img, &o,
	    "{\"Interval\":1000000000,\"Retries\":2,\"Test\":[\"CMD-SHELL\",\"echo flag\"]}");
	/* durations without a command and no image's: none */
	memset(&o, 0, sizeof(o));
	assert_int_equal(health_flag(&o.health, HEALTH_INTERVAL, "5s", &err), 0);
	expect_record(NULL, &o, "-");
	/* --no-healthcheck over the image's */
	memset(&o, 0, sizeof(o));
	assert_int_equal(health_flag(&o.health, HEALTH_NONE, NULL, &err), 0);
	expect_record(img, &o, "{\"Interval\":1000000000,\"Retries\":4,\"Test\":[\"NONE\"]}");
	/* the image's, malformed: refused */
	memset(&o, 0, sizeof(o));
	expect_record("{\"Healthcheck\": {\"Test\": [\"BOGUS\"]}}", &o, NULL);
	expect_record("{\"Healthcheck\": {\"Test\": [\"CMD\"]}}", &o, NULL);
	expect_record("{\"Healthcheck\": {\"Test\": [\"CMD-SHELL\", \"a\", \"b\"]}}", &o, NULL);
	expect_record("{\"Healthcheck\": {\"Test\": [\"CMD\", 1]}}", &o, NULL);
	expect_record("{\"Healthcheck\": {\"Test\": \"CMD true\"}}", &o, NULL);
	expect_record("{\"Healthcheck\": {\"Test\": [\"NONE\"], \"Timeout\": -1}}", &o, NULL);
	expect_record("{\"Healthcheck\": {\"Test\": [\"NONE\"], \"Retries\": \"3\"}}", &o, NULL);
	expect_record("{\"Healthcheck\": 7}", &o, NULL);
	/* the exec form and an empty Test (none given) */
	expect_record("{\"Healthcheck\": {\"Test\": [\"CMD\", \"true\"]}}", &o,
	              "{\"Test\":[\"CMD\",\"true\"]}");
	expect_record("{\"Healthcheck\": {\"Test\": []}}", &o, "-");
	expect_record("{\"Healthcheck\": null}", &o, "-");
}

static void test_ps_status(void **state)
{
	struct ctr_info c = {0};
	(void)state;

	c.status = CTR_RUNNING;
	c.raw = json_pack("{s:{s:s}}", "health", "Status", "healthy");
	assert_string_equal(health_ps_status(&c), " (healthy)");
	json_object_set_new(c.raw, "health", json_pack("{s:s}", "Status", "unhealthy"));
	assert_string_equal(health_ps_status(&c), " (unhealthy)");
	json_object_set_new(c.raw, "health", json_pack("{s:s}", "Status", "starting"));
	assert_string_equal(health_ps_status(&c), " (health: starting)");
	c.paused = true;
	assert_string_equal(health_ps_status(&c), "");
	c.paused = false;
	c.status = CTR_EXITED;
	assert_string_equal(health_ps_status(&c), "");
	c.status = CTR_RUNNING;
	json_object_del(c.raw, "health");
	assert_string_equal(health_ps_status(&c), "");
	json_decref(c.raw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_durations),
	    cmocka_unit_test(test_retries_and_cmd),
	    cmocka_unit_test(test_no_healthcheck_conflicts),
	    cmocka_unit_test(test_record),
	    cmocka_unit_test(test_ps_status),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
