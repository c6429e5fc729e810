/* SPDX-License-Identifier: MIT */
/* Image references, platforms, WWW-Authenticate, registries.conf search lists, base64: the
 * pure parts of the registry client (registry.c), tested in tests/unit/engine/. */
#include "regref.h"
#include "util.h"

#include <ctype.h>
#include <string.h>
#include <sys/utsname.h>

/* ---- references ------------------------------------------------------------------------ */

static bool ref_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* One path component: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)* */
static bool ref_component_ok(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 0 || !ref_alnum(s[0]) || !ref_alnum(s[n - 1]))
		return false;
	while (i < n) {
		if (ref_alnum(s[i])) {
			i++;
			continue;
		}
		if (s[i] == '.' || (s[i] == '_' && (i + 1 < n && s[i + 1] != '_'))) {
			i++;
		} else if (s[i] == '_' && i + 1 < n && s[i + 1] == '_') {
			i += 2;
		} else if (s[i] == '-') {
			while (i < n && s[i] == '-')
				i++;
		} else {
			return false;
		}
		if (i >= n || !ref_alnum(s[i]))
			return false;
	}
	return true;
}

/* host[:port]: letters, digits, '.', '-'; or [ipv6][:port] */
static bool ref_host_ok(const char *s, size_t n)
{
	size_t i = 0, hl;
	const char *colon;

	if (n == 0 || n > 255)
		return false;
	if (s[0] == '[') {
		const char *close = memchr(s, ']', n);
		if (close == NULL || close == s + 1)
			return false;
		for (const char *p = s + 1; p < close; p++)
			if (!isxdigit((unsigned char)*p) && *p != ':' && *p != '.')
				return false;
		i = (size_t)(close - s) + 1;
		if (i == n)
			return true;
		if (s[i] != ':')
			return false;
		colon = s + i;
	} else {
		colon = memchr(s, ':', n);
		hl = colon ? (size_t)(colon - s) : n;
		if (hl == 0)
			return false;
		for (i = 0; i < hl; i++)
			if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '-')
				return false;
		if (s[0] == '-' || s[0] == '.' || s[hl - 1] == '-' || s[hl - 1] == '.')
			return false;
	}
	if (colon) {
		size_t pl = n - (size_t)(colon - s) - 1;
		if (pl == 0 || pl > 5 || strspn(colon + 1, "0123456789") < pl)
			return false;
	}
	return true;
}

static bool ref_tag_ok(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > 128)
		return false;
	if (!isalnum((unsigned char)t[0]) && t[0] != '_')
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)t[i]) && t[i] != '_' && t[i] != '.' && t[i] != '-')
			return false;
	return true;
}

static bool ref_digest_ok(const char *d)
{
	return strncmp(d, "sha256:", 7) == 0 && strlen(d + 7) == 64 &&
	       strspn(d + 7, "0123456789abcdef") == 64;
}

void ref_free(struct image_ref *r)
{
	free(r->registry);
	free(r->repo);
	free(r->tag);
	free(r->digest);
	memset(r, 0, sizeof(*r));
}

int ref_parse(const char *s, struct image_ref *out, berth_error_t *err)
{
	cleanup_free char *name = NULL;
	const char *at = strchr(s, '@');
	char *slash, *colon, *p, *repo;

	memset(out, 0, sizeof(*out));
	if (*s == '\0' || strlen(s) > 1024)
		return berth_error(err, 0, "bad image reference `%s`: empty or too long", s);
	if (at) {
		if (!ref_digest_ok(at + 1))
			return berth_error(
			    err, 0, "bad image reference `%s`: expected @sha256: and 64 hex digits",
			    s);
		out->digest = xstrdup(at + 1);
		name = strndup(s, (size_t)(at - s));
	} else {
		name = xstrdup(s);
	}
	/* a tag is after the last ':' that comes after the last '/' */
	slash = strrchr(name, '/');
	colon = strrchr(name, ':');
	if (colon && (slash == NULL || colon > slash)) {
		*colon = '\0';
		if (!ref_tag_ok(colon + 1)) {
			ref_free(out);
			return berth_error(
			    err, 0,
			    "bad image reference `%s`: bad tag `%s` (letters, digits, "
			    "_ . -, at most 128)",
			    s, colon + 1);
		}
		out->tag = xstrdup(colon + 1);
	}
	/* a registry is a first component with a '.' or ':' or that is "localhost" */
	repo = name;
	slash = strchr(name, '/');
	if (slash) {
		size_t hl = (size_t)(slash - name);
		if (memchr(name, '.', hl) || memchr(name, ':', hl) || memchr(name, '[', hl) ||
		    (hl == 9 && strncmp(name, "localhost", 9) == 0)) {
			if (!ref_host_ok(name, hl)) {
				ref_free(out);
				return berth_error(err, 0,
				                   "bad image reference `%s`: bad registry `%.*s`",
				                   s, (int)hl, name);
			}
			out->registry = strndup(name, hl);
			repo = slash + 1;
		}
	}
	if (strlen(repo) > 255) {
		ref_free(out);
		return berth_error(err, 0, "bad image reference `%s`: name over 255 characters", s);
	}
	for (p = repo;;) {
		char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (!ref_component_ok(p, n)) {
			ref_free(out);
			return berth_error(err, 0,
			                   "bad image reference `%s`: bad name component `%.*s` "
			                   "(lower case letters, digits, separators . _ __ -)",
			                   s, (int)n, p);
		}
		if (e == NULL)
			break;
		p = e + 1;
	}
	out->repo = xstrdup(repo);
	if (out->tag == NULL && out->digest == NULL)
		out->tag = xstrdup("latest");
	return 0;
}

