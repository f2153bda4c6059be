/* Unit tests for the policy library: the spec's examples, kinds, errors,
 * canonical emission, hashing and the execute rule. Schema rule violations
 * one by one are covered data-driven in tests/cli/policy-mutations.tsv. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/file.h"
#include "policy/policy.h"
#include "policy/rights.h"

static char *load(const char *name, size_t *len)
{
    const char *dir = getenv("CCF_TEST_DATA");
    char path[512], err[128], *text = NULL;
    assert_non_null(dir);
    snprintf(path, sizeof path, "%s/policies/%s", dir, name);
    assert_int_equal(ccf_file_read(path, CCF_POLICY_MAX_BYTES, &text, len, err, sizeof err), CCF_OK);
    return text;
}

static ccf_policy *parse_ok(const char *text, ccf_policy_kind kind)
{
    ccf_policy *p = NULL;
    ccf_policy_errors errors;
    ccf_err rc = ccf_policy_parse(text, strlen(text), kind, &p, &errors);
    for (size_t i = 0; i < errors.count; i++)
        print_error("unexpected: %s: %s\n", errors.items[i].path, errors.items[i].message);
    assert_int_equal(rc, CCF_OK);
    assert_int_equal(errors.count, 0);
    assert_non_null(p);
    return p;
}

/* Parses text expecting failure; returns the errors. */
static ccf_policy_errors parse_bad(const char *text, ccf_policy_kind kind)
{
    ccf_policy *p = (ccf_policy *)&p; /* must be reset to NULL */
    ccf_policy_errors errors;
    assert_int_not_equal(ccf_policy_parse(text, strlen(text), kind, &p, &errors), CCF_OK);
    assert_null(p);
    assert_true(errors.count > 0);
    return errors;
}

static bool has_error(const ccf_policy_errors *e, const char *path, const char *message_part)
{
    for (size_t i = 0; i < e->count; i++) {
        if (strcmp(e->items[i].path, path) == 0 && strstr(e->items[i].message, message_part))
            return true;
    }
    return false;
}

static void test_spec_examples_detected(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        ccf_policy_kind kind;
    } cases[] = {
        {"spec-user.json", CCF_POLICY_USER},
        {"spec-program.json", CCF_POLICY_PROGRAM},
        {"spec-register-function.json", CCF_POLICY_PROGRAM},
        {"spec-vaas.json", CCF_POLICY_VAAS},
        {"spec-full.json", CCF_POLICY_FULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len;
        char *text = load(cases[i].file, &len);
        ccf_policy *p = parse_ok(text, CCF_POLICY_AUTO);
        assert_int_equal(p->kind, cases[i].kind);
        ccf_policy_free(p);
        p = parse_ok(text, cases[i].kind);
        ccf_policy_free(p);
        free(text);
    }
}

