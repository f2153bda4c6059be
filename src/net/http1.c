/* HTTP/1.1 request framing (RFC 9112) from untrusted bytes: see http1.h.
 *
 * Both parsers are bounded: the head parser looks at no more than
 * CCF_HTTP1_HEAD_MAX bytes and writes only into the caller's struct; the
 * chunked decoder keeps its whole state in ccf_http1_chunked and looks at
 * each input byte once. Nothing here allocates. */
#include "net/http1.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define LINE_MAX_CHUNKED 4096                    /* a chunk size or trailer line, CRLF excluded */
#define CHUNK_SIZE_MAX (UINT64_C(1) << 60)       /* largest chunk size accepted */
#define LENGTH_MAX UINT64_C(9223372036854775807) /* 2^63 - 1 */
#define SHOW_MAX 32                              /* input bytes quoted in an error message */

/* ---------------------------------------------------------------- helpers */

static bool is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* A character of uri-host [":" port] (RFC 3986: unreserved, sub-delims,
 * "%" of pct-encoded, "[" "]" of IP literals, ":"). */
static bool is_host_char(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != '\0' && strchr("-._~!$&'()*+,;=:[]%", c) != NULL;
}

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool is_ows(unsigned char c)
{
    return c == ' ' || c == '\t';
}

/* Narrows v[*a..*b) to exclude leading and trailing OWS. */
static void trim_ows(const char *v, size_t *a, size_t *b)
{
    while (*a < *b && is_ows((unsigned char)v[*a]))
        (*a)++;
    while (*b > *a && is_ows((unsigned char)v[*b - 1]))
        (*b)--;
}

/* The next element of the comma-separated list v[0..n) from *i on, OWS
 * trimmed, as v[*a..*b) (possibly empty); false once the list is done. */
static bool list_next(const char *v, size_t n, size_t *i, size_t *a, size_t *b)
{
    if (*i > n)
        return false;
    *a = *i;
    while (*i < n && v[*i] != ',')
        (*i)++;
    *b = *i;
    (*i)++; /* past the comma (or past the end, which ends the list) */
    trim_ows(v, a, b);
    return true;
}

/* p[0..n) equals the NUL-terminated word, ignoring ASCII case (the C
 * locale's rules: nothing here sets another). */
static bool ci_equal(const char *p, size_t n, const char *word)
{
    return strlen(word) == n && strncasecmp(p, word, n) == 0;
}

/* Writes p[0..n) into out as a printable quoted excerpt (no quotes added):
 * bytes outside printable ASCII, '"' and '\\' escaped, at most SHOW_MAX input
 * bytes, "..." when cut. Returns out. */
static const char *show(char *out, size_t out_size, const char *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    size_t o = 0;
    size_t shown = n < SHOW_MAX ? n : SHOW_MAX;
    for (size_t i = 0; i < shown; i++) {
        unsigned char c = (unsigned char)p[i];
        char tmp[4];
        size_t tn;
        if (c == '"' || c == '\\') {
            tmp[0] = '\\';
            tmp[1] = (char)c;
            tn = 2;
        } else if (c < 0x20 || c >= 0x7f) {
            tmp[0] = '\\';
            tmp[1] = 'x';
            tmp[2] = digits[c >> 4];
            tmp[3] = digits[c & 15];
            tn = 4;
        } else {
            tmp[0] = (char)c;
            tn = 1;
        }
        if (o + tn + 4 > out_size) /* room for "..." and the NUL */
            break;
        memcpy(out + o, tmp, tn);
        o += tn;
    }
    if (shown < n && o + 4 <= out_size) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    if (out_size > 0)
        out[o < out_size ? o : out_size - 1] = '\0';
    return out;
}

#define SHOW_BUF (SHOW_MAX * 4 + 4)

__attribute__((format(printf, 3, 0))) static void set_err(char *err, size_t err_size, const char *fmt, va_list ap)
{
    if (err == NULL || err_size == 0)
        return;
    int n = vsnprintf(err, err_size, fmt, ap);
    if (n < 0)
        err[0] = '\0';
}

