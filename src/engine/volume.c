/* SPDX-License-Identifier: MIT */
/* Volumes (Docker's local driver): volumes/<name>/volume.json (the record) and
 * volumes/<name>/_data (what is mounted), and a container's mounts as `run` takes them:
 * -v HOST:CTR[:ro|rw], -v NAME:CTR[:ro|rw], -v CTR (an anonymous volume), --mount
 * type=bind|volume|tmpfs,… and --tmpfs CTR[:OPTS]. A named volume is made on first use and,
 * while it is empty, filled with the image's content at the mount point (copied without
 * following a link out of the container's root). */
#include "image_priv.h"
#include "events.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

/* Docker marks the volumes it made for a container with this label. */
#define VOLUME_ANON_LABEL "com.docker.volume.anonymous"

enum volume_type { VOL_BIND, VOL_VOLUME, VOL_TMPFS };

struct volume_mount {
	enum volume_type type;
	const char *what; /* "-v", "--mount" or "--tmpfs" */
	const char *arg;  /* as given */
	char *src;        /* the host path, the volume's name (NULL: anonymous), NULL for tmpfs */
	char *dst;        /* the container path, clean */
	bool ro;
	char *tmpfs_opts; /* "size=…,mode=…" or NULL */
	bool idmap;       /* an idmapped bind (:idmap, --mount …,idmap) */
	char *idmap_maps; /* its "uids=C-H-S[#…];gids=C-H-S[#…]", NULL: the container's */
};

int volume_check_name(const char *what, const char *name, berth_error_t *err)
{
	size_t n = strlen(name);

	if (n < 2 || n > 255 ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                 "0123456789") == 0 ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != n)
		return berth_error(err, 0,
		                   "bad %s `%s`: a volume name is [a-zA-Z0-9][a-zA-Z0-9_.-]+ "
		                   "(at most 255)",
		                   what, name);
	return 0;
}

static void volume_mounts_free(struct volume_mount *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].src);
		free(v[i].dst);
		free(v[i].tmpfs_opts);
		free(v[i].idmap_maps);
	}
	free(v);
}

static bool volume_is_mode(const char *s)
{
	return strcmp(s, "ro") == 0 || strcmp(s, "rw") == 0;
}

/* An idmap option's value, crun's and Podman's "uids=C-H-S[#C-H-S…];gids=…": on-disk ids C…
 * show as host ids H… (containerID and hostID of mounts[].uidMappings). Both lists are
 * required, at most 8 ranges each. */
static int volume_check_idmap(const char *what, const char *arg, const char *val,
                              berth_error_t *err)
{
	cleanup_free char *v = xstrdup(val);
	bool uids = false, gids = false;

	for (char *s1 = NULL, *part = strtok_r(v, ";", &s1); part;
	     part = strtok_r(NULL, ";", &s1)) {
		char *eq = strchr(part, '=');
		int n = 0;
		if (eq == NULL || !((eq - part == 4 && strncmp(part, "uids", 4) == 0 && !uids) ||
		                    (eq - part == 4 && strncmp(part, "gids", 4) == 0 && !gids)))
			goto bad;
		if (part[0] == 'u')
			uids = true;
		else
			gids = true;
		for (char *s2 = NULL, *r = strtok_r(eq + 1, "#", &s2); r;
		     r = strtok_r(NULL, "#", &s2), n++) {
			unsigned long long c, h, z;
			int used = -1;
			if (n == 8 || sscanf(r, "%llu-%llu-%llu%n", &c, &h, &z, &used) != 3 ||
			    used != (int)strlen(r) || strspn(r, "0123456789-") != strlen(r) ||
			    strstr(r, "--") || r[0] == '-' || z == 0 || c > UINT32_MAX ||
			    h > UINT32_MAX || z > UINT32_MAX || c + z > 4294967295ULL ||
			    h + z > 4294967295ULL)
				goto bad;
		}
		if (n == 0)
			goto bad;
	}
	if (uids && gids)
		return 0;
bad:
	return berth_error(err, 0,
	                   "bad %s `%s`: bad idmap `%s`: expected idmap=uids=DISK-HOST-SIZE[#…];"
	                   "gids=DISK-HOST-SIZE[#…] (at most 8 ranges each, sizes above 0)",
	                   what, arg, val);
}

/* The maps of an idmap value (checked) as mounts[].uidMappings or gidMappings ("uids"/"gids") */
static json_t *volume_idmap_json(const char *maps, const char *which)
{
	cleanup_free char *v = xstrdup(maps);
	json_t *a = json_array();

	for (char *s1 = NULL, *part = strtok_r(v, ";", &s1); part;
	     part = strtok_r(NULL, ";", &s1)) {
		if (strncmp(part, which, 4) != 0)
			continue;
		for (char *s2 = NULL, *r = strtok_r(part + 5, "#", &s2); r;
		     r = strtok_r(NULL, "#", &s2)) {
			unsigned long long c = 0, h = 0, z = 0;
			sscanf(r, "%llu-%llu-%llu", &c, &h, &z);
			json_array_append_new(a, json_pack("{s:I,s:I,s:I}", "containerID",
			                                   (json_int_t)c, "hostID", (json_int_t)h,
			                                   "size", (json_int_t)z));
		}
	}
	return a;
}

