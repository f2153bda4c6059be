/* Bearer-token authentication of control-plane callers (issue 15, DESIGN §6;
 * docs/auth.md).
 *
 * A token store is one JSON file, DATA_DIR/auth/tokens.json (0600, written
 * atomically), listing who may call the services of that data directory:
 *   {"version":1,"tokens":[{"name":"alice","role":"user","sha256":"<64 hex>",
 *                           "created":"YYYY-MM-DDTHH:MM:SSZ","revoked":false}...]}
 * An entry may also name a client certificate the platform service CA issued
 * to that caller ("cert_sha256": SHA-256 of its DER; `ccfaas user add --cert`):
 * over HTTPS that certificate authenticates the caller like the token does,
 * and revoking the caller revokes both.
 * Only the SHA-256 of each token is stored; a token is "ccft_" + 64 hex (32
 * random bytes) and is shown once, when it is made. A name is one caller: at
 * most one live (not revoked) token per name; objects (instances, functions)
 * belong to the name.
 *
 * Roles: admin (everything), operator (functions, programs, data files),
 * user (instances), service (the platform's own services: CCFaaS towards
 * VaaS). A route names the set of roles it accepts.
 *
 * Services open the store with ccf_auth_open() and check tokens with
 * ccf_auth_check(); the store re-reads the file whenever it changed (size,
 * mtime or inode), so `ccfaas user add|revoke` takes effect on running
 * services at their next request. A file that cannot be read or parsed makes
 * every check fail (fail closed). The management calls (add, revoke, list)
 * work on the file directly.
 *
 * Ownership: ccf_auth_open's *out is freed with ccf_auth_free (NULL is a
 * no-op); ccf_auth_check may run on any thread. Token buffers filled by
 * these calls are the caller's: wipe them (OPENSSL_cleanse) after use. */
#ifndef CCF_NET_AUTH_H
#define CCF_NET_AUTH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define CCF_ROLE_ADMIN 1u
#define CCF_ROLE_OPERATOR 2u
#define CCF_ROLE_USER 4u
#define CCF_ROLE_SERVICE 8u
#define CCF_ROLES_ANY (CCF_ROLE_ADMIN | CCF_ROLE_OPERATOR | CCF_ROLE_USER | CCF_ROLE_SERVICE)

/* "ccft_" + 64 hex digits */
#define CCF_AUTH_TOKEN_PREFIX "ccft_"
#define CCF_AUTH_TOKEN_LEN 69
/* Longest caller name: [A-Za-z0-9._-], first character not '-' or '.'. */
#define CCF_AUTH_NAME_MAX 63
/* File and directory names inside a data directory. */
#define CCF_AUTH_DIR "auth"
#define CCF_AUTH_TOKENS_FILE "auth/tokens.json"
/* `ccfaas up`: the admin's token and the service token CCFaaS sends to VaaS. */
#define CCF_AUTH_ADMIN_TOKEN_FILE "admin.token"
#define CCF_AUTH_SERVICE_TOKEN_FILE "auth/service.token"
/* Longest token file / tokens.json read. */
#define CCF_AUTH_MAX_FILE (4u * 1024u * 1024u)

/* Who made a request. */
typedef struct {
    char name[CCF_AUTH_NAME_MAX + 1];
    unsigned role; /* exactly one CCF_ROLE_* bit */
} ccf_principal;

/* "admin", "operator", "user", "service"; "?" for anything else. */
const char *ccf_role_name(unsigned role);
/* The role of a name; false when unknown. */
bool ccf_role_parse(const char *s, unsigned *role) __attribute__((warn_unused_result));
/* "operator or admin" for a role set, into buf; returns buf. */
const char *ccf_roles_describe(unsigned roles, char *buf, size_t size);
/* true when name follows the rule above. */
bool ccf_auth_name_valid(const char *name);

typedef struct ccf_auth ccf_auth;

/* A store over `path` (the file need not exist yet: then no token is
 * accepted until one is added). */
ccf_err ccf_auth_open(const char *path, ccf_auth **out, char *err, size_t err_size)
    __attribute__((warn_unused_result));
/* The store of a data directory: DATA_DIR/auth/tokens.json (DATA_DIR/auth is
 * made, 0700, when missing). What the services open. */
ccf_err ccf_auth_open_dir(const char *data_dir, ccf_auth **out, char *err, size_t err_size)
    __attribute__((warn_unused_result));
void ccf_auth_free(ccf_auth *a);
/* The file the store reads. */
const char *ccf_auth_path(const ccf_auth *a);

/* true when token is the live token of a caller; *who says which. Compares
 * the token's SHA-256 with every live entry in constant time. */
bool ccf_auth_check(ccf_auth *a, const char *token, ccf_principal *who)
    __attribute__((warn_unused_result));

/* The same for a client certificate (SHA-256 of its DER), already verified
 * against the service CA by the TLS layer: true when a live caller registered
 * that certificate. */
bool ccf_auth_check_cert(ccf_auth *a, const uint8_t cert_sha256[32], ccf_principal *who)
    __attribute__((warn_unused_result));
/* Registers a client certificate (its DER's SHA-256) for the live caller name.
 * CCF_ERR_NOT_FOUND when the name has no live entry. */
ccf_err ccf_auth_set_cert(const char *path, const char *name, const uint8_t cert_sha256[32],
                          char *err, size_t err_size) __attribute__((warn_unused_result));
/* Adds a caller with a fresh token (into token, NUL-terminated) to the file at
 * path, creating the file (and its directory, 0700) when missing.
 * CCF_ERR_CONFLICT when the name has a live token, CCF_ERR_INVALID for a bad
 * name or role. */
ccf_err ccf_auth_add(const char *path, const char *name, unsigned role,
                     char token[CCF_AUTH_TOKEN_LEN + 1], char *err, size_t err_size)
    __attribute__((warn_unused_result));
/* Marks the name's live token revoked. CCF_ERR_NOT_FOUND when it has none. */
ccf_err ccf_auth_revoke(const char *path, const char *name, char *err, size_t err_size)
    __attribute__((warn_unused_result));
/* *out = [{"name","role","created","revoked"}...] (never the hashes); a
 * missing file is an empty list. Caller decrefs. */
ccf_err ccf_auth_list(const char *path, json_t **out, char *err, size_t err_size)
    __attribute__((warn_unused_result));

/* Writes a token file (token + newline, 0600, atomically; replaces). */
ccf_err ccf_auth_token_write(const char *path, const char *token, char *err, size_t err_size)
    __attribute__((warn_unused_result));
/* Reads a token file (surrounding white space ignored) into token. */
ccf_err ccf_auth_token_read(const char *path, char token[CCF_AUTH_TOKEN_LEN + 1], char *err,
                            size_t err_size) __attribute__((warn_unused_result));
/* Makes DATA_DIR/auth (0700) when missing. */
ccf_err ccf_auth_dir_make(const char *data_dir, char *err, size_t err_size)
    __attribute__((warn_unused_result));

#endif
