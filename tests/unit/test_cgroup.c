/* SPDX-License-Identifier: MIT */
/* Unit tests for src/container/cgroup*.c: paths, conversions, host detection from a fake
 * mountinfo, v2 against a fake cgroup2 tree (every write recorded), device rules and the
 * eBPF program, and — as root on a host with cgroups — v1/hybrid for real. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cgroup.h"
#include "cgroup_priv.h"
#include "error.h"
#include "manage.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

/* ---- helpers ----------------------------------------------------------------------- */

static void touch(const char *dir, const char *file, const char *content)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static char *slurp(const char *dir, const char *file)
{
	char *s = NULL;
	berth_error_t err = NULL;

	if (cgroup_read(dir, file, &s, &err) < 0) {
		berth_error_release(&err);
		return NULL;
	}
	return s;
}

static void rm_rf(const char *dir)
{
	berth_error_t err = NULL;
	if (util_rm_rf(dir, &err) < 0)
		berth_error_release(&err);
}

/* The write journal: "relative/dir file=value" per write. */
static char *journal[256];
static size_t n_journal;
static const char *journal_root;

static void journal_hook(const char *dir, const char *file, const char *value)
{
	const char *rel = dir;
	size_t n = strlen(journal_root);

	if (strncmp(dir, journal_root, n) == 0)
		rel = dir + n;
	assert_true(n_journal < ARRAY_SIZE(journal));
	journal[n_journal++] = xasprintf("%s %s=%s", *rel ? rel : "/", file, value);
}

static void journal_reset(void)
{
	for (size_t i = 0; i < n_journal; i++)
		free(journal[i]);
	n_journal = 0;
}

static void journal_expect(const char *const *want, size_t n)
{
	for (size_t i = 0; i < n && i < n_journal; i++)
		assert_string_equal(journal[i], want[i]);
	assert_int_equal(n_journal, n);
}

static bool is_root_with_cgroups(void)
{
	struct cgroup_host h;
	berth_error_t err = NULL;

	if (geteuid() != 0)
		return false;
	if (cgroup_host_detect(&h, NULL, &err) < 0) {
		berth_error_release(&err);
		return false;
	}
	return h.mode == CGROUP_MODE_V1 || h.mode == CGROUP_MODE_HYBRID;
}

/* ---- paths ------------------------------------------------------------------------- */

static void expect_path(const char *in, const char *id, const char *want)
{
	berth_error_t err = NULL;
	char *p = cgroup_path_for(in, id, &err);

	if (p == NULL)
		fail_msg("cgroup_path_for(%s): %s", in ? in : "NULL", err->msg);
	assert_string_equal(p, want);
	free(p);
}

static void expect_path_error(const char *in, const char *id)
{
	berth_error_t err = NULL;
	char *p = cgroup_path_for(in, id, &err);

	if (p != NULL)
		fail_msg("cgroup_path_for(%s) gave %s", in, p);
	assert_non_null(err);
	berth_error_release(&err);
}

static void test_path_for(void **state)
{
	(void)state;
	expect_path(NULL, "c1", "/berth/c1");
	expect_path("", "c1", "/berth/c1");
	expect_path("/a/b", "c1", "/a/b");
	expect_path("/a//b/", "c1", "/a/b");
	expect_path("a/b", "c1", "/a/b");
	expect_path("system.slice:docker:abc", "c1", "/system.slice/docker-abc.scope");
	expect_path("a-b.slice:p:n", "c1", "/a.slice/a-b.slice/p-n.scope");
	expect_path("a-b-c.slice:p:n", "c1", "/a.slice/a-b.slice/a-b-c.slice/p-n.scope");
	expect_path(":p:n", "c1", "/system.slice/p-n.scope");
	expect_path("-.slice:p:n", "c1", "/p-n.scope");
	expect_path("s.slice::n", "c1", "/s.slice/n.scope");
	expect_path("a.slice:p:x.slice", "c1", "/a.slice/x.slice");
	expect_path("/a:b:c/d", "c1", "/a:b:c/d"); /* a slash: a path, not systemd's form */

	expect_path_error("/a/../b", "c1");
	expect_path_error("..", "c1");
	expect_path_error("a/./b", "c1");
	expect_path_error("/", "c1");
	expect_path_error("//", "c1");
	expect_path_error("/a/b\n", "c1");
	expect_path_error(NULL, "");
	expect_path_error(NULL, "..");
	expect_path_error("x.slice:p:", "c1");
	expect_path_error("x:p:n", "c1");          /* not a slice */
	expect_path_error("-a.slice:p:n", "c1");   /* empty component */
	expect_path_error("a--b.slice:p:n", "c1"); /* empty component */
	expect_path_error("a-.slice:p:n", "c1");
	expect_path_error(".slice:p:n", "c1");
}

/* ---- conversions ------------------------------------------------------------------- */

static void test_conversions(void **state)
{
	berth_error_t err = NULL;
	int64_t v;
	bool set;

	(void)state;
	assert_int_equal(cgroup_shares_to_weight(0), 0);
	assert_int_equal(cgroup_shares_to_weight(1), 1); /* clamped to 2 */
	assert_int_equal(cgroup_shares_to_weight(2), 1);
	assert_int_equal(cgroup_shares_to_weight(1024), 39);
	assert_int_equal(cgroup_shares_to_weight(262144), 10000);
	assert_int_equal(cgroup_shares_to_weight(1000000), 10000);

	assert_int_equal(cgroup_blkio_to_io_weight(0), 0);
	assert_int_equal(cgroup_blkio_to_io_weight(10), 1);
	assert_int_equal(cgroup_blkio_to_io_weight(500), 4950);
	assert_int_equal(cgroup_blkio_to_io_weight(1000), 10000);

	/* swap: OCI's memory+swap to v2's swap alone */
	assert_int_equal(cgroup_swap_to_v2(0, 0, &v, &set, &err), 0);
	assert_false(set);
	assert_int_equal(cgroup_swap_to_v2(0, -1, &v, &set, &err), 0);
	assert_true(set);
	assert_int_equal(v, -1);
	assert_int_equal(cgroup_swap_to_v2(-1, 100, &v, &set, &err), 0);
	assert_int_equal(v, -1);
	assert_int_equal(cgroup_swap_to_v2(300, 100, &v, &set, &err), 0);
	assert_true(set);
	assert_int_equal(v, 200);
	assert_int_equal(cgroup_swap_to_v2(100, 100, &v, &set, &err), 0);
	assert_int_equal(v, 0);
	assert_int_equal(cgroup_swap_to_v2(50, 100, &v, &set, &err), -1);
	berth_error_release(&err);
	assert_int_equal(cgroup_swap_to_v2(50, 0, &v, &set, &err), -1);
	berth_error_release(&err);
	assert_int_equal(cgroup_swap_to_v2(50, -1, &v, &set, &err), -1);
	berth_error_release(&err);
}

/* ---- detection ----------------------------------------------------------------------- */

