/* JWK public keys (RFC 7517, RFC 7518 §6, RFC 8037 §2) to and from EVP_PKEY,
 * and the helpers the other files share. */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include "jose/internal.h"

ccf_err jose_parse_object(const char *buf, size_t len, const char *what, json_t **out,
                          char *err, size_t errsz)
{
    *out = NULL;
    if (len > CCF_JOSE_MAX_JSON)
        return ccf_errf(err, errsz, CCF_ERR_TOO_LARGE, "%s: %zu bytes, more than the %u allowed",
                        what, len, CCF_JOSE_MAX_JSON);
    json_error_t jerr;
    json_t *v = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (v == NULL)
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "%s: not JSON: %s (offset %d)", what,
                        jerr.text, jerr.position);
    if (!json_is_object(v)) {
        json_decref(v);
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "%s: not a JSON object", what);
    }
    *out = v;
    return CCF_OK;
}

ccf_err jose_b64_member(const json_t *obj, const char *name, const char *what, size_t max,
                        uint8_t **out, size_t *outlen, char *err, size_t errsz)
{
    *out = NULL;
    *outlen = 0;
    const json_t *s = json_object_get(obj, name);
    if (s == NULL)
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "%s: member \"%s\" missing", what, name);
    if (!json_is_string(s))
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "%s: \"%s\" is not a string", what, name);
    char sub[160];
    ccf_err e = ccf_b64url_decode_alloc(json_string_value(s), json_string_length(s), max, out,
                                        outlen, sub, sizeof sub);
    if (e != CCF_OK)
        return ccf_errf(err, errsz, e, "%s: \"%s\": %s", what, name, sub);
    return CCF_OK;
}

ccf_err jose_set_b64(json_t *obj, const char *name, const void *data, size_t len, char *err,
                     size_t errsz)
{
    char *s = ccf_b64url_encode(data, len);
    if (s == NULL || json_object_set_new(obj, name, json_string(s)) != 0) {
        free(s);
        return ccf_errf(err, errsz, CCF_ERR_NOMEM, "JOSE: out of memory encoding \"%s\"", name);
    }
    free(s);
    return CCF_OK;
}

bool jose_is_p256(const EVP_PKEY *key)
{
    char group[32];
    size_t n = 0;
    if (key == NULL || !EVP_PKEY_is_a(key, "EC"))
        return false;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                       &n) != 1)
        return false;
    return strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0;
}

bool jose_is_ed25519(const EVP_PKEY *key)
{
    return key != NULL && EVP_PKEY_is_a(key, "ED25519");
}

bool jose_is_rsa(const EVP_PKEY *key)
{
    return key != NULL && EVP_PKEY_is_a(key, "RSA");
}

/* A string member of the JWK, or NULL (error written) when missing or not a string. */
static const json_t *jwk_string(const json_t *jwk, const char *name, ccf_err *e, char *err,
                                size_t errsz)
{
    const json_t *v = json_object_get(jwk, name);
    if (v == NULL) {
        *e = ccf_errf(err, errsz, CCF_ERR_INVALID, "JWK: member \"%s\" missing", name);
        return NULL;
    }
    if (!json_is_string(v)) {
        *e = ccf_errf(err, errsz, CCF_ERR_INVALID, "JWK: \"%s\" is not a string", name);
        return NULL;
    }
    return v;
}

/* Decodes a fixed-length base64url member. */
static ccf_err jwk_fixed(const json_t *jwk, const char *name, uint8_t *out, size_t len, char *err,
                         size_t errsz)
{
    ccf_err e = CCF_OK;
    const json_t *v = jwk_string(jwk, name, &e, err, errsz);
    if (v == NULL)
        return e;
    size_t got = 0;
    char sub[160];
    e = ccf_b64url_decode(json_string_value(v), json_string_length(v), out, len, &got, sub,
                          sizeof sub);
    if (e == CCF_ERR_TOO_LARGE || (e == CCF_OK && got != len))
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "JWK: \"%s\" must decode to exactly %zu bytes",
                        name, len);
    if (e != CCF_OK)
        return ccf_errf(err, errsz, e, "JWK: \"%s\": %s", name, sub);
    return CCF_OK;
}

static ccf_err jwk_from_params(const char *type, OSSL_PARAM_BLD *bld, EVP_PKEY **key, char *err,
                               size_t errsz)
{
    ccf_err e = CCF_OK;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL, *check = NULL;
    if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
        (ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL)) == NULL ||
        EVP_PKEY_fromdata_init(ctx) != 1) {
        e = ccf_errf(err, errsz, CCF_ERR_CRYPTO, "JWK: OpenSSL could not set up a %s key", type);
        goto out;
    }
    if (EVP_PKEY_fromdata(ctx, key, EVP_PKEY_PUBLIC_KEY, params) != 1) {
        e = ccf_errf(err, errsz, CCF_ERR_INVALID, "JWK: not a valid %s public key (point not on the curve, or bad "
                     "parameters)", type);
        goto out;
    }
    if ((check = EVP_PKEY_CTX_new_from_pkey(NULL, *key, NULL)) == NULL ||
        EVP_PKEY_public_check(check) != 1) {
        EVP_PKEY_free(*key);
        *key = NULL;
        e = ccf_errf(err, errsz, CCF_ERR_INVALID,
                     "JWK: %s public key fails OpenSSL's validity check (point not on the "
                     "curve, or bad modulus/exponent)", type);
        goto out;
    }
