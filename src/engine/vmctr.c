/* SPDX-License-Identifier: MIT */
/* VM-backed containers (`berth run --vm`): the container's root filesystem, made by the engine
 * as for any container (the overlay of container.c), is the root of a `berth vm` guest, shared
 * over virtio-9p; the guest's init is berth's agent (guest/agent.c, built by
 * guest/build-agent.sh). The monitor (monitor.c) runs `berth vm run` in place of the
 * container's init:
 *   containers/ID/vm/         the share `berthcfg`: config (the process of the container's
 *                             config.json as NUL-terminated records, agent.c says which), and
 *                             status (the command's exit status, written by the agent)
 *   containers/ID/vm.err      what `berth vm run` printed (its errors)
 *   /run/berth-vm/ID24/       the virtio-console ports' sockets: stdout, stderr (the monitor
 *                             reads them into the log) and ctl ("kill N\n" lines for the
 *                             agent; berth kill and stop write them)
 * Everything the guest sends back (the ports, the status file) is hostile: read with bounds. */
#include "image_priv.h"
#include "firewall.h"
#include "regref.h"
#include "terminal.h"
#include "rootless.h"
#include "util.h"

#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest_keys.h"

#ifndef BERTH_GUEST_CACHE_DIR
#define BERTH_GUEST_CACHE_DIR "/var/cache/berth/guest"
#endif
#define VMCTR_RUN_DIR     "/run/berth-vm"
#define VMCTR_MIN_MEM     (64ll << 20)
#define VMCTR_DEFAULT_MEM (256ll << 20)
#define VMCTR_MAX_CPUS    8
#define VMCTR_MAX_VOLUMES 4 /* berth vm takes 6 disks and shares: root, config and these */

static const char *vmctr_cache(void)
{
	const char *c = getenv("BERTH_GUEST_CACHE");
	return c && c[0] ? c : BERTH_GUEST_CACHE_DIR;
}

/* DIR/NAME when it is a non-empty regular file (links followed), else NULL. */
static char *vmctr_cached(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);
	struct stat st;

	if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
		return path;
	free(path);
	return NULL;
}

/* The guest kernel and the agent's initramfs this tree's guest scripts build (their names
 * carry the hash of their sources, guest_keys.h), or one line saying how to build them. */
int vmctr_guest_files(char **kernel, char **initrd, berth_error_t *err)
{
	const char *cache = vmctr_cache();

	*kernel = vmctr_cached(cache, BERTH_GUEST_KERNEL);
	*initrd = vmctr_cached(cache, BERTH_GUEST_AGENT);
	if (*kernel && *initrd)
		return 0;
	free(*kernel);
	free(*initrd);
	*kernel = *initrd = NULL;
	return berth_error(err, 0,
	                   "--vm: no guest kernel %s and agent %s in `%s` (build them with "
	                   "guest/build-kernel.sh and guest/build-agent.sh)",
	                   BERTH_GUEST_KERNEL, BERTH_GUEST_AGENT, cache);
}

/* -p [IP:]HOSTPORT:CTRPORT[/tcp|/udp] as slirp's hostfwd=PROTO:IP:HOSTPORT-:CTRPORT (into
 * out, a JSON array, when not NULL), and as a container's published ports are recorded (into
 * ports when not NULL: proto, host_ip, host_port, ctr_port, as netattach.c's): an IPv4 (or
 * no) host address, one host port given. */
static int vmctr_hostfwd(char **publish, size_t n_publish, json_t *out, json_t *ports,
                         berth_error_t *err)
{
	for (size_t i = 0; i < n_publish; i++) {
		struct fw_port *p = NULL;
		size_t n = 0;
		if (port_parse(publish[i], &p, &n, err) < 0)
			return -1;
		for (size_t k = 0; k < n; k++) {
			if (p[k].host_port == 0 || p[k].host_port_end != 0 ||
			    p[k].family == AF_INET6) {
				free(p);
				return berth_error(
				    err, 0,
				    "bad -p `%s`: with --vm a host port and an IPv4 (or "
				    "no) host address are needed, "
				    "[IP:]HOSTPORT:CTRPORT[/tcp|/udp]",
				    publish[i]);
			}
			if (out)
				json_array_append_new(
				    out, json_sprintf("%s:%s:%u-:%u",
				                      p[k].proto == IPPROTO_UDP ? "udp" : "tcp",
				                      p[k].host_ip, p[k].host_port, p[k].ctr_port));
			if (ports)
				json_array_append_new(
				    ports,
				    json_pack("{s:s,s:s,s:i,s:i}", "proto",
				              p[k].proto == IPPROTO_UDP ? "udp" : "tcp", "host_ip",
				              p[k].host_ip[0] ? p[k].host_ip : "0.0.0.0",
				              "host_port", (int)p[k].host_port, "ctr_port",
				              (int)p[k].ctr_port));
		}
		free(p);
	}
	return 0;
}

