/* SPDX-License-Identifier: MIT */
/* `berth run`/`create`'s resource flags (--memory-swap, --memory-reservation, --cpu-shares,
 * --cpu-period, --cpu-quota, --cpuset-cpus, --cpuset-mems, --oom-kill-disable,
 * --blkio-weight, --blkio-weight-device, --device-read-bps/-iops, --device-write-bps/-iops,
 * --memory-swappiness) and namespace flags (--ipc, --pid, --uts, --cgroupns,
 * --userns), with Docker's meaning, into the OCI spec's linux.resources and namespaces and
 * into the record's HostConfig (Docker's names); and `berth update`, which changes them on a
 * container through the runtime library (a running one's cgroup) and in its config.json and
 * record, so that a restart keeps them. */
#include "image_priv.h"
#include "resources.h"
#include "config.h"
#include "manage.h"
#include "rootless.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define RES_MEMCG       "/sys/fs/cgroup/memory"
#define RES_BLKIO       "/sys/fs/cgroup/blkio"
#define RES_CPUS_ONLINE "/sys/devices/system/cpu/online"
#define RES_MEMS_ONLINE "/sys/devices/system/node/online"
#define RES_MAX_CPU     4096

/* ---- values --------------------------------------------------------------------------- */

static int res_int(const char *flag, const char *arg, long long min, long long max,
                   const char *expected, long long *out, berth_error_t *err)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(arg, &end, 10);
	if (arg[0] == '\0' || isspace((unsigned char)arg[0]) || *end || errno || v < min || v > max)
		return berth_error(err, 0, "bad --%s `%s`: expected %s", flag, arg, expected);
	*out = v;
	return 0;
}

/* A cpuset list ("0-3,5"): each number under RES_MAX_CPU, into set (may be NULL). */
static int res_cpulist(const char *s, bool *set)
{
	const char *p = s;

	if (*p == '\0')
		return -1;
	for (;;) {
		char *end;
		unsigned long a, b;
		if (!isdigit((unsigned char)*p))
			return -1;
		a = strtoul(p, &end, 10);
		b = a;
		p = end;
		if (*p == '-') {
			p++;
			if (!isdigit((unsigned char)*p))
				return -1;
			b = strtoul(p, &end, 10);
			p = end;
		}
		if (a > b || b >= RES_MAX_CPU)
			return -1;
		if (set)
			for (unsigned long i = a; i <= b; i++)
				set[i] = true;
		if (*p == '\0')
			return 0;
		if (*p != ',')
			return -1;
		p++;
	}
}

/* --cpuset-cpus / --cpuset-mems: a list of what this host has (file: its online list; no
 * file: node 0 only, a host without NUMA). */
static int res_check_cpuset(const char *flag, const char *v, const char *file, berth_error_t *err)
{
	cleanup_free bool *want = xmalloc0(RES_MAX_CPU * sizeof(bool));
	cleanup_free bool *have = xmalloc0(RES_MAX_CPU * sizeof(bool));
	cleanup_free char *text = NULL;
	size_t len;
	berth_error_t e2 = NULL;

	if (res_cpulist(v, want) < 0)
		return berth_error(err, 0,
		                   "bad --%s `%s`: expected a list like 0-3 or 0,1 (numbers and "
		                   "ranges, comma-separated)",
		                   flag, v);
	if (util_read_file(file, &text, &len, &e2) < 0) {
		berth_error_release(&e2);
		text = xstrdup("0");
	}
	text[strcspn(text, "\n")] = '\0';
	if (res_cpulist(text, have) < 0)
		return 0; /* unreadable: the kernel will say */
	for (size_t i = 0; i < RES_MAX_CPU; i++)
		if (want[i] && !have[i])
			return berth_error(err, 0,
			                   "bad --%s `%s`: %zu is not available (this host has %s)",
			                   flag, v, i, text);
	return 0;
}

/* --blkio-weight-device and the throttles (k: RES_OPT_BLKIO_WEIGHT_DEVICE + k): Docker's
 * names, the spec's linux.resources.blockIO keys and HostConfig's, and the value's key */
static const struct {
	const char *flag, *spec, *hc, *value, *expected;
} res_devs[5] = {
    {"blkio-weight-device", "weightDevice", "BlkioWeightDevice", "Weight",
     "/dev/DEVICE:WEIGHT, a weight from 10 to 1000"},
    {"device-read-bps", "throttleReadBpsDevice", "BlkioDeviceReadBps", "Rate",
     "/dev/DEVICE:RATE, bytes per second like 1mb (kb, mb, gb)"},
    {"device-write-bps", "throttleWriteBpsDevice", "BlkioDeviceWriteBps", "Rate",
     "/dev/DEVICE:RATE, bytes per second like 1mb (kb, mb, gb)"},
    {"device-read-iops", "throttleReadIOPSDevice", "BlkioDeviceReadIOps", "Rate",
     "/dev/DEVICE:RATE, a positive number of operations per second"},
    {"device-write-iops", "throttleWriteIOPSDevice", "BlkioDeviceWriteIOps", "Rate",
     "/dev/DEVICE:RATE, a positive number of operations per second"},
};

