/* P-256 keys, PEM files and small X.509 helpers shared by the proxy
 * attestation service, the verifier, `ccfaas identity` and the runtime.
 *
 * Ownership: every EVP_PKEY / X509 returned through an out parameter belongs
 * to the caller (EVP_PKEY_free / X509_free); every char/uint8_t buffer
 * returned belongs to the caller (free()). Private keys are written 0600 and
 * never over an existing file. */
#ifndef CCF_ATTEST_PKI_H
#define CCF_ATTEST_PKI_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* Largest PEM file (key or certificate) we read. */
#define CCF_PKI_MAX_PEM (64u * 1024u)

/* A fresh P-256 key pair. */
ccf_err ccf_pki_key_new(EVP_PKEY **out, char *err, size_t err_size)
    __attribute__((warn_unused_result));

/* Whether key is an EC key on P-256. */
bool ccf_pki_key_is_p256(const EVP_PKEY *key);

/* Writes the private key as PKCS#8 PEM to a new file (mode 0600; fails with
 * CCF_ERR_IO if path exists: keys are never overwritten). The file appears
 * complete or not at all. */
ccf_err ccf_pki_key_write(const char *path, const EVP_PKEY *key, char *err, size_t err_size)
    __attribute__((warn_unused_result));

/* Reads a PEM private key from a file / an open fd (read to EOF, not closed) /
 * memory. The intermediate buffers are wiped. */
ccf_err ccf_pki_key_read(const char *path, EVP_PKEY **out, char *err, size_t err_size)
    __attribute__((warn_unused_result));
ccf_err ccf_pki_key_read_fd(int fd, EVP_PKEY **out, char *err, size_t err_size)
    __attribute__((warn_unused_result));
ccf_err ccf_pki_key_from_pem(const char *pem, size_t len, EVP_PKEY **out, char *err,
                             size_t err_size) __attribute__((warn_unused_result));

/* Loads the private key at path, or creates a P-256 key there (0600) when
 * the file does not exist; *created says which (may be NULL). */
ccf_err ccf_pki_key_load_or_create(const char *path, EVP_PKEY **out, bool *created, char *err,
                                   size_t err_size) __attribute__((warn_unused_result));

/* Public keys: SubjectPublicKeyInfo DER (malloc'd) / PEM file read and write. */
ccf_err ccf_pki_pub_der(const EVP_PKEY *key, uint8_t **der, size_t *len)
    __attribute__((warn_unused_result));
ccf_err ccf_pki_pub_read(const char *path, EVP_PKEY **out, char *err, size_t err_size)
    __attribute__((warn_unused_result));
/* Overwrites path (public material), mode 0644. */
ccf_err ccf_pki_pub_write(const char *path, const EVP_PKEY *key, char *err, size_t err_size)
    __attribute__((warn_unused_result));

/* Certificates: PEM in memory (exactly one certificate, nothing else but
 * whitespace) and files. */
ccf_err ccf_pki_cert_from_pem(const char *pem, size_t len, X509 **out, char *err,
                              size_t err_size) __attribute__((warn_unused_result));
ccf_err ccf_pki_cert_to_pem(X509 *cert, char **pem) __attribute__((warn_unused_result));
ccf_err ccf_pki_cert_read(const char *path, X509 **out, char *err, size_t err_size)
    __attribute__((warn_unused_result));
/* Writes (replacing) a certificate file, mode 0644, atomically. */
ccf_err ccf_pki_cert_write(const char *path, X509 *cert, char *err, size_t err_size)
    __attribute__((warn_unused_result));

/* Certificate building: a v3 certificate for `pub` with a random positive
 * 128-bit serial, subject CN=cn (and O=ccfaas), notBefore = now - 60 s,
 * notAfter = not_after; issuer = issuer_cert's subject (NULL: self-issued).
 * Not yet signed: add extensions, then ccf_pki_cert_sign(). */
ccf_err ccf_pki_cert_new(EVP_PKEY *pub, const char *cn, X509 *issuer_cert, time_t not_after,
                         X509 **out, char *err, size_t err_size) __attribute__((warn_unused_result));
/* Adds an extension given in openssl.cnf syntax ("critical,CA:FALSE");
 * issuer_cert NULL = the certificate itself (for authorityKeyIdentifier). */
ccf_err ccf_pki_cert_add_ext(X509 *cert, X509 *issuer_cert, int nid, const char *value)
    __attribute__((warn_unused_result));
/* Adds a non-critical extension with this OID (dotted) whose value (the
 * extnValue OCTET STRING's content) is exactly these raw bytes. */
ccf_err ccf_pki_cert_add_raw_ext(X509 *cert, const char *oid, const uint8_t *value, size_t len)
    __attribute__((warn_unused_result));
/* The raw extnValue content of the extension with this OID. CCF_ERR_NOT_FOUND
 * when absent, CCF_ERR_INVALID when present more than once. *value points
 * into cert (do not free). */
ccf_err ccf_pki_cert_get_raw_ext(const X509 *cert, const char *oid, const uint8_t **value,
                                 size_t *len) __attribute__((warn_unused_result));
/* Signs with ECDSA/SHA-256 (the key's default digest for RSA). */
ccf_err ccf_pki_cert_sign(X509 *cert, EVP_PKEY *key) __attribute__((warn_unused_result));

/* A PKCS#10 request for key (subject O=ccfaas, CN=cn), self-signed with it;
 * and its PEM form (caller frees). */
ccf_err ccf_pki_csr_new(EVP_PKEY *key, const char *cn, X509_REQ **out)
    __attribute__((warn_unused_result));
ccf_err ccf_pki_csr_to_pem(X509_REQ *req, char **pem) __attribute__((warn_unused_result));
/* Parses exactly one PEM certificate request (bounded by CCF_PKI_MAX_PEM). */
ccf_err ccf_pki_csr_from_pem(const char *pem, size_t len, X509_REQ **out, char *err,
                             size_t err_size) __attribute__((warn_unused_result));

/* Creates the directory (0700) if missing. */
ccf_err ccf_pki_mkdir(const char *dir, char *err, size_t err_size) __attribute__((warn_unused_result));

/* Seconds since the epoch of an ASN1_TIME; false when unparsable. */
bool ccf_pki_asn1_time(const ASN1_TIME *t, time_t *out) __attribute__((warn_unused_result));

#endif
