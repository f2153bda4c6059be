/* The runtime's client of the proxy attestation service: asks for a nonce,
 * sends evidence + CSR, returns the certificate (DESIGN §1 step 5).
 *
 * The proxy speaks plain HTTP: the runtime need not trust it. A proxy that
 * lies can only issue certificates that clients reject (they check the chain
 * to the policy's proxy_service_cert, the measurement and the policy hash).
 * A runtime should still check what it got before serving with it:
 * ccf_verify_instance_cert() on its own certificate and policy.
 *
 * The protocol's shared definitions (certificate extension OIDs, the
 * attestation request) live here, on the trusted side; the service
 * (src/proxy/proxy.h) includes them. */
#ifndef CCF_ATTEST_PROXY_CLIENT_H
#define CCF_ATTEST_PROXY_CLIENT_H

#include <jansson.h>
#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* Extension OIDs of issued certificates. */
#define CCF_OID_MEASUREMENT "2.5.30.1" /* as Veracruz: raw runtime measurement */
#define CCF_OID_POLICY_HASH "2.25.263896573802196653808936386768084793383"
#define CCF_OID_PLATFORM "2.25.248842239132943578355131296550726950752"

#define CCF_PROXY_MAX_SANS 8 /* subject_alt_names in one request */

typedef struct {
    EVP_PKEY *platform_key;   /* platform private key (linux) */
    const uint8_t *measurement; /* 32 bytes */
    EVP_PKEY *instance_key;   /* the instance's fresh key pair */
    const uint8_t *policy_hash; /* 32 bytes */
    const char *nonce_hex;    /* from /attest/start */
    const char *const *sans;  /* DNS names / IPs; may be NULL */
    size_t san_count;
    const int *expiry;        /* {year, month, day, hour, minute} or NULL */
    const char *launch;       /* launch configuration text (attest/launch.h) */
} ccf_proxy_request_params;

/* Builds the POST /attest/linux request body (caller decrefs): members
 * nonce, policy_hash, evidence, csr, launch, and optionally
 * subject_alt_names and enclave_cert_expiry. */
ccf_err ccf_proxy_request_build(const ccf_proxy_request_params *p, json_t **out, char *err,
                                size_t err_size) __attribute__((warn_unused_result));

/* Largest response accepted from a proxy. */
#define CCF_PROXY_CLIENT_MAX_RESPONSE (256u * 1024u)

/* proxy_url: "HOST:PORT" (as a policy's proxy_attestation_server_url) or
 * "http://HOST:PORT", or "https://HOST:PORT" with pinned_cert_pem, the
 * proxy's certificate (the policy's proxy_tls_cert: exactly that one is
 * accepted; NULL for http). params: as for ccf_proxy_request_build() except
 * nonce_hex, which is fetched here (ignored). timeout_ms 0 = 10 s per call.
 * On success *cert_pem is the instance certificate and *ca_pem (may be NULL)
 * the proxy's CA certificate, both NUL-terminated, freed by the caller with
 * free(). Uses libevent's HTTP client (no libcurl in the trusted runtime).
 * A refusal is CCF_ERR_DENIED with "proxy refused: CODE: message"
 * in err; an unreachable proxy CCF_ERR_IO. */
ccf_err ccf_proxy_client_certify(const char *proxy_url, const char *pinned_cert_pem,
                                 const ccf_proxy_request_params *params, long timeout_ms,
                                 char **cert_pem, char **ca_pem, char *err, size_t err_size)
    __attribute__((warn_unused_result));

#endif
