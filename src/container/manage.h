/* SPDX-License-Identifier: MIT */
/* Operations on the cgroup of an existing container, as berth-runtime's pause, resume,
 * update, events and ps drive them (runc's semantics). The container is found through its
 * state (<root>/<id>/state.json); its cgroup is reopened from the path stored there. */
#ifndef BERTH_MANAGE_H
#define BERTH_MANAGE_H

#include "cgroup.h"
#include "error.h"

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

struct json_t;
struct state;

/* Freeze every process of a created or running container; thaw a paused one. */
int container_pause(const char *root, const char *id, berth_error_t *err);
int container_resume(const char *root, const char *id, berth_error_t *err);

/* Change the limits of a live container. `patch` is a linux.resources object holding only
 * what changes; it is validated (errors name `name` and the JSON path), applied with update
 * semantics (devices only when it has device rules; the config's linux.devices stay
 * allowed) and merged into the saved config (<root>/<id>/config.json), so that a later
 * update starts from the current values. As runc does, a cpu quota or period given alone
 * keeps the other at its recorded value. */
int container_update(const char *root, const char *id, struct json_t *patch, const char *name,
                     berth_error_t *err);

/* `events`: with stats_only one "stats" event, else a "stats" event every interval_ns and an
 * "oom" event each time the cgroup's OOM kill count rises, until the container stops. One
 * JSON object per line on out, in runc's format. */
int container_events(const char *root, const char *id, bool stats_only, long long interval_ns,
                     FILE *out, berth_error_t *err);

/* The host pids of every process in the container's cgroup (malloc'ed, may be empty). */
int container_ps(const char *root, const char *id, pid_t **pids, size_t *n, berth_error_t *err);

/* `berth-runtime ps` and `berth top`: the host's ps run with args (argv-style, NULL-terminated,
 * args[0] "ps"), its output limited to its header and the lines whose PID column is one of
 * the container's processes: *out (malloc'ed). Flags: CONTAINER_TOP_STRICT, a PID that does
 * not parse is an error (else its line is skipped); CONTAINER_TOP_NULL_STDIN, ps reads
 * /dev/null (else it inherits our stdin). */
enum { CONTAINER_TOP_STRICT = 1, CONTAINER_TOP_NULL_STDIN = 2 };
int container_top(const char *root, const char *id, char **args, unsigned flags, char **out,
                  berth_error_t *err);

/* runc's {"type":"stats","id":ID,"data":{…}} for st, without a newline (malloc'ed). */
char *manage_stats_json(const char *id, const struct cgroup_stats *st);

/* Thaw the container's cgroup (kill/delete of a paused container). No cgroup: success. */
int manage_thaw(const struct state *s, berth_error_t *err);

#endif
