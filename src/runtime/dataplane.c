/* The instance's HTTPS data plane (dataplane.h). */
#include "runtime/dataplane.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct ccf_dataplane {
    ccf_instance *inst;
    SSL_CTX *ctx;
    struct event_base *base;
    struct evhttp *http;
    uint16_t port;
    bool stopping;
};

/* ---- TLS ------------------------------------------------------------------ */

/* SSL ex_data slot holding the connection's identity index + 1 (0 = none). */
static int identity_slot = -1;

/* Client certificates are identities, compared byte for byte: no CA involved.
 * The identity found is remembered on the connection for its requests. */
static int verify_identity(X509_STORE_CTX *sctx, void *arg)
{
    ccf_instance *inst = arg;
    X509 *leaf = X509_STORE_CTX_get0_cert(sctx);
    SSL *ssl = X509_STORE_CTX_get_ex_data(sctx, SSL_get_ex_data_X509_STORE_CTX_idx());
    unsigned char *der = NULL;
    int len = leaf ? i2d_X509(leaf, &der) : -1;
    int who = len > 0 ? ccf_instance_identity_by_der(inst, der, (size_t)len) : -1;
    OPENSSL_free(der);
    if (who < 0 || ssl == NULL || !SSL_set_ex_data(ssl, identity_slot, (void *)(intptr_t)(who + 1))) {
        X509_STORE_CTX_set_error(sctx, X509_V_ERR_CERT_REJECTED);
        return 0;
    }
    return 1;
}

static const struct {
    const char *iana, *openssl;
} tls12_suites[] = {
    {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384"},
    {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"},
};

static ccf_err set_ciphersuite(SSL_CTX *ctx, const char *name, char *err, size_t err_size)
{
    if (strncmp(name, "TLS_AES_", 8) == 0 || strncmp(name, "TLS_CHACHA20_", 13) == 0) {
        if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
            SSL_CTX_set_ciphersuites(ctx, name) != 1)
            return ccf_errf(err, err_size, CCF_ERR_UNSUPPORTED, "cipher suite %s unavailable", name);
        return CCF_OK;
    }
    for (size_t i = 0; i < sizeof tls12_suites / sizeof tls12_suites[0]; i++) {
        if (strcmp(name, tls12_suites[i].iana) != 0)
            continue;
        if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
            SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION) != 1 ||
            SSL_CTX_set_cipher_list(ctx, tls12_suites[i].openssl) != 1)
            return ccf_errf(err, err_size, CCF_ERR_UNSUPPORTED, "cipher suite %s unavailable", name);
        return CCF_OK;
    }
    return ccf_errf(err, err_size, CCF_ERR_UNSUPPORTED,
                    "cipher suite %s is not supported by the runtime (its key is ECDSA P-256: "
                    "use a TLS 1.3 suite or a TLS_ECDHE_ECDSA_* one)",
                    name);
}

ccf_err ccf_dataplane_tls_ctx(ccf_instance *inst, const char *cert_pem, EVP_PKEY *key,
                              SSL_CTX **out, char *err, size_t err_size)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    BIO *bio = NULL;
    X509 *cert = NULL;
    ccf_err rc;

    *out = NULL;
    if (identity_slot < 0)
        identity_slot = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    if (ctx == NULL || identity_slot < 0) {
        SSL_CTX_free(ctx);
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    }
    if ((rc = set_ciphersuite(ctx, ccf_instance_policy(inst)->ciphersuite, err, err_size)) != CCF_OK)
        goto fail;
    if ((bio = BIO_new_mem_buf(cert_pem, -1)) == NULL ||
        (cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL ||
        SSL_CTX_use_certificate(ctx, cert) != 1 || SSL_CTX_use_PrivateKey(ctx, key) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        rc = ccf_errf(err, err_size, CCF_ERR_CRYPTO, "server certificate or key unusable");
        goto fail;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    SSL_CTX_set_cert_verify_callback(ctx, verify_identity, inst);
    /* No resumption: every connection presents its identity afresh. */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    X509_free(cert);
    BIO_free(bio);
    *out = ctx;
    return CCF_OK;
fail:
    ERR_clear_error();
    X509_free(cert);
    BIO_free(bio);
    SSL_CTX_free(ctx);
    return rc;
}

static struct bufferevent *make_tls_bev(struct event_base *base, void *arg)
{
    SSL *ssl = SSL_new(arg);
    if (ssl == NULL)
        return NULL;
    return bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                          BEV_OPT_CLOSE_ON_FREE);
}

