/* Instance certificate verification against a full policy (see verify.h). */
#include "attest/verify.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "attest/evidence.h"
#include "attest/pki.h"
#include "attest/proxy_client.h"

const char *ccf_verify_check_name(ccf_verify_check c)
{
    switch (c) {
    case CCF_VERIFY_OK: return "ok";
    case CCF_VERIFY_BAD_INPUT: return "input";
    case CCF_VERIFY_CHAIN: return "chain";
    case CCF_VERIFY_PLATFORM: return "platform";
    case CCF_VERIFY_MEASUREMENT: return "measurement";
    case CCF_VERIFY_POLICY_HASH: return "policy_hash";
    case CCF_VERIFY_NOT_YET_VALID: return "not_yet_valid";
    case CCF_VERIFY_EXPIRED: return "expired";
    case CCF_VERIFY_BEYOND_POLICY_EXPIRY: return "beyond_policy_expiry";
    case CCF_VERIFY_TRUST: return "trust";
    case CCF_VERIFY_LAUNCH: return "launch";
    }
    return "input";
}

static ccf_err refuse(ccf_verify_result *res, ccf_verify_check c, ccf_err e, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static ccf_err refuse(ccf_verify_result *res, ccf_verify_check c, ccf_err e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->detail, sizeof res->detail, fmt, ap);
    va_end(ap);
    res->failed = c;
    return e;
}

static ccf_err check_chain(X509 *leaf, STACK_OF(X509) *chain, X509 *anchor, ccf_verify_result *res)
{
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    ccf_err rc;
    if (store == NULL || ctx == NULL || X509_STORE_add_cert(store, anchor) != 1 ||
        X509_STORE_CTX_init(ctx, store, leaf, chain) != 1) {
        rc = refuse(res, CCF_VERIFY_BAD_INPUT, CCF_ERR_CRYPTO, "cannot set up chain verification");
        goto out;
    }
    /* the policy's certificate is the one trust anchor, self-signed or not;
     * time is checked separately so that expiry is reported as such */
    X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_PARTIAL_CHAIN | X509_V_FLAG_NO_CHECK_TIME |
                                      X509_V_FLAG_X509_STRICT);
    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
    if (X509_verify_cert(ctx) != 1) {
        int e = X509_STORE_CTX_get_error(ctx);
        rc = refuse(res, CCF_VERIFY_CHAIN, CCF_ERR_DENIED,
                    "the certificate does not chain to the policy's proxy_service_cert: %s",
                    X509_verify_cert_error_string(e));
        goto out;
    }
    rc = CCF_OK;
out:
    ERR_clear_error();
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    return rc;
}

/* 6. launch configuration: present (required with a trust configuration),
 * consistent with the certificate and policy, accepted by the trust. */
static ccf_err check_launch(X509 *leaf, const ccf_policy *policy, const ccf_trust *trust,
                            ccf_verify_result *res)
{
    const uint8_t *v = NULL;
    size_t vlen = 0;
    char detail[200];
    ccf_err rc = ccf_pki_cert_get_raw_ext(leaf, CCF_OID_LAUNCH, &v, &vlen);
    if (rc == CCF_ERR_NOT_FOUND && trust == NULL)
        return CCF_OK;
    if (rc != CCF_OK)
        return refuse(res, CCF_VERIFY_LAUNCH, CCF_ERR_DENIED,
                      "the certificate carries no launch configuration (extension %s)",
                      CCF_OID_LAUNCH);
    if (ccf_launch_parse((const char *)v, vlen, &res->launch, detail, sizeof detail) != CCF_OK)
        return refuse(res, CCF_VERIFY_LAUNCH, CCF_ERR_DENIED, "%s", detail);
    res->has_launch = true;
    const ccf_launch *l = &res->launch;
    if (l->platform != res->platform)
        return refuse(res, CCF_VERIFY_LAUNCH, CCF_ERR_DENIED,
                      "the launch configuration names another platform than the certificate");
    if (!l->clean_environment)
        return refuse(res, CCF_VERIFY_LAUNCH, CCF_ERR_DENIED,
                      "the runtime was started with loader variables in its environment");
    if (l->debug != policy->debug)
        return refuse(res, CCF_VERIFY_LAUNCH, CCF_ERR_DENIED,
                      "the runtime's debug mode (%s) is not the policy's debug (%s)",
                      l->debug ? "on" : "off", policy->debug ? "true" : "false");
    if (trust == NULL)
        return CCF_OK;
    if (l->debug && !trust->allow_debug)
        return refuse(res, CCF_VERIFY_LAUNCH, CCF_ERR_DENIED,
                      "the instance runs in debug mode (the host may see the program's stderr); "
                      "the trust configuration does not allow debug instances (allow_debug)");
    if (!l->sandbox && !trust->allow_unsandboxed)
        return refuse(res, CCF_VERIFY_LAUNCH, CCF_ERR_DENIED,
                      "the runtime runs without its seccomp sandbox; the trust configuration "
                      "does not allow unsandboxed instances (allow_unsandboxed)");
    return CCF_OK;
}

