/* SPDX-License-Identifier: MIT */
/* Internals shared by config.c, config_linux.c and config_spec.c: the JSON path of the value
 * being parsed, errors that point at its line and column, and typed getters. */
#ifndef BERTH_CONFIG_PRIV_H
#define BERTH_CONFIG_PRIV_H

#include "config.h"
#include "util.h"

#include <jansson.h>
#include <stdint.h>

/* One step of a JSON path; the chain of parents lives on the parser's stack. A NULL chain
 * is the document's top-level value. */
struct cfg_path {
	const struct cfg_path *parent;
	const char *key; /* member name, or NULL for the array element `idx` */
	size_t idx;
};

#define CFG_KEY(par, k) (&(const struct cfg_path){.parent = (par), .key = (k)})
#define CFG_IDX(par, i) (&(const struct cfg_path){.parent = (par), .idx = (i)})

/* jansson cannot hold integers above INT64_MAX, which uint64 fields (rlimits, seccomp
 * argument values, …) legitimately use. Before parsing, each such literal is replaced in a
 * copy of the text by a negative placeholder of the same width, and remembered here by
 * offset; the getters below give the real value back. */
struct cfg_bigint {
	size_t off;
	uint64_t value;
};

struct cfg_ctx {
	const char *text; /* the original document, to find line and column of a value */
	size_t len;
	const char *name; /* "config.json" */
	berth_error_t *err;
	struct cfg_bigint *big; /* sorted by offset */
	size_t n_big;
	bool quiet; /* no warnings: a document already parsed (and warned about) once */
};

#define CFG_U16_MAX 65535LL
#define CFG_U32_MAX 4294967295LL
#define CFG_I32_MIN (-2147483647LL - 1)
#define CFG_I32_MAX 2147483647LL

/* "process.args[2]" (malloc'ed; "" for the top level). */
char *config_path_str(const struct cfg_path *p);
/* Byte offset of the value at `p` in text, or -1 when it cannot be found. */
long config_path_offset(const char *text, size_t len, const struct cfg_path *p);
/* 1-based line and column (in characters, like jansson) of byte offset off. */
void config_offset_linecol(const char *text, size_t len, size_t off, int *line, int *col);

/* s with control characters escaped ("\n"), so that an error stays one line. */
char *config_one_line(const char *s);
/* "<name>: <path>: <problem> (line L, column C)" pointing at the value at p. Returns -1. */
int config_perr(struct cfg_ctx *c, const struct cfg_path *p, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "<name>: <obj>.<key>: required field missing (line L, column C of <obj>)". Returns -1. */
int config_perr_missing(struct cfg_ctx *c, const struct cfg_path *obj, const char *key);
const char *config_json_type_name(const json_t *v);
/* "<path>: expected <what>, got <type>". Returns -1. */
int config_perr_type(struct cfg_ctx *c, const struct cfg_path *p, const char *what,
                     const json_t *v);

/* obj[key], or NULL when absent or null (null counts as absent, as in Go's decoder). */
json_t *config_jget(const json_t *obj, const char *key);

/* Typed getters: p is the path of obj. Absent optional values leave *out alone (and set
 * *has = false when has is given); absent required ones are an error. */
int config_jobj(struct cfg_ctx *c, const json_t *obj, const struct cfg_path *p, const char *key,
                bool required, json_t **out);
int config_jstr(struct cfg_ctx *c, const json_t *obj, const struct cfg_path *p, const char *key,
                bool required, char **out);
int config_jbool(struct cfg_ctx *c, const json_t *obj, const struct cfg_path *p, const char *key,
                 bool *out, bool *has);
/* A copy of text with integer literals above INT64_MAX hidden (see cfg_bigint), or NULL
 * when there are none. */
char *config_bigints_hide(const char *text, size_t len, struct cfg_bigint **big, size_t *n_big);

/* Whether the integer v at path p is the placeholder of a big one; *out is its value. */
bool config_bigint_at(struct cfg_ctx *c, const json_t *v, const struct cfg_path *p, uint64_t *out);
/* The integer v at path p, checked against [min, max]. */
int config_jint_at(struct cfg_ctx *c, const json_t *v, const struct cfg_path *p, int64_t min,
                   int64_t max, int64_t *out);
/* has == NULL: required. */
int config_jint(struct cfg_ctx *c, const json_t *obj, const struct cfg_path *p, const char *key,
                int64_t min, int64_t max, int64_t *out, bool *has);
/* An unsigned integer up to max (which may exceed INT64_MAX). has == NULL: required. */
int config_juint(struct cfg_ctx *c, const json_t *obj, const struct cfg_path *p, const char *key,
                 uint64_t max, uint64_t *out, bool *has);
int config_jstrv(struct cfg_ctx *c, const json_t *obj, const struct cfg_path *p, const char *key,
                 char ***out, size_t *n);
/* An object of string values ("annotations", "sysctl", "unified"). */
int config_jmap(struct cfg_ctx *c, const json_t *obj, const struct cfg_path *p, const char *key,
                struct config_kv **out, size_t *n);

/* obj[key] as an array (*out = NULL when absent). */
int config_jarray(struct cfg_ctx *c, const json_t *obj, const struct cfg_path *p, const char *key,
                  json_t **out);
/* Parse each element of arr (at path ap), which must be an object, with fn into the zeroed
 * array elems of `size`-byte elements. */
typedef int (*cfg_elem_fn)(struct cfg_ctx *c, const json_t *v, const struct cfg_path *p,
                           void *elem);
int config_jeach(struct cfg_ctx *c, const json_t *arr, const struct cfg_path *ap, void *elems,
                 size_t size, cfg_elem_fn fn);
/* obj[key], an array of objects of at most `max` entries, into arr/n. Both are set before the
 * elements are parsed, so that a failure leaves them freeable. A longer array is refused
 * before any element is looked at (see CONFIG_MAX_* in config.h). */
#define CFG_OBJECTS_MAX(c, obj, p, key, arr, n, fn, max)                                           \
	({                                                                                         \
		json_t *_a;                                                                        \
		int _r = config_jarray((c), (obj), (p), (key), &_a);                               \
		if (_r == 0 && _a != NULL && json_array_size(_a) > (size_t)(max))                  \
			_r = config_perr((c), CFG_KEY((p), (key)),                                 \
			                 "%zu entries, more than the limit of %zu",                \
			                 json_array_size(_a), (size_t)(max));                      \
		else if (_r == 0 && _a != NULL) {                                                  \
			(n) = json_array_size(_a);                                                 \
			(arr) = xmalloc0(((n) + 1) * sizeof(*(arr)));                              \
			_r = config_jeach((c), _a, CFG_KEY((p), (key)), (arr), sizeof(*(arr)),     \
			                  (fn));                                                   \
		}                                                                                  \
		_r;                                                                                \
	})
#define CFG_OBJECTS(c, obj, p, key, arr, n, fn)                                                    \
	CFG_OBJECTS_MAX(c, obj, p, key, arr, n, fn, CONFIG_MAX_ARRAY)

/* If value is set, it must be an absolute path. */
int config_check_abs(struct cfg_ctx *c, const struct cfg_path *p, const char *value);

int config_parse_id_mappings(struct cfg_ctx *c, const json_t *obj, const struct cfg_path *p,
                             const char *key, struct config_id_mapping **out, size_t *n);
void config_strv_free(char **v, size_t n);
void config_kv_free(struct config_kv *kv, size_t n);

/* config_linux.c */
int config_parse_linux(struct cfg_ctx *c, const json_t *v, const struct cfg_path *p,
                       struct config_linux *l);
void config_linux_clear(struct config_linux *l);

#endif
