/* `ccfaas serve SERVICE`: runs one service in the foreground until SIGINT or
 * SIGTERM (DESIGN §6). Services: proxy (the proxy attestation service);
 * vaas and ccfaas live in cmd_serve_vaas.c and cmd_serve_ccfaas.c. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attest/evidence.h"
#include "proxy/proxy.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "net/http_client.h"
#include "net/http_server.h"

bool ccf_cli_self_dir(char *out, size_t size)
{
    ssize_t n = readlink("/proc/self/exe", out, size - 1);
    if (n <= 0 || (size_t)n >= size - 1)
        return false;
    out[n] = '\0';
    char *slash = strrchr(out, '/');
    if (slash == NULL)
        return false;
    *slash = '\0';
    return true;
}

bool ccf_cli_default_runtime(char *path, size_t size, uint8_t out[CCF_SHA256_LEN])
{
    char self[PATH_MAX];
    if (!ccf_cli_self_dir(self, sizeof self))
        return false;
    const char *candidates[] = {"ccfaas-runtime", "../runtime/ccfaas-runtime"};
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++) {
        char err[256];
        if (snprintf(path, size, "%s/%s", self, candidates[i]) >= (int)size)
            continue;
        if (access(path, X_OK) == 0 && ccf_evidence_measure_file(path, out, err, sizeof err) == CCF_OK)
            return true;
    }
    return false;
}

int ccf_cli_serve_start(const char *service, const char *listen, unsigned threads, bool quiet,
                        ccf_cli_mount_fn mount, void *svc, ccf_http_server **srv)
{
    return ccf_cli_serve_start_tls(service, listen, threads, quiet, NULL, mount, svc, srv);
}

int ccf_cli_serve_start_tls(const char *service, const char *listen, unsigned threads, bool quiet,
                            const struct ccf_cli_tls *tls, ccf_cli_mount_fn mount, void *svc,
                            ccf_http_server **srv)
{
    char err[512];
    ccf_http_config hc = {.listen = listen, .service = service, .threads = threads,
                          .quiet = quiet};
    *srv = NULL;
    if (tls != NULL) {
        hc.per_ip_connections = (unsigned)tls->per_address;
        hc.request_deadline_s = (unsigned)tls->deadline_s;
        hc.tls_cert_file = tls->cert;
        hc.tls_key_file = tls->key;
        hc.tls_client_ca_file = tls->ca;
        ccf_http_tls ct = {.ca_file = tls->ca, .cert_file = tls->cert, .key_file = tls->key};
        if (ccf_http_client_set_tls(&ct) != CCF_OK) {
            fprintf(stderr, "ccfaas serve %s: out of memory\n", service);
            return CCF_EXIT_FAIL;
        }
    }
    if (ccf_http_server_new(&hc, srv, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas serve %s: %s\n", service, err);
        return CCF_EXIT_USAGE;
    }
    if (mount(svc, *srv) != CCF_OK) {
        fprintf(stderr, "ccfaas serve %s: cannot add routes\n", service);
        return CCF_EXIT_FAIL;
    }
    ccf_http_block_stop_signals(); /* before the server threads exist */
    if (ccf_http_server_start(*srv, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas serve %s: %s: %s\n", service, listen, err);
        return CCF_EXIT_FAIL;
    }
    return CCF_EXIT_OK;
}

void ccf_cli_print_listening(const char *listen, const ccf_http_server *srv)
{
    char host[256];
    snprintf(host, sizeof host, "%s", listen);
    char *colon = strrchr(host, ':');
    if (colon != NULL)
        *colon = '\0';
    printf("  listening: %s://%s:%u\n", ccf_http_server_is_tls(srv) ? "https" : "http", host,
           ccf_http_server_port(srv));
}

static ccf_err mount_proxy(void *svc, ccf_http_server *srv)
{
    return ccf_proxy_mount(svc, srv);
}

