/* AMD SEV-SNP attestation report verification (AMD SEV-SNP ABI
 * specification, ATTESTATION_REPORT structure; Versioned Chip Endorsement
 * Key certificate profile).
 *
 * Checks, in order: report size and version, signature algorithm; the
 * pinned AMD bundle (ARK self-signed, ASK/ASVK signed by ARK, validity at
 * opts->at); the VCEK (or VLEK, as the report's SIGNING_KEY says) signed by
 * ASK (ASVK) and valid; the chain again through an X509_STORE pinned to the
 * ARK; the report's ECDSA P-384/SHA-384 signature with the VCEK key; the
 * reported TCB against the VCEK's TCB extensions and the chip ID against
 * its hwID. */
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/tee_internal.h"

#define SNP_REPORT_LEN 0x4A0
#define SNP_SIGNED_LEN 0x2A0
#define SNP_SIG_R 0x2A0
#define SNP_SIG_S 0x2E8
#define SNP_SIG_COMPONENT 72 /* little-endian, P-384 uses the first 48 */

/* TCB_VERSION layout differs on Turin (an FMC field comes first). */
static ccf_tee_snp_tcb split_tcb(uint64_t raw, bool turin)
{
    ccf_tee_snp_tcb t = {.raw = raw};
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(raw >> (8 * i));
    if (turin) {
        t.fmc = b[0];
        t.bootloader = b[1];
        t.tee = b[2];
        t.snp = b[3];
    } else {
        t.bootloader = b[0];
        t.tee = b[1];
        t.snp = b[6];
    }
    t.microcode = b[7];
    return t;
}

static void parse_report(const uint8_t *r, ccf_tee_claims *c, bool turin)
{
    c->snp.version = ccf_tee_le32(r + 0x00);
    c->snp.guest_svn = ccf_tee_le32(r + 0x04);
    c->snp.policy = ccf_tee_le64(r + 0x08);
    memcpy(c->snp.family_id, r + 0x10, 16);
    memcpy(c->snp.image_id, r + 0x20, 16);
    c->snp.vmpl = ccf_tee_le32(r + 0x30);
    c->snp.sig_algo = ccf_tee_le32(r + 0x34);
    c->snp.current_tcb = split_tcb(ccf_tee_le64(r + 0x38), turin);
    c->snp.platform_info = ccf_tee_le64(r + 0x40);
    c->snp.flags = ccf_tee_le32(r + 0x48);
    c->snp.signing_key = (c->snp.flags >> 2) & 7;
    memcpy(c->report_data, r + 0x50, 64);
    c->report_data_len = 64;
    memcpy(c->measurement, r + 0x90, 48);
    c->measurement_len = 48;
    memcpy(c->snp.host_data, r + 0xC0, 32);
    memcpy(c->snp.id_key_digest, r + 0xE0, 48);
    memcpy(c->snp.author_key_digest, r + 0x110, 48);
    memcpy(c->snp.report_id, r + 0x140, 32);
    c->snp.reported_tcb = split_tcb(ccf_tee_le64(r + 0x180), turin);
    if (c->snp.version >= 3) {
        c->snp.cpuid_fam = r[0x188];
        c->snp.cpuid_mod = r[0x189];
        c->snp.cpuid_step = r[0x18A];
    }
    memcpy(c->snp.chip_id, r + 0x1A0, 64);
    c->snp.committed_tcb = split_tcb(ccf_tee_le64(r + 0x1E0), turin);
    c->snp.fw_build = r[0x1E8];
    c->snp.fw_minor = r[0x1E9];
    c->snp.fw_major = r[0x1EA];
    c->snp.launch_tcb = split_tcb(ccf_tee_le64(r + 0x1F0), turin);
    c->debug = (c->snp.policy >> 19) & 1;
}

/* The value of an AMD VCEK extension (OID 1.3.6.1.4.1.3704.<suffix>): its
 * DER content octets, or NULL. */
static const ASN1_OCTET_STRING *amd_ext(X509 *x, const char *suffix)
{
    char oid[64];
    ASN1_OBJECT *obj;
    int idx;
    snprintf(oid, sizeof oid, "1.3.6.1.4.1.3704.%s", suffix);
    if ((obj = OBJ_txt2obj(oid, 1)) == NULL)
        return NULL;
    idx = X509_get_ext_by_OBJ(x, obj, -1);
    ASN1_OBJECT_free(obj);
    if (idx < 0)
        return NULL;
    return X509_EXTENSION_get_data(X509_get_ext(x, idx));
}

