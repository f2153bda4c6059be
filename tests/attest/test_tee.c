/* Unit tests of the real-TEE verifiers (src/attest/tee.h) on the public
 * samples in $TEE_TESTDATA (the shared testdata/tee folder; its NOTES.md
 * gives each sample's provenance and the verdicts and values asserted here).
 * Without that folder every test on a sample is skipped. Times are fixed:
 * samples are verified "as of" a moment inside their validity, never now.
 * One driver serves every platform: `samples` is a table (sample file,
 * platform, roots, VCEK or collateral, time, verdict, expected claims) run
 * by test_sample; the other tests change loaded cases and use the same
 * driver (case_load, case_run, case_expect), or build evidence here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "attest/tee.h"
#include "common/crypto.h"
#include "common/file.h"

#define T_2025_01_01 ((time_t)1735689600)
#define T_2031_01_01 ((time_t)1924992000)
#define T_2020_01_01 ((time_t)1577836800)
#define T_2022_01_01 ((time_t)1640995200)
#define T_2025_11_01 ((time_t)1761955200) /* inside the trustee TDX collateral window */

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


/* Sample files (under $TEE_TESTDATA) and the roots that verify them. */
#define ROOTS_MILAN "roots/amd-milan-ask-ark-asvk.pem"
#define ROOTS_GENOA "roots/amd-genoa-ask-ark-asvk.pem"
#define ROOTS_TURIN "roots/amd-turin-ask-ark-asvk.pem"
#define ROOTS_INTEL "roots/intel-sgx-root-ca.der"
#define ROOTS_AWS "roots/aws-nitro-enclaves-root-G1.pem"
#define SNP_TRUSTEE "snp/trustee-milan-vcek-report.bin"
#define SNP_TRUSTEE_VCEK "snp/trustee-milan-vcek.der"
#define TDX_QVL "tdx/dcapqvl-tdx-quote-v4.dat"
#define TDX_QVL_COLL "tdx/dcapqvl-tdx-quote-v4.collateral.json"
#define TDX_TRUSTEE_V4 "tdx/trustee-tdx-quote-v4.dat"
#define SGX_QVL "sgx/dcapqvl-sgx-quote-v3.dat"
#define SGX_QVL_COLL "sgx/dcapqvl-sgx-quote-v3.collateral.json"
#define NITRO_PROD "nitro/evervault-prod-attestation-doc.cbor"
#define NITRO_GA "nitro/evervault-ga-attestation-doc.b64"

#define T_2025_06_20 ((time_t)1750377600) /* inside the dcap-qvl collateral window */
#define T_2025_08_01 ((time_t)1754006400) /* after its nextUpdate 2025-07-19T10:16:03Z */
#define T_2040_01_01 ((time_t)2208988800)
#define T_PROD_VALID ((time_t)1665655200)   /* 2022-10-13T10:00:00Z */
#define T_PROD_EXPIRED ((time_t)1665664200) /* 2022-10-13T12:30:00Z */
#define T_GA_VALID ((time_t)1695049200)     /* 2023-09-18T15:00:00Z */

/* ------------------------------------------------- one case driver, every platform
 * A case is a piece of evidence from a sample file and what it is verified
 * with: platform, pinned roots, the VCEK (snp) or collateral (tdx, sgx), the
 * time. The table `samples` below gives each sample's verdict and the claims
 * it yields; the tests after it change a loaded case (flipped bytes, other
 * lengths, other inputs) and run it through the same driver. */

typedef struct {
    ccf_tee_platform platform;
    uint8_t *ev; /* the evidence, decoded from text when it is text */
    char *roots, *vcek, *coll;
    size_t ev_len, roots_len, vcek_len, coll_len;
    ccf_tee_verify_opts o;
} tee_case;

/* roots, vcek and coll may be NULL (not given). */
static void case_load(tee_case *k, ccf_tee_platform p, const char *evidence, const char *roots,
                      const char *vcek, const char *coll, time_t at)
{
    memset(k, 0, sizeof *k);
    k->platform = p;
    k->ev = load(evidence, &k->ev_len);
    if (roots != NULL)
        k->roots = load_raw(roots, &k->roots_len);
    if (vcek != NULL)
        k->vcek = load_raw(vcek, &k->vcek_len);
    if (coll != NULL)
        k->coll = load_raw(coll, &k->coll_len);
    k->o.roots = (uint8_t *)k->roots;
    k->o.roots_len = k->roots_len;
    k->o.vcek = (uint8_t *)k->vcek;
    k->o.vcek_len = k->vcek_len;
    k->o.collateral = k->coll;
    k->o.collateral_len = k->coll_len;
    k->o.at = at;
}

static void case_free(tee_case *k)
{
    free(k->ev);
    free(k->roots);
    free(k->vcek);
    free(k->coll);
}

static ccf_err case_run(tee_case *k, ccf_tee_claims *c, char *err, size_t n)
{
    return ccf_tee_verify(k->platform, k->ev, k->ev_len, &k->o, c, err, n);
}

/* Runs k: the verdict must be want and the error text contain msg. */
static void case_expect(tee_case *k, ccf_err want, const char *msg)
{
    char err[512] = "";
    ccf_tee_claims c;
    ccf_err rc = case_run(k, &c, err, sizeof err);
    if (rc != want)
        fail_msg("got %d (%s), wanted %d with '%s'", rc, err, want, msg);
    assert_contains(err, msg);
}

/* Claims a sample case can name, by their member names in ccf_tee_claims. */
typedef enum { F_UINT, F_BOOL, F_HEX, F_TEXT } field_kind;
typedef struct {
    const char *name;
    size_t off, size; /* F_HEX: the bytes compared */
    bool has_len;     /* F_HEX: a size_t member at len_off says how many bytes */
    size_t len_off;
    field_kind kind;
} claim_field;

#define CLAIM(m, kind) {#m, offsetof(ccf_tee_claims, m), sizeof(((ccf_tee_claims *)0)->m), false, 0, kind}
#define CLAIM_BYTES(m, n) {#m, offsetof(ccf_tee_claims, m), n, false, 0, F_HEX}
#define CLAIM_LEN(m, len) {#m, offsetof(ccf_tee_claims, m), sizeof(((ccf_tee_claims *)0)->m), true, offsetof(ccf_tee_claims, len), F_HEX}

static const claim_field claim_fields[] = {
    CLAIM(measurement, F_HEX), CLAIM(measurement_len, F_UINT), CLAIM(report_data, F_HEX),
    CLAIM(report_data_len, F_UINT), CLAIM(debug, F_BOOL), CLAIM(signer, F_TEXT),
    CLAIM(tcb_status, F_TEXT),
    CLAIM(snp.version, F_UINT), CLAIM(snp.guest_svn, F_UINT), CLAIM(snp.vmpl, F_UINT),
    CLAIM(snp.sig_algo, F_UINT), CLAIM(snp.flags, F_UINT), CLAIM(snp.signing_key, F_UINT),
    CLAIM(snp.policy, F_UINT), CLAIM(snp.family_id, F_HEX), CLAIM(snp.image_id, F_HEX),
    CLAIM(snp.host_data, F_HEX), CLAIM(snp.chip_id, F_HEX),
    CLAIM(snp.reported_tcb.bootloader, F_UINT), CLAIM(snp.reported_tcb.tee, F_UINT),
    CLAIM(snp.reported_tcb.snp, F_UINT), CLAIM(snp.reported_tcb.microcode, F_UINT),
    CLAIM(snp.product, F_TEXT),
    CLAIM(dcap.version, F_UINT), CLAIM(dcap.att_key_type, F_UINT), CLAIM(dcap.tee_type, F_UINT),
    CLAIM(dcap.fmspc, F_HEX), CLAIM(dcap.pce_svn, F_UINT), CLAIM(dcap.qe_isv_svn, F_UINT),
    CLAIM(dcap.qe_status, F_TEXT), CLAIM(dcap.advisories, F_TEXT),
    CLAIM(tdx.body_type, F_UINT), CLAIM(tdx.tee_tcb_svn, F_HEX), CLAIM(tdx.mr_seam, F_HEX),
    CLAIM(tdx.td_attributes, F_HEX), CLAIM(tdx.xfam, F_HEX), CLAIM(tdx.mr_td, F_HEX),
    CLAIM(tdx.rtmr[0], F_HEX), CLAIM(tdx.rtmr[1], F_HEX), CLAIM(tdx.rtmr[2], F_HEX),
    CLAIM(tdx.rtmr[3], F_HEX), CLAIM(tdx.tdx_module_status, F_TEXT),
    CLAIM(sgx.mr_enclave, F_HEX), CLAIM(sgx.mr_signer, F_HEX),
    CLAIM(nitro.digest, F_TEXT), CLAIM(nitro.timestamp_ms, F_UINT), CLAIM(nitro.pcr_len, F_UINT),
    CLAIM_BYTES(nitro.pcrs[0], 48), CLAIM_BYTES(nitro.pcrs[1], 48), CLAIM_BYTES(nitro.pcrs[2], 48),
    CLAIM_BYTES(nitro.pcrs[8], 48), CLAIM(nitro.has_nonce, F_BOOL), CLAIM(nitro.nonce_len, F_UINT),
    CLAIM(nitro.has_user_data, F_BOOL), CLAIM(nitro.has_public_key, F_BOOL),
    CLAIM_LEN(nitro.user_data, nitro.user_data_len),
};

/* One expected claim. want: F_UINT a number (0x... for hex); F_BOOL "true" or
 * "false"; F_HEX lowercase hex of all the bytes, or "PREFIX...SUFFIX" (either
 * may be empty); F_TEXT the exact text, or "~PART" for text containing PART. */
typedef struct {
    const char *field, *want;
} claim_value;

static void check_value(const char *sample, const ccf_tee_claims *c, const claim_value *v)
{
    const claim_field *f = NULL;
    const uint8_t *p;
    for (size_t i = 0; i < sizeof claim_fields / sizeof claim_fields[0]; i++)
        if (strcmp(claim_fields[i].name, v->field) == 0)
            f = &claim_fields[i];
    if (f == NULL)
        fail_msg("%s: no claim field %s in claim_fields", sample, v->field);
    p = (const uint8_t *)c + f->off;
    switch (f->kind) {
    case F_UINT: {
        uint64_t got;
        uint8_t u8;
        uint16_t u16;
        uint32_t u32;
        switch (f->size) {
        case 1: memcpy(&u8, p, 1); got = u8; break;
        case 2: memcpy(&u16, p, 2); got = u16; break;
        case 4: memcpy(&u32, p, 4); got = u32; break;
        default: assert_int_equal(f->size, 8); memcpy(&got, p, 8); break;
        }
        if (got != strtoull(v->want, NULL, 0))
            fail_msg("%s: %s is %llu, wanted %s", sample, v->field, (unsigned long long)got, v->want);
        break;
    }
    case F_BOOL: {
        bool b;
        memcpy(&b, p, sizeof b);
        if (strcmp(b ? "true" : "false", v->want) != 0)
            fail_msg("%s: %s is %s, wanted %s", sample, v->field, b ? "true" : "false", v->want);
        break;
    }
    case F_HEX: {
        char h[2 * 1024 + 1];
        size_t n = f->size;
        const char *dots = strstr(v->want, "...");
        if (f->has_len)
            memcpy(&n, (const uint8_t *)c + f->len_off, sizeof n);
        assert_true(n <= f->size && n <= 1024);
        ccf_hex_encode(p, n, h);
        if (dots == NULL ? strcmp(h, v->want) != 0
                         : strncmp(h, v->want, (size_t)(dots - v->want)) != 0 ||
                               strlen(h) < strlen(dots + 3) ||
                               strcmp(h + strlen(h) - strlen(dots + 3), dots + 3) != 0)
            fail_msg("%s: %s is %s, wanted %s", sample, v->field, h, v->want);
        break;
    }
    case F_TEXT: {
        const char *s = (const char *)p;
        if (v->want[0] == '~' ? strstr(s, v->want + 1) == NULL : strcmp(s, v->want) != 0)
            fail_msg("%s: %s is '%s', wanted '%s'", sample, v->field, s, v->want);
        break;
    }
    }
}

/* A sample file, what it is verified with and what must come out. */
typedef struct {
    const char *name;
    ccf_tee_platform platform;
    const char *evidence, *roots, *vcek, *collateral; /* files; NULL: not given */
    time_t at;
    size_t evidence_len; /* 0, or the length the sample decodes to */
    ccf_err verdict;
    const char *refusal;     /* verdict other than CCF_OK: a part of the error text */
    claim_value values[28]; /* verdict CCF_OK: claims it yields (up to the first without field) */
} sample_case;

#define ZERO16 "00000000000000000000000000000000" /* 16 zero bytes */
#define ZERO48 ZERO16 ZERO16 ZERO16

