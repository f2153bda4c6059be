/* The instance's in-memory file system with capability checks (docs/rights.md).
 *
 * One ccf_vfs per instance holds regular files (growable byte buffers),
 * directories and symbolic links. Every operation on behalf of a principal —
 * a program or an identity — takes that principal's rights list
 * (ccf_file_rights from the policy) and checks the WASI right it needs; a
 * refusal returns WASI_ENOTCAPABLE and changes nothing. A NULL rights list
 * means the host itself (loading files, copying results out): no checks.
 *
 * Paths are relative to the root, '/'-separated; "." and ".." are resolved
 * (never above the root: ENOTCAPABLE), symbolic links are followed within the
 * file system. Errors are WASI errno values (wasi_abi.h).
 *
 * Ownership: ccf_vfs_new -> ccf_vfs_free. Nodes returned by ccf_vfs_open are
 * referenced: release each with ccf_vfs_release (an unlinked file lives on
 * until its last reference goes, as in POSIX). Not thread-safe: one instance
 * runs one request at a time. */
#ifndef CCF_WASI_VFS_H
#define CCF_WASI_VFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"
#include "wasi/wasi_abi.h"

typedef struct ccf_vfs ccf_vfs;
typedef struct ccf_vfs_node ccf_vfs_node;

typedef struct {
    uint64_t max_total_bytes; /* sum of file sizes; 0 = 1 GiB */
    uint64_t max_file_bytes;  /* one file; 0 = max_total_bytes */
    uint32_t max_nodes;       /* files + directories + links; 0 = 100000 */
} ccf_vfs_limits;

#define CCF_VFS_PATH_MAX 1024

typedef struct {
    uint8_t filetype; /* WASI_FILETYPE_* */
    uint64_t ino, nlink, size;
    uint64_t atim, mtim, ctim; /* ns since the epoch */
} ccf_vfs_stat;

/* limits NULL = defaults. NULL on out of memory. */
ccf_vfs *ccf_vfs_new(const ccf_vfs_limits *limits);
void ccf_vfs_free(ccf_vfs *vfs);

/* Joins `rel` (rel_len bytes, untrusted) onto directory `base` and resolves
 * ".", ".." and symbolic links (all but the last component; the last too when
 * follow_last) as `principal` sees the tree (NULL = the host, sees all): a node
 * it may not see is absent (ENOENT, never ENOTDIR or a followed link), so the
 * answer reveals nothing about files it has no rights on. Writes the
 * normalised path ("" = root) to out. The target need not exist. EINVAL for
 * NUL bytes, ENOTCAPABLE for absolute paths or escaping the root, ENAMETOOLONG,
 * ELOOP, ENOTDIR. */
ccf_wasi_errno ccf_vfs_resolve(const ccf_vfs *vfs, const ccf_file_rights *principal,
                               const char *base, const char *rel, size_t rel_len,
                               bool follow_last, char out[CCF_VFS_PATH_MAX]);

/* The node at a normalised path (no symlink followed), or NULL; not retained,
 * no rights checked. Lets a descriptor holder check that its path still names
 * its node. */
ccf_vfs_node *ccf_vfs_lookup(const ccf_vfs *vfs, const char *path);

/* The rights `principal` holds on `path` (normalised; directories without a
 * trailing '/'); CCF_RIGHTS_ALL for the host (NULL). The root holds the union
 * of all entries. */
uint32_t ccf_vfs_rights(const ccf_file_rights *principal, const char *path, bool is_dir)
    __attribute__((warn_unused_result, nonnull(2)));

/* Whether `path` exists for the principal: it has rights on it, or (for a
 * directory) on something beneath it. */
bool ccf_vfs_visible(const ccf_file_rights *principal, const char *path, bool is_dir)
    __attribute__((warn_unused_result, nonnull(2)));

/* Opens (and with WASI_O_CREAT creates, WASI_O_TRUNC truncates) `path`,
 * checking PATH_OPEN, PATH_CREATE_FILE, PATH_FILESTAT_SET_SIZE. *rights gets
 * the principal's rights on it. The caller releases *out. */
ccf_wasi_errno ccf_vfs_open(ccf_vfs *vfs, const ccf_file_rights *principal, const char *path,
                            uint16_t oflags, ccf_vfs_node **out, uint32_t *rights);
void ccf_vfs_retain(ccf_vfs_node *node);
void ccf_vfs_release(ccf_vfs *vfs, ccf_vfs_node *node);

/* Node operations; rights were checked when the descriptor was opened. */
uint8_t ccf_vfs_node_type(const ccf_vfs_node *node);
uint64_t ccf_vfs_node_size(const ccf_vfs_node *node);
/* Changes with every write, truncation or replacement of the node's bytes:
 * a reader that holds on to ccf_vfs_node_bytes compares it to know its view
 * is still the file's content. */
uint64_t ccf_vfs_node_generation(const ccf_vfs_node *node);
/* The bytes of a regular file in place (NULL when empty; *size 0 for other
 * types); valid until the next change (see ccf_vfs_node_generation). */
const uint8_t *ccf_vfs_node_bytes(const ccf_vfs_node *node, uint64_t *size);
void ccf_vfs_node_stat(const ccf_vfs_node *node, ccf_vfs_stat *st);
/* Reads up to len bytes at off; *n = bytes read (0 at or past the end). */
ccf_wasi_errno ccf_vfs_node_read(ccf_vfs_node *node, uint64_t off, void *buf, size_t len,
                                 size_t *n);
/* Writes len bytes at off, growing the file (zero-filled gap); EFBIG/ENOSPC
 * past the limits with nothing written. */
ccf_wasi_errno ccf_vfs_node_write(ccf_vfs *vfs, ccf_vfs_node *node, uint64_t off,
                                  const void *buf, size_t len);
