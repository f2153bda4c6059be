/* `ccfaas serve workorder`: the work-order listener (EEA Trusted Compute /
 * Hyperledger Avalon JSON-RPC) in the foreground until SIGINT or SIGTERM
 * (issue 19, docs/workorders.md). */
#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "client/trust_file.h"
#include "net/http_server.h"
#include "workorder/workorder.h"

static ccf_err mount(void *svc, ccf_http_server *srv)
{
    return ccf_wo_service_mount(svc, srv);
}

int ccf_serve_workorder(int argc, char **argv)
{
    const char *listen = "127.0.0.1:1947", *data_dir = "workorder-data", *trust_path = NULL;
    const char *cert = NULL, *key = NULL;
    long threads = 4, timeout = 300;
    bool quiet = false;
    ccf_wo_service *svc = NULL;
    ccf_http_server *srv = NULL;
    ccf_trust *trust = NULL;
    struct ccf_cli_tls tls = {0};
    char err[1024], tpath[4096];
    int rc;

    const ccf_opt_cmd cmd = {
        .cmd = "serve workorder",
        .about = "Work orders: EEA Trusted Compute 1.1 JSON-RPC (Hyperledger Avalon's listener\n"
                 "protocol) whose workers are attested ccfaas instances (docs/workorders.md).\n"
                 "Avalon's clients use it unchanged: generic_client.py --uri http://HOST:1947.\n"};
    const ccf_opt opts[] = {
        {.name = "listen", .kind = CCF_OPT_STRING, .dest = &listen, .value = "ADDR:PORT",
         .nonempty = true,
         .help = "default 127.0.0.1:1947 (port 0: any free port; the bound\naddress is printed "
                 "as `listening: http://ADDR:PORT`)"},
        {.name = "data-dir", .kind = CCF_OPT_STRING, .dest = &data_dir, .value = "DIR",
         .nonempty = true,
         .help = "workorders.db, the listener's identity (workorder.crt/.key,\nmade once), "
                 "workers' policies, auth/tokens.json; default\n./workorder-data"},
        {.name = "trust", .kind = CCF_OPT_STRING, .dest = &trust_path, .value = "FILE",
         .nonempty = true,
         .help = "the anchors worker instances must chain to (docs/trust.md);\ndefault "
                 "$CCFAAS_TRUST, then ~/.config/ccfaas/trust.json"},
        {.name = "identity", .kind = CCF_OPT_STRING, .dest = &cert, .value = "CERT",
         .nonempty = true, .help = "the listener's identity towards instances (with --key)"},
        {.name = "key", .kind = CCF_OPT_STRING, .dest = &key, .value = "KEY", .nonempty = true,
         .help = "its private key"},
        {.name = "instance-timeout", .kind = CCF_OPT_NUM, .dest = &timeout, .value = "SECONDS",
         .help = "longest relayed work order (default 300)", .min = 1, .max = 86400},
        {.name = "threads", .kind = CCF_OPT_NUM, .dest = &threads, .value = "N",
         .help = "HTTP worker threads (default 4)", .min = 1, .max = 256},
        {.name = "quiet", .kind = CCF_OPT_FLAG, .dest = &quiet, .help = "no request log on stderr"},
        CCF_CLI_TLS_OPTS(tls),
        CCF_CLI_LIMIT_OPTS(tls),
        {0}};
    if ((rc = ccf_opt_run(&cmd, opts, argc, argv, NULL)) >= 0)
        return rc;
    if ((cert == NULL) != (key == NULL)) {
        fprintf(stderr, "ccfaas serve workorder: --identity and --key go together\n");
        return CCF_EXIT_USAGE;
    }
    rc = CCF_EXIT_FAIL;
    if (ccf_trust_file_path(trust_path, tpath, sizeof tpath, err, sizeof err) != CCF_OK ||
        ccf_trust_file_load(tpath, &trust, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas serve workorder: %s\n", err);
        return CCF_EXIT_USAGE;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT); /* before any thread: relays use libcurl */
    ccf_wo_config wc = {.data_dir = data_dir, .cert_path = cert, .key_path = key, .trust = trust,
                        .instance_timeout_s = timeout};
    if (ccf_wo_service_new(&wc, &svc, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas serve workorder: %s\n", err);
        goto out;
    }
    if ((rc = ccf_cli_serve_start_tls("workorder", listen, (unsigned)threads, quiet, &tls, mount, svc,
                                      &srv)) !=
        CCF_EXIT_OK)
        goto out;
    printf("ccfaas work-order listener (EEA Trusted Compute / Avalon JSON-RPC)\n");
    ccf_cli_print_listening(listen, srv);
    printf("  identity:  %s (grant it the execute right on the workload programs)\n",
           ccf_wo_service_cert_path(svc));
    printf("  trust:     %s\n", tpath);
    printf("  database:  %s/workorders.db\n", data_dir);
    fflush(stdout);
    int sig = ccf_http_wait_stop_signal();
    printf("stopping (signal %d)\n", sig);
    fflush(stdout);
    rc = CCF_EXIT_OK;
out:
    ccf_http_server_free(srv);
    ccf_wo_service_free(svc);
    ccf_trust_free(trust);
    curl_global_cleanup();
    return rc;
}