out:
    EVP_PKEY_CTX_free(check);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return e;
}

static ccf_err jwk_ec(const json_t *jwk, EVP_PKEY **key, char *err, size_t errsz)
{
    ccf_err e = CCF_OK;
    const json_t *crv = jwk_string(jwk, "crv", &e, err, errsz);
    if (crv == NULL)
        return e;
    if (strcmp(json_string_value(crv), "P-256") != 0)
        return ccf_errf(err, errsz, CCF_ERR_UNSUPPORTED,
                        "JWK: EC curve \"%.40s\" not supported (only P-256)",
                        json_string_value(crv));
    uint8_t point[65];
    point[0] = 0x04;
    if ((e = jwk_fixed(jwk, "x", point + 1, 32, err, errsz)) != CCF_OK ||
        (e = jwk_fixed(jwk, "y", point + 33, 32, err, errsz)) != CCF_OK)
        return e;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    if (bld == NULL ||
        OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point) != 1)
        e = ccf_errf(err, errsz, CCF_ERR_NOMEM, "JWK: out of memory");
    else
        e = jwk_from_params("EC", bld, key, err, errsz);
    OSSL_PARAM_BLD_free(bld);
    return e;
}

/* A big-endian unsigned integer member with minimal octets. */
static ccf_err jwk_bn(const json_t *jwk, const char *name, size_t max, BIGNUM **bn, char *err,
                      size_t errsz)
{
    uint8_t *raw = NULL;
    size_t len = 0;
    ccf_err e = jose_b64_member(jwk, name, "JWK", max, &raw, &len, err, errsz);
    if (e != CCF_OK)
        return e;
    if (len == 0 || raw[0] == 0)
        e = ccf_errf(err, errsz, CCF_ERR_INVALID,
                     "JWK: \"%s\" is empty or has a leading zero octet (must be minimal)", name);
    else if ((*bn = BN_bin2bn(raw, (int)len, NULL)) == NULL)
        e = ccf_errf(err, errsz, CCF_ERR_NOMEM, "JWK: out of memory");
    free(raw);
    return e;
}

static ccf_err jwk_rsa(const json_t *jwk, EVP_PKEY **key, char *err, size_t errsz)
{
    BIGNUM *n = NULL, *ebn = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    ccf_err e;
    if ((e = jwk_bn(jwk, "n", CCF_JOSE_RSA_MAX_BITS / 8, &n, err, errsz)) != CCF_OK ||
        (e = jwk_bn(jwk, "e", 8, &ebn, err, errsz)) != CCF_OK)
        goto out;
    int bits = BN_num_bits(n);
    if (bits < CCF_JOSE_RSA_MIN_BITS) {
        e = ccf_errf(err, errsz, CCF_ERR_UNSUPPORTED,
                     "JWK: RSA modulus of %d bits is below the %d required", bits,
                     CCF_JOSE_RSA_MIN_BITS);
        goto out;
    }
    if (!BN_is_odd(ebn) || BN_is_one(ebn)) {
        e = ccf_errf(err, errsz, CCF_ERR_INVALID, "JWK: RSA exponent must be odd and at least 3");
        goto out;
    }
    if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, ebn) != 1) {
        e = ccf_errf(err, errsz, CCF_ERR_NOMEM, "JWK: out of memory");
        goto out;
    }
    e = jwk_from_params("RSA", bld, key, err, errsz);
out:
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(ebn);
    return e;
}

static ccf_err jwk_okp(const json_t *jwk, EVP_PKEY **key, char *err, size_t errsz)
{
    ccf_err e = CCF_OK;
    const json_t *crv = jwk_string(jwk, "crv", &e, err, errsz);
    if (crv == NULL)
        return e;
    if (strcmp(json_string_value(crv), "Ed25519") != 0)
        return ccf_errf(err, errsz, CCF_ERR_UNSUPPORTED,
                        "JWK: OKP curve \"%.40s\" not supported (only Ed25519)",
                        json_string_value(crv));
    uint8_t x[32];
    if ((e = jwk_fixed(jwk, "x", x, sizeof x, err, errsz)) != CCF_OK)
        return e;
    *key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, sizeof x);
    if (*key == NULL)
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "JWK: not a valid Ed25519 public key");
    return CCF_OK;
}

