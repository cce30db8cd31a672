/*
 * POST /v1/keys/{id}/sign-authorization's body parser (src/host/http/auth_req.c) and answer
 * (tx_json.c): the tuple it builds equals ethers 6's (tests/data/ethereum/ethers.txt,
 * auth_chain1), and each class of bad input is refused with the field its message names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/hex.h"
#include "host/http/json_req.h"
#include "host/http/tx_json.h"
#include "spod/err.h"
#include "spod/wire.h"

#define ADDR_SUM   "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48" /* EIP-55 */
#define ADDR_LOWER "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"
/* ethers' auth_chain1: rlp([1, ADDR, 7]) */
#define AUTH_CHAIN1 "d70194a0b86991c6218b36c1d19d4a2e9eb0ce3606eb4807"

static struct spod_http_sign_auth auth;
static struct spod_http_perr err;

/* Parses the NUL-terminated body. */
static int parse(const char *body)
{
	return spod_http_json_sign_auth(&auth, &err, body, strlen(body));
}

/* The tuple the parser built, as lowercase hex. */
static const char *tuple_hex(void)
{
	static char hex[2 * SPOD_TX_MAX_BYTES + 1];

	assert_int_equal(spod_hex_encode(hex, sizeof(hex), auth.tx.tx, auth.tx.tx_len), SPOD_OK);
	return hex;
}

static void expect_refused(const char *body, const char *code, const char *needle)
{
	assert_int_equal(parse(body), SPOD_E_BAD_ARG);
	assert_non_null(err.code);
	assert_string_equal(err.code, code);
	if (strstr(err.msg, needle) == NULL)
		fail_msg("%s: message \"%s\" does not mention \"%s\"", body, err.msg, needle);
	/* Nothing of a refused body is left to sign. */
	assert_int_equal(auth.tx.tx_len, 0);
	assert_int_equal(auth.chain_id, 0);
	assert_int_equal(auth.nonce, 0);
	assert_string_equal(auth.address_text, "");
}

static void test_good(void **state)
{
	(void)state;
	assert_int_equal(parse("{\"chain_id\": 1, \"address\": \"" ADDR_SUM "\", \"nonce\": 7}"),
	                 SPOD_OK);
	assert_int_equal(auth.tx.chain, SPOD_TX_CHAIN_ETHEREUM);
	assert_int_equal(auth.tx.form, SPOD_TX_FORM_AUTHORIZATION);
	assert_string_equal(tuple_hex(), AUTH_CHAIN1);
	assert_int_equal(auth.chain_id, 1);
	assert_int_equal(auth.nonce, 7);
	assert_string_equal(auth.address_text, ADDR_SUM);
	assert_int_equal(auth.address[0], 0xa0);
	assert_int_equal(auth.address[19], 0x48);

	/* Decimal strings, any field order, an all-lowercase address: the same tuple. */
	assert_int_equal(
	    parse("{\"nonce\": \"7\", \"address\": \"" ADDR_LOWER "\", \"chain_id\": \"1\"}"),
	    SPOD_OK);
	assert_string_equal(tuple_hex(), AUTH_CHAIN1);
	assert_string_equal(auth.address_text, ADDR_LOWER);
	/* All upper case needs no checksum. */
	assert_int_equal(
	    parse("{\"chain_id\": 1, \"address\": \"0xA0B86991C6218B36C1D19D4A2E9EB0CE3606EB48\", "
	          "\"nonce\": 7}"),
	    SPOD_OK);
	assert_string_equal(tuple_hex(), AUTH_CHAIN1);

	/* Chain id 0 (every chain) and nonce 0 are RLP's empty string. */
	assert_int_equal(
	    parse("{\"chain_id\": 0, \"address\": \"" ADDR_LOWER "\", \"nonce\": \"0\"}"), SPOD_OK);
	assert_string_equal(tuple_hex(), "d78094a0b86991c6218b36c1d19d4a2e9eb0ce3606eb4880");

	/* The largest values: 2^63 - 1, as an integer and as a string. */
	assert_int_equal(parse("{\"chain_id\": 9223372036854775807, \"address\": \"" ADDR_LOWER
	                       "\", \"nonce\": \"9223372036854775807\"}"),
	                 SPOD_OK);
	assert_int_equal(auth.chain_id, INT64_MAX);
	assert_int_equal(auth.nonce, INT64_MAX);
	assert_string_equal(tuple_hex(),
	                    "e7887fffffffffffffff94a0b86991c6218b36c1d19d4a2e9eb0ce3606e"
	                    "b48887fffffffffffffff");
}

