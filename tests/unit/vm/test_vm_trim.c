/* SPDX-License-Identifier: MIT */
/* trim_text() (src/vm/trim.c): the pages of libc's code and read-only data, all made resident
 * first, leave the process's RSS (only what runs afterwards comes back), and the writable
 * segments keep what was written to them: relocated pointers (RELRO), a changed global. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vm/trim.h"

#include <fcntl.h>
#include <link.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

/* relocated at load time: in PIE, .data.rel.ro, which is in the writable segment */
static const char *const words[] = {"alpha", "beta", "gamma"};
static int counter = 42;

/* an index the compiler cannot see through */
static volatile int one = 1;

struct libc_text {
	uintptr_t lo[8], hi[8]; /* its non-writable segments, page-aligned */
	unsigned n;
	uintptr_t page;
	size_t bytes;
	unsigned long sum;
};

/* read a byte of every page of libc's non-writable segments (its code and read-only data) */
static int touch_libc(struct dl_phdr_info *info, size_t size, void *data)
{
	struct libc_text *t = data;
	uintptr_t page = t->page;

	(void)size;
	if (strstr(info->dlpi_name, "/libc.so") == NULL)
		return 0;
	for (ElfW(Half) i = 0; i < info->dlpi_phnum && t->n < 8; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W))
			continue;
		t->lo[t->n] = (info->dlpi_addr + ph->p_vaddr) & ~(page - 1);
		t->hi[t->n] =
		    (info->dlpi_addr + ph->p_vaddr + ph->p_memsz + page - 1) & ~(page - 1);
		for (uintptr_t p = t->lo[t->n]; p < t->hi[t->n]; p += page)
			t->sum += *(volatile const unsigned char *)p;
		t->bytes += t->hi[t->n] - t->lo[t->n];
		t->n++;
	}
	return 0;
}

/* KiB of those segments mapped in (present in /proc/self/pagemap); only pread runs here,
 * so the measuring faults in little of libc itself */
static long libc_resident_kib(const struct libc_text *t, int pagemap)
{
	static uint64_t e[4096];
	uintptr_t page = t->page;
	long kib = 0;

	for (unsigned i = 0; i < t->n; i++) {
		size_t n = (t->hi[i] - t->lo[i]) / page;
		assert_true(n <= 4096);
		assert_int_equal(pread(pagemap, e, n * 8, (off_t)(t->lo[i] / page * 8)),
		                 (ssize_t)(n * 8));
		for (size_t k = 0; k < n; k++)
			if (e[k] >> 63)
				kib += (long)(page / 1024);
	}
	return kib;
}

static void test_libc_text_leaves_rss(void **state)
{
	struct libc_text t = {.page = (uintptr_t)sysconf(_SC_PAGESIZE)};
	int pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	long before, after;
	size_t advised;

	(void)state;
	assert_true(pagemap >= 0);
	dl_iterate_phdr(touch_libc, &t);
	assert_true(t.bytes > 1024 * 1024); /* glibc's code alone is over 1 MiB */
	before = libc_resident_kib(&t, pagemap);
	advised = trim_text();
	after = libc_resident_kib(&t, pagemap);
	close(pagemap);
	print_message("# libc's code and read-only data %zu KiB: mapped in %ld KiB, %ld after "
	              "the trim (%zu KiB advised over all objects)\n",
	              t.bytes / 1024, before, after, advised / 1024);
	assert_true(advised >= t.bytes);
	assert_true((size_t)before * 1024 == t.bytes);
	/* what came back is what ran since (the end of dl_iterate_phdr, pread), 64 KiB at a
	 * time */
	assert_true(after * 4 < before);
}

static void test_writable_segments_kept(void **state)
{
	char *heap = malloc(64);

	(void)state;
	assert_non_null(heap);
	strcpy(heap, "on the heap");
	counter++;
	(void)trim_text();
	assert_string_equal(words[one], "beta");
	assert_string_equal(words[one + 1], "gamma");
	assert_int_equal(counter, 43);
	assert_string_equal(heap, "on the heap");
	free(heap);
}

/* a traced process (a debugger's breakpoints are private copies of text pages) is left
 * alone: a child that asked to be traced trims nothing, an untraced one trims */
static void test_traced_left_alone(void **state)
{
	(void)state;
	for (int traced = 0; traced <= 1; traced++) {
		int status;
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			if (traced &&
			    (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0 || raise(SIGSTOP) != 0))
				_exit(2);
			_exit(trim_text() == 0 ? 0 : 1);
		}
		if (traced) {
			assert_int_equal(waitpid(pid, &status, 0), pid);
			assert_true(WIFSTOPPED(status));
			assert_int_equal(ptrace(PTRACE_CONT, pid, NULL, NULL), 0);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), traced ? 0 : 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_libc_text_leaves_rss),
	    cmocka_unit_test(test_writable_segments_kept),
	    cmocka_unit_test(test_traced_left_alone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
