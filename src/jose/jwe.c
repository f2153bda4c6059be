/* JWE flattened JSON serialization (RFC 7516 §7.2.2) with ECDH-ES+A256KW
 * (RFC 7518 §4.6) and RSA-OAEP-256 (§4.3) key management and A256GCM (§5.3)
 * content encryption, shaped as Trustee's KBS answers a resource request.
 * Primitives: OpenSSL EVP (ECDH derive, SHA-256, AES-256 key wrap, AES-256-GCM,
 * RSA-OAEP with SHA-256/MGF1-SHA-256, RAND). */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "common/crypto.h"
#include "jose/internal.h"

#define CEK_LEN 32
#define IV_LEN 12
#define TAG_LEN 16
#define WRAPPED_LEN (CEK_LEN + 8)
#define ALG_ECDH "ECDH-ES+A256KW"
#define ALG_RSA "RSA-OAEP-256"
#define ALG_RSA_SHA1 "RSA-OAEP" /* decryption only, where the caller accepts it */
#define ENC_GCM "A256GCM"

void ccf_jose_secret_free(void *p, size_t len)
{
    if (p != NULL)
        OPENSSL_secure_clear_free(p, len == 0 ? 1 : len);
}

static void be32(uint8_t out[4], uint32_t v)
{
    out[0] = (uint8_t)(v >> 24);
    out[1] = (uint8_t)(v >> 16);
    out[2] = (uint8_t)(v >> 8);
    out[3] = (uint8_t)v;
}

ccf_err ccf_jose_concat_kdf(const uint8_t *z, size_t zlen, const char *alg, const uint8_t *apu,
                            size_t apulen, const uint8_t *apv, size_t apvlen, uint8_t *out,
                            size_t outlen, char *err, size_t errsz)
{
    size_t alglen = strlen(alg);
    if (outlen == 0 || outlen > 1024 || alglen > UINT32_MAX || apulen > UINT32_MAX ||
        apvlen > UINT32_MAX)
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "Concat KDF: lengths out of range");
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    uint8_t block[32];
    ccf_err e = CCF_OK;
    if (md == NULL)
        return ccf_errf(err, errsz, CCF_ERR_NOMEM, "Concat KDF: out of memory");
    for (uint32_t counter = 1, done = 0; done < outlen; counter++) {
        uint8_t c[4], l_alg[4], l_u[4], l_v[4], keybits[4];
        be32(c, counter);
        be32(l_alg, (uint32_t)alglen);
        be32(l_u, (uint32_t)apulen);
        be32(l_v, (uint32_t)apvlen);
        be32(keybits, (uint32_t)(outlen * 8)); /* SuppPubInfo; SuppPrivInfo empty */
        unsigned int n = 0;
        if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
            EVP_DigestUpdate(md, c, 4) != 1 || EVP_DigestUpdate(md, z, zlen) != 1 ||
            EVP_DigestUpdate(md, l_alg, 4) != 1 || EVP_DigestUpdate(md, alg, alglen) != 1 ||
            EVP_DigestUpdate(md, l_u, 4) != 1 ||
            (apulen > 0 && EVP_DigestUpdate(md, apu, apulen) != 1) ||
            EVP_DigestUpdate(md, l_v, 4) != 1 ||
            (apvlen > 0 && EVP_DigestUpdate(md, apv, apvlen) != 1) ||
            EVP_DigestUpdate(md, keybits, 4) != 1 || EVP_DigestFinal_ex(md, block, &n) != 1 ||
            n != sizeof block) {
            e = ccf_errf(err, errsz, CCF_ERR_CRYPTO, "Concat KDF: SHA-256 failed");
            break;
        }
        size_t take = outlen - done < n ? outlen - done : n;
        memcpy(out + done, block, take);
        done += (uint32_t)take;
    }
    OPENSSL_cleanse(block, sizeof block);
    EVP_MD_CTX_free(md);
    if (e != CCF_OK)
        OPENSSL_cleanse(out, outlen);
    return e;
}

