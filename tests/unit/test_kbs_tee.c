/* Tests for the key broker's TEE evidence parsers and Trustee's report-data
 * binding (src/kbs/parse.c, issue 17): each platform's primary_evidence form
 * and its refusals (unknown members, bad base64, wrong sizes, another shape),
 * the binding against the known vector of Trustee's attestation service
 * (SHA-384 of a JCS text, NOTES.md of the shared TEE samples), zero padding,
 * and rule sets with 96-hex measurements. The verifiers themselves are tested
 * in tests/attest; e2e.kbs runs the real samples through the service. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "kbs/kbs.h"

static json_t *j(const char *text)
{
    json_t *v = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
    assert_non_null(v);
    return v;
}

/* base64 of n bytes of value b */
static char *b64(size_t n, uint8_t b)
{
    uint8_t *raw = malloc(n + 1);
    char *out = malloc(4 * (n / 3 + 1) + 1);
    assert_non_null(raw);
    assert_non_null(out);
    memset(raw, b, n);
    EVP_EncodeBlock((unsigned char *)out, raw, (int)n);
    free(raw);
    return out;
}

/* parse TEXT as platform p's primary evidence; the result code, err in err */
static ccf_err parse(ccf_tee_platform p, const char *text, ccf_kbs_tee_evidence *ev, char *err,
                     size_t errsz)
{
    json_t *v = j(text);
    ccf_err rc = ccf_kbs_parse_tee_evidence(p, v, ev, err, errsz);
    json_decref(v);
    return rc;
}

static void test_forms(void **state)
{
    (void)state;
    char err[512], text[8192];
    ccf_kbs_tee_evidence ev;
    char *report = b64(1184, 0xab), *vcek = b64(700, 0x30), *q = b64(5000, 0x04);

    snprintf(text, sizeof text, "{\"report\":\"%s\",\"vcek\":\"%s\"}", report, vcek);
    assert_int_equal(parse(CCF_TEE_SNP, text, &ev, err, sizeof err), CCF_OK);
    assert_int_equal(ev.evidence_len, 1184);
    assert_int_equal(ev.evidence[1183], 0xab);
    assert_int_equal(ev.vcek_len, 700);
    ccf_kbs_tee_evidence_clear(&ev);
    ccf_kbs_tee_evidence_clear(&ev); /* idempotent */

    snprintf(text, sizeof text, "{\"report\":\"%s\"}", report);
    assert_int_equal(parse(CCF_TEE_SNP, text, &ev, err, sizeof err), CCF_OK);
    assert_null(ev.vcek); /* the service refuses it: it fetches nothing from AMD */
    ccf_kbs_tee_evidence_clear(&ev);

    snprintf(text, sizeof text, "{\"quote\":\"%s\"}", q);
    assert_int_equal(parse(CCF_TEE_TDX, text, &ev, err, sizeof err), CCF_OK);
    assert_int_equal(ev.evidence_len, 5000);
    assert_null(ev.vcek);
    ccf_kbs_tee_evidence_clear(&ev);
    snprintf(text, sizeof text, "{\"quote\":\"%s\",\"cc_eventlog\":\"AAAA\"}", q);
    assert_int_equal(parse(CCF_TEE_TDX, text, &ev, err, sizeof err), CCF_OK);
    ccf_kbs_tee_evidence_clear(&ev);
    snprintf(text, sizeof text, "{\"quote\":\"%s\",\"cc_eventlog\":null}", q);
    assert_int_equal(parse(CCF_TEE_TDX, text, &ev, err, sizeof err), CCF_OK);
    ccf_kbs_tee_evidence_clear(&ev);
    snprintf(text, sizeof text, "{\"quote\":\"%s\"}", q);
    assert_int_equal(parse(CCF_TEE_SGX, text, &ev, err, sizeof err), CCF_OK);
    ccf_kbs_tee_evidence_clear(&ev);
    snprintf(text, sizeof text, "{\"attestation_document\":\"%s\"}", q);
    assert_int_equal(parse(CCF_TEE_NITRO, text, &ev, err, sizeof err), CCF_OK);
    assert_int_equal(ev.evidence_len, 5000);
    ccf_kbs_tee_evidence_clear(&ev);

    /* base64 without padding of 2 and 1 bytes, decoded to the exact length */
    assert_int_equal(parse(CCF_TEE_NITRO, "{\"attestation_document\":\"AAE=\"}", &ev, err,
                           sizeof err), CCF_OK);
    assert_int_equal(ev.evidence_len, 2);
    ccf_kbs_tee_evidence_clear(&ev);
    assert_int_equal(parse(CCF_TEE_NITRO, "{\"attestation_document\":\"AA==\"}", &ev, err,
                           sizeof err), CCF_OK);
    assert_int_equal(ev.evidence_len, 1);
    ccf_kbs_tee_evidence_clear(&ev);
    free(report);
    free(vcek);
    free(q);
}

