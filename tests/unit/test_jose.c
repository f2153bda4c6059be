/* Unit tests for src/jose: base64url, JWK, JWE (RFC 7518 appendix C, round
 * trips, every tampering refused), JWS/JWT (RFC 7515 A.3, RFC 8037 A.4/A.5),
 * JCS (RFC 8785's examples and appendix B numbers). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include "jose/jose.h"

static char err[512];

/* ---- helpers ---- */

static uint8_t *b64d(const char *s, size_t *len)
{
    uint8_t *out = NULL;
    assert_int_equal(ccf_b64url_decode_alloc(s, strlen(s), 1 << 20, &out, len, err, sizeof err),
                     CCF_OK);
    return out;
}

/* A private P-256 key from JWK coordinates and d. */
static EVP_PKEY *p256_private(const char *x, const char *y, const char *d)
{
    size_t xl, yl, dl;
    uint8_t *xb = b64d(x, &xl), *yb = b64d(y, &yl), *db = b64d(d, &dl);
    uint8_t pub[65] = {0x04};
    memcpy(pub + 1, xb, 32);
    memcpy(pub + 33, yb, 32);
    BIGNUM *priv = BN_bin2bn(db, (int)dl, NULL);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub);
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv);
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    EVP_PKEY *key = NULL;
    assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
    assert_int_equal(EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_KEYPAIR, params), 1);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(priv);
    free(xb);
    free(yb);
    free(db);
    return key;
}

static EVP_PKEY *ed25519_private(const char *d)
{
    size_t dl;
    uint8_t *db = b64d(d, &dl);
    EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, db, dl);
    assert_non_null(key);
    free(db);
    return key;
}

static EVP_PKEY *public_of(EVP_PKEY *key)
{
    json_t *jwk = NULL;
    EVP_PKEY *pub = NULL;
    assert_int_equal(ccf_jwk_from_key(key, NULL, &jwk, err, sizeof err), CCF_OK);
    assert_int_equal(ccf_jwk_parse(jwk, &pub, NULL, err, sizeof err), CCF_OK);
    json_decref(jwk);
    return pub;
}

static EVP_PKEY *rsa_key(void)
{
    static EVP_PKEY *cached;
    if (cached == NULL)
        cached = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    assert_non_null(cached);
    EVP_PKEY_up_ref(cached);
    return cached;
}

/* ---- base64url ---- */

static void test_b64url_rfc4648(void **state)
{
    (void)state;
    static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const enc[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
    for (size_t i = 0; i < 7; i++) {
        char *s = ccf_b64url_encode(plain[i], strlen(plain[i]));
        assert_string_equal(s, enc[i]);
        assert_int_equal(ccf_b64url_encoded_len(strlen(plain[i])), strlen(enc[i]));
        free(s);
        size_t n;
        uint8_t *d = b64d(enc[i], &n);
        assert_int_equal(n, strlen(plain[i]));
        assert_memory_equal(d, plain[i], n);
        free(d);
    }
    uint8_t bytes[] = {0xfb, 0xff, 0xfe};
    char *s = ccf_b64url_encode(bytes, 3);
    assert_string_equal(s, "-__-"); /* the URL-safe alphabet */
    free(s);
}

static void test_b64url_strict(void **state)
{
    (void)state;
    static const char *const bad[] = {"Zg==", "Zg=", "Zh", "Z", "Zm9v+A", "Zm9v/A", "Zm 9v",
                                      "Zm9v\n", "Zm9vYmFy=", "Z\x80"};
    uint8_t out[16];
    size_t n;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = 0;
        assert_int_equal(ccf_b64url_decode(bad[i], strlen(bad[i]), out, sizeof out, &n, err,
                                           sizeof err),
                         CCF_ERR_INVALID);
        assert_non_null(strstr(err, "base64url"));
    }
    assert_int_equal(ccf_b64url_decode("Zm9vYmFy", 8, out, 5, &n, err, sizeof err),
                     CCF_ERR_TOO_LARGE);
    assert_int_equal(ccf_b64url_decode("Zm9vYmFy", 8, out, 6, &n, err, sizeof err), CCF_OK);
    assert_int_equal(n, 6);
}

/* ---- JWK ---- */

static const char *const rfc7515_x = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
static const char *const rfc7515_y = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
static const char *const rfc7515_d = "jpsQnnGQmL-YBIffH1136cLSG_Ch2dCn7ATgRgeLZDs";

static void test_jwk_ec_round_trip(void **state)
{
    (void)state;
    json_t *jwk = json_pack("{s:s,s:s,s:s,s:s,s:s}", "kty", "EC", "crv", "P-256", "alg",
                            "ECDH-ES+A256KW", "x", rfc7515_x, "y", rfc7515_y);
    EVP_PKEY *key = NULL;
    const char *alg = NULL;
    assert_int_equal(ccf_jwk_parse(jwk, &key, &alg, err, sizeof err), CCF_OK);
    assert_string_equal(alg, "ECDH-ES+A256KW");
    json_t *back = NULL;
    assert_int_equal(ccf_jwk_from_key(key, "ECDH-ES+A256KW", &back, err, sizeof err), CCF_OK);
    assert_true(json_equal(jwk, back));
    /* Trustee's TeePubKey field order */
    char *s = json_dumps(back, JSON_COMPACT);
    assert_true(strncmp(s, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":\"ECDH-ES+A256KW\",\"x\":", 52) ==
                0);
    free(s);
    json_decref(back);
    json_decref(jwk);
    EVP_PKEY_free(key);
}

