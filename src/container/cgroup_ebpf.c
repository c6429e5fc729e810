/* SPDX-License-Identifier: MIT */
/* Device rules: cgroup v1 semantics (an emulator, as runc has) and, for cgroup v2, a
 * BPF_PROG_TYPE_CGROUP_DEVICE program written as raw instructions (no libbpf), loaded with
 * bpf(2) and attached with BPF_F_ALLOW_MULTI, replacing what was attached before. */
#include "cgroup.h"
#include "cgroup_priv.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/syscall.h>

/* ---- rules ------------------------------------------------------------------------- */

/* runc's AllowedDevices (libcontainer/specconv), appended after the config's rules */
static const struct cgroup_dev_rule cgroup_default_devices[] = {
    {true, 'c', -1, -1, CGROUP_DEV_M},
    {true, 'b', -1, -1, CGROUP_DEV_M},
    {true, 'c', 1, 3, CGROUP_DEV_R | CGROUP_DEV_W | CGROUP_DEV_M},    /* null */
    {true, 'c', 1, 8, CGROUP_DEV_R | CGROUP_DEV_W | CGROUP_DEV_M},    /* random */
    {true, 'c', 1, 7, CGROUP_DEV_R | CGROUP_DEV_W | CGROUP_DEV_M},    /* full */
    {true, 'c', 5, 0, CGROUP_DEV_R | CGROUP_DEV_W | CGROUP_DEV_M},    /* tty */
    {true, 'c', 1, 5, CGROUP_DEV_R | CGROUP_DEV_W | CGROUP_DEV_M},    /* zero */
    {true, 'c', 1, 9, CGROUP_DEV_R | CGROUP_DEV_W | CGROUP_DEV_M},    /* urandom */
    {true, 'c', 136, -1, CGROUP_DEV_R | CGROUP_DEV_W | CGROUP_DEV_M}, /* pts */
    {true, 'c', 5, 2, CGROUP_DEV_R | CGROUP_DEV_W | CGROUP_DEV_M},    /* ptmx */
};

static int cgroup_dev_access(const char *s, unsigned *acc, berth_error_t *err)
{
	*acc = 0;
	if (s == NULL) {
		*acc = CGROUP_DEV_R | CGROUP_DEV_W | CGROUP_DEV_M;
		return 0;
	}
	for (const char *p = s; *p; p++) {
		switch (*p) {
		case 'r':
			*acc |= CGROUP_DEV_R;
			break;
		case 'w':
			*acc |= CGROUP_DEV_W;
			break;
		case 'm':
			*acc |= CGROUP_DEV_M;
			break;
		default:
			return berth_error(err, 0, "invalid device access `%s`", s);
		}
	}
	return 0;
}

int cgroup_dev_rules(const struct config_resources *r, const struct config_device *devs,
                     size_t n_devs, struct cgroup_dev_rule **out, size_t *n, berth_error_t *err)
{
	size_t cap = (r ? r->n_devices : 0) + n_devs + ARRAY_SIZE(cgroup_default_devices);
	cleanup_free struct cgroup_dev_rule *v = xmalloc0((cap + 1) * sizeof(*v));
	size_t k = 0;

	for (size_t i = 0; r && i < r->n_devices; i++) {
		const struct config_device_cgroup *d = &r->devices[i];
		struct cgroup_dev_rule *o = &v[k++];
		o->allow = d->allow;
		o->type = d->type ? d->type : 'a';
		if (o->type != 'a' && o->type != 'c' && o->type != 'b')
			return berth_error(
			    err, 0, "linux.resources.devices[%zu]: invalid type `%c`", i, o->type);
		o->major = d->major < 0 ? -1 : d->major;
		o->minor = d->minor < 0 ? -1 : d->minor;
		if (o->major > UINT32_MAX || o->minor > UINT32_MAX)
			return berth_error(err, 0, "linux.resources.devices[%zu]: invalid number",
			                   i);
		if (cgroup_dev_access(d->access, &o->access, err) < 0)
			return berth_error_prefix(err, "linux.resources.devices[%zu]", i);
	}
	for (size_t i = 0; i < n_devs; i++) {
		const struct config_device *d = &devs[i];
		char t = d->type == 'u' ? 'c' : d->type;
		if (t != 'c' && t != 'b') /* fifos are not subject to the device cgroup */
			continue;
		v[k++] = (struct cgroup_dev_rule){true, t, d->major, d->minor,
		                                  CGROUP_DEV_R | CGROUP_DEV_W | CGROUP_DEV_M};
	}
	memcpy(&v[k], cgroup_default_devices, sizeof(cgroup_default_devices));
	k += ARRAY_SIZE(cgroup_default_devices);
	*out = util_steal_ptr(v);
	*n = k;
	return 0;
}