char *ref_string(const struct image_ref *r)
{
	return xasprintf("%s%s%s%s%s%s%s", r->registry ? r->registry : "", r->registry ? "/" : "",
	                 r->repo, r->tag ? ":" : "", r->tag ? r->tag : "", r->digest ? "@" : "",
	                 r->digest ? r->digest : "");
}

char *ref_name(const struct image_ref *r)
{
	if (r->digest)
		return xasprintf("%s%s%s@%s", r->registry ? r->registry : "",
		                 r->registry ? "/" : "", r->repo, r->digest);
	return xasprintf("%s%s%s:%s", r->registry ? r->registry : "", r->registry ? "/" : "",
	                 r->repo, r->tag);
}

int ref_qualify(const struct image_ref *sr, const char *registry, struct image_ref *out,
                berth_error_t *err)
{
	if (!ref_host_ok(registry, strlen(registry)))
		return berth_error(err, 0, "bad search registry `%s`", registry);
	memset(out, 0, sizeof(*out));
	out->registry = xstrdup(registry);
	if (strcmp(registry, "docker.io") == 0 && strchr(sr->repo, '/') == NULL)
		out->repo = xasprintf("library/%s", sr->repo);
	else
		out->repo = xstrdup(sr->repo);
	out->tag = sr->tag ? xstrdup(sr->tag) : NULL;
	out->digest = sr->digest ? xstrdup(sr->digest) : NULL;
	return 0;
}

const char *ref_endpoint(const char *registry)
{
	return strcmp(registry, "docker.io") == 0 ? "registry-1.docker.io" : registry;
}

/* ---- platforms ------------------------------------------------------------------------- */

static bool platform_word_ok(const char *s, size_t n)
{
	if (n == 0 || n >= 32)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-' && s[i] != '.')
			return false;
	return true;
}

int platform_parse(const char *s, struct platform *p, berth_error_t *err)
{
	const char *a = strchr(s, '/');
	const char *v = a ? strchr(a + 1, '/') : NULL;
	size_t on = a ? (size_t)(a - s) : 0;
	size_t an = a ? (v ? (size_t)(v - a - 1) : strlen(a + 1)) : 0;
	size_t vn = v ? strlen(v + 1) : 0;

	memset(p, 0, sizeof(*p));
	if (a == NULL || !platform_word_ok(s, on) || !platform_word_ok(a + 1, an) ||
	    (v && !platform_word_ok(v + 1, vn)))
		return berth_error(err, 0, "bad --platform `%s`: expected OS/ARCH[/VARIANT]", s);
	memcpy(p->os, s, on);
	memcpy(p->arch, a + 1, an);
	if (v)
		memcpy(p->variant, v + 1, vn);
	return 0;
}

int platform_check(const char *platform, berth_error_t *err)
{
	struct platform p;

	return platform_parse(platform, &p, err);
}

void platform_host(struct platform *p)
{
	struct utsname u;
	static const char *const map[][3] = {
	    {"x86_64", "amd64", ""}, {"aarch64", "arm64", ""}, {"riscv64", "riscv64", ""},
	    {"i686", "386", ""},     {"armv7l", "arm", "v7"},  {"ppc64le", "ppc64le", ""},
	    {"s390x", "s390x", ""},
	};

	memset(p, 0, sizeof(*p));
	strcpy(p->os, "linux");
	uname(&u);
	snprintf(p->arch, sizeof(p->arch), "%.31s", u.machine);
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (strcmp(u.machine, map[i][0]) == 0) {
			snprintf(p->arch, sizeof(p->arch), "%s", map[i][1]);
			snprintf(p->variant, sizeof(p->variant), "%s", map[i][2]);
		}
}

