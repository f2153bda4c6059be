/* Kubernetes API client (see k8s_api.h). */
#define _GNU_SOURCE /* strndup */
#include "vaas/k8s_api.h"

#include <curl/curl.h>
#include <libgen.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dynbuf.h"
#include "common/file.h"
#include "vaas/k8s_parse.h"

#define PEM_MAX (256u * 1024u)
#define TOKEN_MAX (64u * 1024u)

struct ccf_k8s {
    char *server; /* without a trailing '/' */
    char *ca_pem, *cert_pem, *key_pem;
    char *token;      /* fixed token, or NULL */
    char *token_file; /* read per request, or NULL */
    char *ns;
};

static void wipe_free(char *s)
{
    if (s != NULL) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

void ccf_k8s_free(ccf_k8s *k)
{
    if (k == NULL)
        return;
    free(k->server);
    free(k->ca_pem);
    free(k->cert_pem);
    wipe_free(k->key_pem);
    wipe_free(k->token);
    free(k->token_file);
    free(k->ns);
    free(k);
}

const char *ccf_k8s_namespace(const ccf_k8s *k)
{
    return k->ns;
}

const char *ccf_k8s_server(const ccf_k8s *k)
{
    return k->server;
}

/* path, relative to dir unless absolute, read whole (at most max bytes). */
static ccf_err read_rel(const char *dir, const char *path, size_t max, char **out, char *err,
                        size_t err_size)
{
    char full[PATH_MAX];
    size_t len;
    if (snprintf(full, sizeof full, "%s%s%s", path[0] == '/' || dir == NULL ? "" : dir,
                 path[0] == '/' || dir == NULL ? "" : "/", path) >= (int)sizeof full)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "path too long: %s", path);
    return ccf_file_read(full, max, out, &len, err, err_size);
}

/* A token file's text without its trailing newline. */
static ccf_err read_token(const char *dir, const char *path, char **out, char *err,
                          size_t err_size)
{
    ccf_err rc = read_rel(dir, path, TOKEN_MAX, out, err, err_size);
    if (rc != CCF_OK)
        return rc;
    size_t n = strlen(*out);
    while (n > 0 && ((*out)[n - 1] == '\n' || (*out)[n - 1] == '\r' || (*out)[n - 1] == ' '))
        (*out)[--n] = '\0';
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)(*out)[i] < 0x21 || (*out)[i] == 0x7f) {
            wipe_free(*out);
            *out = NULL;
            return ccf_errf(err, err_size, CCF_ERR_INVALID, "token %s: not one line of "
                            "printable characters", path);
        }
    return CCF_OK;
}

