/* SPDX-License-Identifier: MIT */
/* berth run [OPTIONS] IMAGE [CMD…], and berth create with the same options (not -d) */
#include "commands.h"
#include "engine/engine.h"
#include "timing.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static void run_push(char ***v, size_t *n, const char *s)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(char *));
	(*v)[(*n)++] = (char *)s;
}

/* The file's text is kept in *keep (freed by the caller) as *v points into it: its lines
 * but blank ones and #comments (--env-file, --label-file). */
static int run_env_file(const char *flag, const char *path, char ***v, size_t *n, char ***keep,
                        size_t *n_keep, berth_error_t *err)
{
	char *text;
	size_t len;

	if (util_read_file(path, &text, &len, err) < 0)
		return berth_error_prefix(err, "%s", flag);
	run_push(keep, n_keep, text);
	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		while (*l == ' ' || *l == '\t')
			l++;
		if (*l == '#' || *l == '\0')
			continue;
		run_push(v, n, l);
	}
	return 0;
}

/* --cidfile: made before the container (refused when it exists, as Docker), removed again
 * when the container could not be made. */
static int run_cidfile_open(const char *path, berth_error_t *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	if (fd < 0 && errno == EEXIST)
		return berth_error(err, 0,
		                   "bad --cidfile `%s`: the file exists (another container's id?); "
		                   "remove it first",
		                   path);
	if (fd < 0)
		return berth_error(err, errno, "bad --cidfile `%s`", path);
	return fd;
}

/* -a STDIN|STDOUT|STDERR (any case), into the mask */
static int run_attach_flag(const char *v, unsigned *mask, berth_error_t *err)
{
	static const char *const names[] = {"stdin", "stdout", "stderr"};

	for (unsigned i = 0; i < 3; i++)
		if (strcasecmp(v, names[i]) == 0) {
			*mask |= 1u << i;
			return 0;
		}
	return berth_error(err, 0, "bad -a `%s`: expected STDIN, STDOUT or STDERR", v);
}

/* The container attached (berth run without -d): with -a, the streams not named are not ours
 * (they go to the log only; stdin: /dev/null), as Docker's run -a. */
static int run_attached(struct engine *e, const char *id, unsigned attach, int *status,
                        berth_error_t *err)
{
	int saved[3], r;

	if (attach == 0)
		return monitor_run_attached(e, id, status, err);
	if (cli_streams_off(attach, saved, err) < 0)
		return -1;
	r = monitor_run_attached(e, id, status, err);
	cli_streams_restore(saved);
	return r;
}

/* Whether --pull=missing finds ref in the store: with a platform, its variant of that
 * platform. The built-in busybox is never pulled (it is made, with the platforms it can
 * have). */
static bool run_image_there(struct engine *e, const char *ref, const char *platform)
{
	cleanup_free char *norm = image_ref_normalize(ref);
	struct image *img = NULL;
	berth_error_t e2 = NULL;
	bool there;

	if (!image_present(e, ref))
		return false;
	if (platform == NULL || strcmp(norm, "busybox:latest") == 0)
		return true;
	there = image_find_platform(e, ref, platform, &img, &e2) == 0;
	berth_error_release(&e2);
	image_free(img);
	return there;
}

