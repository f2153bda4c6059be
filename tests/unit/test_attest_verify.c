/* Unit tests for src/attest/verify (and the proxy core it relies on): a real
 * certificate from a ccf_proxy in a temporary data directory, checked against
 * full policies: good -> accepted (development platform flagged); wrong CA,
 * wrong measurement, policy one byte off, expired, not yet valid, beyond the
 * policy's expiry, platform not offered -> each refused with its reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "attest/evidence.h"
#include "attest/pki.h"
#include "proxy/proxy.h"
#include "attest/verify.h"
#include "common/file.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

/* A launch configuration as a sandboxed release runtime states it (attest/launch.h). */
#define TEST_LAUNCH \
    "{\"clean_environment\":true,\"debug\":false,\"fuel\":0,\"max_exec_seconds\":600,\"max_file_mib\":0,\"platform\":\"linux\",\"sandbox\":true}"

static char dir[] = "/tmp/ccf-verify-XXXXXX";
static ccf_proxy *proxy;
static EVP_PKEY *platform;
static uint8_t measurement[32];
static char measurement_hex[65];
static json_t *base_policy; /* spec-full.json with our CA and measurement */

static char *read_test_file(const char *rel)
{
    char path[1024], err[256], *text = NULL;
    size_t len = 0;
    const char *data = getenv("CCF_TEST_DATA");
    snprintf(path, sizeof path, "%s/%s", data ? data : "tests/data", rel);
    if (ccf_file_read(path, 1 << 20, &text, &len, err, sizeof err) != CCF_OK)
        fail_msg("%s: %s", path, err);
    return text;
}

static void set_expiry(json_t *policy, time_t t)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    json_object_set_new(policy, "enclave_cert_expiry",
                        json_pack("{s:i,s:i,s:i,s:i,s:i}", "year", tm.tm_year + 1900, "month",
                                  tm.tm_mon + 1, "day", tm.tm_mday, "hour", tm.tm_hour, "minute",
                                  tm.tm_min));
}

static int setup(void **state)
{
    char err[256];
    (void)state;
    if (mkdtemp(dir) == NULL)
        return -1;
    for (int i = 0; i < 32; i++)
        measurement[i] = (uint8_t)(0x11 * (i % 16));
    ccf_hex_encode(measurement, 32, measurement_hex);
    ccf_proxy_config cfg = {.data_dir = dir,
                            .allow = (const uint8_t(*)[32]) & measurement,
                            .allow_count = 1,
                            .nonce_lifetime_s = -1};
    if (ccf_proxy_new(&cfg, &proxy, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "proxy: %s\n", err);
        return -1;
    }
    if (ccf_platform_key_load_or_create(dir, &platform, NULL, err, sizeof err) != CCF_OK)
        return -1;
    char *text = read_test_file("policies/spec-full.json");
    base_policy = json_loads(text, 0, NULL);
    free(text);
    if (base_policy == NULL)
        return -1;
    json_object_set_new(base_policy, "proxy_service_cert", json_string(ccf_proxy_ca_pem(proxy)));
    json_object_set_new(base_policy, "runtime_manager_hash_linux", json_string(measurement_hex));
    set_expiry(base_policy, time(NULL) + 10 * 86400);
    return 0;
}

