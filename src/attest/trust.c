/* The verifier's trust configuration (see trust.h). */
#include "attest/trust.h"

#include <jansson.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/evidence.h"
#include "attest/pki.h"

ccf_trust *ccf_trust_new(void) { return calloc(1, sizeof(ccf_trust)); }

void ccf_trust_free(ccf_trust *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->ca_count; i++)
        free(t->cas[i].name);
    for (size_t i = 0; i < t->measurement_count; i++)
        free(t->measurements[i].name);
    free(t->cas);
    free(t->measurements);
    free(t);
}

static bool platform_parse(const char *name, ccf_runtime_platform *out)
{
    for (int p = 0; p < CCF_RUNTIME_COUNT; p++) {
        if (strcmp(name, ccf_runtime_platform_name((ccf_runtime_platform)p)) == 0) {
            *out = (ccf_runtime_platform)p;
            return true;
        }
    }
    return false;
}

/* Optional "name": a string of at most 200 bytes; *name NULL when absent. */
static ccf_err entry_name(json_t *o, const char *path, char **name, char *err, size_t err_size)
{
    json_t *v = json_object_get(o, "name");
    *name = NULL;
    if (v == NULL)
        return CCF_OK;
    if (!json_is_string(v) || json_string_length(v) > 200)
        return ccf_errf(err, err_size, CCF_ERR_INVALID,
                        "%s.name: expected a string of at most 200 bytes", path);
    *name = strdup(json_string_value(v));
    return *name ? CCF_OK : CCF_ERR_NOMEM;
}

static ccf_err entry_hash(json_t *o, const char *path, uint8_t out[CCF_SHA256_LEN], char *err,
                          size_t err_size)
{
    json_t *v = json_object_get(o, "sha256");
    if (!json_is_string(v) || !ccf_attest_hex_decode(json_string_value(v), out, CCF_SHA256_LEN))
        return ccf_errf(err, err_size, CCF_ERR_INVALID,
                        "%s.sha256: expected 64 hex digits (a SHA-256)", path);
    return CCF_OK;
}

/* Members of o must all be in allowed (NULL-terminated). */
static ccf_err only_members(json_t *o, const char *path, const char *const *allowed, char *err,
                            size_t err_size)
{
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        bool ok = false;
        for (size_t i = 0; allowed[i] != NULL && !ok; i++)
            ok = strcmp(key, allowed[i]) == 0;
        if (!ok)
            return ccf_errf(err, err_size, CCF_ERR_INVALID, "%s%s%.64s: unknown member", path,
                            path[0] ? "." : "", key);
    }
    return CCF_OK;
}

static ccf_err parse_list(json_t *root, const char *member, ccf_trust *t, char *err,
                          size_t err_size)
{
    static const char *const ca_members[] = {"sha256", "name", NULL};
    static const char *const m_members[] = {"platform", "sha256", "name", NULL};
    bool is_ca = strcmp(member, "attestation_cas") == 0;
    json_t *list = json_object_get(root, member);
    size_t i;
    json_t *e;
    char path[96];
    ccf_err rc;

    if (list == NULL)
        return CCF_OK;
    if (!json_is_array(list) || json_array_size(list) > CCF_TRUST_MAX_ENTRIES)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "%s: expected an array of at most %u entries",
                        member, CCF_TRUST_MAX_ENTRIES);
    json_array_foreach(list, i, e) {
        uint8_t h[CCF_SHA256_LEN];
        char *name = NULL;
        bool added;
        snprintf(path, sizeof path, "%s[%zu]", member, i);
        if (!json_is_object(e))
            return ccf_errf(err, err_size, CCF_ERR_INVALID, "%s: expected an object", path);
        if ((rc = only_members(e, path, is_ca ? ca_members : m_members, err, err_size)) != CCF_OK ||
            (rc = entry_hash(e, path, h, err, err_size)) != CCF_OK ||
            (rc = entry_name(e, path, &name, err, err_size)) != CCF_OK)
            return rc;
        if (is_ca) {
            rc = ccf_trust_add_ca(t, h, name, &added);
        } else {
            json_t *pv = json_object_get(e, "platform");
            ccf_runtime_platform p;
            if (!json_is_string(pv) || !platform_parse(json_string_value(pv), &p)) {
                free(name);
                return ccf_errf(err, err_size, CCF_ERR_INVALID,
                                "%s.platform: expected one of linux, sevsnp, tdx, nitro, sgx, tz",
                                path);
            }
            rc = ccf_trust_add_measurement(t, p, h, name, &added);
        }
        free(name);
        if (rc != CCF_OK)
            return rc;
    }
    return CCF_OK;
}

