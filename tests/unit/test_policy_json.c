/*
 * Policy JSON ⇄ CBOR (src/convert/): every json example of docs/policy.md converts, loads and
 * decides as the document says; JSON → CBOR → JSON → CBOR is byte-identical; small policies
 * convert to hand-written CBOR bytes; addresses decode to their known bytes (base58 Solana
 * program ids, EIP-55 checksums checked with keccak); bad JSON gets a message naming the rule
 * and key.
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
#include "convert/base58.h"
#include "convert/policy_json.h"
#include "policy/policy.h"
#include "spod/err.h"

#define POLICY_DOC SPOD_SOURCE_DIR "/docs/policy.md"

static uint8_t g_cbor[SPOD_POLICY_MAX_BYTES];
static size_t g_len;
static char g_err[SPOD_POLICY_JSON_ERR_BYTES];

static int conv(const char *json)
{
	return spod_policy_from_json(g_cbor, sizeof(g_cbor), &g_len, json, strlen(json), g_err,
	                             sizeof(g_err));
}

/* JSON → CBOR → JSON → CBOR: the two CBOR forms are the same bytes. */
static void round_trip(const char *json)
{
	uint8_t first[SPOD_POLICY_MAX_BYTES];
	size_t first_len;
	char *back = NULL, *back2 = NULL;

	if (conv(json) != SPOD_OK)
		fail_msg("conversion failed: %s", g_err);
	memcpy(first, g_cbor, g_len);
	first_len = g_len;
	assert_int_equal(spod_policy_to_json(&back, first, first_len), SPOD_OK);
	if (conv(back) != SPOD_OK)
		fail_msg("back-conversion %s does not convert: %s", back, g_err);
	assert_int_equal(g_len, first_len);
	assert_memory_equal(g_cbor, first, first_len);
	assert_int_equal(spod_policy_to_json(&back2, g_cbor, g_len), SPOD_OK);
	assert_string_equal(back, back2);
	free(back);
	free(back2);
}

static char *read_doc(void)
{
	FILE *f = fopen(POLICY_DOC, "rb");
	assert_non_null(f);
	char *text = malloc(1 << 20);
	assert_non_null(text);
	size_t n = fread(text, 1, (1 << 20) - 1, f);
	fclose(f);
	text[n] = '\0';
	return text;
}

static void set_view(struct spod_view *v, const uint8_t *p, size_t n)
{
	v->ptr = p;
	v->len = n;
}

