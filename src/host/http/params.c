/* Authorization, Content-Type and query parameter parsing (params.h). */
#include "host/http/params.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "spod/err.h"
#include "spod/wire.h"

#define SEEN_CURSOR 0x1u
#define SEEN_LIMIT  0x2u

static int is_token68(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

int spod_http_bearer(const char **token, size_t *token_len, const char *header)
{
	static const char scheme[] = "Bearer";
	const char *p;
	size_t n = 0;

	*token = NULL;
	*token_len = 0;
	if (header == NULL || strncasecmp(header, scheme, sizeof(scheme) - 1) != 0 ||
	    header[sizeof(scheme) - 1] != ' ')
		return SPOD_E_UNAUTHENTICATED;
	p = header + sizeof(scheme) - 1;
	while (*p == ' ')
		p++;
	while (is_token68(p[n]))
		n++;
	if (n == 0)
		return SPOD_E_UNAUTHENTICATED;
	while (p[n] == '=')
		n++;
	if (n > SPOD_TOKEN_MAX_BYTES || p[n] != '\0')
		return SPOD_E_UNAUTHENTICATED;
	*token = p;
	*token_len = n;
	return SPOD_OK;
}

int spod_http_is_json(const char *content_type)
{
	static const char json[] = "application/json";
	const char *p;

	if (content_type == NULL)
		return 0;
	p = content_type;
	while (*p == ' ' || *p == '\t')
		p++;
	if (strncasecmp(p, json, sizeof(json) - 1) != 0)
		return 0;
	p += sizeof(json) - 1;
	while (*p == ' ' || *p == '\t')
		p++;
	return *p == '\0' || *p == ';';
}

void spod_http_list_query_init(struct spod_http_list_query *q)
{
	q->cursor = 0;
	q->limit = SPOD_HTTP_LIST_DEFAULT;
	q->seen = 0;
}

/* A decimal without sign, leading "+" or spaces, at most max. */
static int parse_uint(uint32_t *out, const char *text, uint32_t max)
{
	uint64_t v = 0;
	size_t i = 0;

	if (text == NULL || text[0] == '\0')
		return SPOD_E_BAD_ARG;
	for (; text[i] != '\0'; i++) {
		if (text[i] < '0' || text[i] > '9' || i >= 10)
			return SPOD_E_BAD_ARG;
		v = v * 10 + (uint64_t)(text[i] - '0');
	}
	if (v > max)
		return SPOD_E_BAD_ARG;
	*out = (uint32_t)v;
	return SPOD_OK;
}

__attribute__((format(printf, 2, 3))) static int refuse(struct spod_http_perr *err, const char *fmt,
                                                        ...)
{
	va_list ap;

	err->code = spod_err_name(SPOD_E_BAD_ARG);
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return SPOD_E_BAD_ARG;
}

int spod_http_list_query_add(struct spod_http_list_query *q, struct spod_http_perr *err,
                             const char *name, const char *value)
{
	uint32_t v;

	if (strcmp(name, "cursor") == 0) {
		if (q->seen & SEEN_CURSOR)
			return refuse(err, "cursor: given twice");
		if (parse_uint(&v, value, UINT32_MAX) < 0)
			return refuse(err, "cursor: must be a decimal number from a previous "
			                   "next_cursor");
		q->cursor = v;
		q->seen |= SEEN_CURSOR;
		return SPOD_OK;
	}
	if (strcmp(name, "limit") == 0) {
		if (q->seen & SEEN_LIMIT)
			return refuse(err, "limit: given twice");
		if (parse_uint(&v, value, SPOD_LIST_MAX_ITEMS) < 0 || v == 0)
			return refuse(err, "limit: must be a decimal number from 1 to %u",
			              SPOD_LIST_MAX_ITEMS);
		q->limit = v;
		q->seen |= SEEN_LIMIT;
		return SPOD_OK;
	}
	return refuse(err, "%s: unknown query parameter (cursor and limit are allowed)", name);
}
