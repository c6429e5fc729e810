/* SPDX-License-Identifier: MIT */
#include "state.h"
#include "cgroup.h"
#include "config.h"
#include "userns.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

int state_validate_id(const char *id, berth_error_t *err)
{
	size_t n = id ? strlen(id) : 0;

	if (n == 0)
		return berth_error(err, 0, "invalid container id: it is empty");
	if (n > 255)
		return berth_error(err, 0, "invalid container id: %zu characters (at most 255)", n);
	if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return berth_error(err, 0, "invalid container id `%s`", id);
	if (strcmp(id, ".cache") == 0) /* seccomp_cache.c */
		return berth_error(
		    err, 0, "invalid container id `%s`: the runtime keeps its caches there", id);
	for (const char *p = id; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_+.-", *p))
			return berth_error(err, 0,
			                   "invalid container id `%s`: only letters, digits and "
			                   "`_+.-` are allowed",
			                   id);
	return 0;
}

char *state_dir(const char *root, const char *id)
{
	return xasprintf("%s/%s", root, id);
}

char *state_fifo_path(const char *root, const char *id)
{
	return xasprintf("%s/%s/exec.fifo", root, id);
}

int state_create_dir(const char *root, const char *id, berth_error_t *err)
{
	cleanup_free char *dir = state_dir(root, id);

	if (util_mkdir_p(root, 0711, err) < 0)
		return -1;
	if (mkdir(dir, 0711) < 0) {
		if (errno == EEXIST)
			return berth_error(err, 0, "container `%s` already exists", id);
		return berth_error(err, errno, "mkdir `%s`", dir);
	}
	return 0;
}

int state_lock(const char *root, const char *id, berth_error_t *err)
{
	cleanup_free char *dir = state_dir(root, id);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT)
			return berth_error(err, 0, "container `%s` does not exist", id);
		return berth_error(err, errno, "open `%s`", dir);
	}
	if (flock(fd, LOCK_EX) < 0) {
		close(fd);
		return berth_error(err, errno, "lock `%s`", dir);
	}
	return fd; /* the lock lasts until the process exits or closes it */
}

int state_save(const char *root, const struct state *s, berth_error_t *err)
{
	cleanup_free char *path = xasprintf("%s/%s/state.json", root, s->id);
	json_t *o = json_object();
	char *text;
	int r;

	json_object_set_new(o, "id", json_string(s->id));
	json_object_set_new(o, "ociVersion", json_string(s->oci_version ? s->oci_version : ""));
	json_object_set_new(o, "bundle", json_string(s->bundle ? s->bundle : ""));
	json_object_set_new(o, "rootfs", json_string(s->rootfs ? s->rootfs : ""));
	json_object_set_new(o, "pid", json_integer(s->pid));
	json_object_set_new(o, "start_time", json_integer((json_int_t)s->start_time));
	if (s->cgroup_path)
		json_object_set_new(o, "cgroup_path", json_string(s->cgroup_path));
	if (s->cgroup_mounts)
		json_object_set(o, "cgroup_mounts", s->cgroup_mounts);
	json_object_set_new(o, "created", json_string(s->created ? s->created : ""));
	json_object_set_new(o, "owner", json_integer(s->owner));
	json_object_set_new(o, "creating", json_boolean(s->creating));
	if (s->hooks_known) {
		json_t *h = json_array();
		if (s->has_poststart)
			json_array_append_new(h, json_string("poststart"));
		if (s->has_poststop)
			json_array_append_new(h, json_string("poststop"));
		json_object_set_new(o, "hooks", h);
	}
	if (s->freezer) {
		json_object_set_new(o, "freezer", json_string(s->freezer));
		json_object_set_new(o, "freezer_v2", json_boolean(s->freezer_v2));
	}
	if (s->annotations)
		json_object_set(o, "annotations", s->annotations);
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (text == NULL)
		return berth_error(err, ENOMEM, "serialize the state of `%s`", s->id);
	r = util_write_file_atomic(path, text, strlen(text), 0600, err);
	free(text);
	return r;
}

static char *state_json_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? xstrdup(json_string_value(v)) : NULL;
}

