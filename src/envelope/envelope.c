/* The encrypted envelope (envelope.h): strict parsing of the header, AES-256-GCM
 * through ccf_aes256gcm (OpenSSL), the plaintext's hash checked on opening. */
#include "envelope/envelope.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX_LEN (CCF_ENVELOPE_MAGIC_LEN + 4) /* magic + header length */

bool ccf_envelope_is(const void *data, size_t len)
{
    return len >= CCF_ENVELOPE_MAGIC_LEN &&
           memcmp(data, CCF_ENVELOPE_MAGIC, CCF_ENVELOPE_MAGIC_LEN) == 0;
}

static bool lower_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return s[n] == '\0';
}

/* The header's JSON: exactly the four members, each of its type and form. */
static ccf_err parse_header(const uint8_t *text, size_t len, ccf_envelope_info *out, char *err,
                            size_t errsz)
{
    json_error_t je;
    json_t *h = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, &je);
    ccf_err rc = CCF_ERR_INVALID;
    const char *alg, *res, *sha;
    json_t *size;
    if (h == NULL) {
        ccf_errf(err, errsz, rc, "envelope header (offset %d): not JSON: %s", PREFIX_LEN,
                 je.text);
        return rc;
    }
    if (!json_is_object(h) || json_object_size(h) != 4 ||
        (alg = json_string_value(json_object_get(h, "alg"))) == NULL ||
        (res = json_string_value(json_object_get(h, "kbs_resource"))) == NULL ||
        (sha = json_string_value(json_object_get(h, "plaintext_sha256"))) == NULL ||
        !json_is_integer(size = json_object_get(h, "plaintext_size"))) {
        ccf_errf(err, errsz, rc, "envelope header: expected exactly {\"alg\", \"kbs_resource\", "
                                 "\"plaintext_sha256\", \"plaintext_size\"}");
    } else if (strcmp(alg, "A256GCM") != 0) {
        ccf_errf(err, errsz, CCF_ERR_UNSUPPORTED, "envelope header: alg \"%.32s\" is not "
                                                  "supported (A256GCM is)", alg);
        rc = CCF_ERR_UNSUPPORTED;
    } else if (!ccf_kbs_path_ok(res)) {
        ccf_errf(err, errsz, rc, "envelope header: kbs_resource \"%.64s\" is not a key broker "
                                 "path REPOSITORY/TYPE/TAG", res);
    } else if (strlen(sha) != CCF_SHA256_HEX_LEN || !lower_hex(sha, CCF_SHA256_HEX_LEN)) {
        ccf_errf(err, errsz, rc, "envelope header: plaintext_sha256 must be 64 lowercase hex "
                                 "digits");
    } else if (json_integer_value(size) < 0 ||
               (uint64_t)json_integer_value(size) > CCF_ENVELOPE_MAX_PLAINTEXT) {
        ccf_errf(err, errsz, rc, "envelope header: plaintext_size %" JSON_INTEGER_FORMAT
                                 " is out of range (0..%llu)", json_integer_value(size),
                 (unsigned long long)CCF_ENVELOPE_MAX_PLAINTEXT);
    } else {
        snprintf(out->kbs_resource, sizeof out->kbs_resource, "%s", res);
        memcpy(out->plaintext_sha256, sha, CCF_SHA256_HEX_LEN + 1);
        out->plaintext_size = (uint64_t)json_integer_value(size);
        rc = CCF_OK;
    }
    json_decref(h);
    return rc;
}

ccf_err ccf_envelope_parse(const uint8_t *data, size_t len, ccf_envelope_info *out, char *err,
                           size_t errsz)
{
    memset(out, 0, sizeof *out);
    if (!ccf_envelope_is(data, len))
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "not a ccfaas envelope (it does not start "
                                                     "with \"%s\")", CCF_ENVELOPE_MAGIC);
    if (len < PREFIX_LEN)
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "envelope: %zu bytes, shorter than its "
                                                     "%d-byte prefix", len, PREFIX_LEN);
    const uint8_t *p = data + CCF_ENVELOPE_MAGIC_LEN;
    size_t h = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
    if (h == 0 || h > CCF_ENVELOPE_MAX_HEADER)
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "envelope (offset %d): header length %zu "
                                                     "is out of range (1..%d)",
                        CCF_ENVELOPE_MAGIC_LEN, h, CCF_ENVELOPE_MAX_HEADER);
    if (len - PREFIX_LEN < h)
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "envelope: truncated in its header (%zu "
                                                     "bytes, the header needs %zu)", len,
                        PREFIX_LEN + h);
    ccf_err rc = parse_header(data + PREFIX_LEN, h, out, err, errsz);
    if (rc != CCF_OK)
        return rc;
    out->header_len = h;
    uint64_t want = (uint64_t)PREFIX_LEN + h + CCF_GCM_IV_LEN + out->plaintext_size +
                    CCF_GCM_TAG_LEN;
    if ((uint64_t)len != want)
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "envelope: %zu bytes, but its header "
                                                     "(plaintext_size %llu) makes %llu",
                        len, (unsigned long long)out->plaintext_size, (unsigned long long)want);
    return CCF_OK;
}

