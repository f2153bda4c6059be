/*
 * tls-ceiling: what a minimal OpenSSL server/client pair reaches on loopback on this
 * machine, so the data plane's figures (bench/runtime/run) can be read against it.
 *
 * tls-ceiling [--mib N] [--suite NAME] [--repeat K]
 *
 * An ephemeral P-256 key and a self-signed certificate are made in memory; the process
 * forks a server; the parent is the client. One TLS connection over loopback TCP
 * (TCP_NODELAY, blocking sockets, no client certificate) carries every run:
 *   upload:   the client SSL_writes N MiB from an N MiB buffer in 1 MiB calls, the server
 *             SSL_reads it into one N MiB buffer and answers with one byte;
 *   download: the server SSL_writes its N MiB buffer in 1 MiB calls, the client SSL_reads
 *             it into one N MiB buffer.
 * Each direction runs once "cold" (the receiving buffer is freshly mapped memory, faulted
 * in by the transfer) and then K times "warm" (the same, already touched, buffer). The
 * sending buffer is always touched beforehand. Times are taken by the client from sending
 * the request until the last byte (download) or the server's answer (upload). CPU seconds
 * are getrusage deltas of each process over its part of a run; the server sends its own
 * over a pipe. The received bytes are checked after each run, outside the timing.
 *
 * It is a benchmark: it exits non-zero only if something fails, never on a figure.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "attest/pki.h"
#include "runtime/dataplane.h"

#define MIB ((size_t)1 << 20)
#define CHUNK MIB /* bytes per SSL_write / SSL_read call */
#define MAX_MIB 65536u
#define MAX_REPEAT 1000u
#define DEFAULT_SUITE "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"

static const char usage[] =
    "usage: tls-ceiling [--mib N] [--suite NAME] [--repeat K]\n"
    "Throughput of a minimal OpenSSL server/client pair over loopback TCP on this machine:\n"
    "N MiB (default 1024) uploaded then downloaded, once into freshly mapped memory (cold)\n"
    "and K times (default 3) into the same, already touched, buffer (warm).\n"
    "  --suite NAME  IANA name of the cipher suite (default " DEFAULT_SUITE "):\n"
    "                TLS 1.3: TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384,\n"
    "                TLS_CHACHA20_POLY1305_SHA256; TLS 1.2: TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,\n"
    "                TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, " DEFAULT_SUITE "\n"
    "The last line is machine-readable:\n"
    "  ceiling upload_warm_mibs=.. download_warm_mibs=.. upload_cold_mibs=.. download_cold_mibs=..\n"
    "(warm: best of the K runs).\n";

/* One request from the client, sent over TLS. Both ends are this binary. */
enum { OP_UPLOAD = 'U', OP_DOWNLOAD = 'D', OP_VERIFY = 'V', OP_QUIT = 'Q' };
struct request {
    uint32_t op;
    uint32_t seed; /* OP_VERIFY: the pattern the server's buffer should hold */
    uint64_t bytes;
};
/* The server's CPU time for one run, sent over the pipe. */
struct server_report {
    uint32_t op;
    uint32_t run;
    double user, sys;
};

struct cpu {
    double user, sys;
};

static void fail_ssl(const char *who, const char *what)
{
    fprintf(stderr, "tls-ceiling: %s: %s failed\n", who, what);
    ERR_print_errors_fp(stderr);
}

static void fail_errno(const char *who, const char *what)
{
    fprintf(stderr, "tls-ceiling: %s: %s: %s\n", who, what, strerror(errno));
}

