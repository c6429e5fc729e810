/* SPDX-License-Identifier: MIT */
/* berth's guest agent (static, riscv64): the init of a VM-backed container (`berth run --vm`,
 * src/engine/vmctr.c). It runs as pid 1 in its initramfs and
 *   - mounts the 9p share `berthcfg` (the engine's directory for this container) on /cfg and
 *     reads /cfg/config: NUL-terminated records, each a letter and a value:
 *       a ARG (the command, entrypoint + cmd, in order)   e K=V (its environment)
 *       w DIR (its working directory)                      u UID  g GID  G GID (more groups)
 *       h NAME (the hostname)                              m TAG=DIR, M TAG=DIR (a volume:
 *                                                          the 9p share TAG on DIR, M: ro)
 *       n IP,NETMASK,GATEWAY (eth0's address and the default route; lo is always up)
 *       t (a terminal: the command gets a pty's slave as stdin, stdout and stderr, and the
 *         agent copies its master to the stdout port and the port's input to it)
 *       W ROWS COLS (the terminal's size)                  i (an input: a pipe, fed by
 *                                                            "i 0 LEN\n" frames on the stdout
 *                                                            port for the command, as below
 *                                                            for an exec)
 *       s (a system: the command is the image's init, run as pid 1 itself, see below)
 *   - mounts the share `berthroot` (the container's root filesystem, made by the engine as
 *     for a container) on /root, and in it /proc, /sys, /dev (devtmpfs), /dev/pts, /dev/shm,
 *     /tmp and the volumes;
 *   - finds its virtio-console ports by name (/sys/class/virtio-ports/STAR/name):
 *     berth.stdout and berth.stderr become the command's stdout and stderr, berth.ctl is the
 *     control channel: the host writes "kill N\n" lines there, each sends signal N to the
 *     command, and "exec ID\n" lines (ID 1 to 16 hex digits): the agent runs the process
 *     /cfg/exec-ID describes (records as in config; removed once read) as it runs the
 *     command (with t, on a pty of its own), and sends back on the same port "o ID LEN\n" +
 *     LEN bytes of its stdout (or terminal), "e ID LEN\n" + LEN bytes of its stderr, then
 *     "x ID STATUS\n"; the host sends its input (with i or t) as "i ID LEN\n" + LEN bytes,
 *     "i ID 0\n" at its end;
 *   - runs the command in a child chrooted into /root (its own session, with the user's
 *     groups, gid and uid, in its working directory, with exactly its environment; PATH from
 *     that environment), reaps every other process as an init does;
 *   - writes the command's exit status (128 + N after signal N; 127 or 126 when it could not
 *     be run) to /cfg/status, and powers off.
 * With s (a system VM, src/engine/systemd.c) the roles turn: the agent forks, the child goes on
 * as the agent (the host's "kill N" go to pid 1, execs as above) and pid 1 itself, after the
 * same set-up, writes 0 to /cfg/status and execs the command (the image's init: busybox init
 * and sysvinit refuse to run but as pid 1) chrooted into /root, stdout and stderr the ports;
 * the root's /dev/console is a pty the agent copies to the stdout port. The system ends when its
 * init powers the machine off (status 0). pid 1 cannot end, so a command that cannot be run is
 * said, its status written, and the machine powered off. Everything it cannot do is said on the
 * command's stderr port, "berth-agent: ...". */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <net/route.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_CONFIG (1u << 20)
#define MAX_ITEMS  4096
#define MAX_GROUPS 64
#define MAX_VOLS   8
#define MOUNT9P    "trans=virtio,version=9p2000.L,msize=262144"

static int err_fd = 2;
static int status_fd = -1;
static bool as_init; /* pid 1 turning into the system's init (s) */

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n = snprintf(buf, sizeof(buf), "berth-agent: ");

	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	(void)!write(err_fd, buf, (size_t)n);
}

static void power_off(void)
{
	sync();
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}

static void status_write(int status)
{
	char s[16];
	int n = snprintf(s, sizeof(s), "%d\n", status);

	if (status_fd < 0)
		return;
	(void)!pwrite(status_fd, s, (size_t)n, 0);
	fsync(status_fd);
}

