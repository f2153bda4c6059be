/* Tests for src/envelope/stream.c (CCFSTR01): round trips for 0, 1,
 * chunk-1, chunk, chunk+1 and several chunks; the exact layout (header,
 * len fields, nonces XOR index through a re-encryption with the expected
 * nonce); every refusal: a flipped byte in the ciphertext, tag, len field or
 * header, truncation before the final record, a dropped record, two records
 * swapped, trailing bytes, a record after the final one, a bad length field;
 * headers of the wrong form; the small-buffer retry. The independent check
 * with pycryptodome is tests/cli/test-stream-oracle. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envelope/stream.h"

#define CHUNK 1024u

static const uint8_t key[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Seals n bytes of plain (chunk CHUNK) into a malloc'ed stream. */
static uint8_t *seal_all(const uint8_t *plain, size_t n, size_t *outlen)
{
    char err[256];
    ccf_stream *s = NULL;
    size_t cap = CCF_STREAM_HEADER_LEN + (n / CHUNK + 1) * (CHUNK + CCF_STREAM_RECORD_OVERHEAD);
    uint8_t *out = malloc(cap);
    assert_non_null(out);
    assert_int_equal(ccf_stream_sealer_new(key, CHUNK, out, &s, err, sizeof err), CCF_OK);
    size_t pos = CCF_STREAM_HEADER_LEN, off = 0;
    for (;;) {
        size_t len = n - off, rl = 0;
        bool final = len <= CHUNK; /* the last chunk, full or not, is final */
        if (!final)
            len = CHUNK;
        assert_int_equal(ccf_stream_finish(s, err, sizeof err), CCF_ERR_DENIED);
        assert_int_equal(ccf_stream_seal(s, plain + off, len, final, out + pos, &rl, err,
                                         sizeof err),
                         CCF_OK);
        assert_int_equal(rl, len + CCF_STREAM_RECORD_OVERHEAD);
        pos += rl;
        off += len;
        if (final)
            break;
    }
    assert_int_equal(ccf_stream_finish(s, err, sizeof err), CCF_OK);
    /* nothing after the final record */
    size_t rl = 0;
    uint8_t b = 0;
    assert_int_equal(ccf_stream_seal(s, &b, 0, true, out + pos, &rl, err, sizeof err),
                     CCF_ERR_INVALID);
    ccf_stream_free(s);
    assert_true(pos <= cap);
    *outlen = pos;
    return out;
}

/* Opens a whole stream the way a reader does: header, then each record by
 * its len field; anything left over is handed to the opener as a record.
 * Returns the first error (or the finish check) and the plaintext so far. */
static ccf_err open_all(const uint8_t *data, size_t len, uint8_t *plain, size_t *plain_len)
{
    char err[256];
    ccf_stream *s = NULL;
    ccf_err rc = ccf_stream_opener_new(key, data, len < 24 ? len : 24, &s, err, sizeof err);
    *plain_len = 0;
    if (rc != CCF_OK)
        return rc;
    size_t pos = CCF_STREAM_HEADER_LEN;
    while (pos < len) {
        size_t rec = len - pos, got = 0;
        bool final = false;
        if (rec >= 4) {
            size_t l = be32(data + pos) & 0x7fffffffu;
            if (l + CCF_STREAM_RECORD_OVERHEAD < rec)
                rec = l + CCF_STREAM_RECORD_OVERHEAD;
        }
        rc = ccf_stream_open(s, data + pos, rec, plain + *plain_len, CHUNK, &got, &final, err,
                             sizeof err);
        if (rc != CCF_OK)
            goto out;
        *plain_len += got;
        pos += rec;
    }
    rc = ccf_stream_finish(s, err, sizeof err);
out:
    ccf_stream_free(s);
    return rc;
}

static uint8_t *pattern(size_t n)
{
    uint8_t *p = malloc(n + 1);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(i * 31 + 7);
    return p;
}

