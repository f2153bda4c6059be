/* Registry v2 client over libcurl (oci.h): manifests and blobs, anonymous,
 * basic and bearer-token auth (the distribution spec's token flow), every
 * byte checked against its digest. */
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/dynbuf.h"
#include "oci/oci.h"

#define DEFAULT_MAX_BLOB (256u * 1024u * 1024u)

struct reply {
    long status;
    ccf_dynbuf body;
    char www_auth[2048];
    char digest[CCF_OCI_DIGEST_LEN + 1];
    char content_type[128];
};

struct session {
    const ccf_oci_ref *ref;
    const ccf_oci_pull_opts *opts;
    char auth[4096]; /* "Authorization: ..." once known, else "" */
};

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
    struct reply *r = ctx;
    return ccf_dynbuf_add(&r->body, p, size * n) == CCF_OK ? size * n : 0;
}

/* Copies a header's value (trimmed) when the line names it. */
static void header_value(const char *line, size_t len, const char *name, char *out, size_t size)
{
    size_t nl = strlen(name);
    if (len <= nl + 1 || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
        return;
    const char *v = line + nl + 1;
    size_t vl = len - nl - 1;
    while (vl > 0 && (*v == ' ' || *v == '\t'))
        v++, vl--;
    while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
        vl--;
    if (vl < size) {
        memcpy(out, v, vl);
        out[vl] = '\0';
    }
}

static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
    struct reply *r = ctx;
    size_t len = size * n;
    if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) /* a new response (redirects): start over */
        r->www_auth[0] = r->digest[0] = r->content_type[0] = '\0';
    header_value(p, len, "WWW-Authenticate", r->www_auth, sizeof r->www_auth);
    header_value(p, len, "Docker-Content-Digest", r->digest, sizeof r->digest);
    header_value(p, len, "Content-Type", r->content_type, sizeof r->content_type);
    return len;
}

/* One GET; follows redirects (blobs are often served elsewhere; curl sends
 * our Authorization header to the first host only). */
static ccf_err get(const struct session *s, const char *url, const char *accept,
                   const char *auth_line, size_t max, struct reply *r, char *err,
                   size_t err_size)
{
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    char ebuf[CURL_ERROR_SIZE] = "";
    ccf_err rc = CCF_OK;
    memset(r, 0, sizeof *r);
    ccf_dynbuf_init(&r->body, max);
    if (c == NULL)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    if (accept != NULL)
        h = curl_slist_append(h, accept);
    if (auth_line != NULL && auth_line[0] != '\0')
        h = curl_slist_append(h, auth_line);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, s->opts->insecure_http ? "http,https" : "https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, s->opts->insecure_http ? "http,https" : "https");
    curl_easy_setopt(c, CURLOPT_TIMEOUT, s->opts->timeout_s > 0 ? s->opts->timeout_s : 120L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
    if (s->opts->ca_file != NULL)
        curl_easy_setopt(c, CURLOPT_CAINFO, s->opts->ca_file);
    CURLcode cc = curl_easy_perform(c);
    if (cc == CURLE_WRITE_ERROR)
        rc = ccf_errf(err, err_size, CCF_ERR_TOO_LARGE, "GET %s: larger than %zu bytes", url, max);
    else if (cc != CURLE_OK)
        rc = ccf_errf(err, err_size, CCF_ERR_IO, "GET %s: %s", url,
                      ebuf[0] ? ebuf : curl_easy_strerror(cc));
    else
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    if (rc != CCF_OK)
        ccf_dynbuf_free(&r->body);
    return rc;
}

/* After a 401: the Authorization line the challenge asks for (basic
 * credentials, or a token from the realm). */
static ccf_err authenticate(struct session *s, const char *www_auth, char *err, size_t err_size)
{
    ccf_oci_challenge ch;
    char basic[1024] = "", userpass[600], b64[820];
    ccf_err rc = ccf_oci_challenge_parse(www_auth, &ch, err, err_size);
    if (rc != CCF_OK)
        return rc;
    if (s->opts->username != NULL) {
        int n = snprintf(userpass, sizeof userpass, "%s:%s", s->opts->username,
                         s->opts->password ? s->opts->password : "");
        if (n < 0 || (size_t)n >= sizeof userpass)
            return ccf_errf(err, err_size, CCF_ERR_INVALID, "registry credentials too long");
        EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)userpass, n);
        snprintf(basic, sizeof basic, "Authorization: Basic %s", b64);
        OPENSSL_cleanse(userpass, sizeof userpass);
    }
    if (!ch.bearer) {
        if (basic[0] == '\0')
            return ccf_errf(err, err_size, CCF_ERR_DENIED, "registry %s asks for basic "
                            "credentials and none were given", s->ref->host);
        snprintf(s->auth, sizeof s->auth, "%s", basic);
        OPENSSL_cleanse(basic, sizeof basic);
        return CCF_OK;
    }
    /* the token endpoint: realm?service=...&scope=... */
    CURL *c = curl_easy_init();
    char *sv = c ? curl_easy_escape(c, ch.service, 0) : NULL;
    char *sc = c ? curl_easy_escape(c, ch.scope[0] ? ch.scope : "", 0) : NULL;
    char url[2400];
    struct reply r;
    json_t *j = NULL;
    if (sv == NULL || sc == NULL) {
        rc = ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (ch.scope[0] == '\0')
        snprintf(url, sizeof url, "%s%cservice=%s&scope=repository:%s:pull", ch.realm,
                 strchr(ch.realm, '?') ? '&' : '?', sv, s->ref->repo);
    else
        snprintf(url, sizeof url, "%s%cservice=%s&scope=%s", ch.realm,
                 strchr(ch.realm, '?') ? '&' : '?', sv, sc);
    if ((rc = get(s, url, NULL, basic, 64 * 1024, &r, err, err_size)) != CCF_OK)
        goto out;
    if (r.status != 200) {
        rc = ccf_errf(err, err_size, CCF_ERR_DENIED, "token endpoint %s answered %ld", ch.realm,
                      r.status);
        ccf_dynbuf_free(&r.body);
        goto out;
    }
    j = json_loadb(r.body.p ? r.body.p : "", r.body.len, 0, NULL);
    ccf_dynbuf_free(&r.body);
    const char *tok = json_string_value(json_object_get(j, "token"));
    if (tok == NULL)
        tok = json_string_value(json_object_get(j, "access_token"));
    if (tok == NULL || strlen(tok) + 32 > sizeof s->auth) {
        rc = ccf_errf(err, err_size, CCF_ERR_DENIED, "token endpoint %s gave no usable token",
                      ch.realm);
        goto out;
    }
    snprintf(s->auth, sizeof s->auth, "Authorization: Bearer %s", tok);
out:
    OPENSSL_cleanse(basic, sizeof basic);
    json_decref(j);
    curl_free(sv);
    curl_free(sc);
    curl_easy_cleanup(c);
    return rc;
}

