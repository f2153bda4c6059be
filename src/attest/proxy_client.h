/* The runtime's client of the proxy attestation service: asks for a nonce,
 * sends evidence + CSR, returns the certificate (DESIGN §1 step 5).
 *
 * The proxy speaks plain HTTP: the runtime need not trust it. A proxy that
 * lies can only issue certificates that clients reject (they check the chain
 * to the policy's proxy_service_cert, the measurement and the policy hash).
 * A runtime should still check what it got before serving with it:
 * ccf_verify_instance_cert() on its own certificate and policy. */
#ifndef CCF_ATTEST_PROXY_CLIENT_H
#define CCF_ATTEST_PROXY_CLIENT_H

#include <stddef.h>

#include "attest/proxy.h"
#include "common/error.h"

/* Largest response accepted from a proxy. */
#define CCF_PROXY_CLIENT_MAX_RESPONSE (256u * 1024u)

/* proxy_url: "HOST:PORT" (as a policy's proxy_attestation_server_url) or
 * "http://HOST:PORT". params: as for ccf_proxy_request_build() except
 * nonce_hex, which is fetched here (ignored). timeout_ms 0 = 10 s per call.
 * On success *cert_pem is the instance certificate and *ca_pem (may be NULL)
 * the proxy's CA certificate, both NUL-terminated, freed by the caller with
 * free(). Uses libcurl: call curl_global_init() once at program start, before
 * threads. A refusal is CCF_ERR_DENIED with "proxy refused: CODE: message"
 * in err; an unreachable proxy CCF_ERR_IO. */
ccf_err ccf_proxy_client_certify(const char *proxy_url, const ccf_proxy_request_params *params,
                                 long timeout_ms, char **cert_pem, char **ca_pem, char *err,
                                 size_t err_size) __attribute__((warn_unused_result));

#endif
