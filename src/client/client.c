/* Data-plane client over libcurl, verifying the instance in the handshake. */
#include "client/client.h"

#include "common/dynbuf.h"
#include "net/http_client.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "attest/pki.h"
#include "common/file.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#define MAX_JSON_REPLY (1u << 20)

struct ccf_client {
    ccf_client_config cfg;
    char *text;
    size_t len;
    char hash[CCF_SHA256_HEX_LEN + 1];
    ccf_policy *policy;
    char base[320];
    CURL *curl;
    struct curl_slist *headers; /* "Expect:" (no 100-continue round trip) */
    ccf_verify_tls vt;
    bool verified; /* the kept-alive connection passed verification */
    struct progress {
        const char *name;        /* the request's path; NULL = print nothing */
        int shown;               /* percentage last printed, -1 = none yet */
        ccf_client_stop_fn stop; /* an upload's stop (ccf_client_put_cb), or NULL */
        void *stop_user;
        bool stopped;
    } progress;
};

static CURLcode ssl_ctx_cb(CURL *curl, void *ssl_ctx, void *arg)
{
    (void)curl;
    ccf_verify_tls_install(ssl_ctx, arg);
    return CURLE_OK;
}

void ccf_client_free(ccf_client *c)
{
    if (c == NULL)
        return;
    if (c->curl != NULL)
        curl_easy_cleanup(c->curl);
    curl_slist_free_all(c->headers);
    ccf_policy_free(c->policy);
    free(c->text);
    free(c);
}

/* Whether the file at path holds a PEM block whose label contains what
 * ("CERTIFICATE", "PRIVATE KEY"). The bytes read are wiped (it may be a key). */
static bool pem_holds(const char *path, const char *what)
{
    char *text = NULL, e[200], label[64];
    size_t len = 0;
    bool found = false;
    if (ccf_file_read(path, 1u << 20, &text, &len, e, sizeof e) != CCF_OK)
        return false;
    snprintf(label, sizeof label, "%s-----", what);
    for (const char *b = strstr(text, "-----BEGIN "); b != NULL && !found;
         b = strstr(b + 1, "-----BEGIN ")) {
        const char *eol = strchr(b + 11, '\n');
        const char *hit = strstr(b + 11, label);
        found = hit != NULL && (eol == NULL || hit < eol);
    }
    OPENSSL_cleanse(text, len);
    free(text);
    return found;
}

/* The identity files, checked before any connection (what the instance would
 * otherwise refuse with a TLS alert): the certificate is one of the policy's
 * identities, the key is a private key, not a certificate, and matches it. */
static ccf_err check_identity(const ccf_client_config *cfg, const ccf_policy *p, char *err,
                              size_t err_size)
{
    X509 *mine = NULL;
    EVP_PKEY *key = NULL;
    char e[400];
    ccf_err rc;
    bool member = false;

    if (cfg->cert_path == NULL) { /* in memory (client.h) */
        if (ccf_pki_cert_from_pem(cfg->cert_pem, strlen(cfg->cert_pem), &mine, e, sizeof e) != CCF_OK) {
            rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "the identity is not a PEM certificate: %s", e);
            goto out;
        }
    } else if (ccf_pki_cert_read(cfg->cert_path, &mine, e, sizeof e) != CCF_OK) {
        rc = pem_holds(cfg->cert_path, "PRIVATE KEY")
                 ? ccf_errf(err, err_size, CCF_ERR_INVALID,
                            "%s is a private key, not a certificate (--identity takes the "
                            "certificate, e.g. NAME.crt; --key takes NAME.key)", cfg->cert_path)
                 : ccf_errf(err, err_size, CCF_ERR_INVALID,
                            "%s is not a PEM certificate (--identity takes NAME.crt from "
                            "`ccfaas identity new NAME`): %s", cfg->cert_path, e);
        goto out;
    }
    for (size_t i = 0; i < p->identity_count && !member; i++) {
        X509 *x = NULL;
        const char *pem = p->identities[i].certificate;
        if (ccf_pki_cert_from_pem(pem, strlen(pem), &x, e, sizeof e) == CCF_OK)
            member = X509_cmp(x, mine) == 0;
        X509_free(x);
    }
    if (!member) {
        rc = ccf_errf(err, err_size, CCF_ERR_DENIED,
                      "%s is not one of the policy's identities (see them with `ccfaas policy "
                      "show %s`)", cfg->cert_path ? cfg->cert_path : "the certificate",
                      cfg->policy_path ? cfg->policy_path : "POLICY");
        goto out;
    }
    if (cfg->key_path == NULL) {
        if (ccf_pki_key_from_pem(cfg->key_pem, strlen(cfg->key_pem), &key, e, sizeof e) != CCF_OK) {
            rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "the identity's key is not a PEM private "
                          "key: %s", e);
            goto out;
        }
    } else {
    if (pem_holds(cfg->key_path, "CERTIFICATE") && !pem_holds(cfg->key_path, "PRIVATE KEY")) {
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID,
                      "%s is a certificate, not a private key (--key takes the key made with "
                      "%s, e.g. NAME.key)", cfg->key_path, cfg->cert_path);
        goto out;
    }
    if (ccf_pki_key_read(cfg->key_path, &key, e, sizeof e) != CCF_OK) {
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "%s is not a PEM private key: %s",
                      cfg->key_path, e);
        goto out;
    }
    }
    if (X509_check_private_key(mine, key) != 1) {
        ERR_clear_error();
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID,
                      "%s does not match %s (give the key made with that certificate)",
                      cfg->key_path ? cfg->key_path : "the key",
                      cfg->cert_path ? cfg->cert_path : "the certificate");
        goto out;
    }
    rc = CCF_OK;
