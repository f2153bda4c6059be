/* The KBS client of `ccfaas kbs` (kbs.h): auth -> attest (linux evidence made
 * with the platform key) -> resource -> JWE decrypted with the tee key; and
 * the admin requests with an EdDSA JWT. libcurl with its cookie engine keeps
 * the session cookie; replies are capped. */
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attest/pki.h"
#include "jose/jose.h"
#include "kbs/kbs.h"
#include "net/http_client.h"

#define MAX_REPLY (4u << 20)

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
    ccf_dynbuf *b = ud;
    return ccf_dynbuf_add(b, p, size * n) == CCF_OK ? size * n : 0;
}

/* One request on h; *status, reply text in rb (NUL-terminated). */
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
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http");
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 30000L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, rb);
    if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    } else
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
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

static ccf_err do_auth(CURL *h, const char *url, char *nonce, size_t nsz, ccf_dynbuf *rb,
                       char *err, size_t errsz)
{
    char u[1024];
    long st = 0;
    static const char body[] = "{\"version\":\"" CCF_KBS_PROTOCOL_VERSION
                               "\",\"tee\":\"linux\",\"extra-params\":\"\"}";
    snprintf(u, sizeof u, "%s/kbs/v0/auth", url);
    ccf_err rc = call(h, "POST", u, NULL, body, sizeof body - 1, "application/json", &st, rb, err,
                      errsz);
    if (rc != CCF_OK)
        return rc;
    if (st != 200)
        return refused("auth", st, rb, err, errsz);
    json_t *v = json_loadb((const char *)rb->p, rb->len, 0, NULL);
    const char *n = json_string_value(json_object_get(v, "nonce"));
    if (n == NULL || strlen(n) >= nsz) {
        json_decref(v);
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "auth: no nonce in the reply");
    }
    memcpy(nonce, n, strlen(n) + 1);
    json_decref(v);
    return CCF_OK;
}

/* The attest request body for nonce, binding bind_key's JWK (the JWK sent is
 * tee's). */
static ccf_err attest_body(const ccf_kbs_fetch_req *q, const char *nonce, EVP_PKEY *bind_key,
                           char **out, char *err, size_t errsz)
{
    json_t *jwk = NULL, *bjwk = NULL, *req = NULL, *evj = NULL;
    char *launch = NULL;
    ccf_dynbuf jcs;
    ccf_err rc;
    ccf_dynbuf_init(&jcs, 1u << 20);
    const char *alg = EVP_PKEY_is_a(q->tee_key, "RSA") ? "RSA-OAEP-256" : "ECDH-ES+A256KW";
    const char *balg = EVP_PKEY_is_a(bind_key, "RSA") ? "RSA-OAEP-256" : "ECDH-ES+A256KW";
    ccf_launch l = {.platform = CCF_RUNTIME_LINUX, .sandbox = true, .debug = q->debug,
                    .clean_environment = true, .max_exec_seconds = 600};
    uint8_t lh[CCF_SHA256_LEN];
    ccf_evidence ev;
    if ((rc = ccf_jwk_from_key(q->tee_key, alg, &jwk, err, errsz)) != CCF_OK ||
        (rc = ccf_jwk_from_key(bind_key, balg, &bjwk, err, errsz)) != CCF_OK ||
        (rc = ccf_kbs_runtime_data_jcs(nonce, bjwk, "", &jcs, err, errsz)) != CCF_OK ||
        (rc = ccf_launch_encode(&l, &launch)) != CCF_OK)
        goto out;
    if (!ccf_launch_hash(launch, strlen(launch), lh)) {
        rc = CCF_ERR_CRYPTO;
        goto out;
    }
    if ((rc = ccf_evidence_create(q->platform_key, q->measurement, (const uint8_t *)jcs.p, jcs.len,
                                  q->policy_hash, NULL, 0, lh, &ev, err, errsz)) != CCF_OK)
        goto out;
    char ph[65];
    ccf_hex_encode(q->policy_hash, 32, ph);
    if ((evj = ccf_evidence_to_json(&ev)) == NULL ||
        (req = json_pack("{s:{s:s, s:O}, s:{s:{s:O, s:s, s:s}, s:s}}", "runtime-data", "nonce",
                         nonce, "tee-pubkey", jwk, "tee-evidence", "primary_evidence",
                         "evidence", evj, "policy_hash", ph, "launch", launch,
                         "additional_evidence", "")) == NULL ||
        (*out = json_dumps(req, JSON_COMPACT)) == NULL)
        rc = CCF_ERR_NOMEM;
out:
    json_decref(jwk);
    json_decref(bjwk);
    json_decref(req);
    json_decref(evj);
    free(launch);
    ccf_dynbuf_free(&jcs);
    return rc;
}

