/* SPDX-License-Identifier: MIT */
#ifndef BERTH_SHA256_H
#define BERTH_SHA256_H

#include <stddef.h>
#include <stdint.h>

/* OpenSSL's SHA-256 (libcrypto, which libcurl already brings): its assembly uses the CPU's
 * SHA extensions, about 5x the speed of a portable C version on 200 MB of layers. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

struct sha256 {
	SHA256_CTX ctx;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
/* 64 lowercase hex digits and a NUL. */
void sha256_final_hex(struct sha256 *s, char out[65]);
void sha256_hex(const void *data, size_t len, char out[65]);

#endif