out:
    X509_free(mine);
    EVP_PKEY_free(key);
    return rc;
}

ccf_err ccf_client_open(const ccf_client_config *cfg, ccf_client **out, char *err, size_t err_size)
{
    ccf_client *c = calloc(1, sizeof *c);
    ccf_policy_errors errors;
    ccf_err rc;

    *out = NULL;
    if (c == NULL)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    c->cfg = *cfg;
    if (cfg->policy_path == NULL) { /* in memory (client.h) */
        if (cfg->policy_len > CCF_POLICY_MAX_BYTES || (c->text = malloc(cfg->policy_len + 1)) == NULL) {
            rc = ccf_errf(err, err_size, CCF_ERR_TOO_LARGE, "the policy is over %u bytes",
                          (unsigned)CCF_POLICY_MAX_BYTES);
            goto fail;
        }
        memcpy(c->text, cfg->policy_text, cfg->policy_len);
        c->text[cfg->policy_len] = '\0';
        c->len = cfg->policy_len;
    } else if ((rc = ccf_file_read(cfg->policy_path, CCF_POLICY_MAX_BYTES, &c->text, &c->len, err,
                                   err_size)) != CCF_OK) {
        char why[400];
        snprintf(why, sizeof why, "%s", err);
        ccf_errf(err, err_size, rc, "policy %s: %s", cfg->policy_path, why);
        goto fail;
    }
    if ((rc = ccf_policy_parse(c->text, c->len, CCF_POLICY_FULL, &c->policy, &errors)) != CCF_OK) {
        ccf_errf(err, err_size, rc, "%s is not a valid full policy: %s%s%s",
                 cfg->policy_path ? cfg->policy_path : "the policy",
                 errors.count ? errors.items[0].path : "", errors.count ? ": " : "",
                 errors.count ? errors.items[0].message : ccf_strerror(rc));
        goto fail;
    }
    if (!ccf_policy_hash(c->text, c->len, c->hash)) {
        rc = ccf_errf(err, err_size, CCF_ERR_CRYPTO, "cannot hash the policy");
        goto fail;
    }
    if (cfg->trust != NULL && (rc = ccf_trust_check_policy(cfg->trust, c->policy, err,
                                                           err_size)) != CCF_OK)
        goto fail;
    if ((cfg->cert_path == NULL) != (cfg->key_path == NULL) ||
        (cfg->cert_path == NULL && (cfg->cert_pem == NULL || cfg->key_pem == NULL))) {
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "an identity needs a certificate and its key");
        goto fail;
    }
    if (cfg->cert_path != NULL && (access(cfg->cert_path, R_OK) != 0 || access(cfg->key_path, R_OK) != 0)) {
        rc = ccf_errf(err, err_size, CCF_ERR_IO, "cannot read the identity %s / %s: %s",
                      cfg->cert_path, cfg->key_path, strerror(errno));
        goto fail;
    }
    if ((rc = check_identity(cfg, c->policy, err, err_size)) != CCF_OK)
        goto fail;
    if (cfg->url != NULL)
        snprintf(c->base, sizeof c->base, "%s", cfg->url);
    else
        snprintf(c->base, sizeof c->base, "https://%s", c->policy->veracruz_server_url);
    if ((c->curl = curl_easy_init()) == NULL ||
        (c->headers = curl_slist_append(NULL, "Expect:")) == NULL) {
        rc = ccf_errf(err, err_size, CCF_ERR_NOMEM, "curl_easy_init failed");
        goto fail;
    }
    c->vt.policy_text = c->text;
    c->vt.policy_len = c->len;
    c->vt.policy = c->policy;
    c->vt.trust = cfg->trust;
    *out = c;
    return CCF_OK;
