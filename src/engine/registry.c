/* SPDX-License-Identifier: MIT */
/* The registry client: the OCI distribution protocol's HTTP through libcurl. Each request
 * that gets a 401 is answered once with what the WWW-Authenticate header asks for: a Bearer
 * token from the realm (anonymous, or with the auth.json's credentials), or Basic. TLS uses
 * the system CAs plus certs.d/HOST:PORT/ *.crt (as Podman and Docker); with tls_verify off,
 * certificates are not checked and plain HTTP is used when TLS does not answer. Credentials
 * are never printed or logged. */
#include "registry.h"
#include "dlib.h"
#include "log.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TOKEN_MAX (1u << 20)

void reg_resp_free(struct reg_resp *r)
{
	free(r->ctype);
	free(r->location);
	free(r->www);
	free(r->range);
	memset(r, 0, sizeof(*r));
}

char *reg_authfile(const struct reg_opts *o)
{
	const char *x;

	if (o && o->authfile)
		return xstrdup(o->authfile);
	if ((x = getenv("REGISTRY_AUTH_FILE")) && *x)
		return xstrdup(x);
	if ((x = getenv("XDG_RUNTIME_DIR")) && *x)
		return xasprintf("%s/containers/auth.json", x);
	return xasprintf("/run/containers/%u/auth.json", (unsigned)getuid());
}

/* The "auth" of the auth.json entry for registry (or registry/repo, the longest first). */
static char *reg_auth_lookup(const struct reg_opts *o, const char *registry, const char *repo)
{
	cleanup_free char *path = reg_authfile(o);
	json_t *j, *auths;
	char *key = xasprintf("%s/%s", registry, repo ? repo : "");
	char *res = NULL;

	j = json_load_file(path, 0, NULL);
	auths = json_object_get(j, "auths");
	for (;;) {
		char *slash;
		const char *a;
		a = json_string_value(json_object_get(json_object_get(auths, key), "auth"));
		if (a && *a) {
			res = xstrdup(a);
			break;
		}
		slash = strrchr(key, '/');
		if (slash == NULL)
			break;
		*slash = '\0';
	}
	if (res == NULL) {
		char *k2 = xasprintf("https://%s", registry);
		const char *a =
		    json_string_value(json_object_get(json_object_get(auths, k2), "auth"));
		if (a == NULL && strcmp(registry, "docker.io") == 0)
			a = json_string_value(json_object_get(
			    json_object_get(auths, "https://index.docker.io/v1/"), "auth"));
		if (a && *a)
			res = xstrdup(a);
		free(k2);
	}
	free(key);
	json_decref(j);
	return res;
}

/* ---- TLS: the registry's own CAs --------------------------------------------------------- */

static void reg_ca_add_dir(struct reg *r, const char *dir, bool *any)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		cleanup_free char *p = NULL;
		cleanup_free char *data = NULL;
		size_t len;
		berth_error_t e2 = NULL;
		if (n > 5 && strcmp(de->d_name + n - 5, ".cert") == 0 && r->cert == NULL) {
			/* a client certificate, with the key of the same name (as Docker) */
			cleanup_free char *kp =
			    xasprintf("%s/%.*s.key", dir, (int)(n - 5), de->d_name);
			if (access(kp, R_OK) == 0) {
				r->cert = xasprintf("%s/%s", dir, de->d_name);
				r->key = xstrdup(kp);
			}
			continue;
		}
		if (n < 5 || strcmp(de->d_name + n - 4, ".crt") != 0)
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		if (util_read_file(p, &data, &len, &e2) < 0) {
			log_warning("%s", e2->msg);
			berth_error_release(&e2);
			continue;
		}
		r->ca = xrealloc(r->ca, r->ca_len + len + 2);
		memcpy(r->ca + r->ca_len, data, len);
		r->ca_len += len;
		r->ca[r->ca_len++] = '\n';
		*any = true;
	}
	if (d)
		closedir(d);
}

