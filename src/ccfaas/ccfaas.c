/* CCFaaS service: configuration, loader identity, the function, program and
 * data_file routes (instances are in orchestrate.c). docs/ccfaas.md. */
#include "net/http_client.h"
#include "ccfaas/ccfaas.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ccfaas/internal.h"
#include "ccfaas/task_store.h"
#include "client/identity.h"
#include "common/utc.h"
#include "common/crypto.h"
#include "common/file.h"
#include "envelope/envelope.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

/* The loader certificate lives long: instances check it only against the
 * policy they were given, and a new one would change every future policy. */
#define LOADER_DAYS 3650

/* ---- responses --------------------------------------------------------------- */

void ccf_ccfaas_respond_error(ccf_http_response *resp, ccf_err err, const char *code,
                              const char *step, const ccf_policy_errors *errors,
                              const char *fmt, ...)
{
    int status = ccf_http_status_of(err);
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);

    if (code == NULL)
        code = ccf_http_code_of(err);
    json_t *e = json_pack("{s:s, s:s}", "code", code, "message", msg);
    if (e != NULL && step != NULL)
        json_object_set_new(e, "step", json_string(step));
    if (e != NULL && errors != NULL && errors->count > 0) {
        json_t *arr = json_array();
        for (size_t i = 0; arr != NULL && i < errors->count; i++) {
            const ccf_policy_error *pe = &errors->items[i];
            json_t *o = json_pack("{s:s, s:s}", "path", pe->path, "message", pe->message);
            if (o != NULL && pe->line > 0) {
                json_object_set_new(o, "line", json_integer(pe->line));
                json_object_set_new(o, "column", json_integer(pe->column));
            }
            if (o != NULL)
                json_array_append_new(arr, o);
        }
        if (arr != NULL)
            json_object_set_new(e, "errors", arr);
    }
    json_t *body = e != NULL ? json_pack("{s:o}", "error", e) : NULL;
    if (body == NULL) {
        ccf_http_respond_error(resp, status, code, "%s", msg);
        return;
    }
    ccf_http_respond_json(resp, status, body);
    snprintf(resp->error_code, sizeof resp->error_code, "%s", code); /* for the request log */
}

void ccf_ccfaas_respond_quota(ccf_http_response *resp, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ccf_http_respond_error(resp, 429, "quota_exceeded", "%s", msg);
    /* a quota frees when the owner deletes something, not with time: the
     * header tells clients that retry on their own not to hammer */
    resp->retry_after_s = CCF_CCFAAS_QUOTA_RETRY_S;
}

void ccf_ccfaas_respond_policy_errors(ccf_http_response *resp, ccf_err rc, const char *what,
                                      const ccf_policy_errors *errors)
{
    if (rc == CCF_ERR_TOO_LARGE) {
        ccf_ccfaas_respond_error(resp, CCF_ERR_TOO_LARGE, NULL, NULL, NULL,
                                 "the %s exceeds %u bytes", what, CCF_POLICY_MAX_BYTES);
        return;
    }
    if (rc != CCF_ERR_INVALID || errors->count == 0) {
        ccf_ccfaas_respond_error(resp, CCF_ERR_INTERNAL, NULL, NULL, NULL,
                                 "cannot parse the %s: %s",
                                 what, ccf_strerror(rc));
        return;
    }
    const ccf_policy_error *first = &errors->items[0];
    if (first->line > 0) {
        ccf_ccfaas_respond_error(resp, CCF_ERR_INVALID, "invalid_json", NULL, errors,
                                 "the %s is not valid JSON: line %d column %d: %s", what,
                                 first->line, first->column, first->message);
        return;
    }
    /* every path in the message, so that a plain client shows all of them */
    char msg[1800];
    size_t off = 0;
    for (size_t i = 0; i < errors->count && off < sizeof msg; i++) {
        int n = snprintf(msg + off, sizeof msg - off, "%s%s: %s", i ? "; " : "",
                         errors->items[i].path[0] ? errors->items[i].path : "(document)",
                         errors->items[i].message);
        if (n < 0)
            break;
        off += (size_t)n;
    }
    ccf_ccfaas_respond_error(resp, CCF_ERR_INVALID, "invalid_policy", NULL, errors,
                             "invalid %s: %s%s", what,
                             msg, errors->truncated ? " (more errors not shown)" : "");
}

