/* The work-order worker inside the runtime: workorder.h says what; every
 * cryptographic rule and its source in Avalon is in docs/workorders.md. */
#include "runtime/workorder.h"

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "wasi/vfs.h"
#include "workorder/proto.h"

#define RSA_BITS        3072 /* Avalon's tcs_config.toml: KeyEncryptionAlgorithm RSA-OAEP-3072 */
#define SESSION_KEY_LEN CCF_WO_KEY_LEN
#define IV_LEN          CCF_WO_IV_LEN
#define WO_DIR_NAME     "workorder"
#define WO_DIR          WO_DIR_NAME "/"
#define OUT_FILE        WO_DIR "out"
#define MAX_OUT                                                                                    \
    (512u << 10) /* a workload's output, bytes (its reply stays within the client's 1 MiB) */

struct ccf_wo_worker {
    ccf_instance *inst;
    char *cert_pem;
    EVP_PKEY *enclave_key;
    EVP_PKEY *sign_key; /* secp256k1 */
    EVP_PKEY *enc_key;  /* RSA */
    char *sign_pub_pem, *enc_pub_pem;
    char enc_key_sig_hex[2 * 80 + 1];
    char *binding_b64;
};

/* ---- small helpers ---------------------------------------------------------- */

static char *pubkey_pem(EVP_PKEY *k)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *p = NULL, *out = NULL;
    long n;
    if (b != NULL && PEM_write_bio_PUBKEY(b, k) == 1 && (n = BIO_get_mem_data(b, &p)) > 0 &&
        (out = malloc((size_t)n + 1)) != NULL) {
        memcpy(out, p, (size_t)n);
        out[n] = '\0';
    }
    BIO_free(b);
    return out;
}

static ccf_err make_keys(ccf_wo_worker *w, char *err, size_t err_size)
{
    uint8_t digest[32], sig[160];
    size_t sig_len = sizeof sig;
    EVP_MD_CTX *md = NULL;
    ccf_err rc = CCF_ERR_CRYPTO;

    if (w->sign_key != NULL)
        return CCF_OK;
    if ((w->sign_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1")) == NULL ||
        (w->enc_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)RSA_BITS)) == NULL ||
        (w->sign_pub_pem = pubkey_pem(w->sign_key)) == NULL ||
        (w->enc_pub_pem = pubkey_pem(w->enc_key)) == NULL)
        goto out;
    /* encryptionKeySignature: Avalon worker_signing.verify_encryption_key_signature */
    if (!ccf_sha256(w->enc_pub_pem, strlen(w->enc_pub_pem), digest) ||
        !ccf_wo_sign_digest(w->sign_key, digest, sig, &sig_len))
        goto out;
    ccf_hex_encode(sig, sig_len, w->enc_key_sig_hex);
    /* the binding to the attested instance: its key signs both public keys */
    sig_len = sizeof sig;
    if ((md = EVP_MD_CTX_new()) == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
        EVP_DigestUpdate(md, w->sign_pub_pem, strlen(w->sign_pub_pem)) != 1 ||
        EVP_DigestUpdate(md, w->enc_pub_pem, strlen(w->enc_pub_pem)) != 1 ||
        EVP_DigestFinal_ex(md, digest, NULL) != 1 ||
        !ccf_wo_sign_digest(w->enclave_key, digest, sig, &sig_len) ||
        (w->binding_b64 = ccf_wo_b64(sig, sig_len)) == NULL)
        goto out;
    rc = CCF_OK;
out:
    EVP_MD_CTX_free(md);
    if (rc != CCF_OK) {
        ERR_clear_error();
        EVP_PKEY_free(w->sign_key);
        w->sign_key = NULL;
        ccf_errf(err, err_size, rc, "cannot create the worker's keys");
    }
    return rc;
}

ccf_err ccf_wo_worker_new(ccf_instance *inst, const char *cert_pem, EVP_PKEY *enclave_key,
                          ccf_wo_worker **out, char *err, size_t err_size)
{
    ccf_wo_worker *w = calloc(1, sizeof *w);
    *out = NULL;
    if (w == NULL || (w->cert_pem = strdup(cert_pem)) == NULL) {
        free(w);
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    }
    w->inst = inst;
    w->enclave_key = enclave_key;
    *out = w;
    return CCF_OK;
}

