/* SPDX-License-Identifier: MIT */
/* What Docker's housekeeping commands need: container prune, image prune, image history,
 * system df and info. */
#include "image_priv.h"
#include "cgroup.h"
#include "log.h"
#include "util.h"

#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

int ctr_prune(struct engine *e, char ***ids, size_t *n, uint64_t *space, berth_error_t *err)
{
	struct ctr_info *v;
	size_t nv;
	int r = 0;

	*ids = NULL;
	*n = 0;
	*space = 0;
	if (ctr_get_all(e, &v, &nv, err) < 0)
		return -1;
	*ids = xmalloc0((nv + 1) * sizeof(**ids));
	for (size_t i = 0; i < nv && r == 0; i++) {
		cleanup_free char *upper = NULL;
		uint64_t sz;
		if (v[i].status != CTR_CREATED && v[i].status != CTR_EXITED)
			continue;
		upper = ctr_upper_dir(e, v[i].id);
		sz = image_tree_size(upper);
		if (ctr_remove(e, v[i].id, false, err) < 0) {
			r = -1;
			break;
		}
		(*ids)[(*n)++] = xstrdup(v[i].id);
		*space += sz;
	}
	ctr_infos_free(v, nv);
	return r;
}

/* Every image of the index as {name, id, layers}: what prune and df look at. */
static json_t *system_images(struct engine *e, berth_error_t *err)
{
	json_t *index = image_index_load(e, err);
	json_t *out, *d;
	size_t i;

	if (index == NULL)
		return NULL;
	out = json_array();
	json_array_foreach(json_object_get(index, "manifests"), i, d)
	{
		berth_error_t e2 = NULL;
		struct image *img = image_load_entry(e, d, &e2);
		json_t *layers;
		if (img == NULL) {
			berth_error_release(&e2);
			continue;
		}
		layers = json_array();
		for (size_t k = 0; k < img->n_layers; k++)
			if (img->layers[k][0])
				json_array_append_new(layers, json_string(img->layers[k]));
		json_array_append_new(out, json_pack("{s:s?,s:s,s:o}", "name", img->name, "id",
		                                     img->id, "layers", layers));
		image_free(img);
	}
	json_decref(index);
	return out;
}

/* The unpacked layers the store has, by diff id, and their sizes. */
static json_t *system_layer_sizes(struct engine *e, json_t *images)
{
	json_t *sizes = json_object(), *img, *l;
	size_t i, k;

	json_array_foreach(images, i, img) json_array_foreach(json_object_get(img, "layers"), k, l)
	{
		const char *hex = json_string_value(l);
		if (hex && !json_object_get(sizes, hex))
			json_object_set_new(sizes, hex,
			                    json_integer((json_int_t)image_layer_size(e, hex)));
	}
	return sizes;
}

int image_prune(struct engine *e, bool all, char **report, uint64_t *space, berth_error_t *err)
{
	json_t *images = system_images(e, err), *sizes, *img, *v;
	cleanup_free char *text = NULL;
	const char *hex;
	size_t i;
	int r = 0;

	*report = NULL;
	*space = 0;
	if (images == NULL)
		return -1;
	sizes = system_layer_sizes(e, images);
	text = xstrdup("");
	json_array_foreach(images, i, img)
	{
		const char *name = json_string_value(json_object_get(img, "name"));
		const char *id = json_string_value(json_object_get(img, "id"));
		char *one = NULL, *t;
		if ((name && !all) || image_in_use(e, id))
			continue;
		if (image_remove(e, name ? name : id, false, &one, err) < 0) {
			r = -1;
			break;
		}
		t = xasprintf("%s%s", text, one ? one : "");
		free(text);
		text = t;
		free(one);
	}
	/* the bytes are the layers that went */
	json_object_foreach(sizes, hex, v)
	{
		cleanup_free char *dir = image_layer_dir(e, hex);
		if (access(dir, F_OK) < 0)
			*space += (uint64_t)json_integer_value(v);
	}
	json_decref(sizes);
	json_decref(images);
	*report = text;
	text = NULL;
	return r;
}

