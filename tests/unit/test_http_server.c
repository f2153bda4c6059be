/* Tests for src/net/http_server: a real server on 127.0.0.1 (port 0 = any
 * free port) driven with libcurl: routing, path parameters, query, 404, 405,
 * 413 (by Content-Length and chunked), JSON error bodies, /healthz, /metrics,
 * bearer-token authentication and roles (401, 403, revocation), the refusal
 * to listen beyond loopback without a token store, the request deadline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sys/stat.h>
#include <time.h>

#include "common/file.h"
#include "net/auth.h"
#include "net/http_server.h"

struct reply {
    long status;
    char *body;
    size_t len;
    char allow[128];
    char www_auth[128];
};

/* The bearer token call() sends; NULL = none. */
static const char *bearer;

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
    struct reply *r = ud;
    size_t k = size * n;
    char *nb = realloc(r->body, r->len + k + 1);
    if (nb == NULL)
        return 0;
    memcpy(nb + r->len, p, k);
    r->body = nb;
    r->len += k;
    r->body[r->len] = '\0';
    return k;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct reply *r = ud;
    size_t k = size * n;
    if (k > 7 && strncasecmp(p, "Allow: ", 7) == 0) {
        size_t m = k - 7;
        while (m > 0 && (p[7 + m - 1] == '\r' || p[7 + m - 1] == '\n'))
            m--;
        if (m >= sizeof r->allow)
            m = sizeof r->allow - 1;
        memcpy(r->allow, p + 7, m);
        r->allow[m] = '\0';
    }
    if (k > 20 && strncasecmp(p, "WWW-Authenticate: ", 18) == 0)
        snprintf(r->www_auth, sizeof r->www_auth, "%.*s", (int)(k - 18 - 2), p + 18);
    return k;
}

