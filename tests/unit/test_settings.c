/* client/settings.h: the config file parser (every rule, good and bad) and
 * the flag > environment > file order of ccf_settings_resolve. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "client/settings.h"

static ccf_err parse(const char *text, ccf_settings *s, char *err, size_t size)
{
    return ccf_settings_parse(text, strlen(text), "/etc/ccf", s, err, size);
}

static void test_good(void **state)
{
    (void)state;
    ccf_settings s;
    char err[256];
    assert_int_equal(parse("# mine\r\n\n  url = https://h:5010  \r\n"
                           "token_file=olga.token\nca_cert = /abs/ca.crt\n"
                           "client_cert\t=\tc.crt\nclient_key = k.key\n", &s, err, sizeof err),
                     CCF_OK);
    assert_string_equal(s.url, "https://h:5010");
    assert_string_equal(s.token_file, "/etc/ccf/olga.token"); /* relative to the file */
    assert_string_equal(s.ca_cert, "/abs/ca.crt");
    assert_string_equal(s.client_cert, "/etc/ccf/c.crt");
    assert_string_equal(s.client_key, "/etc/ccf/k.key");
    assert_null(s.token);
    ccf_settings_free(&s);
    assert_int_equal(parse("", &s, err, sizeof err), CCF_OK); /* empty: nothing set */
    assert_null(s.url);
    ccf_settings_free(&s);
}

static void test_bad(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"url = x\ntokn = y\n", "line 2: unknown key 'tokn'"},
        {"url\n", "line 1: expected key = value"},
        {"url = a\nurl = b\n", "line 2: url given twice"},
        {"ca_cert =   \n", "line 1: ca_cert: expected a value"},
        {"url = a\x01z\n", "line 1: a control character"},
        {"token = ccft_x\n", "unknown key 'token'"}, /* a token itself is never read from it */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ccf_settings s;
        char err[256] = "";
        assert_int_equal(parse(cases[i].text, &s, err, sizeof err), CCF_ERR_INVALID);
        if (strstr(err, cases[i].want) == NULL)
            fail_msg("case %zu: got '%s', want '%s'", i, err, cases[i].want);
        assert_null(s.url);
    }
    size_t big = CCF_SETTINGS_FILE_MAX + 1;
    char *text = malloc(big);
    assert_non_null(text);
    memset(text, '#', big);
    ccf_settings s;
    char err[256];
    assert_int_equal(ccf_settings_parse(text, big, NULL, &s, err, sizeof err), CCF_ERR_TOO_LARGE);
    free(text);
    char longv[CCF_SETTINGS_VALUE_MAX + 16];
    memcpy(longv, "url = ", 6);
    memset(longv + 6, 'a', CCF_SETTINGS_VALUE_MAX + 1);
    longv[6 + CCF_SETTINGS_VALUE_MAX + 1] = '\0';
    assert_int_equal(parse(longv, &s, err, sizeof err), CCF_ERR_INVALID);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_resolve_order(void **state)
{
    (void)state;
    char dir[] = "/tmp/ccf-settings-XXXXXX", conf[128], tok[128], err[300];
    assert_non_null(mkdtemp(dir));
    snprintf(conf, sizeof conf, "%s/config", dir);
    snprintf(tok, sizeof tok, "%s/t.token", dir);
    write_file(tok, "ccft_" "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n");
    write_file(conf, "url = http://file:1\ntoken_file = t.token\nca_cert = ca.crt\n");
    setenv("CCFAAS_CONFIG", conf, 1);
    unsetenv("CCFAAS_URL");
    unsetenv("CCFAAS_TOKEN");
    unsetenv("CCFAAS_TOKEN_FILE");
    unsetenv("CCFAAS_CA_CERT");
    unsetenv("CCFAAS_CERT");
    unsetenv("CCFAAS_KEY");
    ccf_settings s;
    assert_int_equal(ccf_settings_resolve(NULL, &s, err, sizeof err), CCF_OK);
    assert_string_equal(s.url, "http://file:1"); /* the file */
    assert_non_null(s.token);
    assert_int_equal(strncmp(s.token, "ccft_0123", 9), 0); /* read from its token_file */
    ccf_settings_free(&s);
    setenv("CCFAAS_URL", "http://env:2", 1);
    setenv("CCFAAS_TOKEN", "ccft_env", 1);
    assert_int_equal(ccf_settings_resolve(NULL, &s, err, sizeof err), CCF_OK);
    assert_string_equal(s.url, "http://env:2"); /* the environment over the file */
    assert_string_equal(s.token, "ccft_env");
    ccf_settings_free(&s);
    ccf_settings_flags f = {.url = "http://flag:3", .token_file = "/nonexistent/t"};
    assert_int_not_equal(ccf_settings_resolve(&f, &s, err, sizeof err), CCF_OK);
    /* a flag's token file wins over CCFAAS_TOKEN, and a missing one is named */
    assert_non_null(strstr(err, "/nonexistent/t"));
    f.token_file = NULL;
    f.client_cert = "c.crt";
    assert_int_equal(ccf_settings_resolve(&f, &s, err, sizeof err), CCF_ERR_INVALID);
    assert_non_null(strstr(err, "needs its key"));
    f.client_cert = NULL;
    assert_int_equal(ccf_settings_resolve(&f, &s, err, sizeof err), CCF_OK);
    assert_string_equal(s.url, "http://flag:3"); /* the flag over both */
    ccf_settings_free(&s);
    write_file(conf, "bogus\n");
    assert_int_equal(ccf_settings_resolve(NULL, &s, err, sizeof err), CCF_ERR_INVALID);
    assert_non_null(strstr(err, "line 1"));
    assert_non_null(strstr(err, conf));
    setenv("CCFAAS_CONFIG", "/nonexistent/config", 1); /* named explicitly: must exist */
    assert_int_not_equal(ccf_settings_resolve(NULL, &s, err, sizeof err), CCF_OK);
    unsetenv("CCFAAS_CONFIG");
    unsetenv("CCFAAS_URL");
    unsetenv("CCFAAS_TOKEN");
    unlink(conf);
    unlink(tok);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_resolve_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
