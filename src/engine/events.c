/* SPDX-License-Identifier: MIT */
/* The engine's event log and `berth events` (events.h). */
#include "events.h"
#include "ctrlog.h"
#include "template.h"
#include "util.h"

#include <errno.h>
#include <jansson.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#define EVENTS_MAX_DEFAULT (4L << 20)

static long events_max(void)
{
	const char *s = getenv("BERTH_EVENTS_MAX");
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return EVENTS_MAX_DEFAULT;
	v = strtol(s, &end, 10);
	return *end == '\0' && v >= 1024 ? v : EVENTS_MAX_DEFAULT;
}

/* Under the exclusive lock: the older half of the log dropped (from its first whole line
 * after the middle on), a new file renamed over it. */
static void events_trim(struct engine *e, int lockfd, long max)
{
	cleanup_free char *path = engine_path(e, EVENTS_NAME);
	cleanup_free char *text = NULL;
	berth_error_t e2 = NULL;
	size_t len;
	char *cut;

	while (flock(lockfd, LOCK_EX) < 0)
		if (errno != EINTR)
			return;
	if (util_read_file(path, &text, &len, &e2) < 0 || (long)len <= max)
		goto out;
	cut = memchr(text + len / 2, '\n', len - len / 2);
	if (cut == NULL)
		goto out;
	cut++;
	util_write_file_atomic(path, cut, len - (size_t)(cut - text), 0600, &e2);
out:
	berth_error_release(&e2);
	flock(lockfd, LOCK_UN);
}

static void events_append(struct engine *e, json_t *ev)
{
	cleanup_free char *path = engine_path(e, EVENTS_NAME);
	cleanup_free char *lockp = engine_path(e, EVENTS_LOCK_NAME);
	cleanup_free char *line = json_dumps(ev, JSON_COMPACT);
	cleanup_close int lockfd = -1;
	long max = events_max();
	struct stat st;
	size_t n;
	int fd;

	if (line == NULL)
		return;
	n = strlen(line);
	line[n] = '\n'; /* json_dumps's NUL: the line ends where it was */
	lockfd = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lockfd < 0)
		return;
	while (flock(lockfd, LOCK_SH) < 0)
		if (errno != EINTR)
			return;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		flock(lockfd, LOCK_UN);
		return;
	}
	/* one write: appends of several processes never interleave */
	if (write(fd, line, n + 1) < 0)
		st.st_size = 0;
	else if (fstat(fd, &st) < 0)
		st.st_size = 0;
	close(fd);
	flock(lockfd, LOCK_UN);
	if (st.st_size > max)
		events_trim(e, lockfd, max);
}

