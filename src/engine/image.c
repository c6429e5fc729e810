/* SPDX-License-Identifier: MIT */
/* The image store: index.json, lookup, listing, removal (with garbage collection of blobs
 * and unpacked layers), export as an oci-archive, and the built-in busybox image. */
#include "image_priv.h"
#include "events.h"
#include "dlib.h"
#include "regref.h"
#include "log.h"
#include "util.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool image_entry_is_list(json_t *d)
{
	const char *mt = json_string_value(json_object_get(d, "mediaType")) ?: "";
	return strcmp(mt, MT_INDEX) == 0 ||
	       strcmp(mt, "application/vnd.docker.distribution.manifest.list.v2+json") == 0;
}

const char *image_digest_hex(const char *digest)
{
	const char *h;

	if (strncmp(digest, "sha256:", 7) != 0)
		return NULL;
	h = digest + 7;
	if (strlen(h) != 64 || strspn(h, "0123456789abcdef") != 64)
		return NULL;
	return h;
}

json_t *image_json_load(const char *path, berth_error_t *err)
{
	cleanup_free char *text = NULL;
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	berth_error_t e2 = NULL;
	json_error_t je;
	size_t len;
	json_t *j;

	/* as json_load_file's error */
	if (fd < 0) {
		berth_error(err, 0, "%s: unable to open %s: %s (line -1)", path, path,
		            strerror(errno));
		return NULL;
	}
	/* read at once and parsed from memory (json_load_file reads a byte a call); what
	 * util_read_fd does not read (past its bound) jansson reads itself */
	if (util_read_fd(fd, path, &text, &len, &e2) == 0) {
		j = json_loadb(text, len, 0, &je);
	} else {
		berth_error_release(&e2);
		j = json_load_file(path, 0, &je);
	}
	if (j == NULL)
		berth_error(err, 0, "%s: %s (line %d)", path, je.text, je.line);
	return j;
}

json_t *image_index_load(struct engine *e, berth_error_t *err)
{
	cleanup_free char *p = engine_path(e, "images/index.json");
	json_t *j;

	if (access(p, F_OK) < 0)
		return json_pack("{s:i,s:[]}", "schemaVersion", 2, "manifests");
	j = image_json_load(p, err);
	if (j && !json_is_array(json_object_get(j, "manifests")))
		json_object_set_new(j, "manifests", json_array());
	return j;
}

int image_index_save(struct engine *e, json_t *index, berth_error_t *err)
{
	cleanup_free char *p = engine_path(e, "images/index.json");
	cleanup_free char *text = json_dumps(index, JSON_INDENT(2));

	return util_write_file_atomic(p, text, strlen(text), 0644, err);
}

const char *image_short_name(const char *name)
{
	if (strncmp(name, "localhost/", 10) == 0)
		return name + 10;
	if (strncmp(name, "docker.io/library/", 18) == 0)
		return name + 18;
	if (strncmp(name, "docker.io/", 10) == 0)
		return name + 10;
	return name;
}

char *image_ref_normalize(const char *ref)
{
	const char *s = image_short_name(ref);
	const char *slash = strrchr(s, '/');
	const char *colon = strrchr(s, ':');

	if (colon == NULL || (slash && colon < slash))
		return xasprintf("%s:latest", s);
	return xstrdup(s);
}

int image_check_name(const char *what, const char *name, berth_error_t *err)
{
	static const char expect[] =
	    "expected [REGISTRY/]NAME[:TAG]: lower case letters, digits "
	    "and separators . _ __ - in NAME; letters, digits, _ . - in TAG";
	cleanup_free char *norm = NULL;
	struct image_ref ref;
	berth_error_t e2 = NULL;

	if (name == NULL || name[0] == '\0')
		return berth_error(err, 0, "bad %s ``: an empty name (%s)", what, expect);
	if (strchr(name, '@'))
		return berth_error(err, 0, "bad %s `%s`: a digest cannot be given as a name (%s)",
		                   what, name, expect);
	norm = image_ref_normalize(name);
	if (ref_parse(norm, &ref, &e2) < 0) {
		berth_error_release(&e2);
		return berth_error(err, 0, "bad %s `%s`: %s", what, name, expect);
	}
	ref_free(&ref);
	return 0;
}

char *image_layer_dir(const struct engine *e, const char *diff_id)
{
	const char *h = strncmp(diff_id, "sha256:", 7) == 0 ? diff_id + 7 : diff_id;
	return engine_path(e, "layers/%s", h);
}

/* The config digest (the image id) of the image a manifest digest names, or NULL (a
 * manifest list, a blob that is not there). */
static char *image_manifest_config(struct engine *e, const char *manifest_digest)
{
	berth_error_t e2 = NULL;
	json_t *m = image_blob_json(e, manifest_digest, &e2);
	const char *cd = json_string_value(json_object_get(json_object_get(m, "config"), "digest"));
	char *r = cd ? xstrdup(cd) : NULL;

	berth_error_release(&e2);
	json_decref(m);
	return r;
}

/* An entry is the image named by manifest_digest, or one with the same id (config) cfg: the
 * same image, as Docker counts them, even when another import made another manifest. */
static bool image_entry_same(struct engine *e, json_t *d, const char *manifest_digest,
                             const char *cfg)
{
	const char *dg = json_string_value(json_object_get(d, "digest")) ?: "";
	cleanup_free char *dc = NULL;

	if (strcmp(dg, manifest_digest) == 0)
		return true;
	if (cfg == NULL || image_entry_is_list(d))
		return false;
	dc = image_manifest_config(e, dg);
	return dc && strcmp(dc, cfg) == 0;
}

/* Drop the name from whatever image had it, then add the entry. An image without a name is
 * not added again when the store has it (named or not), and naming an image drops its entries
 * without a name: one image id is never a second, untagged row. */
