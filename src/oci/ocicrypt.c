/* Opening ocicrypt layers (ocicrypt.h). */
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/crypto.h"
#include "jose/jose.h"
#include "oci/oci.h"
#include "oci/ocicrypt.h"

#define MAX_ANNOTATION (64u * 1024u)

void ccf_ocicrypt_keys_clear(ccf_ocicrypt_keys *keys)
{
    if (keys != NULL)
        OPENSSL_cleanse(keys, sizeof *keys);
}

/* Standard base64 (with padding) of exactly want bytes (want 0: any, up to cap) into out. */
static bool b64_exact(const char *s, size_t n, uint8_t *out, size_t want, size_t cap,
                      size_t *got_len)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    char why[96];
    if (n == 0 || n > MAX_ANNOTATION || ccf_base64_decode(s, n, &buf, &len, why, sizeof why) != CCF_OK)
        return false;
    bool ok = want ? len == want : len <= cap;
    if (ok) {
        memcpy(out, buf, len);
        if (got_len != NULL)
            *got_len = len;
    }
    OPENSSL_cleanse(buf, len);
    free(buf);
    return ok;
}

/* A JSON object whose members are all in `allowed` (NULL-terminated). */
static bool members_ok(const json_t *o, const char *const *allowed, const char **bad)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)o, key, v) {
        bool known = false;
        for (size_t i = 0; allowed[i] != NULL; i++)
            known |= strcmp(key, allowed[i]) == 0;
        if (!known) {
            *bad = key;
            return false;
        }
    }
    return true;
}

ccf_err ccf_ocicrypt_pubopts_parse(const char *b64, ccf_ocicrypt_keys *keys, char *err,
                                   size_t err_size)
{
    static const char *const allowed[] = {"cipher", "hmac", "cipheroptions", NULL};
    uint8_t text[4096];
    size_t len = 0;
    const char *bad = NULL;
    ccf_err rc = CCF_ERR_INVALID;
    json_t *o = NULL;
    if (b64 == NULL || !b64_exact(b64, strlen(b64), text, 0, sizeof text - 1, &len))
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "%s: expected standard base64 of JSON",
                        CCF_OCICRYPT_ANNOTATION_PUBOPTS);
    o = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, NULL);
    const char *cipher = json_string_value(json_object_get(o, "cipher"));
    const char *hmac = json_string_value(json_object_get(o, "hmac"));
    const json_t *co = json_object_get(o, "cipheroptions");
    if (!json_is_object(o) || !members_ok(o, allowed, &bad))
        ccf_errf(err, err_size, rc, "%s: %s%s", CCF_OCICRYPT_ANNOTATION_PUBOPTS,
                 bad ? "unknown member " : "not a JSON object", bad ? bad : "");
    else if (cipher == NULL || strcmp(cipher, CCF_OCICRYPT_CIPHER) != 0)
        ccf_errf(err, err_size, rc, "%s.cipher: \"%.40s\" is not supported (only %s)",
                 CCF_OCICRYPT_ANNOTATION_PUBOPTS, cipher ? cipher : "", CCF_OCICRYPT_CIPHER);
    else if (hmac == NULL || !b64_exact(hmac, strlen(hmac), keys->hmac, 32, 32, NULL))
        ccf_errf(err, err_size, rc, "%s.hmac: expected base64 of 32 bytes",
                 CCF_OCICRYPT_ANNOTATION_PUBOPTS);
    else if (co != NULL && (!json_is_object(co) || json_object_size(co) != 0))
        ccf_errf(err, err_size, rc, "%s.cipheroptions: expected {} (the nonce is private)",
                 CCF_OCICRYPT_ANNOTATION_PUBOPTS);
    else
        rc = CCF_OK;
    json_decref(o);
    return rc;
}

ccf_err ccf_ocicrypt_privopts_parse(const uint8_t *json, size_t len, ccf_ocicrypt_keys *keys,
                                    char *err, size_t err_size)
{
    static const char *const allowed[] = {"symkey", "digest", "cipheroptions", NULL};
    static const char *const co_allowed[] = {"nonce", NULL};
    const char *bad = NULL;
    ccf_err rc = CCF_ERR_INVALID;
    json_t *o = json_loadb((const char *)json, len, JSON_REJECT_DUPLICATES, NULL);
    const char *symkey = json_string_value(json_object_get(o, "symkey"));
    const char *digest = json_string_value(json_object_get(o, "digest"));
    const json_t *co = json_object_get(o, "cipheroptions");
    const char *nonce = json_string_value(json_object_get(co, "nonce"));
    if (!json_is_object(o) || !members_ok(o, allowed, &bad) ||
        (json_is_object(co) && !members_ok(co, co_allowed, &bad)))
        ccf_errf(err, err_size, rc, "private layer options: %s%s",
                 bad ? "unknown member " : "not a JSON object", bad ? bad : "");
    else if (symkey == NULL || !b64_exact(symkey, strlen(symkey), keys->symkey, 32, 32, NULL))
        ccf_errf(err, err_size, rc, "private layer options: symkey: expected base64 of 32 bytes");
    else if (nonce == NULL || !b64_exact(nonce, strlen(nonce), keys->nonce, 16, 16, NULL))
        ccf_errf(err, err_size, rc, "private layer options: cipheroptions.nonce: expected "
                 "base64 of 16 bytes");
    else if (digest == NULL || strncmp(digest, "sha256:", 7) != 0 || strlen(digest) != 71 ||
             strspn(digest + 7, "0123456789abcdef") != 64)
        ccf_errf(err, err_size, rc, "private layer options: digest: expected sha256: and 64 "
                 "lower-case hex digits");
    else {
        memcpy(keys->digest, digest, 72);
        rc = CCF_OK;
    }
    json_decref(o); /* the symkey's text goes with it: jansson does not wipe */
    return rc;
}

