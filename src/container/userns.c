/* SPDX-License-Identifier: MIT */
#include "userns.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#define USERNS_SUBUID     "/etc/subuid"
#define USERNS_SUBGID     "/etc/subgid"
#define USERNS_HELPER_OUT 512 /* what of a helper's stderr goes into the error line */

/* ---- pure checks ---------------------------------------------------------------------- */

static bool userns_parse_u32(const char *s, size_t len, uint32_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 10)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

size_t userns_parse_subid(const char *text, const char *name, uint32_t id, struct userns_range *out,
                          size_t max)
{
	char idtext[16];
	size_t n = 0;

	snprintf(idtext, sizeof(idtext), "%" PRIu32, id);
	for (const char *line = text; line && *line && n < max;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		const char *c1 = memchr(line, ':', len);
		const char *c2 = c1 ? memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - line)) : NULL;
		struct userns_range r;
		size_t who = c1 ? (size_t)(c1 - line) : 0;

		if (c2 && who > 0 &&
		    ((name && strlen(name) == who && memcmp(line, name, who) == 0) ||
		     (strlen(idtext) == who && memcmp(line, idtext, who) == 0)) &&
		    userns_parse_u32(c1 + 1, (size_t)(c2 - c1 - 1), &r.start) &&
		    userns_parse_u32(c2 + 1, len - (size_t)(c2 + 1 - line), &r.count) &&
		    r.count > 0 && (uint64_t)r.start + r.count <= (uint64_t)UINT32_MAX + 1)
			out[n++] = r;
		line = end ? end + 1 : NULL;
	}
	return n;
}

static bool userns_overlap(uint32_t a, uint32_t na, uint32_t b, uint32_t nb)
{
	return (uint64_t)a < (uint64_t)b + nb && (uint64_t)b < (uint64_t)a + na;
}

int userns_check_overlap(const char *what, const struct config_id_mapping *m, size_t n,
                         berth_error_t *err)
{
	for (size_t i = 0; i < n; i++) {
		if (m[i].size == 0)
			return berth_error(err, 0, "%s[%zu].size: must be greater than zero", what,
			                   i);
		if ((uint64_t)m[i].container_id + m[i].size > UINT32_MAX ||
		    (uint64_t)m[i].host_id + m[i].size > UINT32_MAX)
			return berth_error(
			    err, 0,
			    "%s[%zu]: ids %" PRIu32 "+%" PRIu32 " (container) or %" PRIu32
			    "+%" PRIu32 " (host) pass 4294967294",
			    what, i, m[i].container_id, m[i].size, m[i].host_id, m[i].size);
		for (size_t j = 0; j < i; j++) {
			if (userns_overlap(m[i].container_id, m[i].size, m[j].container_id,
			                   m[j].size))
				return berth_error(err, 0,
				                   "%s[%zu]: container ids %" PRIu32 "-%" PRIu32
				                   " overlap those of %s[%zu]",
				                   what, i, m[i].container_id,
				                   m[i].container_id + m[i].size - 1, what, j);
			if (userns_overlap(m[i].host_id, m[i].size, m[j].host_id, m[j].size))
				return berth_error(err, 0,
				                   "%s[%zu]: host ids %" PRIu32 "-%" PRIu32
				                   " overlap those of %s[%zu]",
				                   what, i, m[i].host_id,
				                   m[i].host_id + m[i].size - 1, what, j);
		}
	}
	return 0;
}

int userns_check_allowed(const char *what, const struct config_id_mapping *m, size_t n,
                         uint32_t own, const struct userns_range *r, size_t nr, const char *file,
                         berth_error_t *err)
{
	for (size_t i = 0; i < n; i++) {
		bool ok = m[i].size == 1 && m[i].host_id == own;
		for (size_t k = 0; k < nr && !ok; k++)
			ok = m[i].host_id >= r[k].start && (uint64_t)m[i].host_id + m[i].size <=
			                                       (uint64_t)r[k].start + r[k].count;
		if (ok)
			continue;
		if (nr == 0)
			return berth_error(err, 0,
			                   "%s[%zu]: host ids %" PRIu32 "-%" PRIu32
			                   " are not yours to map: %s has no range for you "
			                   "(only your own id %" PRIu32 " can be mapped)",
			                   what, i, m[i].host_id,
			                   (uint32_t)((uint64_t)m[i].host_id + m[i].size - 1), file,
			                   own);
		return berth_error(err, 0,
		                   "%s[%zu]: host ids %" PRIu32 "-%" PRIu32
		                   " are not within your own id %" PRIu32 " or your range%s in %s "
		                   "(first: %" PRIu32 "-%" PRIu32 ")",
		                   what, i, m[i].host_id,
		                   (uint32_t)((uint64_t)m[i].host_id + m[i].size - 1), own,
		                   nr > 1 ? "s" : "", file, r[0].start,
		                   (uint32_t)((uint64_t)r[0].start + r[0].count - 1));
	}
	return 0;
}