static bool valid_ns(const char *ns)
{
    size_t n = strlen(ns);
    if (n == 0 || n > 63 || ns[0] == '-' || ns[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((ns[i] >= 'a' && ns[i] <= 'z') || (ns[i] >= '0' && ns[i] <= '9') || ns[i] == '-'))
            return false;
    return true;
}

static ccf_err open_kubeconfig(ccf_k8s *k, const char *file, const char *context, char *err,
                               size_t err_size)
{
    char *text = NULL, dir[PATH_MAX];
    size_t len = 0;
    json_t *root = NULL;
    ccf_k8s_kubeconfig kc = {0};
    ccf_err rc = ccf_file_read(file, CCF_K8S_YAML_MAX, &text, &len, err, err_size);
    if (rc != CCF_OK)
        return rc;
    snprintf(dir, sizeof dir, "%s", file);
    char *d = dirname(dir);
    if ((rc = ccf_k8s_yaml_parse(text, len, &root, err, err_size)) != CCF_OK ||
        (rc = ccf_k8s_kubeconfig_select(root, context, &kc, err, err_size)) != CCF_OK)
        goto out;
    k->server = kc.server;
    kc.server = NULL;
    k->ca_pem = kc.ca_pem;
    kc.ca_pem = NULL;
    k->cert_pem = kc.cert_pem;
    kc.cert_pem = NULL;
    k->key_pem = kc.key_pem;
    kc.key_pem = NULL;
    k->token = kc.token;
    kc.token = NULL;
    if ((kc.ca_file != NULL && k->ca_pem == NULL &&
         (rc = read_rel(d, kc.ca_file, PEM_MAX, &k->ca_pem, err, err_size)) != CCF_OK) ||
        (kc.cert_file != NULL && k->cert_pem == NULL &&
         (rc = read_rel(d, kc.cert_file, PEM_MAX, &k->cert_pem, err, err_size)) != CCF_OK) ||
        (kc.key_file != NULL && k->key_pem == NULL &&
         (rc = read_rel(d, kc.key_file, PEM_MAX, &k->key_pem, err, err_size)) != CCF_OK))
        goto out;
    if (kc.token_file != NULL && k->token == NULL) {
        char full[PATH_MAX];
        snprintf(full, sizeof full, "%s%s%s", kc.token_file[0] == '/' ? "" : d,
                 kc.token_file[0] == '/' ? "" : "/", kc.token_file);
        if ((k->token_file = strdup(full)) == NULL) {
            rc = ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
            goto out;
        }
    }
    if (kc.namespace_ != NULL && k->ns == NULL) {
        k->ns = kc.namespace_;
        kc.namespace_ = NULL;
    }
out:
    if (rc != CCF_OK && err[0] != '\0') {
        char tmp[1024];
        snprintf(tmp, sizeof tmp, "%s", err);
        ccf_errf(err, err_size, rc, "%s: %s", file, tmp);
    }
    ccf_k8s_kubeconfig_clear(&kc);
    json_decref(root);
    if (text != NULL)
        OPENSSL_cleanse(text, len);
    free(text);
    return rc;
}

static ccf_err open_in_cluster(ccf_k8s *k, char *err, size_t err_size)
{
    const char *host = getenv("KUBERNETES_SERVICE_HOST"), *port = getenv("KUBERNETES_SERVICE_PORT");
    char url[512];
    ccf_err rc;
    if (host == NULL || port == NULL || host[0] == '\0')
        return ccf_errf(err, err_size, CCF_ERR_INVALID,
                        "not inside a Kubernetes pod (no KUBERNETES_SERVICE_HOST): give "
                        "--kubeconfig FILE");
    snprintf(url, sizeof url, strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s", host,
             port);
    if ((k->server = strdup(url)) == NULL ||
        (k->token_file = strdup(CCF_K8S_SA_DIR "/token")) == NULL)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    if ((rc = read_rel(NULL, CCF_K8S_SA_DIR "/ca.crt", PEM_MAX, &k->ca_pem, err, err_size)) !=
        CCF_OK)
        return rc;
    if (k->ns == NULL) {
        char *ns = NULL;
        if (read_token(NULL, CCF_K8S_SA_DIR "/namespace", &ns, err, err_size) == CCF_OK)
            k->ns = ns;
    }
    return CCF_OK;
}

ccf_err ccf_k8s_open(const char *kubeconfig, const char *context, const char *ns, ccf_k8s **out,
                     char *err, size_t err_size)
{
    ccf_err rc;
    *out = NULL;
    ccf_k8s *k = calloc(1, sizeof *k);
    if (k == NULL)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    if (ns != NULL && (k->ns = strdup(ns)) == NULL) {
        rc = ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
        goto out;
    }
    rc = kubeconfig != NULL ? open_kubeconfig(k, kubeconfig, context, err, err_size)
                            : open_in_cluster(k, err, err_size);
    if (rc != CCF_OK)
        goto out;
    if (k->ns == NULL && (k->ns = strdup("default")) == NULL) {
        rc = ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (!valid_ns(k->ns)) {
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "namespace '%s': expected a DNS label "
                      "(a-z, 0-9, '-', at most 63)", k->ns);
        goto out;
    }
    if (strncmp(k->server, "https://", 8) == 0 && k->ca_pem == NULL) {
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "%s: https without a certificate "
                      "authority (certificate-authority or -data)", k->server);
        goto out;
    }
    size_t n = strlen(k->server);
    while (n > 0 && k->server[n - 1] == '/')
        k->server[--n] = '\0';
    *out = k;
    k = NULL;
out:
    ccf_k8s_free(k);
    return rc;
}

struct sink {
    ccf_dynbuf buf;
    ccf_err failed;
};

static size_t on_data(char *data, size_t size, size_t n, void *ud)
{
    struct sink *s = ud;
    s->failed = ccf_dynbuf_add(&s->buf, data, size * n);
    return s->failed == CCF_OK ? size * n : 0;
}

