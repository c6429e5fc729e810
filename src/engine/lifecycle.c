/* SPDX-License-Identifier: MIT */
/* What berth does to a container besides running and stopping it, as Docker's commands do:
 * start attached, wait, pause / unpause (the runtime library's freezer), rename, top (the
 * host's ps filtered to the container's cgroup). */
#include "image_priv.h"
#include "events.h"
#include "network.h"
#include "container.h"
#include "manage.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int ctr_check_name(const char *what, const char *name, berth_error_t *err)
{
	size_t n = strlen(name);
	bool ok =
	    n > 0 && n <= 128 &&
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
	        n &&
	    strchr("_.-", name[0]) == NULL;

	if (!ok)
		return berth_error(err, 0,
		                   "bad %s `%s`: expected a name of letters, digits, `_`, `.` and "
		                   "`-`, starting with a letter or a digit (at most 128)",
		                   what, name);
	return 0;
}

int ctr_parse_restart(const char *s, const char **name, int *max, berth_error_t *err)
{
	static const char *const names[] = {"no", "always", "unless-stopped"};
	char *end;
	long n;

	*max = 0;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strcmp(s, names[i]) == 0) {
			*name = names[i];
			return 0;
		}
	if (strncmp(s, "on-failure", 10) == 0 && (s[10] == '\0' || s[10] == ':')) {
		*name = "on-failure";
		if (s[10] == '\0')
			return 0;
		errno = 0;
		n = strtol(s + 11, &end, 10);
		if (s[11] >= '0' && s[11] <= '9' && *end == '\0' && errno == 0 && n >= 0 &&
		    n <= 1000000) {
			*max = (int)n;
			return 0;
		}
	}
	return berth_error(err, 0,
	                   "bad --restart `%s`: expected no, always, unless-stopped or "
	                   "on-failure[:N]",
	                   s);
}

bool ctr_restart_wanted(const char *policy, int max, int count, int status, bool stopped)
{
	if (stopped || policy == NULL)
		return false;
	if (strcmp(policy, "always") == 0 || strcmp(policy, "unless-stopped") == 0)
		return true;
	return strcmp(policy, "on-failure") == 0 && status != 0 && (max == 0 || count < max);
}

/* Put fields into the record, under the lock. */
int ctr_update(struct engine *e, const char *id, json_t *fields, berth_error_t *err)
{
	json_t *rec;
	int r;

	if (engine_lock(e, err) < 0) {
		json_decref(fields);
		return -1;
	}
	r = ctr_load(e, id, &rec, err);
	if (r == 0) {
		json_object_update(rec, fields);
		r = ctr_save(e, id, rec, err);
		json_decref(rec);
	}
	json_decref(fields);
	engine_unlock(e);
	return r;
}

void ctr_start_failed(struct engine *e, const char *id)
{
	berth_error_t e2 = NULL;
	json_t *rec;

	/* a container never started is Created again, not an exit nobody saw */
	if (ctr_load(e, id, &rec, &e2) < 0) {
		berth_error_release(&e2);
		return;
	}
	if (strcmp(json_string_value(json_object_get(rec, "state")) ?: "", "created") == 0)
		ctr_update(e, id,
		           json_pack("{s:I,s:I}", "monitor_pid", (json_int_t)0, "monitor_start",
		                     (json_int_t)0),
		           &e2);
	berth_error_release(&e2);
	json_decref(rec);
}

int ctr_start_attached(struct engine *e, const char *id, bool in, int *status, berth_error_t *err)
{
	cleanup_free char *rt = ctr_runtime_root(e);
	berth_error_t e2 = NULL;

	*status = 125;
	if (ctr_settle(e, id, err) < 0 || ctr_binfmt_ready(e, id, err) < 0)
		return -1;
	if (container_delete(rt, id, true, &e2) < 0)
		berth_error_release(&e2);
	ctr_umount(e, id);
	/* this process is the monitor from now on (as an attached run) */
	cleanup_free char *now = util_now_rfc3339();
	if (ctr_update(e, id,
	               json_pack("{s:s,s:I,s:I,s:s,s:b}", "state", "created", "monitor_pid",
	                         (json_int_t)getpid(), "monitor_start",
	                         (json_int_t)ctr_self_start_time(), "started_at", now,
	                         "stop_requested", 0),
	               err) < 0)
		return -1;
	if (ctr_mount(e, id, err) < 0 || monitor_run_attached_in(e, id, in, status, err) < 0) {
		ctr_umount(e, id);
		ctr_start_failed(e, id);
		return -1;
	}
	return 0;
}

