/* SPDX-License-Identifier: MIT */
/* `berth vm create|run -d|start|ls|inspect|logs|console|stop|kill|pause|resume|rm`: managed
 * VMs, through the engine (engine/vmm.h). `vm run` itself (foreground, and the VM process of
 * a managed VM) is vm.c. */
#include "commands.h"
#include "engine/engine.h"
#include "engine/vmm.h"
#include "error.h"
#include "util.h"
#include "vmcli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROG     "berth vm"
#define VMM_FAIL 125

static const char vmm_usage_text[] =
    "Usage: berth vm COMMAND [OPTIONS] [VM]\n"
    "\n"
    "Managed VMs (state under the engine's root, beside the containers'):\n"
    "  run -d [--name N] OPTIONS  start a VM in the background (see berth vm run --help)\n"
    "  create [--name N] OPTIONS  record a VM without starting it\n"
    "  start VM                  start a created or exited VM\n"
    "  ls [-a] [--format json]   list running VMs (-a: all)\n"
    "  inspect VM                the VM's record, as JSON\n"
    "  logs [-f] VM              the console's output (-f: follow until the VM ends)\n"
    "  console VM                attach to the serial console: Ctrl-A d detaches,\n"
    "                            Ctrl-A x powers the VM off\n"
    "  stop [-t SECS] VM         Ctrl-Alt-Del, then a hard stop after SECS (default 10)\n"
    "  kill VM                   a hard stop\n"
    "  pause VM / resume VM      stop every hart, the guest's time frozen / go on\n"
    "  rm [-f] VM                remove a VM (-f: a running one too)\n"
    "  snapshot [--stop] VM DIR  write the VM's RAM and state to DIR (made if missing,\n"
    "                            empty); --stop: the VM ends after it, else it resumes\n"
    "  restore [--name N] [--copy-disks] DIR\n"
    "                            a new VM from the snapshot in DIR (its disks must be\n"
    "                            unchanged; --copy-disks: it gets copies of them)\n";

static int vmm_fail(berth_error_t *err)
{
	fprintf(stderr, PROG ": %s\n", *err != NULL ? (*err)->msg : "unknown error");
	berth_error_release(err);
	return VMM_FAIL;
}

static int vmm_open(struct engine *e, const char *root)
{
	berth_error_t err = NULL;

	if (engine_open(e, root, &err) < 0) {
		engine_close(e);
		return vmm_fail(&err);
	}
	return 0;
}

int vmm_cli_detach(const char *root, const char *name, char *const *args, size_t nargs, bool start)
{
	struct engine e = {.lock_fd = -1};
	berth_error_t err = NULL;
	cleanup_free char *id = NULL;

	if (vmm_open(&e, root) != 0)
		return VMM_FAIL;
	if (vmm_create(&e, name, args, nargs, NULL, &id, &err) < 0) {
		engine_close(&e);
		return vmm_fail(&err);
	}
	if (start && vmm_start(&e, id, &err) < 0) {
		berth_error_t e2 = NULL;
		/* nothing left behind: the record and its directory go */
		if (vmm_rm(&e, id, true, &e2) < 0)
			berth_error_release(&e2);
		engine_close(&e);
		return vmm_fail(&err);
	}
	printf("%s\n", id);
	engine_close(&e);
	return 0;
}

