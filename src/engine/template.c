/* SPDX-License-Identifier: MIT */
/* --format templates: a subset of Go's text/template over JSON (template.h). The template is
 * parsed into a tree first (every error found before anything is printed), then executed into
 * a buffer. */
#include "template.h"
#include "util.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum tnode_kind { T_TEXT, T_ACTION, T_RANGE, T_IF };
enum targ_kind { A_FIELD, A_STR, A_NUM };

struct targ {
	enum targ_kind kind;
	char **path; /* A_FIELD: the names after the dot (none: the dot itself) */
	size_t n_path;
	char *str;
	long long num;
};

struct tcmd {
	const char *fn; /* NULL: one operand */
	struct targ *args;
	size_t n_args;
};

struct tpipe {
	struct tcmd *cmds;
	size_t n;
};

struct tnode;
struct tlist {
	struct tnode **v;
	size_t n;
};

struct tnode {
	enum tnode_kind kind;
	char *text;
	size_t text_len;
	struct tpipe pipe;
	struct tlist body, alt;
};

struct tparse {
	const char *what, *tmpl;
	const char *p; /* where the scan is */
	void **mem;    /* everything allocated, freed at the end */
	size_t n_mem;
	bool trim_next; /* the last action ended with -}} */
	berth_error_t *err;
	bool failed;
};

static void *tp_alloc(struct tparse *t, size_t n)
{
	void *p = xmalloc0(n ? n : 1);

	t->mem = xrealloc(t->mem, (t->n_mem + 1) * sizeof(*t->mem));
	t->mem[t->n_mem++] = p;
	return p;
}

