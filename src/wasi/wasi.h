/* wasi_snapshot_preview1 for one program run, over the instance's capability
 * file system (vfs.h): the program sees exactly the files its rights list
 * grants, with exactly those rights (docs/rights.md).
 *
 * Ownership: the caller keeps the module, the vfs, the rights list and every
 * string of the config alive during ccf_wasi_run; nothing is retained after. */
#ifndef CCF_WASI_WASI_H
#define CCF_WASI_WASI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "policy/policy.h"
#include "wasi/vfs.h"
#include "wasm/wasm.h"

typedef enum {
    CCF_WASI_STREAM_NONE = 0, /* reads return end of file, writes are discarded */
    CCF_WASI_STREAM_HOST,     /* a host file descriptor (`ccfaas wasm run`) */
    CCF_WASI_STREAM_FILE,     /* a file of the vfs (the policy's std_streams_table) */
} ccf_wasi_stream_kind;

typedef struct {
    ccf_wasi_stream_kind kind;
    int host_fd;           /* HOST */
    const char *file_name; /* FILE: created if absent; stdout/stderr append */
    uint32_t rights;       /* FILE: the program's rights on it (the table's "rights") */
} ccf_wasi_stream;

/* An extra import module offered to programs beside wasi_snapshot_preview1
 * (e.g. "ccfaas_crypto", src/guestcrypto). bind makes, in store, the host
 * function for the import `fn` (fn_len bytes, not NUL-terminated; may
 * contain anything) and sets *fn_name to a NUL-terminated copy of that name
 * that lives as long as the module (usually a static string). An unknown
 * function: CCF_ERR_NOT_FOUND with err naming it. The module's object (user)
 * belongs to the caller and outlives the run. */
typedef struct {
    const char *name;
    void *user;
    ccf_err (*bind)(void *user, ccf_wasm_store *store, const char *fn, size_t fn_len,
                    const char **fn_name, ccf_wasm_extern *out, char *err, size_t err_size);
} ccf_wasi_host_module;

typedef struct {
    ccf_vfs *vfs;
    const ccf_file_rights *rights; /* the program's file_rights (NULL = everything) */
    const char *const *argv;       /* argv[0] is the program name */
    size_t argc;
    const char *const *env; /* "KEY=VALUE" */
    size_t envc;
    bool enable_clock;        /* false: clock calls fail with EACCES */
    ccf_wasi_stream std[3];   /* stdin, stdout, stderr */
    const char *const *dirs;  /* extra preopened directories (guest paths); "/" is fd 3 when
                                 the program has any file rights, these follow it */
    size_t ndirs;
    ccf_wasm_limits limits;   /* engine limits (memory pages, depth, fuel) */
    uint32_t deadline_ms;     /* wall-clock limit of the run; 0 = none. Uses SIGALRM and
                                 ITIMER_REAL: one run at a time per process */
    const ccf_wasi_host_module *host_modules; /* extra import modules (NULL: none) */
    size_t n_host_modules;
} ccf_wasi_config;

typedef struct {
    bool exited;        /* proc_exit was called, or _start returned (code 0) */
    uint32_t exit_code; /* meaningful when exited */
    ccf_wasm_trap trap; /* NONE unless the program trapped */
    char message[256];  /* the trap's reason ("deadline exceeded" for deadline_ms) */
} ccf_wasi_result;

/* Links the module against WASI, instantiates it and runs `_start`. Returns
 * CCF_OK when the program ran — whatever its exit code, or a trap (see
 * *result). Fails (reason in err) when it cannot run: an import other than
 * wasi_snapshot_preview1 or a function of config->host_modules, no `_start`
 * export, a bad configuration. */
ccf_err ccf_wasi_run(const ccf_wasm_module *module, const ccf_wasi_config *config,
                     ccf_wasi_result *result, char *err, size_t err_size)
    __attribute__((warn_unused_result));

#endif