/* -v's third part: ro, rw, idmap[=MAPS], comma-separated */
static int volume_parse_v_opts(const char *arg, char *opts, struct volume_mount *m,
                               berth_error_t *err)
{
	for (char *save = NULL, *o = strtok_r(opts, ",", &save); o;
	     o = strtok_r(NULL, ",", &save)) {
		if (strcmp(o, "ro") == 0 || strcmp(o, "rw") == 0) {
			m->ro = strcmp(o, "ro") == 0;
		} else if (strcmp(o, "idmap") == 0) {
			m->idmap = true;
		} else if (strncmp(o, "idmap=", 6) == 0) {
			if (volume_check_idmap("-v", arg, o + 6, err) < 0)
				return -1;
			m->idmap = true;
			free(m->idmap_maps);
			m->idmap_maps = xstrdup(o + 6);
		} else {
			return berth_error(err, 0,
			                   "bad -v `%s`: unknown mode `%s` (ro, rw, idmap or "
			                   "idmap=uids=…;gids=…)",
			                   arg, o);
		}
	}
	return 0;
}

/* -v SRC:DST[:MODE] or -v DST */
static int volume_parse_v(const char *arg, struct volume_mount *m, berth_error_t *err)
{
	cleanup_free char *v = xstrdup(arg);
	char *parts[3] = {v, NULL, NULL};
	int n = 1;

	for (char *p = v; *p; p++)
		if (*p == ':') {
			if (n == 3)
				return berth_error(err, 0,
				                   "bad -v `%s`: expected "
				                   "[HOST|NAME:]CONTAINER[:ro|rw][,idmap[=MAPS]]",
				                   arg);
			*p = '\0';
			parts[n++] = p + 1;
		}
	if (n == 1) {
		m->type = VOL_VOLUME;
		m->dst = xstrdup(parts[0]);
	} else {
		m->dst = xstrdup(parts[1]);
		m->src = xstrdup(parts[0]);
		if (parts[0][0] == '/')
			m->type = VOL_BIND;
		else if (parts[0][0] == '\0')
			return berth_error(err, 0, "bad -v `%s`: empty source", arg);
		else if (strchr(parts[0], '/') || parts[0][0] == '.')
			return berth_error(err, 0,
			                   "bad -v `%s`: `%s` is a relative path; give an absolute "
			                   "host path or a volume name",
			                   arg, parts[0]);
		else if (volume_check_name("-v", parts[0], err) < 0)
			return -1;
		else
			m->type = VOL_VOLUME;
		if (n == 3 && volume_parse_v_opts(arg, parts[2], m, err) < 0)
			return -1;
	}
	if (m->dst[0] != '/')
		return berth_error(err, 0, "bad -v `%s`: the container path `%s` must be absolute",
		                   arg, m->dst);
	return 0;
}

static bool volume_bool(const char *s, bool *out)
{
	if (s == NULL || strcmp(s, "true") == 0 || strcmp(s, "1") == 0)
		*out = true;
	else if (strcmp(s, "false") == 0 || strcmp(s, "0") == 0)
		*out = false;
	else
		return false;
	return true;
}

/* --mount type=…,source=…,target=…[,readonly][,tmpfs-size=…][,tmpfs-mode=…] */
static int volume_parse_mount(const char *arg, struct volume_mount *m, berth_error_t *err)
{
	cleanup_free char *v = xstrdup(arg);
	const char *type = NULL;
	cleanup_free char *opts = NULL;
	bool has_tmpfs_opt = false;

	for (char *save = NULL, *kv = strtok_r(v, ",", &save); kv;
	     kv = strtok_r(NULL, ",", &save)) {
		char *val = strchr(kv, '=');
		if (val)
			*val++ = '\0';
		if (strcmp(kv, "type") == 0 && val) {
			type = val;
		} else if ((strcmp(kv, "source") == 0 || strcmp(kv, "src") == 0) && val) {
			free(m->src);
			m->src = val[0] ? xstrdup(val) : NULL;
		} else if ((strcmp(kv, "target") == 0 || strcmp(kv, "destination") == 0 ||
		            strcmp(kv, "dst") == 0) &&
		           val) {
			free(m->dst);
			m->dst = xstrdup(val);
		} else if (strcmp(kv, "readonly") == 0 || strcmp(kv, "ro") == 0) {
			if (!volume_bool(val, &m->ro))
				return berth_error(
				    err, 0, "bad --mount `%s`: bad %s value `%s` (true or false)",
				    arg, kv, val);
		} else if (strcmp(kv, "idmap") == 0) {
			if (val && volume_check_idmap("--mount", arg, val, err) < 0)
				return -1;
			m->idmap = true;
			free(m->idmap_maps);
			m->idmap_maps = val ? xstrdup(val) : NULL;
		} else if (strcmp(kv, "tmpfs-size") == 0 && val) {
			int64_t sz = spec_parse_size(val);
			char *t;
			if (sz <= 0)
				return berth_error(
				    err, 0,
				    "bad --mount `%s`: bad tmpfs-size `%s` (a size like "
				    "64m)",
				    arg, val);
			t = xasprintf("%s%ssize=%lld", opts ? opts : "", opts ? "," : "",
			              (long long)sz);
			free(opts);
			opts = t;
			has_tmpfs_opt = true;
		} else if (strcmp(kv, "tmpfs-mode") == 0 && val) {
			char *end, *t;
			unsigned long mode = strtoul(val, &end, 8);
			if (val[0] == '\0' || *end || mode > 07777)
				return berth_error(
				    err, 0,
				    "bad --mount `%s`: bad tmpfs-mode `%s` (octal, as "
				    "1777)",
				    arg, val);
			t = xasprintf("%s%smode=%lo", opts ? opts : "", opts ? "," : "", mode);
			free(opts);
			opts = t;
			has_tmpfs_opt = true;
		} else {
			return berth_error(
			    err, 0,
			    "bad --mount `%s`: unknown key `%s` (type, source, target, "
			    "readonly, idmap, tmpfs-size, tmpfs-mode)",
			    arg, kv);
		}
	}
	if (type == NULL || strcmp(type, "volume") == 0)
		m->type = VOL_VOLUME;
	else if (strcmp(type, "bind") == 0)
		m->type = VOL_BIND;
	else if (strcmp(type, "tmpfs") == 0)
		m->type = VOL_TMPFS;
	else
		return berth_error(err, 0,
		                   "bad --mount `%s`: unknown type `%s` (bind, volume or tmpfs)",
		                   arg, type);
	if (m->dst == NULL || m->dst[0] != '/')
		return berth_error(err, 0, "bad --mount `%s`: expected target=ABSOLUTE-PATH", arg);
	if (m->idmap && m->type == VOL_TMPFS)
		return berth_error(err, 0, "bad --mount `%s`: idmap is for a bind or a volume",
		                   arg);
	if (has_tmpfs_opt && m->type != VOL_TMPFS)
		return berth_error(err, 0, "bad --mount `%s`: tmpfs options need type=tmpfs", arg);
	if (m->type == VOL_TMPFS && m->src)
		return berth_error(err, 0, "bad --mount `%s`: a tmpfs takes no source", arg);
	if (m->type == VOL_BIND && (m->src == NULL || m->src[0] != '/'))
		return berth_error(err, 0,
		                   "bad --mount `%s`: a bind needs source=ABSOLUTE-HOST-PATH", arg);
	if (m->type == VOL_VOLUME && m->src && volume_check_name("--mount source", m->src, err) < 0)
		return -1;
	m->tmpfs_opts = opts;
	opts = NULL;
	return 0;
}