int state_load(const char *root, const char *id, struct state **out, berth_error_t *err)
{
	cleanup_free char *path = NULL;
	cleanup_free char *text = NULL;
	json_error_t jerr;
	json_t *o, *hooks;
	struct state *s;

	if (state_validate_id(id, err) < 0)
		return -1;
	path = xasprintf("%s/%s/state.json", root, id);
	if (util_read_file(path, &text, NULL, err) < 0) {
		if ((*err)->status == ENOENT) {
			cleanup_free char *dir = state_dir(root, id);
			struct stat st;
			berth_error_release(err);
			if (stat(dir, &st) == 0) {
				/* a create killed before it wrote anything */
				s = xmalloc0(sizeof(*s));
				s->id = xstrdup(id);
				s->creating = true;
				*out = s;
				return 0;
			}
			return berth_error(err, 0, "container `%s` does not exist", id);
		}
		return -1;
	}
	o = json_loads(text, 0, &jerr);
	if (o == NULL)
		return berth_error(err, 0, "%s: corrupt state: %s (line %d, column %d)", path,
		                   jerr.text, jerr.line, jerr.column);
	s = xmalloc0(sizeof(*s));
	s->id = xstrdup(id);
	s->bundle = state_json_str(o, "bundle");
	s->rootfs = state_json_str(o, "rootfs");
	s->oci_version = state_json_str(o, "ociVersion");
	s->cgroup_path = state_json_str(o, "cgroup_path");
	s->created = state_json_str(o, "created");
	s->pid = (pid_t)json_integer_value(json_object_get(o, "pid"));
	s->start_time = (unsigned long long)json_integer_value(json_object_get(o, "start_time"));
	s->owner = (uid_t)json_integer_value(json_object_get(o, "owner"));
	s->creating = json_is_true(json_object_get(o, "creating"));
	s->annotations = json_incref(json_object_get(o, "annotations"));
	if (json_is_array(json_object_get(o, "cgroup_mounts")))
		s->cgroup_mounts = json_incref(json_object_get(o, "cgroup_mounts"));
	hooks = json_object_get(o, "hooks");
	if (json_is_array(hooks)) {
		size_t i;
		json_t *h;
		s->hooks_known = true;
		json_array_foreach(hooks, i, h)
		{
			if (!json_is_string(h))
				continue;
			if (strcmp(json_string_value(h), "poststart") == 0)
				s->has_poststart = true;
			else if (strcmp(json_string_value(h), "poststop") == 0)
				s->has_poststop = true;
			else /* a kind this build does not know of: read the config */
				s->hooks_known = false;
		}
	}
	s->freezer = state_json_str(o, "freezer");
	s->freezer_v2 = json_is_true(json_object_get(o, "freezer_v2"));
	json_decref(o);
	*out = s;
	return 0;
}

int state_load_config(const char *root, const char *id, struct config **out, berth_error_t *err)
{
	cleanup_free char *path = xasprintf("%s/%s/config.json", root, id);
	cleanup_free char *text = NULL;
	size_t len;

	if (util_read_file(path, &text, &len, err) < 0)
		return -1;
	return config_parse_saved(text, len, path, out, err);
}

void state_free(struct state *s)
{
	if (s == NULL)
		return;
	free(s->id);
	free(s->bundle);
	free(s->rootfs);
	free(s->oci_version);
	free(s->cgroup_path);
	free(s->created);
	json_decref(s->annotations);
	json_decref(s->cgroup_mounts);
	free(s->freezer);
	free(s);
}

int state_remove(const char *root, const char *id, berth_error_t *err)
{
	static const char *const files[] = {"state.json", "config.json", "exec.fifo"};
	cleanup_free char *dir = state_dir(root, id);
	cleanup_close int fd = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	/* what create leaves there, by name: no scan of the directory (~10 syscalls); anything
	 * else (a temporary file of a create that was killed) takes the scan */
	if (fd >= 0) {
		for (size_t i = 0; i < ARRAY_SIZE(files); i++)
			unlinkat(fd, files[i], 0);
		if (rmdir(dir) == 0)
			return 0;
	}
	return util_rm_rf(dir, err);
}

