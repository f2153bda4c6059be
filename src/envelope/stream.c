/* CCFSTR01 (stream.h): header and len field parsing, record nonces and AAD,
 * the sealer's and opener's state. AES-256-GCM through ccf_aes256gcm. */
#include "envelope/stream.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <string.h>

struct ccf_stream {
    uint8_t key[CCF_GCM_KEY_LEN];
    uint8_t header[CCF_STREAM_HEADER_LEN];
    uint32_t chunk_size;
    uint64_t index; /* the next record's */
    bool final_done; /* the final record was sealed or opened */
    bool failed;     /* an opener that refused a record refuses everything after */
};

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

ccf_err ccf_stream_header_parse(const uint8_t *data, size_t len, ccf_stream_header *out,
                                char *err, size_t errsz)
{
    memset(out, 0, sizeof *out);
    if (len != CCF_STREAM_HEADER_LEN)
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "stream header: %zu bytes, it has exactly %d",
                        len, CCF_STREAM_HEADER_LEN);
    if (memcmp(data, CCF_STREAM_MAGIC, CCF_STREAM_MAGIC_LEN) != 0)
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "stream header: not a ccfaas stream (it does "
                                                     "not start with \"%s\")", CCF_STREAM_MAGIC);
    uint32_t chunk = get_be32(data + CCF_STREAM_MAGIC_LEN);
    if (chunk < CCF_STREAM_MIN_CHUNK || chunk > CCF_STREAM_MAX_CHUNK)
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "stream header (offset %d): chunk size %u is "
                                                     "out of range (%u..%u)", CCF_STREAM_MAGIC_LEN,
                        chunk, CCF_STREAM_MIN_CHUNK, CCF_STREAM_MAX_CHUNK);
    out->chunk_size = chunk;
    memcpy(out->base_nonce, data + CCF_STREAM_MAGIC_LEN + 4, CCF_GCM_IV_LEN);
    return CCF_OK;
}

ccf_err ccf_stream_len_parse(uint32_t chunk_size, const uint8_t field[CCF_STREAM_LEN_FIELD],
                             size_t *ct_len, bool *final, char *err, size_t errsz)
{
    uint32_t v = get_be32(field);
    *final = (v & CCF_STREAM_FINAL_FLAG) != 0;
    *ct_len = v & ~CCF_STREAM_FINAL_FLAG;
    if (*final ? *ct_len > chunk_size : *ct_len != chunk_size)
        return ccf_errf(err, errsz, CCF_ERR_DENIED, "stream record: %s record of %zu bytes (the "
                                                    "chunk size is %u)",
                        *final ? "final" : "non-final", *ct_len, chunk_size);
    return CCF_OK;
}

static ccf_stream *stream_new(const uint8_t key[CCF_GCM_KEY_LEN])
{
    ccf_stream *s = OPENSSL_secure_zalloc(sizeof *s);
    if (s != NULL)
        memcpy(s->key, key, CCF_GCM_KEY_LEN);
    return s;
}

void ccf_stream_free(ccf_stream *s)
{
    if (s != NULL)
        OPENSSL_secure_clear_free(s, sizeof *s);
}

uint32_t ccf_stream_chunk_size(const ccf_stream *s) { return s->chunk_size; }
uint64_t ccf_stream_index(const ccf_stream *s) { return s->index; }

/* nonce_i: the base nonce with its last 8 bytes XORed with i, big-endian. */
static void record_nonce(const ccf_stream *s, uint8_t nonce[CCF_GCM_IV_LEN])
{
    memcpy(nonce, s->header + CCF_STREAM_MAGIC_LEN + 4, CCF_GCM_IV_LEN);
    for (int b = 0; b < 8; b++)
        nonce[CCF_GCM_IV_LEN - 1 - b] ^= (uint8_t)(s->index >> (8 * b));
}

/* AAD_i: the header and the record's len field. */
static void record_aad(const ccf_stream *s, const uint8_t *field,
                       uint8_t aad[CCF_STREAM_HEADER_LEN + CCF_STREAM_LEN_FIELD])
{
    memcpy(aad, s->header, CCF_STREAM_HEADER_LEN);
    memcpy(aad + CCF_STREAM_HEADER_LEN, field, CCF_STREAM_LEN_FIELD);
}

ccf_err ccf_stream_sealer_new(const uint8_t key[CCF_GCM_KEY_LEN], uint32_t chunk_size,
                              uint8_t header[CCF_STREAM_HEADER_LEN], ccf_stream **out, char *err,
                              size_t errsz)
{
    *out = NULL;
    if (chunk_size < CCF_STREAM_MIN_CHUNK || chunk_size > CCF_STREAM_MAX_CHUNK)
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "chunk size %u is out of range (%u..%u)",
                        chunk_size, CCF_STREAM_MIN_CHUNK, CCF_STREAM_MAX_CHUNK);
    ccf_stream *s = stream_new(key);
    if (s == NULL)
        return ccf_errf(err, errsz, CCF_ERR_NOMEM, "out of memory (secure heap)");
    memcpy(s->header, CCF_STREAM_MAGIC, CCF_STREAM_MAGIC_LEN);
    put_be32(s->header + CCF_STREAM_MAGIC_LEN, chunk_size);
    if (RAND_bytes(s->header + CCF_STREAM_MAGIC_LEN + 4, CCF_GCM_IV_LEN) != 1) {
        ccf_stream_free(s);
        return ccf_errf(err, errsz, CCF_ERR_CRYPTO, "no random bytes (OpenSSL)");
    }
    s->chunk_size = chunk_size;
    memcpy(header, s->header, CCF_STREAM_HEADER_LEN);
    *out = s;
    return CCF_OK;
}