static const sample_case samples[] = {
    /* ---- SEV-SNP */
    {"snp trustee Milan VCEK report", CCF_TEE_SNP, SNP_TRUSTEE, ROOTS_MILAN, SNP_TRUSTEE_VCEK, NULL,
     T_2025_01_01, 1184, CCF_OK, NULL,
     {{"snp.version", "2"}, {"snp.guest_svn", "4"}, {"snp.policy", "0x3001F"}, {"snp.vmpl", "0"},
      {"snp.sig_algo", "1"}, {"snp.flags", "0"}, {"snp.signing_key", "0"}, {"debug", "false"},
      {"snp.family_id", "01" "000000000000000000000000000000"},
      {"snp.image_id", "02" "000000000000000000000000000000"},
      {"snp.host_data", ZERO16 ZERO16},
      {"measurement_len", "48"},
      {"measurement", "a1f3930413247bb38cfc171579ea3c12d5fe4901f0c792f63fd75d98f1ef827c23500644e0e692e6"
                      "be917f9050d3d38c"},
      {"report_data", "ec6c52d7533cc2c4f45be7849cf112ab82b2009fe7bd43e71ed08c14400ad7e2" ZERO16 ZERO16},
      {"snp.reported_tcb.bootloader", "3"}, {"snp.reported_tcb.tee", "0"},
      {"snp.reported_tcb.snp", "8"}, {"snp.reported_tcb.microcode", "115"},
      {"snp.chip_id", "c38427a3...524e"}, {"snp.product", "Milan"},
      {"signer", "VCEK (SEV-VCEK) <- ASK (SEV-Milan) <- ARK-Milan (pinned)"}}},
    {"snp virtee Milan report (hex text)", CCF_TEE_SNP, "snp/virtee-milan-report.hex", ROOTS_MILAN,
     "snp/virtee-milan-vcek.der", NULL, T_2025_01_01, 1184, CCF_OK, NULL,
     {{"snp.version", "2"}, {"snp.policy", "0x30000"},
      {"measurement", "7a1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579ea158d3e1a0dc39b2c60bd95"
                      "b9c480cd81841f"},
      {"report_data", "d447b55d...93ebfd"}, {"snp.reported_tcb.bootloader", "3"},
      {"snp.reported_tcb.tee", "0"}, {"snp.reported_tcb.snp", "8"},
      {"snp.reported_tcb.microcode", "115"}}},
    /* the VCEK lives 2023-01-24..2030-01-24; the ARK from 2020-10-22 */
    {"snp after the VCEK expired", CCF_TEE_SNP, SNP_TRUSTEE, ROOTS_MILAN, SNP_TRUSTEE_VCEK, NULL,
     T_2031_01_01, 0, CCF_ERR_DENIED, "snp: VCEK certificate expired at 2030-01-24T17:58:26Z", {{0}}},
    {"snp before the VCEK", CCF_TEE_SNP, SNP_TRUSTEE, ROOTS_MILAN, SNP_TRUSTEE_VCEK, NULL,
     T_2022_01_01, 0, CCF_ERR_DENIED, "snp: VCEK certificate not yet valid until 2023-01-24", {{0}}},
    {"snp before the ARK", CCF_TEE_SNP, SNP_TRUSTEE, ROOTS_MILAN, SNP_TRUSTEE_VCEK, NULL,
     T_2020_01_01, 0, CCF_ERR_DENIED, "snp: ARK certificate not yet valid until 2020-10-22", {{0}}},
    {"snp Milan report, Genoa roots", CCF_TEE_SNP, SNP_TRUSTEE, ROOTS_GENOA, SNP_TRUSTEE_VCEK, NULL,
     T_2025_01_01, 0, CCF_ERR_DENIED, "snp: VCEK not signed by ASK (Genoa)", {{0}}},
    {"snp Milan report, Turin roots", CCF_TEE_SNP, SNP_TRUSTEE, ROOTS_TURIN, SNP_TRUSTEE_VCEK, NULL,
     T_2025_01_01, 0, CCF_ERR_DENIED, "snp: VCEK not signed by ASK (Turin)", {{0}}},
    /* the VLEK (issued by the ASVK) for a report that says VCEK */
    {"snp VLEK given for a VCEK report", CCF_TEE_SNP, SNP_TRUSTEE, ROOTS_MILAN,
     "snp/trustee-milan-vlek.der", NULL, T_2025_01_01, 0, CCF_ERR_DENIED,
     "snp: VCEK not signed by ASK (Milan)", {{0}}},
    {"snp another chip's VCEK", CCF_TEE_SNP, SNP_TRUSTEE, ROOTS_MILAN, "snp/virtee-milan-vcek.der",
     NULL, T_2025_01_01, 0, CCF_ERR_DENIED, "snp: report signature does not verify with the VCEK",
     {{0}}},
    {"snp without a VCEK", CCF_TEE_SNP, SNP_TRUSTEE, ROOTS_MILAN, NULL, NULL, T_2025_01_01, 0,
     CCF_ERR_INVALID, "snp: no VCEK certificate given", {{0}}},
    /* ---- TDX */
    {"tdx dcap-qvl quote v4 with collateral", CCF_TEE_TDX, TDX_QVL, ROOTS_INTEL, NULL, TDX_QVL_COLL,
     T_2025_06_20, 0, CCF_OK, NULL,
     {{"dcap.version", "4"}, {"dcap.att_key_type", "2"}, {"dcap.tee_type", "0x81"},
      {"dcap.fmspc", "b0c06f000000"}, {"dcap.pce_svn", "11"},
      {"tdx.mr_td", "91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f2742"
                    "8b2538873118b7"},
      {"measurement", "91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f2742"
                      "8b2538873118b7"},
      {"tdx.tee_tcb_svn", "06010300000000000000000000000000"},
      {"tdx.rtmr[0]", "44c0197b...c9c0"}, {"tdx.rtmr[1]", "0084452c...9378"},
      {"tdx.rtmr[2]", "d833feef...3132"}, {"tdx.rtmr[3]", ZERO48},
      {"report_data", "9a9d48e7...523f20"}, {"tcb_status", "UpToDate"},
      {"tdx.tdx_module_status", "UpToDate"}, /* TDX_01 */
      {"dcap.qe_status", "UpToDate"}, {"dcap.qe_isv_svn", "6"}, {"dcap.advisories", ""},
      {"signer", "attestation key <- QE <- Intel SGX PCK Certificate <- Intel SGX PCK Platform CA "
                 "<- Intel SGX Root CA (pinned)"}}},
    /* without collateral the quote still verifies; the TCB status is not evaluated */
    {"tdx dcap-qvl quote v4 without collateral", CCF_TEE_TDX, TDX_QVL, ROOTS_INTEL, NULL, NULL,
     T_2025_06_20, 0, CCF_OK, NULL, {{"tcb_status", ""}}},
    {"tdx collateral past its nextUpdate", CCF_TEE_TDX, TDX_QVL, ROOTS_INTEL, NULL, TDX_QVL_COLL,
     T_2025_08_01, 0, CCF_ERR_DENIED, "tdx: TCB info expired at 2025-07-19T10:16:03Z", {{0}}},
    /* SGX collateral is not TDX collateral */
    {"tdx quote with SGX collateral", CCF_TEE_TDX, TDX_QVL, ROOTS_INTEL, NULL, SGX_QVL_COLL,
     T_2025_06_20, 0, CCF_ERR_DENIED, "tdx: TCB info is not TDX version 3", {{0}}},
    {"tdx trustee quote v4 (debug TD)", CCF_TEE_TDX, TDX_TRUSTEE_V4, ROOTS_INTEL, NULL, NULL,
     T_2025_11_01, 4936, CCF_OK, NULL,
     {{"dcap.fmspc", "50806f000000"},
      {"tdx.mr_td", "705ee9381b8633a9fbe532b52345e8433343d2868959f57889d84ca377c395b689cac1599ccea1b7d4"
                    "20483a9ce5f031"},
      {"tdx.mr_seam", "2fd279c16164a93dd5bf373d834328d46008c2b693af9ebb865b08b2ced320c9a89b4869a9fab60f"
                      "be9d0c5a5363c656"},
      {"tdx.td_attributes", "0100001000000000"},
      {"debug", "true"}, /* TD_ATTRIBUTES.DEBUG: a production policy must reject it */
      {"tdx.xfam", "e742060000000000"}, {"tdx.tee_tcb_svn", "03000500000000000000000000000000"},
      {"tdx.rtmr[0]", "e940da7c2712d2790e2961e00484f4fa8e6f9eed71361655ae22699476b14f9e63867eb41edd4b"
                      "480fef0c59f496b288"},
      {"tdx.rtmr[1]", "559cfcf42716ed6c40a48a73d5acb7da255435012f0a9f00fbe8c1c57612ede486a5684c4c9ff3"
                      "ddf52315fcdca3a596"},
      {"report_data", "7c71fe2c86eff65a7cf8dbc22b3275689fd0464a267baced1bf94fc1324656aeb755da3d44d098c0"
                      "c87382f3a5f85b45c8a28fee1d3bdb38342bf96671501429"},
      {"tcb_status", ""}}},
    {"tdx trustee quote v5 (TDX 1.5)", CCF_TEE_TDX, "tdx/trustee-tdx-quote-v5.dat", ROOTS_INTEL, NULL,
     NULL, T_2025_11_01, 0, CCF_OK, NULL,
     {{"dcap.version", "5"}, {"tdx.body_type", "3"}, {"dcap.fmspc", "90c06f000000"},
      {"tdx.mr_td", "dfba221b...400a"}}},
    {"tdx quote, AMD roots", CCF_TEE_TDX, TDX_TRUSTEE_V4, ROOTS_MILAN, NULL, NULL, T_2025_11_01, 0,
     CCF_ERR_DENIED, "tdx: PCK chain does not end at the pinned root", {{0}}},
    {"tdx quote, AWS root", CCF_TEE_TDX, TDX_TRUSTEE_V4, ROOTS_AWS, NULL, NULL, T_2025_11_01, 0,
     CCF_ERR_DENIED, "tdx: PCK chain does not end at the pinned root", {{0}}},
    {"tdx quote after the PCK expired", CCF_TEE_TDX, TDX_TRUSTEE_V4, ROOTS_INTEL, NULL, NULL,
     T_2040_01_01, 0, CCF_ERR_DENIED, "tdx: PCK certificate expired at", {{0}}},
    {"tdx quote before the PCK", CCF_TEE_TDX, TDX_TRUSTEE_V4, ROOTS_INTEL, NULL, NULL, T_2020_01_01,
     0, CCF_ERR_DENIED, "tdx: PCK certificate not yet valid until", {{0}}},
    /* ---- SGX */
    {"sgx dcap-qvl quote v3 with collateral", CCF_TEE_SGX, SGX_QVL, ROOTS_INTEL, NULL, SGX_QVL_COLL,
     T_2025_06_20, 0, CCF_OK, NULL,
     {{"dcap.version", "3"},
      {"sgx.mr_enclave", "33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb"},
      {"measurement_len", "32"},
      {"measurement", "33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb..."},
      {"sgx.mr_signer", "815f42f1...e0e6"},
      {"report_data", "48656c6c6f2c20776f726c6421" "000000" ZERO48}, /* "Hello, world!" */
      {"debug", "false"}, {"dcap.fmspc", "00a067110000"},
      {"tcb_status", "ConfigurationAndSWHardeningNeeded"},
      {"dcap.advisories", "INTEL-SA-00289,INTEL-SA-00615"}, {"dcap.qe_status", "UpToDate"},
      {"dcap.qe_isv_svn", "10"}}},
    /* a TDX quote is not an SGX quote */
    {"sgx given a TDX quote", CCF_TEE_SGX, TDX_QVL, ROOTS_INTEL, NULL, SGX_QVL_COLL, T_2025_06_20, 0,
     CCF_ERR_UNSUPPORTED, "sgx: quote version 4 not supported (3)", {{0}}},
    {"sgx trustee Occlum quote v3 (debug enclave)", CCF_TEE_SGX, "sgx/trustee-occlum-sgx-quote-v3.dat",
     ROOTS_INTEL, NULL, NULL, T_2025_06_20, 0, CCF_OK, NULL,
     {{"sgx.mr_enclave", "8f173e4613ff05c52aaf04162d234edae8c9977eae47eb2299ae16a553011c68"},
      {"sgx.mr_signer", "83d719e7...ce9e"},
      {"report_data", "74657374" "000000000000000000000000" ZERO48}, /* "test" */
      {"dcap.fmspc", "00606a000000"}, {"debug", "true"}, /* ATTRIBUTES 0x07 */
      {"tcb_status", ""}}},
    /* ---- Nitro */
    {"nitro evervault prod document", CCF_TEE_NITRO, NITRO_PROD, ROOTS_AWS, NULL, NULL, T_PROD_VALID,
     0, CCF_OK, NULL,
     {{"debug", "false"}, {"nitro.digest", "SHA384"}, {"nitro.timestamp_ms", "1665651482136"},
      {"nitro.pcr_len", "48"},
      {"nitro.pcrs[0]", "f4d48b81a460c9916d1e685119074bf24660afd3e34fae9fca0a0d28d9d5599936332687e6f6"
                        "6fc890ac8cf150142d8b"},
      {"nitro.pcrs[1]", "bcdf05fefccaa8e55bf2c8d6dee9e79bbff31e34bf28a99aa19e6b29c37ee80b214a414b7607"
                        "236edf26fcb78654e63f"},
      {"nitro.pcrs[2]", "d8f114da658de5481f8d9ec73907feb553560787522f705c92d7d96beed8e15e2aa611984e09"
                        "8c576832c292e8dc469a"},
      {"nitro.pcrs[8]", "8790eb3cce6c83d07e84b126dc61ca923333d6f66615c4a79157de48c5ab2418bdc60746ea7b"
                        "7afbff03a1c6210201cb"},
      {"measurement", "f4d48b81a460c9916d1e685119074bf24660afd3e34fae9fca0a0d28d9d5599936332687e6f6"
                      "6fc890ac8cf150142d8b"},
      {"nitro.has_nonce", "true"}, {"nitro.nonce_len", "256"}, {"nitro.has_user_data", "false"},
      {"nitro.has_public_key", "false"},
      {"report_data_len", "0"}, /* the nonce is longer than 64 bytes */
      {"signer", "~<- aws.nitro-enclaves (pinned)"}}},
    {"nitro evervault GA document (debug)", CCF_TEE_NITRO, NITRO_GA, ROOTS_AWS, NULL, NULL,
     T_GA_VALID, 0, CCF_OK, NULL,
     {{"debug", "true"}, /* PCR0..2 zero: debug mode, a production policy rejects it */
      {"nitro.pcrs[0]", ZERO48}, {"nitro.pcrs[1]", ZERO48}, {"nitro.pcrs[2]", ZERO48},
      {"nitro.has_user_data", "true"}, {"nitro.user_data", "3059301306...2acb"},
      {"nitro.nonce_len", "256"}}},
    {"nitro after the leaf expired", CCF_TEE_NITRO, NITRO_PROD, ROOTS_AWS, NULL, NULL,
     T_PROD_EXPIRED, 0, CCF_ERR_DENIED, "nitro: leaf certificate expired at 2022-10-13T11:58:02Z",
     {{0}}},
    {"nitro before the leaf", CCF_TEE_NITRO, NITRO_PROD, ROOTS_AWS, NULL, NULL, T_PROD_VALID - 7200,
     0, CCF_ERR_DENIED, "nitro: leaf certificate not yet valid until 2022-10-13T08:57:59Z", {{0}}},
    /* only 2023-09-18 14:37:09..17:37:12 UTC */
    {"nitro GA after the leaf expired", CCF_TEE_NITRO, NITRO_GA, ROOTS_AWS, NULL, NULL,
     T_GA_VALID + 3 * 3600, 0, CCF_ERR_DENIED,
     "nitro: leaf certificate expired at 2023-09-18T17:37:12Z", {{0}}},
    {"nitro document, Intel root", CCF_TEE_NITRO, NITRO_PROD, ROOTS_INTEL, NULL, NULL, T_PROD_VALID,
     0, CCF_ERR_DENIED, "nitro: leaf chain does not end at the pinned root", {{0}}},
    {"nitro document, AMD roots", CCF_TEE_NITRO, NITRO_PROD, ROOTS_GENOA, NULL, NULL, T_PROD_VALID,
     0, CCF_ERR_DENIED, "nitro: leaf chain does not end at the pinned root", {{0}}},
    {"nitro document without roots", CCF_TEE_NITRO, NITRO_PROD, NULL, NULL, NULL, T_PROD_VALID, 0,
     CCF_ERR_INVALID, "nitro: no pinned trust anchor given", {{0}}},
};

