/* SPDX-License-Identifier: MIT */
/* The Containerfile parser (buildfile.h): directives, comments, continuations, instructions,
 * flags, exec and shell forms, substitution and .dockerignore patterns. Pure logic. */
#include "buildfile.h"
#include "util.h"

#include <ctype.h>
#include <fnmatch.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const keywords[BF_N] = {
    [BF_FROM] = "FROM",
    [BF_RUN] = "RUN",
    [BF_CMD] = "CMD",
    [BF_LABEL] = "LABEL",
    [BF_MAINTAINER] = "MAINTAINER",
    [BF_EXPOSE] = "EXPOSE",
    [BF_ENV] = "ENV",
    [BF_ADD] = "ADD",
    [BF_COPY] = "COPY",
    [BF_ENTRYPOINT] = "ENTRYPOINT",
    [BF_VOLUME] = "VOLUME",
    [BF_USER] = "USER",
    [BF_WORKDIR] = "WORKDIR",
    [BF_ARG] = "ARG",
    [BF_ONBUILD] = "ONBUILD",
    [BF_STOPSIGNAL] = "STOPSIGNAL",
    [BF_HEALTHCHECK] = "HEALTHCHECK",
    [BF_SHELL] = "SHELL",
};

/* the flags each instruction takes (NULL-terminated) */
static const char *const flags_from[] = {"platform", NULL};
static const char *const flags_run[] = {"network", NULL};
static const char *const flags_copy[] = {"from", "chown", "chmod", "link", NULL};
static const char *const flags_add[] = {"chown", "chmod", "link", NULL};
static const char *const flags_health[] = {"interval",       "timeout", "start-period",
                                           "start-interval", "retries", NULL};

const char *bf_keyword(enum bf_kind k)
{
	return k < BF_N ? keywords[k] : "?";
}

/* ---- a growing string ----------------------------------------------------------------- */
struct sb {
	char *p;
	size_t n, cap;
};

static void sb_putc(struct sb *b, char c)
{
	if (b->n + 2 > b->cap) {
		b->cap = b->cap ? b->cap * 2 : 64;
		b->p = xrealloc(b->p, b->cap);
	}
	b->p[b->n++] = c;
	b->p[b->n] = '\0';
}

static void sb_puts(struct sb *b, const char *s)
{
	while (*s)
		sb_putc(b, *s++);
}

static char *sb_take(struct sb *b)
{
	char *p = b->p ? b->p : xstrdup("");
	b->p = NULL;
	b->n = b->cap = 0;
	return p;
}

void bf_words_free(char **w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(w[i]);
	free(w);
}

/* ---- substitution ----------------------------------------------------------------------- */
struct lex {
	const char *what, *s;
	size_t i;
	char esc;
	bool raw; /* no substitution (the parser's own checks) */
	bf_lookup_fn lookup;
	void *ctx;
	berth_error_t *err;
};

static bool name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

static int lex_run(struct lex *L, struct sb *out, bool in_brace, bool split, bool *quoted);

