/* SPDX-License-Identifier: MIT */
/* Logging as runc does it: `--log FILE` (default stderr), `--log-format text|json`, `--debug`. */
#ifndef BERTH_LOG_H
#define BERTH_LOG_H

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARNING, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* path NULL: stderr. json: one JSON object per line ({"level","msg","time"}). */
int log_open(const char *path, int json, int debug);
void log_close(void);
/* The name in front of lines written to stderr. */
void log_set_prog(const char *prog);
void log_write(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Whether errors already reach stderr through the log. */
int log_to_stderr(void);
/* The log's fd, so that a child can keep writing to it (-1 for stderr). */
int log_fd(void);

#define log_debug(...)   log_write(LOG_LEVEL_DEBUG, __VA_ARGS__)
#define log_info(...)    log_write(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_warning(...) log_write(LOG_LEVEL_WARNING, __VA_ARGS__)

#endif
