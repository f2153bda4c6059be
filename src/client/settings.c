/* Connection settings of the `ccfaas` commands (see settings.h). */
#include "client/settings.h"

#include "common/file.h"
#include "net/auth.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { K_URL, K_TOKEN_FILE, K_CA, K_CERT, K_KEY, K_COUNT };
static const char *const keys[K_COUNT] = {"url", "token_file", "ca_cert", "client_cert",
                                          "client_key"};

static char **member(ccf_settings *s, int k)
{
    switch (k) {
    case K_URL: return &s->url;
    case K_TOKEN_FILE: return &s->token_file;
    case K_CA: return &s->ca_cert;
    case K_CERT: return &s->client_cert;
    default: return &s->client_key;
    }
}

void ccf_settings_free(ccf_settings *s)
{
    if (s == NULL)
        return;
    if (s->token != NULL)
        OPENSSL_cleanse(s->token, strlen(s->token));
    free(s->token);
    for (int k = 0; k < K_COUNT; k++)
        free(*member(s, k));
    memset(s, 0, sizeof *s);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

ccf_err ccf_settings_parse(const char *text, size_t len, const char *dir, ccf_settings *out,
                           char *err, size_t err_size)
{
    ccf_err rc = CCF_OK;
    size_t line = 0;
    memset(out, 0, sizeof *out);
    if (len > CCF_SETTINGS_FILE_MAX)
        return ccf_errf(err, err_size, CCF_ERR_TOO_LARGE, "more than %u bytes",
                        CCF_SETTINGS_FILE_MAX);
    for (size_t pos = 0; pos < len && rc == CCF_OK;) {
        const char *s = text + pos, *nl = memchr(s, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - s) : len - pos;
        pos += n + (nl != NULL);
        line++;
        if (n > 0 && s[n - 1] == '\r')
            n--;
        while (n > 0 && is_space(*s))
            s++, n--;
        while (n > 0 && is_space(s[n - 1]))
            n--;
        if (n == 0 || s[0] == '#')
            continue;
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)s[i] < 0x20 && s[i] != '\t') {
                rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "line %zu: a control character",
                              line);
                goto out;
            }
        const char *eq = memchr(s, '=', n);
        if (eq == NULL) {
            rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "line %zu: expected key = value", line);
            goto out;
        }
        size_t kl = (size_t)(eq - s), vl = n - kl - 1;
        const char *v = eq + 1;
        while (kl > 0 && is_space(s[kl - 1]))
            kl--;
        while (vl > 0 && is_space(*v))
            v++, vl--;
        int k = 0;
        while (k < K_COUNT && !(strlen(keys[k]) == kl && memcmp(keys[k], s, kl) == 0))
            k++;
        if (k == K_COUNT) {
            rc = ccf_errf(err, err_size, CCF_ERR_INVALID,
                          "line %zu: unknown key '%.*s' (expected url, token_file, ca_cert, "
                          "client_cert or client_key)", line, (int)(kl > 64 ? 64 : kl), s);
            goto out;
        }
        if (vl == 0 || vl > CCF_SETTINGS_VALUE_MAX || memchr(v, '\0', vl) != NULL) {
            rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "line %zu: %s: expected a value of "
                          "1-%u bytes", line, keys[k], CCF_SETTINGS_VALUE_MAX);
            goto out;
        }
        char **m = member(out, k);
        if (*m != NULL) {
            rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "line %zu: %s given twice", line,
                          keys[k]);
            goto out;
        }
        /* paths relative to the file's directory, as a user reading the file expects */
        bool rel = k != K_URL && v[0] != '/' && dir != NULL;
        size_t need = vl + 1 + (rel ? strlen(dir) + 1 : 0);
        if ((*m = malloc(need)) == NULL) {
            rc = ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
            goto out;
        }
        snprintf(*m, need, "%s%s%.*s", rel ? dir : "", rel ? "/" : "", (int)vl, v);
    }