int image_index_add(struct engine *e, const char *name, const char *manifest_digest,
                    uint64_t manifest_size, const char *media_type, berth_error_t *err)
{
	json_t *index = image_index_load(e, err);
	cleanup_free char *cfg = NULL;
	json_t *ms, *d, *nd;
	size_t i;
	bool dup = false;
	int r;

	if (index == NULL)
		return -1;
	if (media_type == NULL || strcmp(media_type, MT_INDEX) != 0)
		cfg = image_manifest_config(e, manifest_digest);
	ms = json_object_get(index, "manifests");
	json_array_foreach(ms, i, d)
	{
		json_t *ann = json_object_get(d, "annotations");
		const char *n = json_string_value(json_object_get(ann, REF_NAME));
		if (name && n && strcmp(n, name) == 0)
			json_object_del(ann, REF_NAME);
		if (name == NULL && !dup && image_entry_same(e, d, manifest_digest, cfg))
			dup = true;
	}
	/* entries left without a name that are this image are dropped */
	for (i = json_array_size(ms); name && i-- > 0;) {
		d = json_array_get(ms, i);
		if (!json_object_get(json_object_get(d, "annotations"), REF_NAME) &&
		    image_entry_same(e, d, manifest_digest, cfg))
			json_array_remove(ms, i);
	}
	if (!dup) {
		nd = json_pack("{s:s,s:s,s:I}", "mediaType", media_type ? media_type : MT_MANIFEST,
		               "digest", manifest_digest, "size", (json_int_t)manifest_size);
		if (name)
			json_object_set_new(nd, "annotations", json_pack("{s:s}", REF_NAME, name));
		json_array_append_new(ms, nd);
	}
	r = image_index_save(e, index, err);
	json_decref(index);
	return r;
}

void image_free(struct image *img)
{
	if (img == NULL)
		return;
	free(img->name);
	free(img->digest);
	free(img->id);
	json_decref(img->manifest);
	json_decref(img->config);
	json_decref(img->list);
	free(img->list_digest);
	for (size_t i = 0; i < img->n_layers; i++)
		free(img->layers[i]);
	free(img->layers);
	free(img);
}

json_t *image_blob_json(struct engine *e, const char *digest, berth_error_t *err)
{
	const char *h = image_digest_hex(digest);
	cleanup_free char *p = NULL;

	if (h == NULL) {
		berth_error(err, 0, "bad digest `%s`", digest);
		return NULL;
	}
	p = engine_path(e, "images/blobs/sha256/%s", h);
	return image_json_load(p, err);
}

static struct image *image_load(struct engine *e, json_t *d, berth_error_t *err)
{
	struct image *img = xmalloc0(sizeof(*img));
	const char *n =
	    json_string_value(json_object_get(json_object_get(d, "annotations"), REF_NAME));
	const char *cd;
	json_t *diffs, *l;
	size_t i;

	img->name = n ? xstrdup(n) : NULL;
	img->digest = xstrdup(json_string_value(json_object_get(d, "digest")) ?: "");
	if (image_entry_is_list(d)) {
		berth_error(err, 0,
		            "\"%s\" is a manifest list, not an image (berth manifest inspect)",
		            n ? n : img->digest);
		goto fail;
	}
	img->manifest = image_blob_json(e, img->digest, err);
	if (img->manifest == NULL)
		goto fail;
	cd = json_string_value(json_object_get(json_object_get(img->manifest, "config"), "digest"));
	if (cd == NULL || image_digest_hex(cd) == NULL) {
		berth_error(err, 0, "image %s: manifest without a config digest", img->digest);
		goto fail;
	}
	img->id = xstrdup(image_digest_hex(cd));
	img->config = image_blob_json(e, cd, err);
	if (img->config == NULL)
		goto fail;
	diffs = json_object_get(json_object_get(img->config, "rootfs"), "diff_ids");
	img->n_layers = json_array_size(diffs);
	img->layers = xmalloc0((img->n_layers + 1) * sizeof(char *));
	json_array_foreach(diffs, i, l)
	{
		const char *h = image_digest_hex(json_string_value(l) ?: "");
		img->layers[i] = xstrdup(h ? h : "");
	}
	return img;
fail:
	image_free(img);
	return NULL;
}

/* An image's own platform, from its config: "linux/amd64" (heap). */
static char *image_config_platform(json_t *config)
{
	const char *var = json_string_value(json_object_get(config, "variant")) ?: "";

	return xasprintf("%s/%s%s%s", json_string_value(json_object_get(config, "os")) ?: "?",
	                 json_string_value(json_object_get(config, "architecture")) ?: "?",
	                 var[0] ? "/" : "", var);
}

/* An index.json entry as the image of platform want (NULL: the host's). A manifest list
 * (berth manifest, pull --all-platforms) stands for its image of that platform, under the
 * list's name. A single image is taken as it is for the host's platform (as always); for a
 * platform asked for, its config must be of that platform. ref names the image in errors. */
