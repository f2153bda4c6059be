/* One log line per event, as JSON on stderr, in the form the services' request
 * log uses: {"time": RFC 3339 UTC with milliseconds, "service", "event", ...}.
 * `ccfaas up` writes only such lines, so its log can be read by any JSON tool.
 * Never pass secrets (tokens, keys, file contents): every member is logged. */
#ifndef CCF_COMMON_LOG_H
#define CCF_COMMON_LOG_H

#define CCF_LOG_TIME_LEN 64 /* room for any year gmtime_r can give */

/* The current time as "YYYY-MM-DDTHH:MM:SS.mmmZ". */
void ccf_log_time(char buf[CCF_LOG_TIME_LEN]);

/* {"time", "service": service, "event": the formatted message} on stderr, one
 * line, written with one call so that lines of concurrent threads never mix. */
void ccf_log_event(const char *service, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), nonnull(1, 2)));

#endif