static void test_detect_mountinfo(void **state)
{
	char tmpl[] = "/tmp/berth-cg-XXXXXX";
	char *root = mkdtemp(tmpl);
	char path[4096], mi[4096];
	struct cgroup_host h;
	berth_error_t err = NULL;
	FILE *f;

	(void)state;
	assert_non_null(root);
	snprintf(path, sizeof(path), "%s/unified", root);
	assert_int_equal(mkdir(path, 0755), 0);
	touch(path, "cgroup.controllers", "hugetlb\n");
	snprintf(mi, sizeof(mi), "%s/mountinfo", root);
	f = fopen(mi, "w");
	assert_non_null(f);
	fprintf(f, "22 1 0:21 / /sys rw - sysfs sysfs rw\n");
	fprintf(f,
	        "31 30 0:28 / %s/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup "
	        "rw,cpu,cpuacct\n",
	        root);
	fprintf(f, "32 30 0:29 / %s/memory rw - cgroup cgroup rw,memory\n", root);
	fprintf(f, "33 30 0:29 / %s/memory2 rw - cgroup cgroup rw,memory\n", root); /* again */
	fprintf(f, "34 30 0:30 / %s/systemd rw - cgroup cgroup rw,xattr,name=systemd\n", root);
	fprintf(f, "35 30 0:31 / %s/net_cls\\040x rw - cgroup cgroup rw,net_cls,net_prio\n", root);
	fprintf(f, "36 30 0:32 / /elsewhere/blkio rw - cgroup cgroup rw,blkio\n");
	fprintf(f, "37 30 0:33 / %s/unified rw - cgroup2 cgroup2 rw,nsdelegate\n", root);
	fclose(f);

	struct cgroup_detect_opts o = {.root = root, .mountinfo = mi};
	if (cgroup_host_detect_opts(&h, &o, &err) < 0)
		fail_msg("%s", err->msg);
	assert_int_equal(h.mode, CGROUP_MODE_HYBRID);
	assert_int_equal(h.n_v1, 4);
	snprintf(path, sizeof(path), "%s/cpu,cpuacct", root);
	assert_string_equal(h.v1[0].mount, path);
	assert_string_equal(h.v1[0].options, "cpu,cpuacct");
	assert_int_equal(h.v1[0].controllers,
	                 (1u << CGROUP_CTRL_CPU) | (1u << CGROUP_CTRL_CPUACCT));
	assert_string_equal(h.v1[2].options, "name=systemd");
	assert_int_equal(h.v1[2].controllers, 0);
	snprintf(path, sizeof(path), "%s/net_cls x", root);
	assert_string_equal(h.v1[3].mount, path);
	assert_false(h.v1_controllers & (1u << CGROUP_CTRL_IO)); /* not under root */
	assert_true(h.has_v2);
	assert_int_equal(h.v2_controllers, 1u << CGROUP_CTRL_HUGETLB);
	assert_false(h.plain); /* memory2 dropped */

	/* only v1 */
	f = fopen(mi, "w");
	fprintf(f, "32 30 0:29 / %s/memory rw - cgroup cgroup rw,memory\n", root);
	fclose(f);
	assert_int_equal(cgroup_host_detect_opts(&h, &o, &err), 0);
	assert_int_equal(h.mode, CGROUP_MODE_V1);
	assert_false(h.has_v2);
	assert_true(h.plain);

	/* a hierarchy that shows a cgroup below its root, or mounted deeper: not plain */
	f = fopen(mi, "w");
	fprintf(f, "32 30 0:29 /berth %s/memory rw - cgroup cgroup rw,memory\n", root);
	fclose(f);
	assert_int_equal(cgroup_host_detect_opts(&h, &o, &err), 0);
	assert_false(h.plain);
	f = fopen(mi, "w");
	fprintf(f, "32 30 0:29 / %s/memory rw - cgroup cgroup rw,memory\n", root);
	fprintf(f, "33 30 0:30 / %s/a/pids rw - cgroup cgroup rw,pids\n", root);
	fclose(f);
	assert_int_equal(cgroup_host_detect_opts(&h, &o, &err), 0);
	assert_false(h.plain);

	/* nothing */
	f = fopen(mi, "w");
	fclose(f);
	assert_int_equal(cgroup_host_detect_opts(&h, &o, &err), -1);
	berth_error_release(&err);
	rm_rf(root);
}

/* ---- v2 against a fake tree -------------------------------------------------------- */

static const char *const v2_leaf_files[] = {
    "cgroup.procs", "memory.max",    "memory.low",    "memory.high",   "memory.swap.max",
    "cpu.weight",   "cpu.max",       "cpu.max.burst", "cpu.idle",      "cpuset.cpus",
    "cpuset.mems",  "pids.max",      "io.weight",     "io.max",        "hugetlb.2MB.max",
    "rdma.max",     "cgroup.freeze", "cgroup.events", "memory.current"};

struct fake_v2 {
	char root[64];
	char leaf[4096];
	struct cgroup_host h;
	struct cgroup *cg;
};

static void fake_v2_setup(struct fake_v2 *fv, const char *controllers)
{
	char mid[4096];
	berth_error_t err = NULL;
	struct cgroup_detect_opts o = {.force = CGROUP_MODE_V2};

	strcpy(fv->root, "/tmp/berth-cg2-XXXXXX");
	assert_non_null(mkdtemp(fv->root));
	touch(fv->root, "cgroup.controllers", controllers);
	touch(fv->root, "cgroup.subtree_control", "");
	snprintf(mid, sizeof(mid), "%s/berth", fv->root);
	assert_int_equal(mkdir(mid, 0755), 0);
	touch(mid, "cgroup.controllers", controllers);
	touch(mid, "cgroup.subtree_control", "");
	o.root = fv->root;
	if (cgroup_host_detect_opts(&fv->h, &o, &err) < 0)
		fail_msg("%s", err->msg);
	journal_root = fv->root;
	cgroup_write_hook = journal_hook;
	if (cgroup_create(&fv->h, "/berth/t1", &fv->cg, &err) < 0)
		fail_msg("%s", err->msg);
	snprintf(fv->leaf, sizeof(fv->leaf), "%s/berth/t1", fv->root);
	for (size_t i = 0; i < ARRAY_SIZE(v2_leaf_files); i++)
		touch(fv->leaf, v2_leaf_files[i], "");
}

static void fake_v2_teardown(struct fake_v2 *fv)
{
	cgroup_write_hook = NULL;
	journal_reset();
	cgroup_free(fv->cg);
	rm_rf(fv->root);
}

static void full_resources(struct config_resources *r)
{
	static struct config_throttle_device rbps[] = {{8, 0, 1048576}};
	static struct config_throttle_device wiops[] = {{8, 16, 100}};
	static struct config_hugepage_limit huge[] = {{"2MB", 0}};
	static struct config_rdma rdma[] = {{"mlx5_1", true, true, 3, 4}};
	static struct config_kv unified[] = {{"memory.high", "900000000"}, {"pids.max", "50"}};
	static struct config_net_priority prio[] = {{"eth0", 5}};

	memset(r, 0, sizeof(*r));
	r->has_memory = true;
	r->has_mem_limit = r->has_mem_reservation = r->has_mem_swap = true;
	r->mem_limit = 1073741824;
	r->mem_reservation = 536870912;
	r->mem_swap = 2147483648;
	r->has_mem_kernel = true; /* warned about, ignored */
	r->mem_kernel = 1;
	r->has_cpu = true;
	r->has_cpu_shares = r->has_cpu_quota = r->has_cpu_period = r->has_cpu_burst = true;
	r->cpu_shares = 1024;
	r->cpu_quota = 50000;
	r->cpu_period = 100000;
	r->cpu_burst = 1000;
	r->has_cpu_idle = true;
	r->cpu_idle = 0;
	r->cpu_cpus = "0-1";
	r->cpu_mems = "0";
	r->has_pids_limit = true;
	r->pids_limit = 100;
	r->has_blkio = r->has_blkio_weight = true;
	r->blkio_weight = 500;
	r->blkio_throttle_read_bps = rbps;
	r->n_blkio_throttle_read_bps = 1;
	r->blkio_throttle_write_iops = wiops;
	r->n_blkio_throttle_write_iops = 1;
	r->hugepage_limits = huge;
	r->n_hugepage_limits = 1;
	r->rdma = rdma;
	r->n_rdma = 1;
	r->has_network = r->has_net_class_id = true; /* v1 only: warned about on v2 */
	r->net_class_id = 0x100001;
	r->net_priorities = prio;
	r->n_net_priorities = 1;
	r->unified = unified;
	r->n_unified = 2;
}

