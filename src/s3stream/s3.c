/* S3 GET with SigV4, resumption and error documents (s3.h). */
#include "s3stream/s3.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "net/http_client.h"

/* ---- the error document ---------------------------------------------------- */

static const char *skip_space(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    return p;
}

static bool starts(const char *p, const char *end, const char *s)
{
    size_t n = strlen(s);
    return (size_t)(end - p) >= n && memcmp(p, s, n) == 0;
}

/* Decodes the text p[0..n) into out (cut to size-1): the five predefined
 * entities; '<' or another '&' form is an error. */
static bool decode_text(const char *p, size_t n, char *out, size_t size)
{
    static const struct {
        const char *ent;
        char c;
    } ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        char c = p[i];
        size_t step = 1;
        if (c == '<')
            return false;
        if (c == '&') {
            size_t k;
            for (k = 0; k < sizeof ents / sizeof ents[0]; k++) {
                size_t el = strlen(ents[k].ent);
                if (n - i >= el && memcmp(p + i, ents[k].ent, el) == 0) {
                    c = ents[k].c;
                    step = el;
                    break;
                }
            }
            if (k == sizeof ents / sizeof ents[0])
                return false;
        }
        if (o + 1 < size)
            out[o++] = (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
        i += step;
    }
    out[o] = '\0';
    return true;
}

ccf_err ccf_s3_error_parse(const char *body, size_t len, ccf_s3_error *out)
{
    const char *p = body, *end;
    memset(out, 0, sizeof *out);
    if (len > CCF_S3_ERROR_MAX_BODY)
        len = CCF_S3_ERROR_MAX_BODY;
    end = body + len;
    p = skip_space(p, end);
    if (starts(p, end, "<?xml")) { /* the declaration: up to "?>" */
        const char *q = p;
        while (q + 1 < end && !(q[0] == '?' && q[1] == '>'))
            q++;
        if (q + 1 >= end)
            return CCF_ERR_INVALID;
        p = skip_space(q + 2, end);
    }
    if (!starts(p, end, "<Error>"))
        return CCF_ERR_INVALID;
    p += 7;
    /* children: <Name>text</Name>, until </Error> */
    for (;;) {
        char name[32];
        size_t nl = 0;
        p = skip_space(p, end);
        if (starts(p, end, "</Error>"))
            break;
        if (p >= end || *p != '<')
            return CCF_ERR_INVALID;
        p++;
        while (p < end && *p != '>' && *p != '/' && *p != ' ' && nl + 1 < sizeof name)
            name[nl++] = *p++;
        name[nl] = '\0';
        if (nl == 0 || p >= end)
            return CCF_ERR_INVALID;
        if (*p == '/') { /* an empty element <Name/> */
            if (p + 1 >= end || p[1] != '>')
                return CCF_ERR_INVALID;
            p += 2;
            continue;
        }
        if (*p != '>')
            return CCF_ERR_INVALID; /* attributes or an overlong name: not S3's shape */
        p++;
        const char *text = p;
        while (p < end && *p != '<')
            p++;
        size_t tl = (size_t)(p - text);
        if (p + 2 + nl + 1 > end || p[1] != '/' || memcmp(p + 2, name, nl) != 0 || p[2 + nl] != '>')
            return CCF_ERR_INVALID; /* not closed right after its text: nested markup */
        p += 3 + nl;
        char *dst = NULL;
        size_t dsize = 0;
        if (strcmp(name, "Code") == 0)
            dst = out->code, dsize = sizeof out->code;
        else if (strcmp(name, "Message") == 0)
            dst = out->message, dsize = sizeof out->message;
        else if (strcmp(name, "Region") == 0)
            dst = out->region, dsize = sizeof out->region;
        if (dst != NULL && !decode_text(text, tl, dst, dsize))
            return CCF_ERR_INVALID;
    }
    return out->code[0] != '\0' ? CCF_OK : CCF_ERR_INVALID;
}

/* ---- GET ------------------------------------------------------------------ */

#define ERROR_BODY_CAP CCF_S3_ERROR_MAX_BODY

struct xfer {
    const ccf_s3_source *src;
    ccf_s3_size_fn on_size;
    ccf_s3_sink_fn sink;
    void *user;
    CURL *curl;
    uint64_t got;        /* object bytes delivered so far */
    uint64_t resume_from; /* got when the current attempt started */
    bool range_ignored;   /* a resumed request answered with the whole object */
    bool sized, stopped; /* size reported; the sink said stop */
    long status;         /* of the current attempt, once its head arrived */
    char etag[160];
    char errbody[ERROR_BODY_CAP];
    size_t errlen;
};

