/* SPDX-License-Identifier: MIT */
/* `berth run`/`create` flags beyond spec.c's: what Docker keeps in the container's record
 * (--stop-signal, --stop-timeout, --label, --label-file) and what it maps into the OCI spec
 * (--privileged, --security-opt, --ulimit, --sysctl, --shm-size, --device, --tz, --init). */
#include "image_priv.h"
#include "config.h"
#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define RUNFLAGS_ZONEINFO "/usr/share/zoneinfo"

/* ---- checks ----------------------------------------------------------------------------- */

static int runflags_check_tz(const char *tz, berth_error_t *err)
{
	cleanup_free char *p = NULL;
	struct stat st;

	/* a zone name below the zoneinfo directory: no `..`, not absolute */
	if (tz[0] == '\0' || tz[0] == '/' || strstr(tz, "..") || strspn(tz, "+-_/.") == strlen(tz))
		return berth_error(err, 0, "bad --tz `%s`: expected a zone name like Europe/Berlin",
		                   tz);
	p = xasprintf(RUNFLAGS_ZONEINFO "/%s", tz);
	if (stat(p, &st) < 0 || !S_ISREG(st.st_mode))
		return berth_error(err, 0, "bad --tz `%s`: no such zone in " RUNFLAGS_ZONEINFO, tz);
	return 0;
}

