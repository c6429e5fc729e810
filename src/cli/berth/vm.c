/* SPDX-License-Identifier: MIT */
/* `berth vm run`: boot a Linux kernel on berth's emulated RISC-V machine. */
#include "commands.h"
#include "engine/engine.h"
#include "engine/vmm.h"
#include "error.h"
#include "util.h"
#include "vmcli.h"
#include "vm/machine.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define PROG "berth vm"
/* berth's own failure, as every other berth command (and Docker) exits: the guest's
 * statuses (0, 2, a syscon code) are not confused with it */
#define VM_EXIT_BERTH 125

static const char vm_usage_text[] =
    "Usage: berth vm run --kernel IMAGE [OPTIONS]\n"
    "\n"
    "Boot a Linux kernel (a RISC-V 64 Image) on an emulated RISC-V machine modelled on\n"
    "QEMU's virt board. The guest's console is this terminal; Ctrl-A x quits.\n"
    "\n"
    "Options:\n"
    "  --kernel IMAGE      the kernel (arch/riscv/boot/Image)\n"
    "  --initrd FILE       an initramfs (loaded near the end of guest memory)\n"
    "  --append ARGS       the kernel command line, at most 1023 bytes\n"
    "                      (default \"" VM_DEFAULT_APPEND "\")\n"
    "  --disk FILE[,ro]    a raw disk image as a virtio-blk disk (repeatable, up to 6;\n"
    "                      the first is /dev/vda); ,ro makes it read-only; write ,, for\n"
    "                      a comma in FILE\n"
    "  --net KIND          a network card (virtio-net; repeatable): none (the default),\n"
    "                      "
    "user[,hostfwd=tcp|udp:[HOSTIP]:HOSTPORT-[GUESTIP]:GUESTPORT]...\n"
    "                      (slirp, the default kind), or bridge[=NAME] (a TAP device\n"
    "                      on the berth network NAME, with an address leased from it,\n"
    "                      or else on the Linux bridge NAME, default " VM_NET_DEFAULT_BRIDGE ")\n"
    "  --share HOSTDIR:TAG[,ro]\n"
    "                      share a host directory with the guest over virtio-9p\n"
    "                      (repeatable); the guest mounts it with\n"
    "                      mount -t 9p -o trans=virtio TAG DIR; ,ro refuses every write\n"
    "                      (disks, cards and shares: up to 6 together)\n"
    "  --console none|stdio|socket:PATH\n"
    "                      where the guest's console is: nowhere, this terminal (the\n"
    "                      default), or a unix socket created at PATH (refused if PATH\n"
    "                      exists, removed at exit) that a user connects to, e.g. with\n"
    "                      socat - UNIX-CONNECT:PATH\n"
    "  --serial NAME=socket:PATH\n"
    "                      a named virtio-console port (up to 3): the guest sees it as\n"
    "                      /dev/vportNpM (its name in /sys/class/virtio-ports/*/name),\n"
    "                      the host as a unix socket created at PATH (as for --console)\n"
    "  --mem SIZE          guest memory, like 256M or 1G (default 256M, at least 16M)\n"
    "  --cpus N            harts, 1 to 8 (default 1)\n"
    "  --accel jit|interp  run guest code through the x86-64 translator (jit, the\n"
    "                      default on x86-64 hosts) or the interpreter (interp)\n"
    "  --no-reboot         exit with status 2 when the guest reboots\n"
    "  --boot-time         report the time from launch to the guest's init\n"
    "  --stats             at the end, print the translator's figures on stderr: blocks\n"
    "                      translated, time translating, code cache use, chain hit rate,\n"
    "                      block runs interpreted before their code was hot\n"
    "  -d, --detach        run in the background as a managed VM (prints its id;\n"
    "                      see berth vm ls, console, stop, rm and docs/vm.md)\n"
    "  --name NAME         the managed VM's name (with -d, and for vm create)\n"
    "  -h, --help          this help\n"
    "\n"
    "Managed VMs (-d): berth vm create, start, ls, inspect, logs, console, pause,\n"
    "resume, stop, kill, rm (berth vm ls --help).\n"
    "\n"
    "Exit status: 0 when the guest powers off, 2 when it reboots with --no-reboot,\n"
    "125 when berth itself fails (a bad argument, a file it cannot use).\n";

