/* Unit tests for src/attest/trust (the verifier's own trust configuration) and
 * src/attest/launch (the runtime's launch configuration), issue 14:
 * - trust files round-trip through emit -> parse; every malformed file is
 *   refused with an error naming the JSON path; add is idempotent, remove
 *   takes the CA and measurement entries of a hash;
 * - check_policy accepts a full policy whose proxy_service_cert and
 *   runtime_manager_hash_* are trusted and refuses, naming the field, when not;
 * - launch texts round-trip and every malformed one is refused. */
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

#include "attest/launch.h"
#include "attest/pki.h"
#include "attest/trust.h"
#include "common/file.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

#define HEX_A "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define HEX_B "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

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

static void hash_of(const char *hex, uint8_t out[CCF_SHA256_LEN])
{
    for (size_t i = 0; i < CCF_SHA256_LEN; i++) {
        unsigned v;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
}

/* Parses text expecting a refusal; returns the (static) error text. */
static const char *refused(const char *text, ccf_err want)
{
    static char err[512];
    ccf_trust *t = (ccf_trust *)1;
    err[0] = '\0';
    ccf_err rc = ccf_trust_parse(text, strlen(text), &t, err, sizeof err);
    if (rc != want)
        fail_msg("%s: got %s (%s), expected %s", text, ccf_strerror(rc), err, ccf_strerror(want));
    assert_null(t);
    assert_true(err[0] != '\0');
    return err;
}

static void assert_contains(const char *haystack, const char *needle)
{
    if (strstr(haystack, needle) == NULL)
        fail_msg("\"%s\" does not contain \"%s\"", haystack, needle);
}

static ccf_trust *parsed(const char *text)
{
    char err[256];
    ccf_trust *t = NULL;
    ccf_err rc = ccf_trust_parse(text, strlen(text), &t, err, sizeof err);
    if (rc != CCF_OK)
        fail_msg("%s: %s", text, err);
    assert_non_null(t);
    return t;
}

/* ---- parse / emit ------------------------------------------------------- */

static const char full_text[] =
    "{\n"
    "  \"allow_debug\": true,\n"
    "  \"allow_development_platform\": true,\n"
    "  \"allow_unsandboxed\": false,\n"
    "  \"attestation_cas\": [\n"
    "    {\n"
    "      \"name\": \"local proxy CA\",\n"
    "      \"sha256\": \"" HEX_A "\"\n"
    "    },\n"
    "    {\n"
    "      \"sha256\": \"" HEX_B "\"\n"
    "    }\n"
    "  ],\n"
    "  \"measurements\": [\n"
    "    {\n"
    "      \"name\": \"ccfaas-runtime 0.1\",\n"
    "      \"platform\": \"linux\",\n"
    "      \"sha256\": \"" HEX_A "\"\n"
    "    },\n"
    "    {\n"
    "      \"platform\": \"sevsnp\",\n"
    "      \"sha256\": \"" HEX_B "\"\n"
    "    }\n"
    "  ],\n"
    "  \"version\": 1\n"
    "}\n";

static void test_parse_fields(void **state)
{
    (void)state;
    uint8_t a[32], b[32];
    hash_of(HEX_A, a);
    hash_of(HEX_B, b);
    ccf_trust *t = parsed(full_text);
    assert_true(t->allow_debug);
    assert_true(t->allow_development_platform);
    assert_false(t->allow_unsandboxed);
    assert_int_equal(t->ca_count, 2);
    assert_memory_equal(t->cas[0].sha256, a, 32);
    assert_string_equal(t->cas[0].name, "local proxy CA");
    assert_memory_equal(t->cas[1].sha256, b, 32);
    assert_null(t->cas[1].name);
    assert_int_equal(t->measurement_count, 2);
    assert_int_equal(t->measurements[0].platform, CCF_RUNTIME_LINUX);
    assert_memory_equal(t->measurements[0].sha256, a, 32);
    assert_string_equal(t->measurements[0].name, "ccfaas-runtime 0.1");
    assert_int_equal(t->measurements[1].platform, CCF_RUNTIME_SEVSNP);
    assert_null(t->measurements[1].name);
    assert_true(ccf_trust_has_measurement(t, CCF_RUNTIME_LINUX, a));
    assert_true(ccf_trust_has_measurement(t, CCF_RUNTIME_SEVSNP, b));
    assert_false(ccf_trust_has_measurement(t, CCF_RUNTIME_SEVSNP, a)); /* per platform */
    assert_false(ccf_trust_has_measurement(t, CCF_RUNTIME_TDX, b));
    ccf_trust_free(t);

    /* the minimal file: version only, trusts nothing, every flag false */
    t = parsed("{\"version\":1}");
    assert_int_equal(t->ca_count, 0);
    assert_int_equal(t->measurement_count, 0);
    assert_false(t->allow_debug || t->allow_development_platform || t->allow_unsandboxed);
    ccf_trust_free(t);
}

static void test_canonical_round_trip(void **state)
{
    (void)state;
    char *out = NULL;
    /* a canonical file emits to exactly its own bytes */
    ccf_trust *t = parsed(full_text);
    assert_int_equal(ccf_trust_emit(t, &out), CCF_OK);
    assert_string_equal(out, full_text);
    ccf_trust_free(t);
    free(out);

    /* an empty configuration emits every member, and parses back */
    t = ccf_trust_new();
    assert_non_null(t);
    assert_int_equal(ccf_trust_emit(t, &out), CCF_OK);
    assert_string_equal(out, "{\n  \"allow_debug\": false,\n  \"allow_development_platform\": "
                             "false,\n  \"allow_unsandboxed\": false,\n  \"attestation_cas\": [],\n"
                             "  \"measurements\": [],\n  \"version\": 1\n}\n");
    ccf_trust_free(t);
    t = parsed(out);
    assert_int_equal(t->ca_count + t->measurement_count, 0);
    ccf_trust_free(t);
    free(out);
}

static void test_round_trip_every_platform(void **state)
{
    (void)state;
    char *once = NULL, *twice = NULL;
    ccf_trust *t = ccf_trust_new(), *u;
    bool added;
    uint8_t h[32];
    for (int p = 0; p < CCF_RUNTIME_COUNT; p++) {
        for (size_t i = 0; i < 32; i++)
            h[i] = (uint8_t)(p * 32 + (int)i);
        assert_int_equal(ccf_trust_add_measurement(t, (ccf_runtime_platform)p, h,
                                                   p % 2 ? "odd \"quoted\" name" : NULL, &added),
                         CCF_OK);
        assert_true(added);
        assert_int_equal(ccf_trust_add_ca(t, h, p % 2 ? NULL : "ca \xc3\xa9", &added), CCF_OK);
        assert_true(added);
    }
    t->allow_unsandboxed = true;
    assert_int_equal(ccf_trust_emit(t, &once), CCF_OK);
    u = parsed(once);
    assert_int_equal(u->ca_count, CCF_RUNTIME_COUNT);
    assert_int_equal(u->measurement_count, CCF_RUNTIME_COUNT);
    assert_true(u->allow_unsandboxed);
    for (size_t i = 0; i < (size_t)CCF_RUNTIME_COUNT; i++) {
        assert_int_equal(u->measurements[i].platform, t->measurements[i].platform);
        assert_memory_equal(u->measurements[i].sha256, t->measurements[i].sha256, 32);
        assert_memory_equal(u->cas[i].sha256, t->cas[i].sha256, 32);
        if (t->cas[i].name)
            assert_string_equal(u->cas[i].name, t->cas[i].name);
        else
            assert_null(u->cas[i].name);
        if (t->measurements[i].name)
            assert_string_equal(u->measurements[i].name, t->measurements[i].name);
        else
            assert_null(u->measurements[i].name);
    }
    assert_int_equal(ccf_trust_emit(u, &twice), CCF_OK);
    assert_string_equal(once, twice);
    ccf_trust_free(t);
    ccf_trust_free(u);
    free(once);
    free(twice);
}

static void test_member_order_and_spacing_do_not_matter(void **state)
{
    (void)state;
    char *out = NULL;
    ccf_trust *t = parsed("  {\"measurements\":[{\"sha256\":\"" HEX_A "\",\"platform\":\"linux\","
                          "\"name\":\"ccfaas-runtime 0.1\"},{\"sha256\":\"" HEX_B "\",\"platform\":"
                          "\"sevsnp\"}],\"attestation_cas\":[{\"sha256\":\"" HEX_A "\",\"name\":"
                          "\"local proxy CA\"},{\"sha256\":\"" HEX_B "\"}],\"version\":1,"
                          "\"allow_development_platform\":true,\"allow_debug\":true}\n\n");
    assert_int_equal(ccf_trust_emit(t, &out), CCF_OK);
    assert_string_equal(out, full_text);
    ccf_trust_free(t);
    free(out);
}

static void test_uppercase_hex_accepted_emitted_lowercase(void **state)
{
    (void)state;
    uint8_t a[32];
    char *out = NULL;
    hash_of(HEX_A, a);
    /* SHA-256 fingerprints are often shown in uppercase: accepted, same bytes */
    ccf_trust *t = parsed("{\"version\":1,\"attestation_cas\":[{\"sha256\":"
                          "\"0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF\"}]}");
    assert_int_equal(t->ca_count, 1);
    assert_memory_equal(t->cas[0].sha256, a, 32);
    assert_int_equal(ccf_trust_emit(t, &out), CCF_OK);
    assert_contains(out, HEX_A);
    ccf_trust_free(t);
    free(out);
}

static void test_version_required_and_one(void **state)
{
    (void)state;
    assert_contains(refused("{}", CCF_ERR_INVALID), "version");
    assert_contains(refused("{\"attestation_cas\":[]}", CCF_ERR_INVALID), "version");
    assert_contains(refused("{\"version\":2}", CCF_ERR_INVALID), "version");
    assert_contains(refused("{\"version\":0}", CCF_ERR_INVALID), "version");
    assert_contains(refused("{\"version\":\"1\"}", CCF_ERR_INVALID), "version");
    assert_contains(refused("{\"version\":1.0}", CCF_ERR_INVALID), "version");
    assert_contains(refused("{\"version\":null}", CCF_ERR_INVALID), "version");
}

static void test_unknown_members_named(void **state)
{
    (void)state;
    const char *e = refused("{\"version\":1,\"allow_everything\":true}", CCF_ERR_INVALID);
    assert_contains(e, "allow_everything");
    assert_contains(e, "unknown member");
    e = refused("{\"version\":1,\"attestation_cas\":[{\"sha256\":\"" HEX_A "\"},{\"sha256\":\"" HEX_B
                "\",\"platform\":\"linux\"}]}",
                CCF_ERR_INVALID);
    assert_contains(e, "attestation_cas[1].platform");
    assert_contains(e, "unknown member");
    e = refused("{\"version\":1,\"measurements\":[{\"platform\":\"linux\",\"sha256\":\"" HEX_A
                "\",\"comment\":\"x\"}]}",
                CCF_ERR_INVALID);
    assert_contains(e, "measurements[0].comment");
    /* spelled like the policy's own field: still unknown */
    e = refused("{\"version\":1,\"runtime_manager_hash_linux\":\"" HEX_A "\"}", CCF_ERR_INVALID);
    assert_contains(e, "runtime_manager_hash_linux");
}

static void test_bad_sha256_named(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\"",   /* 63: odd */
        "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0\"", /* 65 */
        "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd\"",    /* 62 */
        "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg\"",  /* not hex */
        "\" 123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"",  /* space */
        "\"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab\"",
        "\"\"",
        "42",
        "null",
        "[\"" HEX_A "\"]",
    };
    char text[512];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(text, sizeof text, "{\"version\":1,\"attestation_cas\":[{\"sha256\":%s}]}", bad[i]);
        assert_contains(refused(text, CCF_ERR_INVALID), "attestation_cas[0].sha256");
        snprintf(text, sizeof text,
                 "{\"version\":1,\"measurements\":[{\"platform\":\"tdx\",\"sha256\":\"" HEX_A
                 "\"},{\"platform\":\"tdx\",\"sha256\":%s}]}",
                 bad[i]);
        assert_contains(refused(text, CCF_ERR_INVALID), "measurements[1].sha256");
    }
    /* missing */
    assert_contains(refused("{\"version\":1,\"attestation_cas\":[{\"name\":\"x\"}]}", CCF_ERR_INVALID),
                    "attestation_cas[0].sha256");
    assert_contains(refused("{\"version\":1,\"measurements\":[{\"platform\":\"linux\"}]}",
                            CCF_ERR_INVALID),
                    "measurements[0].sha256");
}

