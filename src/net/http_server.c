/* Control-plane HTTP server: libmicrohttpd + our router (see http_server.h). */
#include "net/http_server.h"

#include "common/dynbuf.h"
#include "common/log.h"
#include "net/addr.h"
#include "net/auth.h"
#include "net/conn_deadline.h"

#include "common/crypto.h"
#include "common/file.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct route {
    char method[16];
    char *pattern;
    char **segs; /* pattern segments; "<x>" params, "<x...>" rest */
    size_t nseg;
    bool rest;   /* last segment is <name...> */
    ccf_http_handler fn;
    void *ctx;
    size_t max_body;
    unsigned roles; /* CCF_ROLE_* accepted; 0 = open (no credentials asked) */
    ccf_http_admit_fn admit; /* NULL = none */
};

struct metric {
    int route; /* index into routes, -1 = no route matched */
    char method[8];
    int status;
    unsigned long long count;
};

#define MAX_METRIC_HOOKS 8
#define DISCARD_MAX (4u * 1024u * 1024u) /* body bytes dropped before closing */
#define METRICS_MAX (4u * 1024u * 1024u)  /* GET /metrics text */

struct ccf_http_server {
    struct {
        ccf_http_metrics_fn fn;
        void *ctx;
    } hooks[MAX_METRIC_HOOKS];
    size_t nhooks;
    char *service;
    ccf_addr addr;
    unsigned threads;
    unsigned timeout_s;
    unsigned per_ip;
    unsigned deadline_s;
    ccf_auth *auth; /* not owned; NULL = no caller can authenticate */
    /* HTTPS: what libmicrohttpd serves with (the key in the secure heap), and
     * the service CA that client certificates must chain to (NULL: none asked) */
    char *tls_cert_pem, *tls_key_pem, *tls_ca_pem;
    X509_STORE *tls_ca;
    ccf_conn_deadline *deadline; /* the request deadline (net/conn_deadline.h) */
    FILE *log;
    bool quiet;
    struct route routes[CCF_HTTP_MAX_ROUTES];
    size_t nroutes;
    struct MHD_Daemon *daemon;
    uint16_t port;
    bool started;
    pthread_mutex_t mu; /* metrics, log, inflight */
    pthread_cond_t idle; /* signalled when inflight drops to 0 */
    size_t inflight;     /* requests begun and not completed */
    struct metric *metrics;
    size_t nmetrics, capmetrics;
};

struct ccf_http_request {
    ccf_http_server *srv;
    struct MHD_Connection *conn;
    const char *method;
    char *path;
    int route; /* -1: none */
    char *pnames[CCF_HTTP_MAX_PARAMS];
    char *pvalues[CCF_HTTP_MAX_PARAMS];
    size_t nparams;
    ccf_dynbuf body; /* capped at the route's max_body */
    unsigned long long received; /* all body bytes seen, also beyond the cap */
    bool too_large;
    bool responded;
    int status;
    size_t bytes_out;
    char error_code[48];
    struct timespec start;
    ccf_principal who; /* role 0 = no credentials (an open route) */
};

/* ------------------------------------------------------------------ */
/* metrics text: capped, and a failure sticks so the page is refused whole */

struct ccf_http_metrics {
    ccf_dynbuf *b;
    ccf_err rc;
};

void ccf_http_metrics_printf(ccf_http_metrics *m, const char *fmt, ...)
{
    va_list ap;
    if (m->rc != CCF_OK)
        return;
    va_start(ap, fmt);
    m->rc = ccf_dynbuf_vaddf(m->b, fmt, ap);
    va_end(ap);
}

ccf_err ccf_http_server_add_metrics(ccf_http_server *srv, ccf_http_metrics_fn fn, void *ctx)
{
    if (srv->started || fn == NULL)
        return CCF_ERR_INVALID;
    if (srv->nhooks >= MAX_METRIC_HOOKS)
        return CCF_ERR_TOO_LARGE;
    srv->hooks[srv->nhooks].fn = fn;
    srv->hooks[srv->nhooks].ctx = ctx;
    srv->nhooks++;
    return CCF_OK;
}

/* ------------------------------------------------------------------ */
/* responses */

static void resp_reset(ccf_http_response *resp)
{
    free(resp->body);
    resp->body = NULL;
    resp->body_len = 0;
    resp->content_type = NULL;
    resp->error_code[0] = '\0';
}

void ccf_http_respond_bytes(ccf_http_response *resp, int status, const char *content_type,
                            const void *data, size_t len)
{
    resp_reset(resp);
    resp->status = status;
    resp->content_type = content_type;
    if (len > 0) {
        resp->body = malloc(len);
        if (resp->body == NULL) {
            resp->status = 500;
            return;
        }
        memcpy(resp->body, data, len);
        resp->body_len = len;
    }
}