static void refused(ccf_tee_platform p, const char *text, const char *why)
{
    char err[512] = "";
    ccf_kbs_tee_evidence ev;
    ccf_err rc = parse(p, text, &ev, err, sizeof err);
    if (rc == CCF_OK || strstr(err, why) == NULL)
        fail_msg("%s: %s: got %d '%s', wanted a refusal naming '%s'", ccf_tee_platform_name(p),
                 text, rc, err, why);
    assert_null(ev.evidence);
    assert_null(ev.vcek);
}

static void test_refusals(void **state)
{
    (void)state;
    char text[4096];
    char *short_report = b64(1183, 1);
    refused(CCF_TEE_SNP, "{}", "needs report");
    refused(CCF_TEE_SNP, "{\"report\":\"AAAA\",\"extra\":1}", "unknown member 'extra'");
    snprintf(text, sizeof text, "{\"report\":\"%s\"}", short_report);
    refused(CCF_TEE_SNP, text, "1183 bytes, expected 1184");
    refused(CCF_TEE_SNP, "{\"report\":5}", "expected a base64 string");
    refused(CCF_TEE_SNP, "{\"report\":\"\"}", "expected base64");
    refused(CCF_TEE_SNP, "{\"report\":\"AAA\"}", "multiple of 4");
    refused(CCF_TEE_SNP, "{\"report\":\"AA=A\"}", "not standard base64");
    refused(CCF_TEE_SNP, "{\"report\":\"AA-_\"}", "not standard base64"); /* base64url */
    refused(CCF_TEE_SNP, "{\"report\":\"A===\"}", "not standard base64");
    refused(CCF_TEE_SNP, "{\"quote\":\"AAAA\"}", "unknown member 'quote'");
    /* Trustee's form: its own members only, and the report must rebuild */
    refused(CCF_TEE_SNP, "{\"attestation_report\":{},\"report\":\"AAAA\"}",
            "unknown member 'report'");
    refused(CCF_TEE_SNP, "{\"attestation_report\":{\"version\":2}}", "snp:");
    refused(CCF_TEE_SNP, "{\"attestation_report\":7}", "attestation_report");
    refused(CCF_TEE_TDX, "{}", "needs quote");
    refused(CCF_TEE_TDX, "{\"quote\":\"AAAA\",\"cc_eventlog\":3}", "cc_eventlog");
    refused(CCF_TEE_SGX, "{\"quote\":\"AAAA\",\"cc_eventlog\":\"AAAA\"}",
            "unknown member 'cc_eventlog'");
    refused(CCF_TEE_NITRO, "{\"document\":\"AAAA\"}", "unknown member 'document'");
    refused(CCF_TEE_NITRO, "{}", "needs attestation_document");
    /* over the cap: refused before decoding */
    char *big = b64(CCF_KBS_MAX_TEE_EVIDENCE + 3, 0);
    size_t tn = strlen(big) + 64;
    char *t = malloc(tn);
    assert_non_null(t);
    snprintf(t, tn, "{\"attestation_document\":\"%s\"}", big);
    refused(CCF_TEE_NITRO, t, "expected base64 of 1-");
    free(t);
    free(big);
    free(short_report);
    char err[256];
    ccf_kbs_tee_evidence ev;
    json_t *a = j("[1]");
    assert_int_equal(ccf_kbs_parse_tee_evidence(CCF_TEE_TDX, a, &ev, err, sizeof err),
                     CCF_ERR_INVALID);
    json_decref(a);
}

