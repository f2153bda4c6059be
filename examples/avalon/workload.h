/* Shared by the Avalon example workloads (README.md here): the work order's
 * first in-data item is the file workorder/in-0 (decrypted by the runtime),
 * the result goes to workorder/out (encrypted by the runtime). A workload
 * that fails exits 1 with a message on stderr and writes nothing, as
 * Avalon's Python workloads return False. */
#ifndef AVALON_WORKLOAD_H
#define AVALON_WORKLOAD_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WL_MAX_INPUT (64u * 1024u)

/* The whole of workorder/in-0, NUL-terminated; exits 1 on failure. */
static inline char *wl_read_input(size_t *len)
{
    static char buf[WL_MAX_INPUT + 1];
    FILE *f = fopen("workorder/in-0", "rb");
    if (f == NULL) {
        fprintf(stderr, "workorder/in-0: %s\n", strerror(errno));
        exit(1);
    }
    *len = fread(buf, 1, WL_MAX_INPUT + 1, f);
    fclose(f);
    if (*len > WL_MAX_INPUT) {
        fprintf(stderr, "workorder/in-0: more than %u bytes\n", WL_MAX_INPUT);
        exit(1);
    }
    buf[*len] = '\0';
    return buf;
}

static inline void wl_write_output(const char *s, size_t len)
{
    FILE *f = fopen("workorder/out", "wb");
    if (f == NULL || fwrite(s, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "workorder/out: cannot write\n");
        exit(1);
    }
}

/* Whether s[0..len) is UTF-8 (Python's bytes.decode("UTF-8") accepts it):
 * no overlong forms, no surrogates, nothing above U+10FFFF. */
static inline bool wl_utf8_valid(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i], n, min;
        uint32_t cp;
        if (c < 0x80) { i++; continue; }
        if ((c & 0xE0) == 0xC0) { n = 1; cp = c & 0x1F; min = 0x80; }
        else if ((c & 0xF0) == 0xE0) { n = 2; cp = c & 0x0F; min = 0x800; }
        else if ((c & 0xF8) == 0xF0) { n = 3; cp = c & 0x07; min = 0x10000; }
        else return false;
        for (unsigned k = 1; k <= n; k++) {
            if (i + k >= len || (s[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += n + 1;
    }
    return true;
}

/* Python's int(s) for s in 0..INT64 range: surrounding whitespace, a sign,
 * decimal digits with single underscores between them. false when Python
 * would raise ValueError or the value does not fit in int64 (Python would
 * go on with a big integer: these workloads refuse it, README.md). */
static inline bool wl_py_int(const char *s, size_t len, int64_t *out)
{
    size_t i = 0, end = len;
    bool neg = false, digit = false;
    unsigned __int128 v = 0;
    while (i < end && strchr(" \t\n\r\v\f", s[i]) != NULL && s[i] != '\0')
        i++;
    while (end > i && strchr(" \t\n\r\v\f", s[end - 1]) != NULL && s[end - 1] != '\0')
        end--;
    if (i < end && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    for (; i < end; i++) {
        if (s[i] == '_' && digit && i + 1 < end && s[i + 1] >= '0' && s[i + 1] <= '9')
            continue;
        if (s[i] < '0' || s[i] > '9')
            return false;
        digit = true;
        v = v * 10 + (unsigned)(s[i] - '0');
        if (v > (unsigned __int128)INT64_MAX + 1)
            return false;
    }
    if (!digit || (!neg && v > INT64_MAX))
        return false;
    *out = neg ? (int64_t)(0 - (uint64_t)v) : (int64_t)v;
    return true;
}

#endif
