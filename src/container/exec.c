/* SPDX-License-Identifier: MIT */
#include "exec.h"
#include "cgroup.h"
#include "log.h"
#include "process.h"
#include "seccomp.h"
#include "seccomp_cache.h"
#include "state.h"
#include "supervise.h"
#include "sync.h"
#include "terminal.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

/* ---- AppArmor and SELinux ------------------------------------------------------------ */

bool exec_apparmor_enabled(void)
{
	char buf[4] = {0};
	cleanup_close int fd =
	    open("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC);
	return fd >= 0 && read(fd, buf, sizeof(buf) - 1) > 0 && buf[0] == 'Y';
}

bool exec_selinux_enabled(void)
{
	return access("/sys/fs/selinux/enforce", F_OK) == 0;
}

int exec_apply_labels(const struct config_process *p, berth_error_t *err)
{
	if (p->apparmor_profile && *p->apparmor_profile) {
		if (!exec_apparmor_enabled()) {
			log_debug("apparmor is not enabled on this host: profile `%s` ignored",
			          p->apparmor_profile);
		} else {
			cleanup_free char *v = xasprintf("exec %s", p->apparmor_profile);
			berth_error_t e = NULL;
			if (util_write_file("/proc/self/attr/apparmor/exec", v, &e) < 0) {
				berth_error_release(&e);
				if (util_write_file("/proc/self/attr/exec", v, err) < 0)
					return berth_error_prefix(err,
					                          "process.apparmorProfile `%s`",
					                          p->apparmor_profile);
			}
		}
	}
	if (p->selinux_label && *p->selinux_label) {
		if (!exec_selinux_enabled())
			log_debug("selinux is not enabled on this host: label `%s` ignored",
			          p->selinux_label);
		else if (util_write_file("/proc/self/attr/exec", p->selinux_label, err) < 0)
			return berth_error_prefix(err, "process.selinuxLabel `%s`",
			                          p->selinux_label);
	}
	return 0;
}

/* ---- the process ------------------------------------------------------------------- */

static char **exec_strv_dup(char *const *v, size_t n)
{
	char **out = xmalloc0((n + 1) * sizeof(char *));
	for (size_t i = 0; i < n; i++)
		out[i] = xstrdup(v[i]);
	return out;
}

static void exec_strv_free(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

static int *exec_caps_add(int *caps, size_t *n, int cap)
{
	for (size_t i = 0; i < *n; i++)
		if (caps[i] == cap)
			return caps;
	caps = xrealloc(caps, (*n + 1) * sizeof(int));
	caps[(*n)++] = cap;
	return caps;
}

/* -e K=V: replace K in env or add it. */
static int exec_env_merge(struct config_process *p, const char *kv, berth_error_t *err)
{
	const char *eq = strchr(kv, '=');
	size_t klen;

	if (eq == NULL || eq == kv)
		return berth_error(err, 0, "exec: -e: expected KEY=VALUE, got `%s`", kv);
	klen = (size_t)(eq - kv) + 1;
	for (size_t i = 0; i < p->n_env; i++) {
		if (strncmp(p->env[i], kv, klen) == 0) {
			free(p->env[i]);
			p->env[i] = xstrdup(kv);
			return 0;
		}
	}
	p->env = xrealloc(p->env, (p->n_env + 2) * sizeof(char *));
	p->env[p->n_env++] = xstrdup(kv);
	p->env[p->n_env] = NULL;
	return 0;
}

/* The container's process with the command line's changes, as runc's exec builds it. */
static int exec_override(const struct exec_opts *o, struct config_process *p, berth_error_t *err)
{
	struct config_capabilities *c = &p->capabilities;

	exec_strv_free(p->args, p->n_args);
	p->args = exec_strv_dup(o->args, o->n_args);
	p->n_args = o->n_args;
	for (size_t i = 0; i < o->n_env; i++)
		if (exec_env_merge(p, o->env[i], err) < 0)
			return -1;
	if (o->cwd) {
		if (o->cwd[0] != '/')
			return berth_error(err, 0, "exec: --cwd: `%s` is not an absolute path",
			                   o->cwd);
		free(p->cwd);
		p->cwd = xstrdup(o->cwd);
	}
	p->terminal = o->tty;
	p->has_console_size = false;
	if (o->has_user)
		p->user.uid = o->uid;
	if (o->has_group)
		p->user.gid = o->gid;
	if (o->n_additional_gids > 0) {
		p->user.additional_gids =
		    xrealloc(p->user.additional_gids,
		             (p->user.n_additional_gids + o->n_additional_gids) * sizeof(gid_t));
		memcpy(p->user.additional_gids + p->user.n_additional_gids, o->additional_gids,
		       o->n_additional_gids * sizeof(gid_t));
		p->user.n_additional_gids += o->n_additional_gids;
	}
	for (size_t i = 0; i < o->n_caps; i++) {
		int cap = config_cap_from_name(o->caps[i]);
		if (cap < 0)
			return berth_error(err, 0, "exec: --cap: unknown capability `%s`",
			                   o->caps[i]);
		c->bounding = exec_caps_add(c->bounding, &c->n_bounding, cap);
		c->effective = exec_caps_add(c->effective, &c->n_effective, cap);
		c->permitted = exec_caps_add(c->permitted, &c->n_permitted, cap);
		/* ambient needs inheritable, which --cap does not set (runc) */
		if (c->n_inheritable > 0)
			c->ambient = exec_caps_add(c->ambient, &c->n_ambient, cap);
	}
	if (o->no_new_privs)
		p->no_new_privileges = true;
	if (o->apparmor) {
		free(p->apparmor_profile);
		p->apparmor_profile = xstrdup(o->apparmor);
	}
	if (o->process_label) {
		free(p->selinux_label);
		p->selinux_label = xstrdup(o->process_label);
	}
	return 0;
}

static int exec_build_process(const struct exec_opts *o, struct config *c,
                              struct config_process **out, berth_error_t *err)
{
	struct config_process *p;

	*out = NULL;
	if (o->process_file) {
		cleanup_free char *text = NULL;
		size_t len;
		if (o->n_args > 0)
			return berth_error(err, 0, "exec: give --process or a command, not both");
		if (util_read_file(o->process_file, &text, &len, err) < 0)
			return berth_error_prefix(err, "--process");
		return config_parse_process(text, len, o->process_file, out, err);
	}
	if (o->n_args == 0)
		return berth_error(err, 0, "exec: no command given (CMD… or --process FILE)");
	if (!c->has_process)
		return berth_error(err, 0, "exec: the container's config has no process");
	p = xmalloc0(sizeof(*p));
	*p = c->process;
	memset(&c->process, 0, sizeof(c->process));
	c->has_process = false;
	if (exec_override(o, p, err) < 0) {
		config_process_free(p);
		return -1;
	}
	*out = p;
	return 0;
}

/* ---- namespaces ---------------------------------------------------------------------- */

/* In the order they are joined: the user namespace first, the mount namespace last. */
static const struct {
	const char *proc;
	int flag;
} exec_namespaces[] = {
    {"user", CLONE_NEWUSER},
    {"ipc", CLONE_NEWIPC},
    {"uts", CLONE_NEWUTS},
    {"net", CLONE_NEWNET},
    {"cgroup", CLONE_NEWCGROUP},
    {"pid", CLONE_NEWPID},
    {"time", 0x00000080 /* CLONE_NEWTIME */},
    {"mnt", CLONE_NEWNS},
};
#define EXEC_N_NS ARRAY_SIZE(exec_namespaces)

/* Open the namespaces of pid that differ from ours (-1 for the others). */
static int exec_open_namespaces(pid_t pid, int fds[static EXEC_N_NS], berth_error_t *err)
{
	for (size_t i = 0; i < EXEC_N_NS; i++) {
		char path[64];
		struct stat theirs, ours;

		fds[i] = -1;
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, exec_namespaces[i].proc);
		if (stat(path, &theirs) < 0) {
			if (errno == ENOENT)
				continue; /* a kernel without it */
			return berth_error(err, errno, "stat `%s`", path);
		}
		snprintf(path, sizeof(path), "/proc/self/ns/%s", exec_namespaces[i].proc);
		if (stat(path, &ours) == 0 && ours.st_ino == theirs.st_ino &&
		    ours.st_dev == theirs.st_dev)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, exec_namespaces[i].proc);
		fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0)
			return berth_error(err, errno, "open `%s`", path);
	}
	return 0;
}

