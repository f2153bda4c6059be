/* The attestation agent's side of the KBS protocol (agent.h). */
#include "kbs/agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/evidence.h"
#include "attest/launch.h"
#include "attest/pki.h"
#include "jose/jose.h"
#include "kbs/kbs.h"

static ccf_err refused(const char *step, long status, const ccf_dynbuf *rb, char *err, size_t errsz)
{
    return ccf_errf(err, errsz, CCF_ERR_DENIED, "%s: HTTP %ld: %.600s", step, status,
                    rb->p ? (const char *)rb->p : "");
}

/* POST /kbs/v0/auth; the challenge's nonce into nonce. */
static ccf_err do_auth(ccf_http_ev *t, char *nonce, size_t nsz, ccf_dynbuf *rb, char *err,
                       size_t errsz)
{
    long st = 0;
    static const char body[] = "{\"version\":\"" CCF_KBS_PROTOCOL_VERSION
                               "\",\"tee\":\"linux\",\"extra-params\":\"\"}";
    ccf_err rc = ccf_http_ev_call(t, "POST", "/kbs/v0/auth", body, sizeof body - 1, &st, rb, err, errsz);
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
 * the tee key's). */
static ccf_err attest_body(const ccf_kbs_agent_req *q, const char *nonce, EVP_PKEY *bind_key,
                           char **out, char *err, size_t errsz)
{
    json_t *jwk = NULL, *bjwk = NULL, *req = NULL, *evj = NULL;
    ccf_dynbuf jcs;
    ccf_err rc;
    ccf_dynbuf_init(&jcs, 1u << 20);
    const char *alg = EVP_PKEY_is_a(q->tee_key, "RSA") ? "RSA-OAEP-256" : "ECDH-ES+A256KW";
    const char *balg = EVP_PKEY_is_a(bind_key, "RSA") ? "RSA-OAEP-256" : "ECDH-ES+A256KW";
    uint8_t lh[CCF_SHA256_LEN];
    ccf_evidence ev;
    char ph[CCF_SHA256_HEX_LEN + 1];
    if ((rc = ccf_jwk_from_key(q->tee_key, alg, &jwk, err, errsz)) != CCF_OK ||
        (rc = ccf_jwk_from_key(bind_key, balg, &bjwk, err, errsz)) != CCF_OK ||
        (rc = ccf_kbs_runtime_data_jcs(nonce, bjwk, "", &jcs, err, errsz)) != CCF_OK)
        goto out;
    if (!ccf_launch_hash(q->launch, strlen(q->launch), lh)) {
        rc = CCF_ERR_CRYPTO;
        goto out;
    }
    if ((rc = ccf_evidence_create(q->platform_key, q->measurement, (const uint8_t *)jcs.p, jcs.len,
                                  q->policy_hash, NULL, 0, lh, &ev, err, errsz)) != CCF_OK)
        goto out;
    ccf_hex_encode(q->policy_hash, CCF_SHA256_LEN, ph);
    if ((evj = ccf_evidence_to_json(&ev)) == NULL ||
        (req = json_pack("{s:{s:s, s:O}, s:{s:{s:O, s:s, s:s}, s:s}}", "runtime-data", "nonce",
                         nonce, "tee-pubkey", jwk, "tee-evidence", "primary_evidence",
                         "evidence", evj, "policy_hash", ph, "launch", q->launch,
                         "additional_evidence", "")) == NULL ||
        (q->init_data != NULL &&
         json_object_set_new(req, "init-data", json_pack("{s:s, s:s}", "format", "json", "body",
                                                         q->init_data)) != 0) ||
        (*out = json_dumps(req, JSON_COMPACT)) == NULL)
        rc = CCF_ERR_NOMEM;
out:
    json_decref(jwk);
    json_decref(bjwk);
    json_decref(req);
    json_decref(evj);
    ccf_dynbuf_free(&jcs);
    return rc;
}

ccf_err ccf_kbs_agent_attest(ccf_http_ev *t, const ccf_kbs_agent_req *q, char **token,
                             char *err, size_t errsz)
{
    ccf_dynbuf rb;
    char nonce[128], *body = NULL;
    EVP_PKEY *other = NULL;
    long st = 0;
    ccf_err rc;
    if (token != NULL)
        *token = NULL;
    ccf_dynbuf_init(&rb, CCF_KBS_AGENT_MAX_REPLY);
    if ((rc = do_auth(t, nonce, sizeof nonce, &rb, err, errsz)) != CCF_OK)
        goto out;
    if (q->tamper == CCF_KBS_TAMPER_FOREIGN_NONCE &&
        (rc = do_auth(q->second, nonce, sizeof nonce, &rb, err, errsz)) != CCF_OK)
        goto out;
    EVP_PKEY *bind = q->tee_key;
    if (q->tamper == CCF_KBS_TAMPER_BINDING) {
        if ((rc = ccf_pki_key_new(&other, err, errsz)) != CCF_OK)
            goto out;
        bind = other;
    }
    if ((rc = attest_body(q, nonce, bind, &body, err, errsz)) != CCF_OK)
        goto out;
    for (int round = 0; round < (q->tamper == CCF_KBS_TAMPER_NONCE_REUSE ? 2 : 1); round++) {
        if ((rc = ccf_http_ev_call(t, "POST", "/kbs/v0/attest", body, strlen(body), &st, &rb, err,
                          errsz)) != CCF_OK)
            goto out;
        if (st != 200) {
            rc = refused("attest", st, &rb, err, errsz);
            goto out;
        }
    }
    json_t *tv = json_loadb((const char *)rb.p, rb.len, 0, NULL);
    const char *tok = json_string_value(json_object_get(tv, "token"));
    if (tok != NULL && token != NULL && (*token = strdup(tok)) == NULL)
        rc = CCF_ERR_NOMEM;
    json_decref(tv);
    if (tok == NULL)
        rc = ccf_errf(err, errsz, CCF_ERR_INVALID, "attest: no token in the reply");
out:
    EVP_PKEY_free(other);
    free(body);
    ccf_dynbuf_free(&rb);
    return rc;
}

ccf_err ccf_kbs_agent_resource(ccf_http_ev *t, EVP_PKEY *tee_key, const char *resource,
                               uint8_t **plain, size_t *plainlen, char **jwe, char *err,
                               size_t errsz)
{
    ccf_dynbuf rb;
    char path[512];
    long st = 0;
    *plain = NULL;
    *plainlen = 0;
    if (jwe != NULL)
        *jwe = NULL;
    if (snprintf(path, sizeof path, "/kbs/v0/resource/%s", resource) >= (int)sizeof path)
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "resource path too long");
    ccf_dynbuf_init(&rb, CCF_KBS_AGENT_MAX_REPLY);
    ccf_err rc = ccf_http_ev_call(t, "GET", path, NULL, 0, &st, &rb, err, errsz);
    if (rc == CCF_OK && st != 200)
        rc = refused(resource, st, &rb, err, errsz);
    if (rc == CCF_OK && jwe != NULL && (*jwe = strndup((const char *)rb.p, rb.len)) == NULL)
        rc = CCF_ERR_NOMEM;
    if (rc == CCF_OK)
        rc = ccf_jwe_decrypt_text((const char *)rb.p, rb.len, tee_key, plain, plainlen, err,
                                  errsz);
    ccf_dynbuf_free(&rb);
    return rc;
}

