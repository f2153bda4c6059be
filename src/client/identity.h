/* User identities: the X.509 certificate + key pairs that policies name
 * (`identities[].certificate`) and that `ccfaas client` presents to an
 * instance. */
#ifndef CCF_CLIENT_IDENTITY_H
#define CCF_CLIENT_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

#define CCF_IDENTITY_DEFAULT_DAYS 365
#define CCF_IDENTITY_MAX_DAYS 36500

/* Whether name is usable as an identity (and file) name: 1-64 of
 * A-Z a-z 0-9 . _ -, not starting with '.' or '-'. */
bool ccf_identity_name_ok(const char *name);

/* Creates DIR/NAME.key (P-256, PKCS#8 PEM, mode 0600) and DIR/NAME.crt
 * (self-signed, subject O=ccfaas CN=NAME, valid `days` days from now,
 * CA:FALSE, digitalSignature, clientAuth). Never overwrites: fails with
 * CCF_ERR_IO when either file exists. On failure nothing is left behind.
 * crt_path/key_path (each path_size bytes, may be NULL) receive the paths;
 * fingerprint (65 bytes, may be NULL) the certificate's SHA-256 (hex of DER). */
ccf_err ccf_identity_new(const char *dir, const char *name, unsigned days, char *crt_path,
                         char *key_path, size_t path_size, char *fingerprint, char *err,
                         size_t err_size) __attribute__((warn_unused_result));

#endif
