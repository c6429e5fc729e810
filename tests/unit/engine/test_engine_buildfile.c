/* SPDX-License-Identifier: MIT */
/* Unit tests for the Containerfile parser (src/engine/buildfile.c): continuations, comments,
 * the escape directive, exec and shell forms, flags, every instruction's checks, the one-line
 * FILE:LINE errors, ARG/ENV substitution as Docker documents it, and .dockerignore. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "buildfile.h"

#include <stdlib.h>
#include <string.h>

static struct bf_file parse_ok(const char *text)
{
	struct bf_file f;
	berth_error_t err = NULL;

	if (bf_parse("Containerfile", text, &f, &err) < 0) {
		print_message("unexpected: %s\n", err->msg);
		fail();
	}
	return f;
}

static void parse_err(const char *text, const char *want)
{
	struct bf_file f;
	berth_error_t err = NULL;

	assert_int_equal(bf_parse("Containerfile", text, &f, &err), -1);
	print_message("%s\n", err->msg);
	assert_non_null(strstr(err->msg, want));
	assert_null(strchr(err->msg, '\n'));
	berth_error_release(&err);
}

static void test_lines(void **state)
{
	(void)state;
	struct bf_file f = parse_ok("# a comment\n"
	                            "FROM busybox AS base\n"
	                            "\n"
	                            "RUN echo a \\\n"
	                            "  # a comment inside\n"
	                            "  && echo b\r\n"
	                            "run [\"echo\", \"x y\"]\n"
	                            "COPY --from=base --chmod=755 a b /dst/\n");
	assert_int_equal(f.n, 4);
	assert_int_equal(f.v[0].kind, BF_FROM);
	assert_int_equal(f.v[0].line, 2);
	assert_int_equal(f.v[1].kind, BF_RUN);
	assert_int_equal(f.v[1].line, 4);
	assert_false(f.v[1].json);
	assert_string_equal(f.v[1].args[0], "echo a   && echo b");
	assert_int_equal(f.v[2].line, 7);
	assert_true(f.v[2].json);
	assert_int_equal(f.v[2].n_args, 2);
	assert_string_equal(f.v[2].args[1], "x y");
	assert_string_equal(f.v[2].keyword, "RUN");
	assert_string_equal(bf_flag(&f.v[3], "from"), "base");
	assert_string_equal(bf_flag(&f.v[3], "chmod"), "755");
	assert_null(bf_flag(&f.v[3], "chown"));
	assert_string_equal(f.v[3].args[0], "a b /dst/");
	assert_int_equal(f.escape, '\\');
	bf_file_free(&f);
}

static void test_escape_directive(void **state)
{
	(void)state;
	struct bf_file f = parse_ok("# escape=`\n"
	                            "FROM scratch\n"
	                            "COPY a `\n"
	                            "  c:\\dir\\\n");
	assert_int_equal(f.escape, '`');
	assert_int_equal(f.n, 2);
	assert_string_equal(f.v[1].args[0], "a   c:\\dir\\");
	bf_file_free(&f);
	/* after an instruction it is a comment */
	f = parse_ok("FROM scratch\n# escape=`\nCOPY a b\n");
	assert_int_equal(f.escape, '\\');
	bf_file_free(&f);
	parse_err("# escape=x\nFROM scratch\n", "Containerfile:1: escape:");
}

static void test_forms(void **state)
{
	(void)state;
	/* not valid JSON: the shell form */
	struct bf_file f = parse_ok("FROM a\nCMD [\"unterminated\nENTRYPOINT [\"/bin/x\"]\n"
	                            "SHELL [\"/bin/bash\", \"-c\"]\nONBUILD RUN echo hi\n"
	                            "HEALTHCHECK --interval=5s CMD true\nHEALTHCHECK NONE\n"
	                            "ARG A B=2\nENV K V W\nENV K2=\"a b\" K3=c\n"
	                            "LABEL a=b\nEXPOSE 80/tcp 53/udp\nVOLUME [\"/data\"]\n"
	                            "USER 1000:1000\nWORKDIR /app\nSTOPSIGNAL SIGINT\n"
	                            "MAINTAINER me\nADD --chown=1:1 x.tar /\n");
	assert_int_equal(f.n, 18);
	assert_false(f.v[1].json);
	assert_string_equal(f.v[1].args[0], "[\"unterminated");
	assert_true(f.v[2].json);
	assert_true(f.v[3].json);
	assert_int_equal(f.v[4].kind, BF_ONBUILD);
	assert_int_equal(f.v[4].sub->kind, BF_RUN);
	assert_string_equal(bf_flag(&f.v[5], "interval"), "5s");
	bf_file_free(&f);
}

