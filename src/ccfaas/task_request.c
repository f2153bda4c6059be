/* Parser of the POST /task body (task_request.h). */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "ccfaas/task_request.h"
#include "jose/jose.h"

bool ccf_task_file_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 255 || name[0] == '/' || name[n - 1] == '/')
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c < 0x20 || c == 0x7f || c == '\\')
            return false;
    }
    /* every component non-empty and neither "." nor ".." */
    for (const char *p = name; *p;) {
        size_t k = strcspn(p, "/");
        if (k == 0 || (k == 1 && p[0] == '.') || (k == 2 && p[0] == '.' && p[1] == '.'))
            return false;
        p += k;
        if (*p == '/')
            p++;
    }
    return true;
}

bool ccf_task_name_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

static void item_clear(ccf_task_item *it, bool secret)
{
    if (it->data != NULL && secret)
        OPENSSL_cleanse(it->data, it->len);
    free(it->data);
    free(it->name);
    free(it->uri);
}

void ccf_task_request_free(ccf_task_request *r)
{
    if (r == NULL)
        return;
    free(r->function);
    free(r->program);
    free(r->args);
    for (size_t i = 0; i < r->input_count; i++)
        item_clear(&r->inputs[i], false);
    free(r->inputs);
    for (size_t i = 0; i < r->secret_count; i++)
        item_clear(&r->secrets[i], true);
    free(r->secrets);
    for (size_t i = 0; i < r->output_count; i++)
        free(r->outputs[i]);
    free(r->outputs);
    free(r->deterministic_output);
    free(r->trust);
    json_decref(r->result_key);
    free(r->key_broker);
    free(r);
}

ccf_err ccf_task_result_key_check(const json_t *v, const char *what, char *err, size_t err_size)
{
    EVP_PKEY *k = NULL;
    const char *alg = NULL;
    char why[256] = "";
    if (!json_is_object(v) || ccf_jwk_parse(v, &k, &alg, why, sizeof why) != CCF_OK)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "%s: expected a public JWK (EC P-256 or "
                        "RSA): %s", what, why[0] ? why : "not a JSON object");
    EVP_PKEY_free(k);
    if (json_object_get(v, "d") != NULL)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "%s: a private key (member d); send its "
                        "public half only", what);
    return CCF_OK;
}

/* A file name member: a valid name, copied. */
static ccf_err want_file(const json_t *v, const char *path, char **out, char *err, size_t es)
{
    const char *s = json_string_value(v);
    if (s == NULL)
        return ccf_errf(err, es, CCF_ERR_INVALID, "%s: expected a string", path);
    if (strlen(s) != json_string_length(v) || !ccf_task_file_name_ok(s))
        return ccf_errf(err, es, CCF_ERR_INVALID, "%s: \"%.80s\" is not a file name (1-255 bytes, relative, no "
                    "control characters, no empty, . or .. component, no trailing /)", path, s);
    return (*out = strdup(s)) ? CCF_OK : CCF_ERR_NOMEM;
}

/* Checks that name was not used before among `used` names. */
static bool name_is_new(char **used, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(used[i], name) == 0)
            return false;
    return true;
}