/* The driver of every row of samples (its state). */
static void test_sample(void **state)
{
    const sample_case *s = *state;
    tee_case k;
    ccf_tee_claims *c;
    char err[512] = "";
    ccf_err rc;
    NEED_DATA();
    c = calloc(1, sizeof *c);
    assert_non_null(c);
    case_load(&k, s->platform, s->evidence, s->roots, s->vcek, s->collateral, s->at);
    if (s->evidence_len != 0)
        assert_int_equal(k.ev_len, s->evidence_len);
    rc = case_run(&k, c, err, sizeof err);
    if (rc != s->verdict)
        fail_msg("%s: got %d (%s), wanted %d %s", s->name, rc, err, s->verdict,
                 s->refusal != NULL ? s->refusal : "");
    if (s->verdict != CCF_OK)
        assert_contains(err, s->refusal);
    for (const claim_value *v = s->values; s->verdict == CCF_OK && v->field != NULL; v++)
        check_value(s->name, c, v);
    free(c);
    case_free(&k);
}

/* ---------------------------------------------------------------- SNP */

static void test_snp_tampered(void **state)
{
    (void)state;
    NEED_DATA();
    tee_case k;
    case_load(&k, CCF_TEE_SNP, SNP_TRUSTEE, ROOTS_MILAN, SNP_TRUSTEE_VCEK, NULL, T_2025_01_01);
    /* Signed body: a reserved-free byte (42, image_id), reported_tcb (0x180),
     * measurement, report_data, the last signed byte. */
    const size_t body[] = {42, 0x180, 0x90, 0x50, 0x29F};
    for (size_t i = 0; i < sizeof body / sizeof body[0]; i++) {
        k.ev[body[i]] ^= 0x01;
        case_expect(&k, CCF_ERR_DENIED, "snp: report signature does not verify with the VCEK");
        k.ev[body[i]] ^= 0x01;
    }
    /* Signature r and s. */
    const size_t sig[] = {0x2A0, 0x2A0 + 47, 0x2E8, 0x2E8 + 20};
    for (size_t i = 0; i < sizeof sig / sizeof sig[0]; i++) {
        k.ev[sig[i]] ^= 0x80;
        case_expect(&k, CCF_ERR_DENIED, "snp: report signature does not verify with the VCEK");
        k.ev[sig[i]] ^= 0x80;
    }
    /* Header fields that select the algorithm/key are refused before the signature. */
    k.ev[0x34] = 2;
    case_expect(&k, CCF_ERR_UNSUPPORTED, "snp: signature algorithm 2");
    k.ev[0x34] = 1;
    k.ev[0x00] = 1;
    case_expect(&k, CCF_ERR_UNSUPPORTED, "snp: report version 1 not supported");
    k.ev[0x00] = 2;
    k.ev[0x48] = 0x04; /* SIGNING_KEY = VLEK, but the VCEK is given */
    case_expect(&k, CCF_ERR_DENIED, "snp: VLEK not signed by ASVK (Milan)");
    k.ev[0x48] = 0;
    case_free(&k);
}

static void test_snp_truncated(void **state)
{
    (void)state;
    NEED_DATA();
    tee_case k;
    uint8_t *big;
    case_load(&k, CCF_TEE_SNP, SNP_TRUSTEE, ROOTS_MILAN, SNP_TRUSTEE_VCEK, NULL, T_2025_01_01);
    const size_t lens[] = {0, 1, 4, 0x50, 0x2A0, 0x2E8, 1183};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        char err[512];
        k.ev_len = lens[i];
        assert_int_equal(case_run(&k, NULL, err, sizeof err), CCF_ERR_INVALID);
        assert_contains(err, "snp: report is");
    }
    big = calloc(1, 1185);
    assert_non_null(big);
    memcpy(big, k.ev, 1184);
    {
        char err[512];
        assert_int_equal(ccf_tee_verify(CCF_TEE_SNP, big, 1185, &k.o, NULL, err, sizeof err),
                         CCF_ERR_INVALID);
        assert_contains(err, "expected 1184");
    }
    free(big);
    k.ev_len = 1184;
    case_free(&k);
}

/* Trust inputs that are not a trust anchor or not a certificate at all
 * (wrong but well-formed roots and keys are rows of samples). */
static void test_snp_malformed_roots_and_keys(void **state)
{
    (void)state;
    NEED_DATA();
    tee_case k;
    char *genoa;
    size_t gl;
    case_load(&k, CCF_TEE_SNP, SNP_TRUSTEE, ROOTS_MILAN, SNP_TRUSTEE_VCEK, NULL, T_2025_01_01);
    genoa = load_raw(ROOTS_GENOA, &gl);
    /* Two products' bundles at once are refused rather than guessed. */
    {
        char *both = malloc(k.roots_len + gl);
        assert_non_null(both);
        memcpy(both, k.roots, k.roots_len);
        memcpy(both + k.roots_len, genoa, gl);
        k.o.roots = (uint8_t *)both;
        k.o.roots_len = k.roots_len + gl;
        case_expect(&k, CCF_ERR_INVALID, "snp: pinned roots hold more than one ARK");
        free(both);
    }
    /* Roots without the ARK (just the VCEK) are not an anchor. */
    k.o.roots = (uint8_t *)k.vcek;
    k.o.roots_len = k.vcek_len;
    case_expect(&k, CCF_ERR_INVALID, "snp: pinned roots lack an ARK");
    k.o.roots = (uint8_t *)k.roots;
    k.o.roots_len = k.roots_len;
    k.o.vcek = (uint8_t *)"junk";
    k.o.vcek_len = 4;
    case_expect(&k, CCF_ERR_INVALID, "snp: VCEK is not a certificate");
    free(genoa);
    case_free(&k);
}

static void test_snp_expectations(void **state)
{
    (void)state;
    NEED_DATA();
    tee_case k;
    char err[512];
    ccf_tee_claims c;
    uint8_t m[48], rd[32];
    case_load(&k, CCF_TEE_SNP, SNP_TRUSTEE, ROOTS_MILAN, SNP_TRUSTEE_VCEK, NULL, T_2025_01_01);
    assert_int_equal(case_run(&k, &c, err, sizeof err), CCF_OK);
    memcpy(m, c.measurement, 48);
    memcpy(rd, c.report_data, 32);
    k.o.expect_measurement = m;
    k.o.expect_measurement_len = 48;
    k.o.expect_report_data = rd; /* 32 bytes: the rest of report_data must be zero */
    k.o.expect_report_data_len = 32;
    assert_int_equal(case_run(&k, &c, err, sizeof err), CCF_OK);
    m[47] ^= 1;
    case_expect(&k, CCF_ERR_DENIED, "snp: measurement differs from the expected one");
    m[47] ^= 1;
    rd[0] ^= 1;
    case_expect(&k, CCF_ERR_DENIED, "snp: report_data differs from the expected one");
    case_free(&k);
}


static void test_snp_genoa_kbs_json(void **state)
{
    (void)state;
    NEED_DATA();
    size_t jl, rl, ml, vl;
    char *json = load_raw("snp/trustee-genoa-kbs-snp-evidence.json", &jl);
    char *roots = load_raw("roots/amd-genoa-ask-ark-asvk.pem", &rl);
    char *milan = load_raw("roots/amd-milan-ask-ark-asvk.pem", &ml);
    uint8_t report[1184], *vcek = NULL;
    char err[512] = "";
    ccf_tee_claims c;
    if (ccf_tee_snp_from_kbs_json(json, jl, report, &vcek, &vl, err, sizeof err) != CCF_OK)
        fail_msg("%s", err);
    assert_non_null(vcek);
    ccf_tee_verify_opts o = {.roots = (uint8_t *)roots, .roots_len = rl, .vcek = vcek,
                             .vcek_len = vl, .at = T_2025_11_01};
    if (ccf_tee_verify(CCF_TEE_SNP, report, sizeof report, &o, &c, err, sizeof err) != CCF_OK)
        fail_msg("refused: %s", err);
    assert_string_equal(c.snp.product, "Genoa");
    assert_int_equal(c.snp.version, 3);
    assert_int_equal(c.snp.policy, 0x30000);
    assert_int_equal(c.snp.vmpl, 0);
    assert_int_equal(c.snp.cpuid_fam, 0x19);
    assert_int_equal(c.snp.cpuid_mod, 0xA0);
    assert_int_equal(c.snp.cpuid_step, 2);
    const ccf_tee_snp_tcb *tcbs[] = {&c.snp.current_tcb, &c.snp.reported_tcb};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(tcbs[i]->bootloader, 10);
        assert_int_equal(tcbs[i]->tee, 0);
        assert_int_equal(tcbs[i]->snp, 23);
        assert_int_equal(tcbs[i]->microcode, 25);
    }
    assert_int_equal(c.snp.fw_major, 1);
    assert_int_equal(c.snp.fw_minor, 55);
    assert_int_equal(c.snp.fw_build, 40);
    assert_hex(c.measurement, 48,
               "6a6519d757e68c2e939c9dbbbc1828498e8de35d2766dd05f1a2cca5059d0cf4ae62a36d75c837974d"
               "d50b315506e73e");
    assert_hex(c.report_data, 64,
               "7e7320889600c7ac133aea7b896c51f41026002982292a7369559796999c1bf929eef3ff23c46e858f"
               "0b1982f9a92b17c51b578d958cde6b0c92978f150cf9b0");
    /* Milan roots for a Genoa report; the VCEK's validity starts 2025-05-27. */
    o.roots = (uint8_t *)milan;
    o.roots_len = ml;
    assert_int_equal(ccf_tee_verify(CCF_TEE_SNP, report, sizeof report, &o, NULL, err, sizeof err),
                     CCF_ERR_DENIED);
    assert_contains(err, "snp: VCEK not signed by ASK (Milan)");
    o.roots = (uint8_t *)roots;
    o.roots_len = rl;
    o.at = T_2025_01_01;
    assert_int_equal(ccf_tee_verify(CCF_TEE_SNP, report, sizeof report, &o, NULL, err, sizeof err),
                     CCF_ERR_DENIED);
    assert_contains(err, "snp: VCEK certificate not yet valid until 2025-05-27");
    o.at = T_2025_11_01;
    report[0x90] ^= 1;
    assert_int_equal(ccf_tee_verify(CCF_TEE_SNP, report, sizeof report, &o, NULL, err, sizeof err),
                     CCF_ERR_DENIED);
    assert_contains(err, "snp: report signature does not verify with the VCEK");
    free(vcek);
    /* Malformed JSON forms. */
    {
        const char *bad[] = {"", "[]", "{\"attestation_report\":1}",
                             "{\"attestation_report\":{\"family_id\":[1,2]}}"};
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            vcek = (uint8_t *)"not touched";
            assert_int_equal(ccf_tee_snp_from_kbs_json(bad[i], strlen(bad[i]), report, &vcek, &vl,
                                                       err, sizeof err),
                             CCF_ERR_INVALID);
            assert_null(vcek);
            assert_contains(err, "snp: JSON evidence");
        }
    }
    free(json);
    free(roots);
    free(milan);
}

/* ------------------------------------------- SNP with a throwaway AMD-like chain
 * The real samples exercise each check's success; these synthetic reports,
 * signed by keys made here, reach the checks that no public sample fails:
 * TCB and chip ID against the VCEK, VLEK, Turin's TCB layout, key types. */

#define T_2024_01_01 ((time_t)1704067200)
#define T_2030_01_01 ((time_t)1893456000)

static X509 *syn_cert(const char *cn, EVP_PKEY *key, X509 *issuer, time_t nb, time_t na)
{
    X509 *x = X509_new();
    assert_non_null(x);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
    ASN1_TIME_set(X509_getm_notBefore(x), nb);
    ASN1_TIME_set(X509_getm_notAfter(x), na);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                               (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(issuer != NULL ? issuer : x));
    X509_set_pubkey(x, key);
    return x;
}

/* basicConstraints CA:TRUE (critical), as OpenSSL path validation wants of issuers. */
static void syn_ca(X509 *x)
{
    BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
    assert_non_null(bc);
    bc->ca = 1;
    assert_int_equal(X509_add1_ext_i2d(x, NID_basic_constraints, bc, 1, 0), 1);
    BASIC_CONSTRAINTS_free(bc);
}

static void syn_sign(X509 *x, EVP_PKEY *issuer_key)
{
    assert_true(X509_sign(x, issuer_key, EVP_sha384()) > 0);
}

/* An AMD extension 1.3.6.1.4.1.3704.<suffix> holding the DER bytes given. */
/* An extension with OID oid_txt holding the DER bytes given. */
static void syn_ext(X509 *x, const char *oid_txt, const uint8_t *der, size_t n)
{
    ASN1_OBJECT *obj = OBJ_txt2obj(oid_txt, 1);
    ASN1_OCTET_STRING *v = ASN1_OCTET_STRING_new();
    assert_non_null(obj);
    assert_non_null(v);
    assert_true(ASN1_OCTET_STRING_set(v, der, (int)n));
    X509_EXTENSION *e = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, v);
    assert_non_null(e);
    assert_true(X509_add_ext(x, e, -1));
    X509_EXTENSION_free(e);
    ASN1_OCTET_STRING_free(v);
    ASN1_OBJECT_free(obj);
}

/* An AMD extension 1.3.6.1.4.1.3704.<suffix> holding the DER bytes given. */
static void syn_amd_ext(X509 *x, const char *suffix, const uint8_t *der, size_t n)
{
    char oid[64];
    snprintf(oid, sizeof oid, "1.3.6.1.4.1.3704.%s", suffix);
    syn_ext(x, oid, der, n);
}

