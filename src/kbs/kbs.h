/* Key broker service (issue 17, docs/kbs.md): Trustee's KBS protocol 0.4.0,
 * `ccfaas serve kbs` (default 127.0.0.1:8080).
 *
 *   POST /kbs/v0/auth             {"version":"0.4.0","tee","extra-params"} ->
 *                                 cookie kbs-session-id + {"nonce","extra-params":""}
 *   POST /kbs/v0/attest           (cookie) {"runtime-data":{"nonce","tee-pubkey"},
 *                                 "tee-evidence":{"primary_evidence","additional_evidence"},
 *                                 "init-data"?} -> {"token": ES256 JWT}
 *   GET  /kbs/v0/resource/R/T/G   (cookie or Bearer token) -> flattened JWE to tee-pubkey
 *   POST /kbs/v0/resource/R/T/G   (admin EdDSA JWT) raw bytes -> stored encrypted
 *   DELETE /kbs/v0/resource/R/T/G (admin EdDSA JWT) -> removed (404 when missing)
 *   POST /kbs/v0/resource-policy  (admin EdDSA JWT) {"policy": base64url(rules JSON)}
 *   GET  /kbs/v0/resource-policy  (admin EdDSA JWT) -> {"policy": base64url(rules JSON)}
 *   GET  /healthz
 * Errors: RFC 7807 JSON {"type":"https://github.com/confidential-containers/kbs/errors/NAME",
 * "detail":...} with Trustee's names and statuses (401, 403, 404).
 *
 * Ownership: ccf_kbs_new() -> ccf_kbs_start() -> ccf_kbs_free() (stops). The
 * parsers below take untrusted bytes (bounded, strict; fuzz_kbs) and return
 * new jansson references the caller decrefs. */
#ifndef CCF_KBS_KBS_H
#define CCF_KBS_KBS_H

#include <jansson.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attest/evidence.h"
#include "attest/launch.h"
#include "attest/tee.h"
#include "common/dynbuf.h"
#include "common/error.h"
#include "kbs/agent.h"

#define CCF_KBS_WUR __attribute__((warn_unused_result))
#define CCF_KBS_PROTOCOL_VERSION "0.4.0"
#define CCF_KBS_DEFAULT_LISTEN "127.0.0.1:8080"
#define CCF_KBS_COOKIE "kbs-session-id"
#define CCF_KBS_ERROR_PREFIX "https://github.com/confidential-containers/kbs/errors/"
/* Caps on untrusted input. */
#define CCF_KBS_MAX_REQUEST (64u << 10)   /* auth / attest request body */
#define CCF_KBS_MAX_RESOURCE (1u << 20)   /* a resource's bytes */
#define CCF_KBS_MAX_POLICY (256u << 10)   /* decoded rule set */
#define CCF_KBS_MAX_RULES 256
#define CCF_KBS_MAX_LIST 64               /* entries of one rule list */
#define CCF_KBS_MAX_SEGMENT 128           /* bytes of one resource path segment */
#define CCF_KBS_MAX_SESSIONS 4096
/* Data directory files. */
#define CCF_KBS_DB_FILE "kbs.db"
#define CCF_KBS_STORAGE_KEY_FILE "kbs-storage.key"  /* 32 raw bytes, 0600 */
#define CCF_KBS_TOKEN_KEY_FILE "kbs-token.key"      /* P-256 PEM, 0600 */
#define CCF_KBS_ADMIN_PUB_FILE "kbs-admin.pub"      /* Ed25519 public PEM */
#define CCF_KBS_ADMIN_KEY_FILE "kbs-admin.key"      /* made with the .pub when both miss */
#define CCF_KBS_TLS_KEY_FILE "kbs-tls.key"          /* P-256 PEM, 0600 (--tls) */
#define CCF_KBS_TLS_CERT_FILE "kbs-tls.crt"         /* its self-signed certificate: what
                                                       clients and policies pin */

/* ---- pure parsers (parse.c) ---- */

