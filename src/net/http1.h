/* HTTP/1.1 request framing for the data plane (RFC 9112), from untrusted bytes.
 *
 * Two pure parsers with no I/O, so the data plane can stream request bodies
 * straight into their destination (libevent 2.1's evhttp buffers whole bodies
 * before a handler runs) and so both can be fuzzed on their own:
 *  - ccf_http1_parse_request: a request head (request line + header fields),
 *    at most CCF_HTTP1_HEAD_MAX bytes;
 *  - ccf_http1_chunked_feed: a "Transfer-Encoding: chunked" body, fed in any
 *    pieces, yielding the body bytes in place.
 * Neither allocates; all state lives in the caller's structs. */
#ifndef CCF_NET_HTTP1_H
#define CCF_NET_HTTP1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CCF_HTTP1_HEAD_MAX 16384 /* request line + fields + blank line */
#define CCF_HTTP1_PATH_MAX 4096  /* the decoded path, NUL included */

typedef enum {
    CCF_HTTP1_INCOMPLETE = 0, /* well-formed so far: more bytes are needed */
    CCF_HTTP1_COMPLETE,       /* done (see each function for what was consumed) */
    CCF_HTTP1_INVALID,        /* malformed: answer `status` with err, then close */
} ccf_http1_result;

typedef enum {
    CCF_HTTP1_GET,
    CCF_HTTP1_PUT,
    CCF_HTTP1_POST,
    CCF_HTTP1_OTHER, /* a syntactically valid method the data plane does not serve */
} ccf_http1_method;

typedef struct {
    ccf_http1_method method;
    char method_name[16]; /* as sent (longer method tokens are INVALID 501) */
    /* The request target's path, percent-decoded ("%2F" -> "/", "+" kept);
     * the query ("?..." ) is dropped. Never contains NUL. */
    char path[CCF_HTTP1_PATH_MAX];
    int minor;            /* HTTP/1.<minor>: 0 or 1 */
    bool has_length;      /* a Content-Length field was present */
    uint64_t length;      /* its value */
    bool chunked;         /* Transfer-Encoding: chunked */
    bool keep_alive;      /* the connection may carry another request after this one */
    bool expect_continue; /* Expect: 100-continue */
    size_t size;          /* COMPLETE: bytes of the head, blank line included */
    int status;           /* INVALID: the status to answer (400, 417, 431, 501, 505) */
} ccf_http1_request;

/* Parses the request head at the start of buf[0..len).
 * COMPLETE: req is filled and req->size bytes belong to the head (the body,
 * or the next request, follows). INCOMPLETE: no blank line yet and nothing
 * malformed in what is there (callers read more and call again with the
 * whole buffer). INVALID: req->status and err (what, where, why) say why.
 * Rules:
 *  - one optional leading empty line is skipped; lines end in CRLF or LF; a
 *    bare CR elsewhere, obs-fold (a line starting with SP/HTAB), a field name
 *    that is not a token or whitespace before the colon -> 400;
 *  - request line: METHOD SP origin-form SP HTTP/1.x, exactly single spaces;
 *    the method a token (GET, PUT, POST known; other tokens -> OTHER); an
 *    overlong method -> 501; a target not starting with "/", containing a
 *    control char, SP, "#", a bad or NUL ("%00") escape, or decoding to
 *    CCF_HTTP1_PATH_MAX bytes or more -> 400; "HTTP/1.0" and "HTTP/1.1"
 *    accepted, any other "HTTP/d.d" -> 505, anything else -> 400;
 *  - Content-Length: digits only, no overflow past 2^63-1; repeated with the
 *    same value accepted, different values -> 400;
 *  - Transfer-Encoding: exactly "chunked" (case-insensitive, OWS around)
 *    -> chunked; any other coding -> 501; with Content-Length too -> 400;
 *  - Connection: a comma list; "close" clears keep_alive, "keep-alive" sets it
 *    for HTTP/1.0 (default: keep_alive for 1.1, not for 1.0);
 *  - Expect: "100-continue" (case-insensitive) sets expect_continue; any other
 *    expectation -> 417;
 *  - Host: required in HTTP/1.1 (RFC 9112 3.2), at most one, its value
 *    uri-host [":" port] characters only (may be empty); otherwise -> 400;
 *  - no blank line within CCF_HTTP1_HEAD_MAX bytes -> 431. */
ccf_http1_result ccf_http1_parse_request(const char *buf, size_t len, ccf_http1_request *req,
                                         char *err, size_t err_size)
    __attribute__((warn_unused_result));

/* State of a chunked body being decoded; zero-initialise before the first feed. */
typedef struct {
    int state;         /* internal */
    uint64_t left;     /* bytes left in the current chunk */
    size_t line;       /* bytes of the current size/trailer line seen */
    size_t trailer;    /* bytes of trailer fields seen */
    uint64_t total;    /* body bytes yielded so far */
} ccf_http1_chunked;

/* Feeds in[0..len) to the decoder. Sets *used to the bytes consumed (<= len)
 * and, when they include body bytes, *data_off and *data_len to the one span of
 * in holding them (data_len 0 otherwise); at most one span per call, so
 * callers loop while *used > 0. Returns COMPLETE once the last chunk and the
 * trailer section (discarded) are consumed (*used stops right after them:
 * what follows is the next request), INCOMPLETE when more bytes are needed
 * (after consuming what it could), INVALID on a framing error (chunk size not
 * hex, over 2^60, missing CRLF after data, a size or trailer line over 4096
 * bytes, trailers over CCF_HTTP1_HEAD_MAX) with err saying where. */
ccf_http1_result ccf_http1_chunked_feed(ccf_http1_chunked *c, const uint8_t *in, size_t len,
                                        size_t *used, size_t *data_off, size_t *data_len,
                                        char *err, size_t err_size)
    __attribute__((warn_unused_result));

#endif