static ccf_err status_err(long status)
{
    switch (status) {
    case 404:
        return CCF_ERR_NOT_FOUND;
    case 409:
        return CCF_ERR_CONFLICT;
    case 401:
    case 403:
        return CCF_ERR_DENIED;
    default:
        return CCF_ERR_UPSTREAM;
    }
}

ccf_err ccf_k8s_request(ccf_k8s *k, const char *method, const char *path, const json_t *body,
                        const char *content_type, long *status, json_t **reply, char *err,
                        size_t err_size)
{
    struct sink sink = {.failed = CCF_OK};
    struct curl_slist *hdrs = NULL;
    char *text = NULL, *token = NULL, url[4096], hdr[256];
    ccf_err rc = CCF_OK;
    CURL *c = NULL;
    *status = 0;
    if (reply != NULL)
        *reply = NULL;
    ccf_dynbuf_init(&sink.buf, CCF_K8S_REPLY_MAX);
    if (snprintf(url, sizeof url, "%s%s", k->server, path) >= (int)sizeof url)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "%s %s: URL too long", method, path);
    if (body != NULL && (text = json_dumps(body, JSON_COMPACT)) == NULL)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    if (k->token != NULL) {
        token = k->token;
    } else if (k->token_file != NULL) {
        if ((rc = read_token(NULL, k->token_file, &token, err, err_size)) != CCF_OK)
            goto out;
    }
    if ((c = curl_easy_init()) == NULL) {
        rc = ccf_errf(err, err_size, CCF_ERR_NOMEM, "cannot start an HTTP client");
        goto out;
    }
    hdrs = curl_slist_append(hdrs, "Expect:");
    hdrs = curl_slist_append(hdrs, "Accept: application/json");
    if (text != NULL) {
        snprintf(hdr, sizeof hdr, "Content-Type: %s",
                 content_type ? content_type : "application/json");
        hdrs = curl_slist_append(hdrs, hdr);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, text);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(text));
    }
    if (token != NULL) {
        char auth[TOKEN_MAX + 32];
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
        hdrs = curl_slist_append(hdrs, auth); /* libcurl copies it */
        OPENSSL_cleanse(auth, sizeof auth);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "GET") == 0)
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "ccfaas-vaas");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 15000L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*"); /* the API server directly, never a proxy */
    if (k->ca_pem != NULL) {
        struct curl_blob ca = {.data = k->ca_pem, .len = strlen(k->ca_pem),
                               .flags = CURL_BLOB_COPY};
        curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &ca);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    }
    if (k->cert_pem != NULL && k->key_pem != NULL) {
        struct curl_blob cert = {.data = k->cert_pem, .len = strlen(k->cert_pem),
                                 .flags = CURL_BLOB_COPY};
        struct curl_blob key = {.data = k->key_pem, .len = strlen(k->key_pem),
                                .flags = CURL_BLOB_COPY};
        curl_easy_setopt(c, CURLOPT_SSLCERT_BLOB, &cert);
        curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
        curl_easy_setopt(c, CURLOPT_SSLKEY_BLOB, &key);
        curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
    }
    CURLcode cc = curl_easy_perform(c);
    if (cc != CURLE_OK) {
        rc = sink.failed == CCF_ERR_TOO_LARGE
                 ? ccf_errf(err, err_size, CCF_ERR_TOO_LARGE, "%s %s: reply over %u bytes",
                            method, path, CCF_K8S_REPLY_MAX)
                 : ccf_errf(err, err_size, CCF_ERR_IO, "%s %s%s: %s", method, k->server, path,
                            curl_easy_strerror(cc));
        goto out;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    if (reply != NULL && sink.buf.len > 0)
        *reply = json_loadb(sink.buf.p, sink.buf.len, 0, NULL);
    if (*status < 200 || *status > 299) {
        char desc[800];
        ccf_k8s_status_describe(*status, sink.buf.p, sink.buf.len, desc, sizeof desc, NULL, 0);
        rc = ccf_errf(err, err_size, status_err(*status), "%s %s: %s", method, path, desc);
    }
out:
    if (token != NULL && token != k->token)
        wipe_free(token);
    for (struct curl_slist *h = hdrs; h != NULL; h = h->next) /* the Authorization line */
        OPENSSL_cleanse(h->data, strlen(h->data));
    curl_slist_free_all(hdrs);
    if (c != NULL)
        curl_easy_cleanup(c);
    free(text);
    ccf_dynbuf_free(&sink.buf);
    return rc;
}
