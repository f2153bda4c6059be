/* Client of an instance's data plane (DESIGN §1.7, §4): what a data owner or
 * result reader (and CCFaaS's loader) uses. The instance is verified inside
 * the TLS handshake (attest/verify.h: chain to the policy's
 * proxy_service_cert, measurement, policy hash, validity), so no request is
 * sent to an instance that fails a check. One connection, kept alive.
 *
 * Ownership: ccf_client_open reads the policy file; free with ccf_client_free. */
#ifndef CCF_CLIENT_CLIENT_H
#define CCF_CLIENT_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "attest/verify.h"
#include "common/error.h"
#include "policy/policy.h"

typedef struct ccf_client ccf_client;

typedef struct {
    const char *policy_path; /* the full policy, exactly as received */
    const char *cert_path;   /* the identity's certificate (PEM) */
    const char *key_path;    /* its private key (PEM) */
    const char *url;         /* NULL = https://<the policy's veracruz_server_url> */
    bool progress;           /* progress on stderr for transfers over 1 MiB */
    long timeout_s;          /* per request; 0 = none (executions can be long) */
    /* The user's own anchors (client/trust_file.h), not copied: the policy's
     * proxy_service_cert and runtime_manager_hash_* must be in it, checked
     * before connecting and again in the handshake. NULL only for the
     * platform's own loader, which verifies a policy its platform wrote. */
    const ccf_trust *trust;
    /* In memory instead of files, for a service acting for a user (the S3
     * stream service, issue 18): the policy text (exact bytes) when
     * policy_path is NULL; the identity's PEM certificate and key when
     * cert_path and key_path are NULL. Not copied: they must outlive the
     * client. The key never touches a file. */
    const char *policy_text;
    size_t policy_len;
    const char *cert_pem, *key_pem;
} ccf_client_config;

/* Loads and validates the policy and the identity files; with a trust
 * configuration, refuses (CCF_ERR_DENIED, naming the field) a policy whose
 * anchors it does not hold, before any connection. */
ccf_err ccf_client_open(const ccf_client_config *cfg, ccf_client **out, char *err, size_t err_size)
    __attribute__((warn_unused_result));
void ccf_client_free(ccf_client *c);

const ccf_policy *ccf_client_policy(const ccf_client *c);
const char *ccf_client_policy_hash(const ccf_client *c);

/* Connects and verifies: the handshake checks, then GET /policy/hash must
 * equal the hash of the policy file. *res says what was checked or which
 * check failed (CCF_ERR_DENIED). */
ccf_err ccf_client_verify(ccf_client *c, ccf_verify_result *res, char *err, size_t err_size)
    __attribute__((warn_unused_result));

/* Uploads the host file `path` ("-" = stdin) as `name`: replace, or append. Streams. */
ccf_err ccf_client_put(ccf_client *c, const char *name, const char *path, bool append, char *err,
                       size_t err_size) __attribute__((warn_unused_result));
/* Uploads what fn produces as `name`: size bytes (-1: unknown, sent chunked).
 * fn fills buf with up to len bytes and returns how many (0 = the end); it
 * returns CCF_CLIENT_READ_ABORT to abort the upload (the instance then sees
 * a broken upload, never a short file). stop (optional) is asked about once
 * a second even while the instance holds the upload back (a program reading
 * a stream sets the pace): true aborts it the same way (CCF_ERR_BUSY,
 * "cancelled"). No overall timeout; a transfer with no progress for 300 s
 * fails. */
#define CCF_CLIENT_READ_ABORT ((size_t)-1)
typedef size_t (*ccf_client_read_fn)(void *user, char *buf, size_t len);
typedef bool (*ccf_client_stop_fn)(void *user);
ccf_err ccf_client_put_cb(ccf_client *c, const char *name, ccf_client_read_fn fn,
                          ccf_client_stop_fn stop, void *user, long long size, bool append,
                          char *err, size_t err_size)
    __attribute__((warn_unused_result));
/* Downloads `name` into the host file `path` ("-" = stdout); the file appears
 * only when complete. */
ccf_err ccf_client_get(ccf_client *c, const char *name, const char *path, char *err,
                       size_t err_size) __attribute__((warn_unused_result));
/* Executes a program; *exit_code = -1 and trap filled when it trapped. */
ccf_err ccf_client_execute(ccf_client *c, const char *program, long *exit_code, char *trap,
                           size_t trap_size, char *err, size_t err_size)
    __attribute__((warn_unused_result));
/* One request with a small body (a work order, issue 19): method on path,
 * body[0..len) sent as application/json; *status and the reply (bounded,
 * NUL-terminated, the caller frees *reply) returned whatever the status. */
ccf_err ccf_client_call(ccf_client *c, const char *method, const char *path, const char *body,
                        size_t len, long *status, char **reply, char *err, size_t err_size)
    __attribute__((warn_unused_result));
ccf_err ccf_client_shutdown(ccf_client *c, char *err, size_t err_size)
    __attribute__((warn_unused_result));

#endif