/* inputs (secret=false) or secrets (true): an array of objects. */
static ccf_err parse_items(const json_t *arr, const char *what, bool secret, ccf_task_item **out,
                           size_t *count, char **used, size_t *nused, char *err, size_t es)
{
    char path[96];
    if (!json_is_array(arr))
        return ccf_errf(err, es, CCF_ERR_INVALID, "%s: expected an array", what);
    size_t n = json_array_size(arr);
    if (n > CCF_TASK_MAX_ITEMS)
        return ccf_errf(err, es, CCF_ERR_INVALID, "%s: at most %d, got %zu", what, CCF_TASK_MAX_ITEMS, n);
    if (n == 0)
        return CCF_OK;
    if ((*out = calloc(n, sizeof **out)) == NULL)
        return CCF_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        const json_t *o = json_array_get(arr, i);
        ccf_task_item *it = &(*out)[i];
        const char *key;
        json_t *v;
        ccf_err rc;
        *count = i + 1;
        snprintf(path, sizeof path, "%s[%zu]", what, i);
        if (!json_is_object(o))
            return ccf_errf(err, es, CCF_ERR_INVALID, "%s: expected an object", path);
        json_object_foreach((json_t *)o, key, v) {
            bool known = strcmp(key, "name") == 0 ||
                         (secret ? strcmp(key, "value") == 0
                                 : strcmp(key, "data") == 0 || strcmp(key, "uri") == 0);
            if (!known)
                return ccf_errf(err, es, CCF_ERR_INVALID, "%s: unknown member \"%.64s\" (%s)", path, key,
                            secret ? "a secret has name and value"
                                   : "an input has name and data or uri");
        }
        snprintf(path, sizeof path, "%s[%zu].name", what, i);
        if (json_object_get(o, "name") == NULL)
            return ccf_errf(err, es, CCF_ERR_INVALID, "%s: required", path);
        if ((rc = want_file(json_object_get(o, "name"), path, &it->name, err, es)) != CCF_OK)
            return rc;
        if (!name_is_new(used, *nused, it->name))
            return ccf_errf(err, es, CCF_ERR_INVALID, "%s: \"%s\" is given twice (args, inputs and secrets need "
                        "distinct names)", path, it->name);
        used[(*nused)++] = it->name;
        const json_t *data = json_object_get(o, secret ? "value" : "data");
        const json_t *uri = secret ? NULL : json_object_get(o, "uri");
        snprintf(path, sizeof path, "%s[%zu]", what, i);
        if ((data == NULL) == (uri == NULL))
            return ccf_errf(err, es, CCF_ERR_INVALID, "%s: %s", path,
                        secret ? "value is required" : "exactly one of data and uri is required");
        if (secret) {
            snprintf(path, sizeof path, "%s[%zu].value", what, i);
            size_t l = json_string_length(data);
            if (!json_is_string(data))
                return ccf_errf(err, es, CCF_ERR_INVALID, "%s: expected a string", path);
            if (l > CCF_TASK_MAX_SECRET)
                return ccf_errf(err, es, CCF_ERR_INVALID, "%s: at most %u bytes, got %zu", path, CCF_TASK_MAX_SECRET, l);
            if ((it->data = malloc(l + 1)) == NULL)
                return CCF_ERR_NOMEM;
            memcpy(it->data, json_string_value(data), l);
            it->len = l;
        } else if (data != NULL) {
            snprintf(path, sizeof path, "%s[%zu].data", what, i);
            if (!json_is_string(data))
                return ccf_errf(err, es, CCF_ERR_INVALID, "%s: expected a base64 string", path);
            char why[128];
            if ((rc = ccf_base64_decode(json_string_value(data), json_string_length(data),
                                        &it->data, &it->len, why, sizeof why)) != CCF_OK)
                return ccf_errf(err, es, rc, "%s: %s", path, why);
        } else {
            snprintf(path, sizeof path, "%s[%zu].uri", what, i);
            const char *u = json_string_value(uri);
            if (u == NULL)
                return ccf_errf(err, es, CCF_ERR_INVALID, "%s: expected a string", path);
            if (strncmp(u, "http://", 7) != 0 || u[7] == '\0' || strlen(u) > 2048 ||
                strlen(u) != json_string_length(uri))
                return ccf_errf(err, es, CCF_ERR_INVALID, "%s: only http:// URIs (at most 2048 bytes) are fetched, "
                            "got \"%.80s\"", path, u);
            if ((it->uri = strdup(u)) == NULL)
                return CCF_ERR_NOMEM;
        }
    }
    return CCF_OK;
}

