/* SPDX-License-Identifier: MIT */
/* berth build (build.h): the executor. Stages from FROM (an image, scratch, an earlier stage),
 * each instruction as a step: RUN in a container made by the engine over the stage's layers
 * (ctr_create, monitor_run_attached) whose upper directory becomes the layer; COPY, ADD and
 * WORKDIR in an overlay of the build's own; the others change the image config. A chain hash
 * per stage (the base, then each step's instruction, its variables and the copied files'
 * digest) keys the build cache. The result: blobs and an index.json entry in the store. */
#include "build_priv.h"
#include "image_priv.h"
#include "log.h"
#include "user.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* ---- small helpers ------------------------------------------------------------------------ */
static void chain_next(char out[65], const char *prev, const char *a, const char *b)
{
	struct sha256 h;

	sha256_init(&h);
	sha256_update(&h, prev, strlen(prev) + 1);
	sha256_update(&h, a, strlen(a) + 1);
	if (b)
		sha256_update(&h, b, strlen(b) + 1);
	sha256_final_hex(&h, out);
}

static char *json_text(json_t *j)
{
	return json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
}

static const char *host_arch(void)
{
	struct utsname u;
	static char m[65];

	uname(&u);
	if (strcmp(u.machine, "x86_64") == 0)
		return "amd64";
	if (strcmp(u.machine, "aarch64") == 0)
		return "arm64";
	snprintf(m, sizeof(m), "%s", u.machine);
	return m;
}

json_t *build_cfg(struct stage *s)
{
	json_t *c = json_object_get(s->config, "config");

	if (!json_is_object(c)) {
		c = json_object();
		json_object_set_new(s->config, "config", c);
	}
	return c;
}

static void stage_free(struct stage *s)
{
	free(s->name);
	json_decref(s->config);
	json_decref(s->descs);
	for (size_t i = 0; i < s->n_layers; i++)
		free(s->layers[i]);
	free(s->layers);
	json_decref(s->args);
	memset(s, 0, sizeof(*s));
}

static void stage_add_layer(struct stage *s, const char *hex, uint64_t size)
{
	cleanup_free char *d = xasprintf("sha256:%s", hex);

	s->layers = xrealloc(s->layers, (s->n_layers + 1) * sizeof(char *));
	s->layers[s->n_layers++] = xstrdup(hex);
	json_array_append_new(s->descs, json_pack("{s:s,s:s,s:I}", "mediaType", MT_LAYER, "digest",
	                                          d, "size", (json_int_t)size));
	json_array_append_new(json_object_get(json_object_get(s->config, "rootfs"), "diff_ids"),
	                      json_string(d));
}

static void history_add(struct bctx *b, struct stage *s, const char *by, bool empty)
{
	json_t *h = json_object_get(s->config, "history");

	if (!json_is_array(h)) {
		h = json_array();
		json_object_set_new(s->config, "history", h);
	}
	json_array_append_new(h, json_pack("{s:s,s:s}", "created", b->created, "created_by", by));
	if (empty)
		json_object_set_new(json_array_get(h, json_array_size(h) - 1), "empty_layer",
		                    json_true());
}

