/* The runtime's side of attestation end to end, in one process: a proxy on a
 * loopback HTTP server (port 0), ccf_proxy_client_certify() over libcurl, and
 * the certificate verified against a full policy with ccf_verify. Also the
 * client's handling of refusals, URL forms and an unreachable proxy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "attest/evidence.h"
#include "attest/pki.h"
#include "proxy/proxy.h"
#include "attest/proxy_client.h"
#include "attest/verify.h"
#include "common/file.h"

/* A launch configuration as a sandboxed release runtime states it (attest/launch.h). */
#define TEST_LAUNCH \
    "{\"clean_environment\":true,\"debug\":false,\"fuel\":0,\"max_exec_seconds\":600,\"max_file_mib\":0,\"platform\":\"linux\",\"sandbox\":true}"

static char dir[] = "/tmp/ccf-pclient-XXXXXX";
static ccf_proxy *proxy;
static ccf_http_server *srv;
static char url[64];
static EVP_PKEY *platform;
static uint8_t measurement[32];

static int setup(void **state)
{
    char err[256];
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (mkdtemp(dir) == NULL)
        return -1;
    memset(measurement, 0x42, sizeof measurement);
    ccf_proxy_config pc = {.data_dir = dir,
                           .allow = (const uint8_t(*)[32]) & measurement,
                           .allow_count = 1,
                           .nonce_lifetime_s = -1};
    ccf_http_config hc = {.listen = "127.0.0.1:0", .service = "proxy", .quiet = true};
    if (ccf_proxy_new(&pc, &proxy, err, sizeof err) != CCF_OK ||
        ccf_http_server_new(&hc, &srv, err, sizeof err) != CCF_OK ||
        ccf_proxy_mount(proxy, srv) != CCF_OK || ccf_http_server_start(srv, err, sizeof err) != CCF_OK ||
        ccf_platform_key_load_or_create(dir, &platform, NULL, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "setup: %s\n", err);
        return -1;
    }
    snprintf(url, sizeof url, "127.0.0.1:%u", ccf_http_server_port(srv));
    return 0;
}

static int teardown(void **state)
{
    char path[256];
    (void)state;
    ccf_http_server_free(srv);
    ccf_proxy_free(proxy);
    EVP_PKEY_free(platform);
    const char *files[] = {"proxy-ca.key", "proxy-ca.crt", "platform-key.pem"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
    curl_global_cleanup();
    return 0;
}

/* spec-full.json with this proxy's CA and our measurement: the policy text. */
static char *make_policy(void)
{
    char path[1024], err[256], *text = NULL;
    size_t len = 0;
    const char *data = getenv("CCF_TEST_DATA");
    snprintf(path, sizeof path, "%s/policies/spec-full.json", data ? data : "tests/data");
    if (ccf_file_read(path, 1 << 20, &text, &len, err, sizeof err) != CCF_OK)
        fail_msg("%s: %s", path, err);
    json_t *p = json_loads(text, 0, NULL);
    free(text);
    assert_non_null(p);
    char hex[65];
    ccf_hex_encode(measurement, 32, hex);
    time_t t = time(NULL) + 30 * 86400;
    struct tm tm;
    gmtime_r(&t, &tm);
    json_object_set_new(p, "proxy_service_cert", json_string(ccf_proxy_ca_pem(proxy)));
    json_object_set_new(p, "runtime_manager_hash_linux", json_string(hex));
    json_object_set_new(p, "enclave_cert_expiry",
                        json_pack("{s:i,s:i,s:i,s:i,s:i}", "year", tm.tm_year + 1900, "month",
                                  tm.tm_mon + 1, "day", tm.tm_mday, "hour", tm.tm_hour, "minute",
                                  tm.tm_min));
    text = json_dumps(p, JSON_INDENT(2));
    json_decref(p);
    return text;
}

static void test_certify_and_verify(void **state)
{
    (void)state;
    char err[256], *cert = NULL, *ca = NULL, *policy = make_policy();
    uint8_t ph[32];
    EVP_PKEY *key = NULL;
    assert_true(ccf_sha256(policy, strlen(policy), ph));
    assert_int_equal(ccf_pki_key_new(&key, err, sizeof err), CCF_OK);
    const char *sans[] = {"127.0.0.1", "localhost"};
    ccf_proxy_request_params p = {.launch = TEST_LAUNCH,.platform_key = platform, .measurement = measurement,
                                  .instance_key = key, .policy_hash = ph, .sans = sans,
                                  .san_count = 2};
    assert_int_equal(ccf_proxy_client_certify(url, NULL, &p, 0, &cert, &ca, err, sizeof err), CCF_OK);
    assert_string_equal(ca, ccf_proxy_ca_pem(proxy));
    ccf_verify_result res;
    assert_int_equal(ccf_verify_instance_pem(cert, strlen(cert), policy, strlen(policy), NULL,
                                             time(NULL), &res),
                     CCF_OK);
    assert_true(res.development_platform);
    /* the certificate is for our key */
    X509 *x = NULL;
    assert_int_equal(ccf_pki_cert_from_pem(cert, strlen(cert), &x, err, sizeof err), CCF_OK);
    assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(x), key), 1);
    X509_free(x);
    free(cert);
    free(ca);
    /* URL forms */
    char u[96];
    snprintf(u, sizeof u, "http://%s/", url);
    assert_int_equal(ccf_proxy_client_certify(u, NULL, &p, 0, &cert, NULL, err, sizeof err), CCF_OK);
    free(cert);
    snprintf(u, sizeof u, "https://%s", url); /* https needs a certificate to pin */
    assert_int_equal(ccf_proxy_client_certify(u, NULL, &p, 0, &cert, NULL, err, sizeof err),
                     CCF_ERR_INVALID);
    assert_null(cert);
    snprintf(u, sizeof u, "http://%s/x", url);
    assert_int_equal(ccf_proxy_client_certify(u, NULL, &p, 0, &cert, NULL, err, sizeof err),
                     CCF_ERR_INVALID);
    EVP_PKEY_free(key);
    free(policy);
}