ccf_err ccf_jose_ecdh_es_derive(EVP_PKEY *priv, EVP_PKEY *peer, const char *alg,
                                const uint8_t *apu, size_t apulen, const uint8_t *apv,
                                size_t apvlen, uint8_t *out, size_t outlen, char *err,
                                size_t errsz)
{
    if (!jose_is_p256(priv) || !jose_is_p256(peer))
        return ccf_errf(err, errsz, CCF_ERR_UNSUPPORTED, "ECDH-ES: both keys must be EC P-256");
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, priv, NULL);
    uint8_t z[32];
    size_t zlen = sizeof z;
    ccf_err e;
    if (ctx == NULL || EVP_PKEY_derive_init(ctx) != 1 ||
        EVP_PKEY_derive_set_peer_ex(ctx, peer, 1) != 1 || EVP_PKEY_derive(ctx, z, &zlen) != 1 ||
        zlen != sizeof z)
        e = ccf_errf(err, errsz, CCF_ERR_CRYPTO, "ECDH-ES: key agreement failed");
    else
        e = ccf_jose_concat_kdf(z, zlen, alg, apu, apulen, apv, apvlen, out, outlen, err, errsz);
    OPENSSL_cleanse(z, sizeof z);
    EVP_PKEY_CTX_free(ctx);
    return e;
}

/* AES-256 key wrap (RFC 3394) of in (enc=1) or unwrap (enc=0) with kek. */
static ccf_err aes_kw(int enc, const uint8_t kek[32], const uint8_t *in, size_t inlen,
                      uint8_t *out, size_t *outlen, char *err, size_t errsz)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0, f = 0;
    ccf_err e = CCF_OK;
    if (ctx == NULL)
        return ccf_errf(err, errsz, CCF_ERR_NOMEM, "A256KW: out of memory");
    EVP_CIPHER_CTX_set_flags(ctx, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
    if (EVP_CipherInit_ex(ctx, EVP_aes_256_wrap(), NULL, kek, NULL, enc) != 1) {
        e = ccf_errf(err, errsz, CCF_ERR_CRYPTO, "A256KW: OpenSSL cannot set up AES key wrap");
    } else if (EVP_CipherUpdate(ctx, out, &n, in, (int)inlen) != 1 || n <= 0 ||
               EVP_CipherFinal_ex(ctx, out + n, &f) != 1) {
        e = enc ? ccf_errf(err, errsz, CCF_ERR_CRYPTO, "A256KW: key wrap failed")
                : ccf_errf(err, errsz, CCF_ERR_DENIED,
                           "JWE: encrypted_key does not unwrap (wrong key, or encrypted_key, "
                           "epk, apu or apv tampered)");
    } else {
        *outlen = (size_t)n + (size_t)f;
    }
    EVP_CIPHER_CTX_free(ctx);
    return e;
}

/* AES-256-GCM of in into out (same length), with aad; tag in/out. */
static ccf_err aes_gcm(int enc, const uint8_t key[32], const uint8_t iv[IV_LEN], const char *aad,
                       size_t aadlen, const uint8_t *in, size_t inlen, uint8_t *out,
                       uint8_t tag[TAG_LEN], char *err, size_t errsz)
{
    if (ccf_aes256gcm(enc != 0, key, iv, aad, aadlen, in, inlen, out, tag))
        return CCF_OK;
    return enc ? ccf_errf(err, errsz, CCF_ERR_CRYPTO, "A256GCM: encryption failed")
               : ccf_errf(err, errsz, CCF_ERR_DENIED,
                          "JWE: authentication tag mismatch (protected header, iv, ciphertext "
                          "or tag tampered, or the wrong key)");
}

/* RSA-OAEP with SHA-256 and MGF1-SHA-256 (RSA-OAEP-256), or with SHA-1 for
 * both (RSA-OAEP, RFC 7518 §4.3) when sha1. */
static ccf_err rsa_oaep(int enc, EVP_PKEY *key, bool sha1, const uint8_t *in, size_t inlen,
                        uint8_t *out, size_t *outlen, char *err, size_t errsz)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
    const EVP_MD *md = sha1 ? EVP_sha1() : EVP_sha256();
    ccf_err e = CCF_OK;
    if (ctx == NULL || (enc ? EVP_PKEY_encrypt_init(ctx) : EVP_PKEY_decrypt_init(ctx)) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_oaep_md(ctx, md) != 1 || EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) != 1) {
        e = ccf_errf(err, errsz, CCF_ERR_CRYPTO, "RSA-OAEP-256: OpenSSL cannot set up OAEP");
    } else if (enc ? EVP_PKEY_encrypt(ctx, out, outlen, in, inlen) != 1
                   : EVP_PKEY_decrypt(ctx, out, outlen, in, inlen) != 1) {
        e = enc ? ccf_errf(err, errsz, CCF_ERR_CRYPTO, "RSA-OAEP-256: encryption failed")
                : ccf_errf(err, errsz, CCF_ERR_DENIED,
                           "JWE: encrypted_key does not decrypt (wrong key or tampered)");
    }
    EVP_PKEY_CTX_free(ctx);
    return e;
}

