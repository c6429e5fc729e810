/* SPDX-License-Identifier: MIT */
/* Container records (containers/<id>/container.json), the bundle and the overlay. */
#include "image_priv.h"
#include "events.h"
#include "network.h"
#include "resources.h"
#include "idshift.h"
#include "rootless.h"
#include "container.h"
#include "ctrlog.h"
#include "exec.h"
#include "log.h"
#include "timing.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

char *ctr_runtime_root(struct engine *e)
{
	/* an ordinary user's: under $XDG_RUNTIME_DIR/berth (rootless.c) */
	if (rootless_active()) {
		cleanup_free char *run = rootless_run_dir();
		return xasprintf("%s/runtime", run);
	}
	return engine_path(e, "runtime");
}

int ctr_load(struct engine *e, const char *id, json_t **out, berth_error_t *err)
{
	cleanup_free char *p = engine_path(e, "containers/%s/container.json", id);

	*out = image_json_load(p, err);
	return *out ? 0 : -1;
}

int ctr_save(struct engine *e, const char *id, json_t *rec, berth_error_t *err)
{
	cleanup_free char *p = engine_path(e, "containers/%s/container.json", id);
	cleanup_free char *text = json_dumps(rec, JSON_INDENT(2));

	return util_write_file_atomic(p, text, strlen(text), 0600, err);
}

static int ctr_cmp(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	return strcmp(json_string_value(json_object_get(x, "created")) ?: "",
	              json_string_value(json_object_get(y, "created")) ?: "");
}

int ctr_list(struct engine *e, json_t **out, berth_error_t *err)
{
	cleanup_free char *dir = engine_path(e, "containers");
	DIR *d = opendir(dir);
	struct dirent *de;
	json_t **v = NULL;
	size_t n = 0;

	if (d == NULL)
		return berth_error(err, errno, "opendir `%s`", dir);
	while ((de = readdir(d)) != NULL) {
		berth_error_t e2 = NULL;
		json_t *rec;
		if (de->d_name[0] == '.')
			continue;
		if (ctr_load(e, de->d_name, &rec, &e2) < 0) {
			berth_error_release(&e2);
			continue;
		}
		v = xrealloc(v, (n + 1) * sizeof(*v));
		v[n++] = rec;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), ctr_cmp);
	*out = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(*out, v[i]);
	free(v);
	return 0;
}

int ctr_lookup(struct engine *e, const char *ref, char **id, berth_error_t *err)
{
	json_t *all, *r;
	size_t i, rl = strlen(ref);
	const char *hit = NULL;
	int nhit = 0;

	if (ctr_list(e, &all, err) < 0)
		return -1;
	json_array_foreach(all, i, r)
	{
		const char *n = json_string_value(json_object_get(r, "name")) ?: "";
		const char *cid = json_string_value(json_object_get(r, "id")) ?: "";
		if (strcmp(n, ref) == 0 || strcmp(cid, ref) == 0) {
			hit = cid;
			nhit = 1;
			break;
		}
		if (rl >= 3 && strncmp(cid, ref, rl) == 0) {
			hit = cid;
			nhit++;
		}
	}
	if (nhit == 1)
		*id = xstrdup(hit);
	json_decref(all);
	if (nhit == 0)
		return berth_error(err, 0, "no container \"%s\" (berth ps -a lists them)", ref);
	if (nhit > 1)
		return berth_error(err, 0, "\"%s\" matches more than one container", ref);
	return 0;
}

/* A --rm container's layer: a tmpfs of its own on containers/<id>/work holding upper/ and work/
 * (overlayfs wants both on one mount). Mounted unless it is there (its upper/: a work
 * directory on disk holds only overlayfs's work/); *made: mounted now. */
