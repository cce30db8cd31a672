/*
 * The HTTP layer's pure parts besides routes and JSON bodies (test_http_routes.c has those): the
 * Prometheus rendering of its counters (metrics.c), the seal status object (seal_json.c),
 * /readyz, and base64 (b64.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "host/core/forward.h"
#include "common/b64.h"
#include "host/http/http.h"
#include "host/http/metrics.h"
#include "host/http/params.h"
#include "host/http/reply.h"
#include "host/http/routes.h"
#include "host/http/seal_json.h"
#include "spod/err.h"
#include "spod/wire.h"

#define BODY(text) text, sizeof(text) - 1

static void test_metrics_render(void **state)
{
	static struct spod_http_metrics m;
	char small[64];
	char *buf;
	size_t need, len;

	(void)state;
	spod_http_metrics_init(&m);
	spod_http_metrics_record(&m, SPOD_HTTP_ROUTE_KEY_SIGN, 200, 40000);      /* 40 us */
	spod_http_metrics_record(&m, SPOD_HTTP_ROUTE_KEY_SIGN, 200, 2000000);    /* 2 ms */
	spod_http_metrics_record(&m, SPOD_HTTP_ROUTE_KEY_SIGN, 404, 5000000000); /* 5 s */
	spod_http_metrics_record(&m, SPOD_HTTP_METRIC_UNMATCHED, 405, 1000);
	spod_http_metrics_record(&m, SPOD_HTTP_ROUTE_HEALTHZ, 299, 1000);
	spod_http_metrics_record(&m, SPOD_HTTP_ROUTE_CUSTODIAN_SHARES, 409, 1000);

	need = spod_http_metrics_render(&m, NULL, small, sizeof(small));
	assert_true(need > sizeof(small));
	buf = malloc(need + 1);
	assert_non_null(buf);
	len = spod_http_metrics_render(&m, NULL, buf, need + 1);
	assert_int_equal(len, need);
	assert_int_equal(strlen(buf), len);

	assert_non_null(strstr(buf, "# TYPE spod_http_requests_total counter\n"));
	assert_non_null(strstr(buf, "# TYPE spod_http_request_duration_seconds histogram\n"));
	assert_non_null(strstr(buf, "spod_http_requests_total{route=\"/v1/keys/{id}/sign\","
	                            "method=\"POST\",code=\"200\"} 2\n"));
	assert_non_null(strstr(buf, "spod_http_requests_total{route=\"/v1/keys/{id}/sign\","
	                            "method=\"POST\",code=\"404\"} 1\n"));
	assert_non_null(strstr(buf, "spod_http_requests_total{route=\"unmatched\",method=\"other\","
	                            "code=\"405\"} 1\n"));
	assert_non_null(strstr(buf, "spod_http_requests_total{route=\"/healthz\",method=\"GET\","
	                            "code=\"other\"} 1\n"));
	assert_non_null(strstr(buf, "spod_http_requests_total{route=\"/v1/custodian/shares\","
	                            "method=\"POST\",code=\"409\"} 1\n"));
	/* Zero counters are left out. */
	assert_null(strstr(buf, "code=\"201\""));
	assert_non_null(strstr(buf,
	                       "spod_http_request_duration_seconds_bucket{route=\"/v1/keys/{id}/"
	                       "sign\",method=\"POST\",le=\"5e-05\"} 1\n"));
	assert_non_null(strstr(buf,
	                       "spod_http_request_duration_seconds_bucket{route=\"/v1/keys/{id}/"
	                       "sign\",method=\"POST\",le=\"0.0025\"} 2\n"));
	assert_non_null(strstr(buf,
	                       "spod_http_request_duration_seconds_bucket{route=\"/v1/keys/{id}/"
	                       "sign\",method=\"POST\",le=\"1\"} 2\n"));
	assert_non_null(strstr(buf,
	                       "spod_http_request_duration_seconds_bucket{route=\"/v1/keys/{id}/"
	                       "sign\",method=\"POST\",le=\"+Inf\"} 3\n"));
	assert_non_null(strstr(buf,
	                       "spod_http_request_duration_seconds_count{route=\"/v1/keys/{id}/"
	                       "sign\",method=\"POST\"} 3\n"));
	assert_non_null(strstr(buf, "spod_http_request_duration_seconds_sum{route=\"/v1/keys/{id}/"
	                            "sign\",method=\"POST\"} 5.002040000\n"));
	/* Every drop reason, zero or not; the gauges only when given. */
	assert_non_null(
	    strstr(buf, "spod_http_connections_dropped_total{reason=\"per_address\"} 0\n"));
	assert_null(strstr(buf, "spod_http_connections "));
	free(buf);
	assert_int_equal(spod_http_metrics_render(&m, NULL, NULL, 0), need);

	spod_http_metrics_drop(&m, SPOD_HTTP_DROP_HEADER_TIMEOUT, 3);
	spod_http_metrics_drop(&m, SPOD_HTTP_DROP_MADE_ROOM, 1);
	need = spod_http_metrics_render(&m, &(struct spod_http_gauges){7, 2}, NULL, 0);
	buf = malloc(need + 1);
	assert_non_null(buf);
	assert_int_equal(
	    spod_http_metrics_render(&m, &(struct spod_http_gauges){7, 2}, buf, need + 1), need);
	assert_non_null(
	    strstr(buf, "spod_http_connections_dropped_total{reason=\"header_timeout\"} 3\n"));
	assert_non_null(
	    strstr(buf, "spod_http_connections_dropped_total{reason=\"made_room\"} 1\n"));
	assert_non_null(
	    strstr(buf, "# TYPE spod_http_connections gauge\nspod_http_connections 7\n"));
	assert_non_null(strstr(buf, "spod_http_calls_waiting 2\n"));
	free(buf);
}

