/* P-256 keys, PEM files, X.509 helpers (see pki.h). */
#include "attest/pki.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/file.h"

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1; /* encrypted keys are not supported: never prompt */
}

ccf_err ccf_pki_key_new(EVP_PKEY **out, char *err, size_t err_size)
{
    *out = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (*out == NULL)
        return ccf_errf(err, err_size, CCF_ERR_CRYPTO, "P-256 key generation failed");
    return CCF_OK;
}

bool ccf_pki_key_is_p256(const EVP_PKEY *key)
{
    char group[64];
    size_t len = 0;
    if (key == NULL || !EVP_PKEY_is_a(key, "EC"))
        return false;
    if (EVP_PKEY_get_group_name(key, group, sizeof group, &len) != 1)
        return false;
    return strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0;
}

/* Contents of a memory BIO (not copied). */
static size_t bio_data(BIO *b, const char **p)
{
    char *d = NULL;
    long n = BIO_get_mem_data(b, &d);
    *p = d;
    return n > 0 ? (size_t)n : 0;
}

ccf_err ccf_pki_key_write(const char *path, const EVP_PKEY *key, char *err, size_t err_size)
{
    BIO *b = BIO_new(BIO_s_secmem());
    ccf_err rc;
    if (b == NULL)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    if (PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL) != 1) {
        rc = ccf_errf(err, err_size, CCF_ERR_CRYPTO, "%s: cannot encode the key", path);
        goto out;
    }
    const char *p = NULL;
    size_t n = bio_data(b, &p);
    rc = ccf_file_write_atomic(path, p, n, 0600, true, err, err_size);
out:
    BIO_free(b); /* secure-heap BIO: wiped on free */
    return rc;
}

ccf_err ccf_pki_key_from_pem(const char *pem, size_t len, EVP_PKEY **out, char *err,
                             size_t err_size)
{
    *out = NULL;
    if (len > CCF_PKI_MAX_PEM)
        return ccf_errf(err, err_size, CCF_ERR_TOO_LARGE, "key larger than %u bytes",
                        CCF_PKI_MAX_PEM);
    BIO *b = BIO_new_mem_buf(pem, (int)len);
    if (b == NULL)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    *out = PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL);
    BIO_free(b);
    ERR_clear_error();
    if (*out == NULL)
        return ccf_errf(err, err_size, CCF_ERR_INVALID,
                        "not a PEM private key (unencrypted PKCS#8 or EC)");
    return CCF_OK;
}

/* Reads up to CCF_PKI_MAX_PEM bytes from fd into buf (NUL-terminated). */
static ccf_err read_fd_bounded(int fd, char *buf, size_t cap, size_t *len, char *err,
                               size_t err_size)
{
    size_t used = 0;
    for (;;) {
        if (used + 1 >= cap)
            return ccf_errf(err, err_size, CCF_ERR_TOO_LARGE, "larger than %zu bytes", cap - 1);
        ssize_t n = read(fd, buf + used, cap - 1 - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return ccf_errf(err, err_size, CCF_ERR_IO, "read: %s", strerror(errno));
        if (n == 0)
            break;
        used += (size_t)n;
    }
    buf[used] = '\0';
    *len = used;
    return CCF_OK;
}

ccf_err ccf_pki_key_read_fd(int fd, EVP_PKEY **out, char *err, size_t err_size)
{
    char *buf = NULL;
    size_t len = 0;
    ccf_err rc;
    *out = NULL;
    if ((buf = OPENSSL_secure_malloc(CCF_PKI_MAX_PEM + 1)) == NULL)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    if ((rc = read_fd_bounded(fd, buf, CCF_PKI_MAX_PEM + 1, &len, err, err_size)) == CCF_OK)
        rc = ccf_pki_key_from_pem(buf, len, out, err, err_size);
    OPENSSL_secure_clear_free(buf, CCF_PKI_MAX_PEM + 1);
    return rc;
}

ccf_err ccf_pki_key_read(const char *path, EVP_PKEY **out, char *err, size_t err_size)
{
    char detail[256];
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ccf_errf(err, err_size, errno == ENOENT ? CCF_ERR_NOT_FOUND : CCF_ERR_IO,
                        "%s: %s", path, strerror(errno));
    ccf_err rc = ccf_pki_key_read_fd(fd, out, detail, sizeof detail);
    close(fd);
    if (rc != CCF_OK)
        ccf_errf(err, err_size, rc, "%s: %s", path, detail);
    return rc;
}

ccf_err ccf_pki_key_load_or_create(const char *path, EVP_PKEY **out, bool *created, char *err,
                                   size_t err_size)
{
    EVP_PKEY *key = NULL;
    ccf_err rc;
    *out = NULL;
    if (created != NULL)
        *created = false;
    rc = ccf_pki_key_read(path, &key, err, err_size);
    if (rc != CCF_ERR_NOT_FOUND) {
        *out = key;
        return rc;
    }
    if ((rc = ccf_pki_key_new(&key, err, err_size)) != CCF_OK)
        return rc;
    rc = ccf_pki_key_write(path, key, err, err_size);
    if (rc != CCF_OK) {
        /* lost a race with another process creating it: use theirs */
        EVP_PKEY_free(key);
        return ccf_pki_key_read(path, out, err, err_size);
    }
    if (created != NULL)
        *created = true;
    *out = key;
    return CCF_OK;
}

ccf_err ccf_pki_pub_der(const EVP_PKEY *key, uint8_t **der, size_t *len)
{
    unsigned char *p = NULL;
    *der = NULL;
    *len = 0;
    int n = i2d_PUBKEY(key, &p);
    if (n <= 0)
        return CCF_ERR_CRYPTO;
    if ((*der = malloc((size_t)n)) == NULL) {
        OPENSSL_free(p);
        return CCF_ERR_NOMEM;
    }
    memcpy(*der, p, (size_t)n);
    *len = (size_t)n;
    OPENSSL_free(p);
    return CCF_OK;
}

ccf_err ccf_pki_pub_read(const char *path, EVP_PKEY **out, char *err, size_t err_size)
{
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return ccf_errf(err, err_size, errno == ENOENT ? CCF_ERR_NOT_FOUND : CCF_ERR_IO,
                        "%s: %s", path, strerror(errno));
    *out = PEM_read_PUBKEY(f, NULL, no_passphrase, NULL);
    fclose(f);
    ERR_clear_error();
    if (*out == NULL)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "%s: not a PEM public key", path);
    return CCF_OK;
}

