/* The KBS service (kbs.h, docs/kbs.md) on libmicrohttpd: its own small
 * server (it needs cookies and Trustee's RFC 7807 error form, which the
 * control-plane server of src/net does not speak). Sessions live in memory
 * (a restart ends them; resources and the rule set are in the store). */
#include <ctype.h>
#include <arpa/inet.h>
#include <openssl/x509v3.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "attest/evidence.h"
#include "attest/launch.h"
#include "attest/pki.h"
#include "common/crypto.h"
#include "common/file.h"
#include "common/log.h"
#include "jose/jose.h"
#include "kbs/kbs.h"
#include "net/addr.h"
#include "net/conn_deadline.h"
#include "net/http_server.h"
#include "policy/policy.h"

#define ID_HEX 32    /* session id: 16 random bytes as hex */
#define NONCE_B64 44 /* 32 bytes, standard base64 with padding */
#define MAX_BODY (CCF_KBS_MAX_RESOURCE + 1)

typedef struct {
    bool live;
    char id[ID_HEX + 1];
    char nonce[NONCE_B64 + 1];
    bool nonce_spent;
    char tee[33]; /* the platform named at auth: "linux" or a ccf_tee_platform name */
    time_t expires;
    char *token; /* after a successful attest */
} session;

struct ccf_kbs {
    char *data_dir;
    ccf_addr addr;
    unsigned token_lifetime, session_lifetime, threads, per_ip;
    ccf_conn_deadline *deadline; /* the request deadline, as every control-plane listener's */
    bool quiet, admin_created;
    EVP_PKEY *token_key, *platform_pub, *admin_pub;
    ccf_kbs_store *store;
    struct MHD_Daemon *daemon;
    uint16_t port;
    pthread_mutex_t mu;
    session *sessions;
    struct {
        ccf_tee_platform platform;
        uint8_t *buf; /* the pinned anchors' bytes, read at start */
        size_t len;
    } roots[CCF_KBS_MAX_TEE_ROOTS];
    size_t n_roots;
    char platforms[64]; /* "linux, snp, tdx" */
    char *tls_key_pem, *tls_cert_pem; /* --tls: what libmicrohttpd (GnuTLS) serves with */
};

typedef struct {
    int status;
    char *body;
    size_t len;
    const char *ctype;
    char cookie[160];
} reply;

typedef struct {
    ccf_dynbuf body;
    bool too_large;
} conn_state;

