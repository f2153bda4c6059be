/* Reads a stream file to its end and writes its length and CRC-32 (IEEE, as
 * zlib's crc32) to `output`: the guest of e2e.stream (docs/policy.md
 * "Streams"). A read error (an upload that broke off) is written as
 * {"error": ...} and exits 3: never a result over a short file.
 * Usage: streamsum [INPUT [OUTPUT]] (defaults: stream, output). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

static uint32_t table[256];

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
}

int main(int argc, char **argv)
{
    const char *in = argc > 1 ? argv[1] : "stream", *out = argc > 2 ? argv[2] : "output";
    static unsigned char buf[65536];
    uint64_t total = 0;
    uint32_t crc = 0xffffffffu;
    int fd = open(in, O_RDONLY), err = 0;
    FILE *o;

    crc_init();
    if (fd < 0) {
        err = errno;
    } else {
        for (;;) {
            ssize_t n = read(fd, buf, sizeof buf);
            if (n < 0) {
                err = errno;
                break;
            }
            if (n == 0)
                break;
            for (ssize_t i = 0; i < n; i++)
                crc = table[(crc ^ buf[i]) & 0xff] ^ (crc >> 8);
            total += (uint64_t)n;
        }
        close(fd);
    }
    if ((o = fopen(out, "w")) == NULL) {
        perror(out);
        return 2;
    }
    if (err != 0)
        fprintf(o, "{\"error\":\"%s\",\"bytes_before\":%llu}\n", strerror(err),
                (unsigned long long)total);
    else
        fprintf(o, "{\"bytes\":%llu,\"crc32\":\"%08x\"}\n", (unsigned long long)total,
                crc ^ 0xffffffffu);
    fclose(o);
    return err != 0 ? 3 : 0;
}
