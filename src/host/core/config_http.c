/*
 * The setters of spod-host's HTTP settings (config_int.h): the API's address, the JSON-RPC
 * port of its own, threads, limits and timeouts, and the downstream Ethereum node's timeout.
 */
#include <stdio.h>
#include <string.h>

#include "host/core/config_int.h"
#include "spod/err.h"
#include "transport/uri.h"

int config_set_http_threads(struct loader *l, enum opt_id id, const char *v)
{
	return config_set_uint(l, id, &l->o->http_threads, v, 1, HOST_OPT_HTTP_MAX_THREADS);
}

/* "off", or ADDR:PORT with an IPv4 literal or a [bracketed] IPv6 literal, port 0..65535. */
static int set_addr(struct loader *l, enum opt_id id, const char *v, int *enabled,
                    char addr[HOST_OPT_HTTP_ADDR_BYTES], uint16_t *port)
{
	char text[8 + HOST_OPT_HTTP_ADDR_BYTES + 8];
	struct spod_uri u;
	int n;

	if (strcmp(v, "off") == 0) {
		*enabled = 0;
		return SPOD_OK;
	}
	n = snprintf(text, sizeof(text), "tcp://%s", v);
	if (n < 0 || (size_t)n >= sizeof(text) || spod_uri_parse(&u, text) < 0)
		return BAD(l, id, "'%s' is not IPV4:PORT, [IPV6]:PORT or off", v);
	*enabled = 1;
	snprintf(addr, HOST_OPT_HTTP_ADDR_BYTES, "%s", u.host);
	*port = (uint16_t)u.port;
	return SPOD_OK;
}

int config_set_http(struct loader *l, enum opt_id id, const char *v)
{
	struct host_options *o = l->o;

	return set_addr(l, id, v, &o->http_enabled, o->http_addr, &o->http_port);
}

int config_set_eth_listen(struct loader *l, enum opt_id id, const char *v)
{
	struct host_options *o = l->o;

	return set_addr(l, id, v, &o->eth_listen_enabled, o->eth_listen_addr, &o->eth_listen_port);
}

/* Bytes, or a number with suffix K (KiB) or M (MiB). */
int config_set_http_max_body(struct loader *l, enum opt_id id, const char *v)
{
	const char *end;
	uint64_t n;

	if (config_parse_dec(&n, v, &end, UINT32_MAX) < 0)
		goto bad;
	if (*end == 'K' || *end == 'k') {
		n <<= 10;
		end++;
	} else if (*end == 'M' || *end == 'm') {
		n <<= 20;
		end++;
	}
	if (*end != '\0')
		goto bad;
	if (n < HOST_OPT_HTTP_MIN_BODY || n > HOST_OPT_HTTP_MAX_BODY)
		goto bad;
	l->o->http_max_body = (size_t)n;
	return SPOD_OK;
bad:
	return BAD(l, id, "'%s' is not a size in 1K..64M (bytes, or with suffix K or M)", v);
}

int config_set_http_max_connections(struct loader *l, enum opt_id id, const char *v)
{
	return config_set_uint(l, id, &l->o->http_max_connections, v, 1, HOST_OPT_HTTP_MAX_CONNS);
}

int config_set_http_max_per_address(struct loader *l, enum opt_id id, const char *v)
{
	return config_set_uint(l, id, &l->o->http_max_per_address, v, 1, HOST_OPT_HTTP_MAX_CONNS);
}

/* A duration: N or Ns (seconds), or Nms (milliseconds), in lo_ms..hi_ms. */
static int parse_ms(uint64_t *out, const char *v, uint64_t lo_ms, uint64_t hi_ms)
{
	const char *end;
	uint64_t n;

	if (config_parse_dec(&n, v, &end, hi_ms) < 0)
		return SPOD_E_BAD_ARG;
	if (strcmp(end, "ms") != 0) {
		if (strcmp(end, "s") != 0 && *end != '\0')
			return SPOD_E_BAD_ARG;
		if (n > hi_ms / 1000)
			return SPOD_E_BAD_ARG;
		n *= 1000;
	}
	if (n < lo_ms)
		return SPOD_E_BAD_ARG;
	*out = n;
	return SPOD_OK;
}

static int set_wait_ms(struct loader *l, enum opt_id id, unsigned *out, const char *v)
{
	uint64_t ms;

	if (parse_ms(&ms, v, HOST_OPT_HTTP_MIN_WAIT_MS, HOST_OPT_HTTP_MAX_WAIT_MS) < 0)
		return BAD(l, id, "'%s' is not a time in %ums..%us (N or Ns seconds, Nms)", v,
		           HOST_OPT_HTTP_MIN_WAIT_MS, HOST_OPT_HTTP_MAX_WAIT_MS / 1000);
	*out = (unsigned)ms;
	return SPOD_OK;
}

int config_set_http_header_timeout(struct loader *l, enum opt_id id, const char *v)
{
	return set_wait_ms(l, id, &l->o->http_header_timeout_ms, v);
}

int config_set_http_call_timeout(struct loader *l, enum opt_id id, const char *v)
{
	return set_wait_ms(l, id, &l->o->http_call_timeout_ms, v);
}

int config_set_eth_downstream_timeout(struct loader *l, enum opt_id id, const char *v)
{
	return set_wait_ms(l, id, &l->o->eth_downstream_timeout_ms, v);
}

/* Whole seconds (libmicrohttpd counts its idle timeout in seconds). */
int config_set_http_idle_timeout(struct loader *l, enum opt_id id, const char *v)
{
	uint64_t ms;

	if (parse_ms(&ms, v, 1000, (uint64_t)HOST_OPT_HTTP_MAX_IDLE_S * 1000) < 0 || ms % 1000 != 0)
		return BAD(l, id, "'%s' is not a whole number of seconds in 1..%u (N or Ns)", v,
		           HOST_OPT_HTTP_MAX_IDLE_S);
	l->o->http_idle_timeout_s = (unsigned)(ms / 1000);
	return SPOD_OK;
}