/* GET with the session's auth; on 401 authenticate once and retry. */
static ccf_err get_auth(struct session *s, const char *url, const char *accept, size_t max,
                        struct reply *r, char *err, size_t err_size)
{
    ccf_err rc = get(s, url, accept, s->auth, max, r, err, err_size);
    if (rc != CCF_OK || r->status != 401)
        return rc;
    char challenge[sizeof r->www_auth];
    snprintf(challenge, sizeof challenge, "%s", r->www_auth);
    ccf_dynbuf_free(&r->body);
    if (s->auth[0] != '\0')
        return ccf_errf(err, err_size, CCF_ERR_DENIED, "registry %s refused the credentials "
                        "(401)", s->ref->host);
    if (challenge[0] == '\0')
        return ccf_errf(err, err_size, CCF_ERR_DENIED, "registry %s answered 401 without "
                        "WWW-Authenticate", s->ref->host);
    if ((rc = authenticate(s, challenge, err, err_size)) != CCF_OK)
        return rc;
    rc = get(s, url, accept, s->auth, max, r, err, err_size);
    if (rc == CCF_OK && r->status == 401) {
        ccf_dynbuf_free(&r->body);
        return ccf_errf(err, err_size, CCF_ERR_DENIED, "registry %s refused the credentials "
                        "(401)", s->ref->host);
    }
    return rc;
}

static void base_url(const struct session *s, const char *kind, const char *what, char *out,
                     size_t size)
{
    snprintf(out, size, "%s://%s/v2/%s/%s/%s", s->opts->insecure_http ? "http" : "https",
             s->ref->host, s->ref->repo, kind, what);
}

#define ACCEPT "Accept: " CCF_OCI_MT_MANIFEST ", " CCF_OCI_MT_INDEX ", " CCF_OCI_MT_DOCKER_MANIFEST \
               ", " CCF_OCI_MT_DOCKER_LIST

/* One manifest or index by reference; digest-checked. */
static ccf_err fetch_manifest(struct session *s, const char *reference, const char *want_digest,
                              struct reply *r, char *err, size_t err_size)
{
    char url[1024], got[CCF_OCI_DIGEST_LEN + 1];
    base_url(s, "manifests", reference, url, sizeof url);
    ccf_err rc = get_auth(s, url, ACCEPT, CCF_OCI_MAX_MANIFEST, r, err, err_size);
    if (rc != CCF_OK)
        return rc;
    if (r->status != 200) {
        ccf_dynbuf_free(&r->body);
        return ccf_errf(err, err_size, r->status == 404 ? CCF_ERR_NOT_FOUND : CCF_ERR_IO,
                        "GET %s answered %ld", url, r->status);
    }
    ccf_oci_digest(r->body.p ? r->body.p : "", r->body.len, got);
    const char *want = want_digest && want_digest[0] ? want_digest : r->digest;
    if (want[0] != '\0' && strcmp(got, want) != 0) {
        ccf_dynbuf_free(&r->body);
        return ccf_errf(err, err_size, CCF_ERR_DENIED, "digest mismatch: the manifest of %s/%s "
                        "hashes to %s, not %s", s->ref->host, s->ref->repo, got, want);
    }
    memcpy(r->digest, got, sizeof got);
    return CCF_OK;
}

