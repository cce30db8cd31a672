/*
 * The HTTP server (src/host/http/server.c, cache.c, handlers.c) over 127.0.0.1, against a fake
 * binary backend in a thread of this process (http_fake.c): every HTTP-level refusal, the
 * answers that need no token, the status codes of the pod's errors, and the connection cache
 * (one hello per token, no caching of a refused token, LRU eviction, a retry when the backend
 * closed a cached connection, 503 when it is gone). Then the defences (gate.c, conns.c,
 * exec.c): header deadlines for new and kept-alive connections, the per-address limit, the
 * 431 of an over-long header, key requests refused at once while the pod is not ready, a
 * stalled backend answered 503 within the call timeout while health checks go on, and a
 * full call queue answered 503 BUSY.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/log.h"
#include "host/core/forward.h"
#include "http_fake.h"
#include "host/http/http.h"
#include "spod/err.h"
#include "spod/wire.h"

#define MAX_BODY  4096u
#define WAIT_S    5
#define PER_ADDR  40    /* above the 33 calls test_busy keeps waiting */
#define HEADER_MS 500u  /* header_timeout_ms */
#define IDLE_S    1u    /* idle_timeout_s */
#define CALL_MS   2000u /* call_timeout_ms */
#define QUEUE     32    /* HTTP_QUEUE_PER_THREAD, one thread */

struct fixture {
	struct fake fake;
	struct spod_http *http;
	atomic_int ready;
	pthread_mutex_t seal_lock; /* the HTTP thread reads seal through seal_cb */
	struct spod_http_seal seal;
	uint16_t port;
};

static struct fixture *fx_global;

static int ready_cb(void *ctx)
{
	return atomic_load(&((struct fixture *)ctx)->ready);
}

static void seal_cb(void *ctx, struct spod_http_seal *out)
{
	struct fixture *fx = ctx;

	pthread_mutex_lock(&fx->seal_lock);
	*out = fx->seal;
	pthread_mutex_unlock(&fx->seal_lock);
}

static void set_seal(struct fixture *fx, const struct spod_http_seal *s)
{
	pthread_mutex_lock(&fx->seal_lock);
	fx->seal = *s;
	pthread_mutex_unlock(&fx->seal_lock);
}

static size_t metrics_cb(void *ctx, char *buf, size_t cap)
{
	static const char text[] = "# HELP host_up Host.\n# TYPE host_up gauge\nhost_up 1\n";

	(void)ctx;
	if (cap > sizeof(text) - 1)
		memcpy(buf, text, sizeof(text));
	return sizeof(text) - 1;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct spod_http_config cfg = {
	    .addr = "127.0.0.1",
	    .port = 0,
	    .max_body_bytes = MAX_BODY,
	    .threads = 1, /* one worker: one connection cache, so hellos can be counted */
	    .max_per_address = PER_ADDR,
	    .idle_timeout_s = IDLE_S,
	    .header_timeout_ms = HEADER_MS,
	    .call_timeout_ms = CALL_MS,
	    .ready = ready_cb,
	    .seal = seal_cb,
	    .metrics = metrics_cb,
	};

	if (fx == NULL || pthread_mutex_init(&fx->seal_lock, NULL) != 0)
		return -1;
	spod_log_init("test_http_server", SPOD_LOG_ERROR);
	fake_start(&fx->fake);
	atomic_store(&fx->ready, 1);
	cfg.backend_uri = fx->fake.uri;
	cfg.ctx = fx;
	if (spod_http_start(&fx->http, &cfg) != SPOD_OK)
		return -1;
	fx->port = spod_http_port(fx->http);
	fx_global = fx;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	spod_http_stop(fx->http);
	fake_stop(&fx->fake);
	pthread_mutex_destroy(&fx->seal_lock);
	free(fx);
	return 0;
}

struct resp {
	int status;
	char head[4096];
	char *body; /* into raw */
	size_t body_len;
	char raw[64 * 1024];
	size_t raw_len;
};

static int connect_http(uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	struct timeval tv = {.tv_sec = WAIT_S};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	return fd;
}