static int tp_fail(struct tparse *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int tp_fail(struct tparse *t, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (t->failed)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	t->failed = true;
	return berth_error(t->err, 0, "bad %s `%s`: %s", t->what, t->tmpl, msg);
}

static void tl_add(struct tparse *t, struct tlist *l, struct tnode *n)
{
	struct tnode **v = tp_alloc(t, (l->n + 1) * sizeof(*v));

	if (l->n)
		memcpy(v, l->v, l->n * sizeof(*v));
	v[l->n++] = n;
	l->v = v;
}

static void tp_space(struct tparse *t)
{
	while (*t->p == ' ' || *t->p == '\t' || *t->p == '\n' || *t->p == '\r')
		t->p++;
}

/* the end of an action: "}}" or " -}}" */
static bool tp_at_close(struct tparse *t)
{
	tp_space(t);
	if (strncmp(t->p, "-}}", 3) == 0 && t->p[-1] == ' ')
		return true;
	return strncmp(t->p, "}}", 2) == 0;
}

static int tp_close(struct tparse *t)
{
	if (!tp_at_close(t) && *t->p == '\0')
		return tp_fail(t, "an action without its closing }}");
	if (!tp_at_close(t))
		return tp_fail(t, "expected }} at `%.10s`", t->p);
	if (*t->p == '-') {
		t->trim_next = true;
		t->p++;
	}
	t->p += 2;
	return 0;
}

static char *tp_word(struct tparse *t)
{
	const char *s = t->p;
	char *w;

	while (isalnum((unsigned char)*t->p) || *t->p == '_')
		t->p++;
	w = tp_alloc(t, (size_t)(t->p - s) + 1);
	memcpy(w, s, (size_t)(t->p - s));
	return w;
}

static int tp_arg(struct tparse *t, struct targ *a)
{
	tp_space(t);
	if (*t->p == '.') {
		a->kind = A_FIELD;
		t->p++;
		while (isalpha((unsigned char)*t->p) || *t->p == '_') {
			char **v = tp_alloc(t, (a->n_path + 1) * sizeof(*v));
			if (a->n_path)
				memcpy(v, a->path, a->n_path * sizeof(*v));
			v[a->n_path++] = tp_word(t);
			a->path = v;
			if (*t->p != '.')
				break;
			t->p++;
			if (!isalpha((unsigned char)*t->p) && *t->p != '_')
				return tp_fail(t, "a field name expected after `.`");
		}
		if (*t->p && !strchr(" \t\n\r}|-", *t->p))
			return tp_fail(t, "unexpected `%c` in a field", *t->p);
		return 0;
	}
	if (*t->p == '"' || *t->p == '`') {
		char q = *t->p++;
		size_t n = 0;
		char *s = tp_alloc(t, strlen(t->p) + 1);
		for (; *t->p && *t->p != q; t->p++) {
			if (q == '"' && *t->p == '\\' && t->p[1]) {
				t->p++;
				s[n++] = *t->p == 'n' ? '\n' : *t->p == 't' ? '\t' : *t->p;
				continue;
			}
			s[n++] = *t->p;
		}
		if (*t->p != q)
			return tp_fail(t, "a string without its closing %c", q);
		t->p++;
		a->kind = A_STR;
		a->str = s;
		return 0;
	}
	if (isdigit((unsigned char)*t->p) || (*t->p == '-' && isdigit((unsigned char)t->p[1]))) {
		char *end;
		a->kind = A_NUM;
		a->num = strtoll(t->p, &end, 10);
		t->p = end;
		return 0;
	}
	if (*t->p == '$')
		return tp_fail(t, "variables ($) are not supported");
	if (*t->p == '(')
		return tp_fail(t, "parentheses are not supported");
	return tp_fail(t, "unexpected `%.10s`", t->p);
}

static const char *const tp_fns[] = {"json", "index", "len", "join", "upper", "lower"};

static int tp_pipe(struct tparse *t, struct tpipe *pl)
{
	for (;;) {
		struct tcmd c = {0};
		tp_space(t);
		if (isalpha((unsigned char)*t->p)) {
			const char *w = tp_word(t);
			size_t i;
			for (i = 0; i < ARRAY_SIZE(tp_fns); i++)
				if (strcmp(w, tp_fns[i]) == 0)
					break;
			if (i == ARRAY_SIZE(tp_fns))
				return tp_fail(
				    t,
				    "unknown function `%s` (berth knows json, index, len, "
				    "join, upper, lower)",
				    w);
			c.fn = tp_fns[i];
		}
		for (;;) {
			struct targ *v;
			if (tp_at_close(t) || *t->p == '|')
				break;
			v = tp_alloc(t, (c.n_args + 1) * sizeof(*v));
			if (c.n_args)
				memcpy(v, c.args, c.n_args * sizeof(*v));
			c.args = v;
			if (tp_arg(t, &c.args[c.n_args++]) < 0)
				return -1;
			if (c.fn == NULL)
				break;
		}
		if (c.fn == NULL && c.n_args == 0)
			return tp_fail(t, "an empty action");
		{
			struct tcmd *v = tp_alloc(t, (pl->n + 1) * sizeof(*v));
			if (pl->n)
				memcpy(v, pl->cmds, pl->n * sizeof(*v));
			v[pl->n++] = c;
			pl->cmds = v;
		}
		tp_space(t);
		if (*t->p != '|')
			return 0;
		t->p++;
	}
}

/* The nodes up to {{end}} / {{else}} (*stop gets which) or the end of the template. */
static int tp_list(struct tparse *t, struct tlist *l, const char **stop)
{
	*stop = NULL;
	while (*t->p) {
		const char *open = strstr(t->p, "{{");
		const char *tend = open ? open : t->p + strlen(t->p);
		bool trim_before = open && open[2] == '-' &&
		                   (open[3] == ' ' || open[3] == '\t' || open[3] == '\n');
		if (tend > t->p) {
			struct tnode *n = tp_alloc(t, sizeof(*n));
			const char *s = t->p, *e = tend;
			char *o;
			if (t->trim_next)
				while (s < e && isspace((unsigned char)*s))
					s++;
			if (trim_before)
				while (e > s && isspace((unsigned char)e[-1]))
					e--;
			n->kind = T_TEXT;
			o = n->text = tp_alloc(t, (size_t)(e - s) + 1);
			for (; s < e; s++) {
				if (*s == '\\' && s + 1 < e && (s[1] == 'n' || s[1] == 't')) {
					*o++ = s[1] == 'n' ? '\n' : '\t';
					s++;
					continue;
				}
				*o++ = *s;
			}
			n->text_len = (size_t)(o - n->text);
			tl_add(t, l, n);
		}
		t->trim_next = false;
		if (open == NULL) {
			t->p = tend;
			return 0;
		}
		t->p = open + 2 + (trim_before ? 1 : 0);
		tp_space(t);
		if (strncmp(t->p, "/*", 2) == 0) {
			const char *c = strstr(t->p, "*/");
			if (c == NULL)
				return tp_fail(t, "a comment without its */");
			t->p = c + 2;
			if (tp_close(t) < 0)
				return -1;
			continue;
		}
		if (isalpha((unsigned char)*t->p)) {
			const char *save = t->p;
			const char *w = tp_word(t);
			if (strcmp(w, "end") == 0 || strcmp(w, "else") == 0) {
				*stop = w;
				return tp_close(t);
			}
			if (strcmp(w, "range") == 0 || strcmp(w, "if") == 0) {
				struct tnode *n = tp_alloc(t, sizeof(*n));
				const char *st;
				n->kind = w[0] == 'r' ? T_RANGE : T_IF;
				if (tp_pipe(t, &n->pipe) < 0 || tp_close(t) < 0 ||
				    tp_list(t, &n->body, &st) < 0)
					return -1;
				if (st && strcmp(st, "else") == 0 && tp_list(t, &n->alt, &st) < 0)
					return -1;
				if (st == NULL || strcmp(st, "end") != 0)
					return tp_fail(t, "{{%s}} without its {{end}}", w);
				tl_add(t, l, n);
				continue;
			}
			if (strcmp(w, "with") == 0 || strcmp(w, "define") == 0 ||
			    strcmp(w, "template") == 0 || strcmp(w, "block") == 0)
				return tp_fail(t, "{{%s}} is not supported", w);
			t->p = save;
		}
		{
			struct tnode *n = tp_alloc(t, sizeof(*n));
			n->kind = T_ACTION;
			if (tp_pipe(t, &n->pipe) < 0 || tp_close(t) < 0)
				return -1;
			tl_add(t, l, n);
		}
	}
	return 0;
}

/* ---- execution --------------------------------------------------------------------------- */

struct tout {
	char *buf;
	size_t len, cap;
};

static void to_put(struct tout *o, const char *s, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		o->cap = (o->len + n + 1) * 2;
		o->buf = xrealloc(o->buf, o->cap);
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static const char *tx_type(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_NULL:
		return "null";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "a number";
	}
}

/* a new reference to the value of arg */
static json_t *tx_arg(struct tparse *t, const struct targ *a, json_t *dot)
{
	json_t *v = dot;

	if (a->kind == A_STR)
		return json_string(a->str);
	if (a->kind == A_NUM)
		return json_integer(a->num);
	for (size_t i = 0; i < a->n_path; i++) {
		json_t *next = NULL;
		const char *k;
		json_t *x;
		if (!json_is_object(v)) {
			tp_fail(t, "cannot take the field `%s` of %s", a->path[i], tx_type(v));
			return NULL;
		}
		next = json_object_get(v, a->path[i]);
		if (next == NULL)
			json_object_foreach(v, k, x) if (strcasecmp(k, a->path[i]) == 0)
			{
				next = x;
				break;
			}
		if (next == NULL) {
			tp_fail(t, "no field `%s`", a->path[i]);
			return NULL;
		}
		v = next;
	}
	return json_incref(v);
}

static json_t *tx_fn(struct tparse *t, const char *fn, json_t **argv, size_t argc)
{
	if (strcmp(fn, "index") == 0) {
		json_t *v;
		if (argc < 2) {
			tp_fail(t, "index needs a value and at least one key");
			return NULL;
		}
		v = argv[0];
		for (size_t i = 1; i < argc; i++) {
			if (json_is_object(v) && json_is_string(argv[i]))
				v = json_object_get(v, json_string_value(argv[i]));
			else if (json_is_array(v) && json_is_integer(argv[i])) {
				json_int_t k = json_integer_value(argv[i]);
				if (k < 0 || (size_t)k >= json_array_size(v)) {
					tp_fail(t, "index %lld out of range", (long long)k);
					return NULL;
				}
				v = json_array_get(v, (size_t)k);
			} else if (json_is_null(v)) {
				v = NULL;
			} else {
				tp_fail(t, "cannot index %s with %s", tx_type(v), tx_type(argv[i]));
				return NULL;
			}
			if (v == NULL)
				return json_null();
		}
		return json_incref(v);
	}
	if (argc != (strcmp(fn, "join") == 0 ? 2u : 1u)) {
		tp_fail(t, "%s takes %s", fn, strcmp(fn, "join") == 0 ? "two values" : "one value");
		return NULL;
	}
	if (strcmp(fn, "json") == 0) {
		char *s = json_dumps(argv[0], JSON_COMPACT | JSON_ENCODE_ANY);
		json_t *r = json_string(s ? s : "null");
		free(s);
		return r;
	}
	if (strcmp(fn, "len") == 0) {
		if (json_is_array(argv[0]) || json_is_object(argv[0]))
			return json_integer((json_int_t)(json_is_array(argv[0])
			                                     ? json_array_size(argv[0])
			                                     : json_object_size(argv[0])));
		if (json_is_string(argv[0]))
			return json_integer((json_int_t)json_string_length(argv[0]));
		tp_fail(t, "len of %s", tx_type(argv[0]));
		return NULL;
	}
	if (strcmp(fn, "join") == 0) {
		struct tout o = {0};
		size_t i;
		json_t *x;
		if (!json_is_array(argv[0]) || !json_is_string(argv[1])) {
			tp_fail(t, "join takes an array of strings and a string");
			return NULL;
		}
		to_put(&o, "", 0);
		json_array_foreach(argv[0], i, x)
		{
			if (!json_is_string(x)) {
				free(o.buf);
				tp_fail(t, "join takes an array of strings");
				return NULL;
			}
			if (i)
				to_put(&o, json_string_value(argv[1]), json_string_length(argv[1]));
			to_put(&o, json_string_value(x), json_string_length(x));
		}
		x = json_stringn(o.buf, o.len);
		free(o.buf);
		return x;
	}
	/* upper, lower */
	if (!json_is_string(argv[0])) {
		tp_fail(t, "%s of %s", fn, tx_type(argv[0]));
		return NULL;
	}
	{
		char *s = xstrdup(json_string_value(argv[0]));
		json_t *r;
		for (char *c = s; *c; c++)
			*c = (char)(fn[0] == 'u' ? toupper((unsigned char)*c)
			                         : tolower((unsigned char)*c));
		r = json_string(s);
		free(s);
		return r;
	}
}

static json_t *tx_pipe(struct tparse *t, const struct tpipe *pl, json_t *dot)
{
	json_t *prev = NULL;

	for (size_t i = 0; i < pl->n; i++) {
		const struct tcmd *c = &pl->cmds[i];
		size_t argc = c->n_args + (prev ? 1 : 0);
		json_t **argv = xmalloc0((argc + 1) * sizeof(*argv));
		json_t *r = NULL;
		size_t k;
		bool ok = true;
		for (k = 0; k < c->n_args && ok; k++)
			ok = (argv[k] = tx_arg(t, &c->args[k], dot)) != NULL;
		if (ok && prev) {
			argv[k] = prev;
			prev = NULL;
		}
		if (ok && c->fn)
			r = tx_fn(t, c->fn, argv, argc);
		else if (ok && argc == 1)
			r = json_incref(argv[0]);
		else if (ok)
			tp_fail(t, "a value cannot take arguments");
		for (k = 0; k < argc; k++)
			json_decref(argv[k]);
		free(argv);
		json_decref(prev);
		if (r == NULL)
			return NULL;
		prev = r;
	}
	return prev;
}

static bool tx_true(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_NULL:
	case JSON_FALSE:
		return false;
	case JSON_STRING:
		return json_string_length(v) > 0;
	case JSON_INTEGER:
		return json_integer_value(v) != 0;
	case JSON_REAL:
		return json_real_value(v) != 0;
	case JSON_ARRAY:
		return json_array_size(v) > 0;
	case JSON_OBJECT:
		return json_object_size(v) > 0;
	default:
		return true;
	}
}

