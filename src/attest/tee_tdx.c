/* Intel DCAP quote verification: TDX quotes v4 and v5 (Intel TDX DCAP
 * Quoting Library API; certification data type 6 = QE report + PCK
 * certificate chain) and, sharing everything after the body, SGX quotes v3
 * (Intel SGX ECDSA Quote Library API; the QE report data follows the
 * attestation key directly). ECDSA-256 attestation keys only.
 *
 * Checks, in order: header (version 4/5, ECDSA-P256 key, TEE type TDX),
 * every length against the bytes present; the PCK chain up to the pinned
 * Intel SGX Root CA at opts->at; the QE report signature with the PCK key;
 * QE report_data = SHA-256(attestation key || QE auth data) || zeros; the
 * quote signature (header + TD report) with the attestation key. With
 * collateral: TCB info and QE identity signed by a chain to the same pinned
 * root, valid at opts->at, for this FMSPC/PCE ID; then the TCB level,
 * TDX module and QE identity statuses (reported; only Revoked refuses). */
#include <jansson.h>
#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/tee_internal.h"
#include "common/crypto.h"

#define HDR_LEN 48
#define BODY10_LEN 584 /* TD report, TDX 1.0 */
#define BODY15_LEN 648 /* TD report, TDX 1.5 (v5 body type 3) */
#define QE_REPORT_LEN 384
#define TEE_TYPE_TDX 0x81
#define ATT_KEY_ECDSA_P256 2
#define CERT_QE_REPORT 6
#define CERT_PCK_CHAIN 5

static const uint8_t *take(const uint8_t **p, size_t *left, size_t n)
{
    const uint8_t *r = *p;
    if (n > *left)
        return NULL;
    *p += n;
    *left -= n;
    return r;
}

static void parse_body(const uint8_t *b, uint16_t type, ccf_tee_claims *c)
{
    memcpy(c->tdx.tee_tcb_svn, b, 16);
    memcpy(c->tdx.mr_seam, b + 16, 48);
    memcpy(c->tdx.mr_signer_seam, b + 64, 48);
    memcpy(c->tdx.seam_attributes, b + 112, 8);
    memcpy(c->tdx.td_attributes, b + 120, 8);
    memcpy(c->tdx.xfam, b + 128, 8);
    memcpy(c->tdx.mr_td, b + 136, 48);
    memcpy(c->tdx.mr_config_id, b + 184, 48);
    memcpy(c->tdx.mr_owner, b + 232, 48);
    memcpy(c->tdx.mr_owner_config, b + 280, 48);
    for (int i = 0; i < 4; i++)
        memcpy(c->tdx.rtmr[i], b + 328 + 48 * i, 48);
    memcpy(c->tdx.report_data, b + 520, 64);
    if (type == 3) {
        memcpy(c->tdx.tee_tcb_svn2, b + 584, 16);
        memcpy(c->tdx.mr_servicetd, b + 600, 48);
    }
    memcpy(c->measurement, c->tdx.mr_td, 48);
    c->measurement_len = 48;
    memcpy(c->report_data, c->tdx.report_data, 64);
    c->report_data_len = 64;
    c->debug = c->tdx.td_attributes[0] & 1; /* TUD.DEBUG */
}

/* One DER TLV inside [*p, end): its tag and content; false when malformed. */
static bool der_next(const uint8_t **p, const uint8_t *end, int *tag, const uint8_t **val,
                     long *vlen)
{
    const unsigned char *q = *p;
    int xclass, r;
    if (*p >= end)
        return false;
    r = ASN1_get_object(&q, vlen, tag, &xclass, (long)(end - *p));
    if (r & 0x80 || *vlen < 0 || *vlen > end - q)
        return false;
    *val = q;
    *p = q + *vlen;
    return true;
}

/* True when the DER content octets of an OBJECT IDENTIFIER are `txt`. */
static bool oid_is(const uint8_t *content, long len, const char *txt)
{
    ASN1_OBJECT *o = OBJ_txt2obj(txt, 1);
    bool eq = o != NULL && OBJ_length(o) == (size_t)len &&
              memcmp(OBJ_get0_data(o), content, (size_t)len) == 0;
    ASN1_OBJECT_free(o);
    return eq;
}

