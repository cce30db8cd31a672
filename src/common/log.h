/*
 * Minimal logging to stderr: one line per event, "spod-<proc> LEVEL message".
 * Never pass key material or signed payloads to these functions.
 */
#ifndef SPOD_COMMON_LOG_H
#define SPOD_COMMON_LOG_H

enum spod_log_level { SPOD_LOG_DEBUG, SPOD_LOG_INFO, SPOD_LOG_WARN, SPOD_LOG_ERROR };

/* Sets the process tag printed on every line (string must outlive the process). */
void spod_log_init(const char *proc, enum spod_log_level min_level);

/* "debug", "info", "warn" or "error" into *out; returns SPOD_OK or SPOD_E_BAD_ARG. */
int spod_log_level_parse(enum spod_log_level *out, const char *name)
    __attribute__((warn_unused_result, nonnull));

void spod_log(enum spod_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define spod_debug(...) spod_log(SPOD_LOG_DEBUG, __VA_ARGS__)
#define spod_info(...)  spod_log(SPOD_LOG_INFO, __VA_ARGS__)
#define spod_warn(...)  spod_log(SPOD_LOG_WARN, __VA_ARGS__)
#define spod_error(...) spod_log(SPOD_LOG_ERROR, __VA_ARGS__)

#endif
