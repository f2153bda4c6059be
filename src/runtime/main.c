/* ccfaas-runtime: the trusted instance (DESIGN §1 step 4-5, §4, §5).
 * Loads a full policy (its exact bytes), makes a fresh key, has the proxy
 * attestation service certify it, then serves the data plane in a sandbox. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/mman.h>
#include <unistd.h>

#include "attest/evidence.h"
#include "attest/launch.h"
#include "attest/pki.h"
#include "attest/proxy_client.h"
#include "attest/verify.h"
#include "common/file.h"
#include "jose/jose.h"
#include "kbs/agent.h"
#include "runtime/dataplane.h"
#include "runtime/instance.h"
#include "runtime/sandbox.h"

static const char usage[] =
    "usage: ccfaas-runtime --policy FILE [--listen ADDR:PORT] [--proxy URL]\n"
    "                      [--platform linux] --platform-key-fd N [--ready-fd N]\n"
    "                      [--max-file-mib N] [--fuel N] [--max-exec-seconds N]\n"
    "                      [--request-timeout N] [--handshake-timeout N]\n"
    "                      [--max-handshakes N] [--no-sandbox]\n"
    "\n"
    "The trusted instance: loads a full policy, gets its fresh key certified by the\n"
    "proxy attestation service, then serves the policy's data plane (HTTPS with client\n"
    "certificates). Prints `ready ADDR:PORT` (on the ready fd, else stdout) once\n"
    "clients may connect.\n"
    "  --listen ADDR:PORT   default 127.0.0.1 and the port of veracruz_server_url\n"
    "  --proxy URL          default the policy's proxy_attestation_server_url (IP:PORT\n"
    "                       or localhost:PORT: no name resolution)\n"
    "  --platform linux     the development platform (no TEE; the only one so far)\n"
    "  --platform-key-fd N  read the platform key (PEM) from descriptor N (never argv)\n"
    "  --max-file-mib N     largest file or request body (default: the instance limit)\n"
    "  --fuel N             instruction budget per execution (default: unlimited)\n"
    "  --max-exec-seconds N wall-clock limit per execution (default 600; 0 = none)\n"
    "  --request-timeout N  seconds for each request head to arrive complete (also the\n"
    "                       keep-alive idle time; default 30)\n"
    "  --handshake-timeout N\n"
    "                       seconds for a TLS handshake to complete (default 5)\n"
    "  --max-handshakes N   connections in their TLS handshake at most (of 256); a new\n"
    "                       one closes the oldest of them (default 32)\n"
    "  --no-sandbox         do not install the seccomp filter (debugging only)\n"
    "\n"
    "These settings, the policy's debug flag and the platform are the launch\n"
    "configuration: bound into the evidence and certificate, checked by clients.\n"
    "Any environment variable makes the runtime start itself again without it.\n";

struct args {
    const char *policy, *listen, *proxy, *platform;
    int key_fd, ready_fd;
    uint64_t max_file_mib, fuel, max_exec_s, request_timeout_s, handshake_timeout_s, max_handshakes;
    bool sandbox, test_violation, test_exec_violation;
};

static bool parse_num(const char *s, uint64_t max, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = s ? strtoull(s, &end, 10) : 0;
    if (s == NULL || *s == '\0' || *s == '-' || *end != '\0' || errno != 0 || v > max)
        return false;
    *out = v;
    return true;
}

static int parse_args(int argc, char **argv, struct args *a)
{
    memset(a, 0, sizeof *a);
    a->key_fd = a->ready_fd = -1;
    a->platform = "linux";
    a->sandbox = true;
    a->max_exec_s = 600;
    a->request_timeout_s = 30;
    a->handshake_timeout_s = 5;
    a->max_handshakes = 32;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t n;
        if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
            fputs(usage, stdout);
            return 0;
        } else if (strcmp(s, "--no-sandbox") == 0) {
            a->sandbox = false;
            continue;
        } else if (strcmp(s, "--test-sandbox-violation") == 0) {
            a->test_violation = true; /* tests: make a forbidden call once sandboxed */
            continue;
        } else if (strcmp(s, "--test-exec-violation") == 0) {
            a->test_exec_violation = true; /* tests: executable mappings once sandboxed */
            continue;
        }
        if (v == NULL || v[0] == '\0') {
            fprintf(stderr, "ccfaas-runtime: %s needs a value (see --help)\n", s);
            return 2;
        }
        i++;
        if (strcmp(s, "--policy") == 0) {
            a->policy = v;
        } else if (strcmp(s, "--listen") == 0) {
            a->listen = v;
        } else if (strcmp(s, "--proxy") == 0) {
            a->proxy = v;
        } else if (strcmp(s, "--platform") == 0) {
            a->platform = v;
        } else if (strcmp(s, "--platform-key-fd") == 0 && parse_num(v, 1 << 20, &n)) {
            a->key_fd = (int)n;
        } else if (strcmp(s, "--ready-fd") == 0 && parse_num(v, 1 << 20, &n)) {
            a->ready_fd = (int)n;
        } else if (strcmp(s, "--max-file-mib") == 0 && parse_num(v, 1 << 20, &n)) {
            a->max_file_mib = n;
        } else if (strcmp(s, "--fuel") == 0 && parse_num(v, INT64_MAX, &n)) {
            a->fuel = n;
        } else if (strcmp(s, "--max-exec-seconds") == 0 && parse_num(v, 4000000, &n)) {
            a->max_exec_s = n;
        } else if (strcmp(s, "--request-timeout") == 0 && parse_num(v, 86400, &n) && n > 0) {
            a->request_timeout_s = n;
        } else if (strcmp(s, "--handshake-timeout") == 0 && parse_num(v, 86400, &n) && n > 0) {
            a->handshake_timeout_s = n;
        } else if (strcmp(s, "--max-handshakes") == 0 &&
                   parse_num(v, CCF_DATAPLANE_MAX_CONNECTIONS, &n) && n > 0) {
            a->max_handshakes = n;
        } else {
            fprintf(stderr, "ccfaas-runtime: bad option or value: %s %s (see --help)\n", s, v);
            return 2;
        }
    }
    if (a->policy == NULL) {
        fprintf(stderr, "ccfaas-runtime: --policy FILE is required (see --help)\n");
        return 2;
    }
    if (strcmp(a->platform, "linux") != 0) {
        fprintf(stderr, "ccfaas-runtime: platform %s is not supported (only linux, the "
                        "development platform)\n", a->platform);
        return 2;
    }
    if (a->key_fd < 0) {
        fprintf(stderr, "ccfaas-runtime: --platform-key-fd N is required on the linux platform\n");
        return 2;
    }
    return -1;
}

