/* SPDX-License-Identifier: MIT */
/* berth build's config instructions (ENV, LABEL, EXPOSE, VOLUME, USER, STOPSIGNAL, CMD,
 * ENTRYPOINT, SHELL, ONBUILD, MAINTAINER, HEALTHCHECK) and which stages a build needs. */
#include "build_priv.h"
#include "util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- steps that change the config ---------------------------------------------------------- */
static void env_set(json_t *env, const char *k, const char *v)
{
	size_t l = strlen(k), i;
	json_t *e;
	char *kv = xasprintf("%s=%s", k, v);

	json_array_foreach(env, i, e)
	{
		const char *s = json_string_value(e);
		if (s && strncmp(s, k, l) == 0 && s[l] == '=') {
			json_array_set_new(env, i, json_string(kv));
			free(kv);
			return;
		}
	}
	json_array_append_new(env, json_string(kv));
	free(kv);
}

static json_t *cmd_form(struct stage *s, const struct bf_insn *in)
{
	json_t *a;

	if (in->json) {
		a = json_array();
		for (size_t i = 0; i < in->n_args; i++)
			json_array_append_new(a, json_string(in->args[i]));
		return a;
	}
	a = build_shell(s);
	{
		json_t *c = json_deep_copy(a);
		json_decref(a);
		json_array_append_new(c, json_string(in->args[0]));
		return c;
	}
}

int build_do_config(struct bctx *b, struct stage *s, const char *what, const struct bf_insn *in,
                    berth_error_t *err)
{
	json_t *c = build_cfg(s);
	char **w = NULL;
	size_t n = 0;
	int r = -1;

	switch (in->kind) {
	case BF_ENV:
	case BF_LABEL: {
		struct scope sc = {.b = b, .s = s};
		char **k, **v;
		const char *field = in->kind == BF_ENV ? "Env" : "Labels";
		if (bf_pairs(what, in->args[0], b->bf.escape, true, true, build_scope_lookup, &sc,
		             &k, &v, &n, err) < 0)
			return -1;
		if (build_scope_check(&sc, what, err) < 0) {
			bf_words_free(k, n);
			bf_words_free(v, n);
			return -1;
		}
		for (size_t i = 0; i < n; i++) {
			if (in->kind == BF_ENV) {
				if (!json_is_array(json_object_get(c, field)))
					json_object_set_new(c, field, json_array());
				env_set(json_object_get(c, field), k[i], v[i]);
			} else {
				if (!json_is_object(json_object_get(c, field)))
					json_object_set_new(c, field, json_object());
				json_object_set_new(json_object_get(c, field), k[i],
				                    json_string(v[i]));
			}
		}
		bf_words_free(k, n);
		bf_words_free(v, n);
		return 0;
	}
	case BF_EXPOSE:
	case BF_VOLUME: {
		const char *field = in->kind == BF_EXPOSE ? "ExposedPorts" : "Volumes";
		if (build_expand_words(b, s, what, in, &w, &n, err) < 0)
			return -1;
		if (!json_is_object(json_object_get(c, field)))
			json_object_set_new(c, field, json_object());
		for (size_t i = 0; i < n; i++) {
			cleanup_free char *key = NULL;
			if (in->kind == BF_EXPOSE) {
				char *end;
				const char *slash = strchr(w[i], '/');
				unsigned long p = strtoul(w[i], &end, 10);
				if (end == w[i] || p > 65535 ||
				    (*end && *end != '-' && *end != '/') ||
				    (slash && strcmp(slash, "/tcp") != 0 &&
				     strcmp(slash, "/udp") != 0 && strcmp(slash, "/sctp") != 0)) {
					berth_error(err, 0,
					            "%s: bad port `%s`: expected PORT[/tcp|/udp]",
					            what, w[i]);
					goto out;
				}
				key = slash ? xstrdup(w[i]) : xasprintf("%s/tcp", w[i]);
				for (char *q = key; *q; q++)
					*q = (char)tolower((unsigned char)*q);
			} else {
				if (w[i][0] != '/') {
					berth_error(err, 0, "%s: `%s`: expected an absolute path",
					            what, w[i]);
					goto out;
				}
				key = xstrdup(w[i]);
			}
			json_object_set_new(json_object_get(c, field), key, json_object());
		}
		r = 0;
		goto out;
	}
	case BF_USER:
	case BF_STOPSIGNAL: {
		cleanup_free char *v = NULL;
		if (build_expand_one(b, s, what, in->args[0], &v, err) < 0)
			return -1;
		if (in->kind == BF_STOPSIGNAL && util_parse_signal(v) <= 0)
			return berth_error(err, 0, "%s: bad signal `%s`: expected SIGTERM, 15, …",
			                   what, v);
		json_object_set_new(c, in->kind == BF_USER ? "User" : "StopSignal", json_string(v));
		return 0;
	}
	case BF_CMD:
		json_object_set_new(c, "Cmd", cmd_form(s, in));
		s->cmd_here = true;
		return 0;
	case BF_ENTRYPOINT:
		json_object_set_new(c, "Entrypoint", cmd_form(s, in));
		/* as Docker: an ENTRYPOINT resets the base image's CMD */
		if (!s->cmd_here)
			json_object_del(c, "Cmd");
		return 0;
	case BF_SHELL: {
		json_t *a = json_array();
		for (size_t i = 0; i < in->n_args; i++)
			json_array_append_new(a, json_string(in->args[i]));
		json_object_set_new(c, "Shell", a);
		return 0;
	}
	case BF_ONBUILD:
		if (!json_is_array(json_object_get(c, "OnBuild")))
			json_object_set_new(c, "OnBuild", json_array());
		json_array_append_new(json_object_get(c, "OnBuild"), json_string(in->args[0]));
		return 0;
	case BF_MAINTAINER:
		json_object_set_new(s->config, "author", json_string(in->args[0]));
		return 0;
	case BF_HEALTHCHECK: {
		struct health_opts ho = {0};
		static const char *const names[] = {"interval", "timeout", "start-period",
		                                    "retries"};
		static const enum health_flag codes[] = {HEALTH_INTERVAL, HEALTH_TIMEOUT,
		                                         HEALTH_START_PERIOD, HEALTH_RETRIES};
		static const char *const fields[] = {"Interval", "Timeout", "StartPeriod",
		                                     "Retries"};
		const char *rest = in->args[0];
		json_t *hc;
		if (strncasecmp(rest, "NONE", 4) == 0) {
			json_object_set_new(c, "Healthcheck", json_pack("{s:[s]}", "Test", "NONE"));
			return 0;
		}
		rest += 3;
		while (isspace((unsigned char)*rest))
			rest++;
		if (*rest == '[') {
			json_t *a = json_loads(rest, 0, NULL);
			size_t i;
			json_t *v;
			bool ok = json_is_array(a) && json_array_size(a) > 0;
			json_array_foreach(a, i, v) if (!json_is_string(v)) ok = false;
			if (!ok) {
				json_decref(a);
				hc = json_pack("{s:[s,s]}", "Test", "CMD-SHELL", rest);
			} else {
				json_array_insert_new(a, 0, json_string("CMD"));
				hc = json_pack("{s:o}", "Test", a);
			}
		} else {
			hc = json_pack("{s:[s,s]}", "Test", "CMD-SHELL", rest);
		}
		for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
			const char *v = bf_flag(in, names[i]);
			if (!v)
				continue;
			if (health_flag(&ho, codes[i], v, err) < 0) {
				json_decref(hc);
				return berth_error_prefix(err, "%s", what);
			}
			json_object_set_new(hc, fields[i], json_integer(ho.value[codes[i]]));
		}
		json_object_set_new(c, "Healthcheck", hc);
		return 0;
	}
	default:
		return 0;
	}
