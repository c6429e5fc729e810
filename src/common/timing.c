/* SPDX-License-Identifier: MIT */
#include "timing.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* -2: BERTH_TIMING not looked at yet; -1: off */
static int timing_file = -2;
static dev_t timing_dev;
static ino_t timing_ino;

static void timing_open(void)
{
	const char *path = getenv("BERTH_TIMING");
	struct stat st;
	int fd;

	timing_file = -1;
	if (path == NULL || *path == '\0')
		return;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return;
	}
	timing_dev = st.st_dev;
	timing_ino = st.st_ino;
	timing_file = fd;
}

int timing_fd(void)
{
	if (timing_file == -2)
		timing_open();
	return timing_file;
}

/* v in decimal at the end of buf[0..end): returns where it starts */
static char *timing_digits(char *end, unsigned long long v)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return end;
}

void timing_mark(const char *phase)
{
	char line[128], num[24];
	struct timespec ts;
	struct stat st;
	size_t len = 0, n;
	char *p;

	if (timing_file == -2)
		timing_open();
	if (timing_file < 0)
		return;
	/* a process that closed its fds may have another file under that number now */
	if (fstat(timing_file, &st) < 0 || st.st_dev != timing_dev || st.st_ino != timing_ino)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	p = timing_digits(num + sizeof(num), (unsigned long long)ts.tv_sec * 1000000ULL +
	                                         (unsigned long long)ts.tv_nsec / 1000);
	n = (size_t)(num + sizeof(num) - p);
	memcpy(line, p, n);
	len = n;
	line[len++] = ' ';
	p = timing_digits(num + sizeof(num), (unsigned long long)getpid());
	n = (size_t)(num + sizeof(num) - p);
	memcpy(line + len, p, n);
	len += n;
	line[len++] = ' ';
	n = strnlen(phase, sizeof(line) - len - 1);
	memcpy(line + len, phase, n);
	len += n;
	line[len++] = '\n';
	if (write(timing_file, line, len) < 0)
		return;
}
