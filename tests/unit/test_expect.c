/* Unit tests for src/client/expect (issue 14: the policy is checked against
 * what its user asked, and the function is pinned like an SSH host key):
 * - ccf_expect_user_policy: the full policy's identities and rights are the
 *   user policy's, plus at most one write-only loader of the function's files;
 *   every other difference is refused, naming the identity;
 * - function pins: equal programs give equal pins; a changed pi_hash, changed
 *   rights, an added or removed program or data file are each reported;
 * - ccf_expect_check with a known-functions file in a temporary directory:
 *   first sight records, the same programs pass, a swapped program is refused
 *   with the difference; a corrupt file is refused; --function-policy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/expect.h"
#include "common/file.h"
#include "policy/policy.h"
#include "policy/rights.h"

#define LOADER CCF_EXPECT_LOADER_RIGHTS /* 533572 */
#define READ_ONLY 8198u                 /* what spec-user gives the owner on output */
#define PI_A "3fc011587de8a340c0ee36d733c3e52a42babc5fe6b12a074d94204495fd5877"
#define PI_B "abababababababababababababababababababababababababababababababab"
#define PI_C "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"

static char dir[] = "/tmp/ccf-expect-XXXXXX";
static char known_path[256];
static json_t *full_base;    /* spec-full.json: loader 0 + data owner 1, one program */
static char *pem_loader, *pem_owner, *pem_reader;

static char *read_test_file(const char *rel)
{
    char path[1024], err[256], *text = NULL;
    size_t len = 0;
    const char *data = getenv("CCF_TEST_DATA");
    snprintf(path, sizeof path, "%s/%s", data ? data : "tests/data", rel);
    if (ccf_file_read(path, 1 << 20, &text, &len, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "%s: %s\n", path, err);
        return NULL;
    }
    return text;
}