/* The first example decides as docs/policy.md describes it. */
static void check_desk_example(void)
{
	static struct spod_policy p;
	static struct spod_policy_state st;
	struct spod_tx_summary tx;
	struct spod_policy_decision d;
	uint8_t payee[20], blocked[20], usdc[20];

	assert_int_equal(spod_policy_load(g_cbor, g_len, &p), SPOD_OK);
	spod_policy_state_init(&st, &p);
	assert_int_equal(
	    spod_hex_decode_exact(payee, 20, "d8da6bf26964af9d7eed9e03e53415d37aa96045", 40),
	    SPOD_OK);
	assert_int_equal(
	    spod_hex_decode_exact(blocked, 20, "8589427373d6d84e98730d7795d8f6f8731fda16", 40),
	    SPOD_OK);
	assert_int_equal(
	    spod_hex_decode_exact(usdc, 20, "a0b86991c6218b36c1d19d4a2e9eb0ce3606eb48", 40),
	    SPOD_OK);
	memset(&tx, 0, sizeof(tx));
	tx.chain = SPOD_CHAIN_ETHEREUM;
	tx.kind = SPOD_TX_ETH_1559;
	tx.chain_id = 1;
	set_view(&tx.to, payee, 20);
	/* 2 ETH five times is 10 ETH: the sixth is refused by the 24 h window. */
	const uint8_t two_eth[8] = {0x1b, 0xc1, 0x6d, 0x67, 0x4e, 0xc8, 0x00, 0x00};
	memcpy(tx.value.be + 24, two_eth, 8);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(spod_policy_eval(&p, &st, &tx, 1000 + (uint64_t)i, &d), SPOD_OK);
		assert_true(d.allowed);
		assert_int_equal(d.rule, 2);
		assert_int_equal(spod_policy_commit(&st, &p, &tx, &d, 1000 + (uint64_t)i), SPOD_OK);
	}
	assert_int_equal(spod_policy_eval(&p, &st, &tx, 2000, &d), SPOD_OK);
	assert_false(d.allowed);
	assert_string_equal(d.reason, "window 86400 s: 10000000000000000000 wei would be exceeded");
	set_view(&tx.to, blocked, 20);
	assert_int_equal(spod_policy_eval(&p, &st, &tx, 2000, &d), SPOD_OK);
	assert_false(d.allowed);
	assert_string_equal(d.reason, "recipient is blocked");
	/* 50 000 USDC to a payee is allowed, 50 000.000001 is not. */
	memset(&tx, 0, sizeof(tx));
	tx.chain = SPOD_CHAIN_ETHEREUM;
	tx.kind = SPOD_TX_ETH_1559;
	tx.chain_id = 1;
	set_view(&tx.to, usdc, 20);
	static const uint8_t sel[4] = {0xa9, 0x05, 0x9c, 0xbb};
	set_view(&tx.selector, sel, 4);
	tx.n_transfers = 1;
	tx.transfers[0].asset = SPOD_ASSET_TOKEN;
	set_view(&tx.transfers[0].token, usdc, 20);
	set_view(&tx.transfers[0].to, payee, 20);
	const uint64_t fifty_k = 50000000000ull;
	for (int j = 0; j < 8; j++)
		tx.transfers[0].amount.be[31 - j] = (uint8_t)(fifty_k >> (8 * j));
	assert_int_equal(spod_policy_eval(&p, &st, &tx, 2000, &d), SPOD_OK);
	assert_true(d.allowed);
	assert_int_equal(d.rule, 1);
	tx.transfers[0].amount.be[31] += 1;
	assert_int_equal(spod_policy_eval(&p, &st, &tx, 2000, &d), SPOD_OK);
	assert_false(d.allowed);
	assert_int_equal(d.rule, 1);
	assert_string_equal(d.reason, "max_token_amount: 50000000000 base units would be exceeded");
}

/*
 * tests/fuzz/make_policy_corpus.py encodes the same examples with its own CBOR encoder (after a
 * 96-byte summary header): the converter's bytes must be those.
 */
static void check_python_encoding(int n)
{
	char path[512];
	uint8_t *seed = malloc(SPOD_POLICY_MAX_BYTES + 96);
	assert_non_null(seed);
	snprintf(path, sizeof(path), "%s/tests/fuzz/corpus/policy/doc%d.0", SPOD_SOURCE_DIR, n);
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("%s is missing: run tests/fuzz/make_policy_corpus.py", path);
	size_t len = fread(seed, 1, SPOD_POLICY_MAX_BYTES + 96, f);
	fclose(f);
	assert_true(len > 96);
	assert_int_equal(len - 96, g_len);
	assert_memory_equal(seed + 96, g_cbor, g_len);
	free(seed);
}

static void test_doc_examples(void **state)
{
	(void)state;
	char *doc = read_doc();
	char *at = doc;
	int n = 0;

	while ((at = strstr(at, "```json\n")) != NULL) {
		at += 8;
		char *end = strstr(at, "```");
		assert_non_null(end);
		*end = '\0';
		round_trip(at);
		if (conv(at) != SPOD_OK)
			fail_msg("example %d: %s", n + 1, g_err);
		if (n == 0)
			check_desk_example();
		check_python_encoding(n + 1);
		n++;
		at = end + 3;
	}
	assert_true(n >= 3);
	free(doc);
}

