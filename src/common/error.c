/* SPDX-License-Identifier: MIT */
#include "error.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An error is one line: a control character (a newline in a name taken from a tar entry or
 * a config file, an escape sequence) becomes '?'. */
static void error_one_line(char *s)
{
	for (; s != NULL && *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

int berth_verror(berth_error_t *err, int errnum, const char *fmt, va_list ap)
{
	char *head = NULL;
	char *msg = NULL;
	struct berth_error_s *e;

	if (err == NULL)
		return -1;
	berth_error_release(err);
	if (vasprintf(&head, fmt, ap) < 0)
		head = NULL;
	if (head != NULL && errnum != 0) {
		if (asprintf(&msg, "%s: %s", head, strerror(errnum)) < 0)
			msg = NULL;
		free(head);
	} else {
		msg = head;
	}
	e = calloc(1, sizeof(*e));
	if (e == NULL) {
		free(msg);
		return -1;
	}
	error_one_line(msg);
	e->status = errnum;
	e->msg = msg != NULL ? msg : strdup("out of memory");
	*err = e;
	return -1;
}

int berth_error(berth_error_t *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	berth_verror(err, errnum, fmt, ap);
	va_end(ap);
	return -1;
}

int berth_error_prefix(berth_error_t *err, const char *fmt, ...)
{
	char *prefix = NULL;
	char *msg = NULL;
	va_list ap;

	if (err == NULL || *err == NULL)
		return -1;
	va_start(ap, fmt);
	if (vasprintf(&prefix, fmt, ap) < 0)
		prefix = NULL;
	va_end(ap);
	if (prefix == NULL)
		return -1;
	if (asprintf(&msg, "%s: %s", prefix, (*err)->msg) >= 0) {
		error_one_line(msg);
		free((*err)->msg);
		(*err)->msg = msg;
	}
	free(prefix);
	return -1;
}

void berth_error_release(berth_error_t *err)
{
	if (err == NULL || *err == NULL)
		return;
	free((*err)->msg);
	free(*err);
	*err = NULL;
}

int berth_error_print(berth_error_t *err, const char *prog)
{
	if (err == NULL || *err == NULL) {
		fprintf(stderr, "%s: unknown error\n", prog);
		return 1;
	}
	log_write(LOG_LEVEL_ERROR, "%s", (*err)->msg);
	if (!log_to_stderr())
		fprintf(stderr, "%s: %s\n", prog, (*err)->msg);
	berth_error_release(err);
	return 1;
}
