/* Tests for src/oci/ocicrypt (issue 20): a layer encrypted by skopeo (containers/ocicrypt,
 * `--encryption-key jwe:ec.pub`; tests/data/ocicrypt/make-fixture made the fixture with
 * the real tools) opens with its P-256 key to exactly the plain layer; refused: another
 * key, a changed byte of the blob, a changed HMAC, a plain layer that is not the one the
 * key names, and malformed public and private options (unknown members, another cipher,
 * wrong lengths, bad base64). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/file.h"
#include "common/crypto.h"
#include "jose/jose.h"
#include "oci/oci.h"
#include "oci/ocicrypt.h"

struct fixture {
    char *enc, *plain, *desc;
    size_t enc_len, plain_len, desc_len;
    json_t *annotations;
    EVP_PKEY *key;
};

static char *data_file(const char *name, size_t *len)
{
    char path[1024], err[256], *out = NULL;
    const char *dir = getenv("CCF_TEST_DATA");
    snprintf(path, sizeof path, "%s/ocicrypt/%s", dir ? dir : "tests/data", name);
    assert_int_equal(ccf_file_read(path, 1 << 20, &out, len, err, sizeof err), CCF_OK);
    return out;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    size_t kl = 0;
    f->enc = data_file("layer.enc", &f->enc_len);
    f->plain = data_file("plain.tar.gz", &f->plain_len);
    f->desc = data_file("descriptor.json", &f->desc_len);
    char *pem = data_file("ec.key", &kl);
    BIO *b = BIO_new_mem_buf(pem, (int)kl);
    f->key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    BIO_free(b);
    free(pem);
    json_t *d = json_loadb(f->desc, f->desc_len, 0, NULL);
    f->annotations = json_incref(json_object_get(d, "annotations"));
    json_decref(d);
    assert_non_null(f->key);
    assert_non_null(f->annotations);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    free(f->enc);
    free(f->plain);
    free(f->desc);
    json_decref(f->annotations);
    EVP_PKEY_free(f->key);
    free(f);
    return 0;
}

static const char *ann(const struct fixture *f, const char *name)
{
    return json_string_value(json_object_get(f->annotations, name));
}

static bool count_files(const char *path, uint8_t **data, size_t len, void *ctx)
{
    (void)path;
    (void)data;
    (void)len;
    ++*(size_t *)ctx;
    return true;
}

/* A copy of ct opened in place into *plain (NULL when refused). */
static ccf_err open_copy(const uint8_t *ct, size_t len, const ccf_ocicrypt_keys *k,
                         uint8_t **plain, char *err, size_t es)
{
    uint8_t *buf = malloc(len ? len : 1);
    assert_non_null(buf);
    memcpy(buf, ct, len);
    ccf_err rc = ccf_ocicrypt_open_in_place(buf, len, k, err, es);
    if (rc != CCF_OK) {
        free(buf);
        buf = NULL;
    }
    *plain = buf;
    return rc;
}

static ccf_err unwrap(const struct fixture *f, EVP_PKEY *key, ccf_ocicrypt_keys *k, char *err,
                      size_t es)
{
    return ccf_ocicrypt_unwrap(ann(f, CCF_OCICRYPT_ANNOTATION_JWE),
                               ann(f, CCF_OCICRYPT_ANNOTATION_PUBOPTS), key, k, err, es);
}

static void test_opens_skopeo_layer(void **state)
{
    struct fixture *f = *state;
    ccf_ocicrypt_keys k;
    uint8_t *plain = NULL;
    char err[512];
    assert_int_equal(unwrap(f, f->key, &k, err, sizeof err), CCF_OK);
    assert_int_equal(open_copy((const uint8_t *)f->enc, f->enc_len, &k, &plain, err, sizeof err),
                     CCF_OK);
    assert_memory_equal(plain, f->plain, f->plain_len);
    assert_int_equal(f->enc_len, f->plain_len); /* CTR: no padding, no tag inside */
    assert_memory_not_equal(f->enc, f->plain, f->plain_len);
    free(plain);
    ccf_ocicrypt_keys_clear(&k);
}

