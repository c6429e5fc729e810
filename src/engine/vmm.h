/* SPDX-License-Identifier: MIT */
/* Managed VMs (`berth vm run -d`, `vm create`, `vm ls` …): each VM is a directory
 * ROOT/vms/ID (0700) beside the containers' with
 *   vm.json       the record: id, name, created, cwd, the `vm run` options (args), status
 *                 (created, running, paused, exited), pid and its start time, exit code
 *   console.log   everything the guest wrote to its consoles
 *   console.sock  the serial console (one user at a time; `berth vm console`)
 *   control.sock  the control socket (docs/vm.md: one JSON request a connection, one answer)
 *   vmm.log       the VM process's own messages (stderr)
 * The VM process is `berth vm run --managed ID --ready-fd 1 ARGS…` (stdout: the
 * ready pipe), started in its own
 * session (double fork, exec) so it survives the command that started it; it serves the
 * control socket from the machine's thread (machine.h, vm_managed). The CLI reaches a
 * running VM only through its control and console sockets. */
#ifndef BERTH_ENGINE_VMM_H
#define BERTH_ENGINE_VMM_H

#include "engine.h"
#include "error.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm_config;

/* A new VM record (status created) named `name` (NULL: vm-ID6) with the `vm run` options
 * args[0..nargs) (the VM is started with them, from the current directory), and extra's
 * members when extra is not NULL (saved with it: one write). *id: its id (malloc'd). A name
 * in use or not valid: -1 with *err. */
int vmm_create(struct engine *e, const char *name, char *const *args, size_t nargs, json_t *extra,
               char **id, berth_error_t *err);
/* Start a created or exited VM: returns once the guest's harts run (0), or -1 with the VM
 * process's own error in *err. */
int vmm_start(struct engine *e, const char *ref, berth_error_t *err);
/* The same, the VM process's stdin being in_fd (a restore's checked state) instead of
 * /dev/null (in_fd < 0). */
int vmm_start_with(struct engine *e, const char *ref, int in_fd, berth_error_t *err);
/* The id of the VM named ref, or with that id or unique id prefix. -1: "no such VM". */
int vmm_resolve(struct engine *e, const char *ref, char **id, berth_error_t *err);
/* Records (status checked against the process), oldest first; all: exited ones too. */
int vmm_list(struct engine *e, bool all, json_t **out, berth_error_t *err);
int vmm_inspect(struct engine *e, const char *ref, json_t **out, berth_error_t *err);
/* One control request, {"execute": command}; *ret (may be NULL) gets the "return" object. */
int vmm_request(struct engine *e, const char *ref, const char *command, json_t **ret,
                berth_error_t *err);
/* The same with {"arguments": args} (taken over; may be NULL). */
int vmm_request_args(struct engine *e, const char *ref, const char *command, json_t *args,
                     json_t **ret, berth_error_t *err);
/* A graceful power-off (Ctrl-Alt-Del), then after timeout_s seconds a hard stop. */
int vmm_stop(struct engine *e, const char *ref, int timeout_s, berth_error_t *err);
/* A hard stop: quit over the control socket, else SIGKILL. */
int vmm_kill(struct engine *e, const char *ref, berth_error_t *err);
/* Remove a VM; a running one only with force (killed first). */
int vmm_rm(struct engine *e, const char *ref, bool force, berth_error_t *err);
/* The console's output so far; follow: and what comes until the VM ends. */
int vmm_logs(struct engine *e, const char *ref, bool follow, int out_fd, berth_error_t *err);
/* Attach the terminal to the VM's serial console: Ctrl-A d detaches, Ctrl-A x powers the
 * machine off (quit), Ctrl-A Ctrl-A sends a Ctrl-A. Returns when detached or the VM ends. */
int vmm_console(struct engine *e, const char *ref, int in_fd, int out_fd, berth_error_t *err);

/* The VM process (`vm run --managed ID`): run the machine of cfg as VM id, serving its
 * control socket, console socket and log; ready_fd gets "ok" once the guest runs. Returns
 * vm_run()'s status, or -1 with *err. */
int vmm_serve(struct engine *e, const char *id, struct vm_config *cfg, int ready_fd,
              berth_error_t *err);
/* The VM process changes to the directory `vm create` ran in (relative option paths). */
int vmm_enter_cwd(struct engine *e, const char *id, berth_error_t *err);

/* Snapshots (vmsnap.c; docs/vm.md). In the VM process, on the machine's thread with the
 * machine paused: write DIR/ram and DIR/state (DIR absolute, made if missing); on failure
 * nothing of them is left. */
struct machine;
int vmm_snapshot_take(struct engine *e, const char *id, struct machine *m, const char *dir,
                      berth_error_t *err);
/* Read DIR/state: magic, format version, length and SHA-256 checked, then the records split
 * and META read and its berth version checked. *body (malloc'd, *len bytes): the records, for
 * vm_config.restore_state; *meta: META's JSON (name, cwd, args). */
int vmm_snapshot_open(const char *dir, uint8_t **body, size_t *len, json_t **meta,
                      berth_error_t *err);
/* `berth vm restore DIR`: a new managed VM (named name, or vm-ID6) with the snapshot's
 * options, started from it; copy_disks: it gets copies of the disks. The records it checked
 * are handed to the VM process (its stdin, a sealed memfd: vmm_restore_state), which so
 * neither reads nor checks DIR/state again. On failure nothing is left (no record, process
 * or socket). */
int vmm_restore(struct engine *e, const char *dir, const char *name, bool copy_disks, char **id,
                berth_error_t *err);

/* The VM process's side: the records vmm_restore handed over on stdin (0, with *body and
 * *len), or 1 when stdin is not such a memfd (started otherwise: read DIR/state). */
int vmm_restore_state(uint8_t **body, size_t *len, berth_error_t *err);

/* shared by vmm.c and vmmctl.c */
int vmm_load(struct engine *e, const char *id, json_t **rec, berth_error_t *err);
int vmm_save(struct engine *e, const char *id, json_t *rec, berth_error_t *err);
/* The start time of process pid (/proc/PID/stat), 0 when there is none. */
unsigned long long vmm_proc_start(int pid);
/* "/proc/self/fd/N/NAME" for a socket in the VM's directory (short, whatever ROOT is); *dirfd
 * must stay open while the path is used. */
int vmm_sock_path(struct engine *e, const char *id, const char *name, int *dirfd, char path[64],
                  berth_error_t *err);

#endif