/* ---- the children -------------------------------------------------------------------- */

struct exec_child {
	const struct config_process *p;
	const struct config_linux *lin; /* the container's (memoryPolicy) */
	const struct seccomp_program *scmp;
	struct cgroup *cg;
	char *const *subs; /* --cgroup */
	size_t n_subs;
	int ns[EXEC_N_NS];
	int sync;      /* SOCK_SEQPACKET to the runtime: the pid, errors */
	int scmp_sock; /* the seccomp listener fd goes back this way */
	int console;   /* where the terminal's master goes, or -1 */
	int preserve_fds;
	bool ids_unmapped; /* the container's user namespace has no mappings */
	const int *stdio;  /* the process's stdio, or NULL: ours */
	sigset_t mask;     /* the signal mask to restore */
};

__attribute__((noreturn)) static void exec_child_fail(const struct exec_child *x,
                                                      berth_error_t *err)
{
	berth_error_t ignored = NULL;
	sync_send(x->sync, SYNC_ERROR, (*err)->status, (*err)->msg, &ignored);
	_exit(127);
}

static int exec_child_seccomp(const struct exec_child *x, berth_error_t *err)
{
	int nfd;
	int r;

	if (seccomp_apply(x->scmp, &nfd, err) < 0)
		return -1;
	if (nfd < 0)
		return 0;
	r = terminal_send_fd(x->scmp_sock, nfd, "seccompFd", err);
	close(nfd);
	return r;
}