/* One of them: the block device's numbers and the value; one line naming the flag. */
static int res_dev_parse(size_t k, const char *arg, unsigned *maj, unsigned *min, uint64_t *value,
                         berth_error_t *err)
{
	const char *colon = strrchr(arg, ':');
	cleanup_free char *path = NULL;
	struct stat st;
	int64_t v = -1;

	if (colon == NULL || strncmp(arg, "/dev/", 5) != 0 || colon == arg + 5)
		return berth_error(err, 0, "bad --%s `%s`: expected %s", res_devs[k].flag, arg,
		                   res_devs[k].expected);
	if (k == 0 || k >= 3) {
		char *end;
		errno = 0;
		v = isdigit((unsigned char)colon[1]) ? strtoll(colon + 1, &end, 10) : -1;
		if (v >= 0 && (errno || *end))
			v = -1;
		if (k == 0 && (v < 10 || v > 1000))
			v = -1;
	} else {
		v = spec_parse_size(colon + 1);
	}
	if (v <= 0)
		return berth_error(err, 0, "bad --%s `%s`: expected %s", res_devs[k].flag, arg,
		                   res_devs[k].expected);
	path = xasprintf("%.*s", (int)(colon - arg), arg);
	if (stat(path, &st) < 0)
		return berth_error(err, errno, "bad --%s `%s`: `%s`", res_devs[k].flag, arg, path);
	if (!S_ISBLK(st.st_mode))
		return berth_error(err, 0, "bad --%s `%s`: `%s` is not a block device",
		                   res_devs[k].flag, arg, path);
	*maj = major(st.st_rdev);
	*min = minor(st.st_rdev);
	*value = (uint64_t)v;
	return 0;
}

static int res_bool(const char *flag, const char *arg, bool *out, berth_error_t *err)
{
	if (arg == NULL || strcmp(arg, "true") == 0 || strcmp(arg, "1") == 0) {
		*out = true;
		return 0;
	}
	if (strcmp(arg, "false") == 0 || strcmp(arg, "0") == 0) {
		*out = false;
		return 0;
	}
	return berth_error(err, 0, "bad --%s=%s: expected true or false", flag, arg);
}

