/* Where a user's trust configuration (attest/trust.h) lives, and loading and
 * saving it. The file is the user's own: nothing a server sends changes it.
 *
 * Location, first that applies: the --trust FILE a command was given, then
 * $CCFAAS_TRUST, then $XDG_CONFIG_HOME/ccfaas/trust.json, then
 * $HOME/.config/ccfaas/trust.json. */
#ifndef CCF_CLIENT_TRUST_FILE_H
#define CCF_CLIENT_TRUST_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include "attest/trust.h"
#include "common/error.h"

/* The path to use (explicit may be NULL) into buf. CCF_ERR_INVALID when no
 * location can be derived (no HOME). */
ccf_err ccf_trust_file_path(const char *explicit_path, char *buf, size_t size, char *err,
                            size_t err_size) __attribute__((warn_unused_result));

/* Loads the trust configuration at path. A missing file is CCF_ERR_NOT_FOUND
 * with a message that says how to create one (never an empty trust). */
ccf_err ccf_trust_file_load(const char *path, ccf_trust **out, char *err, size_t err_size)
    __attribute__((warn_unused_result));

/* Loads path, or an empty configuration when it does not exist yet (for
 * `ccfaas trust add`). */
ccf_err ccf_trust_file_load_or_new(const char *path, ccf_trust **out, char *err,
                                   size_t err_size) __attribute__((warn_unused_result));

/* Writes t to path atomically (0644; parent directories created 0700). */
ccf_err ccf_trust_file_save(const char *path, const ccf_trust *t, char *err, size_t err_size)
    __attribute__((warn_unused_result));

#endif