/* body == NULL: no body. chunked: send with Transfer-Encoding: chunked. */
static struct reply call(uint16_t port, const char *method, const char *path, const char *body,
                         size_t body_len, bool chunked)
{
    struct reply r = {0};
    char url[512];
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", port, path);
    CURL *c = curl_easy_init();
    assert_non_null(c);
    struct curl_slist *hdrs = NULL;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
    hdrs = curl_slist_append(hdrs, "Expect:");
    char auth[160];
    if (bearer != NULL) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", bearer);
        hdrs = curl_slist_append(hdrs, auth);
    }
    if (body != NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
        if (chunked)
            hdrs = curl_slist_append(hdrs, "Transfer-Encoding: chunked");
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    CURLcode cc = curl_easy_perform(c);
    if (cc != CURLE_OK)
        fail_msg("curl: %s", curl_easy_strerror(cc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    if (r.body == NULL)
        r.body = strdup("");
    return r;
}

/* A chunked POST whose transport errors are tolerated (status 0 then). */
static struct reply call_raw(uint16_t port, const char *path, const char *body, size_t len)
{
    struct reply r = {0};
    char url[512];
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", port, path);
    CURL *c = curl_easy_init();
    assert_non_null(c);
    struct curl_slist *hdrs = curl_slist_append(NULL, "Transfer-Encoding: chunked");
    hdrs = curl_slist_append(hdrs, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    return r;
}

/* Asserts the reply is the JSON error form with this code. */
static void assert_error(const struct reply *r, long status, const char *code)
{
    assert_int_equal(r->status, status);
    json_error_t je;
    json_t *v = json_loads(r->body, 0, &je);
    assert_non_null(v);
    json_t *e = json_object_get(v, "error");
    assert_true(json_is_object(e));
    assert_string_equal(json_string_value(json_object_get(e, "code")), code);
    assert_true(json_is_string(json_object_get(e, "message")));
    assert_int_equal(json_object_size(e), 2);
    assert_int_equal(json_object_size(v), 1);
    json_decref(v);
}

static void echo(const ccf_http_request *req, ccf_http_response *resp, void *ctx)
{
    size_t len = 0;
    const char *body = ccf_http_request_body(req, &len);
    const char *q = ccf_http_request_query(req, "q");
    const char *a = ccf_http_request_param(req, "a");
    const char *b = ccf_http_request_param(req, "b");
    (void)ctx;
    ccf_http_respond_json(resp, 201,
                          json_pack("{s:s,s:s?,s:s?,s:s?,s:I}", "path",
                                    ccf_http_request_path(req), "a", a, "b", b, "q", q, "len",
                                    (json_int_t)len));
    (void)body;
}

static void json_in(const ccf_http_request *req, ccf_http_response *resp, void *ctx)
{
    char err[256];
    (void)ctx;
    json_t *v = ccf_http_request_json(req, err, sizeof err);
    if (v == NULL) {
        ccf_http_respond_error(resp, 400, "bad_request", "%s", err);
        return;
    }
    ccf_http_respond_json(resp, 200, v);
}

static void forgets(const ccf_http_request *req, ccf_http_response *resp, void *ctx)
{
    (void)req;
    (void)resp;
    (void)ctx;
}

static void custom_metrics(ccf_http_metrics *m, void *ctx)
{
    ccf_http_metrics_printf(m, "# TYPE test_custom gauge\ntest_custom{x=\"%s\"} %d\n",
                            (const char *)ctx, 42);
}

static ccf_http_server *srv;
static uint16_t port;
static FILE *log_file;
static char logbuf[1 << 16];

static char auth_dir[] = "/tmp/test-http-auth-XXXXXX", tokens_path[128];
static ccf_auth *auth;
static char admin_token[CCF_AUTH_TOKEN_LEN + 1], op_token[CCF_AUTH_TOKEN_LEN + 1],
    user_token[CCF_AUTH_TOKEN_LEN + 1];

static void whoami(const ccf_http_request *req, ccf_http_response *resp, void *ctx);

static int setup(void **state)
{
    char err[256];
    (void)state;
    if (mkdtemp(auth_dir) == NULL)
        return -1;
    snprintf(tokens_path, sizeof tokens_path, "%s/auth/tokens.json", auth_dir);
    if (ccf_auth_add(tokens_path, "root", CCF_ROLE_ADMIN, admin_token, err, sizeof err) != CCF_OK ||
        ccf_auth_add(tokens_path, "olga", CCF_ROLE_OPERATOR, op_token, err, sizeof err) != CCF_OK ||
        ccf_auth_add(tokens_path, "ulla", CCF_ROLE_USER, user_token, err, sizeof err) != CCF_OK ||
        ccf_auth_open(tokens_path, &auth, err, sizeof err) != CCF_OK)
        return -1;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    memset(logbuf, 0, sizeof logbuf);
    log_file = fmemopen(logbuf, sizeof logbuf - 1, "w");
    ccf_http_config cfg = {.listen = "127.0.0.1:0", .service = "test", .threads = 2, .log = log_file};
    if (ccf_http_server_new(&cfg, &srv, err, sizeof err) != CCF_OK)
        return -1;
    if (ccf_http_server_route(srv, "GET", "/item/<a>/sub/<b>", echo, NULL, 0) != CCF_OK ||
        ccf_http_server_route(srv, "POST", "/item/<a>/sub/<b>", echo, NULL, 16) != CCF_OK ||
        ccf_http_server_route(srv, "PUT", "/files/<a...>", echo, NULL, 0) != CCF_OK ||
        ccf_http_server_route(srv, "POST", "/json", json_in, NULL, 0) != CCF_OK ||
        ccf_http_server_route(srv, "GET", "/forgets", forgets, NULL, 0) != CCF_OK ||
        ccf_http_server_route(srv, "GET", "/", echo, NULL, 0) != CCF_OK ||
        ccf_http_server_route_auth(srv, "POST", "/secret/<a>", CCF_ROLE_OPERATOR | CCF_ROLE_ADMIN,
                                   whoami, NULL, 16) != CCF_OK ||
        ccf_http_server_add_metrics(srv, custom_metrics, "y") != CCF_OK)
        return -1;
    ccf_http_server_set_auth(srv, auth);
    if (ccf_http_server_start(srv, err, sizeof err) != CCF_OK)
        return -1;
    port = ccf_http_server_port(srv);
    return port != 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    ccf_http_server_free(srv);
    ccf_auth_free(auth);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", auth_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", auth_dir);
    fclose(log_file);
    curl_global_cleanup();
    return 0;
}

static void test_params_and_query(void **state)
{
    (void)state;
    struct reply r = call(port, "GET", "/item/x1/sub/y%20z?q=hello%20world", NULL, 0, false);
    assert_int_equal(r.status, 201);
    json_t *v = json_loads(r.body, 0, NULL);
    assert_non_null(v);
    assert_string_equal(json_string_value(json_object_get(v, "a")), "x1");
    assert_string_equal(json_string_value(json_object_get(v, "b")), "y z");
    assert_string_equal(json_string_value(json_object_get(v, "q")), "hello world");
    json_decref(v);
    free(r.body);

    r = call(port, "PUT", "/files/dir/sub/file.txt", "abc", 3, false);
    assert_int_equal(r.status, 201);
    v = json_loads(r.body, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(v, "a")), "dir/sub/file.txt");
    assert_int_equal(json_integer_value(json_object_get(v, "len")), 3);
    json_decref(v);
    free(r.body);

    r = call(port, "GET", "/", NULL, 0, false);
    assert_int_equal(r.status, 201);
    free(r.body);
}

static void test_not_found(void **state)
{
    (void)state;
    const char *paths[] = {"/nope", "/item/x", "/item/x/sub", "/item/x/sub/y/z", "/item//sub/y",
                           "/files/", "/files/a//b", "/healthz/", "/json/x"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        struct reply r = call(port, "GET", paths[i], NULL, 0, false);
        assert_error(&r, 404, "not_found");
        free(r.body);
    }
}

static void test_method_not_allowed(void **state)
{
    (void)state;
    struct reply r = call(port, "DELETE", "/item/a/sub/b", NULL, 0, false);
    assert_error(&r, 405, "method_not_allowed");
    assert_string_equal(r.allow, "GET, POST");
    free(r.body);
    r = call(port, "POST", "/healthz", "x", 1, false);
    assert_error(&r, 405, "method_not_allowed");
    assert_string_equal(r.allow, "GET");
    free(r.body);
}

static void test_body_cap(void **state)
{
    (void)state;
    const char *big = "0123456789abcdefX"; /* 17 bytes, cap is 16 */
    struct reply r = call(port, "POST", "/item/a/sub/b", big, 16, false);
    assert_int_equal(r.status, 201);
    free(r.body);
    r = call(port, "POST", "/item/a/sub/b", big, 17, false);
    assert_error(&r, 413, "too_large");
    free(r.body);
    r = call(port, "POST", "/item/a/sub/b", big, 17, true); /* no Content-Length */
    assert_error(&r, 413, "too_large");
    free(r.body);
    r = call(port, "POST", "/item/a/sub/b", big, 16, true);
    assert_int_equal(r.status, 201);
    free(r.body);
    /* a chunked flood far beyond the cap: the server hangs up (no 2xx, no hang) */
    size_t flood_len = 6u * 1024u * 1024u;
    char *flood = malloc(flood_len);
    assert_non_null(flood);
    memset(flood, 'x', flood_len);
    r = call_raw(port, "/item/a/sub/b", flood, flood_len);
    assert_true(r.status == 0 || r.status == 413);
    free(r.body);
    free(flood);
    /* default cap: 1 MiB */
    size_t n = CCF_HTTP_DEFAULT_MAX_BODY + 1;
    char *huge = malloc(n);
    assert_non_null(huge);
    memset(huge, '{', n);
    r = call(port, "POST", "/json", huge, n, false);
    assert_error(&r, 413, "too_large");
    free(r.body);
    free(huge);
}

static void test_json_errors(void **state)
{
    (void)state;
    struct reply r = call(port, "POST", "/json", "{\"a\":1,", 7, false);
    assert_error(&r, 400, "bad_request");
    free(r.body);
    r = call(port, "POST", "/json", "[1]", 3, false);
    assert_error(&r, 400, "bad_request");
    free(r.body);
    r = call(port, "POST", "/json", "{\"a\":1,\"a\":2}", 13, false);
    assert_error(&r, 400, "bad_request");
    free(r.body);
    r = call(port, "POST", "/json", "{\"a\":[true]}", 12, false);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"a\":[true]}\n");
    free(r.body);
    r = call(port, "GET", "/forgets", NULL, 0, false);
    assert_error(&r, 500, "internal");
    free(r.body);
}

