/*
 * The HTTP API's key-policy routes (src/host/http/policy_http.c): request bodies into what
 * policy.set sends, the answers as JSON, and the rule and reason of a policy refusal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "convert/policy_json.h"
#include "crypto/hash.h"
#include "host/http/policy_http.h"
#include "spod/err.h"

#define POLICY                                                                                     \
	"{\"version\":1,\"rules\":[{\"id\":\"cap\",\"effect\":\"allow\",\"chain\":\"ethereum\","   \
	"\"chain_ids\":[1],\"max_value\":\"1000000000000000000\"}]}"

static struct spod_http_policy_set in;
static struct spod_http_perr err;

static int parse(const char *body, int remove)
{
	memset(&in, 0xa5, sizeof(in));
	return spod_http_json_policy_set(&in, &err, body, strlen(body), remove);
}

static void approval_hex(char *out, uint8_t fill)
{
	for (unsigned i = 0; i < SPOD_HTTP_APPROVAL_HEX; i++)
		out[i] = "0123456789abcdef"[(fill + i) % 16];
	out[SPOD_HTTP_APPROVAL_HEX] = '\0';
}

static void test_put_body(void **state)
{
	uint8_t cbor[SPOD_POLICY_WIRE_MAX];
	char why[SPOD_POLICY_JSON_ERR_BYTES], body[4096], a1[200], a2[200];
	size_t cbor_len;

	(void)state;
	assert_int_equal(spod_policy_from_json(cbor, sizeof(cbor), &cbor_len, POLICY,
	                                       strlen(POLICY), why, sizeof(why)),
	                 SPOD_OK);
	assert_int_equal(parse("{\"policy\":" POLICY "}", 0), SPOD_OK);
	assert_int_equal(in.policy_len, cbor_len);
	assert_memory_equal(in.policy, cbor, cbor_len);
	assert_int_equal(in.n_approvals, 0);

	approval_hex(a1, 1);
	approval_hex(a2, 7);
	snprintf(body, sizeof(body), "{\"approvals\":[\"%s\",\"%s\"],\"policy\":" POLICY "}", a1,
	         a2);
	assert_int_equal(parse(body, 0), SPOD_OK);
	assert_int_equal(in.n_approvals, 2);
	assert_int_equal(in.approvals[0], 0x12);
	assert_int_equal(in.approvals[SPOD_APPROVAL_BYTES], 0x78);
	assert_int_equal(in.policy_len, cbor_len);
}

static void test_put_refused(void **state)
{
	char body[8192], a[200];
	size_t n;

	(void)state;
	assert_int_equal(parse("{}", 0), SPOD_E_BAD_ARG);
	assert_non_null(strstr(err.msg, "policy: required"));
	assert_int_equal(in.policy_len, 0);
	assert_int_equal(parse("{\"policy\":" POLICY ",\"x\":1}", 0), SPOD_E_BAD_ARG);
	assert_string_equal(err.msg, "x: unknown field");
	assert_int_equal(parse("{\"policy\":[]}", 0), SPOD_E_BAD_ARG);
	assert_non_null(strstr(err.msg, "policy: must be an object"));
	assert_int_equal(parse("{\"policy\":{\"version\":1,\"rules\":[{\"id\":\"r\","
	                       "\"effect\":\"allow\",\"bogus\":1}]}}",
	                       0),
	                 SPOD_E_BAD_ARG);
	assert_string_equal(err.code, "BAD_ARG");
	assert_non_null(strstr(err.msg, "policy: "));
	assert_non_null(strstr(err.msg, "bogus"));
	assert_int_equal(parse("{\"policy\":", 0), SPOD_E_BAD_ARG);
	assert_string_equal(err.code, "BAD_JSON");
	assert_int_equal(parse("[]", 0), SPOD_E_BAD_ARG);
	assert_int_equal(parse("{\"policy\":" POLICY ",\"policy\":" POLICY "}", 0),
	                 SPOD_E_BAD_ARG); /* duplicate key */

	/* approvals: an array of 1..16 strings of 192 hex digits */
	assert_int_equal(parse("{\"policy\":" POLICY ",\"approvals\":\"x\"}", 0), SPOD_E_BAD_ARG);
	assert_string_equal(err.msg, "approvals: must be an array");
	assert_int_equal(parse("{\"policy\":" POLICY ",\"approvals\":[\"abcd\"]}", 0),
	                 SPOD_E_BAD_ARG);
	assert_non_null(strstr(err.msg, "approvals[0]: must be 192 hex digits"));
	approval_hex(a, 0);
	a[5] = 'g';
	snprintf(body, sizeof(body), "{\"policy\":" POLICY ",\"approvals\":[\"%s\"]}", a);
	assert_int_equal(parse(body, 0), SPOD_E_BAD_ARG);
	approval_hex(a, 0);
	n = (size_t)snprintf(body, sizeof(body), "{\"policy\":" POLICY ",\"approvals\":[");
	for (int i = 0; i < 17; i++)
		n += (size_t)snprintf(body + n, sizeof(body) - n, "%s\"%s\"", i ? "," : "", a);
	snprintf(body + n, sizeof(body) - n, "]}");
	assert_int_equal(parse(body, 0), SPOD_E_BAD_ARG);
	assert_string_equal(err.msg, "approvals: at most 16");
	assert_int_equal(in.n_approvals, 0);
}