void ccf_ccfaas_respond_store(ccf_http_response *resp, ccf_store_rc rc, const char *err)
{
    switch (rc) {
    case CCF_STORE_NOT_FOUND:
        ccf_ccfaas_respond_error(resp, CCF_ERR_NOT_FOUND, NULL, NULL, NULL, "%s", err);
        break;
    case CCF_STORE_CONFLICT:
        ccf_ccfaas_respond_error(resp, CCF_ERR_CONFLICT, NULL, NULL, NULL, "%s", err);
        break;
    case CCF_STORE_FORBIDDEN:
        ccf_ccfaas_respond_error(resp, CCF_ERR_DENIED, "forbidden", NULL, NULL, "%s", err);
        break;
    case CCF_STORE_QUOTA:
        ccf_ccfaas_respond_quota(resp, "%s", err);
        break;
    case CCF_STORE_UNAVAILABLE: /* PostgreSQL away (restarting, failing over): retry */
        ccf_ccfaas_respond_error(resp, CCF_ERR_BUSY, "store_unavailable", NULL, NULL, "%s", err);
        break;
    default:
        ccf_ccfaas_respond_error(resp, CCF_ERR_IO, "store_failed", NULL, NULL, "%s", err);
        break;
    }
}

/* ---- callers ------------------------------------------------------------------ */

const ccf_principal *ccf_ccfaas_caller(const ccf_http_request *req)
{
    static const ccf_principal nobody = {.name = "", .role = 0};
    const ccf_principal *who = ccf_http_request_principal(req);
    return who != NULL ? who : &nobody;
}

const char *ccf_ccfaas_owner_filter(const ccf_http_request *req)
{
    const ccf_principal *who = ccf_ccfaas_caller(req);
    return who->role == CCF_ROLE_ADMIN ? NULL : who->name;
}

/* true when the caller may change function fn (its owner or an admin);
 * otherwise responds 403 / 404 / 500 and returns false. */
static bool may_change_function(ccf_ccfaas *svc, const ccf_http_request *req, const char *fn,
                                ccf_http_response *resp)
{
    char *owner = NULL, err[512];
    const char *me = ccf_ccfaas_owner_filter(req);
    ccf_store_rc rc = ccf_ccfaas_store_function_owner(svc->store, fn, &owner, err, sizeof err);
    if (rc != CCF_STORE_OK) {
        ccf_ccfaas_respond_store(resp, rc, err);
        return false;
    }
    bool ok = me == NULL || strcmp(owner, me) == 0;
    free(owner);
    if (!ok)
        ccf_ccfaas_respond_error(resp, CCF_ERR_DENIED, "forbidden", NULL, NULL,
                                 "forbidden: function \"%s\" belongs to another operator (only "
                                 "its owner or an admin may change it)", fn);
    return ok;
}

/* ---- functions ---------------------------------------------------------------- */

static void h_function_post(const ccf_http_request *req, ccf_http_response *resp, void *ctx)
{
    ccf_ccfaas *svc = ctx;
    ccf_policy *p = NULL;
    ccf_policy_errors errors;
    char hash[CCF_SHA256_HEX_LEN + 1], err[512], when[CCF_UTC_LEN], location[200];
    size_t len = 0;
    const char *body = ccf_http_request_body(req, &len);
    ccf_err rc = ccf_policy_parse(body, len, CCF_POLICY_PROGRAM, &p, &errors);
    if (rc != CCF_OK) {
        ccf_ccfaas_respond_policy_errors(resp, rc, "program policy", &errors);
        goto out;
    }
    if (!ccf_policy_hash(body, len, hash)) {
        ccf_ccfaas_respond_error(resp, CCF_ERR_INTERNAL, NULL, NULL, NULL,
                                 "cannot hash the policy");
        goto out;
    }
    ccf_store_rc src = ccf_ccfaas_store_function_add(svc->store, p->function, body, len, hash,
                                                     ccf_ccfaas_caller(req)->name, err,
                                                     sizeof err);
    if (src != CCF_STORE_OK) {
        ccf_ccfaas_respond_store(resp, src, err);
        goto out;
    }
    json_t *progs = json_array(), *dfs = json_array();
    for (size_t i = 0; progs != NULL && i < p->program_count; i++)
        json_array_append_new(progs, json_string(p->programs[i].program_file_name));
    for (size_t i = 0; dfs != NULL && i < p->data_file_count; i++)
        json_array_append_new(dfs, json_string(p->data_files[i].data_file));
    ccf_utc_format(time(NULL), when);
    snprintf(location, sizeof location, "/function/%s", p->function);
    ccf_http_respond_json(resp, 201,
                          json_pack("{s:s, s:s, s:s, s:o*, s:o*}", "function", p->function,
                                    "policy_hash", hash, "created", when, "programs", progs,
                                    "data_files", dfs));
    resp->location = strdup(location);
out:
    ccf_policy_free(p);
}

static void h_function_list(const ccf_http_request *req, ccf_http_response *resp, void *ctx)
{
    ccf_ccfaas *svc = ctx;
    json_t *list = NULL;
    char err[512];
    (void)req;
    ccf_store_rc rc = ccf_ccfaas_store_function_list(svc->store, &list, err, sizeof err);
    if (rc != CCF_STORE_OK) {
        ccf_ccfaas_respond_store(resp, rc, err);
        return;
    }
    ccf_http_respond_json(resp, 200, json_pack("{s:o}", "functions", list));
}