static void reg_ca_load(struct reg *r)
{
	const char *dirs = getenv("BERTH_CERTS_D") ?: "/etc/containers/certs.d:/etc/docker/certs.d";
	cleanup_free char *list = xstrdup(dirs);
	bool any = false;

	for (char *save = NULL, *t = strtok_r(list, ":", &save); t;
	     t = strtok_r(NULL, ":", &save)) {
		cleanup_free char *d = xasprintf("%s/%s", t, r->registry);
		reg_ca_add_dir(r, d, &any);
	}
	if (r->o->cert_dir)
		reg_ca_add_dir(r, r->o->cert_dir, &any);
	if (!any) {
		free(r->ca);
		r->ca = NULL;
		r->ca_len = 0;
		return;
	}
	{
		/* the system's CAs too: CAINFO_BLOB replaces the default bundle */
		cleanup_free char *sys = NULL;
		size_t len;
		berth_error_t e2 = NULL;
		if (util_read_file("/etc/ssl/certs/ca-certificates.crt", &sys, &len, &e2) == 0) {
			r->ca = xrealloc(r->ca, r->ca_len + len + 1);
			memcpy(r->ca + r->ca_len, sys, len);
			r->ca_len += len;
		}
		berth_error_release(&e2);
	}
}

static void reg_setup_handle(struct reg *r, CURL *c)
{
	dl_curl.curl_easy_reset(c);
	dl_curl.curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	dl_curl.curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	dl_curl.curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	dl_curl.curl_easy_setopt(c, CURLOPT_USERAGENT, "berth/" BERTH_VERSION);
	dl_curl.curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	/* a server that stalls: less than 1 byte/s for this long ends the transfer */
	dl_curl.curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	dl_curl.curl_easy_setopt(
	    c, CURLOPT_LOW_SPEED_TIME,
	    getenv("BERTH_REGISTRY_STALL") ? atol(getenv("BERTH_REGISTRY_STALL")) : 60L);
	if (!r->o->tls_verify) {
		dl_curl.curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		dl_curl.curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	} else if (r->ca) {
		struct curl_blob b = {.data = r->ca, .len = r->ca_len, .flags = CURL_BLOB_NOCOPY};
		dl_curl.curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &b);
	}
	if (r->cert) {
		dl_curl.curl_easy_setopt(c, CURLOPT_SSLCERT, r->cert);
		dl_curl.curl_easy_setopt(c, CURLOPT_SSLKEY, r->key);
	}
}

/* ---- requests ---------------------------------------------------------------------------- */

struct reg_xfer {
	CURL *c;
	struct reg_sink *sink;
	struct reg_resp *resp;
	const struct reg_body *body;
	size_t body_off;
};

static size_t reg_write(char *data, size_t size, size_t nm, void *arg)
{
	struct reg_xfer *x = arg;
	struct reg_sink *s = x->sink;
	size_t n = size * nm;
	long code = 0;

	dl_curl.curl_easy_getinfo(x->c, CURLINFO_RESPONSE_CODE, &code);
	if (code < 200 || code >= 300 || s == NULL) {
		size_t room = sizeof(x->resp->err) - 1 - x->resp->err_len;
		size_t k = n < room ? n : room;
		memcpy(x->resp->err + x->resp->err_len, data, k);
		x->resp->err_len += k;
		return n;
	}
	if (s->fd >= 0) {
		if (s->range_pending) {
			s->range_pending = false;
			if (code == 200 &&
			    (ftruncate(s->fd, 0) < 0 || lseek(s->fd, 0, SEEK_SET) < 0))
				return 0;
			if (code == 200) {
				sha256_init(&s->sha);
				s->got = 0;
			}
		}
		if (s->got + n > s->size) {
			s->over = true;
			return 0;
		}
		sha256_update(&s->sha, data, n);
		if (util_write_all(s->fd, data, n) < 0)
			return 0;
		s->got += n;
		if (s->pr)
			progress_add(s->pr, n);
		return n;
	}
	if (s->len + n > s->max) {
		s->over = true;
		return 0;
	}
	s->buf = xrealloc(s->buf, s->len + n + 1);
	memcpy(s->buf + s->len, data, n);
	s->len += n;
	s->buf[s->len] = '\0';
	return n;
}

