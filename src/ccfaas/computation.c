/* Parser of Cocos computation manifests (computation.h). */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccfaas/computation.h"
#include "ccfaas/task_request.h"
#include "common/kbs_path.h"

static void source_clear(ccf_computation_source *s)
{
    free(s->uri);
    free(s->kbs_resource_path);
    memset(s, 0, sizeof *s);
}

void ccf_computation_free(ccf_computation *c)
{
    if (c == NULL)
        return;
    free(c->id);
    source_clear(&c->algorithm);
    for (size_t i = 0; i < c->dataset_count; i++)
        source_clear(&c->datasets[i]);
    free(c->datasets);
    free(c->kbs_url);
    free(c);
}

bool ccf_computation_encrypted(const ccf_computation *c)
{
    bool e = c->algorithm.encrypted;
    for (size_t i = 0; i < c->dataset_count; i++)
        e |= c->datasets[i].encrypted;
    return e;
}

static ccf_err parse_source(const json_t *o, const char *path, ccf_computation_source *s,
                            char *err, size_t es)
{
    const char *key;
    json_t *v;
    char e2[300];
    if (!json_is_object(o))
        return ccf_errf(err, es, CCF_ERR_INVALID, "%s: expected an object", path);
    json_object_foreach((json_t *)o, key, v) {
        if (strcmp(key, "type") != 0 && strcmp(key, "uri") != 0 && strcmp(key, "encrypted") != 0 &&
            strcmp(key, "kbs_resource_path") != 0)
            return ccf_errf(err, es, CCF_ERR_INVALID, "%s.%.64s: unknown member (type, uri, encrypted, "
                       "kbs_resource_path)", path, key);
    }
    const json_t *type = json_object_get(o, "type"), *uri = json_object_get(o, "uri");
    const json_t *enc = json_object_get(o, "encrypted"), *kp = json_object_get(o, "kbs_resource_path");
    if (type == NULL)
        return ccf_errf(err, es, CCF_ERR_INVALID, "%s.type: required", path);
    if (!json_is_string(type))
        return ccf_errf(err, es, CCF_ERR_INVALID, "%s.type: expected a string", path);
    if (strcmp(json_string_value(type), "oci-image") != 0)
        return ccf_errf(err, es, CCF_ERR_INVALID, "%s.type: \"%.40s\" is not supported (only \"oci-image\")", path,
                   json_string_value(type));
    if (uri == NULL)
        return ccf_errf(err, es, CCF_ERR_INVALID, "%s.uri: required", path);
    if (!json_is_string(uri) || strlen(json_string_value(uri)) != json_string_length(uri))
        return ccf_errf(err, es, CCF_ERR_INVALID, "%s.uri: expected a string", path);
    if (ccf_oci_ref_parse(json_string_value(uri), &s->ref, e2, sizeof e2) != CCF_OK)
        return ccf_errf(err, es, CCF_ERR_INVALID, "%s.uri: %s", path, e2);
    if ((s->uri = strdup(json_string_value(uri))) == NULL)
        return CCF_ERR_NOMEM;
    if (enc != NULL && !json_is_boolean(enc))
        return ccf_errf(err, es, CCF_ERR_INVALID, "%s.encrypted: expected true or false", path);
    s->encrypted = json_is_true(enc);
    if (kp != NULL && !json_is_string(kp))
        return ccf_errf(err, es, CCF_ERR_INVALID, "%s.kbs_resource_path: expected a string", path);
    if (s->encrypted && kp == NULL)
        return ccf_errf(err, es, CCF_ERR_INVALID, "%s.kbs_resource_path: required when encrypted (the key broker "
                   "resource of the decryption key)", path);
    if (!s->encrypted && kp != NULL)
        return ccf_errf(err, es, CCF_ERR_INVALID, "%s.kbs_resource_path: only for an encrypted source", path);
    if (kp != NULL) {
        if (!ccf_kbs_path_ok(json_string_value(kp)))
            return ccf_errf(err, es, CCF_ERR_INVALID, "%s.kbs_resource_path: \"%.80s\" is not REPOSITORY/TYPE/TAG",
                       path, json_string_value(kp));
        if ((s->kbs_resource_path = strdup(json_string_value(kp))) == NULL)
            return CCF_ERR_NOMEM;
    }
    return CCF_OK;
}

ccf_err ccf_computation_parse(const char *text, size_t len, ccf_computation **out, char *err,
                              size_t err_size)
{
    json_error_t je;
    ccf_computation *c = NULL;
    ccf_err rc = CCF_OK;
    const char *key;
    json_t *v;
    char path[48];
    *out = NULL;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "line %d, column %d: %s", je.line, je.column, je.text);
    if (!json_is_object(root)) {
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "(root): expected an object");
        goto out;
    }
    json_object_foreach(root, key, v) {
        if (strcmp(key, "computation_id") != 0 && strcmp(key, "algorithm") != 0 &&
            strcmp(key, "datasets") != 0 && strcmp(key, "kbs_url") != 0) {
            rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "%.64s: unknown member (a computation manifest has "
                     "computation_id, algorithm, datasets, kbs_url)", key);
            goto out;
        }
    }
    if ((c = calloc(1, sizeof *c)) == NULL) {
        rc = CCF_ERR_NOMEM;
        goto out;
    }
    v = json_object_get(root, "computation_id");
    if (!json_is_string(v) || !ccf_task_name_ok(json_string_value(v), 64)) {
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "computation_id: %s", v == NULL ? "required"
                 : "expected a string of 1-64 of A-Z a-z 0-9 - _ .");
        goto out;
    }
    if ((c->id = strdup(json_string_value(v))) == NULL) {
        rc = CCF_ERR_NOMEM;
        goto out;
    }
    if ((v = json_object_get(root, "algorithm")) == NULL) {
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "algorithm: required");
        goto out;
    }
    if ((rc = parse_source(v, "algorithm", &c->algorithm, err, err_size)) != CCF_OK)
        goto out;
    if ((v = json_object_get(root, "datasets")) != NULL) {
        size_t n = json_array_size(v);
        if (!json_is_array(v) || n > CCF_COMPUTATION_MAX_DATASETS) {
            rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "datasets: expected an array of at most %d",
                     CCF_COMPUTATION_MAX_DATASETS);
            goto out;
        }
        if ((c->datasets = calloc(n + 1, sizeof *c->datasets)) == NULL) {
            rc = CCF_ERR_NOMEM;
            goto out;
        }
        for (size_t i = 0; i < n; i++) {
            c->dataset_count = i + 1;
            snprintf(path, sizeof path, "datasets[%zu]", i);
            if ((rc = parse_source(json_array_get(v, i), path, &c->datasets[i], err, err_size)) !=
                CCF_OK)
                goto out;
        }
    }
    if ((v = json_object_get(root, "kbs_url")) != NULL) {
        const char *u = json_string_value(v);
        if (u == NULL || (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0) ||
            strlen(u) > 512 || strlen(u) != json_string_length(v)) {
            rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "kbs_url: expected an http:// or https:// URL");
            goto out;
        }
        if ((c->kbs_url = strdup(u)) == NULL) {
            rc = CCF_ERR_NOMEM;
            goto out;
        }
    } else if (ccf_computation_encrypted(c)) {
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "kbs_url: required when the algorithm or a dataset is "
                 "encrypted");
        goto out;
    }
    *out = c;
    c = NULL;
out:
    ccf_computation_free(c);
    json_decref(root);
    return rc;
}
