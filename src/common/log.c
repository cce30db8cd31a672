#include "common/log.h"

#include "spod/err.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *log_proc = "spod";
static enum spod_log_level log_min = SPOD_LOG_INFO;

void spod_log_init(const char *proc, enum spod_log_level min_level)
{
	log_proc = proc;
	log_min = min_level;
}

int spod_log_level_parse(enum spod_log_level *out, const char *name)
{
	static const char *const names[] = {"debug", "info", "warn", "error"};

	for (int i = 0; i < 4; i++) {
		if (strcmp(name, names[i]) == 0) {
			*out = (enum spod_log_level)i;
			return SPOD_OK;
		}
	}
	return SPOD_E_BAD_ARG;
}

/* Writes one line: the time, the process tag, the level, the message and an optional tail. */
static void log_line(enum spod_log_level level, const char *tail, const char *fmt, va_list ap)
{
	static const char *const names[] = {"DEBUG", "INFO", "WARN", "ERROR"};
	char line[512];
	struct timespec ts;
	struct tm tm;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s ",
	             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	             ts.tv_nsec / 1000000, log_proc, names[level]);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	fprintf(stderr, "%s%s\n", line, tail);
}

void spod_log(enum spod_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level < log_min)
		return;
	va_start(ap, fmt);
	log_line(level, "", fmt, ap);
	va_end(ap);
}

void spod_log_limited(struct spod_log_limit *lim, unsigned interval_ms, enum spod_log_level level,
                      const char *fmt, ...)
{
	unsigned long long now, next, held;
	struct timespec ts;
	char tail[64] = "";
	va_list ap;

	if (level < log_min)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
	next = atomic_load(&lim->next_ns);
	/* One thread wins the interval; the others count themselves as held back. */
	if (now < next ||
	    !atomic_compare_exchange_strong(&lim->next_ns, &next,
	                                    now + (unsigned long long)interval_ms * 1000000ull)) {
		atomic_fetch_add(&lim->held, 1);
		return;
	}
	held = atomic_exchange(&lim->held, 0);
	if (held > 0)
		snprintf(tail, sizeof(tail), "; %llu more like this in between", held);
	va_start(ap, fmt);
	log_line(level, tail, fmt, ap);
	va_end(ap);
}