/* An SPL extension: a DER INTEGER in [0, 255]; -1 when absent or not that. */
static int amd_spl(X509 *x, const char *suffix)
{
    const ASN1_OCTET_STRING *v = amd_ext(x, suffix);
    const unsigned char *p;
    ASN1_INTEGER *i;
    long val;
    if (v == NULL)
        return -1;
    p = ASN1_STRING_get0_data(v);
    i = d2i_ASN1_INTEGER(NULL, &p, ASN1_STRING_length(v));
    val = i != NULL ? ASN1_INTEGER_get(i) : -1;
    ASN1_INTEGER_free(i);
    ERR_clear_error();
    return val >= 0 && val <= 255 ? (int)val : -1;
}

ccf_err ccf_tee_snp_verify(const uint8_t *ev, size_t len, const ccf_tee_verify_opts *o,
                           ccf_tee_claims *c, char *err, size_t n)
{
    STACK_OF(X509) *roots = NULL, *certs = NULL, *mid = NULL, *anchor = NULL;
    X509 *ark = NULL, *ask = NULL, *asvk = NULL, *vcek = NULL, *issuer;
    const char *kname, *iname;
    char product[16] = "", cn[64], vcek_cn[64];
    bool turin;
    ccf_err rc;

    if (len != SNP_REPORT_LEN) {
        rc = ccf_errf(err, n, CCF_ERR_INVALID, "snp: report is %zu bytes, expected %d", len,
                      SNP_REPORT_LEN);
        goto out;
    }
    if (ccf_tee_certs_load(o->roots, o->roots_len, &roots) != CCF_OK) {
        rc = ccf_errf(err, n, CCF_ERR_INVALID, "snp: pinned AMD roots are not certificates");
        goto out;
    }
    /* AMD ships ASK, ARK and ASVK in one bundle; tell them apart by CN. */
    for (int i = 0; i < sk_X509_num(roots); i++) {
        X509 *x = sk_X509_value(roots, i);
        ccf_tee_cert_cn(x, cn, sizeof cn);
        if (strncmp(cn, "ARK-", 4) == 0) {
            if (ark != NULL) { /* one product per bundle: no guessing which ARK is meant */
                rc = ccf_errf(err, n, CCF_ERR_INVALID,
                              "snp: pinned roots hold more than one ARK (give one product's bundle)");
                goto out;
            }
            ark = x;
            snprintf(product, sizeof product, "%.15s", cn + 4);
        } else if (strncmp(cn, "SEV-VLEK-", 9) == 0)
            asvk = x;
        else if (strncmp(cn, "SEV-", 4) == 0)
            ask = x;
    }
    if (ark == NULL || ask == NULL) {
        rc = ccf_errf(err, n, CCF_ERR_INVALID, "snp: pinned roots lack an ARK-* and an ASK (SEV-*)");
        goto out;
    }
    turin = strcmp(product, "Turin") == 0;
    memcpy(c->snp.product, product, sizeof product);
    parse_report(ev, c, turin);
    if (c->snp.version < 2 || c->snp.version > 5) {
        rc = ccf_errf(err, n, CCF_ERR_UNSUPPORTED, "snp: report version %u not supported (2..5)",
                      c->snp.version);
        goto out;
    }
    if (c->snp.sig_algo != 1) {
        rc = ccf_errf(err, n, CCF_ERR_UNSUPPORTED,
                      "snp: signature algorithm %u is not ECDSA P-384 with SHA-384 (1)",
                      c->snp.sig_algo);
        goto out;
    }
    if (c->snp.signing_key > 1) {
        rc = ccf_errf(err, n, CCF_ERR_UNSUPPORTED, "snp: report signed by key kind %u (not VCEK/VLEK)",
                      c->snp.signing_key);
        goto out;
    }
    kname = c->snp.signing_key == 0 ? "VCEK" : "VLEK";
    iname = c->snp.signing_key == 0 ? "ASK" : "ASVK";
    issuer = c->snp.signing_key == 0 ? ask : asvk;

    /* The pinned bundle itself. */
    if (!ccf_tee_self_signed(ark)) {
        rc = ccf_errf(err, n, CCF_ERR_DENIED, "snp: ARK (%s) is not self-signed", product);
        goto out;
    }
    if (X509_verify(ask, X509_get0_pubkey(ark)) != 1) {
        rc = ccf_errf(err, n, CCF_ERR_DENIED, "snp: ASK not signed by ARK (%s)", product);
        goto out;
    }
    if (asvk != NULL && X509_verify(asvk, X509_get0_pubkey(ark)) != 1) {
        rc = ccf_errf(err, n, CCF_ERR_DENIED, "snp: ASVK not signed by ARK (%s)", product);
        goto out;
    }
    if (issuer == NULL) {
        rc = ccf_errf(err, n, CCF_ERR_INVALID, "snp: report signed by a VLEK, pinned roots lack the ASVK");
        goto out;
    }
    if (o->vcek == NULL || o->vcek_len == 0) {
        rc = ccf_errf(err, n, CCF_ERR_INVALID, "snp: no %s certificate given", kname);
        goto out;
    }
    if (ccf_tee_certs_load(o->vcek, o->vcek_len, &certs) != CCF_OK) {
        rc = ccf_errf(err, n, CCF_ERR_INVALID, "snp: %s is not a certificate", kname);
        goto out;
    }
    vcek = sk_X509_value(certs, 0);
    ccf_tee_cert_cn(vcek, vcek_cn, sizeof vcek_cn);
    if (X509_verify(vcek, X509_get0_pubkey(issuer)) != 1) {
        rc = ccf_errf(err, n, CCF_ERR_DENIED, "snp: %s not signed by %s (%s)", kname, iname, product);
        goto out;
    }
    {
        time_t at = o->at != 0 ? o->at : time(NULL);
        if ((rc = ccf_tee_cert_check_time(ark, at, "snp", "ARK", err, n)) != CCF_OK ||
            (rc = ccf_tee_cert_check_time(issuer, at, "snp", iname, err, n)) != CCF_OK ||
            (rc = ccf_tee_cert_check_time(vcek, at, "snp", kname, err, n)) != CCF_OK)
            goto out;
        /* The same through OpenSSL's path validation, anchored at the ARK only. */
        if ((mid = sk_X509_new_null()) == NULL || (anchor = sk_X509_new_null()) == NULL ||
            !sk_X509_push(mid, issuer) || !sk_X509_push(anchor, ark)) {
            rc = ccf_errf(err, n, CCF_ERR_NOMEM, "snp: out of memory");
            goto out;
        }
        if ((rc = ccf_tee_chain_verify(vcek, mid, anchor, at, "snp", kname, err, n)) != CCF_OK)
            goto out;
    }
    ccf_tee_cert_cn(issuer, cn, sizeof cn);
    snprintf(c->signer, sizeof c->signer, "%s (%s) <- %s (%s) <- ARK-%s (pinned)", kname,
             vcek_cn, iname, cn, product);

    {
        EVP_PKEY *key = X509_get0_pubkey(vcek);
        if (key == NULL || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC || EVP_PKEY_get_bits(key) != 384) {
            rc = ccf_errf(err, n, CCF_ERR_DENIED, "snp: %s key is not ECDSA P-384", kname);
            goto out;
        }
        if (!ccf_tee_ecdsa_verify(key, EVP_sha384(), ev, SNP_SIGNED_LEN, ev + SNP_SIG_R,
                                  ev + SNP_SIG_S, SNP_SIG_COMPONENT, 1)) {
            rc = ccf_errf(err, n, CCF_ERR_DENIED, "snp: report signature does not verify with the %s",
                          kname);
            goto out;
        }
    }

    /* The certificate was issued for exactly this TCB (and, for a VCEK, this
     * chip): otherwise an old, vulnerable firmware's key vouches for a newer TCB. */
    {
        const ccf_tee_snp_tcb *t = &c->snp.reported_tcb;
        struct { const char *oid, *name; int want; } spl[] = {
            {"1.3.1", "blSPL", t->bootloader}, {"1.3.2", "teeSPL", t->tee},
            {"1.3.3", "snpSPL", t->snp}, {"1.3.8", "ucodeSPL", t->microcode},
            {"1.3.9", "fmcSPL", t->fmc},
        };
        for (size_t i = 0; i < sizeof spl / sizeof spl[0]; i++) {
            int got = amd_spl(vcek, spl[i].oid);
            if (got < 0 && i < 4 && c->snp.signing_key == 0) { /* fmcSPL: Turin only */
                rc = ccf_errf(err, n, CCF_ERR_DENIED, "snp: %s lacks the %s extension", kname,
                              spl[i].name);
                goto out;
            }
            if (got >= 0 && got != spl[i].want) {
                rc = ccf_errf(err, n, CCF_ERR_DENIED,
                              "snp: reported TCB %s=%d differs from the %s's %d", spl[i].name,
                              spl[i].want, kname, got);
                goto out;
            }
        }
        if (c->snp.signing_key == 0 && !(c->snp.flags & 2)) { /* MASK_CHIP_ID not set */
            const ASN1_OCTET_STRING *hw = amd_ext(vcek, "1.4");
            if (hw == NULL || ASN1_STRING_length(hw) != 64 ||
                memcmp(ASN1_STRING_get0_data(hw), c->snp.chip_id, 64) != 0) {
                rc = ccf_errf(err, n, CCF_ERR_DENIED, "snp: chip_id differs from the VCEK's hwID");
                goto out;
            }
        }
    }
    rc = CCF_OK;
out:
    sk_X509_free(mid);
    sk_X509_free(anchor);
    sk_X509_pop_free(certs, X509_free);
    sk_X509_pop_free(roots, X509_free);
    ERR_clear_error();
    return rc;
}

