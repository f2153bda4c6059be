/* Canonical JSON for policies ccfaas produces: keys sorted, 2-space indent,
 * no trailing newline (DESIGN §3). Services pass received policies through
 * unchanged; only newly made policies go through here. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"

/* json_object_set_new that tolerates a NULL value (then reports failure). */
static bool put(json_t *obj, const char *key, json_t *value)
{
    return value != NULL && json_object_set_new(obj, key, value) == 0;
}

static json_t *rights_json(const ccf_file_rights *r)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < r->count; i++) {
        json_t *o = json_object();
        if (o == NULL || !put(o, "file_name", json_string(r->items[i].file_name)) ||
            !put(o, "rights", json_integer(r->items[i].rights)) || json_array_append_new(arr, o)) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *identities_json(const ccf_policy *p)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < p->identity_count; i++) {
        const ccf_identity *id = &p->identities[i];
        json_t *o = json_object();
        bool ok = o != NULL && put(o, "certificate", json_string(id->certificate)) &&
                  put(o, "file_rights", rights_json(&id->rights));
        if (ok && p->kind != CCF_POLICY_USER)
            ok = put(o, "id", json_integer(id->id));
        if (!ok || json_array_append_new(arr, o)) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

/* {"kbs_resource","sha256"[,"ocicrypt"]} when encrypted; true when absent or added. */
static bool put_encrypted(json_t *o, const ccf_encrypted *e)
{
    if (e->kbs_resource == NULL)
        return true;
    json_t *enc = json_pack("{s:s, s:s}", "kbs_resource", e->kbs_resource, "sha256", e->sha256);
    const ccf_ocicrypt_layer *l = e->ocicrypt;
    if (enc != NULL && l != NULL &&
        !put(enc, "ocicrypt", json_pack("{s:s, s:s, s:s}", "media_type", l->media_type,
                                        "keys_jwe", l->keys_jwe, "pubopts", l->pubopts))) {
        json_decref(enc);
        return false;
    }
    return put(o, "encrypted", enc);
}

/* [{"kbs_resource","name"}...] when the program has secrets. */
static bool put_secrets(json_t *o, const ccf_program *prog)
{
    if (prog->secret_count == 0)
        return true;
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < prog->secret_count; i++)
        if (json_array_append_new(arr, json_pack("{s:s, s:s}", "kbs_resource",
                                                 prog->secrets[i].kbs_resource, "name",
                                                 prog->secrets[i].name)) != 0) {
            json_decref(arr);
            return false;
        }
    return put(o, "secrets", arr);
}