static struct image *image_load_entry_for(struct engine *e, json_t *d, const char *ref,
                                          const struct platform *want, berth_error_t *err)
{
	const char *n =
	    json_string_value(json_object_get(json_object_get(d, "annotations"), REF_NAME));
	json_t *list, *child;
	struct platform host;
	struct image *img;
	char wbuf[100];
	long k;

	if (want)
		platform_format(want, wbuf, sizeof(wbuf));
	if (!image_entry_is_list(d)) {
		json_t *c;
		img = image_load(e, d, err);
		if (img == NULL || want == NULL)
			return img;
		c = img->config;
		if (!platform_matches(want, json_string_value(json_object_get(c, "os")) ?: "",
		                      json_string_value(json_object_get(c, "architecture")) ?: "",
		                      json_string_value(json_object_get(c, "variant")) ?: "")) {
			cleanup_free char *have = image_config_platform(c);
			berth_error(err, 0, "image \"%s\" has no %s variant (it has: %s)",
			            ref ? ref
			            : n ? n
			                : img->digest,
			            wbuf, have);
			image_free(img);
			return NULL;
		}
		return img;
	}
	list = image_blob_json(e, json_string_value(json_object_get(d, "digest")) ?: "", err);
	if (list == NULL)
		return NULL;
	if (want == NULL) {
		platform_host(&host);
		k = platform_select(json_object_get(list, "manifests"), &host, err);
		if (k < 0)
			berth_error_prefix(err, "manifest list \"%s\"", n ? n : "");
	} else {
		berth_error_t e2 = NULL;
		k = platform_select(json_object_get(list, "manifests"), want, &e2);
		berth_error_release(&e2);
		if (k < 0) {
			cleanup_free char *have = platform_list(json_object_get(list, "manifests"));
			berth_error(err, 0, "image \"%s\" has no %s variant (it has: %s)",
			            ref ? ref
			            : n ? n
			                : "",
			            wbuf, have);
		}
	}
	if (k < 0) {
		json_decref(list);
		return NULL;
	}
	child = json_deep_copy(json_array_get(json_object_get(list, "manifests"), (size_t)k));
	if (image_entry_is_list(child)) {
		json_decref(list);
		json_decref(child);
		berth_error(err, 0, "manifest list \"%s\": a list in a list", n ? n : "");
		return NULL;
	}
	if (n)
		json_object_set_new(child, "annotations", json_pack("{s:s}", REF_NAME, n));
	img = image_load(e, child, err);
	json_decref(child);
	if (img) {
		img->list = list;
		img->list_digest = xstrdup(json_string_value(json_object_get(d, "digest")) ?: "");
	} else {
		json_decref(list);
	}
	return img;
}

struct image *image_load_entry(struct engine *e, json_t *d, berth_error_t *err)
{
	return image_load_entry_for(e, d, NULL, NULL, err);
}

static bool image_matches(json_t *d, const char *ref, const char *norm)
{
	const char *n =
	    json_string_value(json_object_get(json_object_get(d, "annotations"), REF_NAME));
	const char *dg = json_string_value(json_object_get(d, "digest")) ?: "";

	const char *at = strchr(ref, '@');

	if ((n && strcmp(image_short_name(n), norm) == 0) || strcmp(dg, ref) == 0)
		return true;
	/* NAME@sha256:…: the manifest's digest, under that name with any tag */
	if (at && n && strcmp(at + 1, dg) == 0) {
		const char *sn = image_short_name(n);
		const char *rn = image_short_name(ref);
		const char *slash = strrchr(sn, '/');
		const char *colon = strrchr(sn, ':');
		const char *sat = strchr(sn, '@');
		size_t rl = (size_t)(strchr(rn, '@') - rn);
		size_t nl = sat                                         ? (size_t)(sat - sn)
		            : colon && (slash == NULL || colon > slash) ? (size_t)(colon - sn)
		                                                        : strlen(sn);
		/* the name in ref may have a tag too */
		const char *rc = memchr(rn, ':', rl);
		const char *rs = memrchr(rn, '/', rl);
		if (rc && (rs == NULL || rc > rs))
			rl = (size_t)(rc - rn);
		return rl == nl && strncmp(rn, sn, nl) == 0;
	}
	return false;
}

/* Whether the image of manifest digest has an id (config digest) starting with the rl hex
 * digits of ref. */
static bool image_manifest_has_id(struct engine *e, const char *digest, const char *ref, size_t rl)
{
	berth_error_t e2 = NULL;
	json_t *m = image_blob_json(e, digest, &e2);
	const char *cd = json_string_value(json_object_get(json_object_get(m, "config"), "digest"));
	bool hit = cd && image_digest_hex(cd) && strncmp(image_digest_hex(cd), ref, rl) == 0;

	berth_error_release(&e2);
	json_decref(m);
	return hit;
}

/* The same for a manifest list: one of its images has that id, or the list's own digest
 * starts so. */
static bool image_list_has_id(struct engine *e, const char *digest, const char *ref, size_t rl)
{
	berth_error_t e2 = NULL;
	json_t *list = image_blob_json(e, digest, &e2);
	const char *h = image_digest_hex(digest);
	bool hit = h && strncmp(h, ref, rl) == 0;
	json_t *c;
	size_t i;

	berth_error_release(&e2);
	json_array_foreach(json_object_get(list, "manifests"), i, c)
	{
		if (hit)
			break;
		if (!image_entry_is_list(c))
			hit = image_manifest_has_id(
			    e, json_string_value(json_object_get(c, "digest")) ?: "", ref, rl);
	}
	json_decref(list);
	return hit;
}

/* The index entry for ref, or by config id prefix. Returns the index (to be released) and
 * the position, or NULL with *pos = -1 when not found. */
json_t *image_lookup(struct engine *e, const char *ref, ssize_t *pos, berth_error_t *err)
{
	cleanup_free char *norm = image_ref_normalize(ref);
	json_t *index = image_index_load(e, err);
	json_t *d;
	size_t i, rl = strlen(ref);
	bool hexref = rl >= 4 && rl <= 64 && strspn(ref, "0123456789abcdef") == rl;

	*pos = -1;
	if (index == NULL)
		return NULL;
	json_array_foreach(json_object_get(index, "manifests"), i, d)
	{
		if (image_matches(d, ref, norm)) {
			*pos = (ssize_t)i;
			return index;
		}
	}
	if (hexref) {
		json_array_foreach(json_object_get(index, "manifests"), i, d)
		{
			const char *dg = json_string_value(json_object_get(d, "digest")) ?: "";
			bool hit = image_entry_is_list(d) ? image_list_has_id(e, dg, ref, rl)
			                                  : image_manifest_has_id(e, dg, ref, rl);
			if (hit) {
				*pos = (ssize_t)i;
				return index;
			}
		}
	}
	return index;
}