/* At '$'. */
static int lex_dollar(struct lex *L, struct sb *out)
{
	const char *s = L->s;
	struct sb name = {0};
	const char *val;
	char op = 0;
	bool colon = false;

	L->i++; /* '$' */
	if (s[L->i] != '{') {
		if (!(isalpha((unsigned char)s[L->i]) || s[L->i] == '_')) {
			if (isdigit((unsigned char)s[L->i])) {
				L->i++; /* $1: positional, always empty here */
				return 0;
			}
			sb_putc(out, '$');
			return 0;
		}
		while (name_char(s[L->i]))
			sb_putc(&name, s[L->i++]);
		val = L->lookup(name.p, L->ctx);
		if (val)
			sb_puts(out, val);
		free(name.p);
		return 0;
	}
	L->i++; /* '{' */
	while (name_char(s[L->i]))
		sb_putc(&name, s[L->i++]);
	if (name.n == 0) {
		berth_error(L->err, 0, "%s: bad substitution at `${`: expected a variable name",
		            L->what);
		return -1;
	}
	if (s[L->i] == '}') {
		L->i++;
		val = L->lookup(name.p, L->ctx);
		if (val)
			sb_puts(out, val);
		free(name.p);
		return 0;
	}
	if (s[L->i] == ':') {
		colon = true;
		L->i++;
	}
	if (s[L->i] == '-' || s[L->i] == '+' || s[L->i] == '?') {
		struct sb word = {0};
		bool q = false;
		bool set;
		op = s[L->i++];
		if (lex_run(L, &word, true, false, &q) < 0) {
			free(name.p);
			free(word.p);
			return -1;
		}
		if (s[L->i] != '}') {
			berth_error(L->err, 0, "%s: bad substitution `${%s`: expected `}`", L->what,
			            name.p);
			free(name.p);
			free(word.p);
			return -1;
		}
		L->i++;
		val = L->lookup(name.p, L->ctx);
		set = val != NULL && (!colon || val[0] != '\0');
		if (op == '-')
			sb_puts(out, set ? val : word.p ? word.p : "");
		else if (op == '+')
			sb_puts(out, set ? (word.p ? word.p : "") : "");
		else if (!set) {
			berth_error(L->err, 0, "%s: %s: %s", L->what, name.p,
			            word.p && word.p[0] ? word.p : "is not set");
			free(name.p);
			free(word.p);
			return -1;
		} else
			sb_puts(out, val);
		free(name.p);
		free(word.p);
		return 0;
	}
	berth_error(
	    L->err, 0,
	    "%s: bad substitution `${%s%s`: expected `}`, `:-`, `:+`, `:?`, `-`, `+` or `?`",
	    L->what, name.p, colon ? ":" : "");
	free(name.p);
	return -1;
}

/* Copy from L->s[L->i] into out, expanding, removing quotes and escapes, until the end (or
 * an unquoted `}` when in_brace, or unquoted blank when split). *quoted: a quote was seen
 * (so an empty word is a word). */
static int lex_run(struct lex *L, struct sb *out, bool in_brace, bool split, bool *quoted)
{
	const char *s = L->s;

	while (s[L->i]) {
		char c = s[L->i];
		if (in_brace && c == '}')
			return 0;
		if (split && isspace((unsigned char)c))
			return 0;
		if (c == L->esc) {
			L->i++;
			if (s[L->i] == '\0') {
				sb_putc(out, c);
				return 0;
			}
			sb_putc(out, s[L->i++]);
			continue;
		}
		if (c == '\'') {
			*quoted = true;
			L->i++;
			while (s[L->i] && s[L->i] != '\'')
				sb_putc(out, s[L->i++]);
			if (s[L->i] != '\'')
				return berth_error(L->err, 0, "%s: unterminated single quote",
				                   L->what);
			L->i++;
			continue;
		}
		if (c == '"') {
			*quoted = true;
			L->i++;
			while (s[L->i] && s[L->i] != '"') {
				if (s[L->i] == L->esc && s[L->i + 1] &&
				    strchr("\"$", s[L->i + 1]) != NULL) {
					sb_putc(out, s[L->i + 1]);
					L->i += 2;
				} else if (s[L->i] == L->esc && s[L->i + 1] == L->esc) {
					sb_putc(out, L->esc);
					L->i += 2;
				} else if (s[L->i] == '$' && !L->raw) {
					if (lex_dollar(L, out) < 0)
						return -1;
				} else {
					sb_putc(out, s[L->i++]);
				}
			}
			if (s[L->i] != '"')
				return berth_error(L->err, 0, "%s: unterminated double quote",
				                   L->what);
			L->i++;
			continue;
		}
		if (c == '$' && !L->raw) {
			if (lex_dollar(L, out) < 0)
				return -1;
			continue;
		}
		sb_putc(out, c);
		L->i++;
	}
	return 0;
}

