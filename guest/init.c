/* SPDX-License-Identifier: MIT */
/* berth's reference guest init (static, riscv64): mounts /proc, /sys and /dev, tells the
 * boot timer it is up, prints BERTH-GUEST-READY and then does what the kernel command line
 * asks:
 *   (nothing)           power off
 *   berth.test=disk     print the marker at the start of /dev/vda; if sector 8 (byte 4096)
 *                       holds no "BERTH-WRITTEN" line, write one and reboot, else print it
 *                       and power off; also prints the disk's serial and tries a discard
 *   berth.test=disk-ro  try to open /dev/vda for writing (must fail), power off
 *   berth.test=reboot   reboot at once
 *   berth.test=echo     print BERTH-ECHO-READY, read a line from the console (the UART),
 *                       print "echo: LINE", power off
 *   berth.bench=N       an integer loop and a memory CRC loop, N times the base size each,
 *                       timed with CLOCK_MONOTONIC, then power off
 *   berth.net=none      do not configure the network (see below)
 *   berth.ip=ethN,IP/PREFIX[,GATEWAY] (repeatable) give ethN that address, up, and the
 *                       default route through GATEWAY (the first one given); no DHCP on
 *                       eth0 then (`berth vm run --net bridge=NETWORK` adds it)
 *   berth.share=TAG:DIR (repeatable, before the rest) mount the virtio-9p share TAG
 *                       (`berth vm run --share HOSTDIR:TAG`) on DIR, made if missing;
 *                       prints "share: TAG on DIR" or the error
 *   -- WORDS...         (words after `--` reach init as arguments; the kernel gives init
 *                       at most 32 and hangs at boot with more: put the command in double
 *                       quotes to make it one) run them as one shell
 *                       command, `/bin/busybox sh -c "WORDS..."`, with busybox's applets
 *                       in /bin and a tmpfs on /tmp; print BERTH-GUEST-EXIT status=N and
 *                       power off
 * Ctrl-Alt-Del (berth vm stop presses it on the virtio keyboard): init turns the kernel's
 * own reboot off (RB_DISABLE_CAD, as busybox init does), so the kernel sends it SIGINT; init
 * then prints BERTH-GUEST-CTRLALTDEL, syncs and powers off (busybox init's ctrlaltdel).
 * With a network card (eth0) and busybox, init first brings lo up and asks for eth0's
 * address by DHCP (busybox udhcpc with /etc/udhcpc/default.script, guest/udhcpc.script) and
 * prints BERTH-NET-UP or BERTH-NET-FAILED, unless the command line says berth.net=none.
 * Run from the shell (not as pid 1), `/init xattr list|get|set|rm FILE [NAME [VALUE]]` lists,
 * prints, sets or removes an extended attribute (busybox has no setfattr).
 * The boot timer: the kernel has no /dev/mem, so init writes the magic byte sequence
 * "ESC _ berth-boot-timer ESC \" to the console (the UART); berth removes it from the
 * output and records the time. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define BOOT_TIMER_MAGIC "\033_berth-boot-timer\033\\"
#define WRITTEN_OFFSET   4096

static char cmdline[4096];

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The value of key=VALUE on the command line (copied into buf), or NULL. */
static const char *param(const char *key, char *buf, size_t size)
{
	size_t klen = strlen(key);
	const char *p = cmdline;

	while ((p = strstr(p, key)) != NULL) {
		if ((p == cmdline || p[-1] == ' ') && p[klen] == '=') {
			size_t n = strcspn(p + klen + 1, " \n");
			if (n >= size)
				n = size - 1;
			memcpy(buf, p + klen + 1, n);
			buf[n] = '\0';
			return buf;
		}
		p += klen;
	}
	return NULL;
}

static void power(int how)
{
	sync();
	reboot(how);
	for (;;)
		pause();
}

/* SIGINT from the kernel's ctrl_alt_del(): only async-signal-safe calls */
static void on_ctrl_alt_del(int sig)
{
	static const char msg[] = "BERTH-GUEST-CTRLALTDEL powering off\n";

	(void)sig;
	(void)!write(1, msg, sizeof(msg) - 1);
	sync();
	reboot(RB_POWER_OFF);
	_exit(0);
}

