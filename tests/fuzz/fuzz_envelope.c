/* libFuzzer harness for src/envelope: the input is an envelope; it is parsed
 * and opened with a fixed key (seeds in corpus/fuzz_envelope were sealed with
 * it, so they reach the decryption). Whatever opens must hash right. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "envelope/envelope.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t key[32] = {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                                    0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                                    0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                                    0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11};
    char err[256], sha[CCF_SHA256_HEX_LEN + 1];
    ccf_envelope_info info;
    uint8_t *plain = NULL;
    if (ccf_envelope_parse(data, size, &info, err, sizeof err) != CCF_OK)
        return 0;
    if (ccf_envelope_open(key, data, size, &plain, &info, err, sizeof err) == CCF_OK) {
        if (!ccf_sha256_hex(plain, (size_t)info.plaintext_size, sha) ||
            strcmp(sha, info.plaintext_sha256) != 0)
            abort(); /* opened, but not what the header promised */
        ccf_envelope_free(plain, (size_t)info.plaintext_size);
    }
    return 0;
}
