/* libFuzzer harness for the video function's YUV4MPEG2 line parsers
 * (examples/video-detect/y4m.c, the same source detect.wasm is built from): the input is
 * parsed both as a stream header and as a FRAME line. What parses has a size in range,
 * consistent plane sizes and a supported colour space; what does not has a reason. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "y4m.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int is_supported(const char *cs)
{
    return strcmp(cs, "420jpeg") == 0 || strcmp(cs, "420mpeg2") == 0 ||
           strcmp(cs, "420paldv") == 0 || strcmp(cs, "420") == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct y4m_info info;
    char why[128];
    const char *line = (const char *)data;

    why[0] = '\0';
    int rc = y4m_parse_header(line, size, &info, why, sizeof why);
    if (rc == Y4M_OK) {
        if (size >= Y4M_MAX_LINE || memchr(line, '\n', size) || info.width < 1 ||
            info.width > Y4M_MAX_DIM || info.height < 1 || info.height > Y4M_MAX_DIM ||
            info.luma_size != info.width * info.height ||
            info.chroma_size != 2 * ((info.width + 1) / 2) * ((info.height + 1) / 2) ||
            !is_supported(info.colorspace) || (info.fps_num == 0) != (info.fps_den == 0) ||
            (info.aspect_num == 0) != (info.aspect_den == 0) ||
            (info.interlace && !strchr("ptbm?", info.interlace)))
            abort();
    } else if ((rc != Y4M_BAD && rc != Y4M_UNSUPPORTED) || why[0] == '\0' ||
               strnlen(why, sizeof why) == sizeof why) {
        abort();
    }

    why[0] = '\0';
    rc = y4m_parse_frame(line, size, why, sizeof why);
    if (rc == Y4M_OK) {
        if (size < 5 || size >= Y4M_MAX_LINE || memcmp(line, "FRAME", 5) != 0 ||
            memchr(line, '\n', size))
            abort();
    } else if (rc != Y4M_BAD || why[0] == '\0') {
        abort();
    }
    return 0;
}
