/* The user's trust file (see trust_file.h). */
#include "client/trust_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file.h"

ccf_err ccf_trust_file_path(const char *explicit_path, char *buf, size_t size, char *err,
                            size_t err_size)
{
    const char *env = getenv("CCFAAS_TRUST"), *xdg = getenv("XDG_CONFIG_HOME"),
               *home = getenv("HOME");
    int n;
    if (explicit_path != NULL)
        n = snprintf(buf, size, "%s", explicit_path);
    else if (env != NULL && env[0] != '\0')
        n = snprintf(buf, size, "%s", env);
    else if (xdg != NULL && xdg[0] == '/')
        n = snprintf(buf, size, "%s/ccfaas/trust.json", xdg);
    else if (home != NULL && home[0] == '/')
        n = snprintf(buf, size, "%s/.config/ccfaas/trust.json", home);
    else
        return ccf_errf(err, err_size, CCF_ERR_INVALID,
                        "no trust configuration: HOME is not set; give --trust FILE or set "
                        "CCFAAS_TRUST");
    if (n < 0 || (size_t)n >= size)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "trust file path too long");
    return CCF_OK;
}

static ccf_err load(const char *path, bool missing_ok, ccf_trust **out, char *err,
                    size_t err_size)
{
    char *text = NULL, detail[300];
    size_t len = 0;
    ccf_err rc;
    *out = NULL;
    if (access(path, F_OK) != 0 && errno == ENOENT) {
        if (missing_ok) {
            *out = ccf_trust_new();
            return *out ? CCF_OK : CCF_ERR_NOMEM;
        }
        return ccf_errf(err, err_size, CCF_ERR_NOT_FOUND,
                        "no trust configuration at %s: ccfaas never takes its anchors from the "
                        "policy a server hands out. Use the file `ccfaas up` wrote (--trust "
                        "DATA_DIR/trust.json, or CCFAAS_TRUST), or create yours with `ccfaas "
                        "trust add --ca PROXY_CA.crt` and `ccfaas trust add --measurement "
                        "PLATFORM:SHA256` (docs/trust.md)",
                        path);
    }
    if ((rc = ccf_file_read(path, CCF_TRUST_MAX_BYTES, &text, &len, detail, sizeof detail)) !=
        CCF_OK)
        return ccf_errf(err, err_size, rc, "trust configuration %s: %s", path, detail);
    if ((rc = ccf_trust_parse(text, len, out, detail, sizeof detail)) != CCF_OK)
        ccf_errf(err, err_size, rc, "trust configuration %s: %s", path, detail);
    free(text);
    return rc;
}

ccf_err ccf_trust_file_load(const char *path, ccf_trust **out, char *err, size_t err_size)
{
    return load(path, false, out, err, err_size);
}

ccf_err ccf_trust_file_load_or_new(const char *path, ccf_trust **out, char *err, size_t err_size)
{
    return load(path, true, out, err, err_size);
}

/* mkdir -p of path's parent directories, 0700. */
static ccf_err make_parents(const char *path, char *err, size_t err_size)
{
    char dir[4096];
    if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "%s: path too long", path);
    for (char *p = dir + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
            return ccf_errf(err, err_size, CCF_ERR_IO, "%s: cannot create: %s", dir,
                            strerror(errno));
        *p = '/';
    }
    return CCF_OK;
}

ccf_err ccf_trust_file_save(const char *path, const ccf_trust *t, char *err, size_t err_size)
{
    char *text = NULL;
    ccf_err rc = make_parents(path, err, err_size);
    if (rc != CCF_OK)
        return rc;
    if ((rc = ccf_trust_emit(t, &text)) != CCF_OK)
        return ccf_errf(err, err_size, rc, "cannot encode the trust configuration");
    rc = ccf_file_write_atomic(path, text, strlen(text), 0644, false, err, err_size);
    free(text);
    return rc;
}