static void syn_spl(X509 *x, const char *suffix, uint8_t v)
{
    uint8_t der[4] = {0x02, 0x01, v};
    size_t n = 3;
    if (v >= 0x80) { /* positive INTEGER needs a leading zero */
        der[1] = 2;
        der[2] = 0;
        der[3] = v;
        n = 4;
    }
    syn_amd_ext(x, suffix, der, n);
}

typedef struct {
    EVP_PKEY *ark_key, *ask_key, *vcek_key;
    X509 *ark, *ask, *vcek;
    uint8_t *roots, *vcek_der;
    size_t roots_len, vcek_len;
    uint8_t report[1184];
} syn_snp;

static uint8_t *pem_of(X509 **certs, int n, size_t *len)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *mem;
    uint8_t *out;
    assert_non_null(b);
    for (int i = 0; i < n; i++)
        assert_true(PEM_write_bio_X509(b, certs[i]));
    long m = BIO_get_mem_data(b, &mem);
    out = malloc((size_t)m);
    assert_non_null(out);
    memcpy(out, mem, (size_t)m);
    *len = (size_t)m;
    BIO_free(b);
    return out;
}

/* product "Milan" or "Turin"; vlek: the signing cert is a VLEK under an ASVK.
 * skip_ext: one SPL extension suffix to leave out (or NULL). */
static void syn_snp_make(syn_snp *k, const char *product, bool vlek, const char *skip_ext,
                         time_t ask_na)
{
    char cn[64];
    memset(k, 0, sizeof *k);
    k->ark_key = EVP_EC_gen("P-384");
    k->ask_key = EVP_EC_gen("P-384");
    k->vcek_key = EVP_EC_gen("P-384");
    assert_non_null(k->ark_key);
    assert_non_null(k->ask_key);
    assert_non_null(k->vcek_key);
    snprintf(cn, sizeof cn, "ARK-%s", product);
    k->ark = syn_cert(cn, k->ark_key, NULL, T_2024_01_01, T_2030_01_01);
    syn_ca(k->ark);
    syn_sign(k->ark, k->ark_key);
    snprintf(cn, sizeof cn, vlek ? "SEV-VLEK-%s" : "SEV-%s", product);
    k->ask = syn_cert(cn, k->ask_key, k->ark, T_2024_01_01, ask_na);
    syn_ca(k->ask);
    syn_sign(k->ask, k->ark_key);
    k->vcek = syn_cert(vlek ? "SEV-VLEK" : "SEV-VCEK", k->vcek_key, k->ask,
                       T_2024_01_01, T_2030_01_01);
    const char *spl[] = {"1.3.1", "1.3.2", "1.3.3", "1.3.8"};
    const uint8_t val[] = {4, 1, 22, 213};
    for (int i = 0; i < 4; i++)
        if (skip_ext == NULL || strcmp(skip_ext, spl[i]) != 0)
            syn_spl(k->vcek, spl[i], val[i]);
    if (strcmp(product, "Turin") == 0)
        syn_spl(k->vcek, "1.3.9", 9);
    uint8_t hwid[64];
    memset(hwid, 0xC1, sizeof hwid);
    syn_amd_ext(k->vcek, "1.4", hwid, 64);
    syn_sign(k->vcek, k->ask_key);
    X509 *bundle[2] = {k->ask, k->ark};
    k->roots = pem_of(bundle, 2, &k->roots_len);
    unsigned char *der = NULL;
    int dn = i2d_X509(k->vcek, &der);
    assert_true(dn > 0);
    k->vcek_der = malloc((size_t)dn);
    memcpy(k->vcek_der, der, (size_t)dn);
    k->vcek_len = (size_t)dn;
    OPENSSL_free(der);
    /* The report: v3, ECDSA P-384, the TCB the VCEK was issued for, its chip. */
    uint8_t *r = k->report;
    r[0] = 3;
    r[0x34] = 1;
    r[0x48] = vlek ? 0x04 : 0;
    memset(r + 0x90, 0xAB, 48);
    memset(r + 0x50, 0x5D, 64);
    uint8_t *tcb = r + 0x180;
    if (strcmp(product, "Turin") == 0) {
        tcb[0] = 9;
        tcb[1] = 4;
        tcb[2] = 1;
        tcb[3] = 22;
    } else {
        tcb[0] = 4;
        tcb[1] = 1;
        tcb[6] = 22;
    }
    tcb[7] = 213;
    memcpy(r + 0x1A0, hwid, 64);
}

/* Signs report[0..0x2A0) with key; r and s little-endian in 72-byte fields. */
static void syn_snp_sign(uint8_t *report, EVP_PKEY *key)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char der[128];
    size_t dl = sizeof der;
    assert_non_null(ctx);
    assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha384(), NULL, key), 1);
    assert_int_equal(EVP_DigestSign(ctx, der, &dl, report, 0x2A0), 1);
    const unsigned char *p = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)dl);
    assert_non_null(sig);
    memset(report + 0x2A0, 0, 0x4A0 - 0x2A0);
    assert_true(BN_bn2lebinpad(ECDSA_SIG_get0_r(sig), report + 0x2A0, 72) == 72);
    assert_true(BN_bn2lebinpad(ECDSA_SIG_get0_s(sig), report + 0x2E8, 72) == 72);
    ECDSA_SIG_free(sig);
    EVP_MD_CTX_free(ctx);
}

static void syn_snp_free(syn_snp *k)
{
    X509_free(k->ark);
    X509_free(k->ask);
    X509_free(k->vcek);
    EVP_PKEY_free(k->ark_key);
    EVP_PKEY_free(k->ask_key);
    EVP_PKEY_free(k->vcek_key);
    free(k->roots);
    free(k->vcek_der);
}

static ccf_err syn_snp_run(syn_snp *k, ccf_tee_claims *c, char *err, size_t n)
{
    ccf_tee_verify_opts o = {.roots = k->roots, .roots_len = k->roots_len, .vcek = k->vcek_der,
                             .vcek_len = k->vcek_len, .at = T_2025_01_01};
    return ccf_tee_verify(CCF_TEE_SNP, k->report, sizeof k->report, &o, c, err, n);
}

static void syn_snp_expect(syn_snp *k, ccf_err want, const char *msg)
{
    char err[512] = "";
    ccf_err rc;
    syn_snp_sign(k->report, k->vcek_key);
    rc = syn_snp_run(k, NULL, err, sizeof err);
    if (rc != want)
        fail_msg("got %d (%s), wanted %d with '%s'", rc, err, want, msg);
    assert_contains(err, msg);
}

static void test_snp_synthetic_tcb_and_chip(void **state)
{
    (void)state;
    syn_snp k;
    ccf_tee_claims c;
    char err[512] = "";
    syn_snp_make(&k, "Milan", false, NULL, T_2030_01_01);
    syn_snp_sign(k.report, k.vcek_key);
    if (syn_snp_run(&k, &c, err, sizeof err) != CCF_OK)
        fail_msg("refused: %s", err);
    assert_int_equal(c.snp.reported_tcb.bootloader, 4);
    assert_int_equal(c.snp.reported_tcb.tee, 1);
    assert_int_equal(c.snp.reported_tcb.snp, 22);
    assert_int_equal(c.snp.reported_tcb.microcode, 213);
    assert_string_equal(c.signer, "VCEK (SEV-VCEK) <- ASK (SEV-Milan) <- ARK-Milan (pinned)");
    /* A TCB other than the one the VCEK was issued for, correctly signed. */
    k.report[0x186] = 23;
    syn_snp_expect(&k, CCF_ERR_DENIED, "snp: reported TCB snpSPL=23 differs from the VCEK's 22");
    k.report[0x186] = 22;
    k.report[0x187] = 200;
    syn_snp_expect(&k, CCF_ERR_DENIED, "snp: reported TCB ucodeSPL=200 differs from the VCEK's 213");
    k.report[0x187] = 213;
    /* Another chip's report under this VCEK, unless the chip ID is masked. */
    k.report[0x1A0 + 63] ^= 1;
    syn_snp_expect(&k, CCF_ERR_DENIED, "snp: chip_id differs from the VCEK's hwID");
    k.report[0x48] = 0x02; /* MASK_CHIP_ID */
    syn_snp_sign(k.report, k.vcek_key);
    assert_int_equal(syn_snp_run(&k, NULL, err, sizeof err), CCF_OK);
    k.report[0x48] = 0;
    k.report[0x1A0 + 63] ^= 1;
    /* Debug policy is reported, not refused. */
    k.report[0x0A] = 0x08; /* policy bit 19 */
    syn_snp_sign(k.report, k.vcek_key);
    assert_int_equal(syn_snp_run(&k, &c, err, sizeof err), CCF_OK);
    assert_true(c.debug);
    syn_snp_free(&k);

    syn_snp_make(&k, "Milan", false, "1.3.8", T_2030_01_01);
    syn_snp_expect(&k, CCF_ERR_DENIED, "snp: VCEK lacks the ucodeSPL extension");
    syn_snp_free(&k);

    /* The ASK expires before the VCEK: the time check names it. */
    syn_snp_make(&k, "Milan", false, NULL, T_2024_01_01 + 86400);
    syn_snp_expect(&k, CCF_ERR_DENIED, "snp: ASK certificate expired at 2024-01-02T00:00:00Z");
    syn_snp_free(&k);
}

static void test_snp_synthetic_vlek_turin(void **state)
{
    (void)state;
    syn_snp k;
    ccf_tee_claims c;
    char err[512] = "";
    /* VLEK under an ASVK ("SEV-VLEK-Milan"): the bundle has ARK + ASVK only. */
    syn_snp_make(&k, "Milan", true, NULL, T_2030_01_01);
    syn_snp_sign(k.report, k.vcek_key);
    if (syn_snp_run(&k, &c, err, sizeof err) != CCF_ERR_INVALID)
        fail_msg("no ASK in the bundle: %s", err);
    assert_contains(err, "snp: pinned roots lack an ARK-* and an ASK");
    {
        /* Add an (unrelated) ASK so that the bundle is complete. */
        EVP_PKEY *key = EVP_EC_gen("P-384");
        X509 *ask = syn_cert("SEV-Milan", key, k.ark, T_2024_01_01, T_2030_01_01);
        syn_ca(ask);
        syn_sign(ask, k.ark_key);
        X509 *bundle[3] = {ask, k.ark, k.ask};
        free(k.roots);
        k.roots = pem_of(bundle, 3, &k.roots_len);
        X509_free(ask);
        EVP_PKEY_free(key);
    }
    if (syn_snp_run(&k, &c, err, sizeof err) != CCF_OK)
        fail_msg("refused: %s", err);
    assert_int_equal(c.snp.signing_key, 1);
    assert_string_equal(c.signer, "VLEK (SEV-VLEK) <- ASVK (SEV-VLEK-Milan) <- ARK-Milan (pinned)");
    /* The same report claiming a VCEK: the VLEK is not signed by the ASK. */
    k.report[0x48] = 0;
    syn_snp_expect(&k, CCF_ERR_DENIED, "snp: VCEK not signed by ASK (Milan)");
    syn_snp_free(&k);

    /* Turin: TCB_VERSION starts with FMC; fmcSPL must match too. */
    syn_snp_make(&k, "Turin", false, NULL, T_2030_01_01);
    syn_snp_sign(k.report, k.vcek_key);
    if (syn_snp_run(&k, &c, err, sizeof err) != CCF_OK)
        fail_msg("refused: %s", err);
    assert_int_equal(c.snp.reported_tcb.fmc, 9);
    assert_int_equal(c.snp.reported_tcb.bootloader, 4);
    assert_int_equal(c.snp.reported_tcb.tee, 1);
    assert_int_equal(c.snp.reported_tcb.snp, 22);
    assert_int_equal(c.snp.reported_tcb.microcode, 213);
    k.report[0x180] = 8;
    syn_snp_expect(&k, CCF_ERR_DENIED, "snp: reported TCB fmcSPL=8 differs from the VCEK's 9");
    syn_snp_free(&k);
}

static void test_snp_synthetic_key_type(void **state)
{
    (void)state;
    syn_snp k;
    char err[512];
    syn_snp_make(&k, "Milan", false, NULL, T_2030_01_01);
    /* Re-issue the VCEK for a P-256 key: the report key must be P-384. */
    EVP_PKEY *p256 = EVP_EC_gen("P-256");
    X509 *v = syn_cert("SEV-VCEK", p256, k.ask, T_2024_01_01, T_2030_01_01);
    syn_sign(v, k.ask_key);
    unsigned char *der = NULL;
    int dn = i2d_X509(v, &der);
    free(k.vcek_der);
    k.vcek_der = malloc((size_t)dn);
    memcpy(k.vcek_der, der, (size_t)dn);
    k.vcek_len = (size_t)dn;
    OPENSSL_free(der);
    syn_snp_sign(k.report, k.vcek_key);
    assert_int_equal(syn_snp_run(&k, NULL, err, sizeof err), CCF_ERR_DENIED);
    assert_contains(err, "snp: VCEK key is not ECDSA P-384");
    X509_free(v);
    EVP_PKEY_free(p256);
    syn_snp_free(&k);
}

/* ---------------------------------------------------------------- TDX */

/* A v5 body descriptor that lies about the size, or names an unknown body type. */
static void test_tdx_v5_body_descriptor(void **state)
{
    (void)state;
    NEED_DATA();
    tee_case k;
    case_load(&k, CCF_TEE_TDX, "tdx/trustee-tdx-quote-v5.dat", ROOTS_INTEL, NULL, NULL, T_2025_11_01);
    case_expect(&k, CCF_OK, "");
    k.ev[50] ^= 0x01;
    case_expect(&k, CCF_ERR_UNSUPPORTED, "tdx: v5 body type 3 of size");
    k.ev[50] ^= 0x01;
    k.ev[48] = 9;
    case_expect(&k, CCF_ERR_UNSUPPORTED, "tdx: v5 body type 9");
    case_free(&k);
}

/* The trustee raw PCS bodies {"tcbInfo":{...},"signature":"..."} signed over
 * the exact inner object text, combined with the issuer chain from the
 * dcap-qvl collateral into the collateral shape the verifier reads. */
