/* SPDX-License-Identifier: MIT */
/* An ns16550a UART as QEMU models it: the transmitter is always ready (a byte written to THR
 * goes to the terminal at once), the receiver has a buffer fed by the terminal reader. The
 * interrupt sources are "receive data available" and "transmitter holding register empty".
 * Bytes written by the guest are scanned for the boot-timer magic, which is removed. */
#include "devices.h"
#include "util.h"

#include <pthread.h>
#include <string.h>

enum {
	UART_RBR = 0,
	UART_THR = 0,
	UART_DLL = 0,
	UART_IER = 1,
	UART_DLM = 1,
	UART_IIR = 2,
	UART_FCR = 2,
	UART_LCR = 3,
	UART_MCR = 4,
	UART_LSR = 5,
	UART_MSR = 6,
	UART_SCR = 7,
};
#define IER_RDI      0x01
#define IER_THRI     0x02
#define IIR_NO_INT   0x01
#define IIR_THRI     0x02
#define IIR_RDI      0x04
#define IIR_FIFO     0xc0
#define FCR_ENABLE   0x01
#define FCR_CLEAR_RX 0x02
#define LCR_DLAB     0x80
#define MCR_LOOP     0x10
#define LSR_DR       0x01
#define LSR_THRE     0x20
#define LSR_TEMT     0x40
#define RX_SIZE      1024

struct uart {
	pthread_mutex_t lock;
	struct plic *plic;
	unsigned irq;
	uart_out_fn out;
	void *opaque;
	struct boot_timer *bt;
	size_t magic_pos;
	uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
	bool thr_ipending;
	uint8_t rx[RX_SIZE];
	size_t rx_head, rx_len;
};

static uint8_t uart_iir(const struct uart *u)
{
	uint8_t fifo = (u->fcr & FCR_ENABLE) ? IIR_FIFO : 0;

	if ((u->ier & IER_RDI) && u->rx_len > 0)
		return fifo | IIR_RDI;
	if ((u->ier & IER_THRI) && u->thr_ipending)
		return fifo | IIR_THRI;
	return fifo | IIR_NO_INT;
}

static void uart_update(struct uart *u)
{
	if (u->plic != NULL)
		plic_set_irq(u->plic, u->irq, !(uart_iir(u) & IIR_NO_INT));
}

struct uart *uart_create(struct plic *plic, unsigned irq, uart_out_fn out, void *opaque)
{
	struct uart *u = xmalloc0(sizeof(*u));

	pthread_mutex_init(&u->lock, NULL);
	u->plic = plic;
	u->irq = irq;
	u->out = out;
	u->opaque = opaque;
	u->lcr = 0x03;
	return u;
}

void uart_destroy(struct uart *u)
{
	if (u == NULL)
		return;
	pthread_mutex_destroy(&u->lock);
	free(u);
}

void uart_set_boot_timer(struct uart *u, struct boot_timer *bt)
{
	pthread_mutex_lock(&u->lock);
	u->bt = bt;
	pthread_mutex_unlock(&u->lock);
}

static void uart_emit(struct uart *u, const uint8_t *buf, size_t len)
{
	if (u->out != NULL && len > 0)
		u->out(u->opaque, buf, len);
}

/* Pass a transmitted byte on, holding back a possible start of the boot-timer magic. */
static void uart_transmit(struct uart *u, uint8_t c)
{
	static const char magic[] = BOOT_TIMER_MAGIC;
	const size_t mlen = sizeof(magic) - 1;

	if (u->mcr & MCR_LOOP) {
		if (u->rx_len < RX_SIZE) {
			u->rx[(u->rx_head + u->rx_len) % RX_SIZE] = c;
			u->rx_len++;
		}
		return;
	}
	if (c == (uint8_t)magic[u->magic_pos]) {
		if (++u->magic_pos == mlen) {
			u->magic_pos = 0;
			if (u->bt != NULL)
				boot_timer_mark(u->bt);
		}
		return;
	}
	/* mismatch: release what was held, then look at c afresh */
	uart_emit(u, (const uint8_t *)magic, u->magic_pos);
	u->magic_pos = 0;
	if (c == (uint8_t)magic[0])
		u->magic_pos = 1;
	else
		uart_emit(u, &c, 1);
}

size_t uart_receive(struct uart *u, const uint8_t *buf, size_t len)
{
	size_t n = 0;

	pthread_mutex_lock(&u->lock);
	while (n < len && u->rx_len < RX_SIZE) {
		u->rx[(u->rx_head + u->rx_len) % RX_SIZE] = buf[n++];
		u->rx_len++;
	}
	uart_update(u);
	pthread_mutex_unlock(&u->lock);
	return n;
}

int uart_getchar(struct uart *u)
{
	int c = -1;

	pthread_mutex_lock(&u->lock);
	if (u->rx_len > 0) {
		c = u->rx[u->rx_head];
		u->rx_head = (u->rx_head + 1) % RX_SIZE;
		u->rx_len--;
		uart_update(u);
	}
	pthread_mutex_unlock(&u->lock);
	return c;
}