static void kbs_error(reply *r, int status, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void kbs_error(reply *r, int status, const char *name, const char *fmt, ...)
{
    char detail[512], type[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    snprintf(type, sizeof type, "%s%s", CCF_KBS_ERROR_PREFIX, name);
    json_t *o = json_pack("{s:s, s:s}", "type", type, "detail", detail);
    free(r->body);
    r->body = o ? json_dumps(o, JSON_COMPACT) : NULL;
    r->len = r->body ? strlen(r->body) : 0;
    r->status = status;
    r->ctype = "application/json";
    json_decref(o);
}

static void kbs_json(reply *r, int status, json_t *v)
{
    free(r->body);
    r->body = v ? json_dumps(v, JSON_COMPACT) : NULL;
    r->len = r->body ? strlen(r->body) : 0;
    r->status = r->body ? status : 500;
    r->ctype = "application/json";
    json_decref(v);
}

/* ---- sessions (under kbs->mu) ---- */

static session *find_session(ccf_kbs *k, const char *id, time_t now, bool *expired)
{
    session *hit = NULL;
    *expired = false;
    if (id == NULL || strlen(id) != ID_HEX)
        return NULL;
    for (size_t i = 0; i < CCF_KBS_MAX_SESSIONS; i++) {
        session *s = &k->sessions[i];
        /* constant time in the id: every live slot compared in full */
        if (s->live && CRYPTO_memcmp(s->id, id, ID_HEX) == 0)
            hit = s;
    }
    if (hit != NULL && hit->expires <= now) {
        *expired = true;
        return NULL;
    }
    return hit;
}

static void drop_session(session *s)
{
    free(s->token);
    OPENSSL_cleanse(s, sizeof *s);
}

/* ---- handlers ---- */

/* tee is "linux" or a TEE with pinned anchors given at start. */
static bool tee_served(const ccf_kbs *k, const char *tee)
{
    ccf_tee_platform p;
    if (strcmp(tee, "linux") == 0)
        return true;
    if (!ccf_tee_platform_parse(tee, &p))
        return false;
    for (size_t i = 0; i < k->n_roots; i++)
        if (k->roots[i].platform == p)
            return true;
    return false;
}

/* The instance's policy sent as init-data: it must be the policy the
 * evidence binds (its SHA-256, the policy hash), and then names what rules
 * may ask for: the function, the instance and the hashes of the programs it
 * may run. */
static bool init_data_claims(const char *body, size_t len, const uint8_t policy_hash[32],
                             json_t *claims, reply *r)
{
    uint8_t h[CCF_SHA256_LEN];
    ccf_policy *p = NULL;
    ccf_policy_errors errors;
    if (!ccf_sha256(body, len, h) || CRYPTO_memcmp(h, policy_hash, sizeof h) != 0) {
        kbs_error(r, 401, "AttestationError", "init-data is not the policy the evidence binds "
                                              "(its SHA-256 differs from the policy hash)");
        return false;
    }
    if (ccf_policy_parse(body, len, CCF_POLICY_FULL, &p, &errors) != CCF_OK) {
        kbs_error(r, 401, "AttestationError", "init-data is not a full policy: %s: %s",
                  errors.count ? errors.items[0].path : "", errors.count ? errors.items[0].message
                                                                         : "invalid");
        return false;
    }
    json_t *progs = json_array();
    for (size_t i = 0; progs != NULL && i < p->program_count; i++) {
        char lower[CCF_SHA256_HEX_LEN + 1];
        for (size_t j = 0; j <= CCF_SHA256_HEX_LEN; j++)
            lower[j] = (char)tolower((unsigned char)p->programs[i].pi_hash[j]);
        json_array_append_new(progs, json_string(lower));
    }
    json_object_set_new(claims, "programs", progs);
    if (p->function != NULL)
        json_object_set_new(claims, "function", json_string(p->function));
    if (p->instance_id != NULL)
        json_object_set_new(claims, "instance", json_string(p->instance_id));
    ccf_policy_free(p);
    return true;
}

/* The linux development platform's evidence (docs/kbs.md): signed by the
 * platform key, report data binding the runtime data's JCS, the policy hash
 * and the launch configuration. Its claims, or NULL with the refusal in r. */
static json_t *verify_linux(ccf_kbs *k, const ccf_kbs_attest_req *req, const ccf_dynbuf *jcs,
                            reply *r)
{
    char err[512], mhex[65], phex[65];
    ccf_evidence ev;
    ccf_launch launch;
    uint8_t policy_hash[CCF_SHA256_LEN], launch_hash[CCF_SHA256_LEN];
    if (ccf_kbs_parse_linux_evidence(req->primary, &ev, policy_hash, &launch, launch_hash, err,
                                     sizeof err) != CCF_OK) {
        kbs_error(r, 401, "AttestationError", "linux evidence: %s", err);
        return NULL;
    }
    if (launch.platform != CCF_RUNTIME_LINUX) {
        kbs_error(r, 401, "AttestationError", "linux evidence: the launch names another platform");
        return NULL;
    }
    if (ccf_evidence_verify(&ev, k->platform_pub, err, sizeof err) != CCF_OK) {
        kbs_error(r, 401, "AttestationError", "linux evidence: %s", err);
        return NULL;
    }
    if (ccf_evidence_check_binding(&ev, (const uint8_t *)jcs->p, jcs->len, policy_hash, NULL, 0,
                                   launch_hash) != CCF_OK) {
        kbs_error(r, 401, "AttestationError",
                  "report data does not bind the runtime data (tee-pubkey, nonce, "
                  "additional-evidence), policy hash and launch configuration");
        return NULL;
    }
    ccf_hex_encode(ev.measurement, 32, mhex);
    ccf_hex_encode(policy_hash, 32, phex);
    json_t *claims = json_pack("{s:s, s:b, s:s, s:s, s:b}", "tee", "linux",
                               "development_platform", 1, "measurement", mhex, "policy_hash",
                               phex, "debug", launch.debug ? 1 : 0);
    if (claims != NULL && req->init_data != NULL &&
        !init_data_claims(req->init_data, req->init_data_len, policy_hash, claims, r)) {
        json_decref(claims);
        return NULL;
    }
    return claims;
}


/* A real TEE's evidence: verified now against this KBS's own anchors (every
 * bundle pinned for the platform, in order), then Trustee's binding:
 * REPORT_DATA (nitro: the nonce) = SHA-384(JCS of the runtime data). */
static json_t *verify_tee(ccf_kbs *k, ccf_tee_platform p, const ccf_kbs_attest_req *req,
                          const ccf_dynbuf *jcs, reply *r)
{
    char err[512], why[1024] = "", hex[2 * 64 + 1], whex[2 * 48 + 1];
    const char *name = ccf_tee_platform_name(p);
    ccf_kbs_tee_evidence ev = {0};
    ccf_tee_claims *c = NULL;
    json_t *claims = NULL;
    ccf_err rc = CCF_ERR_INVALID;
    uint8_t want[48];
    if (ccf_kbs_parse_tee_evidence(p, req->primary, &ev, err, sizeof err) != CCF_OK) {
        kbs_error(r, 401, "AttestationError", "%s evidence malformed: %s", name, err);
        goto out;
    }
    if (p == CCF_TEE_SNP && ev.vcek == NULL) {
        kbs_error(r, 401, "AttestationError",
                  "snp evidence has no VCEK/VLEK (vcek or cert_chain); this KBS does not fetch "
                  "it from AMD");
        goto out;
    }
    if ((c = calloc(1, sizeof *c)) == NULL) {
        kbs_error(r, 401, "AttestationError", "out of memory");
        goto out;
    }
    for (size_t i = 0; i < k->n_roots && rc != CCF_OK; i++) {
        if (k->roots[i].platform != p)
            continue;
        ccf_tee_verify_opts o = {.roots = k->roots[i].buf, .roots_len = k->roots[i].len,
                                 .vcek = ev.vcek, .vcek_len = ev.vcek_len, .at = 0};
        rc = ccf_tee_verify(p, ev.evidence, ev.evidence_len, &o, c, err, sizeof err);
        if (rc != CCF_OK) /* every bundle's refusal, for the message */
            snprintf(why + strlen(why), sizeof why - strlen(why), "%s%s", why[0] ? "; " : "",
                     err);
    }
    if (rc != CCF_OK) {
        kbs_error(r, 401, "AttestationError", "%s evidence not verified: %.400s", name, why);
        goto out;
    }
    if (!ccf_kbs_tee_binding_ok(p, c, (const uint8_t *)jcs->p, jcs->len, want)) {
        const uint8_t *got = p == CCF_TEE_NITRO ? c->nitro.nonce : c->report_data;
        size_t glen = p == CCF_TEE_NITRO ? c->nitro.nonce_len : c->report_data_len;
        ccf_hex_encode(got, glen > 64 ? 64 : glen, hex);
        ccf_hex_encode(want, 48, whex);
        kbs_error(r, 401, "AttestationError",
                  "%s: report data does not bind the runtime data (tee-pubkey, nonce, "
                  "additional-evidence): %s is %s%s (%zu bytes), SHA-384 of their JCS is %s",
                  name, p == CCF_TEE_NITRO ? "the document's nonce" : "REPORT_DATA", hex,
                  glen > 64 ? "..." : "", glen, whex);
        goto out;
    }
    ccf_hex_encode(c->measurement, c->measurement_len, hex);
    claims = json_pack("{s:s, s:b, s:s, s:b, s:s}", "tee", name, "development_platform", 0,
                       "measurement", hex, "debug", c->debug ? 1 : 0, "signer", c->signer);
    if (claims == NULL)
        kbs_error(r, 401, "TokenIssueFailed", "cannot make the claims");
out:
    free(c);
    ccf_kbs_tee_evidence_clear(&ev);
    return claims;
}

static void handle_auth(ccf_kbs *k, const char *body, size_t len, reply *r)
{
    char tee[33], err[256];
    ccf_err rc = ccf_kbs_parse_auth(body, len, tee, sizeof tee, err, sizeof err);
    if (rc == CCF_ERR_UNSUPPORTED) {
        kbs_error(r, 401, "ProtocolVersion", "%s", err);
        return;
    }
    if (rc != CCF_OK) {
        kbs_error(r, 401, "InvalidRequest", "auth: %s", err);
        return;
    }
    if (!tee_served(k, tee)) {
        kbs_error(r, 401, "AttestationError",
                  "tee %s is not verified by this KBS (it accepts: %s; serve kbs --tee-roots "
                  "adds snp, tdx, sgx, nitro)", tee, k->platforms);
        return;
    }
    uint8_t id[ID_HEX / 2], nonce[32];
    if (RAND_bytes(id, sizeof id) != 1 || RAND_bytes(nonce, sizeof nonce) != 1) {
        kbs_error(r, 401, "AttestationError", "no random bytes");
        return;
    }
    time_t now = time(NULL);
    session *slot = NULL;
    pthread_mutex_lock(&k->mu);
    for (size_t i = 0; i < CCF_KBS_MAX_SESSIONS; i++) {
        session *s = &k->sessions[i];
        if (s->live && s->expires <= now)
            drop_session(s);
        if (!s->live && slot == NULL)
            slot = s;
    }
    if (slot != NULL) {
        slot->live = true;
        ccf_hex_encode(id, sizeof id, slot->id);
        EVP_EncodeBlock((unsigned char *)slot->nonce, nonce, sizeof nonce);
        slot->nonce_spent = false;
        snprintf(slot->tee, sizeof slot->tee, "%s", tee);
        slot->expires = now + (time_t)k->session_lifetime;
        slot->token = NULL;
        snprintf(r->cookie, sizeof r->cookie, "%s=%s; Max-Age=%u; Path=/kbs; HttpOnly; SameSite=Strict",
                 CCF_KBS_COOKIE, slot->id, k->session_lifetime);
        kbs_json(r, 200, json_pack("{s:s, s:s}", "nonce", slot->nonce, "extra-params", ""));
    }
    pthread_mutex_unlock(&k->mu);
    OPENSSL_cleanse(id, sizeof id);
    if (slot == NULL)
        kbs_error(r, 401, "AttestationError", "too many sessions; retry later");
}

static void handle_attest(ccf_kbs *k, const char *cookie, const char *body, size_t len, reply *r)
{
    char err[512], nonce[NONCE_B64 + 1], tee_name[33];
    ccf_kbs_attest_req req = {0};
    ccf_dynbuf jcs;
    EVP_PKEY *tee = NULL;
    json_t *claims = NULL;
    char *jwt = NULL;
    bool expired = false;
    ccf_dynbuf_init(&jcs, CCF_KBS_MAX_REQUEST * 2);
    if (cookie == NULL) {
        kbs_error(r, 401, "MissingCookie", "attest needs the %s cookie from /kbs/v0/auth",
                  CCF_KBS_COOKIE);
        goto out;
    }
    /* the nonce is spent by the first attest of a session, whatever its outcome */
    pthread_mutex_lock(&k->mu);
    session *s = find_session(k, cookie, time(NULL), &expired);
    bool spent = s != NULL && s->nonce_spent;
    if (s != NULL) {
        memcpy(nonce, s->nonce, sizeof nonce);
        memcpy(tee_name, s->tee, sizeof tee_name);
        s->nonce_spent = true;
    }
    pthread_mutex_unlock(&k->mu);
    if (s == NULL) {
        kbs_error(r, 401, expired ? "ExpiredCookie" : "InvalidCookie", "session %s",
                  expired ? "expired" : "unknown");
        goto out;
    }
    if (spent) {
        kbs_error(r, 401, "AttestationError", "the session's nonce was already used");
        goto out;
    }
    if (ccf_kbs_parse_attest(body, len, &req, err, sizeof err) != CCF_OK) {
        kbs_error(r, 401, "InvalidRequest", "attest: %s", err);
        goto out;
    }
    if (strlen(req.nonce) != NONCE_B64 || CRYPTO_memcmp(req.nonce, nonce, NONCE_B64) != 0) {
        kbs_error(r, 401, "AttestationError", "runtime-data nonce is not this session's nonce");
        goto out;
    }
    const char *alg = NULL;
    if (ccf_jwk_parse(req.tee_pubkey, &tee, &alg, err, sizeof err) != CCF_OK) {
        kbs_error(r, 401, "AttestationError", "tee-pubkey: %s", err);
        goto out;
    }
    if (alg != NULL && strcmp(alg, "ECDH-ES+A256KW") != 0 && strcmp(alg, "RSA-OAEP-256") != 0) {
        kbs_error(r, 401, "AttestationError",
                  "tee-pubkey: alg %.32s unsupported (ECDH-ES+A256KW or RSA-OAEP-256)", alg);
        goto out;
    }
    if (ccf_kbs_runtime_data_jcs(req.nonce, req.tee_pubkey, req.additional, &jcs, err,
                                 sizeof err) != CCF_OK) {
        kbs_error(r, 401, "AttestationError", "runtime data: %s", err);
        goto out;
    }
    ccf_tee_platform p;
    if (strcmp(tee_name, "linux") == 0)
        claims = verify_linux(k, &req, &jcs, r);
    else if (ccf_tee_platform_parse(tee_name, &p))
        claims = verify_tee(k, p, &req, &jcs, r);
    else
        kbs_error(r, 401, "AttestationError", "tee %s: no verifier", tee_name);
    if (claims == NULL)
        goto out;
    int64_t now = (int64_t)time(NULL);
    if (json_object_set_new(claims, "iss", json_string("ccfaas-kbs")) != 0 ||
        json_object_set_new(claims, "iat", json_integer((json_int_t)now)) != 0 ||
        json_object_set_new(claims, "exp", json_integer((json_int_t)(now + k->token_lifetime))) != 0 ||
        json_object_set(claims, "tee-pubkey", (json_t *)req.tee_pubkey) != 0) {
        kbs_error(r, 401, "TokenIssueFailed", "cannot make the claims");
        goto out;
    }
    if (claims == NULL || ccf_jwt_sign(k->token_key, claims, &jwt, err, sizeof err) != CCF_OK) {
        kbs_error(r, 401, "TokenIssueFailed", "cannot sign the token");
        goto out;
    }
    pthread_mutex_lock(&k->mu);
    s = find_session(k, cookie, time(NULL), &expired);
    if (s != NULL) {
        free(s->token);
        s->token = strdup(jwt);
    }
    pthread_mutex_unlock(&k->mu);
    kbs_json(r, 200, json_pack("{s:s}", "token", jwt));
out:
    free(jwt);
    json_decref(claims);
    EVP_PKEY_free(tee);
    ccf_dynbuf_free(&jcs);
    ccf_kbs_attest_req_clear(&req);
}

static const char *bearer(struct MHD_Connection *c)
{
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    if (h == NULL || strncmp(h, "Bearer ", 7) != 0)
        return NULL;
    return h + 7;
}

static void handle_get_resource(ccf_kbs *k, struct MHD_Connection *c, const char *path, reply *r)
{
    char err[512], *tok = NULL, *ptext = NULL;
    json_t *claims = NULL, *rules = NULL, *jwe = NULL;
    uint8_t *data = NULL;
    size_t dlen = 0, plen = 0;
    const char *b = bearer(c);
    const char *cookie = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, CCF_KBS_COOKIE);
    if (b != NULL)
        tok = strdup(b);
    else if (cookie != NULL) {
        bool expired;
        pthread_mutex_lock(&k->mu);
        session *s = find_session(k, cookie, time(NULL), &expired);
        if (s != NULL && s->token != NULL)
            tok = strdup(s->token);
        pthread_mutex_unlock(&k->mu);
    }
    if (tok == NULL) {
        kbs_error(r, 401, "TokenNotFound", "Attestation Token not found");
        goto out;
    }
    if (ccf_jwt_verify(tok, strlen(tok), k->token_key, (int64_t)time(NULL), 0, CCF_JWT_REQUIRE_EXP,
                       &claims, err, sizeof err) != CCF_OK) {
        kbs_error(r, 401, "TokenVerifierError", "%s", err);
        goto out;
    }
    ccf_err rc = ccf_kbs_store_get_policy(k->store, &ptext, &plen, err, sizeof err);
    if (rc == CCF_OK)
        rc = ccf_kbs_rules_parse(ptext, plen, &rules, err, sizeof err);
    if (rc != CCF_OK) {
        kbs_error(r, 403, "PolicyDeny", "Access denied by policy: no resource policy set");
        goto out;
    }
    if (ccf_kbs_rules_eval(rules, path, claims, err, sizeof err) != CCF_OK) {
        kbs_error(r, 403, "PolicyDeny", "Access denied by policy: %s", err);
        goto out;
    }
    rc = ccf_kbs_store_get(k->store, path, &data, &dlen, err, sizeof err);
    if (rc == CCF_ERR_NOT_FOUND) {
        kbs_error(r, 404, "ResourceNotFound", "resource %s not found", path);
        goto out;
    }
    if (rc != CCF_OK) {
        kbs_error(r, 401, "PluginInternalError", "resource storage failed");
        goto out;
    }
    if (ccf_jwe_encrypt_to_jwk(json_object_get(claims, "tee-pubkey"), data, dlen, &jwe, err,
                               sizeof err) != CCF_OK) {
        kbs_error(r, 401, "JweError", "JWE failed: %s", err);
        goto out;
    }
    kbs_json(r, 200, jwe);
    jwe = NULL;
out:
    ccf_jose_secret_free(data, dlen);
    if (tok != NULL) {
        OPENSSL_cleanse(tok, strlen(tok));
        free(tok);
    }
    free(ptext);
    json_decref(claims);
    json_decref(rules);
    json_decref(jwe);
}

static bool admin_ok(ccf_kbs *k, struct MHD_Connection *c, const char *endpoint, reply *r)
{
    char err[256];
    const char *b = bearer(c);
    if (b == NULL) {
        kbs_error(r, 401, "AdminAuthAccess", "admin access denied for endpoint %s: no bearer token",
                  endpoint);
        return false;
    }
    if (ccf_jwt_verify(b, strlen(b), k->admin_pub, (int64_t)time(NULL), 0, CCF_JWT_REQUIRE_EXP,
                       NULL, err, sizeof err) != CCF_OK) {
        kbs_error(r, 401, "AdminAuthAccess", "admin access denied for endpoint %s: %s", endpoint,
                  err);
        return false;
    }
    return true;
}

static void handle_put_resource(ccf_kbs *k, struct MHD_Connection *c, const char *path,
                                const char *body, size_t len, reply *r)
{
    char err[256];
    if (!admin_ok(k, c, path, r))
        return;
    if (ccf_kbs_store_put(k->store, path, body, len, err, sizeof err) != CCF_OK) {
        kbs_error(r, 401, "PluginInternalError", "cannot store %s: %s", path, err);
        return;
    }
    r->status = 200;
}

static void handle_policy(ccf_kbs *k, struct MHD_Connection *c, const char *body, size_t len,
                          reply *r)
{
    char err[512];
    json_error_t je;
    json_t *v = NULL, *rules = NULL;
    uint8_t *text = NULL;
    size_t tlen = 0;
    if (!admin_ok(k, c, "resource-policy", r))
        return;
    if (len > CCF_KBS_MAX_POLICY * 2 ||
        (v = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je)) == NULL || !json_is_object(v) ||
        json_object_size(v) != 1 || !json_is_string(json_object_get(v, "policy"))) {
        kbs_error(r, 401, "ParsePolicyError",
                  "Failed to parse policy: expected {\"policy\": base64url of the rule set}");
        goto out;
    }
    const json_t *p = json_object_get(v, "policy");
    if (ccf_b64url_decode_alloc(json_string_value(p), json_string_length(p), CCF_KBS_MAX_POLICY,
                                &text, &tlen, err, sizeof err) != CCF_OK ||
        ccf_kbs_rules_parse((const char *)text, tlen, &rules, err, sizeof err) != CCF_OK) {
        kbs_error(r, 401, "ParsePolicyError", "Failed to parse policy: %s", err);
        goto out;
    }
    if (ccf_kbs_store_put_policy(k->store, (const char *)text, tlen, err, sizeof err) != CCF_OK) {
        kbs_error(r, 401, "PluginInternalError", "cannot store the policy: %s", err);
        goto out;
    }
    r->status = 200;
out:
    free(text);
    json_decref(v);
    json_decref(rules);
}

