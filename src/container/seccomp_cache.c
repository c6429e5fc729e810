/* SPDX-License-Identifier: MIT */
#include "seccomp_cache.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <linux/filter.h>
#include <nettle/sha2.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

/* Bump when the file layout or what goes into the key changes. */
#define SECCOMP_CACHE_VERSION 1
#define SECCOMP_CACHE_MAGIC   "BERTHBPF"

struct seccomp_cache_header {
	char magic[8];
	uint32_t version;
	uint32_t n_insns;
	uint32_t flags; /* SECCOMP_CACHE_NOTIFY */
	uint32_t reserved;
	uint8_t key[SHA256_DIGEST_SIZE]; /* the key this entry is for (its name, in binary) */
	uint8_t sum[SHA256_DIGEST_SIZE]; /* SHA-256 of the instructions */
};
#define SECCOMP_CACHE_NOTIFY 1u

/* ---- the key ------------------------------------------------------------------------ */

/* The GNU build id of the program itself and of libseccomp (when it is a shared library):
 * the BPF depends on berth's translation of the profile and on libseccomp's code, and a
 * rebuild or an upgrade of either changes its build id. */
static int seccomp_cache_build_ids(struct dl_phdr_info *info, size_t size, void *data)
{
	struct sha256_ctx *h = data;
	bool main_program = info->dlpi_name == NULL || info->dlpi_name[0] == '\0';
	bool found = false;

	(void)size;
	if (!main_program && strstr(info->dlpi_name, "libseccomp") == NULL)
		return 0;
	for (size_t i = 0; i < info->dlpi_phnum && !found; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr);
		size_t off = 0;
		if (ph->p_type != PT_NOTE)
			continue;
		while (off + sizeof(ElfW(Nhdr)) <= ph->p_memsz) {
			const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)(p + off);
			size_t name = (n->n_namesz + 3) & ~(size_t)3;
			size_t desc = (n->n_descsz + 3) & ~(size_t)3;
			const char *d = p + off + sizeof(*n) + name;
			if (off + sizeof(*n) + name + desc > ph->p_memsz)
				break;
			if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 &&
			    memcmp(p + off + sizeof(*n), "GNU", 4) == 0) {
				sha256_update(h, n->n_descsz, (const uint8_t *)d);
				found = true;
				break;
			}
			off += sizeof(*n) + name + desc;
		}
	}
	if (main_program && !found)
		return 1; /* nothing tells this build from another: no cache */
	return 0;
}

/* Everything the compiled program depends on: the profile (its JSON, keys sorted), the
 * builds of berth and libseccomp, libseccomp's version and API level, the machine and the
 * kernel (libseccomp probes it). 0, or -1 when the program has no build id. */
static int seccomp_cache_key(const json_t *profile, uint8_t key[SHA256_DIGEST_SIZE])
{
	const struct scmp_version *v = seccomp_version();
	cleanup_free char *text = json_dumps(profile, JSON_COMPACT | JSON_SORT_KEYS);
	struct sha256_ctx h;
	struct utsname u;
	char head[512];
	int n;

	if (text == NULL || uname(&u) < 0)
		return -1;
	n = snprintf(head, sizeof(head), "berth seccomp cache %d\n%u.%u.%u api %u opt %d\n%s %s\n",
	             SECCOMP_CACHE_VERSION, v->major, v->minor, v->micro, seccomp_api_get(),
	             SECCOMP_OPTIMIZE, u.machine, u.release);
	if (n < 0 || (size_t)n >= sizeof(head))
		return -1;
	sha256_init(&h);
	sha256_update(&h, (size_t)n, (const uint8_t *)head);
	if (dl_iterate_phdr(seccomp_cache_build_ids, &h) != 0)
		return -1;
	sha256_update(&h, strlen(text), (const uint8_t *)text);
	sha256_digest(&h, SHA256_DIGEST_SIZE, key);
	return 0;
}

static void seccomp_cache_sum(const struct sock_filter *insns, size_t n,
                              uint8_t sum[SHA256_DIGEST_SIZE])
{
	struct sha256_ctx h;

	sha256_init(&h);
	sha256_update(&h, n * sizeof(*insns), (const uint8_t *)insns);
	sha256_digest(&h, SHA256_DIGEST_SIZE, sum);
}

/* ---- the directory -------------------------------------------------------------------- */

/* Whether st is something only we can write: ours, nothing for group or others. */
static bool seccomp_cache_private(const struct stat *st)
{
	return st->st_uid == geteuid() && (st->st_mode & 077) == 0;
}

/* ROOT/.cache/seccomp, made 0700 when missing; -1 (with a debug line) when it cannot be made
 * or is not private: a filter read from a directory another user can write to could be
 * anything. */
static int seccomp_cache_open_dir(const char *root)
{
	cleanup_free char *cache = xasprintf("%s/.cache", root);
	cleanup_free char *dir = xasprintf("%s/.cache/seccomp", root);
	struct stat st;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT) {
		if ((mkdir(cache, 0700) < 0 && errno != EEXIST) ||
		    (mkdir(dir, 0700) < 0 && errno != EEXIST)) {
			log_debug("seccomp cache: mkdir `%s`: %s", dir, strerror(errno));
			return -1;
		}
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0) {
		log_debug("seccomp cache: open `%s`: %s", dir, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !seccomp_cache_private(&st)) {
		log_debug("seccomp cache: `%s` is not private to uid %u, not used", dir,
		          (unsigned)geteuid());
		close(fd);
		return -1;
	}
	return fd;
}

/* ---- entries -------------------------------------------------------------------------- */

