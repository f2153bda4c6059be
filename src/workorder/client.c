/* ccfaas's own work-order client: client.h says what; the rules are in
 * docs/workorders.md. */
#include "workorder/client.h"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/crypto.h"
#include "net/http_client.h"

ccf_err ccf_wo_call(const char *url, const char *method, const json_t *params, long timeout_ms,
                    json_t **result, int *code, char *msg, size_t msg_size)
{
    json_t *req = json_pack("{s:s, s:s, s:i, s:O}", "jsonrpc", "2.0", "method", method, "id", 1,
                            "params", (json_t *)params);
    char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
    ccf_http_reply reply = {0};
    ccf_http_call_req r = {.method = "POST",
                           .url = url,
                           .body = body,
                           .body_len = body ? strlen(body) : 0,
                           .timeout_ms = timeout_ms};
    json_t *ans = NULL;
    ccf_err rc;

    *result = NULL;
    *code = 0;
    json_decref(req);
    if (body == NULL)
        return ccf_errf(msg, msg_size, CCF_ERR_NOMEM, "out of memory");
    rc = ccf_http_call(&r, &reply, msg, msg_size);
    free(body);
    if (rc != CCF_OK)
        return rc;
    if (reply.status != 200 || (ans = json_loadb(reply.body, reply.len, 0, NULL)) == NULL) {
        rc = ccf_errf(msg, msg_size, CCF_ERR_UPSTREAM, "%s: %s answered %ld: %.200s", method, url,
                      reply.status, reply.body ? reply.body : "");
    } else if (json_is_object(json_object_get(ans, "result"))) {
        *result = json_incref(json_object_get(ans, "result"));
    } else if (json_is_object(json_object_get(ans, "error"))) {
        json_t *e = json_object_get(ans, "error");
        *code = (int)json_integer_value(json_object_get(e, "code"));
        snprintf(msg, msg_size, "%s",
                 json_is_string(json_object_get(e, "message"))
                     ? json_string_value(json_object_get(e, "message"))
                     : "(no message)");
    } else {
        rc = ccf_errf(msg, msg_size, CCF_ERR_UPSTREAM, "%s: not a JSON-RPC answer", method);
    }
    json_decref(ans);
    ccf_http_reply_free(&reply);
    return rc;
}