/* An admin may delete a resource but never read it back: plaintext leaves
 * the KBS only as a JWE to an attested tee-pubkey under the rules
 * (docs/kbs.md "Admin"). */
static void handle_delete_resource(ccf_kbs *k, struct MHD_Connection *c, const char *path,
                                   reply *r)
{
    char err[256];
    if (!admin_ok(k, c, path, r))
        return;
    ccf_err rc = ccf_kbs_store_delete(k->store, path, err, sizeof err);
    if (rc == CCF_ERR_NOT_FOUND) {
        kbs_error(r, 404, "ResourceNotFound", "resource %s not found", path);
        return;
    }
    if (rc != CCF_OK) {
        kbs_error(r, 401, "PluginInternalError", "cannot delete %s: %s", path, err);
        return;
    }
    r->status = 200;
}

/* The rule set as it was set: {"policy": base64url of its text}, the body
 * POST /kbs/v0/resource-policy takes, so that it round-trips. */
static void handle_get_policy(ccf_kbs *k, struct MHD_Connection *c, reply *r)
{
    char err[256], *text = NULL, *b64 = NULL;
    size_t len = 0;
    if (!admin_ok(k, c, "resource-policy", r))
        return;
    ccf_err rc = ccf_kbs_store_get_policy(k->store, &text, &len, err, sizeof err);
    if (rc == CCF_ERR_NOT_FOUND) {
        kbs_error(r, 404, "ResourceNotFound", "no resource policy has been set");
        return;
    }
    if (rc != CCF_OK || (b64 = ccf_b64url_encode(text, len)) == NULL)
        kbs_error(r, 401, "PluginInternalError", "cannot read the policy: %s",
                  rc != CCF_OK ? err : "out of memory");
    else
        kbs_json(r, 200, json_pack("{s:s}", "policy", b64));
    free(b64);
    free(text);
}