static void tx_print(struct tout *o, const json_t *v)
{
	char num[64];

	switch (json_typeof(v)) {
	case JSON_STRING:
		to_put(o, json_string_value(v), json_string_length(v));
		return;
	case JSON_NULL:
		to_put(o, "<no value>", 10);
		return;
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		to_put(o, num, strlen(num));
		return;
	default: {
		char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		to_put(o, s ? s : "", s ? strlen(s) : 0);
		free(s);
	}
	}
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int tx_list(struct tparse *t, const struct tlist *l, json_t *dot, struct tout *o);

static int tx_node(struct tparse *t, const struct tnode *n, json_t *dot, struct tout *o)
{
	json_t *v;
	int r = 0;

	if (n->kind == T_TEXT) {
		to_put(o, n->text, n->text_len);
		return 0;
	}
	v = tx_pipe(t, &n->pipe, dot);
	if (v == NULL)
		return -1;
	if (n->kind == T_ACTION) {
		tx_print(o, v);
	} else if (n->kind == T_IF) {
		r = tx_list(t, tx_true(v) ? &n->body : &n->alt, dot, o);
	} else if (json_is_array(v)) {
		size_t i;
		json_t *x;
		if (json_array_size(v) == 0)
			r = tx_list(t, &n->alt, dot, o);
		json_array_foreach(v, i, x) if (r == 0) r = tx_list(t, &n->body, x, o);
	} else if (json_is_object(v)) {
		size_t k = 0, nk = json_object_size(v);
		const char **keys = xmalloc0((nk + 1) * sizeof(*keys));
		const char *key;
		json_t *x;
		json_object_foreach(v, key, x) keys[k++] = key;
		qsort(keys, nk, sizeof(*keys), key_cmp);
		if (nk == 0)
			r = tx_list(t, &n->alt, dot, o);
		for (k = 0; k < nk && r == 0; k++)
			r = tx_list(t, &n->body, json_object_get(v, keys[k]), o);
		free(keys);
	} else if (json_is_null(v)) {
		r = tx_list(t, &n->alt, dot, o);
	} else {
		r = tp_fail(t, "range over %s", tx_type(v));
	}
	json_decref(v);
	return r;
}

static int tx_list(struct tparse *t, const struct tlist *l, json_t *dot, struct tout *o)
{
	for (size_t i = 0; i < l->n; i++)
		if (tx_node(t, l->v[i], dot, o) < 0)
			return -1;
	return 0;
}

int template_render(const char *what, const char *tmpl, json_t *dot, char **out, berth_error_t *err)
{
	struct tparse t = {.what = what, .tmpl = tmpl, .p = tmpl, .err = err};
	struct tlist root = {0};
	struct tout o = {0};
	const char *stop;
	int r;

	*out = NULL;
	r = tp_list(&t, &root, &stop);
	if (r == 0 && stop)
		r = tp_fail(&t, "{{%s}} without a {{range}} or {{if}}", stop);
	to_put(&o, "", 0);
	if (r == 0)
		r = tx_list(&t, &root, dot, &o);
	for (size_t i = 0; i < t.n_mem; i++)
		free(t.mem[i]);
	free(t.mem);
	if (r < 0) {
		free(o.buf);
		return -1;
	}
	*out = o.buf;
	return 0;
}

int template_render_each(const char *what, const char *tmpl, const char *json_array, char **out,
                         berth_error_t *err)
{
	json_t *all = json_loads(json_array, 0, NULL), *x;
	struct tout o = {0};
	size_t i;
	int r = 0;

	*out = NULL;
	if (!json_is_array(all)) {
		json_decref(all);
		return berth_error(err, 0, "%s: the list is not a JSON array", what);
	}
	to_put(&o, "", 0);
	json_array_foreach(all, i, x)
	{
		char *one;
		if (template_render(what, tmpl, x, &one, err) < 0) {
			r = -1;
			break;
		}
		to_put(&o, one, strlen(one));
		to_put(&o, "\n", 1);
		free(one);
	}
	/* a template with an error is refused for an empty list too */
	if (r == 0 && i == 0) {
		char *one;
		json_t *empty = json_object();
		r = template_render(what, tmpl, empty, &one, err);
		json_decref(empty);
		if (r < 0 && strstr((*err)->msg, ": no field `")) {
			berth_error_release(err);
			r = 0;
		}
		if (r == 0)
			free(one);
	}
	json_decref(all);
	if (r < 0) {
		free(o.buf);
		return -1;
	}
	*out = o.buf;
	return 0;
}