int res_option(struct run_opts *o, int code, const char *arg, berth_error_t *err)
{
	struct ctr_resources *r = &o->res;
	long long v;

	switch (code) {
	case RES_OPT_MEMORY:
		return spec_parse_memory(arg, &o->memory, err);
	case RES_OPT_CPUS: {
		char *end;
		double d;
		errno = 0;
		d = strtod(arg, &end);
		if (!isdigit((unsigned char)arg[0]) || *end || errno || !(d > 0) || d > 1e6)
			return berth_error(err, 0, "bad --cpus `%s`: expected a positive number",
			                   arg);
		o->cpus = d;
		return 0;
	}
	case RES_OPT_PIDS:
		if (res_int("pids-limit", arg, -1, INT64_MAX,
		            "a number of processes (-1: unlimited)", &v, err) < 0)
			return -1;
		o->pids = v <= 0 ? -1 : v;
		return 0;
	case RES_OPT_MEMORY_SWAP:
		if (strcmp(arg, "-1") == 0) {
			r->memory_swap = -1;
			return 0;
		}
		r->memory_swap = spec_parse_size(arg);
		if (r->memory_swap <= 0)
			return berth_error(
			    err, 0,
			    "bad --memory-swap `%s`: expected a size like 1g (memory "
			    "and swap together) or -1 (unlimited swap)",
			    arg);
		return 0;
	case RES_OPT_MEMORY_RESERVATION:
		r->memory_reservation = spec_parse_size(arg);
		if (r->memory_reservation <= 0)
			return berth_error(
			    err, 0, "bad --memory-reservation `%s`: expected a size like 64m", arg);
		return 0;
	case RES_OPT_CPU_SHARES:
		if (res_int("cpu-shares", arg, 0, 262144,
		            "a relative weight from 2 to 262144 (0: the default, 1024)", &v,
		            err) < 0)
			return -1;
		if (v == 1)
			return berth_error(
			    err, 0,
			    "bad --cpu-shares `%s`: expected a relative weight from 2 "
			    "to 262144 (0: the default, 1024)",
			    arg);
		r->cpu_shares = v;
		return 0;
	case RES_OPT_CPU_PERIOD:
		if (res_int("cpu-period", arg, 0, 1000000,
		            "microseconds from 1000 to 1000000 (0: the default, 100000)", &v,
		            err) < 0)
			return -1;
		if (v > 0 && v < 1000)
			return berth_error(
			    err, 0,
			    "bad --cpu-period `%s`: expected microseconds from 1000 to "
			    "1000000 (0: the default, 100000)",
			    arg);
		r->cpu_period = v;
		return 0;
	case RES_OPT_CPU_QUOTA:
		if (res_int("cpu-quota", arg, -1, INT64_MAX,
		            "microseconds per period, at least 1000 (-1: unlimited)", &v, err) < 0)
			return -1;
		if (v > 0 && v < 1000)
			return berth_error(
			    err, 0,
			    "bad --cpu-quota `%s`: expected microseconds per period, "
			    "at least 1000 (-1: unlimited)",
			    arg);
		r->cpu_quota = v;
		return 0;
	case RES_OPT_CPUSET_CPUS:
		if (res_check_cpuset("cpuset-cpus", arg, RES_CPUS_ONLINE, err) < 0)
			return -1;
		r->cpuset_cpus = arg;
		return 0;
	case RES_OPT_CPUSET_MEMS:
		if (res_check_cpuset("cpuset-mems", arg, RES_MEMS_ONLINE, err) < 0)
			return -1;
		r->cpuset_mems = arg;
		return 0;
	case RES_OPT_OOM_KILL_DISABLE:
		r->has_oom_kill_disable = true;
		return res_bool("oom-kill-disable", arg, &r->oom_kill_disable, err);
	case RES_OPT_BLKIO_WEIGHT:
		if (res_int("blkio-weight", arg, 0, 1000,
		            "a weight from 10 to 1000 (0: the default)", &v, err) < 0)
			return -1;
		if (v > 0 && v < 10)
			return berth_error(err, 0,
			                   "bad --blkio-weight `%s`: expected a weight from 10 to "
			                   "1000 (0: the default)",
			                   arg);
		r->blkio_weight = (int)v;
		return 0;
	case RES_OPT_SWAPPINESS:
		if (res_int("memory-swappiness", arg, -1, 100,
		            "a number from 0 to 100 (-1: the host's)", &v, err) < 0)
			return -1;
		r->has_swappiness = v >= 0;
		r->swappiness = (int)v;
		return 0;
	case RES_OPT_IPC:
		if (strcmp(arg, "") != 0 && strcmp(arg, "private") != 0 &&
		    strcmp(arg, "shareable") != 0 && strcmp(arg, "host") != 0 &&
		    strcmp(arg, "none") != 0 && !(strncmp(arg, "container:", 10) == 0 && arg[10]))
			return berth_error(
			    err, 0,
			    "bad --ipc `%s`: expected none, private, shareable, host "
			    "or container:NAME",
			    arg);
		r->ipc = arg[0] ? arg : NULL;
		return 0;
	case RES_OPT_PID:
		if (strcmp(arg, "") != 0 && strcmp(arg, "host") != 0 &&
		    !(strncmp(arg, "container:", 10) == 0 && arg[10]))
			return berth_error(err, 0,
			                   "bad --pid `%s`: expected host or container:NAME (the "
			                   "default: a PID namespace of its own)",
			                   arg);
		r->pid = arg[0] ? arg : NULL;
		return 0;
	case RES_OPT_UTS:
		if (strcmp(arg, "") != 0 && strcmp(arg, "host") != 0)
			return berth_error(err, 0,
			                   "bad --uts `%s`: expected host (the default: a UTS "
			                   "namespace of its own)",
			                   arg);
		r->uts = arg[0] ? arg : NULL;
		return 0;
	case RES_OPT_CGROUPNS:
		if (strcmp(arg, "host") != 0 && strcmp(arg, "private") != 0)
			return berth_error(err, 0, "bad --cgroupns `%s`: expected host or private",
			                   arg);
		r->cgroupns = arg;
		return 0;
	case RES_OPT_USERNS:
		/* an ordinary user's own uid and gid inside (rootless.c), as Podman's */
		if (strcmp(arg, "keep-id") == 0) {
			if (!rootless_active())
				return berth_error(
				    err, 0,
				    "bad --userns `keep-id`: it is for berth run by an "
				    "ordinary user (rootless), not by root");
			r->userns = arg;
			return 0;
		}
		if (strcmp(arg, "") != 0 && strcmp(arg, "host") != 0)
			return berth_error(
			    err, 0,
			    "bad --userns `%s`: only host (or \"\") is supported, as "
			    "Docker's: berth makes no user namespace for a container",
			    arg);
		r->userns = arg[0] ? arg : NULL;
		return 0;
	case RES_OPT_BLKIO_WEIGHT_DEVICE:
	case RES_OPT_DEVICE_READ_BPS:
	case RES_OPT_DEVICE_WRITE_BPS:
	case RES_OPT_DEVICE_READ_IOPS:
	case RES_OPT_DEVICE_WRITE_IOPS: {
		size_t k = (size_t)(code - RES_OPT_BLKIO_WEIGHT_DEVICE);
		unsigned maj, min;
		uint64_t value;
		if (res_dev_parse(k, arg, &maj, &min, &value, err) < 0)
			return -1;
		r->dev_limits[k] =
		    xrealloc(r->dev_limits[k], (r->n_dev_limits[k] + 1) * sizeof(char *));
		r->dev_limits[k][r->n_dev_limits[k]++] = (char *)arg;
		return 0;
	}
	default:
		return berth_error(err, 0, "bad option %d", code);
	}
}

/* ---- checks ---------------------------------------------------------------------------- */

static bool res_exists(const char *dir, const char *file)
{
	cleanup_free char *p = xasprintf("%s/%s", dir, file);
	return access(p, F_OK) == 0;
}

/* What the merged values say together; given: what the command gave (its flags' names). */
struct res_values {
	int64_t memory, swap, reservation, pids;
	int64_t shares, period, quota, nano;
	int blkio;
	bool swappiness;
};

