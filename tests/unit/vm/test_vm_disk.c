/* SPDX-License-Identifier: MIT */
/* --disk images: the non-raw formats found by their magic (vm_disk_format), and the lock
 * (vm_disk_open): readers share, a writer is alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vm/disk.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *format_of(const void *magic, size_t n, size_t at)
{
	static unsigned char head[VM_DISK_PROBE_SIZE];

	memset(head, 0, sizeof(head));
	memcpy(head + at, magic, n);
	return vm_disk_format(head, sizeof(head));
}

static void test_formats(void **state)
{
	(void)state;
	assert_string_equal(format_of("QFI\xfb\0\0\0\x03", 8, 0), "qcow2");
	assert_string_equal(format_of("QFI\xfb\0\0\0\x02", 8, 0), "qcow2");
	assert_string_equal(format_of("QFI\xfb\0\0\0\x01", 8, 0), "qcow");
	assert_string_equal(format_of("KDMV", 4, 0), "VMDK");
	assert_string_equal(format_of("COWD", 4, 0), "VMDK");
	assert_string_equal(format_of("vhdxfile", 8, 0), "VHDX");
	assert_string_equal(format_of("QED\0", 4, 0), "QED");
	assert_string_equal(format_of("conectix", 8, 0), "VHD");
	assert_string_equal(format_of("\x7f\x10\xda\xbe", 4, 0x40), "VDI");
	/* raw: zeros, a boot sector, a magic not at its offset */
	assert_null(format_of("", 0, 0));
	assert_null(format_of("\xeb\x3c\x90mkfs.fat", 11, 0));
	assert_null(format_of("QFI\xfb", 4, 1));
	assert_null(format_of("\x7f\x10\xda\xbe", 4, 0));
	/* short images: no read past len */
	assert_null(vm_disk_format((const unsigned char *)"QFI\xfb", 4));
	assert_null(vm_disk_format((const unsigned char *)"KDM", 3));
	assert_string_equal(vm_disk_format((const unsigned char *)"KDMV", 4), "VMDK");
	assert_null(vm_disk_format(NULL, 0));
}

static void test_lock(void **state)
{
	(void)state;
	char path[] = "/tmp/berth-vm-disk-lock.XXXXXX";
	int fd = mkstemp(path), r1, r2, w;
	berth_error_t err = NULL;

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 1 << 20), 0);
	close(fd);
	/* two readers share; a writer is refused while they hold it */
	r1 = vm_disk_open(path, true, &err);
	assert_true(r1 >= 0);
	r2 = vm_disk_open(path, true, &err);
	assert_true(r2 >= 0);
	assert_int_equal(vm_disk_open(path, false, &err), -1);
	assert_non_null(strstr(err->msg, "is in use by another process"));
	berth_error_release(&err);
	close(r1);
	close(r2);
	/* a writer is alone: a reader and a second writer are refused */
	w = vm_disk_open(path, false, &err);
	assert_true(w >= 0);
	assert_int_equal(vm_disk_open(path, true, &err), -1);
	assert_non_null(strstr(err->msg, "is in use for writing by another process"));
	berth_error_release(&err);
	assert_int_equal(vm_disk_open(path, false, &err), -1);
	berth_error_release(&err);
	close(w);
	/* free again */
	w = vm_disk_open(path, false, &err);
	assert_true(w >= 0);
	close(w);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_formats),
	    cmocka_unit_test(test_lock),
	};
	return cmocka_run_group_tests_name("vm_disk", tests, NULL, NULL);
}