static size_t on_header(char *line, size_t size, size_t n, void *arg)
{
    struct xfer *x = arg;
    size_t len = size * n;
    if (len > 5 && strncasecmp(line, "ETag:", 5) == 0 && x->etag[0] == '\0') {
        size_t i = 5, j = len;
        while (i < j && (line[i] == ' ' || line[i] == '\t'))
            i++;
        while (j > i && (line[j - 1] == '\r' || line[j - 1] == '\n' || line[j - 1] == ' '))
            j--;
        if (j - i < sizeof x->etag) {
            memcpy(x->etag, line + i, j - i);
            x->etag[j - i] = '\0';
        }
    }
    return len;
}

static size_t on_data(char *data, size_t size, size_t n, void *arg)
{
    struct xfer *x = arg;
    size_t len = size * n;
    if (x->status == 0)
        curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &x->status);
    if (x->status != 200 && x->status != 206) { /* an error document: kept, bounded */
        size_t room = sizeof x->errbody - x->errlen;
        size_t take = len < room ? len : room;
        memcpy(x->errbody + x->errlen, data, take);
        x->errlen += take;
        return len;
    }
    if (x->resume_from > 0 && x->status != 206) { /* never deliver the start twice */
        x->range_ignored = true;
        return 0;
    }
    if (!x->sized) {
        curl_off_t cl = -1;
        curl_easy_getinfo(x->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
        if (x->on_size != NULL && cl >= 0)
            x->on_size(x->user, (uint64_t)cl);
        x->sized = true;
    }
    if (!x->sink(x->user, data, len)) {
        x->stopped = true;
        return 0; /* aborts the transfer */
    }
    x->got += len;
    return len;
}

static int on_xferinfo(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    struct xfer *x = arg;
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    if (x->src->stop(x->user)) {
        x->stopped = true;
        return 1;
    }
    return 0;
}

/* The object's URL: ENDPOINT/BUCKET/KEY, the key's bytes escaped except '/'
 * (SigV4's canonical URI escapes each segment; libcurl signs the path as sent). */
static bool object_url(CURL *h, const ccf_s3_source *src, char *out, size_t size)
{
    char *key = curl_easy_escape(h, src->key, 0), *bucket = curl_easy_escape(h, src->bucket, 0);
    bool ok = key != NULL && bucket != NULL;
    if (ok) {
        for (char *q = key; (q = strstr(q, "%2F")) != NULL;) {
            *q = '/';
            memmove(q + 1, q + 3, strlen(q + 3) + 1);
        }
        const char *ep = src->endpoint;
        size_t el = strlen(ep);
        while (el > 0 && ep[el - 1] == '/')
            el--;
        int n = snprintf(out, size, "%.*s/%s/%s", (int)el, ep, bucket, key);
        ok = n > 0 && (size_t)n < size;
    }
    curl_free(key);
    curl_free(bucket);
    return ok;
}

static bool transient(long status, CURLcode cc)
{
    if (cc == CURLE_OK)
        return status == 500 || status == 503; /* InternalError, SlowDown */
    return cc == CURLE_RECV_ERROR || cc == CURLE_PARTIAL_FILE || cc == CURLE_GOT_NOTHING ||
           cc == CURLE_OPERATION_TIMEDOUT || cc == CURLE_SEND_ERROR || cc == CURLE_COULDNT_CONNECT;
}

