/* SPDX-License-Identifier: MIT */
/* config.json parsing machinery: JSON paths, the line and column of a value (found by
 * re-scanning the original text, since jansson keeps no positions), errors that point at
 * them, and typed getters with range checks. */
#include "config.h"
#include "config_priv.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------
 * Paths and positions
 *
 * jansson forgets where a value was once the document is parsed, so an error re-scans the
 * original text along the path of the offending value. The text has been accepted by
 * jansson, but the scanner never trusts that: every step is bounds checked.
 */

struct cfg_scan {
	const char *s;
	size_t len;
	size_t pos;
};

static void scan_ws(struct cfg_scan *sc)
{
	while (sc->pos < sc->len && strchr(" \t\r\n", sc->s[sc->pos]) != NULL && sc->s[sc->pos])
		sc->pos++;
}

/* At '"': move past the closing quote. */
static int scan_string(struct cfg_scan *sc)
{
	sc->pos++;
	while (sc->pos < sc->len) {
		char ch = sc->s[sc->pos++];
		if (ch == '\\')
			sc->pos++;
		else if (ch == '"')
			return 0;
	}
	return -1;
}

static int scan_value(struct cfg_scan *sc)
{
	size_t depth = 0;
	size_t start;

	scan_ws(sc);
	if (sc->pos >= sc->len)
		return -1;
	if (sc->s[sc->pos] == '"')
		return scan_string(sc);
	if (sc->s[sc->pos] != '{' && sc->s[sc->pos] != '[') {
		start = sc->pos;
		while (sc->pos < sc->len && strchr(",:}] \t\r\n", sc->s[sc->pos]) == NULL)
			sc->pos++;
		return sc->pos > start ? 0 : -1;
	}
	while (sc->pos < sc->len) {
		char ch = sc->s[sc->pos];
		if (ch == '"') {
			if (scan_string(sc) < 0)
				return -1;
			continue;
		}
		sc->pos++;
		if (ch == '{' || ch == '[') {
			depth++;
		} else if (ch == '}' || ch == ']') {
			if (--depth == 0)
				return 0;
		}
	}
	return -1;
}

