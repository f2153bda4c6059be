/* Pure parsers of the KBS protocol and the rule language (kbs.h); no I/O.
 * Every input is untrusted: size-capped, duplicate members refused, unknown
 * members refused. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/evidence.h"
#include "attest/launch.h"
#include "common/crypto.h"
#include "common/kbs_path.h"
#include "jose/jose.h"
#include "kbs/kbs.h"

static json_t *load(const char *text, size_t len, size_t cap, char *err, size_t errsz)
{
    json_error_t je;
    if (len > cap) {
        ccf_errf(err, errsz, CCF_ERR_TOO_LARGE, "request of %zu bytes exceeds %zu", len, cap);
        return NULL;
    }
    json_t *v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (v == NULL)
        ccf_errf(err, errsz, CCF_ERR_INVALID, "not JSON: %s (line %d)", je.text, je.line);
    else if (!json_is_object(v)) {
        json_decref(v);
        v = NULL;
        ccf_errf(err, errsz, CCF_ERR_INVALID, "expected a JSON object");
    }
    return v;
}

/* Every member of obj is one of names (NULL-terminated). */
static bool only(const json_t *obj, const char *const *names, const char *what, char *err,
                 size_t errsz)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)obj, k, v) {
        bool ok = false;
        for (size_t i = 0; names[i] != NULL; i++)
            ok = ok || strcmp(k, names[i]) == 0;
        if (!ok) {
            ccf_errf(err, errsz, CCF_ERR_INVALID, "%s: unknown member '%.64s'", what, k);
            return false;
        }
    }
    return true;
}

ccf_err ccf_kbs_parse_auth(const char *text, size_t len, char *tee, size_t teesz, char *err,
                           size_t errsz)
{
    static const char *const names[] = {"version", "tee", "extra-params", NULL};
    ccf_err rc = CCF_ERR_INVALID;
    json_t *v = load(text, len, CCF_KBS_MAX_REQUEST, err, errsz);
    if (v == NULL)
        return CCF_ERR_INVALID;
    if (!only(v, names, "auth request", err, errsz))
        goto out;
    const char *ver = json_string_value(json_object_get(v, "version"));
    const char *t = json_string_value(json_object_get(v, "tee"));
    if (ver == NULL || t == NULL || json_object_get(v, "extra-params") == NULL) {
        ccf_errf(err, errsz, CCF_ERR_INVALID, "auth request needs version, tee and extra-params");
        goto out;
    }
    if (strcmp(ver, CCF_KBS_PROTOCOL_VERSION) != 0) {
        rc = ccf_errf(err, errsz, CCF_ERR_UNSUPPORTED,
                      "KBS protocol version %.32s is not supported (this KBS speaks %s)", ver,
                      CCF_KBS_PROTOCOL_VERSION);
        goto out;
    }
    size_t n = strlen(t);
    bool ok = n >= 1 && n <= 32 && n < teesz;
    for (size_t i = 0; ok && i < n; i++)
        ok = (t[i] >= 'a' && t[i] <= 'z') || (t[i] >= '0' && t[i] <= '9');
    if (!ok) {
        ccf_errf(err, errsz, CCF_ERR_INVALID, "tee: expected 1-32 of [a-z0-9]");
        goto out;
    }
    memcpy(tee, t, n + 1);
    rc = CCF_OK;
out:
    json_decref(v);
    return rc;
}

void ccf_kbs_attest_req_clear(ccf_kbs_attest_req *r)
{
    if (r == NULL)
        return;
    json_decref(r->root);
    memset(r, 0, sizeof *r);
}