static char *inner_object(const char *text, const char *key)
{
    char pat[64];
    const char *p, *start;
    int depth = 0;
    bool in_str = false;
    snprintf(pat, sizeof pat, "\"%s\":", key);
    if ((p = strstr(text, pat)) == NULL || (start = strchr(p + strlen(pat), '{')) == NULL)
        return NULL;
    for (p = start; *p; p++) {
        if (in_str) {
            if (*p == '\\' && p[1])
                p++;
            else if (*p == '"')
                in_str = false;
        } else if (*p == '"')
            in_str = true;
        else if (*p == '{')
            depth++;
        else if (*p == '}' && --depth == 0)
            return strndup(start, (size_t)(p - start + 1));
    }
    return NULL;
}

static char *trustee_collateral(size_t *len)
{
    size_t n;
    char *tcb = load_raw("tdx/trustee-tcbInfo-fmspc00A06D080000.json", &n);
    char *qe = load_raw("tdx/trustee-td-qe-identity.json", &n);
    char *qvl = load_raw("tdx/dcapqvl-tdx-quote-v4.collateral.json", &n);
    char *ti = inner_object(tcb, "tcbInfo"), *qi = inner_object(qe, "enclaveIdentity"), *out;
    json_t *jt = json_loads(tcb, 0, NULL), *jq = json_loads(qe, 0, NULL), *jv = json_loads(qvl, 0, NULL);
    assert_non_null(ti);
    assert_non_null(qi);
    assert_non_null(jt);
    assert_non_null(jq);
    assert_non_null(jv);
    json_t *o = json_pack("{s:s,s:O,s:O,s:s,s:O,s:O}", "tcb_info", ti, "tcb_info_signature",
                          json_object_get(jt, "signature"), "tcb_info_issuer_chain",
                          json_object_get(jv, "tcb_info_issuer_chain"), "qe_identity", qi,
                          "qe_identity_signature", json_object_get(jq, "signature"),
                          "qe_identity_issuer_chain", json_object_get(jv, "qe_identity_issuer_chain"));
    assert_non_null(o);
    out = json_dumps(o, 0);
    *len = strlen(out);
    json_decref(o);
    json_decref(jt);
    json_decref(jq);
    json_decref(jv);
    free(ti);
    free(qi);
    free(tcb);
    free(qe);
    free(qvl);
    return out;
}

static void test_tdx_trustee_collateral_outofdate(void **state)
{
    (void)state;
    NEED_DATA();
    tee_case k;
    ccf_tee_claims c;
    char err[512] = "";
    case_load(&k, CCF_TEE_TDX, "tdx/trustee-tdx-quote-v4-fmspc00A06D080000.dat", ROOTS_INTEL, NULL, NULL, T_2025_11_01);
    k.coll = trustee_collateral(&k.coll_len);
    k.o.collateral = k.coll;
    k.o.collateral_len = k.coll_len;
    if (case_run(&k, &c, err, sizeof err) != CCF_OK)
        fail_msg("refused: %s", err);
    assert_hex(c.dcap.fmspc, 6, "00a06d080000");
    assert_int_equal(c.dcap.pce_svn, 11); /* < 13: the UpToDate level is skipped */
    assert_string_equal(c.tcb_status, "OutOfDate");
    assert_string_equal(c.dcap.advisories, "");
    assert_string_equal(c.tdx.tdx_module_status, "UpToDate"); /* TDX_03 */
    assert_string_equal(c.dcap.qe_status, "UpToDate");
    assert_int_equal(c.dcap.qe_isv_svn, 7);
    assert_hex_prefix_suffix(c.tdx.mr_td, 48, "21e8dead", "1e88");
    /* This collateral is for another FMSPC than the dcap-qvl quote. */
    free(k.ev);
    k.ev = load(TDX_QVL, &k.ev_len);
    case_expect(&k, CCF_ERR_DENIED, "tdx: TCB info is for another FMSPC/PCE ID");
    case_free(&k);
}

static void test_tdx_collateral_refusals(void **state)
{
    (void)state;
    NEED_DATA();
    tee_case k;
    json_t *j;
    char *bad;
    case_load(&k, CCF_TEE_TDX, TDX_QVL, ROOTS_INTEL, NULL, TDX_QVL_COLL, T_2025_06_20);
    /* One changed byte in the signed TCB info text. */
    j = json_loads(k.coll, 0, NULL);
    assert_non_null(j);
    {
        char *ti = strdup(json_string_value(json_object_get(j, "tcb_info")));
        char *u = strstr(ti, "\"pcesvn\":11");
        assert_non_null(u);
        u[10] = '0'; /* pcesvn 11 -> 10 */
        json_object_set_new(j, "tcb_info", json_string(ti));
        free(ti);
    }
    bad = json_dumps(j, 0);
    k.o.collateral = bad;
    k.o.collateral_len = strlen(bad);
    case_expect(&k, CCF_ERR_DENIED, "tdx: TCB info signature does not verify");
    free(bad);
    json_decref(j);
    /* A QE identity signature that is someone else's (the TCB info's). */
    j = json_loads(k.coll, 0, NULL);
    json_object_set(j, "qe_identity_signature", json_object_get(j, "tcb_info_signature"));
    bad = json_dumps(j, 0);
    k.o.collateral = bad;
    k.o.collateral_len = strlen(bad);
    case_expect(&k, CCF_ERR_DENIED, "tdx: QE identity signature does not verify");
    free(bad);
    json_decref(j);
    k.o.collateral = "[]";
    k.o.collateral_len = 2;
    case_expect(&k, CCF_ERR_INVALID, "tdx: collateral is not a JSON object");
    case_free(&k);
}

static void test_tdx_tampered(void **state)
{
    (void)state;
    NEED_DATA();
    tee_case k;
    case_load(&k, CCF_TEE_TDX, TDX_TRUSTEE_V4, ROOTS_INTEL, NULL, NULL, T_2025_11_01);
    assert_int_equal(k.ev_len, 4936);
    /* Signed by the attestation key: header user_data, mr_td, report_data. */
    const size_t body[] = {30, 48 + 136, 48 + 520, 631};
    for (size_t i = 0; i < sizeof body / sizeof body[0]; i++) {
        k.ev[body[i]] ^= 0x01;
        case_expect(&k, CCF_ERR_DENIED,
                           "tdx: quote signature does not verify with the attestation key");
        k.ev[body[i]] ^= 0x01;
    }
    /* The quote signature itself (r, s). */
    k.ev[636] ^= 0x01;
    case_expect(&k, CCF_ERR_DENIED, "tdx: quote signature does not verify");
    k.ev[636] ^= 0x01;
    k.ev[636 + 40] ^= 0x01;
    case_expect(&k, CCF_ERR_DENIED, "tdx: quote signature does not verify");
    k.ev[636 + 40] ^= 0x01;
    /* The attestation key (covered by the QE report, not by itself). */
    k.ev[636 + 64 + 5] ^= 0x01;
    case_expect(&k, CCF_ERR_DENIED, "tdx: QE report does not bind the attestation key");
    k.ev[636 + 64 + 5] ^= 0x01;
    /* The QE report and its signature by the PCK. */
    k.ev[770 + 100] ^= 0x01;
    case_expect(&k, CCF_ERR_DENIED, "tdx: QE report signature does not verify with the PCK key");
    k.ev[770 + 100] ^= 0x01;
    k.ev[770 + 384 + 3] ^= 0x01;
    case_expect(&k, CCF_ERR_DENIED, "tdx: QE report signature does not verify with the PCK key");
    k.ev[770 + 384 + 3] ^= 0x01;
    /* Header fields that select what is verified. */
    k.ev[0] = 3;
    case_expect(&k, CCF_ERR_UNSUPPORTED, "tdx: quote version 3 not supported");
    k.ev[0] = 4;
    k.ev[4] = 0x00;
    case_expect(&k, CCF_ERR_UNSUPPORTED, "tdx: quote is not a TDX quote");
    k.ev[4] = 0x81;
    k.ev[2] = 3;
    case_expect(&k, CCF_ERR_UNSUPPORTED, "tdx: quote is not a TDX quote with an ECDSA-P256");
    k.ev[2] = 2;
    {
        char err[512];
        assert_int_equal(case_run(&k, NULL, err, sizeof err), CCF_OK);
    }
    case_free(&k);
}

static uint16_t ccf_tee_le16_test(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static void put_le(uint8_t *p, uint32_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void test_tdx_lengths(void **state)
{
    (void)state;
    NEED_DATA();
    tee_case k;
    uint8_t save[4];
    case_load(&k, CCF_TEE_TDX, TDX_TRUSTEE_V4, ROOTS_INTEL, NULL, NULL, T_2025_11_01);
    const size_t full = k.ev_len;
    const size_t lens[] = {0, 1, 47, 48, 100, 631, 632, 635, 636, 700, 770, 1000, 1160, 1300, full - 1};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        char err[512] = "";
        k.ev_len = lens[i];
        if (case_run(&k, NULL, err, sizeof err) != CCF_ERR_INVALID)
            fail_msg("length %zu: '%s'", lens[i], err);
        assert_contains(err, "tdx: ");
    }
    k.ev_len = full;
    /* Oversized length fields. */
    memcpy(save, k.ev + 632, 4);
    put_le(k.ev + 632, 0xFFFFFFFFu, 4);
    case_expect(&k, CCF_ERR_INVALID, "tdx: signature data length exceeds the quote");
    put_le(k.ev + 632, (uint32_t)(full - 636 + 1), 4);
    case_expect(&k, CCF_ERR_INVALID, "tdx: signature data length exceeds the quote");
    memcpy(k.ev + 632, save, 4);
    memcpy(save, k.ev + 766, 4);
    put_le(k.ev + 766, 0x7FFFFFFFu, 4);
    case_expect(&k, CCF_ERR_INVALID, "tdx: certification data length exceeds");
    memcpy(k.ev + 766, save, 4);
    memcpy(save, k.ev + 770 + 448, 2);
    put_le(k.ev + 770 + 448, 0xFFFF, 2);
    case_expect(&k, CCF_ERR_INVALID, "tdx: QE authentication data length exceeds");
    memcpy(k.ev + 770 + 448, save, 2);
    {
        size_t pem_len_at = 770 + 450 + ccf_tee_le16_test(k.ev + 770 + 448) + 2;
        memcpy(save, k.ev + pem_len_at, 4);
        put_le(k.ev + pem_len_at, 0xFFFFFFF0u, 4);
        case_expect(&k, CCF_ERR_INVALID, "tdx: PCK chain length exceeds");
        memcpy(k.ev + pem_len_at, save, 4);
    }
    {
        char err[512];
        assert_int_equal(case_run(&k, NULL, err, sizeof err), CCF_OK);
    }
    case_free(&k);
}


/* ------------------------------------------- DCAP quotes and collateral made here
 * A throwaway Intel-like PKI (root, PCK platform CA, PCK with its SGX
 * extension, TCB signing cert) signs TDX quotes and collateral, so that the
 * TCB level matching, the TDX module and QE identity checks and the status
 * convergence are exercised beyond the three public data points. */

typedef struct {
    uint8_t b[2048];
    size_t n;
} der_buf;

static void der_tlv(der_buf *o, uint8_t tag, const void *v, size_t n)
{
    assert_true(n < 65536 && o->n + n + 4 <= sizeof o->b);
    o->b[o->n++] = tag;
    if (n < 128) {
        o->b[o->n++] = (uint8_t)n;
    } else if (n < 256) {
        o->b[o->n++] = 0x81;
        o->b[o->n++] = (uint8_t)n;
    } else {
        o->b[o->n++] = 0x82;
        o->b[o->n++] = (uint8_t)(n >> 8);
        o->b[o->n++] = (uint8_t)n;
    }
    memcpy(o->b + o->n, v, n);
    o->n += n;
}

static void der_oid(der_buf *o, const char *txt)
{
    ASN1_OBJECT *obj = OBJ_txt2obj(txt, 1);
    assert_non_null(obj);
    der_tlv(o, 0x06, OBJ_get0_data(obj), OBJ_length(obj));
    ASN1_OBJECT_free(obj);
}

/* SEQUENCE { OID, value } appended to o. */
static void der_pair(der_buf *o, const char *oid, uint8_t tag, const void *v, size_t n)
{
    der_buf item = {0};
    der_oid(&item, oid);
    der_tlv(&item, tag, v, n);
    der_tlv(o, 0x30, item.b, item.n);
}

static void der_pair_int(der_buf *o, const char *oid, unsigned v)
{
    uint8_t b[3];
    size_t n = 0;
    if (v >= 0x8000)
        b[n++] = 0;
    if (v >= 0x80)
        b[n++] = (uint8_t)(v >> 8);
    b[n++] = (uint8_t)v;
    if (v >= 0x80 && v < 0x100) { /* 0x80..0xFF: 00 xx */
        b[0] = 0;
        b[1] = (uint8_t)v;
        n = 2;
    }
    der_pair(o, oid, 0x02, b, n);
}

typedef struct {
    unsigned pce_svn;
    uint8_t cpu_svn[16];
    uint8_t tee_tcb_svn[16];
    unsigned qe_isv_svn;
    uint8_t qe_mrsigner;
    uint8_t qe_attr0;
} tdx_params;

typedef struct {
    EVP_PKEY *root_key, *ca_key, *pck_key, *tcb_key, *att_key;
    X509 *root, *ca, *pck, *tcbsign;
    uint8_t *root_pem, *quote;
    size_t root_pem_len, quote_len;
    json_t *tcb, *qe;
    char *coll;
} syn_tdx;

static void syn_p256_sign(EVP_PKEY *key, const void *msg, size_t n, uint8_t rs[64])
{
    unsigned char der[80];
    size_t dl = sizeof der;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key), 1);
    assert_int_equal(EVP_DigestSign(ctx, der, &dl, msg, n), 1);
    EVP_MD_CTX_free(ctx);
    const unsigned char *p = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)dl);
    assert_non_null(sig);
    assert_true(BN_bn2binpad(ECDSA_SIG_get0_r(sig), rs, 32) == 32);
    assert_true(BN_bn2binpad(ECDSA_SIG_get0_s(sig), rs + 32, 32) == 32);
    ECDSA_SIG_free(sig);
}

static json_t *syn_levels_components(int svn)
{
    json_t *a = json_array();
    for (int i = 0; i < 16; i++)
        json_array_append_new(a, json_pack("{s:i}", "svn", i < 2 ? svn : 0));
    return a;
}

