/* SPDX-License-Identifier: MIT */
/* Sizes, kernel images, and the errors vm_run() gives before a guest starts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vm/machine.h"
#include "util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_parse_size(void **state)
{
	(void)state;
	uint64_t v;

	assert_int_equal(vm_parse_size("256M", &v), 0);
	assert_int_equal(v, 256ull << 20);
	assert_int_equal(vm_parse_size("1G", &v), 0);
	assert_int_equal(v, 1ull << 30);
	assert_int_equal(vm_parse_size("512K", &v), 0);
	assert_int_equal(v, 512ull << 10);
	assert_int_equal(vm_parse_size("512k", &v), 0);
	assert_int_equal(vm_parse_size("2GiB", &v), 0);
	assert_int_equal(v, 2ull << 30);
	assert_int_equal(vm_parse_size("64MB", &v), 0);
	assert_int_equal(v, 64ull << 20);
	assert_int_equal(vm_parse_size("1048576", &v), 0);
	assert_int_equal(v, 1048576);
	const char *bad[] = {"",
	                     "abc",
	                     "M",
	                     "-1M",
	                     "1.5G",
	                     "12X",
	                     "1GG",
	                     " 1G",
	                     "1G ",
	                     "+5",
	                     "99999999999999999999",
	                     "17179869184G"};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(vm_parse_size(bad[i], &v), -1);
	assert_int_equal(vm_parse_size(NULL, &v), -1);
}

static void test_check_kernel(void **state)
{
	(void)state;
	uint8_t img[128] = {0};
	berth_error_t err = NULL;

	memcpy(img + 0x38, "RSC\x05", 4);
	assert_int_equal(vm_check_kernel(img, sizeof(img), "Image", &err), 0);
	assert_int_equal(vm_check_kernel(img, 32, "short", &err), -1);
	assert_non_null(strstr(err->msg, "not a RISC-V"));
	berth_error_release(&err);
	memcpy(img + 0x38, "ARMd", 4); /* an arm64 Image */
	assert_int_equal(vm_check_kernel(img, sizeof(img), "arm64", &err), -1);
	berth_error_release(&err);
	memcpy(img, "\177ELF", 4);
	assert_int_equal(vm_check_kernel(img, sizeof(img), "vmlinux", &err), -1);
	assert_non_null(strstr(err->msg, "ELF"));
	berth_error_release(&err);
}

static char dir[] = "/tmp/berth-vm-test.XXXXXX";

static char *make_file(const char *name, size_t size, bool kernel)
{
	char *path = xasprintf("%s/%s", dir, name);
	uint8_t *data = xmalloc0(size > 64 ? size : 64);
	if (kernel)
		memcpy(data + 0x38, "RSC\x05", 4);
	berth_error_t err = NULL;
	assert_int_equal(util_write_file_atomic(path, data, size, 0644, &err), 0);
	free(data);
	return path;
}

static void expect_error(struct vm_config *cfg, const char *what)
{
	berth_error_t err = NULL;

	cfg->in_fd = -1;
	cfg->out_fd = 1;
	assert_int_equal(vm_run(cfg, &err), -1);
	assert_non_null(err);
	if (strstr(err->msg, what) == NULL)
		fail_msg("error \"%s\" does not mention \"%s\"", err->msg, what);
	berth_error_release(&err);
}

