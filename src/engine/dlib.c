/* SPDX-License-Identifier: MIT */
/* Libraries loaded on first use (see dlib.h). */
#include "dlib.h"
#include "dl.h"

#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

struct dlib_curl dl_curl;
struct dlib_nft dl_nft;
static struct dlib_crypto dl_crypto;
static struct dlib_archive dl_archive;

#define DLIB_ENTRY_CURL(sym)    {#sym, (void **)&dl_curl.sym},
#define DLIB_ENTRY_CRYPTO(sym)  {#sym, (void **)&dl_crypto.sym},
#define DLIB_ENTRY_ARCHIVE(sym) {#sym, (void **)&dl_archive.sym},
#define DLIB_ENTRY_NFT(sym)     {#sym, (void **)&dl_nft.sym},

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static char curl_msg[256];
static const char *curl_failed;

static void curl_load_once(void)
{
	static const struct dl_sym syms[] = {DLIB_CURL_SYMS(DLIB_ENTRY_CURL)};

	curl_failed = dl_open("libcurl.so.4", syms, sizeof(syms) / sizeof(syms[0]), curl_msg,
	                      sizeof(curl_msg));
	if (curl_failed == NULL && dl_curl.curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(curl_msg, sizeof(curl_msg), "curl_global_init failed");
		curl_failed = curl_msg;
	}
}

int dlib_curl_load(berth_error_t *err)
{
	pthread_once(&curl_once, curl_load_once);
	if (curl_failed)
		return berth_error(err, 0, "%s (the registry client needs libcurl4)", curl_failed);
	return 0;
}

static pthread_once_t nft_once = PTHREAD_ONCE_INIT;
static char nft_msg[256];
static const char *nft_failed;

static void nft_load_once(void)
{
	static const struct dl_sym syms[] = {DLIB_NFT_SYMS(DLIB_ENTRY_NFT)};

	nft_failed = dl_open("libnftables.so.1", syms, sizeof(syms) / sizeof(syms[0]), nft_msg,
	                     sizeof(nft_msg));
}

int dlib_nft_load(berth_error_t *err)
{
	pthread_once(&nft_once, nft_load_once);
	if (nft_failed)
		return berth_error(err, 0, "%s (the firewall needs libnftables1)", nft_failed);
	return 0;
}

/* so loaded or berth ends: see dlib.h */
static void dlib_need(const char *so, const struct dl_sym *syms, size_t n, const char *pkg)
{
	char msg[256];

	if (dl_open(so, syms, n, msg, sizeof(msg))) {
		fprintf(stderr, "berth: %s (install %s)\n", msg, pkg);
		_exit(125);
	}
}

static pthread_once_t crypto_once = PTHREAD_ONCE_INIT;

static void crypto_load_once(void)
{
	static const struct dl_sym syms[] = {DLIB_CRYPTO_SYMS(DLIB_ENTRY_CRYPTO)};

	dlib_need("libcrypto.so.3", syms, sizeof(syms) / sizeof(syms[0]), "libssl3");
}

const struct dlib_crypto *dlib_crypto(void)
{
	pthread_once(&crypto_once, crypto_load_once);
	return &dl_crypto;
}

static pthread_once_t archive_once = PTHREAD_ONCE_INIT;

static void archive_load_once(void)
{
	static const struct dl_sym syms[] = {DLIB_ARCHIVE_SYMS(DLIB_ENTRY_ARCHIVE)};

	dlib_need("libarchive.so.13", syms, sizeof(syms) / sizeof(syms[0]), "libarchive13");
}

const struct dlib_archive *dlib_archive(void)
{
	pthread_once(&archive_once, archive_load_once);
	return &dl_archive;
}