static int setup(void **state)
{
    (void)state;
    if (mkdtemp(dir) == NULL)
        return -1;
    snprintf(known_path, sizeof known_path, "%s/known_functions.json", dir);
    char *text = read_test_file("policies/spec-full.json");
    pem_loader = read_test_file("certs/loader.crt");
    pem_owner = read_test_file("certs/data-owner.crt");
    pem_reader = read_test_file("certs/result-reader.crt");
    if (text == NULL || pem_loader == NULL || pem_owner == NULL || pem_reader == NULL)
        return -1;
    full_base = json_loads(text, 0, NULL);
    free(text);
    return full_base ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[300];
    (void)state;
    json_decref(full_base);
    free(pem_loader);
    free(pem_owner);
    free(pem_reader);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void assert_contains(const char *haystack, const char *needle)
{
    if (strstr(haystack, needle) == NULL)
        fail_msg("\"%s\" does not contain \"%s\"", haystack, needle);
}

/* ---- building policies ------------------------------------------------- */

/* [{"file_name": name, "rights": r}, ...] from NULL-terminated pairs. */
static json_t *rights(const char *name, ...)
{
    json_t *a = json_array();
    va_list ap;
    va_start(ap, name);
    for (const char *n = name; n != NULL; n = va_arg(ap, const char *)) {
        unsigned r = va_arg(ap, unsigned);
        json_array_append_new(a, json_pack("{s:s,s:i}", "file_name", n, "rights", (int)r));
    }
    va_end(ap);
    return a;
}

static json_t *identity(const char *pem, json_t *file_rights)
{
    return json_pack("{s:s,s:o}", "certificate", pem, "file_rights", file_rights);
}

/* The owner as spec-user.json has it: writes input-0, reads output. */
static json_t *owner(void)
{
    return identity(pem_owner, rights("input-0", LOADER, "output", READ_ONLY, NULL));
}

static json_t *program(const char *name, const char *pi_hash, json_t *file_rights)
{
    return json_pack("{s:s,s:s,s:o}", "program_file_name", name, "pi_hash", pi_hash,
                     "file_rights", file_rights);
}

static json_t *lr_program(const char *pi_hash)
{
    return program("linear-regression.wasm", pi_hash,
                   rights("input-0", READ_ONLY, "output", LOADER, NULL));
}

/* Parses j (consumed) as kind; ids are given to identities and programs in
 * order. */
static ccf_policy *policy_of(json_t *j, ccf_policy_kind kind)
{
    size_t i;
    json_t *e;
    ccf_policy *p = NULL;
    ccf_policy_errors errors;
    json_array_foreach(json_object_get(j, "identities"), i, e) {
        if (kind == CCF_POLICY_USER)
            json_object_del(e, "id");
        else
            json_object_set_new(e, "id", json_integer((json_int_t)i));
    }
    json_array_foreach(json_object_get(j, "programs"), i, e)
        json_object_set_new(e, "id", json_integer((json_int_t)i));
    char *text = json_dumps(j, JSON_SORT_KEYS);
    json_decref(j);
    assert_non_null(text);
    if (ccf_policy_parse(text, strlen(text), kind, &p, &errors) != CCF_OK)
        fail_msg("%s policy: %s: %s\n%s", ccf_policy_kind_name(kind),
                 errors.count ? errors.items[0].path : "", errors.count ? errors.items[0].message : "?",
                 text);
    free(text);
    return p;
}

/* spec-full.json with these identities (a JSON array, consumed), programs
 * (NULL: spec-full's) and data files (NULL: none). */
static ccf_policy *full(json_t *identities, json_t *programs, json_t *data_files)
{
    json_t *j = json_deep_copy(full_base);
    json_object_set_new(j, "identities", identities);
    if (programs != NULL)
        json_object_set_new(j, "programs", programs);
    if (data_files != NULL)
        json_object_set_new(j, "data_files", data_files);
    return policy_of(j, CCF_POLICY_FULL);
}

/* The user policy of spec-user.json (function "objectdetection"), with these
 * identities (NULL: the owner as spec-user.json has it). */
static ccf_policy *user_named(const char *function, json_t *identities)
{
    json_t *j = json_pack("{s:s,s:s,s:o}", "function", function, "instanceid", "idtest",
                          "identities", identities ? identities : json_pack("[o]", owner()));
    return policy_of(j, CCF_POLICY_USER);
}

static ccf_policy *user(json_t *identities) { return user_named("objectdetection", identities); }

/* A program policy (what the function was registered with). */
static ccf_policy *program_policy(json_t *programs, json_t *data_files)
{
    json_t *j = json_pack("{s:s,s:s,s:o}", "function", "objectdetection", "execution_strategy",
                          "Interpretation", "programs", programs);
    if (data_files != NULL)
        json_object_set_new(j, "data_files", data_files);
    return policy_of(j, CCF_POLICY_PROGRAM);
}

static json_t *loader_on(json_t *file_rights) { return identity(pem_loader, file_rights); }

/* Expects a refusal of full vs user; returns the (static) findings. */
static const char *user_refused(ccf_policy *f, ccf_policy *u)
{
    static char err[2048];
    err[0] = '\0';
    ccf_err rc = ccf_expect_user_policy(f, u, err, sizeof err);
    if (rc != CCF_ERR_DENIED)
        fail_msg("got %s (%s), expected a refusal", ccf_strerror(rc), err);
    assert_true(err[0] != '\0');
    ccf_policy_free(f);
    ccf_policy_free(u);
    return err;
}

static void user_accepted(ccf_policy *f, ccf_policy *u)
{
    char err[2048] = "";
    ccf_err rc = ccf_expect_user_policy(f, u, err, sizeof err);
    if (rc != CCF_OK)
        fail_msg("refused: %s", err);
    ccf_policy_free(f);
    ccf_policy_free(u);
}

/* ---- user policy ------------------------------------------------------- */

static void test_spec_examples_match(void **state)
{
    (void)state;
    char *text = read_test_file("policies/spec-full.json"), err[1024] = "";
    ccf_policy *f = NULL, *u = NULL;
    assert_int_equal(ccf_policy_parse(text, strlen(text), CCF_POLICY_FULL, &f, NULL), CCF_OK);
    free(text);
    text = read_test_file("policies/spec-user.json");
    assert_int_equal(ccf_policy_parse(text, strlen(text), CCF_POLICY_USER, &u, NULL), CCF_OK);
    free(text);
    /* the spec's full policy is its user policy plus the loader of its program */
    assert_int_equal(ccf_expect_user_policy(f, u, err, sizeof err), CCF_OK);
    ccf_policy_free(f);
    ccf_policy_free(u);
}

static void test_identical_identities_accepted(void **state)
{
    (void)state;
    /* no loader at all */
    user_accepted(full(json_pack("[o]", owner()), NULL, NULL), user(NULL));
    /* the loader with exactly the write rights on the program */
    user_accepted(full(json_pack("[o,o]", loader_on(rights("linear-regression.wasm", LOADER, NULL)),
                                 owner()),
                       NULL, NULL),
                  user(NULL));
    /* order of identities and of rights entries does not matter */
    json_t *two = json_pack("[o,o]", owner(),
                            identity(pem_reader, rights("output", READ_ONLY, NULL)));
    json_t *two_rev = json_pack("[o,o,o]", identity(pem_reader, rights("output", READ_ONLY, NULL)),
                                loader_on(rights("linear-regression.wasm", LOADER, NULL)),
                                identity(pem_owner, rights("output", READ_ONLY, "input-0", LOADER,
                                                           NULL)));
    user_accepted(full(two_rev, NULL, NULL), user(two));
    /* a loader with fewer rights than the most it may have */
    user_accepted(full(json_pack("[o,o]", owner(),
                                 loader_on(rights("linear-regression.wasm",
                                                  (unsigned)(CCF_FD_WRITE | CCF_PATH_CREATE_FILE),
                                                  NULL))),
                       NULL, NULL),
                  user(NULL));
}

static void test_loader_on_data_files_accepted(void **state)
{
    (void)state;
    json_t *df = json_pack("[{s:s,s:s}]", "data_file", "model.bin", "pi_hash", PI_B);
    user_accepted(full(json_pack("[o,o]",
                                 loader_on(rights("linear-regression.wasm", LOADER, "model.bin",
                                                  LOADER, NULL)),
                                 owner()),
                       NULL, df),
                  user(NULL));
}

static void test_extra_reader_refused(void **state)
{
    (void)state;
    /* the hijack of issue 14: one more identity that may read input-0 */
    const char *e = user_refused(
        full(json_pack("[o,o,o]", loader_on(rights("linear-regression.wasm", LOADER, NULL)),
                       owner(), identity(pem_reader, rights("input-0", READ_ONLY, NULL))),
             NULL, NULL),
        user(NULL));
    assert_contains(e, "result reader");
    assert_contains(e, "input-0");
    /* the extra reader may read output only: still not asked for */
    e = user_refused(full(json_pack("[o,o]", owner(),
                                    identity(pem_reader, rights("output", CCF_FD_READ, NULL))),
                          NULL, NULL),
                     user(NULL));
    assert_contains(e, "result reader");
    assert_contains(e, "output");
    /* the extra reader reads through a directory entry */
    e = user_refused(full(json_pack("[o,o]", owner(),
                                    identity(pem_reader, rights("/", READ_ONLY, NULL))),
                          NULL, NULL),
                     user(NULL));
    assert_contains(e, "result reader");
}

static void test_extra_identity_without_rights_refused(void **state)
{
    (void)state;
    const char *e = user_refused(
        full(json_pack("[o,o]", owner(), identity(pem_reader, json_array())), NULL, NULL),
        user(NULL));
    assert_contains(e, "result reader");
}

static void test_missing_user_identity_refused(void **state)
{
    (void)state;
    json_t *two = json_pack("[o,o]", owner(),
                            identity(pem_reader, rights("output", READ_ONLY, NULL)));
    const char *e = user_refused(
        full(json_pack("[o,o]", loader_on(rights("linear-regression.wasm", LOADER, NULL)),
                       owner()),
             NULL, NULL),
        user(two));
    assert_contains(e, "result reader");
    assert_contains(e, "missing");
    /* the only user identity missing, only a loader left */
    e = user_refused(full(json_pack("[o]", loader_on(rights("linear-regression.wasm", LOADER,
                                                            NULL))),
                          NULL, NULL),
                     user(NULL));
    assert_contains(e, "data owner");
}

static void test_changed_rights_refused(void **state)
{
    (void)state;
    /* more rights on a file */
    const char *e = user_refused(
        full(json_pack("[o]", identity(pem_owner, rights("input-0", LOADER | CCF_FD_READ,
                                                         "output", READ_ONLY, NULL))),
             NULL, NULL),
        user(NULL));
    assert_contains(e, "data owner");
    /* a file more */
    e = user_refused(full(json_pack("[o]", identity(pem_owner, rights("input-0", LOADER, "output",
                                                                      READ_ONLY, "input-1",
                                                                      LOADER, NULL))),
                          NULL, NULL),
                     user(NULL));
    assert_contains(e, "data owner");
    /* a file less */
    e = user_refused(full(json_pack("[o]", identity(pem_owner, rights("input-0", LOADER, NULL))),
                          NULL, NULL),
                     user(NULL));
    assert_contains(e, "data owner");
    /* rights moved from one file to another */
    e = user_refused(full(json_pack("[o]", identity(pem_owner, rights("input-0", READ_ONLY,
                                                                      "output", LOADER, NULL))),
                          NULL, NULL),
                     user(NULL));
    assert_contains(e, "data owner");
}

static void test_loader_with_read_bit_refused(void **state)
{
    (void)state;
    static const unsigned extra[] = {CCF_FD_READ, CCF_FD_READDIR, CCF_FD_EXECUTE};
    for (size_t i = 0; i < 3; i++) {
        const char *e = user_refused(
            full(json_pack("[o,o]", loader_on(rights("linear-regression.wasm", LOADER | extra[i],
                                                     NULL)),
                           owner()),
                 NULL, NULL),
            user(NULL));
        assert_contains(e, "CCFaaS loader");
        assert_contains(e, "linear-regression.wasm");
    }
    /* other rights beyond the write set */
    const char *e = user_refused(
        full(json_pack("[o,o]", loader_on(rights("linear-regression.wasm",
                                                 LOADER | CCF_PATH_UNLINK_FILE, NULL)),
                       owner()),
             NULL, NULL),
        user(NULL));
    assert_contains(e, "CCFaaS loader");
}

static void test_loader_on_other_files_refused(void **state)
{
    (void)state;
    /* write-only, but on the data owner's input */
    const char *e = user_refused(
        full(json_pack("[o,o]", loader_on(rights("linear-regression.wasm", LOADER, "input-0",
                                                 LOADER, NULL)),
                       owner()),
             NULL, NULL),
        user(NULL));
    assert_contains(e, "CCFaaS loader");
    assert_contains(e, "input-0");
    /* on the whole root */
    e = user_refused(full(json_pack("[o,o]", loader_on(rights("/", LOADER, NULL)), owner()), NULL,
                          NULL),
                     user(NULL));
    assert_contains(e, "CCFaaS loader");
}

static void test_two_loaders_refused(void **state)
{
    (void)state;
    const char *e = user_refused(
        full(json_pack("[o,o,o]", loader_on(rights("linear-regression.wasm", LOADER, NULL)),
                       owner(),
                       identity(pem_reader, rights("linear-regression.wasm", LOADER, NULL))),
             NULL, NULL),
        user(NULL));
    assert_contains(e, "loader");
}

static void test_findings_bounded(void **state)
{
    (void)state;
    char err[16];
    ccf_policy *f = full(json_pack("[o,o]", loader_on(rights("input-0", READ_ONLY, "output",
                                                              READ_ONLY, NULL)),
                                   identity(pem_reader, rights("input-0", READ_ONLY, NULL))),
                         NULL, NULL);
    ccf_policy *u = user(NULL);
    memset(err, 'x', sizeof err);
    assert_int_equal(ccf_expect_user_policy(f, u, err, sizeof err), CCF_ERR_DENIED);
    assert_true(strlen(err) < sizeof err);
    ccf_policy_free(f);
    ccf_policy_free(u);
}

/* ---- function pins ----------------------------------------------------- */

static char *pin_of(ccf_policy *p)
{
    char *pin = NULL;
    assert_int_equal(ccf_expect_function_pin(p, &pin), CCF_OK);
    assert_non_null(pin);
    ccf_policy_free(p);
    return pin;
}

static json_t *std_identities(void)
{
    return json_pack("[o,o]", loader_on(rights("linear-regression.wasm", LOADER, NULL)), owner());
}

static const char *pins_differ(char *known, char *seen)
{
    static char err[2048];
    err[0] = '\0';
    ccf_err rc = ccf_expect_pin_compare(known, seen, err, sizeof err);
    if (rc != CCF_ERR_DENIED)
        fail_msg("got %s (%s) comparing\n%s\n%s", ccf_strerror(rc), err, known, seen);
    assert_true(err[0] != '\0');
    free(known);
    free(seen);
    return err;
}

static void pins_equal(char *known, char *seen)
{
    char err[2048] = "";
    assert_string_equal(known, seen);
    if (ccf_expect_pin_compare(known, seen, err, sizeof err) != CCF_OK)
        fail_msg("refused: %s", err);
    free(known);
    free(seen);
}

static void test_pin_same_programs_equal(void **state)
{
    (void)state;
    /* the registered function's program policy and the full policy agree */
    char *text = read_test_file("policies/spec-register-function.json");
    ccf_policy *p = NULL;
    assert_int_equal(ccf_policy_parse(text, strlen(text), CCF_POLICY_PROGRAM, &p, NULL), CCF_OK);
    free(text);
    pins_equal(pin_of(p), pin_of(full(std_identities(), NULL, NULL)));
    /* two programs, listed and with rights in another order */
    json_t *a = json_pack("[o,o]", lr_program(PI_A),
                          program("b.wasm", PI_B, rights("x", 1u, "a", 2u, NULL)));
    json_t *b = json_pack("[o,o]", program("b.wasm", PI_B, rights("a", 2u, "x", 1u, NULL)),
                          lr_program(PI_A));
    pins_equal(pin_of(program_policy(a, NULL)), pin_of(full(std_identities(), b, NULL)));
    /* identities are not part of the pin */
    pins_equal(pin_of(full(std_identities(), NULL, NULL)),
               pin_of(full(json_pack("[o]", owner()), NULL, NULL)));
}

static void test_pin_differences_reported(void **state)
{
    (void)state;
    /* a changed pi_hash */
    const char *e = pins_differ(pin_of(full(std_identities(), NULL, NULL)),
                                pin_of(full(std_identities(), json_pack("[o]", lr_program(PI_B)),
                                            NULL)));
    assert_contains(e, "linear-regression.wasm");
    assert_contains(e, "pi_hash");
    assert_contains(e, "3fc011587de8a340"); /* was */
    assert_contains(e, "abababababababab"); /* is */
    /* changed rights of the program */
    e = pins_differ(pin_of(full(std_identities(), NULL, NULL)),
                    pin_of(full(std_identities(),
                                json_pack("[o]", program("linear-regression.wasm", PI_A,
                                                         rights("input-0", READ_ONLY, "output",
                                                                LOADER, "secret", READ_ONLY,
                                                                NULL))),
                                NULL)));
    assert_contains(e, "linear-regression.wasm");
    assert_contains(e, "rights");
    /* an added program */
    e = pins_differ(pin_of(full(std_identities(), NULL, NULL)),
                    pin_of(full(std_identities(),
                                json_pack("[o,o]", lr_program(PI_A),
                                          program("exfiltrate.wasm", PI_C,
                                                  rights("input-0", READ_ONLY, NULL))),
                                NULL)));
    assert_contains(e, "exfiltrate.wasm");
    assert_contains(e, "added");
    /* a removed program */
    e = pins_differ(pin_of(full(std_identities(),
                                json_pack("[o,o]", lr_program(PI_A),
                                          program("post.wasm", PI_C, rights("output", 2u, NULL))),
                                NULL)),
                    pin_of(full(std_identities(), NULL, NULL)));
    assert_contains(e, "post.wasm");
    assert_contains(e, "removed");
    /* a program renamed: one removed, one added */
    e = pins_differ(pin_of(full(std_identities(), NULL, NULL)),
                    pin_of(full(std_identities(),
                                json_pack("[o]", program("other.wasm", PI_A,
                                                         rights("input-0", READ_ONLY, "output",
                                                                LOADER, NULL))),
                                NULL)));
    assert_contains(e, "linear-regression.wasm");
    assert_contains(e, "other.wasm");
}

static void test_pin_data_files(void **state)
{
    (void)state;
    json_t *ids = json_pack("[o,o]",
                            loader_on(rights("linear-regression.wasm", LOADER, "model.bin", LOADER,
                                             NULL)),
                            owner());
    json_t *df = json_pack("[{s:s,s:s}]", "data_file", "model.bin", "pi_hash", PI_B);
    char *with = pin_of(full(json_deep_copy(ids), NULL, json_deep_copy(df)));
    /* the function registered with the same data file: the same pin, accepted */
    pins_equal(pin_of(program_policy(json_pack("[o]", lr_program(PI_A)), json_deep_copy(df))),
               strdup(with));
    /* a data file swapped */
    json_t *df2 = json_pack("[{s:s,s:s}]", "data_file", "model.bin", "pi_hash", PI_C);
    const char *e = pins_differ(strdup(with), pin_of(full(json_deep_copy(ids), NULL, df2)));
    assert_contains(e, "model.bin");
    /* a data file added or removed */
    e = pins_differ(pin_of(full(std_identities(), NULL, NULL)), strdup(with));
    assert_contains(e, "model.bin");
    e = pins_differ(strdup(with), pin_of(full(std_identities(), NULL, NULL)));
    assert_contains(e, "model.bin");
    free(with);
    json_decref(ids);
    json_decref(df);
}

static void test_pin_compare_unreadable(void **state)
{
    (void)state;
    char err[256];
    char *pin = pin_of(full(std_identities(), NULL, NULL));
    assert_int_not_equal(ccf_expect_pin_compare("not json", pin, err, sizeof err), CCF_OK);
    assert_true(err[0] != '\0');
    assert_int_not_equal(ccf_expect_pin_compare("[]", pin, err, sizeof err), CCF_OK);
    free(pin);
}

/* A pin that is JSON but not of the pin's shape (a hand-edited or damaged
 * known-functions file): refused, never a crash. */
static void test_pin_compare_malformed_pin(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "{\"programs\":[{}],\"data_files\":[]}",
        "{\"programs\":[{\"program_file_name\":\"linear-regression.wasm\"}],\"data_files\":[]}",
        "{\"programs\":[{\"program_file_name\":7,\"pi_hash\":\"" PI_A "\"}],\"data_files\":[]}",
        "{\"programs\":[1],\"data_files\":[]}",
        "{\"programs\":[],\"data_files\":[{\"pi_hash\":\"" PI_A "\"}]}",
        "{}",
    };
    char err[512];
    char *pin = pin_of(full(std_identities(), NULL, NULL));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        if (ccf_expect_pin_compare(bad[i], pin, err, sizeof err) == CCF_OK)
            fail_msg("accepted known pin %s", bad[i]);
        assert_true(err[0] != '\0');
        err[0] = '\0';
        if (ccf_expect_pin_compare(pin, bad[i], err, sizeof err) == CCF_OK)
            fail_msg("accepted seen pin %s", bad[i]);
    }
    free(pin);
}