/* "unlimited" or -1: RLIM_INFINITY */
static int runflags_rlim(const char *s, size_t len, uint64_t *out)
{
	char buf[32], *end;
	unsigned long long v;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (strcmp(buf, "unlimited") == 0 || strcmp(buf, "-1") == 0) {
		*out = UINT64_MAX;
		return 0;
	}
	if (!isdigit((unsigned char)buf[0]))
		return -1;
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

/* NAME=SOFT[:HARD] -> "RLIMIT_NAME", soft, hard */
static int runflags_parse_ulimit(const char *u, char **type, uint64_t *soft, uint64_t *hard,
                                 berth_error_t *err)
{
	const char *eq = strchr(u, '=');
	const char *colon;
	char *t;

	if (eq == NULL || eq == u)
		return berth_error(err, 0, "bad --ulimit `%s`: expected NAME=SOFT[:HARD]", u);
	t = xasprintf("RLIMIT_%.*s", (int)(eq - u), u);
	for (char *p = t; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	if (config_rlimit_from_name(t) < 0) {
		free(t);
		return berth_error(err, 0,
		                   "bad --ulimit `%s`: unknown limit `%.*s` (nofile, nproc, core, "
		                   "stack, memlock, …)",
		                   u, (int)(eq - u), u);
	}
	colon = strchr(eq + 1, ':');
	if (runflags_rlim(eq + 1, colon ? (size_t)(colon - eq - 1) : strlen(eq + 1), soft) < 0 ||
	    (colon && runflags_rlim(colon + 1, strlen(colon + 1), hard) < 0)) {
		free(t);
		return berth_error(err, 0,
		                   "bad --ulimit `%s`: expected NAME=SOFT[:HARD], numbers or "
		                   "unlimited",
		                   u);
	}
	if (!colon)
		*hard = *soft;
	if (*soft > *hard) {
		free(t);
		return berth_error(err, 0,
		                   "bad --ulimit `%s`: the soft limit is above the hard one", u);
	}
	*type = t;
	return 0;
}

/* HOST[:CTR][:rwm] */
struct runflags_dev {
	char *host, *ctr, *access;
};

static void runflags_dev_free(struct runflags_dev *d)
{
	free(d->host);
	free(d->ctr);
	free(d->access);
}

static bool runflags_is_access(const char *s)
{
	if (s[0] == '\0' || strspn(s, "rwm") != strlen(s))
		return false;
	for (const char *p = s; *p; p++)
		if (strchr(p + 1, *p))
			return false;
	return true;
}

static int runflags_parse_device(const char *v, struct runflags_dev *d, struct stat *st,
                                 berth_error_t *err)
{
	cleanup_free char *s = xstrdup(v);
	char *a = s, *b = strchr(s, ':'), *c = NULL;

	if (b) {
		*b++ = '\0';
		c = strchr(b, ':');
		if (c)
			*c++ = '\0';
	}
	/* HOST:rwm */
	if (b && !c && b[0] != '/' && runflags_is_access(b))
		c = b, b = NULL;
	if (a[0] != '/' || (b && b[0] != '/') || (c && !runflags_is_access(c)))
		return berth_error(err, 0,
		                   "bad --device `%s`: expected HOST[:CONTAINER][:PERMISSIONS], "
		                   "absolute paths and permissions of r, w, m",
		                   v);
	if (stat(a, st) < 0)
		return berth_error(err, errno, "bad --device `%s`: `%s`", v, a);
	if (!S_ISCHR(st->st_mode) && !S_ISBLK(st->st_mode))
		return berth_error(err, 0, "bad --device `%s`: `%s` is not a device", v, a);
	d->host = xstrdup(a);
	d->ctr = xstrdup(b ? b : a);
	d->access = xstrdup(c ? c : "rwm");
	return 0;
}

int runflags_security_opt(struct run_opts *o, const char *v, berth_error_t *err)
{
	if (strncmp(v, "seccomp=", 8) == 0 || strncmp(v, "seccomp:", 8) == 0) {
		if (v[8] == '\0')
			return berth_error(
			    err, 0,
			    "bad --security-opt `%s`: expected seccomp=unconfined or "
			    "seccomp=FILE",
			    v);
		o->seccomp = v + 8;
		return 0;
	}
	if (strcmp(v, "no-new-privileges") == 0 || strcmp(v, "no-new-privileges=true") == 0 ||
	    strcmp(v, "no-new-privileges:true") == 0) {
		o->no_new_privs = true;
		return 0;
	}
	if (strcmp(v, "no-new-privileges=false") == 0 ||
	    strcmp(v, "no-new-privileges:false") == 0) {
		o->no_new_privs = false;
		return 0;
	}
	return berth_error(err, 0,
	                   "bad --security-opt `%s`: expected seccomp=unconfined, seccomp=FILE or "
	                   "no-new-privileges[=true|false]",
	                   v);
}

/* The seccomp profile file: Docker's (and the OCI spec's linux.seccomp) JSON object. */
static int runflags_load_seccomp(const char *file, json_t **out, berth_error_t *err)
{
	json_error_t je;
	json_t *j = json_load_file(file, 0, &je);

	if (j == NULL)
		return berth_error(err, 0, "bad --security-opt seccomp=%s: %s (line %d)", file,
		                   je.text, je.line);
	if (!json_is_object(j) || !json_is_string(json_object_get(j, "defaultAction"))) {
		json_decref(j);
		return berth_error(err, 0,
		                   "bad --security-opt seccomp=%s: expected a JSON object with "
		                   "defaultAction",
		                   file);
	}
	*out = j;
	return 0;
}

int runflags_check(const struct run_opts *o, berth_error_t *err)
{
	if (o->stop_signal && util_parse_signal(o->stop_signal) <= 0)
		return berth_error(err, 0,
		                   "bad --stop-signal `%s`: expected a signal name or number",
		                   o->stop_signal);
	for (size_t i = 0; i < o->n_labels; i++)
		if (o->labels[i][0] == '=' || o->labels[i][0] == '\0')
			return berth_error(err, 0, "bad --label `%s`: expected KEY=VALUE",
			                   o->labels[i]);
	if (o->tz && runflags_check_tz(o->tz, err) < 0)
		return -1;
	if (systemd_check(o, err) < 0)
		return -1;
	if (o->seccomp && strcmp(o->seccomp, "unconfined") != 0) {
		json_t *j;
		if (runflags_load_seccomp(o->seccomp, &j, err) < 0)
			return -1;
		json_decref(j);
	}
	for (size_t i = 0; i < o->n_ulimits; i++) {
		char *t;
		uint64_t s, h;
		if (runflags_parse_ulimit(o->ulimits[i], &t, &s, &h, err) < 0)
			return -1;
		free(t);
	}
	for (size_t i = 0; i < o->n_sysctls; i++) {
		const char *kv = o->sysctls[i], *eq = strchr(kv, '=');
		cleanup_free char *k = NULL;
		int ns;
		if (eq == NULL || eq == kv)
			return berth_error(err, 0, "bad --sysctl `%s`: expected KEY=VALUE", kv);
		k = xasprintf("%.*s", (int)(eq - kv), kv);
		ns = config_sysctl_namespace(k);
		if (ns < 0)
			return berth_error(err, 0,
			                   "bad --sysctl `%s`: `%s` is not namespaced (the host's "
			                   "own; net.*, kernel.msg*, kernel.shm*, kernel.sem, "
			                   "fs.mqueue.* are allowed)",
			                   kv, k);
		if (ns == CONFIG_NS_NETWORK && o->network && strcmp(o->network, "host") == 0)
			return berth_error(err, 0,
			                   "bad --sysctl `%s`: with --network host, net.* would "
			                   "change the host's",
			                   kv);
	}
	for (size_t i = 0; i < o->n_devices; i++) {
		struct runflags_dev d = {0};
		struct stat st;
		if (runflags_parse_device(o->devices[i], &d, &st, err) < 0)
			return -1;
		runflags_dev_free(&d);
	}
	return 0;
}

/* ---- the record ------------------------------------------------------------------------- */

void runflags_record(json_t *rec, const struct run_opts *o, json_t *ic)
{
	const char *sig = o->stop_signal;
	json_t *labels = json_object();

	/* the image's StopSignal, when it is one */
	if (sig == NULL) {
		const char *s = json_string_value(json_object_get(ic, "StopSignal"));
		if (s && util_parse_signal(s) > 0)
			sig = s;
	}
	if (sig)
		json_object_set_new(rec, "stop_signal", json_string(sig));
	if (o->has_stop_timeout)
		json_object_set_new(rec, "stop_timeout", json_integer(o->stop_timeout));
	/* the image's Labels, then --label / --label-file, as Docker's Config.Labels */
	if (json_is_object(json_object_get(ic, "Labels")))
		json_object_update(labels, json_object_get(ic, "Labels"));
	for (size_t i = 0; i < o->n_labels; i++) {
		const char *eq = strchr(o->labels[i], '=');
		cleanup_free char *k =
		    eq ? xasprintf("%.*s", (int)(eq - o->labels[i]), o->labels[i])
		       : xstrdup(o->labels[i]);
		json_object_set_new(labels, k, json_string(eq ? eq + 1 : ""));
	}
	json_object_set_new(rec, "labels", labels);
	if (o->init)
		json_object_set_new(rec, "init", json_true());
	if (o->privileged)
		json_object_set_new(rec, "privileged", json_true());
	/* -a: the streams start -a and attach take later; Docker's Config shows them */
	if (o->attach) {
		static const char *const streams[] = {"stdin", "stdout", "stderr"};
		json_t *a = json_array();
		for (unsigned k = 0; k < 3; k++)
			if (o->attach & (1u << k))
				json_array_append_new(a, json_string(streams[k]));
		json_object_set_new(rec, "attach", a);
	}
	json_object_set_new(rec, "Config",
	                    json_pack("{s:b,s:b,s:b}", "AttachStdin", !!(o->attach_config & 1),
	                              "AttachStdout", !!(o->attach_config & 2), "AttachStderr",
	                              !!(o->attach_config & 4)));
}

void ctr_stop_defaults(struct engine *e, const char *id, int *sig, double *secs)
{
	berth_error_t e2 = NULL;
	json_t *rec;

	*sig = SIGTERM;
	*secs = 10;
	if (ctr_load(e, id, &rec, &e2) < 0) {
		berth_error_release(&e2);
		return;
	}
	if (json_is_string(json_object_get(rec, "stop_signal"))) {
		int s = util_parse_signal(json_string_value(json_object_get(rec, "stop_signal")));
		if (s > 0)
			*sig = s;
	}
	if (json_is_integer(json_object_get(rec, "stop_timeout")))
		*secs = (double)json_integer_value(json_object_get(rec, "stop_timeout"));
	json_decref(rec);
}

int ctr_replace(struct engine *e, const char *name, berth_error_t *err)
{
	json_t *all, *r;
	cleanup_free char *id = NULL;
	size_t i;

	if (ctr_list(e, &all, err) < 0)
		return -1;
	json_array_foreach(all, i, r)
	{
		if (strcmp(json_string_value(json_object_get(r, "name")) ?: "", name) == 0) {
			id = xstrdup(json_string_value(json_object_get(r, "id")) ?: "");
			break;
		}
	}
	json_decref(all);
	if (id == NULL || id[0] == '\0')
		return 0;
	return ctr_remove(e, id, true, err);
}

/* ---- the spec --------------------------------------------------------------------------- */

static json_t *runflags_device_json(const char *path, const struct stat *st)
{
	return json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I}", "path", path, "type",
	                 S_ISBLK(st->st_mode) ? "b" : "c", "major", (json_int_t)major(st->st_rdev),
	                 "minor", (json_int_t)minor(st->st_rdev), "fileMode",
	                 (json_int_t)(st->st_mode & 07777), "uid", (json_int_t)st->st_uid, "gid",
	                 (json_int_t)st->st_gid);
}