static void test_bad_platform_named(void **state)
{
    (void)state;
    static const char *const bad[] = {"\"sev\"", "\"Linux\"", "\"\"", "\"linux \"", "1", "null",
                                      "[\"linux\"]"};
    char text[512];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(text, sizeof text,
                 "{\"version\":1,\"measurements\":[{\"platform\":\"linux\",\"sha256\":\"" HEX_A
                 "\"},{\"platform\":%s,\"sha256\":\"" HEX_B "\"}]}",
                 bad[i]);
        assert_contains(refused(text, CCF_ERR_INVALID), "measurements[1].platform");
    }
    assert_contains(
        refused("{\"version\":1,\"measurements\":[{\"sha256\":\"" HEX_A "\"}]}", CCF_ERR_INVALID),
        "measurements[0].platform");
}

static void test_bad_names_entries_lists_named(void **state)
{
    (void)state;
    char text[1024], longname[202];
    memset(longname, 'n', 201);
    longname[201] = '\0';
    snprintf(text, sizeof text,
             "{\"version\":1,\"attestation_cas\":[{\"sha256\":\"" HEX_A "\",\"name\":\"%s\"}]}",
             longname);
    assert_contains(refused(text, CCF_ERR_INVALID), "attestation_cas[0].name");
    longname[200] = '\0'; /* 200 bytes: the limit */
    snprintf(text, sizeof text,
             "{\"version\":1,\"attestation_cas\":[{\"sha256\":\"" HEX_A "\",\"name\":\"%s\"}]}",
             longname);
    ccf_trust_free(parsed(text));
    assert_contains(refused("{\"version\":1,\"measurements\":[{\"platform\":\"linux\",\"sha256\":\"" HEX_A
                            "\",\"name\":7}]}",
                            CCF_ERR_INVALID),
                    "measurements[0].name");
    assert_contains(refused("{\"version\":1,\"attestation_cas\":[\"" HEX_A "\"]}", CCF_ERR_INVALID),
                    "attestation_cas[0]");
    assert_contains(refused("{\"version\":1,\"attestation_cas\":{\"sha256\":\"" HEX_A "\"}}",
                            CCF_ERR_INVALID),
                    "attestation_cas");
    assert_contains(refused("{\"version\":1,\"measurements\":null}", CCF_ERR_INVALID),
                    "measurements");
}

