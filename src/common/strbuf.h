/*
 * Text appended into a caller's fixed buffer that keeps counting past its end, so a writer
 * can learn how large a buffer it needs (snprintf's convention for a whole document).
 */
#ifndef SPOD_COMMON_STRBUF_H
#define SPOD_COMMON_STRBUF_H

#include <stddef.h>

struct spod_strbuf {
	char *buf;  /* may be NULL when cap is 0 */
	size_t cap; /* bytes of buf */
	size_t len; /* bytes appended so far, also those that did not fit */
};

/* Appends printf-formatted text; buf stays NUL-terminated when cap > 0. */
void spod_strbuf_put(struct spod_strbuf *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), nonnull(1, 2)));

#endif