static json_t *programs_json(const ccf_policy *p)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < p->program_count; i++) {
        const ccf_program *prog = &p->programs[i];
        json_t *o = json_object();
        if (o == NULL || !put(o, "file_rights", rights_json(&prog->rights)) ||
            !put(o, "id", json_integer(prog->id)) || !put(o, "pi_hash", json_string(prog->pi_hash)) ||
            !put(o, "program_file_name", json_string(prog->program_file_name)) ||
            !put_encrypted(o, &prog->encrypted) || !put_secrets(o, prog) ||
            json_array_append_new(arr, o)) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *data_files_json(const ccf_policy *p)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < p->data_file_count; i++) {
        const ccf_data_file *df = &p->data_files[i];
        json_t *o = json_object();
        bool ok = o != NULL && put(o, "data_file", json_string(df->data_file)) &&
                  put(o, "pi_hash", json_string(df->pi_hash));
        if (ok && df->has_priority)
            ok = put(o, "priority", json_integer(df->priority));
        ok = ok && put_encrypted(o, &df->encrypted);
        if (!ok || json_array_append_new(arr, o)) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *std_streams_json(const ccf_policy *p)
{
    static const char *const names[] = {"Stdin", "Stdout", "Stderr"};
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < p->std_stream_count; i++) {
        const ccf_std_stream *s = &p->std_streams[i];
        json_t *inner = json_object(), *o = json_object();
        if (inner == NULL || o == NULL || !put(inner, "file_name", json_string(s->file_name)) ||
            !put(inner, "rights", json_integer(s->rights))) {
            json_decref(inner);
            json_decref(o);
            json_decref(arr);
            return NULL;
        }
        if (!put(o, names[s->stream], inner) || json_array_append_new(arr, o)) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *expiry_json(const ccf_cert_expiry *e)
{
    return json_pack("{s:i, s:i, s:i, s:i, s:i}", "day", e->day, "hour", e->hour, "minute",
                     e->minute, "month", e->month, "year", e->year);
}

static json_t *policy_json(const ccf_policy *p)
{
    json_t *o = json_object();
    bool ok = o != NULL;
    bool full = p->kind == CCF_POLICY_FULL;

    if (ok && p->function != NULL)
        ok = put(o, "function", json_string(p->function));
    if (ok && p->instance_id != NULL)
        ok = put(o, p->kind == CCF_POLICY_USER ? "instanceid" : "instance_id",
                 json_string(p->instance_id));
    if (ok && p->execution_strategy != NULL)
        ok = put(o, "execution_strategy", json_string(p->execution_strategy));
    if (ok && (p->kind == CCF_POLICY_VAAS || full))
        ok = put(o, "ciphersuite", json_string(p->ciphersuite)) &&
             put(o, "debug", json_boolean(p->debug)) &&
             put(o, "enable_clock", json_boolean(p->enable_clock));
    if (ok && p->kind == CCF_POLICY_PROGRAM && p->debug)
        ok = put(o, "debug", json_true());
    if (ok && full && p->instance_nonce != NULL)
        ok = put(o, "instance_nonce", json_string(p->instance_nonce));
    if (ok && p->has_max_memory_mib)
        ok = put(o, "max_memory_mib", json_integer(p->max_memory_mib));
    if (ok && p->kind != CCF_POLICY_PROGRAM)
        ok = put(o, "identities", identities_json(p));
    if (ok && p->kind != CCF_POLICY_USER)
        ok = put(o, "programs", programs_json(p));
    if (ok && p->kind != CCF_POLICY_USER && p->data_file_count > 0)
        ok = put(o, "data_files", data_files_json(p));
    if (ok && p->kind != CCF_POLICY_USER && p->stream_file_count > 0) {
        json_t *a = json_array();
        for (size_t i = 0; a != NULL && i < p->stream_file_count; i++) {
            if (json_array_append_new(a, json_string(p->stream_files[i])) != 0) {
                json_decref(a);
                a = NULL;
            }
        }
        ok = put(o, "stream_files", a);
    }
    if (ok && full) {
        ok = put(o, "enclave_cert_expiry", expiry_json(&p->enclave_cert_expiry)) &&
             put(o, "proxy_attestation_server_url", json_string(p->proxy_attestation_server_url)) &&
             put(o, "proxy_service_cert", json_string(p->proxy_service_cert)) &&
             (p->kbs_url == NULL || put(o, "kbs_url", json_string(p->kbs_url))) &&
             (p->kbs_cert == NULL || put(o, "kbs_cert", json_string(p->kbs_cert))) &&
             (p->proxy_tls_cert == NULL ||
              put(o, "proxy_tls_cert", json_string(p->proxy_tls_cert))) &&
             put(o, "veracruz_server_url", json_string(p->veracruz_server_url)) &&
             put(o, "std_streams_table", std_streams_json(p));
        for (int i = 0; ok && i < CCF_RUNTIME_COUNT; i++) {
            char key[64];
            if (p->runtime_hash[i] == NULL)
                continue;
            snprintf(key, sizeof key, "runtime_manager_hash_%s",
                     ccf_runtime_platform_name((ccf_runtime_platform)i));
            ok = put(o, key, json_string(p->runtime_hash[i]));
        }
    }
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

ccf_err ccf_policy_emit(const ccf_policy *policy, char **out)
{
    json_t *o = NULL;
    *out = NULL;
    if (policy == NULL || policy->kind == CCF_POLICY_AUTO)
        return CCF_ERR_INVALID;
    if ((o = policy_json(policy)) == NULL)
        return CCF_ERR_NOMEM;
    char *text = json_dumps(o, JSON_SORT_KEYS | JSON_INDENT(2));
    json_decref(o);
    if (text == NULL)
        return CCF_ERR_NOMEM;
    /* a text file ends in a newline: tools (cat, diff, git) expect one */
    size_t n = strlen(text);
    *out = malloc(n + 2);
    if (*out != NULL) {
        memcpy(*out, text, n);
        memcpy(*out + n, "\n", 2);
    }
    free(text);
    return *out != NULL ? CCF_OK : CCF_ERR_NOMEM;
}