extern char **environ;

/* Whether an environment entry may reach the runtime. Nothing but PWD
 * (bubblewrap sets it; nothing reads it) and the sanitizers' own options (in
 * sanitizer builds only): loader, libc and OpenSSL variables (LD_PRELOAD,
 * GLIBC_TUNABLES, MALLOC_*, OPENSSL_CONF, ...) change what runs or how, and
 * none of them is part of the measurement. */
static bool env_allowed(const char *entry)
{
    if (strncmp(entry, "PWD=", 4) == 0)
        return true;
#if defined(__SANITIZE_ADDRESS__)
#define CCF_SANITIZER_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CCF_SANITIZER_BUILD 1
#endif
#endif
#ifdef CCF_SANITIZER_BUILD
    static const char *const sanitizer[] = {"ASAN_OPTIONS=", "UBSAN_OPTIONS=", "LSAN_OPTIONS="};
    for (size_t i = 0; i < sizeof sanitizer / sizeof sanitizer[0]; i++) {
        if (strncmp(entry, sanitizer[i], strlen(sanitizer[i])) == 0)
            return true;
    }
#endif
    (void)entry;
    return false;
}

/* Starts this runtime again with only the allowed environment when anything
 * else was given (a launcher's LD_PRELOAD, say). The release runtime is
 * statically linked, so no loader variable could run code before this; the
 * re-execution makes sure none reaches OpenSSL or libc later either. The
 * environment is clean once this returns. */
