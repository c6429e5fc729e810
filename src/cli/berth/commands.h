/* SPDX-License-Identifier: MIT */
/* The subcommands of `berth`. */
#ifndef BERTH_CLI_COMMANDS_H
#define BERTH_CLI_COMMANDS_H

#include "error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* berth vm run …: argv[0] is "vm". */
int cmd_vm(const char *root, int argc, char **argv);

struct option;
/* What cli_getopt returns besides an option: CLI_FAIL (*err says why: an unknown option, a
 * prefix of one, a missing value) and CLI_HELP (the usage went to stdout: exit 0). */
#define CLI_FAIL (-2)
#define CLI_HELP (-3)
/* getopt_long ("+" and ":" prepended to shorts) taking only whole long option names;
 * -h/--help print usage. -1 after the last option, optind at the first operand. */
int cli_getopt(int argc, char **argv, const char *shorts, const struct option *lo,
               const char *usage, berth_error_t *err);
/* on: cli_getopt takes options after operands too, as Docker's CLI (`berth rm c1 -f`): it
 * moves them before the operands in argv (`--` ends the options). Off (the default, and for
 * run, create, exec, top, whose operands after the first belong to the container): options
 * end at the first operand. main.c sets it for each command. */
void cli_set_interspersed(bool on);
/* For a command with no options but --help: optind of the first operand, or CLI_FAIL or
 * CLI_HELP. */
int cli_no_options(int argc, char **argv, const char *usage, berth_error_t *err);
/* The same, for a command that takes exactly one operand: 0 with *name set, or CLI_FAIL,
 * CLI_HELP or -1 (not one operand: "expected one NAME (usage)"). */
int cli_one_name(int argc, char **argv, const char *usage, const char **name, berth_error_t *err);
/* run's and exec's status when the container's command could not be run: 127 (not found) or
 * 126 (not executable), as Docker and a shell say it, with the error printed; else -1 (berth
 * failed: 125). */
int cli_exit_status(const char *cmd, berth_error_t *err);
/* A command's return for those two: -1 (exit 125) or 0. */
#define CLI_RET(c) ((c) == CLI_HELP ? 0 : -1)

/* Docker's CREATED ("About a minute ago", "3 days ago") of an RFC 3339 time ("N/A" when bad)
 * and SIZE (decimal units, three digits: "2.04MB") (images.c). */
void cli_ago(const char *created, char *out, size_t size);
void cli_size(uint64_t n, char *out, size_t size);
/* n bytes in go-units' style with `digits` significant digits: decimal units (kB, MB: Docker's
 * HumanSize) or binary ones (KiB, MiB: its BytesSize). */
void cli_human(uint64_t n, bool binary, int digits, char *out, size_t size);
/* The question a prune asks without -f, as one line on stderr ("WARNING! This will remove
 * WHAT. Are you sure you want to continue? [y/N] "), answered by a line on stdin: true for y
 * or yes; else (EOF too) the line ends "nothing removed (-f skips this question)" (system.c). */
bool cli_confirm(const char *what);

struct ctr_info;
/* ps's STATUS, as Docker's: "Created", "Up 5 seconds", "Exited (0) 5 seconds ago" (ps.c). */
void cli_ps_status(const struct ctr_info *c, char *out, size_t size);

/* --format `table [TEMPLATE]` (ps, stats): 0 when format is no table; 1 for `table` alone
 * (the default table); 2 with *tmpl (in format) the template and *header (heap) its header
 * line, the template rendered over header_json (an array of one object: Docker's field names
 * to their column names; "" when the template names other fields). -1 when the template does
 * not parse. */
int cli_table_format(const char *format, const char *header_json, const char **tmpl, char **header,
                     berth_error_t *err);
/* --format ARG of ps, images and stats: `json` (*json, no template), `table [TEMPLATE]`
 * (cli_table_format), or else a template (*tmpl = arg); the previous *header is freed. -1
 * when a table's template does not parse. */
int cli_format_opt(const char *arg, const char *header_json, bool *json, const char **tmpl,
                   char **header, berth_error_t *err);
/* Lines of cells split by tabs, aligned as Docker's tabwriter (a cell at least 10 wide, the
 * widest + 3), to stdout (ps.c). */
void cli_table_print(const char *text);
/* A rendered --format: under header (heap, from a `table` format) aligned by
 * cli_table_print, or as it is when header is NULL (ps.c). */
void cli_print_rendered(const char *header, const char *text);

/* -a's streams (1 << fd of each named): the others' fds (0, 1, 2) made /dev/null, their
 * originals kept in saved (attach.c); cli_streams_restore puts them back. */
int cli_streams_off(unsigned attach, int saved[3], berth_error_t *err);
void cli_streams_restore(const int saved[3]);

struct engine;
/* An archive on stdin (import -, load), copied into the store's tmp/ first as import reads it
 * twice: *tmp gets the copy's path (the caller unlinks and frees it). A terminal on stdin is
 * refused ("no archive on stdin: <hint> or pipe one in"). */
int cli_stdin_archive(struct engine *e, const char *hint, char **tmp, berth_error_t *err);
/* What save and image export say instead of writing binary to a terminal. */
#define CLI_NO_TTY_ARCHIVE "refusing to write an archive to a terminal; use -o FILE or a redirect"
/* Every engine command: argv[0] is the command's name. Returns the exit status; a
 * failure of berth itself fills *err and returns -1 (exit 125). */
#define BERTH_CMD(n) int cmd_##n(struct engine *e, int argc, char **argv, berth_error_t *err)
BERTH_CMD(run);
BERTH_CMD(build);
BERTH_CMD(builder);
BERTH_CMD(bench);
BERTH_CMD(ps);
BERTH_CMD(logs);
BERTH_CMD(events);
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
BERTH_CMD(pull);
BERTH_CMD(push);
BERTH_CMD(login);
BERTH_CMD(logout);
BERTH_CMD(tag);
BERTH_CMD(save);
BERTH_CMD(manifest);
BERTH_CMD(load);
BERTH_CMD(network);
BERTH_CMD(port);
BERTH_CMD(cp);
BERTH_CMD(diff);
BERTH_CMD(export);
BERTH_CMD(update);
BERTH_CMD(create);
BERTH_CMD(wait);
BERTH_CMD(restart);
BERTH_CMD(pause);
BERTH_CMD(unpause);
BERTH_CMD(rename);
BERTH_CMD(top);
BERTH_CMD(attach);
BERTH_CMD(volume);
BERTH_CMD(container_prune);
BERTH_CMD(image_prune);
BERTH_CMD(image_history);
BERTH_CMD(system);
BERTH_CMD(info);
BERTH_CMD(healthcheck);

#endif