int vmctr_check(const struct run_opts *o, berth_error_t *err)
{
	char *k = NULL, *i = NULL;

	if (o->cpus && (o->cpus != (double)(int)o->cpus || o->cpus < 1 || o->cpus > VMCTR_MAX_CPUS))
		return berth_error(err, 0,
		                   "bad --cpus `%g`: with --vm it is the guest's harts, a whole "
		                   "number from 1 to %d",
		                   o->cpus, VMCTR_MAX_CPUS);
	if (o->memory && o->memory < VMCTR_MIN_MEM)
		return berth_error(err, 0,
		                   "bad --memory %lld: with --vm it is the guest's RAM, at least "
		                   "64M (the kernel and the agent need it)",
		                   (long long)o->memory);
	if (o->memory > (64ll << 30))
		return berth_error(err, 0, "bad --memory %lld: with --vm at most 64G",
		                   (long long)o->memory);
	if (o->platform) {
		struct platform p;
		if (platform_parse(o->platform, &p, err) < 0)
			return -1;
		if (strcmp(p.os, "linux") != 0 || strcmp(p.arch, "riscv64") != 0 || p.variant[0])
			return berth_error(err, 0,
			                   "bad --platform `%s` with --vm: the guest is a riscv64 "
			                   "machine, it runs the image's linux/riscv64 variant",
			                   o->platform);
	}
	if (o->network && strcmp(o->network, "none") != 0)
		return berth_error(err, 0,
		                   "--vm: --network %s is not supported (the guest has no network "
		                   "yet; only --network none)",
		                   o->network);
	if (o->n_more_networks || o->publish_all)
		return berth_error(err, 0, "--vm: -P and more networks are not supported yet");
	if (vmctr_hostfwd(o->publish, o->n_publish, NULL, NULL, err) < 0)
		return -1;
	if (o->restart)
		return berth_error(err, 0, "--vm: --restart is not supported yet");
	if (o->n_mounts || o->n_tmpfs || o->n_volumes_from)
		return berth_error(
		    err, 0,
		    "--vm: --mount, --tmpfs and --volumes-from are not supported yet "
		    "(-v HOSTDIR:CTRDIR is)");
	if (o->n_volumes > VMCTR_MAX_VOLUMES)
		return berth_error(err, 0, "--vm: at most %d -v volumes (got %zu)",
		                   VMCTR_MAX_VOLUMES, o->n_volumes);
	for (size_t n = 0; n < o->n_volumes; n++)
		if (o->volumes[n][0] != '/')
			return berth_error(
			    err, 0,
			    "bad -v `%s`: with --vm only HOSTDIR:CTRDIR[:ro] (a host "
			    "directory) is supported yet",
			    o->volumes[n]);
	if (o->health.cmd)
		return berth_error(err, 0, "--vm: --health-cmd is not supported yet");
	if (vmctr_guest_files(&k, &i, err) < 0)
		return -1;
	free(k);
	free(i);
	return 0;
}

void vmctr_record(json_t *rec, const struct run_opts *o)
{
	json_t *fwd = json_array(), *ports = json_array();
	berth_error_t e2 = NULL;

	/* checked by vmctr_check */
	if (vmctr_hostfwd(o->vm_publish, o->n_vm_publish, fwd, ports, &e2) < 0)
		berth_error_release(&e2);
	json_object_set_new(rec, "vm",
	                    json_pack("{s:i,s:I,s:o,s:o}", "cpus", o->cpus ? (int)o->cpus : 1,
	                              "memory",
	                              (json_int_t)(o->memory ? o->memory : VMCTR_DEFAULT_MEM),
	                              "hostfwd", fwd, "ports", ports));
}