/* ls [-a] [--format json] */
static int vmm_cmd_ls(struct engine *e, int argc, char **argv)
{
	static const struct option opts[] = {{"all", no_argument, NULL, 'a'},
	                                     {"format", required_argument, NULL, 'f'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	berth_error_t err = NULL;
	bool all = false, json = false;
	json_t *list;
	size_t i;
	json_t *rec;
	int c;

	optind = 1;
	while ((c = cli_getopt(argc, argv, "a", opts, vmm_usage_text, &err)) != -1) {
		if (c == 'a') {
			all = true;
		} else if (c == 'f') {
			if (strcmp(optarg, "json") != 0 && strcmp(optarg, "table") != 0) {
				fprintf(stderr,
				        PROG " ls: --format: expected json or table, got \"%s\"\n",
				        optarg);
				return VMM_FAIL;
			}
			json = strcmp(optarg, "json") == 0;
		} else if (c == CLI_HELP) {
			return 0;
		} else {
			return vmm_fail(&err);
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG " ls: unexpected argument \"%s\"\n", argv[optind]);
		return VMM_FAIL;
	}
	if (vmm_list(e, all, &list, &err) < 0)
		return vmm_fail(&err);
	if (json) {
		char *text = json_dumps(list, JSON_COMPACT);
		printf("%s\n", text);
		free(text);
		json_decref(list);
		return 0;
	}
	printf("%-16s  %-20s  %-10s  %-8s  %s\n", "VM ID", "NAME", "STATUS", "PID", "CREATED");
	json_array_foreach(list, i, rec)
	{
		const char *st = json_string_value(json_object_get(rec, "status")) ?: "";
		char created[64], status[32];
		cli_ago(json_string_value(json_object_get(rec, "created")) ?: "", created,
		        sizeof(created));
		if (strcmp(st, "exited") == 0)
			snprintf(status, sizeof(status), "exited (%lld)",
			         (long long)json_integer_value(json_object_get(rec, "exit_code")));
		else
			snprintf(status, sizeof(status), "%s", st);
		printf("%-16s  %-20s  %-10s  %-8lld  %s\n",
		       json_string_value(json_object_get(rec, "id")) ?: "",
		       json_string_value(json_object_get(rec, "name")) ?: "", status,
		       strcmp(st, "running") == 0 || strcmp(st, "paused") == 0
		           ? (long long)json_integer_value(json_object_get(rec, "pid"))
		           : 0LL,
		       created);
	}
	json_decref(list);
	return 0;
}

/* stop [-t SECS] VM, rm [-f] VM, logs [-f] VM */
static int vmm_cmd_flagged(struct engine *e, const char *cmd, int argc, char **argv)
{
	static const struct option opts[] = {{"time", required_argument, NULL, 't'},
	                                     {"force", no_argument, NULL, 'f'},
	                                     {"follow", no_argument, NULL, 'f'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	const char *shorts = strcmp(cmd, "stop") == 0 ? "t:" : "f";
	berth_error_t err = NULL;
	bool flag = false;
	long secs = 10;
	char *end;
	int c, r;

	optind = 1;
	while ((c = cli_getopt(argc, argv, shorts, opts, vmm_usage_text, &err)) != -1) {
		if (c == 't' && strcmp(cmd, "stop") == 0) {
			secs = strtol(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end != '\0' || secs > 86400) {
				fprintf(stderr,
				        PROG
				        " stop: -t: expected seconds (0 to 86400), got \"%s\"\n",
				        optarg);
				return VMM_FAIL;
			}
		} else if (c == 'f' && strcmp(cmd, "stop") != 0) {
			flag = true;
		} else if (c == CLI_HELP) {
			return 0;
		} else {
			if (err == NULL)
				berth_error(&err, 0, "%s: unknown option", cmd);
			return vmm_fail(&err);
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, PROG " %s: expected one VM name or id\n", cmd);
		return VMM_FAIL;
	}
	if (strcmp(cmd, "stop") == 0)
		r = vmm_stop(e, argv[optind], (int)secs, &err);
	else if (strcmp(cmd, "rm") == 0)
		r = vmm_rm(e, argv[optind], flag, &err);
	else
		r = vmm_logs(e, argv[optind], flag, 1, &err);
	if (r < 0)
		return vmm_fail(&err);
	if (strcmp(cmd, "logs") != 0)
		printf("%s\n", argv[optind]);
	return 0;
}

/* snapshot [--stop] VM DIR, restore [--name N] [--copy-disks] DIR */
static int vmm_cmd_snap(struct engine *e, const char *cmd, int argc, char **argv)
{
	enum { OPT_COPY = 0x100, OPT_NAME };
	static const struct option opts[] = {{"stop", no_argument, NULL, 's'},
	                                     {"copy-disks", no_argument, NULL, OPT_COPY},
	                                     {"name", required_argument, NULL, OPT_NAME},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	bool restore = strcmp(cmd, "restore") == 0, stop = false, copy = false;
	const char *name = NULL;
	berth_error_t err = NULL;
	cleanup_free char *id = NULL;
	int c;

	optind = 1;
	while ((c = cli_getopt(argc, argv, "", opts, vmm_usage_text, &err)) != -1) {
		if (c == 's' && !restore) {
			stop = true;
		} else if (c == OPT_COPY && restore) {
			copy = true;
		} else if (c == OPT_NAME && restore) {
			name = optarg;
		} else if (c == CLI_HELP) {
			return 0;
		} else {
			if (err == NULL)
				berth_error(&err, 0, "%s: unknown option", cmd);
			return vmm_fail(&err);
		}
	}
	if (restore) {
		if (argc - optind != 1) {
			fprintf(stderr, PROG " restore: expected one snapshot directory\n");
			return VMM_FAIL;
		}
		if (vmm_restore(e, argv[optind], name, copy, &id, &err) < 0)
			return vmm_fail(&err);
		printf("%s\n", id);
		return 0;
	}
	if (argc - optind != 2) {
		fprintf(stderr, PROG " snapshot: expected a VM and a directory\n");
		return VMM_FAIL;
	}
	{
		const char *dir = argv[optind + 1];
		cleanup_free char *cwd = getcwd(NULL, 0);
		cleanup_free char *abs =
		    dir[0] == '/' || cwd == NULL ? xstrdup(dir) : xasprintf("%s/%s", cwd, dir);
		json_t *a = json_pack("{s:s, s:b}", "dir", abs, "stop", stop);
		if (vmm_request_args(e, argv[optind], "snapshot", a, NULL, &err) < 0)
			return vmm_fail(&err);
	}
	printf("%s\n", argv[optind]);
	return 0;
}

int vmm_cli(const char *root, int argc, char **argv)
{
	struct engine e = {.lock_fd = -1};
	const char *cmd = argv[0], *name = argc == 2 ? argv[1] : NULL;
	berth_error_t err = NULL;
	int r = 0;

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(vmm_usage_text, stdout);
		return 0;
	}
	if (vmm_open(&e, root) != 0)
		return VMM_FAIL;
	if (strcmp(cmd, "ls") == 0 || strcmp(cmd, "ps") == 0) {
		r = vmm_cmd_ls(&e, argc, argv);
	} else if (strcmp(cmd, "stop") == 0 || strcmp(cmd, "rm") == 0 || strcmp(cmd, "logs") == 0) {
		r = vmm_cmd_flagged(&e, cmd, argc, argv);
	} else if (strcmp(cmd, "snapshot") == 0 || strcmp(cmd, "restore") == 0) {
		r = vmm_cmd_snap(&e, cmd, argc, argv);
	} else if (name == NULL) {
		fprintf(stderr, PROG " %s: expected one VM name or id\n", cmd);
		r = VMM_FAIL;
	} else if (strcmp(cmd, "inspect") == 0) {
		json_t *rec;
		if (vmm_inspect(&e, name, &rec, &err) < 0) {
			r = vmm_fail(&err);
		} else {
			char *text = json_dumps(rec, JSON_INDENT(2));
			printf("%s\n", text);
			free(text);
			json_decref(rec);
		}
	} else if (strcmp(cmd, "console") == 0) {
		if (vmm_console(&e, name, 0, 1, &err) < 0)
			r = vmm_fail(&err);
	} else if (strcmp(cmd, "start") == 0 || strcmp(cmd, "kill") == 0 ||
	           strcmp(cmd, "pause") == 0 || strcmp(cmd, "resume") == 0) {
		if (strcmp(cmd, "start") == 0)
			r = vmm_start(&e, name, &err);
		else if (strcmp(cmd, "kill") == 0)
			r = vmm_kill(&e, name, &err);
		else
			r = vmm_request(&e, name, cmd, NULL, &err);
		if (r < 0)
			r = vmm_fail(&err);
		else
			printf("%s\n", name);
	} else {
		fprintf(stderr, PROG ": unknown command \"%s\" (see berth vm --help)\n", cmd);
		r = VMM_FAIL;
	}
	engine_close(&e);
	return r;
}

bool vmm_cli_has(const char *cmd)
{
	static const char *const cmds[] = {"start",   "ls",       "ps",     "inspect", "logs",
	                                   "console", "stop",     "kill",   "pause",   "resume",
	                                   "rm",      "snapshot", "restore"};

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(cmd, cmds[i]) == 0)
			return true;
	return false;
}
