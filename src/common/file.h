/* Reading whole files with a size cap (untrusted sizes never drive allocation). */
#ifndef CCF_COMMON_FILE_H
#define CCF_COMMON_FILE_H

#include <stddef.h>

#include "common/error.h"

/* Reads `path` ("-" = stdin) into a new NUL-terminated buffer that the caller
 * frees with free(). Fails with CCF_ERR_TOO_LARGE past max_bytes, CCF_ERR_IO
 * (detail in err) when the file cannot be read. *out is NULL on failure. */
ccf_err ccf_file_read(const char *path, size_t max_bytes, char **out, size_t *len,
                      char *err, size_t err_size) __attribute__((warn_unused_result));

#endif