static int scan_hex4(const char *s, size_t n, unsigned *out)
{
	unsigned v = 0;

	if (n < 4)
		return -1;
	for (size_t i = 0; i < 4; i++) {
		char ch = s[i];
		v <<= 4;
		if (ch >= '0' && ch <= '9')
			v |= (unsigned)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			v |= (unsigned)(ch - 'a' + 10);
		else if (ch >= 'A' && ch <= 'F')
			v |= (unsigned)(ch - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static size_t utf8_put(char *out, unsigned cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* Decode the JSON string s[0..n) (without its quotes) and compare it with key. */
static bool scan_key_equals(const char *s, size_t n, const char *key)
{
	cleanup_free char *buf = NULL;
	size_t o = 0;

	if (memchr(s, '\\', n) == NULL)
		return strlen(key) == n && memcmp(s, key, n) == 0;
	buf = xmalloc0(n + 1);
	for (size_t i = 0; i < n; i++) {
		unsigned cp, lo;
		if (s[i] != '\\') {
			buf[o++] = s[i];
			continue;
		}
		if (++i >= n)
			return false;
		switch (s[i]) {
		case 'b':
			buf[o++] = '\b';
			break;
		case 'f':
			buf[o++] = '\f';
			break;
		case 'n':
			buf[o++] = '\n';
			break;
		case 'r':
			buf[o++] = '\r';
			break;
		case 't':
			buf[o++] = '\t';
			break;
		case 'u':
			if (scan_hex4(s + i + 1, n - i - 1, &cp) < 0)
				return false;
			i += 4;
			if (cp >= 0xD800 && cp < 0xDC00 && i + 6 < n && s[i + 1] == '\\' &&
			    s[i + 2] == 'u' && scan_hex4(s + i + 3, n - i - 3, &lo) == 0 &&
			    lo >= 0xDC00 && lo < 0xE000) {
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				i += 6;
			}
			/* a \uXXXX escape never takes less room than its UTF-8 */
			o += utf8_put(buf + o, cp);
			break;
		default:
			buf[o++] = s[i];
			break;
		}
	}
	return strlen(key) == o && memcmp(buf, key, o) == 0;
}

/* At '{': move to the value of the last member called key (jansson keeps the last of
 * duplicate keys). */
static int scan_member(struct cfg_scan *sc, const char *key)
{
	long found = -1;

	sc->pos++;
	for (;;) {
		size_t kstart;
		bool match;

		scan_ws(sc);
		if (sc->pos >= sc->len || sc->s[sc->pos] != '"')
			break;
		kstart = sc->pos + 1;
		if (scan_string(sc) < 0)
			break;
		match = scan_key_equals(sc->s + kstart, sc->pos - 1 - kstart, key);
		scan_ws(sc);
		if (sc->pos >= sc->len || sc->s[sc->pos] != ':')
			break;
		sc->pos++;
		scan_ws(sc);
		if (match)
			found = (long)sc->pos;
		if (scan_value(sc) < 0)
			break;
		scan_ws(sc);
		if (sc->pos >= sc->len || sc->s[sc->pos] != ',')
			break;
		sc->pos++;
	}
	if (found < 0)
		return -1;
	sc->pos = (size_t)found;
	return 0;
}

/* At '[': move to element idx. */
static int scan_element(struct cfg_scan *sc, size_t idx)
{
	sc->pos++;
	for (size_t i = 0; i < idx; i++) {
		scan_ws(sc);
		if (sc->pos >= sc->len || sc->s[sc->pos] == ']')
			return -1;
		if (scan_value(sc) < 0)
			return -1;
		scan_ws(sc);
		if (sc->pos >= sc->len || sc->s[sc->pos] != ',')
			return -1;
		sc->pos++;
	}
	scan_ws(sc);
	if (sc->pos >= sc->len || sc->s[sc->pos] == ']')
		return -1;
	return 0;
}

static int scan_path(struct cfg_scan *sc, const struct cfg_path *p)
{
	if (p == NULL) {
		sc->pos = 0;
		scan_ws(sc);
		return sc->pos < sc->len ? 0 : -1;
	}
	if (scan_path(sc, p->parent) < 0 || sc->pos >= sc->len)
		return -1;
	if (p->key != NULL)
		return sc->s[sc->pos] == '{' ? scan_member(sc, p->key) : -1;
	return sc->s[sc->pos] == '[' ? scan_element(sc, p->idx) : -1;
}

long config_path_offset(const char *text, size_t len, const struct cfg_path *p)
{
	struct cfg_scan sc = {.s = text, .len = len};

	if (text == NULL || scan_path(&sc, p) < 0)
		return -1;
	return (long)sc.pos;
}

void config_offset_linecol(const char *text, size_t len, size_t off, int *line, int *col)
{
	int l = 1, c = 1;

	for (size_t i = 0; i < off && i < len; i++) {
		unsigned char ch = (unsigned char)text[i];
		if (ch == '\n') {
			l++;
			c = 1;
		} else if ((ch & 0xC0) != 0x80) {
			c++;
		}
	}
	*line = l;
	*col = c;
}

/* Where the value at p is, or failing that its nearest ancestor that can be found. */
static void path_linecol(struct cfg_ctx *c, const struct cfg_path *p, int *line, int *col)
{
	long off = -1;

	for (;;) {
		off = config_path_offset(c->text, c->len, p);
		if (off >= 0 || p == NULL)
			break;
		p = p->parent;
	}
	config_offset_linecol(c->text, c->len, off < 0 ? 0 : (size_t)off, line, col);
}

static bool key_is_plain(const char *k)
{
	if (*k == '\0')
		return false;
	for (; *k; k++) {
		if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') ||
		      (*k >= '0' && *k <= '9') || *k == '_'))
			return false;
	}
	return true;
}

static void path_write(FILE *f, const struct cfg_path *p)
{
	if (p == NULL)
		return;
	path_write(f, p->parent);
	if (p->key == NULL)
		fprintf(f, "[%zu]", p->idx);
	else if (key_is_plain(p->key))
		fprintf(f, "%s%s", p->parent != NULL ? "." : "", p->key);
	else
		fprintf(f, "[\"%s\"]", p->key);
}

char *config_path_str(const struct cfg_path *p)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (f == NULL)
		return xstrdup("");
	path_write(f, p);
	fclose(f);
	return buf != NULL ? buf : xstrdup("");
}

char *config_one_line(const char *s)
{
	char *out = xmalloc0(4 * strlen(s) + 1);
	char *o = out;

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '\n')
			o += sprintf(o, "\\n");
		else if (ch == '\t')
			o += sprintf(o, "\\t");
		else if (ch == '\r')
			o += sprintf(o, "\\r");
		else if (ch < 0x20 || ch == 0x7f)
			o += sprintf(o, "\\x%02x", ch);
		else
			*o++ = (char)ch;
	}
	*o = '\0';
	return out;
}