/* Auth request: exactly version (must be "0.4.0": else CCF_ERR_UNSUPPORTED),
 * tee (a string, 1..32 of [a-z0-9]) and extra-params (any JSON value, Trustee
 * sends ""). *tee is copied into tee (teesz >= 33). */
ccf_err ccf_kbs_parse_auth(const char *text, size_t len, char *tee, size_t teesz, char *err,
                           size_t errsz) CCF_KBS_WUR;

typedef struct {
    json_t *root;                 /* owns everything below */
    const char *nonce;            /* runtime-data.nonce */
    const json_t *tee_pubkey;     /* runtime-data.tee-pubkey (a JWK object, not yet checked) */
    const json_t *primary;        /* tee-evidence.primary_evidence */
    const char *additional;       /* tee-evidence.additional_evidence ("" when none) */
    const char *init_data;        /* init-data.body (format "json"), or NULL when absent */
    size_t init_data_len;
} ccf_kbs_attest_req;

/* Attest request: runtime-data {nonce (string), tee-pubkey (object)} (no other
 * members), tee-evidence {primary_evidence (object), additional_evidence
 * (string)}, init-data optional: Trustee's {"format", "body"} (format "json"
 * or "toml", body a string of at most CCF_KBS_MAX_REQUEST); nothing else. */
ccf_err ccf_kbs_parse_attest(const char *text, size_t len, ccf_kbs_attest_req *out, char *err,
                             size_t errsz) CCF_KBS_WUR;
void ccf_kbs_attest_req_clear(ccf_kbs_attest_req *r);

/* The RFC 8785 text the report data binds: JCS of {"additional-evidence",
 * "nonce", "tee-pubkey"} appended to out. */
ccf_err ccf_kbs_runtime_data_jcs(const char *nonce, const json_t *tee_pubkey,
                                 const char *additional, ccf_dynbuf *out, char *err,
                                 size_t errsz) CCF_KBS_WUR;

/* The linux platform's primary evidence: {"evidence": <linux evidence>,
 * "policy_hash": "<64 hex>", "launch": "<launch configuration text>"}. */
ccf_err ccf_kbs_parse_linux_evidence(const json_t *primary, ccf_evidence *ev,
                                     uint8_t policy_hash[CCF_SHA256_LEN], ccf_launch *launch,
                                     uint8_t launch_hash[CCF_SHA256_LEN], char *err,
                                     size_t errsz) CCF_KBS_WUR;

/* Primary evidence of a real TEE (docs/kbs.md "Evidence of TEEs"), decoded
 * but not verified: the bytes ccf_tee_verify() takes and, for snp, the
 * VCEK/VLEK the evidence carries (an intermediate: verified against the
 * KBS's own AMD roots, never trusted by itself).
 *   snp:       {"report": base64(1184 bytes), "vcek": base64(DER)} or
 *              Trustee's {"attestation_report": {...}, "cert_chain": [...]}
 *   tdx, sgx:  {"quote": base64(DCAP quote)[, "cc_eventlog": base64 (tdx; not checked)]}
 *   nitro:     {"attestation_document": base64(COSE_Sign1)}
 * base64 is the standard alphabet with padding. Members are strict. */
#define CCF_KBS_MAX_TEE_EVIDENCE (32u << 10) /* decoded report / quote / document */
typedef struct {
    uint8_t *evidence;  /* malloc'ed */
    size_t evidence_len;
    uint8_t *vcek;      /* snp only, malloc'ed; NULL when the evidence has none */
    size_t vcek_len;
} ccf_kbs_tee_evidence;
ccf_err ccf_kbs_parse_tee_evidence(ccf_tee_platform p, const json_t *primary,
                                   ccf_kbs_tee_evidence *out, char *err,
                                   size_t errsz) CCF_KBS_WUR;
void ccf_kbs_tee_evidence_clear(ccf_kbs_tee_evidence *e);

