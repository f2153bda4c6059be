/* The work-order listener (issue 19, docs/workorders.md): EEA Trusted Compute
 * 1.1 JSON-RPC 2.0 over HTTP POST, as Hyperledger Avalon's listener serves it
 * (default 127.0.0.1:1947), whose workers are attested ccfaas instances.
 *
 * - Open methods (Avalon's clients send no credentials): WorkerLookUp,
 *   WorkerRetrieve, WorkOrderSubmit, WorkOrderGetResult.
 * - Operator methods (Authorization: Bearer with an operator or admin token
 *   of the service's token store, net/auth.h; else Avalon's ACCESS_DENIED, 3):
 *   WorkerRegister, WorkerUpdate, WorkerSetStatus. Tokens: DATA_DIR/auth/tokens.json.
 * - A worker is registered with the full policy of its instance: the listener
 *   connects to it as its own identity (which the policy grants the execute
 *   right on the workload programs and nothing else), verifies it against its
 *   trust configuration, and reads the worker's public keys from it
 *   (GET /workorder/worker); WorkerRetrieve publishes them.
 * - WorkOrderSubmit stores the request (only ciphertext, unless the client
 *   itself sent an item in plain text with encryptedDataEncryptionKey "-"),
 *   relays it to the instance (POST /workorder), stores the signed, encrypted
 *   answer and answers "pending" (5) as Avalon does; WorkOrderGetResult
 *   returns it, as often as asked. SQLite (DATA_DIR/workorders.db).
 *
 * Ownership: the config's trust is borrowed and must outlive the
 * service; free the service with ccf_wo_service_free (after the server). */
#ifndef CCF_WORKORDER_WORKORDER_H
#define CCF_WORKORDER_WORKORDER_H

#include "attest/trust.h"
#include "common/error.h"
#include "net/auth.h"
#include "net/http_server.h"

#define CCF_WO_DEFAULT_PORT 1947 /* Avalon's listener */

typedef struct ccf_wo_service ccf_wo_service;

typedef struct {
    const char *data_dir; /* workorders.db, the listener's identity, workers' policies */
    const char
        *cert_path; /* the listener's identity towards instances; NULL: DATA_DIR/workorder.crt */
    const char *key_path;    /* (made once when both are NULL) */
    const ccf_trust *trust;  /* the anchors instances must chain to */
    long instance_timeout_s; /* per relayed work order; 0 = 300 */
} ccf_wo_config;

ccf_err ccf_wo_service_new(const ccf_wo_config *cfg, ccf_wo_service **out, char *err,
                           size_t err_size) __attribute__((warn_unused_result));
/* POST / (JSON-RPC). */
ccf_err ccf_wo_service_mount(ccf_wo_service *svc, ccf_http_server *srv)
    __attribute__((warn_unused_result));
/* The listener's identity certificate (PEM file path), to put in workers' policies. */
const char *ccf_wo_service_cert_path(const ccf_wo_service *svc);
void ccf_wo_service_free(ccf_wo_service *svc);

#endif
