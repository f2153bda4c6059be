#include "common/file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ccf_err ccf_file_read(const char *path, size_t max_bytes, char **out, size_t *len,
                      char *err, size_t err_size)
{
    FILE *f = NULL;
    char *buf = NULL;
    size_t cap = 4096, used = 0;
    ccf_err rc = CCF_OK;

    *out = NULL;
    *len = 0;
    if (strcmp(path, "-") == 0) {
        f = stdin;
    } else if ((f = fopen(path, "rb")) == NULL) {
        return ccf_errf(err, err_size, CCF_ERR_IO, "cannot open: %s", strerror(errno));
    }
    if ((buf = malloc(cap)) == NULL) {
        rc = ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (;;) {
        size_t n = fread(buf + used, 1, cap - used - 1, f);
        used += n;
        if (used > max_bytes) {
            rc = ccf_errf(err, err_size, CCF_ERR_TOO_LARGE,
                          "file is larger than the limit of %zu bytes", max_bytes);
            goto out;
        }
        if (n == 0) {
            if (ferror(f)) {
                rc = ccf_errf(err, err_size, CCF_ERR_IO, "read failed: %s", strerror(errno));
                goto out;
            }
            break;
        }
        if (used + 1 == cap) {
            char *bigger = realloc(buf, cap * 2);
            if (bigger == NULL) {
                rc = ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
                goto out;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    buf[used] = '\0';
    *out = buf;
    *len = used;
    buf = NULL;
out:
    free(buf);
    if (f != NULL && f != stdin)
        fclose(f);
    return rc;
}
