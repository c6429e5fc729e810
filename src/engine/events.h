/* SPDX-License-Identifier: MIT */
/* The engine's event log (events.c): ROOT/events.log, one JSON document a line as Docker's
 * events API gives them:
 *   {"status":"start","id":"<id>","from":"busybox:latest","Type":"container","Action":"start",
 *    "Actor":{"ID":"<id>","Attributes":{"image":"busybox:latest","name":"c"}},
 *    "scope":"local","time":1765000000,"timeNano":1765000000123456789}
 * Every line is appended with one write(2) on an O_APPEND descriptor, so writers of several
 * processes never interleave. The log is bounded: once it passes BERTH_EVENTS_MAX bytes
 * (default 4 MiB) its older half is dropped (a new file renamed over it) while ROOT/events.lock
 * is held exclusively; appenders hold it shared. There is no daemon: `berth events` reads the
 * log and follows it with inotify. */
#ifndef BERTH_EVENTS_H
#define BERTH_EVENTS_H

#include "engine.h"

#include <stdbool.h>
#include <time.h>

#define EVENTS_NAME      "events.log"
#define EVENTS_LOCK_NAME "events.lock"

/* Append one event: type ("container", "image", "network", "volume"), action ("start",
 * "exec_create: sh -c …"), the actor's id, then attribute pairs (key, value), a NULL key
 * ending them; a NULL value skips its pair. Never fails the caller (nothing is recorded
 * when the log cannot be written). */
void event_log(struct engine *e, const char *type, const char *action, const char *actor, ...)
    __attribute__((sentinel));
/* A container's event: Attributes are its name, image and labels (from its record), and the
 * pairs given (NULL key ends them). */
void event_ctr(struct engine *e, const char *id, const char *action, ...) __attribute__((sentinel));
/* The same with one number among the attributes: die's exitCode, kill's signal. */
void event_ctr_num(struct engine *e, const char *id, const char *action, const char *key,
                   long long v);
/* An image's event: its id (hex) as the actor "sha256:<hex>", name (or NULL) its attribute. */
void event_image(struct engine *e, const char *action, const char *id_hex, const char *name);
/* An exec's events: exec_create and exec_start ("exec_start: CMD ARGS", attributes execID),
 * exec_die (execID, exitCode code). *xid: a new random exec id when empty. */
void event_exec(struct engine *e, const char *id, char xid[65], char **args, size_t n_args,
                const char *action, int code);

/* berth events */
struct json_t;
struct events_opts {
	bool has_since, has_until;
	struct timespec since, until;
	struct json_t *filters; /* {"type": ["container", …], …} (events_filter_add) */
	const char *format;     /* NULL: Docker's line; "json": the document; else a template */
};
/* -f KEY=VALUE: type, event (or action), container, image, network, volume, label (KEY or
 * KEY=VALUE). One line naming the value otherwise. */
int events_filter_add(struct events_opts *o, const char *kv, berth_error_t *err);
void events_opts_free(struct events_opts *o);
/* Print the events in [since, until] (none of the past without either), then, unless until
 * has passed, follow the log until it does or SIGINT / SIGTERM come (then 0). */
int events_show(struct engine *e, const struct events_opts *o, berth_error_t *err);

/* Pure parts, unit-testable: whether ev (a parsed line) passes the filters; Docker's line
 * for ev, "2026-12-06T05:00:00.123456789Z container start ID (image=busybox, name=x)"
 * (heap). */
bool events_match(const struct json_t *filters, const struct json_t *ev);
char *events_line(const struct json_t *ev);

#endif