ccf_err ccf_stream_seal(ccf_stream *s, const uint8_t *in, size_t len, bool final, uint8_t *out,
                        size_t *out_len, char *err, size_t errsz)
{
    uint8_t nonce[CCF_GCM_IV_LEN], aad[CCF_STREAM_HEADER_LEN + CCF_STREAM_LEN_FIELD];
    *out_len = 0;
    if (s->final_done)
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "stream: nothing follows the final record");
    if (final ? len > s->chunk_size : len != s->chunk_size)
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "stream: a %s record of %zu bytes (the chunk "
                                                     "size is %u)",
                        final ? "final" : "non-final", len, s->chunk_size);
    put_be32(out, (uint32_t)len | (final ? CCF_STREAM_FINAL_FLAG : 0));
    record_nonce(s, nonce);
    record_aad(s, out, aad);
    uint8_t *ct = out + CCF_STREAM_LEN_FIELD;
    if (!ccf_aes256gcm(true, s->key, nonce, aad, sizeof aad, len > 0 ? in : ct, len, ct,
                       ct + len))
        return ccf_errf(err, errsz, CCF_ERR_CRYPTO, "stream: encryption failed (OpenSSL)");
    s->index++;
    s->final_done = final;
    *out_len = len + CCF_STREAM_RECORD_OVERHEAD;
    return CCF_OK;
}

ccf_err ccf_stream_opener_new(const uint8_t key[CCF_GCM_KEY_LEN], const uint8_t *header,
                              size_t header_len, ccf_stream **out, char *err, size_t errsz)
{
    ccf_stream_header h;
    *out = NULL;
    ccf_err rc = ccf_stream_header_parse(header, header_len, &h, err, errsz);
    if (rc != CCF_OK)
        return rc;
    ccf_stream *s = stream_new(key);
    if (s == NULL)
        return ccf_errf(err, errsz, CCF_ERR_NOMEM, "out of memory (secure heap)");
    memcpy(s->header, header, CCF_STREAM_HEADER_LEN);
    s->chunk_size = h.chunk_size;
    *out = s;
    return CCF_OK;
}

ccf_err ccf_stream_open(ccf_stream *s, const uint8_t *record, size_t record_len, uint8_t *out,
                        size_t out_cap, size_t *out_len, bool *final, char *err, size_t errsz)
{
    uint8_t nonce[CCF_GCM_IV_LEN], aad[CCF_STREAM_HEADER_LEN + CCF_STREAM_LEN_FIELD];
    uint8_t tag[CCF_GCM_TAG_LEN];
    size_t l = 0;
    ccf_err rc;
    *out_len = 0;
    *final = false;
    if (s->failed)
        return ccf_errf(err, errsz, CCF_ERR_DENIED, "stream: an earlier record failed; the stream "
                                                    "is refused");
    if (s->final_done) {
        s->failed = true;
        return ccf_errf(err, errsz, CCF_ERR_DENIED, "stream: a record after the final record");
    }
    if (record_len < CCF_STREAM_RECORD_OVERHEAD) {
        s->failed = true;
        return ccf_errf(err, errsz, CCF_ERR_DENIED, "stream record %llu: %zu bytes, shorter than "
                                                    "its length field and tag",
                        (unsigned long long)s->index, record_len);
    }
    if ((rc = ccf_stream_len_parse(s->chunk_size, record, &l, final, err, errsz)) != CCF_OK ||
        record_len - CCF_STREAM_RECORD_OVERHEAD != l) {
        if (rc == CCF_OK)
            ccf_errf(err, errsz, CCF_ERR_DENIED, "stream record %llu: %zu bytes, its length field "
                                                 "makes %zu", (unsigned long long)s->index,
                     record_len, l + CCF_STREAM_RECORD_OVERHEAD);
        s->failed = true;
        *final = false;
        return CCF_ERR_DENIED;
    }
    if (out_cap < l) {
        *out_len = l;
        *final = false;
        return ccf_errf(err, errsz, CCF_ERR_TOO_LARGE, "stream record %llu: %zu bytes of "
                                                       "plaintext, the buffer holds %zu",
                        (unsigned long long)s->index, l, out_cap);
    }
    if (s->index == UINT64_MAX) {
        s->failed = true;
        return ccf_errf(err, errsz, CCF_ERR_DENIED, "stream: too many records");
    }
    record_nonce(s, nonce);
    record_aad(s, record, aad);
    memcpy(tag, record + CCF_STREAM_LEN_FIELD + l, CCF_GCM_TAG_LEN);
    uint8_t dummy;
    if (!ccf_aes256gcm(false, s->key, nonce, aad, sizeof aad, record + CCF_STREAM_LEN_FIELD, l,
                       l > 0 ? out : &dummy, tag)) {
        OPENSSL_cleanse(out, l);
        s->failed = true;
        *final = false;
        return ccf_errf(err, errsz, CCF_ERR_DENIED, "stream record %llu: authentication failed "
                                                    "(the wrong key, or a record changed, moved, "
                                                    "dropped or from another stream)",
                        (unsigned long long)s->index);
    }
    s->index++;
    s->final_done = *final;
    *out_len = l;
    return CCF_OK;
}

ccf_err ccf_stream_finish(const ccf_stream *s, char *err, size_t errsz)
{
    if (s->failed)
        return ccf_errf(err, errsz, CCF_ERR_DENIED, "stream: a record failed");
    if (!s->final_done)
        return ccf_errf(err, errsz, CCF_ERR_DENIED, "stream: truncated (%llu records, no final "
                                                    "record)", (unsigned long long)s->index);
    return CCF_OK;
}
