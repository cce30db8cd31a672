/* The end of a request header, or of a TLS ClientHello record, in arriving bytes (head.h). */
#include "host/http/head.h"

#include <string.h>

#define TLS_HANDSHAKE 22u /* TLS record content type of a ClientHello */

/* Where the HTTP scanner is. */
enum {
	LEAD,    /* before the request line: blank lines are skipped */
	LINE,    /* inside a line */
	LF,      /* just after the LF ending a non-empty line */
	LF_CR,   /* after that LF, a CR: an LF now ends the header */
	HEAD_END /* the empty line was seen */
};

void spod_http_head_init(struct spod_http_head *s, int tls)
{
	memset(s, 0, sizeof(*s));
	s->tls = tls;
	s->state = LEAD;
}

static enum spod_http_head_result feed_http(struct spod_http_head *s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];

		if (s->seen + i == SPOD_HTTP_HEAD_MAX_BYTES)
			return SPOD_HTTP_HEAD_TOO_LONG;
		switch (s->state) {
		case LEAD:
			s->state = c == '\r' || c == '\n' ? LEAD : LINE;
			break;
		case LINE:
			s->state = c == '\n' ? LF : LINE;
			break;
		case LF:
			s->state = c == '\n' ? HEAD_END : c == '\r' ? LF_CR : LINE;
			break;
		default: /* LF_CR */
			s->state = c == '\n' ? HEAD_END : LINE;
			break;
		}
		if (s->state == HEAD_END)
			return SPOD_HTTP_HEAD_DONE;
	}
	s->seen += n;
	return SPOD_HTTP_HEAD_MORE;
}

static enum spod_http_head_result feed_tls(struct spod_http_head *s, const uint8_t *p, size_t n)
{
	size_t take;

	if (s->seen < SPOD_HTTP_TLS_RECORD_BYTES) {
		take = SPOD_HTTP_TLS_RECORD_BYTES - s->seen;
		take = n < take ? n : take;
		memcpy(s->rec + s->seen, p, take);
		if (s->seen == 0 && take > 0 && s->rec[0] != TLS_HANDSHAKE) {
			s->state = HEAD_END;
			return SPOD_HTTP_HEAD_DONE;
		}
		if (s->seen + take == SPOD_HTTP_TLS_RECORD_BYTES)
			s->tls_need = SPOD_HTTP_TLS_RECORD_BYTES +
			              ((size_t)s->rec[3] << 8 | (size_t)s->rec[4]);
	}
	/* Nothing long arrives before the end is known: the first five bytes set it. */
	if (s->tls_need > SPOD_HTTP_TLS_FIRST_MAX_BYTES)
		return SPOD_HTTP_HEAD_TOO_LONG;
	s->seen += n;
	if (s->tls_need > 0 && s->seen >= s->tls_need) {
		s->state = HEAD_END;
		return SPOD_HTTP_HEAD_DONE;
	}
	return SPOD_HTTP_HEAD_MORE;
}

enum spod_http_head_result spod_http_head_feed(struct spod_http_head *s, const uint8_t *p, size_t n)
{
	if (s->state == HEAD_END)
		return SPOD_HTTP_HEAD_DONE;
	if (n == 0)
		return SPOD_HTTP_HEAD_MORE;
	return s->tls ? feed_tls(s, p, n) : feed_http(s, p, n);
}