static void test_run_errors(void **state)
{
	(void)state;
	assert_non_null(mkdtemp(dir));
	cleanup_free char *kernel = make_file("Image", 4096, true);
	cleanup_free char *notriscv = make_file("notriscv", 4096, false);
	cleanup_free char *initrd = make_file("initrd", 15 << 20, false);
	cleanup_free char *missing = xasprintf("%s/missing", dir);
	struct vm_config cfg = {.kernel = missing, .mem = 16 << 20, .cpus = 1};

	expect_error(&cfg, "--kernel");
	cfg.kernel = notriscv;
	expect_error(&cfg, "not a RISC-V");
	cfg.kernel = kernel;
	cfg.initrd = initrd;
	expect_error(&cfg, "does not fit");
	cfg.initrd = missing;
	expect_error(&cfg, "--initrd");
	cfg.initrd = NULL;
	cfg.disks[0].path = missing;
	cfg.ndisks = 1;
	expect_error(&cfg, "--disk");
	cfg.disks[0].path = dir; /* a directory */
	expect_error(&cfg, "--disk");
	cfg.ndisks = 0;
	cfg.cpus = 0;
	expect_error(&cfg, "--cpus");
	cfg.cpus = 9;
	expect_error(&cfg, "--cpus");
	cfg.cpus = 1;
	cfg.mem = 1 << 20;
	expect_error(&cfg, "--mem");
	unlink(kernel);
	unlink(notriscv);
	unlink(initrd);
	rmdir(dir);
}

/* An --append longer than the guest kernel keeps is refused before anything is read. */
static void test_append_limit(void **state)
{
	(void)state;
	cleanup_free char *big = xmalloc0(100 << 10);
	cleanup_free char *max = xmalloc0(VM_MAX_APPEND + 2);
	struct vm_config cfg = {.kernel = "/nonexistent/Image", .mem = 16 << 20, .cpus = 1};

	memset(big, 'a', (100 << 10) - 1);
	cfg.append = big;
	expect_error(&cfg, "--append: the kernel command line is limited to 1023 bytes");
	memset(max, 'a', VM_MAX_APPEND + 1);
	cfg.append = max; /* 1024 bytes: one too many */
	expect_error(&cfg, "got 1024");
	max[VM_MAX_APPEND] = '\0'; /* 1023 bytes pass: the next error is the kernel's */
	expect_error(&cfg, "--kernel: open");
}

/* FIFOs (which would block open() forever) and directories are refused by type. */
static void test_not_regular(void **state)
{
	(void)state;
	char tmp[] = "/tmp/berth-vm-fifo.XXXXXX";
	assert_non_null(mkdtemp(tmp));
	cleanup_free char *fifo = xasprintf("%s/fifo", tmp);
	cleanup_free char *kernel = xasprintf("%s/Image", tmp);
	uint8_t img[4096] = {0};
	berth_error_t err = NULL;
	struct vm_config cfg = {.kernel = fifo, .mem = 16 << 20, .cpus = 1};

	memcpy(img + 0x38, "RSC\x05", 4);
	assert_int_equal(util_write_file_atomic(kernel, img, sizeof(img), 0644, &err), 0);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	expect_error(&cfg, "--kernel: `");
	cfg.kernel = tmp;
	expect_error(&cfg, "is not a regular file");
	cfg.kernel = kernel;
	cfg.initrd = fifo;
	expect_error(&cfg, "--initrd: `");
	cfg.initrd = NULL;
	cfg.disks[0] = (struct vm_disk){.path = fifo, .ro = true};
	cfg.ndisks = 1;
	expect_error(&cfg, "is not a regular file or block device");
	cfg.disks[0].ro = false;
	expect_error(&cfg, "is not a regular file or block device");
	unlink(fifo);
	unlink(kernel);
	rmdir(tmp);
}

static void disk_ok(const char *arg, const char *path, bool ro)
{
	struct vm_disk d = {0};
	berth_error_t err = NULL;

	assert_int_equal(vm_parse_disk(arg, &d, &err), 0);
	assert_string_equal(d.path, path);
	assert_int_equal(d.ro, ro);
	free((char *)d.path);
}

static void disk_bad(const char *arg, const char *what)
{
	struct vm_disk d = {0};
	berth_error_t err = NULL;

	assert_int_equal(vm_parse_disk(arg, &d, &err), -1);
	assert_null(d.path);
	if (strstr(err->msg, what) == NULL)
		fail_msg("error \"%s\" does not mention \"%s\"", err->msg, what);
	berth_error_release(&err);
}

