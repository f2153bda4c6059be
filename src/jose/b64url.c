/* base64url without padding (RFC 4648 §5; RFC 7515 §2), strict decoding. */
#include <stdlib.h>
#include <string.h>

#include "jose/jose.h"

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t ccf_b64url_encoded_len(size_t n)
{
    return n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

char *ccf_b64url_encode(const void *data, size_t len)
{
    const uint8_t *in = data;
    if (len > (SIZE_MAX - 1) / 4 * 3)
        return NULL;
    size_t n = ccf_b64url_encoded_len(len);
    char *out = malloc(n + 1);
    if (out == NULL)
        return NULL;
    size_t o = 0, i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = b64url_alphabet[v >> 18 & 63];
        out[o++] = b64url_alphabet[v >> 12 & 63];
        out[o++] = b64url_alphabet[v >> 6 & 63];
        out[o++] = b64url_alphabet[v & 63];
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = b64url_alphabet[v >> 18 & 63];
        out[o++] = b64url_alphabet[v >> 12 & 63];
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = b64url_alphabet[v >> 18 & 63];
        out[o++] = b64url_alphabet[v >> 12 & 63];
        out[o++] = b64url_alphabet[v >> 6 & 63];
    }
    out[o] = '\0';
    return out;
}

/* The 6-bit value of c, or -1 when c is not in the alphabet. */
static int b64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

ccf_err ccf_b64url_decode(const char *in, size_t inlen, uint8_t *out, size_t outcap,
                          size_t *outlen, char *err, size_t errsz)
{
    *outlen = 0;
    if (inlen % 4 == 1)
        return ccf_errf(err, errsz, CCF_ERR_INVALID,
                        "base64url: length %zu is not a possible encoding", inlen);
    size_t need = inlen / 4 * 3 + (inlen % 4 == 0 ? 0 : inlen % 4 - 1);
    if (need > outcap)
        return ccf_errf(err, errsz, CCF_ERR_TOO_LARGE,
                        "base64url: decodes to %zu bytes, more than the %zu allowed", need, outcap);
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < inlen; i++) {
        int v = b64url_value((unsigned char)in[i]);
        if (v < 0) {
            unsigned char c = (unsigned char)in[i];
            if (c == '=')
                return ccf_errf(err, errsz, CCF_ERR_INVALID,
                                "base64url: padding '=' at offset %zu (JOSE uses none)", i);
            return ccf_errf(err, errsz, CCF_ERR_INVALID,
                            "base64url: byte 0x%02x at offset %zu is not in the alphabet", c, i);
        }
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0)
        return ccf_errf(err, errsz, CCF_ERR_INVALID,
                        "base64url: non-zero unused bits in the last character (not canonical)");
    *outlen = o;
    return CCF_OK;
}

ccf_err ccf_b64url_decode_alloc(const char *in, size_t inlen, size_t max, uint8_t **out,
                                size_t *outlen, char *err, size_t errsz)
{
    *out = NULL;
    *outlen = 0;
    size_t need = inlen / 4 * 3 + 3;
    if (need > max + 3)
        need = max + 3; /* decode reports TOO_LARGE against max itself */
    uint8_t *buf = malloc(need + 1);
    if (buf == NULL)
        return ccf_errf(err, errsz, CCF_ERR_NOMEM, "base64url: out of memory");
    ccf_err e = ccf_b64url_decode(in, inlen, buf, max, outlen, err, errsz);
    if (e != CCF_OK) {
        free(buf);
        return e;
    }
    buf[*outlen] = 0;
    *out = buf;
    return CCF_OK;
}
