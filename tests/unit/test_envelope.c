/* Tests for src/envelope: seal/open round trips (empty, small, 1 MiB), the
 * exact layout, every refusal (wrong key, each part changed, truncated or
 * extended, a header of the wrong form, a plaintext that does not match its
 * hash), and the shared resource-path rule. The e2e counterpart decrypts
 * with pycryptodome (tests/cli/test-encrypt). */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envelope/envelope.h"

static const uint8_t key[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

static void seal(const uint8_t *plain, size_t len, uint8_t **env, size_t *envlen)
{
    char err[256];
    assert_int_equal(ccf_envelope_seal(key, "default/key/algo", plain, len, env, envlen, err,
                                       sizeof err),
                     CCF_OK);
}

static void test_round_trip(void **state)
{
    (void)state;
    size_t sizes[] = {0, 1, 17, 1u << 20};
    for (size_t k = 0; k < 4; k++) {
        size_t n = sizes[k], envlen = 0;
        uint8_t *plain = malloc(n + 1), *env = NULL, *back = NULL;
        char err[256];
        ccf_envelope_info info;
        for (size_t i = 0; i < n; i++)
            plain[i] = (uint8_t)(i * 7 + k);
        seal(plain, n, &env, &envlen);
        assert_true(ccf_envelope_is(env, envlen));
        assert_int_equal(ccf_envelope_parse(env, envlen, &info, err, sizeof err), CCF_OK);
        assert_string_equal(info.kbs_resource, "default/key/algo");
        assert_int_equal(info.plaintext_size, n);
        assert_int_equal(envlen, 12 + info.header_len + 12 + n + 16);
        assert_int_equal(ccf_envelope_open(key, env, envlen, &back, &info, err, sizeof err),
                         CCF_OK);
        assert_true(n == 0 || memcmp(back, plain, n) == 0);
        char sha[65];
        assert_true(ccf_sha256_hex(plain, n, sha));
        assert_string_equal(info.plaintext_sha256, sha);
        if (n > 16) /* the ciphertext is not the plaintext */
            assert_null(memmem(env, envlen, plain, 16));
        ccf_envelope_free(back, n);
        free(env);
        free(plain);
    }
}

static void test_refusals(void **state)
{
    (void)state;
    const uint8_t plain[] = "the algorithm's bytes";
    uint8_t *env = NULL, *back = NULL, other[32];
    size_t envlen = 0;
    char err[256];
    ccf_envelope_info info;
    seal(plain, sizeof plain, &env, &envlen);

    memcpy(other, key, 32);
    other[31] ^= 1;
    assert_int_equal(ccf_envelope_open(other, env, envlen, &back, &info, err, sizeof err),
                     CCF_ERR_DENIED);
    assert_null(back);
    assert_non_null(strstr(err, "authentication failed"));
    /* every byte after the magic and length matters: header, IV, ciphertext, tag */
    size_t h = 12 + strlen("{\"alg\":\"A256GCM\",\"kbs_resource\":\"default/key/algo\","
                           "\"plaintext_sha256\":\"");
    size_t at[] = {h, envlen - 16 - sizeof plain - 12, envlen - 16 - 3, envlen - 1};
    for (size_t i = 0; i < 4; i++) {
        env[at[i]] ^= 0x01;
        ccf_err rc = ccf_envelope_open(key, env, envlen, &back, &info, err, sizeof err);
        assert_true(rc == CCF_ERR_DENIED || rc == CCF_ERR_INVALID);
        assert_null(back);
        env[at[i]] ^= 0x01;
    }
    assert_int_equal(ccf_envelope_open(key, env, envlen - 1, &back, &info, err, sizeof err),
                     CCF_ERR_INVALID);
    assert_non_null(strstr(err, "makes"));
    assert_int_equal(ccf_envelope_parse(env, 10, &info, err, sizeof err), CCF_ERR_INVALID);
    assert_int_equal(ccf_envelope_parse((const uint8_t *)"CCFENC02xxxx", 12, &info, err,
                                        sizeof err),
                     CCF_ERR_INVALID);
    assert_non_null(strstr(err, "not a ccfaas envelope"));
    /* a header length past the data, and one over the cap */
    env[8] = 0x7f;
    assert_int_equal(ccf_envelope_parse(env, envlen, &info, err, sizeof err), CCF_ERR_INVALID);
    assert_non_null(strstr(err, "out of range"));
    env[8] = 0;
    env[10] = 0x0f;
    assert_int_equal(ccf_envelope_parse(env, envlen, &info, err, sizeof err), CCF_ERR_INVALID);
    free(env);
    assert_int_equal(ccf_envelope_seal(key, "default/../x", plain, 3, &env, &envlen, err,
                                       sizeof err),
                     CCF_ERR_INVALID);
    assert_null(env);
}

/* Headers of the wrong form, each framed correctly. */
static void test_headers(void **state)
{
    (void)state;
    const char *bad[] = {
        "[]", "{\"alg\":\"A256GCM\"}", "not json",
        "{\"alg\":\"A128GCM\",\"kbs_resource\":\"a/b/c\",\"plaintext_sha256\":\"" /* 64 */
        "0000000000000000000000000000000000000000000000000000000000000000\",\"plaintext_size\":0}",
        "{\"alg\":\"A256GCM\",\"kbs_resource\":\"a/b\",\"plaintext_sha256\":\""
        "0000000000000000000000000000000000000000000000000000000000000000\",\"plaintext_size\":0}",
        "{\"alg\":\"A256GCM\",\"kbs_resource\":\"a/b/c\",\"plaintext_sha256\":\""
        "00000000000000000000000000000000000000000000000000000000000000AA\",\"plaintext_size\":0}",
        "{\"alg\":\"A256GCM\",\"kbs_resource\":\"a/b/c\",\"plaintext_sha256\":\""
        "0000000000000000000000000000000000000000000000000000000000000000\",\"plaintext_size\":-1}",
        "{\"alg\":\"A256GCM\",\"kbs_resource\":\"a/b/c\",\"plaintext_sha256\":\""
        "0000000000000000000000000000000000000000000000000000000000000000\",\"plaintext_size\":0,"
        "\"x\":1}",
        "{\"alg\":\"A256GCM\",\"alg\":\"A256GCM\",\"kbs_resource\":\"a/b/c\",\"plaintext_sha256\":\""
        "0000000000000000000000000000000000000000000000000000000000000000\",\"plaintext_size\":0}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t hl = strlen(bad[i]), n = 12 + hl + 12 + 16;
        uint8_t *e = calloc(1, n);
        char err[256];
        ccf_envelope_info info;
        memcpy(e, "CCFENC01", 8);
        e[11] = (uint8_t)hl;
        memcpy(e + 12, bad[i], hl);
        ccf_err rc = ccf_envelope_parse(e, n, &info, err, sizeof err);
        assert_true(rc == CCF_ERR_INVALID || rc == CCF_ERR_UNSUPPORTED);
        assert_non_null(strstr(err, "envelope header"));
        free(e);
    }
}

static void test_kbs_path(void **state)
{
    (void)state;
    assert_true(ccf_kbs_path_ok("default/key/algo-key"));
    assert_true(ccf_kbs_path_ok("a.b/c_d/E-9"));
    const char *bad[] = {"", "a", "a/b", "a/b/c/d", "a//c", "a/b/", "/a/b", "a/../c", "a/./c",
                         "a/b c/d", "a/b/ü"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(ccf_kbs_path_ok(bad[i]));
    char longseg[140];
    memset(longseg, 'x', sizeof longseg);
    memcpy(longseg, "a/b/", 4);
    longseg[4 + 129] = '\0';
    assert_false(ccf_kbs_path_ok(longseg));
    longseg[4 + 128] = '\0';
    assert_true(ccf_kbs_path_ok(longseg));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_headers),
        cmocka_unit_test(test_kbs_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
