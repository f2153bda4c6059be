/* AWS Nitro Enclaves attestation document verification: a COSE_Sign1
 * (RFC 9052) whose payload is the CBOR (RFC 8949) attestation document of
 * the Nitro Secure Module (AWS "Verifying the root of trust").
 *
 * Checks, in order: the COSE_Sign1 structure (optionally tag 18), protected
 * header alg = ES384 (-35); the payload's mandatory fields and their types
 * (module_id, digest SHA384, timestamp, pcrs, certificate, cabundle); the
 * leaf certificate's validity at opts->at; the chain leaf <- cabundle up to
 * the pinned AWS root (the document's own cabundle[0] is never trusted);
 * the ES384 signature over Sig_structure ["Signature1", protected, h'',
 * payload] with the leaf key.
 *
 * The CBOR reader is ours and deliberately small: definite lengths only,
 * every length checked against the bytes left, nesting bounded. */
#include <openssl/err.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/tee_internal.h"

#define NITRO_MAX_DOC (64u * 1024)
#define NITRO_MAX_DEPTH 8
#define NITRO_MAX_CABUNDLE 16
#define COSE_ALG_ES384 (-35)

enum { MT_UINT, MT_NINT, MT_BYTES, MT_TEXT, MT_ARRAY, MT_MAP, MT_TAG, MT_SIMPLE };

typedef struct {
    const uint8_t *p, *end;
} cbor;

/* The head of the next item: major type and argument. Indefinite lengths
 * (additional info 31) and the reserved values 28..30 are refused. */
static bool cb_head(cbor *c, int *major, uint64_t *arg)
{
    uint8_t ib, ai;
    size_t n;
    if (c->p >= c->end)
        return false;
    ib = *c->p++;
    *major = ib >> 5;
    ai = ib & 0x1F;
    if (ai < 24) {
        *arg = ai;
        return true;
    }
    if (ai > 27)
        return false;
    n = (size_t)1 << (ai - 24);
    if ((size_t)(c->end - c->p) < n)
        return false;
    *arg = 0;
    for (size_t i = 0; i < n; i++)
        *arg = *arg << 8 | *c->p++;
    return true;
}

/* A byte or text string (major `want`): its bytes, bounded by the input. */
static bool cb_string(cbor *c, int want, const uint8_t **v, size_t *n)
{
    int major;
    uint64_t len;
    if (!cb_head(c, &major, &len) || major != want || len > (uint64_t)(c->end - c->p))
        return false;
    *v = c->p;
    *n = (size_t)len;
    c->p += len;
    return true;
}

/* Skips one whole item, at most NITRO_MAX_DEPTH levels deep. */
static bool cb_skip(cbor *c, int depth)
{
    int major;
    uint64_t arg;
    if (depth > NITRO_MAX_DEPTH || !cb_head(c, &major, &arg))
        return false;
    switch (major) {
    case MT_UINT:
    case MT_NINT:
    case MT_SIMPLE:
        return true;
    case MT_BYTES:
    case MT_TEXT:
        if (arg > (uint64_t)(c->end - c->p))
            return false;
        c->p += arg;
        return true;
    case MT_TAG:
        return cb_skip(c, depth + 1);
    case MT_ARRAY:
    case MT_MAP:
        /* Each element takes at least one byte: a cheap bound before looping. */
        if (arg > (uint64_t)(c->end - c->p))
            return false;
        for (uint64_t i = 0; i < (major == MT_MAP ? 2 * arg : arg); i++)
            if (!cb_skip(c, depth + 1))
                return false;
        return true;
    }
    return false;
}

/* A byte string, or null (simple 22) when nullable: *present says which. */
static bool cb_bytes_or_null(cbor *c, const uint8_t **v, size_t *n, bool *present)
{
    if (c->p < c->end && *c->p == 0xF6) {
        c->p++;
        *present = false;
        return true;
    }
    *present = true;
    return cb_string(c, MT_BYTES, v, n);
}

