/* SPDX-License-Identifier: MIT */
/* Unit tests for a container's log (src/engine/ctrlog.c): records as the monitor writes them
 * (k8s-file: time, stream, F/P, text; json-file), their parsing, and the --since / --until
 * values; the event log's lines and filters (src/engine/events.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ctrlog.h"
#include "engine.h"
#include "events.h"

#include <jansson.h>

#include <stdlib.h>
#include <string.h>

static const struct timespec T = {.tv_sec = 1765000000, .tv_nsec = 5};

static void test_format_time(void **state)
{
	char ts[CTRLOG_TS_SIZE];
	(void)state;
	ctrlog_format_time(&T, ts);
	assert_string_equal(ts, "2025-12-06T05:46:40.000000005Z");
}

static char *format(int stream, const char *data)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;

	ctrlog_format(&T, stream, data, strlen(data), &buf, &len, &cap);
	buf = realloc(buf, len + 1);
	buf[len] = '\0';
	return buf;
}

static void test_format_records(void **state)
{
	char *s;
	(void)state;
	s = format(1, "a\nbc\n");
	assert_string_equal(s, "2025-12-06T05:46:40.000000005Z stdout F a\n"
	                       "2025-12-06T05:46:40.000000005Z stdout F bc\n");
	free(s);
	/* an unfinished line is a part; an empty line a record with no text */
	s = format(2, "\nx");
	assert_string_equal(s, "2025-12-06T05:46:40.000000005Z stderr F \n"
	                       "2025-12-06T05:46:40.000000005Z stderr P x\n");
	free(s);
	s = format(1, "");
	assert_string_equal(s, "");
	free(s);
	/* a chunk of nothing but newlines */
	s = format(1, "\n\n\n");
	assert_int_equal(strlen(s), 3 * strlen("2025-12-06T05:46:40.000000005Z stdout F \n"));
	free(s);
}

static void test_parse_records(void **state)
{
	struct ctrlog_rec r;
	const char *l = "2025-12-06T05:46:40.000000005Z stderr P a b\r";
	(void)state;
	assert_int_equal(ctrlog_parse(l, strlen(l), &r), 0);
	assert_int_equal(r.stream, 2);
	assert_false(r.full);
	assert_int_equal(r.time.tv_sec, T.tv_sec);
	assert_int_equal(r.time.tv_nsec, 5);
	assert_int_equal(r.text_len, 4);
	assert_memory_equal(r.text, "a b\r", 4);
	l = "2025-12-06T05:46:40.5Z stdout F";
	assert_int_equal(ctrlog_parse(l, strlen(l), &r), 0);
	assert_true(r.full);
	assert_int_equal(r.text_len, 0);
	assert_int_equal(r.time.tv_nsec, 500000000);
	/* what is not a record */
	const char *bad[] = {"",
	                     "hello world",
	                     "2025-12-06T05:46:40Z stdin F x",
	                     "2025-12-06T05:46:40Z stdout X x",
	                     "2025-12-06T05:46:40Z stdout Fx",
	                     "2025-12-06T05:46:40 stdout F x",
	                     "2025-13-06T05:46:40Z stdout F x",
	                     "2025-12-06T05:46Z: stdout F x"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ctrlog_parse(bad[i], strlen(bad[i]), &r), -1);
}

static void test_parse_time(void **state)
{
	struct timespec now = {.tv_sec = 1765000000, .tv_nsec = 0}, t;
	(void)state;
	/* durations before now, as Go's */
	assert_int_equal(ctr_log_parse_time("10m", &now, &t), 0);
	assert_int_equal(t.tv_sec, now.tv_sec - 600);
	assert_int_equal(ctr_log_parse_time("1h30m", &now, &t), 0);
	assert_int_equal(t.tv_sec, now.tv_sec - 5400);
	assert_int_equal(ctr_log_parse_time("1.5s", &now, &t), 0);
	assert_int_equal(t.tv_sec, now.tv_sec - 2);
	assert_int_equal(t.tv_nsec, 500000000);
	assert_int_equal(ctr_log_parse_time("250ms", &now, &t), 0);
	assert_int_equal(t.tv_sec, now.tv_sec - 1);
	assert_int_equal(t.tv_nsec, 750000000);
	/* RFC 3339, a zone or an offset */
	assert_int_equal(ctr_log_parse_time("2025-12-06T05:46:40Z", &now, &t), 0);
	assert_int_equal(t.tv_sec, 1765000000);
	assert_int_equal(ctr_log_parse_time("2025-12-06T06:46:40.25+01:00", &now, &t), 0);
	assert_int_equal(t.tv_sec, 1765000000);
	assert_int_equal(t.tv_nsec, 250000000);
	assert_int_equal(ctr_log_parse_time("2025-12-06T04:46:40-01:00", &now, &t), 0);
	assert_int_equal(t.tv_sec, 1765000000);
	/* without a zone: local time (TZ=UTC here) */
	setenv("TZ", "UTC", 1);
	assert_int_equal(ctr_log_parse_time("2025-12-06T05:46:40", &now, &t), 0);
	assert_int_equal(t.tv_sec, 1765000000);
	assert_int_equal(ctr_log_parse_time("2025-12-06", &now, &t), 0);
	assert_int_equal(t.tv_sec, 1765000000 - (5 * 3600 + 46 * 60 + 40));
	/* Unix seconds */
	assert_int_equal(ctr_log_parse_time("1765000000", &now, &t), 0);
	assert_int_equal(t.tv_sec, 1765000000);
	assert_int_equal(ctr_log_parse_time("1765000000.000000007", &now, &t), 0);
	assert_int_equal(t.tv_nsec, 7);
	/* the rest */
	const char *bad[] = {"",
	                     "yesterday",
	                     "10x",
	                     "m",
	                     ".h",
	                     "-",
	                     "2025-12-06T",
	                     "12:00",
	                     "2025-12-06 05:46:40",
	                     "2025-02-30T00:00:00ZZ",
	                     "2025-12-06T05:46:40+0100",
	                     "99999999999999999999999",
	                     "1e3"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ctr_log_parse_time(bad[i], &now, &t), -1);
}