static ccf_err new_ephemeral_p256(EVP_PKEY **out, char *err, size_t errsz)
{
    *out = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (*out == NULL)
        return ccf_errf(err, errsz, CCF_ERR_CRYPTO, "ECDH-ES: cannot generate an ephemeral key");
    return CCF_OK;
}

ccf_err ccf_jwe_encrypt(EVP_PKEY *to, ccf_jwe_alg alg, const void *plaintext, size_t len,
                        json_t **out, char *err, size_t errsz)
{
    ccf_err e = CCF_OK;
    uint8_t *cek = NULL, *ct = NULL;
    uint8_t ek[CCF_JOSE_RSA_MAX_BITS / 8], iv[IV_LEN], tag[TAG_LEN], kek[32];
    size_t eklen = sizeof ek;
    EVP_PKEY *eph = NULL;
    json_t *hdr = NULL, *jwe = NULL, *epk = NULL;
    char *hdr_json = NULL, *hdr_b64 = NULL;
    *out = NULL;

    if (len > CCF_JOSE_MAX_JSON)
        return ccf_errf(err, errsz, CCF_ERR_TOO_LARGE,
                        "JWE: plaintext of %zu bytes, more than the %u allowed", len,
                        CCF_JOSE_MAX_JSON);
    if (alg == CCF_JWE_ECDH_ES_A256KW && !jose_is_p256(to))
        return ccf_errf(err, errsz, CCF_ERR_UNSUPPORTED,
                        "JWE: ECDH-ES+A256KW needs an EC P-256 recipient key");
    if (alg == CCF_JWE_RSA_OAEP_256 &&
        (!jose_is_rsa(to) || EVP_PKEY_get_bits(to) < CCF_JOSE_RSA_MIN_BITS ||
         EVP_PKEY_get_size(to) > (int)sizeof ek))
        return ccf_errf(err, errsz, CCF_ERR_UNSUPPORTED,
                        "JWE: RSA-OAEP-256 needs an RSA recipient key of %d..%d bits",
                        CCF_JOSE_RSA_MIN_BITS, CCF_JOSE_RSA_MAX_BITS);
    if (alg != CCF_JWE_ECDH_ES_A256KW && alg != CCF_JWE_RSA_OAEP_256)
        return ccf_errf(err, errsz, CCF_ERR_UNSUPPORTED, "JWE: unknown key management algorithm");

    if ((cek = OPENSSL_secure_malloc(CEK_LEN)) == NULL ||
        (ct = malloc(len + 1)) == NULL || (hdr = json_object()) == NULL ||
        (jwe = json_object()) == NULL) {
        e = ccf_errf(err, errsz, CCF_ERR_NOMEM, "JWE: out of memory");
        goto out;
    }
    if (RAND_priv_bytes(cek, CEK_LEN) != 1 || RAND_bytes(iv, IV_LEN) != 1) {
        e = ccf_errf(err, errsz, CCF_ERR_CRYPTO, "JWE: no random bytes");
        goto out;
    }
    if (alg == CCF_JWE_ECDH_ES_A256KW) {
        if ((e = new_ephemeral_p256(&eph, err, errsz)) != CCF_OK ||
            (e = ccf_jose_ecdh_es_derive(eph, to, ALG_ECDH, NULL, 0, NULL, 0, kek, sizeof kek,
                                         err, errsz)) != CCF_OK ||
            (e = aes_kw(1, kek, cek, CEK_LEN, ek, &eklen, err, errsz)) != CCF_OK ||
            (e = ccf_jwk_from_key(eph, NULL, &epk, err, errsz)) != CCF_OK)
            goto out;
        if (eklen != WRAPPED_LEN) {
            e = ccf_errf(err, errsz, CCF_ERR_INTERNAL, "A256KW: wrapped key of %zu bytes", eklen);
            goto out;
        }
    } else if ((e = rsa_oaep(1, to, false, cek, CEK_LEN, ek, &eklen, err, errsz)) != CCF_OK) {
        goto out;
    }
    /* Trustee's ProtectedHeader: alg, enc, then the other fields, keys sorted */
    if (json_object_set_new(hdr, "alg",
                            json_string(alg == CCF_JWE_ECDH_ES_A256KW ? ALG_ECDH : ALG_RSA)) != 0 ||
        json_object_set_new(hdr, "enc", json_string(ENC_GCM)) != 0 ||
        (epk != NULL && json_object_set(hdr, "epk", epk) != 0) ||
        (hdr_json = json_dumps(hdr, JSON_COMPACT | JSON_SORT_KEYS)) == NULL ||
        (hdr_b64 = ccf_b64url_encode(hdr_json, strlen(hdr_json))) == NULL) {
        e = ccf_errf(err, errsz, CCF_ERR_NOMEM, "JWE: out of memory");
        goto out;
    }
    if ((e = aes_gcm(1, cek, iv, hdr_b64, strlen(hdr_b64), plaintext, len, ct, tag, err,
                     errsz)) != CCF_OK)
        goto out;
    if (json_object_set_new(jwe, "protected", json_string(hdr_b64)) != 0) {
        e = ccf_errf(err, errsz, CCF_ERR_NOMEM, "JWE: out of memory");
        goto out;
    }
    if ((e = jose_set_b64(jwe, "encrypted_key", ek, eklen, err, errsz)) != CCF_OK ||
        (e = jose_set_b64(jwe, "iv", iv, IV_LEN, err, errsz)) != CCF_OK ||
        (e = jose_set_b64(jwe, "ciphertext", ct, len, err, errsz)) != CCF_OK ||
        (e = jose_set_b64(jwe, "tag", tag, TAG_LEN, err, errsz)) != CCF_OK)
        goto out;
    *out = jwe;
    jwe = NULL;
out:
    OPENSSL_cleanse(kek, sizeof kek);
    if (cek != NULL)
        OPENSSL_secure_clear_free(cek, CEK_LEN);
    free(ct);
    free(hdr_json);
    free(hdr_b64);
    json_decref(hdr);
    json_decref(epk);
    json_decref(jwe);
    EVP_PKEY_free(eph);
    return e;
}

