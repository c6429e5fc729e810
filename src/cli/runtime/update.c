/* SPDX-License-Identifier: MIT */
/* berth-runtime update [-r resources.json] [flags] ID: change the limits of a live container.
 * The flags are runc's; they override what the file says. */
#include "runtime.h"
#include "config.h"
#include "manage.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	UPD_RESOURCES = 'r',
	UPD_MEMORY = 256,
	UPD_MEMORY_SWAP,
	UPD_MEMORY_RESERVATION,
	UPD_KERNEL_MEMORY,
	UPD_KERNEL_MEMORY_TCP,
	UPD_CPU_QUOTA,
	UPD_CPU_PERIOD,
	UPD_CPU_BURST,
	UPD_CPU_SHARES,
	UPD_CPU_RT_PERIOD,
	UPD_CPU_RT_RUNTIME,
	UPD_CPU_IDLE,
	UPD_CPUSET_CPUS,
	UPD_CPUSET_MEMS,
	UPD_PIDS_LIMIT,
	UPD_BLKIO_WEIGHT,
	UPD_L3_CACHE_SCHEMA,
	UPD_MEM_BW_SCHEMA,
};

static const struct option update_opts[] = {
    {"resources", required_argument, NULL, UPD_RESOURCES},
    {"memory", required_argument, NULL, UPD_MEMORY},
    {"memory-swap", required_argument, NULL, UPD_MEMORY_SWAP},
    {"memory-reservation", required_argument, NULL, UPD_MEMORY_RESERVATION},
    {"kernel-memory", required_argument, NULL, UPD_KERNEL_MEMORY},
    {"kernel-memory-tcp", required_argument, NULL, UPD_KERNEL_MEMORY_TCP},
    {"cpu-quota", required_argument, NULL, UPD_CPU_QUOTA},
    {"cpu-period", required_argument, NULL, UPD_CPU_PERIOD},
    {"cpu-burst", required_argument, NULL, UPD_CPU_BURST},
    {"cpu-share", required_argument, NULL, UPD_CPU_SHARES}, /* runc's spelling */
    {"cpu-shares", required_argument, NULL, UPD_CPU_SHARES},
    {"cpu-rt-period", required_argument, NULL, UPD_CPU_RT_PERIOD},
    {"cpu-rt-runtime", required_argument, NULL, UPD_CPU_RT_RUNTIME},
    {"cpu-idle", required_argument, NULL, UPD_CPU_IDLE},
    {"cpuset-cpus", required_argument, NULL, UPD_CPUSET_CPUS},
    {"cpuset-mems", required_argument, NULL, UPD_CPUSET_MEMS},
    {"pids-limit", required_argument, NULL, UPD_PIDS_LIMIT},
    {"blkio-weight", required_argument, NULL, UPD_BLKIO_WEIGHT},
    {"l3-cache-schema", required_argument, NULL, UPD_L3_CACHE_SCHEMA},
    {"mem-bw-schema", required_argument, NULL, UPD_MEM_BW_SCHEMA},
    {0},
};

struct update_ctx {
	const char *file;
	json_t *flags; /* a linux.resources object built from the flags */
};

static const char *update_opt_name(int opt)
{
	for (const struct option *o = update_opts; o->name; o++)
		if (o->val == opt)
			return o->name;
	return "?";
}

/* runc's sizes (go-units RAMInBytes): "-1", bytes, or a number with a binary k/m/g/t/p
 * suffix, optionally followed by "i" and/or "b" ("512M", "1.5g", "64MiB", "100 kb"). */
