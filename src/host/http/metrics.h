/*
 * The HTTP layer's own counters: requests by route, method and status code, and a latency
 * histogram per route, rendered as Prometheus text after the host's (GET /metrics). Every
 * HTTP thread writes them, so each value is a relaxed C11 atomic: a scrape sees each value
 * whole, not all of them at one instant, which is what Prometheus expects.
 */
#ifndef SPOD_HTTP_METRICS_H
#define SPOD_HTTP_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "host/http/routes.h"

/* Route slots: one per route, then one for requests that matched none (404, 405). */
#define SPOD_HTTP_METRIC_ROUTES    (SPOD_HTTP_ROUTE__COUNT + 1)
#define SPOD_HTTP_METRIC_UNMATCHED SPOD_HTTP_ROUTE__COUNT
#define SPOD_HTTP_METRIC_CODES     18u /* the status codes the server answers, then "other" */
#define SPOD_HTTP_LAT_BUCKETS      14u /* upper bounds in metrics.c (50 us .. 1 s), then +Inf */

/* Why the server closed a connection it had not answered (the "reason" label). */
enum spod_http_drop {
	SPOD_HTTP_DROP_PER_ADDRESS,     /* "per_address": its address held http-max-per-address */
	SPOD_HTTP_DROP_FULL,            /* "full": every connection taken, none to close instead */
	SPOD_HTTP_DROP_MADE_ROOM,       /* "made_room": waited longest for its header, closed for */
	                                /* a new one (all taken, or out of descriptors) */
	SPOD_HTTP_DROP_HEADER_TIMEOUT,  /* "header_timeout": no whole header by its deadline */
	SPOD_HTTP_DROP_HEADER_TOO_LONG, /* "header_too_long": answered 431 */
	SPOD_HTTP_DROP__COUNT
};

struct spod_http_metrics {
	atomic_uint_fast64_t requests[SPOD_HTTP_METRIC_ROUTES][SPOD_HTTP_METRIC_CODES];
	atomic_uint_fast64_t lat[SPOD_HTTP_METRIC_ROUTES][SPOD_HTTP_LAT_BUCKETS + 1];
	atomic_uint_fast64_t lat_sum_ns[SPOD_HTTP_METRIC_ROUTES];
	atomic_uint_fast64_t dropped[SPOD_HTTP_DROP__COUNT];
};

/* Values read when /metrics is asked for, from their owners (conns.h, exec.h). */
struct spod_http_gauges {
	uint64_t connections;   /* HTTP connections counted now */
	uint64_t calls_waiting; /* calls queued for an executor thread */
};

/* Zeroes every counter. */
void spod_http_metrics_init(struct spod_http_metrics *m) __attribute__((nonnull));

/*
 * Counts one answered request: route is a spod_http_route_id or SPOD_HTTP_METRIC_UNMATCHED,
 * status the HTTP status sent, ns the time from its headers to its answer.
 */
void spod_http_metrics_record(struct spod_http_metrics *m, unsigned route, unsigned status,
                              uint64_t ns) __attribute__((nonnull));

/* Counts n connections closed for why. */
void spod_http_metrics_drop(struct spod_http_metrics *m, enum spod_http_drop why, uint64_t n)
    __attribute__((nonnull));

/*
 * Writes the Prometheus text exposition (format 0.0.4) of m, and of g unless it is NULL,
 * into buf[0..cap) and returns its length; when it does not fit, returns the length it needs
 * (> cap) and buf holds a truncated prefix. buf may be NULL when cap is 0.
 */
size_t spod_http_metrics_render(const struct spod_http_metrics *m, const struct spod_http_gauges *g,
                                char *buf, size_t cap) __attribute__((nonnull(1)));

#endif