ccf_err ccf_jwe_encrypt_to_jwk(const json_t *jwk, const void *plaintext, size_t len,
                               json_t **out, char *err, size_t errsz)
{
    EVP_PKEY *key = NULL;
    const char *alg = NULL;
    *out = NULL;
    ccf_err e = ccf_jwk_parse(jwk, &key, &alg, err, errsz);
    if (e != CCF_OK)
        return e;
    ccf_jwe_alg a;
    if (alg != NULL && strcmp(alg, ALG_ECDH) == 0)
        a = CCF_JWE_ECDH_ES_A256KW;
    else if (alg != NULL && strcmp(alg, ALG_RSA) == 0)
        a = CCF_JWE_RSA_OAEP_256;
    else if (alg != NULL) {
        EVP_PKEY_free(key);
        return ccf_errf(err, errsz, CCF_ERR_UNSUPPORTED,
                        "JWE: JWK alg \"%.40s\" not supported (ECDH-ES+A256KW, RSA-OAEP-256)",
                        alg);
    } else if (jose_is_p256(key))
        a = CCF_JWE_ECDH_ES_A256KW;
    else
        a = CCF_JWE_RSA_OAEP_256;
    e = ccf_jwe_encrypt(key, a, plaintext, len, out, err, errsz);
    EVP_PKEY_free(key);
    return e;
}

/* The protected header's members this implementation understands. Unknown
 * ones are ignored (RFC 7516 §4), but never when listed in crit, which is
 * refused as a whole: no extension is supported. */