/* The process itself, inside every namespace of the container. */
__attribute__((noreturn)) static void exec_child(const struct exec_child *x)
{
	const struct config_process *p = x->p;
	berth_error_t err = NULL;
	cleanup_free char *exe = NULL;
	char **env;
	sigset_t none;

	/* no signal blocked, whatever the caller (an engine, its monitor) had blocked: a shell
	 * with SIGCHLD blocked waits forever for its background jobs */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* its own session and process group, as runc's exec gives it (a terminal's session is
	 * made by terminal_make_controlling) */
	if (!p->terminal && setsid() < 0) {
		berth_error(&err, errno, "setsid");
		exec_child_fail(x, &err);
	}
	if (p->terminal) {
		int master, slave;
		if (terminal_open_pty(&master, &slave,
		                      p->has_console_size ? p->console_size.height : 0,
		                      p->has_console_size ? p->console_size.width : 0, &err) < 0 ||
		    terminal_send_fd(x->console, master, "/dev/ptmx", &err) < 0)
			exec_child_fail(x, &err);
		close(master);
		close(x->console);
		if (terminal_make_controlling(slave, &err) < 0)
			exec_child_fail(x, &err);
		close(slave);
	}
	if (process_apply_rlimits(p, &err) < 0 || process_set_oom_score_adj(p, &err) < 0 ||
	    process_apply_sched(p, &err) < 0 || process_apply_mempolicy(x->lin, &err) < 0 ||
	    exec_apply_labels(p, &err) < 0)
		exec_child_fail(x, &err);
	/* without no_new_privs loading needs CAP_SYS_ADMIN: before dropping it, as runc does */
	if (x->scmp && !p->no_new_privileges && exec_child_seccomp(x, &err) < 0)
		exec_child_fail(x, &err);
	if (process_set_identity(p, process_setgroups_denied(), x->ids_unmapped, &err) < 0)
		exec_child_fail(x, &err);
	if (process_enter_cwd(p->cwd, &err) < 0)
		exec_child_fail(x, &err);
	if (process_find_executable(p, &exe, &err) < 0)
		exec_child_fail(x, &err);
	env = process_build_env(p, NULL, 0);
	for (int fd = 3; fd < 3 + x->preserve_fds; fd++)
		fcntl(fd, F_SETFD, 0);
	util_cloexec_fds_from(3 + x->preserve_fds);
	if (x->scmp && p->no_new_privileges && exec_child_seccomp(x, &err) < 0)
		exec_child_fail(x, &err);
	execve(exe, p->args, env);
	berth_error(&err, errno, "exec `%s`", exe);
	exec_child_fail(x, &err);
}

