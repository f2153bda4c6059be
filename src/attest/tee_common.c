/* TEE verifiers: dispatch, expectations, and the X.509/ECDSA helpers the
 * platform files share (tee_internal.h). */
#include <ctype.h>
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/pki.h"
#include "attest/tee_internal.h"
#include "common/crypto.h"

const char *ccf_tee_platform_name(ccf_tee_platform p)
{
    switch (p) {
    case CCF_TEE_SNP: return "snp";
    case CCF_TEE_TDX: return "tdx";
    case CCF_TEE_NITRO: return "nitro";
    case CCF_TEE_SGX: return "sgx";
    }
    return "?";
}

bool ccf_tee_platform_parse(const char *name, ccf_tee_platform *out)
{
    static const ccf_tee_platform all[] = {CCF_TEE_SNP, CCF_TEE_TDX, CCF_TEE_NITRO, CCF_TEE_SGX};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (name != NULL && strcmp(name, ccf_tee_platform_name(all[i])) == 0) {
            *out = all[i];
            return true;
        }
    return false;
}

ccf_err ccf_tee_verify(ccf_tee_platform p, const uint8_t *evidence, size_t len,
                       const ccf_tee_verify_opts *opts, ccf_tee_claims *claims, char *err,
                       size_t err_size)
{
    ccf_tee_claims *c = claims, *own = NULL;
    const char *name = ccf_tee_platform_name(p);
    ccf_err rc;
    if (c == NULL && (c = own = malloc(sizeof *own)) == NULL)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "%s: out of memory", name);
    memset(c, 0, sizeof *c);
    c->platform = p;
    if (opts == NULL || evidence == NULL) {
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "%s: no evidence or options", name);
        goto out;
    }
    if (opts->roots == NULL || opts->roots_len == 0) {
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "%s: no pinned trust anchor given", name);
        goto out;
    }
    switch (p) {
    case CCF_TEE_SNP: rc = ccf_tee_snp_verify(evidence, len, opts, c, err, err_size); break;
    case CCF_TEE_TDX: rc = ccf_tee_tdx_verify(evidence, len, opts, c, err, err_size); break;
    case CCF_TEE_NITRO: rc = ccf_tee_nitro_verify(evidence, len, opts, c, err, err_size); break;
    case CCF_TEE_SGX: rc = ccf_tee_sgx_verify(evidence, len, opts, c, err, err_size); break;
    default: rc = ccf_errf(err, err_size, CCF_ERR_UNSUPPORTED, "unknown platform"); break;
    }
    if (rc != CCF_OK)
        goto out;
    /* Expectations are checked only on evidence that verified. */
    if (opts->expect_measurement != NULL &&
        (opts->expect_measurement_len != c->measurement_len ||
         !ccf_ct_equal(opts->expect_measurement, c->measurement, c->measurement_len))) {
        rc = ccf_errf(err, err_size, CCF_ERR_DENIED, "%s: measurement differs from the expected one",
                      name);
        goto out;
    }
    if (opts->expect_report_data != NULL) {
        const uint8_t *got = p == CCF_TEE_NITRO ? c->nitro.nonce : c->report_data;
        size_t got_len = p == CCF_TEE_NITRO ? c->nitro.nonce_len : c->report_data_len;
        /* SNP/TDX: a shorter expectation covers the first bytes, the rest must be zero. */
        bool ok = opts->expect_report_data_len <= got_len &&
                  (p != CCF_TEE_NITRO || opts->expect_report_data_len == got_len) &&
                  ccf_ct_equal(opts->expect_report_data, got, opts->expect_report_data_len);
        for (size_t i = opts->expect_report_data_len; ok && i < got_len; i++)
            ok = got[i] == 0;
        if (!ok) {
            rc = ccf_errf(err, err_size, CCF_ERR_DENIED, "%s: %s differs from the expected one",
                          name, p == CCF_TEE_NITRO ? "nonce" : "report_data");
            goto out;
        }
    }
out:
    free(own);
    return rc;
}

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

