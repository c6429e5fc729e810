/* SPDX-License-Identifier: MIT */
/* The container's user from the image's /etc/passwd and /etc/group, as Docker resolves it
 * (user.h). */
#include "user.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>

void user_ids_free(struct user_ids *u)
{
	free(u->groups);
	memset(u, 0, sizeof(*u));
}

/* A decimal id in 0..USER_ID_MAX; -1 when s is not one, -2 when out of range. */
static long user_parse_id(const char *s, size_t n)
{
	long v = 0;

	if (n == 0 || n > 10)
		return n > 10 && strspn(s, "0123456789") >= n ? -2 : -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v > USER_ID_MAX ? -2 : v;
}

static long user_id(const char *s)
{
	return user_parse_id(s, strlen(s));
}

/* The fields of one line "a:b:c:…" of a passwd or group text, at most max; the count. The
 * fields point into line (the ':' replaced). */
static size_t user_fields(char *line, char **f, size_t max)
{
	size_t k = 0;

	for (char *p = line; p && k < max;) {
		f[k++] = p;
		p = strchr(p, ':');
		if (p)
			*p++ = '\0';
	}
	return k;
}

/* Call fn on every line of text with its fields (a copy, cut at ':'); stops when fn returns
 * nonzero and returns that. Blank lines and # comments are skipped. */
static int user_each_line(const char *text, size_t max, int (*fn)(char **f, size_t n, void *ctx),
                          void *ctx)
{
	cleanup_free char *copy = NULL;
	int r = 0;

	if (text == NULL)
		return 0;
	copy = xstrdup(text);
	for (char *save = NULL, *l = strtok_r(copy, "\n", &save); l && r == 0;
	     l = strtok_r(NULL, "\n", &save)) {
		char *f[8] = {0};
		size_t n;
		size_t len = strlen(l);
		if (len && l[len - 1] == '\r')
			l[len - 1] = '\0';
		if (l[0] == '\0' || l[0] == '#')
			continue;
		n = user_fields(l, f, max < 8 ? max : 8);
		r = fn(f, n, ctx);
	}
	return r;
}

/* ---- passwd --------------------------------------------------------------------------- */

struct user_pw_find {
	const char *arg;
	long arg_id; /* -1: not numeric */
	char *name;  /* the entry's, on a match */
	long uid, gid;
};

static int user_pw_match(char **f, size_t n, void *ctx)
{
	struct user_pw_find *q = ctx;
	long uid, gid;

	if (n < 4)
		return 0;
	uid = user_id(f[2]);
	gid = user_id(f[3]);
	if (uid < 0 || gid < 0)
		return 0;
	if (strcmp(f[0], q->arg) != 0 && (q->arg_id < 0 || uid != q->arg_id))
		return 0;
	q->name = xstrdup(f[0]);
	q->uid = uid;
	q->gid = gid;
	return 1;
}

/* ---- group ---------------------------------------------------------------------------- */

struct user_gr_find {
	const char *arg; /* a group's name or gid: the first such entry */
	long arg_id;
	const char *member; /* else: every group listing this member */
	struct user_ids *out;
	long gid; /* for arg: -1 until found */
};

static void user_add_group(struct user_ids *u, uint32_t gid)
{
	for (size_t i = 0; i < u->n_groups; i++)
		if (u->groups[i] == gid)
			return;
	u->groups = xrealloc(u->groups, (u->n_groups + 1) * sizeof(*u->groups));
	u->groups[u->n_groups++] = gid;
}

static int user_gr_match(char **f, size_t n, void *ctx)
{
	struct user_gr_find *q = ctx;
	long gid;

	if (n < 3)
		return 0;
	gid = user_id(f[2]);
	if (gid < 0)
		return 0;
	if (q->arg) {
		if (strcmp(f[0], q->arg) != 0 && (q->arg_id < 0 || gid != q->arg_id))
			return 0;
		q->gid = gid;
		return 1;
	}
	if (n < 4)
		return 0;
	for (char *save = NULL, *m = strtok_r(f[3], ",", &save); m; m = strtok_r(NULL, ",", &save))
		if (strcmp(m, q->member) == 0) {
			user_add_group(q->out, (uint32_t)gid);
			break;
		}
	return 0;
}