void cgroup_dev_emulate(const struct cgroup_dev_rule *rules, size_t n, struct cgroup_dev_state *st)
{
	size_t cap = n;

	st->default_allow = false; /* like runc's emulator: deny unless told otherwise */
	st->rules = xmalloc0((cap + 1) * sizeof(*st->rules));
	st->n_rules = 0;
	for (size_t i = 0; i < n; i++) {
		const struct cgroup_dev_rule *r = &rules[i];
		size_t j;
		if (r->type == 'a') {
			/* "a" resets the cgroup to allow-all or deny-all (the kernel ignores the
			 * rest of the rule) */
			st->default_allow = r->allow;
			st->n_rules = 0;
			continue;
		}
		for (j = 0; j < st->n_rules; j++)
			if (st->rules[j].type == r->type && st->rules[j].major == r->major &&
			    st->rules[j].minor == r->minor)
				break;
		if (r->allow == st->default_allow) {
			/* takes access away from an exception with exactly that device */
			if (j == st->n_rules)
				continue;
			st->rules[j].access &= ~r->access;
			if (st->rules[j].access == 0) {
				memmove(&st->rules[j], &st->rules[j + 1],
				        (st->n_rules - j - 1) * sizeof(*st->rules));
				st->n_rules--;
			}
		} else if (j < st->n_rules) {
			st->rules[j].access |= r->access;
		} else if (r->access != 0) {
			st->rules[st->n_rules++] = *r;
		}
	}
}

void cgroup_dev_state_free(struct cgroup_dev_state *st)
{
	free(st->rules);
	st->rules = NULL;
	st->n_rules = 0;
}

/* ---- the BPF program --------------------------------------------------------------- */

#define INSN(c, d, s, o, i)                                                                        \
	((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define LDX_W(d, s, o)       INSN(BPF_LDX | BPF_W | BPF_MEM, d, s, o, 0)
#define ALU32_IMM(op, d, i)  INSN(BPF_ALU | (op) | BPF_K, d, 0, 0, i)
#define MOV32_REG(d, s)      INSN(BPF_ALU | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV64_IMM(d, i)      INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define JMP_IMM(op, d, i, o) INSN(BPF_JMP | (op) | BPF_K, d, 0, o, i)
#define JMP_REG(op, d, s, o) INSN(BPF_JMP | (op) | BPF_X, d, s, o, 0)
/* 32-bit compare: majors and minors are u32, an imm is sign-extended */
#define JMP32_IMM(op, d, i, o) INSN(BPF_JMP32 | (op) | BPF_K, d, 0, o, i)
#define EXIT_INSN()            INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

struct bpf_prog_buf {
	struct bpf_insn *v;
	size_t n, cap;
};

static void cgroup_bpf_emit(struct bpf_prog_buf *b, struct bpf_insn i)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 64;
		b->v = xrealloc(b->v, b->cap * sizeof(*b->v));
	}
	b->v[b->n++] = i;
}

/* One block per exception:
 *   if (type != T) goto next;
 *   if access checked: allow rule: if ((acc & A) != acc) goto next  (A must cover it all)
 *                      deny rule:  if ((acc & A) == 0) goto next    (any overlap denies)
 *   if (major != M) goto next; if (minor != m) goto next;
 *   return verdict;
 * The offsets are patched once the block's length is known. */
