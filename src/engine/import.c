/* SPDX-License-Identifier: MIT */
/* `berth image import`: an OCI image layout archive, a docker-archive (docker/podman save)
 * or a plain rootfs tarball. Everything is staged under <root>/tmp/import-XXXXXX and every
 * digest verified (blobs against their descriptors, layers against the config's diff ids)
 * before anything moves into the store, so a failed import leaves the store as it was. */
#include "image_priv.h"
#include "events.h"
#include "dlib.h"
#include "log.h"
#include "sha256.h"
#include "util.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void staging_free(struct staging *s)
{
	if (s->dir) {
		berth_error_t e = NULL;
		util_rm_rf(s->dir, &e);
		berth_error_release(&e);
	}
	free(s->dir);
	free(s->x);
	free(s->blobs);
	free(s->layers);
	json_decref(s->images);
}

static int staging_blob_fd(struct staging *s, int fd, const char *what, const char *expect,
                           json_int_t expect_size, char hex[65], uint64_t *size, berth_error_t *err)
{
	cleanup_free char *tmp = xasprintf("%s/.tmp", s->blobs);
	cleanup_free char *dst = NULL;
	cleanup_close int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	char buf[65536];
	struct sha256 h;
	uint64_t total = 0;
	ssize_t n;

	if (out < 0)
		return berth_error(err, errno, "create `%s`", tmp);
	if (lseek(fd, 0, SEEK_SET) < 0)
		return berth_error(err, errno, "%s: seek", what);
	sha256_init(&h);
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return berth_error(err, errno, "%s: read", what);
		}
		sha256_update(&h, buf, (size_t)n);
		if (util_write_all(out, buf, (size_t)n) < 0)
			return berth_error(err, errno, "write `%s`", tmp);
		total += (uint64_t)n;
	}
	sha256_final_hex(&h, hex);
	if (expect && strcmp(expect, hex) != 0)
		return berth_error(err, 0, "%s: digest mismatch: expected sha256:%s, got sha256:%s",
		                   what, expect, hex);
	if (expect_size >= 0 && (uint64_t)expect_size != total)
		return berth_error(err, 0, "%s: size mismatch: expected %lld bytes, got %llu", what,
		                   (long long)expect_size, (unsigned long long)total);
	dst = xasprintf("%s/%s", s->blobs, hex);
	if (rename(tmp, dst) < 0)
		return berth_error(err, errno, "rename `%s`", dst);
	if (size)
		*size = total;
	return 0;
}

int staging_blob_mem(struct staging *s, const char *data, size_t len, char hex[65],
                     berth_error_t *err)
{
	cleanup_free char *dst = NULL;

	sha256_hex(data, len, hex);
	dst = xasprintf("%s/%s", s->blobs, hex);
	return util_write_file_atomic(dst, data, len, 0644, err);
}