static const char *no_lookup(const char *name, void *ctx)
{
	(void)name;
	(void)ctx;
	return NULL;
}

int bf_expand(const char *what, const char *s, char escape, bf_lookup_fn lookup, void *ctx,
              char **out, berth_error_t *err)
{
	struct lex L = {.what = what,
	                .s = s,
	                .esc = escape,
	                .raw = lookup == NULL,
	                .lookup = lookup ? lookup : no_lookup,
	                .ctx = ctx,
	                .err = err};
	struct sb b = {0};
	bool q = false;

	if (lex_run(&L, &b, false, false, &q) < 0) {
		free(b.p);
		return -1;
	}
	*out = sb_take(&b);
	return 0;
}

int bf_expand_words(const char *what, const char *s, char escape, bf_lookup_fn lookup, void *ctx,
                    char ***words, size_t *n, berth_error_t *err)
{
	struct lex L = {.what = what,
	                .s = s,
	                .esc = escape,
	                .raw = lookup == NULL,
	                .lookup = lookup ? lookup : no_lookup,
	                .ctx = ctx,
	                .err = err};
	char **w = NULL;
	size_t k = 0;

	for (;;) {
		struct sb b = {0};
		bool q = false;
		while (isspace((unsigned char)s[L.i]))
			L.i++;
		if (s[L.i] == '\0')
			break;
		if (lex_run(&L, &b, false, true, &q) < 0) {
			free(b.p);
			bf_words_free(w, k);
			return -1;
		}
		if (b.n == 0 && !q)
			continue; /* an unquoted variable that expanded to nothing */
		w = xrealloc(w, (k + 1) * sizeof(*w));
		w[k++] = sb_take(&b);
	}
	*words = w;
	*n = k;
	return 0;
}

int bf_pairs(const char *what, const char *s, char escape, bool legacy, bool need_value,
             bf_lookup_fn lookup, void *ctx, char ***keys, char ***values, size_t *n,
             berth_error_t *err)
{
	char **w = NULL;
	size_t nw = 0;
	char **k = NULL, **v = NULL;
	size_t m = 0;
	const char *sp;

	/* the old form `KEY VALUE…`: the first word has no `=` */
	while (isspace((unsigned char)*s))
		s++;
	sp = s;
	while (*sp && !isspace((unsigned char)*sp) && *sp != '=')
		sp++;
	if (legacy && *sp != '=' && *sp != '\0') {
		cleanup_free char *key = strndup(s, (size_t)(sp - s));
		char *val = NULL;
		while (isspace((unsigned char)*sp))
			sp++;
		if (bf_expand(what, sp, escape, lookup, ctx, &val, err) < 0)
			return -1;
		k = xmalloc0(sizeof(*k));
		v = xmalloc0(sizeof(*v));
		k[0] = xstrdup(key);
		v[0] = val;
		*keys = k;
		*values = v;
		*n = 1;
		return 0;
	}
	if (bf_expand_words(what, s, escape, lookup, ctx, &w, &nw, err) < 0)
		return -1;
	if (nw == 0) {
		bf_words_free(w, nw);
		return berth_error(err, 0, "%s: expected KEY=VALUE", what);
	}
	k = xmalloc0(nw * sizeof(*k));
	v = xmalloc0(nw * sizeof(*v));
	for (size_t i = 0; i < nw; i++) {
		char *eq = strchr(w[i], '=');
		if (eq == w[i] || (eq == NULL && need_value)) {
			berth_error(err, 0, "%s: expected KEY=VALUE, not `%s`", what, w[i]);
			bf_words_free(w, nw);
			bf_words_free(k, m);
			bf_words_free(v, m);
			return -1;
		}
		k[m] = eq ? strndup(w[i], (size_t)(eq - w[i])) : xstrdup(w[i]);
		v[m] = eq ? xstrdup(eq + 1) : NULL;
		m++;
	}
	bf_words_free(w, nw);
	*keys = k;
	*values = v;
	*n = m;
	return 0;
}

