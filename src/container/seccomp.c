/* SPDX-License-Identifier: MIT */
#include "seccomp.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <jansson.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>

#ifndef SECCOMP_FILTER_FLAG_LOG
#define SECCOMP_FILTER_FLAG_LOG (1UL << 1)
#endif
#ifndef SECCOMP_FILTER_FLAG_SPEC_ALLOW
#define SECCOMP_FILTER_FLAG_SPEC_ALLOW (1UL << 2)
#endif
#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

struct seccomp_program {
	scmp_filter_ctx ctx;
	struct sock_filter *insns;
	size_t n_insns;
	unsigned long flags; /* SECCOMP_FILTER_FLAG_* to load with */
	bool notify;
};

/* ---- names ------------------------------------------------------------------------ */

static const struct {
	const char *name;
	uint32_t action; /* ERRNO and TRACE get their data added */
} seccomp_actions[] = {
    {"SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD},
    {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS},
    {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD},
    {"SCMP_ACT_TRAP", SCMP_ACT_TRAP},
    {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0)},
    {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0)},
    {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW},
    {"SCMP_ACT_LOG", SCMP_ACT_LOG},
    {"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY},
};

static const struct {
	const char *name;
	enum scmp_compare op;
} seccomp_ops[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE},
    {"SCMP_CMP_LT", SCMP_CMP_LT},
    {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE},
    {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

/* The spec's names and libseccomp's (resolved at run time: what this libseccomp knows). */
static const struct {
	const char *name;
	const char *scmp;
} seccomp_archs[] = {
    {"SCMP_ARCH_X86", "x86"},
    {"SCMP_ARCH_X86_64", "x86_64"},
    {"SCMP_ARCH_X32", "x32"},
    {"SCMP_ARCH_ARM", "arm"},
    {"SCMP_ARCH_AARCH64", "aarch64"},
    {"SCMP_ARCH_MIPS", "mips"},
    {"SCMP_ARCH_MIPS64", "mips64"},
    {"SCMP_ARCH_MIPS64N32", "mips64n32"},
    {"SCMP_ARCH_MIPSEL", "mipsel"},
    {"SCMP_ARCH_MIPSEL64", "mipsel64"},
    {"SCMP_ARCH_MIPSEL64N32", "mipsel64n32"},
    {"SCMP_ARCH_PPC", "ppc"},
    {"SCMP_ARCH_PPC64", "ppc64"},
    {"SCMP_ARCH_PPC64LE", "ppc64le"},
    {"SCMP_ARCH_S390", "s390"},
    {"SCMP_ARCH_S390X", "s390x"},
    {"SCMP_ARCH_PARISC", "parisc"},
    {"SCMP_ARCH_PARISC64", "parisc64"},
    {"SCMP_ARCH_RISCV64", "riscv64"},
    {"SCMP_ARCH_LOONGARCH64", "loongarch64"},
    {"SCMP_ARCH_M68K", "m68k"},
    {"SCMP_ARCH_SH", "sh"},
    {"SCMP_ARCH_SHEB", "sheb"},
};

static const struct {
	const char *name;
	unsigned long flag;
} seccomp_flags[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
};

const char *seccomp_action_name(size_t i)
{
	return i < ARRAY_SIZE(seccomp_actions) ? seccomp_actions[i].name : NULL;
}

const char *seccomp_op_name(size_t i)
{
	return i < ARRAY_SIZE(seccomp_ops) ? seccomp_ops[i].name : NULL;
}

const char *seccomp_arch_name(size_t i)
{
	return i < ARRAY_SIZE(seccomp_archs) ? seccomp_archs[i].name : NULL;
}

const char *seccomp_flag_name(size_t i)
{
	return i < ARRAY_SIZE(seccomp_flags) ? seccomp_flags[i].name : NULL;
}

int seccomp_action_from_name(const char *name, bool has_errno, uint32_t errno_ret, uint32_t *out,
                             berth_error_t *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(seccomp_actions); i++) {
		uint32_t a = seccomp_actions[i].action;
		bool with_data = a == SCMP_ACT_ERRNO(0) || a == SCMP_ACT_TRACE(0);

		if (strcmp(seccomp_actions[i].name, name) != 0)
			continue;
		if (has_errno && !with_data)
			return berth_error(err, 0,
			                   "errnoRet is only valid with SCMP_ACT_ERRNO and "
			                   "SCMP_ACT_TRACE, not %s",
			                   name);
		if (has_errno && errno_ret > 0xffff)
			return berth_error(err, 0, "errnoRet %u is out of range (0 to 65535)",
			                   errno_ret);
		if (with_data)
			a |= has_errno ? errno_ret : EPERM;
		*out = a;
		return 0;
	}
	return berth_error(err, 0, "unknown seccomp action \"%s\"", name);
}

