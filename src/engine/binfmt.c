/* SPDX-License-Identifier: MIT */
/* Foreign-platform containers: binfmt_misc mounted, a handler with the F flag for the image's
 * architecture (registered from qemu-user-static when there is none), see binfmt.h. */
#include "binfmt.h"
#include "engine.h"
#include "regref.h"
#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <unistd.h>

#define BINFMT_DIR   "/proc/sys/fs/binfmt_misc"
#define BINFMT_MAGIC 0x42494e4d /* BINFMTFS_MAGIC */
#define QEMU_DIR     "/usr/bin"

/* Debian's /usr/lib/binfmt.d/qemu-*.conf (x86_64 from qemu's qemu-binfmt-conf.sh) */
#define ELF64LE(m0, m1)                                                                            \
	{                                                                                          \
		0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, m0, m1              \
	}
#define MASK64LE                                                                                   \
	{                                                                                          \
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff,      \
		    0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xff                                       \
	}
static const struct binfmt_arch binfmt_table[] = {
    {"riscv64", "riscv64", ELF64LE(0xf3, 0x00), MASK64LE},
    {"arm64", "aarch64", ELF64LE(0xb7, 0x00), MASK64LE},
    {"amd64", "x86_64", ELF64LE(0x3e, 0x00), {0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xfe,
                                              0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                              0xff, 0xff, 0xfe, 0xff, 0xff, 0xff}},
    {"ppc64le", "ppc64le", ELF64LE(0x15, 0x00), {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                                 0xfc, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                                 0xff, 0xff, 0xfe, 0xff, 0xff, 0x00}},
    {"s390x",
     "s390x",
     {0x7f, 'E', 'L', 'F', 2, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0x16},
     {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfc, 0xff, 0xff,
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xff, 0xff}},
    {"arm",
     "arm",
     {0x7f, 'E', 'L', 'F', 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0x28, 0x00},
     MASK64LE},
};

const struct binfmt_arch *binfmt_arch_find(const char *arch)
{
	for (size_t i = 0; i < ARRAY_SIZE(binfmt_table); i++)
		if (strcmp(binfmt_table[i].arch, arch) == 0)
			return &binfmt_table[i];
	return NULL;
}

void binfmt_state_free(struct binfmt_state *st)
{
	free(st->name);
	free(st->interpreter);
	memset(st, 0, sizeof(*st));
}

/* "7f454c46…" -> bytes; the count, or -1. */
static int binfmt_hex(const char *s, unsigned char *out, size_t max)
{
	size_t n = 0;

	while (s[0] && s[0] != '\n') {
		unsigned v;
		if (n >= max || !isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1]) ||
		    sscanf(s, "%2x", &v) != 1)
			return -1;
		out[n++] = (unsigned char)v;
		s += 2;
	}
	return (int)n;
}

/* Whether the handler described by text (a binfmt_misc entry's file) is enabled and takes an
 * executable of a (ET_EXEC or ET_DYN) as the kernel matches: (byte & mask) == magic. */
static bool binfmt_entry_matches(const char *text, const struct binfmt_arch *a)
{
	unsigned char magic[128], mask[128];
	const char *l;
	long offset = 0;
	int mn = -1, kn = -1;

	if (strncmp(text, "enabled\n", 8) != 0)
		return false;
	if ((l = strstr(text, "\noffset ")) != NULL)
		offset = strtol(l + 8, NULL, 10);
	if ((l = strstr(text, "\nmagic ")) != NULL)
		mn = binfmt_hex(l + 7, magic, sizeof(magic));
	if ((l = strstr(text, "\nmask ")) != NULL)
		kn = binfmt_hex(l + 6, mask, sizeof(mask));
	if (mn <= 0 || offset < 0 || offset + mn > BINFMT_MAGIC_LEN || (kn >= 0 && kn != mn))
		return false; /* an extension, or beyond the header this table knows */
	for (int type = 2; type <= 3; type++) {
		unsigned char hdr[BINFMT_MAGIC_LEN];
		bool ok = true;
		memcpy(hdr, a->magic, sizeof(hdr));
		/* e_type's low byte (ET_EXEC 2, ET_DYN 3): at 16 little-endian, 17 big */
		hdr[a->magic[5] == 2 ? 17 : 16] = (unsigned char)type;
		for (int i = 0; i < mn && ok; i++)
			ok = (hdr[offset + i] & (kn >= 0 ? mask[i] : 0xff)) == magic[i];
		if (ok)
			return true;
	}
	return false;
}