void ccf_http_respond_json(ccf_http_response *resp, int status, json_t *value)
{
    resp_reset(resp);
    char *text = value ? json_dumps(value, JSON_COMPACT) : NULL;
    json_decref(value);
    if (text == NULL) {
        static const char oom[] = "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}";
        ccf_http_respond_bytes(resp, 500, NULL, oom, sizeof oom - 1);
        return;
    }
    size_t n = strlen(text);
    /* append a newline: friendlier for curl users */
    char *body = realloc(text, n + 2);
    if (body == NULL) {
        free(text);
        resp->status = 500;
        return;
    }
    body[n] = '\n';
    body[n + 1] = '\0';
    resp->status = status;
    resp->body = body;
    resp->body_len = n + 1;
    resp->content_type = "application/json";
}

void ccf_http_respond_error(ccf_http_response *resp, int status, const char *code,
                            const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *v = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", msg);
    ccf_http_respond_json(resp, status, v);
    /* after respond_json, which clears it: the code travels with the response */
    snprintf(resp->error_code, sizeof resp->error_code, "%s", code);
}

void ccf_http_respond_err(ccf_http_response *resp, ccf_err err, const char *code,
                          const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ccf_http_respond_error(resp, ccf_http_status_of(err), code ? code : ccf_http_code_of(err),
                           "%s", msg);
}

/* ------------------------------------------------------------------ */
/* routes */

static bool seg_is_param(const char *s, bool *rest)
{
    size_t n = strlen(s);
    if (n < 3 || s[0] != '<' || s[n - 1] != '>')
        return false;
    *rest = n > 5 && strcmp(s + n - 4, "...>") == 0;
    return true;
}

/* Splits "/a/b/c" into segments (a copy each). "/" = zero segments. */
static ccf_err split_path(const char *path, char ***out, size_t *n)
{
    char **segs = NULL;
    size_t count = 0;
    *out = NULL;
    *n = 0;
    if (path[0] != '/')
        return CCF_ERR_INVALID;
    const char *p = path + 1;
    if (*p == '\0')
        return CCF_OK;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        char **ns = realloc(segs, (count + 1) * sizeof *segs);
        if (ns == NULL)
            goto fail;
        segs = ns;
        if ((segs[count] = strndup(p, len)) == NULL)
            goto fail;
        count++;
        if (slash == NULL)
            break;
        p = slash + 1;
    }
    *out = segs;
    *n = count;
    return CCF_OK;
fail:
    for (size_t i = 0; i < count; i++)
        free(segs[i]);
    free(segs);
    return CCF_ERR_NOMEM;
}

static void free_segs(char **segs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(segs[i]);
    free(segs);
}

static void healthz(const ccf_http_request *req, ccf_http_response *resp, void *ctx);
static void metrics(const ccf_http_request *req, ccf_http_response *resp, void *ctx);

ccf_err ccf_http_server_route(ccf_http_server *srv, const char *method, const char *pattern,
                              ccf_http_handler handler, void *ctx, size_t max_body)
{
    return ccf_http_server_route_auth(srv, method, pattern, 0, handler, ctx, max_body);
}

ccf_err ccf_http_server_route_auth(ccf_http_server *srv, const char *method, const char *pattern,
                                   unsigned roles, ccf_http_handler handler, void *ctx,
                                   size_t max_body)
{
    char **segs = NULL;
    size_t nseg = 0;
    if (srv->started || handler == NULL || method == NULL || pattern == NULL ||
        strlen(method) == 0 || strlen(method) >= sizeof srv->routes[0].method)
        return CCF_ERR_INVALID;
    if (srv->nroutes >= CCF_HTTP_MAX_ROUTES)
        return CCF_ERR_TOO_LARGE;
    ccf_err rc = split_path(pattern, &segs, &nseg);
    if (rc != CCF_OK)
        return rc;
    size_t nparams = 0;
    bool rest = false;
    for (size_t i = 0; i < nseg; i++) {
        bool r = false;
        if (segs[i][0] == '\0' || (strchr(segs[i], '<') && !seg_is_param(segs[i], &r)) ||
            (r && i + 1 != nseg)) {
            free_segs(segs, nseg);
            return CCF_ERR_INVALID;
        }
        if (seg_is_param(segs[i], &r)) {
            nparams++;
            rest = r;
        }
    }
    if (nparams > CCF_HTTP_MAX_PARAMS) {
        free_segs(segs, nseg);
        return CCF_ERR_INVALID;
    }
    struct route *rt = &srv->routes[srv->nroutes];
    memset(rt, 0, sizeof *rt);
    if ((rt->pattern = strdup(pattern)) == NULL) {
        free_segs(segs, nseg);
        return CCF_ERR_NOMEM;
    }
    snprintf(rt->method, sizeof rt->method, "%s", method);
    rt->segs = segs;
    rt->nseg = nseg;
    rt->rest = rest;
    rt->fn = handler;
    rt->ctx = ctx;
    rt->max_body = max_body ? max_body : CCF_HTTP_DEFAULT_MAX_BODY;
    rt->roles = roles & CCF_ROLES_ANY;
    srv->nroutes++;
    return CCF_OK;
}

