/* Verification of an instance's TLS certificate against a full policy: what
 * a client (and CCFaaS's loader) runs before sending any byte (DESIGN §5, §1.7).
 *
 * Checks, in this order (the first that fails is reported):
 *   0. trust:        (with a trust configuration, attest/trust.h) the
 *                    policy's proxy_service_cert is one of the verifier's
 *                    attestation CAs and every runtime_manager_hash_* it
 *                    offers is one of the verifier's measurements: the
 *                    policy only claims, the verifier decides;
 *   1. chain:        the certificate is issued by the policy's
 *                    proxy_service_cert (the chain ends there; that
 *                    certificate is the only trust anchor, pinned by 0);
 *   2. platform:     the certificate names its platform (extension
 *                    CCF_OID_PLATFORM) and the policy offers a non-empty
 *                    runtime_manager_hash_<platform>;
 *   3. measurement:  extension 2.5.30.1 is 32 bytes equal to that hash;
 *   4. policy hash:  the policy-hash extension equals SHA-256 of the policy
 *                    bytes the caller holds;
 *   5. validity:     notBefore <= now < notAfter, and notAfter is not beyond
 *                    the policy's enclave_cert_expiry;
 *   6. launch:       the launch configuration (attest/launch.h, extension
 *                    CCF_OID_LAUNCH) is readable, names the certificate's
 *                    platform and the policy's debug flag, had a clean
 *                    environment; with a trust configuration it is
 *                    required, and debug, an unsandboxed runtime and the
 *                    development platform are refused unless allowed.
 *
 * When the platform is `linux` the result has development_platform set:
 * callers must then print CCF_VERIFY_DEV_NOTICE. */
#ifndef CCF_ATTEST_VERIFY_H
#define CCF_ATTEST_VERIFY_H

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "attest/launch.h"
#include "attest/trust.h"
#include "common/crypto.h"
#include "common/error.h"
#include "policy/policy.h"

#define CCF_VERIFY_DEV_NOTICE "verified on the development platform; no hardware protection"

typedef enum {
    CCF_VERIFY_OK = 0,
    CCF_VERIFY_BAD_INPUT,             /* certificate or policy unusable */
    CCF_VERIFY_CHAIN,                 /* not issued by the policy's proxy_service_cert */
    CCF_VERIFY_PLATFORM,              /* no/unknown platform, or not offered by the policy */
    CCF_VERIFY_MEASUREMENT,           /* 2.5.30.1 missing or != runtime_manager_hash_<p> */
    CCF_VERIFY_POLICY_HASH,           /* missing or != SHA-256(policy bytes) */
    CCF_VERIFY_NOT_YET_VALID,
    CCF_VERIFY_EXPIRED,
    CCF_VERIFY_BEYOND_POLICY_EXPIRY,  /* notAfter later than enclave_cert_expiry */
    CCF_VERIFY_TRUST,                 /* the policy's CA or measurement is not trusted */
    CCF_VERIFY_LAUNCH,                /* launch configuration missing, bad or not accepted */
} ccf_verify_check;

/* "chain", "measurement", "policy_hash", ... (static). */
const char *ccf_verify_check_name(ccf_verify_check c);

typedef struct {
    ccf_verify_check failed;      /* CCF_VERIFY_OK when every check passed */
    char detail[320];             /* what failed, or a summary of what was checked */
    ccf_runtime_platform platform; /* valid once the platform check passed */
    bool development_platform;    /* platform is `linux`: no TEE */
    uint8_t measurement[CCF_SHA256_LEN];
    uint8_t policy_hash[CCF_SHA256_LEN];
    time_t not_after;
    bool has_launch;              /* the certificate carried a launch configuration */
    ccf_launch launch;            /* valid when has_launch */
} ccf_verify_result;

/* Verifies leaf (with optional untrusted intermediates, may be NULL) against
 * the policy whose exact bytes are policy_text/policy_len; `policy` is that
 * text parsed as a full policy, or NULL to parse it here. now = the time to
 * check against (time(NULL)). Returns CCF_OK when every check passed,
 * CCF_ERR_DENIED when one failed (res->failed says which), another error
 * when the inputs are unusable (res->failed = CCF_VERIFY_BAD_INPUT). Neither
 * leaf nor chain is taken over. */
ccf_err ccf_verify_instance_cert(X509 *leaf, STACK_OF(X509) *chain, const char *policy_text,
                                 size_t policy_len, const ccf_policy *policy, time_t now,
                                 ccf_verify_result *res) __attribute__((warn_unused_result));

/* The same with the verifier's trust configuration (NULL: the policy's own
 * anchors only, for parts of the platform that produced that policy
 * themselves; every user-facing client passes one). */
ccf_err ccf_verify_instance_trusted(X509 *leaf, STACK_OF(X509) *chain, const char *policy_text,
                                    size_t policy_len, const ccf_policy *policy,
                                    const ccf_trust *trust, time_t now, ccf_verify_result *res)
    __attribute__((warn_unused_result));

/* The same with the leaf certificate as PEM. */
ccf_err ccf_verify_instance_pem(const char *cert_pem, size_t cert_len, const char *policy_text,
                                size_t policy_len, const ccf_policy *policy, time_t now,
                                ccf_verify_result *res) __attribute__((warn_unused_result));

/* The same check inside a TLS handshake, so that nothing is sent to an
 * instance that fails it: installs a certificate verification callback on
 * ctx (SSL_CTX_set_cert_verify_callback) that runs
 * ccf_verify_instance_cert() on the server's certificate and chain; the
 * handshake fails unless every check passes. Use with SSL_VERIFY_PEER (set
 * here). vt must outlive every connection made with ctx; vt->result says what
 * was checked or which check failed. With libcurl: call this from a
 * CURLOPT_SSL_CTX_FUNCTION callback. */
typedef struct {
    const char *policy_text; /* exact policy bytes (not copied) */
    size_t policy_len;
    const ccf_policy *policy; /* parsed, or NULL */
    const ccf_trust *trust;   /* the verifier's anchors (not copied), or NULL */
    ccf_verify_result result; /* of the last handshake */
    bool ran;                 /* the callback ran at least once */
} ccf_verify_tls;

void ccf_verify_tls_install(SSL_CTX *ctx, ccf_verify_tls *vt);

#endif
