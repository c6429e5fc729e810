/* SPDX-License-Identifier: MIT */
#ifndef BERTH_DLIB_H
#define BERTH_DLIB_H

/* Libraries berth loads when a command first needs them rather than at every start, as
 * systemd does for its optional ones. Linked at start, libcurl (with the 30 libraries it
 * links: TLS, Kerberos, LDAP, HTTP/2, IDN), libcrypto and libarchive (with libxml2, ICU and
 * the C++ runtime) cost about 20 ms of dynamic linking on each start of berth on this kind
 * of host, and `berth run` starts berth twice (once more from a sealed memfd), though running
 * a stored image uses none of them: libcurl is for registries, libcrypto for digests,
 * libarchive for layers. libnftables (with libnftnl, libxtables, libgmp and jansson) is for
 * the networks' firewall, which most runs do not change: about 1 ms more per start.
 * (src/vm/net_slirp.c loads libslirp, with glib, the same way.)
 *
 * Each library is a struct of function pointers named and typed as in the library's own
 * header, filled once (thread-safe) by dlopen and dlsym: call dl_curl.curl_easy_init() after
 * dlib_curl_load(), dl_nft.nft_ctx_new() after dlib_nft_load(), dlib_crypto()->SHA256_Init(),
 * dlib_archive()->archive_read_new(). */

#include "error.h"

#include <archive.h>
#include <archive_entry.h>
/* curl_easy_setopt() and curl_easy_getinfo() are macros with type checks otherwise, which
 * would expand in dl_curl.curl_easy_setopt(…) */
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>
#include <nftables/libnftables.h>
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#define DLIB_CURL_SYMS(X)                                                                          \
	X(curl_global_init)                                                                        \
	X(curl_easy_init)                                                                          \
	X(curl_easy_reset)                                                                         \
	X(curl_easy_cleanup)                                                                       \
	X(curl_easy_setopt)                                                                        \
	X(curl_easy_getinfo)                                                                       \
	X(curl_easy_perform)                                                                       \
	X(curl_easy_strerror)                                                                      \
	X(curl_easy_escape)                                                                        \
	X(curl_free)                                                                               \
	X(curl_slist_append)                                                                       \
	X(curl_slist_free_all)

#define DLIB_NFT_SYMS(X)                                                                           \
	X(nft_ctx_new)                                                                             \
	X(nft_ctx_free)                                                                            \
	X(nft_ctx_buffer_output)                                                                   \
	X(nft_ctx_buffer_error)                                                                    \
	X(nft_ctx_get_output_buffer)                                                               \
	X(nft_ctx_get_error_buffer)                                                                \
	X(nft_ctx_output_get_flags)                                                                \
	X(nft_ctx_output_set_flags)                                                                \
	X(nft_run_cmd_from_buffer)

#define DLIB_CRYPTO_SYMS(X) X(SHA256_Init) X(SHA256_Update) X(SHA256_Final)

#define DLIB_ARCHIVE_SYMS(X)                                                                       \
	X(archive_entry_copy_stat)                                                                 \
	X(archive_entry_filetype)                                                                  \
	X(archive_entry_free)                                                                      \
	X(archive_entry_gid)                                                                       \
	X(archive_entry_hardlink)                                                                  \
	X(archive_entry_mtime)                                                                     \
	X(archive_entry_new)                                                                       \
	X(archive_entry_pathname)                                                                  \
	X(archive_entry_perm)                                                                      \
	X(archive_entry_rdev)                                                                      \
	X(archive_entry_set_filetype)                                                              \
	X(archive_entry_set_pathname)                                                              \
	X(archive_entry_set_perm)                                                                  \
	X(archive_entry_set_size)                                                                  \
	X(archive_entry_set_mtime)                                                                 \
	X(archive_entry_set_uid)                                                                   \
	X(archive_entry_set_gid)                                                                   \
	X(archive_entry_set_hardlink)                                                              \
	X(archive_entry_xattr_add_entry)                                                           \
	X(archive_entry_set_rdev)                                                                  \
	X(archive_entry_set_symlink)                                                               \
	X(archive_entry_size)                                                                      \
	X(archive_entry_symlink)                                                                   \
	X(archive_entry_uid)                                                                       \
	X(archive_entry_xattr_next)                                                                \
	X(archive_entry_xattr_reset)                                                               \
	X(archive_error_string)                                                                    \
	X(archive_read_data_block)                                                                 \
	X(archive_read_data_skip)                                                                  \
	X(archive_read_free)                                                                       \
	X(archive_read_new)                                                                        \
	X(archive_read_next_header)                                                                \
	X(archive_read_open)                                                                       \
	X(archive_read_open_fd)                                                                    \
	X(archive_read_support_filter_all)                                                         \
	X(archive_read_support_filter_bzip2)                                                       \
	X(archive_read_support_filter_gzip)                                                        \
	X(archive_read_support_filter_xz)                                                          \
	X(archive_read_support_filter_zstd)                                                        \
	X(archive_read_support_format_gnutar)                                                      \
	X(archive_read_support_format_raw)                                                         \
	X(archive_read_support_format_tar)                                                         \
	X(archive_set_error)                                                                       \
	X(archive_write_close)                                                                     \
	X(archive_write_data)                                                                      \
	X(archive_write_free)                                                                      \
	X(archive_write_header)                                                                    \
	X(archive_write_new)                                                                       \
	X(archive_write_open)                                                                      \
	X(archive_write_open_fd)                                                                   \
	X(archive_write_set_format_pax_restricted)

#define DLIB_FIELD(sym) __typeof__(sym) *sym;
struct dlib_curl {
	DLIB_CURL_SYMS(DLIB_FIELD)
};
struct dlib_nft {
	DLIB_NFT_SYMS(DLIB_FIELD)
};
struct dlib_crypto {
	DLIB_CRYPTO_SYMS(DLIB_FIELD)
};
struct dlib_archive {
	DLIB_ARCHIVE_SYMS(DLIB_FIELD)
};
#undef DLIB_FIELD

/* Filled by dlib_curl_load(). */
extern struct dlib_curl dl_curl;

/* libcurl loaded and curl_global_init() called, once; 0, or -1 and *err naming the library
 * and what is missing (only the registry commands need it). */
int dlib_curl_load(berth_error_t *err);

/* Filled by dlib_nft_load(). */
extern struct dlib_nft dl_nft;

/* libnftables loaded, once; 0, or -1 and *err naming the library (only the firewall of
 * berth's networks needs it). */
int dlib_nft_load(berth_error_t *err);

/* libcrypto and libarchive, loaded on the first call. berth cannot store an image without
 * them: a failure to load is printed in one line and berth exits 125, as it would at start
 * were they linked (both are dependencies of berth's package). */
const struct dlib_crypto *dlib_crypto(void);
const struct dlib_archive *dlib_archive(void);

#endif