static void test_flags_must_be_boolean(void **state)
{
    (void)state;
    static const char *const flags[] = {"allow_development_platform", "allow_debug",
                                        "allow_unsandboxed"};
    static const char *const bad[] = {"1", "0", "\"true\"", "null", "[]", "{}"};
    char text[256];
    for (size_t f = 0; f < 3; f++) {
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            snprintf(text, sizeof text, "{\"version\":1,\"%s\":%s}", flags[f], bad[i]);
            assert_contains(refused(text, CCF_ERR_INVALID), flags[f]);
        }
        snprintf(text, sizeof text, "{\"version\":1,\"%s\":true}", flags[f]);
        ccf_trust *t = parsed(text);
        bool *v[] = {&t->allow_development_platform, &t->allow_debug, &t->allow_unsandboxed};
        for (size_t g = 0; g < 3; g++)
            assert_int_equal(*v[g], g == f);
        ccf_trust_free(t);
    }
}

/* A file with n CA entries (distinct hashes) under member, or n measurements. */
static char *many_entries(const char *member, size_t n)
{
    size_t cap = 128 + n * 128, len = 0;
    char *s = malloc(cap);
    assert_non_null(s);
    len += (size_t)snprintf(s + len, cap - len, "{\"version\":1,\"%s\":[", member);
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(s + len, cap - len,
                                "%s{%s\"sha256\":\"%064zx\"}", i ? "," : "",
                                strcmp(member, "measurements") == 0 ? "\"platform\":\"tdx\"," : "",
                                i);
    snprintf(s + len, cap - len, "]}");
    return s;
}

