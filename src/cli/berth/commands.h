/* SPDX-License-Identifier: MIT */
/* The subcommands of `berth`. */
#ifndef BERTH_CLI_COMMANDS_H
#define BERTH_CLI_COMMANDS_H

#include "error.h"

#include <stdbool.h>

/* berth vm run …: argv[0] is "vm". */
int cmd_vm(int argc, char **argv);

struct engine;
/* Every engine command: argv[0] is the command's name. Returns the exit status; a
 * failure of berth itself fills *err and returns -1 (exit 125). */
#define BERTH_CMD(n) int cmd_##n(struct engine *e, int argc, char **argv, berth_error_t *err)
BERTH_CMD(run);
BERTH_CMD(ps);
BERTH_CMD(logs);
BERTH_CMD(stop);
BERTH_CMD(kill);
BERTH_CMD(rm);
BERTH_CMD(exec);
BERTH_CMD(inspect);
BERTH_CMD(stats);
BERTH_CMD(start);
BERTH_CMD(images);
BERTH_CMD(image);
BERTH_CMD(rmi);

struct json_t;
/* The record of the container named (or id, or id prefix) ref; *id gets its id. */
struct json_t *cli_record(struct engine *e, const char *ref, char **id, berth_error_t *err);
/* Whether the container named ref runs: 1 or 0 (*id gets its id), -1 with err set. */
int cli_running(struct engine *e, const char *ref, char **id, berth_error_t *err);
/* The record's state, "exited" when its monitor died. */
const char *cli_state(struct json_t *rec);
/* Send sig to the container's init through the runtime library. */
int cli_signal(struct engine *e, const char *id, int sig, berth_error_t *err);
/* The berth-runtime binary next to this one. */
char *cli_runtime_path(void);
/* Wait up to secs for the container's monitor to record its exit. true when it did. */
bool cli_wait_exit(struct engine *e, const char *id, double secs);

#endif