ccf_err ccf_kbs_parse_attest(const char *text, size_t len, ccf_kbs_attest_req *out, char *err,
                             size_t errsz)
{
    static const char *const top[] = {"runtime-data", "tee-evidence", "init-data", NULL};
    static const char *const rd[] = {"nonce", "tee-pubkey", NULL};
    static const char *const te[] = {"primary_evidence", "additional_evidence", NULL};
    memset(out, 0, sizeof *out);
    json_t *v = load(text, len, CCF_KBS_MAX_REQUEST, err, errsz);
    if (v == NULL)
        return CCF_ERR_INVALID;
    out->root = v;
    if (!only(v, top, "attest request", err, errsz))
        goto bad;
    const json_t *r = json_object_get(v, "runtime-data");
    const json_t *e = json_object_get(v, "tee-evidence");
    if (!json_is_object(r) || !json_is_object(e)) {
        ccf_errf(err, errsz, CCF_ERR_INVALID, "attest request needs runtime-data and tee-evidence objects");
        goto bad;
    }
    if (!only(r, rd, "runtime-data", err, errsz) || !only(e, te, "tee-evidence", err, errsz))
        goto bad;
    out->nonce = json_string_value(json_object_get(r, "nonce"));
    out->tee_pubkey = json_object_get(r, "tee-pubkey");
    out->primary = json_object_get(e, "primary_evidence");
    const json_t *add = json_object_get(e, "additional_evidence");
    out->additional = add == NULL ? "" : json_string_value(add);
    const json_t *init = json_object_get(v, "init-data");
    if (init != NULL) {
        static const char *const idf[] = {"format", "body", NULL};
        const char *fmt = json_string_value(json_object_get(init, "format"));
        const json_t *body = json_object_get(init, "body");
        if (json_is_object(init) && !only(init, idf, "init-data", err, errsz))
            goto bad;
        if (!json_is_object(init) || fmt == NULL ||
            (strcmp(fmt, "json") != 0 && strcmp(fmt, "toml") != 0) || !json_is_string(body)) {
            ccf_errf(err, errsz, CCF_ERR_INVALID,
                     "init-data: expected {\"format\": \"json\" or \"toml\", \"body\": string}");
            goto bad;
        }
        if (strcmp(fmt, "json") != 0) {
            ccf_errf(err, errsz, CCF_ERR_UNSUPPORTED, "init-data: format %s is not supported "
                                                     "(json is: the instance's policy)", fmt);
            goto bad;
        }
        out->init_data = json_string_value(body);
        out->init_data_len = json_string_length(body);
    }
    if (out->nonce == NULL || !json_is_object(out->tee_pubkey) || !json_is_object(out->primary) ||
        out->additional == NULL) {
        ccf_errf(err, errsz, CCF_ERR_INVALID,
                 "runtime-data needs nonce (string) and tee-pubkey (JWK); tee-evidence needs "
                 "primary_evidence (object) and additional_evidence (string)");
        goto bad;
    }
    return CCF_OK;
bad:
    ccf_kbs_attest_req_clear(out);
    return CCF_ERR_INVALID;
}

ccf_err ccf_kbs_runtime_data_jcs(const char *nonce, const json_t *tee_pubkey,
                                 const char *additional, ccf_dynbuf *out, char *err, size_t errsz)
{
    json_t *o = json_pack("{s:s, s:s, s:O}", "additional-evidence", additional, "nonce", nonce,
                          "tee-pubkey", (json_t *)tee_pubkey);
    if (o == NULL)
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "runtime data: invalid strings");
    ccf_err rc = ccf_jcs_serialize(o, out, err, errsz);
    json_decref(o);
    return rc;
}

