/* SPDX-License-Identifier: MIT */
/* ns16550a registers, interrupts, and the boot-timer magic in the output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vm/devices/devices.h"
#include "util.h"

#include <string.h>

static char out[256];
static size_t out_len;
static bool line;

static void sink(void *opaque, const uint8_t *buf, size_t len)
{
	(void)opaque;
	memcpy(out + out_len, buf, len);
	out_len += len;
}

static void notify(void *opaque, unsigned ctx, bool level)
{
	(void)opaque;
	if (ctx == 1)
		line = level;
}

static uint8_t rd(struct uart *u, unsigned reg)
{
	uint64_t v;
	assert_int_equal(uart_read(u, reg, 1, &v), 0);
	return (uint8_t)v;
}

static void wr(struct uart *u, unsigned reg, uint8_t v)
{
	assert_int_equal(uart_write(u, reg, 1, v), 0);
}

struct fix {
	struct plic *plic;
	struct uart *u;
};

static int setup(void **state)
{
	struct fix *f = xmalloc0(sizeof(*f));
	f->plic = plic_create(2, notify, NULL);
	plic_write(f->plic, 4 * 10, 4, 1);
	plic_write(f->plic, 0x2000 + 0x80, 4, 1u << 10);
	f->u = uart_create(f->plic, 10, sink, NULL);
	out_len = 0;
	line = false;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;
	uart_destroy(f->u);
	plic_destroy(f->plic);
	free(f);
	return 0;
}

static void test_transmit(void **state)
{
	struct fix *f = *state;

	assert_int_equal(rd(f->u, 5) & 0x60, 0x60); /* THRE | TEMT */
	wr(f->u, 0, 'h');
	wr(f->u, 0, 'i');
	assert_int_equal(out_len, 2);
	assert_memory_equal(out, "hi", 2);
	assert_int_equal(rd(f->u, 2) & 0x0f, 0x01); /* no interrupt: not enabled */
}

static void test_thre_interrupt(void **state)
{
	struct fix *f = *state;

	wr(f->u, 1, 0x02); /* ETBEI */
	assert_true(line);
	assert_int_equal(rd(f->u, 2) & 0x0f, 0x02); /* THRI, cleared by this read */
	assert_false(line);
	assert_int_equal(rd(f->u, 2) & 0x0f, 0x01);
	wr(f->u, 0, 'x'); /* sent at once: THR empty again */
	assert_true(line);
	wr(f->u, 1, 0);
	assert_false(line);
}

static void test_receive(void **state)
{
	struct fix *f = *state;

	wr(f->u, 1, 0x01); /* ERBFI */
	assert_false(line);
	assert_int_equal(uart_receive(f->u, (const uint8_t *)"ab", 2), 2);
	assert_true(line);
	assert_int_equal(rd(f->u, 5) & 1, 1);
	assert_int_equal(rd(f->u, 2) & 0x0f, 0x04);
	assert_int_equal(rd(f->u, 0), 'a');
	assert_int_equal(rd(f->u, 0), 'b');
	assert_int_equal(rd(f->u, 5) & 1, 0);
	assert_false(line);
	assert_int_equal(rd(f->u, 0), 0); /* empty */
	/* the buffer is bounded */
	uint8_t big[4096];
	memset(big, 'z', sizeof(big));
	assert_true(uart_receive(f->u, big, sizeof(big)) < sizeof(big));
	wr(f->u, 2, 0x03); /* FIFO enable + clear RX */
	assert_int_equal(rd(f->u, 5) & 1, 0);
	assert_int_equal(rd(f->u, 2) & 0xc0, 0xc0);
}

/* The SBI console's getchar takes the same input, a byte at a time, and the interrupt line
 * follows. */
static void test_getchar(void **state)
{
	struct fix *f = *state;

	assert_int_equal(uart_getchar(f->u), -1);
	wr(f->u, 1, 0x01); /* ERBFI */
	assert_int_equal(uart_receive(f->u, (const uint8_t *)"xy", 2), 2);
	assert_true(line);
	assert_int_equal(uart_getchar(f->u), 'x');
	assert_true(line);
	assert_int_equal(rd(f->u, 0), 'y');
	assert_false(line);
	assert_int_equal(uart_receive(f->u, (const uint8_t *)"\xff", 1), 1);
	assert_int_equal(uart_getchar(f->u), 0xff);
	assert_false(line);
	assert_int_equal(uart_getchar(f->u), -1);
}

static void test_dlab_and_scratch(void **state)
{
	struct fix *f = *state;

	wr(f->u, 3, 0x83); /* DLAB */
	wr(f->u, 0, 0x12);
	wr(f->u, 1, 0x34);
	assert_int_equal(rd(f->u, 0), 0x12);
	assert_int_equal(rd(f->u, 1), 0x34);
	assert_int_equal(out_len, 0); /* the divisor write sent nothing */
	wr(f->u, 3, 0x03);
	assert_int_equal(rd(f->u, 1), 0);
	wr(f->u, 7, 0x5a);
	assert_int_equal(rd(f->u, 7), 0x5a);
	assert_int_equal(rd(f->u, 6) & 0xb0, 0xb0);
	uint64_t v;
	assert_int_equal(uart_read(f->u, 0x50, 1, &v), 0); /* past the registers */
}

static void test_loopback(void **state)
{
	struct fix *f = *state;

	wr(f->u, 4, 0x10);
	wr(f->u, 0, 'L');
	assert_int_equal(out_len, 0);
	assert_int_equal(rd(f->u, 0), 'L');
}

static void test_boot_timer_magic(void **state)
{
	struct fix *f = *state;
	struct boot_timer *bt = boot_timer_create(util_now_ns(), false);
	const char *s = "a\033[1m" BOOT_TIMER_MAGIC "b\033";

	uart_set_boot_timer(f->u, bt);
	for (const char *p = s; *p; p++)
		wr(f->u, 0, (uint8_t)*p);
	assert_true(boot_timer_elapsed(bt) >= 0);
	/* the magic is gone; the other escape and the text pass; a lone ESC is held back */
	assert_int_equal(out_len, 6);
	assert_memory_equal(out, "a\033[1mb", 6);
	wr(f->u, 0, 'c');
	assert_int_equal(out_len, 8);
	assert_memory_equal(out + 6, "\033c", 2);
	long long first = boot_timer_elapsed(bt);
	assert_int_equal(boot_timer_mark(bt), first); /* only the first mark counts */
	boot_timer_destroy(bt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_transmit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_thre_interrupt, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_receive, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_getchar, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dlab_and_scratch, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_loopback, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_boot_timer_magic, setup, teardown),
	};
	return cmocka_run_group_tests_name("vm_uart", tests, NULL, NULL);
}
