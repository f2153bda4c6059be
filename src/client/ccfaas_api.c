/* The CCFaaS REST API as C calls (ccfaas_api.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "client/ccfaas_api.h"
#include "net/auth.h"
#include "net/http_client.h"

/* POST /instance starts and attests a runtime and uploads the programs. */
#define CREATE_TIMEOUT_MS 180000L
#define UPLOAD_TIMEOUT_MS 300000L

struct ccf_ccfaas_api {
    char *url;   /* without trailing '/' */
    long status; /* of the last reply; 0 = none */
    char token[CCF_AUTH_TOKEN_LEN + 1]; /* bearer token; "" = none */
    size_t max_reply; /* 0 = the HTTP client's default */
};

/* CCFAAS_TOKEN, else the file named by CCFAAS_TOKEN_FILE; "" when neither. */
static void token_from_env(ccf_ccfaas_api *api)
{
    const char *t = getenv("CCFAAS_TOKEN"), *f = getenv("CCFAAS_TOKEN_FILE");
    char err[256];
    api->token[0] = '\0';
    if (t != NULL && t[0] != '\0')
        snprintf(api->token, sizeof api->token, "%s", t);
    else if (f != NULL && f[0] != '\0' &&
             ccf_auth_token_read(f, api->token, err, sizeof err) != CCF_OK)
        api->token[0] = '\0'; /* the service's 401 then says a token is needed */
}

void ccf_ccfaas_api_set_token(ccf_ccfaas_api *api, const char *token)
{
    OPENSSL_cleanse(api->token, sizeof api->token);
    if (token != NULL)
        snprintf(api->token, sizeof api->token, "%s", token);
}

ccf_err ccf_ccfaas_api_new(const char *url, ccf_ccfaas_api **out, char *err, size_t err_size)
{
    *out = NULL;
    if (!ccf_http_url_ok(url))
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "CCFaaS URL must start with http:// or "
                        "https://, got '%s'", url ? url : "(none)");
    ccf_ccfaas_api *api = calloc(1, sizeof *api);
    size_t n = strlen(url);
    while (n > 8 && url[n - 1] == '/')
        n--;
    if (api == NULL || (api->url = strndup(url, n)) == NULL) {
        free(api);
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    }
    token_from_env(api);
    *out = api;
    return CCF_OK;
}

void ccf_ccfaas_api_free(ccf_ccfaas_api *api)
{
    if (api == NULL)
        return;
    free(api->url);
    OPENSSL_cleanse(api->token, sizeof api->token);
    free(api);
}

const char *ccf_ccfaas_api_url(const ccf_ccfaas_api *api) { return api->url; }

void ccf_ccfaas_api_set_max_reply(ccf_ccfaas_api *api, size_t max) { api->max_reply = max; }

long ccf_ccfaas_api_status(const ccf_ccfaas_api *api) { return api->status; }

void ccf_ccfaas_api_reply_free(ccf_ccfaas_api_reply *reply)
{
    if (reply == NULL)
        return;
    free(reply->body);
    json_decref(reply->json);
    memset(reply, 0, sizeof *reply);
}

/* base + "/" + path segments, each percent-encoded except A-Z a-z 0-9 - . _ ~ */
static char *make_url(const char *base, const char *const *segs, size_t n)
{
    size_t blen = strlen(base), cap = blen + 1;
    for (size_t i = 0; i < n; i++)
        cap += 1 + 3 * strlen(segs[i]);
    char *u = malloc(cap);
    if (u == NULL)
        return NULL;
    memcpy(u, base, blen);
    size_t o = blen;
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        u[o++] = '/';
        for (const unsigned char *c = (const unsigned char *)segs[i]; *c; c++) {
            if ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
                *c == '-' || *c == '.' || *c == '_' || *c == '~') {
                u[o++] = (char)*c;
            } else {
                u[o++] = '%';
                u[o++] = hex[*c >> 4];
                u[o++] = hex[*c & 15];
            }
        }
    }
    u[o] = '\0';
    return u;
}

static bool ok_status(long s) { return s >= 200 && s < 300; }

static ccf_err status_error(long status)
{
    switch (status) {
    case 400: case 409: case 422: return CCF_ERR_INVALID;
    case 401: case 403: return CCF_ERR_DENIED;
    case 404: return CCF_ERR_NOT_FOUND;
    case 413: return CCF_ERR_TOO_LARGE;
    case 429: return CCF_ERR_BUSY;
    case 501: return CCF_ERR_UNSUPPORTED;
    default: return CCF_ERR_INTERNAL;
    }
}

/* One request. CCF_OK only for a 2xx reply, which fills *reply (body, and
 * json when the body is JSON); a refusal is the service's "CODE: message". */
static ccf_err call_h(ccf_ccfaas_api *api, const char *method, const char *const *segs,
                      size_t nseg, const void *body, size_t len, const char *ctype,
                      long timeout_ms, const char *const *headers, ccf_ccfaas_api_reply *reply,
                      char *err, size_t err_size);

