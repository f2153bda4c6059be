/* Value checks beyond the JSON schema: names, hashes, certificates, dates,
 * addresses. Each reports at the caller's current path. */
#include "policy/policy_internal.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN 128
#define FILE_NAME_MAX_LEN 255

bool check_name(pctx *c, const char *what, const char *name)
{
    size_t n = strlen(name);
    if (n == 0) {
        pctx_error(c, "%s must not be empty", what);
        return false;
    }
    if (n > NAME_MAX_LEN) {
        pctx_error(c, "%s is %zu characters long; at most %d are allowed", what, n, NAME_MAX_LEN);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char ch = name[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_' || ch == '.')) {
            pctx_error(c, "%s \"%s\" may only contain letters, digits, '-', '_' and '.' "
                          "(it appears in URLs)", what, name);
            return false;
        }
    }
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
        pctx_error(c, "%s must not be \"%s\"", what, name);
        return false;
    }
    return true;
}

bool check_file_name(pctx *c, const char *name, bool allow_directory)
{
    size_t n = strlen(name);
    const char *component = name;

    if (n == 0) {
        pctx_error(c, "file name must not be empty");
        return false;
    }
    if (n > FILE_NAME_MAX_LEN) {
        pctx_error(c, "file name is %zu bytes long; at most %d are allowed", n, FILE_NAME_MAX_LEN);
        return false;
    }
    if (allow_directory && strcmp(name, "/") == 0)
        return true; /* the root directory: rights on every file */
    if (name[0] == '/') {
        pctx_error(c, "file name \"%s\" must be relative to the instance root (e.g. \"input-0\")",
                   name);
        return false;
    }
    if (name[n - 1] == '/' && !allow_directory) {
        pctx_error(c, "\"%s\" names a directory (ends in '/'); a file name is needed here", name);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)name[i];
        if (ch < 0x20 || ch == 0x7f || ch == '\\') {
            pctx_error(c, "file name contains a control character or backslash at byte %zu", i);
            return false;
        }
    }
    for (const char *p = name;; p++) {
        if (*p == '/' || *p == '\0') {
            size_t len = (size_t)(p - component);
            bool last = *p == '\0';
            if (len == 0 && !last) {
                pctx_error(c, "file name \"%s\" has an empty path component", name);
                return false;
            }
            if ((len == 1 && component[0] == '.') ||
                (len == 2 && component[0] == '.' && component[1] == '.')) {
                pctx_error(c, "file name \"%s\" must not contain \".\" or \"..\" components", name);
                return false;
            }
            if (last)
                break;
            component = p + 1;
        }
    }
    return true;
}

bool check_sha256_hex(pctx *c, const char *hex, bool allow_empty)
{
    size_t n = strlen(hex);
    if (n == 0 && allow_empty)
        return true;
    if (n != CCF_SHA256_HEX_LEN || !ccf_is_hex(hex, CCF_SHA256_HEX_LEN)) {
        if (n > 80)
            pctx_error(c, "expected 64 hex digits (a SHA-256), got %zu characters", n);
        else
            pctx_error(c, "expected 64 hex digits (a SHA-256), got \"%s\" (%zu characters)", hex, n);
        return false;
    }
    return true;
}

/* The reason OpenSSL gave for the last failure, or a fallback. */
static const char *openssl_reason(char *buf, size_t size)
{
    unsigned long e = ERR_peek_last_error();
    if (e == 0) {
        snprintf(buf, size, "no PEM certificate found");
    } else {
        const char *r = ERR_reason_error_string(e);
        snprintf(buf, size, "%s", r != NULL ? r : "unparsable");
    }
    ERR_clear_error();
    return buf;
}

bool check_certificate(pctx *c, const char *pem, char **subject)
{
    BIO *bio = NULL, *mem = NULL;
    X509 *cert = NULL, *extra = NULL;
    char reason[128];
    bool ok = false;
    BUF_MEM *bm = NULL;

    *subject = NULL;
    ERR_clear_error();
    if (strstr(pem, "-----BEGIN CERTIFICATE-----") == NULL) {
        pctx_error(c, "expected an X.509 certificate in PEM format "
                      "(\"-----BEGIN CERTIFICATE-----...\")");
        return false;
    }
    if ((bio = BIO_new_mem_buf(pem, -1)) == NULL) {
        c->nomem = true;
        goto out;
    }
    if ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL) {
        pctx_error(c, "not a valid X.509 PEM certificate: %s",
                   openssl_reason(reason, sizeof reason));
        goto out;
    }
    if ((extra = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        pctx_error(c, "holds more than one certificate; an identity is exactly one certificate");
        goto out;
    }
    ERR_clear_error();
    if ((mem = BIO_new(BIO_s_mem())) == NULL ||
        X509_NAME_print_ex(mem, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) < 0) {
        c->nomem = true;
        goto out;
    }
    BIO_get_mem_ptr(mem, &bm);
    if ((*subject = strndup(bm->data, bm->length)) == NULL) {
        c->nomem = true;
        goto out;
    }
    ok = true;
out:
    X509_free(extra);
    X509_free(cert);
    BIO_free(bio);
    BIO_free(mem);
    ERR_clear_error();
    return ok;
}

static int days_in_month(int year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

bool check_expiry(pctx *c, const ccf_cert_expiry *e)
{
    bool ok = true;
    if (e->year < 1970 || e->year > 9999) {
        pctx_error_key(c, "year", "%d is out of range (1970-9999)", e->year);
        ok = false;
    }
    if (e->month < 1 || e->month > 12) {
        pctx_error_key(c, "month", "%d is out of range (1-12)", e->month);
        ok = false;
    } else if (e->day < 1 || e->day > days_in_month(e->year, e->month)) {
        pctx_error_key(c, "day", "%d is out of range for %04d-%02d (1-%d)", e->day, e->year,
                       e->month, days_in_month(e->year, e->month));
        ok = false;
    }
    if (e->hour < 0 || e->hour > 23) {
        pctx_error_key(c, "hour", "%d is out of range (0-23)", e->hour);
        ok = false;
    }
    if (e->minute < 0 || e->minute > 59) {
        pctx_error_key(c, "minute", "%d is out of range (0-59)", e->minute);
        ok = false;
    }
    return ok;
}

bool check_host_port(pctx *c, const char *value, bool allow_url)
{
    const char *hostport = value;
    const char *colon, *end;
    char *stop = NULL;
    long port;

    if (allow_url) {
        if (strncmp(value, "http://", 7) == 0)
            hostport = value + 7;
        else if (strncmp(value, "https://", 8) == 0)
            hostport = value + 8;
    }
    end = hostport + strcspn(hostport, "/");
    if (*end != '\0' && hostport == value) {
        pctx_error(c, "expected HOST:PORT, got \"%s\"", value);
        return false;
    }
    colon = NULL;
    for (const char *p = hostport; p < end; p++) {
        if (*p == ':')
            colon = p;
    }
    if (colon == NULL || colon == hostport) {
        pctx_error(c, "expected HOST:PORT%s, got \"%s\"", allow_url ? " or a URL" : "", value);
        return false;
    }
    for (const char *p = hostport; p < colon; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch <= ' ' || ch == 0x7f) {
            pctx_error(c, "host in \"%s\" contains a space or control character", value);
            return false;
        }
    }
    errno = 0;
    port = strtol(colon + 1, &stop, 10);
    if (colon + 1 == end || stop != end || errno != 0 || port < 1 || port > 65535) {
        pctx_error(c, "port in \"%s\" must be a number from 1 to 65535", value);
        return false;
    }
    return true;
}
