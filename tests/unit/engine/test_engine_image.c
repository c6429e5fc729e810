/* SPDX-License-Identifier: MIT */
/* Unit tests for image references and the image index (src/engine/image.c, import.c): names
 * as Docker and Podman spell them, import of a rootfs tarball into a scratch store, lookup by
 * name, tag, digest and id prefix, a name moving between images, removal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "image_priv.h"
#include "regref.h"
#include "tar.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_ref_normalize(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
	    {"busybox", "busybox:latest"},
	    {"busybox:1.36", "busybox:1.36"},
	    {"docker.io/library/busybox", "busybox:latest"},
	    {"docker.io/library/busybox:musl", "busybox:musl"},
	    {"docker.io/user/app", "user/app:latest"},
	    {"localhost/mine:2", "mine:2"},
	    /* a registry's port is not a tag */
	    {"registry:5000/app", "registry:5000/app:latest"},
	    {"registry:5000/app:v1", "registry:5000/app:v1"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *n = image_ref_normalize(cases[i][0]);
		assert_string_equal(n, cases[i][1]);
		free(n);
	}
	assert_string_equal(image_short_name("localhost/x:1"), "x:1");
	assert_string_equal(image_short_name("quay.io/x:1"), "quay.io/x:1");
	/* a digest is sha256 and 64 hex digits */
	{
		char d[80];
		snprintf(d, sizeof(d), "sha256:%064d", 7);
		assert_string_equal(image_digest_hex(d), d + 7);
		d[70] = 'X';
		assert_null(image_digest_hex(d));
	}
	assert_null(image_digest_hex("sha256:abc"));
	assert_null(image_digest_hex("md5:abc"));
}

struct store {
	char dir[64];
	char tarpath[96];
	struct engine e;
};

static int store_setup(void **state)
{
	struct store *s = xmalloc0(sizeof(*s));
	const struct tar_ent t[] = {{"bin/", AE_IFDIR, NULL, 0}, {"bin/hello", AE_IFREG, "hi", 0}};
	berth_error_t err = NULL;
	int fd, out;
	char buf[4096];
	ssize_t n;

	snprintf(s->dir, sizeof(s->dir), "/tmp/berth-image-XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	assert_int_equal(engine_open(&s->e, s->dir, &err), 0);
	/* a rootfs tarball on disk */
	snprintf(s->tarpath, sizeof(s->tarpath), "%s/rootfs.tar", s->dir);
	fd = tar_make(t, 2);
	out = open(s->tarpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0 && out >= 0);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, (size_t)n), n);
	close(fd);
	close(out);
	*state = s;
	return 0;
}

static int store_teardown(void **state)
{
	struct store *s = *state;
	berth_error_t err = NULL;
	engine_close(&s->e);
	util_rm_rf(s->dir, &err);
	berth_error_release(&err);
	free(s);
	return 0;
}

static size_t index_entries(struct store *s)
{
	berth_error_t err = NULL;
	json_t *idx = image_index_load(&s->e, &err);
	size_t n = json_array_size(json_object_get(idx, "manifests"));
	json_decref(idx);
	return n;
}

static void test_import_find(void **state)
{
	struct store *s = *state;
	berth_error_t err = NULL;
	struct image *img = NULL, *again = NULL;
	char *name = NULL;
	char prefix[8];

	assert_int_equal(image_import(&s->e, s->tarpath, "app", &name, &err), 0);
	assert_string_equal(name, "app:latest");
	free(name);
	assert_int_equal(index_entries(s), 1);
	/* by name, name:tag, the manifest digest, an id prefix */
	assert_int_equal(image_find(&s->e, "app", &img, &err), 0);
	assert_string_equal(img->name, "app:latest");
	assert_int_equal(img->n_layers, 1);
	assert_non_null(img->config);
	assert_int_equal(image_find(&s->e, "localhost/app:latest", &again, &err), 0);
	assert_string_equal(again->id, img->id);
	image_free(again);
	assert_int_equal(image_find(&s->e, img->digest, &again, &err), 0);
	assert_string_equal(again->id, img->id);
	image_free(again);
	snprintf(prefix, sizeof(prefix), "%.6s", img->id);
	assert_int_equal(image_find(&s->e, prefix, &again, &err), 0);
	assert_string_equal(again->id, img->id);
	image_free(again);
	/* the unpacked layer is where the image says */
	{
		cleanup_free char *d = image_layer_dir(&s->e, img->layers[0]);
		cleanup_free char *f = xasprintf("%s/bin/hello", d);
		assert_int_equal(access(f, F_OK), 0);
	}
	/* unknown names and tags; a prefix too short to be an id */
	assert_int_equal(image_find(&s->e, "app:other", &again, &err), -1);
	assert_non_null(strstr(err->msg, "not found"));
	berth_error_release(&err);
	snprintf(prefix, sizeof(prefix), "%.3s", img->id);
	assert_int_equal(image_find(&s->e, prefix, &again, &err), -1);
	berth_error_release(&err);
	image_free(img);
}

