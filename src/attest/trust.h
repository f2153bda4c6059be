/* The verifier's own trust configuration (DESIGN §5: "trust anchors belong to
 * the verifier, never to the policy"). A full policy only *claims* which
 * attestation CA certified its instance (proxy_service_cert) and which runtime
 * it runs (runtime_manager_hash_*); the trust configuration says what the
 * user accepts. Format (docs/trust.md), a JSON object, no other members:
 *
 *   "version"                     1
 *   "attestation_cas"             [{"sha256": "<64 hex of the CA certificate DER>",
 *                                   "name": "<free text>"?}]
 *   "measurements"                [{"platform": "linux"|"sevsnp"|"tdx"|"nitro"|"sgx"|"tz",
 *                                   "sha256": "<64 hex>", "name": "<free text>"?}]
 *   "allow_development_platform"  bool, default false (the `linux` platform: no TEE)
 *   "allow_debug"                 bool, default false (instances started with debug)
 *   "allow_unsandboxed"           bool, default false (runtimes without seccomp)
 *
 * Ownership: ccf_trust_parse/ccf_trust_new return a ccf_trust the caller frees
 * with ccf_trust_free; strings inside are owned by it. */
#ifndef CCF_ATTEST_TRUST_H
#define CCF_ATTEST_TRUST_H

#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/crypto.h"
#include "common/error.h"
#include "policy/policy.h"

/* Largest trust file accepted. */
#define CCF_TRUST_MAX_BYTES (256u * 1024u)
/* Most entries of each list. */
#define CCF_TRUST_MAX_ENTRIES 256

typedef struct {
    uint8_t sha256[CCF_SHA256_LEN];
    char *name; /* may be NULL */
} ccf_trust_ca;

typedef struct {
    ccf_runtime_platform platform;
    uint8_t sha256[CCF_SHA256_LEN];
    char *name; /* may be NULL */
} ccf_trust_measurement;

typedef struct {
    ccf_trust_ca *cas;
    size_t ca_count;
    ccf_trust_measurement *measurements;
    size_t measurement_count;
    bool allow_development_platform;
    bool allow_debug;
    bool allow_unsandboxed;
} ccf_trust;

/* An empty configuration (trusts nothing). NULL when out of memory. */
ccf_trust *ccf_trust_new(void);
void ccf_trust_free(ccf_trust *t);

/* Parses a trust file's text. Errors name the JSON path and why
 * ("measurements[1].platform: unknown platform \"sev\""). Untrusted input:
 * bounded, never crashes. */
ccf_err ccf_trust_parse(const char *text, size_t len, ccf_trust **out, char *err, size_t err_size)
    __attribute__((warn_unused_result));

/* Canonical JSON text of t (keys sorted, 2-space indent, trailing newline);
 * the caller frees *out. */
ccf_err ccf_trust_emit(const ccf_trust *t, char **out) __attribute__((warn_unused_result));

/* Adds an entry unless the same one (hash, and platform) is there already;
 * *added says which. name may be NULL. */
ccf_err ccf_trust_add_ca(ccf_trust *t, const uint8_t sha256[CCF_SHA256_LEN], const char *name,
                         bool *added) __attribute__((warn_unused_result));
ccf_err ccf_trust_add_measurement(ccf_trust *t, ccf_runtime_platform platform,
                                  const uint8_t sha256[CCF_SHA256_LEN], const char *name,
                                  bool *added) __attribute__((warn_unused_result));
/* Removes every CA and measurement entry with this hash; *removed counts them. */
void ccf_trust_remove(ccf_trust *t, const uint8_t sha256[CCF_SHA256_LEN], size_t *removed);

/* Whether the certificate (its DER's SHA-256) is an accepted attestation CA. */
bool ccf_trust_has_ca(const ccf_trust *t, X509 *ca) __attribute__((warn_unused_result, nonnull(1)));
/* Whether this measurement is accepted for this platform. */
bool ccf_trust_has_measurement(const ccf_trust *t, ccf_runtime_platform platform,
                               const uint8_t sha256[CCF_SHA256_LEN])
    __attribute__((warn_unused_result, nonnull));

/* Checks a full policy's claims before anything is sent: its
 * proxy_service_cert is a trusted CA, and every runtime_manager_hash_<p> it
 * offers (non-empty) is a trusted measurement for <p>. CCF_ERR_DENIED names
 * the field and the fix in err. */
ccf_err ccf_trust_check_policy(const ccf_trust *t, const ccf_policy *policy, char *err,
                               size_t err_size) __attribute__((warn_unused_result, nonnull(1, 2)));

#endif
