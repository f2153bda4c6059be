/* libFuzzer target for the data plane as a whole: HTTP framing, routing,
 * rights, uploads, downloads, execution and connection handling together.
 *
 * A ccf_dataplane serves a generated policy from a thread of this process on
 * a loopback port. Each input is one TLS connection: the first byte picks the
 * identity (bit 0: 0 = may read and write everything, 1 = may read `output`
 * only), the rest is sent as it is after the handshake; the reply is read
 * until the server closes or stays silent for a few milliseconds. The server
 * keeps its files from input to input, so sequences of requests build state.
 * A POST /shutdown ends a server; the thread then starts a new one on the same
 * instance. Crashes, sanitizer reports and hangs are the findings; after
 * every input the server must still answer a fresh connection. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "attest/pki.h"
#include "common/crypto.h"
#include "runtime/dataplane.h"
#include "runtime/instance.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_dataplane: %s:%d: %s\n", __FILE__, __LINE__, #cond);            \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define QUIET_MS 5 /* a reply that stays silent this long is over */

/* The smallest WASI command: `(module (func (export "_start")))`. The policy
 * pins p.wasm to its hash, so seeds can upload and execute it. */
static const unsigned char program[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
    0x03, 0x02, 0x01, 0x00, 0x07, 0x0a, 0x01, 0x06, 0x5f, 0x73, 0x74, 0x61, 0x72, 0x74,
    0x00, 0x00, 0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b};
static const char pinned_data[] = "fuzz\n"; /* the pinned data file `d` */

static struct {
    ccf_instance *inst;
    char *server_cert;
    EVP_PKEY *server_key;
    SSL_CTX *client[2]; /* per identity */
    atomic_int port;    /* the serving data plane's, 0 while none */
} fx;

static char *self_signed(EVP_PKEY *key, const char *cn)
{
    X509 *cert = NULL;
    char err[256], *pem = NULL;
    CHECK(ccf_pki_cert_new(key, cn, NULL, time(NULL) + 86400, &cert, err, sizeof err) == CCF_OK);
    CHECK(ccf_pki_cert_sign(cert, key) == CCF_OK);
    CHECK(ccf_pki_cert_to_pem(cert, &pem) == CCF_OK);
    X509_free(cert);
    return pem;
}

static SSL_CTX *client_ctx(const char *cert_pem, EVP_PKEY *key)
{
    char err[256];
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    X509 *cert = NULL;
    CHECK(ctx != NULL &&
          ccf_pki_cert_from_pem(cert_pem, strlen(cert_pem), &cert, err, sizeof err) == CCF_OK);
    CHECK(SSL_CTX_use_certificate(ctx, cert) == 1 && SSL_CTX_use_PrivateKey(ctx, key) == 1);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL); /* the server's attestation is not under test */
    X509_free(cert);
    return ctx;
}

/* A full policy: identity 0 reads and writes every file, identity 1 reads
 * `output`; program p.wasm and data file d pinned by hash. */
static char *policy_text(const char *id0, const char *id1, const char *ca)
{
    char program_hash[CCF_SHA256_HEX_LEN + 1], data_hash[CCF_SHA256_HEX_LEN + 1];
    CHECK(ccf_sha256_hex(program, sizeof program, program_hash) &&
          ccf_sha256_hex(pinned_data, sizeof pinned_data - 1, data_hash));
    json_t *root = json_pack(
        "{s:s, s:s, s:b, s:b, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s,"
        " s:{s:i, s:i, s:i, s:i, s:i},"
        " s:[{s:i, s:s, s:[{s:s, s:i}]}, {s:i, s:s, s:[{s:s, s:i}]}],"
        " s:[{s:i, s:s, s:s, s:[{s:s, s:i}]}],"
        " s:[{s:s, s:s}],"
        " s:[{s:{s:s, s:i}}, {s:{s:s, s:i}}, {s:{s:s, s:i}}]}",
        "execution_strategy", "Interpretation", "ciphersuite", "TLS_AES_128_GCM_SHA256", "debug",
        0, "enable_clock", 0, "max_memory_mib", 16, "proxy_attestation_server_url",
        "127.0.0.1:1", "proxy_service_cert", ca, "veracruz_server_url", "127.0.0.1:1",
        "runtime_manager_hash_linux",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "runtime_manager_hash_nitro", "", "runtime_manager_hash_sgx", "",
        "runtime_manager_hash_tz", "", "instance_id", "fuzz", "enclave_cert_expiry", "year",
        2099, "month", 1, "day", 1, "hour", 0, "minute", 0, "identities", "id", 0, "certificate",
        id0, "file_rights", "file_name", "/", "rights", 533574, "id", 1, "certificate", id1,
        "file_rights", "file_name", "output", "rights", 8198, "programs", "id", 0, "pi_hash",
        program_hash, "program_file_name", "p.wasm", "file_rights",
        "file_name", "/", "rights", 533574, "data_files", "data_file", "d", "pi_hash",
        data_hash, "std_streams_table", "Stdin",
        "file_name", "stdin", "rights", 8198, "Stdout", "file_name", "stdout", "rights", 533572,
        "Stderr", "file_name", "stderr", "rights", 533572);
    CHECK(root != NULL);
    char *text = json_dumps(root, JSON_COMPACT);
    CHECK(text != NULL);
    json_decref(root);
    return text;
}