/* Enters the cgroup and the namespaces, then forks the process into the pid namespace. */
__attribute__((noreturn)) static void exec_helper(struct exec_child *x)
{
	berth_error_t err = NULL;
	pid_t pid;

	sigprocmask(SIG_SETMASK, &x->mask, NULL);
	if (x->stdio && terminal_dup_stdio(x->stdio) < 0) {
		berth_error(&err, errno, "exec: the process's stdio");
		exec_child_fail(x, &err);
	}
	/* Before anything else: of what the caller (an engine, conmon, a shim) and the runtime
	 * hold open, only --preserve-fds may reach the container. A directory fd left open
	 * would let --cwd /proc/self/fd/N start the process on the host (CVE-2024-21626). */
	{
		int keep[EXEC_N_NS + 4] = {x->sync, x->scmp_sock, x->console, log_fd()};
		int r;
		for (size_t i = 0; i < EXEC_N_NS; i++)
			keep[4 + i] = x->ns[i];
		r = util_close_fds_except(3 + x->preserve_fds, keep, ARRAY_SIZE(keep));
		if (r < 0) {
			berth_error(&err, -r, "close the inherited file descriptors");
			exec_child_fail(x, &err);
		}
	}
	if (x->cg && cgroup_enter_sub(x->cg, getpid(), x->subs, x->n_subs, &err) < 0)
		exec_child_fail(x, &err);
	/* nothing in the container may ptrace us or open our /proc files while we still run
	 * runtime code with the host's view */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		berth_error(&err, errno, "prctl(PR_SET_DUMPABLE)");
		exec_child_fail(x, &err);
	}
	/* A user namespace without mappings owns none of the others (init_unmapped_userns): it
	 * is joined last, or we would lack the capabilities to join them */
	for (size_t k = 0; k < EXEC_N_NS; k++) {
		size_t i = x->ids_unmapped ? (k + 1) % EXEC_N_NS : k;
		if (x->ns[i] < 0)
			continue;
		if (setns(x->ns[i], exec_namespaces[i].flag) < 0) {
			berth_error(&err, errno, "join the %s namespace of the container",
			            exec_namespaces[i].proc);
			exec_child_fail(x, &err);
		}
		close(x->ns[i]);
		x->ns[i] = -1;
	}
	pid = fork();
	if (pid < 0) {
		berth_error(&err, errno, "fork");
		exec_child_fail(x, &err);
	}
	if (pid == 0)
		exec_child(x);
	sync_send(x->sync, SYNC_PID, pid, NULL, &err);
	_exit(0);
}

/* ---- the runtime's side -------------------------------------------------------------- */

/* The error the process reported before exec, if it did; else keep *err. */
static void exec_child_error(int sync, berth_error_t *err)
{
	struct sync_msg m;
	berth_error_t e = NULL;

	if (sync_recv(sync, &m, &e) == 0 && m.type == SYNC_ERROR) {
		berth_error(err, 0, "%s", m.payload);
		(*err)->status = (int)m.value;
	}
	if (e == NULL)
		free(m.payload);
	berth_error_release(&e);
}

static int exec_load(const struct exec_opts *o, struct state **s, struct config **c,
                     berth_error_t *err)
{
	enum state_status st;

	if (state_validate_id(o->id, err) < 0 || state_load(o->root, o->id, s, err) < 0)
		return -1;
	st = state_status(o->root, *s);
	if (st == STATE_STOPPED)
		return berth_error(err, 0, "cannot exec in a stopped container `%s`", o->id);
	if (st == STATE_PAUSED && !o->ignore_paused)
		return berth_error(
		    err, 0, "cannot exec in a paused container `%s` (use --ignore-paused)", o->id);
	if (st == STATE_CREATING)
		return berth_error(err, 0, "cannot exec in container `%s`: it is being created",
		                   o->id);
	return state_load_config(o->root, o->id, c, err);
}

