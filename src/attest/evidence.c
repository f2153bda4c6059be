/* `linux` platform evidence (see evidence.h). DEVELOPMENT ONLY: no TEE. */
#include "attest/evidence.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attest/pki.h"

#define TBS_LEN (sizeof CCF_EVIDENCE_FORMAT + 3 * CCF_SHA256_LEN) /* includes the NUL */

bool ccf_attest_hex_decode(const char *hex, uint8_t *out, size_t n)
{
    if (hex == NULL || !ccf_is_hex(hex, 2 * n))
        return false;
    for (size_t i = 0; i < n; i++) {
        uint8_t v = 0;
        for (int k = 0; k < 2; k++) {
            char c = hex[2 * i + (size_t)k];
            uint8_t d = (uint8_t)(c >= '0' && c <= '9'   ? c - '0'
                                  : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                                         : c - 'A' + 10);
            v = (uint8_t)(v << 4 | d);
        }
        out[i] = v;
    }
    return true;
}

bool ccf_evidence_report_data(const uint8_t *pub_der, size_t pub_len,
                              const uint8_t policy_hash[CCF_SHA256_LEN], const uint8_t *nonce,
                              size_t nonce_len, const uint8_t launch_hash[CCF_SHA256_LEN],
                              uint8_t out[CCF_SHA256_LEN])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int n = 0;
    bool ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
              EVP_DigestUpdate(ctx, pub_der, pub_len) == 1 &&
              EVP_DigestUpdate(ctx, policy_hash, CCF_SHA256_LEN) == 1 &&
              EVP_DigestUpdate(ctx, nonce, nonce_len) == 1 &&
              EVP_DigestUpdate(ctx, launch_hash, CCF_SHA256_LEN) == 1 &&
              EVP_DigestFinal_ex(ctx, out, &n) == 1 && n == CCF_SHA256_LEN;
    EVP_MD_CTX_free(ctx);
    return ok;
}

bool ccf_evidence_key_id(const EVP_PKEY *platform_key, uint8_t out[CCF_SHA256_LEN])
{
    uint8_t *der = NULL;
    size_t len = 0;
    if (ccf_pki_pub_der(platform_key, &der, &len) != CCF_OK)
        return false;
    bool ok = ccf_sha256(der, len, out);
    free(der);
    return ok;
}

static void tbs(const ccf_evidence *ev, uint8_t out[TBS_LEN])
{
    size_t off = sizeof CCF_EVIDENCE_FORMAT;
    memcpy(out, CCF_EVIDENCE_FORMAT, off); /* with its NUL */
    memcpy(out + off, ev->measurement, CCF_SHA256_LEN);
    memcpy(out + off + CCF_SHA256_LEN, ev->report_data, CCF_SHA256_LEN);
    memcpy(out + off + 2 * CCF_SHA256_LEN, ev->platform_key_id, CCF_SHA256_LEN);
}

ccf_err ccf_evidence_create(EVP_PKEY *platform_key, const uint8_t measurement[CCF_SHA256_LEN],
                            const uint8_t *pub_der, size_t pub_len,
                            const uint8_t policy_hash[CCF_SHA256_LEN], const uint8_t *nonce,
                            size_t nonce_len, const uint8_t launch_hash[CCF_SHA256_LEN],
                            ccf_evidence *out, char *err, size_t err_size)
{
    EVP_MD_CTX *ctx = NULL;
    uint8_t msg[TBS_LEN];
    ccf_err rc = CCF_OK;
    memset(out, 0, sizeof *out);
    if (!ccf_pki_key_is_p256(platform_key))
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "the platform key must be a P-256 key");
    memcpy(out->measurement, measurement, CCF_SHA256_LEN);
    if (!ccf_evidence_report_data(pub_der, pub_len, policy_hash, nonce, nonce_len, launch_hash,
                                  out->report_data) ||
        !ccf_evidence_key_id(platform_key, out->platform_key_id))
        return ccf_errf(err, err_size, CCF_ERR_CRYPTO, "hashing failed");
    tbs(out, msg);
    size_t sig_len = sizeof out->signature;
    if ((ctx = EVP_MD_CTX_new()) == NULL ||
        EVP_DigestSignInit_ex(ctx, NULL, "SHA256", NULL, NULL, platform_key, NULL) != 1 ||
        EVP_DigestSign(ctx, out->signature, &sig_len, msg, sizeof msg) != 1) {
        rc = ccf_errf(err, err_size, CCF_ERR_CRYPTO, "signing the evidence failed");
        goto out;
    }
    out->signature_len = sig_len;