/* The command could not be run: its child ends with status; pid 1 (s) cannot end, it powers
 * the machine off with that status. */
static void child_fail(int status)
{
	if (as_init) {
		status_write(status);
		power_off();
	}
	_exit(status);
}

struct config {
	char *args[MAX_ITEMS + 1], *env[MAX_ITEMS + 1];
	size_t n_args, n_env;
	const char *cwd, *hostname, *net;
	bool tty, in, system;
	unsigned short rows, cols; /* the terminal's size (W), 0: not given */
	char pty[64];              /* the slave's path, with tty */
	uid_t uid;
	gid_t gid, groups[MAX_GROUPS];
	size_t n_groups;
	const char *vol_tag[MAX_VOLS], *vol_dir[MAX_VOLS];
	bool vol_ro[MAX_VOLS];
	size_t n_vols;
};

static unsigned long number(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	return *s && *end == '\0' ? v : 0;
}

/* buf holds len bytes of records; it must end with a NUL. */
static int config_parse(char *buf, size_t len, struct config *c)
{
	if (len == 0 || buf[len - 1] != '\0')
		return -1;
	for (char *p = buf, *next; p < buf + len; p = next) {
		char *v = p + 1;
		next = p + strlen(p) + 1; /* before the value is cut (m, M) */
		if (*p == '\0')
			continue;
		switch (*p) {
		case 'a':
			if (c->n_args < MAX_ITEMS)
				c->args[c->n_args++] = v;
			break;
		case 'e':
			if (c->n_env < MAX_ITEMS)
				c->env[c->n_env++] = v;
			break;
		case 'w':
			c->cwd = v;
			break;
		case 'h':
			c->hostname = v;
			break;
		case 'n':
			c->net = v;
			break;
		case 't':
			c->tty = true;
			break;
		case 'i':
			c->in = true;
			break;
		case 's':
			c->system = true;
			break;
		case 'W': {
			char *end;
			unsigned long r = strtoul(v, &end, 10), k = 0;
			if (*end == ' ')
				k = strtoul(end + 1, &end, 10);
			if (*end == '\0' && r <= 0xffff && k <= 0xffff) {
				c->rows = (unsigned short)r;
				c->cols = (unsigned short)k;
			}
			break;
		}
		case 'u':
			c->uid = (uid_t)number(v);
			break;
		case 'g':
			c->gid = (gid_t)number(v);
			break;
		case 'G':
			if (c->n_groups < MAX_GROUPS)
				c->groups[c->n_groups++] = (gid_t)number(v);
			break;
		case 'm':
		case 'M': {
			char *eq = strchr(v, '=');
			if (eq == NULL || eq[1] != '/' || c->n_vols >= MAX_VOLS)
				return -1;
			*eq = '\0';
			c->vol_ro[c->n_vols] = *p == 'M';
			c->vol_tag[c->n_vols] = v;
			c->vol_dir[c->n_vols++] = eq + 1;
			break;
		}
		default:
			return -1;
		}
	}
	return c->n_args > 0 ? 0 : -1;
}

