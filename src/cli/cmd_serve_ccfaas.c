/* `ccfaas serve ccfaas`: the CCFaaS service in the foreground until SIGINT or
 * SIGTERM (DESIGN §6, docs/ccfaas.md). */
#include <curl/curl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/http_client.h"
#include "ccfaas/ccfaas.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "net/http_server.h"

static ccf_err mount(void *svc, ccf_http_server *srv)
{
    return ccf_ccfaas_mount(svc, srv);
}

int ccf_serve_ccfaas(int argc, char **argv)
{
    const char *listen = "127.0.0.1:5010", *data_dir = "ccfaas-data", *db = NULL;
    const char *vaas = getenv("VAAS_URL"), *cipher = NULL;
    long max_mib = 256, threads = 4, max_instances = CCF_CCFAAS_DEFAULT_INSTANCES_PER_USER,
         max_owner_mib = CCF_CCFAAS_DEFAULT_MIB_PER_OPERATOR;
    bool quiet = false;
    ccf_ccfaas *svc = NULL;
    ccf_http_server *srv = NULL;
    struct ccf_cli_tls tls = {0};
    char err[1024];
    int rc = CCF_EXIT_FAIL;

    if (vaas == NULL || vaas[0] == '\0')
        vaas = "http://127.0.0.1:5000";
    const ccf_opt_cmd cmd = {
        .cmd = "serve ccfaas",
        .about = "CCFaaS: registers functions (program policies, programs, data files) and makes\n"
                 "instances of them through VaaS, loading each as its loader identity\n"
                 "(docs/ccfaas.md).\n"};
    const ccf_opt opts[] = {
        {.name = "listen", .kind = CCF_OPT_STRING, .dest = &listen, .value = "ADDR:PORT",
         .nonempty = true,
         .help = "default 127.0.0.1:5010 (port 0: any free port; the bound\naddress is printed "
                 "as `listening: http://ADDR:PORT`)"},
        {.name = "data-dir", .kind = CCF_OPT_STRING, .dest = &data_dir, .value = "DIR",
         .nonempty = true,
         .help = "loader identity (ccfaas-loader.crt/.key, created on first\nstart, reused after), "
                 "the database and instance files;\ndefault ./ccfaas-data"},
        {.name = "db", .kind = CCF_OPT_STRING, .dest = &db, .value = "FILE|URL", .nonempty = true,
         .help = "the store: a SQLite file (default DIR/ccfaas.db) or\n"
                 "postgresql://USER:PASSWORD@HOST:PORT/DB, which several\n"
                 "replicas may share (docs/ccfaas.md; the password is\nnever printed)"},
        {.name = "vaas", .kind = CCF_OPT_STRING, .dest = &vaas, .value = "URL", .nonempty = true,
         .help = "VaaS, http(s)://HOST:PORT; default $VAAS_URL or\nhttp://127.0.0.1:5000 "
                 "(https: mutual TLS with --tls-*)"},
        {.name = "ciphersuite", .kind = CCF_OPT_STRING, .dest = &cipher, .value = "NAME",
         .nonempty = true,
         .help = "ciphersuite of the VaaS policies made; default\n"
                 "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"},
        /* SQLite BLOBs: < 10^9 bytes */
        {.name = "max-upload-mib", .kind = CCF_OPT_NUM, .dest = &max_mib, .value = "N",
         .help = "largest program or data file, 1-900 (default 256)", .min = 1, .max = 900},
        {.name = "max-instances-per-user", .kind = CCF_OPT_NUM, .dest = &max_instances,
         .value = "N",
         .help = "live instances one caller may have; more get 429\n(default 16, 0: no limit)",
         .min = 0, .max = 1000000},
        {.name = "max-mib-per-operator", .kind = CCF_OPT_NUM, .dest = &max_owner_mib,
         .value = "N",
         .help = "MiB of programs and data files of one caller's\n"
                 "functions; more get 429 "
                 "(default 4096, 0: no limit)",
         .min = 0, .max = 1L << 30},
        {.name = "threads", .kind = CCF_OPT_NUM, .dest = &threads, .value = "N",
         .help = "HTTP worker threads (default 4)", .min = 1, .max = 256},
        {.name = "quiet", .kind = CCF_OPT_FLAG, .dest = &quiet, .help = "no request log on stderr"},
        CCF_CLI_TLS_OPTS(tls),
        CCF_CLI_LIMIT_OPTS(tls),
        {0}};
    if ((rc = ccf_opt_run(&cmd, opts, argc, argv, NULL)) >= 0)
        return rc;
    rc = CCF_EXIT_FAIL;
    if (!ccf_http_url_ok(vaas)) {
        /* a usage error, like every malformed flag value (exit 2) */
        fprintf(stderr, "ccfaas serve ccfaas: --vaas / VAAS_URL: expected http://HOST:PORT "
                        "or https://HOST:PORT (VaaS's URL), got '%s'\n", vaas);
        return CCF_EXIT_USAGE;
    }
    /* before any thread exists: the loader's client and the VaaS calls use curl */
    curl_global_init(CURL_GLOBAL_DEFAULT);

    char crt[PATH_MAX];
    snprintf(crt, sizeof crt, "%s/ccfaas-loader.crt", data_dir);
    bool had_loader = access(crt, F_OK) == 0;
    ccf_ccfaas_config cc = {.data_dir = data_dir, .db_path = db, .vaas_url = vaas,
                            .ciphersuite = cipher, .max_upload = (size_t)max_mib << 20,
                            .max_instances_per_owner = (uint32_t)max_instances,
                            .max_bytes_per_owner = (uint64_t)max_owner_mib << 20};
    if (ccf_ccfaas_new(&cc, &svc, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas serve ccfaas: %s\n", err);
        goto out;
    }
    if ((rc = ccf_cli_serve_start_tls("ccfaas", listen, (unsigned)threads, quiet, &tls, mount, svc,
                                      &srv)) != CCF_EXIT_OK)
        goto out;
    printf("ccfaas CCFaaS service\n");
    ccf_cli_print_listening(listen, srv);
    printf("  VaaS:      %s\n", vaas);
    printf("  database:  %s\n", ccf_ccfaas_db_name(svc)); /* never the URL's password */
    printf("  loader:    %s (%s; identity 0 of every VaaS policy made)\n", crt,
           had_loader ? "reused" : "created");
    printf("  max upload: %ld MiB\n", max_mib);
    fflush(stdout);
    int sig = ccf_http_wait_stop_signal();
    printf("stopping (signal %d)\n", sig);
    fflush(stdout);
    rc = CCF_EXIT_OK;
out:
    ccf_http_server_free(srv); /* graceful: running requests finish */
    ccf_ccfaas_free(svc);
    curl_global_cleanup();
    return rc;
}
