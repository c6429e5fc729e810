/* SPDX-License-Identifier: MIT */
/* A container's log: what the monitor writes (a record a line, k8s-file, ctrlog.h) and what
 * `berth logs` reads back, each stream to its own fd, with --tail, --since, --until, -t, -f. */
#include "ctrlog.h"
#include "engine.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sys/stat.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void ctrlog_format_time(const struct timespec *t, char out[CTRLOG_TS_SIZE])
{
	struct tm tm;
	size_t k;

	gmtime_r(&t->tv_sec, &tm);
	k = strftime(out, CTRLOG_TS_SIZE, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + k, CTRLOG_TS_SIZE - k, ".%09ldZ", t->tv_nsec);
}

void ctrlog_format(const struct timespec *t, int stream, const char *data, size_t n, char **buf,
                   size_t *len, size_t *cap)
{
	char ts[CTRLOG_TS_SIZE];
	const char *name = stream == 2 ? "stderr" : "stdout";
	size_t lines = 1, need, tl;
	const char *p, *end = data + n;

	for (p = data; (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
		lines++;
	ctrlog_format_time(t, ts);
	tl = strlen(ts);
	/* each record: TS, ' ', stream, " F ", text, '\n' */
	need = *len + n + lines * (tl + 12);
	if (need > *cap) {
		*cap = need + 256;
		*buf = xrealloc(*buf, *cap);
	}
	for (p = data; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t tn = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *o = *buf + *len;
		memcpy(o, ts, tl);
		o += tl;
		*o++ = ' ';
		memcpy(o, name, 6);
		o += 6;
		*o++ = ' ';
		*o++ = nl ? 'F' : 'P';
		*o++ = ' ';
		memcpy(o, p, tn);
		o += tn;
		*o++ = '\n';
		*len = (size_t)(o - *buf);
		p += tn + (nl ? 1 : 0);
	}
}

/* ---- json-file --------------------------------------------------------------------------- */

/* the length of the valid UTF-8 sequence at s (at most n bytes), 0 when there is none */
static size_t ctrlog_utf8(const unsigned char *s, size_t n)
{
	unsigned c = s[0], cp, min;
	size_t k;

	if (c < 0xc2)
		return 0;
	if (c < 0xe0) {
		k = 2, cp = c & 0x1f, min = 0x80;
	} else if (c < 0xf0) {
		k = 3, cp = c & 0x0f, min = 0x800;
	} else if (c < 0xf5) {
		k = 4, cp = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < k)
		return 0;
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return k;
}

void ctrlog_format_json(const struct timespec *t, int stream, const char *data, size_t n,
                        char **buf, size_t *len, size_t *cap)
{
	char ts[CTRLOG_TS_SIZE];
	const unsigned char *p = (const unsigned char *)data, *end = p + n;
	size_t lines = 1;

	for (size_t i = 0; i < n; i++)
		lines += data[i] == '\n';
	ctrlog_format_time(t, ts);
	/* each byte at most 6 ("\u001f"), each record its keys and time */
	if (*len + n * 6 + lines * 96 > *cap) {
		*cap = *len + n * 6 + lines * 96 + 256;
		*buf = xrealloc(*buf, *cap);
	}
	while (p < end) {
		char *o = *buf + *len;
		o += sprintf(o, "{\"log\":\"");
		for (; p < end; p++) {
			unsigned c = *p;
			size_t k;
			if (c == '"' || c == '\\') {
				*o++ = '\\';
				*o++ = (char)c;
			} else if (c == '\n') {
				*o++ = '\\';
				*o++ = 'n';
				p++;
				break;
			} else if (c == '\t') {
				*o++ = '\\';
				*o++ = 't';
			} else if (c == '\r') {
				*o++ = '\\';
				*o++ = 'r';
			} else if (c < 0x20) {
				o += sprintf(o, "\\u%04x", c);
			} else if (c < 0x80) {
				*o++ = (char)c;
			} else if ((k = ctrlog_utf8(p, (size_t)(end - p))) != 0) {
				memcpy(o, p, k);
				o += k;
				p += k - 1;
			} else {
				o += sprintf(o, "\\ufffd");
			}
		}
		o += sprintf(o, "\",\"stream\":\"%s\",\"time\":\"%s\"}\n",
		             stream == 2 ? "stderr" : "stdout", ts);
		*len = (size_t)(o - *buf);
	}
}

int ctrlog_parse(const char *line, size_t len, struct ctrlog_rec *out)
{
	const char *sp = memchr(line, ' ', len);
	bool zoned;
	size_t k;

	if (sp == NULL || util_parse_rfc3339(line, (size_t)(sp - line), &out->time, &zoned) < 0 ||
	    !zoned)
		return -1;
	k = (size_t)(sp - line) + 1;
	if (len < k + 8 || line[k + 6] != ' ')
		return -1;
	if (memcmp(line + k, "stdout", 6) == 0)
		out->stream = 1;
	else if (memcmp(line + k, "stderr", 6) == 0)
		out->stream = 2;
	else
		return -1;
	k += 7;
	if (line[k] != 'F' && line[k] != 'P')
		return -1;
	out->full = line[k] == 'F';
	k++;
	if (k < len && line[k] != ' ')
		return -1;
	if (k < len)
		k++;
	out->text = line + k;
	out->text_len = len - k;
	return 0;
}

int ctrlog_parse_json(const char *line, size_t len, struct ctrlog_rec *out, json_t **hold)
{
	json_t *j = json_loadb(line, len, JSON_ALLOW_NUL, NULL);
	const char *ts = json_string_value(json_object_get(j, "time"));
	const char *st = json_string_value(json_object_get(j, "stream"));
	json_t *log = json_object_get(j, "log");
	bool zoned;

	*hold = NULL;
	if (!json_is_string(log) || ts == NULL || st == NULL ||
	    util_parse_rfc3339(ts, strlen(ts), &out->time, &zoned) < 0 || !zoned ||
	    (strcmp(st, "stdout") != 0 && strcmp(st, "stderr") != 0)) {
		json_decref(j);
		return -1;
	}
	out->stream = st[3] == 'e' ? 2 : 1;
	out->text = json_string_value(log);
	out->text_len = json_string_length(log);
	out->full = out->text_len > 0 && out->text[out->text_len - 1] == '\n';
	if (out->full)
		out->text_len--;
	*hold = j;
	return 0;
}

/* ---- the driver and its options ---------------------------------------------------------- */

/* one KEY=VALUE of a --log-opt */
static int ctrlog_check_one(const char *d, const char *kv, berth_error_t *err)
{
	const char *eq = strchr(kv, '=');
	char *end;

	if (eq == NULL || eq == kv || eq[1] == '\0')
		return berth_error(err, 0, "bad --log-opt `%s`: expected KEY=VALUE", kv);
	if (strcmp(d, "none") == 0)
		return berth_error(err, 0,
		                   "bad --log-opt `%s`: the log driver none takes no options", kv);
	if (strncmp(kv, "max-size=", 9) == 0) {
		if (spec_parse_size(eq + 1) <= 0)
			return berth_error(err, 0, "bad --log-opt `%s`: expected a size like 10m",
			                   kv);
	} else if (strncmp(kv, "max-file=", 9) == 0) {
		long v;
		errno = 0;
		v = strtol(eq + 1, &end, 10);
		if (*end || errno || v < 1 || v > 1000)
			return berth_error(
			    err, 0, "bad --log-opt `%s`: expected a number of files (1 to 1000)",
			    kv);
	} else {
		return berth_error(err, 0,
		                   "bad --log-opt `%s`: unknown option for the log driver %s "
		                   "(max-size, max-file)",
		                   kv, d);
	}
	return 0;
}

/* Each KEY=VALUE of the --log-opt values (one each, or several joined by commas) to fn;
 * the first failure ends it. */
static int ctrlog_each_opt(const struct run_opts *o,
                           int (*fn)(void *arg, const char *kv, berth_error_t *err), void *arg,
                           berth_error_t *err)
{
	for (size_t i = 0; i < o->n_log_opts; i++) {
		cleanup_free char *copy = xstrdup(o->log_opts[i]);
		char *save = NULL, *kv;
		if (*copy == '\0' || strstr(copy, ",,") || copy[strlen(copy) - 1] == ',' ||
		    *copy == ',')
			return berth_error(err, 0, "bad --log-opt `%s`: expected KEY=VALUE",
			                   o->log_opts[i]);
		for (kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save))
			if (fn(arg, kv, err) < 0)
				return -1;
	}
	return 0;
}

static int ctrlog_check_fn(void *arg, const char *kv, berth_error_t *err)
{
	return ctrlog_check_one(arg, kv, err);
}

int ctrlog_check(const struct run_opts *o, berth_error_t *err)
{
	const char *d = o->log_driver ? o->log_driver : "k8s-file";

	if (strcmp(d, "json-file") != 0 && strcmp(d, "k8s-file") != 0 && strcmp(d, "none") != 0)
		return berth_error(
		    err, 0, "bad --log-driver `%s`: expected json-file, k8s-file or none", d);
	return ctrlog_each_opt(o, ctrlog_check_fn, (void *)d, err);
}

static int ctrlog_config_fn(void *arg, const char *kv, berth_error_t *err)
{
	const char *eq = strchr(kv, '=');
	cleanup_free char *k = xasprintf("%.*s", (int)(eq - kv), kv);

	(void)err;
	json_object_set_new(arg, k, json_string(eq + 1));
	return 0;
}

void ctrlog_record(json_t *rec, const struct run_opts *o)
{
	json_t *cfg = json_object(), *hc = json_object_get(rec, "HostConfig");
	berth_error_t e2 = NULL;

	/* checked already (ctrlog_check) */
	ctrlog_each_opt(o, ctrlog_config_fn, cfg, &e2);
	berth_error_release(&e2);
	if (!json_is_object(hc)) {
		hc = json_object();
		json_object_set_new(rec, "HostConfig", hc);
	}
	json_object_set_new(hc, "LogConfig",
	                    json_pack("{s:s,s:o}", "Type",
	                              o->log_driver ? o->log_driver : "k8s-file", "Config", cfg));
}

/* the record's driver: "k8s-file" for a container of an older berth */
static const char *ctrlog_driver(json_t *rec)
{
	json_t *lc = json_object_get(json_object_get(rec, "HostConfig"), "LogConfig");
	return json_string_value(json_object_get(lc, "Type")) ?: "k8s-file";
}

static const char *ctrlog_opt(json_t *rec, const char *k)
{
	json_t *lc = json_object_get(json_object_get(rec, "HostConfig"), "LogConfig");
	return json_string_value(json_object_get(json_object_get(lc, "Config"), k));
}

/* ---- the monitor's writer ---------------------------------------------------------------- */

int ctrlog_writer_open(const char *dir, json_t *rec, struct ctrlog_writer *w, berth_error_t *err)
{
	const char *d = ctrlog_driver(rec);
	const char *ms = ctrlog_opt(rec, "max-size"), *mf = ctrlog_opt(rec, "max-file");
	struct stat st;

	*w = (struct ctrlog_writer){.fd = -1, .max_file = 1};
	if (strcmp(d, "none") == 0)
		return 0;
	w->json = strcmp(d, "json-file") == 0;
	w->path = xasprintf("%s/%s", dir, w->json ? CTRLOG_JSON_NAME : CTRLOG_NAME);
	if (ms)
		w->max_size = spec_parse_size(ms) > 0 ? spec_parse_size(ms) : 0;
	if (mf)
		w->max_file = atoi(mf) > 0 ? atoi(mf) : 1;
	w->fd = open(w->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (w->fd < 0) {
		berth_error(err, errno, "open `%s`", w->path);
		ctrlog_writer_close(w);
		return -1;
	}
	if (fstat(w->fd, &st) == 0)
		w->size = st.st_size;
	return 0;
}

/* NAME.(k-1) to NAME.k, …, NAME to NAME.1, and NAME again empty */
static void ctrlog_rotate(struct ctrlog_writer *w)
{
	for (int k = w->max_file - 1; k >= 1; k--) {
		cleanup_free char *from =
		    k == 1 ? xstrdup(w->path) : xasprintf("%s.%d", w->path, k - 1);
		cleanup_free char *to = xasprintf("%s.%d", w->path, k);
		rename(from, to);
	}
	close(w->fd);
	w->fd = open(w->path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
	w->size = 0;
}

void ctrlog_write(struct ctrlog_writer *w, const struct timespec *t, int stream, const char *data,
                  size_t n)
{
	size_t len = 0;

	if (w->fd < 0)
		return;
	if (w->json)
		ctrlog_format_json(t, stream, data, n, &w->buf, &len, &w->cap);
	else
		ctrlog_format(t, stream, data, n, &w->buf, &len, &w->cap);
	if (w->max_size > 0 && w->size > 0 && w->size + (long long)len > w->max_size)
		ctrlog_rotate(w);
	if (w->fd >= 0 && util_write_all(w->fd, w->buf, len) == 0)
		w->size += (long long)len;
}

void ctrlog_writer_close(struct ctrlog_writer *w)
{
	util_closep(&w->fd);
	free(w->path);
	free(w->buf);
	w->path = w->buf = NULL;
	w->cap = 0;
}

/* Go's time.ParseDuration: [+-]?(NUMBER UNIT)+, NUMBER with an optional fraction */
static int ctrlog_parse_duration(const char *s, long double *secs)
{
	static const struct {
		const char *unit;
		long double secs;
	} units[] = {{"ns", 1e-9L}, {"us", 1e-6L}, {"\xc2\xb5s", 1e-6L}, {"ms", 1e-3L},
	             {"s", 1},      {"m", 60},     {"h", 3600}};
	long double total = 0;
	int sign = 1;

	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	if (strcmp(s, "0") == 0) {
		*secs = 0;
		return 0;
	}
	if (*s == '\0')
		return -1;
	while (*s) {
		long double v = 0, scale = 1;
		bool any = false;
		size_t best = 0, bi = 0;
		for (; isdigit((unsigned char)*s); s++, any = true)
			v = v * 10 + (*s - '0');
		if (*s == '.')
			for (s++; isdigit((unsigned char)*s); s++, any = true)
				v += (*s - '0') * (scale /= 10);
		if (!any)
			return -1;
		for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
			size_t l = strlen(units[u].unit);
			if (strncmp(s, units[u].unit, l) == 0 && l > best) {
				best = l;
				bi = u;
			}
		}
		if (best == 0)
			return -1;
		total += v * units[bi].secs;
		s += best;
		if (total > 1e12L)
			return -1;
	}
	*secs = total * sign;
	return 0;
}

int ctr_log_parse_time(const char *s, const struct timespec *now, struct timespec *out)
{
	long double d;
	bool zoned;
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return -1;
	if (ctrlog_parse_duration(s, &d) == 0) {
		long double t = (long double)now->tv_sec + now->tv_nsec / 1e9L - d;
		if (t < 0)
			t = 0;
		out->tv_sec = (time_t)t;
		out->tv_nsec = (long)((t - (long double)out->tv_sec) * 1e9L);
		return 0;
	}
	if (util_parse_rfc3339(s, n, out, &zoned) == 0)
		return 0;
	/* Unix seconds[.fraction] */
	{
		const char *p = s;
		long long sec = 0;
		long nsec = 0;
		int k = 0;
		if (!isdigit((unsigned char)*p))
			return -1;
		for (; isdigit((unsigned char)*p); p++) {
			if (sec > (LLONG_MAX - 9) / 10)
				return -1;
			sec = sec * 10 + (*p - '0');
		}
		if (*p == '.') {
			for (p++; isdigit((unsigned char)*p); p++, k++)
				if (k < 9)
					nsec = nsec * 10 + (*p - '0');
			for (; k < 9; k++)
				nsec *= 10;
		}
		if (*p != '\0' || sec > (long long)INT32_MAX * 64)
			return -1;
		out->tv_sec = (time_t)sec;
		out->tv_nsec = nsec;
	}
	return 0;
}

static int ctrlog_cmp(const struct timespec *a, const struct timespec *b)
{
	if (a->tv_sec != b->tv_sec)
		return a->tv_sec < b->tv_sec ? -1 : 1;
	return a->tv_nsec < b->tv_nsec ? -1 : a->tv_nsec > b->tv_nsec;
}

/* The reader's state, across reads of a log that grows (-f). */
struct ctrlog_reader {
	const struct ctr_log_opts *o;
	bool json;        /* json-file records, else k8s-file */
	bool count;       /* only count the lines (for --tail) */
	long long lines;  /* whole lines counted (count) */
	bool open[3];     /* a stream's last record counted did not end its line (count) */
	long long skip;   /* whole lines to skip before printing (--tail) */
	bool at_start[3]; /* a stream's next text begins a line (for -t) */
	bool past_until;  /* a record after --until was seen */
	int last;         /* the stream written last */
	/* while lines are skipped: each stream's parts of a line (P records, as in the log)
	 * whose end has not come yet, printed if the line is not skipped after all */
	char *held[3];
	size_t held_len[3];
	char *buf;
	size_t len, cap;
};

static bool ctrlog_wanted(const struct ctrlog_reader *r, const struct ctrlog_rec *rec)
{
	if (r->o->has_since && ctrlog_cmp(&rec->time, &r->o->since) < 0)
		return false;
	return !(r->o->has_until && ctrlog_cmp(&rec->time, &r->o->until) > 0);
}

static void ctrlog_emit(struct ctrlog_reader *r, const struct ctrlog_rec *rec)
{
	FILE *f = rec->stream == 2 ? stderr : stdout;

	if (r->last != rec->stream)
		fflush(r->last == 2 ? stderr : stdout);
	r->last = rec->stream;
	if (r->o->timestamps && r->at_start[rec->stream]) {
		char ts[CTRLOG_TS_SIZE];
		ctrlog_format_time(&rec->time, ts);
		fputs(ts, f);
		fputc(' ', f);
	}
	fwrite(rec->text, 1, rec->text_len, f);
	if (rec->full)
		fputc('\n', f);
	r->at_start[rec->stream] = rec->full;
}

static int ctrlog_parse_any(const struct ctrlog_reader *r, const char *line, size_t len,
                            struct ctrlog_rec *rec, json_t **hold)
{
	*hold = NULL;
	return r->json ? ctrlog_parse_json(line, len, rec, hold) : ctrlog_parse(line, len, rec);
}

/* The held parts of stream's line: printed (print) or dropped. */
static void ctrlog_release(struct ctrlog_reader *r, int stream, bool print)
{
	char *p = r->held[stream], *end, *nl;
	struct ctrlog_rec rec;

	if (p == NULL)
		return;
	end = p + r->held_len[stream];
	for (; print && p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL; p = nl + 1) {
		json_t *hold;
		if (ctrlog_parse_any(r, p, (size_t)(nl - p), &rec, &hold) == 0)
			ctrlog_emit(r, &rec);
		json_decref(hold);
	}
	free(r->held[stream]);
	r->held[stream] = NULL;
	r->held_len[stream] = 0;
}

static void ctrlog_line_rec(struct ctrlog_reader *r, const char *line, size_t len,
                            struct ctrlog_rec rec);

static void ctrlog_line(struct ctrlog_reader *r, const char *line, size_t len)
{
	struct ctrlog_rec rec;
	json_t *hold;

	if (ctrlog_parse_any(r, line, len, &rec, &hold) == 0)
		ctrlog_line_rec(r, line, len, rec);
	json_decref(hold);
}

static void ctrlog_line_rec(struct ctrlog_reader *r, const char *line, size_t len,
                            struct ctrlog_rec rec)
{
	if (r->o->has_until && ctrlog_cmp(&rec.time, &r->o->until) > 0)
		r->past_until = true;
	if (!ctrlog_wanted(r, &rec))
		return;
	if (r->count) {
		r->lines += rec.full;
		r->open[rec.stream] = !rec.full;
		return;
	}
	if (r->skip > 0) {
		/* a line is skipped as a whole: its parts wait for its end */
		if (!rec.full) {
			size_t h = r->held_len[rec.stream];
			r->held[rec.stream] = xrealloc(r->held[rec.stream], h + len + 1);
			memcpy(r->held[rec.stream] + h, line, len);
			r->held[rec.stream][h + len] = '\n';
			r->held_len[rec.stream] = h + len + 1;
			return;
		}
		r->skip--;
		ctrlog_release(r, rec.stream, false);
		if (r->skip == 0) {
			ctrlog_release(r, 1, true);
			ctrlog_release(r, 2, true);
		}
		return;
	}
	ctrlog_emit(r, &rec);
}

/* Everything the log holds now, record by record; an unfinished last line stays in r->buf. */
static int ctrlog_pump(struct ctrlog_reader *r, int fd, const char *path, berth_error_t *err)
{
	for (;;) {
		ssize_t n;
		char *nl, *p;
		if (r->cap - r->len < 65536) {
			if (r->cap > (16u << 20))
				return berth_error(err, 0, "`%s`: a record longer than 16 MiB",
				                   path);
			r->cap = r->cap * 2 + 65536;
			r->buf = xrealloc(r->buf, r->cap);
		}
		n = read(fd, r->buf + r->len, r->cap - r->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berth_error(err, errno, "read `%s`", path);
		if (n == 0)
			return 0;
		r->len += (size_t)n;
		for (p = r->buf; (nl = memchr(p, '\n', r->len - (size_t)(p - r->buf))) != NULL;
		     p = nl + 1)
			ctrlog_line(r, p, (size_t)(nl - p));
		r->len -= (size_t)(p - r->buf);
		memmove(r->buf, p, r->len);
	}
}

/* The plain ctr.log of a container an older berth ran: its output, both streams as one. */
static int ctrlog_old(struct engine *e, const char *id, const struct ctr_log_opts *o,
                      berth_error_t *err)
{
	cleanup_free char *p = engine_path(e, "containers/%s/" CTRLOG_OLD_NAME, id);
	cleanup_close int fd = open(p, O_RDONLY | O_CLOEXEC);
	char buf[16384];

	if (fd < 0)
		return errno == ENOENT ? 0 : berth_error(err, errno, "open `%s`", p);
	if (o->timestamps || o->tail >= 0 || o->has_since || o->has_until)
		return berth_error(err, 0,
		                   "container %.12s's log was written by an older berth, without "
		                   "times or streams: only `berth logs [-f]` reads it",
		                   id);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n > 0) {
			util_write_all(STDOUT_FILENO, buf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (!o->follow || ctr_wait_exit(e, id, 0)) {
			while ((n = read(fd, buf, sizeof(buf))) > 0)
				util_write_all(STDOUT_FILENO, buf, (size_t)n);
			return 0;
		}
		usleep(100000);
	}
}

/* The rotated files NAME.N … NAME.1 that are there (N: how many). */
static int ctrlog_rotated(const char *p)
{
	int n = 0;

	for (; n < 1000; n++) {
		cleanup_free char *q = xasprintf("%s.%d", p, n + 1);
		if (access(q, F_OK) < 0)
			break;
	}
	return n;
}

/* The rotated files, oldest first. */
static int ctrlog_pump_rotated(struct ctrlog_reader *r, const char *p, int n, berth_error_t *err)
{
	for (int k = n; k >= 1; k--) {
		cleanup_free char *q = xasprintf("%s.%d", p, k);
		cleanup_close int fd = open(q, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue; /* rotated away meanwhile */
		r->len = 0;
		if (ctrlog_pump(r, fd, q, err) < 0)
			return -1;
	}
	r->len = 0;
	return 0;
}

int ctr_logs(struct engine *e, const char *id, const struct ctr_log_opts *o, berth_error_t *err)
{
	struct ctrlog_reader r = {.o = o, .at_start = {true, true, true}, .last = 1};
	cleanup_free char *p = NULL;
	cleanup_close int fd = -1;
	int rc = -1, n_rot;
	json_t *rec;

	if (ctr_load(e, id, &rec, err) < 0)
		return -1;
	if (strcmp(ctrlog_driver(rec), "none") == 0) {
		json_decref(rec);
		return berth_error(err, 0,
		                   "container %.12s: configured logging driver does not support "
		                   "reading (--log-driver none keeps no log)",
		                   id);
	}
	r.json = strcmp(ctrlog_driver(rec), "json-file") == 0;
	json_decref(rec);
	p = engine_path(e, "containers/%s/%s", id, r.json ? CTRLOG_JSON_NAME : CTRLOG_NAME);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && !r.json)
		return ctrlog_old(e, id, o, err);
	if (fd < 0)
		return berth_error(err, errno, "open `%s`", p);
	n_rot = ctrlog_rotated(p);
	if (o->tail >= 0) {
		r.count = true;
		if (ctrlog_pump_rotated(&r, p, n_rot, err) < 0 || ctrlog_pump(&r, fd, p, err) < 0)
			goto out;
		r.count = false;
		r.len = 0;
		/* a stream's last line without its newline is a line too (printf without \n) */
		r.lines += r.open[1] + r.open[2];
		r.skip = r.lines > o->tail ? r.lines - o->tail : 0;
		r.past_until = false;
		if (lseek(fd, 0, SEEK_SET) < 0) {
			berth_error(err, errno, "lseek `%s`", p);
			goto out;
		}
	}
	if (ctrlog_pump_rotated(&r, p, n_rot, err) < 0)
		goto out;
	for (;;) {
		struct timespec now;
		struct stat a, b;
		if (ctrlog_pump(&r, fd, p, err) < 0)
			goto out;
		/* rotated while followed: the new file from its start */
		if (o->follow && stat(p, &a) == 0 && fstat(fd, &b) == 0 && a.st_ino != b.st_ino) {
			int nfd = open(p, O_RDONLY | O_CLOEXEC);
			if (nfd >= 0) {
				close(fd);
				fd = nfd;
				r.len = 0;
				continue;
			}
		}
		if (!o->follow || r.past_until)
			break;
		clock_gettime(CLOCK_REALTIME, &now);
		if (o->has_until && ctrlog_cmp(&now, &o->until) > 0)
			break;
		fflush(stdout);
		if (ctr_wait_exit(e, id, 0)) {
			/* once more: what came between the last read and the exit */
			if (ctrlog_pump(&r, fd, p, err) < 0)
				goto out;
			break;
		}
		usleep(100000);
	}
	rc = 0;
out:
	ctrlog_release(&r, 1, rc == 0);
	ctrlog_release(&r, 2, rc == 0);
	fflush(stdout);
	free(r.buf);
	return rc;
}
