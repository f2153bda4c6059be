/* HTTP(S) client for the control plane (service to service, CLI to
 * service): one request, whole body in memory, bounded. libcurl underneath:
 * call curl_global_init(CURL_GLOBAL_DEFAULT) once at program start, before
 * threads exist. Data-plane traffic (mTLS to instances) goes through
 * client/client.h instead.
 *
 * Ownership: ccf_http_call() fills a response whose body the caller frees
 * with ccf_http_reply_free() (or free(reply.body)). */
#ifndef CCF_NET_HTTP_CLIENT_H
#define CCF_NET_HTTP_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

/* Largest response body accepted when a request does not set a cap. */
#define CCF_HTTP_CLIENT_MAX_REPLY (16u * 1024u * 1024u)

/* HTTPS settings (docs/auth.md "TLS"): PEM files. ca_file: the CA the server's
 * certificate must chain to (the platform service CA; NULL: the system's
 * CAs); cert_file + key_file: a client certificate of the service CA (NULL:
 * none; a bearer token authenticates instead). */
typedef struct {
    const char *ca_file;
    const char *cert_file;
    const char *key_file;
} ccf_http_tls;

/* The process-wide TLS settings used by requests that name none (copied).
 * Call once at start, before threads; NULL clears. CCF_ERR_NOMEM on failure. */
ccf_err ccf_http_client_set_tls(const ccf_http_tls *tls) __attribute__((warn_unused_result));
/* The process-wide TLS settings ("all NULL" when none were set). */
const ccf_http_tls *ccf_http_client_tls(void);
/* From the environment: CCFAAS_CA_CERT, CCFAAS_CERT, CCFAAS_KEY, each
 * overridden by the non-NULL arguments (command-line flags); sets the
 * process-wide settings. CCF_ERR_INVALID (err says which) when only one of
 * cert and key is given. */
ccf_err ccf_http_client_tls_from_env(const char *ca_file, const char *cert_file,
                                     const char *key_file, char *err, size_t err_size)
    __attribute__((warn_unused_result));

typedef struct {
    const char *method;       /* "GET", "POST", "PUT", "DELETE" */
    const char *url;          /* http://HOST:PORT/path?query or https://... */
    const void *body;         /* NULL = no body */
    size_t body_len;
    const char *content_type; /* NULL = application/json when there is a body */
    long timeout_ms;          /* whole request; 0 = 30 s */
    size_t max_reply;         /* 0 = CCF_HTTP_CLIENT_MAX_REPLY */
    const char *bearer;       /* NULL = none; else sent as Authorization: Bearer (docs/auth.md) */
    const ccf_http_tls *tls;  /* NULL = the process-wide settings */
    const char *const *headers; /* more "Name: value" lines, NULL-terminated; or NULL */
} ccf_http_call_req;

typedef struct {
    long status;  /* HTTP status */
    char *body;   /* NUL-terminated (the NUL is not counted in len); never NULL on success */
    size_t len;
} ccf_http_reply;

/* Performs the request. Any HTTP status is CCF_OK (look at reply->status);
 * CCF_ERR_IO when the server cannot be reached or the connection fails,
 * CCF_ERR_TOO_LARGE when the reply exceeds the cap, CCF_ERR_INVALID for a
 * malformed URL. err names the URL and the reason. */
ccf_err ccf_http_call(const ccf_http_call_req *req, ccf_http_reply *reply, char *err,
                      size_t err_size) __attribute__((warn_unused_result));

/* As ccf_http_call with a JSON body (NULL = none; not consumed) and the reply
 * parsed: *json is the reply as JSON (NULL when the body is not JSON; the
 * caller decrefs). */
ccf_err ccf_http_call_json(const char *method, const char *url, const json_t *body,
                           long timeout_ms, long *status, json_t **json, char *err,
                           size_t err_size) __attribute__((warn_unused_result));

/* "CODE: message" of a {"error":{"code","message"}} reply, or the start of
 * the body when it has another form, into buf. Returns buf. */
const char *ccf_http_reply_error(const char *body, size_t len, char *buf, size_t size);

/* The no_proxy list for libcurl (CURLOPT_NOPROXY): the user's no_proxy /
 * NO_PROXY plus loopback. A user's proxy may serve remote services, never
 * loopback ones (`ccfaas up`, local instances). Returns buf. */
const char *ccf_http_no_proxy(char *buf, size_t size);

/* true for "http://X..." and "https://X..." (X non-empty): a service URL. */
bool ccf_http_url_ok(const char *url);

/* Frees the body; NULL is a no-op. */
void ccf_http_reply_free(ccf_http_reply *reply);

#endif
