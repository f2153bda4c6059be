/* A user's expectations of an instance's policy (see expect.h). */
#include "client/expect.h"

#include <jansson.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/pki.h"
#include "common/file.h"

#define KNOWN_MAX_BYTES (4u * 1024u * 1024u)
/* Rights that let an identity learn a file's content. */
#define READ_RIGHTS (CCF_FD_READ | CCF_FD_READDIR | CCF_FD_EXECUTE)

/* Appends "; "-separated findings to err; the first failure decides. */
struct findings {
    char *buf;
    size_t size, len;
    unsigned count;
};

static void add(struct findings *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct findings *f, const char *fmt, ...)
{
    f->count++;
    if (f->buf == NULL || f->len + 3 >= f->size)
        return;
    if (f->len > 0) {
        memcpy(f->buf + f->len, "; ", 3);
        f->len += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(f->buf + f->len, f->size - f->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        f->len = f->len + (size_t)n < f->size ? f->len + (size_t)n : f->size - 1;
}

static X509 *cert_of(const char *pem)
{
    X509 *x = NULL;
    char detail[64];
    if (pem == NULL || ccf_pki_cert_from_pem(pem, strlen(pem), &x, detail, sizeof detail) != CCF_OK)
        return NULL;
    return x;
}

/* Index of the user identity with the same certificate (DER), or -1. */
static long same_identity(X509 *x, const ccf_policy *user)
{
    for (size_t i = 0; i < user->identity_count; i++) {
        X509 *y = cert_of(user->identities[i].certificate);
        bool same = x != NULL && y != NULL && X509_cmp(x, y) == 0;
        X509_free(y);
        if (same)
            return (long)i;
    }
    return -1;
}

static int by_name(const void *a, const void *b)
{
    const ccf_file_right *x = a, *y = b;
    int c = strcmp(x->file_name, y->file_name);
    return c != 0 ? c : (x->rights > y->rights) - (x->rights < y->rights);
}

/* Whether two rights lists grant the same (file, rights) pairs. */
static bool same_rights(const ccf_file_rights *a, const ccf_file_rights *b)
{
    if (a->count != b->count)
        return false;
    if (a->count == 0)
        return true;
    ccf_file_right *x = malloc(a->count * sizeof *x), *y = malloc(b->count * sizeof *y);
    bool same = x != NULL && y != NULL;
    if (same) {
        memcpy(x, a->items, a->count * sizeof *x);
        memcpy(y, b->items, b->count * sizeof *y);
        qsort(x, a->count, sizeof *x, by_name);
        qsort(y, b->count, sizeof *y, by_name);
        for (size_t i = 0; i < a->count && same; i++)
            same = by_name(&x[i], &y[i]) == 0;
    }
    free(x);
    free(y);
    return same;
}

static bool is_function_file(const ccf_policy *full, const char *name)
{
    for (size_t i = 0; i < full->program_count; i++) {
        if (strcmp(full->programs[i].program_file_name, name) == 0)
            return true;
    }
    for (size_t i = 0; i < full->data_file_count; i++) {
        if (strcmp(full->data_files[i].data_file, name) == 0)
            return true;
    }
    return false;
}

static const char *who(const ccf_identity *id)
{
    return id->subject ? id->subject : "(unnamed)";
}

ccf_err ccf_expect_user_policy(const ccf_policy *full, const ccf_policy *user, char *err,
                               size_t err_size)
{
    struct findings f = {err, err_size, 0, 0};
    bool *seen = calloc(user->identity_count + 1, sizeof *seen);
    unsigned loaders = 0;

    if (err_size > 0)
        err[0] = '\0';
    if (seen == NULL)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < full->identity_count; i++) {
        const ccf_identity *id = &full->identities[i];
        X509 *x = cert_of(id->certificate);
        long u = same_identity(x, user);
        X509_free(x);
        if (u >= 0) {
            if (seen[u])
                add(&f, "identity %s appears twice in the instance's policy", who(id));
            seen[u] = true;
            if (!same_rights(&id->rights, &user->identities[u].rights))
                add(&f, "identity %s has other rights than your user policy gives it", who(id));
            continue;
        }
        /* not the user's: only a write-only loader of the function's files */
        bool loader = id->rights.count > 0;
        for (size_t r = 0; r < id->rights.count; r++) {
            const ccf_file_right *fr = &id->rights.items[r];
            if (fr->rights & READ_RIGHTS)
                add(&f, "identity %s is not in your user policy and may read %s", who(id),
                    fr->file_name);
            else if ((fr->rights & ~(uint32_t)CCF_EXPECT_LOADER_RIGHTS) != 0 ||
                     !is_function_file(full, fr->file_name))
                add(&f, "identity %s is not in your user policy and has rights %u on %s", who(id),
                    fr->rights, fr->file_name);
            else
                continue;
            loader = false;
        }
        if (loader && ++loaders > 1)
            add(&f, "identity %s: more than one loader identity", who(id));
        else if (!loader && id->rights.count == 0)
            add(&f, "identity %s is not in your user policy", who(id));
    }
    for (size_t u = 0; u < user->identity_count; u++) {
        if (!seen[u])
            add(&f, "your identity %s is missing from the instance's policy",
                who(&user->identities[u]));
    }
    free(seen);
    return f.count ? CCF_ERR_DENIED : CCF_OK;
}

/* ---- function pins ---------------------------------------------------------- */

static json_t *rights_sorted(const ccf_file_rights *r)
{
    json_t *a = json_array();
    ccf_file_right *s = r->count ? malloc(r->count * sizeof *s) : NULL;
    if (a == NULL || (r->count && s == NULL)) {
        free(s);
        json_decref(a);
        return NULL;
    }
    if (r->count) {
        memcpy(s, r->items, r->count * sizeof *s);
        qsort(s, r->count, sizeof *s, by_name);
    }
    for (size_t i = 0; i < r->count; i++)
        json_array_append_new(a, json_pack("{s:s,s:I}", "file_name", s[i].file_name, "rights",
                                           (json_int_t)s[i].rights));
    free(s);
    return a;
}

/* Sorts a JSON array of objects by the string member key. */
static int cmp_key_name(const void *a, const void *b, const char *key)
{
    return strcmp(json_string_value(json_object_get(*(json_t *const *)a, key)),
                  json_string_value(json_object_get(*(json_t *const *)b, key)));
}
static int cmp_program(const void *a, const void *b) { return cmp_key_name(a, b, "program_file_name"); }
static int cmp_data(const void *a, const void *b) { return cmp_key_name(a, b, "data_file"); }

static json_t *sorted_array(json_t **items, size_t n, int (*cmp)(const void *, const void *))
{
    json_t *a = json_array();
    if (n > 0)
        qsort(items, n, sizeof *items, cmp);
    for (size_t i = 0; i < n && a != NULL; i++)
        json_array_append_new(a, items[i]);
    return a;
}

ccf_err ccf_expect_function_pin(const ccf_policy *p, char **out)
{
    size_t np = p->program_count, nd = p->data_file_count;
    json_t **progs = calloc(np + 1, sizeof *progs), **data = calloc(nd + 1, sizeof *data);
    json_t *root = NULL;
    ccf_err rc = CCF_ERR_NOMEM;

    *out = NULL;
    if (progs == NULL || data == NULL)
        goto out;
    for (size_t i = 0; i < np; i++)
        progs[i] = json_pack("{s:s,s:s,s:o}", "program_file_name", p->programs[i].program_file_name,
                             "pi_hash", p->programs[i].pi_hash, "file_rights",
                             rights_sorted(&p->programs[i].rights));
    for (size_t i = 0; i < nd; i++)
        data[i] = json_pack("{s:s,s:s}", "data_file", p->data_files[i].data_file, "pi_hash",
                            p->data_files[i].pi_hash);
    for (size_t i = 0; i < np; i++)
        if (progs[i] == NULL)
            goto out;
    for (size_t i = 0; i < nd; i++)
        if (data[i] == NULL)
            goto out;
    root = json_pack("{s:o,s:o}", "programs", sorted_array(progs, np, cmp_program), "data_files",
                     sorted_array(data, nd, cmp_data));
    np = nd = 0; /* the arrays own the items now */
    if (root != NULL && (*out = json_dumps(root, JSON_SORT_KEYS | JSON_COMPACT)) != NULL)
        rc = CCF_OK;
out:
    for (size_t i = 0; progs && i < np; i++)
        json_decref(progs[i]);
    for (size_t i = 0; data && i < nd; i++)
        json_decref(data[i]);
    free(progs);
    free(data);
    json_decref(root);
    return rc;
}

/* The entry of array a whose member key is name, or NULL. */
static json_t *find(json_t *a, const char *key, const char *name)
{
    size_t i;
    json_t *e;
    json_array_foreach(a, i, e) {
        if (strcmp(json_string_value(json_object_get(e, key)), name) == 0)
            return e;
    }
    return NULL;
}

static void diff_list(struct findings *f, json_t *known, json_t *seen, const char *key,
                      const char *what)
{
    size_t i;
    json_t *e;
    json_array_foreach(known, i, e) {
        const char *name = json_string_value(json_object_get(e, key));
        json_t *s = find(seen, key, name);
        if (s == NULL) {
            add(f, "%s %s was removed", what, name);
            continue;
        }
        const char *h0 = json_string_value(json_object_get(e, "pi_hash"));
        const char *h1 = json_string_value(json_object_get(s, "pi_hash"));
        if (strcmp(h0, h1) != 0)
            add(f, "%s %s: pi_hash was %.16s..., is %.16s...", what, name, h0, h1);
        json_t *r0 = json_object_get(e, "file_rights"), *r1 = json_object_get(s, "file_rights");
        if ((r0 != NULL || r1 != NULL) && !json_equal(r0, r1))
            add(f, "%s %s: its file rights changed", what, name);
    }
    json_array_foreach(seen, i, e) {
        const char *name = json_string_value(json_object_get(e, key));
        if (find(known, key, name) == NULL)
            add(f, "%s %s was added", what, name);
    }
}

/* A pin's shape: {"programs":[{program_file_name, pi_hash, ...}],
 * "data_files":[{data_file, pi_hash}]} with string names and hashes (a known
 * pin comes from a file the user may have edited). */
static bool entries_ok(json_t *a, const char *key)
{
    size_t i;
    json_t *e;
    if (!json_is_array(a))
        return false;
    json_array_foreach(a, i, e) {
        if (!json_is_string(json_object_get(e, key)) ||
            !json_is_string(json_object_get(e, "pi_hash")))
            return false;
    }
    return true;
}

static bool pin_ok(json_t *pin)
{
    return json_is_object(pin) &&
           entries_ok(json_object_get(pin, "programs"), "program_file_name") &&
           entries_ok(json_object_get(pin, "data_files"), "data_file");
}

ccf_err ccf_expect_pin_compare(const char *known, const char *seen, char *err, size_t err_size)
{
    struct findings f = {err, err_size, 0, 0};
    json_t *k = json_loads(known, 0, NULL), *s = json_loads(seen, 0, NULL);
    ccf_err rc;
    if (err_size > 0)
        err[0] = '\0';
    if (!pin_ok(k) || !pin_ok(s)) {
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID,
                      "unreadable function pin (expected programs and data_files with names and "
                      "pi_hash)");
        goto out;
    }
    diff_list(&f, json_object_get(k, "programs"), json_object_get(s, "programs"),
              "program_file_name", "program");
    diff_list(&f, json_object_get(k, "data_files"), json_object_get(s, "data_files"),
              "data_file", "data file");
    if (f.count == 0 && strcmp(known, seen) != 0)
        add(&f, "the function's programs changed");
    rc = f.count ? CCF_ERR_DENIED : CCF_OK;
out:
    json_decref(k);
    json_decref(s);
    return rc;
}

