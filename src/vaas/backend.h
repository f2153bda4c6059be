/* Where VaaS runs instances: one interface, one implementation per backend
 * (DESIGN §6). `process` runs ccfaas-runtime as a local process inside
 * bubblewrap; `kubernetes` (a pod + service per instance) will implement the
 * same four operations.
 *
 * A backend instance handle (ccf_vaas_proc) is owned by the caller from
 * start() until stop() or release(), which free it. Calls on one handle are
 * serialised by the caller; different handles may be used concurrently. */
#ifndef CCF_VAAS_BACKEND_H
#define CCF_VAAS_BACKEND_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

typedef struct ccf_vaas_proc ccf_vaas_proc;

typedef struct {
    const char *runtime_path;      /* ccfaas-runtime */
    const char *platform_key_path; /* handed to the runtime on descriptor 3 */
    bool sandbox;                  /* process: inside bubblewrap */
    unsigned cpu_seconds;          /* RLIMIT_CPU of each runtime; 0 = none */
    bool cgroups;                  /* process: a cgroup per instance where one can be made */
    const char *const *runtime_args; /* extra arguments (NULL-terminated) or NULL */
} ccf_vaas_backend_config;

typedef struct {
    const char *instance_id;
    const char *dir;         /* the instance's directory: policy.json, runtime.log */
    const char *policy_path; /* the full policy the runtime loads */
    const char *listen;      /* ADDR:PORT the runtime serves on */
    unsigned memory_mib;     /* RLIMIT_DATA of the runtime; 0 = none */
    unsigned ready_timeout_ms;
} ccf_vaas_launch;

typedef struct {
    const char *name;
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

/* The last `size - 1` bytes of a file, from the start of a line, into buf
 * (the runtime's stderr for error messages). */
void ccf_vaas_file_tail(const char *path, char *buf, size_t size);

#endif
