/* Reading whole files with a size cap (untrusted sizes never drive allocation). */
#ifndef CCF_COMMON_FILE_H
#define CCF_COMMON_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/error.h"

/* Reads `path` ("-" = stdin) into a new NUL-terminated buffer that the caller
 * frees with free(). Fails with CCF_ERR_TOO_LARGE past max_bytes, CCF_ERR_IO
 * (detail in err) when the file cannot be read. *out is NULL on failure. */
ccf_err ccf_file_read(const char *path, size_t max_bytes, char **out, size_t *len,
                      char *err, size_t err_size) __attribute__((warn_unused_result));

/* A file written piece by piece that appears under its name only when
 * committed: a temporary file beside it until then (nothing partial is ever
 * seen). open -> write... -> commit, or abandon (also after a failed write or
 * commit: it removes the temporary file; a second call does nothing). */
typedef struct {
    const char *path; /* the caller's, kept until commit */
    int fd;
    char tmp[4096];
} ccf_atomic_file;
ccf_err ccf_atomic_file_open(ccf_atomic_file *a, const char *path, mode_t mode, char *err,
                             size_t err_size) __attribute__((warn_unused_result));
ccf_err ccf_atomic_file_write(ccf_atomic_file *a, const void *data, size_t len, char *err,
                              size_t err_size) __attribute__((warn_unused_result));
/* fsync, then the final name: with no_replace created with link(), an existing
 * file never overwritten; otherwise rename() replaces it. */
ccf_err ccf_atomic_file_commit(ccf_atomic_file *a, bool no_replace, char *err, size_t err_size)
    __attribute__((warn_unused_result));
void ccf_atomic_file_abandon(ccf_atomic_file *a);

/* The whole of data to path, atomically: ccf_atomic_file open, write, commit. */
ccf_err ccf_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                              bool no_replace, char *err, size_t err_size)
    __attribute__((warn_unused_result));

/* A plain relative path of an instance's file system: not empty, no leading
 * or trailing '/', no empty, "." or ".." component. */
bool ccf_file_name_plain(const char *name);

#endif
