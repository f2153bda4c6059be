/* Work-order protocol rules: proto.h states them. */
#include "workorder/proto.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "common/crypto.h"

static const char *const method_names[CCF_WO_M_COUNT] = {
    [CCF_WO_M_WORKER_LOOKUP] = "WorkerLookUp",
    [CCF_WO_M_WORKER_LOOKUP_NEXT] = "WorkerLookUpNext",
    [CCF_WO_M_WORKER_RETRIEVE] = "WorkerRetrieve",
    [CCF_WO_M_WORKER_REGISTER] = "WorkerRegister",
    [CCF_WO_M_WORKER_UPDATE] = "WorkerUpdate",
    [CCF_WO_M_WORKER_SET_STATUS] = "WorkerSetStatus",
    [CCF_WO_M_SUBMIT] = "WorkOrderSubmit",
    [CCF_WO_M_GET_RESULT] = "WorkOrderGetResult",
};

const char *ccf_wo_method_name(ccf_wo_method m)
{
    return (unsigned)m < CCF_WO_M_COUNT ? method_names[m] : NULL;
}

void ccf_wo_rpc_clear(ccf_wo_rpc *rpc)
{
    if (rpc == NULL)
        return;
    json_decref(rpc->root);
    memset(rpc, 0, sizeof *rpc);
}

ccf_err ccf_wo_rpc_parse(const char *body, size_t len, ccf_wo_rpc *out, int *code, char *err,
                         size_t err_size)
{
    json_error_t je;
    json_t *v;
    const char *m;

    memset(out, 0, sizeof *out);
    *code = CCF_WO_INVALID_PARAMETER;
    if (len > CCF_WO_MAX_BODY)
        return ccf_errf(err, err_size, CCF_ERR_TOO_LARGE,
                        "request: %zu bytes exceed the limit of %u", len, CCF_WO_MAX_BODY);
    /* JSON_REJECT_DUPLICATES: a key given twice would let two readers of the
     * same request see different values */
    out->root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (out->root == NULL)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "request: not JSON: line %d column %d: %s",
                        je.line, je.column, je.text);
    if (!json_is_object(out->root))
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "request: expected a JSON object");
    out->id = json_object_get(out->root, "id");
    v = json_object_get(out->root, "jsonrpc");
    if (!json_is_string(v) || strcmp(json_string_value(v), "2.0") != 0)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "jsonrpc: expected \"2.0\"");
    if (out->id == NULL)
        return ccf_errf(err, err_size, CCF_ERR_INVALID,
                        "id: missing (notifications are not served)");
    v = json_object_get(out->root, "method");
    if (!json_is_string(v))
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "method: expected a string");
    m = json_string_value(v);
    out->params = json_object_get(out->root, "params");
    if (out->params == NULL) {
        out->params = json_object();
        if (out->params == NULL || json_object_set_new(out->root, "params", out->params) != 0)
            return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    } else if (!json_is_object(out->params)) {
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "params: expected an object");
    }
    for (int i = 0; i < CCF_WO_M_COUNT; i++) {
        if (strcmp(m, method_names[i]) == 0) {
            out->method = (ccf_wo_method)i;
            *code = CCF_WO_SUCCESS;
            return CCF_OK;
        }
    }
    *code = CCF_WO_METHOD_NOT_FOUND;
    return ccf_errf(err, err_size, CCF_ERR_NOT_FOUND, "method: \"%.64s\" not found", m);
}

bool ccf_wo_unhex(const char *hex, uint8_t *out, size_t max, size_t *len)
{
    size_t n = strlen(hex);
    if (n % 2 != 0 || n / 2 > max || !ccf_is_hex(hex, n))
        return false;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned b;
        if (sscanf(hex + 2 * i, "%2x", &b) != 1)
            return false;
        out[i] = (uint8_t)b;
    }
    *len = n / 2;
    return true;
}

/* ---- params checks -------------------------------------------------------- */

static ccf_err need_string(const json_t *params, const char *key, size_t max, bool hex, char *err,
                           size_t err_size)
{
    const json_t *v = json_object_get(params, key);
    const char *s = json_string_value(v);
    if (!json_is_string(v))
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "%s: %s", key,
                        v ? "expected a string" : "missing");
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "%s: expected 1 to %zu characters, got %zu",
                        key, max, n);
    if (hex && (n % 2 != 0 || !ccf_is_hex(s, n)))
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "%s: expected an even number of hex digits",
                        key);
    return CCF_OK;
}

static ccf_err check_items(const json_t *params, const char *key, bool required, char *err,
                           size_t err_size)
{
    static const char *const opt[] = {"dataHash", "encryptedDataEncryptionKey", "iv"};
    const json_t *a = json_object_get(params, key);
    if (a == NULL && !required)
        return CCF_OK;
    if (!json_is_array(a))
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "%s: %s", key,
                        a ? "expected an array" : "missing");
    if ((required && json_array_size(a) == 0) || json_array_size(a) > CCF_WO_MAX_ITEMS)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "%s: expected %d to %d items, got %zu", key,
                        required ? 1 : 0, CCF_WO_MAX_ITEMS, json_array_size(a));
    for (size_t i = 0; i < json_array_size(a); i++) {
        const json_t *it = json_array_get(a, i);
        if (!json_is_object(it))
            return ccf_errf(err, err_size, CCF_ERR_INVALID, "%s[%zu]: expected an object", key, i);
        if (!json_is_integer(json_object_get(it, "index")))
            return ccf_errf(err, err_size, CCF_ERR_INVALID, "%s[%zu].index: expected an integer",
                            key, i);
        if (!json_is_string(json_object_get(it, "data")))
            return ccf_errf(err, err_size, CCF_ERR_INVALID, "%s[%zu].data: expected a string", key,
                            i);
        for (size_t k = 0; k < sizeof opt / sizeof opt[0]; k++) {
            const json_t *v = json_object_get(it, opt[k]);
            if (v != NULL && !json_is_string(v))
                return ccf_errf(err, err_size, CCF_ERR_INVALID, "%s[%zu].%s: expected a string",
                                key, i, opt[k]);
        }
    }
    return CCF_OK;
}

