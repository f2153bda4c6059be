/* The work-order listener: workorder.h says what, docs/workorders.md why. */
#include "workorder/workorder.h"

#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/client.h"
#include "client/identity.h"
#include "common/crypto.h"
#include "common/file.h"
#include "workorder/proto.h"

/* Avalon's worker status (sdk worker_details.WorkerStatus) */
#define WORKER_ACTIVE 1
#define PROOF_TYPE    "ccfaas-attested-instance"

struct ccf_wo_service {
    ccf_wo_config cfg;
    char data_dir[PATH_MAX], cert[PATH_MAX + 32], key[PATH_MAX + 32];
    ccf_auth *auth;
    sqlite3 *db;
    pthread_mutex_t lock; /* the connection is used under it */
};

/* ---- store ------------------------------------------------------------------ */

static const char *const schema =
    "CREATE TABLE IF NOT EXISTS workers ("
    " id TEXT PRIMARY KEY, record TEXT NOT NULL, policy TEXT NOT NULL, url TEXT);"
    "CREATE TABLE IF NOT EXISTS work_orders ("
    " id TEXT PRIMARY KEY, worker TEXT NOT NULL, request TEXT NOT NULL, answer TEXT,"
    " created INTEGER NOT NULL DEFAULT (strftime('%s','now')));";

/* One text column of the first row of sql bound with up to two texts; NULL
 * when there is none. The caller frees. */
static char *query_text(ccf_wo_service *s, const char *sql, const char *a, const char *b)
{
    sqlite3_stmt *st = NULL;
    char *out = NULL;
    pthread_mutex_lock(&s->lock);
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK &&
        (a == NULL || sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC) == SQLITE_OK) &&
        (b == NULL || sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC) == SQLITE_OK) &&
        sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        out = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->lock);
    return out;
}

/* Runs sql with up to four text parameters; the number of rows changed, -1 on failure. */
static int exec_text(ccf_wo_service *s, const char *sql, const char *const *args, int n)
{
    sqlite3_stmt *st = NULL;
    int rc = -1;
    pthread_mutex_lock(&s->lock);
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK) {
        bool ok = true;
        for (int i = 0; i < n && ok; i++)
            ok = sqlite3_bind_text(st, i + 1, args[i], -1, SQLITE_STATIC) == SQLITE_OK;
        if (ok && sqlite3_step(st) == SQLITE_DONE)
            rc = sqlite3_changes(s->db);
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

/* ---- JSON-RPC answers --------------------------------------------------------- */

static json_t *rpc_error(json_t *id, int code, const char *msg, json_t *data)
{
    json_t *e = json_pack("{s:i, s:s}", "code", code, "message", msg);
    if (e != NULL && data != NULL)
        json_object_set(e, "data", data);
    return json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", id ? id : json_null(), "error", e);
}

static json_t *rpc_result(json_t *id, json_t *result)
{
    return json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", id ? id : json_null(), "result",
                     result);
}

static const char *str_or(const json_t *v, const char *dflt)
{
    return json_is_string(v) ? json_string_value(v) : dflt;
}

/* ---- workers -------------------------------------------------------------------- */

static json_t *load_worker(ccf_wo_service *s, const char *id)
{
    char *text = query_text(s, "SELECT record FROM workers WHERE id = ?1", id, NULL);
    json_t *j = text ? json_loads(text, 0, NULL) : NULL;
    free(text);
    return j;
}

/* A client of the worker's instance as the listener's identity, verified
 * against the listener's trust configuration. */
static ccf_err open_instance(ccf_wo_service *s, const char *id, const char *policy, const char *url,
                             ccf_client **out, char *err, size_t err_size)
{
    char path[PATH_MAX + 80];
    ccf_err rc;
    ccf_verify_result vr;
    *out = NULL;
    snprintf(path, sizeof path, "%s/workers/%s.policy.json", s->data_dir, id);
    if ((rc = ccf_file_write_atomic(path, policy, strlen(policy), 0600, false, err, err_size)) !=
        CCF_OK)
        return rc;
    ccf_client_config cc = {.policy_path = path,
                            .cert_path = s->cert,
                            .key_path = s->key,
                            .url = url,
                            .timeout_s =
                                s->cfg.instance_timeout_s ? s->cfg.instance_timeout_s : 300,
                            .trust = s->cfg.trust};
    if ((rc = ccf_client_open(&cc, out, err, err_size)) == CCF_OK &&
        (rc = ccf_client_verify(*out, &vr, err, err_size)) != CCF_OK) {
        ccf_client_free(*out);
        *out = NULL;
    }
    return rc;
}

