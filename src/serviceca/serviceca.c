/* The platform service CA (see serviceca.h). */
#include "serviceca/serviceca.h"

#include "attest/pki.h"
#include "common/crypto.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct ccf_serviceca {
    char cert_path[4096];
    X509 *cert;
    EVP_PKEY *key;
};

#define DAY 86400

static ccf_err path_in(char *buf, size_t size, const char *dir, const char *rel, char *err,
                       size_t err_size)
{
    if (snprintf(buf, size, "%s/%s", dir, rel) >= (int)size)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "%s: path too long", dir);
    return CCF_OK;
}

/* A self-signed CA certificate for key, written to path. */
static ccf_err make_ca(EVP_PKEY *key, const char *path, X509 **out, char *err, size_t err_size)
{
    X509 *cert = NULL;
    ccf_err rc;
    time_t until = time(NULL) + (time_t)CCF_SERVICECA_CA_DAYS * DAY;
    if ((rc = ccf_pki_cert_new(key, "ccfaas platform service CA", NULL, until, &cert, err,
                               err_size)) != CCF_OK)
        return rc;
    if ((rc = ccf_pki_cert_add_ext(cert, NULL, NID_basic_constraints, "critical,CA:TRUE,pathlen:0")) != CCF_OK ||
        (rc = ccf_pki_cert_add_ext(cert, NULL, NID_key_usage, "critical,keyCertSign,cRLSign")) != CCF_OK ||
        (rc = ccf_pki_cert_add_ext(cert, NULL, NID_subject_key_identifier, "hash")) != CCF_OK ||
        (rc = ccf_pki_cert_sign(cert, key)) != CCF_OK) {
        ccf_errf(err, err_size, rc, "cannot build the service CA certificate");
        goto out;
    }
    if ((rc = ccf_pki_cert_write(path, cert, err, err_size)) != CCF_OK)
        goto out;
    *out = cert;
    cert = NULL;
out:
    X509_free(cert);
    return rc;
}

ccf_err ccf_serviceca_open(const char *dir, bool create, ccf_serviceca **out, char *err,
                           size_t err_size)
{
    ccf_serviceca *ca = NULL;
    char key_path[4096], ca_dir[4096];
    bool created = false;
    ccf_err rc;
    *out = NULL;
    if ((ca = calloc(1, sizeof *ca)) == NULL)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    if ((rc = path_in(ca->cert_path, sizeof ca->cert_path, dir, CCF_SERVICECA_CERT, err,
                      err_size)) != CCF_OK ||
        (rc = path_in(key_path, sizeof key_path, dir, CCF_SERVICECA_KEY, err, err_size)) != CCF_OK ||
        (rc = path_in(ca_dir, sizeof ca_dir, dir, "ca", err, err_size)) != CCF_OK)
        goto out;
    if (!create && access(key_path, F_OK) != 0) {
        rc = ccf_errf(err, err_size, CCF_ERR_NOT_FOUND,
                      "%s: no service CA (make one: ccfaas ca init --data-dir %s)", key_path, dir);
        goto out;
    }
    if ((rc = ccf_pki_mkdir(dir, err, err_size)) != CCF_OK ||
        (rc = ccf_pki_mkdir(ca_dir, err, err_size)) != CCF_OK ||
        (rc = ccf_pki_key_load_or_create(key_path, &ca->key, &created, err, err_size)) != CCF_OK)
        goto out;
    if (!created && access(ca->cert_path, F_OK) == 0) {
        if ((rc = ccf_pki_cert_read(ca->cert_path, &ca->cert, err, err_size)) != CCF_OK)
            goto out;
        if (X509_check_private_key(ca->cert, ca->key) != 1) {
            rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "%s does not belong to the key %s",
                          ca->cert_path, key_path);
            goto out;
        }
    } else if ((rc = make_ca(ca->key, ca->cert_path, &ca->cert, err, err_size)) != CCF_OK) {
        goto out;
    }
    *out = ca;
    ca = NULL;
out:
    ccf_serviceca_free(ca);
    return rc;
}

void ccf_serviceca_free(ccf_serviceca *ca)
{
    if (ca == NULL)
        return;
    X509_free(ca->cert);
    EVP_PKEY_free(ca->key);
    free(ca);
}

const char *ccf_serviceca_cert_path(const ccf_serviceca *ca)
{
    return ca->cert_path;
}

static ccf_err der_fingerprint(X509 *cert, uint8_t fp[32])
{
    unsigned char *der = NULL;
    int len = i2d_X509(cert, &der);
    bool ok = len > 0 && ccf_sha256(der, (size_t)len, fp);
    OPENSSL_free(der);
    return ok ? CCF_OK : CCF_ERR_CRYPTO;
}