struct exec_run_ctx {
	struct state *s;
	struct config *c;
	struct config_process *p;
	struct seccomp_program *scmp;
	struct cgroup *cg;
	int ns[EXEC_N_NS];
	int listener;
	int console, console_peer;
	int sync[2], scmp_sock[2];
	pid_t helper, child;
};

static void exec_ctx_release(struct exec_run_ctx *x)
{
	int *fds[] = {&x->listener, &x->console,      &x->console_peer, &x->sync[0],
	              &x->sync[1],  &x->scmp_sock[0], &x->scmp_sock[1]};
	for (size_t i = 0; i < EXEC_N_NS; i++)
		util_closep(&x->ns[i]);
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		util_closep(fds[i]);
	cgroup_free(x->cg);
	seccomp_program_free(x->scmp);
	config_process_free(x->p);
	config_free(x->c);
	state_free(x->s);
}

static int exec_prepare(const struct exec_opts *o, struct exec_run_ctx *x, berth_error_t *err)
{
	struct config_process *p;

	if (exec_load(o, &x->s, &x->c, err) < 0 || exec_build_process(o, x->c, &x->p, err) < 0)
		return -1;
	p = x->p;
	if (p->terminal && o->detach && o->console_socket == NULL)
		return berth_error(err, 0, "exec: -t with -d needs --console-socket");
	if (!p->terminal && o->console_socket)
		return berth_error(err, 0, "exec: --console-socket given without -t");
	if (x->c->linux_.has_seccomp) {
		if (seccomp_build_for(x->c, o->root, &x->scmp, err) < 0)
			return -1;
		if (seccomp_program_notifies(x->scmp)) {
			x->listener =
			    seccomp_listener_connect(x->c->linux_.seccomp.listener_path, err);
			if (x->listener < 0)
				return -1;
		}
	}
	if (x->s->cgroup_path) {
		struct cgroup_host h;
		if (cgroup_host_detect(&h, NULL, err) < 0 ||
		    cgroup_open(&h, x->s->cgroup_path, &x->cg, err) < 0)
			return berth_error_prefix(err, "exec: the container's cgroup");
	} else if (o->n_cgroups > 0) {
		return berth_error(err, 0, "--cgroup: container `%s` has no cgroup", o->id);
	}
	if (exec_open_namespaces(x->s->pid, x->ns, err) < 0)
		return berth_error_prefix(err, "exec: the container's namespaces");
	if (p->terminal) {
		if (o->console_socket) {
			x->console = terminal_connect(o->console_socket, err);
			if (x->console < 0)
				return -1;
		} else {
			int sp[2];
			if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
				return berth_error(err, errno, "socketpair");
			x->console_peer = sp[0];
			x->console = sp[1];
		}
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, x->sync) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, x->scmp_sock) < 0)
		return berth_error(err, errno, "socketpair");
	return 0;
}

/* After the fork: the pid, the seccomp fd, the terminal, then the exec (the sync socket
 * closes on exec) or an error. */
