/*
 * Who holds the HTTP server's connections: counts per client address and in total, and the
 * connections libmicrohttpd serves, each with the time by which its next request header must
 * be complete.
 *
 * A connection is counted from its accept, while the gate (gate.h) waits for its header, and
 * again from libmicrohttpd's "started" notice to its "closed" one; between the hand-over and
 * that notice (a moment) it is not counted, so the totals may pass the limits by the
 * connections in transit, never more. libmicrohttpd's own limits (MHD_OPTION_CONNECTION_LIMIT,
 * MHD_OPTION_PER_IP_CONNECTION_LIMIT, the same values) back these up.
 *
 * Header deadlines: a connection handed to libmicrohttpd must complete a request header within
 * header_ms (over TLS that covers the handshake too); after each answer, the next header
 * within idle_ms + header_ms. The gate's thread calls spod_http_conns_reap, which shuts down
 * the connections past their deadline (libmicrohttpd then sees the end of the stream and closes
 * them). Every function is safe from any thread.
 */
#ifndef SPOD_HTTP_CONNS_H
#define SPOD_HTTP_CONNS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define SPOD_HTTP_ADDR_BYTES 16u /* IPv6, or IPv4 as ::ffff:a.b.c.d */

struct spod_http_conns;
struct spod_http_conn;

/* A client address as counted: IPv4 and IPv4-mapped IPv6 count as the same address. */
struct spod_http_addr {
	uint8_t b[SPOD_HTTP_ADDR_BYTES];
};

/* Fills a from sa (AF_INET or AF_INET6); other families count as the address ::. */
void spod_http_addr_from(struct spod_http_addr *a, const struct sockaddr *sa, socklen_t len)
    __attribute__((nonnull));

/* "a.b.c.d" or the IPv6 text of a, for log lines (cap >= 46). */
void spod_http_addr_text(char *out, size_t cap, const struct spod_http_addr *a)
    __attribute__((nonnull));

/*
 * A registry for at most max_total connections, max_per_addr from one address, with these
 * deadlines. wake_fd is an eventfd it writes to when a deadline earlier than the reaper
 * planned for is set (the gate waits on it). Returns SPOD_OK with *out set, SPOD_E_NOMEM.
 */
int spod_http_conns_new(struct spod_http_conns **out, unsigned max_total, unsigned max_per_addr,
                        unsigned header_ms, unsigned idle_ms, int wake_fd)
    __attribute__((warn_unused_result, nonnull));

/* Frees r; every connection must have been closed. NULL is ignored. */
void spod_http_conns_free(struct spod_http_conns *r);

enum spod_http_admit {
	SPOD_HTTP_ADMIT_OK,   /* counted: release it later */
	SPOD_HTTP_ADMIT_ADDR, /* the address holds max_per_addr connections already */
	SPOD_HTTP_ADMIT_FULL, /* max_total connections are open */
};

/* Counts a new connection from a, if the limits allow it. */
enum spod_http_admit spod_http_conns_admit(struct spod_http_conns *r,
                                           const struct spod_http_addr *a) __attribute__((nonnull));

/* Uncounts a connection spod_http_conns_admit counted. */
void spod_http_conns_release(struct spod_http_conns *r, const struct spod_http_addr *a)
    __attribute__((nonnull));

/*
 * libmicrohttpd started serving socket fd from sa: counts it whatever the limits (it is open
 * already) and sets its first header deadline. Returns the record to pass to the calls below
 * (and to spod_http_conns_closed), or NULL without memory (then it is not watched).
 */
struct spod_http_conn *spod_http_conns_started(struct spod_http_conns *r, int fd,
                                               const struct sockaddr *sa, socklen_t len)
    __attribute__((nonnull));

/* A request header was complete on c: no deadline while the request is served. */
void spod_http_conns_header(struct spod_http_conn *c) __attribute__((nonnull));

/* The answer to c's request went out: the next header is due within idle_ms + header_ms. */
void spod_http_conns_answered(struct spod_http_conn *c) __attribute__((nonnull));

/* libmicrohttpd closed c (before closing its socket): uncounts and frees it. */
void spod_http_conns_closed(struct spod_http_conn *c) __attribute__((nonnull));

/*
 * Shuts down (shutdown(2), both ways) every connection whose deadline passed at now_ns
 * (CLOCK_MONOTONIC) and clears its deadline. Returns how many, and in *next_ns the earliest
 * deadline left (UINT64_MAX: none).
 */
size_t spod_http_conns_reap(struct spod_http_conns *r, uint64_t now_ns, uint64_t *next_ns)
    __attribute__((nonnull));

/* Connections counted now (for tests and metrics). */
size_t spod_http_conns_count(struct spod_http_conns *r) __attribute__((nonnull));

#endif