/* GROUP (a name or a number) -> its gid; -1 and an error when neither. */
static long user_group_id(const char *what, const char *spec, const char *g, const char *group,
                          berth_error_t *err)
{
	struct user_gr_find q = {.arg = g, .arg_id = user_id(g), .gid = -1};

	if (g[0] == '\0')
		return berth_error(err, 0, "bad %s `%s`: an empty group", what, spec);
	if (q.arg_id == -2)
		return berth_error(err, 0, "bad %s `%s`: group id `%s` out of range (0-%ld)", what,
		                   spec, g, USER_ID_MAX);
	user_each_line(group, 4, user_gr_match, &q);
	if (q.gid >= 0)
		return q.gid;
	if (q.arg_id >= 0)
		return q.arg_id;
	return berth_error(err, 0, "bad %s `%s`: no group `%s` in the image's /etc/group", what,
	                   spec, g);
}

int user_resolve(const char *what, const char *spec, const char *passwd, const char *group,
                 char *const *group_add, size_t n_group_add, struct user_ids *out,
                 berth_error_t *err)
{
	cleanup_free char *u = xstrdup(spec);
	char *g = strchr(u, ':');
	struct user_pw_find pw = {.uid = -1};

	memset(out, 0, sizeof(*out));
	if (g)
		*g++ = '\0';
	if (u[0] == '\0' || (g && strchr(g, ':')))
		return berth_error(err, 0, "bad %s `%s`: expected NAME, UID, UID:GID or NAME:GROUP",
		                   what, spec);
	pw.arg = u;
	pw.arg_id = user_id(u);
	if (pw.arg_id == -2)
		return berth_error(err, 0, "bad %s `%s`: user id `%s` out of range (0-%ld)", what,
		                   spec, u, USER_ID_MAX);
	user_each_line(passwd, 7, user_pw_match, &pw);
	if (pw.name) {
		out->uid = (uint32_t)pw.uid;
		out->gid = (uint32_t)pw.gid;
	} else if (pw.arg_id >= 0) {
		out->uid = (uint32_t)pw.arg_id;
		out->gid = 0;
	} else {
		return berth_error(err, 0, "bad %s `%s`: no user `%s` in the image's /etc/passwd",
		                   what, spec, u);
	}
	if (g) {
		long gid = user_group_id(what, spec, g, group, err);
		if (gid < 0) {
			free(pw.name);
			return -1;
		}
		out->gid = (uint32_t)gid;
	} else if (pw.name) {
		struct user_gr_find q = {.member = pw.name, .out = out, .gid = -1};
		user_each_line(group, 4, user_gr_match, &q);
	}
	free(pw.name);
	for (size_t i = 0; i < n_group_add; i++) {
		long gid = user_group_id("--group-add", group_add[i], group_add[i], group, err);
		if (gid < 0) {
			user_ids_free(out);
			return -1;
		}
		user_add_group(out, (uint32_t)gid);
	}
	return 0;
}

int user_read_file(int rootfd, const char *path, char **text, berth_error_t *err)
{
	cleanup_close int fd = -1;
	struct stat st;
	size_t len;

	*text = NULL;
	/* O_NONBLOCK: a FIFO in the place of /etc/passwd does not block the open */
	fd = util_open_in_root(rootfd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0, err);
	if (fd < 0) {
		if (*err && (*err)->status == ENOENT) {
			berth_error_release(err);
			return 0;
		}
		return berth_error_prefix(err, "the image's %s", path);
	}
	if (fstat(fd, &st) < 0)
		return berth_error(err, errno, "the image's %s: stat", path);
	if (!S_ISREG(st.st_mode))
		return berth_error(err, 0, "the image's %s: not a regular file", path);
	if (st.st_size > 4 * 1024 * 1024)
		return berth_error(err, 0, "the image's %s: over 4 MiB", path);
	return util_read_fd(fd, path, text, &len, err);
}
