/* SPDX-License-Identifier: MIT */
/* Unit tests for the image config -> config.json translation (src/engine/spec.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine.h"
#include "util.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static struct image *spec_image(const char *config)
{
	struct image *img = xmalloc0(sizeof(*img));
	json_error_t je;

	img->id = xstrdup("0123456789abcdef");
	img->config = json_loads(config, 0, &je);
	assert_non_null(img->config);
	return img;
}

/* The config.json for config and o, or NULL with *err set. */
static json_t *spec_of(const char *config, const struct run_opts *o, berth_error_t *err)
{
	struct image *img = spec_image(config);
	json_t *spec = NULL;
	char dir[] = "/tmp/berth-spec-XXXXXX";

	assert_non_null(mkdtemp(dir));
	if (spec_build(img, o, "0123456789abcdef0123", dir, NULL, NULL, NULL, &spec, err) < 0)
		spec = NULL;
	rmdir(dir);
	image_free(img);
	return spec;
}

static const char *spec_args(json_t *spec, char *buf, size_t size)
{
	json_t *v;
	size_t i, k = 0;

	buf[0] = '\0';
	json_array_foreach(json_object_get(json_object_get(spec, "process"), "args"), i, v) k +=
	    (size_t)snprintf(buf + k, size - k, "%s%s", i ? " " : "", json_string_value(v));
	return buf;
}

static const char *spec_cwd(json_t *spec)
{
	return json_string_value(json_object_get(json_object_get(spec, "process"), "cwd"));
}

static void test_args(void **state)
{
	(void)state;
	const char *cfg = "{\"config\":{\"Entrypoint\":[\"/ep\",\"-x\"],\"Cmd\":[\"c1\",\"c2\"]}}";
	char *cmd[] = {"a", "b"};
	struct run_opts o = {0};
	berth_error_t err = NULL;
	char buf[256];
	json_t *s;

	s = spec_of(cfg, &o, &err);
	assert_non_null(s);
	assert_string_equal(spec_args(s, buf, sizeof(buf)), "/ep -x c1 c2");
	json_decref(s);
	/* CMD… replaces Cmd */
	o.cmd = cmd;
	o.n_cmd = 2;
	s = spec_of(cfg, &o, &err);
	assert_string_equal(spec_args(s, buf, sizeof(buf)), "/ep -x a b");
	json_decref(s);
	/* --entrypoint replaces Entrypoint and drops Cmd */
	o.n_cmd = 0;
	o.has_entrypoint = true;
	o.entrypoint = "sh";
	s = spec_of(cfg, &o, &err);
	assert_string_equal(spec_args(s, buf, sizeof(buf)), "sh");
	json_decref(s);
	/* nothing to run */
	memset(&o, 0, sizeof(o));
	assert_null(spec_of("{\"config\":{}}", &o, &err));
	assert_non_null(strstr(err->msg, "no command"));
	berth_error_release(&err);
}

static void test_env(void **state)
{
	(void)state;
	char *env[] = {"A=2", "B=3"};
	struct run_opts o = {.env = env, .n_env = 2, .tty = true, .hostname = "hh"};
	berth_error_t err = NULL;
	json_t *s =
	    spec_of("{\"config\":{\"Env\":[\"A=1\",\"PATH=/x\"],\"Cmd\":[\"sh\"]}}", &o, &err);
	json_t *e = json_object_get(json_object_get(s, "process"), "env");
	cleanup_free char *all = NULL;
	json_t *v;
	size_t i;

	assert_non_null(s);
	all = xstrdup("");
	json_array_foreach(e, i, v)
	{
		char *t = xasprintf("%s%s;", all, json_string_value(v));
		free(all);
		all = t;
	}
	/* the image's PATH over the default, -e over the image's, in order */
	assert_string_equal(all, "PATH=/x;A=2;TERM=xterm;HOSTNAME=hh;B=3;");
	assert_true(json_is_true(json_object_get(json_object_get(s, "process"), "terminal")));
	json_decref(s);
}

