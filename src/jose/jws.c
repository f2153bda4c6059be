/* JWS compact serialization (RFC 7515 §7.1) with ES256 (RFC 7518 §3.4: raw
 * r||s, not DER) and EdDSA/Ed25519 (RFC 8037 §3.1), and JWT (RFC 7519)
 * helpers. Primitives: OpenSSL EVP DigestSign/DigestVerify. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bn.h>
#include <openssl/ecdsa.h>

#include "jose/internal.h"

#define SIG_LEN 64

/* The alg a key signs with, or NULL. */
static const char *key_alg(const EVP_PKEY *key)
{
    if (jose_is_p256(key))
        return "ES256";
    if (jose_is_ed25519(key))
        return "EdDSA";
    return NULL;
}

/* DER ECDSA signature → 64-byte r||s. */
static bool der_to_raw(const uint8_t *der, size_t derlen, uint8_t raw[SIG_LEN])
{
    const uint8_t *p = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
    bool ok = false;
    if (sig != NULL) {
        const BIGNUM *r = NULL, *s = NULL;
        ECDSA_SIG_get0(sig, &r, &s);
        ok = BN_bn2binpad(r, raw, 32) == 32 && BN_bn2binpad(s, raw + 32, 32) == 32;
    }
    ECDSA_SIG_free(sig);
    return ok;
}

/* 64-byte r||s → DER (malloc'ed via OpenSSL: OPENSSL_free). */
static int raw_to_der(const uint8_t raw[SIG_LEN], uint8_t **der)
{
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(raw, 32, NULL), *s = BN_bin2bn(raw + 32, 32, NULL);
    int len = -1;
    *der = NULL;
    if (sig != NULL && r != NULL && s != NULL && ECDSA_SIG_set0(sig, r, s) == 1) {
        r = s = NULL; /* owned by sig */
        len = i2d_ECDSA_SIG(sig, der);
    }
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return len;
}

ccf_err ccf_jws_sign(EVP_PKEY *key, const json_t *extra_header, const void *payload,
                     size_t len, char **out, char *err, size_t errsz)
{
    const char *alg = key_alg(key);
    ccf_err e = CCF_OK;
    json_t *hdr = NULL;
    char *hdr_json = NULL, *hdr_b64 = NULL, *pl_b64 = NULL, *sig_b64 = NULL, *input = NULL;
    uint8_t *der = NULL, raw[SIG_LEN];
    size_t derlen = 0, inlen = 0, outlen = 0;
    EVP_MD_CTX *md = NULL;
    *out = NULL;
    if (alg == NULL)
        return ccf_errf(err, errsz, CCF_ERR_UNSUPPORTED,
                        "JWS: signing key must be EC P-256 (ES256) or Ed25519 (EdDSA)");
    if (extra_header != NULL && !json_is_object(extra_header))
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "JWS: extra header is not an object");
    if (extra_header != NULL &&
        (json_object_get(extra_header, "alg") != NULL ||
         json_object_get(extra_header, "crit") != NULL ||
         json_object_get(extra_header, "b64") != NULL))
        return ccf_errf(err, errsz, CCF_ERR_INVALID,
                        "JWS: extra header must not set alg, crit or b64");
    if (len > CCF_JOSE_MAX_JSON)
        return ccf_errf(err, errsz, CCF_ERR_TOO_LARGE, "JWS: payload of %zu bytes is too large",
                        len);
    if ((hdr = json_object()) == NULL || json_object_set_new(hdr, "alg", json_string(alg)) != 0 ||
        (extra_header != NULL && json_object_update(hdr, (json_t *)extra_header) != 0) ||
        (hdr_json = json_dumps(hdr, JSON_COMPACT)) == NULL ||
        (hdr_b64 = ccf_b64url_encode(hdr_json, strlen(hdr_json))) == NULL ||
        (pl_b64 = ccf_b64url_encode(payload, len)) == NULL ||
        (input = malloc(inlen = strlen(hdr_b64) + strlen(pl_b64) + 2)) == NULL) {
        e = ccf_errf(err, errsz, CCF_ERR_NOMEM, "JWS: out of memory");
        goto out;
    }
    inlen = (size_t)snprintf(input, inlen, "%s.%s", hdr_b64, pl_b64);
    if ((md = EVP_MD_CTX_new()) == NULL ||
        EVP_DigestSignInit_ex(md, NULL, jose_is_p256(key) ? "SHA256" : NULL, NULL, NULL, key,
                              NULL) != 1 ||
        EVP_DigestSign(md, NULL, &derlen, (const uint8_t *)input, inlen) != 1 ||
        (der = malloc(derlen)) == NULL ||
        EVP_DigestSign(md, der, &derlen, (const uint8_t *)input, inlen) != 1) {
        e = ccf_errf(err, errsz, CCF_ERR_CRYPTO, "JWS: %s signing failed", alg);
        goto out;
    }
    if (jose_is_p256(key)) {
        if (!der_to_raw(der, derlen, raw)) {
            e = ccf_errf(err, errsz, CCF_ERR_CRYPTO, "JWS: cannot convert the ECDSA signature");
            goto out;
        }
    } else if (derlen == SIG_LEN) {
        memcpy(raw, der, SIG_LEN);
    } else {
        e = ccf_errf(err, errsz, CCF_ERR_CRYPTO, "JWS: Ed25519 signature of %zu bytes", derlen);
        goto out;
    }
    if ((sig_b64 = ccf_b64url_encode(raw, SIG_LEN)) == NULL ||
        (*out = malloc(outlen = inlen + strlen(sig_b64) + 2)) == NULL) {
        e = ccf_errf(err, errsz, CCF_ERR_NOMEM, "JWS: out of memory");
        goto out;
    }
    snprintf(*out, outlen, "%s.%s", input, sig_b64);