static int serve_proxy(int argc, char **argv)
{
    const char *listen = "127.0.0.1:3010", *data_dir = "ccfaas-data", *pub = NULL;
    long max_days = 1, lifetime = 60, threads = 4;
    bool quiet = false, no_default = false;
    ccf_opt_list allow_hex = {0};
    uint8_t(*allow)[CCF_SHA256_LEN] = NULL;
    size_t nallow = 0;
    const char **allow_src = NULL;
    ccf_proxy *proxy = NULL;
    ccf_http_server *srv = NULL;
    struct ccf_cli_tls tls = {0};
    char err[512];
    const ccf_opt_cmd cmd = {
        .cmd = "serve proxy",
        .about = "The proxy attestation service: certifies the keys of runtime instances whose\n"
                 "evidence checks out (docs/attestation.md).\n",
        .epilog = "\nPlatform `linux` is for DEVELOPMENT ONLY: no TEE, no hardware protection.\n"};
    const ccf_opt opts[] = {
        {.name = "listen", .kind = CCF_OPT_STRING, .dest = &listen, .value = "ADDR:PORT",
         .nonempty = true,
         .help = "default 127.0.0.1:3010 (port 0: any free port; the bound\naddress is printed "
                 "as `listening: http://ADDR:PORT`)"},
        {.name = "data-dir", .kind = CCF_OPT_STRING, .dest = &data_dir, .value = "DIR",
         .nonempty = true,
         .help = "CA key and certificate (created on first start, reused\nafter) and the "
                 "platform key; default ./ccfaas-data"},
        {.name = "allow-measurement", .kind = CCF_OPT_LIST, .dest = &allow_hex, .value = "HEX",
         .help = "a runtime measurement (SHA-256, 64 hex) to certify;\nrepeatable. Default: the "
                 "hash of the ccfaas-runtime\ninstalled next to ccfaas, if there is one"},
        {.name = "no-default-allow", .kind = CCF_OPT_FLAG, .dest = &no_default,
         .help = "no default measurement"},
        {.name = "platform-key-pub", .kind = CCF_OPT_STRING, .dest = &pub, .value = "FILE",
         .nonempty = true,
         .help = "trusted platform public key (PEM); default: the public\nhalf of "
                 "DIR/platform-key.pem (created when missing)"},
        {.name = "max-cert-days", .kind = CCF_OPT_NUM, .dest = &max_days, .value = "N",
         .help = "certificates live at most N days (default 1)", .min = 1, .max = 3650},
        {.name = "nonce-lifetime", .kind = CCF_OPT_NUM, .dest = &lifetime, .value = "SECONDS",
         .help = "default 60", .min = 0, .max = 86400},
        {.name = "threads", .kind = CCF_OPT_NUM, .dest = &threads, .value = "N",
         .help = "HTTP worker threads (default 4)", .min = 1, .max = 256},
        {.name = "quiet", .kind = CCF_OPT_FLAG, .dest = &quiet, .help = "no request log on stderr"},
        CCF_CLI_TLS_OPTS(tls),
        CCF_CLI_LIMIT_OPTS(tls),
        {0}};
    int rc = ccf_opt_run(&cmd, opts, argc, argv, NULL);

    if (rc >= 0)
        goto out;
    rc = CCF_EXIT_FAIL;
    if ((allow = calloc(allow_hex.count + 1, sizeof *allow)) == NULL ||
        (allow_src = calloc(allow_hex.count + 1, sizeof *allow_src)) == NULL) {
        fprintf(stderr, "ccfaas serve proxy: out of memory\n");
        goto out;
    }
    for (size_t i = 0; i < allow_hex.count; i++) {
        const char *v = allow_hex.items[i];
        if (strlen(v) != CCF_SHA256_HEX_LEN || !ccf_attest_hex_decode(v, allow[nallow], 32)) {
            rc = ccf_opt_error(&cmd, "--allow-measurement: expected 64 hex digits, got '%s'", v);
            goto out;
        }
        allow_src[nallow++] = "--allow-measurement";
    }
    char runtime_path[PATH_MAX + 64];
    if (nallow == 0 && !no_default &&
        ccf_cli_default_runtime(runtime_path, sizeof runtime_path, allow[nallow]))
        allow_src[nallow++] = runtime_path;

    ccf_proxy_config pc = {.data_dir = data_dir,
                           .allow = (const uint8_t(*)[CCF_SHA256_LEN])allow,
                           .allow_count = nallow,
                           .platform_key_pub = pub,
                           .max_cert_days = (unsigned)max_days,
                           .nonce_lifetime_s = lifetime};
    if (ccf_proxy_new(&pc, &proxy, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas serve proxy: %s\n", err);
        goto out;
    }
    if ((rc = ccf_cli_serve_start_tls("proxy", listen, (unsigned)threads, quiet, &tls, mount_proxy,
                                      proxy, &srv)) != CCF_EXIT_OK)
        goto out;
    printf("ccfaas proxy attestation service\n");
    ccf_cli_print_listening(listen, srv);
    printf("  CA:        %s/%s (%s; this is the policies' proxy_service_cert)\n", data_dir,
           CCF_PROXY_CA_CERT_FILE, ccf_proxy_ca_created(proxy) ? "created" : "reused");
    printf("  platform:  linux - DEVELOPMENT ONLY: no TEE, no hardware protection\n");
    if (pub != NULL)
        printf("  trusted platform key: %s\n", pub);
    else
        printf("  trusted platform key: %s/%s\n", data_dir, CCF_PLATFORM_KEY_FILE);
    if (nallow == 0)
        printf("  allowed measurements: none - every attestation will be refused "
               "(use --allow-measurement HEX)\n");
    for (size_t i = 0; i < nallow; i++) {
        char hex[CCF_SHA256_HEX_LEN + 1];
        ccf_hex_encode(allow[i], CCF_SHA256_LEN, hex);
        printf("  allowed measurement: %s (%s)\n", hex, allow_src[i]);
    }
    fflush(stdout);
    int sig = ccf_http_wait_stop_signal();
    printf("stopping (signal %d)\n", sig);
    fflush(stdout);
    rc = CCF_EXIT_OK;
out:
    ccf_http_server_free(srv); /* graceful: running requests finish */
    ccf_proxy_free(proxy);
    free(allow);
    free(allow_src);
    ccf_opt_lists_free(opts);
    return rc;
}

struct service {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct service services[] = {
    {"proxy", serve_proxy, "proxy attestation service (default 127.0.0.1:3010)"},
    {"vaas", ccf_serve_vaas, "VaaS: starts attested runtime instances (default 127.0.0.1:5000)"},
    {"ccfaas", ccf_serve_ccfaas, "CCFaaS: function registry and instances (default 127.0.0.1:5010)"},
    {"kbs", ccf_serve_kbs, "key broker, Trustee KBS protocol 0.4.0 (default 127.0.0.1:8080)"},
    {"workorder", ccf_serve_workorder, "work orders, EEA Trusted Compute / Avalon JSON-RPC (default 127.0.0.1:1947)"},
    {"s3stream", ccf_serve_s3stream, "streams S3 objects into attested instances (default 127.0.0.1:5020)"},
};

int ccf_cmd_serve(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        FILE *out = argc < 2 ? stderr : stdout;
        fprintf(out, "usage: ccfaas serve SERVICE [OPTIONS]\n\nservices:\n");
        for (size_t i = 0; i < sizeof services / sizeof services[0]; i++)
            fprintf(out, "  %-9s %s\n", services[i].name, services[i].summary);
        fprintf(out, "\nRun `ccfaas serve SERVICE --help` for its options.\n");
        return argc < 2 ? CCF_EXIT_USAGE : CCF_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof services / sizeof services[0]; i++)
        if (strcmp(argv[1], services[i].name) == 0)
            return services[i].run(argc - 1, argv + 1);
    fprintf(stderr, "ccfaas serve: unknown service '%s' (see `ccfaas serve --help`)\n", argv[1]);
    return CCF_EXIT_USAGE;
}
