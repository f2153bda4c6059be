/* Helpers shared by the files of ccf_jose; not part of its API. */
#ifndef CCF_JOSE_INTERNAL_H
#define CCF_JOSE_INTERNAL_H

#include <stdbool.h>

#include "jose/jose.h"

/* Parses len bytes of untrusted JSON (duplicate members refused) that must be
 * an object; what names it in errors. */
ccf_err jose_parse_object(const char *buf, size_t len, const char *what, json_t **out,
                          char *err, size_t errsz);

/* Decodes the base64url string member name of obj into a malloc'ed buffer of
 * at most max bytes; what names the object in errors. */
ccf_err jose_b64_member(const json_t *obj, const char *name, const char *what, size_t max,
                        uint8_t **out, size_t *outlen, char *err, size_t errsz);

/* true when key is an EC key on P-256. */
bool jose_is_p256(const EVP_PKEY *key);
/* true when key is an Ed25519 key. */
bool jose_is_ed25519(const EVP_PKEY *key);
/* true when key is an RSA key. */
bool jose_is_rsa(const EVP_PKEY *key);

/* Adds a base64url string member to obj. */
ccf_err jose_set_b64(json_t *obj, const char *name, const void *data, size_t len, char *err,
                     size_t errsz);

#endif
