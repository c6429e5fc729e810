/* SPDX-License-Identifier: MIT */
/* A removed container's files, off the critical path: `rm` and `run --rm` rename
 * containers/<id> into trash/<id> (one rename: the container, its record and its name are gone
 * from the store at once, as Docker's are when `rm` returns) and a child left behind removes
 * what trash/ holds. On ext4 each unlink and rmdir of the writable layer costs its inode's
 * eviction, and on a disk mounted with `discard` each freed block a wait for the device
 * (~2 ms a directory on the development host); the command no longer waits for them.
 *
 * A crash (or kill) between the rename and the end of the removal leaves an entry in trash/
 * that no record names: nothing lists it, and the next removal's child takes it too.
 *
 * The same child then makes a spare container directory, spare/<hex>/ with empty rootfs/,
 * upper/ and work/ and the new container's files, empty (trash_files; made as .new-<hex> and
 * renamed, so that a spare is whole), unless one is there: ctr_create renames it into
 * containers/<id> and writes the files in place, so that no ext4 inode is made on the way
 * to the next run's start (on a journal-less ext4 each one's search passes every inode of
 * its group freed in the last minutes: 0.1-1 ms each on the development host once the disk
 * has churned). One cut short (.new-*) older than a minute is removed.
 *
 * A --rm container whose layer was on its tmpfs (ctr_mount) leaves directories the container
 * never saw (its own, rootfs/, upper/, work/): the child makes that directory the next spare
 * (trash_recycle) instead of removing it, with new files. So that a store removed while the
 * child runs (rm -rf right after a run, as a test's teardown does) neither fails with
 * ENOTEMPTY nor comes back, the child makes nothing by path: spare/ is opened by the parent,
 * and the files' inodes are made unnamed (O_TMPFILE) and linked in at once. Per run --rm, 6
 * ext4 inodes are made and freed in the background (21 before, 17 of them before the start). */
#include "engine.h"
#include "ctrlog.h"
#include "log.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <stdio.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *const trash_sub[] = {"rootfs", "upper", "work"};
/* a new container's files, empty, with their modes: what ctr_create and net_prepare write in
 * place (ctr_write_new) and the monitor's log (k8s-file, the default driver) */
static const struct {
	const char *name;
	mode_t mode;
} trash_files[] = {{"config.json", 0600}, {"container.json", 0600}, {CTRLOG_NAME, 0600},
                   {"hosts", 0644},       {"hostname", 0644},       {"resolv.conf", 0644}};

int ctr_trash(struct engine *e, const char *id)
{
	cleanup_free char *dir = engine_path(e, "containers/%s", id);
	cleanup_free char *trash = engine_path(e, "trash");
	cleanup_free char *to = engine_path(e, "trash/%s", id);

	/* a --rm container's layer goes with its tmpfs (its overlay is unmounted already) */
	ctr_layer_umount(e, id);
	if (mkdir(trash, 0700) < 0 && errno != EEXIST)
		return -1;
	return rename(dir, to);
}

/* Whether dir (at dirfd) is an empty directory. */
static bool trash_empty_dir(int dirfd, const char *name)
{
	cleanup_close int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d;
	struct dirent *de;
	bool empty = true;

	if (fd < 0 || (d = util_dir_stream(fd)) == NULL)
		return false;
	while (empty && (de = readdir(d)) != NULL)
		empty = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
	closedir(d);
	return empty;
}

/* The files of trash_files made in dir (fd) as unnamed files (O_TMPFILE), then linked in at
 * once: their inodes, slow to make on a churned ext4, are made while no name shows them, so
 * that a store removed meanwhile (rm -rf) does not find a directory growing under it. 0, or
 * -1 with what was linked unlinked again. */