/* The Intel SGX extension (1.2.840.113741.1.13.1) of the PCK certificate:
 * FMSPC, PCE ID, PCE SVN and CPU SVN for the TCB evaluation. */
static bool pck_sgx_ext(X509 *pck, ccf_tee_claims *c)
{
    ASN1_OBJECT *obj = OBJ_txt2obj("1.2.840.113741.1.13.1", 1);
    int idx = obj != NULL ? X509_get_ext_by_OBJ(pck, obj, -1) : -1;
    const ASN1_OCTET_STRING *v;
    const uint8_t *p, *end, *seq, *item, *oid, *val;
    long seq_len, item_len, oid_len, val_len;
    int tag;
    bool fmspc = false, tcb = false;
    ASN1_OBJECT_free(obj);
    if (idx < 0)
        return false;
    v = X509_EXTENSION_get_data(X509_get_ext(pck, idx));
    p = ASN1_STRING_get0_data(v);
    end = p + ASN1_STRING_length(v);
    if (!der_next(&p, end, &tag, &seq, &seq_len) || tag != V_ASN1_SEQUENCE)
        return false;
    p = seq;
    end = seq + seq_len;
    while (p < end) {
        const uint8_t *ip, *iend;
        if (!der_next(&p, end, &tag, &item, &item_len) || tag != V_ASN1_SEQUENCE)
            return false;
        ip = item;
        iend = item + item_len;
        if (!der_next(&ip, iend, &tag, &oid, &oid_len) || tag != V_ASN1_OBJECT ||
            !der_next(&ip, iend, &tag, &val, &val_len))
            return false;
        if (oid_is(oid, oid_len, "1.2.840.113741.1.13.1.4") && tag == V_ASN1_OCTET_STRING &&
            val_len == 6) {
            memcpy(c->dcap.fmspc, val, 6);
            fmspc = true;
        } else if (oid_is(oid, oid_len, "1.2.840.113741.1.13.1.3") && tag == V_ASN1_OCTET_STRING &&
                   val_len == 2) {
            memcpy(c->dcap.pce_id, val, 2);
        } else if (oid_is(oid, oid_len, "1.2.840.113741.1.13.1.2") && tag == V_ASN1_SEQUENCE) {
            const uint8_t *tp = val, *tend = val + val_len;
            while (tp < tend) {
                const uint8_t *cp, *cend, *coid, *cval;
                long clen, coid_len, cval_len;
                int ctag;
                if (!der_next(&tp, tend, &tag, &cp, &clen) || tag != V_ASN1_SEQUENCE)
                    return false;
                cend = cp + clen;
                if (!der_next(&cp, cend, &ctag, &coid, &coid_len) || ctag != V_ASN1_OBJECT ||
                    !der_next(&cp, cend, &ctag, &cval, &cval_len))
                    return false;
                if (oid_is(coid, coid_len, "1.2.840.113741.1.13.1.2.17") && ctag == V_ASN1_INTEGER &&
                    cval_len >= 1 && cval_len <= 3) {
                    unsigned long x = 0;
                    for (long i = 0; i < cval_len; i++)
                        x = x << 8 | cval[i];
                    if (x > 0xFFFF)
                        return false;
                    c->dcap.pce_svn = (uint16_t)x;
                    tcb = true;
                } else if (oid_is(coid, coid_len, "1.2.840.113741.1.13.1.2.18") &&
                           ctag == V_ASN1_OCTET_STRING && cval_len == 16) {
                    memcpy(c->dcap.cpu_svn, cval, 16);
                }
            }
        }
    }
    return fmspc && tcb;
}

/* ------------------------------------------------------------ collateral */

static bool hex_decode(const char *s, uint8_t *out, size_t n)
{
    if (s == NULL || strlen(s) != 2 * n || !ccf_is_hex(s, 2 * n))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1)
            return false;
        out[i] = (uint8_t)v;
    }
    return true;
}

/* Verifies one signed collateral item: the exact text `body`, its hex
 * signature (r||s, P-256/SHA-256), its issuer chain up to the pinned root,
 * and its issueDate..nextUpdate window around `at`. Returns the parsed body
 * (caller decrefs) or NULL with err set. */
