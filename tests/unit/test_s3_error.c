/* S3 error documents (src/s3stream/s3.h): what S3 and s3rver send, and bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "s3stream/s3.h"

static ccf_err parse(const char *doc, ccf_s3_error *e) { return ccf_s3_error_parse(doc, strlen(doc), e); }

static void test_s3_documents(void **state)
{
    (void)state;
    ccf_s3_error e;
    assert_int_equal(parse("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code>"
                           "<Message>The specified key does not exist.</Message><Key>a/b</Key></Error>",
                           &e), CCF_OK);
    assert_string_equal(e.code, "NoSuchKey");
    assert_string_equal(e.message, "The specified key does not exist.");
    assert_string_equal(e.region, "");
    assert_int_equal(parse("<Error><Code>AuthorizationHeaderMalformed</Code><Message>expecting "
                           "&apos;eu-west-1&apos; &amp; more</Message><Region>eu-west-1</Region>"
                           "<RequestId/></Error>", &e), CCF_OK);
    assert_string_equal(e.message, "expecting 'eu-west-1' & more");
    assert_string_equal(e.region, "eu-west-1");
}

static void test_bad_documents(void **state)
{
    (void)state;
    ccf_s3_error e;
    static const char *const bad[] = {
        "",                                                     /* nothing */
        "<html>503</html>",                                     /* not an error document */
        "<Error><Message>no code</Message></Error>",            /* no Code */
        "<Error><Code>X</Code>",                                /* not closed */
        "<Error><Code>X</Cod></Error>",                         /* wrong end tag */
        "<Error><Code><b>X</b></Code></Error>",                 /* nested markup */
        "<Error><Code>X&#65;</Code></Error>",                   /* a character reference */
        "<Error><Code a=\"1\">X</Code></Error>",                /* attributes */
        "<?xml version=\"1.0\"<Error><Code>X</Code></Error>",   /* declaration not ended */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(parse(bad[i], &e), CCF_ERR_INVALID);
    /* fields are cut to their size, never overflow */
    char code[501], doc[600];
    memset(code, 'C', 500);
    code[500] = '\0';
    snprintf(doc, sizeof doc, "<Error><Code>%s</Code></Error>", code);
    assert_int_equal(parse(doc, &e), CCF_OK);
    assert_int_equal(strlen(e.code), sizeof e.code - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_s3_documents),
        cmocka_unit_test(test_bad_documents),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
