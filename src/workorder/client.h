/* ccfaas's own work-order client (`ccfaas workorder`, docs/workorders.md):
 * JSON-RPC calls to a listener, verification of a worker's ccfaas proof,
 * requests in ccfaas's mode (a fresh IV per item, RSA-OAEP with SHA-256) or
 * Avalon's (one IV, SHA-1), and the checks of a result (ids, the worker's
 * signature) before it is decrypted.
 *
 * Ownership: JSON arguments are borrowed; *out JSON and strings are the
 * caller's (json_decref / free). A ccf_wo_session holds a session key:
 * ccf_wo_session_clear wipes it. */
#ifndef CCF_WORKORDER_CLIENT_H
#define CCF_WORKORDER_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attest/trust.h"
#include "attest/verify.h"
#include "common/error.h"
#include "workorder/proto.h"

/* One JSON-RPC call (POST url, Content-Type application/json). CCF_OK with
 * *result set, or with *result NULL and *code / msg the JSON-RPC error; other
 * errors when the listener cannot be reached or answers no JSON-RPC. */
ccf_err ccf_wo_call(const char *url, const char *method, const json_t *params, long timeout_ms,
                    json_t **result, int *code, char *msg, size_t msg_size)
    __attribute__((warn_unused_result));

/* Checks a WorkerRetrieve result asked with proofDataType
 * "ccfaas-attested-instance" (docs/workorders.md "ccfaas's proof"): the
 * certificate against the proof's policy and the verifier's trust (chain,
 * measurement, policy hash, expiry: attest/verify.h, *vr says which check
 * failed), the key binding (the attested key signed both worker keys) and the
 * encryption key's signature. CCF_ERR_DENIED names the failed check. */
ccf_err ccf_wo_verify_worker(const json_t *worker, const ccf_trust *trust, ccf_verify_result *vr,
                             char *err, size_t err_size) __attribute__((warn_unused_result));

typedef struct {
    uint8_t key[CCF_WO_KEY_LEN];
    uint8_t iv[CCF_WO_IV_LEN];
    bool avalon_mode; /* one IV (sessionKeyIv) and SHA-1 OAEP, as Avalon's clients */
} ccf_wo_session;

void ccf_wo_session_clear(ccf_wo_session *s);

/* A WorkOrderSubmit's params for worker (a WorkerRetrieve result; its
 * encryptionKey is used) with a fresh session: workload's name, the in-data
 * items (bytes each, encrypted), random work order, requester ids and nonce. */
ccf_err ccf_wo_make_request(const json_t *worker, const char *worker_id, const char *workload,
                            const char *const *in, const size_t *in_len, size_t n_in,
                            bool avalon_mode, ccf_wo_session *s, json_t **params, char *err,
                            size_t err_size) __attribute__((warn_unused_result));

/* Checks a WorkOrderGetResult result against the request it answers (the
 * same ids) and the worker's verificationKey (the signature over the response
 * hash), then decrypts outData[0] into *out (malloc'd, NUL-terminated; the
 * caller wipes and frees). CCF_ERR_DENIED for a bad signature or other ids. */
ccf_err ccf_wo_open_result(const json_t *result, const json_t *request,
                           const char *verification_key, const ccf_wo_session *s, uint8_t **out,
                           size_t *out_len, char *err, size_t err_size)
    __attribute__((warn_unused_result));

#endif
