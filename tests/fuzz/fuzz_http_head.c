/*
 * libFuzzer target for the gate's request-header detector (src/host/http/head.c).
 *
 * The first input byte chooses HTTP (bit 0 clear) or TLS and seeds the split of the rest
 * into pieces, as a connection's bytes arrive. The first result other than MORE must not
 * depend on the split (whole, one byte at a time, or the seeded pieces) and must equal a
 * reference written here from head.h: HTTP ends at the first empty line after the skipped
 * leading blank lines (LF or CRLF endings) if it lies within SPOD_HTTP_HEAD_MAX_BYTES; TLS
 * ends with the first record's length, or at once for a first byte other than 22. Once
 * DONE, more bytes still give DONE.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "host/http/head.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

#define INPUT_MAX_BYTES (SPOD_HTTP_TLS_FIRST_MAX_BYTES + 64u)

static enum spod_http_head_result ref_http(const uint8_t *p, size_t n)
{
	size_t s = 0;

	while (s < n && (p[s] == '\r' || p[s] == '\n'))
		s++;
	for (size_t i = s + 2; i < n && i < SPOD_HTTP_HEAD_MAX_BYTES; i++) {
		if (p[i] != '\n')
			continue;
		if (p[i - 1] == '\n' && i - 1 >= s + 1)
			return SPOD_HTTP_HEAD_DONE;
		if (p[i - 1] == '\r' && i >= s + 3 && p[i - 2] == '\n')
			return SPOD_HTTP_HEAD_DONE;
	}
	return n > SPOD_HTTP_HEAD_MAX_BYTES ? SPOD_HTTP_HEAD_TOO_LONG : SPOD_HTTP_HEAD_MORE;
}

static enum spod_http_head_result ref_tls(const uint8_t *p, size_t n)
{
	size_t need;

	if (n == 0)
		return SPOD_HTTP_HEAD_MORE;
	if (p[0] != 22)
		return SPOD_HTTP_HEAD_DONE;
	if (n < SPOD_HTTP_TLS_RECORD_BYTES)
		return SPOD_HTTP_HEAD_MORE;
	need = SPOD_HTTP_TLS_RECORD_BYTES + ((size_t)p[3] << 8 | p[4]);
	if (need > SPOD_HTTP_TLS_FIRST_MAX_BYTES)
		return SPOD_HTTP_HEAD_TOO_LONG;
	return n >= need ? SPOD_HTTP_HEAD_DONE : SPOD_HTTP_HEAD_MORE;
}

/* Feeds p[0..n) in pieces of the sizes step() gives; returns the first result not MORE. */
static enum spod_http_head_result feed(int tls, const uint8_t *p, size_t n, uint32_t seed,
                                       int bytewise)
{
	struct spod_http_head s;
	enum spod_http_head_result r = SPOD_HTTP_HEAD_MORE;
	size_t off = 0;

	spod_http_head_init(&s, tls);
	CHECK(spod_http_head_feed(&s, p, 0) == SPOD_HTTP_HEAD_MORE);
	while (off < n) {
		size_t take;

		if (bytewise) {
			take = 1;
		} else if (seed == 0) {
			take = n - off;
		} else {
			seed = seed * 1103515245u + 12345u;
			take = 1 + (seed >> 16) % 700u;
			if (take > n - off)
				take = n - off;
		}
		r = spod_http_head_feed(&s, p + off, take);
		off += take;
		if (r != SPOD_HTTP_HEAD_MORE)
			break;
	}
	if (r == SPOD_HTTP_HEAD_DONE) {
		static const uint8_t more[] = "GET / HTTP/1.1\r\n";

		CHECK(spod_http_head_feed(&s, more, sizeof more - 1) == SPOD_HTTP_HEAD_DONE);
	}
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum spod_http_head_result want, whole;
	int tls;

	if (size == 0 || size > INPUT_MAX_BYTES)
		return 0;
	tls = data[0] & 1;
	want = tls ? ref_tls(data + 1, size - 1) : ref_http(data + 1, size - 1);
	whole = feed(tls, data + 1, size - 1, 0, 0);
	CHECK(whole == want);
	CHECK(feed(tls, data + 1, size - 1, data[0] | 1u, 0) == want);
	if (size <= 4096)
		CHECK(feed(tls, data + 1, size - 1, 0, 1) == want);
	return 0;
}
