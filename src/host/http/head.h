/*
 * Whether the first bytes of a new HTTP connection hold a whole request header (or, over TLS,
 * a whole first TLS record: the ClientHello), read piece by piece as they arrive. The gate
 * (gate.h) peeks at a connection's bytes with this before libmicrohttpd sees it, so that a
 * client sending its header slowly never reaches the HTTP threads.
 *
 * HTTP: the header ends at the first empty line; blank lines before the request line are
 * skipped (RFC 9112 2.2), and a line may end in CRLF or a bare LF, as libmicrohttpd accepts.
 * TLS: the first record's 5-byte header gives its length; a first byte other than a handshake
 * record (22) ends the scan at once (libmicrohttpd then refuses the connection itself).
 */
#ifndef SPOD_HTTP_HEAD_H
#define SPOD_HTTP_HEAD_H

#include <stddef.h>
#include <stdint.h>

#define SPOD_HTTP_HEAD_MAX_BYTES   16384u /* a request header, request line included */
#define SPOD_HTTP_TLS_RECORD_BYTES 5u     /* type, version, length */
/* The largest TLS record (2^14 plaintext + 2048 of expansion), with its header. */
#define SPOD_HTTP_TLS_FIRST_MAX_BYTES (16384u + 2048u + SPOD_HTTP_TLS_RECORD_BYTES)

enum spod_http_head_result {
	SPOD_HTTP_HEAD_MORE,     /* not complete yet: feed more */
	SPOD_HTTP_HEAD_DONE,     /* complete (or, over TLS, not a handshake: nothing to wait for) */
	SPOD_HTTP_HEAD_TOO_LONG, /* the bound passed before the end */
};

/* Scan state of one connection; zero it (or call spod_http_head_init) before the first byte. */
struct spod_http_head {
	int tls;
	uint8_t state;   /* HTTP: where in a line; TLS: unused */
	size_t seen;     /* bytes fed so far */
	size_t tls_need; /* TLS: the first record's total length, once known */
	uint8_t rec[SPOD_HTTP_TLS_RECORD_BYTES];
};

/* Starts scanning a connection; tls 1: expect a TLS ClientHello instead of HTTP. */
void spod_http_head_init(struct spod_http_head *s, int tls) __attribute__((nonnull));

/*
 * Feeds the next n bytes of the connection. Returns DONE once the end is seen (bytes after it
 * are ignored; later calls return DONE), TOO_LONG once more than the bound was fed without
 * it (SPOD_HTTP_HEAD_MAX_BYTES; over TLS, a first record longer than any TLS allows), else
 * MORE.
 */
enum spod_http_head_result spod_http_head_feed(struct spod_http_head *s, const uint8_t *p, size_t n)
    __attribute__((nonnull(1)));

#endif
