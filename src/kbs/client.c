/* The KBS clients of `ccfaas kbs` (kbs.h): fetch through the agent (agent.c)
 * and the admin requests with an EdDSA JWT over libcurl. Replies are capped. */
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attest/launch.h"
#include "jose/jose.h"
#include "kbs/kbs.h"
#include "net/http_client.h"

#define MAX_REPLY CCF_KBS_AGENT_MAX_REPLY

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
    ccf_dynbuf *b = ud;
    return ccf_dynbuf_add(b, p, size * n) == CCF_OK ? size * n : 0;
}

/* One request on h; *status, reply text in rb (NUL-terminated). */
static char tls_ca[4096]; /* ccf_kbs_client_set_tls_cert */

void ccf_kbs_client_set_tls_cert(const char *file)
{
    snprintf(tls_ca, sizeof tls_ca, "%s", file ? file : "");
}

static ccf_err call(CURL *h, const char *method, const char *url, const char *auth,
                    const void *body, size_t len, const char *ctype, long *status,
                    ccf_dynbuf *rb, char *err, size_t errsz)
{
    struct curl_slist *hd = NULL;
    char np[512], ah[8192];
    ccf_dynbuf_free(rb);
    ccf_dynbuf_init(rb, MAX_REPLY);
    if (ctype != NULL) {
        snprintf(ah, sizeof ah, "Content-Type: %s", ctype);
        hd = curl_slist_append(hd, ah);
    }
    if (auth != NULL) {
        if (snprintf(ah, sizeof ah, "Authorization: Bearer %s", auth) >= (int)sizeof ah)
            return ccf_errf(err, errsz, CCF_ERR_TOO_LARGE, "token too long");
        hd = curl_slist_append(hd, ah);
        OPENSSL_cleanse(ah, sizeof ah);
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOPROXY, ccf_http_no_proxy(np, sizeof np));
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    if (tls_ca[0] != '\0') /* an https key broker: its own certificate is the only anchor */
        curl_easy_setopt(h, CURLOPT_CAINFO, tls_ca);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 30000L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, rb);
    if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    } else {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
        if (strcmp(method, "GET") != 0)
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method); /* DELETE, no body */
    }
    CURLcode cc = curl_easy_perform(h);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hd);
    if (cc != CURLE_OK)
        return ccf_errf(err, errsz, CCF_ERR_IO, "%s: %s", url, curl_easy_strerror(cc));
    if (ccf_dynbuf_add(rb, "", 1) != CCF_OK)
        return CCF_ERR_TOO_LARGE;
    rb->len--;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    return CCF_OK;
}

static ccf_err refused(const char *step, long status, const ccf_dynbuf *rb, char *err, size_t errsz)
{
    return ccf_errf(err, errsz, CCF_ERR_DENIED, "%s: HTTP %ld: %.600s", step, status,
                    rb->p ? (const char *)rb->p : "");
}

/* `kbs fetch` plays an instance: the same protocol code and transport as
 * ccfaas-runtime (agent.c, libevent), so that e2e.kbs tests what runs there. */
ccf_err ccf_kbs_fetch(const ccf_kbs_fetch_req *q, uint8_t **plain, size_t *plainlen, char **token,
                      char **jweout, char *err, size_t errsz)
{
    ccf_http_ev *t = NULL, *t2 = NULL;
    char *launch = NULL;
    /* the launch configuration a sandboxed development runtime reports */
    ccf_launch l = {.platform = CCF_RUNTIME_LINUX, .sandbox = true, .debug = q->debug,
                    .clean_environment = true, .max_exec_seconds = 600};
    ccf_err rc;
    *plain = NULL;
    *plainlen = 0;
    if (token)
        *token = NULL;
    if (jweout)
        *jweout = NULL;
    if ((rc = ccf_http_ev_new("key broker", q->url, q->tls_cert_pem, 30000,
                              CCF_KBS_AGENT_MAX_REPLY, &t, err, errsz)) != CCF_OK ||
        (q->tamper == CCF_KBS_TAMPER_FOREIGN_NONCE &&
         (rc = ccf_http_ev_new("key broker", q->url, q->tls_cert_pem, 30000,
                               CCF_KBS_AGENT_MAX_REPLY, &t2, err, errsz)) != CCF_OK))
        goto out;
    if ((rc = ccf_launch_encode(&l, &launch)) != CCF_OK)
        goto out;
    ccf_kbs_agent_req a = {.tee_key = q->tee_key, .platform_key = q->platform_key,
                           .measurement = q->measurement, .policy_hash = q->policy_hash,
                           .launch = launch, .init_data = q->init_data, .tamper = q->tamper,
                           .second = t2};
    if ((rc = ccf_kbs_agent_attest(t, &a, token, err, errsz)) == CCF_OK)
        rc = ccf_kbs_agent_resource(t, q->tee_key, q->resource, plain, plainlen, jweout, err,
                                    errsz);
    if (rc != CCF_OK && token != NULL) {
        free(*token);
        *token = NULL;
    }
out:
    free(launch);
    ccf_http_ev_free(t);
    ccf_http_ev_free(t2);
    return rc;
}

ccf_err ccf_kbs_admin_post(const char *url, const char *path, EVP_PKEY *admin_key,
                           const void *body, size_t len, const char *ctype, char *err,
                           size_t errsz)
{
    return ccf_kbs_admin_request(url, "POST", path, admin_key, body, len, ctype, NULL, err,
                                 errsz);
}

ccf_err ccf_kbs_admin_request(const char *url, const char *method, const char *path,
                              EVP_PKEY *admin_key, const void *body, size_t len,
                              const char *ctype, char **reply, char *err, size_t errsz)
{
    char *jwt = NULL, u[1024];
    long st = 0;
    ccf_dynbuf rb;
    int64_t now = (int64_t)time(NULL);
    json_t *claims = json_pack("{s:I, s:I}", "iat", (json_int_t)now, "exp",
                               (json_int_t)(now + 7200));
    ccf_dynbuf_init(&rb, MAX_REPLY);
    CURL *h = curl_easy_init();
    ccf_err rc = claims == NULL || h == NULL ? CCF_ERR_NOMEM
                                             : ccf_jwt_sign(admin_key, claims, &jwt, err, errsz);
    if (rc != CCF_OK)
        goto out;
    snprintf(u, sizeof u, "%s%s", url, path);
    if (reply != NULL)
        *reply = NULL;
    if ((rc = call(h, method, u, jwt, body, len, ctype, &st, &rb, err, errsz)) != CCF_OK)
        goto out;
    if (st != 200)
        rc = refused(path, st, &rb, err, errsz);
    else if (reply != NULL && (*reply = strdup(rb.p ? (const char *)rb.p : "")) == NULL)
        rc = CCF_ERR_NOMEM;
out:
    free(jwt);
    json_decref(claims);
    ccf_dynbuf_free(&rb);
    curl_easy_cleanup(h);
    return rc;
}