/* After a failed SSL_read_ex / SSL_write_ex: why, as far as OpenSSL and errno tell. */
static void fail_io(SSL *ssl, int ret, const char *who, const char *what)
{
    int saved = errno;
    switch (SSL_get_error(ssl, ret)) {
    case SSL_ERROR_ZERO_RETURN:
        fprintf(stderr, "tls-ceiling: %s: %s: the peer closed the connection\n", who, what);
        break;
    case SSL_ERROR_SYSCALL:
        if (ERR_peek_error() == 0) {
            fprintf(stderr, "tls-ceiling: %s: %s: %s\n", who, what,
                    saved != 0 ? strerror(saved) : "the connection ended unexpectedly");
            break;
        }
        /* fall through */
    default:
        fail_ssl(who, what);
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct cpu cpu_now(void)
{
    struct rusage ru;
    struct cpu c = {0, 0};
    if (getrusage(RUSAGE_SELF, &ru) == 0) {
        c.user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
        c.sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    }
    return c;
}

/* The bytes of run `seed`: xorshift64, cheap next to the crypto and different per run. */
static uint64_t pattern_state(uint32_t seed)
{
    return 0x9e3779b97f4a7c15u * ((uint64_t)seed + 1);
}

static uint64_t pattern_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void pattern_fill(unsigned char *buf, size_t len, uint32_t seed)
{
    uint64_t s = pattern_state(seed);
    for (size_t i = 0; i < len; i += 8) {
        uint64_t v = pattern_next(&s);
        memcpy(buf + i, &v, len - i < 8 ? len - i : 8);
    }
}

static bool pattern_check(const unsigned char *buf, size_t len, uint32_t seed)
{
    uint64_t s = pattern_state(seed);
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t v = pattern_next(&s), got;
        memcpy(&got, buf + i, 8);
        if (got != v)
            return false;
    }
    if (i < len) {
        uint64_t v = pattern_next(&s);
        return memcmp(buf + i, &v, len - i) == 0;
    }
    return true;
}

/* Fresh anonymous memory, not touched yet: the first transfer into it faults it in. */
static unsigned char *map_fresh(size_t len, const char *who)
{
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        fail_errno(who, "mmap of the transfer buffer");
        return NULL;
    }
    return p;
}

static void unmap(unsigned char *p, size_t len)
{
    if (p != NULL)
        munmap(p, len);
}

static bool ssl_write_all(SSL *ssl, const unsigned char *buf, size_t len, const char *who)
{
    for (size_t off = 0; off < len;) {
        size_t n = len - off < CHUNK ? len - off : CHUNK;
        size_t done = 0;
        int ret = SSL_write_ex(ssl, buf + off, n, &done);
        if (ret != 1) {
            fail_io(ssl, ret, who, "SSL_write");
            return false;
        }
        off += done;
    }
    return true;
}

static bool ssl_read_all(SSL *ssl, unsigned char *buf, size_t len, const char *who)
{
    for (size_t off = 0; off < len;) {
        size_t n = len - off < CHUNK ? len - off : CHUNK;
        size_t got = 0;
        int ret = SSL_read_ex(ssl, buf + off, n, &got);
        if (ret != 1) {
            fail_io(ssl, ret, who, "SSL_read");
            return false;
        }
        off += got;
    }
    return true;
}