static void test_v2_fake_full(void **state)
{
	struct fake_v2 fv;
	struct config_resources r;
	struct cgroup_apply_opts o = {.skip_devices = true};
	berth_error_t err = NULL;
	const char *create[] = {
	    "/ cgroup.subtree_control=+cpu +cpuset +io +memory +pids +hugetlb +rdma",
	    "/berth cgroup.subtree_control=+cpu +cpuset +io +memory +pids +hugetlb +rdma",
	};
	const char *apply[] = {
	    "/berth/t1 memory.swap.max=1073741824",
	    "/berth/t1 memory.max=1073741824",
	    "/berth/t1 memory.low=536870912",
	    "/berth/t1 cpu.idle=0",
	    "/berth/t1 cpu.weight=39",
	    "/berth/t1 cpu.max.burst=1000",
	    "/berth/t1 cpu.max=50000 100000",
	    "/berth/t1 cpuset.cpus=0-1",
	    "/berth/t1 cpuset.mems=0",
	    "/berth/t1 pids.max=100",
	    "/berth/t1 io.weight=4950",
	    "/berth/t1 io.max=8:0 rbps=1048576",
	    "/berth/t1 io.max=8:16 wiops=100",
	    "/berth/t1 hugetlb.2MB.max=0",
	    "/berth/t1 rdma.max=mlx5_1 hca_handle=3 hca_object=4",
	    "/berth/t1 memory.high=900000000",
	    "/berth/t1 pids.max=50",
	};

	(void)state;
	fake_v2_setup(&fv, "cpu cpuset io memory pids hugetlb rdma\n");
	assert_int_equal(fv.h.mode, CGROUP_MODE_V2);
	journal_expect(create, ARRAY_SIZE(create));
	journal_reset();

	full_resources(&r);
	if (cgroup_apply_opts(fv.cg, &r, &o, &err) < 0)
		fail_msg("%s", err->msg);
	journal_expect(apply, ARRAY_SIZE(apply));
	journal_reset();

	/* BFQ present: the raw weight goes to io.bfq.weight, weightDevice too */
	{
		struct config_resources b = {0};
		struct config_weight_device wd[] = {{8, 0, true, false, 300, 0}};
		const char *want[] = {"/berth/t1 io.bfq.weight=500",
		                      "/berth/t1 io.bfq.weight=8:0 300"};
		touch(fv.leaf, "io.bfq.weight", "");
		b.has_blkio = b.has_blkio_weight = true;
		b.blkio_weight = 500;
		b.blkio_weight_device = wd;
		b.n_blkio_weight_device = 1;
		assert_int_equal(cgroup_apply_opts(fv.cg, &b, &o, &err), 0);
		journal_expect(want, ARRAY_SIZE(want));
		journal_reset();
	}
	/* memory -1 without swap: both unlimited; quota -1 with a period: "max P" */
	{
		struct config_resources m = {0};
		const char *want[] = {"/berth/t1 memory.swap.max=max", "/berth/t1 memory.max=max",
		                      "/berth/t1 cpu.max=max 250000", "/berth/t1 pids.max=max"};
		m.has_mem_limit = true;
		m.mem_limit = -1;
		m.has_cpu_quota = m.has_cpu_period = true;
		m.cpu_quota = -1;
		m.cpu_period = 250000;
		m.has_pids_limit = true;
		m.pids_limit = -1;
		assert_int_equal(cgroup_apply_opts(fv.cg, &m, &o, &err), 0);
		journal_expect(want, ARRAY_SIZE(want));
		journal_reset();
	}
	/* checkBeforeUpdate: a limit below the usage is refused on update */
	{
		struct config_resources m = {0};
		struct cgroup_apply_opts u = {.skip_devices = true, .update = true};
		touch(fv.leaf, "memory.current", "5000\n");
		m.has_mem_limit = m.has_mem_check_before_update = true;
		m.mem_limit = 4096;
		m.mem_check_before_update = true;
		assert_int_equal(cgroup_apply_opts(fv.cg, &m, &u, &err), -1);
		assert_non_null(strstr(err->msg, "below current usage 5000"));
		berth_error_release(&err);
		assert_int_equal(n_journal, 0);
	}
	/* a hugepage size the host lacks */
	{
		struct config_resources m = {0};
		struct config_hugepage_limit huge[] = {{"1GB", 1}};
		m.hugepage_limits = huge;
		m.n_hugepage_limits = 1;
		assert_int_equal(cgroup_apply_opts(fv.cg, &m, &o, &err), -1);
		assert_non_null(strstr(err->msg, "1GB"));
		berth_error_release(&err);
	}
	/* unified: a controller that is not available; a path */
	{
		struct config_resources m = {0};
		struct config_kv bad[] = {{"misc.max", "x 1"}};
		struct config_kv slash[] = {{"../x", "1"}};
		m.unified = bad;
		m.n_unified = 1;
		assert_int_equal(cgroup_apply_opts(fv.cg, &m, &o, &err), -1);
		assert_non_null(strstr(err->msg, "not available"));
		berth_error_release(&err);
		m.unified = slash;
		assert_int_equal(cgroup_apply_opts(fv.cg, &m, &o, &err), -1);
		berth_error_release(&err);
	}
	fake_v2_teardown(&fv);
}

/* ---- huge page sizes ------------------------------------------------------------------ */

/* The kernel's names (mm/hugetlb_cgroup.c) for the sizes of any host, not only this one's:
 * x86-64 offers 2 MB and 1 GB, arm64 64 KB, 2 MB, 32 MB, 512 MB, 1 GB and 16 GB. */
static void test_hugepage_names(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/berth-test-hugepages-XXXXXX";
	const char *dirs[] = {"hugepages-2048kB",  "hugepages-1048576kB", "hugepages-64kB",
	                      "hugepages-32768kB", "hugepages-524288kB",  "hugepages-16777216kB",
	                      "not-hugepages-8kB"};
	const char *want[] = {"2MB", "1GB", "64KB", "32MB", "512MB", "16GB"};
	char **v;
	size_t n = 99;

	assert_non_null(mkdtemp(tmpl));
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		cleanup_free char *p = xasprintf("%s/%s", tmpl, dirs[i]);
		assert_int_equal(mkdir(p, 0755), 0);
	}
	v = cgroup_hugepage_sizes(tmpl, &n);
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		bool found = false;
		for (size_t k = 0; k < n; k++)
			found = found || strcmp(v[k], want[i]) == 0;
		if (!found)
			fail_msg("%s is missing", want[i]);
	}
	cgroup_strv_free(v, n);
	rm_rf(tmpl);
	/* no such directory: no sizes */
	v = cgroup_hugepage_sizes(tmpl, &n);
	assert_null(v);
	assert_int_equal(n, 0);
}

/* ---- a hybrid host against a fake tree ------------------------------------------------ */

/* v1 hierarchies and a cgroup2 tree holding only hugetlb (this dev box's layout), found
 * through a fake mountinfo: each controller goes to its version's writer (cgroup_v1_ops or
 * cgroup_v2_ops), v1 cpuset is copied down and v2 controllers enabled on create, the v1
 * freezer and OOM file are used. */