static char *reg_header_value(const char *line, size_t n, const char *name)
{
	size_t k = strlen(name);
	const char *v;

	if (n <= k + 1 || strncasecmp(line, name, k) != 0 || line[k] != ':')
		return NULL;
	v = line + k + 1;
	while (v < line + n && (*v == ' ' || *v == '\t'))
		v++;
	n -= (size_t)(v - line);
	while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' '))
		n--;
	return strndup(v, n);
}

static size_t reg_header(char *line, size_t size, size_t nm, void *arg)
{
	struct reg_xfer *x = arg;
	size_t n = size * nm;
	char *v;

	/* a new response (after a redirect): forget the last one's headers */
	if (n > 5 && strncmp(line, "HTTP/", 5) == 0) {
		free(x->resp->ctype);
		free(x->resp->location);
		free(x->resp->www);
		free(x->resp->range);
		x->resp->ctype = x->resp->location = x->resp->www = x->resp->range = NULL;
		return n;
	}
	if ((v = reg_header_value(line, n, "content-type"))) {
		free(x->resp->ctype);
		x->resp->ctype = v;
	} else if ((v = reg_header_value(line, n, "location"))) {
		free(x->resp->location);
		x->resp->location = v;
	} else if ((v = reg_header_value(line, n, "www-authenticate"))) {
		/* the first challenge */
		if (x->resp->www == NULL)
			x->resp->www = v;
		else
			free(v);
	} else if ((v = reg_header_value(line, n, "range"))) {
		free(x->resp->range);
		x->resp->range = v;
	}
	return n;
}

static size_t reg_read(char *buf, size_t size, size_t nm, void *arg)
{
	struct reg_xfer *x = arg;
	size_t n = size * nm;

	if (x->body->fd >= 0) {
		ssize_t k;
		do
			k = read(x->body->fd, buf, n);
		while (k < 0 && errno == EINTR);
		return k < 0 ? CURL_READFUNC_ABORT : (size_t)k;
	}
	if (n > x->body->len - x->body_off)
		n = x->body->len - x->body_off;
	memcpy(buf, x->body->data + x->body_off, n);
	x->body_off += n;
	return n;
}

char *reg_status_text(const struct reg_resp *resp)
{
	json_t *j = json_loadb(resp->err, resp->err_len, 0, NULL);
	json_t *e0 = json_array_get(json_object_get(j, "errors"), 0);
	const char *code = json_string_value(json_object_get(e0, "code"));
	const char *msg = json_string_value(json_object_get(e0, "message"));
	char *t;

	if (code)
		t = xasprintf("HTTP %ld: %s%s%s", resp->status, code, msg ? " " : "",
		              msg ? msg : "");
	else
		t = xasprintf("HTTP %ld", resp->status);
	json_decref(j);
	return t;
}

static void reg_sink_reset(struct reg_sink *s)
{
	if (s == NULL)
		return;
	s->over = false;
	if (s->fd >= 0) {
		if (ftruncate(s->fd, 0) == 0)
			lseek(s->fd, 0, SEEK_SET);
		sha256_init(&s->sha);
		s->got = 0;
	} else {
		free(s->buf);
		s->buf = NULL;
		s->len = 0;
	}
}

static int reg_xferinfo(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	const struct reg *r = arg;

	(void)dt, (void)dn, (void)ut, (void)un;
	return r->cancel && *r->cancel ? 1 : 0;
}

