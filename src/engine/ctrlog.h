/* SPDX-License-Identifier: MIT */
/* A container's log (ctrlog.c): containers/<id>/ctr.k8s.log in Podman's k8s-file format, one
 * record a line, "TIMESTAMP STREAM TAG TEXT\n":
 *   TIMESTAMP  RFC 3339 with nanoseconds, UTC ("2026-12-06T01:02:03.123456789Z"), when the
 *              monitor read the chunk;
 *   STREAM     "stdout" or "stderr" (a terminal is one stream: stdout);
 *   TAG        "F" when TEXT is a whole line (its newline dropped), "P" a part of one;
 *   TEXT       the bytes, without a newline.
 * The formatting and parsing are pure (unit-tested in tests/unit/engine/test_engine_ctrlog.c). */
#ifndef BERTH_CTRLOG_H
#define BERTH_CTRLOG_H

#include "error.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* the log's name in a container's directory; containers of older berths have a plain ctr.log */
#define CTRLOG_NAME     "ctr.k8s.log"
#define CTRLOG_OLD_NAME "ctr.log"
/* --log-driver json-file: Docker's format, a JSON document a line,
 * {"log":"TEXT\n","stream":"stdout","time":"2026-12-06T01:02:03.123456789Z"} (TEXT without
 * the newline for a part of a line); bytes that are not UTF-8 become U+FFFD */
#define CTRLOG_JSON_NAME "ctr.json.log"
/* --log-opt max-size: the log past it is renamed NAME.1 (NAME.1 to NAME.2, …), keeping
 * max-file files in all (default 1: the log starts again empty) */
/* "2026-12-06T01:02:03.123456789Z" and its NUL */
#define CTRLOG_TS_SIZE 31

void ctrlog_format_time(const struct timespec *t, char out[CTRLOG_TS_SIZE]);

/* The records of one chunk that stream (1 or 2) wrote at t, appended to *buf (heap, *len
 * used, *cap allocated; grown as needed). */
void ctrlog_format(const struct timespec *t, int stream, const char *data, size_t n, char **buf,
                   size_t *len, size_t *cap);

struct ctrlog_rec {
	struct timespec time;
	int stream;       /* 1 or 2 */
	bool full;        /* the text ends a line */
	const char *text; /* into the line parsed */
	size_t text_len;
};
/* One record, line without its newline. -1 when it is not one. */
int ctrlog_parse(const char *line, size_t len, struct ctrlog_rec *out);
struct json_t;
/* The same for json-file; *hold (json_decref after use) keeps the text. */
void ctrlog_format_json(const struct timespec *t, int stream, const char *data, size_t n,
                        char **buf, size_t *len, size_t *cap);
int ctrlog_parse_json(const char *line, size_t len, struct ctrlog_rec *out, struct json_t **hold);

/* The monitor's side: the container's log as its record's HostConfig.LogConfig says. */
struct ctrlog_writer {
	int fd;                   /* -1: none (--log-driver none) */
	bool json;                /* json-file, else k8s-file */
	long long max_size, size; /* 0: no rotation */
	int max_file;
	char *path;
	char *buf; /* the records of a chunk, reused */
	size_t cap;
};
int ctrlog_writer_open(const char *dir, struct json_t *rec, struct ctrlog_writer *w,
                       berth_error_t *err);
void ctrlog_write(struct ctrlog_writer *w, const struct timespec *t, int stream, const char *data,
                  size_t n);
void ctrlog_writer_close(struct ctrlog_writer *w);

#endif