fail:
    ccf_client_free(c);
    return rc;
}

const ccf_policy *ccf_client_policy(const ccf_client *c) { return c->policy; }
const char *ccf_client_policy_hash(const ccf_client *c) { return c->hash; }

/* ---- one request ------------------------------------------------------------ */

struct sink {
    FILE *file;     /* the body goes here when the status is 2xx */
    ccf_dynbuf mem; /* else (and for JSON replies) here, bounded */
    CURL *curl;
};

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    struct sink *s = arg;
    size_t len = size * n;
    long status = 0;
    curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
    if (s->file != NULL && status >= 200 && status < 300)
        return fwrite(data, 1, len, s->file) == len ? len : 0;
    return ccf_dynbuf_add(&s->mem, data, len) == CCF_OK ? len : 0; /* 0 aborts */
}

/* One line on stderr, rewritten in place, whenever the percentage of a
 * transfer over 1 MiB changes (libcurl calls this many times a second, and
 * at least once a second while nothing moves); and an upload's stop. */
static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    struct progress *p = arg;
    if (p->stop != NULL && p->stop(p->stop_user)) {
        p->stopped = true;
        return 1; /* aborts the transfer: the instance sees a broken upload */
    }
    if (p->name == NULL)
        return 0;
    bool down = dltotal > ultotal;
    curl_off_t total = down ? dltotal : ultotal, now = down ? dlnow : ulnow;
    if (total <= (1 << 20))
        return 0;
    int pct = (int)(100 * now / total);
    if (pct != p->shown) {
        fprintf(stderr, "\r%s: %s %3d%% of %lld MiB", p->name, down ? "downloading" : "uploading",
                pct, (long long)(total >> 20));
        p->shown = pct;
    }
    return 0;
}

/* An upload's source: a FILE, or a callback (ccf_client_put_cb). */
struct source {
    FILE *file;
    ccf_client_read_fn fn;
    ccf_client_stop_fn stop;
    void *user;
};

static size_t on_read(char *buf, size_t size, size_t n, void *arg)
{
    const struct source *src = arg;
    size_t got = src->fn(src->user, buf, size * n);
    return got == CCF_CLIENT_READ_ABORT ? CURL_READFUNC_ABORT : got;
}

/* Performs method on path; body from `upload` (size `up_size`, -1 = unknown),
 * 2xx body to `download` or into s->mem. Returns the HTTP status in *status. */
static ccf_err request(ccf_client *c, const char *method, const char *path,
                       const struct source *upload, curl_off_t up_size, FILE *download,
                       struct sink *s, long *status, char *err, size_t err_size)
{
    char url[1200], *escaped = NULL, errbuf[CURL_ERROR_SIZE] = "", noproxy[1024];
    CURL *h = c->curl;
    CURLcode cc;

    /* escape each path segment of the file/program name, keep the '/' */
    const char *name = strchr(path + 1, '/');
    size_t prefix = name ? (size_t)(name - path) + 1 : strlen(path);
    if (name != NULL && (escaped = curl_easy_escape(h, path + prefix, 0)) == NULL)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    for (char *q = escaped; q && (q = strstr(q, "%2F")) != NULL;) {
        *q = '/';
        memmove(q + 1, q + 3, strlen(q + 3) + 1);
    }
    snprintf(url, sizeof url, "%s%.*s%s", c->base, (int)prefix, path, escaped ? escaped : "");
    curl_free(escaped);

