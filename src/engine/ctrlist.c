/* SPDX-License-Identifier: MIT */
/* What `berth ps` and `berth stats` show: ps's --filter keys (Docker's), the size of a
 * container's writable layer, the view its templates see (the record's keys and Docker's ps
 * fields); a stats sample (cgroup, network namespace) and Docker's CPU %; inspect of any
 * kind of object. */
#include "cgroup.h"
#include "engine.h"
#include "filter.h"
#include "image_priv.h"
#include "template.h"
#include "util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const ctrlist_keys[] = {"id",       "name",    "label",  "status", "exited",
                                           "ancestor", "network", "volume", "before", "since"};
static const char *const ctrlist_states[] = {"created", "restarting", "running", "removing",
                                             "paused",  "exited",     "dead"};

static const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Docker's State: created, running, paused, exited */
const char *ctr_state_word(const struct ctr_info *c)
{
	if (c->status == CTR_CREATED)
		return "created";
	if (c->status == CTR_EXITED)
		return "exited";
	return c->paused ? "paused" : "running";
}

/* The position of ref (a name or an id) in v, or -1 with one line naming the filter. */
static int ctrlist_index(struct engine *e, const struct ctr_info *v, size_t n, const char *spec,
                         const char *ref, berth_error_t *err)
{
	cleanup_free char *id = NULL;

	if (ctr_lookup(e, ref, &id, err) < 0)
		return berth_error_prefix(err, "--filter `%s`", spec);
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].id, id) == 0)
			return (int)i;
	return berth_error(err, 0, "--filter `%s`: no container \"%s\"", spec, ref);
}

static bool ctrlist_label(const struct ctr_info *c, const char *want)
{
	json_t *labels = json_object_get(c->raw, "labels");
	size_t kl = strcspn(want, "=");
	const char *key, *v;
	json_t *val;

	json_object_foreach(labels, key, val)
	{
		if (strlen(key) != kl || strncmp(key, want, kl) != 0)
			continue;
		v = json_string_value(val);
		return want[kl] == '\0' || (v && strcmp(v, want + kl + 1) == 0);
	}
	return false;
}

static bool ctrlist_network(const struct ctr_info *c, const char *want)
{
	json_t *net = json_object_get(c->raw, "network"), *v;
	size_t i;

	if (json_object_get(
	        json_object_get(json_object_get(c->raw, "network_settings"), "networks"), want))
		return true;
	if (strcmp(jstr(net, "network") ?: "", want) == 0 ||
	    strcmp(jstr(net, "mode") ?: "", want) == 0)
		return true;
	json_array_foreach(json_object_get(net, "more_networks"), i,
	                   v) if (strcmp(json_string_value(v) ?: "", want) == 0) return true;
	return false;
}

static bool ctrlist_volume(const struct ctr_info *c, const char *want)
{
	json_t *m;
	size_t i;

	json_array_foreach(json_object_get(c->raw, "mounts"), i,
	                   m) if (strcmp(jstr(m, "Name") ?: "", want) == 0 ||
	                          strcmp(jstr(m, "Destination") ?: "", want) == 0 ||
	                          strcmp(jstr(m, "Source") ?: "", want) == 0) return true;
	return false;
}

/* Whether the container was made from the image want names (by name or id). */
static bool ctrlist_ancestor(struct engine *e, const struct ctr_info *c, const char *want)
{
	const char *img = jstr(c->raw, "image") ?: "", *iid = jstr(c->raw, "image_id") ?: "";
	struct image *found = NULL;
	berth_error_t e2 = NULL;
	bool r = false;

	if (strcmp(img, want) == 0 ||
	    (strchr(want, ':') == NULL && strncmp(img, want, strlen(want)) == 0 &&
	     strcmp(img + strlen(want), ":latest") == 0))
		return true;
	if (image_present(e, want) && image_find(e, want, &found, &e2) == 0)
		r = strcmp(found->id, iid) == 0;
	berth_error_release(&e2);
	image_free(found);
	return r;
}

/* Whether c passes one filter (key, value); i its position in v (creation order). */
static bool ctrlist_one(struct engine *e, const struct ctr_info *c, const char *key,
                        const char *val, int idx)
{
	if (strcmp(key, "id") == 0)
		return strstr(c->id, val) != NULL;
	if (strcmp(key, "name") == 0)
		return c->name && strstr(c->name, val) != NULL;
	if (strcmp(key, "status") == 0)
		return strcmp(ctr_state_word(c), val) == 0;
	if (strcmp(key, "exited") == 0)
		return c->status == CTR_EXITED && c->has_exit_code && c->exit_code == atoi(val);
	if (strcmp(key, "ancestor") == 0)
		return ctrlist_ancestor(e, c, val);
	if (strcmp(key, "network") == 0)
		return ctrlist_network(c, val);
	if (strcmp(key, "volume") == 0)
		return ctrlist_volume(c, val);
	/* before and since: val was made its position */
	if (strcmp(key, "before") == 0)
		return idx < atoi(val);
	if (strcmp(key, "since") == 0)
		return idx > atoi(val);
	return false;
}

