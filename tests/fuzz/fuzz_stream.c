/* libFuzzer harness for src/envelope/stream.c (CCFSTR01): the input is a
 * stream, opened record by record with a fixed key the way a reader does (its
 * len fields say where each record ends; seeds in corpus/fuzz_stream were
 * sealed with that key, so they reach the decryption). Whatever opens must
 * be complete (finish) only with a final record. Then the input, as
 * plaintext, is sealed and must open to itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "envelope/stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t key[32] = {0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
                                0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
                                0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
                                0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22};

static void open_input(const uint8_t *data, size_t size)
{
    char err[256];
    ccf_stream *s = NULL;
    uint8_t *out = NULL;
    bool saw_final = false;
    if (ccf_stream_opener_new(key, data, size < 24 ? size : 24, &s, err, sizeof err) != CCF_OK)
        return;
    /* a small buffer first: the opener must ask for more, not overflow it */
    size_t cap = 1024, pos = CCF_STREAM_HEADER_LEN;
    if ((out = malloc(cap)) == NULL)
        abort();
    while (pos < size) {
        size_t rec = size - pos, got = 0;
        bool final = false;
        if (rec >= 4) {
            size_t l = ((size_t)data[pos] << 24 | (size_t)data[pos + 1] << 16 |
                        (size_t)data[pos + 2] << 8 | data[pos + 3]) & 0x7fffffffu;
            if (l + CCF_STREAM_RECORD_OVERHEAD < rec)
                rec = l + CCF_STREAM_RECORD_OVERHEAD;
        }
        ccf_err rc = ccf_stream_open(s, data + pos, rec, out, cap, &got, &final, err, sizeof err);
        if (rc == CCF_ERR_TOO_LARGE) {
            if (got <= cap || got > ccf_stream_chunk_size(s))
                abort();
            uint8_t *bigger = realloc(out, got);
            if (bigger == NULL)
                abort();
            out = bigger;
            cap = got;
            continue;
        }
        if (rc != CCF_OK)
            break;
        if (got > cap || saw_final)
            abort();
        saw_final = final;
        pos += rec;
    }
    if (ccf_stream_finish(s, err, sizeof err) == CCF_OK && (!saw_final || pos != size))
        abort(); /* complete without its final record, or with bytes after it */
    free(out);
    ccf_stream_free(s);
}

static void round_trip(const uint8_t *data, size_t size)
{
    char err[256];
    uint8_t hdr[CCF_STREAM_HEADER_LEN], rec[1024 + CCF_STREAM_RECORD_OVERHEAD], back[1024];
    ccf_stream *w = NULL, *r = NULL;
    if (ccf_stream_sealer_new(key, 1024, hdr, &w, err, sizeof err) != CCF_OK ||
        ccf_stream_opener_new(key, hdr, sizeof hdr, &r, err, sizeof err) != CCF_OK)
        abort();
    size_t off = 0;
    bool final = false;
    while (!final) {
        size_t n = size - off > 1024 ? 1024 : size - off, rl = 0, got = 0;
        bool last = size - off <= 1024, f = false;
        if (ccf_stream_seal(w, data + off, n, last, rec, &rl, err, sizeof err) != CCF_OK ||
            ccf_stream_open(r, rec, rl, back, sizeof back, &got, &f, err, sizeof err) != CCF_OK ||
            got != n || f != last || (n > 0 && memcmp(back, data + off, n) != 0))
            abort();
        off += n;
        final = last;
    }
    if (ccf_stream_finish(r, err, sizeof err) != CCF_OK)
        abort();
    ccf_stream_free(w);
    ccf_stream_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    open_input(data, size);
    round_trip(data, size);
    return 0;
}
