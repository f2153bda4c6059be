/* VaaS: allocates runtime instances for VaaS policies (DESIGN §1 step 4, §6;
 * the spec's VaaS table). `ccfaas serve vaas` and `ccfaas up` mount it on a
 * ccf_http_server.
 *
 * Routes:
 *   POST   /veracruz          VaaS policy (JSON text) -> 200
 *                             {"instance_id","instance_hash","policy":"<full policy text>"}
 *                             400 invalid policy (errors with JSON paths), 403
 *                             debug_not_allowed ("debug": true without --allow-debug), 409 instance_id in
 *                             use, 507 no free port, 502 runtime failed to start (stderr tail)
 *   GET    /veracruz          [?instance_id=..&instance_hash=..] -> {"instances":[status...]}
 *   GET    /veracruz/<name>   -> status {"instance_id","instance_hash","status":
 *                             "starting|ready|exited","exit_code"?,"signal"?,"since","url",
 *                             "backend"}
 *   DELETE /veracruz/<name>   ?instance_id=<name>&instance_hash=<hash>, both must match -> 200
 *
 * Completion of a VaaS policy into a full policy: proxy_attestation_server_url
 * and proxy_service_cert from the config, runtime_manager_hash_linux = the
 * measurement of the runtime executable, runtime_manager_hash_{nitro,sgx,tz,
 * sevsnp,tdx} = "" (not offered), enclave_cert_expiry = now + cert_days,
 * std_streams_table default (stdin/stdout/stderr files) when absent,
 * veracruz_server_url = host:port with a port from the configured range,
 * instance_id (generated when the VaaS policy has none), instance_nonce (32
 * random bytes, hex: no two instances share a policy hash). Emitted canonically;
 * instance_hash = SHA-256 of exactly that text.
 *
 * Lifetime: ccf_vaas_new -> ccf_vaas_mount -> (server runs) -> stop the
 * server -> ccf_vaas_free (stops every instance it still runs). */
#ifndef CCF_VAAS_VAAS_H
#define CCF_VAAS_VAAS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "net/http_server.h"
#include "vaas/backend.h"

#define CCF_VAAS_DEFAULT_PORT 5000
#define CCF_VAAS_FIRST_INSTANCE_PORT 3014
/* A runtime's memory limit when its policy has no max_memory_mib: 1 GiB of
 * files, 4 GiB of wasm memory, 256 MiB of its own. */
#define CCF_VAAS_DEFAULT_INSTANCE_MEMORY_MIB (1024u + 4096u + 256u)

typedef struct {
    const char *data_dir;          /* DATA/vaas/<instance_id>/ holds policy.json and runtime.log */
    const char *runtime_path;      /* the ccfaas-runtime executable (required) */
    const char *platform_key_path; /* PEM, handed to each runtime on a descriptor; required */
    const char *proxy_url;         /* "HOST:PORT" of the proxy attestation service (required) */
    const char *proxy_ca_pem;      /* the proxy CA certificate PEM text (required) */
    const char *proxy_tls_cert_pem; /* the proxy's HTTPS certificate: proxy_url is then
                                       https://HOST:PORT and the policies pin it as
                                       proxy_tls_cert; NULL = plain HTTP */
    const char *kbs_url;           /* key broker "http(s)://HOST:PORT" put into the policies of
                                      functions with encrypted files; NULL = none (refused) */
    const char *kbs_cert_pem;      /* its TLS certificate (required with https), pinned by
                                      the policies as kbs_cert */
    const char *host;              /* host of veracruz_server_url; NULL = "127.0.0.1" (kubernetes:
                                      the instance's Service, NAME.NAMESPACE.svc) */
    const char *bind_addr;         /* address runtimes listen on; NULL = host */
    uint16_t port_first;           /* instance ports; 0 = 3014 */
    uint16_t port_last;            /* 0 = port_first + 99 */
    unsigned cert_days;            /* enclave_cert_expiry = now + N days; 0 = 1 */
    const char *backend;           /* "process" (NULL = process) or "kubernetes" */
    const ccf_vaas_k8s_config *k8s; /* kubernetes: its settings (backend.h) */
    bool no_sandbox;               /* process backend without bubblewrap (debugging) */
    bool allow_debug;              /* accept VaaS policies with "debug": true (403 otherwise) */
    unsigned ready_timeout_ms;     /* runtime start-to-ready limit; 0 = 15000 */
    /* Each runtime's limits (docs/vaas.md "Limits"): memory (RLIMIT_DATA) at
     * most this many MiB (0 = what its policy allows: twice max_memory_mib,
     * for files and wasm memory, + 256; 5376 without max_memory_mib); CPU
     * seconds in all (0 = none) */
    unsigned instance_memory_mib;
    unsigned instance_cpu_seconds;
    const char *const *runtime_args; /* extra ccfaas-runtime arguments (NULL-terminated) or NULL */
} ccf_vaas_config;

typedef struct ccf_vaas ccf_vaas;

/* Checks the config (runtime executable, platform key, backend) and creates
 * DATA/vaas. Free with ccf_vaas_free(). */
ccf_err ccf_vaas_new(const ccf_vaas_config *cfg, ccf_vaas **out, char *err, size_t err_size)
    __attribute__((warn_unused_result));

/* Adds the routes above to srv (before it starts) and VaaS metrics. */
ccf_err ccf_vaas_mount(ccf_vaas *vaas, ccf_http_server *srv) __attribute__((warn_unused_result));

/* Number of instances currently starting or ready. */
size_t ccf_vaas_live_count(ccf_vaas *vaas);

/* Stops every instance (SIGTERM, then SIGKILL after a grace period), frees
 * their ports and files, then the VaaS itself. NULL is a no-op. */
void ccf_vaas_free(ccf_vaas *vaas);

#endif