static void h_function_get(const ccf_http_request *req, ccf_http_response *resp, void *ctx)
{
    ccf_ccfaas *svc = ctx;
    char *policy = NULL, err[512];
    size_t len = 0;
    ccf_store_rc rc = ccf_ccfaas_store_function_get(svc->store, ccf_http_request_param(req, "name"),
                                                    &policy, &len, NULL, err, sizeof err);
    if (rc != CCF_STORE_OK) {
        ccf_ccfaas_respond_store(resp, rc, err);
        return;
    }
    /* the program policy exactly as registered */
    ccf_http_respond_bytes(resp, 200, "application/json", policy, len);
    free(policy);
}

static void h_function_delete(const ccf_http_request *req, ccf_http_response *resp, void *ctx)
{
    ccf_ccfaas *svc = ctx;
    char err[512];
    const char *name = ccf_http_request_param(req, "name");
    const char *owner = ccf_ccfaas_owner_filter(req);
    ccf_store_rc rc = ccf_ccfaas_store_function_delete(svc->store, name, owner, err, sizeof err);
    /* instances whose runtime died unseen do not hold the function */
    if (rc == CCF_STORE_CONFLICT && ccf_ccfaas_refresh(svc, name, NULL, NULL) > 0)
        rc = ccf_ccfaas_store_function_delete(svc->store, name, owner, err, sizeof err);
    if (rc != CCF_STORE_OK) {
        ccf_ccfaas_respond_store(resp, rc, err);
        return;
    }
    ccf_http_respond_json(resp, 200, json_pack("{s:s, s:b}", "function", name, "deleted", 1));
}

/* ---- programs and data files --------------------------------------------------- */

static const char *const kind_key[] = {"program", "data_file"};
static const char *const kind_what[] = {"program", "data file"};

/* The function's stored policy, parsed; responds 404/500 and returns NULL
 * when it cannot. *hash receives the hash of its text. */
static ccf_policy *load_function(ccf_ccfaas *svc, const char *name, char hash[65],
                                 ccf_http_response *resp)
{
    char *text = NULL, err[512];
    size_t len = 0;
    ccf_policy *p = NULL;
    ccf_store_rc rc = ccf_ccfaas_store_function_get(svc->store, name, &text, &len, NULL, err,
                                                    sizeof err);
    if (rc != CCF_STORE_OK) {
        ccf_ccfaas_respond_store(resp, rc, err);
        return NULL;
    }
    if (ccf_policy_parse(text, len, CCF_POLICY_PROGRAM, &p, NULL) != CCF_OK ||
        !ccf_policy_hash(text, len, hash)) {
        ccf_policy_free(p);
        p = NULL;
        ccf_ccfaas_respond_error(resp, CCF_ERR_IO, "store_failed", NULL, NULL,
                                 "the stored policy of function \"%s\" does not parse", name);
    }
    free(text);
    return p;
}

/* Index of the named program / data file in the policy, or -1. */
static long find_file(const ccf_policy *p, ccf_store_file_kind kind, const char *name)
{
    size_t n = kind == CCF_STORE_PROGRAM ? p->program_count : p->data_file_count;
    for (size_t i = 0; i < n; i++) {
        const char *s = kind == CCF_STORE_PROGRAM ? p->programs[i].program_file_name
                                                  : p->data_files[i].data_file;
        if (strcmp(s, name) == 0)
            return (long)i;
    }
    return -1;
}

static const char *file_hash(const ccf_policy *p, ccf_store_file_kind kind, size_t i)
{
    return kind == CCF_STORE_PROGRAM ? p->programs[i].pi_hash : p->data_files[i].pi_hash;
}

static const char *file_name(const ccf_policy *p, ccf_store_file_kind kind, size_t i)
{
    return kind == CCF_STORE_PROGRAM ? p->programs[i].program_file_name
                                     : p->data_files[i].data_file;
}

static const ccf_encrypted *file_encrypted(const ccf_policy *p, ccf_store_file_kind kind, size_t i)
{
    return kind == CCF_STORE_PROGRAM ? &p->programs[i].encrypted : &p->data_files[i].encrypted;
}

/* An encrypted program or data file: the bytes must be the envelope the
 * policy pins (its SHA-256), and its header must name the policy's key and
 * plaintext hash (checked without the key, which CCFaaS never has); else
 * 409 hash_mismatch or 400 invalid_envelope naming what differs. An
 * encrypted OCI layer (issue 20) is checked against its digest only: what
 * it holds only the instance can see. */