void binfmt_scan(const char *dir, const struct binfmt_arch *a, struct binfmt_state *st)
{
	cleanup_free char *ours = xasprintf("berth-%s", a->arch);
	cleanup_free char *status = xasprintf("%s/status", dir);
	cleanup_free char *stext = NULL;
	berth_error_t e2 = NULL;
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t len;

	memset(st, 0, sizeof(*st));
	if (util_read_file(status, &stext, &len, &e2) == 0)
		st->disabled = strncmp(stext, "disabled", 8) == 0;
	berth_error_release(&e2);
	while (d && (de = readdir(d)) != NULL) {
		cleanup_free char *p = NULL, *text = NULL;
		const char *l;
		bool f;
		if (de->d_name[0] == '.' || strcmp(de->d_name, "register") == 0 ||
		    strcmp(de->d_name, "status") == 0)
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		if (util_read_file(p, &text, &len, &e2) < 0) {
			berth_error_release(&e2);
			continue;
		}
		if (!binfmt_entry_matches(text, a))
			continue;
		l = strstr(text, "\nflags: ");
		f = l && strcspn(l + 8, "\n") > strcspn(l + 8, "F");
		/* one without F is what to report; else the first with it */
		if (st->name && (!st->fix_binary || f))
			continue;
		binfmt_state_free(st);
		st->disabled = stext && strncmp(stext, "disabled", 8) == 0;
		st->name = xstrdup(de->d_name);
		st->fix_binary = f;
		st->ours = strcmp(de->d_name, ours) == 0;
		if ((l = strstr(text, "\ninterpreter ")) != NULL)
			st->interpreter = xasprintf("%.*s", (int)strcspn(l + 13, "\n"), l + 13);
	}
	if (d)
		closedir(d);
}

/* binfmt_misc on its usual place, mounted when it is not (as systemd's
 * proc-sys-fs-binfmt_misc.mount does). */
static int binfmt_mount(berth_error_t *err)
{
	struct statfs sf;

	if (statfs(BINFMT_DIR, &sf) == 0 && (unsigned long)sf.f_type == BINFMT_MAGIC)
		return 0;
	if (mount("binfmt_misc", BINFMT_DIR, "binfmt_misc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	          NULL) < 0)
		return berth_error(err, errno,
		                   "binfmt_misc is not mounted on %s, and mounting it failed (is "
		                   "the binfmt_misc module there?)",
		                   BINFMT_DIR);
	return 0;
}

/* The qemu-user-static interpreter of a: $BERTH_QEMU_DIR (else /usr/bin)/qemu-ARCH-static. */
static char *binfmt_interpreter(const struct binfmt_arch *a)
{
	const char *dir = getenv("BERTH_QEMU_DIR");

	return xasprintf("%s/qemu-%s-static", dir && dir[0] ? dir : QEMU_DIR, a->qemu);
}

/* ":berth-ARCH:M::MAGIC:MASK:INTERPRETER:OPF", as Debian's but under berth's name. */
static int binfmt_register(const struct binfmt_arch *a, const char *interp, berth_error_t *err)
{
	char *line = xasprintf(":berth-%s:M::", a->arch), *t;
	int fd, r = 0;

	for (int k = 0; k < 2; k++) {
		const unsigned char *b = k == 0 ? a->magic : a->mask;
		for (size_t i = 0; i < BINFMT_MAGIC_LEN; i++) {
			t = xasprintf("%s\\x%02x", line, b[i]);
			free(line);
			line = t;
		}
		t = xasprintf("%s:", line);
		free(line);
		line = t;
	}
	t = xasprintf("%s%s:OPF", line, interp);
	free(line);
	line = t;
	fd = open(BINFMT_DIR "/register", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, line, strlen(line)) != (ssize_t)strlen(line))
		r = errno == EEXIST
		        ? 0 /* another berth was first */
		        : berth_error(err, errno, "register binfmt_misc handler berth-%s for %s",
		                      a->arch, interp);
	if (fd >= 0)
		close(fd);
	free(line);
	return r;
}

int binfmt_prepare(const char *arch, bool asked, berth_error_t *err)
{
	const struct binfmt_arch *a = binfmt_arch_find(arch);
	struct binfmt_state st;
	struct platform host;
	cleanup_free char *interp = NULL;
	int r = 0;

	platform_host(&host);
	if (arch[0] == '\0' || strcmp(arch, host.arch) == 0)
		return 0;
	if (a == NULL) {
		if (!asked)
			return 0; /* as before: the kernel says whether it runs */
		return berth_error(err, 0,
		                   "platform linux/%s cannot be run here: berth emulates riscv64, "
		                   "arm64, arm, amd64, ppc64le and s390x (with qemu-user-static)",
		                   arch);
	}
	if (binfmt_mount(err) < 0)
		return -1;
	binfmt_scan(BINFMT_DIR, a, &st);
	if (st.disabled) {
		binfmt_state_free(&st);
		return berth_error(err, 0,
		                   "binfmt_misc is disabled (%s/status), so linux/%s binaries "
		                   "cannot run (echo 1 > %s/status)",
		                   BINFMT_DIR, arch, BINFMT_DIR);
	}
	if (st.name && !st.fix_binary) {
		r = berth_error(
		    err, 0,
		    "binfmt_misc handler %s for linux/%s (interpreter %s) has no F flag: "
		    "its interpreter would be looked for inside the container; "
		    "register it with F (or disable it: echo 0 > %s/%s)",
		    st.name, arch, st.interpreter ? st.interpreter : "?", BINFMT_DIR, st.name);
		binfmt_state_free(&st);
		return r;
	}
	if (st.name && !st.ours) {
		binfmt_state_free(&st); /* another's handler with F: used as it is */
		return 0;
	}
	/* berth's handler runs qemu-user-static, which must be there */
	interp = binfmt_interpreter(a);
	if (access(interp, X_OK) < 0)
		r = berth_error(err, 0,
		                "platform linux/%s needs %s, which is not there (apt-get install "
		                "qemu-user-static)",
		                arch, interp);
	else if (st.name == NULL)
		r = binfmt_register(a, interp, err);
	binfmt_state_free(&st);
	return r;
}