ccf_err ccf_wo_submit_check(const json_t *params, char *err, size_t err_size)
{
    static const char *const ids[] = {"workOrderId", "workerId", "requesterId", "requesterNonce"};
    ccf_err rc;
    const json_t *v;

    if (!json_is_object(params))
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "params: expected an object");
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        if ((rc = need_string(params, ids[i], 256, false, err, err_size)) != CCF_OK)
            return rc;
    if ((rc = need_string(params, "workloadId", 512, true, err, err_size)) != CCF_OK ||
        (rc = need_string(params, "encryptedSessionKey", 2048, true, err, err_size)) != CCF_OK ||
        (rc = need_string(params, "encryptedRequestHash", 512, true, err, err_size)) != CCF_OK)
        return rc;
    v = json_object_get(params, "sessionKeyIv");
    if (v != NULL && (!json_is_string(v) || strlen(json_string_value(v)) != 24 ||
                      !ccf_is_hex(json_string_value(v), 24)))
        return ccf_errf(err, err_size, CCF_ERR_INVALID,
                        "sessionKeyIv: expected 24 hex digits (12 bytes)");
    v = json_object_get(params, "encryptedSessionKeyOaepHash");
    if (v != NULL && (!json_is_string(v) || (strcmp(json_string_value(v), "SHA-1") != 0 &&
                                             strcmp(json_string_value(v), "SHA-256") != 0)))
        return ccf_errf(err, err_size, CCF_ERR_INVALID,
                        "encryptedSessionKeyOaepHash: expected \"SHA-1\" or \"SHA-256\"");
    if ((rc = check_items(params, "inData", true, err, err_size)) != CCF_OK)
        return rc;
    return check_items(params, "outData", false, err, err_size);
}

/* ---- hashes ------------------------------------------------------------- */

static bool add_field(EVP_MD_CTX *md, const json_t *obj, const char *key, bool required)
{
    const json_t *v = json_object_get(obj, key);
    if (v == NULL)
        return !required;
    return json_is_string(v) &&
           EVP_DigestUpdate(md, json_string_value(v), json_string_length(v)) == 1;
}

static bool hash_ids(const json_t *obj, const char *nonce_key, uint8_t out[32])
{
    static const char *const keys[] = {"workOrderId", "workerId", "workloadId", "requesterId"};
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    bool ok = md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
              add_field(md, obj, nonce_key, true);
    for (size_t i = 0; ok && i < sizeof keys / sizeof keys[0]; i++)
        ok = add_field(md, obj, keys[i], true);
    ok = ok && EVP_DigestFinal_ex(md, out, NULL) == 1;
    EVP_MD_CTX_free(md);
    return ok;
}

/* datahash of an array of items (sorted by index, stably: Python's list.sort). */
static bool hash_items(const json_t *a, uint8_t out[32])
{
    static const char *const keys[] = {"dataHash", "data", "encryptedDataEncryptionKey", "iv"};
    size_t n = json_array_size(a), order[CCF_WO_MAX_ITEMS];
    EVP_MD_CTX *md = NULL;
    bool ok = false;

    if (!json_is_array(a) || n > CCF_WO_MAX_ITEMS)
        return false;
    for (size_t i = 0; i < n; i++) {
        const json_t *it = json_array_get(a, i);
        if (!json_is_integer(json_object_get(it, "index")))
            return false;
        /* insertion sort: stable, and n is small */
        size_t j = i;
        json_int_t key = json_integer_value(json_object_get(it, "index"));
        while (j > 0 && json_integer_value(
                            json_object_get(json_array_get(a, order[j - 1]), "index")) > key) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    if ((md = EVP_MD_CTX_new()) == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
        goto out;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
            if (!add_field(md, json_array_get(a, order[i]), keys[k], false))
                goto out;
    ok = EVP_DigestFinal_ex(md, out, NULL) == 1;
out:
    EVP_MD_CTX_free(md);
    return ok;
}

bool ccf_wo_request_hash(const json_t *params, uint8_t out[32])
{
    uint8_t parts[96];
    size_t len = 64;
    const json_t *od = json_object_get(params, "outData");
    if (!hash_ids(params, "requesterNonce", parts) ||
        !hash_items(json_object_get(params, "inData"), parts + 32))
        return false;
    if (json_array_size(od) > 0) {
        if (!hash_items(od, parts + 64))
            return false;
        len = 96;
    }
    return ccf_sha256(parts, len, out);
}

bool ccf_wo_response_hash(const json_t *result, uint8_t out[32])
{
    uint8_t parts[64];
    size_t len = 32;
    const json_t *od = json_object_get(result, "outData");
    if (!hash_ids(result, "workerNonce", parts))
        return false;
    if (json_array_size(od) > 0) {
        if (!hash_items(od, parts + 32))
            return false;
        len = 64;
    }
    return ccf_sha256(parts, len, out);
}

bool ccf_wo_worker_id(const char *name, char out[65])
{
    return ccf_sha256_hex(name, strlen(name), out);
}