/* ---- instructions ----------------------------------------------------------------------- */
void bf_insn_free(struct bf_insn *in)
{
	if (in == NULL)
		return;
	free(in->keyword);
	free(in->text);
	bf_words_free(in->flags, in->n_flags);
	bf_words_free(in->args, in->n_args);
	if (in->sub) {
		bf_insn_free(in->sub);
		free(in->sub);
	}
	memset(in, 0, sizeof(*in));
}

void bf_file_free(struct bf_file *f)
{
	for (size_t i = 0; i < f->n; i++)
		bf_insn_free(&f->v[i]);
	free(f->v);
	f->v = NULL;
	f->n = 0;
}

const char *bf_flag(const struct bf_insn *in, const char *name)
{
	size_t l = strlen(name);

	for (size_t i = in->n_flags; i-- > 0;) {
		const char *f = in->flags[i];
		if (strncmp(f, name, l) == 0 && (f[l] == '=' || f[l] == '\0'))
			return f[l] == '=' ? f + l + 1 : "";
	}
	return NULL;
}

static const char *const *kind_flags(enum bf_kind k)
{
	switch (k) {
	case BF_FROM:
		return flags_from;
	case BF_RUN:
		return flags_run;
	case BF_COPY:
		return flags_copy;
	case BF_ADD:
		return flags_add;
	case BF_HEALTHCHECK:
		return flags_health;
	default:
		return NULL;
	}
}

static bool json_form_kind(enum bf_kind k)
{
	return k == BF_RUN || k == BF_CMD || k == BF_ENTRYPOINT || k == BF_SHELL || k == BF_COPY ||
	       k == BF_ADD || k == BF_VOLUME;
}

/* The words of rest, without substitution: for counting. */
static int raw_words(const char *what, const char *rest, char esc, size_t *n, berth_error_t *err)
{
	char **w;

	if (bf_expand_words(what, rest, esc, NULL, NULL, &w, n, err) < 0)
		return -1;
	bf_words_free(w, *n);
	return 0;
}

static int check_insn(const char *what, struct bf_insn *in, char esc, berth_error_t *err);