/* ------------------------------------------------------------ request head */

typedef struct {
    ccf_http1_request *req;
    char *err;
    size_t err_size;
    bool conn_close;      /* Connection: close seen */
    bool conn_keep_alive; /* Connection: keep-alive seen */
    bool host_seen;       /* a Host field seen */
    size_t path_len;      /* bytes of req->path written */
} head_parser;

__attribute__((format(printf, 3, 4))) static ccf_http1_result fail(head_parser *hp, int status,
                                                                   const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_err(hp->err, hp->err_size, fmt, ap);
    va_end(ap);
    hp->req->status = status;
    return CCF_HTTP1_INVALID;
}

/* Finds the line starting at buf[pos] within buf[0..avail). Returns 1 with
 * *end (content end) and *next (after the terminator) for a complete line, 0
 * when the line runs to avail (then *end is where its content stops so far),
 * -1 for a CR not followed by LF (*end is the CR). */
static int next_line(const char *buf, size_t pos, size_t avail, size_t *end, size_t *next)
{
    for (size_t i = pos; i < avail; i++) {
        if (buf[i] == '\n') {
            *end = i;
            *next = i + 1;
            return 1;
        }
        if (buf[i] == '\r') {
            *end = i;
            if (i + 1 == avail)
                return 0;
            if (buf[i + 1] != '\n')
                return -1;
            *next = i + 2;
            return 1;
        }
    }
    *end = avail;
    return 0;
}

/* Appends one decoded byte to the path (NUL kept after it). */
static ccf_http1_result path_add(head_parser *hp, char c)
{
    if (hp->path_len + 1 >= CCF_HTTP1_PATH_MAX)
        return fail(hp, 400, "request line: the path is %d bytes or more once decoded",
                    CCF_HTTP1_PATH_MAX);
    hp->req->path[hp->path_len++] = c;
    hp->req->path[hp->path_len] = '\0';
    return CCF_HTTP1_INCOMPLETE;
}

/* The request line p[0..n); complete is false when more of it may follow,
 * in which case only what is there is checked. Returns INVALID or
 * INCOMPLETE (meaning: fine so far). */