static json_t *worker_register(ccf_wo_service *s, json_t *id, json_t *params, bool update)
{
    const char *wid = json_string_value(json_object_get(params, "workerId"));
    const char *policy = json_string_value(json_object_get(params, "ccfaasPolicy"));
    const char *url = json_string_value(json_object_get(params, "ccfaasUrl"));
    json_t *details = json_object_get(params, "details"), *rec = NULL, *info = NULL, *ans;
    char err[768], *reply = NULL, *text = NULL, *proof = NULL;
    ccf_client *c = NULL;
    long status = 0;

    if (wid == NULL || strlen(wid) != 64 || !ccf_is_hex(wid, 64))
        return rpc_error(id, CCF_WO_INVALID_PARAMETER, "workerId: expected 64 hex digits", NULL);
    if (details != NULL && !json_is_object(details))
        return rpc_error(id, CCF_WO_INVALID_PARAMETER, "details: expected an object", NULL);
    if (update) {
        if ((rec = load_worker(s, wid)) == NULL)
            return rpc_error(id, CCF_WO_INVALID_PARAMETER,
                             "Worker Id not found in the database. Hence invalid parameter", NULL);
        if (details != NULL) { /* every field but the keys, which come from the instance */
            const char *k;
            json_t *v;
            json_object_foreach(details, k, v) {
                if (strcmp(k, "workerTypeData") != 0)
                    json_object_set(json_object_get(rec, "details"), k, v);
            }
        }
        goto store;
    }
    if (policy == NULL)
        return rpc_error(id, CCF_WO_INVALID_PARAMETER,
                         "ccfaasPolicy: expected the worker instance's full policy", NULL);
    if (json_object_get(params, "ccfaasUrl") != NULL && url == NULL)
        return rpc_error(id, CCF_WO_INVALID_PARAMETER, "ccfaasUrl: expected a string", NULL);
    if ((text = query_text(s, "SELECT id FROM workers WHERE id = ?1", wid, NULL)) != NULL) {
        free(text);
        return rpc_error(id, CCF_WO_INVALID_PARAMETER, "worker is registered already", NULL);
    }
    if (open_instance(s, wid, policy, url, &c, err, sizeof err) != CCF_OK ||
        ccf_client_call(c, "GET", "/workorder/worker", NULL, 0, &status, &reply, err, sizeof err) !=
            CCF_OK) {
        ans = rpc_error(id, CCF_WO_INVALID_PARAMETER, err, NULL);
        goto out;
    }
    if (status != 200 || (info = json_loads(reply, 0, NULL)) == NULL ||
        !json_is_string(json_object_get(info, "verificationKey")) ||
        !json_is_string(json_object_get(info, "encryptionKey"))) {
        snprintf(err, sizeof err, "the instance's worker answered %ld: %.300s", status,
                 reply ? reply : "");
        ans = rpc_error(id, CCF_WO_INVALID_PARAMETER, err, NULL);
        goto out;
    }
    /* proofData: what a verifier needs to check the worker (docs/workorders.md) */
    json_t *p = json_pack("{s:s, s:O, s:O, s:s, s:O}", "type", PROOF_TYPE, "enclaveCertificate",
                          json_object_get(info, "enclaveCertificate"), "keyBinding",
                          json_object_get(info, "keyBinding"), "policy", policy, "policyHash",
                          json_object_get(info, "policyHash"));
    proof = p ? json_dumps(p, JSON_COMPACT) : NULL;
    json_decref(p);
    rec = json_pack(
        "{s:i, s:s, s:s, s:i, s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s,"
        " s:{s:O, s:s, s:s, s:s, s:O, s:s, s:O, s:O}}}",
        "workerType", 1, "organizationId", str_or(json_object_get(params, "organizationId"), ""),
        "applicationTypeId", str_or(json_object_get(params, "applicationTypeId"), ""), "status",
        WORKER_ACTIVE, "details", "workOrderSyncUri", "", "workOrderAsyncUri", "",
        "workOrderPullUri", "", "workOrderNotifyUri", "", "receiptInvocationUri", "",
        "workOrderInvocationAddress", "", "receiptInvocationAddress", "", "fromAddress", "",
        "hashingAlgorithm", "SHA-256", "signingAlgorithm", "SECP256K1", "keyEncryptionAlgorithm",
        "RSA-OAEP-3072", "dataEncryptionAlgorithm", "AES-GCM-256", "workOrderPayloadFormats",
        "JSON-RPC", "workerTypeData", "verificationKey", json_object_get(info, "verificationKey"),
        "extendedMeasurements", "", "proofDataType", PROOF_TYPE, "proofData", proof ? proof : "",
        "encryptionKey", json_object_get(info, "encryptionKey"), "encryptionKeyNonce", "",
        "encryptionKeySignature", json_object_get(info, "encryptionKeySignature"),
        "enclaveCertificate", json_object_get(info, "enclaveCertificate"));
    if (rec == NULL) {
        ans = rpc_error(id, CCF_WO_INVALID_PARAMETER, "the instance's worker answer is incomplete",
                        NULL);
        goto out;
    }
    if (json_is_integer(json_object_get(params, "workerType")))
        json_object_set(rec, "workerType", json_object_get(params, "workerType"));
store:
    text = json_dumps(rec, JSON_COMPACT);
    {
        const char *args[] = {wid, text, policy ? policy : "", url};
        int n =
            update
                ? exec_text(s, "UPDATE workers SET record = ?2 WHERE id = ?1", args, 2)
                : exec_text(s,
                            "INSERT INTO workers (id, record, policy, url) VALUES (?1, ?2, ?3, ?4)",
                            args, url ? 4 : 3);
        ans = n == 1 ? rpc_result(id, json_pack("{s:s}", "workerId", wid))
                     : rpc_error(id, CCF_WO_UNKNOWN_ERROR, "cannot store the worker", NULL);
    }
out:
    free(text);
    free(proof);
    free(reply);
    json_decref(info);
    json_decref(rec);
    ccf_client_free(c);
    return ans;
}