static void test_index_names(void **state)
{
	struct store *s = *state;
	berth_error_t err = NULL;
	struct image *img = NULL;
	char *name = NULL;
	char digest[80];

	assert_int_equal(image_import(&s->e, s->tarpath, "one", &name, &err), 0);
	free(name);
	assert_int_equal(image_find(&s->e, "one", &img, &err), 0);
	snprintf(digest, sizeof(digest), "%s", img->digest);
	image_free(img);
	/* the same manifest under a second name: two entries */
	assert_int_equal(image_index_add(&s->e, "two:latest", digest, 100, NULL, &err), 0);
	assert_int_equal(index_entries(s), 2);
	/* a name given again moves; the entry it leaves without a name goes */
	assert_int_equal(image_index_add(&s->e, "two:latest", digest, 100, NULL, &err), 0);
	assert_int_equal(index_entries(s), 2);
	/* rmi of one name keeps the other, and the blobs */
	assert_int_equal(image_remove(&s->e, "one", false, NULL, &err), 0);
	assert_int_equal(index_entries(s), 1);
	assert_int_equal(image_find(&s->e, "two", &img, &err), 0);
	image_free(img);
	assert_int_equal(image_find(&s->e, "one", &img, &err), -1);
	berth_error_release(&err);
	assert_int_equal(image_remove(&s->e, "two", false, NULL, &err), 0);
	assert_int_equal(index_entries(s), 0);
	assert_int_equal(image_remove(&s->e, "two", false, NULL, &err), -1);
	berth_error_release(&err);
}

/* image_find_platform: a single image of the host's platform, and a list holding it, give
 * it for the host's platform (and NULL); another platform is one line naming the image, the
 * platform and what there is; a bad platform string is refused. */
static void test_find_platform(void **state)
{
	struct store *s = *state;
	berth_error_t err = NULL;
	struct image *img = NULL, *again = NULL;
	struct platform host;
	char hbuf[100], *name = NULL;
	const char *other;

	platform_host(&host);
	platform_format(&host, hbuf, sizeof(hbuf));
	other = strcmp(host.arch, "riscv64") == 0 ? "linux/s390x" : "linux/riscv64";
	assert_int_equal(image_import(&s->e, s->tarpath, "app", &name, &err), 0);
	free(name);
	assert_int_equal(image_find(&s->e, "app", &img, &err), 0);
	assert_int_equal(image_find_platform(&s->e, "app", NULL, &again, &err), 0);
	assert_string_equal(again->id, img->id);
	image_free(again);
	assert_int_equal(image_find_platform(&s->e, "app", hbuf, &again, &err), 0);
	assert_string_equal(again->id, img->id);
	image_free(again);
	assert_int_equal(image_find_platform(&s->e, "app", other, &again, &err), -1);
	assert_null(again);
	{
		cleanup_free char *want =
		    xasprintf("image \"app\" has no %s variant (it has: %s)", other, hbuf);
		assert_string_equal(err->msg, want);
	}
	berth_error_release(&err);
	assert_int_equal(image_find_platform(&s->e, "app", "riscv64", &again, &err), -1);
	assert_non_null(strstr(err->msg, "bad --platform `riscv64`"));
	berth_error_release(&err);
	/* a manifest list of that one image */
	assert_int_equal(manifest_create(&s->e, "multi", &err), 0);
	assert_int_equal(manifest_add(&s->e, "multi", "app", &err), 0);
	assert_int_equal(image_find_platform(&s->e, "multi", hbuf, &again, &err), 0);
	assert_string_equal(again->id, img->id);
	assert_non_null(again->list);
	image_free(again);
	assert_int_equal(image_find_platform(&s->e, "multi", other, &again, &err), -1);
	{
		cleanup_free char *want =
		    xasprintf("image \"multi\" has no %s variant (it has: %s)", other, hbuf);
		assert_string_equal(err->msg, want);
	}
	berth_error_release(&err);
	image_free(img);
}

