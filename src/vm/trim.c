/* SPDX-License-Identifier: MIT */
/* The VM process's own text. On a read fault of a file page the kernel maps up to 64 KiB of
 * the file's cached pages around it (fault-around: /sys/kernel/debug/fault_around_bytes, the
 * same for every process; MADV_RANDOM does not turn it off, and userfaultfd's write-protect
 * mode, which does, takes no regular file), so by the time the guest starts, starting berth
 * (the dynamic linker, argument parsing, the device tree, the devices) has put most of libc,
 * libm, ld.so and berth's own text in the process's RSS though the running VM executes
 * little of them. trim_text() drops those mappings' pages (MADV_DONTNEED on a private file
 * mapping removes the page table entries; the pages stay in the page cache) so what the VM
 * runs from then on faults back in (a minor fault, with its fault-around) and the rest stays
 * out: 1.8 of the 5.6 MiB bench/vm-snapshot.sh measured booted (docs/vm.md, Memory).
 *
 * Only segments the dynamic linker mapped without write permission are touched: their pages
 * are the file's. The writable ones (.data, .bss, and the RELRO part, which holds relocated
 * copies and is read-only only after relocation) are private copies that MADV_DONTNEED
 * would throw away, so a page shared with a writable segment is left too, as is an object
 * with text relocations (its text was written) and the vDSO. A library being loaded on
 * another thread meanwhile writes only its writable segments, and one being unloaded is
 * taken off the list dl_iterate_phdr walks (under the lock it holds) before it is unmapped,
 * so no page of something else is dropped. */
#include "trim.h"

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

struct trim_run {
	uintptr_t page, vdso;
	size_t advised;
};

static bool trim_has_textrel(const struct dl_phdr_info *info)
{
	for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_DYNAMIC)
			continue;
		for (const ElfW(Dyn) *d = (const ElfW(Dyn) *)(info->dlpi_addr + ph->p_vaddr);
		     d->d_tag != DT_NULL; d++)
			if (d->d_tag == DT_TEXTREL ||
			    (d->d_tag == DT_FLAGS && (d->d_un.d_val & DF_TEXTREL) != 0))
				return true;
	}
	return false;
}

/* the pages [*lo, *hi) of a read-only segment less those a writable segment of the same
 * object also covers (at either end; one inside it leaves nothing) */
static void trim_clip(const struct dl_phdr_info *info, uintptr_t page, uintptr_t *lo, uintptr_t *hi)
{
	for (ElfW(Half) i = 0; i < info->dlpi_phnum && *lo < *hi; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W))
			continue;
		uintptr_t wlo = (info->dlpi_addr + ph->p_vaddr) & ~(page - 1);
		uintptr_t whi =
		    (info->dlpi_addr + ph->p_vaddr + ph->p_memsz + page - 1) & ~(page - 1);
		if (whi <= *lo || wlo >= *hi)
			continue;
		if (wlo <= *lo)
			*lo = whi;
		else if (whi >= *hi)
			*hi = wlo;
		else
			*hi = *lo;
	}
}

static int trim_object(struct dl_phdr_info *info, size_t size, void *data)
{
	struct trim_run *run = data;

	(void)size;
	for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t start = info->dlpi_addr + ph->p_vaddr;
		if (ph->p_type == PT_LOAD && run->vdso >= start && run->vdso < start + ph->p_memsz)
			return 0;
	}
	if (trim_has_textrel(info))
		return 0;
	for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W) || ph->p_memsz == 0)
			continue;
		uintptr_t lo = (info->dlpi_addr + ph->p_vaddr) & ~(run->page - 1);
		uintptr_t hi = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz + run->page - 1) &
		               ~(run->page - 1);
		trim_clip(info, run->page, &lo, &hi);
		if (lo < hi && madvise((void *)lo, hi - lo, MADV_DONTNEED) == 0)
			run->advised += hi - lo;
	}
	return 0;
}

/* A debugger's breakpoints are private copies of text pages, which MADV_DONTNEED would
 * throw away (the breakpoints would silently vanish): a traced process keeps its pages. */
static bool trim_traced(void)
{
	char buf[1024];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	const char *t;

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return true; /* cannot tell: leave the pages */
	buf[n] = '\0';
	t = strstr(buf, "\nTracerPid:");
	return t == NULL || strtol(t + strlen("\nTracerPid:"), NULL, 10) != 0;
}

size_t trim_text(void)
{
	if (trim_traced())
		return 0;
	long page = sysconf(_SC_PAGESIZE);
	struct trim_run run = {.page = page > 0 ? (uintptr_t)page : 4096,
	                       .vdso = (uintptr_t)getauxval(AT_SYSINFO_EHDR)};

	dl_iterate_phdr(trim_object, &run);
	return run.advised;
}