out:
    EVP_MD_CTX_free(md);
    json_decref(hdr);
    free(hdr_json);
    free(hdr_b64);
    free(pl_b64);
    free(sig_b64);
    free(input);
    free(der);
    return e;
}

ccf_err ccf_jws_verify(const char *jws, size_t jwslen, EVP_PKEY *pub, json_t **header,
                       uint8_t **payload, size_t *payloadlen, char *err, size_t errsz)
{
    ccf_err e = CCF_OK;
    json_t *hdr = NULL;
    uint8_t *hdr_raw = NULL, *pl = NULL, *der = NULL, sig[SIG_LEN];
    size_t hdr_len = 0, pllen = 0, siglen = 0;
    EVP_MD_CTX *md = NULL;
    char sub[160];
    if (header != NULL)
        *header = NULL;
    if (payload != NULL)
        *payload = NULL;
    if (payloadlen != NULL)
        *payloadlen = 0;

    if (jwslen > CCF_JOSE_MAX_JSON)
        return ccf_errf(err, errsz, CCF_ERR_TOO_LARGE, "JWS: %zu bytes, more than the %u allowed",
                        jwslen, CCF_JOSE_MAX_JSON);
    const char *dot1 = memchr(jws, '.', jwslen);
    const char *dot2 = dot1 ? memchr(dot1 + 1, '.', jwslen - (size_t)(dot1 + 1 - jws)) : NULL;
    if (dot1 == NULL || dot2 == NULL ||
        memchr(dot2 + 1, '.', jwslen - (size_t)(dot2 + 1 - jws)) != NULL)
        return ccf_errf(err, errsz, CCF_ERR_INVALID,
                        "JWS: compact serialization needs exactly three dot-separated parts");
    const char *alg_want = key_alg(pub);
    if (alg_want == NULL)
        return ccf_errf(err, errsz, CCF_ERR_UNSUPPORTED,
                        "JWS: verification key must be EC P-256 (ES256) or Ed25519 (EdDSA)");
    if ((e = ccf_b64url_decode_alloc(jws, (size_t)(dot1 - jws), CCF_JOSE_MAX_HEADER, &hdr_raw,
                                     &hdr_len, sub, sizeof sub)) != CCF_OK) {
        e = ccf_errf(err, errsz, e, "JWS: header: %s", sub);
        goto out;
    }
    if ((e = jose_parse_object((const char *)hdr_raw, hdr_len, "JWS header", &hdr, err, errsz)) !=
        CCF_OK)
        goto out;
    const json_t *alg = json_object_get(hdr, "alg");
    if (!json_is_string(alg)) {
        e = ccf_errf(err, errsz, CCF_ERR_INVALID, "JWS: header has no string \"alg\"");
        goto out;
    }
    if (strcasecmp(json_string_value(alg), "none") == 0) {
        e = ccf_errf(err, errsz, CCF_ERR_DENIED, "JWS: alg \"none\" (unsigned) is refused");
        goto out;
    }
    if (json_object_get(hdr, "crit") != NULL || json_object_get(hdr, "b64") != NULL) {
        e = ccf_errf(err, errsz, CCF_ERR_UNSUPPORTED,
                     "JWS: header has \"crit\" or \"b64\" (no extension is supported)");
        goto out;
    }
    if (strcmp(json_string_value(alg), alg_want) != 0) {
        e = ccf_errf(err, errsz, CCF_ERR_DENIED,
                     "JWS: alg \"%.40s\" does not match the verification key (%s)",
                     json_string_value(alg), alg_want);
        goto out;
    }
    if ((e = ccf_b64url_decode(dot2 + 1, jwslen - (size_t)(dot2 + 1 - jws), sig, sizeof sig,
                               &siglen, sub, sizeof sub)) != CCF_OK ||
        siglen != SIG_LEN) {
        e = ccf_errf(err, errsz, CCF_ERR_INVALID, "JWS: signature must be %d bytes%s%s", SIG_LEN,
                     e != CCF_OK ? ": " : "", e != CCF_OK ? sub : "");
        goto out;
    }
    if ((e = ccf_b64url_decode_alloc(dot1 + 1, (size_t)(dot2 - dot1 - 1), CCF_JOSE_MAX_JSON, &pl,
                                     &pllen, sub, sizeof sub)) != CCF_OK) {
        e = ccf_errf(err, errsz, e, "JWS: payload: %s", sub);
        goto out;
    }
    const uint8_t *sigp = sig;
    size_t sigplen = SIG_LEN;
    if (jose_is_p256(pub)) {
        int n = raw_to_der(sig, &der);
        if (n <= 0) {
            e = ccf_errf(err, errsz, CCF_ERR_CRYPTO, "JWS: cannot convert the ES256 signature");
            goto out;
        }
        sigp = der;
        sigplen = (size_t)n;
    }
    size_t inlen = (size_t)(dot2 - jws); /* header "." payload, as received */
    if ((md = EVP_MD_CTX_new()) == NULL ||
        EVP_DigestVerifyInit_ex(md, NULL, jose_is_p256(pub) ? "SHA256" : NULL, NULL, NULL, pub,
                                NULL) != 1) {
        e = ccf_errf(err, errsz, CCF_ERR_CRYPTO, "JWS: OpenSSL cannot set up verification");
        goto out;
    }
    if (EVP_DigestVerify(md, sigp, sigplen, (const uint8_t *)jws, inlen) != 1) {
        e = ccf_errf(err, errsz, CCF_ERR_DENIED,
                     "JWS: %s signature does not verify (tampered, or another key)", alg_want);
        goto out;
    }
    if (header != NULL) {
        *header = hdr;
        hdr = NULL;
    }
    if (payload != NULL) {
        *payload = pl;
        pl = NULL;
    }
    if (payloadlen != NULL)
        *payloadlen = pllen;
out:
    EVP_MD_CTX_free(md);
    OPENSSL_free(der);
    json_decref(hdr);
    free(hdr_raw);
    free(pl);
    return e;
}