static int update_parse_size(int opt, const char *arg, int64_t *out, berth_error_t *err)
{
	const char *s = arg;
	char *end;
	double v, mul = 1;

	if (strcmp(arg, "-1") == 0) {
		*out = -1;
		return 0;
	}
	if (!isdigit((unsigned char)*s))
		goto bad;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s)
		goto bad;
	s = end;
	if (*s == ' ')
		s++;
	if (*s && strchr("kKmMgGtTpP", *s)) {
		static const char units[] = "kmgtp";
		for (const char *u = units; *u; u++) {
			mul *= 1024;
			if (tolower((unsigned char)*s) == *u)
				break;
		}
		s++;
	}
	if (*s == 'i' || *s == 'I')
		s++;
	if (*s == 'b' || *s == 'B')
		s++;
	if (*s != '\0' || v * mul >= 9.2e18)
		goto bad;
	*out = (int64_t)(v * mul);
	return 0;
bad:
	return berth_error(err, 0,
	                   "update: --%s: expected a size like 512M or a number of bytes, got `%s`",
	                   update_opt_name(opt), arg);
}

static int update_parse_int(int opt, const char *arg, int64_t min, int64_t max, int64_t *out,
                            berth_error_t *err)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || v < min || v > max)
		return berth_error(err, 0,
		                   "update: --%s: expected an integer from %lld to %lld, got `%s`",
		                   update_opt_name(opt), (long long)min, (long long)max, arg);
	*out = v;
	return 0;
}

static int update_parse_uint(int opt, const char *arg, uint64_t *out, berth_error_t *err)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || !isdigit((unsigned char)arg[0]) ||
	    v > INT64_MAX)
		return berth_error(err, 0,
		                   "update: --%s: expected a non-negative integer, got `%s`",
		                   update_opt_name(opt), arg);
	*out = v;
	return 0;
}

/* flags[group][key] = v */
static void update_set(struct update_ctx *c, const char *group, const char *key, json_t *v)
{
	json_t *g = json_object_get(c->flags, group);

	if (g == NULL) {
		g = json_object();
		json_object_set_new(c->flags, group, g);
	}
	json_object_set_new(g, key, v);
}

static int update_opt(int opt, const char *arg, void *ctx, berth_error_t *err)
{
	static const struct {
		int opt;
		const char *group, *key;
	} keys[] = {
	    {UPD_MEMORY, "memory", "limit"},
	    {UPD_MEMORY_SWAP, "memory", "swap"},
	    {UPD_MEMORY_RESERVATION, "memory", "reservation"},
	    {UPD_KERNEL_MEMORY, "memory", "kernel"},
	    {UPD_KERNEL_MEMORY_TCP, "memory", "kernelTCP"},
	    {UPD_CPU_QUOTA, "cpu", "quota"},
	    {UPD_CPU_PERIOD, "cpu", "period"},
	    {UPD_CPU_BURST, "cpu", "burst"},
	    {UPD_CPU_SHARES, "cpu", "shares"},
	    {UPD_CPU_RT_PERIOD, "cpu", "realtimePeriod"},
	    {UPD_CPU_RT_RUNTIME, "cpu", "realtimeRuntime"},
	    {UPD_CPU_IDLE, "cpu", "idle"},
	    {UPD_CPUSET_CPUS, "cpu", "cpus"},
	    {UPD_CPUSET_MEMS, "cpu", "mems"},
	    {UPD_PIDS_LIMIT, "pids", "limit"},
	    {UPD_BLKIO_WEIGHT, "blockIO", "weight"},
	};
	struct update_ctx *c = ctx;
	const char *group = NULL, *key = NULL;
	int64_t i = 0;
	uint64_t u = 0;

	if (opt == UPD_RESOURCES) {
		c->file = arg;
		return 0;
	}
	if (opt == UPD_L3_CACHE_SCHEMA || opt == UPD_MEM_BW_SCHEMA)
		return berth_error(err, 0,
		                   "update: --%s: Intel RDT is not supported by berth-runtime",
		                   update_opt_name(opt));
	for (size_t k = 0; k < ARRAY_SIZE(keys); k++)
		if (keys[k].opt == opt) {
			group = keys[k].group;
			key = keys[k].key;
		}
	if (group == NULL)
		return berth_error(err, 0, "update: internal: option %d", opt);
	switch (opt) {
	case UPD_MEMORY:
	case UPD_MEMORY_SWAP:
	case UPD_MEMORY_RESERVATION:
	case UPD_KERNEL_MEMORY:
	case UPD_KERNEL_MEMORY_TCP:
		if (update_parse_size(opt, arg, &i, err) < 0)
			return -1;
		update_set(c, group, key, json_integer(i));
		return 0;
	case UPD_CPU_QUOTA:
	case UPD_CPU_RT_RUNTIME:
	case UPD_CPU_IDLE:
	case UPD_PIDS_LIMIT:
		if (update_parse_int(opt, arg,
		                     opt == UPD_PIDS_LIMIT || opt == UPD_CPU_IDLE ? INT64_MIN : -1,
		                     INT64_MAX, &i, err) < 0)
			return -1;
		update_set(c, group, key, json_integer(i));
		return 0;
	case UPD_BLKIO_WEIGHT:
		if (update_parse_int(opt, arg, 0, 65535, &i, err) < 0)
			return -1;
		if (i != 0) /* runc: 0 leaves it alone */
			update_set(c, group, key, json_integer(i));
		return 0;
	case UPD_CPUSET_CPUS:
	case UPD_CPUSET_MEMS:
		if (*arg)
			update_set(c, group, key, json_string(arg));
		return 0;
	default:
		if (update_parse_uint(opt, arg, &u, err) < 0)
			return -1;
		update_set(c, group, key, json_integer((json_int_t)u));
		return 0;
	}
}