static int staging_open_blob(struct staging *s, const char *hex, berth_error_t *err)
{
	cleanup_free char *p = xasprintf("%s/%s", s->blobs, hex);
	int fd = open(p, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return berth_error(err, errno, "open `%s`", p);
	return fd;
}

/* Check the layer blob's diff id and unpack it, unless the store has it already. */
int staging_layer(struct staging *s, const char *blob_hex, const char *diff, size_t i, size_t n,
                  berth_error_t *err)
{
	cleanup_close int fd = staging_open_blob(s, blob_hex, err);
	cleanup_free char *what = xasprintf("%s: layer sha256:%.12s", s->file, blob_hex);
	cleanup_free char *have = NULL;
	cleanup_free char *dst = NULL;
	cleanup_free char *label = xasprintf("layer %zu/%zu", i + 1, n);
	const char *want = image_digest_hex(diff);
	char got[65];
	struct stat st;
	struct progress pr;

	if (fd < 0)
		return -1;
	if (want == NULL)
		return berth_error(err, 0, "%s: bad diff id `%s` in the image config", s->file,
		                   diff);
	fstat(fd, &st);
	progress_init(&pr, label, (uint64_t)st.st_size);
	if (s->quiet)
		pr.on = false;
	have = image_layer_dir(s->e, want);
	dst = xasprintf("%s/%s", s->layers, want);
	if (access(have, F_OK) == 0 || access(dst, F_OK) == 0) {
		/* unpacked already: only check that this blob is that layer */
		if (layer_diff_id(fd, what, got, &pr, err) < 0)
			return -1;
	} else {
		/* unpacked and hashed in one pass; a mismatch leaves dst in the staging
		 * directory, which the failure removes */
		if (mkdir(dst, 0755) < 0)
			return berth_error(err, errno, "mkdir `%s`", dst);
		if (layer_unpack_digest(fd, what, dst, got, &pr, err) < 0)
			return -1;
	}
	if (strcmp(got, want) != 0)
		return berth_error(err, 0,
		                   "%s: diff id mismatch: expected sha256:%s, got sha256:%s", what,
		                   want, got);
	progress_end(&pr);
	return 0;
}

int staging_add_image(struct staging *s, const char *name, const char *hex, size_t size,
                      const char *media_type)
{
	json_t *o = json_pack("{s:s,s:I,s:s}", "manifest", hex, "size", (json_int_t)size,
	                      "mediaType", media_type ? media_type : MT_MANIFEST);

	if (name)
		json_object_set_new(o, "name", json_string(name));
	return json_array_append_new(s->images, o);
}

/* A descriptor's digest and size. */
static int desc_get(json_t *d, const char *what, const char **hex, json_int_t *size,
                    berth_error_t *err)
{
	const char *dg = json_string_value(json_object_get(d, "digest"));
	json_t *sz = json_object_get(d, "size");

	*hex = dg ? image_digest_hex(dg) : NULL;
	if (*hex == NULL)
		return berth_error(err, 0, "%s: missing or unsupported digest `%s`", what,
		                   dg ? dg : "");
	*size = json_is_integer(sz) ? json_integer_value(sz) : -1;
	return 0;
}

static int staging_blob_from_layout(struct staging *s, int xfd, json_t *d, const char *what,
                                    char hex[65], berth_error_t *err)
{
	const char *want;
	json_int_t size;
	cleanup_free char *rel = NULL;
	cleanup_close int fd = -1;

	if (desc_get(d, what, &want, &size, err) < 0)
		return -1;
	rel = xasprintf("blobs/sha256/%s", want);
	fd = util_open_in_root(xfd, rel, O_RDONLY | O_CLOEXEC, 0, err);
	if (fd < 0)
		return berth_error_prefix(err, "%s: blob sha256:%.12s missing", s->file, want);
	return staging_blob_fd(s, fd, what, want, size, hex, NULL, err);
}

static json_t *staging_load(struct staging *s, const char *hex, berth_error_t *err)
{
	cleanup_free char *p = xasprintf("%s/%s", s->blobs, hex);
	return image_json_load(p, err);
}

/* An image manifest of the layout, with its config and layers; named (add) unless it is an
 * image of an index. */
static int import_oci_manifest(struct staging *s, int xfd, json_t *d, bool add, const char *name,
                               berth_error_t *err)
{
	cleanup_free char *what = xasprintf("%s: manifest", s->file);
	char mhex[65], chex[65];
	json_t *m, *c, *layers, *diffs;
	size_t i;
	int r = -1;

	if (staging_blob_from_layout(s, xfd, d, what, mhex, err) < 0)
		return -1;
	m = staging_load(s, mhex, err);
	if (m == NULL)
		return -1;
	c = NULL;
	if (staging_blob_from_layout(s, xfd, json_object_get(m, "config"), what, chex, err) < 0)
		goto out;
	c = staging_load(s, chex, err);
	if (c == NULL)
		goto out;
	layers = json_object_get(m, "layers");
	diffs = json_object_get(json_object_get(c, "rootfs"), "diff_ids");
	if (!json_is_array(layers) || !json_is_array(diffs) ||
	    json_array_size(layers) != json_array_size(diffs)) {
		berth_error(err, 0, "%s: the manifest's layers do not match the config's diff_ids",
		            s->file);
		goto out;
	}
	for (i = 0; i < json_array_size(layers); i++) {
		char lhex[65];
		cleanup_free char *lw = xasprintf("%s: layer %zu", s->file, i);
		if (staging_blob_from_layout(s, xfd, json_array_get(layers, i), lw, lhex, err) <
		        0 ||
		    staging_layer(s, lhex, json_string_value(json_array_get(diffs, i)) ?: "", i,
		                  json_array_size(layers), err) < 0)
			goto out;
	}
	if (add) {
		json_int_t msize;
		const char *h;
		desc_get(d, what, &h, &msize, err);
		staging_add_image(s, name, mhex, msize > 0 ? (size_t)msize : 0,
		                  json_string_value(json_object_get(d, "mediaType")));
	}
	r = 0;
out:
	json_decref(m);
	json_decref(c);
	return r;
}

/* An image index of the layout (berth save of a manifest list, skopeo copy --all): each of
 * its images (attestations, unknown/unknown, left out as pull does), then the index itself
 * under the name, as a manifest list. */
static int import_oci_index(struct staging *s, int xfd, json_t *d, const char *name,
                            berth_error_t *err)
{
	cleanup_free char *what = xasprintf("%s: image index", s->file);
	char ihex[65];
	json_int_t isize;
	const char *h;
	json_t *ix, *c;
	size_t i;
	int r = 0;

	if (desc_get(d, what, &h, &isize, err) < 0 ||
	    staging_blob_from_layout(s, xfd, d, what, ihex, err) < 0)
		return -1;
	ix = staging_load(s, ihex, err);
	if (ix == NULL)
		return -1;
	if (!json_is_array(json_object_get(ix, "manifests"))) {
		json_decref(ix);
		return berth_error(err, 0, "%s: image index sha256:%.12s: no manifests array",
		                   s->file, ihex);
	}
	json_array_foreach(json_object_get(ix, "manifests"), i, c)
	{
		json_t *pl = json_object_get(c, "platform");
		const char *os = json_string_value(json_object_get(pl, "os")) ?: "";
		const char *arch = json_string_value(json_object_get(pl, "architecture")) ?: "";
		if (image_entry_is_list(c)) {
			r = berth_error(err, 0, "%s: an image index in an image index", s->file);
			break;
		}
		if (strcmp(os, "unknown") == 0 && strcmp(arch, "unknown") == 0)
			continue;
		if ((r = import_oci_manifest(s, xfd, c, false, NULL, err)) < 0)
			break;
	}
	json_decref(ix);
	if (r == 0)
		r = staging_add_image(s, name, ihex, isize > 0 ? (size_t)isize : 0,
		                      json_string_value(json_object_get(d, "mediaType"))
		                          ?: MT_INDEX);
	return r;
}

static int import_oci(struct staging *s, int xfd, const char *name, berth_error_t *err)
{
	cleanup_free char *ip = xasprintf("%s/index.json", s->x);
	json_t *index = image_json_load(ip, err);
	json_t *ms, *d;
	size_t i;
	int r = 0;

	if (index == NULL)
		return -1;
	ms = json_object_get(index, "manifests");
	if (!json_is_array(ms) || json_array_size(ms) == 0) {
		json_decref(index);
		return berth_error(err, 0, "%s: index.json lists no manifest", s->file);
	}
	json_array_foreach(ms, i, d)
	{
		const char *ref =
		    json_string_value(json_object_get(json_object_get(d, "annotations"), REF_NAME));
		const char *n = i == 0 && name ? name : ref;
		if (image_entry_is_list(d))
			r = import_oci_index(s, xfd, d, n, err);
		else
			r = import_oci_manifest(s, xfd, d, true, n, err);
		if (r < 0)
			break;
	}
	json_decref(index);
	return r;
}

static const char *layer_media_type(int fd)
{
	unsigned char m[4] = {0};

	if (pread(fd, m, 4, 0) == 4) {
		if (m[0] == 0x1f && m[1] == 0x8b)
			return MT_LAYER "+gzip";
		if (m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
			return MT_LAYER "+zstd";
	}
	return MT_LAYER;
}

/* The manifest of a config and layer blobs already staged, as a blob: its hex and size. */
static int staging_manifest_blob(struct staging *s, const char *chex, size_t csize, json_t *lds,
                                 char mhex[65], size_t *msize, berth_error_t *err)
{
	json_t *m = json_pack("{s:i,s:s,s:{s:s,s:s,s:I},s:O}", "schemaVersion", 2, "mediaType",
	                      MT_MANIFEST, "config", "mediaType", MT_CONFIG, "digest", "", "size",
	                      (json_int_t)csize, "layers", lds);
	cleanup_free char *cd = xasprintf("sha256:%s", chex);
	cleanup_free char *text = NULL;

	json_object_set_new(json_object_get(m, "config"), "digest", json_string(cd));
	text = json_dumps(m, JSON_COMPACT);
	json_decref(m);
	*msize = strlen(text);
	return staging_blob_mem(s, text, strlen(text), mhex, err);
}

/* The same, named as an image of the archive. */
static int staging_manifest(struct staging *s, const char *chex, size_t csize, json_t *lds,
                            const char *name, berth_error_t *err)
{
	char mhex[65];
	size_t msize;

	if (staging_manifest_blob(s, chex, csize, lds, mhex, &msize, err) < 0)
		return -1;
	return staging_add_image(s, name, mhex, msize, MT_MANIFEST);
}

static int import_docker(struct staging *s, int xfd, const char *name, berth_error_t *err)
{
	cleanup_free char *mp = xasprintf("%s/manifest.json", s->x);
	json_t *man = image_json_load(mp, err);
	json_t *ent;
	size_t k;
	int r = -1;

	if (man == NULL)
		return -1;
	if (!json_is_array(man) || json_array_size(man) == 0) {
		berth_error(err, 0, "%s: manifest.json: expected a non-empty array", s->file);
		goto out;
	}
	json_array_foreach(man, k, ent)
	{
		const char *cfg = json_string_value(json_object_get(ent, "Config"));
		json_t *tags = json_object_get(ent, "RepoTags");
		json_t *layers = json_object_get(ent, "Layers");
		const char *n = k == 0 && name ? name : json_string_value(json_array_get(tags, 0));
		cleanup_close int cfd = -1;
		cleanup_free char *cw = NULL;
		char chex[65];
		uint64_t csize;
		json_t *c, *diffs, *lds;
		size_t i;

		if (cfg == NULL || !json_is_array(layers)) {
			berth_error(err, 0, "%s: manifest.json[%zu]: missing Config or Layers",
			            s->file, k);
			goto out;
		}
		cw = xasprintf("%s: config `%s`", s->file, cfg);
		cfd = util_open_in_root(xfd, cfg, O_RDONLY | O_CLOEXEC, 0, err);
		if (cfd < 0) {
			berth_error_prefix(err, "%s", s->file);
			goto out;
		}
		{
			/* the config's name is its digest ("<hex>.json" or "blobs/sha256/<hex>") */
			const char *b = strrchr(cfg, '/') ? strrchr(cfg, '/') + 1 : cfg;
			char want[65] = "";
			if (strlen(b) >= 64 && strspn(b, "0123456789abcdef") == 64)
				memcpy(want, b, 64);
			if (staging_blob_fd(s, cfd, cw, want[0] ? want : NULL, -1, chex, &csize,
			                    err) < 0)
				goto out;
		}
		c = staging_load(s, chex, err);
		if (c == NULL)
			goto out;
		diffs = json_object_get(json_object_get(c, "rootfs"), "diff_ids");
		if (!json_is_array(diffs) || json_array_size(diffs) != json_array_size(layers)) {
			json_decref(c);
			berth_error(err, 0, "%s: the config's diff_ids do not match Layers",
			            s->file);
			goto out;
		}
		lds = json_array();
		for (i = 0; i < json_array_size(layers); i++) {
			const char *lp = json_string_value(json_array_get(layers, i));
			cleanup_free char *lw = xasprintf("%s: layer `%s`", s->file, lp ? lp : "?");
			cleanup_free char *ld = NULL;
			cleanup_close int lfd = -1;
			char lhex[65];
			uint64_t lsize;
			lfd = lp ? util_open_in_root(xfd, lp, O_RDONLY | O_CLOEXEC, 0, err) : -1;
			if (lfd < 0 ||
			    staging_blob_fd(s, lfd, lw, NULL, -1, lhex, &lsize, err) < 0 ||
			    staging_layer(s, lhex,
			                  json_string_value(json_array_get(diffs, i)) ?: "", i,
			                  json_array_size(layers), err) < 0) {
				if (lfd < 0 && lp == NULL)
					berth_error(err, 0, "%s: Layers[%zu] is not a string",
					            s->file, i);
				else if (lfd < 0)
					berth_error_prefix(err, "%s", s->file);
				json_decref(lds);
				json_decref(c);
				goto out;
			}
			ld = xasprintf("sha256:%s", lhex);
			json_array_append_new(lds, json_pack("{s:s,s:s,s:I}", "mediaType",
			                                     layer_media_type(lfd), "digest", ld,
			                                     "size", (json_int_t)lsize));
		}
		json_decref(c);
		r = staging_manifest(s, chex, csize, lds, n, err);
		json_decref(lds);
		if (r < 0)
			goto out;
	}
	r = 0;
out:
	json_decref(man);
	return r;
}

/* ---- --change: Dockerfile instructions set in the config of an imported rootfs ---------- */

/* The words of s, split at blanks; "…" quotes (with \" and \\ inside) and \ escapes, as the
 * Dockerfile's KEY=VALUE lists. NULL on an unclosed quote. */
static json_t *change_words(const char *s)
{
	json_t *w = json_array();

	for (;;) {
		cleanup_free char *buf = NULL;
		size_t n = 0;
		char quote = 0;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			return w;
		buf = xmalloc0(strlen(s) + 1);
		for (; *s && (quote || (*s != ' ' && *s != '\t')); s++) {
			if (*s == '\\' && s[1] && (!quote || s[1] == '"' || s[1] == '\\')) {
				buf[n++] = *++s;
			} else if (*s == '"' || (*s == '\'' && !quote) || *s == quote) {
				quote = quote ? 0 : *s;
			} else {
				buf[n++] = *s;
			}
		}
		if (quote) {
			json_decref(w);
			return NULL;
		}
		buf[n] = '\0';
		json_array_append_new(w, json_string(buf));
	}
}

/* A JSON array of strings (the exec form), or NULL. */
static json_t *change_exec_form(const char *v)
{
	json_t *a, *x;
	size_t i;

	if (v[0] != '[')
		return NULL;
	a = json_loads(v, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_array(a)) {
		json_decref(a);
		return NULL;
	}
	json_array_foreach(a, i, x) if (!json_is_string(x))
	{
		json_decref(a);
		return NULL;
	}
	return a;
}

/* KEY=VALUE words into obj (Labels), or into the Env array (env) replacing the same key. */
static int change_pairs(json_t *config, const char *key, const char *change, const char *v,
                        bool env, berth_error_t *err)
{
	json_t *words = change_words(v);
	json_t *w;
	size_t i;

	if (words == NULL || json_array_size(words) == 0) {
		json_decref(words);
		return berth_error(err, 0, "bad --change `%s`: expected KEY=VALUE…", change);
	}
	/* ENV KEY VALUE: the old form, the rest of the line is the value */
	if (env && !strchr(json_string_value(json_array_get(words, 0)), '=')) {
		const char *k = json_string_value(json_array_get(words, 0));
		const char *rest = v + strspn(v, " \t") + strlen(k);
		cleanup_free char *kv = xasprintf("%s=%s", k, rest + strspn(rest, " \t"));
		json_array_clear(words);
		json_array_append_new(words, json_string(kv));
	}
	json_array_foreach(words, i, w)
	{
		const char *kv = json_string_value(w), *eq = strchr(kv, '=');
		if (eq == NULL || eq == kv) {
			berth_error(err, 0, "bad --change `%s`: expected KEY=VALUE, not `%s`",
			            change, kv);
			json_decref(words);
			return -1;
		}
		if (env) {
			json_t *arr = json_object_get(config, key), *x;
			size_t k, klen = (size_t)(eq - kv) + 1;
			bool done = false;
			if (!json_is_array(arr)) {
				arr = json_array();
				json_object_set_new(config, key, arr);
			}
			json_array_foreach(
			    arr, k,
			    x) if (!done && strncmp(json_string_value(x) ?: "", kv, klen) == 0)
			{
				json_array_set_new(arr, k, json_string(kv));
				done = true;
			}
			if (!done)
				json_array_append_new(arr, json_string(kv));
		} else {
			json_t *obj = json_object_get(config, key);
			cleanup_free char *k = xasprintf("%.*s", (int)(eq - kv), kv);
			if (!json_is_object(obj)) {
				obj = json_object();
				json_object_set_new(config, key, obj);
			}
			json_object_set_new(obj, k, json_string(eq + 1));
		}
	}
	json_decref(words);
	return 0;
}

/* Paths or ports as keys of an object of empty objects (Volumes, ExposedPorts). */
static int change_set(json_t *config, const char *key, const char *change, const char *v,
                      bool ports, berth_error_t *err)
{
	json_t *list = change_exec_form(v);
	json_t *obj = json_object_get(config, key), *x;
	size_t i;

	if (list == NULL && v[0] != '[')
		list = change_words(v);
	if (list == NULL || json_array_size(list) == 0) {
		json_decref(list);
		return berth_error(err, 0, "bad --change `%s`: expected %s", change,
		                   ports ? "PORT[/tcp|/udp|/sctp]…" : "PATH… or [\"PATH\", …]");
	}
	if (!json_is_object(obj)) {
		obj = json_object();
		json_object_set_new(config, key, obj);
	}
	json_array_foreach(list, i, x)
	{
		const char *s = json_string_value(x);
		cleanup_free char *k = NULL;
		if (ports) {
			char *end;
			unsigned long p = strtoul(s, &end, 10);
			if (!isdigit((unsigned char)s[0]) || p == 0 || p > 65535 ||
			    (*end && strcmp(end, "/tcp") != 0 && strcmp(end, "/udp") != 0 &&
			     strcmp(end, "/sctp") != 0)) {
				berth_error(err, 0,
				            "bad --change `%s`: `%s` is not a port "
				            "(1-65535[/tcp|/udp|/sctp])",
				            change, s);
				json_decref(list);
				return -1;
			}
			k = *end ? xasprintf("%lu%s", p, end) : xasprintf("%lu/tcp", p);
		} else {
			if (s[0] != '/') {
				berth_error(err, 0,
				            "bad --change `%s`: `%s` is not an absolute path",
				            change, s);
				json_decref(list);
				return -1;
			}
			k = xstrdup(s);
		}
		json_object_set_new(obj, k, json_object());
	}
	json_decref(list);
	return 0;
}

int image_change_apply(json_t *config, const char *change, berth_error_t *err)
{
	static const char *const names[] = {"CMD",        "ENTRYPOINT", "ENV",    "EXPOSE", "LABEL",
	                                    "STOPSIGNAL", "USER",       "VOLUME", "WORKDIR"};
	size_t n = strcspn(change, " \t=");
	cleanup_free char *instr = xasprintf("%.*s", (int)n, change);
	const char *v = change + n;
	size_t k;

	for (char *p = instr; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	/* "CMD /x" as Docker, "CMD=/x" as Podman */
	if (*v == '=')
		v++;
	v += strspn(v, " \t");
	for (k = 0; k < ARRAY_SIZE(names) && strcmp(instr, names[k]) != 0; k++)
		;
	if (k == ARRAY_SIZE(names))
		return berth_error(
		    err, 0,
		    "bad --change `%s`: expected INSTRUCTION VALUE, INSTRUCTION one "
		    "of CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, "
		    "WORKDIR",
		    change);
	if (*v == '\0')
		return berth_error(err, 0, "bad --change `%s`: %s needs a value", change, instr);
	if (strcmp(instr, "CMD") == 0 || strcmp(instr, "ENTRYPOINT") == 0) {
		const char *key = instr[0] == 'C' ? "Cmd" : "Entrypoint";
		json_t *a = change_exec_form(v);
		if (a == NULL && v[0] == '[')
			return berth_error(
			    err, 0,
			    "bad --change `%s`: expected a JSON array of strings or a "
			    "shell command",
			    change);
		/* the shell form, as Docker */
		if (a == NULL)
			a = json_pack("[s,s,s]", "/bin/sh", "-c", v);
		json_object_set_new(config, key, a);
		return 0;
	}
	if (strcmp(instr, "ENV") == 0)
		return change_pairs(config, "Env", change, v, true, err);
	if (strcmp(instr, "LABEL") == 0)
		return change_pairs(config, "Labels", change, v, false, err);
	if (strcmp(instr, "EXPOSE") == 0)
		return change_set(config, "ExposedPorts", change, v, true, err);
	if (strcmp(instr, "VOLUME") == 0)
		return change_set(config, "Volumes", change, v, false, err);
	if (strcmp(instr, "STOPSIGNAL") == 0) {
		if (util_parse_signal(v) <= 0)
			return berth_error(
			    err, 0, "bad --change `%s`: expected a signal name or number", change);
		json_object_set_new(config, "StopSignal", json_string(v));
		return 0;
	}
	if (strcmp(instr, "WORKDIR") == 0 && v[0] != '/')
		return berth_error(err, 0, "bad --change `%s`: expected an absolute path", change);
	json_object_set_new(config, instr[0] == 'U' ? "User" : "WorkingDir", json_string(v));
	return 0;
}

int staging_rootfs(struct staging *s, int fd, const char *what, const char *arch, char mhex[65],
                   size_t *msize, berth_error_t *err)
{
	char bhex[65], dhex[65], chex[65];
	uint64_t bsize;
	cleanup_free char *dd = NULL;
	cleanup_free char *bd = NULL;
	cleanup_free char *text = NULL;
	struct progress pr;
	struct stat st;
	char created[32];
	time_t now = time(NULL);
	json_t *c, *lds;
	int r;

	fstat(fd, &st);
	progress_init(&pr, "checking", (uint64_t)st.st_size);
	if (layer_diff_id(fd, what, dhex, &pr, err) < 0)
		return -1;
	progress_end(&pr);
	if (staging_blob_fd(s, fd, what, NULL, -1, bhex, &bsize, err) < 0)
		return -1;
	if (staging_layer(s, bhex, (dd = xasprintf("sha256:%s", dhex)), 0, 1, err) < 0)
		return -1;
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	c = json_pack("{s:s,s:s,s:s,s:{s:[s],s:[s]},s:{s:s,s:[s]}}", "created", created,
	              "architecture", arch, "os", "linux", "config", "Env",
	              "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "Cmd",
	              "sh", "rootfs", "type", "layers", "diff_ids", dd);
	for (size_t i = 0; i < s->n_changes; i++)
		if (image_change_apply(json_object_get(c, "config"), s->changes[i], err) < 0) {
			json_decref(c);
			return -1;
		}
	text = json_dumps(c, JSON_COMPACT);
	json_decref(c);
	if (staging_blob_mem(s, text, strlen(text), chex, err) < 0)
		return -1;
	bd = xasprintf("sha256:%s", bhex);
	lds = json_pack("[{s:s,s:s,s:I}]", "mediaType", layer_media_type(fd), "digest", bd, "size",
	                (json_int_t)bsize);
	r = staging_manifest_blob(s, chex, strlen(text), lds, mhex, msize, err);
	json_decref(lds);
	return r;
}

static int import_rootfs(struct staging *s, int fd, const char *name, berth_error_t *err)
{
	char mhex[65];
	size_t msize;

	if (staging_rootfs(s, fd, s->file, "amd64", mhex, &msize, err) < 0)
		return -1;
	return staging_add_image(s, name, mhex, msize, MT_MANIFEST);
}

/* Which kind of archive: 'o' OCI layout, 'd' docker-archive, 'r' rootfs, -1 unreadable. */
static int import_detect(int fd, const char *file, berth_error_t *err)
{
	struct archive *a = dlib_archive()->archive_read_new();
	struct archive_entry *en;
	bool oci = false, docker = false;
	int kind = -1, h;

	dlib_archive()->archive_read_support_filter_all(a);
	dlib_archive()->archive_read_support_format_tar(a);
	dlib_archive()->archive_read_support_format_gnutar(a);
	if (dlib_archive()->archive_read_open_fd(a, fd, 65536) != ARCHIVE_OK) {
		berth_error(err, 0, "%s: %s", file, dlib_archive()->archive_error_string(a));
		goto out;
	}
	while ((h = dlib_archive()->archive_read_next_header(a, &en)) == ARCHIVE_OK ||
	       h == ARCHIVE_WARN) {
		const char *n = dlib_archive()->archive_entry_pathname(en);
		if (strncmp(n, "./", 2) == 0)
			n += 2;
		if (strcmp(n, "oci-layout") == 0)
			oci = true;
		if (strcmp(n, "manifest.json") == 0)
			docker = true;
		if (dlib_archive()->archive_read_data_skip(a) != ARCHIVE_OK) {
			h = ARCHIVE_FATAL;
			break;
		}
	}
	if (h != ARCHIVE_EOF) {
		berth_error(err, 0, "%s: not a readable tar archive: %s", file,
		            dlib_archive()->archive_error_string(a) ?: "truncated");
		goto out;
	}
	kind = docker ? 'd' : oci ? 'o' : 'r';
out:
	dlib_archive()->archive_read_free(a);
	return kind;
}

int staging_commit(struct staging *s, char **out, berth_error_t *err)
{
	const char *sub[2][2] = {{s->blobs, "images/blobs/sha256"}, {s->layers, "layers"}};
	bool had = s->e->lock_fd >= 0;
	json_t *img;
	size_t i;

	if (engine_lock(s->e, err) < 0)
		return -1;
	for (int k = 0; k < 2; k++) {
		DIR *d = opendir(sub[k][0]);
		struct dirent *de;
		if (d == NULL)
			return berth_error(err, errno, "opendir `%s`", sub[k][0]);
		while ((de = readdir(d)) != NULL) {
			cleanup_free char *from = NULL;
			cleanup_free char *to = NULL;
			if (de->d_name[0] == '.')
				continue;
			from = xasprintf("%s/%s", sub[k][0], de->d_name);
			to = engine_path(s->e, "%s/%s", sub[k][1], de->d_name);
			if (access(to, F_OK) == 0)
				continue;
			if (rename(from, to) < 0) {
				closedir(d);
				return berth_error(err, errno, "rename `%s`", to);
			}
		}
		closedir(d);
	}
	json_array_foreach(s->images, i, img)
	{
		const char *n = json_string_value(json_object_get(img, "name"));
		cleanup_free char *norm = n ? image_ref_normalize(n) : NULL;
		cleanup_free char *md =
		    xasprintf("sha256:%s", json_string_value(json_object_get(img, "manifest")));
		if (image_index_add(s->e, norm, md,
		                    (uint64_t)json_integer_value(json_object_get(img, "size")),
		                    json_string_value(json_object_get(img, "mediaType")), err) < 0)
			return -1;
		if (out && i == 0)
			*out = norm ? xstrdup(norm) : xstrdup(md);
	}
	if (!had)
		engine_unlock(s->e);
	return 0;
}

int staging_init(struct staging *s, struct engine *e, const char *file, const char *kind,
                 berth_error_t *err)
{
	memset(s, 0, sizeof(*s));
	s->e = e;
	s->file = file;
	s->dir = engine_path(e, "tmp/%s-XXXXXX", kind);
	if (mkdtemp(s->dir) == NULL) {
		berth_error(err, errno, "mkdtemp `%s`", s->dir);
		free(s->dir);
		s->dir = NULL;
		return -1;
	}
	s->x = xasprintf("%s/x", s->dir);
	s->blobs = xasprintf("%s/blobs", s->dir);
	s->layers = xasprintf("%s/layers", s->dir);
	s->images = json_array();
	if (mkdir(s->x, 0700) < 0 || mkdir(s->blobs, 0700) < 0 || mkdir(s->layers, 0700) < 0)
		return berth_error(err, errno, "mkdir in `%s`", s->dir);
	return 0;
}

/* The names an archive gives its images (docker-archive RepoTags, OCI ref.name annotations)
 * follow the same grammar as tag's: checked before anything reaches the store. */
static int import_check_names(struct staging *s, berth_error_t *err)
{
	cleanup_free char *what = xasprintf("image name in `%s`", s->file);
	json_t *img;
	size_t i;

	json_array_foreach(s->images, i, img)
	{
		const char *n = json_string_value(json_object_get(img, "name"));
		if (n && image_check_name(what, n, err) < 0)
			return -1;
	}
	return 0;
}

int image_import(struct engine *e, const char *file, const char *name, char **out,
                 berth_error_t *err)
{
	return image_import_changes(e, file, name, NULL, 0, out, err);
}

int image_import_changes(struct engine *e, const char *file, const char *name, char **changes,
                         size_t n_changes, char **out, berth_error_t *err)
{
	struct staging s = {.e = e, .file = file};
	cleanup_close int fd = -1;
	cleanup_close int xfd = -1;
	int kind, r = -1;

	if (name && image_check_name("NAME", name, err) < 0)
		return -1;
	/* every --change checked before the archive is read */
	for (size_t i = 0; i < n_changes; i++) {
		json_t *scratch = json_object();
		r = image_change_apply(scratch, changes[i], err);
		json_decref(scratch);
		if (r < 0)
			return -1;
	}
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return berth_error(err, errno, "open `%s`", file);
	kind = import_detect(fd, file, err);
	if (kind < 0)
		return -1;
	if (n_changes && kind != 'r')
		return berth_error(err, 0,
		                   "--change: `%s` is an image archive (%s) with a config of its "
		                   "own; --change is for a root filesystem tarball",
		                   file, kind == 'd' ? "docker-archive" : "OCI layout");
	r = -1;
	if (staging_init(&s, e, file, "import", err) < 0)
		goto out;
	s.changes = changes;
	s.n_changes = n_changes;
	if (kind == 'r') {
		r = import_rootfs(&s, fd, name, err);
	} else {
		struct progress pr;
		struct stat st;
		fstat(fd, &st);
		progress_init(&pr, "reading archive", (uint64_t)st.st_size);
		if (layer_unpack(fd, file, s.x, &pr, err) < 0)
			goto out;
		progress_end(&pr);
		xfd = open(s.x, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (xfd < 0) {
			berth_error(err, errno, "open `%s`", s.x);
			goto out;
		}
		r = kind == 'd' ? import_docker(&s, xfd, name, err)
		                : import_oci(&s, xfd, name, err);
	}
	if (r == 0)
		r = import_check_names(&s, err);
	if (r == 0)
		r = staging_commit(&s, out, err);
	if (r == 0) {
		/* the image's name (or id) as the archive gave it, unless one was given */
		const char *what = out && *out ? *out : name ? name : "";
		event_log(e, "image", kind == 'r' ? "import" : "load", what, "name",
		          name ? name : what, NULL);
	}
out:
	staging_free(&s);
	return r;
}