/* ---- replies ------------------------------------------------------------- */

static void reply(struct evhttp_request *req, int status, const char *type, struct evbuffer *body)
{
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", type);
    evhttp_send_reply(req, status, status < 400 ? "OK" : "Error", body);
}

static void reply_json(struct evhttp_request *req, int status, json_t *obj)
{
    struct evbuffer *b = evbuffer_new();
    char *s = obj ? json_dumps(obj, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
    if (b != NULL && s != NULL)
        evbuffer_add(b, s, strlen(s));
    reply(req, status, "application/json", b);
    free(s);
    json_decref(obj);
    if (b != NULL)
        evbuffer_free(b);
}

static void reply_error(struct evhttp_request *req, int status, const char *code, const char *msg)
{
    reply_json(req, status, json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", msg));
}

static void reply_status(struct evhttp_request *req, ccf_inst_status st, const char *msg)
{
    reply_error(req, ccf_inst_http_status(st), ccf_inst_code(st), msg);
}

/* ---- requests ------------------------------------------------------------ */

/* The identity behind the request's TLS connection (found in the handshake), or -1. */
static int request_identity(struct evhttp_request *req)
{
    struct evhttp_connection *conn = evhttp_request_get_connection(req);
    struct bufferevent *bev = conn ? evhttp_connection_get_bufferevent(conn) : NULL;
    SSL *ssl = bev ? bufferevent_openssl_get_ssl(bev) : NULL;
    return ssl != NULL ? (int)(intptr_t)SSL_get_ex_data(ssl, identity_slot) - 1 : -1;
}

static void free_body(const void *data, size_t len, void *arg)
{
    (void)len;
    (void)arg;
    free((void *)data);
}

static void on_shutdown_sent(struct evhttp_request *req, void *arg)
{
    ccf_dataplane *dp = arg;
    (void)req;
    event_base_loopexit(dp->base, NULL);
}

static void handle_files(ccf_dataplane *dp, struct evhttp_request *req, int who, const char *name)
{
    enum evhttp_cmd_type method = evhttp_request_get_command(req);
    char msg[512];
    ccf_inst_status st;

    if (method == EVHTTP_REQ_GET) {
        uint8_t *data;
        size_t len;
        struct evbuffer *b;
        if ((st = ccf_instance_get(dp->inst, who, name, &data, &len, msg, sizeof msg)) != CCF_INST_OK)
            return reply_status(req, st, msg);
        if ((b = evbuffer_new()) == NULL) {
            free(data);
            return reply_error(req, 500, "internal", "out of memory");
        }
        if (len > 0)
            evbuffer_add_reference(b, data, len, free_body, NULL); /* no second copy */
        else
            free(data);
        reply(req, 200, "application/octet-stream", b);
        evbuffer_free(b);
        return;
    }
    if (method == EVHTTP_REQ_PUT || method == EVHTTP_REQ_POST) {
        struct evbuffer *in = evhttp_request_get_input_buffer(req);
        size_t len = evbuffer_get_length(in);
        /* One copy out of the received chunks (each freed as it is copied);
         * the file system then keeps this buffer as the file's content. */
        uint8_t *data = len > 0 ? malloc(len) : NULL;
        bool copied = len == 0 || data != NULL;
        for (size_t done = 0; copied && done < len;) {
            size_t step = len - done < (1u << 30) ? len - done : (1u << 30); /* int result */
            copied = evbuffer_remove(in, data + done, step) == (int)step;
            done += step;
        }
        if (!copied) {
            free(data);
            return reply_error(req, 500, "internal", "out of memory");
        }
        st = ccf_instance_put(dp->inst, who, name, data, len, method == EVHTTP_REQ_POST, msg,
                              sizeof msg);
        if (st != CCF_INST_OK)
            return reply_status(req, st, msg);
        return reply_json(req, 200, json_pack("{s:s, s:I}", "file", name, "bytes", (json_int_t)len));
    }
    reply_error(req, 405, "method_not_allowed", "files take GET, PUT (replace) or POST (append)");
}

static void handle_execute(ccf_dataplane *dp, struct evhttp_request *req, int who,
                           const char *program)
{
    ccf_exec_result res;
    char msg[512];
    ccf_inst_status st;
    if (evhttp_request_get_command(req) != EVHTTP_REQ_POST)
        return reply_error(req, 405, "method_not_allowed", "execute takes POST");
    if ((st = ccf_instance_execute(dp->inst, who, program, &res, msg, sizeof msg)) != CCF_INST_OK)
        return reply_status(req, st, msg);
    reply_json(req, 200,
               json_pack("{s:s, s:o, s:o, s:f}", "program", program, "exit_code",
                         res.trapped ? json_null() : json_integer(res.exit_code), "trap",
                         res.trapped ? json_string(res.trap) : json_null(), "duration_ms",
                         (double)res.duration_us / 1000.0));
}

static void handle(struct evhttp_request *req, void *arg)
{
    ccf_dataplane *dp = arg;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *raw = uri ? evhttp_uri_get_path(uri) : NULL;
    enum evhttp_cmd_type method = evhttp_request_get_command(req);
    size_t plen = 0;
    char *path = NULL;
    int who = request_identity(req);

    if (who < 0) {
        reply_error(req, 403, "forbidden", "the client certificate is not an identity of the policy");
        goto out;
    }
    if (raw == NULL || (path = evhttp_uridecode(raw, 0, &plen)) == NULL || strlen(path) != plen) {
        reply_error(req, 400, "bad_request", "malformed request path");
        goto out;
    }
    if (strcmp(path, "/policy") == 0 || strcmp(path, "/policy/hash") == 0) {
        struct evbuffer *b = evbuffer_new();
        size_t len;
        const char *text = ccf_instance_policy_text(dp->inst, &len);
        const char *hash = ccf_instance_policy_hash(dp->inst);
        if (method != EVHTTP_REQ_GET) {
            reply_error(req, 405, "method_not_allowed", "the policy is read with GET");
        } else if (b == NULL) {
            reply_error(req, 500, "internal", "out of memory");
        } else {
            bool whole = path[7] == '\0';
            evbuffer_add(b, whole ? text : hash, whole ? len : strlen(hash));
            evhttp_add_header(evhttp_request_get_output_headers(req), "X-Policy-Hash", hash);
            reply(req, 200, whole ? "application/json" : "text/plain", b);
        }
        if (b != NULL)
            evbuffer_free(b);
    } else if (strncmp(path, "/files/", 7) == 0) {
        handle_files(dp, req, who, path + 7);
    } else if (strncmp(path, "/execute/", 9) == 0) {
        handle_execute(dp, req, who, path + 9);
    } else if (strcmp(path, "/shutdown") == 0) {
        if (method != EVHTTP_REQ_POST) {
            reply_error(req, 405, "method_not_allowed", "shutdown takes POST");
        } else {
            dp->stopping = true;
            evhttp_request_set_on_complete_cb(req, on_shutdown_sent, dp);
            reply_json(req, 200, json_pack("{s:b}", "shutdown", 1));
        }
    } else {
        reply_error(req, 404, "not_found", "no such route");
    }
out:
    fprintf(stderr, "ccfaas-runtime: identity %d %s %s -> %d\n", who,
            method == EVHTTP_REQ_GET ? "GET" : method == EVHTTP_REQ_PUT ? "PUT"
            : method == EVHTTP_REQ_POST ? "POST" : "other",
            raw ? raw : "?", evhttp_request_get_response_code(req));
    free(path);
}

/* ---- lifecycle --------------------------------------------------------------- */

static ccf_err split_listen(const char *listen, char *host, size_t host_size, uint16_t *port,
                            char *err, size_t err_size)
{
    const char *colon = strrchr(listen, ':');
    char *end = NULL;
    long p;
    if (colon == NULL || colon == listen || (size_t)(colon - listen) >= host_size)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "--listen needs ADDR:PORT, got \"%s\"", listen);
    p = strtol(colon + 1, &end, 10);
    if (*end != '\0' || colon[1] == '\0' || p < 0 || p > 65535)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "bad port in \"%s\"", listen);
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    *port = (uint16_t)p;
    return CCF_OK;
}

