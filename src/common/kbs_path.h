/* Key broker resource paths (Trustee's REPOSITORY/TYPE/TAG), shared by the
 * KBS, the policy's references to resources and the encrypted envelope: one
 * rule for what a path may hold (docs/kbs.md). */
#ifndef CCF_COMMON_KBS_PATH_H
#define CCF_COMMON_KBS_PATH_H

#include <stdbool.h>

#define CCF_KBS_PATH_SEGMENT_MAX 128 /* bytes of one segment */
#define CCF_KBS_PATH_MAX (3 * CCF_KBS_PATH_SEGMENT_MAX + 2)

/* One segment: 1..128 of [A-Za-z0-9._-], not "." or "..". */
bool ccf_kbs_path_segment_ok(const char *s, unsigned long len);
/* A whole path: exactly three such segments joined by '/'. */
bool ccf_kbs_path_ok(const char *path);

#endif