/* One logical line (text) starting at line into *in. */
int bf_parse_insn(const char *file, int line, const char *text, char esc, struct bf_insn *in,
                  berth_error_t *err)
{
	const char *p = text, *kw;
	cleanup_free char *word = NULL;
	cleanup_free char *what = NULL;
	const char *const *allowed;
	int k;

	memset(in, 0, sizeof(*in));
	in->line = line;
	while (isspace((unsigned char)*p))
		p++;
	kw = p;
	while (*p && !isspace((unsigned char)*p))
		p++;
	word = strndup(kw, (size_t)(p - kw));
	for (char *c = word; *c; c++)
		*c = (char)toupper((unsigned char)*c);
	for (k = 0; k < BF_N; k++)
		if (strcmp(word, keywords[k]) == 0)
			break;
	if (k == BF_N)
		return berth_error(
		    err, 0,
		    "%s:%d: %s: unknown instruction (expected FROM, RUN, CMD, COPY, "
		    "ADD, ENV, ARG, WORKDIR, USER, LABEL, EXPOSE, ENTRYPOINT, VOLUME, "
		    "STOPSIGNAL, SHELL, HEALTHCHECK, ONBUILD or MAINTAINER)",
		    file, line, word);
	in->kind = (enum bf_kind)k;
	in->keyword = xstrdup(word);
	in->text = xstrdup(kw);
	{
		/* the text on one line, trailing blanks dropped */
		size_t l = strlen(in->text);
		while (l && isspace((unsigned char)in->text[l - 1]))
			in->text[--l] = '\0';
	}
	what = xasprintf("%s:%d: %s", file, line, word);
	while (isspace((unsigned char)*p))
		p++;
	allowed = kind_flags(in->kind);
	while (allowed && p[0] == '-' && p[1] == '-') {
		const char *f = p + 2;
		cleanup_free char *flag = NULL;
		char *eq;
		bool ok = false;
		while (*p && !isspace((unsigned char)*p))
			p++;
		flag = strndup(f, (size_t)(p - f));
		eq = strchr(flag, '=');
		for (size_t i = 0; allowed[i]; i++)
			if (strncmp(flag, allowed[i], eq ? (size_t)(eq - flag) : strlen(flag)) ==
			        0 &&
			    strlen(allowed[i]) == (eq ? (size_t)(eq - flag) : strlen(flag)))
				ok = true;
		if (!ok) {
			struct sb list = {0};
			for (size_t i = 0; allowed[i]; i++) {
				sb_puts(&list, i ? ", --" : "--");
				sb_puts(&list, allowed[i]);
			}
			berth_error(err, 0, "%s: unknown flag `--%s` (expected %s)", what, flag,
			            list.p);
			free(list.p);
			return -1;
		}
		if (eq == NULL && strcmp(flag, "link") != 0)
			return berth_error(err, 0, "%s: flag `--%s` expects a value (--%s=VALUE)",
			                   what, flag, flag);
		in->flags = xrealloc(in->flags, (in->n_flags + 1) * sizeof(char *));
		in->flags[in->n_flags++] = xstrdup(flag);
		while (isspace((unsigned char)*p))
			p++;
	}
	if (in->kind == BF_ONBUILD) {
		if (*p == '\0')
			return berth_error(
			    err, 0, "%s: expected an instruction (ONBUILD INSTRUCTION)", what);
		in->sub = xmalloc0(sizeof(*in->sub));
		if (bf_parse_insn(file, line, p, esc, in->sub, err) < 0)
			return -1;
		if (in->sub->kind == BF_ONBUILD || in->sub->kind == BF_FROM ||
		    in->sub->kind == BF_MAINTAINER)
			return berth_error(err, 0, "%s: %s is not allowed after ONBUILD", what,
			                   in->sub->keyword);
		in->args = xmalloc0(sizeof(char *));
		in->args[0] = xstrdup(p);
		in->n_args = 1;
		return 0;
	}
	if (json_form_kind(in->kind) && *p == '[') {
		json_error_t je;
		json_t *a = json_loads(p, JSON_DECODE_ANY, &je);
		bool ok = json_is_array(a);
		size_t i;
		json_t *v;
		json_array_foreach(a, i, v) if (!json_is_string(v)) ok = false;
		if (ok) {
			in->json = true;
			in->n_args = json_array_size(a);
			in->args = xmalloc0((in->n_args + 1) * sizeof(char *));
			json_array_foreach(a, i, v) in->args[i] = xstrdup(json_string_value(v));
		}
		json_decref(a);
	}
	if (!in->json) {
		if (in->kind == BF_SHELL)
			return berth_error(err, 0,
			                   "%s: expected a JSON array of strings "
			                   "(SHELL [\"executable\", \"parameters\"])",
			                   what);
		in->args = xmalloc0(sizeof(char *));
		in->args[0] = xstrdup(p);
		in->n_args = 1;
	}
	return check_insn(what, in, esc, err);
}