json_t *image_lookup_made(struct engine *e, const char *ref, ssize_t *pos, berth_error_t *err)
{
	cleanup_free char *norm = image_ref_normalize(ref);
	json_t *index = image_lookup(e, ref, pos, err);

	if (index == NULL || *pos >= 0 || strcmp(norm, "busybox:latest") != 0)
		return index;
	json_decref(index);
	if (image_make_busybox(e, err) < 0) {
		berth_error_prefix(err, "built-in image busybox");
		return NULL;
	}
	return image_lookup(e, ref, pos, err);
}

int image_find_platform(struct engine *e, const char *ref, const char *platform, struct image **out,
                        berth_error_t *err)
{
	struct platform want;
	json_t *index;
	ssize_t pos;

	*out = NULL;
	if (platform && platform_parse(platform, &want, err) < 0)
		return -1;
	index = image_lookup_made(e, ref, &pos, err);
	if (index == NULL)
		return -1;
	if (pos < 0) {
		json_decref(index);
		return berth_error(
		    err, 0, "image \"%s\" not found (berth images lists the local ones)", ref);
	}
	*out = image_load_entry_for(
	    e, json_array_get(json_object_get(index, "manifests"), (size_t)pos), ref,
	    platform ? &want : NULL, err);
	json_decref(index);
	return *out ? 0 : -1;
}

int image_find(struct engine *e, const char *ref, struct image **out, berth_error_t *err)
{
	return image_find_platform(e, ref, NULL, out, err);
}

int image_find_list(struct engine *e, const char *ref, bool *is_list, berth_error_t *err)
{
	ssize_t pos;
	json_t *index = image_lookup_made(e, ref, &pos, err);

	*is_list = false;
	if (index == NULL)
		return -1;
	if (pos >= 0)
		*is_list = image_entry_is_list(
		    json_array_get(json_object_get(index, "manifests"), (size_t)pos));
	json_decref(index);
	return 0;
}

bool image_present(struct engine *e, const char *ref)
{
	berth_error_t e2 = NULL;
	cleanup_free char *norm = image_ref_normalize(ref);
	ssize_t pos = -1;
	json_t *index = image_lookup(e, ref, &pos, &e2);

	berth_error_release(&e2);
	json_decref(index);
	return pos >= 0 || strcmp(norm, "busybox:latest") == 0;
}

int image_tag(struct engine *e, const char *src, const char *dst, berth_error_t *err)
{
	struct image *img = NULL;
	cleanup_free char *norm = NULL;
	cleanup_free char *mp = NULL;
	struct stat st;
	int r = -1;

	/* the same grammar as a registry's (lower case, separators, a tag) */
	if (image_check_name("TARGET_IMAGE", dst, err) < 0)
		return -1;
	if (image_find(e, src, &img, err) < 0)
		return -1;
	norm = image_ref_normalize(dst);
	if (img->list) {
		/* a manifest list (the built-in busybox): the new name is the list's too */
		mp = engine_path(e, "images/blobs/sha256/%s", image_digest_hex(img->list_digest));
		if (stat(mp, &st) < 0) {
			berth_error(err, errno, "stat `%s`", mp);
			goto out;
		}
		if (engine_lock(e, err) < 0)
			goto out;
		r = image_index_add(
		    e, norm, img->list_digest, (uint64_t)st.st_size,
		    json_string_value(json_object_get(img->list, "mediaType")) ?: MT_INDEX, err);
		engine_unlock(e);
		goto out;
	}
	mp = engine_path(e, "images/blobs/sha256/%s", image_digest_hex(img->digest));
	if (stat(mp, &st) < 0) {
		berth_error(err, errno, "stat `%s`", mp);
		goto out;
	}
	if (engine_lock(e, err) < 0)
		goto out;
	r = image_index_add(e, norm, img->digest, (uint64_t)st.st_size,
	                    json_string_value(json_object_get(img->manifest, "mediaType")), err);
	engine_unlock(e);
out:
	if (r == 0)
		event_image(e, "tag", img->id, norm);
	image_free(img);
	return r;
}

/* What an unpacked layer takes, as Docker counts a layer's size: the apparent size of
 * everything but directories, a file with several hard links once. 0 when the layer is not
 * there. */
uint64_t image_layer_size(struct engine *e, const char *diff_hex)
{
	cleanup_free char *dir = image_layer_dir(e, diff_hex);

	return image_tree_size(dir);
}

uint64_t image_tree_size(const char *dir)
{
	char *paths[] = {(char *)dir, NULL};
	json_t *seen = json_object();
	uint64_t size = 0;
	FTS *fts = fts_open(paths, FTS_PHYSICAL | FTS_NOCHDIR | FTS_XDEV, NULL);
	FTSENT *f;

	while (fts && (f = fts_read(fts)) != NULL) {
		const struct stat *st = f->fts_statp;
		if (f->fts_info == FTS_D || f->fts_info == FTS_DP || f->fts_info == FTS_DNR ||
		    f->fts_info == FTS_NS || f->fts_info == FTS_ERR || st == NULL)
			continue;
		if (st->st_nlink > 1) {
			char key[64];
			snprintf(key, sizeof(key), "%llu:%llu", (unsigned long long)st->st_dev,
			         (unsigned long long)st->st_ino);
			if (json_object_get(seen, key))
				continue;
			json_object_set_new(seen, key, json_true());
		}
		size += st->st_size > 0 ? (uint64_t)st->st_size : 0;
	}
	if (fts)
		fts_close(fts);
	json_decref(seen);
	return size;
}

/* An image's size as Docker gives it: the sum of its layers unpacked (the same however the
 * image came: pulled, loaded, imported from a compressed or an uncompressed tarball). cache
 * (optional) keeps each layer's size for the next image. */