static int reg_perform(struct reg *r, CURL *c, const char *method, const char *url,
                       struct curl_slist *hdrs, const struct reg_body *body, struct reg_sink *sink,
                       struct reg_resp *resp, berth_error_t *err)
{
	struct reg_xfer x = {.c = c, .sink = sink, .resp = resp, .body = body};
	CURLcode rc;

	reg_setup_handle(r, c);
	dl_curl.curl_easy_setopt(c, CURLOPT_URL, url);
	dl_curl.curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	dl_curl.curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, reg_write);
	dl_curl.curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
	dl_curl.curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, reg_header);
	dl_curl.curl_easy_setopt(c, CURLOPT_HEADERDATA, &x);
	/* blobs are often redirected to storage: follow, but not forever. libcurl does not
	 * send a custom Authorization header to another host. */
	dl_curl.curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, strcmp(method, "GET") == 0 ? 1L : 0L);
	dl_curl.curl_easy_setopt(c, CURLOPT_MAXREDIRS, 8L);
	if (r->cancel) {
		dl_curl.curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
		dl_curl.curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, reg_xferinfo);
		dl_curl.curl_easy_setopt(c, CURLOPT_XFERINFODATA, r);
	}
	if (strcmp(method, "HEAD") == 0) {
		dl_curl.curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (strcmp(method, "GET") != 0) {
		dl_curl.curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
		if (body) {
			dl_curl.curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
			dl_curl.curl_easy_setopt(c, CURLOPT_READFUNCTION, reg_read);
			dl_curl.curl_easy_setopt(c, CURLOPT_READDATA, &x);
			dl_curl.curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE,
			                         (curl_off_t)body->len);
		} else {
			dl_curl.curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
			dl_curl.curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
		}
	}
	rc = dl_curl.curl_easy_perform(c);
	dl_curl.curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
	resp->err[resp->err_len] = '\0';
	if (rc != CURLE_OK) {
		if (sink && sink->over)
			return berth_error(err, 0, "%s %s: larger than %llu bytes", method, url,
			                   sink->fd >= 0 ? (unsigned long long)sink->size
			                                 : (unsigned long long)sink->max);
		return berth_error(err, 0, "%s %s: %s", method, url,
		                   dl_curl.curl_easy_strerror(rc));
	}
	return 0;
}

static char *reg_url(struct reg *r, const char *path)
{
	if (strncmp(path, "http://", 7) == 0 || strncmp(path, "https://", 8) == 0)
		return xstrdup(path);
	return xasprintf("%s%s", r->base, path);
}

static char *reg_urlencode(CURL *c, const char *s)
{
	char *e = dl_curl.curl_easy_escape(c, s, 0);
	char *r = xstrdup(e ? e : "");
	dl_curl.curl_free(e);
	return r;
}

