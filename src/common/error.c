#include "common/error.h"

#include <stdarg.h>
#include <stdio.h>

const char *ccf_strerror(ccf_err err)
{
    switch (err) {
    case CCF_OK: return "success";
    case CCF_ERR_INVALID: return "invalid input";
    case CCF_ERR_NOMEM: return "out of memory";
    case CCF_ERR_IO: return "input/output error";
    case CCF_ERR_TOO_LARGE: return "too large";
    case CCF_ERR_NOT_FOUND: return "not found";
    case CCF_ERR_DENIED: return "permission denied";
    case CCF_ERR_CRYPTO: return "cryptographic operation failed";
    case CCF_ERR_UNSUPPORTED: return "not supported";
    case CCF_ERR_INTERNAL: return "internal error";
    case CCF_ERR_CONFLICT: return "conflict";
    case CCF_ERR_BUSY: return "busy";
    case CCF_ERR_EXHAUSTED: return "resource exhausted";
    case CCF_ERR_UPSTREAM: return "upstream service failed";
    }
    return "unknown error";
}

ccf_err ccf_errf(char *buf, size_t size, ccf_err err, const char *fmt, ...)
{
    if (buf != NULL && size > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, size, fmt, ap);
        va_end(ap);
    }
    return err;
}