static int res_check_values(const struct res_values *v, const struct run_opts *o,
                            berth_error_t *err)
{
	if (v->swap > 0 && v->memory <= 0)
		return berth_error(err, 0,
		                   "bad --memory-swap: it needs --memory too (--memory-swap is "
		                   "memory and swap together)");
	if (v->swap > 0 && v->swap < v->memory)
		return berth_error(err, 0,
		                   "bad --memory-swap: %lld bytes is below --memory's %lld (it is "
		                   "memory and swap together: at least --memory, or -1)",
		                   (long long)v->swap, (long long)v->memory);
	if (v->reservation > 0 && v->memory > 0 && v->reservation > v->memory)
		return berth_error(err, 0,
		                   "bad --memory-reservation: %lld bytes is above --memory's %lld "
		                   "(the soft limit must be below the limit)",
		                   (long long)v->reservation, (long long)v->memory);
	if (o->cpus > 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		if (o->cpus < 0.01 || (n > 0 && o->cpus > (double)n))
			return berth_error(err, 0,
			                   "bad --cpus `%g`: expected from 0.01 to %ld (this host "
			                   "has %ld CPUs)",
			                   o->cpus, n, n);
	}
	if (v->nano > 0 && (v->period > 0 || v->quota != 0))
		return berth_error(err, 0,
		                   "conflicting options: --cpus and --cpu-period/--cpu-quota (as "
		                   "Docker: give one or the other)");
	if (o->res.memory_swap != 0 && !res_exists(RES_MEMCG, "memory.memsw.limit_in_bytes"))
		return berth_error(err, 0,
		                   "bad --memory-swap: this host's kernel does not account swap "
		                   "(no memory.memsw.limit_in_bytes: boot with swapaccount=1)");
	if (v->swappiness && !res_exists(RES_MEMCG, "memory.swappiness"))
		return berth_error(err, 0,
		                   "bad --memory-swappiness: this host's kernel has no "
		                   "memory.swappiness");
	if (o->res.blkio_weight > 0 && !res_exists(RES_BLKIO, "blkio.weight") &&
	    !res_exists(RES_BLKIO, "blkio.bfq.weight"))
		return berth_error(err, 0,
		                   "bad --blkio-weight: this host's kernel has no blkio weight (no "
		                   "blkio.weight or blkio.bfq.weight: the I/O scheduler has none)");
	if (o->res.n_dev_limits[0] && !res_exists(RES_BLKIO, "blkio.weight_device") &&
	    !res_exists(RES_BLKIO, "blkio.bfq.weight_device") &&
	    !res_exists("/sys/fs/cgroup", "cgroup.controllers"))
		return berth_error(err, 0,
		                   "bad --blkio-weight-device: this host's kernel has no blkio "
		                   "weight (no blkio.weight_device or blkio.bfq.weight_device: the "
		                   "I/O scheduler has none)");
	for (size_t k = 1; k < ARRAY_SIZE(res_devs); k++)
		if (o->res.n_dev_limits[k] &&
		    !res_exists(RES_BLKIO, "blkio.throttle.read_bps_device") &&
		    !res_exists("/sys/fs/cgroup", "cgroup.controllers"))
			return berth_error(
			    err, 0,
			    "bad --%s: this host's kernel has no blkio throttling (no "
			    "blkio.throttle.* files)",
			    res_devs[k].flag);
	return 0;
}

int res_check(const struct run_opts *o, berth_error_t *err)
{
	const struct ctr_resources *r = &o->res;
	struct res_values v = {.memory = o->memory,
	                       .swap = r->memory_swap,
	                       .reservation = r->memory_reservation,
	                       .shares = r->cpu_shares,
	                       .period = r->cpu_period,
	                       .quota = r->cpu_quota,
	                       .nano = o->cpus > 0 ? llround(o->cpus * 1e9) : 0,
	                       .blkio = r->blkio_weight,
	                       .swappiness = r->has_swappiness};

	if (res_check_values(&v, o, err) < 0)
		return -1;
	if (r->uts && o->hostname)
		return berth_error(
		    err, 0,
		    "conflicting options: --hostname and --uts host (the host's name "
		    "is the container's)");
	if (r->ipc && strcmp(r->ipc, "host") == 0 && o->shm_size > 0)
		return berth_error(
		    err, 0,
		    "conflicting options: --shm-size and --ipc host (/dev/shm is the "
		    "host's)");
	if (r->ipc && strcmp(r->ipc, "none") == 0 && o->shm_size > 0)
		return berth_error(
		    err, 0,
		    "conflicting options: --shm-size and --ipc none (no /dev/shm is mounted)");
	if (r->ipc && strncmp(r->ipc, "container:", 10) == 0 && o->shm_size > 0)
		return berth_error(err, 0,
		                   "conflicting options: --shm-size and --ipc %s (/dev/shm is that "
		                   "container's)",
		                   r->ipc);
	return 0;
}

/* ---- the spec -------------------------------------------------------------------------- */

static json_t *res_obj(json_t *parent, const char *key)
{
	json_t *v = json_object_get(parent, key);

	if (!json_is_object(v)) {
		v = json_object();
		json_object_set_new(parent, key, v);
	}
	return v;
}

/* The linux.resources fields of what o gives (update: the patch; create: added to the
 * spec's). */
