/*
 * The HTTP layer's pure parts besides the JSON bodies: the route table and matcher
 * (src/host/http/routes.c), header and query parsing (params.c), the status mapping and error
 * bodies (reply.c), the Prometheus rendering of its counters (metrics.c) and base64 (b64.c).
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

static void test_route_match(void **state)
{
	struct spod_http_match m;

	(void)state;
	assert_int_equal(spod_http_route_match(&m, "POST", "/v1/keys"), SPOD_HTTP_MATCH_OK);
	assert_int_equal(m.route->id, SPOD_HTTP_ROUTE_KEYS_CREATE);
	assert_null(m.id);
	assert_int_equal(spod_http_route_match(&m, "GET", "/v1/keys"), SPOD_HTTP_MATCH_OK);
	assert_int_equal(m.route->id, SPOD_HTTP_ROUTE_KEYS_LIST);

	assert_int_equal(spod_http_route_match(&m, "GET", "/v1/keys/abc"), SPOD_HTTP_MATCH_OK);
	assert_int_equal(m.route->id, SPOD_HTTP_ROUTE_KEY_GET);
	assert_int_equal(m.id_len, 3);
	assert_memory_equal(m.id, "abc", 3);
	assert_int_equal(spod_http_route_match(&m, "DELETE", "/v1/keys/abc"), SPOD_HTTP_MATCH_OK);
	assert_int_equal(m.route->id, SPOD_HTTP_ROUTE_KEY_DELETE);

	assert_int_equal(spod_http_route_match(&m, "POST", "/v1/keys/0011/sign"),
	                 SPOD_HTTP_MATCH_OK);
	assert_int_equal(m.route->id, SPOD_HTTP_ROUTE_KEY_SIGN);
	assert_int_equal(m.id_len, 4);
	assert_memory_equal(m.id, "0011", 4);
	assert_true(m.route->flags & SPOD_HTTP_ROUTE_TOKEN);
	assert_true(m.route->flags & SPOD_HTTP_ROUTE_BODY);
	assert_true(m.route->flags & SPOD_HTTP_ROUTE_KEY);
	assert_true(m.route->flags & SPOD_HTTP_ROUTE_READY);
	/* sign-transaction: the same flags, and not mistaken for sign */
	assert_int_equal(spod_http_route_match(&m, "POST", "/v1/keys/0011/sign-transaction"),
	                 SPOD_HTTP_MATCH_OK);
	assert_int_equal(m.route->id, SPOD_HTTP_ROUTE_KEY_SIGN_TX);
	assert_int_equal(m.id_len, 4);
	assert_int_equal(m.route->flags, SPOD_HTTP_ROUTE_TOKEN | SPOD_HTTP_ROUTE_BODY |
	                                     SPOD_HTTP_ROUTE_KEY | SPOD_HTTP_ROUTE_READY);
	assert_int_equal(spod_http_route_match(&m, "GET", "/v1/keys/0011/sign-transaction"),
	                 SPOD_HTTP_MATCH_NO_METHOD);
	/* sign-authorization: the same flags as the other sign.tx routes */
	assert_int_equal(spod_http_route_match(&m, "POST", "/v1/keys/0011/sign-authorization"),
	                 SPOD_HTTP_MATCH_OK);
	assert_int_equal(m.route->id, SPOD_HTTP_ROUTE_KEY_SIGN_AUTH);
	assert_int_equal(m.id_len, 4);
	assert_int_equal(m.route->flags, SPOD_HTTP_ROUTE_TOKEN | SPOD_HTTP_ROUTE_BODY |
	                                     SPOD_HTTP_ROUTE_KEY | SPOD_HTTP_ROUTE_READY);
	assert_int_equal(spod_http_route_match(&m, "GET", "/v1/keys/0011/sign-authorization"),
	                 SPOD_HTTP_MATCH_NO_METHOD);
	assert_string_equal(m.allow, "POST");
	/* the key's policy: PUT and DELETE take a body (DELETE's may be left out), GET none */
	assert_int_equal(spod_http_route_match(&m, "PUT", "/v1/keys/0011/policy"),
	                 SPOD_HTTP_MATCH_OK);
	assert_int_equal(m.route->id, SPOD_HTTP_ROUTE_POLICY_PUT);
	assert_int_equal(m.route->flags, SPOD_HTTP_ROUTE_TOKEN | SPOD_HTTP_ROUTE_BODY |
	                                     SPOD_HTTP_ROUTE_KEY | SPOD_HTTP_ROUTE_READY);
	assert_int_equal(spod_http_route_match(&m, "GET", "/v1/keys/0011/policy"),
	                 SPOD_HTTP_MATCH_OK);
	assert_int_equal(m.route->id, SPOD_HTTP_ROUTE_POLICY_GET);
	assert_int_equal(m.route->flags,
	                 SPOD_HTTP_ROUTE_TOKEN | SPOD_HTTP_ROUTE_KEY | SPOD_HTTP_ROUTE_READY);
	assert_int_equal(spod_http_route_match(&m, "DELETE", "/v1/keys/0011/policy"),
	                 SPOD_HTTP_MATCH_OK);
	assert_int_equal(m.route->id, SPOD_HTTP_ROUTE_POLICY_DELETE);
	assert_true(m.route->flags & SPOD_HTTP_ROUTE_BODY_OPTIONAL);
	assert_int_equal(spod_http_route_match(&m, "POST", "/v1/keys/0011/policy"),
	                 SPOD_HTTP_MATCH_NO_METHOD);
	assert_string_equal(m.allow, "PUT, GET, DELETE");

	assert_int_equal(spod_http_route_match(&m, "POST", "/v1/sign/batch"), SPOD_HTTP_MATCH_OK);
	assert_int_equal(m.route->id, SPOD_HTTP_ROUTE_SIGN_BATCH);
	assert_int_equal(spod_http_route_match(&m, "POST", "/v1/attest"), SPOD_HTTP_MATCH_OK);
	assert_int_equal(m.route->id, SPOD_HTTP_ROUTE_ATTEST);
	assert_int_equal(spod_http_route_match(&m, "POST", "/v1/keys/import"), SPOD_HTTP_MATCH_OK);
	assert_int_equal(m.route->id, SPOD_HTTP_ROUTE_KEYS_IMPORT);
	assert_null(m.id);
	assert_int_equal(m.route->flags,
	                 SPOD_HTTP_ROUTE_TOKEN | SPOD_HTTP_ROUTE_BODY | SPOD_HTTP_ROUTE_READY);
	assert_int_equal(spod_http_route_match(&m, "POST", "/v1/custodian/shares"),
	                 SPOD_HTTP_MATCH_OK);
	assert_int_equal(m.route->id, SPOD_HTTP_ROUTE_CUSTODIAN_SHARES);
	assert_int_equal(m.route->flags, SPOD_HTTP_ROUTE_TOKEN | SPOD_HTTP_ROUTE_BODY);
	assert_int_equal(spod_http_route_match(&m, "GET", "/v1/custodian/status"),
	                 SPOD_HTTP_MATCH_OK);
	assert_int_equal(m.route->id, SPOD_HTTP_ROUTE_CUSTODIAN_STATUS);
	assert_int_equal(m.route->flags, SPOD_HTTP_ROUTE_TOKEN);
	/* A waiting pod serves attestation and its own key list (docs/host.md). */
	assert_int_equal(spod_http_route_match(&m, "POST", "/v1/attest"), SPOD_HTTP_MATCH_OK);
	assert_int_equal(m.route->flags & SPOD_HTTP_ROUTE_READY, 0);
	assert_int_equal(spod_http_route_match(&m, "GET", "/v1/keys"), SPOD_HTTP_MATCH_OK);
	assert_int_equal(m.route->flags & SPOD_HTTP_ROUTE_READY, 0);
	/* A literal segment where a key id could stand is not taken for one... */
	assert_int_equal(spod_http_route_match(&m, "POST", "/v1/keys/import/sign"),
	                 SPOD_HTTP_MATCH_OK);
	assert_int_equal(m.route->id, SPOD_HTTP_ROUTE_KEY_SIGN);
	assert_memory_equal(m.id, "import", 6);
	/* ...only a whole path a literal template matches. */
	assert_int_equal(spod_http_route_match(&m, "GET", "/v1/keys/imports"), SPOD_HTTP_MATCH_OK);
	assert_int_equal(m.route->id, SPOD_HTTP_ROUTE_KEY_GET);
	assert_int_equal(spod_http_route_match(&m, "GET", "/healthz"), SPOD_HTTP_MATCH_OK);
	assert_int_equal(m.route->flags & SPOD_HTTP_ROUTE_TOKEN, 0);
	assert_int_equal(spod_http_route_match(&m, "GET", "/readyz"), SPOD_HTTP_MATCH_OK);
	assert_int_equal(m.route->flags & SPOD_HTTP_ROUTE_TOKEN, 0);
	assert_int_equal(spod_http_route_match(&m, "GET", "/metrics"), SPOD_HTTP_MATCH_OK);
	assert_int_equal(m.route->flags & SPOD_HTTP_ROUTE_TOKEN, 0);
	/* Solana: no key in the path, the transaction or the address picks it */
	assert_int_equal(spod_http_route_match(&m, "POST", "/v1/solana/sign-transaction"),
	                 SPOD_HTTP_MATCH_OK);
	assert_int_equal(m.route->id, SPOD_HTTP_ROUTE_SOL_SIGN_TX);
	assert_int_equal(m.route->flags,
	                 SPOD_HTTP_ROUTE_TOKEN | SPOD_HTTP_ROUTE_BODY | SPOD_HTTP_ROUTE_READY);
	assert_int_equal(spod_http_route_match(&m, "POST", "/v1/solana/sign-message"),
	                 SPOD_HTTP_MATCH_OK);
	assert_int_equal(m.route->id, SPOD_HTTP_ROUTE_SOL_SIGN_MSG);
	assert_int_equal(spod_http_route_match(&m, "GET", "/v1/solana/sign-message"),
	                 SPOD_HTTP_MATCH_NO_METHOD);
	/* Ethereum JSON-RPC: a token route with a body, only POST. */
	assert_int_equal(spod_http_route_match(&m, "POST", "/eth"), SPOD_HTTP_MATCH_OK);
	assert_int_equal(m.route->id, SPOD_HTTP_ROUTE_ETH_RPC);
	assert_int_equal(m.route->flags & (SPOD_HTTP_ROUTE_TOKEN | SPOD_HTTP_ROUTE_BODY),
	                 SPOD_HTTP_ROUTE_TOKEN | SPOD_HTTP_ROUTE_BODY);
	assert_int_equal(spod_http_route_match(&m, "GET", "/eth"), SPOD_HTTP_MATCH_NO_METHOD);
	assert_string_equal(m.allow, "POST");
}

