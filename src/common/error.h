/* ccfaas error codes shared by every component. Detail text goes in a
 * caller-provided buffer next to the code, never in a global. */
#ifndef CCF_COMMON_ERROR_H
#define CCF_COMMON_ERROR_H

#include <stddef.h>

typedef enum {
    CCF_OK = 0,
    CCF_ERR_INVALID,      /* input does not satisfy a format or rule */
    CCF_ERR_NOMEM,        /* allocation failed */
    CCF_ERR_IO,           /* read/write of a file or socket failed */
    CCF_ERR_TOO_LARGE,    /* input exceeds a configured cap */
    CCF_ERR_NOT_FOUND,    /* named thing does not exist */
    CCF_ERR_DENIED,       /* a right or identity check refused */
    CCF_ERR_CRYPTO,       /* OpenSSL reported a failure */
    CCF_ERR_UNSUPPORTED,  /* valid request, not offered (yet) */
    CCF_ERR_INTERNAL,     /* a bug: an invariant did not hold */
    CCF_ERR_CONFLICT,     /* valid, but clashes with the current state (exists, pinned hash) */
    CCF_ERR_BUSY,         /* out of a short-lived resource: retry later */
    CCF_ERR_EXHAUSTED,    /* out of a lasting resource (ports, instance slots) */
    CCF_ERR_UPSTREAM      /* a service this one relies on failed or refused */
} ccf_err;

/* Over the wire each error is one HTTP status and error code: the table is in
 * net/status.h (ccf_http_status_of, ccf_http_code_of). */

/* Static, never NULL. */
const char *ccf_strerror(ccf_err err);

/* printf into buf (always NUL-terminated when size > 0); returns err so
 * callers can write `return ccf_errf(buf, n, CCF_ERR_IO, "...", ...)`. */
ccf_err ccf_errf(char *buf, size_t size, ccf_err err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