int filter_split(char **filters, size_t nf, const char *const *known, size_t nknown,
                 const char *expected, char ***keys, char ***vals, berth_error_t *err)
{
	*keys = xmalloc0((nf + 1) * sizeof(**keys));
	*vals = xmalloc0((nf + 1) * sizeof(**vals));
	for (size_t f = 0; f < nf; f++) {
		const char *s = filters[f], *eq = strchr(s, '=');
		bool ok = false;
		if (eq == NULL || eq == s)
			return berth_error(err, 0, "bad --filter `%s`: expected KEY=VALUE", s);
		(*keys)[f] = xasprintf("%.*s", (int)(eq - s), s);
		(*vals)[f] = xstrdup(eq + 1);
		for (size_t k = 0; k < nknown; k++)
			ok = ok || strcmp((*keys)[f], known[k]) == 0;
		if (!ok)
			return berth_error(err, 0,
			                   "bad --filter `%s`: unknown key `%s` (expected %s)", s,
			                   (*keys)[f], expected);
	}
	return 0;
}

void filter_free(char **keys, char **vals, size_t nf)
{
	for (size_t f = 0; f < nf; f++) {
		free(keys[f]);
		free(vals[f]);
	}
	free(keys);
	free(vals);
}

int ctr_ps_filter(struct engine *e, const struct ctr_info *v, size_t n, char **filters, size_t nf,
                  bool *keep, bool *all, berth_error_t *err)
{
	/* each filter split: key, value (before/since: the container's position) */
	char **keys, **vals;
	int r = -1;

	*all = false;
	if (filter_split(filters, nf, ctrlist_keys, ARRAY_SIZE(ctrlist_keys),
	                 "id, name, label, status, exited, ancestor, network, volume, before or "
	                 "since",
	                 &keys, &vals, err) < 0)
		goto out;
	for (size_t f = 0; f < nf; f++) {
		const char *s = filters[f];
		if (strcmp(keys[f], "status") == 0) {
			bool ok = false;
			for (size_t k = 0; k < ARRAY_SIZE(ctrlist_states); k++)
				ok = ok || strcmp(vals[f], ctrlist_states[k]) == 0;
			if (!ok) {
				berth_error(
				    err, 0,
				    "bad --filter `%s`: expected status=created, restarting, "
				    "running, removing, paused, exited or dead",
				    s);
				goto out;
			}
			/* as Docker: a status filter looks at every container */
			*all = true;
		} else if (strcmp(keys[f], "exited") == 0) {
			char *end;
			long code = strtol(vals[f], &end, 10);
			if (vals[f][0] == '\0' || *end != '\0' || code < 0 || code > 255) {
				berth_error(err, 0,
				            "bad --filter `%s`: expected exited=CODE (0 to 255)",
				            s);
				goto out;
			}
		} else if (strcmp(keys[f], "before") == 0 || strcmp(keys[f], "since") == 0) {
			int idx = ctrlist_index(e, v, n, s, vals[f], err);
			if (idx < 0)
				goto out;
			free(vals[f]);
			vals[f] = xasprintf("%d", idx);
		} else if (vals[f][0] == '\0') {
			berth_error(err, 0, "bad --filter `%s`: expected a value after `=`", s);
			goto out;
		}
	}
	/* as Docker: the values of one key OR, different keys AND; every label must match */
	for (size_t i = 0; i < n; i++) {
		keep[i] = true;
		for (size_t k = 0; k < ARRAY_SIZE(ctrlist_keys) && keep[i]; k++) {
			bool any = false, seen = false;
			for (size_t f = 0; f < nf; f++) {
				bool m;
				if (strcmp(keys[f], ctrlist_keys[k]) != 0)
					continue;
				if (strcmp(keys[f], "label") == 0) {
					keep[i] = keep[i] && ctrlist_label(&v[i], vals[f]);
					continue;
				}
				m = ctrlist_one(e, &v[i], keys[f], vals[f], (int)i);
				seen = true;
				any = any || m;
			}
			if (seen && !any)
				keep[i] = false;
		}
	}
	r = 0;
out:
	filter_free(keys, vals, nf);
	return r;
}