void ccf_wo_worker_free(ccf_wo_worker *w)
{
    if (w == NULL)
        return;
    EVP_PKEY_free(w->sign_key);
    EVP_PKEY_free(w->enc_key);
    free(w->sign_pub_pem);
    free(w->enc_pub_pem);
    free(w->binding_b64);
    free(w->cert_pem);
    free(w);
}

static ccf_err dump(json_t *j, char **json_out, char *err, size_t err_size)
{
    *json_out = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return *json_out ? CCF_OK : ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
}

ccf_err ccf_wo_worker_info(ccf_wo_worker *w, char **json_out, char *err, size_t err_size)
{
    ccf_err rc = make_keys(w, err, err_size);
    *json_out = NULL;
    if (rc != CCF_OK)
        return rc;
    return dump(json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "verificationKey", w->sign_pub_pem,
                          "encryptionKey", w->enc_pub_pem, "encryptionKeySignature",
                          w->enc_key_sig_hex, "enclaveCertificate", w->cert_pem, "keyBinding",
                          w->binding_b64, "policyHash", ccf_instance_policy_hash(w->inst)),
                json_out, err, err_size);
}

/* ---- one work order ------------------------------------------------------- */

typedef struct {
    uint8_t key[SESSION_KEY_LEN];
    uint8_t iv[IV_LEN];
    bool fixed_iv; /* Avalon's mode: sessionKeyIv for everything; else an IV before each item */
} session;

/* The workload's program. With a registry file workorder-workloads.json in
 * the instance (a data file of the function that the policy pins by its
 * pi_hash like a program; present and not pinned, or pinned and missing, is
 * refused: {"WORKLOAD": {"program": "NAME.wasm"}, ...}, as Avalon's
 * workloads.json maps ids to Python classes), the workloads it lists and no
 * other; without one, the program named as the workload or that name +
 * ".wasm". -1 when there is none; -2 when the registry is malformed (msg). */
static long find_program(ccf_wo_worker *w, const char *name, char *msg, size_t msg_size)
{
    const ccf_policy *p = ccf_instance_policy(w->inst);
    uint8_t *reg = NULL;
    size_t reg_len = 0, n = strlen(name);
    const char *want = NULL;
    json_t *j = NULL;
    long found = -1;

    bool pinned = false,
         present = ccf_vfs_get(ccf_instance_vfs(w->inst), NULL, CCF_WO_REGISTRY_FILE, &reg,
                               &reg_len) == WASI_ESUCCESS;
    for (size_t i = 0; i < p->data_file_count; i++)
        pinned = pinned || strcmp(p->data_files[i].data_file, CCF_WO_REGISTRY_FILE) == 0;
    /* a registry decides which code sees the data: only one the policy pins counts */
    if (present != pinned) {
        free(reg);
        snprintf(msg, msg_size, "%s: %s", CCF_WO_REGISTRY_FILE,
                 pinned ? "a data file of the policy, not loaded yet"
                        : "present but not a pinned data file of the policy: refused");
        return -2;
    }
    if (present) {
        json_error_t je;
        j = json_loadb((const char *)reg, reg_len, JSON_REJECT_DUPLICATES, &je);
        free(reg);
        if (!json_is_object(j)) {
            snprintf(msg, msg_size, "%s: not a JSON object (%s)", CCF_WO_REGISTRY_FILE, je.text);
            json_decref(j);
            return -2;
        }
        want = json_string_value(json_object_get(json_object_get(j, name), "program"));
        if (want == NULL) {
            json_decref(j);
            return -1;
        }
    }
    for (size_t i = 0; i < p->program_count && found < 0; i++) {
        const char *f = p->programs[i].program_file_name;
        if (want != NULL
                ? strcmp(f, want) == 0
                : strcmp(f, name) == 0 || (strncmp(f, name, n) == 0 && strcmp(f + n, ".wasm") == 0))
            found = (long)i;
    }
    json_decref(j);
    return found;
}