static void test_healthz_metrics_log(void **state)
{
    (void)state;
    struct reply r = call(port, "GET", "/healthz", NULL, 0, false);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"status\":\"ok\"}\n");
    free(r.body);
    for (int i = 0; i < 3; i++) {
        r = call(port, "GET", "/item/a/sub/b", NULL, 0, false);
        free(r.body);
    }
    r = call(port, "GET", "/metrics", NULL, 0, false);
    assert_int_equal(r.status, 401); /* admins only */
    free(r.body);
    bearer = user_token;
    r = call(port, "GET", "/metrics", NULL, 0, false);
    assert_int_equal(r.status, 403);
    free(r.body);
    bearer = admin_token;
    r = call(port, "GET", "/metrics", NULL, 0, false);
    bearer = NULL;
    assert_int_equal(r.status, 200);
    /* earlier tests ran first (cmocka runs in order): 3 here + 1 in test_params */
    assert_non_null(strstr(r.body, "ccfaas_http_requests_total{service=\"test\",route=\"/item/<a>/"
                                   "sub/<b>\",method=\"GET\",status=\"201\"} 4\n"));
    assert_non_null(strstr(r.body, "route=\"unmatched\",method=\"GET\",status=\"404\"} 9\n"));
    assert_non_null(strstr(r.body, "route=\"/metrics\",method=\"GET\",status=\"401\"} 1\n"));
    assert_non_null(strstr(r.body, "# TYPE ccfaas_http_requests_total counter"));
    assert_non_null(strstr(r.body, "\ntest_custom{x=\"y\"} 42\n"));
    free(r.body);
    fflush(log_file);
    /* one JSON line per request: each line parses, and the 413 carries its error code */
    size_t lines = 0;
    bool saw_413 = false;
    for (char *line = logbuf, *nl; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
        *nl = '\0';
        json_t *v = json_loads(line, 0, NULL);
        assert_non_null(v);
        assert_string_equal(json_string_value(json_object_get(v, "service")), "test");
        if (json_integer_value(json_object_get(v, "status")) == 413) {
            assert_string_equal(json_string_value(json_object_get(v, "error")), "too_large");
            saw_413 = true;
        }
        json_decref(v);
        *nl = '\n';
        lines++;
    }
    assert_true(lines >= 20);
    assert_true(saw_413);
}

