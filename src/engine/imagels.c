/* SPDX-License-Identifier: MIT */
/* What `berth images` shows beyond the store's list (image.c): Docker's --filter keys and the
 * view its --format templates see (berth's own keys and Docker's images fields). */
#include "engine.h"
#include "filter.h"
#include "util.h"

#include <ctype.h>
#include <stddef.h>
#include <fnmatch.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* An image's created time (RFC 3339, to the nanosecond); false when it is not one. */
static bool imagels_time(const char *s, struct timespec *t)
{
	bool zoned;

	return s != NULL && util_parse_rfc3339(s, strlen(s), t, &zoned) == 0;
}

static int imagels_cmp(const struct timespec *a, const struct timespec *b)
{
	if (a->tv_sec != b->tv_sec)
		return a->tv_sec < b->tv_sec ? -1 : 1;
	return a->tv_nsec < b->tv_nsec ? -1 : a->tv_nsec > b->tv_nsec;
}

/* Docker's reference filter (reference.FamiliarMatch): path.Match of the pattern against
 * NAME:TAG, or else against NAME; an untagged image matches none. */
static bool imagels_reference(const char *name, const char *pattern)
{
	const char *slash, *colon;
	cleanup_free char *repo = NULL;

	if (name == NULL)
		return false;
	if (fnmatch(pattern, name, FNM_PATHNAME) == 0)
		return true;
	slash = strrchr(name, '/');
	colon = strrchr(name, ':');
	if (colon == NULL || (slash && colon < slash))
		return false;
	repo = xasprintf("%.*s", (int)(colon - name), name);
	return fnmatch(pattern, repo, FNM_PATHNAME) == 0;
}

/* every label=KEY[=VALUE] of the filters found in labels */
static bool imagels_labels(json_t *labels, char **keys, char **vals, size_t nf)
{
	for (size_t f = 0; f < nf; f++) {
		const char *eq;
		cleanup_free char *k = NULL;
		json_t *v;
		if (strcmp(keys[f], "label") != 0)
			continue;
		eq = strchr(vals[f], '=');
		k = xasprintf("%.*s", (int)(eq ? eq - vals[f] : (ptrdiff_t)strlen(vals[f])),
		              vals[f]);
		v = json_object_get(labels, k);
		if (v == NULL || (eq && strcmp(json_string_value(v) ?: "", eq + 1) != 0))
			return false;
	}
	return true;
}

/* The created time of the image ref names (before=, since=), with one line naming the filter. */
static int imagels_created_of(struct engine *e, const char *spec, const char *ref,
                              struct timespec *t, berth_error_t *err)
{
	struct image *img = NULL;
	const char *c;

	if (image_find(e, ref, &img, err) < 0)
		return berth_error_prefix(err, "bad --filter `%s`", spec);
	c = json_string_value(json_object_get(img->config, "created"));
	if (!imagels_time(c, t)) {
		image_free(img);
		return berth_error(err, 0, "bad --filter `%s`: image \"%s\" has no creation time",
		                   spec, ref);
	}
	image_free(img);
	return 0;
}

