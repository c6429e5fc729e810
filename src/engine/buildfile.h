/* SPDX-License-Identifier: MIT */
/* The Containerfile (Dockerfile) parser of `berth build` (buildfile.c): pure logic, no I/O.
 * Parser directives (`# escape=`), comments, line continuations, instructions with their
 * flags, exec (JSON) and shell forms, and the ARG/ENV substitution Docker documents ($VAR,
 * ${VAR}, ${VAR:-word}, ${VAR:+word}, ${VAR-word}, ${VAR+word}, ${VAR:?msg}, quotes and the
 * escape character). Errors are one line: "FILE:LINE: INSTRUCTION: what was expected". */
#ifndef BERTH_BUILDFILE_H
#define BERTH_BUILDFILE_H

#include "error.h"

#include <stdbool.h>
#include <stddef.h>

enum bf_kind {
	BF_FROM,
	BF_RUN,
	BF_CMD,
	BF_LABEL,
	BF_MAINTAINER,
	BF_EXPOSE,
	BF_ENV,
	BF_ADD,
	BF_COPY,
	BF_ENTRYPOINT,
	BF_VOLUME,
	BF_USER,
	BF_WORKDIR,
	BF_ARG,
	BF_ONBUILD,
	BF_STOPSIGNAL,
	BF_HEALTHCHECK,
	BF_SHELL,
	BF_N
};

struct bf_insn {
	enum bf_kind kind;
	int line;      /* where the instruction starts */
	char *keyword; /* "COPY" */
	char *text;    /* the instruction on one line, as written (continuations joined) */
	char **flags;  /* "--from=build", …: name=value, in order */
	size_t n_flags;
	bool json;   /* exec form: args are the array's elements */
	char **args; /* exec form: the elements; otherwise args[0] is the rest after the flags */
	size_t n_args;
	struct bf_insn *sub; /* ONBUILD's instruction */
};

struct bf_file {
	char escape; /* '\\' or '`' */
	struct bf_insn *v;
	size_t n;
};

const char *bf_keyword(enum bf_kind k);
/* Parse text (the file's contents); name is what messages call it. */
int bf_parse(const char *name, const char *text, struct bf_file *out, berth_error_t *err);
void bf_file_free(struct bf_file *f);
/* One instruction (an ONBUILD trigger) from its text, as at file:line. */
int bf_parse_insn(const char *file, int line, const char *text, char esc, struct bf_insn *in,
                  berth_error_t *err);
void bf_insn_free(struct bf_insn *in);
/* A flag's value ("--from=x" -> "x") when given, else NULL; *given whether it was. */
const char *bf_flag(const struct bf_insn *in, const char *name);

/* Substitution: lookup(name, ctx) gives a variable's value or NULL when unset. */
typedef const char *(*bf_lookup_fn)(const char *name, void *ctx);
/* One word: variables expanded, quotes and escapes removed. what names it in errors. *used
 * (optional) gets each variable name referred to appended (a NUL-separated list). */
int bf_expand(const char *what, const char *s, char escape, bf_lookup_fn lookup, void *ctx,
              char **out, berth_error_t *err);
/* The same over a list of words split at unquoted blanks: *words (heap array of heap). */
int bf_expand_words(const char *what, const char *s, char escape, bf_lookup_fn lookup, void *ctx,
                    char ***words, size_t *n, berth_error_t *err);
void bf_words_free(char **w, size_t n);
/* KEY=VALUE pairs of ENV, LABEL and ARG (ENV's and LABEL's old `KEY VALUE` form too, when
 * legacy): *keys and *values in order (values NULL for an ARG without default). */
int bf_pairs(const char *what, const char *s, char escape, bool legacy, bool need_value,
             bf_lookup_fn lookup, void *ctx, char ***keys, char ***values, size_t *n,
             berth_error_t *err);

/* .dockerignore: patterns (Go's filepath.Match with `**`, `!` exceptions), one per line. */
struct bf_ignore {
	char **pat;
	bool *negate;
	size_t n;
};
void bf_ignore_parse(const char *text, struct bf_ignore *out);
void bf_ignore_free(struct bf_ignore *ig);
/* Whether the context-relative path (no leading "/", cleaned) is excluded. */
bool bf_ignored(const struct bf_ignore *ig, const char *path);

#endif
