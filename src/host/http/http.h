/*
 * spod-host's HTTP/JSON API (docs/openapi.yaml): libmicrohttpd serves the routes, jansson
 * reads and writes the JSON bodies.
 *
 * The HTTP layer enforces nothing itself: each request's bearer token authenticates a libspod
 * connection to spod-host, an in-process channel that the host's event loop serves exactly
 * like a connection to its binary listener (client/inproc.h, transport/inproc.h), and the
 * request is carried out over it. Authentication, scopes, rate limits, the audit log and the per-op
 * metrics are therefore the binary path's, applied in one place (src/host/core/tokens.c, admit.c);
 * HTTP adds parsing, status codes and its own request counters. The calls run on a few executor
 * threads (exec.h) while libmicrohttpd's threads go on serving; their connections are cached per
 * executor thread and per token, so a keep-alive client pays the hello once.
 *
 * Every function that can fail returns SPOD_OK or a negative SPOD_E_* code.
 */
#ifndef SPOD_HTTP_HTTP_H
#define SPOD_HTTP_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct spod_inproc_hub; /* transport/inproc.h */

/*
 * The enclave's seal state as spod-host last saw it (known 0 before any enclave answered),
 * for /readyz and the custodian routes; spod-host fills it (spod_host_seal).
 */
struct spod_http_seal {
	int known;
	uint8_t mode;      /* enum spod_seal_mode */
	uint8_t ready;     /* the seal key is present */
	uint8_t threshold; /* custodians: K (0 until the first share) */
	uint8_t shares;    /* custodians: N */
	uint8_t present;   /* custodians: shares received */
	uint8_t seal_key_id[16];
};

/* The defaults of the limits below (docs/host.md names each setting). */
#define SPOD_HTTP_DEFAULT_MAX_CONNECTIONS 256u
#define SPOD_HTTP_DEFAULT_MAX_PER_ADDRESS 32u
#define SPOD_HTTP_DEFAULT_IDLE_TIMEOUT_S  30u
#define SPOD_HTTP_DEFAULT_HEADER_MS       10000u
#define SPOD_HTTP_DEFAULT_CALL_MS         5000u

struct spod_http_config {
	const char *addr; /* IPv4 or IPv6 literal to bind, e.g. "127.0.0.1" */
	uint16_t port;    /* 0: the kernel picks one (see spod_http_port) */
	/*
	 * 1: serve only the Ethereum JSON-RPC route, at POST / and POST /eth (a port of its own
	 * for JSON-RPC clients, docs/ethereum.md); every other path is 404, another method 405.
	 */
	int eth_only;
	/*
	 * How calls reach spod-host: inproc, the host's hub of in-process channels
	 * (spod_host_inproc), when not NULL; else backend_uri, a binary listener such as
	 * unix:///run/spod/spod.sock (the unit tests' fake pod).
	 */
	struct spod_inproc_hub *inproc;
	const char *backend_uri;
	size_t max_body_bytes; /* larger request bodies get 413 */
	unsigned threads;      /* libmicrohttpd's threads, and as many executor threads, 1..64 */
	const char *tls_cert;  /* PEM file; NULL with tls_key NULL: plain HTTP */
	const char *tls_key;   /* PEM file */
	/*
	 * Limits against hostile clients and a stalled pod; 0 takes the default above. A
	 * connection counts from its accept, before its header is whole; a request header must
	 * be whole within header_timeout_ms of the accept, and on a kept-alive connection within
	 * idle_timeout_s + header_timeout_ms of the previous answer; a connection idle for
	 * idle_timeout_s is closed; a token route's call that the pod has not answered within
	 * call_timeout_ms is answered 503 UNAVAILABLE.
	 */
	unsigned max_connections;
	unsigned max_per_address;
	unsigned idle_timeout_s;
	unsigned header_timeout_ms;
	unsigned call_timeout_ms;
	/*
	 * Callbacks into spod-host, called from HTTP threads (so they must be thread-safe):
	 * ready returns 1 when requests can reach an enclave; seal copies what spod-host last
	 * saw of the enclave's seal state (for /readyz, which never waits for the enclave;
	 * NULL: unknown); metrics writes the host's Prometheus text into buf[0..cap) and
	 * returns its length, or the length it needs when that is more than cap.
	 */
	int (*ready)(void *ctx);
	void (*seal)(void *ctx, struct spod_http_seal *out);
	size_t (*metrics)(void *ctx, char *buf, size_t cap);
	void *ctx;
};

struct spod_http;

/*
 * Starts serving. Returns SPOD_OK with *out set, SPOD_E_BAD_ARG, SPOD_E_UNAVAILABLE (the
 * address is in use: another process listens on that port; nothing is logged, the caller
 * knows which setting chose it) or SPOD_E_IO (other bind failures, TLS files; logged).
 */
int spod_http_start(struct spod_http **out, const struct spod_http_config *cfg)
    __attribute__((warn_unused_result, nonnull));

/* The port actually bound. */
uint16_t spod_http_port(const struct spod_http *h) __attribute__((nonnull));

/* Stops the server, waits for its threads and closes every cached connection. NULL is ignored. */
void spod_http_stop(struct spod_http *h);

/* Writes "METHOD PATH-TEMPLATE\n" for every route the server answers (spod-host --list-routes). */
void spod_http_list_routes(FILE *out) __attribute__((nonnull));

#endif
