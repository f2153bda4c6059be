/* libFuzzer harness for the whole plaintext path of the video function
 * (examples/video-detect/detect.c, included as it is, its main renamed): the input is a
 * video file, read through the same reader, y4m parsers, background model, morphology and
 * labelling as detect does, with the detections written to /dev/null. Inputs declaring frames
 * larger than 64x64 are skipped (they only cost allocation time; the parser's size limits are
 * fuzz_y4m's). Finds memory errors (ASan),
 * undefined behaviour (UBSan) and an exit status other than 0 (a summary) or 2 (invalid video). */
#define main detect_main
int detect_main(int argc, char **argv);
#include "detect.c"
#undef main

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* skip headers declaring frames larger than 64x64 (cheap pre-parse of the first line) */
    const uint8_t *nl = memchr(data, '\n', size < Y4M_MAX_LINE ? size : Y4M_MAX_LINE);
    struct y4m_info info;
    char why[256];
    if (nl && y4m_parse_header((const char *)data, (size_t)(nl - data), &info, why, sizeof why) ==
                  Y4M_OK &&
        (info.width > 64 || info.height > 64))
        return 0;

    struct reader r = {0};
    struct detector d = {0};
    FILE *out = fopen("/dev/null", "w");
    if (!out)
        abort();
    r.name = "fuzz";
    static uint8_t none[1]; /* fmemopen needs a non-empty buffer */
    r.f = size ? fmemopen((void *)data, size, "rb") : fmemopen(none, sizeof none, "rb");
    r.cap = 4096;
    r.buf = malloc(r.cap);
    if (!r.f || !r.buf)
        abort();
    if (size == 0)
        r.eof = 1; /* and the one byte of `none` is never read */
    int rc = process(&r, out, &d);
    if (rc != EX_OK && rc != EX_INPUT)
        abort();
    fclose(out);
    detector_free(&d);
    reader_free(&r);
    return 0;
}
