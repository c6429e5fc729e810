/* SPDX-License-Identifier: MIT */
/* Unit tests for the pure parts of the registry client (src/engine/regref.c): references as
 * Docker and Podman spell them, platforms and their choice in an index, WWW-Authenticate
 * challenges, registries.conf search lists, base64. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "regref.h"
#include "sha256.h"

#include <stdlib.h>
#include <string.h>

static const char D[] = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static void check_ref(const char *s, const char *reg, const char *repo, const char *tag,
                      const char *digest)
{
	struct image_ref r;
	berth_error_t err = NULL;

	if (ref_parse(s, &r, &err) != 0)
		fail_msg("%s: %s", s, err->msg);
	if (reg)
		assert_string_equal(r.registry, reg);
	else
		assert_null(r.registry);
	assert_string_equal(r.repo, repo);
	if (tag)
		assert_string_equal(r.tag, tag);
	else
		assert_null(r.tag);
	if (digest)
		assert_string_equal(r.digest, digest);
	else
		assert_null(r.digest);
	ref_free(&r);
}

static void test_ref_parse(void **state)
{
	char buf[256];

	(void)state;
	check_ref("busybox", NULL, "busybox", "latest", NULL);
	check_ref("user/app:1.0", NULL, "user/app", "1.0", NULL);
	check_ref("127.0.0.1:5000/busybox", "127.0.0.1:5000", "busybox", "latest", NULL);
	check_ref("localhost/a/b:x", "localhost", "a/b", "x", NULL);
	check_ref("quay.io/org/app-1_x.y__z:v1.2-rc", "quay.io", "org/app-1_x.y__z", "v1.2-rc",
	          NULL);
	check_ref("[::1]:5000/app", "[::1]:5000", "app", "latest", NULL);
	snprintf(buf, sizeof(buf), "reg:5000/app@%s", D);
	check_ref(buf, "reg:5000", "app", NULL, D);
	snprintf(buf, sizeof(buf), "reg:5000/app:v2@%s", D);
	check_ref(buf, "reg:5000", "app", "v2", D);
}

static void test_ref_bad(void **state)
{
	static const char *const bad[] = {
	    "",
	    "Busybox",
	    "app:",
	    "app:-x",
	    "a//b",
	    "/app",
	    "app/",
	    "a..b",
	    "reg:abc/app",
	    "app@sha256:abc",
	    "app@md5:" /* */,
	    "-reg.io/app",
	    "reg.io:/app",
	    "app:a/b",
	    "ap$p",
	    "a__-b",
	    "reg:123456/app",
	    "app@sha256:0123",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct image_ref r;
		berth_error_t err = NULL;
		if (ref_parse(bad[i], &r, &err) == 0)
			fail_msg("`%s` was accepted", bad[i]);
		assert_non_null(strstr(err->msg, "bad image reference"));
		berth_error_release(&err);
	}
}

static void test_ref_strings(void **state)
{
	struct image_ref r, q;
	berth_error_t err = NULL;
	char buf[256];
	char *s;

	(void)state;
	assert_int_equal(ref_parse("busybox", &r, &err), 0);
	assert_int_equal(ref_qualify(&r, "docker.io", &q, &err), 0);
	s = ref_name(&q);
	assert_string_equal(s, "docker.io/library/busybox:latest");
	free(s);
	assert_string_equal(ref_endpoint(q.registry), "registry-1.docker.io");
	ref_free(&q);
	assert_int_equal(ref_qualify(&r, "127.0.0.1:5000", &q, &err), 0);
	s = ref_string(&q);
	assert_string_equal(s, "127.0.0.1:5000/busybox:latest");
	free(s);
	assert_string_equal(ref_endpoint(q.registry), "127.0.0.1:5000");
	ref_free(&q);
	assert_int_equal(ref_qualify(&r, "bad host/", &q, &err), -1);
	berth_error_release(&err);
	ref_free(&r);
	snprintf(buf, sizeof(buf), "r.io/a:t@%s", D);
	assert_int_equal(ref_parse(buf, &r, &err), 0);
	s = ref_string(&r);
	assert_string_equal(s, buf);
	free(s);
	s = ref_name(&r);
	snprintf(buf, sizeof(buf), "r.io/a@%s", D);
	assert_string_equal(s, buf);
	free(s);
	ref_free(&r);
}