ccf_err ccf_trust_parse(const char *text, size_t len, ccf_trust **out, char *err, size_t err_size)
{
    static const char *const members[] = {"version", "attestation_cas", "measurements",
                                          "allow_development_platform", "allow_debug",
                                          "allow_unsandboxed", NULL};
    static const char *const flags[] = {"allow_development_platform", "allow_debug",
                                        "allow_unsandboxed"};
    json_error_t je;
    json_t *root = NULL;
    ccf_trust *t = NULL;
    ccf_err rc;

    *out = NULL;
    if (len > CCF_TRUST_MAX_BYTES)
        return ccf_errf(err, err_size, CCF_ERR_TOO_LARGE, "larger than %u bytes",
                        CCF_TRUST_MAX_BYTES);
    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "line %d, column %d: %s", je.line,
                        je.column, je.text);
    if (!json_is_object(root)) {
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "expected a JSON object");
        goto out;
    }
    if ((rc = only_members(root, "", members, err, err_size)) != CCF_OK)
        goto out;
    json_t *v = json_object_get(root, "version");
    if (!json_is_integer(v) || json_integer_value(v) != 1) {
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "version: expected 1");
        goto out;
    }
    if ((t = ccf_trust_new()) == NULL) {
        rc = CCF_ERR_NOMEM;
        goto out;
    }
    bool *dst[] = {&t->allow_development_platform, &t->allow_debug, &t->allow_unsandboxed};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        json_t *f = json_object_get(root, flags[i]);
        if (f != NULL && !json_is_boolean(f)) {
            rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "%s: expected true or false", flags[i]);
            goto out;
        }
        *dst[i] = json_is_true(f);
    }
    if ((rc = parse_list(root, "attestation_cas", t, err, err_size)) != CCF_OK ||
        (rc = parse_list(root, "measurements", t, err, err_size)) != CCF_OK)
        goto out;
    *out = t;
    t = NULL;
    rc = CCF_OK;
out:
    ccf_trust_free(t);
    json_decref(root);
    return rc;
}

static json_t *entry_json(const uint8_t sha256[CCF_SHA256_LEN], const char *name,
                          const char *platform)
{
    char hex[CCF_SHA256_HEX_LEN + 1];
    ccf_hex_encode(sha256, CCF_SHA256_LEN, hex);
    json_t *o = json_pack("{s:s}", "sha256", hex);
    if (o != NULL && name != NULL)
        json_object_set_new(o, "name", json_string(name));
    if (o != NULL && platform != NULL)
        json_object_set_new(o, "platform", json_string(platform));
    return o;
}

ccf_err ccf_trust_emit(const ccf_trust *t, char **out)
{
    json_t *cas = json_array(), *ms = json_array();
    json_t *root = json_pack("{s:i,s:o,s:o,s:b,s:b,s:b}", "version", 1, "attestation_cas", cas,
                             "measurements", ms, "allow_development_platform",
                             t->allow_development_platform, "allow_debug", t->allow_debug,
                             "allow_unsandboxed", t->allow_unsandboxed);
    ccf_err rc = CCF_ERR_NOMEM;
    *out = NULL;
    if (root == NULL)
        return rc;
    for (size_t i = 0; i < t->ca_count; i++) {
        if (json_array_append_new(cas, entry_json(t->cas[i].sha256, t->cas[i].name, NULL)) != 0)
            goto out;
    }
    for (size_t i = 0; i < t->measurement_count; i++) {
        const ccf_trust_measurement *m = &t->measurements[i];
        if (json_array_append_new(ms, entry_json(m->sha256, m->name,
                                                 ccf_runtime_platform_name(m->platform))) != 0)
            goto out;
    }
    char *s = json_dumps(root, JSON_SORT_KEYS | JSON_INDENT(2));
    if (s == NULL)
        goto out;
    size_t n = strlen(s);
    *out = realloc(s, n + 2);
    if (*out == NULL) {
        free(s);
        goto out;
    }
    memcpy(*out + n, "\n", 2);
    rc = CCF_OK;
out:
    json_decref(root);
    return rc;
}

ccf_err ccf_trust_add_ca(ccf_trust *t, const uint8_t sha256[CCF_SHA256_LEN], const char *name,
                         bool *added)
{
    *added = false;
    for (size_t i = 0; i < t->ca_count; i++) {
        if (memcmp(t->cas[i].sha256, sha256, CCF_SHA256_LEN) == 0)
            return CCF_OK;
    }
    if (t->ca_count >= CCF_TRUST_MAX_ENTRIES)
        return CCF_ERR_TOO_LARGE;
    ccf_trust_ca *n = realloc(t->cas, (t->ca_count + 1) * sizeof *n);
    if (n == NULL)
        return CCF_ERR_NOMEM;
    t->cas = n;
    ccf_trust_ca *e = &t->cas[t->ca_count];
    memcpy(e->sha256, sha256, CCF_SHA256_LEN);
    e->name = name ? strdup(name) : NULL;
    if (name != NULL && e->name == NULL)
        return CCF_ERR_NOMEM;
    t->ca_count++;
    *added = true;
    return CCF_OK;
}

