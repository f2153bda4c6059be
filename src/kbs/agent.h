/* The attestation agent's side of Trustee's KBS protocol (docs/kbs.md): auth
 * -> attest (linux evidence, its report data binding the tee key by the JCS
 * rule) -> resource -> the JWE opened with the tee key. Used by `ccfaas kbs
 * fetch` (client.c) and by ccfaas-runtime, both over attest/http_ev.h (libevent:
 * the trusted runtime links neither libcurl nor the server), which keeps the
 * session cookie. */
#ifndef CCF_KBS_AGENT_H
#define CCF_KBS_AGENT_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/crypto.h"
#include "common/dynbuf.h"
#include "attest/http_ev.h"
#include "common/error.h"

#define CCF_KBS_AGENT_MAX_REPLY (4u << 20)

typedef enum {
    CCF_KBS_TAMPER_NONE = 0,
    CCF_KBS_TAMPER_NONCE_REUSE,   /* attest twice in one session */
    CCF_KBS_TAMPER_FOREIGN_NONCE, /* the nonce of another session (needs `second`) */
    CCF_KBS_TAMPER_BINDING        /* report data binds another tee key */
} ccf_kbs_tamper;

typedef struct {
    EVP_PKEY *tee_key;          /* private: P-256 or RSA (borrowed) */
    EVP_PKEY *platform_key;     /* linux platform key (borrowed) */
    const uint8_t *measurement; /* 32 bytes */
    const uint8_t *policy_hash; /* 32 bytes */
    const char *launch;         /* the launch configuration text (attest/launch.h) */
    const char *init_data;      /* the instance's policy text, sent as init-data so that rules
                                   can name its instance and programs; NULL = none */
    ccf_kbs_tamper tamper;      /* tests only */
    ccf_http_ev *second;        /* CCF_KBS_TAMPER_FOREIGN_NONCE: another session */
} ccf_kbs_agent_req;

/* A session: auth and attest once; *token (malloc'ed, may be NULL to skip).
 * A refusal is CCF_ERR_DENIED with the KBS's answer in err. */
ccf_err ccf_kbs_agent_attest(ccf_http_ev *t, const ccf_kbs_agent_req *q, char **token,
                             char *err, size_t errsz) __attribute__((warn_unused_result));

/* In an attested session: GET the resource R/T/G and open its JWE with
 * tee_key. *plain: secure heap (ccf_jose_secret_free); *jwe (malloc'ed) may be
 * NULL to skip. */
ccf_err ccf_kbs_agent_resource(ccf_http_ev *t, EVP_PKEY *tee_key, const char *resource,
                               uint8_t **plain, size_t *plainlen, char **jwe, char *err,
                               size_t errsz) __attribute__((warn_unused_result));

#endif
