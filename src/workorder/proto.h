/* EEA Off-Chain Trusted Compute 1.1 work orders as Hyperledger Avalon speaks
 * them (docs/workorders.md): the JSON-RPC 2.0 envelope, the checks of a
 * method's params, and the two hashes the cryptography rests on. Shared by
 * the listener (src/workorder/server.c) and the worker inside the trusted
 * runtime (src/runtime/workorder.c); pure: no I/O, no global state.
 *
 * Rules of the envelope (ccf_wo_rpc_parse), each failure a message naming
 * what, where and why, answered with the Avalon code in brackets:
 *   - at most CCF_WO_MAX_BODY bytes, valid UTF-8 JSON, an object [2];
 *   - "jsonrpc" exactly "2.0", "id" present (any JSON value), "method" a
 *     string [2] (Avalon's base listener: "Improper id or jsonrpc or method");
 *   - "params" an object when present (absent = {}) [2];
 *   - a method that is not one of ccf_wo_method's: -32601 (JSON-RPC's
 *     "Method not found", as Avalon's dispatcher answers).
 * ccf_wo_submit_check then checks WorkOrderSubmit's params (below).
 *
 * Ownership: a parsed ccf_wo_rpc owns its JSON tree; free it with
 * ccf_wo_rpc_clear (a cleared or zeroed one is a no-op). */
#ifndef CCF_WORKORDER_PROTO_H
#define CCF_WORKORDER_PROTO_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define CCF_WO_MAX_BODY  (1u << 20) /* a JSON-RPC request, bytes */
#define CCF_WO_MAX_ITEMS 64         /* inData / outData items */

/* Avalon's codes (common/python/error_code/error_status.py, WorkOrderStatus
 * and WorkerError; JSON-RPC's own below -32000). */
enum {
    CCF_WO_SUCCESS = 0,
    CCF_WO_FAILED = 1,
    CCF_WO_INVALID_PARAMETER = 2,
    CCF_WO_ACCESS_DENIED = 3,
    CCF_WO_INVALID_SIGNATURE = 4,
    CCF_WO_PENDING = 5, /* also WorkerError.NO_MORE_LOOKUP_RESULTS */
    CCF_WO_BUSY = 8,
    CCF_WO_INVALID_WORKLOAD = 9,
    CCF_WO_UNKNOWN_ERROR = 10,
    CCF_WO_METHOD_NOT_FOUND = -32601,
};

typedef enum {
    CCF_WO_M_WORKER_LOOKUP,
    CCF_WO_M_WORKER_LOOKUP_NEXT,
    CCF_WO_M_WORKER_RETRIEVE,
    CCF_WO_M_WORKER_REGISTER,
    CCF_WO_M_WORKER_UPDATE,
    CCF_WO_M_WORKER_SET_STATUS,
    CCF_WO_M_SUBMIT,
    CCF_WO_M_GET_RESULT,
    CCF_WO_M_COUNT
} ccf_wo_method;

/* The method's name, or NULL. */
const char *ccf_wo_method_name(ccf_wo_method m);

typedef struct {
    json_t *root;   /* the whole request (owned) */
    json_t *id;     /* borrowed from root; json null when the request had none */
    json_t *params; /* borrowed from root; an empty object when absent */
    ccf_wo_method method;
} ccf_wo_rpc;

/* Parses one JSON-RPC request. On failure *code is the Avalon code to answer
 * with (2, or -32601) and out->id is set when the id could be read (else
 * NULL: answer with id null); out is cleared by the caller either way. */
ccf_err ccf_wo_rpc_parse(const char *body, size_t len, ccf_wo_rpc *out, int *code, char *err,
                         size_t err_size) __attribute__((warn_unused_result));
void ccf_wo_rpc_clear(ccf_wo_rpc *rpc);

/* WorkOrderSubmit's params, as the worker needs them (the schema Avalon's
 * listener validates, narrowed to what ccfaas serves):
 *   workOrderId, workerId, requesterId, requesterNonce: non-empty strings
 *     (ids at most 256 characters); workloadId: hex of the workload's name;
 *   encryptedSessionKey, encryptedRequestHash: even-length hex;
 *   sessionKeyIv: absent (ccfaas's fresh-IV mode) or 24 hex digits;
 *   inData: 1..CCF_WO_MAX_ITEMS objects, each with an integer "index" and a
 *     string "data" (base64), dataHash/encryptedDataEncryptionKey/iv strings
 *     when present; outData likewise when present;
 *   encryptedSessionKeyOaepHash (ccfaas's extension): absent, "SHA-1" or "SHA-256".
 * The message names the field ("inData[1].index: expected an integer"). */
ccf_err ccf_wo_submit_check(const json_t *params, char *err, size_t err_size)
    __attribute__((warn_unused_result));