out:
    if (rc != CCF_OK)
        ccf_settings_free(out);
    return rc;
}

/* The config file: $CCFAAS_CONFIG (must exist), else the default one (may
 * be missing). */
static ccf_err load_file(ccf_settings *file, char *err, size_t err_size)
{
    const char *env = getenv("CCFAAS_CONFIG"), *home = getenv("HOME");
    char path[4096], dir[4096], why[300];
    char *text = NULL;
    size_t len = 0;
    memset(file, 0, sizeof *file);
    if (env != NULL && env[0] != '\0')
        snprintf(path, sizeof path, "%s", env);
    else if (home != NULL && home[0] != '\0')
        snprintf(path, sizeof path, "%s/.config/ccfaas/config", home);
    else
        return CCF_OK;
    if ((env == NULL || env[0] == '\0') && access(path, F_OK) != 0)
        return CCF_OK;
    ccf_err rc = ccf_file_read(path, CCF_SETTINGS_FILE_MAX, &text, &len, why, sizeof why);
    if (rc != CCF_OK)
        return ccf_errf(err, err_size, rc, "config file %s: %s", path, why);
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash != NULL)
        *slash = '\0';
    rc = ccf_settings_parse(text, len, slash ? dir : ".", file, why, sizeof why);
    free(text);
    if (rc != CCF_OK)
        ccf_errf(err, err_size, rc, "config file %s: %s", path, why);
    return rc;
}

ccf_err ccf_settings_resolve(const ccf_settings_flags *flags, ccf_settings *out, char *err,
                             size_t err_size)
{
    const char *flag[K_COUNT] = {0};
    static const char *const env[K_COUNT] = {"CCFAAS_URL", "CCFAAS_TOKEN_FILE", "CCFAAS_CA_CERT",
                                             "CCFAAS_CERT", "CCFAAS_KEY"};
    ccf_settings file;
    ccf_err rc;
    memset(out, 0, sizeof *out);
    if ((rc = load_file(&file, err, err_size)) != CCF_OK)
        return rc;
    if (flags != NULL) {
        flag[K_URL] = flags->url;
        flag[K_TOKEN_FILE] = flags->token_file;
        flag[K_CA] = flags->ca_cert;
        flag[K_CERT] = flags->client_cert;
        flag[K_KEY] = flags->client_key;
    }
    for (int k = 0; k < K_COUNT && rc == CCF_OK; k++) {
        const char *e = getenv(env[k]);
        const char *v = flag[k] != NULL ? flag[k]
                        : e != NULL && e[0] != '\0' ? e
                                                     : *member(&file, k);
        if (v != NULL && (*member(out, k) = strdup(v)) == NULL)
            rc = ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    }
    const char *t = getenv("CCFAAS_TOKEN");
    /* a token file given by flag wins over a token in the environment */
    bool flag_file = flag[K_TOKEN_FILE] != NULL;
    if (rc == CCF_OK && !flag_file && t != NULL && t[0] != '\0' &&
        (out->token = strdup(t)) == NULL)
        rc = ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    if (rc == CCF_OK && out->token == NULL && out->token_file != NULL) {
        char tok[CCF_AUTH_TOKEN_LEN + 1], why[300];
        if ((rc = ccf_auth_token_read(out->token_file, tok, why, sizeof why)) != CCF_OK)
            ccf_errf(err, err_size, rc, "token file %s: %s", out->token_file, why);
        else if ((out->token = strdup(tok)) == NULL)
            rc = ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
        OPENSSL_cleanse(tok, sizeof tok);
    }
    if (rc == CCF_OK && (out->client_cert == NULL) != (out->client_key == NULL))
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID,
                      "a client certificate needs its key: give both (--client-cert and "
                      "--client-key, CCFAAS_CERT and CCFAAS_KEY, or client_cert and client_key "
                      "in the config file)");
    ccf_settings_free(&file);
    if (rc != CCF_OK)
        ccf_settings_free(out);
    return rc;
}