static void test_errors(void **state)
{
	(void)state;
	parse_err("FROM a\nFROB x\n", "Containerfile:2: FROB: unknown instruction");
	parse_err("RUN x\n", "Containerfile:1: RUN: expected FROM first");
	parse_err("ARG X\n", "no FROM instruction");
	parse_err("FROM\n", "Containerfile:1: FROM: expected FROM");
	parse_err("FROM a b c\n", "Containerfile:1: FROM: expected FROM");
	parse_err("FROM a\n\nCOPY onlyone\n",
	          "Containerfile:3: COPY: expected at least one source");
	parse_err("FROM a\nCOPY --frm=x a b\n", "Containerfile:2: COPY: unknown flag `--frm=x`");
	parse_err("FROM a\nCOPY --from a b\n", "COPY: flag `--from` expects a value");
	parse_err("FROM a\nRUN\n", "Containerfile:2: RUN: expected a command");
	parse_err("FROM a\nENV\n", "Containerfile:2: ENV: expected KEY=VALUE");
	parse_err("FROM a\nENV A=1 B\n", "ENV: expected KEY=VALUE, not `B`");
	parse_err("FROM a\nLABEL =x\n", "LABEL: expected KEY=VALUE");
	parse_err("FROM a\nARG\n", "Containerfile:2: ARG: expected NAME");
	parse_err("FROM a\nARG a-b\n", "ARG: bad name `a-b`");
	parse_err("FROM a\nUSER a b\n", "USER: expected USER");
	parse_err("FROM a\nWORKDIR\n", "WORKDIR: expected a directory");
	parse_err("FROM a\nSTOPSIGNAL\n", "STOPSIGNAL: expected a signal");
	parse_err("FROM a\nEXPOSE\n", "EXPOSE: expected PORT");
	parse_err("FROM a\nVOLUME\n", "VOLUME: expected a path");
	parse_err("FROM a\nSHELL sh -c\n", "SHELL: expected a JSON array");
	parse_err("FROM a\nHEALTHCHECK true\n", "HEALTHCHECK: expected HEALTHCHECK NONE");
	parse_err("FROM a\nONBUILD FROM x\n", "ONBUILD: FROM is not allowed after ONBUILD");
	parse_err("FROM a\nONBUILD\n", "ONBUILD: expected an instruction");
	parse_err("FROM a\nRUN --mount=type=cache x\n", "RUN: unknown flag `--mount=type=cache`");
	parse_err("FROM a\nENV A=\"x\n", "ENV: unterminated double quote");
	parse_err("FROM a\nRUN []\n", "RUN: expected a command");
}

static const char *vars(const char *name, void *ctx)
{
	(void)ctx;
	if (strcmp(name, "A") == 0)
		return "apple";
	if (strcmp(name, "EMPTY") == 0)
		return "";
	if (strcmp(name, "SP") == 0)
		return "x y";
	return NULL;
}

static void expand(const char *in, const char *want)
{
	berth_error_t err = NULL;
	char *out = NULL;

	if (bf_expand("F:1: ENV", in, '\\', vars, NULL, &out, &err) < 0) {
		print_message("%s\n", err->msg);
		fail();
	}
	assert_string_equal(out, want);
	free(out);
}

static void expand_err(const char *in, const char *want)
{
	berth_error_t err = NULL;
	char *out = NULL;

	assert_int_equal(bf_expand("F:1: ENV", in, '\\', vars, NULL, &out, &err), -1);
	print_message("%s\n", err->msg);
	assert_non_null(strstr(err->msg, want));
	berth_error_release(&err);
}