static ccf_http1_result parse_request_line(head_parser *hp, const char *p, size_t n, bool complete)
{
    ccf_http1_request *req = hp->req;
    char shown[SHOW_BUF];
    size_t i = 0;

    while (i < n && is_tchar((unsigned char)p[i]))
        i++;
    size_t mlen = i;
    if (mlen >= sizeof req->method_name)
        return fail(hp, 501, "request line: method \"%s\" is longer than %zu characters",
                    show(shown, sizeof shown, p, mlen), sizeof req->method_name - 1);
    if (i == n) {
        if (!complete)
            return CCF_HTTP1_INCOMPLETE;
        if (n == 0)
            return fail(hp, 400, "request line: empty (expected METHOD /path HTTP/1.1)");
        return fail(hp, 400, "request line: nothing after the method \"%s\"",
                    show(shown, sizeof shown, p, mlen));
    }
    if (mlen == 0)
        return fail(hp, 400, "request line: the method must be a token, not \"%s\"",
                    show(shown, sizeof shown, p, n));
    if (p[i] != ' ')
        return fail(hp, 400, "request line: the method is followed by \"%s\", not a single space",
                    show(shown, sizeof shown, p + i, 1));
    memcpy(req->method_name, p, mlen);
    req->method_name[mlen] = '\0';
    if (strcmp(req->method_name, "GET") == 0)
        req->method = CCF_HTTP1_GET;
    else if (strcmp(req->method_name, "PUT") == 0)
        req->method = CCF_HTTP1_PUT;
    else if (strcmp(req->method_name, "POST") == 0)
        req->method = CCF_HTTP1_POST;
    else
        req->method = CCF_HTTP1_OTHER;
    i++;

    /* The target, origin-form: absolute-path [ "?" query ]. */
    if (i == n) {
        if (!complete)
            return CCF_HTTP1_INCOMPLETE;
        return fail(hp, 400, "request line: no request target after the method");
    }
    if (p[i] == ' ')
        return fail(hp, 400, "request line: more than one space after the method");
    if (p[i] != '/')
        return fail(hp, 400, "request line: target must start with \"/\" (origin-form), not \"%s\"",
                    show(shown, sizeof shown, p + i, n - i));
    bool in_query = false;
    while (i < n && p[i] != ' ') {
        unsigned char c = (unsigned char)p[i];
        if (c < 0x20 || c == 0x7f)
            return fail(hp, 400, "request line: control character 0x%02x in the target at byte %zu",
                        c, i);
        if (c >= 0x80)
            return fail(hp, 400,
                        "request line: non-ASCII byte 0x%02x in the target at byte %zu "
                        "(percent-encode it)",
                        c, i);
        if (c == '#')
            return fail(hp, 400, "request line: \"#\" in the target (a fragment is never sent)");
        if (c == '%') {
            for (size_t k = 1; k <= 2; k++) {
                if (i + k == n) {
                    if (!complete)
                        return CCF_HTTP1_INCOMPLETE;
                    return fail(hp, 400, "request line: truncated escape \"%s\" in the target",
                                show(shown, sizeof shown, p + i, n - i));
                }
                if (hex_value((unsigned char)p[i + k]) < 0)
                    return fail(hp, 400,
                                "request line: bad escape \"%s\" in the target (%% must be "
                                "followed by two hexadecimal digits)",
                                show(shown, sizeof shown, p + i, n - i < 3 ? n - i : 3));
            }
            int v = hex_value((unsigned char)p[i + 1]) * 16 + hex_value((unsigned char)p[i + 2]);
            if (v == 0)
                return fail(hp, 400, "request line: \"%%00\" in the target (NUL is refused)");
            if (!in_query && path_add(hp, (char)v) == CCF_HTTP1_INVALID)
                return CCF_HTTP1_INVALID;
            i += 3;
            continue;
        }
        if (c == '?')
            in_query = true;
        else if (!in_query && path_add(hp, (char)c) == CCF_HTTP1_INVALID)
            return CCF_HTTP1_INVALID;
        i++;
    }
    if (i == n) {
        if (!complete)
            return CCF_HTTP1_INCOMPLETE;
        return fail(hp, 400, "request line: no HTTP version after the target");
    }
    i++; /* the space */

    /* The version: exactly "HTTP/" DIGIT "." DIGIT. */
    static const char pattern[] = "HTTP/d.d";
    const size_t plen = sizeof pattern - 1;
    const char *v = p + i;
    size_t vlen = n - i;
    if (vlen > 0 && v[0] == ' ')
        return fail(hp, 400, "request line: more than one space after the target");
    /* what is there must fit the pattern; once complete, all of it must be there */
    bool fits = vlen <= plen;
    for (size_t k = 0; fits && k < vlen; k++)
        fits = pattern[k] == 'd' ? (v[k] >= '0' && v[k] <= '9') : v[k] == pattern[k];
    if (fits && !complete)
        return CCF_HTTP1_INCOMPLETE;
    if (!fits || vlen < plen)
        return fail(hp, 400, "request line: \"%s\" is not an HTTP version (expected HTTP/1.1)",
                    show(shown, sizeof shown, v, vlen));
    if (v[5] != '1' || (v[7] != '0' && v[7] != '1'))
        return fail(hp, 505,
                    "request line: HTTP/%c.%c is not supported (only HTTP/1.0 and HTTP/1.1)", v[5],
                    v[7]);
    req->minor = v[7] - '0';
    return CCF_HTTP1_INCOMPLETE;
}

