/* libFuzzer target for the HTTP/1.1 framing parsers (net/http1.h).
 *
 * Input: one mode byte, then bytes. The head parser reads the bytes; the
 * chunked decoder reads them from where the head ends (mode < 128) or from
 * offset mode - 128, fed once whole and once in pieces of (mode & 7) + 1
 * bytes as a data plane receiving them would. Every contract in http1.h is
 * checked, plus: a head's verdict does not depend on what follows it, a
 * prefix of a refused input is never accepted, and the decoder gives the
 * same result and consumed count however its input is split (and the same
 * body bytes, up to the failure when it fails). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/http1.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

static bool is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool err_ok(const char *err, size_t size)
{
    size_t n = strnlen(err, size);
    return n > 0 && n < size;
}

static ccf_http1_result check_head(const char *buf, size_t len, ccf_http1_request *req)
{
    char err[256];
    ccf_http1_result rc = ccf_http1_parse_request(buf, len, req, err, sizeof err);
    switch (rc) {
    case CCF_HTTP1_COMPLETE: {
        CHECK(req->size > 0 && req->size <= len && req->size <= CCF_HTTP1_HEAD_MAX);
        size_t plen = strnlen(req->path, sizeof req->path);
        CHECK(plen < sizeof req->path && plen > 0 && req->path[0] == '/');
        size_t mlen = strnlen(req->method_name, sizeof req->method_name);
        CHECK(mlen > 0 && mlen < sizeof req->method_name);
        for (size_t i = 0; i < mlen; i++)
            CHECK(is_tchar((unsigned char)req->method_name[i]));
        CHECK(req->method >= CCF_HTTP1_GET && req->method <= CCF_HTTP1_OTHER);
        CHECK((req->method == CCF_HTTP1_GET) == (strcmp(req->method_name, "GET") == 0));
        CHECK((req->method == CCF_HTTP1_PUT) == (strcmp(req->method_name, "PUT") == 0));
        CHECK((req->method == CCF_HTTP1_POST) == (strcmp(req->method_name, "POST") == 0));
        CHECK(req->minor == 0 || req->minor == 1);
        CHECK(!(req->has_length && req->chunked));
        CHECK(req->has_length || req->length == 0);
        CHECK(req->length <= UINT64_C(9223372036854775807));
        CHECK(!(req->minor == 0 && req->expect_continue));
        /* the head ends in a blank line */
        CHECK(req->size >= 3 && buf[req->size - 1] == '\n');
        CHECK(buf[req->size - 2] == '\n' ||
              (buf[req->size - 2] == '\r' && buf[req->size - 3] == '\n'));
        break;
    }
    case CCF_HTTP1_INCOMPLETE:
        CHECK(len < CCF_HTTP1_HEAD_MAX);
        break;
    case CCF_HTTP1_INVALID:
        CHECK(req->status == 400 || req->status == 417 || req->status == 431 ||
              req->status == 501 || req->status == 505);
        CHECK(err_ok(err, sizeof err));
        break;
    default:
        abort();
    }
    return rc;
}

typedef struct {
    ccf_http1_result rc;
    size_t consumed;
    uint64_t total;
    uint8_t *out; /* the body bytes yielded, at most len of them */
    size_t out_len;
} decoded;

