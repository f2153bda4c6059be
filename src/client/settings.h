/* Where `ccfaas` commands that call CCFaaS find it and their credentials
 * (issue 15 item 2; docs/cli.md "Credentials"). Each setting comes from a
 * command-line flag, else the environment, else the config file:
 *
 *   setting      flag            environment          config file key
 *   URL          --url           CCFAAS_URL           url
 *   token        -               CCFAAS_TOKEN         -   (a token is a secret: files only)
 *   token file   --token-file    CCFAAS_TOKEN_FILE    token_file
 *   CA to pin    --ca-cert       CCFAAS_CA_CERT       ca_cert
 *   client cert  --client-cert   CCFAAS_CERT          client_cert
 *   its key      --client-key    CCFAAS_KEY           client_key
 *
 * The config file is $CCFAAS_CONFIG, else $HOME/.config/ccfaas/config (a
 * missing default file is no error; a missing $CCFAAS_CONFIG is). Its form,
 * parsed by ccf_settings_parse (a pure parser: no I/O, bounded, fuzzed):
 * UTF-8 lines of `key = value` (spaces around `=` and at both ends ignored),
 * `#` comments and empty lines; keys as above, each at most once; values
 * non-empty, at most CCF_SETTINGS_VALUE_MAX bytes, no control characters;
 * the whole file at most CCF_SETTINGS_FILE_MAX bytes. Errors name the line:
 * "line 3: unknown key 'tokn' (expected url, token_file, ca_cert, client_cert
 * or client_key)". Relative paths in the file are relative to its directory.
 *
 * Ownership: every string of a ccf_settings is malloc'd and freed by
 * ccf_settings_free (NULL members are unset); token is wiped. */
#ifndef CCF_CLIENT_SETTINGS_H
#define CCF_CLIENT_SETTINGS_H

#include <stddef.h>

#include "common/error.h"

#define CCF_SETTINGS_FILE_MAX (64u * 1024u)
#define CCF_SETTINGS_VALUE_MAX 4096u

typedef struct {
    char *url;
    char *token; /* from CCFAAS_TOKEN only */
    char *token_file, *ca_cert, *client_cert, *client_key;
} ccf_settings;

/* The config file's text into *out (members the file sets; others NULL).
 * dir (may be NULL): relative paths are made relative to it. On failure
 * *out is empty and err names the line and the rule. */
ccf_err ccf_settings_parse(const char *text, size_t len, const char *dir, ccf_settings *out,
                           char *err, size_t err_size) __attribute__((warn_unused_result));

/* What the command line gave (NULL = not given). */
typedef struct {
    const char *url, *token_file, *ca_cert, *client_cert, *client_key;
} ccf_settings_flags;

/* flags (may be NULL), then the environment, then the config file,
 * into *out; then the token file is read into out->token when no token was
 * given (CCF_ERR_IO naming the file when it cannot be). CCF_ERR_INVALID when
 * only one of client_cert and client_key ends up set. */
ccf_err ccf_settings_resolve(const ccf_settings_flags *flags, ccf_settings *out, char *err,
                             size_t err_size) __attribute__((warn_unused_result));

void ccf_settings_free(ccf_settings *s);

#endif
