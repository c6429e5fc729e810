/* SPDX-License-Identifier: MIT */
/* Unit tests for the default seccomp profile (src/engine/seccomp_default.c): Docker's rules
 * for a container's capabilities, each call in one list only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>

/* The names of the profile's rule with this action and errnoRet (0: none), when the rule
 * has no args; NULL when there is none. */
static json_t *rule_names(json_t *profile, const char *action, int errno_ret)
{
	json_t *r;
	size_t i;

	json_array_foreach(json_object_get(profile, "syscalls"), i, r)
	{
		if (json_object_get(r, "args") != NULL ||
		    strcmp(json_string_value(json_object_get(r, "action")), action) != 0 ||
		    json_integer_value(json_object_get(r, "errnoRet")) != errno_ret)
			continue;
		return json_object_get(r, "names");
	}
	return NULL;
}

static bool has(const json_t *names, const char *name)
{
	const json_t *v;
	size_t i;

	json_array_foreach(names, i, v) if (strcmp(json_string_value(v), name) == 0) return true;
	return false;
}

/* No name twice in one list, and none in both. */
static void assert_disjoint(json_t *allow, json_t *deny)
{
	const json_t *v, *w;
	size_t i, k;

	json_array_foreach(allow, i, v)
	{
		json_array_foreach(allow, k, w) if (k != i)
		    assert_string_not_equal(json_string_value(v), json_string_value(w));
		assert_false(has(deny, json_string_value(v)));
	}
	json_array_foreach(deny, i, v) json_array_foreach(deny, k, w) if (k != i)
	    assert_string_not_equal(json_string_value(v), json_string_value(w));
}

static json_t *profile(const char *caps_json)
{
	json_t *caps = json_loads(caps_json, 0, NULL);
	json_t *p = seccomp_default_profile(caps);
	json_decref(caps);
	assert_non_null(p);
	return p;
}

static void test_default_caps(void **state)
{
	json_t *p = profile("[\"CAP_CHOWN\",\"CAP_KILL\",\"CAP_SETUID\",\"CAP_SETGID\"]");
	json_t *allow = rule_names(p, "SCMP_ACT_ALLOW", 0);
	json_t *deny = rule_names(p, "SCMP_ACT_ERRNO", EPERM);
	json_t *clone3 = rule_names(p, "SCMP_ACT_ERRNO", ENOSYS);

	(void)state;
	assert_string_equal(json_string_value(json_object_get(p, "defaultAction")),
	                    "SCMP_ACT_ERRNO");
	assert_int_equal(json_integer_value(json_object_get(p, "defaultErrnoRet")), ENOSYS);
	assert_non_null(allow);
	assert_non_null(deny);
	assert_disjoint(allow, deny);
	assert_true(has(allow, "read"));
	assert_true(has(allow, "execve"));
	/* guarded by capabilities the container lacks: EPERM */
	assert_true(has(deny, "mount"));
	assert_true(has(deny, "unshare"));
	assert_true(has(deny, "reboot"));
	assert_true(has(deny, "bpf"));
	assert_true(has(deny, "syslog"));
	/* never allowed */
	assert_true(has(deny, "kexec_load"));
	assert_true(has(deny, "keyctl"));
	/* clone by flags, clone3 ENOSYS */
	assert_false(has(allow, "clone"));
	assert_false(has(deny, "clone"));
	assert_non_null(clone3);
	assert_true(has(clone3, "clone3"));
	json_decref(p);
}

static void test_capabilities_allow(void **state)
{
	json_t *p = profile("[\"CAP_SYS_ADMIN\",\"CAP_SYS_BOOT\",\"CAP_BPF\"]");
	json_t *allow = rule_names(p, "SCMP_ACT_ALLOW", 0);
	json_t *deny = rule_names(p, "SCMP_ACT_ERRNO", EPERM);

	(void)state;
	assert_disjoint(allow, deny);
	assert_true(has(allow, "mount"));
	assert_true(has(allow, "clone"));
	assert_true(has(allow, "clone3"));
	assert_true(has(allow, "reboot"));
	/* in two groups (CAP_SYS_ADMIN and CAP_BPF): once */
	assert_true(has(allow, "bpf"));
	/* in CAP_SYS_ADMIN's group and CAP_SYSLOG's: allowed by either */
	assert_true(has(allow, "syslog"));
	assert_true(has(deny, "kexec_load"));
	assert_true(has(deny, "init_module"));
	assert_null(rule_names(p, "SCMP_ACT_ERRNO", ENOSYS));
	json_decref(p);
}

/* The same capabilities give the same profile (the runtime's filter cache is keyed by it). */
static void test_stable(void **state)
{
	json_t *a = profile("[\"CAP_CHOWN\",\"CAP_SYS_CHROOT\"]");
	json_t *b = profile("[\"CAP_CHOWN\",\"CAP_SYS_CHROOT\"]");
	char *sa = json_dumps(a, JSON_COMPACT), *sb = json_dumps(b, JSON_COMPACT);

	(void)state;
	assert_string_equal(sa, sb);
	assert_true(has(rule_names(a, "SCMP_ACT_ALLOW", 0), "chroot"));
	free(sa);
	free(sb);
	json_decref(a);
	json_decref(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_default_caps),
	    cmocka_unit_test(test_capabilities_allow),
	    cmocka_unit_test(test_stable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