ccf_err ccf_http_server_route_admit(ccf_http_server *srv, const char *method, const char *pattern,
                                    ccf_http_admit_fn admit)
{
    if (srv->started)
        return CCF_ERR_INVALID;
    for (size_t i = 0; i < srv->nroutes; i++)
        if (strcmp(srv->routes[i].method, method) == 0 &&
            strcmp(srv->routes[i].pattern, pattern) == 0) {
            srv->routes[i].admit = admit;
            return CCF_OK;
        }
    return CCF_ERR_NOT_FOUND;
}

/* Whether path segments match route rt; fills params into req when req != NULL. */
static bool route_match(const struct route *rt, char **segs, size_t nseg, ccf_http_request *req)
{
    if (rt->rest ? nseg < rt->nseg : nseg != rt->nseg)
        return false;
    for (size_t i = 0; i < rt->nseg; i++) {
        bool r = false;
        if (!seg_is_param(rt->segs[i], &r)) {
            if (strcmp(rt->segs[i], segs[i]) != 0)
                return false;
        } else if (segs[i][0] == '\0') {
            return false;
        }
    }
    if (rt->rest) /* no empty segment in the rest either */
        for (size_t i = rt->nseg; i < nseg; i++)
            if (segs[i][0] == '\0')
                return false;
    if (req == NULL)
        return true;
    for (size_t i = 0; i < rt->nseg; i++) {
        bool r = false;
        if (!seg_is_param(rt->segs[i], &r))
            continue;
        size_t nlen = strlen(rt->segs[i]) - 2 - (r ? 3 : 0);
        char *name = strndup(rt->segs[i] + 1, nlen);
        char *value = NULL;
        if (r) {
            /* the rest of the path, joined back with '/' (no longer than it) */
            ccf_dynbuf b;
            ccf_err rc = CCF_OK;
            ccf_dynbuf_init(&b, CCF_HTTP_PATH_MAX);
            for (size_t k = i; k < nseg && rc == CCF_OK; k++)
                rc = ccf_dynbuf_addf(&b, "%s%s", k > i ? "/" : "", segs[k]);
            if (rc == CCF_OK && b.p == NULL)
                rc = ccf_dynbuf_add(&b, "", 0);
            value = rc == CCF_OK ? b.p : (ccf_dynbuf_free(&b), NULL);
        } else {
            value = strdup(segs[i]);
        }
        if (name == NULL || value == NULL || req->nparams >= CCF_HTTP_MAX_PARAMS) {
            free(name);
            free(value);
            return false;
        }
        req->pnames[req->nparams] = name;
        req->pvalues[req->nparams] = value;
        req->nparams++;
    }
    return true;
}

/* ------------------------------------------------------------------ */
/* metrics, log */

static const char *method_label(const char *m)
{
    static const char *known[] = {"GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(m, known[i]) == 0)
            return known[i];
    return "OTHER";
}

static void count_request(ccf_http_server *srv, int route, const char *method, int status)
{
    const char *m = method_label(method);
    pthread_mutex_lock(&srv->mu);
    for (size_t i = 0; i < srv->nmetrics; i++) {
        struct metric *x = &srv->metrics[i];
        if (x->route == route && x->status == status && strcmp(x->method, m) == 0) {
            x->count++;
            goto out;
        }
    }
    if (srv->nmetrics == srv->capmetrics) {
        size_t ncap = srv->capmetrics ? srv->capmetrics * 2 : 16;
        struct metric *nm = realloc(srv->metrics, ncap * sizeof *nm);
        if (nm == NULL)
            goto out;
        srv->metrics = nm;
        srv->capmetrics = ncap;
    }
    struct metric *x = &srv->metrics[srv->nmetrics++];
    x->route = route;
    snprintf(x->method, sizeof x->method, "%s", m);
    x->status = status;
    x->count = 1;
out:
    pthread_mutex_unlock(&srv->mu);
}

static void healthz(const ccf_http_request *req, ccf_http_response *resp, void *ctx)
{
    (void)req;
    (void)ctx;
    ccf_http_respond_json(resp, 200, json_pack("{s:s}", "status", "ok"));
}

static void metrics(const ccf_http_request *req, ccf_http_response *resp, void *ctx)
{
    ccf_http_server *srv = ctx;
    ccf_dynbuf b;
    ccf_http_metrics m = {&b, CCF_OK};
    (void)req;
    ccf_dynbuf_init(&b, METRICS_MAX);
    ccf_http_metrics_printf(&m, "# HELP ccfaas_http_requests_total HTTP requests answered, by route and status.\n"
               "# TYPE ccfaas_http_requests_total counter\n");
    pthread_mutex_lock(&srv->mu);
    for (size_t i = 0; i < srv->nmetrics; i++) {
        const struct metric *x = &srv->metrics[i];
        /* patterns are ours ([A-Za-z0-9/<>._-]); no label escaping needed */
        ccf_http_metrics_printf(
            &m,
            "ccfaas_http_requests_total{service=\"%s\",route=\"%s\",method=\"%s\","
            "status=\"%d\"} %llu\n",
            srv->service, x->route >= 0 ? srv->routes[x->route].pattern : "unmatched", x->method,
            x->status, x->count);
    }
    pthread_mutex_unlock(&srv->mu);
    for (size_t i = 0; i < srv->nhooks; i++)
        srv->hooks[i].fn(&m, srv->hooks[i].ctx);
    if (m.rc != CCF_OK) {
        ccf_dynbuf_free(&b);
        ccf_http_respond_error(resp, 500, "internal", "metrics: %s", ccf_strerror(m.rc));
        return;
    }
    resp_reset(resp);
    resp->status = 200;
    resp->body = b.p;
    resp->body_len = b.len;
    resp->content_type = "text/plain; version=0.0.4";
}

static void log_request(ccf_http_server *srv, const ccf_http_request *req, bool completed)
{
    if (srv->quiet)
        return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long long us = (long long)(now.tv_sec - req->start.tv_sec) * 1000000LL +
                   (now.tv_nsec - req->start.tv_nsec) / 1000;
    char ts[CCF_LOG_TIME_LEN];
    ccf_log_time(ts);
    char peer[INET6_ADDRSTRLEN] = "";
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci != NULL && ci->client_addr != NULL) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, peer,
                      sizeof peer);
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
                      peer, sizeof peer);
    }
    json_t *line = json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:I,s:I,s:I,s:s}", "time", ts, "service",
                             srv->service, "peer", peer, "method", req->method ? req->method : "",
                             "path", req->path ? req->path : "", "status", req->status,
                             "bytes_in", (json_int_t)req->received, "bytes_out",
                             (json_int_t)req->bytes_out, "us", (json_int_t)us, "outcome",
                             completed ? "completed" : "aborted");
    if (line == NULL)
        return;
    if (req->error_code[0] != '\0')
        json_object_set_new(line, "error", json_string(req->error_code));
    if (req->who.role != 0)
        json_object_set_new(line, "caller", json_string(req->who.name));
    char *text = json_dumps(line, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(line);
    if (text == NULL)
        return;
    pthread_mutex_lock(&srv->mu);
    fprintf(srv->log, "%s\n", text);
    fflush(srv->log);
    pthread_mutex_unlock(&srv->mu);
    free(text);
}

