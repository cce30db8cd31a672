/* The HTTP layer's request counters and latency histograms, as Prometheus text (metrics.h). */
#include "host/http/metrics.h"

#include <stdio.h>

#include "common/strbuf.h"

/* The status codes the server answers with, by counter slot; the last slot is "other". */
static const unsigned codes[SPOD_HTTP_METRIC_CODES - 1] = {
    200, 201, 204, 400, 401, 403, 404, 405, 409, 413, 415, 429, 500, 502, 503, 504, 507,
};

/* Upper bounds of the latency buckets, in nanoseconds (50 us .. 1 s). */
static const uint64_t lat_bounds_ns[SPOD_HTTP_LAT_BUCKETS] = {
    50000,    100000,   250000,   500000,    1000000,   2500000,   5000000,
    10000000, 25000000, 50000000, 100000000, 250000000, 500000000, 1000000000,
};

void spod_http_metrics_init(struct spod_http_metrics *m)
{
	for (size_t r = 0; r < SPOD_HTTP_METRIC_ROUTES; r++) {
		for (size_t c = 0; c < SPOD_HTTP_METRIC_CODES; c++)
			atomic_init(&m->requests[r][c], 0);
		for (size_t b = 0; b <= SPOD_HTTP_LAT_BUCKETS; b++)
			atomic_init(&m->lat[r][b], 0);
		atomic_init(&m->lat_sum_ns[r], 0);
	}
	for (size_t d = 0; d < SPOD_HTTP_DROP__COUNT; d++)
		atomic_init(&m->dropped[d], 0);
}

static void add(atomic_uint_fast64_t *v, uint64_t x)
{
	atomic_fetch_add_explicit(v, x, memory_order_relaxed);
}

static uint64_t get(const atomic_uint_fast64_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

void spod_http_metrics_record(struct spod_http_metrics *m, unsigned route, unsigned status,
                              uint64_t ns)
{
	size_t c = 0, b = 0;

	if (route >= SPOD_HTTP_METRIC_ROUTES)
		route = SPOD_HTTP_METRIC_UNMATCHED;
	while (c < SPOD_HTTP_METRIC_CODES - 1 && codes[c] != status)
		c++;
	while (b < SPOD_HTTP_LAT_BUCKETS && ns > lat_bounds_ns[b])
		b++;
	add(&m->requests[route][c], 1);
	add(&m->lat[route][b], 1);
	add(&m->lat_sum_ns[route], ns);
}

void spod_http_metrics_drop(struct spod_http_metrics *m, enum spod_http_drop why, uint64_t n)
{
	if ((unsigned)why < SPOD_HTTP_DROP__COUNT)
		add(&m->dropped[why], n);
}

/* The connection counters and gauges. */
static void render_connections(struct spod_strbuf *o, const struct spod_http_metrics *m,
                               const struct spod_http_gauges *g)
{
	static const char *const reasons[SPOD_HTTP_DROP__COUNT] = {
	    "per_address", "full", "made_room", "header_timeout", "header_too_long",
	};

	spod_strbuf_put(o, "# HELP spod_http_connections_dropped_total HTTP connections closed "
	                   "unanswered, by reason (docs/host.md).\n"
	                   "# TYPE spod_http_connections_dropped_total counter\n");
	for (unsigned d = 0; d < SPOD_HTTP_DROP__COUNT; d++)
		spod_strbuf_put(o, "spod_http_connections_dropped_total{reason=\"%s\"} %llu\n",
		                reasons[d], (unsigned long long)get(&m->dropped[d]));
	if (g == NULL)
		return;
	spod_strbuf_put(
	    o,
	    "# HELP spod_http_connections HTTP connections open, those still sending "
	    "their header included.\n"
	    "# TYPE spod_http_connections gauge\n"
	    "spod_http_connections %llu\n"
	    "# HELP spod_http_calls_waiting HTTP requests waiting for a thread to carry "
	    "their call to the pod.\n"
	    "# TYPE spod_http_calls_waiting gauge\n"
	    "spod_http_calls_waiting %llu\n",
	    (unsigned long long)g->connections, (unsigned long long)g->calls_waiting);
}

/* The route and method labels of a slot. */
static void labels(unsigned r, const char **route, const char **method)
{
	if (r == SPOD_HTTP_METRIC_UNMATCHED) {
		*route = "unmatched";
		*method = "other";
		return;
	}
	*route = spod_http_routes[r].path;
	*method = spod_http_routes[r].method;
}

size_t spod_http_metrics_render(const struct spod_http_metrics *m, const struct spod_http_gauges *g,
                                char *buf, size_t cap)
{
	struct spod_strbuf o = {buf, cap, 0};
	const char *route, *method;

	spod_strbuf_put(
	    &o, "# HELP spod_http_requests_total HTTP requests answered, by route template, "
	        "method and status code (route \"unmatched\": no route had the path or method).\n"
	        "# TYPE spod_http_requests_total counter\n");
	for (unsigned r = 0; r < SPOD_HTTP_METRIC_ROUTES; r++) {
		labels(r, &route, &method);
		for (unsigned c = 0; c < SPOD_HTTP_METRIC_CODES; c++) {
			uint64_t v = get(&m->requests[r][c]);
			char code[16];

			if (v == 0)
				continue;
			if (c < SPOD_HTTP_METRIC_CODES - 1)
				snprintf(code, sizeof(code), "%u", codes[c]);
			else
				snprintf(code, sizeof(code), "other");
			spod_strbuf_put(
			    &o,
			    "spod_http_requests_total{route=\"%s\",method=\"%s\",code=\"%s\"} "
			    "%llu\n",
			    route, method, code, (unsigned long long)v);
		}
	}
	spod_strbuf_put(
	    &o, "# HELP spod_http_request_duration_seconds HTTP request latency in spod-host, from "
	        "the request's headers to its answer queued (the binary round trip included).\n"
	        "# TYPE spod_http_request_duration_seconds histogram\n");
	for (unsigned r = 0; r < SPOD_HTTP_METRIC_ROUTES; r++) {
		uint64_t cum = 0;

		labels(r, &route, &method);
		for (unsigned b = 0; b <= SPOD_HTTP_LAT_BUCKETS; b++) {
			cum += get(&m->lat[r][b]);
			if (b < SPOD_HTTP_LAT_BUCKETS)
				spod_strbuf_put(
				    &o,
				    "spod_http_request_duration_seconds_bucket{route=\"%s\","
				    "method=\"%s\",le=\"%g\"} %llu\n",
				    route, method, (double)lat_bounds_ns[b] / 1e9,
				    (unsigned long long)cum);
			else
				spod_strbuf_put(
				    &o,
				    "spod_http_request_duration_seconds_bucket{route=\"%s\","
				    "method=\"%s\",le=\"+Inf\"} %llu\n",
				    route, method, (unsigned long long)cum);
		}
		spod_strbuf_put(
		    &o, "spod_http_request_duration_seconds_sum{route=\"%s\",method=\"%s\"} %.9f\n",
		    route, method, (double)get(&m->lat_sum_ns[r]) / 1e9);
		/* The +Inf bucket, so that a scrape never sees _count disagree with it. */
		spod_strbuf_put(
		    &o,
		    "spod_http_request_duration_seconds_count{route=\"%s\",method=\"%s\"} %llu\n",
		    route, method, (unsigned long long)cum);
	}
	render_connections(&o, m, g);
	return o.len;
}
