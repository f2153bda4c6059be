/* JOSE subset and JCS for the key broker (Trustee KBS protocol 0.4.0) and its
 * clients, the trusted runtime included: links OpenSSL 3, jansson and
 * ccf_common only.
 *
 *   base64url  RFC 4648 §5 without padding, strict decoding
 *   JWK        EC P-256, RSA and OKP Ed25519 public keys to and from JSON
 *   JWE        flattened JSON serialization, alg ECDH-ES+A256KW (P-256, Concat
 *              KDF of RFC 7518 §4.6.2) or RSA-OAEP-256, enc A256GCM, AAD =
 *              ASCII(BASE64URL(protected header)) — the shape Trustee's KBS
 *              answers a resource request with
 *   JWS / JWT  compact serialization, ES256 (raw r||s) and EdDSA (Ed25519)
 *   JCS        RFC 8785 canonical JSON of a jansson value
 *
 * Every primitive (ECDH, SHA-256, AES key wrap, AES-GCM, RSA-OAEP, ECDSA,
 * Ed25519, random) is OpenSSL's EVP API; this library only composes them.
 *
 * Ownership (who frees what):
 *  - EVP_PKEY arguments are borrowed: never freed, never kept after return.
 *    EVP_PKEY results (*key) belong to the caller: EVP_PKEY_free().
 *  - json_t arguments are borrowed; json_t results (*out, *header, *claims)
 *    are new references: json_decref().
 *  - char * results (encoded strings, compact tokens) are malloc'ed and
 *    NUL-terminated: free().
 *  - Decrypted plaintext (ccf_jwe_decrypt*) lives in OpenSSL's secure heap and
 *    must be released with ccf_jose_secret_free(p, len), which wipes it. A
 *    non-NULL pointer is returned even for an empty plaintext.
 *  - On failure every result pointer is left NULL (lengths 0) and nothing
 *    needs freeing.
 *  - err/errsz: a caller buffer for "what and why" (may be NULL/0). The return
 *    value says which kind of failure: CCF_ERR_INVALID (malformed input),
 *    CCF_ERR_TOO_LARGE (a cap below was passed), CCF_ERR_UNSUPPORTED (a valid
 *    but unsupported alg/enc/key/crit), CCF_ERR_DENIED (signature, tag, key
 *    unwrap or time check failed), CCF_ERR_CRYPTO / CCF_ERR_NOMEM (OpenSSL or
 *    memory failure).
 *
 * Parsers of untrusted input are bounded by the caps below, reject duplicate
 * JSON members, refuse "none", "crit", "zip" and private key members in JWKs,
 * and check exact lengths (IV 12, tag 16, wrapped key 40, RSA ciphertext =
 * modulus size, signature 64, EC coordinates 32, CEK 32 bytes).
 * Secrets (CEK, KEK, ECDH shared secret) live in the secure heap (or on the
 * stack) and are wiped before they are released. */
#ifndef CCF_JOSE_JOSE_H
#define CCF_JOSE_JOSE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "common/dynbuf.h"
#include "common/error.h"

#define CCF_JOSE_WUR __attribute__((warn_unused_result))

/* Caps on untrusted input. */
#define CCF_JOSE_MAX_JSON (16u << 20)      /* a JWE JSON document, a compact JWS */
#define CCF_JOSE_MAX_HEADER (16u << 10)    /* a decoded protected header */
#define CCF_JOSE_MAX_PARTY_INFO 1024u      /* decoded apu / apv */
#define CCF_JOSE_MAX_JCS_DEPTH 512         /* nesting depth JCS serializes */
#define CCF_JOSE_RSA_MIN_BITS 2048
#define CCF_JOSE_RSA_MAX_BITS 8192

/* ---- base64url (RFC 4648 §5, no padding) ---- */

/* Encoded length of n bytes (without NUL). */
size_t ccf_b64url_encoded_len(size_t n);

/* Encodes into a new NUL-terminated string (free()); NULL when out of memory. */
char *ccf_b64url_encode(const void *data, size_t len);

/* Strict decode of inlen characters: only A-Z a-z 0-9 - _, no padding, no
 * whitespace, no length ≡ 1 mod 4, unused trailing bits zero (so every byte
 * string has exactly one accepted encoding). Writes at most outcap bytes to
 * out; CCF_ERR_TOO_LARGE when the decoded length exceeds outcap. */
ccf_err ccf_b64url_decode(const char *in, size_t inlen, uint8_t *out, size_t outcap,
                          size_t *outlen, char *err, size_t errsz) CCF_JOSE_WUR;

/* Same into a new malloc'ed buffer (free(); one spare NUL byte after the data,
 * so text can be used as a C string); decoded length at most max. */
ccf_err ccf_b64url_decode_alloc(const char *in, size_t inlen, size_t max, uint8_t **out,
                                size_t *outlen, char *err, size_t errsz) CCF_JOSE_WUR;