ccf_err ccf_kbs_parse_linux_evidence(const json_t *primary, ccf_evidence *ev,
                                     uint8_t policy_hash[CCF_SHA256_LEN], ccf_launch *launch,
                                     uint8_t launch_hash[CCF_SHA256_LEN], char *err, size_t errsz)
{
    static const char *const names[] = {"evidence", "policy_hash", "launch", NULL};
    if (!json_is_object(primary) || !only(primary, names, "primary_evidence", err, errsz))
        return CCF_ERR_INVALID;
    const json_t *e = json_object_get(primary, "evidence");
    const char *ph = json_string_value(json_object_get(primary, "policy_hash"));
    const json_t *l = json_object_get(primary, "launch");
    if (!json_is_object(e) || ph == NULL || !json_is_string(l))
        return ccf_errf(err, errsz, CCF_ERR_INVALID,
                        "primary_evidence needs evidence (object), policy_hash and launch (strings)");
    if (strlen(ph) != 2 * CCF_SHA256_LEN || !ccf_attest_hex_decode(ph, policy_hash, CCF_SHA256_LEN))
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "policy_hash: expected 64 hex digits");
    ccf_err rc = ccf_evidence_from_json(e, ev, err, errsz);
    if (rc != CCF_OK)
        return rc;
    const char *lt = json_string_value(l);
    size_t ll = json_string_length(l);
    if ((rc = ccf_launch_parse(lt, ll, launch, err, errsz)) != CCF_OK)
        return rc;
    if (!ccf_launch_hash(lt, ll, launch_hash))
        return ccf_errf(err, errsz, CCF_ERR_CRYPTO, "hashing failed");
    return CCF_OK;
}

/* Strict standard base64 (ccf_base64_decode) of 1..max bytes. *out malloc'ed. */
static ccf_err b64_decode(const json_t *v, const char *what, size_t max, uint8_t **out,
                          size_t *outlen, char *err, size_t errsz)
{
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    *out = NULL;
    *outlen = 0;
    if (s == NULL)
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "%s: expected a base64 string", what);
    if (n == 0 || n % 4 != 0 || n / 4 * 3 > max + 2)
        return ccf_errf(err, errsz, n / 4 * 3 > max + 2 ? CCF_ERR_TOO_LARGE : CCF_ERR_INVALID,
                        "%s: expected base64 of 1-%zu bytes (length a multiple of 4), got %zu "
                        "characters", what, max, n);
    char why[128];
    ccf_err rc = ccf_base64_decode(s, n, out, outlen, why, sizeof why);
    if (rc != CCF_OK)
        return ccf_errf(err, errsz, rc, "%s: %s", what, why);
    if (*outlen == 0 || *outlen > max) {
        free(*out);
        *out = NULL;
        *outlen = 0;
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "%s: bad base64 or not 1-%zu bytes", what,
                        max);
    }
    return CCF_OK;
}

void ccf_kbs_tee_evidence_clear(ccf_kbs_tee_evidence *e)
{
    if (e == NULL)
        return;
    free(e->evidence);
    free(e->vcek);
    memset(e, 0, sizeof *e);
}