/* --privileged: the host's devices, as Docker (the top of /dev and its directories, not the
 * ones the container has of its own: pts, shm, mqueue) */
static void runflags_host_devices(json_t *devs, const char *dir, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL && json_array_size(devs) < CONFIG_MAX_DEVICES / 2) {
		cleanup_free char *p = NULL;
		struct stat st;
		if (de->d_name[0] == '.')
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		if (lstat(p, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode) && depth == 0 && strcmp(de->d_name, "pts") != 0 &&
		    strcmp(de->d_name, "shm") != 0 && strcmp(de->d_name, "mqueue") != 0)
			runflags_host_devices(devs, p, depth + 1);
		else if ((S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) &&
		         strcmp(p, "/dev/console") != 0 && strcmp(p, "/dev/ptmx") != 0 &&
		         strcmp(p, "/dev/tty") != 0)
			json_array_append_new(devs, runflags_device_json(p, &st));
	}
	closedir(d);
}

static json_t *runflags_obj(json_t *parent, const char *key)
{
	json_t *v = json_object_get(parent, key);

	if (!json_is_object(v)) {
		v = json_object();
		json_object_set_new(parent, key, v);
	}
	return v;
}

static json_t *runflags_arr(json_t *parent, const char *key)
{
	json_t *v = json_object_get(parent, key);

	if (!json_is_array(v)) {
		v = json_array();
		json_object_set_new(parent, key, v);
	}
	return v;
}

