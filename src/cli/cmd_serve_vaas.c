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
#include "common/file.h"
#include "net/http_client.h"
#include "net/http_server.h"
#include "vaas/vaas.h"

static const char usage[] =
    "usage: ccfaas serve vaas [--listen ADDR:PORT] [--data-dir DIR] [--proxy HOST:PORT]\n"
    "                         [--proxy-ca FILE] [--runtime PATH] [--platform-key FILE]\n"
    "                         [--host H] [--ports FIRST-LAST] [--cert-days N]\n"
    "                         [--backend process] [--no-sandbox] [--allow-debug]\n"
    "                         [--ready-timeout SECONDS]\n"
    "                         [--threads N] [--quiet]\n"
    "\n"
    "VaaS: completes VaaS policies into full policies and starts an attested\n"
    "ccfaas-runtime for each (POST/GET /veracruz, GET/DELETE /veracruz/NAME; docs/vaas.md).\n"
    "\n"
    "  --listen ADDR:PORT    default 127.0.0.1:5000 (port 0: any free port; printed as\n"
    "                        `listening: http://ADDR:PORT`)\n"
    "  --data-dir DIR        instance directories (DIR/vaas/NAME); default ./ccfaas-data\n"
    "  --proxy HOST:PORT     the proxy attestation service written into policies; default\n"
    "                        $PROXY_URL, else 127.0.0.1:3010\n"
    "  --proxy-ca FILE       its CA certificate (the policies' proxy_service_cert); default\n"
    "                        DIR/proxy-ca.crt when it exists, else fetched from GET /ca\n"
    "  --runtime PATH        ccfaas-runtime; default the one beside ccfaas\n"
    "  --platform-key FILE   development platform key handed to runtimes; default\n"
    "                        DIR/platform-key.pem (the proxy creates it)\n"
    "  --host H              host in the policies' veracruz_server_url and the address\n"
    "                        runtimes listen on; default 127.0.0.1\n"
    "  --ports FIRST-LAST    instance ports; default 3014-3113\n"
    "  --cert-days N         instance certificates live N days (default 1)\n"
    "  --backend NAME        process (default; kubernetes is not supported yet)\n"
    "  --no-sandbox          run runtimes without bubblewrap (development only)\n"
    "  --allow-debug         accept VaaS policies with \"debug\": true (403 otherwise; clients\n"
    "                        refuse debug instances unless their trust allows them)\n"
    "  --ready-timeout SECS  start-to-ready limit per instance (default 15)\n"
    "  --threads N           HTTP worker threads (default 8)\n"
    "  --quiet               no request log on stderr\n";

static bool parse_range(const char *s, long *lo, long *hi)
{
    char buf[32];
    const char *dash = strchr(s, '-');
    if (dash == NULL || (size_t)(dash - s) >= sizeof buf)
        return false;
    memcpy(buf, s, (size_t)(dash - s));
    buf[dash - s] = '\0';
    return ccf_cli_parse_num(buf, 1, 65535, lo) && ccf_cli_parse_num(dash + 1, 1, 65535, hi) &&
           *lo <= *hi;
}