ccf_err ccf_dataplane_new(ccf_instance *inst, const ccf_dataplane_config *cfg, ccf_dataplane **out,
                          char *err, size_t err_size)
{
    ccf_dataplane *dp = calloc(1, sizeof *dp);
    struct evhttp_bound_socket *bound;
    struct sockaddr_storage ss;
    socklen_t slen = sizeof ss;
    char host[256];
    uint16_t port = 0;
    ccf_err rc;

    *out = NULL;
    if (dp == NULL)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    dp->inst = inst;
    if ((rc = split_listen(cfg->listen, host, sizeof host, &port, err, err_size)) != CCF_OK ||
        (rc = ccf_dataplane_tls_ctx(inst, cfg->cert_pem, cfg->key, &dp->ctx, err, err_size)) != CCF_OK)
        goto fail;
    if ((dp->base = event_base_new()) == NULL || (dp->http = evhttp_new(dp->base)) == NULL) {
        rc = ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
        goto fail;
    }
    evhttp_set_bevcb(dp->http, make_tls_bev, dp->ctx);
    evhttp_set_gencb(dp->http, handle, dp);
    evhttp_set_allowed_methods(dp->http, EVHTTP_REQ_GET | EVHTTP_REQ_PUT | EVHTTP_REQ_POST);
    evhttp_set_max_body_size(dp->http, cfg->max_body_bytes ? (ev_ssize_t)cfg->max_body_bytes
                                                            : (ev_ssize_t)1 << 30);
    evhttp_set_timeout(dp->http, 120);
    if ((bound = evhttp_bind_socket_with_handle(dp->http, host, port)) == NULL) {
        rc = ccf_errf(err, err_size, CCF_ERR_IO, "cannot listen on %s", cfg->listen);
        goto fail;
    }
    /* Accepted sockets inherit TCP_NODELAY (Linux): a reply written as several
     * TLS records must not wait for the peer's delayed ACK (40 ms each). */
    int one = 1;
    setsockopt(evhttp_bound_socket_get_fd(bound), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (getsockname(evhttp_bound_socket_get_fd(bound), (struct sockaddr *)&ss, &slen) == 0)
        dp->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                  : ((struct sockaddr_in *)&ss)->sin_port);
    *out = dp;
    return CCF_OK;
fail:
    ccf_dataplane_free(dp);
    return rc;
}

uint16_t ccf_dataplane_port(const ccf_dataplane *dp) { return dp->port; }

ccf_err ccf_dataplane_run(ccf_dataplane *dp, char *err, size_t err_size)
{
    if (event_base_dispatch(dp->base) < 0)
        return ccf_errf(err, err_size, CCF_ERR_IO, "event loop failed");
    return dp->stopping ? CCF_OK : ccf_errf(err, err_size, CCF_ERR_IO, "event loop ended");
}

void ccf_dataplane_free(ccf_dataplane *dp)
{
    if (dp == NULL)
        return;
    if (dp->http != NULL)
        evhttp_free(dp->http);
    if (dp->base != NULL)
        event_base_free(dp->base);
    SSL_CTX_free(dp->ctx);
    free(dp);
}
