/* The three services of `ccfaas up` (proxy attestation, VaaS, CCFaaS) in this
 * process: what `ccfaas up` (cmd_up.c) and `ccfaas demo` (cmd_demo.c) share.
 * Internal to src/cli. */
#ifndef CCF_CLI_UP_H
#define CCF_CLI_UP_H

#include <limits.h>
#include <stdbool.h>

#include "ccfaas/ccfaas.h"
#include "kbs/kbs.h"
#include "common/error.h"
#include "net/http_server.h"
#include "proxy/proxy.h"
#include "vaas/vaas.h"
#include "s3stream/s3stream.h"
#include "workorder/workorder.h"

enum { SVC_PROXY, SVC_VAAS, SVC_CCFAAS, SVC_COUNT };

struct up_opts {
    const char *data_dir;
    const char *db; /* CCFaaS's store: a SQLite file or postgresql:// URL; NULL = DIR/ccfaas.db */
    const char *host;
    long port[SVC_COUNT];
    long kbs_port; /* the key broker's (its own server: Trustee's cookies and errors) */
    /* the work-order listener's (JSON-RPC, its own server; issue 19); -1: the
     * default 1947, and a taken port only skips the listener */
    long workorder_port;
    long s3stream_port; /* the S3 stream service's (issue 18); -1: 5020, a taken one skips it */
    long first, last; /* instance ports */
    long max_instances_per_user, max_mib_per_operator; /* CCFaaS quotas, 0 = none */
    long instance_memory_mib, instance_cpu_seconds;     /* VaaS's runtime limits, 0 = default */
    long per_address, deadline_s; /* every listener's limits per caller, 0 = default (CCF_CLI_LIMIT_OPTS) */
    bool no_sandbox, quiet;
    bool tls; /* HTTPS with the data directory's service CA (docs/auth.md "TLS") */
};

/* The three services and their servers; owned by ccf_cli_up_start's caller
 * until ccf_cli_up_stop. */
struct up {
    ccf_proxy *proxy;
    ccf_vaas *vaas;
    ccf_ccfaas *ccfaas;
    ccf_http_server *srv[SVC_COUNT];
    ccf_kbs *kbs;             /* started last, stopped first; NULL without listening */
    char kbs_url[320];
    ccf_wo_service *wo;       /* the work-order listener (started last); NULL without it */
    ccf_http_server *wo_srv;
    ccf_trust *wo_trust;
    char wo_url[320];
    char wo_tls_cert[PATH_MAX + 64], wo_tls_key[PATH_MAX + 64];
    char wo_skipped[400]; /* why the listener was not started (default port taken), or "" */
    ccf_s3stream *s3;         /* the S3 stream service (issue 18); NULL without it */
    ccf_http_server *s3_srv;
    char s3_url[320], s3_skipped[400];
    char s3_tls_cert[PATH_MAX + 64], s3_tls_key[PATH_MAX + 64];
    char url[SVC_COUNT][320]; /* http://HOST:PORT */
    char hostport[SVC_COUNT][300];
    char runtime[PATH_MAX + 64];
    char key_path[PATH_MAX + 64];
    char trust_path[PATH_MAX + 64]; /* DATA_DIR/trust.json for this local platform */
    char admin_token_path[PATH_MAX + 64]; /* DATA_DIR/admin.token (0600) */
    bool admin_token_created;             /* made at this start (else reused) */
    /* --tls: the service CA, each service's certificate and key, the admin's
     * client certificate (DATA_DIR/admin.crt, .key) */
    char ca_path[PATH_MAX + 64];
    char tls_cert[SVC_COUNT][PATH_MAX + 64], tls_key[SVC_COUNT][PATH_MAX + 64];
    char admin_cert_path[PATH_MAX + 64], admin_key_path[PATH_MAX + 64];
    char *proxy_tls_pem; /* the proxy's certificate, pinned by the policies */
    bool made_data_dir; /* DATA_DIR did not exist before this start: removed if it fails */
};

/* `ccfaas up`'s defaults: ./ccfaas-data, 127.0.0.1, ports 3010/5000/5010,
 * instance ports 3014-3113. */
void ccf_cli_up_defaults(struct up_opts *o);
/* Before the services: DATA_DIR/auth/tokens.json gets an "admin" caller whose
 * token goes to DATA_DIR/admin.token (0600), and a "ccfaas-service" caller
 * (role service) whose token CCFaaS sends to VaaS (DATA_DIR/auth/service.token),
 * each made once, on first start (docs/auth.md). Then: */
/* Creates, mounts and (when `listen`) starts the three services in order:
 * VaaS needs the proxy's address and CA, CCFaaS the VaaS URL; writes (or adds
 * to) DATA_DIR/trust.json: the proxy's CA, the runtime's measurement and the
 * development platform, the anchors a client of this host needs. On failure
 * everything made so far is stopped and freed, and a data directory this start
 * created is removed again (no CA keys left behind by a start that failed). CCF_ERR_UNSUPPORTED when
 * bubblewrap cannot make a sandbox here. */
ccf_err ccf_cli_up_start(const struct up_opts *o, struct up *u, bool listen, char *err,
                         size_t err_size);
/* Stops the servers (CCFaaS first), then frees the services; VaaS stops
 * every instance it still runs. */
void ccf_cli_up_stop(struct up *u);
/* The services' URLs, CA, runtime and platform, one per line. */
void ccf_cli_up_print_urls(const struct up_opts *o, const struct up *u, const char *indent);
/* rm -rf dir (never follows symbolic links). */
void ccf_cli_remove_tree(const char *dir);

#endif