static void cgroup_bpf_rule(struct bpf_prog_buf *b, const struct cgroup_dev_rule *r)
{
	const unsigned all = CGROUP_DEV_R | CGROUP_DEV_W | CGROUP_DEV_M;
	size_t start = b->n;
	int acc = 0;

	if (r->access & CGROUP_DEV_R)
		acc |= BPF_DEVCG_ACC_READ;
	if (r->access & CGROUP_DEV_W)
		acc |= BPF_DEVCG_ACC_WRITE;
	if (r->access & CGROUP_DEV_M)
		acc |= BPF_DEVCG_ACC_MKNOD;

	cgroup_bpf_emit(b, JMP_IMM(BPF_JNE, BPF_REG_2,
	                           r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, 0));
	if ((r->access & all) != all) {
		cgroup_bpf_emit(b, MOV32_REG(BPF_REG_1, BPF_REG_3));
		cgroup_bpf_emit(b, ALU32_IMM(BPF_AND, BPF_REG_1, acc));
		if (r->allow)
			cgroup_bpf_emit(b, JMP_REG(BPF_JNE, BPF_REG_1, BPF_REG_3, 0));
		else
			cgroup_bpf_emit(b, JMP_IMM(BPF_JEQ, BPF_REG_1, 0, 0));
	}
	if (r->major >= 0)
		cgroup_bpf_emit(b, JMP32_IMM(BPF_JNE, BPF_REG_4, (int32_t)(uint32_t)r->major, 0));
	if (r->minor >= 0)
		cgroup_bpf_emit(b, JMP32_IMM(BPF_JNE, BPF_REG_5, (int32_t)(uint32_t)r->minor, 0));
	cgroup_bpf_emit(b, MOV64_IMM(BPF_REG_0, r->allow ? 1 : 0));
	cgroup_bpf_emit(b, EXIT_INSN());
	/* every conditional jump of the block goes to the next block */
	for (size_t i = start; i < b->n; i++) {
		uint8_t cls = BPF_CLASS(b->v[i].code);
		if ((cls == BPF_JMP || cls == BPF_JMP32) && BPF_OP(b->v[i].code) != BPF_EXIT)
			b->v[i].off = (int16_t)(b->n - i - 1);
	}
}

struct bpf_insn *cgroup_dev_bpf_program(const struct cgroup_dev_state *st, size_t *n)
{
	struct bpf_prog_buf b = {0};

	/* struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }
	 * access_type = (BPF_DEVCG_ACC_* << 16) | BPF_DEVCG_DEV_* */
	cgroup_bpf_emit(&b, LDX_W(BPF_REG_2, BPF_REG_1, 0));
	cgroup_bpf_emit(&b, ALU32_IMM(BPF_AND, BPF_REG_2, 0xffff)); /* r2 = type */
	cgroup_bpf_emit(&b, LDX_W(BPF_REG_3, BPF_REG_1, 0));
	cgroup_bpf_emit(&b, ALU32_IMM(BPF_RSH, BPF_REG_3, 16)); /* r3 = access */
	cgroup_bpf_emit(&b, LDX_W(BPF_REG_4, BPF_REG_1, 4));    /* r4 = major */
	cgroup_bpf_emit(&b, LDX_W(BPF_REG_5, BPF_REG_1, 8));    /* r5 = minor */
	for (size_t i = 0; i < st->n_rules; i++)
		if (st->rules[i].allow != st->default_allow && st->rules[i].type != 'a')
			cgroup_bpf_rule(&b, &st->rules[i]);
	cgroup_bpf_emit(&b, MOV64_IMM(BPF_REG_0, st->default_allow ? 1 : 0));
	cgroup_bpf_emit(&b, EXIT_INSN());
	*n = b.n;
	return b.v;
}

/* ---- bpf(2) ------------------------------------------------------------------------ */

