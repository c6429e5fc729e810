/* SPDX-License-Identifier: MIT */
/* Container state kept by berth-runtime under <root>/<id>/ (default root /run/berth-runtime):
 *   state.json  the runtime's record, written atomically (temp file + rename)
 *   exec.fifo   exists from create until start: the init blocks opening it for writing
 * The status is derived, not stored: an init that is alive (same pid and start time) with
 * the fifo present is "created", without it "running"; a dead init is "stopped". */
#ifndef BERTH_STATE_H
#define BERTH_STATE_H

#include "error.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct config;
struct json_t;

enum state_status {
	STATE_CREATING, /* create has not finished (or the runtime died in it) */
	STATE_CREATED,
	STATE_RUNNING,
	STATE_PAUSED,
	STATE_STOPPED,
};

struct state {
	char *id;
	char *bundle;                  /* absolute */
	char *rootfs;                  /* absolute */
	char *oci_version;             /* of the config */
	pid_t pid;                     /* host pid of the container's init, 0 before it exists */
	unsigned long long start_time; /* /proc/<pid>/stat field 22, to detect pid reuse */
	char *cgroup_path;             /* inside the cgroup hierarchy, NULL when none */
	char *created;                 /* RFC 3339 */
	uid_t owner;
	bool creating;              /* the create did not finish */
	bool systemd_cgroup;        /* reserved */
	struct json_t *annotations; /* object, owned */
	/* array of strings, owned, or NULL: the mount points of the host's cgroup hierarchies
	 * when the cgroup was made (cgroup_host_mounts), for `delete`'s rmdirs without reading
	 * mountinfo */
	struct json_t *cgroup_mounts;
	/* which of the hooks that `start` and `delete` run its config has (create records it),
	 * so that they read config.json only for those; a state from before says nothing
	 * (hooks_known false): they read it */
	bool hooks_known;
	bool has_poststart, has_poststop;
	/* the container's freezer directory (cgroup_freezer_dir) and whether it is cgroup2's,
	 * or NULL: state_status checks `paused` there, without detecting the host's layout */
	char *freezer;
	bool freezer_v2;
};

/* A valid id: 1-255 characters from [A-Za-z0-9_+.-], not "." or "..". */
int state_validate_id(const char *id, berth_error_t *err);
/* <root>/<id> */
char *state_dir(const char *root, const char *id);
/* Create <root>/<id> exclusively ("container `x` already exists" when it does). */
int state_create_dir(const char *root, const char *id, berth_error_t *err);
int state_save(const char *root, const struct state *s, berth_error_t *err);
/* Load <root>/<id>/state.json ("container `x` does not exist" when there is none). */
int state_load(const char *root, const char *id, struct state **out, berth_error_t *err);
void state_free(struct state *s);
/* Remove <root>/<id> and everything in it. */
int state_remove(const char *root, const char *id, berth_error_t *err);
/* Parse <root>/<id>/config.json, the config the container was created with. */
int state_load_config(const char *root, const char *id, struct config **out, berth_error_t *err);
/* Take an exclusive lock on the container's directory for the duration of an operation. */
int state_lock(const char *root, const char *id, berth_error_t *err);

/* The live status of the container described by s. */
enum state_status state_status(const char *root, const struct state *s);
const char *state_status_name(enum state_status st);
/* Whether pid is alive and still the process that had start_time. */
bool state_pid_alive(pid_t pid, unsigned long long start_time);
/* Field 22 of /proc/<pid>/stat, 0 when unreadable. */
unsigned long long state_proc_start_time(pid_t pid);

/* The spec's state document: ociVersion, id, status, pid, bundle, annotations (plus runc's
 * rootfs, created, owner). */
struct json_t *state_to_spec_json(const char *root, const struct state *s);
/* Path of <root>/<id>/exec.fifo */
char *state_fifo_path(const char *root, const char *id);

#endif