out:
    ERR_clear_error();
    EVP_MD_CTX_free(ctx);
    return rc;
}

/* --- base64 (standard alphabet, padded, canonical) --- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void b64_encode(const uint8_t *in, size_t len, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < len)
            v |= in[i + 2];
        out[o++] = b64[v >> 18 & 63];
        out[o++] = b64[v >> 12 & 63];
        out[o++] = i + 1 < len ? b64[v >> 6 & 63] : '=';
        out[o++] = i + 2 < len ? b64[v & 63] : '=';
    }
    out[o] = '\0';
}

static int b64_value(char c)
{
    const char *p = c ? strchr(b64, c) : NULL;
    return p ? (int)(p - b64) : -1;
}

/* Strict decode into out (cap bytes); false on any non-canonical input. */
static bool b64_decode(const char *in, size_t in_len, uint8_t *out, size_t cap, size_t *out_len)
{
    size_t o = 0;
    if (in_len == 0 || in_len % 4 != 0)
        return false;
    for (size_t i = 0; i < in_len; i += 4) {
        int v[4];
        size_t pad = 0;
        for (int k = 0; k < 4; k++) {
            char c = in[i + (size_t)k];
            if (c == '=' && i + 4 == in_len && k >= 2) {
                v[k] = 0;
                pad++;
            } else if (pad > 0 || (v[k] = b64_value(c)) < 0) {
                return false;
            }
        }
        uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        size_t n = 3 - pad;
        /* canonical: the bits dropped by padding must be zero */
        if ((pad == 1 && (w & 0xff) != 0) || (pad == 2 && (w & 0xffff) != 0))
            return false;
        if (o + n > cap)
            return false;
        out[o++] = (uint8_t)(w >> 16);
        if (n > 1)
            out[o++] = (uint8_t)(w >> 8);
        if (n > 2)
            out[o++] = (uint8_t)w;
    }
    *out_len = o;
    return true;
}

json_t *ccf_evidence_to_json(const ccf_evidence *ev)
{
    char m[CCF_SHA256_HEX_LEN + 1], r[CCF_SHA256_HEX_LEN + 1], k[CCF_SHA256_HEX_LEN + 1];
    char sig[(CCF_EVIDENCE_MAX_SIG + 2) / 3 * 4 + 1];
    if (ev->signature_len > CCF_EVIDENCE_MAX_SIG)
        return NULL;
    ccf_hex_encode(ev->measurement, CCF_SHA256_LEN, m);
    ccf_hex_encode(ev->report_data, CCF_SHA256_LEN, r);
    ccf_hex_encode(ev->platform_key_id, CCF_SHA256_LEN, k);
    b64_encode(ev->signature, ev->signature_len, sig);
    return json_pack("{s:s,s:s,s:s,s:s,s:s}", "format", CCF_EVIDENCE_FORMAT, "measurement", m,
                     "report_data", r, "platform_key_id", k, "signature", sig);
}

ccf_err ccf_evidence_encode(const ccf_evidence *ev, char **text)
{
    json_t *v = ccf_evidence_to_json(ev);
    *text = v ? json_dumps(v, JSON_COMPACT) : NULL;
    json_decref(v);
    return *text ? CCF_OK : CCF_ERR_NOMEM;
}

static const char *member_str(const json_t *obj, const char *key, char *err, size_t err_size)
{
    const json_t *v = json_object_get(obj, key);
    if (v == NULL) {
        ccf_errf(err, err_size, CCF_ERR_INVALID, "evidence: missing \"%s\"", key);
        return NULL;
    }
    if (!json_is_string(v)) {
        ccf_errf(err, err_size, CCF_ERR_INVALID, "evidence.%s: expected a string", key);
        return NULL;
    }
    return json_string_value(v);
}