void ctr_size(struct engine *e, const struct ctr_info *c, uint64_t *rw, uint64_t *virt)
{
	json_t *l;
	size_t i;

	*rw = ctr_disk_size(e, c->id);
	*virt = *rw;
	json_array_foreach(json_object_get(c->raw, "layers"), i,
	                   l) if (json_string_value(l)) *virt +=
	    image_layer_size(e, json_string_value(l));
}

/* Docker's ps: the command quoted as Go's strconv.Quote, cut to 20 characters with "…" */
static char *ctrlist_command(const char *cmd, bool no_trunc)
{
	json_t *s = json_string(cmd ?: "");
	char *q = json_dumps(s, JSON_ENCODE_ANY);
	size_t len = strlen(q), chars = 0, cut = 0;

	json_decref(s);
	if (no_trunc)
		return q;
	/* count UTF-8 characters; cut after the 19th */
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)q[i] & 0xc0) != 0x80 && ++chars == 20)
			cut = i;
	if (chars > 20) {
		q[cut] = '\0';
		q = xrealloc(q, cut + sizeof("…"));
		strcat(q, "…");
	}
	return q;
}

/* "2026-12-06 04:59:25 +0000 UTC", as Go's time.Time.String() without the fraction */
static void ctrlist_created_at(const char *rfc, char *out, size_t size)
{
	struct tm tm = {0};

	if (rfc == NULL || strptime(rfc, "%Y-%m-%dT%H:%M:%S", &tm) == NULL) {
		snprintf(out, size, "%s", rfc ?: "");
		return;
	}
	strftime(out, size, "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
}

char *ctr_ps_json(const struct ctr_info *v, const struct ctr_ps_row *rows, size_t n, bool no_trunc)
{
	json_t *a = json_array();
	char *t;

	for (size_t i = 0; i < n; i++) {
		const struct ctr_info *c = &v[i];
		json_t *o = ctr_info_json(c), *m, *labels = json_object_get(c->raw, "labels"), *val;
		json_t *net = json_object_get(c->raw, "network"), *nv;
		char *cmd = ctrlist_command(c->command, no_trunc), created[64];
		char *lab = NULL, *mnt = NULL, *nets = NULL;
		size_t ll = 0, ml = 0, nl = 0, k;
		FILE *lf = open_memstream(&lab, &ll), *mf = open_memstream(&mnt, &ml),
		     *nf = open_memstream(&nets, &nl);
		const char *key;
		int vols = 0;

		if (lf == NULL || mf == NULL || nf == NULL)
			abort();
		k = 0;
		json_object_foreach(labels, key, val)
		    fprintf(lf, "%s%s=%s", k++ ? "," : "", key, json_string_value(val) ?: "");
		json_array_foreach(json_object_get(c->raw, "mounts"), k, m)
		{
			const char *nm = jstr(m, "Name") ?: jstr(m, "Source") ?: "";
			fprintf(mf, "%s%s", k ? "," : "", nm);
			vols += strcmp(jstr(m, "Type") ?: "", "volume") == 0;
		}
		if (strcmp(jstr(net, "mode") ?: "bridge", "bridge") == 0 || jstr(net, "network")) {
			fprintf(nf, "%s", jstr(net, "network") ?: "berth");
			json_array_foreach(json_object_get(net, "more_networks"), k, nv)
			    fprintf(nf, ",%s", json_string_value(nv) ?: "");
		} else {
			fprintf(nf, "%s", jstr(net, "mode") ?: "");
		}
		fclose(lf);
		fclose(mf);
		fclose(nf);
		ctrlist_created_at(c->created, created, sizeof(created));
		json_object_set_new(o, "ID",
		                    no_trunc ? json_string(c->id) : json_stringn(c->id, 12));
		json_object_set_new(o, "Names", json_string(c->name ?: ""));
		json_object_set_new(o, "Image", json_string(c->image ?: ""));
		json_object_set_new(o, "Command", json_string(cmd));
		json_object_set_new(o, "CreatedAt", json_string(created));
		json_object_set_new(o, "RunningFor", json_string(rows[i].running_for ?: ""));
		json_object_set_new(o, "Ports", json_string(c->ports ?: ""));
		json_object_set_new(o, "State", json_string(ctr_state_word(c)));
		json_object_set_new(o, "Status", json_string(rows[i].status ?: ""));
		json_object_set_new(o, "Size", json_string(rows[i].size ?: ""));
		json_object_set_new(o, "Labels", json_string(lab));
		json_object_set_new(o, "Mounts", json_string(mnt));
		json_object_set_new(o, "LocalVolumes", json_sprintf("%d", vols));
		json_object_set_new(o, "Networks", json_string(nets));
		json_array_append_new(a, o);
		free(cmd);
		free(lab);
		free(mnt);
		free(nets);
	}
	t = json_dumps(a, JSON_INDENT(2));
	json_decref(a);
	return t;
}

/* ---- stats ----------------------------------------------------------------------------- */

/* The host's CPU time in ns, as Docker's getSystemCPUUsage: the first seven fields of the
 * "cpu" line of /proc/stat (user … softirq), in clock ticks. */
static uint64_t ctrlist_system_ns(void)
{
	cleanup_file FILE *f = fopen("/proc/stat", "re");
	unsigned long long v[7] = {0}, sum = 0;
	long hz = sysconf(_SC_CLK_TCK);

	if (f == NULL || fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
	                        &v[3], &v[4], &v[5], &v[6]) != 7)
		return 0;
	for (size_t i = 0; i < 7; i++)
		sum += v[i];
	return hz > 0 ? (uint64_t)(sum * (1000000000ULL / (unsigned long long)hz)) : 0;
}