int seccomp_op_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(seccomp_ops); i++)
		if (strcmp(seccomp_ops[i].name, name) == 0)
			return (int)seccomp_ops[i].op;
	return -1;
}

uint32_t seccomp_arch_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(seccomp_archs); i++)
		if (strcmp(seccomp_archs[i].name, name) == 0)
			return seccomp_arch_resolve_name(seccomp_archs[i].scmp);
	return 0;
}

unsigned long seccomp_flag_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(seccomp_flags); i++)
		if (strcmp(seccomp_flags[i].name, name) == 0)
			return seccomp_flags[i].flag;
	return 0;
}

bool seccomp_flag_supported(unsigned long flag)
{
	/* A flag the kernel knows gets as far as copying the (NULL) program: EFAULT. */
	if (flag == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
		flag |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flag, NULL) < 0 && errno == EFAULT;
}

/* ---- build ------------------------------------------------------------------------ */

static void seccomp_libver(char buf[static 32])
{
	const struct scmp_version *v = seccomp_version();
	snprintf(buf, 32, "%u.%u.%u", v->major, v->minor, v->micro);
}

/* Read what libseccomp exports to an fd. */
static int seccomp_export(const struct seccomp_program *p, bool pfc, char **out, size_t *len,
                          berth_error_t *err)
{
	cleanup_close int fd = memfd_create("berth-seccomp", MFD_CLOEXEC);
	int r;

	if (fd < 0)
		return berth_error(err, errno, "memfd_create");
	r = pfc ? seccomp_export_pfc(p->ctx, fd) : seccomp_export_bpf(p->ctx, fd);
	if (r < 0)
		return berth_error(err, -r, "linux.seccomp: compile the filter");
	if (lseek(fd, 0, SEEK_SET) < 0)
		return berth_error(err, errno, "lseek");
	return util_read_fd(fd, "the seccomp filter", out, len, err);
}

static int seccomp_add_rule(struct seccomp_program *p, size_t idx, const char *name, int nr,
                            uint32_t action, const struct config_seccomp_syscall *sc,
                            berth_error_t *err)
{
	cleanup_free struct scmp_arg_cmp *cmp = NULL;
	unsigned counts[6] = {0};
	bool repeated = false;
	int r = 0;

	if (sc->n_args > 0)
		cmp = xmalloc0(sc->n_args * sizeof(*cmp));
	for (size_t i = 0; i < sc->n_args; i++) {
		const struct config_seccomp_arg *a = &sc->args[i];
		int op = seccomp_op_from_name(a->op);
		if (op < 0)
			return berth_error(
			    err, 0,
			    "linux.seccomp.syscalls[%zu].args[%zu].op: unknown seccomp "
			    "operator \"%s\"",
			    idx, i, a->op);
		if (a->index >= ARRAY_SIZE(counts))
			return berth_error(
			    err, 0,
			    "linux.seccomp.syscalls[%zu].args[%zu].index: %u is out of "
			    "range (0 to 5)",
			    idx, i, a->index);
		if (++counts[a->index] > 1)
			repeated = true;
		cmp[i] = (struct scmp_arg_cmp){.arg = a->index,
		                               .op = (enum scmp_compare)op,
		                               .datum_a = a->value,
		                               .datum_b = a->value_two};
	}
	if (sc->n_args == 0) {
		r = seccomp_rule_add_array(p->ctx, action, nr, 0, NULL);
	} else if (repeated) {
		/* as runc (and libseccomp-golang before it): one rule per comparison, any of
		 * them matching is enough */
		for (size_t i = 0; i < sc->n_args && r >= 0; i++)
			r = seccomp_rule_add_array(p->ctx, action, nr, 1, &cmp[i]);
	} else {
		r = seccomp_rule_add_array(p->ctx, action, nr, (unsigned)sc->n_args, cmp);
	}
	if (r < 0)
		return berth_error(err, -r, "linux.seccomp.syscalls[%zu]: add the rule for `%s`",
		                   idx, name);
	return 0;
}

static int seccomp_add_rules(struct seccomp_program *p, const struct config_seccomp *s,
                             uint32_t def, berth_error_t *err)
{
	for (size_t i = 0; i < s->n_syscalls; i++) {
		const struct config_seccomp_syscall *sc = &s->syscalls[i];
		uint32_t action;

		if (seccomp_action_from_name(sc->action, sc->has_errno_ret, sc->errno_ret, &action,
		                             err) < 0)
			return berth_error_prefix(err, "linux.seccomp.syscalls[%zu]", i);
		if (action == def) {
			log_debug("seccomp: linux.seccomp.syscalls[%zu] has the default action, "
			          "skipped",
			          i);
			continue;
		}
		if (action == SCMP_ACT_NOTIFY)
			p->notify = true;
		for (size_t j = 0; j < sc->n_names; j++) {
			int nr = seccomp_syscall_resolve_name(sc->names[j]);
			if (nr == __NR_SCMP_ERROR) {
				log_debug("seccomp: unknown syscall `%s` skipped", sc->names[j]);
				continue;
			}
			if (seccomp_add_rule(p, i, sc->names[j], nr, action, sc, err) < 0)
				return -1;
		}
	}
	return 0;
}

