/* The instance's HTTPS data plane (dataplane.h): OpenSSL on non-blocking
 * sockets driven by libevent, HTTP/1.1 framing by http1.c. Bodies stream:
 * an upload is read straight into the buffer the file system then adopts, a
 * download is written straight from the file's bytes; a refused upload is
 * answered before its body is read. */
#include "runtime/dataplane.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/dynbuf.h"
#include "net/addr.h"
#include "net/http1.h"
#include "net/status.h"
#include "runtime/workorder.h"
#include "common/fifo.h"
#include "workorder/proto.h"

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

ccf_err ccf_dataplane_set_ciphersuite(SSL_CTX *ctx, const char *name, char *err, size_t err_size)
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
    if ((rc = ccf_dataplane_set_ciphersuite(ctx, ccf_instance_policy(inst)->ciphersuite, err, err_size)) !=
        CCF_OK)
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
    /* Writes return per TLS record (a large reply does not hold the loop) and
     * idle connections give their record buffers back. */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                              SSL_MODE_RELEASE_BUFFERS);
    /* No resumption: every connection presents its identity afresh. So no
     * session cache, no TLS 1.2 tickets, and no TLS 1.3 tickets either
     * (SSL_OP_NO_TICKET alone still sends two stateful ones per connection,
     * which nothing could use). */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_num_tickets(ctx, 0);
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

/* ---- connections ------------------------------------------------------------- */

#define MAX_CONNECTIONS CCF_DATAPLANE_MAX_CONNECTIONS
#define IDLE_SECONDS 120       /* a body or reply moving no byte this long: the connection is closed */
#define LINGER_SECONDS 2       /* after a refusal, unread request bytes are drained this long */
#define LINGER_BYTES (64u << 20)
#define TURN_BYTES (8u << 20)  /* bytes one connection moves before others get a turn */
#define WRITE_STEP (1u << 20)  /* largest single SSL_write */
#define SMALL_BODY (1u << 20)  /* bodies of routes that take none are read and dropped up to this */
#define EXEC_STACK_BYTES (16u << 20) /* the execution thread's stack (the JIT's budget is 2 MiB) */

typedef enum {
    CONN_HANDSHAKE, /* TLS handshake (the identity check happens here) */
    CONN_HEAD,      /* reading a request head */
    CONN_BODY,      /* reading a request body */
    CONN_SEND,      /* writing a reply */
    CONN_LINGER,    /* reply sent after a refusal: draining what the client still sends */
    CONN_EXEC,      /* waiting for its program, which runs on the execution thread */
    CONN_PARKED,    /* a request head that waits until the running program ends */
} conn_state;

/* WORKORDER: into chunks, bounded; STREAM: through stage into a stream file's FIFO */
typedef enum { BODY_FILE, BODY_DROP, BODY_WORKORDER, BODY_STREAM } body_sink;

typedef struct conn conn;
struct conn {
    ccf_dataplane *dp;
    conn *prev, *next;
    conn *hs_prev, *hs_next; /* in dp's handshake queue (oldest first) while CONN_HANDSHAKE */
    struct timeval since;    /* accepted (the loop's cached time) */
    int fd;
    SSL *ssl;
    struct event *rd, *wr, *timer;
    conn_state state;
    int who;            /* the policy identity (index) found in the handshake */
    ccf_http1_request req;
    char in[CCF_HTTP1_HEAD_MAX]; /* received, not yet consumed: heads, chunk framing */
    size_t in_len;
    bool in_lf; /* in holds a line end the head parser has not seen (parse only then) */
    /* the request body: into a file buffer (uploads) or dropped */
    body_sink sink;
    bool append;
    ccf_upload *upload; /* the body's reservation against the instance's storage */
    uint8_t *body;      /* Content-Length uploads: exactly that many bytes */
    ccf_dynbuf chunks;  /* chunked uploads */
    uint64_t body_got, body_len;
    ccf_http1_chunked chunked;
    /* a stream upload: body bytes wait in stage (at most one c->in's worth)
     * until the FIFO has room; paused while it has none */
    ccf_fifo *fifo;
    uint8_t *stage;
    size_t stage_len;
    bool paused, body_done;
    /* the reply: head and small bodies in out, a file's bytes straight from the node */
    ccf_dynbuf out;
    size_t out_off;
    ccf_vfs_node *node;
    uint64_t node_gen, node_off, node_len;
    bool close_after, linger, shutdown_after;
    bool tls_failed; /* a fatal TLS error: no close_notify may follow */
    int status;
    uint64_t linger_bytes;
};

struct ccf_dataplane {
    ccf_instance *inst;
    ccf_wo_worker *wo; /* the work-order worker (runtime/workorder.h) */
    SSL_CTX *ctx;
    struct event_base *base;
    struct evconnlistener *listener;
    uint64_t max_body;
    unsigned request_timeout_s, handshake_timeout_s, max_handshakes;
    uint16_t port;
    bool stopping;
    conn *conns;
    unsigned conn_count;
    conn *hs_oldest, *hs_newest; /* connections in their handshake, in accept order */
    unsigned hs_count;
    /* Programs run on one execution thread, started before the sandbox (the
     * seccomp filter allows no clone), so that the loop keeps serving while a
     * program runs: stream uploads feed it, the policy can be read; every
     * other request is parked until it ends (one request at a time for the
     * instance, as before). The thread reports through the wake pipe. */
    pthread_t exec_thread;
    bool exec_started, exec_alive;
    pthread_mutex_t exec_lock;
    pthread_cond_t exec_cond;
    enum { EXEC_IDLE, EXEC_QUEUED, EXEC_DONE, EXEC_QUIT } exec_state; /* under exec_lock */
    bool running;    /* the loop's view: a program was handed over and has not reported */
    conn *exec_conn; /* waiting for the result (NULL once it closed) */
    int exec_who;
    char exec_program[CCF_HTTP1_PATH_MAX];
    ccf_err exec_st;
    ccf_exec_result exec_res;
    char exec_msg[512];
    int wake[2]; /* execution thread or FIFO reader -> loop */
    struct event *wake_ev;
};