/* Trustee's report-data binding for real TEEs: expected = SHA-384(jcs), the
 * runtime data's JCS text. snp, tdx, sgx: the 64-byte REPORT_DATA must be
 * expected zero-padded to 64 bytes; nitro: the document's nonce must be
 * exactly the 48 bytes. Constant time in the contents. *expected (48 bytes)
 * is written for the refusal message. */
bool ccf_kbs_tee_binding_ok(ccf_tee_platform p, const ccf_tee_claims *c, const uint8_t *jcs,
                            size_t jcs_len, uint8_t expected[48]) CCF_KBS_WUR;

/* A resource path segment: 1..128 of [A-Za-z0-9._-], not "." or "..". */
bool ccf_kbs_segment_ok(const char *s);

/* The rule set (docs/kbs.md "Rules"): parsed strictly; *rules is the
 * validated document. measurement entries are 64 (linux, sgx) or 96 (snp,
 * tdx, nitro) lower-case hex digits; policy_hash entries 64. */
ccf_err ccf_kbs_rules_parse(const char *text, size_t len, json_t **rules, char *err,
                            size_t errsz) CCF_KBS_WUR;

/* Evaluates a validated rule set for path "repo/type/tag" over the token's
 * claims: CCF_OK when a rule allows it, CCF_ERR_DENIED (why in err) when none
 * does (default deny). */
ccf_err ccf_kbs_rules_eval(const json_t *rules, const char *path, const json_t *claims,
                           char *err, size_t errsz) CCF_KBS_WUR;

/* ---- the service (server.c) ---- */

typedef struct ccf_kbs ccf_kbs;
/* A pinned trust anchor file of one TEE (`serve kbs --tee-roots NAME=FILE`):
 * snp: one AMD product's ASK/ARK/ASVK bundle (several entries = several
 * products, tried in order); tdx, sgx: the Intel SGX Root CA; nitro: the AWS
 * Nitro Enclaves root. PEM or DER. */
typedef struct {
    ccf_tee_platform platform;
    const char *file;
} ccf_kbs_tee_root;
#define CCF_KBS_MAX_TEE_ROOTS 16
typedef struct {
    const char *data_dir;          /* required; created 0700 when missing */
    const char *listen;            /* ADDR:PORT; NULL = CCF_KBS_DEFAULT_LISTEN */
    const char *platform_key_pub;  /* NULL = public half of DATA/platform-key.pem */
    const char *admin_key_pub;     /* NULL = DATA/kbs-admin.pub */
    unsigned token_lifetime_s;     /* 0 = 300 */
    unsigned session_lifetime_s;   /* 0 = 300 */
    unsigned threads;              /* 0 = 4 */
    unsigned per_ip_connections;   /* per client address; 0 = 64, as net/http_server.h */
    unsigned request_deadline_s;   /* a request whole within; 0 = 60 (net/conn_deadline.h) */
    bool quiet;                    /* no request log */
    const ccf_kbs_tee_root *tee_roots; /* the TEEs this KBS verifies; none = linux only */
    size_t n_tee_roots;
    bool tls; /* HTTPS with DATA/kbs-tls.{key,crt} (made on first start, self-signed) */
} ccf_kbs_config;

ccf_err ccf_kbs_new(const ccf_kbs_config *cfg, ccf_kbs **out, char *err, size_t errsz) CCF_KBS_WUR;
ccf_err ccf_kbs_start(ccf_kbs *kbs, char *err, size_t errsz) CCF_KBS_WUR;
uint16_t ccf_kbs_port(const ccf_kbs *kbs);
/* With tls: the certificate (PEM) clients pin; else NULL. */
const char *ccf_kbs_tls_cert_pem(const ccf_kbs *kbs);
/* "linux, snp, tdx": the platforms auth accepts (static per kbs). */
const char *ccf_kbs_platforms(const ccf_kbs *kbs);
/* true when the admin key pair was created at this start. */
bool ccf_kbs_admin_created(const ccf_kbs *kbs);
void ccf_kbs_free(ccf_kbs *kbs);

