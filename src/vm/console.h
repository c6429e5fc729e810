/* SPDX-License-Identifier: MIT */
/* The terminal behind the guest's consoles: host stdin in raw mode when it is a tty (restored
 * at exit and on signals), a reader thread feeding the UART, Ctrl-A x to quit (as in QEMU),
 * and one serialized output for the UART, the virtio console and the SBI console. */
#ifndef BERTH_VM_CONSOLE_H
#define BERTH_VM_CONSOLE_H

#include "error.h"

#include <stddef.h>
#include <stdint.h>

struct console;
struct uart;

/* in_fd -1: no input. quit(opaque) runs on the reader thread after Ctrl-A x. */
struct console *console_open(int in_fd, int out_fd, void (*quit)(void *), void *opaque);
/* --console socket:PATH: listen on a new unix socket at path (refused when path exists); the
 * user who connects is the terminal and first gets the last 16 KiB of output from while
 * nobody was; close removes the socket. NULL with *err set. */
struct console *console_open_socket(const char *path, berth_error_t *err);
/* The same for another option (`what` names it in errors): --serial NAME=socket:PATH. */
struct console *console_open_socket_as(const char *what, const char *path, berth_error_t *err);
void console_close(struct console *c);
/* Copy all output to fd too (not taken over; -1: no more), as written: a managed VM's log. */
void console_set_log(struct console *c, int fd);
/* Where input goes (NULL: dropped while the machine resets). */
void console_set_uart(struct console *c, struct uart *u);
/* Send input to this virtio-console instead (NULL: back to the UART). */
struct virtio_mmio;
void console_set_hvc(struct console *c, struct virtio_mmio *t);
/* Send input to the named port `port` (1..) of this virtio-console (t NULL: dropped). */
void console_set_port(struct console *c, struct virtio_mmio *t, unsigned port);
/* The SBI console's getchar (legacy 0x02 and DBCN console_read): the next input byte, taken
 * from the UART's receive buffer, or -1. */
int console_getchar(void *console);
/* Output, with the signature of uart_out_fn. */
void console_write(void *console, const uint8_t *buf, size_t len);
/* Put the terminal back as it was (async-signal-safe; also done by console_close). */
void console_restore_terminal(void);

/* The escape state machine of the reader: returns the bytes of in[] to give to the guest in
 * out[] (at most len + 1), and sets *quit on Ctrl-A x. *state carries a pending Ctrl-A. */
size_t console_filter(int *state, const uint8_t *in, size_t len, uint8_t *out, int *quit,
                      int *help);

#endif