/* ---- known functions ---------------------------------------------------- */

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static char *slurp(const char *path)
{
    char *text = NULL, err[256];
    size_t len;
    if (ccf_file_read(path, 1 << 20, &text, &len, err, sizeof err) != CCF_OK)
        fail_msg("%s: %s", path, err);
    return text;
}

static ccf_err check(ccf_policy *f, ccf_policy *u, ccf_policy *fp, const char *path, bool *first,
                     char *err, size_t err_size)
{
    ccf_err rc = ccf_expect_check(f, u, fp, path, first, err, err_size);
    ccf_policy_free(f);
    ccf_policy_free(u);
    ccf_policy_free(fp);
    return rc;
}

static void test_known_functions_first_then_same_then_swapped(void **state)
{
    (void)state;
    char err[2048] = "";
    bool first = false;
    unlink(known_path);
    /* first sight: recorded */
    assert_int_equal(check(full(std_identities(), NULL, NULL), user(NULL), NULL, known_path,
                           &first, err, sizeof err),
                     CCF_OK);
    assert_true(first);
    assert_true(exists(known_path));
    ccf_known_functions *k = NULL;
    assert_int_equal(ccf_known_functions_load(known_path, &k, err, sizeof err), CCF_OK);
    const char *known = ccf_known_functions_get(k, "objectdetection");
    assert_non_null(known);
    char *pin = pin_of(full(std_identities(), NULL, NULL));
    assert_string_equal(known, pin);
    assert_null(ccf_known_functions_get(k, "linear-regression"));
    free(pin);
    ccf_known_functions_free(k);
    char *before = slurp(known_path);

    /* the same programs again (another instance): accepted, not first */
    first = true;
    assert_int_equal(check(full(std_identities(), NULL, NULL), user(NULL), NULL, known_path,
                           &first, err, sizeof err),
                     CCF_OK);
    assert_false(first);

    /* the swap of issue 14: another program under the same function name */
    first = true;
    err[0] = '\0';
    assert_int_equal(check(full(std_identities(), json_pack("[o]", lr_program(PI_B)), NULL),
                           user(NULL), NULL, known_path, &first, err, sizeof err),
                     CCF_ERR_DENIED);
    assert_false(first);
    assert_contains(err, "objectdetection");
    assert_contains(err, "linear-regression.wasm");
    assert_contains(err, "pi_hash");
    assert_contains(err, "3fc011587de8a340");
    assert_contains(err, "abababababababab");
    /* ...and the file still holds the first pin */
    char *after = slurp(known_path);
    assert_string_equal(before, after);
    free(after);

    /* another function is pinned separately */
    first = false;
    assert_int_equal(check(full(std_identities(), json_pack("[o]", lr_program(PI_B)), NULL),
                           user_named("other-function", NULL), NULL, known_path, &first, err,
                           sizeof err),
                     CCF_OK);
    assert_true(first);
    assert_int_equal(ccf_known_functions_load(known_path, &k, err, sizeof err), CCF_OK);
    assert_non_null(ccf_known_functions_get(k, "other-function"));
    assert_non_null(ccf_known_functions_get(k, "objectdetection"));
    ccf_known_functions_free(k);
    /* and the original one still refuses the swap */
    assert_int_equal(check(full(std_identities(), json_pack("[o]", lr_program(PI_B)), NULL),
                           user(NULL), NULL, known_path, &first, err, sizeof err),
                     CCF_ERR_DENIED);
    free(before);
    unlink(known_path);
}