static int clean_environment(char **argv)
{
    size_t n = 0, dirty = 0;
    for (char **e = environ; *e != NULL; e++, n++)
        dirty += !env_allowed(*e);
    if (dirty == 0)
        return 0;
    char **clean = calloc(n + 1, sizeof *clean);
    if (clean == NULL)
        return 1;
    size_t k = 0;
    for (char **e = environ; *e != NULL; e++) {
        if (env_allowed(*e))
            clean[k++] = *e;
    }
    /* names only: a value may be anything */
    fprintf(stderr, "ccfaas-runtime: removing %zu environment variable(s) and starting again:",
            dirty);
    for (char **e = environ; *e != NULL; e++) {
        if (!env_allowed(*e))
            fprintf(stderr, " %.*s", (int)strcspn(*e, "="), *e);
    }
    fputc('\n', stderr);
    execve("/proc/self/exe", argv, clean);
    fprintf(stderr, "ccfaas-runtime: cannot start again with a clean environment: %s\n",
            strerror(errno));
    free(clean);
    return 1;
}

/* The proxy must be named by an IP address ("localhost" is 127.0.0.1): name
 * resolution through glibc's NSS would load shared objects that are not
 * part of the runtime's measurement. Rewrites url into buf. */
static bool proxy_address(const char *url, char *buf, size_t size)
{
    const char *hp = strncmp(url, "http://", 7) == 0 ? url + 7 : url;
    const char *colon = strrchr(hp, ':');
    char host[256];
    unsigned char addr[16];
    if (colon == NULL || (size_t)(colon - hp) >= sizeof host)
        return false;
    memcpy(host, hp, (size_t)(colon - hp));
    host[colon - hp] = '\0';
    if (strcmp(host, "localhost") == 0)
        return snprintf(buf, size, "127.0.0.1%s", colon) < (int)size;
    size_t hl = strlen(host);
    if (hl > 2 && host[0] == '[' && host[hl - 1] == ']') {
        host[hl - 1] = '\0';
        if (inet_pton(AF_INET6, host + 1, addr) != 1)
            return false;
    } else if (inet_pton(AF_INET, host, addr) != 1) {
        return false;
    }
    return snprintf(buf, size, "%s", url) < (int)size;
}

/* The keys of the policy's encrypted files and its programs' secrets, from
 * the key broker it names (kbs_url): one attested session with a fresh P-256
 * tee key, then each resource, its JWE opened inside this process; they go to
 * the instance (keys: secure heap; secrets: their program's files) and
 * nowhere else. Before the sandbox, which allows no new
 * socket, and while the platform key can still sign evidence. */
static ccf_err fetch_keys(ccf_instance *inst, const ccf_policy *p, EVP_PKEY *platform_key,
                          const uint8_t *measurement, const uint8_t *policy_hash,
                          const char *launch, char *err, size_t errsz)
{
    const char *res[64];
    char addr[300], msg[256];
    ccf_http_ev *t = NULL;
    EVP_PKEY *tee = NULL;
    size_t n = ccf_instance_kbs_resources(inst, res, 64);
    ccf_err rc = CCF_OK;
    if (n == 0)
        return CCF_OK;
    if (n > 64)
        return ccf_errf(err, errsz, CCF_ERR_TOO_LARGE, "the policy needs %zu keys, at most 64", n);
    if (p->kbs_url == NULL)
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "the policy has encrypted files or secrets "
                                                     "but no kbs_url to fetch them from");
    bool https = strncmp(p->kbs_url, "https://", 8) == 0;
    if (!proxy_address(https ? p->kbs_url + 8 : p->kbs_url, addr + 8, sizeof addr - 8))
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "kbs_url %s: the key broker must be given "
                        "as IP:PORT or localhost:PORT (name resolution would load code outside "
                        "the runtime's measurement)", p->kbs_url);
    if (https) /* TLS to it, its certificate pinned (the policy's kbs_cert) */
        memcpy(addr, "https://", 8);
    const char *target = https ? addr : addr + 8;
    if ((rc = ccf_http_ev_new("key broker", target, p->kbs_cert, 30000, CCF_KBS_AGENT_MAX_REPLY,
                              &t, err, errsz)) != CCF_OK ||
        (rc = ccf_pki_key_new(&tee, err, errsz)) != CCF_OK)
        goto out;
    size_t plen = 0;
    ccf_kbs_agent_req q = {.tee_key = tee, .platform_key = platform_key,
                           .measurement = measurement, .policy_hash = policy_hash,
                           .launch = launch,
                           .init_data = ccf_instance_policy_text(inst, &plen)};
    if ((rc = ccf_kbs_agent_attest(t, &q, NULL, err, errsz)) != CCF_OK)
        goto out;
    for (size_t i = 0; i < n && rc == CCF_OK; i++) {
        uint8_t *key = NULL;
        size_t kl = 0;
        if ((rc = ccf_kbs_agent_resource(t, tee, res[i], &key, &kl, NULL, err, errsz)) != CCF_OK)
            break;
        if ((rc = ccf_instance_add_resource(inst, res[i], key, kl, msg, sizeof msg)) != CCF_OK)
            ccf_errf(err, errsz, rc, "%s", msg);
        ccf_jose_secret_free(key, kl);
    }