/* Reads until the peer closes (the requests say "Connection: close") and splits r. */
static void read_resp(int fd, struct resp *r)
{
	char *end;

	r->raw_len = 0;
	for (;;) {
		ssize_t n = recv(fd, r->raw + r->raw_len, sizeof(r->raw) - 1 - r->raw_len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		assert_true(n >= 0); /* a timeout fails the test */
		if (n == 0)
			break;
		r->raw_len += (size_t)n;
		assert_true(r->raw_len < sizeof(r->raw) - 1);
	}
	r->raw[r->raw_len] = '\0';
	assert_int_equal(sscanf(r->raw, "HTTP/1.1 %d", &r->status), 1);
	end = strstr(r->raw, "\r\n\r\n");
	assert_non_null(end);
	assert_true((size_t)(end - r->raw) < sizeof(r->head));
	memcpy(r->head, r->raw, (size_t)(end - r->raw) + 2);
	r->head[end - r->raw + 2] = '\0';
	r->body = end + 4;
	r->body_len = r->raw_len - (size_t)(r->body - r->raw);
}

/* One request on a new connection. headers: extra header lines, each ending in CRLF. */
static void request(struct resp *r, const char *method, const char *path, const char *headers,
                    const char *body)
{
	static char text[16 * 1024];
	int fd = connect_http(fx_global->port);
	int n;

	if (body != NULL)
		n = snprintf(text, sizeof(text),
		             "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n%s"
		             "Content-Length: %zu\r\n\r\n%s",
		             method, path, headers, strlen(body), body);
	else
		n = snprintf(text, sizeof(text),
		             "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n%s\r\n",
		             method, path, headers);
	assert_true(n > 0 && (size_t)n < sizeof(text));
	assert_int_equal(fake_send_all(fd, text, (size_t)n), 0);
	read_resp(fd, r);
	close(fd);
}

static int has_header(const struct resp *r, const char *line)
{
	return strstr(r->head, line) != NULL;
}

static void expect_error(const struct resp *r, int status, const char *code)
{
	char want[96];

	assert_int_equal(r->status, status);
	assert_true(has_header(r, "Content-Type: application/json\r\n"));
	snprintf(want, sizeof(want), "{\"error\":{\"code\":\"%s\",\"message\":\"", code);
	if (strncmp(r->body, want, strlen(want)) != 0)
		fail_msg("body %s is not a %s error", r->body, code);
}

#define TOKEN_A    "Authorization: Bearer spod_tokenA\r\n"
#define JSON       "Content-Type: application/json\r\n"
#define KEY_GOOD   "/v1/keys/00112233445566778899aabbccddeeff"
#define KEY_ABSENT "/v1/keys/ee112233445566778899aabbccddeeff"

static void test_open_routes(void **state)
{
	struct fixture *fx = *state;
	struct resp r;

	assert_true(fx->port != 0);
	request(&r, "GET", "/healthz", "", NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "{\"status\":\"ok\"}");
	assert_true(has_header(&r, "Cache-Control: no-store\r\n"));

	/* /readyz: the host's seal snapshot, and readiness from the host, never the backend. */
	request(&r, "GET", "/readyz", "", NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "{\"mode\":\"unset\",\"ready\":true,\"seal_key_id\":null,"
	                            "\"shares_present\":0,\"shares_needed\":0,\"shares_total\":0}");
	set_seal(fx, &(struct spod_http_seal){.known = 1,
	                                      .mode = SPOD_SEAL_EPHEMERAL,
	                                      .ready = 1,
	                                      .seal_key_id = {0x5e, [15] = 0x11}});
	request(&r, "GET", "/readyz", "", NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "{\"mode\":\"ephemeral\",\"ready\":true,\"seal_key_id\":"
	                            "\"5e000000000000000000000000000011\",\"shares_present\":0,"
	                            "\"shares_needed\":0,\"shares_total\":0}");
	atomic_store(&fx->ready, 0);
	request(&r, "GET", "/readyz", "", NULL);
	assert_int_equal(r.status, 503);
	assert_non_null(strstr(r.body, "{\"mode\":\"ephemeral\",\"ready\":false,"));
	assert_non_null(strstr(r.body, "\"code\":\"UNAVAILABLE\""));
	set_seal(fx, &(struct spod_http_seal){.known = 1,
	                                      .mode = SPOD_SEAL_CUSTODIANS,
	                                      .threshold = 3,
	                                      .shares = 5,
	                                      .present = 2});
	request(&r, "GET", "/readyz", "", NULL);
	assert_int_equal(r.status, 503);
	assert_non_null(
	    strstr(r.body, "\"shares_present\":2,\"shares_needed\":3,\"shares_total\":5"));
	assert_non_null(strstr(r.body, "\"code\":\"NOT_PROVISIONED\""));
	assert_non_null(strstr(r.body, "2 of 3 received"));
	atomic_store(&fx->ready, 1);

	request(&r, "GET", "/metrics", "", NULL);
	assert_int_equal(r.status, 200);
	assert_true(has_header(&r, "Content-Type: text/plain; version=0.0.4"));
	assert_int_equal(strncmp(r.body, "# HELP host_up Host.\n", 21), 0);
	assert_non_null(strstr(r.body, "spod_http_requests_total{route=\"/readyz\",method=\"GET\","
	                               "code=\"503\"} 2\n"));
	assert_non_null(strstr(r.body,
	                       "spod_http_request_duration_seconds_count{route=\"/healthz\","
	                       "method=\"GET\"} 1\n"));
	/* Backend never contacted. */
	assert_int_equal(atomic_load(&fx->fake.hellos), 0);
}

static void test_http_refusals(void **state)
{
	struct fixture *fx = *state;
	struct resp r;

	request(&r, "GET", "/nope", "", NULL);
	expect_error(&r, 404, "NOT_FOUND");
	request(&r, "PUT", "/v1/keys", TOKEN_A, NULL);
	expect_error(&r, 405, "METHOD_NOT_ALLOWED");
	assert_true(has_header(&r, "Allow: POST, GET\r\n"));
	request(&r, "GET", "/v1/keys", "", NULL);
	expect_error(&r, 401, "UNAUTHENTICATED");
	assert_true(has_header(&r, "WWW-Authenticate: Bearer\r\n"));
	request(&r, "GET", "/v1/keys", "Authorization: Basic dXNlcjpwYXNz\r\n", NULL);
	expect_error(&r, 401, "UNAUTHENTICATED");
	request(&r, "GET", "/v1/keys/0011", TOKEN_A, NULL);
	expect_error(&r, 400, "BAD_ARG");
	assert_non_null(strstr(r.body, "id:"));
	request(&r, "GET", "/v1/keys?limit=5000", TOKEN_A, NULL);
	expect_error(&r, 400, "BAD_ARG");
	assert_non_null(strstr(r.body, "limit"));
	request(&r, "POST", "/v1/keys", TOKEN_A "Content-Type: text/plain\r\n",
	        "{\"alg\":\"p256\"}");
	expect_error(&r, 415, "UNSUPPORTED_MEDIA_TYPE");
	request(&r, "POST", "/v1/keys", TOKEN_A, "{\"alg\":\"p256\"}");
	expect_error(&r, 415, "UNSUPPORTED_MEDIA_TYPE");
	request(&r, "POST", "/v1/keys", TOKEN_A JSON, "{\"alg\":\"p256\"");
	expect_error(&r, 400, "BAD_JSON");
	assert_non_null(strstr(r.body, "line 1"));
	request(&r, "POST", "/v1/keys", TOKEN_A JSON, "{\"alg\":\"rsa\"}");
	expect_error(&r, 400, "BAD_ARG");
	request(&r, "POST", "/v1/keys/00112233445566778899aabbccddeeff/sign", TOKEN_A JSON,
	        "{\"digest\":\"00\"}");
	expect_error(&r, 400, "BAD_ARG");
	assert_non_null(strstr(r.body, "digest"));
	/* Nothing refused at the HTTP level reached the backend. */
	assert_int_equal(atomic_load(&fx->fake.hellos), 0);
}

static void test_body_limit(void **state)
{
	static char big[2 * MAX_BODY];
	struct fixture *fx = *state;
	char head[512];
	struct resp r;
	int fd, n;

	/* A declared length over the limit is refused before any body is sent. */
	fd = connect_http(fx->port);
	n = snprintf(head, sizeof(head),
	             "POST /v1/attest HTTP/1.1\r\nHost: x\r\n" TOKEN_A JSON
	             "Content-Length: %u\r\n\r\n",
	             MAX_BODY + 1);
	assert_int_equal(fake_send_all(fd, head, (size_t)n), 0);
	read_resp(fd, &r);
	close(fd);
	expect_error(&r, 413, "TOO_LARGE");

	/* A chunked body is read up to the limit, the rest dropped, then refused. */
	memset(big, ' ', sizeof(big));
	big[0] = '{';
	big[sizeof(big) - 1] = '}';
	fd = connect_http(fx->port);
	n = snprintf(head, sizeof(head),
	             "POST /v1/attest HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" TOKEN_A JSON
	             "Transfer-Encoding: chunked\r\n\r\n%zx\r\n",
	             sizeof(big));
	assert_int_equal(fake_send_all(fd, head, (size_t)n), 0);
	assert_int_equal(fake_send_all(fd, big, sizeof(big)), 0);
	assert_int_equal(fake_send_all(fd, "\r\n0\r\n\r\n", 7), 0);
	read_resp(fd, &r);
	close(fd);
	expect_error(&r, 413, "TOO_LARGE");

	/* At the limit exactly, the body is parsed (and the backend asked). */
	memset(big, ' ', MAX_BODY);
	big[0] = '{';
	big[MAX_BODY - 1] = '}';
	big[MAX_BODY] = '\0';
	request(&r, "POST", "/v1/attest", TOKEN_A JSON, big);
	expect_error(&r, 500, "UNKNOWN_OP"); /* the fake does not attest */
}

static void test_garbage_then_serving(void **state)
{
	static const char junk[] = "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03 not http\r\n\r\n";
	struct fixture *fx = *state;
	struct resp r;
	char buf[512];
	int fd = connect_http(fx->port);

	assert_int_equal(fake_send_all(fd, junk, sizeof(junk) - 1), 0);
	while (recv(fd, buf, sizeof(buf), 0) > 0)
		;
	close(fd);
	request(&r, "GET", "/healthz", "", NULL);
	assert_int_equal(r.status, 200);
}

static void test_pod_errors(void **state)
{
	struct fixture *fx = *state;
	struct resp r;

	request(&r, "GET", KEY_GOOD, TOKEN_A, NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body,
	                    "{\"id\":\"00112233445566778899aabbccddeeff\",\"alg\":\"ed25519\","
	                    "\"public_key\":\"4200000000000000000000000000000000000000000000"
	                    "000000000000000000\",\"label\":\"fake-key\","
	                    /* base58 of 0x42 || 31 zero bytes, computed in Python */
	                    "\"solana_address\":\"5SdufgtZzBg7xewJaJaU6AC65eHsbhiqYFMcDsUga6dm\"}");
	request(&r, "GET", KEY_ABSENT, TOKEN_A, NULL);
	expect_error(&r, 404, "KEY_NOT_FOUND");
	assert_non_null(strstr(r.body, "fake: no such key"));
	request(&r, "DELETE", "/v1/keys/fb112233445566778899aabbccddeeff", TOKEN_A, NULL);
	expect_error(&r, 403, "FORBIDDEN");
	assert_non_null(strstr(r.body, "fake: not in the token's keys"));
	request(&r, "DELETE", KEY_GOOD, TOKEN_A, NULL);
	assert_int_equal(r.status, 204);
	assert_int_equal(r.body_len, 0);
	/* Errors of the pod leave the connection usable: still one hello. */
	assert_int_equal(atomic_load(&fx->fake.hellos), 1);
}

#define ENVELOPE(b64) "{\"envelope\":\"" b64 "\"}"

static void test_custodian_routes(void **state)
{
	static const struct {
		const char *body;
		int status;
		const char *code, *message;
	} refused[] = {
	    {ENVELOPE("4QAA"), 409, "MODE_CONFLICT", "fake: this enclave is not in custodian mode"},
	    {ENVELOPE("4gAA"), 409, "REPLAYED", "fake: the envelope's attestation nonce was used"},
	    {ENVELOPE("4wAA"), 409, "WRONG_SEAL_KEY", "fake: a share of another seal key"},
	    {ENVELOPE("5AAA"), 400, "BAD_SHARE", "fake: share 3 is here already"},
	    {ENVELOPE("5QAA"), 403, "FORBIDDEN", "fake: the token lacks the op"},
	    {ENVELOPE("vwAA"), 400, "BAD_FIELD", "fake: the envelope does not open"},
	};
	struct fixture *fx = *state;
	struct resp r;

	request(&r, "GET", "/v1/custodian/status", TOKEN_A, NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "{\"mode\":\"ephemeral\",\"ready\":true,\"seal_key_id\":"
	                            "\"5ea1000000000000000000000000000d\",\"shares_present\":0,"
	                            "\"shares_needed\":0,\"shares_total\":0,\"keys\":3}");
	request(&r, "POST", "/v1/custodian/shares", TOKEN_A JSON, ENVELOPE("AQAA"));
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "{\"mode\":\"custodians\",\"ready\":false,\"seal_key_id\":"
	                            "\"5ea1000000000000000000000000000d\",\"shares_present\":1,"
	                            "\"shares_needed\":2,\"shares_total\":3,\"keys\":0}");
	request(&r, "POST", "/v1/custodian/shares", TOKEN_A JSON, ENVELOPE("AgAA"));
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\"ready\":true,"));
	assert_non_null(strstr(r.body, "\"shares_present\":2,"));
	/* The pod's refusals, with its message, through the one error table. */
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		request(&r, "POST", "/v1/custodian/shares", TOKEN_A JSON, refused[i].body);
		expect_error(&r, refused[i].status, refused[i].code);
		assert_non_null(strstr(r.body, refused[i].message));
	}
	/* Errors of the pod leave the connection usable: one hello for all of it. */
	assert_int_equal(atomic_load(&fx->fake.hellos), 1);
}