/* ------------------------------------------------------------------ */
/* libmicrohttpd callbacks */

static void request_free(ccf_http_request *req)
{
    if (req == NULL)
        return;
    free(req->path);
    for (size_t i = 0; i < req->nparams; i++) {
        free(req->pnames[i]);
        free(req->pvalues[i]);
    }
    ccf_dynbuf_free(&req->body);
    free(req);
}

static enum MHD_Result send_response(ccf_http_request *req, ccf_http_response *resp,
                                     const char *allow)
{
    struct MHD_Response *r = NULL;
    if (resp->status < 100 || resp->status > 599) {
        resp_reset(resp);
        ccf_http_respond_error(resp, 500, "internal", "handler produced no response");
    }
    if (resp->body_len > 0) {
        r = MHD_create_response_from_buffer(resp->body_len, resp->body, MHD_RESPMEM_MUST_FREE);
        if (r != NULL)
            resp->body = NULL; /* owned by libmicrohttpd now */
    } else {
        r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    }
    if (r == NULL) {
        resp_reset(resp);
        free(resp->location);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            resp->content_type ? resp->content_type : "application/json");
    if (resp->location != NULL)
        MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, resp->location);
    if (allow != NULL)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    if (resp->retry_after_s > 0) {
        char ra[24];
        snprintf(ra, sizeof ra, "%u", resp->retry_after_s);
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, ra);
    }
    if (resp->status == 401)
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                "Bearer realm=\"ccfaas\"");
    enum MHD_Result ok = MHD_queue_response(req->conn, (unsigned)resp->status, r);
    MHD_destroy_response(r);
    req->responded = true;
    req->status = resp->status;
    req->bytes_out = resp->body_len;
    snprintf(req->error_code, sizeof req->error_code, "%s", resp->error_code);
    count_request(req->srv, req->route, req->method, resp->status);
    resp_reset(resp);
    free(resp->location);
    resp->location = NULL;
    return ok;
}

static enum MHD_Result respond_error_now(ccf_http_request *req, int status, const char *code,
                                         const char *msg, const char *allow)
{
    ccf_http_response resp = {0};
    ccf_http_respond_error(&resp, status, code, "%s", msg);
    return send_response(req, &resp, allow);
}

/* The bearer token of the Authorization header, or NULL. */
static const char *bearer_token(const ccf_http_request *req)
{
    const char *h = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
                                                MHD_HTTP_HEADER_AUTHORIZATION);
    if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
        return NULL;
    h += 7;
    while (*h == ' ')
        h++;
    return h;
}