static void test_entry_count_cap(void **state)
{
    (void)state;
    static const char *const members[] = {"attestation_cas", "measurements"};
    for (size_t m = 0; m < 2; m++) {
        char *text = many_entries(members[m], CCF_TRUST_MAX_ENTRIES);
        ccf_trust *t = parsed(text);
        assert_int_equal(m ? t->measurement_count : t->ca_count, CCF_TRUST_MAX_ENTRIES);
        ccf_trust_free(t);
        free(text);
        text = many_entries(members[m], CCF_TRUST_MAX_ENTRIES + 1);
        const char *e = refused(text, CCF_ERR_INVALID);
        assert_contains(e, members[m]);
        assert_contains(e, "256");
        free(text);
    }
    /* and programmatically: add refuses the 257th */
    ccf_trust *t = ccf_trust_new();
    bool added;
    uint8_t h[32] = {0};
    for (size_t i = 0; i < CCF_TRUST_MAX_ENTRIES; i++) {
        h[0] = (uint8_t)i;
        h[1] = (uint8_t)(i >> 8);
        assert_int_equal(ccf_trust_add_ca(t, h, NULL, &added), CCF_OK);
        assert_true(added);
    }
    h[1] = 0x7f;
    assert_int_equal(ccf_trust_add_ca(t, h, NULL, &added), CCF_ERR_TOO_LARGE);
    assert_false(added);
    assert_int_equal(t->ca_count, CCF_TRUST_MAX_ENTRIES);
    ccf_trust_free(t);
}

static void test_size_cap(void **state)
{
    (void)state;
    char err[256];
    ccf_trust *t = NULL;
    size_t n = CCF_TRUST_MAX_BYTES;
    char *text = malloc(n + 2);
    assert_non_null(text);
    /* exactly the cap, padded with whitespace: accepted */
    memset(text, ' ', n + 1);
    memcpy(text, "{\"version\":1}", 13);
    text[n + 1] = '\0';
    assert_int_equal(ccf_trust_parse(text, n, &t, err, sizeof err), CCF_OK);
    ccf_trust_free(t);
    t = (ccf_trust *)1;
    err[0] = '\0';
    assert_int_equal(ccf_trust_parse(text, n + 1, &t, err, sizeof err), CCF_ERR_TOO_LARGE);
    assert_null(t);
    assert_contains(err, "262144");
    free(text);
}

static void test_not_an_object_empty_duplicates(void **state)
{
    (void)state;
    char err[256];
    ccf_trust *t = (ccf_trust *)1;
    assert_contains(refused("[]", CCF_ERR_INVALID), "object");
    assert_contains(refused("[{\"version\":1}]", CCF_ERR_INVALID), "object");
    refused("\"version\"", CCF_ERR_INVALID);
    refused("1", CCF_ERR_INVALID);
    refused("null", CCF_ERR_INVALID);
    refused("", CCF_ERR_INVALID);
    refused("   \n", CCF_ERR_INVALID);
    refused("{\"version\":1", CCF_ERR_INVALID);
    refused("{\"version\":1}{}", CCF_ERR_INVALID);
    /* empty text with a NULL pointer */
    err[0] = '\0';
    assert_int_equal(ccf_trust_parse(NULL, 0, &t, err, sizeof err), CCF_ERR_INVALID);
    assert_null(t);
    assert_true(err[0] != '\0');
    /* duplicate keys: refused wherever they are, and the error says so */
    const char *e = refused("{\"version\":1,\"version\":1}", CCF_ERR_INVALID);
    assert_contains(e, "duplicate");
    e = refused("{\"version\":1,\"allow_debug\":false,\"allow_debug\":true}", CCF_ERR_INVALID);
    assert_contains(e, "duplicate");
    e = refused("{\"version\":1,\"attestation_cas\":[{\"sha256\":\"" HEX_A "\",\"sha256\":\"" HEX_B
                "\"}]}",
                CCF_ERR_INVALID);
    assert_contains(e, "duplicate");
    /* a NUL byte inside the text is not a terminator */
    static const char with_nul[] = "{\"version\":1}\0{\"x\":1}";
    t = (ccf_trust *)1;
    assert_int_not_equal(ccf_trust_parse(with_nul, sizeof with_nul - 1, &t, err, sizeof err),
                         CCF_OK);
    assert_null(t);
}

static void test_error_buffer_bounded(void **state)
{
    (void)state;
    char err[8];
    ccf_trust *t = NULL;
    memset(err, 'x', sizeof err);
    static const char text[] = "{\"version\":1,\"an_unknown_member_with_a_long_name\":1}";
    assert_int_equal(ccf_trust_parse(text, sizeof text - 1, &t, err, sizeof err), CCF_ERR_INVALID);
    assert_int_equal(strlen(err), sizeof err - 1);
    assert_null(t);
}

/* ---- add / remove ------------------------------------------------------- */

static void test_add_is_idempotent(void **state)
{
    (void)state;
    uint8_t a[32], b[32];
    bool added;
    hash_of(HEX_A, a);
    hash_of(HEX_B, b);
    ccf_trust *t = ccf_trust_new();
    assert_non_null(t);
    assert_int_equal(ccf_trust_add_ca(t, a, "first", &added), CCF_OK);
    assert_true(added);
    assert_int_equal(ccf_trust_add_ca(t, a, "again", &added), CCF_OK);
    assert_false(added);
    assert_int_equal(ccf_trust_add_ca(t, a, NULL, &added), CCF_OK);
    assert_false(added);
    assert_int_equal(t->ca_count, 1);
    assert_string_equal(t->cas[0].name, "first");

    assert_int_equal(ccf_trust_add_measurement(t, CCF_RUNTIME_LINUX, a, NULL, &added), CCF_OK);
    assert_true(added);
    assert_int_equal(ccf_trust_add_measurement(t, CCF_RUNTIME_LINUX, a, "x", &added), CCF_OK);
    assert_false(added);
    /* the same hash for another platform is another entry */
    assert_int_equal(ccf_trust_add_measurement(t, CCF_RUNTIME_SEVSNP, a, NULL, &added), CCF_OK);
    assert_true(added);
    assert_int_equal(ccf_trust_add_measurement(t, CCF_RUNTIME_SEVSNP, b, NULL, &added), CCF_OK);
    assert_true(added);
    assert_int_equal(t->measurement_count, 3);

    /* the file form: a duplicated entry collapses into one, emit is stable */
    char *once = NULL, *twice = NULL;
    assert_int_equal(ccf_trust_emit(t, &once), CCF_OK);
    ccf_trust *u = parsed(once);
    assert_int_equal(ccf_trust_add_ca(u, a, NULL, &added), CCF_OK);
    assert_false(added);
    assert_int_equal(ccf_trust_emit(u, &twice), CCF_OK);
    assert_string_equal(once, twice);
    ccf_trust_free(u);
    free(twice);
    u = parsed("{\"version\":1,\"attestation_cas\":[{\"sha256\":\"" HEX_A "\"},{\"sha256\":\"" HEX_A
               "\"}]}");
    assert_int_equal(u->ca_count, 1);
    ccf_trust_free(u);
    free(once);
    ccf_trust_free(t);
}