int image_history(struct engine *e, const char *ref, struct image_history_row **out, size_t *n,
                  berth_error_t *err)
{
	struct image *img;
	json_t *hist, *h;
	size_t i, layer = 0, count;

	*out = NULL;
	*n = 0;
	if (image_find(e, ref, &img, err) < 0)
		return -1;
	hist = json_object_get(img->config, "history");
	count = json_array_size(hist) ? json_array_size(hist) : img->n_layers;
	*out = xmalloc0((count + 1) * sizeof(**out));
	if (json_array_size(hist) == 0) {
		/* no history: a row for each layer, newest first */
		const char *created = json_string_value(json_object_get(img->config, "created"));
		for (size_t k = img->n_layers; k-- > 0;) {
			struct image_history_row *row = &(*out)[(*n)++];
			row->created = xstrdup(created ? created : "");
			row->created_by = xstrdup("");
			row->comment = xstrdup("");
			row->size = img->layers[k][0] ? image_layer_size(e, img->layers[k]) : 0;
		}
	} else {
		json_array_foreach(hist, i, h)
		{
			struct image_history_row *row = &(*out)[count - 1 - i];
			const char *s;
			s = json_string_value(json_object_get(h, "created"));
			row->created = xstrdup(s ? s : "");
			s = json_string_value(json_object_get(h, "created_by"));
			row->created_by = xstrdup(s ? s : "");
			s = json_string_value(json_object_get(h, "comment"));
			row->comment = xstrdup(s ? s : "");
			if (json_is_true(json_object_get(h, "empty_layer")))
				continue;
			/* the history's non-empty entries are the layers, bottom first */
			if (layer < img->n_layers && img->layers[layer][0])
				row->size = image_layer_size(e, img->layers[layer]);
			layer++;
		}
		*n = count;
	}
	if (*n)
		(*out)[0].id = xstrdup(img->id);
	image_free(img);
	return 0;
}

void image_history_free(struct image_history_row *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].id);
		free(v[i].created);
		free(v[i].created_by);
		free(v[i].comment);
	}
	free(v);
}

char *image_history_json(const struct image_history_row *v, size_t n)
{
	json_t *a = json_array();
	char *t;

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a,
		                      json_pack("{s:s?,s:s,s:s,s:I,s:s}", "id", v[i].id, "created",
		                                v[i].created, "created_by", v[i].created_by, "size",
		                                (json_int_t)v[i].size, "comment", v[i].comment));
	t = json_dumps(a, JSON_INDENT(2));
	json_decref(a);
	return t;
}

int system_df(struct engine *e, struct system_df *out, berth_error_t *err)
{
	json_t *images, *sizes, *active = json_object(), *img, *l, *v;
	struct ctr_info *c;
	size_t nc, i, k;
	const char *hex;

	memset(out, 0, sizeof(*out));
	images = system_images(e, err);
	if (images == NULL || ctr_get_all(e, &c, &nc, err) < 0) {
		json_decref(images);
		json_decref(active);
		return -1;
	}
	sizes = system_layer_sizes(e, images);
	json_array_foreach(images, i, img)
	{
		out->images++;
		if (!image_in_use(e, json_string_value(json_object_get(img, "id"))))
			continue;
		out->images_active++;
		json_array_foreach(json_object_get(img, "layers"), k, l)
		    json_object_set_new(active, json_string_value(l), json_true());
	}
	/* a layer shared by several images counts once; reclaimable: what no used image has */
	json_object_foreach(sizes, hex, v)
	{
		out->images_size += (uint64_t)json_integer_value(v);
		if (!json_object_get(active, hex))
			out->images_reclaimable += (uint64_t)json_integer_value(v);
	}
	for (i = 0; i < nc; i++) {
		cleanup_free char *upper = ctr_upper_dir(e, c[i].id);
		uint64_t sz = image_tree_size(upper);
		out->ctrs++;
		out->ctrs_size += sz;
		if (ctr_status_running(c[i].status))
			out->ctrs_active++;
		else
			out->ctrs_reclaimable += sz;
	}
	ctr_infos_free(c, nc);
	json_decref(sizes);
	json_decref(active);
	json_decref(images);
	return 0;
}

uint64_t ctr_disk_size(struct engine *e, const char *id)
{
	cleanup_free char *upper = ctr_upper_dir(e, id);

	return image_tree_size(upper);
}

int system_df_images(struct engine *e, struct system_df_image **out, size_t *n, berth_error_t *err)
{
	json_t *images = system_images(e, err), *sizes, *users = json_object(), *img, *l;
	struct ctr_info *c;
	size_t nc, i, k;

	*out = NULL;
	*n = 0;
	if (images == NULL || ctr_get_all(e, &c, &nc, err) < 0) {
		json_decref(images);
		json_decref(users);
		return -1;
	}
	for (i = 0; i < nc; i++) {
		const char *id = json_string_value(json_object_get(c[i].raw, "image_id"));
		if (id)
			json_object_set_new(
			    users, id,
			    json_integer(json_integer_value(json_object_get(users, id)) + 1));
	}
	ctr_infos_free(c, nc);
	sizes = system_layer_sizes(e, images);
	*out = xmalloc0((json_array_size(images) + 1) * sizeof(**out));
	json_array_foreach(images, i, img)
	{
		struct system_df_image *d = &(*out)[(*n)++];
		const char *name = json_string_value(json_object_get(img, "name"));
		const char *id = json_string_value(json_object_get(img, "id"));
		json_t *created = NULL;
		struct image *full = NULL;
		berth_error_t e2 = NULL;
		d->name = name ? xstrdup(name) : NULL;
		d->id = xstrdup(id);
		d->containers = (size_t)json_integer_value(json_object_get(users, id));
		json_array_foreach(json_object_get(img, "layers"), k, l)
		{
			const char *hex = json_string_value(l);
			uint64_t sz = (uint64_t)json_integer_value(json_object_get(sizes, hex));
			bool shared = false;
			json_t *other, *ol;
			size_t j, m;
			d->size += sz;
			json_array_foreach(
			    images, j,
			    other) if (j != i &&
			               strcmp(json_string_value(json_object_get(other, "id")),
			                      id) != 0)
			    json_array_foreach(json_object_get(other, "layers"), m,
			                       ol) if (strcmp(json_string_value(ol), hex) == 0)
			        shared = true;
			if (shared)
				d->shared += sz;
		}
		if (image_find(e, id, &full, &e2) == 0)
			created = json_object_get(full->config, "created");
		berth_error_release(&e2);
		d->created = xstrdup(json_string_value(created) ? json_string_value(created) : "");
		image_free(full);
	}
	json_decref(sizes);
	json_decref(users);
	json_decref(images);
	return 0;
}