/* A Bearer token from the realm for this repository's scope. */
static int reg_bearer(struct reg *r, const struct www_auth *w, berth_error_t *err)
{
	CURL *c = dl_curl.curl_easy_init();
	cleanup_free char *url = NULL;
	cleanup_free char *svc = NULL;
	cleanup_free char *scope = NULL;
	cleanup_free char *scope_e = NULL;
	struct curl_slist *h = NULL;
	struct reg_sink sink = {.fd = -1, .max = TOKEN_MAX};
	struct reg_resp resp = {0};
	json_t *j = NULL;
	const char *tok;
	int ret = -1;

	if (c == NULL)
		return berth_error(err, 0, "curl_easy_init failed");
	if (w->realm == NULL ||
	    (strncmp(w->realm, "https://", 8) != 0 && strncmp(w->realm, "http://", 7) != 0)) {
		berth_error(err, 0,
		            "the registry asks for a token from realm `%s`: not an http(s) URL",
		            w->realm ? w->realm : "");
		goto out;
	}
	scope = xasprintf("repository:%s:%s", r->repo, r->push ? "pull,push" : "pull");
	scope_e = reg_urlencode(c, scope);
	svc = w->service ? reg_urlencode(c, w->service) : NULL;
	if (r->mount_from) {
		/* pull access to the repository blobs are mounted from, in the same token */
		cleanup_free char *s2 = xasprintf("repository:%s:pull", r->mount_from);
		cleanup_free char *s2e = reg_urlencode(c, s2);
		char *both = xasprintf("%s&scope=%s", scope_e, s2e);
		free(scope_e);
		scope_e = both;
	}
	url = xasprintf("%s%sscope=%s%s%s", w->realm, strchr(w->realm, '?') ? "&" : "?", scope_e,
	                svc ? "&service=" : "", svc ? svc : "");
	if (r->basic) {
		cleanup_free char *a = xasprintf("Authorization: Basic %s", r->basic);
		h = dl_curl.curl_slist_append(h, a);
	}
	if (reg_perform(r, c, "GET", url, h, NULL, &sink, &resp, err) < 0) {
		berth_error_prefix(err, "token");
		goto out;
	}
	if (resp.status == 401 || resp.status == 403) {
		berth_error(err, 0, "token server %s refused %s (HTTP %ld)%s", w->realm,
		            r->basic ? "the credentials" : "anonymous access", resp.status,
		            r->basic ? "" : " (berth login REGISTRY)");
		goto out;
	}
	if (resp.status != 200) {
		berth_error(err, 0, "token server %s: HTTP %ld", w->realm, resp.status);
		goto out;
	}
	j = json_loadb(sink.buf ? sink.buf : "", sink.len, 0, NULL);
	tok = json_string_value(json_object_get(j, "token"));
	if (tok == NULL)
		tok = json_string_value(json_object_get(j, "access_token"));
	if (tok == NULL || *tok == '\0' || strpbrk(tok, "\r\n")) {
		berth_error(err, 0, "token server %s: no token in its answer", w->realm);
		goto out;
	}
	free(r->authz);
	r->authz = xasprintf("Bearer %s", tok);
	ret = 0;
out:
	json_decref(j);
	free(sink.buf);
	reg_resp_free(&resp);
	dl_curl.curl_slist_free_all(h);
	dl_curl.curl_easy_cleanup(c);
	return ret;
}

static int reg_answer(struct reg *r, const char *www, berth_error_t *err)
{
	struct www_auth w;
	int ret;

	if (www == NULL)
		return berth_error(err, 0, "HTTP 401 without a WWW-Authenticate challenge");
	if (www_auth_parse(www, &w, err) < 0)
		return -1;
	if (strcmp(w.scheme, "bearer") == 0) {
		ret = reg_bearer(r, &w, err);
	} else if (strcmp(w.scheme, "basic") == 0) {
		if (r->basic == NULL) {
			ret = berth_error(err, 0,
			                  "authentication required (berth login %s, or --authfile)",
			                  r->registry);
		} else {
			free(r->authz);
			r->authz = xasprintf("Basic %s", r->basic);
			ret = 0;
		}
	} else {
		ret = berth_error(err, 0, "unsupported authentication scheme `%s`", w.scheme);
	}
	www_auth_free(&w);
	return ret;
}

int reg_request(struct reg *r, const char *method, const char *path, const char *accept,
                const struct reg_body *body, struct reg_sink *sink, struct reg_resp *resp,
                berth_error_t *err)
{
	cleanup_free char *url = reg_url(r, path);

	for (int attempt = 0;; attempt++) {
		struct curl_slist *h = NULL;
		int ret;
		if (accept) {
			cleanup_free char *a = xasprintf("Accept: %s", accept);
			h = dl_curl.curl_slist_append(h, a);
		}
		if (r->authz) {
			cleanup_free char *a = xasprintf("Authorization: %s", r->authz);
			h = dl_curl.curl_slist_append(h, a);
		}
		if (body && body->ctype) {
			cleanup_free char *a = xasprintf("Content-Type: %s", body->ctype);
			h = dl_curl.curl_slist_append(h, a);
		}
		if (sink && sink->fd >= 0 && sink->got > 0) {
			cleanup_free char *a =
			    xasprintf("Range: bytes=%llu-", (unsigned long long)sink->got);
			h = dl_curl.curl_slist_append(h, a);
			sink->range_pending = true;
		}
		reg_resp_free(resp);
		ret = reg_perform(r, r->c, method, url, h, body, sink, resp, err);
		dl_curl.curl_slist_free_all(h);
		if (ret < 0)
			return -1;
		if (resp->status != 401 || attempt > 0)
			return 0;
		if (reg_answer(r, resp->www, err) < 0)
			return -1;
		if (body && body->fd >= 0 && lseek(body->fd, 0, SEEK_SET) < 0)
			return berth_error(err, errno, "seek");
		reg_sink_reset(sink);
	}
}

