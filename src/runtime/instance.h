/* The trusted instance's state and operations, independent of the transport:
 * the full policy (its exact bytes and hash), the in-memory file system, the
 * identities (by certificate), pinned programs, and program execution.
 * The data plane (dataplane.c) maps HTTP requests onto these calls.
 *
 * Ownership: ccf_instance_new copies the policy text; free with
 * ccf_instance_free. One request at a time (the data plane serialises). */
#ifndef CCF_RUNTIME_INSTANCE_H
#define CCF_RUNTIME_INSTANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/crypto.h"
#include "common/error.h"
#include "policy/policy.h"
#include "wasi/vfs.h"

typedef struct ccf_instance ccf_instance;

typedef struct {
    uint64_t max_file_bytes;     /* one file; 0 = max_instance_bytes */
    uint64_t max_instance_bytes; /* all files; 0 = the policy's max_memory_mib, else 1 GiB */
    uint64_t fuel;               /* instruction budget per execution; 0 = unlimited */
    uint32_t deadline_ms;        /* wall-clock limit per execution; 0 = none */
    uint64_t stream_buffer_bytes; /* bytes in flight per stream file; 0 = 1 MiB */
} ccf_instance_limits;

/* Operations return a ccf_err; the data plane answers it through the one
 * table of net/status.h. What each means here: CCF_ERR_INVALID a malformed
 * name or request, CCF_ERR_DENIED the identity lacks the right,
 * CCF_ERR_NOT_FOUND no such file or program, CCF_ERR_CONFLICT the hash of a
 * pinned file differs or it is appended to, CCF_ERR_TOO_LARGE beyond the file
 * or instance limit, CCF_ERR_UNSUPPORTED e.g. an execution strategy not
 * offered yet, CCF_ERR_INTERNAL an internal failure. */

/* Parses `text` as a full policy; on failure err names the first problem. */
ccf_err ccf_instance_new(const char *text, size_t len, const ccf_instance_limits *limits,
                         ccf_instance **out, char *err, size_t err_size)
    __attribute__((warn_unused_result));
void ccf_instance_free(ccf_instance *inst);

const ccf_policy *ccf_instance_policy(const ccf_instance *inst);
/* The exact policy bytes and their lowercase hex SHA-256. */
const char *ccf_instance_policy_text(const ccf_instance *inst, size_t *len);
const char *ccf_instance_policy_hash(const ccf_instance *inst);

/* The identity whose certificate is byte for byte `der`, or -1. */
int ccf_instance_identity_by_der(const ccf_instance *inst, const uint8_t *der, size_t len)
    __attribute__((warn_unused_result));

/* File operations on behalf of identity `who` (an index). put replaces (or
 * with append, extends); a program file or hash-pinned data must hash to its
 * pi_hash (else CCF_ERR_CONFLICT, old content kept) and cannot be appended to.
 * put takes data (malloc'd; NULL when len is 0): the file keeps the buffer
 * or the call frees it. msg gets a human-readable reason. */
ccf_err ccf_instance_put(ccf_instance *inst, int who, const char *name, uint8_t *data,
                                 size_t len, bool append, char *msg, size_t msg_size)
    __attribute__((warn_unused_result));
/* Key broker resources (issue 17, docs/kbs.md). A put of an encrypted
 * program or data file must be its envelope (the policy's encrypted.sha256);
 * it is opened with the key of its kbs_resource and stored as the plaintext,
 * which must hash to pi_hash (else CCF_ERR_CONFLICT, nothing stored). A
 * program's secrets are files secrets/NAME that it alone may read. Both come
 * from the key broker before the instance serves: kbs_resources lists the
 * distinct paths the policy needs (pointers into the policy; the count is
 * returned, at most max stored); add_resource takes one: a key (exactly 32
 * bytes, kept in the secure heap until the instance is freed) and/or the
 * content of the secrets that name it. */
size_t ccf_instance_kbs_resources(const ccf_instance *inst, const char **out, size_t max);
ccf_err ccf_instance_add_resource(ccf_instance *inst, const char *resource, const uint8_t *bytes,
                                  size_t len, char *msg, size_t msg_size)
    __attribute__((warn_unused_result));
/* The checks of a put that need no content (identity, name, write right,
 * appending to a pinned file, the size limits for len bytes), so a server can
 * refuse a body before receiving it. CCF_OK does not promise the put succeeds. */
ccf_err ccf_instance_put_check(ccf_instance *inst, int who, const char *name, uint64_t len,
                                       bool append, char *msg, size_t msg_size)
    __attribute__((warn_unused_result));