static void vm_usage(FILE *f)
{
	fputs(vm_usage_text, f);
}

/* One line through berth_error: a quoted argument's control characters are escaped. */
__attribute__((format(printf, 1, 2))) static int vm_fail(const char *fmt, ...)
{
	berth_error_t err = NULL;
	va_list ap;

	va_start(ap, fmt);
	berth_verror(&err, 0, fmt, ap);
	va_end(ap);
	fprintf(stderr, PROG ": %s\n", err->msg);
	berth_error_release(&err);
	return VM_EXIT_BERTH;
}

static int vm_add_disk(struct vm_config *cfg, const char *arg)
{
	berth_error_t err = NULL;

	if (cfg->ndisks >= VM_MAX_DISKS) {
		fprintf(stderr, PROG ": --disk: at most %d disks\n", VM_MAX_DISKS);
		return -1;
	}
	if (vm_parse_disk(arg, &cfg->disks[cfg->ndisks], &err) < 0) {
		fprintf(stderr, PROG ": %s\n", err->msg);
		berth_error_release(&err);
		return -1;
	}
	cfg->ndisks++;
	return 0;
}

static int vm_add_net(struct vm_config *cfg, const char *arg)
{
	berth_error_t err = NULL;
	struct vm_net n;

	if (vm_parse_net(arg, &n, &err) < 0) {
		fprintf(stderr, PROG ": %s\n", err->msg);
		berth_error_release(&err);
		return -1;
	}
	if (n.kind == VM_NET_NONE)
		return 0;
	/* the only thing a VM needs root for: an ordinary user may not make a TAP device (nor
	 * attach it to a bridge or lease from a berth network) */
	if (n.kind == VM_NET_BRIDGE && geteuid() != 0) {
		vm_net_free(&n);
		fprintf(stderr,
		        PROG
		        ": --net bridge: a TAP device needs root (/dev/net/tun, CAP_NET_ADMIN): "
		        "run by uid %u, use --net user (with hostfwd= for ports >= 1024)\n",
		        (unsigned)geteuid());
		return -1;
	}
	if (cfg->nnets >= VM_MAX_NETS) {
		vm_net_free(&n);
		fprintf(stderr, PROG ": --net: at most %d network cards\n", VM_MAX_NETS);
		return -1;
	}
	cfg->nets[cfg->nnets++] = n;
	return 0;
}

static int vm_add_serial(struct vm_config *cfg, const char *arg)
{
	berth_error_t err = NULL;

	if (cfg->nserials >= VM_MAX_SERIALS) {
		fprintf(stderr, PROG ": --serial: at most %d ports\n", VM_MAX_SERIALS);
		return -1;
	}
	if (vm_parse_serial(arg, &cfg->serials[cfg->nserials], &err) < 0) {
		fprintf(stderr, PROG ": %s\n", err->msg);
		berth_error_release(&err);
		return -1;
	}
	cfg->nserials++;
	return 0;
}

static int vm_add_share(struct vm_config *cfg, const char *arg)
{
	berth_error_t err = NULL;

	if (cfg->nshares >= VM_MAX_SHARES) {
		fprintf(stderr, PROG ": --share: at most %d shares\n", VM_MAX_SHARES);
		return -1;
	}
	if (vm_parse_share(arg, &cfg->shares[cfg->nshares], &err) < 0) {
		fprintf(stderr, PROG ": %s\n", err->msg);
		berth_error_release(&err);
		return -1;
	}
	cfg->nshares++;
	return 0;
}

/* The cards on berth networks (--net bridge=NETWORK): an address from each network's leases,
 * held under the id vm-PID-CARD while this process lives. A name that is no berth network is
 * a Linux bridge (net_tap.c). *leased: how many cards hold a lease (released by
 * vm_release_leases()). */
