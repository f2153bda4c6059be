/* Unit tests of the real-TEE verifiers (src/attest/tee.h) on the public
 * samples in $TEE_TESTDATA (the shared testdata/tee folder; its NOTES.md
 * gives each sample's provenance and the verdicts and values asserted here).
 * Without that folder every test is skipped. Times are fixed: samples are
 * verified "as of" a moment inside their validity, never now. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "attest/tee.h"
#include "common/crypto.h"
#include "common/file.h"

#define T_2025_01_01 ((time_t)1735689600)
#define T_2031_01_01 ((time_t)1924992000)
#define T_2020_01_01 ((time_t)1577836800)
#define T_2022_01_01 ((time_t)1640995200)

static const char *data_dir(void)
{
    const char *d = getenv("TEE_TESTDATA");
    struct stat st;
    if (d == NULL || stat(d, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "SKIP: TEE samples not found (set TEE_TESTDATA to the shared "
                        "testdata/tee folder, configured as ${CCF_SHARED_DIR}/testdata/tee; "
                        "see its NOTES.md for where each sample comes from)\n");
        return NULL;
    }
    return d;
}

#define NEED_DATA()                                                                                \
    do {                                                                                           \
        if (data_dir() == NULL)                                                                    \
            skip();                                                                                \
    } while (0)

/* A sample file, decoded from hex/base64 text when it is text. */
static uint8_t *load(const char *rel, size_t *len)
{
    char path[1024], err[512], *raw = NULL;
    size_t raw_len;
    uint8_t *out = NULL;
    snprintf(path, sizeof path, "%s/%s", data_dir(), rel);
    if (ccf_file_read(path, 1u << 20, &raw, &raw_len, err, sizeof err) != CCF_OK)
        fail_msg("%s", err);
    assert_int_equal(ccf_tee_evidence_decode((uint8_t *)raw, raw_len, &out, len, err, sizeof err),
                     CCF_OK);
    free(raw);
    return out;
}

/* A sample file as is (certificates, collateral). */
static char *load_raw(const char *rel, size_t *len)
{
    char path[1024], err[512], *raw = NULL;
    snprintf(path, sizeof path, "%s/%s", data_dir(), rel);
    if (ccf_file_read(path, 1u << 20, &raw, len, err, sizeof err) != CCF_OK)
        fail_msg("%s", err);
    return raw;
}

static void assert_hex(const uint8_t *b, size_t n, const char *want)
{
    char h[2 * 1024 + 1];
    assert_true(n <= 1024);
    ccf_hex_encode(b, n, h);
    assert_string_equal(h, want);
}

static void assert_hex_prefix_suffix(const uint8_t *b, size_t n, const char *pre, const char *suf)
{
    char h[2 * 1024 + 1];
    assert_true(n <= 1024);
    ccf_hex_encode(b, n, h);
    if (strncmp(h, pre, strlen(pre)) != 0 || strcmp(h + strlen(h) - strlen(suf), suf) != 0)
        fail_msg("%s does not start with %s and end with %s", h, pre, suf);
}

static void assert_contains(const char *s, const char *part)
{
    if (strstr(s, part) == NULL)
        fail_msg("'%s' does not contain '%s'", s, part);
}

/* ---------------------------------------------------------------- SNP */

typedef struct {
    uint8_t *report, *vcek, *roots;
    size_t report_len, vcek_len, roots_len;
    ccf_tee_verify_opts o;
} snp_case;

static void snp_load(snp_case *k, const char *report, const char *vcek, const char *roots)
{
    memset(k, 0, sizeof *k);
    k->report = load(report, &k->report_len);
    k->vcek = (uint8_t *)load_raw(vcek, &k->vcek_len);
    k->roots = (uint8_t *)load_raw(roots, &k->roots_len);
    k->o.roots = k->roots;
    k->o.roots_len = k->roots_len;
    k->o.vcek = k->vcek;
    k->o.vcek_len = k->vcek_len;
    k->o.at = T_2025_01_01;
}

static void snp_free(snp_case *k)
{
    free(k->report);
    free(k->vcek);
    free(k->roots);
}