void system_df_images_free(struct system_df_image *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].id);
		free(v[i].created);
	}
	free(v);
}

/* PRETTY_NAME of os-release, or "Linux". */
static void system_os(char *out, size_t size)
{
	FILE *f = fopen("/etc/os-release", "re");
	char line[512];

	snprintf(out, size, "Linux");
	while (f && fgets(line, sizeof(line), f)) {
		char *v = line + strlen("PRETTY_NAME=");
		size_t len;
		if (strncmp(line, "PRETTY_NAME=", strlen("PRETTY_NAME=")) != 0)
			continue;
		len = strcspn(v, "\n");
		if (len >= 2 && v[0] == '"' && v[len - 1] == '"') {
			v++;
			len -= 2;
		}
		snprintf(out, size, "%.*s", (int)len, v);
		break;
	}
	if (f)
		fclose(f);
}

int system_info(struct engine *e, struct system_info *out, berth_error_t *err)
{
	struct image_summary *im;
	struct ctr_info *c;
	struct cgroup_host h;
	struct utsname u;
	berth_error_t e2 = NULL;
	size_t nc, ni;
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);

	memset(out, 0, sizeof(*out));
	if (ctr_get_all(e, &c, &nc, err) < 0)
		return -1;
	for (size_t i = 0; i < nc; i++) {
		if (c[i].status == CTR_CREATED || c[i].status == CTR_EXITED)
			out->stopped++;
		else if (c[i].paused)
			out->paused++;
		else
			out->running++;
	}
	out->containers = nc;
	ctr_infos_free(c, nc);
	if (image_summaries(e, &im, &ni, err) < 0)
		return -1;
	image_summaries_free(im, ni);
	out->images = ni;
	if (cgroup_host_detect(&h, NULL, &e2) == 0)
		snprintf(out->cgroup_layout, sizeof(out->cgroup_layout), "%s",
		         cgroup_mode_name(h.mode));
	else
		snprintf(out->cgroup_layout, sizeof(out->cgroup_layout), "none");
	berth_error_release(&e2);
	out->cgroup_version = strcmp(out->cgroup_layout, "v2") == 0 ? 2 : 1;
	if (uname(&u) == 0) {
		strncpy(out->kernel, u.release, sizeof(out->kernel) - 1);
		strncpy(out->arch, u.machine, sizeof(out->arch) - 1);
	}
	system_os(out->os, sizeof(out->os));
	out->cpus = sysconf(_SC_NPROCESSORS_ONLN);
	out->memory = pages > 0 && psize > 0 ? (uint64_t)pages * (uint64_t)psize : 0;
	strncpy(out->root, e->root, sizeof(out->root) - 1);
	return 0;
}

char *system_info_json(const struct system_info *i)
{
	json_t *o = json_pack(
	    "{s:I,s:I,s:I,s:I,s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:s,s:s,s:s,s:s}",
	    "Containers", (json_int_t)i->containers, "ContainersRunning", (json_int_t)i->running,
	    "ContainersPaused", (json_int_t)i->paused, "ContainersStopped", (json_int_t)i->stopped,
	    "Images", (json_int_t)i->images, "Driver", "overlay", "CgroupDriver", "cgroupfs",
	    "CgroupVersion", i->cgroup_version == 2 ? "2" : "1", "CgroupLayout", i->cgroup_layout,
	    "KernelVersion", i->kernel, "OperatingSystem", i->os, "OSType", "linux", "Architecture",
	    i->arch, "NCPU", (json_int_t)i->cpus, "MemTotal", (json_int_t)i->memory, "RootDir",
	    i->root, "DefaultRuntime", "berth-runtime", "DefaultNetwork", "berth", "ServerVersion",
	    BERTH_VERSION);
	char *t = json_dumps(o, JSON_INDENT(2));

	json_decref(o);
	return t;
}
