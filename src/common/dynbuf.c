/* Growable byte buffer with a cap (see dynbuf.h). */
#include "common/dynbuf.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ccf_dynbuf_init(ccf_dynbuf *b, size_t max)
{
    b->p = NULL;
    b->len = b->cap = 0;
    b->max = max;
}

ccf_err ccf_dynbuf_add(ccf_dynbuf *b, const void *data, size_t n)
{
    if (n > b->max - b->len)
        return CCF_ERR_TOO_LARGE;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n + 1)
            cap *= 2;
        if (cap > b->max + 1) /* never more than the cap allows */
            cap = b->max + 1;
        /* not realloc: the old block is wiped before it is freed */
        char *p = malloc(cap);
        if (p == NULL)
            return CCF_ERR_NOMEM;
        if (b->len > 0)
            memcpy(p, b->p, b->len);
        if (b->p != NULL)
            OPENSSL_cleanse(b->p, b->cap);
        free(b->p);
        b->p = p;
        b->cap = cap;
    }
    if (n > 0)
        memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
    return CCF_OK;
}

ccf_err ccf_dynbuf_vaddf(ccf_dynbuf *b, const char *fmt, va_list ap)
{
    char small[256];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return CCF_ERR_INVALID;
    if ((size_t)n < sizeof small)
        return ccf_dynbuf_add(b, small, (size_t)n);
    /* longer text: formatted into its own allocation, after the cap check */
    if ((size_t)n > b->max - b->len)
        return CCF_ERR_TOO_LARGE;
    char *tmp = malloc((size_t)n + 1);
    if (tmp == NULL)
        return CCF_ERR_NOMEM;
    vsnprintf(tmp, (size_t)n + 1, fmt, ap);
    ccf_err rc = ccf_dynbuf_add(b, tmp, (size_t)n);
    free(tmp);
    return rc;
}

ccf_err ccf_dynbuf_addf(ccf_dynbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ccf_err rc = ccf_dynbuf_vaddf(b, fmt, ap);
    va_end(ap);
    return rc;
}

void ccf_dynbuf_free(ccf_dynbuf *b)
{
    /* request bodies and replies carry user data: wiped before they are freed */
    if (b->p != NULL)
        OPENSSL_cleanse(b->p, b->cap);
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}
