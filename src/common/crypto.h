/* Small crypto helpers over OpenSSL. */
#ifndef CCF_COMMON_CRYPTO_H
#define CCF_COMMON_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define CCF_SHA256_LEN 32
#define CCF_SHA256_HEX_LEN 64
#define CCF_GCM_KEY_LEN 32
#define CCF_GCM_IV_LEN 12
#define CCF_GCM_TAG_LEN 16

/* SHA-256 of data; returns false only if OpenSSL fails. */
bool ccf_sha256(const void *data, size_t len, uint8_t out[CCF_SHA256_LEN])
    __attribute__((warn_unused_result));

/* Lowercase hex SHA-256 of data into out (65 bytes incl. NUL). */
bool ccf_sha256_hex(const void *data, size_t len, char out[CCF_SHA256_HEX_LEN + 1])
    __attribute__((warn_unused_result));

/* Lowercase hex of len bytes into out (2*len+1 bytes). */
void ccf_hex_encode(const uint8_t *in, size_t len, char *out);

/* Strict standard base64 with padding (RFC 4648 section 4) of s[0..n): length a
 * multiple of 4, the alphabet only, '=' only as the last one or two
 * characters; "" is 0 bytes. *out (malloc'ed, NUL-terminated, the caller
 * frees it, wiping it first if it holds a secret) and *len on CCF_OK;
 * CCF_ERR_INVALID with why ("character 5 is not standard base64") otherwise,
 * *out NULL. */
ccf_err ccf_base64_decode(const char *s, size_t n, uint8_t **out, size_t *len, char *why,
                          size_t why_size) __attribute__((warn_unused_result));

/* true when s is exactly n hex digits (either case) and nothing else. */
bool ccf_is_hex(const char *s, size_t n);

/* Constant-time comparison of two equal-length buffers. */
bool ccf_ct_equal(const void *a, const void *b, size_t len) __attribute__((warn_unused_result));

/* AES-256-GCM (OpenSSL EVP) of len bytes of in into out (the same buffer is
 * fine), authenticated with aad (may be NULL when aadlen is 0). Encrypting
 * writes tag; decrypting checks it. False on any failure: when decrypting,
 * the wrong key or a changed aad, iv, ciphertext or tag. */
bool ccf_aes256gcm(bool encrypt, const uint8_t key[CCF_GCM_KEY_LEN],
                   const uint8_t iv[CCF_GCM_IV_LEN], const void *aad, size_t aadlen,
                   const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[CCF_GCM_TAG_LEN])
    __attribute__((warn_unused_result));

#endif