static uint64_t image_unpacked_size(struct engine *e, const struct image *img, json_t *cache)
{
	uint64_t size = 0;

	for (size_t i = 0; i < img->n_layers; i++) {
		json_t *c = cache ? json_object_get(cache, img->layers[i]) : NULL;
		uint64_t n;
		if (img->layers[i][0] == '\0')
			continue;
		if (c) {
			size += (uint64_t)json_integer_value(c);
			continue;
		}
		n = image_layer_size(e, img->layers[i]);
		if (cache)
			json_object_set_new(cache, img->layers[i], json_integer((json_int_t)n));
		size += n;
	}
	return size;
}

int image_list(struct engine *e, json_t **out, berth_error_t *err)
{
	json_t *index = image_index_load(e, err);
	json_t *d, *cache;
	size_t i;

	if (index == NULL)
		return -1;
	cache = json_object();
	*out = json_array();
	json_array_foreach(json_object_get(index, "manifests"), i, d)
	{
		berth_error_t e2 = NULL;
		struct image *img = image_load_entry(e, d, &e2);
		if (img == NULL) {
			/* a list without an image for this host is not one here */
			if (!image_entry_is_list(d))
				log_warning("%s", e2->msg);
			berth_error_release(&e2);
			continue;
		}
		img->size = image_unpacked_size(e, img, cache);
		json_array_append_new(
		    *out, json_pack("{s:s?,s:s,s:s,s:I,s:s?}", "name", img->name, "id", img->id,
		                    "digest", img->digest, "size", (json_int_t)img->size, "created",
		                    json_string_value(json_object_get(img->config, "created"))));
		image_free(img);
	}
	json_decref(cache);
	json_decref(index);
	return 0;
}

int image_summaries(struct engine *e, struct image_summary **out, size_t *n, berth_error_t *err)
{
	json_t *list, *v;
	size_t i;

	*out = NULL;
	*n = 0;
	if (image_list(e, &list, err) < 0)
		return -1;
	*out = xmalloc0((json_array_size(list) + 1) * sizeof(**out));
	json_array_foreach(list, i, v)
	{
		struct image_summary *s = &(*out)[(*n)++];
		const char *name = json_string_value(json_object_get(v, "name"));
		s->name = name ? xstrdup(name) : NULL;
		s->id = xstrdup(json_string_value(json_object_get(v, "id")) ?: "");
		s->created = xstrdup(json_string_value(json_object_get(v, "created")) ?: "");
		s->digest = xstrdup(json_string_value(json_object_get(v, "digest")) ?: "");
		s->size = (uint64_t)json_integer_value(json_object_get(v, "size"));
	}
	json_decref(list);
	return 0;
}

void image_summaries_free(struct image_summary *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].id);
		free(v[i].created);
		free(v[i].digest);
	}
	free(v);
}

char *image_list_json(struct engine *e, berth_error_t *err)
{
	json_t *list;
	char *t;

	if (image_list(e, &list, err) < 0)
		return NULL;
	t = json_dumps(list, JSON_INDENT(2));
	json_decref(list);
	return t;
}

char *image_inspect_json(struct engine *e, struct image *img)
{
	json_t *o;
	char *t;

	img->size = image_unpacked_size(e, img, NULL);
	o = json_pack("{s:s?,s:s,s:s,s:I,s:O,s:O}", "name", img->name, "id", img->id, "digest",
	              img->digest, "size", (json_int_t)img->size, "manifest", img->manifest,
	              "config", img->config);
	if (img->list) {
		/* a manifest list stands for this image: its platforms and why any is missing */
		json_t *pl = json_array(), *d;
		size_t i;
		json_array_foreach(json_object_get(img->list, "manifests"), i, d)
		{
			json_t *p = json_object_get(d, "platform");
			const char *os = json_string_value(json_object_get(p, "os")) ?: "";
			const char *arch =
			    json_string_value(json_object_get(p, "architecture")) ?: "";
			const char *var = json_string_value(json_object_get(p, "variant"));
			char *one;
			if (strcmp(os, "unknown") == 0 && strcmp(arch, "unknown") == 0)
				continue;
			one = xasprintf("%s/%s%s%s", os, arch, var ? "/" : "", var ? var : "");
			json_array_append_new(pl, json_string(one));
			free(one);
		}
		json_object_set_new(o, "platforms", pl);
		json_object_set_new(o, "index_digest", json_string(img->list_digest));
		json_object_set(o, "index", img->list);
	}
	t = json_dumps(o, JSON_INDENT(2));

	json_decref(o);
	return t;
}

/* ---- removal and garbage collection ------------------------------------------------- */

static void gc_mark_image(struct engine *e, const char *mdigest, json_t *keep)
{
	berth_error_t e2 = NULL;
	json_t *m = image_blob_json(e, mdigest, &e2);
	json_t *c, *l;
	const char *cd;
	size_t i;

	berth_error_release(&e2);
	json_object_set_new(keep, image_digest_hex(mdigest) ?: "-", json_true());
	if (m == NULL)
		return;
	if (json_is_array(json_object_get(m, "manifests"))) {
		/* a manifest list keeps its images (one level: lists of lists are not made) */
		json_array_foreach(json_object_get(m, "manifests"), i, l)
		{
			const char *d = json_string_value(json_object_get(l, "digest"));
			if (d && image_digest_hex(d) && !json_object_get(keep, image_digest_hex(d)))
				gc_mark_image(e, d, keep);
		}
		json_decref(m);
		return;
	}
	cd = json_string_value(json_object_get(json_object_get(m, "config"), "digest"));
	if (cd && image_digest_hex(cd)) {
		json_object_set_new(keep, image_digest_hex(cd), json_true());
		c = image_blob_json(e, cd, &e2);
		berth_error_release(&e2);
		json_array_foreach(json_object_get(json_object_get(c, "rootfs"), "diff_ids"), i,
		                   l) if (json_string_value(l) &&
		                          image_digest_hex(json_string_value(l)))
		    json_object_set_new(keep, image_digest_hex(json_string_value(l)), json_true());
		json_decref(c);
	}
	json_array_foreach(json_object_get(m, "layers"), i, l)
	{
		const char *ld = json_string_value(json_object_get(l, "digest"));
		if (ld && image_digest_hex(ld))
			json_object_set_new(keep, image_digest_hex(ld), json_true());
	}
	json_decref(m);
}