    memset(s, 0, sizeof *s);
    ccf_dynbuf_init(&s->mem, MAX_JSON_REPLY);
    s->file = download;
    s->curl = h;
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    if (c->cfg.cert_path != NULL) {
        curl_easy_setopt(h, CURLOPT_SSLCERT, c->cfg.cert_path);
        curl_easy_setopt(h, CURLOPT_SSLKEY, c->cfg.key_path);
    } else { /* in memory: the key never touches a file */
        struct curl_blob cert = {(void *)c->cfg.cert_pem, strlen(c->cfg.cert_pem), CURL_BLOB_NOCOPY};
        struct curl_blob key = {(void *)c->cfg.key_pem, strlen(c->cfg.key_pem), CURL_BLOB_NOCOPY};
        curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &cert);
        curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
        curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &key);
        curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
    }
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h, CURLOPT_SSL_CTX_FUNCTION, ssl_ctx_cb);
    curl_easy_setopt(h, CURLOPT_SSL_CTX_DATA, &c->vt);
    curl_easy_setopt(h, CURLOPT_SSL_SESSIONID_CACHE, 0L); /* every connection verified afresh */
    /* The instance is checked against the policy's proxy CA only (ssl_ctx_cb):
     * parsing the system's CA bundle for each connection would cost ~20 ms and
     * trust nothing we use. */
    curl_easy_setopt(h, CURLOPT_CAINFO, NULL);
    curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
    curl_easy_setopt(h, CURLOPT_NOPROXY, ccf_http_no_proxy(noproxy, sizeof noproxy));
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, c->cfg.timeout_s);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 15L);
    /* Large transfers: bigger buffers than libcurl's 16/64 KiB defaults, and no
     * Expect: 100-continue (libcurl would wait up to 1 s for an answer before
     * sending a body over 1 MiB). */
    curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 512L * 1024);
    curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 2L * 1024 * 1024);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->headers);
    c->progress = (struct progress){.shown = -1};
    if (upload != NULL && upload->stop != NULL) {
        c->progress.stop = upload->stop;
        c->progress.stop_user = upload->user;
    }
    if (c->cfg.progress) {
        /* the user's file name, not the route it travels on */
        const char *shown = path;
        if (strncmp(shown, "/files/", 7) == 0)
            shown += 7;
        else if (strncmp(shown, "/execute/", 9) == 0)
            shown += 9;
        c->progress.name = shown;
    }
    if (c->progress.name != NULL || c->progress.stop != NULL) {
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, &c->progress);
    }
    if (upload != NULL) {
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        if (upload->fn != NULL) {
            curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
            curl_easy_setopt(h, CURLOPT_READDATA, upload);
            /* an instance reading a stream sets the pace: no overall timeout (timeout_s
             * 0), only a transfer that does not move for 5 minutes fails */
            curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
            curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 300L);
        } else {
            curl_easy_setopt(h, CURLOPT_READDATA, upload->file);
        }
        if (up_size >= 0)
            curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, up_size);
    } else if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
    }
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    c->vt.ran = false;
    cc = curl_easy_perform(h);
    if (c->cfg.progress && c->progress.shown >= 0)
        fprintf(stderr, "\r\033[K"); /* clear the progress line */
    if (c->progress.stopped)
        return ccf_errf(err, err_size, CCF_ERR_BUSY, "cancelled");
    if (c->vt.ran && c->vt.result.failed != CCF_VERIFY_OK)
        return ccf_errf(err, err_size, CCF_ERR_DENIED, "instance refused: %s check failed: %s",
                        ccf_verify_check_name(c->vt.result.failed), c->vt.result.detail);
    if (cc != CURLE_OK)
        return ccf_errf(err, err_size, CCF_ERR_IO, "%s %s: %s", method, url,
                        errbuf[0] ? errbuf : curl_easy_strerror(cc));
    /* A reused connection was verified when it was made. */
    if (!c->vt.ran && !c->verified)
        return ccf_errf(err, err_size, CCF_ERR_DENIED, "the instance was not verified");
    c->verified = true;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    return CCF_OK;
}