static void test_hybrid_fake(void **state)
{
	static const char *const hier[] = {"cpu,cpuacct", "cpuset", "memory",
	                                   "pids",        "blkio",  "freezer"};
	static const char *const leaf_files[] = {
	    "cpu,cpuacct/berth/t1/cpu.shares",
	    "cpu,cpuacct/berth/t1/cpu.cfs_period_us",
	    "cpu,cpuacct/berth/t1/cpu.cfs_burst_us",
	    "cpu,cpuacct/berth/t1/cpu.cfs_quota_us",
	    "cpu,cpuacct/berth/t1/cpu.idle",
	    "memory/berth/t1/memory.limit_in_bytes",
	    "memory/berth/t1/memory.memsw.limit_in_bytes",
	    "memory/berth/t1/memory.soft_limit_in_bytes",
	    "pids/berth/t1/pids.max",
	    "blkio/berth/t1/blkio.weight",
	    "blkio/berth/t1/blkio.throttle.read_bps_device",
	    "blkio/berth/t1/blkio.throttle.write_iops_device",
	    "cpuset/berth/cpuset.cpus",
	    "cpuset/berth/cpuset.mems",
	    "cpuset/berth/t1/cpuset.cpus",
	    "cpuset/berth/t1/cpuset.mems",
	    "unified/berth/t1/hugetlb.2MB.max",
	    "unified/cgroup.subtree_control",
	    "unified/berth/cgroup.subtree_control",
	};
	const char *create[] = {
	    "/cpuset/berth cpuset.cpus=0-3",
	    "/cpuset/berth cpuset.mems=0",
	    "/cpuset/berth/t1 cpuset.cpus=0-3",
	    "/cpuset/berth/t1 cpuset.mems=0",
	    "/unified cgroup.subtree_control=+hugetlb",
	    "/unified/berth cgroup.subtree_control=+hugetlb",
	};
	const char *apply[] = {
	    "/memory/berth/t1 memory.limit_in_bytes=1073741824",
	    "/memory/berth/t1 memory.memsw.limit_in_bytes=2147483648",
	    "/memory/berth/t1 memory.soft_limit_in_bytes=536870912",
	    "/cpu,cpuacct/berth/t1 cpu.shares=1024",
	    "/cpu,cpuacct/berth/t1 cpu.cfs_period_us=100000",
	    "/cpu,cpuacct/berth/t1 cpu.cfs_burst_us=1000",
	    "/cpu,cpuacct/berth/t1 cpu.cfs_quota_us=50000",
	    "/cpu,cpuacct/berth/t1 cpu.idle=0",
	    "/cpuset/berth/t1 cpuset.cpus=0-1",
	    "/cpuset/berth/t1 cpuset.mems=0",
	    "/pids/berth/t1 pids.max=100",
	    "/blkio/berth/t1 blkio.weight=500",
	    "/blkio/berth/t1 blkio.throttle.read_bps_device=8:0 1048576",
	    "/blkio/berth/t1 blkio.throttle.write_iops_device=8:16 100",
	    "/unified/berth/t1 hugetlb.2MB.max=0",
	};
	const char *freeze[] = {"/freezer/berth/t1 freezer.state=FROZEN",
	                        "/freezer/berth/t1 freezer.state=THAWED"};
	char tmpl[] = "/tmp/berth-cgh-XXXXXX";
	char *root = mkdtemp(tmpl);
	char path[4096], mi[4096];
	struct cgroup_detect_opts o = {.mountinfo = mi};
	struct cgroup_apply_opts ao = {.skip_devices = true};
	struct config_resources r;
	struct cgroup_host h;
	struct cgroup *cg = NULL;
	berth_error_t err = NULL;
	uint64_t oom = 0;
	FILE *f;

	(void)state;
	assert_non_null(root);
	o.root = root;
	snprintf(mi, sizeof(mi), "%s/mountinfo", root);
	f = fopen(mi, "w");
	assert_non_null(f);
	for (size_t i = 0; i < ARRAY_SIZE(hier); i++) {
		snprintf(path, sizeof(path), "%s/%s/berth/t1", root, hier[i]);
		assert_int_equal(util_mkdir_p(path, 0755, &err), 0);
		fprintf(f, "%zu 30 0:%zu / %s/%s rw - cgroup cgroup rw,%s\n", 31 + i, 40 + i, root,
		        hier[i], hier[i]);
	}
	fprintf(f, "40 30 0:50 / %s/unified rw - cgroup2 cgroup2 rw\n", root);
	fclose(f);
	snprintf(path, sizeof(path), "%s/unified/berth/t1", root);
	assert_int_equal(util_mkdir_p(path, 0755, &err), 0);
	snprintf(path, sizeof(path), "%s/unified", root);
	touch(path, "cgroup.controllers", "hugetlb\n");
	snprintf(path, sizeof(path), "%s/unified/berth", root);
	touch(path, "cgroup.controllers", "hugetlb\n");
	for (size_t i = 0; i < ARRAY_SIZE(leaf_files); i++)
		touch(root, leaf_files[i], "");
	snprintf(path, sizeof(path), "%s/cpuset", root);
	touch(path, "cpuset.cpus", "0-3\n");
	touch(path, "cpuset.mems", "0\n");
	snprintf(path, sizeof(path), "%s/freezer/berth/t1", root);
	touch(path, "freezer.state", "THAWED\n");
	snprintf(path, sizeof(path), "%s/memory/berth/t1", root);
	touch(path, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");

	if (cgroup_host_detect_opts(&h, &o, &err) < 0)
		fail_msg("%s", err->msg);
	assert_int_equal(h.mode, CGROUP_MODE_HYBRID);
	assert_int_equal(h.n_v1, ARRAY_SIZE(hier));
	assert_int_equal(h.v2_controllers, 1u << CGROUP_CTRL_HUGETLB);

	journal_root = root;
	cgroup_write_hook = journal_hook;
	if (cgroup_create(&h, "/berth/t1", &cg, &err) < 0)
		fail_msg("%s", err->msg);
	journal_expect(create, ARRAY_SIZE(create));
	journal_reset();

	full_resources(&r);
	r.n_rdma = 0;               /* no rdma controller here */
	r.n_unified = 0;            /* v2 only */
	r.has_net_class_id = false; /* no net_cls hierarchy */
	r.n_net_priorities = 0;
	if (cgroup_apply_opts(cg, &r, &ao, &err) < 0)
		fail_msg("%s", err->msg);
	journal_expect(apply, ARRAY_SIZE(apply));
	journal_reset();

	/* net_cls has no hierarchy here: v1's error, not v2's "ignored" */
	memset(&r, 0, sizeof(r));
	r.has_net_class_id = true;
	r.net_class_id = 1;
	assert_int_equal(cgroup_apply_opts(cg, &r, &ao, &err), -1);
	assert_non_null(strstr(err->msg, "no net_cls controller"));
	berth_error_release(&err);

	/* the v1 freezer (a plain file here: it reads back what was written) */
	assert_int_equal(cgroup_is_frozen(cg, &err), 0);
	assert_int_equal(cgroup_freeze(cg, &err), 0);
	assert_int_equal(cgroup_is_frozen(cg, &err), 1);
	assert_int_equal(cgroup_thaw(cg, &err), 0);
	assert_int_equal(cgroup_is_frozen(cg, &err), 0);
	journal_expect(freeze, ARRAY_SIZE(freeze));
	journal_reset();

	assert_int_equal(cgroup_oom_count(cg, &oom, &err), 0);
	assert_int_equal(oom, 3);

	/* the directories for clone3 (v2) and the init's own move (0 to each v1 tasks) */
	{
		int v1[CGROUP_MAX_HIERARCHIES], v2 = -1;
		size_t n = 0;
		char buf[8];

		for (size_t i = 0; i < ARRAY_SIZE(hier); i++) {
			snprintf(path, sizeof(path), "%s/%s/berth/t1", root, hier[i]);
			touch(path, "tasks", "");
		}
		if (cgroup_open_dirs(cg, v1, &n, &v2, &err) < 0)
			fail_msg("%s", err->msg);
		assert_int_equal(n, ARRAY_SIZE(hier));
		assert_true(v2 >= 0);
		assert_int_equal(cgroup_join_self_v1(v1, n, &err), 0);
		for (size_t i = 0; i < ARRAY_SIZE(hier); i++) {
			int fd = openat(v1[i], "tasks", O_RDONLY | O_CLOEXEC);
			assert_true(fd >= 0);
			assert_int_equal(read(fd, buf, sizeof(buf)), 1);
			assert_int_equal(buf[0], '0');
			close(fd);
			close(v1[i]);
		}
		close(v2);
		/* one hierarchy without the directory: an error naming it, nothing open */
		snprintf(path, sizeof(path), "%s/pids/berth/t1", root);
		rm_rf(path);
		assert_int_equal(cgroup_open_dirs(cg, v1, &n, &v2, &err), -1);
		assert_non_null(strstr(err->msg, "pids/berth/t1"));
		berth_error_release(&err);
		assert_int_equal(n, 0);
		assert_int_equal(v2, -1);
	}

	cgroup_write_hook = NULL;
	cgroup_free(cg);
	rm_rf(root);
}

/* A limit the host cannot enforce is an error, as in runc. */
static void test_v2_fake_missing_controller(void **state)
{
	struct fake_v2 fv;
	struct config_resources r = {0};
	struct cgroup_apply_opts o = {.skip_devices = true};
	berth_error_t err = NULL;

	(void)state;
	fake_v2_setup(&fv, "cpu io pids\n");
	r.has_mem_limit = true;
	r.mem_limit = 1 << 20;
	assert_int_equal(cgroup_apply_opts(fv.cg, &r, &o, &err), -1);
	assert_non_null(strstr(err->msg, "no memory controller"));
	berth_error_release(&err);

	memset(&r, 0, sizeof(r));
	r.cpu_cpus = "0";
	assert_int_equal(cgroup_apply_opts(fv.cg, &r, &o, &err), -1);
	assert_non_null(strstr(err->msg, "no cpuset controller"));
	berth_error_release(&err);

	/* nothing asked of a missing controller: fine */
	memset(&r, 0, sizeof(r));
	r.has_pids_limit = true;
	r.pids_limit = 7;
	assert_int_equal(cgroup_apply_opts(fv.cg, &r, &o, &err), 0);
	fake_v2_teardown(&fv);
}

/* Stats, OOM count, freeze and enter read/write the v2 files they should. */
static void test_v2_fake_stats(void **state)
{
	struct fake_v2 fv;
	struct cgroup_stats st;
	berth_error_t err = NULL;
	uint64_t ooms = 0;
	const char *want[] = {"/berth/t1 cgroup.freeze=1", "/berth/t1 cgroup.procs=1234"};

	(void)state;
	fake_v2_setup(&fv, "cpu io memory pids\n");
	journal_reset();
	touch(fv.leaf, "cpu.stat",
	      "usage_usec 300\nuser_usec 200\nsystem_usec 100\nnr_periods 10\n"
	      "nr_throttled 3\nthrottled_usec 7\n");
	touch(fv.leaf, "memory.current", "4096\n");
	touch(fv.leaf, "memory.max", "max\n");
	touch(fv.leaf, "memory.events", "low 0\nhigh 0\nmax 5\noom 2\noom_kill 2\n");
	touch(fv.leaf, "memory.stat", "anon 1000\nfile 2000\nkernel 30\n");
	touch(fv.leaf, "memory.swap.current", "100\n");
	touch(fv.leaf, "memory.swap.max", "max\n");
	touch(fv.leaf, "pids.current", "3\n");
	touch(fv.leaf, "pids.max", "max\n");
	touch(fv.leaf, "io.stat", "8:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n");
	touch(fv.leaf, "cgroup.events", "populated 1\nfrozen 1\n");

	if (cgroup_stats(fv.cg, &st, &err) < 0)
		fail_msg("%s", err->msg);
	assert_int_equal(st.cpu.total, 300000);
	assert_int_equal(st.cpu.user, 200000);
	assert_int_equal(st.cpu.kernel, 100000);
	assert_int_equal(st.cpu.periods, 10);
	assert_int_equal(st.cpu.throttled_periods, 3);
	assert_int_equal(st.cpu.throttled_time, 7000);
	assert_int_equal(st.memory.usage.usage, 4096);
	assert_true(st.memory.usage.limit == UINT64_MAX);
	assert_int_equal(st.memory.usage.failcnt, 5);
	assert_int_equal(st.memory.oom_kill, 2);
	assert_int_equal(st.memory.rss, 1000);
	assert_int_equal(st.memory.cache, 2000);
	assert_int_equal(st.memory.n_raw, 3);
	assert_int_equal(st.memory.swap.usage, 4196);
	assert_int_equal(st.pids.current, 3);
	assert_int_equal(st.pids.limit, 0);
	assert_int_equal(st.blkio.n_service_bytes, 2);
	assert_string_equal(st.blkio.service_bytes[0].op, "Read");
	assert_int_equal(st.blkio.service_bytes[1].value, 20);
	assert_int_equal(st.blkio.n_serviced, 2);
	assert_int_equal(st.blkio.serviced[1].major, 8);
	cgroup_stats_free(&st);

	assert_int_equal(cgroup_oom_count(fv.cg, &ooms, &err), 0);
	assert_int_equal(ooms, 2);
	if (cgroup_freeze(fv.cg, &err) < 0)
		fail_msg("%s", err->msg);
	assert_int_equal(cgroup_is_frozen(fv.cg, &err), 1);
	if (cgroup_enter(fv.cg, 1234, &err) < 0)
		fail_msg("%s", err->msg);
	journal_expect(want, ARRAY_SIZE(want));
	fake_v2_teardown(&fv);
}

/* `update` (berth-runtime update): only what is asked for is written, devices are left alone
 * without rules even when not skipped; a -r file through config_parse_resources(); thaw. */
static void test_v2_fake_update(void **state)
{
	struct fake_v2 fv;
	struct config_resources r = {0};
	struct cgroup_apply_opts u = {.update = true};
	berth_error_t err = NULL;
	const char *want[] = {"/berth/t1 memory.max=67108864", "/berth/t1 cpu.max=20000",
	                      "/berth/t1 pids.max=33"};
	const char *want_file[] = {"/berth/t1 memory.swap.max=max", "/berth/t1 memory.max=max",
	                           "/berth/t1 cpu.max=10000 50000"};
	const char *want_thaw[] = {"/berth/t1 cgroup.freeze=0"};
	const char *file = "{\"memory\": {\"limit\": -1},\n \"cpu\": {\"period\": 50000, "
	                   "\"quota\": 10000}}";
	const char *bad = "{\"pids\": {\n  \"limit\": \"x\"}}";

	(void)state;
	fake_v2_setup(&fv, "cpu cpuset io memory pids hugetlb\n");
	journal_reset();
	r.has_mem_limit = r.has_cpu_quota = r.has_pids_limit = true;
	r.mem_limit = 67108864;
	r.cpu_quota = 20000;
	r.pids_limit = 33;
	if (cgroup_apply_opts(fv.cg, &r, &u, &err) < 0)
		fail_msg("%s", err->msg);
	journal_expect(want, ARRAY_SIZE(want));
	journal_reset();

	if (config_parse_resources(file, strlen(file), "r.json", &r, &err) < 0)
		fail_msg("%s", err->msg);
	if (cgroup_apply_opts(fv.cg, &r, &u, &err) < 0)
		fail_msg("%s", err->msg);
	config_resources_free(&r);
	journal_expect(want_file, ARRAY_SIZE(want_file));
	journal_reset();

	assert_int_equal(config_parse_resources(bad, strlen(bad), "r.json", &r, &err), -1);
	assert_string_equal(err->msg,
	                    "r.json: pids.limit: expected integer, got string (line 2, column 12)");
	berth_error_release(&err);
	assert_int_equal(config_parse_resources("[1]", 3, "r.json", &r, &err), -1);
	assert_non_null(strstr(err->msg, "expected object, got array"));
	berth_error_release(&err);

	touch(fv.leaf, "cgroup.events", "populated 1\nfrozen 0\n");
	if (cgroup_thaw(fv.cg, &err) < 0)
		fail_msg("%s", err->msg);
	assert_int_equal(cgroup_is_frozen(fv.cg, &err), 0);
	journal_expect(want_thaw, ARRAY_SIZE(want_thaw));
	fake_v2_teardown(&fv);
}

/* `events --stats`: runc's layout, Go's omitempty, sorted map keys, limits above INT64_MAX. */
static void test_stats_json(void **state)
{
	uint64_t percpu[] = {5, 6};
	struct config_kv raw[] = {{"rss", "10"}, {"cache", "20"}};
	struct cgroup_hugetlb_entry huge[] = {{"2MB", 0, 0, 1}};
	struct cgroup_blkio_entry sb[] = {{8, 0, "Read", 10}};
	struct cgroup_stats st;
	char *s;

	(void)state;
	memset(&st, 0, sizeof(st));
	st.cpu.total = 11;
	st.cpu.user = 7;
	st.cpu.percpu = percpu;
	st.cpu.n_percpu = 2;
	st.memory.cache = 20;
	st.memory.usage.usage = 4096;
	st.memory.usage.limit = UINT64_MAX;
	st.memory.raw = raw;
	st.memory.n_raw = 2;
	st.pids.current = 3;
	st.blkio.service_bytes = sb;
	st.blkio.n_service_bytes = 1;
	st.hugetlb = huge;
	st.n_hugetlb = 1;
	s = manage_stats_json("c1", &st);
	assert_string_equal(
	    s, "{\"type\":\"stats\",\"id\":\"c1\",\"data\":{\"cpu\":{\"usage\":{\"total\":11,"
	       "\"percpu\":[5,6],\"kernel\":0,\"user\":7},\"throttling\":{}},\"cpuset\":{},"
	       "\"memory\":{\"cache\":20,\"usage\":{\"limit\":18446744073709551615,"
	       "\"usage\":4096,\"failcnt\":0},\"swap\":{\"limit\":0,\"failcnt\":0},"
	       "\"kernel\":{\"limit\":0,\"failcnt\":0},\"kernelTCP\":{\"limit\":0,\"failcnt\":0},"
	       "\"raw\":{\"cache\":20,\"rss\":10}},\"pids\":{\"current\":3},\"blkio\":{"
	       "\"ioServiceBytesRecursive\":[{\"major\":8,\"op\":\"Read\",\"value\":10}]},"
	       "\"hugetlb\":{\"2MB\":{\"failcnt\":1}},\"intel_rdt\":{},"
	       "\"network_interfaces\":null}}");
	free(s);
}

static void test_unified_on_v1(void **state)
{
	struct cgroup cg = {.path = "/x"};
	struct config_resources r = {0};
	struct config_kv kv[] = {{"memory.high", "1"}};
	berth_error_t err = NULL;

	(void)state;
	cg.host.mode = CGROUP_MODE_HYBRID;
	r.unified = kv;
	r.n_unified = 1;
	assert_int_equal(cgroup_apply(&cg, &r, &err), -1);
	assert_non_null(strstr(err->msg, "cgroup v2"));
	berth_error_release(&err);
}

/* ---- devices ----------------------------------------------------------------------- */

static void test_dev_emulator(void **state)
{
	struct config_device_cgroup rules[] = {
	    {false, 'a', -1, -1, "rwm"}, /* deny all */
	    {true, 'c', 10, 200, "rw"},  /* tun */
	    {true, 'c', 10, 200, "m"},   /* merged into the same exception */
	    {true, 'b', 8, -1, "r"},     {false, 'b', 8, -1, "r"}, /* taken back */
	};
	struct config_resources r = {.devices = rules, .n_devices = ARRAY_SIZE(rules)};
	struct cgroup_dev_rule *v;
	struct cgroup_dev_state st;
	berth_error_t err = NULL;
	size_t n;

	(void)state;
	assert_int_equal(cgroup_dev_rules(&r, NULL, 0, &v, &n, &err), 0);
	assert_int_equal(n, ARRAY_SIZE(rules) + 10);
	cgroup_dev_emulate(v, n, &st);
	free(v);
	assert_false(st.default_allow);
	/* tun + 10 defaults, no block 8:* */
	assert_int_equal(st.n_rules, 11);
	assert_int_equal(st.rules[0].type, 'c');
	assert_int_equal(st.rules[0].major, 10);
	assert_int_equal(st.rules[0].access, CGROUP_DEV_R | CGROUP_DEV_W | CGROUP_DEV_M);
	for (size_t i = 0; i < st.n_rules; i++) {
		assert_true(st.rules[i].allow);
		assert_false(st.rules[i].type == 'b' && st.rules[i].major == 8);
	}
	cgroup_dev_state_free(&st);

	/* allow all, then deny one: a deny list */
	struct config_device_cgroup r2[] = {{true, 'a', -1, -1, NULL}, {false, 'c', 1, 3, "w"}};
	r.devices = r2;
	r.n_devices = 2;
	assert_int_equal(cgroup_dev_rules(&r, NULL, 0, &v, &n, &err), 0);
	cgroup_dev_emulate(v, n, &st);
	free(v);
	assert_true(st.default_allow);
	/* the defaults are allows == default: they remove the c 1:3 deny (runc: defaults last) */
	assert_int_equal(st.n_rules, 0);
	cgroup_dev_state_free(&st);

	/* bad access */
	struct config_device_cgroup r3[] = {{true, 'c', 1, 3, "rx"}};
	r.devices = r3;
	r.n_devices = 1;
	assert_int_equal(cgroup_dev_rules(&r, NULL, 0, &v, &n, &err), -1);
	berth_error_release(&err);
}

/* Run the program on a context the way the kernel would (a tiny interpreter for the
 * handful of instructions we emit). */
static int bpf_run(const struct bpf_insn *p, size_t n, unsigned type, unsigned acc, uint32_t maj,
                   uint32_t min)
{
	uint64_t reg[11] = {0};
	uint32_t ctx[3] = {(acc << 16) | type, maj, min};

	for (size_t pc = 0; pc < n; pc++) {
		const struct bpf_insn *i = &p[pc];
		uint8_t cls = BPF_CLASS(i->code), op = BPF_OP(i->code);
		uint64_t src =
		    BPF_SRC(i->code) == BPF_X ? reg[i->src_reg] : (uint64_t)(int64_t)i->imm;
		switch (cls) {
		case BPF_LDX:
			assert_int_equal(i->src_reg, BPF_REG_1);
			reg[i->dst_reg] = ctx[i->off / 4];
			break;
		case BPF_ALU:
			if (op == BPF_AND)
				reg[i->dst_reg] = (uint32_t)(reg[i->dst_reg] & src);
			else if (op == BPF_RSH)
				reg[i->dst_reg] = (uint32_t)reg[i->dst_reg] >> src;
			else if (op == BPF_MOV)
				reg[i->dst_reg] = (uint32_t)src;
			else
				fail_msg("alu op %x", op);
			break;
		case BPF_ALU64:
			assert_int_equal(op, BPF_MOV);
			reg[i->dst_reg] = src;
			break;
		case BPF_JMP:
		case BPF_JMP32: {
			uint64_t a = reg[i->dst_reg], b = src;
			bool jump = false;
			if (op == BPF_EXIT)
				return (int)reg[0];
			if (cls == BPF_JMP32) {
				a = (uint32_t)a;
				b = (uint32_t)b;
			}
			if (op == BPF_JNE)
				jump = a != b;
			else if (op == BPF_JEQ)
				jump = a == b;
			else
				fail_msg("jmp op %x", op);
			if (jump)
				pc += (size_t)i->off;
			assert_true(pc < n);
			break;
		}
		default:
			fail_msg("class %x", cls);
		}
	}
	fail_msg("fell off the end");
	return -1;
}

#define R  BPF_DEVCG_ACC_READ
#define W  BPF_DEVCG_ACC_WRITE
#define M  BPF_DEVCG_ACC_MKNOD
#define CH BPF_DEVCG_DEV_CHAR
#define BL BPF_DEVCG_DEV_BLOCK

static void test_dev_bpf_program(void **state)
{
	struct cgroup_dev_rule allow_list[] = {
	    {false, 'a', -1, -1, 7},
	    {true, 'c', 1, 3, CGROUP_DEV_R | CGROUP_DEV_W | CGROUP_DEV_M},
	    {true, 'c', 136, -1, CGROUP_DEV_R | CGROUP_DEV_W},
	    {true, 'b', -1, -1, CGROUP_DEV_M},
	};
	struct cgroup_dev_rule deny_list[] = {
	    {true, 'a', -1, -1, 7},
	    {false, 'c', 1, 3, CGROUP_DEV_W},
	};
	struct cgroup_dev_state st;
	struct bpf_insn *p;
	size_t n;

	(void)state;
	cgroup_dev_emulate(allow_list, ARRAY_SIZE(allow_list), &st);
	p = cgroup_dev_bpf_program(&st, &n);
	/* prologue */
	assert_int_equal(p[0].code, BPF_LDX | BPF_W | BPF_MEM);
	assert_int_equal(p[0].dst_reg, BPF_REG_2);
	assert_int_equal(p[1].code, BPF_ALU | BPF_AND | BPF_K);
	assert_int_equal(p[1].imm, 0xffff);
	assert_int_equal(p[3].code, BPF_ALU | BPF_RSH | BPF_K);
	assert_int_equal(p[3].imm, 16);
	assert_int_equal(p[4].off, 4);
	assert_int_equal(p[5].off, 8);
	/* block 1: c 1:3 rwm: type, major, minor, verdict (no access check) */
	assert_int_equal(p[6].code, BPF_JMP | BPF_JNE | BPF_K);
	assert_int_equal(p[6].imm, BPF_DEVCG_DEV_CHAR);
	assert_int_equal(p[6].off, 4);
	assert_int_equal(p[7].code, BPF_JMP32 | BPF_JNE | BPF_K);
	assert_int_equal(p[7].imm, 1);
	assert_int_equal(p[8].imm, 3);
	assert_int_equal(p[9].code, BPF_ALU64 | BPF_MOV | BPF_K);
	assert_int_equal(p[9].imm, 1);
	assert_int_equal(p[10].code, BPF_JMP | BPF_EXIT);
	/* the end: deny by default */
	assert_int_equal(p[n - 2].imm, 0);
	assert_int_equal(p[n - 1].code, BPF_JMP | BPF_EXIT);

	assert_int_equal(bpf_run(p, n, CH, R | W, 1, 3), 1);
	assert_int_equal(bpf_run(p, n, CH, R, 1, 5), 0);
	assert_int_equal(bpf_run(p, n, CH, R | W, 136, 7), 1);
	assert_int_equal(bpf_run(p, n, CH, M, 136, 7), 0); /* m not allowed on pts */
	assert_int_equal(bpf_run(p, n, CH, R | M, 136, 7), 0);
	assert_int_equal(bpf_run(p, n, BL, M, 8, 0), 1);
	assert_int_equal(bpf_run(p, n, BL, R, 8, 0), 0);
	assert_int_equal(bpf_run(p, n, BL, R, 1, 3), 0); /* a block 1:3 is not /dev/null */
	free(p);
	cgroup_dev_state_free(&st);

	cgroup_dev_emulate(deny_list, ARRAY_SIZE(deny_list), &st);
	p = cgroup_dev_bpf_program(&st, &n);
	assert_int_equal(p[n - 2].imm, 1); /* allow by default */
	assert_int_equal(bpf_run(p, n, CH, R, 1, 3), 1);
	assert_int_equal(bpf_run(p, n, CH, W, 1, 3), 0);
	assert_int_equal(bpf_run(p, n, CH, R | W, 1, 3), 0); /* any overlap with a deny */
	assert_int_equal(bpf_run(p, n, CH, W, 1, 5), 1);
	free(p);
	cgroup_dev_state_free(&st);

	/* major above 2^31: compared as u32 */
	struct cgroup_dev_rule big[] = {{false, 'a', -1, -1, 7},
	                                {true, 'c', 4000000000LL, 1, CGROUP_DEV_R}};
	cgroup_dev_emulate(big, 2, &st);
	p = cgroup_dev_bpf_program(&st, &n);
	assert_int_equal(bpf_run(p, n, CH, R, 4000000000u, 1), 1);
	assert_int_equal(bpf_run(p, n, CH, R, 1, 1), 0);
	free(p);
	cgroup_dev_state_free(&st);
}

/* Load it into the kernel and attach it to a real cgroup2 directory; a child in it is
 * refused /dev/null but gets /dev/zero. */
static void test_dev_bpf_kernel(void **state)
{
	struct cgroup_host h;
	struct cgroup *cg = NULL;
	berth_error_t err = NULL;
	struct cgroup_dev_rule rules[] = {{false, 'a', -1, -1, 7},
	                                  {true, 'c', 1, 5, CGROUP_DEV_R | CGROUP_DEV_W}};
	struct cgroup_dev_state st;
	struct bpf_insn *p;
	size_t n;
	int fd, status;
	char path[64], dir[4096];
	pid_t pid;

	(void)state;
	if (geteuid() != 0 || cgroup_host_detect(&h, NULL, &err) < 0 || !h.has_v2) {
		berth_error_release(&err);
		skip();
	}
	cgroup_dev_emulate(rules, 2, &st);
	p = cgroup_dev_bpf_program(&st, &n);
	fd = cgroup_dev_bpf_load(p, n, &err);
	free(p);
	cgroup_dev_state_free(&st);
	if (fd < 0 && (err->status == EPERM || err->status == ENOSYS)) {
		print_message("bpf(BPF_PROG_LOAD) not allowed here: %s\n", err->msg);
		berth_error_release(&err);
		skip();
	}
	if (fd < 0)
		fail_msg("%s", err->msg);
	snprintf(path, sizeof(path), "/berth-bpf-test-%d", (int)getpid());
	if (cgroup_create(&h, path, &cg, &err) < 0)
		fail_msg("%s", err->msg);
	snprintf(dir, sizeof(dir), "%s%s", h.v2_mount, path);
	if (cgroup_dev_bpf_attach(dir, fd, &err) < 0)
		fail_msg("%s", err->msg);
	close(fd);
	assert_int_equal(cgroup_dev_bpf_count(dir, &err), 1);

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		berth_error_t e = NULL;
		int a, b;
		if (cgroup_enter(cg, getpid(), &e) < 0)
			_exit(10);
		a = open("/dev/null", O_RDONLY);
		b = open("/dev/zero", O_RDONLY);
		_exit(a < 0 && errno != EPERM ? 11 : a >= 0 ? 12 : b < 0 ? 13 : 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	/* replacing: apply the full policy through cgroup_apply on the v2 side → still one */
	cgroup_dev_emulate(rules, 1, &st);
	p = cgroup_dev_bpf_program(&st, &n);
	fd = cgroup_dev_bpf_load(p, n, &err);
	assert_true(fd >= 0);
	free(p);
	cgroup_dev_state_free(&st);
	assert_int_equal(cgroup_dev_bpf_attach(dir, fd, &err), 0);
	close(fd);
	assert_int_equal(cgroup_dev_bpf_count(dir, &err), 1);

	if (cgroup_destroy(&h, path, &err) < 0)
		fail_msg("%s", err->msg);
	assert_int_equal(access(dir, F_OK), -1);
	cgroup_free(cg);
}

/* ---- v1 / hybrid for real ------------------------------------------------------------ */

/* Sleepers are killed at the end whatever happens, so that a failed test leaks nothing. */
static pid_t sleepers[8];
static size_t n_sleepers;

static pid_t spawn_sleeper(void)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		for (;;)
			pause();
	}
	if (n_sleepers < ARRAY_SIZE(sleepers))
		sleepers[n_sleepers++] = pid;
	return pid;
}

