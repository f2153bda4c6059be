/* libFuzzer harness for S3 error documents (src/s3stream/s3.h): whatever
 * parses has a non-empty code and NUL-terminated fields within their size. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "s3stream/s3.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ccf_s3_error e;
    if (ccf_s3_error_parse((const char *)data, size, &e) != CCF_OK)
        return 0;
    if (e.code[0] == '\0' || strnlen(e.code, sizeof e.code) == sizeof e.code ||
        strnlen(e.message, sizeof e.message) == sizeof e.message ||
        strnlen(e.region, sizeof e.region) == sizeof e.region)
        abort();
    return 0;
}