static int vm_lease_addresses(struct engine *e, const char *root, struct vm_config *cfg,
                              bool *opened, bool leased[VM_MAX_NETS])
{
	berth_error_t err = NULL;

	for (unsigned i = 0; i < cfg->nnets; i++) {
		struct vm_net *n = &cfg->nets[i];
		struct network_vm_addr a;
		char id[64];
		int r;

		if (n->kind != VM_NET_BRIDGE || n->bridge == NULL)
			continue;
		if (!*opened) {
			if (engine_open(e, root, &err) < 0) {
				fprintf(stderr, PROG ": --net bridge=%s: %s\n", n->bridge,
				        err->msg);
				berth_error_release(&err);
				engine_close(e);
				return -1;
			}
			*opened = true;
		}
		snprintf(id, sizeof(id), "vm-%d-%u", (int)getpid(), i);
		r = network_vm_lease(e, n->bridge, id, &a, &err);
		if (r < 0) {
			fprintf(stderr, PROG ": --net bridge=%s: %s\n", n->bridge, err->msg);
			berth_error_release(&err);
			return -1;
		}
		if (r == 0)
			continue;
		leased[i] = true;
		free(n->bridge);
		n->bridge = strdup(a.bridge);
		if (n->bridge == NULL) {
			fprintf(stderr, PROG ": --net: out of memory\n");
			return -1;
		}
		n->ip = a.ip;
		n->gateway = a.gateway;
		n->prefix = a.prefix;
	}
	return 0;
}

static void vm_release_leases(struct engine *e, bool leased[VM_MAX_NETS])
{
	for (unsigned i = 0; i < VM_MAX_NETS; i++) {
		char id[64];
		if (!leased[i])
			continue;
		snprintf(id, sizeof(id), "vm-%d-%u", (int)getpid(), i);
		network_vm_release(e, id);
	}
}

/* The `vm run` options a managed VM is started with: argv[1..] less -d and --name (every
 * long option but the flags takes a value, which is kept with it). */
static char **vm_managed_args(int argc, char **argv, size_t *n)
{
	static const char *const flags[] = {"--no-reboot", "--boot-time", "--stats", "--detach",
	                                    "-d"};
	char **out = xmalloc0(((size_t)argc + 1) * sizeof(char *));

	*n = 0;
	for (int i = 1; i < argc; i++) {
		bool flag = strncmp(argv[i], "--", 2) != 0 || strchr(argv[i], '=') != NULL;
		for (size_t k = 0; k < sizeof(flags) / sizeof(flags[0]); k++)
			flag = flag || strcmp(argv[i], flags[k]) == 0;
		if (strcmp(argv[i], "-d") == 0 || strcmp(argv[i], "--detach") == 0 ||
		    strncmp(argv[i], "--name=", 7) == 0)
			continue;
		if (strcmp(argv[i], "--name") == 0) {
			i++;
			continue;
		}
		out[(*n)++] = argv[i];
		if (!flag && i + 1 < argc)
			out[(*n)++] = argv[++i];
	}
	return out;
}