/* --tmpfs CTR[:OPTS], OPTS as mount(8)'s for a tmpfs */
static int volume_parse_tmpfs(const char *arg, struct volume_mount *m, berth_error_t *err)
{
	static const char *const flags[] = {"rw",     "ro",  "exec",  "noexec", "suid",
	                                    "nosuid", "dev", "nodev", "atime",  "noatime"};
	static const char *const keyed[] = {"size=", "mode=", "uid=", "gid=", "nr_inodes="};
	const char *colon = strchr(arg, ':');
	cleanup_free char *opts = colon ? xstrdup(colon + 1) : NULL;
	cleanup_free char *copy = opts ? xstrdup(opts) : NULL;

	m->type = VOL_TMPFS;
	m->dst = colon ? xasprintf("%.*s", (int)(colon - arg), arg) : xstrdup(arg);
	if (m->dst[0] != '/')
		return berth_error(err, 0, "bad --tmpfs `%s`: expected ABSOLUTE-PATH[:OPTIONS]",
		                   arg);
	for (char *save = NULL, *o = copy ? strtok_r(copy, ",", &save) : NULL; o;
	     o = strtok_r(NULL, ",", &save)) {
		bool ok = false;
		for (size_t i = 0; i < ARRAY_SIZE(flags) && !ok; i++)
			ok = strcmp(o, flags[i]) == 0;
		for (size_t i = 0; i < ARRAY_SIZE(keyed) && !ok; i++)
			ok = strncmp(o, keyed[i], strlen(keyed[i])) == 0 && o[strlen(keyed[i])];
		if (!ok)
			return berth_error(err, 0,
			                   "bad --tmpfs `%s`: unknown option `%s` (rw, ro, exec, "
			                   "noexec, suid, nosuid, dev, nodev, size=, mode=, uid=, "
			                   "gid=, nr_inodes=)",
			                   arg, o);
		if (strcmp(o, "ro") == 0)
			m->ro = true;
	}
	m->tmpfs_opts = opts;
	opts = NULL;
	return 0;
}

/* Every mount of o, parsed and checked (one line naming the argument otherwise). */
static int volume_parse_all(const struct run_opts *o, struct volume_mount **out, size_t *n_out,
                            berth_error_t *err)
{
	size_t n = o->n_volumes + o->n_mounts + o->n_tmpfs, k = 0;
	struct volume_mount *v = xmalloc0((n + 1) * sizeof(*v));
	int r = 0;

	for (size_t i = 0; i < o->n_volumes && r == 0; i++, k++) {
		v[k].what = "-v", v[k].arg = o->volumes[i];
		r = volume_parse_v(o->volumes[i], &v[k], err);
	}
	for (size_t i = 0; i < o->n_mounts && r == 0; i++, k++) {
		v[k].what = "--mount", v[k].arg = o->mounts[i];
		r = volume_parse_mount(o->mounts[i], &v[k], err);
	}
	for (size_t i = 0; i < o->n_tmpfs && r == 0; i++, k++) {
		v[k].what = "--tmpfs", v[k].arg = o->tmpfs[i];
		r = volume_parse_tmpfs(o->tmpfs[i], &v[k], err);
	}
	for (size_t i = 0; i < k && r == 0; i++) {
		char *c = spec_clean_path(v[i].dst);
		free(v[i].dst);
		v[i].dst = c;
	}
	/* two mounts on one container path: which is seen would depend on the order */
	for (size_t i = 0; i < k && r == 0; i++)
		for (size_t j = 0; j < i && r == 0; j++)
			if (strcmp(v[i].dst, v[j].dst) == 0)
				r = berth_error(
				    err, 0,
				    "%s `%s` and %s `%s`: both mount on `%s` (one mount "
				    "per container path)",
				    v[j].what, v[j].arg, v[i].what, v[i].arg, v[i].dst);
	for (size_t i = 0; i < k && r == 0; i++) {
		struct stat st;
		if (v[i].type == VOL_BIND && stat(v[i].src, &st) < 0)
			r = berth_error(err, errno, "bad %s `%s`: `%s`", v[i].what, v[i].arg,
			                v[i].src);
	}
	if (r < 0) {
		volume_mounts_free(v, k);
		return -1;
	}
	*out = v;
	*n_out = k;
	return 0;
}

