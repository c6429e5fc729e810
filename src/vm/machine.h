/* SPDX-License-Identifier: MIT */
/* berth's RISC-V machine, modelled on QEMU's `virt` board so that a kernel built for it boots
 * unchanged: the same memory map, device tree and devices, with the SBI served by berth
 * itself (harts start in S-mode at the kernel with a0 = hartid, a1 = the device tree). */
#ifndef BERTH_VM_MACHINE_H
#define BERTH_VM_MACHINE_H

#include "error.h"
#include "net.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* QEMU virt's memory map: RAM here; each device's address, size and irq are in its
 * VM_DEVICE() declaration (devices/devices.h) */
#define VM_RAM_BASE      0x80000000ull
#define VM_KERNEL_OFFSET 0x200000ull /* where OpenSBI would put the kernel */
#define VM_VIRTIO_SLOTS  8

#define VM_TIMEBASE_HZ    10000000ull
#define VM_MAX_CPUS       8
#define VM_MAX_DISKS      6            /* 8 slots: disks, cards, rng, console, shares */
#define VM_MAX_NETS       VM_MAX_DISKS /* disks, cards and shares: 6 together at most */
#define VM_MAX_SHARES     VM_MAX_DISKS
#define VM_MIN_MEM        (16ull << 20)
#define VM_MAX_MEM        (64ull << 30)
#define VM_DEFAULT_MEM    (256ull << 20)
#define VM_ISA            "rv64imafdc_zicsr_zifencei_sstc"
#define VM_DEFAULT_APPEND "console=ttyS0 earlycon"
/* The longest --append: Linux 6.1's riscv COMMAND_LINE_SIZE (1024) less the NUL; a longer
 * bootargs would be cut by the kernel (drivers/of/fdt.c copies at most that much). */
#define VM_MAX_APPEND 1023

struct vm_disk {
	const char *path;
	bool ro;
	bool snapshot; /* ,snapshot: writes go to a temporary overlay, discarded at exit */
};

/* --share HOSTDIR:TAG[,ro]: a host directory as virtio-9p */
struct vm_share {
	const char *dir, *tag; /* one allocation: tag points into dir's buffer */
	bool ro;
};

/* --serial NAME=socket:PATH: a named virtio-console port on a unix socket */
#define VM_MAX_SERIALS 3
struct vm_serial {
	const char *name, *path; /* one allocation: path points into name's buffer */
};

/* A managed VM (berth vm run -d, src/engine/vmm.c): the machine polls control_fd while the
 * guest runs and, when it is readable, calls control(opaque, m) on the machine's own thread,
 * where vm_pause() and the others below may be called. ready_fd (>= 0) gets "ok" and is
 * closed once the harts run; log_fd (>= 0) gets a copy of all console output. */
struct machine;
struct vm_managed {
	int control_fd, ready_fd, log_fd;
	void (*control)(void *opaque, struct machine *m);
	void *opaque;
};

struct vm_config {
	const char *kernel, *initrd, *append;
	struct vm_disk disks[VM_MAX_DISKS];
	unsigned ndisks;
	struct vm_net nets[VM_MAX_NETS]; /* --net: the cards, none of kind VM_NET_NONE */
	unsigned nnets;
	struct vm_share shares[VM_MAX_SHARES];
	unsigned nshares;
	uint64_t mem;
	unsigned cpus;
	bool no_reboot, boot_time;
	bool jit;   /* --accel jit: the harts run through the translator */
	bool stats; /* --stats: the translator's figures on stderr at the end */
	/* the terminal: input (-1 for none) and output (-1 for none) */
	int in_fd, out_fd;
	const char *console_socket; /* --console socket:PATH: instead of in_fd, out_fd */
	struct vm_serial serials[VM_MAX_SERIALS];
	unsigned nserials;
	const struct vm_managed *managed; /* NULL: a foreground VM */
	bool keyboard; /* the virtio-input keyboard for Ctrl-Alt-Del (managed VMs) */
	/* restore from a snapshot (src/engine/vmsnap.c checked its header and checksum): the
	 * state file's records (restore_len bytes, NULL: boot normally) and its guest RAM file,
	 * mapped copy-on-write; restore_copy_dir: each --disk N, checked against its recorded
	 * identity, is copied to restore_copy_dir/diskN and the copy used (NULL: the disks
	 * themselves, which must be unchanged) */
	const uint8_t *restore_state;
	size_t restore_len;
	int restore_ram_fd;
	const char *restore_copy_dir;
};