ccf_err ccf_tee_evidence_decode(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len,
                                char *err, size_t err_size)
{
    bool hex = len > 0, b64 = len > 0;
    size_t digits = 0;
    uint8_t *buf = NULL;
    *out = NULL;
    *out_len = 0;
    for (size_t i = 0; i < len; i++) {
        int ch = in[i];
        if (isspace(ch))
            continue;
        digits++;
        if (hexval(ch) < 0)
            hex = false;
        if (!isalnum(ch) && ch != '+' && ch != '/' && ch != '=' && ch != '-' && ch != '_')
            b64 = false;
    }
    if ((buf = malloc(len + 1)) == NULL)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    if (hex && digits % 2 == 0) {
        size_t o = 0;
        int hi = -1;
        for (size_t i = 0; i < len; i++) {
            if (isspace(in[i]))
                continue;
            if (hi < 0)
                hi = hexval(in[i]);
            else {
                buf[o++] = (uint8_t)(hi << 4 | hexval(in[i]));
                hi = -1;
            }
        }
        *out_len = o;
    } else if (b64 && digits % 4 == 0) {
        /* Compact the text (no spaces, standard alphabet) before decoding. */
        char *txt = malloc(digits + 1);
        size_t t = 0, pad = 0;
        int n;
        if (txt == NULL) {
            free(buf);
            return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
        }
        for (size_t i = 0; i < len; i++) {
            if (isspace(in[i]))
                continue;
            txt[t++] = in[i] == '-' ? '+' : in[i] == '_' ? '/' : (char)in[i];
        }
        txt[t] = '\0';
        n = EVP_DecodeBlock(buf, (const unsigned char *)txt, (int)t);
        while (pad < 2 && t > pad && txt[t - 1 - pad] == '=')
            pad++;
        free(txt);
        if (n < 0 || (size_t)n < pad) {
            free(buf);
            return ccf_errf(err, err_size, CCF_ERR_INVALID, "evidence: bad base64");
        }
        *out_len = (size_t)n - pad;
    } else {
        if (len > 0)
            memcpy(buf, in, len);
        *out_len = len;
    }
    *out = buf;
    return CCF_OK;
}

static bool contains(const uint8_t *buf, size_t len, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; i + m <= len; i++)
        if (memcmp(buf + i, needle, m) == 0)
            return true;
    return false;
}

ccf_err ccf_tee_certs_load(const uint8_t *buf, size_t len, STACK_OF(X509) **out)
{
    STACK_OF(X509) *sk = sk_X509_new_null();
    BIO *bio = NULL;
    X509 *x = NULL;
    ccf_err rc = CCF_ERR_INVALID;
    *out = NULL;
    if (sk == NULL || len > INT32_MAX)
        goto out;
    if (contains(buf, len, "-----BEGIN")) {
        if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL)
            goto out;
        while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
            if (!sk_X509_push(sk, x))
                goto out;
            x = NULL;
        }
        ERR_clear_error();
    } else {
        const unsigned char *p = buf;
        x = d2i_X509(NULL, &p, (long)len);
        if (x == NULL || p != buf + len || !sk_X509_push(sk, x))
            goto out;
        x = NULL;
    }
    if (sk_X509_num(sk) == 0)
        goto out;
    *out = sk;
    sk = NULL;
    rc = CCF_OK;
out:
    X509_free(x);
    BIO_free(bio);
    sk_X509_pop_free(sk, X509_free);
    ERR_clear_error();
    return rc;
}

int ccf_tee_ecdsa_verify(EVP_PKEY *key, const EVP_MD *md, const uint8_t *msg, size_t len,
                         const uint8_t *r, const uint8_t *s, size_t n, int little_endian)
{
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *br = little_endian ? BN_lebin2bn(r, (int)n, NULL) : BN_bin2bn(r, (int)n, NULL);
    BIGNUM *bs = little_endian ? BN_lebin2bn(s, (int)n, NULL) : BN_bin2bn(s, (int)n, NULL);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char *der = NULL;
    int der_len, ok = 0;
    if (sig == NULL || br == NULL || bs == NULL || ctx == NULL || !ECDSA_SIG_set0(sig, br, bs))
        goto out;
    br = bs = NULL; /* owned by sig now */
    if ((der_len = i2d_ECDSA_SIG(sig, &der)) <= 0)
        goto out;
    if (EVP_DigestVerifyInit(ctx, NULL, md, NULL, key) != 1)
        goto out;
    ok = EVP_DigestVerify(ctx, der, (size_t)der_len, msg, len) == 1;
out:
    BN_free(br);
    BN_free(bs);
    ECDSA_SIG_free(sig);
    OPENSSL_free(der);
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    return ok;
}