static void test_full_policy_fields(void **state)
{
    (void)state;
    size_t len;
    char *text = load("spec-full.json", &len);
    ccf_policy *p = parse_ok(text, CCF_POLICY_FULL);

    assert_string_equal(p->ciphersuite, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256");
    assert_false(p->debug);
    assert_true(p->enable_clock);
    assert_int_equal(p->enclave_cert_expiry.year, 2021);
    assert_int_equal(p->enclave_cert_expiry.month, 12);
    assert_int_equal(p->enclave_cert_expiry.day, 23);
    assert_int_equal(p->enclave_cert_expiry.hour, 23);
    assert_int_equal(p->enclave_cert_expiry.minute, 44);
    assert_int_equal(p->identity_count, 2);
    assert_int_equal(p->identities[1].id, 1);
    assert_non_null(strstr(p->identities[0].subject, "CN=CCFaaS loader"));
    assert_non_null(strstr(p->identities[1].certificate, "-----BEGIN CERTIFICATE-----"));
    assert_int_equal(p->identities[1].rights.count, 2);
    assert_string_equal(p->identities[1].rights.items[1].file_name, "output");
    assert_int_equal(p->identities[1].rights.items[1].rights, 8198);
    assert_int_equal(p->program_count, 1);
    assert_string_equal(p->programs[0].program_file_name, "linear-regression.wasm");
    assert_string_equal(p->programs[0].pi_hash,
                        "3fc011587de8a340c0ee36d733c3e52a42babc5fe6b12a074d94204495fd5877");
    assert_string_equal(p->runtime_hash[CCF_RUNTIME_NITRO],
                        "89bad60af6e4bd934dc7705b7187b828631092c151b967c0b1638c5567234acd");
    assert_string_equal(p->runtime_hash[CCF_RUNTIME_SGX], "");
    assert_null(p->runtime_hash[CCF_RUNTIME_LINUX]);
    assert_int_equal(p->std_stream_count, 3);
    assert_int_equal(p->std_streams[2].stream, CCF_STDERR);
    assert_string_equal(p->std_streams[0].file_name, "stdin");
    assert_string_equal(p->veracruz_server_url, "veracruz-nitro-server:3014");
    ccf_policy_free(p);
    free(text);
}

static void test_wrong_kind_is_rejected(void **state)
{
    (void)state;
    size_t len;
    char *text = load("spec-user.json", &len);
    ccf_policy_errors e = parse_bad(text, CCF_POLICY_FULL);
    assert_true(has_error(&e, "instanceid", "not allowed in a full policy"));
    assert_true(has_error(&e, "programs", "required field is missing"));
    assert_true(has_error(&e, "identities[0].id", "required field is missing"));
    free(text);
}

static void test_canonical_emission(void **state)
{
    (void)state;
    const char *in = "{\"programs\":[{\"program_file_name\":\"p.wasm\",\"id\":3,\"file_rights\":"
                     "[{\"rights\":8198,\"file_name\":\"in\"}],\"pi_hash\":\"" /* */
                     "AB00000000000000000000000000000000000000000000000000000000000000\"}],"
                     "\"function\":\"f\",\"execution_strategy\":\"JIT\"}";
    const char *want = "{\n"
                       "  \"execution_strategy\": \"JIT\",\n"
                       "  \"function\": \"f\",\n"
                       "  \"programs\": [\n"
                       "    {\n"
                       "      \"file_rights\": [\n"
                       "        {\n"
                       "          \"file_name\": \"in\",\n"
                       "          \"rights\": 8198\n"
                       "        }\n"
                       "      ],\n"
                       "      \"id\": 3,\n"
                       "      \"pi_hash\": \"AB00000000000000000000000000000000000000000000000000000000000000\",\n"
                       "      \"program_file_name\": \"p.wasm\"\n"
                       "    }\n"
                       "  ]\n"
                       "}\n";
    char *out = NULL;
    ccf_policy *p = parse_ok(in, CCF_POLICY_AUTO);
    assert_int_equal(ccf_policy_emit(p, &out), CCF_OK);
    assert_string_equal(out, want);
    ccf_policy_free(p);
    free(out);
}

/* emit(parse(x)) is a fixed point and parses back to the same meaning. */
static void test_emission_round_trip(void **state)
{
    (void)state;
    const char *files[] = {"spec-user.json", "spec-program.json", "spec-vaas.json",
                           "spec-full.json"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        size_t len;
        char *text = load(files[i], &len), *once = NULL, *twice = NULL;
        ccf_policy *p = parse_ok(text, CCF_POLICY_AUTO);
        assert_int_equal(ccf_policy_emit(p, &once), CCF_OK);
        assert_int_equal(once[strlen(once) - 1], '\n'); /* one final newline */
        assert_int_not_equal(once[strlen(once) - 2], '\n');
        ccf_policy *q = parse_ok(once, CCF_POLICY_AUTO);
        assert_int_equal(q->kind, p->kind);
        assert_int_equal(q->identity_count, p->identity_count);
        assert_int_equal(q->program_count, p->program_count);
        assert_int_equal(ccf_policy_emit(q, &twice), CCF_OK);
        assert_string_equal(once, twice);
        ccf_policy_free(p);
        ccf_policy_free(q);
        free(once);
        free(twice);
        free(text);
    }
}

/* An encrypted OCI layer's declaration (issue 20) survives emit and parse,
 * on programs and data files, in every kind that has them. */
static void test_ocicrypt_round_trip(void **state)
{
    (void)state;
    static const char enc[] =
        "\"encrypted\":{\"kbs_resource\":\"default/key/k\",\"sha256\":\"%s\",\"ocicrypt\":{"
        "\"media_type\":\"application/vnd.oci.image.layer.v1.tar+gzip+encrypted\","
        "\"keys_jwe\":\"eyJhIjoxfQ==,eyJiIjoyfQ==\",\"pubopts\":\"eyJjIjozfQ==\"}}";
    char e1[512], e2[512], in[2048], *out = NULL;
    snprintf(e1, sizeof e1, enc, "0101010101010101010101010101010101010101010101010101010101010101");
    snprintf(e2, sizeof e2, enc, "0202020202020202020202020202020202020202020202020202020202020202");
    snprintf(in, sizeof in,
             "{\"function\":\"f\",\"execution_strategy\":\"Interpretation\",\"programs\":[{"
             "\"id\":0,\"pi_hash\":\"%064d\",\"program_file_name\":\"a.wasm\",\"file_rights\":[]"
             ",%s}],\"data_files\":[{\"data_file\":\"d\",\"pi_hash\":\"%064d\",%s}]}",
             3, e1, 4, e2);
    ccf_policy *p = parse_ok(in, CCF_POLICY_PROGRAM);
    const ccf_ocicrypt_layer *l = p->programs[0].encrypted.ocicrypt;
    assert_non_null(l);
    assert_string_equal(l->keys_jwe, "eyJhIjoxfQ==,eyJiIjoyfQ==");
    assert_string_equal(l->pubopts, "eyJjIjozfQ==");
    assert_non_null(p->data_files[0].encrypted.ocicrypt);
    assert_true(ccf_policy_has_encrypted(p));
    assert_int_equal(ccf_policy_emit(p, &out), CCF_OK);
    ccf_policy *q = parse_ok(out, CCF_POLICY_PROGRAM);
    assert_string_equal(q->programs[0].encrypted.ocicrypt->media_type, l->media_type);
    assert_string_equal(q->programs[0].encrypted.ocicrypt->keys_jwe, l->keys_jwe);
    assert_string_equal(q->data_files[0].encrypted.ocicrypt->pubopts, "eyJjIjozfQ==");
    assert_string_equal(q->data_files[0].encrypted.sha256,
                        "0202020202020202020202020202020202020202020202020202020202020202");
    ccf_policy_free(p);
    ccf_policy_free(q);
    free(out);
}

/* data_files (an extension beyond program policies) survive into vaas and
 * full policies: the runtime pins them by their pi_hash. */
static void test_data_files_in_full_policies(void **state)
{
    (void)state;
    static const char df[] = "{\"data_files\":[{\"data_file\":\"input-0\",\"pi_hash\":\""
                             "abababababababababababababababababababababababababababababababab\","
                             "\"priority\":2}],";
    const char *files[] = {"spec-vaas.json", "spec-full.json"};
    const ccf_policy_kind kinds[] = {CCF_POLICY_VAAS, CCF_POLICY_FULL};
    for (size_t i = 0; i < 2; i++) {
        size_t len;
        char *text = load(files[i], &len), *with = NULL, *out = NULL;
        const char *brace = strchr(text, '{');
        assert_non_null(brace);
        with = malloc(len + sizeof df);
        assert_non_null(with);
        snprintf(with, len + sizeof df, "%s%s", df, brace + 1);
        ccf_policy *p = parse_ok(with, kinds[i]);
        assert_int_equal(p->data_file_count, 1);
        assert_string_equal(p->data_files[0].data_file, "input-0");
        assert_int_equal(p->data_files[0].priority, 2);
        assert_int_equal(ccf_policy_emit(p, &out), CCF_OK);
        ccf_policy *q = parse_ok(out, kinds[i]);
        assert_int_equal(q->data_file_count, 1);
        assert_string_equal(q->data_files[0].pi_hash, p->data_files[0].pi_hash);
        ccf_policy_free(p);
        ccf_policy_free(q);
        free(out);
        free(with);
        free(text);
    }
    /* ...never into user policies */
    size_t len;
    char *text = load("spec-user.json", &len), *with = malloc(len + sizeof df);
    assert_non_null(with);
    snprintf(with, len + sizeof df, "%s%s", df, strchr(text, '{') + 1);
    ccf_policy_errors e = parse_bad(with, CCF_POLICY_USER);
    assert_true(has_error(&e, "data_files", "not allowed"));
    free(with);
    free(text);
}

static void test_hash_is_of_exact_bytes(void **state)
{
    (void)state;
    char a[CCF_SHA256_HEX_LEN + 1], b[CCF_SHA256_HEX_LEN + 1];
    assert_true(ccf_policy_hash("{}", 2, a));
    assert_string_equal(a, "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
    assert_true(ccf_policy_hash("{} ", 3, b)); /* same JSON, other bytes: other hash */
    assert_string_not_equal(a, b);
}

static void test_json_syntax_error_has_line_and_column(void **state)
{
    (void)state;
    ccf_policy_errors e = parse_bad("{\n  \"function\": \"f\",\n  \"programs\": [,]\n}",
                                    CCF_POLICY_AUTO);
    assert_int_equal(e.count, 1);
    assert_int_equal(e.items[0].line, 3);
    assert_true(e.items[0].column > 0);
    assert_non_null(strstr(e.items[0].message, "invalid JSON"));
}

static void test_duplicate_keys_rejected(void **state)
{
    (void)state;
    ccf_policy_errors e = parse_bad("{\"function\":\"a\",\"function\":\"b\",\"instanceid\":\"i\","
                                    "\"identities\":[]}",
                                    CCF_POLICY_USER);
    assert_non_null(strstr(e.items[0].message, "duplicate"));
}

static void test_root_and_kind_errors(void **state)
{
    (void)state;
    ccf_policy_errors e = parse_bad("[1,2]", CCF_POLICY_AUTO);
    assert_true(has_error(&e, "", "expected a JSON object, got an array"));
    e = parse_bad("{}", CCF_POLICY_AUTO);
    assert_true(has_error(&e, "", "cannot tell which kind"));
    e = parse_bad("", CCF_POLICY_AUTO);
    assert_non_null(strstr(e.items[0].message, "invalid JSON"));
    /* a NULL errors pointer is allowed */
    ccf_policy *p = NULL;
    assert_int_equal(ccf_policy_parse("{}", 2, CCF_POLICY_AUTO, &p, NULL), CCF_ERR_INVALID);
    assert_null(p);
}

static void test_size_cap(void **state)
{
    (void)state;
    size_t n = CCF_POLICY_MAX_BYTES + 1;
    char *big = malloc(n);
    ccf_policy *p = NULL;
    ccf_policy_errors e;
    assert_non_null(big);
    memset(big, ' ', n);
    assert_int_equal(ccf_policy_parse(big, n, CCF_POLICY_AUTO, &p, &e), CCF_ERR_TOO_LARGE);
    assert_null(p);
    assert_non_null(strstr(e.items[0].message, "at most"));
    free(big);
}

/* All errors are reported, up to the cap, and the cap is flagged. */
static void test_error_cap(void **state)
{
    (void)state;
    char text[8192];
    size_t used = (size_t)snprintf(text, sizeof text,
                                   "{\"function\":\"f\",\"execution_strategy\":\"Interpretation\","
                                   "\"programs\":[");
    for (int i = 0; i < 30; i++)
        used += (size_t)snprintf(text + used, sizeof text - used, "%s{\"id\":\"x%d\"}",
                                 i ? "," : "", i);
    snprintf(text + used, sizeof text - used, "]}");
    ccf_policy_errors e = parse_bad(text, CCF_POLICY_AUTO);
    assert_int_equal(e.count, CCF_POLICY_MAX_ERRORS);
    assert_true(e.truncated);
    assert_true(has_error(&e, "programs[0].id", "expected an integer, got \"x0\""));
    assert_true(has_error(&e, "programs[0].pi_hash", "required field is missing"));
}

static void test_several_errors_in_one_document(void **state)
{
    (void)state;
    ccf_policy_errors e = parse_bad(
        "{\"function\":\"f\",\"execution_strategy\":\"Magic\",\"extra\":1,"
        "\"programs\":[{\"id\":0,\"pi_hash\":\"abc\",\"program_file_name\":\"../p\","
        "\"file_rights\":[{\"file_name\":\"in\",\"rights\":1073741824},"
        "{\"file_name\":\"in\",\"rights\":1.5}]}]}",
        CCF_POLICY_PROGRAM);
    assert_true(has_error(&e, "execution_strategy", "\"Interpretation\" or \"JIT\""));
    assert_true(has_error(&e, "extra", "unknown field"));
    assert_true(has_error(&e, "programs[0].pi_hash", "64 hex digits"));
    assert_true(has_error(&e, "programs[0].program_file_name", "\"..\""));
    assert_true(has_error(&e, "programs[0].file_rights[0].rights", "out of range"));
    assert_true(has_error(&e, "programs[0].file_rights[1].file_name", "listed twice"));
    assert_true(has_error(&e, "programs[0].file_rights[1].rights", "expected an integer, got 1.5"));
    assert_int_equal(e.count, 7);
}

static void test_execute_rule(void **state)
{
    (void)state;
    size_t len;
    char *text = load("spec-full.json", &len);
    ccf_policy *p = parse_ok(text, CCF_POLICY_FULL);
    /* spec format (no bit 29 anywhere): readers of some file may execute */
    assert_false(ccf_policy_may_execute(p, 0, 0)); /* loader: write-only */
    assert_true(ccf_policy_may_execute(p, 1, 0));
    assert_false(ccf_policy_may_execute(p, 2, 0)); /* out of range */
    /* with bit 29 in use, only holders of it on the program may */
    p->identities[0].rights.items[0].rights |= CCF_FD_EXECUTE;
    assert_true(ccf_policy_may_execute(p, 0, 0));
    assert_false(ccf_policy_may_execute(p, 1, 0));
    ccf_policy_free(p);
    free(text);
}

static void test_rights_lookup_directories(void **state)
{
    (void)state;
    ccf_file_right items[] = {
        {"out/", 8198}, {"out/deep/", CCF_FD_WRITE}, {"out/special", CCF_FD_TELL}, {"x", 1}};
    ccf_file_rights r = {items, 4};
    assert_int_equal(ccf_file_rights_lookup(&r, "out/a"), 8198);
    assert_int_equal(ccf_file_rights_lookup(&r, "out/deep/b"), CCF_FD_WRITE);
    assert_int_equal(ccf_file_rights_lookup(&r, "out/special"), CCF_FD_TELL);
    assert_int_equal(ccf_file_rights_lookup(&r, "outside"), 0);
    assert_int_equal(ccf_file_rights_lookup(&r, "x"), 1);
    assert_int_equal(ccf_file_rights_lookup(&r, "xy"), 0);
    /* "/" is the whole root; longer directory entries still win */
    ccf_file_right with_root[] = {{"/", 8198}, {"out/", CCF_FD_WRITE}};
    ccf_file_rights w = {with_root, 2};
    assert_int_equal(ccf_file_rights_lookup(&w, "anything"), 8198);
    assert_int_equal(ccf_file_rights_lookup(&w, "a/b/c"), 8198);
    assert_int_equal(ccf_file_rights_lookup(&w, "out/x"), CCF_FD_WRITE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_examples_detected),
        cmocka_unit_test(test_full_policy_fields),
        cmocka_unit_test(test_wrong_kind_is_rejected),
        cmocka_unit_test(test_canonical_emission),
        cmocka_unit_test(test_emission_round_trip),
        cmocka_unit_test(test_ocicrypt_round_trip),
        cmocka_unit_test(test_data_files_in_full_policies),
        cmocka_unit_test(test_hash_is_of_exact_bytes),
        cmocka_unit_test(test_json_syntax_error_has_line_and_column),
        cmocka_unit_test(test_duplicate_keys_rejected),
        cmocka_unit_test(test_root_and_kind_errors),
        cmocka_unit_test(test_size_cap),
        cmocka_unit_test(test_error_cap),
        cmocka_unit_test(test_several_errors_in_one_document),
        cmocka_unit_test(test_execute_rule),
        cmocka_unit_test(test_rights_lookup_directories),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