static void test_route_no_match(void **state)
{
	static const char *const paths[] = {
	    "",
	    "/",
	    "/v1",
	    "/v1/keys/",
	    "/v1/keys//sign",
	    "/v1/keysx",
	    "/V1/keys",
	    "/v1/keys/a/b",
	    "/v1/keys/a/sign/",
	    "/v1/sign",
	    "/healthz/",
	    "/metricsx",
	    "//v1/keys",
	    "/v1/keys/a/signs",
	    "/v1/attest/x",
	    "/v1/custodian",
	    "/v1/custodian/",
	    "/v1/custodian/shares/",
	    "/v1/custodian/share",
	};
	struct spod_http_match m;

	(void)state;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		if (spod_http_route_match(&m, "GET", paths[i]) != SPOD_HTTP_MATCH_NO_PATH)
			fail_msg("\"%s\" matched", paths[i]);
		assert_null(m.route);
	}
}

static void test_route_wrong_method(void **state)
{
	struct spod_http_match m;

	(void)state;
	assert_int_equal(spod_http_route_match(&m, "PUT", "/v1/keys"), SPOD_HTTP_MATCH_NO_METHOD);
	assert_null(m.route);
	assert_string_equal(m.allow, "POST, GET");
	assert_int_equal(spod_http_route_match(&m, "POST", "/v1/keys/x"),
	                 SPOD_HTTP_MATCH_NO_METHOD);
	assert_string_equal(m.allow, "GET, DELETE");
	assert_int_equal(spod_http_route_match(&m, "GET", "/v1/keys/x/sign"),
	                 SPOD_HTTP_MATCH_NO_METHOD);
	assert_string_equal(m.allow, "POST");
	assert_int_equal(spod_http_route_match(&m, "get", "/healthz"), SPOD_HTTP_MATCH_NO_METHOD);
	assert_string_equal(m.allow, "GET");
	assert_int_equal(spod_http_route_match(&m, "HEAD", "/metrics"), SPOD_HTTP_MATCH_NO_METHOD);
	/* /v1/keys/import is not a key: GET and DELETE on it are 405, not key operations. */
	assert_int_equal(spod_http_route_match(&m, "GET", "/v1/keys/import"),
	                 SPOD_HTTP_MATCH_NO_METHOD);
	assert_null(m.route);
	assert_null(m.id);
	assert_string_equal(m.allow, "POST");
	assert_int_equal(spod_http_route_match(&m, "DELETE", "/v1/keys/import"),
	                 SPOD_HTTP_MATCH_NO_METHOD);
	assert_string_equal(m.allow, "POST");
	assert_int_equal(spod_http_route_match(&m, "POST", "/v1/custodian/status"),
	                 SPOD_HTTP_MATCH_NO_METHOD);
	assert_string_equal(m.allow, "GET");
	assert_int_equal(spod_http_route_match(&m, "GET", "/v1/custodian/shares"),
	                 SPOD_HTTP_MATCH_NO_METHOD);
	assert_string_equal(m.allow, "POST");
}