static json_t *syn_tcb_level(int sgx_svn, int pcesvn, int tdx0, int tdx2, const char *status)
{
    json_t *tdx = json_array();
    for (int i = 0; i < 16; i++)
        json_array_append_new(tdx, json_pack("{s:i}", "svn", i == 0 ? tdx0 : i == 2 ? tdx2 : 0));
    return json_pack("{s:{s:o,s:i,s:o},s:s}", "tcb", "sgxtcbcomponents",
                     syn_levels_components(sgx_svn), "pcesvn", pcesvn, "tdxtcbcomponents", tdx,
                     "tcbStatus", status);
}

static void syn_tdx_pki(syn_tdx *k, unsigned pce_svn, const uint8_t cpu_svn[16])
{
    memset(k, 0, sizeof *k);
    k->root_key = EVP_EC_gen("P-256");
    k->ca_key = EVP_EC_gen("P-256");
    k->pck_key = EVP_EC_gen("P-256");
    k->tcb_key = EVP_EC_gen("P-256");
    k->att_key = EVP_EC_gen("P-256");
    k->root = syn_cert("Test SGX Root CA", k->root_key, NULL, T_2024_01_01, T_2030_01_01);
    syn_ca(k->root);
    syn_sign(k->root, k->root_key);
    k->ca = syn_cert("Test SGX PCK Platform CA", k->ca_key, k->root, T_2024_01_01, T_2030_01_01);
    syn_ca(k->ca);
    syn_sign(k->ca, k->root_key);
    k->tcbsign = syn_cert("Test SGX TCB Signing", k->tcb_key, k->root, T_2024_01_01, T_2030_01_01);
    syn_sign(k->tcbsign, k->root_key);
    k->pck = syn_cert("Test SGX PCK Certificate", k->pck_key, k->ca, T_2024_01_01, T_2030_01_01);
    {
        /* SGX extension: TCB (components, PCE SVN, CPU SVN), PCE ID, FMSPC. */
        der_buf tcb = {0}, ext = {0}, seq = {0};
        const char *base = "1.2.840.113741.1.13.1";
        char oid[64];
        for (int i = 1; i <= 16; i++) {
            snprintf(oid, sizeof oid, "%s.2.%d", base, i);
            der_pair_int(&tcb, oid, cpu_svn[i - 1]);
        }
        snprintf(oid, sizeof oid, "%s.2.17", base);
        der_pair_int(&tcb, oid, pce_svn);
        snprintf(oid, sizeof oid, "%s.2.18", base);
        der_pair(&tcb, oid, 0x04, cpu_svn, 16);
        snprintf(oid, sizeof oid, "%s.2", base);
        der_pair(&ext, oid, 0x30, tcb.b, tcb.n);
        snprintf(oid, sizeof oid, "%s.3", base);
        der_pair(&ext, oid, 0x04, "\x00\x00", 2);
        snprintf(oid, sizeof oid, "%s.4", base);
        der_pair(&ext, oid, 0x04, "\x00\x90\x6e\xd5\x00\x00", 6);
        der_tlv(&seq, 0x30, ext.b, ext.n);
        syn_ext(k->pck, base, seq.b, seq.n);
    }
    syn_sign(k->pck, k->ca_key);
    k->root_pem = pem_of(&k->root, 1, &k->root_pem_len);
    /* Collateral bodies; tests edit them before syn_tdx_collateral(). */
    k->tcb = json_pack("{s:s,s:i,s:s,s:s,s:s,s:s,s:i,s:[{s:s,s:[{s:{s:i},s:s},{s:{s:i},s:s}]}],s:[o,o,o]}",
                       "id", "TDX", "version", 3, "issueDate", "2024-06-01T00:00:00Z",
                       "nextUpdate", "2025-06-01T00:00:00Z", "fmspc", "00906ED50000", "pceId",
                       "0000", "tcbType", 0, "tdxModuleIdentities", "id", "TDX_01", "tcbLevels",
                       "tcb", "isvsvn", 4, "tcbStatus", "UpToDate", "tcb", "isvsvn", 2,
                       "tcbStatus", "OutOfDate", "tcbLevels",
                       syn_tcb_level(3, 13, 5, 3, "UpToDate"),
                       syn_tcb_level(2, 5, 4, 2, "SWHardeningNeeded"),
                       syn_tcb_level(1, 3, 0, 0, "Revoked"));
    k->qe = json_pack("{s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:[{s:{s:i},s:s},{s:{s:i},s:s}]}",
                      "id", "TD_QE", "version", 2, "issueDate", "2024-06-01T00:00:00Z",
                      "nextUpdate", "2025-06-01T00:00:00Z", "miscselect", "00000000",
                      "miscselectMask", "FFFFFFFF", "attributes",
                      "11000000000000000000000000000000", "attributesMask",
                      "FBFFFFFFFFFFFFFF0000000000000000", "mrsigner",
                      "DCDCDCDCDCDCDCDCDCDCDCDCDCDCDCDCDCDCDCDCDCDCDCDCDCDCDCDCDCDCDCDC",
                      "isvprodid", 2, "tcbLevels", "tcb", "isvsvn", 4, "tcbStatus", "UpToDate",
                      "tcb", "isvsvn", 1, "tcbStatus", "OutOfDate");
    assert_non_null(k->tcb);
    assert_non_null(k->qe);
}

/* The quote, signed through the throwaway PKI. */
static void syn_tdx_quote(syn_tdx *k, const tdx_params *p)
{
    uint8_t hdr[48] = {4, 0, 2, 0, 0x81}, body[584], akey[65], qer[384], auth[32], qsig[64];
    uint8_t qesig[64], h[32];
    size_t alen = sizeof akey, pem_len;
    X509 *chain[3] = {k->pck, k->ca, k->root};
    uint8_t *pem = pem_of(chain, 3, &pem_len);
    memset(body, 0x42, sizeof body);
    memcpy(body, p->tee_tcb_svn, 16);
    body[120] = 0; /* TD attributes: not debug */
    assert_int_equal(EVP_PKEY_get_octet_string_param(k->att_key, OSSL_PKEY_PARAM_PUB_KEY, akey,
                                                     sizeof akey, &alen), 1);
    assert_int_equal(alen, 65);
    for (int i = 0; i < 32; i++)
        auth[i] = (uint8_t)i;
    memset(qer, 0, sizeof qer);
    qer[48] = p->qe_attr0;
    memset(qer + 128, p->qe_mrsigner, 32);
    qer[256] = 2; /* isvprodid */
    qer[258] = (uint8_t)p->qe_isv_svn;
    {
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        assert_int_equal(EVP_DigestInit_ex(md, EVP_sha256(), NULL), 1);
        EVP_DigestUpdate(md, akey + 1, 64);
        EVP_DigestUpdate(md, auth, sizeof auth);
        EVP_DigestFinal_ex(md, h, NULL);
        EVP_MD_CTX_free(md);
    }
    memcpy(qer + 320, h, 32);
    syn_p256_sign(k->pck_key, qer, sizeof qer, qesig);
    uint8_t *signed_part = malloc(48 + 584);
    memcpy(signed_part, hdr, 48);
    memcpy(signed_part + 48, body, 584);
    syn_p256_sign(k->att_key, signed_part, 48 + 584, qsig);
    size_t cd_len = 384 + 64 + 2 + sizeof auth + 6 + pem_len;
    size_t sd_len = 64 + 64 + 6 + cd_len;
    k->quote_len = 48 + 584 + 4 + sd_len;
    k->quote = malloc(k->quote_len);
    uint8_t *q = k->quote;
    memcpy(q, signed_part, 632);
    q += 632;
    put_le(q, (uint32_t)sd_len, 4);
    q += 4;
    memcpy(q, qsig, 64);
    memcpy(q + 64, akey + 1, 64);
    q += 128;
    put_le(q, 6, 2);
    put_le(q + 2, (uint32_t)cd_len, 4);
    q += 6;
    memcpy(q, qer, 384);
    memcpy(q + 384, qesig, 64);
    q += 448;
    put_le(q, sizeof auth, 2);
    memcpy(q + 2, auth, sizeof auth);
    q += 2 + sizeof auth;
    put_le(q, 5, 2);
    put_le(q + 2, (uint32_t)pem_len, 4);
    memcpy(q + 6, pem, pem_len);
    free(pem);
    free(signed_part);
}

/* Signs the current tcb/qe bodies (or the ones' signers given) into k->coll. */
static void syn_tdx_collateral(syn_tdx *k, EVP_PKEY *signer, X509 *signer_cert)
{
    char *tcb = json_dumps(k->tcb, JSON_COMPACT), *qe = json_dumps(k->qe, JSON_COMPACT);
    uint8_t ts[64], qs[64];
    char th[129], qh[129];
    X509 *chain[2] = {signer_cert, k->root};
    size_t chain_len;
    uint8_t *pem = pem_of(chain, 2, &chain_len);
    char *chain_text = strndup((char *)pem, chain_len);
    syn_p256_sign(signer, tcb, strlen(tcb), ts);
    syn_p256_sign(signer, qe, strlen(qe), qs);
    ccf_hex_encode(ts, 64, th);
    ccf_hex_encode(qs, 64, qh);
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "tcb_info", tcb, "tcb_info_signature", th,
                          "tcb_info_issuer_chain", chain_text, "qe_identity", qe,
                          "qe_identity_signature", qh, "qe_identity_issuer_chain", chain_text);
    free(k->coll);
    k->coll = json_dumps(o, 0);
    json_decref(o);
    free(tcb);
    free(qe);
    free(pem);
    free(chain_text);
}

static void syn_tdx_free(syn_tdx *k)
{
    EVP_PKEY_free(k->root_key);
    EVP_PKEY_free(k->ca_key);
    EVP_PKEY_free(k->pck_key);
    EVP_PKEY_free(k->tcb_key);
    EVP_PKEY_free(k->att_key);
    X509_free(k->root);
    X509_free(k->ca);
    X509_free(k->pck);
    X509_free(k->tcbsign);
    free(k->root_pem);
    free(k->quote);
    json_decref(k->tcb);
    json_decref(k->qe);
    free(k->coll);
}

static const tdx_params tdx_base = {
    .pce_svn = 13,
    .cpu_svn = {3, 3},
    .tee_tcb_svn = {5, 1, 3},
    .qe_isv_svn = 4,
    .qe_mrsigner = 0xDC,
    .qe_attr0 = 0x11,
};

/* Builds PKI, quote and collateral for p and verifies; claims in *c. */
static ccf_err syn_tdx_case(const tdx_params *p, void (*edit)(syn_tdx *), ccf_tee_claims *c,
                            char *err, size_t n)
{
    syn_tdx k;
    ccf_err rc;
    syn_tdx_pki(&k, p->pce_svn, p->cpu_svn);
    syn_tdx_quote(&k, p);
    if (edit != NULL)
        edit(&k);
    if (k.coll == NULL)
        syn_tdx_collateral(&k, k.tcb_key, k.tcbsign);
    ccf_tee_verify_opts o = {.roots = k.root_pem, .roots_len = k.root_pem_len,
                             .collateral = k.coll, .collateral_len = strlen(k.coll),
                             .at = T_2025_01_01};
    rc = ccf_tee_verify(CCF_TEE_TDX, k.quote, k.quote_len, &o, c, err, n);
    syn_tdx_free(&k);
    return rc;
}

static void edit_no_module(syn_tdx *k)
{
    json_object_set_new(k->tcb, "tdxModuleIdentities", json_array());
}

static void edit_first_level_revoked(syn_tdx *k)
{
    json_object_set_new(json_array_get(json_object_get(k->tcb, "tcbLevels"), 0), "tcbStatus",
                        json_string("Revoked"));
}

static void edit_other_fmspc(syn_tdx *k)
{
    json_object_set_new(k->tcb, "fmspc", json_string("00906ED50001"));
}

static void edit_qe_prodid(syn_tdx *k)
{
    json_object_set_new(k->qe, "isvprodid", json_integer(1));
}

/* Collateral correctly signed, but by a TCB signer under another root that
 * its issuer chain carries along: the pinned root is the only anchor. */
static void edit_signed_under_other_root(syn_tdx *k)
{
    EVP_PKEY *other_root = EVP_EC_gen("P-256");
    X509 *r = syn_cert("Other Root", other_root, NULL, T_2024_01_01, T_2030_01_01);
    syn_ca(r);
    syn_sign(r, other_root);
    EVP_PKEY *skey = EVP_EC_gen("P-256");
    X509 *s = syn_cert("Other TCB Signing", skey, r, T_2024_01_01, T_2030_01_01);
    syn_sign(s, other_root);
    X509 *keep = k->root;
    k->root = r;
    syn_tdx_collateral(k, skey, s);
    k->root = keep;
    X509_free(r);
    X509_free(s);
    EVP_PKEY_free(other_root);
    EVP_PKEY_free(skey);
}