static void test_jwk_refusals(void **state)
{
    (void)state;
    struct {
        const char *json;
        ccf_err want;
        const char *says;
    } cases[] = {
        {"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
         "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\",\"d\":\"AA\"}",
         CCF_ERR_INVALID, "private"},
        {"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
         "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a1\"}",
         CCF_ERR_INVALID, "y"}, /* non-canonical last char */
        {"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
         "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5aw\"}",
         CCF_ERR_INVALID, "curve"}, /* point not on the curve */
        {"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvR\","
         "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}",
         CCF_ERR_INVALID, "exactly 32"},
        {"{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"AA\",\"y\":\"AA\"}", CCF_ERR_UNSUPPORTED, "P-384"},
        {"{\"kty\":\"oct\",\"k\":\"AAAA\"}", CCF_ERR_INVALID, "\"k\""},
        {"{\"kty\":\"XYZ\"}", CCF_ERR_UNSUPPORTED, "XYZ"},
        {"{\"crv\":\"P-256\"}", CCF_ERR_INVALID, "kty"},
        {"{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}", CCF_ERR_UNSUPPORTED, "bits"},
        {"{\"kty\":\"RSA\",\"n\":\"AAEC\",\"e\":\"AQAB\"}", CCF_ERR_INVALID, "leading zero"},
        {"{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"AA\"}", CCF_ERR_UNSUPPORTED, "X25519"},
        {"{\"kty\":\"EC\",\"alg\":5}", CCF_ERR_INVALID, "alg"},
        {"[1]", CCF_ERR_INVALID, "object"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *j = json_loads(cases[i].json, 0, NULL);
        assert_non_null(j);
        EVP_PKEY *key = NULL;
        err[0] = 0;
        ccf_err e = ccf_jwk_parse(j, &key, NULL, err, sizeof err);
        if (e != cases[i].want || strstr(err, cases[i].says) == NULL)
            fail_msg("case %zu: got %d \"%s\", want %d containing \"%s\"", i, e, err,
                     cases[i].want, cases[i].says);
        assert_null(key);
        json_decref(j);
    }
}

static void test_jwk_rsa_and_okp(void **state)
{
    (void)state;
    EVP_PKEY *rsa = rsa_key(), *pub = public_of(rsa);
    assert_int_equal(EVP_PKEY_eq(rsa, pub), 1);
    json_t *jwk = NULL;
    assert_int_equal(ccf_jwk_from_key(rsa, "RSA-OAEP-256", &jwk, err, sizeof err), CCF_OK);
    assert_string_equal(json_string_value(json_object_get(jwk, "e")), "AQAB");
    assert_int_equal(strlen(json_string_value(json_object_get(jwk, "n"))), 342); /* 256 bytes */
    json_decref(jwk);
    EVP_PKEY_free(pub);
    EVP_PKEY_free(rsa);

    EVP_PKEY *ed = ed25519_private("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A");
    assert_int_equal(ccf_jwk_from_key(ed, NULL, &jwk, err, sizeof err), CCF_OK);
    /* RFC 8037 A.2: the public key of A.1's private key */
    assert_string_equal(json_string_value(json_object_get(jwk, "x")),
                        "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo");
    json_decref(jwk);
    EVP_PKEY_free(ed);
}

/* ---- ECDH-ES key agreement: RFC 7518 appendix C ---- */

static void test_rfc7518_appendix_c(void **state)
{
    (void)state;
    /* Z from the appendix, through the Concat KDF alone */
    static const uint8_t z[32] = {158, 86,  217, 29,  129, 113, 53,  211, 114, 131, 66,
                                  131, 191, 132, 38,  156, 251, 49,  110, 163, 218, 128,
                                  106, 72,  246, 218, 167, 121, 140, 254, 144, 196};
    uint8_t k[16];
    assert_int_equal(ccf_jose_concat_kdf(z, 32, "A128GCM", (const uint8_t *)"Alice", 5,
                                         (const uint8_t *)"Bob", 3, k, sizeof k, err, sizeof err),
                     CCF_OK);
    char *s = ccf_b64url_encode(k, sizeof k);
    assert_string_equal(s, "VqqN6vgjbSBcIijNcacQGg");
    free(s);
    /* the whole agreement both ways: Alice's ephemeral key with Bob's, and back */
    EVP_PKEY *alice = p256_private("gI0GAILBdu7T53akrFmMyGcsF3n5dO7MmwNBHKW5SV0",
                                   "SLW_xSffzlPWrHEVI30DHM_4egVwt3NQqeUD7nMFpps",
                                   "0_NxaRPUMQoAJt50Gz8YiTr8gRTwyEaCumd-MToTmIo");
    EVP_PKEY *bob = p256_private("weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_PxMQ",
                                 "e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOyck",
                                 "VEmDZpDXXK8p8N0Cndsxs924q6nS1RXFASRl6BfUqdw");
    EVP_PKEY *alice_pub = public_of(alice), *bob_pub = public_of(bob);
    uint8_t k1[16], k2[16];
    assert_int_equal(ccf_jose_ecdh_es_derive(alice, bob_pub, "A128GCM", (const uint8_t *)"Alice",
                                             5, (const uint8_t *)"Bob", 3, k1, 16, err,
                                             sizeof err),
                     CCF_OK);
    assert_int_equal(ccf_jose_ecdh_es_derive(bob, alice_pub, "A128GCM", (const uint8_t *)"Alice",
                                             5, (const uint8_t *)"Bob", 3, k2, 16, err,
                                             sizeof err),
                     CCF_OK);
    assert_memory_equal(k1, k, 16);
    assert_memory_equal(k2, k, 16);
    /* 32 bytes = two... one SHA-256 round; 48 bytes needs a second round */
    uint8_t k48[48], k32[32];
    assert_int_equal(ccf_jose_concat_kdf(z, 32, "X", NULL, 0, NULL, 0, k48, 48, err, sizeof err),
                     CCF_OK);
    assert_int_equal(ccf_jose_concat_kdf(z, 32, "X", NULL, 0, NULL, 0, k32, 32, err, sizeof err),
                     CCF_OK);
    assert_memory_not_equal(k48, k32, 32); /* keydatalen is an input */
    EVP_PKEY_free(alice);
    EVP_PKEY_free(bob);
    EVP_PKEY_free(alice_pub);
    EVP_PKEY_free(bob_pub);
}

/* ---- JWE ---- */

static json_t *decode_header(const json_t *jwe)
{
    size_t n;
    uint8_t *raw = b64d(json_string_value(json_object_get(jwe, "protected")), &n);
    json_t *h = json_loadb((const char *)raw, n, 0, NULL);
    free(raw);
    assert_non_null(h);
    return h;
}

static void round_trip(EVP_PKEY *priv, ccf_jwe_alg alg, size_t len)
{
    uint8_t *msg = malloc(len + 1);
    for (size_t i = 0; i < len; i++)
        msg[i] = (uint8_t)(i * 7 + 1);
    EVP_PKEY *pub = public_of(priv);
    json_t *jwe = NULL;
    assert_int_equal(ccf_jwe_encrypt(pub, alg, msg, len, &jwe, err, sizeof err), CCF_OK);
    uint8_t *pt = NULL;
    size_t ptlen = 0;
    char *text = json_dumps(jwe, JSON_COMPACT);
    assert_int_equal(ccf_jwe_decrypt_text(text, strlen(text), priv, &pt, &ptlen, err, sizeof err),
                     CCF_OK);
    assert_int_equal(ptlen, len);
    if (len > 0)
        assert_memory_equal(pt, msg, len);
    ccf_jose_secret_free(pt, ptlen);
    free(text);
    json_decref(jwe);
    EVP_PKEY_free(pub);
    free(msg);
}

static void test_jwe_round_trips(void **state)
{
    (void)state;
    EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"), *rsa = rsa_key();
    static const size_t lens[] = {0, 1, 15, 16, 17, 32, 1000, 70000};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        round_trip(ec, CCF_JWE_ECDH_ES_A256KW, lens[i]);
        round_trip(rsa, CCF_JWE_RSA_OAEP_256, lens[i]);
    }
    EVP_PKEY_free(ec);
    EVP_PKEY_free(rsa);
}