int reg_open(struct reg *r, const struct image_ref *ref, const struct reg_opts *o, bool push,
             berth_error_t *err)
{
	struct reg_resp resp = {0};
	berth_error_t e2 = NULL;
	int ret;

	memset(r, 0, sizeof(*r));
	if (dlib_curl_load(err) < 0)
		return -1;
	r->o = o;
	r->push = push;
	r->registry = xstrdup(ref->registry);
	r->repo = xstrdup(ref->repo);
	r->what = ref_string(ref);
	r->basic = reg_auth_lookup(o, ref->registry, ref->repo);
	r->c = dl_curl.curl_easy_init();
	if (r->c == NULL)
		return berth_error(err, 0, "curl_easy_init failed");
	reg_ca_load(r);
	r->base = xasprintf("https://%s", ref_endpoint(ref->registry));
	{
		/* the ping: GET /v2/ */
		cleanup_free char *url = xasprintf("%s/v2/", r->base);
		ret = reg_perform(r, r->c, "GET", url, NULL, NULL, NULL, &resp, &e2);
	}
	if (ret < 0 && !o->tls_verify) {
		cleanup_free char *url = NULL;
		berth_error_release(&e2);
		free(r->base);
		r->base = xasprintf("http://%s", ref_endpoint(ref->registry));
		url = xasprintf("%s/v2/", r->base);
		ret = reg_perform(r, r->c, "GET", url, NULL, NULL, NULL, &resp, &e2);
	}
	if (ret < 0) {
		berth_error(err, 0, "registry %s: %s%s", r->registry, e2->msg,
		            o->tls_verify ? " (--tls-verify=false for a plain HTTP registry)" : "");
		berth_error_release(&e2);
		reg_resp_free(&resp);
		return -1;
	}
	if (resp.status != 200 && resp.status != 401) {
		cleanup_free char *t = reg_status_text(&resp);
		reg_resp_free(&resp);
		return berth_error(err, 0, "registry %s: GET /v2/: %s (not a registry?)",
		                   r->registry, t);
	}
	reg_resp_free(&resp);
	return 0;
}

static char *xstrdup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

int reg_clone(struct reg *d, const struct reg *s, berth_error_t *err)
{
	memset(d, 0, sizeof(*d));
	d->o = s->o;
	d->registry = xstrdup(s->registry);
	d->base = xstrdup(s->base);
	d->repo = xstrdup(s->repo);
	d->what = xstrdup(s->what);
	d->basic = xstrdup_or_null(s->basic);
	d->authz = xstrdup_or_null(s->authz);
	if (s->ca) {
		d->ca = xmalloc0(s->ca_len);
		memcpy(d->ca, s->ca, s->ca_len);
		d->ca_len = s->ca_len;
	}
	d->cert = xstrdup_or_null(s->cert);
	d->key = xstrdup_or_null(s->key);
	d->push = s->push;
	d->mount_from = xstrdup_or_null(s->mount_from);
	d->cancel = s->cancel;
	d->c = dl_curl.curl_easy_init();
	if (d->c == NULL)
		return berth_error(err, 0, "curl_easy_init failed");
	return 0;
}

