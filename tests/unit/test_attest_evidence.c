/* Unit tests for src/attest/evidence and pki: evidence round trip, every
 * tampered field refused, other platform key refused, strict wire parsing,
 * key files (0600, never overwritten), platform key persistence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <time.h>

#include "attest/evidence.h"
#include "attest/pki.h"

struct fixture {
    EVP_PKEY *platform, *other_platform, *enclave;
    uint8_t *pub_der;
    size_t pub_len;
    uint8_t measurement[32], policy_hash[32], nonce[32], launch[32];
    ccf_evidence ev;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    char err[256];
    if (f == NULL || ccf_pki_key_new(&f->platform, err, sizeof err) != CCF_OK ||
        ccf_pki_key_new(&f->other_platform, err, sizeof err) != CCF_OK ||
        ccf_pki_key_new(&f->enclave, err, sizeof err) != CCF_OK ||
        ccf_pki_pub_der(f->enclave, &f->pub_der, &f->pub_len) != CCF_OK)
        return -1;
    for (int i = 0; i < 32; i++) {
        f->measurement[i] = (uint8_t)i;
        f->policy_hash[i] = (uint8_t)(0xa0 + i);
        f->nonce[i] = (uint8_t)(0x55 ^ i);
        f->launch[i] = (uint8_t)(0x3c + i);
    }
    if (ccf_evidence_create(f->platform, f->measurement, f->pub_der, f->pub_len, f->policy_hash,
                            f->nonce, 32, f->launch, &f->ev, err, sizeof err) != CCF_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    EVP_PKEY_free(f->platform);
    EVP_PKEY_free(f->other_platform);
    EVP_PKEY_free(f->enclave);
    free(f->pub_der);
    free(f);
    return 0;
}

static void test_good_evidence(void **state)
{
    struct fixture *f = *state;
    char err[256];
    uint8_t rd[32];
    assert_int_equal(ccf_evidence_verify(&f->ev, f->platform, err, sizeof err), CCF_OK);
    assert_int_equal(ccf_evidence_check_binding(&f->ev, f->pub_der, f->pub_len, f->policy_hash,
                                                f->nonce, 32, f->launch),
                     CCF_OK);
    assert_memory_equal(f->ev.measurement, f->measurement, 32);
    /* report_data is SHA-256(pub || policy hash || nonce || launch hash), computed independently */
    uint8_t *cat = malloc(f->pub_len + 96);
    memcpy(cat, f->pub_der, f->pub_len);
    memcpy(cat + f->pub_len, f->policy_hash, 32);
    memcpy(cat + f->pub_len + 32, f->nonce, 32);
    memcpy(cat + f->pub_len + 64, f->launch, 32);
    assert_true(ccf_sha256(cat, f->pub_len + 96, rd));
    free(cat);
    assert_memory_equal(f->ev.report_data, rd, 32);
}

static void test_wire_round_trip(void **state)
{
    struct fixture *f = *state;
    char err[256], *text = NULL;
    ccf_evidence back;
    assert_int_equal(ccf_evidence_encode(&f->ev, &text), CCF_OK);
    assert_int_equal(ccf_evidence_parse(text, strlen(text), &back, err, sizeof err), CCF_OK);
    assert_memory_equal(&back, &f->ev, sizeof back);
    assert_int_equal(ccf_evidence_verify(&back, f->platform, err, sizeof err), CCF_OK);
    free(text);
}

static void test_tampered_fields_refused(void **state)
{
    struct fixture *f = *state;
    char err[256];
    for (int which = 0; which < 4; which++) {
        ccf_evidence t;
        for (int byte = 0; byte < 32; byte += 31) {
            t = f->ev;
            if (which < 3) {
                uint8_t *p = which == 0 ? t.measurement : which == 1 ? t.report_data
                                                                       : t.platform_key_id;
                p[byte] ^= 0x01;
            } else {
                t.signature[t.signature_len - 1 - (size_t)(byte % 8)] ^= 0x01;
            }
            assert_int_equal(ccf_evidence_verify(&t, f->platform, err, sizeof err),
                             CCF_ERR_DENIED);
        }
    }
    ccf_evidence t = f->ev;
    t.signature_len = 0;
    assert_int_equal(ccf_evidence_verify(&t, f->platform, err, sizeof err), CCF_ERR_DENIED);
    t.signature_len = f->ev.signature_len - 1;
    assert_int_equal(ccf_evidence_verify(&t, f->platform, err, sizeof err), CCF_ERR_DENIED);
}