ccf_err ccf_task_request_parse(const char *text, size_t len, ccf_task_request **out, char *err,
                               size_t err_size)
{
    json_error_t jerr;
    ccf_task_request *r = NULL;
    char *used[2 * CCF_TASK_MAX_ITEMS + 1];
    size_t nused = 0;
    ccf_err rc = CCF_OK;
    const char *key;
    json_t *v;
    static const char *const members[] = {"function", "program", "args", "inputs", "secrets",
                                          "outputs", "deterministic_output", "trust",
                                          "result_key", "timeout_s"};

    *out = NULL;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
    if (!json_is_object(root)) {
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "(root): expected an object");
        goto out;
    }
    json_object_foreach(root, key, v) {
        bool known = false;
        for (size_t i = 0; i < sizeof members / sizeof members[0]; i++)
            known |= strcmp(key, members[i]) == 0;
        if (!known) {
            rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "%.64s: unknown member (a task has function, program, args, "
                      "inputs, secrets, outputs, deterministic_output, trust, result_key, "
                      "timeout_s)", key);
            goto out;
        }
    }
    if ((r = calloc(1, sizeof *r)) == NULL) {
        rc = CCF_ERR_NOMEM;
        goto out;
    }
    r->timeout_s = CCF_TASK_DEFAULT_TIMEOUT_S;
    const char *fn = json_string_value(json_object_get(root, "function"));
    if (fn == NULL) {
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "function: %s", json_object_get(root, "function")
                                                   ? "expected a string" : "required");
        goto out;
    }
    if (!ccf_task_name_ok(fn, 128)) {
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "function: \"%.80s\" is not a function name (1-128 of "
                  "A-Z a-z 0-9 - _ .)", fn);
        goto out;
    }
    if ((r->function = strdup(fn)) == NULL) {
        rc = CCF_ERR_NOMEM;
        goto out;
    }
    if ((v = json_object_get(root, "program")) != NULL &&
        (rc = want_file(v, "program", &r->program, err, err_size)) != CCF_OK)
        goto out;
    if ((v = json_object_get(root, "args")) != NULL) {
        if (!json_is_string(v) || json_string_length(v) > CCF_TASK_MAX_ARGS ||
            strlen(json_string_value(v)) != json_string_length(v)) {
            rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "args: expected a string of at most %u bytes without NUL",
                      CCF_TASK_MAX_ARGS);
            goto out;
        }
        if ((r->args = strdup(json_string_value(v))) == NULL) {
            rc = CCF_ERR_NOMEM;
            goto out;
        }
        used[nused++] = "args";
    }
    if ((v = json_object_get(root, "inputs")) != NULL &&
        (rc = parse_items(v, "inputs", false, &r->inputs, &r->input_count, used, &nused, err,
                          err_size)) != CCF_OK)
        goto out;
    if ((v = json_object_get(root, "secrets")) != NULL &&
        (rc = parse_items(v, "secrets", true, &r->secrets, &r->secret_count, used, &nused, err,
                          err_size)) != CCF_OK)
        goto out;
    if ((v = json_object_get(root, "outputs")) != NULL) {
        size_t n = json_array_size(v);
        if (!json_is_array(v) || n == 0 || n > CCF_TASK_MAX_ITEMS) {
            rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "outputs: expected an array of 1-%d file names",
                      CCF_TASK_MAX_ITEMS);
            goto out;
        }
        if ((r->outputs = calloc(n, sizeof *r->outputs)) == NULL) {
            rc = CCF_ERR_NOMEM;
            goto out;
        }
        for (size_t i = 0; i < n; i++) {
            char path[48];
            snprintf(path, sizeof path, "outputs[%zu]", i);
            r->output_count = i + 1;
            if ((rc = want_file(json_array_get(v, i), path, &r->outputs[i], err, err_size)) !=
                CCF_OK)
                goto out;
            if (!name_is_new(r->outputs, i, r->outputs[i])) {
                rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "%s: \"%s\" is given twice", path, r->outputs[i]);
                goto out;
            }
            if (!name_is_new(used, nused, r->outputs[i])) {
                rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "%s: \"%s\" is also an input, a secret or args", path,
                          r->outputs[i]);
                goto out;
            }
        }
    }
    if ((v = json_object_get(root, "deterministic_output")) != NULL) {
        if ((rc = want_file(v, "deterministic_output", &r->deterministic_output, err,
                            err_size)) != CCF_OK)
            goto out;
        if (r->outputs != NULL && name_is_new(r->outputs, r->output_count,
                                              r->deterministic_output)) {
            rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "deterministic_output: \"%s\" is not one of outputs",
                      r->deterministic_output);
            goto out;
        }
    }
    v = json_object_get(root, "trust");
    if (!json_is_object(v)) {
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "trust: %s", v ? "expected an object (a trust configuration, "
                                                 "docs/trust.md)"
                                               : "required: the trust configuration the instance "
                                                 "is verified with (docs/trust.md)");
        goto out;
    }
    if ((r->trust = json_dumps(v, JSON_COMPACT)) == NULL) {
        rc = CCF_ERR_NOMEM;
        goto out;
    }
    if ((v = json_object_get(root, "result_key")) != NULL) {
        if ((rc = ccf_task_result_key_check(v, "result_key", err, err_size)) != CCF_OK)
            goto out;
        r->result_key = json_incref(v);
    }
    if ((v = json_object_get(root, "timeout_s")) != NULL) {
        if (!json_is_integer(v) || json_integer_value(v) < 1 ||
            json_integer_value(v) > CCF_TASK_MAX_TIMEOUT_S) {
            rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "timeout_s: expected an integer 1-%d",
                      CCF_TASK_MAX_TIMEOUT_S);
            goto out;
        }
        r->timeout_s = (long)json_integer_value(v);
    }
    *out = r;
    r = NULL;
out:
    ccf_task_request_free(r);
    json_decref(root);
    return rc;
}