static void test_known_functions_user_policy_checked_first(void **state)
{
    (void)state;
    char err[2048] = "";
    bool first = true;
    unlink(known_path);
    assert_int_equal(
        check(full(json_pack("[o,o]", owner(),
                             identity(pem_reader, rights("input-0", READ_ONLY, NULL))),
                   NULL, NULL),
              user(NULL), NULL, known_path, &first, err, sizeof err),
        CCF_ERR_DENIED);
    assert_false(first);
    assert_contains(err, "result reader");
    assert_false(exists(known_path)); /* nothing recorded for a refused instance */
}

static void write_known(const char *text)
{
    char err[256];
    assert_int_equal(ccf_file_write_atomic(known_path, text, strlen(text), 0644, false, err,
                                           sizeof err),
                     CCF_OK);
}

static void test_known_functions_corrupt_file(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "not json",
        "",
        "[]",
        "{\"version\":1}",
        "{\"version\":1,\"functions\":[]}",
        "{\"functions\":{}}",
        "{\"version\":1,\"functions\":{\"objectdetection\":5}}",
        "{\"version\":1,\"functions\":{},\"functions\":{}}",
    };
    char err[2048];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bool first = true;
        write_known(bad[i]);
        err[0] = '\0';
        ccf_err rc = check(full(std_identities(), NULL, NULL), user(NULL), NULL, known_path,
                           &first, err, sizeof err);
        if (rc == CCF_OK)
            fail_msg("accepted known functions file %s", bad[i]);
        assert_false(first);
        assert_contains(err, known_path); /* the error names the file */
        /* the damaged file is left for the user to look at */
        char *after = slurp(known_path);
        assert_string_equal(after, bad[i]);
        free(after);
    }
    unlink(known_path);
}

