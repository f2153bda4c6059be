/* The work-order worker inside the trusted runtime (issue 19,
 * docs/workorders.md): an EEA Trusted Compute / Avalon worker whose keys are
 * created here and never leave the instance.
 *
 * - A signing key (ECDSA secp256k1) and an encryption key (RSA-3072), made on
 *   first use, held in this process only.
 * - ccf_wo_worker_info: the public keys in Avalon's formats (PEM), the
 *   encryption key's signature (hex DER ECDSA over SHA-256 of its PEM), and
 *   the binding to the attested instance: the instance's attested
 *   certificate and a signature by its attested key over
 *   SHA-256(verificationKey PEM || encryptionKey PEM).
 * - ccf_wo_worker_process: one WorkOrderSubmit's params (as the client sent
 *   them): unwraps the session key (RSA-OAEP, SHA-1 as Avalon's clients or
 *   SHA-256), checks the request hash, decrypts the in-data, runs the
 *   program of the workload with them as files workorder/in-N, encrypts its
 *   workorder/out, signs the response hash. Plaintext exists only in this
 *   process and is wiped.
 *
 * Answers are JSON (the caller frees *json_out): {"result": {...}} or
 * {"error": {"code": N, "message": "..."}} with Avalon's codes
 * (workorder/proto.h). CCF_ERR_DENIED (no JSON) when `who` may not execute
 * the workload's program: the data plane answers 403 before anything is
 * decrypted. */
#ifndef CCF_RUNTIME_WORKORDER_H
#define CCF_RUNTIME_WORKORDER_H

#include <openssl/evp.h>
#include <stddef.h>

#include "common/error.h"
#include "runtime/instance.h"

/* The workload registry an instance may carry (a pinned data file):
 * {"WORKLOAD": {"program": "NAME.wasm"}, ...}; docs/workorders.md. */
#define CCF_WO_REGISTRY_FILE "workorder-workloads.json"

typedef struct ccf_wo_worker ccf_wo_worker;

/* cert_pem (copied) and enclave_key (referenced, must outlive the worker):
 * the instance's attested certificate and key. */
ccf_err ccf_wo_worker_new(ccf_instance *inst, const char *cert_pem, EVP_PKEY *enclave_key,
                          ccf_wo_worker **out, char *err, size_t err_size)
    __attribute__((warn_unused_result));
void ccf_wo_worker_free(ccf_wo_worker *w);

ccf_err ccf_wo_worker_info(ccf_wo_worker *w, char **json_out, char *err, size_t err_size)
    __attribute__((warn_unused_result));

ccf_err ccf_wo_worker_process(ccf_wo_worker *w, int who, const char *body, size_t len,
                              char **json_out, char *err, size_t err_size)
    __attribute__((warn_unused_result));

#endif
