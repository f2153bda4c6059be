/* The work-order protocol's cryptographic primitives (proto.h; each rule and
 * its source in Avalon: docs/workorders.md). */
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "workorder/proto.h"

bool ccf_wo_unwrap_key(EVP_PKEY *rsa, const char *hex, bool sha256, uint8_t key[CCF_WO_KEY_LEN])
{
    uint8_t wrapped[1024], out[1024];
    size_t wlen, olen = sizeof out;
    const EVP_MD *md = sha256 ? EVP_sha256() : EVP_sha1();
    EVP_PKEY_CTX *pc = NULL;
    bool ok;

    if (hex == NULL || !ccf_wo_unhex(hex, wrapped, sizeof wrapped, &wlen))
        return false;
    ok = (pc = EVP_PKEY_CTX_new(rsa, NULL)) != NULL && EVP_PKEY_decrypt_init(pc) == 1 &&
         EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_OAEP_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_oaep_md(pc, md) == 1 && EVP_PKEY_CTX_set_rsa_mgf1_md(pc, md) == 1 &&
         EVP_PKEY_decrypt(pc, out, &olen, wrapped, wlen) == 1 && olen == CCF_WO_KEY_LEN;
    if (ok)
        memcpy(key, out, CCF_WO_KEY_LEN);
    OPENSSL_cleanse(out, sizeof out);
    EVP_PKEY_CTX_free(pc);
    ERR_clear_error();
    return ok;
}

bool ccf_wo_open(const uint8_t key[CCF_WO_KEY_LEN], const uint8_t *iv, const uint8_t *in,
                 size_t len, uint8_t **out, size_t *out_len)
{
    uint8_t tag[CCF_WO_TAG_LEN];
    *out = NULL;
    if (iv == NULL) { /* Avalon's decrypt_data(iv=None): the IV comes first */
        if (len < CCF_WO_IV_LEN)
            return false;
        iv = in;
        in += CCF_WO_IV_LEN;
        len -= CCF_WO_IV_LEN;
    }
    if (len < CCF_WO_TAG_LEN)
        return false;
    len -= CCF_WO_TAG_LEN;
    memcpy(tag, in + len, CCF_WO_TAG_LEN);
    if ((*out = malloc(len + 1)) == NULL)
        return false;
    if (!ccf_aes256gcm(false, key, iv, NULL, 0, in, len, *out, tag)) {
        OPENSSL_cleanse(*out, len);
        free(*out);
        *out = NULL;
        return false;
    }
    *out_len = len;
    return true;
}

char *ccf_wo_seal_b64(const uint8_t key[CCF_WO_KEY_LEN], const uint8_t *iv, const uint8_t *in,
                      size_t len)
{
    size_t off = iv == NULL ? CCF_WO_IV_LEN : 0;
    uint8_t *buf = malloc(off + len + CCF_WO_TAG_LEN), fresh[CCF_WO_IV_LEN];
    char *out = NULL;
    if (buf == NULL)
        return NULL;
    if (iv == NULL) { /* Avalon's encrypt_data(iv=None): a random IV, prepended */
        if (RAND_bytes(fresh, sizeof fresh) != 1)
            goto out;
        memcpy(buf, fresh, sizeof fresh);
        iv = fresh;
    }
    if (ccf_aes256gcm(true, key, iv, NULL, 0, in, len, buf + off, buf + off + len))
        out = ccf_wo_b64(buf, off + len + CCF_WO_TAG_LEN);
out:
    free(buf);
    return out;
}

bool ccf_wo_sign_digest(EVP_PKEY *key, const uint8_t digest[32], uint8_t *sig, size_t *sig_len)
{
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(key, NULL);
    bool ok = pc != NULL && EVP_PKEY_sign_init(pc) == 1 &&
              EVP_PKEY_sign(pc, sig, sig_len, digest, 32) == 1;
    EVP_PKEY_CTX_free(pc);
    ERR_clear_error();
    return ok;
}

char *ccf_wo_b64(const uint8_t *in, size_t len)
{
    char *out = len <= SIZE_MAX / 2 ? malloc(4 * ((len + 2) / 3) + 1) : NULL;
    if (out != NULL && len <= INT32_MAX)
        EVP_EncodeBlock((unsigned char *)out, in, (int)len);
    else if (out != NULL)
        out[0] = '\0';
    return out;
}

bool ccf_wo_unb64(const char *in, uint8_t **out, size_t *out_len)
{
    size_t n = strlen(in);
    EVP_ENCODE_CTX *ctx = EVP_ENCODE_CTX_new();
    int a = 0, b = 0;
    bool ok = false;
    *out = n <= INT32_MAX ? malloc(n / 4 * 3 + 3) : NULL;
    if (ctx == NULL || *out == NULL)
        goto out;
    EVP_DecodeInit(ctx);
    if (EVP_DecodeUpdate(ctx, *out, &a, (const unsigned char *)in, (int)n) < 0 ||
        EVP_DecodeFinal(ctx, *out + a, &b) != 1)
        goto out;
    *out_len = (size_t)a + (size_t)b;
    ok = true;
out:
    EVP_ENCODE_CTX_free(ctx);
    if (!ok) {
        free(*out);
        *out = NULL;
    }
    return ok;
}

char *ccf_wo_hex_upper(const uint8_t *in, size_t len)
{
    static const char digits[] = "0123456789ABCDEF";
    char *out = len < SIZE_MAX / 2 ? malloc(2 * len + 1) : NULL;
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = '\0';
    return out;
}

char *ccf_wo_wrap_key(EVP_PKEY *rsa, const uint8_t key[CCF_WO_KEY_LEN], bool sha256)
{
    uint8_t out[1024];
    size_t olen = sizeof out;
    const EVP_MD *md = sha256 ? EVP_sha256() : EVP_sha1();
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(rsa, NULL);
    char *hex = NULL;
    if (pc != NULL && EVP_PKEY_encrypt_init(pc) == 1 &&
        EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_OAEP_PADDING) == 1 &&
        EVP_PKEY_CTX_set_rsa_oaep_md(pc, md) == 1 && EVP_PKEY_CTX_set_rsa_mgf1_md(pc, md) == 1 &&
        EVP_PKEY_encrypt(pc, out, &olen, key, CCF_WO_KEY_LEN) == 1)
        hex = ccf_wo_hex_upper(out, olen);
    EVP_PKEY_CTX_free(pc);
    ERR_clear_error();
    return hex;
}

bool ccf_wo_verify_digest(EVP_PKEY *key, const uint8_t digest[32], const uint8_t *sig,
                          size_t sig_len)
{
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(key, NULL);
    bool ok = pc != NULL && EVP_PKEY_verify_init(pc) == 1 &&
              EVP_PKEY_verify(pc, sig, sig_len, digest, 32) == 1;
    EVP_PKEY_CTX_free(pc);
    ERR_clear_error();
    return ok;
}
