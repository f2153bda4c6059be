/* A small HTTP/1.1 client over libevent, for the trusted runtime's calls out
 * before it serves (the proxy attestation service, the key broker): the
 * runtime already links libevent and OpenSSL, and leaving libcurl (and the
 * libraries it pulls in) out keeps the measured binary small. One request at
 * a time on one keep-alive connection; the session cookie a server sets is
 * sent back; https trusts exactly one pinned certificate (no CA, no name
 * check). Also used by `ccfaas kbs fetch`, so tests run the same code. */
#ifndef CCF_ATTEST_HTTP_EV_H
#define CCF_ATTEST_HTTP_EV_H

#include <stddef.h>

#include "common/dynbuf.h"
#include "common/error.h"

typedef struct ccf_http_ev ccf_http_ev;

/* A client of url ("http://HOST:PORT", "HOST:PORT", "[IPv6]:PORT", or
 * "https://HOST:PORT" with pinned_cert_pem). `what` names the server in
 * messages ("proxy", "key broker"); each request is bounded by timeout_ms,
 * each answer by max_reply bytes. */
ccf_err ccf_http_ev_new(const char *what, const char *url, const char *pinned_cert_pem,
                        long timeout_ms, size_t max_reply, ccf_http_ev **out, char *err,
                        size_t errsz) __attribute__((warn_unused_result));
/* method "GET" or "POST" (body JSON, may be NULL) to path; *status and the
 * answer (reply reset first, NUL-ended). An error only when no HTTP answer
 * came. */
ccf_err ccf_http_ev_call(ccf_http_ev *h, const char *method, const char *path, const char *body,
                         size_t len, long *status, ccf_dynbuf *reply, char *err, size_t errsz)
    __attribute__((warn_unused_result));
/* "http(s)://HOST:PORT", for messages. */
const char *ccf_http_ev_where(const ccf_http_ev *h);
void ccf_http_ev_free(ccf_http_ev *h);

#endif