ccf_err ccf_verify_instance_cert(X509 *leaf, STACK_OF(X509) *chain, const char *policy_text,
                                 size_t policy_len, const ccf_policy *policy, time_t now,
                                 ccf_verify_result *res)
{
    return ccf_verify_instance_trusted(leaf, chain, policy_text, policy_len, policy, NULL, now,
                                       res);
}

ccf_err ccf_verify_instance_trusted(X509 *leaf, STACK_OF(X509) *chain, const char *policy_text,
                                    size_t policy_len, const ccf_policy *policy,
                                    const ccf_trust *trust, time_t now, ccf_verify_result *res)
{
    ccf_policy *parsed = NULL;
    X509 *anchor = NULL;
    const uint8_t *v = NULL;
    size_t vlen = 0;
    uint8_t want[CCF_SHA256_LEN];
    char detail[256];
    ccf_err rc;

    memset(res, 0, sizeof *res);
    res->platform = CCF_RUNTIME_COUNT;
    if (leaf == NULL || policy_text == NULL)
        return refuse(res, CCF_VERIFY_BAD_INPUT, CCF_ERR_INVALID, "no certificate or policy");
    if (policy == NULL) {
        if (ccf_policy_parse(policy_text, policy_len, CCF_POLICY_FULL, &parsed, NULL) != CCF_OK)
            return refuse(res, CCF_VERIFY_BAD_INPUT, CCF_ERR_INVALID,
                          "the policy is not a valid full policy");
        policy = parsed;
    }
    if (policy->kind != CCF_POLICY_FULL || policy->proxy_service_cert == NULL) {
        rc = refuse(res, CCF_VERIFY_BAD_INPUT, CCF_ERR_INVALID,
                    "the policy is not a full policy with a proxy_service_cert");
        goto out;
    }
    if (ccf_pki_cert_from_pem(policy->proxy_service_cert, strlen(policy->proxy_service_cert),
                              &anchor, detail, sizeof detail) != CCF_OK) {
        rc = refuse(res, CCF_VERIFY_BAD_INPUT, CCF_ERR_INVALID, "proxy_service_cert: %s", detail);
        goto out;
    }

    /* 0. trust: the policy's anchors must be the verifier's own */
    if (trust != NULL && ccf_trust_check_policy(trust, policy, res->detail, sizeof res->detail) !=
                             CCF_OK) {
        res->failed = CCF_VERIFY_TRUST;
        rc = CCF_ERR_DENIED;
        goto out;
    }

    /* 1. chain */
    if ((rc = check_chain(leaf, chain, anchor, res)) != CCF_OK)
        goto out;

    /* 2. platform */
    rc = ccf_pki_cert_get_raw_ext(leaf, CCF_OID_PLATFORM, &v, &vlen);
    if (rc != CCF_OK) {
        rc = refuse(res, CCF_VERIFY_PLATFORM, CCF_ERR_DENIED,
                    "the certificate does not name its platform (extension %s)", CCF_OID_PLATFORM);
        goto out;
    }
    for (int p = 0; p < CCF_RUNTIME_COUNT; p++) {
        const char *name = ccf_runtime_platform_name((ccf_runtime_platform)p);
        if (strlen(name) == vlen && memcmp(name, v, vlen) == 0)
            res->platform = (ccf_runtime_platform)p;
    }
    if (res->platform == CCF_RUNTIME_COUNT) {
        rc = refuse(res, CCF_VERIFY_PLATFORM, CCF_ERR_DENIED,
                    "the certificate names an unknown platform");
        goto out;
    }
    const char *pname = ccf_runtime_platform_name(res->platform);
    res->development_platform = res->platform == CCF_RUNTIME_LINUX;
    if (res->development_platform && trust != NULL && !trust->allow_development_platform) {
        rc = refuse(res, CCF_VERIFY_PLATFORM, CCF_ERR_DENIED,
                    "the instance runs on the development platform 'linux' (no TEE: the host can "
                    "read its memory); the trust configuration does not allow it "
                    "(allow_development_platform)");
        goto out;
    }
    const char *hash = policy->runtime_hash[res->platform];
    if (hash == NULL || hash[0] == '\0' || !ccf_attest_hex_decode(hash, want, sizeof want)) {
        rc = refuse(res, CCF_VERIFY_PLATFORM, CCF_ERR_DENIED,
                    "the instance runs on platform '%s' but the policy has no "
                    "runtime_manager_hash_%s",
                    pname, pname);
        goto out;
    }

    /* 3. measurement */
    if (ccf_pki_cert_get_raw_ext(leaf, CCF_OID_MEASUREMENT, &v, &vlen) != CCF_OK ||
        vlen != CCF_SHA256_LEN) {
        rc = refuse(res, CCF_VERIFY_MEASUREMENT, CCF_ERR_DENIED,
                    "the certificate has no 32-byte measurement extension (%s)",
                    CCF_OID_MEASUREMENT);
        goto out;
    }
    memcpy(res->measurement, v, CCF_SHA256_LEN);
    if (!ccf_ct_equal(v, want, CCF_SHA256_LEN)) {
        char got[CCF_SHA256_HEX_LEN + 1];
        ccf_hex_encode(v, CCF_SHA256_LEN, got);
        rc = refuse(res, CCF_VERIFY_MEASUREMENT, CCF_ERR_DENIED,
                    "the instance's measurement %s is not the policy's runtime_manager_hash_%s",
                    got, pname);
        goto out;
    }

    /* 4. policy hash */
    if (!ccf_sha256(policy_text, policy_len, want)) {
        rc = refuse(res, CCF_VERIFY_BAD_INPUT, CCF_ERR_CRYPTO, "SHA-256 failed");
        goto out;
    }
    if (ccf_pki_cert_get_raw_ext(leaf, CCF_OID_POLICY_HASH, &v, &vlen) != CCF_OK ||
        vlen != CCF_SHA256_LEN) {
        rc = refuse(res, CCF_VERIFY_POLICY_HASH, CCF_ERR_DENIED,
                    "the certificate has no 32-byte policy-hash extension (%s)",
                    CCF_OID_POLICY_HASH);
        goto out;
    }
    memcpy(res->policy_hash, v, CCF_SHA256_LEN);
    if (!ccf_ct_equal(v, want, CCF_SHA256_LEN)) {
        rc = refuse(res, CCF_VERIFY_POLICY_HASH, CCF_ERR_DENIED,
                    "the instance runs another policy than the one held here (policy hash "
                    "differs)");
        goto out;
    }

    /* 5. validity */
    time_t nb = 0, na = 0;
    if (!ccf_pki_asn1_time(X509_get0_notBefore(leaf), &nb) ||
        !ccf_pki_asn1_time(X509_get0_notAfter(leaf), &na)) {
        rc = refuse(res, CCF_VERIFY_BAD_INPUT, CCF_ERR_INVALID, "unreadable validity dates");
        goto out;
    }
    res->not_after = na;
    if (now < nb) {
        rc = refuse(res, CCF_VERIFY_NOT_YET_VALID, CCF_ERR_DENIED,
                    "the certificate is not valid yet");
        goto out;
    }
    if (now >= na) {
        rc = refuse(res, CCF_VERIFY_EXPIRED, CCF_ERR_DENIED, "the certificate has expired");
        goto out;
    }
    const ccf_cert_expiry *e = &policy->enclave_cert_expiry;
    struct tm tm = {0};
    tm.tm_year = e->year - 1900;
    tm.tm_mon = e->month - 1;
    tm.tm_mday = e->day;
    tm.tm_hour = e->hour;
    tm.tm_min = e->minute;
    time_t pe = timegm(&tm);
    if (na > pe) {
        rc = refuse(res, CCF_VERIFY_BEYOND_POLICY_EXPIRY, CCF_ERR_DENIED,
                    "the certificate lives beyond the policy's enclave_cert_expiry "
                    "(%04d-%02d-%02d %02d:%02d UTC)",
                    e->year, e->month, e->day, e->hour, e->minute);
        goto out;
    }

    /* 6. launch */
    if ((rc = check_launch(leaf, policy, trust, res)) != CCF_OK)
        goto out;
    res->failed = CCF_VERIFY_OK;
    snprintf(res->detail, sizeof res->detail,
             "%schain to proxy_service_cert, measurement = runtime_manager_hash_%s, policy hash, "
             "validity%s: all checked%s%s",
             trust ? "trusted anchors, " : "", pname, res->has_launch ? ", launch" : "",
             res->development_platform ? "; " : "",
             res->development_platform ? CCF_VERIFY_DEV_NOTICE : "");
    rc = CCF_OK;
out:
    X509_free(anchor);
    ccf_policy_free(parsed);
    return rc;
}

