/* libFuzzer: the `ccfaas` config file parser (client/settings.h). */
#include <stddef.h>
#include <stdint.h>

#include "client/settings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ccf_settings s;
    char err[256];
    if (ccf_settings_parse((const char *)data, size, "/d", &s, err, sizeof err) == CCF_OK)
        ccf_settings_free(&s);
    return 0;
}