static EVP_PKEY *pubkey_of(const char *pem)
{
    BIO *b = pem ? BIO_new_mem_buf(pem, -1) : NULL;
    EVP_PKEY *k = b ? PEM_read_bio_PUBKEY(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    return k;
}

static const char *td_str(const json_t *worker, const char *key)
{
    return json_string_value(json_object_get(
        json_object_get(json_object_get(worker, "details"), "workerTypeData"), key));
}

/* A DER signature given as hex or base64 over digest, by pem's key. */
static bool verify_sig(const char *pem, const uint8_t digest[32], const char *sig_text, bool hex)
{
    EVP_PKEY *k = pubkey_of(pem);
    uint8_t buf[256], *raw = NULL;
    size_t len = 0;
    bool ok = k != NULL && sig_text != NULL &&
              (hex ? ccf_wo_unhex(sig_text, buf, sizeof buf, &len)
                   : ccf_wo_unb64(sig_text, &raw, &len)) &&
              ccf_wo_verify_digest(k, digest, hex ? buf : raw, len);
    free(raw);
    EVP_PKEY_free(k);
    return ok;
}

ccf_err ccf_wo_verify_worker(const json_t *worker, const ccf_trust *trust, ccf_verify_result *vr,
                             char *err, size_t err_size)
{
    const char *vk = td_str(worker, "verificationKey"), *ek = td_str(worker, "encryptionKey");
    const char *proof_text = td_str(worker, "proofData");
    json_t *proof = proof_text && proof_text[0] ? json_loads(proof_text, 0, NULL) : NULL;
    const char *cert = json_string_value(json_object_get(proof, "enclaveCertificate"));
    const char *policy = json_string_value(json_object_get(proof, "policy"));
    const char *binding = json_string_value(json_object_get(proof, "keyBinding"));
    BIO *b = NULL;
    X509 *x = NULL;
    EVP_PKEY *ak = NULL;
    EVP_MD_CTX *md = NULL;
    uint8_t digest[32], *sig = NULL;
    size_t sig_len = 0;
    ccf_err rc = CCF_ERR_DENIED;

    const char *type = json_string_value(json_object_get(proof, "type"));
    memset(vr, 0, sizeof *vr);
    if (vk == NULL || ek == NULL || cert == NULL || policy == NULL || binding == NULL ||
        type == NULL || strcmp(type, "ccfaas-attested-instance") != 0) {
        rc =
            ccf_errf(err, err_size, CCF_ERR_DENIED,
                     "the worker has no ccfaas proof (proofData of type ccfaas-attested-instance)");
        goto out;
    }
    /* (1) the attested certificate against the policy and the verifier's anchors */
    if ((b = BIO_new_mem_buf(cert, -1)) == NULL ||
        (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL) {
        rc = ccf_errf(err, err_size, CCF_ERR_DENIED,
                      "proofData.enclaveCertificate: not a certificate");
        goto out;
    }
    if (ccf_verify_instance_trusted(x, NULL, policy, strlen(policy), NULL, trust, time(NULL), vr) !=
        CCF_OK) {
        rc = ccf_errf(err, err_size, CCF_ERR_DENIED, "the worker's instance: %s check failed: %s",
                      ccf_verify_check_name(vr->failed), vr->detail);
        goto out;
    }
    /* (3) the attested key signed SHA-256(verificationKey || encryptionKey) */
    if ((ak = X509_get_pubkey(x)) == NULL || (md = EVP_MD_CTX_new()) == NULL ||
        EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
        EVP_DigestUpdate(md, vk, strlen(vk)) != 1 || EVP_DigestUpdate(md, ek, strlen(ek)) != 1 ||
        EVP_DigestFinal_ex(md, digest, NULL) != 1 || !ccf_wo_unb64(binding, &sig, &sig_len) ||
        !ccf_wo_verify_digest(ak, digest, sig, sig_len)) {
        rc = ccf_errf(err, err_size, CCF_ERR_DENIED,
                      "keyBinding: the attested key did not sign these worker keys");
        goto out;
    }
    /* (4) encryptionKeySignature: the signing key signed the encryption key */
    if (!ccf_sha256(ek, strlen(ek), digest) ||
        !verify_sig(vk, digest, td_str(worker, "encryptionKeySignature"), true)) {
        rc = ccf_errf(err, err_size, CCF_ERR_DENIED, "encryptionKeySignature does not verify");
        goto out;
    }
    rc = CCF_OK;
out:
    free(sig);
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(ak);
    X509_free(x);
    BIO_free(b);
    json_decref(proof);
    return rc;
}

void ccf_wo_session_clear(ccf_wo_session *s)
{
    if (s != NULL)
        OPENSSL_cleanse(s, sizeof *s);
}

static char *random_hex(size_t n)
{
    uint8_t buf[64];
    char *out = n <= sizeof buf ? malloc(2 * n + 1) : NULL;
    if (out != NULL && RAND_bytes(buf, (int)n) == 1)
        ccf_hex_encode(buf, n, out);
    else if (out != NULL) {
        free(out);
        out = NULL;
    }
    return out;
}

ccf_err ccf_wo_make_request(const json_t *worker, const char *worker_id, const char *workload,
                            const char *const *in, const size_t *in_len, size_t n_in,
                            bool avalon_mode, ccf_wo_session *s, json_t **params, char *err,
                            size_t err_size)
{
    EVP_PKEY *rsa = pubkey_of(td_str(worker, "encryptionKey"));
    char *wrapped = NULL, *woid = random_hex(32), *rid = random_hex(32), *nonce = random_hex(16);
    char *wl_hex = NULL, *enc_hash = NULL, *item = NULL;
    const uint8_t *iv;
    json_t *p = NULL, *items = NULL;
    uint8_t h[32];
    ccf_err rc = CCF_ERR_CRYPTO;

    *params = NULL;
    memset(s, 0, sizeof *s);
    s->avalon_mode = avalon_mode;
    iv = avalon_mode ? s->iv : NULL; /* NULL: a fresh IV before every item */
    if (rsa == NULL) {
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID,
                      "the worker's encryptionKey is not a PEM public key");
        goto out;
    }
    if (n_in == 0 || n_in > CCF_WO_MAX_ITEMS) {
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "expected 1 to %d in-data items",
                      CCF_WO_MAX_ITEMS);
        goto out;
    }
    if (RAND_bytes(s->key, sizeof s->key) != 1 || RAND_bytes(s->iv, sizeof s->iv) != 1 ||
        (wrapped = ccf_wo_wrap_key(rsa, s->key, !avalon_mode)) == NULL || woid == NULL ||
        rid == NULL || nonce == NULL || (wl_hex = malloc(2 * strlen(workload) + 1)) == NULL)
        goto fail;
    ccf_hex_encode((const uint8_t *)workload, strlen(workload), wl_hex);
    if ((items = json_array()) == NULL)
        goto fail;
    for (size_t i = 0; i < n_in; i++) {
        if ((item = ccf_wo_seal_b64(s->key, iv, (const uint8_t *)in[i], in_len[i])) == NULL ||
            json_array_append_new(
                items, json_pack("{s:I, s:s}", "index", (json_int_t)i, "data", item)) != 0)
            goto fail;
        free(item);
        item = NULL;
    }
    p = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:O}", "responseTimeoutMSecs",
                  6000, "payloadFormat", "JSON-RPC", "workOrderId", woid, "workerId", worker_id,
                  "workloadId", wl_hex, "requesterId", rid, "requesterNonce", nonce,
                  "dataEncryptionAlgorithm", "AES-GCM-256", "encryptedSessionKey", wrapped,
                  "inData", items);
    if (p == NULL)
        goto fail;
    if (avalon_mode) {
        char ivhex[2 * CCF_WO_IV_LEN + 1];
        char *u = ccf_wo_hex_upper(s->iv, sizeof s->iv);
        snprintf(ivhex, sizeof ivhex, "%s", u ? u : "");
        free(u);
        json_object_set_new(p, "sessionKeyIv", json_string(ivhex));
    } else {
        json_object_set_new(p, "encryptedSessionKeyOaepHash", json_string("SHA-256"));
    }
    /* the request hash, encrypted: ciphertext || tag (with a fresh IV first
     * in ccfaas's mode), upper-case hex as Avalon writes it */
    uint8_t *raw = NULL;
    size_t raw_len = 0;
    if (!ccf_wo_request_hash(p, h) ||
        (enc_hash = ccf_wo_seal_b64(s->key, iv, h, sizeof h)) == NULL ||
        !ccf_wo_unb64(enc_hash, &raw, &raw_len))
        goto fail;
    char *hex = ccf_wo_hex_upper(raw, raw_len);
    free(raw);
    if (hex == NULL)
        goto fail;
    json_object_set_new(p, "encryptedRequestHash", json_string(hex));
    free(hex);
    *params = p;
    p = NULL;
    rc = CCF_OK;
    goto out;