int volume_check_opts(const struct run_opts *o, berth_error_t *err)
{
	struct volume_mount *v;
	size_t n;

	for (size_t i = 0; i < o->n_volumes_from; i++) {
		const char *f = o->volumes_from[i], *c = strchr(f, ':');
		if (c == f || f[0] == '\0' || (c && !volume_is_mode(c + 1)))
			return berth_error(err, 0, "bad --volumes-from `%s`: expected NAME[:ro|rw]",
			                   f);
	}
	if (volume_parse_all(o, &v, &n, err) < 0)
		return -1;
	volume_mounts_free(v, n);
	return 0;
}

/* ---- the store ------------------------------------------------------------------------ */

static json_t *volume_load(struct engine *e, const char *name, berth_error_t *err)
{
	cleanup_free char *p = engine_path(e, "volumes/%s/volume.json", name);
	struct stat st;

	if (stat(p, &st) < 0)
		return berth_error(err, 0, "no volume \"%s\" (berth volume ls lists them)", name),
		       NULL;
	return image_json_load(p, err);
}

static void volume_random_name(char out[65])
{
	unsigned char rnd[32] = {0};

	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		memset(rnd, 0x5a, sizeof(rnd)); /* never reached in practice; names stay unique
		                                   by the check in the caller */
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", rnd[i]);
}

/* Made under the engine's lock. *created: whether it was new. */
static int volume_create_locked(struct engine *e, const char *name, char **labels, size_t n_labels,
                                bool anonymous, bool *created, berth_error_t *err)
{
	cleanup_free char *dir = engine_path(e, "volumes/%s", name);
	cleanup_free char *data = engine_path(e, "volumes/%s/_data", name);
	cleanup_free char *rec_path = engine_path(e, "volumes/%s/volume.json", name);
	cleanup_free char *top = engine_path(e, "volumes");
	cleanup_free char *now = util_now_rfc3339();
	cleanup_free char *text = NULL;
	json_t *lab = json_object(), *rec;
	struct stat st;
	int r;

	*created = false;
	if (stat(rec_path, &st) == 0) {
		json_decref(lab);
		return 0;
	}
	for (size_t i = 0; i < n_labels; i++) {
		const char *eq = strchr(labels[i], '=');
		cleanup_free char *k =
		    eq ? xasprintf("%.*s", (int)(eq - labels[i]), labels[i]) : xstrdup(labels[i]);
		if (k[0] == '\0') {
			json_decref(lab);
			return berth_error(err, 0, "bad --label `%s`: expected KEY=VALUE",
			                   labels[i]);
		}
		json_object_set_new(lab, k, json_string(eq ? eq + 1 : ""));
	}
	if (anonymous)
		json_object_set_new(lab, VOLUME_ANON_LABEL, json_string(""));
	if ((mkdir(top, 0700) < 0 && errno != EEXIST) ||
	    (mkdir(dir, 0700) < 0 && errno != EEXIST) ||
	    (mkdir(data, 0755) < 0 && errno != EEXIST)) {
		json_decref(lab);
		r = berth_error(err, errno, "mkdir `%s`", dir);
		goto fail;
	}
	rec = json_pack("{s:s,s:s,s:s,s:s,s:o,s:s,s:{}}", "Name", name, "Driver", "local",
	                "Mountpoint", data, "CreatedAt", now, "Labels", lab, "Scope", "local",
	                "Options");
	text = json_dumps(rec, JSON_INDENT(2));
	json_decref(rec);
	r = util_write_file_atomic(rec_path, text, strlen(text), 0600, err);
	if (r < 0)
		goto fail;
	*created = true;
	event_log(e, "volume", "create", name, "driver", "local", NULL);
	return 0;
fail : {
	berth_error_t e2 = NULL;
	util_rm_rf(dir, &e2);
	berth_error_release(&e2);
}
	return -1;
}

int volume_create(struct engine *e, const char *name, char **labels, size_t n_labels, char **out,
                  berth_error_t *err)
{
	char rnd[65];
	bool created;
	int r;

	if (name == NULL) {
		volume_random_name(rnd);
		name = rnd;
	} else if (volume_check_name("volume name", name, err) < 0) {
		return -1;
	}
	if (engine_lock(e, err) < 0)
		return -1;
	r = volume_create_locked(e, name, labels, n_labels, false, &created, err);
	engine_unlock(e);
	if (r == 0)
		*out = xstrdup(name);
	return r;
}

/* The names of the containers whose record mounts the volume. */
static int volume_users(struct engine *e, const char *name, char ***names, size_t *n,
                        berth_error_t *err)
{
	json_t *all, *rec, *m;
	size_t i, j;

	*names = NULL;
	*n = 0;
	if (ctr_list(e, &all, err) < 0)
		return -1;
	json_array_foreach(all, i, rec)
	{
		json_array_foreach(json_object_get(rec, "mounts"), j, m)
		{
			if (strcmp(json_string_value(json_object_get(m, "Name")) ?: "", name) != 0)
				continue;
			*names = xrealloc(*names, (*n + 1) * sizeof(char *));
			(*names)[(*n)++] =
			    xstrdup(json_string_value(json_object_get(rec, "name")) ?: "?");
			break;
		}
	}
	json_decref(all);
	return 0;
}

