/* Unit tests for src/common: bounded file reads, SHA-256, hex, comparisons. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/crypto.h"
#include "common/dynbuf.h"
#include "common/error.h"
#include "common/file.h"

static char *write_temp(const char *content, size_t len)
{
    char *path = strdup("/tmp/ccf-test-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, content, len), (ssize_t)len);
    close(fd);
    return path;
}

static void test_file_read_exact_bytes(void **state)
{
    (void)state;
    const char data[] = "a\0b\nc"; /* embedded NUL survives */
    char *path = write_temp(data, 5), *out = NULL, err[128];
    size_t len = 0;
    assert_int_equal(ccf_file_read(path, 100, &out, &len, err, sizeof err), CCF_OK);
    assert_int_equal(len, 5);
    assert_memory_equal(out, data, 5);
    assert_int_equal(out[5], '\0');
    free(out);
    unlink(path);
    free(path);
}

static void test_file_read_cap(void **state)
{
    (void)state;
    char big[10000];
    memset(big, 'x', sizeof big);
    char *path = write_temp(big, sizeof big), *out = NULL, err[128];
    size_t len = 0;
    assert_int_equal(ccf_file_read(path, 9999, &out, &len, err, sizeof err), CCF_ERR_TOO_LARGE);
    assert_null(out);
    assert_non_null(strstr(err, "9999"));
    assert_int_equal(ccf_file_read(path, 10000, &out, &len, err, sizeof err), CCF_OK);
    assert_int_equal(len, 10000);
    free(out);
    unlink(path);
    free(path);
}

static void test_file_read_missing(void **state)
{
    (void)state;
    char *out = NULL, err[128];
    size_t len = 0;
    assert_int_equal(ccf_file_read("/nonexistent/ccf", 10, &out, &len, err, sizeof err), CCF_ERR_IO);
    assert_null(out);
    assert_non_null(strstr(err, "No such file"));
}