/* What each instruction needs, checked without substitution. */
static int check_insn(const char *what, struct bf_insn *in, char esc, berth_error_t *err)
{
	const char *rest = in->json ? NULL : in->args[0];
	size_t nw = 0;

	/* RUN's, CMD's and ENTRYPOINT's shell form is the shell's to read */
	bool shell_text = in->kind == BF_RUN || in->kind == BF_CMD || in->kind == BF_ENTRYPOINT ||
	                  in->kind == BF_HEALTHCHECK || in->kind == BF_MAINTAINER;

	if (rest && shell_text)
		nw = strspn(rest, " \t") < strlen(rest) ? 1 : 0;
	else if (rest && raw_words(what, rest, esc, &nw, err) < 0)
		return -1;
	switch (in->kind) {
	case BF_FROM: {
		char **w;
		size_t n;
		bool ok;
		if (bf_expand_words(what, rest, esc, NULL, NULL, &w, &n, err) < 0)
			return -1;
		ok = n == 1 || (n == 3 && strcasecmp(w[1], "AS") == 0);
		bf_words_free(w, n);
		if (!ok)
			return berth_error(
			    err, 0, "%s: expected FROM [--platform=P] IMAGE [AS NAME]", what);
		return 0;
	}
	case BF_RUN:
	case BF_CMD:
	case BF_ENTRYPOINT:
		if (!in->json && nw == 0)
			return berth_error(
			    err, 0, "%s: expected a command (shell form or a JSON array)", what);
		if (in->kind == BF_RUN && in->json && in->n_args == 0)
			return berth_error(err, 0, "%s: expected a command, not an empty array",
			                   what);
		return 0;
	case BF_COPY:
	case BF_ADD:
		if ((in->json ? in->n_args : nw) < 2)
			return berth_error(
			    err, 0, "%s: expected at least one source and a destination", what);
		return 0;
	case BF_ENV:
	case BF_LABEL: {
		char **k, **v;
		size_t n;
		if (bf_pairs(what, rest, esc, true, true, NULL, NULL, &k, &v, &n, err) < 0)
			return -1;
		bf_words_free(k, n);
		bf_words_free(v, n);
		return 0;
	}
	case BF_ARG: {
		char **k, **v;
		size_t n;
		if (nw == 0)
			return berth_error(err, 0, "%s: expected NAME[=DEFAULT]", what);
		if (bf_pairs(what, rest, esc, false, false, NULL, NULL, &k, &v, &n, err) < 0)
			return -1;
		for (size_t i = 0; i < n; i++)
			for (const char *c = k[i]; *c; c++)
				if (!name_char(*c)) {
					berth_error(err, 0,
					            "%s: bad name `%s`: expected NAME[=DEFAULT]",
					            what, k[i]);
					bf_words_free(k, n);
					bf_words_free(v, n);
					return -1;
				}
		bf_words_free(k, n);
		bf_words_free(v, n);
		return 0;
	}
	case BF_EXPOSE:
		if (nw == 0)
			return berth_error(err, 0, "%s: expected PORT[/PROTOCOL]…", what);
		return 0;
	case BF_VOLUME:
		if ((in->json ? in->n_args : nw) == 0)
			return berth_error(err, 0, "%s: expected a path", what);
		return 0;
	case BF_USER:
		if (nw != 1)
			return berth_error(err, 0, "%s: expected USER NAME|UID[:GROUP|GID]", what);
		return 0;
	case BF_WORKDIR:
		if (nw == 0)
			return berth_error(err, 0, "%s: expected a directory", what);
		return 0;
	case BF_STOPSIGNAL:
		if (nw != 1)
			return berth_error(err, 0, "%s: expected a signal (SIGTERM, 15)", what);
		return 0;
	case BF_SHELL:
		if (in->n_args == 0)
			return berth_error(
			    err, 0, "%s: expected a JSON array of at least one string", what);
		return 0;
	case BF_HEALTHCHECK: {
		size_t l = strcspn(rest, " \t");
		const char *after = rest + l + strspn(rest + l, " \t");
		bool ok = (l == 4 && strncasecmp(rest, "NONE", 4) == 0 && *after == '\0' &&
		           in->n_flags == 0) ||
		          (l == 3 && strncasecmp(rest, "CMD", 3) == 0 && *after != '\0');
		if (!ok)
			return berth_error(
			    err, 0,
			    "%s: expected HEALTHCHECK NONE or HEALTHCHECK [--interval=D "
			    "…] CMD COMMAND",
			    what);
		return 0;
	}
	case BF_MAINTAINER:
	case BF_ONBUILD:
	case BF_N:
		return 0;
	}
	return 0;
}