static void volume_names_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Removed unless a container uses it (under the lock). */
static int volume_remove_locked(struct engine *e, const char *name, berth_error_t *err)
{
	cleanup_free char *dir = engine_path(e, "volumes/%s", name);
	char **users;
	size_t n;
	json_t *rec = volume_load(e, name, err);

	if (rec == NULL)
		return -1;
	json_decref(rec);
	if (volume_users(e, name, &users, &n, err) < 0)
		return -1;
	if (n) {
		berth_error(err, 0,
		            "volume \"%s\" is in use by container \"%s\" (berth rm that container "
		            "first)",
		            name, users[0]);
		volume_names_free(users, n);
		return -1;
	}
	if (util_rm_rf(dir, err) < 0)
		return -1;
	event_log(e, "volume", "destroy", name, "driver", "local", NULL);
	return 0;
}

int volume_remove(struct engine *e, const char *name, bool force, berth_error_t *err)
{
	cleanup_free char *p = engine_path(e, "volumes/%s/volume.json", name);
	struct stat st;
	int r;

	if (volume_check_name("volume name", name, err) < 0)
		return -1;
	/* as Docker: -f makes a missing volume no error (one in use is still refused) */
	if (force && stat(p, &st) < 0 && errno == ENOENT)
		return 0;
	if (engine_lock(e, err) < 0)
		return -1;
	r = volume_remove_locked(e, name, err);
	engine_unlock(e);
	return r;
}

static int volume_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every volume's name, sorted. */
static int volume_names(struct engine *e, char ***out, size_t *n, berth_error_t *err)
{
	cleanup_free char *dir = engine_path(e, "volumes");
	DIR *d = opendir(dir);
	struct dirent *de;

	*out = NULL;
	*n = 0;
	if (d == NULL)
		return errno == ENOENT ? 0 : berth_error(err, errno, "opendir `%s`", dir);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		*out = xrealloc(*out, (*n + 1) * sizeof(char *));
		(*out)[(*n)++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (*n)
		qsort(*out, *n, sizeof(char *), volume_cmp);
	return 0;
}

char *volume_list_json(struct engine *e, berth_error_t *err)
{
	char **names;
	size_t n;
	json_t *a = json_array();
	char *text;

	if (volume_names(e, &names, &n, err) < 0) {
		json_decref(a);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		berth_error_t e2 = NULL;
		json_t *rec = volume_load(e, names[i], &e2);
		berth_error_release(&e2);
		if (rec)
			json_array_append_new(a, rec);
	}
	volume_names_free(names, n);
	text = json_dumps(a, JSON_INDENT(2));
	json_decref(a);
	return text;
}

char *volume_inspect_json(struct engine *e, char **names, size_t n, berth_error_t *err)
{
	json_t *a = json_array();
	char *text;

	for (size_t i = 0; i < n; i++) {
		json_t *rec;
		if (volume_check_name("volume name", names[i], err) < 0 ||
		    (rec = volume_load(e, names[i], err)) == NULL) {
			json_decref(a);
			return NULL;
		}
		json_array_append_new(a, rec);
	}
	text = json_dumps(a, JSON_INDENT(4));
	json_decref(a);
	return text;
}

int volume_list(struct engine *e, char ***names, size_t *n, berth_error_t *err)
{
	return volume_names(e, names, n, err);
}

int volume_prune(struct engine *e, bool all, char ***out, size_t *n_out, berth_error_t *err)
{
	char **names;
	size_t n;

	*out = NULL;
	*n_out = 0;
	if (engine_lock(e, err) < 0)
		return -1;
	if (volume_names(e, &names, &n, err) < 0) {
		engine_unlock(e);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		berth_error_t e2 = NULL;
		json_t *rec = volume_load(e, names[i], &e2);
		char **users = NULL;
		size_t n_users = 0;
		bool anon;
		berth_error_release(&e2);
		if (rec == NULL)
			continue;
		anon = json_object_get(json_object_get(rec, "Labels"), VOLUME_ANON_LABEL) != NULL;
		json_decref(rec);
		/* as Docker: only anonymous volumes, unless --all */
		if (!anon && !all)
			continue;
		if (volume_users(e, names[i], &users, &n_users, &e2) < 0 || n_users) {
			berth_error_release(&e2);
			volume_names_free(users, n_users);
			continue;
		}
		if (volume_remove_locked(e, names[i], &e2) < 0) {
			berth_error_release(&e2);
			continue;
		}
		*out = xrealloc(*out, (*n_out + 1) * sizeof(char *));
		(*out)[(*n_out)++] = xstrdup(names[i]);
	}
	engine_unlock(e);
	volume_names_free(names, n);
	return 0;
}

/* ---- copy-up --------------------------------------------------------------------------- */

static int volume_copy_file(int sfd, int dfd, const char *name, berth_error_t *err)
{
	char buf[65536];
	ssize_t k;

	while ((k = read(sfd, buf, sizeof(buf))) != 0) {
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return berth_error(err, errno, "read `%s`", name);
		}
		if (util_write_all(dfd, buf, (size_t)k) < 0)
			return berth_error(err, errno, "write `%s`", name);
	}
	return 0;
}