/* ---------------------------------------------- KBS/AS JSON evidence form */

/* An array of exactly n integers 0..255 into out. */
static bool json_bytes(json_t *a, uint8_t *out, size_t n)
{
    if (!json_is_array(a) || json_array_size(a) != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(a, i);
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 255)
            return false;
        out[i] = (uint8_t)json_integer_value(v);
    }
    return true;
}

static bool json_uint(json_t *v, uint64_t max, uint64_t *out)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max)
        return false;
    *out = (uint64_t)json_integer_value(v);
    return true;
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* A {fmc, bootloader, tee, snp, microcode} object as TCB_VERSION: the
 * Milan/Genoa layout, or Turin's when fmc is a number. */
static bool json_tcb(json_t *t, uint8_t out[8])
{
    uint64_t bl, tee, snp, uc, fmc;
    json_t *f = json_object_get(t, "fmc");
    if (!json_uint(json_object_get(t, "bootloader"), 255, &bl) ||
        !json_uint(json_object_get(t, "tee"), 255, &tee) ||
        !json_uint(json_object_get(t, "snp"), 255, &snp) ||
        !json_uint(json_object_get(t, "microcode"), 255, &uc))
        return false;
    memset(out, 0, 8);
    if (f != NULL && !json_is_null(f)) {
        if (!json_uint(f, 255, &fmc))
            return false;
        out[0] = (uint8_t)fmc;
        out[1] = (uint8_t)bl;
        out[2] = (uint8_t)tee;
        out[3] = (uint8_t)snp;
    } else {
        out[0] = (uint8_t)bl;
        out[1] = (uint8_t)tee;
        out[6] = (uint8_t)snp;
    }
    out[7] = (uint8_t)uc;
    return true;
}