/* Exit statuses of vm_run() */
#define VM_EXIT_POWEROFF 0
#define VM_EXIT_REBOOT   2 /* the guest rebooted and --no-reboot was given */

/* Parse a --disk argument, FILE[,OPTION]...: the only option is `ro`; ",," in FILE stands
 * for a comma. Fills out->path (malloc'd) and out->ro. Returns 0, or -1 with *err set. */
int vm_parse_disk(const char *arg, struct vm_disk *out, berth_error_t *err);

/* Parse a --share argument, HOSTDIR:TAG[,ro]: TAG is what follows the last ':' (letters,
 * digits, '_', '-', '.', at most 64), `ro` the only option, ",," a comma in HOSTDIR. Fills
 * out->dir (malloc'd, out->tag inside it) and out->ro. Returns 0, or -1 with *err set. */
int vm_parse_share(const char *arg, struct vm_share *out, berth_error_t *err);

/* The kernel command line the guest gets: --append (or the default) with a
 * berth.ip=ethN,IP/PREFIX[,GATEWAY] for each card that has an address (before ` -- `, which
 * starts init's arguments). Returns 0, or -1 with *err set when it passes VM_MAX_APPEND. */
int vm_bootargs(const struct vm_config *cfg, char *buf, size_t size, berth_error_t *err);

/* Parse a --serial argument, NAME=socket:PATH: NAME is letters, digits, '_', '-', '.' (1 to
 * 64), PATH not empty. Fills out->name (malloc'd, out->path inside it). 0, or -1 with *err. */
int vm_parse_serial(const char *arg, struct vm_serial *out, berth_error_t *err);

/* Parse "256M", "1G", "512K", "1048576" (bytes). Returns 0 or -1. */
int vm_parse_size(const char *s, uint64_t *out);

/* Boot the machine and run it until the guest powers off (or reboots with no_reboot).
 * Returns the exit status (VM_EXIT_*, or the code of a failing syscon finisher), or -1
 * with *err set when the machine cannot be started. */
int vm_run(const struct vm_config *cfg, berth_error_t *err);

/* Whether --accel jit exists on this host (an x86-64 translator). */
bool vm_jit_available(void);
/* Control of a running machine, from vm_managed.control only (the machine's thread).
 * vm_pause() stops every hart (their threads end; their state stays) and freezes the guest's
 * time: `time` and mtime do not advance while paused, so the guest's timers do not jump
 * after vm_resume(). vm_powerdown() presses Ctrl-Alt-Del on the keyboard (-1 when there is
 * none or the guest's driver is not ready). vm_quit() stops the machine (status 0). */
int vm_pause(struct machine *m);
int vm_resume(struct machine *m);
bool vm_paused(const struct machine *m);
int vm_powerdown(struct machine *m);
void vm_quit(struct machine *m);
/* Snapshot a paused machine (from vm_managed.control): every hart's and device's state,
 * the machine's shape and the disks' identities as records appended to w (snapstate.h),
 * guest RAM written to ram_fd (sparse: zero pages are holes), the disks flushed. A VM with
 * --share or a --disk FILE,snapshot is refused. 0, or -1 with *err. */
struct vm_snap_writer;
int vm_snapshot(struct machine *m, int ram_fd, struct vm_snap_writer *w, berth_error_t *err);
/* The guest's time in timebase ticks (frozen while paused). */
uint64_t vm_guest_time(struct machine *m);

/* --- pieces, exposed for the unit tests ------------------------------------------------ */

/* Check a kernel Image header: "RSC\x05" at 0x38. Returns 0 or -1. */
int vm_check_kernel(const uint8_t *img, size_t len, const char *path, berth_error_t *err);

struct vm_fdt_params {
	uint64_t ram_base, ram_size;
	unsigned cpus;
	const char *bootargs;
	uint64_t initrd_start, initrd_end; /* 0, 0: none */
};
/* Build the device tree into buf. Returns 0 or -1. */
int vm_fdt_build(void *buf, size_t size, const struct vm_fdt_params *p, berth_error_t *err);

#endif