static ccf_http1_result field_content_length(head_parser *hp, unsigned line, const char *v,
                                             size_t n)
{
    ccf_http1_request *req = hp->req;
    char shown[SHOW_BUF];
    if (n == 0)
        return fail(hp, 400, "header line %u: Content-Length is empty", line);
    uint64_t value = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return fail(hp, 400, "header line %u: Content-Length \"%s\" is not a decimal number",
                        line, show(shown, sizeof shown, v, n));
        unsigned d = (unsigned)(v[i] - '0');
        if (value > (LENGTH_MAX - d) / 10)
            return fail(hp, 400, "header line %u: Content-Length \"%s\" is larger than 2^63-1",
                        line, show(shown, sizeof shown, v, n));
        value = value * 10 + d;
    }
    if (req->has_length && req->length != value)
        return fail(hp, 400,
                    "header line %u: a second Content-Length with a different value (%llu, "
                    "earlier %llu)",
                    line, (unsigned long long)value, (unsigned long long)req->length);
    if (req->chunked)
        return fail(hp, 400,
                    "header line %u: Content-Length after Transfer-Encoding (both framings at "
                    "once are refused)",
                    line);
    req->has_length = true;
    req->length = value;
    return CCF_HTTP1_INCOMPLETE;
}

/* Transfer-Encoding is a list, and its field lines make one list: it must
 * be exactly one "chunked" (several lines or elements of it: applied twice). */
static ccf_http1_result field_transfer_encoding(head_parser *hp, unsigned line, const char *v,
                                                size_t n)
{
    ccf_http1_request *req = hp->req;
    char shown[SHOW_BUF];
    size_t i = 0, a, b;
    while (list_next(v, n, &i, &a, &b)) {
        if (a == b)
            return fail(hp, 400, "header line %u: empty Transfer-Encoding element in \"%s\"", line,
                        show(shown, sizeof shown, v, n));
        if (!ci_equal(v + a, b - a, "chunked"))
            return fail(hp, 501,
                        "header line %u: Transfer-Encoding \"%s\" is not implemented (only "
                        "\"chunked\" alone)",
                        line, show(shown, sizeof shown, v + a, b - a));
        if (req->chunked)
            return fail(hp, 400,
                        "header line %u: Transfer-Encoding chunked more than once (applied twice)",
                        line);
        req->chunked = true;
    }
    if (req->has_length)
        return fail(hp, 400,
                    "header line %u: Transfer-Encoding after Content-Length (both framings at "
                    "once are refused)",
                    line);
    return CCF_HTTP1_INCOMPLETE;
}

static ccf_http1_result field_connection(head_parser *hp, unsigned line, const char *v, size_t n)
{
    char shown[SHOW_BUF];
    size_t i = 0, a, b;
    while (list_next(v, n, &i, &a, &b)) {
        for (size_t k = a; k < b; k++)
            if (!is_tchar((unsigned char)v[k]))
                return fail(hp, 400, "header line %u: Connection option \"%s\" is not a token",
                            line, show(shown, sizeof shown, v + a, b - a));
        if (ci_equal(v + a, b - a, "close"))
            hp->conn_close = true;
        else if (ci_equal(v + a, b - a, "keep-alive"))
            hp->conn_keep_alive = true;
    }
    return CCF_HTTP1_INCOMPLETE;
}

/* RFC 9112 3.2: exactly one Host field whose value is uri-host [":" port]
 * (empty allowed). Only its shape is checked: the data plane serves a single
 * origin, so the name itself is not compared with anything. */
static ccf_http1_result field_host(head_parser *hp, unsigned line, const char *v, size_t n)
{
    char shown[SHOW_BUF];
    if (hp->host_seen)
        return fail(hp, 400, "header line %u: a second Host field (exactly one is allowed)",
                    line);
    hp->host_seen = true;
    for (size_t k = 0; k < n; k++) {
        unsigned char c = (unsigned char)v[k];
        if (!is_host_char(c))
            return fail(hp, 400, "header line %u: Host \"%s\" is not a host[:port]", line,
                        show(shown, sizeof shown, v, n));
    }
    return CCF_HTTP1_INCOMPLETE;
}