static int seccomp_set_flags(struct seccomp_program *p, const struct config_seccomp *s,
                             berth_error_t *err)
{
	for (size_t i = 0; i < s->n_flags; i++) {
		unsigned long f = seccomp_flag_from_name(s->flags[i]);
		if (f == 0)
			return berth_error(err, 0, "linux.seccomp.flags[%zu]: unknown flag \"%s\"",
			                   i, s->flags[i]);
		if (f == SECCOMP_FILTER_FLAG_TSYNC) {
			/* the init is single-threaded: nothing to synchronise (runc ignores it) */
			log_debug("seccomp: SECCOMP_FILTER_FLAG_TSYNC ignored");
			continue;
		}
		if (f == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV && !p->notify) {
			/* the kernel only takes it together with a listener */
			log_debug("seccomp: %s ignored: no SCMP_ACT_NOTIFY rule", s->flags[i]);
			continue;
		}
		if (!seccomp_flag_supported(f))
			return berth_error(err, 0,
			                   "linux.seccomp.flags[%zu]: %s is not supported by the "
			                   "running kernel",
			                   i, s->flags[i]);
		p->flags |= f;
	}
	return 0;
}

int seccomp_build(const struct config_seccomp *s, struct seccomp_program **out, berth_error_t *err)
{
	struct seccomp_program *p = xmalloc0(sizeof(*p));
	cleanup_free char *bpf = NULL;
	uint32_t def;
	size_t len;
	int r;

	*out = NULL;
	if (seccomp_action_from_name(s->default_action, s->has_default_errno_ret,
	                             s->default_errno_ret, &def, err) < 0) {
		berth_error_prefix(err, "linux.seccomp.defaultAction");
		goto fail;
	}
	p->ctx = seccomp_init(def);
	if (p->ctx == NULL) {
		berth_error(err, 0, "linux.seccomp.defaultAction: seccomp_init(%s) failed",
		            s->default_action);
		goto fail;
	}
	r = seccomp_attr_set(p->ctx, SCMP_FLTATR_CTL_OPTIMIZE, SECCOMP_OPTIMIZE);
	if (r < 0) {
		berth_error(err, -r, "linux.seccomp: set libseccomp's optimisation level %d",
		            SECCOMP_OPTIMIZE);
		goto fail;
	}
	for (size_t i = 0; i < s->n_architectures; i++) {
		uint32_t arch = seccomp_arch_from_name(s->architectures[i]);
		char ver[32];
		if (arch == 0) {
			seccomp_libver(ver);
			berth_error(err, 0,
			            "linux.seccomp.architectures[%zu]: %s is not supported by "
			            "libseccomp %s",
			            i, s->architectures[i], ver);
			goto fail;
		}
		r = seccomp_arch_add(p->ctx, arch);
		if (r < 0 && r != -EEXIST) {
			berth_error(err, -r, "linux.seccomp.architectures[%zu]: add %s", i,
			            s->architectures[i]);
			goto fail;
		}
	}
	if (seccomp_add_rules(p, s, def, err) < 0 || seccomp_set_flags(p, s, err) < 0)
		goto fail;
	if (seccomp_export(p, false, &bpf, &len, err) < 0)
		goto fail;
	if (len == 0 || len % sizeof(struct sock_filter) != 0 ||
	    len / sizeof(struct sock_filter) > BPF_MAXINSNS) {
		berth_error(err, E2BIG,
		            "linux.seccomp: the filter has %zu instructions (at most %d)",
		            len / sizeof(struct sock_filter), BPF_MAXINSNS);
		goto fail;
	}
	p->insns = (struct sock_filter *)util_steal_ptr(bpf);
	p->n_insns = len / sizeof(struct sock_filter);
	*out = p;
	return 0;
fail:
	seccomp_program_free(p);
	return -1;
}

int seccomp_program_from_bpf(const struct config_seccomp *s, struct sock_filter *insns, size_t n,
                             bool notify, struct seccomp_program **out, berth_error_t *err)
{
	struct seccomp_program *p = xmalloc0(sizeof(*p));

	p->insns = insns;
	p->n_insns = n;
	p->notify = notify;
	*out = NULL;
	if (seccomp_set_flags(p, s, err) < 0) {
		seccomp_program_free(p);
		return -1;
	}
	*out = p;
	return 0;
}

