/* PLACEHOLDER (issue 7 in progress): replaced by the real service this session. */
#include "vaas/vaas.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ccf_err ccf_vaas_new(const ccf_vaas_config *cfg, ccf_vaas **out, char *err, size_t err_size)
{
    (void)cfg;
    *out = NULL;
    return ccf_errf(err, err_size, CCF_ERR_UNSUPPORTED, "VaaS not built yet");
}
ccf_err ccf_vaas_mount(ccf_vaas *vaas, ccf_http_server *srv)
{
    (void)vaas;
    (void)srv;
    return CCF_ERR_UNSUPPORTED;
}
size_t ccf_vaas_live_count(ccf_vaas *vaas)
{
    (void)vaas;
    return 0;
}
void ccf_vaas_free(ccf_vaas *vaas) { (void)vaas; }