ccf_err ccf_pki_pub_write(const char *path, const EVP_PKEY *key, char *err, size_t err_size)
{
    BIO *b = BIO_new(BIO_s_mem());
    ccf_err rc;
    if (b == NULL)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    if (PEM_write_bio_PUBKEY(b, key) != 1) {
        rc = ccf_errf(err, err_size, CCF_ERR_CRYPTO, "cannot encode the public key");
    } else {
        const char *p = NULL;
        size_t n = bio_data(b, &p);
        rc = ccf_file_write_atomic(path, p, n, 0644, false, err, err_size);
    }
    BIO_free(b);
    return rc;
}

/* Contents of a memory BIO as a new NUL-terminated string. */
static ccf_err bio_strdup(BIO *b, char **out)
{
    const char *p = NULL;
    size_t n = bio_data(b, &p);
    if ((*out = malloc(n + 1)) == NULL)
        return CCF_ERR_NOMEM;
    memcpy(*out, p, n);
    (*out)[n] = '\0';
    return CCF_OK;
}

/* The DER of the single PEM block of type pem_type in pem: none, or a
 * second one, is an error that names what was expected. The caller frees
 * *der with OPENSSL_free. */
static ccf_err pem_single_block(const char *pem, size_t len, const char *pem_type,
                                const char *what, unsigned char **der, long *der_len, char *err,
                                size_t err_size)
{
    unsigned char *extra = NULL;
    long extra_len = 0;
    ccf_err rc = CCF_OK;
    *der = NULL;
    if (len > CCF_PKI_MAX_PEM)
        return ccf_errf(err, err_size, CCF_ERR_TOO_LARGE, "%s larger than %u bytes", what,
                        CCF_PKI_MAX_PEM);
    BIO *b = BIO_new_mem_buf(pem, (int)len);
    if (b == NULL)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    if (PEM_bytes_read_bio(der, der_len, NULL, pem_type, b, no_passphrase, NULL) != 1) {
        *der = NULL;
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "not a PEM %s", what);
    } else if (PEM_bytes_read_bio(&extra, &extra_len, NULL, pem_type, b, no_passphrase, NULL) ==
               1) {
        OPENSSL_free(*der);
        *der = NULL;
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "more than one %s", what);
    }
    OPENSSL_free(extra);
    ERR_clear_error();
    BIO_free(b);
    return rc;
}

ccf_err ccf_pki_cert_from_pem(const char *pem, size_t len, X509 **out, char *err,
                              size_t err_size)
{
    unsigned char *der = NULL;
    long der_len = 0;
    *out = NULL;
    ccf_err rc = pem_single_block(pem, len, PEM_STRING_X509, "certificate", &der, &der_len, err,
                                  err_size);
    if (rc != CCF_OK)
        return rc;
    const unsigned char *p = der;
    if ((*out = d2i_X509(NULL, &p, der_len)) == NULL)
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "not a PEM X.509 certificate");
    OPENSSL_free(der);
    ERR_clear_error();
    return rc;
}