/* Appends a CBOR head to out (at most 9 bytes). */
static size_t cb_put_head(uint8_t *out, int major, uint64_t arg)
{
    if (arg < 24) {
        out[0] = (uint8_t)(major << 5 | arg);
        return 1;
    }
    int n = arg <= 0xFF ? 1 : arg <= 0xFFFF ? 2 : arg <= 0xFFFFFFFFu ? 4 : 8;
    out[0] = (uint8_t)(major << 5 | (n == 1 ? 24 : n == 2 ? 25 : n == 4 ? 26 : 27));
    for (int i = 0; i < n; i++)
        out[1 + i] = (uint8_t)(arg >> (8 * (n - 1 - i)));
    return 1 + (size_t)n;
}

typedef struct {
    const uint8_t *cert;
    size_t cert_len;
    const uint8_t *ca[NITRO_MAX_CABUNDLE];
    size_t ca_len[NITRO_MAX_CABUNDLE];
    size_t ca_count;
} nitro_certs;

static bool key_is(const uint8_t *k, size_t n, const char *name)
{
    return n == strlen(name) && memcmp(k, name, n) == 0;
}

/* The attestation document (payload map). */
static ccf_err parse_doc(const uint8_t *doc, size_t len, ccf_tee_claims *c, nitro_certs *nc,
                         char *err, size_t n)
{
    cbor r = {doc, doc + len};
    int major;
    uint64_t count;
    unsigned seen = 0;
    enum { S_MODULE = 1, S_DIGEST = 2, S_TS = 4, S_PCRS = 8, S_CERT = 16, S_CAB = 32 };

    if (!cb_head(&r, &major, &count) || major != MT_MAP || count > 64)
        return ccf_errf(err, n, CCF_ERR_INVALID, "nitro: payload is not a CBOR map");
    for (uint64_t i = 0; i < count; i++) {
        const uint8_t *k, *v = NULL;
        size_t kn, vn = 0;
        bool present;
        if (!cb_string(&r, MT_TEXT, &k, &kn))
            return ccf_errf(err, n, CCF_ERR_INVALID, "nitro: payload key %llu is not text",
                            (unsigned long long)i);
#define ONCE(bit)                                                                                  \
    do {                                                                                           \
        if (seen & (bit))                                                                          \
            return ccf_errf(err, n, CCF_ERR_INVALID, "nitro: duplicate payload key %.*s", (int)kn, \
                            (const char *)k);                                                      \
        seen |= (bit);                                                                             \
    } while (0)
        if (key_is(k, kn, "module_id")) {
            ONCE(S_MODULE);
            if (!cb_string(&r, MT_TEXT, &v, &vn) || vn == 0 || vn >= sizeof c->nitro.module_id)
                return ccf_errf(err, n, CCF_ERR_INVALID, "nitro: module_id is not a short text");
            memcpy(c->nitro.module_id, v, vn);
            c->nitro.module_id[vn] = '\0';
        } else if (key_is(k, kn, "digest")) {
            ONCE(S_DIGEST);
            if (!cb_string(&r, MT_TEXT, &v, &vn) || vn != 6 || memcmp(v, "SHA384", 6) != 0)
                return ccf_errf(err, n, CCF_ERR_INVALID, "nitro: digest is not \"SHA384\"");
            memcpy(c->nitro.digest, "SHA384", 7);
        } else if (key_is(k, kn, "timestamp")) {
            ONCE(S_TS);
            if (!cb_head(&r, &major, &c->nitro.timestamp_ms) || major != MT_UINT ||
                c->nitro.timestamp_ms == 0)
                return ccf_errf(err, n, CCF_ERR_INVALID, "nitro: timestamp is not a positive integer");
        } else if (key_is(k, kn, "pcrs")) {
            uint64_t npcr;
            ONCE(S_PCRS);
            if (!cb_head(&r, &major, &npcr) || major != MT_MAP || npcr == 0 ||
                npcr > CCF_TEE_NITRO_MAX_PCRS)
                return ccf_errf(err, n, CCF_ERR_INVALID, "nitro: pcrs is not a map of 1..32 PCRs");
            for (uint64_t j = 0; j < npcr; j++) {
                uint64_t idx;
                if (!cb_head(&r, &major, &idx) || major != MT_UINT || idx >= CCF_TEE_NITRO_MAX_PCRS ||
                    (c->nitro.pcr_present & (1u << idx)) || !cb_string(&r, MT_BYTES, &v, &vn) ||
                    vn != 48)
                    return ccf_errf(err, n, CCF_ERR_INVALID,
                                    "nitro: pcrs entry %llu is not a unique index with 48 bytes",
                                    (unsigned long long)j);
                memcpy(c->nitro.pcrs[idx], v, 48);
                c->nitro.pcr_present |= 1u << idx;
            }
            c->nitro.pcr_len = 48;
        } else if (key_is(k, kn, "certificate")) {
            ONCE(S_CERT);
            if (!cb_string(&r, MT_BYTES, &nc->cert, &nc->cert_len) || nc->cert_len == 0)
                return ccf_errf(err, n, CCF_ERR_INVALID, "nitro: certificate is not a byte string");
        } else if (key_is(k, kn, "cabundle")) {
            uint64_t nca;
            ONCE(S_CAB);
            if (!cb_head(&r, &major, &nca) || major != MT_ARRAY || nca == 0 ||
                nca > NITRO_MAX_CABUNDLE)
                return ccf_errf(err, n, CCF_ERR_INVALID, "nitro: cabundle is not an array of 1..%d",
                                NITRO_MAX_CABUNDLE);
            for (uint64_t j = 0; j < nca; j++)
                if (!cb_string(&r, MT_BYTES, &nc->ca[j], &nc->ca_len[j]) || nc->ca_len[j] == 0)
                    return ccf_errf(err, n, CCF_ERR_INVALID,
                                    "nitro: cabundle[%llu] is not a byte string",
                                    (unsigned long long)j);
            nc->ca_count = (size_t)nca;
        } else if (key_is(k, kn, "public_key") || key_is(k, kn, "user_data") ||
                   key_is(k, kn, "nonce")) {
            int which = kn == 10 ? 0 : kn == 9 ? 1 : 2;
            uint8_t *dst = which == 0 ? c->nitro.public_key
                         : which == 1 ? c->nitro.user_data
                                      : c->nitro.nonce;
            size_t *dlen = which == 0 ? &c->nitro.public_key_len
                         : which == 1 ? &c->nitro.user_data_len
                                      : &c->nitro.nonce_len;
            bool *has = which == 0 ? &c->nitro.has_public_key
                      : which == 1 ? &c->nitro.has_user_data
                                   : &c->nitro.has_nonce;
            ONCE(64u << which);
            if (!cb_bytes_or_null(&r, &v, &vn, &present) || vn > CCF_TEE_NITRO_MAX_BLOB)
                return ccf_errf(err, n, CCF_ERR_INVALID,
                                "nitro: %.*s is not null or a byte string of at most %d bytes",
                                (int)kn, (const char *)k, CCF_TEE_NITRO_MAX_BLOB);
            *has = present;
            if (present) {
                memcpy(dst, v, vn);
                *dlen = vn;
            }
        } else if (!cb_skip(&r, 1)) {
            return ccf_errf(err, n, CCF_ERR_INVALID, "nitro: payload value of %.*s is malformed",
                            (int)kn, (const char *)k);
        }
#undef ONCE
    }
    if (r.p != r.end)
        return ccf_errf(err, n, CCF_ERR_INVALID, "nitro: bytes after the payload map");
    if ((seen & 63) != 63)
        return ccf_errf(err, n, CCF_ERR_INVALID,
                        "nitro: payload lacks module_id, digest, timestamp, pcrs, certificate or cabundle");
    if (!(c->nitro.pcr_present & 1))
        return ccf_errf(err, n, CCF_ERR_INVALID, "nitro: payload lacks PCR0");
    memcpy(c->measurement, c->nitro.pcrs[0], 48);
    c->measurement_len = 48;
    c->debug = true; /* PCRs are all zero in debug mode */
    for (int i = 0; i < 48; i++)
        if (c->nitro.pcrs[0][i] != 0)
            c->debug = false;
    if (c->nitro.has_nonce && c->nitro.nonce_len <= 64) {
        memcpy(c->report_data, c->nitro.nonce, c->nitro.nonce_len);
        c->report_data_len = c->nitro.nonce_len;
    }
    return CCF_OK;
}

