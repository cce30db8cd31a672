/*
 * The Solana routes' pure parts (src/host/http/sol_http.c): the request bodies of POST
 * /v1/solana/sign-transaction and sign-message, the "looks like a transaction" test, the
 * choice of the signing key among the token's keys, and the answers' base58 fields. The
 * transactions are web3.js's (tests/data/solana/web3js.txt): sol_transfer_legacy, one signer
 * (AKnL4NNf3DGWZJS6cPknBuEGnVsV4A4m5tgebLHaRSZ9), and two_signers (that key, then
 * 9hSR6S7WPtxmTojgo6GG3k4yDPecgJY292j7xrsUGWBu); base58 computed independently in Python.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/b64.h"
#include "common/hex.h"
#include "host/http/sol_http.h"
#include "spod/err.h"

static const char legacy_b64[] =
    "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABAAEDio"
    "jj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1wQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEAAAAAAAAAAA"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkIBAgIAAQwCAAAAAMqaOw"
    "AAAAA=";
static const char two_b64[] =
    "AgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAgABBIqI4910CfGV"
    "/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29cgTl3Dqh9F19Wo1Rmw0x+zMuNipG07jeiXfYPW4/"
    "Js5QQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQkJCQ"
    "kJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkIBAwIBAgwCAAAA+gAAAAAAAAA=";
static const char payer_hex[] = "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c";
static const char second_hex[] = "8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394";
static const char payer_b58[] = "AKnL4NNf3DGWZJS6cPknBuEGnVsV4A4m5tgebLHaRSZ9";

static struct spod_http_sol_tx tx_in;
static struct spod_http_sol_msg msg_in;
static struct spod_http_sol_out out;

static int parse_tx(const char *body, struct spod_http_perr *err)
{
	return spod_http_json_sol_tx(&tx_in, err, body, strlen(body));
}

static int parse_msg(const char *body, struct spod_http_perr *err)
{
	return spod_http_json_sol_msg(&msg_in, err, body, strlen(body));
}

static void key(struct spod_key_info *k, uint8_t alg, const char *pub_hex, uint8_t id_byte)
{
	memset(k, 0, sizeof(*k));
	k->alg = alg;
	memset(k->id, id_byte, sizeof(k->id));
	assert_int_equal(spod_hex_decode(k->pub, sizeof(k->pub), &k->pub_len, pub_hex), SPOD_OK);
}

static void test_parse_tx(void **state)
{
	struct spod_http_perr err;
	char body[1024];

	(void)state;
	snprintf(body, sizeof(body), "{\"transaction\":\"%s\"}", legacy_b64);
	assert_int_equal(parse_tx(body, &err), SPOD_OK);
	assert_int_equal(tx_in.tx_len, 215);
	assert_int_equal(tx_in.sigs_off, 1);
	assert_int_equal(tx_in.msg_off, 65);
	assert_int_equal(tx_in.msg_len, 150);
	assert_false(tx_in.has_key_id);
	snprintf(body, sizeof(body),
	         "{\"key_id\":\"00112233445566778899AABBCCDDEEFF\",\"transaction\":\"%s\"}",
	         two_b64);
	assert_int_equal(parse_tx(body, &err), SPOD_OK);
	assert_true(tx_in.has_key_id);
	assert_int_equal(tx_in.key_id[15], 0xff);
	assert_int_equal(tx_in.msg_off, 129);

	assert_int_equal(parse_tx("{}", &err), SPOD_E_BAD_ARG);
	assert_string_equal(err.msg, "transaction: required");
	assert_int_equal(parse_tx("{\"transaction\":\"AAAA\"}", &err), SPOD_E_BAD_ARG);
	assert_non_null(strstr(err.msg, "not a Solana transaction"));
	assert_int_equal(tx_in.tx_len, 0);
	assert_int_equal(parse_tx("{\"transaction\":\"AA==x\"}", &err), SPOD_E_BAD_ARG);
	assert_string_equal(err.msg, "transaction: not valid base64");
	assert_int_equal(parse_tx("{\"transaction\":\"\"}", &err), SPOD_E_BAD_ARG);
	assert_int_equal(parse_tx("{\"transaction\":1}", &err), SPOD_E_BAD_ARG);
	assert_int_equal(parse_tx("{\"tx\":\"AAAA\"}", &err), SPOD_E_BAD_ARG);
	assert_string_equal(err.msg, "tx: unknown field");
	snprintf(body, sizeof(body), "{\"key_id\":\"0011\",\"transaction\":\"%s\"}", legacy_b64);
	assert_int_equal(parse_tx(body, &err), SPOD_E_BAD_ARG);
	assert_non_null(strstr(err.msg, "key_id"));
	assert_int_equal(parse_tx("[1]", &err), SPOD_E_BAD_ARG);
}

static void test_parse_tx_too_large(void **state)
{
	static uint8_t big[SPOD_SOL_TX_MAX_BYTES + 3];
	static char body[4096];
	struct spod_http_perr err;
	int n = snprintf(body, sizeof(body), "{\"transaction\":\"");

	(void)state;
	assert_int_equal(spod_b64_encode(body + n, sizeof(body) - (size_t)n, big, sizeof(big)),
	                 SPOD_OK);
	strcat(body, "\"}");
	assert_int_equal(parse_tx(body, &err), SPOD_E_TOO_LARGE);
	assert_int_equal(tx_in.tx_len, 0);
}

static void test_parse_msg(void **state)
{
	struct spod_http_perr err;
	char body[1024];
	uint8_t raw[400];
	size_t raw_len;

	(void)state;
	snprintf(body, sizeof(body), "{\"message\":\"aGVsbG8=\",\"address\":\"%s\"}", payer_b58);
	assert_int_equal(parse_msg(body, &err), SPOD_OK);
	assert_true(msg_in.has_address);
	assert_false(msg_in.has_key_id);
	assert_int_equal(msg_in.len, 5);
	assert_memory_equal(msg_in.msg, "hello", 5);
	assert_int_equal(msg_in.address[0], 0x8a);
	assert_int_equal(msg_in.address[31], 0x5c);
	assert_int_equal(
	    parse_msg("{\"message\":\"aGVsbG8=\",\"key_id\":\"00112233445566778899aabbccddeeff\"}",
	              &err),
	    SPOD_OK);
	assert_true(msg_in.has_key_id);

	/* exactly one of key_id and address */
	assert_int_equal(parse_msg("{\"message\":\"aGVsbG8=\"}", &err), SPOD_E_BAD_ARG);
	assert_non_null(strstr(err.msg, "exactly one"));
	snprintf(body, sizeof(body),
	         "{\"message\":\"aGVsbG8=\",\"address\":\"%s\","
	         "\"key_id\":\"00112233445566778899aabbccddeeff\"}",
	         payer_b58);
	assert_int_equal(parse_msg(body, &err), SPOD_E_BAD_ARG);
	assert_int_equal(msg_in.len, 0);
	/* not base58 ("0", "O", "I", "l" are not in the alphabet), or not 32 bytes */
	assert_int_equal(parse_msg("{\"message\":\"aGVsbG8=\",\"address\":\"0OIl\"}", &err),
	                 SPOD_E_BAD_ARG);
	assert_string_equal(err.msg, "address: must be base58 of 32 bytes");
	assert_int_equal(parse_msg("{\"message\":\"aGVsbG8=\",\"address\":\"2g\"}", &err),
	                 SPOD_E_BAD_ARG);
	assert_int_equal(parse_msg("{\"address\":\"2g\",\"bogus\":1}", &err), SPOD_E_BAD_ARG);

	/* a transaction, or its message alone, is refused */
	snprintf(body, sizeof(body), "{\"message\":\"%s\",\"address\":\"%s\"}", legacy_b64,
	         payer_b58);
	assert_int_equal(parse_msg(body, &err), SPOD_E_BAD_ARG);
	assert_non_null(strstr(err.msg, "looks like a transaction"));
	assert_int_equal(
	    spod_b64_decode(raw, sizeof(raw), &raw_len, legacy_b64, strlen(legacy_b64)), SPOD_OK);
	assert_true(spod_http_sol_is_tx(raw, raw_len));
	assert_true(spod_http_sol_is_tx(raw + 65, raw_len - 65));
	/* one byte more or less: neither validates */
	assert_false(spod_http_sol_is_tx(raw + 65, raw_len - 66));
	assert_false(spod_http_sol_is_tx(raw, raw_len - 1));
	assert_false(spod_http_sol_is_tx((const uint8_t *)"hello", 5));
}