ccf_err ccf_envelope_seal(const uint8_t key[CCF_GCM_KEY_LEN], const char *resource,
                          const uint8_t *plain, size_t len, uint8_t **out, size_t *outlen,
                          char *err, size_t errsz)
{
    char sha[CCF_SHA256_HEX_LEN + 1];
    *out = NULL;
    *outlen = 0;
    if (!ccf_kbs_path_ok(resource))
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "\"%.64s\" is not a key broker resource "
                                                     "path REPOSITORY/TYPE/TAG", resource);
    if ((uint64_t)len > CCF_ENVELOPE_MAX_PLAINTEXT)
        return ccf_errf(err, errsz, CCF_ERR_TOO_LARGE, "%zu bytes: more than an envelope holds",
                        len);
    if (!ccf_sha256_hex(plain, len, sha))
        return ccf_errf(err, errsz, CCF_ERR_CRYPTO, "cannot hash the plaintext");
    json_t *h = json_pack("{s:s, s:s, s:s, s:I}", "alg", "A256GCM", "kbs_resource", resource,
                          "plaintext_sha256", sha, "plaintext_size", (json_int_t)len);
    char *text = h != NULL ? json_dumps(h, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(h);
    if (text == NULL)
        return ccf_errf(err, errsz, CCF_ERR_NOMEM, "out of memory");
    size_t hl = strlen(text);
    size_t total = PREFIX_LEN + hl + CCF_GCM_IV_LEN + len + CCF_GCM_TAG_LEN;
    uint8_t *e = malloc(total);
    ccf_err rc = CCF_OK;
    if (e == NULL) {
        rc = ccf_errf(err, errsz, CCF_ERR_NOMEM, "out of memory (%zu bytes)", total);
        goto done;
    }
    memcpy(e, CCF_ENVELOPE_MAGIC, CCF_ENVELOPE_MAGIC_LEN);
    e[8] = (uint8_t)(hl >> 24);
    e[9] = (uint8_t)(hl >> 16);
    e[10] = (uint8_t)(hl >> 8);
    e[11] = (uint8_t)hl;
    memcpy(e + PREFIX_LEN, text, hl);
    uint8_t *iv = e + PREFIX_LEN + hl, *ct = iv + CCF_GCM_IV_LEN;
    if (RAND_bytes(iv, CCF_GCM_IV_LEN) != 1 ||
        !ccf_aes256gcm(true, key, iv, e, PREFIX_LEN + hl, plain, len, ct, ct + len)) {
        free(e);
        rc = ccf_errf(err, errsz, CCF_ERR_CRYPTO, "encryption failed (OpenSSL)");
        goto done;
    }
    *out = e;
    *outlen = total;
done:
    free(text);
    return rc;
}

ccf_err ccf_envelope_open(const uint8_t key[CCF_GCM_KEY_LEN], const uint8_t *data, size_t len,
                          uint8_t **plain, ccf_envelope_info *info, char *err, size_t errsz)
{
    char sha[CCF_SHA256_HEX_LEN + 1];
    *plain = NULL;
    ccf_err rc = ccf_envelope_parse(data, len, info, err, errsz);
    if (rc != CCF_OK)
        return rc;
    size_t n = (size_t)info->plaintext_size, aad = PREFIX_LEN + info->header_len;
    const uint8_t *iv = data + aad, *ct = iv + CCF_GCM_IV_LEN;
    uint8_t tag[CCF_GCM_TAG_LEN];
    uint8_t *p = malloc(n > 0 ? n : 1);
    if (p == NULL)
        return ccf_errf(err, errsz, CCF_ERR_NOMEM, "out of memory (%zu bytes)", n);
    memcpy(tag, ct + n, sizeof tag);
    if (!ccf_aes256gcm(false, key, iv, data, aad, ct, n, p, tag)) {
        ccf_envelope_free(p, n);
        return ccf_errf(err, errsz, CCF_ERR_DENIED,
                        "envelope for %s: authentication failed (the wrong key, or the header, "
                        "IV, ciphertext or tag was changed)", info->kbs_resource);
    }
    if (!ccf_sha256_hex(p, n, sha) || strcmp(sha, info->plaintext_sha256) != 0) {
        ccf_envelope_free(p, n);
        return ccf_errf(err, errsz, CCF_ERR_DENIED, "envelope for %s: the plaintext hashes to "
                                                    "%s, the header says %s", info->kbs_resource,
                        sha, info->plaintext_sha256);
    }
    *plain = p;
    return CCF_OK;
}

void ccf_envelope_free(uint8_t *plain, size_t len)
{
    if (plain == NULL)
        return;
    OPENSSL_cleanse(plain, len);
    free(plain);
}
