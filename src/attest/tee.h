/* Verifiers for real TEE evidence: AMD SEV-SNP attestation reports, Intel
 * TDX DCAP quotes (v4, v5), AWS Nitro Enclaves attestation documents and
 * Intel SGX DCAP quotes (v3) (DESIGN §5, issue 6 "real TEEs as verifiers first").
 *
 * These only verify: nothing in ccfaas produces such evidence yet (no
 * hardware here) and the proxy still accepts only the `linux` platform.
 *
 * Every refusal names the check that failed in the caller's err buffer,
 * prefixed with the platform ("snp: report signature does not verify with
 * the VCEK"). Trust anchors are always pinned by the caller: a chain's own
 * root certificate is never trusted. Verification happens "as of"
 * opts->at (0 = now), which is what tests use to check old samples. */
#ifndef CCF_ATTEST_TEE_H
#define CCF_ATTEST_TEE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/error.h"

typedef enum {
    CCF_TEE_SNP = 0,
    CCF_TEE_TDX,
    CCF_TEE_NITRO,
    CCF_TEE_SGX, /* SGX DCAP quote v3 (enclaves, not VMs) */
} ccf_tee_platform;

/* "snp", "tdx", "nitro", "sgx" (static). */
const char *ccf_tee_platform_name(ccf_tee_platform p);
/* Parses a name as above; false when unknown. */
bool ccf_tee_platform_parse(const char *name, ccf_tee_platform *out);

/* Inputs of a verification. Nothing is taken over; buffers only need to
 * live for the call. Certificates are accepted as PEM (one or several) or
 * as one DER certificate. */
typedef struct {
    /* Pinned trust anchors (required).
     * snp:   the AMD bundle for one product (ASK, ARK, ASVK as AMD ships
     *        them: roots/amd-<product>-ask-ark-asvk.pem); the ARK is the anchor.
     * tdx, sgx: the Intel SGX Root CA.
     * nitro: the AWS Nitro Enclaves root (G1). */
    const uint8_t *roots;
    size_t roots_len;
    /* snp: the VCEK (or VLEK) certificate of the chip that signed the report. */
    const uint8_t *vcek;
    size_t vcek_len;
    /* tdx, sgx: optional collateral, JSON with the members tcb_info,
     * tcb_info_signature, tcb_info_issuer_chain, qe_identity,
     * qe_identity_signature, qe_identity_issuer_chain (the shape dcap-qvl
     * and the Intel PCCS hand out). When given, the TCB status is evaluated. */
    const char *collateral;
    size_t collateral_len;
    /* Verification time (0 = now). */
    time_t at;
    /* Optional expectations: when set, they must equal the claims.
     * report_data: SNP/TDX REPORT_DATA (up to 64 bytes, compared over len),
     * Nitro nonce. measurement: SNP MEASUREMENT, TDX MRTD, Nitro PCR0. */
    const uint8_t *expect_report_data;
    size_t expect_report_data_len;
    const uint8_t *expect_measurement;
    size_t expect_measurement_len;
} ccf_tee_verify_opts;

/* An AMD TCB_VERSION split into its security patch levels. */
typedef struct {
    uint64_t raw;
    uint8_t fmc, bootloader, tee, snp, microcode;
} ccf_tee_snp_tcb;

#define CCF_TEE_NITRO_MAX_PCRS 32
#define CCF_TEE_NITRO_MAX_BLOB 1024

/* What a verified piece of evidence says. Filled as far as parsing got
 * even on refusal (for diagnostics); trust it only when CCF_OK was returned. */