static bool envelope_matches(ccf_http_response *resp, const char *fn, const char *what,
                             const char *name, const ccf_encrypted *enc, const char *pi_hash,
                             const uint8_t *body, size_t len, const char *sha)
{
    ccf_envelope_info info;
    char why[256];
    if (strcasecmp(sha, enc->sha256) != 0) {
        ccf_ccfaas_respond_error(resp, CCF_ERR_CONFLICT, "hash_mismatch", NULL, NULL,
                                 "the %zu bytes received hash to %s; the policy of function "
                                 "\"%s\" says encrypted.sha256 %s for %s \"%s\"",
                                 len, sha, fn, enc->sha256, what, name);
        return false;
    }
    if (enc->ocicrypt != NULL) /* an encrypted OCI layer: its digest is all CCFaaS can check */
        return true;
    if (ccf_envelope_parse(body, len, &info, why, sizeof why) != CCF_OK) {
        ccf_ccfaas_respond_error(resp, CCF_ERR_INVALID, "invalid_envelope", NULL, NULL,
                                 "%s \"%s\" of function \"%s\" is declared encrypted, but: %s",
                                 what, name, fn, why);
        return false;
    }
    if (strcmp(info.kbs_resource, enc->kbs_resource) != 0 ||
        strcasecmp(info.plaintext_sha256, pi_hash) != 0) {
        ccf_ccfaas_respond_error(resp, CCF_ERR_INVALID, "invalid_envelope", NULL, NULL,
                                 "the envelope of %s \"%s\" names key %s and plaintext %s; the "
                                 "policy of function \"%s\" says %s and pi_hash %s",
                                 what, name, info.kbs_resource, info.plaintext_sha256, fn,
                                 enc->kbs_resource, pi_hash);
        return false;
    }
    return true;
}

/* 404 naming what the function does have. */
static void respond_no_file(ccf_http_response *resp, const ccf_policy *p, ccf_store_file_kind kind,
                            const char *name)
{
    char names[1024] = "";
    size_t off = 0, n = kind == CCF_STORE_PROGRAM ? p->program_count : p->data_file_count;
    for (size_t i = 0; i < n && off < sizeof names; i++) {
        int k = snprintf(names + off, sizeof names - off, "%s%s", i ? ", " : "",
                         file_name(p, kind, i));
        if (k < 0)
            break;
        off += (size_t)k;
    }
    ccf_ccfaas_respond_error(resp, CCF_ERR_NOT_FOUND, NULL, NULL, NULL,
                             "function \"%s\" has no %s \"%s\" (its %ss: %s)", p->function,
                             kind_what[kind], name, kind_what[kind], n ? names : "none");
}

/* The status object of file i: what the policy says plus what is stored. */
static json_t *file_status(ccf_ccfaas *svc, const ccf_policy *p, ccf_store_file_kind kind,
                           size_t i, char *err, size_t err_size, ccf_store_rc *rc)
{
    json_t *stored = NULL;
    json_t *o = json_pack("{s:s, s:s, s:s}", "function", p->function, kind_key[kind],
                          file_name(p, kind, i), "pi_hash", file_hash(p, kind, i));
    if (o == NULL) {
        *rc = CCF_STORE_FAILED;
        return NULL;
    }
    const ccf_encrypted *enc = file_encrypted(p, kind, i);
    if (enc->kbs_resource != NULL) /* what is stored is that envelope, never the plaintext */
        json_object_set_new(o, "encrypted", json_pack("{s:s, s:s}", "kbs_resource",
                                                      enc->kbs_resource, "sha256", enc->sha256));
    if (kind == CCF_STORE_PROGRAM)
        json_object_set_new(o, "id", json_integer(p->programs[i].id));
    else
        json_object_set_new(o, "priority", json_integer(p->data_files[i].priority));
    *rc = ccf_ccfaas_store_file_get(svc->store, kind, p->function, file_name(p, kind, i), &stored,
                                    err, err_size);
    if (*rc == CCF_STORE_NOT_FOUND) {
        *rc = CCF_STORE_OK;
        json_object_set_new(o, "uploaded", json_false());
        return o;
    }
    if (*rc != CCF_STORE_OK) {
        json_decref(o);
        return NULL;
    }
    json_object_set_new(o, "uploaded", json_true());
    json_object_update(o, stored);
    json_decref(stored);
    return o;
}

/* Before an upload's body is read: only the function's owner (or an admin)
 * may add to it (403), and the declared bytes must fit its owner's quota
 * (429). The store checks both again when the bytes are in. */