ccf_err ccf_kbs_parse_tee_evidence(ccf_tee_platform p, const json_t *primary,
                                   ccf_kbs_tee_evidence *out, char *err, size_t errsz)
{
    static const char *const snp_raw[] = {"report", "vcek", NULL};
    static const char *const snp_trustee[] = {"attestation_report", "cert_chain", NULL};
    static const char *const tdx[] = {"quote", "cc_eventlog", NULL};
    static const char *const sgx[] = {"quote", NULL};
    static const char *const nitro[] = {"attestation_document", NULL};
    const char *name = ccf_tee_platform_name(p);
    char what[64];
    ccf_err rc = CCF_ERR_INVALID;
    memset(out, 0, sizeof *out);
    if (!json_is_object(primary))
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "%s primary_evidence: expected an object",
                        name);
    snprintf(what, sizeof what, "%s primary_evidence", name);
    switch (p) {
    case CCF_TEE_SNP:
        if (json_object_get(primary, "attestation_report") != NULL) {
            /* Trustee's SnpEvidence: rebuilt into the binary report by the
             * verifier's own converter (strict about the report's fields). */
            if (!only(primary, snp_trustee, what, err, errsz))
                break;
            char *text = json_dumps(primary, JSON_COMPACT);
            if (text == NULL) {
                rc = CCF_ERR_NOMEM;
                break;
            }
            if ((out->evidence = malloc(1184)) == NULL) {
                free(text);
                rc = CCF_ERR_NOMEM;
                break;
            }
            out->evidence_len = 1184;
            rc = ccf_tee_snp_from_kbs_json(text, strlen(text), out->evidence, &out->vcek,
                                           &out->vcek_len, err, errsz);
            free(text);
            break;
        }
        if (!only(primary, snp_raw, what, err, errsz))
            break;
        if (json_object_get(primary, "report") == NULL) {
            ccf_errf(err, errsz, CCF_ERR_INVALID,
                     "snp primary_evidence needs report (base64 of the 1184-byte report) or "
                     "Trustee's attestation_report");
            break;
        }
        if ((rc = b64_decode(json_object_get(primary, "report"), "snp report",
                             CCF_KBS_MAX_TEE_EVIDENCE, &out->evidence, &out->evidence_len, err,
                             errsz)) != CCF_OK)
            break;
        if (out->evidence_len != 1184) {
            rc = ccf_errf(err, errsz, CCF_ERR_INVALID, "snp report: %zu bytes, expected 1184",
                          out->evidence_len);
            break;
        }
        if (json_object_get(primary, "vcek") != NULL)
            rc = b64_decode(json_object_get(primary, "vcek"), "snp vcek", 16u << 10, &out->vcek,
                            &out->vcek_len, err, errsz);
        break;
    case CCF_TEE_TDX:
    case CCF_TEE_SGX: {
        if (!only(primary, p == CCF_TEE_TDX ? tdx : sgx, what, err, errsz))
            break;
        if (json_object_get(primary, "quote") == NULL) {
            ccf_errf(err, errsz, CCF_ERR_INVALID, "%s primary_evidence needs quote (base64)",
                     name);
            break;
        }
        /* cc_eventlog: Trustee's TDX evidence member, accepted and not checked
         * (no claim comes from it); it must still be a string or null */
        const json_t *el = json_object_get(primary, "cc_eventlog");
        if (el != NULL && !json_is_string(el) && !json_is_null(el)) {
            ccf_errf(err, errsz, CCF_ERR_INVALID, "tdx cc_eventlog: expected a string or null");
            break;
        }
        snprintf(what, sizeof what, "%s quote", name);
        rc = b64_decode(json_object_get(primary, "quote"), what, CCF_KBS_MAX_TEE_EVIDENCE,
                        &out->evidence, &out->evidence_len, err, errsz);
        break;
    }
    case CCF_TEE_NITRO:
        if (!only(primary, nitro, what, err, errsz))
            break;
        if (json_object_get(primary, "attestation_document") == NULL) {
            ccf_errf(err, errsz, CCF_ERR_INVALID,
                     "nitro primary_evidence needs attestation_document (base64 of COSE_Sign1)");
            break;
        }
        rc = b64_decode(json_object_get(primary, "attestation_document"),
                        "nitro attestation_document", CCF_KBS_MAX_TEE_EVIDENCE, &out->evidence,
                        &out->evidence_len, err, errsz);
        break;
    default:
        rc = ccf_errf(err, errsz, CCF_ERR_UNSUPPORTED, "unknown TEE platform");
        break;
    }
    if (rc != CCF_OK)
        ccf_kbs_tee_evidence_clear(out);
    return rc;
}

bool ccf_kbs_tee_binding_ok(ccf_tee_platform p, const ccf_tee_claims *c, const uint8_t *jcs,
                            size_t jcs_len, uint8_t expected[48])
{
    uint8_t want[64] = {0};
    unsigned int n = 0;
    if (EVP_Digest(jcs, jcs_len, want, &n, EVP_sha384(), NULL) != 1 || n != 48)
        return false;
    memcpy(expected, want, 48);
    if (p == CCF_TEE_NITRO)
        return c->nitro.has_nonce && c->nitro.nonce_len == 48 &&
               ccf_ct_equal(c->nitro.nonce, want, 48);
    /* Trustee's regularize_data: the hash zero-padded to the 64-byte field */
    return c->report_data_len == 64 && ccf_ct_equal(c->report_data, want, 64);
}