/* /kbs/v0/resource/R/T/G -> "R/T/G" into out when every segment is valid. */
static bool resource_path(const char *url, char *out, size_t n)
{
    static const char pre[] = "/kbs/v0/resource/";
    if (strncmp(url, pre, sizeof pre - 1) != 0)
        return false;
    const char *p = url + sizeof pre - 1;
    if (strlen(p) >= n)
        return false;
    char buf[3 * (CCF_KBS_MAX_SEGMENT + 1) + 1];
    if (strlen(p) >= sizeof buf)
        return false;
    memcpy(buf, p, strlen(p) + 1);
    char *a = buf, *b = strchr(a, '/');
    if (b == NULL)
        return false;
    *b++ = '\0';
    char *c = strchr(b, '/');
    if (c == NULL)
        return false;
    *c++ = '\0';
    if (!ccf_kbs_segment_ok(a) || !ccf_kbs_segment_ok(b) || !ccf_kbs_segment_ok(c))
        return false;
    memcpy(out, p, strlen(p) + 1);
    return true;
}

static void dispatch(ccf_kbs *k, struct MHD_Connection *c, const char *url, const char *method,
                     conn_state *cs, reply *r)
{
    const char *body = cs->body.p ? (const char *)cs->body.p : "";
    size_t len = cs->body.len;
    bool get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0,
         del = strcmp(method, "DELETE") == 0;
    char path[3 * (CCF_KBS_MAX_SEGMENT + 1) + 1];
    if (get && strcmp(url, "/healthz") == 0) {
        kbs_json(r, 200, json_pack("{s:s}", "status", "ok"));
        return;
    }
    if (cs->too_large) {
        kbs_error(r, 413, "InvalidRequest", "request body larger than %u bytes", MAX_BODY - 1);
        return;
    }
    if (strcmp(url, "/kbs/v0/auth") == 0 && post)
        handle_auth(k, body, len, r);
    else if (strcmp(url, "/kbs/v0/attest") == 0 && post)
        handle_attest(k, MHD_lookup_connection_value(c, MHD_COOKIE_KIND, CCF_KBS_COOKIE), body,
                      len, r);
    else if (strcmp(url, "/kbs/v0/resource-policy") == 0 && post)
        handle_policy(k, c, body, len, r);
    else if (strcmp(url, "/kbs/v0/resource-policy") == 0 && get)
        handle_get_policy(k, c, r);
    else if (strncmp(url, "/kbs/v0/resource/", 17) == 0 && (get || post || del)) {
        if (!resource_path(url, path, sizeof path))
            kbs_error(r, 404, "InvalidRequestPath", "Request path %.300s is invalid", url);
        else if (get)
            handle_get_resource(k, c, path, r);
        else if (del)
            handle_delete_resource(k, c, path, r);
        else
            handle_put_resource(k, c, path, body, len, r);
    } else
        kbs_error(r, 404, "InvalidRequestPath", "Request path %.300s is invalid", url);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **con_cls)
{
    ccf_kbs *k = cls;
    (void)version;
    conn_state *cs = *con_cls;
    if (cs == NULL) {
        if ((cs = calloc(1, sizeof *cs)) == NULL)
            return MHD_NO;
        ccf_dynbuf_init(&cs->body, MAX_BODY);
        *con_cls = cs;
        return MHD_YES;
    }
    if (*upload_size > 0) {
        if (!cs->too_large && ccf_dynbuf_add(&cs->body, upload, *upload_size) != CCF_OK) {
            cs->too_large = true;
            ccf_dynbuf_free(&cs->body);
        }
        *upload_size = 0;
        return MHD_YES;
    }
    reply r = {.status = 0};
    ccf_conn_deadline_handling(k->deadline, c, true); /* the handler's time is not the client's */
    dispatch(k, c, url, method, cs, &r);
    if (r.status == 0)
        kbs_error(&r, 500, "InternalError", "no answer");
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(r.len, r.body ? r.body : (char *)"", r.body
                                            ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (resp == NULL) {
        free(r.body);
        return MHD_NO;
    }
    if (r.ctype != NULL)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r.ctype);
    if (r.cookie[0] != '\0')
        MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, r.cookie);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)r.status, resp);
    MHD_destroy_response(resp);
    if (!k->quiet) {
        /* the path as the client sent it: jansson escapes it (a raw quote
         * would break the line) */
        char ts[CCF_LOG_TIME_LEN];
        ccf_log_time(ts);
        json_t *line = json_pack("{s:s,s:s,s:s,s:s%,s:i}", "time", ts, "service", "kbs",
                                 "method", method, "path", url, strnlen(url, 200), "status",
                                 r.status);
        char *text = line ? json_dumps(line, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
        if (text != NULL)
            fprintf(stderr, "%s\n", text);
        free(text);
        json_decref(line);
    }
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    ccf_kbs *k = cls;
    (void)toe;
    ccf_conn_deadline_handling(k->deadline, c, false); /* the next request's clock */
    conn_state *cs = *con_cls;
    if (cs != NULL) {
        if (cs->body.p != NULL)
            OPENSSL_cleanse(cs->body.p, cs->body.len); /* may be a resource */
        ccf_dynbuf_free(&cs->body);
        free(cs);
        *con_cls = NULL;
    }
}

