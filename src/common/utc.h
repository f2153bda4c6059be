/* UTC timestamps in the one text form ccfaas reads and writes:
 * "YYYY-MM-DDTHH:MM:SSZ" (RFC 3339, seconds, UTC). */
#ifndef CCF_COMMON_UTC_H
#define CCF_COMMON_UTC_H

#include <stdbool.h>
#include <time.h>

#define CCF_UTC_LEN 32 /* buffer size for ccf_utc_format */

/* t as "YYYY-MM-DDTHH:MM:SSZ" into buf; "@SECONDS" when t cannot be shown so. */
void ccf_utc_format(time_t t, char buf[CCF_UTC_LEN]);

/* Parses exactly "YYYY-MM-DDTHH:MM:SSZ" (every field range-checked, years
 * from 1970); false for anything else. */
bool ccf_utc_parse(const char *s, time_t *out) __attribute__((warn_unused_result));

#endif