static void test_remove(void **state)
{
    (void)state;
    uint8_t a[32], b[32];
    bool added;
    size_t removed = 99;
    hash_of(HEX_A, a);
    hash_of(HEX_B, b);
    ccf_trust *t = parsed(full_text);
    assert_int_equal(ccf_trust_add_measurement(t, CCF_RUNTIME_TDX, a, "tdx too", &added), CCF_OK);
    assert_true(added);
    /* A is a CA, a linux and a tdx measurement: all three go */
    ccf_trust_remove(t, a, &removed);
    assert_int_equal(removed, 3);
    assert_int_equal(t->ca_count, 1);
    assert_memory_equal(t->cas[0].sha256, b, 32);
    assert_int_equal(t->measurement_count, 1);
    assert_memory_equal(t->measurements[0].sha256, b, 32);
    assert_int_equal(t->measurements[0].platform, CCF_RUNTIME_SEVSNP);
    assert_false(ccf_trust_has_measurement(t, CCF_RUNTIME_LINUX, a));
    assert_false(ccf_trust_has_measurement(t, CCF_RUNTIME_TDX, a));
    /* again: nothing left to remove */
    ccf_trust_remove(t, a, &removed);
    assert_int_equal(removed, 0);
    /* after removal the file still round-trips, and re-adding works */
    char *out = NULL;
    assert_int_equal(ccf_trust_emit(t, &out), CCF_OK);
    ccf_trust *u = parsed(out);
    assert_int_equal(u->ca_count, 1);
    assert_int_equal(u->measurement_count, 1);
    ccf_trust_free(u);
    free(out);
    assert_int_equal(ccf_trust_add_ca(t, a, NULL, &added), CCF_OK);
    assert_true(added);
    ccf_trust_remove(t, b, &removed);
    assert_int_equal(removed, 2);
    assert_int_equal(t->ca_count, 1);
    assert_int_equal(t->measurement_count, 0);
    ccf_trust_free(t);
    ccf_trust_free(NULL); /* a no-op */
}

/* ---- certificates and policies ---------------------------------------- */

static X509 *test_ca(void)
{
    char *pem = read_test_file("certs/proxy-ca.crt"), err[256];
    X509 *x = NULL;
    if (ccf_pki_cert_from_pem(pem, strlen(pem), &x, err, sizeof err) != CCF_OK)
        fail_msg("proxy-ca.crt: %s", err);
    free(pem);
    return x;
}

static void der_sha256(X509 *x, uint8_t out[32])
{
    unsigned int n = 0;
    assert_int_equal(X509_digest(x, EVP_sha256(), out, &n), 1);
    assert_int_equal(n, 32);
}

/* A fresh self-signed CA (P-256), its PEM in *pem. */
static X509 *fresh_ca(char **pem)
{
    EVP_PKEY *key = NULL;
    X509 *x = NULL;
    char err[256];
    assert_int_equal(ccf_pki_key_new(&key, err, sizeof err), CCF_OK);
    assert_int_equal(ccf_pki_cert_new(key, "impostor CA", NULL, time(NULL) + 3600, &x, err,
                                      sizeof err),
                     CCF_OK);
    assert_int_equal(ccf_pki_cert_add_ext(x, NULL, NID_basic_constraints, "critical,CA:TRUE"),
                     CCF_OK);
    assert_int_equal(ccf_pki_cert_sign(x, key), CCF_OK);
    assert_int_equal(ccf_pki_cert_to_pem(x, pem), CCF_OK);
    EVP_PKEY_free(key);
    return x;
}

static void test_has_ca(void **state)
{
    (void)state;
    uint8_t h[32];
    bool added;
    X509 *ca = test_ca();
    char *pem = NULL;
    X509 *other = fresh_ca(&pem);
    ccf_trust *t = ccf_trust_new();
    assert_false(ccf_trust_has_ca(t, ca));
    assert_false(ccf_trust_has_ca(t, NULL));
    der_sha256(ca, h);
    assert_int_equal(ccf_trust_add_ca(t, h, "test proxy CA", &added), CCF_OK);
    assert_true(ccf_trust_has_ca(t, ca));
    assert_false(ccf_trust_has_ca(t, other));
    assert_false(ccf_trust_has_ca(t, NULL));
    /* a measurement with the CA's hash does not make it a CA */
    ccf_trust_free(t);
    t = ccf_trust_new();
    assert_int_equal(ccf_trust_add_measurement(t, CCF_RUNTIME_LINUX, h, NULL, &added), CCF_OK);
    assert_false(ccf_trust_has_ca(t, ca));
    ccf_trust_free(t);
    X509_free(ca);
    X509_free(other);
    free(pem);
}

/* spec-full.json, its nitro hash dropped and a linux measurement HEX_A offered
 * instead, optionally with another proxy_service_cert / more members. */
