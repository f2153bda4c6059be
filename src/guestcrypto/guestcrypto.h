/* The host module "ccfaas_crypto" (issue 18, docs/guest-crypto.md): guests
 * create RSA-3072 key pairs, export their public keys, unwrap AEAD keys sent
 * to them (RSA-OAEP SHA-256) and decrypt CCFSTR01 streams (src/envelope/
 * stream.h) without ever seeing a private or AEAD key. All crypto is OpenSSL.
 *
 * Objects and ownership
 *   ccf_guestcrypto_store  the keys of one instance (or of one `ccfaas wasm
 *                          run`), by (program, name): key pairs as EVP_PKEY,
 *                          AEAD keys as 32 bytes in OpenSSL's secure heap.
 *                          Created by ccf_guestcrypto_store_new, freed (keys
 *                          wiped) by ccf_guestcrypto_store_free. Never written
 *                          anywhere.
 *   ccf_guestcrypto_run    one program run against a store: the program's
 *                          name (its key scope) and its open stream handles
 *                          (at most CCF_GUESTCRYPTO_MAX_STREAMS). The store
 *                          must outlive it; ccf_guestcrypto_run_free closes
 *                          what the program left open.
 * ccf_guestcrypto_module gives the ccf_wasi_host_module for ccf_wasi_config;
 * its functions read and write guest memory only through the bounded
 * ccf_wasm_memory_* calls (a bad range is EFAULT, never a trap). */
#ifndef CCF_GUESTCRYPTO_GUESTCRYPTO_H
#define CCF_GUESTCRYPTO_GUESTCRYPTO_H

#include <stddef.h>

#include "common/error.h"
#include "wasi/wasi.h"

#define CCF_GUESTCRYPTO_MODULE "ccfaas_crypto"
#define CCF_GUESTCRYPTO_MAX_NAME 64
#define CCF_GUESTCRYPTO_RSA_BITS 3072
/* Caps: per store (all programs of an instance together), per run. */
#define CCF_GUESTCRYPTO_MAX_KEYPAIRS 16
#define CCF_GUESTCRYPTO_MAX_KEYS 64
#define CCF_GUESTCRYPTO_MAX_STREAMS 16

typedef struct ccf_guestcrypto_store ccf_guestcrypto_store;
typedef struct ccf_guestcrypto_run ccf_guestcrypto_run;

ccf_err ccf_guestcrypto_store_new(ccf_guestcrypto_store **out, char *err, size_t errsz)
    __attribute__((warn_unused_result));
void ccf_guestcrypto_store_free(ccf_guestcrypto_store *store); /* NULL is a no-op */

/* program is copied. */
ccf_err ccf_guestcrypto_run_new(ccf_guestcrypto_store *store, const char *program,
                                ccf_guestcrypto_run **out, char *err, size_t errsz)
    __attribute__((warn_unused_result));
void ccf_guestcrypto_run_free(ccf_guestcrypto_run *run); /* NULL is a no-op */

/* The module "ccfaas_crypto" bound to run (valid while run lives). */
ccf_wasi_host_module ccf_guestcrypto_module(ccf_guestcrypto_run *run);

#endif