out:
    EVP_PKEY_free(tee);
    ccf_http_ev_free(t);
    return rc;
}

/* "host" of a HOST:PORT string into buf. */
static void host_of(const char *hostport, char *buf, size_t size)
{
    const char *colon = strrchr(hostport, ':');
    size_t n = colon ? (size_t)(colon - hostport) : strlen(hostport);
    if (n >= size)
        n = size - 1;
    memcpy(buf, hostport, n);
    buf[n] = '\0';
}

static int fail(const char *what, const char *err)
{
    fprintf(stderr, "ccfaas-runtime: %s: %s\n", what, err);
    return 1;
}

/* Monotonic milliseconds, for the start-up figures in the log. */
static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* 1 MiB (a power of two, as OpenSSL requires): room for 16 RSA-3072 key pairs and every key. */
#define CCF_RUNTIME_SECURE_HEAP (1u << 20)

int main(int argc, char **argv)
{
    struct args a;
    char err[512], *text = NULL, *cert_pem = NULL, *ca_pem = NULL, *launch_text = NULL,
         listen[300], host[256], server_host[256];
    size_t len;
    ccf_instance *inst = NULL;
    ccf_dataplane *dp = NULL;
    EVP_PKEY *platform_key = NULL, *key = NULL;
    uint8_t measurement[CCF_SHA256_LEN], policy_hash[CCF_SHA256_LEN];
    ccf_instance_limits limits = {0};
    ccf_verify_result vr;
    bool sandboxed = false;
    double t_start = now_ms(), t_attest = 0, t_certified = 0; /* for the log */
    int rc = clean_environment(argv);
    if (rc != 0)
        return rc;
    rc = parse_args(argc, argv, &a);
    if (rc >= 0)
        return rc;
    rc = 1;
    /* A client that goes away while its reply is being written must cost that
     * connection (EPIPE), never the instance (SIGPIPE's default is to end it). */
    signal(SIGPIPE, SIG_IGN);
    /* Keep freed memory for reuse instead of giving it back to the kernel at
     * once: fresh pages must be faulted in and zeroed again, which costs more
     * than the copying here (request JSON, WASI buffers, program memories).
     * File buffers over 32 MiB are mapped on their own and returned on free. */
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
    mallopt(M_TOP_PAD, 64 << 20);
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    /* OpenSSL's secure heap for the keys the instance holds (key broker keys, the programs'
     * ccfaas_crypto keys and RSA private keys): locked pages kept out of core dumps. Made
     * now, before the sandbox, which allows no new mappings of this kind. Without it (a
     * mlock limit too low, say) OPENSSL_secure_malloc falls back to the plain heap; keys are
     * still wiped on free. */
    if (CRYPTO_secure_malloc_init(CCF_RUNTIME_SECURE_HEAP, 16) != 1)
        fprintf(stderr, "ccfaas-runtime: note: no locked secure heap for keys (mlock limit?); "
                        "keys stay in ordinary memory, wiped on free\n");
    if (ccf_file_read(a.policy, CCF_POLICY_MAX_BYTES, &text, &len, err, sizeof err) != CCF_OK) {
        fail(a.policy, err);
        goto out;
    }
    limits.max_file_bytes = a.max_file_mib << 20;
    limits.fuel = a.fuel;
    limits.deadline_ms = (uint32_t)(a.max_exec_s * 1000);
    if (ccf_instance_new(text, len, &limits, &inst, err, sizeof err) != CCF_OK) {
        fail(a.policy, err);
        goto out;
    }
    const ccf_policy *p = ccf_instance_policy(inst);

    /* What this runtime is, measured by itself; the policy must name it. */
    if (ccf_evidence_measure_self(measurement, err, sizeof err) != CCF_OK) {
        fail("measurement", err);
        goto out;
    }
    char mhex[CCF_SHA256_HEX_LEN + 1];
    ccf_hex_encode(measurement, sizeof measurement, mhex);
    const char *want = p->runtime_hash[CCF_RUNTIME_LINUX];
    if (want == NULL || strcasecmp(want, mhex) != 0) {
        snprintf(err, sizeof err, "this runtime measures %s but the policy's "
                 "runtime_manager_hash_linux is %s: clients would refuse it", mhex,
                 want && *want ? want : "(not set)");
        fail("policy", err);
        goto out;
    }
    if (ccf_pki_key_read_fd(a.key_fd, &platform_key, err, sizeof err) != CCF_OK) {
        fail("platform key", err);
        goto out;
    }
    close(a.key_fd);
    if (ccf_pki_key_new(&key, err, sizeof err) != CCF_OK) {
        fail("key", err);
        goto out;
    }
    if (!ccf_attest_hex_decode(ccf_instance_policy_hash(inst), policy_hash, sizeof policy_hash)) {
        fail("policy hash", "cannot decode");
        goto out;
    }

    /* Attestation: evidence + CSR to the proxy, which certifies the key. */
    host_of(p->veracruz_server_url, server_host, sizeof server_host);
    if (a.listen == NULL) {
        const char *port = strrchr(p->veracruz_server_url, ':');
        snprintf(listen, sizeof listen, "127.0.0.1%s", port);
        a.listen = listen;
    }
    host_of(a.listen, host, sizeof host);
    const char *sans[2] = {server_host, host};
    const int expiry[5] = {p->enclave_cert_expiry.year, p->enclave_cert_expiry.month,
                           p->enclave_cert_expiry.day, p->enclave_cert_expiry.hour,
                           p->enclave_cert_expiry.minute};
    ccf_proxy_request_params params = {
        .platform_key = platform_key, .measurement = measurement, .instance_key = key,
        .policy_hash = policy_hash, .sans = sans, .san_count = strcmp(server_host, host) ? 2 : 1,
        .expiry = expiry,
    };
    ccf_launch launch = {.platform = CCF_RUNTIME_LINUX, .sandbox = a.sandbox, .debug = p->debug,
                         .clean_environment = true, .fuel = a.fuel,
                         .max_exec_seconds = a.max_exec_s, .max_file_mib = a.max_file_mib};
    if (ccf_launch_encode(&launch, &launch_text) != CCF_OK) {
        fail("launch configuration", "out of memory");
        goto out;
    }
    params.launch = launch_text;
    /* https: TLS to the proxy, its certificate pinned (the policy's proxy_tls_cert) */
    const char *purl = a.proxy ? a.proxy : p->proxy_attestation_server_url;
    bool phttps = strncmp(purl, "https://", 8) == 0;
    char proxy[300] = "https://";
    if (!proxy_address(phttps ? purl + 8 : purl, phttps ? proxy + 8 : proxy,
                       phttps ? sizeof proxy - 8 : sizeof proxy)) {
        fail("attestation", "the proxy must be given as IP:PORT or localhost:PORT (name "
                            "resolution would load code outside the runtime's measurement)");
        goto out;
    }
    t_attest = now_ms();
    if (ccf_proxy_client_certify(proxy, phttps ? p->proxy_tls_cert : NULL, &params, 0, &cert_pem,
                                 &ca_pem, err, sizeof err) != CCF_OK) {
        fail("attestation", err);
        goto out;
    }
    t_certified = now_ms();
    if (fetch_keys(inst, p, platform_key, measurement, policy_hash, launch_text, err,
                   sizeof err) != CCF_OK) {
        fail("key broker", err);
        goto out;
    }
    /* The platform key stands in for a TEE's hardware key: once the
     * certificate is issued the instance has no use for it. OpenSSL clears
     * private key memory on free (and it sits in the secure heap). */
    EVP_PKEY_free(platform_key);
    platform_key = NULL;
    /* Serve only with a certificate that clients will accept. */
    if (ccf_verify_instance_pem(cert_pem, strlen(cert_pem), text, len, p, time(NULL), &vr) !=
        CCF_OK) {
        snprintf(err, sizeof err, "the proxy's certificate fails the client checks (%s): %s",
                 ccf_verify_check_name(vr.failed), vr.detail);
        fail("attestation", err);
        goto out;
    }
    ccf_dataplane_config dcfg = {.listen = a.listen, .cert_pem = cert_pem, .key = key,
                                 .max_body_bytes = limits.max_file_bytes,
                                 .request_timeout_s = (unsigned)a.request_timeout_s,
                                 .handshake_timeout_s = (unsigned)a.handshake_timeout_s,
                                 .max_handshakes = (unsigned)a.max_handshakes};
    if (ccf_dataplane_new(inst, &dcfg, &dp, err, sizeof err) != CCF_OK) {
        fail("data plane", err);
        goto out;
    }
    if (a.sandbox) {
        /* executable memory only for the compiler of a "JIT" policy (issue 22) */
        if (ccf_sandbox_enter(strcmp(p->execution_strategy, "JIT") == 0, err, sizeof err) != CCF_OK) {
            fail("sandbox", err);
            goto out;
        }
        sandboxed = true;
    }
    if (a.test_violation)
        (void)open("/etc/hostname", O_RDONLY); /* must kill the process */
    if (a.test_exec_violation) {
        /* read+execute: kills an Interpretation runtime; write+execute: kills any */
        void *x = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        fprintf(stderr, "ccfaas-runtime: executable mapping allowed%s\n", x == MAP_FAILED ? " (failed)" : "");
        (void)mmap(NULL, 4096, PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    }
    {
        char line[320];
        int n = snprintf(line, sizeof line, "ready %s:%u\n", host, ccf_dataplane_port(dp));
        int fd = a.ready_fd >= 0 ? a.ready_fd : STDOUT_FILENO;
        if (write(fd, line, (size_t)n) != n) {
            fail("ready", strerror(errno));
            goto out;
        }
        if (a.ready_fd >= 0)
            close(a.ready_fd);
    }
    fprintf(stderr,
            "ccfaas-runtime: serving policy %s on %s:%u, ready %.1f ms after start (attestation "
            "%.1f ms) (%s)\n",
            ccf_instance_policy_hash(inst), host, ccf_dataplane_port(dp), now_ms() - t_start,
            t_certified - t_attest, CCF_VERIFY_DEV_NOTICE);
    if (ccf_dataplane_run(dp, err, sizeof err) != CCF_OK) {
        fail("data plane", err);
        goto out;
    }
    rc = 0;
out:
    ccf_dataplane_free(dp);
    ccf_instance_free(inst);
    EVP_PKEY_free(key);
    EVP_PKEY_free(platform_key);
    free(cert_pem);
    free(ca_pem);
    free(launch_text);
    free(text);
    /* Under the seccomp filter exit handlers cannot run (LeakSanitizer's
     * check, for one, needs ptrace): end at once; everything is freed above. */
    if (sandboxed) {
        fflush(NULL);
        _exit(rc);
    }
    return rc;
}