/* create: record a managed VM (never started here) */
static int vm_cmd_run(const char *root, int argc, char **argv, bool create)
{
	enum {
		OPT_KERNEL = 256,
		OPT_INITRD,
		OPT_APPEND,
		OPT_DISK,
		OPT_NET,
		OPT_MEM,
		OPT_CPUS,
		OPT_NO_REBOOT,
		OPT_BOOT_TIME,
		OPT_STATS,
		OPT_SHARE,
		OPT_CONSOLE,
		OPT_SERIAL,
		OPT_ACCEL,
		OPT_NAME,
		OPT_MANAGED,
		OPT_READY_FD,
	};
	static const struct option opts[] = {
	    {"kernel", required_argument, NULL, OPT_KERNEL},
	    {"initrd", required_argument, NULL, OPT_INITRD},
	    {"append", required_argument, NULL, OPT_APPEND},
	    {"disk", required_argument, NULL, OPT_DISK},
	    {"net", required_argument, NULL, OPT_NET},
	    {"mem", required_argument, NULL, OPT_MEM},
	    {"share", required_argument, NULL, OPT_SHARE},
	    {"console", required_argument, NULL, OPT_CONSOLE},
	    {"serial", required_argument, NULL, OPT_SERIAL},
	    {"cpus", required_argument, NULL, OPT_CPUS},
	    {"no-reboot", no_argument, NULL, OPT_NO_REBOOT},
	    {"boot-time", no_argument, NULL, OPT_BOOT_TIME},
	    {"stats", no_argument, NULL, OPT_STATS},
	    {"detach", no_argument, NULL, 'd'},
	    {"name", required_argument, NULL, OPT_NAME},
	    {"managed", required_argument, NULL, OPT_MANAGED},
	    {"ready-fd", required_argument, NULL, OPT_READY_FD},
	    {"accel", required_argument, NULL, OPT_ACCEL},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *name = NULL, *managed = NULL, *console_opt = NULL;
	bool detach = false;
	int ready_fd = -1;
	struct vm_config cfg = {
	    .mem = VM_DEFAULT_MEM, .cpus = 1, .in_fd = 0, .out_fd = 1, .jit = vm_jit_available()};
	struct engine eng = {.lock_fd = -1};
	bool eng_open = false, leased[VM_MAX_NETS] = {false};
	berth_error_t err = NULL;
	int c, status = VM_EXIT_BERTH;
	char *end;
	unsigned long n;

	optind = 1;
	while ((c = cli_getopt(argc, argv, "hd", opts, vm_usage_text, &err)) != -1) {
		switch (c) {
		case 'd':
			detach = true;
			break;
		case OPT_NAME:
			name = optarg;
			break;
		case OPT_MANAGED:
			managed = optarg;
			break;
		case OPT_READY_FD:
			ready_fd = atoi(optarg);
			break;
		case OPT_KERNEL:
			cfg.kernel = optarg;
			break;
		case OPT_INITRD:
			cfg.initrd = optarg;
			break;
		case OPT_APPEND:
			cfg.append = optarg;
			break;
		case OPT_DISK:
			if (vm_add_disk(&cfg, optarg) < 0)
				goto out;
			break;
		case OPT_NET:
			if (vm_add_net(&cfg, optarg) < 0)
				goto out;
			break;
		case OPT_SHARE:
			if (vm_add_share(&cfg, optarg) < 0)
				goto out;
			break;
		case OPT_SERIAL:
			if (vm_add_serial(&cfg, optarg) < 0)
				goto out;
			break;
		case OPT_CONSOLE:
			console_opt = optarg;
			if (strcmp(optarg, "none") == 0) {
				cfg.in_fd = cfg.out_fd = -1;
				cfg.console_socket = NULL;
			} else if (strcmp(optarg, "stdio") == 0) {
				cfg.in_fd = 0;
				cfg.out_fd = 1;
				cfg.console_socket = NULL;
			} else if (strncmp(optarg, "socket:", 7) == 0 && optarg[7] != '\0') {
				cfg.console_socket = optarg + 7;
			} else {
				vm_fail(
				    "--console: expected none, stdio or socket:PATH, got \"%s\"",
				    optarg);
				goto out;
			}
			break;
		case OPT_MEM:
			if (vm_parse_size(optarg, &cfg.mem) < 0) {
				vm_fail("--mem: expected a size like 256M, got \"%s\"", optarg);
				goto out;
			}
			if (cfg.mem < VM_MIN_MEM || cfg.mem > VM_MAX_MEM) {
				vm_fail("--mem: expected 16M to 64G, got \"%s\"", optarg);
				goto out;
			}
			break;
		case OPT_CPUS:
			errno = 0;
			n = strtoul(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end != '\0' || errno != 0 || n < 1 ||
			    n > VM_MAX_CPUS) {
				vm_fail("--cpus: expected 1 to %d, got \"%s\"", VM_MAX_CPUS,
				        optarg);
				goto out;
			}
			cfg.cpus = (unsigned)n;
			break;
		case OPT_NO_REBOOT:
			cfg.no_reboot = true;
			break;
		case OPT_BOOT_TIME:
			cfg.boot_time = true;
			break;
		case OPT_STATS:
			cfg.stats = true;
			break;
		case OPT_ACCEL:
			if (strcmp(optarg, "jit") == 0 && vm_jit_available()) {
				cfg.jit = true;
			} else if (strcmp(optarg, "interp") == 0) {
				cfg.jit = false;
			} else {
				vm_fail("--accel: expected %s, got \"%s\"",
				        vm_jit_available() ? "jit or interp"
				                           : "interp (no translator for this host)",
				        optarg);
				goto out;
			}
			break;
		case CLI_HELP:
			status = 0;
			goto out;
		default: /* CLI_FAIL */
			fprintf(stderr, PROG " run: %s\n", err->msg);
			berth_error_release(&err);
			goto out;
		}
	}
	if (optind < argc) {
		vm_fail("run: unexpected argument \"%s\" (see berth vm --help)", argv[optind]);
		goto out;
	}
	if (cfg.kernel == NULL) {
		fprintf(stderr, PROG " run: --kernel is required (see berth vm --help)\n");
		goto out;
	}
	if ((create || detach || managed != NULL) && console_opt != NULL) {
		vm_fail("--console: a managed VM's console is its own socket (berth vm console), "
		        "got \"%s\" with %s",
		        console_opt, create ? "create" : "-d");
		goto out;
	}
	if (create || detach) {
		size_t nargs;
		cleanup_free char **args = vm_managed_args(argc, argv, &nargs);
		status = vmm_cli_detach(root, name, args, nargs, !create);
		goto out;
	}
	if (managed != NULL) {
		/* the VM process of a managed VM (engine/vmm.h): its options are relative to
		 * where it was created */
		eng_open = true; /* engine_close() also after a failed engine_open() */
		if (engine_open(&eng, root, &err) < 0 || vmm_enter_cwd(&eng, managed, &err) < 0) {
			fprintf(stderr, PROG ": %s\n", err->msg);
			berth_error_release(&err);
			goto out;
		}
	}
	if (vm_lease_addresses(&eng, root, &cfg, &eng_open, leased) < 0)
		goto out;
	fflush(stdout);
	if (managed != NULL)
		status = vmm_serve(&eng, managed, &cfg, ready_fd, &err);
	else
		status = vm_run(&cfg, &err);
	if (status < 0) {
		fprintf(stderr, PROG ": %s\n", err != NULL ? err->msg : "unknown error");
		berth_error_release(&err);
		status = VM_EXIT_BERTH;
	}
out:
	if (eng_open) {
		vm_release_leases(&eng, leased);
		engine_close(&eng);
	}
	for (unsigned i = 0; i < cfg.ndisks; i++)
		free((char *)cfg.disks[i].path);
	for (unsigned i = 0; i < cfg.nnets; i++)
		vm_net_free(&cfg.nets[i]);
	for (unsigned i = 0; i < cfg.nshares; i++)
		free((char *)cfg.shares[i].dir);
	for (unsigned i = 0; i < cfg.nserials; i++)
		free((char *)cfg.serials[i].name);
	return status;
}

int cmd_vm(const char *root, int argc, char **argv)
{
	if (argc < 2) {
		fputs(PROG ": expected a command: run (see berth vm --help)\n", stderr);
		return VM_EXIT_BERTH;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		vm_usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "run") == 0 || strcmp(argv[1], "create") == 0)
		return vm_cmd_run(root, argc - 1, argv + 1, strcmp(argv[1], "create") == 0);
	if (vmm_cli_has(argv[1]))
		return vmm_cli(root, argc - 1, argv + 1);
	return vm_fail("unknown command \"%s\" (see berth vm --help)", argv[1]);
}