static void test_bad_config(void **state)
{
    (void)state;
    char err[256];
    ccf_http_server *s = NULL;
    const char *bad[] = {"", ":8080", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "1.2.3:80", "[::1]80",
                         "host:x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ccf_http_config cfg = {.listen = bad[i], .quiet = true};
        assert_int_equal(ccf_http_server_new(&cfg, &s, err, sizeof err), CCF_ERR_INVALID);
        assert_null(s);
    }
    ccf_http_config cfg = {.listen = "[::1]:0", .quiet = true};
    assert_int_equal(ccf_http_server_new(&cfg, &s, err, sizeof err), CCF_OK);
    assert_int_equal(ccf_http_server_route(s, "GET", "/a/<b...>/c", echo, NULL, 0), CCF_ERR_INVALID);
    assert_int_equal(ccf_http_server_route(s, "GET", "a", echo, NULL, 0), CCF_ERR_INVALID);
    assert_int_equal(ccf_http_server_route(s, "GET", "/a//b", echo, NULL, 0), CCF_ERR_INVALID);
    assert_int_equal(ccf_http_server_route(s, "GET", "/a/x<b>", echo, NULL, 0), CCF_ERR_INVALID);
    ccf_http_server_free(s);
    ccf_http_server_free(NULL);
}

/* --- authentication --- */