static char *read_all(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf = malloc(MAX_CONFIG + 1);
	size_t got = 0;
	ssize_t n;

	if (fd < 0 || buf == NULL) {
		if (fd >= 0)
			close(fd);
		free(buf);
		return NULL;
	}
	while (got < MAX_CONFIG && (n = read(fd, buf + got, MAX_CONFIG - got)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	*len = got;
	return buf;
}

/* mkdir -p, inside the root (paths given are absolute under it). */
static void mkdirs(const char *path)
{
	char p[4096];
	size_t n = strlen(path);

	if (n >= sizeof(p))
		return;
	memcpy(p, path, n + 1);
	for (char *s = p + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	mkdir(p, 0755);
}

static void mount_in(const char *src, const char *dir, const char *type, unsigned long flags,
                     const char *data)
{
	char p[4200];

	snprintf(p, sizeof(p), "/root%s", dir);
	mkdirs(p);
	if (mount(src, p, type, flags, data) < 0)
		say("mount %s on %s: %s", type, dir, strerror(errno));
}

/* The /dev/vportNpM whose name is name, opened; or -1. */
static int port_open(const char *name)
{
	DIR *d = opendir("/sys/class/virtio-ports");
	struct dirent *de;
	int fd = -1;

	if (d == NULL)
		return -1;
	while (fd < 0 && (de = readdir(d)) != NULL) {
		char path[300], val[80] = "";
		int nf;
		ssize_t n;
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/class/virtio-ports/%s/name", de->d_name);
		nf = open(path, O_RDONLY | O_CLOEXEC);
		if (nf < 0)
			continue;
		n = read(nf, val, sizeof(val) - 1);
		close(nf);
		val[n > 0 ? n : 0] = '\0';
		val[strcspn(val, "\n")] = '\0';
		if (strcmp(val, name) != 0)
			continue;
		snprintf(path, sizeof(path), "/dev/%s", de->d_name);
		fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
	}
	closedir(d);
	return fd;
}

static int if_up(int s, const char *name, const char *ip, const char *mask)
{
	struct ifreq ifr;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ip) {
		sin->sin_family = AF_INET;
		if (inet_pton(AF_INET, ip, &sin->sin_addr) != 1 || ioctl(s, SIOCSIFADDR, &ifr) < 0)
			return -1;
		sin->sin_family = AF_INET;
		if (inet_pton(AF_INET, mask, &sin->sin_addr) != 1 ||
		    ioctl(s, SIOCSIFNETMASK, &ifr) < 0)
			return -1;
	}
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return -1;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	return ioctl(s, SIOCSIFFLAGS, &ifr);
}

/* lo up; with "IP,NETMASK,GATEWAY": eth0 with that address, and the default route. */
static void net_setup(const char *net)
{
	char buf[64], *mask, *gw;
	struct rtentry rt;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return;
	if_up(s, "lo", NULL, NULL);
	if (net == NULL || strlen(net) >= sizeof(buf)) {
		close(s);
		return;
	}
	strcpy(buf, net);
	mask = strchr(buf, ',');
	gw = mask ? strchr(mask + 1, ',') : NULL;
	if (gw == NULL) {
		say("network: expected IP,NETMASK,GATEWAY, got \"%s\"", net);
		close(s);
		return;
	}
	*mask++ = '\0';
	*gw++ = '\0';
	if (if_up(s, "eth0", buf, mask) < 0) {
		say("network: eth0 %s: %s", buf, strerror(errno));
		close(s);
		return;
	}
	memset(&rt, 0, sizeof(rt));
	((struct sockaddr_in *)&rt.rt_dst)->sin_family = AF_INET;
	((struct sockaddr_in *)&rt.rt_genmask)->sin_family = AF_INET;
	((struct sockaddr_in *)&rt.rt_gateway)->sin_family = AF_INET;
	inet_pton(AF_INET, gw, &((struct sockaddr_in *)&rt.rt_gateway)->sin_addr);
	rt.rt_flags = RTF_UP | RTF_GATEWAY;
	if (ioctl(s, SIOCADDRT, &rt) < 0)
		say("network: default route through %s: %s", gw, strerror(errno));
	close(s);
}

static void child_run(struct config *c, int in, int out, int errp)
{
	extern char **environ;
	int null = open("/dev/null", O_RDWR);

	setsid();
	if (c->pty[0]) {
		/* its controlling terminal */
		int t = open(c->pty, O_RDWR);
		if (t < 0 || ioctl(t, TIOCSCTTY, 0) < 0)
			child_fail(126);
		in = out = errp = null = t;
	}
	{
		/* above 2 first, so that the fds may be any of 0-2 */
		int fds[3] = {in >= 0 ? in : null, out >= 0 ? out : null, errp >= 0 ? errp : null};
		if (null < 0)
			child_fail(126);
		for (int i = 0; i < 3; i++)
			if ((fds[i] = fcntl(fds[i], F_DUPFD, 3)) < 0)
				child_fail(126);
		for (int i = 0; i < 3; i++)
			if (dup2(fds[i], i) < 0)
				child_fail(126);
	}
	err_fd = 2;
	if (chroot("/root") < 0 || chdir("/") < 0) {
		say("chroot: %s", strerror(errno));
		child_fail(126);
	}
	if (c->cwd && chdir(c->cwd) < 0) {
		say("chdir to the working directory `%s`: %s", c->cwd, strerror(errno));
		child_fail(126);
	}
	/* the reference kernel has no CONFIG_MULTIUSER: everything is root, and these calls
	 * fail with ENOSYS; fine when root is what was asked for */
	if ((setgroups(c->n_groups, c->groups) < 0 || setgid(c->gid) < 0 || setuid(c->uid) < 0) &&
	    (errno != ENOSYS || c->uid != 0 || c->gid != 0 || c->n_groups > 0)) {
		say("set user %u:%u: %s%s", (unsigned)c->uid, (unsigned)c->gid, strerror(errno),
		    errno == ENOSYS ? " (the guest kernel is built without CONFIG_MULTIUSER)" : "");
		child_fail(126);
	}
	c->args[c->n_args] = NULL;
	c->env[c->n_env] = NULL;
	environ = c->env;
	{
		sigset_t all;
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
	}
	execvp(c->args[0], c->args);
	say("exec `%s`: %s", c->args[0], strerror(errno));
	child_fail(errno == ENOENT ? 127 : 126);
}

/* The processes run for "exec ID" lines, at most MAX_EXECS at a time. */
#define MAX_EXECS  8
#define EXEC_INBUF 16384
struct exec {
	char id[17];
	pid_t pid; /* 0: reaped (status set) */
	int out, err, in, status;
	bool used, tty, in_eof;
	size_t in_len;
	char in_buf[EXEC_INBUF];
};
static struct exec execs[MAX_EXECS];
/* The command's input (i without t in config): from the stdout port, "i 0 LEN\n" frames */
static struct exec main_in = {.id = "0", .out = -1, .err = -1, .in = -1};

static void write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, data, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		data += w;
		len -= (size_t)w;
	}
}