static int kill_sleepers(void **state)
{
	(void)state;
	for (size_t i = 0; i < n_sleepers; i++) {
		kill(sleepers[i], SIGKILL);
		waitpid(sleepers[i], NULL, 0);
	}
	n_sleepers = 0;
	return 0;
}

static void test_v1_real(void **state)
{
	struct cgroup_host h;
	struct cgroup *cg = NULL;
	berth_error_t err = NULL;
	char path[64], dir[4096], sub[4096];
	struct config_resources r = {0};
	struct config_hugepage_limit huge[] = {{"2MB", 4194304}};
	struct config_device_cgroup dev[] = {{false, 'a', -1, -1, "rwm"}};
	struct cgroup_stats st;
	pid_t pid, *pids = NULL;
	size_t n = 0;
	uint64_t ooms = 1;
	char *s;
	int status;
	bool found = false;

	(void)state;
	if (!is_root_with_cgroups())
		skip();
	assert_int_equal(cgroup_host_detect(&h, NULL, &err), 0);
	snprintf(path, sizeof(path), "/berth-test-%d", (int)getpid());
	if (cgroup_create(&h, path, &cg, &err) < 0)
		fail_msg("%s", err->msg);
	for (size_t i = 0; i < h.n_v1; i++) {
		snprintf(dir, sizeof(dir), "%s%s", h.v1[i].mount, path);
		assert_int_equal(access(dir, F_OK), 0);
	}
	if (h.v1_controllers & (1u << CGROUP_CTRL_CPUSET)) {
		snprintf(dir, sizeof(dir), "/sys/fs/cgroup/cpuset%s", path);
		s = slurp(dir, "cpuset.cpus");
		assert_non_null(s);
		assert_true(s[0] != '\0'); /* copied from the parent */
		free(s);
	}

	pid = spawn_sleeper();
	if (cgroup_enter(cg, pid, &err) < 0)
		fail_msg("%s", err->msg);

	r.has_mem_limit = true;
	r.mem_limit = 64 << 20;
	r.has_mem_swap = true;
	r.mem_swap = 128 << 20;
	r.has_pids_limit = true;
	r.pids_limit = 50;
	r.has_cpu_shares = r.has_cpu_quota = r.has_cpu_period = true;
	r.cpu_shares = 512;
	r.cpu_quota = 20000;
	r.cpu_period = 100000;
	r.cpu_cpus = "0";
	r.cpu_mems = "0";
	r.devices = dev;
	r.n_devices = 1;
	if (h.v2_controllers & (1u << CGROUP_CTRL_HUGETLB) ||
	    h.v1_controllers & (1u << CGROUP_CTRL_HUGETLB)) {
		r.hugepage_limits = huge;
		r.n_hugepage_limits = 1;
	}
	if (cgroup_apply(cg, &r, &err) < 0)
		fail_msg("%s", err->msg);

	snprintf(dir, sizeof(dir), "/sys/fs/cgroup/memory%s", path);
	s = slurp(dir, "memory.limit_in_bytes");
	assert_string_equal(s, "67108864");
	free(s);
	if ((s = slurp(dir, "memory.memsw.limit_in_bytes")) != NULL) {
		assert_string_equal(s, "134217728");
		free(s);
	}
	snprintf(dir, sizeof(dir), "/sys/fs/cgroup/pids%s", path);
	s = slurp(dir, "pids.max");
	assert_string_equal(s, "50");
	free(s);
	snprintf(dir, sizeof(dir), "/sys/fs/cgroup/cpu%s", path);
	s = slurp(dir, "cpu.cfs_quota_us");
	assert_string_equal(s, "20000");
	free(s);
	s = slurp(dir, "cpu.shares");
	assert_string_equal(s, "512");
	free(s);
	snprintf(dir, sizeof(dir), "/sys/fs/cgroup/cpuset%s", path);
	s = slurp(dir, "cpuset.cpus");
	assert_string_equal(s, "0");
	free(s);
	snprintf(dir, sizeof(dir), "/sys/fs/cgroup/devices%s", path);
	s = slurp(dir, "devices.list");
	assert_non_null(strstr(s, "c 1:3 rwm"));
	assert_non_null(strstr(s, "c 136:* rwm"));
	assert_null(strstr(s, "a *:* rwm"));
	free(s);
	if (r.n_hugepage_limits) {
		snprintf(dir, sizeof(dir), "%s%s",
		         h.v1_controllers & (1u << CGROUP_CTRL_HUGETLB) ? "/sys/fs/cgroup/hugetlb"
		                                                        : h.v2_mount,
		         path);
		s = slurp(dir, h.v1_controllers & (1u << CGROUP_CTRL_HUGETLB)
		                   ? "hugetlb.2MB.limit_in_bytes"
		                   : "hugetlb.2MB.max");
		assert_string_equal(s, "4194304");
		free(s);
	}

	/* update the device list of the live cgroup: allow list to allow list */
	{
		struct config_device_cgroup tun[] = {{false, 'a', -1, -1, "rwm"},
		                                     {true, 'c', 10, 200, "rwm"}};
		struct config_resources u = {.devices = tun, .n_devices = 2};
		struct cgroup_apply_opts uo = {.update = true};
		snprintf(dir, sizeof(dir), "/sys/fs/cgroup/devices%s", path);
		journal_root = dir;
		cgroup_write_hook = journal_hook;
		if (cgroup_apply_opts(cg, &u, &uo, &err) < 0)
			fail_msg("%s", err->msg);
		cgroup_write_hook = NULL;
		/* no reset through deny-all: only the new rule added (and the rest re-added) */
		for (size_t i = 0; i < n_journal; i++)
			assert_null(strstr(journal[i], "devices.deny"));
		assert_string_equal(journal[0], "/ devices.allow=c 10:200 rwm");
		journal_reset();
		s = slurp(dir, "devices.list");
		assert_non_null(strstr(s, "c 10:200 rwm"));
		assert_non_null(strstr(s, "c 1:3 rwm"));
		free(s);
		u.n_devices = 1;
		if (cgroup_apply_opts(cg, &u, &uo, &err) < 0)
			fail_msg("%s", err->msg);
		s = slurp(dir, "devices.list");
		assert_null(strstr(s, "c 10:200"));
		assert_non_null(strstr(s, "c 1:3 rwm"));
		free(s);
		/* no rules on update: left alone */
		u.n_devices = 0;
		assert_int_equal(cgroup_apply_opts(cg, &u, &uo, &err), 0);
	}

	/* freeze / thaw */
	if (cgroup_freeze(cg, &err) < 0)
		fail_msg("%s", err->msg);
	assert_int_equal(cgroup_is_frozen(cg, &err), 1);
	snprintf(dir, sizeof(dir), "/sys/fs/cgroup/freezer%s", path);
	s = slurp(dir, "freezer.state");
	assert_string_equal(s, "FROZEN");
	free(s);
	if (cgroup_thaw(cg, &err) < 0)
		fail_msg("%s", err->msg);
	assert_int_equal(cgroup_is_frozen(cg, &err), 0);
	s = slurp(dir, "freezer.state");
	assert_string_equal(s, "THAWED");
	free(s);

	/* pids, stats, OOMs */
	assert_int_equal(cgroup_get_pids(&h, path, &pids, &n, &err), 0);
	for (size_t i = 0; i < n; i++)
		found |= pids[i] == pid;
	assert_true(found);
	free(pids);
	if (cgroup_stats(cg, &st, &err) < 0)
		fail_msg("%s", err->msg);
	assert_int_equal(st.memory.usage.limit, 64 << 20);
	assert_int_equal(st.pids.current, 1);
	assert_int_equal(st.pids.limit, 50);
	cgroup_stats_free(&st);
	assert_int_equal(cgroup_oom_count(cg, &ooms, &err), 0);
	assert_int_equal(ooms, 0);

	/* a nested cgroup in one hierarchy: destroy goes depth first */
	snprintf(sub, sizeof(sub), "/sys/fs/cgroup/memory%s/nested", path);
	assert_int_equal(mkdir(sub, 0755), 0);

	/* destroy with the process still inside: it is killed, everything removed */
	if (cgroup_destroy(&h, path, &err) < 0)
		fail_msg("%s", err->msg);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	for (size_t i = 0; i < h.n_v1; i++) {
		snprintf(dir, sizeof(dir), "%s%s", h.v1[i].mount, path);
		assert_int_equal(access(dir, F_OK), -1);
	}
	if (h.has_v2) {
		snprintf(dir, sizeof(dir), "%s%s", h.v2_mount, path);
		assert_int_equal(access(dir, F_OK), -1);
	}
	/* again: nothing there is fine */
	assert_int_equal(cgroup_destroy(&h, path, &err), 0);
	cgroup_free(cg);
}