static const char run_usage[] =
    "usage: berth run [--rm] [-d] [-i] [-t] [--vm] [--name N] [-e K=V] "
    "[--env-file F] [-w DIR]\n"
    "  [-u NAME|UID[:GROUP|GID]] [--group-add GROUP|GID]\n"
    "  [-v HOST|NAME:CTR[:ro][,idmap[=MAPS]]] [-v CTR] [--mount type=bind|volume|tmpfs,…] [--tmpfs "
    "CTR[:OPTS]]\n"
    "  [--volumes-from NAME[:ro|rw]] "
    "  [--read-only] "
    "[--hostname H] "
    "[-m|--memory SIZE]\n"
    "  [--cpus N] [--pids-limit N] [--cap-add C] [--cap-drop C] "
    "\n"
    "  [--network bridge|none|host|NAME|container:NAME] [--ip IP] [--ip6 IP6] "
    "[--mac-address MAC]\n"
    "  [--network-alias A] [--dns IP] [--dns-search D] [--add-host "
    "NAME:IP]\n"
    "  [-p [IP:][HOSTPORT:]CTRPORT[/tcp|/udp]] [-P] [--entrypoint E]\n"
    "  [--restart no|always|unless-stopped|on-failure[:N]]\n"
    "  [--stop-signal SIG] [--stop-timeout SECS] [--cidfile F] [--replace] [-l K=V]\n"
    "  [--label-file F] [--tz ZONE] [--init] [--systemd true|false|always] [--privileged]\n"
    "  [--security-opt "
    "seccomp=unconfined|FILE]\n"
    "  [--security-opt no-new-privileges] [--ulimit NAME=SOFT[:HARD]] [--sysctl K=V]\n"
    "  [--shm-size SIZE] [--device HOST[:CTR][:rwm]]\n"
    "  [--health-cmd CMD] [--health-interval D] [--health-timeout D] [--health-retries N]\n"
    "  [--health-start-period D] [--no-healthcheck]\n"
    "  [--memory-swap SIZE|-1] [--memory-reservation SIZE] [--memory-swappiness 0-100]\n"
    "  [--oom-kill-disable] [--cpu-shares N] [--cpu-period US] [--cpu-quota US]\n"
    "  [--cpuset-cpus LIST] [--cpuset-mems LIST] [--blkio-weight 10-1000]\n"
    "  [--blkio-weight-device /dev/DEV:10-1000] [--device-read-bps /dev/DEV:RATE]\n"
    "  [--device-write-bps /dev/DEV:RATE] [--device-read-iops /dev/DEV:N]\n"
    "  [--device-write-iops /dev/DEV:N]\n"
    "  [--ipc none|private|shareable|host|container:NAME] [--pid host|container:NAME]\n"
    "  [--uts host]\n"
    "  [--cgroupns host|private] [--userns host]\n"
    "  [--log-driver json-file|k8s-file|none] [--log-opt max-size=SIZE|max-file=N]\n"
    "  [-a STDIN|STDOUT|STDERR] [-q]\n"
    "  [--pull missing|always|never] [--tls-verify=false] [--authfile F]\n"
    "  [--platform OS/ARCH[/VARIANT]] (another architecture: through qemu-user-static)\n"
    "  IMAGE [CMD…]";

static const char create_usage[] =
    "usage: berth create [OPTIONS] IMAGE [CMD…]\n"
    "  makes the container without starting it (berth start NAME), and prints its id;\n"
    "  the options are run's but -d (berth run --help)";