/* The error of a non-2xx reply: "403 forbidden: identity 1 may not read output". */
static ccf_err http_error(long status, const struct sink *s, char *err, size_t err_size)
{
    json_t *j = s->mem.p ? json_loads(s->mem.p, 0, NULL) : NULL;
    const char *code = json_string_value(json_object_get(json_object_get(j, "error"), "code"));
    const char *msg = json_string_value(json_object_get(json_object_get(j, "error"), "message"));
    ccf_err e = status == 403 ? CCF_ERR_DENIED : status == 404 ? CCF_ERR_NOT_FOUND
              : status == 413 ? CCF_ERR_TOO_LARGE : CCF_ERR_INVALID;
    ccf_errf(err, err_size, e, "%ld %s: %s", status, code ? code : "error",
             msg ? msg : (s->mem.p ? s->mem.p : "(no detail)"));
    json_decref(j);
    return e;
}

ccf_err ccf_client_verify(ccf_client *c, ccf_verify_result *res, char *err, size_t err_size)
{
    struct sink s;
    long status = 0;
    ccf_err rc = request(c, "GET", "/policy/hash", NULL, 0, NULL, &s, &status, err, err_size);
    *res = c->vt.result;
    if (rc == CCF_OK && status != 200)
        rc = http_error(status, &s, err, err_size);
    else if (rc == CCF_OK && (s.mem.p == NULL || strcmp(s.mem.p, c->hash) != 0))
        rc = ccf_errf(err, err_size, CCF_ERR_DENIED,
                      "the instance serves policy %.64s, not %s", s.mem.p ? s.mem.p : "?", c->hash);
    ccf_dynbuf_free(&s.mem);
    return rc;
}

ccf_err ccf_client_put(ccf_client *c, const char *name, const char *path, bool append, char *err,
                       size_t err_size)
{
    char route[1100];
    struct sink s;
    struct stat st;
    long status = 0;
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    ccf_err rc;

    if (f == NULL)
        return ccf_errf(err, err_size, CCF_ERR_IO, "%s: %s", path, strerror(errno));
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        if (f != stdin)
            fclose(f);
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "%s is a directory, not a file; nothing "
                        "was sent", path);
    }
    snprintf(route, sizeof route, "/files/%s", name);
    struct source src = {.file = f};
    rc = request(c, append ? "POST" : "PUT", route, &src,
                 fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) ? (curl_off_t)st.st_size : -1,
                 NULL, &s, &status, err, err_size);
    if (rc == CCF_OK && status != 200)
        rc = http_error(status, &s, err, err_size);
    if (f != stdin)
        fclose(f);
    ccf_dynbuf_free(&s.mem);
    return rc;
}

ccf_err ccf_client_put_cb(ccf_client *c, const char *name, ccf_client_read_fn fn,
                          ccf_client_stop_fn stop, void *user, long long size, bool append,
                          char *err, size_t err_size)
{
    char route[1100];
    struct sink s;
    long status = 0;
    struct source src = {.fn = fn, .stop = stop, .user = user};
    snprintf(route, sizeof route, "/files/%s", name);
    ccf_err rc = request(c, append ? "POST" : "PUT", route, &src, size >= 0 ? (curl_off_t)size : -1,
                         NULL, &s, &status, err, err_size);
    if (rc == CCF_OK && status != 200)
        rc = http_error(status, &s, err, err_size);
    ccf_dynbuf_free(&s.mem);
    return rc;
}