static void res_resources(json_t *res, const struct run_opts *o)
{
	const struct ctr_resources *r = &o->res;

	if (o->memory > 0)
		json_object_set_new(res_obj(res, "memory"), "limit", json_integer(o->memory));
	if (r->memory_swap != 0)
		json_object_set_new(res_obj(res, "memory"), "swap", json_integer(r->memory_swap));
	if (r->memory_reservation > 0)
		json_object_set_new(res_obj(res, "memory"), "reservation",
		                    json_integer(r->memory_reservation));
	if (r->has_swappiness)
		json_object_set_new(res_obj(res, "memory"), "swappiness",
		                    json_integer(r->swappiness));
	if (r->has_oom_kill_disable)
		json_object_set_new(res_obj(res, "memory"), "disableOOMKiller",
		                    json_boolean(r->oom_kill_disable));
	if (o->cpus > 0) {
		json_object_set_new(res_obj(res, "cpu"), "quota",
		                    json_integer(llround(o->cpus * 100000)));
		json_object_set_new(res_obj(res, "cpu"), "period", json_integer(100000));
	}
	if (r->cpu_shares > 0)
		json_object_set_new(res_obj(res, "cpu"), "shares", json_integer(r->cpu_shares));
	if (r->cpu_period > 0)
		json_object_set_new(res_obj(res, "cpu"), "period", json_integer(r->cpu_period));
	if (r->cpu_quota != 0)
		json_object_set_new(res_obj(res, "cpu"), "quota", json_integer(r->cpu_quota));
	if (r->cpuset_cpus)
		json_object_set_new(res_obj(res, "cpu"), "cpus", json_string(r->cpuset_cpus));
	if (r->cpuset_mems)
		json_object_set_new(res_obj(res, "cpu"), "mems", json_string(r->cpuset_mems));
	if (r->blkio_weight > 0)
		json_object_set_new(res_obj(res, "blockIO"), "weight",
		                    json_integer(r->blkio_weight));
	for (size_t k = 0; k < ARRAY_SIZE(res_devs); k++)
		for (size_t i = 0; i < r->n_dev_limits[k]; i++) {
			berth_error_t e2 = NULL;
			unsigned maj, min;
			uint64_t value;
			json_t *a = json_object_get(res_obj(res, "blockIO"), res_devs[k].spec);
			if (res_dev_parse(k, r->dev_limits[k][i], &maj, &min, &value, &e2) < 0) {
				berth_error_release(&e2); /* checked by res_option */
				continue;
			}
			if (!json_is_array(a)) {
				a = json_array();
				json_object_set_new(res_obj(res, "blockIO"), res_devs[k].spec, a);
			}
			json_array_append_new(
			    a, json_pack("{s:i,s:i,s:I}", "major", (int)maj, "minor", (int)min,
			                 k == 0 ? "weight" : "rate", (json_int_t)value));
		}
	if (o->pids != 0)
		json_object_set_new(res_obj(res, "pids"), "limit", json_integer(o->pids));
}

/* linux.namespaces: type removed (path NULL, fresh false), made new (fresh) or joined. */
static void res_ns(json_t *spec, const char *type, bool fresh, const char *path)
{
	json_t *ns = res_obj(spec, "linux");
	json_t *a = json_object_get(ns, "namespaces");
	size_t i;

	if (!json_is_array(a)) {
		a = json_array();
		json_object_set_new(ns, "namespaces", a);
	}
	for (i = json_array_size(a); i-- > 0;)
		if (strcmp(json_string_value(json_object_get(json_array_get(a, i), "type")) ?: "",
		           type) == 0)
			json_array_remove(a, i);
	if (path)
		json_array_append_new(a, json_pack("{s:s,s:s}", "type", type, "path", path));
	else if (fresh)
		json_array_append_new(a, json_pack("{s:s}", "type", type));
}

/* /dev/shm: not mounted (--ipc none) */
static void res_shm_remove(json_t *spec)
{
	json_t *mounts = json_object_get(spec, "mounts");
	json_t *m;
	size_t i;

	for (i = json_array_size(mounts); i-- > 0;) {
		m = json_array_get(mounts, i);
		if (strcmp(json_string_value(json_object_get(m, "destination")) ?: "",
		           "/dev/shm") == 0)
			json_array_remove(mounts, i);
	}
}

/* /dev/shm: a bind of source (the host's, a shareable container's directory) */
static void res_shm_bind(json_t *spec, const char *source)
{
	json_t *mounts = json_object_get(spec, "mounts");

	res_shm_remove(spec);
	json_array_append_new(mounts, json_pack("{s:s,s:s,s:s,s:[s,s,s,s]}", "destination",
	                                        "/dev/shm", "type", "bind", "source", source,
	                                        "options", "rbind", "nosuid", "nodev", "noexec"));
}

/* The running container ref (--ipc / --pid container:REF): *id, *pid of its init. */
static int res_donor(struct engine *e, const char *flag, const char *mode, char **id, pid_t *pid,
                     json_t **rec, berth_error_t *err)
{
	berth_error_t e2 = NULL;
	struct ctr_info c;

	if (ctr_get(e, mode + 10, &c, &e2) < 0) {
		berth_error(err, 0, "bad --%s `%s`: %s", flag, mode, e2->msg);
		berth_error_release(&e2);
		return -1;
	}
	if (!ctr_status_running(c.status) || c.pid <= 0) {
		berth_error(err, 0,
		            "bad --%s `%s`: container \"%s\" is not running (start it first)", flag,
		            mode, c.name);
		ctr_info_free(&c);
		return -1;
	}
	*id = xstrdup(c.id);
	*pid = c.pid;
	if (rec)
		*rec = json_incref(c.raw);
	ctr_info_free(&c);
	return 0;
}

/* The namespaces of the container's record (HostConfig, ipc_container, pid_container) into
 * spec: the donors' as they run now. */
