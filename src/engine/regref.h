/* SPDX-License-Identifier: MIT */
/* The pure parts of talking to registries (regref.c), unit-tested on their own: image
 * references as Docker and Podman spell them, platforms and their choice in an image index,
 * WWW-Authenticate challenges, the search list of a registries.conf, base64. */
#ifndef BERTH_REGREF_H
#define BERTH_REGREF_H

#include "error.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* registry host[:port] / repo [:tag] [@sha256:hex]. registry is NULL for a short name
 * ("busybox", "user/app"); tag is "latest" when neither a tag nor a digest is given; a
 * reference with a digest may also have a tag (kept, but the digest is what is fetched). */
struct image_ref {
	char *registry, *repo, *tag, *digest;
};
int ref_parse(const char *s, struct image_ref *out, berth_error_t *err);
void ref_free(struct image_ref *r);
/* registry/repo[:tag][@digest] */
char *ref_string(const struct image_ref *r);
/* registry/repo:tag, or registry/repo@digest when there is a digest. */
char *ref_name(const struct image_ref *r);
/* A short name qualified with a search registry: docker.io adds library/ to one-component
 * names, as Docker does. */
int ref_qualify(const struct image_ref *shortref, const char *registry, struct image_ref *out,
                berth_error_t *err);
/* The host to connect to: docker.io is registry-1.docker.io. */
const char *ref_endpoint(const char *registry);

struct platform {
	char os[32], arch[32], variant[32];
};
/* OS/ARCH[/VARIANT] */
int platform_parse(const char *s, struct platform *p, berth_error_t *err);
/* The host's: linux and uname's machine in Go's spelling (x86_64 -> amd64, aarch64 -> arm64). */
void platform_host(struct platform *p);
/* "linux/arm64/v8" */
void platform_format(const struct platform *p, char *buf, size_t len);
/* What an index's "manifests" array has, "linux/amd64, linux/riscv64" (attestations left
 * out; "no platforms" when nothing is left). Heap. */
char *platform_list(json_t *manifests);
/* Whether want matches os/arch/variant as an index entry would (variant "" matches any; an
 * arm64 image without one is v8). */
bool platform_matches(const struct platform *want, const char *os, const char *arch,
                      const char *variant);
/* The position of the manifest for want in an index's "manifests" array, skipping
 * unknown/unknown (attestation) entries; -1 and an error listing what the index has. */
long platform_select(json_t *manifests, const struct platform *want, berth_error_t *err);

/* WWW-Authenticate: Bearer realm="…",service="…",scope="…" or Basic realm="…" */
struct www_auth {
	char scheme[16]; /* "bearer" or "basic" (lower case) */
	char *realm, *service, *scope;
};
int www_auth_parse(const char *hdr, struct www_auth *out, berth_error_t *err);
void www_auth_free(struct www_auth *w);

/* The unqualified-search-registries array of a registries.conf (TOML) text. */
int regconf_search(const char *text, const char *file, char ***out, size_t *n, berth_error_t *err);

char *base64_encode(const void *data, size_t len);
/* NULL when not valid base64. */
char *base64_decode(const char *s, size_t *len);

#endif
