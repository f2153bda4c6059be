/* Control-plane HTTP client over libcurl (see http_client.h). */
#include "net/http_client.h"

#include "common/dynbuf.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sink {
    ccf_dynbuf buf;
    ccf_err failed; /* why the transfer was aborted */
};

static struct {
    char *ca_file, *cert_file, *key_file;
    ccf_http_tls view;
} tls_default;

ccf_err ccf_http_client_set_tls(const ccf_http_tls *tls)
{
    free(tls_default.ca_file);
    free(tls_default.cert_file);
    free(tls_default.key_file);
    memset(&tls_default, 0, sizeof tls_default);
    if (tls == NULL)
        return CCF_OK;
    if ((tls->ca_file && !(tls_default.ca_file = strdup(tls->ca_file))) ||
        (tls->cert_file && !(tls_default.cert_file = strdup(tls->cert_file))) ||
        (tls->key_file && !(tls_default.key_file = strdup(tls->key_file))))
        return CCF_ERR_NOMEM;
    tls_default.view = (ccf_http_tls){tls_default.ca_file, tls_default.cert_file,
                                      tls_default.key_file};
    return CCF_OK;
}

const ccf_http_tls *ccf_http_client_tls(void)
{
    return &tls_default.view;
}

static const char *env_or(const char *flag, const char *name)
{
    const char *v = flag != NULL ? flag : getenv(name);
    return v != NULL && v[0] != '\0' ? v : NULL;
}

ccf_err ccf_http_client_tls_from_env(const char *ca_file, const char *cert_file,
                                     const char *key_file, char *err, size_t err_size)
{
    ccf_http_tls t = {env_or(ca_file, "CCFAAS_CA_CERT"), env_or(cert_file, "CCFAAS_CERT"),
                      env_or(key_file, "CCFAAS_KEY")};
    if ((t.cert_file == NULL) != (t.key_file == NULL))
        return ccf_errf(err, err_size, CCF_ERR_INVALID,
                        "a client certificate needs its key: give both --cert and --key "
                        "(or CCFAAS_CERT and CCFAAS_KEY)");
    if (ccf_http_client_set_tls(&t) != CCF_OK)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    return CCF_OK;
}

static size_t on_data(char *data, size_t size, size_t n, void *ud)
{
    struct sink *s = ud;
    s->failed = ccf_dynbuf_add(&s->buf, data, size * n);
    return s->failed == CCF_OK ? size * n : 0; /* 0 aborts the transfer */
}

