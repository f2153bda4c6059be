/* The runtime's HTTP client over libevent (http_ev.h). */
#include "attest/http_ev.h"

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ccf_http_ev {
    struct event_base *ev;
    struct evhttp_connection *conn;
    SSL_CTX *tls; /* https: trusts nothing but the pinned certificate */
    X509 *pinned;
    char host[256];
    char what[32];    /* "proxy", "key broker": for messages */
    char where[300];  /* http(s)://HOST:PORT, for messages */
    char cookie[512]; /* the session cookie "NAME=VALUE" once the server set one */
    size_t max_reply;
};

struct reply {
    bool done;
    long status; /* 0: no answer (connection failed, timed out, too large) */
    ccf_dynbuf *body;
    ccf_http_ev *h;
};

static void on_reply(struct evhttp_request *req, void *arg)
{
    struct reply *r = arg;
    r->done = true;
    if (req == NULL || evhttp_request_get_response_code(req) == 0)
        return;
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    unsigned char *p = evbuffer_pullup(in, -1);
    if ((len > 0 && (p == NULL || ccf_dynbuf_add(r->body, p, len) != CCF_OK)) ||
        ccf_dynbuf_add(r->body, "", 1) != CCF_OK)
        return;
    r->body->len--;
    const char *sc = evhttp_find_header(evhttp_request_get_input_headers(req), "Set-Cookie");
    size_t n = sc != NULL ? strcspn(sc, ";") : 0;
    if (n > 0 && memchr(sc, '=', n) != NULL && n < sizeof r->h->cookie)
        snprintf(r->h->cookie, sizeof r->h->cookie, "%.*s", (int)n, sc);
    r->status = evhttp_request_get_response_code(req);
}

ccf_err ccf_http_ev_call(ccf_http_ev *h, const char *method, const char *path, const char *body,
                         size_t len, long *status, ccf_dynbuf *reply, char *err, size_t errsz)
{
    struct reply r = {.body = reply, .h = h};
    ccf_dynbuf_free(reply);
    ccf_dynbuf_init(reply, h->max_reply);
    struct evhttp_request *req = evhttp_request_new(on_reply, &r);
    if (req == NULL)
        return ccf_errf(err, errsz, CCF_ERR_NOMEM, "out of memory");
    struct evkeyvalq *hd = evhttp_request_get_output_headers(req);
    evhttp_add_header(hd, "Host", h->host);
    if (h->cookie[0] != '\0')
        evhttp_add_header(hd, "Cookie", h->cookie);
    bool post = strcmp(method, "POST") == 0;
    if (post) {
        evhttp_add_header(hd, "Content-Type", "application/json");
        evbuffer_add(evhttp_request_get_output_buffer(req), body ? body : "", len);
    }
    if (evhttp_make_request(h->conn, req, post ? EVHTTP_REQ_POST : EVHTTP_REQ_GET, path) != 0)
        return ccf_errf(err, errsz, CCF_ERR_IO, "%s %s%s: cannot send", h->what, h->where, path);
    while (!r.done && event_base_loop(h->ev, EVLOOP_ONCE) == 0)
        ;
    if (r.status == 0)
        return ccf_errf(err, errsz, CCF_ERR_IO, "%s %s%s: no answer (unreachable, timed out, or "
                        "an answer over %zu bytes)", h->what, h->where, path, h->max_reply);
    *status = r.status;
    return CCF_OK;
}

const char *ccf_http_ev_where(const ccf_http_ev *h)
{
    return h->where;
}

void ccf_http_ev_free(ccf_http_ev *h)
{
    if (h == NULL)
        return;
    if (h->conn != NULL)
        evhttp_connection_free(h->conn);
    if (h->ev != NULL)
        event_base_free(h->ev);
    SSL_CTX_free(h->tls);
    X509_free(h->pinned);
    free(h);
}

/* The pin: the server's certificate must be exactly the pinned one (a
 * self-signed certificate fails ordinary chain checks, which do not matter
 * here; any other certificate fails whatever its chain). */
static int pin_verify(X509_STORE_CTX *ctx, void *arg)
{
    X509 *peer = X509_STORE_CTX_get0_cert(ctx);
    return peer != NULL && X509_cmp(peer, (X509 *)arg) == 0;
}