static void test_exact_bytes(void **state)
{
	(void)state;
	static const uint8_t minimal[] = {0xa2, 0x01, 0x01, 0x02, 0x81, 0xa2,
	                                  0x01, 0x61, 0x61, 0x02, 0x01};
	assert_int_equal(conv("{\"version\":1,\"rules\":[{\"id\":\"a\",\"effect\":\"allow\"}]}"),
	                 SPOD_OK);
	assert_int_equal(g_len, sizeof(minimal));
	assert_memory_equal(g_cbor, minimal, sizeof(minimal));
	/* "allow_unknown": false is the same policy as no allow_unknown. */
	assert_int_equal(
	    conv("{\"rules\":[{\"effect\":\"allow\",\"id\":\"a\",\"allow_unknown\":false}],"
	         "\"version\":1}"),
	    SPOD_OK);
	assert_memory_equal(g_cbor, minimal, sizeof(minimal));

	/* An address, an amount, a window and true, written out by hand. */
	static const uint8_t more[] = {0xa2, 0x01, 0x01, 0x02, 0x81, 0xa6, 0x01, 0x61, 0x62, 0x02,
	                               0x01, 0x07, 0x81, 0x54, 0xd8, 0xda, 0x6b, 0xf2, 0x69, 0x64,
	                               0xaf, 0x9d, 0x7e, 0xed, 0x9e, 0x03, 0xe5, 0x34, 0x15, 0xd3,
	                               0x7a, 0xa9, 0x60, 0x45, 0x0e, 0x42, 0x01, 0x00, 0x10, 0xa2,
	                               0x02, 0x40, 0x03, 0x19, 0x0e, 0x10, 0x12, 0xf5};
	assert_int_equal(
	    conv("{\"version\":1,\"rules\":[{\"id\":\"b\",\"effect\":\"allow\","
	         "\"to\":[\"0xd8da6bf26964af9d7eed9e03e53415d37aa96045\"],"
	         "\"max_value\":\"256\",\"window\":{\"asset\":\"native\",\"limit\":\"0\","
	         "\"seconds\":3600},\"allow_unknown\":true}]}"),
	    SPOD_OK);
	assert_int_equal(g_len, sizeof(more));
	assert_memory_equal(g_cbor, more, sizeof(more));
	char *back = NULL;
	assert_int_equal(spod_policy_to_json(&back, g_cbor, g_len), SPOD_OK);
	assert_string_equal(back, "{\"version\":1,\"rules\":[{\"id\":\"b\",\"effect\":\"allow\","
	                          "\"to\":[\"0xd8dA6BF26964aF9D7eEd9e03E53415D37aA96045\"],"
	                          "\"max_value\":\"256\",\"window\":{\"asset\":\"native\","
	                          "\"limit\":\"0\",\"seconds\":3600},\"allow_unknown\":true}]}");
	free(back);
}

static void test_base58(void **state)
{
	(void)state;
	uint8_t out[32], want[32];
	char text[64];
	static const char token[] = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA";
	assert_int_equal(
	    spod_hex_decode_exact(
	        want, 32, "06ddf6e1d765a193d9cbe146ceeb79ac1cb485ed5f5b37913a8cf5857eff00a9", 64),
	    SPOD_OK);
	assert_int_equal(spod_base58_decode(out, 32, token, strlen(token)), SPOD_OK);
	assert_memory_equal(out, want, 32);
	assert_int_equal(spod_base58_encode(text, sizeof(text), out, 32), SPOD_OK);
	assert_string_equal(text, token);
	memset(want, 0, 32);
	assert_int_equal(spod_base58_decode(out, 32, "11111111111111111111111111111111", 32),
	                 SPOD_OK);
	assert_memory_equal(out, want, 32);
	assert_int_equal(spod_base58_encode(text, sizeof(text), out, 32), SPOD_OK);
	assert_string_equal(text, "11111111111111111111111111111111");
	/* Not in the alphabet (0, O, I, l), the wrong length, empty. */
	assert_int_equal(
	    spod_base58_decode(out, 32, "0okenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA", 43),
	    SPOD_E_BAD_FIELD);
	assert_int_equal(
	    spod_base58_decode(out, 32, "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5D", 42),
	    SPOD_E_BAD_FIELD);
	assert_int_equal(spod_base58_decode(out, 32, "1111111111111111111111111111111", 31),
	                 SPOD_E_BAD_FIELD);
	assert_int_equal(spod_base58_decode(out, 32, "", 0), SPOD_E_BAD_FIELD);
}