/* ---- JWK (RFC 7517/7518 §6, RFC 8037) ---- */

/* Public key from a JWK object: {"kty":"EC","crv":"P-256","x","y"} (point
 * checked on the curve), {"kty":"RSA","n","e"} (2048..8192 bits, minimal
 * octets) or {"kty":"OKP","crv":"Ed25519","x"}. Private members (d, p, q, dp,
 * dq, qi, oth, k) are refused; other members are ignored except "alg", which
 * must be a string: *alg (optional, may be NULL) points at it inside jwk (valid
 * while jwk lives) or is NULL when absent. */
ccf_err ccf_jwk_parse(const json_t *jwk, EVP_PKEY **key, const char **alg, char *err,
                      size_t errsz) CCF_JOSE_WUR;

/* The JWK of key's public half ({"kty",["crv"],["alg"],...} in the order
 * Trustee's TeePubKey uses); alg may be NULL (omitted). */
ccf_err ccf_jwk_from_key(const EVP_PKEY *key, const char *alg, json_t **out, char *err,
                         size_t errsz) CCF_JOSE_WUR;

/* ---- JWE (RFC 7516 flattened JSON, RFC 7518) ---- */

typedef enum {
    CCF_JWE_ECDH_ES_A256KW = 1, /* "ECDH-ES+A256KW", recipient EC P-256 */
    CCF_JWE_RSA_OAEP_256 = 2,   /* "RSA-OAEP-256", recipient RSA */
    CCF_JWE_RSA_OAEP = 3        /* "RSA-OAEP" (SHA-1): decryption only, where asked for */
} ccf_jwe_alg;

/* Concat KDF (RFC 7518 §4.6.2, NIST SP 800-56A, SHA-256): derives outlen bytes
 * from the shared secret z for AlgorithmID alg (the "alg" value for key
 * agreement with key wrapping, the "enc" value for direct agreement) and
 * PartyUInfo/PartyVInfo (may be NULL when their length is 0). */
ccf_err ccf_jose_concat_kdf(const uint8_t *z, size_t zlen, const char *alg, const uint8_t *apu,
                            size_t apulen, const uint8_t *apv, size_t apvlen, uint8_t *out,
                            size_t outlen, char *err, size_t errsz) CCF_JOSE_WUR;

/* ECDH-ES key derivation: Z = ECDH(priv, peer) (both P-256), then the Concat
 * KDF above. */
ccf_err ccf_jose_ecdh_es_derive(EVP_PKEY *priv, EVP_PKEY *peer, const char *alg,
                                const uint8_t *apu, size_t apulen, const uint8_t *apv,
                                size_t apvlen, uint8_t *out, size_t outlen, char *err,
                                size_t errsz) CCF_JOSE_WUR;

/* Encrypts len bytes to the public key 'to' (EC P-256 for ECDH-ES+A256KW, RSA
 * for RSA-OAEP-256) with a fresh CEK and IV: *out is {"protected",
 * "encrypted_key","iv","ciphertext","tag"}; the protected header is
 * {"alg","enc":"A256GCM"[,"epk":{"crv","kty","x","y"}]}, keys sorted, as
 * Trustee's KBS writes it. */
ccf_err ccf_jwe_encrypt(EVP_PKEY *to, ccf_jwe_alg alg, const void *plaintext, size_t len,
                        json_t **out, char *err, size_t errsz) CCF_JOSE_WUR;

/* Same to a JWK (Trustee's "tee-pubkey"): the alg comes from the JWK's "alg"
 * (ECDH-ES+A256KW or RSA-OAEP-256; anything else, RSA1_5 included, is
 * CCF_ERR_UNSUPPORTED), or from its kty when absent. */
ccf_err ccf_jwe_encrypt_to_jwk(const json_t *jwk, const void *plaintext, size_t len,
                               json_t **out, char *err, size_t errsz) CCF_JOSE_WUR;

/* Decrypts a flattened JWE with the private key priv. Members: exactly
 * protected, encrypted_key, iv, ciphertext, tag and optionally header (an
 * "aad", "unprotected" or "recipients" member is refused, as is any unknown
 * one).
 * An unprotected per-recipient "header" may carry epk, apu, apv and kid
 * only (jwcrypto writes epk there), disjoint from the protected header.
 * The protected header must name alg (matching priv's type) and enc A256GCM,
 * and carry no crit and no zip; ECDH-ES+A256KW needs an EC P-256 "epk" and
 * honours "apu"/"apv". Any change to the header, iv, tag, ciphertext or
 * encrypted_key is refused with CCF_ERR_DENIED. *plaintext: secure heap, see
 * the ownership notes. */
ccf_err ccf_jwe_decrypt(const json_t *jwe, EVP_PKEY *priv, uint8_t **plaintext, size_t *len,
                        char *err, size_t errsz) CCF_JOSE_WUR;

