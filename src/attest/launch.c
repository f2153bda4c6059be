/* Launch configuration (see launch.h). */
#include "attest/launch.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static bool platform_of(const char *name, ccf_runtime_platform *out)
{
    for (int p = 0; p < CCF_RUNTIME_COUNT; p++) {
        if (strcmp(name, ccf_runtime_platform_name((ccf_runtime_platform)p)) == 0) {
            *out = (ccf_runtime_platform)p;
            return true;
        }
    }
    return false;
}

ccf_err ccf_launch_encode(const ccf_launch *l, char **out)
{
    *out = NULL;
    /* JSON integers here are signed 64-bit: larger values could not be read back */
    if (l->fuel > INT64_MAX || l->max_exec_seconds > INT64_MAX || l->max_file_mib > INT64_MAX)
        return CCF_ERR_INVALID;
    json_t *o = json_pack("{s:b,s:b,s:I,s:I,s:I,s:s,s:b}", "clean_environment",
                          l->clean_environment, "debug", l->debug, "fuel", (json_int_t)l->fuel,
                          "max_exec_seconds", (json_int_t)l->max_exec_seconds, "max_file_mib",
                          (json_int_t)l->max_file_mib, "platform",
                          ccf_runtime_platform_name(l->platform), "sandbox", l->sandbox);
    *out = o ? json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
    json_decref(o);
    return *out ? CCF_OK : CCF_ERR_NOMEM;
}

ccf_err ccf_launch_parse(const char *text, size_t len, ccf_launch *out, char *err,
                         size_t err_size)
{
    static const char *const bools[] = {"clean_environment", "debug", "sandbox"};
    static const char *const nums[] = {"fuel", "max_exec_seconds", "max_file_mib"};
    json_error_t je;
    json_t *o = NULL;
    ccf_err rc = CCF_ERR_INVALID;

    memset(out, 0, sizeof *out);
    if (len > CCF_LAUNCH_MAX_TEXT)
        return ccf_errf(err, err_size, CCF_ERR_TOO_LARGE, "launch configuration: over %u bytes",
                        CCF_LAUNCH_MAX_TEXT);
    o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(o)) {
        ccf_errf(err, err_size, rc, "launch configuration: not a JSON object");
        goto out;
    }
    if (json_object_size(o) != 7) {
        ccf_errf(err, err_size, rc, "launch configuration: expected exactly 7 members");
        goto out;
    }
    bool *bdst[] = {&out->clean_environment, &out->debug, &out->sandbox};
    for (size_t i = 0; i < 3; i++) {
        json_t *v = json_object_get(o, bools[i]);
        if (!json_is_boolean(v)) {
            ccf_errf(err, err_size, rc, "launch configuration: %s: expected true or false",
                     bools[i]);
            goto out;
        }
        *bdst[i] = json_is_true(v);
    }
    uint64_t *ndst[] = {&out->fuel, &out->max_exec_seconds, &out->max_file_mib};
    for (size_t i = 0; i < 3; i++) {
        json_t *v = json_object_get(o, nums[i]);
        if (!json_is_integer(v) || json_integer_value(v) < 0) {
            ccf_errf(err, err_size, rc, "launch configuration: %s: expected an integer >= 0",
                     nums[i]);
            goto out;
        }
        *ndst[i] = (uint64_t)json_integer_value(v);
    }
    json_t *p = json_object_get(o, "platform");
    if (!json_is_string(p) || !platform_of(json_string_value(p), &out->platform)) {
        ccf_errf(err, err_size, rc, "launch configuration: platform: unknown");
        goto out;
    }
    rc = CCF_OK;
out:
    json_decref(o);
    return rc;
}

bool ccf_launch_hash(const char *text, size_t len, uint8_t out[CCF_SHA256_LEN])
{
    return ccf_sha256(text, len, out);
}
