/* SPDX-License-Identifier: MIT */
/* `berth manifest create|add|inspect`: a manifest list (an OCI image index) kept in the store
 * as a blob and named in index.json like an image (with the index media type). `add` puts an
 * image of the store into it under the platform of its config, replacing the entry of the
 * same platform. Garbage collection keeps a list's images (image.c); `manifest push` is in
 * push.c. */
#include "image_priv.h"
#include "regref.h"
#include "sha256.h"
#include "util.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Write the list document as a blob and point name at it. */
static int manifest_store(struct engine *e, const char *name, json_t *list, berth_error_t *err)
{
	cleanup_free char *text = json_dumps(list, JSON_COMPACT);
	cleanup_free char *p = NULL;
	cleanup_free char *digest = NULL;
	char hex[65];
	int r;

	sha256_hex(text, strlen(text), hex);
	p = engine_path(e, "images/blobs/sha256/%s", hex);
	if (access(p, F_OK) < 0 && util_write_file_atomic(p, text, strlen(text), 0644, err) < 0)
		return -1;
	digest = xasprintf("sha256:%s", hex);
	if (engine_lock(e, err) < 0)
		return -1;
	r = image_index_add(e, name, digest, strlen(text), MT_INDEX, err);
	engine_unlock(e);
	return r;
}

static char *manifest_name(const char *name, berth_error_t *err)
{
	char *norm = image_ref_normalize(name);
	struct image_ref ref;

	if (strchr(name, '@') || ref_parse(norm, &ref, err) < 0) {
		if (strchr(name, '@'))
			berth_error(err, 0, "bad name `%s`: a tag, not a digest", name);
		free(norm);
		return NULL;
	}
	ref_free(&ref);
	return norm;
}

/* The list named name: its document, or NULL (not found, or an image). */
static json_t *manifest_load(struct engine *e, const char *name, berth_error_t *err)
{
	ssize_t pos;
	json_t *index = image_lookup_made(e, name, &pos, err);
	json_t *d, *list = NULL;

	if (index == NULL)
		return NULL;
	d = pos >= 0 ? json_array_get(json_object_get(index, "manifests"), (size_t)pos) : NULL;
	if (d == NULL)
		berth_error(err, 0, "manifest list \"%s\" not found (berth manifest create %s)",
		            name, name);
	else if (!image_entry_is_list(d))
		berth_error(err, 0, "\"%s\" is an image, not a manifest list", name);
	else
		list =
		    image_blob_json(e, json_string_value(json_object_get(d, "digest")) ?: "", err);
	json_decref(index);
	return list;
}

int manifest_create(struct engine *e, const char *name, berth_error_t *err)
{
	cleanup_free char *norm = manifest_name(name, err);
	ssize_t pos;
	json_t *index, *list;
	int r;

	if (norm == NULL)
		return -1;
	index = image_lookup(e, norm, &pos, err);
	if (index == NULL)
		return -1;
	json_decref(index);
	if (pos >= 0)
		return berth_error(err, 0, "\"%s\" exists already (berth rmi it first)", name);
	list = json_pack("{s:i,s:s,s:[]}", "schemaVersion", 2, "mediaType", MT_INDEX, "manifests");
	r = manifest_store(e, norm, list, err);
	json_decref(list);
	return r;
}

int manifest_add(struct engine *e, const char *name, const char *image, berth_error_t *err)
{
	cleanup_free char *norm = manifest_name(name, err);
	struct image *img = NULL;
	json_t *list = NULL, *ms, *d, *plat;
	const char *os, *arch, *var;
	cleanup_free char *mp = NULL;
	struct stat st;
	size_t i;
	int r = -1;

	if (norm == NULL)
		return -1;
	list = manifest_load(e, norm, err);
	if (list == NULL)
		return -1;
	if (image_find(e, image, &img, err) < 0)
		goto out;
	os = json_string_value(json_object_get(img->config, "os"));
	arch = json_string_value(json_object_get(img->config, "architecture"));
	var = json_string_value(json_object_get(img->config, "variant"));
	if (os == NULL || arch == NULL) {
		berth_error(err, 0, "image \"%s\": its config names no os and architecture", image);
		goto out;
	}
	mp = engine_path(e, "images/blobs/sha256/%s", image_digest_hex(img->digest));
	if (stat(mp, &st) < 0) {
		berth_error(err, errno, "stat `%s`", mp);
		goto out;
	}
	plat = json_pack("{s:s,s:s}", "os", os, "architecture", arch);
	if (var)
		json_object_set_new(plat, "variant", json_string(var));
	ms = json_object_get(list, "manifests");
	/* one entry per platform: the new image replaces the old */
	for (i = json_array_size(ms); i-- > 0;) {
		json_t *p = json_object_get(json_array_get(ms, i), "platform");
		if (json_equal(p, plat))
			json_array_remove(ms, i);
	}
	d = json_pack("{s:s,s:s,s:I,s:o}", "mediaType",
	              json_string_value(json_object_get(img->manifest, "mediaType")) ?: MT_MANIFEST,
	              "digest", img->digest, "size", (json_int_t)st.st_size, "platform", plat);
	json_array_append_new(ms, d);
	r = manifest_store(e, norm, list, err);
out:
	image_free(img);
	json_decref(list);
	return r;
}

char *manifest_inspect_json(struct engine *e, const char *name, berth_error_t *err)
{
	json_t *list = manifest_load(e, name, err);
	char *t;

	if (list == NULL)
		return NULL;
	t = json_dumps(list, JSON_INDENT(2));
	json_decref(list);
	return t;
}

int manifest_list_read(struct engine *e, const char *name, char **text, size_t *len,
                       berth_error_t *err)
{
	ssize_t pos;
	json_t *index = image_lookup_made(e, name, &pos, err);
	json_t *d;
	const char *h;
	cleanup_free char *p = NULL;
	int r;

	if (index == NULL)
		return -1;
	d = pos >= 0 ? json_array_get(json_object_get(index, "manifests"), (size_t)pos) : NULL;
	if (d == NULL || !image_entry_is_list(d)) {
		json_decref(index);
		return berth_error(err, 0, "manifest list \"%s\" not found", name);
	}
	h = image_digest_hex(json_string_value(json_object_get(d, "digest")) ?: "");
	p = h ? engine_path(e, "images/blobs/sha256/%s", h) : NULL;
	json_decref(index);
	if (p == NULL)
		return berth_error(err, 0, "manifest list \"%s\": bad digest", name);
	r = util_read_file(p, text, len, err);
	return r;
}
