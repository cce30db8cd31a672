/*
 * A minimal, strict HTTP/1.1 client for spod-bench's HTTP row: one keep-alive connection to
 * a loopback address, one request at a time, every request with Content-Length, every answer
 * with Content-Length. Anything else the server does (chunked or other transfer codings,
 * "Connection: close", closing, a status line or header it cannot read, bytes after the
 * answer) fails the call with a message in bench_http_last_error(): the benchmark measures a
 * keep-alive connection or nothing. No TLS, no redirects, no 1xx answers.
 *
 * Every function returns SPOD_OK or a negative SPOD_E_* code. Module-private to the
 * benchmark.
 */
#ifndef SPOD_BENCH_HTTP_CLIENT_H
#define SPOD_BENCH_HTTP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#define BENCH_HTTP_AUTHORITY_MAX_BYTES 64u    /* "127.0.0.1:65535", "[::1]:65535" */
#define BENCH_HTTP_PREFIX_MAX_BYTES    128u   /* path part of the base URL */
#define BENCH_HTTP_TOKEN_MAX_BYTES     256u   /* the bearer token */
#define BENCH_HTTP_REQUEST_MAX_BYTES   4096u  /* request line, headers and body */
#define BENCH_HTTP_RESPONSE_MAX_BYTES  16384u /* status line, headers and body */
#define BENCH_HTTP_ERROR_MAX_BYTES     256u

struct bench_http {
	int fd; /* -1 when closed */
	int timeout_ms;
	char authority[BENCH_HTTP_AUTHORITY_MAX_BYTES]; /* the Host header */
	char prefix[BENCH_HTTP_PREFIX_MAX_BYTES];       /* "" or "/base", no trailing '/' */
	char token[BENCH_HTTP_TOKEN_MAX_BYTES];
	char error[BENCH_HTTP_ERROR_MAX_BYTES]; /* last failure, "" if none */
	char tx[BENCH_HTTP_REQUEST_MAX_BYTES];
	char rx[BENCH_HTTP_RESPONSE_MAX_BYTES];
	size_t rx_len;
};

/* One answer. body is a view into the connection's receive buffer: valid until the next
 * request or bench_http_close on that connection; do not free. */
struct bench_http_response {
	unsigned status;
	const char *body;
	size_t body_len;
};

/*
 * Connects c to url ("http://127.0.0.1:PORT/..." or "http://[::1]:PORT/...": a loopback
 * literal and an explicit port; an optional path is prefixed to every request path) with
 * TCP_NODELAY on. token is sent as "Authorization: Bearer <token>" on every request.
 * timeout_ms bounds the connect and each later request. Returns SPOD_OK, SPOD_E_BAD_URI
 * (not such a URL, or not loopback), SPOD_E_BAD_ARG (token empty, too long or not printable
 * ASCII), SPOD_E_UNAVAILABLE (nothing listens), SPOD_E_TIMEOUT or SPOD_E_IO. On failure c is
 * closed and bench_http_last_error says why.
 */
int bench_http_open(struct bench_http *c, const char *url, const char *token, int timeout_ms)
    __attribute__((warn_unused_result, nonnull));

/*
 * Sends "METHOD prefix+path" with body[0..body_len) as application/json (Content-Length: 0
 * when body_len is 0) and reads the answer into *out. The request and its answer together
 * take at most timeout_ms. Returns SPOD_OK for any well-formed answer, whatever its status;
 * SPOD_E_TOO_LARGE (request or answer over its cap), SPOD_E_PROTOCOL (malformed answer,
 * chunked, "Connection: close", bytes after the answer), SPOD_E_CLOSED (the server closed),
 * SPOD_E_TIMEOUT or SPOD_E_IO. After a failure the connection is closed: open it again.
 */
int bench_http_request(struct bench_http *c, struct bench_http_response *out, const char *method,
                       const char *path, const char *body, size_t body_len)
    __attribute__((warn_unused_result, nonnull(1, 2, 3, 4)));

/* What went wrong in the last failed call on c, "" if nothing did. */
const char *bench_http_last_error(const struct bench_http *c) __attribute__((nonnull));

/* Closes the connection (a closed one is ignored); c may be opened again. */
void bench_http_close(struct bench_http *c) __attribute__((nonnull));

#endif