static int cgroup_bpf(int cmd, union bpf_attr *attr)
{
	return (int)syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

int cgroup_dev_bpf_load(const struct bpf_insn *insns, size_t n, berth_error_t *err)
{
	union bpf_attr attr;
	int fd, e;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (uint64_t)(uintptr_t)insns;
	attr.insn_cnt = (uint32_t)n;
	attr.license = (uint64_t)(uintptr_t) "MIT";
	fd = cgroup_bpf(BPF_PROG_LOAD, &attr);
	if (fd >= 0) {
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		return fd;
	}
	e = errno;
	if (e == EACCES || e == EINVAL) {
		/* again with the verifier's log, for the message */
		cleanup_free char *log = xmalloc0(65536);
		attr.log_buf = (uint64_t)(uintptr_t)log;
		attr.log_size = 65536;
		attr.log_level = 1;
		fd = cgroup_bpf(BPF_PROG_LOAD, &attr);
		if (fd >= 0) {
			fcntl(fd, F_SETFD, FD_CLOEXEC);
			return fd;
		}
		log[65535] = '\0';
		for (char *p = log; *p; p++)
			if (*p == '\n')
				*p = ' ';
		return berth_error(err, e, "load the device cgroup eBPF program (%s)", log);
	}
	return berth_error(err, e, "load the device cgroup eBPF program");
}

#define CGROUP_BPF_MAX_PROGS 64

static int cgroup_bpf_query(int cgfd, uint32_t *ids, uint32_t *n, berth_error_t *err)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.query.target_fd = (uint32_t)cgfd;
	attr.query.attach_type = BPF_CGROUP_DEVICE;
	attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
	attr.query.prog_cnt = *n;
	if (cgroup_bpf(BPF_PROG_QUERY, &attr) < 0)
		return berth_error(err, errno, "query the cgroup's device eBPF programs");
	*n = attr.query.prog_cnt;
	return 0;
}

static int cgroup_bpf_detach_id(int cgfd, uint32_t id, berth_error_t *err)
{
	union bpf_attr attr;
	cleanup_close int fd = -1;

	memset(&attr, 0, sizeof(attr));
	attr.prog_id = id;
	fd = cgroup_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
	if (fd < 0)
		return errno == ENOENT ? 0 : berth_error(err, errno, "get eBPF program %u", id);
	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)cgfd;
	attr.attach_bpf_fd = (uint32_t)fd;
	attr.attach_type = BPF_CGROUP_DEVICE;
	if (cgroup_bpf(BPF_PROG_DETACH, &attr) < 0 && errno != ENOENT)
		return berth_error(err, errno, "detach eBPF program %u", id);
	return 0;
}

int cgroup_dev_bpf_attach(const char *dir, int prog_fd, berth_error_t *err)
{
	cleanup_close int cgfd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	uint32_t ids[CGROUP_BPF_MAX_PROGS], n = CGROUP_BPF_MAX_PROGS;
	union bpf_attr attr;
	bool detached = false;

	if (cgfd < 0)
		return berth_error(err, errno, "open `%s`", dir);
	if (cgroup_bpf_query(cgfd, ids, &n, err) < 0)
		return -1;
	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)cgfd;
	attr.attach_bpf_fd = (uint32_t)prog_fd;
	attr.attach_type = BPF_CGROUP_DEVICE;
	attr.attach_flags = BPF_F_ALLOW_MULTI;
	if (cgroup_bpf(BPF_PROG_ATTACH, &attr) < 0) {
		int e = errno;
		/* a program attached without ALLOW_MULTI forbids ours: replace it */
		if (n == 0 || (e != EPERM && e != EEXIST))
			return berth_error(err, e, "attach the device eBPF program to `%s`", dir);
		for (uint32_t i = 0; i < n; i++)
			if (cgroup_bpf_detach_id(cgfd, ids[i], err) < 0)
				return -1;
		detached = true;
		if (cgroup_bpf(BPF_PROG_ATTACH, &attr) < 0)
			return berth_error(err, errno, "attach the device eBPF program to `%s`",
			                   dir);
	}
	/* the new program is in: now drop the old ones (no window without a filter) */
	for (uint32_t i = 0; !detached && i < n; i++)
		if (cgroup_bpf_detach_id(cgfd, ids[i], err) < 0)
			return -1;
	return 0;
}

int cgroup_dev_bpf_count(const char *dir, berth_error_t *err)
{
	cleanup_close int cgfd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	uint32_t ids[CGROUP_BPF_MAX_PROGS], n = CGROUP_BPF_MAX_PROGS;

	if (cgfd < 0)
		return berth_error(err, errno, "open `%s`", dir);
	if (cgroup_bpf_query(cgfd, ids, &n, err) < 0)
		return -1;
	return (int)n;
}
