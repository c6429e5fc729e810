/* SPDX-License-Identifier: MIT */
/* Unit tests for run/create's resource and namespace flags (src/engine/resources.c): the
 * values taken and refused, the checks together, and what they make of the spec and the
 * record's HostConfig. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine.h"
#include "resources.h"
#include "config.h"
#include "util.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* opt(o, code, arg): 0 or -1, the error's message checked to name want */
static int opt(struct run_opts *o, int code, const char *arg, const char *want)
{
	berth_error_t err = NULL;
	int r = res_option(o, code, arg, &err);

	if (want) {
		assert_int_equal(r, -1);
		assert_non_null(err);
		if (strstr(err->msg, want) == NULL)
			fail_msg("`%s` lacks `%s`", err->msg, want);
		assert_null(strchr(err->msg, '\n'));
		berth_error_release(&err);
	} else {
		if (r < 0)
			fail_msg("%s", err->msg);
		assert_null(err);
	}
	return r;
}

static void test_values(void **state)
{
	struct run_opts o = {0};

	(void)state;
	opt(&o, RES_OPT_MEMORY_SWAP, "1g", NULL);
	assert_int_equal(o.res.memory_swap, 1024LL * 1024 * 1024);
	opt(&o, RES_OPT_MEMORY_SWAP, "-1", NULL);
	assert_int_equal(o.res.memory_swap, -1);
	opt(&o, RES_OPT_MEMORY_SWAP, "-2", "bad --memory-swap `-2`");
	opt(&o, RES_OPT_MEMORY_RESERVATION, "512k", NULL);
	assert_int_equal(o.res.memory_reservation, 512 * 1024);
	opt(&o, RES_OPT_MEMORY_RESERVATION, "10q", "bad --memory-reservation `10q`");
	opt(&o, RES_OPT_CPU_SHARES, "2", NULL);
	opt(&o, RES_OPT_CPU_SHARES, "262144", NULL);
	opt(&o, RES_OPT_CPU_SHARES, "1", "bad --cpu-shares `1`");
	opt(&o, RES_OPT_CPU_SHARES, "262145", "bad --cpu-shares");
	opt(&o, RES_OPT_CPU_SHARES, " 5", "bad --cpu-shares");
	opt(&o, RES_OPT_CPU_PERIOD, "1000", NULL);
	opt(&o, RES_OPT_CPU_PERIOD, "999", "bad --cpu-period `999`");
	opt(&o, RES_OPT_CPU_PERIOD, "1000001", "bad --cpu-period");
	opt(&o, RES_OPT_CPU_QUOTA, "-1", NULL);
	assert_int_equal(o.res.cpu_quota, -1);
	opt(&o, RES_OPT_CPU_QUOTA, "999", "bad --cpu-quota `999`");
	opt(&o, RES_OPT_CPU_QUOTA, "", "bad --cpu-quota");
	opt(&o, RES_OPT_CPUSET_CPUS, "0", NULL);
	opt(&o, RES_OPT_CPUSET_CPUS, "0-", "bad --cpuset-cpus `0-`");
	opt(&o, RES_OPT_CPUSET_CPUS, "1-0", "bad --cpuset-cpus `1-0`");
	opt(&o, RES_OPT_CPUSET_CPUS, "0,,1", "bad --cpuset-cpus");
	opt(&o, RES_OPT_CPUSET_CPUS, "99999", "bad --cpuset-cpus");
	opt(&o, RES_OPT_CPUSET_CPUS, "4095", "4095 is not available");
	opt(&o, RES_OPT_CPUSET_MEMS, "0", NULL);
	opt(&o, RES_OPT_CPUSET_MEMS, "x", "bad --cpuset-mems `x`");
	opt(&o, RES_OPT_OOM_KILL_DISABLE, NULL, NULL);
	assert_true(o.res.oom_kill_disable);
	opt(&o, RES_OPT_OOM_KILL_DISABLE, "false", NULL);
	assert_false(o.res.oom_kill_disable);
	opt(&o, RES_OPT_OOM_KILL_DISABLE, "yes", "bad --oom-kill-disable=yes");
	opt(&o, RES_OPT_BLKIO_WEIGHT, "10", NULL);
	opt(&o, RES_OPT_BLKIO_WEIGHT, "0", NULL);
	opt(&o, RES_OPT_BLKIO_WEIGHT, "9", "bad --blkio-weight `9`");
	opt(&o, RES_OPT_BLKIO_WEIGHT, "1001", "bad --blkio-weight");
	opt(&o, RES_OPT_SWAPPINESS, "-1", NULL);
	assert_false(o.res.has_swappiness);
	opt(&o, RES_OPT_SWAPPINESS, "0", NULL);
	assert_true(o.res.has_swappiness);
	opt(&o, RES_OPT_SWAPPINESS, "101", "bad --memory-swappiness `101`");
	opt(&o, RES_OPT_PIDS, "-1", NULL);
	assert_int_equal(o.pids, -1);
	opt(&o, RES_OPT_PIDS, "-2", "bad --pids-limit `-2`");
	opt(&o, RES_OPT_CPUS, "0.5", NULL);
	opt(&o, RES_OPT_CPUS, "0", "bad --cpus `0`");
	opt(&o, RES_OPT_CPUS, "nan", "bad --cpus");
	opt(&o, RES_OPT_MEMORY, "100", "minimum");
}