static void test_substitution(void **state)
{
	(void)state;
	expand("$A", "apple");
	expand("${A}s", "apples");
	expand("x$NOPE.y", "x.y");
	expand("${NOPE:-def}", "def");
	expand("${EMPTY:-def}", "def");
	expand("${EMPTY-def}", "");
	expand("${NOPE-def}", "def");
	expand("${A:-def}", "apple");
	expand("${A:+alt}", "alt");
	expand("${EMPTY:+alt}", "");
	expand("${EMPTY+alt}", "alt");
	expand("${NOPE:+alt}", "");
	expand("${NOPE:-${A}}", "apple");
	expand("\\$A", "$A");
	expand("'$A'", "$A");
	expand("\"$A\"", "apple");
	expand("\"\\$A\"", "$A");
	expand("a\\ b", "a b");
	expand("$", "$");
	expand("$1x", "x");
	expand("${A:?must}", "apple");
	expand_err("${NOPE:?must be set}", "F:1: ENV: NOPE: must be set");
	expand_err("${EMPTY:?}", "EMPTY: is not set");
	expand_err("${A", "bad substitution");
	expand_err("${}", "expected a variable name");
	expand_err("${A/x/y}", "bad substitution");
	expand_err("'abc", "unterminated single quote");
	{
		/* the escape directive's backtick */
		berth_error_t err = NULL;
		char *out = NULL;
		assert_int_equal(bf_expand("F:1: ENV", "`$A \\x", '`', vars, NULL, &out, &err), 0);
		assert_string_equal(out, "$A \\x");
		free(out);
	}
}

static void test_words_pairs(void **state)
{
	(void)state;
	berth_error_t err = NULL;
	char **w, **k, **v;
	size_t n;

	assert_int_equal(bf_expand_words("F:1: COPY", "  a \"b c\" $A '' $NOPE ${SP}", '\\', vars,
	                                 NULL, &w, &n, &err),
	                 0);
	assert_int_equal(n, 5);
	assert_string_equal(w[0], "a");
	assert_string_equal(w[1], "b c");
	assert_string_equal(w[2], "apple");
	assert_string_equal(w[3], "");
	assert_string_equal(w[4], "x y");
	bf_words_free(w, n);

	assert_int_equal(bf_pairs("F:1: ENV", "K=$A K2=\"v w\" K3=", '\\', true, true, vars, NULL,
	                          &k, &v, &n, &err),
	                 0);
	assert_int_equal(n, 3);
	assert_string_equal(k[0], "K");
	assert_string_equal(v[0], "apple");
	assert_string_equal(v[1], "v w");
	assert_string_equal(v[2], "");
	bf_words_free(k, n);
	bf_words_free(v, n);
	/* the old form: the rest of the line is the value */
	assert_int_equal(
	    bf_pairs("F:1: ENV", "KEY  a  $A", '\\', true, true, vars, NULL, &k, &v, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(k[0], "KEY");
	assert_string_equal(v[0], "a  apple");
	bf_words_free(k, n);
	bf_words_free(v, n);
	/* ARG: a default or none */
	assert_int_equal(
	    bf_pairs("F:1: ARG", "X Y=${A}", '\\', false, false, vars, NULL, &k, &v, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_null(v[0]);
	assert_string_equal(v[1], "apple");
	bf_words_free(k, n);
	bf_words_free(v, n);
}

static void test_ignore(void **state)
{
	(void)state;
	struct bf_ignore ig;

	bf_ignore_parse("# comment\n*.o\n/build\n**/secret\ndocs\n!docs/keep.md\n\n", &ig);
	assert_int_equal(ig.n, 5);
	assert_true(bf_ignored(&ig, "main.o"));
	assert_false(bf_ignored(&ig, "src/main.o")); /* `*` does not cross `/` */
	assert_true(bf_ignored(&ig, "build"));
	assert_true(bf_ignored(&ig, "build/x/y"));
	assert_true(bf_ignored(&ig, "secret"));
	assert_true(bf_ignored(&ig, "a/b/secret"));
	assert_true(bf_ignored(&ig, "docs/a.md"));
	assert_false(bf_ignored(&ig, "docs/keep.md"));
	assert_false(bf_ignored(&ig, "main.c"));
	assert_false(bf_ignored(&ig, "./main.c"));
	bf_ignore_free(&ig);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lines),        cmocka_unit_test(test_escape_directive),
	    cmocka_unit_test(test_forms),        cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_substitution), cmocka_unit_test(test_words_pairs),
	    cmocka_unit_test(test_ignore),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