static int res_join(struct engine *e, json_t *rec, json_t *spec, const char *self,
                    berth_error_t *err)
{
	json_t *hc = json_object_get(rec, "HostConfig");
	const char *ipc = json_string_value(json_object_get(hc, "IpcMode")) ?: "";
	const char *pid = json_string_value(json_object_get(hc, "PidMode")) ?: "";

	if (strncmp(ipc, "container:", 10) == 0) {
		cleanup_free char *id = NULL;
		cleanup_free char *ns = NULL;
		cleanup_free char *shm = NULL;
		json_t *drec = NULL;
		const char *dmode;
		pid_t p;
		if (res_donor(e, "ipc", ipc, &id, &p, &drec, err) < 0)
			return -1;
		dmode = json_string_value(
		    json_object_get(json_object_get(drec, "HostConfig"), "IpcMode"));
		if (strcmp(id, self) == 0 || dmode == NULL || strcmp(dmode, "shareable") != 0) {
			json_decref(drec);
			return berth_error(err, 0,
			                   "bad --ipc `%s`: that container's IPC is not shareable "
			                   "(make it with --ipc shareable)",
			                   ipc);
		}
		json_decref(drec);
		ns = xasprintf("/proc/%d/ns/ipc", (int)p);
		shm = engine_path(e, "containers/%s/shm", id);
		res_ns(spec, "ipc", false, ns);
		res_shm_bind(spec, shm);
		json_object_set_new(rec, "ipc_container", json_string(id));
	}
	if (strncmp(pid, "container:", 10) == 0) {
		cleanup_free char *id = NULL;
		cleanup_free char *ns = NULL;
		pid_t p;
		if (res_donor(e, "pid", pid, &id, &p, NULL, err) < 0)
			return -1;
		if (strcmp(id, self) == 0)
			return berth_error(err, 0,
			                   "bad --pid `%s`: a container cannot join its own", pid);
		ns = xasprintf("/proc/%d/ns/pid", (int)p);
		res_ns(spec, "pid", false, ns);
		json_object_set_new(rec, "pid_container", json_string(id));
	}
	return 0;
}

static json_t *res_int_or_null(int64_t v)
{
	return v != 0 ? json_integer(v) : json_null();
}

/* Docker's HostConfig fields of o (inspect shows the record). */
static json_t *res_host_config(const struct run_opts *o)
{
	const struct ctr_resources *r = &o->res;
	int64_t swap = r->memory_swap;
	json_t *hc;

	/* Docker: --memory without --memory-swap gets as much swap as memory */
	if (o->memory > 0 && swap == 0)
		swap = o->memory * 2;
	hc = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:s,s:s,s:b,s:i,s:o,s:o}", "Memory",
	               (json_int_t)o->memory, "MemorySwap", (json_int_t)swap, "MemoryReservation",
	               (json_int_t)r->memory_reservation, "CpuShares", (json_int_t)r->cpu_shares,
	               "CpuPeriod", (json_int_t)r->cpu_period, "CpuQuota", (json_int_t)r->cpu_quota,
	               "NanoCpus", (json_int_t)(o->cpus > 0 ? llround(o->cpus * 1e9) : 0),
	               "CpusetCpus", r->cpuset_cpus ?: "", "CpusetMems", r->cpuset_mems ?: "",
	               "OomKillDisable", r->oom_kill_disable, "BlkioWeight", r->blkio_weight,
	               "PidsLimit", res_int_or_null(o->pids), "MemorySwappiness",
	               r->has_swappiness ? json_integer(r->swappiness) : json_null());
	/* Docker's: [{Path, Weight}] and [{Path, Rate}] */
	for (size_t k = 0; k < ARRAY_SIZE(res_devs); k++) {
		json_t *a = json_array();
		for (size_t i = 0; i < r->n_dev_limits[k]; i++) {
			const char *arg = r->dev_limits[k][i], *colon = strrchr(arg, ':');
			berth_error_t e2 = NULL;
			unsigned maj, min;
			uint64_t value;
			if (colon == NULL || res_dev_parse(k, arg, &maj, &min, &value, &e2) < 0) {
				berth_error_release(&e2);
				continue;
			}
			json_array_append_new(a, json_pack("{s:s%,s:I}", "Path", arg,
			                                   (int)(colon - arg), res_devs[k].value,
			                                   (json_int_t)value));
		}
		json_object_set_new(hc, res_devs[k].hc, a);
	}
	json_object_set_new(hc, "IpcMode", json_string(r->ipc ?: "private"));
	json_object_set_new(hc, "PidMode", json_string(r->pid ?: ""));
	json_object_set_new(hc, "UTSMode", json_string(r->uts ?: ""));
	/* as Docker on cgroup v1: the host's cgroup namespace unless asked */
	json_object_set_new(
	    hc, "CgroupnsMode",
	    json_string(r->cgroupns
	                    ?: access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0 ? "private"
	                                                                              : "host"));
	json_object_set_new(hc, "UsernsMode", json_string(r->userns ?: ""));
	return hc;
}