static void test_import_route(void **state)
{
	static char big[MAX_BODY + 64];
	struct fixture *fx = *state;
	struct resp r;
	size_t len;

	request(&r, "POST", "/v1/keys/import", TOKEN_A JSON, ENVELOPE("AQAA"));
	assert_int_equal(r.status, 201);
	assert_string_equal(r.body, "{\"id\":\"1d00000000000000000000000000001d\",\"alg\":"
	                            "\"secp256k1\",\"public_key\":\"0477000000000000000000000000"
	                            "000000000000000000000000000000000000000000000000000000000000"
	                            "000000000000000000000000000000000000000000\",\"label\":"
	                            "\"imported\"}");
	request(&r, "POST", "/v1/keys/import", TOKEN_A JSON, ENVELOPE("vwAA"));
	expect_error(&r, 400, "BAD_FIELD");
	assert_non_null(strstr(r.body, "fake: the envelope does not open"));
	request(&r, "POST", "/v1/keys/import", TOKEN_A JSON, ENVELOPE("4gAA"));
	expect_error(&r, 409, "REPLAYED");
	assert_int_equal(atomic_load(&fx->fake.hellos), 1);

	/* Refused before the backend: a bad body, GET on the route, a body over the limit. */
	request(&r, "POST", "/v1/keys/import", TOKEN_A JSON, ENVELOPE(""));
	expect_error(&r, 400, "BAD_ARG");
	assert_non_null(strstr(r.body, "envelope: must not be empty"));
	request(&r, "POST", "/v1/custodian/shares", TOKEN_A JSON,
	        "{\"envelope\":\"00ff\",\"k\":1}");
	expect_error(&r, 400, "BAD_ARG");
	assert_non_null(strstr(r.body, "k: unknown field"));
	request(&r, "GET", "/v1/keys/import", TOKEN_A, NULL);
	expect_error(&r, 405, "METHOD_NOT_ALLOWED");
	assert_true(has_header(&r, "Allow: POST\r\n"));
	len = (size_t)snprintf(big, sizeof(big), "{\"envelope\":\"");
	memset(big + len, 'A', sizeof(big) - len - 3);
	memcpy(big + sizeof(big) - 3, "\"}", 3);
	request(&r, "POST", "/v1/keys/import", TOKEN_A JSON, big);
	expect_error(&r, 413, "TOO_LARGE");
	request(&r, "POST", "/v1/keys/import", JSON, ENVELOPE("AQAA"));
	expect_error(&r, 401, "UNAUTHENTICATED");
	assert_int_equal(atomic_load(&fx->fake.hellos), 1);
}

