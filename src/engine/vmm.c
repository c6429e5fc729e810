/* SPDX-License-Identifier: MIT */
/* Managed VMs: the records under ROOT/vms, starting the VM process, listing, stopping and
 * removing (vmm.h). The control protocol and the VM process's side are in vmmctl.c. */
#include "vmm.h"
#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define VMM_ID_BYTES 8 /* 16 hex digits */

int vmm_load(struct engine *e, const char *id, json_t **rec, berth_error_t *err)
{
	cleanup_free char *p = engine_path(e, "vms/%s/vm.json", id);
	json_error_t je;

	*rec = json_load_file(p, 0, &je);
	if (*rec == NULL || !json_is_object(*rec)) {
		json_decref(*rec);
		*rec = NULL;
		return berth_error(err, 0, "VM %s: cannot read `%s`: %s", id, p, je.text);
	}
	return 0;
}

int vmm_save(struct engine *e, const char *id, json_t *rec, berth_error_t *err)
{
	cleanup_free char *p = engine_path(e, "vms/%s/vm.json", id);
	cleanup_free char *text = json_dumps(rec, JSON_INDENT(2));

	return util_write_file_atomic(p, text, strlen(text), 0600, err);
}

int vmm_sock_path(struct engine *e, const char *id, const char *name, int *dirfd, char path[64],
                  berth_error_t *err)
{
	cleanup_free char *dir = engine_path(e, "vms/%s", id);

	*dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*dirfd < 0)
		return berth_error(err, errno, "VM %s: open `%s`", id, dir);
	snprintf(path, 64, "/proc/self/fd/%d/%s", *dirfd, name);
	return 0;
}

/* The start time of process pid (field 22 of /proc/PID/stat), 0 when it does not exist or
 * is a zombie. */
unsigned long long vmm_proc_start(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long long v = 0;
	ssize_t n;
	int fd;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* the command may hold spaces and parentheses */
	if (p == NULL || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
		return 0; /* a zombie has ended */
	for (int field = 2; field < 22 && p != NULL; field++)
		p = strchr(p + 1, ' ');
	if (p != NULL)
		v = strtoull(p + 1, NULL, 10);
	return v;
}

/* Whether the record's VM process is alive (same pid, same start time). */
static bool vmm_alive(json_t *rec)
{
	int pid = (int)json_integer_value(json_object_get(rec, "pid"));
	unsigned long long st =
	    (unsigned long long)json_integer_value(json_object_get(rec, "pid_start"));

	return pid > 0 && st != 0 && vmm_proc_start(pid) == st;
}

/* The record's status as it is: a running or paused VM whose process is gone has exited
 * (killed -9: no exit code). */
static void vmm_refresh(json_t *rec)
{
	const char *s = json_string_value(json_object_get(rec, "status"));

	if (s != NULL && (strcmp(s, "running") == 0 || strcmp(s, "paused") == 0) &&
	    !vmm_alive(rec)) {
		json_object_set_new(rec, "status", json_string("exited"));
		if (json_object_get(rec, "exit_code") == NULL)
			json_object_set_new(rec, "exit_code", json_integer(-1));
	}
}

static bool vmm_running(json_t *rec)
{
	const char *s;

	vmm_refresh(rec);
	s = json_string_value(json_object_get(rec, "status"));
	return s != NULL && (strcmp(s, "running") == 0 || strcmp(s, "paused") == 0);
}

static bool vmm_name_valid(const char *n)
{
	size_t len = strlen(n);

	if (len == 0 || len > 64 || !isalnum((unsigned char)n[0]))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)n[i]) && n[i] != '_' && n[i] != '.' && n[i] != '-')
			return false;
	return true;
}

static int vmm_ids(struct engine *e, char ***ids, size_t *n, berth_error_t *err)
{
	cleanup_free char *dir = engine_path(e, "vms");
	DIR *d = opendir(dir);
	struct dirent *de;

	*ids = NULL;
	*n = 0;
	if (d == NULL) {
		if (errno == ENOENT)
			return 0;
		return berth_error(err, errno, "open `%s`", dir);
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || strlen(de->d_name) != 2 * VMM_ID_BYTES)
			continue;
		*ids = xrealloc(*ids, (*n + 1) * sizeof(char *));
		(*ids)[(*n)++] = xstrdup(de->d_name);
	}
	closedir(d);
	return 0;
}