/* The entry NAME in dfd if it is whole and for key; 0 with *insns (heap), or -1 with why. */
static int seccomp_cache_read(int dfd, const char *name, const uint8_t key[SHA256_DIGEST_SIZE],
                              struct sock_filter **insns, size_t *n, bool *notify, const char **why)
{
	cleanup_close int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	cleanup_free char *buf = NULL;
	struct seccomp_cache_header h;
	uint8_t sum[SHA256_DIGEST_SIZE];
	struct stat st;
	size_t size;

	if (fd < 0) {
		*why = errno == ENOENT ? "absent" : "cannot be opened";
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !seccomp_cache_private(&st) ||
	    st.st_nlink != 1) {
		*why = "not a private regular file";
		return -1;
	}
	if (st.st_size < (off_t)sizeof(h) ||
	    st.st_size > (off_t)(sizeof(h) + BPF_MAXINSNS * sizeof(struct sock_filter)) ||
	    (st.st_size - sizeof(h)) % sizeof(struct sock_filter) != 0) {
		*why = "of the wrong size";
		return -1;
	}
	size = (size_t)st.st_size;
	buf = xmalloc0(size);
	if (util_read_all(fd, buf, size) != (ssize_t)size) {
		*why = "short";
		return -1;
	}
	memcpy(&h, buf, sizeof(h));
	if (memcmp(h.magic, SECCOMP_CACHE_MAGIC, sizeof(h.magic)) != 0 ||
	    h.version != SECCOMP_CACHE_VERSION || memcmp(h.key, key, sizeof(h.key)) != 0) {
		*why = "not an entry for this key";
		return -1;
	}
	if (h.n_insns == 0 || h.n_insns > BPF_MAXINSNS ||
	    sizeof(h) + (size_t)h.n_insns * sizeof(struct sock_filter) != size ||
	    (h.flags & ~SECCOMP_CACHE_NOTIFY) != 0) {
		*why = "inconsistent";
		return -1;
	}
	*insns = xmalloc0(h.n_insns * sizeof(struct sock_filter));
	memcpy(*insns, buf + sizeof(h), h.n_insns * sizeof(struct sock_filter));
	seccomp_cache_sum(*insns, h.n_insns, sum);
	if (memcmp(sum, h.sum, sizeof(sum)) != 0) {
		free(*insns);
		*insns = NULL;
		*why = "damaged (checksum)";
		return -1;
	}
	*n = h.n_insns;
	*notify = (h.flags & SECCOMP_CACHE_NOTIFY) != 0;
	return 0;
}

/* Write the entry under a temporary name and rename it into place, so that a reader sees
 * the old entry or the new one, whole. Failing is not an error: the next create compiles. */
static void seccomp_cache_write(int dfd, const char *name, const uint8_t key[SHA256_DIGEST_SIZE],
                                const struct seccomp_program *p)
{
	struct seccomp_cache_header h = {.version = SECCOMP_CACHE_VERSION};
	size_t n;
	const struct sock_filter *insns = seccomp_program_insns(p, &n);
	char tmp[96];
	cleanup_close int fd = -1;

	memcpy(h.magic, SECCOMP_CACHE_MAGIC, sizeof(h.magic));
	memcpy(h.key, key, sizeof(h.key));
	h.n_insns = (uint32_t)n;
	h.flags = seccomp_program_notifies(p) ? SECCOMP_CACHE_NOTIFY : 0;
	seccomp_cache_sum(insns, n, h.sum);
	snprintf(tmp, sizeof(tmp), ".%s.%d", name, (int)getpid());
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST && unlinkat(dfd, tmp, 0) == 0) /* left by a crash */
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_debug("seccomp cache: create `%s`: %s", tmp, strerror(errno));
		return;
	}
	if (fchmod(fd, 0600) < 0 || util_write_all(fd, &h, sizeof(h)) < 0 ||
	    util_write_all(fd, insns, n * sizeof(*insns)) < 0 ||
	    renameat(dfd, tmp, dfd, name) < 0) {
		log_debug("seccomp cache: write `%s`: %s", name, strerror(errno));
		unlinkat(dfd, tmp, 0);
		return;
	}
	log_debug("seccomp cache: wrote %s (%zu instructions)", name, n);
}

int seccomp_build_cached(const struct config_seccomp *s, const json_t *profile, const char *root,
                         struct seccomp_program **out, berth_error_t *err)
{
	uint8_t key[SHA256_DIGEST_SIZE];
	char name[65];
	cleanup_close int dfd = -1;
	cleanup_free struct sock_filter *insns = NULL;
	const char *why = NULL;
	size_t n = 0;
	bool notify = false;

	if (profile == NULL || root == NULL || seccomp_cache_key(profile, key) < 0 ||
	    (dfd = seccomp_cache_open_dir(root)) < 0)
		return seccomp_build(s, out, err);
	util_hex(key, SHA256_DIGEST_SIZE, name);
	if (seccomp_cache_read(dfd, name, key, &insns, &n, &notify, &why) == 0) {
		log_debug("seccomp cache: %s/.cache/seccomp/%s (%zu instructions)", root, name, n);
		return seccomp_program_from_bpf(s, util_steal_ptr(insns), n, notify, out, err);
	}
	log_debug("seccomp cache: %s/.cache/seccomp/%s is %s, compiling", root, name, why);
	if (seccomp_build(s, out, err) < 0)
		return -1;
	seccomp_cache_write(dfd, name, key, *out);
	return 0;
}

int seccomp_build_for(const struct config *c, const char *root, struct seccomp_program **out,
                      berth_error_t *err)
{
	const json_t *profile = json_object_get(json_object_get(c->raw, "linux"), "seccomp");

	return seccomp_build_cached(&c->linux_.seccomp, json_is_object(profile) ? profile : NULL,
	                            root, out, err);
}
