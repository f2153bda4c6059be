/* Proxy attestation client over libcurl (see proxy_client.h). */
#include "attest/proxy_client.h"

#include "common/http_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* POSTs body (may be NULL) to base + path; *out is the parsed JSON object
 * response, *status the HTTP status. */
static ccf_err post_json(const char *base, const char *path, const char *body, long timeout_ms,
                         long *status, json_t **out, char *err, size_t err_size)
{
    char url[1024];
    ccf_http_reply reply = {0};
    *out = NULL;
    if (snprintf(url, sizeof url, "%s%s", base, path) >= (int)sizeof url)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "proxy URL too long");
    ccf_http_call_req req = {.method = "POST", .url = url, .body = body ? body : "",
                             .body_len = body ? strlen(body) : 0, .timeout_ms = timeout_ms,
                             .max_reply = CCF_PROXY_CLIENT_MAX_RESPONSE};
    ccf_err rc = ccf_http_call(&req, &reply, err, err_size);
    if (rc != CCF_OK)
        return rc;
    *status = reply.status;
    *out = json_loadb(reply.body, reply.len, JSON_REJECT_DUPLICATES, NULL);
    ccf_http_reply_free(&reply);
    if (*out == NULL || !json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "proxy %s: HTTP %ld with a non-JSON answer",
                        url, *status);
    }
    return CCF_OK;
}

static ccf_err refusal(const json_t *v, long status, char *err, size_t err_size)
{
    const json_t *e = json_object_get(v, "error");
    const char *code = json_string_value(json_object_get(e, "code"));
    const char *msg = json_string_value(json_object_get(e, "message"));
    return ccf_errf(err, err_size, status >= 500 ? CCF_ERR_IO : CCF_ERR_DENIED,
                    "proxy refused (HTTP %ld): %s: %s", status, code ? code : "?", msg ? msg : "");
}

static char *dup_member(const json_t *v, const char *key)
{
    const json_t *s = json_object_get(v, key);
    if (!json_is_string(s) || json_string_length(s) != strlen(json_string_value(s)))
        return NULL;
    return strdup(json_string_value(s));
}

ccf_err ccf_proxy_client_certify(const char *proxy_url, const ccf_proxy_request_params *params,
                                 long timeout_ms, char **cert_pem, char **ca_pem, char *err,
                                 size_t err_size)
{
    char base[512];
    json_t *resp = NULL, *req = NULL;
    char *body = NULL;
    long status = 0;
    ccf_err rc;
    *cert_pem = NULL;
    if (ca_pem != NULL)
        *ca_pem = NULL;
    if (timeout_ms <= 0)
        timeout_ms = 10000;
    if (strncmp(proxy_url, "https://", 8) == 0)
        return ccf_errf(err, err_size, CCF_ERR_UNSUPPORTED,
                        "the proxy attestation service speaks plain HTTP (its answers are "
                        "verified, not trusted): use http://");
    const char *hostport = strncmp(proxy_url, "http://", 7) == 0 ? proxy_url + 7 : proxy_url;
    size_t n = strlen(hostport);
    while (n > 0 && hostport[n - 1] == '/')
        n--;
    if (n == 0 || memchr(hostport, '/', n) != NULL)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "proxy URL '%s': expected HOST:PORT",
                        proxy_url);
    if (snprintf(base, sizeof base, "http://%.*s", (int)n, hostport) >= (int)sizeof base)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "proxy URL too long");

    if ((rc = post_json(base, "/attest/start", NULL, timeout_ms, &status, &resp, err,
                        err_size)) != CCF_OK)
        goto out;
    if (status != 200) {
        rc = refusal(resp, status, err, err_size);
        goto out;
    }
    const char *nonce = json_string_value(json_object_get(resp, "nonce"));
    if (nonce == NULL || strlen(nonce) != 64) {
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "proxy: no nonce in its answer");
        goto out;
    }
    ccf_proxy_request_params p = *params;
    p.nonce_hex = nonce;
    if ((rc = ccf_proxy_request_build(&p, &req, err, err_size)) != CCF_OK)
        goto out;
    json_decref(resp);
    resp = NULL;
    if ((body = json_dumps(req, JSON_COMPACT)) == NULL) {
        rc = ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = post_json(base, "/attest/linux", body, timeout_ms, &status, &resp, err,
                        err_size)) != CCF_OK)
        goto out;
    if (status != 200) {
        rc = refusal(resp, status, err, err_size);
        goto out;
    }
    if ((*cert_pem = dup_member(resp, "certificate")) == NULL ||
        (ca_pem != NULL && (*ca_pem = dup_member(resp, "ca_certificate")) == NULL)) {
        free(*cert_pem);
        *cert_pem = NULL;
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "proxy: no certificate in its answer");
        goto out;
    }
    rc = CCF_OK;
out:
    free(body);
    json_decref(req);
    json_decref(resp);
    return rc;
}