static void test_bad_shape(void **state)
{
	(void)state;
	expect_refused("", "BAD_JSON", "");
	expect_refused("{\"chain_id\": 1,", "BAD_JSON", "");
	expect_refused("[1, \"" ADDR_LOWER "\", 7]", "BAD_ARG", "body: must be a JSON object");
	expect_refused("{\"chain_id\": 1, \"chain_id\": 2, \"address\": \"" ADDR_LOWER
	               "\", \"nonce\": 7}",
	               "BAD_JSON", "duplicate");
	expect_refused("{\"chain_id\": 1, \"address\": \"" ADDR_LOWER
	               "\", \"nonce\": 7, \"gas\": 1}",
	               "BAD_ARG", "gas: unknown field");
	expect_refused("{\"address\": \"" ADDR_LOWER "\", \"nonce\": 7}", "BAD_ARG",
	               "chain_id: missing");
	expect_refused("{\"chain_id\": 1, \"nonce\": 7}", "BAD_ARG", "address: missing");
	expect_refused("{\"chain_id\": 1, \"address\": \"" ADDR_LOWER "\"}", "BAD_ARG",
	               "nonce: missing");
	expect_refused("{}", "BAD_ARG", "missing");
}

static void test_bad_numbers(void **state)
{
	static const char *const bad[] = {
	    "-1",
	    "1.5",
	    "1e3",
	    "true",
	    "null",
	    "[1]",
	    "\"\"",
	    "\"01\"",
	    "\"1a\"",
	    "\"-1\"",
	    "\"+1\"",
	    "\" 1\"",
	    "\"0x1\"",
	    "\"9223372036854775808\"",
	    "\"18446744073709551615\"",
	    "\"99999999999999999999\"",
	};
	char body[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(body, sizeof(body),
		         "{\"chain_id\": %s, \"address\": \"" ADDR_LOWER "\", \"nonce\": 7}",
		         bad[i]);
		expect_refused(body, "BAD_ARG", "chain_id: must be an integer");
		snprintf(body, sizeof(body),
		         "{\"chain_id\": 1, \"address\": \"" ADDR_LOWER "\", \"nonce\": %s}",
		         bad[i]);
		expect_refused(body, "BAD_ARG", "nonce: must be an integer");
	}
	/* Beyond jansson's integers the text is not accepted as JSON at all. */
	expect_refused("{\"chain_id\": 18446744073709551616, \"address\": \"" ADDR_LOWER
	               "\", \"nonce\": 7}",
	               "BAD_JSON", "");
}

static void test_bad_address(void **state)
{
	static const char *const bad[] = {
	    "\"0xA0B86991c6218b36c1d19D4a2e9Eb0cE3606eB48\"",   /* a bad EIP-55 checksum */
	    "\"a0b86991c6218b36c1d19d4a2e9eb0ce3606eb48\"",     /* no 0x */
	    "\"0Xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48\"",   /* 0X */
	    "\"0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb4\"",    /* 39 digits */
	    "\"0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb480\"",  /* 41 digits */
	    "\"0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb4800\"", /* 21 bytes */
	    "\"0xg0b86991c6218b36c1d19d4a2e9eb0ce3606eb48\"",   /* not hex */
	    "\"\"",
	    "1",
	    "null",
	};
	char body[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(body, sizeof(body), "{\"chain_id\": 1, \"address\": %s, \"nonce\": 7}",
		         bad[i]);
		expect_refused(body, "BAD_ARG", "address: must be 0x and 40 hex digits");
	}
}

static void test_answer(void **state)
{
	static const uint8_t key_id[SPOD_KEY_ID_BYTES] = {0xab, [15] = 0x01};
	uint8_t sig[65];
	json_t *o;

	(void)state;
	assert_int_equal(parse("{\"chain_id\": 1, \"address\": \"" ADDR_SUM "\", \"nonce\": 7}"),
	                 SPOD_OK);
	memset(sig, 0x11, 32);
	memset(sig + 32, 0x22, 32);
	sig[64] = 1;
	o = spod_http_auth_object(key_id, &auth, sig, sizeof(sig));
	assert_non_null(o);
	assert_int_equal(json_object_size(o), 7);
	assert_string_equal(json_string_value(json_object_get(o, "key_id")),
	                    "ab000000000000000000000000000001");
	assert_int_equal(json_integer_value(json_object_get(o, "chain_id")), 1);
	assert_string_equal(json_string_value(json_object_get(o, "address")), ADDR_SUM);
	assert_int_equal(json_integer_value(json_object_get(o, "nonce")), 7);
	assert_int_equal(json_integer_value(json_object_get(o, "y_parity")), 1);
	assert_string_equal(json_string_value(json_object_get(o, "r")),
	                    "0x1111111111111111111111111111111111111111111111111111111111111111");
	assert_string_equal(json_string_value(json_object_get(o, "s")),
	                    "0x2222222222222222222222222222222222222222222222222222222222222222");
	json_decref(o);
	/* Not r || s || y_parity: a v of 27, or the wrong length. */
	sig[64] = 27;
	assert_null(spod_http_auth_object(key_id, &auth, sig, sizeof(sig)));
	sig[64] = 0;
	assert_null(spod_http_auth_object(key_id, &auth, sig, 64));
	o = spod_http_auth_object(key_id, &auth, sig, sizeof(sig));
	assert_non_null(o);
	assert_int_equal(json_integer_value(json_object_get(o, "y_parity")), 0);
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good),        cmocka_unit_test(test_bad_shape),
	    cmocka_unit_test(test_bad_numbers), cmocka_unit_test(test_bad_address),
	    cmocka_unit_test(test_answer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