static ccf_err snp_run(snp_case *k, ccf_tee_claims *c, char *err, size_t n)
{
    return ccf_tee_verify(CCF_TEE_SNP, k->report, k->report_len, &k->o, c, err, n);
}

static void test_snp_trustee_milan(void **state)
{
    (void)state;
    NEED_DATA();
    snp_case k;
    ccf_tee_claims c;
    char err[512] = "";
    uint8_t fam[16] = {1}, img[16] = {2}, zero[32] = {0};
    snp_load(&k, "snp/trustee-milan-vcek-report.bin", "snp/trustee-milan-vcek.der",
             "roots/amd-milan-ask-ark-asvk.pem");
    assert_int_equal(k.report_len, 1184);
    if (snp_run(&k, &c, err, sizeof err) != CCF_OK)
        fail_msg("refused: %s", err);
    assert_int_equal(c.snp.version, 2);
    assert_int_equal(c.snp.guest_svn, 4);
    assert_int_equal(c.snp.policy, 0x3001F);
    assert_int_equal(c.snp.vmpl, 0);
    assert_int_equal(c.snp.sig_algo, 1);
    assert_int_equal(c.snp.flags, 0);
    assert_int_equal(c.snp.signing_key, 0);
    assert_false(c.debug);
    assert_memory_equal(c.snp.family_id, fam, 16);
    assert_memory_equal(c.snp.image_id, img, 16);
    assert_memory_equal(c.snp.host_data, zero, 32);
    assert_int_equal(c.measurement_len, 48);
    assert_hex(c.measurement, 48,
               "a1f3930413247bb38cfc171579ea3c12d5fe4901f0c792f63fd75d98f1ef827c23500644e0e692e6"
               "be917f9050d3d38c");
    assert_hex(c.report_data, 64,
               "ec6c52d7533cc2c4f45be7849cf112ab82b2009fe7bd43e71ed08c14400ad7e2"
               "0000000000000000000000000000000000000000000000000000000000000000");
    assert_int_equal(c.snp.reported_tcb.bootloader, 3);
    assert_int_equal(c.snp.reported_tcb.tee, 0);
    assert_int_equal(c.snp.reported_tcb.snp, 8);
    assert_int_equal(c.snp.reported_tcb.microcode, 115);
    assert_hex_prefix_suffix(c.snp.chip_id, 64, "c38427a3", "524e");
    assert_string_equal(c.snp.product, "Milan");
    assert_string_equal(c.signer,
                        "VCEK (SEV-VCEK) <- ASK (SEV-Milan) <- ARK-Milan (pinned)");
    snp_free(&k);
}

static void test_snp_virtee_milan(void **state)
{
    (void)state;
    NEED_DATA();
    snp_case k;
    ccf_tee_claims c;
    char err[512] = "";
    snp_load(&k, "snp/virtee-milan-report.hex", "snp/virtee-milan-vcek.der",
             "roots/amd-milan-ask-ark-asvk.pem");
    assert_int_equal(k.report_len, 1184); /* decoded from hex text */
    if (snp_run(&k, &c, err, sizeof err) != CCF_OK)
        fail_msg("refused: %s", err);
    assert_int_equal(c.snp.version, 2);
    assert_int_equal(c.snp.policy, 0x30000);
    assert_hex(c.measurement, 48,
               "7a1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579ea158d3e1a0dc39b2c60bd95"
               "b9c480cd81841f");
    assert_hex_prefix_suffix(c.report_data, 64, "d447b55d", "93ebfd");
    assert_int_equal(c.snp.reported_tcb.bootloader, 3);
    assert_int_equal(c.snp.reported_tcb.tee, 0);
    assert_int_equal(c.snp.reported_tcb.snp, 8);
    assert_int_equal(c.snp.reported_tcb.microcode, 115);
    snp_free(&k);
}

static void snp_expect_refusal(snp_case *k, ccf_err want, const char *msg)
{
    char err[512] = "";
    ccf_tee_claims c;
    ccf_err rc = snp_run(k, &c, err, sizeof err);
    if (rc != want)
        fail_msg("got %d (%s), wanted %d with '%s'", rc, err, want, msg);
    assert_contains(err, msg);
}