/* Same from JSON text (at most CCF_JOSE_MAX_JSON bytes). */
ccf_err ccf_jwe_decrypt_text(const char *json, size_t jsonlen, EVP_PKEY *priv,
                             uint8_t **plaintext, size_t *len, char *err,
                             size_t errsz) CCF_JOSE_WUR;
/* Same, also accepting alg "RSA-OAEP" (OAEP with SHA-1 and MGF1-SHA-1, RFC 7518
 * §4.3), for formats whose writers choose it: ocicrypt's JWE key wrapping
 * with an RSA key (skopeo --encryption-key jwe:RSA.pub). Never used for what
 * this project encrypts itself. */
ccf_err ccf_jwe_decrypt_text_oaep_sha1(const char *json, size_t jsonlen, EVP_PKEY *priv,
                                       uint8_t **plaintext, size_t *len, char *err,
                                       size_t errsz) CCF_JOSE_WUR;

/* Wipes and frees a plaintext returned by ccf_jwe_decrypt*; NULL is a no-op. */
void ccf_jose_secret_free(void *p, size_t len);

/* ---- JWS / JWT (RFC 7515 compact, RFC 7519) ---- */

/* Signs payload with key (EC P-256 → "ES256" with a raw 64-byte r||s
 * signature, Ed25519 → "EdDSA"). The header is {"alg", then the members of
 * extra_header (may be NULL; must not name alg, crit or b64)}. *out: the
 * compact JWS, free(). */
ccf_err ccf_jws_sign(EVP_PKEY *key, const json_t *extra_header, const void *payload,
                     size_t len, char **out, char *err, size_t errsz) CCF_JOSE_WUR;

/* Verifies a compact JWS (at most CCF_JOSE_MAX_JSON bytes) with the public
 * key pub. The header's alg must be the one pub's type implies (ES256 for EC
 * P-256, EdDSA for Ed25519: no alg confusion), never "none"; crit and b64 are
 * refused; the signature must be exactly 64 bytes. On success *header (may
 * be NULL) is the header object and *payload (may be NULL, malloc'ed, free(),
 * NUL-terminated) the decoded payload. */
ccf_err ccf_jws_verify(const char *jws, size_t jwslen, EVP_PKEY *pub, json_t **header,
                       uint8_t **payload, size_t *payloadlen, char *err,
                       size_t errsz) CCF_JOSE_WUR;

/* JWT time checks, flags: */
#define CCF_JWT_REQUIRE_EXP 0x1u /* refuse a token without exp */
#define CCF_JWT_REQUIRE_IAT 0x2u /* refuse a token without iat */

/* Checks the registered time claims of a claims object against now (seconds
 * since the epoch) with leeway seconds of clock skew: exp (now < exp +
 * leeway), nbf (now + leeway >= nbf), iat (iat <= now + leeway: not issued in
 * the future). Each present claim must be a number; CCF_ERR_DENIED names the
 * claim that failed. */
ccf_err ccf_jwt_check_time(const json_t *claims, int64_t now, int64_t leeway, unsigned flags,
                           char *err, size_t errsz) CCF_JOSE_WUR;

/* Signs claims (a JSON object) as a JWT: header {"alg","typ":"JWT"}. */
ccf_err ccf_jwt_sign(EVP_PKEY *key, const json_t *claims, char **out, char *err,
                     size_t errsz) CCF_JOSE_WUR;

/* ccf_jws_verify, then: a "typ" header, when present, must be "JWT"; the
 * payload must be a JSON object; ccf_jwt_check_time(claims, now, leeway,
 * flags). *claims (may be NULL): the claims object. */
ccf_err ccf_jwt_verify(const char *jwt, size_t jwtlen, EVP_PKEY *pub, int64_t now,
                       int64_t leeway, unsigned flags, json_t **claims, char *err,
                       size_t errsz) CCF_JOSE_WUR;

/* ---- JCS (RFC 8785) ---- */

/* Appends the canonical JSON of v to out: object members sorted by their
 * names' UTF-16 code units, no whitespace, numbers as ECMAScript's
 * Number.prototype.toString writes the IEEE 754 double (integers are
 * converted to double first, as I-JSON requires, so integers beyond 2^53
 * round), strings with only the escapes JCS prescribes (\b \t \n \f \r \" \\
 * and \u00xx for other controls, all else literal UTF-8). Nesting deeper than
 * CCF_JOSE_MAX_JCS_DEPTH is CCF_ERR_TOO_LARGE; the buffer's own cap applies.
 * On failure out may hold a partial result. */
ccf_err ccf_jcs_serialize(const json_t *v, ccf_dynbuf *out, char *err, size_t errsz) CCF_JOSE_WUR;

/* The shortest ECMAScript representation of a finite double into buf (at
 * least 32 bytes); CCF_ERR_INVALID for NaN and infinities. */
ccf_err ccf_jcs_number(double d, char *buf, size_t bufsize) CCF_JOSE_WUR;

#endif