bool userns_only_own(const struct config_id_mapping *m, size_t n, uint32_t own)
{
	return n == 1 && m[0].size == 1 && m[0].host_id == own;
}

/* ---- the host: subid files and helpers ------------------------------------------------ */

char *userns_user_name(uid_t uid)
{
	cleanup_file FILE *f = fopen("/etc/passwd", "re");
	struct passwd *pw;

	if (f == NULL)
		return NULL;
	while ((pw = fgetpwent(f)) != NULL)
		if (pw->pw_uid == uid)
			return xstrdup(pw->pw_name);
	return NULL;
}

static size_t userns_host_ranges(const char *file, struct userns_range *out, size_t max)
{
	cleanup_free char *text = NULL;
	cleanup_free char *name = userns_user_name(getuid());
	berth_error_t e = NULL;
	size_t len = 0;

	if (util_read_file(file, &text, &len, &e) < 0) {
		log_debug("%s", e->msg);
		berth_error_release(&e);
		return 0;
	}
	return userns_parse_subid(text, name, (uint32_t)getuid(), out, max);
}

/* Whether path is a helper that can map other ids: setuid root, or with file capabilities. */
static bool userns_helper_privileged(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return false;
	if ((st.st_mode & S_ISUID) && st.st_uid == 0)
		return true;
	return getxattr(path, "security.capability", NULL, 0) > 0;
}

char *userns_find_helper(const char *name, bool *privileged)
{
	const char *env = getenv("PATH");
	cleanup_free char *dirs = xstrdup(env && *env ? env : "/usr/local/bin:/usr/bin:/bin");
	char *save = NULL;

	*privileged = false;
	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char *path = xasprintf("%s/%s", *d ? d : ".", name);
		if (access(path, X_OK) == 0) {
			*privileged = userns_helper_privileged(path);
			return path;
		}
		free(path);
	}
	return NULL;
}

bool userns_in_child_ns(void)
{
	static int cached = -1;
	char buf[128] = {0};
	unsigned a, b, n;
	cleanup_close int fd = -1;

	if (cached >= 0)
		return cached;
	fd = open("/proc/self/uid_map", O_RDONLY | O_CLOEXEC);
	/* the initial namespace maps every id to itself, in one line */
	cached = fd >= 0 && read(fd, buf, sizeof(buf) - 1) > 0 &&
	         !(sscanf(buf, "%u %u %u", &a, &b, &n) == 3 && a == 0 && b == 0 &&
	           n == UINT32_MAX && strchr(buf, '\n') == strrchr(buf, '\n'));
	return cached;
}

bool userns_rootless(void)
{
	return geteuid() != 0 || userns_in_child_ns();
}

bool userns_unprivileged_allowed(void)
{
	char buf[16] = {0};
	cleanup_close int fd = open("/proc/sys/user/max_user_namespaces", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, buf, sizeof(buf) - 1) <= 0 || atoi(buf) <= 0)
		return false;
	fd = (close(fd), open("/proc/sys/kernel/unprivileged_userns_clone", O_RDONLY | O_CLOEXEC));
	memset(buf, 0, sizeof(buf));
	/* a Debian kernel knob; absent upstream, where unprivileged user namespaces are on */
	return fd < 0 || read(fd, buf, sizeof(buf) - 1) <= 0 || buf[0] != '0';
}

/* One file's checks for a non-root caller. */
static int userns_validate_rootless(const char *what, const char *helper, const char *file,
                                    const struct config_id_mapping *m, size_t n, uint32_t own,
                                    berth_error_t *err)
{
	struct userns_range r[USERNS_MAX_RANGES];
	size_t nr;
	bool priv;
	cleanup_free char *path = NULL;

	if (n == 0 || userns_only_own(m, n, own))
		return 0;
	nr = userns_host_ranges(file, r, USERNS_MAX_RANGES);
	if (userns_check_allowed(what, m, n, own, r, nr, file, err) < 0)
		return -1;
	path = userns_find_helper(helper, &priv);
	if (path == NULL)
		return berth_error(err, 0,
		                   "%s: mapping more than your own id needs %s (Debian package "
		                   "uidmap): not found in PATH",
		                   what, helper);
	if (!priv)
		return berth_error(err, 0,
		                   "%s: `%s` is not setuid root (nor has file capabilities): it "
		                   "cannot map other ids",
		                   what, path);
	return 0;
}