static void test_round_trip(void **state)
{
    (void)state;
    const size_t sizes[] = {0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 5 * CHUNK + 17, 4 * CHUNK};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t n = sizes[k], len = 0, back_len = 0;
        uint8_t *plain = pattern(n), *data = seal_all(plain, n, &len);
        uint8_t *back = malloc(n + CHUNK);
        size_t records = n == 0 ? 1 : (n + CHUNK - 1) / CHUNK;
        assert_int_equal(len, 24 + n + records * 20);
        assert_memory_equal(data, "CCFSTR01", 8);
        assert_int_equal(be32(data + 8), CHUNK);
        /* every record but the last is a full non-final one; the last is final */
        size_t pos = 24;
        for (size_t r = 0; r < records; r++) {
            uint32_t f = be32(data + pos);
            size_t l = f & 0x7fffffffu;
            assert_int_equal(f >> 31, r + 1 == records);
            assert_int_equal(l, r + 1 < records ? CHUNK : n - r * CHUNK);
            pos += 4 + l + 16;
        }
        assert_int_equal(pos, len);
        assert_int_equal(open_all(data, len, back, &back_len), CCF_OK);
        assert_int_equal(back_len, n);
        assert_true(n == 0 || memcmp(back, plain, n) == 0);
        free(back);
        free(data);
        free(plain);
    }
}

/* The record nonces and AAD are exactly the documented ones: record 1 of a
 * two-record stream decrypts with ccf_aes256gcm under base_nonce XOR 1 and
 * header || len field. */
static void test_layout(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *plain = pattern(CHUNK + 5), *data = seal_all(plain, CHUNK + 5, &len);
    uint8_t nonce[12], aad[28], tag[16], out[5];
    memcpy(nonce, data + 12, 12);
    nonce[11] ^= 1;
    const uint8_t *rec = data + 24 + 4 + CHUNK + 16;
    memcpy(aad, data, 24);
    memcpy(aad + 24, rec, 4);
    memcpy(tag, rec + 4 + 5, 16);
    assert_int_equal(be32(rec), 0x80000005u);
    assert_true(ccf_aes256gcm(false, key, nonce, aad, sizeof aad, rec + 4, 5, out, tag));
    assert_memory_equal(out, plain + CHUNK, 5);
    /* two streams of the same key have different base nonces */
    size_t len2 = 0;
    uint8_t *data2 = seal_all(plain, CHUNK + 5, &len2);
    assert_memory_not_equal(data + 12, data2 + 12, 12);
    free(data2);
    free(data);
    free(plain);
}

static void test_tamper(void **state)
{
    (void)state;
    size_t n = 3 * CHUNK + 100, len = 0, got = 0;
    uint8_t *plain = pattern(n), *data = seal_all(plain, n, &len);
    uint8_t *copy = malloc(2 * len), *back = malloc(n + 2 * CHUNK);
    size_t rec = 4 + CHUNK + 16; /* a full record */
    /* each byte of the header, of a len field, ciphertext and tag: refused */
    const size_t flips[] = {0, 7, 8, 11, 12, 23, 24, 27, 28, 28 + CHUNK - 1, 28 + CHUNK,
                            24 + rec - 1, 24 + 3 * rec, 24 + 3 * rec + 3, len - 17, len - 1};
    for (size_t k = 0; k < sizeof flips / sizeof flips[0]; k++) {
        for (uint8_t bit = 1; bit != 0; bit = (uint8_t)(bit << 1)) {
            memcpy(copy, data, len);
            copy[flips[k]] ^= bit;
            ccf_err rc = open_all(copy, len, back, &got);
            if (rc == CCF_OK)
                fail_msg("flipped bit %u of byte %zu opened", bit, flips[k]);
            assert_true(rc == CCF_ERR_DENIED || (flips[k] < 24 && rc == CCF_ERR_INVALID));
        }
    }
    /* truncation: anywhere, above all right before the final record */
    const size_t cuts[] = {24, 25, 24 + rec, 24 + 2 * rec, 24 + 3 * rec, 24 + 3 * rec + 4,
                           len - 1};
    for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++)
        assert_int_equal(open_all(data, cuts[k], back, &got), CCF_ERR_DENIED);
    assert_int_equal(open_all(data, 23, back, &got), CCF_ERR_INVALID);
    /* a dropped record (the second) */
    memcpy(copy, data, 24 + rec);
    memcpy(copy + 24 + rec, data + 24 + 2 * rec, len - 24 - 2 * rec);
    assert_int_equal(open_all(copy, len - rec, back, &got), CCF_ERR_DENIED);
    assert_int_equal(got, CHUNK); /* the first record opened, nothing after */
    /* two records swapped */
    memcpy(copy, data, len);
    memcpy(copy + 24, data + 24 + rec, rec);
    memcpy(copy + 24 + rec, data + 24, rec);
    assert_int_equal(open_all(copy, len, back, &got), CCF_ERR_DENIED);
    assert_int_equal(got, 0);
    /* trailing bytes after the final record */
    memcpy(copy, data, len);
    memcpy(copy + len, "x", 1);
    assert_int_equal(open_all(copy, len + 1, back, &got), CCF_ERR_DENIED);
    /* the final record repeated */
    memcpy(copy, data, len);
    memcpy(copy + len, data + 24 + 3 * rec, len - 24 - 3 * rec);
    assert_int_equal(open_all(copy, len + (len - 24 - 3 * rec), back, &got), CCF_ERR_DENIED);
    /* another stream's record (same key, same index) */
    size_t len2 = 0;
    uint8_t *data2 = seal_all(plain, n, &len2);
    memcpy(copy, data, len);
    memcpy(copy + 24, data2 + 24, rec);
    assert_int_equal(open_all(copy, len, back, &got), CCF_ERR_DENIED);
    /* the wrong key */
    {
        char err[256];
        uint8_t k2[32] = {0};
        ccf_stream *s = NULL;
        bool final;
        assert_int_equal(ccf_stream_opener_new(k2, data, 24, &s, err, sizeof err), CCF_OK);
        assert_int_equal(ccf_stream_open(s, data + 24, rec, back, CHUNK, &got, &final, err,
                                         sizeof err),
                         CCF_ERR_DENIED);
        assert_non_null(strstr(err, "authentication failed"));
        ccf_stream_free(s);
    }
    free(data2);
    free(back);
    free(copy);
    free(data);
    free(plain);
}

