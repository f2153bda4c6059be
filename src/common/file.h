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

/* Writes data to path via a temporary file in the same directory (mode, then
 * fsync): with no_replace the final name is created with link() and an
 * existing file is never overwritten; otherwise rename() replaces it. A
 * reader sees the old file or the whole new one, never a part. */
ccf_err ccf_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                              bool no_replace, char *err, size_t err_size)
    __attribute__((warn_unused_result));

/* A plain relative path of an instance's file system: not empty, no leading
 * or trailing '/', no empty, "." or ".." component. */
bool ccf_file_name_plain(const char *name);

#endif