static bool fd_write_all(int fd, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

static bool fd_read_all(int fd, void *buf, size_t len)
{
    unsigned char *p = buf;
    while (len > 0) {
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

/* A P-256 key and a self-signed certificate for it, valid for a day (the
 * project's own certificate code, as the runtime's keys are made). */
static bool make_identity(EVP_PKEY **key, X509 **cert)
{
    char err[256] = "";
    if (ccf_pki_key_new(key, err, sizeof err) == CCF_OK &&
        ccf_pki_cert_new(*key, "localhost", NULL, time(NULL) + 86400, cert, err, sizeof err) ==
            CCF_OK &&
        ccf_pki_cert_sign(*cert, *key) == CCF_OK)
        return true;
    fprintf(stderr, "tls-ceiling: setup: %s\n", err[0] ? err : "cannot sign the certificate");
    return false;
}

/* Restricts ctx to the one suite exactly as the runtime does; *tls13 tells
 * which protocol version that is. */
static bool set_suite(SSL_CTX *ctx, const char *iana, bool *tls13)
{
    char err[256];
    if (ccf_dataplane_set_ciphersuite(ctx, iana, err, sizeof err) != CCF_OK)
        return false;
    *tls13 = SSL_CTX_get_min_proto_version(ctx) == TLS1_3_VERSION;
    return true;
}

static bool suite_known(const char *iana)
{
    bool tls13;
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    bool ok = ctx != NULL && set_suite(ctx, iana, &tls13);
    SSL_CTX_free(ctx);
    return ok;
}

static bool set_nodelay(int fd, const char *who)
{
    int one = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) {
        fail_errno(who, "TCP_NODELAY");
        return false;
    }
    return true;
}

/* The server process: answers requests until OP_QUIT; its CPU time per run goes to report_fd. */
static int serve(SSL_CTX *ctx, int listen_fd, int report_fd, size_t len)
{
    const char *who = "server";
    unsigned char *buf = NULL;
    SSL *ssl = NULL;
    int fd = -1, rc = 1;
    uint32_t runs[2] = {0, 0}; /* per direction */

    if ((fd = accept(listen_fd, NULL, NULL)) < 0) {
        fail_errno(who, "accept");
        goto out;
    }
    if (!set_nodelay(fd, who) || (buf = map_fresh(len, who)) == NULL)
        goto out;
    if ((ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1) {
        fail_ssl(who, "SSL_new");
        goto out;
    }
    if (SSL_accept(ssl) != 1) {
        fail_ssl(who, "TLS handshake");
        goto out;
    }
    for (;;) {
        struct request req;
        struct server_report rep;
        struct cpu c0, c1;
        unsigned char status;

        if (!ssl_read_all(ssl, (unsigned char *)&req, sizeof req, who))
            goto out;
        if (req.op == OP_QUIT)
            break;
        if (req.bytes > len) {
            fprintf(stderr, "tls-ceiling: server: request for %" PRIu64 " bytes, buffer has %zu\n",
                    req.bytes, len);
            goto out;
        }
        switch (req.op) {
        case OP_UPLOAD:
        case OP_DOWNLOAD:
            c0 = cpu_now();
            if (req.op == OP_UPLOAD ? !ssl_read_all(ssl, buf, (size_t)req.bytes, who)
                                    : !ssl_write_all(ssl, buf, (size_t)req.bytes, who))
                goto out;
            c1 = cpu_now();
            status = 0;
            if (req.op == OP_UPLOAD && !ssl_write_all(ssl, &status, 1, who))
                goto out;
            rep = (struct server_report){.op = req.op,
                                         .run = runs[req.op == OP_DOWNLOAD]++,
                                         .user = c1.user - c0.user,
                                         .sys = c1.sys - c0.sys};
            if (!fd_write_all(report_fd, &rep, sizeof rep)) {
                fail_errno(who, "writing to the report pipe");
                goto out;
            }
            break;
        case OP_VERIFY:
            status = pattern_check(buf, (size_t)req.bytes, req.seed) ? 1 : 0;
            if (!ssl_write_all(ssl, &status, 1, who))
                goto out;
            break;
        default:
            fprintf(stderr, "tls-ceiling: server: unknown request %" PRIu32 "\n", req.op);
            goto out;
        }
    }
    SSL_shutdown(ssl);
    rc = 0;
out:
    SSL_free(ssl);
    if (fd >= 0)
        close(fd);
    unmap(buf, len);
    return rc;
}

struct run_result {
    double mibs, secs;
    struct cpu client, server;
};

/* One timed run of `op` as the client; *buf is the client's buffer of len bytes. */
static bool client_run(SSL *ssl, int report_fd, uint32_t op, unsigned char *buf, size_t len,
                       uint32_t run, struct run_result *r)
{
    const char *who = "client";
    struct request req = {.op = op, .seed = 0, .bytes = len};
    struct server_report rep;
    unsigned char status;
    struct cpu c0, c1;
    double t0, t1;

    c0 = cpu_now();
    t0 = now_s();
    if (!ssl_write_all(ssl, (const unsigned char *)&req, sizeof req, who))
        return false;
    if (op == OP_UPLOAD) {
        if (!ssl_write_all(ssl, buf, len, who) || !ssl_read_all(ssl, &status, 1, who))
            return false;
    } else if (!ssl_read_all(ssl, buf, len, who)) {
        return false;
    }
    t1 = now_s();
    c1 = cpu_now();
    if (!fd_read_all(report_fd, &rep, sizeof rep)) {
        fprintf(stderr, "tls-ceiling: client: no CPU report from the server\n");
        return false;
    }
    if (rep.op != op || rep.run != run) {
        fprintf(stderr, "tls-ceiling: client: the server's report is for another run\n");
        return false;
    }
    r->secs = t1 - t0;
    r->mibs = (double)len / (double)MIB / r->secs;
    r->client = (struct cpu){c1.user - c0.user, c1.sys - c0.sys};
    r->server = (struct cpu){rep.user, rep.sys};
    return true;
}

static void print_run(const char *dir, bool cold, uint32_t run, const struct run_result *r)
{
    char label[32];

    if (cold)
        snprintf(label, sizeof label, "cold");
    else
        snprintf(label, sizeof label, "warm %" PRIu32, run);
    printf("%-8s %-8s %6.0f MiB/s  %6.2f s   CPU s: client user %5.2f sys %5.2f, "
           "server user %5.2f sys %5.2f\n",
           dir, label, r->mibs, r->secs, r->client.user, r->client.sys, r->server.user,
           r->server.sys);
    fflush(stdout);
}

/* The client (parent) process: all runs, then the summary. */
static int client(SSL_CTX *ctx, uint16_t port, int report_fd, size_t len, unsigned repeat)
{
    const char *who = "client";
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    unsigned char *buf = NULL, status;
    SSL *ssl = NULL;
    int fd = -1, rc = 1;
    uint32_t seed = 0;
    struct run_result r;
    double up_cold = 0, down_cold = 0, up_warm = 0, down_warm = 0;

    if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
        connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        fail_errno(who, "connect to the server");
        goto out;
    }
    if (!set_nodelay(fd, who))
        goto out;
    if ((ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1 ||
        SSL_set1_host(ssl, "localhost") != 1) {
        fail_ssl(who, "SSL_new");
        goto out;
    }
    if (SSL_connect(ssl) != 1) {
        fail_ssl(who, "TLS handshake");
        goto out;
    }
    printf("negotiated %s %s; %zu MiB per run, %zu KiB per SSL_write/SSL_read call\n",
           SSL_get_version(ssl), SSL_get_cipher_name(ssl), len / MIB, CHUNK / 1024);
    printf("cold: the receiver's buffer is freshly mapped memory; warm: the same buffer again\n");

    /* uploads: the client's buffer is touched (filled) before each run; the server's is
       fresh for the first run only */
    if ((buf = map_fresh(len, who)) == NULL)
        goto out;
    for (uint32_t run = 0; run <= repeat; run++) {
        struct request vreq = {.op = OP_VERIFY, .seed = ++seed, .bytes = len};
        pattern_fill(buf, len, seed);
        if (!client_run(ssl, report_fd, OP_UPLOAD, buf, len, run, &r))
            goto out;
        print_run("upload", run == 0, run, &r);
        if (run == 0)
            up_cold = r.mibs;
        else if (r.mibs > up_warm)
            up_warm = r.mibs;
        if (!ssl_write_all(ssl, (const unsigned char *)&vreq, sizeof vreq, who) ||
            !ssl_read_all(ssl, &status, 1, who))
            goto out;
        if (status != 1) {
            fprintf(stderr, "tls-ceiling: the server received other bytes than were sent\n");
            goto out;
        }
    }

    /* downloads: the server sends what it received last; the client receives into fresh
       memory first, then into that buffer again */
    unmap(buf, len);
    if ((buf = map_fresh(len, who)) == NULL)
        goto out;
    for (uint32_t run = 0; run <= repeat; run++) {
        if (!client_run(ssl, report_fd, OP_DOWNLOAD, buf, len, run, &r))
            goto out;
        print_run("download", run == 0, run, &r);
        if (run == 0)
            down_cold = r.mibs;
        else if (r.mibs > down_warm)
            down_warm = r.mibs;
        if (!pattern_check(buf, len, seed)) {
            fprintf(stderr, "tls-ceiling: the client received other bytes than were sent\n");
            goto out;
        }
        if (run < repeat)
            memset(buf, 0, len); /* so that the next check sees this run's bytes */
    }

    {
        struct request quit = {.op = OP_QUIT, .seed = 0, .bytes = 0};
        if (!ssl_write_all(ssl, (const unsigned char *)&quit, sizeof quit, who))
            goto out;
    }
    printf("ceiling upload_warm_mibs=%.0f download_warm_mibs=%.0f upload_cold_mibs=%.0f "
           "download_cold_mibs=%.0f\n",
           up_warm, down_warm, up_cold, down_cold);
    rc = 0;
out:
    SSL_free(ssl);
    if (fd >= 0)
        close(fd);
    unmap(buf, len);
    return rc;
}

static bool parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
    char *end;
    unsigned long v;

    if (s == NULL || *s < '0' || *s > '9')
        return false;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return false;
    *out = (unsigned)v;
    return true;
}

int main(int argc, char **argv)
{
    unsigned mib = 1024, repeat = 3;
    const char *suite = DEFAULT_SUITE;
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    SSL_CTX *sctx = NULL, *cctx = NULL;
    int listen_fd = -1, pipe_fds[2] = {-1, -1}, rc = 1, status;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sa_len = sizeof sa;
    pid_t server = -1;
    bool tls13;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            return 0;
        } else if (strcmp(a, "--mib") == 0) {
            if (!parse_uint(v, 1, MAX_MIB, &mib)) {
                fprintf(stderr, "tls-ceiling: --mib wants a number from 1 to %u\n", MAX_MIB);
                return 2;
            }
            i++;
        } else if (strcmp(a, "--repeat") == 0) {
            if (!parse_uint(v, 1, MAX_REPEAT, &repeat)) {
                fprintf(stderr, "tls-ceiling: --repeat wants a number from 1 to %u\n", MAX_REPEAT);
                return 2;
            }
            i++;
        } else if (strcmp(a, "--suite") == 0) {
            if (v == NULL || !suite_known(v)) {
                fprintf(stderr, "tls-ceiling: --suite wants one of the names in --help%s%s\n",
                        v ? ", not " : "", v ? v : "");
                return 2;
            }
            suite = v;
            i++;
        } else {
            fprintf(stderr, "tls-ceiling: unknown argument %s\n%s", a, usage);
            return 2;
        }
    }
    signal(SIGPIPE, SIG_IGN);

    if (!make_identity(&key, &cert))
        goto out;
    if ((sctx = SSL_CTX_new(TLS_server_method())) == NULL ||
        (cctx = SSL_CTX_new(TLS_client_method())) == NULL || !set_suite(sctx, suite, &tls13) ||
        !set_suite(cctx, suite, &tls13) || SSL_CTX_use_certificate(sctx, cert) != 1 ||
        SSL_CTX_use_PrivateKey(sctx, key) != 1 ||
        X509_STORE_add_cert(SSL_CTX_get_cert_store(cctx), cert) != 1) {
        fail_ssl("setup", "TLS contexts");
        goto out;
    }
    /* the client checks the server as a real one would; the server asks for no certificate */
    SSL_CTX_set_verify(cctx, SSL_VERIFY_PEER, NULL);

    if ((listen_fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
        bind(listen_fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(listen_fd, 1) != 0 ||
        getsockname(listen_fd, (struct sockaddr *)&sa, &sa_len) != 0) {
        fail_errno("setup", "listening socket on 127.0.0.1");
        goto out;
    }
    if (pipe(pipe_fds) != 0) {
        fail_errno("setup", "pipe");
        goto out;
    }
    printf("tls-ceiling: %s (TLS %s), loopback TCP port %u, %u MiB each way, 1 cold + %u warm "
           "runs per direction, %ld CPUs online\n",
           suite, tls13 ? "1.3" : "1.2", ntohs(sa.sin_port), mib, repeat,
           sysconf(_SC_NPROCESSORS_ONLN));
    fflush(NULL);
    if ((server = fork()) < 0) {
        fail_errno("setup", "fork");
        goto out;
    }
    if (server == 0) {
        close(pipe_fds[0]);
        pipe_fds[0] = -1;
        rc = serve(sctx, listen_fd, pipe_fds[1], (size_t)mib * MIB);
        server = -1;
        goto out;
    }
    close(pipe_fds[1]);
    pipe_fds[1] = -1;
    close(listen_fd);
    listen_fd = -1;
    rc = client(cctx, ntohs(sa.sin_port), pipe_fds[0], (size_t)mib * MIB, repeat);
    if (rc != 0) {
        usleep(100000); /* let a server that failed first say so and exit */
        if (waitpid(server, &status, WNOHANG) == 0) {
            kill(server, SIGTERM); /* still waiting for a request */
            waitpid(server, &status, 0);
        } else if (WIFSIGNALED(status)) {
            fprintf(stderr, "tls-ceiling: the server process was killed by signal %d\n",
                    WTERMSIG(status));
        }
    } else if (waitpid(server, &status, 0) != server) {
        fail_errno("client", "waitpid");
        rc = 1;
    } else if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
        fprintf(stderr, "tls-ceiling: the server process failed\n");
        rc = 1;
    }
    server = -1;
out:
    if (server > 0) {
        kill(server, SIGTERM);
        waitpid(server, NULL, 0);
    }
    for (int i = 0; i < 2; i++)
        if (pipe_fds[i] >= 0)
            close(pipe_fds[i]);
    if (listen_fd >= 0)
        close(listen_fd);
    SSL_CTX_free(sctx);
    SSL_CTX_free(cctx);
    X509_free(cert);
    EVP_PKEY_free(key);
    return rc;
}
