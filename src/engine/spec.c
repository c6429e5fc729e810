/* SPDX-License-Identifier: MIT */
/* The container's config.json, from berth-runtime's default spec, the image config
 * (Entrypoint, Cmd, Env, WorkingDir, User, applied as Docker does) and `berth run`'s
 * options. */
#include "image_priv.h"
#include "resources.h"
#include "user.h"
#include "config.h"
#include "rootless.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/stat.h>

int64_t spec_parse_size(const char *s)
{
	char *end;
	double v;
	int64_t mul = 1;

	if (s == NULL || !isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || v <= 0)
		return -1;
	switch (tolower((unsigned char)*end)) {
	case '\0':
		break;
	case 'b':
		end++;
		break;
	case 'k':
		mul = 1024, end++;
		break;
	case 'm':
		mul = 1024 * 1024, end++;
		break;
	case 'g':
		mul = 1024LL * 1024 * 1024, end++;
		break;
	default:
		return -1;
	}
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end != '\0' || v * (double)mul > 9e18)
		return -1;
	return (int64_t)(v * (double)mul);
}

int spec_parse_memory(const char *s, int64_t *out, berth_error_t *err)
{
	int64_t v = spec_parse_size(s);

	if (v <= 0)
		return berth_error(err, 0, "bad --memory `%s`: expected a size like 64m or 1g", s);
	/* the runtime's own minimum: below it the container's init could not even start */
	if (v < CONFIG_MIN_MEMORY_LIMIT)
		return berth_error(err, 0,
		                   "bad --memory `%s`: %lld bytes is below the minimum of %lldm "
		                   "(%lld bytes)",
		                   s, (long long)v, CONFIG_MIN_MEMORY_LIMIT / (1024 * 1024),
		                   (long long)CONFIG_MIN_MEMORY_LIMIT);
	*out = v;
	return 0;
}

int spec_check_workdir(const char *what, const char *dir, berth_error_t *err)
{
	const char *p = dir;

	if (dir[0] != '/')
		return berth_error(err, 0, "bad %s `%s`: expected an absolute path", what, dir);
	/* the first component that is not `.`, `..` (which stay at /) or empty */
	for (;;) {
		size_t n;
		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) {
			p += n;
			continue;
		}
		if (n == 4 && strncmp(p, "proc", 4) == 0)
			return berth_error(err, 0,
			                   "bad %s `%s`: a working directory under /proc could "
			                   "lead out of the container; give a directory of its own",
			                   what, dir);
		return 0;
	}
}

/* -v's container path, lexically clean (as Go's path.Clean, Docker's): "/data/" and
 * "/x/../data//" are "/data". A new string. */
char *spec_clean_path(const char *path)
{
	char *out = xmalloc0(strlen(path) + 2);
	size_t n = 0;

	for (const char *p = path; *p;) {
		size_t len;
		while (*p == '/')
			p++;
		len = strcspn(p, "/");
		if (len == 0 || (len == 1 && p[0] == '.')) {
			/* nothing */
		} else if (len == 2 && p[0] == '.' && p[1] == '.') {
			while (n > 0 && out[n - 1] != '/')
				n--;
			if (n > 0)
				n--;
		} else {
			out[n++] = '/';
			memcpy(out + n, p, len);
			n += len;
		}
		p += len;
	}
	if (n == 0)
		out[n++] = '/';
	out[n] = '\0';
	return out;
}