ccf_err ccf_client_get(ccf_client *c, const char *name, const char *path, char *err,
                       size_t err_size)
{
    char route[1100], tmp[4200];
    struct sink s;
    long status = 0;
    bool to_stdout = strcmp(path, "-") == 0, direct = false;
    struct stat st;
    FILE *f;
    ccf_err rc;

    /* A device or FIFO (/dev/null, a pipe) is written in place: the
     * temporary-file-and-rename below would replace it with a regular file. */
    if (!to_stdout && stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        if ((f = fopen(path, "wb")) == NULL)
            return ccf_errf(err, err_size, CCF_ERR_IO, "%s: %s", path, strerror(errno));
        direct = true;
    } else if (to_stdout) {
        f = stdout;
    } else {
        if (snprintf(tmp, sizeof tmp, "%s.part-%ld", path, (long)getpid()) >= (int)sizeof tmp)
            return ccf_errf(err, err_size, CCF_ERR_INVALID, "path too long: %s", path);
        if ((f = fopen(tmp, "wb")) == NULL)
            return ccf_errf(err, err_size, CCF_ERR_IO, "%s: %s", tmp, strerror(errno));
    }
    snprintf(route, sizeof route, "/files/%s", name);
    rc = request(c, "GET", route, NULL, 0, f, &s, &status, err, err_size);
    if (rc == CCF_OK && status != 200)
        rc = http_error(status, &s, err, err_size);
    if (direct) {
        if (fclose(f) != 0 && rc == CCF_OK)
            rc = ccf_errf(err, err_size, CCF_ERR_IO, "%s: %s", path, strerror(errno));
    } else if (!to_stdout) {
        if (fclose(f) != 0 && rc == CCF_OK)
            rc = ccf_errf(err, err_size, CCF_ERR_IO, "%s: %s", path, strerror(errno));
        if (rc == CCF_OK && rename(tmp, path) != 0)
            rc = ccf_errf(err, err_size, CCF_ERR_IO, "%s: %s", path, strerror(errno));
        if (rc != CCF_OK)
            unlink(tmp);
    } else {
        fflush(stdout);
    }
    ccf_dynbuf_free(&s.mem);
    return rc;
}

ccf_err ccf_client_execute(ccf_client *c, const char *program, long *exit_code, char *trap,
                           size_t trap_size, char *err, size_t err_size)
{
    char route[1100];
    struct sink s;
    long status = 0;
    json_t *j = NULL;
    ccf_err rc;

    snprintf(route, sizeof route, "/execute/%s", program);
    rc = request(c, "POST", route, NULL, 0, NULL, &s, &status, err, err_size);
    if (rc == CCF_OK && status != 200)
        rc = http_error(status, &s, err, err_size);
    if (rc == CCF_OK) {
        j = s.mem.p ? json_loads(s.mem.p, 0, NULL) : NULL;
        json_t *code = json_object_get(j, "exit_code");
        json_t *t = json_object_get(j, "trap");
        *exit_code = json_is_integer(code) ? (long)json_integer_value(code) : -1;
        snprintf(trap, trap_size, "%s", json_is_string(t) ? json_string_value(t) : "");
        if (j == NULL)
            rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "malformed reply to execute");
    }
    json_decref(j);
    ccf_dynbuf_free(&s.mem);
    return rc;
}

ccf_err ccf_client_call(ccf_client *c, const char *method, const char *path, const char *body,
                        size_t len, long *status, char **reply, char *err, size_t err_size)
{
    struct sink s;
    FILE *up = len > 0 ? fmemopen((void *)body, len, "rb") : NULL;
    ccf_err rc;
    *reply = NULL;
    if (len > 0 && up == NULL)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    struct source src = {.file = up};
    rc = request(c, method, path, up ? &src : NULL, (curl_off_t)len, NULL, &s, status, err, err_size);
    if (up != NULL)
        fclose(up);
    if (rc == CCF_OK && ccf_dynbuf_add(&s.mem, "", 1) == CCF_OK) {
        *reply = s.mem.p; /* the sink's buffer, NUL-terminated */
        s.mem.p = NULL;
    } else if (rc == CCF_OK) {
        rc = ccf_errf(err, err_size, CCF_ERR_TOO_LARGE, "%s %s: reply too large", method, path);
    }
    ccf_dynbuf_free(&s.mem);
    return rc;
}

ccf_err ccf_client_shutdown(ccf_client *c, char *err, size_t err_size)
{
    struct sink s;
    long status = 0;
    ccf_err rc = request(c, "POST", "/shutdown", NULL, 0, NULL, &s, &status, err, err_size);
    if (rc == CCF_OK && status != 200)
        rc = http_error(status, &s, err, err_size);
    ccf_dynbuf_free(&s.mem);
    return rc;
}
