/* SPDX-License-Identifier: MIT */
/* Runs the bare assembly programs of tests/riscv-asm on the interpreter alone (no machine):
 * each program reports pass/fail through the "BERT" SBI extension. amo.bin also runs on
 * several harts at once, and bench.bin prints the interpreter's speed. Program paths come
 * from the command line (meson builds them with the cross assembler). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "harness.h"
#include "util.h"

#include <libgen.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void run_one(const char *path, bool mmode)
{
	struct harness *h = h_new();
	double t0, t1;
	int r;

	assert_int_equal(h_load_file(h, path), 0);
	t0 = now_s();
	r = h_run(h, H_RAM_BASE, mmode, 20.0);
	t1 = now_s();
	if (r != 1)
		print_error(
		    "%s: %s, code %llu, pc %#llx, scause %#llx, stval %#llx, s6 %#llx, %s\n", path,
		    r == 0 ? "timeout" : "failed", (unsigned long long)h->result,
		    (unsigned long long)vcpu_get_pc(h->v), (unsigned long long)h->v->scause,
		    (unsigned long long)h->v->stval, (unsigned long long)h->v->x[22],
		    vcpu_error(h->v));
	if (strstr(path, "bench") != NULL)
		printf("# %s: %llu instructions in %.3f s = %.1f MIPS\n", path,
		       (unsigned long long)vcpu_instret(h->v), t1 - t0,
		       (double)vcpu_instret(h->v) / (t1 - t0) / 1e6);
	h_free(h);
	assert_int_equal(r, 1);
}

static void test_program(void **state)
{
	const char *path = *state;
	run_one(path, strstr(path, "mmode") != NULL);
}

/* --- several harts on one RAM ----------------------------------------------------------- */

struct mh {
	struct vcpu_platform plat;
	struct vcpu *v[8];
	unsigned n;
	int done;
	uint64_t code;
};

static uint64_t mh_time(void *opaque)
{
	(void)opaque;
	return (uint64_t)(now_s() * 1e7);
}

static int mh_mmio_read(void *opaque, uint64_t addr, unsigned size, uint64_t *val)
{
	(void)opaque, (void)addr, (void)size, (void)val;
	return -1;
}

static int mh_mmio_write(void *opaque, uint64_t addr, unsigned size, uint64_t val)
{
	(void)opaque, (void)addr, (void)size, (void)val;
	return -1;
}

/* The SBI extensions an SMP guest uses: HSM, IPI, RFENCE. */
static void mh_sbi(void *opaque, struct vcpu *v)
{
	struct mh *m = opaque;
	uint64_t eid = vcpu_get_reg(v, 17), fid = vcpu_get_reg(v, 16);
	uint64_t a0 = vcpu_get_reg(v, 10), a1 = vcpu_get_reg(v, 11);

	if (eid == 0x48534d) { /* HSM */
		if (fid == 0 && a0 < m->n) {
			if (vcpu_hsm_status(m->v[a0]) != 1) {
				vcpu_set_reg(v, 10, (uint64_t)-6); /* already available */
				return;
			}
			vcpu_start(m->v[a0], a1, vcpu_get_reg(v, 12));
			vcpu_set_reg(v, 10, 0);
		} else if (fid == 1) {
			vcpu_set_reg(v, 10, 0);
			vcpu_stop_self(v);
		} else if (fid == 2 && a0 < m->n) {
			vcpu_set_reg(v, 10, 0);
			vcpu_set_reg(v, 11, (uint64_t)vcpu_hsm_status(m->v[a0]));
		} else {
			vcpu_set_reg(v, 10, (uint64_t)-3);
		}
		return;
	}
	if (eid == 0x735049 || eid == 0x52464e43) { /* IPI, RFENCE: hart mask a0, base a1 */
		for (unsigned i = 0; i < m->n; i++) {
			if (i < a1 || i - a1 >= 64 || !((a0 >> (i - a1)) & 1))
				continue;
			if (eid == 0x735049)
				vcpu_set_irq(m->v[i], VCPU_IRQ_SSIP, true);
			else if (fid == 0)
				vcpu_flush_icache(m->v[i]);
			else
				vcpu_flush_tlb(m->v[i]);
		}
		vcpu_set_reg(v, 10, 0);
		return;
	}
	if (eid == H_SBI_EID_TEST) {
		m->code = vcpu_get_reg(v, 10);
		__atomic_store_n(&m->done, m->code == 0 ? 1 : 2, __ATOMIC_SEQ_CST);
		for (unsigned i = 0; i < m->n; i++)
			vcpu_kick(m->v[i], VCPU_EXIT_SHUTDOWN);
		return;
	}
	vcpu_set_reg(v, 10, (uint64_t)-2);
}