/* The opener's rules one call at a time: bad length fields, the small buffer
 * (retry allowed), and refusal for good after a failure. */
static void test_opener_state(void **state)
{
    (void)state;
    char err[256];
    size_t n = 2 * CHUNK, len = 0, got = 0;
    bool final = true;
    uint8_t *plain = pattern(n), *data = seal_all(plain, n, &len), *back = malloc(CHUNK);
    size_t rec = 4 + CHUNK + 16;
    ccf_stream *s = NULL;
    assert_int_equal(ccf_stream_opener_new(key, data, 24, &s, err, sizeof err), CCF_OK);
    assert_int_equal(ccf_stream_chunk_size(s), CHUNK);
    /* too small a buffer: told the size, nothing consumed */
    assert_int_equal(ccf_stream_open(s, data + 24, rec, back, CHUNK - 1, &got, &final, err,
                                     sizeof err),
                     CCF_ERR_TOO_LARGE);
    assert_int_equal(got, CHUNK);
    assert_false(final);
    assert_int_equal(ccf_stream_index(s), 0);
    assert_int_equal(ccf_stream_open(s, data + 24, rec, back, CHUNK, &got, &final, err,
                                     sizeof err),
                     CCF_OK);
    assert_false(final);
    assert_int_equal(ccf_stream_index(s), 1);
    assert_memory_equal(back, plain, CHUNK);
    /* a record one byte short of its len field: refused, and so is everything after */
    assert_int_equal(ccf_stream_open(s, data + 24 + rec, rec - 1, back, CHUNK, &got, &final, err,
                                     sizeof err),
                     CCF_ERR_DENIED);
    assert_int_equal(ccf_stream_open(s, data + 24 + rec, rec, back, CHUNK, &got, &final, err,
                                     sizeof err),
                     CCF_ERR_DENIED);
    assert_non_null(strstr(err, "earlier record failed"));
    assert_int_equal(ccf_stream_finish(s, err, sizeof err), CCF_ERR_DENIED);
    ccf_stream_free(s);

    /* len fields: non-final shorter than the chunk, final longer, too short a record */
    uint8_t fld[4];
    size_t l;
    bool fin;
    fld[0] = 0x00, fld[1] = 0x00, fld[2] = 0x03, fld[3] = 0xff; /* 1023, non-final */
    assert_int_equal(ccf_stream_len_parse(CHUNK, fld, &l, &fin, err, sizeof err), CCF_ERR_DENIED);
    fld[0] = 0x80, fld[1] = 0x00, fld[2] = 0x04, fld[3] = 0x01; /* 1025, final */
    assert_int_equal(ccf_stream_len_parse(CHUNK, fld, &l, &fin, err, sizeof err), CCF_ERR_DENIED);
    fld[0] = 0x80, fld[1] = 0x00, fld[2] = 0x00, fld[3] = 0x00; /* 0, final */
    assert_int_equal(ccf_stream_len_parse(CHUNK, fld, &l, &fin, err, sizeof err), CCF_OK);
    assert_true(fin);
    assert_int_equal(l, 0);
    fld[0] = 0x00, fld[1] = 0x00, fld[2] = 0x04, fld[3] = 0x00; /* 1024, non-final */
    assert_int_equal(ccf_stream_len_parse(CHUNK, fld, &l, &fin, err, sizeof err), CCF_OK);
    assert_false(fin);
    assert_int_equal(ccf_stream_opener_new(key, data, 24, &s, err, sizeof err), CCF_OK);
    assert_int_equal(ccf_stream_open(s, data + 24, 19, back, CHUNK, &got, &final, err, sizeof err),
                     CCF_ERR_DENIED);
    ccf_stream_free(s);
    free(back);
    free(data);
    free(plain);
}