/* ---- known functions file ------------------------------------------------- */

struct ccf_known_functions {
    json_t *root; /* {"version":1,"functions":{...}} */
};

ccf_err ccf_known_functions_load(const char *path, ccf_known_functions **out, char *err,
                                 size_t err_size)
{
    ccf_known_functions *k = calloc(1, sizeof *k);
    char *text = NULL, detail[300];
    size_t len = 0;
    json_error_t je;
    ccf_err rc;

    *out = NULL;
    if (k == NULL)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    FILE *probe = fopen(path, "rb");
    if (probe == NULL) {
        k->root = json_pack("{s:i,s:{}}", "version", 1, "functions");
        rc = k->root ? CCF_OK : CCF_ERR_NOMEM;
        goto done;
    }
    fclose(probe);
    if ((rc = ccf_file_read(path, KNOWN_MAX_BYTES, &text, &len, detail, sizeof detail)) != CCF_OK) {
        ccf_errf(err, err_size, rc, "known functions %s: %s", path, detail);
        goto done;
    }
    k->root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    json_t *fns = json_object_get(k->root, "functions");
    if (!json_is_object(k->root) || !json_is_integer(json_object_get(k->root, "version")) ||
        !json_is_object(fns)) {
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID,
                      "known functions %s: expected {\"version\":1,\"functions\":{...}}", path);
        goto done;
    }
    const char *name;
    json_t *pin;
    json_object_foreach(fns, name, pin) {
        if (!json_is_string(pin)) {
            rc = ccf_errf(err, err_size, CCF_ERR_INVALID,
                          "known functions %s: functions.%.64s: expected a string", path, name);
            goto done;
        }
    }
    rc = CCF_OK;
