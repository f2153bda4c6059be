#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <jansson.h>

void ccf_log_time(char buf[CCF_LOG_TIME_LEN])
{
    struct timespec wall;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &wall);
    gmtime_r(&wall.tv_sec, &tm);
    snprintf(buf, CCF_LOG_TIME_LEN, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             wall.tv_nsec / 1000000L);
}

void ccf_log_event(const char *service, const char *fmt, ...)
{
    char ts[CCF_LOG_TIME_LEN], msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ccf_log_time(ts);
    /* jansson escapes what the message holds (quotes, control characters)
     * and refuses bytes that are not UTF-8, which are then not logged raw */
    json_t *line = json_pack("{s:s,s:s,s:s}", "time", ts, "service", service, "event", msg);
    char *text = line ? json_dumps(line, JSON_COMPACT) : NULL;
    if (text != NULL)
        fprintf(stderr, "%s\n", text);
    else /* not UTF-8: still one JSON line, without the message */
        fprintf(stderr, "{\"time\":\"%s\",\"event\":\"(message not UTF-8)\"}\n", ts);
    free(text);
    json_decref(line);
}
