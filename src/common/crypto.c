#include "common/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
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