static uint64_t ctrlist_mem_total(void)
{
	cleanup_file FILE *f = fopen("/proc/meminfo", "re");
	char line[256];
	unsigned long long kb;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %llu kB", &kb) == 1)
			return (uint64_t)kb * 1024;
	return 0;
}

/* The bytes received and sent on every interface of pid's network namespace but lo. */
static void ctrlist_net(pid_t pid, uint64_t *rx, uint64_t *tx)
{
	char path[64], line[512];
	cleanup_file FILE *f = NULL;

	*rx = *tx = 0;
	snprintf(path, sizeof(path), "/proc/%d/net/dev", (int)pid);
	f = pid > 0 ? fopen(path, "re") : NULL;
	while (f && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':'), *name = line;
		unsigned long long v[9];
		if (colon == NULL)
			continue; /* the two header lines */
		*colon = '\0';
		name += strspn(name, " ");
		if (strcmp(name, "lo") == 0)
			continue;
		/* rx: bytes packets errs drop fifo frame compressed multicast; tx: bytes … */
		if (sscanf(colon + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
		           &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8]) != 9)
			continue;
		*rx += v[0];
		*tx += v[8];
	}
}

int ctr_stats(struct engine *e, const struct ctr_info *c, struct ctr_stats *out, berth_error_t *err)
{
	cleanup_free char *path = xasprintf("/berth/%s", c->id);
	json_t *net = json_object_get(c->raw, "network");
	struct cgroup_host h;
	struct cgroup *cg = NULL;
	struct cgroup_stats st = {0};
	uint64_t total = ctrlist_mem_total();
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int r = -1;

	(void)e;
	memset(out, 0, sizeof(*out));
	out->system_ns = ctrlist_system_ns();
	out->online_cpus = cpus > 0 ? (unsigned)cpus : 1;
	if (cgroup_host_detect(&h, NULL, err) == 0 && cgroup_open(&h, path, &cg, err) == 0 &&
	    cgroup_stats(cg, &st, err) == 0) {
		uint64_t inactive = 0;
		for (size_t i = 0; i < st.memory.n_raw; i++)
			if (strcmp(st.memory.raw[i].key, "total_inactive_file") == 0 ||
			    (inactive == 0 && strcmp(st.memory.raw[i].key, "inactive_file") == 0))
				inactive = strtoull(st.memory.raw[i].value, NULL, 10);
		out->cpu_ns = st.cpu.total;
		out->mem_usage = st.memory.usage.usage > inactive ? st.memory.usage.usage - inactive
		                                                  : st.memory.usage.usage;
		out->mem_limit = st.memory.usage.limit;
		if (total && (out->mem_limit == 0 || out->mem_limit > total))
			out->mem_limit = total;
		out->pids = st.pids.current;
		for (size_t i = 0; i < st.blkio.n_service_bytes; i++) {
			const struct cgroup_blkio_entry *b = &st.blkio.service_bytes[i];
			if (strcmp(b->op, "Read") == 0)
				out->blk_read += b->value;
			else if (strcmp(b->op, "Write") == 0)
				out->blk_write += b->value;
		}
		cgroup_stats_free(&st);
		r = 0;
	}
	cgroup_free(cg);
	/* with --network host, the host's counters are not the container's: none, as Docker */
	if (r == 0 && strcmp(jstr(net, "mode") ?: "", "host") != 0)
		ctrlist_net(c->pid, &out->net_rx, &out->net_tx);
	return r;
}