ccf_err ccf_pki_cert_to_pem(X509 *cert, char **pem)
{
    BIO *b = BIO_new(BIO_s_mem());
    ccf_err rc = CCF_ERR_NOMEM;
    *pem = NULL;
    if (b != NULL)
        rc = PEM_write_bio_X509(b, cert) == 1 ? bio_strdup(b, pem) : CCF_ERR_CRYPTO;
    BIO_free(b);
    return rc;
}

ccf_err ccf_pki_cert_read(const char *path, X509 **out, char *err, size_t err_size)
{
    char detail[200];
    char *buf = NULL;
    size_t len = 0;
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ccf_errf(err, err_size, errno == ENOENT ? CCF_ERR_NOT_FOUND : CCF_ERR_IO,
                        "%s: %s", path, strerror(errno));
    ccf_err rc = CCF_ERR_NOMEM;
    if ((buf = malloc(CCF_PKI_MAX_PEM + 1)) != NULL &&
        (rc = read_fd_bounded(fd, buf, CCF_PKI_MAX_PEM + 1, &len, detail, sizeof detail)) ==
            CCF_OK)
        rc = ccf_pki_cert_from_pem(buf, len, out, detail, sizeof detail);
    else if (buf == NULL)
        snprintf(detail, sizeof detail, "out of memory");
    close(fd);
    free(buf);
    if (rc != CCF_OK)
        ccf_errf(err, err_size, rc, "%s: %s", path, detail);
    return rc;
}

ccf_err ccf_pki_cert_write(const char *path, X509 *cert, char *err, size_t err_size)
{
    char *pem = NULL;
    if (ccf_pki_cert_to_pem(cert, &pem) != CCF_OK)
        return ccf_errf(err, err_size, CCF_ERR_CRYPTO, "cannot encode the certificate");
    ccf_err rc = ccf_file_write_atomic(path, pem, strlen(pem), 0644, false, err, err_size);
    free(pem);
    return rc;
}

ccf_err ccf_pki_cert_new(EVP_PKEY *pub, const char *cn, X509 *issuer_cert, time_t not_after,
                         X509 **out, char *err, size_t err_size)
{
    X509 *cert = NULL;
    X509_NAME *name = NULL;
    BIGNUM *serial = NULL;
    ccf_err rc = CCF_ERR_CRYPTO;
    *out = NULL;
    if ((cert = X509_new()) == NULL || (name = X509_NAME_new()) == NULL ||
        (serial = BN_new()) == NULL) {
        rc = CCF_ERR_NOMEM;
        goto out;
    }
    /* random positive serial, 127 bits: never zero in practice, checked anyway */
    do {
        if (BN_rand(serial, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1)
            goto out;
    } while (BN_is_zero(serial));
    if (X509_set_version(cert, X509_VERSION_3) != 1 ||
        BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert)) == NULL ||
        X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)"ccfaas", -1,
                                   -1, 0) != 1 ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
                                   0) != 1 ||
        X509_set_subject_name(cert, name) != 1 ||
        X509_set_issuer_name(cert, issuer_cert ? X509_get_subject_name(issuer_cert) : name) != 1 ||
        X509_gmtime_adj(X509_getm_notBefore(cert), -60) == NULL ||
        ASN1_TIME_set(X509_getm_notAfter(cert), not_after) == NULL ||
        X509_set_pubkey(cert, pub) != 1)
        goto out;
    *out = cert;
    cert = NULL;
    rc = CCF_OK;
out:
    if (rc != CCF_OK)
        ccf_errf(err, err_size, rc, "cannot build the certificate");
    ERR_clear_error();
    X509_free(cert);
    X509_NAME_free(name);
    BN_free(serial);
    return rc;
}

ccf_err ccf_pki_cert_add_ext(X509 *cert, X509 *issuer_cert, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer_cert ? issuer_cert : cert, cert, NULL, NULL, 0);
    X509_EXTENSION *ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (ex == NULL) {
        ERR_clear_error();
        return CCF_ERR_CRYPTO;
    }
    int ok = X509_add_ext(cert, ex, -1);
    X509_EXTENSION_free(ex);
    return ok == 1 ? CCF_OK : CCF_ERR_CRYPTO;
}