/* Set the error to `msg` made one line. */
static int perr_set(struct cfg_ctx *c, const char *msg)
{
	cleanup_free char *line = config_one_line(msg);
	return berth_error(c->err, 0, "%s", line);
}

int config_perr(struct cfg_ctx *c, const struct cfg_path *p, const char *fmt, ...)
{
	cleanup_free char *path = config_path_str(p);
	cleanup_free char *msg = NULL;
	cleanup_free char *full = NULL;
	int line, col;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	path_linecol(c, p, &line, &col);
	full = xasprintf("%s: %s%s%s (line %d, column %d)", c->name, path, *path ? ": " : "",
	                 msg ? msg : "out of memory", line, col);
	return perr_set(c, full);
}

int config_perr_missing(struct cfg_ctx *c, const struct cfg_path *obj, const char *key)
{
	cleanup_free char *path = config_path_str(CFG_KEY(obj, key));
	cleanup_free char *opath = config_path_str(obj);
	cleanup_free char *full = NULL;
	int line, col;

	path_linecol(c, obj, &line, &col);
	full = xasprintf("%s: %s: required field missing (line %d, column %d%s%s)", c->name, path,
	                 line, col, *opath ? " of " : "", opath);
	return perr_set(c, full);
}

const char *config_json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "object";
	case JSON_ARRAY:
		return "array";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
		return "integer";
	case JSON_REAL:
		return "real";
	case JSON_TRUE:
	case JSON_FALSE:
		return "boolean";
	case JSON_NULL:
		return "null";
	}
	return "unknown";
}

int config_perr_type(struct cfg_ctx *c, const struct cfg_path *p, const char *what, const json_t *v)
{
	return config_perr(c, p, "expected %s, got %s", what, config_json_type_name(v));
}

/* ------------------------------------------------------------------------------------------
 * Typed getters
 */

json_t *config_jget(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_null(v) ? NULL : v;
}

int config_jobj(struct cfg_ctx *c, const json_t *obj, const struct cfg_path *p, const char *key,
                bool required, json_t **out)
{
	json_t *v = config_jget(obj, key);

	*out = NULL;
	if (v == NULL)
		return required ? config_perr_missing(c, p, key) : 0;
	if (!json_is_object(v))
		return config_perr_type(c, CFG_KEY(p, key), "object", v);
	*out = v;
	return 0;
}

int config_jstr(struct cfg_ctx *c, const json_t *obj, const struct cfg_path *p, const char *key,
                bool required, char **out)
{
	json_t *v = config_jget(obj, key);

	if (v == NULL)
		return required ? config_perr_missing(c, p, key) : 0;
	if (!json_is_string(v))
		return config_perr_type(c, CFG_KEY(p, key), "string", v);
	free(*out);
	*out = xstrdup(json_string_value(v));
	return 0;
}

int config_jbool(struct cfg_ctx *c, const json_t *obj, const struct cfg_path *p, const char *key,
                 bool *out, bool *has)
{
	json_t *v = config_jget(obj, key);

	if (has != NULL)
		*has = false;
	if (v == NULL)
		return 0;
	if (!json_is_boolean(v))
		return config_perr_type(c, CFG_KEY(p, key), "boolean", v);
	*out = json_is_true(v);
	if (has != NULL)
		*has = true;
	return 0;
}

