/* ccfaas_crypto.h: the guest side of the host-function module "ccfaas_crypto" that
 * ccfaas-runtime offers wasm32-wasi programs (docs/guest-crypto.md): key pairs and key
 * unwrapping whose private and symmetric keys stay in the runtime, and decryption of CCFSTR01
 * streams (AES-256-GCM in chunks). The guest API, beside its host side (guestcrypto.c):
 * wasm32-wasi guests get this directory on their include path (tests/guest/WasiGuest.cmake).
 * For wasm32 builds; natively only with a stand-in such as examples/video-detect/mock_crypto.c.
 *
 * Every function returns a WASI errno (0 on success; in wasi-libc, strerror() names it):
 * 28 EINVAL malformed arguments/name/header, 44 ENOENT no such key pair/key/handle, 21 EFAULT
 * a pointer range outside memory, 51 ENOSPC output buffer too small (*out_len = size needed),
 * 29 EIO internal failure, 25 EILSEQ authentication failed / malformed record / truncated.
 * 33 EMFILE a cap reached (16 key pairs, 64 keys per instance; 16 open streams per run).
 * Names are 1..64 bytes of [A-Za-z0-9._-]; keys are scoped to the instance and the program.
 * The caller owns every buffer; the host keeps no pointer into guest memory. */
#ifndef CCFAAS_CRYPTO_H
#define CCFAAS_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#if defined(__wasm__)
#define CCFAAS_CRYPTO_IMPORT(fn) __attribute__((import_module("ccfaas_crypto"), import_name(fn)))
#elif defined(CCFAAS_CRYPTO_MOCK)
/* native test builds: a stand-in implements these (examples/video-detect/mock_crypto.c) */
#define CCFAAS_CRYPTO_IMPORT(fn)
#else
#error "ccfaas_crypto.h: the ccfaas_crypto host functions exist only for wasm32-wasi guests"
#endif

/* the header of a CCFSTR01 stream: "CCFSTR01", chunk size (u32 BE), base nonce (12 bytes) */
#define CCFSTR_MAGIC "CCFSTR01"
#define CCFSTR_HEADER_LEN 24
#define CCFSTR_TAG_LEN 16
#define CCFSTR_MIN_CHUNK 1024u
#define CCFSTR_MAX_CHUNK (16u * 1024 * 1024)
#define CCFSTR_FINAL 0x80000000u /* bit 31 of a record's length field */

/* Creates the program's RSA-3072 key pair `name` if it does not exist yet (idempotent). */
CCFAAS_CRYPTO_IMPORT("keypair_create")
int32_t keypair_create(const char *name, size_t name_len);

/* Writes the public key of key pair `name` as PEM ("-----BEGIN PUBLIC KEY-----",
 * SubjectPublicKeyInfo) to buf; *out_len = its length (ENOSPC: the length needed). */
CCFAAS_CRYPTO_IMPORT("public_key_pem")
int32_t public_key_pem(const char *name, size_t name_len, uint8_t *buf, size_t buf_len,
		       size_t *out_len);

/* Unwraps `wrapped` (RSA-OAEP, SHA-256 for OAEP and MGF1, no label) with key pair `kp`'s
 * private key; the 32-byte plaintext becomes AEAD key `key_name` (replacing one so named),
 * which the guest never sees. */
CCFAAS_CRYPTO_IMPORT("key_unwrap")
int32_t key_unwrap(const char *kp, size_t kp_len, const uint8_t *wrapped, size_t wrapped_len,
		   const char *key_name, size_t key_name_len);

/* Begins decrypting a CCFSTR01 stream under key `key_name`; header = its first 24 bytes. */
CCFAAS_CRYPTO_IMPORT("stream_open")
int32_t stream_open(const char *key_name, size_t key_name_len, const uint8_t *header,
		    size_t header_len, uint32_t *handle);

/* Opens the next record (its 4-byte length field + ciphertext + 16-byte tag, exactly) into
 * out (out_cap >= the ciphertext length); *out_len = plaintext size, *final = 1 for the final
 * record. Any failure (EILSEQ) poisons the handle. */
CCFAAS_CRYPTO_IMPORT("stream_record")
int32_t stream_record(uint32_t handle, const uint8_t *record, size_t record_len, uint8_t *out,
		      size_t out_cap, size_t *out_len, uint32_t *final);

/* Ends the handle: 0 only if the final record was opened, else EILSEQ (truncated stream). */
CCFAAS_CRYPTO_IMPORT("stream_close")
int32_t stream_close(uint32_t handle);

#endif
