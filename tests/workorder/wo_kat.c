/* Known-answer checks of the work-order cryptography (issue 19,
 * docs/workorders.md) against vectors made by Debian's python3-pycryptodome and
 * python3-ecdsa (tests/data/workorder/vectors.json, make-vectors.py), in both
 * directions:
 *   wo_kat check VECTORS   their ciphertexts open, their hashes equal ours,
 *                          their signatures verify (and tampered ones do not)
 *   wo_kat rpc CASES.tsv   the JSON-RPC envelope and params checks on the
 *                          requests of rpc-cases.tsv (code, message)
 *   wo_kat emit VECTORS    prints what ccfaas makes with the vectors' keys
 *                          (wrapped keys, sealed data, a signature) as JSON
 *                          for wo_kat_verify.py to check with pycryptodome/ecdsa.
 * Prints one line per failed check and "N passed, N failed"; exit 1 on a failure. */
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "workorder/proto.h"

static int passed, failed;

static void check(bool ok, const char *what)
{
    if (ok) {
        passed++;
    } else {
        failed++;
        printf("FAIL: %s\n", what);
    }
}

static EVP_PKEY *pem_key(const json_t *v, const char *field, bool private_key)
{
    const char *pem = json_string_value(json_object_get(v, field));
    BIO *b = pem ? BIO_new_mem_buf(pem, -1) : NULL;
    EVP_PKEY *k = b == NULL     ? NULL
                  : private_key ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)
                                : PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
    BIO_free(b);
    return k;
}

static bool hex32(const json_t *v, const char *field, uint8_t out[32])
{
    size_t n;
    const char *s = json_string_value(json_object_get(v, field));
    return s != NULL && ccf_wo_unhex(s, out, 32, &n) && n == 32;
}

/* Opens a base64 or hex ciphertext and compares it with want. */
static bool opens_to(const uint8_t key[32], const uint8_t *iv, const uint8_t *ct, size_t len,
                     const void *want, size_t want_len)
{
    uint8_t *plain = NULL;
    size_t plain_len = 0;
    bool ok = ccf_wo_open(key, iv, ct, len, &plain, &plain_len) && plain_len == want_len &&
              memcmp(plain, want, want_len) == 0;
    free(plain);
    return ok;
}