static ccf_err check_header(const json_t *hdr, EVP_PKEY *priv, bool rsa_oaep_sha1,
                            ccf_jwe_alg *alg, char *err, size_t errsz)
{
    const json_t *a = json_object_get(hdr, "alg"), *enc = json_object_get(hdr, "enc");
    if (!json_is_string(a))
        return ccf_errf(err, errsz, CCF_ERR_INVALID,
                        "JWE: protected header has no string \"alg\"");
    if (!json_is_string(enc))
        return ccf_errf(err, errsz, CCF_ERR_INVALID,
                        "JWE: protected header has no string \"enc\"");
    if (json_object_get(hdr, "crit") != NULL)
        return ccf_errf(err, errsz, CCF_ERR_UNSUPPORTED,
                        "JWE: protected header has \"crit\" (no extension is supported)");
    if (json_object_get(hdr, "zip") != NULL)
        return ccf_errf(err, errsz, CCF_ERR_UNSUPPORTED,
                        "JWE: protected header has \"zip\" (compression is not supported)");
    if (strcmp(json_string_value(enc), ENC_GCM) != 0)
        return ccf_errf(err, errsz, CCF_ERR_UNSUPPORTED,
                        "JWE: enc \"%.40s\" not supported (only A256GCM)",
                        json_string_value(enc));
    const char *as = json_string_value(a);
    if (strcmp(as, ALG_ECDH) == 0) {
        if (!jose_is_p256(priv))
            return ccf_errf(err, errsz, CCF_ERR_DENIED,
                            "JWE: alg ECDH-ES+A256KW but the private key is not EC P-256");
        *alg = CCF_JWE_ECDH_ES_A256KW;
    } else if (strcmp(as, ALG_RSA) == 0 || (rsa_oaep_sha1 && strcmp(as, ALG_RSA_SHA1) == 0)) {
        if (!jose_is_rsa(priv))
            return ccf_errf(err, errsz, CCF_ERR_DENIED,
                            "JWE: alg %s but the private key is not RSA", as);
        if (json_object_get(hdr, "epk") != NULL)
            return ccf_errf(err, errsz, CCF_ERR_INVALID, "JWE: %s with an \"epk\"", as);
        *alg = strcmp(as, ALG_RSA) == 0 ? CCF_JWE_RSA_OAEP_256 : CCF_JWE_RSA_OAEP;
    } else {
        return ccf_errf(err, errsz, CCF_ERR_UNSUPPORTED,
                        "JWE: alg \"%.40s\" not supported (ECDH-ES+A256KW, RSA-OAEP-256)", as);
    }
    return CCF_OK;
}

/* The per-recipient unprotected "header" of the flattened form (jwcrypto
 * puts epk there; Trustee puts everything in the protected header): only epk,
 * apu, apv and kid may appear in it — alg, enc and the rest must be
 * integrity-protected — and never a name the protected header has (RFC 7516
 * §7.2.1). They join hdr, the protected header already decoded. A changed
 * epk/apu/apv changes the KEK, so the key unwrap refuses it. */
static ccf_err merge_unprotected(json_t *hdr, const json_t *unprot, char *err, size_t errsz)
{
    static const char *const allowed[] = {"epk", "apu", "apv", "kid"};
    if (unprot == NULL)
        return CCF_OK;
    if (!json_is_object(unprot))
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "JWE: \"header\" is not an object");
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)unprot, key, val) {
        size_t i = 0;
        while (i < 4 && strcmp(key, allowed[i]) != 0)
            i++;
        if (i == 4)
            return ccf_errf(err, errsz, CCF_ERR_UNSUPPORTED,
                            "JWE: \"%.40s\" in the unprotected header (only epk, apu, apv, kid "
                            "may be unprotected)", key);
        if (json_object_get(hdr, key) != NULL)
            return ccf_errf(err, errsz, CCF_ERR_INVALID,
                            "JWE: \"%.40s\" in both the protected and the unprotected header", key);
        if (json_object_set(hdr, key, val) != 0)
            return ccf_errf(err, errsz, CCF_ERR_NOMEM, "JWE: out of memory");
    }
    return CCF_OK;
}

/* The optional apu/apv member: absent → empty. */
static ccf_err party_info(const json_t *hdr, const char *name, uint8_t **out, size_t *len,
                          char *err, size_t errsz)
{
    *out = NULL;
    *len = 0;
    if (json_object_get(hdr, name) == NULL)
        return CCF_OK;
    return jose_b64_member(hdr, name, "JWE protected header", CCF_JOSE_MAX_PARTY_INFO, out, len,
                           err, errsz);
}