static char *dump(json_t *obj)
{
	char *text;

	assert_non_null(obj);
	text = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	assert_non_null(text);
	return text;
}

static void test_seal_object(void **state)
{
	struct spod_seal_info s = {.mode = SPOD_SEAL_CUSTODIANS,
	                           .ready = 0,
	                           .threshold = 2,
	                           .shares = 3,
	                           .present = 1,
	                           .key_count = 7};
	char *text;

	(void)state;
	memset(s.seal_key_id, 0xa5, sizeof(s.seal_key_id));
	text = dump(spod_http_seal_object(&s));
	assert_string_equal(text, "{\"mode\":\"custodians\",\"ready\":false,\"seal_key_id\":"
	                          "\"a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5\",\"shares_present\":1,"
	                          "\"shares_needed\":2,\"shares_total\":3,\"keys\":7}");
	free(text);

	/* An all-zero seal key id is not known yet: null. */
	s = (struct spod_seal_info){
	    .mode = SPOD_SEAL_EPHEMERAL, .ready = 1, .key_count = 4294967295u};
	text = dump(spod_http_seal_object(&s));
	assert_string_equal(text, "{\"mode\":\"ephemeral\",\"ready\":true,\"seal_key_id\":null,"
	                          "\"shares_present\":0,\"shares_needed\":0,\"shares_total\":0,"
	                          "\"keys\":4294967295}");
	free(text);
	s.mode = SPOD_SEAL_UNSET;
	text = dump(spod_http_seal_object(&s));
	assert_non_null(strstr(text, "\"mode\":\"unset\""));
	free(text);
}

/* What the readyz callbacks below report. */
static struct {
	int ready;
	struct spod_http_seal seal;
} host;

static int host_ready(void *ctx)
{
	assert_ptr_equal(ctx, &host);
	return host.ready;
}

static void host_seal(void *ctx, struct spod_http_seal *out)
{
	assert_ptr_equal(ctx, &host);
	*out = host.seal;
}

static void expect_readyz(unsigned status, const char *body)
{
	struct spod_http_reply r = {0};

	spod_http_reply_readyz(&r, host_ready, host_seal, &host);
	assert_int_equal(r.status, status);
	assert_string_equal(r.content_type, SPOD_HTTP_JSON_TYPE);
	assert_string_equal(r.body, body);
	spod_http_reply_free(&r);
}