ccf_err ccf_s3_get(const ccf_s3_source *src, ccf_s3_size_fn on_size, ccf_s3_sink_fn sink,
                   void *user, char *err, size_t err_size)
{
    struct xfer x = {.src = src, .on_size = on_size, .sink = sink, .user = user};
    char url[4096], sigv4[160], userpwd[512], errbuf[CURL_ERROR_SIZE], range[64], ifmatch[200];
    char token[2200], noproxy[1024];
    unsigned retries = src->max_retries ? src->max_retries : 5;
    ccf_err rc = CCF_OK;
    CURLcode cc = CURLE_OK;

    if ((x.curl = curl_easy_init()) == NULL)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    if (src->presigned_url != NULL) {
        snprintf(url, sizeof url, "%s", src->presigned_url);
    } else if (!object_url(x.curl, src, url, sizeof url)) {
        curl_easy_cleanup(x.curl);
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "the object's URL is too long");
    }
    for (unsigned attempt = 0;; attempt++) {
        struct curl_slist *hdrs = NULL;
        x.status = 0;
        x.resume_from = x.got;
        x.errlen = 0;
        errbuf[0] = '\0';
        curl_easy_reset(x.curl);
        curl_easy_setopt(x.curl, CURLOPT_URL, url);
        curl_easy_setopt(x.curl, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(x.curl, CURLOPT_NOPROXY, ccf_http_no_proxy(noproxy, sizeof noproxy));
        curl_easy_setopt(x.curl, CURLOPT_ERRORBUFFER, errbuf);
        curl_easy_setopt(x.curl, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(x.curl, CURLOPT_HEADERDATA, &x);
        curl_easy_setopt(x.curl, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(x.curl, CURLOPT_WRITEDATA, &x);
        curl_easy_setopt(x.curl, CURLOPT_CONNECTTIMEOUT, 15L);
        /* the instance sets the pace; only a connection that stops moving fails */
        curl_easy_setopt(x.curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(x.curl, CURLOPT_LOW_SPEED_TIME, 300L);
        if (src->stop != NULL) {
            curl_easy_setopt(x.curl, CURLOPT_NOPROGRESS, 0L);
            curl_easy_setopt(x.curl, CURLOPT_XFERINFOFUNCTION, on_xferinfo);
            curl_easy_setopt(x.curl, CURLOPT_XFERINFODATA, &x);
        }
        if (src->presigned_url == NULL) {
            snprintf(sigv4, sizeof sigv4, "aws:amz:%s:s3", src->region);
            snprintf(userpwd, sizeof userpwd, "%s:%s", src->access_key_id, src->secret_access_key);
            curl_easy_setopt(x.curl, CURLOPT_AWS_SIGV4, sigv4);
            curl_easy_setopt(x.curl, CURLOPT_USERPWD, userpwd);
            /* curl 7.88 signs this header but does not add it; S3 requires it */
            hdrs = curl_slist_append(hdrs, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
            if (src->session_token != NULL) {
                snprintf(token, sizeof token, "x-amz-security-token: %s", src->session_token);
                hdrs = curl_slist_append(hdrs, token);
            }
        }
        if (x.got > 0) { /* a resumption: the rest of the same object */
            snprintf(range, sizeof range, "Range: bytes=%llu-", (unsigned long long)x.got);
            hdrs = curl_slist_append(hdrs, range);
            if (x.etag[0] != '\0') {
                snprintf(ifmatch, sizeof ifmatch, "If-Match: %s", x.etag);
                hdrs = curl_slist_append(hdrs, ifmatch);
            }
        }
        curl_easy_setopt(x.curl, CURLOPT_HTTPHEADER, hdrs);
        cc = curl_easy_perform(x.curl);
        curl_slist_free_all(hdrs);
        OPENSSL_cleanse(userpwd, sizeof userpwd); /* the secret: not left on the stack */
        if (x.status == 0)
            curl_easy_getinfo(x.curl, CURLINFO_RESPONSE_CODE, &x.status);
        if (x.stopped) {
            rc = ccf_errf(err, err_size, CCF_ERR_BUSY, "cancelled");
            break;
        }
        if (x.range_ignored) {
            rc = ccf_errf(err, err_size, CCF_ERR_UPSTREAM,
                          "S3 answered a resumed request (Range) with the whole object");
            break;
        }
        if (cc == CURLE_OK && (x.status == 200 || x.status == 206))
            break;
        if (attempt < retries && transient(x.status, cc)) {
            struct timespec ts = {0, 250000000L << (attempt < 2 ? attempt : 2)};
            nanosleep(&ts, NULL);
            continue;
        }
        if (cc != CURLE_OK && x.errlen == 0) {
            rc = ccf_errf(err, err_size, CCF_ERR_IO, "S3 %s: %s", src->presigned_url ? "(pre-signed URL)" : url,
                          errbuf[0] ? errbuf : curl_easy_strerror(cc));
            break;
        }
        ccf_s3_error e;
        if (x.status == 412)
            rc = ccf_errf(err, err_size, CCF_ERR_CONFLICT,
                          "S3 412: the object changed during the transfer (its ETag is no longer %s)",
                          x.etag);
        else if (ccf_s3_error_parse(x.errbody, x.errlen, &e) != CCF_OK)
            rc = ccf_errf(err, err_size, CCF_ERR_UPSTREAM, "S3 %ld (no S3 error document)", x.status);
        else if (e.region[0] != '\0')
            rc = ccf_errf(err, err_size, CCF_ERR_UPSTREAM, "S3 %ld %s: %s (the bucket is in region %s)",
                          x.status, e.code, e.message, e.region);
        else
            rc = ccf_errf(err, err_size, CCF_ERR_UPSTREAM, "S3 %ld %s: %s", x.status, e.code,
                          e.message);
        break;
    }
    curl_easy_cleanup(x.curl);
    return rc;
}