static bool blank(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return *s == '\0';
}

static bool comment(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return *s == '#';
}

/* "# key=value": a parser directive; *key and *value heap. */
static bool directive(const char *s, char **key, char **value)
{
	const char *k, *ke, *v, *ve;

	if (*s++ != '#')
		return false;
	while (*s == ' ' || *s == '\t')
		s++;
	k = s;
	while (isalpha((unsigned char)*s))
		s++;
	ke = s;
	while (*s == ' ' || *s == '\t')
		s++;
	if (ke == k || *s++ != '=')
		return false;
	while (*s == ' ' || *s == '\t')
		s++;
	v = s;
	while (*s && !isspace((unsigned char)*s))
		s++;
	ve = s;
	if (!blank(s))
		return false;
	*key = strndup(k, (size_t)(ke - k));
	*value = strndup(v, (size_t)(ve - v));
	return true;
}

int bf_parse(const char *name, const char *text, struct bf_file *out, berth_error_t *err)
{
	char **lines = NULL;
	size_t nl = 0, i;
	bool directives = true, seen_from = false;
	char esc = '\\';
	int r = -1;

	memset(out, 0, sizeof(*out));
	/* split into lines (a CR before LF dropped) */
	for (const char *p = text; *p || (p > text && p[-1] == '\n' && false);) {
		const char *e = strchr(p, '\n');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		char *ln = strndup(p, l);
		if (l && ln[l - 1] == '\r')
			ln[l - 1] = '\0';
		lines = xrealloc(lines, (nl + 1) * sizeof(*lines));
		lines[nl++] = ln;
		if (!e)
			break;
		p = e + 1;
	}
	for (i = 0; i < nl; i++) {
		struct sb b = {0};
		size_t start = i;
		char *key = NULL, *value = NULL;
		struct bf_insn in;
		if (directives && directive(lines[i], &key, &value)) {
			bool esc_dir = strcasecmp(key, "escape") == 0;
			if (esc_dir && strcmp(value, "\\") != 0 && strcmp(value, "`") != 0) {
				berth_error(err, 0,
				            "%s:%zu: escape: expected `\\` or a backtick, not `%s`",
				            name, i + 1, value);
				free(key);
				free(value);
				goto out;
			}
			if (esc_dir)
				esc = value[0];
			free(key);
			free(value);
			continue;
		}
		directives = false;
		if (blank(lines[i]) || comment(lines[i]))
			continue;
		sb_puts(&b, lines[i]);
		for (;;) {
			while (b.n && isspace((unsigned char)b.p[b.n - 1]))
				b.p[--b.n] = '\0';
			if (b.n == 0 || b.p[b.n - 1] != esc)
				break;
			b.p[--b.n] = '\0';
			do
				i++;
			while (i < nl && (blank(lines[i]) || comment(lines[i])));
			if (i >= nl)
				break;
			sb_puts(&b, lines[i]);
		}
		if (b.n == 0 || blank(b.p)) {
			free(b.p);
			continue;
		}
		if (bf_parse_insn(name, (int)start + 1, b.p, esc, &in, err) < 0) {
			bf_insn_free(&in);
			free(b.p);
			goto out;
		}
		free(b.p);
		if (!seen_from && in.kind != BF_FROM && in.kind != BF_ARG) {
			berth_error(err, 0,
			            "%s:%d: %s: expected FROM first (only ARG may come before it)",
			            name, in.line, in.keyword);
			bf_insn_free(&in);
			goto out;
		}
		if (in.kind == BF_FROM)
			seen_from = true;
		out->v = xrealloc(out->v, (out->n + 1) * sizeof(*out->v));
		out->v[out->n++] = in;
	}
	if (!seen_from) {
		berth_error(err, 0, "%s: no FROM instruction (expected FROM IMAGE or FROM scratch)",
		            name);
		goto out;
	}
	out->escape = esc;
	r = 0;
out:
	bf_words_free(lines, nl);
	if (r < 0)
		bf_file_free(out);
	return r;
}