static json_t *worker_set_status(ccf_wo_service *s, json_t *id, json_t *params)
{
    const char *wid = json_string_value(json_object_get(params, "workerId"));
    json_t *st = json_object_get(params, "status"), *rec;
    if (wid == NULL || !json_is_integer(st) || json_integer_value(st) < 1 ||
        json_integer_value(st) > 4)
        return rpc_error(id, CCF_WO_INVALID_PARAMETER,
                         "expected workerId and status 1 (active) to 4 (compromised)", NULL);
    if ((rec = load_worker(s, wid)) == NULL)
        return rpc_error(id, CCF_WO_INVALID_PARAMETER,
                         "Worker Id not found in the database. Hence invalid parameter", NULL);
    json_object_set(rec, "status", st);
    char *text = json_dumps(rec, JSON_COMPACT);
    const char *args[] = {wid, text};
    int n = text ? exec_text(s, "UPDATE workers SET record = ?2 WHERE id = ?1", args, 2) : -1;
    free(text);
    json_decref(rec);
    return n == 1 ? rpc_result(id, json_pack("{s:s}", "workerId", wid))
                  : rpc_error(id, CCF_WO_UNKNOWN_ERROR, "cannot store the worker", NULL);
}

static json_t *worker_retrieve(ccf_wo_service *s, json_t *id, json_t *params)
{
    const char *wid = json_string_value(json_object_get(params, "workerId"));
    json_t *rec = wid ? load_worker(s, wid) : NULL;
    if (wid == NULL)
        return rpc_error(id, CCF_WO_INVALID_PARAMETER, "workerId: expected a string", NULL);
    if (rec == NULL)
        return rpc_error(id, CCF_WO_INVALID_PARAMETER,
                         "Worker Id not found in the database. Hence invalid parameter", NULL);
    /* Avalon's clients read a non-empty proofData as an SGX IAS/DCAP report
     * (and fail on any other): they get it empty; a verifier that asks for
     * ccfaas's proof by its type gets it (docs/workorders.md "proofData"). */
    const char *want = json_string_value(json_object_get(params, "proofDataType"));
    if (want == NULL || strcmp(want, PROOF_TYPE) != 0)
        json_object_set_new(json_object_get(json_object_get(rec, "details"), "workerTypeData"),
                            "proofData", json_string(""));
    return rpc_result(id, rec);
}

/* WorkerLookUp, or with `next` WorkerLookUpNext: the matching workers
 * registered after params.lookupTag (a worker id an earlier lookup returned),
 * as Avalon's listener pages them. */
