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
 * has churned). One cut short (.new-*) older than a minute is removed. */
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

/* Every entry of trash/ removed (errors ignored: what stays is taken next time). */
static void trash_empty_now(struct engine *e)
{
	cleanup_free char *trash = engine_path(e, "trash");
	DIR *d = opendir(trash);
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		cleanup_free char *p = NULL;
		berth_error_t e2 = NULL;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
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

/* A spare directory made, unless one is there; a .new-* of a child cut short removed. */
static void trash_spare_make(struct engine *e)
{
	cleanup_free char *spare = engine_path(e, "spare");
	cleanup_free char *tmp = NULL, *to = NULL;
	DIR *d;
	struct dirent *de;
	unsigned char rnd[8];
	char hex[17];
	bool have = false;

	if (mkdir(spare, 0700) < 0 && errno != EEXIST)
		return;
	d = opendir(spare);
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
		p = xasprintf("%s/%s", spare, de->d_name);
		if (lstat(p, &st) == 0 && time(NULL) - st.st_mtime > 60 && util_rm_rf(p, &e2) < 0)
			berth_error_release(&e2);
	}
	closedir(d);
	if (have || getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		return;
	for (int i = 0; i < 8; i++)
		snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
	tmp = xasprintf("%s/.new-%s", spare, hex);
	to = xasprintf("%s/%s", spare, hex);
	if (mkdir(tmp, 0700) < 0)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(trash_sub); i++) {
		cleanup_free char *p = xasprintf("%s/%s", tmp, trash_sub[i]);
		if (mkdir(p, 0755) < 0)
			return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(trash_files); i++) {
		cleanup_free char *p = xasprintf("%s/%s", tmp, trash_files[i].name);
		int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		              trash_files[i].mode);
		if (fd < 0)
			return;
		close(fd);
	}
	if (rename(tmp, to) < 0) {
		berth_error_t e2 = NULL;
		if (util_rm_rf(tmp, &e2) < 0)
			berth_error_release(&e2);
	}
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
	pid_t pid;

	/* a process with threads removes in place */
	if (!trash_one_thread()) {
		trash_empty_now(e);
		return;
	}
	pid = fork();
	if (pid < 0) {
		trash_empty_now(e);
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
		util_close_fds_from(3);
		if (setpriority(PRIO_PROCESS, 0, 10) < 0) {
			/* the default priority then */
		}
		log_set_prog("berth-trash");
		trash_empty_now(e);
		trash_spare_make(e);
		_exit(0);
	}
}