static void whoami(const ccf_http_request *req, ccf_http_response *resp, void *ctx)
{
    (void)ctx;
    const ccf_principal *who = ccf_http_request_principal(req);
    ccf_http_respond_json(resp, 200, json_pack("{s:s,s:s}", "name", who ? who->name : "",
                                               "role", who ? ccf_role_name(who->role) : ""));
}

static void test_auth(void **state)
{
    (void)state;
    char err[256], fake[CCF_AUTH_TOKEN_LEN + 1];
    /* no credentials: 401 with WWW-Authenticate, before the body is read */
    bearer = NULL;
    struct reply r = call(port, "POST", "/secret/x", "0123456789abcdefXXXX", 20, false);
    assert_error(&r, 401, "unauthenticated");
    assert_non_null(strstr(r.www_auth, "Bearer"));
    free(r.body);
    /* a token of the right form that was never issued; garbage */
    snprintf(fake, sizeof fake, "ccft_%064d", 0);
    bearer = fake;
    r = call(port, "POST", "/secret/x", "{}", 2, false);
    assert_error(&r, 401, "unauthenticated");
    free(r.body);
    bearer = "not a token";
    r = call(port, "POST", "/secret/x", "{}", 2, false);
    assert_error(&r, 401, "unauthenticated");
    free(r.body);
    /* the wrong role: 403 naming the check */
    bearer = user_token;
    r = call(port, "POST", "/secret/x", "{}", 2, false);
    assert_error(&r, 403, "forbidden");
    assert_non_null(strstr(r.body, "role user may not POST /secret/<a> (needs operator or admin)"));
    free(r.body);
    /* the right roles: the handler sees who called */
    bearer = op_token;
    r = call(port, "POST", "/secret/x", "{}", 2, false);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"name\":\"olga\",\"role\":\"operator\"}\n");
    free(r.body);
    /* the body cap still holds for an authenticated caller */
    r = call(port, "POST", "/secret/x", "0123456789abcdefXXXX", 20, false);
    assert_int_equal(r.status, 413);
    free(r.body);
    /* revoked: refused at the next request, no restart */
    assert_int_equal(ccf_auth_revoke(tokens_path, "olga", err, sizeof err), CCF_OK);
    r = call(port, "POST", "/secret/x", "{}", 2, false);
    assert_error(&r, 401, "unauthenticated");
    free(r.body);
    assert_int_equal(ccf_auth_revoke(tokens_path, "olga", err, sizeof err), CCF_ERR_NOT_FOUND);
    /* a new token for the name works; the old one stays dead */
    char again[CCF_AUTH_TOKEN_LEN + 1];
    assert_int_equal(ccf_auth_add(tokens_path, "olga", CCF_ROLE_OPERATOR, again, err, sizeof err),
                     CCF_OK);
    assert_int_equal(ccf_auth_add(tokens_path, "olga", CCF_ROLE_OPERATOR, fake, err, sizeof err),
                     CCF_ERR_CONFLICT);
    r = call(port, "POST", "/secret/x", "{}", 2, false);
    assert_int_equal(r.status, 401);
    free(r.body);
    bearer = again;
    r = call(port, "POST", "/secret/x", "{}", 2, false);
    assert_int_equal(r.status, 200);
    free(r.body);
    /* open routes ask nothing; healthz stays open */
    bearer = NULL;
    r = call(port, "GET", "/healthz", NULL, 0, false);
    assert_int_equal(r.status, 200);
    free(r.body);
    /* bad names and roles are refused by the store */
    assert_int_equal(ccf_auth_add(tokens_path, "-x", CCF_ROLE_USER, fake, err, sizeof err),
                     CCF_ERR_INVALID);
    assert_int_equal(ccf_auth_add(tokens_path, "a b", CCF_ROLE_USER, fake, err, sizeof err),
                     CCF_ERR_INVALID);
    assert_int_equal(ccf_auth_add(tokens_path, "x", 3u, fake, err, sizeof err), CCF_ERR_INVALID);
    /* the file keeps hashes only, and is 0600 */
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(ccf_file_read(tokens_path, 1 << 20, &text, &len, err, sizeof err), CCF_OK);
    assert_null(strstr(text, admin_token + 5));
    assert_null(strstr(text, again + 5));
    free(text);
    struct stat st;
    assert_int_equal(stat(tokens_path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
}

/* A corrupted token file: every check fails (fail closed), then works again. */
static void test_auth_fail_closed(void **state)
{
    (void)state;
    char err[256], *saved = NULL;
    size_t len = 0;
    static const char broken[] = "{\"version\":1,\"tokens\":[{]}";
    assert_int_equal(ccf_file_read(tokens_path, 1 << 20, &saved, &len, err, sizeof err), CCF_OK);
    assert_int_equal(ccf_file_write_atomic(tokens_path, broken, sizeof broken - 1, 0600, false,
                                           err, sizeof err),
                     CCF_OK);
    bearer = admin_token;
    struct reply r = call(port, "POST", "/secret/x", "{}", 2, false);
    assert_int_equal(r.status, 401);
    free(r.body);
    assert_int_equal(ccf_file_write_atomic(tokens_path, saved, len, 0600, false, err, sizeof err),
                     CCF_OK);
    r = call(port, "POST", "/secret/x", "{}", 2, false);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"root\""));
    free(r.body);
    bearer = NULL;
    free(saved);
}