static void test_refusals(void **state)
{
    struct fixture *f = *state;
    ccf_ocicrypt_keys k, good;
    uint8_t *plain = NULL;
    char err[512];

    /* another P-256 key */
    EVP_PKEY *other = EVP_EC_gen("P-256");
    assert_int_equal(unwrap(f, other, &k, err, sizeof err), CCF_ERR_DENIED);
    assert_non_null(strstr(err, "does not open with this private key"));
    EVP_PKEY_free(other);

    assert_int_equal(unwrap(f, f->key, &good, err, sizeof err), CCF_OK);
    /* a changed byte of the blob: the HMAC, before anything is decrypted */
    f->enc[f->enc_len / 2] ^= 1;
    assert_int_equal(open_copy((const uint8_t *)f->enc, f->enc_len, &good, &plain, err, sizeof err),
                     CCF_ERR_DENIED);
    assert_null(plain);
    assert_non_null(strstr(err, "HMAC"));
    f->enc[f->enc_len / 2] ^= 1;
    /* a changed HMAC */
    k = good;
    k.hmac[0] ^= 1;
    assert_int_equal(open_copy((const uint8_t *)f->enc, f->enc_len, &k, &plain, err, sizeof err),
                     CCF_ERR_DENIED);
    /* a key naming another plain layer */
    k = good;
    k.digest[10] = k.digest[10] == 'a' ? 'b' : 'a';
    assert_int_equal(open_copy((const uint8_t *)f->enc, f->enc_len, &k, &plain, err, sizeof err),
                     CCF_ERR_DENIED);
    assert_non_null(strstr(err, "hashes to"));
    assert_null(plain);
    /* a truncated blob */
    assert_int_equal(open_copy((const uint8_t *)f->enc, f->enc_len - 1, &good, &plain, err, sizeof err),
                     CCF_ERR_DENIED);
    ccf_ocicrypt_keys_clear(&good);
    /* no JWE, or not base64 */
    assert_int_equal(ccf_ocicrypt_unwrap("", ann(f, CCF_OCICRYPT_ANNOTATION_PUBOPTS), f->key, &k,
                                         err, sizeof err),
                     CCF_ERR_INVALID);
    assert_int_equal(ccf_ocicrypt_unwrap("!!!!", ann(f, CCF_OCICRYPT_ANNOTATION_PUBOPTS), f->key,
                                         &k, err, sizeof err),
                     CCF_ERR_DENIED);
    assert_non_null(strstr(err, "not standard base64"));
}

