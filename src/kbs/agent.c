/* The attestation agent's side of the KBS protocol (agent.h) over any
 * transport, and the libevent transport ccfaas-runtime uses. */
#include "kbs/agent.h"

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
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
static ccf_err do_auth(ccf_kbs_transport *t, char *nonce, size_t nsz, ccf_dynbuf *rb, char *err,
                       size_t errsz)
{
    long st = 0;
    static const char body[] = "{\"version\":\"" CCF_KBS_PROTOCOL_VERSION
                               "\",\"tee\":\"linux\",\"extra-params\":\"\"}";
    ccf_err rc = t->call(t, "POST", "/kbs/v0/auth", body, sizeof body - 1, &st, rb, err, errsz);
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

ccf_err ccf_kbs_agent_attest(ccf_kbs_transport *t, const ccf_kbs_agent_req *q, char **token,
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
        if ((rc = t->call(t, "POST", "/kbs/v0/attest", body, strlen(body), &st, &rb, err,
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

ccf_err ccf_kbs_agent_resource(ccf_kbs_transport *t, EVP_PKEY *tee_key, const char *resource,
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
    ccf_err rc = t->call(t, "GET", path, NULL, 0, &st, &rb, err, errsz);
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

/* ---- libevent transport ------------------------------------------------------ */

struct evhttp_transport {
    ccf_kbs_transport base; /* first: the struct is reached through it */
    struct event_base *ev;
    struct evhttp_connection *conn;
    SSL_CTX *tls;  /* https: trusts nothing but the pinned certificate */
    X509 *pinned;
    char host[256];
    char where[300];  /* http://HOST:PORT, for messages */
    char cookie[512]; /* "kbs-session-id=..." once the KBS set it */
};

struct reply {
    bool done;
    long status;
    ccf_dynbuf *body;
    char *cookie; /* where a Set-Cookie of the session goes */
    size_t cookie_size;
};

static void on_reply(struct evhttp_request *req, void *arg)
{
    struct reply *r = arg;
    r->done = true;
    if (req == NULL || evhttp_request_get_response_code(req) == 0)
        return;
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    unsigned char *p = evbuffer_pullup(in, -1);
    if ((len > 0 && (p == NULL || ccf_dynbuf_add(r->body, p, len) != CCF_OK)) ||
        ccf_dynbuf_add(r->body, "", 1) != CCF_OK)
        return;
    r->body->len--;
    const char *sc = evhttp_find_header(evhttp_request_get_input_headers(req), "Set-Cookie");
    size_t cl = strlen(CCF_KBS_COOKIE);
    if (sc != NULL && strncmp(sc, CCF_KBS_COOKIE "=", cl + 1) == 0) {
        size_t n = strcspn(sc, ";");
        if (n < r->cookie_size)
            snprintf(r->cookie, r->cookie_size, "%.*s", (int)n, sc);
    }
    r->status = evhttp_request_get_response_code(req);
}

static ccf_err ev_call(ccf_kbs_transport *t, const char *method, const char *path,
                       const char *body, size_t len, long *status, ccf_dynbuf *reply, char *err,
                       size_t errsz)
{
    struct evhttp_transport *e = (struct evhttp_transport *)t;
    struct reply r = {.body = reply, .cookie = e->cookie, .cookie_size = sizeof e->cookie};
    ccf_dynbuf_free(reply);
    ccf_dynbuf_init(reply, CCF_KBS_AGENT_MAX_REPLY);
    struct evhttp_request *req = evhttp_request_new(on_reply, &r);
    if (req == NULL)
        return ccf_errf(err, errsz, CCF_ERR_NOMEM, "out of memory");
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Host", e->host);
    if (e->cookie[0] != '\0')
        evhttp_add_header(h, "Cookie", e->cookie);
    bool post = strcmp(method, "POST") == 0;
    if (post) {
        evhttp_add_header(h, "Content-Type", "application/json");
        evbuffer_add(evhttp_request_get_output_buffer(req), body ? body : "", len);
    }
    if (evhttp_make_request(e->conn, req, post ? EVHTTP_REQ_POST : EVHTTP_REQ_GET, path) != 0)
        return ccf_errf(err, errsz, CCF_ERR_IO, "key broker %s%s: cannot send", e->where, path);
    while (!r.done && event_base_loop(e->ev, EVLOOP_ONCE) == 0)
        ;
    if (r.status == 0)
        return ccf_errf(err, errsz, CCF_ERR_IO, "key broker %s%s: no answer (unreachable, timed "
                        "out, or an answer over %u bytes)", e->where, path,
                        CCF_KBS_AGENT_MAX_REPLY);
    *status = r.status;
    return CCF_OK;
}

static void ev_free(ccf_kbs_transport *t)
{
    struct evhttp_transport *e = (struct evhttp_transport *)t;
    if (e == NULL)
        return;
    if (e->conn != NULL)
        evhttp_connection_free(e->conn);
    if (e->ev != NULL)
        event_base_free(e->ev);
    SSL_CTX_free(e->tls);
    X509_free(e->pinned);
    free(e);
}

/* The pin: the key broker's certificate must be exactly the policy's (its
 * self-signed certificate fails ordinary chain checks, which do not matter
 * here; any other certificate fails whatever its chain). */
static int pin_verify(X509_STORE_CTX *ctx, void *arg)
{
    X509 *peer = X509_STORE_CTX_get0_cert(ctx);
    return peer != NULL && X509_cmp(peer, (X509 *)arg) == 0;
}

ccf_err ccf_kbs_evhttp_transport_new(const char *url, const char *pinned_cert_pem, long timeout_ms,
                                     ccf_kbs_transport **out, char *err, size_t errsz)
{
    *out = NULL;
    bool https = strncmp(url, "https://", 8) == 0;
    const char *hp = https ? url + 8 : strncmp(url, "http://", 7) == 0 ? url + 7 : url;
    const char *colon = strrchr(hp, ':');
    char *end = NULL;
    long port = colon ? strtol(colon + 1, &end, 10) : 0;
    size_t hl = colon ? (size_t)(colon - hp) : 0;
    if (colon == NULL || end == NULL || (*end != '\0' && strcmp(end, "/") != 0) || port < 1 ||
        port > 65535 || hl == 0)
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "key broker URL '%.200s': expected "
                                                     "http(s)://HOST:PORT", url);
    if (https && pinned_cert_pem == NULL)
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "key broker %.200s: https needs the key "
                                                     "broker's certificate to pin", url);
    struct evhttp_transport *e = calloc(1, sizeof *e);
    if (e == NULL)
        return CCF_ERR_NOMEM;
    e->base = (ccf_kbs_transport){.call = ev_call, .free = ev_free};
    snprintf(e->where, sizeof e->where, "%s%.290s", https ? "https://" : "http://", hp);
    if (hp[0] == '[' && hl >= 2 && hp[hl - 1] == ']') {
        hp++;
        hl -= 2;
    }
    if (hl >= sizeof e->host) {
        ev_free(&e->base);
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "key broker host name too long");
    }
    memcpy(e->host, hp, hl);
    if ((e->ev = event_base_new()) == NULL) {
        ev_free(&e->base);
        return ccf_errf(err, errsz, CCF_ERR_NOMEM, "cannot start an HTTP client");
    }
    if (https) {
        BIO *b = BIO_new_mem_buf(pinned_cert_pem, -1);
        e->pinned = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
        BIO_free(b);
        SSL *ssl = NULL;
        struct bufferevent *bev = NULL;
        if (e->pinned == NULL || (e->tls = SSL_CTX_new(TLS_client_method())) == NULL ||
            SSL_CTX_set_min_proto_version(e->tls, TLS1_2_VERSION) != 1) {
            ev_free(&e->base);
            return ccf_errf(err, errsz, CCF_ERR_CRYPTO, "key broker %s: the pinned certificate "
                                                        "is not a PEM certificate", e->where);
        }
        SSL_CTX_set_verify(e->tls, SSL_VERIFY_PEER, NULL);
        SSL_CTX_set_cert_verify_callback(e->tls, pin_verify, e->pinned);
        if ((ssl = SSL_new(e->tls)) == NULL ||
            (bev = bufferevent_openssl_socket_new(e->ev, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
                                                  BEV_OPT_CLOSE_ON_FREE)) == NULL) {
            SSL_free(ssl);
            ev_free(&e->base);
            return ccf_errf(err, errsz, CCF_ERR_NOMEM, "cannot start a TLS client");
        }
        e->conn = evhttp_connection_base_bufferevent_new(e->ev, NULL, bev, e->host,
                                                         (unsigned short)port);
    } else {
        e->conn = evhttp_connection_base_new(e->ev, NULL, e->host, (unsigned short)port);
    }
    if (e->conn == NULL) {
        ev_free(&e->base);
        return ccf_errf(err, errsz, CCF_ERR_NOMEM, "cannot start an HTTP client");
    }
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    evhttp_connection_set_timeout_tv(e->conn, &tv);
    evhttp_connection_set_max_body_size(e->conn, CCF_KBS_AGENT_MAX_REPLY);
    *out = &e->base;
    return CCF_OK;
}
