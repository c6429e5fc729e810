/* SPDX-License-Identifier: MIT */
#include "mountinfo.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

void mountinfo_unescape(char *s)
{
	static const struct {
		char code[4];
		char c;
	} esc[] = {{"040", ' '}, {"011", '\t'}, {"012", '\n'}, {"134", '\\'}};
	char *d = s;

	while (*s) {
		size_t i = 0;
		if (s[0] == '\\')
			for (; i < ARRAY_SIZE(esc); i++)
				if (strncmp(s + 1, esc[i].code, 3) == 0)
					break;
		if (s[0] == '\\' && i < ARRAY_SIZE(esc)) {
			*d++ = esc[i].c;
			s += 4;
		} else {
			*d++ = *s++;
		}
	}
	*d = '\0';
}

/* The next space-separated field of *p, NUL-terminated in place; NULL when none is left. */
static char *mountinfo_field(char **p)
{
	char *f = *p, *end;

	while (*f == ' ')
		f++;
	if (*f == '\0')
		return NULL;
	end = strchr(f, ' ');
	if (end != NULL) {
		*end = '\0';
		*p = end + 1;
	} else {
		*p = f + strlen(f);
	}
	return f;
}

static bool mountinfo_uint(const char *s, char stop, unsigned *v, const char **rest)
{
	char *end;
	unsigned long n;

	if (*s < '0' || *s > '9')
		return false;
	n = strtoul(s, &end, 10);
	if (*end != stop || n > 0xffffffffUL)
		return false;
	*v = (unsigned)n;
	if (rest != NULL)
		*rest = end + 1;
	return true;
}

bool mountinfo_parse_line(char *line, struct mountinfo_entry *e)
{
	char *f[6], *p = line, *sep, *root, *point, *source;
	const char *minor;

	/* the paths have their spaces escaped: the first " - " ends the optional fields */
	sep = strstr(line, " - ");
	if (sep == NULL)
		return false;
	*sep = '\0';
	for (int i = 0; i < 6; i++)
		if ((f[i] = mountinfo_field(&p)) == NULL)
			return false;
	if (!mountinfo_uint(f[0], '\0', &e->id, NULL) ||
	    !mountinfo_uint(f[1], '\0', &e->parent, NULL) ||
	    !mountinfo_uint(f[2], ':', &e->major, &minor) ||
	    !mountinfo_uint(minor, '\0', &e->minor, NULL))
		return false;
	root = f[3];
	point = f[4];
	e->options = f[5];
	while (*p == ' ')
		p++;
	e->optional = p; /* the rest: "shared:1 master:2" or "" */
	p = sep + 3;
	e->fstype = mountinfo_field(&p);
	source = e->fstype ? mountinfo_field(&p) : NULL;
	if (source == NULL)
		return false;
	e->superopts = mountinfo_field(&p);
	if (e->superopts == NULL)
		e->superopts = source + strlen(source);
	mountinfo_unescape(root);
	mountinfo_unescape(point);
	mountinfo_unescape(source);
	e->root = root;
	e->point = point;
	e->source = source;
	return true;
}

void mountinfo_parse(char *text, struct mountinfo *mi)
{
	size_t cap = 0;
	char *save = NULL;

	mi->v = NULL;
	mi->n = 0;
	mi->text = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct mountinfo_entry e;
		if (!mountinfo_parse_line(line, &e))
			continue;
		if (mi->n == cap) {
			cap = cap ? cap * 2 : 64;
			mi->v = xrealloc(mi->v, cap * sizeof(*mi->v));
		}
		mi->v[mi->n++] = e;
	}
}

int mountinfo_load(const char *path, struct mountinfo *mi, berth_error_t *err)
{
	char *text = NULL;

	if (path == NULL)
		path = "/proc/self/mountinfo";
	memset(mi, 0, sizeof(*mi));
	if (util_read_file(path, &text, NULL, err) < 0)
		return -1;
	mountinfo_parse(text, mi);
	mi->text = text;
	return 0;
}

void mountinfo_release(struct mountinfo *mi)
{
	free(mi->v);
	free(mi->text);
	memset(mi, 0, sizeof(*mi));
}

bool mountinfo_has_optional(const struct mountinfo_entry *e, const char *tag)
{
	size_t n = strlen(tag);

	for (const char *p = e->optional; *p;) {
		size_t len = strcspn(p, " ");
		if (len >= n && strncmp(p, tag, n) == 0 && (len == n || p[n] == ':'))
			return true;
		p += len;
		while (*p == ' ')
			p++;
	}
	return false;
}
