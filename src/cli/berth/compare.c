/* SPDX-License-Identifier: MIT */
/* berth bench compare's measurements (compare.h): every instance is started by running this
 * same berth binary (/proc/self/exe, the same --root) as a subprocess, so what is measured is
 * what a user sees. Times come from when lines of the instance's output reach this process
 * (CLOCK_REALTIME), or from `logs -t` (the monitor's time of a line); memory from
 * /proc/PID/smaps_rollup of the instance's monitor and every process under it. */
#include "compare.h"
#include "engine/engine.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *const cmp_col_id[CMP_NCOL] = {"native", "emulated", "vm"};
const char *const cmp_col_title[CMP_NCOL] = {"native container", "emulated container",
                                             "VM-backed container"};
const struct cmp_row_info cmp_rows[CMP_NROW] = {
    [CMP_START_OUTPUT] = {"start_to_first_output", "start to first output (echo hi)", "ms", false,
                          true},
    [CMP_START_TRUE] = {"start_to_exit", "start to exit (true)", "ms", false, true},
    [CMP_MEMORY] = {"memory_per_instance", "host memory per idle instance (PSS)", "MiB", false,
                    true},
    [CMP_CPU] = {"cpu_sh_loop", "CPU: sh loop of 10000 additions", "ms", false, true},
    [CMP_IO_WRITE] = {"io_write_fsync", "file write 64 MiB + fsync", "MB/s", true, true},
    [CMP_IO_READ] = {"io_read", "file read 64 MiB", "MB/s", true, true},
    [CMP_NET] = {"network_throughput", "network, instance to instance (nc)", "MB/s", true, true},
    [CMP_DENSITY] = {"density_1gib", "idle instances in 1 GiB (extrapolated)", "instances", true,
                     true},
    [CMP_DISK] = {"disk_footprint", "on-disk footprint", "MB", false, true},
    [CMP_ISOLATION] = {"isolation", "isolation boundary", "text", false, false},
};

#define CMP_LOOP      "i=0; while [ $i -lt 10000 ]; do i=$((i+1)); done"
#define CMP_IO_MIB    64
#define CMP_PORT      5001
#define CMP_TIMEOUT   900.0 /* seconds: one berth subprocess at most (a VM under ASan) */
#define CMP_POLLS     2400  /* x 0.25 s: waiting for an instance's "ready" */
#define CMP_BUDGET    (1024.0 * 1024 * 1024)
#define CMP_INSTANCES 3

static volatile sig_atomic_t cmp_stop;

static void cmp_on_signal(int sig)
{
	(void)sig;
	cmp_stop = 1;
}

struct cmp_line {
	char *text;
	double t; /* CLOCK_REALTIME when it arrived */
};

struct cmp_proc {
	double t0, t_end; /* spawned, exited */
	int status;       /* exit status; -1 when killed (timeout, interrupt) */
	struct cmp_line *lines;
	size_t n_lines;
	char *err; /* stderr */
};

struct cmp {
	struct engine *e;
	const char *image;
	char self[PATH_MAX];
	char prefix[32];
	int runs;
	char **names; /* everything started, to remove */
	size_t n_names;
	bool net_made;
	struct cmp_result *r;
};

