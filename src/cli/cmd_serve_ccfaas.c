/* `ccfaas serve ccfaas`: the CCFaaS service in the foreground until SIGINT or
 * SIGTERM (DESIGN §6, docs/ccfaas.md). */
#include <curl/curl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ccfaas/ccfaas.h"
#include "cli/commands.h"
#include "net/http_server.h"

static const char ccfaas_usage[] =
    "usage: ccfaas serve ccfaas [--listen ADDR:PORT] [--data-dir DIR] [--db FILE]\n"
    "                           [--vaas URL] [--ciphersuite NAME] [--max-upload-mib N]\n"
    "                           [--threads N] [--quiet]\n"
    "\n"
    "CCFaaS: registers functions (program policies, programs, data files) and makes\n"
    "instances of them through VaaS, loading each as its loader identity\n"
    "(docs/ccfaas.md).\n"
    "\n"
    "  --listen ADDR:PORT     default 127.0.0.1:5010 (port 0: any free port; the bound\n"
    "                         address is printed as `listening: http://ADDR:PORT`)\n"
    "  --data-dir DIR         loader identity (ccfaas-loader.crt/.key, created on first\n"
    "                         start, reused after), the database and instance files;\n"
    "                         default ./ccfaas-data\n"
    "  --db FILE              SQLite database; default DIR/ccfaas.db\n"
    "  --vaas URL             VaaS, http://HOST:PORT; default $VAAS_URL or\n"
    "                         http://127.0.0.1:5000\n"
    "  --ciphersuite NAME     ciphersuite of the VaaS policies made; default\n"
    "                         TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256\n"
    "  --max-upload-mib N     largest program or data file, 1-900 (default 256)\n"
    "  --threads N            HTTP worker threads (default 4)\n"
    "  --quiet                no request log on stderr\n";

static ccf_err mount(void *svc, ccf_http_server *srv)
{
    return ccf_ccfaas_mount(svc, srv);
}

int ccf_serve_ccfaas(int argc, char **argv)
{
    const char *listen = "127.0.0.1:5010", *data_dir = "ccfaas-data", *db = NULL;
    const char *vaas = getenv("VAAS_URL"), *cipher = NULL;
    long max_mib = 256, threads = 4;
    bool quiet = false;
    ccf_ccfaas *svc = NULL;
    ccf_http_server *srv = NULL;
    char err[1024];
    int rc = CCF_EXIT_FAIL;

    if (vaas == NULL || vaas[0] == '\0')
        vaas = "http://127.0.0.1:5000";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool takes = true;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(ccfaas_usage, stdout);
            return CCF_EXIT_OK;
        } else if (strcmp(a, "--quiet") == 0) {
            quiet = true;
            takes = false;
        } else if (v == NULL) {
            fprintf(stderr, "ccfaas serve ccfaas: %s: unknown option or missing value "
                            "(see --help)\n", a);
            return CCF_EXIT_USAGE;
        } else if (strcmp(a, "--listen") == 0) {
            listen = v;
        } else if (strcmp(a, "--data-dir") == 0) {
            data_dir = v;
        } else if (strcmp(a, "--db") == 0) {
            db = v;
        } else if (strcmp(a, "--vaas") == 0) {
            vaas = v;
        } else if (strcmp(a, "--ciphersuite") == 0) {
            cipher = v;
        } else if (strcmp(a, "--max-upload-mib") == 0) {
            if (!ccf_cli_parse_num(v, 1, 900, &max_mib)) { /* SQLite BLOBs: < 10^9 bytes */
                fprintf(stderr, "ccfaas serve ccfaas: --max-upload-mib: expected 1-900\n");
                return CCF_EXIT_USAGE;
            }
        } else if (strcmp(a, "--threads") == 0) {
            if (!ccf_cli_parse_num(v, 1, 256, &threads)) {
                fprintf(stderr, "ccfaas serve ccfaas: --threads: expected 1-256\n");
                return CCF_EXIT_USAGE;
            }
        } else {
            fprintf(stderr, "ccfaas serve ccfaas: unknown option '%s' (see --help)\n", a);
            return CCF_EXIT_USAGE;
        }
        if (takes)
            i++;
    }
    /* before any thread exists: the loader's client and the VaaS calls use curl */
    curl_global_init(CURL_GLOBAL_DEFAULT);

    char crt[PATH_MAX];
    snprintf(crt, sizeof crt, "%s/ccfaas-loader.crt", data_dir);
    bool had_loader = access(crt, F_OK) == 0;
    ccf_ccfaas_config cc = {.data_dir = data_dir, .db_path = db, .vaas_url = vaas,
                            .ciphersuite = cipher, .max_upload = (size_t)max_mib << 20};
    if (ccf_ccfaas_new(&cc, &svc, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas serve ccfaas: %s\n", err);
        goto out;
    }
    if ((rc = ccf_cli_serve_start("ccfaas", listen, (unsigned)threads, quiet, mount, svc, &srv)) !=
        CCF_EXIT_OK)
        goto out;
    printf("ccfaas CCFaaS service\n");
    ccf_cli_print_listening(listen, srv);
    printf("  VaaS:      %s\n", vaas);
    if (db != NULL)
        printf("  database:  %s\n", db);
    else
        printf("  database:  %s/ccfaas.db\n", data_dir);
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
