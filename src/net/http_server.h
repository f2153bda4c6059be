/* Control-plane HTTP/1.1 server shared by every ccfaas service (proxy
 * attestation, VaaS, CCFaaS): libmicrohttpd underneath, a small router of
 * ours on top (DESIGN §6).
 *
 * What it does for a service:
 * - routes by method + path pattern; a pattern is a '/'-separated list of
 *   literal segments and `<name>` segments (one non-empty segment each); a
 *   final `<name...>` takes the rest of the path (one or more segments);
 * - collects the request body in memory up to a per-route cap (413 beyond,
 *   refused before reading when Content-Length already says so);
 * - calls the handler on a server thread (blocking handlers are fine: a
 *   thread pool of `threads` threads serves the connections);
 * - answers unknown paths with 404, known paths with another method with 405
 *   (and an Allow header); every error body is
 *   {"error":{"code":"...","message":"..."}};
 * - serves GET /healthz ({"status":"ok"}, open) and GET /metrics (Prometheus
 *   text: ccfaas_http_requests_total{service,route,method,status}; admins only);
 * - runs a route's admission check (quotas, ownership) before its body is read;
 * - authenticates callers (issue 15, docs/auth.md): a route added with
 *   ccf_http_server_route_auth names the roles it accepts; its caller must send
 *   `Authorization: Bearer TOKEN` with a live token of the server's token store
 *   (net/auth.h), checked before the body is read: none or an unknown one ->
 *   401 unauthenticated (WWW-Authenticate: Bearer), another role -> 403
 *   forbidden naming the roles needed. Routes added with ccf_http_server_route
 *   are open (the proxy's attestation routes: runtimes prove themselves with
 *   evidence). Over HTTPS a client certificate of the platform service CA,
 *   registered to a caller, authenticates too (tls_* below). A server without
 *   a token store, or without TLS, refuses to listen beyond loopback; without
 *   a token store its routes that need a role refuse everyone;
 * - limits what one client can hold: at most per_ip_connections connections
 *   per client address (more are closed at once), and a request must arrive
 *   whole (headers and body) within request_deadline_s of the previous
 *   request's end or the connection's start, however slowly its bytes trickle
 *   in (the handler's own time is not counted);
 * - writes one JSON log line per finished request on the log stream.
 *
 * Lifetime: ccf_http_server_new() -> ccf_http_server_route()... ->
 * ccf_http_server_start() -> (serve) -> ccf_http_server_stop() ->
 * ccf_http_server_free(). Routes are added before start only. The server
 * does not own handler contexts. */
#ifndef CCF_NET_HTTP_SERVER_H
#define CCF_NET_HTTP_SERVER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/error.h"
#include "net/addr.h"
#include "net/auth.h"
#include "net/status.h"

/* Default request body cap when a route does not set one. */
#define CCF_HTTP_DEFAULT_MAX_BODY (1024u * 1024u)
/* Most routes and path parameters the router keeps. */
#define CCF_HTTP_MAX_ROUTES 64
#define CCF_HTTP_MAX_PARAMS 8
/* Longest `<name...>` path parameter. */
#define CCF_HTTP_PATH_MAX 4096
/* Limits per listener (docs/auth.md "Limits"). */
#define CCF_HTTP_DEFAULT_PER_IP_CONNECTIONS 64u
#define CCF_HTTP_DEFAULT_REQUEST_DEADLINE_S 60u

typedef struct ccf_http_server ccf_http_server;
/* One request, valid only during the handler call. */
typedef struct ccf_http_request ccf_http_request;

/* What a handler fills in. The server frees body (with free()) after sending.
 * content_type is a static string; NULL means application/json. */
typedef struct {
    int status;
    char *body;
    size_t body_len;
    const char *content_type;
    char *location; /* optional Location header value, freed by the server */
    unsigned retry_after_s; /* > 0: a Retry-After header (429, 503) */
    char error_code[48]; /* set by the respond_error helpers, for the request log */
} ccf_http_response;

/* A handler must set a response (status 0 means the handler forgot: the
 * server then answers 500 internal). */