int res_prepare(struct engine *e, const struct run_opts *o, json_t *rec, json_t *spec,
                berth_error_t *err)
{
	const struct ctr_resources *r = &o->res;
	json_t *linux_ = res_obj(spec, "linux");
	json_t *res = res_obj(linux_, "resources");
	struct run_opts rest = *o;
	const char *self = json_string_value(json_object_get(rec, "id")) ?: "";

	/* spec_build wrote --memory, --cpus, --pids-limit; the rest here */
	rest.memory = 0;
	rest.cpus = 0;
	rest.pids = 0;
	res_resources(res, &rest);
	if (o->memory > 0 && r->memory_swap == 0 &&
	    res_exists(RES_MEMCG, "memory.memsw.limit_in_bytes"))
		json_object_set_new(res_obj(res, "memory"), "swap", json_integer(o->memory * 2));
	json_object_set_new(rec, "HostConfig", res_host_config(o));

	if (r->ipc && strcmp(r->ipc, "host") == 0) {
		res_ns(spec, "ipc", false, NULL);
		res_shm_bind(spec, "/dev/shm");
	} else if (r->ipc && strcmp(r->ipc, "shareable") == 0) {
		/* a directory of its own on the host, that container:NAME binds too */
		cleanup_free char *shm = engine_path(e, "containers/%s/shm", self);
		if (mkdir(shm, 01777) < 0 || chmod(shm, 01777) < 0)
			return berth_error(err, errno, "--ipc shareable: mkdir `%s`", shm);
		res_shm_bind(spec, shm);
	} else if (r->ipc && strcmp(r->ipc, "none") == 0) {
		/* as Docker: an IPC namespace of its own, and no /dev/shm */
		res_shm_remove(spec);
	}
	if (r->pid && strcmp(r->pid, "host") == 0)
		res_ns(spec, "pid", false, NULL);
	if (r->uts) {
		res_ns(spec, "uts", false, NULL);
		json_object_del(spec, "hostname");
	}
	if (r->cgroupns)
		res_ns(spec, "cgroup", strcmp(r->cgroupns, "private") == 0, NULL);
	if (r->userns && strcmp(r->userns, "keep-id") == 0 &&
	    rootless_keep_id(spec, o->user == NULL, err) < 0)
		return -1;
	return res_join(e, rec, spec, self, err);
}

/* --network container:NAME when NAME has --network none (as root, "runtime_netns" in its
 * record's network): the runtime made that one's namespace and no file holds it
 * (netattach.c), so it is joined as NAME's init has it now. NAME's id, or NULL when the record's
 * network is not such. */
static const char *res_net_donor(struct engine *e, json_t *rec)
{
	json_t *cn = json_object_get(rec, "network"), *drec;
	const char *other = json_string_value(json_object_get(cn, "container"));
	const char *mode = json_string_value(json_object_get(cn, "mode")) ?: "";
	berth_error_t e2 = NULL;
	bool none;

	if (strcmp(mode, "container") != 0 || other == NULL || rootless_active())
		return NULL;
	if (ctr_load(e, other, &drec, &e2) < 0) {
		/* gone: the start fails on the namespace's path, as it did */
		berth_error_release(&e2);
		return NULL;
	}
	none = json_is_true(json_object_get(json_object_get(drec, "network"), "runtime_netns"));
	json_decref(drec);
	return none ? other : NULL;
}

/* The namespace of res_net_donor's container into spec; refused when it does not run. */
static int res_join_net(struct engine *e, const char *donor, json_t *spec, berth_error_t *err)
{
	cleanup_free char *mode = NULL;
	cleanup_free char *id = NULL;
	cleanup_free char *ns = NULL;
	pid_t p;

	if (donor == NULL)
		return 0;
	mode = xasprintf("container:%s", donor);
	if (res_donor(e, "network", mode, &id, &p, NULL, err) < 0)
		return -1;
	ns = xasprintf("/proc/%d/ns/net", (int)p);
	res_ns(spec, "network", false, ns);
	return 0;
}

int res_refresh(struct engine *e, const char *id, berth_error_t *err)
{
	cleanup_free char *cfg = NULL;
	cleanup_free char *text = NULL;
	const char *net;
	json_t *rec, *spec;
	int r = -1;

	if (ctr_load(e, id, &rec, err) < 0)
		return -1;
	net = res_net_donor(e, rec);
	if (!json_object_get(rec, "ipc_container") && !json_object_get(rec, "pid_container") &&
	    net == NULL) {
		json_decref(rec);
		return 0;
	}
	cfg = engine_path(e, "containers/%s/config.json", id);
	spec = image_json_load(cfg, err);
	if (spec == NULL) {
		json_decref(rec);
		return -1;
	}
	if (res_join(e, rec, spec, id, err) == 0 && res_join_net(e, net, spec, err) == 0) {
		text = json_dumps(spec, JSON_INDENT(2));
		r = util_write_file_atomic(cfg, text, strlen(text), 0600, err);
	}
	json_decref(spec);
	json_decref(rec);
	return r;
}

/* ---- berth update ---------------------------------------------------------------------- */

bool res_update_given(const struct run_opts *o)
{
	const struct ctr_resources *r = &o->res;
	return o->memory || o->cpus > 0 || o->pids || r->memory_swap || r->memory_reservation ||
	       r->cpu_shares || r->cpu_period || r->cpu_quota || r->cpuset_cpus || r->cpuset_mems ||
	       r->blkio_weight || o->restart;
}

static int64_t res_hc_int(json_t *hc, const char *key)
{
	return (int64_t)json_integer_value(json_object_get(hc, key));
}

/* a into b, objects merged recursively */
static void res_merge(json_t *b, json_t *a)
{
	const char *k;
	json_t *v;

	json_object_foreach(a, k, v)
	{
		json_t *old = json_object_get(b, k);
		if (json_is_object(v) && json_is_object(old))
			res_merge(old, v);
		else
			json_object_set(b, k, v);
	}
}