int spec_check_opts(const struct run_opts *o, berth_error_t *err)
{
	if (o->workdir && spec_check_workdir("-w", o->workdir, err) < 0)
		return -1;
	/* -v, --mount, --tmpfs (volume.c) */
	if (volume_check_opts(o, err) < 0)
		return -1;
	for (size_t i = 0; i < o->n_env; i++)
		if (o->env[i][0] == '=' || o->env[i][0] == '\0')
			return berth_error(err, 0, "bad -e `%s`: expected KEY=VALUE", o->env[i]);
	if (o->user) {
		cleanup_free char *u = xstrdup(o->user);
		char *g = strchr(u, ':');
		if (g)
			*g++ = '\0';
		if (u[0] == '\0' || (g && g[0] == '\0') || strchr(u, '/') || (g && strchr(g, ':')))
			return berth_error(err, 0,
			                   "bad -u `%s`: expected NAME, UID, UID:GID or NAME:GROUP",
			                   o->user);
	}
	for (size_t i = 0; i < o->n_group_add; i++)
		if (o->group_add[i][0] == '\0' || strchr(o->group_add[i], ':'))
			return berth_error(err, 0, "bad --group-add `%s`: expected GROUP or GID",
			                   o->group_add[i]);
	if (res_check(o, err) < 0)
		return -1;
	return runflags_check(o, err);
}

/* process.user from spec (-u or the image's User, what names it) and --group-add, resolved
 * against the image's /etc/passwd and /etc/group, read inside the rootfs (user.c). */
static int spec_user(const char *what, const char *spec, const struct run_opts *o,
                     const char *rootfs, json_t *user, berth_error_t *err)
{
	cleanup_close int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cleanup_free char *passwd = NULL;
	cleanup_free char *group = NULL;
	struct user_ids ids;
	json_t *gids;

	if (rootfd < 0)
		return berth_error(err, errno, "open `%s`", rootfs);
	if (user_read_file(rootfd, "/etc/passwd", &passwd, err) < 0 ||
	    user_read_file(rootfd, "/etc/group", &group, err) < 0)
		return -1;
	if (user_resolve(what, spec ? spec : "0", passwd, group, o->group_add, o->n_group_add, &ids,
	                 err) < 0)
		return -1;
	json_object_set_new(user, "uid", json_integer(ids.uid));
	json_object_set_new(user, "gid", json_integer(ids.gid));
	gids = json_array();
	for (size_t i = 0; i < ids.n_groups; i++)
		json_array_append_new(gids, json_integer(ids.groups[i]));
	if (ids.n_groups)
		json_object_set_new(user, "additionalGids", gids);
	else
		json_decref(gids);
	user_ids_free(&ids);
	return 0;
}

static void spec_env_set(json_t *env, const char *kv)
{
	const char *eq = strchr(kv, '=');
	size_t klen = eq ? (size_t)(eq - kv) : strlen(kv);
	json_t *v;
	size_t i;

	json_array_foreach(env, i, v)
	{
		const char *s = json_string_value(v);
		if (s && strncmp(s, kv, klen) == 0 && (s[klen] == '=' || s[klen] == '\0')) {
			json_array_set_new(env, i, json_string(kv));
			return;
		}
	}
	json_array_append_new(env, json_string(kv));
}

/* Docker's default capability set (moby's oci/caps/defaults.go): Podman's eleven and
 * AUDIT_WRITE, MKNOD, NET_RAW. */
static const char *const spec_default_caps[] = {
    "CAP_AUDIT_WRITE", "CAP_CHOWN",   "CAP_DAC_OVERRIDE",     "CAP_FOWNER",     "CAP_FSETID",
    "CAP_KILL",        "CAP_MKNOD",   "CAP_NET_BIND_SERVICE", "CAP_NET_RAW",    "CAP_SETFCAP",
    "CAP_SETGID",      "CAP_SETPCAP", "CAP_SETUID",           "CAP_SYS_CHROOT",
};

