/* UTC timestamps (see utc.h). */
#include "common/utc.h"

#include <stdio.h>
#include <string.h>

void ccf_utc_format(time_t t, char buf[CCF_UTC_LEN])
{
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || strftime(buf, CCF_UTC_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, CCF_UTC_LEN, "@%lld", (long long)t);
}

bool ccf_utc_parse(const char *s, time_t *out)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
    struct tm tm = {0};
    int y, mo, d, h, mi, se, used = 0;
    if (s == NULL || strlen(s) != sizeof shape - 1)
        return false;
    for (size_t i = 0; i < sizeof shape - 1; i++)
        if (shape[i] == 'd' ? s[i] < '0' || s[i] > '9' : s[i] != shape[i])
            return false;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &se, &used) != 6 ||
        used != 20 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60 ||
        y < 1970)
        return false;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    *out = timegm(&tm);
    return *out >= 0;
}
