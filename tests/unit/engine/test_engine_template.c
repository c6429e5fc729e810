/* SPDX-License-Identifier: MIT */
/* Unit tests for --format templates (src/engine/template.c): fields, json, index, len, join,
 * upper, lower, pipes, range, if, else, trimming, \n, and the one-line errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "template.h"

#include <stdlib.h>
#include <string.h>

static const char DOC[] =
    "{\"id\": \"abc\", \"name\": \"web\", \"state\": \"running\", \"exit_code\": null,"
    " \"n\": 3, \"on\": true, \"empty\": [], \"none\": {},"
    " \"network\": {\"mode\": \"bridge\", \"aliases\": [\"a\", \"b\"]},"
    " \"labels\": {\"z\": \"last\", \"com.x\": \"1\"},"
    " \"config\": {\"process\": {\"args\": [\"sh\", \"-c\", \"true\"]}}}";

static char *render(const char *tmpl)
{
	json_t *doc = json_loads(DOC, 0, NULL);
	berth_error_t err = NULL;
	char *out = NULL;
	int r = template_render("--format", tmpl, doc, &out, &err);

	json_decref(doc);
	if (r < 0) {
		char *m = strdup(err->msg);
		berth_error_release(&err);
		assert_null(out);
		/* errors come back marked */
		out = malloc(strlen(m) + 8);
		strcpy(out, "ERROR: ");
		strcat(out, m);
		free(m);
	}
	return out;
}

static void expect(const char *tmpl, const char *want)
{
	char *got = render(tmpl);
	assert_string_equal(got, want);
	free(got);
}

static void expect_error(const char *tmpl, const char *part)
{
	char *got = render(tmpl);
	print_message("%s\n", got);
	assert_true(strncmp(got, "ERROR: bad --format `", 21) == 0);
	assert_non_null(strstr(got, part));
	assert_null(strchr(got, '\n'));
	free(got);
}

static void test_fields(void **state)
{
	(void)state;
	expect("{{.name}}", "web");
	expect("{{.Name}} {{ .STATE }}", "web running");
	expect("{{.network.mode}}", "bridge");
	expect("{{.Network.Mode}}", "bridge");
	expect("{{.n}} {{.on}} {{.exit_code}}", "3 true <no value>");
	expect("{{.network.aliases}}", "[\"a\",\"b\"]");
	expect("id={{.id}}\\n", "id=abc\n");
	expect("a\\tb", "a\tb");
	expect("plain text", "plain text");
	expect("", "");
	expect("{{/* nothing */}}x", "x");
}

static void test_functions(void **state)
{
	(void)state;
	expect("{{json .network.aliases}}", "[\"a\",\"b\"]");
	expect("{{json .name}}", "\"web\"");
	expect("{{index .labels \"com.x\"}}", "1");
	expect("{{index .labels \"nope\"}}", "<no value>");
	expect("{{index .config.process.args 1}}", "-c");
	expect("{{index . \"network\" \"aliases\" 0}}", "a");
	expect("{{len .config.process.args}} {{len .name}} {{len .none}}", "3 3 0");
	expect("{{join .config.process.args \" \"}}", "sh -c true");
	expect("{{upper .name}}{{lower \"AB\"}}", "WEBab");
	expect("{{.name | upper}}", "WEB");
	expect("{{.network | json}}", "{\"mode\":\"bridge\",\"aliases\":[\"a\",\"b\"]}");
}

static void test_range_if(void **state)
{
	(void)state;
	expect("{{range .network.aliases}}<{{.}}>{{end}}", "<a><b>");
	/* an object's values, by key */
	expect("{{range .labels}}{{.}},{{end}}", "1,last,");
	expect("{{range .empty}}x{{else}}none{{end}}", "none");
	expect("{{range .config.process.args}}{{.}}\\n{{end}}", "sh\n-c\ntrue\n");
	expect("{{if .on}}yes{{else}}no{{end}}", "yes");
	expect("{{if .empty}}yes{{else}}no{{end}}", "no");
	expect("{{if .exit_code}}yes{{end}}", "");
	expect("{{range .network.aliases -}}\n  {{.}}\n{{- end}}", "ab");
	expect("{{if .n}}{{range .network.aliases}}{{.}}{{end}}{{end}}", "ab");
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("{{.nope}}", "no field `nope`");
	expect_error("{{.name.x}}", "cannot take the field `x` of a string");
	expect_error("{{printf \"%s\" .name}}", "unknown function `printf`");
	expect_error("{{.name", "an action without its closing }}");
	expect_error("{{.name x}}", "expected }} at `x}}`");
	expect_error("{{range .empty}}x", "{{range}} without its {{end}}");
	expect_error("x{{end}}", "{{end}} without a {{range}} or {{if}}");
	expect_error("{{$x := .name}}", "variables ($) are not supported");
	expect_error("{{with .name}}{{end}}", "{{with}} is not supported");
	expect_error("{{range .name}}{{end}}", "range over a string");
	expect_error("{{index .config.process.args 9}}", "index 9 out of range");
	expect_error("{{}}", "an empty action");
	expect_error("{{\"abc}}", "a string without its closing");
	expect_error("{{join .labels \",\"}}", "join takes an array of strings");
	expect_error("{{len .n}}", "len of a number");
	/* an error in a part never executed is found all the same */
	expect_error("{{if .empty}}{{bogus}}{{end}}", "unknown function `bogus`");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fields),
	    cmocka_unit_test(test_functions),
	    cmocka_unit_test(test_range_if),
	    cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