static ccf_http1_result field_expect(head_parser *hp, unsigned line, const char *v, size_t n)
{
    char shown[SHOW_BUF];
    if (!ci_equal(v, n, "100-continue"))
        return fail(hp, 417,
                    "header line %u: expectation \"%s\" is not supported (only 100-continue)", line,
                    show(shown, sizeof shown, v, n));
    /* RFC 9110 10.1.1: a 100-continue expectation in an HTTP/1.0 request is ignored. */
    if (hp->req->minor == 1)
        hp->req->expect_continue = true;
    return CCF_HTTP1_INCOMPLETE;
}

/* A field line p[0..n) (number `line`, from 1); complete as for the request line. */
static ccf_http1_result parse_field_line(head_parser *hp, unsigned line, const char *p, size_t n,
                                         bool complete)
{
    char shown[SHOW_BUF];
    if (n == 0)
        return CCF_HTTP1_INCOMPLETE; /* only a partial line can be empty here */
    if (is_ows((unsigned char)p[0]))
        return fail(hp, 400, "header line %u: starts with whitespace (obsolete line folding)",
                    line);
    size_t i = 0;
    while (i < n && is_tchar((unsigned char)p[i]))
        i++;
    if (i == n) {
        if (!complete)
            return CCF_HTTP1_INCOMPLETE;
        return fail(hp, 400, "header line %u: no colon in \"%s\"", line,
                    show(shown, sizeof shown, p, n));
    }
    if (p[i] != ':') {
        if (is_ows((unsigned char)p[i]))
            return fail(hp, 400, "header line %u: whitespace before the colon", line);
        return fail(hp, 400, "header line %u: field name \"%s\" is not a token", line,
                    show(shown, sizeof shown, p, i + 1));
    }
    if (i == 0)
        return fail(hp, 400, "header line %u: empty field name", line);
    const char *name = p;
    size_t name_len = i;
    i++;
    for (size_t k = i; k < n; k++) {
        unsigned char c = (unsigned char)p[k];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return fail(hp, 400, "header line %u: control character 0x%02x in the %s value", line,
                        c, show(shown, sizeof shown, name, name_len));
    }
    if (!complete)
        return CCF_HTTP1_INCOMPLETE;
    size_t a = i, b = n;
    trim_ows(p, &a, &b);
    if (ci_equal(name, name_len, "content-length"))
        return field_content_length(hp, line, p + a, b - a);
    if (ci_equal(name, name_len, "transfer-encoding"))
        return field_transfer_encoding(hp, line, p + a, b - a);
    if (ci_equal(name, name_len, "connection"))
        return field_connection(hp, line, p + a, b - a);
    if (ci_equal(name, name_len, "expect"))
        return field_expect(hp, line, p + a, b - a);
    if (ci_equal(name, name_len, "host"))
        return field_host(hp, line, p + a, b - a);
    return CCF_HTTP1_INCOMPLETE;
}

/* No blank line in buf[0..len) and nothing malformed up to here. */
static ccf_http1_result need_more(head_parser *hp, size_t len)
{
    if (len >= CCF_HTTP1_HEAD_MAX)
        return fail(
            hp, 431,
            "request head: no blank line within the first %d bytes (header section too large)",
            CCF_HTTP1_HEAD_MAX);
    return CCF_HTTP1_INCOMPLETE;
}