/* A failed import leaves the store as it was. */
static void test_import_bad(void **state)
{
	struct store *s = *state;
	berth_error_t err = NULL;
	cleanup_free char *bad = xasprintf("%s/bad.tar", s->dir);

	assert_int_equal(util_write_file_atomic(bad, "not a tar at all", 16, 0600, &err), 0);
	assert_int_equal(image_import(&s->e, bad, "bad", NULL, &err), -1);
	berth_error_release(&err);
	assert_int_equal(index_entries(s), 0);
	{
		cleanup_free char *tmp = engine_path(&s->e, "tmp");
		DIR *d = opendir(tmp);
		struct dirent *de;
		int n = 0;
		assert_non_null(d);
		while ((de = readdir(d)) != NULL)
			n += de->d_name[0] != '.';
		closedir(d);
		assert_int_equal(n, 0);
	}
}

/* import --change: Docker's instructions (and Podman's INSTR=VALUE) into a config */
static void test_change_apply(void **state)
{
	static const char *const good[] = {
	    "CMD [\"/sbin/init\"]",
	    "entrypoint=/bin/x y",
	    "ENV A=1 \"B=two words\"",
	    "ENV C some value",
	    "ENV A=3",
	    "EXPOSE 80 53/udp",
	    "LABEL a=b \"c d\"=e",
	    "STOPSIGNAL=SIGRTMIN+3",
	    "VOLUME [\"/v\"]",
	    "VOLUME /x /y",
	    "USER 1:2",
	    "WORKDIR /srv",
	};
	static const char *const bad[] = {
	    "FROM x",      "CMD",     "CMD [1]",    "ENV \"a",   "ENV =x",          "EXPOSE 0",
	    "EXPOSE 80/x", "LABEL x", "VOLUME rel", "WORKDIR x", "STOPSIGNAL NOPE",
	};
	json_t *c = json_object();
	berth_error_t err = NULL;
	char *text;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(image_change_apply(c, good[i], &err), 0);
	text = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(
	    text, "{\"Cmd\":[\"/sbin/init\"],\"Entrypoint\":[\"/bin/sh\",\"-c\",\"/bin/x y\"],"
	          "\"Env\":[\"A=3\",\"B=two words\",\"C=some value\"],"
	          "\"ExposedPorts\":{\"53/udp\":{},\"80/tcp\":{}},"
	          "\"Labels\":{\"a\":\"b\",\"c d\":\"e\"},\"StopSignal\":\"SIGRTMIN+3\","
	          "\"User\":\"1:2\",\"Volumes\":{\"/v\":{},\"/x\":{},\"/y\":{}},"
	          "\"WorkingDir\":\"/srv\"}");
	free(text);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(image_change_apply(c, bad[i], &err), -1);
		assert_non_null(strstr(err->msg, bad[i]));
		berth_error_release(&err);
	}
	json_decref(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ref_normalize),
	    cmocka_unit_test(test_change_apply),
	    cmocka_unit_test_setup_teardown(test_import_find, store_setup, store_teardown),
	    cmocka_unit_test_setup_teardown(test_index_names, store_setup, store_teardown),
	    cmocka_unit_test_setup_teardown(test_import_bad, store_setup, store_teardown),
	    cmocka_unit_test_setup_teardown(test_find_platform, store_setup, store_teardown),
	};
	return cmocka_run_group_tests_name("engine image", tests, NULL, NULL);
}
