/* SPDX-License-Identifier: MIT */
/* `berth push`: a stored image to a registry. Each blob (the layers, then the config) is
 * first asked for with HEAD and skipped when the repository has it; otherwise it is uploaded
 * in one piece (POST for an upload URL, then PUT ?digest=), or in chunks (PATCH) when it is
 * larger than BERTH_PUSH_CHUNK bytes. Then the manifest is PUT under the tag: the stored
 * bytes as they are, or rewritten as an OCI or Docker schema 2 manifest (--format); the
 * blobs are the same either way. */
#include "image_priv.h"
#include "events.h"
#include "registry.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MT_DOCKER_LAYER_TAR "application/vnd.docker.image.rootfs.diff.tar"

static void push_say(const struct reg_opts *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void push_say(const struct reg_opts *o, const char *fmt, ...)
{
	va_list ap;

	if (o->quiet)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* The upload URL of a 202 answer's Location, with the query separator for what follows. */
static char *push_location(const struct reg_resp *resp, berth_error_t *err)
{
	if (resp->location == NULL || *resp->location == '\0') {
		berth_error(err, 0, "the registry gave no upload location");
		return NULL;
	}
	return xstrdup(resp->location);
}

static int push_fail(struct reg_resp *resp, const char *what, berth_error_t *err)
{
	cleanup_free char *t = reg_status_text(resp);
	return berth_error(err, 0, "%s: %s%s", what, t,
	                   resp->status == 401 || resp->status == 403
	                       ? " (berth login REGISTRY for push access)"
	                       : "");
}

static int push_blob(struct engine *e, struct reg *r, const char *digest, const struct reg_opts *o,
                     berth_error_t *err)
{
	const char *hex = image_digest_hex(digest);
	cleanup_free char *path = NULL;
	cleanup_free char *what = NULL;
	cleanup_free char *file = NULL;
	cleanup_free char *loc = NULL;
	cleanup_free char *url = NULL;
	cleanup_close int fd = -1;
	struct reg_resp resp = {0};
	struct stat st;
	uint64_t chunk =
	    getenv("BERTH_PUSH_CHUNK") ? strtoull(getenv("BERTH_PUSH_CHUNK"), NULL, 10) : 0;
	int ret = -1;

	if (hex == NULL)
		return berth_error(err, 0, "bad digest `%s`", digest);
	what = xasprintf("blob sha256:%.12s", hex);
	path = xasprintf("/v2/%s/blobs/%s", r->repo, digest);
	if (reg_request(r, "HEAD", path, NULL, NULL, NULL, &resp, err) < 0)
		return berth_error_prefix(err, "%s", what);
	if (resp.status == 200) {
		push_say(o, "Copying blob sha256:%.12s skipped: already exists", hex);
		reg_resp_free(&resp);
		return 0;
	}
	file = engine_path(e, "images/blobs/sha256/%s", hex);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		berth_error(err, errno, "open `%s`", file);
		goto out;
	}
	if (r->mount_from) {
		/* cross-repository mount: 201 when the registry links the blob it has */
		path = (free(path), xasprintf("/v2/%s/blobs/uploads/?mount=%s&from=%s", r->repo,
		                              digest, r->mount_from));
		if (reg_request(r, "POST", path, NULL, NULL, NULL, &resp, err) < 0)
			goto fail;
		if (resp.status == 201) {
			push_say(o, "Copying blob sha256:%.12s mounted from %s", hex,
			         r->mount_from);
			ret = 0;
			goto out;
		}
	}
	push_say(o, "Copying blob sha256:%.12s (%.1f MB)", hex, (double)st.st_size / 1e6);
	if (resp.status != 202) {
		/* no mount asked, or refused without an upload session: start one */
		path = (free(path), xasprintf("/v2/%s/blobs/uploads/", r->repo));
		if (reg_request(r, "POST", path, NULL, NULL, NULL, &resp, err) < 0)
			goto fail;
	}
	if (resp.status != 202) {
		push_fail(&resp, what, err);
		goto out;
	}
	if ((loc = push_location(&resp, err)) == NULL)
		goto fail;
	if (chunk > 0 && (uint64_t)st.st_size > chunk) {
		/* chunked: PATCH each piece at the Location the last answer gave */
		cleanup_free char *buf = xmalloc0(chunk);
		uint64_t off = 0;
		while (off < (uint64_t)st.st_size) {
			ssize_t n = pread(fd, buf, chunk, (off_t)off);
			struct reg_body b = {
			    .data = buf, .fd = -1, .ctype = "application/octet-stream"};
			if (n <= 0) {
				berth_error(err, errno, "read `%s`", file);
				goto out;
			}
			b.len = (size_t)n;
			if (reg_request(r, "PATCH", loc, NULL, &b, NULL, &resp, err) < 0)
				goto fail;
			if (resp.status != 202) {
				push_fail(&resp, what, err);
				goto out;
			}
			free(loc);
			if ((loc = push_location(&resp, err)) == NULL)
				goto fail;
			off += (uint64_t)n;
		}
		url = xasprintf("%s%sdigest=%s", loc, strchr(loc, '?') ? "&" : "?", digest);
		if (reg_request(r, "PUT", url, NULL, NULL, NULL, &resp, err) < 0)
			goto fail;
	} else {
		struct reg_body b = {
		    .fd = fd, .len = (size_t)st.st_size, .ctype = "application/octet-stream"};
		url = xasprintf("%s%sdigest=%s", loc, strchr(loc, '?') ? "&" : "?", digest);
		if (reg_request(r, "PUT", url, NULL, &b, NULL, &resp, err) < 0)
			goto fail;
	}
	if (resp.status != 201) {
		push_fail(&resp, what, err);
		goto out;
	}
	ret = 0;
	goto out;
fail:
	berth_error_prefix(err, "%s", what);
out:
	reg_resp_free(&resp);
	return ret;
}

/* The manifest to PUT: as stored, or rewritten for format. */
static char *push_manifest_text(struct engine *e, const struct image *img, const char *format,
                                const char **mt, size_t *len, berth_error_t *err)
{
	const char *stored = json_string_value(json_object_get(img->manifest, "mediaType"));
	bool docker = stored && strcmp(stored, MT_DOCKER_MANIFEST) == 0;
	json_t *m, *l;
	size_t i;
	char *text;

	if (format == NULL || (strcmp(format, "v2s2") == 0) == docker) {
		cleanup_free char *p =
		    engine_path(e, "images/blobs/sha256/%s", image_digest_hex(img->digest));
		if (util_read_file(p, &text, len, err) < 0)
			return NULL;
		*mt = docker ? MT_DOCKER_MANIFEST : MT_MANIFEST;
		return text;
	}
	m = json_deep_copy(img->manifest);
	if (strcmp(format, "v2s2") == 0) {
		*mt = MT_DOCKER_MANIFEST;
		json_object_set_new(json_object_get(m, "config"), "mediaType",
		                    json_string(MT_DOCKER_CONFIG));
		json_array_foreach(json_object_get(m, "layers"), i, l)
		{
			const char *lm = json_string_value(json_object_get(l, "mediaType")) ?: "";
			const char *to;
			if (strcmp(lm, MT_LAYER "+gzip") == 0)
				to = MT_DOCKER_LAYER;
			else if (strcmp(lm, MT_LAYER) == 0)
				to = MT_DOCKER_LAYER_TAR;
			else {
				json_decref(m);
				berth_error(
				    err, 0,
				    "layer %zu: `%s` has no Docker schema 2 media type (push "
				    "--format oci)",
				    i + 1, lm);
				return NULL;
			}
			json_object_set_new(l, "mediaType", json_string(to));
		}
	} else {
		*mt = MT_MANIFEST;
		json_object_set_new(json_object_get(m, "config"), "mediaType",
		                    json_string(MT_CONFIG));
		json_array_foreach(json_object_get(m, "layers"), i, l)
		{
			const char *lm = json_string_value(json_object_get(l, "mediaType")) ?: "";
			if (strcmp(lm, MT_DOCKER_LAYER) == 0)
				json_object_set_new(l, "mediaType", json_string(MT_LAYER "+gzip"));
			else if (strcmp(lm, MT_DOCKER_LAYER_TAR) == 0)
				json_object_set_new(l, "mediaType", json_string(MT_LAYER));
		}
	}
	json_object_set_new(m, "mediaType", json_string(*mt));
	text = json_dumps(m, JSON_COMPACT);
	json_decref(m);
	*len = strlen(text);
	return text;
}

int image_push(struct engine *e, const char *src, const char *dest, const struct reg_opts *o,
               berth_error_t *err)
{
	const char *to = dest ? dest : src;
	struct image *img = NULL;
	struct image_ref ref = {0};
	struct reg r = {0};
	struct reg_resp resp = {0};
	cleanup_free char *text = NULL;
	cleanup_free char *path = NULL;
	cleanup_free char *name = NULL;
	const char *mt = NULL;
	size_t len, i;
	json_t *l;
	int ret = -1;

	if (ref_parse(to, &ref, err) < 0)
		return -1;
	if (ref.registry == NULL) {
		berth_error(err, 0, "%s: a short name: give REGISTRY/REPOSITORY[:TAG] to push to",
		            to);
		goto out;
	}
	if (ref.digest) {
		berth_error(err, 0, "%s: push to a tag, not a digest", to);
		goto out;
	}
	{
		/* a manifest list (the built-in busybox, pull --all-platforms, berth manifest)
		 * goes as the list with each of its images */
		bool list;
		if (image_find_list(e, src, &list, err) < 0)
			goto out;
		if (list && o->format) {
			berth_error(
			    err, 0,
			    "%s: a manifest list is pushed as stored: --format converts one "
			    "image",
			    src);
			goto out;
		}
		if (list) {
			ref_free(&ref);
			return manifest_push(e, src, to, o, err);
		}
	}
	if (image_find(e, src, &img, err) < 0)
		goto out;
	text = push_manifest_text(e, img, o->format, &mt, &len, err);
	if (text == NULL)
		goto fail;
	if (reg_open(&r, &ref, o, true, err) < 0)
		goto fail;
	if (img->name) {
		/* an image named after another repository of this registry: mount its blobs */
		struct image_ref from;
		berth_error_t e2 = NULL;
		if (ref_parse(img->name, &from, &e2) == 0 && from.registry &&
		    strcmp(from.registry, ref.registry) == 0 && strcmp(from.repo, ref.repo) != 0)
			r.mount_from = xstrdup(from.repo);
		berth_error_release(&e2);
		ref_free(&from);
	}
	name = ref_name(&ref);
	push_say(o, "Pushing %s to %s", src, name);
	json_array_foreach(json_object_get(img->manifest, "layers"), i, l)
	{
		if (push_blob(e, &r, json_string_value(json_object_get(l, "digest")) ?: "", o,
		              err) < 0)
			goto fail;
	}
	if (push_blob(e, &r,
	              json_string_value(
	                  json_object_get(json_object_get(img->manifest, "config"), "digest"))
	                  ?: "",
	              o, err) < 0)
		goto fail;
	push_say(o, "Writing manifest to image destination");
	path = xasprintf("/v2/%s/manifests/%s", ref.repo, ref.tag);
	{
		struct reg_body b = {.data = text, .len = len, .fd = -1, .ctype = mt};
		if (reg_request(&r, "PUT", path, NULL, &b, NULL, &resp, err) < 0)
			goto fail;
	}
	if (resp.status != 201) {
		push_fail(&resp, "manifest", err);
		goto fail;
	}
	{
		char hex[65];
		sha256_hex(text, len, hex);
		push_say(o, "Pushed sha256:%s", hex);
	}
	ret = 0;
	event_log(e, "image", "push", to, "name", to, NULL);
	goto out;
fail:
	berth_error_prefix(err, "%s", to);
out:
	reg_resp_free(&resp);
	reg_close(&r);
	image_free(img);
	ref_free(&ref);
	return ret;
}

static int push_manifest_put(struct reg *r, const char *repo, const char *which, const char *text,
                             size_t len, const char *mt, berth_error_t *err)
{
	cleanup_free char *path = xasprintf("/v2/%s/manifests/%s", repo, which);
	struct reg_body b = {.data = text, .len = len, .fd = -1, .ctype = mt};
	struct reg_resp resp = {0};
	int ret = 0;

	if (reg_request(r, "PUT", path, NULL, &b, NULL, &resp, err) < 0)
		ret = -1;
	else if (resp.status != 201)
		ret = push_fail(&resp, "manifest", err);
	reg_resp_free(&resp);
	return ret;
}

int manifest_push(struct engine *e, const char *name, const char *dest, const struct reg_opts *o,
                  berth_error_t *err)
{
	struct image_ref ref = {0};
	struct reg r = {0};
	cleanup_free char *text = NULL;
	size_t len, i;
	json_t *list = NULL, *d;
	int ret = -1;

	if (ref_parse(dest, &ref, err) < 0)
		return -1;
	if (ref.registry == NULL || ref.digest) {
		berth_error(err, 0, "%s: give REGISTRY/REPOSITORY[:TAG] to push to", dest);
		goto out;
	}
	if (manifest_list_read(e, name, &text, &len, err) < 0)
		goto out;
	list = json_loadb(text, len, 0, NULL);
	if (json_array_size(json_object_get(list, "manifests")) == 0) {
		berth_error(err, 0, "manifest list \"%s\" is empty (berth manifest add)", name);
		goto out;
	}
	if (reg_open(&r, &ref, o, true, err) < 0)
		goto fail;
	json_array_foreach(json_object_get(list, "manifests"), i, d)
	{
		const char *md = json_string_value(json_object_get(d, "digest")) ?: "";
		const char *mt = json_string_value(json_object_get(d, "mediaType")) ?: MT_MANIFEST;
		json_t *m = image_blob_json(e, md, err);
		json_t *l;
		size_t k;
		cleanup_free char *mtext = NULL;
		cleanup_free char *mp = NULL;
		size_t mlen;
		if (m == NULL)
			goto fail;
		json_array_foreach(json_object_get(m, "layers"), k, l)
		{
			if (push_blob(e, &r, json_string_value(json_object_get(l, "digest")) ?: "",
			              o, err) < 0) {
				json_decref(m);
				goto fail;
			}
		}
		if (push_blob(
		        e, &r,
		        json_string_value(json_object_get(json_object_get(m, "config"), "digest"))
		            ?: "",
		        o, err) < 0) {
			json_decref(m);
			goto fail;
		}
		json_decref(m);
		mp = engine_path(e, "images/blobs/sha256/%s", image_digest_hex(md) ?: "-");
		if (util_read_file(mp, &mtext, &mlen, err) < 0 ||
		    push_manifest_put(&r, ref.repo, md, mtext, mlen, mt, err) < 0)
			goto fail;
		push_say(o, "Pushed %s", md);
	}
	if (push_manifest_put(&r, ref.repo, ref.tag, text, len, MT_INDEX, err) < 0)
		goto fail;
	{
		char hex[65];
		sha256_hex(text, len, hex);
		push_say(o, "Pushed the list sha256:%s", hex);
	}
	ret = 0;
	goto out;
fail:
	berth_error_prefix(err, "%s", dest);
out:
	json_decref(list);
	reg_close(&r);
	ref_free(&ref);
	return ret;
}