ccf_http1_result ccf_http1_parse_request(const char *buf, size_t len, ccf_http1_request *req,
                                         char *err, size_t err_size)
{
    head_parser hp = {.req = req, .err = err, .err_size = err_size};
    memset(req, 0, sizeof *req);
    if (err != NULL && err_size > 0)
        err[0] = '\0';
    if (buf == NULL) {
        buf = "";
        len = 0;
    }
    size_t avail = len < CCF_HTTP1_HEAD_MAX ? len : CCF_HTTP1_HEAD_MAX;
    size_t pos = 0, end = 0, next = 0;
    ccf_http1_result rc;

    /* One optional empty line before the request line (RFC 9112 2.2). */
    int r = next_line(buf, 0, avail, &end, &next);
    if (r < 0)
        return fail(&hp, 400, "request line: a CR not followed by LF");
    if (r > 0 && end == 0)
        pos = next;
    else if (r == 0 && avail > 0 && buf[0] == '\r')
        return need_more(&hp, len);

    r = next_line(buf, pos, avail, &end, &next);
    if (r < 0)
        return fail(&hp, 400, "request line: a CR not followed by LF");
    rc = parse_request_line(&hp, buf + pos, end - pos, r > 0);
    if (rc == CCF_HTTP1_INVALID)
        return rc;
    if (r == 0)
        return need_more(&hp, len);
    pos = next;

    for (unsigned line = 1;; line++) {
        r = next_line(buf, pos, avail, &end, &next);
        if (r < 0)
            return fail(&hp, 400, "header line %u: a CR not followed by LF", line);
        if (r > 0 && end == pos)
            break; /* the blank line */
        rc = parse_field_line(&hp, line, buf + pos, end - pos, r > 0);
        if (rc == CCF_HTTP1_INVALID)
            return rc;
        if (r == 0)
            return need_more(&hp, len);
        pos = next;
    }

    if (req->minor == 1 && !hp.host_seen)
        return fail(&hp, 400, "request head: no Host field (required in HTTP/1.1)");
    req->keep_alive = req->minor == 1 ? !hp.conn_close : (hp.conn_keep_alive && !hp.conn_close);
    /* RFC 9112 6.1: Transfer-Encoding in an HTTP/1.0 request means faulty
     * framing; the connection is closed after this request. */
    if (req->minor == 0 && req->chunked)
        req->keep_alive = false;
    req->size = next;
    return CCF_HTTP1_COMPLETE;
}

/* ------------------------------------------------------------ chunked body */

enum {
    CH_SIZE = 0, /* chunk-size digits (c->line of them so far) */
    CH_SIZE_WS,  /* whitespace after the digits, before ";" */
    CH_EXT,      /* chunk extensions, ignored */
    CH_SIZE_LF,  /* CR seen at the end of the size line */
    CH_DATA,     /* c->left bytes of chunk data */
    CH_DATA_CR,  /* the CRLF after the data */
    CH_DATA_LF,
    CH_TR_START, /* start of a trailer line (or the final blank line) */
    CH_TR_NAME,
    CH_TR_VALUE,
    CH_TR_LF,  /* CR seen at the end of a trailer line */
    CH_END_LF, /* CR seen on the final blank line */
    CH_DONE,
    CH_FAILED,
};

__attribute__((format(printf, 4, 5))) static ccf_http1_result
chunk_fail(ccf_http1_chunked *c, char *err, size_t err_size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_err(err, err_size, fmt, ap);
    va_end(ap);
    c->state = CH_FAILED;
    return CCF_HTTP1_INVALID;
}

/* Extent of a would-be token at p[0..n) for an error message. */
static size_t bad_run(const uint8_t *p, size_t n)
{
    size_t k = 0;
    while (k < n && p[k] != '\r' && p[k] != '\n' && p[k] != ';' && p[k] != ' ' && p[k] != '\t')
        k++;
    return k > 0 ? k : (n > 0 ? 1 : 0);
}