bool ccf_kbs_segment_ok(const char *s)
{
    return s != NULL && ccf_kbs_path_segment_ok(s, strlen(s));
}

/* A resource pattern: three segments, each a segment or "*". */
static bool pattern_ok(const char *p)
{
    char buf[3 * (CCF_KBS_MAX_SEGMENT + 1) + 1];
    if (strlen(p) >= sizeof buf)
        return false;
    memcpy(buf, p, strlen(p) + 1);
    char *seg[3], *s = buf;
    for (int i = 0; i < 3; i++) {
        seg[i] = s;
        char *slash = strchr(s, '/');
        if (i < 2) {
            if (slash == NULL)
                return false;
            *slash = '\0';
            s = slash + 1;
        } else if (slash != NULL)
            return false;
        if (strcmp(seg[i], "*") != 0 && !ccf_kbs_segment_ok(seg[i]))
            return false;
    }
    return true;
}

static bool pattern_match(const char *p, const char *path)
{
    for (int i = 0; i < 3; i++) {
        size_t pn = strcspn(p, "/"), sn = strcspn(path, "/");
        if (!(pn == 1 && p[0] == '*') && (pn != sn || memcmp(p, path, pn) != 0))
            return false;
        p += pn + (p[pn] == '/');
        path += sn + (path[sn] == '/');
    }
    return *path == '\0';
}

static bool hex_list_ok(const json_t *a, const char *what, bool long_ok, char *err,
                        size_t errsz)
{
    size_t i;
    json_t *x;
    if (!json_is_array(a) || json_array_size(a) == 0 || json_array_size(a) > CCF_KBS_MAX_LIST) {
        ccf_errf(err, errsz, CCF_ERR_INVALID, "%s: expected 1-%u strings", what, CCF_KBS_MAX_LIST);
        return false;
    }
    json_array_foreach(a, i, x) {
        const char *s = json_string_value(x);
        size_t len = s == NULL ? 0 : strlen(s);
        if (s == NULL || !(len == 64 || (long_ok && len == 96)) || !ccf_is_hex(s, len)) {
            ccf_errf(err, errsz, CCF_ERR_INVALID, "%s[%zu]: expected %s hex digits", what, i,
                     long_ok ? "64 (linux, sgx) or 96 (snp, tdx, nitro)" : "64");
            return false;
        }
        for (size_t k = 0; k < len; k++)
            if (s[k] >= 'A' && s[k] <= 'F') {
                ccf_errf(err, errsz, CCF_ERR_INVALID, "%s[%zu]: hex must be lower case", what, i);
                return false;
            }
    }
    return true;
}