/* Grandchildren, and a process in a nested cgroup of one hierarchy only: all killed, all
 * removed. */
static void test_v1_destroy_nested(void **state)
{
	struct cgroup_host h;
	struct cgroup *cg = NULL;
	berth_error_t err = NULL;
	char path[64], nested[4096], v[16], ready[6];
	int pipefd[2];
	pid_t a, b;
	int status;

	(void)state;
	if (!is_root_with_cgroups())
		skip();
	assert_int_equal(cgroup_host_detect(&h, NULL, &err), 0);
	snprintf(path, sizeof(path), "/berth-nest-%d", (int)getpid());
	if (cgroup_create(&h, path, &cg, &err) < 0)
		fail_msg("%s", err->msg);
	assert_int_equal(pipe(pipefd), 0);
	a = fork();
	assert_true(a >= 0);
	if (a == 0) {
		berth_error_t e = NULL;
		if (cgroup_enter(cg, getpid(), &e) < 0)
			_exit(1);
		/* one byte from the child and from each grandchild: they are in the cgroup */
		if (write(pipefd[1], "a", 1) != 1)
			_exit(1);
		for (int i = 0; i < 5; i++) {
			if (fork() == 0) {
				if (write(pipefd[1], "g", 1) != 1)
					_exit(1);
				for (;;)
					pause();
			}
		}
		for (;;)
			pause();
	}
	close(pipefd[1]);
	sleepers[n_sleepers++] = a;
	for (size_t got = 0; got < sizeof(ready);) {
		ssize_t r = read(pipefd[0], ready + got, sizeof(ready) - got);
		assert_true(r > 0);
		got += (size_t)r;
	}
	close(pipefd[0]);
	b = spawn_sleeper();
	snprintf(nested, sizeof(nested), "%s%s/inner", h.v1[h.n_v1 - 1].mount, path);
	assert_int_equal(mkdir(nested, 0755), 0);
	snprintf(v, sizeof(v), "%d", (int)b);
	assert_int_equal(cgroup_set(nested, "", "cgroup.procs", v, &err), 0);
	{
		pid_t *pids = NULL;
		size_t n = 0;
		assert_int_equal(cgroup_get_pids(&h, path, &pids, &n, &err), 0);
		assert_true(n >= 6);
		free(pids);
	}
	if (cgroup_destroy(&h, path, &err) < 0)
		fail_msg("%s", err->msg);
	assert_int_equal(waitpid(a, &status, 0), a);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(waitpid(b, &status, 0), b);
	assert_true(WIFSIGNALED(status));
	n_sleepers = 0;
	assert_int_equal(access(nested, F_OK), -1);
	for (size_t i = 0; i < h.n_v1; i++) {
		char d[4096];
		snprintf(d, sizeof(d), "%s%s", h.v1[i].mount, path);
		assert_int_equal(access(d, F_OK), -1);
	}
	cgroup_free(cg);
}