static ccf_policy *full_policy(const char *ca_pem, const char *extra_key, const char *extra_value)
{
    char *text = read_test_file("policies/spec-full.json");
    json_t *j = json_loads(text, 0, NULL);
    free(text);
    assert_non_null(j);
    json_object_set_new(j, "runtime_manager_hash_nitro", json_string(""));
    json_object_set_new(j, "runtime_manager_hash_linux", json_string(HEX_A));
    if (ca_pem != NULL)
        json_object_set_new(j, "proxy_service_cert", json_string(ca_pem));
    if (extra_key != NULL)
        json_object_set_new(j, extra_key, json_string(extra_value));
    text = json_dumps(j, JSON_SORT_KEYS);
    json_decref(j);
    ccf_policy *p = NULL;
    ccf_policy_errors errors;
    if (ccf_policy_parse(text, strlen(text), CCF_POLICY_FULL, &p, &errors) != CCF_OK)
        fail_msg("policy: %s: %s", errors.count ? errors.items[0].path : "",
                 errors.count ? errors.items[0].message : "?");
    free(text);
    return p;
}

static ccf_trust *trusting_test_ca(void)
{
    uint8_t h[32], a[32];
    bool added;
    X509 *ca = test_ca();
    der_sha256(ca, h);
    X509_free(ca);
    hash_of(HEX_A, a);
    ccf_trust *t = ccf_trust_new();
    assert_int_equal(ccf_trust_add_ca(t, h, NULL, &added), CCF_OK);
    assert_int_equal(ccf_trust_add_measurement(t, CCF_RUNTIME_LINUX, a, NULL, &added), CCF_OK);
    return t;
}

static void test_check_policy_accepts_trusted(void **state)
{
    (void)state;
    char err[512] = "";
    ccf_trust *t = trusting_test_ca();
    ccf_policy *p = full_policy(NULL, NULL, NULL);
    assert_int_equal(ccf_trust_check_policy(t, p, err, sizeof err), CCF_OK);
    ccf_policy_free(p);
    /* a second offered measurement that is trusted too */
    uint8_t b[32];
    bool added;
    hash_of(HEX_B, b);
    assert_int_equal(ccf_trust_add_measurement(t, CCF_RUNTIME_SEVSNP, b, NULL, &added), CCF_OK);
    p = full_policy(NULL, "runtime_manager_hash_sevsnp", HEX_B);
    assert_int_equal(ccf_trust_check_policy(t, p, err, sizeof err), CCF_OK);
    ccf_policy_free(p);
    ccf_trust_free(t);
}

static void test_check_policy_refuses_untrusted_ca(void **state)
{
    (void)state;
    char err[512] = "", *pem = NULL;
    X509 *impostor = fresh_ca(&pem);
    ccf_trust *t = trusting_test_ca();
    /* the attack of issue 14: a host's own CA in the policy it hands out */
    ccf_policy *p = full_policy(pem, NULL, NULL);
    assert_int_equal(ccf_trust_check_policy(t, p, err, sizeof err), CCF_ERR_DENIED);
    assert_contains(err, "proxy_service_cert");
    uint8_t h[32];
    char hex[65];
    der_sha256(impostor, h);
    ccf_hex_encode(h, 32, hex);
    assert_contains(err, hex); /* the fingerprint to check, if the user means to trust it */
    ccf_policy_free(p);
    /* an empty trust configuration trusts no CA at all */
    ccf_trust *empty = ccf_trust_new();
    p = full_policy(NULL, NULL, NULL);
    assert_int_equal(ccf_trust_check_policy(empty, p, err, sizeof err), CCF_ERR_DENIED);
    assert_contains(err, "proxy_service_cert");
    ccf_policy_free(p);
    ccf_trust_free(empty);
    ccf_trust_free(t);
    X509_free(impostor);
    free(pem);
}

static void test_check_policy_refuses_untrusted_measurement(void **state)
{
    (void)state;
    char err[512] = "";
    uint8_t a[32], b[32];
    bool added;
    size_t removed;
    hash_of(HEX_A, a);
    hash_of(HEX_B, b);
    ccf_trust *t = trusting_test_ca();
    /* linux offered with an untrusted hash */
    ccf_policy *p = full_policy(NULL, "runtime_manager_hash_linux", HEX_B);
    assert_int_equal(ccf_trust_check_policy(t, p, err, sizeof err), CCF_ERR_DENIED);
    assert_contains(err, "runtime_manager_hash_linux");
    assert_null(strstr(err, "proxy_service_cert"));
    ccf_policy_free(p);
    /* a trusted linux hash, plus an offered sevsnp hash nobody trusts */
    p = full_policy(NULL, "runtime_manager_hash_sevsnp", HEX_B);
    assert_int_equal(ccf_trust_check_policy(t, p, err, sizeof err), CCF_ERR_DENIED);
    assert_contains(err, "runtime_manager_hash_sevsnp");
    ccf_policy_free(p);
    /* the hash is trusted, but for another platform */
    ccf_trust_remove(t, a, &removed);
    assert_int_equal(removed, 1);
    assert_int_equal(ccf_trust_add_measurement(t, CCF_RUNTIME_SEVSNP, a, NULL, &added), CCF_OK);
    p = full_policy(NULL, NULL, NULL);
    assert_int_equal(ccf_trust_check_policy(t, p, err, sizeof err), CCF_ERR_DENIED);
    assert_contains(err, "runtime_manager_hash_linux");
    ccf_policy_free(p);
    /* spec-full as it is: the nitro hash is offered and not trusted */
    char *text = read_test_file("policies/spec-full.json");
    assert_int_equal(ccf_policy_parse(text, strlen(text), CCF_POLICY_FULL, &p, NULL), CCF_OK);
    free(text);
    assert_int_equal(ccf_trust_check_policy(t, p, err, sizeof err), CCF_ERR_DENIED);
    assert_contains(err, "runtime_manager_hash_nitro");
    ccf_policy_free(p);
    ccf_trust_free(t);
}

