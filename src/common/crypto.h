/* Small crypto helpers over OpenSSL. */
#ifndef CCF_COMMON_CRYPTO_H
#define CCF_COMMON_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CCF_SHA256_LEN 32
#define CCF_SHA256_HEX_LEN 64

/* SHA-256 of data; returns false only if OpenSSL fails. */
bool ccf_sha256(const void *data, size_t len, uint8_t out[CCF_SHA256_LEN])
    __attribute__((warn_unused_result));

/* Lowercase hex SHA-256 of data into out (65 bytes incl. NUL). */
bool ccf_sha256_hex(const void *data, size_t len, char out[CCF_SHA256_HEX_LEN + 1])
    __attribute__((warn_unused_result));

/* Lowercase hex of len bytes into out (2*len+1 bytes). */
void ccf_hex_encode(const uint8_t *in, size_t len, char *out);

/* true when s is exactly n hex digits (either case) and nothing else. */
bool ccf_is_hex(const char *s, size_t n);

/* Constant-time comparison of two equal-length buffers. */
bool ccf_ct_equal(const void *a, const void *b, size_t len) __attribute__((warn_unused_result));

#endif