static int trash_files_make(int dir)
{
	int fds[ARRAY_SIZE(trash_files)];
	size_t i, n = 0;
	int r = 0;

	for (i = 0; i < ARRAY_SIZE(trash_files) && r == 0; i++) {
		fds[i] = openat(dir, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, trash_files[i].mode);
		if (fds[i] < 0 || fchmod(fds[i], trash_files[i].mode) < 0)
			r = -1;
		n = i + 1;
	}
	for (i = 0; i < n && r == 0; i++) {
		char proc[32];
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fds[i]);
		if (linkat(AT_FDCWD, proc, dir, trash_files[i].name, AT_SYMLINK_FOLLOW) < 0) {
			r = -1;
			while (i-- > 0)
				unlinkat(dir, trash_files[i].name, 0);
		}
	}
	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return r;
}

/* trash/<name>, a removed container's directory, made the next spare when its rootfs/,
 * upper/ and work/ are empty (a --rm container whose layer was on a tmpfs: the container never
 * saw these directories, nor the one that holds them): its files removed, new empty ones
 * linked in (trash_files_make), renamed into spare/. Nothing is made but the files, so a
 * store removed meanwhile does not see a directory grow. true: done. */
static bool trash_recycle(int trash, const char *name, int spare)
{
	cleanup_close int dir =
	    openat(trash, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	unsigned char rnd[8];
	char hex[17];
	DIR *d;
	struct dirent *de;

	if (dir < 0)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(trash_sub); i++)
		if (!trash_empty_dir(dir, trash_sub[i]))
			return false;
	d = util_dir_stream(dir);
	if (d == NULL)
		return false;
	while ((de = readdir(d)) != NULL) {
		bool sub = false;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		for (size_t i = 0; i < ARRAY_SIZE(trash_sub); i++)
			sub = sub || strcmp(de->d_name, trash_sub[i]) == 0;
		/* anything else that is not a plain file: no recycling */
		if (!sub && unlinkat(dir, de->d_name, 0) < 0) {
			closedir(d);
			return false;
		}
	}
	closedir(d);
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd) || trash_files_make(dir) < 0)
		return false;
	for (int i = 0; i < 8; i++)
		snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
	return renameat(trash, name, spare, hex) == 0;
}

/* Whether spare/ (fd) holds a spare directory. */
static bool trash_have_spare(int spare)
{
	DIR *d = util_dir_stream(spare);
	struct dirent *de;
	bool have = false;

	if (d == NULL)
		return true;
	while (!have && (de = readdir(d)) != NULL)
		have = de->d_name[0] != '.';
	closedir(d);
	return have;
}

/* Every entry of trash/ removed (errors ignored: what stays is taken next time); with spare
 * (the fd of spare/, or -1) and no spare there, the first that can be is made the next spare
 * instead (trash_recycle). */
static void trash_empty_now(struct engine *e, int spare)
{
	cleanup_free char *trash = engine_path(e, "trash");
	DIR *d = opendir(trash);
	struct dirent *de;
	bool want = spare >= 0 && !trash_have_spare(spare);

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		cleanup_free char *p = NULL;
		berth_error_t e2 = NULL;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (want && trash_recycle(dirfd(d), de->d_name, spare)) {
			want = false;
			continue;
		}
		p = xasprintf("%s/%s", trash, de->d_name);
		if (util_rm_rf(p, &e2) < 0)
			log_warning("%s", e2->msg);
		berth_error_release(&e2);
	}
	closedir(d);
}

int ctr_spare_take(struct engine *e, const char *dir)
{
	cleanup_free char *spare = engine_path(e, "spare");
	DIR *d = opendir(spare);
	struct dirent *de;
	int r = -1;

	if (d == NULL)
		return -1;
	while (r < 0 && (de = readdir(d)) != NULL) {
		cleanup_free char *p = NULL;
		if (de->d_name[0] == '.')
			continue;
		p = xasprintf("%s/%s", spare, de->d_name);
		r = rename(p, dir); /* ENOENT: another create took it */
	}
	closedir(d);
	return r;
}