static bool admit_file_post(const ccf_http_request *req, long long content_length,
                            ccf_http_response *resp, void *ctx)
{
    struct ccf_ccfaas_files *fr = ctx;
    ccf_ccfaas *svc = fr->svc;
    const char *fn = ccf_http_request_param(req, "name");
    char *owner = NULL, err[512];
    int64_t instances = 0, bytes = 0;
    if (!may_change_function(svc, req, fn, resp))
        return false;
    if (svc->quotas.bytes == 0 || content_length < 0)
        return true;
    ccf_store_rc rc = ccf_ccfaas_store_function_owner(svc->store, fn, &owner, err, sizeof err);
    if (rc == CCF_STORE_OK)
        rc = ccf_ccfaas_store_usage(svc->store, owner, &instances, &bytes, err, sizeof err);
    if (rc != CCF_STORE_OK) {
        ccf_ccfaas_respond_store(resp, rc, err);
        free(owner);
        return false;
    }
    bool fits = (uint64_t)bytes + (uint64_t)content_length <= svc->quotas.bytes;
    if (!fits)
        ccf_ccfaas_respond_quota(resp, "quota: the functions of \"%s\" hold %lld bytes; %lld "
                                       "more would pass the quota of %llu bytes (delete "
                                       "programs, data files or functions first)",
                                 owner, (long long)bytes, content_length,
                                 (unsigned long long)svc->quotas.bytes);
    free(owner);
    return fits;
}

static void h_file_post(const ccf_http_request *req, ccf_http_response *resp, void *ctx)
{
    struct ccf_ccfaas_files *fr = ctx;
    ccf_ccfaas *svc = fr->svc;
    ccf_store_file_kind kind = fr->kind;
    const char *fn = ccf_http_request_param(req, "name");
    const char *name = ccf_http_request_param(req, "file");
    char policy_hash[CCF_SHA256_HEX_LEN + 1], sha[CCF_SHA256_HEX_LEN + 1], err[512];
    size_t len = 0;
    const char *body = ccf_http_request_body(req, &len);
    if (!may_change_function(svc, req, fn, resp))
        return;
    ccf_policy *p = load_function(svc, fn, policy_hash, resp);
    long i;

    if (p == NULL)
        return;
    if ((i = find_file(p, kind, name)) < 0) {
        respond_no_file(resp, p, kind, name);
        goto out;
    }
    if (!ccf_sha256_hex(body, len, sha)) {
        ccf_ccfaas_respond_error(resp, CCF_ERR_INTERNAL, NULL, NULL, NULL,
                                 "cannot hash the upload");
        goto out;
    }
    const ccf_encrypted *enc = file_encrypted(p, kind, (size_t)i);
    if (enc->kbs_resource != NULL) {
        if (!envelope_matches(resp, fn, kind_what[kind], name, enc, file_hash(p, kind, (size_t)i),
                              (const uint8_t *)body, len, sha))
            goto out;
    } else if (strcasecmp(sha, file_hash(p, kind, (size_t)i)) != 0) {
        ccf_envelope_info info;
        char why[256];
        bool envelope = ccf_envelope_parse((const uint8_t *)body, len, &info, why, sizeof why) ==
                        CCF_OK;
        ccf_ccfaas_respond_error(resp, CCF_ERR_CONFLICT, "hash_mismatch", NULL, NULL,
                                 "the %zu bytes received hash to %s; the policy of function "
                                 "\"%s\" says pi_hash %s for %s \"%s\"%s",
                                 len, sha, fn, file_hash(p, kind, (size_t)i), kind_what[kind], name,
                                 envelope ? " (the bytes are an encrypted envelope: declare it "
                                            "\"encrypted\" in the policy, docs/policy.md)"
                                          : "");
        goto out;
    }
    ccf_store_rc rc = ccf_ccfaas_store_file_add(svc->store, kind, fn, policy_hash, name, sha, body,
                                                len, err, sizeof err);
    if (rc != CCF_STORE_OK) {
        ccf_ccfaas_respond_store(resp, rc, err);
        goto out;
    }
    json_t *st = file_status(svc, p, kind, (size_t)i, err, sizeof err, &rc);
    if (st == NULL) {
        ccf_ccfaas_respond_store(resp, rc, err);
        goto out;
    }
    ccf_http_respond_json(resp, 201, st);
out:
    ccf_policy_free(p);
}

static void h_file_list(const ccf_http_request *req, ccf_http_response *resp, void *ctx)
{
    struct ccf_ccfaas_files *fr = ctx;
    char policy_hash[CCF_SHA256_HEX_LEN + 1], err[512], key[16];
    ccf_policy *p = load_function(fr->svc, ccf_http_request_param(req, "name"), policy_hash, resp);
    json_t *arr = NULL;
    ccf_store_rc rc = CCF_STORE_OK;

    if (p == NULL)
        return;
    arr = json_array();
    size_t n = fr->kind == CCF_STORE_PROGRAM ? p->program_count : p->data_file_count;
    for (size_t i = 0; arr != NULL && i < n; i++) {
        json_t *st = file_status(fr->svc, p, fr->kind, i, err, sizeof err, &rc);
        if (st == NULL) {
            ccf_ccfaas_respond_store(resp, rc, err);
            goto out;
        }
        json_array_append_new(arr, st);
    }
    snprintf(key, sizeof key, "%ss", kind_key[fr->kind]);
    ccf_http_respond_json(resp, 200, json_pack("{s:o}", key, arr));
    arr = NULL;
out:
    json_decref(arr);
    ccf_policy_free(p);
}