static ccf_err member_hex32(const json_t *obj, const char *key, uint8_t out[CCF_SHA256_LEN],
                            char *err, size_t err_size)
{
    const char *s = member_str(obj, key, err, err_size);
    if (s == NULL)
        return CCF_ERR_INVALID;
    if (json_string_length(json_object_get(obj, key)) != CCF_SHA256_HEX_LEN ||
        !ccf_attest_hex_decode(s, out, CCF_SHA256_LEN))
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "evidence.%s: expected 64 hex digits", key);
    return CCF_OK;
}

ccf_err ccf_evidence_from_json(const json_t *obj, ccf_evidence *out, char *err, size_t err_size)
{
    static const char *const keys[] = {"format", "measurement", "report_data", "platform_key_id",
                                       "signature"};
    const char *key;
    const json_t *value;
    ccf_err rc;
    memset(out, 0, sizeof *out);
    if (!json_is_object(obj))
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "evidence: expected a JSON object");
    json_object_foreach((json_t *)obj, key, value) {
        bool known = false;
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
            known = known || strcmp(key, keys[i]) == 0;
        if (!known)
            return ccf_errf(err, err_size, CCF_ERR_INVALID, "evidence: unknown member \"%.64s\"",
                            key);
    }
    const char *format = member_str(obj, "format", err, err_size);
    if (format == NULL)
        return CCF_ERR_INVALID;
    if (json_string_length(json_object_get(obj, "format")) != strlen(CCF_EVIDENCE_FORMAT) ||
        strcmp(format, CCF_EVIDENCE_FORMAT) != 0)
        return ccf_errf(err, err_size, CCF_ERR_INVALID,
                        "evidence.format: expected \"" CCF_EVIDENCE_FORMAT "\"");
    if ((rc = member_hex32(obj, "measurement", out->measurement, err, err_size)) != CCF_OK ||
        (rc = member_hex32(obj, "report_data", out->report_data, err, err_size)) != CCF_OK ||
        (rc = member_hex32(obj, "platform_key_id", out->platform_key_id, err, err_size)) != CCF_OK)
        return rc;
    const char *sig = member_str(obj, "signature", err, err_size);
    if (sig == NULL)
        return CCF_ERR_INVALID;
    size_t sig_chars = json_string_length(json_object_get(obj, "signature"));
    if (sig_chars != strlen(sig) ||
        !b64_decode(sig, sig_chars, out->signature, sizeof out->signature, &out->signature_len))
        return ccf_errf(err, err_size, CCF_ERR_INVALID,
                        "evidence.signature: expected base64 of at most %d bytes",
                        CCF_EVIDENCE_MAX_SIG);
    return CCF_OK;
}

ccf_err ccf_evidence_parse(const char *text, size_t len, ccf_evidence *out, char *err,
                           size_t err_size)
{
    json_error_t jerr;
    memset(out, 0, sizeof *out);
    if (len > CCF_EVIDENCE_MAX_TEXT)
        return ccf_errf(err, err_size, CCF_ERR_TOO_LARGE, "evidence larger than %d bytes",
                        CCF_EVIDENCE_MAX_TEXT);
    json_t *v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (v == NULL)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "evidence: not JSON: line %d column %d: %s",
                        jerr.line, jerr.column, jerr.text);
    ccf_err rc = ccf_evidence_from_json(v, out, err, err_size);
    json_decref(v);
    return rc;
}