static void test_cache(void **state)
{
	struct fixture *fx = *state;
	char header[96];
	struct resp r;

	for (int i = 0; i < 3; i++) {
		request(&r, "GET", KEY_GOOD, TOKEN_A, NULL);
		assert_int_equal(r.status, 200);
	}
	assert_int_equal(atomic_load(&fx->fake.hellos), 1);

	/* A refused token: 401, and asked again every time (never cached). */
	for (int i = 0; i < 2; i++) {
		request(&r, "GET", KEY_GOOD, "Authorization: Bearer badtoken\r\n", NULL);
		expect_error(&r, 401, "UNAUTHENTICATED");
		assert_true(has_header(&r, "WWW-Authenticate: Bearer\r\n"));
	}
	assert_int_equal(atomic_load(&fx->fake.hellos), 3);

	/* Eight more tokens evict token A (least recently used). */
	for (int i = 0; i < 8; i++) {
		snprintf(header, sizeof(header), "Authorization: Bearer spod_other%d\r\n", i);
		request(&r, "GET", KEY_GOOD, header, NULL);
		assert_int_equal(r.status, 200);
	}
	assert_int_equal(atomic_load(&fx->fake.hellos), 11);
	request(&r, "GET", KEY_GOOD, TOKEN_A, NULL);
	assert_int_equal(r.status, 200);
	assert_int_equal(atomic_load(&fx->fake.hellos), 12);
	/* The evicted connections were closed, not leaked (the fake sees that a little later). */
	for (int waited_ms = 0; atomic_load(&fx->fake.open_conns) > 8; waited_ms += 10) {
		assert_true(waited_ms < WAIT_S * 1000);
		poll(NULL, 0, 10);
	}
}