unsigned long long state_proc_start_time(pid_t pid)
{
	char path[64];
	char buf[1024];
	cleanup_close int fd = -1;
	ssize_t n;
	char *p;
	int field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* the command name may hold spaces and parentheses: start after the last ')' */
	p = strrchr(buf, ')');
	if (p == NULL)
		return 0;
	/* p points at field 2's end; field 3 follows */
	for (field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (p == NULL)
		return 0;
	/* a zombie still has its start time but is dead to us */
	{
		char *st = strrchr(buf, ')');
		if (st[1] == ' ' && (st[2] == 'Z' || st[2] == 'X'))
			return 0;
	}
	return strtoull(p + 1, NULL, 10);
}

bool state_pid_alive(pid_t pid, unsigned long long start_time)
{
	unsigned long long now;
	if (pid <= 0)
		return false;
	now = state_proc_start_time(pid);
	return now != 0 && (start_time == 0 || now == start_time);
}

/* The host's cgroup layout, detected (from mountinfo) once per process, that is once per
 * command: `list` asks for every container. NULL when the host has no usable cgroups. */
static const struct cgroup_host *state_cgroup_host(void)
{
	static struct cgroup_host host;
	static int detected; /* 0 not yet, 1 ok, -1 failed */
	berth_error_t e = NULL;

	if (detected == 0) {
		detected = cgroup_host_detect(&host, NULL, &e) == 0 ? 1 : -1;
		berth_error_release(&e);
	}
	return detected == 1 ? &host : NULL;
}

/* Whether the container's cgroup is frozen (`pause`). */
static bool state_frozen(const struct state *s)
{
	const struct cgroup_host *h;
	struct cgroup *cg = NULL;
	berth_error_t e = NULL;
	int r = 0;

	if (s->cgroup_path == NULL)
		return false;
	if (s->freezer != NULL) {
		/* where create found it: no read of mountinfo (~0.1 ms) */
		r = cgroup_dir_is_frozen(s->freezer, s->freezer_v2, &e);
		berth_error_release(&e);
		return r == 1;
	}
	h = state_cgroup_host();
	if (h != NULL && cgroup_open(h, s->cgroup_path, &cg, &e) == 0)
		r = cgroup_is_frozen(cg, &e);
	cgroup_free(cg);
	berth_error_release(&e);
	return r == 1;
}

enum state_status state_status(const char *root, const struct state *s)
{
	cleanup_free char *fifo = NULL;
	struct stat st;

	if (s->creating)
		return s->pid > 0 && state_pid_alive(s->pid, s->start_time) ? STATE_CREATING
		                                                            : STATE_STOPPED;
	if (!state_pid_alive(s->pid, s->start_time))
		return STATE_STOPPED;
	if (state_frozen(s))
		return STATE_PAUSED;
	fifo = state_fifo_path(root, s->id);
	if (stat(fifo, &st) == 0)
		return STATE_CREATED;
	return STATE_RUNNING;
}

const char *state_status_name(enum state_status st)
{
	static const char *const names[] = {"creating", "created", "running", "paused", "stopped"};
	return names[st];
}

json_t *state_to_spec_json(const char *root, const struct state *s)
{
	enum state_status st = state_status(root, s);
	json_t *o = json_object();

	json_object_set_new(o, "ociVersion",
	                    json_string(s->oci_version ? s->oci_version : "1.2.0"));
	json_object_set_new(o, "id", json_string(s->id));
	json_object_set_new(o, "status", json_string(state_status_name(st)));
	json_object_set_new(o, "pid", json_integer(st == STATE_STOPPED ? 0 : s->pid));
	json_object_set_new(o, "bundle", json_string(s->bundle ? s->bundle : ""));
	json_object_set_new(o, "rootfs", json_string(s->rootfs ? s->rootfs : ""));
	json_object_set_new(o, "created", json_string(s->created ? s->created : ""));
	{
		/* the user's name, as runc shows it ("#UID" when /etc/passwd has none) */
		char *name = s->owner == 0 ? xstrdup("root") : userns_user_name(s->owner);
		if (name == NULL)
			name = xasprintf("#%u", (unsigned)s->owner);
		json_object_set_new(o, "owner", json_string(name));
		free(name);
	}
	if (s->annotations && json_object_size(s->annotations) > 0)
		json_object_set(o, "annotations", s->annotations);
	return o;
}
