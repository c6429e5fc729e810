/* SPDX-License-Identifier: MIT */
/* <root>/runtime, the runtime library's state root (a directory per container: state.json, a
 * copy of config.json, exec.fifo; and .cache/seccomp), is a symlink to a directory of
 * /run/berth/runtime, a tmpfs: that state means nothing after a reboot, and on a disk each of its
 * files costs an inode made and freed (on this project's development host, an ext4 without a
 * journal mounted with `discard`, a search past every inode freed in the last seconds, and a
 * wait for the device at each rmdir). /run/berth/runtime is used as it is when it is on a
 * tmpfs already (/run is one on most hosts); else berth mounts one there (mode 0700), once,
 * in its mount namespace (not on /run/berth, whose lock and firewall state files it would
 * hide). As root only: an ordinary user's runtime root is under $XDG_RUNTIME_DIR
 * (rootless.c).
 *
 * After a reboot the link dangles: the directory is made again, empty (no container runs).
 * A store made by an older berth keeps its runtime/ directory on disk until it holds no
 * container; where /run/berth/runtime cannot be a tmpfs (no CAP_SYS_ADMIN), runtime/ is a directory
 * of the store, as before. */
#include "engine.h"
#include "log.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#define RUNROOT_PARENT "/run/berth"
#define RUNROOT_DIR    RUNROOT_PARENT "/runtime"
#define RUNROOT_LOCK   RUNROOT_PARENT "/runtime.lock"

static bool runroot_is_tmpfs(void)
{
	struct statfs sf;
	return statfs(RUNROOT_DIR, &sf) == 0 && sf.f_type == TMPFS_MAGIC;
}

/* /run/berth/runtime on a tmpfs: true, or false when it cannot be */
static bool runroot_tmpfs(void)
{
	cleanup_close int lock = -1;
	struct stat st;

	if ((mkdir(RUNROOT_PARENT, 0700) < 0 && errno != EEXIST) ||
	    (mkdir(RUNROOT_DIR, 0700) < 0 && errno != EEXIST))
		return false;
	if (lstat(RUNROOT_DIR, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != 0)
		return false;
	if (runroot_is_tmpfs())
		return true;
	/* one berth mounts it: two at once would stack two */
	lock = open(RUNROOT_LOCK, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lock < 0)
		return false;
	while (flock(lock, LOCK_EX) < 0)
		if (errno != EINTR)
			return false;
	if (runroot_is_tmpfs())
		return true;
	if (mount("tmpfs", RUNROOT_DIR, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700") <
	    0) {
		log_debug("mount tmpfs on %s: %s", RUNROOT_DIR, strerror(errno));
		return false;
	}
	return true;
}

/* Whether a directory of /run/berth/runtime holds a container's state (an entry not starting
 * with a dot: the runtime library's <id>/), or cannot be read. */
static bool runroot_has_state(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	bool has = false;

	if (d == NULL)
		return true;
	while (!has && (de = readdir(d)) != NULL)
		has = de->d_name[0] != '.';
	closedir(d);
	return has;
}

/* The directories of /run/berth/runtime no store links to any more (a store removed with rm -rf, as
 * a test's is), removed: each names its store's link in .store; one younger than a minute is left
 * alone (its store may be being made), and so is one that holds a container's state: its store
 * may have been moved (mv) while the container ran, and .store names the old path until the
 * store is used again (engine_runtime_dir). */
static void runroot_sweep(void)
{
	DIR *d = opendir(RUNROOT_DIR);
	struct dirent *de;
	time_t now = time(NULL);

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		cleanup_free char *dir = NULL, *store = NULL, *text = NULL;
		char back[PATH_MAX];
		berth_error_t e2 = NULL;
		struct stat st;
		size_t len;
		ssize_t n;
		if (de->d_name[0] == '.')
			continue;
		dir = xasprintf("%s/%s", RUNROOT_DIR, de->d_name);
		if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || now - st.st_mtime < 60)
			continue;
		store = xasprintf("%s/.store", dir);
		if (util_read_file(store, &text, &len, &e2) < 0) {
			berth_error_release(&e2);
			continue;
		}
		n = readlink(text, back, sizeof(back) - 1);
		if (n >= 0) {
			back[n] = '\0';
			if (strcmp(back, dir) == 0)
				continue;
		}
		if (runroot_has_state(dir))
			continue;
		if (util_rm_rf(dir, &e2) < 0)
			berth_error_release(&e2);
	}
	closedir(d);
}

/* target/.store: the link to it (for runroot_sweep) */
static int runroot_back(const char *target, const char *link, berth_error_t *err)
{
	cleanup_free char *back = xasprintf("%s/.store", target);
	return util_write_file_atomic(back, link, strlen(link), 0600, err);
}