static void test_retry_after_close(void **state)
{
	struct fixture *fx = *state;
	struct resp r;

	request(&r, "GET", KEY_GOOD, TOKEN_A, NULL);
	assert_int_equal(r.status, 200);
	assert_int_equal(atomic_load(&fx->fake.hellos), 1);
	/* The backend now drops every connection after one answer: the first request still
	 * has its open connection; each later one finds its cached connection closed and
	 * succeeds on a new one. */
	atomic_store(&fx->fake.close_after, 1);
	for (int i = 0; i < 4; i++) {
		request(&r, "GET", KEY_GOOD, TOKEN_A, NULL);
		assert_int_equal(r.status, 200);
	}
	assert_int_equal(atomic_load(&fx->fake.hellos), 4);
	atomic_store(&fx->fake.close_after, 0);
}

static void test_backend_gone(void **state)
{
	struct fixture *fx = *state;
	struct resp r;

	request(&r, "GET", KEY_GOOD, TOKEN_A, NULL);
	assert_int_equal(r.status, 200);
	fake_stop(&fx->fake);
	request(&r, "GET", KEY_GOOD, TOKEN_A, NULL);
	expect_error(&r, 503, "UNAVAILABLE");
	request(&r, "GET", "/healthz", "", NULL);
	assert_int_equal(r.status, 200);
	/* teardown stops the fake again: make that harmless. */
	fake_start(&fx->fake);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A new connection that sent text and nothing more. */
static int open_sending(const char *text)
{
	int fd = connect_http(fx_global->port);

	assert_int_equal(fake_send_all(fd, text, strlen(text)), 0);
	return fd;
}

/* Reads and counts what comes until the server closes fd (a timeout fails the test). */
static size_t read_to_close(int fd)
{
	char buf[4096];
	size_t got = 0;

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ECONNRESET)
			return got;
		assert_true(n >= 0);
		if (n == 0)
			return got;
		got += (size_t)n;
	}
}

