/* The HTTP layer's clock: CLOCK_MONOTONIC in nanoseconds, for deadlines and latencies. */
#ifndef SPOD_HTTP_CLOCK_H
#define SPOD_HTTP_CLOCK_H

#include <stdint.h>
#include <time.h>

#define SPOD_HTTP_NS_PER_MS 1000000ull

static inline uint64_t spod_http_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif
