/* `ccfaas serve vaas`: VaaS alone, in the foreground until SIGINT/SIGTERM,
 * which stops every instance it runs (DESIGN §6). */
#include <curl/curl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attest/evidence.h"
#include "proxy/proxy.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "common/file.h"
#include "net/http_client.h"
#include "net/http_server.h"
#include "vaas/vaas.h"

static bool parse_range(const char *s, long *lo, long *hi)
{
    char buf[32];
    const char *dash = strchr(s, '-');
    if (dash == NULL || (size_t)(dash - s) >= sizeof buf)
        return false;
    memcpy(buf, s, (size_t)(dash - s));
    buf[dash - s] = '\0';
    return ccf_opt_parse_num(buf, 1, 65535, lo) && ccf_opt_parse_num(dash + 1, 1, 65535, hi) &&
           *lo <= *hi;
}

/* The proxy's CA certificate from its GET /ca. */
static char *fetch_ca(const char *proxy, char *err, size_t err_size)
{
    char url[512];
    ccf_http_reply r = {0};
    bool scheme = strncmp(proxy, "http://", 7) == 0 || strncmp(proxy, "https://", 8) == 0;
    snprintf(url, sizeof url, "%s%s/ca", scheme ? "" : "http://", proxy);
    ccf_http_call_req req = {.method = "GET", .url = url, .timeout_ms = 10000,
                             .max_reply = 64 * 1024};
    if (ccf_http_call(&req, &r, err, err_size) != CCF_OK)
        return NULL;
    if (r.status != 200 || strstr(r.body, "-----BEGIN CERTIFICATE-----") == NULL) {
        snprintf(err, err_size, "%s: HTTP %ld without a certificate", url, r.status);
        ccf_http_reply_free(&r);
        return NULL;
    }
    return r.body;
}

static ccf_err mount(void *svc, ccf_http_server *srv)
{
    return ccf_vaas_mount(svc, srv);
}