static void test_other_platform_key_refused(void **state)
{
    struct fixture *f = *state;
    char err[256];
    ccf_evidence forged;
    assert_int_equal(ccf_evidence_verify(&f->ev, f->other_platform, err, sizeof err),
                     CCF_ERR_DENIED);
    assert_non_null(strstr(err, "another platform key"));
    /* evidence signed by the other key but claiming the trusted key's id */
    assert_int_equal(ccf_evidence_create(f->other_platform, f->measurement, f->pub_der,
                                         f->pub_len, f->policy_hash, f->nonce, 32, f->launch,
                                         &forged, err, sizeof err),
                     CCF_OK);
    memcpy(forged.platform_key_id, f->ev.platform_key_id, 32);
    assert_int_equal(ccf_evidence_verify(&forged, f->platform, err, sizeof err), CCF_ERR_DENIED);
    assert_non_null(strstr(err, "signature"));
}

static void test_binding_mismatch(void **state)
{
    struct fixture *f = *state;
    uint8_t h[32], n[32];
    memcpy(h, f->policy_hash, 32);
    h[7] ^= 1;
    assert_int_equal(
        ccf_evidence_check_binding(&f->ev, f->pub_der, f->pub_len, h, f->nonce, 32, f->launch),
        CCF_ERR_DENIED);
    memcpy(n, f->nonce, 32);
    n[31] ^= 0x80;
    assert_int_equal(ccf_evidence_check_binding(&f->ev, f->pub_der, f->pub_len, f->policy_hash,
                                                n, 32, f->launch),
                     CCF_ERR_DENIED);
    assert_int_equal(ccf_evidence_check_binding(&f->ev, f->pub_der, f->pub_len - 1,
                                                f->policy_hash, f->nonce, 32, f->launch),
                     CCF_ERR_DENIED);
    /* another launch configuration (say, sandbox off) is another binding */
    uint8_t l[32];
    memcpy(l, f->launch, 32);
    l[0] ^= 1;
    assert_int_equal(ccf_evidence_check_binding(&f->ev, f->pub_der, f->pub_len, f->policy_hash,
                                                f->nonce, 32, l),
                     CCF_ERR_DENIED);
}

static void test_strict_parse(void **state)
{
    struct fixture *f = *state;
    char err[256], *good = NULL;
    ccf_evidence ev;
    assert_int_equal(ccf_evidence_encode(&f->ev, &good), CCF_OK);
    json_t *base = json_loads(good, 0, NULL);
    assert_non_null(base);
    free(good);
    struct {
        const char *key;
        json_t *value; /* NULL = delete */
    } cases[] = {
        {"format", json_string("ccfaas-linux-evidence-v2")},
        {"format", NULL},
        {"measurement", json_string("00")},
        {"measurement", json_integer(5)},
        {"report_data", json_string("zz00000000000000000000000000000000000000000000000000000000000000")},
        {"platform_key_id", NULL},
        {"signature", json_string("abc")},
        {"signature", json_string("a===")},
        {"signature", json_string("AB==")}, /* non-canonical: dropped bits set */
        {"signature", json_string("")},
        {"extra", json_true()},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *v = json_deep_copy(base);
        if (cases[i].value == NULL)
            json_object_del(v, cases[i].key);
        else
            json_object_set_new(v, cases[i].key, cases[i].value);
        char *text = json_dumps(v, JSON_COMPACT);
        assert_int_equal(ccf_evidence_parse(text, strlen(text), &ev, err, sizeof err),
                         CCF_ERR_INVALID);
        free(text);
        json_decref(v);
    }
    /* an oversized signature does not fit the bounded buffer */
    char big[200];
    memset(big, 'A', 120);
    big[120] = '\0';
    json_t *v = json_deep_copy(base);
    json_object_set_new(v, "signature", json_string(big));
    char *text = json_dumps(v, JSON_COMPACT);
    assert_int_equal(ccf_evidence_parse(text, strlen(text), &ev, err, sizeof err), CCF_ERR_INVALID);
    free(text);
    json_decref(v);
    const char *junk[] = {"", "[]", "{", "{\"format\":1,\"format\":2}", "null"};
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++)
        assert_int_equal(ccf_evidence_parse(junk[i], strlen(junk[i]), &ev, err, sizeof err),
                         CCF_ERR_INVALID);
    char *huge = calloc(1, CCF_EVIDENCE_MAX_TEXT + 2);
    memset(huge, ' ', CCF_EVIDENCE_MAX_TEXT + 1);
    assert_int_equal(ccf_evidence_parse(huge, CCF_EVIDENCE_MAX_TEXT + 1, &ev, err, sizeof err),
                     CCF_ERR_TOO_LARGE);
    free(huge);
    json_decref(base);
}