static void test_platform(void **state)
{
	struct platform p;
	berth_error_t err = NULL;
	char buf[100];
	json_t *ms = json_loads(
	    "[{\"digest\":\"a\",\"platform\":{\"os\":\"unknown\",\"architecture\":\"unknown\"}},"
	    " {\"digest\":\"b\",\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\"}},"
	    " {\"digest\":\"c\",\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\","
	    "\"variant\":\"v6\"}},"
	    " {\"digest\":\"d\",\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\","
	    "\"variant\":\"v7\"}},"
	    " {\"digest\":\"e\",\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}},"
	    " {\"digest\":\"f\",\"platform\":{\"os\":\"linux\",\"architecture\":\"riscv64\"}}]",
	    0, NULL);

	(void)state;
	assert_non_null(ms);
	assert_int_equal(platform_parse("linux/arm/v7", &p, &err), 0);
	assert_string_equal(p.variant, "v7");
	assert_int_equal(platform_select(ms, &p, &err), 3);
	platform_format(&p, buf, sizeof(buf));
	assert_string_equal(buf, "linux/arm/v7");
	assert_int_equal(platform_parse("linux/arm64/v8", &p, &err), 0);
	assert_int_equal(platform_select(ms, &p, &err), 1);
	assert_int_equal(platform_parse("linux/riscv64", &p, &err), 0);
	assert_int_equal(platform_select(ms, &p, &err), 5);
	assert_int_equal(platform_parse("linux/arm", &p, &err), 0);
	assert_int_equal(platform_select(ms, &p, &err), 2);
	/* unknown/unknown is an attestation, never chosen */
	assert_int_equal(platform_parse("unknown/unknown", &p, &err), 0);
	assert_int_equal(platform_select(ms, &p, &err), -1);
	assert_non_null(strstr(err->msg, "no image for unknown/unknown"));
	assert_non_null(strstr(err->msg, "linux/arm/v6, linux/arm/v7"));
	assert_null(strstr(err->msg, "unknown/unknown,"));
	berth_error_release(&err);
	assert_int_equal(platform_parse("linux/s390x", &p, &err), 0);
	assert_int_equal(platform_select(ms, &p, &err), -1);
	berth_error_release(&err);
	assert_int_equal(platform_parse("linux", &p, &err), -1);
	berth_error_release(&err);
	assert_int_equal(platform_parse("linux/amd64/v2/x", &p, &err), -1);
	berth_error_release(&err);
	assert_int_equal(platform_parse("linux//", &p, &err), -1);
	berth_error_release(&err);
	platform_host(&p);
	assert_string_equal(p.os, "linux");
#if defined(__x86_64__)
	assert_string_equal(p.arch, "amd64");
	assert_int_equal(platform_select(ms, &p, &err), 4);
#endif
	json_decref(ms);
}

static void test_www_auth(void **state)
{
	struct www_auth w;
	berth_error_t err = NULL;

	(void)state;
	assert_int_equal(
	    www_auth_parse("Bearer realm=\"https://auth.example/token\",service=\"reg\","
	                   "scope=\"repository:a/b:pull,push\"",
	                   &w, &err),
	    0);
	assert_string_equal(w.scheme, "bearer");
	assert_string_equal(w.realm, "https://auth.example/token");
	assert_string_equal(w.service, "reg");
	assert_string_equal(w.scope, "repository:a/b:pull,push");
	www_auth_free(&w);
	assert_int_equal(www_auth_parse("Basic realm=\"x \\\"y\\\"\"", &w, &err), 0);
	assert_string_equal(w.scheme, "basic");
	assert_string_equal(w.realm, "x \"y\"");
	assert_null(w.service);
	www_auth_free(&w);
	assert_int_equal(www_auth_parse("bearer realm=http://h/t, service=s", &w, &err), 0);
	assert_string_equal(w.realm, "http://h/t");
	assert_string_equal(w.service, "s");
	www_auth_free(&w);
	assert_int_equal(www_auth_parse("Bearer realm=\"unterminated", &w, &err), -1);
	berth_error_release(&err);
	assert_int_equal(www_auth_parse("Bearer junk", &w, &err), -1);
	berth_error_release(&err);
	assert_int_equal(www_auth_parse("", &w, &err), -1);
	berth_error_release(&err);
}

