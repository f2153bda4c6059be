/* Unit tests for the rights table: names <-> bits, parsing, summaries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "policy/rights.h"

static void test_spec_values(void **state)
{
    (void)state;
    char buf[512];
    assert_true(ccf_rights_format(533572, ",", buf, sizeof buf));
    assert_string_equal(buf, "FD_SEEK,FD_WRITE,PATH_CREATE_FILE,PATH_OPEN,PATH_FILESTAT_SET_SIZE");
    assert_true(ccf_rights_format(8198, ",", buf, sizeof buf));
    assert_string_equal(buf, "FD_READ,FD_SEEK,PATH_OPEN");
    assert_int_equal(CCF_FD_READ | CCF_FD_SEEK | CCF_PATH_OPEN, 8198);
    assert_int_equal(CCF_FD_SEEK | CCF_FD_WRITE | CCF_PATH_CREATE_FILE | CCF_PATH_OPEN |
                         CCF_PATH_FILESTAT_SET_SIZE,
                     533572);
}

static void test_table_matches_spec(void **state)
{
    (void)state;
    /* spot checks against the spec's table, including both ends */
    assert_string_equal(ccf_rights_bit_name(0), "FD_DATASYNC");
    assert_string_equal(ccf_rights_bit_name(13), "PATH_OPEN");
    assert_string_equal(ccf_rights_bit_name(19), "PATH_FILESTAT_SET_SIZE");
    assert_string_equal(ccf_rights_bit_name(28), "SOCK_SHUTDOWN");
    assert_string_equal(ccf_rights_bit_name(29), "FD_EXECUTE");
    assert_null(ccf_rights_bit_name(30));
    assert_null(ccf_rights_bit_description(30));
}

static void test_roundtrip_every_bit(void **state)
{
    (void)state;
    char buf[1024], err[128];
    uint32_t v;
    for (unsigned bit = 0; bit < CCF_RIGHTS_COUNT; bit++) {
        assert_true(ccf_rights_format(1u << bit, ",", buf, sizeof buf));
        assert_int_equal(ccf_rights_parse(buf, &v, err, sizeof err), CCF_OK);
        assert_int_equal(v, 1u << bit);
    }
    assert_true(ccf_rights_format(CCF_RIGHTS_ALL, "|", buf, sizeof buf));
    assert_int_equal(ccf_rights_parse(buf, &v, err, sizeof err), CCF_OK);
    assert_int_equal(v, CCF_RIGHTS_ALL);
}

static void test_parse_forms(void **state)
{
    (void)state;
    char err[128];
    uint32_t v = 0;
    assert_int_equal(ccf_rights_parse("FD_READ,FD_SEEK,PATH_OPEN", &v, err, sizeof err), CCF_OK);
    assert_int_equal(v, 8198);
    assert_int_equal(ccf_rights_parse("fd_read | fd_seek + path_open", &v, err, sizeof err), CCF_OK);
    assert_int_equal(v, 8198);
    assert_int_equal(ccf_rights_parse("0x2006", &v, err, sizeof err), CCF_OK);
    assert_int_equal(v, 8198);
    assert_int_equal(ccf_rights_parse("8198", &v, err, sizeof err), CCF_OK);
    assert_int_equal(v, 8198);
    assert_int_equal(ccf_rights_parse("0", &v, err, sizeof err), CCF_OK);
    assert_int_equal(v, 0);
}

static void test_parse_rejects(void **state)
{
    (void)state;
    char err[160];
    uint32_t v = 12345;
    assert_int_equal(ccf_rights_parse("FD_READ,FD_FLY", &v, err, sizeof err), CCF_ERR_INVALID);
    assert_non_null(strstr(err, "FD_FLY"));
    assert_int_equal(v, 12345); /* untouched on failure */
    assert_int_equal(ccf_rights_parse("1073741824", &v, err, sizeof err), CCF_ERR_INVALID);
    assert_non_null(strstr(err, "out of range"));
    assert_int_equal(ccf_rights_parse("12abc", &v, err, sizeof err), CCF_ERR_INVALID);
    assert_int_equal(ccf_rights_parse("99999999999999999999999", &v, err, sizeof err),
                     CCF_ERR_INVALID);
    assert_int_equal(ccf_rights_parse("", &v, err, sizeof err), CCF_ERR_INVALID);
    assert_int_equal(ccf_rights_parse(",,", &v, err, sizeof err), CCF_ERR_INVALID);
}

static void test_format_small_buffer_and_unknown_bits(void **state)
{
    (void)state;
    char small[8], buf[64];
    assert_false(ccf_rights_format(533572, ",", small, sizeof small));
    assert_int_equal(strlen(small), sizeof small - 1);
    assert_true(ccf_rights_format(1u << 31, ",", buf, sizeof buf));
    assert_string_equal(buf, "BIT_31");
}

static void test_summary(void **state)
{
    (void)state;
    char buf[256];
    assert_true(ccf_rights_summary(8198, buf, sizeof buf));
    assert_string_equal(buf, "read, seek, open");
    assert_true(ccf_rights_summary(0, buf, sizeof buf));
    assert_string_equal(buf, "nothing");
    assert_true(ccf_rights_summary(CCF_FD_EXECUTE, buf, sizeof buf));
    assert_string_equal(buf, "execute");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_values),
        cmocka_unit_test(test_table_matches_spec),
        cmocka_unit_test(test_roundtrip_every_bit),
        cmocka_unit_test(test_parse_forms),
        cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_format_small_buffer_and_unknown_bits),
        cmocka_unit_test(test_summary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
