/* SPDX-License-Identifier: MIT */
/* berth-runtime exec: run one more process in a created or running container.
 *
 * The runtime forks a helper that enters the container's cgroup, makes itself non-dumpable
 * and joins every namespace of the container's init (the user namespace first, through
 * /proc/<pid>/ns/), then forks the process itself so that it is inside the pid namespace.
 * That process takes a terminal from the container's /dev/ptmx when asked, its rlimits, the
 * AppArmor profile / SELinux label (where the host has them), the container's seccomp filter,
 * its user, groups and capabilities, and execs. The runtime then waits for it and exits with
 * its status (128+N after signal N), forwarding signals, unless detached. */
#ifndef BERTH_EXEC_H
#define BERTH_EXEC_H

#include "config.h"
#include "error.h"

#include <stdbool.h>
#include <sys/types.h>

struct exec_opts {
	const char *root; /* --root */
	const char *id;
	const char *process_file; /* --process: a process object replacing everything below */
	char **args;              /* CMD… */
	size_t n_args;
	bool tty; /* -t */
	const char *console_socket;
	bool detach;
	pid_t *pid_out; /* detach: gets the process's pid (a child of the caller, a subreaper) */
	const char *pid_file;
	char **env; /* -e K=V, merged over the container's env */
	size_t n_env;
	const char *cwd;
	bool has_user, has_group;
	uid_t uid;
	gid_t gid;
	gid_t *additional_gids; /* added to the container's */
	size_t n_additional_gids;
	char **caps; /* --cap CAP_X: added to the bounding, effective and permitted sets */
	size_t n_caps;
	bool no_new_privs;
	const char *apparmor;
	const char *process_label;
	int preserve_fds;
	bool ignore_paused; /* exec into a paused container all the same */
	char **cgroups;     /* --cgroup PATH | CTRL[,CTRL…]:PATH: existing sub-cgroups to enter */
	size_t n_cgroups;
	/* The process's stdin, stdout and stderr: these three fds; NULL: ours. With tty, the
	 * terminal is its stdio instead, and the runtime (not detached) copies stdio[0] to it
	 * and its output to stdio[1]. */
	const int *stdio;
};

/* Run the process; *status is its exit status (0 when detached). */
int exec_run(const struct exec_opts *o, int *status, berth_error_t *err);

/* Whether the host has AppArmor / SELinux enabled. */
bool exec_apparmor_enabled(void);
bool exec_selinux_enabled(void);
/* Set the AppArmor profile and the SELinux label the next execve of this process takes
 * (process.apparmorProfile, process.selinuxLabel); ignored with a debug line where the host
 * does not have them, as runc does. */
int exec_apply_labels(const struct config_process *p, berth_error_t *err);

#endif
