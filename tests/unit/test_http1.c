/* Unit tests for src/net/http1: the request head parser (every rule in
 * http1.h, accepted and refused, with the status answered) and the chunked
 * body decoder (whole, byte by byte, random splits). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "net/addr.h"
#include "net/http1.h"
#include "net/status.h"

static ccf_http1_request req;
static char err[256];

static ccf_http1_result parse_n(const char *s, size_t n)
{
    return ccf_http1_parse_request(s, n, &req, err, sizeof err);
}

static ccf_http1_result parse(const char *s)
{
    return parse_n(s, strlen(s));
}

/* s must be a complete head (and nothing after it). */
static void expect_complete(const char *s)
{
    ccf_http1_result rc = parse(s);
    if (rc != CCF_HTTP1_COMPLETE)
        fail_msg("expected COMPLETE for \"%s\", got %d (%d: %s)", s, rc, req.status, err);
    assert_int_equal(req.size, strlen(s));
}

static void expect_invalid(const char *s, int status)
{
    ccf_http1_result rc = parse(s);
    if (rc != CCF_HTTP1_INVALID || req.status != status)
        fail_msg("expected INVALID %d for \"%s\", got %d (%d: %s)", status, s, rc, req.status, err);
    assert_true(err[0] != '\0');
}

static void expect_err_contains(const char *needle)
{
    if (strstr(err, needle) == NULL)
        fail_msg("error \"%s\" does not mention \"%s\"", err, needle);
}

/* ---------------------------------------------------------------- head */