/* A frame to the host on the control port: "K ID LEN\n" and data (or "x ID STATUS\n"). */
static void exec_send(int ctl, char kind, const char *id, const char *data, size_t len, int status)
{
	char head[64];
	int n = kind == 'x' ? snprintf(head, sizeof(head), "x %s %d\n", id, status)
	                    : snprintf(head, sizeof(head), "%c %s %zu\n", kind, id, len);

	(void)!write(ctl, head, (size_t)n);
	while (len > 0) {
		ssize_t w = write(ctl, data, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		data += w;
		len -= (size_t)w;
	}
}

/* A pty from the root's devpts: its master (non-blocking), the slave's path in c->pty. */
static int pty_open(struct config *c)
{
	int n = -1, unlock = 0;
	int m = open("/root/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (m < 0 || ioctl(m, TIOCSPTLCK, &unlock) < 0 || ioctl(m, TIOCGPTN, &n) < 0) {
		if (m >= 0)
			close(m);
		return -1;
	}
	snprintf(c->pty, sizeof(c->pty), "/root/dev/pts/%d", n);
	if (c->rows && c->cols) {
		struct winsize ws = {.ws_row = c->rows, .ws_col = c->cols};
		ioctl(m, TIOCSWINSZ, &ws);
	}
	fcntl(m, F_SETFL, O_NONBLOCK);
	return m;
}

static void exec_fail(int ctl, const char *id, const char *why)
{
	char msg[128];
	int n = snprintf(msg, sizeof(msg), "berth-agent: %s\n", why);

	exec_send(ctl, 'e', id, msg, (size_t)n, 0);
	exec_send(ctl, 'x', id, NULL, 0, 126);
}

static void exec_start(int ctl, const char *id)
{
	char path[64];
	struct config *c = calloc(1, sizeof(*c));
	struct exec *x = NULL;
	int out[2] = {-1, -1}, errp[2] = {-1, -1}, inp[2] = {-1, -1};
	size_t len = 0;
	char *buf;

	for (size_t i = 0; i < MAX_EXECS && x == NULL; i++)
		if (!execs[i].used)
			x = &execs[i];
	snprintf(path, sizeof(path), "/cfg/exec-%.16s", id);
	buf = read_all(path, &len);
	unlink(path);
	if (x == NULL || c == NULL || buf == NULL || config_parse(buf, len, c) < 0) {
		exec_fail(ctl, id,
		          x == NULL ? "too many execs at once"
		                    : "cannot read the exec's configuration");
		free(c);
		free(buf);
		return;
	}
	memset(x, 0, sizeof(*x));
	x->out = x->err = x->in = -1;
	if (c->tty) {
		/* -t: a terminal; its master is the output and (-i) the input */
		out[0] = pty_open(c);
		if (out[0] >= 0 && c->in)
			inp[1] = fcntl(out[0], F_DUPFD_CLOEXEC, 3);
		if (out[0] < 0 || (c->in && inp[1] < 0)) {
			exec_fail(ctl, id, "cannot open a terminal");
			goto fail;
		}
	} else if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 ||
	           (c->in && pipe2(inp, O_CLOEXEC) < 0)) {
		exec_fail(ctl, id, "cannot make pipes");
		goto fail;
	}
	if (inp[1] >= 0)
		fcntl(inp[1], F_SETFL, O_NONBLOCK);
	snprintf(x->id, sizeof(x->id), "%.16s", id);
	x->used = true;
	x->tty = c->tty;
	x->pid = fork();
	if (x->pid == 0)
		child_run(c, inp[0], out[1], errp[1]);
	x->out = out[0];
	x->err = errp[0];
	x->in = inp[1];
	out[0] = errp[0] = inp[1] = -1;
	if (x->pid < 0) {
		x->pid = 0;
		x->status = 126;
	}
fail:
	for (int k = 0; k < 2; k++) {
		if (out[k] >= 0)
			close(out[k]);
		if (errp[k] >= 0)
			close(errp[k]);
		if (inp[k] >= 0)
			close(inp[k]);
	}
	free(c);
	free(buf);
}