static void test_cwd(void **state)
{
	(void)state;
	struct run_opts o = {0};
	berth_error_t err = NULL;
	json_t *s;

	s = spec_of("{\"config\":{\"Cmd\":[\"sh\"]}}", &o, &err);
	assert_string_equal(spec_cwd(s), "/");
	json_decref(s);
	s = spec_of("{\"config\":{\"Cmd\":[\"sh\"],\"WorkingDir\":\"/srv\"}}", &o, &err);
	assert_string_equal(spec_cwd(s), "/srv");
	json_decref(s);
	o.workdir = "/w";
	s = spec_of("{\"config\":{\"Cmd\":[\"sh\"],\"WorkingDir\":\"/srv\"}}", &o, &err);
	assert_string_equal(spec_cwd(s), "/w");
	json_decref(s);
	/* an image's WorkingDir under /proc is refused */
	o.workdir = NULL;
	assert_null(spec_of("{\"config\":{\"Cmd\":[\"sh\"],\"WorkingDir\":\"/proc/self/fd/7\"}}",
	                    &o, &err));
	assert_string_equal(err->msg,
	                    "bad image WorkingDir `/proc/self/fd/7`: a working directory under "
	                    "/proc could lead out of the container; give a directory of its own");
	berth_error_release(&err);
}

static void test_check_workdir(void **state)
{
	(void)state;
	const char *bad[] = {"/proc/self/fd/7",          "/proc",       "/proc/", "//proc/1/cwd",
	                     "/./proc/self/cwd",         "/../../proc", "rel",    "",
	                     "/../proc/thread-self/fd/3"};
	const char *good[] = {"/", "/tmp", "/procx", "/srv/proc", "/./tmp", "/proc2/x"};
	berth_error_t err = NULL;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(spec_check_workdir("-w", bad[i], &err), -1);
		assert_non_null(strstr(err->msg, "bad -w `"));
		berth_error_release(&err);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(spec_check_workdir("-w", good[i], &err), 0);
}

static void test_opts(void **state)
{
	(void)state;
	char *vol_rel[] = {"./rel:/x"}, *vol_mode[] = {"/tmp:/x:zz"}, *env_bad[] = {"=x"};
	char *vol_named[] = {"data1:/x:ro"}, *vol_anon[] = {"/x"}, *vol_badname[] = {"-x:/x"};
	char *mnt_bad[] = {"type=volume,target=/x,bogus=1"};
	char *mnt_tmpfs_src[] = {"type=tmpfs,source=a1,target=/x"};
	char *mnt_good[] = {"type=volume,source=v1,target=/v,readonly", "type=bind,src=/tmp,dst=/b",
	                    "type=tmpfs,target=/t,tmpfs-size=1m"};
	char *tmpfs_bad[] = {"/y:size=1m,bogus"}, *tmpfs_dup[] = {"/v/:size=1m"};
	struct run_opts o = {0};
	berth_error_t err = NULL;

	assert_int_equal(spec_check_opts(&o, &err), 0);
	o.volumes = vol_rel, o.n_volumes = 1;
	assert_int_equal(spec_check_opts(&o, &err), -1);
	assert_non_null(strstr(err->msg, "relative path"));
	o.volumes = vol_mode;
	assert_int_equal(spec_check_opts(&o, &err), -1);
	assert_non_null(strstr(err->msg, "unknown mode"));
	o.volumes = vol_named;
	assert_int_equal(spec_check_opts(&o, &err), 0);
	o.volumes = vol_anon;
	assert_int_equal(spec_check_opts(&o, &err), 0);
	o.volumes = vol_badname;
	assert_int_equal(spec_check_opts(&o, &err), -1);
	assert_non_null(strstr(err->msg, "a volume name is"));
	o.n_volumes = 0;
	o.mounts = mnt_bad, o.n_mounts = 1;
	assert_int_equal(spec_check_opts(&o, &err), -1);
	assert_non_null(strstr(err->msg, "unknown key `bogus`"));
	o.mounts = mnt_tmpfs_src;
	assert_int_equal(spec_check_opts(&o, &err), -1);
	assert_non_null(strstr(err->msg, "takes no source"));
	o.mounts = mnt_good, o.n_mounts = 3;
	assert_int_equal(spec_check_opts(&o, &err), 0);
	o.tmpfs = tmpfs_bad, o.n_tmpfs = 1;
	assert_int_equal(spec_check_opts(&o, &err), -1);
	assert_non_null(strstr(err->msg, "unknown option `bogus`"));
	o.tmpfs = tmpfs_dup;
	assert_int_equal(spec_check_opts(&o, &err), -1);
	assert_non_null(strstr(err->msg, "both mount on `/v`"));
	o.n_tmpfs = 0, o.n_mounts = 0;
	o.env = env_bad, o.n_env = 1;
	assert_int_equal(spec_check_opts(&o, &err), -1);
	o.n_env = 0;
	o.user = "a:b:c";
	assert_int_equal(spec_check_opts(&o, &err), -1);
	o.user = NULL;
	o.workdir = "/proc/self/fd/3";
	assert_int_equal(spec_check_opts(&o, &err), -1);
	berth_error_release(&err);
}