ccf_err ccf_http_call(const ccf_http_call_req *req, ccf_http_reply *reply, char *err,
                      size_t err_size)
{
    struct sink sink = {.failed = CCF_OK};
    ccf_dynbuf_init(&sink.buf, req->max_reply ? req->max_reply : CCF_HTTP_CLIENT_MAX_REPLY);
    struct curl_slist *hdrs = NULL;
    char ctype[160], noproxy[1024];
    ccf_err rc = CCF_OK;
    reply->status = 0;
    reply->body = NULL;
    reply->len = 0;
    bool https = req->url != NULL && strncmp(req->url, "https://", 8) == 0;
    if (req->url == NULL || (!https && strncmp(req->url, "http://", 7) != 0))
        return ccf_errf(err, err_size, CCF_ERR_INVALID,
                        "URL '%s': expected http://HOST:PORT/... or https://HOST:PORT/...",
                        req->url ? req->url : "");
    const ccf_http_tls *tls = req->tls != NULL ? req->tls : ccf_http_client_tls();
    CURL *c = curl_easy_init();
    if (c == NULL)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "cannot start an HTTP client");
    hdrs = curl_slist_append(hdrs, "Expect:"); /* no 100-continue round trip */
    if (req->body != NULL) {
        snprintf(ctype, sizeof ctype, "Content-Type: %s",
                 req->content_type ? req->content_type : "application/json");
        hdrs = curl_slist_append(hdrs, ctype);
    }
    if (req->bearer != NULL && req->bearer[0] != '\0') {
        char auth[256];
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", req->bearer);
        hdrs = curl_slist_append(hdrs, auth);
        OPENSSL_cleanse(auth, sizeof auth);
    }
    for (size_t i = 0; req->headers != NULL && req->headers[i] != NULL; i++)
        hdrs = curl_slist_append(hdrs, req->headers[i]);
    curl_easy_setopt(c, CURLOPT_URL, req->url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
    if (strcmp(req->method, "GET") == 0)
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    if (req->body != NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, req->timeout_ms > 0 ? req->timeout_ms : 30000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, https ? "https" : "http");
    if (https) {
        /* the server must chain to our own anchor when we have one; the client
         * certificate, when we have one, says who we are */
        if (tls->ca_file != NULL)
            curl_easy_setopt(c, CURLOPT_CAINFO, tls->ca_file);
        if (tls->cert_file != NULL && tls->key_file != NULL) {
            curl_easy_setopt(c, CURLOPT_SSLCERT, tls->cert_file);
            curl_easy_setopt(c, CURLOPT_SSLKEY, tls->key_file);
        }
    }
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, ccf_http_no_proxy(noproxy, sizeof noproxy));
    CURLcode cc = curl_easy_perform(c);
    if (cc != CURLE_OK) {
        if (sink.failed == CCF_ERR_TOO_LARGE)
            rc = ccf_errf(err, err_size, CCF_ERR_TOO_LARGE, "%s %s: reply larger than %zu bytes",
                          req->method, req->url, sink.buf.max);
        else if (sink.failed != CCF_OK)
            rc = ccf_errf(err, err_size, CCF_ERR_NOMEM, "%s %s: out of memory", req->method,
                          req->url);
        else
            rc = ccf_errf(err, err_size, CCF_ERR_IO, "%s %s: %s", req->method, req->url,
                          curl_easy_strerror(cc));
        ccf_dynbuf_free(&sink.buf);
        goto out;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply->status);
    if (sink.buf.p == NULL && (sink.buf.p = calloc(1, 1)) == NULL) {
        rc = ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
        goto out;
    }
    reply->body = sink.buf.p; /* the reply owns the bytes now */
    reply->len = sink.buf.len;
out:
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    return rc;
}

ccf_err ccf_http_call_json(const char *method, const char *url, const json_t *body,
                           long timeout_ms, long *status, json_t **json, char *err,
                           size_t err_size)
{
    char *text = NULL;
    ccf_http_reply reply = {0};
    *json = NULL;
    *status = 0;
    if (body != NULL && (text = json_dumps(body, JSON_COMPACT)) == NULL)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    ccf_http_call_req req = {.method = method, .url = url, .body = text,
                             .body_len = text ? strlen(text) : 0, .timeout_ms = timeout_ms};
    ccf_err rc = ccf_http_call(&req, &reply, err, err_size);
    free(text);
    if (rc != CCF_OK)
        return rc;
    *status = reply.status;
    *json = json_loadb(reply.body, reply.len, JSON_REJECT_DUPLICATES, NULL);
    ccf_http_reply_free(&reply);
    return CCF_OK;
}

const char *ccf_http_reply_error(const char *body, size_t len, char *buf, size_t size)
{
    json_t *v = json_loadb(body ? body : "", len, 0, NULL);
    const json_t *e = json_object_get(v, "error");
    const char *code = json_string_value(json_object_get(e, "code"));
    const char *msg = json_string_value(json_object_get(e, "message"));
    if (code != NULL)
        snprintf(buf, size, "%s: %s", code, msg ? msg : "");
    else
        snprintf(buf, size, "%.*s", (int)(len > 200 ? 200 : len), body ? body : "");
    json_decref(v);
    return buf;
}

const char *ccf_http_no_proxy(char *buf, size_t size)
{
    const char *np = getenv("no_proxy");
    if (np == NULL || np[0] == '\0')
        np = getenv("NO_PROXY");
    snprintf(buf, size, "%s%slocalhost,127.0.0.1,::1", np ? np : "", np && np[0] ? "," : "");
    return buf;
}

bool ccf_http_url_ok(const char *url)
{
    return url != NULL && ((strncmp(url, "http://", 7) == 0 && url[7] != '\0') ||
                           (strncmp(url, "https://", 8) == 0 && url[8] != '\0'));
}

void ccf_http_reply_free(ccf_http_reply *reply)
{
    if (reply == NULL)
        return;
    free(reply->body);
    reply->body = NULL;
    reply->len = 0;
}