/* An exec whose output ended and whose process was reaped: its status, and it is done. A
 * terminal's output ends with its process (what it holds still is sent), even when a process
 * it left holds the terminal. */
static void exec_finish(int ctl)
{
	for (size_t i = 0; i < MAX_EXECS; i++) {
		struct exec *x = &execs[i];
		if (!x->used || x->pid != 0)
			continue;
		if (x->tty && x->out >= 0) {
			char data[4096];
			ssize_t n;
			for (int k = 0; k < 1024 && (n = read(x->out, data, sizeof(data))) > 0; k++)
				exec_send(ctl, 'o', x->id, data, (size_t)n, 0);
			close(x->out);
			x->out = -1;
		}
		if (x->out >= 0 || x->err >= 0)
			continue;
		exec_send(ctl, 'x', x->id, NULL, 0, x->status);
		if (x->in >= 0)
			close(x->in);
		x->in = -1;
		x->used = false;
	}
}

/* Input for an exec: what its stdin (or terminal) has not taken yet is kept, up to
 * EXEC_INBUF; the control port is read only while every exec has room for a whole read. */
static struct exec *exec_by_id(const char *id)
{
	if (strcmp(id, main_in.id) == 0)
		return main_in.in >= 0 ? &main_in : NULL;
	for (size_t i = 0; i < MAX_EXECS; i++)
		if (execs[i].used && strcmp(execs[i].id, id) == 0)
			return &execs[i];
	return NULL;
}

static void exec_input(struct exec *x, const char *data, size_t len)
{
	if (x == NULL || x->in < 0 || x->in_eof)
		return;
	if (len > EXEC_INBUF - x->in_len)
		len = EXEC_INBUF - x->in_len; /* cannot be: the port is read only with room */
	memcpy(x->in_buf + x->in_len, data, len);
	x->in_len += len;
}

/* Its stdin takes what it can (non-blocking); at the end of the input, it is closed (a
 * terminal stays: its end of input is the user's Ctrl-D). */
