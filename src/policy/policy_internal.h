/* Shared by the policy parser's files: error collection with a JSON path. */
#ifndef CCF_POLICY_INTERNAL_H
#define CCF_POLICY_INTERNAL_H

#include <jansson.h>

#include "policy/policy.h"

typedef struct {
    ccf_policy_errors *errors;
    ccf_policy_kind kind;
    char path[192];
    size_t path_len;
    bool nomem;
} pctx;

/* Records an error at the current path (+ optional child key). */
void pctx_error(pctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pctx_error_key(pctx *c, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Path stack: push returns the length to restore with pctx_pop. */
size_t pctx_push_key(pctx *c, const char *key);
size_t pctx_push_index(pctx *c, size_t index);
void pctx_pop(pctx *c, size_t saved);

/* Checks on values, reporting at the current path (policy_check.c). */
bool check_name(pctx *c, const char *what, const char *name); /* function / instance ids */
bool check_file_name(pctx *c, const char *name, bool allow_directory);
bool check_sha256_hex(pctx *c, const char *hex, bool allow_empty);
/* Parses a PEM certificate; on success *subject is a new string (caller frees). */
bool check_certificate(pctx *c, const char *pem, char **subject);
bool check_expiry(pctx *c, const ccf_cert_expiry *e);
bool check_host_port(pctx *c, const char *value, bool allow_url);

#endif
