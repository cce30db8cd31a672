/*
 * The HTTP layer's pure parts besides the JSON bodies: the route table and matcher
 * (src/host/http/routes.c), header and query parsing (params.c), the status mapping and error
 * bodies (reply.c). The rest of its pure parts are in test_http_reply.c.
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