/* Serves until a POST /shutdown, then again on a new port, for ever. */
static void *serve(void *arg)
{
    (void)arg;
    char err[512];
    for (;;) {
        ccf_dataplane *dp = NULL;
        ccf_dataplane_config cfg = {.listen = "127.0.0.1:0", .cert_pem = fx.server_cert,
                                    .key = fx.server_key, .max_body_bytes = 1 << 20,
                                    .request_timeout_s = 1};
        if (ccf_dataplane_new(fx.inst, &cfg, &dp, err, sizeof err) != CCF_OK) {
            fprintf(stderr, "fuzz_dataplane: %s\n", err);
            abort();
        }
        atomic_store(&fx.port, ccf_dataplane_port(dp));
        if (ccf_dataplane_run(dp, err, sizeof err) != CCF_OK) {
            fprintf(stderr, "fuzz_dataplane: the data plane failed: %s\n", err);
            abort();
        }
        atomic_store(&fx.port, 0);
        ccf_dataplane_free(dp);
    }
    return NULL;
}

static void setup(void)
{
    char err[512];
    EVP_PKEY *k0 = NULL, *k1 = NULL;
    signal(SIGPIPE, SIG_IGN); /* as ccfaas-runtime */
    CHECK(ccf_pki_key_new(&fx.server_key, err, sizeof err) == CCF_OK);
    CHECK(ccf_pki_key_new(&k0, err, sizeof err) == CCF_OK);
    CHECK(ccf_pki_key_new(&k1, err, sizeof err) == CCF_OK);
    fx.server_cert = self_signed(fx.server_key, "instance");
    char *id0 = self_signed(k0, "owner"), *id1 = self_signed(k1, "reader");
    char *text = policy_text(id0, id1, fx.server_cert);
    ccf_instance_limits limits = {.max_file_bytes = 1 << 20, .max_instance_bytes = 8 << 20,
                                  .fuel = 10000000};
    if (ccf_instance_new(text, strlen(text), &limits, &fx.inst, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "fuzz_dataplane: policy: %s\n", err);
        abort();
    }
    fx.client[0] = client_ctx(id0, k0);
    fx.client[1] = client_ctx(id1, k1);
    free(text);
    free(id0);
    free(id1);
    EVP_PKEY_free(k0); /* the contexts hold their own references */
    EVP_PKEY_free(k1);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, serve, NULL) == 0);
    CHECK(pthread_detach(t) == 0);
}

/* A TLS connection to the current server as identity `who` (waits for a
 * server to be listening: after a shutdown the next one takes a moment). */
static SSL *connect_as(int who, int *fd_out)
{
    for (int attempt = 0; attempt < 2000; attempt++) {
        int port = atomic_load(&fx.port);
        if (port != 0) {
            int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
            sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            int one = 1; /* as curl: no Nagle delay behind the handshake's last flight */
            CHECK(fd >= 0 && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0);
            if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
                SSL *ssl = SSL_new(fx.client[who]);
                CHECK(ssl != NULL && SSL_set_fd(ssl, fd) == 1);
                if (SSL_connect(ssl) == 1) {
                    *fd_out = fd;
                    return ssl;
                }
                SSL_free(ssl); /* a server shutting down: try the next one */
            }
            close(fd);
        }
        ERR_clear_error();
        usleep(1000);
    }
    fprintf(stderr, "fuzz_dataplane: no server answers any more\n");
    abort();
}

/* Reads until the server closes or is quiet for QUIET_MS. Non-blocking: a
 * readable socket may hold only part of a record, or a record that is not
 * application data, and a blocking SSL_read would then wait for more. */
static void drain(SSL *ssl, int fd)
{
    char buf[16384];
    CHECK(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == 0);
    for (;;) {
        int n = SSL_read(ssl, buf, sizeof buf);
        if (n > 0)
            continue;
        if (SSL_get_error(ssl, n) != SSL_ERROR_WANT_READ)
            return; /* closed */
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, QUIET_MS) <= 0)
            return;
    }
}

/* GET /policy/hash on a kept-alive connection (one handshake for many
 * inputs); false when that connection is gone (the server it was made to has
 * shut down, or closed it idle), after which the next call makes a new one. */
static bool probe(void)
{
    static SSL *ssl;
    static int fd = -1;
    static const char req[] = "GET /policy/hash HTTP/1.1\r\nHost: x\r\n\r\n";
    char reply[512];
    if (ssl == NULL)
        ssl = connect_as(0, &fd);
    size_t got = 0;
    bool ok = SSL_write(ssl, req, (int)sizeof req - 1) == (int)sizeof req - 1;
    /* the reply: a head and 64 hex digits; read until both are in */
    while (ok && got < sizeof reply - 1) {
        int n = SSL_read(ssl, reply + got, (int)(sizeof reply - 1 - got));
        if (n <= 0) {
            ok = false;
            break;
        }
        got += (size_t)n;
        reply[got] = '\0';
        char *body = strstr(reply, "\r\n\r\n");
        if (body != NULL && strlen(body + 4) >= CCF_SHA256_HEX_LEN)
            break;
    }
    if (ok) {
        CHECK(memcmp(reply, "HTTP/1.1 200", 12) == 0);
        return true;
    }
    SSL_free(ssl);
    close(fd);
    ssl = NULL;
    ERR_clear_error();
    return false;
}

/* libFuzzer's entry point (declared here: libFuzzer ships no header for it). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready) {
        setup();
        ready = true;
    }
    if (size == 0)
        return 0;
    int fd = -1;
    SSL *ssl = connect_as(data[0] & 1, &fd);
    size_t off = 1;
    while (off < size) {
        size_t done = 0;
        if (SSL_write_ex(ssl, data + off, size - off, &done) != 1)
            break; /* the server closed: it refused what it read */
        off += done;
    }
    drain(ssl, fd);
    SSL_free(ssl);
    close(fd);
    ERR_clear_error();

    /* Whatever came before, the instance still serves. */
    CHECK(probe() || probe());
    return 0;
}