done:
    free(text);
    if (rc != CCF_OK) {
        ccf_known_functions_free(k);
        return rc;
    }
    *out = k;
    return CCF_OK;
}

void ccf_known_functions_free(ccf_known_functions *k)
{
    if (k == NULL)
        return;
    json_decref(k->root);
    free(k);
}

const char *ccf_known_functions_get(const ccf_known_functions *k, const char *name)
{
    return json_string_value(json_object_get(json_object_get(k->root, "functions"), name));
}

ccf_err ccf_known_functions_put(ccf_known_functions *k, const char *path, const char *name,
                                const char *pin, char *err, size_t err_size)
{
    json_t *fns = json_object_get(k->root, "functions");
    if (json_object_set_new(fns, name, json_string(pin)) != 0)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    char *text = json_dumps(k->root, JSON_SORT_KEYS | JSON_INDENT(2));
    if (text == NULL)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    ccf_err rc = ccf_file_write_atomic(path, text, strlen(text), 0644, false, err, err_size);
    free(text);
    return rc;
}

ccf_err ccf_expect_known_path(const char *trust_path, char *buf, size_t size)
{
    const char *slash = strrchr(trust_path, '/');
    int n = slash ? snprintf(buf, size, "%.*s/known_functions.json", (int)(slash - trust_path),
                             trust_path)
                  : snprintf(buf, size, "known_functions.json");
    return n < 0 || (size_t)n >= size ? CCF_ERR_INVALID : CCF_OK;
}