/* A failing create leaves nothing behind. */
static void test_v1_create_rollback(void **state)
{
	struct cgroup_host h;
	struct cgroup *cg = NULL;
	berth_error_t err = NULL;
	char path[64], dir[4096];
	pid_t pid;

	(void)state;
	if (!is_root_with_cgroups())
		skip();
	assert_int_equal(cgroup_host_detect(&h, NULL, &err), 0);
	snprintf(path, sizeof(path), "/berth-rb-%d", (int)getpid());
	/* the last hierarchy already holds the path with a process: create must fail */
	snprintf(dir, sizeof(dir), "%s%s", h.has_v2 ? h.v2_mount : h.v1[h.n_v1 - 1].mount, path);
	assert_int_equal(mkdir(dir, 0755), 0);
	pid = spawn_sleeper();
	{
		char v[16];
		snprintf(v, sizeof(v), "%d", (int)pid);
		assert_int_equal(cgroup_set(dir, "", "cgroup.procs", v, &err), 0);
	}
	assert_int_equal(cgroup_create(&h, path, &cg, &err), -1);
	assert_non_null(strstr(err->msg, "not empty"));
	berth_error_release(&err);
	assert_null(cg);
	for (size_t i = 0; i + (h.has_v2 ? 0 : 1) < h.n_v1; i++) {
		char d[4096];
		snprintf(d, sizeof(d), "%s%s", h.v1[i].mount, path);
		assert_int_equal(access(d, F_OK), -1);
	}
	assert_int_equal(access(dir, F_OK), 0); /* not ours: left alone */
	assert_int_equal(cgroup_destroy(&h, path, &err), 0);
	waitpid(pid, NULL, 0);
	assert_int_equal(access(dir, F_OK), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_path_for),
	    cmocka_unit_test(test_conversions),
	    cmocka_unit_test(test_hugepage_names),
	    cmocka_unit_test(test_detect_mountinfo),
	    cmocka_unit_test(test_v2_fake_full),
	    cmocka_unit_test(test_v2_fake_missing_controller),
	    cmocka_unit_test(test_v2_fake_stats),
	    cmocka_unit_test(test_v2_fake_update),
	    cmocka_unit_test(test_hybrid_fake),
	    cmocka_unit_test(test_stats_json),
	    cmocka_unit_test(test_unified_on_v1),
	    cmocka_unit_test(test_dev_emulator),
	    cmocka_unit_test(test_dev_bpf_program),
	    cmocka_unit_test(test_dev_bpf_kernel),
	    cmocka_unit_test_teardown(test_v1_real, kill_sleepers),
	    cmocka_unit_test_teardown(test_v1_destroy_nested, kill_sleepers),
	    cmocka_unit_test_teardown(test_v1_create_rollback, kill_sleepers),
	};
	return cmocka_run_group_tests_name("cgroup", tests, NULL, NULL);
}