static ccf_err load_admin(ccf_kbs *k, const char *pub, char *err, size_t errsz)
{
    char pp[4096], kp[4096];
    ccf_err rc;
    if (pub != NULL)
        return ccf_pki_pub_read(pub, &k->admin_pub, err, errsz);
    snprintf(pp, sizeof pp, "%s/%s", k->data_dir, CCF_KBS_ADMIN_PUB_FILE);
    snprintf(kp, sizeof kp, "%s/%s", k->data_dir, CCF_KBS_ADMIN_KEY_FILE);
    if (access(pp, F_OK) == 0)
        return ccf_pki_pub_read(pp, &k->admin_pub, err, errsz);
    if (access(kp, F_OK) == 0)
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "%s exists without %s", kp, pp);
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    if (key == NULL)
        return ccf_errf(err, errsz, CCF_ERR_CRYPTO, "cannot make the admin key");
    if ((rc = ccf_pki_key_write(kp, key, err, errsz)) == CCF_OK &&
        (rc = ccf_pki_pub_write(pp, key, err, errsz)) == CCF_OK) {
        k->admin_pub = key;
        k->admin_created = true;
        return CCF_OK;
    }
    EVP_PKEY_free(key);
    return rc;
}

/* A trust anchor file: one DER certificate or PEM with at least one; read
 * once at start (the KBS never takes anchors from evidence). */