static void volume_copy_attrs(int dir, const char *name, const struct stat *st)
{
	/* chown first: it clears set-id bits */
	if (fchownat(dir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
		(void)0;
	if (!S_ISLNK(st->st_mode) && fchmodat(dir, name, st->st_mode & 07777, 0) < 0)
		(void)0;
}

/* The entries of the directory src into dst, never following a link: every open is
 * O_NOFOLLOW, relative to its parent's fd. */
static int volume_copy_tree(int src, int dst, int depth, berth_error_t *err)
{
	DIR *d;
	struct dirent *de;
	int r = 0;

	if (depth > 256)
		return berth_error(err, 0, "copy into volume: directories nested too deep");
	d = util_dir_stream(src);
	if (d == NULL)
		return berth_error(err, errno, "copy into volume: opendir");
	while (r == 0 && (de = readdir(d)) != NULL) {
		const char *n = de->d_name;
		struct stat st;
		if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0)
			continue;
		if (fstatat(src, n, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = berth_error(err, errno, "copy into volume: stat `%s`", n);
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			int s2, d2;
			if (mkdirat(dst, n, 0700) < 0 && errno != EEXIST) {
				r = berth_error(err, errno, "copy into volume: mkdir `%s`", n);
				break;
			}
			s2 = openat(src, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			d2 = openat(dst, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (s2 < 0 || d2 < 0)
				r = berth_error(err, errno, "copy into volume: open `%s`", n);
			else
				r = volume_copy_tree(s2, d2, depth + 1, err);
			if (s2 >= 0)
				close(s2);
			if (d2 >= 0)
				close(d2);
		} else if (S_ISREG(st.st_mode)) {
			cleanup_close int s2 =
			    openat(src, n, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
			cleanup_close int d2 = openat(
			    dst, n, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
			if (s2 < 0 || d2 < 0)
				r = berth_error(err, errno, "copy into volume: open `%s`", n);
			else
				r = volume_copy_file(s2, d2, n, err);
		} else if (S_ISLNK(st.st_mode)) {
			char target[4096];
			ssize_t k = readlinkat(src, n, target, sizeof(target) - 1);
			if (k < 0 || (target[k] = '\0', symlinkat(target, dst, n) < 0))
				r = berth_error(err, errno, "copy into volume: symlink `%s`", n);
		} else if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
			if (mknodat(dst, n, st.st_mode, st.st_rdev) < 0)
				r = berth_error(err, errno, "copy into volume: mknod `%s`", n);
		} else {
			continue; /* sockets */
		}
		if (r == 0)
			volume_copy_attrs(dst, n, &st);
	}
	closedir(d);
	return r;
}

static bool volume_dir_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	bool empty = true;

	if (d == NULL)
		return false;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
			empty = false;
			break;
		}
	closedir(d);
	return empty;
}

/* The image's content at path (resolved inside rootfs) into the empty directory data, with
 * its owner and mode, as Docker does for a volume on first use. Nothing there: nothing. */
static int volume_copy_up(const char *rootfs, const char *path, const char *data,
                          berth_error_t *err)
{
	cleanup_close int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cleanup_close int src = -1;
	cleanup_close int dst = -1;
	berth_error_t e2 = NULL;
	struct stat st;

	if (rootfd < 0)
		return berth_error(err, errno, "open `%s`", rootfs);
	src = util_open_in_root(rootfd, path, O_RDONLY | O_DIRECTORY, 0, &e2);
	if (src < 0) {
		berth_error_release(&e2); /* not in the image (or not a directory) */
		return 0;
	}
	dst = open(data, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dst < 0)
		return berth_error(err, errno, "open `%s`", data);
	if (fstat(src, &st) == 0) {
		if (fchown(dst, st.st_uid, st.st_gid) < 0)
			(void)0;
		if (fchmod(dst, st.st_mode & 07777) < 0)
			(void)0;
	}
	return volume_copy_tree(src, dst, 0, err);
}

/* ---- a container's mounts ----------------------------------------------------------- */

/* At most this many VOLUMEs in an image's config (its data is not trusted). */
#define VOLUME_IMAGE_MAX 256

/* The image's VOLUMEs (config.Volumes) on no path mounted yet: an anonymous volume each,
 * filled from the image, as Docker makes them. One line naming the image and the path when
 * one is bad; *made gets every volume made (for the caller to remove on failure). */
static int volume_image(struct engine *e, const struct image *img, const char *rootfs, json_t *oci,
                        json_t *recm, char ***made, size_t *n_made, berth_error_t *err)
{
	json_t *vols = json_object_get(json_object_get(img->config, "config"), "Volumes"), *val;
	const char *what = img->name ? img->name : img->id, *path;
	cleanup_close int rootfd = -1;

	if (vols == NULL || json_is_null(vols))
		return 0;
	if (!json_is_object(vols))
		return berth_error(err, 0,
		                   "image `%s`: config.Volumes: expected an object of container "
		                   "paths",
		                   what);
	if (json_object_size(vols) > VOLUME_IMAGE_MAX)
		return berth_error(err, 0, "image `%s`: config.Volumes: %zu paths (at most %d)",
		                   what, json_object_size(vols), VOLUME_IMAGE_MAX);
	rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return berth_error(err, errno, "open `%s`", rootfs);
	json_object_foreach(vols, path, val)
	{
		cleanup_free char *dst = NULL, *source = NULL;
		cleanup_close int fd = -1;
		berth_error_t e2 = NULL;
		bool taken = false, created;
		struct stat st;
		char name[65];
		if (path[0] != '/' || strlen(path) >= PATH_MAX)
			return berth_error(err, 0,
			                   "image `%s`: config.Volumes: `%s` is not an absolute "
			                   "path",
			                   what, path);
		dst = spec_clean_path(path);
		if (strcmp(dst, "/") == 0)
			return berth_error(err, 0,
			                   "image `%s`: config.Volumes: `%s`: a volume cannot be "
			                   "mounted on /",
			                   what, path);
		/* a -v, --mount, --tmpfs or --volumes-from on the path wins */
		for (size_t k = 0; k < json_array_size(recm) && !taken; k++)
			taken = strcmp(json_string_value(
			                   json_object_get(json_array_get(recm, k), "Destination"))
			                   ?: "",
			               dst) == 0;
		if (taken)
			continue;
		/* as Docker: "cannot mount volume over existing file" */
		fd = util_open_in_root(rootfd, dst, O_PATH, 0, &e2);
		berth_error_release(&e2);
		if (fd >= 0 && fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
			return berth_error(
			    err, 0,
			    "image `%s`: config.Volumes: `%s` is a file in the image, "
			    "not a directory (a volume cannot be mounted over it)",
			    what, path);
		volume_random_name(name);
		if (volume_create_locked(e, name, NULL, 0, true, &created, err) < 0)
			return -1;
		if (created) {
			*made = xrealloc(*made, (*n_made + 1) * sizeof(char *));
			(*made)[(*n_made)++] = xstrdup(name);
		}
		source = engine_path(e, "volumes/%s/_data", name);
		if (volume_copy_up(rootfs, dst, source, err) < 0)
			return -1;
		json_array_append_new(recm, json_pack("{s:s,s:s,s:s,s:s,s:b,s:b}", "Type", "volume",
		                                      "Name", name, "Source", source, "Destination",
		                                      dst, "RW", true, "Anonymous", true));
		json_array_append_new(oci, json_pack("{s:s,s:s,s:s,s:[s,s]}", "destination", dst,
		                                     "type", "bind", "source", source, "options",
		                                     "rbind", "rw"));
	}
	return 0;
}

/* An idmapped bind: the runtime's "idmap" option, with the given maps or (none) those of the
 * container's user namespace, as Podman's :idmap. berth gives root's containers no user
 * namespace (--userns host only), so plain idmap is refused there: it would map every id to
 * itself. */
static int volume_idmap_spec(const struct run_opts *o, const struct volume_mount *m, json_t *om,
                             berth_error_t *err)
{
	json_array_append_new(json_object_get(om, "options"), json_string("idmap"));
	if (m->idmap_maps) {
		json_object_set_new(om, "uidMappings", volume_idmap_json(m->idmap_maps, "uids"));
		json_object_set_new(om, "gidMappings", volume_idmap_json(m->idmap_maps, "gids"));
		return 0;
	}
	if (o->res.userns == NULL || strcmp(o->res.userns, "keep-id") != 0)
		return berth_error(err, 0,
		                   "bad %s `%s`: idmap without maps uses the container's user "
		                   "namespace, and this container has none (berth makes one only "
		                   "for --userns=keep-id): give idmap=uids=DISK-HOST-SIZE;"
		                   "gids=DISK-HOST-SIZE",
		                   m->what, m->arg);
	return 0;
}

int volume_prepare(struct engine *e, const struct run_opts *o, const struct image *img,
                   const char *rootfs, json_t **oci_mounts, json_t **rec_mounts,
                   json_t **made_names, berth_error_t *err)
{
	struct volume_mount *v;
	size_t n;
	char **made = NULL;
	size_t n_made = 0;
	json_t *oci = json_array(), *recm = json_array();

	if (volume_parse_all(o, &v, &n, err) < 0)
		goto fail_early;
	for (size_t i = 0; i < n; i++) {
		struct volume_mount *m = &v[i];
		cleanup_free char *source = NULL;
		const char *mode = m->ro ? "ro" : "rw";
		json_t *om;
		if (m->type == VOL_TMPFS) {
			cleanup_free char *data = NULL;
			om = json_pack("{s:s,s:s,s:s,s:[s,s,s]}", "destination", m->dst, "type",
			               "tmpfs", "source", "tmpfs", "options", "nosuid", "nodev",
			               mode);
			if (strcmp(m->what, "--tmpfs") == 0 &&
			    !(m->tmpfs_opts && strstr(m->tmpfs_opts, "exec")))
				json_array_append_new(json_object_get(om, "options"),
				                      json_string("noexec"));
			if (m->tmpfs_opts) {
				data = xstrdup(m->tmpfs_opts);
				for (char *s = NULL, *t = strtok_r(data, ",", &s); t;
				     t = strtok_r(NULL, ",", &s))
					if (strcmp(t, "ro") != 0 && strcmp(t, "rw") != 0)
						json_array_append_new(
						    json_object_get(om, "options"), json_string(t));
			}
			json_array_append_new(oci, om);
			json_array_append_new(recm, json_pack("{s:s,s:s,s:b}", "Type", "tmpfs",
			                                      "Destination", m->dst, "RW", !m->ro));
			continue;
		}
		if (m->type == VOL_BIND) {
			source = xstrdup(m->src);
			json_array_append_new(recm, json_pack("{s:s,s:s,s:s,s:b}", "Type", "bind",
			                                      "Source", source, "Destination",
			                                      m->dst, "RW", !m->ro));
		} else {
			char rnd[65];
			bool anon = m->src == NULL, created;
			const char *name = m->src;
			if (anon) {
				volume_random_name(rnd);
				name = rnd;
			}
			if (volume_create_locked(e, name, NULL, 0, anon, &created, err) < 0)
				goto fail;
			if (created) {
				made = xrealloc(made, (n_made + 1) * sizeof(char *));
				made[n_made++] = xstrdup(name);
			}
			source = engine_path(e, "volumes/%s/_data", name);
			/* as Docker: an empty volume gets the image's content at the path */
			if (volume_dir_empty(source) &&
			    volume_copy_up(rootfs, m->dst, source, err) < 0)
				goto fail;
			json_array_append_new(recm, json_pack("{s:s,s:s,s:s,s:s,s:b,s:b}", "Type",
			                                      "volume", "Name", name, "Source",
			                                      source, "Destination", m->dst, "RW",
			                                      !m->ro, "Anonymous", anon));
		}
		om = json_pack("{s:s,s:s,s:s,s:[s,s]}", "destination", m->dst, "type", "bind",
		               "source", source, "options", "rbind", mode);
		if (m->idmap && volume_idmap_spec(o, m, om, err) < 0) {
			json_decref(om);
			goto fail;
		}
		json_array_append_new(oci, om);
	}
	/* --volumes-from: the other container's volumes and binds, where o mounts nothing */
	for (size_t i = 0; i < o->n_volumes_from; i++) {
		const char *f = o->volumes_from[i], *c = strchr(f, ':');
		cleanup_free char *ref = c ? xasprintf("%.*s", (int)(c - f), f) : xstrdup(f);
		cleanup_free char *cid = NULL;
		json_t *rec = NULL, *m;
		size_t j;
		if (ctr_lookup(e, ref, &cid, err) < 0 || ctr_load(e, cid, &rec, err) < 0) {
			berth_error_prefix(err, "--volumes-from `%s`", f);
			goto fail;
		}
		json_array_foreach(json_object_get(rec, "mounts"), j, m)
		{
			const char *type = json_string_value(json_object_get(m, "Type")) ?: "";
			const char *dst = json_string_value(json_object_get(m, "Destination"));
			const char *src = json_string_value(json_object_get(m, "Source"));
			bool taken = false, rw;
			json_t *copy;
			if ((strcmp(type, "volume") != 0 && strcmp(type, "bind") != 0) || !dst ||
			    !src)
				continue;
			for (size_t k = 0; k < json_array_size(recm) && !taken; k++)
				taken = strcmp(json_string_value(json_object_get(
				                   json_array_get(recm, k), "Destination"))
				                   ?: "",
				               dst) == 0;
			if (taken)
				continue;
			rw = c ? strcmp(c + 1, "rw") == 0 : json_is_true(json_object_get(m, "RW"));
			copy = json_deep_copy(m);
			json_object_set_new(copy, "RW", json_boolean(rw));
			/* the volume stays the other container's: rm -v here leaves it */
			json_object_set_new(copy, "Anonymous", json_false());
			json_array_append_new(recm, copy);
			json_array_append_new(oci, json_pack("{s:s,s:s,s:s,s:[s,s]}", "destination",
			                                     dst, "type", "bind", "source", src,
			                                     "options", "rbind", rw ? "rw" : "ro"));
		}
		json_decref(rec);
	}
	/* last, as Docker: the image's VOLUMEs where nothing above mounts */
	if (img && volume_image(e, img, rootfs, oci, recm, &made, &n_made, err) < 0)
		goto fail;
	volume_mounts_free(v, n);
	*made_names = json_array();
	for (size_t i = 0; i < n_made; i++)
		json_array_append_new(*made_names, json_string(made[i]));
	volume_names_free(made, n_made);
	*oci_mounts = oci;
	*rec_mounts = recm;
	return 0;
fail:
	for (size_t i = 0; i < n_made; i++) {
		cleanup_free char *dir = engine_path(e, "volumes/%s", made[i]);
		berth_error_t e2 = NULL;
		util_rm_rf(dir, &e2);
		berth_error_release(&e2);
	}
	volume_names_free(made, n_made);
	volume_mounts_free(v, n);
fail_early:
	json_decref(oci);
	json_decref(recm);
	return -1;
}

void volume_remove_anonymous(struct engine *e, json_t *rec_mounts)
{
	json_t *m;
	size_t i;

	json_array_foreach(rec_mounts, i, m)
	{
		berth_error_t e2 = NULL;
		const char *name = json_string_value(json_object_get(m, "Name"));
		if (name == NULL || !json_is_true(json_object_get(m, "Anonymous")))
			continue;
		/* another container (--volumes-from) may still use it: then it stays */
		if (volume_remove_locked(e, name, &e2) < 0)
			berth_error_release(&e2);
	}
}

void volume_undo(struct engine *e, json_t *made_names)
{
	json_t *v;
	size_t i;

	json_array_foreach(made_names, i, v)
	{
		const char *name = json_string_value(v);
		cleanup_free char *dir = NULL;
		berth_error_t e2 = NULL;
		if (name == NULL || volume_check_name("volume", name, &e2) < 0) {
			berth_error_release(&e2);
			continue;
		}
		dir = engine_path(e, "volumes/%s", name);
		util_rm_rf(dir, &e2);
		berth_error_release(&e2);
	}
}

int ctr_remove_dir(struct engine *e, const char *id, bool volumes, berth_error_t *err)
{
	cleanup_free char *dir = engine_path(e, "containers/%s", id);
	berth_error_t e2 = NULL;
	json_t *rec = NULL, *mounts = NULL;
	bool trashed;
	int r;

	event_ctr(e, id, "destroy", NULL);
	if (volumes && ctr_load(e, id, &rec, &e2) == 0)
		mounts = json_incref(json_object_get(rec, "mounts"));
	berth_error_release(&e2);
	json_decref(rec);
	/* the record goes first: a volume is in use while a record names it; the directory
	 * into trash/ and removed there by a child, or, when the rename fails, here (trash.c) */
	trashed = ctr_trash(e, id) == 0;
	r = trashed ? 0 : util_rm_rf(dir, err);
	if (r == 0 && json_array_size(mounts)) {
		/* the lock, unless the caller holds it already */
		bool locked = e->lock_fd < 0;
		if (locked && engine_lock(e, &e2) < 0) {
			berth_error_release(&e2);
			locked = false;
		} else {
			volume_remove_anonymous(e, mounts);
		}
		if (locked)
			engine_unlock(e);
	}
	json_decref(mounts);
	if (trashed)
		ctr_trash_empty(e);
	return r;
}