void platform_format(const struct platform *p, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s%s%s", p->os, p->arch, p->variant[0] ? "/" : "", p->variant);
}

/* arm64's variant defaults to v8, as in containerd's normalisation */
static bool platform_variant_match(const char *arch, const char *want, const char *have)
{
	if (want[0] == '\0')
		return true;
	if (strcmp(want, have) == 0)
		return true;
	return strcmp(arch, "arm64") == 0 && have[0] == '\0' && strcmp(want, "v8") == 0;
}

bool platform_matches(const struct platform *want, const char *os, const char *arch,
                      const char *variant)
{
	return strcmp(os, want->os) == 0 && strcmp(arch, want->arch) == 0 &&
	       platform_variant_match(arch, want->variant, variant);
}

/* An index entry's platform, NULL for none or an attestation's unknown/unknown. */
static json_t *platform_of_entry(json_t *d)
{
	json_t *p = json_object_get(d, "platform");
	const char *os = json_string_value(json_object_get(p, "os")) ?: "";
	const char *arch = json_string_value(json_object_get(p, "architecture")) ?: "";

	if (!json_is_object(p) || (strcmp(os, "unknown") == 0 && strcmp(arch, "unknown") == 0))
		return NULL;
	return p;
}

char *platform_list(json_t *manifests)
{
	char *have = xstrdup("");
	json_t *d;
	size_t i;

	json_array_foreach(manifests, i, d)
	{
		json_t *p = platform_of_entry(d);
		const char *var = json_string_value(json_object_get(p, "variant")) ?: "";
		char *n;
		if (p == NULL)
			continue;
		n = xasprintf("%s%s%s/%s%s%s", have, have[0] ? ", " : "",
		              json_string_value(json_object_get(p, "os")) ?: "",
		              json_string_value(json_object_get(p, "architecture")) ?: "",
		              var[0] ? "/" : "", var);
		free(have);
		have = n;
	}
	if (have[0] == '\0') {
		free(have);
		have = xstrdup("no platforms");
	}
	return have;
}

long platform_select(json_t *manifests, const struct platform *want, berth_error_t *err)
{
	json_t *d;
	size_t i;
	long best = -1;
	int best_score = -1;
	char wbuf[100];
	cleanup_free char *have = NULL;

	json_array_foreach(manifests, i, d)
	{
		json_t *p = platform_of_entry(d);
		const char *os = json_string_value(json_object_get(p, "os")) ?: "";
		const char *arch = json_string_value(json_object_get(p, "architecture")) ?: "";
		const char *var = json_string_value(json_object_get(p, "variant")) ?: "";
		int score;
		if (p == NULL)
			continue;
		if (!platform_matches(want, os, arch, var))
			continue;
		/* an exact variant beats a default one */
		score = strcmp(var, want->variant) == 0 ? 2 : 1;
		if (score > best_score) {
			best_score = score;
			best = (long)i;
		}
	}
	if (best >= 0)
		return best;
	platform_format(want, wbuf, sizeof(wbuf));
	have = platform_list(manifests);
	berth_error(err, 0, "no image for %s in the index (it has: %s)", wbuf, have);
	return -1;
}

/* ---- WWW-Authenticate ------------------------------------------------------------------ */

void www_auth_free(struct www_auth *w)
{
	free(w->realm);
	free(w->service);
	free(w->scope);
	memset(w, 0, sizeof(*w));
}