static ccf_err call(ccf_ccfaas_api *api, const char *method, const char *const *segs, size_t nseg,
                    const void *body, size_t len, const char *ctype, long timeout_ms,
                    ccf_ccfaas_api_reply *reply, char *err, size_t err_size)
{
    return call_h(api, method, segs, nseg, body, len, ctype, timeout_ms, NULL, reply, err,
                  err_size);
}

static ccf_err call_h(ccf_ccfaas_api *api, const char *method, const char *const *segs,
                      size_t nseg, const void *body, size_t len, const char *ctype,
                      long timeout_ms, const char *const *headers, ccf_ccfaas_api_reply *reply,
                      char *err, size_t err_size)
{
    ccf_http_reply r = {0};
    ccf_err rc;
    char *url = make_url(api->url, segs, nseg);
    api->status = 0;
    memset(reply, 0, sizeof *reply);
    if (url == NULL)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    ccf_http_call_req req = {.method = method, .url = url, .body = body, .body_len = len,
                             .content_type = ctype, .timeout_ms = timeout_ms,
                             .bearer = api->token, .headers = headers,
                             .max_reply = api->max_reply};
    if ((rc = ccf_http_call(&req, &r, err, err_size)) != CCF_OK) {
        /* a reply too large or an invalid URL are failures to talk, too */
        rc = CCF_ERR_IO;
        goto out;
    }
    api->status = r.status;
    if (!ok_status(r.status)) {
        ccf_http_reply_error(r.body, r.len, err, err_size);
        if (r.status == 401 && api->token[0] == '\0') {
            size_t used = strlen(err);
            snprintf(err + used, err_size - used, " (no token given: set CCFAAS_TOKEN or "
                                                  "CCFAAS_TOKEN_FILE, or over https CCFAAS_CERT "
                                                  "and CCFAAS_KEY; docs/auth.md)");
        }
        rc = status_error(r.status);
        goto out;
    }
    reply->body = r.body;
    reply->len = r.len;
    reply->json = json_loadb(r.body, r.len, 0, NULL);
    r.body = NULL;
    rc = CCF_OK;
out:
    ccf_http_reply_free(&r);
    free(url);
    return rc;
}

ccf_err ccf_ccfaas_api_call(ccf_ccfaas_api *api, const char *method, const char *const *segs,
                           size_t nseg, const void *body, size_t len, long timeout_ms,
                           const char *const *headers, ccf_ccfaas_api_reply *reply, char *err,
                           size_t err_size)
{
    return call_h(api, method, segs, nseg, body, len, NULL, timeout_ms, headers, reply, err,
                  err_size);
}

/* call() without a reply to keep. */
static ccf_err call_drop(ccf_ccfaas_api *api, const char *method, const char *const *segs,
                         size_t nseg, char *err, size_t err_size)
{
    ccf_ccfaas_api_reply r;
    ccf_err rc = call(api, method, segs, nseg, NULL, 0, NULL, 0, &r, err, err_size);
    ccf_ccfaas_api_reply_free(&r);
    return rc;
}

/* Whether two policy texts are the same bytes, or the same JSON. */
static bool same_policy(const char *x, size_t xlen, const char *y, size_t ylen)
{
    if (xlen == ylen && memcmp(x, y, xlen) == 0)
        return true;
    json_t *jx = json_loadb(x, xlen, 0, NULL), *jy = json_loadb(y, ylen, 0, NULL);
    bool same = jx != NULL && jy != NULL && json_equal(jx, jy);
    json_decref(jx);
    json_decref(jy);
    return same;
}

ccf_err ccf_ccfaas_api_function_register(ccf_ccfaas_api *api, const char *policy, size_t len,
                                         bool *existed, char *err, size_t err_size)
{
    ccf_ccfaas_api_reply r = {0}, cur = {0};
    json_t *j = json_loadb(policy, len, 0, NULL);
    const char *fn = json_string_value(json_object_get(j, "function"));
    char refusal[1024];
    ccf_err rc;
    *existed = false;
    api->status = 0;
    if (fn == NULL) {
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID,
                      "the policy is not JSON with a \"function\" string");
        goto out;
    }
    const char *segs[] = {"function", fn};
    rc = call(api, "POST", segs, 1, policy, len, "application/json", 0, &r, err, err_size);
    if (rc == CCF_OK || api->status != 409)
        goto out;
    /* 409: registered already; fine when with this very policy */
    snprintf(refusal, sizeof refusal, "%s", err);
    if (call(api, "GET", segs, 2, NULL, 0, NULL, 0, &cur, err, err_size) == CCF_OK &&
        same_policy(cur.body, cur.len, policy, len)) {
        *existed = true;
        rc = CCF_OK;
    } else {
        api->status = 409;
        snprintf(err, err_size, "%s", refusal);
    }
out:
    ccf_ccfaas_api_reply_free(&r);
    ccf_ccfaas_api_reply_free(&cur);
    json_decref(j);
    return rc;
}