/* ---- storage claimed by uploads in progress (issue 15) ----------------------
 * A request body is memory before it is a file: the data plane reserves its
 * size against the instance's total (the files' limit) before it reads a body
 * byte, so files plus bodies in flight stay within max_instance_bytes.
 *
 * The charge of an upload is what it would add to the files' total:
 *   append            its length;
 *   replace           its length less a credit for the file it replaces (that
 *                     file goes when the new one lands): the file's current
 *                     size, of which other replacements in flight of the same
 *                     file have not claimed a part already. So replacing a
 *                     40 MiB file with 40 MiB in a 64 MiB instance is charged
 *                     0, and a second concurrent replacement of that file is
 *                     charged its full length (a file's bytes are credited
 *                     once).
 * An upload is admitted while files + charges of uploads in flight + its own
 * charge <= max_instance_bytes. A body of unknown length (chunked) starts with
 * its credit and no charge and grows its charge as bytes arrive.
 * Resident memory is then at most the files, the bodies charged, and the
 * credited bodies (at most one per file): below twice the limit. (A program
 * run meanwhile writes files against the file system's limit, which does not
 * see reservations: an upload that no longer fits fails when stored.) */
typedef struct ccf_upload ccf_upload;

/* The figures behind a refusal for the instance's total (all bytes). */
typedef struct {
    uint64_t limit;    /* max_instance_bytes */
    uint64_t used;     /* in files */
    uint64_t reserved; /* charged to the other uploads in flight */
    uint64_t asked;    /* the charge this upload needs */
} ccf_storage_figures;

/* The checks of ccf_instance_put_check (identity, name, write right,
 * appending to a pinned file, the per-file limit for len bytes) and, when
 * they pass, a reservation for the body: len bytes, or with open_ended a body
 * of unknown length (len ignored; grown with ccf_instance_upload_grow). On
 * CCF_OK *out holds the reservation (release it with ccf_instance_upload_end
 * once the body is stored or dropped). CCF_ERR_TOO_LARGE for the per-file or
 * the total limit: for the total, *fig says why (else fig->limit is 0). */
ccf_err ccf_instance_upload_begin(ccf_instance *inst, int who, const char *name, uint64_t len,
                                  bool append, bool open_ended, ccf_upload **out,
                                  ccf_storage_figures *fig, char *msg, size_t msg_size)
    __attribute__((warn_unused_result));
/* An open-ended body has grown to len bytes: its charge follows, unless that
 * passes the per-file or the total limit (CCF_ERR_TOO_LARGE, *fig as above,
 * the reservation unchanged). */
ccf_err ccf_instance_upload_grow(ccf_instance *inst, ccf_upload *up, uint64_t len,
                                 ccf_storage_figures *fig, char *msg, size_t msg_size)
    __attribute__((warn_unused_result));
/* Ends the reservation (the body was stored by ccf_instance_put, or dropped).
 * NULL is a no-op. Reservations still held are freed with the instance. */
void ccf_instance_upload_end(ccf_instance *inst, ccf_upload *up);
/* The instance's totals now: limit, bytes in files, bytes reserved by uploads
 * in flight (fig->asked 0). */
void ccf_instance_storage(const ccf_instance *inst, ccf_storage_figures *fig);

/* Opens a file for reading as `who` without copying it: *node is retained
 * (release with ccf_vfs_release on ccf_instance_vfs); its bytes are read in
 * place with ccf_vfs_node_bytes while ccf_vfs_node_generation is unchanged. */
ccf_err ccf_instance_open_read(ccf_instance *inst, int who, const char *name,
                                       ccf_vfs_node **node, char *msg, size_t msg_size)
    __attribute__((warn_unused_result));

typedef struct {
    uint32_t exit_code; /* valid unless trapped */
    bool trapped;
    char trap[256]; /* the trap's reason */
    uint64_t duration_us;
} ccf_exec_result;

/* Runs program `program` (its program_file_name) for identity `who`: with the
 * program's own file rights, the policy's enable_clock and std streams. A trap
 * or a non-zero exit is a result, not an error. */
ccf_err ccf_instance_execute(ccf_instance *inst, int who, const char *program,
                                     ccf_exec_result *res, char *msg, size_t msg_size)
    __attribute__((warn_unused_result));

/* ---- stream files (the policy's stream_files, docs/policy.md "Streams") ----
 * A stream file is read by programs while it is uploaded: its bytes pass
 * through a bounded FIFO (wasi/fifo.h) and are never stored whole, so a
 * program can consume more than the instance's memory. It exists, empty,
 * from the start; downloading it is refused (CCF_ERR_CONFLICT).
 * These two calls read only the policy and the FIFO: they are safe on the
 * data plane's thread while a program runs on another. */

/* The index of `name` in the policy's stream_files, or -1. */
int ccf_instance_stream_index(const ccf_instance *inst, const char *name);
/* The FIFO of stream `name` for an upload by `who`: needs the write right
 * (PATH_OPEN|FD_WRITE) on it; CCF_ERR_NOT_FOUND when it is no stream,
 * CCF_ERR_CONFLICT when it was uploaded (or is being uploaded) already. The
 * caller is its writer: finish or abort it (the FIFO stays the instance's). */
struct ccf_fifo;
ccf_err ccf_instance_stream_begin(ccf_instance *inst, int who, const char *name,
                                  struct ccf_fifo **out, char *msg, size_t msg_size)
    __attribute__((warn_unused_result));

/* The file system (for metrics and tests). */
ccf_vfs *ccf_instance_vfs(ccf_instance *inst);

#endif