static void exec_flush_input(struct exec *x)
{
	while (x->in >= 0 && x->in_len > 0) {
		ssize_t w = write(x->in, x->in_buf, x->in_len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return;
		if (w <= 0) { /* it closed its stdin: what comes is dropped */
			x->in_len = 0;
			x->in_eof = true;
			break;
		}
		memmove(x->in_buf, x->in_buf + w, x->in_len - (size_t)w);
		x->in_len -= (size_t)w;
	}
	if (x->in >= 0 && x->in_len == 0 && x->in_eof && !x->tty) {
		close(x->in);
		x->in = -1;
	}
}

/* The control port, from the host: lines "kill N" (signal N to the command), "exec ID" (run
 * an exec), "i ID LEN" and LEN bytes (input for exec ID; LEN 0: the end of its input), each
 * line at most 63 bytes (a longer one is dropped), LEN at most 65536. */
struct ctl_state {
	char line[64];
	size_t len;
	unsigned long data_left; /* of an "i" frame */
	struct exec *data_to;    /* NULL: dropped */
};

static void ctl_line(int fd, pid_t child, struct ctl_state *s, bool ctl)
{
	char *buf = s->line, *end;
	size_t len = s->len;

	buf[len] = '\0';
	if (!ctl && strncmp(buf, "i 0 ", 4) != 0)
		return; /* the stdout port carries only the command's input */
	if (strncmp(buf, "kill ", 5) == 0) {
		unsigned long sig = number(buf + 5);
		if (sig >= 1 && sig <= 64 && child > 0)
			kill(child, (int)sig);
	} else if (strncmp(buf, "exec ", 5) == 0 && len > 5 && len <= 21 &&
	           strspn(buf + 5, "0123456789abcdef") == len - 5) {
		exec_start(fd, buf + 5);
	} else if (strncmp(buf, "i ", 2) == 0 && (end = strchr(buf + 2, ' ')) != NULL &&
	           end - (buf + 2) >= 1 && end - (buf + 2) <= 16) {
		unsigned long n;
		char *e2;
		*end = '\0';
		n = strtoul(end + 1, &e2, 10);
		if (end[1] < '0' || end[1] > '9' || *e2 != '\0' || n > 65536)
			return;
		s->data_to = exec_by_id(buf + 2);
		s->data_left = n;
		if (n == 0 && s->data_to) {
			s->data_to->in_eof = true;
			exec_flush_input(s->data_to);
		}
	}
}

static void ctl_read(int fd, pid_t child, struct ctl_state *s, bool ctl)
{
	char in[256];
	ssize_t n = read(fd, in, sizeof(in));

	for (ssize_t i = 0; i < n; i++) {
		if (s->data_left > 0) {
			size_t k = (size_t)(n - i) < s->data_left ? (size_t)(n - i) : s->data_left;
			exec_input(s->data_to, in + i, k);
			s->data_left -= k;
			i += (ssize_t)k - 1;
			continue;
		}
		if (in[i] != '\n') {
			if (s->len < 63)
				s->line[s->len++] = in[i];
			else
				s->len = 64; /* too long: dropped at its end */
			continue;
		}
		if (s->len < 64)
			ctl_line(fd, child, s, ctl);
		s->len = 0;
	}
}

static void on_chld(int sig)
{
	(void)sig;
}

int main(void)
{
	static struct config c;
	struct ctl_state cs = {0}, os = {0};
	int inp[2] = {-1, -1};
	size_t len = 0;
	int out, ctl, status = 0, master = -1, console_hold = -1;
	char *buf;
	pid_t child;
	sigset_t chld;

	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	/* the driver adds the ports (and devtmpfs their nodes) while init already runs: wait
	 * for them, a while (60 s) */
	out = err_fd = ctl = -1;
	for (int i = 0; i < 6000 && (out < 0 || err_fd < 0 || ctl < 0); i++) {
		if (out < 0)
			out = port_open("berth.stdout");
		if (err_fd < 0)
			err_fd = port_open("berth.stderr");
		if (ctl < 0)
			ctl = port_open("berth.ctl");
		if (out < 0 || err_fd < 0 || ctl < 0)
			usleep(10000);
	}
	if (err_fd < 0)
		err_fd = open("/dev/console", O_WRONLY | O_CLOEXEC);
	mkdir("/cfg", 0755);
	mkdir("/root", 0755);
	if (mount("berthcfg", "/cfg", "9p", 0, MOUNT9P) < 0) {
		say("mount the config share: %s", strerror(errno));
		power_off();
	}
	/* made once the ports are open: the host sends the command's input (i) only then */
	status_fd = open("/cfg/status", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	buf = read_all("/cfg/config", &len);
	if (buf == NULL || config_parse(buf, len, &c) < 0) {
		say("/cfg/config: expected NUL-terminated records with a command");
		power_off();
	}
	if (mount("berthroot", "/root", "9p", 0, MOUNT9P) < 0) {
		say("mount the root share: %s", strerror(errno));
		power_off();
	}
	mount_in("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	mount_in("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL);
	mount_in("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, NULL);
	mount_in("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
	         "newinstance,ptmxmode=0666,mode=0620");
	mount_in("shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777");
	mount_in("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
	for (size_t i = 0; i < c.n_vols; i++)
		mount_in(c.vol_tag[i], c.vol_dir[i], "9p", c.vol_ro[i] ? MS_RDONLY : 0, MOUNT9P);
	if (c.hostname)
		sethostname(c.hostname, strlen(c.hostname));
	net_setup(c.net);

	/* SIGCHLD is blocked but while ppoll waits (the kernel has no signalfd) */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	signal(SIGCHLD, on_chld);
	sigemptyset(&chld);
	if (c.tty) {
		/* from the root's devpts (mounted above), so that the command finds its
		 * terminal in /dev/pts */
		master = pty_open(&c);
		if (master < 0) {
			say("a terminal: %s", strerror(errno));
			power_off();
		}
	}
	if (c.system && !c.tty && !c.in && out >= 0) {
		/* the system's console: a pty whose slave is bound over the root's /dev/console and
		 * whose master the agent copies to the stdout port, as with t (sysvinit writes its
		 * messages, and runs its processes, on /dev/console); the agent holds the slave
		 * open too, so that the master does not read EIO while no one else has it open.
		 * The init's own stdout and stderr stay the ports. */
		master = pty_open(&c);
		if (master < 0 || (console_hold = open(c.pty, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0 ||
		    mount(c.pty, "/root/dev/console", NULL, MS_BIND, NULL) < 0)
			say("a console: %s", strerror(errno));
		c.pty[0] = '\0';
	}
	if (c.in && !c.tty && out >= 0) {
		/* its input: a pipe, fed from the stdout port */
		if (pipe2(inp, O_CLOEXEC) < 0) {
			say("a pipe for the input: %s", strerror(errno));
			power_off();
		}
		main_in.in = inp[1];
		fcntl(main_in.in, F_SETFL, O_NONBLOCK);
	}
	child = fork();
	if (child < 0) {
		say("fork: %s", strerror(errno));
		power_off();
	}
	if (c.system && child > 0) {
		/* pid 1 becomes the system's init: its power-off is the system's clean end
		 * (status 0); a reboot, or the kernel's panic should the init end (panic=-1),
		 * ends the machine with the VM's own status (2: --no-reboot) */
		as_init = true;
		status_write(0);
		child_run(&c, inp[0], out, err_fd);
	}
	if (c.system)
		child = 1; /* the agent, in the child: the host's signals go to the init */
	else if (child == 0)
		child_run(&c, inp[0], out, err_fd);
	if (inp[0] >= 0)
		close(inp[0]);
	for (size_t i = 0; i < MAX_EXECS; i++)
		execs[i].out = execs[i].err = execs[i].in = -1;
	for (;;) {
		struct pollfd p[4 + 3 * MAX_EXECS];
		int ws, *pf[4 + 3 * MAX_EXECS];
		nfds_t np = 0;
		pid_t w;
		bool done = false, room = true;

		while ((w = waitpid(-1, &ws, WNOHANG)) > 0) {
			int st = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
			if (w == child) {
				status = st;
				done = true;
			}
			for (size_t i = 0; i < MAX_EXECS; i++)
				if (execs[i].used && execs[i].pid == w) {
					execs[i].pid = 0;
					execs[i].status = st;
				}
		}
		if (done)
			break;
		if (ctl >= 0)
			exec_finish(ctl);
		for (size_t i = 0; i < MAX_EXECS; i++)
			if (execs[i].used && execs[i].in_len > EXEC_INBUF - 256)
				room = false;
		if (ctl >= 0 && room) {
			p[np] = (struct pollfd){.fd = ctl, .events = POLLIN};
			pf[np++] = &ctl;
		}
		if (master >= 0) { /* the terminal: both ways through the stdout port */
			p[np] = (struct pollfd){.fd = master, .events = POLLIN};
			pf[np++] = &master;
			p[np] = (struct pollfd){.fd = out, .events = POLLIN};
			pf[np++] = &out;
		}
		if (main_in.in >= 0 && !main_in.in_eof && main_in.in_len <= EXEC_INBUF - 256) {
			p[np] = (struct pollfd){.fd = out, .events = POLLIN};
			pf[np++] = &out;
		}
		if (main_in.in >= 0 && main_in.in_len > 0) {
			p[np] = (struct pollfd){.fd = main_in.in, .events = POLLOUT};
			pf[np++] = &main_in.in;
		}
		for (size_t i = 0; i < MAX_EXECS; i++) {
			int *fds[2] = {&execs[i].out, &execs[i].err};
			for (int k = 0; k < 2; k++)
				if (execs[i].used && *fds[k] >= 0) {
					p[np] = (struct pollfd){.fd = *fds[k], .events = POLLIN};
					pf[np++] = fds[k];
				}
			if (execs[i].used && execs[i].in >= 0 && execs[i].in_len > 0) {
				p[np] = (struct pollfd){.fd = execs[i].in, .events = POLLOUT};
				pf[np++] = &execs[i].in;
			}
		}
		if (ppoll(p, np, NULL, &chld) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (nfds_t i = 0; i < np; i++) {
			if (p[i].revents == 0)
				continue;
			if (pf[i] == &out && master < 0) {
				ctl_read(out, child, &os, false);
				continue;
			}
			if (pf[i] == &main_in.in) {
				exec_flush_input(&main_in);
				continue;
			}
			if (pf[i] == &master || pf[i] == &out) {
				char data[4096];
				ssize_t n = read(*pf[i], data, sizeof(data));
				if (n > 0)
					write_all(pf[i] == &master ? out : master, data, (size_t)n);
				else if (pf[i] == &master && n <= 0 && errno != EAGAIN &&
				         errno != EINTR)
					master = -1; /* its last holder is gone (EIO) */
				continue;
			}
			if (pf[i] == &ctl) {
				if (p[i].revents & POLLIN)
					ctl_read(ctl, child, &cs, true);
				else /* not open on the host side */
					ctl = -1;
				continue;
			}
			for (size_t k = 0; k < MAX_EXECS; k++) {
				struct exec *x = &execs[k];
				char data[4096];
				ssize_t n;
				if (x->used && pf[i] == &x->in)
					exec_flush_input(x);
				if (!x->used || (pf[i] != &x->out && pf[i] != &x->err))
					continue;
				n = read(*pf[i], data, sizeof(data));
				if (n > 0 && ctl >= 0)
					exec_send(ctl, pf[i] == &x->out ? 'o' : 'e', x->id, data,
					          (size_t)n, 0);
				if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
					close(*pf[i]);
					*pf[i] = -1;
				}
			}
		}
	}
	/* what the terminal holds still */
	for (int k = 0; master >= 0 && k < 1024; k++) {
		char data[4096];
		ssize_t n = read(master, data, sizeof(data));
		if (n <= 0)
			break;
		write_all(out, data, (size_t)n);
	}
	status_write(status);
	power_off();
	return 0;
}