static void test_bad_json_messages(void **state)
{
	(void)state;
	static const struct {
		const char *json;
		int rc;
		const char *msg;
	} cases[] = {
	    {"{\"version\":1,\"rules\":[{\"id\":\"a\",\"effect\":\"allow\",\"too\":[]}]}",
	     SPOD_E_BAD_FIELD, "rule 1 (\"a\"): unknown key \"too\""},
	    {"{\"version\":1,\"rules\":[], \"x\":1}", SPOD_E_BAD_FIELD,
	     "unknown key \"x\" at the top level"},
	    {"{\"version\":2,\"rules\":[{\"id\":\"a\",\"effect\":\"allow\"}]}", SPOD_E_BAD_FIELD,
	     "\"version\" must be an integer from 1 to 1"},
	    {"{\"version\":1,\"rules\":[]}", SPOD_E_BAD_FIELD,
	     "\"rules\" must be a non-empty array"},
	    {"{\"version\":1,\"rules\":[{\"id\":\"a\",\"effect\":\"allow\"},{\"id\":\"b\","
	     "\"effect\":\"maybe\"}]}",
	     SPOD_E_BAD_FIELD, "rule 2 (\"b\"): \"effect\" must be \"allow\" or \"deny\""},
	    {"{\"version\":1,\"rules\":[{\"id\":\"a\",\"effect\":\"allow\"},{\"id\":\"a\","
	     "\"effect\":\"deny\"}]}",
	     SPOD_E_BAD_FIELD, "rule 2 (\"a\"): \"id\" is the id of rule 1 too"},
	    {"{\"version\":1,\"rules\":[{\"id\":\"default\",\"effect\":\"allow\"}]}",
	     SPOD_E_BAD_FIELD,
	     "rule 1 (\"default\"): \"id\" \"default\" is reserved for the "
	     "default deny"},
	    {"{\"version\":1,\"rules\":[{\"effect\":\"allow\"}]}", SPOD_E_BAD_FIELD,
	     "rule 1: \"id\" is missing"},
	    {"{\"version\":1,\"rules\":[{\"id\":\"a\",\"effect\":\"allow\",\"max_value\":\"01\"}]}",
	     SPOD_E_BAD_FIELD,
	     "rule 1 (\"a\"): \"max_value\" must be a decimal string without leading zeros, up to "
	     "2^256-1"},
	    {"{\"version\":1,\"rules\":[{\"id\":\"a\",\"effect\":\"allow\",\"max_value\":"
	     "\"115792089237316195423570985008687907853269984665640564039457584007913129639936\"}]"
	     "}",
	     SPOD_E_BAD_FIELD,
	     "rule 1 (\"a\"): \"max_value\": "
	     "115792089237316195423570985008687907853269984665640564039457584007913129639936 is "
	     "more than 2^256-1"},
	    {"{\"version\":1,\"rules\":[{\"id\":\"a\",\"effect\":\"allow\",\"max_value\":10}]}",
	     SPOD_E_BAD_FIELD, "rule 1 (\"a\"): \"max_value\" must be a string"},
	    {"{\"version\":1,\"rules\":[{\"id\":\"a\",\"effect\":\"allow\",\"to\":[]}]}",
	     SPOD_E_BAD_FIELD,
	     "rule 1 (\"a\"): \"to\" must not be empty (leave it out to match any)"},
	    {"{\"version\":1,\"rules\":[{\"id\":\"a\",\"effect\":\"deny\",\"max_value\":\"1\"}]}",
	     SPOD_E_BAD_FIELD,
	     "rule 1 (\"a\"): max_value, max_token_amount, window, rate and allow_unknown are for "
	     "allow rules"},
	    {"{\"version\":1,\"rules\":[{\"id\":\"a\",\"effect\":\"allow\",\"to\":"
	     "[\"0xd8Da6BF26964aF9D7eEd9e03E53415D37aA96045\"]}]}",
	     SPOD_E_BAD_FIELD,
	     "rule 1 (\"a\"): \"to\": 0xd8Da6BF26964aF9D7eEd9e03E53415D37aA96045 has a wrong "
	     "EIP-55 checksum"},
	    {"{\"version\":1,\"rules\":[{\"id\":\"a\",\"effect\":\"allow\",\"chain\":\"solana\","
	     "\"to\":[\"0xd8dA6BF26964aF9D7eEd9e03E53415D37aA96045\"]}]}",
	     SPOD_E_BAD_FIELD,
	     "rule 1 (\"a\"): \"to\": 0xd8dA6BF26964aF9D7eEd9e03E53415D37aA96045 is not a Solana "
	     "address (base58)"},
	    {"{\"version\":1,\"rules\":[{\"id\":\"a\",\"effect\":\"allow\",\"chain\":\"ethereum\","
	     "\"programs\":[\"11111111111111111111111111111111\"]}]}",
	     SPOD_E_BAD_FIELD, "rule 1 (\"a\"): \"programs\" is for Solana rules"},
	    {"{\"version\":1,\"rules\":[{\"id\":\"a\",\"effect\":\"allow\",\"kinds\":[\"tx\"]}]}",
	     SPOD_E_BAD_FIELD,
	     "rule 1 (\"a\"): \"kinds\": unknown kind \"tx\" (transaction, message, typed_data, "
	     "raw, authorization)"},
	    {"{\"version\":1,\"rules\":[{\"id\":\"a\",\"effect\":\"allow\",\"selectors\":"
	     "[\"0xa9059c\"]}]}",
	     SPOD_E_BAD_FIELD,
	     "rule 1 (\"a\"): \"selectors\": 0xa9059c is not 0x and 8 hex digits"},
	    {"{\"version\":1,\"rules\":[{\"id\":\"a\",\"effect\":\"allow\",\"window\":{\"asset\":"
	     "\"native\",\"limit\":\"1\"}}]}",
	     SPOD_E_BAD_FIELD,
	     "rule 1 (\"a\"): \"window\" needs \"asset\", \"limit\" and \"seconds\""},
	    {"{\"version\":1,\"rules\":[{\"id\":\"a\",\"effect\":\"allow\",\"rate\":{\"count\":0,"
	     "\"seconds\":1}}]}",
	     SPOD_E_BAD_FIELD, "rule 1 (\"a\"): \"count\" must be an integer from 1 to 4294967295"},
	    {"{\"version\":1,\"rules\":[{\"id\":\"a\",\"effect\":\"allow\",\"domains\":[{\"nam\":"
	     "\"x\"}]}]}",
	     SPOD_E_BAD_FIELD, "rule 1 (\"a\"): unknown key \"nam\" in a domain"},
	    {"{\"version\":1,\"version\":1}", SPOD_E_BAD_FIELD, NULL},
	    {"{\"version\":1,", SPOD_E_BAD_FIELD, NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = conv(cases[i].json);
		if (rc != cases[i].rc)
			fail_msg("case %zu: got %s (%s)", i, spod_err_name(rc), g_err);
		assert_int_equal(g_len, 0);
		if (cases[i].msg)
			assert_string_equal(g_err, cases[i].msg);
		else
			assert_true(strncmp(g_err, "not JSON: ", 10) == 0);
	}
	/* 65 rules: too large, named as such. */
	char *big = malloc(65 * 40 + 64);
	assert_non_null(big);
	size_t off = (size_t)sprintf(big, "{\"version\":1,\"rules\":[");
	for (int i = 0; i < 65; i++)
		off += (size_t)sprintf(big + off, "%s{\"id\":\"r%d\",\"effect\":\"deny\"}",
		                       i ? "," : "", i);
	sprintf(big + off, "]}");
	assert_int_equal(conv(big), SPOD_E_TOO_LARGE);
	assert_string_equal(g_err, "more than 64 rules");
	free(big);
	/* CBOR that does not load does not convert back either. */
	char *json = NULL;
	static const uint8_t bad[] = {0xa2, 0x01, 0x01, 0x02, 0x80};
	assert_int_equal(spod_policy_to_json(&json, bad, sizeof(bad)), SPOD_E_BAD_FIELD);
	assert_null(json);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_doc_examples),
	    cmocka_unit_test(test_exact_bytes),
	    cmocka_unit_test(test_base58),
	    cmocka_unit_test(test_bad_json_messages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