ccf_wasi_errno ccf_vfs_node_truncate(ccf_vfs *vfs, ccf_vfs_node *node, uint64_t size);
/* fst_flags: WASI_FST_*; times in ns. */
ccf_wasi_errno ccf_vfs_node_set_times(ccf_vfs_node *node, uint64_t atim, uint64_t mtim,
                                      uint16_t fst_flags);

/* Directory listing of `path` as the principal sees it (FD_READDIR checked by
 * the caller on the descriptor). Calls fn for each visible entry whose cookie
 * is at least `start` (0 = ".", 1 = "..", then children in creation order);
 * fn gets the cookie that continues after that entry and returns false to
 * stop. A child's cookie stays the same for as long as the entry exists, so a
 * listing resumed after entries were removed (or added) skips nothing that
 * remained; an entry renamed within the listing may appear twice (POSIX). */
typedef bool (*ccf_vfs_dirent_fn)(void *user, uint64_t next_cookie, uint64_t ino,
                                  uint8_t filetype, const char *name, size_t name_len);
ccf_wasi_errno ccf_vfs_readdir(ccf_vfs *vfs, const ccf_file_rights *principal, const char *path,
                               uint64_t start, ccf_vfs_dirent_fn fn, void *user);

/* Path operations, each checking its right on the resolved path(s). */
ccf_wasi_errno ccf_vfs_stat_path(ccf_vfs *vfs, const ccf_file_rights *principal, const char *path,
                                 ccf_vfs_stat *st);
ccf_wasi_errno ccf_vfs_set_times_path(ccf_vfs *vfs, const ccf_file_rights *principal,
                                      const char *path, uint64_t atim, uint64_t mtim,
                                      uint16_t fst_flags);
ccf_wasi_errno ccf_vfs_mkdir(ccf_vfs *vfs, const ccf_file_rights *principal, const char *path);
ccf_wasi_errno ccf_vfs_rmdir(ccf_vfs *vfs, const ccf_file_rights *principal, const char *path);
ccf_wasi_errno ccf_vfs_unlink(ccf_vfs *vfs, const ccf_file_rights *principal, const char *path);
ccf_wasi_errno ccf_vfs_rename(ccf_vfs *vfs, const ccf_file_rights *principal, const char *from,
                              const char *to);
ccf_wasi_errno ccf_vfs_link(ccf_vfs *vfs, const ccf_file_rights *principal, const char *from,
                            const char *to);
ccf_wasi_errno ccf_vfs_symlink(ccf_vfs *vfs, const ccf_file_rights *principal, const char *target,
                               const char *path);
ccf_wasi_errno ccf_vfs_readlink(ccf_vfs *vfs, const ccf_file_rights *principal, const char *path,
                                char *buf, size_t buf_len, size_t *n);

/* Whole-file operations for the data plane and `ccfaas wasm run` (same rules
 * as a program: docs/rights.md, "Identities"). put replaces (or with append,
 * extends) the file, creating parent directories only for the host. get
 * returns a copy the caller frees with free(). */
ccf_wasi_errno ccf_vfs_put(ccf_vfs *vfs, const ccf_file_rights *principal, const char *path,
                           const void *data, size_t len, bool append);
/* As ccf_vfs_put, taking data (malloc'd, may be NULL when len is 0): a new or
 * replaced file keeps that buffer without copying it; in every other case the
 * call frees it. For large uploads (one copy fewer). */
ccf_wasi_errno ccf_vfs_put_owned(ccf_vfs *vfs, const ccf_file_rights *principal, const char *path,
                                 uint8_t *data, size_t len, bool append);
ccf_wasi_errno ccf_vfs_get(ccf_vfs *vfs, const ccf_file_rights *principal, const char *path,
                           uint8_t **data, size_t *len);
/* Whether `size` bytes written to `path` (replacing it, or appended) stay
 * within the per-file (EFBIG) and total (ENOSPC) limits as they are now; no
 * rights checked. Lets a server refuse a body before receiving it. */
ccf_wasi_errno ccf_vfs_room(const ccf_vfs *vfs, const char *path, uint64_t size, bool append);
/* The regular file `path` opened for reading by the principal (PATH_OPEN and
 * FD_READ checked), without copying it: the caller releases *out. Errors as
 * ccf_vfs_get. */
ccf_wasi_errno ccf_vfs_open_read(ccf_vfs *vfs, const ccf_file_rights *principal, const char *path,
                                 ccf_vfs_node **out);

/* mkdir -p of the parent directories of a normalised path, with the host's
 * privileges (callers decide whether the principal may cause it). */
ccf_wasi_errno ccf_vfs_make_parents(ccf_vfs *vfs, const char *path);
/* A stream file at path (parents made; EEXIST if the path is taken): an empty
 * regular file whose reads come from fifo (common/fifo.h; not owned, it must
 * outlive the vfs). Writes, truncation and puts to it are refused; it cannot
 * be sought. */
struct ccf_fifo;
ccf_wasi_errno ccf_vfs_put_fifo(ccf_vfs *vfs, const char *path, struct ccf_fifo *fifo);
/* The node's FIFO when it is a stream file, else NULL. */
struct ccf_fifo *ccf_vfs_node_fifo(const ccf_vfs_node *node);

/* Total bytes stored and node count, for quotas and metrics. */
uint64_t ccf_vfs_bytes_used(const ccf_vfs *vfs);
uint32_t ccf_vfs_nodes_used(const ccf_vfs *vfs);

/* Short name of a WASI errno ("ENOTCAPABLE") for messages. */
const char *ccf_wasi_errno_name(ccf_wasi_errno e);

#endif