static void test_key_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/ccf-attest-XXXXXX", path[256], err[256];
    EVP_PKEY *a = NULL, *b = NULL;
    bool created = false;
    struct stat st;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/sub", dir);
    assert_int_equal(ccf_platform_key_load_or_create(path, &a, &created, err, sizeof err), CCF_OK);
    assert_true(created);
    snprintf(path, sizeof path, "%s/sub/platform-key.pem", dir);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    snprintf(path, sizeof path, "%s/sub", dir);
    assert_int_equal(ccf_platform_key_load_or_create(path, &b, &created, err, sizeof err), CCF_OK);
    assert_false(created);
    assert_int_equal(EVP_PKEY_eq(a, b), 1);
    /* never overwritten */
    snprintf(path, sizeof path, "%s/sub/platform-key.pem", dir);
    assert_int_equal(ccf_pki_key_write(path, b, err, sizeof err), CCF_ERR_IO);
    /* read through an fd, as the runtime gets it */
    FILE *fp = fopen(path, "r");
    EVP_PKEY *c = NULL;
    assert_int_equal(ccf_pki_key_read_fd(fileno(fp), &c, err, sizeof err), CCF_OK);
    fclose(fp);
    assert_int_equal(EVP_PKEY_eq(a, c), 1);
    EVP_PKEY_free(a);
    EVP_PKEY_free(b);
    EVP_PKEY_free(c);
    unlink(path);
    snprintf(path, sizeof path, "%s/sub", dir);
    rmdir(path);
    rmdir(dir);
}

static void test_measure_file(void **state)
{
    (void)state;
    char path[] = "/tmp/ccf-measure-XXXXXX", err[256];
    uint8_t m[32], expect[32];
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "abc", 3), 3);
    close(fd);
    assert_int_equal(ccf_evidence_measure_file(path, m, err, sizeof err), CCF_OK);
    assert_true(ccf_sha256("abc", 3, expect));
    assert_memory_equal(m, expect, 32);
    unlink(path);
    assert_int_equal(ccf_evidence_measure_file(path, m, err, sizeof err), CCF_ERR_NOT_FOUND);
    assert_int_equal(ccf_evidence_measure_self(m, err, sizeof err), CCF_OK);
}