static void test_regconf(void **state)
{
	char **l;
	size_t n;
	berth_error_t err = NULL;

	(void)state;
	assert_int_equal(regconf_search("# nothing\n", "f", &l, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(
	    regconf_search("# c\nunqualified-search-registries = [\"a.io\", 'b:5000']\n", "f", &l,
	                   &n, &err),
	    0);
	assert_int_equal(n, 2);
	assert_string_equal(l[0], "a.io");
	assert_string_equal(l[1], "b:5000");
	for (size_t i = 0; i < n; i++)
		free(l[i]);
	free(l);
	assert_int_equal(regconf_search("unqualified-search-registries = [\n  \"x.io\", # one\n"
	                                "  \"y.io\",\n]\n",
	                                "f", &l, &n, &err),
	                 0);
	assert_int_equal(n, 2);
	assert_string_equal(l[1], "y.io");
	for (size_t i = 0; i < n; i++)
		free(l[i]);
	free(l);
	/* under a table it is not the top-level key */
	assert_int_equal(regconf_search("[aliases]\nunqualified-search-registries = [\"a\"]\n", "f",
	                                &l, &n, &err),
	                 0);
	assert_int_equal(n, 0);
	assert_int_equal(
	    regconf_search("unqualified-search-registries = \"a\"\n", "f", &l, &n, &err), -1);
	assert_non_null(strstr(err->msg, "f: unqualified-search-registries"));
	berth_error_release(&err);
	assert_int_equal(
	    regconf_search("unqualified-search-registries = [\"a\", b]\n", "f", &l, &n, &err), -1);
	berth_error_release(&err);
}

static void test_base64(void **state)
{
	static const char *const c[][2] = {
	    {"", ""},
	    {"f", "Zg=="},
	    {"fo", "Zm8="},
	    {"foo", "Zm9v"},
	    {"user:pa:ss", "dXNlcjpwYTpzcw=="},
	};
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		char *e = base64_encode(c[i][0], strlen(c[i][0]));
		char *d = base64_decode(c[i][1], &len);
		assert_string_equal(e, c[i][1]);
		assert_non_null(d);
		assert_int_equal(len, strlen(c[i][0]));
		assert_memory_equal(d, c[i][0], len);
		free(e);
		free(d);
	}
	assert_null(base64_decode("Zg=", &len));
	assert_null(base64_decode("Z$==", &len));
	assert_null(base64_decode("Zg==Zg==", &len));
}

/* the store's digests (OpenSSL underneath): FIPS 180-2 vectors, and a stream fed in pieces */
static void test_sha256(void **state)
{
	char h[65];
	struct sha256 s;
	static const char m[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

	(void)state;
	sha256_hex("abc", 3, h);
	assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha256_hex("", 0, h);
	assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256_init(&s);
	for (size_t i = 0; i < sizeof(m) - 1; i += 5)
		sha256_update(&s, m + i, sizeof(m) - 1 - i < 5 ? sizeof(m) - 1 - i : 5);
	sha256_final_hex(&s, h);
	assert_string_equal(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ref_parse),   cmocka_unit_test(test_ref_bad),
	    cmocka_unit_test(test_ref_strings), cmocka_unit_test(test_platform),
	    cmocka_unit_test(test_www_auth),    cmocka_unit_test(test_regconf),
	    cmocka_unit_test(test_base64),      cmocka_unit_test(test_sha256),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