/* A NumericDate claim as a double; false (error written) when not a number. */
static bool numeric_date(const json_t *claims, const char *name, bool *present, double *v,
                         ccf_err *e, char *err, size_t errsz)
{
    const json_t *c = json_object_get(claims, name);
    *present = c != NULL;
    if (c == NULL)
        return true;
    if (!json_is_number(c) || !isfinite(json_number_value(c))) {
        *e = ccf_errf(err, errsz, CCF_ERR_INVALID, "JWT: \"%s\" is not a NumericDate", name);
        return false;
    }
    *v = json_number_value(c);
    return true;
}

ccf_err ccf_jwt_check_time(const json_t *claims, int64_t now, int64_t leeway, unsigned flags,
                           char *err, size_t errsz)
{
    ccf_err e = CCF_OK;
    bool has_exp, has_nbf, has_iat;
    double exp = 0, nbf = 0, iat = 0;
    if (!json_is_object(claims))
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "JWT: claims are not a JSON object");
    if (leeway < 0)
        leeway = 0;
    if (!numeric_date(claims, "exp", &has_exp, &exp, &e, err, errsz) ||
        !numeric_date(claims, "nbf", &has_nbf, &nbf, &e, err, errsz) ||
        !numeric_date(claims, "iat", &has_iat, &iat, &e, err, errsz))
        return e;
    if ((flags & CCF_JWT_REQUIRE_EXP) && !has_exp)
        return ccf_errf(err, errsz, CCF_ERR_DENIED, "JWT: no \"exp\" claim (required)");
    if ((flags & CCF_JWT_REQUIRE_IAT) && !has_iat)
        return ccf_errf(err, errsz, CCF_ERR_DENIED, "JWT: no \"iat\" claim (required)");
    double n = (double)now, l = (double)leeway;
    if (has_exp && !(n < exp + l))
        return ccf_errf(err, errsz, CCF_ERR_DENIED, "JWT: expired (exp %.0f, now %lld)", exp,
                        (long long)now);
    if (has_nbf && n + l < nbf)
        return ccf_errf(err, errsz, CCF_ERR_DENIED, "JWT: not yet valid (nbf %.0f, now %lld)",
                        nbf, (long long)now);
    if (has_iat && iat > n + l)
        return ccf_errf(err, errsz, CCF_ERR_DENIED,
                        "JWT: issued in the future (iat %.0f, now %lld)", iat, (long long)now);
    return CCF_OK;
}