static ccf_err load_roots(ccf_kbs *k, const ccf_kbs_tee_root *tr, char *err, size_t errsz)
{
    char *buf = NULL;
    size_t len = 0;
    const char *name = ccf_tee_platform_name(tr->platform);
    if (k->n_roots >= CCF_KBS_MAX_TEE_ROOTS)
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "--tee-roots: at most %d files",
                        CCF_KBS_MAX_TEE_ROOTS);
    ccf_err rc = ccf_file_read(tr->file, 1u << 20, &buf, &len, err, errsz);
    if (rc != CCF_OK)
        return rc;
    int certs = 0;
    const unsigned char *q = (const unsigned char *)buf;
    X509 *x = len > 0 ? d2i_X509(NULL, &q, (long)len) : NULL;
    if (x != NULL) {
        certs = 1;
        X509_free(x);
    } else {
        BIO *b = BIO_new_mem_buf(buf, (int)len);
        while (b != NULL && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
            certs++;
            X509_free(x);
        }
        BIO_free(b);
    }
    ERR_clear_error(); /* the failed DER attempt or the PEM reader's end */
    if (certs == 0) {
        free(buf);
        return ccf_errf(err, errsz, CCF_ERR_INVALID,
                        "--tee-roots %s=%s: not a PEM or DER certificate", name, tr->file);
    }
    k->roots[k->n_roots].platform = tr->platform;
    k->roots[k->n_roots].buf = (uint8_t *)buf;
    k->roots[k->n_roots].len = len;
    k->n_roots++;
    if (strstr(k->platforms, name) == NULL)
        snprintf(k->platforms + strlen(k->platforms), sizeof k->platforms - strlen(k->platforms),
                 ", %s", name);
    return CCF_OK;
}