/* What trash_spare_fill made in new (a directory of spare/), removed again. */
static void trash_spare_undo(int spare, int new, const char *tmp)
{
	for (size_t i = 0; i < ARRAY_SIZE(trash_files); i++)
		unlinkat(new, trash_files[i].name, 0);
	for (size_t i = 0; i < ARRAY_SIZE(trash_sub); i++)
		unlinkat(new, trash_sub[i], AT_REMOVEDIR);
	unlinkat(spare, tmp, AT_REMOVEDIR);
}

/* new's subdirectories and empty files: 0, or -1 at the first that cannot be made */
static int trash_spare_fill(int new)
{
	for (size_t i = 0; i < ARRAY_SIZE(trash_sub); i++)
		if (mkdirat(new, trash_sub[i], 0755) < 0)
			return -1;
	return trash_files_make(new);
}

/* A spare directory made in spare (the fd of spare/, opened before the fork: a store removed
 * meanwhile, as with rm -rf, makes each call fail with ENOENT instead of making its
 * directories again), unless one is there; a .new-* of a child cut short removed. What it
 * made is removed again when a step fails. */
static void trash_spare_make(struct engine *e, int spare)
{
	cleanup_free char *path = engine_path(e, "spare");
	cleanup_close int new = -1;
	DIR *d;
	struct dirent *de;
	unsigned char rnd[8];
	char hex[17], tmp[32];
	bool have = false;

	d = util_dir_stream(spare);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		cleanup_free char *p = NULL;
		struct stat st;
		berth_error_t e2 = NULL;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (de->d_name[0] != '.') {
			have = true;
			continue;
		}
		p = xasprintf("%s/%s", path, de->d_name);
		if (fstatat(spare, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    time(NULL) - st.st_mtime > 60 && util_rm_rf(p, &e2) < 0)
			berth_error_release(&e2);
	}
	closedir(d);
	if (have || getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		return;
	for (int i = 0; i < 8; i++)
		snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
	snprintf(tmp, sizeof(tmp), ".new-%s", hex);
	if (mkdirat(spare, tmp, 0700) < 0)
		return;
	new = openat(spare, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (new < 0) {
		unlinkat(spare, tmp, AT_REMOVEDIR);
		return;
	}
	if (trash_spare_fill(new) < 0 || renameat(spare, tmp, spare, hex) < 0)
		trash_spare_undo(spare, new, tmp);
}

/* Whether this process runs one thread (/proc/self/task has one entry): only then may a
 * forked child go on with ordinary calls (HELPERS: fork safety). */
static bool trash_one_thread(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return false;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n == 1;
}

void ctr_trash_empty(struct engine *e)
{
	cleanup_free char *path = engine_path(e, "spare");
	cleanup_close int spare = -1;
	pid_t pid;

	/* a process with threads removes in place */
	if (!trash_one_thread()) {
		trash_empty_now(e, -1);
		return;
	}
	/* spare/ opened here, while the store is whole (the child may run after this process
	 * has exited and someone has begun to remove the store) */
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		log_debug("mkdir `%s`: %s", path, strerror(errno));
	spare = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	pid = fork();
	if (pid < 0) {
		trash_empty_now(e, -1);
		return;
	}
	if (pid > 0)
		return; /* reaped by whoever inherits it: berth exits soon after */
	{
		/* in a session of its own, without our stdio (a caller reading our output to its
		 * end does not wait for this child), at a lower priority */
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		setsid();
		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
		}
		util_close_fds_except(3, &spare, 1);
		if (setpriority(PRIO_PROCESS, 0, 10) < 0) {
			/* the default priority then */
		}
		log_set_prog("berth-trash");
		trash_empty_now(e, spare);
		/* made unless one was recycled; a .new-* cut short removed either way */
		if (spare >= 0)
			trash_spare_make(e, spare);
		_exit(0);
	}
}