static void h_file_get(const ccf_http_request *req, ccf_http_response *resp, void *ctx)
{
    struct ccf_ccfaas_files *fr = ctx;
    char policy_hash[CCF_SHA256_HEX_LEN + 1], err[512];
    const char *name = ccf_http_request_param(req, "file");
    ccf_policy *p = load_function(fr->svc, ccf_http_request_param(req, "name"), policy_hash, resp);
    ccf_store_rc rc;
    long i;

    if (p == NULL)
        return;
    if ((i = find_file(p, fr->kind, name)) < 0) {
        respond_no_file(resp, p, fr->kind, name);
    } else {
        json_t *st = file_status(fr->svc, p, fr->kind, (size_t)i, err, sizeof err, &rc);
        if (st == NULL)
            ccf_ccfaas_respond_store(resp, rc, err);
        else
            ccf_http_respond_json(resp, 200, st);
    }
    ccf_policy_free(p);
}

static void h_file_delete(const ccf_http_request *req, ccf_http_response *resp, void *ctx)
{
    struct ccf_ccfaas_files *fr = ctx;
    char policy_hash[CCF_SHA256_HEX_LEN + 1], err[512];
    const char *fn = ccf_http_request_param(req, "name");
    const char *name = ccf_http_request_param(req, "file");
    if (!may_change_function(fr->svc, req, fn, resp))
        return;
    ccf_policy *p = load_function(fr->svc, fn, policy_hash, resp);
    long i;

    if (p == NULL)
        return;
    if ((i = find_file(p, fr->kind, name)) < 0) {
        respond_no_file(resp, p, fr->kind, name);
    } else {
        ccf_store_rc rc = ccf_ccfaas_store_file_delete(fr->svc->store, fr->kind, fn, name, err,
                                                       sizeof err);
        if (rc != CCF_STORE_OK)
            ccf_ccfaas_respond_store(resp, rc, err);
        else
            ccf_http_respond_json(resp, 200, json_pack("{s:s, s:s, s:b}", "function", fn,
                                                       kind_key[fr->kind], name, "deleted", 1));
    }
    ccf_policy_free(p);
}

/* ---- lifetime ------------------------------------------------------------------- */

static ccf_err mkdir_p(const char *path, char *err, size_t err_size)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "path too long: %s", path);
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(buf, 0700) != 0 && errno != EEXIST)
            return ccf_errf(err, err_size, CCF_ERR_IO, "mkdir %s: %s", buf, strerror(errno));
        *p = saved;
        if (saved == '\0')
            break;
    }
    return CCF_OK;
}

/* This CCFaaS's id among replicas: DATA/ccfaas-replica.id, 32 lowercase hex
 * digits (a final newline allowed), made once from 16 random bytes unless
 * provided (the Helm chart derives it from the pod's name): a restart with
 * the same id is the same replica; the recovery of half-made instances
 * relies on it. */
static ccf_err replica_id(const char *data_dir, char out[33], char *err, size_t err_size)
{
    char path[PATH_MAX + 32], *text = NULL;
    size_t len = 0;
    uint8_t raw[16];
    ccf_err rc;

    snprintf(path, sizeof path, "%s/ccfaas-replica.id", data_dir);
    if (access(path, F_OK) != 0) {
        if (RAND_bytes(raw, sizeof raw) != 1)
            return ccf_errf(err, err_size, CCF_ERR_CRYPTO, "replica id: no random bytes");
        ccf_hex_encode(raw, sizeof raw, out);
        rc = ccf_file_write_atomic(path, out, 32, 0600, true, err, err_size);
        if (rc != CCF_OK && access(path, F_OK) != 0)
            return rc;
    }
    if ((rc = ccf_file_read(path, 64, &text, &len, err, err_size)) != CCF_OK)
        return rc;
    if (len == 33 && text[32] == '\n') /* written by hand or a script's echo */
        text[--len] = '\0';
    if (len != 32 || strspn(text, "0123456789abcdef") != 32) {
        free(text);
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "%s: not 32 hex digits", path);
    }
    memcpy(out, text, 33);
    free(text);
    return CCF_OK;
}