static json_t *collateral_item(const char *pf, json_t *coll, const char *key, const char *what,
                               STACK_OF(X509) *anchors, time_t at, ccf_err *rc, char *err,
                               size_t n)
{
    char sigkey[64], chainkey[64], ts[32];
    const char *body, *sighex, *chain;
    uint8_t sig[64];
    STACK_OF(X509) *certs = NULL;
    json_t *doc = NULL;
    time_t issued, next;
    snprintf(sigkey, sizeof sigkey, "%s_signature", key);
    snprintf(chainkey, sizeof chainkey, "%s_issuer_chain", key);
    body = json_string_value(json_object_get(coll, key));
    sighex = json_string_value(json_object_get(coll, sigkey));
    chain = json_string_value(json_object_get(coll, chainkey));
    *rc = CCF_ERR_INVALID;
    if (body == NULL || sighex == NULL || chain == NULL) {
        ccf_errf(err, n, CCF_ERR_INVALID, "%s: collateral lacks %s, %s or %s", pf, key, sigkey,
                 chainkey);
        goto fail;
    }
    if (!hex_decode(sighex, sig, 64)) {
        ccf_errf(err, n, CCF_ERR_INVALID, "%s: collateral %s is not 64 bytes of hex", pf, sigkey);
        goto fail;
    }
    if (ccf_tee_certs_load((const uint8_t *)chain, strlen(chain), &certs) != CCF_OK) {
        ccf_errf(err, n, CCF_ERR_INVALID, "%s: collateral %s is not certificates", pf, chainkey);
        goto fail;
    }
    *rc = ccf_tee_chain_verify(sk_X509_value(certs, 0), certs, anchors, at, pf, what, err, n);
    if (*rc != CCF_OK)
        goto fail;
    *rc = CCF_ERR_DENIED;
    if (!ccf_tee_ecdsa_verify(X509_get0_pubkey(sk_X509_value(certs, 0)), EVP_sha256(),
                              (const uint8_t *)body, strlen(body), sig, sig + 32, 32, 0)) {
        ccf_errf(err, n, CCF_ERR_DENIED, "%s: %s signature does not verify with its signing cert", pf,
                 what);
        goto fail;
    }
    *rc = CCF_ERR_INVALID;
    if ((doc = json_loads(body, JSON_REJECT_DUPLICATES, NULL)) == NULL || !json_is_object(doc) ||
        !ccf_utc_parse(json_string_value(json_object_get(doc, "issueDate")), &issued) ||
        !ccf_utc_parse(json_string_value(json_object_get(doc, "nextUpdate")), &next)) {
        ccf_errf(err, n, CCF_ERR_INVALID, "%s: %s is not the expected JSON", pf, what);
        goto fail;
    }
    *rc = CCF_ERR_DENIED;
    if (at < issued) {
        ccf_utc_format(issued, ts);
        ccf_errf(err, n, CCF_ERR_DENIED, "%s: %s not yet issued (issueDate %s)", pf, what, ts);
        goto fail;
    }
    if (at > next) {
        ccf_utc_format(next, ts);
        ccf_errf(err, n, CCF_ERR_DENIED, "%s: %s expired at %s (nextUpdate)", pf, what, ts);
        goto fail;
    }
    sk_X509_pop_free(certs, X509_free);
    *rc = CCF_OK;
    return doc;
fail:
    json_decref(doc);
    sk_X509_pop_free(certs, X509_free);
    return NULL;
}

static int svn_of(json_t *comps, size_t i)
{
    json_int_t v = json_integer_value(json_object_get(json_array_get(comps, i), "svn"));
    return v >= 0 && v <= 255 ? (int)v : 256;
}

static void add_advisories(json_t *level, ccf_tee_claims *c)
{
    json_t *ids = json_object_get(level, "advisoryIDs");
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v) {
        size_t used = strlen(c->dcap.advisories);
        if (json_is_string(v))
            snprintf(c->dcap.advisories + used, sizeof c->dcap.advisories - used, "%s%s",
                     used ? "," : "", json_string_value(v));
    }
}

/* The first of a list of {tcb:{isvsvn}, tcbStatus} levels that svn reaches. */
static const char *isv_level_status(json_t *levels, unsigned svn)
{
    size_t i;
    json_t *l;
    json_array_foreach(levels, i, l) {
        json_int_t want = json_integer_value(json_object_get(json_object_get(l, "tcb"), "isvsvn"));
        if (want >= 0 && (json_int_t)svn >= want)
            return json_string_value(json_object_get(l, "tcbStatus"));
    }
    return NULL;
}