ccf_err ccf_expect_check(const ccf_policy *full, const ccf_policy *user,
                         const ccf_policy *function_policy, const char *known_path,
                         bool *first_seen, char *err, size_t err_size)
{
    char *seen = NULL, *pinned = NULL, detail[1024];
    ccf_known_functions *k = NULL;
    ccf_err rc;

    *first_seen = false;
    if ((rc = ccf_expect_user_policy(full, user, detail, sizeof detail)) != CCF_OK)
        return ccf_errf(err, err_size, rc,
                        "the instance's policy is not what your user policy asked: %s", detail);
    if ((rc = ccf_expect_function_pin(full, &seen)) != CCF_OK)
        return ccf_errf(err, err_size, rc, "cannot summarise the instance's programs");
    if (function_policy != NULL) {
        if ((rc = ccf_expect_function_pin(function_policy, &pinned)) != CCF_OK) {
            ccf_errf(err, err_size, rc, "cannot summarise the function policy");
            goto out;
        }
        if ((rc = ccf_expect_pin_compare(pinned, seen, detail, sizeof detail)) != CCF_OK)
            ccf_errf(err, err_size, rc,
                     "the instance's programs are not those of the function policy you gave: %s",
                     detail);
        goto out;
    }
    if (user->function == NULL) {
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "the user policy names no function");
        goto out;
    }
    if ((rc = ccf_known_functions_load(known_path, &k, err, err_size)) != CCF_OK)
        goto out;
    const char *known = ccf_known_functions_get(k, user->function);
    if (known == NULL) {
        rc = ccf_known_functions_put(k, known_path, user->function, seen, err, err_size);
        *first_seen = rc == CCF_OK;
        goto out;
    }
    if ((rc = ccf_expect_pin_compare(known, seen, detail, sizeof detail)) != CCF_OK)
        ccf_errf(err, err_size, rc,
                 "function %s is not the one you know (%s): %s. If the change is expected, pin "
                 "the new version with --function-policy FILE or remove its entry",
                 user->function, known_path, detail);