json_t *vmctr_network_settings(struct engine *e, const char *id)
{
	berth_error_t e2 = NULL;
	json_t *rec, *ports;

	if (ctr_load(e, id, &rec, &e2) < 0) {
		berth_error_release(&e2);
		return json_pack("{s:[]}", "ports");
	}
	ports = json_object_get(json_object_get(rec, "vm"), "ports");
	ports = json_is_array(ports) ? json_deep_copy(ports) : json_array();
	json_decref(rec);
	return json_pack("{s:o}", "ports", ports);
}

bool vmctr_is(json_t *rec)
{
	return json_is_object(json_object_get(rec, "vm"));
}

/* where the sockets of VMs' consoles are: /run/berth-vm, or for an ordinary user vm/ in its
 * state directory ($XDG_RUNTIME_DIR/berth/vm: /run is root's) */
static char *vmctr_run_base(void)
{
	cleanup_free char *run = NULL;

	if (!rootless_active())
		return xstrdup(VMCTR_RUN_DIR);
	run = rootless_run_dir();
	return xasprintf("%s/vm", run);
}

static char *vmctr_run_dir(const char *id)
{
	cleanup_free char *base = vmctr_run_base();

	return xasprintf("%s/%.24s", base, id);
}

static void vmctr_rec(FILE *f, char kind, const char *v)
{
	fputc(kind, f);
	fputs(v, f);
	fputc('\0', f);
}

/* containers/ID/vm/config from config.json's process (and hostname) and the -v volumes; the
 * shares' --share arguments into argv. */
static int vmctr_config(const char *dir, json_t *rec, bool input, char ***argv, size_t *argc,
                        berth_error_t *err)
{
	cleanup_free char *cfg = xasprintf("%s/config.json", dir);
	cleanup_free char *out = xasprintf("%s/vm/config", dir);
	cleanup_free char *text = NULL;
	json_error_t je;
	json_t *spec = json_load_file(cfg, 0, &je), *proc, *user, *v, *mounts;
	size_t i, len = 0, nvol = 0;
	FILE *f;
	int r;

	if (spec == NULL)
		return berth_error(err, 0, "`%s`: %s", cfg, je.text);
	f = open_memstream(&text, &len);
	if (f == NULL)
		abort();
	proc = json_object_get(spec, "process");
	json_array_foreach(json_object_get(proc, "args"), i, v)
	    vmctr_rec(f, 'a', json_string_value(v) ?: "");
	json_array_foreach(json_object_get(proc, "env"), i, v)
	    vmctr_rec(f, 'e', json_string_value(v) ?: "");
	if (json_string_value(json_object_get(proc, "cwd")))
		vmctr_rec(f, 'w', json_string_value(json_object_get(proc, "cwd")));
	if (json_string_value(json_object_get(spec, "hostname")))
		vmctr_rec(f, 'h', json_string_value(json_object_get(spec, "hostname")));
	if (json_is_true(json_object_get(rec, "tty"))) {
		struct winsize ws;
		vmctr_rec(f, 't', "");
		/* attached, the monitor's stdin is the user's terminal: its size */
		if (isatty(STDIN_FILENO) && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 &&
		    ws.ws_row && ws.ws_col)
			fprintf(f, "W%u %u%c", ws.ws_row, ws.ws_col, 0);
	}
	if (input) /* -i without -t: its stdin comes on the stdout port (vmctr_feed) */
		vmctr_rec(f, 'i', "");
	if (json_is_string(json_object_get(rec, "system"))) /* a system VM (systemd.c) */
		vmctr_rec(f, 's', "");
	if (json_array_size(json_object_get(json_object_get(rec, "vm"), "hostfwd")) > 0)
		vmctr_rec(f, 'n', "10.0.2.15,255.255.255.0,10.0.2.2");
	user = json_object_get(proc, "user");
	fprintf(f, "u%lld%cg%lld%c", (long long)json_integer_value(json_object_get(user, "uid")), 0,
	        (long long)json_integer_value(json_object_get(user, "gid")), 0);
	json_array_foreach(json_object_get(user, "additionalGids"), i, v)
	    fprintf(f, "G%lld%c", (long long)json_integer_value(v), 0);
	/* the -v volumes: the record's mounts of type bind (checked by vmctr_check: host
	 * directories), each an extra share */
	mounts = json_object_get(rec, "mounts");
	json_array_foreach(mounts, i, v)
	{
		const char *src = json_string_value(json_object_get(v, "Source"));
		const char *dst = json_string_value(json_object_get(v, "Destination"));
		bool rw =
		    json_object_get(v, "RW") == NULL || json_is_true(json_object_get(v, "RW"));
		char tag[16];
		if (src == NULL || dst == NULL)
			continue;
		snprintf(tag, sizeof(tag), "berthv%zu", nvol++);
		fprintf(f, "%c%s=%s%c", rw ? 'm' : 'M', tag, dst, 0);
		*argv = xrealloc(*argv, (*argc + 3) * sizeof(char *)); /* and the NULL */
		(*argv)[(*argc)++] = xstrdup("--share");
		(*argv)[(*argc)++] = xasprintf("%s:%s%s", src, tag, rw ? "" : ",ro");
	}
	fclose(f);
	json_decref(spec);
	r = util_write_file_atomic(out, text, len, 0600, err);
	return r;
}

