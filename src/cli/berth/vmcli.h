/* SPDX-License-Identifier: MIT */
/* Between vm.c (`vm run`, `vm create`) and vmm.c (the managed VMs' commands). */
#ifndef BERTH_CLI_VMCLI_H
#define BERTH_CLI_VMCLI_H

#include <stdbool.h>
#include <stddef.h>

/* Record a VM named name (NULL: a default) with the `vm run` options args, and with start
 * run it in the background; prints its id. The exit status. */
int vmm_cli_detach(const char *root, const char *name, char *const *args, size_t nargs, bool start);
/* argv[0] is the command: start, ls, inspect, logs, console, stop, kill, pause, resume, rm. */
int vmm_cli(const char *root, int argc, char **argv);
/* Whether `berth vm CMD` is one of vmm_cli's. */
bool vmm_cli_has(const char *cmd);

#endif