/* The TLS side of an https client: a context that accepts the pinned
 * certificate only, and the connection over it. */
static ccf_err open_tls(ccf_http_ev *h, const char *pinned_cert_pem, unsigned short port,
                        char *err, size_t errsz)
{
    BIO *b = BIO_new_mem_buf(pinned_cert_pem, -1);
    h->pinned = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    SSL *ssl = NULL;
    struct bufferevent *bev = NULL;
    if (h->pinned == NULL || (h->tls = SSL_CTX_new(TLS_client_method())) == NULL ||
        SSL_CTX_set_min_proto_version(h->tls, TLS1_2_VERSION) != 1)
        return ccf_errf(err, errsz, CCF_ERR_CRYPTO, "%s %s: the pinned certificate is not a PEM "
                        "certificate", h->what, h->where);
    SSL_CTX_set_verify(h->tls, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_cert_verify_callback(h->tls, pin_verify, h->pinned);
    if ((ssl = SSL_new(h->tls)) == NULL ||
        (bev = bufferevent_openssl_socket_new(h->ev, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
                                              BEV_OPT_CLOSE_ON_FREE)) == NULL) {
        SSL_free(ssl);
        return ccf_errf(err, errsz, CCF_ERR_NOMEM, "cannot start a TLS client");
    }
    h->conn = evhttp_connection_base_bufferevent_new(h->ev, NULL, bev, h->host, port);
    return CCF_OK;
}

ccf_err ccf_http_ev_new(const char *what, const char *url, const char *pinned_cert_pem,
                        long timeout_ms, size_t max_reply, ccf_http_ev **out, char *err,
                        size_t errsz)
{
    *out = NULL;
    bool https = strncmp(url, "https://", 8) == 0;
    const char *hp = https ? url + 8 : strncmp(url, "http://", 7) == 0 ? url + 7 : url;
    const char *colon = strrchr(hp, ':');
    char *end = NULL;
    long port = colon ? strtol(colon + 1, &end, 10) : 0;
    size_t hl = colon ? (size_t)(colon - hp) : 0;
    if (colon == NULL || end == NULL || (*end != '\0' && strcmp(end, "/") != 0) || port < 1 ||
        port > 65535 || hl == 0)
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "%s URL '%.200s': expected "
                                                     "http(s)://HOST:PORT", what, url);
    if (https && pinned_cert_pem == NULL)
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "%s %.200s: https needs its certificate "
                                                     "to pin", what, url);
    ccf_http_ev *h = calloc(1, sizeof *h);
    if (h == NULL)
        return CCF_ERR_NOMEM;
    h->max_reply = max_reply;
    snprintf(h->what, sizeof h->what, "%s", what);
    snprintf(h->where, sizeof h->where, "%s%.*s", https ? "https://" : "http://",
             (int)(end - hp), hp);
    if (hp[0] == '[' && hl >= 2 && hp[hl - 1] == ']') {
        hp++;
        hl -= 2;
    }
    ccf_err rc = CCF_OK;
    if (hl >= sizeof h->host) {
        rc = ccf_errf(err, errsz, CCF_ERR_INVALID, "%s host name too long", what);
        goto fail;
    }
    memcpy(h->host, hp, hl);
    if ((h->ev = event_base_new()) == NULL) {
        rc = ccf_errf(err, errsz, CCF_ERR_NOMEM, "cannot start an HTTP client");
        goto fail;
    }
    if (https)
        rc = open_tls(h, pinned_cert_pem, (unsigned short)port, err, errsz);
    else
        h->conn = evhttp_connection_base_new(h->ev, NULL, h->host, (unsigned short)port);
    if (rc == CCF_OK && h->conn == NULL)
        rc = ccf_errf(err, errsz, CCF_ERR_NOMEM, "cannot start an HTTP client");
    if (rc != CCF_OK)
        goto fail;
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    evhttp_connection_set_timeout_tv(h->conn, &tv);
    evhttp_connection_set_max_body_size(h->conn, (ev_ssize_t)max_reply);
    *out = h;
    return CCF_OK;
fail:
    ccf_http_ev_free(h);
    return rc;
}