ccf_err ccf_verify_instance_pem(const char *cert_pem, size_t cert_len, const char *policy_text,
                                size_t policy_len, const ccf_policy *policy, time_t now,
                                ccf_verify_result *res)
{
    X509 *leaf = NULL;
    char detail[256];
    memset(res, 0, sizeof *res);
    if (ccf_pki_cert_from_pem(cert_pem, cert_len, &leaf, detail, sizeof detail) != CCF_OK)
        return refuse(res, CCF_VERIFY_BAD_INPUT, CCF_ERR_INVALID, "certificate: %s", detail);
    ccf_err rc = ccf_verify_instance_cert(leaf, NULL, policy_text, policy_len, policy, now, res);
    X509_free(leaf);
    return rc;
}

static int tls_verify_cb(X509_STORE_CTX *x, void *arg)
{
    ccf_verify_tls *vt = arg;
    X509 *leaf = X509_STORE_CTX_get0_cert(x);
    STACK_OF(X509) *chain = X509_STORE_CTX_get0_untrusted(x);
    vt->ran = true;
    ccf_err rc = ccf_verify_instance_trusted(leaf, chain, vt->policy_text, vt->policy_len,
                                             vt->policy, vt->trust, time(NULL), &vt->result);
    if (rc != CCF_OK) {
        X509_STORE_CTX_set_error(x, X509_V_ERR_APPLICATION_VERIFICATION);
        return 0;
    }
    X509_STORE_CTX_set_error(x, X509_V_OK);
    return 1;
}

void ccf_verify_tls_install(SSL_CTX *ctx, ccf_verify_tls *vt)
{
    memset(&vt->result, 0, sizeof vt->result);
    vt->result.failed = CCF_VERIFY_BAD_INPUT;
    snprintf(vt->result.detail, sizeof vt->result.detail, "no certificate was verified");
    vt->ran = false;
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_cert_verify_callback(ctx, tls_verify_cb, vt);
}
