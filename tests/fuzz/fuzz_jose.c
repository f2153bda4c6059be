/* libFuzzer harness for src/jose's parsers of untrusted input: the first byte
 * picks one, the rest is its input.
 *   0 base64url   1 JWK   2 JWE (EC P-256 key)   3 JWE (RSA key)
 *   4 JWS (ES256 key)   5 JWT (Ed25519 key)   6 JSON → JCS
 * Keys are fixed (RFC 7518 appendix C's Bob, RFC 8037's Ed25519 key) so seeds
 * made with them (corpus/fuzz_jose) reach the cryptography. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include "jose/jose.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static EVP_PKEY *ec_key, *rsa_key, *ec_pub, *ed_pub;

static uint8_t *b64(const char *s, size_t *n)
{
    uint8_t *out = NULL;
    if (ccf_b64url_decode_alloc(s, strlen(s), 64, &out, n, NULL, 0) != CCF_OK)
        abort();
    return out;
}

static void init_keys(void)
{
    size_t n;
    uint8_t pub[65] = {0x04};
    uint8_t *x = b64("weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_PxMQ", &n);
    uint8_t *y = b64("e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOyck", &n);
    uint8_t *d = b64("VEmDZpDXXK8p8N0Cndsxs924q6nS1RXFASRl6BfUqdw", &n);
    memcpy(pub + 1, x, 32);
    memcpy(pub + 33, y, 32);
    BIGNUM *priv = BN_bin2bn(d, 32, NULL);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub);
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv);
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &ec_key, EVP_PKEY_KEYPAIR, params) != 1)
        abort();
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(priv);
    free(x);
    free(y);
    free(d);
    json_t *jwk = NULL;
    if (ccf_jwk_from_key(ec_key, NULL, &jwk, NULL, 0) != CCF_OK ||
        ccf_jwk_parse(jwk, &ec_pub, NULL, NULL, 0) != CCF_OK)
        abort();
    json_decref(jwk);
    uint8_t *ed = b64("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", &n);
    ed_pub = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, ed, 32);
    free(ed);
    rsa_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    if (ed_pub == NULL || rsa_key == NULL)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        init_keys();
        ready = 1;
    }
    if (size < 1)
        return 0;
    const char *in = (const char *)data + 1;
    size_t len = size - 1;
    char err[256];
    switch (data[0] % 7) {
    case 0: {
        uint8_t out[4096];
        size_t n;
        uint8_t *p = NULL;
        if (ccf_b64url_decode(in, len, out, sizeof out, &n, err, sizeof err) == CCF_OK) {
            char *back = ccf_b64url_encode(out, n); /* canonical: encodes back to the input */
            if (back == NULL || strlen(back) != len || memcmp(back, in, len) != 0)
                abort();
            free(back);
        }
        if (ccf_b64url_decode_alloc(in, len, 4096, &p, &n, err, sizeof err) == CCF_OK)
            free(p);
        break;
    }
    case 1: {
        json_t *j = json_loadb(in, len, JSON_REJECT_DUPLICATES, NULL), *back = NULL;
        EVP_PKEY *k = NULL;
        const char *alg = NULL;
        if (j != NULL && ccf_jwk_parse(j, &k, &alg, err, sizeof err) == CCF_OK) {
            if (ccf_jwk_from_key(k, alg, &back, err, sizeof err) != CCF_OK)
                abort();
            json_decref(back);
            EVP_PKEY_free(k);
        }
        json_decref(j);
        break;
    }
    case 2:
    case 3: {
        uint8_t *pt = NULL;
        size_t n = 0;
        if (ccf_jwe_decrypt_text(in, len, data[0] % 7 == 2 ? ec_key : rsa_key, &pt, &n, err,
                                 sizeof err) == CCF_OK)
            ccf_jose_secret_free(pt, n);
        break;
    }
    case 4: {
        json_t *h = NULL;
        uint8_t *p = NULL;
        size_t n = 0;
        if (ccf_jws_verify(in, len, ec_pub, &h, &p, &n, err, sizeof err) == CCF_OK) {
            json_decref(h);
            free(p);
        }
        break;
    }
    case 5: {
        json_t *c = NULL;
        if (ccf_jwt_verify(in, len, ed_pub, 1700000000, 60, 0, &c, err, sizeof err) == CCF_OK)
            json_decref(c);
        break;
    }
    case 6: {
        json_t *j = json_loadb(in, len, JSON_DECODE_ANY, NULL);
        if (j != NULL) {
            ccf_dynbuf b;
            ccf_dynbuf_init(&b, 1 << 20);
            if (ccf_jcs_serialize(j, &b, err, sizeof err) == CCF_OK) {
                /* canonical JSON parses back (as reals: 1e20 is written as 21
                 * digits, beyond jansson's integers) */
                json_t *again =
                    json_loadb(b.p, b.len, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, NULL);
                if (again == NULL)
                    abort();
                json_decref(again);
            }
            ccf_dynbuf_free(&b);
            json_decref(j);
        }
        break;
    }
    }
    return 0;
}