/* Every capability the runtime library knows. */
static json_t *runflags_all_caps(void)
{
	json_t *set = json_array();

	for (int c = 0; c <= CAP_LAST_CAP; c++) {
		char *n = cap_to_name(c);
		cleanup_free char *u =
		    n ? xasprintf("CAP_%s", strncasecmp(n, "cap_", 4) == 0 ? n + 4 : n) : NULL;
		cap_free(n);
		if (u == NULL)
			continue;
		for (char *p = u; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		if (config_cap_from_name(u) >= 0)
			json_array_append_new(set, json_string(u));
	}
	return set;
}

/* The berth-init binary beside berth's own (bin/berth, bin/berth-init): berth runs from a
 * sealed copy, whose real path is in BERTH_SELF (main.c). */
static char *runflags_init_path(berth_error_t *err)
{
	char self[PATH_MAX];
	const char *env = getenv("BERTH_SELF");
	char *slash, *p;

	if (env && env[0] == '/' && strlen(env) < sizeof(self)) {
		snprintf(self, sizeof(self), "%s", env);
	} else {
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n < 0)
			return berth_error(err, errno, "--init: readlink `/proc/self/exe`"), NULL;
		self[n] = '\0';
	}
	slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	p = xasprintf("%s/berth-init", self);
	if (access(p, X_OK) < 0) {
		berth_error(err, errno, "--init: `%s` (installed beside berth)", p);
		free(p);
		return NULL;
	}
	return p;
}