static void test_jwe_trustee_shape(void **state)
{
    (void)state;
    EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"), *rsa = rsa_key();
    json_t *tee = NULL, *jwe = NULL;
    /* the tee-pubkey as a Trustee client sends it, alg chosen by the JWK */
    assert_int_equal(ccf_jwk_from_key(ec, "ECDH-ES+A256KW", &tee, err, sizeof err), CCF_OK);
    assert_int_equal(ccf_jwe_encrypt_to_jwk(tee, "secret", 6, &jwe, err, sizeof err), CCF_OK);
    assert_int_equal(json_object_size(jwe), 5);
    size_t n;
    uint8_t *raw = b64d(json_string_value(json_object_get(jwe, "protected")), &n);
    /* serde_json of kbs_types::ProtectedHeader: alg, enc, then epk with sorted keys */
    const char *want = "{\"alg\":\"ECDH-ES+A256KW\",\"enc\":\"A256GCM\",\"epk\":{\"crv\":\"P-256\","
                       "\"kty\":\"EC\",\"x\":\"";
    assert_true(n > strlen(want) && memcmp(raw, want, strlen(want)) == 0);
    free(raw);
    json_t *h = decode_header(jwe);
    assert_int_equal(json_object_size(json_object_get(h, "epk")), 4);
    json_decref(h);
    raw = b64d(json_string_value(json_object_get(jwe, "encrypted_key")), &n);
    assert_int_equal(n, 40);
    free(raw);
    raw = b64d(json_string_value(json_object_get(jwe, "iv")), &n);
    assert_int_equal(n, 12);
    free(raw);
    json_decref(jwe);
    json_decref(tee);

    assert_int_equal(ccf_jwk_from_key(rsa, "RSA-OAEP-256", &tee, err, sizeof err), CCF_OK);
    assert_int_equal(ccf_jwe_encrypt_to_jwk(tee, "secret", 6, &jwe, err, sizeof err), CCF_OK);
    raw = b64d(json_string_value(json_object_get(jwe, "protected")), &n);
    assert_int_equal(n, strlen("{\"alg\":\"RSA-OAEP-256\",\"enc\":\"A256GCM\"}"));
    assert_memory_equal(raw, "{\"alg\":\"RSA-OAEP-256\",\"enc\":\"A256GCM\"}", n);
    free(raw);
    uint8_t *pt = NULL;
    assert_int_equal(ccf_jwe_decrypt(jwe, rsa, &pt, &n, err, sizeof err), CCF_OK);
    assert_int_equal(n, 6);
    assert_memory_equal(pt, "secret", 6);
    ccf_jose_secret_free(pt, n);
    json_decref(jwe);
    /* RSA1_5, which Trustee still accepts, is refused */
    json_object_set_new(tee, "alg", json_string("RSA1_5"));
    assert_int_equal(ccf_jwe_encrypt_to_jwk(tee, "x", 1, &jwe, err, sizeof err),
                     CCF_ERR_UNSUPPORTED);
    assert_null(jwe);
    assert_non_null(strstr(err, "RSA1_5"));
    json_decref(tee);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(rsa);
}

