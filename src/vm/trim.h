/* SPDX-License-Identifier: MIT */
#pragma once
#include <stddef.h>

/* Unmap the resident pages of the code and read-only data of berth and every library it
 * has loaded (the non-writable segments, which are the files' pages, not copies): what was
 * run only to start, faulted in 64 KiB at a time, leaves the RSS, and what runs later faults
 * back in from the page cache. Returns the bytes advised (0 in a traced process: a
 * debugger's breakpoints are private copies of text pages). See trim.c. */
size_t trim_text(void);