/* the per-device flags: /dev/DEVICE:VALUE, a block device (none is needed to refuse) */
static void test_device_values(void **state)
{
	struct run_opts o = {0};

	(void)state;
	opt(&o, RES_OPT_DEVICE_READ_BPS, "/dev/null:1mb",
	    "bad --device-read-bps `/dev/null:1mb`: `/dev/null` is not a block device");
	opt(&o, RES_OPT_DEVICE_WRITE_BPS, "/dev/no-such-disk:1mb", "`/dev/no-such-disk`: No such");
	opt(&o, RES_OPT_DEVICE_READ_IOPS, "sda:10", "expected /dev/DEVICE:RATE");
	opt(&o, RES_OPT_DEVICE_WRITE_IOPS, "/dev/null:0", "a positive number of operations");
	opt(&o, RES_OPT_DEVICE_WRITE_IOPS, "/dev/null:-5", "a positive number of operations");
	opt(&o, RES_OPT_DEVICE_READ_BPS, "/dev/null:fast", "bytes per second like 1mb");
	opt(&o, RES_OPT_DEVICE_READ_BPS, "/dev/null", "expected /dev/DEVICE:RATE");
	opt(&o, RES_OPT_BLKIO_WEIGHT_DEVICE, "/dev/null:9", "a weight from 10 to 1000");
	opt(&o, RES_OPT_BLKIO_WEIGHT_DEVICE, "/dev/null:1001", "a weight from 10 to 1000");
	for (size_t k = 0; k < 5; k++)
		assert_int_equal(o.res.n_dev_limits[k], 0);
}

static void test_namespace_values(void **state)
{
	struct run_opts o = {0};

	(void)state;
	opt(&o, RES_OPT_IPC, "host", NULL);
	opt(&o, RES_OPT_IPC, "shareable", NULL);
	opt(&o, RES_OPT_IPC, "private", NULL);
	opt(&o, RES_OPT_IPC, "container:x", NULL);
	opt(&o, RES_OPT_IPC, "container:", "bad --ipc `container:`");
	opt(&o, RES_OPT_IPC, "none", NULL);
	opt(&o, RES_OPT_IPC, "None", "bad --ipc `None`: expected none, private");
	opt(&o, RES_OPT_PID, "host", NULL);
	opt(&o, RES_OPT_PID, "container:x", NULL);
	opt(&o, RES_OPT_PID, "private", "bad --pid `private`");
	opt(&o, RES_OPT_UTS, "host", NULL);
	opt(&o, RES_OPT_UTS, "private", "bad --uts `private`");
	opt(&o, RES_OPT_CGROUPNS, "private", NULL);
	opt(&o, RES_OPT_CGROUPNS, "", "bad --cgroupns ``");
	opt(&o, RES_OPT_USERNS, "host", NULL);
	opt(&o, RES_OPT_USERNS, "", NULL);
	assert_null(o.res.userns);
	/* keep-id is an ordinary user's (rootless.c); the tests run as root */
	opt(&o, RES_OPT_USERNS, "keep-id", "it is for berth run by an ordinary user (rootless)");
	opt(&o, RES_OPT_USERNS, "auto", "only host");
}

static void check_fails(const struct run_opts *o, const char *want)
{
	berth_error_t err = NULL;

	assert_int_equal(res_check(o, &err), -1);
	if (strstr(err->msg, want) == NULL)
		fail_msg("`%s` lacks `%s`", err->msg, want);
	berth_error_release(&err);
}

static void test_check(void **state)
{
	struct run_opts o = {0};
	berth_error_t err = NULL;

	(void)state;
	o.memory = 64 << 20;
	o.res.memory_swap = 32 << 20;
	check_fails(&o, "bad --memory-swap: 33554432 bytes is below --memory's");
	o.memory = 0;
	check_fails(&o, "it needs --memory");
	o = (struct run_opts){.memory = 64 << 20, .res.memory_reservation = 128 << 20};
	check_fails(&o, "bad --memory-reservation");
	o = (struct run_opts){.cpus = 1, .res.cpu_quota = 50000};
	check_fails(&o, "conflicting options: --cpus");
	o = (struct run_opts){.hostname = "h", .res.uts = "host"};
	check_fails(&o, "--hostname and --uts host");
	o = (struct run_opts){.shm_size = 1 << 20, .res.ipc = "host"};
	check_fails(&o, "--shm-size and --ipc host");
	o = (struct run_opts){.shm_size = 1 << 20, .res.ipc = "none"};
	check_fails(&o, "--shm-size and --ipc none");
	o = (struct run_opts){.memory = 64 << 20, .res.memory_swap = -1, .res.cpu_quota = -1};
	if (access("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes", F_OK) == 0)
		assert_int_equal(res_check(&o, &err), 0);
	else
		check_fails(&o, "does not account swap");
}