ccf_err ccf_kbs_rules_parse(const char *text, size_t len, json_t **rules, char *err, size_t errsz)
{
    static const char *const top[] = {"version", "rules", NULL};
    static const char *const rule[] = {"resources", "allow", NULL};
    static const char *const cond[] = {"platform", "measurement", "policy_hash", "debug",
                                       "function", "instance", "programs", NULL};
    *rules = NULL;
    json_t *v = load(text, len, CCF_KBS_MAX_POLICY, err, errsz);
    if (v == NULL)
        return CCF_ERR_INVALID;
    size_t i, j, k;
    json_t *r, *c, *x;
    char what[64];
    if (!only(v, top, "rule set", err, errsz))
        goto bad;
    if (!json_is_integer(json_object_get(v, "version")) ||
        json_integer_value(json_object_get(v, "version")) != 1) {
        ccf_errf(err, errsz, CCF_ERR_INVALID, "rule set: version must be 1");
        goto bad;
    }
    const json_t *rs = json_object_get(v, "rules");
    if (!json_is_array(rs) || json_array_size(rs) > CCF_KBS_MAX_RULES) {
        ccf_errf(err, errsz, CCF_ERR_INVALID, "rules: expected an array of at most %u rules",
                 CCF_KBS_MAX_RULES);
        goto bad;
    }
    json_array_foreach(rs, i, r) {
        snprintf(what, sizeof what, "rules[%zu]", i);
        if (!json_is_object(r) || !only(r, rule, what, err, errsz)) {
            if (!json_is_object(r))
                ccf_errf(err, errsz, CCF_ERR_INVALID, "%s: expected an object", what);
            goto bad;
        }
        const json_t *res = json_object_get(r, "resources"), *al = json_object_get(r, "allow");
        if (!json_is_array(res) || json_array_size(res) == 0 ||
            json_array_size(res) > CCF_KBS_MAX_LIST || !json_is_array(al) ||
            json_array_size(al) == 0 || json_array_size(al) > CCF_KBS_MAX_LIST) {
            ccf_errf(err, errsz, CCF_ERR_INVALID,
                     "%s: needs resources and allow, each an array of 1-%u entries", what,
                     CCF_KBS_MAX_LIST);
            goto bad;
        }
        json_array_foreach(res, j, x) {
            if (!json_is_string(x) || !pattern_ok(json_string_value(x))) {
                ccf_errf(err, errsz, CCF_ERR_INVALID,
                         "%s.resources[%zu]: expected REPO/TYPE/TAG (each a name or *)", what, j);
                goto bad;
            }
        }
        json_array_foreach(al, j, c) {
            snprintf(what, sizeof what, "rules[%zu].allow[%zu]", i, j);
            if (!json_is_object(c) || !only(c, cond, what, err, errsz)) {
                if (!json_is_object(c))
                    ccf_errf(err, errsz, CCF_ERR_INVALID, "%s: expected an object", what);
                goto bad;
            }
            const json_t *pl = json_object_get(c, "platform");
            if (pl == NULL || !json_is_array(pl) || json_array_size(pl) == 0 ||
                json_array_size(pl) > CCF_KBS_MAX_LIST) {
                ccf_errf(err, errsz, CCF_ERR_INVALID, "%s.platform: expected 1-%u names", what,
                         CCF_KBS_MAX_LIST);
                goto bad;
            }
            json_array_foreach(pl, k, x) {
                if (!json_is_string(x) || !ccf_kbs_segment_ok(json_string_value(x))) {
                    ccf_errf(err, errsz, CCF_ERR_INVALID, "%s.platform[%zu]: expected a name",
                             what, k);
                    goto bad;
                }
            }
            const json_t *m = json_object_get(c, "measurement"), *ph = json_object_get(c, "policy_hash");
            char w2[96];
            snprintf(w2, sizeof w2, "%s.measurement", what);
            if (m != NULL && !hex_list_ok(m, w2, true, err, errsz))
                goto bad;
            snprintf(w2, sizeof w2, "%s.policy_hash", what);
            if (ph != NULL && !hex_list_ok(ph, w2, false, err, errsz))
                goto bad;
            const json_t *pr = json_object_get(c, "programs");
            snprintf(w2, sizeof w2, "%s.programs", what);
            if (pr != NULL && !hex_list_ok(pr, w2, false, err, errsz))
                goto bad;
            static const char *const named[] = {"function", "instance"};
            for (size_t q = 0; q < 2; q++) {
                const json_t *in = json_object_get(c, named[q]);
                if (in == NULL)
                    continue;
                bool ok = json_is_array(in) && json_array_size(in) > 0 &&
                          json_array_size(in) <= CCF_KBS_MAX_LIST;
                json_array_foreach(in, k, x) {
                    ok = ok && json_is_string(x) && ccf_kbs_segment_ok(json_string_value(x));
                }
                if (!ok) {
                    ccf_errf(err, errsz, CCF_ERR_INVALID, "%s.%s: expected 1-%u names", what,
                             named[q], CCF_KBS_MAX_LIST);
                    goto bad;
                }
            }
            const json_t *d = json_object_get(c, "debug");
            if (d != NULL && !json_is_boolean(d)) {
                ccf_errf(err, errsz, CCF_ERR_INVALID, "%s.debug: expected true or false", what);
                goto bad;
            }
        }
    }
    *rules = v;
    return CCF_OK;
bad:
    json_decref(v);
    return CCF_ERR_INVALID;
}