/* run, or create (the container made, not started: berth start runs it) */
static int run_main(struct engine *e, int argc, char **argv, bool create, berth_error_t *err)
{
	enum {
		O_NAME = 256,
		O_ENVFILE,
		O_RO,
		O_HOST,
		O_MEM,
		O_CPUS,
		O_PIDS,
		O_CAPADD,
		O_CAPDROP,
		O_NET,
		O_EP,
		O_RM,
		O_PULL,
		O_TLS,
		O_AUTHFILE,
		O_IP,
		O_IP6,
		O_MAC,
		O_ALIAS,
		O_DNS,
		O_DNSSEARCH,
		O_ADDHOST,
		O_GROUPADD,
		O_RESTART,
		O_MOUNT,
		O_TMPFS,
		O_VOLFROM,
		O_STOPSIG,
		O_STOPTIME,
		O_CIDFILE,
		O_REPLACE,
		O_LABELFILE,
		O_TZ,
		O_SYSTEMD,
		O_INIT,
		O_PRIV,
		O_SECOPT,
		O_ULIMIT,
		O_SYSCTL,
		O_SHM,
		O_DEVICE,
		O_LOGDRV,
		O_LOGOPT,
		O_PLATFORM,
		O_VM,
		O_HEALTH /* + enum health_flag */
	};
	static const struct option lo[] = {
	    {"rm", no_argument, NULL, O_RM},
	    {"vm", no_argument, NULL, O_VM},
	    {"detach", no_argument, NULL, 'd'},
	    {"interactive", no_argument, NULL, 'i'},
	    {"tty", no_argument, NULL, 't'},
	    {"name", required_argument, NULL, O_NAME},
	    {"env", required_argument, NULL, 'e'},
	    {"env-file", required_argument, NULL, O_ENVFILE},
	    {"workdir", required_argument, NULL, 'w'},
	    {"user", required_argument, NULL, 'u'},
	    {"group-add", required_argument, NULL, O_GROUPADD},
	    {"volume", required_argument, NULL, 'v'},
	    {"mount", required_argument, NULL, O_MOUNT},
	    {"tmpfs", required_argument, NULL, O_TMPFS},
	    {"volumes-from", required_argument, NULL, O_VOLFROM},
	    {"read-only", no_argument, NULL, O_RO},
	    {"hostname", required_argument, NULL, O_HOST},
	    {"memory", required_argument, NULL, O_MEM},
	    {"cpus", required_argument, NULL, O_CPUS},
	    {"pids-limit", required_argument, NULL, O_PIDS},
	    {"cap-add", required_argument, NULL, O_CAPADD},
	    {"cap-drop", required_argument, NULL, O_CAPDROP},
	    {"network", required_argument, NULL, O_NET},
	    {"net", required_argument, NULL, O_NET},
	    {"ip", required_argument, NULL, O_IP},
	    {"ip6", required_argument, NULL, O_IP6},
	    {"mac-address", required_argument, NULL, O_MAC},
	    {"network-alias", required_argument, NULL, O_ALIAS},
	    {"net-alias", required_argument, NULL, O_ALIAS},
	    {"dns", required_argument, NULL, O_DNS},
	    {"dns-search", required_argument, NULL, O_DNSSEARCH},
	    {"add-host", required_argument, NULL, O_ADDHOST},
	    {"publish", required_argument, NULL, 'p'},
	    {"publish-all", no_argument, NULL, 'P'},
	    {"entrypoint", required_argument, NULL, O_EP},
	    {"pull", required_argument, NULL, O_PULL},
	    {"tls-verify", optional_argument, NULL, O_TLS},
	    {"authfile", required_argument, NULL, O_AUTHFILE},
	    {"restart", required_argument, NULL, O_RESTART},
	    {"stop-signal", required_argument, NULL, O_STOPSIG},
	    {"stop-timeout", required_argument, NULL, O_STOPTIME},
	    {"cidfile", required_argument, NULL, O_CIDFILE},
	    {"replace", no_argument, NULL, O_REPLACE},
	    {"label", required_argument, NULL, 'l'},
	    {"label-file", required_argument, NULL, O_LABELFILE},
	    {"tz", required_argument, NULL, O_TZ},
	    {"systemd", required_argument, NULL, O_SYSTEMD},
	    {"init", no_argument, NULL, O_INIT},
	    {"privileged", no_argument, NULL, O_PRIV},
	    {"security-opt", required_argument, NULL, O_SECOPT},
	    {"ulimit", required_argument, NULL, O_ULIMIT},
	    {"sysctl", required_argument, NULL, O_SYSCTL},
	    {"shm-size", required_argument, NULL, O_SHM},
	    {"device", required_argument, NULL, O_DEVICE},
	    {"log-driver", required_argument, NULL, O_LOGDRV},
	    {"log-opt", required_argument, NULL, O_LOGOPT},
	    {"attach", required_argument, NULL, 'a'},
	    {"platform", required_argument, NULL, O_PLATFORM},
	    {"quiet", no_argument, NULL, 'q'},
	    {"health-cmd", required_argument, NULL, O_HEALTH + HEALTH_CMD},
	    {"health-interval", required_argument, NULL, O_HEALTH + HEALTH_INTERVAL},
	    {"health-timeout", required_argument, NULL, O_HEALTH + HEALTH_TIMEOUT},
	    {"health-start-period", required_argument, NULL, O_HEALTH + HEALTH_START_PERIOD},
	    {"health-retries", required_argument, NULL, O_HEALTH + HEALTH_RETRIES},
	    {"no-healthcheck", no_argument, NULL, O_HEALTH + HEALTH_NONE},
	    RES_RUN_OPTIONS,
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct run_opts o = {0};
	struct reg_opts ro = {.tls_verify = true};
	const char *pull = "missing";
	const char *cidfile = NULL;
	bool replace = false;
	int cidfd = -1;
	char **keep = NULL;
	size_t n_keep = 0;
	struct image *img = NULL;
	cleanup_free char *id = NULL;
	unsigned attach = 0; /* -a: 1 << fd of each stream named; 0: all */
	int c, status = 0, r = -1;

	while (
	    (c = cli_getopt(argc, argv, create ? "ite:w:u:v:hp:Pl:m:a:q" : "dite:w:u:v:hp:Pl:m:a:q",
	                    lo, create ? create_usage : run_usage, err)) != -1) {
		if (create && c == 'd') {
			berth_error(err, 0,
			            "unknown option `--detach`: a created container is started by "
			            "berth start (berth create --help)");
			goto out;
		}
		/* resources.c: the resource and namespace flags */
		if (RES_IS_OPT(c)) {
			if (res_option(&o, c, optarg, err) < 0)
				goto out;
			continue;
		}
		switch (c) {
		case O_RM:
			o.rm = true;
			break;
		case O_VM:
			o.vm = true;
			break;
		case 'd':
			o.detach = true;
			break;
		case 'i':
			o.interactive = true;
			break;
		case 't':
			o.tty = true;
			break;
		case O_NAME:
			o.name = optarg;
			break;
		case 'e':
			run_push(&o.env, &o.n_env, optarg);
			break;
		case O_ENVFILE:
			if (run_env_file("--env-file", optarg, &o.env, &o.n_env, &keep, &n_keep,
			                 err) < 0)
				goto out;
			break;
		case 'w':
			o.workdir = optarg;
			break;
		case 'u':
			o.user = optarg;
			break;
		case O_GROUPADD:
			run_push(&o.group_add, &o.n_group_add, optarg);
			break;
		case 'v':
			run_push(&o.volumes, &o.n_volumes, optarg);
			break;
		case O_MOUNT:
			run_push(&o.mounts, &o.n_mounts, optarg);
			break;
		case O_TMPFS:
			run_push(&o.tmpfs, &o.n_tmpfs, optarg);
			break;
		case O_VOLFROM:
			run_push(&o.volumes_from, &o.n_volumes_from, optarg);
			break;
		case O_RO:
			o.read_only = true;
			break;
		case O_HOST:
			o.hostname = optarg;
			break;
		case O_MEM:
		case 'm':
			if (spec_parse_memory(optarg, &o.memory, err) < 0)
				goto out;
			break;
		case O_CPUS: {
			char *end;
			o.cpus = strtod(optarg, &end);
			if (*end || o.cpus <= 0) {
				berth_error(err, 0, "bad --cpus `%s`: expected a positive number",
				            optarg);
				goto out;
			}
			break;
		}
		case O_PIDS: {
			char *end;
			o.pids = strtoll(optarg, &end, 10);
			if (*end || o.pids <= 0) {
				berth_error(err, 0, "bad --pids-limit `%s`", optarg);
				goto out;
			}
			break;
		}
		case O_CAPADD:
			run_push(&o.cap_add, &o.n_cap_add, optarg);
			break;
		case O_CAPDROP:
			run_push(&o.cap_drop, &o.n_cap_drop, optarg);
			break;
		case O_NET:
			if (o.network) {
				o.more_networks = xrealloc(
				    o.more_networks, (o.n_more_networks + 1) * sizeof(char *));
				o.more_networks[o.n_more_networks++] = optarg;
				break;
			}
			o.network = optarg;
			break;
		case O_IP:
			o.ip = optarg;
			break;
		case O_IP6:
			o.ip6 = optarg;
			break;
		case O_MAC:
			o.mac = optarg;
			break;
		case O_ALIAS:
			run_push(&o.aliases, &o.n_aliases, optarg);
			break;
		case O_DNS:
			run_push(&o.dns, &o.n_dns, optarg);
			break;
		case O_DNSSEARCH:
			run_push(&o.dns_search, &o.n_dns_search, optarg);
			break;
		case O_ADDHOST:
			run_push(&o.add_hosts, &o.n_add_hosts, optarg);
			break;
		case 'p':
			run_push(&o.publish, &o.n_publish, optarg);
			break;
		case 'P':
			o.publish_all = true;
			break;
		case O_EP:
			o.entrypoint = optarg;
			o.has_entrypoint = true;
			break;
		case O_PULL:
			if (strcmp(optarg, "missing") != 0 && strcmp(optarg, "always") != 0 &&
			    strcmp(optarg, "never") != 0) {
				berth_error(err, 0,
				            "bad --pull `%s`: expected missing, always or never",
				            optarg);
				goto out;
			}
			pull = optarg;
			break;
		case O_TLS:
			if (optarg && strcmp(optarg, "false") == 0) {
				ro.tls_verify = false;
			} else if (optarg && strcmp(optarg, "true") != 0) {
				berth_error(err, 0, "bad --tls-verify `%s`: expected true or false",
				            optarg);
				goto out;
			}
			break;
		case O_AUTHFILE:
			ro.authfile = optarg;
			break;
		case O_RESTART: {
			const char *policy;
			int max;
			if (ctr_parse_restart(optarg, &policy, &max, err) < 0)
				goto out;
			o.restart = strcmp(policy, "no") == 0 ? NULL : optarg;
			break;
		}
		case O_STOPSIG:
			o.stop_signal = optarg;
			break;
		case O_STOPTIME: {
			char *end;
			long t;
			errno = 0;
			t = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end || errno || t < 0 || t > 86400 * 365) {
				berth_error(err, 0, "bad --stop-timeout `%s`: expected seconds",
				            optarg);
				goto out;
			}
			o.stop_timeout = (int)t;
			o.has_stop_timeout = true;
			break;
		}
		case O_CIDFILE:
			cidfile = optarg;
			break;
		case O_REPLACE:
			replace = true;
			break;
		case 'l':
			run_push(&o.labels, &o.n_labels, optarg);
			break;
		case O_LABELFILE:
			if (run_env_file("--label-file", optarg, &o.labels, &o.n_labels, &keep,
			                 &n_keep, err) < 0)
				goto out;
			break;
		case O_TZ:
			o.tz = optarg;
			break;
		case O_SYSTEMD:
			o.systemd = optarg;
			break;
		case O_INIT:
			o.init = true;
			break;
		case O_PRIV:
			o.privileged = true;
			break;
		case O_SECOPT:
			if (runflags_security_opt(&o, optarg, err) < 0)
				goto out;
			break;
		case O_ULIMIT:
			run_push(&o.ulimits, &o.n_ulimits, optarg);
			break;
		case O_SYSCTL:
			run_push(&o.sysctls, &o.n_sysctls, optarg);
			break;
		case O_SHM:
			o.shm_size = spec_parse_size(optarg);
			if (o.shm_size <= 0) {
				berth_error(err, 0, "bad --shm-size `%s`: expected a size like 64m",
				            optarg);
				goto out;
			}
			break;
		case O_DEVICE:
			run_push(&o.devices, &o.n_devices, optarg);
			break;
		case O_LOGDRV:
			o.log_driver = optarg;
			break;
		case O_LOGOPT:
			run_push(&o.log_opts, &o.n_log_opts, optarg);
			break;
		case 'a':
			if (run_attach_flag(optarg, &attach, err) < 0)
				goto out;
			break;
		case 'q':
			break; /* no pull progress: run never shows it */
		case O_PLATFORM:
			if (platform_check(optarg, err) < 0)
				goto out;
			o.platform = ro.platform = optarg;
			break;
		default: /* --health-*, or CLI_FAIL, CLI_HELP */
			if (c >= O_HEALTH && c < O_HEALTH + HEALTH_N) {
				if (health_flag(&o.health, c - O_HEALTH, optarg, err) < 0)
					goto out;
				break;
			}
			r = CLI_RET(c);
			goto out;
		}
	}
	if (optind >= argc) {
		berth_error(err, 0, "no image given (berth %s [OPTIONS] IMAGE [CMD…])",
		            create ? "create" : "run");
		goto out;
	}
	if (o.rm && o.restart) {
		berth_error(err, 0,
		            "--restart `%s` and --rm conflict: a container removed when it exits "
		            "cannot be restarted",
		            o.restart);
		goto out;
	}
	if (attach && o.detach) {
		berth_error(err, 0,
		            "-a (--attach) and -d conflict: a detached container is not attached");
		goto out;
	}
	/* kept in the record for start -a and attach; Docker's Config.Attach*: nothing for
	 * run -d, else the streams named, or stdout and stderr (stdin too with -i) */
	o.attach = attach;
	o.attach_config = o.detach ? 0 : attach ? attach : 6u | (o.interactive ? 1u : 0u);
	o.cmd = argv + optind + 1;
	o.n_cmd = (size_t)(argc - optind - 1);
	if (spec_check_opts(&o, err) < 0 || ctrlog_check(&o, err) < 0)
		goto out;
	/* --vm: the guest's cpus and memory, what it does not support, a guest kernel */
	if (o.vm && vmctr_check(&o, err) < 0)
		goto out;
	if (o.vm) {
		/* no network for the engine to make: -p is the VM's user-mode network's */
		o.network = "none";
		o.vm_publish = o.publish;
		o.n_vm_publish = o.n_publish;
		o.publish = NULL;
		o.n_publish = 0;
	}
	/* --pull=missing (the default): an image not in the store is pulled, and with --platform
	 * one without that platform's variant (but the built-in busybox, which is made); with
	 * --vm a stored image without a linux/riscv64 variant is refused below, not pulled */
	if (strcmp(pull, "always") == 0 ||
	    (strcmp(pull, "missing") == 0 && !run_image_there(e, argv[optind], o.platform))) {
		cleanup_free char *pid = NULL;
		bool missing = strcmp(pull, "missing") == 0;
		progress_set_quiet(true);
		if (image_pull(e, argv[optind], &ro, &pid, err) < 0) {
			if (missing)
				berth_error_prefix(
				    err, "image \"%s\" not found locally, and the pull failed",
				    argv[optind]);
			goto out;
		}
	}
	/* --vm: the image's linux/riscv64 variant, run in the guest */
	if (image_find_platform(e, argv[optind], o.vm ? "linux/riscv64" : o.platform, &img, err) <
	    0)
		goto out;
	if (replace && !o.name) {
		berth_error(err, 0, "--replace needs --name (the container to replace)");
		goto out;
	}
	if (cidfile && (cidfd = run_cidfile_open(cidfile, err)) < 0)
		goto out;
	if (replace && ctr_replace(e, o.name, err) < 0)
		goto out;
	/* a created container has no monitor until it is started, as one of run -d */
	if (create)
		o.detach = true;
	timing_mark("image");
	if (ctr_create(e, img, &o, &id, err) < 0)
		goto out;
	timing_mark("ctr-created");
	if (cidfd >= 0) {
		if (dprintf(cidfd, "%s", id) < 0) {
			berth_error_t e2 = NULL;
			berth_error(err, errno, "write --cidfile `%s`", cidfile);
			ctr_remove(e, id, true, &e2);
			berth_error_release(&e2);
			goto out;
		}
		close(cidfd);
		cidfd = -1;
		cidfile = NULL; /* kept */
	}
	if (create) {
		/* mounted again when it starts */
		ctr_umount(e, id);
		printf("%s\n", id);
		r = 0;
		goto out;
	}
	if (o.detach) {
		if (monitor_spawn(e, id, err) < 0) {
			berth_error_t e2 = NULL;
			ctr_remove(e, id, true, &e2);
			berth_error_release(&e2);
			r = cli_exit_status("run", err); /* 127, 126 or -1 */
			goto out;
		}
		if (systemd_check_started(e, id, true, err) < 0)
			goto out;
		printf("%s\n", id);
		r = 0;
		goto out;
	}
	if (run_attached(e, id, attach, &status, err) < 0) {
		berth_error_t e2 = NULL;
		ctr_remove(e, id, true, &e2);
		berth_error_release(&e2);
		r = cli_exit_status("run", err); /* 127, 126 or -1 */
		goto out;
	}
	r = status;
out:
	if (cidfd >= 0) {
		close(cidfd);
		unlink(cidfile);
	}
	image_free(img);
	for (size_t i = 0; i < n_keep; i++)
		free(keep[i]);
	free(keep);
	free(o.env);
	free(o.volumes);
	free(o.mounts);
	free(o.tmpfs);
	free(o.volumes_from);
	free(o.cap_add);
	free(o.cap_drop);
	free(o.group_add);
	free(o.aliases);
	free(o.more_networks);
	free(o.dns);
	free(o.dns_search);
	free(o.add_hosts);
	free(o.publish);
	free(o.vm_publish);
	free(o.labels);
	free(o.ulimits);
	free(o.sysctls);
	free(o.devices);
	free(o.log_opts);
	for (size_t k = 0; k < ARRAY_SIZE(o.res.dev_limits); k++)
		free(o.res.dev_limits[k]);
	return r;
}

BERTH_CMD(run)
{
	return run_main(e, argc, argv, false, err);
}

BERTH_CMD(create)
{
	return run_main(e, argc, argv, true, err);
}