static void test_tdx_synthetic_tcb_status(void **state)
{
    (void)state;
    static ccf_tee_claims c;
    char err[512] = "";
    tdx_params p;

    p = tdx_base;
    if (syn_tdx_case(&p, NULL, &c, err, sizeof err) != CCF_OK)
        fail_msg("refused: %s", err);
    assert_string_equal(c.tcb_status, "UpToDate");
    assert_string_equal(c.tdx.tdx_module_status, "UpToDate");
    assert_string_equal(c.dcap.qe_status, "UpToDate");
    assert_hex(c.dcap.fmspc, 6, "00906ed50000");
    assert_int_equal(c.dcap.pce_svn, 13);

    /* PCE SVN below the first level: the second level applies. */
    p = tdx_base;
    p.pce_svn = 12;
    assert_int_equal(syn_tdx_case(&p, NULL, &c, err, sizeof err), CCF_OK);
    assert_string_equal(c.tcb_status, "SWHardeningNeeded");
    /* A TDX component (index 2) below the first level. */
    p = tdx_base;
    p.tee_tcb_svn[2] = 2;
    assert_int_equal(syn_tdx_case(&p, NULL, &c, err, sizeof err), CCF_OK);
    assert_string_equal(c.tcb_status, "SWHardeningNeeded");
    /* A CPU SVN component below the first level. */
    p = tdx_base;
    p.cpu_svn[1] = 2;
    assert_int_equal(syn_tdx_case(&p, NULL, &c, err, sizeof err), CCF_OK);
    assert_string_equal(c.tcb_status, "SWHardeningNeeded");
    /* With a module version, components 0 and 1 are the module's only:
     * tee_tcb_svn[0] = 4 < the level's 5 does not matter here... */
    p = tdx_base;
    p.tee_tcb_svn[0] = 4;
    assert_int_equal(syn_tdx_case(&p, NULL, &c, err, sizeof err), CCF_OK);
    assert_string_equal(c.tcb_status, "UpToDate");
    /* ...but below the module's UpToDate isvsvn it is: OutOfDate converges. */
    p = tdx_base;
    p.tee_tcb_svn[0] = 3;
    assert_int_equal(syn_tdx_case(&p, NULL, &c, err, sizeof err), CCF_OK);
    assert_string_equal(c.tdx.tdx_module_status, "OutOfDate");
    assert_string_equal(c.tcb_status, "OutOfDate");
    /* Without a module version, all 16 components count (component 0: 4 < 5). */
    p = tdx_base;
    p.tee_tcb_svn[0] = 4;
    p.tee_tcb_svn[1] = 0;
    assert_int_equal(syn_tdx_case(&p, NULL, &c, err, sizeof err), CCF_OK);
    assert_string_equal(c.tcb_status, "SWHardeningNeeded");
    assert_string_equal(c.tdx.tdx_module_status, "");
    /* An out-of-date QE worsens the platform status. */
    p = tdx_base;
    p.qe_isv_svn = 2;
    assert_int_equal(syn_tdx_case(&p, NULL, &c, err, sizeof err), CCF_OK);
    assert_string_equal(c.dcap.qe_status, "OutOfDate");
    assert_string_equal(c.tcb_status, "OutOfDate");
    /* Revoked refuses; no level at all refuses. */
    p = tdx_base;
    p.pce_svn = 3;
    assert_int_equal(syn_tdx_case(&p, NULL, &c, err, sizeof err), CCF_ERR_DENIED);
    assert_contains(err, "tdx: TCB status is Revoked");
    assert_int_equal(syn_tdx_case(&tdx_base, edit_first_level_revoked, &c, err, sizeof err),
                     CCF_ERR_DENIED);
    assert_contains(err, "tdx: TCB status is Revoked");
    p = tdx_base;
    p.pce_svn = 2;
    assert_int_equal(syn_tdx_case(&p, NULL, &c, err, sizeof err), CCF_ERR_DENIED);
    assert_contains(err, "tdx: no TCB level of the TCB info matches the platform");
    p = tdx_base;
    p.qe_isv_svn = 0;
    assert_int_equal(syn_tdx_case(&p, NULL, &c, err, sizeof err), CCF_ERR_DENIED);
    assert_contains(err, "tdx: QE isvsvn 0 is below every QE identity TCB level");
}

static void test_tdx_synthetic_identity_checks(void **state)
{
    (void)state;
    static ccf_tee_claims c;
    char err[512] = "";
    tdx_params p;

    p = tdx_base;
    p.qe_mrsigner = 0xDD;
    assert_int_equal(syn_tdx_case(&p, NULL, &c, err, sizeof err), CCF_ERR_DENIED);
    assert_contains(err, "tdx: QE mrsigner differs from the QE identity's");
    p = tdx_base;
    p.qe_attr0 = 0x13; /* DEBUG (bit 1), masked in */
    assert_int_equal(syn_tdx_case(&p, NULL, &c, err, sizeof err), CCF_ERR_DENIED);
    assert_contains(err, "tdx: QE miscselect/attributes differ from the QE identity's");
    p = tdx_base;
    p.qe_attr0 = 0x15; /* bit 2 is masked out by FB */
    assert_int_equal(syn_tdx_case(&p, NULL, &c, err, sizeof err), CCF_OK);
    assert_int_equal(syn_tdx_case(&tdx_base, edit_qe_prodid, &c, err, sizeof err), CCF_ERR_DENIED);
    assert_contains(err, "tdx: QE isvprodid differs from the QE identity's");
    assert_int_equal(syn_tdx_case(&tdx_base, edit_no_module, &c, err, sizeof err), CCF_ERR_DENIED);
    assert_contains(err, "tdx: TDX module TDX_01 isvsvn 5 has no TCB level in the TCB info");
    assert_int_equal(syn_tdx_case(&tdx_base, edit_other_fmspc, &c, err, sizeof err), CCF_ERR_DENIED);
    assert_contains(err, "tdx: TCB info is for another FMSPC/PCE ID than the PCK certificate");
    assert_int_equal(syn_tdx_case(&tdx_base, edit_signed_under_other_root, &c, err, sizeof err),
                     CCF_ERR_DENIED);
    assert_contains(err, "tdx: TCB info chain does not end at the pinned root");
}

/* ---------------------------------------------------------------- SGX */

static void test_sgx_tampered_and_truncated(void **state)
{
    (void)state;
    NEED_DATA();
    tee_case k;
    char err[512] = "";
    case_load(&k, CCF_TEE_SGX, SGX_QVL, ROOTS_INTEL, NULL, NULL, T_2025_06_20);
    /* Tampered enclave report and signature; truncations. */
    const size_t flips[] = {48 + 64, 48 + 320, 436, 436 + 63};
    for (size_t i = 0; i < sizeof flips / sizeof flips[0]; i++) {
        k.ev[flips[i]] ^= 0x01;
        assert_int_equal(case_run(&k, NULL, err, sizeof err),
                         CCF_ERR_DENIED);
        assert_contains(err, "sgx: quote signature does not verify with the attestation key");
        k.ev[flips[i]] ^= 0x01;
    }
    k.ev[436 + 128 + 10] ^= 0x01; /* QE report */
    assert_int_equal(case_run(&k, NULL, err, sizeof err),
                     CCF_ERR_DENIED);
    assert_contains(err, "sgx: QE report signature does not verify with the PCK key");
    k.ev[436 + 128 + 10] ^= 0x01;
    const size_t lens[] = {0, 47, 431, 435, 436, 600, 1000, 1100};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        assert_int_equal(ccf_tee_verify(CCF_TEE_SGX, k.ev, lens[i], &k.o, NULL, err, sizeof err),
                         CCF_ERR_INVALID);
        assert_contains(err, "sgx: ");
    }
    assert_int_equal(case_run(&k, NULL, err, sizeof err),
                     CCF_OK);
    case_free(&k);
}

/* ---------------------------------------------------------------- Nitro */

static size_t find(const uint8_t *buf, size_t len, const uint8_t *pat, size_t n)
{
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(buf + i, pat, n) == 0)
            return i;
    fail_msg("pattern not found");
    return 0;
}

static void test_nitro_expectations(void **state)
{
    (void)state;
    NEED_DATA();
    tee_case k;
    static ccf_tee_claims c;
    char err[512] = "";
    case_load(&k, CCF_TEE_NITRO, NITRO_PROD, ROOTS_AWS, NULL, NULL, T_PROD_VALID);
    if (case_run(&k, &c, err, sizeof err) != CCF_OK)
        fail_msg("refused: %s", err);
    /* Expectations: PCR0 and the nonce. */
    {
        uint8_t nonce[256];
        memcpy(nonce, c.nitro.nonce, 256);
        k.o.expect_measurement = c.nitro.pcrs[0];
        k.o.expect_measurement_len = 48;
        k.o.expect_report_data = nonce;
        k.o.expect_report_data_len = 256;
        ccf_tee_claims c2;
        assert_int_equal(case_run(&k, &c2, err, sizeof err), CCF_OK);
        nonce[255] ^= 1;
        case_expect(&k, CCF_ERR_DENIED, "nitro: nonce differs from the expected one");
        k.o.expect_report_data_len = 255; /* a prefix is not the nonce */
        nonce[255] ^= 1;
        case_expect(&k, CCF_ERR_DENIED, "nitro: nonce differs from the expected one");
    }
    case_free(&k);
}

static void test_nitro_tampered(void **state)
{
    (void)state;
    NEED_DATA();
    tee_case k;
    static const uint8_t pcr0[] = {0xf4, 0xd4, 0x8b, 0x81, 0xa4, 0x60, 0xc9, 0x91};
    static const uint8_t mod[] = "i-020b6af9246d90e92";
    case_load(&k, CCF_TEE_NITRO, NITRO_PROD, ROOTS_AWS, NULL, NULL, T_PROD_VALID);
    size_t at_pcr = find(k.ev, k.ev_len, pcr0, sizeof pcr0);
    size_t at_mod = find(k.ev, k.ev_len, mod, sizeof mod - 1);
    const size_t body[] = {at_pcr, at_pcr + 47, at_mod + 3, k.ev_len - 97 - 10};
    for (size_t i = 0; i < sizeof body / sizeof body[0]; i++) {
        k.ev[body[i]] ^= 0x01;
        case_expect(&k, CCF_ERR_DENIED,
                             "nitro: COSE signature does not verify with the leaf certificate");
        k.ev[body[i]] ^= 0x01;
    }
    const size_t sig[] = {k.ev_len - 96, k.ev_len - 49, k.ev_len - 48, k.ev_len - 1};
    for (size_t i = 0; i < sizeof sig / sizeof sig[0]; i++) {
        k.ev[sig[i]] ^= 0x80;
        case_expect(&k, CCF_ERR_DENIED,
                             "nitro: COSE signature does not verify with the leaf certificate");
        k.ev[sig[i]] ^= 0x80;
    }
    /* Protected header 44 a1 01 38 22: alg -35 -> -39 (PS512). */
    assert_int_equal(k.ev[5], 0x22);
    k.ev[5] = 0x26;
    case_expect(&k, CCF_ERR_UNSUPPORTED, "nitro: COSE alg is not ES384");
    k.ev[5] = 0x22;
    {
        char err[512];
        assert_int_equal(case_run(&k, NULL, err, sizeof err), CCF_OK);
    }
    case_free(&k);
}

static void test_nitro_lengths(void **state)
{
    (void)state;
    NEED_DATA();
    tee_case k;
    uint8_t *big;
    case_load(&k, CCF_TEE_NITRO, NITRO_PROD, ROOTS_AWS, NULL, NULL, T_PROD_VALID);
    const size_t full = k.ev_len;
    const size_t lens[] = {0, 1, 2, 5, 6, 9, 100, 1000, 4000, full - 97, full - 96, full - 1};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        char err[512] = "";
        k.ev_len = lens[i];
        if (case_run(&k, NULL, err, sizeof err) != CCF_ERR_INVALID)
            fail_msg("length %zu: '%s'", lens[i], err);
        assert_contains(err, "nitro: ");
    }
    k.ev_len = full;
    /* Oversized lengths: the protected header (44 -> 5b + 8 bytes ...) and the
     * payload (59 11c2 -> 5a ffffffff) claim more than there is. */
    {
        uint8_t *m = malloc(full + 8);
        assert_non_null(m);
        memcpy(m, k.ev, full);
        m[1] = 0x5B;
        memset(m + 2, 0xFF, 8);
        memcpy(m + 10, k.ev + 2, full - 2);
        char err[512];
        assert_int_equal(ccf_tee_verify(CCF_TEE_NITRO, m, full + 8, &k.o, NULL, err, sizeof err),
                         CCF_ERR_INVALID);
        assert_contains(err, "nitro: COSE protected header is not a byte string");
        free(m);
    }
    assert_int_equal(k.ev[7], 0x59);
    {
        uint8_t *m = malloc(full + 2);
        assert_non_null(m);
        memcpy(m, k.ev, 7);
        m[7] = 0x5A;
        memset(m + 8, 0xFF, 4);
        memcpy(m + 12, k.ev + 10, full - 10);
        char err[512];
        assert_int_equal(ccf_tee_verify(CCF_TEE_NITRO, m, full + 2, &k.o, NULL, err, sizeof err),
                         CCF_ERR_INVALID);
        assert_contains(err, "nitro: COSE payload is not a byte string");
        /* An array count far beyond the input. */
        m[0] = 0x9B;
        char err2[512];
        assert_int_equal(ccf_tee_verify(CCF_TEE_NITRO, m, full + 2, &k.o, NULL, err2, sizeof err2),
                         CCF_ERR_INVALID);
        assert_contains(err2, "nitro: not a COSE_Sign1");
        free(m);
    }
    big = calloc(1, 64 * 1024 + 1);
    assert_non_null(big);
    memcpy(big, k.ev, full);
    {
        char err[512];
        assert_int_equal(ccf_tee_verify(CCF_TEE_NITRO, big, 64 * 1024 + 1, &k.o, NULL, err,
                                        sizeof err),
                         CCF_ERR_TOO_LARGE);
        /* Trailing bytes after a valid document. */
        assert_int_equal(ccf_tee_verify(CCF_TEE_NITRO, big, full + 1, &k.o, NULL, err, sizeof err),
                         CCF_ERR_INVALID);
        assert_contains(err, "nitro: bytes after the COSE_Sign1");
    }
    free(big);
    case_free(&k);
}


/* ------------------------------------------- Nitro documents made and signed here
 * A throwaway root and leaf (P-384) sign COSE_Sign1 documents built below,
 * so that CBOR edge cases reach the parser with a valid signature. */

typedef struct {
    uint8_t buf[8192];
    size_t len;
} cb_out;

static void cb_put(cb_out *o, const void *p, size_t n)
{
    assert_true(o->len + n <= sizeof o->buf);
    memcpy(o->buf + o->len, p, n);
    o->len += n;
}

static void cb_head(cb_out *o, int major, uint64_t v)
{
    uint8_t h[9];
    size_t n;
    if (v < 24) {
        h[0] = (uint8_t)(major << 5 | v);
        n = 1;
    } else if (v <= 0xFF) {
        h[0] = (uint8_t)(major << 5 | 24);
        h[1] = (uint8_t)v;
        n = 2;
    } else if (v <= 0xFFFF) {
        h[0] = (uint8_t)(major << 5 | 25);
        h[1] = (uint8_t)(v >> 8);
        h[2] = (uint8_t)v;
        n = 3;
    } else if (v <= 0xFFFFFFFFu) {
        h[0] = (uint8_t)(major << 5 | 26);
        for (int i = 0; i < 4; i++)
            h[1 + i] = (uint8_t)(v >> (24 - 8 * i));
        n = 5;
    } else {
        h[0] = (uint8_t)(major << 5 | 27);
        for (int i = 0; i < 8; i++)
            h[1 + i] = (uint8_t)(v >> (56 - 8 * i));
        n = 9;
    }
    cb_put(o, h, n);
}

