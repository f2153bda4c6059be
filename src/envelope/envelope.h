/* The encrypted envelope of programs and data files (issue 17, docs/kbs.md
 * "Encrypted programs and data files"): AES-256-GCM under a 32-byte key kept
 * in the key broker, with a header that names that key's resource path and
 * the plaintext's SHA-256. CCFaaS and VaaS only ever hold envelopes; the
 * runtime opens them with the key it fetched after its own attestation.
 *
 *   "CCFENC01"          8 bytes, magic and version
 *   H                   4 bytes, big-endian: the header's length (1..4096)
 *   header              H bytes of JSON, exactly
 *                       {"alg":"A256GCM","kbs_resource":"R/T/G",
 *                        "plaintext_sha256":"64 lowercase hex","plaintext_size":N}
 *   iv                  12 bytes
 *   ciphertext          N bytes
 *   tag                 16 bytes
 *
 * AAD = the first 12 + H bytes (magic, length and header): a header changed
 * or moved to another ciphertext does not decrypt. Opening also checks the
 * plaintext against plaintext_sha256. The parsers take untrusted bytes
 * (bounded, strict; fuzz_envelope). */
#ifndef CCF_ENVELOPE_ENVELOPE_H
#define CCF_ENVELOPE_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/crypto.h"
#include "common/error.h"
#include "common/kbs_path.h"

#define CCF_ENVELOPE_MAGIC "CCFENC01"
#define CCF_ENVELOPE_MAGIC_LEN 8
#define CCF_ENVELOPE_MAX_HEADER 4096
/* Largest plaintext: the biggest file an instance may hold (1 TiB would be
 * absurd; 64 GiB leaves room and keeps size arithmetic far from overflow). */
#define CCF_ENVELOPE_MAX_PLAINTEXT (64ull << 30)

typedef struct {
    char kbs_resource[CCF_KBS_PATH_MAX + 1];
    char plaintext_sha256[CCF_SHA256_HEX_LEN + 1];
    uint64_t plaintext_size;
    size_t header_len; /* H */
} ccf_envelope_info;

/* true when data starts with the magic (an envelope, valid or not). */
bool ccf_envelope_is(const void *data, size_t len);

/* Checks the structure (magic, header, total length) without a key. Errors
 * name the part and the offset. */
ccf_err ccf_envelope_parse(const uint8_t *data, size_t len, ccf_envelope_info *out, char *err,
                           size_t errsz) __attribute__((warn_unused_result));

/* Encrypts plain under key for resource (a valid R/T/G path) with a fresh
 * random IV; *out (malloc'ed, *outlen bytes) is the whole envelope. */
ccf_err ccf_envelope_seal(const uint8_t key[CCF_GCM_KEY_LEN], const char *resource,
                          const uint8_t *plain, size_t len, uint8_t **out, size_t *outlen,
                          char *err, size_t errsz) __attribute__((warn_unused_result));

/* Parses and decrypts: *plain (malloc'ed; free with ccf_envelope_free, which
 * wipes it) holds info->plaintext_size bytes that hash to plaintext_sha256.
 * The wrong key or any changed byte: CCF_ERR_DENIED, nothing returned. */
ccf_err ccf_envelope_open(const uint8_t key[CCF_GCM_KEY_LEN], const uint8_t *data, size_t len,
                          uint8_t **plain, ccf_envelope_info *info, char *err, size_t errsz)
    __attribute__((warn_unused_result));

/* Wipes and frees a plaintext from ccf_envelope_open (NULL is a no-op). */
void ccf_envelope_free(uint8_t *plain, size_t len);

#endif