static json_t *worker_lookup(ccf_wo_service *s, json_t *id, json_t *params, bool next)
{
    static const char *const criteria[] = {"workerType", "organizationId", "applicationTypeId"};
    const char *tag = json_string_value(json_object_get(params, "lookupTag"));
    sqlite3_stmt *st = NULL;
    json_t *ids;
    const char *last = "";
    if (next && tag == NULL)
        return rpc_error(id, CCF_WO_INVALID_PARAMETER, "lookupTag: expected a string", NULL);
    ids = json_array();
    pthread_mutex_lock(&s->lock);
    if (sqlite3_prepare_v2(s->db,
                           next ? "SELECT id, record FROM workers WHERE rowid > "
                                  "(SELECT rowid FROM workers WHERE id = ?1) ORDER BY rowid"
                                : "SELECT id, record FROM workers ORDER BY rowid",
                           -1, &st, NULL) == SQLITE_OK &&
        (!next || sqlite3_bind_text(st, 1, tag, -1, SQLITE_STATIC) == SQLITE_OK)) {
        while (sqlite3_step(st) == SQLITE_ROW) {
            json_t *rec = json_loads((const char *)sqlite3_column_text(st, 1), 0, NULL);
            bool match = rec != NULL;
            for (size_t i = 0; match && i < 3; i++) {
                json_t *want = json_object_get(params, criteria[i]);
                match = want == NULL || json_is_null(want) ||
                        json_equal(want, json_object_get(rec, criteria[i]));
            }
            if (match)
                json_array_append_new(ids, json_string((const char *)sqlite3_column_text(st, 0)));
            json_decref(rec);
        }
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->lock);
    if (json_array_size(ids) > 0)
        last = json_string_value(json_array_get(ids, json_array_size(ids) - 1));
    return rpc_result(id,
                      json_pack("{s:I, s:s, s:o}", "totalCount", (json_int_t)json_array_size(ids),
                                "lookupTag", last, "ids", ids));
}

/* ---- work orders ---------------------------------------------------------------- */

static json_t *submit(ccf_wo_service *s, json_t *id, json_t *params)
{
    char err[768], *text = NULL, *reply = NULL, *policy = NULL, *url = NULL;
    const char *woid = json_string_value(json_object_get(params, "workOrderId"));
    const char *wid = json_string_value(json_object_get(params, "workerId"));
    json_t *data, *rec = NULL, *ans = NULL, *answer = NULL;
    ccf_client *c = NULL;
    long status = 0;

    if (ccf_wo_submit_check(params, err, sizeof err) != CCF_OK)
        return rpc_error(id, CCF_WO_INVALID_PARAMETER, err, NULL);
    data = json_pack("{s:s}", "workOrderId", woid);
    /* Avalon's listener: "worker ... doesn't exists" (INVALID_PARAMETER) */
    if ((rec = load_worker(s, wid)) == NULL) {
        snprintf(err, sizeof err, "worker %.64s doesn't exists", wid);
        ans = rpc_error(id, CCF_WO_INVALID_PARAMETER, err, data);
        goto out;
    }
    if (json_integer_value(json_object_get(rec, "status")) != WORKER_ACTIVE) {
        snprintf(err, sizeof err, "worker %.64s is not active", wid);
        ans = rpc_error(id, CCF_WO_INVALID_PARAMETER, err, data);
        goto out;
    }
    text = json_dumps(params, JSON_COMPACT);
    const char *args[] = {woid, wid, text};
    if (text == NULL || exec_text(s,
                                  "INSERT OR IGNORE INTO work_orders (id, worker, request) "
                                  "VALUES (?1, ?2, ?3)",
                                  args, 3) != 1) {
        ans = rpc_error(id, CCF_WO_INVALID_PARAMETER,
                        "Work order id already exists in the database. Hence invalid parameter",
                        data);
        goto out;
    }
    /* relay: the instance decrypts, runs and signs; only ciphertext passes here */
    policy = query_text(s, "SELECT policy FROM workers WHERE id = ?1", wid, NULL);
    url = query_text(s, "SELECT url FROM workers WHERE id = ?1", wid, NULL);
    if (policy == NULL || open_instance(s, wid, policy, url, &c, err, sizeof err) != CCF_OK ||
        ccf_client_call(c, "POST", "/workorder", text, strlen(text), &status, &reply, err,
                        sizeof err) != CCF_OK) {
        answer = json_pack("{s:{s:i, s:s}}", "error", "code", CCF_WO_FAILED, "message",
                           policy ? err : "the worker's policy is missing");
    } else if (status != 200 || (answer = json_loads(reply, 0, NULL)) == NULL ||
               !(json_is_object(json_object_get(answer, "result")) ||
                 json_is_object(json_object_get(answer, "error")))) {
        json_decref(answer);
        snprintf(err, sizeof err, "the worker answered %ld: %.300s", status, reply ? reply : "");
        answer = json_pack("{s:{s:i, s:s}}", "error", "code",
                           status == 403 ? CCF_WO_ACCESS_DENIED : CCF_WO_FAILED, "message", err);
    }
    free(text);
    text = answer ? json_dumps(answer, JSON_COMPACT) : NULL;
    const char *args2[] = {woid, text};
    if (text == NULL ||
        exec_text(s, "UPDATE work_orders SET answer = ?2 WHERE id = ?1", args2, 2) != 1) {
        ans = rpc_error(id, CCF_WO_UNKNOWN_ERROR, "cannot store the result", data);
        goto out;
    }
    ans = rpc_error(
        id, CCF_WO_PENDING,
        "Work order is computing. Please query for WorkOrderGetResult to view the result", data);
out:
    ccf_client_free(c);
    json_decref(answer);
    json_decref(rec);
    json_decref(data);
    free(text);
    free(reply);
    free(policy);
    free(url);
    return ans;
}