static void test_pki_strict(void **state)
{
    struct fixture *f = *state;
    char err[256], *pem = NULL, *two = NULL;
    X509 *cert = NULL, *back = NULL;
    const uint8_t *v = NULL;
    size_t vlen = 0;
    uint8_t raw[32] = {7};

    assert_int_equal(ccf_pki_cert_new(f->enclave, "t", NULL, time(NULL) + 3600, &cert, err,
                                      sizeof err),
                     CCF_OK);
    assert_int_equal(ccf_pki_cert_get_raw_ext(cert, "2.5.30.1", &v, &vlen), CCF_ERR_NOT_FOUND);
    assert_int_equal(ccf_pki_cert_add_raw_ext(cert, "2.5.30.1", raw, 32), CCF_OK);
    assert_int_equal(ccf_pki_cert_sign(cert, f->enclave), CCF_OK);
    assert_int_equal(ccf_pki_cert_get_raw_ext(cert, "2.5.30.1", &v, &vlen), CCF_OK);
    assert_int_equal(vlen, 32);
    assert_memory_equal(v, raw, 32);
    assert_int_equal(ccf_pki_cert_to_pem(cert, &pem), CCF_OK);
    assert_int_equal(ccf_pki_cert_from_pem(pem, strlen(pem), &back, err, sizeof err), CCF_OK);
    assert_int_equal(X509_cmp(cert, back), 0);
    X509_free(back);
    back = NULL;
    /* two certificates where one is expected */
    two = malloc(2 * strlen(pem) + 1);
    memcpy(two, pem, strlen(pem));
    memcpy(two + strlen(pem), pem, strlen(pem) + 1);
    assert_int_equal(ccf_pki_cert_from_pem(two, strlen(two), &back, err, sizeof err),
                     CCF_ERR_INVALID);
    assert_null(back);
    assert_int_equal(ccf_pki_cert_from_pem("junk", 4, &back, err, sizeof err), CCF_ERR_INVALID);
    /* a duplicated extension is refused, not silently read */
    assert_int_equal(ccf_pki_cert_add_raw_ext(cert, "2.5.30.1", raw, 32), CCF_OK);
    assert_int_equal(ccf_pki_cert_get_raw_ext(cert, "2.5.30.1", &v, &vlen), CCF_ERR_INVALID);
    free(two);
    free(pem);
    X509_free(cert);

    /* certificate requests: one, self-signed */
    X509_REQ *req = NULL, *req2 = NULL;
    assert_int_equal(ccf_pki_csr_new(f->enclave, "x", &req), CCF_OK);
    assert_int_equal(ccf_pki_csr_to_pem(req, &pem), CCF_OK);
    assert_int_equal(ccf_pki_csr_from_pem(pem, strlen(pem), &req2, err, sizeof err), CCF_OK);
    assert_int_equal(X509_REQ_verify(req2, X509_REQ_get0_pubkey(req2)), 1);
    X509_REQ_free(req2);
    req2 = NULL;
    two = malloc(2 * strlen(pem) + 1);
    memcpy(two, pem, strlen(pem));
    memcpy(two + strlen(pem), pem, strlen(pem) + 1);
    assert_int_equal(ccf_pki_csr_from_pem(two, strlen(two), &req2, err, sizeof err),
                     CCF_ERR_INVALID);
    free(two);
    free(pem);
    X509_REQ_free(req);

    /* an encrypted key is refused without prompting for a passphrase */
    BIO *b = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_PrivateKey(b, f->enclave, EVP_aes_128_cbc(),
                                              (unsigned char *)"secret", 6, NULL, NULL),
                     1);
    char *data = NULL;
    long n = BIO_get_mem_data(b, &data);
    EVP_PKEY *k = NULL;
    assert_int_equal(ccf_pki_key_from_pem(data, (size_t)n, &k, err, sizeof err), CCF_ERR_INVALID);
    assert_null(k);
    BIO_free(b);
    assert_false(ccf_pki_key_is_p256(NULL));
    assert_true(ccf_pki_key_is_p256(f->enclave));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_evidence),
        cmocka_unit_test(test_wire_round_trip),
        cmocka_unit_test(test_tampered_fields_refused),
        cmocka_unit_test(test_other_platform_key_refused),
        cmocka_unit_test(test_binding_mismatch),
        cmocka_unit_test(test_strict_parse),
        cmocka_unit_test(test_key_files),
        cmocka_unit_test(test_measure_file),
        cmocka_unit_test(test_pki_strict),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
