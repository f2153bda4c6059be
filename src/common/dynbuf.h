/* A growable byte buffer with a hard cap, for bytes that arrive in pieces
 * from the network (request and reply bodies): it fails cleanly at its cap
 * instead of growing without bound (DESIGN §9, as curl's dynbuf).
 *
 * Ownership: the buffer owns p; ccf_dynbuf_free() releases it (the struct
 * itself is the caller's). The bytes are always followed by a NUL that len
 * does not count, so text can be used as a C string. */
#ifndef CCF_COMMON_DYNBUF_H
#define CCF_COMMON_DYNBUF_H

#include <stdarg.h>
#include <stddef.h>

#include "common/error.h"

typedef struct {
    char *p;    /* NULL while empty */
    size_t len; /* bytes held */
    size_t cap; /* bytes allocated */
    size_t max; /* most bytes it may hold */
} ccf_dynbuf;

/* An empty buffer that holds at most max bytes. */
void ccf_dynbuf_init(ccf_dynbuf *b, size_t max);

/* Appends n bytes. CCF_ERR_TOO_LARGE when that would pass max, CCF_ERR_NOMEM
 * when memory runs out; in both cases the buffer is unchanged. */
ccf_err ccf_dynbuf_add(ccf_dynbuf *b, const void *data, size_t n)
    __attribute__((warn_unused_result));

/* Appends printf-formatted text (without its NUL; the buffer stays
 * NUL-terminated). Same failures as ccf_dynbuf_add, and CCF_ERR_INVALID for
 * a format error; in every failure the buffer is unchanged. */
ccf_err ccf_dynbuf_vaddf(ccf_dynbuf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0), warn_unused_result));
ccf_err ccf_dynbuf_addf(ccf_dynbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), warn_unused_result));

/* Releases the bytes: the buffer is empty again, with the same max. */
/* Wipes the contents (they may be user data: request bodies, replies) and
 * frees them; growing wipes the old block the same way. */
void ccf_dynbuf_free(ccf_dynbuf *b);

#endif