static void test_list_routes(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	assert_non_null(f);
	spod_http_list_routes(f);
	fclose(f);
	assert_string_equal(text, "POST /v1/keys\n"
	                          "GET /v1/keys\n"
	                          "POST /v1/keys/import\n"
	                          "GET /v1/keys/{id}\n"
	                          "DELETE /v1/keys/{id}\n"
	                          "POST /v1/keys/{id}/sign\n"
	                          "POST /v1/sign/batch\n"
	                          "POST /v1/keys/{id}/sign-transaction\n"
	                          "POST /v1/keys/{id}/sign-message\n"
	                          "POST /v1/keys/{id}/sign-typed-data\n"
	                          "POST /v1/keys/{id}/sign-authorization\n"
	                          "PUT /v1/keys/{id}/policy\n"
	                          "GET /v1/keys/{id}/policy\n"
	                          "DELETE /v1/keys/{id}/policy\n"
	                          "POST /v1/attest\n"
	                          "POST /v1/custodian/shares\n"
	                          "GET /v1/custodian/status\n"
	                          "GET /healthz\n"
	                          "GET /readyz\n"
	                          "GET /metrics\n"
	                          "GET /api/v1/eth1/publicKeys\n"
	                          "POST /api/v1/eth1/sign/{id}\n"
	                          "GET /upcheck\n"
	                          "POST /v1/solana/sign-transaction\n"
	                          "POST /v1/solana/sign-message\n"
	                          "POST /eth\n");
	free(text);
	/* The table is indexed by its ids. */
	for (size_t i = 0; i < SPOD_HTTP_ROUTE__COUNT; i++)
		assert_int_equal(spod_http_routes[i].id, i);
}