/* ---- storage (store.c) ---- */
typedef struct ccf_kbs_store ccf_kbs_store;
ccf_err ccf_kbs_store_open(const char *data_dir, ccf_kbs_store **out, char *err,
                           size_t errsz) CCF_KBS_WUR;
ccf_err ccf_kbs_store_put(ccf_kbs_store *s, const char *path, const void *data, size_t len,
                          char *err, size_t errsz) CCF_KBS_WUR;
/* CCF_ERR_NOT_FOUND when there is no resource at path. */
ccf_err ccf_kbs_store_delete(ccf_kbs_store *s, const char *path, char *err,
                             size_t errsz) CCF_KBS_WUR;
/* *data in the secure heap: ccf_jose_secret_free(*data, *len). CCF_ERR_NOT_FOUND. */
ccf_err ccf_kbs_store_get(ccf_kbs_store *s, const char *path, uint8_t **data, size_t *len,
                          char *err, size_t errsz) CCF_KBS_WUR;
ccf_err ccf_kbs_store_put_policy(ccf_kbs_store *s, const char *text, size_t len, char *err,
                                 size_t errsz) CCF_KBS_WUR;
/* *text malloc'ed (free()); CCF_ERR_NOT_FOUND when none was set. */
ccf_err ccf_kbs_store_get_policy(ccf_kbs_store *s, char **text, size_t *len, char *err,
                                 size_t errsz) CCF_KBS_WUR;
void ccf_kbs_store_close(ccf_kbs_store *s);

/* ---- client (client.c) ---- */
typedef struct {
    const char *url;               /* http://HOST:PORT */
    EVP_PKEY *tee_key;             /* private: P-256 or RSA (borrowed) */
    EVP_PKEY *platform_key;        /* linux platform key (borrowed) */
    const uint8_t *measurement;    /* 32 bytes */
    const uint8_t *policy_hash;    /* 32 bytes */
    const char *init_data;         /* the policy text sent as init-data, or NULL */
    const char *tls_cert_pem;      /* https: the key broker's certificate, pinned */
    bool debug;                    /* launch configuration's debug flag */
    const char *resource;          /* repo/type/tag */
    ccf_kbs_tamper tamper;         /* tests only */
} ccf_kbs_fetch_req;

/* auth -> attest -> resource -> decrypt. *plain: secure heap
 * (ccf_jose_secret_free); *token, *jwe: malloc'ed (free()), may be NULL to
 * skip. A refusal is CCF_ERR_DENIED with Trustee's error in err. */
ccf_err ccf_kbs_fetch(const ccf_kbs_fetch_req *req, uint8_t **plain, size_t *plainlen,
                      char **token, char **jwe, char *err, size_t errsz) CCF_KBS_WUR;

/* The certificate file (PEM) of an https key broker, the only anchor the
 * admin requests accept; NULL = none (http). Process-wide: the CLI sets it
 * once, before any request. */
void ccf_kbs_client_set_tls_cert(const char *file);

/* Admin request: POST url+path with body, Authorization: Bearer (EdDSA JWT
 * signed with admin_key, exp = now + lifetime). */
ccf_err ccf_kbs_admin_post(const char *url, const char *path, EVP_PKEY *admin_key,
                           const void *body, size_t len, const char *content_type, char *err,
                           size_t errsz) CCF_KBS_WUR;
/* Any admin request (GET, POST, DELETE) the same way; a 200 reply's body is
 * put in *reply (malloc'ed, NUL-terminated; free()) when reply is not NULL.
 * Any other status is CCF_ERR_DENIED with the KBS's error in err. */
ccf_err ccf_kbs_admin_request(const char *url, const char *method, const char *path,
                              EVP_PKEY *admin_key, const void *body, size_t len,
                              const char *content_type, char **reply, char *err,
                              size_t errsz) CCF_KBS_WUR;

#endif