/* Flips one bit of the decoded base64url member name. */
static void flip_member(json_t *jwe, const char *name, size_t byte)
{
    size_t n;
    uint8_t *raw = b64d(json_string_value(json_object_get(jwe, name)), &n);
    assert_true(byte < n);
    raw[byte] ^= 0x01;
    char *s = ccf_b64url_encode(raw, n);
    json_object_set_new(jwe, name, json_string(s));
    free(s);
    free(raw);
}

static void expect_refused(const json_t *jwe, EVP_PKEY *priv, ccf_err want, const char *says)
{
    uint8_t *pt = (uint8_t *)"not null";
    size_t n = 99;
    err[0] = 0;
    ccf_err e = ccf_jwe_decrypt(jwe, priv, &pt, &n, err, sizeof err);
    if (e != want || strstr(err, says) == NULL)
        fail_msg("got %d \"%s\", want %d containing \"%s\"", e, err, want, says);
    assert_null(pt);
    assert_int_equal(n, 0);
}

/* A JWE whose protected header is replaced by hdr (re-encoded). */
static json_t *with_header(const json_t *jwe, json_t *hdr)
{
    json_t *t = json_deep_copy(jwe);
    char *s = json_dumps(hdr, JSON_COMPACT);
    char *b = ccf_b64url_encode(s, strlen(s));
    json_object_set_new(t, "protected", json_string(b));
    free(s);
    free(b);
    return t;
}

static void tamper_all(EVP_PKEY *priv, ccf_jwe_alg alg)
{
    EVP_PKEY *pub = public_of(priv);
    json_t *jwe = NULL;
    assert_int_equal(ccf_jwe_encrypt(pub, alg, "attack at dawn", 14, &jwe, err, sizeof err),
                     CCF_OK);
    static const char *const members[] = {"encrypted_key", "iv", "ciphertext", "tag"};
    for (size_t m = 0; m < 4; m++) {
        for (size_t byte = 0; byte < 12; byte += 5) {
            json_t *t = json_deep_copy(jwe);
            flip_member(t, members[m], byte);
            expect_refused(t, priv, CCF_ERR_DENIED, "JWE: ");
            json_decref(t);
        }
    }
    /* header: an added member, a changed one, the same JSON re-spaced: all change the AAD */
    json_t *h = decode_header(jwe);
    json_object_set_new(h, "kid", json_string("x"));
    json_t *t = with_header(jwe, h);
    expect_refused(t, priv, CCF_ERR_DENIED, "tag mismatch");
    json_decref(t);
    json_object_del(h, "kid");
    t = json_deep_copy(jwe);
    {
        char *s = json_dumps(h, JSON_INDENT(1));
        char *b = ccf_b64url_encode(s, strlen(s));
        json_object_set_new(t, "protected", json_string(b));
        free(s);
        free(b);
    }
    expect_refused(t, priv, CCF_ERR_DENIED, "tag mismatch");
    json_decref(t);
    if (alg == CCF_JWE_ECDH_ES_A256KW) {
        /* another valid epk: the KEK changes, unwrap fails */
        EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        json_t *epk = NULL;
        assert_int_equal(ccf_jwk_from_key(other, NULL, &epk, err, sizeof err), CCF_OK);
        json_t *h2 = json_deep_copy(h);
        json_object_set_new(h2, "epk", epk);
        t = with_header(jwe, h2);
        expect_refused(t, priv, CCF_ERR_DENIED, "unwrap");
        json_decref(t);
        /* apu added: the KDF input changes */
        json_decref(h2);
        h2 = json_deep_copy(h);
        json_object_set_new(h2, "apu", json_string("QWxpY2U"));
        t = with_header(jwe, h2);
        expect_refused(t, priv, CCF_ERR_DENIED, "unwrap");
        json_decref(t);
        json_object_del(h2, "apu");
        json_object_del(h2, "epk");
        t = with_header(jwe, h2);
        expect_refused(t, priv, CCF_ERR_INVALID, "epk");
        json_decref(t);
        json_decref(h2);
        EVP_PKEY_free(other);
    }
    /* header rules */
    struct {
        const char *member;
        json_t *value;
        ccf_err want;
        const char *says;
    } rules[] = {
        {"crit", json_pack("[s]", "exp"), CCF_ERR_UNSUPPORTED, "crit"},
        {"zip", json_string("DEF"), CCF_ERR_UNSUPPORTED, "zip"},
        {"enc", json_string("A128GCM"), CCF_ERR_UNSUPPORTED, "A128GCM"},
        {"alg", json_string("RSA1_5"), CCF_ERR_UNSUPPORTED, "RSA1_5"},
        {"alg", json_string("dir"), CCF_ERR_UNSUPPORTED, "dir"},
        {"alg", json_integer(1), CCF_ERR_INVALID, "alg"},
        {"alg", json_string(alg == CCF_JWE_RSA_OAEP_256 ? "ECDH-ES+A256KW" : "RSA-OAEP-256"),
         CCF_ERR_DENIED, "private key"},
    };
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        json_t *h2 = json_deep_copy(h);
        json_object_set_new(h2, rules[i].member, rules[i].value);
        t = with_header(jwe, h2);
        expect_refused(t, priv, rules[i].want, rules[i].says);
        json_decref(t);
        json_decref(h2);
    }
    /* members and lengths */
    t = json_deep_copy(jwe);
    json_object_set_new(t, "aad", json_string("eA"));
    expect_refused(t, priv, CCF_ERR_UNSUPPORTED, "aad");
    json_object_del(t, "aad");
    json_object_set_new(t, "header", json_pack("{s:s}", "alg", "dir"));
    expect_refused(t, priv, CCF_ERR_UNSUPPORTED, "unprotected");
    json_object_set_new(t, "header", json_pack("{s:s}", "enc", "A256GCM"));
    expect_refused(t, priv, CCF_ERR_UNSUPPORTED, "unprotected");
    if (alg == CCF_JWE_ECDH_ES_A256KW) {
        json_object_set_new(t, "header", json_pack("{s:s}", "apu", "QWxpY2U"));
        expect_refused(t, priv, CCF_ERR_DENIED, "unwrap"); /* KDF input changed */
        json_t *h3 = decode_header(jwe);
        json_object_set_new(t, "header", json_pack("{s:O}", "epk", json_object_get(h3, "epk")));
        expect_refused(t, priv, CCF_ERR_INVALID, "both");
        json_decref(h3);
    }
    json_object_set_new(t, "header", json_string("x"));
    expect_refused(t, priv, CCF_ERR_INVALID, "not an object");
    json_object_del(t, "header");
    json_object_set_new(t, "extra", json_true());
    expect_refused(t, priv, CCF_ERR_INVALID, "unknown member");
    json_object_del(t, "extra");
    json_object_del(t, "tag");
    expect_refused(t, priv, CCF_ERR_INVALID, "tag");
    json_object_set_new(t, "tag", json_string("AAAAAAAAAAAAAAAAAAAA")); /* 15 bytes */
    expect_refused(t, priv, CCF_ERR_INVALID, "tag");
    json_object_set(t, "tag", json_object_get(jwe, "tag"));
    json_object_set_new(t, "iv", json_string("AAAAAAAAAAAAAAA")); /* 11 bytes */
    expect_refused(t, priv, CCF_ERR_INVALID, "iv");
    json_object_set(t, "iv", json_object_get(jwe, "iv"));
    json_object_set_new(t, "encrypted_key", json_string("AAAA"));
    expect_refused(t, priv, CCF_ERR_INVALID, "encrypted_key");
    json_object_set_new(t, "encrypted_key", json_string("AA=="));
    expect_refused(t, priv, CCF_ERR_INVALID, "padding");
    json_decref(t);
    /* the wrong private key of the right type */
    EVP_PKEY *wrong = alg == CCF_JWE_ECDH_ES_A256KW ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")
                                                    : EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
                                                                        (size_t)2048);
    expect_refused(jwe, wrong, CCF_ERR_DENIED, "JWE: ");
    EVP_PKEY_free(wrong);
    /* and the untouched one still decrypts */
    uint8_t *pt = NULL;
    size_t n = 0;
    assert_int_equal(ccf_jwe_decrypt(jwe, priv, &pt, &n, err, sizeof err), CCF_OK);
    ccf_jose_secret_free(pt, n);
    json_decref(h);
    json_decref(jwe);
    EVP_PKEY_free(pub);
}