static char *format_json(int stream, const char *data, size_t n)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;

	ctrlog_format_json(&T, stream, data, n, &buf, &len, &cap);
	buf = realloc(buf, len + 1);
	buf[len] = '\0';
	return buf;
}

/* json-file: Docker's documents, a line each; escapes; not UTF-8 as U+FFFD */
static void test_json_records(void **state)
{
	struct ctrlog_rec rec;
	json_t *hold;
	char *s;
	(void)state;
	s = format_json(1, "a\nb\"\\\t\x01", 7);
	assert_string_equal(s, "{\"log\":\"a\\n\",\"stream\":\"stdout\",\"time\":"
	                       "\"2025-12-06T05:46:40.000000005Z\"}\n"
	                       "{\"log\":\"b\\\"\\\\\\t\\u0001\",\"stream\":\"stdout\",\"time\":"
	                       "\"2025-12-06T05:46:40.000000005Z\"}\n");
	free(s);
	s = format_json(2, "\xff\xc3\xa9\xe2\x82\n", 6);
	assert_non_null(
	    strstr(s, "\"log\":\"\\ufffd\xc3\xa9\\ufffd\\ufffd\\n\",\"stream\":\"stderr\""));
	assert_int_equal(ctrlog_parse_json(s, strlen(s) - 1, &rec, &hold), 0);
	assert_int_equal(rec.stream, 2);
	assert_true(rec.full);
	assert_int_equal(rec.text_len, 11);
	assert_int_equal(rec.time.tv_sec, T.tv_sec);
	assert_int_equal(rec.time.tv_nsec, 5);
	json_decref(hold);
	free(s);
	/* a part of a line; a NUL byte kept */
	s = format_json(1, "x\0y", 3);
	assert_int_equal(ctrlog_parse_json(s, strlen(s) - 1, &rec, &hold), 0);
	assert_false(rec.full);
	assert_int_equal(rec.text_len, 3);
	assert_memory_equal(rec.text, "x\0y", 3);
	json_decref(hold);
	free(s);
	/* not records */
	assert_int_equal(ctrlog_parse_json("{}", 2, &rec, &hold), -1);
	assert_int_equal(ctrlog_parse_json("{\"log\":\"a\",\"stream\":\"x\",\"time\":"
	                                   "\"2025-12-06T05:46:40Z\"}",
	                                   54, &rec, &hold),
	                 -1);
	assert_int_equal(ctrlog_parse_json("nope", 4, &rec, &hold), -1);
}

static json_t *ev(const char *type, const char *action, const char *id, const char *name)
{
	return json_pack("{s:s,s:s,s:{s:s,s:{s:s,s:s,s:s}},s:I}", "Type", type, "Action", action,
	                 "Actor", "ID", id, "Attributes", "name", name, "image", "busybox:latest",
	                 "team", "blue", "timeNano", (json_int_t)1765000000000000005LL);
}

/* events: the default line, the filters */
static void test_events(void **state)
{
	struct events_opts o = {0};
	berth_error_t err = NULL;
	json_t *a = ev("container", "exec_create: sh -c true", "abcdef0123", "c1");
	json_t *b = ev("volume", "create", "v1", "v1");
	char *line;
	(void)state;
	line = events_line(b);
	assert_string_equal(line, "2025-12-06T05:46:40.000000005Z volume create v1 (image=busybox:"
	                          "latest, name=v1, team=blue)");
	free(line);
	assert_int_equal(events_filter_add(&o, "type=container", &err), 0);
	assert_true(events_match(o.filters, a));
	assert_false(events_match(o.filters, b));
	assert_int_equal(events_filter_add(&o, "type=volume", &err), 0);
	assert_true(events_match(o.filters, b));
	assert_int_equal(events_filter_add(&o, "event=exec_create", &err), 0);
	assert_true(events_match(o.filters, a));
	assert_false(events_match(o.filters, b));
	events_opts_free(&o);
	assert_int_equal(events_filter_add(&o, "container=abc", &err), 0);
	assert_true(events_match(o.filters, a));
	events_opts_free(&o);
	assert_int_equal(events_filter_add(&o, "container=c1", &err), 0);
	assert_int_equal(events_filter_add(&o, "label=team=blue", &err), 0);
	assert_int_equal(events_filter_add(&o, "image=busybox", &err), 0);
	assert_true(events_match(o.filters, a));
	events_opts_free(&o);
	assert_int_equal(events_filter_add(&o, "label=team=red", &err), 0);
	assert_false(events_match(o.filters, a));
	events_opts_free(&o);
	assert_int_equal(events_filter_add(&o, "container=c2", &err), 0);
	assert_false(events_match(o.filters, a));
	events_opts_free(&o);
	assert_int_equal(events_filter_add(&o, "bogus=1", &err), -1);
	assert_non_null(strstr(err->msg, "unknown key `bogus`"));
	berth_error_release(&err);
	assert_int_equal(events_filter_add(&o, "type=thing", &err), -1);
	berth_error_release(&err);
	assert_int_equal(events_filter_add(&o, "type", &err), -1);
	berth_error_release(&err);
	events_opts_free(&o);
	json_decref(a);
	json_decref(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_format_time),   cmocka_unit_test(test_format_records),
	    cmocka_unit_test(test_parse_records), cmocka_unit_test(test_parse_time),
	    cmocka_unit_test(test_json_records),  cmocka_unit_test(test_events),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
