/* The instance's data plane (DESIGN §4): HTTPS with client certificates,
 * terminated inside the runtime (OpenSSL on libevent; own HTTP/1.1 framing
 * in http1.h, so bodies stream instead of being buffered whole).
 * The handshake refuses any client certificate that is not byte for byte one
 * of the policy's identities; requests map onto instance.h operations.
 *
 *   GET  /policy            any identity   the exact policy bytes; X-Policy-Hash
 *   GET  /policy/hash       any identity   64 hex digits
 *   PUT  /files/NAME        write rights   create or replace (pinned files: pi_hash)
 *   POST /files/NAME        write rights   append (not for pinned files)
 *   GET  /files/NAME        read rights    the contents
 *   POST /execute/PROGRAM   execute right  runs it; {"exit_code", "trap", ...}
 *   POST /shutdown          any identity   the runtime exits after replying
 *   GET  /workorder/worker  any identity   the work-order worker's public keys
 *   POST /workorder         execute right  one work order (runtime/workorder.h)
 *
 * Errors: {"error":{"code":"...","message":"..."}} with 400/403/404/405/409/413/500/501.
 *
 * Abuse limits (issue 15): connections still in their TLS handshake have
 * their own cap and deadline (the oldest is closed for a new one), and a
 * request body's size is reserved against the instance's storage limit
 * before it is read (instance.h, ccf_instance_upload_begin). */
#ifndef CCF_RUNTIME_DATAPLANE_H
#define CCF_RUNTIME_DATAPLANE_H

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <stdint.h>

#include "common/error.h"
#include "runtime/instance.h"

typedef struct ccf_dataplane ccf_dataplane;

typedef struct {
    const char *listen;       /* "ADDR:PORT"; port 0 = any free port */
    const char *cert_pem;     /* the server certificate (the attested one) */
    EVP_PKEY *key;            /* its private key (not taken over) */
    uint64_t max_body_bytes;  /* larger request bodies are refused with 413; 0 = 1 GiB */
    /* Each request head must arrive complete within this many seconds of the
     * handshake or the previous reply (the idle time between requests too);
     * 0 = 30. Bodies and replies are cut off after 120 s without progress. */
    unsigned request_timeout_s;
    /* A TLS handshake must be complete within this many seconds; 0 = 5. */
    unsigned handshake_timeout_s;
    /* Connections still in their TLS handshake at most (of the
     * CCF_DATAPLANE_MAX_CONNECTIONS); 0 = 32. */
    unsigned max_handshakes;
} ccf_dataplane_config;

/* Connections served at once. */
#define CCF_DATAPLANE_MAX_CONNECTIONS 256

/* What a new connection gets, given the connections open (conns) and those
 * of them still in their TLS handshake (handshakes): accepted; accepted once
 * the oldest connection still in its handshake is closed (handshakes at
 * their cap, or every slot taken and some by handshakes: a client that
 * completes its handshake promptly gets through half-open connections); or
 * refused (every slot taken by established connections). */
typedef enum { CCF_ADMIT_ACCEPT, CCF_ADMIT_EVICT_HANDSHAKE, CCF_ADMIT_REFUSE } ccf_admit;
ccf_admit ccf_dataplane_admit(unsigned conns, unsigned handshakes, unsigned max_conns,
                              unsigned max_handshakes) __attribute__((warn_unused_result));

/* Restricts ctx (server or client) to the policy cipher suite `name`: a TLS
 * 1.3 name (TLS_AES_*, TLS_CHACHA20_*) pins TLS 1.3, one of the
 * TLS_ECDHE_ECDSA_* names pins TLS 1.2 and that suite; others are an error
 * saying what is supported. */
ccf_err ccf_dataplane_set_ciphersuite(SSL_CTX *ctx, const char *name, char *err, size_t err_size)
    __attribute__((warn_unused_result));

/* A server TLS context for the instance: the policy's ciphersuite (TLS 1.3
 * names pin TLS 1.3, TLS 1.2 names pin TLS 1.2 and that suite; others are an
 * error), client certificates required and accepted only when equal to one
 * of the policy's identities. Caller frees with SSL_CTX_free. */
ccf_err ccf_dataplane_tls_ctx(ccf_instance *inst, const char *cert_pem, EVP_PKEY *key,
                              SSL_CTX **out, char *err, size_t err_size)
    __attribute__((warn_unused_result));

/* Binds the listening socket and prepares the server (does not serve yet). */
ccf_err ccf_dataplane_new(ccf_instance *inst, const ccf_dataplane_config *cfg, ccf_dataplane **out,
                          char *err, size_t err_size) __attribute__((warn_unused_result));
/* The bound port. */
uint16_t ccf_dataplane_port(const ccf_dataplane *dp);
/* Serves until POST /shutdown (returns CCF_OK) or a fatal error. */
ccf_err ccf_dataplane_run(ccf_dataplane *dp, char *err, size_t err_size)
    __attribute__((warn_unused_result));
void ccf_dataplane_free(ccf_dataplane *dp);

#endif