static bool unwrap_session_key(ccf_wo_worker *w, const json_t *params, session *s)
{
    const char *hash = json_string_value(json_object_get(params, "encryptedSessionKeyOaepHash"));
    return ccf_wo_unwrap_key(w->enc_key,
                             json_string_value(json_object_get(params, "encryptedSessionKey")),
                             hash != NULL && strcmp(hash, "SHA-256") == 0, s->key);
}

static bool check_request_hash(const json_t *params, const session *s)
{
    uint8_t enc[256], want[32], *got = NULL;
    size_t elen, glen = 0;
    bool ok = ccf_wo_unhex(json_string_value(json_object_get(params, "encryptedRequestHash")), enc,
                           sizeof enc, &elen) &&
              ccf_wo_request_hash(params, want) &&
              ccf_wo_open(s->key, s->fixed_iv ? s->iv : NULL, enc, elen, &got, &glen) &&
              glen == 32 && ccf_ct_equal(got, want, 32);
    free(got);
    return ok;
}

/* The entries of a directory (names collected by ccf_vfs_readdir). */
typedef struct {
    char names[64][256];
    uint8_t types[64];
    size_t count;
    bool more;
} dir_list;

static bool collect(void *user, uint64_t next_cookie, uint64_t ino, uint8_t filetype,
                    const char *name, size_t name_len)
{
    dir_list *d = user;
    (void)next_cookie;
    (void)ino;
    if ((name_len == 1 && name[0] == '.') || (name_len == 2 && memcmp(name, "..", 2) == 0))
        return true;
    if (d->count == sizeof d->names / sizeof d->names[0] || name_len >= sizeof d->names[0]) {
        d->more = true;
        return false;
    }
    memcpy(d->names[d->count], name, name_len);
    d->names[d->count][name_len] = '\0';
    d->types[d->count++] = filetype;
    return true;
}

/* Overwrites a regular file's bytes with zeros (the file system frees them
 * without wiping). */
static void zero_file(ccf_vfs *vfs, const char *path)
{
    static const uint8_t zero[4096];
    ccf_vfs_node *node = ccf_vfs_lookup(vfs, path);
    if (node == NULL || ccf_vfs_node_type(node) != WASI_FILETYPE_REGULAR_FILE)
        return;
    uint64_t size = ccf_vfs_node_size(node);
    for (uint64_t off = 0; off < size; off += sizeof zero)
        (void)ccf_vfs_node_write(vfs, node, off, zero,
                                 (size_t)(size - off < sizeof zero ? size - off : sizeof zero));
}

/* Wipes and removes everything under dir (the work order's files, and any
 * the workload made there: nothing of one work order is left for the next),
 * depth first; dir itself stays. */
static void clear_tree(ccf_vfs *vfs, const char *dir, int depth)
{
    dir_list *d = depth < 8 ? calloc(1, sizeof *d) : NULL;
    char path[1100];
    if (d == NULL)
        return;
    size_t removed;
    do { /* batches of 64 entries, each read afresh after the last was removed */
        d->count = 0;
        d->more = false;
        removed = 0;
        if (ccf_vfs_readdir(vfs, NULL, dir, 0, collect, d) != WASI_ESUCCESS)
            break;
        for (size_t i = 0; i < d->count; i++) {
            snprintf(path, sizeof path, "%s/%s", dir, d->names[i]);
            if (d->types[i] == WASI_FILETYPE_DIRECTORY) {
                clear_tree(vfs, path, depth + 1);
                removed += ccf_vfs_rmdir(vfs, NULL, path) == WASI_ESUCCESS;
            } else {
                zero_file(vfs, path);
                removed += ccf_vfs_unlink(vfs, NULL, path) == WASI_ESUCCESS;
            }
        }
    } while (d->more && removed > 0);
    free(d);
}

static void clear_files(ccf_vfs *vfs)
{
    clear_tree(vfs, WO_DIR_NAME, 0);
}

static json_t *wo_error(int code, const char *msg)
{
    return json_pack("{s:{s:i, s:s}}", "error", "code", code, "message", msg);
}

