/* SPDX-License-Identifier: MIT */
/* A tar in a memfd, for the engine's unit tests. */
#ifndef BERTH_TEST_ENGINE_TAR_H
#define BERTH_TEST_ENGINE_TAR_H

#include <archive.h>
#include <archive_entry.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct tar_ent {
	const char *name;
	mode_t type;      /* AE_IFREG, AE_IFDIR, AE_IFLNK; AE_IFREG with hard for a hard link */
	const char *data; /* file content, or the link target */
	int hard;
};

/* The tar of ents, read from its start. */
static inline int tar_make(const struct tar_ent *ents, size_t n)
{
	int fd = memfd_create("tar", MFD_CLOEXEC);
	struct archive *a = archive_write_new();

	archive_write_set_format_pax_restricted(a);
	if (fd < 0 || archive_write_open_fd(a, fd) != ARCHIVE_OK)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *en = archive_entry_new();
		const char *d = ents[i].data ? ents[i].data : "";
		archive_entry_set_pathname(en, ents[i].name);
		archive_entry_set_filetype(en, ents[i].type);
		archive_entry_set_perm(en, ents[i].type == AE_IFDIR ? 0755 : 0644);
		if (ents[i].hard) {
			archive_entry_set_hardlink(en, d);
		} else if (ents[i].type == AE_IFLNK) {
			archive_entry_set_symlink(en, d);
		} else if (ents[i].type == AE_IFREG) {
			archive_entry_set_size(en, (la_int64_t)strlen(d));
		}
		archive_write_header(a, en);
		if (ents[i].type == AE_IFREG && !ents[i].hard)
			archive_write_data(a, d, strlen(d));
		archive_entry_free(en);
	}
	archive_write_close(a);
	archive_write_free(a);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

#endif