/* --tls: DATA/kbs-tls.key and its self-signed certificate (made once: the
 * certificate is what clients and instance policies pin, so it must last),
 * for localhost, 127.0.0.1 and the listen address. */
static ccf_err load_tls(ccf_kbs *k, char *err, size_t errsz)
{
    char kpath[4096], cpath[4096], host[INET6_ADDRSTRLEN] = "", san[256];
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    BIO *mem = NULL;
    bool created = false;
    ccf_err rc;
    snprintf(kpath, sizeof kpath, "%s/%s", k->data_dir, CCF_KBS_TLS_KEY_FILE);
    snprintf(cpath, sizeof cpath, "%s/%s", k->data_dir, CCF_KBS_TLS_CERT_FILE);
    if ((rc = ccf_pki_key_load_or_create(kpath, &key, &created, err, errsz)) != CCF_OK)
        return rc;
    if (!created && access(cpath, F_OK) == 0) {
        rc = ccf_pki_cert_read(cpath, &cert, err, errsz);
    } else {
        if (k->addr.ss.ss_family == AF_INET)
            inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)&k->addr.ss)->sin_addr, host,
                      sizeof host);
        else
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)(void *)&k->addr.ss)->sin6_addr, host,
                      sizeof host);
        snprintf(san, sizeof san, "DNS:localhost,IP:127.0.0.1%s%s",
                 host[0] && strcmp(host, "127.0.0.1") != 0 && strcmp(host, "0.0.0.0") != 0 ? ",IP:" : "",
                 host[0] && strcmp(host, "127.0.0.1") != 0 && strcmp(host, "0.0.0.0") != 0 ? host : "");
        if ((rc = ccf_pki_cert_new(key, "ccfaas key broker", NULL, time(NULL) + 3650L * 86400,
                                   &cert, err, errsz)) == CCF_OK &&
            ((rc = ccf_pki_cert_add_ext(cert, NULL, NID_subject_alt_name, san)) != CCF_OK ||
             (rc = ccf_pki_cert_add_ext(cert, NULL, NID_ext_key_usage, "serverAuth")) != CCF_OK ||
             (rc = ccf_pki_cert_sign(cert, key)) != CCF_OK ||
             (rc = ccf_pki_cert_write(cpath, cert, err, errsz)) != CCF_OK))
            ccf_errf(err, errsz, rc, "cannot make %s", cpath);
    }
    if (rc == CCF_OK && (rc = ccf_pki_cert_to_pem(cert, &k->tls_cert_pem)) == CCF_OK) {
        BUF_MEM *b = NULL;
        if ((mem = BIO_new(BIO_s_secmem())) == NULL ||
            PEM_write_bio_PrivateKey(mem, key, NULL, NULL, 0, NULL, NULL) != 1 ||
            BIO_get_mem_ptr(mem, &b) != 1 || (k->tls_key_pem = OPENSSL_secure_malloc(b->length + 1)) == NULL)
            rc = ccf_errf(err, errsz, CCF_ERR_CRYPTO, "cannot export the TLS key");
        else {
            memcpy(k->tls_key_pem, b->data, b->length);
            k->tls_key_pem[b->length] = '\0';
        }
    }
    BIO_free(mem);
    X509_free(cert);
    EVP_PKEY_free(key);
    return rc;
}

const char *ccf_kbs_tls_cert_pem(const ccf_kbs *k)
{
    return k->tls_cert_pem;
}