/* Remove every blob and unpacked layer that no image and no container refers to. */
static void image_gc(struct engine *e, json_t *index)
{
	json_t *keep = json_object();
	json_t *d;
	size_t i;
	const char *dirs[] = {"images/blobs/sha256", "layers"};
	cleanup_free char *cdir = engine_path(e, "containers");
	DIR *cd;
	struct dirent *de;

	json_array_foreach(json_object_get(index, "manifests"), i, d)
	    gc_mark_image(e, json_string_value(json_object_get(d, "digest")) ?: "", keep);
	build_cache_mark(e, keep); /* the build cache's layers (buildfs.c) */
	cd = opendir(cdir);
	while (cd && (de = readdir(cd)) != NULL) {
		cleanup_free char *p = NULL;
		berth_error_t e2 = NULL;
		json_t *rec, *l;
		if (de->d_name[0] == '.')
			continue;
		p = engine_path(e, "containers/%s/container.json", de->d_name);
		rec = image_json_load(p, &e2);
		berth_error_release(&e2);
		json_array_foreach(json_object_get(rec, "layers"), i, l)
		    json_object_set_new(keep, json_string_value(l) ?: "-", json_true());
		json_decref(rec);
	}
	if (cd)
		closedir(cd);
	for (size_t k = 0; k < ARRAY_SIZE(dirs); k++) {
		cleanup_free char *dp = engine_path(e, "%s", dirs[k]);
		DIR *dd = opendir(dp);
		while (dd && (de = readdir(dd)) != NULL) {
			cleanup_free char *p = NULL;
			berth_error_t e2 = NULL;
			if (de->d_name[0] == '.' || json_object_get(keep, de->d_name))
				continue;
			/* a layer's keep-id copy (HEX.keepid-U-G) goes with its layer */
			if (k == 1 && strchr(de->d_name, '.') != NULL) {
				char h[80];
				snprintf(h, sizeof(h), "%.*s",
				         (int)(strchr(de->d_name, '.') - de->d_name), de->d_name);
				if (json_object_get(keep, h))
					continue;
			}
			p = xasprintf("%s/%s", dp, de->d_name);
			if (k == 0)
				unlink(p);
			else
				util_rm_rf(p, &e2);
			berth_error_release(&e2);
		}
		if (dd)
			closedir(dd);
	}
	json_decref(keep);
}

void image_gc_unused(struct engine *e)
{
	berth_error_t e2 = NULL;
	json_t *index = image_index_load(e, &e2);

	berth_error_release(&e2);
	if (index)
		image_gc(e, index);
	json_decref(index);
}

bool image_in_use(struct engine *e, const char *id)
{
	cleanup_free char *cdir = engine_path(e, "containers");
	DIR *cd = opendir(cdir);
	struct dirent *de;
	bool used = false;

	while (cd && !used && (de = readdir(cd)) != NULL) {
		cleanup_free char *p = NULL;
		berth_error_t e2 = NULL;
		json_t *rec;
		if (de->d_name[0] == '.')
			continue;
		p = engine_path(e, "containers/%s/container.json", de->d_name);
		rec = image_json_load(p, &e2);
		berth_error_release(&e2);
		used = rec &&
		       strcmp(json_string_value(json_object_get(rec, "image_id")) ?: "", id) == 0;
		json_decref(rec);
	}
	if (cd)
		closedir(cd);
	return used;
}

int image_remove(struct engine *e, const char *ref, bool force, char **report, berth_error_t *err)
{
	json_t *index, *d;
	ssize_t pos;
	int r = -1;
	cleanup_free char *id = NULL, *name = NULL, *blob = NULL, *list_hex = NULL;
	const char *n;

	if (engine_lock(e, err) < 0)
		return -1;
	index = image_lookup(e, ref, &pos, err);
	if (index == NULL)
		return -1;
	if (pos < 0) {
		berth_error(err, 0, "image \"%s\" not found (berth images lists the local ones)",
		            ref);
		goto out;
	}
	d = json_array_get(json_object_get(index, "manifests"), (size_t)pos);
	n = json_string_value(json_object_get(json_object_get(d, "annotations"), REF_NAME));
	name = n ? xstrdup(image_short_name(n)) : NULL;
	if (image_entry_is_list(d)) {
		/* a manifest list goes when its blob does; it is reported by the id `images`
		 * shows, its host platform's image's, or else by its own digest */
		berth_error_t e2 = NULL;
		struct image *img = image_load_entry(e, d, &e2);
		berth_error_release(&e2);
		list_hex = xstrdup(
		    image_digest_hex(json_string_value(json_object_get(d, "digest")) ?: "") ?: "");
		bool one = img != NULL;
		id = xstrdup(img ? img->id : list_hex);
		image_free(img);
		if (one && image_in_use(e, id) && !force) {
			berth_error(
			    err, 0,
			    "image \"%s\" is used by a container (berth rm it first, or rmi -f)",
			    ref);
			goto out;
		}
	} else {
		struct image *img = image_load(e, d, err);
		bool used;
		if (img == NULL)
			goto out;
		used = image_in_use(e, img->id);
		id = xstrdup(img->id);
		image_free(img);
		if (used && !force) {
			berth_error(
			    err, 0,
			    "image \"%s\" is used by a container (berth rm it first, or rmi -f)",
			    ref);
			goto out;
		}
	}
	json_array_remove(json_object_get(index, "manifests"), (size_t)pos);
	if (image_index_save(e, index, err) < 0)
		goto out;
	image_gc(e, index);
	/* the image went when the gc took its config (or list) blob */
	blob = engine_path(e, "images/blobs/sha256/%s", list_hex ? list_hex : id);
	if (report)
		*report =
		    xasprintf("%s%s%s%s%s%s", name ? "Untagged: " : "", name ? name : "",
		              name ? "\n" : "", access(blob, F_OK) < 0 ? "Deleted: sha256:" : "",
		              access(blob, F_OK) < 0 ? id : "", access(blob, F_OK) < 0 ? "\n" : "");
	if (name)
		event_image(e, "untag", id, name);
	if (access(blob, F_OK) < 0)
		event_image(e, "delete", id, NULL);
	r = 0;
out:
	json_decref(index);
	return r;
}

