/* Encrypted OCI layers as containers/ocicrypt makes them (`skopeo copy
 * --encryption-key jwe:PUB.pem`; issue 20, docs/oci.md "Encrypted layers"):
 * the opening side, for the code that holds the private key (the instance).
 * A library of its own (ccf_ocicrypt: OpenSSL, jansson, src/jose; no libcurl),
 * so that the trusted runtime can link it (DESIGN §2).
 *
 * The format (learnt from ocicrypt's encryption.go, blockcipher/ and
 * keywrap/jwe/, checked against skopeo's output by tests/unit/test_ocicrypt.c):
 *   - media type: the plain layer's + "+encrypted";
 *   - annotation org.opencontainers.image.enc.keys.jwe: comma-separated
 *     standard base64 of JWE JSON serializations (one per key wrapping), each
 *     encrypting the private options
 *       {"symkey": b64(32 bytes), "digest": "sha256:<plain layer>",
 *        "cipheroptions": {"nonce": b64(16 bytes)}};
 *   - annotation org.opencontainers.image.enc.pubopts: standard base64 of
 *       {"cipher": "AES_256_CTR_HMAC_SHA256", "hmac": b64(32 bytes), "cipheroptions": {}};
 *   - the blob: AES-256-CTR of the plain layer (key symkey, initial counter
 *     block nonce); hmac = HMAC-SHA256 keyed with symkey over the blob.
 * Opening checks the HMAC (constant time) before decrypting and the plain
 * layer's SHA-256 after: a wrong key, a changed byte or a swapped layer are
 * refused, nothing is returned.
 *
 * Ownership: ccf_ocicrypt_keys holds the layer key: clear it with
 * ccf_ocicrypt_keys_clear (wipes). *plain is malloc'd, the caller frees. */
#ifndef CCF_OCI_OCICRYPT_H
#define CCF_OCI_OCICRYPT_H

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define CCF_OCICRYPT_ANNOTATION_JWE "org.opencontainers.image.enc.keys.jwe"
#define CCF_OCICRYPT_ANNOTATION_PUBOPTS "org.opencontainers.image.enc.pubopts"
#define CCF_OCICRYPT_CIPHER "AES_256_CTR_HMAC_SHA256"

typedef struct {
    uint8_t symkey[32];
    uint8_t nonce[16];
    char digest[72]; /* "sha256:" + 64 hex of the plain layer */
    uint8_t hmac[32];
} ccf_ocicrypt_keys;

/* The public options (the pubopts annotation's text) into keys->hmac. */
ccf_err ccf_ocicrypt_pubopts_parse(const char *b64, ccf_ocicrypt_keys *keys, char *err,
                                   size_t err_size) __attribute__((warn_unused_result));
/* The private options (a JWE's plaintext) into keys. */
ccf_err ccf_ocicrypt_privopts_parse(const uint8_t *json, size_t len, ccf_ocicrypt_keys *keys,
                                    char *err, size_t err_size)
    __attribute__((warn_unused_result));
/* Opens the first JWE of the keys.jwe annotation that priv decrypts
 * (ECDH-ES+A256KW with a P-256 key, or RSA-OAEP-256: src/jose; ocicrypt's
 * RSA default RSA-OAEP with SHA-1 is refused), then the pubopts. */
ccf_err ccf_ocicrypt_unwrap(const char *jwe_annotation, const char *pubopts, EVP_PKEY *priv,
                            ccf_ocicrypt_keys *keys, char *err, size_t err_size)
    __attribute__((warn_unused_result));
/* The encrypted blob in buf opened into the plain layer, in place (AES-CTR
 * needs no second buffer); buf is wiped when it is refused after decryption. */
ccf_err ccf_ocicrypt_open_in_place(uint8_t *buf, size_t len, const ccf_ocicrypt_keys *keys,
                                   char *err, size_t err_size) __attribute__((warn_unused_result));
void ccf_ocicrypt_keys_clear(ccf_ocicrypt_keys *keys);

/* An encrypted layer opened in place (the instance's side, issue 20): blob
 * becomes the plain layer (as its media type says: gzip or plain tar) once
 * the layer key is unwrapped with priv, the HMAC and the plain layer's digest
 * verified and the diff_id of its tar (at most max bytes) found to be
 * diff_id_hex (64 hex: the image config's, which the policy pins as pi_hash).
 * Refused once decrypted: blob wiped. Memory: the blob, and 64 KiB. */
ccf_err ccf_ocicrypt_layer_open(uint8_t *blob, size_t len, const char *keys_jwe,
                                const char *pubopts, EVP_PKEY *priv, const char *diff_id_hex,
                                size_t max, char *err, size_t err_size)
    __attribute__((warn_unused_result));

#endif
