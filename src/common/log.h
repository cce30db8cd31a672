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

/*
 * A message that can repeat without bound (one per connection, request or failed system
 * call) goes through a limiter: it is logged at most once per interval_ms, and the lines held
 * back meanwhile are counted and said at the end of the next one that is logged ("; 41 more
 * like this in between"). One zero-initialised limiter per call site (static storage);
 * safe from several threads.
 */
struct spod_log_limit {
	_Atomic unsigned long long next_ns; /* CLOCK_MONOTONIC before which lines are held back */
	_Atomic unsigned long long held;    /* lines held back since the last one logged */
};

void spod_log_limited(struct spod_log_limit *lim, unsigned interval_ms, enum spod_log_level level,
                      const char *fmt, ...) __attribute__((format(printf, 4, 5), nonnull(1, 4)));

#define SPOD_LOG_EVERY_MS 1000u /* the usual interval of a limited message */

#define spod_debug(...) spod_log(SPOD_LOG_DEBUG, __VA_ARGS__)
#define spod_info(...)  spod_log(SPOD_LOG_INFO, __VA_ARGS__)
#define spod_warn(...)  spod_log(SPOD_LOG_WARN, __VA_ARGS__)
#define spod_error(...) spod_log(SPOD_LOG_ERROR, __VA_ARGS__)

#endif