/* Request hash (EEA 6.1.8.1; Avalon worker_hash.calculate_request_hash):
 * SHA-256( SHA-256(requesterNonce workOrderId workerId workloadId requesterId)
 *        || datahash(inData) || datahash(outData) if outData is non-empty ).
 * Response hash (EEA 6.1.8.2; calculate_response_hash):
 * SHA-256( SHA-256(workerNonce workOrderId workerId workloadId requesterId)
 *        || datahash(outData) if non-empty ).
 * datahash(items) = SHA-256 of the concatenation, over the items sorted by
 * "index" (stably), of dataHash data encryptedDataEncryptionKey iv (each ""
 * when absent). Strings are hashed as their UTF-8 bytes, exactly as sent.
 * False when a field is missing or not a string (after ccf_wo_submit_check
 * a request's hash cannot fail). */
bool ccf_wo_request_hash(const json_t *params, uint8_t out[32]) __attribute__((warn_unused_result));
bool ccf_wo_response_hash(const json_t *result, uint8_t out[32])
    __attribute__((warn_unused_result));

/* Lowercase hex of SHA-256(name): Avalon's worker id for a worker name
 * (utility/hex_utils.get_worker_id_from_name). out holds 65 bytes. */
bool ccf_wo_worker_id(const char *name, char out[65]) __attribute__((warn_unused_result));

/* Hex (either case) to bytes: at most max bytes; false on odd length or a
 * non-hex digit. */
bool ccf_wo_unhex(const char *hex, uint8_t *out, size_t max, size_t *len)
    __attribute__((warn_unused_result));

/* ---- the cryptographic primitives of the protocol (docs/workorders.md) ----
 * OpenSSL underneath; no key is made or kept here. */
#include <openssl/evp.h>

#define CCF_WO_KEY_LEN 32
#define CCF_WO_IV_LEN  12
#define CCF_WO_TAG_LEN 16

/* RSA-OAEP unwrap of a session key given as hex (either case): SHA-1 for the
 * hash and MGF1 (pycryptodome's PKCS1_OAEP default, Avalon's clients) or, with
 * sha256, SHA-256 for both; empty label. False unless it decrypts to exactly
 * 32 bytes. */
bool ccf_wo_unwrap_key(EVP_PKEY *rsa, const char *hex, bool sha256, uint8_t key[CCF_WO_KEY_LEN])
    __attribute__((warn_unused_result));

/* AES-256-GCM, no associated data. open: in is ciphertext || tag with iv, or,
 * iv NULL, iv || ciphertext || tag; *out (malloc'd with one byte more than
 * *out_len, for a NUL; the caller wipes and frees) gets the plaintext. False on a short input or a
 * failed tag. */
bool ccf_wo_open(const uint8_t key[CCF_WO_KEY_LEN], const uint8_t *iv, const uint8_t *in,
                 size_t len, uint8_t **out, size_t *out_len) __attribute__((warn_unused_result));
/* seal: ciphertext || tag with iv, or, iv NULL, a fresh random iv || ciphertext
 * || tag; returned as standard base64 (malloc'd), NULL on failure. */
char *ccf_wo_seal_b64(const uint8_t key[CCF_WO_KEY_LEN], const uint8_t *iv, const uint8_t *in,
                      size_t len);

/* ECDSA over a 32-byte digest as given (no second hash): DER into sig
 * (*sig_len in: its size, out: the length). */
bool ccf_wo_sign_digest(EVP_PKEY *key, const uint8_t digest[32], uint8_t *sig, size_t *sig_len)
    __attribute__((warn_unused_result));

/* The client side (ccfaas workorder): wraps key with the worker's RSA public
 * key, RSA-OAEP as ccf_wo_unwrap_key reads it; upper-case hex (Avalon's
 * byte_array_to_hex) into a malloc'd string. NULL on failure. */
char *ccf_wo_wrap_key(EVP_PKEY *rsa, const uint8_t key[CCF_WO_KEY_LEN], bool sha256);
/* Verifies a DER ECDSA signature over a 32-byte digest as given. */
bool ccf_wo_verify_digest(EVP_PKEY *key, const uint8_t digest[32], const uint8_t *sig,
                          size_t sig_len) __attribute__((warn_unused_result));
/* Upper-case hex of len bytes into a malloc'd string (NULL when out of memory). */
char *ccf_wo_hex_upper(const uint8_t *in, size_t len);

/* Standard base64 with padding (Python's b64encode); malloc'd, NULL when out
 * of memory. */
char *ccf_wo_b64(const uint8_t *in, size_t len);
/* Decodes standard base64 (whitespace ignored) into a malloc'd buffer; false
 * on a malformed text. */
bool ccf_wo_unb64(const char *in, uint8_t **out, size_t *out_len)
    __attribute__((warn_unused_result));

#endif