/* The client certificate of an HTTPS request: 0 none presented, 1 it chains
 * to the service CA and a live caller registered it (*who), -1 refused (why).
 * GnuTLS (inside libmicrohttpd) proved the client holds the certificate's key
 * during the handshake; the chain and the registration are checked here with
 * OpenSSL against the server's own CA, never against what the client sent
 * beyond its own certificate. */
static int client_cert(ccf_http_request *req, ccf_principal *who, char *why, size_t why_size)
{
    ccf_http_server *srv = req->srv;
    if (srv->tls_ca == NULL)
        return 0;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (ci == NULL || ci->tls_session == NULL)
        return 0;
    unsigned n = 0;
    const gnutls_datum_t *peers = gnutls_certificate_get_peers(ci->tls_session, &n);
    if (peers == NULL || n == 0)
        return 0;
    const unsigned char *p = peers[0].data;
    X509 *cert = d2i_X509(NULL, &p, (long)peers[0].size);
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    uint8_t fp[CCF_SHA256_LEN];
    int result = -1;
    if (cert == NULL || ctx == NULL) {
        snprintf(why, why_size, "the client certificate cannot be parsed");
        goto out;
    }
    if (X509_STORE_CTX_init(ctx, srv->tls_ca, cert, NULL) != 1 ||
        X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT) != 1 ||
        X509_verify_cert(ctx) != 1) {
        snprintf(why, why_size, "the client certificate is not one the platform's service CA "
                 "issued (%s)", X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
        goto out;
    }
    if (!ccf_sha256(peers[0].data, peers[0].size, fp) || !ccf_auth_check_cert(srv->auth, fp, who)) {
        snprintf(why, why_size, "the client certificate is not registered to a caller, or its "
                 "caller was revoked");
        goto out;
    }
    result = 1;
out:
    X509_STORE_CTX_free(ctx);
    X509_free(cert);
    return result;
}

/* Checks the caller of a route that needs credentials: a client certificate
 * of the service CA (HTTPS) or a bearer token; 401 without either valid, 403
 * when the caller's role is not one the route accepts. Before the body is
 * read. */
static enum MHD_Result authorise(ccf_http_request *req, const struct route *rt)
{
    const char *token = bearer_token(req);
    char msg[320], need[64], why[224];
    int by_cert = client_cert(req, &req->who, why, sizeof why);
    if (by_cert < 0) {
        snprintf(msg, sizeof msg, "unauthenticated: %s", why);
        return respond_error_now(req, 401, "unauthenticated", msg, NULL);
    }
    if (by_cert == 0 && (token == NULL || token[0] == '\0'))
        return respond_error_now(req, 401, "unauthenticated",
                                 "unauthenticated: this route needs a bearer token "
                                 "(Authorization: Bearer TOKEN) or a client certificate of "
                                 "the platform's service CA (see docs/auth.md)",
                                 NULL);
    if (by_cert == 0 && !ccf_auth_check(req->srv->auth, token, &req->who))
        return respond_error_now(req, 401, "unauthenticated",
                                 "unauthenticated: the bearer token is unknown or revoked", NULL);
    if ((req->who.role & rt->roles) == 0) {
        snprintf(msg, sizeof msg, "forbidden: role %s may not %s %s (needs %s)",
                 ccf_role_name(req->who.role), rt->method, rt->pattern,
                 ccf_roles_describe(rt->roles, need, sizeof need));
        return respond_error_now(req, 403, "forbidden", msg, NULL);
    }
    return MHD_YES;
}

/* Matches the request; on no match answers 404/405 right away. */
static enum MHD_Result begin_request(ccf_http_request *req, const char *url)
{
    ccf_http_server *srv = req->srv;
    char **segs = NULL;
    size_t nseg = 0;
    char allow[128] = "";
    bool path_known = false;
    enum MHD_Result ok = MHD_YES;

    if (split_path(url, &segs, &nseg) != CCF_OK)
        return respond_error_now(req, 404, "not_found", "no such path", NULL);
    for (size_t i = 0; i < srv->nroutes; i++) {
        const struct route *rt = &srv->routes[i];
        if (!route_match(rt, segs, nseg, NULL))
            continue;
        path_known = true;
        if (strcmp(rt->method, req->method) == 0) {
            if (!route_match(rt, segs, nseg, req)) {
                ok = respond_error_now(req, 500, "internal", "out of memory", NULL);
                goto out;
            }
            req->route = (int)i;
            ccf_dynbuf_init(&req->body, rt->max_body);
            if (rt->roles != 0)
                ok = authorise(req, rt);
            goto out;
        }
        size_t used = strlen(allow);
        if (strstr(allow, rt->method) == NULL && used + strlen(rt->method) + 3 < sizeof allow)
            snprintf(allow + used, sizeof allow - used, "%s%s", used ? ", " : "", rt->method);
    }
    if (path_known) {
        char msg[192];
        snprintf(msg, sizeof msg, "method %.16s not allowed here; allowed: %s", req->method, allow);
        ok = respond_error_now(req, 405, "method_not_allowed", msg, allow);
    } else {
        ok = respond_error_now(req, 404, "not_found", "no such path", NULL);
    }
out:
    free_segs(segs, nseg);
    return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    ccf_http_server *srv = cls;
    ccf_http_request *req = *con_cls;
    (void)version;

