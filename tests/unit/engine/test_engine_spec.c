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
	};
	return cmocka_run_group_tests_name("engine spec", tests, NULL, NULL);
}
