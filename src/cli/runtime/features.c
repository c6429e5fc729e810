/* SPDX-License-Identifier: MIT */
/* berth-runtime features: the runtime-spec features document (features.md), listing exactly
 * what this build supports. */
#include "runtime.h"
#include "config.h"
#include "exec.h"
#include "process.h"
#include "seccomp.h"
#include "userns.h"
#include "util.h"

#include <jansson.h>
#include <ctype.h>
#include <stdio.h>
#include <errno.h>
#include <sys/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

static json_t *features_strings(const char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* The names a parser table's accessor gives, up to its first NULL. */
static json_t *features_names(const char *(*name_of)(size_t))
{
	json_t *a = json_array();
	const char *name;
	for (size_t i = 0; (name = name_of(i)) != NULL; i++)
		json_array_append_new(a, json_string(name));
	return a;
}

static json_t *features_seccomp(void)
{
	json_t *actions = json_array(), *ops = json_array(), *archs = json_array();
	json_t *known = json_array(), *supported = json_array();
	const char *name;

	for (size_t i = 0; (name = seccomp_action_name(i)) != NULL; i++)
		json_array_append_new(actions, json_string(name));
	for (size_t i = 0; (name = seccomp_op_name(i)) != NULL; i++)
		json_array_append_new(ops, json_string(name));
	/* the architectures this libseccomp knows */
	for (size_t i = 0; (name = seccomp_arch_name(i)) != NULL; i++)
		if (seccomp_arch_from_name(name) != 0)
			json_array_append_new(archs, json_string(name));
	for (size_t i = 0; (name = seccomp_flag_name(i)) != NULL; i++) {
		json_array_append_new(known, json_string(name));
		if (seccomp_flag_supported(seccomp_flag_from_name(name)))
			json_array_append_new(supported, json_string(name));
	}
	return json_pack("{s:b,s:o,s:o,s:o,s:o,s:o}", "enabled", 1, "actions", actions, "operators",
	                 ops, "archs", archs, "knownFlags", known, "supportedFlags", supported);
}

/* Whether the kernel has mount_setattr(2), which idmapped mounts need: a call with a bad fd
 * fails with EBADF or EINVAL there, ENOSYS elsewhere. */
static bool features_idmap(void)
{
	return syscall(SYS_mount_setattr, -1, "", 0, NULL, (size_t)0) < 0 && errno != ENOSYS;
}

/* newuidmap/newgidmap as `features` reports them: the path, or why it cannot be used. */
static char *features_helper(const char *name)
{
	bool priv;
	char *path = userns_find_helper(name, &priv);
	char *r;

	if (path == NULL)
		return xstrdup("missing");
	r = priv ? xstrdup(path) : xasprintf("%s (not setuid)", path);
	free(path);
	return r;
}

/* What an ordinary user gets here (docs/rootless.md), as annotations: the spec's features
 * document has no field for it. */
static void features_rootless(json_t *ann)
{
	char *u = features_helper("newuidmap"), *g = features_helper("newgidmap");

	json_object_set_new(ann, "org.berth.runtime.rootless",
	                    json_string(userns_unprivileged_allowed() ? "enabled" : "disabled"));
	json_object_set_new(ann, "org.berth.runtime.rootless.newuidmap", json_string(u));
	json_object_set_new(ann, "org.berth.runtime.rootless.newgidmap", json_string(g));
	free(u);
	free(g);
}

int cmd_features(int argc, char **argv, berth_error_t *err)
{
	static const char *const hooks[] = {"prestart",       "createRuntime", "createContainer",
	                                    "startContainer", "poststart",     "poststop"};
	static const char *const ns[] = {"cgroup", "ipc",  "mount", "network",
	                                 "pid",    "time", "user",  "uts"};
	json_t *f, *linux_, *caps, *cg;
	int first = runtime_getopt(argc, argv, "", NULL, NULL, NULL, err);

	if (first < 0)
		return first;
	if (runtime_want_args(argc, argv, first, 0, 0, "no arguments", err) < 0)
		return -1;
	caps = json_array();
	for (int cap = 0; cap <= process_last_cap(); cap++) {
		char *name = cap_to_name(cap);
		if (name == NULL)
			continue;
		/* libcap names "cap_sys_admin"; the spec wants "CAP_SYS_ADMIN" */
		for (char *p = name; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		json_array_append_new(caps, json_string(name));
		cap_free(name);
	}
	cg = json_pack("{s:b,s:b,s:b,s:b,s:b}", "v1", 1, "v2", 1, "systemd", 0, "systemdUser", 0,
	               "rdma", 1);
	linux_ =
	    json_pack("{s:o,s:o,s:o,s:o,s:{s:b},s:{s:b},s:{s:b},s:{s:{s:b}}}", "namespaces",
	              features_strings(ns, ARRAY_SIZE(ns)), "capabilities", caps, "cgroup", cg,
	              "seccomp", features_seccomp(), "apparmor", "enabled", exec_apparmor_enabled(),
	              "selinux", "enabled", exec_selinux_enabled(), "intelRdt", "enabled", 0,
	              "mountExtensions", "idmap", "enabled", features_idmap());
	json_object_set_new(linux_, "memoryPolicy",
	                    json_pack("{s:o,s:o}", "modes", features_names(config_mpol_mode_name),
	                              "flags", features_names(config_mpol_flag_name)));
	/* where berth deliberately differs from the spec (docs/runtime.md) */
	f = json_pack("{s:s,s:s,s:o,s:o,s:o,s:{s:s,s:s}}", "ociVersionMin", "1.0.0",
	              "ociVersionMax", "1.3.0", "hooks", features_strings(hooks, ARRAY_SIZE(hooks)),
	              "mountOptions", features_names(config_mount_option_name), "linux", linux_,
	              "annotations", "org.berth.runtime.version", BERTH_VERSION,
	              "org.berth.runtime.mountNamespace", "required");
	features_rootless(json_object_get(f, "annotations"));
	json_dumpf(f, stdout, JSON_INDENT(2));
	putchar('\n');
	json_decref(f);
	return 0;
}