static json_t *ns_of(json_t *spec, const char *type)
{
	json_t *a = json_object_get(json_object_get(spec, "linux"), "namespaces"), *v;
	size_t i;

	json_array_foreach(
	    a, i, v) if (strcmp(json_string_value(json_object_get(v, "type")), type) == 0) return v;
	return NULL;
}

static json_t *mount_at(json_t *spec, const char *dst)
{
	json_t *a = json_object_get(spec, "mounts"), *v;
	size_t i;

	json_array_foreach(a, i, v) if (strcmp(json_string_value(json_object_get(v, "destination")),
	                                       dst) == 0) return v;
	return NULL;
}

static void test_prepare(void **state)
{
	struct run_opts o = {.memory = 64 << 20, .cpus = 1.5};
	json_t *spec = config_default_spec(false);
	json_t *rec = json_pack("{s:s}", "id", "0123456789abcdef");
	json_t *hc, *res;
	berth_error_t err = NULL;

	(void)state;
	json_object_set_new(spec, "hostname", json_string("h"));
	o.res.cpu_shares = 512;
	o.res.cpuset_cpus = "0";
	o.res.blkio_weight = 300;
	o.res.has_oom_kill_disable = o.res.oom_kill_disable = true;
	o.res.has_swappiness = true;
	o.res.swappiness = 0;
	o.res.ipc = "host";
	o.res.pid = "host";
	o.res.uts = "host";
	o.res.cgroupns = "private";
	o.res.userns = "host";
	assert_int_equal(res_prepare(NULL, &o, rec, spec, &err), 0);
	assert_null(ns_of(spec, "ipc"));
	assert_null(ns_of(spec, "pid"));
	assert_null(ns_of(spec, "uts"));
	assert_non_null(ns_of(spec, "cgroup"));
	assert_non_null(ns_of(spec, "mount"));
	assert_null(json_object_get(spec, "hostname"));
	assert_string_equal(
	    json_string_value(json_object_get(mount_at(spec, "/dev/shm"), "source")), "/dev/shm");
	assert_string_equal(json_string_value(json_object_get(mount_at(spec, "/dev/shm"), "type")),
	                    "bind");
	res = json_object_get(json_object_get(spec, "linux"), "resources");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(res, "cpu"), "shares")),
	                 512);
	assert_string_equal(json_string_value(json_object_get(json_object_get(res, "cpu"), "cpus")),
	                    "0");
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(res, "blockIO"), "weight")), 300);
	assert_true(
	    json_is_true(json_object_get(json_object_get(res, "memory"), "disableOOMKiller")));
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(res, "memory"), "swappiness")), 0);
	hc = json_object_get(rec, "HostConfig");
	assert_int_equal(json_integer_value(json_object_get(hc, "Memory")), 64 << 20);
	/* Docker: as much swap again as memory when --memory-swap is not given */
	assert_int_equal(json_integer_value(json_object_get(hc, "MemorySwap")), 128 << 20);
	assert_int_equal(json_integer_value(json_object_get(hc, "NanoCpus")), 1500000000);
	assert_int_equal(json_integer_value(json_object_get(hc, "CpuShares")), 512);
	assert_int_equal(json_integer_value(json_object_get(hc, "BlkioWeight")), 300);
	assert_int_equal(json_integer_value(json_object_get(hc, "MemorySwappiness")), 0);
	assert_true(json_is_null(json_object_get(hc, "PidsLimit")));
	assert_true(json_is_true(json_object_get(hc, "OomKillDisable")));
	assert_string_equal(json_string_value(json_object_get(hc, "CpusetCpus")), "0");
	assert_string_equal(json_string_value(json_object_get(hc, "IpcMode")), "host");
	assert_string_equal(json_string_value(json_object_get(hc, "PidMode")), "host");
	assert_string_equal(json_string_value(json_object_get(hc, "UTSMode")), "host");
	assert_string_equal(json_string_value(json_object_get(hc, "CgroupnsMode")), "private");
	assert_string_equal(json_string_value(json_object_get(hc, "UsernsMode")), "host");
	json_decref(spec);
	json_decref(rec);

	/* the defaults: every namespace kept, a private IPC */
	o = (struct run_opts){0};
	spec = config_default_spec(false);
	rec = json_pack("{s:s}", "id", "0123456789abcdef");
	assert_int_equal(res_prepare(NULL, &o, rec, spec, &err), 0);
	assert_non_null(ns_of(spec, "ipc"));
	assert_non_null(ns_of(spec, "pid"));
	assert_non_null(ns_of(spec, "uts"));
	hc = json_object_get(rec, "HostConfig");
	assert_string_equal(json_string_value(json_object_get(hc, "IpcMode")), "private");
	assert_string_equal(json_string_value(json_object_get(hc, "PidMode")), "");
	assert_int_equal(json_integer_value(json_object_get(hc, "MemorySwap")), 0);
	assert_true(json_is_null(json_object_get(hc, "MemorySwappiness")));
	json_decref(spec);
	json_decref(rec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_values),           cmocka_unit_test(test_device_values),
	    cmocka_unit_test(test_namespace_values), cmocka_unit_test(test_check),
	    cmocka_unit_test(test_prepare),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