/* Without a token store, or without TLS, a server listens on loopback only. */
static void test_no_auth_loopback_only(void **state)
{
    (void)state;
    char err[256];
    ccf_http_server *s = NULL;
    ccf_http_config cfg = {.listen = "0.0.0.0:0", .quiet = true};
    assert_int_equal(ccf_http_server_new(&cfg, &s, err, sizeof err), CCF_OK);
    assert_int_equal(ccf_http_server_start(s, err, sizeof err), CCF_ERR_DENIED);
    assert_non_null(strstr(err, "non-loopback"));
    assert_non_null(strstr(err, "authentication"));
    ccf_http_server_set_auth(s, auth);
    assert_int_equal(ccf_http_server_start(s, err, sizeof err), CCF_ERR_DENIED);
    assert_non_null(strstr(err, "without TLS"));
    ccf_http_server_free(s);
}

/* A client that sends its request one byte at a time is cut off at the
 * request deadline; the server keeps serving others meanwhile. */
static void test_request_deadline(void **state)
{
    (void)state;
    char err[256];
    ccf_http_server *s = NULL;
    ccf_http_config cfg = {.listen = "127.0.0.1:0", .quiet = true, .request_deadline_s = 2,
                           .connection_timeout_s = 30};
    assert_int_equal(ccf_http_server_new(&cfg, &s, err, sizeof err), CCF_OK);
    assert_int_equal(ccf_http_server_start(s, err, sizeof err), CCF_OK);
    uint16_t at = ccf_http_server_port(s);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(at)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    const char *slow = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    assert_true(write(fd, slow, strlen(slow)) > 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    bool closed = false;
    for (int i = 0; i < 100 && !closed; i++) { /* a byte each 100 ms: never idle */
        struct timespec pause = {0, 100 * 1000 * 1000};
        nanosleep(&pause, NULL);
        if (i == 5) { /* meanwhile others are served */
            struct reply r = call(at, "GET", "/healthz", NULL, 0, false);
            assert_int_equal(r.status, 200);
            free(r.body);
        }
        char buf[64];
        if (send(fd, "a", 1, MSG_NOSIGNAL) != 1 || recv(fd, buf, sizeof buf, MSG_DONTWAIT) == 0)
            closed = true;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    close(fd);
    assert_true(closed);
    assert_true(t1.tv_sec - t0.tv_sec <= 5); /* deadline 2 s + the watchdog's 1 s tick */
    ccf_http_server_free(s);
}

/* --- graceful stop --- */

static sem_t entered, release;

static void slow(const ccf_http_request *req, ccf_http_response *resp, void *ctx)
{
    (void)req;
    (void)ctx;
    sem_post(&entered);
    sem_wait(&release);
    ccf_http_respond_json(resp, 200, json_pack("{s:b}", "finished", 1));
}

struct call_args {
    uint16_t port;
    struct reply r;
};

static void *call_slow(void *arg)
{
    struct call_args *a = arg;
    a->r = call(a->port, "GET", "/slow", NULL, 0, false);
    return NULL;
}

static void *stop_thread(void *arg)
{
    ccf_http_server_stop(arg);
    return NULL;
}

/* Whether a TCP connection to 127.0.0.1:port is refused. */
static bool refused(uint16_t at)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(at)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    int rc = connect(fd, (struct sockaddr *)&a, sizeof a);
    int e = errno;
    close(fd);
    return rc != 0 && e == ECONNREFUSED;
}

static void test_graceful_stop(void **state)
{
    (void)state;
    char err[256];
    ccf_http_server *s = NULL;
    pthread_t client, stopper;
    ccf_http_config cfg = {.listen = "127.0.0.1:0", .quiet = true};
    assert_int_equal(sem_init(&entered, 0, 0), 0);
    assert_int_equal(sem_init(&release, 0, 0), 0);
    assert_int_equal(ccf_http_server_new(&cfg, &s, err, sizeof err), CCF_OK);
    assert_int_equal(ccf_http_server_route(s, "GET", "/slow", slow, NULL, 0), CCF_OK);
    assert_int_equal(ccf_http_server_start(s, err, sizeof err), CCF_OK);
    struct call_args a = {.port = ccf_http_server_port(s)};
    assert_int_equal(pthread_create(&client, NULL, call_slow, &a), 0);
    sem_wait(&entered); /* the request is being handled */
    assert_int_equal(pthread_create(&stopper, NULL, stop_thread, s), 0);
    /* the stop has begun once new connections are refused */
    while (!refused(a.port))
        sched_yield();
    sem_post(&release); /* now let the handler finish */
    pthread_join(client, NULL);
    pthread_join(stopper, NULL);
    /* the request in progress was answered in full */
    assert_int_equal(a.r.status, 200);
    assert_string_equal(a.r.body, "{\"finished\":true}\n");
    free(a.r.body);
    ccf_http_server_free(s);
    sem_destroy(&entered);
    sem_destroy(&release);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_params_and_query), cmocka_unit_test(test_not_found),
        cmocka_unit_test(test_method_not_allowed), cmocka_unit_test(test_body_cap),
        cmocka_unit_test(test_json_errors), cmocka_unit_test(test_healthz_metrics_log),
        cmocka_unit_test(test_bad_config),        cmocka_unit_test(test_graceful_stop),
        cmocka_unit_test(test_auth),              cmocka_unit_test(test_auth_fail_closed),
        cmocka_unit_test(test_no_auth_loopback_only), cmocka_unit_test(test_request_deadline),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
