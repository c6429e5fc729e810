/* SPDX-License-Identifier: MIT */
/* The subcommands of `berth`. */
#ifndef BERTH_CLI_COMMANDS_H
#define BERTH_CLI_COMMANDS_H

/* berth vm run …: argv[0] is "vm". */
int cmd_vm(int argc, char **argv);

#endif