/* DATA/ccfaas-loader.crt/.key: reused when both exist, made when neither does. */
static ccf_err loader_identity(ccf_ccfaas *svc, char *err, size_t err_size)
{
    size_t len = 0;
    if (snprintf(svc->loader_crt, sizeof svc->loader_crt, "%s/%s.crt", svc->data_dir,
                 CCF_CCFAAS_LOADER_NAME) >= (int)sizeof svc->loader_crt ||
        snprintf(svc->loader_key, sizeof svc->loader_key, "%s/%s.key", svc->data_dir,
                 CCF_CCFAAS_LOADER_NAME) >= (int)sizeof svc->loader_key)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "data directory path too long");
    bool crt = access(svc->loader_crt, F_OK) == 0, key = access(svc->loader_key, F_OK) == 0;
    if (crt != key)
        return ccf_errf(err, err_size, CCF_ERR_IO, "loader identity: %s exists but %s does not; "
                        "remove it to make a new identity", crt ? svc->loader_crt : svc->loader_key,
                        crt ? svc->loader_key : svc->loader_crt);
    if (!crt) {
        ccf_err rc = ccf_identity_new(svc->data_dir, CCF_CCFAAS_LOADER_NAME, LOADER_DAYS, NULL,
                                      NULL, 0, NULL, err, err_size);
        if (rc != CCF_OK)
            return rc;
    }
    return ccf_file_read(svc->loader_crt, 64 * 1024, &svc->loader_pem, &len, err, err_size);
}

ccf_err ccf_ccfaas_new(const ccf_ccfaas_config *cfg, ccf_ccfaas **out, char *err, size_t err_size)
{
    ccf_ccfaas *svc = NULL;
    char db[PATH_MAX + 16], dir[PATH_MAX + 16];
    ccf_err rc = CCF_OK;

    *out = NULL;
    if (cfg == NULL || cfg->data_dir == NULL || cfg->data_dir[0] == '\0')
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "a data directory is required");
    if (!ccf_http_url_ok(cfg->vaas_url))
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "VaaS URL must be http://HOST:PORT or "
                        "https://HOST:PORT, got '%s'", cfg->vaas_url ? cfg->vaas_url : "(none)");
    if (cfg->ciphersuite != NULL && !ccf_policy_ciphersuite_known(cfg->ciphersuite))
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "unknown TLS cipher suite '%s'",
                        cfg->ciphersuite);
    if ((svc = calloc(1, sizeof *svc)) == NULL)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&svc->task_mu, NULL);
    pthread_cond_init(&svc->task_cv, NULL);
    if (snprintf(svc->data_dir, sizeof svc->data_dir, "%s", cfg->data_dir) >=
            (int)sizeof svc->data_dir ||
        snprintf(svc->vaas_url, sizeof svc->vaas_url, "%s", cfg->vaas_url) >=
            (int)sizeof svc->vaas_url) {
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "data directory or VaaS URL too long");
        goto out;
    }
    /* "http://h:p/" and "http://h:p" name the same service */
    size_t ul = strlen(svc->vaas_url);
    while (ul > 8 && svc->vaas_url[ul - 1] == '/')
        svc->vaas_url[--ul] = '\0';
    snprintf(svc->ciphersuite, sizeof svc->ciphersuite, "%s",
             cfg->ciphersuite ? cfg->ciphersuite : CCF_CCFAAS_DEFAULT_CIPHERSUITE);
    svc->max_upload = cfg->max_upload ? cfg->max_upload : CCF_CCFAAS_DEFAULT_MAX_UPLOAD;
    if (svc->max_upload > CCF_CCFAAS_MAX_UPLOAD_LIMIT) {
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "max upload %zu bytes is over the %u that "
                      "an SQLite BLOB holds", svc->max_upload, CCF_CCFAAS_MAX_UPLOAD_LIMIT);
        goto out;
    }
    svc->quotas.instances = cfg->max_instances_per_owner;
    svc->quotas.bytes = cfg->max_bytes_per_owner;
    svc->vaas_timeout_ms = 60000; /* VaaS answers when the runtime is attested and ready */
    svc->load_timeout_s = 300;
    for (int k = 0; k < 2; k++) {
        svc->files[k].svc = svc;
        svc->files[k].kind = (ccf_store_file_kind)k;
    }
    snprintf(dir, sizeof dir, "%s/instances", svc->data_dir);
    if ((rc = mkdir_p(svc->data_dir, err, err_size)) != CCF_OK ||
        (rc = mkdir_p(dir, err, err_size)) != CCF_OK ||
        (rc = loader_identity(svc, err, err_size)) != CCF_OK)
        goto out;
    if (cfg->db_path != NULL)
        snprintf(db, sizeof db, "%s", cfg->db_path);
    else
        snprintf(db, sizeof db, "%s/ccfaas.db", svc->data_dir);
    if ((rc = ccf_ccfaas_store_open(db, &svc->store, err, err_size)) != CCF_OK ||
        (rc = ccf_auth_open_dir(svc->data_dir, &svc->auth, err, err_size)) != CCF_OK)
        goto out;
    ccf_ccfaas_store_set_quotas(svc->store, &svc->quotas);
    if ((rc = replica_id(svc->data_dir, svc->replica, err, err_size)) != CCF_OK)
        goto out;
    ccf_ccfaas_store_set_creator(svc->store, svc->replica);
    /* the service token towards VaaS: DATA/auth/service.token when present
     * (`ccfaas up` writes it; for a separate VaaS: docs/auth.md) */
    char tok[PATH_MAX + 32];
    snprintf(tok, sizeof tok, "%s/%s", svc->data_dir, CCF_AUTH_SERVICE_TOKEN_FILE);
    if (access(tok, F_OK) == 0 &&
        (rc = ccf_auth_token_read(tok, svc->vaas_token, err, err_size)) != CCF_OK)
        goto out;
    ccf_ccfaas_recover(svc);
    snprintf(dir, sizeof dir, "%s/tasks", svc->data_dir);
    /* tasks record the replica running them: a restart fails only its own */
    if ((rc = mkdir_p(dir, err, err_size)) != CCF_OK ||
        (rc = ccf_task_store_open(db, svc->replica, &svc->tasks, err, err_size)) != CCF_OK)
        goto out;
    ccf_ccfaas_tasks_recover(svc);
    *out = svc;
    svc = NULL;
