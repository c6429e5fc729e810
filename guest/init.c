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
 *   -- WORDS...         (words after `--` reach init as arguments) run them as one shell
 *                       command, `/bin/busybox sh -c "WORDS..."`, with busybox's applets
 *                       in /bin and a tmpfs on /tmp; print BERTH-GUEST-EXIT status=N and
 *                       power off
 * The boot timer: the kernel has no /dev/mem, so init writes the magic byte sequence
 * "ESC _ berth-boot-timer ESC \" to the console (the UART); berth removes it from the
 * output and records the time. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

int main(int argc, char **argv)
{
	char val[64], up[64];
	int fd;

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
	(void)!write(1, BOOT_TIMER_MAGIC, sizeof(BOOT_TIMER_MAGIC) - 1);
	read_file("/proc/cmdline", cmdline, sizeof(cmdline));
	read_file("/proc/uptime", up, sizeof(up));
	printf("BERTH-GUEST-READY cpus=%ld uptime=%s\n", sysconf(_SC_NPROCESSORS_ONLN), up);

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
	if (argc > 1 && access("/bin/busybox", X_OK) == 0)
		printf("BERTH-GUEST-EXIT status=%d\n", run_shell(argc - 1, argv + 1));
	printf("BERTH-GUEST-POWEROFF\n");
	power(RB_POWER_OFF);
	return 0;
}