/* The proxy's CA certificate from its GET /ca. */
static char *fetch_ca(const char *proxy, char *err, size_t err_size)
{
    char url[512];
    ccf_http_reply r = {0};
    snprintf(url, sizeof url, "%s%s/ca", strncmp(proxy, "http://", 7) == 0 ? "" : "http://",
             proxy);
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
    const char *proxy = getenv("PROXY_URL");
    long first = 0, last = 0, cert_days = 1, ready_s = 15, threads = 8;
    bool quiet = false, no_sandbox = false, allow_debug = false;
    char *ca = NULL, err[1024], key_path[PATH_MAX], rt_path[PATH_MAX];
    ccf_vaas *vaas = NULL;
    ccf_http_server *srv = NULL;
    int rc = CCF_EXIT_FAIL;
    if (proxy == NULL || proxy[0] == '\0')
        proxy = "127.0.0.1:3010";

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            return CCF_EXIT_OK;
        } else if (strcmp(a, "--quiet") == 0) {
            quiet = true;
            continue;
        } else if (strcmp(a, "--no-sandbox") == 0) {
            no_sandbox = true;
            continue;
        } else if (strcmp(a, "--allow-debug") == 0) {
            allow_debug = true;
            continue;
        } else if (v == NULL || strncmp(a, "--", 2) != 0) {
            fprintf(stderr, "ccfaas serve vaas: %s: unknown option or missing value (see "
                            "--help)\n", a);
            return CCF_EXIT_USAGE;
        }
        i++;
        bool ok = true;
        if (strcmp(a, "--listen") == 0)
            listen = v;
        else if (strcmp(a, "--data-dir") == 0)
            data_dir = v;
        else if (strcmp(a, "--proxy") == 0)
            proxy = v;
        else if (strcmp(a, "--proxy-ca") == 0)
            ca_file = v;
        else if (strcmp(a, "--runtime") == 0)
            runtime = v;
        else if (strcmp(a, "--platform-key") == 0)
            key = v;
        else if (strcmp(a, "--host") == 0)
            host = v;
        else if (strcmp(a, "--backend") == 0)
            backend = v;
        else if (strcmp(a, "--ports") == 0)
            ok = parse_range(v, &first, &last);
        else if (strcmp(a, "--cert-days") == 0)
            ok = ccf_cli_parse_num(v, 1, 3650, &cert_days);
        else if (strcmp(a, "--ready-timeout") == 0)
            ok = ccf_cli_parse_num(v, 1, 600, &ready_s);
        else if (strcmp(a, "--threads") == 0)
            ok = ccf_cli_parse_num(v, 1, 256, &threads);
        else {
            fprintf(stderr, "ccfaas serve vaas: unknown option '%s' (see --help)\n", a);
            return CCF_EXIT_USAGE;
        }
        if (!ok) {
            fprintf(stderr, "ccfaas serve vaas: %s: invalid value '%s' (see --help)\n", a, v);
            return CCF_EXIT_USAGE;
        }
    }
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
    ccf_vaas_config vc = {.data_dir = data_dir, .runtime_path = runtime, .platform_key_path = key,
                          .proxy_url = proxy, .proxy_ca_pem = ca, .host = host,
                          .port_first = (uint16_t)first, .port_last = (uint16_t)last,
                          .cert_days = (unsigned)cert_days, .backend = backend,
                          .no_sandbox = no_sandbox, .allow_debug = allow_debug,
                          .ready_timeout_ms = (unsigned)ready_s * 1000};
    if (ccf_vaas_new(&vc, &vaas, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas serve vaas: %s\n", err);
        goto out;
    }
    if ((rc = ccf_cli_serve_start("vaas", listen, (unsigned)threads, quiet, mount, vaas, &srv)) !=
        CCF_EXIT_OK)
        goto out;
    printf("ccfaas VaaS\n");
    ccf_cli_print_listening(listen, srv);
    printf("  runtime:   %s\n", runtime);
    printf("  proxy:     %s (CA from %s)\n", proxy, ca_file ? ca_file : "its GET /ca");
    printf("  instances: %s, ports %ld-%ld, %s\n", host ? host : "127.0.0.1",
           first ? first : CCF_VAAS_FIRST_INSTANCE_PORT,
           last ? last : (first ? first : CCF_VAAS_FIRST_INSTANCE_PORT) + 99,
           no_sandbox ? "no sandbox (development only)" : "inside bubblewrap");
    fflush(stdout);
    int sig = ccf_http_wait_stop_signal();
    printf("stopping (signal %d): %zu instance(s) to stop\n", sig, ccf_vaas_live_count(vaas));
    fflush(stdout);
    rc = CCF_EXIT_OK;
out:
    ccf_http_server_free(srv); /* no handler runs after this */
    ccf_vaas_free(vaas);       /* stops the instances */
    free(ca);
    curl_global_cleanup();
    return rc;
}