ccf_err ccf_evidence_verify(const ccf_evidence *ev, EVP_PKEY *platform_pub, char *err,
                            size_t err_size)
{
    uint8_t id[CCF_SHA256_LEN], msg[TBS_LEN];
    EVP_MD_CTX *ctx = NULL;
    ccf_err rc = CCF_ERR_DENIED;
    if (ev->signature_len == 0 || ev->signature_len > CCF_EVIDENCE_MAX_SIG)
        return ccf_errf(err, err_size, CCF_ERR_DENIED, "evidence has no valid signature");
    if (!ccf_evidence_key_id(platform_pub, id))
        return ccf_errf(err, err_size, CCF_ERR_CRYPTO, "cannot hash the platform key");
    if (!ccf_ct_equal(id, ev->platform_key_id, sizeof id))
        return ccf_errf(err, err_size, CCF_ERR_DENIED,
                        "evidence was signed by another platform key than the trusted one");
    tbs(ev, msg);
    if ((ctx = EVP_MD_CTX_new()) == NULL ||
        EVP_DigestVerifyInit_ex(ctx, NULL, "SHA256", NULL, NULL, platform_pub, NULL) != 1) {
        rc = ccf_errf(err, err_size, CCF_ERR_CRYPTO, "cannot set up signature verification");
        goto out;
    }
    if (EVP_DigestVerify(ctx, ev->signature, ev->signature_len, msg, sizeof msg) != 1) {
        rc = ccf_errf(err, err_size, CCF_ERR_DENIED,
                      "the evidence signature does not verify with the platform key");
        goto out;
    }
    rc = CCF_OK;
out:
    ERR_clear_error();
    EVP_MD_CTX_free(ctx);
    return rc;
}

ccf_err ccf_evidence_check_binding(const ccf_evidence *ev, const uint8_t *pub_der, size_t pub_len,
                                   const uint8_t policy_hash[CCF_SHA256_LEN],
                                   const uint8_t *nonce, size_t nonce_len,
                                   const uint8_t launch_hash[CCF_SHA256_LEN])
{
    uint8_t expect[CCF_SHA256_LEN];
    if (!ccf_evidence_report_data(pub_der, pub_len, policy_hash, nonce, nonce_len, launch_hash,
                                  expect))
        return CCF_ERR_CRYPTO;
    return ccf_ct_equal(expect, ev->report_data, sizeof expect) ? CCF_OK : CCF_ERR_DENIED;
}

ccf_err ccf_evidence_measure_file(const char *path, uint8_t out[CCF_SHA256_LEN], char *err,
                                  size_t err_size)
{
    EVP_MD_CTX *ctx = NULL;
    uint8_t buf[65536];
    ccf_err rc = CCF_OK;
    unsigned int n = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ccf_errf(err, err_size, errno == ENOENT ? CCF_ERR_NOT_FOUND : CCF_ERR_IO, "%s: %s",
                        path, strerror(errno));
    if ((ctx = EVP_MD_CTX_new()) == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        rc = ccf_errf(err, err_size, CCF_ERR_CRYPTO, "SHA-256 failed");
        goto out;
    }
    for (;;) {
        ssize_t k = read(fd, buf, sizeof buf);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            rc = ccf_errf(err, err_size, CCF_ERR_IO, "%s: %s", path, strerror(errno));
            goto out;
        }
        if (k == 0)
            break;
        if (EVP_DigestUpdate(ctx, buf, (size_t)k) != 1) {
            rc = ccf_errf(err, err_size, CCF_ERR_CRYPTO, "SHA-256 failed");
            goto out;
        }
    }
    if (EVP_DigestFinal_ex(ctx, out, &n) != 1 || n != CCF_SHA256_LEN)
        rc = ccf_errf(err, err_size, CCF_ERR_CRYPTO, "SHA-256 failed");
out:
    EVP_MD_CTX_free(ctx);
    close(fd);
    return rc;
}

ccf_err ccf_evidence_measure_self(uint8_t out[CCF_SHA256_LEN], char *err, size_t err_size)
{
    return ccf_evidence_measure_file("/proc/self/exe", out, err, err_size);
}

ccf_err ccf_platform_key_load_or_create(const char *data_dir, EVP_PKEY **out, bool *created,
                                        char *err, size_t err_size)
{
    char path[4096];
    ccf_err rc;
    *out = NULL;
    if ((rc = ccf_pki_mkdir(data_dir, err, err_size)) != CCF_OK)
        return rc;
    if (snprintf(path, sizeof path, "%s/%s", data_dir, CCF_PLATFORM_KEY_FILE) >= (int)sizeof path)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "data directory path too long");
    if ((rc = ccf_pki_key_load_or_create(path, out, created, err, err_size)) != CCF_OK)
        return rc;
    if (!ccf_pki_key_is_p256(*out)) {
        EVP_PKEY_free(*out);
        *out = NULL;
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "%s: not a P-256 key", path);
    }
    return CCF_OK;
}
