/* SPDX-License-Identifier: MIT */
/* Unit tests for unpacking layers safely (src/engine/unpack.c): every way out of the layer
 * (`..`, absolute paths, symlinks out, hard links out, whiteouts and hard links under a
 * symlinked parent) stays inside it or fails; OCI
 * whiteouts become overlayfs ones. Run as root (owners, device nodes, trusted xattrs). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine.h"
#include "tar.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

/* a scratch directory: top/ holds the layer (top/layer) and what must stay untouched */
struct scratch {
	char top[64];
	char layer[96];
};

static int scratch_setup(void **state)
{
	struct scratch *s = xmalloc0(sizeof(*s));
	snprintf(s->top, sizeof(s->top), "/tmp/berth-unpack-XXXXXX");
	assert_non_null(mkdtemp(s->top));
	snprintf(s->layer, sizeof(s->layer), "%s/layer", s->top);
	assert_int_equal(mkdir(s->layer, 0755), 0);
	*state = s;
	return 0;
}

static int scratch_teardown(void **state)
{
	struct scratch *s = *state;
	berth_error_t err = NULL;
	util_rm_rf(s->top, &err);
	berth_error_release(&err);
	free(s);
	return 0;
}

static int unpack(struct scratch *s, const struct tar_ent *ents, size_t n, berth_error_t *err)
{
	int fd = tar_make(ents, n);
	int r;

	assert_true(fd >= 0);
	r = layer_unpack(fd, "layer", s->layer, NULL, err);
	close(fd);
	return r;
}

static bool exists(const char *dir, const char *name)
{
	cleanup_free char *p = xasprintf("%s/%s", dir, name);
	struct stat st;
	return lstat(p, &st) == 0;
}

static void test_dotdot(void **state)
{
	struct scratch *s = *state;
	const struct tar_ent t[] = {{"ok", AE_IFREG, "x", 0}, {"../escape", AE_IFREG, "x", 0}};
	const struct tar_ent t2[] = {{"a/../../escape2", AE_IFREG, "x", 0}};
	berth_error_t err = NULL;

	assert_int_equal(unpack(s, t, 2, &err), -1);
	assert_non_null(strstr(err->msg, "leaves the layer"));
	berth_error_release(&err);
	assert_true(exists(s->layer, "ok"));
	assert_false(exists(s->top, "escape"));
	assert_int_equal(unpack(s, t2, 1, &err), -1);
	berth_error_release(&err);
	assert_false(exists(s->top, "escape2"));
}

static void test_absolute(void **state)
{
	struct scratch *s = *state;
	cleanup_free char *abs = xasprintf("%s/abs", s->top);
	const struct tar_ent t[] = {{abs, AE_IFREG, "x", 0}, {"/./d//f", AE_IFREG, "y", 0}};
	cleanup_free char *inside = xasprintf("%s%s", s->layer, abs);
	berth_error_t err = NULL;
	struct stat st;

	assert_int_equal(unpack(s, t, 2, &err), 0);
	/* the leading / is dropped: the whole path lands inside the layer */
	assert_false(exists(s->top, "abs"));
	assert_int_equal(stat(inside, &st), 0);
	assert_true(exists(s->layer, "d/f"));
}

static void test_symlink_out(void **state)
{
	struct scratch *s = *state;
	cleanup_free char *out = xasprintf("%s/out", s->top);
	const struct tar_ent t[] = {{"lnk", AE_IFLNK, out, 0}, {"lnk/f", AE_IFREG, "x", 0}};
	const struct tar_ent t2[] = {{"rel", AE_IFLNK, "../../../../../../..", 0},
	                             {"rel/berth-unpack-escape", AE_IFREG, "x", 0}};
	berth_error_t err = NULL;

	assert_int_equal(mkdir(out, 0755), 0);
	/* lnk -> <top>/out is followed as if the layer were /: <layer><top>/out/f, if at all */
	unpack(s, t, 2, &err);
	berth_error_release(&err);
	assert_false(exists(out, "f"));
	/* ../.. above the layer stays at its top */
	unpack(s, t2, 2, &err);
	berth_error_release(&err);
	assert_false(exists("/", "berth-unpack-escape"));
	assert_false(exists(s->top, "berth-unpack-escape"));
	/* the link itself is kept as it is, unfollowed */
	{
		cleanup_free char *p = xasprintf("%s/lnk", s->layer);
		struct stat st;
		assert_int_equal(lstat(p, &st), 0);
		assert_true(S_ISLNK(st.st_mode));
	}
}

static void test_hardlink_out(void **state)
{
	struct scratch *s = *state;
	cleanup_free char *host = xasprintf("%s/secret", s->top);
	cleanup_free char *hosttarget = xasprintf("%s/secret", s->top);
	const struct tar_ent t[] = {{"h", AE_IFREG, hosttarget, 1}};
	const struct tar_ent t2[] = {{"etc/passwd", AE_IFREG, "layer's", 0},
	                             {"h2", AE_IFREG, "/etc/passwd", 1},
	                             {"h3", AE_IFREG, "../../etc/passwd", 1}};
	berth_error_t err = NULL;
	struct stat a, b, hs;

	assert_int_equal(util_write_file_atomic(host, "host", 4, 0600, &err), 0);
	/* a target outside the layer does not exist inside it: refused */
	assert_int_equal(unpack(s, t, 1, &err), -1);
	berth_error_release(&err);
	assert_false(exists(s->layer, "h"));
	assert_int_equal(stat(host, &hs), 0);
	assert_int_equal(hs.st_nlink, 1);
	/* an absolute target is the layer's own file */
	assert_int_equal(unpack(s, t2, 2, &err), 0);
	{
		cleanup_free char *p = xasprintf("%s/etc/passwd", s->layer);
		cleanup_free char *q = xasprintf("%s/h2", s->layer);
		assert_int_equal(stat(p, &a), 0);
		assert_int_equal(stat(q, &b), 0);
		assert_int_equal(a.st_ino, b.st_ino);
	}
	/* a `..` target is refused */
	assert_int_equal(unpack(s, t2 + 2, 1, &err), -1);
	assert_non_null(strstr(err->msg, "leaves the layer"));
	berth_error_release(&err);
}

