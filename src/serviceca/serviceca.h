/* The platform service CA (issue 15, DESIGN §6, the users' EnclaveID
 * reference; docs/auth.md "TLS").
 *
 * It authenticates the platform's own parts and its callers — services to
 * each other (mutual TLS), users and operators to the services (client
 * certificates) — and nothing else. It is not the attestation CA: the proxy's
 * CA certifies enclave keys after checking evidence, and clients trust it only
 * through their own trust file; the service CA is a key on the platform's
 * disk, so the host holds it, and a certificate it issued proves nothing
 * about what runs inside an instance (docs/auth.md says why they differ).
 *
 * Files in a data directory DIR:
 *   DIR/ca/service-ca.crt   the CA certificate (public: callers pin it)
 *   DIR/ca/service-ca.key   its P-256 key (0600, never overwritten)
 *   DIR/tls/NAME.crt, .key  certificates it issued to the services of DIR
 *
 * Ownership: ccf_serviceca_open's *out is freed with ccf_serviceca_free
 * (NULL is a no-op; the key lives in OpenSSL's secure heap). */
#ifndef CCF_SERVICECA_SERVICECA_H
#define CCF_SERVICECA_SERVICECA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define CCF_SERVICECA_CERT "ca/service-ca.crt"
#define CCF_SERVICECA_KEY "ca/service-ca.key"
#define CCF_SERVICECA_TLS_DIR "tls"
/* Validity of the CA and of what it issues. */
#define CCF_SERVICECA_CA_DAYS 3650
#define CCF_SERVICECA_CERT_DAYS 365
/* ccf_serviceca_ensure reissues a certificate that expires sooner than this. */
#define CCF_SERVICECA_RENEW_DAYS 30

typedef struct ccf_serviceca ccf_serviceca;

/* The CA of data directory dir: loaded, or (create true) made when missing.
 * CCF_ERR_NOT_FOUND when missing and create is false. */
ccf_err ccf_serviceca_open(const char *dir, bool create, ccf_serviceca **out, char *err,
                           size_t err_size) __attribute__((warn_unused_result));
void ccf_serviceca_free(ccf_serviceca *ca);
/* DIR/ca/service-ca.crt */
const char *ccf_serviceca_cert_path(const ccf_serviceca *ca);

/* What a certificate is for. A service's certificate serves HTTPS and is its
 * client certificate towards the other services; a caller's is a client
 * certificate only. */
typedef enum { CCF_SERVICECA_SERVICE, CCF_SERVICECA_CALLER } ccf_serviceca_use;

/* Issues a certificate for a fresh P-256 key: subject CN=cn, O=ccfaas;
 * sans ("IP:127.0.0.1,DNS:localhost", openssl.cnf syntax; NULL = none, and
 * for a service "IP:127.0.0.1,IP:::1,DNS:localhost"). Writes key_path (0600;
 * CCF_ERR_IO when it exists: keys are never overwritten) and cert_path;
 * fp (may be NULL) receives the SHA-256 of the certificate's DER. */
ccf_err ccf_serviceca_issue(ccf_serviceca *ca, const char *cn, ccf_serviceca_use use,
                            const char *sans, const char *cert_path, const char *key_path,
                            uint8_t fp[32], char *err, size_t err_size)
    __attribute__((warn_unused_result));

/* The certificate of a service of the data directory (DIR/tls/name.crt and
 * .key): kept when it chains to this CA and is valid for at least
 * CCF_SERVICECA_RENEW_DAYS more days, else (re)issued. Paths into cert_path
 * and key_path (each of size path_size); fp as for issue. */
ccf_err ccf_serviceca_ensure(ccf_serviceca *ca, const char *dir, const char *name,
                             const char *sans, char *cert_path, char *key_path, size_t path_size,
                             uint8_t fp[32], char *err, size_t err_size)
    __attribute__((warn_unused_result));

/* SHA-256 of the DER of the certificate in a PEM file (to register it). */
ccf_err ccf_serviceca_fingerprint(const char *cert_path, uint8_t fp[32], char *err,
                                  size_t err_size) __attribute__((warn_unused_result));

#endif