/* Folds a component's status (TDX module, QE) into the platform's TCB
 * status, following the order Intel's quote verification library uses:
 * a Revoked component revokes; an OutOfDate one turns UpToDate /
 * SWHardeningNeeded into OutOfDate and the two configuration statuses into
 * OutOfDateConfigurationNeeded; other statuses leave it unchanged. */
static void converge(char *status, size_t size, const char *component)
{
    if (strcmp(component, "Revoked") == 0) {
        snprintf(status, size, "Revoked");
    } else if (strcmp(component, "OutOfDate") == 0) {
        if (strcmp(status, "UpToDate") == 0 || strcmp(status, "SWHardeningNeeded") == 0)
            snprintf(status, size, "OutOfDate");
        else if (strcmp(status, "ConfigurationNeeded") == 0 ||
                 strcmp(status, "ConfigurationAndSWHardeningNeeded") == 0)
            snprintf(status, size, "OutOfDateConfigurationNeeded");
    }
}

static ccf_err dcap_collateral(const char *pf, bool sgx_quote, const ccf_tee_verify_opts *o,
                               STACK_OF(X509) *anchors, time_t at, ccf_tee_claims *c, char *err,
                               size_t n)
{
    json_t *coll = NULL, *tcb = NULL, *qe = NULL, *levels, *l, *mods;
    const char *status = NULL, *s;
    uint8_t fmspc[6], pceid[2];
    ccf_err rc = CCF_ERR_INVALID;
    size_t i;

    if ((coll = json_loadb(o->collateral, o->collateral_len, JSON_REJECT_DUPLICATES, NULL)) == NULL ||
        !json_is_object(coll)) {
        ccf_errf(err, n, rc, "%s: collateral is not a JSON object", pf);
        goto out;
    }
    if ((tcb = collateral_item(pf, coll, "tcb_info", "TCB info", anchors, at, &rc, err, n)) == NULL ||
        (qe = collateral_item(pf, coll, "qe_identity", "QE identity", anchors, at, &rc, err, n)) == NULL)
        goto out;
    rc = CCF_ERR_DENIED;
    s = json_string_value(json_object_get(tcb, "id"));
    if (s == NULL || strcmp(s, sgx_quote ? "SGX" : "TDX") != 0 ||
        json_integer_value(json_object_get(tcb, "version")) != 3) {
        ccf_errf(err, n, rc, "%s: TCB info is not %s version 3", pf, sgx_quote ? "SGX" : "TDX");
        goto out;
    }
    if (!hex_decode(json_string_value(json_object_get(tcb, "fmspc")), fmspc, 6) ||
        memcmp(fmspc, c->dcap.fmspc, 6) != 0 ||
        !hex_decode(json_string_value(json_object_get(tcb, "pceId")), pceid, 2) ||
        memcmp(pceid, c->dcap.pce_id, 2) != 0) {
        ccf_errf(err, n, rc, "%s: TCB info is for another FMSPC/PCE ID than the PCK certificate", pf);
        goto out;
    }
    /* TCB levels are sorted newest first: the first one the platform reaches applies. */
    levels = json_object_get(tcb, "tcbLevels");
    json_array_foreach(levels, i, l) {
        json_t *t = json_object_get(l, "tcb");
        json_t *sgx = json_object_get(t, "sgxtcbcomponents");
        json_t *tdx = json_object_get(t, "tdxtcbcomponents");
        json_int_t pcesvn = json_integer_value(json_object_get(t, "pcesvn"));
        bool ok = json_array_size(sgx) == 16 && (sgx_quote || json_array_size(tdx) == 16) &&
                  json_is_integer(json_object_get(t, "pcesvn")) && c->dcap.pce_svn >= pcesvn;
        for (size_t k = 0; ok && k < 16; k++)
            ok = c->dcap.cpu_svn[k] >= svn_of(sgx, k);
        /* With a TDX module version (tee_tcb_svn[1] > 0), components 0 and 1
         * are the module's, checked against tdxModuleIdentities below. */
        for (size_t k = c->tdx.tee_tcb_svn[1] > 0 ? 2 : 0; ok && !sgx_quote && k < 16; k++)
            ok = c->tdx.tee_tcb_svn[k] >= svn_of(tdx, k);
        if (ok) {
            status = json_string_value(json_object_get(l, "tcbStatus"));
            add_advisories(l, c);
            break;
        }
    }
    if (status == NULL) {
        ccf_errf(err, n, rc, "%s: no TCB level of the TCB info matches the platform (TCB status unknown)", pf);
        goto out;
    }
    snprintf(c->tcb_status, sizeof c->tcb_status, "%s", status);
    if (!sgx_quote && c->tdx.tee_tcb_svn[1] > 0) {
        char id[16];
        const char *ms = NULL;
        snprintf(id, sizeof id, "TDX_%02X", c->tdx.tee_tcb_svn[1]);
        mods = json_object_get(tcb, "tdxModuleIdentities");
        json_array_foreach(mods, i, l) {
            s = json_string_value(json_object_get(l, "id"));
            if (s != NULL && strcmp(s, id) == 0) {
                ms = isv_level_status(json_object_get(l, "tcbLevels"), c->tdx.tee_tcb_svn[0]);
                break;
            }
        }
        if (ms == NULL) {
            ccf_errf(err, n, rc, "%s: TDX module %s isvsvn %u has no TCB level in the TCB info", pf, id,
                     c->tdx.tee_tcb_svn[0]);
            goto out;
        }
        snprintf(c->tdx.tdx_module_status, sizeof c->tdx.tdx_module_status, "%s", ms);
    }
    /* The QE that signed must be Intel's TD QE at a known level. */
    {
        uint8_t mrs[32];
        s = json_string_value(json_object_get(qe, "id"));
        if (s == NULL || strcmp(s, sgx_quote ? "QE" : "TD_QE") != 0) {
            ccf_errf(err, n, rc, "%s: QE identity is not %s", pf, sgx_quote ? "QE" : "TD_QE");
            goto out;
        }
        if (!hex_decode(json_string_value(json_object_get(qe, "mrsigner")), mrs, 32) ||
            memcmp(mrs, c->dcap.qe_mr_signer, 32) != 0) {
            ccf_errf(err, n, rc, "%s: QE mrsigner differs from the QE identity's", pf);
            goto out;
        }
        {
            /* miscselect is a 32-bit number in hex (the report holds it little-endian);
             * attributes are 16 bytes in report order. Both compared under their masks. */
            uint8_t ms[4], msm[4], at_[16], atm[16];
            uint32_t want, mask;
            bool ok = hex_decode(json_string_value(json_object_get(qe, "miscselect")), ms, 4) &&
                      hex_decode(json_string_value(json_object_get(qe, "miscselectMask")), msm, 4) &&
                      hex_decode(json_string_value(json_object_get(qe, "attributes")), at_, 16) &&
                      hex_decode(json_string_value(json_object_get(qe, "attributesMask")), atm, 16);
            want = (uint32_t)ms[0] << 24 | (uint32_t)ms[1] << 16 | (uint32_t)ms[2] << 8 | ms[3];
            mask = (uint32_t)msm[0] << 24 | (uint32_t)msm[1] << 16 | (uint32_t)msm[2] << 8 | msm[3];
            ok = ok && (c->dcap.qe_misc_select & mask) == (want & mask);
            for (int b = 0; ok && b < 16; b++)
                ok = (c->dcap.qe_attributes[b] & atm[b]) == (at_[b] & atm[b]);
            if (!ok) {
                ccf_errf(err, n, rc, "%s: QE miscselect/attributes differ from the QE identity's", pf);
                goto out;
            }
        }
        if (json_integer_value(json_object_get(qe, "isvprodid")) != c->dcap.qe_isv_prod_id) {
            ccf_errf(err, n, rc, "%s: QE isvprodid differs from the QE identity's", pf);
            goto out;
        }
        s = isv_level_status(json_object_get(qe, "tcbLevels"), c->dcap.qe_isv_svn);
        if (s == NULL) {
            ccf_errf(err, n, rc, "%s: QE isvsvn %u is below every QE identity TCB level", pf,
                     c->dcap.qe_isv_svn);
            goto out;
        }
        snprintf(c->dcap.qe_status, sizeof c->dcap.qe_status, "%s", s);
    }
    /* The platform status is worsened by an out-of-date TDX module or QE. */
    converge(c->tcb_status, sizeof c->tcb_status, c->tdx.tdx_module_status);
    converge(c->tcb_status, sizeof c->tcb_status, c->dcap.qe_status);
    if (strcmp(c->tcb_status, "Revoked") == 0) {
        ccf_errf(err, n, rc, "%s: TCB status is Revoked", pf);
        goto out;
    }
    rc = CCF_OK;
out:
    json_decref(tcb);
    json_decref(qe);
    json_decref(coll);
    return rc;
}