EVP_PKEY *ccf_tee_p256_key(const uint8_t xy[64])
{
    uint8_t point[65];
    EVP_PKEY *key = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    char group[] = "prime256v1";
    OSSL_PARAM params[3];
    point[0] = 0x04; /* uncompressed */
    memcpy(point + 1, xy, 64);
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point);
    params[2] = OSSL_PARAM_construct_end();
    if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1) {
        EVP_PKEY_free(key);
        key = NULL;
    }
    EVP_PKEY_CTX_free(ctx);
    ERR_clear_error();
    return key;
}

void ccf_tee_cert_cn(X509 *x, char *buf, size_t n)
{
    X509_NAME *name = X509_get_subject_name(x);
    if (n == 0)
        return;
    if (name == NULL || X509_NAME_get_text_by_NID(name, NID_commonName, buf, (int)n) < 0)
        snprintf(buf, n, "?");
}

bool ccf_tee_cert_times(X509 *x, time_t *nb, time_t *na)
{
    return ccf_pki_asn1_time(X509_get0_notBefore(x), nb) &&
           ccf_pki_asn1_time(X509_get0_notAfter(x), na);
}

ccf_err ccf_tee_cert_check_time(X509 *x, time_t at, const char *prefix, const char *what,
                                char *err, size_t n)
{
    time_t nb, na;
    char ts[CCF_UTC_LEN];
    if (!ccf_tee_cert_times(x, &nb, &na))
        return ccf_errf(err, n, CCF_ERR_INVALID, "%s: %s certificate has unreadable validity", prefix,
                        what);
    if (at < nb) {
        ccf_utc_format(nb, ts);
        return ccf_errf(err, n, CCF_ERR_DENIED, "%s: %s certificate not yet valid until %s", prefix,
                        what, ts);
    }
    if (at > na) {
        ccf_utc_format(na, ts);
        return ccf_errf(err, n, CCF_ERR_DENIED, "%s: %s certificate expired at %s", prefix, what, ts);
    }
    return CCF_OK;
}

bool ccf_tee_self_signed(X509 *x)
{
    EVP_PKEY *k = X509_get0_pubkey(x);
    bool ok = X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0 && k != NULL &&
              X509_verify(x, k) == 1;
    ERR_clear_error();
    return ok;
}

ccf_err ccf_tee_chain_verify(X509 *leaf, STACK_OF(X509) *untrusted, STACK_OF(X509) *anchors,
                             time_t at, const char *prefix, const char *what, char *err,
                             size_t n)
{
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    STACK_OF(X509) *mid = sk_X509_new_null();
    ccf_err rc = CCF_ERR_NOMEM; /* until the store is set up */
    if (store == NULL || ctx == NULL || mid == NULL)
        goto out;
    for (int i = 0; i < sk_X509_num(anchors); i++)
        if (X509_STORE_add_cert(store, sk_X509_value(anchors, i)) != 1)
            goto out;
    for (int i = 0; untrusted != NULL && i < sk_X509_num(untrusted); i++) {
        X509 *x = sk_X509_value(untrusted, i);
        if (!ccf_tee_self_signed(x) && !sk_X509_push(mid, x))
            goto out;
    }
    if (X509_STORE_CTX_init(ctx, store, leaf, mid) != 1)
        goto out;
    X509_STORE_CTX_set_time(ctx, 0, at); /* sets X509_V_FLAG_USE_CHECK_TIME */
    if (X509_verify_cert(ctx) != 1) {
        int e = X509_STORE_CTX_get_error(ctx);
        rc = ccf_errf(err, n, CCF_ERR_DENIED, "%s: %s chain does not end at the pinned root (%s)",
                      prefix, what, X509_verify_cert_error_string(e));
        if (e == X509_V_ERR_CERT_HAS_EXPIRED || e == X509_V_ERR_CERT_NOT_YET_VALID)
            rc = ccf_errf(err, n, CCF_ERR_DENIED, "%s: %s chain: %s (depth %d)", prefix, what,
                          X509_verify_cert_error_string(e), X509_STORE_CTX_get_error_depth(ctx));
        goto out;
    }
    rc = CCF_OK;
out:
    if (rc == CCF_ERR_NOMEM)
        ccf_errf(err, n, rc, "%s: out of memory setting up the %s chain check", prefix, what);
    sk_X509_free(mid);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    ERR_clear_error();
    return rc;
}