static ccf_err jwe_decrypt(const json_t *jwe, EVP_PKEY *priv, bool rsa_oaep_sha1,
                           uint8_t **plaintext, size_t *len, char *err, size_t errsz)
{
    static const char *const members[] = {"protected", "encrypted_key", "iv", "ciphertext",
                                          "tag", "header"};
    ccf_err e = CCF_OK;
    json_t *hdr = NULL;
    EVP_PKEY *epk = NULL;
    uint8_t *hdr_raw = NULL, *ek = NULL, *iv = NULL, *tag = NULL, *ct = NULL, *apu = NULL,
            *apv = NULL, *cek = NULL, *pt = NULL;
    size_t hdr_len = 0, eklen = 0, ivlen = 0, taglen = 0, ctlen = 0, apulen = 0, apvlen = 0;
    size_t ceklen = 0;
    uint8_t kek[32];
    ccf_jwe_alg alg = 0;
    *plaintext = NULL;
    *len = 0;

    if (!json_is_object(jwe))
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "JWE: not a JSON object");
    const char *key;
    const json_t *val;
    json_object_foreach((json_t *)jwe, key, val) {
        size_t i = 0;
        while (i < sizeof members / sizeof members[0] && strcmp(key, members[i]) != 0)
            i++;
        if (i == sizeof members / sizeof members[0]) {
            if (strcmp(key, "aad") == 0 || strcmp(key, "unprotected") == 0 ||
                strcmp(key, "recipients") == 0)
                return ccf_errf(err, errsz, CCF_ERR_UNSUPPORTED,
                                "JWE: member \"%s\" not supported (flattened JSON with only a "
                                "protected header and an optional per-recipient header)", key);
            return ccf_errf(err, errsz, CCF_ERR_INVALID, "JWE: unknown member \"%.60s\"", key);
        }
    }
    const json_t *prot = json_object_get(jwe, "protected");
    if (!json_is_string(prot))
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "JWE: \"protected\" missing or not a string");
    if ((e = jose_b64_member(jwe, "protected", "JWE", CCF_JOSE_MAX_HEADER, &hdr_raw, &hdr_len, err,
                             errsz)) != CCF_OK ||
        (e = jose_parse_object((const char *)hdr_raw, hdr_len, "JWE protected header", &hdr, err,
                               errsz)) != CCF_OK ||
        (e = merge_unprotected(hdr, json_object_get(jwe, "header"), err, errsz)) != CCF_OK ||
        (e = check_header(hdr, priv, rsa_oaep_sha1, &alg, err, errsz)) != CCF_OK)
        goto out;
    if ((e = jose_b64_member(jwe, "iv", "JWE", IV_LEN, &iv, &ivlen, err, errsz)) != CCF_OK ||
        (e = jose_b64_member(jwe, "tag", "JWE", TAG_LEN, &tag, &taglen, err, errsz)) != CCF_OK ||
        (e = jose_b64_member(jwe, "encrypted_key", "JWE", CCF_JOSE_RSA_MAX_BITS / 8, &ek, &eklen,
                             err, errsz)) != CCF_OK ||
        (e = jose_b64_member(jwe, "ciphertext", "JWE", CCF_JOSE_MAX_JSON, &ct, &ctlen, err,
                             errsz)) != CCF_OK)
        goto out;
    if (ivlen != IV_LEN || taglen != TAG_LEN) {
        e = ccf_errf(err, errsz, CCF_ERR_INVALID,
                     "JWE: iv must be %d bytes and tag %d bytes (got %zu and %zu)", IV_LEN,
                     TAG_LEN, ivlen, taglen);
        goto out;
    }
    if ((cek = OPENSSL_secure_malloc(CCF_JOSE_RSA_MAX_BITS / 8)) == NULL) {
        e = ccf_errf(err, errsz, CCF_ERR_NOMEM, "JWE: out of memory");
        goto out;
    }
    if (alg == CCF_JWE_ECDH_ES_A256KW) {
        if (eklen != WRAPPED_LEN) {
            e = ccf_errf(err, errsz, CCF_ERR_INVALID,
                         "JWE: encrypted_key must be %d bytes for ECDH-ES+A256KW (got %zu)",
                         WRAPPED_LEN, eklen);
            goto out;
        }
        const json_t *epk_json = json_object_get(hdr, "epk");
        char sub[200];
        if (epk_json == NULL) {
            e = ccf_errf(err, errsz, CCF_ERR_INVALID, "JWE: ECDH-ES+A256KW without \"epk\"");
            goto out;
        }
        if ((e = ccf_jwk_parse(epk_json, &epk, NULL, sub, sizeof sub)) != CCF_OK) {
            e = ccf_errf(err, errsz, e, "JWE: epk: %s", sub);
            goto out;
        }
        if (!jose_is_p256(epk)) {
            e = ccf_errf(err, errsz, CCF_ERR_INVALID, "JWE: epk is not an EC P-256 key");
            goto out;
        }
        if ((e = party_info(hdr, "apu", &apu, &apulen, err, errsz)) != CCF_OK ||
            (e = party_info(hdr, "apv", &apv, &apvlen, err, errsz)) != CCF_OK ||
            (e = ccf_jose_ecdh_es_derive(priv, epk, ALG_ECDH, apu, apulen, apv, apvlen, kek,
                                         sizeof kek, err, errsz)) != CCF_OK ||
            (e = aes_kw(0, kek, ek, eklen, cek, &ceklen, err, errsz)) != CCF_OK)
            goto out;
    } else {
        if ((int)eklen != EVP_PKEY_get_size(priv)) {
            e = ccf_errf(err, errsz, CCF_ERR_INVALID,
                         "JWE: encrypted_key must be %d bytes for this RSA key (got %zu)",
                         EVP_PKEY_get_size(priv), eklen);
            goto out;
        }
        ceklen = CCF_JOSE_RSA_MAX_BITS / 8;
        if ((e = rsa_oaep(0, priv, alg == CCF_JWE_RSA_OAEP, ek, eklen, cek, &ceklen, err,
                          errsz)) != CCF_OK)
            goto out;
    }
    if (ceklen != CEK_LEN) {
        e = ccf_errf(err, errsz, CCF_ERR_DENIED,
                     "JWE: content encryption key is %zu bytes, A256GCM needs %d", ceklen,
                     CEK_LEN);
        goto out;
    }
    if ((pt = OPENSSL_secure_malloc(ctlen == 0 ? 1 : ctlen)) == NULL) {
        e = ccf_errf(err, errsz, CCF_ERR_NOMEM, "JWE: out of memory for %zu bytes", ctlen);
        goto out;
    }
    /* AAD: ASCII(BASE64URL(UTF8(protected header))), the string as received */
    if ((e = aes_gcm(0, cek, iv, json_string_value(prot), json_string_length(prot), ct, ctlen,
                     pt, tag, err, errsz)) != CCF_OK)
        goto out;
    *plaintext = pt;
    *len = ctlen;
    pt = NULL;
