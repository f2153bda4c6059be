/* The regular files of an image layer (tar, plain or gzip) through libarchive (oci.h). */
#include <archive.h>
#include <archive_entry.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "oci/oci.h"

ccf_err ccf_oci_layer_diff_id(const uint8_t *layer, size_t len, size_t max,
                              char hex[CCF_SHA256_HEX_LEN + 1], char *err, size_t err_size)
{
    struct archive *a = archive_read_new();
    struct archive_entry *e;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    uint8_t buf[64 * 1024], digest[CCF_SHA256_LEN];
    size_t total = 0;
    ccf_err rc = CCF_OK;
    hex[0] = '\0';
    if (a == NULL || md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        rc = ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
        goto out;
    }
    /* the raw format: the bytes after the filters, whatever they are, hashed as they come */
    archive_read_support_filter_gzip(a);
    archive_read_support_filter_none(a);
    archive_read_support_format_raw(a);
    if (archive_read_open_memory(a, layer, len) != ARCHIVE_OK ||
        archive_read_next_header(a, &e) != ARCHIVE_OK) {
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "layer: %s", archive_error_string(a));
        goto out;
    }
    for (;;) {
        la_ssize_t got = archive_read_data(a, buf, sizeof buf);
        if (got < 0) {
            rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "layer: %s", archive_error_string(a));
            goto out;
        }
        if (got == 0)
            break;
        if ((total += (size_t)got) > max) {
            rc = ccf_errf(err, err_size, CCF_ERR_TOO_LARGE, "layer: its tar is over the %zu "
                          "bytes allowed", max);
            goto out;
        }
        if (EVP_DigestUpdate(md, buf, (size_t)got) != 1) {
            rc = ccf_errf(err, err_size, CCF_ERR_CRYPTO, "SHA-256 failed");
            goto out;
        }
    }
    if (EVP_DigestFinal_ex(md, digest, NULL) != 1) {
        rc = ccf_errf(err, err_size, CCF_ERR_CRYPTO, "SHA-256 failed");
        goto out;
    }
    ccf_hex_encode(digest, sizeof digest, hex);
out:
    OPENSSL_cleanse(buf, sizeof buf);
    EVP_MD_CTX_free(md);
    archive_read_free(a);
    return rc;
}

ccf_err ccf_oci_layer_files(const uint8_t *layer, size_t len, size_t max_file, ccf_oci_file_fn fn,
                            void *ctx, char *err, size_t err_size)
{
    struct archive *a = archive_read_new();
    struct archive_entry *e;
    uint8_t *buf = NULL;
    ccf_err rc = CCF_OK;
    int r;
    if (a == NULL)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    archive_read_support_filter_gzip(a);
    archive_read_support_filter_none(a);
    archive_read_support_format_tar(a);
    if (archive_read_open_memory(a, layer, len) != ARCHIVE_OK) {
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "layer: %s", archive_error_string(a));
        goto out;
    }
    while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
        const char *path = archive_entry_pathname(e);
        if (path == NULL || archive_entry_filetype(e) != AE_IFREG)
            continue;
        while (path[0] == '.' && path[1] == '/')
            path += 2;
        while (path[0] == '/')
            path++;
        const char *base = strrchr(path, '/');
        if (strncmp(base ? base + 1 : path, ".wh.", 4) == 0 || path[0] == '\0')
            continue; /* whiteouts delete files of lower layers: nothing to give */
        int64_t size = archive_entry_size(e);
        if (size < 0 || (uint64_t)size > max_file) {
            rc = ccf_errf(err, err_size, CCF_ERR_TOO_LARGE, "layer file %.200s: %lld bytes, over "
                          "the %zu allowed", path, (long long)size, max_file);
            goto out;
        }
        free(buf);
        if ((buf = malloc(size > 0 ? (size_t)size : 1)) == NULL) {
            rc = ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
            goto out;
        }
        size_t have = 0; /* archive_read_data may give less than asked: loop */
        while (have < (size_t)size) {
            la_ssize_t got = archive_read_data(a, buf + have, (size_t)size - have);
            if (got <= 0) {
                rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "layer file %.200s: %s", path,
                              got < 0 ? archive_error_string(a) : "truncated");
                goto out;
            }
            have += (size_t)got;
        }
        if (!fn(path, &buf, (size_t)size, ctx)) /* buf may be taken: NULL then */
            goto out;
    }
    if (r != ARCHIVE_EOF)
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "layer: %s", archive_error_string(a));
out:
    free(buf);
    archive_read_free(a);
    return rc;
}
