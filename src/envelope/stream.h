/* The chunked stream format CCFSTR01 (issue 18, docs/guest-crypto.md): a file
 * or upload of any size encrypted with AES-256-GCM record by record, opened in
 * constant memory as it arrives. A STREAM-style construction: each record's
 * nonce is the base nonce XOR its index and the last record says it is the
 * last, so truncation, reordering, dropped or moved records are all detected.
 *
 *   header (24 bytes): "CCFSTR01" | chunk_size u32 BE (1024 .. 16 MiB) | base_nonce (12)
 *   records i = 0, 1, ...:
 *     len field u32 BE: bit 31 = final, bits 0..30 = L (ciphertext length);
 *                       non-final: L == chunk_size; final: 0 <= L <= chunk_size
 *     ciphertext (L) | tag (16)
 *   nonce_i = base_nonce, its last 8 bytes XOR i (64-bit BE)
 *   AAD_i   = header (24) || len field (4)
 *   exactly one final record, the last; nothing after it.
 *
 * Pure functions over OpenSSL EVP (through ccf_aes256gcm); no I/O. A
 * ccf_stream (sealer or opener) is allocated in OpenSSL's secure heap and
 * holds a copy of the key; ccf_stream_free wipes and frees it. Errors:
 * CCF_ERR_INVALID a malformed header or a bad argument, CCF_ERR_DENIED a
 * record that does not open (bad tag, bad length field, out of order, after
 * the final record; the opener then refuses everything), CCF_ERR_TOO_LARGE an
 * output buffer too small (nothing consumed: retry with a bigger one). */
#ifndef CCF_ENVELOPE_STREAM_H
#define CCF_ENVELOPE_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/crypto.h"
#include "common/error.h"

#define CCF_STREAM_MAGIC "CCFSTR01"
#define CCF_STREAM_MAGIC_LEN 8
#define CCF_STREAM_HEADER_LEN 24
#define CCF_STREAM_LEN_FIELD 4
#define CCF_STREAM_FINAL_FLAG 0x80000000u
#define CCF_STREAM_MIN_CHUNK 1024u
#define CCF_STREAM_MAX_CHUNK (16u << 20)
#define CCF_STREAM_DEFAULT_CHUNK (64u << 10)
/* A record's bytes around its ciphertext: the len field and the tag. */
#define CCF_STREAM_RECORD_OVERHEAD (CCF_STREAM_LEN_FIELD + CCF_GCM_TAG_LEN)

typedef struct {
    uint32_t chunk_size;
    uint8_t base_nonce[CCF_GCM_IV_LEN];
} ccf_stream_header;

typedef struct ccf_stream ccf_stream;

/* Parses exactly CCF_STREAM_HEADER_LEN bytes (len must be that): magic, then
 * chunk_size in range. CCF_ERR_INVALID naming the field otherwise. */
ccf_err ccf_stream_header_parse(const uint8_t *data, size_t len, ccf_stream_header *out,
                                char *err, size_t errsz) __attribute__((warn_unused_result));

/* Parses a record's len field against chunk_size: *ct_len = L, *final. A
 * non-final L other than chunk_size, or L > chunk_size: CCF_ERR_DENIED. */
ccf_err ccf_stream_len_parse(uint32_t chunk_size, const uint8_t field[CCF_STREAM_LEN_FIELD],
                             size_t *ct_len, bool *final, char *err, size_t errsz)
    __attribute__((warn_unused_result));

/* A sealer with a fresh random base nonce; header (24 bytes) is written for
 * the caller to emit first. chunk_size in range, else CCF_ERR_INVALID. */
ccf_err ccf_stream_sealer_new(const uint8_t key[CCF_GCM_KEY_LEN], uint32_t chunk_size,
                              uint8_t header[CCF_STREAM_HEADER_LEN], ccf_stream **out, char *err,
                              size_t errsz) __attribute__((warn_unused_result));

/* Seals the next record from len bytes of in (len == chunk_size unless final;
 * final: len <= chunk_size) into out, which has room for
 * len + CCF_STREAM_RECORD_OVERHEAD bytes (*out_len is that). Nothing may be
 * sealed after the final record (CCF_ERR_INVALID). */
ccf_err ccf_stream_seal(ccf_stream *s, const uint8_t *in, size_t len, bool final, uint8_t *out,
                        size_t *out_len, char *err, size_t errsz)
    __attribute__((warn_unused_result));

/* An opener for the stream whose header is the header_len bytes at header
 * (a copy is kept). Header errors as ccf_stream_header_parse. */
ccf_err ccf_stream_opener_new(const uint8_t key[CCF_GCM_KEY_LEN], const uint8_t *header,
                              size_t header_len, ccf_stream **out, char *err, size_t errsz)
    __attribute__((warn_unused_result));

/* Opens the next record: record is exactly its len field, ciphertext and tag.
 * Writes the plaintext (L bytes) to out and sets *out_len and *final. When
 * out_cap < L: CCF_ERR_TOO_LARGE, *out_len = L, the stream unchanged. Any
 * other failure (CCF_ERR_DENIED) leaves out wiped of what was decrypted and
 * the opener failed for good. */
ccf_err ccf_stream_open(ccf_stream *s, const uint8_t *record, size_t record_len, uint8_t *out,
                        size_t out_cap, size_t *out_len, bool *final, char *err, size_t errsz)
    __attribute__((warn_unused_result));

/* CCF_OK when the final record has been sealed or opened (and nothing
 * failed); CCF_ERR_DENIED otherwise (a truncated stream). */
ccf_err ccf_stream_finish(const ccf_stream *s, char *err, size_t errsz)
    __attribute__((warn_unused_result));

uint32_t ccf_stream_chunk_size(const ccf_stream *s);
/* Records sealed or opened so far. */
uint64_t ccf_stream_index(const ccf_stream *s);

/* Wipes and frees (NULL is a no-op). */
void ccf_stream_free(ccf_stream *s);

#endif