int ccf_serve_vaas(int argc, char **argv)
{
    const char *listen = "127.0.0.1:5000", *data_dir = "ccfaas-data", *ca_file = NULL;
    const char *runtime = NULL, *key = NULL, *host = NULL, *backend = NULL;
    const char *kbs = getenv("KBS_URL"), *kbs_cert = NULL, *proxy_cert = NULL;
    char *kbs_cert_pem = NULL, *proxy_cert_pem = NULL;
    if (kbs != NULL && kbs[0] == '\0')
        kbs = NULL;
    const char *proxy = getenv("PROXY_URL");
    long first = 0, last = 0, cert_days = 1, ready_s = 15, threads = 8, mem_mib = 0, cpu_s = 0;
    bool quiet = false, no_sandbox = false, allow_debug = false;
    char *ca = NULL, err[1024], key_path[PATH_MAX], rt_path[PATH_MAX];
    ccf_vaas *vaas = NULL;
    ccf_http_server *srv = NULL;
    struct ccf_cli_tls tls = {0};
    const char *ports = NULL;
    ccf_vaas_k8s_config k8s = {0};
    long k8s_poll_ms = 1000;
    int rc = CCF_EXIT_FAIL;
    if (proxy == NULL || proxy[0] == '\0')
        proxy = "127.0.0.1:3010";

    const ccf_opt_cmd cmd = {
        .cmd = "serve vaas",
        .about = "VaaS: completes VaaS policies into full policies and starts an attested\n"
                 "ccfaas-runtime for each (POST/GET /veracruz, GET/DELETE /veracruz/NAME; "
                 "docs/vaas.md).\n"};
    const ccf_opt opts[] = {
        {.name = "listen", .kind = CCF_OPT_STRING, .dest = &listen, .value = "ADDR:PORT",
         .nonempty = true,
         .help = "default 127.0.0.1:5000 (port 0: any free port; printed as\n"
                 "`listening: http://ADDR:PORT`)"},
        {.name = "data-dir", .kind = CCF_OPT_STRING, .dest = &data_dir, .value = "DIR",
         .nonempty = true, .help = "instance directories (DIR/vaas/NAME); default ./ccfaas-data"},
        {.name = "proxy", .kind = CCF_OPT_STRING, .dest = &proxy, .value = "HOST:PORT",
         .nonempty = true,
         .help = "the proxy attestation service written into policies; default\n$PROXY_URL, "
                 "else 127.0.0.1:3010"},
        {.name = "proxy-ca", .kind = CCF_OPT_STRING, .dest = &ca_file, .value = "FILE",
         .nonempty = true,
         .help = "its CA certificate (the policies' proxy_service_cert); default\nDIR/proxy-ca.crt "
                 "when it exists, else fetched from GET /ca"},
        {.name = "runtime", .kind = CCF_OPT_STRING, .dest = &runtime, .value = "PATH",
         .nonempty = true, .help = "ccfaas-runtime; default the one beside ccfaas"},
        {.name = "platform-key", .kind = CCF_OPT_STRING, .dest = &key, .value = "FILE",
         .nonempty = true,
         .help = "development platform key handed to runtimes; default\nDIR/platform-key.pem (the "
                 "proxy creates it)"},
        {.name = "host", .kind = CCF_OPT_STRING, .dest = &host, .value = "H", .nonempty = true,
         .help = "host in the policies' veracruz_server_url and the address\nruntimes listen on; "
                 "default 127.0.0.1"},
        {.name = "ports", .kind = CCF_OPT_STRING, .dest = &ports, .value = "FIRST-LAST",
         .help = "instance ports; default 3014-3113"},
        {.name = "cert-days", .kind = CCF_OPT_NUM, .dest = &cert_days, .value = "N",
         .help = "instance certificates live N days (default 1)", .min = 1, .max = 3650},
        {.name = "backend", .kind = CCF_OPT_STRING, .dest = &backend, .value = "NAME",
         .help = "process (default: local processes in bubblewrap) or kubernetes\n(a "
                 "ConfigMap, Pod and Service per instance; the --k8s-* flags)"},
        {.name = "kubeconfig", .kind = CCF_OPT_STRING, .dest = &k8s.kubeconfig, .value = "FILE",
         .nonempty = true,
         .help = "kubernetes: the API server and credentials (development);\ndefault: in-cluster "
                 "(the pod's service account)"},
        {.name = "k8s-context", .kind = CCF_OPT_STRING, .dest = &k8s.context, .value = "NAME",
         .nonempty = true, .help = "kubernetes: the kubeconfig context (default its current)"},
        {.name = "k8s-namespace", .kind = CCF_OPT_STRING, .dest = &k8s.namespace_, .value = "NS",
         .nonempty = true,
         .help = "kubernetes: where instances go (default the context's or\nthe service "
                 "account's namespace, else default)"},
        {.name = "k8s-image", .kind = CCF_OPT_STRING, .dest = &k8s.image, .value = "IMAGE",
         .nonempty = true,
         .help = "kubernetes: the image with ccfaas-runtime at --runtime's path\n(required)"},
        {.name = "k8s-platform-key-secret", .kind = CCF_OPT_STRING,
         .dest = &k8s.platform_key_secret, .value = "NAME", .nonempty = true,
         .help = "kubernetes: the Secret holding platform-key.pem, the\ndevelopment platform's "
                 "key (required; docs/deploy.md)"},
        {.name = "k8s-node-selector", .kind = CCF_OPT_STRING, .dest = &k8s.node_selector,
         .value = "K=V,..", .nonempty = true,
         .help = "kubernetes: the nodes instances may run on (TEE nodes)"},
        {.name = "k8s-resource", .kind = CCF_OPT_STRING, .dest = &k8s.resources,
         .value = "NAME=QTY,..", .nonempty = true,
         .help = "kubernetes: extra resources each pod requests and is limited\nto (e.g. "
                 "smarter-devices/nitro_enclaves=1)"},
        {.name = "k8s-cpu", .kind = CCF_OPT_STRING, .dest = &k8s.cpu, .value = "QTY",
         .nonempty = true, .help = "kubernetes: each pod's CPU request (default 100m)"},
        {.name = "k8s-owner", .kind = CCF_OPT_STRING, .dest = &k8s.owner, .value = "NAME",
         .nonempty = true,
         .help = "kubernetes: label ccfaas.io/vaas of this VaaS's objects (default\nvaas); "
                 "objects with it that no instance owns are deleted at start"},
        {.name = "k8s-service-account", .kind = CCF_OPT_STRING, .dest = &k8s.service_account,
         .value = "NAME", .nonempty = true,
         .help = "kubernetes: the pods' service account (default the namespace's;\nits token "
                 "is never mounted)"},
        {.name = "k8s-poll-ms", .kind = CCF_OPT_NUM, .dest = &k8s_poll_ms, .value = "MS",
         .help = "kubernetes: how often pods are checked for ended instances\n(default 1000)",
         .min = 100, .max = 60000},
        {.name = "no-sandbox", .kind = CCF_OPT_FLAG, .dest = &no_sandbox,
         .help = "run runtimes without bubblewrap (development only)"},
        {.name = "allow-debug", .kind = CCF_OPT_FLAG, .dest = &allow_debug,
         .help = "accept VaaS policies with \"debug\": true (403 otherwise; clients\nrefuse debug "
                 "instances unless their trust allows them)"},
        {.name = "ready-timeout", .kind = CCF_OPT_NUM, .dest = &ready_s, .value = "SECONDS",
         .help = "start-to-ready limit per instance (default 15)", .min = 1, .max = 600},
        {.name = "kbs", .kind = CCF_OPT_STRING, .dest = &kbs, .value = "URL", .nonempty = true,
         .help = "the key broker, http://HOST:PORT, that instances of functions\nwith encrypted "
                 "files fetch their keys from (default $KBS_URL;\nwithout one they are refused)"},
        {.name = "proxy-cert", .kind = CCF_OPT_STRING, .dest = &proxy_cert, .value = "FILE",
         .nonempty = true,
         .help = "the proxy's HTTPS certificate (PEM; required with an https://\n--proxy): "
                 "policies pin it as proxy_tls_cert"},
        {.name = "kbs-cert", .kind = CCF_OPT_STRING, .dest = &kbs_cert, .value = "FILE",
         .nonempty = true,
         .help = "the key broker's TLS certificate (PEM; required with an https\n--kbs): "
                 "policies pin it as kbs_cert"},
        {.name = "instance-memory-mib", .kind = CCF_OPT_NUM, .dest = &mem_mib, .value = "N",
         .help = "most memory of one runtime (default: what its policy\nallows; docs/vaas.md)",
         .min = 0, .max = 1L << 24},
        {.name = "instance-cpu-seconds", .kind = CCF_OPT_NUM, .dest = &cpu_s, .value = "N",
         .help = "CPU seconds one runtime may use in all (default 0: no limit)", .min = 0,
         .max = 1L << 30},
        {.name = "threads", .kind = CCF_OPT_NUM, .dest = &threads, .value = "N",
         .help = "HTTP worker threads (default 8)", .min = 1, .max = 256},
        {.name = "quiet", .kind = CCF_OPT_FLAG, .dest = &quiet, .help = "no request log on stderr"},
        CCF_CLI_TLS_OPTS(tls),
        CCF_CLI_LIMIT_OPTS(tls),
        {0}};
    if ((rc = ccf_opt_run(&cmd, opts, argc, argv, NULL)) >= 0)
        return rc;
    rc = CCF_EXIT_FAIL;
    if (kbs != NULL && ((strncmp(kbs, "http://", 7) != 0 && strncmp(kbs, "https://", 8) != 0) ||
                        strchr(kbs, ':')[3] == '\0'))
        return ccf_opt_error(&cmd, "--kbs / KBS_URL: expected http(s)://HOST:PORT (the key "
                                   "broker's URL), got '%s'", kbs);
    if (kbs != NULL && strncmp(kbs, "https://", 8) == 0 && kbs_cert == NULL)
        return ccf_opt_error(&cmd, "--kbs %s: an https key broker needs --kbs-cert FILE (its "
                                   "certificate, which the instances pin)", kbs);
    if (ports != NULL && !parse_range(ports, &first, &last))
        return ccf_opt_error(&cmd, "--ports: expected FIRST-LAST with 1 <= FIRST <= LAST <= "
                                   "65535, got '%s'", ports);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    uint8_t m[32];
    if (runtime == NULL) {
        if (!ccf_cli_default_runtime(rt_path, sizeof rt_path, m)) {
            fprintf(stderr, "ccfaas serve vaas: no ccfaas-runtime beside ccfaas; use --runtime\n");
            goto out;
        }
        runtime = rt_path;
    }
    if (key == NULL) {
        snprintf(key_path, sizeof key_path, "%s/%s", data_dir, CCF_PLATFORM_KEY_FILE);
        key = key_path;
    }
    char ca_default[PATH_MAX];
    snprintf(ca_default, sizeof ca_default, "%s/%s", data_dir, CCF_PROXY_CA_CERT_FILE);
    if (ca_file == NULL && access(ca_default, R_OK) == 0)
        ca_file = ca_default;
    size_t ca_len = 0;
    if (ca_file != NULL ? ccf_file_read(ca_file, 64 * 1024, &ca, &ca_len, err, sizeof err) != CCF_OK
                        : (ca = fetch_ca(proxy, err, sizeof err)) == NULL) {
        fprintf(stderr, "ccfaas serve vaas: proxy CA certificate: %s\n", err);
        goto out;
    }
    size_t kcl = 0;
    if (proxy_cert != NULL &&
        ccf_file_read(proxy_cert, 65536, &proxy_cert_pem, &kcl, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas serve vaas: --proxy-cert %s: %s\n", proxy_cert, err);
        goto out;
    }
    if (kbs_cert != NULL &&
        ccf_file_read(kbs_cert, 65536, &kbs_cert_pem, &kcl, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas serve vaas: --kbs-cert %s: %s\n", kbs_cert, err);
        goto out;
    }
    ccf_vaas_config vc = {.data_dir = data_dir, .runtime_path = runtime, .platform_key_path = key,
                          .proxy_url = proxy, .proxy_ca_pem = ca, .host = host,
                          .proxy_tls_cert_pem = proxy_cert_pem,
                          .port_first = (uint16_t)first, .port_last = (uint16_t)last,
                          .cert_days = (unsigned)cert_days, .backend = backend, .k8s = &k8s,
                          .no_sandbox = no_sandbox, .allow_debug = allow_debug,
                          .ready_timeout_ms = (unsigned)ready_s * 1000,
                          .kbs_url = kbs,
                          .kbs_cert_pem = kbs_cert_pem,
                          .instance_memory_mib = (unsigned)mem_mib,
                          .instance_cpu_seconds = (unsigned)cpu_s};
    k8s.poll_ms = (unsigned)k8s_poll_ms;
    if (ccf_vaas_new(&vc, &vaas, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas serve vaas: %s\n", err);
        goto out;
    }
    if ((rc = ccf_cli_serve_start_tls("vaas", listen, (unsigned)threads, quiet, &tls, mount, vaas, &srv)) !=
        CCF_EXIT_OK)
        goto out;
    printf("ccfaas VaaS\n");
    ccf_cli_print_listening(listen, srv);
    printf("  runtime:   %s\n", runtime);
    printf("  proxy:     %s (CA from %s)\n", proxy, ca_file ? ca_file : "its GET /ca");
    bool on_k8s = backend != NULL && strcmp(backend, "kubernetes") == 0;
    printf("  instances: %s, ports %ld-%ld, %s\n",
           host ? host : on_k8s ? "NAME.NAMESPACE.svc" : "127.0.0.1",
           first ? first : CCF_VAAS_FIRST_INSTANCE_PORT,
           last ? last : (first ? first : CCF_VAAS_FIRST_INSTANCE_PORT) + 99,
           on_k8s ? "kubernetes pods" : no_sandbox ? "no sandbox (development only)"
                                                   : "inside bubblewrap");
    fflush(stdout);
    int sig = ccf_http_wait_stop_signal();
    printf("stopping (signal %d): %zu instance(s) to stop\n", sig, ccf_vaas_live_count(vaas));
    fflush(stdout);
    rc = CCF_EXIT_OK;
out:
    ccf_http_server_free(srv); /* no handler runs after this */
    ccf_vaas_free(vaas);       /* stops the instances */
    free(ca);
    free(kbs_cert_pem);
    free(proxy_cert_pem);
    curl_global_cleanup();
    return rc;
}