static void check_vectors(const json_t *v)
{
    EVP_PKEY *rsa = pem_key(v, "rsa_private_pem", true), *ec = pem_key(v, "ec_public_pem", false);
    uint8_t key[32], iv[12], got[32], want[32], buf[512];
    size_t n;
    char wid[65];

    check(rsa != NULL && ec != NULL, "the vectors' keys load");
    check(hex32(v, "session_key", key), "session_key");
    check(ccf_wo_unhex(json_string_value(json_object_get(v, "iv")), iv, 12, &n) && n == 12, "iv");
    check(ccf_wo_worker_id("scone-worker-1", wid) &&
              strcmp(wid, json_string_value(json_object_get(v, "worker_id"))) == 0,
          "worker id = SHA-256 of the name");
    check(
        ccf_wo_unwrap_key(rsa, json_string_value(json_object_get(v, "wrapped_sha1")), false, got) &&
            memcmp(got, key, 32) == 0,
        "pycryptodome's PKCS1_OAEP (SHA-1) unwraps");
    check(ccf_wo_unwrap_key(rsa, json_string_value(json_object_get(v, "wrapped_sha256")), true,
                            got) &&
              memcmp(got, key, 32) == 0,
          "pycryptodome's PKCS1_OAEP (SHA-256) unwraps");
    check(!ccf_wo_unwrap_key(rsa, json_string_value(json_object_get(v, "wrapped_sha1")), true, got),
          "a SHA-1 wrap does not unwrap as SHA-256");
    check(!ccf_wo_unwrap_key(rsa, json_string_value(json_object_get(v, "wrapped_sha256")), false,
                             got),
          "a SHA-256 wrap does not unwrap as SHA-1");

    const json_t *reqs = json_object_get(v, "requests"), *r;
    size_t i;
    json_array_foreach(reqs, i, r) {
        json_t *p = json_deep_copy(json_object_get(r, "params"));
        bool fresh = json_is_true(json_object_get(r, "fresh_iv"));
        const uint8_t *use_iv = fresh ? NULL : iv;
        char err[256], what[128];
        snprintf(what, sizeof what, "request %zu (%s)", i, fresh ? "fresh IV" : "Avalon's IV");
        check(ccf_wo_submit_check(p, err, sizeof err) == CCF_OK, what);
        check(hex32(r, "request_hash", want) && ccf_wo_request_hash(p, got) &&
                  memcmp(got, want, 32) == 0,
              "request hash = pycryptodome's");
        check(ccf_wo_unhex(json_string_value(json_object_get(p, "encryptedRequestHash")), buf,
                           sizeof buf, &n) &&
                  opens_to(key, use_iv, buf, n, want, 32),
              "encryptedRequestHash opens to the request hash");
        const json_t *items = json_object_get(p, "inData"), *it;
        size_t k;
        json_array_foreach(items, k, it) {
            uint8_t *ct = NULL;
            size_t ct_len = 0;
            const char *plain = json_string_value(
                json_array_get(json_object_get(r, "in_plain"),
                               (size_t)json_integer_value(json_object_get(it, "index"))));
            check(plain != NULL &&
                      ccf_wo_unb64(json_string_value(json_object_get(it, "data")), &ct, &ct_len) &&
                      opens_to(key, use_iv, ct, ct_len, plain, strlen(plain)),
                  "an in-data item opens to its plaintext");
            if (ct_len > 0) { /* a flipped bit fails the tag */
                ct[ct_len - 1] ^= 1;
                check(!opens_to(key, use_iv, ct, ct_len, plain, strlen(plain)),
                      "a flipped bit is refused");
            }
            free(ct);
        }
        /* every field enters the hash: a changed nonce, id or item changes it */
        json_object_set_new(p, "requesterNonce", json_string("00"));
        check(ccf_wo_request_hash(p, got) && memcmp(got, want, 32) != 0,
              "requesterNonce is hashed");
        json_decref(p);
        p = json_deep_copy(json_object_get(r, "params"));
        json_object_set_new(json_array_get(json_object_get(p, "outData"), 0), "iv",
                            json_string("y"));
        check(ccf_wo_request_hash(p, got) && memcmp(got, want, 32) != 0, "outData is hashed");
        json_decref(p);
    }

    const json_t *resp = json_object_get(v, "response"), *res = json_object_get(resp, "result");
    uint8_t *sig = NULL, *ct = NULL;
    size_t sig_len = 0, ct_len = 0;
    const char *out_plain = json_string_value(json_object_get(resp, "out_plain"));
    check(hex32(resp, "response_hash", want) && ccf_wo_response_hash(res, got) &&
              memcmp(got, want, 32) == 0,
          "response hash = pycryptodome's");
    check(
        ccf_wo_unb64(json_string_value(json_object_get(res, "workerSignature")), &sig, &sig_len) &&
            ccf_wo_verify_digest(ec, want, sig, sig_len),
        "python-ecdsa's signature verifies");
    want[0] ^= 1;
    check(!ccf_wo_verify_digest(ec, want, sig, sig_len),
          "a signature over another hash is refused");
    check(ccf_wo_unb64(json_string_value(json_object_get(
                           json_array_get(json_object_get(res, "outData"), 0), "data")),
                       &ct, &ct_len) &&
              opens_to(key, iv, ct, ct_len, out_plain, strlen(out_plain)),
          "out-data opens to its plaintext");
    free(sig);
    free(ct);
    sig = NULL;
    const char *pub = json_string_value(json_object_get(v, "rsa_public_pem"));
    check(ccf_sha256(pub, strlen(pub), got) &&
              ccf_wo_unhex(json_string_value(json_object_get(v, "encryption_key_signature")), buf,
                           sizeof buf, &sig_len) &&
              ccf_wo_verify_digest(ec, got, buf, sig_len),
          "encryptionKeySignature (python-ecdsa) verifies");
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(ec);
}

