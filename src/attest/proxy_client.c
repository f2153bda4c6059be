/* Proxy attestation client over libcurl (see proxy_client.h). */
#include "attest/proxy_client.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct body {
    char *p;
    size_t len;
    bool too_large;
};

static size_t on_data(char *data, size_t size, size_t n, void *ud)
{
    struct body *b = ud;
    size_t k = size * n;
    if (b->len + k > CCF_PROXY_CLIENT_MAX_RESPONSE) {
        b->too_large = true;
        return 0; /* aborts the transfer */
    }
    char *np = realloc(b->p, b->len + k + 1);
    if (np == NULL)
        return 0;
    memcpy(np + b->len, data, k);
    b->p = np;
    b->len += k;
    b->p[b->len] = '\0';
    return k;
}

/* POSTs body (may be NULL) to base + path; *out is the parsed JSON object
 * response, *status the HTTP status. */
static ccf_err post_json(const char *base, const char *path, const char *body, long timeout_ms,
                         long *status, json_t **out, char *err, size_t err_size)
{
    char url[1024];
    struct body resp = {0};
    struct curl_slist *hdrs = NULL;
    ccf_err rc = CCF_OK;
    json_error_t jerr;
    *out = NULL;
    if (snprintf(url, sizeof url, "%s%s", base, path) >= (int)sizeof url)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "proxy URL too long");
    CURL *c = curl_easy_init();
    if (c == NULL)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "cannot start an HTTP client");
    hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    hdrs = curl_slist_append(hdrs, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    CURLcode cc = curl_easy_perform(c);
    if (cc != CURLE_OK) {
        rc = ccf_errf(err, err_size, resp.too_large ? CCF_ERR_TOO_LARGE : CCF_ERR_IO,
                      "proxy %s: %s", url,
                      resp.too_large ? "response too large" : curl_easy_strerror(cc));
        goto out;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    *out = json_loadb(resp.p ? resp.p : "", resp.len, JSON_REJECT_DUPLICATES, &jerr);
    if (*out == NULL || !json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "proxy %s: HTTP %ld with a non-JSON answer",
                      url, *status);
    }
out:
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    free(resp.p);
    return rc;
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