static void test_headers(void **state)
{
    (void)state;
    char err[256];
    uint8_t h[24], hdr[24];
    ccf_stream_header out;
    ccf_stream *s = NULL;
    memcpy(h, "CCFSTR01\x00\x00\x04\x00" "abcdefghijkl", 24);
    assert_int_equal(ccf_stream_header_parse(h, 24, &out, err, sizeof err), CCF_OK);
    assert_int_equal(out.chunk_size, 1024);
    assert_memory_equal(out.base_nonce, "abcdefghijkl", 12);
    assert_int_equal(ccf_stream_header_parse(h, 23, &out, err, sizeof err), CCF_ERR_INVALID);
    h[8] = 0x01, h[9] = 0x00, h[10] = 0x00, h[11] = 0x00; /* 16 MiB */
    assert_int_equal(ccf_stream_header_parse(h, 24, &out, err, sizeof err), CCF_OK);
    h[11] = 0x01; /* 16 MiB + 1 */
    assert_int_equal(ccf_stream_header_parse(h, 24, &out, err, sizeof err), CCF_ERR_INVALID);
    assert_non_null(strstr(err, "chunk size"));
    h[8] = 0, h[9] = 0, h[10] = 0x03, h[11] = 0xff; /* 1023 */
    assert_int_equal(ccf_stream_header_parse(h, 24, &out, err, sizeof err), CCF_ERR_INVALID);
    h[10] = 0x04, h[11] = 0;
    h[7] = '2'; /* CCFSTR02 */
    assert_int_equal(ccf_stream_header_parse(h, 24, &out, err, sizeof err), CCF_ERR_INVALID);
    assert_non_null(strstr(err, "CCFSTR01"));
    assert_int_equal(ccf_stream_opener_new(key, h, 24, &s, err, sizeof err), CCF_ERR_INVALID);
    assert_null(s);
    /* sealer chunk sizes */
    assert_int_equal(ccf_stream_sealer_new(key, 1023, hdr, &s, err, sizeof err), CCF_ERR_INVALID);
    assert_int_equal(ccf_stream_sealer_new(key, (16u << 20) + 1, hdr, &s, err, sizeof err),
                     CCF_ERR_INVALID);
    assert_int_equal(ccf_stream_sealer_new(key, 1024, hdr, &s, err, sizeof err), CCF_OK);
    /* a non-final record must be a whole chunk; a final one at most one */
    uint8_t in[1025] = {0}, rec[1100];
    size_t rl;
    assert_int_equal(ccf_stream_seal(s, in, 1000, false, rec, &rl, err, sizeof err),
                     CCF_ERR_INVALID);
    assert_int_equal(ccf_stream_seal(s, in, 1025, true, rec, &rl, err, sizeof err),
                     CCF_ERR_INVALID);
    ccf_stream_free(s);
    ccf_stream_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),  cmocka_unit_test(test_layout),
        cmocka_unit_test(test_tamper),      cmocka_unit_test(test_opener_state),
        cmocka_unit_test(test_headers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
