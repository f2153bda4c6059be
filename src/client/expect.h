/* What a user expects of an instance, checked against the full policy the
 * (untrusted) host handed out, before any data is sent (docs/trust.md):
 *
 * - the user policy: the full policy's identities and rights are exactly the
 *   user policy's, plus at most one loader identity whose rights are
 *   write-only (CCF_EXPECT_LOADER_RIGHTS at most) on the function's programs
 *   and data files: nothing to read, nothing to execute, nothing else;
 * - the function's program policy, pinned like an SSH host key in a
 *   known-functions file (beside the trust file): the programs (names,
 *   pi_hash, file rights) and data files (names, pi_hash) recorded the first
 *   time a function is seen, or given explicitly (--function-policy).
 *
 * Ownership: functions here borrow their arguments; ccf_known_functions
 * returned by _load is freed with ccf_known_functions_free. */
#ifndef CCF_CLIENT_EXPECT_H
#define CCF_CLIENT_EXPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "policy/policy.h"
#include "policy/rights.h"

/* The most a loader identity may hold on a file: the write rights (533572). */
#define CCF_EXPECT_LOADER_RIGHTS                                                              \
    (CCF_FD_SEEK | CCF_FD_WRITE | CCF_PATH_CREATE_FILE | CCF_PATH_OPEN |                       \
     CCF_PATH_FILESTAT_SET_SIZE)

/* Checks full against the user policy user. CCF_ERR_DENIED with every
 * difference found (up to err_size) in err: "identity CN=x is not in your
 * user policy and may read input-0", ... */
ccf_err ccf_expect_user_policy(const ccf_policy *full, const ccf_policy *user, char *err,
                               size_t err_size) __attribute__((warn_unused_result, nonnull(1, 2)));

/* The pin of a function: canonical JSON of its programs (program_file_name,
 * pi_hash, file_rights sorted) and data files (data_file, pi_hash), from a
 * program policy or from a full policy. The caller frees *out. */
ccf_err ccf_expect_function_pin(const ccf_policy *policy, char **out)
    __attribute__((warn_unused_result));

/* Compares two pins; CCF_ERR_DENIED with the differences ("program
 * linear-regression.wasm: pi_hash was 1a2b..., is 3c4d...") in err. */
ccf_err ccf_expect_pin_compare(const char *known, const char *seen, char *err, size_t err_size)
    __attribute__((warn_unused_result));

/* Known functions: a JSON file {"version":1,"functions":{NAME: PIN}}. */
typedef struct ccf_known_functions ccf_known_functions;

/* Loads path (a missing file = none known yet). */
ccf_err ccf_known_functions_load(const char *path, ccf_known_functions **out, char *err,
                                 size_t err_size) __attribute__((warn_unused_result));
void ccf_known_functions_free(ccf_known_functions *k);
/* The pin recorded for name (borrowed), or NULL. */
const char *ccf_known_functions_get(const ccf_known_functions *k, const char *name);
/* Records (or replaces) name's pin and saves the file atomically. */
ccf_err ccf_known_functions_put(ccf_known_functions *k, const char *path, const char *name,
                                const char *pin, char *err, size_t err_size)
    __attribute__((warn_unused_result));

/* The full check a client runs with a user policy: user policy, then the
 * function pin (function_policy: an explicit program policy, or NULL to use
 * and update the known-functions file at known_path). *first_seen says
 * whether the function was recorded now. */
ccf_err ccf_expect_check(const ccf_policy *full, const ccf_policy *user,
                         const ccf_policy *function_policy, const char *known_path,
                         bool *first_seen, char *err, size_t err_size)
    __attribute__((warn_unused_result));

/* What `ccfaas client --expect` and `ccfaas instance create` run: reads the
 * user policy (user_text, the exact bytes) and, when function_policy_path is
 * not NULL, a program policy from that file, then ccf_expect_check with the
 * known-functions file beside trust_path. On success *first_seen says whether
 * the function was recorded now; known (known_size bytes) receives that
 * file's path and function (function_size bytes) the function's name. */
ccf_err ccf_expect_check_user_text(const ccf_policy *full, const char *user_text, size_t user_len,
                                   const char *function_policy_path, const char *trust_path,
                                   bool *first_seen, char *known, size_t known_size,
                                   char *function, size_t function_size, char *err,
                                   size_t err_size) __attribute__((warn_unused_result));

/* known_functions.json beside a trust file path, into buf. */
ccf_err ccf_expect_known_path(const char *trust_path, char *buf, size_t size)
    __attribute__((warn_unused_result));

#endif