    if (req == NULL) {
        if ((req = calloc(1, sizeof *req)) == NULL)
            return MHD_NO;
        req->srv = srv;
        req->conn = conn;
        req->method = method;
        req->route = -1;
        clock_gettime(CLOCK_MONOTONIC, &req->start);
        if ((req->path = strdup(url)) == NULL) {
            free(req);
            return MHD_NO;
        }
        *con_cls = req;
        pthread_mutex_lock(&srv->mu);
        srv->inflight++;
        pthread_mutex_unlock(&srv->mu);
        enum MHD_Result ok = begin_request(req, url);
        if (req->responded || ok != MHD_YES)
            return ok;
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
        long long declared = -1;
        if (cl != NULL) {
            char *end = NULL;
            errno = 0;
            unsigned long long n = strtoull(cl, &end, 10);
            if (errno != 0 || end == cl || *end != '\0' || n > req->body.max) {
                char msg[128];
                snprintf(msg, sizeof msg, "request body larger than the limit of %zu bytes",
                         req->body.max);
                return respond_error_now(req, 413, "too_large", msg, NULL);
            }
            declared = (long long)n;
        }
        const struct route *rt = &srv->routes[req->route];
        ccf_http_response resp = {0};
        if (rt->admit != NULL && !rt->admit(req, declared, &resp, rt->ctx)) {
            if (resp.status == 0)
                ccf_http_respond_error(&resp, 500, "internal", "admission check without answer");
            return send_response(req, &resp, NULL);
        }
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        req->received += n;
        /* an oversized body without Content-Length is read and dropped so
         * that the 413 can be sent; a flood beyond that closes the connection */
        if ((req->responded || req->too_large) && req->received - req->body.len > DISCARD_MAX)
            return MHD_NO;
        if (req->responded || req->too_large)
            return MHD_YES;
        ccf_err rc = ccf_dynbuf_add(&req->body, upload_data, n);
        if (rc == CCF_ERR_TOO_LARGE) {
            req->too_large = true;
            ccf_dynbuf_free(&req->body);
        } else if (rc != CCF_OK) {
            return MHD_NO;
        }
        return MHD_YES;
    }
    if (req->responded)
        return MHD_YES;
    if (req->too_large) {
        char msg[128];
        snprintf(msg, sizeof msg, "request body larger than the limit of %zu bytes",
                 req->body.max);
        return respond_error_now(req, 413, "too_large", msg, NULL);
    }
    ccf_http_response resp = {0};
    const struct route *rt = &srv->routes[req->route];
    ccf_conn_deadline_handling(srv->deadline, conn, true); /* the handler's time is not theirs */
    rt->fn(req, &resp, rt->ctx);
    return send_response(req, &resp, NULL);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    ccf_http_server *srv = cls;
    ccf_http_request *req = *con_cls;
    (void)conn;
    if (req == NULL)
        return;
    ccf_conn_deadline_handling(srv->deadline, req->conn, false);
    log_request(srv, req, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK);
    request_free(req);
    *con_cls = NULL;
    pthread_mutex_lock(&srv->mu);
    if (--srv->inflight == 0)
        pthread_cond_broadcast(&srv->idle);
    pthread_mutex_unlock(&srv->mu);
}

/* ------------------------------------------------------------------ */
/* lifecycle */

void ccf_http_server_each_route(const ccf_http_server *srv, ccf_http_route_fn fn, void *ctx)
{
    for (size_t i = 0; i < srv->nroutes; i++)
        fn(srv->routes[i].method, srv->routes[i].pattern, ctx);
}

/* A PEM file into a NUL-terminated string (in the secure heap when secret). */
static ccf_err read_pem(const char *what, const char *path, bool secret, char **out, char *err,
                        size_t err_size)
{
    char *text = NULL;
    size_t len = 0;
    char why[256];
    ccf_err rc = ccf_file_read(path, 1024u * 1024u, &text, &len, why, sizeof why);
    if (rc != CCF_OK)
        return ccf_errf(err, err_size, rc, "%s %s: %s", what, path, why);
    if (!secret) {
        *out = text;
        return CCF_OK;
    }
    if ((*out = OPENSSL_secure_malloc(len + 1)) != NULL) {
        memcpy(*out, text, len);
        (*out)[len] = '\0';
    }
    OPENSSL_cleanse(text, len);
    free(text);
    return *out != NULL ? CCF_OK : ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
}

/* cfg's TLS files: the certificate and key served, and the service CA whose
 * client certificates authenticate callers (docs/auth.md "TLS"). */
