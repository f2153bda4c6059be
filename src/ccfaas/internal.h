/* Shared between the files of src/ccfaas: the service object and the
 * response helpers. Not part of the public interface (ccfaas.h). */
#ifndef CCF_CCFAAS_INTERNAL_H
#define CCF_CCFAAS_INTERNAL_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "attest/trust.h"
#include "ccfaas/ccfaas.h"
#include "ccfaas/store.h"
#include "ccfaas/task_request.h"
#include "net/http_server.h"
#include "policy/policy.h"

#define CCF_CCFAAS_LOADER_NAME "ccfaas-loader"
#define CCF_CCFAAS_DEFAULT_MAX_UPLOAD (256u * 1024u * 1024u)
/* SQLite's default SQLITE_MAX_LENGTH is 10^9 bytes per BLOB. */
#define CCF_CCFAAS_MAX_UPLOAD_LIMIT (900u * 1024u * 1024u)
#define CCF_CCFAAS_DEFAULT_CIPHERSUITE "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"
/* Write rights of the loader identity on every program and data file. */
#define CCF_CCFAAS_LOADER_RIGHTS 533572u

struct ccf_ccfaas;
/* Handler context of the program / data_file routes: one per kind. */
struct ccf_ccfaas_files {
    struct ccf_ccfaas *svc;
    ccf_store_file_kind kind;
};

struct ccf_ccfaas {
    char data_dir[PATH_MAX];
    char vaas_url[512];
    char ciphersuite[128];
    size_t max_upload;
    ccf_store_quotas quotas; /* per owner; 0 = unlimited */
    long vaas_timeout_ms;
    long load_timeout_s;
    char replica[33]; /* this CCFaaS's id among replicas (DATA/ccfaas-replica.id) */
    ccf_ccfaas_store *store;
    char loader_crt[PATH_MAX];
    char loader_key[PATH_MAX];
    char *loader_pem; /* the loader certificate PEM, as put in VaaS policies */
    struct ccf_ccfaas_files files[2];
    ccf_auth *auth; /* DATA/auth/tokens.json: who may call CCFaaS */
    /* DATA/auth/service.token: what CCFaaS sends to VaaS ("" = none found) */
    char vaas_token[CCF_AUTH_TOKEN_LEN + 1];
    /* tasks (task.c): their store and threads; stop waits for the threads */
    struct ccf_task_store *tasks;
    pthread_mutex_t task_mu;
    pthread_cond_t task_cv;
    unsigned task_threads;
    bool tasks_stopping;
    /* POST /instance outcomes, for GET /metrics */
    atomic_ulong instances_ok, instances_failed;
};

/* {"error":{"code","message"[,"step"][,"errors":[{"path","message"[,"line","column"]}]]}}
 * with the status of err (net/status.h); code NULL = the table's code for err. */
void ccf_ccfaas_respond_error(ccf_http_response *resp, ccf_err err, const char *code,
                              const char *step, const ccf_policy_errors *errors,
                              const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* 429 quota_exceeded with Retry-After and the message. */
#define CCF_CCFAAS_QUOTA_RETRY_S 30u
void ccf_ccfaas_respond_quota(ccf_http_response *resp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A 400 for a policy that did not parse: invalid_json (with line/column) for
 * malformed JSON, invalid_policy listing the JSON paths otherwise, or 413
 * too_large. */
void ccf_ccfaas_respond_policy_errors(ccf_http_response *resp, ccf_err rc, const char *what,
                                      const ccf_policy_errors *errors);

/* The caller of a request (routes that need one always have one). */
const ccf_principal *ccf_ccfaas_caller(const ccf_http_request *req);
/* NULL for an admin (may act on anything), else the caller's name: the
 * owner a store call must match. */
const char *ccf_ccfaas_owner_filter(const ccf_http_request *req);

/* 404 / 409 / 403 / 500 for a store outcome, message from err. */
void ccf_ccfaas_respond_store(ccf_http_response *resp, ccf_store_rc rc, const char *err);

/* Makes an instance for the user policy text `body` (POST /instance's work,
 * also run by tasks): fills resp with the answer or the error (the step that
 * failed); true when made, then *policy_out (malloc'd, may be NULL when not
 * wanted) is the full policy. debug: make it a debug instance whatever the
 * function says. On failure nothing is left (at VaaS or in the store). */
bool ccf_ccfaas_instance_create(ccf_ccfaas *svc, const char *body, size_t len, const char *owner,
                                bool debug, ccf_http_response *resp, char **policy_out,
                                size_t *policy_len);
/* Ends an instance: at VaaS (hash NULL = ask VaaS for it) when at_vaas, then
 * the store row and its files. */
void ccf_ccfaas_forget(ccf_ccfaas *svc, const char *name, const char *hash, bool at_vaas);
/* The instance quota of `owner`: true when one more is allowed, else a 429 in resp. */
bool ccf_ccfaas_admit_instance(ccf_ccfaas *svc, const char *owner, ccf_http_response *resp);

/* Starts a task of a parsed request (both req and trust are taken, whatever
 * happens): true with the 201 answer in resp (its members plus extra's,
 * taken), else the error. drop_function: delete the function when the task
 * ends (a computation's, docs/tasks.md). */
bool ccf_ccfaas_task_start(ccf_ccfaas *svc, ccf_task_request *req, ccf_trust *trust,
                           const char *owner, bool drop_function, json_t *extra,
                           ccf_http_response *resp);
/* POST /computation (compute.c) */
ccf_err ccf_ccfaas_mount_computations(ccf_ccfaas *svc, ccf_http_server *srv);

/* Task routes (task.c), and at start the tasks a stopped CCFaaS left running. */
ccf_err ccf_ccfaas_mount_tasks(ccf_ccfaas *svc, ccf_http_server *srv);
void ccf_ccfaas_tasks_recover(ccf_ccfaas *svc);
void ccf_ccfaas_tasks_stop(ccf_ccfaas *svc);

/* Instance routes (orchestrate.c). */
ccf_err ccf_ccfaas_mount_instances(ccf_ccfaas *svc, ccf_http_server *srv);
/* Asks VaaS about the live instances of `function` named `name` owned by
 * `owner` (each NULL = any) and marks those whose runtime died as ended; how
 * many it marked. */
size_t ccf_ccfaas_refresh(ccf_ccfaas *svc, const char *function, const char *name,
                          const char *owner);
/* At start: instances left "creating" by a killed CCFaaS are deleted at VaaS
 * (best effort) and forgotten. */
void ccf_ccfaas_recover(ccf_ccfaas *svc);

#endif