static void test_sizes(void **state)
{
	(void)state;
	assert_int_equal(spec_parse_size("512m"), 512LL << 20);
	assert_int_equal(spec_parse_size("1g"), 1LL << 30);
	assert_int_equal(spec_parse_size("100000"), 100000);
	assert_int_equal(spec_parse_size("12x"), -1);
}

/* --memory: the runtime's minimum (6 MiB) is checked before anything is made */
static void test_memory_minimum(void **state)
{
	berth_error_t err = NULL;
	int64_t v = 0;

	(void)state;
	assert_int_equal(spec_parse_memory("6m", &v, &err), 0);
	assert_int_equal(v, 6LL << 20);
	assert_int_equal(spec_parse_memory("100", &v, &err), -1);
	assert_non_null(strstr(err->msg, "--memory `100`"));
	assert_non_null(strstr(err->msg, "minimum of 6m (6291456 bytes)"));
	berth_error_release(&err);
	assert_int_equal(spec_parse_memory("6291455", &v, &err), -1);
	berth_error_release(&err);
	assert_int_equal(spec_parse_memory("lots", &v, &err), -1);
	assert_non_null(strstr(err->msg, "expected a size like 64m or 1g"));
	berth_error_release(&err);
	assert_int_equal(v, 6LL << 20);
}

static void test_limits(void **state)
{
	(void)state;
	struct run_opts o = {.memory = 64 << 20, .pids = 50, .cpus = 0.5, .read_only = true};
	berth_error_t err = NULL;
	json_t *s = spec_of("{\"config\":{\"Cmd\":[\"sh\"]}}", &o, &err);
	json_t *res = json_object_get(json_object_get(s, "linux"), "resources");
	json_t *mem = json_object_get(res, "memory"), *pids = json_object_get(res, "pids");
	json_t *cpu = json_object_get(res, "cpu");

	assert_non_null(s);
	assert_int_equal(json_integer_value(json_object_get(mem, "limit")), 64 << 20);
	assert_int_equal(json_integer_value(json_object_get(pids, "limit")), 50);
	assert_int_equal(json_integer_value(json_object_get(cpu, "quota")), 50000);
	assert_true(json_is_true(json_object_get(json_object_get(s, "root"), "readonly")));
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(s, "linux"), "cgroupsPath")),
	    "/berth/0123456789abcdef0123");
	json_decref(s);
}

/* The process's capability set (bounding), comma-joined. */
static const char *spec_caps_text(json_t *s, char *buf, size_t size)
{
	json_t *v;
	size_t i, k = 0;

	buf[0] = '\0';
	json_array_foreach(
	    json_object_get(json_object_get(json_object_get(s, "process"), "capabilities"),
	                    "bounding"),
	    i, v) k +=
	    (size_t)snprintf(buf + k, size - k, "%s%s", i ? "," : "", json_string_value(v));
	return buf;
}