static void test_delete_body(void **state)
{
	char body[512], a[200];

	(void)state;
	assert_int_equal(parse("", 1), SPOD_OK);
	assert_int_equal(in.policy_len, 0);
	assert_int_equal(in.n_approvals, 0);
	assert_int_equal(parse("{}", 1), SPOD_OK);
	approval_hex(a, 3);
	snprintf(body, sizeof(body), "{\"approvals\":[\"%s\"]}", a);
	assert_int_equal(parse(body, 1), SPOD_OK);
	assert_int_equal(in.n_approvals, 1);
	assert_int_equal(in.policy_len, 0);
	assert_int_equal(parse("{\"policy\":" POLICY "}", 1), SPOD_E_BAD_ARG);
	assert_string_equal(err.msg, "policy: unknown field");
}

static void test_answers(void **state)
{
	static const uint8_t id[SPOD_KEY_ID_BYTES] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
	                                              0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
	                                              0xcc, 0xdd, 0xee, 0xff};
	struct spod_policy_info info = {0};
	char *text, want[512], hex[65];
	uint8_t h[32];
	json_t *o;

	(void)state;
	/* no policy */
	o = spod_http_policy_object(id, &info, NULL);
	assert_non_null(o);
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(text, "{\"key_id\":\"00112233445566778899aabbccddeeff\","
	                          "\"policy\":null}");
	free(text);
	json_decref(o);

	/* a policy set without approvals: admin_set null; the JSON as the converter renders it */
	assert_int_equal(parse("{\"policy\":" POLICY "}", 0), SPOD_OK);
	info.has_policy = 1;
	spod_sha256(info.hash, in.policy, in.policy_len);
	info.policy_len = in.policy_len;
	o = spod_http_policy_object(id, &info, in.policy);
	assert_non_null(o);
	assert_true(json_is_null(json_object_get(o, "admin_set")));
	assert_string_equal(
	    json_string_value(json_object_get(
	        json_array_get(json_object_get(json_object_get(o, "policy"), "rules"), 0), "id")),
	    "cap");
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", info.hash[i]);
	assert_string_equal(json_string_value(json_object_get(o, "policy_hash")), hex);
	json_decref(o);
	memset(info.admin_hash, 0xab, sizeof(info.admin_hash));
	o = spod_http_policy_object(id, &info, in.policy);
	assert_non_null(o);
	assert_int_equal(json_string_length(json_object_get(o, "admin_set")), 64);
	json_decref(o);
	/* CBOR that does not load is not rendered */
	info.policy_len = 3;
	assert_null(spod_http_policy_object(id, &info, (const uint8_t *)"\xff\xff\xff"));

	/* PUT / DELETE answers */
	o = spod_http_policy_set_object(id, &in);
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	spod_sha256(h, in.policy, in.policy_len);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", h[i]);
	snprintf(want, sizeof(want),
	         "{\"key_id\":\"00112233445566778899aabbccddeeff\",\"policy_hash\":\"%s\"}", hex);
	assert_string_equal(text, want);
	free(text);
	json_decref(o);
	in.policy_len = 0;
	o = spod_http_policy_set_object(id, &in);
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(text, "{\"key_id\":\"00112233445566778899aabbccddeeff\","
	                          "\"policy_hash\":null}");
	free(text);
	json_decref(o);
}

static void test_denial_parse(void **state)
{
	char rule[16], reason[64];

	(void)state;
	assert_int_equal(spod_http_denial_parse(rule, sizeof(rule), reason, sizeof(reason),
	                                        "sign.tx: denied by rule \"cap\": over 1 ETH"),
	                 SPOD_OK);
	assert_string_equal(rule, "cap");
	assert_string_equal(reason, "over 1 ETH");
	assert_int_equal(spod_http_denial_parse(rule, sizeof(rule), reason, sizeof(reason),
	                                        "sign: denied by rule \"a-very-long-rule-id\": x"),
	                 SPOD_OK);
	assert_string_equal(rule, "a-very-long-rul"); /* truncated to fit */
	assert_int_equal(spod_http_denial_parse(rule, sizeof(rule), reason, sizeof(reason),
	                                        "sign: no rule allows this"),
	                 SPOD_E_BAD_ARG);
	assert_string_equal(rule, "");
	assert_string_equal(reason, "");
	assert_int_equal(spod_http_denial_parse(rule, sizeof(rule), reason, sizeof(reason),
	                                        "sign: denied by rule \"open"),
	                 SPOD_E_BAD_ARG);
	/* a deny rule without a reason: the message ends with the id */
	assert_int_equal(spod_http_denial_parse(rule, sizeof(rule), reason, sizeof(reason),
	                                        "sign.tx: denied by rule \"no-eth\""),
	                 SPOD_OK);
	assert_string_equal(rule, "no-eth");
	assert_string_equal(reason, "denied by rule no-eth");
	assert_int_equal(spod_http_denial_parse(rule, sizeof(rule), reason, sizeof(reason),
	                                        "sign: denied by rule \"\""),
	                 SPOD_E_BAD_ARG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_put_body),     cmocka_unit_test(test_put_refused),
	    cmocka_unit_test(test_delete_body),  cmocka_unit_test(test_answers),
	    cmocka_unit_test(test_denial_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
