/* SPDX-License-Identifier: MIT */
/* SHA-256 for the content-addressed image store, by OpenSSL's libcrypto. Its low-level
 * SHA256_* calls (deprecated in OpenSSL 3 in favour of EVP, which allocates a context) are
 * used so that a hash is a plain value that needs no freeing on any error path. */
#include "sha256.h"
#include "dlib.h"
#include "util.h"

#include <stdio.h>

void sha256_init(struct sha256 *s)
{
	dlib_crypto()->SHA256_Init(&s->ctx);
}

void sha256_update(struct sha256 *s, const void *data, size_t len)
{
	dlib_crypto()->SHA256_Update(&s->ctx, data, len);
}

void sha256_final_hex(struct sha256 *s, char out[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	dlib_crypto()->SHA256_Final(md, &s->ctx);
	util_hex(md, sizeof(md), out);
}

void sha256_hex(const void *data, size_t len, char out[65])
{
	struct sha256 s;

	sha256_init(&s);
	sha256_update(&s, data, len);
	sha256_final_hex(&s, out);
}