static void test_check_policy_needs_full_policy(void **state)
{
    (void)state;
    char err[256] = "";
    ccf_policy *p = NULL;
    char *text = read_test_file("policies/spec-user.json");
    assert_int_equal(ccf_policy_parse(text, strlen(text), CCF_POLICY_USER, &p, NULL), CCF_OK);
    free(text);
    ccf_trust *t = trusting_test_ca();
    assert_int_not_equal(ccf_trust_check_policy(t, p, err, sizeof err), CCF_OK);
    assert_true(err[0] != '\0');
    ccf_policy_free(p);
    ccf_trust_free(t);
}

/* ---- launch configuration ---------------------------------------------- */

static const char launch_default[] =
    "{\"clean_environment\":true,\"debug\":false,\"fuel\":0,\"max_exec_seconds\":600,"
    "\"max_file_mib\":0,\"platform\":\"linux\",\"sandbox\":true}";

static void assert_launch_equal(const ccf_launch *a, const ccf_launch *b)
{
    assert_int_equal(a->platform, b->platform);
    assert_int_equal(a->sandbox, b->sandbox);
    assert_int_equal(a->debug, b->debug);
    assert_int_equal(a->clean_environment, b->clean_environment);
    assert_int_equal(a->fuel, b->fuel);
    assert_int_equal(a->max_exec_seconds, b->max_exec_seconds);
    assert_int_equal(a->max_file_mib, b->max_file_mib);
}

static void test_launch_round_trip(void **state)
{
    (void)state;
    char err[256], *text = NULL;
    ccf_launch l, m;
    assert_int_equal(ccf_launch_parse(launch_default, strlen(launch_default), &l, err, sizeof err),
                     CCF_OK);
    assert_int_equal(l.platform, CCF_RUNTIME_LINUX);
    assert_true(l.sandbox);
    assert_false(l.debug);
    assert_true(l.clean_environment);
    assert_int_equal(l.fuel, 0);
    assert_int_equal(l.max_exec_seconds, 600);
    assert_int_equal(l.max_file_mib, 0);
    assert_int_equal(ccf_launch_encode(&l, &text), CCF_OK);
    assert_string_equal(text, launch_default); /* the wire form is canonical */
    free(text);

    for (int p = 0; p < CCF_RUNTIME_COUNT; p++) {
        ccf_launch x = {.platform = (ccf_runtime_platform)p,
                        .sandbox = p % 2,
                        .debug = p % 3 == 0,
                        .clean_environment = p % 2 == 0,
                        .fuel = (uint64_t)p * 1000000007u,
                        .max_exec_seconds = (uint64_t)p,
                        .max_file_mib = INT64_MAX};
        assert_int_equal(ccf_launch_encode(&x, &text), CCF_OK);
        assert_true(strlen(text) <= CCF_LAUNCH_MAX_TEXT);
        assert_int_equal(ccf_launch_parse(text, strlen(text), &m, err, sizeof err), CCF_OK);
        assert_launch_equal(&x, &m);
        free(text);
    }
    /* member order and spacing are not significant to the parser */
    static const char shuffled[] =
        " { \"sandbox\" : false, \"platform\":\"tdx\",\"max_file_mib\":3,\"max_exec_seconds\":0,"
        "\"fuel\":5,\"debug\":true,\"clean_environment\":false}";
    assert_int_equal(ccf_launch_parse(shuffled, strlen(shuffled), &l, err, sizeof err), CCF_OK);
    assert_int_equal(l.platform, CCF_RUNTIME_TDX);
    assert_false(l.sandbox);
    assert_true(l.debug);
    assert_int_equal(l.fuel, 5);
    assert_int_equal(l.max_file_mib, 3);
    /* the hash is of the exact bytes */
    uint8_t h1[32], h2[32];
    assert_true(ccf_launch_hash(launch_default, strlen(launch_default), h1));
    assert_true(ccf_launch_hash(shuffled, strlen(shuffled), h2));
    assert_memory_not_equal(h1, h2, 32);
}

/* Every value encode accepts must parse back: the runtime states its own
 * launch and a client must be able to read it. */
static void test_launch_large_values_round_trip(void **state)
{
    (void)state;
    char err[256], *text = NULL;
    ccf_launch x = {.platform = CCF_RUNTIME_LINUX, .sandbox = true, .clean_environment = true,
                    .fuel = UINT64_MAX, .max_exec_seconds = (uint64_t)INT64_MAX + 1u,
                    .max_file_mib = 0};
    ccf_launch m;
    ccf_err rc = ccf_launch_encode(&x, &text);
    if (rc == CCF_OK) {
        char shown[CCF_LAUNCH_MAX_TEXT + 1];
        snprintf(shown, sizeof shown, "%s", text);
        rc = ccf_launch_parse(text, strlen(text), &m, err, sizeof err);
        free(text);
        if (rc != CCF_OK)
            fail_msg("encoded %s, which parse refuses: %s", shown, err);
        assert_int_equal(m.fuel, x.fuel);
        assert_int_equal(m.max_exec_seconds, x.max_exec_seconds);
    } /* else: refusing to encode an unrepresentable value is fine too */
}

static void launch_refused(const char *text, const char *what)
{
    char err[256] = "";
    ccf_launch l;
    ccf_err rc = ccf_launch_parse(text, strlen(text), &l, err, sizeof err);
    if (rc == CCF_OK)
        fail_msg("accepted: %s", text);
    assert_true(err[0] != '\0');
    if (what != NULL)
        assert_contains(err, what);
}

