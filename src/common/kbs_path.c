#include "common/kbs_path.h"

#include <string.h>

bool ccf_kbs_path_segment_ok(const char *s, unsigned long n)
{
    if (s == NULL || n == 0 || n > CCF_KBS_PATH_SEGMENT_MAX || (n == 1 && s[0] == '.') ||
        (n == 2 && s[0] == '.' && s[1] == '.'))
        return false;
    for (unsigned long i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

bool ccf_kbs_path_ok(const char *path)
{
    const char *p = path;
    for (int i = 0; i < 3; i++) {
        const char *slash = strchr(p, '/');
        size_t n = slash != NULL ? (size_t)(slash - p) : strlen(p);
        if (!ccf_kbs_path_segment_ok(p, n) || (i < 2) != (slash != NULL))
            return false;
        p = slash != NULL ? slash + 1 : p + n;
    }
    return true;
}