static json_t *get_result(ccf_wo_service *s, json_t *id, json_t *params)
{
    const char *woid = json_string_value(json_object_get(params, "workOrderId"));
    char *text, *exists;
    json_t *answer, *data, *ans;
    if (woid == NULL)
        return rpc_error(id, CCF_WO_INVALID_PARAMETER, "workOrderId: expected a string", NULL);
    data = json_pack("{s:s}", "workOrderId", woid);
    text = query_text(s, "SELECT answer FROM work_orders WHERE id = ?1", woid, NULL);
    if (text == NULL) {
        exists = query_text(s, "SELECT id FROM work_orders WHERE id = ?1", woid, NULL);
        ans = exists ? rpc_error(id, CCF_WO_PENDING, "Work order result is yet to be updated", data)
                     : rpc_error(id, CCF_WO_INVALID_PARAMETER,
                                 "Work order Id not found in the database. Hence invalid parameter",
                                 data);
        free(exists);
        json_decref(data);
        return ans;
    }
    answer = json_loads(text, 0, NULL);
    free(text);
    json_t *res = json_object_get(answer, "result"), *e = json_object_get(answer, "error");
    if (json_is_object(res))
        ans = rpc_result(id, json_incref(res));
    else
        ans = rpc_error(id,
                        json_is_integer(json_object_get(e, "code"))
                            ? (int)json_integer_value(json_object_get(e, "code"))
                            : CCF_WO_UNKNOWN_ERROR,
                        str_or(json_object_get(e, "message"), "the work order failed"), data);
    json_decref(answer);
    json_decref(data);
    return ans;
}

/* ---- the route ---------------------------------------------------------------- */

static bool is_operator(ccf_wo_service *s, const ccf_http_request *req)
{
    const char *h = ccf_http_request_header(req, "Authorization");
    ccf_principal who;
    return h != NULL && strncmp(h, "Bearer ", 7) == 0 && ccf_auth_check(s->auth, h + 7, &who) &&
           (who.role & (CCF_ROLE_OPERATOR | CCF_ROLE_ADMIN)) != 0;
}