/* A recorded pin that is not a pin: refused with an error, never a crash. */
static void test_known_functions_corrupt_pin(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "{\"version\":1,\"functions\":{\"objectdetection\":\"garbage\"}}",
        "{\"version\":1,\"functions\":{\"objectdetection\":\"{\\\"programs\\\":[{}]}\"}}",
        ("{\"version\":1,\"functions\":{\"objectdetection\":\"{\\\"programs\\\":[{\\\"program_file_"
         "name\\\":\\\"linear-regression.wasm\\\"}],\\\"data_files\\\":[]}\"}}"),
    };
    char err[2048];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bool first = true;
        write_known(bad[i]);
        err[0] = '\0';
        ccf_err rc = check(full(std_identities(), NULL, NULL), user(NULL), NULL, known_path,
                           &first, err, sizeof err);
        if (rc == CCF_OK)
            fail_msg("accepted known functions file %s", bad[i]);
        assert_false(first);
        assert_contains(err, "objectdetection");
    }
    unlink(known_path);
}

static void test_function_policy_pins_explicitly(void **state)
{
    (void)state;
    char err[2048] = "", path[300];
    bool first = true;
    /* a known-functions path that must not be touched */
    snprintf(path, sizeof path, "%s/never/known_functions.json", dir);
    assert_int_equal(check(full(std_identities(), NULL, NULL), user(NULL),
                           program_policy(json_pack("[o]", lr_program(PI_A)), NULL), path, &first,
                           err, sizeof err),
                     CCF_OK);
    assert_false(first);
    assert_false(exists(path));
    /* the instance runs another program than the function policy given */
    assert_int_equal(check(full(std_identities(), json_pack("[o]", lr_program(PI_B)), NULL),
                           user(NULL), program_policy(json_pack("[o]", lr_program(PI_A)), NULL),
                           path, &first, err, sizeof err),
                     CCF_ERR_DENIED);
    assert_contains(err, "function policy");
    assert_contains(err, "linear-regression.wasm");
    assert_false(exists(path));
    /* an explicit pin overrides a known one that differs (the user re-pins) */
    unlink(known_path);
    assert_int_equal(check(full(std_identities(), NULL, NULL), user(NULL), NULL, known_path,
                           &first, err, sizeof err),
                     CCF_OK);
    assert_true(first);
    assert_int_equal(check(full(std_identities(), json_pack("[o]", lr_program(PI_B)), NULL),
                           user(NULL), program_policy(json_pack("[o]", lr_program(PI_B)), NULL),
                           known_path, &first, err, sizeof err),
                     CCF_OK);
    /* the user policy is still checked with an explicit pin */
    assert_int_equal(
        check(full(json_pack("[o,o]", owner(),
                             identity(pem_reader, rights("input-0", READ_ONLY, NULL))),
                   NULL, NULL),
              user(NULL), program_policy(json_pack("[o]", lr_program(PI_A)), NULL), path, &first,
              err, sizeof err),
        CCF_ERR_DENIED);
    assert_contains(err, "result reader");
    unlink(known_path);
}