ccf_err ccf_jwk_parse(const json_t *jwk, EVP_PKEY **key, const char **alg, char *err,
                      size_t errsz)
{
    static const char *const private_members[] = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"};
    *key = NULL;
    if (alg != NULL)
        *alg = NULL;
    if (!json_is_object(jwk))
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "JWK: not a JSON object");
    for (size_t i = 0; i < sizeof private_members / sizeof private_members[0]; i++)
        if (json_object_get(jwk, private_members[i]) != NULL)
            return ccf_errf(err, errsz, CCF_ERR_INVALID,
                            "JWK: carries the private or symmetric member \"%s\" (only public "
                            "keys are accepted)", private_members[i]);
    const json_t *a = json_object_get(jwk, "alg");
    if (a != NULL && !json_is_string(a))
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "JWK: \"alg\" is not a string");
    ccf_err e = CCF_OK;
    const json_t *kty = jwk_string(jwk, "kty", &e, err, errsz);
    if (kty == NULL)
        return e;
    const char *t = json_string_value(kty);
    if (strcmp(t, "EC") == 0)
        e = jwk_ec(jwk, key, err, errsz);
    else if (strcmp(t, "RSA") == 0)
        e = jwk_rsa(jwk, key, err, errsz);
    else if (strcmp(t, "OKP") == 0)
        e = jwk_okp(jwk, key, err, errsz);
    else
        e = ccf_errf(err, errsz, CCF_ERR_UNSUPPORTED,
                     "JWK: kty \"%.40s\" not supported (EC, RSA, OKP)", t);
    if (e == CCF_OK && alg != NULL && a != NULL)
        *alg = json_string_value(a);
    return e;
}

/* Sets member name to the big-endian bytes of key's BIGNUM parameter param,
 * left-padded to pad bytes (0: minimal). */
static ccf_err jwk_set_bn(json_t *obj, const char *name, const EVP_PKEY *key, const char *param,
                          int pad, char *err, size_t errsz)
{
    BIGNUM *bn = NULL;
    uint8_t *buf = NULL;
    ccf_err e = CCF_OK;
    if (EVP_PKEY_get_bn_param(key, param, &bn) != 1) {
        e = ccf_errf(err, errsz, CCF_ERR_CRYPTO, "JWK: cannot read the key's %s", param);
        goto out;
    }
    int len = pad > 0 ? pad : BN_num_bytes(bn);
    if (len <= 0 || (buf = malloc((size_t)len)) == NULL ||
        (pad > 0 ? BN_bn2binpad(bn, buf, pad) : BN_bn2bin(bn, buf)) != len) {
        e = ccf_errf(err, errsz, CCF_ERR_CRYPTO, "JWK: cannot encode the key's %s", param);
        goto out;
    }
    e = jose_set_b64(obj, name, buf, (size_t)len, err, errsz);
out:
    free(buf);
    BN_free(bn);
    return e;
}

ccf_err ccf_jwk_from_key(const EVP_PKEY *key, const char *alg, json_t **out, char *err,
                         size_t errsz)
{
    *out = NULL;
    json_t *o = json_object();
    ccf_err e = CCF_OK;
    if (o == NULL)
        return ccf_errf(err, errsz, CCF_ERR_NOMEM, "JWK: out of memory");
    int bad = 0;
    if (jose_is_p256(key)) {
        bad |= json_object_set_new(o, "kty", json_string("EC"));
        bad |= json_object_set_new(o, "crv", json_string("P-256"));
        if (alg != NULL)
            bad |= json_object_set_new(o, "alg", json_string(alg));
        if (bad == 0 &&
            ((e = jwk_set_bn(o, "x", key, OSSL_PKEY_PARAM_EC_PUB_X, 32, err, errsz)) != CCF_OK ||
             (e = jwk_set_bn(o, "y", key, OSSL_PKEY_PARAM_EC_PUB_Y, 32, err, errsz)) != CCF_OK))
            goto out;
    } else if (jose_is_rsa(key)) {
        bad |= json_object_set_new(o, "kty", json_string("RSA"));
        if (alg != NULL)
            bad |= json_object_set_new(o, "alg", json_string(alg));
        if (bad == 0 &&
            ((e = jwk_set_bn(o, "n", key, OSSL_PKEY_PARAM_RSA_N, 0, err, errsz)) != CCF_OK ||
             (e = jwk_set_bn(o, "e", key, OSSL_PKEY_PARAM_RSA_E, 0, err, errsz)) != CCF_OK))
            goto out;
    } else if (jose_is_ed25519(key)) {
        uint8_t x[32];
        size_t n = sizeof x;
        bad |= json_object_set_new(o, "kty", json_string("OKP"));
        bad |= json_object_set_new(o, "crv", json_string("Ed25519"));
        if (alg != NULL)
            bad |= json_object_set_new(o, "alg", json_string(alg));
        if (EVP_PKEY_get_raw_public_key(key, x, &n) != 1 || n != sizeof x) {
            e = ccf_errf(err, errsz, CCF_ERR_CRYPTO, "JWK: cannot read the Ed25519 public key");
            goto out;
        }
        if (bad == 0 && (e = jose_set_b64(o, "x", x, n, err, errsz)) != CCF_OK)
            goto out;
    } else {
        e = ccf_errf(err, errsz, CCF_ERR_UNSUPPORTED,
                     "JWK: key type not supported (EC P-256, RSA, Ed25519)");
        goto out;
    }
    if (bad != 0) {
        e = ccf_errf(err, errsz, CCF_ERR_NOMEM, "JWK: out of memory");
        goto out;
    }
    *out = o;
    o = NULL;
out:
    json_decref(o);
    return e;
}