static void *mh_thread(void *arg)
{
	vcpu_run(arg);
	return NULL;
}

static void run_smp(const char *path, unsigned nharts, unsigned started)
{
	struct mh m = {.n = nharts};
	pthread_t t[8];
	FILE *f;
	double t0;

	m.plat.opaque = &m;
	m.plat.ram = xmalloc0(H_RAM_SIZE);
	m.plat.ram_base = H_RAM_BASE;
	m.plat.ram_size = H_RAM_SIZE;
	m.plat.timebase_hz = 10000000;
	m.plat.time = mh_time;
	m.plat.mmio_read = mh_mmio_read;
	m.plat.mmio_write = mh_mmio_write;
	m.plat.sbi_call = mh_sbi;
	m.plat.jit = h_accel_jit();
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_true(fread(m.plat.ram, 1, H_RAM_SIZE, f) > 0);
	fclose(f);
	for (unsigned i = 0; i < m.n; i++) {
		m.v[i] = vcpu_create(&m.plat, i);
		if (i < started)
			vcpu_start(m.v[i], H_RAM_BASE, m.n);
	}
	t0 = now_s();
	for (unsigned i = 0; i < m.n; i++)
		pthread_create(&t[i], NULL, mh_thread, m.v[i]);
	while (!__atomic_load_n(&m.done, __ATOMIC_SEQ_CST) && now_s() - t0 < 30)
		usleep(1000);
	for (unsigned i = 0; i < m.n; i++)
		vcpu_kick(m.v[i], VCPU_EXIT_SHUTDOWN);
	for (unsigned i = 0; i < m.n; i++) {
		pthread_join(t[i], NULL);
		vcpu_destroy(m.v[i]);
	}
	free(m.plat.ram);
	if (m.done != 1)
		print_error("%s on %u harts: done %d code %llu\n", path, nharts, m.done,
		            (unsigned long long)m.code);
	assert_int_equal(m.done, 1);
}

static void test_amo_smp(void **state)
{
	run_smp(*state, 4, 4);
}

static void test_smp(void **state)
{
	run_smp(*state, 2, 1);
}

/* vcpu_flush_tlb()/vcpu_flush_icache() from another thread return only once the running
 * hart has flushed (like an SBI remote fence waiting for its IPIs). */
static void *spin_thread(void *arg)
{
	vcpu_run(arg);
	return NULL;
}

static void test_remote_flush_sync(void **state)
{
	struct harness *h = h_new();
	pthread_t t;
	(void)state;

	/* a hart spinning in S-mode: "j ." */
	h_put32(h, H_RAM_BASE, 0x0000006f);
	vcpu_start(h->v, H_RAM_BASE, 0);
	pthread_create(&t, NULL, spin_thread, h->v);
	while (vcpu_instret(h->v) < 1000)
		sched_yield();
	for (int i = 0; i < 200; i++) {
		if (i & 1)
			vcpu_flush_tlb(h->v);
		else
			vcpu_flush_icache(h->v);
		assert_true(__atomic_load_n(&h->v->flush_ack, __ATOMIC_SEQ_CST) >=
		            __atomic_load_n(&h->v->flush_req, __ATOMIC_SEQ_CST));
	}
	vcpu_kick(h->v, VCPU_EXIT_SHUTDOWN);
	pthread_join(t, NULL);
	/* a hart that is not running does not make the caller wait */
	vcpu_flush_tlb(h->v);
	h_free(h);
}

int main(int argc, char **argv)
{
	struct CMUnitTest *tests = xmalloc0(sizeof(*tests) * (size_t)(2 * argc + 2));
	size_t n = 0;
	int rc;

	for (int i = 1; i < argc; i++) {
		char *copy = xstrdup(argv[i]);
		tests[n].name = xstrdup(basename(copy));
		free(copy);
		tests[n].test_func = strstr(argv[i], "smp") != NULL ? test_smp : test_program;
		tests[n].initial_state = argv[i];
		n++;
		if (strstr(argv[i], "amo") != NULL) {
			tests[n].name = "amo.bin on 4 harts";
			tests[n].test_func = test_amo_smp;
			tests[n].initial_state = argv[i];
			n++;
		}
	}
	tests[n].name = "remote flush is synchronous";
	tests[n].test_func = test_remote_flush_sync;
	n++;
	rc = _cmocka_run_group_tests("riscv_asm", tests, n, NULL, NULL);
	return rc;
}