double ctr_stats_cpu_percent(const struct ctr_stats *prev, const struct ctr_stats *now)
{
	double cpu, sys;

	if (prev == NULL || now->cpu_ns < prev->cpu_ns || now->system_ns <= prev->system_ns)
		return 0;
	cpu = (double)(now->cpu_ns - prev->cpu_ns);
	sys = (double)(now->system_ns - prev->system_ns);
	return cpu / sys * (double)now->online_cpus * 100.0;
}

char *ctr_stats_json(const struct ctr_stats_row *rows, size_t n)
{
	json_t *a = json_array();
	char *t;

	for (size_t i = 0; i < n; i++) {
		const struct ctr_stats_row *r = &rows[i];
		json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "ID", r->id, "Name",
		                      r->name, "Container", r->container, "CPUPerc", r->cpu,
		                      "MemUsage", r->mem_usage, "MemPerc", r->mem_perc, "NetIO",
		                      r->net, "BlockIO", r->block, "PIDs", r->pids);
		json_t *raw = json_pack(
		    "{s:f,s:f,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "cpu_percent", r->cpu_percent,
		    "mem_percent", r->mem_percent, "mem_usage", (json_int_t)r->st.mem_usage,
		    "mem_limit", (json_int_t)r->st.mem_limit, "net_rx", (json_int_t)r->st.net_rx,
		    "net_tx", (json_int_t)r->st.net_tx, "block_read", (json_int_t)r->st.blk_read,
		    "block_write", (json_int_t)r->st.blk_write, "pids", (json_int_t)r->st.pids);
		if (o == NULL || raw == NULL)
			abort();
		json_object_update(o, raw);
		json_decref(raw);
		json_array_append_new(a, o);
	}
	t = json_dumps(a, JSON_INDENT(2));
	json_decref(a);
	return t;
}

/* ---- inspect ----------------------------------------------------------------------------- */

/* The first element of a JSON array's text (freed), or NULL. */
static json_t *ctrlist_first(char *text)
{
	json_t *a = text ? json_loads(text, 0, NULL) : NULL, *o = json_incref(json_array_get(a, 0));

	free(text);
	json_decref(a);
	return o;
}

/* NAME's document as type, or NULL when it names none (the error dropped) */
static json_t *ctrlist_doc(struct engine *e, const char *name, const char *type, bool size)
{
	berth_error_t e2 = NULL;
	json_t *doc = NULL;

	if (strcmp(type, "container") == 0) {
		struct ctr_info c;
		if (ctr_get(e, name, &c, &e2) == 0) {
			char *t = ctr_inspect_json(e, &c);
			doc = json_loads(t, 0, NULL);
			free(t);
			if (doc && size) {
				uint64_t rw, virt;
				ctr_size(e, &c, &rw, &virt);
				json_object_set_new(doc, "SizeRw", json_integer((json_int_t)rw));
				json_object_set_new(doc, "SizeRootFs",
				                    json_integer((json_int_t)virt));
			}
			ctr_info_free(&c);
		}
	} else if (strcmp(type, "image") == 0) {
		struct image *img = NULL;
		if (image_present(e, name) && image_find(e, name, &img, &e2) == 0) {
			char *t = image_inspect_json(e, img);
			doc = json_loads(t, 0, NULL);
			free(t);
		}
		image_free(img);
	} else if (strcmp(type, "network") == 0) {
		doc = ctrlist_first(network_inspect_json(e, name, &e2));
	} else if (strcmp(type, "volume") == 0) {
		char *names[] = {(char *)name};
		doc = ctrlist_first(volume_inspect_json(e, names, 1, &e2));
	}
	berth_error_release(&e2);
	return doc;
}

int engine_inspect(struct engine *e, const char *name, const char *type, bool size,
                   const char *tmpl, char **out, berth_error_t *err)
{
	/* Docker's order when no --type says which */
	static const char *const order[] = {"container", "image", "network", "volume"};
	json_t *doc = NULL;
	int r = 0;

	*out = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(order) && doc == NULL; i++)
		if (type == NULL || strcmp(type, order[i]) == 0)
			doc = ctrlist_doc(e, name, order[i], size);
	if (doc == NULL)
		return 1;
	if (tmpl)
		r = template_render("--format", tmpl, doc, out, err);
	else
		*out = json_dumps(doc, JSON_INDENT(2));
	json_decref(doc);
	return r;
}