ccf_err ccf_trust_add_measurement(ccf_trust *t, ccf_runtime_platform platform,
                                  const uint8_t sha256[CCF_SHA256_LEN], const char *name,
                                  bool *added)
{
    *added = false;
    if (ccf_trust_has_measurement(t, platform, sha256))
        return CCF_OK;
    if (t->measurement_count >= CCF_TRUST_MAX_ENTRIES)
        return CCF_ERR_TOO_LARGE;
    ccf_trust_measurement *n =
        realloc(t->measurements, (t->measurement_count + 1) * sizeof *n);
    if (n == NULL)
        return CCF_ERR_NOMEM;
    t->measurements = n;
    ccf_trust_measurement *e = &t->measurements[t->measurement_count];
    e->platform = platform;
    memcpy(e->sha256, sha256, CCF_SHA256_LEN);
    e->name = name ? strdup(name) : NULL;
    if (name != NULL && e->name == NULL)
        return CCF_ERR_NOMEM;
    t->measurement_count++;
    *added = true;
    return CCF_OK;
}

void ccf_trust_remove(ccf_trust *t, const uint8_t sha256[CCF_SHA256_LEN], size_t *removed)
{
    size_t w = 0;
    *removed = 0;
    for (size_t i = 0; i < t->ca_count; i++) {
        if (memcmp(t->cas[i].sha256, sha256, CCF_SHA256_LEN) == 0) {
            free(t->cas[i].name);
            (*removed)++;
        } else {
            t->cas[w++] = t->cas[i];
        }
    }
    t->ca_count = w;
    w = 0;
    for (size_t i = 0; i < t->measurement_count; i++) {
        if (memcmp(t->measurements[i].sha256, sha256, CCF_SHA256_LEN) == 0) {
            free(t->measurements[i].name);
            (*removed)++;
        } else {
            t->measurements[w++] = t->measurements[i];
        }
    }
    t->measurement_count = w;
}

bool ccf_trust_has_ca(const ccf_trust *t, X509 *ca)
{
    uint8_t h[CCF_SHA256_LEN];
    unsigned int n = 0;
    if (ca == NULL || X509_digest(ca, EVP_sha256(), h, &n) != 1 || n != CCF_SHA256_LEN)
        return false;
    for (size_t i = 0; i < t->ca_count; i++) {
        if (ccf_ct_equal(t->cas[i].sha256, h, CCF_SHA256_LEN))
            return true;
    }
    return false;
}

bool ccf_trust_has_measurement(const ccf_trust *t, ccf_runtime_platform platform,
                               const uint8_t sha256[CCF_SHA256_LEN])
{
    for (size_t i = 0; i < t->measurement_count; i++) {
        if (t->measurements[i].platform == platform &&
            ccf_ct_equal(t->measurements[i].sha256, sha256, CCF_SHA256_LEN))
            return true;
    }
    return false;
}

ccf_err ccf_trust_check_policy(const ccf_trust *t, const ccf_policy *policy, char *err,
                               size_t err_size)
{
    X509 *ca = NULL;
    char detail[256];
    ccf_err rc;

    if (policy->kind != CCF_POLICY_FULL || policy->proxy_service_cert == NULL)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "not a full policy");
    if (ccf_pki_cert_from_pem(policy->proxy_service_cert, strlen(policy->proxy_service_cert), &ca,
                              detail, sizeof detail) != CCF_OK)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "proxy_service_cert: %s", detail);
    if (!ccf_trust_has_ca(t, ca)) {
        uint8_t h[CCF_SHA256_LEN];
        unsigned int n = 0;
        char hex[CCF_SHA256_HEX_LEN + 1] = "?";
        if (X509_digest(ca, EVP_sha256(), h, &n) == 1 && n == CCF_SHA256_LEN)
            ccf_hex_encode(h, CCF_SHA256_LEN, hex);
        rc = ccf_errf(err, err_size, CCF_ERR_DENIED,
                      "proxy_service_cert (SHA-256 %s) is not an attestation CA of the trust "
                      "configuration; if you trust it: ccfaas trust add --ca CA.crt",
                      hex);
        goto out;
    }
    for (int p = 0; p < CCF_RUNTIME_COUNT; p++) {
        const char *hash = policy->runtime_hash[p];
        const char *pname = ccf_runtime_platform_name((ccf_runtime_platform)p);
        uint8_t m[CCF_SHA256_LEN];
        if (hash == NULL || hash[0] == '\0')
            continue;
        if (!ccf_attest_hex_decode(hash, m, sizeof m) ||
            !ccf_trust_has_measurement(t, (ccf_runtime_platform)p, m)) {
            rc = ccf_errf(err, err_size, CCF_ERR_DENIED,
                          "runtime_manager_hash_%s (%.64s) is not a measurement of the trust "
                          "configuration; if you trust it: ccfaas trust add --measurement %s:HASH",
                          pname, hash, pname);
            goto out;
        }
    }
    rc = CCF_OK;
out:
    X509_free(ca);
    return rc;
}