typedef struct {
    ccf_tee_platform platform;
    /* Common view: SNP MEASUREMENT (48), TDX MRTD (48), Nitro PCR0 (48), SGX MRENCLAVE (32). */
    uint8_t measurement[48];
    size_t measurement_len;
    /* SNP/TDX REPORT_DATA (64); Nitro: the nonce when it is at most 64 bytes
     * long (see nitro.nonce for the whole of it). */
    uint8_t report_data[64];
    size_t report_data_len;
    bool debug; /* SNP policy DEBUG, TDX TD_ATTRIBUTES.DEBUG, Nitro PCR0 all zero, SGX ATTRIBUTES.DEBUG */
    char signer[320];   /* chain summary, leaf first: "VCEK <- SEV-Milan <- ARK-Milan (pinned)" */
    char tcb_status[96]; /* TDX/SGX with collateral: "UpToDate", "OutOfDate"...; else "" */

    struct {
        uint32_t version, guest_svn, vmpl, sig_algo, flags;
        uint32_t signing_key; /* 0 = VCEK, 1 = VLEK */
        uint64_t policy, platform_info;
        uint8_t family_id[16], image_id[16], host_data[32], chip_id[64];
        uint8_t report_id[32], id_key_digest[48], author_key_digest[48];
        ccf_tee_snp_tcb current_tcb, reported_tcb, committed_tcb, launch_tcb;
        uint8_t cpuid_fam, cpuid_mod, cpuid_step; /* version >= 3 */
        uint8_t fw_major, fw_minor, fw_build;     /* current firmware */
        char product[16];                          /* "Milan", "Genoa", "Turin" */
    } snp;

    /* Intel DCAP quotes (TDX and SGX): header, PCK and QE facts. */
    struct {
        uint16_t version, att_key_type;
        uint32_t tee_type; /* 0x81 TDX, 0 SGX */
        uint8_t fmspc[6], pce_id[2], cpu_svn[16];
        uint16_t pce_svn;
        uint16_t qe_isv_prod_id, qe_isv_svn;
        uint8_t qe_mr_signer[32], qe_attributes[16];
        uint32_t qe_misc_select;
        char qe_status[32];   /* with collateral */
        char advisories[256]; /* with collateral: comma-separated IDs */
    } dcap;

    struct {
        uint16_t body_type; /* v5: 2 = TDX 1.0, 3 = TDX 1.5; v4: 2 */
        uint8_t tee_tcb_svn[16], mr_seam[48], mr_signer_seam[48], seam_attributes[8];
        uint8_t td_attributes[8], xfam[8], mr_td[48], mr_config_id[48], mr_owner[48];
        uint8_t mr_owner_config[48], rtmr[4][48], report_data[64];
        uint8_t tee_tcb_svn2[16], mr_servicetd[48]; /* body type 3 only */
        char tdx_module_status[32]; /* with collateral */
    } tdx;

    /* SGX enclave report (DCAP quote v3). */
    struct {
        uint8_t cpu_svn[16], attributes[16], mr_enclave[32], mr_signer[32], report_data[64];
        uint32_t misc_select;
        uint16_t isv_prod_id, isv_svn;
    } sgx;

    struct {
        char module_id[128];
        char digest[16];
        uint64_t timestamp_ms;
        uint32_t pcr_present;                      /* bit i: PCR i was in the document */
        uint8_t pcrs[CCF_TEE_NITRO_MAX_PCRS][64];
        size_t pcr_len;                            /* 48 for SHA384 */
        bool has_nonce, has_user_data, has_public_key;
        uint8_t nonce[CCF_TEE_NITRO_MAX_BLOB], user_data[CCF_TEE_NITRO_MAX_BLOB];
        uint8_t public_key[CCF_TEE_NITRO_MAX_BLOB];
        size_t nonce_len, user_data_len, public_key_len;
        time_t leaf_not_before, leaf_not_after;
    } nitro;
} ccf_tee_claims;

/* Verifies evidence of platform p (the binary form: SNP 1184-byte report,
 * TDX quote v4/v5, Nitro COSE_Sign1, SGX quote v3) with opts. Returns CCF_OK when every check
 * passed; CCF_ERR_DENIED when a check refused (err names it);
 * CCF_ERR_INVALID for malformed evidence or inputs; CCF_ERR_UNSUPPORTED for
 * a valid but unsupported form (e.g. an unknown quote version). claims may
 * be NULL. */
ccf_err ccf_tee_verify(ccf_tee_platform p, const uint8_t *evidence, size_t len,
                       const ccf_tee_verify_opts *opts, ccf_tee_claims *claims, char *err,
                       size_t err_size) __attribute__((warn_unused_result));

/* Evidence is often passed around as text: when in[0..len) is hex (the
 * virtee sample) or base64 (Nitro documents in JSON APIs), decodes it into a
 * new buffer; otherwise copies it. *out is freed by the caller with free(). */
ccf_err ccf_tee_evidence_decode(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len,
                                char *err, size_t err_size) __attribute__((warn_unused_result));

/* The SEV-SNP evidence JSON that a Confidential Containers KBS/AS receives
 * ({"attestation_report":{<fields>},"cert_chain":[{"cert_type":"VCEK",
 * "data":[<bytes>]}]}): rebuilds the 1184-byte binary report into report
 * (unnamed reserved bytes are zero) and, when the chain has a VCEK or VLEK,
 * returns its DER in a new *vcek (caller frees with free(); NULL when
 * absent). Only rebuilds: verify the result with ccf_tee_verify(). */
ccf_err ccf_tee_snp_from_kbs_json(const char *json, size_t len, uint8_t report[1184],
                                  uint8_t **vcek, size_t *vcek_len, char *err, size_t err_size)
    __attribute__((warn_unused_result));

/* Writes the claims as a JSON object text (new string, caller frees with
 * free()); NULL on allocation failure. */
char *ccf_tee_claims_json(const ccf_tee_claims *c);

#endif
