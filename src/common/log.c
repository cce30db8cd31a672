#include "common/log.h"

#include "spod/err.h"

#include <stdarg.h>
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

void spod_log(enum spod_log_level level, const char *fmt, ...)
{
	static const char *const names[] = {"DEBUG", "INFO", "WARN", "ERROR"};
	char line[512];
	struct timespec ts;
	struct tm tm;
	va_list ap;
	int n;

	if (level < log_min)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s ",
	             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	             ts.tv_nsec / 1000000, log_proc, names[level]);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s\n", line);
}