ccf_err ccf_ccfaas_api_file_upload(ccf_ccfaas_api *api, const char *function,
                                   ccf_ccfaas_file_kind kind, const char *name, const void *bytes,
                                   size_t len, bool existed, bool *skipped, char *err,
                                   size_t err_size)
{
    ccf_ccfaas_api_reply r = {0}, st = {0};
    const char *segs[] = {"function", function,
                          kind == CCF_CCFAAS_PROGRAM ? "program" : "data_file", name};
    char refusal[1024];
    *skipped = false;
    ccf_err rc = call(api, "POST", segs, 4, bytes, len, "application/octet-stream",
                      UPLOAD_TIMEOUT_MS, &r, err, err_size);
    if (rc == CCF_OK || api->status != 409 || !existed)
        goto out;
    /* a status that says it is not uploaded yet means the 409 was something else */
    snprintf(refusal, sizeof refusal, "%s", err);
    if (call(api, "GET", segs, 4, NULL, 0, NULL, 0, &st, err, err_size) == CCF_OK &&
        !json_is_false(json_object_get(st.json, "uploaded"))) {
        *skipped = true;
        rc = CCF_OK;
    } else {
        api->status = 409;
        snprintf(err, err_size, "%s", refusal);
    }
out:
    ccf_ccfaas_api_reply_free(&r);
    ccf_ccfaas_api_reply_free(&st);
    return rc;
}

/* GET /COLL, whose reply must hold a KEY array. */
static ccf_err list(ccf_ccfaas_api *api, const char *coll, const char *key,
                    ccf_ccfaas_api_reply *reply, char *err, size_t err_size)
{
    const char *segs[] = {coll};
    ccf_err rc = call(api, "GET", segs, 1, NULL, 0, NULL, 0, reply, err, err_size);
    if (rc == CCF_OK && !json_is_array(json_object_get(reply->json, key))) {
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "unexpected reply (no \"%s\" array): %.200s",
                      key, reply->body);
        ccf_ccfaas_api_reply_free(reply);
    }
    return rc;
}

ccf_err ccf_ccfaas_api_function_list(ccf_ccfaas_api *api, ccf_ccfaas_api_reply *reply, char *err,
                                     size_t err_size)
{
    return list(api, "function", "functions", reply, err, err_size);
}

ccf_err ccf_ccfaas_api_function_show(ccf_ccfaas_api *api, const char *name,
                                     ccf_ccfaas_api_reply *reply, char *err, size_t err_size)
{
    const char *segs[] = {"function", name};
    return call(api, "GET", segs, 2, NULL, 0, NULL, 0, reply, err, err_size);
}

ccf_err ccf_ccfaas_api_function_delete(ccf_ccfaas_api *api, const char *name, char *err,
                                       size_t err_size)
{
    const char *segs[] = {"function", name};
    return call_drop(api, "DELETE", segs, 2, err, err_size);
}

ccf_err ccf_ccfaas_api_instance_create(ccf_ccfaas_api *api, const char *user_policy, size_t len,
                                       ccf_ccfaas_api_reply *reply, const char **id,
                                       const char **policy, size_t *policy_len, char *err,
                                       size_t err_size)
{
    const char *segs[] = {"instance"};
    *id = *policy = NULL;
    *policy_len = 0;
    ccf_err rc = call(api, "POST", segs, 1, user_policy, len, "application/json",
                      CREATE_TIMEOUT_MS, reply, err, err_size);
    if (rc != CCF_OK)
        return rc;
    json_t *ij = json_object_get(reply->json, "instance"), *pj = json_object_get(reply->json, "policy");
    if (!json_is_string(ij) || !json_is_string(pj)) {
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID,
                      "unexpected reply (needs \"instance\" and \"policy\" strings): %.200s",
                      reply->body);
        ccf_ccfaas_api_reply_free(reply);
        return rc;
    }
    *id = json_string_value(ij);
    *policy = json_string_value(pj);
    *policy_len = json_string_length(pj);
    return CCF_OK;
}

ccf_err ccf_ccfaas_api_instance_list(ccf_ccfaas_api *api, ccf_ccfaas_api_reply *reply, char *err,
                                     size_t err_size)
{
    return list(api, "instance", "instances", reply, err, err_size);
}

ccf_err ccf_ccfaas_api_instance_show(ccf_ccfaas_api *api, const char *name,
                                     ccf_ccfaas_api_reply *reply, char *err, size_t err_size)
{
    const char *segs[] = {"instance", name};
    return call(api, "GET", segs, 2, NULL, 0, NULL, 0, reply, err, err_size);
}

ccf_err ccf_ccfaas_api_instance_delete(ccf_ccfaas_api *api, const char *name, char *err,
                                       size_t err_size)
{
    const char *segs[] = {"instance", name};
    return call_drop(api, "DELETE", segs, 2, err, err_size);
}