/* Feeds in[0..len) arriving in pieces of `piece` bytes (0: all at once). */
static void decode(const uint8_t *in, size_t len, size_t piece, decoded *d)
{
    ccf_http1_chunked c;
    memset(&c, 0, sizeof c);
    size_t received = 0, consumed = 0;
    char err[256];
    d->out_len = 0;
    d->rc = CCF_HTTP1_INCOMPLETE;
    do {
        size_t add = piece == 0 || piece > len - received ? len - received : piece;
        received += add;
        for (;;) {
            size_t avail = received - consumed, used = SIZE_MAX, off = SIZE_MAX, dlen = SIZE_MAX;
            uint64_t before = c.total;
            d->rc = ccf_http1_chunked_feed(&c, in + consumed, avail, &used, &off, &dlen, err,
                                           sizeof err);
            CHECK(used <= avail);
            CHECK(c.total - before == dlen);
            if (dlen > 0) {
                CHECK(off < used && dlen <= used - off);
                CHECK(d->out_len + dlen <= len);
                memcpy(d->out + d->out_len, in + consumed + off, dlen);
                d->out_len += dlen;
            } else {
                CHECK(off == 0);
            }
            consumed += used;
            if (d->rc == CCF_HTTP1_INVALID)
                CHECK(err_ok(err, sizeof err));
            else
                CHECK(d->rc == CCF_HTTP1_INCOMPLETE || d->rc == CCF_HTTP1_COMPLETE);
            /* progress: more bytes are only asked for once all are consumed */
            if (d->rc == CCF_HTTP1_INCOMPLETE && avail > 0)
                CHECK(used > 0);
            if (d->rc != CCF_HTTP1_INCOMPLETE || used == 0)
                break;
        }
    } while (d->rc == CCF_HTTP1_INCOMPLETE && received < len);
    d->consumed = consumed;
    d->total = c.total;
    CHECK(d->total == d->out_len);
    if (d->rc == CCF_HTTP1_INCOMPLETE)
        CHECK(consumed == len);
    /* a finished decoder stays finished and consumes nothing more */
    if (d->rc != CCF_HTTP1_INCOMPLETE) {
        size_t used, off, dlen;
        char e[64];
        CHECK(ccf_http1_chunked_feed(&c, (const uint8_t *)"0\r\n\r\n", 5, &used, &off, &dlen, e,
                                     sizeof e) == d->rc);
        CHECK(used == 0 && dlen == 0);
    }
}

/* libFuzzer's entry point (declared here: libFuzzer ships no header for it). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    uint8_t mode = data[0];
    const char *buf = (const char *)data + 1;
    size_t len = size - 1;

    static ccf_http1_request req, again;
    ccf_http1_result rc = check_head(buf, len, &req);
    if (rc == CCF_HTTP1_COMPLETE) {
        /* the verdict does not depend on what follows the head */
        CHECK(check_head(buf, req.size, &again) == CCF_HTTP1_COMPLETE);
        CHECK(again.size == req.size && strcmp(again.path, req.path) == 0);
        CHECK(again.keep_alive == req.keep_alive && again.length == req.length);
        /* and no proper prefix of it is a head */
        size_t k = (size_t)mode * req.size / 256;
        CHECK(check_head(buf, k, &again) == CCF_HTTP1_INCOMPLETE);
    } else if (len > 0) {
        /* a prefix of a refused input is never accepted */
        size_t k = (size_t)mode * len / 256;
        ccf_http1_result prc = check_head(buf, k, &again);
        CHECK(prc != CCF_HTTP1_COMPLETE);
        if (prc == CCF_HTTP1_INVALID)
            CHECK(rc == CCF_HTTP1_INVALID); /* refusals are final */
    }

    size_t start = mode < 128 ? (rc == CCF_HTTP1_COMPLETE ? req.size : 0) : (size_t)(mode - 128);
    if (start > len)
        start = len;
    const uint8_t *body = data + 1 + start;
    size_t body_len = len - start;
    decoded whole, split;
    whole.out = malloc(body_len + 1);
    split.out = malloc(body_len + 1);
    CHECK(whole.out != NULL && split.out != NULL);
    decode(body, body_len, 0, &whole);
    decode(body, body_len, (size_t)(mode & 7) + 1, &split);
    CHECK(whole.rc == split.rc && whole.consumed == split.consumed);
    if (whole.rc == CCF_HTTP1_INVALID) {
        /* a failing call hands out no span, so how much came out before the
         * failure depends on the split: one output is a prefix of the other */
        size_t n = whole.out_len < split.out_len ? whole.out_len : split.out_len;
        CHECK(memcmp(whole.out, split.out, n) == 0);
    } else {
        CHECK(whole.total == split.total);
        CHECK(memcmp(whole.out, split.out, whole.out_len) == 0);
    }
    free(whole.out);
    free(split.out);
    return 0;
}