ccf_err ccf_tee_snp_from_kbs_json(const char *json, size_t len, uint8_t report[1184],
                                  uint8_t **vcek, size_t *vcek_len, char *err, size_t err_size)
{
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL), *a, *v;
    static const struct { const char *name; size_t off, len; } arrays[] = {
        {"family_id", 0x10, 16}, {"image_id", 0x20, 16}, {"report_data", 0x50, 64},
        {"measurement", 0x90, 48}, {"host_data", 0xC0, 32}, {"id_key_digest", 0xE0, 48},
        {"author_key_digest", 0x110, 48}, {"report_id", 0x140, 32}, {"report_id_ma", 0x160, 32},
        {"chip_id", 0x1A0, 64},
    };
    static const struct { const char *name; size_t off; int len; uint64_t max; } ints[] = {
        {"version", 0x00, 4, 0xFFFFFFFFu}, {"guest_svn", 0x04, 4, 0xFFFFFFFFu},
        {"policy", 0x08, 8, INT64_MAX}, {"vmpl", 0x30, 4, 0xFFFFFFFFu},
        {"sig_algo", 0x34, 4, 0xFFFFFFFFu}, {"plat_info", 0x40, 8, INT64_MAX},
        {"key_info", 0x48, 4, 0xFFFFFFFFu},
    };
    static const struct { const char *name; size_t off; } tcbs[] = {
        {"current_tcb", 0x38}, {"reported_tcb", 0x180}, {"committed_tcb", 0x1E0}, {"launch_tcb", 0x1F0},
    };
    ccf_err rc = CCF_ERR_INVALID;
    size_t i;
    json_t *cert;
    *vcek = NULL;
    *vcek_len = 0;
    memset(report, 0, SNP_REPORT_LEN);
    if (root == NULL || !json_is_object(a = json_object_get(root, "attestation_report"))) {
        ccf_errf(err, err_size, rc, "snp: JSON evidence lacks an attestation_report object");
        goto out;
    }
    for (i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
        if (!json_bytes(json_object_get(a, arrays[i].name), report + arrays[i].off, arrays[i].len)) {
            ccf_errf(err, err_size, rc, "snp: JSON evidence: %s is not %zu bytes", arrays[i].name,
                     arrays[i].len);
            goto out;
        }
    for (i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        uint64_t x;
        if (!json_uint(json_object_get(a, ints[i].name), ints[i].max, &x)) {
            ccf_errf(err, err_size, rc, "snp: JSON evidence: %s is not an integer in range",
                     ints[i].name);
            goto out;
        }
        put_le(report + ints[i].off, x, ints[i].len);
    }
    for (i = 0; i < sizeof tcbs / sizeof tcbs[0]; i++)
        if (!json_tcb(json_object_get(a, tcbs[i].name), report + tcbs[i].off)) {
            ccf_errf(err, err_size, rc, "snp: JSON evidence: %s is not a TCB version", tcbs[i].name);
            goto out;
        }
    {
        /* Version 3+ fields; absent in older forms. */
        static const char *const cpuid[] = {"cpuid_fam_id", "cpuid_mod_id", "cpuid_step"};
        static const char *const fw[] = {"current", "committed"};
        for (i = 0; i < 3; i++) {
            uint64_t x;
            if ((v = json_object_get(a, cpuid[i])) != NULL && !json_is_null(v)) {
                if (!json_uint(v, 255, &x)) {
                    ccf_errf(err, err_size, rc, "snp: JSON evidence: %s is not a byte", cpuid[i]);
                    goto out;
                }
                report[0x188 + i] = (uint8_t)x;
            }
        }
        for (i = 0; i < 2; i++) {
            uint64_t b, mi, ma;
            if ((v = json_object_get(a, fw[i])) == NULL)
                continue;
            if (!json_uint(json_object_get(v, "build"), 255, &b) ||
                !json_uint(json_object_get(v, "minor"), 255, &mi) ||
                !json_uint(json_object_get(v, "major"), 255, &ma)) {
                ccf_errf(err, err_size, rc, "snp: JSON evidence: %s is not a firmware version", fw[i]);
                goto out;
            }
            report[0x1E8 + 4 * i] = (uint8_t)b;
            report[0x1E9 + 4 * i] = (uint8_t)mi;
            report[0x1EA + 4 * i] = (uint8_t)ma;
        }
    }
    v = json_object_get(a, "signature");
    if (!json_bytes(json_object_get(v, "r"), report + SNP_SIG_R, SNP_SIG_COMPONENT) ||
        !json_bytes(json_object_get(v, "s"), report + SNP_SIG_S, SNP_SIG_COMPONENT)) {
        ccf_errf(err, err_size, rc, "snp: JSON evidence: signature r/s are not 72 bytes each");
        goto out;
    }
    json_array_foreach(json_object_get(root, "cert_chain"), i, cert) {
        const char *type = json_string_value(json_object_get(cert, "cert_type"));
        json_t *data = json_object_get(cert, "data");
        size_t dn = json_array_size(data);
        if (type == NULL || (strcmp(type, "VCEK") != 0 && strcmp(type, "VLEK") != 0))
            continue;
        if (dn == 0 || dn > 16384 || (*vcek = malloc(dn)) == NULL || !json_bytes(data, *vcek, dn)) {
            free(*vcek);
            *vcek = NULL;
            ccf_errf(err, err_size, rc, "snp: JSON evidence: %s data is not bytes", type);
            goto out;
        }
        *vcek_len = dn;
        break;
    }
    rc = CCF_OK;
out:
    json_decref(root);
    return rc;
}