static void test_jwe_tampering_refused(void **state)
{
    (void)state;
    EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"), *rsa = rsa_key();
    tamper_all(ec, CCF_JWE_ECDH_ES_A256KW);
    tamper_all(rsa, CCF_JWE_RSA_OAEP_256);
    /* not JSON, not an object, duplicate members */
    uint8_t *pt = NULL;
    size_t n = 0;
    assert_int_equal(ccf_jwe_decrypt_text("{", 1, ec, &pt, &n, err, sizeof err), CCF_ERR_INVALID);
    assert_int_equal(ccf_jwe_decrypt_text("[]", 2, ec, &pt, &n, err, sizeof err),
                     CCF_ERR_INVALID);
    const char *dup = "{\"iv\":\"AA\",\"iv\":\"AA\"}";
    assert_int_equal(ccf_jwe_decrypt_text(dup, strlen(dup), ec, &pt, &n, err, sizeof err),
                     CCF_ERR_INVALID);
    /* an encryption to a key that does not fit the alg */
    json_t *jwe = NULL;
    assert_int_equal(ccf_jwe_encrypt(rsa, CCF_JWE_ECDH_ES_A256KW, "x", 1, &jwe, err, sizeof err),
                     CCF_ERR_UNSUPPORTED);
    assert_int_equal(ccf_jwe_encrypt(ec, CCF_JWE_RSA_OAEP_256, "x", 1, &jwe, err, sizeof err),
                     CCF_ERR_UNSUPPORTED);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(rsa);
}

/* ---- JWS / JWT ---- */

static const char *const rfc7515_a3 =
    "eyJhbGciOiJFUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ."
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
static const char *const rfc8037_a4 =
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

