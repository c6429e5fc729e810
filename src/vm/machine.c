/* SPDX-License-Identifier: MIT */
/* The machine: guest RAM, the images, the devices on the bus, one host thread per hart, and
 * the power-off / reboot logic. A reboot tears the board down and builds it again from the
 * same images (RAM is zeroed, devices reset, hart 0 restarts at the kernel). */
#include "machine.h"
#include "console.h"
#include "disk.h"
#include "cpu.h"
#include "codemap.h"
#include "sbi.h"
#include "board.h"
#include "snapstate.h"
#include "trim.h"
#include "devices/virtio.h"
#include "log.h"
#include "util.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define FDT_MAX_SIZE 0x10000

enum vm_stop {
	STOP_NONE,
	STOP_POWEROFF,
	STOP_REBOOT,
	STOP_FAIL,
	STOP_QUIT,
	STOP_ERROR,
	STOP_SIGNAL
};

struct machine {
	const struct vm_config *cfg;
	struct console *con;
	struct console *ports[VM_MAX_SERIALS]; /* the --serial sockets: they outlive a reboot */
	struct boot_timer *bt;
	struct net_backend *nets[VM_MAX_NETS]; /* the --net back ends: they outlive a reboot */
	int disk_fds[VM_MAX_DISKS];            /* the --disks, locked: they outlive a reboot */
	long long t0_ns;
	char bootargs[VM_MAX_APPEND + 1];
	/* the images, kept open and read into guest RAM at each boot (no copy is kept) */
	int kernel_fd, initrd_fd;
	uint64_t kernel_end; /* guest address after the kernel's image_size */
	/* RAM */
	uint8_t *ram;
	struct guest_ram gram;
	struct code_map *code;           /* pages holding translated code, with --accel jit */
	struct vcpu_jit_stats jit_stats; /* of the harts gone (reboots), for --stats */
	/* the board, rebuilt on reboot */
	unsigned ncpus;
	struct vcpu *harts[VM_MAX_CPUS];
	pthread_t threads[VM_MAX_CPUS];
	bool running[VM_MAX_CPUS];
	struct vm_board board;
	/* the device instances, in the order they were made */
	const struct vm_device *dev_decl[VM_BUS_MAX];
	void *dev[VM_BUS_MAX];
	unsigned ndev;
	struct vm_bus bus;
	struct sbi sbi;
	bool sbi_ready;
	struct vcpu_platform platform;
	/* stopping */
	pthread_mutex_t lock;
	enum vm_stop stop;
	int stop_status;
	char *stop_msg;
	int wake_fd;
	/* a managed VM: pausing (on the machine's thread only) and the keyboard */
	bool paused, ready_sent;
	atomic_llong frozen_ns; /* while paused: when the pause began (else 0) */
	atomic_llong paused_ns; /* time spent paused, which the guest does not see */
	struct virtio_mmio *keyboard;
	/* restoring: the first build loads the snapshot instead of the images */
	struct vm_snap_reader *restore;
	bool ram_from_file; /* guest RAM is the snapshot's file, mapped copy-on-write */
};

static atomic_int signal_wake_fd = -1;
static volatile sig_atomic_t signal_caught;