static void read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, size - 1) : -1;

	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (fd >= 0)
		close(fd);
}

static void test_disk(void)
{
	char buf[512], line[256];
	int fd = open("/dev/vda", O_RDWR);

	if (fd < 0) {
		printf("disk: cannot open /dev/vda: %s\n", strerror(errno));
		power(RB_POWER_OFF);
	}
	read_file("/sys/block/vda/serial", line, sizeof(line));
	printf("disk serial: %s\n", line);
	memset(buf, 0, sizeof(buf));
	if (pread(fd, buf, sizeof(buf) - 1, 0) < 0)
		printf("disk: read: %s\n", strerror(errno));
	buf[strcspn(buf, "\n")] = '\0';
	printf("disk marker: %s\n", buf);
	memset(buf, 0, sizeof(buf));
	if (pread(fd, buf, sizeof(buf) - 1, WRITTEN_OFFSET) < 0)
		printf("disk: read: %s\n", strerror(errno));
	if (strncmp(buf, "BERTH-WRITTEN", 13) == 0) {
		buf[strcspn(buf, "\n")] = '\0';
		printf("disk readback: %s\n", buf);
		uint64_t range[2] = {1 << 20, 64 << 10};
		printf("disk discard: %s\n",
		       ioctl(fd, BLKDISCARD, range) == 0 ? "ok" : strerror(errno));
		close(fd);
		power(RB_POWER_OFF);
	}
	memset(buf, 0, sizeof(buf));
	snprintf(buf, sizeof(buf), "BERTH-WRITTEN before reboot\n");
	if (pwrite(fd, buf, sizeof(buf), WRITTEN_OFFSET) != (ssize_t)sizeof(buf) || fsync(fd) < 0)
		printf("disk: write: %s\n", strerror(errno));
	close(fd);
	printf("disk written, rebooting\n");
	fflush(stdout);
	power(RB_AUTOBOOT);
}

static void test_disk_ro(void)
{
	int fd = open("/dev/vda", O_RDWR);

	if (fd < 0) {
		printf("disk ro: write refused (%s)\n", strerror(errno));
	} else {
		char buf[512] = "x";
		if (pwrite(fd, buf, sizeof(buf), 0) < 0 || fsync(fd) < 0)
			printf("disk ro: write refused (%s)\n", strerror(errno));
		else
			printf("disk ro: write accepted\n");
		close(fd);
	}
	power(RB_POWER_OFF);
}

static void test_echo(void)
{
	char line[256];

	printf("BERTH-ECHO-READY\n");
	if (fgets(line, sizeof(line), stdin) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		printf("echo: %s\n", line);
	}
	power(RB_POWER_OFF);
}

static void bench(unsigned n)
{
	uint64_t x = 88172645463325252ull, iters = 2860000ull * n;
	size_t size = (size_t)n << 22; /* 4 MiB per unit */
	uint8_t *mem = malloc(size);
	uint32_t crc = 0xffffffff, table[256];
	double t;

	t = now();
	for (uint64_t i = 0; i < iters; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
	}
	printf("bench int: %.3f s (%llu iterations, %llx)\n", now() - t, (unsigned long long)iters,
	       (unsigned long long)(x & 0xffff));
	if (mem == NULL)
		return;
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xedb88320 ^ (c >> 1) : c >> 1;
		table[i] = c;
	}
	for (size_t i = 0; i < size; i++)
		mem[i] = (uint8_t)(i * 7);
	t = now();
	for (size_t i = 0; i < size; i++)
		crc = table[(crc ^ mem[i]) & 0xff] ^ (crc >> 8);
	printf("bench mem: %.3f s (%zu MiB CRC-32, %08x)\n", now() - t, size >> 20, ~crc);
	free(mem);
}