int ctr_wait(struct engine *e, const char *id, int *code, berth_error_t *err)
{
	for (;;) {
		struct ctr_info c;
		bool done;

		if (ctr_get_id(e, id, &c, err) < 0)
			return berth_error_prefix(err, "container %.12s went while waited for", id);
		done = !ctr_status_running(c.status);
		if (done && c.status == CTR_EXITED && strcmp(c.recorded, "exited") != 0 &&
		    c.monitor_pid > 0) {
			/* its monitor died: record the exit it could not */
			ctr_info_free(&c);
			if (ctr_settle(e, id, err) < 0)
				return -1;
			continue;
		}
		if (done) {
			/* Docker: a container never started is not running, code 0 */
			*code = c.status == CTR_CREATED ? 0 : c.has_exit_code ? c.exit_code : -1;
			ctr_info_free(&c);
			return 0;
		}
		ctr_info_free(&c);
		usleep(50000);
	}
}

int ctr_pause(struct engine *e, const char *id, bool pause, berth_error_t *err)
{
	cleanup_free char *rt = ctr_runtime_root(e);
	struct ctr_info c;
	int r;

	if (ctr_get_id(e, id, &c, err) < 0)
		return -1;
	if (!ctr_status_running(c.status))
		r = berth_error(err, 0, "container \"%s\" is not running", c.name);
	else if (pause && c.paused)
		r = berth_error(err, 0, "container \"%s\" is already paused", c.name);
	else if (!pause && !c.paused)
		r = berth_error(err, 0, "container \"%s\" is not paused", c.name);
	else
		r = pause ? container_pause(rt, id, err) : container_resume(rt, id, err);
	if (r == 0)
		event_ctr(e, id, pause ? "pause" : "unpause", NULL);
	ctr_info_free(&c);
	return r;
}

int ctr_rename(struct engine *e, const char *ref, const char *name, berth_error_t *err)
{
	cleanup_free char *id = NULL;
	json_t *rec = NULL;
	int r = -1;

	if (ctr_check_name("name", name, err) < 0 || engine_lock(e, err) < 0)
		return -1;
	if (ctr_lookup(e, ref, &id, err) < 0 || ctr_load(e, id, &rec, err) < 0)
		goto out;
	if (strcmp(json_string_value(json_object_get(rec, "name")) ?: "", name) == 0) {
		berth_error(err, 0, "container \"%s\" has that name already", name);
		goto out;
	}
	if (ctr_name_used(e, name)) {
		berth_error(
		    err, 0,
		    "the name \"%s\" is already in use (berth rm %s, or choose another name)", name,
		    name);
		goto out;
	}
	{
		cleanup_free char *old =
		    xstrdup(json_string_value(json_object_get(rec, "name")) ?: "");
		json_object_set_new(rec, "name", json_string(name));
		r = ctr_save(e, id, rec, err);
		if (r == 0)
			event_ctr(e, id, "rename", "oldName", old, NULL);
	}
out:
	json_decref(rec);
	engine_unlock(e);
	return r;
}

int ctr_top(struct engine *e, const char *id, char **ps_args, size_t n_args, char **out,
            berth_error_t *err)
{
	static char dflt[] = "-ef";
	cleanup_free char *rt = ctr_runtime_root(e);
	cleanup_free char **args = NULL;
	struct ctr_info c;
	bool run;

	if (ctr_get_id(e, id, &c, err) < 0)
		return -1;
	run = ctr_status_running(c.status);
	if (!run)
		berth_error(err, 0, "container \"%s\" is not running", c.name);
	ctr_info_free(&c);
	if (!run)
		return -1;
	/* "ps", the options (or -ef), NULL */
	args = xmalloc0((n_args + 3) * sizeof(*args));
	args[0] = "ps";
	for (size_t i = 0; i < n_args; i++)
		args[i + 1] = ps_args[i];
	if (n_args == 0)
		args[1] = dflt;
	/* a line whose PID does not parse is skipped */
	return container_top(rt, id, args, CONTAINER_TOP_NULL_STDIN, out, err);
}