/* ---- .dockerignore --------------------------------------------------------------------- */
/* "a/./b//c/" -> "a/b/c"; leading "/" and "./" dropped; ".." kept (it matches nothing). */
static char *clean_rel(const char *s)
{
	struct sb b = {0};

	while (*s) {
		const char *e = strchr(s, '/');
		size_t l = e ? (size_t)(e - s) : strlen(s);
		if (l && !(l == 1 && s[0] == '.')) {
			if (b.n)
				sb_putc(&b, '/');
			for (size_t i = 0; i < l; i++)
				sb_putc(&b, s[i]);
		}
		if (!e)
			break;
		s = e + 1;
	}
	return sb_take(&b);
}

void bf_ignore_parse(const char *text, struct bf_ignore *out)
{
	memset(out, 0, sizeof(*out));
	while (text && *text) {
		const char *e = strchr(text, '\n');
		size_t l = e ? (size_t)(e - text) : strlen(text);
		cleanup_free char *ln = strndup(text, l);
		char *p = ln;
		bool neg = false;
		size_t pl;
		text = e ? e + 1 : text + l;
		while (isspace((unsigned char)*p))
			p++;
		pl = strlen(p);
		while (pl && isspace((unsigned char)p[pl - 1]))
			p[--pl] = '\0';
		if (*p == '\0' || *p == '#')
			continue;
		if (*p == '!') {
			neg = true;
			p++;
			while (isspace((unsigned char)*p))
				p++;
		}
		out->pat = xrealloc(out->pat, (out->n + 1) * sizeof(char *));
		out->negate = xrealloc(out->negate, (out->n + 1) * sizeof(bool));
		out->pat[out->n] = clean_rel(p);
		out->negate[out->n] = neg;
		out->n++;
	}
}

void bf_ignore_free(struct bf_ignore *ig)
{
	bf_words_free(ig->pat, ig->n);
	free(ig->negate);
	memset(ig, 0, sizeof(*ig));
}

/* Component-wise match: `**` any number of components, the others as fnmatch. */
static bool match_parts(char **pp, size_t np, char **sp, size_t ns)
{
	if (np == 0)
		return ns == 0;
	if (strcmp(pp[0], "**") == 0) {
		for (size_t k = 0; k <= ns; k++)
			if (match_parts(pp + 1, np - 1, sp + k, ns - k))
				return true;
		return false;
	}
	if (ns == 0 || fnmatch(pp[0], sp[0], 0) != 0)
		return false;
	return match_parts(pp + 1, np - 1, sp + 1, ns - 1);
}

static size_t split_parts(char *s, char ***out)
{
	char **v = NULL;
	size_t n = 0;
	char *save = NULL;

	for (char *t = strtok_r(s, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
		v = xrealloc(v, (n + 1) * sizeof(*v));
		v[n++] = t;
	}
	*out = v;
	return n;
}

bool bf_ignored(const struct bf_ignore *ig, const char *path)
{
	cleanup_free char *p = clean_rel(path);
	cleanup_free char **sp = NULL;
	size_t ns = split_parts(p, &sp);
	bool ex = false;

	for (size_t i = 0; i < ig->n; i++) {
		cleanup_free char *pc = xstrdup(ig->pat[i]);
		cleanup_free char **pp = NULL;
		size_t np = split_parts(pc, &pp);
		bool m = false;
		/* the path, or a directory above it */
		for (size_t k = 1; k <= ns && !m; k++)
			m = match_parts(pp, np, sp, k);
		if (m)
			ex = !ig->negate[i];
	}
	return ex;
}
