/* Attestation evidence for the `linux` platform (DESIGN §5).
 *
 * DEVELOPMENT ONLY: the `linux` platform has no TEE. Its measurement is the
 * SHA-256 of the runtime's own executable (read by the runtime itself) and its
 * evidence is signed by a per-host *platform key* (P-256) that stands in for a
 * TEE's hardware key. Whoever holds the platform key (root on the host) can
 * forge evidence; it protects nothing against the host.
 *
 * Evidence binds report_data = SHA-256(enclave public key DER || policy hash
 * (32 raw bytes) || nonce || launch hash (32 raw bytes: SHA-256 of the launch
 * configuration text, attest/launch.h)) to the measurement, so a runtime's
 * settings are as much part of what is attested as its binary. Wire form
 * (docs/attestation.md):
 *
 *   {"format":"ccfaas-linux-evidence-v1", "measurement":"<64 hex>",
 *    "report_data":"<64 hex>", "platform_key_id":"<64 hex>",
 *    "signature":"<base64 of a DER ECDSA-P256-SHA256 signature>"}
 *
 * signed bytes = "ccfaas-linux-evidence-v1" || 0x00 || measurement ||
 * report_data || platform_key_id (121 bytes); platform_key_id = SHA-256 of
 * the platform public key's SubjectPublicKeyInfo DER. */
#ifndef CCF_ATTEST_EVIDENCE_H
#define CCF_ATTEST_EVIDENCE_H

#include <jansson.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/crypto.h"
#include "common/error.h"

#define CCF_EVIDENCE_FORMAT "ccfaas-linux-evidence-v1"
/* Nonces issued by the proxy are 32 random bytes (64 hex digits on the wire). */
#define CCF_NONCE_LEN 32
/* DER ECDSA P-256 signatures are at most 72 bytes. */
#define CCF_EVIDENCE_MAX_SIG 80
/* Largest evidence text accepted by ccf_evidence_parse(). */
#define CCF_EVIDENCE_MAX_TEXT 4096
/* File name of the platform key in a data directory. */
#define CCF_PLATFORM_KEY_FILE "platform-key.pem"

typedef struct {
    uint8_t measurement[CCF_SHA256_LEN];
    uint8_t report_data[CCF_SHA256_LEN];
    uint8_t platform_key_id[CCF_SHA256_LEN];
    uint8_t signature[CCF_EVIDENCE_MAX_SIG];
    size_t signature_len;
} ccf_evidence;

/* report_data = SHA-256(pub_der || policy_hash || nonce || launch_hash). */
bool ccf_evidence_report_data(const uint8_t *pub_der, size_t pub_len,
                              const uint8_t policy_hash[CCF_SHA256_LEN], const uint8_t *nonce,
                              size_t nonce_len, const uint8_t launch_hash[CCF_SHA256_LEN],
                              uint8_t out[CCF_SHA256_LEN])
    __attribute__((warn_unused_result));

/* platform_key_id of a (public or private) platform key. */
bool ccf_evidence_key_id(const EVP_PKEY *platform_key, uint8_t out[CCF_SHA256_LEN])
    __attribute__((warn_unused_result));

/* Creates evidence signed with the platform private key. */
ccf_err ccf_evidence_create(EVP_PKEY *platform_key, const uint8_t measurement[CCF_SHA256_LEN],
                            const uint8_t *pub_der, size_t pub_len,
                            const uint8_t policy_hash[CCF_SHA256_LEN], const uint8_t *nonce,
                            size_t nonce_len, const uint8_t launch_hash[CCF_SHA256_LEN],
                            ccf_evidence *out, char *err, size_t err_size)
    __attribute__((warn_unused_result));

/* Wire form. to_json returns a new object (caller decrefs); encode returns a
 * NUL-terminated compact JSON text (caller frees with free()). */
json_t *ccf_evidence_to_json(const ccf_evidence *ev);
ccf_err ccf_evidence_encode(const ccf_evidence *ev, char **text) __attribute__((warn_unused_result));

/* Parses the wire form: exactly the five members, each well formed (no
 * unknown members, no duplicates, hex of the exact length, canonical base64).
 * Untrusted input: bounded (CCF_EVIDENCE_MAX_TEXT), never crashes. */
ccf_err ccf_evidence_from_json(const json_t *obj, ccf_evidence *out, char *err, size_t err_size)
    __attribute__((warn_unused_result));
ccf_err ccf_evidence_parse(const char *text, size_t len, ccf_evidence *out, char *err,
                           size_t err_size) __attribute__((warn_unused_result));

/* Checks the evidence came from this platform key: key id, then signature.
 * CCF_OK or CCF_ERR_DENIED (detail in err). */
ccf_err ccf_evidence_verify(const ccf_evidence *ev, EVP_PKEY *platform_pub, char *err,
                            size_t err_size) __attribute__((warn_unused_result));

/* Checks report_data = SHA-256(pub_der || policy_hash || nonce ||
 * launch_hash), in constant time. CCF_OK or CCF_ERR_DENIED. */
ccf_err ccf_evidence_check_binding(const ccf_evidence *ev, const uint8_t *pub_der, size_t pub_len,
                                   const uint8_t policy_hash[CCF_SHA256_LEN],
                                   const uint8_t *nonce, size_t nonce_len,
                                   const uint8_t launch_hash[CCF_SHA256_LEN])
    __attribute__((warn_unused_result));

/* Measurement of the `linux` platform: SHA-256 of an executable file /
 * of the running executable (/proc/self/exe). */
ccf_err ccf_evidence_measure_file(const char *path, uint8_t out[CCF_SHA256_LEN], char *err,
                                  size_t err_size) __attribute__((warn_unused_result));
ccf_err ccf_evidence_measure_self(uint8_t out[CCF_SHA256_LEN], char *err, size_t err_size)
    __attribute__((warn_unused_result));

/* Platform key in a data directory: DIR/platform-key.pem, created (0600,
 * P-256) when missing; the directory is created (0700) when missing. The
 * caller frees *out with EVP_PKEY_free. The launcher hands this key to the
 * runtime through a file descriptor (ccf_pki_key_read_fd), never argv. */
ccf_err ccf_platform_key_load_or_create(const char *data_dir, EVP_PKEY **out, bool *created,
                                        char *err, size_t err_size)
    __attribute__((warn_unused_result));

/* Decodes exactly 2*n hex digits (either case, then NUL) into out. */
bool ccf_attest_hex_decode(const char *hex, uint8_t *out, size_t n)
    __attribute__((warn_unused_result));

#endif
