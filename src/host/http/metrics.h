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

struct spod_http_metrics {
	atomic_uint_fast64_t requests[SPOD_HTTP_METRIC_ROUTES][SPOD_HTTP_METRIC_CODES];
	atomic_uint_fast64_t lat[SPOD_HTTP_METRIC_ROUTES][SPOD_HTTP_LAT_BUCKETS + 1];
	atomic_uint_fast64_t lat_sum_ns[SPOD_HTTP_METRIC_ROUTES];
};

/* Zeroes every counter. */
void spod_http_metrics_init(struct spod_http_metrics *m) __attribute__((nonnull));

/*
 * Counts one answered request: route is a spod_http_route_id or SPOD_HTTP_METRIC_UNMATCHED,
 * status the HTTP status sent, ns the time from its headers to its answer.
 */
void spod_http_metrics_record(struct spod_http_metrics *m, unsigned route, unsigned status,
                              uint64_t ns) __attribute__((nonnull));

/*
 * Writes the Prometheus text exposition (format 0.0.4) of m into buf[0..cap) and returns its
 * length; when it does not fit, returns the length it needs (> cap) and buf holds a
 * truncated prefix. buf may be NULL when cap is 0.
 */
size_t spod_http_metrics_render(const struct spod_http_metrics *m, char *buf, size_t cap)
    __attribute__((nonnull(1)));

#endif
