/* Proxy attestation service (DESIGN §5, `ccfaas serve proxy`).
 *
 * Certifies runtime instance keys: a runtime asks for a nonce, produces
 * evidence binding its fresh public key, the policy hash and the nonce to its
 * measurement, and sends the evidence with a CSR; the proxy checks everything
 * and issues an X.509 certificate signed by its CA. The CA certificate is the
 * policies' `proxy_service_cert`.
 *
 * HTTP routes (mounted on a ccf_http_server):
 *   GET  /ca                 the CA certificate (PEM)
 *   POST /attest/start       {"nonce":"<64 hex>","expires_in":60}; 429 too_many_nonces
 *                            (Retry-After) when the caller's address already
 *                            holds max_nonces_per_caller outstanding nonces
 *   POST /attest/<platform>  request below -> 200 certificate or a 4xx refusal
 *
 * Attestation request (JSON object, no other members):
 *   "nonce"        64 hex: a nonce from /attest/start (single use)
 *   "evidence"     the platform's evidence (linux: see evidence.h)
 *   "csr"          PEM PKCS#10 request for the instance key (P-256), self-signed
 *   "launch"       the runtime's launch configuration text (attest/launch.h),
 *                  bound by the evidence's report_data, copied into the certificate
 *   "policy_hash"  64 hex: SHA-256 of the instance's policy bytes
 *   "enclave_cert_expiry" optional {"year","month","day","hour","minute"} (UTC)
 *   "subject_alt_names"   optional array of DNS names / IP addresses (<= 8)
 * Response: {"certificate":PEM,"ca_certificate":PEM,"platform":"linux",
 *            "development_only":true,"not_after":"YYYY-MM-DDTHH:MM:SSZ","notice":...}
 *
 * Certificate profile (docs/attestation.md): extension 2.5.30.1 = raw 32-byte
 * measurement; CCF_OID_POLICY_HASH = raw 32-byte policy hash;
 * CCF_OID_PLATFORM = platform name bytes ("linux"); CCF_OID_LAUNCH = the
 * launch configuration text; SAN; CA:FALSE;
 * digitalSignature; serverAuth + clientAuth; notAfter = min(requested expiry,
 * now + max_cert_days). */
#ifndef CCF_PROXY_PROXY_H
#define CCF_PROXY_PROXY_H

#include <jansson.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attest/proxy_client.h" /* the protocol: OIDs, request parameters */
#include "common/crypto.h"
#include "common/error.h"
#include "net/http_server.h"

#define CCF_PROXY_CA_KEY_FILE "proxy-ca.key"
#define CCF_PROXY_CA_CERT_FILE "proxy-ca.crt"
#define CCF_PROXY_DEFAULT_PORT 3010
#define CCF_PROXY_DEFAULT_NONCES_PER_CALLER 64

/* Why an attestation was refused: each has a wire code and an error class,
 * whose HTTP status comes from the one table in net/status.h (INVALID 400,
 * DENIED 403, BUSY 503, INTERNAL 500). */
typedef enum {
    CCF_PROXY_OK = 0,
    CCF_PROXY_BAD_REQUEST,           /* 400 bad_request: malformed JSON / members */
    CCF_PROXY_UNSUPPORTED_PLATFORM,  /* 400 unsupported_platform */
    CCF_PROXY_UNKNOWN_NONCE,         /* 403 unknown_nonce */
    CCF_PROXY_NONCE_REUSED,          /* 403 nonce_reused */
    CCF_PROXY_NONCE_EXPIRED,         /* 403 nonce_expired */
    CCF_PROXY_BAD_EVIDENCE,          /* 400 bad_evidence: evidence malformed */
    CCF_PROXY_BAD_CSR,               /* 400 bad_csr: unparsable, bad self-signature, not P-256 */
    CCF_PROXY_BAD_SIGNATURE,         /* 403 bad_signature: not signed by the trusted platform key */
    CCF_PROXY_REPORT_DATA_MISMATCH,  /* 403 report_data_mismatch */
    CCF_PROXY_NO_MEASUREMENT_ALLOWED,/* 403 no_measurement_allowed: empty allow-list */
    CCF_PROXY_MEASUREMENT_NOT_ALLOWED, /* 403 measurement_not_allowed */
    CCF_PROXY_BAD_EXPIRY,            /* 400 bad_expiry: invalid or in the past */
    CCF_PROXY_TOO_MANY_NONCES,       /* 429 too_many_nonces: this caller holds too many */
    CCF_PROXY_BUSY,                  /* 503 busy: nonce table full */
    CCF_PROXY_INTERNAL,              /* 500 internal */
} ccf_proxy_result;

const char *ccf_proxy_result_code(ccf_proxy_result r); /* "nonce_reused", ... */
ccf_err ccf_proxy_result_err(ccf_proxy_result r);      /* CCF_ERR_DENIED, ... */

typedef struct {
    const char *data_dir;            /* required: CA key/cert (and platform key) live here */
    const uint8_t (*allow)[CCF_SHA256_LEN]; /* allowed measurements; may be empty */
    size_t allow_count;
    const char *platform_key_pub;    /* trusted platform public key (PEM file); NULL = the
                                        public half of DATA_DIR/platform-key.pem, created
                                        when missing */
    unsigned max_cert_days;          /* 0 = 1 day */
    long nonce_lifetime_s;           /* < 0 = 60 s; 0 = nonces expire at once (tests) */
    size_t max_nonces;               /* outstanding nonces kept; 0 = 4096 */
    size_t max_nonces_per_caller;    /* outstanding per client address; 0 = 64 */
} ccf_proxy_config;

typedef struct ccf_proxy ccf_proxy;

/* Loads or creates the CA (DATA_DIR/proxy-ca.key 0600, proxy-ca.crt) and the
 * trusted platform key. Free with ccf_proxy_free(). */
ccf_err ccf_proxy_new(const ccf_proxy_config *cfg, ccf_proxy **out, char *err, size_t err_size)
    __attribute__((warn_unused_result));
void ccf_proxy_free(ccf_proxy *proxy); /* NULL is a no-op */

/* Adds the routes above to srv (before it starts). */
ccf_err ccf_proxy_mount(ccf_proxy *proxy, ccf_http_server *srv) __attribute__((warn_unused_result));

/* The CA certificate PEM (owned by the proxy) and whether it was created now. */
const char *ccf_proxy_ca_pem(const ccf_proxy *proxy);
bool ccf_proxy_ca_created(const ccf_proxy *proxy);

/* Core operations, without HTTP (the routes call these). */
ccf_proxy_result ccf_proxy_nonce_new(ccf_proxy *proxy, char hex[2 * 32 + 1]);
/* The same for a caller (its address; "" = unbounded): at most
 * max_nonces_per_caller outstanding, else CCF_PROXY_TOO_MANY_NONCES with
 * *retry_after_s = seconds until its oldest one expires. */
ccf_proxy_result ccf_proxy_nonce_new_for(ccf_proxy *proxy, const char *caller,
                                         char hex[2 * 32 + 1], unsigned *retry_after_s);
/* Checks an attestation request for `platform`; on CCF_PROXY_OK *response is
 * the response object (caller decrefs); otherwise msg says what failed. */
ccf_proxy_result ccf_proxy_attest(ccf_proxy *proxy, const char *platform, const json_t *request,
                                  json_t **response, char *msg, size_t msg_size)
    __attribute__((warn_unused_result));

#endif
