/* Error -> (HTTP status, code) table (see status.h). */
#include "net/status.h"

static const struct {
    ccf_err err;
    int status;
    const char *code;
} table[] = {
    {CCF_OK, 200, "ok"},
    {CCF_ERR_INVALID, 400, "bad_request"},
    {CCF_ERR_DENIED, 403, "forbidden"},
    {CCF_ERR_NOT_FOUND, 404, "not_found"},
    {CCF_ERR_CONFLICT, 409, "conflict"},
    {CCF_ERR_TOO_LARGE, 413, "too_large"},
    {CCF_ERR_NOMEM, 500, "internal"},
    {CCF_ERR_IO, 500, "internal"},
    {CCF_ERR_CRYPTO, 500, "internal"},
    {CCF_ERR_INTERNAL, 500, "internal"},
    {CCF_ERR_UNSUPPORTED, 501, "unsupported"},
    {CCF_ERR_UPSTREAM, 502, "upstream_failed"},
    {CCF_ERR_BUSY, 503, "busy"},
    {CCF_ERR_EXHAUSTED, 507, "no_capacity"},
};

int ccf_http_status_of(ccf_err err)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (table[i].err == err)
            return table[i].status;
    return 500;
}

const char *ccf_http_code_of(ccf_err err)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (table[i].err == err)
            return table[i].code;
    return "internal";
}