static void test_whiteouts(void **state)
{
	struct scratch *s = *state;
	const struct tar_ent t[] = {{"d/", AE_IFDIR, NULL, 0},
	                            {"d/gone", AE_IFREG, "x", 0},
	                            {"d/.wh.gone", AE_IFREG, "", 0},
	                            {"o/", AE_IFDIR, NULL, 0},
	                            {"o/.wh..wh..opq", AE_IFREG, "", 0}};
	cleanup_free char *wh = xasprintf("%s/d/gone", s->layer);
	cleanup_free char *o = xasprintf("%s/o", s->layer);
	berth_error_t err = NULL;
	struct stat st;
	char v[4] = {0};
	ssize_t n;

	assert_int_equal(unpack(s, t, 5, &err), 0);
	/* .wh.NAME: a 0/0 character device NAME, and no .wh. file */
	assert_int_equal(lstat(wh, &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(major(st.st_rdev), 0);
	assert_int_equal(minor(st.st_rdev), 0);
	assert_false(exists(s->layer, "d/.wh.gone"));
	/* .wh..wh..opq: the opaque xattr on its directory */
	n = getxattr(o, "trusted.overlay.opaque", v, sizeof(v) - 1);
	if (n < 0 && errno == ENOTSUP)
		skip();
	assert_int_equal(n, 1);
	assert_string_equal(v, "y");
	assert_false(exists(s->layer, "o/.wh..wh..opq"));
}

/* A whiteout's name may not lead out either. */
static void test_whiteout_dotdot(void **state)
{
	struct scratch *s = *state;
	const struct tar_ent t[] = {{"../.wh.victim", AE_IFREG, "", 0}};
	berth_error_t err = NULL;
	cleanup_free char *victim = xasprintf("%s/victim", s->top);

	assert_int_equal(util_write_file_atomic(victim, "v", 1, 0600, &err), 0);
	assert_int_equal(unpack(s, t, 1, &err), -1);
	berth_error_release(&err);
	assert_true(exists(s->top, "victim"));
}

/* Whiteouts, an opaque marker and a hard link's target under a symlink to a host directory
 * (absolute, and `..` above the layer) are resolved inside the layer: the host directory keeps
 * its file, its link count and has no opaque xattr. */
static void test_symlink_parent(void **state)
{
	struct scratch *s = *state;
	cleanup_free char *host = xasprintf("%s/hostdir", s->top);
	cleanup_free char *victim = xasprintf("%s/hostdir/v", s->top);
	const struct tar_ent h[] = {{"lnk", AE_IFLNK, host, 0}, {"h", AE_IFREG, "lnk/v", 1}};
	const struct tar_ent h2[] = {{"rel", AE_IFLNK, "../hostdir", 0},
	                             {"h2", AE_IFREG, "rel/v", 1}};
	const struct tar_ent t[] = {{"lnk", AE_IFLNK, host, 0},
	                            {"rel", AE_IFLNK, "../hostdir", 0},
	                            {"lnk/.wh.v", AE_IFREG, "", 0},
	                            {"rel/.wh.v", AE_IFREG, "", 0},
	                            {"lnk/.wh..wh..opq", AE_IFREG, "", 0},
	                            {"rel/.wh..wh..opq", AE_IFREG, "", 0}};
	berth_error_t err = NULL;
	struct stat st;
	char v[4];

	assert_int_equal(mkdir(host, 0755), 0);
	assert_int_equal(util_write_file_atomic(victim, "v", 1, 0600, &err), 0);
	/* a hard link to the host file through either link: no such file inside, refused */
	assert_int_equal(unpack(s, h, 2, &err), -1);
	berth_error_release(&err);
	assert_int_equal(unpack(s, h2, 2, &err), -1);
	berth_error_release(&err);
	assert_int_equal(lstat(victim, &st), 0);
	assert_int_equal(st.st_nlink, 1);
	assert_false(exists(s->layer, "h"));
	assert_false(exists(s->layer, "h2"));
	/* whiteouts and opaque markers through them land inside the layer */
	unpack(s, t, 6, &err);
	berth_error_release(&err);
	assert_int_equal(lstat(victim, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(getxattr(host, "trusted.overlay.opaque", v, sizeof(v)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_dotdot, scratch_setup, scratch_teardown),
	    cmocka_unit_test_setup_teardown(test_absolute, scratch_setup, scratch_teardown),
	    cmocka_unit_test_setup_teardown(test_symlink_out, scratch_setup, scratch_teardown),
	    cmocka_unit_test_setup_teardown(test_hardlink_out, scratch_setup, scratch_teardown),
	    cmocka_unit_test_setup_teardown(test_whiteouts, scratch_setup, scratch_teardown),
	    cmocka_unit_test_setup_teardown(test_whiteout_dotdot, scratch_setup, scratch_teardown),
	    cmocka_unit_test_setup_teardown(test_symlink_parent, scratch_setup, scratch_teardown),
	};
	return cmocka_run_group_tests_name("engine unpack", tests, NULL, NULL);
}