out:
	bf_words_free(w, n);
	return r;
}

/* The stages the last one (up to `last`) needs, by their FROM and COPY --from references
 * (names, or numbers for --from); a reference with a variable counts as all earlier stages.
 * needed[k] for the k-th FROM. */
bool *build_stages_needed(struct bctx *b, size_t last, size_t nst)
{
	size_t *from_at = xmalloc0((nst + 1) * sizeof(size_t));
	char **names = xmalloc0((nst + 1) * sizeof(char *));
	bool *needed = xmalloc0((nst + 1) * sizeof(bool));
	size_t *stack = xmalloc0((nst + 1) * sizeof(size_t));
	size_t k = 0, top = 0;

	for (size_t i = 0; i < last && k < nst; i++) {
		char **w;
		size_t n;
		berth_error_t e2 = NULL;
		if (b->bf.v[i].kind != BF_FROM)
			continue;
		from_at[k] = i;
		if (bf_expand_words("FROM", b->bf.v[i].args[0], b->bf.escape, NULL, NULL, &w, &n,
		                    &e2) == 0) {
			if (n == 3)
				names[k] = xstrdup(w[2]);
			bf_words_free(w, n);
		}
		berth_error_release(&e2);
		k++;
	}
	from_at[nst] = last;
	if (nst == 0)
		goto out;
	needed[nst - 1] = true;
	stack[top++] = nst - 1;
	while (top > 0) {
		size_t j = stack[--top];
		for (size_t i = from_at[j]; i < from_at[j + 1]; i++) {
			const struct bf_insn *in = &b->bf.v[i];
			cleanup_free char *ref = NULL;
			bool number = false;
			if (in->kind == BF_FROM) {
				char **w;
				size_t n;
				berth_error_t e2 = NULL;
				if (bf_expand_words("FROM", in->args[0], b->bf.escape, NULL, NULL,
				                    &w, &n, &e2) == 0 &&
				    n > 0)
					ref = xstrdup(w[0]);
				if (e2 == NULL)
					bf_words_free(w, n);
				berth_error_release(&e2);
			} else if (in->kind == BF_COPY && bf_flag(in, "from")) {
				ref = xstrdup(bf_flag(in, "from"));
				number = true;
			}
			if (ref == NULL)
				continue;
			for (size_t m = 0; m < j; m++) {
				char buf[32];
				snprintf(buf, sizeof(buf), "%zu", m);
				if (needed[m])
					continue;
				if (strchr(ref, '$') ||
				    (names[m] && strcasecmp(names[m], ref) == 0) ||
				    (number && strcmp(buf, ref) == 0)) {
					needed[m] = true;
					stack[top++] = m;
				}
			}
		}
	}
out:
	for (size_t m = 0; m < nst; m++)
		free(names[m]);
	free(names);
	free(from_at);
	free(stack);
	return needed;
}