ccf_err ccf_tee_nitro_verify(const uint8_t *ev, size_t len, const ccf_tee_verify_opts *o,
                             ccf_tee_claims *c, char *err, size_t n)
{
    cbor r = {ev, ev + len};
    const uint8_t *prot, *payload, *sig;
    size_t prot_len, payload_len, sig_len;
    int major;
    uint64_t arg;
    nitro_certs nc = {0};
    STACK_OF(X509) *roots = NULL, *bundle = NULL;
    X509 *leaf = NULL;
    uint8_t *tbs = NULL;
    size_t tbs_len = 0;
    time_t at = o->at != 0 ? o->at : time(NULL);
    ccf_err rc = CCF_ERR_INVALID;

    if (len > NITRO_MAX_DOC) {
        rc = ccf_errf(err, n, CCF_ERR_TOO_LARGE, "nitro: document of %zu bytes exceeds %u", len,
                      NITRO_MAX_DOC);
        goto out;
    }
    /* COSE_Sign1 = [protected: bstr, unprotected: map, payload: bstr, signature: bstr],
     * optionally wrapped in tag 18. */
    if (r.p < r.end && *r.p == 0xD2)
        r.p++;
    if (!cb_head(&r, &major, &arg) || major != MT_ARRAY || arg != 4) {
        ccf_errf(err, n, rc, "nitro: not a COSE_Sign1 (array of 4)");
        goto out;
    }
    if (!cb_string(&r, MT_BYTES, &prot, &prot_len)) {
        ccf_errf(err, n, rc, "nitro: COSE protected header is not a byte string");
        goto out;
    }
    {
        cbor u = r;
        if (!cb_head(&u, &major, &arg) || major != MT_MAP || !cb_skip(&r, 0)) {
            ccf_errf(err, n, rc, "nitro: COSE unprotected header is not a map");
            goto out;
        }
    }
    if (!cb_string(&r, MT_BYTES, &payload, &payload_len)) {
        ccf_errf(err, n, rc, "nitro: COSE payload is not a byte string");
        goto out;
    }
    if (!cb_string(&r, MT_BYTES, &sig, &sig_len)) {
        ccf_errf(err, n, rc, "nitro: COSE signature is not a byte string");
        goto out;
    }
    if (r.p != r.end) {
        ccf_errf(err, n, rc, "nitro: bytes after the COSE_Sign1");
        goto out;
    }
    {
        /* The protected header must carry alg: ES384 (other members are skipped). */
        cbor h = {prot, prot + prot_len};
        uint64_t count, key, val;
        bool alg = false;
        if (!cb_head(&h, &major, &count) || major != MT_MAP || count > 8) {
            ccf_errf(err, n, rc, "nitro: COSE protected header is not a map");
            goto out;
        }
        for (uint64_t i = 0; i < count; i++) {
            int km, vm;
            if (!cb_head(&h, &km, &key)) {
                ccf_errf(err, n, rc, "nitro: COSE protected header is malformed");
                goto out;
            }
            if (km == MT_UINT && key == 1) {
                /* alg is a negative integer, -1 - val */
                if (alg || !cb_head(&h, &vm, &val) || vm != MT_NINT || val != (uint64_t)(-1 - COSE_ALG_ES384)) {
                    rc = ccf_errf(err, n, CCF_ERR_UNSUPPORTED, "nitro: COSE alg is not ES384 (-35)");
                    goto out;
                }
                alg = true;
            } else if (!cb_skip(&h, 1)) {
                ccf_errf(err, n, rc, "nitro: COSE protected header is malformed");
                goto out;
            }
        }
        if (!alg || h.p != h.end) {
            rc = ccf_errf(err, n, CCF_ERR_UNSUPPORTED, "nitro: COSE protected header lacks alg ES384");
            goto out;
        }
    }
    if (sig_len != 96) {
        ccf_errf(err, n, rc, "nitro: ES384 signature is %zu bytes, expected 96", sig_len);
        goto out;
    }
    if ((rc = parse_doc(payload, payload_len, c, &nc, err, n)) != CCF_OK)
        goto out;

    /* Certificates: the leaf, then cabundle (root first) as untrusted candidates. */
    rc = CCF_ERR_INVALID;
    {
        const unsigned char *q = nc.cert;
        leaf = d2i_X509(NULL, &q, (long)nc.cert_len);
        if (leaf == NULL || q != nc.cert + nc.cert_len) {
            ccf_errf(err, n, rc, "nitro: certificate is not DER X.509");
            goto out;
        }
    }
    if ((bundle = sk_X509_new_null()) == NULL) {
        rc = ccf_errf(err, n, CCF_ERR_NOMEM, "nitro: out of memory");
        goto out;
    }
    for (size_t i = 0; i < nc.ca_count; i++) {
        const unsigned char *q = nc.ca[i];
        X509 *x = d2i_X509(NULL, &q, (long)nc.ca_len[i]);
        if (x == NULL || q != nc.ca[i] + nc.ca_len[i] || !sk_X509_push(bundle, x)) {
            X509_free(x);
            ccf_errf(err, n, rc, "nitro: cabundle[%zu] is not DER X.509", i);
            goto out;
        }
    }
    if (ccf_tee_certs_load(o->roots, o->roots_len, &roots) != CCF_OK) {
        ccf_errf(err, n, rc, "nitro: pinned root is not a certificate");
        goto out;
    }
    ccf_tee_cert_times(leaf, &c->nitro.leaf_not_before, &c->nitro.leaf_not_after);
    if ((rc = ccf_tee_cert_check_time(leaf, at, "nitro", "leaf", err, n)) != CCF_OK ||
        (rc = ccf_tee_chain_verify(leaf, bundle, roots, at, "nitro", "leaf", err, n)) != CCF_OK)
        goto out;
    {
        char cn[64], root[64];
        ccf_tee_cert_cn(leaf, cn, sizeof cn);
        ccf_tee_cert_cn(sk_X509_value(roots, 0), root, sizeof root);
        snprintf(c->signer, sizeof c->signer, "%s <- %zu cabundle certificate(s) <- %s (pinned)", cn,
                 nc.ca_count > 0 ? nc.ca_count - 1 : 0, root);
    }

    /* Sig_structure = ["Signature1", protected, external_aad = h'', payload]. */
    rc = CCF_ERR_NOMEM;
    if ((tbs = malloc(1 + 11 + 9 + prot_len + 1 + 9 + payload_len)) == NULL) {
        ccf_errf(err, n, rc, "nitro: out of memory");
        goto out;
    }
    tbs[tbs_len++] = 0x84;
    tbs_len += cb_put_head(tbs + tbs_len, MT_TEXT, 10);
    memcpy(tbs + tbs_len, "Signature1", 10);
    tbs_len += 10;
    tbs_len += cb_put_head(tbs + tbs_len, MT_BYTES, prot_len);
    memcpy(tbs + tbs_len, prot, prot_len);
    tbs_len += prot_len;
    tbs[tbs_len++] = 0x40;
    tbs_len += cb_put_head(tbs + tbs_len, MT_BYTES, payload_len);
    memcpy(tbs + tbs_len, payload, payload_len);
    tbs_len += payload_len;
    rc = CCF_ERR_DENIED;
    {
        EVP_PKEY *key = X509_get0_pubkey(leaf);
        if (key == NULL || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC || EVP_PKEY_get_bits(key) != 384) {
            ccf_errf(err, n, rc, "nitro: leaf key is not ECDSA P-384");
            goto out;
        }
        if (!ccf_tee_ecdsa_verify(key, EVP_sha384(), tbs, tbs_len, sig, sig + 48, 48, 0)) {
            ccf_errf(err, n, rc, "nitro: COSE signature does not verify with the leaf certificate");
            goto out;
        }
    }
    rc = CCF_OK;
out:
    free(tbs);
    X509_free(leaf);
    sk_X509_pop_free(bundle, X509_free);
    sk_X509_pop_free(roots, X509_free);
    ERR_clear_error();
    return rc;
}