out:
    ccf_ccfaas_free(svc);
    return rc;
}

ccf_err ccf_ccfaas_mount(ccf_ccfaas *svc, ccf_http_server *srv)
{
    ccf_err rc;
    size_t pmax = CCF_POLICY_MAX_BYTES;
    struct ccf_ccfaas_files *pr = &svc->files[CCF_STORE_PROGRAM];
    struct ccf_ccfaas_files *dr = &svc->files[CCF_STORE_DATA_FILE];
    /* operators (and admins) change functions, their owners only; every
     * caller may read the catalogue (users pick functions from it) */
    const unsigned op = CCF_ROLE_OPERATOR | CCF_ROLE_ADMIN, all = CCF_ROLES_ANY;
    ccf_http_server_set_auth(srv, svc->auth);
    if ((rc = ccf_http_server_route_auth(srv, "POST", "/function", op, h_function_post, svc,
                                         pmax)) ||
        (rc = ccf_http_server_route_auth(srv, "GET", "/function", all, h_function_list, svc, 0)) ||
        (rc = ccf_http_server_route_auth(srv, "GET", "/function/<name>", all, h_function_get, svc,
                                         0)) ||
        (rc = ccf_http_server_route_auth(srv, "DELETE", "/function/<name>", op, h_function_delete,
                                         svc, 0)) ||
        (rc = ccf_http_server_route_auth(srv, "POST", "/function/<name>/program/<file...>", op,
                                         h_file_post, pr, svc->max_upload)) ||
        (rc = ccf_http_server_route_auth(srv, "GET", "/function/<name>/program", all, h_file_list,
                                         pr, 0)) ||
        (rc = ccf_http_server_route_auth(srv, "GET", "/function/<name>/program/<file...>", all,
                                         h_file_get, pr, 0)) ||
        (rc = ccf_http_server_route_auth(srv, "DELETE", "/function/<name>/program/<file...>", op,
                                         h_file_delete, pr, 0)) ||
        (rc = ccf_http_server_route_auth(srv, "POST", "/function/<name>/data_file/<file...>", op,
                                         h_file_post, dr, svc->max_upload)) ||
        (rc = ccf_http_server_route_auth(srv, "GET", "/function/<name>/data_file", all,
                                         h_file_list, dr, 0)) ||
        (rc = ccf_http_server_route_auth(srv, "GET", "/function/<name>/data_file/<file...>", all,
                                         h_file_get, dr, 0)) ||
        (rc = ccf_http_server_route_auth(srv, "DELETE", "/function/<name>/data_file/<file...>",
                                         op, h_file_delete, dr, 0)) ||
        (rc = ccf_http_server_route_admit(srv, "POST", "/function/<name>/program/<file...>",
                                          admit_file_post)) ||
        (rc = ccf_http_server_route_admit(srv, "POST", "/function/<name>/data_file/<file...>",
                                          admit_file_post)))
        return rc;
    if ((rc = ccf_ccfaas_mount_tasks(svc, srv)) != CCF_OK)
        return rc;
    return ccf_ccfaas_mount_instances(svc, srv);
}

const char *ccf_ccfaas_db_name(const ccf_ccfaas *svc)
{
    return ccf_ccfaas_store_name(svc->store);
}

void ccf_ccfaas_free(ccf_ccfaas *svc)
{
    if (svc == NULL)
        return;
    ccf_ccfaas_tasks_stop(svc); /* their threads use the stores */
    ccf_task_store_close(svc->tasks);
    pthread_mutex_destroy(&svc->task_mu);
    pthread_cond_destroy(&svc->task_cv);
    ccf_ccfaas_store_close(svc->store);
    ccf_auth_free(svc->auth);
    OPENSSL_cleanse(svc->vaas_token, sizeof svc->vaas_token);
    free(svc->loader_pem);
    free(svc);
}