fail:
    ccf_errf(err, err_size, rc, "cannot make the work order");
out:
    if (rc != CCF_OK)
        ccf_wo_session_clear(s);
    json_decref(p);
    json_decref(items);
    EVP_PKEY_free(rsa);
    free(wrapped);
    free(woid);
    free(rid);
    free(nonce);
    free(wl_hex);
    free(enc_hash);
    free(item);
    return rc;
}

ccf_err ccf_wo_open_result(const json_t *result, const json_t *request,
                           const char *verification_key, const ccf_wo_session *s, uint8_t **out,
                           size_t *out_len, char *err, size_t err_size)
{
    static const char *const ids[] = {"workOrderId", "workerId", "workloadId", "requesterId"};
    uint8_t digest[32], *raw = NULL;
    size_t raw_len = 0;
    const json_t *item = json_array_get(json_object_get(result, "outData"), 0);
    ccf_err rc = CCF_ERR_DENIED;

    *out = NULL;
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        if (!json_equal(json_object_get(result, ids[i]), json_object_get(request, ids[i])))
            return ccf_errf(err, err_size, CCF_ERR_DENIED, "the result's %s is not the request's",
                            ids[i]);
    if (!ccf_wo_response_hash(result, digest) ||
        !verify_sig(verification_key, digest,
                    json_string_value(json_object_get(result, "workerSignature")), false))
        return ccf_errf(err, err_size, CCF_ERR_DENIED,
                        "workerSignature: the worker did not sign this result");
    if (!json_is_string(json_object_get(item, "data")) ||
        !ccf_wo_unb64(json_string_value(json_object_get(item, "data")), &raw, &raw_len) ||
        !ccf_wo_open(s->key, s->avalon_mode ? s->iv : NULL, raw, raw_len, out, out_len)) {
        rc = ccf_errf(err, err_size, CCF_ERR_CRYPTO,
                      "outData[0] does not decrypt with the session key");
        goto out;
    }
    (*out)[*out_len] = '\0'; /* ccf_wo_open leaves room for it */
    rc = CCF_OK;
out:
    free(raw);
    return rc;
}