/* SGX enclave report body (384 bytes): the quoted enclave. */
static void parse_sgx_body(const uint8_t *b, ccf_tee_claims *c)
{
    memcpy(c->sgx.cpu_svn, b, 16);
    c->sgx.misc_select = ccf_tee_le32(b + 16);
    memcpy(c->sgx.attributes, b + 48, 16);
    memcpy(c->sgx.mr_enclave, b + 64, 32);
    memcpy(c->sgx.mr_signer, b + 128, 32);
    c->sgx.isv_prod_id = ccf_tee_le16(b + 256);
    c->sgx.isv_svn = ccf_tee_le16(b + 258);
    memcpy(c->sgx.report_data, b + 320, 64);
    memcpy(c->measurement, c->sgx.mr_enclave, 32);
    c->measurement_len = 32;
    memcpy(c->report_data, c->sgx.report_data, 64);
    c->report_data_len = 64;
    c->debug = c->sgx.attributes[0] & 2; /* ATTRIBUTES.DEBUG */
}

/* TDX quotes v4/v5 and SGX quotes v3 share everything after the body. */
static ccf_err dcap_verify(bool sgx_quote, const uint8_t *ev, size_t len,
                           const ccf_tee_verify_opts *o, ccf_tee_claims *c, char *err, size_t n)
{
    const char *pf = sgx_quote ? "sgx" : "tdx";
    const uint8_t *p = ev, *hdr, *body, *sd, *sig, *akey, *cd, *qer, *qesig, *auth, *pem;
    size_t left = len, body_len = BODY10_LEN, signed_len, sd_left, cd_left;
    uint32_t sd_len, cd_len, pem_len;
    uint16_t auth_len, cd_type;
    STACK_OF(X509) *roots = NULL, *chain = NULL;
    EVP_PKEY *attest = NULL;
    X509 *pck;
    time_t at = o->at != 0 ? o->at : time(NULL);
    char cn[64];
    ccf_err rc = CCF_ERR_INVALID;

    if ((hdr = take(&p, &left, HDR_LEN)) == NULL) {
        ccf_errf(err, n, rc, "%s: quote truncated in the header (%zu bytes)", pf, len);
        goto out;
    }
    c->dcap.version = ccf_tee_le16(hdr);
    c->dcap.att_key_type = ccf_tee_le16(hdr + 2);
    c->dcap.tee_type = ccf_tee_le32(hdr + 4);
    if (sgx_quote ? c->dcap.version != 3 : c->dcap.version != 4 && c->dcap.version != 5) {
        rc = ccf_errf(err, n, CCF_ERR_UNSUPPORTED, "%s: quote version %u not supported (%s)", pf,
                      c->dcap.version, sgx_quote ? "3" : "4, 5");
        goto out;
    }
    if (sgx_quote) {
        /* v3: bytes 4..7 are reserved; 8..11 QE and PCE SVN. */
        if (c->dcap.att_key_type != ATT_KEY_ECDSA_P256) {
            rc = ccf_errf(err, n, CCF_ERR_UNSUPPORTED,
                          "%s: quote attestation key type %u is not ECDSA-P256 (2)", pf,
                          c->dcap.att_key_type);
            goto out;
        }
        c->dcap.tee_type = 0;
        body_len = QE_REPORT_LEN;
    } else if (c->dcap.tee_type != TEE_TYPE_TDX || c->dcap.att_key_type != ATT_KEY_ECDSA_P256) {
        rc = ccf_errf(err, n, CCF_ERR_UNSUPPORTED,
                      "%s: quote is not a TDX quote with an ECDSA-P256 key (tee_type 0x%x, key %u)", pf,
                      c->dcap.tee_type, c->dcap.att_key_type);
        goto out;
    }
    c->tdx.body_type = 2;
    if (c->dcap.version == 5) {
        const uint8_t *bh = take(&p, &left, 6);
        uint32_t size;
        if (bh == NULL) {
            ccf_errf(err, n, rc, "%s: quote truncated in the body descriptor", pf);
            goto out;
        }
        c->tdx.body_type = ccf_tee_le16(bh);
        size = ccf_tee_le32(bh + 2);
        body_len = c->tdx.body_type == 2 ? BODY10_LEN : c->tdx.body_type == 3 ? BODY15_LEN : 0;
        if (body_len == 0 || size != body_len) {
            rc = ccf_errf(err, n, CCF_ERR_UNSUPPORTED, "%s: v5 body type %u of size %u not supported", pf,
                          c->tdx.body_type, size);
            goto out;
        }
    }
    if ((body = take(&p, &left, body_len)) == NULL) {
        ccf_errf(err, n, rc, "%s: quote truncated in the %s report", pf, sgx_quote ? "enclave" : "TD");
        goto out;
    }
    if (sgx_quote)
        parse_sgx_body(body, c);
    else
        parse_body(body, c->tdx.body_type, c);
    signed_len = (size_t)(p - ev);

    /* Signature data: sig(64) key(64) certification data (type 6). Trailing
     * bytes after it are tolerated (quotes come in padded buffers). */
    if (left < 4 || (sd_len = ccf_tee_le32(p)) > left - 4) {
        ccf_errf(err, n, rc, "%s: signature data length %s the quote", pf,
                 left < 4 ? "missing from" : "exceeds");
        goto out;
    }
    p += 4;
    sd = p;
    sd_left = sd_len;
    if ((sig = take(&sd, &sd_left, 64)) == NULL || (akey = take(&sd, &sd_left, 64)) == NULL) {
        ccf_errf(err, n, rc, "%s: signature data truncated", pf);
        goto out;
    }
    if (sgx_quote) {
        /* v3: the QE report certification data follows the key directly. */
        cd = sd;
        cd_left = sd_left;
    } else {
        /* v4/v5: wrapped as certification data type 6. */
        if ((cd = take(&sd, &sd_left, 6)) == NULL) {
            ccf_errf(err, n, rc, "%s: signature data truncated", pf);
            goto out;
        }
        cd_type = ccf_tee_le16(cd);
        cd_len = ccf_tee_le32(cd + 2);
        if (cd_type != CERT_QE_REPORT) {
            rc = ccf_errf(err, n, CCF_ERR_UNSUPPORTED, "%s: certification data type %u (expected 6)",
                          pf, cd_type);
            goto out;
        }
        if (cd_len > sd_left) {
            ccf_errf(err, n, rc, "%s: certification data length exceeds the signature data", pf);
            goto out;
        }
        cd = sd;
        cd_left = cd_len;
    }
    if ((qer = take(&cd, &cd_left, QE_REPORT_LEN)) == NULL ||
        (qesig = take(&cd, &cd_left, 64)) == NULL || (auth = take(&cd, &cd_left, 2)) == NULL) {
        ccf_errf(err, n, rc, "%s: QE report certification data truncated", pf);
        goto out;
    }
    auth_len = ccf_tee_le16(auth);
    if ((auth = take(&cd, &cd_left, auth_len)) == NULL) {
        ccf_errf(err, n, rc, "%s: QE authentication data length exceeds the certification data", pf);
        goto out;
    }
    {
        const uint8_t *inner = take(&cd, &cd_left, 6);
        if (inner == NULL) {
            ccf_errf(err, n, rc, "%s: PCK certification data truncated", pf);
            goto out;
        }
        if (ccf_tee_le16(inner) != CERT_PCK_CHAIN) {
            rc = ccf_errf(err, n, CCF_ERR_UNSUPPORTED,
                          "%s: inner certification data type %u (expected 5, PCK chain)", pf,
                          ccf_tee_le16(inner));
            goto out;
        }
        pem_len = ccf_tee_le32(inner + 2);
        if ((pem = take(&cd, &cd_left, pem_len)) == NULL) {
            ccf_errf(err, n, rc, "%s: PCK chain length exceeds the certification data", pf);
            goto out;
        }
    }
    c->dcap.qe_isv_prod_id = ccf_tee_le16(qer + 256);
    c->dcap.qe_isv_svn = ccf_tee_le16(qer + 258);
    memcpy(c->dcap.qe_mr_signer, qer + 128, 32);
    c->dcap.qe_misc_select = ccf_tee_le32(qer + 16);
    memcpy(c->dcap.qe_attributes, qer + 48, 16);

    /* The PCK chain, anchored at the pinned root only. */
    if (ccf_tee_certs_load(o->roots, o->roots_len, &roots) != CCF_OK) {
        ccf_errf(err, n, rc, "%s: pinned root is not a certificate", pf);
        goto out;
    }
    if (ccf_tee_certs_load(pem, pem_len, &chain) != CCF_OK) {
        ccf_errf(err, n, rc, "%s: PCK certificate chain in the quote is not PEM certificates", pf);
        goto out;
    }
    pck = sk_X509_value(chain, 0);
    if ((rc = ccf_tee_cert_check_time(pck, at, pf, "PCK", err, n)) != CCF_OK ||
        (rc = ccf_tee_chain_verify(pck, chain, roots, at, pf, "PCK", err, n)) != CCF_OK)
        goto out;
    rc = CCF_ERR_DENIED;
    {
        char mid[64] = "?", root[64] = "?";
        if (sk_X509_num(chain) > 1)
            ccf_tee_cert_cn(sk_X509_value(chain, 1), mid, sizeof mid);
        ccf_tee_cert_cn(sk_X509_value(roots, 0), root, sizeof root);
        ccf_tee_cert_cn(pck, cn, sizeof cn);
        snprintf(c->signer, sizeof c->signer, "attestation key <- QE <- %s <- %s <- %s (pinned)", cn,
                 mid, root);
    }
    if (!pck_sgx_ext(pck, c)) {
        ccf_errf(err, n, CCF_ERR_INVALID, "%s: PCK certificate lacks a readable SGX extension (FMSPC, TCB)", pf);
        goto out;
    }
    if (!ccf_tee_ecdsa_verify(X509_get0_pubkey(pck), EVP_sha256(), qer, QE_REPORT_LEN, qesig,
                              qesig + 32, 32, 0)) {
        ccf_errf(err, n, rc, "%s: QE report signature does not verify with the PCK key", pf);
        goto out;
    }
    {
        /* QE report_data = SHA-256(attestation key || QE auth data) || 32 zero bytes. */
        uint8_t h[32], zero[32] = {0};
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        bool ok = md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
                  EVP_DigestUpdate(md, akey, 64) == 1 && EVP_DigestUpdate(md, auth, auth_len) == 1 &&
                  EVP_DigestFinal_ex(md, h, NULL) == 1;
        EVP_MD_CTX_free(md);
        if (!ok || memcmp(h, qer + 320, 32) != 0 || memcmp(zero, qer + 352, 32) != 0) {
            ccf_errf(err, n, rc, "%s: QE report does not bind the attestation key (report_data)", pf);
            goto out;
        }
    }
    if ((attest = ccf_tee_p256_key(akey)) == NULL) {
        ccf_errf(err, n, rc, "%s: attestation key is not a P-256 point", pf);
        goto out;
    }
    if (!ccf_tee_ecdsa_verify(attest, EVP_sha256(), ev, signed_len, sig, sig + 32, 32, 0)) {
        ccf_errf(err, n, rc, "%s: quote signature does not verify with the attestation key", pf);
        goto out;
    }
    if (o->collateral != NULL && o->collateral_len > 0 &&
        (rc = dcap_collateral(pf, sgx_quote, o, roots, at, c, err, n)) != CCF_OK)
        goto out;
    rc = CCF_OK;
out:
    EVP_PKEY_free(attest);
    sk_X509_pop_free(chain, X509_free);
    sk_X509_pop_free(roots, X509_free);
    ERR_clear_error();
    return rc;
}

ccf_err ccf_tee_tdx_verify(const uint8_t *ev, size_t len, const ccf_tee_verify_opts *o,
                           ccf_tee_claims *c, char *err, size_t n)
{
    return dcap_verify(false, ev, len, o, c, err, n);
}

ccf_err ccf_tee_sgx_verify(const uint8_t *ev, size_t len, const ccf_tee_verify_opts *o,
                           ccf_tee_claims *c, char *err, size_t n)
{
    return dcap_verify(true, ev, len, o, c, err, n);
}
