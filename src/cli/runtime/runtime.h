/* SPDX-License-Identifier: MIT */
/* berth-runtime's command line: runc's commands and flags, one file per command. */
#ifndef BERTH_CLI_RUNTIME_H
#define BERTH_CLI_RUNTIME_H

#include "error.h"

#include <getopt.h>
#include <stdbool.h>

struct runtime_globals {
	const char *root; /* --root, default /run/berth-runtime */
	const char *log;
	const char *log_format;
	bool debug;
};

extern struct runtime_globals runtime_globals;

struct runtime_command {
	const char *name;
	const char *summary;
	const char *usage; /* arguments and options, for --help */
	int (*run)(int argc, char **argv, berth_error_t *err); /* argv[0] is the command */
};

/* Each command's entry point; returns the exit status, or -1 with err set. */
int cmd_create(int argc, char **argv, berth_error_t *err);
int cmd_delete(int argc, char **argv, berth_error_t *err);
int cmd_events(int argc, char **argv, berth_error_t *err);
int cmd_exec(int argc, char **argv, berth_error_t *err);
int cmd_features(int argc, char **argv, berth_error_t *err);
int cmd_kill(int argc, char **argv, berth_error_t *err);
int cmd_list(int argc, char **argv, berth_error_t *err);
int cmd_pause(int argc, char **argv, berth_error_t *err);
int cmd_ps(int argc, char **argv, berth_error_t *err);
int cmd_resume(int argc, char **argv, berth_error_t *err);
int cmd_run(int argc, char **argv, berth_error_t *err);
int cmd_spec(int argc, char **argv, berth_error_t *err);
int cmd_start(int argc, char **argv, berth_error_t *err);
int cmd_state(int argc, char **argv, berth_error_t *err);
int cmd_update(int argc, char **argv, berth_error_t *err);

/* Parse options with getopt_long_only (runc accepts -flag and --flag, value separate or with
 * '='). `--help`/`-h` prints the command's usage and returns 1 (caller exits 0). Unknown
 * options give an error. Returns the index of the first operand, -1 on error, -2 after help. */
int runtime_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
                   int (*handle)(int opt, const char *arg, void *ctx, berth_error_t *err),
                   void *ctx, berth_error_t *err);
/* Exactly n operands left after the options, else "<cmd>: expected <what>". */
int runtime_want_args(int argc, char **argv, int first, int min, int max, const char *what,
                      berth_error_t *err);
/* Print usage of one command. */
void runtime_usage(const char *name);
/* Parse a non-negative int option value. */
int runtime_parse_uint(const char *opt, const char *arg, int *out, berth_error_t *err);

#endif