static void test_simple_get(void **state)
{
    (void)state;
    expect_complete("GET /v1/fn HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_int_equal(req.method, CCF_HTTP1_GET);
    assert_string_equal(req.method_name, "GET");
    assert_string_equal(req.path, "/v1/fn");
    assert_int_equal(req.minor, 1);
    assert_true(req.keep_alive);
    assert_false(req.has_length);
    assert_false(req.chunked);
    assert_false(req.expect_continue);
    expect_complete("GET / HTTP/1.1\r\nHost: x\r\n\r\n"); /* no fields at all */
    assert_string_equal(req.path, "/");
}

static void test_methods(void **state)
{
    (void)state;
    expect_complete("PUT / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_int_equal(req.method, CCF_HTTP1_PUT);
    expect_complete("POST / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_int_equal(req.method, CCF_HTTP1_POST);
    expect_complete("DELETE / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_int_equal(req.method, CCF_HTTP1_OTHER);
    assert_string_equal(req.method_name, "DELETE");
    expect_complete("get / HTTP/1.1\r\nHost: x\r\n\r\n"); /* methods are case-sensitive */
    assert_int_equal(req.method, CCF_HTTP1_OTHER);
    expect_complete("X-!#$%&'*+.^_`| / HTTP/1.1\r\nHost: x\r\n\r\n"); /* 15 tchars */
    assert_int_equal(req.method, CCF_HTTP1_OTHER);
    assert_string_equal(req.method_name, "X-!#$%&'*+.^_`|");
    expect_invalid("ABCDEFGHIJKLMNOP / HTTP/1.1\r\n\r\n", 501); /* 16 */
    expect_err_contains("method");
    expect_invalid("G(T / HTTP/1.1\r\n\r\n", 400);
    expect_invalid(" GET / HTTP/1.1\r\n\r\n", 400);
    expect_invalid("GET\t/ HTTP/1.1\r\n\r\n", 400);
    expect_invalid("GET\r\n\r\n", 400);
}

static void test_line_endings(void **state)
{
    (void)state;
    expect_complete("GET / HTTP/1.1\nHost: x\n\n");
    expect_complete("GET / HTTP/1.1\r\nHost: x\n\r\n");
    expect_complete("\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"); /* one leading empty line */
    assert_string_equal(req.method_name, "GET");
    expect_complete("\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
    expect_invalid("\r\n\r\nGET / HTTP/1.1\r\n\r\n", 400); /* only one */
    expect_invalid("\r\r\nGET / HTTP/1.1\r\n\r\n", 400);
    expect_invalid("GET / HTTP/1.1\rHost: x\r\n\r\n", 400);
    expect_err_contains("CR");
    expect_invalid("GET / HTTP/1.1\r\nHost: x\ry\r\n\r\n", 400);
    expect_err_contains("header line 1");
    expect_invalid("GET / HTTP/1.1\r\nHost: x\r\n\r\r\n", 400);
    expect_invalid("GET / HTTP/1.1\r\n\r\r\n", 400);
}

static void test_field_syntax(void **state)
{
    (void)state;
    expect_invalid("GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400);
    expect_err_contains("folding");
    expect_invalid("GET / HTTP/1.1\r\nHost: x\r\n\tfolded\r\n\r\n", 400);
    expect_invalid("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nHost : x\r\n\r\n", 400);
    expect_err_contains("header line 3: whitespace before the colon");
    expect_invalid("GET / HTTP/1.1\r\nHost\t: x\r\n\r\n", 400);
    expect_invalid("GET / HTTP/1.1\r\nHo(st: x\r\n\r\n", 400);
    expect_invalid("GET / HTTP/1.1\r\nHo st: x\r\n\r\n", 400);
    expect_invalid("GET / HTTP/1.1\r\n: x\r\n\r\n", 400);
    expect_invalid("GET / HTTP/1.1\r\nHost\r\n\r\n", 400);
    expect_err_contains("colon");
    expect_invalid("GET / HTTP/1.1\r\nX: a\001b\r\n\r\n", 400);
    expect_invalid("GET / HTTP/1.1\r\nX: a\177b\r\n\r\n", 400);
    expect_invalid("GET / HTTP/1.1\r\nX\001: a\r\n\r\n", 400);
    static const char nul[] = "GET / HTTP/1.1\r\nX: a\0b\r\n\r\n";
    assert_int_equal(parse_n(nul, sizeof nul - 1), CCF_HTTP1_INVALID);
    assert_int_equal(req.status, 400);
    /* Accepted: empty values, tabs and obs-text in values, OWS anywhere around. */
    expect_complete("GET / HTTP/1.1\r\nHost: x\r\nX:\r\nY: \t\r\nZ: a\tb \xff\r\nW:v\r\n\r\n");
}

static void test_request_line(void **state)
{
    (void)state;
    expect_invalid("GET  / HTTP/1.1\r\n\r\n", 400);
    expect_err_contains("space");
    expect_invalid("GET /  HTTP/1.1\r\n\r\n", 400);
    expect_invalid("GET / HTTP/1.1 \r\n\r\n", 400);
    expect_invalid("GET /\r\n\r\n", 400);
    expect_invalid("GET / \r\n\r\n", 400);
    expect_invalid("GET \r\n\r\n", 400);
    expect_invalid("GET /a b HTTP/1.1\r\n\r\n", 400);
    expect_invalid("GET http://h/ HTTP/1.1\r\n\r\n", 400);
    expect_err_contains("request line: target must start with \"/\"");
    expect_invalid("OPTIONS * HTTP/1.1\r\n\r\n", 400);
    expect_invalid("GET a/b HTTP/1.1\r\n\r\n", 400);
    expect_invalid("GET /a\tb HTTP/1.1\r\n\r\n", 400);
    expect_invalid("GET /a\001 HTTP/1.1\r\n\r\n", 400);
    expect_invalid("GET /a\177 HTTP/1.1\r\n\r\n", 400);
    expect_invalid("GET /a\xc3\xa9 HTTP/1.1\r\n\r\n", 400); /* raw non-ASCII */
    expect_invalid("GET /a#frag HTTP/1.1\r\n\r\n", 400);
    expect_err_contains("#");
    expect_invalid("GET /a?q#frag HTTP/1.1\r\n\r\n", 400);
}

static void test_versions(void **state)
{
    (void)state;
    expect_complete("GET / HTTP/1.0\r\n\r\n");
    assert_int_equal(req.minor, 0);
    expect_complete("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_int_equal(req.minor, 1);
    expect_invalid("GET / HTTP/2.0\r\n\r\n", 505);
    expect_invalid("GET / HTTP/1.2\r\n\r\n", 505);
    expect_invalid("GET / HTTP/0.9\r\n\r\n", 505);
    expect_invalid("GET / HTTP/9.9\r\n\r\n", 505);
    expect_invalid("GET / HTTP/1.10\r\n\r\n", 400);
    expect_invalid("GET / http/1.1\r\n\r\n", 400);
    expect_invalid("GET / HTTP/1\r\n\r\n", 400);
    expect_invalid("GET / HTTP/11\r\n\r\n", 400);
    expect_invalid("GET / HTTPS/1.1\r\n\r\n", 400);
    expect_invalid("GET / HTTP/1.x\r\n\r\n", 400);
    expect_invalid("GET / 1.1\r\n\r\n", 400);
}

static void test_percent_decoding(void **state)
{
    (void)state;
    expect_complete("GET /a%2Fb HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_string_equal(req.path, "/a/b");
    expect_complete("GET /a%2fb HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_string_equal(req.path, "/a/b");
    expect_complete("GET /a+b%20c%7e%FF HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_string_equal(req.path, "/a+b c~\xff");
}

static void test_percent_decoding_query(void **state)
{
    (void)state;
    expect_complete("GET /p?x=%2F&y=+/? HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_string_equal(req.path, "/p");
    expect_complete("GET /p? HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_string_equal(req.path, "/p");
    expect_complete("GET /%3F?a HTTP/1.1\r\nHost: x\r\n\r\n"); /* an escaped "?" is path */
    assert_string_equal(req.path, "/?");
    expect_invalid("GET /a%00b HTTP/1.1\r\n\r\n", 400);
    expect_err_contains("%00");
    expect_invalid("GET /a%4 HTTP/1.1\r\n\r\n", 400);
    expect_invalid("GET /a%4\r\n\r\n", 400);
    expect_invalid("GET /a% HTTP/1.1\r\n\r\n", 400);
    expect_invalid("GET /a%zz HTTP/1.1\r\n\r\n", 400);
    expect_err_contains("%zz");
    expect_invalid("GET /a%4g HTTP/1.1\r\n\r\n", 400);
    /* The query is dropped but must still be well-formed. */
    expect_invalid("GET /a?%zz HTTP/1.1\r\n\r\n", 400);
    expect_invalid("GET /a?%00 HTTP/1.1\r\n\r\n", 400);
}

static void test_path_max(void **state)
{
    (void)state;
    static char buf[3 * CCF_HTTP1_PATH_MAX + 64];
    /* 4095 decoded bytes fit (NUL included: 4096). */
    size_t n = (size_t)snprintf(buf, sizeof buf, "GET /");
    memset(buf + n, 'a', CCF_HTTP1_PATH_MAX - 2);
    n += CCF_HTTP1_PATH_MAX - 2;
    n += (size_t)snprintf(buf + n, sizeof buf - n, "?%s HTTP/1.1\r\nHost: x\r\n\r\n", "qqqqqqqqqqqqqqqqqqqq");
    expect_complete(buf);
    assert_int_equal(strlen(req.path), CCF_HTTP1_PATH_MAX - 1);
    /* One more decoded byte does not. */
    n = (size_t)snprintf(buf, sizeof buf, "GET /");
    memset(buf + n, 'a', CCF_HTTP1_PATH_MAX - 1);
    n += CCF_HTTP1_PATH_MAX - 1;
    snprintf(buf + n, sizeof buf - n, " HTTP/1.1\r\n\r\n");
    expect_invalid(buf, 400);
    expect_err_contains("path");
    /* The limit is on the decoded path: 4095 escapes are fine. */
    n = (size_t)snprintf(buf, sizeof buf, "GET /");
    for (size_t i = 0; i < CCF_HTTP1_PATH_MAX - 2; i++, n += 3)
        memcpy(buf + n, "%41", 3);
    snprintf(buf + n, sizeof buf - n, " HTTP/1.1\r\nHost: x\r\n\r\n");
    expect_complete(buf);
    assert_int_equal(strlen(req.path), CCF_HTTP1_PATH_MAX - 1);
    assert_int_equal(req.path[1], 'A');
}

static void test_content_length(void **state)
{
    (void)state;
    expect_complete("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 42\r\n\r\n");
    assert_true(req.has_length);
    assert_int_equal(req.length, 42);
    expect_complete("PUT / HTTP/1.1\r\nHost: x\r\ncontent-length:0\r\n\r\n");
    assert_true(req.has_length);
    assert_int_equal(req.length, 0);
    expect_complete("PUT / HTTP/1.1\r\nHost: x\r\nCONTENT-LENGTH: \t7 \t\r\n\r\n");
    assert_int_equal(req.length, 7);
    expect_complete("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n");
    assert_int_equal(req.length, 5);
    expect_complete("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 005\r\n\r\n");
    assert_int_equal(req.length, 5);
    expect_complete("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 9223372036854775807\r\n\r\n");
    assert_int_equal(req.length, UINT64_C(9223372036854775807));
    expect_invalid("PUT / HTTP/1.1\r\nContent-Length: 9223372036854775808\r\n\r\n", 400);
    expect_invalid("PUT / HTTP/1.1\r\nContent-Length: 18446744073709551616\r\n\r\n", 400);
    expect_invalid("PUT / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400);
    expect_invalid("PUT / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400);
    expect_err_contains("different");
    expect_invalid("PUT / HTTP/1.1\r\nContent-Length: 12a\r\n\r\n", 400);
    expect_err_contains("12a");
    expect_invalid("PUT / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400);
    expect_invalid("PUT / HTTP/1.1\r\nContent-Length: +1\r\n\r\n", 400);
    expect_invalid("PUT / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n", 400);
    expect_invalid("PUT / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n", 400);
    expect_invalid("PUT / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n", 400);
    expect_invalid("PUT / HTTP/1.1\r\nContent-Length:\r\n\r\n", 400);
    expect_invalid("PUT / HTTP/1.1\r\nContent-Length:   \r\n\r\n", 400);
}

static void test_transfer_encoding(void **state)
{
    (void)state;
    expect_complete("PUT / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
    assert_true(req.chunked);
    assert_false(req.has_length);
    expect_complete("PUT / HTTP/1.1\r\nHost: x\r\ntransfer-encoding:\t CHUNKED \r\n\r\n");
    assert_true(req.chunked);
    expect_invalid("PUT / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501);
    expect_err_contains("gzip");
    expect_invalid("PUT / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501);
    expect_invalid("PUT / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 501);
    expect_invalid("PUT / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400);
    expect_err_contains("more than once");
    expect_invalid("PUT / HTTP/1.1\r\nTransfer-Encoding: chunked,\r\n\r\n", 400);
    expect_invalid("PUT / HTTP/1.1\r\nTransfer-Encoding: ,chunked\r\n\r\n", 400);
    expect_invalid(
        "PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n", 501);
    expect_invalid("PUT / HTTP/1.1\r\nTransfer-Encoding: identity\r\n\r\n", 501);
    expect_invalid("PUT / HTTP/1.1\r\nTransfer-Encoding: xchunked\r\n\r\n", 501);
    expect_invalid("PUT / HTTP/1.1\r\nTransfer-Encoding:\r\n\r\n", 400);
    expect_invalid(
        "PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400);
    expect_invalid("PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
                   400);
    expect_invalid("PUT / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
                   400);
    expect_err_contains("Content-Length");
    /* HTTP/1.0 with Transfer-Encoding: framing faulty, so no keep-alive (RFC 9112 6.1). */
    expect_complete(
        "PUT / HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n");
    assert_true(req.chunked);
    assert_false(req.keep_alive);
}

static void test_keep_alive(void **state)
{
    (void)state;
    expect_complete("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_true(req.keep_alive);
    expect_complete("GET / HTTP/1.0\r\n\r\n");
    assert_false(req.keep_alive);
    expect_complete("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert_false(req.keep_alive);
    expect_complete("GET / HTTP/1.1\r\nHost: x\r\nConnection: CLOSE\r\n\r\n");
    assert_false(req.keep_alive);
    expect_complete("GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n");
    assert_true(req.keep_alive);
    expect_complete("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    assert_true(req.keep_alive);
    expect_complete("GET / HTTP/1.0\r\nconnection: Keep-Alive\r\n\r\n");
    assert_true(req.keep_alive);
    expect_complete("GET / HTTP/1.1\r\nHost: x\r\nConnection: upgrade, close\r\n\r\n");
    assert_false(req.keep_alive);
    expect_complete("GET / HTTP/1.1\r\nHost: x\r\nConnection: ,te ,\t close\t,,\r\n\r\n");
    assert_false(req.keep_alive);
    expect_complete("GET / HTTP/1.0\r\nConnection: foo, keep-alive\r\n\r\n");
    assert_true(req.keep_alive);
    expect_complete("GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n");
    assert_false(req.keep_alive); /* close wins, in either order */
    expect_complete("GET / HTTP/1.0\r\nConnection: close, keep-alive\r\n\r\n");
    assert_false(req.keep_alive);
    expect_complete("GET / HTTP/1.1\r\nHost: x\r\nConnection: closed\r\n\r\n");
    assert_true(req.keep_alive);
    expect_complete("GET / HTTP/1.1\r\nHost: x\r\nConnection:\r\n\r\n");
    assert_true(req.keep_alive);
    expect_invalid("GET / HTTP/1.1\r\nConnection: keep alive\r\n\r\n", 400);
}

static void test_expect(void **state)
{
    (void)state;
    expect_complete("PUT / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n");
    assert_true(req.expect_continue);
    expect_complete("PUT / HTTP/1.1\r\nHost: x\r\nexpect:  100-Continue \r\n\r\n");
    assert_true(req.expect_continue);
    expect_complete("PUT / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n");
    assert_false(req.expect_continue); /* ignored in HTTP/1.0 (RFC 9110 10.1.1) */
    expect_invalid("PUT / HTTP/1.1\r\nExpect: 200-ok\r\n\r\n", 417);
    expect_err_contains("200-ok");
    expect_invalid("PUT / HTTP/1.1\r\nExpect: 100-continue, x\r\n\r\n", 417);
    expect_invalid("PUT / HTTP/1.1\r\nExpect:\r\n\r\n", 417);
    expect_invalid("PUT / HTTP/1.0\r\nExpect: foo\r\n\r\n", 417);
}

static void test_host(void **state)
{
    (void)state;
    expect_complete("GET / HTTP/1.1\r\nHost: instance.example:3014\r\n\r\n");
    expect_complete("GET / HTTP/1.1\r\nHOST:[::1]:3014\r\n\r\n");
    expect_complete("GET / HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n");
    expect_complete("GET / HTTP/1.1\r\nHost:\r\n\r\n"); /* empty: allowed */
    expect_complete("GET / HTTP/1.1\r\nX: 1\r\nHost: a%2Db\r\n\r\n");
    expect_complete("GET / HTTP/1.0\r\n\r\n"); /* required in HTTP/1.1 only */
    expect_invalid("GET / HTTP/1.1\r\n\r\n", 400);
    expect_err_contains("no Host");
    expect_invalid("PUT / HTTP/1.1\r\nContent-Length: 1\r\nX-Host: x\r\n\r\n", 400);
    expect_err_contains("no Host");
    expect_invalid("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400);
    expect_err_contains("header line 2: a second Host");
    expect_invalid("GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n", 400);
    expect_invalid("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400);
    expect_err_contains("Host \"a b\" is not a host[:port]");
    expect_invalid("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400);
    expect_invalid("GET / HTTP/1.1\r\nHost: user@a\r\n\r\n", 400);
    expect_invalid("GET / HTTP/1.1\r\nHost: a\xff\r\n\r\n", 400);
}

static const char *const valid_heads[] = {
    "GET /v1/fn?x=1 HTTP/1.1\r\nHost: example\r\nConnection: close\r\n\r\n",
    "\r\nPUT /a%2Fb HTTP/1.0\r\nContent-Length: 12\r\nExpect: 100-continue\r\n\r\n",
    "\nPOST / HTTP/1.1\nHost: x\nTransfer-Encoding: chunked\nX:\n\n",
    "DELETE /%41 HTTP/1.1\r\nHost: [::1]:8443\r\nX: a\tb\r\n\r\n",
};

static void test_every_prefix_incomplete(void **state)
{
    (void)state;
    for (size_t h = 0; h < sizeof valid_heads / sizeof valid_heads[0]; h++) {
        const char *s = valid_heads[h];
        size_t n = strlen(s);
        for (size_t k = 0; k < n; k++) {
            ccf_http1_result rc = parse_n(s, k);
            if (rc != CCF_HTTP1_INCOMPLETE)
                fail_msg("head %zu, prefix %zu/%zu: got %d (%d: %s)", h, k, n, rc, req.status, err);
        }
        assert_int_equal(parse_n(s, n), CCF_HTTP1_COMPLETE);
        assert_int_equal(req.size, n);
    }
    assert_int_equal(parse_n(NULL, 0), CCF_HTTP1_INCOMPLETE);
}

static void test_partial_malformed_early(void **state)
{
    (void)state;
    /* What is there is already malformed: no need to wait for more. */
    assert_int_equal(parse("GET x"), CCF_HTTP1_INVALID);
    assert_int_equal(req.status, 400);
    assert_int_equal(parse("GET /a%zz"), CCF_HTTP1_INVALID);
    assert_int_equal(parse("GET / HTTP/1.1\r\nHost : x"), CCF_HTTP1_INVALID);
    assert_int_equal(parse("GET / HTTP/1.1\r\n folded"), CCF_HTTP1_INVALID);
    assert_int_equal(parse("GET / HTTX"), CCF_HTTP1_INVALID);
    assert_int_equal(parse("ABCDEFGHIJKLMNOPQ"), CCF_HTTP1_INVALID);
    assert_int_equal(req.status, 501);
    /* ...while a prefix that could still be valid is INCOMPLETE. */
    assert_int_equal(parse("GET /a%4"), CCF_HTTP1_INCOMPLETE);
    assert_int_equal(parse("GET / HTTP/1.1\r"), CCF_HTTP1_INCOMPLETE);
    assert_int_equal(parse("GET / HTTP/1.1\r\nHost: x\r\n\r"), CCF_HTTP1_INCOMPLETE);
}

/* A head of exactly `size` bytes: request line, one filler field, blank line. */
static char *head_of_size(size_t size, bool blank_line)
{
    static const char line[] = "GET / HTTP/1.1\r\nHost: x\r\nX: ";
    char *buf = malloc(size + 1);
    assert_non_null(buf);
    size_t n = sizeof line - 1;
    memcpy(buf, line, n);
    memset(buf + n, 'v', size - n);
    if (blank_line)
        memcpy(buf + size - 4, "\r\n\r\n", 4);
    buf[size] = '\0';
    return buf;
}

static void test_head_max(void **state)
{
    (void)state;
    char *buf = head_of_size(CCF_HTTP1_HEAD_MAX, true);
    assert_int_equal(parse_n(buf, CCF_HTTP1_HEAD_MAX), CCF_HTTP1_COMPLETE);
    assert_int_equal(req.size, CCF_HTTP1_HEAD_MAX);
    free(buf);

    buf = head_of_size(CCF_HTTP1_HEAD_MAX - 1, true);
    assert_int_equal(parse_n(buf, CCF_HTTP1_HEAD_MAX - 1), CCF_HTTP1_COMPLETE);
    assert_int_equal(req.size, CCF_HTTP1_HEAD_MAX - 1);
    free(buf);

    buf = head_of_size(CCF_HTTP1_HEAD_MAX + 1, true);
    assert_int_equal(parse_n(buf, CCF_HTTP1_HEAD_MAX + 1), CCF_HTTP1_INVALID);
    assert_int_equal(req.status, 431);
    assert_true(err[0] != '\0');
    /* the cap is decided on its first bytes alone */
    assert_int_equal(parse_n(buf, CCF_HTTP1_HEAD_MAX), CCF_HTTP1_INVALID);
    assert_int_equal(req.status, 431);
    assert_int_equal(parse_n(buf, CCF_HTTP1_HEAD_MAX - 1), CCF_HTTP1_INCOMPLETE);
    free(buf);

    buf = head_of_size(3 * CCF_HTTP1_HEAD_MAX, false);
    assert_int_equal(parse_n(buf, 3 * CCF_HTTP1_HEAD_MAX), CCF_HTTP1_INVALID);
    assert_int_equal(req.status, 431);
    free(buf);
}

static void test_size_with_followers(void **state)
{
    (void)state;
    const char *head = "PUT /f HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n";
    char buf[256];
    snprintf(buf, sizeof buf, "%shello", head);
    assert_int_equal(parse(buf), CCF_HTTP1_COMPLETE);
    assert_int_equal(req.size, strlen(head));
    assert_memory_equal(buf + req.size, "hello", 5);

    const char *first = "GET /one HTTP/1.1\r\nHost: x\r\n\r\n";
    snprintf(buf, sizeof buf, "%sGET /two HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", first);
    assert_int_equal(parse(buf), CCF_HTTP1_COMPLETE);
    assert_int_equal(req.size, strlen(first));
    assert_string_equal(req.path, "/one");
    assert_true(req.keep_alive);
    size_t off = req.size;
    assert_int_equal(parse(buf + off), CCF_HTTP1_COMPLETE);
    assert_int_equal(off + req.size, strlen(buf));
    assert_string_equal(req.path, "/two");
    assert_false(req.keep_alive);
    /* bytes after the blank line are not the parser's business */
    snprintf(buf, sizeof buf, "GET / HTTP/1.1\r\nHost: x\r\n\r\n\r\x01\xff garbage");
    assert_int_equal(parse(buf), CCF_HTTP1_COMPLETE);
    assert_int_equal(req.size, 27);
}

static void test_err_buffers(void **state)
{
    (void)state;
    char small[8];
    assert_int_equal(
        ccf_http1_parse_request("GET x HTTP/1.1\r\n\r\n", 18, &req, small, sizeof small),
        CCF_HTTP1_INVALID);
    assert_int_equal(strlen(small), sizeof small - 1);
    assert_int_equal(ccf_http1_parse_request("GET x HTTP/1.1\r\n\r\n", 18, &req, NULL, 0),
                     CCF_HTTP1_INVALID);
    assert_int_equal(req.status, 400);
    /* untrusted bytes are quoted printably, and cut */
    static char buf[600];
    memset(buf, '\x01', sizeof buf - 1);
    memcpy(buf, "GET / HTTP/1.1\r\nContent-Length: 1", 33);
    memcpy(buf + sizeof buf - 5, "\r\n\r\n", 4);
    assert_int_equal(parse(buf), CCF_HTTP1_INVALID);
    for (const char *p = err; *p; p++)
        assert_true(*p >= 0x20 && *p < 0x7f);
}

/* ------------------------------------------------------------- chunked */

typedef struct {
    ccf_http1_result rc;
    size_t consumed; /* bytes of the input consumed in all */
    uint8_t out[4096];
    size_t out_len;
    uint64_t total;
    char err[256];
} decoded;

/* Decodes in[0..len) arriving in pieces of the sizes next_piece() says (0
 * means "the rest"), as a data plane would: it keeps the unconsumed bytes
 * and feeds them again when more arrive. */
static unsigned rng_state;
static size_t piece_whole(void)
{
    return 0;
}
static size_t piece_one(void)
{
    return 1;
}
static size_t piece_random(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return 1 + (rng_state >> 16) % 7;
}

static void decode(const char *in, size_t len, size_t (*next_piece)(void), decoded *d)
{
    ccf_http1_chunked c;
    memset(&c, 0, sizeof c);
    memset(d, 0, sizeof *d);
    size_t received = 0, consumed = 0;
    d->rc = CCF_HTTP1_INCOMPLETE;
    while (d->rc == CCF_HTTP1_INCOMPLETE) {
        size_t piece = next_piece();
        if (piece == 0 || piece > len - received)
            piece = len - received;
        received += piece;
        for (;;) {
            size_t used = 99, off = 99, dlen = 99;
            d->rc = ccf_http1_chunked_feed(&c, (const uint8_t *)in + consumed, received - consumed,
                                           &used, &off, &dlen, d->err, sizeof d->err);
            assert_true(used <= received - consumed);
            if (dlen > 0) {
                assert_true(off + dlen <= used);
                assert_true(d->out_len + dlen <= sizeof d->out);
                memcpy(d->out + d->out_len, in + consumed + off, dlen);
                d->out_len += dlen;
            }
            consumed += used;
            if (d->rc != CCF_HTTP1_INCOMPLETE || used == 0)
                break;
        }
        if (received == len)
            break;
    }
    d->consumed = consumed;
    d->total = c.total;
}

static const char wiki[] = "4\r\nWiki\r\n"
                           "5;ext=1;q=\"a b\"\r\npedia\r\n"
                           "E \t; x\r\n in\r\n\r\nchunks.\r\n"
                           "a\r\n0123456789\r\n"
                           "A\r\nabcdefghij\r\n"
                           "00000\r\n"
                           "X-Trailer: a\r\nY:\tb c\r\n\r\n";
static const char wiki_body[] = "Wikipedia in\r\n\r\nchunks.0123456789abcdefghij";

static void check_wiki(const decoded *d)
{
    if (d->rc != CCF_HTTP1_COMPLETE)
        fail_msg("expected COMPLETE, got %d: %s", d->rc, d->err);
    assert_int_equal(d->consumed, sizeof wiki - 1);
    assert_int_equal(d->out_len, sizeof wiki_body - 1);
    assert_memory_equal(d->out, wiki_body, sizeof wiki_body - 1);
    assert_int_equal(d->total, sizeof wiki_body - 1);
}

static void test_chunked_splits(void **state)
{
    (void)state;
    static decoded d;
    static char buf[sizeof wiki + 64];
    /* followed by the next request, which must be left alone */
    snprintf(buf, sizeof buf, "%sGET / HTTP/1.1\r\n\r\n", wiki);
    decode(buf, strlen(buf), piece_whole, &d);
    check_wiki(&d);
    decode(buf, strlen(buf), piece_one, &d);
    check_wiki(&d);
    for (unsigned seed = 1; seed <= 200; seed++) {
        rng_state = seed;
        decode(buf, strlen(buf), piece_random, &d);
        check_wiki(&d);
    }
    decode(wiki, sizeof wiki - 1, piece_one, &d);
    check_wiki(&d);
    decode("0\r\n\r\n", 5, piece_whole, &d); /* empty body */
    assert_int_equal(d.rc, CCF_HTTP1_COMPLETE);
    assert_int_equal(d.consumed, 5);
    assert_int_equal(d.total, 0);
}

static void test_chunked_one_span_per_call(void **state)
{
    (void)state;
    ccf_http1_chunked c;
    memset(&c, 0, sizeof c);
    const char *in = "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\nNEXT";
    size_t used, off, len;
    assert_int_equal(ccf_http1_chunked_feed(&c, (const uint8_t *)in, strlen(in), &used, &off, &len,
                                            err, sizeof err),
                     CCF_HTTP1_INCOMPLETE);
    assert_int_equal(off, 3);
    assert_int_equal(len, 3);
    assert_int_equal(c.total, 3);
    assert_true(used > 6 && used < strlen(in));
    size_t pos = used;
    assert_int_equal(ccf_http1_chunked_feed(&c, (const uint8_t *)in + pos, strlen(in) - pos, &used,
                                            &off, &len, err, sizeof err),
                     CCF_HTTP1_COMPLETE);
    assert_memory_equal(in + pos + off, "de", 2);
    assert_int_equal(len, 2);
    assert_int_equal(c.total, 5);
    assert_string_equal(in + pos + used, "NEXT");
    /* after COMPLETE: nothing more is consumed */
    assert_int_equal(
        ccf_http1_chunked_feed(&c, (const uint8_t *)"x", 1, &used, &off, &len, err, sizeof err),
        CCF_HTTP1_COMPLETE);
    assert_int_equal(used, 0);
    assert_int_equal(len, 0);
}

static void expect_chunked_invalid(const char *in, size_t len, const char *needle)
{
    static decoded d;
    decode(in, len, piece_whole, &d);
    if (d.rc != CCF_HTTP1_INVALID)
        fail_msg("expected INVALID for chunked body \"%.60s\", got %d", in, d.rc);
    assert_true(d.err[0] != '\0');
    if (needle != NULL && strstr(d.err, needle) == NULL)
        fail_msg("error \"%s\" does not mention \"%s\"", d.err, needle);
    decode(in, len, piece_one, &d); /* the same, byte by byte */
    assert_int_equal(d.rc, CCF_HTTP1_INVALID);
    assert_true(d.err[0] != '\0');
}

#define CHUNKED_INVALID(lit, needle) expect_chunked_invalid(lit, sizeof lit - 1, needle)

static void test_chunked_invalid(void **state)
{
    (void)state;
    CHUNKED_INVALID("zz\r\n", "chunk size line: \"zz\" is not hexadecimal");
    CHUNKED_INVALID("5z\r\nabcde\r\n0\r\n\r\n", "not hexadecimal");
    CHUNKED_INVALID("-5\r\n", "hexadecimal");
    CHUNKED_INVALID("0x5\r\n", NULL);
    CHUNKED_INVALID("\r\n", "size");
    CHUNKED_INVALID(";ext\r\n", "size");
    CHUNKED_INVALID(" 5\r\n", "size");
    CHUNKED_INVALID("5 \r\nabcde\r\n0\r\n\r\n", NULL); /* whitespace with no extension */
    CHUNKED_INVALID("5\nabcde\r\n0\r\n\r\n", "LF");    /* CRLF required in chunked framing */
    CHUNKED_INVALID("5\rabcde\r\n0\r\n\r\n", "LF");
    CHUNKED_INVALID("1000000000000001\r\n", "2^60");
    CHUNKED_INVALID("FFFFFFFFFFFFFFFFFFFFFFFF\r\n", "2^60");
    CHUNKED_INVALID("3\r\nabcX\r\n0\r\n\r\n", "missing CRLF after");
    CHUNKED_INVALID("3\r\nabc\n0\r\n\r\n", "missing CRLF after");
    CHUNKED_INVALID("3\r\nabc\rX0\r\n\r\n", "missing CRLF after");
    CHUNKED_INVALID("3;a\001b\r\nabc\r\n0\r\n\r\n", "control");
    CHUNKED_INVALID("0\r\n folded: x\r\n\r\n", "folding");
    CHUNKED_INVALID("0\r\nX : y\r\n\r\n", "whitespace before the colon");
    CHUNKED_INVALID("0\r\nnocolon\r\n\r\n", "colon");
    CHUNKED_INVALID("0\r\n: y\r\n\r\n", "name");
    CHUNKED_INVALID("0\r\nX: a\001\r\n\r\n", "control");
    CHUNKED_INVALID("0\r\nX: a\r\r\n\r\n", "CR");
    CHUNKED_INVALID("0\r\n\n", "LF");
    CHUNKED_INVALID("0\r\n\rX", "LF");
}

static void test_chunked_limits(void **state)
{
    (void)state;
    static char buf[3 * CCF_HTTP1_HEAD_MAX];
    static decoded d;
    /* 2^60 exactly is a valid size (the body then waits for its bytes). */
    decode("1000000000000000\r\nabc", 21, piece_whole, &d);
    assert_int_equal(d.rc, CCF_HTTP1_INCOMPLETE);
    assert_int_equal(d.total, 3);
    /* A size line of 4096 bytes is fine, 4097 is not (leading zeros, extensions). */
    memset(buf, '0', 4095);
    memcpy(buf + 4095, "1\r\nx\r\n0\r\n\r\n", 11);
    decode(buf, 4095 + 11, piece_random, &d);
    assert_int_equal(d.rc, CCF_HTTP1_COMPLETE);
    assert_int_equal(d.total, 1);
    memset(buf, '0', 4096);
    memcpy(buf + 4096, "1\r\nx\r\n0\r\n\r\n", 11);
    expect_chunked_invalid(buf, 4096 + 11, "4096");
    memcpy(buf, "1;", 2);
    memset(buf + 2, 'e', 5000);
    memcpy(buf + 5002, "\r\nx\r\n0\r\n\r\n", 10);
    expect_chunked_invalid(buf, 5012, "longer than 4096");
    /* A trailer line over 4096 bytes. */
    memcpy(buf, "0\r\nX: ", 6);
    memset(buf + 6, 'v', 5000);
    memcpy(buf + 5006, "\r\n\r\n", 4);
    expect_chunked_invalid(buf, 5010, "trailer line");
    /* Trailer lines within 4096 bytes each, over CCF_HTTP1_HEAD_MAX in all. */
    size_t n = 3;
    memcpy(buf, "0\r\n", 3);
    while (n < CCF_HTTP1_HEAD_MAX + 1000) {
        memcpy(buf + n, "X: ", 3);
        memset(buf + n + 3, 'v', 995);
        memcpy(buf + n + 998, "\r\n", 2);
        n += 1000;
    }
    memcpy(buf + n, "\r\n", 2);
    expect_chunked_invalid(buf, n + 2, "trailer section");
    /* ...while a few KiB of trailers are fine, and discarded. */
    decode(buf, 8003, piece_random, &d);
    assert_int_equal(d.rc, CCF_HTTP1_INCOMPLETE);
    memcpy(buf + 8003, "\r\n", 2);
    decode(buf, 8005, piece_whole, &d);
    assert_int_equal(d.rc, CCF_HTTP1_COMPLETE);
    assert_int_equal(d.consumed, 8005);
    assert_int_equal(d.out_len, 0);
}

static void test_chunked_after_invalid(void **state)
{
    (void)state;
    ccf_http1_chunked c;
    memset(&c, 0, sizeof c);
    size_t used, off, len;
    assert_int_equal(
        ccf_http1_chunked_feed(&c, (const uint8_t *)"g\r\n", 3, &used, &off, &len, err, sizeof err),
        CCF_HTTP1_INVALID);
    assert_true(used <= 3);
    /* a span found before the error in the same call is not handed out */
    memset(&c, 0, sizeof c);
    assert_int_equal(ccf_http1_chunked_feed(&c, (const uint8_t *)"3\r\nabcX", 8, &used, &off, &len,
                                            err, sizeof err),
                     CCF_HTTP1_INVALID);
    assert_int_equal(len, 0);
    assert_int_equal(c.total, 0);
    expect_err_contains("missing CRLF after");
    assert_int_equal(ccf_http1_chunked_feed(&c, (const uint8_t *)"0\r\n\r\n", 5, &used, &off, &len,
                                            err, sizeof err),
                     CCF_HTTP1_INVALID);
    assert_int_equal(used, 0);
    assert_true(err[0] != '\0');
    /* no input: nothing consumed, still waiting */
    memset(&c, 0, sizeof c);
    assert_int_equal(ccf_http1_chunked_feed(&c, NULL, 0, &used, &off, &len, NULL, 0),
                     CCF_HTTP1_INCOMPLETE);
    assert_int_equal(used, 0);
    assert_int_equal(len, 0);
}

/* ---- ADDR:PORT (net/addr.h): one rule for control and data plane ---- */

static void test_addr_good(void **state)
{
    (void)state;
    char msg[256];
    ccf_addr a;
    char text[INET6_ADDRSTRLEN];
    assert_int_equal(ccf_addr_parse("127.0.0.1:8080", &a, msg, sizeof msg), CCF_OK);
    assert_int_equal(a.ss.ss_family, AF_INET);
    assert_int_equal(a.len, sizeof(struct sockaddr_in));
    assert_int_equal(ccf_addr_port(&a.ss), 8080);
    assert_int_equal(ccf_addr_parse("0.0.0.0:0", &a, msg, sizeof msg), CCF_OK);
    assert_int_equal(ccf_addr_port(&a.ss), 0);
    assert_int_equal(ccf_addr_parse("localhost:65535", &a, msg, sizeof msg), CCF_OK);
    inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)&a.ss)->sin_addr, text, sizeof text);
    assert_string_equal(text, "127.0.0.1");
    assert_int_equal(ccf_addr_port(&a.ss), 65535);
    assert_int_equal(ccf_addr_parse("[::1]:443", &a, msg, sizeof msg), CCF_OK);
    assert_int_equal(a.ss.ss_family, AF_INET6);
    assert_int_equal(a.len, sizeof(struct sockaddr_in6));
    assert_int_equal(ccf_addr_port(&a.ss), 443);
    assert_int_equal(ccf_addr_parse("[::]:00080", &a, msg, sizeof msg), CCF_OK);
    assert_int_equal(ccf_addr_port(&a.ss), 80);
}

static void test_addr_bad(void **state)
{
    (void)state;
    char msg[256];
    ccf_addr a;
    static const char *const bad[] = {
        "", ":8080", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1",
        "127.0.0.1:+80", "127.0.0.1: 80", "127.0.0.1:80 ", "127.0.0.1:123456", "127.0.0.1:0x50",
        "1.2.3:80", "1.2.3.4.5:80", "256.0.0.1:80", "01.2.3.4:80", "[::1]80", "[::1]:",
        "[::1", "::1:80", "[]:80", "[127.0.0.1]:80", "[::1]:80:80", "host:x", "example.com:80",
        "localhost", "LOCALHOST:80", " 127.0.0.1:80", "127.0.0.1::80",
        "[0000000000000000000000000000000000000000000000000000000000:1]:80",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&a, 0xa5, sizeof a);
        msg[0] = '\0';
        if (ccf_addr_parse(bad[i], &a, msg, sizeof msg) != CCF_ERR_INVALID)
            fail_msg("accepted \"%s\"", bad[i]);
        assert_non_null(strstr(msg, "ADDR:PORT"));
        assert_int_equal(a.len, 0); /* cleared on failure */
    }
    assert_int_equal(ccf_addr_parse(NULL, &a, msg, sizeof msg), CCF_ERR_INVALID);
    assert_int_equal(ccf_addr_parse(":80", &a, NULL, 0), CCF_ERR_INVALID);
}

/* ---- the error table (net/status.h) ---- */

static void test_status_table(void **state)
{
    (void)state;
    static const struct {
        ccf_err e;
        int status;
        const char *code;
    } want[] = {
        {CCF_OK, 200, "ok"},
        {CCF_ERR_INVALID, 400, "bad_request"},
        {CCF_ERR_DENIED, 403, "forbidden"},
        {CCF_ERR_NOT_FOUND, 404, "not_found"},
        {CCF_ERR_CONFLICT, 409, "conflict"},
        {CCF_ERR_TOO_LARGE, 413, "too_large"},
        {CCF_ERR_NOMEM, 500, "internal"},
        {CCF_ERR_IO, 500, "internal"},
        {CCF_ERR_CRYPTO, 500, "internal"},
        {CCF_ERR_INTERNAL, 500, "internal"},
        {CCF_ERR_UNSUPPORTED, 501, "unsupported"},
        {CCF_ERR_UPSTREAM, 502, "upstream_failed"},
        {CCF_ERR_BUSY, 503, "busy"},
        {CCF_ERR_EXHAUSTED, 507, "no_capacity"},
        {(ccf_err)999, 500, "internal"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        assert_int_equal(ccf_http_status_of(want[i].e), want[i].status);
        assert_string_equal(ccf_http_code_of(want[i].e), want[i].code);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_addr_good),
        cmocka_unit_test(test_addr_bad),
        cmocka_unit_test(test_status_table),
        cmocka_unit_test(test_simple_get),
        cmocka_unit_test(test_methods),
        cmocka_unit_test(test_line_endings),
        cmocka_unit_test(test_field_syntax),
        cmocka_unit_test(test_request_line),
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_percent_decoding),
        cmocka_unit_test(test_percent_decoding_query),
        cmocka_unit_test(test_path_max),
        cmocka_unit_test(test_content_length),
        cmocka_unit_test(test_transfer_encoding),
        cmocka_unit_test(test_keep_alive),
        cmocka_unit_test(test_expect),
        cmocka_unit_test(test_host),
        cmocka_unit_test(test_every_prefix_incomplete),
        cmocka_unit_test(test_partial_malformed_early),
        cmocka_unit_test(test_head_max),
        cmocka_unit_test(test_size_with_followers),
        cmocka_unit_test(test_err_buffers),
        cmocka_unit_test(test_chunked_splits),
        cmocka_unit_test(test_chunked_one_span_per_call),
        cmocka_unit_test(test_chunked_invalid),
        cmocka_unit_test(test_chunked_limits),
        cmocka_unit_test(test_chunked_after_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
