/* Where VaaS runs instances: one interface, one implementation per backend
 * (DESIGN §6). `process` runs ccfaas-runtime as a local process inside
 * bubblewrap; `kubernetes` runs it as a pod (a ConfigMap with the policy, a
 * Pod, a Service per instance) through the API server (backend_k8s.c).
 *
 * A backend instance handle (ccf_vaas_proc) is owned by the caller from
 * start() until stop() or release(), which free it. Calls on one handle are
 * serialised by the caller; different handles may be used concurrently. */
#ifndef CCF_VAAS_BACKEND_H
#define CCF_VAAS_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef struct ccf_vaas_proc ccf_vaas_proc;

/* The kubernetes backend's settings (docs/vaas.md, flags --k8s-*). */
typedef struct {
    const char *kubeconfig;   /* NULL = in-cluster service account */
    const char *context;      /* kubeconfig context; NULL = current-context */
    const char *namespace_;   /* NULL = the context's / the service account's / default */
    const char *image;        /* the image holding ccfaas-runtime (required) */
    const char *node_selector; /* "KEY=VALUE,..." for TEE nodes; NULL = none */
    const char *resources;    /* extra resources requested and limited, "NAME=QTY,..."
                                 (e.g. smarter-devices/nitro_enclaves=1); NULL = none */
    const char *cpu;          /* CPU request ("250m"); NULL = 100m */
    const char *platform_key_secret; /* Secret with platform-key.pem (development platform) */
    const char *owner;        /* label ccfaas.io/vaas on every object; NULL = "vaas" */
    const char *service_account; /* the pods' service account; NULL = namespace default */
    unsigned poll_ms;         /* how often pods are checked; 0 = 1000 */
} ccf_vaas_k8s_config;

typedef struct {
    const char *runtime_path;      /* ccfaas-runtime */
    const char *platform_key_path; /* handed to the runtime on descriptor 3 */
    bool sandbox;                  /* process: inside bubblewrap */
    unsigned cpu_seconds;          /* RLIMIT_CPU of each runtime; 0 = none */
    bool cgroups;                  /* process: a cgroup per instance where one can be made */
    const char *const *runtime_args; /* extra arguments (NULL-terminated) or NULL */
    const ccf_vaas_k8s_config *k8s;  /* kubernetes: its settings */
    void *state;                     /* the backend's, from open() */
} ccf_vaas_backend_config;

typedef struct {
    const char *instance_id;
    const char *dir;         /* the instance's directory: policy.json, runtime.log */
    const char *policy_path; /* the full policy the runtime loads */
    const char *listen;      /* ADDR:PORT the runtime serves on */
    unsigned memory_mib;     /* RLIMIT_DATA of the runtime; 0 = none */
    unsigned ready_timeout_ms;
    uint16_t port;           /* the port of listen */
    const char *policy;      /* the full policy text (what policy_path holds) */
    const char *policy_hash; /* its SHA-256, hex */
} ccf_vaas_launch;

typedef struct {
    const char *name;
    /* Instances run on this host: VaaS checks its ports are free here, the
     * sandbox and the platform key file (false: the backend places them). */
    bool local;
    /* Optional: sets cfg->state (checks the settings, connects), and frees it. */
    ccf_err (*open)(ccf_vaas_backend_config *cfg, char *err, size_t err_size);
    void (*close)(ccf_vaas_backend_config *cfg);
    /* Optional: the host clients reach instance_id at (veracruz_server_url),
     * when VaaS was given no --host. */
    void (*instance_host)(const ccf_vaas_backend_config *cfg, const char *instance_id,
                          char *buf, size_t size);
    /* Starts the runtime and waits until it reports ready. On failure nothing
     * is left running and err holds why (with the runtime's stderr tail). */
    ccf_err (*start)(const ccf_vaas_backend_config *cfg, const ccf_vaas_launch *launch,
                     ccf_vaas_proc **out, char *err, size_t err_size);
    /* Non-blocking: true once the instance has ended (exit code, or the
     * signal that killed it, 0 when none). */
    bool (*ended)(ccf_vaas_proc *p, int *exit_code, int *signal);
    /* Ends a running instance (SIGTERM, SIGKILL after a grace period), waits
     * for it and frees the handle. */
    void (*stop)(ccf_vaas_proc *p);
    /* Frees the handle of an instance that has ended. */
    void (*release)(ccf_vaas_proc *p);
} ccf_vaas_backend;

/* The backend called `name`, or NULL (err says which exist). */
const ccf_vaas_backend *ccf_vaas_backend_find(const char *name, char *err, size_t err_size);

extern const ccf_vaas_backend ccf_vaas_backend_process;
extern const ccf_vaas_backend ccf_vaas_backend_kubernetes;

/* The last `size - 1` bytes of a file, from the start of a line, into buf
 * (the runtime's stderr for error messages). */
void ccf_vaas_file_tail(const char *path, char *buf, size_t size);

#endif
