#include "common/crypto.h"

#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

bool ccf_sha256(const void *data, size_t len, uint8_t out[CCF_SHA256_LEN])
{
    unsigned int n = 0;
    return EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) == 1 && n == CCF_SHA256_LEN;
}

bool ccf_sha256_hex(const void *data, size_t len, char out[CCF_SHA256_HEX_LEN + 1])
{
    uint8_t md[CCF_SHA256_LEN];
    if (!ccf_sha256(data, len, md))
        return false;
    ccf_hex_encode(md, sizeof md, out);
    return true;
}

void ccf_hex_encode(const uint8_t *in, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 0xf];
    }
    out[2 * len] = '\0';
}

bool ccf_is_hex(const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return false;
    }
    return s[i] == '\0';
}

bool ccf_ct_equal(const void *a, const void *b, size_t len)
{
    return CRYPTO_memcmp(a, b, len) == 0;
}

bool ccf_aes256gcm(bool encrypt, const uint8_t key[CCF_GCM_KEY_LEN],
                   const uint8_t iv[CCF_GCM_IV_LEN], const void *aad, size_t aadlen,
                   const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[CCF_GCM_TAG_LEN])
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int enc = encrypt ? 1 : 0, n = 0;
    bool ok = c != NULL && aadlen <= INT_MAX &&
              EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) == 1 &&
              EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, CCF_GCM_IV_LEN, NULL) == 1 &&
              EVP_CipherInit_ex(c, NULL, NULL, key, iv, enc) == 1 &&
              (aadlen == 0 || EVP_CipherUpdate(c, NULL, &n, aad, (int)aadlen) == 1);
    /* in chunks: EVP's lengths are int */
    for (size_t off = 0; ok && off < len;) {
        size_t chunk = len - off > (1u << 30) ? (1u << 30) : len - off;
        ok = EVP_CipherUpdate(c, out + off, &n, in + off, (int)chunk) == 1 && (size_t)n == chunk;
        off += chunk;
    }
    if (ok && !encrypt)
        ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, CCF_GCM_TAG_LEN, tag) == 1;
    ok = ok && EVP_CipherFinal_ex(c, out + len, &n) == 1;
    if (ok && encrypt)
        ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, CCF_GCM_TAG_LEN, tag) == 1;
    EVP_CIPHER_CTX_free(c);
    return ok;
}

ccf_err ccf_base64_decode(const char *s, size_t n, uint8_t **out, size_t *len, char *why,
                          size_t why_size)
{
    size_t pad = 0;
    *out = NULL;
    *len = 0;
    if (n % 4 != 0)
        return ccf_errf(why, why_size, CCF_ERR_INVALID,
                        "expected standard base64 (length a multiple of 4), got %zu characters", n);
    if (n > (size_t)INT_MAX)
        return ccf_errf(why, why_size, CCF_ERR_INVALID, "%zu characters of base64: too long", n);
    while (pad < 2 && pad < n && s[n - 1 - pad] == '=')
        pad++;
    for (size_t i = 0; i < n - pad; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/'))
            return ccf_errf(why, why_size, CCF_ERR_INVALID,
                            "character %zu is not standard base64", i);
    }
    uint8_t *buf = malloc(n / 4 * 3 + 1);
    if (buf == NULL)
        return ccf_errf(why, why_size, CCF_ERR_NOMEM, "out of memory");
    int got = n > 0 ? EVP_DecodeBlock(buf, (const unsigned char *)s, (int)n) : 0;
    if (got < 0 || (size_t)got < pad) {
        free(buf);
        return ccf_errf(why, why_size, CCF_ERR_INVALID, "bad base64");
    }
    *len = (size_t)got - pad; /* EVP_DecodeBlock counts padding as zero bytes */
    buf[*len] = '\0';
    *out = buf;
    return CCF_OK;
}