ccf_err ccf_serviceca_issue(ccf_serviceca *ca, const char *cn, ccf_serviceca_use use,
                            const char *sans, const char *cert_path, const char *key_path,
                            uint8_t fp[32], char *err, size_t err_size)
{
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    ccf_err rc;
    time_t until = time(NULL) + (time_t)CCF_SERVICECA_CERT_DAYS * DAY;
    if (sans == NULL && use == CCF_SERVICECA_SERVICE)
        sans = "IP:127.0.0.1,IP:::1,DNS:localhost";
    if ((rc = ccf_pki_key_new(&key, err, err_size)) != CCF_OK ||
        (rc = ccf_pki_cert_new(key, cn, ca->cert, until, &cert, err, err_size)) != CCF_OK)
        goto out;
    if ((rc = ccf_pki_cert_add_ext(cert, ca->cert, NID_basic_constraints, "critical,CA:FALSE")) != CCF_OK ||
        (rc = ccf_pki_cert_add_ext(cert, ca->cert, NID_key_usage, "critical,digitalSignature")) != CCF_OK ||
        (rc = ccf_pki_cert_add_ext(cert, ca->cert, NID_ext_key_usage,
                                   use == CCF_SERVICECA_SERVICE ? "serverAuth,clientAuth"
                                                                : "clientAuth")) != CCF_OK ||
        (rc = ccf_pki_cert_add_ext(cert, ca->cert, NID_authority_key_identifier, "keyid:always")) != CCF_OK ||
        (sans != NULL && sans[0] != '\0' &&
         (rc = ccf_pki_cert_add_ext(cert, ca->cert, NID_subject_alt_name, sans)) != CCF_OK) ||
        (rc = ccf_pki_cert_sign(cert, ca->key)) != CCF_OK) {
        ccf_errf(err, err_size, rc, "cannot issue a certificate for %s (subject alternative "
                 "names '%s')", cn, sans ? sans : "");
        goto out;
    }
    if ((rc = ccf_pki_key_write(key_path, key, err, err_size)) != CCF_OK ||
        (rc = ccf_pki_cert_write(cert_path, cert, err, err_size)) != CCF_OK)
        goto out;
    if (fp != NULL && (rc = der_fingerprint(cert, fp)) != CCF_OK)
        ccf_errf(err, err_size, rc, "cannot hash the certificate");
out:
    X509_free(cert);
    EVP_PKEY_free(key);
    return rc;
}

/* Whether the certificate at path chains to ca and stays valid for the
 * renewal margin; its fingerprint into fp. */
static bool still_good(ccf_serviceca *ca, const char *path, uint8_t fp[32])
{
    X509 *cert = NULL;
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    char err[256];
    bool ok = false;
    time_t margin = time(NULL) + (time_t)CCF_SERVICECA_RENEW_DAYS * DAY;
    if (store == NULL || ctx == NULL || ccf_pki_cert_read(path, &cert, err, sizeof err) != CCF_OK ||
        X509_STORE_add_cert(store, ca->cert) != 1 ||
        X509_STORE_CTX_init(ctx, store, cert, NULL) != 1)
        goto out;
    X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), margin);
    ok = X509_verify_cert(ctx) == 1 && der_fingerprint(cert, fp) == CCF_OK;
out:
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    X509_free(cert);
    return ok;
}

ccf_err ccf_serviceca_ensure(ccf_serviceca *ca, const char *dir, const char *name,
                             const char *sans, char *cert_path, char *key_path, size_t path_size,
                             uint8_t fp[32], char *err, size_t err_size)
{
    char tls_dir[4096];
    uint8_t tmp[CCF_SHA256_LEN];
    ccf_err rc;
    if ((rc = path_in(tls_dir, sizeof tls_dir, dir, CCF_SERVICECA_TLS_DIR, err, err_size)) != CCF_OK ||
        (rc = ccf_pki_mkdir(tls_dir, err, err_size)) != CCF_OK)
        return rc;
    if (snprintf(cert_path, path_size, "%s/%s.crt", tls_dir, name) >= (int)path_size ||
        snprintf(key_path, path_size, "%s/%s.key", tls_dir, name) >= (int)path_size)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "%s: path too long", tls_dir);
    if (access(key_path, F_OK) == 0 && still_good(ca, cert_path, fp != NULL ? fp : tmp))
        return CCF_OK;
    /* missing, expiring or from another CA: a new key and certificate */
    if ((unlink(key_path) != 0 && errno != ENOENT) || (unlink(cert_path) != 0 && errno != ENOENT))
        return ccf_errf(err, err_size, CCF_ERR_IO, "cannot replace %s: %s", key_path,
                        strerror(errno));
    return ccf_serviceca_issue(ca, name, CCF_SERVICECA_SERVICE, sans, cert_path, key_path, fp, err,
                               err_size);
}

ccf_err ccf_serviceca_fingerprint(const char *cert_path, uint8_t fp[32], char *err, size_t err_size)
{
    X509 *cert = NULL;
    ccf_err rc = ccf_pki_cert_read(cert_path, &cert, err, err_size);
    if (rc == CCF_OK && (rc = der_fingerprint(cert, fp)) != CCF_OK)
        ccf_errf(err, err_size, rc, "cannot hash %s", cert_path);
    X509_free(cert);
    return rc;
}