static void test_pick(void **state)
{
	struct spod_http_perr err;
	struct spod_key_info keys[4];
	struct spod_http_sol_pick p;
	char body[1024];

	(void)state;
	key(&keys[0], SPOD_ALG_ED25519, second_hex, 1);
	key(&keys[1], SPOD_ALG_SECP256K1, payer_hex, 2); /* same bytes, wrong algorithm */
	key(&keys[2], SPOD_ALG_ED25519, payer_hex, 3);
	key(&keys[3], SPOD_ALG_ED25519,
	    "1111111111111111111111111111111111111111111111111111111111111111", 4);

	/* one signer: only the Ed25519 key with its public key matches */
	snprintf(body, sizeof(body), "{\"transaction\":\"%s\"}", legacy_b64);
	assert_int_equal(parse_tx(body, &err), SPOD_OK);
	memset(&p, 0, sizeof(p));
	spod_http_sol_pick_add(&p, tx_in.tx + tx_in.msg_off, tx_in.msg_len, keys, 4);
	assert_int_equal(p.found, 1);
	assert_int_equal(p.key[0].id[0], 3);
	/* across pages the count goes on */
	memset(&p, 0, sizeof(p));
	spod_http_sol_pick_add(&p, tx_in.tx + tx_in.msg_off, tx_in.msg_len, keys, 2);
	assert_int_equal(p.found, 0);
	spod_http_sol_pick_add(&p, tx_in.tx + tx_in.msg_off, tx_in.msg_len, keys + 2, 2);
	assert_int_equal(p.found, 1);

	/* two signers, both the token's: two found, in the list's order */
	snprintf(body, sizeof(body), "{\"transaction\":\"%s\"}", two_b64);
	assert_int_equal(parse_tx(body, &err), SPOD_OK);
	memset(&p, 0, sizeof(p));
	spod_http_sol_pick_add(&p, tx_in.tx + tx_in.msg_off, tx_in.msg_len, keys, 4);
	assert_int_equal(p.found, 2);
	assert_int_equal(p.key[0].id[0], 1);
	assert_int_equal(p.key[1].id[0], 3);
	/* none of these */
	memset(&p, 0, sizeof(p));
	spod_http_sol_pick_add(&p, tx_in.tx + tx_in.msg_off, tx_in.msg_len, keys + 3, 1);
	assert_int_equal(p.found, 0);
}

