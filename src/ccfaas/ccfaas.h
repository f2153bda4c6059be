/* CCFaaS: the registry of functions, their programs and data files, and the
 * instances made from them (DESIGN §1 steps 1-3 and 6, §6; the spec's CCFaaS
 * table). `ccfaas serve ccfaas` and `ccfaas up` mount it on a ccf_http_server.
 *
 * Routes (JSON in and out, errors {"error":{"code","message"[,"step"][,"errors"]}};
 * docs/ccfaas.md has the status objects and every error code):
 *   POST   /function                                program policy -> 201; 409 if registered
 *   GET    /function                                {"functions":[...]}
 *   GET    /function/<name>                         the program policy as registered
 *   DELETE /function/<name>                         409 while it has live instances (those
 *                                                   whose runtime died are removed first)
 *   POST   /function/<name>/program/<progname>      bytes -> 201; must hash to pi_hash (409
 *                                                   hash_mismatch); write-once (409 even for
 *                                                   the same bytes); 413 over max_upload
 *   GET    /function/<name>/program                 {"programs":[status...]}
 *   GET    /function/<name>/program/<progname>      status
 *   DELETE /function/<name>/program/<progname>
 *   POST|GET|DELETE /function/<name>/data_file[/<data_file>]   the same for data files
 *   POST   /instance                                user policy -> 200
 *                                                   {"instance":id,"policy":"<full policy text>"}
 *   GET    /instance                                {"instances":[status...]}
 *   GET    /instance/<name>                         status (incl. the runtime's, from VaaS;
 *                                                   an exited or vanished one is shown so,
 *                                                   then removed)
 *   DELETE /instance/<name>
 *   POST   /task, GET /task[/<id>[/result|/logs]], DELETE /task/<id>
 *                                                   a function run once (task.c, docs/tasks.md)
 *   POST   /computation                             a Cocos manifest run as a task (compute.c)
 *
 * POST /instance builds the VaaS policy (loader identity id 0 with write
 * rights on every program and data file, then the user's identities), asks
 * VaaS, connects to the instance as the loader (verified like any client),
 * uploads programs and data files (by priority, lower first) and returns the
 * full policy text exactly as VaaS produced it. On failure the half-made
 * instance is deleted (at VaaS too) and the error names the step ("step":
 * "VaaS create", "connect", "upload program P", ...; 502 vaas_failed or
 * instance_failed).
 *
 * Store: SQLite (every write in a transaction; schema created/migrated at
 * start; instances a killed CCFaaS left half-made are deleted at the next
 * start, so ccf_ccfaas_new may call VaaS). Loader identity:
 * DATA/ccfaas-loader.crt/.key, created on first
 * start. Lifetime: ccf_ccfaas_new -> ccf_ccfaas_mount -> (serve) -> stop the
 * server -> ccf_ccfaas_free. */
#ifndef CCF_CCFAAS_CCFAAS_H
#define CCF_CCFAAS_CCFAAS_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "net/http_server.h"

#define CCF_CCFAAS_DEFAULT_PORT 5010

/* The quotas `ccfaas up` and `ccfaas serve ccfaas` set unless told otherwise. */
#define CCF_CCFAAS_DEFAULT_INSTANCES_PER_USER 16
#define CCF_CCFAAS_DEFAULT_MIB_PER_OPERATOR 4096

typedef struct {
    const char *data_dir;    /* loader identity and the default database live here (required) */
    const char *db_path;     /* a SQLite file or a postgresql://... URL (src/ccfaas/db.h);
                                NULL = DATA/ccfaas.db */
    const char *vaas_url;    /* "http://HOST:PORT" of VaaS (required) */
    const char *ciphersuite; /* of the VaaS policies built; NULL = the spec's
                                TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 */
    size_t max_upload;       /* largest program or data file; 0 = 256 MiB; at most 900 MiB
                                (an SQLite BLOB holds < 10^9 bytes) */
    /* per-owner quotas (docs/auth.md), 0 = unlimited: live instances of a
     * user; bytes of the programs and data files of an operator's functions */
    uint32_t max_instances_per_owner;
    uint64_t max_bytes_per_owner;
} ccf_ccfaas_config;

typedef struct ccf_ccfaas ccf_ccfaas;

ccf_err ccf_ccfaas_new(const ccf_ccfaas_config *cfg, ccf_ccfaas **out, char *err,
                       size_t err_size) __attribute__((warn_unused_result));
ccf_err ccf_ccfaas_mount(ccf_ccfaas *svc, ccf_http_server *srv)
    __attribute__((warn_unused_result));
/* Where the store is, fit for logs (a URL without its password). */
const char *ccf_ccfaas_db_name(const ccf_ccfaas *svc);
/* NULL is a no-op. Does not delete instances (they outlive a CCFaaS restart). */
void ccf_ccfaas_free(ccf_ccfaas *svc);

#endif
