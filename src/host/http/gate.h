/*
 * The HTTP server's gate: its own listening socket and thread, in front of libmicrohttpd.
 *
 * libmicrohttpd 0.9.75 cannot bound the time a client takes to send its request header (its
 * connection timeout restarts at every byte), and when accept(2) fails for want of
 * descriptors while one of its threads holds no connection, that thread retries at once,
 * forever, logging each time. So spod-host accepts HTTP connections itself: the gate counts
 * each one against the limits (conns.h), peeks at its bytes (MSG_PEEK, head.h) until the
 * whole request header is there (over TLS: the whole ClientHello record) and only then hands
 * the socket to libmicrohttpd (MHD_add_connection). A connection without a whole header after
 * header_ms is closed; one whose header passes SPOD_HTTP_HEAD_MAX_BYTES is answered 431 and
 * closed. When every connection is taken, or accept(2) finds no descriptor, the connection
 * waiting longest for its header makes room; with none waiting, the gate stops accepting for
 * SPOD_HTTP_GATE_PAUSE_MS instead of retrying at once. The same thread shuts down the
 * connections libmicrohttpd serves once they pass their header deadline (conns.h). Every line
 * it logs is rate-limited.
 */
#ifndef SPOD_HTTP_GATE_H
#define SPOD_HTTP_GATE_H

#include <stdint.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "host/http/conns.h"
#include "host/http/metrics.h"

#define SPOD_HTTP_GATE_PAUSE_MS 100u /* no accept(2) for this long after it ran out of fds */

struct spod_http_gate;

struct spod_http_gate_config {
	const struct sockaddr *addr; /* where to listen (AF_INET or AF_INET6) */
	socklen_t addr_len;
	int tls;                  /* 1: wait for a TLS ClientHello instead of an HTTP header */
	unsigned max_connections; /* counted from accept to close */
	unsigned max_per_address; /* the same, per client address */
	unsigned header_ms;       /* time to a whole header, from accept */
	unsigned idle_ms;         /* time between an answer and the next header, before header_ms */
	struct spod_http_metrics *metrics; /* counts the connections dropped; outlives the gate */
};

/*
 * Binds and listens (no thread yet). Returns SPOD_OK with *out set, SPOD_E_UNAVAILABLE when
 * the address is in use (nothing logged), SPOD_E_IO (logged) or SPOD_E_NOMEM.
 */
int spod_http_gate_new(struct spod_http_gate **out, const struct spod_http_gate_config *cfg)
    __attribute__((warn_unused_result, nonnull));

/* The port bound. */
uint16_t spod_http_gate_port(const struct spod_http_gate *g) __attribute__((nonnull));

/* The connection registry, for libmicrohttpd's callbacks (valid until spod_http_gate_free). */
struct spod_http_conns *spod_http_gate_conns(struct spod_http_gate *g) __attribute__((nonnull));

/*
 * Starts the thread that accepts connections and hands them to d (started with
 * MHD_USE_NO_LISTEN_SOCKET and MHD_USE_ITC). Returns SPOD_OK or SPOD_E_NOMEM.
 */
int spod_http_gate_start(struct spod_http_gate *g, struct MHD_Daemon *d)
    __attribute__((warn_unused_result, nonnull));

/* Stops the thread and closes the listening socket and every connection still waiting. */
void spod_http_gate_stop(struct spod_http_gate *g) __attribute__((nonnull));

/* Frees g (after spod_http_gate_stop and after libmicrohttpd stopped). NULL is ignored. */
void spod_http_gate_free(struct spod_http_gate *g);

#endif