int ctr_update_resources(struct engine *e, const char *id, const struct run_opts *o,
                         berth_error_t *err)
{
	const struct ctr_resources *r = &o->res;
	cleanup_free char *cfg = engine_path(e, "containers/%s/config.json", id);
	cleanup_free char *text = NULL;
	cleanup_free char *rt = NULL;
	json_t *rec = NULL, *spec = NULL, *hc, *patch = json_object(), *res;
	struct res_values v;
	struct ctr_info c;
	bool running;
	int ret = -1;

	if (ctr_get_id(e, id, &c, err) < 0) {
		json_decref(patch);
		return -1;
	}
	running = ctr_status_running(c.status);
	ctr_info_free(&c);
	if (engine_lock(e, err) < 0) {
		json_decref(patch);
		return -1;
	}
	if (ctr_load(e, id, &rec, err) < 0)
		goto out;
	spec = image_json_load(cfg, err);
	if (spec == NULL)
		goto out;
	hc = json_object_get(rec, "HostConfig");
	if (!json_is_object(hc)) {
		/* a container made before HostConfig was recorded */
		hc = json_object();
		json_object_set_new(rec, "HostConfig", hc);
	}
	/* the values as they will be, checked together (Docker's rules) */
	v = (struct res_values){
	    .memory = o->memory ?: res_hc_int(hc, "Memory"),
	    .swap = r->memory_swap ?: res_hc_int(hc, "MemorySwap"),
	    .reservation = r->memory_reservation ?: res_hc_int(hc, "MemoryReservation"),
	    .period = r->cpu_period ?: res_hc_int(hc, "CpuPeriod"),
	    .quota = r->cpu_quota ?: res_hc_int(hc, "CpuQuota"),
	    .nano = o->cpus > 0 ? llround(o->cpus * 1e9) : res_hc_int(hc, "NanoCpus"),
	};
	if (o->memory > 0 && r->memory_swap == 0 && v.swap > 0 && v.swap < o->memory) {
		berth_error(err, 0,
		            "bad --memory: %lld bytes is above the container's --memory-swap of "
		            "%lld; give --memory-swap too",
		            (long long)o->memory, (long long)v.swap);
		goto out;
	}
	if (res_check_values(&v, o, err) < 0)
		goto out;
	if (o->restart) {
		const char *policy;
		int max;
		if (ctr_parse_restart(o->restart, &policy, &max, err) < 0)
			goto out;
		if (strcmp(policy, "no") != 0 && json_is_true(json_object_get(rec, "rm"))) {
			berth_error(err, 0,
			            "bad --restart `%s`: the container is removed when it exits "
			            "(--rm)",
			            o->restart);
			goto out;
		}
		if (strcmp(policy, "no") == 0) {
			json_object_del(rec, "restart_policy");
		} else {
			json_object_set_new(
			    rec, "restart_policy",
			    json_pack("{s:s,s:i}", "name", policy, "maximum_retry_count", max));
			if (!json_object_get(rec, "restart_count"))
				json_object_set_new(rec, "restart_count", json_integer(0));
		}
		json_object_set_new(
		    hc, "RestartPolicy",
		    json_pack("{s:s,s:i}", "Name", policy, "MaximumRetryCount", max));
	}
	res_resources(patch, o);
	/* --cpus after --cpu-period and the others: Docker's quota over period */
	if (json_object_size(patch) && running) {
		rt = ctr_runtime_root(e);
		if (container_update(rt, id, patch, "update", err) < 0)
			goto out;
	}
	/* the record and the bundle, for the next start */
	res = res_obj(res_obj(spec, "linux"), "resources");
	res_merge(res, patch);
	if (o->memory > 0)
		json_object_set_new(hc, "Memory", json_integer(o->memory));
	if (r->memory_swap)
		json_object_set_new(hc, "MemorySwap", json_integer(r->memory_swap));
	if (r->memory_reservation)
		json_object_set_new(hc, "MemoryReservation", json_integer(r->memory_reservation));
	if (r->cpu_shares)
		json_object_set_new(hc, "CpuShares", json_integer(r->cpu_shares));
	if (r->cpu_period)
		json_object_set_new(hc, "CpuPeriod", json_integer(r->cpu_period));
	if (r->cpu_quota)
		json_object_set_new(hc, "CpuQuota", json_integer(r->cpu_quota));
	if (o->cpus > 0)
		json_object_set_new(hc, "NanoCpus", json_integer(llround(o->cpus * 1e9)));
	if (r->cpuset_cpus)
		json_object_set_new(hc, "CpusetCpus", json_string(r->cpuset_cpus));
	if (r->cpuset_mems)
		json_object_set_new(hc, "CpusetMems", json_string(r->cpuset_mems));
	if (r->blkio_weight)
		json_object_set_new(hc, "BlkioWeight", json_integer(r->blkio_weight));
	if (o->pids)
		json_object_set_new(hc, "PidsLimit", json_integer(o->pids));
	text = json_dumps(spec, JSON_INDENT(2));
	if (util_write_file_atomic(cfg, text, strlen(text), 0600, err) < 0)
		goto out;
	ret = ctr_save(e, id, rec, err);
out:
	engine_unlock(e);
	json_decref(rec);
	json_decref(spec);
	json_decref(patch);
	return ret;
}