static ccf_err load_tls(ccf_http_server *srv, const ccf_http_config *cfg, char *err, size_t err_size)
{
    ccf_err rc;
    if (cfg->tls_cert_file == NULL && cfg->tls_key_file == NULL && cfg->tls_client_ca_file == NULL)
        return CCF_OK;
    if (cfg->tls_cert_file == NULL || cfg->tls_key_file == NULL)
        return ccf_errf(err, err_size, CCF_ERR_INVALID,
                        "%s: TLS needs both a certificate and its key", srv->service);
    if ((rc = read_pem("TLS certificate", cfg->tls_cert_file, false, &srv->tls_cert_pem, err,
                       err_size)) != CCF_OK ||
        (rc = read_pem("TLS key", cfg->tls_key_file, true, &srv->tls_key_pem, err, err_size)) !=
            CCF_OK)
        return rc;
    if (cfg->tls_client_ca_file == NULL)
        return CCF_OK;
    if ((rc = read_pem("service CA", cfg->tls_client_ca_file, false, &srv->tls_ca_pem, err,
                       err_size)) != CCF_OK)
        return rc;
    BIO *b = BIO_new_mem_buf(srv->tls_ca_pem, -1);
    X509 *ca = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    if (ca == NULL || (srv->tls_ca = X509_STORE_new()) == NULL ||
        X509_STORE_add_cert(srv->tls_ca, ca) != 1)
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "service CA %s: not a PEM certificate",
                      cfg->tls_client_ca_file);
    X509_free(ca);
    return rc;
}

ccf_err ccf_http_server_new(const ccf_http_config *cfg, ccf_http_server **out, char *err,
                            size_t err_size)
{
    ccf_http_server *srv = NULL;
    ccf_err rc;
    *out = NULL;
    if ((srv = calloc(1, sizeof *srv)) == NULL)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&srv->mu, NULL);
    pthread_cond_init(&srv->idle, NULL);
    if ((srv->service = strdup(cfg->service ? cfg->service : "ccfaas")) == NULL) {
        rc = ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if ((rc = ccf_addr_parse(cfg->listen, &srv->addr, err, err_size)) != CCF_OK)
        goto fail;
    srv->threads = cfg->threads ? cfg->threads : 4;
    srv->timeout_s = cfg->connection_timeout_s ? cfg->connection_timeout_s : 30;
    srv->per_ip = cfg->per_ip_connections ? cfg->per_ip_connections
                                          : CCF_HTTP_DEFAULT_PER_IP_CONNECTIONS;
    srv->deadline_s = cfg->request_deadline_s ? cfg->request_deadline_s
                                              : CCF_HTTP_DEFAULT_REQUEST_DEADLINE_S;
    if ((rc = ccf_conn_deadline_new(srv->deadline_s, &srv->deadline, err, err_size)) != CCF_OK)
        goto fail;
    srv->log = cfg->log ? cfg->log : stderr;
    srv->quiet = cfg->quiet;
    if ((rc = load_tls(srv, cfg, err, err_size)) != CCF_OK)
        goto fail;
    if ((rc = ccf_http_server_route(srv, "GET", "/healthz", healthz, srv, 0)) != CCF_OK ||
        (rc = ccf_http_server_route_auth(srv, "GET", "/metrics", CCF_ROLE_ADMIN, metrics, srv,
                                         0)) != CCF_OK) {
        ccf_errf(err, err_size, rc, "cannot add built-in routes");
        goto fail;
    }
    *out = srv;
    return CCF_OK;
fail:
    ccf_http_server_free(srv);
    return rc;
}

ccf_err ccf_http_server_start(ccf_http_server *srv, char *err, size_t err_size)
{
    if (srv->started)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "server already started");
    if ((srv->auth == NULL || srv->tls_cert_pem == NULL) && !ccf_http_addr_is_loopback(&srv->addr))
        return ccf_errf(err, err_size, CCF_ERR_DENIED,
                        "%s: refusing to listen on a non-loopback address without %s "
                        "(docs/auth.md)", srv->service,
                        srv->auth == NULL ? "authentication configured (a token store)"
                                          : "TLS (--tls-cert and --tls-key)");
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_POLL;
    if (srv->addr.ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    struct MHD_OptionItem tls[] = {
        {MHD_OPTION_HTTPS_MEM_KEY, 0, srv->tls_key_pem},
        {MHD_OPTION_HTTPS_MEM_CERT, 0, srv->tls_cert_pem},
        /* asks clients for a certificate (optional: a bearer token also does) */
        {MHD_OPTION_HTTPS_MEM_TRUST, 0, srv->tls_ca_pem},
        {MHD_OPTION_END, 0, NULL},
    };
    if (srv->tls_cert_pem != NULL) {
        flags |= MHD_USE_TLS;
        if (srv->tls_ca_pem == NULL)
            tls[2].option = MHD_OPTION_END;
    } else {
        tls[0].option = MHD_OPTION_END;
    }
    srv->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&srv->addr.ss,
        MHD_OPTION_THREAD_POOL_SIZE, srv->threads, MHD_OPTION_CONNECTION_TIMEOUT,
        srv->timeout_s, MHD_OPTION_CONNECTION_LIMIT, 1024u, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        srv->per_ip, MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        MHD_OPTION_NOTIFY_CONNECTION, ccf_conn_deadline_notify, srv->deadline, MHD_OPTION_ARRAY,
        tls, MHD_OPTION_END);
    if (srv->daemon == NULL)
        return ccf_errf(err, err_size, CCF_ERR_IO,
                        "cannot listen (address in use, or not an address of this host?)");
    ccf_err rc = ccf_conn_deadline_start(srv->deadline, err, err_size);
    if (rc != CCF_OK) {
        MHD_stop_daemon(srv->daemon);
        srv->daemon = NULL;
        return rc;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : 0;
    srv->started = true;
    return CCF_OK;
}

