/* libFuzzer harness for the key broker's request parsers (src/kbs/parse.c):
 * the first byte picks the parser, the rest is the untrusted text. Auth and
 * attest requests, linux primary evidence, rule sets (accepted rule sets are
 * then evaluated against fixed claims), resource path segments; a first byte
 * 0xF0-0xF3 picks a TEE (snp, tdx, nitro, sgx) whose primary evidence the
 * rest is (the decoded report then meets the binding check). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kbs/kbs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512], tee[33];
    if (size < 1)
        return 0;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    if (data[0] >= 0xF0 && data[0] <= 0xF3) {
        static const ccf_tee_platform ps[] = {CCF_TEE_SNP, CCF_TEE_TDX, CCF_TEE_NITRO,
                                              CCF_TEE_SGX};
        ccf_tee_platform p = ps[data[0] - 0xF0];
        json_t *v = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
        ccf_kbs_tee_evidence ev;
        if (v != NULL && ccf_kbs_parse_tee_evidence(p, v, &ev, err, sizeof err) == CCF_OK) {
            static ccf_tee_claims c; /* zeroed: parsing alone, the verifiers have fuzz_tee */
            uint8_t want[48];
            (void)ccf_kbs_tee_binding_ok(p, &c, ev.evidence, ev.evidence_len, want);
            ccf_kbs_tee_evidence_clear(&ev);
        }
        json_decref(v);
        return 0;
    }
    switch (data[0] % 5) {
    case 0:
        (void)ccf_kbs_parse_auth(text, len, tee, sizeof tee, err, sizeof err);
        break;
    case 1: {
        ccf_kbs_attest_req r;
        if (ccf_kbs_parse_attest(text, len, &r, err, sizeof err) == CCF_OK) {
            ccf_dynbuf b;
            ccf_dynbuf_init(&b, 1u << 20);
            (void)ccf_kbs_runtime_data_jcs(r.nonce, r.tee_pubkey, r.additional, &b, err,
                                           sizeof err);
            ccf_dynbuf_free(&b);
            ccf_kbs_attest_req_clear(&r);
        }
        break;
    }
    case 2: {
        json_t *v = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
        ccf_evidence ev;
        ccf_launch l;
        uint8_t ph[32], lh[32];
        if (v != NULL)
            (void)ccf_kbs_parse_linux_evidence(v, &ev, ph, &l, lh, err, sizeof err);
        json_decref(v);
        break;
    }
    case 3: {
        json_t *rules = NULL;
        if (ccf_kbs_rules_parse(text, len, &rules, err, sizeof err) == CCF_OK) {
            json_t *claims = json_pack("{s:s, s:s, s:s, s:b}", "tee", "linux", "measurement",
                                       "00000000000000000000000000000000000000000000000000000000"
                                       "00000000",
                                       "policy_hash",
                                       "11111111111111111111111111111111111111111111111111111111"
                                       "11111111",
                                       "debug", 0);
            (void)ccf_kbs_rules_eval(rules, "default/key/a", claims, err, sizeof err);
            (void)ccf_kbs_rules_eval(rules, "x/y/z", claims, err, sizeof err);
            json_decref(claims);
            json_decref(rules);
        }
        break;
    }
    default: {
        char *s = strndup(text, len > 512 ? 512 : len);
        if (s != NULL)
            (void)ccf_kbs_segment_ok(s);
        free(s);
        break;
    }
    }
    return 0;
}