char *config_bigints_hide(const char *text, size_t len, struct cfg_bigint **big, size_t *n_big)
{
	char *copy = NULL;
	size_t cap = 0;

	*big = NULL;
	*n_big = 0;
	for (size_t i = 0; i < len;) {
		size_t start = i;
		char digits[24];
		uint64_t v;
		char *end;

		if (text[i] == '"') {
			for (i++; i < len && text[i] != '"'; i++)
				i += text[i] == '\\';
			i++;
			continue;
		}
		if (text[i] < '0' || text[i] > '9' ||
		    (i > 0 && ((text[i - 1] >= '0' && text[i - 1] <= '9') || text[i - 1] == '-' ||
		               text[i - 1] == '+' || text[i - 1] == '.' || text[i - 1] == 'e' ||
		               text[i - 1] == 'E'))) {
			i++;
			continue;
		}
		while (i < len && text[i] >= '0' && text[i] <= '9')
			i++;
		/* 2^63 has 19 digits, 2^64 - 1 has 20; reals are jansson's business */
		if (i - start < 19 || i - start > 20 ||
		    (i < len && (text[i] == '.' || text[i] == 'e' || text[i] == 'E')))
			continue;
		memcpy(digits, text + start, i - start);
		digits[i - start] = '\0';
		errno = 0;
		v = strtoull(digits, &end, 10);
		if (errno != 0 || *end != '\0' || v <= (uint64_t)INT64_MAX)
			continue;
		if (copy == NULL) {
			copy = xmalloc0(len + 1);
			memcpy(copy, text, len);
		}
		if (*n_big == cap) {
			cap = cap ? 2 * cap : 4;
			*big = xrealloc(*big, cap * sizeof(**big));
		}
		(*big)[(*n_big)++] = (struct cfg_bigint){.off = start, .value = v};
		/* "-1000…0" of the same width: a valid int64 that no position shift betrays */
		copy[start] = '-';
		copy[start + 1] = '1';
		memset(copy + start + 2, '0', i - start - 2);
	}
	return copy;
}

bool config_bigint_at(struct cfg_ctx *c, const json_t *v, const struct cfg_path *p, uint64_t *out)
{
	long off;

	if (c->n_big == 0 || json_integer_value(v) >= 0)
		return false;
	off = config_path_offset(c->text, c->len, p);
	for (size_t i = 0; off >= 0 && i < c->n_big; i++) {
		if (c->big[i].off == (size_t)off) {
			*out = c->big[i].value;
			return true;
		}
	}
	return false;
}

int config_jint_at(struct cfg_ctx *c, const json_t *v, const struct cfg_path *p, int64_t min,
                   int64_t max, int64_t *out)
{
	uint64_t big;
	int64_t n;

	if (!json_is_integer(v))
		return config_perr_type(c, p, "integer", v);
	if (config_bigint_at(c, v, p, &big))
		return config_perr(c, p,
		                   "value %" PRIu64 " out of range (%" PRId64 " to %" PRId64 ")",
		                   big, min, max);
	n = (int64_t)json_integer_value(v);
	if (n < min || n > max)
		return config_perr(c, p,
		                   "value %" PRId64 " out of range (%" PRId64 " to %" PRId64 ")", n,
		                   min, max);
	*out = n;
	return 0;
}

int config_jint(struct cfg_ctx *c, const json_t *obj, const struct cfg_path *p, const char *key,
                int64_t min, int64_t max, int64_t *out, bool *has)
{
	json_t *v = config_jget(obj, key);

	if (has != NULL)
		*has = false;
	if (v == NULL)
		return has == NULL ? config_perr_missing(c, p, key) : 0;
	if (config_jint_at(c, v, CFG_KEY(p, key), min, max, out) < 0)
		return -1;
	if (has != NULL)
		*has = true;
	return 0;
}

int config_juint(struct cfg_ctx *c, const json_t *obj, const struct cfg_path *p, const char *key,
                 uint64_t max, uint64_t *out, bool *has)
{
	json_t *v = config_jget(obj, key);
	const struct cfg_path *vp = CFG_KEY(p, key);
	uint64_t u;

	if (has != NULL)
		*has = false;
	if (v == NULL)
		return has == NULL ? config_perr_missing(c, p, key) : 0;
	if (!json_is_integer(v))
		return config_perr_type(c, vp, "integer", v);
	if (!config_bigint_at(c, v, vp, &u)) {
		if (json_integer_value(v) < 0)
			return config_perr(
			    c, vp, "value %" JSON_INTEGER_FORMAT " out of range (0 to %" PRIu64 ")",
			    json_integer_value(v), max);
		u = (uint64_t)json_integer_value(v);
	}
	if (u > max)
		return config_perr(c, vp, "value %" PRIu64 " out of range (0 to %" PRIu64 ")", u,
		                   max);
	*out = u;
	if (has != NULL)
		*has = true;
	return 0;
}

