/* SPDX-License-Identifier: MIT */
/* berth-runtime exec: run a process in a created or running container. */
#include "runtime.h"
#include "exec.h"
#include "util.h"

#include <errno.h>
#include <string.h>

struct exec_cli {
	struct exec_opts o;
};

static char **exec_cli_push(char **v, size_t *n, const char *s)
{
	v = xrealloc(v, (*n + 1) * sizeof(char *));
	v[(*n)++] = (char *)s;
	return v;
}

static int exec_cli_id(const char *opt, const char *s, unsigned long *out, berth_error_t *err)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v > 0xfffffffeUL)
		return berth_error(err, 0, "exec: %s: expected a number, got `%s`", opt, s);
	*out = v;
	return 0;
}

/* -u UID[:GID] */
static int exec_cli_user(struct exec_opts *o, const char *arg, berth_error_t *err)
{
	cleanup_free char *copy = xstrdup(arg);
	char *colon = strchr(copy, ':');
	unsigned long v;

	if (colon)
		*colon = '\0';
	if (exec_cli_id("--user", copy, &v, err) < 0)
		return -1;
	o->uid = (uid_t)v;
	o->has_user = true;
	if (colon) {
		if (exec_cli_id("--user", colon + 1, &v, err) < 0)
			return -1;
		o->gid = (gid_t)v;
		o->has_group = true;
	}
	return 0;
}

/* --additional-gids G (repeated, or separated by commas) */
static int exec_cli_gids(struct exec_opts *o, const char *arg, berth_error_t *err)
{
	cleanup_free char *copy = xstrdup(arg);
	char *save = NULL;

	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		unsigned long v;
		if (exec_cli_id("--additional-gids", t, &v, err) < 0)
			return -1;
		o->additional_gids =
		    xrealloc(o->additional_gids, (o->n_additional_gids + 1) * sizeof(gid_t));
		o->additional_gids[o->n_additional_gids++] = (gid_t)v;
	}
	return 0;
}

static int exec_cli_opt(int opt, const char *arg, void *ctx, berth_error_t *err)
{
	struct exec_opts *o = &((struct exec_cli *)ctx)->o;

	switch (opt) {
	case 'p':
		o->process_file = arg;
		return 0;
	case 't':
		o->tty = true;
		return 0;
	case 'C':
		o->console_socket = arg;
		return 0;
	case 'd':
		o->detach = true;
		return 0;
	case 'P':
		o->pid_file = arg;
		return 0;
	case 'e':
		o->env = exec_cli_push(o->env, &o->n_env, arg);
		return 0;
	case 'w':
		o->cwd = arg;
		return 0;
	case 'u':
		return exec_cli_user(o, arg, err);
	case 'g':
		return exec_cli_gids(o, arg, err);
	case 'c':
		o->caps = exec_cli_push(o->caps, &o->n_caps, arg);
		return 0;
	case 'n':
		o->no_new_privs = true;
		return 0;
	case 'a':
		o->apparmor = arg;
		return 0;
	case 'l':
		o->process_label = arg;
		return 0;
	case 'f':
		return runtime_parse_uint("--preserve-fds", arg, &o->preserve_fds, err);
	case 'i':
		o->ignore_paused = true;
		return 0;
	case 'S':
		return 0; /* --no-subreaper: accepted for compatibility */
	case 'G':
		o->cgroups = exec_cli_push(o->cgroups, &o->n_cgroups, arg);
		return 0;
	}
	return berth_error(err, 0, "internal: option %c", opt);
}

int cmd_exec(int argc, char **argv, berth_error_t *err)
{
	static const struct option opts[] = {
	    {"process", required_argument, NULL, 'p'},
	    {"tty", no_argument, NULL, 't'},
	    {"console-socket", required_argument, NULL, 'C'},
	    {"detach", no_argument, NULL, 'd'},
	    {"pid-file", required_argument, NULL, 'P'},
	    {"env", required_argument, NULL, 'e'},
	    {"cwd", required_argument, NULL, 'w'},
	    {"user", required_argument, NULL, 'u'},
	    {"additional-gids", required_argument, NULL, 'g'},
	    {"cap", required_argument, NULL, 'c'},
	    {"no-new-privs", no_argument, NULL, 'n'},
	    {"apparmor", required_argument, NULL, 'a'},
	    {"process-label", required_argument, NULL, 'l'},
	    {"preserve-fds", required_argument, NULL, 'f'},
	    {"ignore-paused", no_argument, NULL, 'i'},
	    {"no-subreaper", no_argument, NULL, 'S'},
	    {"cgroup", required_argument, NULL, 'G'},
	    {0},
	};
	struct exec_cli c = {0};
	int first, status = 0, r = -1;

	first = runtime_getopt(argc, argv, "p:tde:u:g:c:", opts, exec_cli_opt, &c, err);
	if (first < 0) {
		r = first;
		goto out;
	}
	if (first >= argc) {
		berth_error(err, 0, "exec: expected a container id");
		goto out;
	}
	c.o.root = runtime_globals.root;
	c.o.id = argv[first];
	c.o.args = argv + first + 1;
	c.o.n_args = (size_t)(argc - first - 1);
	if (exec_run(&c.o, &status, err) == 0)
		r = status;
out:
	free(c.o.env);
	free(c.o.caps);
	free(c.o.cgroups);
	free(c.o.additional_gids);
	return r;
}