typedef void (*ccf_http_handler)(const ccf_http_request *req, ccf_http_response *resp, void *ctx);

typedef struct {
    const char *listen;  /* ADDR:PORT by the rule of net/addr.h; port 0 = any free port */
    const char *service; /* name in logs and metrics, e.g. "proxy" */
    unsigned threads;    /* thread pool size; 0 = 4 */
    unsigned connection_timeout_s; /* idle connections closed after; 0 = 30 */
    unsigned per_ip_connections;   /* per client address; 0 = 64 */
    unsigned request_deadline_s;   /* whole request received within; 0 = 60 */
    FILE *log;           /* request log; NULL = stderr */
    bool quiet;          /* no request log at all */
    /* HTTPS (issue 15, docs/auth.md "TLS"): PEM files; all NULL = plain HTTP
     * (loopback only). tls_client_ca_file: the platform service CA; a client
     * certificate it issued, registered to a live caller of the token store
     * (net/auth.h), authenticates like that caller's bearer token. */
    const char *tls_cert_file;
    const char *tls_key_file;
    const char *tls_client_ca_file;
} ccf_http_config;

/* Creates a server (not yet listening). *out is freed with ccf_http_server_free(). */
ccf_err ccf_http_server_new(const ccf_http_config *cfg, ccf_http_server **out, char *err,
                            size_t err_size) __attribute__((warn_unused_result));

/* Adds a route. method is "GET", "POST", ...; max_body 0 = CCF_HTTP_DEFAULT_MAX_BODY.
 * Fails with CCF_ERR_INVALID on a malformed pattern, CCF_ERR_TOO_LARGE when
 * the table is full, CCF_ERR_INVALID after start. */
ccf_err ccf_http_server_route(ccf_http_server *srv, const char *method, const char *pattern,
                              ccf_http_handler handler, void *ctx, size_t max_body)
    __attribute__((warn_unused_result));

/* The same for a route that needs an authenticated caller with one of
 * `roles` (CCF_ROLE_* bits, net/auth.h); 0 = open, as ccf_http_server_route. */
ccf_err ccf_http_server_route_auth(ccf_http_server *srv, const char *method, const char *pattern,
                                   unsigned roles, ccf_http_handler handler, void *ctx,
                                   size_t max_body) __attribute__((warn_unused_result));

/* An admission check of a route, called after the caller was authenticated
 * and before any body byte is read: content_length is the declared length
 * (-1 when the body is chunked or absent). Return true to go on; false with
 * resp filled (an error: 403, 429, ...) answers at once and the body is never
 * read. For limits that must hold before the bytes arrive (quotas, owners). */
typedef bool (*ccf_http_admit_fn)(const ccf_http_request *req, long long content_length,
                                  ccf_http_response *resp, void *ctx);
/* Sets the admission check of the route method + pattern (added before);
 * ctx is the route's handler context. CCF_ERR_NOT_FOUND without that route,
 * CCF_ERR_INVALID after start. */
ccf_err ccf_http_server_route_admit(ccf_http_server *srv, const char *method, const char *pattern,
                                    ccf_http_admit_fn admit) __attribute__((warn_unused_result));

/* The token store that authenticates callers (not owned; must outlive the
 * server). Before start; the services set it when they mount their routes. */
void ccf_http_server_set_auth(ccf_http_server *srv, ccf_auth *auth);

/* true when the server serves HTTPS. */
bool ccf_http_server_is_tls(const ccf_http_server *srv);

/* true for 127.0.0.0/8 and ::1. */
bool ccf_http_addr_is_loopback(const ccf_addr *a);

/* Calls fn(method, pattern, ctx) for every route, in the order added
 * (including the built-in GET /healthz and GET /metrics). For listings and
 * tests (`ccfaas up --list-routes`, the OpenAPI check); the strings are valid
 * while the server lives. */
typedef void (*ccf_http_route_fn)(const char *method, const char *pattern, void *ctx);
void ccf_http_server_each_route(const ccf_http_server *srv, ccf_http_route_fn fn, void *ctx);

