/* Subcommands of the `ccfaas` executable. Each takes argv after its own name
 * (argv[0] = the subcommand) and returns the process exit code:
 * 0 success, 1 the operation failed (invalid input, refused, I/O), 2 usage error. */
#ifndef CCF_CLI_COMMANDS_H
#define CCF_CLI_COMMANDS_H

#define CCF_EXIT_OK 0
#define CCF_EXIT_FAIL 1
#define CCF_EXIT_USAGE 2

int ccf_cmd_policy(int argc, char **argv);
int ccf_cmd_wasm(int argc, char **argv);
int ccf_cmd_serve(int argc, char **argv);    /* `ccfaas serve SERVICE` */
int ccf_cmd_identity(int argc, char **argv); /* `ccfaas identity new` */
int ccf_cmd_attest(int argc, char **argv);   /* `ccfaas attest verify` (TEE evidence) */
int ccf_cmd_wasm_run(int argc, char **argv); /* `ccfaas wasm run` */
/* --strategy jit|interp of the wasm commands (cmd_wasm.c): "jit" compiles the loaded module
 * (src/wasm/jit.h; a module with v128 values stays interpreted, with a note on stderr).
 * -1 on success, else the exit status (usage error for another name). */
struct ccf_wasm_module;
int ccf_cli_wasm_strategy(const char *cmd, const char *path, struct ccf_wasm_module *m, const char *strategy);
int ccf_cmd_client(int argc, char **argv);
int ccf_cmd_function(int argc, char **argv); /* `ccfaas function` (CCFaaS REST) */
int ccf_cmd_instance(int argc, char **argv); /* `ccfaas instance` (CCFaaS REST) */
int ccf_cmd_task(int argc, char **argv);     /* `ccfaas task` (CCFaaS tasks, cmd_task.c) */
int ccf_cmd_compute(int argc, char **argv);  /* `ccfaas compute` (Cocos manifests, cmd_task.c) */
int ccf_cmd_up(int argc, char **argv);       /* proxy + VaaS + CCFaaS in one process */
int ccf_cmd_demo(int argc, char **argv);     /* the spec's flow end to end (make demo) */
int ccf_cmd_user(int argc, char **argv);     /* `ccfaas user add|list|revoke` */
int ccf_cmd_ca(int argc, char **argv);       /* `ccfaas ca init|issue|show` (service CA) */
int ccf_cmd_trust(int argc, char **argv);    /* `ccfaas trust add|list|remove` */
int ccf_cmd_measure(int argc, char **argv);  /* `ccfaas measure [RUNTIME]` */
int ccf_serve_vaas(int argc, char **argv);   /* `ccfaas serve vaas` */
int ccf_serve_ccfaas(int argc, char **argv); /* `ccfaas serve ccfaas` */
int ccf_cmd_kbs(int argc, char **argv); int ccf_serve_kbs(int argc, char **argv); /* issue 17 */
int ccf_serve_workorder(int argc, char **argv); int ccf_cmd_workorder(int argc, char **argv); /* issue 19 */
int ccf_serve_s3stream(int argc, char **argv); /* issue 18: the S3 stream service */
int ccf_cmd_encrypt(int argc, char **argv);  /* `ccfaas encrypt` (envelopes, docs/kbs.md) */
int ccf_cmd_decrypt(int argc, char **argv);  /* `ccfaas decrypt` */

/* Shared helpers of the subcommands. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
/* `ccfaas policy show`'s listing of a valid policy on stdout: its settings,
 * programs and data files with their hashes, who may do what to which file. */
struct ccf_policy;
void ccf_cli_policy_show(const char *file, const struct ccf_policy *p, const char *hash);
/* The directory of this executable (from /proc/self/exe). */
bool ccf_cli_self_dir(char *out, size_t size);
/* The ccfaas-runtime beside this executable (an installation) or in the
 * build tree (src/cli/../runtime/): its path and measurement (SHA-256). */
bool ccf_cli_default_runtime(char *path, size_t size, uint8_t measurement[32]);

#include "common/error.h"
#include "net/http_server.h"
/* `ccfaas serve SERVICE`: a server on listen with the service's routes
 * (mount(svc, srv)), stop signals blocked, started. Errors are printed;
 * returns an exit code (CCF_EXIT_OK when serving). *srv is freed by the caller
 * in every case. */
typedef ccf_err (*ccf_cli_mount_fn)(void *svc, ccf_http_server *srv);
int ccf_cli_serve_start(const char *service, const char *listen, unsigned threads, bool quiet,
                        ccf_cli_mount_fn mount, void *svc, ccf_http_server **srv);
/* A service's listener: HTTPS (docs/auth.md "TLS": its certificate and key,
 * and the platform service CA: client certificates of callers; the services
 * it calls must chain to it, and it presents its own certificate to them), and
 * the limits per caller (docs/auth.md "Limits"; 0 = the server's default). */
struct ccf_cli_tls {
    const char *cert, *key, *ca;
    long per_address, deadline_s;
};
/* The two limit options of every control-plane listener, for option tables. */
#define CCF_CLI_LIMIT_OPTS(t)                                                                      \
    {.name = "max-connections-per-address", .kind = CCF_OPT_NUM, .dest = &(t).per_address,       \
     .value = "N",                                                                                 \
     .help = "connections one client address may hold; more are\nclosed at once (default 64)",   \
     .min = 1, .max = 1024},                                                                       \
    {.name = "request-deadline", .kind = CCF_OPT_NUM, .dest = &(t).deadline_s,                    \
     .value = "SECONDS",                                                                           \
     .help = "a request must arrive whole within this time, however\nslowly its bytes come "     \
             "(default 60)",                                                                       \
     .min = 1, .max = 3600}
/* The three TLS options of every `ccfaas serve` command, for its option table. */
#define CCF_CLI_TLS_OPTS(t)                                                                        \
    {.name = "tls-cert", .kind = CCF_OPT_STRING, .dest = &(t).cert, .value = "FILE",              \
     .nonempty = true,                                                                             \
     .help = "serve HTTPS with this certificate (PEM; with --tls-key),\ne.g. one `ccfaas ca "      \
             "issue` made"},                                                                       \
    {.name = "tls-key", .kind = CCF_OPT_STRING, .dest = &(t).key, .value = "FILE",                \
     .nonempty = true, .help = "its private key (PEM)"},                                          \
    {.name = "tls-ca", .kind = CCF_OPT_STRING, .dest = &(t).ca, .value = "FILE",                  \
     .nonempty = true,                                                                             \
     .help = "the platform service CA: callers may authenticate with\nits client certificates; "   \
             "services this one calls\nmust chain to it"}
/* As ccf_cli_serve_start, over HTTPS when tls->cert is set (tls may be
 * NULL); also makes tls the process's client settings (net/http_client.h). */
int ccf_cli_serve_start_tls(const char *service, const char *listen, unsigned threads, bool quiet,
                            const struct ccf_cli_tls *tls, ccf_cli_mount_fn mount, void *svc,
                            ccf_http_server **srv);
/* "  listening: http://HOST:PORT" (https when TLS) with the bound port. */
void ccf_cli_print_listening(const char *listen, const ccf_http_server *srv);

#endif