/* Run busybox with argv (argv[0] the applet); returns its exit status. */
static int busybox(char *const argv[])
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return 126;
	if (pid == 0) {
		execv("/bin/busybox", argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 126;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* berth.ip=ethN,IP/PREFIX[,GATEWAY] (before `--`; berth vm puts one for each card on a berth
 * network): that address on ethN, up, and the default route through GATEWAY. *eth0: one
 * named eth0. */
static void net_static(bool *eth0)
{
	const char *end = strstr(cmdline, " -- ");
	bool route = false;

	for (const char *p = cmdline; (p = strstr(p, "berth.ip=")) != NULL; p += 9) {
		char spec[96], *addr, *gw;
		size_t n;
		int r;

		if (end != NULL && p > end)
			break;
		if (p != cmdline && p[-1] != ' ')
			continue;
		n = strcspn(p + 9, " \n");
		if (n >= sizeof(spec) || strspn(p + 9, "eth0123456789,./") < n) {
			printf("BERTH-NET-FAILED: expected berth.ip=ethN,IP/PREFIX[,GATEWAY]\n");
			continue;
		}
		memcpy(spec, p + 9, n);
		spec[n] = '\0';
		addr = strchr(spec, ',');
		if (addr == NULL || strncmp(spec, "eth", 3) != 0) {
			printf("BERTH-NET-FAILED: expected berth.ip=ethN,IP/PREFIX[,GATEWAY]\n");
			continue;
		}
		*addr++ = '\0';
		gw = strchr(addr, ',');
		if (gw != NULL)
			*gw++ = '\0';
		if (strcmp(spec, "eth0") == 0)
			*eth0 = true;
		{
			char *add[] = {"ip", "addr", "add", addr, "dev", spec, NULL};
			char *up[] = {"ip", "link", "set", spec, "up", NULL};
			char *def[] = {"ip", "route", "add", "default", "via", gw, NULL};
			r = busybox(add);
			if (r == 0)
				r = busybox(up);
			if (r == 0 && gw != NULL && !route) {
				r = busybox(def);
				route = true;
			}
		}
		if (r == 0)
			printf("BERTH-NET-UP %s %s\n", spec, addr);
		else
			printf("BERTH-NET-FAILED %s (ip status %d)\n", spec, r);
	}
}

/* lo up; the addresses berth.ip= gives; eth0's address by DHCP when there is a card, no
 * berth.ip= for it and no berth.net=none. */
static void net_up(void)
{
	char val[32];
	char *lo[] = {"ifconfig", "lo", "127.0.0.1", "up", NULL};
	char *dhcp[] = {"udhcpc", "-i", "eth0", "-q", "-f", "-n", "-t", "5", "-T", "2", NULL};
	bool eth0 = false;
	int r;

	if (access("/bin/busybox", X_OK) != 0 || access("/sys/class/net/eth0", F_OK) != 0)
		return;
	if (param("berth.net", val, sizeof(val)) != NULL && strcmp(val, "none") == 0)
		return;
	setenv("PATH", "/bin:/sbin", 1);
	busybox(lo);
	net_static(&eth0);
	if (eth0)
		return;
	r = busybox(dhcp);
	if (r == 0)
		printf("BERTH-NET-UP eth0\n");
	else
		printf("BERTH-NET-FAILED eth0 (udhcpc status %d)\n", r);
}

/* berth.share=TAG:DIR, each one on the command line (before `--`): mount the 9p share. */
static void mount_shares(void)
{
	const char *end = strstr(cmdline, " -- ");

	for (const char *p = cmdline; (p = strstr(p, "berth.share=")) != NULL; p += 12) {
		char spec[256], *dir, *s;
		size_t n = strcspn(p + 12, " \n");

		if (end != NULL && p > end)
			break;
		if ((p != cmdline && p[-1] != ' ') || n >= sizeof(spec))
			continue;
		memcpy(spec, p + 12, n);
		spec[n] = '\0';
		dir = strchr(spec, ':');
		if (dir == NULL || dir == spec || dir[1] != '/') {
			printf("share: expected berth.share=TAG:/DIR, got \"%s\"\n", spec);
			continue;
		}
		*dir++ = '\0';
		for (s = dir + 1; (s = strchr(s, '/')) != NULL; s++) { /* mkdir -p */
			*s = '\0';
			mkdir(dir, 0755);
			*s = '/';
		}
		mkdir(dir, 0755);
		if (mount(spec, dir, "9p", 0, "trans=virtio,version=9p2000.L") == 0)
			printf("share: %s on %s\n", spec, dir);
		else
			printf("share: mount %s on %s: %s\n", spec, dir, strerror(errno));
	}
}

/* Run argv as one busybox shell command on the console; returns its exit status. */
static int run_shell(int argc, char **argv)
{
	char cmd[4096] = "";
	size_t len = 0;
	int status;
	pid_t pid;

	for (int i = 0; i < argc; i++) {
		int n = snprintf(cmd + len, sizeof(cmd) - len, "%s%s", i ? " " : "", argv[i]);
		if (n < 0 || (size_t)n >= sizeof(cmd) - len) {
			printf("init: command line too long\n");
			return 126;
		}
		len += (size_t)n;
	}
	mount("tmpfs", "/tmp", "tmpfs", 0, "mode=1777");
	setenv("PATH", "/bin:/sbin", 1);
	setenv("HOME", "/", 1);
	pid = fork();
	if (pid == 0) {
		execl("/bin/busybox", "busybox", "--install", "-s", "/bin", (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
	pid = fork();
	if (pid < 0)
		return 126;
	if (pid == 0) {
		setsid();
		ioctl(0, TIOCSCTTY, 0);
		execl("/bin/busybox", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	for (;;) {
		pid_t w = wait(&status);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return 126;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* `/init xattr list FILE | get FILE NAME | set FILE NAME VALUE | rm FILE NAME`, when run
 * from the shell (not as pid 1): busybox has no setfattr, and the share's tests need one. */
static int xattr_tool(int argc, char **argv)
{
	char buf[65536];
	ssize_t n;

	if (argc == 2 && strcmp(argv[0], "list") == 0) {
		n = listxattr(argv[1], buf, sizeof(buf));
		for (ssize_t i = 0; i < n; i += (ssize_t)strlen(buf + i) + 1)
			printf("%s\n", buf + i);
	} else if (argc == 3 && strcmp(argv[0], "get") == 0) {
		n = getxattr(argv[1], argv[2], buf, sizeof(buf) - 1);
		if (n >= 0)
			printf("%.*s\n", (int)n, buf);
	} else if (argc == 4 && strcmp(argv[0], "set") == 0) {
		n = setxattr(argv[1], argv[2], argv[3], strlen(argv[3]), 0);
	} else if (argc == 3 && strcmp(argv[0], "rm") == 0) {
		n = removexattr(argv[1], argv[2]);
	} else {
		fprintf(stderr, "usage: /init xattr list FILE | get FILE NAME | set FILE NAME "
		                "VALUE | rm FILE NAME\n");
		return 2;
	}
	if (n < 0) {
		printf("xattr %s: %s\n", argv[0], strerror(errno));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	char val[64], up[64];
	int fd;

	if (getpid() != 1 && argc >= 2 && strcmp(argv[1], "xattr") == 0)
		return xattr_tool(argc - 2, argv + 2);

	mkdir("/dev", 0755);
	mkdir("/proc", 0755);
	mkdir("/sys", 0755);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	fd = open("/dev/console", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (getpid() == 1) {
		struct sigaction sa = {.sa_handler = on_ctrl_alt_del};
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		reboot(RB_DISABLE_CAD);
	}
	(void)!write(1, BOOT_TIMER_MAGIC, sizeof(BOOT_TIMER_MAGIC) - 1);
	read_file("/proc/cmdline", cmdline, sizeof(cmdline));
	read_file("/proc/uptime", up, sizeof(up));
	printf("BERTH-GUEST-READY cpus=%ld uptime=%s\n", sysconf(_SC_NPROCESSORS_ONLN), up);
	mount_shares();

	if (param("berth.bench", val, sizeof(val)) != NULL) {
		long n = strtol(val, NULL, 10);
		bench(n > 0 && n < 1000 ? (unsigned)n : 1);
	}
	if (param("berth.test", val, sizeof(val)) != NULL) {
		if (strcmp(val, "disk") == 0)
			test_disk();
		else if (strcmp(val, "disk-ro") == 0)
			test_disk_ro();
		else if (strcmp(val, "reboot") == 0)
			power(RB_AUTOBOOT);
		else if (strcmp(val, "echo") == 0)
			test_echo();
	}
	net_up();
	if (argc > 1 && access("/bin/busybox", X_OK) == 0)
		printf("BERTH-GUEST-EXIT status=%d\n", run_shell(argc - 1, argv + 1));
	printf("BERTH-GUEST-POWEROFF\n");
	power(RB_POWER_OFF);
	return 0;
}