static int emit(const json_t *v)
{
    EVP_PKEY *rsa = pem_key(v, "rsa_public_pem", false), *ec = pem_key(v, "ec_private_pem", true);
    uint8_t key[32], iv[12], digest[32], sig[160];
    size_t n, sig_len = sizeof sig;
    const json_t *resp = json_object_get(v, "response");
    const char *plain = json_string_value(json_object_get(resp, "out_plain"));
    if (rsa == NULL || ec == NULL || !hex32(v, "session_key", key) || plain == NULL ||
        !ccf_wo_unhex(json_string_value(json_object_get(v, "iv")), iv, 12, &n) ||
        !ccf_wo_response_hash(json_object_get(resp, "result"), digest) ||
        !ccf_wo_sign_digest(ec, digest, sig, &sig_len))
        return 1;
    char *w1 = ccf_wo_wrap_key(rsa, key, false), *w2 = ccf_wo_wrap_key(rsa, key, true);
    char *s1 = ccf_wo_seal_b64(key, iv, (const uint8_t *)plain, strlen(plain));
    char *s2 = ccf_wo_seal_b64(key, NULL, (const uint8_t *)plain, strlen(plain));
    char *sg = ccf_wo_b64(sig, sig_len), hash[65];
    ccf_hex_encode(digest, 32, hash);
    json_t *o = json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:s}", "wrapped_sha1", w1,
                          "wrapped_sha256", w2, "sealed_fixed_iv", s1, "sealed_fresh_iv", s2,
                          "signature", sg, "response_hash", hash);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    int rc = text && w1 && w2 && s1 && s2 && sg ? 0 : 1;
    if (text != NULL)
        printf("%s\n", text);
    free(text);
    json_decref(o);
    free(w1);
    free(w2);
    free(s1);
    free(s2);
    free(sg);
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(ec);
    return rc;
}

/* rpc-cases.tsv: CODE<TAB>MESSAGE<TAB>REQUEST per line. */
static void check_rpc_cases(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[8192];
    int n = 0;
    check(f != NULL, "rpc-cases.tsv opens");
    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        char *t1, *t2, err[512] = "", what[1400];
        ccf_wo_rpc rpc;
        int code = 99;
        if (line[0] == '#' || line[0] == '\n' || (t1 = strchr(line, '\t')) == NULL ||
            (t2 = strchr(t1 + 1, '\t')) == NULL)
            continue;
        *t1++ = '\0';
        *t2++ = '\0';
        t2[strcspn(t2, "\n")] = '\0';
        n++;
        bool parsed = ccf_wo_rpc_parse(t2, strlen(t2), &rpc, &code, err, sizeof err) == CCF_OK;
        snprintf(what, sizeof what, "rpc case %d: want %.8s \"%.300s\", got %d \"%.300s\"", n, line,
                 t1, code, err);
        check(code == atoi(line) && parsed == (code == 0), what);
        if (parsed && strncmp(t1, "submit:", 7) == 0) {
            err[0] = '\0';
            bool ok = ccf_wo_submit_check(rpc.params, err, sizeof err) == CCF_OK;
            snprintf(what, sizeof what, "rpc case %d: want %.300s, got \"%.300s\"", n, t1,
                     ok ? "ok" : err);
            check(strcmp(t1 + 7, "ok") == 0 ? ok : (!ok && strstr(err, t1 + 7) != NULL), what);
        } else if (!parsed) {
            check(strstr(err, t1) != NULL, what);
        }
        ccf_wo_rpc_clear(&rpc);
    }
    if (f != NULL)
        fclose(f);
    check(n >= 20, "rpc-cases.tsv has its cases");
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "rpc") == 0) {
        check_rpc_cases(argv[2]);
        printf("%d passed, %d failed\n", passed, failed);
        return failed == 0 ? 0 : 1;
    }
    json_error_t je;
    json_t *v = argc == 3 ? json_load_file(argv[2], 0, &je) : NULL;
    int rc;
    if (v == NULL) {
        fprintf(stderr, "usage: wo_kat check|emit VECTORS.json\n");
        return 2;
    }
    if (strcmp(argv[1], "emit") == 0) {
        rc = emit(v);
    } else {
        check_vectors(v);
        printf("%d passed, %d failed\n", passed, failed);
        rc = failed == 0 && passed > 0 ? 0 : 1;
    }
    json_decref(v);
    return rc;
}
