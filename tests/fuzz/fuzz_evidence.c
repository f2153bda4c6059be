/* libFuzzer harness: the `linux` evidence parser (untrusted bytes from any
 * runtime reach it through POST /attest/linux). Parsed evidence is also
 * re-encoded and re-parsed: the round trip must be exact. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attest/evidence.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ccf_evidence ev, back;
    char err[256], *text = NULL;
    if (ccf_evidence_parse((const char *)data, size, &ev, err, sizeof err) != CCF_OK)
        return 0;
    if (ccf_evidence_encode(&ev, &text) != CCF_OK)
        abort();
    if (ccf_evidence_parse(text, strlen(text), &back, err, sizeof err) != CCF_OK ||
        memcmp(&ev, &back, sizeof ev) != 0)
        abort();
    free(text);
    return 0;
}