/* target/.store naming link again when it names another path: the store was moved (mv) */
static int runroot_check_back(const char *target, const char *link, berth_error_t *err)
{
	cleanup_free char *back = xasprintf("%s/.store", target);
	cleanup_free char *text = NULL;
	berth_error_t e2 = NULL;
	size_t len;

	if (strncmp(target, RUNROOT_DIR "/", sizeof(RUNROOT_DIR)) != 0)
		return 0; /* not one of ours */
	if (util_read_file(back, &text, &len, &e2) < 0)
		berth_error_release(&e2);
	else if (len == strlen(link) && memcmp(text, link, len) == 0)
		return 0;
	return runroot_back(target, link, err);
}

/* link (<root>/runtime) made, to a new directory of /run/berth/runtime; or, when that cannot
 * be a tmpfs, a directory on disk as before */
static int runroot_make(const char *link, berth_error_t *err)
{
	unsigned char rnd[8];
	char target[sizeof(RUNROOT_DIR) + 20];

	if (!runroot_tmpfs() || getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)) {
		if (mkdir(link, 0700) < 0 && errno != EEXIST)
			return berth_error(err, errno, "mkdir `%s`", link);
		return 0;
	}
	snprintf(target, sizeof(target), "%s/%02x%02x%02x%02x%02x%02x%02x%02x", RUNROOT_DIR, rnd[0],
	         rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	runroot_sweep();
	if (mkdir(target, 0700) < 0)
		return berth_error(err, errno, "mkdir `%s`", target);
	if (runroot_back(target, link, err) < 0) {
		rmdir(target);
		return -1;
	}
	if (symlink(target, link) < 0) {
		int saved = errno;
		berth_error_t e2 = NULL;
		util_rm_rf(target, &e2);
		berth_error_release(&e2);
		if (saved == EEXIST) /* another berth made it meanwhile */
			return 0;
		return berth_error(err, saved, "symlink `%s`", link);
	}
	return 0;
}

/* Whether the store has no container (so that none has runtime state, or will have before
 * the engine's lock is let go). */
static bool runroot_no_containers(struct engine *e)
{
	cleanup_free char *dir = engine_path(e, "containers");
	DIR *d = opendir(dir);
	struct dirent *de;
	bool none = true;

	if (d == NULL)
		return false;
	while (none && (de = readdir(d)) != NULL)
		none = de->d_name[0] == '.';
	closedir(d);
	return none;
}

/* An older store's runtime/ on disk: replaced by the link when no container is left (what it
 * still holds is stale: a seccomp cache, the state of containers a reboot ended); under the
 * engine's lock, not waited for. */
static int runroot_migrate(struct engine *e, const char *link, berth_error_t *err)
{
	cleanup_free char *p = engine_path(e, "lock");
	cleanup_close int lock = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	berth_error_t e2 = NULL;

	if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB) < 0 || !runroot_no_containers(e) ||
	    !runroot_tmpfs())
		return 0;
	if (util_rm_rf(link, &e2) < 0) {
		log_debug("%s", e2->msg);
		berth_error_release(&e2);
		return 0;
	}
	return runroot_make(link, err);
}

int engine_runtime_dir(struct engine *e, berth_error_t *err)
{
	cleanup_free char *link = engine_path(e, "runtime");
	char target[PATH_MAX];
	struct stat st;
	ssize_t n;

	if (lstat(link, &st) < 0) {
		if (errno != ENOENT)
			return berth_error(err, errno, "stat `%s`", link);
		return runroot_make(link, err);
	}
	if (S_ISDIR(st.st_mode))
		return runroot_migrate(e, link, err);
	if (!S_ISLNK(st.st_mode))
		return berth_error(err, 0, "`%s`: expected a directory or a symlink to one", link);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return berth_error(err, errno, "readlink `%s`", link);
	target[n] = '\0';
	if (stat(link, &st) == 0 && S_ISDIR(st.st_mode))
		return runroot_check_back(target, link, err);
	/* dangling: /run/berth/runtime is new (a reboot); its directory made again */
	if (strncmp(target, RUNROOT_DIR "/", sizeof(RUNROOT_DIR)) != 0 ||
	    strchr(target + sizeof(RUNROOT_DIR), '/') != NULL || strstr(target, "..") != NULL ||
	    !runroot_tmpfs()) {
		/* not one of ours, or no tmpfs now: a new link, or a directory on disk */
		if (unlink(link) < 0 && errno != ENOENT)
			return berth_error(err, errno, "unlink `%s`", link);
		return runroot_make(link, err);
	}
	if (mkdir(target, 0700) < 0 && errno != EEXIST)
		return berth_error(err, errno, "mkdir `%s`", target);
	return runroot_back(target, link, err);
}