ccf_err ccf_jwt_sign(EVP_PKEY *key, const json_t *claims, char **out, char *err, size_t errsz)
{
    *out = NULL;
    if (!json_is_object(claims))
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "JWT: claims are not a JSON object");
    char *body = json_dumps(claims, JSON_COMPACT);
    json_t *extra = json_pack("{s:s}", "typ", "JWT");
    ccf_err e;
    if (body == NULL || extra == NULL)
        e = ccf_errf(err, errsz, CCF_ERR_NOMEM, "JWT: out of memory");
    else
        e = ccf_jws_sign(key, extra, body, strlen(body), out, err, errsz);
    free(body);
    json_decref(extra);
    return e;
}

ccf_err ccf_jwt_verify(const char *jwt, size_t jwtlen, EVP_PKEY *pub, int64_t now,
                       int64_t leeway, unsigned flags, json_t **claims, char *err, size_t errsz)
{
    json_t *hdr = NULL, *body = NULL;
    uint8_t *pl = NULL;
    size_t pllen = 0;
    if (claims != NULL)
        *claims = NULL;
    ccf_err e = ccf_jws_verify(jwt, jwtlen, pub, &hdr, &pl, &pllen, err, errsz);
    if (e != CCF_OK)
        return e;
    const json_t *typ = json_object_get(hdr, "typ");
    if (typ != NULL && (!json_is_string(typ) || strcasecmp(json_string_value(typ), "JWT") != 0)) {
        e = ccf_errf(err, errsz, CCF_ERR_INVALID, "JWT: header typ is not \"JWT\"");
        goto out;
    }
    if ((e = jose_parse_object((const char *)pl, pllen, "JWT claims", &body, err, errsz)) !=
            CCF_OK ||
        (e = ccf_jwt_check_time(body, now, leeway, flags, err, errsz)) != CCF_OK)
        goto out;
    if (claims != NULL) {
        *claims = body;
        body = NULL;
    }
out:
    json_decref(hdr);
    json_decref(body);
    free(pl);
    return e;
}