static void test_bearer(void **state)
{
	static const char tok[] = "spod_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	char header[SPOD_TOKEN_MAX_BYTES + 16];
	const char *t;
	size_t n;

	(void)state;
	snprintf(header, sizeof(header), "Bearer %s", tok);
	assert_int_equal(spod_http_bearer(&t, &n, header), SPOD_OK);
	assert_int_equal(n, strlen(tok));
	assert_string_equal(t, tok);
	assert_int_equal(spod_http_bearer(&t, &n, "bearer   abc+/=="), SPOD_OK);
	assert_string_equal(t, "abc+/==");

	static const char *const bad[] = {
	    "",          "Bearer",     "Bearer ",     "Bearer  ",    "Basic abc",
	    "Bearerabc", "Bearer a b", "Bearer a=b",  "Bearer a\t",  "Bearer \"abc\"",
	    "Bearer =",  "Token abc",  " Bearer abc", "Bearer ab,c",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (spod_http_bearer(&t, &n, bad[i]) != SPOD_E_UNAUTHENTICATED)
			fail_msg("\"%s\" was accepted", bad[i]);
		assert_null(t);
		assert_int_equal(n, 0);
	}
	assert_int_equal(spod_http_bearer(&t, &n, NULL), SPOD_E_UNAUTHENTICATED);

	/* At most SPOD_TOKEN_MAX_BYTES, as hello carries. */
	memcpy(header, "Bearer ", 7);
	memset(header + 7, 'a', SPOD_TOKEN_MAX_BYTES);
	header[7 + SPOD_TOKEN_MAX_BYTES] = '\0';
	assert_int_equal(spod_http_bearer(&t, &n, header), SPOD_OK);
	header[7 + SPOD_TOKEN_MAX_BYTES] = 'a';
	header[8 + SPOD_TOKEN_MAX_BYTES] = '\0';
	assert_int_equal(spod_http_bearer(&t, &n, header), SPOD_E_UNAUTHENTICATED);
}