/* The cards' addresses on the kernel command line: before ` -- `, counted in the limit. */
static void test_bootargs(void **state)
{
	(void)state;
	struct vm_config cfg = {.append = "console=ttyS0 -- \"echo hi\""};
	berth_error_t err = NULL;
	char buf[VM_MAX_APPEND + 1], big[VM_MAX_APPEND];

	cfg.nnets = 2;
	cfg.nets[0].kind = VM_NET_USER;
	cfg.nets[1] = (struct vm_net){
	    .kind = VM_NET_BRIDGE, .ip = 0x0a590302, .gateway = 0x0a590301, .prefix = 24};
	assert_int_equal(vm_bootargs(&cfg, buf, sizeof(buf), &err), 0);
	assert_string_equal(buf,
	                    "console=ttyS0 berth.ip=eth1,10.89.3.2/24,10.89.3.1 -- \"echo hi\"");
	cfg.nets[1].gateway = 0;
	cfg.append = NULL;
	assert_int_equal(vm_bootargs(&cfg, buf, sizeof(buf), &err), 0);
	assert_string_equal(buf, VM_DEFAULT_APPEND " berth.ip=eth1,10.89.3.2/24");
	/* no address: the command line as given */
	cfg.nets[1].ip = 0;
	assert_int_equal(vm_bootargs(&cfg, buf, sizeof(buf), &err), 0);
	assert_string_equal(buf, VM_DEFAULT_APPEND);
	/* too long with the address */
	cfg.nets[1].ip = 0x0a590302;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cfg.append = big;
	assert_int_equal(vm_bootargs(&cfg, buf, sizeof(buf), &err), -1);
	assert_non_null(strstr(err->msg, "limited to 1023 bytes"));
	berth_error_release(&err);
}

static void test_parse_serial(void **state)
{
	(void)state;
	struct vm_serial sp;
	berth_error_t err = NULL;

	assert_int_equal(vm_parse_serial("org.berth.a=socket:/tmp/x=y", &sp, &err), 0);
	assert_string_equal(sp.name, "org.berth.a");
	assert_string_equal(sp.path, "/tmp/x=y");
	free((char *)sp.name);
	const char *bad[] = {
	    "org.a",
	    "=socket:/x",
	    "a=socket:",
	    "a=tcp:1",
	    "a b=socket:/x",
	    "a/b=socket:/x",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=socket:/x"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(vm_parse_serial(bad[i], &sp, &err), -1);
		assert_non_null(strstr(err->msg, "--serial: "));
		berth_error_release(&err);
	}
}

static void test_parse_disk(void **state)
{
	(void)state;
	disk_ok("disk.img", "disk.img", false);
	disk_ok("disk.img,ro", "disk.img", true);
	disk_ok("a,,b.img", "a,b.img", false);
	disk_ok("a,,b.img,ro", "a,b.img", true);
	{
		struct vm_disk d = {0};
		berth_error_t err = NULL;
		assert_int_equal(vm_parse_disk("a,,b.img,snapshot", &d, &err), 0);
		assert_string_equal(d.path, "a,b.img");
		assert_true(d.snapshot);
		assert_false(d.ro);
		free((char *)d.path);
	}
	disk_bad("disk.img,rw",
	         "--disk: unknown option \"rw\" in \"disk.img,rw\" (accepted: ro, snapshot)");
	disk_bad("disk.img,ro,cache=none", "unknown option \"cache=none\"");
	disk_bad("disk.img,", "unknown option \"\"");
	disk_bad("", "--disk: expected FILE[,ro|,snapshot]");
	disk_bad(",ro", "--disk: expected FILE[,ro|,snapshot]");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_size),  cmocka_unit_test(test_check_kernel),
	    cmocka_unit_test(test_run_errors),  cmocka_unit_test(test_append_limit),
	    cmocka_unit_test(test_not_regular), cmocka_unit_test(test_parse_disk),
	    cmocka_unit_test(test_bootargs),    cmocka_unit_test(test_parse_serial),
	};
	return cmocka_run_group_tests_name("vm_args", tests, NULL, NULL);
}