/* The -r file as a JSON object, validated with the config parser (errors with line and
 * column in the file). */
static json_t *update_read_file(const char *file, berth_error_t *err)
{
	cleanup_free char *text = NULL;
	struct config_resources r;
	json_error_t jerr;
	size_t len = 0;
	json_t *o;

	if (strcmp(file, "-") == 0) {
		if (util_read_fd(STDIN_FILENO, "standard input", &text, &len, err) < 0)
			return NULL;
	} else if (util_read_file(file, &text, &len, err) < 0) {
		berth_error_prefix(err, "update: --resources");
		return NULL;
	}
	if (config_parse_resources(text, len, strcmp(file, "-") == 0 ? "<stdin>" : file, &r, err) <
	    0) {
		berth_error_prefix(err, "update");
		return NULL;
	}
	config_resources_free(&r);
	o = json_loadb(text, len, 0, &jerr);
	if (o == NULL)
		berth_error(err, 0, "update: %s: %s (line %d, column %d)", file, jerr.text,
		            jerr.line, jerr.column);
	return o;
}

/* Objects of src merged into dst, member by member (src wins). */
static void update_merge(json_t *dst, json_t *src)
{
	const char *k;
	json_t *v;

	json_object_foreach(src, k, v)
	{
		json_t *d = json_object_get(dst, k);
		if (json_is_object(v) && json_is_object(d))
			update_merge(d, v);
		else
			json_object_set(dst, k, v);
	}
}

int cmd_update(int argc, char **argv, berth_error_t *err)
{
	struct update_ctx c = {.flags = json_object()};
	json_t *patch = NULL;
	int first, r = -1;

	first = runtime_getopt(argc, argv, "r:", update_opts, update_opt, &c, err);
	if (first < 0)
		goto out;
	if (runtime_want_args(argc, argv, first, 1, 1, "a container id", err) < 0)
		goto out;
	if (c.file != NULL) {
		patch = update_read_file(c.file, err);
		if (patch == NULL)
			goto out;
		if (!json_is_object(patch)) {
			berth_error(err, 0, "update: %s: expected an object", c.file);
			goto out;
		}
		update_merge(patch, c.flags);
	} else {
		patch = json_incref(c.flags);
	}
	if (container_update(runtime_globals.root, argv[first], patch, "update", err) < 0) {
		berth_error_prefix(err, "update");
		goto out;
	}
	r = 0;
out:
	json_decref(patch);
	json_decref(c.flags);
	return first == -2 ? -2 : r;
}