static int teardown(void **state)
{
    char path[256];
    (void)state;
    ccf_proxy_free(proxy);
    EVP_PKEY_free(platform);
    json_decref(base_policy);
    const char *files[] = {"proxy-ca.key", "proxy-ca.crt", "platform-key.pem"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
    return 0;
}

/* The policy text (exact bytes) of a policy object. Caller frees. */
static char *policy_text(const json_t *policy)
{
    char *t = json_dumps(policy, JSON_INDENT(2) | JSON_SORT_KEYS);
    assert_non_null(t);
    return t;
}

/* Runs a whole attestation at the proxy for this policy text; returns the
 * certificate PEM (caller frees). expiry: as the runtime would send it, or NULL. */
static char *attest_key(const char *text, const int *expiry, EVP_PKEY **key_out)
{
    char nonce[65], err[256], msg[512];
    uint8_t ph[32];
    EVP_PKEY *key = NULL;
    json_t *req = NULL, *resp = NULL;
    assert_int_equal(ccf_proxy_nonce_new(proxy, nonce), CCF_PROXY_OK);
    assert_true(ccf_sha256(text, strlen(text), ph));
    assert_int_equal(ccf_pki_key_new(&key, err, sizeof err), CCF_OK);
    const char *sans[] = {"127.0.0.1"};
    ccf_proxy_request_params p = {.launch = TEST_LAUNCH,.platform_key = platform,
                                  .measurement = measurement,
                                  .instance_key = key,
                                  .policy_hash = ph,
                                  .nonce_hex = nonce,
                                  .sans = sans,
                                  .san_count = 1,
                                  .expiry = expiry};
    assert_int_equal(ccf_proxy_request_build(&p, &req, err, sizeof err), CCF_OK);
    ccf_proxy_result r = ccf_proxy_attest(proxy, "linux", req, &resp, msg, sizeof msg);
    if (r != CCF_PROXY_OK)
        fail_msg("attest: %s: %s", ccf_proxy_result_code(r), msg);
    char *pem = strdup(json_string_value(json_object_get(resp, "certificate")));
    json_decref(req);
    json_decref(resp);
    if (key_out != NULL)
        *key_out = key;
    else
        EVP_PKEY_free(key);
    return pem;
}

static char *attest(const char *text, const int *expiry)
{
    return attest_key(text, expiry, NULL);
}

static ccf_verify_check verify(const char *pem, const char *text, time_t now, ccf_verify_result *res)
{
    ccf_err rc = ccf_verify_instance_pem(pem, strlen(pem), text, strlen(text), NULL, now, res);
    assert_int_equal(rc == CCF_OK, res->failed == CCF_VERIFY_OK);
    if (rc != CCF_OK)
        assert_int_equal(rc, res->failed == CCF_VERIFY_BAD_INPUT ? rc : CCF_ERR_DENIED);
    return res->failed;
}

static void test_good_certificate(void **state)
{
    (void)state;
    ccf_verify_result res;
    char *text = policy_text(base_policy);
    char *pem = attest(text, NULL);
    assert_int_equal(verify(pem, text, time(NULL), &res), CCF_VERIFY_OK);
    assert_true(res.development_platform);
    assert_int_equal(res.platform, CCF_RUNTIME_LINUX);
    assert_memory_equal(res.measurement, measurement, 32);
    assert_non_null(strstr(res.detail, CCF_VERIFY_DEV_NOTICE));
    /* also with a pre-parsed policy */
    ccf_policy *pol = NULL;
    assert_int_equal(ccf_policy_parse(text, strlen(text), CCF_POLICY_FULL, &pol, NULL), CCF_OK);
    assert_int_equal(ccf_verify_instance_pem(pem, strlen(pem), text, strlen(text), pol, time(NULL),
                                             &res),
                     CCF_OK);
    ccf_policy_free(pol);
    free(pem);
    free(text);
}

static void test_wrong_ca(void **state)
{
    (void)state;
    ccf_verify_result res;
    char *text = policy_text(base_policy);
    char *pem = attest(text, NULL);
    json_t *other = json_deep_copy(base_policy);
    char *ca = read_test_file("certs/proxy-ca.crt"); /* another CA */
    json_object_set_new(other, "proxy_service_cert", json_string(ca));
    char *other_text = policy_text(other);
    assert_int_equal(verify(pem, other_text, time(NULL), &res), CCF_VERIFY_CHAIN);
    assert_string_equal(ccf_verify_check_name(res.failed), "chain");
    free(ca);
    free(other_text);
    json_decref(other);
    free(pem);
    free(text);
}

static void test_wrong_measurement(void **state)
{
    (void)state;
    ccf_verify_result res;
    char *text = policy_text(base_policy);
    char *pem = attest(text, NULL);
    json_t *other = json_deep_copy(base_policy);
    char hex[65];
    memcpy(hex, measurement_hex, 65);
    hex[63] = hex[63] == '0' ? '1' : '0';
    json_object_set_new(other, "runtime_manager_hash_linux", json_string(hex));
    char *other_text = policy_text(other);
    assert_int_equal(verify(pem, other_text, time(NULL), &res), CCF_VERIFY_MEASUREMENT);
    assert_non_null(strstr(res.detail, measurement_hex));
    /* the platform not offered at all */
    json_object_set_new(other, "runtime_manager_hash_linux", json_string(""));
    free(other_text);
    other_text = policy_text(other);
    assert_int_equal(verify(pem, other_text, time(NULL), &res), CCF_VERIFY_PLATFORM);
    json_object_del(other, "runtime_manager_hash_linux");
    free(other_text);
    other_text = policy_text(other);
    assert_int_equal(verify(pem, other_text, time(NULL), &res), CCF_VERIFY_PLATFORM);
    free(other_text);
    json_decref(other);
    free(pem);
    free(text);
}

static void test_policy_one_byte_off(void **state)
{
    (void)state;
    ccf_verify_result res;
    char *text = policy_text(base_policy);
    char *pem = attest(text, NULL);
    /* change one hex digit of the program's pi_hash: still a valid policy */
    char *p = strstr(text, "3fc011587de8");
    assert_non_null(p);
    p[0] = '4';
    assert_int_equal(verify(pem, text, time(NULL), &res), CCF_VERIFY_POLICY_HASH);
    p[0] = '3';
    assert_int_equal(verify(pem, text, time(NULL), &res), CCF_VERIFY_OK);
    /* one more byte at the end (a trailing newline): another policy too */
    size_t n = strlen(text);
    char *longer = malloc(n + 2);
    memcpy(longer, text, n);
    longer[n] = '\n';
    longer[n + 1] = '\0';
    assert_int_equal(verify(pem, longer, time(NULL), &res), CCF_VERIFY_POLICY_HASH);
    free(longer);
    free(pem);
    free(text);
}

static void test_validity(void **state)
{
    (void)state;
    ccf_verify_result res;
    char *text = policy_text(base_policy);
    char *pem = attest(text, NULL);
    assert_int_equal(verify(pem, text, time(NULL), &res), CCF_VERIFY_OK);
    time_t na = res.not_after;
    assert_true(na > time(NULL) + 86400 - 600 && na <= time(NULL) + 86400); /* max 1 day */
    assert_int_equal(verify(pem, text, na, &res), CCF_VERIFY_EXPIRED);
    assert_int_equal(verify(pem, text, na - 1, &res), CCF_VERIFY_OK);
    assert_int_equal(verify(pem, text, time(NULL) - 3600, &res), CCF_VERIFY_NOT_YET_VALID);
    free(pem);
    free(text);
}

static void test_beyond_policy_expiry(void **state)
{
    (void)state;
    ccf_verify_result res;
    json_t *soon = json_deep_copy(base_policy);
    time_t t = time(NULL) + 3 * 3600;
    set_expiry(soon, t);
    char *text = policy_text(soon);
    /* a runtime that does not send the policy's expiry: the proxy gives 1 day */
    char *pem = attest(text, NULL);
    assert_int_equal(verify(pem, text, time(NULL), &res), CCF_VERIFY_BEYOND_POLICY_EXPIRY);
    free(pem);
    /* one that sends it gets a certificate ending exactly then */
    struct tm tm;
    gmtime_r(&t, &tm);
    int e[5] = {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min};
    pem = attest(text, e);
    assert_int_equal(verify(pem, text, time(NULL), &res), CCF_VERIFY_OK);
    assert_int_equal(res.not_after, t - t % 60);
    free(pem);
    free(text);
    json_decref(soon);
}

static void test_bad_inputs(void **state)
{
    (void)state;
    ccf_verify_result res;
    char *text = policy_text(base_policy);
    assert_int_equal(ccf_verify_instance_pem("junk", 4, text, strlen(text), NULL, time(NULL), &res),
                     CCF_ERR_INVALID);
    assert_int_equal(res.failed, CCF_VERIFY_BAD_INPUT);
    const char *ca = ccf_proxy_ca_pem(proxy);
    /* the CA certificate itself is no instance certificate */
    ccf_err rc = ccf_verify_instance_pem(ca, strlen(ca), text, strlen(text), NULL, time(NULL), &res);
    assert_int_equal(rc, CCF_ERR_DENIED);
    assert_int_not_equal(res.failed, CCF_VERIFY_OK);
    char *pem = attest(text, NULL);
    assert_int_equal(ccf_verify_instance_pem(pem, strlen(pem), "{}", 2, NULL, time(NULL), &res),
                     CCF_ERR_INVALID);
    assert_int_equal(res.failed, CCF_VERIFY_BAD_INPUT);
    free(pem);
    free(text);
}

/* A TLS handshake over a memory BIO pair: server with the attested
 * certificate, client with ccf_verify_tls_install(). true when it completed. */
static bool handshake(const char *pem, EVP_PKEY *key, ccf_verify_tls *vt)
{
    char err[256];
    X509 *x = NULL;
    BIO *b1 = NULL, *b2 = NULL;
    assert_int_equal(ccf_pki_cert_from_pem(pem, strlen(pem), &x, err, sizeof err), CCF_OK);
    SSL_CTX *sctx = SSL_CTX_new(TLS_server_method()), *cctx = SSL_CTX_new(TLS_client_method());
    assert_non_null(sctx);
    assert_non_null(cctx);
    assert_int_equal(SSL_CTX_use_certificate(sctx, x), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey(sctx, key), 1);
    ccf_verify_tls_install(cctx, vt);
    SSL *s = SSL_new(sctx), *c = SSL_new(cctx);
    assert_int_equal(BIO_new_bio_pair(&b1, 0, &b2, 0), 1);
    SSL_set_bio(c, b1, b1);
    SSL_set_bio(s, b2, b2);
    SSL_set_connect_state(c);
    SSL_set_accept_state(s);
    bool done = false;
    for (int i = 0; i < 50 && !done; i++) {
        int rc = SSL_do_handshake(c), rs = SSL_do_handshake(s);
        if (rc == 1 && rs == 1)
            done = true;
        else if ((rc != 1 && SSL_get_error(c, rc) != SSL_ERROR_WANT_READ &&
                  SSL_get_error(c, rc) != SSL_ERROR_WANT_WRITE))
            break;
    }
    if (!done)
        assert_int_equal(SSL_get_verify_result(c), X509_V_ERR_APPLICATION_VERIFICATION);
    ERR_clear_error();
    SSL_free(c);
    SSL_free(s);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    X509_free(x);
    return done;
}

static void test_tls_handshake(void **state)
{
    (void)state;
    EVP_PKEY *key = NULL;
    char *text = policy_text(base_policy);
    char *pem = attest_key(text, NULL, &key);
    ccf_verify_tls vt = {.policy_text = text, .policy_len = strlen(text)};
    assert_true(handshake(pem, key, &vt));
    assert_true(vt.ran);
    assert_int_equal(vt.result.failed, CCF_VERIFY_OK);
    assert_true(vt.result.development_platform);
    /* the client holds a policy one byte off: the handshake itself fails */
    char *p = strstr(text, "3fc011587de8");
    assert_non_null(p);
    p[0] = '4';
    ccf_verify_tls bad = {.policy_text = text, .policy_len = strlen(text)};
    assert_false(handshake(pem, key, &bad));
    assert_true(bad.ran);
    assert_int_equal(bad.result.failed, CCF_VERIFY_POLICY_HASH);
    EVP_PKEY_free(key);
    free(pem);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_certificate),  cmocka_unit_test(test_wrong_ca),
        cmocka_unit_test(test_wrong_measurement), cmocka_unit_test(test_policy_one_byte_off),
        cmocka_unit_test(test_validity),          cmocka_unit_test(test_beyond_policy_expiry),
        cmocka_unit_test(test_bad_inputs),        cmocka_unit_test(test_tls_handshake),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
