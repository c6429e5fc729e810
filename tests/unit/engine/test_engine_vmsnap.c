/* SPDX-License-Identifier: MIT */
/* A snapshot's state file as the engine reads it (src/engine/vmsnap.c): a good one opens,
 * and a flipped byte (the SHA-256), a truncated file, another format version, another
 * berth version and a META without args are each one error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sha256.h"
#include "util.h"
#include "vmm.h"
#include "vm/snapstate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/berth-vmsnap-XXXXXX";

/* Write DIR/state: META (text) and a MACH record, version ver, the right SHA-256. */
static size_t write_state(const char *meta, uint32_t ver, uint8_t **out)
{
	struct vm_snap_writer w = {0};
	uint64_t zero = 0, blen;
	struct sha256 h;
	char hex[65], path[64];
	uint8_t *f;
	size_t n;
	FILE *fp;

	vm_snap_put(&w, "META", 0, meta, strlen(meta));
	vm_snap_put(&w, "MACH", 0, &zero, sizeof(zero));
	n = 24 + w.len + 64;
	f = xmalloc0(n);
	blen = w.len;
	memcpy(f, "BERTHVMS", 8);
	memcpy(f + 8, &ver, 4);
	memcpy(f + 16, &blen, 8);
	memcpy(f + 24, w.buf, w.len);
	sha256_init(&h);
	sha256_update(&h, f, 24 + w.len);
	sha256_final_hex(&h, hex);
	memcpy(f + 24 + w.len, hex, 64);
	snprintf(path, sizeof(path), "%s/state", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(f, 1, n, fp), n);
	fclose(fp);
	vm_snap_writer_free(&w);
	*out = f;
	return n;
}

static void rewrite(const uint8_t *f, size_t n)
{
	char path[64];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/state", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(f, 1, n, fp), n);
	fclose(fp);
}

/* vmm_snapshot_open's error, or "" when it opened */
static char *open_error(void)
{
	static char msg[512];
	uint8_t *body = NULL;
	size_t len;
	json_t *meta = NULL;
	berth_error_t err = NULL;

	msg[0] = '\0';
	if (vmm_snapshot_open(dir, &body, &len, &meta, &err) < 0) {
		const char *m = strstr(err->msg, "`: ");
		snprintf(msg, sizeof(msg), "%s", m != NULL ? m + 3 : err->msg);
		berth_error_release(&err);
	}
	free(body);
	json_decref(meta);
	return msg;
}

static const char good[] = "{\"berth_version\": \"" BERTH_VERSION "\", \"args\": []}";

static void test_good(void **state)
{
	uint8_t *f;
	uint8_t *body = NULL;
	size_t len;
	json_t *meta = NULL;
	berth_error_t err = NULL;

	(void)state;
	write_state(good, 1, &f);
	assert_int_equal(vmm_snapshot_open(dir, &body, &len, &meta, &err), 0);
	assert_int_equal(len, 12 + strlen(good) + 12 + 8);
	assert_true(json_is_array(json_object_get(meta, "args")));
	free(body);
	json_decref(meta);
	free(f);
}

static void test_flipped_byte(void **state)
{
	uint8_t *f;
	size_t n;

	(void)state;
	n = write_state(good, 1, &f);
	for (size_t at = 24; at < n - 64; at += 7) {
		f[at] ^= 0x20;
		rewrite(f, n);
		assert_string_equal(open_error(), "the SHA-256 does not match (corrupt)");
		f[at] ^= 0x20;
	}
	free(f);
}

static void test_truncated(void **state)
{
	uint8_t *f;
	size_t n;

	(void)state;
	n = write_state(good, 1, &f);
	rewrite(f, n - 1);
	assert_non_null(strstr(open_error(), "(truncated or corrupt)"));
	rewrite(f, 10);
	assert_string_equal(open_error(), "not a berth VM snapshot state file");
	free(f);
}

static void test_versions(void **state)
{
	uint8_t *f;

	(void)state;
	write_state(good, 2, &f);
	free(f);
	assert_string_equal(open_error(), "state format version 2, this berth reads 1");
	write_state("{\"berth_version\": \"0.0.0-other\", \"args\": []}", 1, &f);
	free(f);
	assert_string_equal(open_error(),
	                    "made by berth 0.0.0-other, this is berth " BERTH_VERSION);
	write_state("{\"berth_version\": \"" BERTH_VERSION "\"}", 1, &f);
	free(f);
	assert_string_equal(open_error(), "record META: no args");
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	char path[64];

	(void)state;
	snprintf(path, sizeof(path), "%s/state", dir);
	unlink(path);
	rmdir(dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good),
	    cmocka_unit_test(test_flipped_byte),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_versions),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