ccf_err ccf_oci_pull_manifest(const ccf_oci_ref *ref, const ccf_oci_pull_opts *opts,
                              ccf_oci_manifest *out, char manifest_digest[CCF_OCI_DIGEST_LEN + 1],
                              char *err, size_t err_size)
{
    struct session s = {.ref = ref, .opts = opts};
    struct reply r;
    ccf_oci_index ix = {0};
    ccf_err rc;
    memset(out, 0, sizeof *out);
    rc = fetch_manifest(&s, ref->digest[0] ? ref->digest : ref->tag, ref->digest, &r, err,
                        err_size);
    if (rc != CCF_OK)
        goto out;
    bool index = strncmp(r.content_type, CCF_OCI_MT_INDEX, strlen(CCF_OCI_MT_INDEX)) == 0 ||
                 strncmp(r.content_type, CCF_OCI_MT_DOCKER_LIST, strlen(CCF_OCI_MT_DOCKER_LIST)) == 0;
    if (index) {
        rc = ccf_oci_index_parse(r.body.p, r.body.len, &ix, err, err_size);
        ccf_dynbuf_free(&r.body);
        const ccf_oci_descriptor *d = rc == CCF_OK ? ccf_oci_index_pick(&ix) : NULL;
        if (rc == CCF_OK && d == NULL)
            rc = ccf_errf(err, err_size, CCF_ERR_NOT_FOUND, "the index of %s/%s is empty",
                          ref->host, ref->repo);
        if (rc != CCF_OK)
            goto out;
        char d_digest[CCF_OCI_DIGEST_LEN + 1];
        memcpy(d_digest, d->digest, sizeof d_digest);
        if ((rc = fetch_manifest(&s, d_digest, d_digest, &r, err, err_size)) != CCF_OK)
            goto out;
    }
    rc = ccf_oci_manifest_parse(r.body.p ? r.body.p : "", r.body.len, out, err, err_size);
    memcpy(manifest_digest, r.digest, CCF_OCI_DIGEST_LEN + 1);
    ccf_dynbuf_free(&r.body);
out:
    ccf_oci_index_clear(&ix);
    OPENSSL_cleanse(s.auth, sizeof s.auth);
    return rc;
}

ccf_err ccf_oci_pull_blob(const ccf_oci_ref *ref, const ccf_oci_pull_opts *opts,
                          const char *digest, int64_t size, uint8_t **out, size_t *len,
                          char *err, size_t err_size)
{
    struct session s = {.ref = ref, .opts = opts};
    struct reply r;
    char url[1024], got[CCF_OCI_DIGEST_LEN + 1];
    size_t max = opts->max_blob ? opts->max_blob : DEFAULT_MAX_BLOB;
    *out = NULL;
    *len = 0;
    if (size > (int64_t)max)
        return ccf_errf(err, err_size, CCF_ERR_TOO_LARGE, "blob %s is %lld bytes, over the %zu "
                        "allowed", digest, (long long)size, max);
    base_url(&s, "blobs", digest, url, sizeof url);
    ccf_err rc = get_auth(&s, url, NULL, max, &r, err, err_size);
    OPENSSL_cleanse(s.auth, sizeof s.auth);
    if (rc != CCF_OK)
        return rc;
    if (r.status != 200) {
        ccf_dynbuf_free(&r.body);
        return ccf_errf(err, err_size, CCF_ERR_IO, "GET %s answered %ld", url, r.status);
    }
    ccf_oci_digest(r.body.p ? r.body.p : "", r.body.len, got);
    if (strcmp(got, digest) != 0 || (size >= 0 && (int64_t)r.body.len != size)) {
        size_t n = r.body.len; /* before the buffer (and its length) goes */
        ccf_dynbuf_free(&r.body);
        return ccf_errf(err, err_size, CCF_ERR_DENIED, "digest mismatch: blob %s of %s/%s "
                        "hashes to %s (%zu bytes, the manifest says %lld)", digest, ref->host,
                        ref->repo, got, n, (long long)size);
    }
    if (r.body.p == NULL && (r.body.p = malloc(1)) == NULL)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    *out = (uint8_t *)r.body.p; /* the dynbuf's block, now the caller's */
    *len = r.body.len;
    return CCF_OK;
}