static void cb_text(cb_out *o, const char *t)
{
    cb_head(o, 3, strlen(t));
    cb_put(o, t, strlen(t));
}

static void cb_bytes(cb_out *o, const void *p, size_t n)
{
    cb_head(o, 2, n);
    cb_put(o, p, n);
}

typedef struct {
    EVP_PKEY *root_key, *leaf_key;
    X509 *root, *leaf;
    uint8_t *root_pem;
    size_t root_pem_len;
    uint8_t leaf_der[2048], root_der[2048];
    size_t leaf_der_len, root_der_len;
} syn_nitro;

static void syn_nitro_make(syn_nitro *k, const char *leaf_curve)
{
    unsigned char *p;
    memset(k, 0, sizeof *k);
    k->root_key = EVP_EC_gen("P-384");
    k->leaf_key = EVP_EC_gen(leaf_curve);
    assert_non_null(k->root_key);
    assert_non_null(k->leaf_key);
    k->root = syn_cert("test.nitro-root", k->root_key, NULL, T_2024_01_01, T_2030_01_01);
    syn_ca(k->root);
    syn_sign(k->root, k->root_key);
    k->leaf = syn_cert("i-test-enc", k->leaf_key, k->root, T_2024_01_01, T_2024_01_01 + 3 * 3600);
    syn_sign(k->leaf, k->root_key);
    k->root_pem = pem_of(&k->root, 1, &k->root_pem_len);
    p = k->leaf_der;
    k->leaf_der_len = (size_t)i2d_X509(k->leaf, &p);
    p = k->root_der;
    k->root_der_len = (size_t)i2d_X509(k->root, &p);
}

static void syn_nitro_free(syn_nitro *k)
{
    X509_free(k->root);
    X509_free(k->leaf);
    EVP_PKEY_free(k->root_key);
    EVP_PKEY_free(k->leaf_key);
    free(k->root_pem);
}

/* Payload variants. */
enum { P_OK, P_DUP_KEY, P_NO_CABUNDLE, P_PCR_32, P_PCR_SHORT, P_DIGEST_256, P_UNKNOWN_KEY,
       P_NULLS, P_NO_PCR0, P_DEEP_UNKNOWN };

static void syn_payload(cb_out *o, syn_nitro *k, int variant)
{
    static const uint8_t pcr[48] = {0x11, 0x22};
    int n = 9 + (variant == P_DUP_KEY || variant == P_UNKNOWN_KEY || variant == P_DEEP_UNKNOWN) -
            (variant == P_NO_CABUNDLE);
    cb_head(o, 5, (uint64_t)n);
    cb_text(o, "module_id");
    cb_text(o, "i-test-enc");
    if (variant == P_DUP_KEY) {
        cb_text(o, "module_id");
        cb_text(o, "i-other");
    }
    cb_text(o, "digest");
    cb_text(o, variant == P_DIGEST_256 ? "SHA256" : "SHA384");
    cb_text(o, "timestamp");
    cb_head(o, 0, 1704070000000ULL);
    cb_text(o, "pcrs");
    cb_head(o, 5, 2);
    cb_head(o, 0, variant == P_PCR_32 ? 32 : variant == P_NO_PCR0 ? 3 : 0);
    cb_bytes(o, pcr, 48);
    cb_head(o, 0, 4);
    cb_bytes(o, pcr, variant == P_PCR_SHORT ? 32 : 48);
    if (variant == P_UNKNOWN_KEY) { /* unknown members are skipped */
        cb_text(o, "x-extra");
        cb_head(o, 4, 2);
        cb_head(o, 0, 1);
        cb_text(o, "two");
    }
    if (variant == P_DEEP_UNKNOWN) { /* ... but not when nested past the bound */
        cb_text(o, "x-deep");
        for (int i = 0; i < 20; i++)
            cb_head(o, 4, 1);
        cb_head(o, 0, 0);
    }
    cb_text(o, "certificate");
    cb_bytes(o, k->leaf_der, k->leaf_der_len);
    if (variant != P_NO_CABUNDLE) {
        cb_text(o, "cabundle");
        cb_head(o, 4, 1);
        cb_bytes(o, k->root_der, k->root_der_len);
    }
    uint8_t nonce[20];
    memset(nonce, 0x4E, sizeof nonce);
    cb_text(o, "public_key");
    if (variant == P_NULLS)
        cb_head(o, 7, 22);
    else
        cb_bytes(o, "pk", 2);
    cb_text(o, "user_data");
    if (variant == P_NULLS)
        cb_head(o, 7, 22);
    else
        cb_bytes(o, "hello", 5);
    cb_text(o, "nonce");
    cb_bytes(o, nonce, sizeof nonce);
}

/* COSE_Sign1 over the payload with alg (protected) and key; tag18 wraps it. */
static void syn_cose(cb_out *doc, syn_nitro *k, int variant, int alg, bool tag18)
{
    static cb_out payload, prot, tbs;
    unsigned char der[160];
    size_t dl = sizeof der;
    uint8_t sig[96];
    memset(&payload, 0, sizeof payload);
    memset(&prot, 0, sizeof prot);
    memset(&tbs, 0, sizeof tbs);
    syn_payload(&payload, k, variant);
    cb_head(&prot, 5, 1);
    cb_head(&prot, 0, 1);
    cb_head(&prot, 1, (uint64_t)(-1 - alg));
    cb_head(&tbs, 4, 4);
    cb_text(&tbs, "Signature1");
    cb_bytes(&tbs, prot.buf, prot.len);
    cb_bytes(&tbs, "", 0);
    cb_bytes(&tbs, payload.buf, payload.len);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha384(), NULL, k->leaf_key), 1);
    assert_int_equal(EVP_DigestSign(ctx, der, &dl, tbs.buf, tbs.len), 1);
    EVP_MD_CTX_free(ctx);
    const unsigned char *p = der;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)dl);
    assert_non_null(es);
    int half = EVP_PKEY_get_bits(k->leaf_key) == 384 ? 48 : 32;
    assert_true(BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, half) == half);
    assert_true(BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + half, half) == half);
    ECDSA_SIG_free(es);
    memset(doc, 0, sizeof *doc);
    if (tag18)
        cb_put(doc, "\xd2", 1);
    cb_head(doc, 4, 4);
    cb_bytes(doc, prot.buf, prot.len);
    cb_head(doc, 5, 0);
    cb_bytes(doc, payload.buf, payload.len);
    cb_bytes(doc, sig, 2 * (size_t)half);
}

static ccf_err syn_nitro_run(syn_nitro *k, cb_out *doc, ccf_tee_claims *c, char *err, size_t n)
{
    ccf_tee_verify_opts o = {.roots = k->root_pem, .roots_len = k->root_pem_len,
                             .at = T_2024_01_01 + 3600};
    return ccf_tee_verify(CCF_TEE_NITRO, doc->buf, doc->len, &o, c, err, n);
}

static void test_nitro_synthetic(void **state)
{
    (void)state;
    syn_nitro k;
    static cb_out doc;
    static ccf_tee_claims c;
    char err[512] = "";
    syn_nitro_make(&k, "P-384");
    for (int tag = 0; tag < 2; tag++) {
        syn_cose(&doc, &k, P_OK, -35, tag == 1);
        if (syn_nitro_run(&k, &doc, &c, err, sizeof err) != CCF_OK)
            fail_msg("refused: %s", err);
    }
    assert_string_equal(c.nitro.module_id, "i-test-enc");
    assert_int_equal(c.nitro.timestamp_ms, 1704070000000ULL);
    assert_int_equal(c.nitro.pcr_present, (1u << 0) | (1u << 4));
    assert_int_equal(c.measurement[0], 0x11);
    assert_true(c.nitro.has_public_key);
    assert_int_equal(c.nitro.user_data_len, 5);
    assert_memory_equal(c.nitro.user_data, "hello", 5);
    assert_int_equal(c.report_data_len, 20); /* a short nonce is also the report data */
    assert_string_equal(c.signer, "i-test-enc <- 0 cabundle certificate(s) <- test.nitro-root (pinned)");

    syn_cose(&doc, &k, P_UNKNOWN_KEY, -35, false);
    assert_int_equal(syn_nitro_run(&k, &doc, NULL, err, sizeof err), CCF_OK);
    syn_cose(&doc, &k, P_NULLS, -35, false);
    assert_int_equal(syn_nitro_run(&k, &doc, &c, err, sizeof err), CCF_OK);
    assert_false(c.nitro.has_public_key);
    assert_false(c.nitro.has_user_data);

    struct { int variant; const char *msg; } bad[] = {
        {P_DUP_KEY, "nitro: duplicate payload key module_id"},
        {P_NO_CABUNDLE, "nitro: payload lacks module_id, digest, timestamp, pcrs, certificate or cabundle"},
        {P_PCR_32, "nitro: pcrs entry 0 is not a unique index with 48 bytes"},
        {P_PCR_SHORT, "nitro: pcrs entry 1 is not a unique index with 48 bytes"},
        {P_DIGEST_256, "nitro: digest is not \"SHA384\""},
        {P_NO_PCR0, "nitro: payload lacks PCR0"},
        {P_DEEP_UNKNOWN, "nitro: payload value of x-deep is malformed"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        syn_cose(&doc, &k, bad[i].variant, -35, false);
        assert_int_equal(syn_nitro_run(&k, &doc, NULL, err, sizeof err), CCF_ERR_INVALID);
        assert_contains(err, bad[i].msg);
    }
    syn_cose(&doc, &k, P_OK, -7, false); /* ES256 */
    assert_int_equal(syn_nitro_run(&k, &doc, NULL, err, sizeof err), CCF_ERR_UNSUPPORTED);
    assert_contains(err, "nitro: COSE alg is not ES384 (-35)");
    /* A signature by another key of the right kind. */
    {
        syn_nitro other;
        syn_nitro_make(&other, "P-384");
        EVP_PKEY *keep = k.leaf_key;
        k.leaf_key = other.leaf_key;
        syn_cose(&doc, &k, P_OK, -35, false);
        k.leaf_key = keep;
        assert_int_equal(syn_nitro_run(&k, &doc, NULL, err, sizeof err), CCF_ERR_DENIED);
        assert_contains(err, "nitro: COSE signature does not verify with the leaf certificate");
        syn_nitro_free(&other);
    }
    syn_nitro_free(&k);

    /* A P-256 leaf cannot make an ES384 signature of 96 bytes. */
    syn_nitro_make(&k, "P-256");
    syn_cose(&doc, &k, P_OK, -35, false);
    assert_int_equal(syn_nitro_run(&k, &doc, NULL, err, sizeof err), CCF_ERR_INVALID);
    assert_contains(err, "nitro: ES384 signature is 64 bytes, expected 96");
    syn_nitro_free(&k);
}

/* Text forms and the JSON rendering of claims. */
static void test_decode_and_json(void **state)
{
    (void)state;
    uint8_t *out;
    size_t n;
    char err[256], *js;
    assert_int_equal(ccf_tee_evidence_decode((const uint8_t *)"0aFf\n10", 7, &out, &n, err, sizeof err),
                     CCF_OK);
    assert_int_equal(n, 3);
    assert_memory_equal(out, "\x0a\xff\x10", 3);
    free(out);
    assert_int_equal(ccf_tee_evidence_decode((const uint8_t *)"aGVsbG8=", 8, &out, &n, err, sizeof err),
                     CCF_OK);
    assert_int_equal(n, 5);
    assert_memory_equal(out, "hello", 5);
    free(out);
    assert_int_equal(ccf_tee_evidence_decode((const uint8_t *)"\x84\x44", 2, &out, &n, err, sizeof err),
                     CCF_OK);
    assert_int_equal(n, 2);
    free(out);
    ccf_tee_platform p;
    assert_true(ccf_tee_platform_parse("tdx", &p));
    assert_int_equal(p, CCF_TEE_TDX);
    assert_true(ccf_tee_platform_parse("sgx", &p));
    assert_int_equal(p, CCF_TEE_SGX);
    assert_false(ccf_tee_platform_parse("sev", &p));
    assert_false(ccf_tee_platform_parse(NULL, &p));
    ccf_tee_claims *c = calloc(1, sizeof *c);
    assert_non_null(c);
    c->platform = CCF_TEE_SNP;
    c->measurement_len = 48;
    js = ccf_tee_claims_json(c);
    assert_non_null(js);
    assert_contains(js, "\"platform\": \"snp\"");
    free(js);
    free(c);
}

int main(void)
{
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_snp_tampered),
        cmocka_unit_test(test_snp_truncated),
        cmocka_unit_test(test_snp_malformed_roots_and_keys),
        cmocka_unit_test(test_snp_expectations),
        cmocka_unit_test(test_snp_genoa_kbs_json),
        cmocka_unit_test(test_snp_synthetic_tcb_and_chip),
        cmocka_unit_test(test_snp_synthetic_vlek_turin),
        cmocka_unit_test(test_snp_synthetic_key_type),
        cmocka_unit_test(test_tdx_v5_body_descriptor),
        cmocka_unit_test(test_tdx_trustee_collateral_outofdate),
        cmocka_unit_test(test_tdx_collateral_refusals),
        cmocka_unit_test(test_tdx_tampered),
        cmocka_unit_test(test_tdx_lengths),
        cmocka_unit_test(test_tdx_synthetic_tcb_status),
        cmocka_unit_test(test_tdx_synthetic_identity_checks),
        cmocka_unit_test(test_sgx_tampered_and_truncated),
        cmocka_unit_test(test_nitro_expectations),
        cmocka_unit_test(test_nitro_tampered),
        cmocka_unit_test(test_nitro_lengths),
        cmocka_unit_test(test_nitro_synthetic),
        cmocka_unit_test(test_decode_and_json),
    };
    enum { NSAMPLES = sizeof samples / sizeof samples[0], NFIXED = sizeof fixed / sizeof fixed[0] };
    struct CMUnitTest tests[NSAMPLES + NFIXED];
    /* One test per row of samples, named after it, then the others. */
    for (size_t i = 0; i < NSAMPLES; i++)
        tests[i] = (struct CMUnitTest){.name = samples[i].name, .test_func = test_sample,
                                       .initial_state = (void *)&samples[i]};
    for (size_t i = 0; i < NFIXED; i++)
        tests[NSAMPLES + i] = fixed[i];
    return _cmocka_run_group_tests("test_tee", tests, NSAMPLES + NFIXED, NULL, NULL);
}
