/* Helpers shared by the TEE verifiers (tee_*.c); not a public interface. */
#ifndef CCF_ATTEST_TEE_INTERNAL_H
#define CCF_ATTEST_TEE_INTERNAL_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "attest/tee.h"
#include "common/utc.h"

ccf_err ccf_tee_snp_verify(const uint8_t *ev, size_t len, const ccf_tee_verify_opts *o,
                           ccf_tee_claims *c, char *err, size_t n);
ccf_err ccf_tee_tdx_verify(const uint8_t *ev, size_t len, const ccf_tee_verify_opts *o,
                           ccf_tee_claims *c, char *err, size_t n);
ccf_err ccf_tee_sgx_verify(const uint8_t *ev, size_t len, const ccf_tee_verify_opts *o,
                           ccf_tee_claims *c, char *err, size_t n);
ccf_err ccf_tee_nitro_verify(const uint8_t *ev, size_t len, const ccf_tee_verify_opts *o,
                             ccf_tee_claims *c, char *err, size_t n);

/* Little-endian / big-endian loads from a buffer the caller bounds-checked. */
static inline uint16_t ccf_tee_le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t ccf_tee_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t ccf_tee_le64(const uint8_t *p)
{
    return (uint64_t)ccf_tee_le32(p) | (uint64_t)ccf_tee_le32(p + 4) << 32;
}

/* Certificates from PEM (all of them, in order) or one DER certificate.
 * *out is a new stack the caller frees with sk_X509_pop_free(sk, X509_free). */
ccf_err ccf_tee_certs_load(const uint8_t *buf, size_t len, STACK_OF(X509) **out);

/* ECDSA verification of msg with key over digest md, the signature given as
 * raw r and s of n bytes each, big- or little-endian. 1 = valid, 0 = not. */
int ccf_tee_ecdsa_verify(EVP_PKEY *key, const EVP_MD *md, const uint8_t *msg, size_t len,
                         const uint8_t *r, const uint8_t *s, size_t n, int little_endian);

/* A P-256 public key from its raw x||y coordinates; NULL if not on the curve. */
EVP_PKEY *ccf_tee_p256_key(const uint8_t xy[64]);

/* Subject CN into buf ("?" when absent). */
void ccf_tee_cert_cn(X509 *x, char *buf, size_t n);

/* notBefore/notAfter as time_t; false when unreadable. */
bool ccf_tee_cert_times(X509 *x, time_t *nb, time_t *na);

/* Refuses (CCF_ERR_DENIED, "<what> certificate expired at <time>" / "not
 * yet valid until <time>") when x is not valid at `at`. */
ccf_err ccf_tee_cert_check_time(X509 *x, time_t at, const char *prefix, const char *what,
                                char *err, size_t n);

/* Verifies leaf up to one of the pinned anchors at time `at`, with
 * `untrusted` as candidate intermediates (self-signed ones are ignored:
 * a chain's own root is never trusted). On failure returns CCF_ERR_DENIED
 * with OpenSSL's reason in err after prefix/what. */
ccf_err ccf_tee_chain_verify(X509 *leaf, STACK_OF(X509) *untrusted, STACK_OF(X509) *anchors,
                             time_t at, const char *prefix, const char *what, char *err,
                             size_t n);

/* True when x is self-issued and its signature verifies with its own key. */
bool ccf_tee_self_signed(X509 *x);

#endif