int uart_read(void *dev, uint64_t off, unsigned size, uint64_t *val)
{
	struct uart *u = dev;
	uint8_t v = 0;

	(void)size;
	if (off >= 8) {
		*val = 0;
		return 0;
	}
	pthread_mutex_lock(&u->lock);
	switch (off) {
	case UART_RBR:
		if (u->lcr & LCR_DLAB) {
			v = u->dll;
		} else if (u->rx_len > 0) {
			v = u->rx[u->rx_head];
			u->rx_head = (u->rx_head + 1) % RX_SIZE;
			u->rx_len--;
		}
		break;
	case UART_IER:
		v = (u->lcr & LCR_DLAB) ? u->dlm : u->ier;
		break;
	case UART_IIR:
		v = uart_iir(u);
		if ((v & 0x0f) == IIR_THRI)
			u->thr_ipending = false;
		break;
	case UART_LCR:
		v = u->lcr;
		break;
	case UART_MCR:
		v = u->mcr;
		break;
	case UART_LSR:
		v = LSR_THRE | LSR_TEMT | (u->rx_len > 0 ? LSR_DR : 0);
		break;
	case UART_MSR:
		if (u->mcr & MCR_LOOP)
			v = (uint8_t)(((u->mcr & 0x0c) << 4) | ((u->mcr & 0x02) << 3) |
			              ((u->mcr & 0x01) << 5));
		else
			v = 0xb0; /* DCD, DSR, CTS */
		break;
	case UART_SCR:
		v = u->scr;
		break;
	}
	uart_update(u);
	pthread_mutex_unlock(&u->lock);
	*val = v;
	return 0;
}

int uart_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
	struct uart *u = dev;
	uint8_t v = (uint8_t)val;

	(void)size;
	if (off >= 8)
		return 0;
	pthread_mutex_lock(&u->lock);
	switch (off) {
	case UART_THR:
		if (u->lcr & LCR_DLAB) {
			u->dll = v;
			break;
		}
		uart_transmit(u, v);
		u->thr_ipending = true; /* sent at once: THR is empty again */
		break;
	case UART_IER:
		if (u->lcr & LCR_DLAB) {
			u->dlm = v;
			break;
		}
		if ((v & IER_THRI) && !(u->ier & IER_THRI))
			u->thr_ipending = true;
		u->ier = v & 0x0f;
		break;
	case UART_FCR:
		u->fcr = v & 0xc9;
		if (v & FCR_CLEAR_RX) {
			u->rx_head = 0;
			u->rx_len = 0;
		}
		break;
	case UART_LCR:
		u->lcr = v;
		break;
	case UART_MCR:
		u->mcr = v & 0x1f;
		break;
	case UART_SCR:
		u->scr = v;
		break;
	}
	uart_update(u);
	pthread_mutex_unlock(&u->lock);
	return 0;
}

static int uart_board_create(const struct vm_board *b, unsigned i, void **dev, berth_error_t *err)
{
	struct uart *u =
	    uart_create(b->plic, vm_device_uart.irq, b->console_out, b->console_opaque);

	(void)i;
	(void)err;
	uart_set_boot_timer(u, b->bt);
	*dev = u;
	return 0;
}

static void uart_board_destroy(void *dev)
{
	uart_destroy(dev);
}

/* snapshots: the registers and the receive buffer */
struct uart_state {
	uint8_t ier, lcr, mcr, scr, fcr, dll, dlm, thr_ipending;
	uint64_t magic_pos, rx_head, rx_len;
	uint8_t rx[RX_SIZE];
};

static void uart_save(void *dev, struct vm_snap_writer *w, uint32_t inst)
{
	struct uart *u = dev;
	struct uart_state st = {0};

	pthread_mutex_lock(&u->lock);
	st = (struct uart_state){u->ier,       u->lcr,     u->mcr,    u->scr,
	                         u->fcr,       u->dll,     u->dlm,    u->thr_ipending,
	                         u->magic_pos, u->rx_head, u->rx_len, {0}};
	memcpy(st.rx, u->rx, sizeof(st.rx));
	pthread_mutex_unlock(&u->lock);
	vm_snap_put(w, "UART", inst, &st, sizeof(st));
}

static int uart_load(void *dev, const struct vm_snap_reader *r, uint32_t inst, berth_error_t *err)
{
	struct uart *u = dev;
	const struct uart_state *st = vm_snap_get(r, "UART", inst, sizeof(*st), NULL, err);

	if (st == NULL)
		return -1;
	if (st->rx_head >= RX_SIZE || st->rx_len > RX_SIZE ||
	    st->magic_pos >= sizeof(BOOT_TIMER_MAGIC))
		return berth_error(err, 0, "record UART %u: a buffer index out of range", inst);
	pthread_mutex_lock(&u->lock);
	u->ier = st->ier;
	u->lcr = st->lcr;
	u->mcr = st->mcr;
	u->scr = st->scr;
	u->fcr = st->fcr;
	u->dll = st->dll;
	u->dlm = st->dlm;
	u->thr_ipending = st->thr_ipending != 0;
	u->magic_pos = st->magic_pos;
	u->rx_head = st->rx_head;
	u->rx_len = st->rx_len;
	memcpy(u->rx, st->rx, sizeof(u->rx));
	uart_update(u);
	pthread_mutex_unlock(&u->lock);
	return 0;
}

VM_DEVICE(vm_device_uart, .name = "serial", .base = 0x10000000, .size = UART_SIZE, .irq = 10,
          .access = VM_ACCESS_ANY, .in_fdt = true, VM_FDT_COMPATIBLE("ns16550a"),
          .props = {{"clock-frequency", 3686400}}, .create = uart_board_create, .read = uart_read,
          .write = uart_write, .destroy = uart_board_destroy, .save = uart_save, .load = uart_load);