static void test_runflags_default_caps(void **state)
{
	(void)state;
	struct run_opts o = {0};
	berth_error_t err = NULL;
	char buf[2048];
	json_t *s = spec_of("{\"config\":{\"Cmd\":[\"sh\"]}}", &o, &err);

	assert_non_null(s);
	/* Docker's fourteen */
	assert_string_equal(spec_caps_text(s, buf, sizeof(buf)),
	                    "CAP_AUDIT_WRITE,CAP_CHOWN,CAP_DAC_OVERRIDE,CAP_FOWNER,CAP_FSETID,"
	                    "CAP_KILL,CAP_MKNOD,CAP_NET_BIND_SERVICE,CAP_NET_RAW,CAP_SETFCAP,"
	                    "CAP_SETGID,CAP_SETPCAP,CAP_SETUID,CAP_SYS_CHROOT");
	/* Docker's default: no_new_privs off */
	assert_true(
	    json_is_false(json_object_get(json_object_get(s, "process"), "noNewPrivileges")));
	json_decref(s);
}

static void test_runflags_privileged(void **state)
{
	(void)state;
	struct run_opts o = {.privileged = true};
	berth_error_t err = NULL;
	char buf[4096];
	json_t *s = spec_of("{\"config\":{\"Cmd\":[\"sh\"]}}", &o, &err);
	json_t *lin = json_object_get(s, "linux"), *m;
	size_t i;

	assert_non_null(s);
	assert_non_null(strstr(spec_caps_text(s, buf, sizeof(buf)), "CAP_SYS_ADMIN"));
	assert_null(json_object_get(lin, "maskedPaths"));
	assert_null(json_object_get(lin, "readonlyPaths"));
	/* /dev/null of the host at least */
	assert_true(json_array_size(json_object_get(lin, "devices")) > 0);
	json_array_foreach(json_object_get(s, "mounts"), i, m)
	{
		json_t *opt;
		size_t k;
		if (strcmp(json_string_value(json_object_get(m, "destination")), "/sys") != 0)
			continue;
		json_array_foreach(json_object_get(m, "options"), k, opt)
		    assert_string_not_equal(json_string_value(opt), "ro");
	}
	json_decref(s);
}

static void test_runflags_limits(void **state)
{
	(void)state;
	char *ul[] = {"nofile=100:200", "core=unlimited"};
	char *sc[] = {"net.ipv4.ip_forward=1"};
	struct run_opts o = {.ulimits = ul,
	                     .n_ulimits = 2,
	                     .sysctls = sc,
	                     .n_sysctls = 1,
	                     .shm_size = 1 << 20,
	                     .tz = "UTC"};
	berth_error_t err = NULL;
	json_t *s = spec_of("{\"config\":{\"Cmd\":[\"sh\"]}}", &o, &err);
	json_t *rl, *v, *m;
	size_t i;
	bool nofile = false, core = false, shm = false, tz = false;

	assert_non_null(s);
	rl = json_object_get(json_object_get(s, "process"), "rlimits");
	json_array_foreach(rl, i, v)
	{
		const char *t = json_string_value(json_object_get(v, "type"));
		if (strcmp(t, "RLIMIT_NOFILE") == 0) {
			assert_false(nofile);
			assert_int_equal(json_integer_value(json_object_get(v, "soft")), 100);
			assert_int_equal(json_integer_value(json_object_get(v, "hard")), 200);
			nofile = true;
		}
		if (strcmp(t, "RLIMIT_CORE") == 0)
			core = json_integer_value(json_object_get(v, "hard")) == INT64_MAX;
	}
	assert_true(nofile);
	assert_true(core);
	assert_string_equal(
	    json_string_value(json_object_get(
	        json_object_get(json_object_get(s, "linux"), "sysctl"), "net.ipv4.ip_forward")),
	    "1");
	json_array_foreach(json_object_get(s, "mounts"), i, m)
	{
		json_t *opt;
		size_t k;
		if (strcmp(json_string_value(json_object_get(m, "destination")), "/dev/shm") != 0)
			continue;
		json_array_foreach(json_object_get(m, "options"), k, opt)
		{
			assert_string_not_equal(json_string_value(opt), "size=65536k");
			if (strcmp(json_string_value(opt), "size=1024k") == 0)
				shm = true;
		}
	}
	assert_true(shm);
	json_array_foreach(json_object_get(json_object_get(s, "process"), "env"), i, v) tz =
	    tz || strcmp(json_string_value(v), "TZ=UTC") == 0;
	assert_true(tz);
	json_decref(s);
}