static void put_hex(json_t *o, const char *key, const uint8_t *b, size_t n)
{
    char *h = malloc(2 * n + 1);
    if (h == NULL)
        return;
    ccf_hex_encode(b, n, h);
    json_object_set_new(o, key, json_string(h));
    free(h);
}

static json_t *snp_tcb_json(const ccf_tee_snp_tcb *t)
{
    return json_pack("{s:I,s:i,s:i,s:i,s:i,s:i}", "raw", (json_int_t)t->raw, "fmc", t->fmc,
                     "bootloader", t->bootloader, "tee", t->tee, "snp", t->snp, "microcode",
                     t->microcode);
}

static json_t *dcap_json(const ccf_tee_claims *c)
{
    json_t *d = json_object();
    json_object_set_new(d, "version", json_integer(c->dcap.version));
    json_object_set_new(d, "tee_type", json_integer(c->dcap.tee_type));
    put_hex(d, "fmspc", c->dcap.fmspc, 6);
    put_hex(d, "pce_id", c->dcap.pce_id, 2);
    json_object_set_new(d, "pce_svn", json_integer(c->dcap.pce_svn));
    put_hex(d, "cpu_svn", c->dcap.cpu_svn, 16);
    json_object_set_new(d, "qe_isv_prod_id", json_integer(c->dcap.qe_isv_prod_id));
    json_object_set_new(d, "qe_isv_svn", json_integer(c->dcap.qe_isv_svn));
    if (c->dcap.qe_status[0])
        json_object_set_new(d, "qe_status", json_string(c->dcap.qe_status));
    if (c->dcap.advisories[0])
        json_object_set_new(d, "advisories", json_string(c->dcap.advisories));
    return d;
}