/* Reads until text has come (a timeout or the end of the stream fails the test). */
static void read_until(int fd, const char *text)
{
	char buf[4096];
	size_t len = 0;

	while (memmem(buf, len, text, strlen(text)) == NULL) {
		ssize_t n = recv(fd, buf + len, sizeof(buf) - len, 0);

		assert_true(n > 0);
		len += (size_t)n;
		assert_true(len < sizeof(buf));
	}
}

/* The value of one line of /metrics (its exact text before the value). */
static long metric(const char *name)
{
	char line[160];
	struct resp r;
	const char *p;

	snprintf(line, sizeof(line), "\n%s", name);
	request(&r, "GET", "/metrics", "", NULL);
	assert_int_equal(r.status, 200);
	p = strstr(r.body, line);
	if (p == NULL)
		fail_msg("no %s in /metrics", name);
	return strtol(p + strlen(line), NULL, 10);
}

static void wait_for(atomic_int *v, int want)
{
	for (int waited_ms = 0; atomic_load(v) != want; waited_ms += 10) {
		assert_true(waited_ms < WAIT_S * 1000);
		poll(NULL, 0, 10);
	}
}

static void test_header_deadline(void **state)
{
	int64_t t0 = now_ms(), took;
	struct resp r;
	int fd;

	(void)state;
	/* A header that never ends: closed unanswered at its deadline, however it trickles. */
	fd = open_sending("GET /healthz HTTP/1.1\r\nHost: x\r\n");
	assert_int_equal(read_to_close(fd), 0);
	took = now_ms() - t0;
	close(fd);
	assert_true(took >= HEADER_MS);
	assert_int_equal(metric("spod_http_connections_dropped_total{reason=\"header_timeout\"} "),
	                 1);
	/* A header in pieces that is whole in time is served. */
	fd = open_sending("GET /healthz HTTP/1.1\r\n");
	poll(NULL, 0, 50);
	assert_int_equal(fake_send_all(fd, "Host: x\r\nConnection: close\r\n", 28), 0);
	poll(NULL, 0, 50);
	assert_int_equal(fake_send_all(fd, "\r\n", 2), 0);
	read_resp(fd, &r);
	close(fd);
	assert_int_equal(r.status, 200);
}