out:
    OPENSSL_cleanse(kek, sizeof kek);
    if (cek != NULL)
        OPENSSL_secure_clear_free(cek, CCF_JOSE_RSA_MAX_BITS / 8);
    if (pt != NULL)
        OPENSSL_secure_clear_free(pt, ctlen == 0 ? 1 : ctlen);
    json_decref(hdr);
    EVP_PKEY_free(epk);
    free(hdr_raw);
    free(ek);
    free(iv);
    free(tag);
    free(ct);
    free(apu);
    free(apv);
    return e;
}

ccf_err ccf_jwe_decrypt(const json_t *jwe, EVP_PKEY *priv, uint8_t **plaintext, size_t *len,
                        char *err, size_t errsz)
{
    return jwe_decrypt(jwe, priv, false, plaintext, len, err, errsz);
}

static ccf_err decrypt_text(const char *json, size_t jsonlen, EVP_PKEY *priv, bool rsa_oaep_sha1,
                            uint8_t **plaintext, size_t *len, char *err, size_t errsz)
{
    json_t *jwe = NULL;
    *plaintext = NULL;
    *len = 0;
    ccf_err e = jose_parse_object(json, jsonlen, "JWE", &jwe, err, errsz);
    if (e != CCF_OK)
        return e;
    e = jwe_decrypt(jwe, priv, rsa_oaep_sha1, plaintext, len, err, errsz);
    json_decref(jwe);
    return e;
}

ccf_err ccf_jwe_decrypt_text(const char *json, size_t jsonlen, EVP_PKEY *priv,
                             uint8_t **plaintext, size_t *len, char *err, size_t errsz)
{
    return decrypt_text(json, jsonlen, priv, false, plaintext, len, err, errsz);
}

ccf_err ccf_jwe_decrypt_text_oaep_sha1(const char *json, size_t jsonlen, EVP_PKEY *priv,
                                       uint8_t **plaintext, size_t *len, char *err, size_t errsz)
{
    return decrypt_text(json, jsonlen, priv, true, plaintext, len, err, errsz);
}
