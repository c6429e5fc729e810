/* SPDX-License-Identifier: MIT */
/* Goldfish RTC (google,goldfish-rtc): nanoseconds since the epoch from the host's real-time
 * clock, plus an offset when the guest sets the time. Reading TIME_LOW latches TIME_HIGH.
 * The alarm fires when it is set in the past or when it is read after it expired; Linux
 * uses it only for wake alarms. */
#include "devices.h"
#include "util.h"

#include <pthread.h>
#include <time.h>

enum {
	RTC_TIME_LOW = 0x00,
	RTC_TIME_HIGH = 0x04,
	RTC_ALARM_LOW = 0x08,
	RTC_ALARM_HIGH = 0x0c,
	RTC_IRQ_ENABLED = 0x10,
	RTC_CLEAR_ALARM = 0x14,
	RTC_ALARM_STATUS = 0x18,
	RTC_CLEAR_INTERRUPT = 0x1c,
};

struct rtc {
	pthread_mutex_t lock;
	struct plic *plic;
	unsigned irq;
	int64_t offset;
	uint32_t time_high, alarm_high;
	uint64_t alarm;
	bool alarm_running, irq_enabled, irq_pending;
};

static uint64_t rtc_now(const struct rtc *r)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec + (uint64_t)r->offset;
}

static void rtc_update(struct rtc *r)
{
	if (r->alarm_running && rtc_now(r) >= r->alarm) {
		r->alarm_running = false;
		r->irq_pending = true;
	}
	if (r->plic != NULL)
		plic_set_irq(r->plic, r->irq, r->irq_pending && r->irq_enabled);
}

struct rtc *rtc_create(struct plic *plic, unsigned irq)
{
	struct rtc *r = xmalloc0(sizeof(*r));

	pthread_mutex_init(&r->lock, NULL);
	r->plic = plic;
	r->irq = irq;
	return r;
}

void rtc_destroy(struct rtc *r)
{
	if (r == NULL)
		return;
	pthread_mutex_destroy(&r->lock);
	free(r);
}

int rtc_read(void *dev, uint64_t off, unsigned size, uint64_t *val)
{
	struct rtc *r = dev;
	uint64_t v = 0, now;

	(void)size; /* the bus lets only 32-bit accesses through */
	pthread_mutex_lock(&r->lock);
	switch (off) {
	case RTC_TIME_LOW:
		now = rtc_now(r);
		r->time_high = (uint32_t)(now >> 32);
		v = (uint32_t)now;
		break;
	case RTC_TIME_HIGH:
		v = r->time_high;
		break;
	case RTC_ALARM_LOW:
		v = (uint32_t)r->alarm;
		break;
	case RTC_ALARM_HIGH:
		v = (uint32_t)(r->alarm >> 32);
		break;
	case RTC_IRQ_ENABLED:
		v = r->irq_enabled;
		break;
	case RTC_ALARM_STATUS:
		rtc_update(r);
		v = r->alarm_running;
		break;
	}
	pthread_mutex_unlock(&r->lock);
	*val = v;
	return 0;
}

int rtc_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
	struct rtc *r = dev;
	uint32_t v = (uint32_t)val;
	uint64_t now;

	(void)size; /* the bus lets only 32-bit accesses through */
	pthread_mutex_lock(&r->lock);
	switch (off) {
	case RTC_TIME_LOW:
		now = rtc_now(r);
		r->offset += (int64_t)((((uint64_t)r->time_high << 32) | v) - now);
		break;
	case RTC_TIME_HIGH:
		r->time_high = v;
		break;
	case RTC_ALARM_LOW:
		r->alarm = ((uint64_t)r->alarm_high << 32) | v;
		r->alarm_running = true;
		break;
	case RTC_ALARM_HIGH:
		r->alarm_high = v;
		break;
	case RTC_IRQ_ENABLED:
		r->irq_enabled = v & 1;
		break;
	case RTC_CLEAR_ALARM:
		r->alarm_running = false;
		break;
	case RTC_CLEAR_INTERRUPT:
		r->irq_pending = false;
		break;
	}
	rtc_update(r);
	pthread_mutex_unlock(&r->lock);
	return 0;
}

static int rtc_board_create(const struct vm_board *b, unsigned i, void **dev, berth_error_t *err)
{
	(void)i;
	(void)err;
	*dev = rtc_create(b->plic, vm_device_rtc.irq);
	return 0;
}

static void rtc_board_destroy(void *dev)
{
	rtc_destroy(dev);
}

/* snapshots: the registers (the clock stays the host's) */
struct rtc_state {
	int64_t offset;
	uint32_t time_high, alarm_high;
	uint64_t alarm;
	uint8_t alarm_running, irq_enabled, irq_pending, pad[5];
};

static void rtc_save(void *dev, struct vm_snap_writer *w, uint32_t inst)
{
	struct rtc *r = dev;
	struct rtc_state st = {0};

	pthread_mutex_lock(&r->lock);
	st.offset = r->offset;
	st.time_high = r->time_high;
	st.alarm_high = r->alarm_high;
	st.alarm = r->alarm;
	st.alarm_running = r->alarm_running;
	st.irq_enabled = r->irq_enabled;
	st.irq_pending = r->irq_pending;
	pthread_mutex_unlock(&r->lock);
	vm_snap_put(w, "RTC ", inst, &st, sizeof(st));
}

static int rtc_load(void *dev, const struct vm_snap_reader *rd, uint32_t inst, berth_error_t *err)
{
	struct rtc *r = dev;
	const struct rtc_state *st = vm_snap_get(rd, "RTC ", inst, sizeof(*st), NULL, err);

	if (st == NULL)
		return -1;
	pthread_mutex_lock(&r->lock);
	r->offset = st->offset;
	r->time_high = st->time_high;
	r->alarm_high = st->alarm_high;
	r->alarm = st->alarm;
	r->alarm_running = st->alarm_running != 0;
	r->irq_enabled = st->irq_enabled != 0;
	r->irq_pending = st->irq_pending != 0;
	rtc_update(r);
	pthread_mutex_unlock(&r->lock);
	return 0;
}

VM_DEVICE(vm_device_rtc, .name = "rtc", .base = 0x101000, .size = RTC_SIZE, .irq = 11,
          .access = VM_ACCESS_4, .in_fdt = true, VM_FDT_COMPATIBLE("google,goldfish-rtc"),
          .create = rtc_board_create, .read = rtc_read, .write = rtc_write,
          .destroy = rtc_board_destroy, .save = rtc_save, .load = rtc_load);
