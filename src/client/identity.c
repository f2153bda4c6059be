/* User identities (see identity.h). */
#include "client/identity.h"

#include <openssl/x509v3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "attest/pki.h"
#include "common/crypto.h"

bool ccf_identity_name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > 64 || name[0] == '.' || name[0] == '-')
        return false;
    return strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

ccf_err ccf_identity_new(const char *dir, const char *name, unsigned days, char *crt_path,
                         char *key_path, size_t path_size, char *fingerprint, char *err,
                         size_t err_size)
{
    char crt[4096], key[4096];
    EVP_PKEY *pkey = NULL;
    X509 *cert = NULL;
    bool key_written = false;
    ccf_err rc;

    if (!ccf_identity_name_ok(name))
        return ccf_errf(err, err_size, CCF_ERR_INVALID,
                        "identity name '%.80s': use 1-64 of A-Z a-z 0-9 . _ - (not starting "
                        "with . or -)",
                        name ? name : "");
    if (days < 1 || days > CCF_IDENTITY_MAX_DAYS)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "days must be 1-%d", CCF_IDENTITY_MAX_DAYS);
    if (snprintf(crt, sizeof crt, "%s/%s.crt", dir, name) >= (int)sizeof crt ||
        snprintf(key, sizeof key, "%s/%s.key", dir, name) >= (int)sizeof key)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "directory path too long");
    if (access(crt, F_OK) == 0)
        return ccf_errf(err, err_size, CCF_ERR_IO, "%s exists already (not overwritten)", crt);
    if (access(key, F_OK) == 0)
        return ccf_errf(err, err_size, CCF_ERR_IO, "%s exists already (not overwritten)", key);
    if ((rc = ccf_pki_key_new(&pkey, err, err_size)) != CCF_OK)
        goto out;
    if ((rc = ccf_pki_cert_new(pkey, name, NULL, time(NULL) + (time_t)days * 86400, &cert, err,
                               err_size)) != CCF_OK)
        goto out;
    if (ccf_pki_cert_add_ext(cert, NULL, NID_basic_constraints, "critical,CA:FALSE") != CCF_OK ||
        ccf_pki_cert_add_ext(cert, NULL, NID_key_usage, "critical,digitalSignature") != CCF_OK ||
        ccf_pki_cert_add_ext(cert, NULL, NID_ext_key_usage, "clientAuth") != CCF_OK ||
        ccf_pki_cert_add_ext(cert, NULL, NID_subject_key_identifier, "hash") != CCF_OK ||
        ccf_pki_cert_sign(cert, pkey) != CCF_OK) {
        rc = ccf_errf(err, err_size, CCF_ERR_CRYPTO, "cannot build the certificate");
        goto out;
    }
    if ((rc = ccf_pki_key_write(key, pkey, err, err_size)) != CCF_OK)
        goto out;
    key_written = true;
    if ((rc = ccf_pki_cert_write(crt, cert, err, err_size)) != CCF_OK)
        goto out;
    if (fingerprint != NULL) {
        unsigned char *der = NULL;
        int n = i2d_X509(cert, &der);
        if (n <= 0 || !ccf_sha256_hex(der, (size_t)n, fingerprint))
            fingerprint[0] = '\0';
        OPENSSL_free(der);
    }
    if (crt_path != NULL)
        snprintf(crt_path, path_size, "%s", crt);
    if (key_path != NULL)
        snprintf(key_path, path_size, "%s", key);
    rc = CCF_OK;
out:
    if (rc != CCF_OK && key_written)
        unlink(key);
    X509_free(cert);
    EVP_PKEY_free(pkey);
    return rc;
}