ccf_admit ccf_dataplane_admit(unsigned conns, unsigned handshakes, unsigned max_conns,
                              unsigned max_handshakes)
{
    /* Half-open connections cost the attacker nothing: they may take at most
     * max_handshakes slots, and give way to newer ones, so a client that
     * completes its handshake promptly always gets in. */
    if (handshakes > 0 && (handshakes >= max_handshakes || conns >= max_conns))
        return CCF_ADMIT_EVICT_HANDSHAKE;
    return conns >= max_conns ? CCF_ADMIT_REFUSE : CCF_ADMIT_ACCEPT;
}

static void hs_unlink(conn *c)
{
    ccf_dataplane *dp = c->dp;
    if (c->hs_prev != NULL)
        c->hs_prev->hs_next = c->hs_next;
    else
        dp->hs_oldest = c->hs_next;
    if (c->hs_next != NULL)
        c->hs_next->hs_prev = c->hs_prev;
    else
        dp->hs_newest = c->hs_prev;
    c->hs_prev = c->hs_next = NULL;
    dp->hs_count--;
}

static void conn_drive(conn *c);

/* Frees the request body (an upload not adopted by the file system: user
 * data, wiped) and ends its reservation: once stored or refused, a body no
 * longer holds storage back while the reply goes out. */
static void body_free(conn *c)
{
    if (c->body != NULL)
        OPENSSL_cleanse(c->body, (size_t)c->body_got);
    free(c->body);
    c->body = NULL;
    ccf_dynbuf_free(&c->chunks);
    ccf_instance_upload_end(c->dp->inst, c->upload);
    c->upload = NULL;
    if (c->fifo != NULL) /* an upload that did not complete: its reader sees an error */
        ccf_fifo_abort(c->fifo, "the upload ended before its body was complete");
    c->fifo = NULL;
    if (c->stage != NULL)
        OPENSSL_cleanse(c->stage, c->stage_len);
    free(c->stage);
    c->stage = NULL;
    c->stage_len = 0;
    c->paused = c->body_done = false;
}

/* Frees what one request holds: its body, its reply, the file being sent. */
static void request_free(conn *c)
{
    if (c->node != NULL)
        ccf_vfs_release(ccf_instance_vfs(c->dp->inst), c->node);
    c->node = NULL;
    c->node_len = c->node_off = 0;
    body_free(c);
    ccf_dynbuf_free(&c->out);
    c->out_off = 0;
}

static void conn_close(conn *c)
{
    ccf_dataplane *dp = c->dp;
    if (c->ssl != NULL && !c->tls_failed && c->state != CONN_HANDSHAKE && c->state != CONN_LINGER)
        SSL_shutdown(c->ssl); /* close_notify, best effort (non-blocking) */
    ERR_clear_error();
    request_free(c);
    if (c->state == CONN_HANDSHAKE)
        hs_unlink(c);
    if (dp->exec_conn == c)
        dp->exec_conn = NULL; /* its program's result has nowhere to go */
    SSL_free(c->ssl);
    if (c->rd != NULL)
        event_free(c->rd);
    if (c->wr != NULL)
        event_free(c->wr);
    if (c->timer != NULL)
        event_free(c->timer);
    close(c->fd);
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        dp->conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    dp->conn_count--;
    free(c);
}

static void on_io(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    conn_drive(arg);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    conn *c = arg;
    (void)fd;
    (void)what;
    if (c->state == CONN_HANDSHAKE)
        fprintf(stderr, "ccfaas-runtime: TLS handshake not complete within %u s: connection closed\n",
                c->dp->handshake_timeout_s);
    else if (c->state == CONN_HEAD && c->in_len > 0)
        fprintf(stderr, "ccfaas-runtime: request head not complete within %u s: connection closed\n",
                c->dp->request_timeout_s);
    else if (c->state == CONN_BODY || c->state == CONN_SEND)
        fprintf(stderr, "ccfaas-runtime: no progress for %d s: connection closed\n", IDLE_SECONDS);
    conn_close(c);
}

static void arm_timer(conn *c, unsigned seconds)
{
    struct timeval tv = {(time_t)seconds, 0};
    evtimer_add(c->timer, &tv);
}

/* After an SSL call returned ret <= 0: waits for the socket (0) or reports
 * the connection as finished (-1: closed by the peer, or a TLS error). */
static int ssl_wait(conn *c, int ret)
{
    switch (SSL_get_error(c->ssl, ret)) {
    case SSL_ERROR_WANT_READ:
        event_del(c->wr);
        event_add(c->rd, NULL);
        return 0;
    case SSL_ERROR_WANT_WRITE:
        event_del(c->rd);
        event_add(c->wr, NULL);
        return 0;
    default:
        ERR_clear_error();
        c->tls_failed = true;
        return -1;
    }
}

/* Writes up to WRITE_STEP bytes of p[0..left): how many (> 0), or as
 * ssl_wait (0: wait for the socket, -1: the connection is over). */
static int write_step(conn *c, const void *p, size_t left)
{
    int ret = SSL_write(c->ssl, p, (int)(left < WRITE_STEP ? left : WRITE_STEP));
    return ret > 0 ? ret : ssl_wait(c, ret);
}

/* ---- replies ------------------------------------------------------------- */

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 417: return "Expectation Failed";
    case 431: return "Request Header Fields Too Large";
    case 501: return "Not Implemented";
    case 505: return "HTTP Version Not Supported";
    default: return status < 500 ? "Error" : "Internal Server Error";
    }
}

/* Queues a reply head (and body, unless the body comes from c->node). Out of
 * memory: nothing is queued and the connection closes (false). */
static bool reply_raw(conn *c, int status, const char *type, const void *body, uint64_t len,
                      const char *extra_header)
{
    char head[512];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %llu\r\n%s%s\r\n",
                     status, reason(status), type, (unsigned long long)len,
                     extra_header ? extra_header : "", c->close_after ? "Connection: close\r\n" : "");
    c->status = status;
    if (n > 0 && (size_t)n < sizeof head && ccf_dynbuf_add(&c->out, head, (size_t)n) == CCF_OK &&
        (body == NULL || len == 0 || ccf_dynbuf_add(&c->out, body, (size_t)len) == CCF_OK))
        return true;
    ccf_dynbuf_free(&c->out);
    c->close_after = true;
    c->status = 500;
    return false;
}