static void test_content_type(void **state)
{
	(void)state;
	assert_true(spod_http_is_json("application/json"));
	assert_true(spod_http_is_json("Application/JSON"));
	assert_true(spod_http_is_json("application/json; charset=utf-8"));
	assert_true(spod_http_is_json("application/json;charset=UTF-8"));
	assert_true(spod_http_is_json(" application/json "));
	assert_false(spod_http_is_json(NULL));
	assert_false(spod_http_is_json(""));
	assert_false(spod_http_is_json("text/plain"));
	assert_false(spod_http_is_json("application/jsonx"));
	assert_false(spod_http_is_json("application/json-seq"));
	assert_false(spod_http_is_json("application/x-www-form-urlencoded"));
	assert_false(spod_http_is_json("application"));
}

static void test_list_query(void **state)
{
	struct spod_http_list_query q;
	struct spod_http_perr err;

	(void)state;
	spod_http_list_query_init(&q);
	assert_int_equal(q.cursor, 0);
	assert_int_equal(q.limit, SPOD_HTTP_LIST_DEFAULT);
	assert_int_equal(spod_http_list_query_add(&q, &err, "cursor", "4294967295"), SPOD_OK);
	assert_int_equal(q.cursor, UINT32_MAX);
	assert_int_equal(spod_http_list_query_add(&q, &err, "limit", "1024"), SPOD_OK);
	assert_int_equal(q.limit, SPOD_LIST_MAX_ITEMS);

	assert_int_equal(spod_http_list_query_add(&q, &err, "limit", "1"), SPOD_E_BAD_ARG);
	assert_string_equal(err.code, "BAD_ARG");
	assert_non_null(strstr(err.msg, "limit: given twice"));
	assert_int_equal(q.limit, SPOD_LIST_MAX_ITEMS);

	static const char *const bad_limits[] = {
	    "0", "1025", "", "-1", "+5", " 5", "5x", "0x10", "99999999999999999999"};
	for (size_t i = 0; i < sizeof(bad_limits) / sizeof(bad_limits[0]); i++) {
		spod_http_list_query_init(&q);
		if (spod_http_list_query_add(&q, &err, "limit", bad_limits[i]) != SPOD_E_BAD_ARG)
			fail_msg("limit=\"%s\" was accepted", bad_limits[i]);
		assert_int_equal(q.limit, SPOD_HTTP_LIST_DEFAULT);
	}
	spod_http_list_query_init(&q);
	assert_int_equal(spod_http_list_query_add(&q, &err, "limit", NULL), SPOD_E_BAD_ARG);
	assert_int_equal(spod_http_list_query_add(&q, &err, "cursor", "4294967296"),
	                 SPOD_E_BAD_ARG);
	assert_non_null(strstr(err.msg, "cursor"));
	assert_int_equal(spod_http_list_query_add(&q, &err, "offset", "1"), SPOD_E_BAD_ARG);
	assert_non_null(strstr(err.msg, "unknown query parameter"));
	assert_int_equal(spod_http_list_query_add(&q, &err, "limit", "007"), SPOD_OK);
	assert_int_equal(q.limit, 7);
}

static void test_status_mapping(void **state)
{
	(void)state;
	assert_int_equal(spod_http_status(SPOD_OK), 200);
	assert_int_equal(spod_http_status(SPOD_E_UNAUTHENTICATED), 401);
	assert_int_equal(spod_http_status(SPOD_E_FORBIDDEN), 403);
	assert_int_equal(spod_http_status(SPOD_E_RATE_LIMITED), 429);
	assert_int_equal(spod_http_status(SPOD_E_KEY_NOT_FOUND), 404);
	assert_int_equal(spod_http_status(SPOD_E_UNAVAILABLE), 503);
	assert_int_equal(spod_http_status(SPOD_E_BUSY), 503);
	assert_int_equal(spod_http_status(SPOD_E_IO), 503);
	assert_int_equal(spod_http_status(SPOD_E_CLOSED), 503);
	assert_int_equal(spod_http_status(SPOD_E_TIMEOUT), 504);
	assert_int_equal(spod_http_status(SPOD_E_TOO_LARGE), 413);
	assert_int_equal(spod_http_status(SPOD_E_KEYSTORE_FULL), 507);
	assert_int_equal(spod_http_status(SPOD_E_INTERNAL), 500);
	assert_int_equal(spod_http_status(SPOD_E_CRYPTO), 500);
	assert_int_equal(spod_http_status(SPOD_E_NOMEM), 500);
	assert_int_equal(spod_http_status(SPOD_E_PROTOCOL), 502);
	/* Provisioning: the pod waits for shares; a share or an envelope conflicts or is bad. */
	assert_int_equal(spod_http_status(SPOD_E_NOT_PROVISIONED), 503);
	assert_int_equal(spod_http_status(SPOD_E_REPLAYED), 409);
	assert_int_equal(spod_http_status(SPOD_E_MODE_CONFLICT), 409);
	assert_int_equal(spod_http_status(SPOD_E_WRONG_SEAL_KEY), 409);
	assert_int_equal(spod_http_status(SPOD_E_LABEL_TAKEN), 409);
	assert_int_equal(spod_http_status(SPOD_E_BAD_SHARE), 400);
	static const int input[] = {SPOD_E_BAD_ARG,     SPOD_E_BAD_FIELD, SPOD_E_BAD_HEX,
	                            SPOD_E_UNKNOWN_ALG, SPOD_E_BAD_MODE,  SPOD_E_BAD_DIGEST,
	                            SPOD_E_BAD_LENGTH,  SPOD_E_BAD_KEY,   SPOD_E_BAD_REF};
	for (size_t i = 0; i < sizeof(input) / sizeof(input[0]); i++)
		assert_int_equal(spod_http_status(input[i]), 400);
	assert_int_equal(spod_http_status(-1000), 500);
}

