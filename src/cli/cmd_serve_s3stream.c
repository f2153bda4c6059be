/* `ccfaas serve s3stream`: the S3 stream service (issue 18, docs/s3stream.md;
 * the users' reference's "Iotex S3 app") in the foreground until SIGINT or
 * SIGTERM. */
#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "net/http_server.h"
#include "s3stream/s3stream.h"

static ccf_err mount(void *svc, ccf_http_server *srv) { return ccf_s3stream_mount(svc, srv); }

int ccf_serve_s3stream(int argc, char **argv)
{
    const char *listen = "127.0.0.1:5020", *data_dir = "s3stream-data";
    long threads = 4, max_running = 8, per_caller = 4, buffer_mib = 4;
    bool quiet = false;
    ccf_s3stream *svc = NULL;
    ccf_http_server *srv = NULL;
    struct ccf_cli_tls tls = {0};
    char err[1024];
    int rc;

    const ccf_opt_cmd cmd = {
        .cmd = "serve s3stream",
        .about = "Streams objects from S3 into files of attested instances (docs/s3stream.md):\n"
                 "POST /s3_stream_veracruz with a job (S3 object and credentials, the instance's\n"
                 "policy, an identity and your trust configuration); the instance is verified\n"
                 "as `ccfaas client` does before a byte is sent.\n"};
    const ccf_opt opts[] = {
        {.name = "listen", .kind = CCF_OPT_STRING, .dest = &listen, .value = "ADDR:PORT",
         .nonempty = true,
         .help = "default 127.0.0.1:5020 (port 0: any free port; the bound\naddress is printed "
                 "as `listening: http://ADDR:PORT`)"},
        {.name = "data-dir", .kind = CCF_OPT_STRING, .dest = &data_dir, .value = "DIR",
         .nonempty = true,
         .help = "its callers: DIR/auth/tokens.json (`ccfaas user add\n--data-dir DIR`); default "
                 "./s3stream-data. Jobs' public\nrecords (state, bytes, error; never credentials)\nin DIR/s3stream-jobs"},
        {.name = "max-jobs", .kind = CCF_OPT_NUM, .dest = &max_running, .value = "N",
         .help = "jobs running at once (default 8; more: 429)", .min = 1, .max = 1024},
        {.name = "max-jobs-per-caller", .kind = CCF_OPT_NUM, .dest = &per_caller, .value = "N",
         .help = "jobs running per caller (default 4)", .min = 1, .max = 1024},
        {.name = "buffer-mib", .kind = CCF_OPT_NUM, .dest = &buffer_mib, .value = "N",
         .help = "bytes in flight per job between S3 and the instance\n(default 4)", .min = 1,
         .max = 1024},
        {.name = "threads", .kind = CCF_OPT_NUM, .dest = &threads, .value = "N",
         .help = "HTTP worker threads (default 4)", .min = 1, .max = 256},
        {.name = "quiet", .kind = CCF_OPT_FLAG, .dest = &quiet, .help = "no request log on stderr"},
        CCF_CLI_TLS_OPTS(tls),
        CCF_CLI_LIMIT_OPTS(tls),
        {0}};
    if ((rc = ccf_opt_run(&cmd, opts, argc, argv, NULL)) >= 0)
        return rc;
    rc = CCF_EXIT_FAIL;
    curl_global_init(CURL_GLOBAL_DEFAULT); /* before any thread: jobs use libcurl */
    ccf_s3stream_config sc = {.data_dir = data_dir,
                              .max_running = (unsigned)max_running,
                              .max_per_caller = (unsigned)per_caller,
                              .buffer_bytes = (size_t)buffer_mib << 20};
    if (ccf_s3stream_new(&sc, &svc, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas serve s3stream: %s\n", err);
        goto out;
    }
    if ((rc = ccf_cli_serve_start_tls("s3stream", listen, (unsigned)threads, quiet, &tls, mount, svc,
                                      &srv)) != CCF_EXIT_OK)
        goto out;
    printf("ccfaas S3 stream service\n");
    ccf_cli_print_listening(listen, srv);
    fflush(stdout);
    int sig = ccf_http_wait_stop_signal();
    printf("stopping (signal %d)\n", sig);
    fflush(stdout);
    rc = CCF_EXIT_OK;
out:
    ccf_http_server_free(srv);
    ccf_s3stream_free(svc); /* cancels running jobs: their instances see broken uploads */
    curl_global_cleanup();
    return rc;
}