int userns_validate(const struct config *c, berth_error_t *err)
{
	const struct config_linux *l = &c->linux_;

	if (userns_check_overlap("config.json: linux.uidMappings", l->uid_mappings,
	                         l->n_uid_mappings, err) < 0 ||
	    userns_check_overlap("config.json: linux.gidMappings", l->gid_mappings,
	                         l->n_gid_mappings, err) < 0)
		return -1;
	if (geteuid() == 0)
		return 0; /* root, in a user namespace or not, writes the maps itself */
	if (userns_validate_rootless("config.json: linux.uidMappings", "newuidmap", USERNS_SUBUID,
	                             l->uid_mappings, l->n_uid_mappings, (uint32_t)geteuid(),
	                             err) < 0 ||
	    userns_validate_rootless("config.json: linux.gidMappings", "newgidmap", USERNS_SUBGID,
	                             l->gid_mappings, l->n_gid_mappings, (uint32_t)getegid(),
	                             err) < 0)
		return -1;
	return 0;
}

/* ---- writing the maps ----------------------------------------------------------------- */

static int userns_write_direct(pid_t pid, const char *file, const struct config_id_mapping *m,
                               size_t n, berth_error_t *err)
{
	char path[64];
	char buf[4096];
	size_t len = 0;

	if (n == 0)
		return berth_error(err, EINVAL, "linux.%s: no mappings", file);
	for (size_t i = 0; i < n; i++) {
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%u %u %u\n",
		                        m[i].container_id, m[i].host_id, m[i].size);
		if (len >= sizeof(buf))
			return berth_error(err, E2BIG, "linux.%s", file);
	}
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	return util_write_file(path, buf, err);
}

/* newuidmap PID ID HOST SIZE…; its stderr becomes the error. */
static int userns_write_helper(pid_t pid, const char *helper, const char *what,
                               const struct config_id_mapping *m, size_t n, berth_error_t *err)
{
	bool priv;
	cleanup_free char *path = userns_find_helper(helper, &priv);
	char **argv;
	char out[USERNS_HELPER_OUT] = "";
	int pipefd[2], status = 0;
	ssize_t got = 0;
	pid_t child;
	int r = -1;

	if (path == NULL)
		return berth_error(err, ENOENT, "%s: %s not found in PATH", what, helper);
	argv = xmalloc0((3 + 3 * n) * sizeof(char *));
	argv[0] = xstrdup(helper);
	argv[1] = xasprintf("%d", (int)pid);
	for (size_t i = 0; i < n; i++) {
		argv[2 + 3 * i] = xasprintf("%u", m[i].container_id);
		argv[3 + 3 * i] = xasprintf("%u", m[i].host_id);
		argv[4 + 3 * i] = xasprintf("%u", m[i].size);
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		berth_error(err, errno, "pipe");
		goto out;
	}
	child = fork();
	if (child == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
		}
		dup2(pipefd[1], STDERR_FILENO);
		execv(path, argv);
		_exit(127);
	}
	close(pipefd[1]);
	if (child < 0) {
		close(pipefd[0]);
		berth_error(err, errno, "fork");
		goto out;
	}
	got = util_read_all(pipefd[0], out, sizeof(out) - 1);
	close(pipefd[0]);
	out[got > 0 ? got : 0] = '\0';
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char *nl = strchr(out, '\n');
		if (nl)
			*nl = '\0';
		berth_error(err, 0, "%s: `%s` failed (%s %d)%s%s", what, path,
		            WIFEXITED(status) ? "exit status" : "signal",
		            WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
		            *out ? ": " : "", out);
		goto out;
	}
	r = 0;
out:
	for (size_t i = 0; i < 2 + 3 * n; i++)
		free(argv[i]);
	free(argv);
	return r;
}

int userns_write_id_maps(pid_t pid, const struct config_id_mapping *um, size_t nu,
                         const struct config_id_mapping *gm, size_t ng, berth_error_t *err)
{
	char path[64];

	if (geteuid() == 0)
		return userns_write_direct(pid, "uid_map", um, nu, err) < 0 ||
		               userns_write_direct(pid, "gid_map", gm, ng, err) < 0
		           ? -1
		           : 0;
	if (userns_only_own(um, nu, (uint32_t)geteuid())) {
		if (userns_write_direct(pid, "uid_map", um, nu, err) < 0)
			return berth_error_prefix(err, "linux.uidMappings");
	} else if (userns_write_helper(pid, "newuidmap", "linux.uidMappings", um, nu, err) < 0) {
		return -1;
	}
	if (userns_only_own(gm, ng, (uint32_t)getegid())) {
		/* an ordinary user may write its own gid only once setgroups is denied */
		snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)pid);
		if (util_write_file(path, "deny", err) < 0 ||
		    userns_write_direct(pid, "gid_map", gm, ng, err) < 0)
			return berth_error_prefix(err, "linux.gidMappings");
		return 0;
	}
	return userns_write_helper(pid, "newgidmap", "linux.gidMappings", gm, ng, err);
}

int userns_write_maps(pid_t pid, const struct config *c, berth_error_t *err)
{
	const struct config_linux *l = &c->linux_;
	return userns_write_id_maps(pid, l->uid_mappings, l->n_uid_mappings, l->gid_mappings,
	                            l->n_gid_mappings, err);
}