static void test_jws_rfc_vectors(void **state)
{
    (void)state;
    EVP_PKEY *ec = p256_private(rfc7515_x, rfc7515_y, rfc7515_d), *ec_pub = public_of(ec);
    json_t *hdr = NULL;
    uint8_t *pl = NULL;
    size_t n = 0;
    /* RFC 7515 A.3: ES256 */
    assert_int_equal(ccf_jws_verify(rfc7515_a3, strlen(rfc7515_a3), ec_pub, &hdr, &pl, &n, err,
                                    sizeof err),
                     CCF_OK);
    assert_string_equal(json_string_value(json_object_get(hdr, "alg")), "ES256");
    assert_string_equal((char *)pl,
                        "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}");
    json_decref(hdr);
    free(pl);
    /* A.3's claims expired in 2011; as a JWT at its own time it verifies */
    assert_int_equal(ccf_jwt_verify(rfc7515_a3, strlen(rfc7515_a3), ec_pub, 1300819379, 0, 0,
                                    NULL, err, sizeof err),
                     CCF_OK);
    assert_int_equal(ccf_jwt_verify(rfc7515_a3, strlen(rfc7515_a3), ec_pub, 1700000000, 0, 0,
                                    NULL, err, sizeof err),
                     CCF_ERR_DENIED);
    assert_non_null(strstr(err, "expired"));

    /* RFC 8037 A.4/A.5: Ed25519 is deterministic, so signing reproduces it */
    EVP_PKEY *ed = ed25519_private("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A");
    EVP_PKEY *ed_pub = public_of(ed);
    char *tok = NULL;
    assert_int_equal(ccf_jws_sign(ed, NULL, "Example of Ed25519 signing", 26, &tok, err,
                                  sizeof err),
                     CCF_OK);
    assert_string_equal(tok, rfc8037_a4);
    free(tok);
    assert_int_equal(ccf_jws_verify(rfc8037_a4, strlen(rfc8037_a4), ed_pub, NULL, &pl, &n, err,
                                    sizeof err),
                     CCF_OK);
    assert_int_equal(n, 26);
    free(pl);
    /* alg confusion: an ES256 token with the Ed25519 key and the reverse */
    assert_int_equal(ccf_jws_verify(rfc7515_a3, strlen(rfc7515_a3), ed_pub, NULL, NULL, NULL, err,
                                    sizeof err),
                     CCF_ERR_DENIED);
    assert_int_equal(ccf_jws_verify(rfc8037_a4, strlen(rfc8037_a4), ec_pub, NULL, NULL, NULL, err,
                                    sizeof err),
                     CCF_ERR_DENIED);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(ec_pub);
    EVP_PKEY_free(ed);
    EVP_PKEY_free(ed_pub);
}

static void expect_jws_refused(const char *tok, EVP_PKEY *pub, ccf_err want, const char *says)
{
    err[0] = 0;
    ccf_err e = ccf_jws_verify(tok, strlen(tok), pub, NULL, NULL, NULL, err, sizeof err);
    if (e != want || strstr(err, says) == NULL)
        fail_msg("\"%s\": got %d \"%s\", want %d containing \"%s\"", tok, e, err, want, says);
}

static void test_jws_refusals(void **state)
{
    (void)state;
    EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"), *pub = public_of(ec);
    char *tok = NULL;
    assert_int_equal(ccf_jws_sign(ec, NULL, "hello", 5, &tok, err, sizeof err), CCF_OK);
    assert_int_equal(ccf_jws_verify(tok, strlen(tok), pub, NULL, NULL, NULL, err, sizeof err),
                     CCF_OK);
    char *t = strdup(tok);
    char *dot1 = strchr(t, '.'), *dot2 = strchr(dot1 + 1, '.');
    /* every character of header, payload and signature: tampering refused */
    for (char *p = t; *p; p++) {
        if (*p == '.')
            continue;
        char was = *p;
        *p = *p == 'A' ? 'B' : 'A';
        ccf_err e = ccf_jws_verify(t, strlen(t), pub, NULL, NULL, NULL, err, sizeof err);
        assert_int_not_equal(e, CCF_OK);
        *p = was;
    }
    (void)dot2;
    char buf[1024];
    /* alg none, with and without a signature */
    snprintf(buf, sizeof buf, "eyJhbGciOiJub25lIn0%s", dot1); /* {"alg":"none"} */
    expect_jws_refused(buf, pub, CCF_ERR_DENIED, "none");
    snprintf(buf, sizeof buf, "eyJhbGciOiJub25lIn0.aGVsbG8.");
    expect_jws_refused(buf, pub, CCF_ERR_DENIED, "none");
    /* crit, b64 */
    snprintf(buf, sizeof buf, "eyJhbGciOiJFUzI1NiIsImNyaXQiOlsieCJdLCJ4IjoxfQ%s", dot1);
    expect_jws_refused(buf, pub, CCF_ERR_UNSUPPORTED, "crit");
    /* HS256 (key confusion with a public key as HMAC secret) */
    snprintf(buf, sizeof buf, "eyJhbGciOiJIUzI1NiJ9%s", dot1);
    expect_jws_refused(buf, pub, CCF_ERR_DENIED, "HS256");
    /* parts */
    expect_jws_refused("a.b", pub, CCF_ERR_INVALID, "three");
    expect_jws_refused("a.b.c.d", pub, CCF_ERR_INVALID, "three");
    snprintf(buf, sizeof buf, "%s.", tok);
    expect_jws_refused(buf, pub, CCF_ERR_INVALID, "three");
    /* signature one byte short, DER instead of raw */
    snprintf(buf, sizeof buf, "%.*s.%s", (int)(dot2 - t), t,
             "MEUCIQDtESFTeWxsSDwvfxVYB9QCo7IoAzr5fH4XgZrDFp6mZQIgxQoH04w8cOXY8S2vCEpUgKZlkMXyk1Ca");
    expect_jws_refused(buf, pub, CCF_ERR_INVALID, "64 bytes");
    snprintf(buf, sizeof buf, "%.*sAA", (int)strlen(t) - 4, t);
    expect_jws_refused(buf, pub, CCF_ERR_INVALID, "64 bytes");
    /* header not JSON / not an object / no alg */
    snprintf(buf, sizeof buf, "bm90IGpzb24%s", dot1);
    expect_jws_refused(buf, pub, CCF_ERR_INVALID, "not JSON");
    snprintf(buf, sizeof buf, "WzFd%s", dot1);
    expect_jws_refused(buf, pub, CCF_ERR_INVALID, "object");
    snprintf(buf, sizeof buf, "e30%s", dot1);
    expect_jws_refused(buf, pub, CCF_ERR_INVALID, "alg");
    /* another key */
    EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    expect_jws_refused(tok, other, CCF_ERR_DENIED, "does not verify");
    EVP_PKEY_free(other);
    free(t);
    free(tok);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(pub);
}