static void test_runflags_check(void **state)
{
	(void)state;
	static const struct {
		const char *field, *value, *msg;
	} bad[] = {
	    {"ulimit", "nofile", "bad --ulimit `nofile`"},
	    {"ulimit", "bogus=1", "unknown limit"},
	    {"ulimit", "nofile=20:10", "soft limit is above"},
	    {"ulimit", "nofile=x", "bad --ulimit"},
	    {"sysctl", "kernel.panic=1", "not namespaced"},
	    {"sysctl", "=1", "bad --sysctl"},
	    {"device", "/nonexistent-dev", "bad --device"},
	    {"device", "/etc/passwd", "is not a device"},
	    {"device", "/dev/null:/dev/x:rwz", "bad --device"},
	    {"tz", "../etc/passwd", "bad --tz"},
	    {"tz", "Nowhere/Bogus", "no such zone"},
	    {"stop_signal", "SIGBOGUS", "bad --stop-signal"},
	    {"label", "=v", "bad --label"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *one[] = {(char *)bad[i].value};
		struct run_opts o = {0};
		berth_error_t err = NULL;
		if (strcmp(bad[i].field, "ulimit") == 0)
			o.ulimits = one, o.n_ulimits = 1;
		else if (strcmp(bad[i].field, "sysctl") == 0)
			o.sysctls = one, o.n_sysctls = 1;
		else if (strcmp(bad[i].field, "device") == 0)
			o.devices = one, o.n_devices = 1;
		else if (strcmp(bad[i].field, "tz") == 0)
			o.tz = bad[i].value;
		else if (strcmp(bad[i].field, "stop_signal") == 0)
			o.stop_signal = bad[i].value;
		else
			o.labels = one, o.n_labels = 1;
		assert_int_equal(spec_check_opts(&o, &err), -1);
		assert_non_null(err);
		if (strstr(err->msg, bad[i].msg) == NULL)
			fail_msg("%s `%s`: %s", bad[i].field, bad[i].value, err->msg);
		berth_error_release(&err);
	}
	{
		char *ok[] = {"/dev/null:/dev/nul2:r"};
		char *sc[] = {"net.ipv4.ip_forward=1"};
		struct run_opts o = {.devices = ok, .n_devices = 1, .stop_signal = "SIGUSR1"};
		berth_error_t err = NULL;
		assert_int_equal(spec_check_opts(&o, &err), 0);
		/* net.* would be the host's with --network host */
		o.sysctls = sc, o.n_sysctls = 1, o.network = "host";
		assert_int_equal(spec_check_opts(&o, &err), -1);
		assert_non_null(strstr(err->msg, "--network host"));
		berth_error_release(&err);
	}
	{
		struct run_opts o = {0};
		berth_error_t err = NULL;
		assert_int_equal(runflags_security_opt(&o, "no-new-privileges", &err), 0);
		assert_true(o.no_new_privs);
		assert_int_equal(runflags_security_opt(&o, "seccomp=unconfined", &err), 0);
		assert_string_equal(o.seccomp, "unconfined");
		assert_int_equal(runflags_security_opt(&o, "apparmor=x", &err), -1);
		assert_non_null(strstr(err->msg, "bad --security-opt `apparmor=x`"));
		berth_error_release(&err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_args),
	    cmocka_unit_test(test_env),
	    cmocka_unit_test(test_cwd),
	    cmocka_unit_test(test_check_workdir),
	    cmocka_unit_test(test_opts),
	    cmocka_unit_test(test_sizes),
	    cmocka_unit_test(test_memory_minimum),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_runflags_default_caps),
	    cmocka_unit_test(test_runflags_privileged),
	    cmocka_unit_test(test_runflags_limits),
	    cmocka_unit_test(test_runflags_check),
	};
	return cmocka_run_group_tests_name("engine spec", tests, NULL, NULL);
}
