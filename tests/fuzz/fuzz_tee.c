/* libFuzzer harness for the real-TEE evidence parsers (src/attest/tee.h):
 * the first input byte picks the platform (0 SNP report, 1 TDX quote, 2 Nitro
 * COSE_Sign1 document, 3 the SNP KBS JSON form, 4 SGX quote v3), the rest is the evidence. Trust anchors are made up
 * at start (a throwaway ARK/ASK/VCEK chain and root), so fuzzed evidence
 * walks every parser and chain step; it must never crash, leak or be
 * accepted (the fuzzer holds none of those keys). */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/tee.h"

static uint8_t *roots_pem, *vcek_der;
static size_t roots_len, vcek_len;

static X509 *make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key)
{
    X509 *x = X509_new();
    if (x == NULL)
        abort();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600L * 24 * 365);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                               (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer)
                                           : X509_get_subject_name(x));
    X509_set_pubkey(x, key);
    if (X509_sign(x, issuer_key, EVP_sha384()) <= 0)
        abort();
    return x;
}

static void setup(void)
{
    EVP_PKEY *ark_key = EVP_EC_gen("P-384"), *ask_key = EVP_EC_gen("P-384");
    EVP_PKEY *vcek_key = EVP_EC_gen("P-384");
    X509 *ark, *ask, *vcek;
    BIO *bio = BIO_new(BIO_s_mem());
    unsigned char *der = NULL;
    char *mem;
    long n;
    int dn;
    if (ark_key == NULL || ask_key == NULL || vcek_key == NULL || bio == NULL)
        abort();
    ark = make_cert("ARK-Fuzz", ark_key, NULL, ark_key);
    ask = make_cert("SEV-Fuzz", ask_key, ark, ark_key);
    vcek = make_cert("SEV-VCEK", vcek_key, ask, ask_key);
    PEM_write_bio_X509(bio, ask);
    PEM_write_bio_X509(bio, ark);
    n = BIO_get_mem_data(bio, &mem);
    if (n <= 0 || (roots_pem = malloc((size_t)n)) == NULL)
        abort();
    memcpy(roots_pem, mem, (size_t)n);
    roots_len = (size_t)n;
    if ((dn = i2d_X509(vcek, &der)) <= 0 || (vcek_der = malloc((size_t)dn)) == NULL)
        abort();
    memcpy(vcek_der, der, (size_t)dn);
    vcek_len = (size_t)dn;
    OPENSSL_free(der);
    BIO_free(bio);
    X509_free(ark);
    X509_free(ask);
    X509_free(vcek);
    EVP_PKEY_free(ark_key);
    EVP_PKEY_free(ask_key);
    EVP_PKEY_free(vcek_key);
}

static void teardown(void)
{
    free(roots_pem);
    free(vcek_der);
}

/* libFuzzer's entry point (declared here: libFuzzer ships no header for it). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ccf_tee_claims claims;
    char err[512];
    uint8_t *dec = NULL;
    size_t dec_len;
    if (roots_pem == NULL) {
        setup();
        atexit(teardown);
    }
    if (size < 1)
        return 0;
    if (data[0] % 5 == 3) { /* the SNP JSON form */
        static uint8_t report[1184];
        uint8_t *v = NULL;
        size_t vl = 0;
        if (ccf_tee_snp_from_kbs_json((const char *)data + 1, size - 1, report, &v, &vl, err,
                                      sizeof err) == CCF_OK) {
            ccf_tee_verify_opts so = {.roots = roots_pem, .roots_len = roots_len,
                                      .vcek = v != NULL ? v : vcek_der,
                                      .vcek_len = v != NULL ? vl : vcek_len};
            if (ccf_tee_verify(CCF_TEE_SNP, report, sizeof report, &so, &claims, err,
                               sizeof err) == CCF_OK)
                abort();
        } else if (v != NULL) {
            abort(); /* no certificate handed out on failure */
        }
        free(v);
        return 0;
    }
    ccf_tee_platform p = data[0] % 5 == 4 ? CCF_TEE_SGX : (ccf_tee_platform)(data[0] % 5);
    ccf_tee_verify_opts o = {.roots = roots_pem, .roots_len = roots_len, .vcek = vcek_der,
                             .vcek_len = vcek_len,
                             /* A collateral text that the TDX path parses if it ever gets there. */
                             .collateral = "{}", .collateral_len = 2};
    if (ccf_tee_verify(p, data + 1, size - 1, &o, &claims, err, sizeof err) == CCF_OK)
        abort(); /* nothing the fuzzer makes is signed by these keys */
    if (ccf_tee_evidence_decode(data + 1, size - 1, &dec, &dec_len, err, sizeof err) == CCF_OK) {
        if (dec_len > size)
            abort();
        free(dec);
    }
    return 0;
}