static void test_sha256_known_vector(void **state)
{
    (void)state;
    char hex[CCF_SHA256_HEX_LEN + 1];
    assert_true(ccf_sha256_hex("abc", 3, hex));
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_true(ccf_sha256_hex("", 0, hex));
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_hex_checks(void **state)
{
    (void)state;
    assert_true(ccf_is_hex("00aAfF", 6));
    assert_false(ccf_is_hex("00aAfF", 5)); /* longer than n */
    assert_false(ccf_is_hex("00aAf", 6));  /* shorter than n */
    assert_false(ccf_is_hex("00aAfg", 6));
    const uint8_t bytes[] = {0x00, 0x7f, 0xff};
    char out[7];
    ccf_hex_encode(bytes, 3, out);
    assert_string_equal(out, "007fff");
    assert_true(ccf_ct_equal("abcd", "abcd", 4));
    assert_false(ccf_ct_equal("abcd", "abce", 4));
}

/* The one strict standard-base64 decoder (task inputs, KBS evidence, ocicrypt options, the S3
 * stream service's extra files). */
static void test_base64_decode(void **state)
{
    (void)state;
    uint8_t *out = NULL;
    size_t len = 0;
    char why[128];
    assert_int_equal(ccf_base64_decode("aGk=", 4, &out, &len, why, sizeof why), CCF_OK);
    assert_int_equal(len, 2);
    assert_memory_equal(out, "hi", 2);
    free(out);
    assert_int_equal(ccf_base64_decode("", 0, &out, &len, why, sizeof why), CCF_OK);
    assert_int_equal(len, 0);
    free(out);
    static const struct {
        const char *in, *why;
    } bad[] = {{"aGk", "length a multiple of 4"},          {"aG-_", "character 2 is not"},
               {"A===", "character 1 is not"},             {"aG=k", "character 2 is not"},
               {"====", "character 0 is not"},             {"aGk=\n", "length a multiple of 4"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(ccf_base64_decode(bad[i].in, strlen(bad[i].in), &out, &len, why, sizeof why),
                         CCF_ERR_INVALID);
        assert_null(out);
        assert_non_null(strstr(why, bad[i].why));
    }
}

static void test_strerror_and_errf(void **state)
{
    (void)state;
    char buf[8];
    assert_string_equal(ccf_strerror(CCF_ERR_DENIED), "permission denied");
    assert_int_equal(ccf_errf(buf, sizeof buf, CCF_ERR_IO, "%s", "truncated message"), CCF_ERR_IO);
    assert_string_equal(buf, "truncat");
}

/* The capped buffer: bytes kept with a NUL after them, growth, the cap
 * refused without changing what is held, reuse after free. */
static void test_dynbuf_addf(void **state)
{
    (void)state;
    ccf_dynbuf b;
    char long_text[600];
    memset(long_text, 'x', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    ccf_dynbuf_init(&b, 1000);
    assert_int_equal(ccf_dynbuf_addf(&b, "%s=%d;", "a", 42), CCF_OK);
    assert_string_equal(b.p, "a=42;");
    /* longer than the formatting stack buffer */
    assert_int_equal(ccf_dynbuf_addf(&b, "%s", long_text), CCF_OK);
    assert_int_equal(b.len, 5 + 599);
    assert_int_equal(b.p[b.len], '\0');
    /* past the cap, short and long: refused, buffer unchanged */
    assert_int_equal(ccf_dynbuf_addf(&b, "%s", long_text), CCF_ERR_TOO_LARGE);
    assert_int_equal(b.len, 604);
    for (int i = 0; i < 396; i++)
        assert_int_equal(ccf_dynbuf_addf(&b, "%c", 'y'), CCF_OK);
    assert_int_equal(b.len, 1000);
    assert_int_equal(ccf_dynbuf_addf(&b, "%c", 'z'), CCF_ERR_TOO_LARGE);
    assert_int_equal(ccf_dynbuf_addf(&b, "%s", ""), CCF_OK); /* nothing added fits */
    assert_int_equal(b.len, 1000);
    assert_int_equal(b.p[999], 'y');
    ccf_dynbuf_free(&b);
}

static void test_dynbuf(void **state)
{
    (void)state;
    ccf_dynbuf b;
    char big[3000];
    memset(big, 'x', sizeof big);
    ccf_dynbuf_init(&b, 4000);
    assert_int_equal(ccf_dynbuf_add(&b, "ab", 2), CCF_OK);
    assert_int_equal(ccf_dynbuf_add(&b, "", 0), CCF_OK);
    assert_string_equal(b.p, "ab");
    assert_int_equal(ccf_dynbuf_add(&b, big, sizeof big), CCF_OK); /* grows past 1024 */
    assert_int_equal(b.len, 3002);
    assert_true(b.cap <= 4001);
    assert_int_equal(b.p[b.len], '\0');
    assert_int_equal(ccf_dynbuf_add(&b, big, 999), CCF_ERR_TOO_LARGE);
    assert_int_equal(b.len, 3002);
    assert_int_equal(ccf_dynbuf_add(&b, big, 998), CCF_OK); /* exactly the cap */
    assert_int_equal(b.len, 4000);
    assert_int_equal(ccf_dynbuf_add(&b, "y", 1), CCF_ERR_TOO_LARGE);
    ccf_dynbuf_free(&b);
    assert_null(b.p);
    assert_int_equal(b.len, 0);
    assert_int_equal(ccf_dynbuf_add(&b, "z", 1), CCF_OK);
    assert_string_equal(b.p, "z");
    ccf_dynbuf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_read_exact_bytes), cmocka_unit_test(test_file_read_cap),
        cmocka_unit_test(test_file_read_missing),     cmocka_unit_test(test_sha256_known_vector),
        cmocka_unit_test(test_hex_checks),            cmocka_unit_test(test_strerror_and_errf),
        cmocka_unit_test(test_dynbuf),                cmocka_unit_test(test_dynbuf_addf),
        cmocka_unit_test(test_base64_decode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