static void test_launch_refusals(void **state)
{
    (void)state;
    /* every member is required */
    static const char *const members[] = {"clean_environment", "debug", "fuel", "max_exec_seconds",
                                          "max_file_mib", "platform", "sandbox"};
    json_t *base = json_loads(launch_default, 0, NULL);
    assert_non_null(base);
    for (size_t i = 0; i < 7; i++) {
        json_t *j = json_deep_copy(base);
        json_object_del(j, members[i]);
        char *s = json_dumps(j, JSON_COMPACT);
        launch_refused(s, NULL);
        /* missing one, one unknown instead: still 7 members, still refused */
        json_object_set_new(j, "extra", json_true());
        free(s);
        s = json_dumps(j, JSON_COMPACT);
        launch_refused(s, members[i]);
        free(s);
        json_decref(j);
    }
    json_t *j = json_deep_copy(base);
    json_object_set_new(j, "extra", json_false());
    char *s = json_dumps(j, JSON_COMPACT);
    launch_refused(s, NULL);
    free(s);
    json_decref(j);

    /* wrong types, negative numbers, unknown platforms */
    static const struct {
        const char *member, *value;
    } bad[] = {
        {"clean_environment", "1"}, {"debug", "\"false\""}, {"sandbox", "null"},
        {"fuel", "-1"}, {"max_exec_seconds", "-600"}, {"max_file_mib", "-9223372036854775808"},
        {"fuel", "1.5"}, {"fuel", "\"0\""}, {"max_exec_seconds", "true"}, {"max_file_mib", "[]"},
        {"platform", "\"sev\""}, {"platform", "\"LINUX\""}, {"platform", "\"\""},
        {"platform", "3"}, {"fuel", "18446744073709551616"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *k = json_deep_copy(base);
        json_error_t je;
        json_t *v = json_loads(bad[i].value, JSON_DECODE_ANY, &je);
        char text[512];
        if (v == NULL) { /* out of jansson's integer range: splice the text in */
            snprintf(text, sizeof text,
                     "{\"clean_environment\":true,\"debug\":false,\"fuel\":%s,\"max_exec_seconds\":"
                     "600,\"max_file_mib\":0,\"platform\":\"linux\",\"sandbox\":true}",
                     bad[i].value);
            launch_refused(text, NULL);
        } else {
            json_object_set_new(k, bad[i].member, v);
            char *t = json_dumps(k, JSON_COMPACT);
            launch_refused(t, bad[i].member);
            free(t);
        }
        json_decref(k);
    }
    json_decref(base);

    /* not an object, empty, broken, duplicates */
    launch_refused("", NULL);
    launch_refused("[]", NULL);
    launch_refused("null", NULL);
    launch_refused("{\"clean_environment\":true", NULL);
    launch_refused("{\"clean_environment\":true,\"debug\":false,\"fuel\":0,\"max_exec_seconds\":600,"
                   "\"max_file_mib\":0,\"platform\":\"linux\",\"sandbox\":true,\"sandbox\":false}",
                   NULL);
    launch_refused("{\"clean_environment\":true,\"debug\":false,\"fuel\":0,\"max_exec_seconds\":600,"
                   "\"max_file_mib\":0,\"platform\":\"linux\",\"sandbox\":true,\"debug\":true}",
                   NULL);
    char err[64];
    ccf_launch l;
    assert_int_not_equal(ccf_launch_parse(NULL, 0, &l, err, sizeof err), CCF_OK);

    /* over 512 bytes: refused before parsing, even when valid JSON */
    char big[CCF_LAUNCH_MAX_TEXT + 2];
    size_t n = strlen(launch_default);
    memcpy(big, launch_default, n);
    memset(big + n, ' ', sizeof big - n);
    big[CCF_LAUNCH_MAX_TEXT] = '\0'; /* exactly 512 bytes: accepted */
    assert_int_equal(ccf_launch_parse(big, CCF_LAUNCH_MAX_TEXT, &l, err, sizeof err), CCF_OK);
    big[CCF_LAUNCH_MAX_TEXT + 1] = '\0';
    assert_int_equal(ccf_launch_parse(big, CCF_LAUNCH_MAX_TEXT + 1, &l, err, sizeof err),
                     CCF_ERR_TOO_LARGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_fields),
        cmocka_unit_test(test_canonical_round_trip),
        cmocka_unit_test(test_round_trip_every_platform),
        cmocka_unit_test(test_member_order_and_spacing_do_not_matter),
        cmocka_unit_test(test_uppercase_hex_accepted_emitted_lowercase),
        cmocka_unit_test(test_version_required_and_one),
        cmocka_unit_test(test_unknown_members_named),
        cmocka_unit_test(test_bad_sha256_named),
        cmocka_unit_test(test_bad_platform_named),
        cmocka_unit_test(test_bad_names_entries_lists_named),
        cmocka_unit_test(test_flags_must_be_boolean),
        cmocka_unit_test(test_entry_count_cap),
        cmocka_unit_test(test_size_cap),
        cmocka_unit_test(test_not_an_object_empty_duplicates),
        cmocka_unit_test(test_error_buffer_bounded),
        cmocka_unit_test(test_add_is_idempotent),
        cmocka_unit_test(test_remove),
        cmocka_unit_test(test_has_ca),
        cmocka_unit_test(test_check_policy_accepts_trusted),
        cmocka_unit_test(test_check_policy_refuses_untrusted_ca),
        cmocka_unit_test(test_check_policy_refuses_untrusted_measurement),
        cmocka_unit_test(test_check_policy_needs_full_policy),
        cmocka_unit_test(test_launch_round_trip),
        cmocka_unit_test(test_launch_large_values_round_trip),
        cmocka_unit_test(test_launch_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