static bool in_list(const json_t *a, const char *s)
{
    size_t i;
    json_t *x;
    json_array_foreach(a, i, x) {
        if (s != NULL && strcmp(json_string_value(x), s) == 0)
            return true;
    }
    return false;
}

/* Why the last matching rule's conditions failed, for the refusal. */
static bool cond_match(const json_t *c, const json_t *claims, char *why, size_t n)
{
    const char *tee = json_string_value(json_object_get(claims, "tee"));
    const char *m = json_string_value(json_object_get(claims, "measurement"));
    const char *ph = json_string_value(json_object_get(claims, "policy_hash"));
    const json_t *dbg = json_object_get(claims, "debug");
    if (!in_list(json_object_get(c, "platform"), tee)) {
        snprintf(why, n, "platform %s not allowed%s", tee ? tee : "(none)",
                 tee != NULL && strcmp(tee, "linux") == 0
                     ? " (the development platform must be named by a rule)" : "");
        return false;
    }
    const json_t *ml = json_object_get(c, "measurement");
    if (ml != NULL && !in_list(ml, m)) {
        snprintf(why, n, "measurement %.96s not allowed", m ? m : "(none)");
        return false;
    }
    const json_t *pl = json_object_get(c, "policy_hash");
    if (pl != NULL && !in_list(pl, ph)) {
        snprintf(why, n, "policy hash %.64s not allowed", ph ? ph : "(none)");
        return false;
    }
    static const char *const named[] = {"function", "instance"};
    for (size_t q = 0; q < 2; q++) {
        const json_t *list = json_object_get(c, named[q]);
        const char *have = json_string_value(json_object_get(claims, named[q]));
        if (list != NULL && !in_list(list, have)) {
            snprintf(why, n, "%s %.64s not allowed%s", named[q], have ? have : "(none)",
                     have ? "" : " (no init-data names one)");
            return false;
        }
    }
    const json_t *prl = json_object_get(c, "programs"), *progs = json_object_get(claims, "programs");
    if (prl != NULL) {
        size_t i;
        json_t *x;
        if (!json_is_array(progs) || json_array_size(progs) == 0) {
            snprintf(why, n, "the instance's programs are unknown (no init-data: it sent no "
                             "policy)");
            return false;
        }
        json_array_foreach(progs, i, x) {
            if (!in_list(prl, json_string_value(x))) {
                snprintf(why, n, "program %.64s not allowed", json_string_value(x));
                return false;
            }
        }
    }
    bool allow_debug = json_is_true(json_object_get(c, "debug"));
    if (!json_is_boolean(dbg) || (json_is_true(dbg) && !allow_debug)) {
        snprintf(why, n, "debug instance not allowed");
        return false;
    }
    return true;
}

ccf_err ccf_kbs_rules_eval(const json_t *rules, const char *path, const json_t *claims, char *err,
                           size_t errsz)
{
    char why[200] = "no rule names this resource";
    size_t i, j;
    json_t *r, *x;
    json_array_foreach(json_object_get(rules, "rules"), i, r) {
        bool named = false;
        json_array_foreach(json_object_get(r, "resources"), j, x) {
            named = named || pattern_match(json_string_value(x), path);
        }
        if (!named)
            continue;
        json_array_foreach(json_object_get(r, "allow"), j, x) {
            if (cond_match(x, claims, why, sizeof why))
                return CCF_OK;
        }
    }
    return ccf_errf(err, errsz, CCF_ERR_DENIED, "%s", why);
}