int image_filter(struct engine *e, const struct image_summary *v, size_t n, char **filters,
                 size_t nf, bool *keep, berth_error_t *err)
{
	static const char *const known[] = {"dangling", "label", "before", "since", "reference"};
	char **keys, **vals;
	struct timespec before = {0}, since = {0};
	bool has_before = false, has_since = false, labels = false, refs = false;
	int dangling = -1, r = -1;

	if (filter_split(filters, nf, known, sizeof(known) / sizeof(known[0]),
	                 "dangling, label, before, since or reference", &keys, &vals, err) < 0)
		goto out;
	for (size_t f = 0; f < nf; f++) {
		const char *s = filters[f];
		struct timespec t;
		if (vals[f][0] == '\0' || (strcmp(keys[f], "label") == 0 && vals[f][0] == '=')) {
			berth_error(err, 0, "bad --filter `%s`: expected a value after `=`", s);
			goto out;
		}
		if (strcmp(keys[f], "dangling") == 0) {
			int d = strcmp(vals[f], "true") == 0    ? 1
			        : strcmp(vals[f], "false") == 0 ? 0
			                                        : -1;
			if (d < 0 || (dangling >= 0 && d != dangling)) {
				berth_error(err, 0,
				            d < 0 ? "bad --filter `%s`: expected dangling=true or "
				                    "dangling=false"
				                  : "bad --filter `%s`: dangling=true and "
				                    "dangling=false together",
				            s);
				goto out;
			}
			dangling = d;
		} else if (strcmp(keys[f], "before") == 0) {
			if (imagels_created_of(e, s, vals[f], &t, err) < 0)
				goto out;
			/* several: the oldest, as Docker (the values AND) */
			if (!has_before || imagels_cmp(&t, &before) < 0)
				before = t;
			has_before = true;
		} else if (strcmp(keys[f], "since") == 0) {
			if (imagels_created_of(e, s, vals[f], &t, err) < 0)
				goto out;
			if (!has_since || imagels_cmp(&t, &since) > 0)
				since = t;
			has_since = true;
		} else if (strcmp(keys[f], "label") == 0) {
			labels = true;
		} else {
			refs = true;
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct timespec t;
		bool ok = imagels_time(v[i].created, &t), any = false;
		keep[i] = true;
		if (dangling >= 0 && (v[i].name == NULL) != (dangling == 1))
			keep[i] = false;
		if (has_before && (!ok || imagels_cmp(&t, &before) >= 0))
			keep[i] = false;
		if (has_since && (!ok || imagels_cmp(&t, &since) <= 0))
			keep[i] = false;
		/* the reference patterns OR */
		for (size_t f = 0; f < nf && refs && keep[i] && !any; f++)
			any = strcmp(keys[f], "reference") == 0 &&
			      imagels_reference(v[i].name, vals[f]);
		if (refs && !any)
			keep[i] = false;
		/* every label must match: the image's config has them */
		if (labels && keep[i]) {
			struct image *img = NULL;
			berth_error_t e2 = NULL;
			if (image_find(e, v[i].id, &img, &e2) < 0) {
				berth_error_release(&e2);
				keep[i] = false;
				continue;
			}
			keep[i] = imagels_labels(
			    json_object_get(json_object_get(img->config, "config"), "Labels"), keys,
			    vals, nf);
			image_free(img);
		}
	}
	r = 0;
out:
	filter_free(keys, vals, nf);
	return r;
}

char *image_summaries_json(const struct image_summary *v, const bool *keep,
                           const struct image_ls_row *rows, size_t n, bool no_trunc)
{
	json_t *a = json_array();
	char *t;

	for (size_t i = 0; i < n; i++) {
		const struct image_summary *s = &v[i];
		json_t *o;
		if (keep && !keep[i])
			continue;
		o = json_pack("{s:s?,s:s,s:s,s:I,s:s?}", "name", s->name, "id", s->id, "digest",
		              s->digest, "size", (json_int_t)s->size, "created",
		              s->created[0] ? s->created : NULL);
		if (rows) {
			/* Docker's fields: NAME split at the tag's colon */
			const char *slash = s->name ? strrchr(s->name, '/') : NULL;
			const char *colon = s->name ? strrchr(s->name, ':') : NULL;
			if (colon && slash && colon < slash)
				colon = NULL;
			json_object_set_new(o, "Repository",
			                    s->name == NULL ? json_string("<none>")
			                    : colon
			                        ? json_stringn(s->name, (size_t)(colon - s->name))
			                        : json_string(s->name));
			json_object_set_new(o, "Tag",
			                    json_string(colon     ? colon + 1
			                                : s->name ? "latest"
			                                          : "<none>"));
			json_object_set_new(o, "ID",
			                    no_trunc ? json_sprintf("sha256:%s", s->id)
			                             : json_stringn(s->id, strnlen(s->id, 12)));
			json_object_set_new(o, "Digest",
			                    json_string(s->digest[0] ? s->digest : "<none>"));
			json_object_set_new(o, "CreatedSince",
			                    json_string(rows[i].created_since ?: ""));
			json_object_set_new(o, "CreatedAt", json_string(rows[i].created_at ?: ""));
			json_object_set_new(o, "Size", json_string(rows[i].size ?: ""));
			json_object_set_new(o, "VirtualSize", json_string(rows[i].size ?: ""));
			json_object_set_new(o, "SharedSize", json_string("N/A"));
			json_object_set_new(o, "UniqueSize", json_string("N/A"));
			json_object_set_new(o, "Containers", json_string("N/A"));
		}
		json_array_append_new(a, o);
	}
	t = json_dumps(a, JSON_INDENT(2));
	json_decref(a);
	return t;
}