static void test_known_path(void **state)
{
    (void)state;
    char buf[128];
    assert_int_equal(ccf_expect_known_path("/home/u/.config/ccfaas/trust.json", buf, sizeof buf),
                     CCF_OK);
    assert_string_equal(buf, "/home/u/.config/ccfaas/known_functions.json");
    assert_int_equal(ccf_expect_known_path("trust.json", buf, sizeof buf), CCF_OK);
    assert_string_equal(buf, "known_functions.json");
    assert_int_equal(ccf_expect_known_path("/trust.json", buf, sizeof buf), CCF_OK);
    assert_string_equal(buf, "/known_functions.json");
    assert_int_not_equal(ccf_expect_known_path("/a/very/long/directory/trust.json", buf, 16),
                         CCF_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_examples_match),
        cmocka_unit_test(test_identical_identities_accepted),
        cmocka_unit_test(test_loader_on_data_files_accepted),
        cmocka_unit_test(test_extra_reader_refused),
        cmocka_unit_test(test_extra_identity_without_rights_refused),
        cmocka_unit_test(test_missing_user_identity_refused),
        cmocka_unit_test(test_changed_rights_refused),
        cmocka_unit_test(test_loader_with_read_bit_refused),
        cmocka_unit_test(test_loader_on_other_files_refused),
        cmocka_unit_test(test_two_loaders_refused),
        cmocka_unit_test(test_findings_bounded),
        cmocka_unit_test(test_pin_same_programs_equal),
        cmocka_unit_test(test_pin_differences_reported),
        cmocka_unit_test(test_pin_data_files),
        cmocka_unit_test(test_pin_compare_unreadable),
        cmocka_unit_test(test_pin_compare_malformed_pin),
        cmocka_unit_test(test_known_functions_first_then_same_then_swapped),
        cmocka_unit_test(test_known_functions_user_policy_checked_first),
        cmocka_unit_test(test_known_functions_corrupt_file),
        cmocka_unit_test(test_known_functions_corrupt_pin),
        cmocka_unit_test(test_function_policy_pins_explicitly),
        cmocka_unit_test(test_known_path),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
