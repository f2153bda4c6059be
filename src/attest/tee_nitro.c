#include "attest/tee_internal.h"
ccf_err ccf_tee_nitro_verify(const uint8_t *ev, size_t len, const ccf_tee_verify_opts *o,
                           ccf_tee_claims *c, char *err, size_t n)
{
    (void)ev; (void)len; (void)o; (void)c;
    return ccf_errf(err, n, CCF_ERR_UNSUPPORTED, "nitro: not implemented yet");
}