static void vmm_ids_free(char **ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

int vmm_resolve(struct engine *e, const char *ref, char **id, berth_error_t *err)
{
	char **ids;
	size_t n, found = 0;
	const char *match = NULL;
	int r = -1;

	if (vmm_ids(e, &ids, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n && match == NULL; i++) {
		json_t *rec;
		berth_error_t e2 = NULL;
		if (vmm_load(e, ids[i], &rec, &e2) < 0) {
			berth_error_release(&e2);
			continue;
		}
		if (strcmp(json_string_value(json_object_get(rec, "name")) ?: "", ref) == 0)
			match = ids[i];
		json_decref(rec);
	}
	for (size_t i = 0; i < n && match == NULL; i++) {
		if (strlen(ref) >= 3 && strncmp(ids[i], ref, strlen(ref)) == 0) {
			found++;
			if (found == 1)
				match = ids[i];
		}
	}
	if (found > 1)
		berth_error(err, 0, "VM id prefix \"%s\" is ambiguous", ref);
	else if (match == NULL)
		berth_error(err, 0, "no such VM: %s", ref);
	else {
		*id = xstrdup(match);
		r = 0;
	}
	vmm_ids_free(ids, n);
	return r;
}

int vmm_create(struct engine *e, const char *name, char *const *args, size_t nargs, json_t *extra,
               char **id, berth_error_t *err)
{
	uint8_t rnd[VMM_ID_BYTES];
	char hex[2 * VMM_ID_BYTES + 1], dflt[16];
	cleanup_free char *dir = NULL, *vms = NULL, *cwd = NULL, *existing = NULL, *now = NULL;
	berth_error_t e2 = NULL;
	json_t *rec, *a;
	int r;

	if (name != NULL && !vmm_name_valid(name))
		return berth_error(err, 0,
		                   "--name: \"%s\" is not a valid name (letters, digits, '_', "
		                   "'.', '-'; at most 64; starting with a letter or digit)",
		                   name);
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		return berth_error(err, errno, "getrandom");
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
	if (name == NULL) {
		snprintf(dflt, sizeof(dflt), "vm-%.6s", hex);
		name = dflt;
	}
	cwd = getcwd(NULL, 0);
	if (cwd == NULL)
		return berth_error(err, errno, "getcwd");
	if (engine_lock(e, err) < 0)
		return -1;
	if (vmm_resolve(e, name, &existing, &e2) == 0) {
		engine_unlock(e);
		return berth_error(err, 0, "--name: the name \"%s\" is in use by VM %s", name,
		                   existing);
	}
	berth_error_release(&e2);
	vms = engine_path(e, "vms");
	if (mkdir(vms, 0700) < 0 && errno != EEXIST) {
		engine_unlock(e);
		return berth_error(err, errno, "mkdir `%s`", vms);
	}
	dir = engine_path(e, "vms/%s", hex);
	if (mkdir(dir, 0700) < 0) {
		engine_unlock(e);
		return berth_error(err, errno, "mkdir `%s`", dir);
	}
	a = json_array();
	for (size_t i = 0; i < nargs; i++)
		json_array_append_new(a, json_string(args[i]));
	now = util_now_rfc3339();
	rec = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s}", "id", hex, "name", name, "created", now,
	                "cwd", cwd, "args", a, "status", "created");
	if (extra != NULL)
		json_object_update(rec, extra);
	r = vmm_save(e, hex, rec, err);
	json_decref(rec);
	engine_unlock(e);
	if (r < 0) {
		util_rm_rf(dir, NULL);
		return -1;
	}
	*id = xstrdup(hex);
	return 0;
}

int vmm_list(struct engine *e, bool all, json_t **out, berth_error_t *err)
{
	char **ids;
	size_t n;

	if (vmm_ids(e, &ids, &n, err) < 0)
		return -1;
	*out = json_array();
	for (size_t i = 0; i < n; i++) {
		berth_error_t e2 = NULL;
		json_t *rec;
		if (vmm_load(e, ids[i], &rec, &e2) < 0) {
			berth_error_release(&e2);
			continue;
		}
		if (all || vmm_running(rec))
			json_array_append(*out, rec);
		json_decref(rec);
	}
	vmm_ids_free(ids, n);
	/* oldest first */
	for (size_t i = 1; i < json_array_size(*out); i++)
		for (size_t j = i; j > 0; j--) {
			json_t *x = json_array_get(*out, j - 1), *y = json_array_get(*out, j);
			if (strcmp(json_string_value(json_object_get(x, "created")) ?: "",
			           json_string_value(json_object_get(y, "created")) ?: "") <= 0)
				break;
			json_incref(x);
			json_array_set(*out, j - 1, y);
			json_array_set_new(*out, j, x);
		}
	return 0;
}

int vmm_inspect(struct engine *e, const char *ref, json_t **out, berth_error_t *err)
{
	cleanup_free char *id = NULL;

	if (vmm_resolve(e, ref, &id, err) < 0 || vmm_load(e, id, out, err) < 0)
		return -1;
	vmm_refresh(*out);
	return 0;
}