static void on_rpc(const ccf_http_request *req, ccf_http_response *resp, void *ctx)
{
    ccf_wo_service *s = ctx;
    const char *type = ccf_http_request_header(req, "Content-Type");
    size_t len;
    const char *body = ccf_http_request_body(req, &len);
    ccf_wo_rpc rpc;
    char err[512];
    int code;
    json_t *ans;

    memset(&rpc, 0, sizeof rpc);
    /* Avalon's base listener: application/json or x-www-form-urlencoded, else UNKNOWN_ERROR */
    if (type == NULL || (strncmp(type, "application/json", 16) != 0 &&
                         strncmp(type, "application/x-www-form-urlencoded", 33) != 0)) {
        ans = rpc_error(NULL, CCF_WO_FAILED, "UNKNOWN_ERROR: unknown message encoding", NULL);
    } else if (ccf_wo_rpc_parse(body, len, &rpc, &code, err, sizeof err) != CCF_OK) {
        ans = rpc_error(rpc.id, code, err, NULL);
    } else {
        switch (rpc.method) {
        case CCF_WO_M_WORKER_REGISTER:
        case CCF_WO_M_WORKER_UPDATE:
        case CCF_WO_M_WORKER_SET_STATUS:
            if (!is_operator(s, req)) {
                ans =
                    rpc_error(rpc.id, CCF_WO_ACCESS_DENIED,
                              "this method needs an operator token (Authorization: Bearer)", NULL);
                break;
            }
            ans =
                rpc.method == CCF_WO_M_WORKER_SET_STATUS
                    ? worker_set_status(s, rpc.id, rpc.params)
                    : worker_register(s, rpc.id, rpc.params, rpc.method == CCF_WO_M_WORKER_UPDATE);
            break;
        case CCF_WO_M_WORKER_LOOKUP:
        case CCF_WO_M_WORKER_LOOKUP_NEXT:
            ans = worker_lookup(s, rpc.id, rpc.params, rpc.method == CCF_WO_M_WORKER_LOOKUP_NEXT);
            break;
        case CCF_WO_M_WORKER_RETRIEVE:
            ans = worker_retrieve(s, rpc.id, rpc.params);
            break;
        case CCF_WO_M_SUBMIT:
            ans = submit(s, rpc.id, rpc.params);
            break;
        case CCF_WO_M_GET_RESULT:
            ans = get_result(s, rpc.id, rpc.params);
            break;
        default:
            ans = rpc_error(rpc.id, CCF_WO_METHOD_NOT_FOUND, "Method not found", NULL);
        }
    }
    /* JSON-RPC answers every request with 200 and its own codes */
    ccf_http_respond_json(resp, 200, ans);
    ccf_wo_rpc_clear(&rpc);
}

/* ---- lifetime ---------------------------------------------------------------- */

ccf_err ccf_wo_service_new(const ccf_wo_config *cfg, ccf_wo_service **out, char *err,
                           size_t err_size)
{
    ccf_wo_service *s = calloc(1, sizeof *s);
    char path[PATH_MAX + 32], *msg = NULL;
    ccf_err rc = CCF_ERR_IO;

    *out = NULL;
    if (s == NULL)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    s->cfg = *cfg;
    pthread_mutex_init(&s->lock, NULL);
    snprintf(s->data_dir, sizeof s->data_dir, "%s", cfg->data_dir);
    snprintf(path, sizeof path, "%s/workers", s->data_dir);
    if ((mkdir(s->data_dir, 0700) != 0 && access(s->data_dir, W_OK) != 0) ||
        (mkdir(path, 0700) != 0 && access(path, W_OK) != 0)) {
        ccf_errf(err, err_size, rc, "cannot create %s", path);
        goto fail;
    }
    if (cfg->cert_path != NULL && cfg->key_path != NULL) {
        snprintf(s->cert, sizeof s->cert, "%s", cfg->cert_path);
        snprintf(s->key, sizeof s->key, "%s", cfg->key_path);
    } else {
        snprintf(s->cert, sizeof s->cert, "%s/workorder.crt", s->data_dir);
        snprintf(s->key, sizeof s->key, "%s/workorder.key", s->data_dir);
        if (access(s->cert, R_OK) != 0 &&
            (rc = ccf_identity_new(s->data_dir, "workorder", 3650, s->cert, s->key, sizeof s->cert,
                                   NULL, err, err_size)) != CCF_OK)
            goto fail;
    }
    if ((rc = ccf_auth_open_dir(s->data_dir, &s->auth, err, err_size)) != CCF_OK)
        goto fail;
    snprintf(path, sizeof path, "%s/workorders.db", s->data_dir);
    if (sqlite3_open_v2(path, &s->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        NULL) != SQLITE_OK ||
        sqlite3_exec(s->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(s->db, schema, NULL, NULL, &msg) != SQLITE_OK) {
        ccf_errf(err, err_size, CCF_ERR_IO, "%s: %s", path, msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        rc = CCF_ERR_IO;
        goto fail;
    }
    (void)chmod(path, 0600);
    *out = s;
    return CCF_OK;
fail:
    ccf_wo_service_free(s);
    return rc;
}

ccf_err ccf_wo_service_mount(ccf_wo_service *svc, ccf_http_server *srv)
{
    ccf_http_server_set_auth(srv, svc->auth);
    return ccf_http_server_route(srv, "POST", "/", on_rpc, svc, CCF_WO_MAX_BODY);
}

const char *ccf_wo_service_cert_path(const ccf_wo_service *svc)
{
    return svc->cert;
}

void ccf_wo_service_free(ccf_wo_service *s)
{
    if (s == NULL)
        return;
    sqlite3_close(s->db);
    ccf_auth_free(s->auth);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