static void test_jwt_claims(void **state)
{
    (void)state;
    EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"), *pub = public_of(ed);
    json_t *claims = json_pack("{s:s,s:I,s:I,s:I}", "sub", "admin", "iat", (json_int_t)1000,
                               "nbf", (json_int_t)1000, "exp", (json_int_t)2000);
    char *tok = NULL;
    assert_int_equal(ccf_jwt_sign(ed, claims, &tok, err, sizeof err), CCF_OK);
    json_t *got = NULL;
    assert_int_equal(ccf_jwt_verify(tok, strlen(tok), pub, 1500, 0, CCF_JWT_REQUIRE_EXP, &got, err,
                                    sizeof err),
                     CCF_OK);
    assert_true(json_equal(got, claims));
    json_decref(got);
    struct {
        int64_t now, leeway;
        ccf_err want;
        const char *says;
    } cases[] = {
        {1999, 0, CCF_OK, ""},          {2000, 0, CCF_ERR_DENIED, "expired"},
        {2005, 10, CCF_OK, ""},         {999, 0, CCF_ERR_DENIED, "not yet valid"},
        {995, 10, CCF_OK, ""},          {1000, 0, CCF_OK, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        err[0] = 0;
        ccf_err e = ccf_jwt_verify(tok, strlen(tok), pub, cases[i].now, cases[i].leeway, 0, NULL,
                                   err, sizeof err);
        if (e != cases[i].want || strstr(err, cases[i].says) == NULL)
            fail_msg("case %zu: got %d \"%s\"", i, e, err);
    }
    free(tok);
    /* iat in the future; required claims; claims not numbers */
    json_t *c = json_pack("{s:I}", "iat", (json_int_t)5000);
    assert_int_equal(ccf_jwt_check_time(c, 4000, 60, 0, err, sizeof err), CCF_ERR_DENIED);
    assert_non_null(strstr(err, "future"));
    assert_int_equal(ccf_jwt_check_time(c, 4000, 0, CCF_JWT_REQUIRE_EXP, err, sizeof err),
                     CCF_ERR_DENIED);
    assert_non_null(strstr(err, "exp"));
    json_decref(c);
    c = json_pack("{s:s}", "exp", "tomorrow");
    assert_int_equal(ccf_jwt_check_time(c, 0, 0, 0, err, sizeof err), CCF_ERR_INVALID);
    json_decref(c);
    c = json_pack("{s:f}", "exp", 100.5);
    assert_int_equal(ccf_jwt_check_time(c, 100, 0, 0, err, sizeof err), CCF_OK);
    assert_int_equal(ccf_jwt_check_time(c, 101, 0, CCF_JWT_REQUIRE_IAT, err, sizeof err),
                     CCF_ERR_DENIED);
    json_decref(c);
    /* a JWS whose payload is not an object is no JWT; typ must be JWT */
    assert_int_equal(ccf_jws_sign(ed, NULL, "[1]", 3, &tok, err, sizeof err), CCF_OK);
    assert_int_equal(ccf_jwt_verify(tok, strlen(tok), pub, 0, 0, 0, NULL, err, sizeof err),
                     CCF_ERR_INVALID);
    free(tok);
    json_t *extra = json_pack("{s:s}", "typ", "at+jwt");
    assert_int_equal(ccf_jws_sign(ed, extra, "{}", 2, &tok, err, sizeof err), CCF_OK);
    assert_int_equal(ccf_jwt_verify(tok, strlen(tok), pub, 0, 0, 0, NULL, err, sizeof err),
                     CCF_ERR_INVALID);
    assert_non_null(strstr(err, "typ"));
    free(tok);
    json_decref(extra);
    extra = json_pack("{s:s}", "alg", "none");
    assert_int_equal(ccf_jws_sign(ed, extra, "{}", 2, &tok, err, sizeof err), CCF_ERR_INVALID);
    json_decref(extra);
    json_decref(claims);
    EVP_PKEY_free(ed);
    EVP_PKEY_free(pub);
}

/* ---- JCS (RFC 8785) ---- */

static void expect_jcs(const char *input, const char *want)
{
    json_error_t jerr;
    json_t *v = json_loads(input, JSON_DECODE_ANY, &jerr);
    if (v == NULL)
        fail_msg("bad test input %s: %s", input, jerr.text);
    ccf_dynbuf b;
    ccf_dynbuf_init(&b, 1 << 16);
    assert_int_equal(ccf_jcs_serialize(v, &b, err, sizeof err), CCF_OK);
    if (b.len != strlen(want) || memcmp(b.p, want, b.len) != 0)
        fail_msg("JCS of %s:\n got %s\nwant %s", input, b.p, want);
    ccf_dynbuf_free(&b);
    json_decref(v);
}

static void test_jcs_rfc8785_examples(void **state)
{
    (void)state;
    /* §3.2.2 */
    expect_jcs("{\n  \"numbers\": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],\n"
               "  \"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\",\n"
               "  \"literals\": [null, true, false]\n}",
               "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
               "\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
    /* §3.2.3: sorting by UTF-16 code units (the emoji's surrogates sort before U+FB33) */
    expect_jcs("{\"\\u20ac\": \"Euro Sign\", \"\\r\": \"Carriage Return\", "
               "\"\\ufb33\": \"Hebrew Letter Dalet With Dagesh\", \"1\": \"One\", "
               "\"\\ud83d\\ude00\": \"Emoji: Grinning Face\", \"\\u0080\": \"Control\", "
               "\"\\u00f6\": \"Latin Small Letter O With Diaeresis\"}",
               "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xc2\x80\":\"Control\","
               "\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\",\"\xe2\x82\xac\":\"Euro Sign\","
               "\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\","
               "\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}");
    /* nesting, empty containers, controls, literal U+007F and U+2028 */
    expect_jcs("{\"b\":[{},[],{\"z\":1,\"a\":[2,{\"y\":null,\"x\":\"\\u0001\\u001f\\b\\t\\f\\u007f\\u2028\"}]}],\"a\":-0.0}",
               "{\"a\":0,\"b\":[{},[],{\"a\":[2,{\"x\":\"\\u0001\\u001f\\b\\t\\f\x7f\xe2\x80\xa8\","
               "\"y\":null}],\"z\":1}]}");
    expect_jcs("\"\"", "\"\"");
    expect_jcs("123456789012", "123456789012");
    expect_jcs("9007199254740993", "9007199254740992"); /* I-JSON: as a double */
    expect_jcs("-1", "-1");
}

static void test_jcs_numbers_appendix_b(void **state)
{
    (void)state;
    static const struct {
        uint64_t bits;
        const char *want;
    } v[] = {
        {0x0000000000000000ull, "0"},
        {0x8000000000000000ull, "0"},
        {0x0000000000000001ull, "5e-324"},
        {0x8000000000000001ull, "-5e-324"},
        {0x7fefffffffffffffull, "1.7976931348623157e+308"},
        {0xffefffffffffffffull, "-1.7976931348623157e+308"},
        {0x4340000000000000ull, "9007199254740992"},
        {0xc340000000000000ull, "-9007199254740992"},
        {0x4430000000000000ull, "295147905179352830000"},
        {0x44b52d02c7e14af5ull, "9.999999999999997e+22"},
        {0x44b52d02c7e14af6ull, "1e+23"},
        {0x44b52d02c7e14af7ull, "1.0000000000000001e+23"},
        {0x444b1ae4d6e2ef4eull, "999999999999999700000"},
        {0x444b1ae4d6e2ef4full, "999999999999999900000"},
        {0x444b1ae4d6e2ef50ull, "1e+21"},
        {0x3eb0c6f7a0b5ed8cull, "9.999999999999997e-7"},
        {0x3eb0c6f7a0b5ed8dull, "0.000001"},
        {0x41b3de4355555553ull, "333333333.3333332"},
        {0x41b3de4355555554ull, "333333333.33333325"},
        {0x41b3de4355555555ull, "333333333.3333333"},
        {0x41b3de4355555556ull, "333333333.3333334"},
        {0x41b3de4355555557ull, "333333333.33333343"},
        {0xbecbf647612f3696ull, "-0.0000033333333333333333"},
        {0x43143ff3c1cb0959ull, "1424953923781206.2"},
    };
    char buf[40];
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        double d;
        memcpy(&d, &v[i].bits, sizeof d);
        assert_int_equal(ccf_jcs_number(d, buf, sizeof buf), CCF_OK);
        if (strcmp(buf, v[i].want) != 0)
            fail_msg("0x%016llx: got %s, want %s", (unsigned long long)v[i].bits, buf, v[i].want);
    }
    uint64_t nan_bits = 0x7fffffffffffffffull, inf_bits = 0x7ff0000000000000ull;
    double d;
    memcpy(&d, &nan_bits, sizeof d);
    assert_int_equal(ccf_jcs_number(d, buf, sizeof buf), CCF_ERR_INVALID);
    memcpy(&d, &inf_bits, sizeof d);
    assert_int_equal(ccf_jcs_number(d, buf, sizeof buf), CCF_ERR_INVALID);
}

static void test_jcs_limits(void **state)
{
    (void)state;
    json_t *root = json_array(), *cur = root;
    for (int i = 0; i < CCF_JOSE_MAX_JCS_DEPTH + 5; i++) {
        json_t *next = json_array();
        json_array_append_new(cur, next);
        cur = next;
    }
    ccf_dynbuf b;
    ccf_dynbuf_init(&b, 1 << 20);
    assert_int_equal(ccf_jcs_serialize(root, &b, err, sizeof err), CCF_ERR_TOO_LARGE);
    assert_non_null(strstr(err, "nesting"));
    ccf_dynbuf_free(&b);
    json_decref(root);
    json_t *s = json_string("0123456789");
    ccf_dynbuf_init(&b, 8);
    assert_int_equal(ccf_jcs_serialize(s, &b, err, sizeof err), CCF_ERR_TOO_LARGE);
    ccf_dynbuf_free(&b);
    json_decref(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_b64url_rfc4648),       cmocka_unit_test(test_b64url_strict),
        cmocka_unit_test(test_jwk_ec_round_trip),    cmocka_unit_test(test_jwk_refusals),
        cmocka_unit_test(test_jwk_rsa_and_okp),      cmocka_unit_test(test_rfc7518_appendix_c),
        cmocka_unit_test(test_jwe_round_trips),      cmocka_unit_test(test_jwe_trustee_shape),
        cmocka_unit_test(test_jwe_tampering_refused), cmocka_unit_test(test_jws_rfc_vectors),
        cmocka_unit_test(test_jws_refusals),         cmocka_unit_test(test_jwt_claims),
        cmocka_unit_test(test_jcs_rfc8785_examples), cmocka_unit_test(test_jcs_numbers_appendix_b),
        cmocka_unit_test(test_jcs_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