ccf_err ccf_kbs_fetch(const ccf_kbs_fetch_req *q, uint8_t **plain, size_t *plainlen, char **token,
                      char **jweout, char *err, size_t errsz)
{
    CURL *h = curl_easy_init(), *h2 = NULL;
    ccf_dynbuf rb;
    char nonce[128], u[1024], *body = NULL;
    EVP_PKEY *other = NULL;
    long st = 0;
    ccf_err rc;
    *plain = NULL;
    *plainlen = 0;
    if (token)
        *token = NULL;
    if (jweout)
        *jweout = NULL;
    ccf_dynbuf_init(&rb, MAX_REPLY);
    if (h == NULL)
        return CCF_ERR_NOMEM;
    curl_easy_setopt(h, CURLOPT_COOKIEFILE, ""); /* cookie engine, in memory */
    if ((rc = do_auth(h, q->url, nonce, sizeof nonce, &rb, err, errsz)) != CCF_OK)
        goto out;
    if (q->tamper == CCF_KBS_TAMPER_FOREIGN_NONCE) {
        /* a second session: attest in the first with the second's nonce */
        char n2[128];
        if ((h2 = curl_easy_init()) == NULL) {
            rc = CCF_ERR_NOMEM;
            goto out;
        }
        curl_easy_setopt(h2, CURLOPT_COOKIEFILE, "");
        if ((rc = do_auth(h2, q->url, n2, sizeof n2, &rb, err, errsz)) != CCF_OK)
            goto out;
        memcpy(nonce, n2, sizeof n2);
    }
    EVP_PKEY *bind = q->tee_key;
    if (q->tamper == CCF_KBS_TAMPER_BINDING) {
        if ((rc = ccf_pki_key_new(&other, err, errsz)) != CCF_OK)
            goto out;
        bind = other;
    }
    if ((rc = attest_body(q, nonce, bind, &body, err, errsz)) != CCF_OK)
        goto out;
    snprintf(u, sizeof u, "%s/kbs/v0/attest", q->url);
    for (int round = 0; round < (q->tamper == CCF_KBS_TAMPER_NONCE_REUSE ? 2 : 1); round++) {
        if ((rc = call(h, "POST", u, NULL, body, strlen(body), "application/json", &st, &rb, err,
                       errsz)) != CCF_OK)
            goto out;
        if (st != 200) {
            rc = refused("attest", st, &rb, err, errsz);
            goto out;
        }
    }
    json_t *tv = json_loadb((const char *)rb.p, rb.len, 0, NULL);
    const char *t = json_string_value(json_object_get(tv, "token"));
    if (t != NULL && token != NULL)
        *token = strdup(t);
    json_decref(tv);
    if (t == NULL) {
        rc = ccf_errf(err, errsz, CCF_ERR_INVALID, "attest: no token in the reply");
        goto out;
    }
    snprintf(u, sizeof u, "%s/kbs/v0/resource/%s", q->url, q->resource);
    if ((rc = call(h, "GET", u, NULL, NULL, 0, NULL, &st, &rb, err, errsz)) != CCF_OK)
        goto out;
    if (st != 200) {
        rc = refused("resource", st, &rb, err, errsz);
        goto out;
    }
    if (jweout != NULL)
        *jweout = strndup((const char *)rb.p, rb.len);
    rc = ccf_jwe_decrypt_text((const char *)rb.p, rb.len, q->tee_key, plain, plainlen, err,
                              errsz);
out:
    if (rc != CCF_OK && token != NULL) {
        free(*token);
        *token = NULL;
    }
    EVP_PKEY_free(other);
    free(body);
    ccf_dynbuf_free(&rb);
    curl_easy_cleanup(h);
    curl_easy_cleanup(h2);
    return rc;
}

ccf_err ccf_kbs_admin_post(const char *url, const char *path, EVP_PKEY *admin_key,
                           const void *body, size_t len, const char *ctype, char *err,
                           size_t errsz)
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
    if ((rc = call(h, "POST", u, jwt, body, len, ctype, &st, &rb, err, errsz)) != CCF_OK)
        goto out;
    if (st != 200)
        rc = refused(path, st, &rb, err, errsz);
out:
    free(jwt);
    json_decref(claims);
    ccf_dynbuf_free(&rb);
    curl_easy_cleanup(h);
    return rc;
}