static double cmp_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void cmp_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void cmp_progress(const char *fmt, ...)
{
	va_list ap;
	fputs("bench compare: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("…\n", stderr);
}

static void cmp_proc_free(struct cmp_proc *p)
{
	for (size_t i = 0; i < p->n_lines; i++)
		free(p->lines[i].text);
	free(p->lines);
	free(p->err);
	memset(p, 0, sizeof(*p));
}

/* The first line of the subprocess's stderr, without "berth: CMD: " (heap). */
static char *cmp_proc_why(const struct cmp_proc *p)
{
	const char *s = p->err && p->err[0] ? p->err : "failed with no message";
	const char *b = strncmp(s, "berth: ", 7) == 0 ? s + 7 : s;
	const char *c = strstr(b, ": ");
	size_t n;
	if (c && c - b < 16)
		b = c + 2;
	n = strcspn(b, "\n");
	if (p->status == -1 && cmp_stop)
		return xstrdup("interrupted");
	if (p->status == -1)
		return xasprintf("timed out after %.0f s", CMP_TIMEOUT);
	return xasprintf("%.*s", (int)n, b);
}

static void cmp_take_lines(struct cmp_proc *p, char **buf, size_t *len, bool all)
{
	double t = cmp_now();
	char *nl;
	while ((nl = memchr(*buf, '\n', *len)) != NULL || (all && *len > 0)) {
		size_t n = nl ? (size_t)(nl - *buf) : *len;
		p->lines = xrealloc(p->lines, (p->n_lines + 1) * sizeof(*p->lines));
		p->lines[p->n_lines].text = xasprintf("%.*s", (int)n, *buf);
		p->lines[p->n_lines++].t = t;
		n += nl ? 1 : 0;
		memmove(*buf, *buf + n, *len - n);
		*len -= n;
	}
}

/* Run berth --root ROOT args… with stdin /dev/null; stdout as timed lines, stderr kept.
 * Killed (status -1) after CMP_TIMEOUT or on an interrupt. */
static void cmp_berth(struct cmp *c, struct cmp_proc *p, char *const *args)
{
	int op[2], ep[2];
	char *argv[64];
	size_t n = 0, olen = 0, elen = 0;
	char *obuf = xmalloc0(4096), *ebuf = xmalloc0(1);
	size_t ocap = 4096;
	pid_t pid;
	int st;
	bool oopen = true, eopen = true, killed = false;

	memset(p, 0, sizeof(*p));
	argv[n++] = c->self;
	argv[n++] = (char *)"--root";
	argv[n++] = c->e->root;
	for (size_t i = 0; args[i] && n < ARRAY_SIZE(argv) - 1; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	if (pipe2(op, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0)
		abort();
	p->t0 = cmp_now();
	pid = fork();
	if (pid < 0)
		abort();
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);
		if (null < 0 || dup2(null, 0) < 0 || dup2(op[1], 1) < 0 || dup2(ep[1], 2) < 0)
			_exit(127);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		execv(c->self, argv);
		_exit(127);
	}
	close(op[1]);
	close(ep[1]);
	while (oopen || eopen) {
		struct pollfd pf[2] = {{oopen ? op[0] : -1, POLLIN, 0},
		                       {eopen ? ep[0] : -1, POLLIN, 0}};
		int k = poll(pf, 2, 250);
		if (!killed && (cmp_stop || cmp_now() - p->t0 > CMP_TIMEOUT)) {
			kill(pid, SIGKILL);
			killed = true;
		}
		if (k <= 0)
			continue;
		if (oopen && pf[0].revents) {
			ssize_t r;
			if (ocap - olen < 4096)
				obuf = xrealloc(obuf, ocap *= 2);
			r = read(op[0], obuf + olen, ocap - olen);
			if (r <= 0)
				oopen = false;
			else
				olen += (size_t)r;
			cmp_take_lines(p, &obuf, &olen, !oopen);
		}
		if (eopen && pf[1].revents) {
			char b[4096];
			ssize_t r = read(ep[0], b, sizeof(b));
			if (r <= 0) {
				eopen = false;
			} else if (elen < 65536) {
				ebuf = xrealloc(ebuf, elen + (size_t)r + 1);
				memcpy(ebuf + elen, b, (size_t)r);
				elen += (size_t)r;
				ebuf[elen] = '\0';
			}
		}
	}
	close(op[0]);
	close(ep[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	p->t_end = cmp_now();
	free(obuf);
	p->err = ebuf;
	p->status = killed ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A name of this run's (kept for the clean-up): PREFIX-what (heap). */
static char *cmp_name(struct cmp *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *cmp_name(struct cmp *c, const char *fmt, ...)
{
	va_list ap;
	char *tail, *name;
	va_start(ap, fmt);
	if (vasprintf(&tail, fmt, ap) < 0)
		abort();
	va_end(ap);
	name = xasprintf("%s-%s", c->prefix, tail);
	free(tail);
	c->names = xrealloc(c->names, (c->n_names + 1) * sizeof(char *));
	c->names[c->n_names++] = xstrdup(name);
	return name;
}

static void cmp_rm(struct cmp *c, const char *name)
{
	struct cmp_proc p;
	char *args[] = {(char *)"rm", (char *)"-f", (char *)name, NULL};
	bool stop = cmp_stop;
	cmp_stop = 0; /* the clean-up runs to its end */
	cmp_berth(c, &p, args);
	cmp_stop = stop;
	cmp_proc_free(&p);
}

/* Everything this run started: its containers by name (those still there), its network. */
static void cmp_cleanup(struct cmp *c)
{
	struct ctr_info *v = NULL;
	size_t n = 0;
	berth_error_t e2 = NULL;

	if (ctr_get_all(c->e, &v, &n, &e2) == 0) {
		for (size_t i = 0; i < n; i++)
			if (v[i].name && strncmp(v[i].name, c->prefix, strlen(c->prefix)) == 0)
				cmp_rm(c, v[i].name);
		ctr_infos_free(v, n);
	}
	berth_error_release(&e2);
	if (c->net_made) {
		struct cmp_proc p;
		cleanup_free char *net = xasprintf("%s-net", c->prefix);
		char *args[] = {(char *)"network", (char *)"rm", net, NULL};
		bool stop = cmp_stop;
		cmp_stop = 0;
		cmp_berth(c, &p, args);
		cmp_stop = stop;
		cmp_proc_free(&p);
	}
	for (size_t i = 0; i < c->n_names; i++)
		free(c->names[i]);
	free(c->names);
	c->names = NULL;
	c->n_names = 0;
}

/* The options that make an instance of column col (NULL-terminated pieces into args). */
static size_t cmp_mode(enum cmp_col col, char **args, size_t n)
{
	if (col == CMP_EMULATED) {
		args[n++] = (char *)"--platform";
		args[n++] = (char *)"linux/riscv64";
	} else if (col == CMP_VM) {
		args[n++] = (char *)"--vm";
	}
	return n;
}

static int cmp_dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double cmp_median(double *v, size_t n)
{
	qsort(v, n, sizeof(double), cmp_dbl_cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void cmp_fail(struct cmp *c, enum cmp_row row, enum cmp_col col, char *why)
{
	struct cmp_cell *x = &c->r->cell[row][col];
	x->ok = false;
	free(x->note);
	x->note = why;
}

static void cmp_set(struct cmp *c, enum cmp_row row, enum cmp_col col, double v)
{
	c->r->cell[row][col].ok = true;
	c->r->cell[row][col].value = v;
}

/* ---- start ------------------------------------------------------------------------------ */
static void cmp_start(struct cmp *c, enum cmp_col col)
{
	double *first = xmalloc0(sizeof(double) * (size_t)c->runs);
	double *exit = xmalloc0(sizeof(double) * (size_t)c->runs);
	char *why = NULL;

	for (int i = 0; i < c->runs && !why && !cmp_stop; i++) {
		for (int k = 0; k < 2 && !why; k++) {
			cleanup_free char *name =
			    cmp_name(c, "start-%s-%d-%d", cmp_col_id[col], i, k);
			char *args[16] = {(char *)"run", (char *)"--rm",      (char *)"--name",
			                  name,          (char *)"--network", (char *)"none"};
			size_t n = cmp_mode(col, args, 6);
			struct cmp_proc p;
			cmp_progress("start: %s %s, run %d/%d", cmp_col_title[col],
			             k ? "true" : "echo hi", i + 1, c->runs);
			args[n++] = (char *)c->image;
			args[n++] = k ? (char *)"true" : (char *)"echo";
			if (!k)
				args[n++] = (char *)"hi";
			cmp_berth(c, &p, args);
			if (p.status != 0)
				why = cmp_proc_why(&p);
			else if (!k && (p.n_lines == 0 || strcmp(p.lines[0].text, "hi") != 0))
				why = xstrdup("`echo hi` printed no `hi`");
			else if (k)
				exit[i] = (p.t_end - p.t0) * 1000;
			else
				first[i] = (p.lines[0].t - p.t0) * 1000;
			cmp_proc_free(&p);
		}
	}
	if (why || cmp_stop) {
		cmp_fail(c, CMP_START_OUTPUT, col, why ? xstrdup(why) : xstrdup("interrupted"));
		cmp_fail(c, CMP_START_TRUE, col, why ? why : xstrdup("interrupted"));
	} else {
		cmp_set(c, CMP_START_OUTPUT, col, cmp_median(first, (size_t)c->runs));
		cmp_set(c, CMP_START_TRUE, col, cmp_median(exit, (size_t)c->runs));
	}
	free(first);
	free(exit);
}

/* ---- CPU and file I/O: one instance, markers around each piece of work ------------------ */
/* The durations between lines `open` and `close` (s), in order. */
static size_t cmp_spans(const struct cmp_proc *p, const char *open, const char *close, double *out,
                        size_t max)
{
	size_t n = 0;
	double t = -1;
	for (size_t i = 0; i < p->n_lines; i++) {
		if (strcmp(p->lines[i].text, open) == 0)
			t = p->lines[i].t;
		else if (strcmp(p->lines[i].text, close) == 0 && t >= 0 && n < max) {
			out[n++] = p->lines[i].t - t;
			t = -1;
		}
	}
	return n;
}

static void cmp_work(struct cmp *c, enum cmp_col col)
{
	cleanup_free char *name = cmp_name(c, "work-%s", cmp_col_id[col]);
	cleanup_free char *script = xasprintf(
	    "r=0; while [ $r -lt %d ]; do echo @c0; " CMP_LOOP "; echo @c1; r=$((r+1)); done; "
	    "r=0; while [ $r -lt %d ]; do echo @w0; "
	    "dd if=/dev/zero of=/berth-compare.io bs=1048576 count=%d conv=fsync 2>/dev/null; "
	    "echo @w1; echo @r0; dd if=/berth-compare.io of=/dev/null bs=1048576 2>/dev/null; "
	    "echo @r1; rm -f /berth-compare.io; r=$((r+1)); done",
	    c->runs, c->runs, CMP_IO_MIB);
	char *args[16] = {(char *)"run", (char *)"--rm",      (char *)"--name",
	                  name,          (char *)"--network", (char *)"none"};
	size_t n = cmp_mode(col, args, 6);
	double *v = xmalloc0(sizeof(double) * (size_t)c->runs);
	struct cmp_proc p;
	static const struct {
		enum cmp_row row;
		const char *open, *close;
	} spans[] = {
	    {CMP_CPU, "@c0", "@c1"}, {CMP_IO_WRITE, "@w0", "@w1"}, {CMP_IO_READ, "@r0", "@r1"}};

	cmp_progress("CPU and file I/O: %s (%d runs of each)", cmp_col_title[col], c->runs);
	args[n++] = (char *)c->image;
	args[n++] = (char *)"sh";
	args[n++] = (char *)"-c";
	args[n++] = script;
	cmp_berth(c, &p, args);
	for (size_t s = 0; s < ARRAY_SIZE(spans); s++) {
		size_t k = cmp_spans(&p, spans[s].open, spans[s].close, v, (size_t)c->runs);
		if (p.status != 0 || k != (size_t)c->runs) {
			cmp_fail(c, spans[s].row, col,
			         p.status ? cmp_proc_why(&p)
			                  : xstrdup("the markers were not all printed"));
			continue;
		}
		double m = cmp_median(v, k);
		if (m <= 0) {
			/* both markers came in one read: the monitor or this process was not
			 * scheduled for the whole piece of work */
			cmp_fail(c, spans[s].row, col,
			         xstrdup("too quick to time here: both markers arrived together"));
			continue;
		}
		if (spans[s].row == CMP_CPU)
			cmp_set(c, CMP_CPU, col, m * 1000);
		else
			cmp_set(c, spans[s].row, col, CMP_IO_MIB * 1048576.0 / 1e6 / m);
	}
	cmp_proc_free(&p);
	free(v);
}

/* ---- memory: PSS of an instance's host processes ---------------------------------------- */
static long long cmp_pss_kb(pid_t pid)
{
	char path[64], line[256];
	long long kb = -1;
	FILE *f;
	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	f = fopen(path, "re");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Pss: %lld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static pid_t cmp_ppid(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int ppid = 0;
	cleanup_close int fd = -1;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (n = read(fd, buf, sizeof(buf) - 1)) <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (p == NULL || sscanf(p + 1, " %*c %d", &ppid) != 1)
		return 0;
	return (pid_t)ppid;
}

/* The PSS (kB) of the roots and every process under them; *nproc how many. */
static long long cmp_tree_pss(const pid_t *roots, size_t n_roots, int *nproc)
{
	pid_t *pids = NULL, *pp = NULL;
	size_t n = 0;
	long long sum = 0;
	DIR *d = opendir("/proc");
	struct dirent *de;
	bool *in;

	*nproc = 0;
	while (d && (de = readdir(d)) != NULL) {
		int pid = atoi(de->d_name);
		if (pid <= 0)
			continue;
		pids = xrealloc(pids, (n + 1) * sizeof(pid_t));
		pp = xrealloc(pp, (n + 1) * sizeof(pid_t));
		pids[n] = pid;
		pp[n++] = cmp_ppid(pid);
	}
	if (d)
		closedir(d);
	in = xmalloc0(n + 1);
	for (bool more = true; more;) {
		more = false;
		for (size_t i = 0; i < n; i++) {
			if (in[i])
				continue;
			for (size_t r = 0; r < n_roots && !in[i]; r++)
				if (roots[r] > 0 && pids[i] == roots[r])
					in[i] = true;
			for (size_t j = 0; j < n && !in[i]; j++)
				if (in[j] && pids[j] == pp[i])
					in[i] = true;
			more |= in[i];
		}
	}
	for (size_t i = 0; i < n; i++)
		if (in[i]) {
			long long kb = cmp_pss_kb(pids[i]);
			if (kb > 0) {
				sum += kb;
				++*nproc;
			}
		}
	free(in);
	free(pids);
	free(pp);
	return sum;
}

/* Whether name's log has a line `ready` (polled, bounded); false when it exited first. */
static bool cmp_wait_ready(struct cmp *c, const char *name, char **why)
{
	for (int i = 0; i < CMP_POLLS && !cmp_stop; i++) {
		struct cmp_proc p;
		struct ctr_info info = {0};
		berth_error_t e2 = NULL;
		char *args[] = {(char *)"logs", (char *)name, NULL};
		bool ready = false;
		cmp_berth(c, &p, args);
		for (size_t k = 0; k < p.n_lines; k++)
			ready |= strcmp(p.lines[k].text, "ready") == 0;
		cmp_proc_free(&p);
		if (ready)
			return true;
		if (ctr_get(c->e, name, &info, &e2) < 0 || !ctr_status_running(info.status)) {
			*why = xasprintf("instance %s stopped before it was ready%s%s", name,
			                 e2 ? ": " : "", e2 ? e2->msg : "");
			berth_error_release(&e2);
			ctr_info_free(&info);
			return false;
		}
		ctr_info_free(&info);
		usleep(250000);
	}
	*why = xasprintf(cmp_stop ? "interrupted" : "instance %s was not ready in %d s", name,
	                 CMP_POLLS / 4);
	return false;
}

/* run -d NAME MODE [extra…] IMAGE sh -c SCRIPT; *why when it did not start. */
static bool cmp_detach(struct cmp *c, enum cmp_col col, const char *name, char *const *extra,
                       const char *script, char **why)
{
	char *args[24] = {(char *)"run", (char *)"-d", (char *)"--name", (char *)name};
	size_t n = cmp_mode(col, args, 4);
	struct cmp_proc p;
	bool ok;
	for (size_t i = 0; extra && extra[i]; i++)
		args[n++] = extra[i];
	args[n++] = (char *)c->image;
	args[n++] = (char *)"sh";
	args[n++] = (char *)"-c";
	args[n++] = (char *)script;
	cmp_berth(c, &p, args);
	ok = p.status == 0;
	if (!ok)
		*why = cmp_proc_why(&p);
	cmp_proc_free(&p);
	return ok;
}

static void cmp_memory(struct cmp *c, enum cmp_col col)
{
	char *names[CMP_INSTANCES] = {0};
	char *none[] = {(char *)"--network", (char *)"none", NULL};
	char *why = NULL;
	double sum = 0;
	int i;

	for (i = 0; i < CMP_INSTANCES && !why && !cmp_stop; i++) {
		names[i] = cmp_name(c, "mem-%s-%d", cmp_col_id[col], i);
		cmp_progress("memory: starting %s instance %d/%d", cmp_col_title[col], i + 1,
		             CMP_INSTANCES);
		if (cmp_detach(c, col, names[i], none, "echo ready; exec sleep 100000", &why))
			cmp_wait_ready(c, names[i], &why);
	}
	if (!why && !cmp_stop) {
		sleep(1); /* settled: idle */
		for (i = 0; i < CMP_INSTANCES && !why; i++) {
			struct ctr_info info = {0};
			berth_error_t e2 = NULL;
			pid_t roots[2];
			int np;
			long long kb;
			if (ctr_get(c->e, names[i], &info, &e2) < 0) {
				why = xstrdup(e2->msg);
				berth_error_release(&e2);
				break;
			}
			roots[0] = info.monitor_pid;
			roots[1] = info.pid;
			kb = cmp_tree_pss(roots, 2, &np);
			ctr_info_free(&info);
			if (kb <= 0 || np == 0)
				why = xasprintf("no process of %s to measure", names[i]);
			sum += (double)kb;
		}
	}
	for (i = 0; i < CMP_INSTANCES; i++)
		if (names[i]) {
			cmp_rm(c, names[i]);
			free(names[i]);
		}
	if (why || cmp_stop) {
		cmp_fail(c, CMP_MEMORY, col, why ? xstrdup(why) : xstrdup("interrupted"));
		cmp_fail(c, CMP_DENSITY, col, why ? why : xstrdup("interrupted"));
		return;
	}
	cmp_set(c, CMP_MEMORY, col, sum / CMP_INSTANCES / 1024);
	cmp_set(c, CMP_DENSITY, col, floor(CMP_BUDGET / (sum / CMP_INSTANCES * 1024)));
	c->r->cell[CMP_DENSITY][col].note =
	    xasprintf("extrapolated: 1 GiB / the mean PSS of %d idle instances", CMP_INSTANCES);
}

/* ---- network ---------------------------------------------------------------------------- */
/* A free TCP port of 127.0.0.1 (0 when none). */
static int cmp_free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t l = sizeof(a);
	cleanup_close int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &l) < 0)
		return 0;
	return ntohs(a.sin_port);
}

/* logs -t's "2026-12-06T08:35:13.964134541Z" as seconds since the epoch (-1 when not). */
static double cmp_log_time(const char *s)
{
	struct tm tm = {0};
	const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	double frac = 0, scale = 0.1;
	if (p == NULL)
		return -1;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
			frac += (*p - '0') * scale;
	return (double)timegm(&tm) + frac;
}

static void cmp_net(struct cmp *c, enum cmp_col col)
{
	/* a VM's guest through slirp is slower by far: fewer bytes */
	const int blocks = col == CMP_VM ? 64 : 512;
	const unsigned long long bytes = (unsigned long long)blocks * 65536;
	cleanup_free char *srv = cmp_name(c, "net-srv-%s", cmp_col_id[col]);
	cleanup_free char *cli = cmp_name(c, "net-cli-%s", cmp_col_id[col]);
	cleanup_free char *net = xasprintf("%s-net", c->prefix);
	cleanup_free char *pub = NULL, *pub2 = NULL, *target = NULL, *script = NULL;
	char *extra[8] = {0};
	char *why = NULL;
	double t0 = -1, t1 = -1;
	unsigned long long got = 0;
	struct cmp_proc p;
	int port = CMP_PORT;

	memset(&p, 0, sizeof(p));
	if (col == CMP_VM) {
		/* the guests' user-mode networks meet at the host's 127.0.0.1: the server's port
		 * published there, reached as 10.0.2.2 (slirp's address of the host) from the
		 * client's guest, which needs a published port of its own to have a network */
		int hp = cmp_free_port(), hp2 = cmp_free_port();
		if (hp == 0 || hp2 == 0 || hp == hp2) {
			cmp_fail(c, CMP_NET, col, xstrdup("no free port on 127.0.0.1"));
			return;
		}
		pub = xasprintf("127.0.0.1:%d:%d", hp, CMP_PORT);
		pub2 = xasprintf("127.0.0.1:%d:%d", hp2, CMP_PORT + 1);
		extra[0] = (char *)"-p";
		extra[1] = pub;
		target = xstrdup("10.0.2.2");
		port = hp;
	} else {
		if (!c->net_made) {
			char *args[] = {(char *)"network", (char *)"create", net, NULL};
			cmp_berth(c, &p, args);
			if (p.status != 0) {
				cmp_fail(c, CMP_NET, col, cmp_proc_why(&p));
				cmp_proc_free(&p);
				return;
			}
			cmp_proc_free(&p);
			c->net_made = true;
		}
		extra[0] = (char *)"--network";
		extra[1] = net;
	}
	cmp_progress("network: starting %s server", cmp_col_title[col]);
	if (!cmp_detach(c, col, srv, extra, "echo ready; sleep 100000 | nc -l -p 5001 | wc -c",
	                &why) ||
	    !cmp_wait_ready(c, srv, &why))
		goto out;
	if (target == NULL) {
		struct ctr_info info = {0};
		berth_error_t e2 = NULL;
		if (ctr_get(c->e, srv, &info, &e2) < 0 || info.ip == NULL) {
			why = xasprintf("the server has no address%s%s", e2 ? ": " : "",
			                e2 ? e2->msg : "");
			berth_error_release(&e2);
			ctr_info_free(&info);
			goto out;
		}
		target = xasprintf("%.*s", (int)strcspn(info.ip, "/"), info.ip);
		ctr_info_free(&info);
	}
	/* the client tries again while the server's nc does not listen yet */
	script = xasprintf("i=0; while [ $i -lt 100 ]; do echo @0; "
	                   "dd if=/dev/zero bs=65536 count=%d 2>/dev/null | nc %s %d && break; "
	                   "i=$((i+1)); sleep 0.3; done; echo @end",
	                   blocks, target, port);
	{
		char *args[24] = {(char *)"run", (char *)"--rm", (char *)"--name", cli};
		size_t n = cmp_mode(col, args, 4);
		if (col == CMP_VM) {
			args[n++] = (char *)"-p";
			args[n++] = pub2;
		} else {
			args[n++] = (char *)"--network";
			args[n++] = net;
		}
		args[n++] = (char *)c->image;
		args[n++] = (char *)"sh";
		args[n++] = (char *)"-c";
		args[n++] = script;
		cmp_progress("network: %s client sends %llu MiB", cmp_col_title[col], bytes >> 20);
		cmp_berth(c, &p, args);
		if (p.status != 0) {
			why = cmp_proc_why(&p);
			goto out;
		}
		for (size_t k = 0; k < p.n_lines; k++)
			if (strcmp(p.lines[k].text, "@0") == 0)
				t0 = p.lines[k].t;
		cmp_proc_free(&p);
	}
	/* the server's nc ends when the client's connection closes (its stdin, a sleep, stays
	 * open), and wc prints the count: its line's time in the log is the end */
	for (int i = 0; i < CMP_POLLS && t1 < 0 && !cmp_stop; i++) {
		char *largs[] = {(char *)"logs", (char *)"-t", srv, NULL};
		if (i)
			usleep(250000);
		cmp_berth(c, &p, largs);
		for (size_t k = 0; k < p.n_lines; k++) {
			const char *sp = strchr(p.lines[k].text, ' ');
			char *end;
			unsigned long long v;
			if (sp == NULL)
				continue;
			while (*sp == ' ')
				sp++;
			if (*sp < '0' || *sp > '9')
				continue;
			v = strtoull(sp, &end, 10);
			if (*end != '\0')
				continue;
			got = v;
			t1 = cmp_log_time(p.lines[k].text);
		}
		cmp_proc_free(&p);
	}
	if (got != bytes)
		why = xasprintf("the server received %llu of %llu bytes", got, bytes);
	else if (t0 < 0 || t1 <= t0)
		why = xstrdup("no times to measure the transfer by");
out:
	cmp_proc_free(&p);
	cmp_rm(c, srv);
	if (why || cmp_stop) {
		cmp_fail(c, CMP_NET, col, why ? why : xstrdup("interrupted"));
		return;
	}
	cmp_set(c, CMP_NET, col, (double)bytes / 1e6 / (t1 - t0));
	c->r->cell[CMP_NET][col].note =
	    col == CMP_VM
	        ? xasprintf("%llu MiB, guest to guest through both VMs' user-mode networks "
	                    "(slirp) and 127.0.0.1:%d",
	                    bytes >> 20, port)
	        : xasprintf("%llu MiB over the berth network %s (bridge)", bytes >> 20, net);
}

/* ---- footprint and isolation, from the store and the configuration ---------------------- */
static long long cmp_file_size(const char *path)
{
	struct stat st;
	return path && stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* The interpreter binfmt_misc runs riscv64 ELF files with (heap), or NULL. */
static char *cmp_qemu_path(void)
{
	DIR *d = opendir("/proc/sys/fs/binfmt_misc");
	struct dirent *de;
	char *found = NULL;
	while (d && found == NULL && (de = readdir(d)) != NULL) {
		char path[512], line[512];
		FILE *f;
		bool on = false;
		if (strstr(de->d_name, "riscv64") == NULL)
			continue;
		snprintf(path, sizeof(path), "/proc/sys/fs/binfmt_misc/%s", de->d_name);
		f = fopen(path, "re");
		if (f == NULL)
			continue;
		while (fgets(line, sizeof(line), f)) {
			on |= strncmp(line, "enabled", 7) == 0;
			if (on && strncmp(line, "interpreter ", 12) == 0 && found == NULL)
				found = xasprintf("%.*s", (int)strcspn(line + 12, "\n"), line + 12);
		}
		fclose(f);
	}
	if (d)
		closedir(d);
	if (found == NULL) {
		const char *dir = getenv("BERTH_QEMU_DIR");
		found = xasprintf("%s/qemu-riscv64-static", dir && dir[0] ? dir : "/usr/bin");
	}
	return found;
}

static long long cmp_image_size(struct cmp *c, const char *platform, char **why)
{
	struct image *img = NULL;
	berth_error_t e2 = NULL;
	char *s;
	json_t *j;
	long long size = -1;
	if (image_find_platform(c->e, c->image, platform, &img, &e2) < 0) {
		*why = xstrdup(e2->msg);
		berth_error_release(&e2);
		return -1;
	}
	s = image_inspect_json(c->e, img);
	j = s ? json_loads(s, 0, NULL) : NULL;
	if (j)
		size = (long long)json_integer_value(json_object_get(j, "size"));
	json_decref(j);
	free(s);
	image_free(img);
	return size;
}

static void cmp_disk(struct cmp *c, enum cmp_col col)
{
	char *why = NULL;
	long long img = cmp_image_size(c, col == CMP_NATIVE ? NULL : "linux/riscv64", &why);
	if (img < 0) {
		cmp_fail(c, CMP_DISK, col, why ? why : xstrdup("no size"));
		return;
	}
	if (col == CMP_NATIVE) {
		cmp_set(c, CMP_DISK, col, (double)img / 1e6);
		c->r->cell[CMP_DISK][col].note = xstrdup("the image's host variant, unpacked");
	} else if (col == CMP_EMULATED) {
		cleanup_free char *q = cmp_qemu_path();
		long long qs = cmp_file_size(q);
		if (qs < 0) {
			cmp_fail(c, CMP_DISK, col, xasprintf("no qemu-user interpreter `%s`", q));
			return;
		}
		cmp_set(c, CMP_DISK, col, (double)(img + qs) / 1e6);
		c->r->cell[CMP_DISK][col].note = xasprintf("riscv64 variant %.1f MB + %s %.1f MB",
		                                           (double)img / 1e6, q, (double)qs / 1e6);
	} else {
		cleanup_free char *k = NULL, *i = NULL;
		berth_error_t e2 = NULL;
		long long ks, is;
		if (vmctr_guest_files(&k, &i, &e2) < 0) {
			cmp_fail(c, CMP_DISK, col, xstrdup(e2->msg));
			berth_error_release(&e2);
			return;
		}
		ks = cmp_file_size(k);
		is = cmp_file_size(i);
		cmp_set(c, CMP_DISK, col, (double)(img + ks + is) / 1e6);
		c->r->cell[CMP_DISK][col].note =
		    xasprintf("riscv64 variant %.1f MB + kernel %.1f MB + agent initramfs %.2f MB",
		              (double)img / 1e6, (double)ks / 1e6, (double)is / 1e6);
	}
}

/* From a created (not started) instance's config.json and record. */
static void cmp_isolation(struct cmp *c, enum cmp_col col)
{
	cleanup_free char *name = cmp_name(c, "iso-%s", cmp_col_id[col]);
	char *args[16] = {(char *)"create", (char *)"--name", name, (char *)"--network",
	                  (char *)"none"};
	size_t n = cmp_mode(col, args, 5);
	struct cmp_proc p;
	struct ctr_info info = {0};
	berth_error_t e2 = NULL;
	cleanup_free char *cfgpath = NULL, *ns = xstrdup(""), *text = NULL;
	json_t *cfg = NULL, *linux_, *v;
	size_t i, ncap = 0, nsys = 0;
	struct utsname u;

	args[n++] = (char *)c->image;
	args[n++] = (char *)"true";
	cmp_berth(c, &p, args);
	if (p.status != 0) {
		cmp_fail(c, CMP_ISOLATION, col, cmp_proc_why(&p));
		cmp_proc_free(&p);
		return;
	}
	cmp_proc_free(&p);
	if (ctr_get(c->e, name, &info, &e2) < 0) {
		cmp_fail(c, CMP_ISOLATION, col, xstrdup(e2->msg));
		berth_error_release(&e2);
		cmp_rm(c, name);
		return;
	}
	cfgpath = engine_path(c->e, "containers/%s/config.json", info.id);
	cfg = json_load_file(cfgpath, 0, NULL);
	linux_ = json_object_get(cfg, "linux");
	json_array_foreach(json_object_get(linux_, "namespaces"), i, v)
	{
		char *t = xasprintf("%s%s%s", ns, ns[0] ? "," : "",
		                    json_string_value(json_object_get(v, "type")) ?: "?");
		free(ns);
		ns = t;
	}
	ncap = json_array_size(json_object_get(
	    json_object_get(json_object_get(cfg, "process"), "capabilities"), "bounding"));
	v = json_object_get(linux_, "seccomp");
	json_array_foreach(json_object_get(v, "syscalls"), i, linux_) nsys +=
	    json_array_size(json_object_get(linux_, "names"));
	uname(&u);
	if (col != CMP_VM) {
		text = xasprintf(
		    "shared host kernel (Linux %s); namespaces %s; %zu capabilities; %s%s",
		    u.release, ns[0] ? ns : "none", ncap,
		    v ? "seccomp filter" : "no seccomp filter",
		    col == CMP_EMULATED ? "; plus qemu-user translating riscv64 code, whose system "
		                          "calls reach the same host kernel"
		                        : "");
	} else {
		json_t *vm = json_object_get(info.raw, "vm");
		size_t fwd = json_array_size(json_object_get(vm, "hostfwd"));
		cleanup_free char *k = NULL, *ini = NULL;
		berth_error_t e3 = NULL;
		const char *kb = NULL;
		if (vmctr_guest_files(&k, &ini, &e3) == 0)
			kb = strrchr(k, '/') ? strrchr(k, '/') + 1 : k;
		berth_error_release(&e3);
		text = xasprintf(
		    "own kernel (%s, riscv64) in a software-emulated RV64GC machine of "
		    "%lld MiB, %lld hart(s); host interfaces: virtio-9p x2 (root, "
		    "config), virtio-console x3 (stdout, stderr, control)%s; the emulator "
		    "is a host process outside the container's namespaces",
		    kb ? kb : "no kernel built",
		    (long long)json_integer_value(json_object_get(vm, "memory")) >> 20,
		    (long long)json_integer_value(json_object_get(vm, "cpus")),
		    fwd ? ", virtio-net (slirp)" : ", no network device (no -p)");
	}
	(void)nsys;
	c->r->cell[CMP_ISOLATION][col].ok = true;
	c->r->cell[CMP_ISOLATION][col].text = util_steal_ptr(text);
	json_decref(cfg);
	ctr_info_free(&info);
	cmp_rm(c, name);
}

/* ---- the whole ------------------------------------------------------------------------ */
static char *cmp_kvm_why(void)
{
	struct utsname u;
	bool pvm = access("/sys/module/kvm_pvm", F_OK) == 0;
	bool kvm = access("/dev/kvm", F_OK) == 0;
	uname(&u);
	return xasprintf(
	    "no KVM column: %s%s; the guest is riscv64 and this host is %s, and berth "
	    "vm emulates RV64GC in software (it has no KVM backend)",
	    kvm ? "there is a /dev/kvm" : "this host has no /dev/kvm",
	    pvm ? " (the kvm_pvm module is loaded: it runs only PVM-aware guests)" : "", u.machine);
}

static char *cmp_host(void)
{
	struct utsname u;
	double load[1] = {0};
	uname(&u);
	getloadavg(load, 1);
	return xasprintf("%ld CPUs, %s %s, load average %.1f", sysconf(_SC_NPROCESSORS_ONLN),
	                 u.sysname, u.release, load[0]);
}

int cmp_measure(struct engine *e, const char *image, int runs, struct cmp_result *r,
                berth_error_t *err)
{
	struct cmp c = {.e = e, .image = image, .runs = runs, .r = r};
	struct sigaction sa = {.sa_handler = cmp_on_signal}, old_int, old_term;
	ssize_t n;
	bool any = false;
	int ret = -1;

	memset(r, 0, sizeof(*r));
	r->image = image;
	r->runs = runs;
	r->instances = CMP_INSTANCES;
	if (!image_present(e, image))
		return berth_error(err, 0,
		                   "no image `%s` in the store (berth pull %s, or berth images)",
		                   image, image);
	n = readlink("/proc/self/exe", c.self, sizeof(c.self) - 1);
	if (n <= 0)
		return berth_error(err, errno, "readlink /proc/self/exe");
	c.self[n] = '\0';
	snprintf(c.prefix, sizeof(c.prefix), "cmp%d", (int)getpid());
	r->host = cmp_host();
	r->kvm_why = cmp_kvm_why();
	for (int k = 0; k < CMP_NCOL; k++) {
		berth_error_t e2 = NULL;
		struct image *img = NULL;
		r->col_platform[k] = xstrdup(k == CMP_NATIVE ? "host" : "linux/riscv64");
		if (image_find_platform(e, image, k == CMP_NATIVE ? NULL : "linux/riscv64", &img,
		                        &e2) < 0) {
			r->col_why[k] = xstrdup(e2->msg);
		} else if (k == CMP_NATIVE) {
			const char *os = json_string_value(json_object_get(img->config, "os"));
			const char *arch =
			    json_string_value(json_object_get(img->config, "architecture"));
			free(r->col_platform[k]);
			r->col_platform[k] = xasprintf("%s/%s", os ? os : "?", arch ? arch : "?");
		}
		berth_error_release(&e2);
		image_free(img);
		if (k == CMP_VM && r->col_why[k] == NULL) {
			struct run_opts o = {.vm = true};
			if (vmctr_check(&o, &e2) < 0)
				r->col_why[k] = xstrdup(e2->msg);
			berth_error_release(&e2);
		}
		any |= r->col_why[k] == NULL;
	}
	if (!any)
		return berth_error(err, 0, "`%s` cannot run in any column: %s", image,
		                   r->col_why[CMP_NATIVE]);
	cmp_stop = 0;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	for (int k = 0; k < CMP_NCOL; k++)
		for (int w = 0; w < CMP_NROW; w++)
			if (r->col_why[k])
				cmp_fail(&c, w, k, xstrdup(r->col_why[k]));
	/* the cheap rows first, then each measurement over the columns */
	for (int k = 0; k < CMP_NCOL; k++)
		if (!r->col_why[k]) {
			cmp_disk(&c, k);
			if (!cmp_stop)
				cmp_isolation(&c, k);
		}
	for (int k = 0; k < CMP_NCOL && !cmp_stop; k++)
		if (!r->col_why[k])
			cmp_start(&c, k);
	for (int k = 0; k < CMP_NCOL && !cmp_stop; k++)
		if (!r->col_why[k])
			cmp_work(&c, k);
	for (int k = 0; k < CMP_NCOL && !cmp_stop; k++)
		if (!r->col_why[k])
			cmp_memory(&c, k);
	for (int k = 0; k < CMP_NCOL && !cmp_stop; k++)
		if (!r->col_why[k])
			cmp_net(&c, k);
	if (cmp_stop)
		cmp_progress("interrupted: removing what it started");
	else
		cmp_progress("removing what it started");
	cmp_cleanup(&c);
	if (cmp_stop)
		berth_error(err, 0, "interrupted (everything it started is removed)");
	else
		ret = 0;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	return ret;
}

void cmp_result_free(struct cmp_result *r)
{
	for (int k = 0; k < CMP_NCOL; k++) {
		free(r->col_platform[k]);
		free(r->col_why[k]);
		for (int w = 0; w < CMP_NROW; w++) {
			free(r->cell[w][k].text);
			free(r->cell[w][k].note);
		}
	}
	free(r->kvm_why);
	free(r->host);
	memset(r, 0, sizeof(*r));
}
