/* SPDX-License-Identifier: MIT */
#include "error.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every message is one line of bounded length whatever it quotes: control characters are
 * escaped ("\n", "\x1b"), a `quoted` span longer than ERROR_QUOTE_MAX bytes keeps its head
 * and tail around "…", and the whole message stops at ERROR_MSG_MAX bytes. Applied to each
 * message and prefix as it is made, so that no call site can forget it; it is idempotent. */
#define ERROR_QUOTE_MAX  64
#define ERROR_QUOTE_HEAD 40
#define ERROR_QUOTE_TAIL 20
#define ERROR_MSG_MAX    2048

static const char error_ellipsis[] = "\xe2\x80\xa6"; /* … */

/* The start of the UTF-8 character that holds s[i] (never before s[lo]). */
static size_t error_char_start(const char *s, size_t lo, size_t i)
{
	while (i > lo && ((unsigned char)s[i] & 0xc0) == 0x80)
		i--;
	return i;
}

static void error_put_escaped(char **o, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\n')
			*o += sprintf(*o, "\\n");
		else if (c == '\t')
			*o += sprintf(*o, "\\t");
		else if (c == '\r')
			*o += sprintf(*o, "\\r");
		else if (c < 0x20 || c == 0x7f)
			*o += sprintf(*o, "\\x%02x", c);
		else
			*(*o)++ = (char)c;
	}
}

char *berth_error_sanitize(const char *msg)
{
	size_t len = strlen(msg);
	/* each byte expands to at most 4 ("\xNN") */
	char *out = malloc(len * 4 + sizeof(error_ellipsis) + 1);
	char *o = out;
	size_t i = 0;

	if (out == NULL)
		return NULL;
	while (i < len) {
		const char *close;
		size_t n;

		if (msg[i] != '`' || (close = strchr(msg + i + 1, '`')) == NULL) {
			error_put_escaped(&o, msg + i, 1);
			i++;
			continue;
		}
		n = (size_t)(close - (msg + i + 1));
		*o++ = '`';
		if (n <= ERROR_QUOTE_MAX) {
			error_put_escaped(&o, msg + i + 1, n);
		} else {
			size_t head = error_char_start(msg, i + 1, i + 1 + ERROR_QUOTE_HEAD);
			size_t tail = error_char_start(msg, head, i + 1 + n - ERROR_QUOTE_TAIL);
			error_put_escaped(&o, msg + i + 1, head - (i + 1));
			o += sprintf(o, "%s", error_ellipsis);
			error_put_escaped(&o, msg + tail, (size_t)(close - (msg + tail)));
		}
		*o++ = '`';
		i += n + 2;
	}
	*o = '\0';
	if ((size_t)(o - out) > ERROR_MSG_MAX) {
		size_t cut = error_char_start(out, 0, ERROR_MSG_MAX);
		strcpy(out + cut, error_ellipsis);
	}
	return out;
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
	e->status = errnum;
	if (msg != NULL) {
		char *clean = berth_error_sanitize(msg);
		free(msg);
		msg = clean;
	}
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
	{
		char *clean = berth_error_sanitize(prefix);
		free(prefix);
		prefix = clean;
		if (prefix == NULL)
			return -1;
	}
	if (asprintf(&msg, "%s: %s", prefix, (*err)->msg) >= 0) {
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