static void test_refusal_reported(void **state)
{
    (void)state;
    char err[256], *cert = NULL;
    uint8_t ph[32] = {1}, other[32];
    EVP_PKEY *key = NULL;
    memset(other, 0x43, sizeof other);
    assert_int_equal(ccf_pki_key_new(&key, err, sizeof err), CCF_OK);
    ccf_proxy_request_params p = {.launch = TEST_LAUNCH,.platform_key = platform, .measurement = other,
                                  .instance_key = key, .policy_hash = ph};
    assert_int_equal(ccf_proxy_client_certify(url, NULL, &p, 0, &cert, NULL, err, sizeof err),
                     CCF_ERR_DENIED);
    assert_null(cert);
    assert_non_null(strstr(err, "measurement_not_allowed"));
    /* a wrong platform key */
    EVP_PKEY *fake = NULL;
    assert_int_equal(ccf_pki_key_new(&fake, err, sizeof err), CCF_OK);
    p.platform_key = fake;
    p.measurement = measurement;
    assert_int_equal(ccf_proxy_client_certify(url, NULL, &p, 0, &cert, NULL, err, sizeof err),
                     CCF_ERR_DENIED);
    assert_non_null(strstr(err, "bad_signature"));
    EVP_PKEY_free(fake);
    EVP_PKEY_free(key);
}

static void test_unreachable(void **state)
{
    (void)state;
    char err[256], *cert = NULL;
    uint8_t ph[32] = {0};
    EVP_PKEY *key = NULL;
    assert_int_equal(ccf_pki_key_new(&key, err, sizeof err), CCF_OK);
    ccf_proxy_request_params p = {.launch = TEST_LAUNCH,.platform_key = platform, .measurement = measurement,
                                  .instance_key = key, .policy_hash = ph};
    /* port 1: nothing listens there, and unprivileged tests cannot bind it */
    assert_int_equal(ccf_proxy_client_certify("127.0.0.1:1", NULL, &p, 2000, &cert, NULL, err, sizeof err),
                     CCF_ERR_IO);
    assert_null(cert);
    EVP_PKEY_free(key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_certify_and_verify),
        cmocka_unit_test(test_refusal_reported),
        cmocka_unit_test(test_unreachable),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