void reg_close(struct reg *r)
{
	if (r->c)
		dl_curl.curl_easy_cleanup(r->c);
	free(r->registry);
	free(r->base);
	free(r->repo);
	free(r->what);
	free(r->basic);
	free(r->authz);
	free(r->ca);
	free(r->mount_from);
	free(r->cert);
	free(r->key);
	memset(r, 0, sizeof(*r));
}

/* ---- login and logout --------------------------------------------------------------------- */

static int reg_authfile_update(const struct reg_opts *o, const char *registry, const char *auth,
                               berth_error_t *err)
{
	cleanup_free char *path = reg_authfile(o);
	cleanup_free char *dir = xstrdup(path);
	cleanup_free char *text = NULL;
	json_t *j = NULL, *auths;
	json_error_t je;
	int ret;

	if (access(path, F_OK) == 0) {
		j = json_load_file(path, 0, &je);
		if (j == NULL || !json_is_object(j)) {
			json_decref(j);
			return berth_error(err, 0, "%s: %s", path,
			                   j ? "expected a JSON object" : je.text);
		}
	} else {
		j = json_object();
	}
	auths = json_object_get(j, "auths");
	if (!json_is_object(auths)) {
		auths = json_object();
		json_object_set_new(j, "auths", auths);
	}
	if (auth) {
		json_object_set_new(auths, registry, json_pack("{s:s}", "auth", auth));
	} else if (json_object_get(auths, registry) == NULL) {
		json_decref(j);
		return berth_error(err, 0, "not logged in to %s (no entry in %s)", registry, path);
	} else {
		json_object_del(auths, registry);
	}
	text = json_dumps(j, JSON_INDENT(1));
	json_decref(j);
	if (strrchr(dir, '/'))
		*strrchr(dir, '/') = '\0';
	if (*dir && util_mkdir_p(dir, 0700, err) < 0)
		return -1;
	ret = util_write_file_atomic(path, text, strlen(text), 0600, err);
	explicit_bzero(text, strlen(text));
	return ret;
}

int registry_login(const char *registry, const char *user, const char *pass,
                   const struct reg_opts *o, berth_error_t *err)
{
	struct image_ref ref = {0};
	struct reg r;
	struct reg_resp resp = {0};
	cleanup_free char *up = NULL;
	int ret = -1;

	if (strchr(registry, '/') || strchr(registry, '@'))
		return berth_error(err, 0, "bad registry `%s`: expected HOST[:PORT]", registry);
	{
		/* a dummy repository: scopes need one */
		cleanup_free char *s = xasprintf("%s/berth-login", registry);
		if (ref_parse(s, &ref, err) < 0)
			return -1;
	}
	if (ref.registry == NULL) {
		ref_free(&ref);
		return berth_error(err, 0, "bad registry `%s`: expected HOST[:PORT]", registry);
	}
	if (reg_open(&r, &ref, o, false, err) < 0)
		goto out;
	up = xasprintf("%s:%s", user, pass);
	free(r.basic);
	r.basic = base64_encode(up, strlen(up));
	explicit_bzero(up, strlen(up));
	if (reg_request(&r, "GET", "/v2/", NULL, NULL, NULL, &resp, err) < 0)
		goto out;
	if (resp.status == 401) {
		berth_error(err, 0, "%s refused the credentials for `%s`", registry, user);
		goto out;
	}
	if (resp.status != 200) {
		cleanup_free char *t = reg_status_text(&resp);
		berth_error(err, 0, "%s: GET /v2/: %s", registry, t);
		goto out;
	}
	ret = reg_authfile_update(o, registry, r.basic, err);
out:
	reg_resp_free(&resp);
	if (r.basic)
		explicit_bzero(r.basic, strlen(r.basic));
	reg_close(&r);
	ref_free(&ref);
	return ret;
}

int registry_logout(const char *registry, const struct reg_opts *o, berth_error_t *err)
{
	return reg_authfile_update(o, registry, NULL, err);
}