static char *spec_cap_name(const char *c)
{
	char *n = strncasecmp(c, "CAP_", 4) == 0 ? xstrdup(c) : xasprintf("CAP_%s", c);
	for (char *p = n; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	return n;
}

static int spec_caps(const struct run_opts *o, json_t *proc, berth_error_t *err)
{
	json_t *set = json_array();
	bool all_dropped = false;

	for (size_t i = 0; i < o->n_cap_drop; i++)
		if (strcasecmp(o->cap_drop[i], "ALL") == 0)
			all_dropped = true;
	if (!all_dropped)
		for (size_t i = 0; i < ARRAY_SIZE(spec_default_caps); i++)
			json_array_append_new(set, json_string(spec_default_caps[i]));
	for (size_t i = 0; i < o->n_cap_add; i++) {
		if (strcasecmp(o->cap_add[i], "ALL") == 0) {
			json_array_clear(set);
			for (int c = 0; c <= CAP_LAST_CAP; c++) {
				char *n = cap_to_name(c);
				char *u = n ? spec_cap_name(n) : NULL;
				if (u && config_cap_from_name(u) >= 0)
					json_array_append_new(set, json_string(u));
				free(u);
				cap_free(n);
			}
			continue;
		}
		cleanup_free char *n = spec_cap_name(o->cap_add[i]);
		if (config_cap_from_name(n) < 0) {
			json_decref(set);
			return berth_error(err, 0, "bad --cap-add `%s`: unknown capability",
			                   o->cap_add[i]);
		}
		json_array_append_new(set, json_string(n));
	}
	for (size_t i = 0; i < o->n_cap_drop; i++) {
		cleanup_free char *n = NULL;
		json_t *v;
		size_t k;
		if (strcasecmp(o->cap_drop[i], "ALL") == 0)
			continue;
		n = spec_cap_name(o->cap_drop[i]);
		if (config_cap_from_name(n) < 0) {
			json_decref(set);
			return berth_error(err, 0, "bad --cap-drop `%s`: unknown capability",
			                   o->cap_drop[i]);
		}
		for (k = json_array_size(set); k-- > 0;) {
			v = json_array_get(set, k);
			if (strcmp(json_string_value(v), n) == 0)
				json_array_remove(set, k);
		}
	}
	json_object_set_new(
	    proc, "capabilities",
	    json_pack("{s:O,s:O,s:O}", "bounding", set, "effective", set, "permitted", set));
	json_decref(set);
	return 0;
}

int spec_build(const struct image *img, const struct run_opts *o, const char *id,
               const char *rootfs, const char *netns, const char *etc, json_t *mounts, json_t **out,
               berth_error_t *err)
{
	json_t *spec = config_default_spec(false);
	json_t *ic = json_object_get(img->config, "config");
	json_t *proc = json_object_get(spec, "process");
	json_t *linux_ = json_object_get(spec, "linux");
	json_t *args = json_array();
	json_t *env = json_array();
	json_t *ep = json_object_get(ic, "Entrypoint");
	json_t *cmd = json_object_get(ic, "Cmd");
	json_t *v;
	const char *wd = json_string_value(json_object_get(ic, "WorkingDir"));
	const char *user = json_string_value(json_object_get(ic, "User"));
	size_t i;

	if (!o->workdir && wd && wd[0] && spec_check_workdir("image WorkingDir", wd, err) < 0) {
		json_decref(args);
		json_decref(env);
		json_decref(spec);
		return -1;
	}

	/* Entrypoint + Cmd, as Docker: --entrypoint resets the image's Cmd */
	if (o->has_entrypoint) {
		if (o->entrypoint[0])
			json_array_append_new(args, json_string(o->entrypoint));
	} else {
		json_array_foreach(ep, i, v) json_array_append(args, v);
	}
	if (o->n_cmd) {
		for (i = 0; i < o->n_cmd; i++)
			json_array_append_new(args, json_string(o->cmd[i]));
	} else if (!o->has_entrypoint) {
		json_array_foreach(cmd, i, v) json_array_append(args, v);
	}
	if (json_array_size(args) == 0) {
		json_decref(args);
		json_decref(env);
		json_decref(spec);
		return berth_error(
		    err, 0, "no command: the image has neither Entrypoint nor Cmd; give one");
	}
	json_object_set_new(proc, "args", args);

	spec_env_set(env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	json_array_foreach(json_object_get(ic, "Env"), i, v) if (json_string_value(v))
	    spec_env_set(env, json_string_value(v));
	if (o->tty)
		spec_env_set(env, "TERM=xterm");
	{
		/* the container's hostname, as Docker: --hostname, or the 12-character short id
		 * (the "hostname" below) */
		cleanup_free char *h = o->hostname ? xasprintf("HOSTNAME=%s", o->hostname)
		                                   : xasprintf("HOSTNAME=%.12s", id);
		spec_env_set(env, h);
	}
	for (i = 0; i < o->n_env; i++) {
		if (strchr(o->env[i], '=')) {
			spec_env_set(env, o->env[i]);
		} else if (getenv(o->env[i])) {
			/* -e KEY: the value from berth's environment, as Docker */
			cleanup_free char *kv = xasprintf("%s=%s", o->env[i], getenv(o->env[i]));
			spec_env_set(env, kv);
		}
	}
	json_object_set_new(proc, "env", env);
	json_object_set_new(proc, "cwd",
	                    json_string(o->workdir    ? o->workdir
	                                : wd && wd[0] ? wd
	                                              : "/"));
	json_object_set_new(proc, "terminal", json_boolean(o->tty));
	/* -u, else the image's User, else root: through the image's /etc/passwd and /etc/group
	 * as Docker (root's supplementary groups too, and --group-add's) */
	if (spec_user(o->user ? "-u" : "image User",
	              o->user           ? o->user
	              : user && user[0] ? user
	                                : NULL,
	              o, rootfs, json_object_get(proc, "user"), err) < 0) {
		json_decref(spec);
		return -1;
	}
	if (spec_caps(o, proc, err) < 0) {
		json_decref(spec);
		return -1;
	}
	json_object_set_new(spec, "root",
	                    json_pack("{s:s,s:b}", "path", rootfs, "readonly", o->read_only));
	{
		char h[13];
		snprintf(h, sizeof(h), "%s", id);
		json_object_set_new(spec, "hostname", json_string(o->hostname ? o->hostname : h));
	}
	/* -v, --mount, --tmpfs: made by volume_prepare */
	json_array_foreach(mounts, i, v) json_array_append(json_object_get(spec, "mounts"), v);
	if ((o->network && strcmp(o->network, "host") == 0) || netns) {
		json_t *ns = json_object_get(linux_, "namespaces");
		for (i = json_array_size(ns); i-- > 0;)
			if (strcmp(json_string_value(json_object_get(json_array_get(ns, i), "type"))
			               ?: "",
			           "network") == 0)
				json_array_remove(ns, i);
		/* the namespace the engine made (network.c): the runtime joins it */
		if (netns)
			json_array_append_new(
			    ns, json_pack("{s:s,s:s}", "type", "network", "path", netns));
		else if (rootless_active())
			/* an ordinary user may not mount the sysfs of the host's network */
			rootless_sys_bind(spec);
	}
	if (etc) {
		static const char *const files[] = {"hosts", "resolv.conf", "hostname"};
		for (i = 0; i < ARRAY_SIZE(files); i++) {
			cleanup_free char *src = xasprintf("%s/%s", etc, files[i]);
			cleanup_free char *dst = xasprintf("/etc/%s", files[i]);
			json_array_append_new(json_object_get(spec, "mounts"),
			                      json_pack("{s:s,s:s,s:s,s:[s,s]}", "destination", dst,
			                                "type", "bind", "source", src, "options",
			                                "rbind", "rw"));
		}
	}
	{
		json_t *res = json_object();
		if (o->memory > 0)
			json_object_set_new(res, "memory",
			                    json_pack("{s:I}", "limit", (json_int_t)o->memory));
		if (o->cpus > 0)
			json_object_set_new(res, "cpu",
			                    json_pack("{s:I,s:I}", "quota",
			                              (json_int_t)llround(o->cpus * 100000),
			                              "period", (json_int_t)100000));
		if (o->pids > 0)
			json_object_set_new(res, "pids",
			                    json_pack("{s:I}", "limit", (json_int_t)o->pids));
		json_object_set_new(linux_, "resources", res);
	}
	{
		cleanup_free char *cg = xasprintf("/berth/%s", id);
		json_object_set_new(linux_, "cgroupsPath", json_string(cg));
	}
	if (runflags_apply(spec, o, err) < 0) {
		json_decref(spec);
		return -1;
	}
	*out = spec;
	return 0;
}