/* Service metrics: hooks whose Prometheus text lines are appended to
 * GET /metrics. Hooks run on server threads, possibly concurrently with each
 * other and with handlers: they synchronise their own data. Up to 8 hooks,
 * added before start. */
typedef struct ccf_http_metrics ccf_http_metrics;
void ccf_http_metrics_printf(ccf_http_metrics *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
typedef void (*ccf_http_metrics_fn)(ccf_http_metrics *m, void *ctx);
ccf_err ccf_http_server_add_metrics(ccf_http_server *srv, ccf_http_metrics_fn fn, void *ctx)
    __attribute__((warn_unused_result));

/* Binds and starts serving on background threads. */
ccf_err ccf_http_server_start(ccf_http_server *srv, char *err, size_t err_size)
    __attribute__((warn_unused_result));

/* The bound port (useful with port 0); 0 before start. */
uint16_t ccf_http_server_port(const ccf_http_server *srv);

/* Graceful stop: stops accepting connections, waits until the requests in
 * progress are answered (at most CCF_HTTP_STOP_GRACE_S seconds), then closes
 * every connection and joins the threads. Idempotent; ccf_http_server_free()
 * calls it. Never call it from a handler. */
#define CCF_HTTP_STOP_GRACE_S 10
void ccf_http_server_stop(ccf_http_server *srv);

/* NULL is a no-op. */
void ccf_http_server_free(ccf_http_server *srv);

/* Blocks SIGINT and SIGTERM in the calling thread and waits for one of them;
 * returns the signal number. Call it from the main thread *before* starting
 * servers (so that their threads inherit the blocked mask) with
 * ccf_http_block_stop_signals(), then ccf_http_wait_stop_signal() to wait. */
void ccf_http_block_stop_signals(void);
int ccf_http_wait_stop_signal(void);

/* --- request accessors (pointers valid during the handler call) --- */
const char *ccf_http_request_method(const ccf_http_request *req);
/* The path as received (percent-decoded by libmicrohttpd), without the query. */
const char *ccf_http_request_path(const ccf_http_request *req);
/* A `<name>` segment of the route pattern; NULL when the pattern has none. */
const char *ccf_http_request_param(const ccf_http_request *req, const char *name);
/* A query parameter (?key=value, decoded); NULL when absent. */
const char *ccf_http_request_query(const ccf_http_request *req, const char *key);
/* The authenticated caller of a route that needs one; NULL on open routes. */
const ccf_principal *ccf_http_request_principal(const ccf_http_request *req);
/* The client's address as text ("127.0.0.1", "::1") into buf; "" when unknown. */
const char *ccf_http_request_peer(const ccf_http_request *req, char *buf, size_t size);
/* A request header (case-insensitive); NULL when absent. */
const char *ccf_http_request_header(const ccf_http_request *req, const char *name);
/* The body: never NULL (an empty body is "" with *len 0) and always followed
 * by a NUL byte that is not counted in *len. */
const char *ccf_http_request_body(const ccf_http_request *req, size_t *len);
/* The body parsed as a JSON object; on failure NULL and an error message in
 * err (for a 400). The caller owns the result (json_decref). */
json_t *ccf_http_request_json(const ccf_http_request *req, char *err, size_t err_size);

/* --- response helpers (each replaces what the response held) --- */
/* JSON body: serialises `value` compactly and takes ownership of it (decref). */
void ccf_http_respond_json(ccf_http_response *resp, int status, json_t *value);
/* {"error":{"code":code,"message":...}} with status. */
void ccf_http_respond_error(ccf_http_response *resp, int status, const char *code,
                            const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The same for a ccfaas error: status from the table in net/status.h, code
 * the table's unless `code` (a more precise one) is given. */
void ccf_http_respond_err(ccf_http_response *resp, ccf_err err, const char *code,
                          const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Body copied from data. content_type is a static string. */
void ccf_http_respond_bytes(ccf_http_response *resp, int status, const char *content_type,
                            const void *data, size_t len);

#endif