int vm_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	switch (*end) {
	case '\0':
		break;
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	case 't':
	case 'T':
		shift = 40;
		break;
	default:
		return -1;
	}
	if (*end != '\0') {
		end++;
		if (*end == 'i' && end[1] == 'B')
			end += 2;
		else if (*end == 'B')
			end++;
		if (*end != '\0')
			return -1;
	}
	if (shift > 0 && v > (ULLONG_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

int vm_check_kernel(const uint8_t *img, size_t len, const char *path, berth_error_t *err)
{
	if (len >= 4 && memcmp(img, "\177ELF", 4) == 0)
		return berth_error(err, 0,
		                   "--kernel: `%s` is an ELF file; berth boots the raw Image "
		                   "(arch/riscv/boot/Image)",
		                   path);
	if (len < 64 || memcmp(img + 0x38, "RSC\x05", 4) != 0)
		return berth_error(
		    err, 0,
		    "--kernel: `%s` is not a RISC-V Linux kernel Image (no \"RSC\\x05\" "
		    "magic at offset 0x38)",
		    path);
	return 0;
}

/* --- stopping ---------------------------------------------------------------------------- */

static void machine_stop(struct machine *m, enum vm_stop why, int status, const char *msg)
{
	uint64_t one = 1;

	pthread_mutex_lock(&m->lock);
	if (m->stop == STOP_NONE) {
		m->stop = why;
		m->stop_status = status;
		if (msg != NULL)
			m->stop_msg = xstrdup(msg);
	}
	pthread_mutex_unlock(&m->lock);
	(void)!write(m->wake_fd, &one, sizeof(one));
}

static void on_signal(int sig)
{
	uint64_t one = 1;
	int fd = atomic_load(&signal_wake_fd);

	signal_caught = sig;
	if (fd >= 0)
		(void)!write(fd, &one, sizeof(one));
}

static void on_quit(void *opaque)
{
	machine_stop(opaque, STOP_QUIT, 0, NULL);
}

static void on_syscon(void *opaque, enum syscon_action action, unsigned code)
{
	struct machine *m = opaque;

	if (action == SYSCON_POWEROFF)
		machine_stop(m, STOP_POWEROFF, VM_EXIT_POWEROFF, NULL);
	else if (action == SYSCON_FAIL)
		machine_stop(m, STOP_FAIL, code != 0 ? (int)(code & 0xff) : 1, NULL);
	else
		machine_stop(m, STOP_REBOOT, VM_EXIT_REBOOT, NULL);
}

static void on_sbi_reset(void *opaque, enum sbi_reset how, uint32_t reason)
{
	(void)reason;
	if (how == SBI_RESET_SHUTDOWN)
		machine_stop(opaque, STOP_POWEROFF, VM_EXIT_POWEROFF, NULL);
	else
		machine_stop(opaque, STOP_REBOOT, VM_EXIT_REBOOT, NULL);
}

/* --- what the harts see ------------------------------------------------------------------ */

/* The guest's clock: the host's monotonic time since launch, less the time spent paused (and
 * standing still while paused), so a guest's timers see no jump across a pause. */
static uint64_t machine_time(void *opaque)
{
	struct machine *m = opaque;
	long long now = atomic_load(&m->frozen_ns);

	if (now == 0)
		now = util_now_ns();
	return (uint64_t)(now - m->t0_ns - atomic_load(&m->paused_ns)) /
	       (1000000000ull / VM_TIMEBASE_HZ);
}

uint64_t vm_guest_time(struct machine *m)
{
	return machine_time(m);
}

static int machine_mmio_read(void *opaque, uint64_t addr, unsigned size, uint64_t *val)
{
	struct machine *m = opaque;

	return vm_bus_read(&m->bus, addr, size, val);
}

static int machine_mmio_write(void *opaque, uint64_t addr, unsigned size, uint64_t val)
{
	struct machine *m = opaque;

	return vm_bus_write(&m->bus, addr, size, val);
}

static void machine_sbi_call(void *opaque, struct vcpu *v)
{
	struct machine *m = opaque;

	sbi_call(&m->sbi, v);
}

static void machine_plic_notify(void *opaque, unsigned ctx, bool level)
{
	struct machine *m = opaque;
	unsigned hart = ctx / 2;

	if (hart < m->ncpus && m->harts[hart] != NULL)
		vcpu_set_irq(m->harts[hart], (ctx & 1) ? VCPU_IRQ_SEIP : VCPU_IRQ_MEIP, level);
}

/* --- building the board ------------------------------------------------------------------ */

static void ip4_text(uint32_t a, char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

int vm_bootargs(const struct vm_config *cfg, char *buf, size_t size, berth_error_t *err)
{
	const char *a = cfg->append != NULL ? cfg->append : VM_DEFAULT_APPEND;
	const char *tail = strstr(a, " -- ");
	size_t head = tail != NULL ? (size_t)(tail - a) : strlen(a), len = head;
	char extra[VM_MAX_NETS * 64] = "";

	for (unsigned i = 0; i < cfg->nnets && i < VM_MAX_NETS; i++) {
		const struct vm_net *n = &cfg->nets[i];
		char ip[16], gw[16];
		size_t used = strlen(extra);
		if (n->kind != VM_NET_BRIDGE || n->ip == 0)
			continue;
		ip4_text(n->ip, ip);
		ip4_text(n->gateway, gw);
		snprintf(extra + used, sizeof(extra) - used, " berth.ip=eth%u,%s/%d%s%s", i, ip,
		         n->prefix, n->gateway != 0 ? "," : "", n->gateway != 0 ? gw : "");
	}
	len += strlen(extra) + strlen(a + head);
	if (len > VM_MAX_APPEND || len >= size)
		return berth_error(err, 0,
		                   "--append: the kernel command line is limited to %d bytes "
		                   "(COMMAND_LINE_SIZE), got %zu with the cards' addresses",
		                   VM_MAX_APPEND, len);
	snprintf(buf, size, "%.*s%s%s", (int)head, a, extra, a + head);
	return 0;
}

/* Read what there is of the image fd, up to len bytes, into dst (the file may have shrunk
 * since it was measured: the rest stays zero). */
static int image_read(int fd, uint8_t *dst, size_t len, const char *what, const char *path,
                      berth_error_t *err)
{
	size_t n = 0;

	while (n < len) {
		ssize_t r = pread(fd, dst + n, len - n, (off_t)n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return berth_error(err, errno, "%s: read `%s`", what, path);
		if (r == 0)
			break;
		n += (size_t)r;
	}
	return 0;
}

/* The size of an image, checked again at each boot (the file may have changed). */
static int image_size_of(int fd, const char *what, const char *path, uint64_t max, size_t *len,
                         berth_error_t *err)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return berth_error(err, errno, "%s: stat `%s`", what, path);
	if ((uint64_t)st.st_size > max)
		return berth_error(err, 0, "%s: `%s` (%lld bytes) is larger than guest memory",
		                   what, path, (long long)st.st_size);
	*len = (size_t)st.st_size;
	return 0;
}

/* Read the kernel and initrd from their files straight into guest RAM, the device tree
 * behind them (written there). */
static int machine_load_images(struct machine *m, berth_error_t *err)
{
	const struct vm_config *cfg = m->cfg;
	uint64_t ram_end = VM_RAM_BASE + cfg->mem, image_size, initrd_start = 0, initrd_end = 0;
	uint64_t fdt_addr = ram_end - 0x200000; /* the last 2 MiB, as QEMU does */
	uint8_t head[64] = {0};
	size_t kernel_len, initrd_len = 0;

	if (image_size_of(m->kernel_fd, "--kernel", cfg->kernel, cfg->mem, &kernel_len, err) < 0 ||
	    image_read(m->kernel_fd, head, kernel_len < sizeof(head) ? kernel_len : sizeof(head),
	               "--kernel", cfg->kernel, err) < 0 ||
	    vm_check_kernel(head, kernel_len, cfg->kernel, err) < 0)
		return -1;
	memcpy(&image_size, head + 16, sizeof(image_size));
	image_size = le64toh(image_size);
	if (image_size < kernel_len)
		image_size = kernel_len;
	m->kernel_end = VM_RAM_BASE + VM_KERNEL_OFFSET + ((image_size + 0xfff) & ~0xfffull);
	if (m->kernel_end > fdt_addr)
		return berth_error(err, 0, "--kernel: `%s` (%zu bytes) does not fit in --mem %llu",
		                   cfg->kernel, kernel_len, (unsigned long long)cfg->mem);
	if (image_read(m->kernel_fd, m->ram + VM_KERNEL_OFFSET, kernel_len, "--kernel", cfg->kernel,
	               err) < 0)
		return -1;
	if (m->initrd_fd >= 0) {
		if (image_size_of(m->initrd_fd, "--initrd", cfg->initrd, cfg->mem, &initrd_len,
		                  err) < 0)
			return -1;
		initrd_start = (fdt_addr - initrd_len) & ~0xfffull;
		if (initrd_len > fdt_addr - m->kernel_end || initrd_start < m->kernel_end)
			return berth_error(
			    err, 0,
			    "--initrd: `%s` (%zu bytes) does not fit in guest memory "
			    "after the kernel (--mem %llu)",
			    cfg->initrd, initrd_len, (unsigned long long)cfg->mem);
		initrd_end = initrd_start + initrd_len;
		if (image_read(m->initrd_fd, m->ram + (initrd_start - VM_RAM_BASE), initrd_len,
		               "--initrd", cfg->initrd, err) < 0)
			return -1;
	}
	struct vm_fdt_params fp = {
	    .ram_base = VM_RAM_BASE,
	    .ram_size = cfg->mem,
	    .cpus = cfg->cpus,
	    .bootargs = m->bootargs,
	    .initrd_start = initrd_start,
	    .initrd_end = initrd_end,
	};
	/* built in place (a 64 KiB buffer on the stack stayed resident in the VM process) */
	if (vm_fdt_build(m->ram + (fdt_addr - VM_RAM_BASE), FDT_MAX_SIZE, &fp, err) < 0)
		return -1;
	return 0;
}

/* Every hart's thread ended (vcpu_run returns; the harts keep their state): each kicked
 * before any is joined, since one may be waiting for another. */
static void machine_stop_harts(struct machine *m)
{
	for (unsigned i = 0; i < m->ncpus; i++)
		if (m->running[i])
			vcpu_kick(m->harts[i], VCPU_EXIT_SHUTDOWN);
	for (unsigned i = 0; i < m->ncpus; i++) {
		if (m->running[i]) {
			pthread_join(m->threads[i], NULL);
			m->running[i] = false;
		}
	}
}

/* --stats: the translator's figures, summed over the harts (and reboots) */
static void machine_print_stats(const struct machine *m)
{
	const struct vcpu_jit_stats *s = &m->jit_stats;
	uint64_t entries = s->chained + s->dispatched;

	if (!m->cfg->jit) {
		fprintf(stderr, "berth vm: stats: the interpreter ran (no translator figures)\n");
		return;
	}
	fprintf(stderr,
	        "berth vm: stats: %llu blocks translated in %.3f s, %llu stale, code cache "
	        "%.1f of %.1f MiB, %llu full flushes, %llu when idle; %llu block entries, "
	        "%.1f%% chained\n",
	        (unsigned long long)s->blocks, (double)s->translate_ns / 1e9,
	        (unsigned long long)s->stale, (double)s->code_bytes / 1048576.0,
	        (double)s->code_size / 1048576.0, (unsigned long long)s->flushes,
	        (unsigned long long)s->idle_flushes, (unsigned long long)entries,
	        entries != 0 ? 100.0 * (double)s->chained / (double)entries : 0.0);
	fprintf(stderr,
	        "berth vm: stats: %llu block runs interpreted before their code was hot, %llu "
	        "translated (%.1f%%)\n",
	        (unsigned long long)s->interp_runs, (unsigned long long)entries,
	        entries + s->interp_runs != 0
	            ? 100.0 * (double)entries / (double)(entries + s->interp_runs)
	            : 0.0);
}

static void machine_teardown(struct machine *m)
{
	machine_stop_harts(m);
	console_set_uart(m->con, NULL);
	console_set_hvc(m->con, NULL);
	for (unsigned i = 0; i < VM_MAX_SERIALS; i++)
		if (m->ports[i] != NULL)
			console_set_port(m->ports[i], NULL, 0);
	for (unsigned i = 0; i < m->ncpus; i++) {
		if (m->harts[i] != NULL) {
			vcpu_jit_stats_add(m->harts[i], &m->jit_stats);
			vcpu_destroy(m->harts[i]);
		}
		m->harts[i] = NULL;
	}
	/* the devices in the reverse order of their making: the PLIC last */
	while (m->ndev > 0) {
		m->ndev--;
		if (m->dev_decl[m->ndev]->destroy != NULL)
			m->dev_decl[m->ndev]->destroy(m->dev[m->ndev]);
	}
	vm_bus_clear(&m->bus);
	m->board.plic = NULL;
	if (m->sbi_ready)
		sbi_fini(&m->sbi);
	m->sbi_ready = false;
}

static void *hart_thread(void *arg)
{
	return (void *)(intptr_t)vcpu_run(arg);
}

/* Terminal input goes to the console the guest's /dev/console is: the virtio-console when
 * the last console= on the command line is hvc1 (a Linux guest's hvc0 is the SBI console,
 * which reads the UART's input through getchar), else the UART. */
static bool machine_input_to_hvc(const struct vm_config *cfg)
{
	const char *a = cfg->append != NULL ? cfg->append : VM_DEFAULT_APPEND, *p = a, *last = NULL;
	const char *end = strstr(a, " -- "); /* what follows is init's, not the kernel's */

	while ((p = strstr(p, "console=")) != NULL && (end == NULL || p < end)) {
		if (p == a || p[-1] == ' ')
			last = p + 8;
		p += 8;
	}
	return last != NULL && strncmp(last, "hvc1", 4) == 0 &&
	       (last[4] == '\0' || last[4] == ' ' || last[4] == ',');
}

static int machine_build(struct machine *m, berth_error_t *err)
{
	const struct vm_config *cfg = m->cfg;
	struct uart *uart = NULL;
	struct virtio_mmio *hvc = NULL;

	m->ncpus = cfg->cpus;
	m->platform = (struct vcpu_platform){
	    .opaque = m,
	    .ram = m->ram,
	    .ram_base = VM_RAM_BASE,
	    .ram_size = cfg->mem,
	    .timebase_hz = VM_TIMEBASE_HZ,
	    .time = machine_time,
	    .mmio_read = machine_mmio_read,
	    .mmio_write = machine_mmio_write,
	    .sbi_call = machine_sbi_call,
	    .jit = cfg->jit,
	    .code = m->code,
	};
	for (unsigned i = 0; i < m->ncpus; i++) {
		m->harts[i] = vcpu_create(&m->platform, i);
		if (m->harts[i] == NULL)
			return berth_error(err, errno, "cannot create hart %u", i);
	}
	m->sbi = (struct sbi){
	    .opaque = m,
	    .harts = m->harts,
	    .nharts = m->ncpus,
	    .ram = m->gram,
	    .console = m->con,
	    .console_write = console_write,
	    .console_getchar = console_getchar,
	    .system_reset = on_sbi_reset,
	};
	sbi_init(&m->sbi);
	m->sbi_ready = true;

	m->board = (struct vm_board){
	    .cfg = cfg,
	    .ram = &m->gram,
	    .harts = m->harts,
	    .nharts = m->ncpus,
	    .opaque = m,
	    .time = machine_time,
	    .plic_notify = machine_plic_notify,
	    .syscon = on_syscon,
	    .console_out = console_write,
	    .console_opaque = m->con,
	    .bt = m->bt,
	    .nets = m->nets,
	    .disk_fds = m->disk_fds,
	    .serials = (void *const *)m->ports,
	};
	for (unsigned k = 0; k < vm_board_ndevices; k++) {
		const struct vm_device *d = vm_board_devices[k];
		for (unsigned i = 0; i < vm_device_count(d); i++) {
			void *dev;
			if (m->ndev >= VM_BUS_MAX)
				return berth_error(err, 0, "too many devices on the board");
			if (d->create(&m->board, i, &dev, err) < 0)
				return -1;
			m->dev_decl[m->ndev] = d;
			m->dev[m->ndev++] = dev;
			if (vm_bus_add(&m->bus, d, i, dev) < 0)
				return berth_error(
				    err, 0, "%s %u at %#llx: overlaps another device", d->name, i,
				    (unsigned long long)(d->base + i * d->stride));
			if (d == &vm_device_plic)
				m->board.plic = dev;
			else if (d == &vm_device_virtio_input)
				m->keyboard = cfg->keyboard ? dev : NULL;
			else if (d == &vm_device_uart)
				uart = dev;
			else if (d == &vm_device_virtio && i == cfg->ndisks + cfg->nnets + 1) {
				if (machine_input_to_hvc(cfg))
					hvc = dev;
				for (unsigned k = 0; k < cfg->nserials && k < VM_MAX_SERIALS; k++)
					console_set_port(m->ports[k], dev, k + 1);
			}
		}
	}

	if (m->restore == NULL && machine_load_images(m, err) < 0)
		return -1;
	console_set_uart(m->con, uart);
	console_set_hvc(m->con, hvc);
	return 0;
}

/* Start (again) the threads of every hart. */
static int machine_run_harts(struct machine *m, berth_error_t *err)
{
	for (unsigned i = 0; i < m->ncpus; i++) {
		int r = pthread_create(&m->threads[i], NULL, hart_thread, m->harts[i]);
		if (r != 0)
			return berth_error(err, r, "cannot start the thread of hart %u", i);
		m->running[i] = true;
	}
	return 0;
}

static int machine_start(struct machine *m, berth_error_t *err)
{
	if (m->restore == NULL)
		vcpu_start(m->harts[0], VM_RAM_BASE + VM_KERNEL_OFFSET,
		           VM_RAM_BASE + m->cfg->mem - 0x200000);
	if (machine_run_harts(m, err) < 0)
		return -1;
	if (m->cfg->managed != NULL && m->cfg->managed->ready_fd >= 0 && !m->ready_sent) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		(void)!write(m->cfg->managed->ready_fd, "ok", 2);
		/* the reader sees the end: the fd becomes /dev/null (it may be stdout) */
		if (null >= 0) {
			dup2(null, m->cfg->managed->ready_fd);
			close(null);
		}
		m->ready_sent = true;
	}
	/* what starting the process and the machine ran (and the harts' threads: their TLS)
	 * leaves the RSS; what the harts and devices run from now on comes back (trim.c) */
	trim_text();
	return 0;
}

int vm_pause(struct machine *m)
{
	if (m->paused)
		return 0;
	atomic_store(&m->frozen_ns, util_now_ns());
	machine_stop_harts(m);
	m->paused = true;
	return 0;
}

int vm_resume(struct machine *m)
{
	berth_error_t err = NULL;
	long long frozen = atomic_load(&m->frozen_ns);

	if (!m->paused)
		return 0;
	atomic_fetch_add(&m->paused_ns, util_now_ns() - frozen);
	atomic_store(&m->frozen_ns, 0);
	m->paused = false;
	if (machine_run_harts(m, &err) < 0) {
		machine_stop(m, STOP_ERROR, 1, err->msg);
		berth_error_release(&err);
		return -1;
	}
	/* what the pause ran (a snapshot: writing RAM and the state file) leaves the RSS */
	trim_text();
	return 0;
}

bool vm_paused(const struct machine *m)
{
	return m->paused;
}

int vm_powerdown(struct machine *m)
{
	return virtio_input_ctrl_alt_del(m->keyboard);
}

void vm_quit(struct machine *m)
{
	machine_stop(m, STOP_QUIT, 0, NULL);
}

/* --- snapshots --------------------------------------------------------------------------- */

/* The machine's shape, which a restore must match. */
struct mach_state {
	uint64_t mem, guest_time;
	uint32_t cpus, ndev, ndisks, nnets, nshares, nserials, keyboard, pad;
	char devices[512]; /* the board's devices in order, by name */
};

/* A disk's identity: the file a restore must find unchanged. */
struct disk_state {
	uint64_t size, dev, ino;
	int64_t mtime_sec, mtime_nsec;
};

static void machine_shape(const struct machine *m, struct mach_state *st)
{
	const struct vm_config *cfg = m->cfg;
	size_t used = 0;

	*st = (struct mach_state){.mem = cfg->mem,
	                          .cpus = cfg->cpus,
	                          .ndev = m->ndev,
	                          .ndisks = cfg->ndisks,
	                          .nnets = cfg->nnets,
	                          .nshares = cfg->nshares,
	                          .nserials = cfg->nserials,
	                          .keyboard = cfg->keyboard};
	for (unsigned k = 0; k < m->ndev && used < sizeof(st->devices) - 1; k++)
		used += (size_t)snprintf(st->devices + used, sizeof(st->devices) - used, "%s%s",
		                         k > 0 ? " " : "", m->dev_decl[k]->name);
}

static int disk_identity(int fd, struct disk_state *d, berth_error_t *err)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return berth_error(err, errno, "fstat a --disk");
	*d = (struct disk_state){(uint64_t)st.st_size, (uint64_t)st.st_dev, (uint64_t)st.st_ino,
	                         st.st_mtim.tv_sec, st.st_mtim.tv_nsec};
	return 0;
}

static int pwrite_all(int fd, const uint8_t *buf, size_t len, off_t off)
{
	while (len > 0) {
		ssize_t n = pwrite(fd, buf, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/* Guest RAM into fd: runs of pages that are not all zero, the rest left as holes. */
static int machine_write_ram(const struct machine *m, int fd, berth_error_t *err)
{
	const size_t page = 4096;
	uint64_t size = m->cfg->mem, run = 0;
	bool in_run = false;

	if (ftruncate(fd, 0) < 0 || ftruncate(fd, (off_t)size) < 0)
		return berth_error(err, errno, "the snapshot's ram file");
	for (uint64_t off = 0; off <= size; off += page) {
		bool zero = true;
		if (off < size) {
			const uint64_t *w = (const uint64_t *)(m->ram + off);
			for (size_t i = 0; i < page / 8 && zero; i++)
				zero = w[i] == 0;
		}
		if (!zero && !in_run) {
			run = off;
			in_run = true;
		} else if ((zero || off == size) && in_run) {
			if (pwrite_all(fd, m->ram + run, off - run, (off_t)run) < 0)
				return berth_error(err, errno, "write the snapshot's ram file");
			in_run = false;
		}
	}
	if (fdatasync(fd) < 0)
		return berth_error(err, errno, "sync the snapshot's ram file");
	return 0;
}

int vm_snapshot(struct machine *m, int ram_fd, struct vm_snap_writer *w, berth_error_t *err)
{
	const struct vm_config *cfg = m->cfg;
	struct mach_state ms;

	if (!m->paused)
		return berth_error(err, 0, "the machine is not paused");
	if (cfg->nshares > 0)
		return berth_error(err, 0,
		                   "a VM with --share cannot be snapshotted (the guest's open 9p "
		                   "files are host files berth does not save)");
	for (unsigned i = 0; i < cfg->ndisks; i++)
		if (cfg->disks[i].snapshot && !cfg->disks[i].ro)
			return berth_error(
			    err, 0,
			    "--disk %s,snapshot: its temporary overlay is not saved; "
			    "a VM with one cannot be snapshotted",
			    cfg->disks[i].path);
	machine_shape(m, &ms);
	ms.guest_time = machine_time(m);
	vm_snap_put(w, "MACH", 0, &ms, sizeof(ms));
	for (unsigned i = 0; i < cfg->ndisks; i++) {
		struct disk_state d;
		if (!cfg->disks[i].ro && fdatasync(m->disk_fds[i]) < 0)
			return berth_error(err, errno, "--disk %s: flush", cfg->disks[i].path);
		if (disk_identity(m->disk_fds[i], &d, err) < 0)
			return -1;
		vm_snap_put(w, "DISK", i, &d, sizeof(d));
	}
	for (unsigned i = 0; i < m->ncpus; i++)
		vcpu_save(m->harts[i], w);
	for (unsigned k = 0; k < m->ndev; k++)
		if (m->dev_decl[k]->save != NULL)
			m->dev_decl[k]->save(m->dev[k], w, k);
	return machine_write_ram(m, ram_fd, err);
}

/* --copy-disks: disk i (checked) copied to restore_copy_dir/diskI, which replaces it. */
static int machine_copy_disk(struct machine *m, unsigned i, berth_error_t *err)
{
	const struct vm_config *cfg = m->cfg;
	cleanup_free char *path = xasprintf("%s/disk%u", cfg->restore_copy_dir, i);
	cleanup_close int out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	struct stat st;
	off_t off = 0;
	int fd;

	if (out < 0 || fstat(m->disk_fds[i], &st) < 0)
		return berth_error(err, errno, "--copy-disks: `%s`", path);
	while (off < st.st_size) {
		ssize_t n =
		    copy_file_range(m->disk_fds[i], &off, out, NULL, (size_t)(st.st_size - off), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return berth_error(err, n < 0 ? errno : EIO,
			                   "--copy-disks: copy `%s` to `%s`", cfg->disks[i].path,
			                   path);
	}
	fd = vm_disk_open(path, cfg->disks[i].ro, err);
	if (fd < 0)
		return -1;
	close(m->disk_fds[i]);
	m->disk_fds[i] = fd;
	return 0;
}

/* Before the board is built: the snapshot's shape against this machine's options, and the
 * disks against their recorded identities. */
static int machine_restore_check(struct machine *m, berth_error_t *err)
{
	const struct vm_config *cfg = m->cfg;
	const struct mach_state *ms = vm_snap_get(m->restore, "MACH", 0, sizeof(*ms), NULL, err);
	struct stat st;

	if (ms == NULL)
		return -1;
	if (ms->mem != cfg->mem || ms->cpus != cfg->cpus || ms->ndisks != cfg->ndisks ||
	    ms->nnets != cfg->nnets || ms->nshares != cfg->nshares ||
	    ms->nserials != cfg->nserials || ms->keyboard != (uint32_t)cfg->keyboard)
		return berth_error(err, 0,
		                   "the snapshot is of another machine (--mem %llu, --cpus %u, "
		                   "%u disks, %u cards)",
		                   (unsigned long long)ms->mem, ms->cpus, ms->ndisks, ms->nnets);
	if (fstat(cfg->restore_ram_fd, &st) < 0)
		return berth_error(err, errno, "the snapshot's ram file");
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != cfg->mem)
		return berth_error(err, 0,
		                   "the snapshot's ram file has %lld bytes, expected %llu "
		                   "(truncated?)",
		                   (long long)st.st_size, (unsigned long long)cfg->mem);
	for (unsigned i = 0; i < cfg->ndisks; i++) {
		struct disk_state now;
		const struct disk_state *d =
		    vm_snap_get(m->restore, "DISK", i, sizeof(*d), NULL, err);
		if (d == NULL || disk_identity(m->disk_fds[i], &now, err) < 0)
			return -1;
		if (memcmp(d, &now, sizeof(now)) != 0)
			return berth_error(err, 0,
			                   "--disk %s: changed since the snapshot, or another file "
			                   "(its size, inode or mtime differ)",
			                   cfg->disks[i].path);
		if (cfg->restore_copy_dir != NULL && machine_copy_disk(m, i, err) < 0)
			return -1;
	}
	return 0;
}

/* After the board is built: every hart's and device's state, and the guest's clock. */
static int machine_restore_load(struct machine *m, berth_error_t *err)
{
	const struct mach_state *ms = vm_snap_get(m->restore, "MACH", 0, sizeof(*ms), NULL, err);
	struct mach_state here;

	if (ms == NULL)
		return -1;
	machine_shape(m, &here);
	if (ms->ndev != here.ndev || strncmp(ms->devices, here.devices, sizeof(here.devices)) != 0)
		return berth_error(err, 0, "the snapshot's board has other devices");
	for (unsigned i = 0; i < m->ncpus; i++)
		if (vcpu_load(m->harts[i], m->restore, err) < 0)
			return -1;
	for (unsigned k = 0; k < m->ndev; k++)
		if (m->dev_decl[k]->load != NULL &&
		    m->dev_decl[k]->load(m->dev[k], m->restore, k, err) < 0)
			return -1;
	/* the guest's time goes on from the saved value */
	m->t0_ns = util_now_ns() - (long long)(ms->guest_time * (1000000000ull / VM_TIMEBASE_HZ));
	atomic_store(&m->paused_ns, 0);
	return 0;
}

/* Wait until something stops the machine; returns why. */
static enum vm_stop machine_wait(struct machine *m)
{
	const struct vm_managed *mg = m->cfg->managed;

	for (;;) {
		struct pollfd p[2] = {{.fd = m->wake_fd, .events = POLLIN},
		                      {.fd = mg != NULL ? mg->control_fd : -1, .events = POLLIN}};
		uint64_t v;
		enum vm_stop stop;

		/* a hart whose vcpu_run returned on its own has failed */
		for (unsigned i = 0; i < m->ncpus; i++) {
			void *res;
			if (m->running[i] && pthread_tryjoin_np(m->threads[i], &res) == 0) {
				m->running[i] = false;
				if ((intptr_t)res == VCPU_EXIT_ERROR) {
					char msg[512];
					snprintf(msg, sizeof(msg), "hart %u: %s", i,
					         vcpu_error(m->harts[i]) != NULL
					             ? vcpu_error(m->harts[i])
					             : "stopped");
					machine_stop(m, STOP_ERROR, 1, msg);
				}
			}
		}
		pthread_mutex_lock(&m->lock);
		stop = m->stop;
		pthread_mutex_unlock(&m->lock);
		if (signal_caught != 0)
			return STOP_SIGNAL;
		if (stop != STOP_NONE)
			return stop;
		if (poll(p, 2, 200) > 0) {
			if (p[0].revents)
				(void)!read(m->wake_fd, &v, sizeof(v));
			if (p[1].revents && mg->control != NULL)
				mg->control(mg->opaque, m);
		}
	}
}

/* Open a --kernel or --initrd image, kept open to be read at each boot. O_NONBLOCK keeps
 * open() from waiting on a FIFO, and the type is checked on the opened fd. */
static int open_image(const char *path, const char *what, uint64_t max, int *out,
                      berth_error_t *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	struct stat st;
	size_t len;

	if (fd < 0)
		return berth_error(err, errno, "%s: open `%s`", what, path);
	if (fstat(fd, &st) < 0)
		return berth_error(err, errno, "%s: stat `%s`", what, path);
	if (!S_ISREG(st.st_mode))
		return berth_error(err, 0, "%s: `%s` is not a regular file", what, path);
	if (image_size_of(fd, what, path, max, &len, err) < 0)
		return -1;
	*out = fd;
	fd = -1;
	return 0;
}

/* The argument of --disk or --share (`opt`): HEAD[,ro…], where ",," in HEAD stands for a
 * comma. *head is HEAD (newly allocated), *ro whether `ro` was given. */
static int vm_parse_head_ro(const char *opt, const char *usage, const char *arg, char **head,
                            bool *ro, bool *snapshot, berth_error_t *err)
{
	size_t n = 0;
	cleanup_free char *h = xmalloc0(strlen(arg) + 1);
	const char *p = arg;

	/* up to the first lone comma */
	while (*p != '\0') {
		if (p[0] == ',' && p[1] == ',') {
			h[n++] = ',';
			p += 2;
		} else if (*p == ',') {
			break;
		} else {
			h[n++] = *p++;
		}
	}
	if (n == 0)
		return berth_error(err, 0, "%s: expected %s, got \"%s\"", opt, usage, arg);
	*ro = false;
	while (*p == ',') {
		const char *o = ++p;
		size_t len = strcspn(o, ",");
		if (len == 2 && memcmp(o, "ro", 2) == 0)
			*ro = true;
		else if (snapshot != NULL && len == 8 && memcmp(o, "snapshot", 8) == 0)
			*snapshot = true;
		else
			return berth_error(
			    err, 0, "%s: unknown option \"%.*s\" in \"%s\" (accepted: %s)", opt,
			    (int)len, o, arg, snapshot != NULL ? "ro, snapshot" : "ro");
		p = o + len;
	}
	*head = util_steal_ptr(h);
	return 0;
}

int vm_parse_disk(const char *arg, struct vm_disk *out, berth_error_t *err)
{
	char *path;

	out->snapshot = false;
	if (vm_parse_head_ro("--disk", "FILE[,ro|,snapshot]", arg, &path, &out->ro, &out->snapshot,
	                     err) < 0)
		return -1;
	out->path = path;
	return 0;
}

int vm_parse_share(const char *arg, struct vm_share *out, berth_error_t *err)
{
	static const char usage[] = "HOSTDIR:TAG[,ro]";
	cleanup_free char *dir = NULL;
	char *colon, *tag;
	bool ro;

	if (vm_parse_head_ro("--share", usage, arg, &dir, &ro, NULL, err) < 0)
		return -1;
	colon = strrchr(dir, ':');
	if (colon == NULL || colon == dir || colon[1] == '\0')
		return berth_error(err, 0, "--share: expected %s, got \"%s\"", usage, arg);
	*colon = '\0';
	tag = colon + 1;
	if (strlen(tag) > 64 ||
	    tag[strspn(tag, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                    "0123456789_-.")] != '\0')
		return berth_error(
		    err, 0,
		    "--share: the tag \"%s\" in \"%s\" may hold only letters, digits, "
		    "'_', '-' and '.' (at most 64)",
		    tag, arg);
	out->tag = tag;
	out->dir = util_steal_ptr(dir);
	out->ro = ro;
	return 0;
}

int vm_parse_serial(const char *arg, struct vm_serial *out, berth_error_t *err)
{
	const char *eq = strchr(arg, '=');
	size_t nlen = eq != NULL ? (size_t)(eq - arg) : 0;
	char *name;

	if (eq == NULL || strncmp(eq + 1, "socket:", 7) != 0 || eq[8] == '\0')
		return berth_error(err, 0, "--serial: expected NAME=socket:PATH, got \"%s\"", arg);
	if (nlen == 0 || nlen > VIRTIO_CONSOLE_NAME_MAX ||
	    strspn(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") < nlen)
		return berth_error(err, 0,
		                   "--serial: the port name in \"%s\" may hold only letters, "
		                   "digits, '_', '-' and '.' (1 to %d)",
		                   arg, VIRTIO_CONSOLE_NAME_MAX);
	name = xstrdup(arg);
	name[nlen] = '\0';
	out->name = name;
	out->path = name + nlen + 8;
	return 0;
}

bool vm_jit_available(void)
{
	return vcpu_jit_available();
}

int vm_run(const struct vm_config *cfg, berth_error_t *err)
{
	struct machine m = {.cfg = cfg, .wake_fd = -1, .kernel_fd = -1, .initrd_fd = -1};
	struct vm_snap_reader restore = {0};
	struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term, old_hup;
	int status = -1;
	int sig;

	m.t0_ns = util_now_ns();
	if (cfg->cpus < 1 || cfg->cpus > VM_MAX_CPUS)
		return berth_error(err, 0, "--cpus: expected 1 to %d, got %u", VM_MAX_CPUS,
		                   cfg->cpus);
	if (cfg->mem < VM_MIN_MEM || cfg->mem > VM_MAX_MEM)
		return berth_error(err, 0, "--mem: expected 16M to 64G, got %llu bytes",
		                   (unsigned long long)cfg->mem);
	if (cfg->append != NULL && strlen(cfg->append) > VM_MAX_APPEND)
		return berth_error(err, 0,
		                   "--append: the kernel command line is limited to %d bytes "
		                   "(COMMAND_LINE_SIZE), got %zu",
		                   VM_MAX_APPEND, strlen(cfg->append));
	if (cfg->nnets > VM_MAX_NETS || cfg->nshares > VM_MAX_SHARES ||
	    cfg->ndisks + cfg->nnets + cfg->nshares > VM_MAX_DISKS)
		return berth_error(err, 0,
		                   "--disk, --net, --share: at most %d disks, network cards and "
		                   "shares together, got %u",
		                   VM_MAX_DISKS, cfg->ndisks + cfg->nnets + cfg->nshares);
	if (vm_bootargs(cfg, m.bootargs, sizeof(m.bootargs), err) < 0)
		return -1;
	if (cfg->nserials > VM_MAX_SERIALS)
		return berth_error(err, 0, "--serial: at most %d ports, got %u", VM_MAX_SERIALS,
		                   cfg->nserials);
	for (unsigned i = 0; i < cfg->nserials; i++)
		for (unsigned j = 0; j < i; j++)
			if (strcmp(cfg->serials[i].name, cfg->serials[j].name) == 0)
				return berth_error(err, 0,
				                   "--serial: the port name \"%s\" is given twice",
				                   cfg->serials[i].name);
	for (unsigned i = 0; i < cfg->nshares; i++) {
		struct stat st;
		for (unsigned j = 0; j < i; j++)
			if (strcmp(cfg->shares[i].tag, cfg->shares[j].tag) == 0)
				return berth_error(err, 0, "--share: the tag \"%s\" is given twice",
				                   cfg->shares[i].tag);
		if (stat(cfg->shares[i].dir, &st) < 0)
			return berth_error(err, errno, "--share: `%s`", cfg->shares[i].dir);
		if (!S_ISDIR(st.st_mode))
			return berth_error(err, 0, "--share: `%s` is not a directory",
			                   cfg->shares[i].dir);
	}
	for (unsigned i = 0; i < VM_MAX_DISKS; i++)
		m.disk_fds[i] = -1;
	if (cfg->restore_state != NULL) {
		if (vm_snap_parse(cfg->restore_state, cfg->restore_len, &restore, err) < 0)
			return -1;
		m.restore = &restore;
	}
	pthread_mutex_init(&m.lock, NULL);
	/* open and lock the disks once for the whole run (a reboot keeps them): a disk in
	 * use or not raw fails here */
	for (unsigned i = 0; i < cfg->ndisks; i++) {
		m.disk_fds[i] = cfg->disks[i].snapshot && !cfg->disks[i].ro
		                    ? vm_disk_open_snapshot(cfg->disks[i].path, err)
		                    : vm_disk_open(cfg->disks[i].path, cfg->disks[i].ro, err);
		if (m.disk_fds[i] < 0)
			goto out;
	}
	if (open_image(cfg->kernel, "--kernel", cfg->mem, &m.kernel_fd, err) < 0)
		goto out;
	{
		uint8_t head[64] = {0};
		ssize_t n = pread(m.kernel_fd, head, sizeof(head), 0);
		if (vm_check_kernel(head, n > 0 ? (size_t)n : 0, cfg->kernel, err) < 0)
			goto out;
	}
	if (cfg->initrd != NULL &&
	    open_image(cfg->initrd, "--initrd", cfg->mem, &m.initrd_fd, err) < 0)
		goto out;
	if (m.restore != NULL && machine_restore_check(&m, err) < 0)
		goto out;
	/* a restore maps the snapshot's RAM copy-on-write: nothing is read until touched */
	m.ram = m.restore != NULL ? mmap(NULL, cfg->mem, PROT_READ | PROT_WRITE,
	                                 MAP_PRIVATE | MAP_NORESERVE, cfg->restore_ram_fd, 0)
	                          : mmap(NULL, cfg->mem, PROT_READ | PROT_WRITE,
	                                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	m.ram_from_file = m.restore != NULL;
	if (m.ram == MAP_FAILED) {
		m.ram = NULL;
		berth_error(err, errno, "cannot map %llu bytes of guest memory",
		            (unsigned long long)cfg->mem);
		goto out;
	}
	m.gram = (struct guest_ram){m.ram, VM_RAM_BASE, cfg->mem, NULL};
	if (cfg->jit && (m.code = code_map_new(m.ram, cfg->mem)) == NULL) {
		berth_error(err, errno, "cannot allocate the translator's code map");
		goto out;
	}
	m.gram.code = m.code;
	m.wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (m.wake_fd < 0) {
		berth_error(err, errno, "eventfd");
		goto out;
	}
	m.bt = boot_timer_create(m.t0_ns, cfg->boot_time);
	/* the network back ends: a port in use or a missing bridge fails here, and the ones
	 * already open are closed again (no TAP device is left) */
	for (unsigned i = 0; i < cfg->nnets; i++) {
		int r = cfg->nets[i].kind == VM_NET_BRIDGE
		            ? net_tap_open(&cfg->nets[i], i, &m.nets[i], err)
		            : net_slirp_open(&cfg->nets[i], i, &m.nets[i], err);
		if (r < 0)
			goto out;
	}

	/* a bad disk fails here, before the guest starts (the terminal is restored by then) */
	if (cfg->console_socket != NULL) {
		m.con = console_open_socket(cfg->console_socket, err);
		if (m.con == NULL)
			goto out;
	} else {
		m.con = console_open(cfg->in_fd, cfg->out_fd, on_quit, &m);
	}
	if (cfg->managed != NULL && cfg->managed->log_fd >= 0)
		console_set_log(m.con, cfg->managed->log_fd);
	for (unsigned i = 0; i < cfg->nserials && i < VM_MAX_SERIALS; i++) {
		m.ports[i] = console_open_socket_as("--serial", cfg->serials[i].path, err);
		if (m.ports[i] == NULL)
			goto out;
	}
	if (machine_build(&m, err) < 0)
		goto out_teardown;
	if (m.restore != NULL && machine_restore_load(&m, err) < 0)
		goto out_teardown;

	atomic_store(&signal_wake_fd, m.wake_fd);
	signal_caught = 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);

	for (;;) {
		if (machine_start(&m, err) < 0)
			break;
		m.restore = NULL; /* a reboot boots the kernel again */
		enum vm_stop why = machine_wait(&m);
		if (why == STOP_REBOOT && !cfg->no_reboot) {
			machine_teardown(&m);
			if (m.ram_from_file) {
				/* zero RAM: no longer the snapshot's file */
				void *r = mmap(
				    m.ram, cfg->mem, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
				if (r == MAP_FAILED) {
					berth_error(err, errno, "cannot map guest memory again");
					break;
				}
				m.ram_from_file = false;
			} else {
				madvise(m.ram, cfg->mem, MADV_DONTNEED); /* zero RAM */
			}
			pthread_mutex_lock(&m.lock);
			m.stop = STOP_NONE;
			pthread_mutex_unlock(&m.lock);
			if (machine_build(&m, err) < 0)
				break;
			continue;
		}
		if (why == STOP_ERROR) {
			berth_error(err, 0, "%s", m.stop_msg != NULL ? m.stop_msg : "hart failed");
		} else if (why == STOP_SIGNAL) {
			sig = signal_caught;
			status = 128 + sig;
		} else {
			status = m.stop_status;
		}
		break;
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	atomic_store(&signal_wake_fd, -1);
out_teardown:
	machine_teardown(&m);
out:
	console_close(m.con);
	for (unsigned i = 0; i < VM_MAX_SERIALS; i++)
		console_close(m.ports[i]);
	for (unsigned i = 0; i < VM_MAX_NETS; i++)
		net_backend_destroy(m.nets[i]);
	boot_timer_destroy(m.bt);
	for (unsigned i = 0; i < VM_MAX_DISKS; i++)
		if (m.disk_fds[i] >= 0)
			close(m.disk_fds[i]);
	if (m.wake_fd >= 0)
		close(m.wake_fd);
	if (m.ram != NULL)
		munmap(m.ram, cfg->mem);
	code_map_free(m.code);
	if (cfg->stats)
		machine_print_stats(&m);
	if (m.kernel_fd >= 0)
		close(m.kernel_fd);
	if (m.initrd_fd >= 0)
		close(m.initrd_fd);
	free(m.stop_msg);
	vm_snap_reader_free(&restore);
	pthread_mutex_destroy(&m.lock);
	return status;
}