static void test_snp_tampered(void **state)
{
    (void)state;
    NEED_DATA();
    snp_case k;
    snp_load(&k, "snp/trustee-milan-vcek-report.bin", "snp/trustee-milan-vcek.der",
             "roots/amd-milan-ask-ark-asvk.pem");
    /* Signed body: a reserved-free byte (42, image_id), reported_tcb (0x180),
     * measurement, report_data, the last signed byte. */
    const size_t body[] = {42, 0x180, 0x90, 0x50, 0x29F};
    for (size_t i = 0; i < sizeof body / sizeof body[0]; i++) {
        k.report[body[i]] ^= 0x01;
        snp_expect_refusal(&k, CCF_ERR_DENIED, "snp: report signature does not verify with the VCEK");
        k.report[body[i]] ^= 0x01;
    }
    /* Signature r and s. */
    const size_t sig[] = {0x2A0, 0x2A0 + 47, 0x2E8, 0x2E8 + 20};
    for (size_t i = 0; i < sizeof sig / sizeof sig[0]; i++) {
        k.report[sig[i]] ^= 0x80;
        snp_expect_refusal(&k, CCF_ERR_DENIED, "snp: report signature does not verify with the VCEK");
        k.report[sig[i]] ^= 0x80;
    }
    /* Header fields that select the algorithm/key are refused before the signature. */
    k.report[0x34] = 2;
    snp_expect_refusal(&k, CCF_ERR_UNSUPPORTED, "snp: signature algorithm 2");
    k.report[0x34] = 1;
    k.report[0x00] = 1;
    snp_expect_refusal(&k, CCF_ERR_UNSUPPORTED, "snp: report version 1 not supported");
    k.report[0x00] = 2;
    k.report[0x48] = 0x04; /* SIGNING_KEY = VLEK, but the VCEK is given */
    snp_expect_refusal(&k, CCF_ERR_DENIED, "snp: VLEK not signed by ASVK (Milan)");
    k.report[0x48] = 0;
    snp_free(&k);
}

static void test_snp_truncated(void **state)
{
    (void)state;
    NEED_DATA();
    snp_case k;
    uint8_t *big;
    snp_load(&k, "snp/trustee-milan-vcek-report.bin", "snp/trustee-milan-vcek.der",
             "roots/amd-milan-ask-ark-asvk.pem");
    const size_t lens[] = {0, 1, 4, 0x50, 0x2A0, 0x2E8, 1183};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        char err[512];
        k.report_len = lens[i];
        assert_int_equal(snp_run(&k, NULL, err, sizeof err), CCF_ERR_INVALID);
        assert_contains(err, "snp: report is");
    }
    big = calloc(1, 1185);
    assert_non_null(big);
    memcpy(big, k.report, 1184);
    {
        char err[512];
        assert_int_equal(ccf_tee_verify(CCF_TEE_SNP, big, 1185, &k.o, NULL, err, sizeof err),
                         CCF_ERR_INVALID);
        assert_contains(err, "expected 1184");
    }
    free(big);
    k.report_len = 1184;
    snp_free(&k);
}