/* Connect to the unix socket path; -1 (errno) when it cannot. */
static int vmctr_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static void vmctr_free_argv(char **argv, size_t argc)
{
	for (size_t i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
}

/* -i without -t: the monitor's child that sends what comes on `in` to the guest, as "i 0
 * LEN\n" frames on the stdout port's connection (whose other way the monitor reads), and "i 0
 * 0\n" at its end; killed by vmctr_cleanup (or with the monitor). */
static int vmctr_feed_pidfd = -1;
static pid_t vmctr_feed_pid;

static int vmctr_feed(int in, int sock, const char *status, berth_error_t *err)
{
	pid_t p = fork();

	if (p < 0)
		return berth_error(err, errno, "fork");
	if (p == 0) {
		char buf[48 + 4096], head[48];
		int a = fcntl(in, F_DUPFD, 3), b = fcntl(sock, F_DUPFD, 3);
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		/* only these two: not the monitor's others (run -d's notify pipe, its stdout) */
		if (a < 0 || b < 0 || dup2(a, 0) < 0 || dup2(b, 1) < 0)
			_exit(0);
		close_range(2, ~0u, 0);
		in = 0;
		sock = 1;
		/* the guest's kernel drops what comes on a port no one has opened: the agent makes
		 * its status file once it has opened its ports */
		while (access(status, F_OK) < 0)
			usleep(10000);
		for (;;) {
			ssize_t n = read(in, buf + 48, 4096);
			size_t k, off;
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				n = 0;
			k = (size_t)snprintf(head, sizeof(head), "i 0 %zd\n", n);
			memcpy(buf + 48 - k, head, k);
			/* the socket is non-blocking (the monitor's flags): wait for room */
			for (off = 48 - k; off < 48 + (size_t)n;) {
				struct pollfd pw = {.fd = sock, .events = POLLOUT};
				ssize_t w =
				    send(sock, buf + off, 48 + (size_t)n - off, MSG_NOSIGNAL);
				if (w > 0)
					off += (size_t)w;
				else if (w < 0 && (errno == EAGAIN || errno == EINTR))
					poll(&pw, 1, -1);
				else
					_exit(0);
			}
			if (n == 0)
				_exit(0);
		}
	}
	vmctr_feed_pid = p;
	vmctr_feed_pidfd = (int)syscall(SYS_pidfd_open, p, 0);
	return 0;
}

int vmctr_start(struct engine *e, const char *id, int in, pid_t *pid, int *out, int *errfd,
                berth_error_t *err)
{
	cleanup_free char *dir = engine_path(e, "containers/%s", id);
	cleanup_free char *vmdir = xasprintf("%s/vm", dir);
	cleanup_free char *errlog = xasprintf("%s/vm.err", dir);
	cleanup_free char *status = xasprintf("%s/vm/status", dir);
	cleanup_free char *run = vmctr_run_dir(id), *base = vmctr_run_base();
	cleanup_free char *kernel = NULL, *initrd = NULL;
	char **argv = NULL;
	size_t argc = 0;
	json_t *rec, *vm;
	pid_t child;
	int r = -1;

	*pid = 0;
	*out = *errfd = -1;
	if (vmctr_guest_files(&kernel, &initrd, err) < 0)
		return -1;
	if (ctr_load(e, id, &rec, err) < 0)
		return -1;
	vm = json_object_get(rec, "vm");
	{
		berth_error_t e2 = NULL;
		util_rm_rf(run, &e2); /* what a monitor killed with -9 left */
		berth_error_release(&e2);
	}
	if ((mkdir(base, 0700) < 0 && errno != EEXIST) || mkdir(run, 0700) < 0 ||
	    (mkdir(vmdir, 0700) < 0 && errno != EEXIST)) {
		berth_error(err, errno, "mkdir `%s`", run);
		goto out;
	}
	unlink(status);
#define ARG(...)                                                                                   \
	do {                                                                                       \
		argv = xrealloc(argv, (argc + 2) * sizeof(char *));                                \
		argv[argc++] = xasprintf(__VA_ARGS__);                                             \
	} while (0)
	ARG("berth");
	ARG("vm");
	ARG("run");
	ARG("--kernel");
	ARG("%s", kernel);
	ARG("--initrd");
	ARG("%s", initrd);
	ARG("--mem");
	ARG("%lld", (long long)json_integer_value(json_object_get(vm, "memory")));
	ARG("--cpus");
	ARG("%lld", (long long)json_integer_value(json_object_get(vm, "cpus")));
	ARG("--console");
	ARG("none");
	ARG("--no-reboot");
	ARG("--append");
	/* a system VM's init is pid 1: should it end, the kernel panics, and then reboots at
	 * once, which --no-reboot makes the machine's end */
	ARG("%s", json_is_string(json_object_get(rec, "system")) ? "quiet panic=-1" : "quiet");
	ARG("--share");
	ARG("%s/rootfs:berthroot", dir);
	ARG("--share");
	ARG("%s:berthcfg", vmdir);
	ARG("--serial");
	ARG("berth.stdout=socket:%s/stdout", run);
	ARG("--serial");
	ARG("berth.stderr=socket:%s/stderr", run);
	ARG("--serial");
	ARG("berth.ctl=socket:%s/ctl", run);
	/* -p: user-mode networking with its forwards; the agent gives the guest slirp's
	 * address (10.0.2.15/24 through 10.0.2.2) */
	if (json_array_size(json_object_get(vm, "hostfwd")) > 0) {
		json_t *f;
		size_t i;
		char *net = xstrdup("user");
		json_array_foreach(json_object_get(vm, "hostfwd"), i, f)
		{
			char *t = xasprintf("%s,hostfwd=%s", net, json_string_value(f) ?: "");
			free(net);
			net = t;
		}
		ARG("--net");
		ARG("%s", net);
		free(net);
	}
	if (vmctr_config(dir, rec, in >= 0 && !json_is_true(json_object_get(rec, "tty")), &argv,
	                 &argc, err) < 0)
		goto out;
	argv[argc] = NULL;
#undef ARG
	/* the monitor has one thread here (monitor.c) */
	child = fork();
	if (child < 0) {
		berth_error(err, errno, "fork");
		goto out;
	}
	if (child == 0) {
		int null = open("/dev/null", O_RDWR);
		int log = open(errlog, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		sigset_t none;
		/* the VM ends with its monitor, however that ends */
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (null < 0 || log < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
		    dup2(log, 2) < 0)
			_exit(125);
		execv("/proc/self/exe", argv);
		_exit(125);
	}
	*pid = child;
	/* its ports' sockets exist once it has checked its arguments: connect to stdout and
	 * stderr (what the guest writes before is kept for us, 16 KiB) */
	for (int tries = 0; tries < 60000 && (*out < 0 || *errfd < 0); tries++) {
		cleanup_free char *po = xasprintf("%s/stdout", run);
		cleanup_free char *pe = xasprintf("%s/stderr", run);
		int ws;
		if (*out < 0)
			*out = vmctr_connect(po);
		if (*errfd < 0 && *out >= 0)
			*errfd = vmctr_connect(pe);
		if (*out >= 0 && *errfd >= 0)
			break;
		if (waitpid(child, &ws, WNOHANG) == child) {
			*pid = 0;
			break;
		}
		usleep(1000);
	}
	if (*out < 0 || *errfd < 0) {
		cleanup_free char *msg = NULL;
		berth_error_t e2 = NULL;
		size_t n = 0;
		if (util_read_file(errlog, &msg, &n, &e2) == 0 && n > 0)
			msg[strcspn(msg, "\n")] = '\0';
		berth_error_release(&e2);
		berth_error(err, 0, "--vm: the virtual machine did not start%s%s",
		            msg && msg[0] ? ": " : "", msg ? msg : "");
		if (*pid > 0) {
			kill(*pid, SIGKILL);
			waitpid(*pid, NULL, 0);
			*pid = 0;
		}
		util_closep(out);
		util_closep(errfd);
		goto out;
	}
	fcntl(*out, F_SETFL, O_NONBLOCK);
	fcntl(*errfd, F_SETFL, O_NONBLOCK);
	if (in >= 0 && !json_is_true(json_object_get(rec, "tty")) &&
	    vmctr_feed(in, *out, status, err) < 0) {
		kill(*pid, SIGKILL);
		waitpid(*pid, NULL, 0);
		*pid = 0;
		util_closep(out);
		util_closep(errfd);
		goto out;
	}
	r = 0;
out:
	vmctr_free_argv(argv, argc);
	json_decref(rec);
	return r;
}

int vmctr_exit_status(struct engine *e, const char *id, int vm_status)
{
	cleanup_free char *status = engine_path(e, "containers/%s/vm/status", id);
	char buf[16];
	ssize_t n;
	int fd, st = -1;

	/* the VM powered off (0): the agent's status; else the VM's (killed: 128+N) */
	if (vm_status != 0)
		return vm_status;
	fd = open(status, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return 125;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n > 0) {
		char *end;
		long v;
		buf[n] = '\0';
		v = strtol(buf, &end, 10);
		if (end != buf && (*end == '\n' || *end == '\0') && v >= 0 && v <= 255)
			st = (int)v;
	}
	return st < 0 ? 125 : st;
}

void vmctr_cleanup(struct engine *e, const char *id)
{
	cleanup_free char *run = vmctr_run_dir(id);
	cleanup_free char *vmdir = engine_path(e, "containers/%s/vm", id);
	berth_error_t e2 = NULL;

	/* the input's feeder (in the monitor; perhaps reaped already by its supervise loop:
	 * hence the pidfd) */
	if (vmctr_feed_pidfd >= 0) {
		syscall(SYS_pidfd_send_signal, vmctr_feed_pidfd, SIGKILL, NULL, 0);
		waitpid(vmctr_feed_pid, NULL, 0);
		close(vmctr_feed_pidfd);
		vmctr_feed_pidfd = -1;
	}

	util_rm_rf(run, &e2);
	berth_error_release(&e2);
	util_rm_rf(vmdir, &e2);
	berth_error_release(&e2);
}

int vmctr_signal(struct engine *e, const char *id, int sig, berth_error_t *err)
{
	cleanup_free char *run = vmctr_run_dir(id);
	cleanup_free char *ctl = xasprintf("%s/ctl", run);
	char line[32];
	json_t *rec;
	pid_t pid;
	int fd, n;

	if (ctr_load(e, id, &rec, err) < 0)
		return -1;
	pid = (pid_t)json_integer_value(json_object_get(rec, "pid"));
	json_decref(rec);
	/* SIGKILL: a hard power-off (the VM process, the monitor's child) */
	if (sig == SIGKILL) {
		if (pid <= 0 || kill(pid, SIGKILL) < 0)
			return berth_error(err, 0, "container %.12s is not running", id);
		return 0;
	}
	fd = vmctr_connect(ctl);
	if (fd < 0)
		return berth_error(err, errno, "container %.12s: its VM's control socket", id);
	n = snprintf(line, sizeof(line), "kill %d\n", sig);
	if (util_write_all(fd, line, (size_t)n) < 0) {
		close(fd);
		return berth_error(err, errno, "container %.12s: its VM's control socket", id);
	}
	close(fd);
	return 0;
}

/* A frame of the agent's answer: "K ID ARG\n" (at most 63 bytes). Reads byte by byte (the
 * answer is small next to what an emulated guest takes to make it). 0 at EOF, -1 on an
 * error or a malformed header. */
static int vmctr_frame_head(int fd, char *kind, char id[17], unsigned long *arg)
{
	char line[64], *end, *sp;
	size_t n = 0;

	for (;;) {
		ssize_t r = read(fd, line + n, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return n == 0 && r == 0 ? 0 : -1;
		if (line[n] == '\n')
			break;
		if (++n >= sizeof(line) - 1)
			return -1;
	}
	line[n] = '\0';
	if (n < 5 || line[0] == '\0' || strchr("oex", line[0]) == NULL || line[1] != ' ')
		return -1;
	*kind = line[0];
	sp = strchr(line + 2, ' ');
	if (sp == NULL || sp == line + 2 || sp - (line + 2) > 16 || !isdigit((unsigned char)sp[1]))
		return -1;
	memcpy(id, line + 2, (size_t)(sp - (line + 2)));
	id[sp - (line + 2)] = '\0';
	errno = 0;
	*arg = strtoul(sp + 1, &end, 10);
	if (errno || *end != '\0')
		return -1;
	return 1;
}

/* One frame of the agent's answer to exec xid, read whole (blocking): its data to our stdout
 * or stderr; 1 and *status at its "x" frame, 0 for another frame, -1 (err) when the answer is
 * malformed or the VM ended. */
static int vmctr_exec_frame(int fd, const char *id, const char *xid, int *status,
                            berth_error_t *err)
{
	char kind, fid[17], buf[4096];
	unsigned long arg;
	int h = vmctr_frame_head(fd, &kind, fid, &arg);

	if (h <= 0)
		return berth_error(err, 0,
		                   h == 0
		                       ? "container %.12s: the VM ended before the exec did"
		                       : "container %.12s: a malformed answer from the guest agent",
		                   id);
	if (kind == 'x') {
		if (strcmp(fid, xid) != 0)
			return 0;
		if (arg > 255)
			return berth_error(
			    err, 0, "container %.12s: a malformed answer from the guest agent", id);
		*status = (int)arg;
		return 1;
	}
	if (arg > 65536)
		return berth_error(err, 0,
		                   "container %.12s: a malformed answer from the guest agent", id);
	while (arg > 0) {
		ssize_t n = read(fd, buf, arg < sizeof(buf) ? arg : sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return berth_error(err, 0,
			                   "container %.12s: the VM ended before the exec did", id);
		if (strcmp(fid, xid) == 0)
			util_write_all(kind == 'o' ? STDOUT_FILENO : STDERR_FILENO, buf, (size_t)n);
		arg -= (unsigned long)n;
	}
	return 0;
}

/* The exec's process as records (agent.c): CMD, the container's environment with -e over it,
 * -w or its working directory, its user; with -t a terminal (of our terminal's size), with -i
 * an input. */
static void vmctr_exec_records(FILE *f, json_t *proc, const struct ctr_exec_opts *o)
{
	json_t *user, *v;
	size_t i;

	for (i = 0; i < o->n_args; i++)
		vmctr_rec(f, 'a', o->args[i]);
	json_array_foreach(json_object_get(proc, "env"), i, v)
	{
		const char *kv = json_string_value(v) ?: "";
		size_t kl = strcspn(kv, "=");
		bool over = false;
		for (size_t k = 0; k < o->n_env; k++)
			if (strncmp(o->env[k], kv, kl) == 0 && o->env[k][kl] == '=')
				over = true;
		if (!over)
			vmctr_rec(f, 'e', kv);
	}
	for (i = 0; i < o->n_env; i++)
		vmctr_rec(f, 'e', o->env[i]);
	if (o->workdir || json_string_value(json_object_get(proc, "cwd")))
		vmctr_rec(f, 'w',
		          o->workdir ? o->workdir
		                     : json_string_value(json_object_get(proc, "cwd")));
	user = json_object_get(proc, "user");
	fprintf(f, "u%lld%cg%lld%c", (long long)json_integer_value(json_object_get(user, "uid")), 0,
	        (long long)json_integer_value(json_object_get(user, "gid")), 0);
	json_array_foreach(json_object_get(user, "additionalGids"), i, v)
	    fprintf(f, "G%lld%c", (long long)json_integer_value(v), 0);
	if (o->tty) {
		struct winsize ws;
		vmctr_rec(f, 't', "");
		if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col)
			fprintf(f, "W%u %u%c", ws.ws_row, ws.ws_col, 0);
	}
	if (o->interactive)
		vmctr_rec(f, 'i', "");
}

int vmctr_exec(struct engine *e, const char *id, const struct ctr_exec_opts *o, int *status,
               berth_error_t *err)
{
	cleanup_free char *cfg = engine_path(e, "containers/%s/config.json", id);
	cleanup_free char *run = vmctr_run_dir(id);
	cleanup_free char *ctl = xasprintf("%s/ctl", run);
	cleanup_free char *text = NULL;
	cleanup_free char *path = NULL;
	unsigned char rnd[8];
	char xid[17], line[40];
	/* our input as "i XID LEN\n" frames, one at a time: what is left of it to send */
	char pend[48 + 4096];
	size_t pend_len = 0, pend_off = 0, i, len = 0;
	json_error_t je;
	json_t *spec = json_load_file(cfg, 0, &je);
	FILE *f;
	int fd, in = o->interactive ? STDIN_FILENO : -1, r = -1;

	if (spec == NULL)
		return berth_error(err, 0, "`%s`: %s", cfg, je.text);
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)) {
		json_decref(spec);
		return berth_error(err, errno, "getrandom");
	}
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(xid + 2 * i, 3, "%02x", rnd[i]);
	f = open_memstream(&text, &len);
	if (f == NULL)
		abort();
	vmctr_exec_records(f, json_object_get(spec, "process"), o);
	fclose(f);
	json_decref(spec);
	path = engine_path(e, "containers/%s/vm/exec-%s", id, xid);
	if (util_write_file_atomic(path, text, len, 0600, err) < 0)
		return -1;
	fd = vmctr_connect(ctl);
	if (fd < 0) {
		unlink(path);
		return berth_error(err, errno, "container %.12s: its VM's control socket", id);
	}
	snprintf(line, sizeof(line), "exec %s\n", xid);
	if (util_write_all(fd, line, strlen(line)) < 0) {
		berth_error(err, errno, "container %.12s: its VM's control socket", id);
		goto out;
	}
	if (o->tty)
		terminal_raw_begin(-1);
	/* the agent's answer (hostile): frames of our exec; others' (left from an exec whose
	 * client went away) are skipped. Our input goes while it comes, a frame at a time:
	 * the next is read only once the last is sent (the socket never blocks us) */
	for (;;) {
		struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = in, .events = POLLIN}};
		nfds_t np = in >= 0 && pend_off == pend_len ? 2 : 1;
		int k;
		if (pend_off < pend_len)
			p[0].events |= POLLOUT;
		if (poll(p, np, -1) < 0) {
			if (errno == EINTR)
				continue;
			berth_error(err, errno, "poll");
			break;
		}
		if (p[0].revents & POLLOUT) {
			ssize_t w = send(fd, pend + pend_off, pend_len - pend_off,
			                 MSG_DONTWAIT | MSG_NOSIGNAL);
			if (w > 0)
				pend_off += (size_t)w;
			else if (w < 0 && errno != EAGAIN && errno != EINTR)
				pend_off = pend_len = 0; /* the VM is gone: its answer says so */
		}
		if (np == 2 && p[1].revents) {
			ssize_t n = read(in, pend + 48, 4096);
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n < 0)
				n = 0;
			/* the header right before the data */
			k = snprintf(line, sizeof(line), "i %s %zd\n", xid, n);
			memcpy(pend + 48 - k, line, (size_t)k);
			pend_off = 48 - (size_t)k;
			pend_len = 48 + (size_t)n;
			if (n == 0) /* the end of our input: sent once */
				in = -1;
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			k = vmctr_exec_frame(fd, id, xid, status, err);
			if (k < 0)
				break;
			if (k == 1) {
				r = 0;
				break;
			}
		}
	}
	if (o->tty)
		terminal_raw_end();
out:
	close(fd);
	unlink(path);
	return r;
}