static void test_answers(void **state)
{
	struct spod_key_info k;
	char addr[SPOD_HTTP_SOL_ADDR_TEXT_BYTES];
	json_t *o;

	(void)state;
	key(&k, SPOD_ALG_ED25519, payer_hex, 7);
	assert_int_equal(spod_http_sol_address(addr, k.pub), SPOD_OK);
	assert_string_equal(addr, payer_b58);

	memset(&out, 0, sizeof(out));
	memcpy(out.signer, k.pub, 32);
	memset(out.key_id, 0xab, sizeof(out.key_id));
	for (size_t i = 0; i < sizeof(out.sig); i++)
		out.sig[i] = (uint8_t)i;
	o = spod_http_sol_msg_object(&out);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "signer")), payer_b58);
	/* base58 of the bytes 0..63 */
	assert_string_equal(json_string_value(json_object_get(o, "signature")),
	                    "1GMkH3brNXiNNs1tiFZHu4yZSRrzJwxi5wB9bHFtMinfCXNnR1adh8Vo8NTheK4ev"
	                    "needH4qmvjeqcBBNAefgS");
	assert_string_equal(json_string_value(json_object_get(o, "key_id")),
	                    "abababababababababababababababab");
	json_decref(o);

	out.info.chain = SPOD_TX_CHAIN_SOLANA;
	out.info.kind = 16;
	out.len = 3;
	memcpy(out.signed_tx, "\x01\x02\x03", 3);
	o = spod_http_sol_tx_object(&out);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "transaction")), "AQID");
	assert_string_equal(json_string_value(json_object_get(o, "signer")), payer_b58);
	assert_non_null(json_object_get(o, "summary"));
	assert_null(json_object_get(o, "signed_tx"));
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_tx),  cmocka_unit_test(test_parse_tx_too_large),
	    cmocka_unit_test(test_parse_msg), cmocka_unit_test(test_pick),
	    cmocka_unit_test(test_answers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