ccf_err ccf_wo_worker_process(ccf_wo_worker *w, int who, const char *body, size_t len,
                              char **json_out, char *err, size_t err_size)
{
    const ccf_policy *p = ccf_instance_policy(w->inst);
    ccf_vfs *vfs = ccf_instance_vfs(w->inst);
    json_error_t je;
    json_t *params = NULL, *ans = NULL, *in_data, *result = NULL;
    session s;
    char msg[512], workload[257], *sealed = NULL;
    uint8_t digest[32], sig[160], *plain = NULL, *out = NULL, *raw = NULL;
    size_t wl_len, n_in = 0, sig_len = sizeof sig, out_len = 0, raw_len, plain_len;
    long prog;
    ccf_err rc;
    ccf_exec_result res;

    memset(&s, 0, sizeof s);
    *json_out = NULL;
    params = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (params == NULL || ccf_wo_submit_check(params, msg, sizeof msg) != CCF_OK) {
        if (params == NULL)
            snprintf(msg, sizeof msg, "work order: not JSON: %s", je.text);
        ans = wo_error(CCF_WO_INVALID_PARAMETER, msg);
        goto answer;
    }
    /* the workload and the caller's right to run it, before any secret is touched */
    if (!ccf_wo_unhex(json_string_value(json_object_get(params, "workloadId")), (uint8_t *)workload,
                      sizeof workload - 1, &wl_len) ||
        memchr(workload, '\0', wl_len) != NULL) {
        ans = wo_error(CCF_WO_INVALID_PARAMETER, "workloadId: expected hex of a name");
        goto answer;
    }
    workload[wl_len] = '\0';
    if ((prog = find_program(w, workload, msg, sizeof msg)) < 0) {
        if (prog == -1)
            snprintf(msg, sizeof msg, "workload %.100s is not served by this worker", workload);
        ans = wo_error(prog == -1 ? CCF_WO_INVALID_WORKLOAD : CCF_WO_UNKNOWN_ERROR, msg);
        goto answer;
    }
    if (who < 0 || !ccf_policy_may_execute(p, (size_t)who, (size_t)prog)) {
        json_decref(params);
        return ccf_errf(err, err_size, CCF_ERR_DENIED, "this identity may not run workload %s",
                        workload);
    }
    if ((rc = make_keys(w, err, err_size)) != CCF_OK) {
        json_decref(params);
        return rc;
    }
    s.fixed_iv = json_object_get(params, "sessionKeyIv") != NULL;
    if (s.fixed_iv && !ccf_wo_unhex(json_string_value(json_object_get(params, "sessionKeyIv")),
                                    s.iv, IV_LEN, &raw_len)) {
        ans = wo_error(CCF_WO_INVALID_PARAMETER, "sessionKeyIv: expected 24 hex digits");
        goto answer;
    }
    /* Avalon's worker: an exception unwrapping the session key is a failure
     * of the work order; a request hash that does not open or match is
     * "Work order integrity check failed" (INVALID_PARAMETER). */
    if (!unwrap_session_key(w, params, &s)) {
        ans = wo_error(CCF_WO_FAILED, "the session key does not decrypt with this worker's key");
        goto answer;
    }
    if (!check_request_hash(params, &s)) {
        ans = wo_error(CCF_WO_INVALID_PARAMETER, "Work order integrity check failed");
        goto answer;
    }
    /* in-data, by index, into workorder/in-N */
    in_data = json_object_get(params, "inData");
    n_in = json_array_size(in_data);
    clear_files(vfs);
    for (size_t i = 0; i < n_in; i++) {
        const json_t *it = json_array_get(in_data, i);
        const char *ek = json_string_value(json_object_get(it, "encryptedDataEncryptionKey"));
        char path[64];
        if (!ccf_wo_unb64(json_string_value(json_object_get(it, "data")), &raw, &raw_len)) {
            snprintf(msg, sizeof msg, "inData[%zu].data: not base64", i);
            ans = wo_error(CCF_WO_INVALID_PARAMETER, msg);
            goto answer;
        }
        if (ek == NULL || ek[0] == '\0' || strcmp(ek, "null") == 0) {
            if (!ccf_wo_open(s.key, s.fixed_iv ? s.iv : NULL, raw, raw_len, &plain, &plain_len)) {
                snprintf(msg, sizeof msg, "inData[%zu]: does not decrypt with the session key", i);
                ans = wo_error(CCF_WO_INVALID_PARAMETER, msg);
                goto answer;
            }
        } else if (strcmp(ek, "-") == 0) { /* sent in plain text (the client's choice) */
            plain = raw;
            plain_len = raw_len;
            raw = NULL;
        } else {
            snprintf(msg, sizeof msg,
                     "inData[%zu].encryptedDataEncryptionKey: per-item data keys "
                     "are not supported (use the session key, \"null\", or \"-\")",
                     i);
            ans = wo_error(CCF_WO_INVALID_PARAMETER, msg);
            goto answer;
        }
        json_int_t index = json_integer_value(json_object_get(it, "index"));
        snprintf(path, sizeof path, WO_DIR "in-%lld", (long long)index);
        if (index < 0 || (size_t)index >= n_in || ccf_vfs_lookup(vfs, path) != NULL ||
            ccf_vfs_make_parents(vfs, path) != WASI_ESUCCESS ||
            ccf_vfs_put(vfs, NULL, path, plain, plain_len, false) != WASI_ESUCCESS) {
            snprintf(msg, sizeof msg, "inData[%zu].index: expected distinct indices 0..%zu", i,
                     n_in - 1);
            ans = wo_error(CCF_WO_INVALID_PARAMETER, msg);
            goto answer;
        }
        OPENSSL_cleanse(plain, plain_len);
        free(plain);
        free(raw);
        plain = raw = NULL;
    }
    rc = ccf_instance_execute(w->inst, who, p->programs[prog].program_file_name, &res, msg,
                              sizeof msg);
    if (rc != CCF_OK || res.trapped || res.exit_code != 0 ||
        ccf_vfs_get(vfs, NULL, OUT_FILE, &out, &out_len) != WASI_ESUCCESS || out_len > MAX_OUT) {
        /* Avalon's python worker: a workload that fails is "Error processing work load" */
        ans = wo_error(CCF_WO_INVALID_PARAMETER, "Error processing work load");
        fprintf(stderr, "ccfaas-runtime: workload %s failed: %s\n", workload,
                rc != CCF_OK  ? msg
                : res.trapped ? res.trap
                              : "no output or a non-zero exit");
        goto answer;
    }
    /* the response: Avalon's _create_work_order_response + _encrypt_and_sign_response */
    uint8_t nonce[16];
    char *nonce_b64 = NULL;
    if (RAND_bytes(nonce, sizeof nonce) != 1 ||
        (nonce_b64 = ccf_wo_b64(nonce, sizeof nonce)) == NULL ||
        (sealed = ccf_wo_seal_b64(s.key, s.fixed_iv ? s.iv : NULL, out, out_len)) == NULL) {
        free(nonce_b64);
        ans = wo_error(CCF_WO_UNKNOWN_ERROR, "cannot encrypt the result");
        goto answer;
    }
    result = json_pack("{s:O, s:O, s:O, s:O, s:s, s:[{s:i, s:s, s:s, s:s}]}", "workloadId",
                       json_object_get(params, "workloadId"), "workOrderId",
                       json_object_get(params, "workOrderId"), "workerId",
                       json_object_get(params, "workerId"), "requesterId",
                       json_object_get(params, "requesterId"), "workerNonce", nonce_b64, "outData",
                       "index", 0, "data", sealed, "encryptedDataEncryptionKey", "null", "iv", "");
    free(nonce_b64);
    char *sig_b64 = NULL;
    if (result == NULL || !ccf_wo_response_hash(result, digest) ||
        !ccf_wo_sign_digest(w->sign_key, digest, sig, &sig_len) ||
        (sig_b64 = ccf_wo_b64(sig, sig_len)) == NULL ||
        json_object_set_new(result, "workerSignature", json_string(sig_b64)) != 0) {
        free(sig_b64);
        ans = wo_error(CCF_WO_UNKNOWN_ERROR, "cannot sign the result");
        goto answer;
    }
    free(sig_b64);
    ans = json_pack("{s:O}", "result", result);
answer:
    clear_files(vfs);
    if (out != NULL)
        OPENSSL_cleanse(out, out_len);
    free(out);
    if (plain != NULL)
        OPENSSL_cleanse(plain, plain_len);
    free(plain);
    free(raw);
    free(sealed);
    OPENSSL_cleanse(&s, sizeof s);
    json_decref(result);
    json_decref(params);
    return dump(ans, json_out, err, err_size);
}