/* ---- export ---------------------------------------------------------------------------- */

static int export_add(struct archive *a, const char *name, const char *data, size_t len,
                      const char *file, int fd, berth_error_t *err)
{
	struct archive_entry *en = dlib_archive()->archive_entry_new();
	struct stat st = {0};
	char buf[65536];
	ssize_t n;
	int r = 0;

	if (fd >= 0)
		fstat(fd, &st);
	dlib_archive()->archive_entry_set_pathname(en, name);
	dlib_archive()->archive_entry_set_filetype(en, AE_IFREG);
	dlib_archive()->archive_entry_set_perm(en, 0644);
	dlib_archive()->archive_entry_set_size(en, fd >= 0 ? st.st_size : (la_int64_t)len);
	if (dlib_archive()->archive_write_header(a, en) != ARCHIVE_OK)
		r = berth_error(err, 0, "%s: %s", file, dlib_archive()->archive_error_string(a));
	else if (fd < 0 && dlib_archive()->archive_write_data(a, data, len) < 0)
		r = berth_error(err, 0, "%s: %s", file, dlib_archive()->archive_error_string(a));
	while (r == 0 && fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
		if (dlib_archive()->archive_write_data(a, buf, (size_t)n) < 0)
			r = berth_error(err, 0, "%s: %s", file,
			                dlib_archive()->archive_error_string(a));
	dlib_archive()->archive_entry_free(en);
	return r;
}

static int export_blob_as(struct engine *e, struct archive *a, const char *digest, const char *name,
                          json_t *seen, const char *file, berth_error_t *err)
{
	const char *h = image_digest_hex(digest ?: "");
	cleanup_free char *p = NULL;
	cleanup_close int fd = -1;

	if (h == NULL)
		return berth_error(err, 0, "bad digest `%s`", digest ?: "");
	if (json_object_get(seen, name))
		return 0;
	json_object_set_new(seen, name, json_true());
	p = engine_path(e, "images/blobs/sha256/%s", h);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return berth_error(err, errno, "open `%s`", p);
	return export_add(a, name, NULL, 0, file, fd, err);
}

/* An image's manifest, config and layers into the archive. */
static int save_oci_image(struct engine *e, struct archive *a, const char *mdigest, json_t *m,
                          json_t *seen, const char *file, berth_error_t *err)
{
	const char *cd = json_string_value(json_object_get(json_object_get(m, "config"), "digest"));
	cleanup_free char *mn = xasprintf("blobs/sha256/%s", image_digest_hex(mdigest) ?: "-");
	cleanup_free char *cn = xasprintf("blobs/sha256/%s", image_digest_hex(cd ?: "") ?: "-");
	json_t *l;
	size_t i;

	if (export_blob_as(e, a, mdigest, mn, seen, file, err) < 0 ||
	    export_blob_as(e, a, cd, cn, seen, file, err) < 0)
		return -1;
	json_array_foreach(json_object_get(m, "layers"), i, l)
	{
		const char *ld = json_string_value(json_object_get(l, "digest"));
		cleanup_free char *ln =
		    xasprintf("blobs/sha256/%s", image_digest_hex(ld ?: "") ?: "-");
		if (export_blob_as(e, a, ld, ln, seen, file, err) < 0)
			return -1;
	}
	return 0;
}

/* The OCI layout: oci-layout, index.json naming each image, the blobs. An image chosen from
 * a manifest list (keep_lists) is saved as the list, with all its images. */
static int save_oci(struct engine *e, struct archive *a, struct image **imgs, size_t n,
                    bool keep_lists, const char *file, berth_error_t *err)
{
	static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	json_t *index = json_pack("{s:i,s:[]}", "schemaVersion", 2, "manifests");
	json_t *seen = json_object();
	cleanup_free char *text = NULL;
	int r = -1;

	for (size_t k = 0; k < n; k++) {
		struct image *img = imgs[k];
		bool list = keep_lists && img->list;
		const char *dg = list ? img->list_digest : img->digest;
		cleanup_free char *mp =
		    engine_path(e, "images/blobs/sha256/%s", image_digest_hex(dg) ?: "-");
		struct stat st = {0};
		json_t *d;
		stat(mp, &st);
		d = json_pack("{s:s,s:s,s:I}", "mediaType",
		              list ? json_string_value(json_object_get(img->list, "mediaType"))
		                         ?: MT_INDEX
		                   : json_string_value(json_object_get(img->manifest, "mediaType"))
		                         ?: MT_MANIFEST,
		              "digest", dg, "size", (json_int_t)st.st_size);
		if (img->name)
			json_object_set_new(d, "annotations",
			                    json_pack("{s:s}", REF_NAME, img->name));
		json_array_append_new(json_object_get(index, "manifests"), d);
	}
	text = json_dumps(index, JSON_COMPACT);
	if (export_add(a, "oci-layout", layout, strlen(layout), file, -1, err) < 0 ||
	    export_add(a, "index.json", text, strlen(text), file, -1, err) < 0)
		goto out;
	for (size_t k = 0; k < n; k++) {
		struct image *img = imgs[k];
		json_t *d;
		size_t i;
		if (!keep_lists || img->list == NULL) {
			if (save_oci_image(e, a, img->digest, img->manifest, seen, file, err) < 0)
				goto out;
			continue;
		}
		{
			cleanup_free char *ln =
			    xasprintf("blobs/sha256/%s", image_digest_hex(img->list_digest) ?: "-");
			if (export_blob_as(e, a, img->list_digest, ln, seen, file, err) < 0)
				goto out;
		}
		json_array_foreach(json_object_get(img->list, "manifests"), i, d)
		{
			const char *md = json_string_value(json_object_get(d, "digest")) ?: "";
			json_t *m = image_blob_json(e, md, err);
			int rr;
			if (m == NULL)
				goto out;
			rr = save_oci_image(e, a, md, m, seen, file, err);
			json_decref(m);
			if (rr < 0)
				goto out;
		}
	}
	r = 0;
out:
	json_decref(index);
	json_decref(seen);
	return r;
}

/* docker save's layout: manifest.json [{Config, RepoTags, Layers}], <hex>.json, <hex>.tar
 * (a layer as stored: Podman and Docker decompress what is compressed). */
static int save_docker(struct engine *e, struct archive *a, struct image **imgs, size_t n,
                       const char *file, berth_error_t *err)
{
	json_t *man = json_array();
	json_t *seen = json_object();
	cleanup_free char *text = NULL;
	int r = -1;

	for (size_t k = 0; k < n; k++) {
		struct image *img = imgs[k];
		json_t *ls = json_array(), *l;
		size_t i;
		cleanup_free char *cn = xasprintf("%s.json", img->id);
		json_t *ent = json_pack("{s:s,s:[],s:o}", "Config", cn, "RepoTags", "Layers", ls);
		if (img->name)
			json_array_append_new(json_object_get(ent, "RepoTags"),
			                      json_string(img->name));
		json_array_foreach(json_object_get(img->manifest, "layers"), i, l)
		{
			const char *h =
			    image_digest_hex(json_string_value(json_object_get(l, "digest")) ?: "");
			cleanup_free char *ln = xasprintf("%s.tar", h ? h : "-");
			json_array_append_new(ls, json_string(ln));
		}
		json_array_append_new(man, ent);
	}
	text = json_dumps(man, JSON_COMPACT);
	if (export_add(a, "manifest.json", text, strlen(text), file, -1, err) < 0)
		goto out;
	for (size_t k = 0; k < n; k++) {
		struct image *img = imgs[k];
		const char *cd = json_string_value(
		    json_object_get(json_object_get(img->manifest, "config"), "digest"));
		json_t *l;
		size_t i;
		cleanup_free char *cn = xasprintf("%s.json", img->id);
		if (export_blob_as(e, a, cd, cn, seen, file, err) < 0)
			goto out;
		json_array_foreach(json_object_get(img->manifest, "layers"), i, l)
		{
			const char *ld = json_string_value(json_object_get(l, "digest"));
			cleanup_free char *ln =
			    xasprintf("%s.tar", image_digest_hex(ld ?: "") ?: "-");
			if (export_blob_as(e, a, ld, ln, seen, file, err) < 0)
				goto out;
		}
	}
	r = 0;
out:
	json_decref(man);
	json_decref(seen);
	return r;
}

static int image_save_as(struct engine *e, char **refs, size_t n, const char *file,
                         const char *format, bool keep_lists, berth_error_t *err)
{
	struct image **imgs = xmalloc0((n + 1) * sizeof(*imgs));
	bool docker = format && strcmp(format, "docker-archive") == 0;
	bool to_stdout = strcmp(file, "-") == 0;
	cleanup_free char *tmp = to_stdout ? NULL : xasprintf("%s.tmp-XXXXXX", file);
	struct archive *a = NULL;
	cleanup_close int fd = -1;
	int r = -1;

	if (format && !docker && strcmp(format, "oci-archive") != 0) {
		free(imgs);
		return berth_error(
		    err, 0, "bad --format `%s`: expected oci-archive or docker-archive", format);
	}
	for (size_t k = 0; k < n; k++)
		if (image_find(e, refs[k], &imgs[k], err) < 0)
			goto out;
	/* written beside the destination and renamed: a failure leaves no half archive */
	fd = to_stdout ? dup(STDOUT_FILENO) : mkstemp(tmp);
	if (fd < 0) {
		berth_error(err, errno, "create `%s`", to_stdout ? "-" : tmp);
		goto out;
	}
	a = dlib_archive()->archive_write_new();
	dlib_archive()->archive_write_set_format_pax_restricted(a);
	if (dlib_archive()->archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		berth_error(err, 0, "%s: %s", file, dlib_archive()->archive_error_string(a));
		goto out;
	}
	if ((docker ? save_docker(e, a, imgs, n, file, err)
	            : save_oci(e, a, imgs, n, keep_lists, file, err)) < 0)
		goto out;
	if (dlib_archive()->archive_write_close(a) != ARCHIVE_OK) {
		berth_error(err, 0, "%s: %s", file, dlib_archive()->archive_error_string(a));
		goto out;
	}
	if (!to_stdout && fchmod(fd, 0644) == 0 && rename(tmp, file) < 0) {
		berth_error(err, errno, "rename `%s`", file);
		goto out;
	}
	r = 0;
out:
	if (a)
		dlib_archive()->archive_write_free(a);
	if (r < 0 && tmp && fd >= 0)
		unlink(tmp);
	for (size_t k = 0; k < n; k++)
		image_free(imgs[k]);
	free(imgs);
	return r;
}

int image_save(struct engine *e, char **refs, size_t n, const char *file, const char *format,
               berth_error_t *err)
{
	int r = image_save_as(e, refs, n, file, format, true, err);

	for (size_t i = 0; r == 0 && i < n; i++)
		event_log(e, "image", "save", refs[i], "name", refs[i], NULL);
	return r;
}

/* One image: of a manifest list, the host platform's. */
int image_export(struct engine *e, const char *ref, const char *file, berth_error_t *err)
{
	char *refs[] = {(char *)ref};
	return image_save_as(e, refs, 1, file, "oci-archive", false, err);
}
