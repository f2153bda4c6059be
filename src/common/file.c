#include "common/file.h"

#include <errno.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>
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

ccf_err ccf_atomic_file_open(ccf_atomic_file *a, const char *path, mode_t mode, char *err,
                             size_t err_size)
{
    a->path = path;
    a->fd = -1;
    a->tmp[0] = '\0';
    if (snprintf(a->tmp, sizeof a->tmp, "%s.tmp-XXXXXX", path) >= (int)sizeof a->tmp) {
        a->tmp[0] = '\0';
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "%s: path too long", path);
    }
    if ((a->fd = mkstemp(a->tmp)) < 0) {
        a->tmp[0] = '\0';
        return ccf_errf(err, err_size, CCF_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
    }
    if (fchmod(a->fd, mode) != 0) {
        ccf_err rc = ccf_errf(err, err_size, CCF_ERR_IO, "%s: chmod: %s", path, strerror(errno));
        ccf_atomic_file_abandon(a);
        return rc;
    }
    return CCF_OK;
}

ccf_err ccf_atomic_file_write(ccf_atomic_file *a, const void *data, size_t len, char *err,
                              size_t err_size)
{
    for (size_t done = 0; done < len;) {
        ssize_t n = write(a->fd, (const char *)data + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return ccf_errf(err, err_size, CCF_ERR_IO, "%s: write: %s", a->path, strerror(errno));
        done += (size_t)n;
    }
    return CCF_OK;
}

ccf_err ccf_atomic_file_commit(ccf_atomic_file *a, bool no_replace, char *err, size_t err_size)
{
    ccf_err rc = CCF_OK;
    if (fsync(a->fd) != 0)
        rc = ccf_errf(err, err_size, CCF_ERR_IO, "%s: fsync: %s", a->path, strerror(errno));
    else if (no_replace && link(a->tmp, a->path) != 0)
        rc = ccf_errf(err, err_size, CCF_ERR_IO, "%s: %s", a->path,
                      errno == EEXIST ? "exists already (not overwritten)" : strerror(errno));
    else if (!no_replace && rename(a->tmp, a->path) != 0)
        rc = ccf_errf(err, err_size, CCF_ERR_IO, "%s: rename: %s", a->path, strerror(errno));
    ccf_atomic_file_abandon(a); /* after link() or a failure; after rename() it is gone already */
    return rc;
}

void ccf_atomic_file_abandon(ccf_atomic_file *a)
{
    if (a->fd >= 0)
        close(a->fd);
    a->fd = -1;
    if (a->tmp[0] != '\0')
        unlink(a->tmp);
    a->tmp[0] = '\0';
}

ccf_err ccf_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                              bool no_replace, char *err, size_t err_size)
{
    ccf_atomic_file a;
    ccf_err rc = ccf_atomic_file_open(&a, path, mode, err, err_size);
    if (rc == CCF_OK && (rc = ccf_atomic_file_write(&a, data, len, err, err_size)) == CCF_OK)
        return ccf_atomic_file_commit(&a, no_replace, err, err_size);
    ccf_atomic_file_abandon(&a);
    return rc;
}

bool ccf_file_name_plain(const char *name)
{
    const char *c = name;
    if (*name == '\0' || *name == '/')
        return false;
    for (const char *p = name;; p++) {
        if (*p == '/' || *p == '\0') {
            size_t n = (size_t)(p - c);
            if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
                return false;
            if (*p == '\0')
                return true;
            c = p + 1;
        }
    }
}