static void test_snp_wrong_roots_and_keys(void **state)
{
    (void)state;
    NEED_DATA();
    snp_case k;
    char *genoa, *turin, *vlek, *other;
    size_t gl, tl, vl, ol;
    snp_load(&k, "snp/trustee-milan-vcek-report.bin", "snp/trustee-milan-vcek.der",
             "roots/amd-milan-ask-ark-asvk.pem");
    genoa = load_raw("roots/amd-genoa-ask-ark-asvk.pem", &gl);
    turin = load_raw("roots/amd-turin-ask-ark-asvk.pem", &tl);
    vlek = load_raw("snp/trustee-milan-vlek.der", &vl);
    other = load_raw("snp/virtee-milan-vcek.der", &ol);

    k.o.roots = (uint8_t *)genoa;
    k.o.roots_len = gl;
    snp_expect_refusal(&k, CCF_ERR_DENIED, "snp: VCEK not signed by ASK (Genoa)");
    k.o.roots = (uint8_t *)turin;
    k.o.roots_len = tl;
    snp_expect_refusal(&k, CCF_ERR_DENIED, "snp: VCEK not signed by ASK (Turin)");
    k.o.roots = k.roots;
    k.o.roots_len = k.roots_len;
    /* Roots without the ARK (just the VCEK) are not an anchor. */
    k.o.roots = k.vcek;
    k.o.roots_len = k.vcek_len;
    snp_expect_refusal(&k, CCF_ERR_INVALID, "snp: pinned roots lack an ARK");
    k.o.roots = k.roots;
    k.o.roots_len = k.roots_len;
    /* The VLEK (issued by the ASVK) for a report that says VCEK. */
    k.o.vcek = (uint8_t *)vlek;
    k.o.vcek_len = vl;
    snp_expect_refusal(&k, CCF_ERR_DENIED, "snp: VCEK not signed by ASK (Milan)");
    /* Another chip's genuine Milan VCEK. */
    k.o.vcek = (uint8_t *)other;
    k.o.vcek_len = ol;
    snp_expect_refusal(&k, CCF_ERR_DENIED, "snp: report signature does not verify with the VCEK");
    k.o.vcek = NULL;
    k.o.vcek_len = 0;
    snp_expect_refusal(&k, CCF_ERR_INVALID, "snp: no VCEK certificate given");
    k.o.vcek = (uint8_t *)"junk";
    k.o.vcek_len = 4;
    snp_expect_refusal(&k, CCF_ERR_INVALID, "snp: VCEK is not a certificate");
    free(genoa);
    free(turin);
    free(vlek);
    free(other);
    snp_free(&k);
}

static void test_snp_time(void **state)
{
    (void)state;
    NEED_DATA();
    snp_case k;
    snp_load(&k, "snp/trustee-milan-vcek-report.bin", "snp/trustee-milan-vcek.der",
             "roots/amd-milan-ask-ark-asvk.pem");
    k.o.at = T_2031_01_01; /* the VCEK lives 2023-01-24..2030-01-24 */
    snp_expect_refusal(&k, CCF_ERR_DENIED, "snp: VCEK certificate expired at 2030-01-24T17:58:26Z");
    k.o.at = T_2022_01_01;
    snp_expect_refusal(&k, CCF_ERR_DENIED, "snp: VCEK certificate not yet valid until 2023-01-24");
    k.o.at = T_2020_01_01; /* before the ARK itself (2020-10-22) */
    snp_expect_refusal(&k, CCF_ERR_DENIED, "snp: ARK certificate not yet valid until 2020-10-22");
    snp_free(&k);
}

static void test_snp_expectations(void **state)
{
    (void)state;
    NEED_DATA();
    snp_case k;
    char err[512];
    ccf_tee_claims c;
    uint8_t m[48], rd[32];
    snp_load(&k, "snp/trustee-milan-vcek-report.bin", "snp/trustee-milan-vcek.der",
             "roots/amd-milan-ask-ark-asvk.pem");
    assert_int_equal(snp_run(&k, &c, err, sizeof err), CCF_OK);
    memcpy(m, c.measurement, 48);
    memcpy(rd, c.report_data, 32);
    k.o.expect_measurement = m;
    k.o.expect_measurement_len = 48;
    k.o.expect_report_data = rd; /* 32 bytes: the rest of report_data must be zero */
    k.o.expect_report_data_len = 32;
    assert_int_equal(snp_run(&k, &c, err, sizeof err), CCF_OK);
    m[47] ^= 1;
    snp_expect_refusal(&k, CCF_ERR_DENIED, "snp: measurement differs from the expected one");
    m[47] ^= 1;
    rd[0] ^= 1;
    snp_expect_refusal(&k, CCF_ERR_DENIED, "snp: report_data differs from the expected one");
    snp_free(&k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_snp_trustee_milan),
        cmocka_unit_test(test_snp_virtee_milan),
        cmocka_unit_test(test_snp_tampered),
        cmocka_unit_test(test_snp_truncated),
        cmocka_unit_test(test_snp_wrong_roots_and_keys),
        cmocka_unit_test(test_snp_time),
        cmocka_unit_test(test_snp_expectations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
