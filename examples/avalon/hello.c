/* python-hello as a WebAssembly workload: "Hello " + the first in-data item
 * (Avalon SCONE worker's workload/hello.py). */
#include "workload.h"

int main(void)
{
    size_t len;
    const char *in = wl_read_input(&len);
    static char out[WL_MAX_INPUT + 7];
    if (!wl_utf8_valid((const unsigned char *)in, len)) {
        fprintf(stderr, "Error processing Hello workload : input is not UTF-8\n");
        return 1;
    }
    memcpy(out, "Hello ", 6);
    memcpy(out + 6, in, len);
    wl_write_output(out, len + 6);
    return 0;
}