static void events_vlog(struct engine *e, const char *type, const char *action, const char *actor,
                        json_t *attrs, va_list ap)
{
	struct timespec now;
	long long nano;
	const char *k;
	json_t *ev;

	for (k = va_arg(ap, const char *); k; k = va_arg(ap, const char *)) {
		const char *v = va_arg(ap, const char *);
		if (v)
			json_object_set_new(attrs, k, json_string(v));
	}
	clock_gettime(CLOCK_REALTIME, &now);
	nano = (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
	ev = json_object();
	/* Docker's deprecated fields, for containers and images */
	if (strcmp(type, "container") == 0 || strcmp(type, "image") == 0) {
		const char *from = json_string_value(json_object_get(attrs, "image"));
		json_object_set_new(ev, "status", json_string(action));
		json_object_set_new(ev, "id", json_string(actor));
		if (from && strcmp(type, "container") == 0)
			json_object_set_new(ev, "from", json_string(from));
	}
	json_object_set_new(ev, "Type", json_string(type));
	json_object_set_new(ev, "Action", json_string(action));
	json_object_set_new(ev, "Actor", json_pack("{s:s,s:o}", "ID", actor, "Attributes", attrs));
	json_object_set_new(ev, "scope", json_string("local"));
	json_object_set_new(ev, "time", json_integer((json_int_t)now.tv_sec));
	json_object_set_new(ev, "timeNano", json_integer((json_int_t)nano));
	events_append(e, ev);
	json_decref(ev);
}

void event_log(struct engine *e, const char *type, const char *action, const char *actor, ...)
{
	va_list ap;

	va_start(ap, actor);
	events_vlog(e, type, action, actor ? actor : "", json_object(), ap);
	va_end(ap);
}

void event_ctr(struct engine *e, const char *id, const char *action, ...)
{
	berth_error_t e2 = NULL;
	json_t *attrs = json_object(), *rec = NULL;
	va_list ap;

	if (ctr_load(e, id, &rec, &e2) == 0) {
		json_t *labels = json_object_get(rec, "labels");
		const char *k;
		json_t *v;
		json_object_foreach(labels, k, v) if (json_is_string(v))
		    json_object_set(attrs, k, v);
		json_object_set(attrs, "image", json_object_get(rec, "image"));
		json_object_set(attrs, "name", json_object_get(rec, "name"));
		json_decref(rec);
	}
	berth_error_release(&e2);
	va_start(ap, action);
	events_vlog(e, "container", action, id, attrs, ap);
	va_end(ap);
}

void event_ctr_num(struct engine *e, const char *id, const char *action, const char *key,
                   long long v)
{
	char num[24];

	snprintf(num, sizeof(num), "%lld", v);
	event_ctr(e, id, action, key, num, NULL);
}

void event_image(struct engine *e, const char *action, const char *id_hex, const char *name)
{
	cleanup_free char *id = xasprintf("sha256:%s", id_hex);

	event_log(e, "image", action, id, "name", name, NULL);
}

void event_exec(struct engine *e, const char *id, char xid[65], char **args, size_t n_args,
                const char *action, int code)
{
	cleanup_free char *act = xstrdup(action);
	char num[16];

	if (xid[0] == '\0') {
		unsigned char rnd[32] = {0};
		if (getrandom(rnd, sizeof(rnd), 0) < 0)
			memset(rnd, 0, sizeof(rnd));
		for (int i = 0; i < 32; i++)
			snprintf(xid + 2 * i, 3, "%02x", rnd[i]);
	}
	if (strcmp(action, "exec_die") == 0) {
		snprintf(num, sizeof(num), "%d", code);
		event_ctr(e, id, action, "execID", xid, "exitCode", num, NULL);
		return;
	}
	for (size_t i = 0; i < n_args; i++) {
		char *a = xasprintf("%s%s%s", act, i ? " " : ": ", args[i]);
		free(act);
		act = a;
	}
	event_ctr(e, id, act, "execID", xid, NULL);
}

/* ---- reading ----------------------------------------------------------------------------- */

int events_filter_add(struct events_opts *o, const char *kv, berth_error_t *err)
{
	static const char *const keys[] = {"type",    "event",  "container", "image",
	                                   "network", "volume", "label"};
	static const char *const types[] = {"container", "image", "network", "volume"};
	const char *eq = strchr(kv, '=');
	cleanup_free char *k = NULL;
	json_t *a;
	bool ok = false;

	if (eq == NULL || eq == kv || eq[1] == '\0')
		return berth_error(err, 0,
		                   "bad --filter `%s`: expected KEY=VALUE (type, event, container, "
		                   "image, network, volume, label)",
		                   kv);
	k = xasprintf("%.*s", (int)(eq - kv), kv);
	if (strcmp(k, "action") == 0) {
		free(k);
		k = xstrdup("event");
	}
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		ok |= strcmp(k, keys[i]) == 0;
	if (!ok)
		return berth_error(err, 0,
		                   "bad --filter `%s`: unknown key `%s` (expected type, event, "
		                   "container, image, network, volume or label)",
		                   kv, k);
	if (strcmp(k, "type") == 0) {
		ok = false;
		for (size_t i = 0; i < ARRAY_SIZE(types); i++)
			ok |= strcmp(eq + 1, types[i]) == 0;
		if (!ok)
			return berth_error(err, 0,
			                   "bad --filter `%s`: expected type=container, image, "
			                   "network or volume",
			                   kv);
	}
	if (o->filters == NULL)
		o->filters = json_object();
	a = json_object_get(o->filters, k);
	if (a == NULL) {
		a = json_array();
		json_object_set_new(o->filters, k, a);
	}
	json_array_append_new(a, json_string(eq + 1));
	return 0;
}

void events_opts_free(struct events_opts *o)
{
	json_decref(o->filters);
	o->filters = NULL;
}

static const char *ev_str(const json_t *ev, const char *k)
{
	return json_string_value(json_object_get(ev, k)) ?: "";
}

static const char *ev_attr(const json_t *ev, const char *k)
{
	return json_string_value(
	    json_object_get(json_object_get(json_object_get(ev, "Actor"), "Attributes"), k));
}

/* an image name given as a filter against one in an event: "busybox" is "busybox:latest" */
static bool events_image_is(const char *want, const char *have)
{
	size_t n = strlen(want);

	if (have == NULL)
		return false;
	if (strcmp(want, have) == 0)
		return true;
	return strncmp(have, want, n) == 0 && strcmp(have + n, ":latest") == 0;
}

static bool events_one(const char *key, const char *v, const json_t *ev)
{
	const char *type = ev_str(ev, "Type");
	const char *id = ev_str(json_object_get(ev, "Actor"), "ID");

	if (strcmp(key, "type") == 0)
		return strcmp(type, v) == 0;
	if (strcmp(key, "event") == 0) {
		const char *a = ev_str(ev, "Action");
		size_t n = strcspn(a, ":");
		return strcmp(a, v) == 0 || (strlen(v) == n && strncmp(a, v, n) == 0);
	}
	if (strcmp(key, "label") == 0) {
		const char *eq = strchr(v, '=');
		cleanup_free char *k = eq ? xasprintf("%.*s", (int)(eq - v), v) : xstrdup(v);
		const char *have = ev_attr(ev, k);
		return have && (eq == NULL || strcmp(have, eq + 1) == 0);
	}
	if (strcmp(key, "image") == 0) {
		if (strcmp(type, "container") == 0)
			return events_image_is(v, ev_attr(ev, "image"));
		if (strcmp(type, "image") != 0)
			return false;
		return events_image_is(v, ev_attr(ev, "name")) || strcmp(id, v) == 0 ||
		       (strncmp(id, "sha256:", 7) == 0 && strcmp(id + 7, v) == 0);
	}
	/* container, network, volume: the actor's id (or its prefix) or name */
	if (strcmp(type, key) != 0)
		return false;
	if (strncmp(id, v, strlen(v)) == 0)
		return true;
	return ev_attr(ev, "name") && strcmp(ev_attr(ev, "name"), v) == 0;
}

bool events_match(const json_t *filters, const json_t *ev)
{
	const char *k;
	json_t *vals;

	/* the values of one key: any of them; each key: all */
	json_object_foreach((json_t *)filters, k, vals)
	{
		bool any = false;
		size_t i;
		json_t *v;
		json_array_foreach(vals, i, v) any |= events_one(k, json_string_value(v), ev);
		if (!any)
			return false;
	}
	return true;
}

static int events_key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

char *events_line(const json_t *ev)
{
	json_t *attrs = json_object_get(json_object_get(ev, "Actor"), "Attributes");
	long long nano = (long long)json_integer_value(json_object_get(ev, "timeNano"));
	struct timespec t = {.tv_sec = (time_t)(nano / 1000000000LL),
	                     .tv_nsec = (long)(nano % 1000000000LL)};
	char ts[CTRLOG_TS_SIZE];
	const char **keys;
	size_t n = 0;
	const char *k;
	json_t *v;
	char *line;

	ctrlog_format_time(&t, ts);
	line = xasprintf("%s %s %s %s", ts, ev_str(ev, "Type"), ev_str(ev, "Action"),
	                 ev_str(json_object_get(ev, "Actor"), "ID"));
	keys = xmalloc0((json_object_size(attrs) + 1) * sizeof(*keys));
	json_object_foreach(attrs, k, v) keys[n++] = k;
	qsort(keys, n, sizeof(*keys), events_key_cmp);
	for (size_t i = 0; i < n; i++) {
		char *l = xasprintf("%s%s%s=%s", line, i ? ", " : " (", keys[i],
		                    json_string_value(json_object_get(attrs, keys[i])) ?: "");
		free(line);
		line = l;
	}
	if (n) {
		char *l = xasprintf("%s)", line);
		free(line);
		line = l;
	}
	free(keys);
	return line;
}

struct events_reader {
	const struct events_opts *o;
	char *buf;
	size_t len, cap;
	long long skip_upto; /* after the log was trimmed: what was printed already */
	long long last;      /* the newest event seen */
};

static long long ts_nano(const struct timespec *t)
{
	return (long long)t->tv_sec * 1000000000LL + t->tv_nsec;
}

static void events_print(struct events_reader *r, const char *line, size_t len)
{
	const struct events_opts *o = r->o;
	json_t *ev = json_loadb(line, len, 0, NULL);
	long long t;

	if (!json_is_object(ev))
		goto out;
	t = (long long)json_integer_value(json_object_get(ev, "timeNano"));
	if (t <= r->skip_upto)
		goto out;
	if (t > r->last)
		r->last = t;
	if ((o->has_since && t < ts_nano(&o->since)) || (o->has_until && t > ts_nano(&o->until)) ||
	    (o->filters && !events_match(o->filters, ev)))
		goto out;
	if (o->format == NULL) {
		cleanup_free char *l = events_line(ev);
		puts(l);
	} else if (strcmp(o->format, "json") == 0) {
		fwrite(line, 1, len, stdout);
		putchar('\n');
	} else {
		cleanup_free char *out = NULL;
		berth_error_t e2 = NULL;
		/* Go prints <no value> for a key an event lacks; here the event is left out */
		if (template_render("--format", o->format, ev, &out, &e2) == 0)
			puts(out);
		berth_error_release(&e2);
	}
out:
	json_decref(ev);
}

/* every whole line the log holds from fd's offset on */
static int events_pump(struct events_reader *r, int fd, berth_error_t *err)
{
	for (;;) {
		char *p, *nl;
		ssize_t n;
		if (r->cap - r->len < 65536) {
			r->cap = r->cap * 2 + 65536;
			r->buf = xrealloc(r->buf, r->cap);
		}
		n = read(fd, r->buf + r->len, r->cap - r->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berth_error(err, errno, "read `" EVENTS_NAME "`");
		if (n == 0)
			break;
		r->len += (size_t)n;
		for (p = r->buf; (nl = memchr(p, '\n', r->len - (size_t)(p - r->buf))) != NULL;
		     p = nl + 1)
			events_print(r, p, (size_t)(nl - p));
		r->len -= (size_t)(p - r->buf);
		memmove(r->buf, p, r->len);
	}
	fflush(stdout);
	return 0;
}

/* the format checked before anything is printed */
static int events_check_format(const char *format, berth_error_t *err)
{
	cleanup_free char *out = NULL;
	json_t *sample;
	int r;

	if (format == NULL || strcmp(format, "json") == 0)
		return 0;
	sample =
	    json_pack("{s:s,s:s,s:s,s:s,s:s,s:{s:s,s:{s:s,s:s}},s:s,s:i,s:I}", "status", "start",
	              "id", "0", "from", "busybox:latest", "Type", "container", "Action", "start",
	              "Actor", "ID", "0", "Attributes", "image", "busybox:latest", "name", "c",
	              "scope", "local", "time", 0, "timeNano", (json_int_t)0);
	r = template_render("--format", format, sample, &out, err);
	json_decref(sample);
	/* a field some events lack (exitCode) is no error of the template's */
	if (r < 0 && strstr((*err)->msg, ": no field `")) {
		berth_error_release(err);
		r = 0;
	}
	return r;
}

int events_show(struct engine *e, const struct events_opts *o, berth_error_t *err)
{
	cleanup_free char *path = engine_path(e, EVENTS_NAME);
	cleanup_close int fd = -1;
	cleanup_close int ino = -1;
	cleanup_close int sfd = -1;
	struct events_reader r = {.o = o, .skip_upto = -1, .last = -1};
	sigset_t set, old;
	int rc = -1;

	if (events_check_format(o->format, err) < 0)
		return -1;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, &old);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (sfd < 0 || ino < 0) {
		berth_error(err, errno, sfd < 0 ? "signalfd" : "inotify_init1");
		goto out;
	}
	/* watched before the first read: nothing appended meanwhile is missed */
	if (inotify_add_watch(ino, e->root, IN_MODIFY | IN_MOVED_TO | IN_CREATE) < 0) {
		berth_error(err, errno, "inotify_add_watch `%s`", e->root);
		goto out;
	}
	fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		berth_error(err, errno, "open `%s`", path);
		goto out;
	}
	/* as Docker: without --since or --until, only what comes from now on */
	if (!o->has_since && !o->has_until) {
		struct timespec now;
		if (lseek(fd, 0, SEEK_END) < 0) {
			berth_error(err, errno, "lseek `%s`", path);
			goto out;
		}
		clock_gettime(CLOCK_REALTIME, &now);
		r.last = ts_nano(&now);
	}
	for (;;) {
		struct timespec now;
		struct pollfd p[2] = {{.fd = sfd, .events = POLLIN}, {.fd = ino, .events = POLLIN}};
		struct stat a, b;
		int timeout = -1;
		char ibuf[4096];

		if (events_pump(&r, fd, err) < 0)
			goto out;
		/* trimmed (a new file renamed over the log): the rest of the old one, then the new
		 * one from what was not printed yet */
		if (stat(path, &a) == 0 && fstat(fd, &b) == 0 && a.st_ino != b.st_ino) {
			int nfd = open(path, O_RDONLY | O_CLOEXEC);
			if (nfd >= 0) {
				close(fd);
				fd = nfd;
				r.len = 0;
				r.skip_upto = r.last;
				continue;
			}
		}
		clock_gettime(CLOCK_REALTIME, &now);
		if (o->has_until) {
			long long left = ts_nano(&o->until) - ts_nano(&now);
			if (left < 0)
				break;
			timeout =
			    left / 1000000 + 1 > INT_MAX ? INT_MAX : (int)(left / 1000000 + 1);
		}
		if (poll(p, 2, timeout) < 0 && errno != EINTR) {
			berth_error(err, errno, "poll");
			goto out;
		}
		if (p[0].revents)
			break; /* SIGINT, SIGTERM: the end asked for */
		while (read(ino, ibuf, sizeof(ibuf)) > 0)
			;
	}
	rc = 0;
out:
	fflush(stdout);
	/* the signals taken (not left pending, which the old mask would deliver) */
	if (sfd >= 0) {
		struct signalfd_siginfo si;
		while (read(sfd, &si, sizeof(si)) > 0)
			;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	free(r.buf);
	return rc;
}