static void test_reply_error(void **state)
{
	struct spod_http_reply r = {0};

	(void)state;
	spod_http_reply_failure(&r, SPOD_E_KEY_NOT_FOUND, "sign: no key \"x\"\n\x80");
	assert_int_equal(r.status, 404);
	assert_string_equal(r.content_type, SPOD_HTTP_JSON_TYPE);
	assert_string_equal(r.body, "{\"error\":{\"code\":\"KEY_NOT_FOUND\",\"message\":"
	                            "\"sign: no key \\\"x\\\"??\"}}");
	assert_int_equal(r.body_len, strlen(r.body));
	assert_false(r.challenge);
	spod_http_reply_free(&r);
	assert_null(r.body);

	spod_http_reply_failure(&r, SPOD_E_UNAUTHENTICATED, NULL);
	assert_int_equal(r.status, 401);
	assert_true(r.challenge);
	assert_non_null(strstr(r.body, "\"UNAUTHENTICATED\""));
	assert_non_null(strstr(r.body, spod_strerror(SPOD_E_UNAUTHENTICATED)));
	spod_http_reply_free(&r);

	/* a policy refusal names its rule and reason besides the message */
	spod_http_reply_failure(&r, SPOD_E_POLICY_DENIED,
	                        "sign.tx: denied by rule \"cap\": over 1 ETH");
	assert_int_equal(r.status, 403);
	assert_string_equal(r.body, "{\"error\":{\"code\":\"POLICY_DENIED\",\"message\":"
	                            "\"sign.tx: denied by rule \\\"cap\\\": over 1 ETH\","
	                            "\"rule\":\"cap\",\"reason\":\"over 1 ETH\"}}");
	spod_http_reply_free(&r);
	spod_http_reply_failure(&r, SPOD_E_POLICY_DENIED, "sign: no rule allows raw signing");
	assert_int_equal(r.status, 403);
	assert_null(strstr(r.body, "\"rule\""));
	spod_http_reply_free(&r);
	spod_http_reply_failure(&r, SPOD_E_NOT_APPROVED, "policy.set: 1 of 2 approvals");
	assert_int_equal(r.status, 403);
	assert_non_null(strstr(r.body, "\"NOT_APPROVED\""));
	spod_http_reply_free(&r);

	spod_http_reply_error(&r, 415, "UNSUPPORTED_MEDIA_TYPE", "");
	assert_int_equal(r.status, 415);
	assert_string_equal(r.body,
	                    "{\"error\":{\"code\":\"UNSUPPORTED_MEDIA_TYPE\",\"message\":\"\"}}");
	spod_http_reply_free(&r);
}

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
	    cmocka_unit_test(test_route_match),
	    cmocka_unit_test(test_route_no_match),
	    cmocka_unit_test(test_route_wrong_method),
	    cmocka_unit_test(test_list_routes),
	    cmocka_unit_test(test_bearer),
	    cmocka_unit_test(test_content_type),
	    cmocka_unit_test(test_list_query),
	    cmocka_unit_test(test_status_mapping),
	    cmocka_unit_test(test_reply_error),
	    cmocka_unit_test(test_metrics_render),
	    cmocka_unit_test(test_seal_object),
	    cmocka_unit_test(test_readyz),
	    cmocka_unit_test(test_base64_vectors),
	    cmocka_unit_test(test_base64_strict),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