int runflags_apply(json_t *spec, const struct run_opts *o, berth_error_t *err)
{
	json_t *proc = runflags_obj(spec, "process");
	json_t *linux_ = runflags_obj(spec, "linux");
	json_t *mounts = runflags_arr(spec, "mounts");
	json_t *m;
	size_t i;

	/* Docker's default: no_new_privs only when asked */
	json_object_set_new(proc, "noNewPrivileges", json_boolean(o->no_new_privs));
	if (o->privileged) {
		json_t *set = runflags_all_caps();
		json_object_set_new(proc, "capabilities",
		                    json_pack("{s:O,s:O,s:O}", "bounding", set, "effective", set,
		                              "permitted", set));
		json_decref(set);
		json_object_del(linux_, "maskedPaths");
		json_object_del(linux_, "readonlyPaths");
		json_object_del(linux_, "seccomp");
		/* /sys and the cgroup tree writable */
		json_array_foreach(mounts, i, m)
		{
			const char *d = json_string_value(json_object_get(m, "destination")) ?: "";
			json_t *opts = json_object_get(m, "options");
			size_t k;
			if (strcmp(d, "/sys") != 0 && strcmp(d, "/sys/fs/cgroup") != 0)
				continue;
			for (k = json_array_size(opts); k-- > 0;)
				if (strcmp(json_string_value(json_array_get(opts, k)) ?: "",
				           "ro") == 0)
					json_array_set_new(opts, k, json_string("rw"));
		}
		{
			json_t *devs = runflags_arr(linux_, "devices");
			json_t *res = runflags_obj(linux_, "resources");
			runflags_host_devices(devs, "/dev", 0);
			json_object_set_new(res, "devices",
			                    json_pack("[{s:b,s:s}]", "allow", 1, "access", "rwm"));
		}
	}
	if (o->seccomp && strcmp(o->seccomp, "unconfined") == 0) {
		json_object_del(linux_, "seccomp");
	} else if (o->seccomp) {
		json_t *prof;
		if (runflags_load_seccomp(o->seccomp, &prof, err) < 0)
			return -1;
		json_object_set_new(linux_, "seccomp", prof);
	} else if (!o->privileged) {
		json_t *caps = json_object_get(json_object_get(proc, "capabilities"), "bounding");
		json_object_set_new(linux_, "seccomp", seccomp_default_profile(caps));
	}
	for (i = 0; i < o->n_ulimits; i++) {
		json_t *rl = runflags_arr(proc, "rlimits");
		char *type;
		uint64_t s, h;
		size_t k;
		if (runflags_parse_ulimit(o->ulimits[i], &type, &s, &h, err) < 0)
			return -1;
		for (k = json_array_size(rl); k-- > 0;)
			if (strcmp(json_string_value(json_object_get(json_array_get(rl, k), "type"))
			               ?: "",
			           type) == 0)
				json_array_remove(rl, k);
		/* jansson's integers are signed: unlimited is kept as the largest */
		json_array_append_new(rl,
		                      json_pack("{s:s,s:I,s:I}", "type", type, "soft",
		                                (json_int_t)(s > INT64_MAX ? INT64_MAX : s), "hard",
		                                (json_int_t)(h > INT64_MAX ? INT64_MAX : h)));
		free(type);
	}
	for (i = 0; i < o->n_sysctls; i++) {
		const char *eq = strchr(o->sysctls[i], '=');
		cleanup_free char *k = xasprintf("%.*s", (int)(eq - o->sysctls[i]), o->sysctls[i]);
		json_object_set_new(runflags_obj(linux_, "sysctl"), k, json_string(eq + 1));
	}
	if (o->shm_size > 0) {
		json_array_foreach(mounts, i, m)
		{
			json_t *opts = json_object_get(m, "options");
			size_t k;
			if (strcmp(json_string_value(json_object_get(m, "destination")) ?: "",
			           "/dev/shm") != 0)
				continue;
			for (k = json_array_size(opts); k-- > 0;)
				if (strncmp(json_string_value(json_array_get(opts, k)) ?: "",
				            "size=", 5) == 0)
					json_array_remove(opts, k);
			{
				cleanup_free char *sz =
				    xasprintf("size=%lldk", (long long)(o->shm_size + 1023) / 1024);
				json_array_append_new(opts, json_string(sz));
			}
		}
	}
	for (i = 0; i < o->n_devices; i++) {
		struct runflags_dev d = {0};
		struct stat st;
		json_t *res = runflags_obj(linux_, "resources");
		if (runflags_parse_device(o->devices[i], &d, &st, err) < 0)
			return -1;
		json_array_append_new(runflags_arr(linux_, "devices"),
		                      runflags_device_json(d.ctr, &st));
		json_array_append_new(runflags_arr(res, "devices"),
		                      json_pack("{s:b,s:s,s:I,s:I,s:s}", "allow", 1, "type",
		                                S_ISBLK(st.st_mode) ? "b" : "c", "major",
		                                (json_int_t)major(st.st_rdev), "minor",
		                                (json_int_t)minor(st.st_rdev), "access", d.access));
		runflags_dev_free(&d);
	}
	if (o->tz) {
		cleanup_free char *kv = xasprintf("TZ=%s", o->tz);
		json_t *env = runflags_arr(proc, "env");
		json_t *v;
		size_t k;
		json_array_foreach(env, k,
		                   v) if (strncmp(json_string_value(v) ?: "", "TZ=", 3) == 0)
		{
			json_array_remove(env, k);
			break;
		}
		json_array_append_new(env, json_string(kv));
	}
	if (o->init) {
		cleanup_free char *path = runflags_init_path(err);
		json_t *args = json_object_get(proc, "args");
		json_t *nargs;
		if (path == NULL)
			return -1;
		json_array_append_new(mounts, json_pack("{s:s,s:s,s:s,s:[s,s,s]}", "destination",
		                                        "/dev/init", "type", "bind", "source", path,
		                                        "options", "rbind", "ro", "nosuid"));
		nargs = json_pack("[s,s]", "/dev/init", "--");
		json_array_extend(nargs, args);
		json_object_set_new(proc, "args", nargs);
	}
	return 0;
}