static char *b64(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(4 * ((n + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
    return out;
}

static void test_options(void **state)
{
    (void)state;
    static const struct {
        const char *json;
        ccf_err want;
        const char *says;
    } pub[] = {
        {"{\"cipher\":\"AES_256_CTR_HMAC_SHA256\",\"hmac\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\",\"cipheroptions\":{}}", CCF_OK, NULL},
        {"{\"cipher\":\"AES_128_GCM\",\"hmac\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}", CCF_ERR_INVALID, "not supported"},
        {"{\"cipher\":\"AES_256_CTR_HMAC_SHA256\",\"hmac\":\"AAAA\"}", CCF_ERR_INVALID, "32 bytes"},
        {"{\"cipher\":\"AES_256_CTR_HMAC_SHA256\",\"hmac\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\",\"x\":1}", CCF_ERR_INVALID, "unknown member x"},
        {"{\"cipher\":\"AES_256_CTR_HMAC_SHA256\",\"hmac\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\",\"cipheroptions\":{\"nonce\":\"AA==\"}}", CCF_ERR_INVALID, "private"},
        {"[1]", CCF_ERR_INVALID, "not a JSON object"},
    };
    char err[512];
    ccf_ocicrypt_keys k;
    for (size_t i = 0; i < sizeof pub / sizeof pub[0]; i++) {
        char *b = b64(pub[i].json);
        assert_int_equal(ccf_ocicrypt_pubopts_parse(b, &k, err, sizeof err), pub[i].want);
        if (pub[i].says)
            assert_non_null(strstr(err, pub[i].says));
        free(b);
    }
    assert_int_equal(ccf_ocicrypt_pubopts_parse("e30", &k, err, sizeof err), CCF_ERR_INVALID);
    static const struct {
        const char *json;
        ccf_err want;
        const char *says;
    } priv[] = {
        {"{\"symkey\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\",\"digest\":\"sha256:0000000000000000000000000000000000000000000000000000000000000000\",\"cipheroptions\":{\"nonce\":\"AAAAAAAAAAAAAAAAAAAAAA==\"}}", CCF_OK, NULL},
        {"{\"symkey\":\"AAAA\",\"digest\":\"sha256:0000000000000000000000000000000000000000000000000000000000000000\",\"cipheroptions\":{\"nonce\":\"AAAAAAAAAAAAAAAAAAAAAA==\"}}", CCF_ERR_INVALID, "symkey"},
        {"{\"symkey\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\",\"digest\":\"sha256:0000000000000000000000000000000000000000000000000000000000000000\",\"cipheroptions\":{\"nonce\":\"AAAA\"}}", CCF_ERR_INVALID, "nonce"},
        {"{\"symkey\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\",\"digest\":\"md5:00\",\"cipheroptions\":{\"nonce\":\"AAAAAAAAAAAAAAAAAAAAAA==\"}}", CCF_ERR_INVALID, "digest"},
        {"{\"symkey\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\",\"digest\":\"sha256:0000000000000000000000000000000000000000000000000000000000000000\",\"cipheroptions\":{\"nonce\":\"AAAAAAAAAAAAAAAAAAAAAA==\",\"iv\":\"\"}}", CCF_ERR_INVALID, "unknown member iv"},
    };
    for (size_t i = 0; i < sizeof priv / sizeof priv[0]; i++) {
        assert_int_equal(ccf_ocicrypt_privopts_parse((const uint8_t *)priv[i].json,
                                                     strlen(priv[i].json), &k, err, sizeof err),
                         priv[i].want);
        if (priv[i].says)
            assert_non_null(strstr(err, priv[i].says));
    }
    ccf_ocicrypt_keys_clear(&k);
}

/* The diff_id an image config names: the SHA-256 of the layer's uncompressed tar (e2e.compute
 * checks it against the diff_ids skopeo keeps in real image configs). */
static void test_layer_diff_id(void **state)
{
    struct fixture *f = *state;
    char diff[65], again[65], err[256];
    /* an uncompressed tar (a ustar header of "a", then zero blocks) passes through */
    uint8_t tar[2048] = {0};
    memcpy(tar, "a", 1);
    memcpy(tar + 257, "ustar", 5);
    assert_int_equal(ccf_oci_layer_diff_id(tar, sizeof tar, 1 << 20, diff, err, sizeof err), CCF_OK);
    assert_true(ccf_sha256_hex(tar, sizeof tar, again));
    assert_string_equal(diff, again); /* an uncompressed tar: its own SHA-256 */
    /* gzip: the hash of what it decompresses to (the fixture's tar, 10 KiB of records) */
    assert_int_equal(ccf_oci_layer_diff_id((const uint8_t *)f->plain, f->plain_len, 1 << 20, diff,
                                           err, sizeof err),
                     CCF_OK);
    assert_string_not_equal(diff, again);
    assert_int_equal(strlen(diff), 64);
    /* the bound holds while it decompresses: refused at 4 KiB */
    assert_int_equal(ccf_oci_layer_diff_id((const uint8_t *)f->plain, f->plain_len, 4096, diff, err,
                                           sizeof err),
                     CCF_ERR_TOO_LARGE);
    assert_non_null(strstr(err, "over the 4096 bytes"));
    /* a truncated gzip stream: libarchive's error */
    assert_int_not_equal(ccf_oci_layer_diff_id((const uint8_t *)f->plain, f->plain_len / 2, 1 << 20,
                                               diff, err, sizeof err),
                         CCF_OK);
    assert_non_null(strstr(err, "layer: "));
}

static void test_encrypted_layer_open(void **state)
{
    struct fixture *f = *state;
    char diff[65], other[65], err[512];
    size_t n = 0;
    const char *jwe = ann(f, CCF_OCICRYPT_ANNOTATION_JWE), *pub = ann(f, CCF_OCICRYPT_ANNOTATION_PUBOPTS);
    uint8_t *buf = malloc(f->enc_len);
    assert_non_null(buf);
    assert_int_equal(ccf_oci_layer_diff_id((const uint8_t *)f->plain, f->plain_len, 1 << 20, diff,
                                           err, sizeof err),
                     CCF_OK);
    /* skopeo's layer opens in place to exactly the plain layer its diff_id names */
    memcpy(buf, f->enc, f->enc_len);
    assert_int_equal(ccf_ocicrypt_layer_open(buf, f->enc_len, jwe, pub, f->key, diff, 1 << 20, err,
                                             sizeof err),
                     CCF_OK);
    assert_memory_equal(buf, f->plain, f->plain_len);
    assert_int_equal(ccf_oci_layer_files(buf, f->enc_len, 1 << 20, count_files, &n, err, sizeof err),
                     CCF_OK);
    assert_int_equal(n, 2); /* data/input-0 and README (make-fixture) */
    /* another diff_id (the policy pins another layer): refused, the plaintext wiped */
    memcpy(other, diff, sizeof other);
    other[0] = other[0] == '0' ? '1' : '0';
    memcpy(buf, f->enc, f->enc_len);
    assert_int_equal(ccf_ocicrypt_layer_open(buf, f->enc_len, jwe, pub, f->key, other, 1 << 20, err,
                                             sizeof err),
                     CCF_ERR_DENIED);
    assert_non_null(strstr(err, "not the diff_id"));
    for (size_t i = 0; i < f->enc_len; i++)
        assert_int_equal(buf[i], 0);
    /* its tar over the bound */
    memcpy(buf, f->enc, f->enc_len);
    assert_int_equal(ccf_ocicrypt_layer_open(buf, f->enc_len, jwe, pub, f->key, diff, 4096, err,
                                             sizeof err),
                     CCF_ERR_TOO_LARGE);
    /* another private key */
    EVP_PKEY *wrong = EVP_EC_gen("P-256");
    assert_non_null(wrong);
    memcpy(buf, f->enc, f->enc_len);
    assert_int_equal(ccf_ocicrypt_layer_open(buf, f->enc_len, jwe, pub, wrong, diff, 1 << 20, err,
                                             sizeof err),
                     CCF_ERR_DENIED);
    assert_non_null(strstr(err, "does not open with this private key"));
    EVP_PKEY_free(wrong);
    /* a changed byte of the blob */
    memcpy(buf, f->enc, f->enc_len);
    buf[f->enc_len / 2] ^= 1;
    assert_int_equal(ccf_ocicrypt_layer_open(buf, f->enc_len, jwe, pub, f->key, diff, 1 << 20, err,
                                             sizeof err),
                     CCF_ERR_DENIED);
    assert_non_null(strstr(err, "HMAC"));
    free(buf);
}

/* skopeo wraps the layer key with RSA-OAEP (SHA-1) for an RSA key: opened here (the
 * writer's choice), while the project's own JWE decryption keeps refusing that alg. */
static void test_rsa_oaep_layer(void **state)
{
    struct fixture *f = *state;
    size_t el = 0, dl = 0, kl = 0, jl = 0, pl = 0;
    char *enc = data_file("layer-rsa.enc", &el), *desc = data_file("descriptor-rsa.json", &dl);
    char *pem = data_file("rsa.key", &kl), err[512], diff[65];
    uint8_t *jwe = NULL, *plain = NULL;
    BIO *b = BIO_new_mem_buf(pem, (int)kl);
    EVP_PKEY *rsa = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    json_t *d = json_loadb(desc, dl, 0, NULL);
    const json_t *ann = json_object_get(d, "annotations");
    const char *keys = json_string_value(json_object_get(ann, CCF_OCICRYPT_ANNOTATION_JWE));
    const char *pub = json_string_value(json_object_get(ann, CCF_OCICRYPT_ANNOTATION_PUBOPTS));
    BIO_free(b);
    assert_non_null(rsa);
    assert_non_null(keys);
    /* the JWE says RSA-OAEP: the plain decryption refuses it, the ocicrypt one takes it */
    assert_int_equal(ccf_base64_decode(keys, strcspn(keys, ","), &jwe, &jl, err, sizeof err), CCF_OK);
    assert_non_null(strstr((const char *)jwe, "\"protected\""));
    assert_int_equal(ccf_jwe_decrypt_text((const char *)jwe, jl, rsa, &plain, &pl, err, sizeof err),
                     CCF_ERR_UNSUPPORTED);
    assert_non_null(strstr(err, "alg \"RSA-OAEP\" not supported"));
    assert_int_equal(ccf_jwe_decrypt_text_oaep_sha1((const char *)jwe, jl, rsa, &plain, &pl, err,
                                                    sizeof err),
                     CCF_OK);
    json_t *opts = json_loadb((const char *)plain, pl, 0, NULL); /* the private options */
    assert_non_null(json_object_get(opts, "symkey"));
    json_decref(opts);
    ccf_jose_secret_free(plain, pl);
    /* and the layer opens to the plain layer */
    assert_int_equal(ccf_oci_layer_diff_id((const uint8_t *)f->plain, f->plain_len, 1 << 20, diff,
                                           err, sizeof err),
                     CCF_OK);
    assert_int_equal(ccf_ocicrypt_layer_open((uint8_t *)enc, el, keys, pub, rsa, diff, 1 << 20, err,
                                             sizeof err),
                     CCF_OK);
    assert_memory_equal(enc, f->plain, f->plain_len);
    /* an EC key does not open it, an RSA key does not open the EC layer's */
    free(enc);
    enc = data_file("layer-rsa.enc", &el);
    assert_int_equal(ccf_ocicrypt_layer_open((uint8_t *)enc, el, keys, pub, f->key, diff, 1 << 20,
                                             err, sizeof err),
                     CCF_ERR_DENIED);
    ccf_ocicrypt_keys k;
    assert_int_not_equal(unwrap(f, rsa, &k, err, sizeof err), CCF_OK);
    EVP_PKEY_free(rsa);
    json_decref(d);
    free(jwe);
    free(enc);
    free(desc);
    OPENSSL_cleanse(pem, kl);
    free(pem);
}

static void test_config_diff_ids(void **state)
{
    char ids[3][CCF_OCI_DIGEST_LEN + 1], err[256];
    size_t n = 9;
    const char *good = "{\"architecture\": \"amd64\", \"rootfs\": {\"type\": \"layers\", "
                       "\"diff_ids\": [\"sha256:" "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"]}}";
    (void)state;
    assert_int_equal(ccf_oci_config_diff_ids(good, strlen(good), ids, 3, &n, err, sizeof err), CCF_OK);
    assert_int_equal(n, 1);
    assert_string_equal(ids[0] + 7, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    static const struct {
        const char *json, *says;
    } bad[] = {
        {"{}", "rootfs.diff_ids: expected an array"},
        {"{\"rootfs\": {\"diff_ids\": {}}}", "rootfs.diff_ids: expected an array"},
        {"{\"rootfs\": {\"diff_ids\": [\"sha256:ABC\"]}}", "rootfs.diff_ids[0]: expected sha256:"},
        {"{\"rootfs\": {\"diff_ids\": [1]}}", "rootfs.diff_ids[0]"},
        {"{\"rootfs\": {\"diff_ids\": [\"\", \"\", \"\", \"\"]}}", "more than 3"},
        {"{\"rootfs\": 1, \"rootfs\": 2}", "not JSON"},
        {"[", "not JSON"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        assert_int_equal(ccf_oci_config_diff_ids(bad[i].json, strlen(bad[i].json), ids, 3, &n, err,
                                                 sizeof err),
                         CCF_ERR_INVALID);
        if (strstr(err, bad[i].says) == NULL)
            fail_msg("%s: %s", bad[i].json, err);
        assert_int_equal(n, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_opens_skopeo_layer),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_layer_diff_id),
        cmocka_unit_test(test_encrypted_layer_open),
        cmocka_unit_test(test_rsa_oaep_layer),
        cmocka_unit_test(test_config_diff_ids),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