int config_jstrv(struct cfg_ctx *c, const json_t *obj, const struct cfg_path *p, const char *key,
                 char ***out, size_t *n)
{
	json_t *v = config_jget(obj, key);
	const struct cfg_path *ap = CFG_KEY(p, key);
	size_t i, count;

	if (v == NULL)
		return 0;
	if (!json_is_array(v))
		return config_perr_type(c, ap, "array", v);
	count = json_array_size(v);
	config_strv_free(*out, *n);
	*out = xmalloc0((count + 1) * sizeof(char *));
	*n = count;
	for (i = 0; i < count; i++) {
		json_t *e = json_array_get(v, i);
		if (!json_is_string(e))
			return config_perr_type(c, CFG_IDX(ap, i), "string", e);
		(*out)[i] = xstrdup(json_string_value(e));
	}
	return 0;
}

int config_jmap(struct cfg_ctx *c, const json_t *obj, const struct cfg_path *p, const char *key,
                struct config_kv **out, size_t *n)
{
	json_t *m, *e;
	const char *k;
	size_t i = 0;

	if (config_jobj(c, obj, p, key, false, &m) < 0)
		return -1;
	if (m == NULL)
		return 0;
	*out = xmalloc0((json_object_size(m) + 1) * sizeof(**out));
	*n = json_object_size(m);
	json_object_foreach(m, k, e)
	{
		if (json_is_null(e))
			continue; /* as if absent */
		if (!json_is_string(e))
			return config_perr_type(c, CFG_KEY(CFG_KEY(p, key), k), "string", e);
		(*out)[i].key = xstrdup(k);
		(*out)[i].value = xstrdup(json_string_value(e));
		i++;
	}
	*n = i;
	return 0;
}

int config_jarray(struct cfg_ctx *c, const json_t *obj, const struct cfg_path *p, const char *key,
                  json_t **out)
{
	json_t *v = config_jget(obj, key);

	*out = NULL;
	if (v == NULL)
		return 0;
	if (!json_is_array(v))
		return config_perr_type(c, CFG_KEY(p, key), "array", v);
	*out = v;
	return 0;
}

int config_jeach(struct cfg_ctx *c, const json_t *arr, const struct cfg_path *ap, void *elems,
                 size_t size, cfg_elem_fn fn)
{
	for (size_t i = 0; i < json_array_size(arr); i++) {
		json_t *e = json_array_get(arr, i);
		if (!json_is_object(e))
			return config_perr_type(c, CFG_IDX(ap, i), "object", e);
		if (fn(c, e, CFG_IDX(ap, i), (char *)elems + i * size) < 0)
			return -1;
	}
	return 0;
}

int config_check_abs(struct cfg_ctx *c, const struct cfg_path *p, const char *value)
{
	if (value != NULL && value[0] != '/')
		return config_perr(c, p, "must be an absolute path, got \"%s\"", value);
	return 0;
}

static int parse_id_mapping(struct cfg_ctx *c, const json_t *v, const struct cfg_path *p,
                            void *elem)
{
	struct config_id_mapping *m = elem;
	int64_t cid, hid, size;

	if (config_jint(c, v, p, "containerID", 0, CFG_U32_MAX, &cid, NULL) < 0 ||
	    config_jint(c, v, p, "hostID", 0, CFG_U32_MAX, &hid, NULL) < 0 ||
	    config_jint(c, v, p, "size", 0, CFG_U32_MAX, &size, NULL) < 0)
		return -1;
	if (size == 0)
		return config_perr(c, CFG_KEY(p, "size"), "must be greater than zero");
	if (cid + size - 1 > CFG_U32_MAX || hid + size - 1 > CFG_U32_MAX)
		return config_perr(c, CFG_KEY(p, "size"), "range exceeds 4294967295");
	m->container_id = (uint32_t)cid;
	m->host_id = (uint32_t)hid;
	m->size = (uint32_t)size;
	return 0;
}

int config_parse_id_mappings(struct cfg_ctx *c, const json_t *obj, const struct cfg_path *p,
                             const char *key, struct config_id_mapping **out, size_t *n)
{
	return CFG_OBJECTS_MAX(c, obj, p, key, *out, *n, parse_id_mapping, CONFIG_MAX_ID_MAPPINGS);
}

void config_strv_free(char **v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void config_kv_free(struct config_kv *kv, size_t n)
{
	if (kv == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}
