/*
 * The end of a request header, or of a TLS ClientHello record, in bytes that arrive piece by
 * piece (src/host/http/head.c): what the gate waits for before libmicrohttpd sees a
 * connection.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "host/http/head.h"

/* Feeds text in pieces of step bytes; returns the last result and the bytes fed by then. */
static enum spod_http_head_result feed(const char *text, size_t len, size_t step, int tls,
                                       size_t *fed)
{
	struct spod_http_head s;
	enum spod_http_head_result rc = SPOD_HTTP_HEAD_MORE;
	size_t off = 0;

	spod_http_head_init(&s, tls);
	while (off < len && rc == SPOD_HTTP_HEAD_MORE) {
		size_t n = len - off < step ? len - off : step;

		rc = spod_http_head_feed(&s, (const uint8_t *)text + off, n);
		off += n;
	}
	*fed = off;
	return rc;
}

static void expect(const char *text, size_t len, enum spod_http_head_result want)
{
	static const size_t steps[] = {1, 2, 3, 7, 4096, 100000};
	size_t fed;

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (feed(text, len, steps[i], 0, &fed) != want)
			fail_msg("%.40s... in pieces of %zu: not %d", text, steps[i], (int)want);
}

static void test_http_header_end(void **state)
{
	static const char get[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
	static const char bare_lf[] = "GET / HTTP/1.1\nHost: x\n\n";
	static const char mixed[] = "GET / HTTP/1.1\r\nHost: x\n\r\n";
	static const char body[] = "POST /v1/keys HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}";
	size_t fed;

	(void)state;
	expect(get, sizeof(get) - 1, SPOD_HTTP_HEAD_DONE);
	expect(bare_lf, sizeof(bare_lf) - 1, SPOD_HTTP_HEAD_DONE);
	expect(mixed, sizeof(mixed) - 1, SPOD_HTTP_HEAD_DONE);
	/* The end is found where it is; what follows (a body) is not needed. */
	assert_int_equal(feed(body, sizeof(body) - 1, 1, 0, &fed), SPOD_HTTP_HEAD_DONE);
	assert_int_equal(fed, sizeof(body) - 3);
	/* Every proper prefix is incomplete. */
	for (size_t n = 0; n < sizeof(get) - 1; n++)
		assert_int_equal(feed(get, n, 1, 0, &fed), SPOD_HTTP_HEAD_MORE);
	/* A line ending in CR alone does not end anything. */
	expect("GET / HTTP/1.1\r\r\rHost: x\r\r", 26, SPOD_HTTP_HEAD_MORE);
}

static void test_http_leading_blank_lines(void **state)
{
	static const char lead[] = "\r\n\r\n\n\r\nGET / HTTP/1.1\r\n\r\n";
	size_t fed;

	(void)state;
	/* Blank lines before the request line are skipped, not taken for the end. */
	expect("\r\n\r\n", 4, SPOD_HTTP_HEAD_MORE);
	expect("\n\n\n\n", 4, SPOD_HTTP_HEAD_MORE);
	assert_int_equal(feed(lead, sizeof(lead) - 1, 1, 0, &fed), SPOD_HTTP_HEAD_DONE);
	assert_int_equal(fed, sizeof(lead) - 1);
}

static void test_http_too_long(void **state)
{
	static char text[SPOD_HTTP_HEAD_MAX_BYTES + 8];
	size_t fed;

	(void)state;
	memset(text, 'a', sizeof(text));
	memcpy(text, "GET / HTTP/1.1\r\nX: ", 19);
	/* Exactly the limit, ending there: whole. */
	memcpy(text + SPOD_HTTP_HEAD_MAX_BYTES - 4, "\r\n\r\n", 4);
	assert_int_equal(feed(text, SPOD_HTTP_HEAD_MAX_BYTES, 1000, 0, &fed), SPOD_HTTP_HEAD_DONE);
	/* One byte more before the end: too long, whatever the pieces. */
	memset(text + SPOD_HTTP_HEAD_MAX_BYTES - 4, 'a', 4);
	memcpy(text + SPOD_HTTP_HEAD_MAX_BYTES - 3, "\r\n\r\n", 4);
	assert_int_equal(feed(text, SPOD_HTTP_HEAD_MAX_BYTES + 1, 1000, 0, &fed),
	                 SPOD_HTTP_HEAD_TOO_LONG);
	assert_int_equal(feed(text, SPOD_HTTP_HEAD_MAX_BYTES + 1, 1, 0, &fed),
	                 SPOD_HTTP_HEAD_TOO_LONG);
	assert_int_equal(fed, SPOD_HTTP_HEAD_MAX_BYTES + 1);
	/* Blank lines count too: a client cannot stall forever sending CRLF. */
	memset(text, '\n', sizeof(text));
	assert_int_equal(feed(text, sizeof(text), 512, 0, &fed), SPOD_HTTP_HEAD_TOO_LONG);
}

static void test_tls_first_record(void **state)
{
	static uint8_t hello[5 + 300];
	struct spod_http_head s;
	size_t fed;

	(void)state;
	hello[0] = 22; /* handshake */
	hello[1] = 3;
	hello[2] = 1;
	hello[3] = 300 >> 8;
	hello[4] = 300 & 0xff;
	for (size_t step = 1; step <= sizeof(hello); step += 37) {
		assert_int_equal(feed((const char *)hello, sizeof(hello) - 1, step, 1, &fed),
		                 SPOD_HTTP_HEAD_MORE);
		assert_int_equal(feed((const char *)hello, sizeof(hello), step, 1, &fed),
		                 SPOD_HTTP_HEAD_DONE);
	}
	/* Not a handshake record (plain HTTP to the TLS port): nothing to wait for. */
	assert_int_equal(feed("GET / HTTP/1.1\r\n", 16, 1, 1, &fed), SPOD_HTTP_HEAD_DONE);
	assert_int_equal(fed, 1);
	/* A record longer than TLS allows. */
	hello[3] = 0xff;
	hello[4] = 0xff;
	spod_http_head_init(&s, 1);
	assert_int_equal(spod_http_head_feed(&s, hello, 5), SPOD_HTTP_HEAD_TOO_LONG);
	/* Nothing fed is nothing learnt. */
	spod_http_head_init(&s, 1);
	assert_int_equal(spod_http_head_feed(&s, hello, 0), SPOD_HTTP_HEAD_MORE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_http_header_end),
	    cmocka_unit_test(test_http_leading_blank_lines),
	    cmocka_unit_test(test_http_too_long),
	    cmocka_unit_test(test_tls_first_record),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