static int exec_follow(const struct exec_opts *o, struct exec_run_ctx *x, int *master,
                       berth_error_t *err)
{
	struct sync_msg m;

	if (sync_expect(x->sync[0], SYNC_PID, &m, err) < 0) {
		waitpid(x->helper, NULL, 0);
		x->helper = 0;
		return -1;
	}
	free(m.payload);
	x->child = (pid_t)m.value;
	waitpid(x->helper, NULL, 0);
	x->helper = 0;
	if (x->console_peer >= 0) {
		*master = terminal_recv_fd(x->console_peer, err);
		if (*master < 0) {
			exec_child_error(x->sync[0], err);
			return -1;
		}
	}
	if (seccomp_program_notifies(x->scmp)) {
		cleanup_close int nfd = terminal_recv_fd(x->scmp_sock[0], err);
		cleanup_free char *js = NULL;
		json_t *st;

		if (nfd < 0) {
			exec_child_error(x->sync[0], err);
			return -1;
		}
		st = state_to_spec_json(o->root, x->s);
		js = json_dumps(st, JSON_COMPACT);
		json_decref(st);
		if (seccomp_listener_send(x->listener, nfd, js, x->child, "running",
		                          x->c->linux_.seccomp.listener_metadata, err) < 0)
			return -1;
		util_closep(&x->listener);
	}
	if (sync_recv(x->sync[0], &m, err) == 0) {
		if (m.type == SYNC_ERROR) {
			berth_error(err, 0, "%s", m.payload);
			(*err)->status = (int)m.value; /* the errno, as 127 or 126 need it */
			free(m.payload);
			return -1;
		}
		free(m.payload);
		return berth_error(err, EPROTO, "exec: unexpected message %d", m.type);
	}
	/* EOF: the process exec'd */
	berth_error_release(err);
	if (o->pid_file) {
		char buf[32];
		snprintf(buf, sizeof(buf), "%d", (int)x->child);
		if (util_write_file_atomic(o->pid_file, buf, strlen(buf), 0644, err) < 0)
			return berth_error_prefix(err, "--pid-file");
	}
	return 0;
}

int exec_run(const struct exec_opts *o, int *status, berth_error_t *err)
{
	struct exec_run_ctx x = {.listener = -1,
	                         .console = -1,
	                         .console_peer = -1,
	                         .sync = {-1, -1},
	                         .scmp_sock = {-1, -1}};
	struct exec_child cx = {0};
	sigset_t all, old;
	int master = -1;
	int r = -1;

	*status = 0;
	for (size_t i = 0; i < EXEC_N_NS; i++)
		x.ns[i] = -1;
	if (exec_prepare(o, &x, err) < 0)
		goto out;

	cx.p = x.p;
	cx.lin = &x.c->linux_;
	cx.ids_unmapped = config_userns_unmapped(x.c);
	cx.scmp = x.scmp;
	cx.cg = x.cg;
	cx.subs = o->cgroups;
	cx.n_subs = o->n_cgroups;
	memcpy(cx.ns, x.ns, sizeof(cx.ns));
	cx.sync = x.sync[1];
	cx.scmp_sock = x.scmp_sock[1];
	cx.console = x.console;
	cx.preserve_fds = o->preserve_fds;
	cx.stdio = o->stdio;

	/* the process is re-parented to us when the helper exits; no signal may be lost
	 * between the fork and the supervision */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	cx.mask = old;
	x.helper = fork();
	if (x.helper < 0) {
		berth_error(err, errno, "fork");
		goto restore;
	}
	if (x.helper == 0) {
		util_closep(&x.sync[0]);
		util_closep(&x.scmp_sock[0]);
		util_closep(&x.console_peer);
		util_closep(&x.listener);
		exec_helper(&cx);
	}
	util_closep(&x.sync[1]);
	util_closep(&x.scmp_sock[1]);
	util_closep(&x.console);
	for (size_t i = 0; i < EXEC_N_NS; i++)
		util_closep(&x.ns[i]);

	if (exec_follow(o, &x, &master, err) < 0) {
		if (x.child > 0) {
			kill(x.child, SIGKILL);
			waitpid(x.child, NULL, 0);
		}
		if (master >= 0)
			close(master);
		goto restore;
	}
	if (o->detach) {
		if (master >= 0)
			close(master);
		if (o->pid_out)
			*o->pid_out = x.child;
		r = 0;
		goto restore;
	}
	{
		const int *io = o->stdio;
		bool ours = io == NULL || io[0] == STDIN_FILENO;
		struct supervise_io sio = {
		    .master = master,
		    .out = -1,
		    .err = -1,
		    .in = io ? io[0] : STDIN_FILENO,
		    .raw = master >= 0 && ours,
		    .forward = true,
		    .to = {-1, io ? io[1] : STDOUT_FILENO, io ? io[2] : STDERR_FILENO}};
		r = supervise_run(x.child, &sio, status, err);
	}
restore:
	sigprocmask(SIG_SETMASK, &old, NULL);
out:
	exec_ctx_release(&x);
	return r;
}