uint16_t ccf_http_server_port(const ccf_http_server *srv)
{
    return srv->port;
}

void ccf_http_server_stop(ccf_http_server *srv)
{
    if (srv == NULL || srv->daemon == NULL)
        return;
    /* stop accepting, let requests in progress finish and their responses go
     * out (at most CCF_HTTP_STOP_GRACE_S), then close everything */
    MHD_socket fd = MHD_quiesce_daemon(srv->daemon);
    if (fd != MHD_INVALID_SOCKET)
        close(fd); /* new connections are refused from here on */
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += CCF_HTTP_STOP_GRACE_S;
    pthread_mutex_lock(&srv->mu);
    while (srv->inflight > 0)
        if (pthread_cond_timedwait(&srv->idle, &srv->mu, &deadline) == ETIMEDOUT)
            break;
    pthread_mutex_unlock(&srv->mu);
    MHD_stop_daemon(srv->daemon);
    srv->daemon = NULL;
}

void ccf_http_server_free(ccf_http_server *srv)
{
    if (srv == NULL)
        return;
    ccf_http_server_stop(srv);
    for (size_t i = 0; i < srv->nroutes; i++) {
        free(srv->routes[i].pattern);
        free_segs(srv->routes[i].segs, srv->routes[i].nseg);
    }
    free(srv->metrics);
    free(srv->service);
    free(srv->tls_cert_pem);
    free(srv->tls_ca_pem);
    if (srv->tls_key_pem != NULL)
        OPENSSL_secure_clear_free(srv->tls_key_pem, strlen(srv->tls_key_pem));
    X509_STORE_free(srv->tls_ca);
    pthread_cond_destroy(&srv->idle);
    ccf_conn_deadline_free(srv->deadline); /* the daemon is stopped: stops its watchdog */
    pthread_mutex_destroy(&srv->mu);
    free(srv);
}

void ccf_http_block_stop_signals(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int ccf_http_wait_stop_signal(void)
{
    sigset_t set;
    int sig = 0;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    while (sigwait(&set, &sig) != 0)
        ;
    return sig;
}

/* ------------------------------------------------------------------ */
/* request accessors */

const char *ccf_http_request_method(const ccf_http_request *req)
{
    return req->method;
}

const char *ccf_http_request_path(const ccf_http_request *req)
{
    return req->path;
}

const char *ccf_http_request_param(const ccf_http_request *req, const char *name)
{
    for (size_t i = 0; i < req->nparams; i++)
        if (strcmp(req->pnames[i], name) == 0)
            return req->pvalues[i];
    return NULL;
}

const char *ccf_http_request_query(const ccf_http_request *req, const char *key)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, key);
}

const ccf_principal *ccf_http_request_principal(const ccf_http_request *req)
{
    return req->who.role != 0 ? &req->who : NULL;
}

const char *ccf_http_request_peer(const ccf_http_request *req, char *buf, size_t size)
{
    buf[0] = '\0';
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci != NULL && ci->client_addr != NULL) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, buf,
                      (socklen_t)size);
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, buf,
                      (socklen_t)size);
    }
    return buf;
}

void ccf_http_server_set_auth(ccf_http_server *srv, ccf_auth *auth)
{
    if (!srv->started)
        srv->auth = auth;
}

bool ccf_http_server_is_tls(const ccf_http_server *srv)
{
    return srv->tls_cert_pem != NULL;
}

bool ccf_http_addr_is_loopback(const ccf_addr *a)
{
    if (a->ss.ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)&a->ss;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (a->ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)&a->ss;
        return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
    }
    return false;
}

const char *ccf_http_request_header(const ccf_http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *ccf_http_request_body(const ccf_http_request *req, size_t *len)
{
    *len = req->body.len;
    return req->body.p ? req->body.p : "";
}

json_t *ccf_http_request_json(const ccf_http_request *req, char *err, size_t err_size)
{
    json_error_t jerr;
    size_t len = 0;
    const char *body = ccf_http_request_body(req, &len);
    json_t *v = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (v == NULL) {
        ccf_errf(err, err_size, CCF_ERR_INVALID, "body is not JSON: line %d column %d: %s",
                 jerr.line, jerr.column, jerr.text);
        return NULL;
    }
    if (!json_is_object(v)) {
        json_decref(v);
        ccf_errf(err, err_size, CCF_ERR_INVALID, "body must be a JSON object");
        return NULL;
    }
    return v;
}