static void reply_json(conn *c, int status, json_t *obj)
{
    char *s = obj ? json_dumps(obj, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
    if (s != NULL) {
        (void)reply_raw(c, status, "application/json", s, strlen(s), NULL);
    } else { /* out of memory: nothing sensible to send */
        c->close_after = true;
        c->status = 500;
    }
    free(s);
    json_decref(obj);
}

static void reply_error(conn *c, int status, const char *code, const char *msg)
{
    reply_json(c, status, json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", msg));
}

static void reply_status(conn *c, ccf_err st, const char *msg)
{
    reply_error(c, ccf_http_status_of(st), ccf_http_code_of(st), msg);
}

/* A refusal before the request body was read: the connection cannot carry
 * another request, and what the client still sends is drained for a moment
 * so that closing does not reset the connection before it reads the reply. */
static void refuse_early(conn *c, int status, const char *code, const char *msg)
{
    bool has_body = c->req.chunked || (c->req.has_length && c->req.length > 0);
    if (has_body) {
        c->close_after = true;
        c->linger = true;
    }
    body_free(c);
    reply_error(c, status, code, msg);
}

/* An upload refused for the instance's storage limit (413): the message and
 * the figures behind it, in bytes. */
static void refuse_storage(conn *c, const char *msg, const ccf_storage_figures *fig)
{
    if (fig->limit == 0) /* the per-file limit */
        return refuse_early(c, 413, "too_large", msg);
    c->close_after = true;
    c->linger = true;
    body_free(c);
    reply_json(c, 413,
               json_pack("{s:{s:s, s:s, s:I, s:I, s:I, s:I}}", "error", "code", "too_large", "message",
                         msg, "limit_bytes", (json_int_t)fig->limit, "used_bytes",
                         (json_int_t)fig->used, "reserved_bytes", (json_int_t)fig->reserved,
                         "asked_bytes", (json_int_t)fig->asked));
}

/* ---- requests ------------------------------------------------------------ */

static const char *head_error_code(int status)
{
    switch (status) {
    case 417: return "expectation_failed";
    case 431: return "header_too_large";
    case 501: return "not_implemented";
    case 505: return "version_not_supported";
    default: return "bad_request";
    }
}

static void log_request(const conn *c)
{
    fprintf(stderr, "ccfaas-runtime: identity %d %s %s -> %d\n", c->who, c->req.method_name,
            c->req.path, c->status);
}

static void on_shutdown_sent(ccf_dataplane *dp)
{
    dp->stopping = true;
    event_base_loopexit(dp->base, NULL);
}

static void start_download(conn *c, const char *name)
{
    char msg[512];
    ccf_err st = ccf_instance_open_read(c->dp->inst, c->who, name, &c->node, msg, sizeof msg);
    if (st != CCF_OK)
        return reply_status(c, st, msg);
    c->node_gen = ccf_vfs_node_generation(c->node);
    (void)ccf_vfs_node_bytes(c->node, &c->node_len);
    c->node_off = 0;
    if (!reply_raw(c, 200, "application/octet-stream", NULL, c->node_len, NULL))
        c->node_len = 0;
}

/* A PUT or POST to /files/NAME: checked before any body byte is read. */
static bool start_upload(conn *c, const char *name)
{
    char msg[512];
    ccf_http1_request *r = &c->req;
    uint64_t len = r->has_length ? r->length : 0;
    ccf_err st;
    ccf_storage_figures fig;

    c->append = r->method == CCF_HTTP1_POST;
    /* rights, pinning and sizes; then the body's storage is reserved before
     * a byte of it is read (a chunked body's as it grows) */
    if ((st = ccf_instance_upload_begin(c->dp->inst, c->who, name, len, c->append, r->chunked,
                                        &c->upload, &fig, msg, sizeof msg)) != CCF_OK) {
        if (st == CCF_ERR_TOO_LARGE)
            refuse_storage(c, msg, &fig);
        else
            refuse_early(c, ccf_http_status_of(st), ccf_http_code_of(st), msg);
        return false;
    }
    if (r->has_length && len > c->dp->max_body) {
        snprintf(msg, sizeof msg, "a body of %llu bytes exceeds the data plane's limit of %llu",
                 (unsigned long long)len, (unsigned long long)c->dp->max_body);
        refuse_early(c, 413, "too_large", msg);
        return false;
    }
    if (r->has_length && len > 0 && (c->body = malloc((size_t)len)) == NULL) {
        refuse_early(c, 413, "too_large", "not enough memory for the body");
        return false;
    }
    c->body_len = len;
    c->sink = BODY_FILE;
    return true;
}

/* POST /workorder (a WorkOrderSubmit's params) and GET /workorder/worker:
 * runtime/workorder.h; the answer is JSON with Avalon's codes (200), or 403
 * when the identity may not run the workload. */
static void finish_workorder(conn *c)
{
    char msg[512], *json = NULL;
    ccf_err st;
    bool submit = strcmp(c->req.path, "/workorder") == 0;
    if (c->req.method != (submit ? CCF_HTTP1_POST : CCF_HTTP1_GET))
        return reply_error(c, 405, "method_not_allowed",
                           submit ? "a work order is submitted with POST" : "the worker is read with GET");
    st = submit ? ccf_wo_worker_process(c->dp->wo, c->who, c->chunks.p ? c->chunks.p : "",
                                        c->chunks.len, &json, msg, sizeof msg)
                : ccf_wo_worker_info(c->dp->wo, &json, msg, sizeof msg);
    body_free(c); /* a work order's ciphertext, not needed any more */
    if (st != CCF_OK)
        return reply_status(c, st, msg);
    (void)reply_raw(c, 200, "application/json", json, strlen(json), NULL);
    free(json);
}

/* ---- the execution thread ------------------------------------------------ */

static void wake_loop(void *arg)
{
    ccf_dataplane *dp = arg;
    ssize_t n;
    do /* a full pipe is a pending wake-up already */
        n = write(dp->wake[1], "x", 1);
    while (n < 0 && errno == EINTR);
}

static void *exec_main(void *arg)
{
    ccf_dataplane *dp = arg;
    pthread_mutex_lock(&dp->exec_lock);
    dp->exec_alive = true; /* its start-up system calls are behind it */
    pthread_cond_broadcast(&dp->exec_cond);
    for (;;) {
        while (dp->exec_state != EXEC_QUEUED && dp->exec_state != EXEC_QUIT)
            pthread_cond_wait(&dp->exec_cond, &dp->exec_lock);
        if (dp->exec_state == EXEC_QUIT)
            break;
        pthread_mutex_unlock(&dp->exec_lock);
        /* the loop touches neither the job's fields nor the instance's files meanwhile */
        dp->exec_msg[0] = '\0';
        dp->exec_st = ccf_instance_execute(dp->inst, dp->exec_who, dp->exec_program, &dp->exec_res,
                                           dp->exec_msg, sizeof dp->exec_msg);
        pthread_mutex_lock(&dp->exec_lock);
        dp->exec_state = EXEC_DONE;
        wake_loop(dp);
    }
    pthread_mutex_unlock(&dp->exec_lock);
    return NULL;
}

/* Hands POST /execute/PROGRAM to the execution thread: the connection waits
 * (no deadline: the policy's execution limits apply) for its result. */
static void start_execution(conn *c, const char *program)
{
    ccf_dataplane *dp = c->dp;
    snprintf(dp->exec_program, sizeof dp->exec_program, "%s", program);
    dp->exec_who = c->who;
    dp->exec_conn = c;
    dp->running = true;
    pthread_mutex_lock(&dp->exec_lock);
    dp->exec_state = EXEC_QUEUED;
    pthread_cond_signal(&dp->exec_cond);
    pthread_mutex_unlock(&dp->exec_lock);
    c->state = CONN_EXEC;
}

/* Whether a request may be served while a program runs: what touches no
 * file of the instance (the policy), and uploads of stream files, which the
 * program may be waiting for. */
static bool serves_while_running(const conn *c)
{
    const ccf_http1_request *r = &c->req;
    if (strcmp(r->path, "/policy") == 0 || strcmp(r->path, "/policy/hash") == 0)
        return true;
    return strncmp(r->path, "/files/", 7) == 0 && r->method != CCF_HTTP1_GET &&
           ccf_instance_stream_index(c->dp->inst, r->path + 7) >= 0;
}

/* PUT /files/NAME of a stream file: the body goes to the program reading it
 * as it arrives, held back only by the FIFO's capacity (no size limit: it is
 * never stored). Written once; POST (append) has nothing to append to. */
static bool start_stream_upload(conn *c, const char *name)
{
    char msg[512];
    ccf_err st;
    if (c->req.method != CCF_HTTP1_PUT) {
        snprintf(msg, sizeof msg, "%s is a stream: it is uploaded once, with PUT", name);
        refuse_early(c, 409, "conflict", msg);
        return false;
    }
    if ((st = ccf_instance_stream_begin(c->dp->inst, c->who, name, &c->fifo, msg, sizeof msg)) !=
        CCF_OK) {
        refuse_early(c, ccf_http_status_of(st), ccf_http_code_of(st), msg);
        return false;
    }
    ccf_fifo_set_notify(c->fifo, wake_loop, c->dp);
    if ((c->stage = malloc(sizeof c->in)) == NULL) {
        refuse_early(c, 500, "internal", "out of memory");
        return false;
    }
    c->sink = BODY_STREAM;
    return true;
}

/* Moves staged stream bytes into the FIFO: true when none are left. */
static bool stream_flush(conn *c)
{
    size_t n = c->stage_len > 0 ? ccf_fifo_write(c->fifo, c->stage, c->stage_len) : 0;
    if (n > 0) {
        OPENSSL_cleanse(c->stage, n);
        memmove(c->stage, c->stage + n, c->stage_len - n);
        c->stage_len -= n;
    }
    return c->stage_len == 0;
}

/* The request once its body (if any) is in: the reply goes to c->out. */
static void finish_request(conn *c)
{
    ccf_dataplane *dp = c->dp;
    const char *path = c->req.path;
    char msg[512];
    ccf_err st;

    if (c->sink == BODY_STREAM) {
        ccf_fifo_finish(c->fifo);
        c->fifo = NULL;
        body_free(c);
        return reply_json(c, 200, json_pack("{s:s, s:I, s:b}", "file", path + 7, "bytes",
                                            (json_int_t)c->body_got, "stream", 1));
    }
    if (c->sink == BODY_FILE) {
        uint8_t *data = c->body;
        size_t len = (size_t)c->body_got;
        if (c->req.chunked) {
            data = (uint8_t *)c->chunks.p; /* the file system adopts the buffer */
            c->chunks.p = NULL;
            ccf_dynbuf_free(&c->chunks);
        }
        c->body = NULL;
        st = ccf_instance_put(dp->inst, c->who, path + 7, data, len, c->append, msg, sizeof msg);
        body_free(c); /* stored (counted as a file now) or refused: the reservation ends */
        if (st != CCF_OK)
            return reply_status(c, st, msg);
        return reply_json(c, 200, json_pack("{s:s, s:I}", "file", path + 7, "bytes", (json_int_t)len));
    }
    if (strcmp(path, "/policy") == 0 || strcmp(path, "/policy/hash") == 0) {
        size_t len;
        const char *text = ccf_instance_policy_text(dp->inst, &len);
        const char *hash = ccf_instance_policy_hash(dp->inst);
        char header[128];
        bool whole = path[7] == '\0';
        if (c->req.method != CCF_HTTP1_GET)
            return reply_error(c, 405, "method_not_allowed", "the policy is read with GET");
        snprintf(header, sizeof header, "X-Policy-Hash: %s\r\n", hash);
        (void)reply_raw(c, 200, whole ? "application/json" : "text/plain", whole ? text : hash,
                        whole ? len : strlen(hash), header);
    } else if (strncmp(path, "/files/", 7) == 0) {
        if (c->req.method != CCF_HTTP1_GET)
            return reply_error(c, 405, "method_not_allowed",
                               "files take GET, PUT (replace) or POST (append)");
        start_download(c, path + 7);
    } else if (strncmp(path, "/execute/", 9) == 0) {
        if (c->req.method != CCF_HTTP1_POST)
            return reply_error(c, 405, "method_not_allowed", "execute takes POST");
        start_execution(c, path + 9);
    } else if (strcmp(path, "/workorder") == 0 || strcmp(path, "/workorder/worker") == 0) {
        finish_workorder(c);
    } else if (strcmp(path, "/shutdown") == 0) {
        if (c->req.method != CCF_HTTP1_POST)
            return reply_error(c, 405, "method_not_allowed", "shutdown takes POST");
        c->shutdown_after = true;
        c->close_after = true;
        reply_json(c, 200, json_pack("{s:b}", "shutdown", 1));
    } else {
        reply_error(c, 404, "not_found", "no such route");
    }
}

/* A complete head in c->req: decides where its body goes (or refuses). */
static void start_request(conn *c)
{
    ccf_http1_request *r = &c->req;
    bool has_body = r->chunked || (r->has_length && r->length > 0);

    c->close_after = !r->keep_alive;
    c->sink = BODY_DROP;
    c->body_got = 0;
    c->body_len = r->has_length ? r->length : 0;
    memset(&c->chunked, 0, sizeof c->chunked);
    if (c->who < 0) {
        refuse_early(c, 403, "forbidden", "the client certificate is not an identity of the policy");
    } else if (r->method == CCF_HTTP1_OTHER) {
        c->close_after = true; /* e.g. HEAD: its client would not expect the error's body */
        refuse_early(c, 405, "method_not_allowed", "the data plane serves GET, PUT and POST");
    } else if (c->dp->running && !serves_while_running(c)) {
        c->state = CONN_PARKED; /* resumed from the start when the program ends */
        return;
    } else if (strncmp(r->path, "/files/", 7) == 0 && r->method != CCF_HTTP1_GET &&
               ccf_instance_stream_index(c->dp->inst, r->path + 7) >= 0) {
        if (!start_stream_upload(c, r->path + 7))
            goto send;
    } else if (strncmp(r->path, "/files/", 7) == 0 && r->method != CCF_HTTP1_GET) {
        if (!start_upload(c, r->path + 7))
            goto send;
    } else if (strcmp(r->path, "/workorder") == 0 && r->method == CCF_HTTP1_POST) {
        if (r->has_length && r->length > CCF_WO_MAX_BODY)
            refuse_early(c, 413, "too_large", "a work order is limited to 1 MiB");
        c->sink = BODY_WORKORDER;
        ccf_dynbuf_init(&c->chunks, CCF_WO_MAX_BODY);
    } else if (has_body && r->has_length && r->length > SMALL_BODY) {
        refuse_early(c, 413, "too_large", "this route takes no request body");
    }
    if (c->status != 0)
        goto send;
    if (r->expect_continue && has_body && ccf_dynbuf_add(&c->out, "HTTP/1.1 100 Continue\r\n\r\n", 25) != CCF_OK)
        c->close_after = true;
    c->state = CONN_BODY;
    return;
send:
    c->state = CONN_SEND;
}

/* Body bytes in[0..n) for the current request (consumed whole). false: a
 * reply (413) was queued and the connection must stop reading the body. */
static bool take_body(conn *c, const uint8_t *in, size_t n)
{
    if (c->sink == BODY_WORKORDER) {
        if (ccf_dynbuf_add(&c->chunks, in, n) != CCF_OK) {
            refuse_early(c, 413, "too_large", "a work order is limited to 1 MiB");
            return false;
        }
        c->body_got += n;
        return true;
    }
    if (c->sink == BODY_STREAM) { /* stage is empty here and holds a c->in's worth */
        memcpy(c->stage + c->stage_len, in, n);
        c->stage_len += n;
        c->body_got += n;
        return true;
    }
    if (c->sink == BODY_DROP) {
        if (c->body_got + n > SMALL_BODY) {
            refuse_early(c, 413, "too_large", "this route takes no request body");
            return false;
        }
        c->body_got += n;
        return true;
    }
    if (c->req.chunked) {
        char msg[512];
        ccf_storage_figures fig;
        if (c->body_got + n > c->dp->max_body) {
            refuse_early(c, 413, "too_large", "the body exceeds the data plane's limit");
            return false;
        }
        /* a body of unknown length reserves storage as it grows */
        if (ccf_instance_upload_grow(c->dp->inst, c->upload, c->body_got + n, &fig, msg, sizeof msg) !=
            CCF_OK) {
            refuse_storage(c, msg, &fig);
            return false;
        }
        if (ccf_dynbuf_add(&c->chunks, in, n) != CCF_OK) {
            refuse_early(c, 413, "too_large", "not enough memory for the body");
            return false;
        }
    } else {
        memcpy(c->body + c->body_got, in, n);
    }
    c->body_got += n;
    return true;
}

/* Consumes body bytes from c->in; true once the body is complete. */
static bool body_from_buffer(conn *c, bool *refused)
{
    size_t used = 0;
    bool complete = false;
    *refused = false;
    if (!c->req.chunked) {
        size_t n = (size_t)(c->body_len - c->body_got) < c->in_len ? (size_t)(c->body_len - c->body_got)
                                                                  : c->in_len;
        if (n > 0 && !take_body(c, (const uint8_t *)c->in, n))
            return *refused = true, false;
        used = n;
    } else {
        for (;;) {
            size_t step, off, dlen;
            char err[256];
            ccf_http1_result r = ccf_http1_chunked_feed(&c->chunked, (const uint8_t *)c->in + used,
                                                        c->in_len - used, &step, &off, &dlen, err,
                                                        sizeof err);
            if (r == CCF_HTTP1_INVALID) {
                refuse_early(c, 400, "bad_request", err);
                return *refused = true, false;
            }
            if (dlen > 0 && !take_body(c, (const uint8_t *)c->in + used + off, dlen))
                return *refused = true, false;
            used += step;
            if (r == CCF_HTTP1_COMPLETE) {
                c->body_len = c->body_got;
                complete = true;
                break;
            }
            if (step == 0)
                break;
        }
    }
    memmove(c->in, c->in + used, c->in_len - used);
    c->in_len -= used;
    return complete || (!c->req.chunked && c->body_got == c->body_len);
}

/* ---- the connection's state machine ---------------------------------------- */

/* Reads into c->in; 1 = got bytes, 0 = waiting, -1 = connection over. */
static int read_in(conn *c, size_t *moved)
{
    size_t n = 0;
    int ret;
    if (c->in_len == sizeof c->in)
        return 1; /* full: the parser decides (a head that long is refused) */
    ret = SSL_read_ex(c->ssl, c->in + c->in_len, sizeof c->in - c->in_len, &n);
    if (ret <= 0)
        return ssl_wait(c, ret);
    c->in_lf = c->in_lf || memchr(c->in + c->in_len, '\n', n) != NULL;
    c->in_len += n;
    *moved += n;
    return 1;
}

static void reset_request(conn *c)
{
    request_free(c);
    c->status = 0;
    c->in_lf = memchr(c->in, '\n', c->in_len) != NULL; /* a pipelined request waits there */
    c->state = CONN_HEAD;
    arm_timer(c, c->dp->request_timeout_s); /* the next head's deadline */
}

/* The connection waits for the loop to resume it (its program's result, the
 * end of the running program, room in a FIFO): no I/O, no deadline. */
static void conn_hold(conn *c)
{
    event_del(c->rd);
    event_del(c->wr);
    evtimer_del(c->timer);
}

/* Advances the connection as far as it can without blocking. */
static void conn_drive(conn *c)
{
    size_t moved = 0;
    int ret, w;

    while (moved < TURN_BYTES) {
        switch (c->state) {
        case CONN_HANDSHAKE:
            if ((ret = SSL_accept(c->ssl)) <= 0) {
                if (ssl_wait(c, ret) < 0)
                    return conn_close(c);
                goto wait;
            }
            c->who = (int)(intptr_t)SSL_get_ex_data(c->ssl, identity_slot) - 1;
            hs_unlink(c);
            c->state = CONN_HEAD;
            arm_timer(c, c->dp->request_timeout_s);
            break;
        case CONN_HEAD: {
            char err[256];
            /* a head ends in a line end: a client trickling bytes is not re-parsed per
             * byte; a full buffer is parsed too (the parser refuses it: 431) */
            ccf_http1_result r = c->in_lf || c->in_len == sizeof c->in
                                     ? ccf_http1_parse_request(c->in, c->in_len, &c->req, err,
                                                               sizeof err)
                                     : CCF_HTTP1_INCOMPLETE;
            c->in_lf = false;
            if (r == CCF_HTTP1_INCOMPLETE) {
                if ((w = read_in(c, &moved)) < 0)
                    return conn_close(c);
                if (w == 0)
                    goto wait;
                break;
            }
            if (r == CCF_HTTP1_INVALID) {
                snprintf(c->req.path, sizeof c->req.path, "(malformed)");
                snprintf(c->req.method_name, sizeof c->req.method_name, "-");
                c->close_after = true;
                c->linger = true;
                reply_error(c, c->req.status, head_error_code(c->req.status), err);
                c->state = CONN_SEND;
                arm_timer(c, IDLE_SECONDS);
                break;
            }
            memmove(c->in, c->in + c->req.size, c->in_len - c->req.size);
            c->in_len -= c->req.size;
            c->in_lf = memchr(c->in, '\n', c->in_len) != NULL;
            start_request(c);
            if (c->state == CONN_PARKED)
                return conn_hold(c);
            arm_timer(c, IDLE_SECONDS);
            break;
        }
        case CONN_BODY: {
            bool refused;
            if (c->out.len > c->out_off) { /* 100 Continue first */
                if ((w = write_step(c, c->out.p + c->out_off, c->out.len - c->out_off)) < 0)
                    return conn_close(c);
                if (w == 0)
                    goto wait;
                c->out_off += (size_t)w;
                if (c->out_off == c->out.len) {
                    ccf_dynbuf_free(&c->out);
                    c->out_off = 0;
                }
                break;
            }
            if (c->sink == BODY_STREAM) {
                if (!stream_flush(c)) { /* the FIFO is full: on until its reader makes room */
                    c->paused = true;
                    return conn_hold(c);
                }
                if (c->body_done) {
                    finish_request(c);
                    c->state = CONN_SEND;
                    break;
                }
            }
            if (body_from_buffer(c, &refused)) {
                if (c->sink == BODY_STREAM) { /* the last bytes may still be staged */
                    c->body_done = true;
                    break;
                }
                finish_request(c);
                if (c->state == CONN_EXEC)
                    return conn_hold(c);
                c->state = CONN_SEND;
                break;
            }
            if (refused) {
                c->state = CONN_SEND;
                break;
            }
            if (!c->req.chunked && c->sink == BODY_FILE) {
                /* straight into the file's buffer: no staging copy */
                size_t n = 0;
                ret = SSL_read_ex(c->ssl, c->body + c->body_got, (size_t)(c->body_len - c->body_got), &n);
                if (ret <= 0) {
                    if (ssl_wait(c, ret) < 0)
                        return conn_close(c);
                    goto wait;
                }
                c->body_got += n;
                moved += n;
                break;
            }
            if ((w = read_in(c, &moved)) < 0)
                return conn_close(c);
            if (w == 0)
                goto wait;
            break;
        }
        case CONN_SEND:
            if (c->out_off < c->out.len) {
                w = write_step(c, c->out.p + c->out_off, c->out.len - c->out_off);
            } else if (c->node_off < c->node_len) {
                uint64_t size, left = c->node_len - c->node_off;
                const uint8_t *bytes = ccf_vfs_node_bytes(c->node, &size);
                if (ccf_vfs_node_generation(c->node) != c->node_gen || size != c->node_len) {
                    /* replaced while being sent: end the connection, the client sees a short body */
                    fprintf(stderr, "ccfaas-runtime: %s changed during its download: connection closed\n",
                            c->req.path);
                    return conn_close(c);
                }
                w = write_step(c, bytes + c->node_off, (size_t)left); /* an in-memory file: fits */
            } else {
                log_request(c);
                if (c->shutdown_after) {
                    on_shutdown_sent(c->dp);
                    return conn_close(c);
                }
                if (c->linger) {
                    SSL_shutdown(c->ssl);
                    ERR_clear_error();
                    shutdown(c->fd, SHUT_WR);
                    c->state = CONN_LINGER;
                    event_del(c->wr);
                    event_add(c->rd, NULL);
                    arm_timer(c, LINGER_SECONDS);
                    return;
                }
                if (c->close_after)
                    return conn_close(c);
                reset_request(c);
                break;
            }
            if (w < 0)
                return conn_close(c);
            if (w == 0)
                goto wait;
            moved += (size_t)w;
            if (c->out_off < c->out.len)
                c->out_off += (size_t)w;
            else
                c->node_off += (uint64_t)w;
            break;
        case CONN_LINGER: {
            char sink[16384];
            ssize_t n = recv(c->fd, sink, sizeof sink, 0);
            if (n > 0 && c->linger_bytes + (uint64_t)n < LINGER_BYTES) {
                c->linger_bytes += (uint64_t)n;
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                event_add(c->rd, NULL);
                return;
            }
            return conn_close(c);
        }
        case CONN_EXEC:
        case CONN_PARKED:
            return conn_hold(c);
        }
    }
    /* moved its share: let other connections run, then continue */
    event_active(c->rd, EV_READ, 1);
wait:
    /* heads and handshakes have a deadline (armed when they began); a body or
     * a reply only needs to keep moving */
    if (moved > 0 && (c->state == CONN_BODY || c->state == CONN_SEND))
        arm_timer(c, IDLE_SECONDS);
}

/* The execution thread finished a program, or a FIFO's reader made room. */
static void on_wake(evutil_socket_t fd, short what, void *arg)
{
    ccf_dataplane *dp = arg;
    char sink[64];
    bool done;
    (void)what;
    while (read(fd, sink, sizeof sink) > 0)
        ;
    pthread_mutex_lock(&dp->exec_lock);
    done = dp->exec_state == EXEC_DONE;
    if (done)
        dp->exec_state = EXEC_IDLE;
    pthread_mutex_unlock(&dp->exec_lock);
    if (done) {
        conn *c = dp->exec_conn;
        dp->running = false;
        dp->exec_conn = NULL;
        if (c != NULL) {
            const ccf_exec_result *res = &dp->exec_res;
            if (dp->exec_st != CCF_OK)
                reply_status(c, dp->exec_st, dp->exec_msg);
            else
                reply_json(c, 200,
                           json_pack("{s:s, s:o, s:o, s:f}", "program", dp->exec_program,
                                     "exit_code",
                                     res->trapped ? json_null() : json_integer(res->exit_code),
                                     "trap", res->trapped ? json_string(res->trap) : json_null(),
                                     "duration_ms", (double)res->duration_us / 1000.0));
            c->state = CONN_SEND;
            arm_timer(c, IDLE_SECONDS);
            conn_drive(c);
        }
    }
    /* parked requests start over (one may start the next program, parking the
     * rest again); paused stream uploads try the FIFO again */
    conn *next;
    for (conn *c = dp->conns; c != NULL; c = next) {
        next = c->next; /* driving may close c (never another connection) */
        if (c->state == CONN_PARKED && !dp->running) {
            start_request(c);
            if (c->state == CONN_PARKED)
                continue;
            arm_timer(c, IDLE_SECONDS);
            conn_drive(c);
        } else if (c->paused) {
            c->paused = false;
            arm_timer(c, IDLE_SECONDS);
            conn_drive(c);
        }
    }
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *addr, int len,
                      void *arg)
{
    ccf_dataplane *dp = arg;
    conn *c = NULL;
    struct timeval now = {0, 0};
    (void)l;
    (void)addr;
    (void)len;
    (void)event_base_gettimeofday_cached(dp->base, &now); /* no system call: the loop's time */
    switch (ccf_dataplane_admit(dp->conn_count, dp->hs_count, MAX_CONNECTIONS, dp->max_handshakes)) {
    case CCF_ADMIT_REFUSE:
        fprintf(stderr, "ccfaas-runtime: too many connections: connection refused\n");
        close(fd);
        return;
    case CCF_ADMIT_EVICT_HANDSHAKE: {
        conn *old = dp->hs_oldest;
        long ms = (long)(now.tv_sec - old->since.tv_sec) * 1000 +
                  (long)(now.tv_usec - old->since.tv_usec) / 1000;
        fprintf(stderr,
                "ccfaas-runtime: %u TLS handshakes in progress (--max-handshakes %u): the oldest "
                "(open %ld ms) closed for a new connection\n",
                dp->hs_count, dp->max_handshakes, ms);
        conn_close(old);
        break;
    }
    case CCF_ADMIT_ACCEPT:
        break;
    }
    if ((c = calloc(1, sizeof *c)) == NULL) {
        fprintf(stderr, "ccfaas-runtime: out of memory: connection refused\n");
        close(fd);
        return;
    }
    c->dp = dp;
    c->fd = fd;
    c->who = -1;
    c->since = now;
    ccf_dynbuf_init(&c->out, SIZE_MAX - 1);
    ccf_dynbuf_init(&c->chunks, (size_t)dp->max_body);
    c->next = dp->conns;
    if (dp->conns != NULL)
        dp->conns->prev = c;
    dp->conns = c;
    dp->conn_count++;
    c->state = CONN_HANDSHAKE; /* newest in the handshake queue */
    c->hs_prev = dp->hs_newest;
    if (dp->hs_newest != NULL)
        dp->hs_newest->hs_next = c;
    else
        dp->hs_oldest = c;
    dp->hs_newest = c;
    dp->hs_count++;
    if ((c->ssl = SSL_new(dp->ctx)) == NULL || SSL_set_fd(c->ssl, fd) != 1 ||
        (c->rd = event_new(dp->base, fd, EV_READ, on_io, c)) == NULL ||
        (c->wr = event_new(dp->base, fd, EV_WRITE, on_io, c)) == NULL ||
        (c->timer = evtimer_new(dp->base, on_timer, c)) == NULL) {
        fprintf(stderr, "ccfaas-runtime: out of memory: connection refused\n");
        return conn_close(c);
    }
    arm_timer(c, dp->handshake_timeout_s); /* the handshake's deadline */
    conn_drive(c);
}

/* ---- lifecycle --------------------------------------------------------------- */

/* A listening socket on host:port (TCP_NODELAY is inherited by accepted
 * sockets on Linux: a reply written as several TLS records must not wait for
 * the peer's delayed ACK, 40 ms each). */
static ccf_err listen_on(const char *addr, int *out, char *err, size_t err_size)
{
    ccf_addr a;
    int fd = -1, one = 1;
    ccf_err rc;

    *out = -1;
    if ((rc = ccf_addr_parse(addr, &a, err, err_size)) != CCF_OK)
        return rc;
    fd = socket(a.ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)&a.ss, a.len) != 0 || listen(fd, 128) != 0) {
        rc = ccf_errf(err, err_size, CCF_ERR_IO, "cannot listen on %s: %s", addr, strerror(errno));
        if (fd >= 0)
            close(fd);
        return rc;
    }
    *out = fd;
    return CCF_OK;
}