const struct sock_filter *seccomp_program_insns(const struct seccomp_program *p, size_t *n)
{
	*n = p->n_insns;
	return p->insns;
}

void seccomp_program_free(struct seccomp_program *p)
{
	if (p == NULL)
		return;
	if (p->ctx)
		seccomp_release(p->ctx);
	free(p->insns);
	free(p);
}

bool seccomp_program_notifies(const struct seccomp_program *p)
{
	return p != NULL && p->notify;
}

char *seccomp_program_pfc(const struct seccomp_program *p)
{
	berth_error_t e = NULL;
	char *text = NULL;
	size_t len;

	if (seccomp_export(p, true, &text, &len, &e) < 0) {
		berth_error_release(&e);
		return NULL;
	}
	return text;
}

/* ---- load ------------------------------------------------------------------------- */

int seccomp_apply(const struct seccomp_program *p, int *notify_fd, berth_error_t *err)
{
	struct sock_fprog prog = {.len = (unsigned short)p->n_insns, .filter = p->insns};
	unsigned long flags = p->flags;
	long r;

	*notify_fd = -1;
	if (p->notify)
		flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
	r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
	if (r < 0) {
		if (errno == EACCES)
			return berth_error(err, errno,
			                   "linux.seccomp: load the filter (without "
			                   "process.noNewPrivileges it needs CAP_SYS_ADMIN)");
		return berth_error(err, errno, "linux.seccomp: load the filter (flags 0x%lx)",
		                   flags);
	}
	if (p->notify)
		*notify_fd = (int)r;
	return 0;
}

/* ---- the listener ------------------------------------------------------------------- */

int seccomp_listener_connect(const char *path, berth_error_t *err)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	cleanup_close int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return berth_error(err, errno, "socket");
	if (strlen(path) >= sizeof(addr.sun_path))
		return berth_error(err, ENAMETOOLONG, "linux.seccomp.listenerPath `%s`", path);
	strcpy(addr.sun_path, path);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return berth_error(
		    err, errno, "linux.seccomp.listenerPath: connect to the seccomp listener `%s`",
		    path);
	return util_steal_fd(fd);
}

int seccomp_listener_send(int sock, int notify_fd, const char *state_json, pid_t pid,
                          const char *status, const char *metadata, berth_error_t *err)
{
	json_t *state = state_json ? json_loads(state_json, 0, NULL) : NULL;
	json_t *doc;
	cleanup_free char *text = NULL;
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov;
	struct msghdr msg = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c;

	if (!json_is_object(state)) {
		json_decref(state);
		state = json_object();
	}
	if (pid > 0)
		json_object_set_new(state, "pid", json_integer(pid));
	else
		pid = (pid_t)json_integer_value(json_object_get(state, "pid"));
	if (status)
		json_object_set_new(state, "status", json_string(status));
	doc = json_pack("{s:s,s:[s],s:I,s:o}", "ociVersion", "1.3.0", "fds", "seccompFd", "pid",
	                (json_int_t)pid, "state", state);
	if (doc == NULL)
		return berth_error(err, ENOMEM, "seccomp: the container process state");
	if (metadata)
		json_object_set_new(doc, "metadata", json_string(metadata));
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (text == NULL)
		return berth_error(err, ENOMEM, "seccomp: the container process state");

	iov.iov_base = text;
	iov.iov_len = strlen(text);
	memset(cbuf, 0, sizeof(cbuf));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &notify_fd, sizeof(int));
	while (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0)
		if (errno != EINTR)
			return berth_error(err, errno,
			                   "linux.seccomp.listenerPath: send the seccomp fd");
	return 0;
}

int seccomp_prepare(const struct config_seccomp *s, const struct seccomp_program *p, int *listener,
                    berth_error_t *err)
{
	*listener = -1;
	if (seccomp_program_notifies(p)) {
		*listener = seccomp_listener_connect(s->listener_path, err);
		if (*listener < 0)
			return -1;
	}
	return 0;
}

int seccomp_install(const struct seccomp_program *p, const struct config_seccomp *s, int *listener,
                    const char *state_json, berth_error_t *err)
{
	cleanup_close int nfd = -1;
	int r = 0;

	if (seccomp_apply(p, &nfd, err) < 0)
		r = -1;
	else if (nfd >= 0 && *listener >= 0)
		r = seccomp_listener_send(*listener, nfd, state_json, 0, NULL, s->listener_metadata,
		                          err);
	if (*listener >= 0)
		close(*listener);
	*listener = -1;
	return r;
}
