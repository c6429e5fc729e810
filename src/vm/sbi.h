/* SPDX-License-Identifier: MIT */
/* The SBI (v2.0) as berth serves it to S-mode: BASE, TIME, IPI, RFENCE, HSM, SRST, DBCN and
 * the legacy console, set_timer and shutdown calls. */
#ifndef BERTH_VM_SBI_H
#define BERTH_VM_SBI_H

#include "devices/virtqueue.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct vcpu;

#define SBI_EXT_LEGACY_SET_TIMER 0x00
#define SBI_EXT_LEGACY_PUTCHAR   0x01
#define SBI_EXT_LEGACY_GETCHAR   0x02
#define SBI_EXT_LEGACY_SHUTDOWN  0x08
#define SBI_EXT_BASE             0x10
#define SBI_EXT_TIME             0x54494d45
#define SBI_EXT_IPI              0x735049
#define SBI_EXT_RFENCE           0x52464e43
#define SBI_EXT_HSM              0x48534d
#define SBI_EXT_SRST             0x53525354
#define SBI_EXT_DBCN             0x4442434e

#define SBI_SUCCESS               0
#define SBI_ERR_FAILED            -1
#define SBI_ERR_NOT_SUPPORTED     -2
#define SBI_ERR_INVALID_PARAM     -3
#define SBI_ERR_DENIED            -4
#define SBI_ERR_INVALID_ADDRESS   -5
#define SBI_ERR_ALREADY_AVAILABLE -6

#define SBI_IMPL_ID 0x4252 /* "BR": berth */

enum sbi_reset { SBI_RESET_SHUTDOWN, SBI_RESET_REBOOT };

struct sbi {
	void *opaque;
	struct vcpu **harts;
	unsigned nharts;
	struct guest_ram ram;
	void *console; /* the console callbacks get this, the others opaque */
	void (*console_write)(void *console, const uint8_t *buf, size_t len);
	int (*console_getchar)(void *console); /* -1: nothing */
	void (*system_reset)(void *opaque, enum sbi_reset how, uint32_t reason);
	pthread_mutex_t hsm_lock; /* serializes hart_start */
};

void sbi_init(struct sbi *s);
void sbi_fini(struct sbi *s);
/* Serve the ecall of hart v (the platform's sbi_call). */
void sbi_call(struct sbi *s, struct vcpu *v);

#endif