static void test_keepalive_deadline(void **state)
{
	int64_t t0, took = 0;
	int fd, closed = 0;

	(void)state;
	fd = open_sending("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
	read_until(fd, "{\"status\":\"ok\"}");
	/* The next header, a byte at a time: each byte restarts libmicrohttpd's idle timer,
	 * but not the deadline of idle + header time from the answer. */
	t0 = now_ms();
	assert_int_equal(fake_send_all(fd, "GET /healthz HTTP/1.1\r\n", 23), 0);
	while (!closed) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		char c;

		took = now_ms() - t0;
		assert_true(took < (int64_t)(IDLE_S * 1000 + HEADER_MS) + WAIT_S * 1000);
		if (poll(&p, 1, 100) == 1)
			closed = recv(fd, &c, 1, 0) <= 0;
		else
			closed = send(fd, "X", 1, MSG_NOSIGNAL) != 1;
	}
	close(fd);
	assert_true(took >= (int64_t)(IDLE_S * 1000 + HEADER_MS) - 100);
}

static void test_per_address_limit(void **state)
{
	int fds[PER_ADDR], fd;
	int64_t t0;
	struct resp r;

	(void)state;
	for (int i = 0; i < PER_ADDR; i++)
		fds[i] = open_sending("GET /healthz HTTP/1.1\r\n");
	/* One more from the same address is closed at once, long before any deadline. */
	t0 = now_ms();
	fd = connect_http(fx_global->port);
	assert_int_equal(read_to_close(fd), 0);
	assert_true(now_ms() - t0 < HEADER_MS);
	close(fd);
	for (int i = 0; i < PER_ADDR; i++)
		close(fds[i]);
	/* The closed ones are uncounted (the server sees them go a little later). */
	for (int waited_ms = 0;; waited_ms += 10) {
		int fd2 = connect_http(fx_global->port);
		char text[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

		assert_int_equal(fake_send_all(fd2, text, sizeof(text) - 1), 0);
		if (read_to_close(fd2) > 0) {
			close(fd2);
			break;
		}
		close(fd2);
		assert_true(waited_ms < WAIT_S * 1000);
		poll(NULL, 0, 10);
	}
	request(&r, "GET", "/healthz", "", NULL);
	assert_int_equal(r.status, 200);
	assert_true(metric("spod_http_connections_dropped_total{reason=\"per_address\"} ") >= 1);
}

static void test_header_too_long(void **state)
{
	static char text[17000];
	struct resp r;
	int fd;

	(void)state;
	memset(text, 'a', sizeof(text) - 1);
	memcpy(text, "GET /healthz HTTP/1.1\r\nX-Long: ", 31);
	fd = open_sending(text);
	read_resp(fd, &r);
	close(fd);
	expect_error(&r, 431, "TOO_LARGE");
}

static void test_not_ready(void **state)
{
	struct fixture *fx = *state;
	struct resp r;

	/* Key requests are refused at once, without a connection to the host. */
	atomic_store(&fx->ready, 0);
	request(&r, "GET", KEY_GOOD, TOKEN_A, NULL);
	expect_error(&r, 503, "UNAVAILABLE");
	request(&r, "POST", KEY_GOOD "/sign", TOKEN_A JSON, "{\"message\":\"00\"}");
	expect_error(&r, 503, "UNAVAILABLE");
	set_seal(fx, &(struct spod_http_seal){.known = 1,
	                                      .mode = SPOD_SEAL_CUSTODIANS,
	                                      .threshold = 2,
	                                      .shares = 3,
	                                      .present = 1});
	request(&r, "DELETE", KEY_GOOD, TOKEN_A, NULL);
	expect_error(&r, 503, "NOT_PROVISIONED");
	assert_non_null(strstr(r.body, "1 of 2 received"));
	/* Still 401 without a token; the custodian routes still reach the host. */
	request(&r, "GET", KEY_GOOD, "", NULL);
	expect_error(&r, 401, "UNAUTHENTICATED");
	assert_int_equal(atomic_load(&fx->fake.hellos), 0);
	request(&r, "GET", "/v1/custodian/status", TOKEN_A, NULL);
	assert_int_equal(r.status, 200);
	assert_int_equal(atomic_load(&fx->fake.hellos), 1);
	atomic_store(&fx->ready, 1);
	request(&r, "GET", KEY_GOOD, TOKEN_A, NULL);
	assert_int_equal(r.status, 200);
}

static void test_stalled_backend(void **state)
{
	static const char get[] =
	    "GET " KEY_GOOD " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" TOKEN_A "\r\n";
	struct fixture *fx = *state;
	int64_t t0 = now_ms();
	struct resp r;
	int fd;

	atomic_store(&fx->fake.stall, 1);
	fd = open_sending(get);
	wait_for(&fx->fake.stalled, 1);
	/* The one HTTP thread is not waiting for the backend. */
	request(&r, "GET", "/healthz", "", NULL);
	assert_int_equal(r.status, 200);
	request(&r, "GET", "/readyz", "", NULL);
	assert_int_equal(r.status, 200);
	read_resp(fd, &r);
	close(fd);
	expect_error(&r, 503, "UNAVAILABLE");
	assert_non_null(strstr(r.body, "did not answer within 2000 ms"));
	assert_true(now_ms() - t0 >= CALL_MS);
	/* Its connection was closed (an answer could still come on it): a new hello. */
	atomic_store(&fx->fake.stall, 0);
	request(&r, "GET", KEY_GOOD, TOKEN_A, NULL);
	assert_int_equal(r.status, 200);
	assert_int_equal(atomic_load(&fx->fake.hellos), 2);
}

static void test_busy(void **state)
{
	static const char get[] =
	    "GET " KEY_GOOD " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" TOKEN_A "\r\n";
	struct fixture *fx = *state;
	int fds[QUEUE + 1];
	struct resp r;

	atomic_store(&fx->fake.stall, 1);
	/* One call runs (the fake holds it)... */
	fds[0] = open_sending(get);
	wait_for(&fx->fake.stalled, 1);
	/* ...and QUEUE wait for the thread. */
	for (int i = 1; i <= QUEUE; i++)
		fds[i] = open_sending(get);
	for (int waited_ms = 0; metric("spod_http_calls_waiting ") < QUEUE; waited_ms += 10) {
		assert_true(waited_ms < WAIT_S * 1000);
		poll(NULL, 0, 10);
	}
	/* The next is refused at once. */
	request(&r, "GET", KEY_GOOD, TOKEN_A, NULL);
	expect_error(&r, 503, "BUSY");
	atomic_store(&fx->fake.stall, 0);
	/* The held call times out; those that waited are carried out if time is left. */
	read_resp(fds[0], &r);
	close(fds[0]);
	expect_error(&r, 503, "UNAVAILABLE");
	for (int i = 1; i <= QUEUE; i++) {
		read_resp(fds[i], &r);
		close(fds[i]);
		if (r.status != 200)
			expect_error(&r, 503, "UNAVAILABLE");
	}
	request(&r, "GET", KEY_GOOD, TOKEN_A, NULL);
	assert_int_equal(r.status, 200);
}

static void test_start_refusals(void **state)
{
	struct spod_http_config cfg = {.addr = "127.0.0.1",
	                               .backend_uri = "unix:///nonexistent",
	                               .max_body_bytes = 1,
	                               .threads = 1};
	struct spod_http *h = NULL;

	(void)state;
	spod_log_init("test_http_server", (enum spod_log_level)(SPOD_LOG_ERROR + 1));
	cfg.addr = "localhost";
	assert_int_equal(spod_http_start(&h, &cfg), SPOD_E_BAD_ARG);
	assert_null(h);
	cfg.addr = "127.0.0.1";
	cfg.threads = 65;
	assert_int_equal(spod_http_start(&h, &cfg), SPOD_E_BAD_ARG);
	cfg.threads = 1;
	cfg.tls_cert = "/nonexistent/cert.pem";
	assert_int_equal(spod_http_start(&h, &cfg), SPOD_E_BAD_ARG); /* no key */
	cfg.tls_key = "/nonexistent/key.pem";
	assert_int_equal(spod_http_start(&h, &cfg), SPOD_E_IO);
	cfg.tls_cert = cfg.tls_key = NULL;
	cfg.addr = "::1";
	if (spod_http_start(&h, &cfg) == SPOD_OK) { /* IPv6 loopback may be disabled */
		assert_true(spod_http_port(h) != 0);
		spod_http_stop(h);
	}
	spod_http_stop(NULL);
	spod_log_init("test_http_server", SPOD_LOG_ERROR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_open_routes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_http_refusals, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_body_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_garbage_then_serving, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pod_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_custodian_routes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_import_route, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cache, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retry_after_close, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_backend_gone, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_header_deadline, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_keepalive_deadline, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_per_address_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_header_too_long, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_not_ready, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stalled_backend, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_busy, setup, teardown),
	    cmocka_unit_test(test_start_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