ccf_err ccf_dataplane_new(ccf_instance *inst, const ccf_dataplane_config *cfg, ccf_dataplane **out,
                          char *err, size_t err_size)
{
    ccf_dataplane *dp = calloc(1, sizeof *dp);
    struct sockaddr_storage ss;
    socklen_t slen = sizeof ss;
    int fd = -1;
    ccf_err rc;

    *out = NULL;
    if (dp == NULL)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    dp->inst = inst;
    dp->wake[0] = dp->wake[1] = -1;
    pthread_mutex_init(&dp->exec_lock, NULL);
    pthread_cond_init(&dp->exec_cond, NULL);
    dp->max_body = cfg->max_body_bytes ? cfg->max_body_bytes : UINT64_C(1) << 30;
    dp->request_timeout_s = cfg->request_timeout_s ? cfg->request_timeout_s : 30;
    dp->handshake_timeout_s = cfg->handshake_timeout_s ? cfg->handshake_timeout_s : 5;
    dp->max_handshakes = cfg->max_handshakes ? cfg->max_handshakes : 32;
    if (dp->max_handshakes > MAX_CONNECTIONS)
        dp->max_handshakes = MAX_CONNECTIONS;
    if (dp->max_body > SIZE_MAX / 2)
        dp->max_body = SIZE_MAX / 2;
    if ((rc = ccf_dataplane_tls_ctx(inst, cfg->cert_pem, cfg->key, &dp->ctx, err, err_size)) != CCF_OK ||
        (rc = ccf_wo_worker_new(inst, cfg->cert_pem, cfg->key, &dp->wo, err, err_size)) != CCF_OK ||
        (rc = listen_on(cfg->listen, &fd, err, err_size)) != CCF_OK)
        goto fail;
    if ((dp->base = event_base_new()) == NULL ||
        (dp->listener = evconnlistener_new(dp->base, on_accept, dp, LEV_OPT_CLOSE_ON_FREE, -1, fd)) ==
            NULL) {
        close(fd);
        rc = ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (pipe(dp->wake) != 0 || fcntl(dp->wake[0], F_SETFL, O_NONBLOCK) != 0 ||
        fcntl(dp->wake[1], F_SETFL, O_NONBLOCK) != 0 || fcntl(dp->wake[0], F_SETFD, FD_CLOEXEC) != 0 ||
        fcntl(dp->wake[1], F_SETFD, FD_CLOEXEC) != 0) {
        rc = ccf_errf(err, err_size, CCF_ERR_IO, "pipe: %s", strerror(errno));
        goto fail;
    }
    if ((dp->wake_ev = event_new(dp->base, dp->wake[0], EV_READ | EV_PERSIST, on_wake, dp)) == NULL ||
        event_add(dp->wake_ev, NULL) != 0) {
        rc = ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
        goto fail;
    }
    /* the execution thread exists before the sandbox is entered (no clone
     * under the filter); its stack has room for the compiled code's budget */
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, EXEC_STACK_BYTES);
    int prc = pthread_create(&dp->exec_thread, &attr, exec_main, dp);
    pthread_attr_destroy(&attr);
    if (prc != 0) {
        rc = ccf_errf(err, err_size, CCF_ERR_IO, "cannot start the execution thread: %s",
                      strerror(prc));
        goto fail;
    }
    dp->exec_started = true;
    /* a thread still starting when the filter is loaded would be killed by it
     * (set_robust_list, rseq): wait until it runs */
    pthread_mutex_lock(&dp->exec_lock);
    while (!dp->exec_alive)
        pthread_cond_wait(&dp->exec_cond, &dp->exec_lock);
    pthread_mutex_unlock(&dp->exec_lock);
    if (getsockname(fd, (struct sockaddr *)&ss, &slen) == 0)
        dp->port = ccf_addr_port(&ss);
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
    while (dp->conns != NULL)
        conn_close(dp->conns); /* stream uploads still open are aborted: no reader waits forever */
    if (dp->exec_started) {
        pthread_mutex_lock(&dp->exec_lock);
        bool busy = dp->exec_state == EXEC_QUEUED;
        dp->exec_state = EXEC_QUIT;
        pthread_cond_signal(&dp->exec_cond);
        pthread_mutex_unlock(&dp->exec_lock);
        if (busy) /* only on a fatal error mid-program: the process is ending */
            pthread_detach(dp->exec_thread);
        else
            pthread_join(dp->exec_thread, NULL);
    }
    if (dp->wake_ev != NULL)
        event_free(dp->wake_ev);
    for (int i = 0; i < 2; i++) {
        if (dp->wake[i] >= 0)
            close(dp->wake[i]);
    }
    pthread_cond_destroy(&dp->exec_cond);
    pthread_mutex_destroy(&dp->exec_lock);
    if (dp->listener != NULL)
        evconnlistener_free(dp->listener);
    if (dp->base != NULL)
        event_base_free(dp->base);
    SSL_CTX_free(dp->ctx);
    ccf_wo_worker_free(dp->wo);
    free(dp);
}