int www_auth_parse(const char *hdr, struct www_auth *out, berth_error_t *err)
{
	const char *p = hdr;
	size_t n;

	memset(out, 0, sizeof(*out));
	while (*p == ' ')
		p++;
	n = strcspn(p, " ");
	if (n == 0 || n >= sizeof(out->scheme))
		return berth_error(err, 0, "bad WWW-Authenticate `%s`", hdr);
	for (size_t i = 0; i < n; i++)
		out->scheme[i] = (char)tolower((unsigned char)p[i]);
	p += n;
	while (*p) {
		char key[32];
		cleanup_free char *val = NULL;
		size_t kn, vl = 0;
		while (*p == ' ' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		kn = strcspn(p, "= ,");
		if (p[kn] != '=' || kn == 0 || kn >= sizeof(key)) {
			www_auth_free(out);
			return berth_error(err, 0, "bad WWW-Authenticate `%s`", hdr);
		}
		for (size_t i = 0; i < kn; i++)
			key[i] = (char)tolower((unsigned char)p[i]);
		key[kn] = '\0';
		p += kn + 1;
		val = xmalloc0(strlen(p) + 1);
		if (*p == '"') {
			p++;
			while (*p && *p != '"') {
				if (*p == '\\' && p[1])
					p++;
				val[vl++] = *p++;
			}
			if (*p != '"') {
				www_auth_free(out);
				return berth_error(
				    err, 0, "bad WWW-Authenticate `%s`: unterminated quote", hdr);
			}
			p++;
		} else {
			while (*p && *p != ',' && *p != ' ')
				val[vl++] = *p++;
		}
		if (strcmp(key, "realm") == 0 && !out->realm)
			out->realm = xstrdup(val);
		else if (strcmp(key, "service") == 0 && !out->service)
			out->service = xstrdup(val);
		else if (strcmp(key, "scope") == 0 && !out->scope)
			out->scope = xstrdup(val);
	}
	return 0;
}

/* ---- registries.conf ------------------------------------------------------------------- */

int regconf_search(const char *text, const char *file, char ***out, size_t *n, berth_error_t *err)
{
	static const char key[] = "unqualified-search-registries";
	const char *p = text;

	*out = NULL;
	*n = 0;
	while (p && *p) {
		const char *line = p;
		const char *nl = strchr(p, '\n');
		p = nl ? nl + 1 : NULL;
		while (*line == ' ' || *line == '\t')
			line++;
		if (*line == '[') /* a table: the key must be at the top level */
			break;
		if (strncmp(line, key, sizeof(key) - 1) != 0)
			continue;
		line += sizeof(key) - 1;
		while (*line == ' ' || *line == '\t')
			line++;
		if (*line++ != '=')
			continue;
		while (*line == ' ' || *line == '\t')
			line++;
		if (*line != '[')
			return berth_error(err, 0, "%s: %s: expected an array of strings", file,
			                   key);
		line++;
		for (;;) {
			const char *q;
			while (*line == ' ' || *line == '\t' || *line == '\n' || *line == '\r' ||
			       *line == ',')
				line++;
			if (*line == '#') {
				line = strchr(line, '\n');
				if (line == NULL)
					break;
				continue;
			}
			if (*line == ']')
				return 0;
			if (*line != '"' && *line != '\'')
				break;
			q = strchr(line + 1, *line);
			if (q == NULL || memchr(line + 1, '\n', (size_t)(q - line - 1)))
				break;
			*out = xrealloc(*out, (*n + 1) * sizeof(char *));
			(*out)[(*n)++] = strndup(line + 1, (size_t)(q - line - 1));
			line = q + 1;
		}
		for (size_t i = 0; i < *n; i++)
			free((*out)[i]);
		free(*out);
		*out = NULL;
		*n = 0;
		return berth_error(err, 0, "%s: %s: expected an array of strings", file, key);
	}
	return 0;
}

/* ---- base64 ------------------------------------------------------------------------------ */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *base64_encode(const void *data, size_t len)
{
	const unsigned char *s = data;
	char *o = xmalloc0((len + 2) / 3 * 4 + 1);
	size_t j = 0;

	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)s[i] << 16;
		if (i + 1 < len)
			v |= (unsigned)s[i + 1] << 8;
		if (i + 2 < len)
			v |= s[i + 2];
		o[j++] = b64[(v >> 18) & 63];
		o[j++] = b64[(v >> 12) & 63];
		o[j++] = i + 1 < len ? b64[(v >> 6) & 63] : '=';
		o[j++] = i + 2 < len ? b64[v & 63] : '=';
	}
	o[j] = '\0';
	return o;
}

char *base64_decode(const char *s, size_t *len)
{
	size_t n = strlen(s), j = 0;
	unsigned v = 0;
	int bits = 0, pad = 0;
	char *o;

	if (n % 4 != 0)
		return NULL;
	o = xmalloc0(n / 4 * 3 + 1);
	for (size_t i = 0; i < n; i++) {
		const char *c = strchr(b64, s[i]);
		if (s[i] == '=' && i >= n - 2) {
			pad++;
			continue;
		}
		if (c == NULL || s[i] == '\0' || pad) {
			free(o);
			return NULL;
		}
		v = (v << 6) | (unsigned)(c - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			o[j++] = (char)((v >> bits) & 0xff);
		}
	}
	o[j] = '\0';
	if (len)
		*len = j;
	return o;
}