ccf_err ccf_ocicrypt_unwrap(const char *jwe_annotation, const char *pubopts, EVP_PKEY *priv,
                            ccf_ocicrypt_keys *keys, char *err, size_t err_size)
{
    char last[300] = "no JWE in the annotation";
    ccf_err rc = CCF_ERR_DENIED;
    size_t n = jwe_annotation ? strlen(jwe_annotation) : 0;
    if (n == 0 || n > MAX_ANNOTATION)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "%s: missing or over %u bytes",
                        CCF_OCICRYPT_ANNOTATION_JWE, MAX_ANNOTATION);
    memset(keys, 0, sizeof *keys);
    /* one base64 JWE per key wrapping, comma separated: the first that opens */
    for (const char *p = jwe_annotation; *p && rc != CCF_OK;) {
        size_t k = strcspn(p, ",");
        uint8_t *jwe = malloc(k / 4 * 3 + 4), *plain = NULL;
        size_t jl = 0, pl = 0;
        if (jwe == NULL)
            return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
        if (!b64_exact(p, k, jwe, 0, k / 4 * 3 + 3, &jl))
            snprintf(last, sizeof last, "%s: an entry is not standard base64",
                     CCF_OCICRYPT_ANNOTATION_JWE);
        else if (ccf_jwe_decrypt_text_oaep_sha1((const char *)jwe, jl, priv, &plain, &pl, last,
                                                sizeof last) == CCF_OK)
            rc = ccf_ocicrypt_privopts_parse(plain, pl, keys, last, sizeof last);
        ccf_jose_secret_free(plain, pl);
        free(jwe);
        p += k;
        if (*p == ',')
            p++;
    }
    if (rc != CCF_OK) {
        ccf_ocicrypt_keys_clear(keys);
        return ccf_errf(err, err_size, rc == CCF_ERR_INVALID ? rc : CCF_ERR_DENIED,
                        "the layer key does not open with this private key: %s", last);
    }
    if ((rc = ccf_ocicrypt_pubopts_parse(pubopts, keys, err, err_size)) != CCF_OK)
        ccf_ocicrypt_keys_clear(keys);
    return rc;
}

ccf_err ccf_ocicrypt_open_in_place(uint8_t *buf, size_t len, const ccf_ocicrypt_keys *keys,
                                   char *err, size_t err_size)
{
    uint8_t mac[32];
    unsigned int mac_len = 0;
    char hex[CCF_SHA256_HEX_LEN + 1];
    EVP_CIPHER_CTX *ctx = NULL;
    int outl = 0;
    ccf_err rc = CCF_OK;
    if (len > (size_t)INT32_MAX)
        return ccf_errf(err, err_size, CCF_ERR_TOO_LARGE, "layer too large");
    /* encrypt-then-MAC: the HMAC first, so that nothing of a changed blob is decrypted */
    if (HMAC(EVP_sha256(), keys->symkey, sizeof keys->symkey, buf, len, mac, &mac_len) == NULL ||
        mac_len != sizeof mac)
        return ccf_errf(err, err_size, CCF_ERR_CRYPTO, "HMAC-SHA256 failed");
    if (CRYPTO_memcmp(mac, keys->hmac, sizeof mac) != 0)
        return ccf_errf(err, err_size, CCF_ERR_DENIED, "the layer's HMAC does not verify (a "
                        "changed byte, or another layer's key)");
    /* CTR: decrypting in place needs no second buffer of the layer's size */
    if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    if (EVP_DecryptInit_ex(ctx, EVP_aes_256_ctr(), NULL, keys->symkey, keys->nonce) != 1 ||
        EVP_DecryptUpdate(ctx, buf, &outl, buf, (int)len) != 1 || (size_t)outl != len) {
        rc = ccf_errf(err, err_size, CCF_ERR_CRYPTO, "AES-256-CTR failed");
        goto out;
    }
    if (!ccf_sha256_hex(buf, len, hex) || strcmp(hex, keys->digest + 7) != 0)
        rc = ccf_errf(err, err_size, CCF_ERR_DENIED, "the decrypted layer hashes to sha256:%s, "
                      "not the %s its key names", hex, keys->digest);
out:
    if (rc != CCF_OK)
        OPENSSL_cleanse(buf, len);
    EVP_CIPHER_CTX_free(ctx);
    return rc;
}

ccf_err ccf_ocicrypt_layer_open(uint8_t *blob, size_t len, const char *keys_jwe,
                                const char *pubopts, EVP_PKEY *priv, const char *diff_id_hex,
                                size_t max, char *err, size_t err_size)
{
    ccf_ocicrypt_keys keys;
    char hex[CCF_SHA256_HEX_LEN + 1];
    ccf_err rc = ccf_ocicrypt_unwrap(keys_jwe, pubopts, priv, &keys, err, err_size);
    if (rc != CCF_OK)
        return rc;
    rc = ccf_ocicrypt_open_in_place(blob, len, &keys, err, err_size);
    ccf_ocicrypt_keys_clear(&keys);
    if (rc != CCF_OK)
        return rc;
    /* the diff_id: what the image's config names, so the platform can pin it */
    if ((rc = ccf_oci_layer_diff_id(blob, len, max, hex, err, err_size)) == CCF_OK &&
        strcasecmp(hex, diff_id_hex) != 0)
        rc = ccf_errf(err, err_size, CCF_ERR_DENIED, "the layer's tar hashes to sha256:%s, not "
                      "the diff_id sha256:%s", hex, diff_id_hex);
    if (rc != CCF_OK)
        OPENSSL_cleanse(blob, len);
    return rc;
}