ccf_err ccf_kbs_new(const ccf_kbs_config *cfg, ccf_kbs **out, char *err, size_t errsz)
{
    ccf_kbs *k = NULL;
    ccf_err rc;
    char path[4096];
    bool created;
    *out = NULL;
    if (cfg->data_dir == NULL)
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "no data directory");
    if ((k = calloc(1, sizeof *k)) == NULL)
        return CCF_ERR_NOMEM;
    pthread_mutex_init(&k->mu, NULL);
    k->token_lifetime = cfg->token_lifetime_s ? cfg->token_lifetime_s : 300;
    k->session_lifetime = cfg->session_lifetime_s ? cfg->session_lifetime_s : 300;
    k->threads = cfg->threads ? cfg->threads : 4;
    k->per_ip = cfg->per_ip_connections ? cfg->per_ip_connections
                                        : CCF_HTTP_DEFAULT_PER_IP_CONNECTIONS;
    if ((rc = ccf_conn_deadline_new(cfg->request_deadline_s ? cfg->request_deadline_s
                                                            : CCF_HTTP_DEFAULT_REQUEST_DEADLINE_S,
                                    &k->deadline, err, errsz)) != CCF_OK)
        goto bad;
    k->quiet = cfg->quiet;
    snprintf(k->platforms, sizeof k->platforms, "linux");
    for (size_t i = 0; i < cfg->n_tee_roots; i++)
        if ((rc = load_roots(k, &cfg->tee_roots[i], err, errsz)) != CCF_OK)
            goto bad;
    if ((k->data_dir = strdup(cfg->data_dir)) == NULL ||
        (k->sessions = calloc(CCF_KBS_MAX_SESSIONS, sizeof *k->sessions)) == NULL) {
        rc = CCF_ERR_NOMEM;
        goto bad;
    }
    if ((rc = ccf_addr_parse(cfg->listen ? cfg->listen : CCF_KBS_DEFAULT_LISTEN, &k->addr, err,
                             errsz)) != CCF_OK ||
        (rc = ccf_kbs_store_open(cfg->data_dir, &k->store, err, errsz)) != CCF_OK)
        goto bad;
    snprintf(path, sizeof path, "%s/%s", cfg->data_dir, CCF_KBS_TOKEN_KEY_FILE);
    if ((rc = ccf_pki_key_load_or_create(path, &k->token_key, &created, err, errsz)) != CCF_OK)
        goto bad;
    if (cfg->platform_key_pub != NULL)
        rc = ccf_pki_pub_read(cfg->platform_key_pub, &k->platform_pub, err, errsz);
    else
        rc = ccf_platform_key_load_or_create(cfg->data_dir, &k->platform_pub, &created, err, errsz);
    if (rc != CCF_OK || (rc = load_admin(k, cfg->admin_key_pub, err, errsz)) != CCF_OK ||
        (cfg->tls && (rc = load_tls(k, err, errsz)) != CCF_OK))
        goto bad;
    *out = k;
    return CCF_OK;
bad:
    ccf_kbs_free(k);
    return rc;
}

ccf_err ccf_kbs_start(ccf_kbs *k, char *err, size_t errsz)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;
    if (k->addr.ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    struct MHD_OptionItem tls[] = {
        {MHD_OPTION_HTTPS_MEM_KEY, 0, k->tls_key_pem},
        {MHD_OPTION_HTTPS_MEM_CERT, 0, k->tls_cert_pem},
        {MHD_OPTION_END, 0, NULL}};
    if (k->tls_cert_pem != NULL)
        flags |= MHD_USE_TLS;
    else
        tls[0].option = MHD_OPTION_END;
    k->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, k, MHD_OPTION_SOCK_ADDR,
                                 (struct sockaddr *)&k->addr.ss, MHD_OPTION_THREAD_POOL_SIZE,
                                 k->threads, MHD_OPTION_CONNECTION_TIMEOUT, 30u,
                                 MHD_OPTION_CONNECTION_LIMIT, 1024u,
                                 MHD_OPTION_PER_IP_CONNECTION_LIMIT, k->per_ip,
                                 MHD_OPTION_NOTIFY_COMPLETED, on_completed, k,
                                 MHD_OPTION_NOTIFY_CONNECTION, ccf_conn_deadline_notify,
                                 k->deadline,
                                 MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
    if (k->daemon == NULL)
        return ccf_errf(err, errsz, CCF_ERR_IO,
                        "cannot listen (address in use, or not an address of this host?)");
    ccf_err rc = ccf_conn_deadline_start(k->deadline, err, errsz);
    if (rc != CCF_OK) {
        MHD_stop_daemon(k->daemon);
        k->daemon = NULL;
        return rc;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(k->daemon, MHD_DAEMON_INFO_BIND_PORT);
    k->port = di ? di->port : 0;
    return CCF_OK;
}

uint16_t ccf_kbs_port(const ccf_kbs *k)
{
    return k->port;
}

const char *ccf_kbs_platforms(const ccf_kbs *k)
{
    return k->platforms;
}

bool ccf_kbs_admin_created(const ccf_kbs *k)
{
    return k->admin_created;
}

void ccf_kbs_free(ccf_kbs *k)
{
    if (k == NULL)
        return;
    if (k->daemon != NULL)
        MHD_stop_daemon(k->daemon);
    ccf_conn_deadline_free(k->deadline);
    if (k->sessions != NULL)
        for (size_t i = 0; i < CCF_KBS_MAX_SESSIONS; i++)
            if (k->sessions[i].live)
                drop_session(&k->sessions[i]);
    free(k->sessions);
    ccf_kbs_store_close(k->store);
    EVP_PKEY_free(k->token_key);
    EVP_PKEY_free(k->platform_pub);
    EVP_PKEY_free(k->admin_pub);
    for (size_t i = 0; i < k->n_roots; i++)
        free(k->roots[i].buf);
    free(k->data_dir);
    if (k->tls_key_pem != NULL)
        OPENSSL_secure_clear_free(k->tls_key_pem, strlen(k->tls_key_pem));
    free(k->tls_cert_pem);
    pthread_mutex_destroy(&k->mu);
    free(k);
}