char *ccf_tee_claims_json(const ccf_tee_claims *c)
{
    json_t *o = json_object(), *p = json_object();
    char *s = NULL, ts[32];
    if (o == NULL || p == NULL)
        goto out;
    json_object_set_new(o, "platform", json_string(ccf_tee_platform_name(c->platform)));
    put_hex(o, "measurement", c->measurement, c->measurement_len);
    put_hex(o, "report_data", c->report_data, c->report_data_len);
    json_object_set_new(o, "debug", json_boolean(c->debug));
    json_object_set_new(o, "signer", json_string(c->signer));
    if (c->tcb_status[0] != '\0')
        json_object_set_new(o, "tcb_status", json_string(c->tcb_status));
    switch (c->platform) {
    case CCF_TEE_SNP:
        json_object_set_new(p, "product", json_string(c->snp.product));
        json_object_set_new(p, "version", json_integer(c->snp.version));
        json_object_set_new(p, "guest_svn", json_integer(c->snp.guest_svn));
        json_object_set_new(p, "policy", json_integer((json_int_t)c->snp.policy));
        json_object_set_new(p, "vmpl", json_integer(c->snp.vmpl));
        json_object_set_new(p, "sig_algo", json_integer(c->snp.sig_algo));
        json_object_set_new(p, "signing_key", json_string(c->snp.signing_key ? "VLEK" : "VCEK"));
        put_hex(p, "family_id", c->snp.family_id, 16);
        put_hex(p, "image_id", c->snp.image_id, 16);
        put_hex(p, "host_data", c->snp.host_data, 32);
        put_hex(p, "chip_id", c->snp.chip_id, 64);
        json_object_set_new(p, "current_tcb", snp_tcb_json(&c->snp.current_tcb));
        json_object_set_new(p, "reported_tcb", snp_tcb_json(&c->snp.reported_tcb));
        json_object_set_new(p, "committed_tcb", snp_tcb_json(&c->snp.committed_tcb));
        json_object_set_new(p, "launch_tcb", snp_tcb_json(&c->snp.launch_tcb));
        if (c->snp.version >= 3)
            json_object_set_new(p, "cpuid", json_pack("{s:i,s:i,s:i}", "family", c->snp.cpuid_fam,
                                                      "model", c->snp.cpuid_mod, "stepping",
                                                      c->snp.cpuid_step));
        snprintf(ts, sizeof ts, "%u.%u.%u", c->snp.fw_major, c->snp.fw_minor, c->snp.fw_build);
        json_object_set_new(p, "firmware", json_string(ts));
        json_object_set_new(o, "snp", p);
        break;
    case CCF_TEE_TDX:
        json_object_set_new(p, "body_type", json_integer(c->tdx.body_type));
        put_hex(p, "tee_tcb_svn", c->tdx.tee_tcb_svn, 16);
        put_hex(p, "mr_seam", c->tdx.mr_seam, 48);
        put_hex(p, "mr_signer_seam", c->tdx.mr_signer_seam, 48);
        put_hex(p, "seam_attributes", c->tdx.seam_attributes, 8);
        put_hex(p, "td_attributes", c->tdx.td_attributes, 8);
        put_hex(p, "xfam", c->tdx.xfam, 8);
        put_hex(p, "mr_td", c->tdx.mr_td, 48);
        put_hex(p, "mr_config_id", c->tdx.mr_config_id, 48);
        put_hex(p, "mr_owner", c->tdx.mr_owner, 48);
        put_hex(p, "mr_owner_config", c->tdx.mr_owner_config, 48);
        for (int i = 0; i < 4; i++) {
            char k[8];
            snprintf(k, sizeof k, "rtmr%d", i);
            put_hex(p, k, c->tdx.rtmr[i], 48);
        }
        if (c->tdx.body_type == 3) {
            put_hex(p, "tee_tcb_svn2", c->tdx.tee_tcb_svn2, 16);
            put_hex(p, "mr_servicetd", c->tdx.mr_servicetd, 48);
        }
        if (c->tdx.tdx_module_status[0])
            json_object_set_new(p, "tdx_module_status", json_string(c->tdx.tdx_module_status));
        json_object_set_new(o, "tdx", p);
        json_object_set_new(o, "dcap", dcap_json(c));
        break;
    case CCF_TEE_SGX:
        put_hex(p, "mr_enclave", c->sgx.mr_enclave, 32);
        put_hex(p, "mr_signer", c->sgx.mr_signer, 32);
        json_object_set_new(p, "isv_prod_id", json_integer(c->sgx.isv_prod_id));
        json_object_set_new(p, "isv_svn", json_integer(c->sgx.isv_svn));
        put_hex(p, "attributes", c->sgx.attributes, 16);
        json_object_set_new(p, "misc_select", json_integer(c->sgx.misc_select));
        put_hex(p, "cpu_svn", c->sgx.cpu_svn, 16);
        json_object_set_new(o, "sgx", p);
        json_object_set_new(o, "dcap", dcap_json(c));
        break;
    case CCF_TEE_NITRO: {
        json_t *pcrs = json_object();
        json_object_set_new(p, "module_id", json_string(c->nitro.module_id));
        json_object_set_new(p, "digest", json_string(c->nitro.digest));
        json_object_set_new(p, "timestamp_ms", json_integer((json_int_t)c->nitro.timestamp_ms));
        for (int i = 0; i < CCF_TEE_NITRO_MAX_PCRS; i++) {
            char k[8];
            if (!(c->nitro.pcr_present & (1u << i)))
                continue;
            snprintf(k, sizeof k, "%d", i);
            put_hex(pcrs, k, c->nitro.pcrs[i], c->nitro.pcr_len);
        }
        json_object_set_new(p, "pcrs", pcrs);
        if (c->nitro.has_nonce)
            put_hex(p, "nonce", c->nitro.nonce, c->nitro.nonce_len);
        if (c->nitro.has_user_data)
            put_hex(p, "user_data", c->nitro.user_data, c->nitro.user_data_len);
        if (c->nitro.has_public_key)
            put_hex(p, "public_key", c->nitro.public_key, c->nitro.public_key_len);
        ccf_utc_format(c->nitro.leaf_not_before, ts);
        json_object_set_new(p, "leaf_not_before", json_string(ts));
        ccf_utc_format(c->nitro.leaf_not_after, ts);
        json_object_set_new(p, "leaf_not_after", json_string(ts));
        json_object_set_new(o, "nitro", p);
        break;
    }
    }
    p = NULL;
    s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
out:
    json_decref(p);
    json_decref(o);
    return s;
}