int vmm_start(struct engine *e, const char *ref, berth_error_t *err)
{
	return vmm_start_with(e, ref, -1, err);
}

int vmm_start_with(struct engine *e, const char *ref, int in_fd, berth_error_t *err)
{
	cleanup_free char *id = NULL, *logp = NULL, *self = NULL;
	cleanup_close int logfd = -1;
	json_t *rec, *args;
	char **argv;
	size_t nargs, k = 0;
	int p[2];
	pid_t child;
	char buf[8];
	size_t got = 0;

	if (vmm_resolve(e, ref, &id, err) < 0 || vmm_load(e, id, &rec, err) < 0)
		return -1;
	if (vmm_running(rec)) {
		json_decref(rec);
		return berth_error(err, 0, "VM %s is already running", ref);
	}
	logp = engine_path(e, "vms/%s/vmm.log", id);
	logfd = open(logp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (logfd < 0) {
		json_decref(rec);
		return berth_error(err, errno, "open `%s`", logp);
	}
	self = xstrdup(getenv("BERTH_SELF") != NULL ? getenv("BERTH_SELF") : "/proc/self/exe");
	args = json_object_get(rec, "args");
	nargs = json_array_size(args);
	argv = xmalloc0((nargs + 12) * sizeof(char *));
	argv[k++] = "berth";
	argv[k++] = "--root";
	argv[k++] = e->root;
	argv[k++] = "vm";
	argv[k++] = "run";
	argv[k++] = "--managed";
	argv[k++] = id;
	argv[k++] = "--ready-fd";
	argv[k++] = "1"; /* stdout: main() closes every fd from 3 */
	for (size_t i = 0; i < nargs; i++)
		argv[k++] = (char *)json_string_value(json_array_get(args, i));
	argv[k] = NULL;
	if (pipe2(p, O_CLOEXEC) < 0) {
		free(argv);
		json_decref(rec);
		return berth_error(err, errno, "pipe");
	}
	child = fork();
	if (child < 0) {
		close(p[0]);
		close(p[1]);
		free(argv);
		json_decref(rec);
		return berth_error(err, errno, "fork");
	}
	if (child == 0) {
		/* only async-signal-safe calls from here to exec */
		int null;
		setsid();
		if (fork() != 0)
			_exit(0);
		null = open("/dev/null", O_RDWR);
		if (null < 0 || dup2(in_fd >= 0 ? in_fd : null, 0) < 0 || dup2(p[1], 1) < 0 ||
		    dup2(logfd, 2) < 0)
			_exit(125);
		signal(SIGHUP, SIG_IGN);
		execv(self, argv);
		_exit(127);
	}
	close(p[1]);
	free(argv);
	json_decref(rec);
	waitpid(child, NULL, 0);
	while (got < 2) {
		ssize_t n = read(p[0], buf + got, 2 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(p[0]);
	if (got == 2 && memcmp(buf, "ok", 2) == 0)
		return 0;
	{
		/* the VM process's last line, without its "berth vm: " */
		cleanup_free char *text = NULL;
		size_t len = 0;
		char *line;
		berth_error_t e2 = NULL;
		if (util_read_file(logp, &text, &len, &e2) < 0 || len == 0) {
			berth_error_release(&e2);
			return berth_error(
			    err, 0, "VM %s: the VM process exited before its guest ran", ref);
		}
		while (len > 0 && text[len - 1] == '\n')
			text[--len] = '\0';
		line = strrchr(text, '\n');
		line = line != NULL ? line + 1 : text;
		if (strncmp(line, "berth vm: ", 10) == 0)
			line += 10;
		return berth_error(err, 0, "%s", line);
	}
}

/* Wait up to ms milliseconds for the VM to end. */
static bool vmm_wait_exit(struct engine *e, const char *id, int ms)
{
	for (int waited = 0;; waited += 50) {
		berth_error_t e2 = NULL;
		json_t *rec;
		bool running;
		if (vmm_load(e, id, &rec, &e2) < 0) {
			berth_error_release(&e2);
			return true;
		}
		/* the process itself gone, not only its record saying so */
		running = vmm_running(rec) || vmm_alive(rec);
		json_decref(rec);
		if (!running)
			return true;
		if (waited >= ms)
			return false;
		nanosleep(&(struct timespec){0, 50000000}, NULL);
	}
}

/* The process is gone without recording its end (killed): record it, remove its sockets. */
static void vmm_reap(struct engine *e, const char *id, int code)
{
	berth_error_t e2 = NULL;
	json_t *rec;
	const char *socks[] = {"control.sock", "console.sock"};

	for (size_t i = 0; i < 2; i++) {
		cleanup_free char *p = engine_path(e, "vms/%s/%s", id, socks[i]);
		unlink(p);
	}
	if (vmm_load(e, id, &rec, &e2) < 0) {
		berth_error_release(&e2);
		return;
	}
	if (json_object_get(rec, "finished") == NULL) {
		cleanup_free char *now = util_now_rfc3339();
		json_object_set_new(rec, "status", json_string("exited"));
		json_object_set_new(rec, "exit_code", json_integer(code));
		json_object_set_new(rec, "finished", json_string(now));
		(void)vmm_save(e, id, rec, &e2);
		berth_error_release(&e2);
	}
	json_decref(rec);
}

static int vmm_hard_stop(struct engine *e, const char *id, berth_error_t *err)
{
	berth_error_t e2 = NULL;
	json_t *rec;

	if (vmm_request(e, id, "quit", NULL, &e2) == 0 && vmm_wait_exit(e, id, 5000))
		return 0;
	berth_error_release(&e2);
	if (vmm_load(e, id, &rec, err) < 0)
		return -1;
	if (vmm_running(rec))
		kill((pid_t)json_integer_value(json_object_get(rec, "pid")), SIGKILL);
	json_decref(rec);
	if (!vmm_wait_exit(e, id, 5000))
		return berth_error(err, 0, "VM %s did not stop", id);
	vmm_reap(e, id, 137);
	return 0;
}

static int vmm_running_id(struct engine *e, const char *ref, char **id, berth_error_t *err)
{
	json_t *rec;
	bool running;

	if (vmm_resolve(e, ref, id, err) < 0)
		return -1;
	if (vmm_load(e, *id, &rec, err) < 0)
		return -1;
	running = vmm_running(rec);
	json_decref(rec);
	if (!running)
		return berth_error(err, 0, "VM %s is not running", ref);
	return 0;
}

int vmm_kill(struct engine *e, const char *ref, berth_error_t *err)
{
	cleanup_free char *id = NULL;

	if (vmm_running_id(e, ref, &id, err) < 0)
		return -1;
	return vmm_hard_stop(e, id, err);
}

int vmm_stop(struct engine *e, const char *ref, int timeout_s, berth_error_t *err)
{
	cleanup_free char *id = NULL;
	berth_error_t e2 = NULL;

	if (vmm_running_id(e, ref, &id, err) < 0)
		return -1;
	/* a guest still booting has no keyboard driver yet: ask again until it has, or the
	 * time is up */
	for (int waited = 0; waited <= timeout_s * 1000; waited += 200) {
		if (vmm_request(e, id, "powerdown", NULL, &e2) == 0) {
			if (vmm_wait_exit(e, id, timeout_s * 1000 - waited))
				return 0;
			break;
		}
		berth_error_release(&e2);
		if (vmm_wait_exit(e, id, 0))
			return 0;
		nanosleep(&(struct timespec){0, 200000000}, NULL);
	}
	berth_error_release(&e2);
	return vmm_hard_stop(e, id, err);
}

int vmm_rm(struct engine *e, const char *ref, bool force, berth_error_t *err)
{
	cleanup_free char *id = NULL, *dir = NULL;
	json_t *rec;
	bool running;

	if (vmm_resolve(e, ref, &id, err) < 0 || vmm_load(e, id, &rec, err) < 0)
		return -1;
	running = vmm_running(rec);
	json_decref(rec);
	if (running && !force)
		return berth_error(err, 0, "VM %s is running: stop it first or use rm -f", ref);
	if (running && vmm_hard_stop(e, id, err) < 0)
		return -1;
	dir = engine_path(e, "vms/%s", id);
	return util_rm_rf(dir, err);
}

int vmm_logs(struct engine *e, const char *ref, bool follow, int out_fd, berth_error_t *err)
{
	cleanup_free char *id = NULL, *p = NULL;
	cleanup_close int fd = -1;
	char buf[65536];

	if (vmm_resolve(e, ref, &id, err) < 0)
		return -1;
	p = engine_path(e, "vms/%s/console.log", id);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT)
		return berth_error(err, errno, "open `%s`", p);
	for (;;) {
		bool ended = !follow;
		ssize_t n;
		if (follow) {
			json_t *rec;
			if (vmm_load(e, id, &rec, err) < 0)
				return -1;
			ended = !vmm_running(rec);
			json_decref(rec);
		}
		if (fd < 0)
			fd = open(p, O_RDONLY | O_CLOEXEC);
		/* everything there is now (after the end was seen: all of it) */
		while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
			if (util_write_all(out_fd, buf, (size_t)n) < 0)
				return 0; /* the reader went away */
		if (ended)
			return 0;
		nanosleep(&(struct timespec){0, 100000000}, NULL);
	}
}