out:
    ccf_known_functions_free(k);
    free(seen);
    free(pinned);
    return rc;
}

ccf_err ccf_expect_check_user_text(const ccf_policy *full, const char *user_text, size_t user_len,
                                   const char *function_policy_path, const char *trust_path,
                                   bool *first_seen, char *known, size_t known_size,
                                   char *function, size_t function_size, char *err,
                                   size_t err_size)
{
    ccf_policy *user = NULL, *fnp = NULL;
    ccf_policy_errors pe;
    char *fn_text = NULL, detail[300];
    size_t fn_len = 0;
    ccf_err rc;

    *first_seen = false;
    if ((rc = ccf_policy_parse(user_text, user_len, CCF_POLICY_USER, &user, &pe)) != CCF_OK) {
        ccf_errf(err, err_size, rc, "the user policy is not valid: %s%s%s",
                 pe.count ? pe.items[0].path : "", pe.count ? ": " : "",
                 pe.count ? pe.items[0].message : ccf_strerror(rc));
        goto out;
    }
    if (function_policy_path != NULL) {
        if ((rc = ccf_file_read(function_policy_path, CCF_POLICY_MAX_BYTES, &fn_text, &fn_len,
                                detail, sizeof detail)) != CCF_OK) {
            ccf_errf(err, err_size, rc, "--function-policy %s: %s", function_policy_path, detail);
            goto out;
        }
        if ((rc = ccf_policy_parse(fn_text, fn_len, CCF_POLICY_PROGRAM, &fnp, &pe)) != CCF_OK) {
            ccf_errf(err, err_size, rc, "--function-policy %s is not a valid program policy: %s%s%s",
                     function_policy_path, pe.count ? pe.items[0].path : "", pe.count ? ": " : "",
                     pe.count ? pe.items[0].message : ccf_strerror(rc));
            goto out;
        }
    }
    if ((rc = ccf_expect_known_path(trust_path, known, known_size)) != CCF_OK) {
        ccf_errf(err, err_size, rc, "%s: path too long", trust_path);
        goto out;
    }
    snprintf(function, function_size, "%s", user->function ? user->function : "");
    rc = ccf_expect_check(full, user, fnp, known, first_seen, err, err_size);
out:
    ccf_policy_free(user);
    ccf_policy_free(fnp);
    free(fn_text);
    return rc;
}