static int ctr_layer_mount(const char *mnt, bool *made, berth_error_t *err)
{
	cleanup_free char *upper = xasprintf("%s/upper", mnt);
	cleanup_free char *work = xasprintf("%s/work", mnt);
	struct stat st;

	*made = false;
	if (stat(upper, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	if (mount("tmpfs", mnt, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700") < 0)
		return berth_error(err, errno, "mount tmpfs on `%s`", mnt);
	if (mkdir(upper, 0755) < 0 || mkdir(work, 0700) < 0) {
		int saved = errno;
		umount2(mnt, MNT_DETACH);
		return berth_error(err, saved, "mkdir in `%s`", mnt);
	}
	*made = true;
	return 0;
}

void ctr_layer_umount(struct engine *e, const char *id)
{
	cleanup_free char *mnt = engine_path(e, "containers/%s/work", id);

	/* EINVAL: not a mount point (a layer on disk) */
	if (umount2(mnt, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		log_warning("umount `%s`: %s", mnt, strerror(errno));
}

char *ctr_upper_dir(struct engine *e, const char *id)
{
	char *p = engine_path(e, "containers/%s/work/upper", id);
	struct stat st;

	if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
		return p;
	free(p);
	return engine_path(e, "containers/%s/upper", id);
}

int ctr_write_new(const char *path, const char *text, mode_t mode, berth_error_t *err)
{
	cleanup_close int fd =
	    open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
	int r;

	if (fd < 0)
		return berth_error(err, errno, "open `%s`", path);
	r = util_write_all(fd, text, strlen(text));
	if (r < 0)
		return berth_error(err, -r, "write `%s`", path);
	return 0;
}

static int ctr_mount_rec(struct engine *e, const char *id, json_t *rec, berth_error_t *err)
{
	cleanup_free char *rootfs = engine_path(e, "containers/%s/rootfs", id);
	cleanup_free char *upper = engine_path(e, "containers/%s/upper", id);
	cleanup_free char *work = engine_path(e, "containers/%s/work", id);
	cleanup_free char *opts = NULL;
	const char *suffix;
	json_t *layers;
	size_t n, len;
	char *lower;
	bool rm, tmpfs, made = false;
	int rc;

	rm = json_is_true(json_object_get(rec, "rm"));
	tmpfs = json_is_true(json_object_get(rec, "layer_tmpfs"));
	layers = json_object_get(rec, "layers");
	suffix = json_string_value(json_object_get(rec, "layer_suffix"));
	n = json_array_size(layers);
	if (n == 0)
		return berth_error(err, 0, "container %.12s: the image has no layers", id);
	if (tmpfs) {
		berth_error_t e2 = NULL;
		if (ctr_layer_mount(work, &made, &e2) == 0) {
			char *mnt = work;
			free(upper);
			upper = xasprintf("%s/upper", mnt);
			work = xasprintf("%s/work", mnt);
			free(mnt);
		} else {
			/* no tmpfs here (no CAP_SYS_ADMIN): the layer on disk, as any other's */
			log_debug("%s", e2->msg);
			berth_error_release(&e2);
			json_object_del(rec, "layer_tmpfs");
			tmpfs = false;
		}
	}
	len = 1;
	for (size_t i = 0; i < n; i++)
		len += strlen(e->root) + 80 + (suffix ? strlen(suffix) : 0);
	lower = xmalloc0(len);
	/* lowerdir lists the top layer first */
	for (size_t i = n; i-- > 0;) {
		cleanup_free char *d =
		    image_layer_dir(e, json_string_value(json_array_get(layers, i)) ?: "");
		if (lower[0])
			strcat(lower, ":");
		strcat(lower, d);
		/* --userns=keep-id: the layer's copy with the owners shifted (idshift.c) */
		if (suffix)
			strcat(lower, suffix);
	}
	/* a --rm container's upper layer on disk never outlives it: no sync at umount
	 * (volatile; on a tmpfs there is none to skip) */
	/* in an ordinary user's namespace, overlay keeps its xattrs in user.overlay.* (the
	 * trusted.* ones need the host's CAP_SYS_ADMIN): kernel 5.11 */
	rm = rm && !tmpfs;
	if (rm) {
		/* overlayfs refuses a work directory a volatile mount used (its
		 * work/incompat/volatile) until that is removed: a created --rm container
		 * mounted again by cp or start. Its layer dies with it, crash or not. */
		cleanup_free char *inc = xasprintf("%s/work/incompat", work);
		struct stat st;
		berth_error_t e2 = NULL;
		if (lstat(inc, &st) == 0 && util_rm_rf(inc, &e2) < 0) {
			log_debug("%s", e2->msg);
			berth_error_release(&e2);
		}
	}
	opts = xasprintf("lowerdir=%s,upperdir=%s,workdir=%s%s%s", lower, upper, work,
	                 rootless_active() ? ",userxattr" : "", rm ? ",volatile" : "");
	free(lower);
	rc = mount("overlay", rootfs, "overlay", 0, opts);
	if (rc < 0 && rm && errno == EINVAL) {
		/* kernels before 5.10 do not know volatile */
		opts[strlen(opts) - strlen(",volatile")] = '\0';
		rc = mount("overlay", rootfs, "overlay", 0, opts);
	}
	if (rc < 0) {
		int saved = errno;
		if (made)
			ctr_layer_umount(e, id);
		return berth_error(err, saved, "mount overlay on `%s`", rootfs);
	}
	return 0;
}

int ctr_mount(struct engine *e, const char *id, berth_error_t *err)
{
	json_t *rec;
	int r;

	if (ctr_load(e, id, &rec, err) < 0)
		return -1;
	r = ctr_mount_rec(e, id, rec, err);
	json_decref(rec);
	return r;
}

void ctr_umount(struct engine *e, const char *id)
{
	cleanup_free char *rootfs = engine_path(e, "containers/%s/rootfs", id);

	if (umount2(rootfs, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		log_warning("umount `%s`: %s", rootfs, strerror(errno));
}

/* Whether a container is named name (a name ctr_check_name allows, or one made of such
 * characters). Every record is looked at, so the text of each is first searched for the name:
 * its characters need no escape in JSON, so a record named so holds it verbatim, and only
 * one that does is parsed (a run's generated name is in none of the others). */
bool ctr_name_used(struct engine *e, const char *name)
{
	cleanup_free char *dir = engine_path(e, "containers");
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t nl = strlen(name);
	bool used = false;

	if (d == NULL)
		return false;
	while (!used && (de = readdir(d)) != NULL) {
		cleanup_free char *p = NULL, *text = NULL;
		berth_error_t e2 = NULL;
		size_t len;
		json_t *rec;
		if (de->d_name[0] == '.')
			continue;
		p = xasprintf("%s/%s/container.json", dir, de->d_name);
		if (util_read_file(p, &text, &len, &e2) < 0) {
			berth_error_release(&e2);
			continue;
		}
		if (memmem(text, len, name, nl) == NULL)
			continue;
		rec = json_loadb(text, len, 0, NULL);
		used = strcmp(json_string_value(json_object_get(rec, "name")) ?: "", name) == 0;
		json_decref(rec);
	}
	closedir(d);
	return used;
}

/* The image's platform, "linux/riscv64", from its config (inspect shows it). */
static json_t *ctr_image_platform(json_t *config)
{
	const char *var = json_string_value(json_object_get(config, "variant")) ?: "";

	return json_sprintf("%s/%s%s%s",
	                    json_string_value(json_object_get(config, "os")) ?: "linux",
	                    json_string_value(json_object_get(config, "architecture")) ?: "",
	                    var[0] ? "/" : "", var);
}

/* --userns=keep-id (rootless): the image's layers as copies whose owners are shifted for
 * keep-id's map (idshift.c), layers/HEX.keepid-UID-GID, made once and shared by every such
 * container of the user; the container's upper directory is the container's root's too. */
static int ctr_keep_id_layers(struct engine *e, json_t *rec, const char *dir, berth_error_t *err)
{
	cleanup_free char *suffix = NULL, *upper = xasprintf("%s/upper", dir);
	uint32_t uid, gid;
	json_t *l;
	size_t i;

	rootless_keep_ids(&uid, &gid);
	suffix = xasprintf(".keepid-%u-%u", (unsigned)uid, (unsigned)gid);
	json_array_foreach(json_object_get(rec, "layers"), i, l)
	{
		cleanup_free char *src = image_layer_dir(e, json_string_value(l) ?: "");
		cleanup_free char *dst = xasprintf("%s%s", src, suffix);
		if (idshift_copy(src, dst, uid, gid, err) < 0)
			return -1;
	}
	if (chown(upper, idshift_keep_id(0, uid), idshift_keep_id(0, gid)) < 0)
		return berth_error(err, errno, "chown `%s`", upper);
	json_object_set_new(rec, "layer_suffix", json_string(suffix));
	return 0;
}

int ctr_create(struct engine *e, const struct image *img, const struct run_opts *o, char **idp,
               berth_error_t *err)
{
	unsigned char rnd[32];
	char id[65], created[40];
	cleanup_free char *dir = NULL;
	cleanup_free char *cname = NULL;
	cleanup_free char *cmdline = NULL;
	cleanup_free char *netns = NULL;
	cleanup_free char *etc = NULL;
	struct timespec ts;
	json_t *rec = NULL, *layers, *spec = NULL;
	json_t *oci_mounts = NULL, *made = NULL;
	bool mounted = false, spare;
	int r = -1;

	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		return berth_error(err, errno, "getrandom");
	for (int i = 0; i < 32; i++)
		snprintf(id + 2 * i, 3, "%02x", rnd[i]);
	if (o->name && ctr_check_name("--name", o->name, err) < 0)
		return -1;
	/* an image of another architecture runs through binfmt_misc (before anything is made) */
	if (binfmt_prepare(json_string_value(json_object_get(img->config, "architecture")) ?: "",
	                   o->platform != NULL, err) < 0)
		return -1;
	cname = o->name ? xstrdup(o->name) : xasprintf("c-%.10s", id);
	if (engine_lock(e, err) < 0)
		return -1;
	if (ctr_name_used(e, cname)) {
		engine_unlock(e);
		return berth_error(
		    err, 0,
		    "the name \"%s\" is already in use (berth rm %s, or choose another --name)",
		    cname, cname);
	}
	dir = engine_path(e, "containers/%s", id);
	/* a spare directory with its rootfs/, upper/ and work/ (trash.c), or made here */
	spare = ctr_spare_take(e, dir) == 0;
	if (!spare && mkdir(dir, 0700) < 0) {
		engine_unlock(e);
		return berth_error(err, errno, "mkdir `%s`", dir);
	}
	timing_mark("ctr-dir");
	clock_gettime(CLOCK_REALTIME, &ts);
	{
		struct tm tm;
		gmtime_r(&ts.tv_sec, &tm);
		size_t k = strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(created + k, sizeof(created) - k, ".%09ldZ", ts.tv_nsec);
	}
	layers = json_array();
	for (size_t i = 0; i < img->n_layers; i++)
		json_array_append_new(layers, json_string(img->layers[i]));
	rec = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:s,s:b,s:b,s:b,s:b}", "id", id, "name", cname,
	                "image", img->name ? img->name : img->id, "image_id", img->id, "created",
	                created, "layers", layers, "state", "created", "rm", o->rm, "tty", o->tty,
	                "interactive", o->interactive, "detach", o->detach);
	if (o->restart) {
		const char *policy;
		int max;
		if (ctr_parse_restart(o->restart, &policy, &max, err) < 0)
			goto fail;
		if (strcmp(policy, "no") != 0) {
			json_object_set_new(
			    rec, "restart_policy",
			    json_pack("{s:s,s:i}", "name", policy, "maximum_retry_count", max));
			json_object_set_new(rec, "restart_count", json_integer(0));
		}
	}
	json_object_set_new(rec, "platform", ctr_image_platform(img->config));
	runflags_record(rec, o, json_object_get(img->config, "config"));
	if (o->vm)
		vmctr_record(rec, o);
	if (health_record(rec, o, json_object_get(img->config, "config"), err) < 0)
		goto fail;
	if (!o->detach) {
		json_object_set_new(rec, "monitor_pid", json_integer(getpid()));
		json_object_set_new(rec, "monitor_start",
		                    json_integer((json_int_t)ctr_self_start_time()));
	}
	if (!spare) {
		const char *sub[] = {"rootfs", "upper", "work"};
		for (size_t i = 0; i < ARRAY_SIZE(sub); i++) {
			cleanup_free char *p = xasprintf("%s/%s", dir, sub[i]);
			if (mkdir(p, 0755) < 0) {
				berth_error(err, errno, "mkdir `%s`", p);
				goto fail;
			}
		}
	}
	{
		json_t *cn;
		if (net_prepare(e, img, o, id, dir, &cn, &netns, err) < 0)
			goto fail;
		json_object_set_new(rec, "network", cn);
		timing_mark("net-prepared");
		if (strcmp(json_string_value(json_object_get(cn, "mode")), "container") == 0)
			etc = engine_path(e, "containers/%s",
			                  json_string_value(json_object_get(cn, "container")));
		else if (strcmp(json_string_value(json_object_get(cn, "mode")), "host") != 0)
			etc = xstrdup(dir);
	}
	if (o->res.userns && strcmp(o->res.userns, "keep-id") == 0 && rootless_active() &&
	    ctr_keep_id_layers(e, rec, dir, err) < 0)
		goto fail;
	/* a --rm container's writable layer in memory, on a tmpfs of its own (ctr_mount), unless
	 * it has a memory limit (what it writes there would count against it as memory that
	 * cannot be reclaimed but by swapping) or runs in a VM: docs/engine.md, Layout */
	if (o->rm && o->memory == 0 && !o->vm && !rootless_active())
		json_object_set_new(rec, "layer_tmpfs", json_true());
	if (ctr_mount_rec(e, id, rec, err) < 0)
		goto fail;
	mounted = true;
	timing_mark("ovl-mounted");
	{
		cleanup_free char *rootfs = xasprintf("%s/rootfs", dir);
		cleanup_free char *cfg = xasprintf("%s/config.json", dir);
		cleanup_free char *text = NULL;
		json_t *args, *a;
		size_t i;
		json_t *rec_mounts;
		if (volume_prepare(e, o, img, rootfs, &oci_mounts, &rec_mounts, &made, err) < 0)
			goto fail;
		json_object_set_new(rec, "mounts", rec_mounts);
		if (spec_build(img, o, id, rootfs, netns, etc, oci_mounts, &spec, err) < 0 ||
		    systemd_apply(spec, rec, o, id, rootfs, err) < 0 ||
		    res_prepare(e, o, rec, spec, err) < 0)
			goto fail;
		text = json_dumps(spec, JSON_INDENT(2));
		if (ctr_write_new(cfg, text, 0600, err) < 0)
			goto fail;
		args = json_object_get(json_object_get(spec, "process"), "args");
		cmdline = xstrdup("");
		json_array_foreach(args, i, a)
		{
			char *t = xasprintf("%s%s%s", cmdline, i ? " " : "", json_string_value(a));
			free(cmdline);
			cmdline = t;
		}
		json_object_set_new(rec, "command", json_string(cmdline));
		ctrlog_record(rec, o); /* HostConfig.LogConfig */
		/* the spare's empty log is the k8s-file driver's */
		if (spare && o->log_driver && strcmp(o->log_driver, "k8s-file") != 0) {
			cleanup_free char *log = xasprintf("%s/%s", dir, CTRLOG_NAME);
			unlink(log);
		}
		/* written once, complete, in place: until now the file was empty (a spare's) or
		 * missing, and ctr_list passes over a record it cannot read */
		free(text);
		text = json_dumps(rec, JSON_INDENT(2));
		free(cfg);
		cfg = xasprintf("%s/container.json", dir);
		if (ctr_write_new(cfg, text, 0600, err) < 0)
			goto fail;
	}
	engine_unlock(e);
	event_ctr(e, id, "create", NULL);
	*idp = xstrdup(id);
	r = 0;
	goto out;
fail:
	volume_undo(e, made);
	engine_unlock(e);
	if (mounted)
		ctr_umount(e, id);
	ctr_layer_umount(e, id);
	{
		berth_error_t e2 = NULL;
		util_rm_rf(dir, &e2);
		berth_error_release(&e2);
	}
out:
	json_decref(rec);
	json_decref(spec);
	json_decref(oci_mounts);
	json_decref(made);
	return r;
}

int ctr_remove(struct engine *e, const char *id, bool force, berth_error_t *err)
{
	return ctr_remove_volumes(e, id, force, false, err);
}

int ctr_remove_volumes(struct engine *e, const char *id, bool force, bool volumes,
                       berth_error_t *err)
{
	cleanup_free char *rt = ctr_runtime_root(e);
	berth_error_t e2 = NULL;
	struct ctr_info c;
	bool rm;

	if (ctr_get_id(e, id, &c, err) < 0)
		return -1;
	/* rm -v, and a --rm container always (as Docker): its anonymous volumes go with it */
	rm = json_is_true(json_object_get(c.raw, "rm"));
	if (ctr_status_running(c.status) && c.monitor_pid != getpid()) {
		if (!force) {
			berth_error(err, 0, "container \"%s\" is running (berth stop it, or rm -f)",
			            c.name);
			ctr_info_free(&c);
			return -1;
		}
		ctr_mark_stopped(e, id);
		if (vmctr_is(c.raw))
			vmctr_signal(e, id, SIGKILL, &e2);
		else
			container_kill(rt, id, SIGKILL, true, &e2);
		berth_error_release(&e2);
		/* the monitor records the exit; wait for it a little */
		ctr_wait_exit(e, id, 2);
	}
	ctr_info_free(&c);
	container_delete(rt, id, true, &e2);
	berth_error_release(&e2);
	ctr_umount(e, id);
	/* what a monitor killed with -9 left: veth, lease, netns; a VM's sockets */
	net_detach(e, id);
	if (ctr_is_vm(e, id))
		vmctr_cleanup(e, id);
	return ctr_remove_dir(e, id, volumes || rm, err);
}

int ctr_exec(struct engine *e, const char *id, const struct ctr_exec_opts *o, int *status,
             berth_error_t *err)
{
	cleanup_free char *rt = ctr_runtime_root(e);
	cleanup_close int devnull = -1;
	int stdio[3] = {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO};
	struct exec_opts x = {.root = rt,
	                      .id = id,
	                      .args = o->args,
	                      .n_args = o->n_args,
	                      .env = o->env,
	                      .n_env = o->n_env,
	                      .cwd = o->workdir,
	                      .tty = o->tty,
	                      .stdio = stdio};
	char xid[65] = "";
	int r;

	if (ctr_is_vm(e, id)) {
		if (o->workdir && spec_check_workdir("-w", o->workdir, err) < 0)
			return -1;
		for (size_t i = 0; i < o->n_env; i++)
			if (strchr(o->env[i], '=') == NULL || o->env[i][0] == '=')
				return berth_error(err, 0, "bad -e `%s`: expected KEY=VALUE",
				                   o->env[i]);
		event_exec(e, id, xid, o->args, o->n_args, "exec_create", 0);
		event_exec(e, id, xid, o->args, o->n_args, "exec_start", 0);
		r = vmctr_exec(e, id, o, status, err);
		if (r == 0)
			event_exec(e, id, xid, o->args, o->n_args, "exec_die", *status);
		return r;
	}
	if (o->workdir && spec_check_workdir("-w", o->workdir, err) < 0)
		return -1;
	for (size_t i = 0; i < o->n_env; i++)
		if (strchr(o->env[i], '=') == NULL || o->env[i][0] == '=')
			return berth_error(err, 0, "bad -e `%s`: expected KEY=VALUE", o->env[i]);
	if (!o->interactive) {
		devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (devnull < 0)
			return berth_error(err, errno, "open `/dev/null`");
		stdio[0] = devnull;
	}
	event_exec(e, id, xid, o->args, o->n_args, "exec_create", 0);
	event_exec(e, id, xid, o->args, o->n_args, "exec_start", 0);
	r = exec_run(&x, status, err);
	if (r == 0)
		event_exec(e, id, xid, o->args, o->n_args, "exec_die", *status);
	return r;
}
