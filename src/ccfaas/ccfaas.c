/* PLACEHOLDER (issue 7 in progress): replaced by the real service this session. */
#include "ccfaas/ccfaas.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ccf_err ccf_ccfaas_new(const ccf_ccfaas_config *cfg, ccf_ccfaas **out, char *err, size_t err_size)
{
    (void)cfg;
    *out = NULL;
    return ccf_errf(err, err_size, CCF_ERR_UNSUPPORTED, "CCFaaS not built yet");
}
ccf_err ccf_ccfaas_mount(ccf_ccfaas *svc, ccf_http_server *srv)
{
    (void)svc;
    (void)srv;
    return CCF_ERR_UNSUPPORTED;
}
void ccf_ccfaas_free(ccf_ccfaas *svc) { (void)svc; }