ccf_err ccf_pki_cert_add_raw_ext(X509 *cert, const char *oid, const uint8_t *value, size_t len)
{
    ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
    ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
    X509_EXTENSION *ex = NULL;
    ccf_err rc = CCF_ERR_CRYPTO;
    if (obj == NULL || os == NULL || len > 1024 || ASN1_OCTET_STRING_set(os, value, (int)len) != 1)
        goto out;
    if ((ex = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os)) == NULL)
        goto out;
    if (X509_add_ext(cert, ex, -1) == 1)
        rc = CCF_OK;
out:
    ERR_clear_error();
    X509_EXTENSION_free(ex);
    ASN1_OCTET_STRING_free(os);
    ASN1_OBJECT_free(obj);
    return rc;
}

ccf_err ccf_pki_cert_get_raw_ext(const X509 *cert, const char *oid, const uint8_t **value,
                                 size_t *len)
{
    ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
    ccf_err rc = CCF_ERR_NOT_FOUND;
    *value = NULL;
    *len = 0;
    if (obj == NULL)
        return CCF_ERR_INTERNAL;
    int idx = X509_get_ext_by_OBJ(cert, obj, -1);
    if (idx >= 0) {
        if (X509_get_ext_by_OBJ(cert, obj, idx) >= 0) {
            rc = CCF_ERR_INVALID;
        } else {
            const ASN1_OCTET_STRING *os = X509_EXTENSION_get_data(X509_get_ext(cert, idx));
            if (os != NULL) {
                *value = ASN1_STRING_get0_data(os);
                *len = (size_t)ASN1_STRING_length(os);
                rc = CCF_OK;
            } else {
                rc = CCF_ERR_INVALID;
            }
        }
    }
    ASN1_OBJECT_free(obj);
    return rc;
}

ccf_err ccf_pki_cert_sign(X509 *cert, EVP_PKEY *key)
{
    const EVP_MD *md = EVP_PKEY_is_a(key, "EC") || EVP_PKEY_is_a(key, "RSA") ? EVP_sha256() : NULL;
    if (X509_sign(cert, key, md) <= 0) {
        ERR_clear_error();
        return CCF_ERR_CRYPTO;
    }
    return CCF_OK;
}

ccf_err ccf_pki_mkdir(const char *dir, char *err, size_t err_size)
{
    struct stat st;
    if (mkdir(dir, 0700) == 0)
        return CCF_OK;
    if (errno == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
        return CCF_OK;
    return ccf_errf(err, err_size, CCF_ERR_IO, "%s: cannot create directory: %s", dir,
                    strerror(errno));
}

bool ccf_pki_asn1_time(const ASN1_TIME *t, time_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
        return false;
    *out = timegm(&tm);
    return true;
}

ccf_err ccf_pki_csr_new(EVP_PKEY *key, const char *cn, X509_REQ **out)
{
    X509_REQ *req = X509_REQ_new();
    X509_NAME *name = X509_NAME_new();
    ccf_err rc = CCF_ERR_CRYPTO;
    *out = NULL;
    if (req == NULL || name == NULL) {
        rc = CCF_ERR_NOMEM;
        goto out;
    }
    if (X509_REQ_set_version(req, X509_REQ_VERSION_1) != 1 ||
        X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)"ccfaas", -1,
                                   -1, 0) != 1 ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
                                   0) != 1 ||
        X509_REQ_set_subject_name(req, name) != 1 || X509_REQ_set_pubkey(req, key) != 1 ||
        X509_REQ_sign(req, key, EVP_sha256()) <= 0)
        goto out;
    *out = req;
    req = NULL;
    rc = CCF_OK;
out:
    ERR_clear_error();
    X509_REQ_free(req);
    X509_NAME_free(name);
    return rc;
}

ccf_err ccf_pki_csr_to_pem(X509_REQ *req, char **pem)
{
    BIO *b = BIO_new(BIO_s_mem());
    ccf_err rc = CCF_ERR_NOMEM;
    *pem = NULL;
    if (b != NULL)
        rc = PEM_write_bio_X509_REQ(b, req) == 1 ? bio_strdup(b, pem) : CCF_ERR_CRYPTO;
    BIO_free(b);
    return rc;
}

ccf_err ccf_pki_csr_from_pem(const char *pem, size_t len, X509_REQ **out, char *err,
                             size_t err_size)
{
    unsigned char *der = NULL;
    long der_len = 0;
    *out = NULL;
    ccf_err rc = pem_single_block(pem, len, PEM_STRING_X509_REQ, "certificate request", &der,
                                  &der_len, err, err_size);
    if (rc != CCF_OK)
        return rc;
    const unsigned char *p = der;
    if ((*out = d2i_X509_REQ(NULL, &p, der_len)) == NULL)
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "not a PEM certificate request");
    OPENSSL_free(der);
    ERR_clear_error();
    return rc;
}