static void test_readyz(void **state)
{
	struct spod_http_reply r = {0};

	(void)state;
	host.ready = 1;
	host.seal = (struct spod_http_seal){.known = 1, .mode = SPOD_SEAL_EPHEMERAL, .ready = 1};
	memset(host.seal.seal_key_id, 0x3c, sizeof(host.seal.seal_key_id));
	expect_readyz(200, "{\"mode\":\"ephemeral\",\"ready\":true,\"seal_key_id\":"
	                   "\"3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c\",\"shares_present\":0,"
	                   "\"shares_needed\":0,\"shares_total\":0}");

	/* Custodian mode, one share of two in: the same members, 503 and why. */
	host.ready = 0;
	host.seal = (struct spod_http_seal){
	    .known = 1, .mode = SPOD_SEAL_CUSTODIANS, .threshold = 2, .shares = 3, .present = 1};
	memset(host.seal.seal_key_id, 0x3c, sizeof(host.seal.seal_key_id));
	expect_readyz(503, "{\"mode\":\"custodians\",\"ready\":false,\"seal_key_id\":"
	                   "\"3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c\",\"shares_present\":1,"
	                   "\"shares_needed\":2,\"shares_total\":3,\"error\":{\"code\":"
	                   "\"NOT_PROVISIONED\",\"message\":\"waiting for the custodians' shares "
	                   "of the seal key: 1 of 2 received\"}}");
	host.seal = (struct spod_http_seal){.known = 1, .mode = SPOD_SEAL_CUSTODIANS};
	expect_readyz(503, "{\"mode\":\"custodians\",\"ready\":false,\"seal_key_id\":null,"
	                   "\"shares_present\":0,\"shares_needed\":0,\"shares_total\":0,"
	                   "\"error\":{\"code\":\"NOT_PROVISIONED\",\"message\":\"waiting for the "
	                   "custodians' shares of the seal key: none received yet\"}}");

	/* The seal key is there but no connection is ready (replaying keys, or lost). */
	host.seal.ready = 1;
	expect_readyz(503, "{\"mode\":\"custodians\",\"ready\":false,\"seal_key_id\":null,"
	                   "\"shares_present\":0,\"shares_needed\":0,\"shares_total\":0,"
	                   "\"error\":{\"code\":\"UNAVAILABLE\",\"message\":\"no enclave "
	                   "connection is ready\"}}");

	/* Never seen: whatever else the snapshot holds is not shown. */
	host.seal = (struct spod_http_seal){.known = 0, .mode = SPOD_SEAL_CUSTODIANS, .present = 9};
	expect_readyz(503, "{\"mode\":\"unset\",\"ready\":false,\"seal_key_id\":null,"
	                   "\"shares_present\":0,\"shares_needed\":0,\"shares_total\":0,"
	                   "\"error\":{\"code\":\"UNAVAILABLE\",\"message\":\"no enclave "
	                   "connection is ready\"}}");

	/* No callbacks: ready, state unknown. */
	spod_http_reply_readyz(&r, NULL, NULL, NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "{\"mode\":\"unset\",\"ready\":true,\"seal_key_id\":null,"
	                            "\"shares_present\":0,\"shares_needed\":0,\"shares_total\":0}");
	spod_http_reply_free(&r);
}

/* RFC 4648 section 10 vectors, both ways. */
static void test_base64_vectors(void **state)
{
	static const char *const vec[][2] = {
	    {"", ""},
	    {"f", "Zg=="},
	    {"fo", "Zm8="},
	    {"foo", "Zm9v"},
	    {"foob", "Zm9vYg=="},
	    {"fooba", "Zm9vYmE="},
	    {"foobar", "Zm9vYmFy"},
	};
	char enc[16];
	uint8_t dec[8];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		size_t len = strlen(vec[i][0]);

		assert_int_equal(spod_b64_encode(enc, sizeof(enc), (const uint8_t *)vec[i][0], len),
		                 SPOD_OK);
		assert_string_equal(enc, vec[i][1]);
		assert_int_equal(spod_b64_len(len), strlen(vec[i][1]));
		assert_int_equal(
		    spod_b64_decode(dec, sizeof(dec), &n, vec[i][1], strlen(vec[i][1])), SPOD_OK);
		assert_int_equal(n, len);
		assert_memory_equal(dec, vec[i][0], len);
	}
	assert_int_equal(spod_b64_encode(enc, 8, (const uint8_t *)"foobar", 6), SPOD_E_TOO_LARGE);
	assert_int_equal(spod_b64_decode(dec, 5, &n, BODY("Zm9vYmFy")), SPOD_E_TOO_LARGE);
	assert_int_equal(n, 0);
	assert_int_equal(spod_b64_decode(dec, sizeof(dec), &n, BODY("+/+/")), SPOD_OK);
	assert_int_equal(dec[0], 0xfb);
}

static void test_base64_strict(void **state)
{
	static const char *const bad[] = {
	    "Zg",    "Zg=",    "Zg===", "====", "Z===",     "Zh==", "Zm9=",
	    "Zm 9v", "Zm9v\n", "Zm-v",  "Zm_v", "Zg==Zg==", "=Zm9",
	};
	uint8_t dec[16];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = 99;
		if (spod_b64_decode(dec, sizeof(dec), &n, bad[i], strlen(bad[i])) != SPOD_E_BAD_ARG)
			fail_msg("\"%s\" was accepted", bad[i]);
		assert_int_equal(n, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_metrics_render), cmocka_unit_test(test_seal_object),
	    cmocka_unit_test(test_readyz),         cmocka_unit_test(test_base64_vectors),
	    cmocka_unit_test(test_base64_strict),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