static ccf_http1_result feed(ccf_http1_chunked *c, const uint8_t *in, size_t len, size_t *used,
                             size_t *data_off, size_t *data_len, char *err, size_t err_size)
{
    char shown[SHOW_BUF];
    size_t i = 0;
    bool have_span = false;
    *used = 0;
    *data_off = 0;
    *data_len = 0;
    if (err != NULL && err_size > 0)
        err[0] = '\0';
    if (in == NULL) {
        in = (const uint8_t *)"";
        len = 0;
    }

    while (i < len) {
        uint8_t b = in[i];
        switch (c->state) {
        case CH_DONE:
            *used = i;
            return CCF_HTTP1_COMPLETE;
        case CH_FAILED:
            *used = i;
            return chunk_fail(c, err, err_size, "chunked body: already failed");

        case CH_SIZE: {
            int h = hex_value(b);
            if (h >= 0) {
                c->left = c->left * 16 + (uint64_t)h; /* left <= 2^60 before: no wrap */
                if (c->left > CHUNK_SIZE_MAX)
                    goto too_big;
                if (++c->line > LINE_MAX_CHUNKED)
                    goto line_long;
                i++;
                break;
            }
            if (c->line == 0) {
                *used = i;
                if (b == '\r' || b == '\n' || b == ';' || b == ' ' || b == '\t')
                    return chunk_fail(c, err, err_size,
                                      "chunk size line: no chunk size (after %llu body bytes)",
                                      (unsigned long long)c->total);
                return chunk_fail(
                    c, err, err_size, "chunk size line: \"%s\" is not hexadecimal",
                    show(shown, sizeof shown, (const char *)in + i, bad_run(in + i, len - i)));
            }
            if (b == '\r') {
                c->state = CH_SIZE_LF;
            } else if (b == ';') {
                c->state = CH_EXT;
            } else if (b == ' ' || b == '\t') {
                c->state = CH_SIZE_WS;
            } else if (b == '\n') {
                *used = i;
                return chunk_fail(c, err, err_size,
                                  "chunk size line: ends in a bare LF (CRLF required)");
            } else {
                *used = i;
                return chunk_fail(
                    c, err, err_size, "chunk size line: \"%s\" is not hexadecimal",
                    show(shown, sizeof shown, (const char *)in + i, bad_run(in + i, len - i)));
            }
            if (b != '\r' && ++c->line > LINE_MAX_CHUNKED)
                goto line_long;
            i++;
            break;
        }
        case CH_SIZE_WS:
            if (b == ';') {
                c->state = CH_EXT;
            } else if (b == '\r') {
                *used = i;
                return chunk_fail(c, err, err_size,
                                  "chunk size line: whitespace after the size and no extension");
            } else if (b != ' ' && b != '\t') {
                *used = i;
                return chunk_fail(
                    c, err, err_size,
                    "chunk size line: \"%s\" after the size (expected \";\" or CRLF)",
                    show(shown, sizeof shown, (const char *)in + i, bad_run(in + i, len - i)));
            }
            if (++c->line > LINE_MAX_CHUNKED)
                goto line_long;
            i++;
            break;
        case CH_EXT:
            if (b == '\r') {
                c->state = CH_SIZE_LF;
            } else if ((b < 0x20 && b != '\t') || b == 0x7f) {
                *used = i;
                return chunk_fail(c, err, err_size,
                                  "chunk size line: control character 0x%02x in a chunk extension",
                                  b);
            } else if (++c->line > LINE_MAX_CHUNKED) {
                goto line_long;
            }
            i++;
            break;
        case CH_SIZE_LF:
            if (b != '\n') {
                *used = i;
                return chunk_fail(c, err, err_size, "chunk size line: CR not followed by LF");
            }
            c->line = 0;
            c->state = c->left == 0 ? CH_TR_START : CH_DATA;
            i++;
            break;

        case CH_DATA: {
            if (have_span) {
                *used = i;
                return CCF_HTTP1_INCOMPLETE; /* one span per call */
            }
            uint64_t n = len - i;
            if (n > c->left)
                n = c->left;
            *data_off = i;
            *data_len = (size_t)n;
            have_span = true;
            c->left -= n;
            c->total += n;
            i += (size_t)n;
            if (c->left == 0)
                c->state = CH_DATA_CR;
            break;
        }
        case CH_DATA_CR:
        case CH_DATA_LF:
            if (b != (c->state == CH_DATA_CR ? '\r' : '\n')) {
                *used = i;
                return chunk_fail(c, err, err_size,
                                  "chunk data: missing CRLF after the chunk data (found \"%s\" "
                                  "after %llu body bytes)",
                                  show(shown, sizeof shown, (const char *)in + i, 1),
                                  (unsigned long long)c->total);
            }
            c->state = c->state == CH_DATA_CR ? CH_DATA_LF : CH_SIZE;
            i++;
            break;

        case CH_TR_START:
            if (b == '\r') {
                c->state = CH_END_LF;
                i++;
                break;
            }
            if (b == ' ' || b == '\t') {
                *used = i;
                return chunk_fail(c, err, err_size,
                                  "trailer: line starts with whitespace (obsolete line folding)");
            }
            if (b == ':') {
                *used = i;
                return chunk_fail(c, err, err_size, "trailer: empty field name");
            }
            if (b == '\n') {
                *used = i;
                return chunk_fail(c, err, err_size, "trailer: bare LF (CRLF required)");
            }
            c->state = CH_TR_NAME; /* the byte is the first of the name */
            __attribute__((fallthrough));
        case CH_TR_NAME:
            if (b == ':') {
                c->state = CH_TR_VALUE;
            } else if (!is_tchar(b)) {
                *used = i;
                if (b == ' ' || b == '\t')
                    return chunk_fail(c, err, err_size, "trailer: whitespace before the colon");
                if (b == '\r' || b == '\n')
                    return chunk_fail(c, err, err_size, "trailer: field line without a colon");
                return chunk_fail(c, err, err_size,
                                  "trailer: byte 0x%02x in a field name is not a token character",
                                  b);
            }
            goto trailer_byte;
        case CH_TR_VALUE:
            if (b == '\r') {
                c->state = CH_TR_LF;
            } else if ((b < 0x20 && b != '\t') || b == 0x7f) {
                *used = i;
                return chunk_fail(c, err, err_size,
                                  "trailer: control character 0x%02x in a field value%s", b,
                                  b == '\n' ? " (bare LF; CRLF required)" : "");
            }
            goto trailer_byte;
        case CH_TR_LF:
            if (b != '\n') {
                *used = i;
                return chunk_fail(c, err, err_size, "trailer: CR not followed by LF");
            }
            c->state = CH_TR_START;
            if (++c->trailer > CCF_HTTP1_HEAD_MAX)
                goto trailers_long;
            c->line = 0;
            i++;
            break;
        trailer_byte:
            if (b != '\r' && ++c->line > LINE_MAX_CHUNKED)
                goto line_long;
            if (++c->trailer > CCF_HTTP1_HEAD_MAX)
                goto trailers_long;
            i++;
            break;
        case CH_END_LF:
            if (b != '\n') {
                *used = i;
                return chunk_fail(c, err, err_size,
                                  "trailer: CR not followed by LF on the last line");
            }
            c->state = CH_DONE;
            *used = i + 1;
            return CCF_HTTP1_COMPLETE;
        default:
            *used = i;
            return chunk_fail(c, err, err_size, "chunked body: corrupt decoder state %d", c->state);
        }
    }
    *used = i;
    if (c->state == CH_DONE)
        return CCF_HTTP1_COMPLETE;
    if (c->state == CH_FAILED)
        return chunk_fail(c, err, err_size, "chunked body: already failed");
    return CCF_HTTP1_INCOMPLETE;

too_big:
    *used = i;
    return chunk_fail(c, err, err_size, "chunk size line: chunk size over 2^60 bytes");
line_long:
    *used = i;
    return chunk_fail(c, err, err_size, "%s line: longer than %d bytes",
                      c->state >= CH_TR_START ? "trailer" : "chunk size", LINE_MAX_CHUNKED);
trailers_long:
    *used = i;
    return chunk_fail(c, err, err_size, "trailer: trailer section longer than %d bytes",
                      CCF_HTTP1_HEAD_MAX);
}

ccf_http1_result ccf_http1_chunked_feed(ccf_http1_chunked *c, const uint8_t *in, size_t len,
                                        size_t *used, size_t *data_off, size_t *data_len, char *err,
                                        size_t err_size)
{
    ccf_http1_result rc = feed(c, in, len, used, data_off, data_len, err, err_size);
    if (rc == CCF_HTTP1_INVALID && *data_len > 0) {
        /* body bytes from a call that fails are not handed out */
        c->total -= *data_len;
        *data_off = 0;
        *data_len = 0;
    }
    return rc;
}