static void say(struct bctx *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct bctx *b, const char *fmt, ...)
{
	va_list ap;

	if (b->o->quiet)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

/* ---- variables ---------------------------------------------------------------------------- */
static const char *env_get(json_t *env, const char *name)
{
	size_t l = strlen(name), i;
	json_t *v;

	json_array_foreach(env, i, v)
	{
		const char *kv = json_string_value(v);
		if (kv && strncmp(kv, name, l) == 0 && kv[l] == '=')
			return kv + l + 1;
	}
	return NULL;
}

const char *build_scope_lookup(const char *name, void *ctx)
{
	struct scope *sc = ctx;
	json_t *args = sc->s ? sc->s->args : sc->b->meta;
	const char *v;

	if (sc->s && (v = env_get(json_object_get(build_cfg(sc->s), "Env"), name)) != NULL)
		return v;
	if (json_object_get(args, name))
		return json_string_value(json_object_get(args, name));
	if (json_object_get(sc->b->bargs, name) && sc->undeclared == NULL)
		/* the key's own copy: name does not outlive the call */
		sc->undeclared = json_object_iter_key(json_object_iter_at(sc->b->bargs, name));
	return NULL;
}

int build_scope_check(struct scope *sc, const char *what, berth_error_t *err)
{
	if (sc->undeclared)
		return berth_error(err, 0,
		                   "%s: $%s is a --build-arg not declared here (add `ARG %s` "
		                   "before this line)",
		                   what, sc->undeclared, sc->undeclared);
	return 0;
}

int build_expand_words(struct bctx *b, struct stage *s, const char *what, const struct bf_insn *in,
                       char ***w, size_t *n, berth_error_t *err)
{
	struct scope sc = {.b = b, .s = s};

	if (in->json) {
		*w = xmalloc0((in->n_args + 1) * sizeof(char *));
		*n = 0;
		for (size_t i = 0; i < in->n_args; i++) {
			if (bf_expand(what, in->args[i], b->bf.escape, build_scope_lookup, &sc,
			              &(*w)[i], err) < 0) {
				bf_words_free(*w, i);
				return -1;
			}
			(*n)++;
		}
	} else if (bf_expand_words(what, in->args[0], b->bf.escape, build_scope_lookup, &sc, w, n,
	                           err) < 0) {
		return -1;
	}
	if (build_scope_check(&sc, what, err) < 0) {
		bf_words_free(*w, *n);
		return -1;
	}
	return 0;
}

int build_expand_one(struct bctx *b, struct stage *s, const char *what, const char *text,
                     char **out, berth_error_t *err)
{
	struct scope sc = {.b = b, .s = s};

	if (bf_expand(what, text, b->bf.escape, build_scope_lookup, &sc, out, err) < 0)
		return -1;
	if (build_scope_check(&sc, what, err) < 0) {
		free(*out);
		return -1;
	}
	return 0;
}

/* ARG NAME[=DEFAULT]… into args (the stage's, or the ARGs before FROM). */
static int do_arg(struct bctx *b, struct stage *s, const char *what, const struct bf_insn *in,
                  berth_error_t *err)
{
	struct scope sc = {.b = b, .s = s};
	char **k, **v;
	size_t n;
	json_t *args = s ? s->args : b->meta;

	if (bf_pairs(what, in->args[0], b->bf.escape, false, false, build_scope_lookup, &sc, &k, &v,
	             &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		json_t *ba = json_object_get(b->bargs, k[i]);
		json_t *val;
		if (ba) {
			val = json_copy(ba);
			json_object_set_new(b->used, k[i], json_true());
		} else if (v[i]) {
			val = json_string(v[i]);
		} else if (s && json_is_string(json_object_get(b->meta, k[i]))) {
			val = json_copy(json_object_get(b->meta, k[i]));
		} else {
			val = json_null();
		}
		json_object_set_new(args, k[i], val);
	}
	bf_words_free(k, n);
	bf_words_free(v, n);
	return 0;
}

/* ---- FROM ----------------------------------------------------------------------------------- */
/* An earlier stage by name (or, with index, by number: COPY --from=0). */
static struct stage *stage_named(struct bctx *b, const char *name, size_t upto, bool index)
{
	char *end;
	unsigned long idx = strtoul(name, &end, 10);

	for (size_t i = 0; i < upto; i++)
		if (b->st[i].config && b->st[i].name && strcasecmp(b->st[i].name, name) == 0)
			return &b->st[i];
	if (index && name[0] && *end == '\0' && idx < upto && b->st[idx].config)
		return &b->st[idx];
	return NULL;
}

struct pull_arg {
	struct engine *e;
	const char *ref;
	struct reg_opts ro;
};

static int pull_child(void *arg, berth_error_t *err)
{
	struct pull_arg *pa = arg;
	cleanup_free char *id = NULL;

	return image_pull(pa->e, pa->ref, &pa->ro, &id, err);
}

/* An image by the --pull policy. */
static int get_image(struct bctx *b, const char *ref, const char *platform, struct image **img,
                     berth_error_t *err)
{
	const char *pull = b->o->pull ? b->o->pull : "missing";
	bool have = strcmp(pull, "always") != 0 && image_present(b->e, ref);

	if (!have && strcmp(pull, "never") != 0) {
		struct pull_arg pa = {.e = b->e,
		                      .ref = ref,
		                      .ro = {.platform = platform,
		                             .tls_verify = !b->o->no_tls_verify,
		                             .quiet = b->o->quiet}};
		/* in a child: pull's threads never live in this process, which forks containers */
		if (bfs_child(pull_child, &pa, err) < 0)
			return -1;
	}
	return image_find_platform(b->e, ref, platform, img, err);
}

static int stage_from_image(struct bctx *b, struct stage *s, struct image *img,
                            const char *platform)
{
	cleanup_free char *key = NULL;

	s->config = json_deep_copy(img->config);
	json_object_del(s->config, "container_config");
	json_object_del(s->config, "container");
	s->descs = json_deep_copy(json_object_get(img->manifest, "layers"));
	if (!json_is_array(s->descs)) {
		json_decref(s->descs);
		s->descs = json_array();
	}
	if (!json_is_object(json_object_get(s->config, "rootfs")))
		json_object_set_new(s->config, "rootfs",
		                    json_pack("{s:s,s:[]}", "type", "layers", "diff_ids"));
	for (size_t i = 0; i < img->n_layers; i++) {
		s->layers = xrealloc(s->layers, (s->n_layers + 1) * sizeof(char *));
		s->layers[s->n_layers++] = xstrdup(img->layers[i]);
	}
	if (!json_is_array(json_object_get(s->config, "history"))) {
		/* a history entry per layer, as the layers are counted against it */
		json_t *h = json_array();
		const char *c = json_string_value(json_object_get(s->config, "created"));
		for (size_t i = 0; i < img->n_layers; i++)
			json_array_append_new(h, json_pack("{s:s,s:s}", "created",
			                                   c ? c : "1970-01-01T00:00:00Z",
			                                   "created_by", "(base layer)"));
		json_object_set_new(s->config, "history", h);
	}
	s->base_hist = json_array_size(json_object_get(s->config, "history"));
	key = xasprintf("FROM %s %s %lld", img->id, platform ? platform : "", b->ts);
	chain_next(s->chain, "", key, NULL);
	return 0;
}

static void stage_scratch(struct bctx *b, struct stage *s, const char *platform)
{
	const char *arch = host_arch();
	cleanup_free char *a = NULL;
	cleanup_free char *key = NULL;

	if (platform && strchr(platform, '/')) {
		a = xstrdup(strchr(platform, '/') + 1);
		if (strchr(a, '/'))
			*strchr(a, '/') = '\0';
		arch = a;
	}
	s->config = json_pack("{s:s,s:s,s:{s:[s]},s:{s:s,s:[]},s:[]}", "architecture", arch, "os",
	                      "linux", "config", "Env", DEFAULT_PATH, "rootfs", "type", "layers",
	                      "diff_ids", "history");
	s->descs = json_array();
	key = xasprintf("FROM scratch %s %lld", arch, b->ts);
	chain_next(s->chain, "", key, NULL);
}

static int exec_insn(struct bctx *b, struct stage *s, const struct bf_insn *in, bool trigger,
                     berth_error_t *err);

static int do_from(struct bctx *b, struct stage *s, size_t idx, const char *what,
                   const struct bf_insn *in, berth_error_t *err)
{
	struct scope sc = {.b = b, .s = NULL};
	char **w;
	size_t n;
	cleanup_free char *platform = NULL;
	const char *pf = bf_flag(in, "platform");
	struct stage *from;
	int r = -1;

	if (bf_expand_words(what, in->args[0], b->bf.escape, build_scope_lookup, &sc, &w, &n, err) <
	    0)
		return -1;
	if (build_scope_check(&sc, what, err) < 0 || n < 1)
		goto out;
	if (pf && bf_expand(what, pf, b->bf.escape, build_scope_lookup, &sc, &platform, err) < 0)
		goto out;
	if (!platform && b->o->platform)
		platform = xstrdup(b->o->platform);
	if (platform && platform_check(platform, err) < 0) {
		berth_error_prefix(err, "%s", what);
		goto out;
	}
	if (n == 3) {
		s->name = xstrdup(w[2]);
		for (char *c = s->name; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		for (size_t i = 0; i < idx; i++)
			if (b->st[i].name && strcmp(b->st[i].name, s->name) == 0) {
				berth_error(err, 0, "%s: stage name `%s` used twice", what,
				            s->name);
				goto out;
			}
	}
	s->args = json_object();
	if (strcasecmp(w[0], "scratch") == 0) {
		stage_scratch(b, s, platform);
	} else if ((from = stage_named(b, w[0], idx, false)) != NULL) {
		s->config = json_deep_copy(from->config);
		s->descs = json_deep_copy(from->descs);
		for (size_t i = 0; i < from->n_layers; i++) {
			s->layers = xrealloc(s->layers, (s->n_layers + 1) * sizeof(char *));
			s->layers[s->n_layers++] = xstrdup(from->layers[i]);
		}
		memcpy(s->chain, from->chain, sizeof(s->chain));
		s->base_hist = from->base_hist;
	} else {
		struct image *img = NULL;
		json_t *onbuild;
		size_t i;
		json_t *t;
		if (get_image(b, w[0], platform, &img, err) < 0) {
			berth_error_prefix(err, "%s", what);
			goto out;
		}
		stage_from_image(b, s, img, platform);
		image_free(img);
		/* the base image's ONBUILD triggers, run now */
		onbuild = json_incref(json_object_get(build_cfg(s), "OnBuild"));
		json_object_del(build_cfg(s), "OnBuild");
		json_array_foreach(onbuild, i, t)
		{
			struct bf_insn sub;
			cleanup_free char *twhat = xasprintf("%s (ONBUILD)", b->file);
			if (bf_parse_insn(twhat, in->line, json_string_value(t) ?: "", b->bf.escape,
			                  &sub, err) < 0) {
				bf_insn_free(&sub);
				json_decref(onbuild);
				goto out;
			}
			say(b, "--> ONBUILD %s\n", sub.text);
			if (exec_insn(b, s, &sub, true, err) < 0) {
				bf_insn_free(&sub);
				json_decref(onbuild);
				goto out;
			}
			bf_insn_free(&sub);
		}
		json_decref(onbuild);
	}
	/* the proxy build args need no ARG */
	{
		static const char *const proxies[] = {
		    "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY",
		    "ftp_proxy",  "NO_PROXY",   "no_proxy",    "ALL_PROXY",   "all_proxy"};
		for (size_t i = 0; i < ARRAY_SIZE(proxies); i++) {
			json_t *v = json_object_get(b->bargs, proxies[i]);
			if (v) {
				json_object_set(s->args, proxies[i], v);
				json_object_set_new(b->used, proxies[i], json_true());
			}
		}
	}
	r = 0;
out:
	bf_words_free(w, n);
	return r;
}

/* ---- steps that make a layer --------------------------------------------------------------- */
/* A cache hit for key: the layer (if any) added. 1 hit, 0 miss. */
static int cache_use(struct bctx *b, struct stage *s, const char *key, const char *by)
{
	char diff[65];
	bool has;

	if (b->o->no_cache || bfs_cache_get(b->e, key, diff, &has) < 0)
		return 0;
	if (has) {
		cleanup_free char *blob = engine_path(b->e, "images/blobs/sha256/%s", diff);
		struct stat st;
		if (stat(blob, &st) < 0)
			return 0;
		stage_add_layer(s, diff, (uint64_t)st.st_size);
		say(b, "--> Using cache %.12s\n", diff);
	} else {
		say(b, "--> Using cache (no changes)\n");
	}
	history_add(b, s, by, !has);
	memcpy(s->chain, key, 65);
	return 1;
}

/* The upper directory as the step's layer; the cache told. */
static int layer_done(struct bctx *b, struct stage *s, const char *key, const char *upper,
                      const char *by, berth_error_t *err)
{
	char hex[65];
	uint64_t size = 0;
	bool empty;
	cleanup_free char *t = xasprintf("%s/commit", b->tmp);

	if (mkdir(t, 0700) < 0)
		return berth_error(err, errno, "mkdir `%s`", t);
	if (bfs_commit_layer(b->e, upper, t, b->ts, hex, &size, &empty, err) < 0)
		return -1;
	rmdir(t);
	if (!empty) {
		stage_add_layer(s, hex, size);
		say(b, "--> %.12s\n", hex);
	}
	bfs_cache_put(b->e, key, empty ? NULL : hex);
	history_add(b, s, by, empty);
	memcpy(s->chain, key, 65);
	return 0;
}

static char *step_dir(struct bctx *b)
{
	return xasprintf("%s/s%zu", b->tmp, b->n_dirs++);
}

json_t *build_shell(struct stage *s)
{
	json_t *sh = json_object_get(build_cfg(s), "Shell");

	if (json_is_array(sh) && json_array_size(sh) > 0)
		return json_incref(sh);
	return json_pack("[s,s]", "/bin/sh", "-c");
}

static int do_run(struct bctx *b, struct stage *s, const char *what, const struct bf_insn *in,
                  berth_error_t *err)
{
	json_t *args = json_array(), *a;
	char **argv = NULL, **env = NULL;
	size_t n_env = 0, i;
	cleanup_free char *key = NULL;
	cleanup_free char *keytext = NULL;
	cleanup_free char *id = NULL;
	cleanup_free char *upper = NULL;
	cleanup_free char *run_name = NULL;
	const char *k;
	json_t *v;
	struct image img = {0};
	struct run_opts ro = {0};
	int status = 0, r = -1;
	const char *net = bf_flag(in, "network");

	if (s->n_layers == 0) {
		json_decref(args);
		return berth_error(err, 0,
		                   "%s: the stage has no files yet (FROM scratch): nothing to "
		                   "run",
		                   what);
	}
	if (net && strcmp(net, "default") != 0 && strcmp(net, "none") != 0 &&
	    strcmp(net, "host") != 0) {
		json_decref(args);
		return berth_error(err, 0, "%s: bad --network=%s: expected default, none or host",
		                   what, net);
	}
	if (in->json) {
		for (i = 0; i < in->n_args; i++)
			json_array_append_new(args, json_string(in->args[i]));
	} else {
		json_t *sh = build_shell(s);
		json_array_extend(args, sh);
		json_decref(sh);
		json_array_append_new(args, json_string(in->args[0]));
	}
	/* the ARGs in scope are the command's environment (ENV wins) and in its key */
	json_object_foreach(s->args, k, v)
	{
		if (!json_is_string(v) || env_get(json_object_get(build_cfg(s), "Env"), k))
			continue;
		env = xrealloc(env, (n_env + 1) * sizeof(char *));
		env[n_env++] = xasprintf("%s=%s", k, json_string_value(v));
	}
	{
		cleanup_free char *c = json_text(build_cfg(s));
		cleanup_free char *ar = json_text(s->args);
		cleanup_free char *av = json_text(args);
		keytext = xasprintf("RUN %s %s %s %s", av, c, ar, net ? net : "");
	}
	key = xmalloc0(65);
	chain_next(key, s->chain, keytext, NULL);
	if (cache_use(b, s, key, in->text)) {
		r = 0;
		goto out;
	}
	argv = xmalloc0((json_array_size(args) + 1) * sizeof(char *));
	json_array_foreach(args, i, a) argv[i] = (char *)json_string_value(a);
	ro.cmd = argv;
	ro.n_cmd = json_array_size(args);
	ro.env = env;
	ro.n_env = n_env;
	ro.network = net && strcmp(net, "default") != 0 ? net
	             : b->o->network                    ? b->o->network
	                                                : "bridge";
	ro.platform = b->o->platform;
	/* named after the build's directory, so that a sweep finds it if the build is killed */
	run_name = xasprintf("%s-%zu", strrchr(b->tmp, '/') + 1, b->n_dirs++);
	ro.name = run_name;
	img.name = (char *)"berth-build";
	img.id = s->chain;
	img.config = s->config;
	img.layers = s->layers;
	img.n_layers = s->n_layers;
	img.manifest = NULL;
	if (ctr_create(b->e, &img, &ro, &id, err) < 0) {
		berth_error_prefix(err, "%s", what);
		goto out;
	}
	fflush(stdout);
	if (monitor_run_attached(b->e, id, &status, err) < 0) {
		berth_error_prefix(err, "%s", what);
		goto rm;
	}
	if (status != 0) {
		cleanup_free char *cmd = json_text(args);
		berth_error(err, 0, "%s: %s returned a non-zero code: %d", what, cmd, status);
		goto rm;
	}
	upper = engine_path(b->e, "containers/%s/upper", id);
	r = layer_done(b, s, key, upper, in->text, err);
rm : {
	berth_error_t e2 = NULL;
	if (ctr_remove(b->e, id, true, &e2) < 0)
		log_warning("%s", e2->msg);
	berth_error_release(&e2);
}
out:
	free(argv);
	bf_words_free(env, n_env);
	json_decref(args);
	return r;
}

/* Where a COPY/ADD destination or WORKDIR is, from the stage's WorkingDir. */
static char *abs_path(struct stage *s, const char *p)
{
	const char *wd = json_string_value(json_object_get(build_cfg(s), "WorkingDir"));
	size_t l;

	if (p[0] == '/')
		return xstrdup(p);
	if (wd == NULL || wd[0] == '\0')
		wd = "/";
	l = strlen(wd);
	return xasprintf("%s%s%s", wd, wd[l - 1] == '/' ? "" : "/", p);
}

static int parse_chmod(const char *what, const char *v, int *out, berth_error_t *err)
{
	char *end;
	long m;

	errno = 0;
	m = strtol(v, &end, 8);
	if (*v == '\0' || *end || errno || m < 0 || m > 07777)
		return berth_error(err, 0, "%s: bad --chmod=%s: expected an octal mode (755)", what,
		                   v);
	*out = (int)m;
	return 0;
}

/* --chown=USER[:GROUP] through the stage's /etc/passwd and /etc/group. */
static int resolve_chown(const char *what, const char *spec, int rootfd, uint32_t *uid,
                         uint32_t *gid, berth_error_t *err)
{
	cleanup_free char *passwd = NULL;
	cleanup_free char *group = NULL;
	cleanup_free char *w = xasprintf("%s: --chown", what);
	struct user_ids ids = {0};

	if (user_read_file(rootfd, "/etc/passwd", &passwd, err) < 0 ||
	    user_read_file(rootfd, "/etc/group", &group, err) < 0)
		return -1;
	if (user_resolve(w, spec, passwd, group, NULL, 0, &ids, err) < 0)
		return -1;
	*uid = ids.uid;
	*gid = ids.gid;
	/* USER:GROUP's group is GROUP's; a USER alone gets the user's primary group */
	user_ids_free(&ids);
	return 0;
}

/* The local sources (if any) and the downloaded files (fetch_dir/urls, as 0600 files unless
 * --chmod, never unpacked). */
static int copy_all(const struct bfs_copy *c, const char *fetch_dir, char **urls, size_t n_urls,
                    int *fetch_fd, berth_error_t *err)
{
	struct bfs_copy u = *c;

	if (c->n_src > 0 && bfs_copy(c, err) < 0)
		return -1;
	if (n_urls == 0)
		return 0;
	if (*fetch_fd < 0 && (*fetch_fd = open(fetch_dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return berth_error(err, errno, "open `%s`", fetch_dir);
	u.srcfd = *fetch_fd;
	u.ig = NULL;
	u.src = urls;
	u.n_src = n_urls;
	u.add = false;
	if (u.chmod < 0)
		u.chmod = 0600;
	return bfs_copy(&u, err);
}

static int do_copy(struct bctx *b, struct stage *s, const char *what, const struct bf_insn *in,
                   berth_error_t *err)
{
	char **w = NULL;
	size_t n = 0;
	struct bfs_copy c = {.what = what, .chmod = -1, .ts = b->ts};
	struct bfs_mount src = {.rootfd = -1}, dst = {.rootfd = -1};
	cleanup_free char *dest = NULL;
	cleanup_free char *from = NULL;
	cleanup_free char *chown = NULL;
	cleanup_free char *key = NULL;
	cleanup_free char *srcdesc = NULL;
	cleanup_free char *fetch_dir = NULL;
	char **urls = NULL;
	size_t n_urls = 0;
	cleanup_close int fetch_fd = -1;
	const char *f;
	struct sha256 h;
	char dig[65];
	int r = -1;

	if (build_expand_words(b, s, what, in, &w, &n, err) < 0)
		return -1;
	if (n < 2) {
		berth_error(err, 0, "%s: expected at least one source and a destination", what);
		goto out;
	}
	c.add = in->kind == BF_ADD;
	/* ADD's URLs: downloaded first (the content is in the key), copied as files of 0600 */
	for (size_t i = 0; i + 1 < n; i++) {
		bool git = strncmp(w[i], "git@", 4) == 0;
		const char *slash;
		cleanup_free char *base = NULL;
		cleanup_free char *file = NULL;
		if (!git && strncmp(w[i], "http://", 7) != 0 && strncmp(w[i], "https://", 8) != 0)
			continue;
		if (!c.add) {
			berth_error(err, 0, "%s: `%s`: COPY takes no URL (ADD does)", what, w[i]);
			goto out;
		}
		if (b->o->network && strcmp(b->o->network, "none") == 0) {
			berth_error(
			    err, 0,
			    "%s: `%s`: a remote source needs the network (--network none was "
			    "given)",
			    what, w[i]);
			goto out;
		}
		if (git) {
			berth_error(err, 0, "%s: `%s`: git sources are not supported", what, w[i]);
			goto out;
		}
		base = strndup(w[i], strcspn(w[i], "?#"));
		slash = strrchr(base, '/');
		if (slash == NULL || slash[1] == '\0' || slash - base < 8 ||
		    strcmp(slash, "/..") == 0 || strcmp(slash, "/.") == 0) {
			berth_error(err, 0,
			            "%s: `%s`: no file name in the URL's path (name it: ADD URL "
			            "/dest/file)",
			            what, w[i]);
			goto out;
		}
		if (fetch_dir == NULL) {
			fetch_dir = step_dir(b);
			if (mkdir(fetch_dir, 0700) < 0) {
				berth_error(err, errno, "mkdir `%s`", fetch_dir);
				goto out;
			}
		}
		say(b, "--> fetching %s\n", w[i]);
		file = xasprintf("%s/%s", fetch_dir, slash + 1);
		unlink(file);
		if (bfs_fetch(what, w[i], file, err) < 0)
			goto out;
		urls = xrealloc(urls, (n_urls + 1) * sizeof(char *));
		urls[n_urls++] = xstrdup(slash + 1);
		free(w[i]);
		w[i] = NULL;
	}
	{
		/* the local sources together */
		size_t k = 0;
		for (size_t i = 0; i + 1 < n; i++)
			if (w[i])
				w[k++] = w[i];
		w[k++] = w[n - 1];
		for (size_t i = k; i < n; i++)
			w[i] = NULL;
		n = k;
	}
	if (w[n - 1][0] == '\0') {
		berth_error(err, 0, "%s: expected a destination, not an empty word", what);
		goto out;
	}
	if (n - 1 + n_urls > 1 && w[n - 1][strlen(w[n - 1]) - 1] != '/') {
		berth_error(err, 0,
		            "%s: with more than one source the destination must end with `/`",
		            what);
		goto out;
	}
	dest = abs_path(s, w[n - 1]);
	c.src = w;
	c.n_src = n - 1;
	c.dest = dest;
	if ((f = bf_flag(in, "chmod")) != NULL) {
		cleanup_free char *x = NULL;
		if (build_expand_one(b, s, what, f, &x, err) < 0 ||
		    parse_chmod(what, x, &c.chmod, err) < 0)
			goto out;
	}
	if ((f = bf_flag(in, "chown")) != NULL && build_expand_one(b, s, what, f, &chown, err) < 0)
		goto out;
	if ((f = bf_flag(in, "from")) != NULL) {
		struct stage *fs;
		cleanup_free char *dir = step_dir(b);
		char **layers;
		size_t nl;
		struct image *img = NULL;
		if (build_expand_one(b, s, what, f, &from, err) < 0)
			goto out;
		fs = stage_named(b, from, (size_t)(s - b->st), true);
		if (fs) {
			layers = fs->layers;
			nl = fs->n_layers;
			srcdesc = xasprintf("stage %s", fs->chain);
		} else {
			if (get_image(b, from, b->o->platform, &img, err) < 0) {
				berth_error_prefix(err,
				                   "%s: --from=%s: not a stage before this one nor "
				                   "an image",
				                   what, from);
				goto out;
			}
			srcdesc = xasprintf("image %s", img->id);
			layers = img->layers;
			nl = img->n_layers;
		}
		r = bfs_mount(b->e, dir, layers, nl, true, &src, err);
		image_free(img);
		if (r < 0)
			goto out;
		r = -1;
		c.srcfd = src.rootfd;
	} else {
		c.srcfd = b->ctxfd;
		c.ig = &b->ig;
		srcdesc = xstrdup("context");
	}
	/* the sources' digest first: the cache key */
	sha256_init(&h);
	c.digest = &h;
	c.dry = true;
	if (copy_all(&c, fetch_dir, urls, n_urls, &fetch_fd, err) < 0)
		goto out;
	sha256_final_hex(&h, dig);
	{
		cleanup_free char *ws = NULL;
		cleanup_free char *cf = json_text(build_cfg(s));
		json_t *wa = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(wa, json_string(w[i]));
		ws = json_text(wa);
		json_decref(wa);
		key = xasprintf("%s %s %s %s %s %s %o %s", in->keyword, ws, dest, srcdesc, dig,
		                chown ? chown : "", (unsigned)c.chmod, cf);
		{
			char kh[65];
			chain_next(kh, s->chain, key, NULL);
			free(key);
			key = xstrdup(kh);
		}
	}
	if (cache_use(b, s, key, in->text)) {
		r = 0;
		goto out;
	}
	{
		cleanup_free char *dir = step_dir(b);
		if (bfs_mount(b->e, dir, s->layers, s->n_layers, false, &dst, err) < 0)
			goto out;
	}
	if (chown) {
		if (resolve_chown(what, chown, dst.rootfd, &c.uid, &c.gid, err) < 0)
			goto out;
		c.chown = true;
	}
	c.dstfd = dst.rootfd;
	c.digest = NULL;
	c.dry = false;
	if (copy_all(&c, fetch_dir, urls, n_urls, &fetch_fd, err) < 0)
		goto out;
	r = layer_done(b, s, key, dst.upper, in->text, err);
out:
	bfs_umount(&src);
	bfs_umount(&dst);
	bf_words_free(w, n);
	bf_words_free(urls, n_urls);
	return r;
}

static int do_workdir(struct bctx *b, struct stage *s, const char *what, const struct bf_insn *in,
                      berth_error_t *err)
{
	cleanup_free char *v = NULL;
	cleanup_free char *dir = NULL;
	cleanup_free char *clean = NULL;
	char key[65];
	struct bfs_mount m = {.rootfd = -1};
	int r = -1;

	if (build_expand_one(b, s, what, in->args[0], &v, err) < 0)
		return -1;
	dir = abs_path(s, v);
	clean = spec_clean_path(dir);
	json_object_set_new(build_cfg(s), "WorkingDir", json_string(clean));
	chain_next(key, s->chain, "WORKDIR", clean);
	if (cache_use(b, s, key, in->text))
		return 0;
	{
		cleanup_free char *sd = step_dir(b);
		int fd;
		if (bfs_mount(b->e, sd, s->layers, s->n_layers, false, &m, err) < 0)
			goto out;
		fd = util_mkdir_in_root(m.rootfd, clean, 0755, err);
		if (fd < 0) {
			berth_error_prefix(err, "%s", what);
			goto out;
		}
		close(fd);
	}
	r = layer_done(b, s, key, m.upper, in->text, err);
out:
	bfs_umount(&m);
	return r;
}

/* ---- one instruction ------------------------------------------------------------------------- */
static int exec_insn(struct bctx *b, struct stage *s, const struct bf_insn *in, bool trigger,
                     berth_error_t *err)
{
	cleanup_free char *what = xasprintf("%s:%d: %s", b->file, in->line, in->keyword);

	(void)trigger;
	switch (in->kind) {
	case BF_RUN:
		return do_run(b, s, what, in, err);
	case BF_COPY:
	case BF_ADD:
		return do_copy(b, s, what, in, err);
	case BF_WORKDIR:
		return do_workdir(b, s, what, in, err);
	case BF_ARG:
		if (do_arg(b, s, what, in, err) < 0)
			return -1;
		break;
	case BF_FROM:
		return berth_error(err, 0, "%s: not allowed here", what);
	default:
		if (build_do_config(b, s, what, in, err) < 0)
			return -1;
		break;
	}
	/* a config step: its effect in the chain and the history; an ARG's value only where it
	 * is used (as Docker: a changed build arg misses the cache at its first use) */
	{
		cleanup_free char *c = in->kind == BF_ARG ? NULL : json_text(build_cfg(s));
		char key[65];
		chain_next(key, s->chain, in->text, c);
		memcpy(s->chain, key, sizeof(key));
		if (in->kind != BF_ARG)
			history_add(b, s, in->text, true);
	}
	return 0;
}

/* ---- the build ------------------------------------------------------------------------------- */
static int load_inputs(struct bctx *b, berth_error_t *err)
{
	const struct build_opts *o = b->o;
	cleanup_free char *text = NULL;
	char *path;
	size_t len;

	b->ctxfd = open(o->context, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (b->ctxfd < 0)
		return berth_error(err, errno, "context `%s`", o->context);
	if (o->file) {
		path = xstrdup(o->file);
		b->path = path;
	} else {
		path = xasprintf("%s/Containerfile", o->context);
		if (access(path, F_OK) != 0) {
			free(path);
			path = xasprintf("%s/Dockerfile", o->context);
		}
		b->path = path;
	}
	if (util_read_file(path, &text, &len, err) < 0) {
		if (o->file)
			return berth_error_prefix(err, "-f");
		berth_error_release(err);
		return berth_error(err, 0, "no Containerfile or Dockerfile in `%s` (give -f FILE)",
		                   o->context);
	}
	if (strlen(text) != len)
		return berth_error(err, 0, "`%s`: expected text, found a NUL byte", path);
	b->path = path;
	b->file = o->file ? o->file : strrchr(path, '/') + 1;
	if (bf_parse(b->file, text, &b->bf, err) < 0)
		return -1;
	{
		static const char *const ign[] = {".containerignore", ".dockerignore"};
		for (size_t i = 0; i < ARRAY_SIZE(ign); i++) {
			cleanup_free char *ip = xasprintf("%s/%s", o->context, ign[i]);
			cleanup_free char *it = NULL;
			berth_error_t e2 = NULL;
			if (util_read_file(ip, &it, &len, &e2) == 0) {
				bf_ignore_parse(it, &b->ig);
				break;
			}
			berth_error_release(&e2);
		}
	}
	return 0;
}

/* The config's times that are this build's (its "created" and the history entries after
 * the base image's) set to t. */
static void commit_set_time(struct stage *s, const char *t)
{
	json_t *h = json_object_get(s->config, "history");

	json_object_set_new(s->config, "created", json_string(t));
	for (size_t i = s->base_hist; i < json_array_size(h); i++)
		json_object_set_new(json_array_get(h, i), "created", json_string(t));
}

/* A rebuild that changes nothing gives the same image, as Docker's and Podman's do (not one
 * more image, the name moved and the last one left dangling): the build that first made a
 * config (its layers, settings and history, times aside) leaves its time in the cache, and
 * a later build of the same config takes that time. Not with --no-cache, nor with
 * --timestamp, whose time is the one asked for. */
static void commit_reuse_time(struct bctx *b, struct stage *s)
{
	cleanup_free char *text = NULL, *name = NULL;
	char hex[65], t[sizeof(b->created)];
	struct timespec ts;
	bool zoned;
	const char *old;
	json_t *j;

	if (b->o->no_cache || b->ts >= 0)
		return;
	commit_set_time(s, "");
	text = json_dumps(s->config, JSON_COMPACT | JSON_SORT_KEYS);
	sha256_hex(text, strlen(text), hex);
	name = xasprintf("commit-%s", hex);
	snprintf(t, sizeof(t), "%s", b->created);
	j = bfs_cache_load(b->e, name);
	old = json_string_value(json_object_get(j, "created"));
	if (old && strlen(old) < sizeof(t) &&
	    util_parse_rfc3339(old, strlen(old), &ts, &zoned) == 0) {
		snprintf(t, sizeof(t), "%s", old);
	} else {
		json_t *n = json_pack("{s:s}", "created", b->created);
		bfs_cache_store(b->e, name, n);
		json_decref(n);
	}
	json_decref(j);
	commit_set_time(s, t);
}

static int write_image(struct bctx *b, struct stage *s, char **id, berth_error_t *err)
{
	const struct build_opts *o = b->o;
	cleanup_free char *ctext = NULL;
	cleanup_free char *mtext = NULL;
	cleanup_free char *cd = NULL;
	cleanup_free char *md = NULL;
	char chex[65], mhex[65];
	json_t *m;
	int r = -1;

	for (size_t i = 0; i < o->n_labels; i++) {
		const char *eq = strchr(o->labels[i], '=');
		cleanup_free char *k =
		    eq ? strndup(o->labels[i], (size_t)(eq - o->labels[i])) : xstrdup(o->labels[i]);
		if (!json_is_object(json_object_get(build_cfg(s), "Labels")))
			json_object_set_new(build_cfg(s), "Labels", json_object());
		json_object_set_new(json_object_get(build_cfg(s), "Labels"), k,
		                    json_string(eq ? eq + 1 : ""));
	}
	json_object_set_new(s->config, "created", json_string(b->created));
	commit_reuse_time(b, s);
	ctext = json_dumps(s->config, JSON_COMPACT | JSON_SORT_KEYS);
	sha256_hex(ctext, strlen(ctext), chex);
	cd = xasprintf("sha256:%s", chex);
	m = json_pack("{s:i,s:s,s:{s:s,s:s,s:I},s:O}", "schemaVersion", 2, "mediaType", MT_MANIFEST,
	              "config", "mediaType", MT_CONFIG, "digest", cd, "size",
	              (json_int_t)strlen(ctext), "layers", s->descs);
	mtext = json_dumps(m, JSON_COMPACT);
	json_decref(m);
	sha256_hex(mtext, strlen(mtext), mhex);
	md = xasprintf("sha256:%s", mhex);
	if (engine_lock(b->e, err) < 0)
		return -1;
	{
		cleanup_free char *cp = engine_path(b->e, "images/blobs/sha256/%s", chex);
		cleanup_free char *mp = engine_path(b->e, "images/blobs/sha256/%s", mhex);
		if (util_write_file_atomic(cp, ctext, strlen(ctext), 0644, err) < 0 ||
		    util_write_file_atomic(mp, mtext, strlen(mtext), 0644, err) < 0)
			goto out;
	}
	if (o->n_tags == 0 && image_index_add(b->e, NULL, md, strlen(mtext), MT_MANIFEST, err) < 0)
		goto out;
	for (size_t i = 0; i < o->n_tags; i++) {
		cleanup_free char *norm = image_ref_normalize(o->tags[i]);
		if (image_index_add(b->e, norm, md, strlen(mtext), MT_MANIFEST, err) < 0)
			goto out;
	}
	r = 0;
out:
	engine_unlock(b->e);
	if (r == 0) {
		for (size_t i = 0; i < o->n_tags; i++) {
			cleanup_free char *norm = image_ref_normalize(o->tags[i]);
			say(b, "COMMIT %s\n", norm);
		}
		say(b, "--> %.12s\n", chex);
		for (size_t i = 0; i < o->n_tags; i++) {
			cleanup_free char *norm = image_ref_normalize(o->tags[i]);
			say(b, "Successfully tagged %s\n", norm);
		}
		*id = xstrdup(chex);
	}
	return r;
}

int build_image(struct engine *e, const struct build_opts *o, char **id, berth_error_t *err)
{
	struct bctx b = {.e = e, .o = o, .ctxfd = -1, .ts = -1};
	size_t first = 0, last, i, n_stages = 0;
	struct stage *s = NULL;
	bool *needed = NULL, skip = false;
	int r = -1;

	for (i = 0; i < o->n_tags; i++)
		if (image_check_name("-t", o->tags[i], err) < 0)
			return -1;
	for (i = 0; i < o->n_labels; i++)
		if (strchr(o->labels[i], '=') == o->labels[i])
			return berth_error(err, 0, "bad --label `%s`: expected KEY=VALUE",
			                   o->labels[i]);
	if (o->platform && platform_check(o->platform, err) < 0)
		return -1;
	if (o->has_timestamp) {
		b.ts = o->timestamp;
		if (b.ts < 0)
			return berth_error(
			    err, 0, "bad --timestamp `%lld`: expected seconds since 1970", b.ts);
	}
	{
		time_t t = b.ts >= 0 ? (time_t)b.ts : time(NULL);
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(b.created, sizeof(b.created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	b.meta = json_object();
	b.bargs = json_object();
	b.used = json_object();
	for (i = 0; i < o->n_build_args; i++) {
		const char *eq = strchr(o->build_args[i], '=');
		cleanup_free char *k =
		    eq ? strndup(o->build_args[i], (size_t)(eq - o->build_args[i]))
		       : xstrdup(o->build_args[i]);
		const char *v = eq ? eq + 1 : getenv(k);
		if (k[0] == '\0') {
			berth_error(err, 0, "bad --build-arg `%s`: expected KEY=VALUE",
			            o->build_args[i]);
			goto out;
		}
		if (v)
			json_object_set_new(b.bargs, k, json_string(v));
	}
	{
		/* the platform's ARGs, as BuildKit and Buildah predefine them */
		const char *arch = host_arch();
		cleanup_free char *tp =
		    o->platform ? xstrdup(o->platform) : xasprintf("linux/%s", arch);
		cleanup_free char *bp = xasprintf("linux/%s", arch);
		char *ta = strchr(tp, '/') + 1;
		cleanup_free char *tarch = strndup(ta, strcspn(ta, "/"));
		json_object_set_new(b.meta, "TARGETPLATFORM", json_string(tp));
		json_object_set_new(b.meta, "TARGETOS", json_string("linux"));
		json_object_set_new(b.meta, "TARGETARCH", json_string(tarch));
		json_object_set_new(b.meta, "BUILDPLATFORM", json_string(bp));
		json_object_set_new(b.meta, "BUILDOS", json_string("linux"));
		json_object_set_new(b.meta, "BUILDARCH", json_string(arch));
	}
	if (load_inputs(&b, err) < 0)
		goto out;
	/* stages and the steps up to --target */
	last = b.bf.n;
	{
		size_t nst = 0;
		bool found = o->target == NULL;
		for (i = 0; i < b.bf.n; i++) {
			const struct bf_insn *in = &b.bf.v[i];
			if (in->kind != BF_FROM)
				continue;
			if (found && o->target) {
				last = i;
				break;
			}
			nst++;
			if (o->target) {
				char **w;
				size_t n;
				if (bf_expand_words("FROM", in->args[0], b.bf.escape, NULL, NULL,
				                    &w, &n, err) < 0)
					goto out;
				if (n == 3 && strcasecmp(w[2], o->target) == 0)
					found = true;
				bf_words_free(w, n);
			}
		}
		if (!found) {
			berth_error(err, 0, "--target %s: no stage of that name in %s", o->target,
			            b.file);
			goto out;
		}
		b.st = xmalloc0((nst + 1) * sizeof(*b.st));
		n_stages = nst;
	}
	b.steps = last;
	bfs_sweep(e);
	b.tmp = engine_path(e, "tmp/build-XXXXXX");
	if (mkdtemp(b.tmp) == NULL) {
		berth_error(err, errno, "mkdtemp `%s`", b.tmp);
		free(b.tmp);
		b.tmp = NULL;
		goto out;
	}
	bfs_mark_owner(b.tmp);
	needed = build_stages_needed(&b, last, n_stages);
	for (i = first; i < last; i++) {
		const struct bf_insn *in = &b.bf.v[i];
		cleanup_free char *what = xasprintf("%s:%d: %s", b.file, in->line, in->keyword);
		if (in->kind == BF_FROM) {
			s = &b.st[b.n_st++];
			skip = !needed[b.n_st - 1];
			if (skip) {
				say(&b, "STEP %zu/%zu: %s (not needed: skipped)\n", i + 1, b.steps,
				    in->text);
				continue;
			}
		}
		if (skip)
			continue;
		say(&b, "STEP %zu/%zu: %s\n", i + 1, b.steps, in->text);
		if (in->kind == BF_FROM) {
			if (do_from(&b, s, b.n_st - 1, what, in, err) < 0)
				goto out;
			continue;
		}
		if (s == NULL) {
			/* before the first FROM: only ARG */
			if (do_arg(&b, NULL, what, in, err) < 0)
				goto out;
			continue;
		}
		if (exec_insn(&b, s, in, false, err) < 0)
			goto out;
	}
	if (write_image(&b, s, id, err) < 0)
		goto out;
	{
		const char *k;
		json_t *v;
		json_object_foreach(b.bargs, k, v) if (!json_object_get(b.used, k)) log_warning(
		    "build: --build-arg %s was not used (no ARG %s in %s)", k, k, b.file);
	}
	r = 0;
out:
	if (b.tmp) {
		berth_error_t e2 = NULL;
		util_rm_rf(b.tmp, &e2);
		berth_error_release(&e2);
		free(b.tmp);
	}
	for (i = 0; i < b.n_st; i++)
		stage_free(&b.st[i]);
	free(b.st);
	free(needed);
	bf_file_free(&b.bf);
	free(b.path);
	bf_ignore_free(&b.ig);
	util_closep(&b.ctxfd);
	json_decref(b.meta);
	json_decref(b.bargs);
	json_decref(b.used);
	return r;
}
