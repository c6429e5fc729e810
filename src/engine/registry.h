/* SPDX-License-Identifier: MIT */
/* The registry client (registry.c): HTTP through libcurl, authentication (Bearer tokens and
 * Basic, credentials from an auth.json), TLS with per-registry CAs. Used by pull.c and
 * push.c. */
#ifndef BERTH_REGISTRY_H
#define BERTH_REGISTRY_H

#include "engine.h"
#include "regref.h"
#include "sha256.h"

#include "dlib.h"

#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST     "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_CONFIG   "application/vnd.docker.container.image.v1+json"
#define MT_DOCKER_LAYER    "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define MANIFEST_MAX       (4u << 20)

struct reg {
	CURL *c;
	const struct reg_opts *o;
	char *registry; /* as in the reference (the auth.json key) */
	char *base;     /* scheme://host[:port] */
	char *repo;
	char *what;       /* the reference, for messages */
	char *basic;      /* base64 user:password, or NULL */
	char *authz;      /* the Authorization header in use */
	char *ca;         /* the CA bundle with the registry's own CAs, or NULL */
	char *cert, *key; /* a client certificate (certs.d: NAME.cert and NAME.key) */
	size_t ca_len;
	bool push;
	char *mount_from;     /* push: another repository of this registry to mount blobs from */
	volatile int *cancel; /* when set and non-zero, transfers stop */
};

/* Where a response body goes: memory (up to max) or a file (exactly size bytes, whose sha256
 * must be digest). */
struct reg_sink {
	char *buf;
	size_t len, max;
	int fd;
	struct sha256 sha;
	uint64_t got, size;
	bool over;
	bool range_pending; /* a Range was asked: a 200 answer starts again */
	struct progress *pr;
};

struct reg_resp {
	long status;
	char *ctype, *location, *www, *range;
	char err[512]; /* the body of an error response, cut */
	size_t err_len;
};
void reg_resp_free(struct reg_resp *r);

struct reg_body {
	const char *data;
	size_t len;
	int fd; /* -1: data */
	const char *ctype;
};

/* Connect to ref's registry (a ping of /v2/; with tls_verify false, plain HTTP when TLS does
 * not answer) with the credentials of the auth.json, if any. */
int reg_open(struct reg *r, const struct image_ref *ref, const struct reg_opts *o, bool push,
             berth_error_t *err);
void reg_close(struct reg *r);
/* Another connection to the same registry with the same credentials and token (for a
 * thread of its own). */
int reg_clone(struct reg *dst, const struct reg *src, berth_error_t *err);
/* One request; a 401 is answered once (Bearer token or Basic). path: "/v2/…" or a URL. */
int reg_request(struct reg *r, const char *method, const char *path, const char *accept,
                const struct reg_body *body, struct reg_sink *sink, struct reg_resp *resp,
                berth_error_t *err);
/* "HTTP 404: MANIFEST_UNKNOWN manifest unknown" */
char *reg_status_text(const struct reg_resp *resp);

/* The auth.json to use: --authfile, $REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json,
 * /run/containers/<uid>/auth.json (as Podman and skopeo). */
char *reg_authfile(const struct reg_opts *o);

#endif