static void test_binding(void **state)
{
    (void)state;
    /* the vector of Trustee's attestation service: SHA-384 of this JCS text */
    static const char jcs[] = "{\"a\":\"test\",\"b\":1,\"c\":{\"d\":\"e\"}}";
    static const char want_hex[] = "e71ce8e70d814ba6639c3612ebee0ff1f76f650f8dbb5e47157e0f3f525cd22c"
                                   "4597480a186427c813ca941da78870c3";
    uint8_t want[48], expected[48];
    char hex[97];
    assert_true(ccf_attest_hex_decode(want_hex, want, 48));
    ccf_tee_claims *c = calloc(1, sizeof *c);
    assert_non_null(c);
    c->report_data_len = 64;
    memcpy(c->report_data, want, 48); /* zero-padded to 64 */
    ccf_tee_platform dcap[] = {CCF_TEE_SNP, CCF_TEE_TDX, CCF_TEE_SGX};
    for (int i = 0; i < 3; i++) {
        assert_true(ccf_kbs_tee_binding_ok(dcap[i], c, (const uint8_t *)jcs, strlen(jcs), expected));
        ccf_hex_encode(expected, 48, hex);
        assert_string_equal(hex, want_hex);
    }
    c->report_data[63] = 1; /* padding must be zeros */
    assert_false(ccf_kbs_tee_binding_ok(CCF_TEE_SNP, c, (const uint8_t *)jcs, strlen(jcs), expected));
    c->report_data[63] = 0;
    c->report_data[0] ^= 1;
    assert_false(ccf_kbs_tee_binding_ok(CCF_TEE_TDX, c, (const uint8_t *)jcs, strlen(jcs), expected));
    c->report_data[0] ^= 1;
    assert_false(ccf_kbs_tee_binding_ok(CCF_TEE_SNP, c, (const uint8_t *)jcs, strlen(jcs) - 1,
                                        expected)); /* another text */
    /* nitro: the document's nonce, exactly the 48 bytes */
    assert_false(ccf_kbs_tee_binding_ok(CCF_TEE_NITRO, c, (const uint8_t *)jcs, strlen(jcs), expected));
    c->nitro.has_nonce = true;
    c->nitro.nonce_len = 48;
    memcpy(c->nitro.nonce, want, 48);
    assert_true(ccf_kbs_tee_binding_ok(CCF_TEE_NITRO, c, (const uint8_t *)jcs, strlen(jcs), expected));
    c->nitro.nonce_len = 64; /* padded: not the nonce that was asked for */
    assert_false(ccf_kbs_tee_binding_ok(CCF_TEE_NITRO, c, (const uint8_t *)jcs, strlen(jcs), expected));
    free(c);

    /* the runtime data's JCS: members sorted, as Trustee hashes it */
    ccf_dynbuf b;
    char err[256];
    json_t *k = j("{\"kty\":\"EC\",\"crv\":\"P-256\"}");
    ccf_dynbuf_init(&b, 4096);
    assert_int_equal(ccf_kbs_runtime_data_jcs("bm9uY2U=", k, "", &b, err, sizeof err), CCF_OK);
    assert_int_equal(b.len, strlen("{\"additional-evidence\":\"\",\"nonce\":\"bm9uY2U=\","
                                   "\"tee-pubkey\":{\"crv\":\"P-256\",\"kty\":\"EC\"}}"));
    assert_memory_equal(b.p, "{\"additional-evidence\":\"\",\"nonce\":\"bm9uY2U=\","
                             "\"tee-pubkey\":{\"crv\":\"P-256\",\"kty\":\"EC\"}}", b.len);
    ccf_dynbuf_free(&b);
    json_decref(k);
}

static void test_rules_long_measurement(void **state)
{
    (void)state;
    char err[512], text[1024], m96[97], m80[81];
    json_t *rules = NULL;
    memset(m96, 'a', 96);
    m96[96] = '\0';
    memset(m80, 'a', 80);
    m80[80] = '\0';
    snprintf(text, sizeof text,
             "{\"version\":1,\"rules\":[{\"resources\":[\"default/key/*\"],\"allow\":[{"
             "\"platform\":[\"snp\",\"tdx\"],\"measurement\":[\"%s\"]}]}]}", m96);
    assert_int_equal(ccf_kbs_rules_parse(text, strlen(text), &rules, err, sizeof err), CCF_OK);
    json_t *claims = json_pack("{s:s, s:s, s:b}", "tee", "snp", "measurement", m96, "debug", 0);
    assert_int_equal(ccf_kbs_rules_eval(rules, "default/key/k", claims, err, sizeof err), CCF_OK);
    json_object_set_new(claims, "measurement", json_string(m80));
    assert_int_equal(ccf_kbs_rules_eval(rules, "default/key/k", claims, err, sizeof err),
                     CCF_ERR_DENIED);
    assert_non_null(strstr(err, "measurement"));
    json_decref(claims);
    json_decref(rules);
    snprintf(text, sizeof text,
             "{\"version\":1,\"rules\":[{\"resources\":[\"a/b/c\"],\"allow\":[{"
             "\"platform\":[\"snp\"],\"measurement\":[\"%s\"]}]}]}", m80);
    assert_int_equal(ccf_kbs_rules_parse(text, strlen(text), &rules, err, sizeof err),
                     CCF_ERR_INVALID);
    assert_non_null(strstr(err, "64 (linux, sgx) or 96 (snp, tdx, nitro)"));
    snprintf(text, sizeof text,
             "{\"version\":1,\"rules\":[{\"resources\":[\"a/b/c\"],\"allow\":[{"
             "\"platform\":[\"linux\"],\"policy_hash\":[\"%s\"]}]}]}", m96);
    assert_int_equal(ccf_kbs_rules_parse(text, strlen(text), &rules, err, sizeof err),
                     CCF_ERR_INVALID); /* a policy hash is SHA-256 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forms),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_binding),
        cmocka_unit_test(test_rules_long_measurement),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
