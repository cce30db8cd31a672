/*
 * The HTTP API's JSON body parsers (src/host/http/json_req.c): good bodies for every route,
 * and each class of bad input with the field its message names.
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
#include "host/http/json_req.h"
#include "spod/err.h"
#include "spod/wire.h"

#define BODY(text) text, sizeof(text) - 1

/* Large outputs live here, not on the stack. */
static struct spod_http_generate gen;
static struct spod_http_sign sign;
static struct spod_http_sign_tx stx;
static struct spod_http_batch batch;
static struct spod_http_attest att;
static struct spod_http_envelope env;
static struct spod_http_perr err;

/* Room for the largest bodies built below (four 64 KiB messages in base64). */
static char text[1024 * 1024];

static void expect_refused(int rc, const char *code, const char *needle)
{
	assert_int_equal(rc, SPOD_E_BAD_ARG);
	assert_non_null(err.code);
	assert_string_equal(err.code, code);
	if (strstr(err.msg, needle) == NULL)
		fail_msg("message \"%s\" does not mention \"%s\"", err.msg, needle);
}

/* {"message":"<n bytes of 0xab in hex>"} into text; returns its length. */
static size_t message_body(size_t n)
{
	size_t len = (size_t)snprintf(text, sizeof(text), "{\"message\":\"");

	for (size_t i = 0; i < n; i++) {
		memcpy(text + len, "ab", 2);
		len += 2;
	}
	len += (size_t)snprintf(text + len, sizeof(text) - len, "\"}");
	return len;
}

/* {"items":[n times {"key_id":...,"digest":...}]} into text; returns its length. */
static size_t batch_body(size_t n)
{
	size_t len = (size_t)snprintf(text, sizeof(text), "{\"items\":[");

	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
		                        "%s{\"key_id\":\"%032zx\",\"digest\":\"%064zx\"}",
		                        i > 0 ? "," : "", i, i);
	len += (size_t)snprintf(text + len, sizeof(text) - len, "]}");
	return len;
}

static void test_generate_good(void **state)
{
	(void)state;
	assert_int_equal(spod_http_json_generate(&gen, &err, BODY("{\"alg\":\"ed25519\"}")),
	                 SPOD_OK);
	assert_int_equal(gen.alg, SPOD_ALG_ED25519);
	assert_int_equal(gen.label_len, 0);

	assert_int_equal(
	    spod_http_json_generate(&gen, &err,
	                            BODY("{\"label\":\"hot-wallet.1_A\",\"alg\":\"secp256k1\"}")),
	    SPOD_OK);
	assert_int_equal(gen.alg, SPOD_ALG_SECP256K1);
	assert_int_equal(gen.label_len, strlen("hot-wallet.1_A"));
	assert_string_equal(gen.label, "hot-wallet.1_A");

	assert_int_equal(
	    spod_http_json_generate(&gen, &err, BODY(" {\"alg\" : \"p256\", \"label\": null}\n")),
	    SPOD_OK);
	assert_int_equal(gen.alg, SPOD_ALG_P256);
	assert_int_equal(gen.label_len, 0);
}

static void test_generate_label_length(void **state)
{
	char label[SPOD_LABEL_MAX_BYTES + 2];
	int len;

	(void)state;
	memset(label, 'a', sizeof(label));
	label[SPOD_LABEL_MAX_BYTES] = '\0';
	len = snprintf(text, sizeof(text), "{\"alg\":\"p256\",\"label\":\"%s\"}", label);
	assert_int_equal(spod_http_json_generate(&gen, &err, text, (size_t)len), SPOD_OK);
	assert_int_equal(gen.label_len, SPOD_LABEL_MAX_BYTES);

	label[SPOD_LABEL_MAX_BYTES] = 'a';
	label[SPOD_LABEL_MAX_BYTES + 1] = '\0';
	len = snprintf(text, sizeof(text), "{\"alg\":\"p256\",\"label\":\"%s\"}", label);
	expect_refused(spod_http_json_generate(&gen, &err, text, (size_t)len), "BAD_ARG", "label");
	assert_int_equal(gen.label_len, 0);
	assert_int_equal(gen.alg, 0);
}

static void test_generate_bad(void **state)
{
	(void)state;
	expect_refused(spod_http_json_generate(&gen, &err, BODY("{\"alg\":")), "BAD_JSON",
	               "line 1");
	expect_refused(spod_http_json_generate(&gen, &err, BODY("")), "BAD_JSON", "line");
	expect_refused(spod_http_json_generate(&gen, &err, BODY("{\"alg\":\"p256\"} x")),
	               "BAD_JSON", "line 1");
	expect_refused(
	    spod_http_json_generate(&gen, &err, BODY("{\"alg\":\"p256\",\"alg\":\"ed25519\"}")),
	    "BAD_JSON", "duplicate");
	expect_refused(spod_http_json_generate(&gen, &err, "{\"alg\":\"p256\"}\0", 15), "BAD_JSON",
	               "line");
	expect_refused(spod_http_json_generate(&gen, &err, BODY("[\"p256\"]")), "BAD_ARG", "body");
	expect_refused(spod_http_json_generate(&gen, &err, BODY("\"p256\"")), "BAD_ARG", "body");
	expect_refused(spod_http_json_generate(&gen, &err, BODY("{}")), "BAD_ARG", "alg: required");
	expect_refused(spod_http_json_generate(&gen, &err, BODY("{\"alg\":3}")), "BAD_ARG",
	               "alg: must be a string");
	expect_refused(spod_http_json_generate(&gen, &err, BODY("{\"alg\":\"rsa\"}")), "BAD_ARG",
	               "alg:");
	expect_refused(spod_http_json_generate(&gen, &err, BODY("{\"alg\":\"ED25519\"}")),
	               "BAD_ARG", "alg:");
	expect_refused(spod_http_json_generate(&gen, &err, BODY("{\"alg\":\"p256\",\"size\":1}")),
	               "BAD_ARG", "size: unknown field");
	expect_refused(spod_http_json_generate(&gen, &err, BODY("{\"alg\":\"p256\",\"label\":7}")),
	               "BAD_ARG", "label: must be a string");
	expect_refused(
	    spod_http_json_generate(&gen, &err, BODY("{\"alg\":\"p256\",\"label\":\"\"}")),
	    "BAD_ARG", "label");
	expect_refused(
	    spod_http_json_generate(&gen, &err, BODY("{\"alg\":\"p256\",\"label\":\"a b\"}")),
	    "BAD_ARG", "label");
}

static void test_sign_tx(void **state)
{
	(void)state;
	/* Ethereum: hex with or without 0x by default; Solana: base64 by default */
	assert_int_equal(
	    spod_http_json_sign_tx(&stx, &err, BODY("{\"chain\":\"ethereum\",\"tx\":\"0xC0ff\"}")),
	    SPOD_OK);
	assert_int_equal(stx.chain, SPOD_TX_CHAIN_ETHEREUM);
	assert_int_equal(stx.tx_len, 2);
	assert_memory_equal(stx.tx, "\xc0\xff", 2);
	assert_int_equal(
	    spod_http_json_sign_tx(&stx, &err, BODY("{\"tx\":\"AQID\",\"chain\":\"solana\"}")),
	    SPOD_OK);
	assert_int_equal(stx.chain, SPOD_TX_CHAIN_SOLANA);
	assert_int_equal(stx.tx_len, 3);
	assert_memory_equal(stx.tx, "\x01\x02\x03", 3);
	/* "encoding" overrides the chain's default */
	assert_int_equal(spod_http_json_sign_tx(&stx, &err,
	                                        BODY("{\"chain\":\"solana\",\"tx\":\"0a0b\","
	                                             "\"encoding\":\"hex\"}")),
	                 SPOD_OK);
	assert_int_equal(stx.tx_len, 2);
	assert_int_equal(spod_http_json_sign_tx(&stx, &err,
	                                        BODY("{\"chain\":\"ethereum\",\"tx\":\"AQID\","
	                                             "\"encoding\":\"base64\"}")),
	                 SPOD_OK);
	assert_int_equal(stx.tx_len, 3);
	/* refusals name the field; the output is zeroed */
	expect_refused(
	    spod_http_json_sign_tx(&stx, &err, BODY("{\"chain\":\"bitcoin\",\"tx\":\"00\"}")),
	    "BAD_ARG", "chain: must be");
	assert_int_equal(stx.tx_len, 0);
	expect_refused(spod_http_json_sign_tx(&stx, &err, BODY("{\"tx\":\"00\"}")), "BAD_ARG",
	               "chain: required");
	expect_refused(spod_http_json_sign_tx(&stx, &err, BODY("{\"chain\":\"ethereum\"}")),
	               "BAD_ARG", "tx: required");
	expect_refused(
	    spod_http_json_sign_tx(&stx, &err, BODY("{\"chain\":\"ethereum\",\"tx\":\"\"}")),
	    "BAD_ARG", "tx: empty");
	expect_refused(
	    spod_http_json_sign_tx(&stx, &err, BODY("{\"chain\":\"ethereum\",\"tx\":\"0g\"}")),
	    "BAD_ARG", "tx: not valid hex");
	expect_refused(
	    spod_http_json_sign_tx(&stx, &err, BODY("{\"chain\":\"solana\",\"tx\":\"AQI\"}")),
	    "BAD_ARG", "tx: not valid base64");
	expect_refused(spod_http_json_sign_tx(&stx, &err, BODY("{\"chain\":1,\"tx\":\"00\"}")),
	               "BAD_ARG", "chain");
	expect_refused(spod_http_json_sign_tx(
	                   &stx, &err, BODY("{\"chain\":\"ethereum\",\"tx\":\"00\",\"mode\":1}")),
	               "BAD_ARG", "mode");
	expect_refused(
	    spod_http_json_sign_tx(
	        &stx, &err, BODY("{\"chain\":\"ethereum\",\"tx\":\"00\",\"encoding\":\"b58\"}")),
	    "BAD_ARG", "encoding: must be");
	expect_refused(spod_http_json_sign_tx(&stx, &err, BODY("{\"chain\":")), "BAD_JSON", "");
	/* the size cap: SPOD_TX_MAX_BYTES bytes, one more */
	{
		size_t o =
		    (size_t)snprintf(text, sizeof(text), "{\"chain\":\"ethereum\",\"tx\":\"");

		memset(text + o, 'a', 2 * SPOD_TX_MAX_BYTES);
		o += 2 * SPOD_TX_MAX_BYTES;
		memcpy(text + o, "\"}", 3);
		assert_int_equal(spod_http_json_sign_tx(&stx, &err, text, o + 2), SPOD_OK);
		assert_int_equal(stx.tx_len, SPOD_TX_MAX_BYTES);
		memmove(text + o + 2, text + o, 3);
		text[o] = 'a';
		text[o + 1] = 'a';
		expect_refused(spod_http_json_sign_tx(&stx, &err, text, o + 4), "BAD_ARG",
		               "tx: longer than");
	}
}

static void test_sign_modes(void **state)
{
	static const uint8_t hello[] = {'h', 'e', 'l', 'l', 'o'};

	(void)state;
	assert_int_equal(spod_http_json_sign(&sign, &err, BODY("{\"message\":\"68656C6c6f\"}")),
	                 SPOD_OK);
	assert_int_equal(sign.mode, SPOD_MODE_RAW);
	assert_int_equal(sign.data_len, 5);
	assert_memory_equal(sign.data, hello, 5);

	assert_int_equal(
	    spod_http_json_sign(&sign, &err,
	                        BODY("{\"message\":\"aGVsbG8=\",\"encoding\":\"base64\","
	                             "\"hash\":\"sha256\"}")),
	    SPOD_OK);
	assert_int_equal(sign.mode, SPOD_MODE_SHA256);
	assert_memory_equal(sign.data, hello, 5);

	assert_int_equal(
	    spod_http_json_sign(
	        &sign, &err,
	        BODY("{\"hash\":\"keccak256\",\"message\":\"0x68656c6c6f\",\"encoding\":"
	             "\"hex\"}")),
	    SPOD_OK);
	assert_int_equal(sign.mode, SPOD_MODE_KECCAK256);
	assert_memory_equal(sign.data, hello, 5);

	assert_int_equal(
	    spod_http_json_sign(&sign, &err, BODY("{\"message\":\"\",\"hash\":\"none\"}")),
	    SPOD_OK);
	assert_int_equal(sign.mode, SPOD_MODE_RAW);
	assert_int_equal(sign.data_len, 0);

	assert_int_equal(
	    spod_http_json_sign(
	        &sign, &err,
	        BODY("{\"digest\":"
	             "\"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\"}")),
	    SPOD_OK);
	assert_int_equal(sign.mode, SPOD_MODE_DIGEST);
	assert_int_equal(sign.data_len, SPOD_DIGEST_BYTES);
	assert_int_equal(sign.data[0], 0x2c);
	assert_int_equal(sign.data[31], 0x24);

	assert_int_equal(
	    spod_http_json_sign(&sign, &err,
	                        BODY("{\"encoding\":\"base64\",\"digest\":"
	                             "\"LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=\"}")),
	    SPOD_OK);
	assert_int_equal(sign.mode, SPOD_MODE_DIGEST);
	assert_int_equal(sign.data_len, SPOD_DIGEST_BYTES);
	assert_int_equal(sign.data[0], 0x2c);
	assert_int_equal(sign.data[31], 0x24);
}

static void test_sign_message_or_digest(void **state)
{
	(void)state;
	expect_refused(
	    spod_http_json_sign(&sign, &err, BODY("{\"message\":\"00\",\"digest\":\"00\"}")),
	    "BAD_ARG", "exactly one");
	assert_int_equal(sign.data_len, 0);
	expect_refused(spod_http_json_sign(&sign, &err, BODY("{}")), "BAD_ARG", "exactly one");
	expect_refused(spod_http_json_sign(&sign, &err, BODY("{\"encoding\":\"hex\"}")), "BAD_ARG",
	               "exactly one");
}

static void test_sign_bad_fields(void **state)
{
	(void)state;
	expect_refused(spod_http_json_sign(&sign, &err, BODY("{\"message\":\"0\"}")), "BAD_ARG",
	               "message: not valid hex");
	expect_refused(spod_http_json_sign(&sign, &err, BODY("{\"message\":\"zz\"}")), "BAD_ARG",
	               "message: not valid hex");
	expect_refused(spod_http_json_sign(&sign, &err, BODY("{\"message\":\"00 11\"}")), "BAD_ARG",
	               "message: not valid hex");
	expect_refused(spod_http_json_sign(&sign, &err, BODY("{\"message\":12}")), "BAD_ARG",
	               "message: must be a string");
	expect_refused(spod_http_json_sign(&sign, &err, BODY("{\"message\":[\"00\"]}")), "BAD_ARG",
	               "message: must be a string");
	expect_refused(spod_http_json_sign(
	                   &sign, &err, BODY("{\"message\":\"aGVsbG8\",\"encoding\":\"base64\"}")),
	               "BAD_ARG", "message: not valid base64");
	expect_refused(spod_http_json_sign(
	                   &sign, &err, BODY("{\"message\":\"aGVs*G8=\",\"encoding\":\"base64\"}")),
	               "BAD_ARG", "message: not valid base64");
	/* "aGVsbG9=" decodes like "aGVsbG8=" but has a non-zero unused bit: not canonical. */
	expect_refused(spod_http_json_sign(
	                   &sign, &err, BODY("{\"message\":\"aGVsbG9=\",\"encoding\":\"base64\"}")),
	               "BAD_ARG", "message: not valid base64");
	expect_refused(
	    spod_http_json_sign(&sign, &err, BODY("{\"message\":\"00\",\"encoding\":\"base58\"}")),
	    "BAD_ARG", "encoding");
	expect_refused(
	    spod_http_json_sign(&sign, &err, BODY("{\"message\":\"00\",\"encoding\":1}")),
	    "BAD_ARG", "encoding: must be a string");
	expect_refused(
	    spod_http_json_sign(&sign, &err, BODY("{\"message\":\"00\",\"hash\":\"md5\"}")),
	    "BAD_ARG", "hash");
	expect_refused(spod_http_json_sign(&sign, &err, BODY("{\"message\":\"00\",\"hash\":null}")),
	               "BAD_ARG", "hash: must be a string");
	expect_refused(
	    spod_http_json_sign(&sign, &err, BODY("{\"message\":\"00\",\"key_id\":\"00\"}")),
	    "BAD_ARG", "key_id: unknown field");
	expect_refused(spod_http_json_sign(&sign, &err, BODY("{\"message\":\"00\"")), "BAD_JSON",
	               "line 1");
	expect_refused(spod_http_json_sign(&sign, &err, BODY("{\"message\":\"\\u0000\"}")),
	               "BAD_JSON", "line 1");
}

static void test_sign_digest_rules(void **state)
{
	(void)state;
	expect_refused(
	    spod_http_json_sign(
	        &sign, &err,
	        BODY("{\"digest\":"
	             "\"00000000000000000000000000000000000000000000000000000000000000\"}")),
	    "BAD_ARG", "digest: must be 32 bytes");
	expect_refused(
	    spod_http_json_sign(
	        &sign, &err,
	        BODY("{\"digest\":"
	             "\"000000000000000000000000000000000000000000000000000000000000000000\"}")),
	    "BAD_ARG", "digest: must be 32 bytes");
	expect_refused(
	    spod_http_json_sign(
	        &sign, &err,
	        BODY(
	            "{\"digest\":\"0000000000000000000000000000000000000000000000000000000000000000"
	            "00000000\"}")),
	    "BAD_ARG", "digest: must be 32 bytes");
	expect_refused(
	    spod_http_json_sign(&sign, &err,
	                        BODY("{\"hash\":\"sha256\",\"digest\":"
	                             "\"00000000000000000000000000000000000000000000000000"
	                             "00000000000000\"}")),
	    "BAD_ARG", "hash: not allowed");
	expect_refused(
	    spod_http_json_sign(&sign, &err,
	                        BODY("{\"hash\":\"none\",\"digest\":"
	                             "\"00000000000000000000000000000000000000000000000000"
	                             "00000000000000\"}")),
	    "BAD_ARG", "hash: not allowed");
	assert_int_equal(sign.mode, 0);
	assert_int_equal(sign.data_len, 0);
}

static void test_sign_message_length(void **state)
{
	size_t len;

	(void)state;
	len = message_body(SPOD_MSG_MAX_BYTES);
	assert_int_equal(spod_http_json_sign(&sign, &err, text, len), SPOD_OK);
	assert_int_equal(sign.data_len, SPOD_MSG_MAX_BYTES);
	assert_int_equal(sign.data[SPOD_MSG_MAX_BYTES - 1], 0xab);

	len = message_body(SPOD_MSG_MAX_BYTES + 1);
	expect_refused(spod_http_json_sign(&sign, &err, text, len), "BAD_ARG",
	               "message: longer than 65536 bytes");
	assert_int_equal(sign.data_len, 0);
}

static void test_batch_good(void **state)
{
	(void)state;
	assert_int_equal(
	    spod_http_json_batch(
	        &batch, &err,
	        BODY("{\"items\":[{\"key_id\":\"00112233445566778899AABBCCDDEEFF\",\"message\":"
	             "\"0102\"},{\"digest\":"
	             "\"1111111111111111111111111111111111111111111111111111111111111111\","
	             "\"key_id\":\"ffeeddccbbaa99887766554433221100\"},{\"key_id\":"
	             "\"00000000000000000000000000000001\",\"message\":\"AwQ=\",\"encoding\":"
	             "\"base64\",\"hash\":\"keccak256\"}]}")),
	    SPOD_OK);
	assert_int_equal(batch.count, 3);
	assert_int_equal(batch.items[0].key_id[0], 0x00);
	assert_int_equal(batch.items[0].key_id[15], 0xff);
	assert_int_equal(batch.items[0].mode, SPOD_MODE_RAW);
	assert_int_equal(batch.items[0].data_off, 0);
	assert_int_equal(batch.items[0].data_len, 2);
	assert_int_equal(batch.items[1].key_id[0], 0xff);
	assert_int_equal(batch.items[1].mode, SPOD_MODE_DIGEST);
	assert_int_equal(batch.items[1].data_off, 2);
	assert_int_equal(batch.items[1].data_len, 32);
	assert_int_equal(batch.items[2].mode, SPOD_MODE_KECCAK256);
	assert_int_equal(batch.items[2].data_off, 34);
	assert_int_equal(batch.items[2].data_len, 2);
	assert_int_equal(batch.data_len, 36);
	assert_int_equal(batch.data[0], 0x01);
	assert_int_equal(batch.data[2], 0x11);
	assert_int_equal(batch.data[34], 0x03);
	assert_int_equal(batch.data[35], 0x04);

	assert_int_equal(spod_http_json_batch(&batch, &err, text, batch_body(SPOD_BATCH_MAX_ITEMS)),
	                 SPOD_OK);
	assert_int_equal(batch.count, SPOD_BATCH_MAX_ITEMS);
	assert_int_equal(batch.data_len, SPOD_BATCH_MAX_ITEMS * SPOD_DIGEST_BYTES);
	assert_int_equal(batch.items[255].key_id[15], 0xff);
}

static void test_batch_counts(void **state)
{
	(void)state;
	expect_refused(spod_http_json_batch(&batch, &err, BODY("{\"items\":[]}")), "BAD_ARG",
	               "items: must hold 1..256 items, not 0");
	expect_refused(
	    spod_http_json_batch(&batch, &err, text, batch_body(SPOD_BATCH_MAX_ITEMS + 1)),
	    "BAD_ARG", "items: must hold 1..256 items, not 257");
	assert_int_equal(batch.count, 0);
	assert_int_equal(batch.data_len, 0);
	expect_refused(spod_http_json_batch(&batch, &err, BODY("{}")), "BAD_ARG",
	               "items: required");
	expect_refused(spod_http_json_batch(&batch, &err, BODY("{\"items\":{}}")), "BAD_ARG",
	               "items: must be an array");
	expect_refused(spod_http_json_batch(&batch, &err, BODY("{\"items\":[1]}")), "BAD_ARG",
	               "items[0]: must be a JSON object");
	expect_refused(spod_http_json_batch(&batch, &err, BODY("{\"items\":[],\"x\":1}")),
	               "BAD_ARG", "unknown field");
}

static void test_batch_items(void **state)
{
	(void)state;
	expect_refused(
	    spod_http_json_batch(&batch, &err, BODY("{\"items\":[{\"message\":\"00\"}]}")),
	    "BAD_ARG", "items[0].key_id: required");
	expect_refused(
	    spod_http_json_batch(&batch, &err,
	                         BODY("{\"items\":[{\"key_id\":\"0011223344556677889900112233445\","
	                              "\"message\":\"00\"}]}")),
	    "BAD_ARG", "items[0].key_id: must be 32 hex digits");
	expect_refused(spod_http_json_batch(
	                   &batch, &err,
	                   BODY("{\"items\":[{\"key_id\":\"0x112233445566778899001122334455\","
	                        "\"message\":\"00\"}]}")),
	               "BAD_ARG", "items[0].key_id: must be 32 hex digits");
	expect_refused(
	    spod_http_json_batch(
	        &batch, &err,
	        BODY("{\"items\":[{\"key_id\":\"00112233445566778899001122334455\","
	             "\"message\":\"00\"},{\"key_id\":\"00112233445566778899001122334455\","
	             "\"hash\":\"sha256\",\"digest\":\"00000000000000000000000000000000000"
	             "00000000000000000000000000000\"}]}")),
	    "BAD_ARG", "items[1].hash: not allowed");
	expect_refused(spod_http_json_batch(
	                   &batch, &err,
	                   BODY("{\"items\":[{\"key_id\":\"00112233445566778899001122334455\"}]}")),
	               "BAD_ARG", "items[0]: exactly one");
	expect_refused(spod_http_json_batch(
	                   &batch, &err,
	                   BODY("{\"items\":[{\"key_id\":\"00112233445566778899001122334455\","
	                        "\"message\":\"00\",\"extra\":true}]}")),
	               "BAD_ARG", "items[0].extra: unknown field");
	assert_int_equal(batch.count, 0);
}

static void test_batch_data_budget(void **state)
{
	size_t len = (size_t)snprintf(text, sizeof(text), "{\"items\":[");

	(void)state;
	/* Four messages of 64 KiB cannot share one frame with their item table. */
	for (int i = 0; i < 4; i++) {
		len += (size_t)snprintf(text + len, sizeof(text) - len,
		                        "%s{\"key_id\":\"00112233445566778899001122334455\","
		                        "\"encoding\":\"base64\",\"message\":\"",
		                        i > 0 ? "," : "");
		for (size_t k = 0; k < SPOD_MSG_MAX_BYTES / 3; k++) {
			memcpy(text + len, "AAAA", 4);
			len += 4;
		}
		len += (size_t)snprintf(text + len, sizeof(text) - len, "\"}");
		assert_true(len < sizeof(text) - 4 * SPOD_MSG_MAX_BYTES);
	}
	len += (size_t)snprintf(text + len, sizeof(text) - len, "]}");
	expect_refused(spod_http_json_batch(&batch, &err, text, len), "BAD_ARG",
	               "items: the data of 4 items together exceeds");
}

static void test_attest(void **state)
{
	size_t len;

	(void)state;
	assert_int_equal(spod_http_json_attest(&att, &err, BODY("{}")), SPOD_OK);
	assert_int_equal(att.has_key_id, 0);
	assert_int_equal(att.nonce_len, 0);

	assert_int_equal(
	    spod_http_json_attest(
	        &att, &err,
	        BODY("{\"nonce\":\"cafe\",\"key_id\":\"00112233445566778899aabbccddeeff\"}")),
	    SPOD_OK);
	assert_int_equal(att.has_key_id, 1);
	assert_int_equal(att.key_id[15], 0xff);
	assert_int_equal(att.nonce_len, 2);
	assert_int_equal(att.nonce[0], 0xca);

	len = (size_t)snprintf(text, sizeof(text), "{\"nonce\":\"");
	memset(text + len, '7', 2 * SPOD_NONCE_MAX_BYTES);
	len += 2 * SPOD_NONCE_MAX_BYTES;
	len += (size_t)snprintf(text + len, sizeof(text) - len, "\"}");
	assert_int_equal(spod_http_json_attest(&att, &err, text, len), SPOD_OK);
	assert_int_equal(att.nonce_len, SPOD_NONCE_MAX_BYTES);

	len = (size_t)snprintf(text, sizeof(text), "{\"nonce\":\"");
	memset(text + len, '7', 2 * SPOD_NONCE_MAX_BYTES + 2);
	len += 2 * SPOD_NONCE_MAX_BYTES + 2;
	len += (size_t)snprintf(text + len, sizeof(text) - len, "\"}");
	expect_refused(spod_http_json_attest(&att, &err, text, len), "BAD_ARG",
	               "nonce: longer than 512 bytes");
	assert_int_equal(att.nonce_len, 0);

	expect_refused(spod_http_json_attest(&att, &err, BODY("{\"nonce\":\"xyz\"}")), "BAD_ARG",
	               "nonce: not valid hex");
	expect_refused(spod_http_json_attest(&att, &err, BODY("{\"nonce\":5}")), "BAD_ARG",
	               "nonce: must be a string");
	expect_refused(spod_http_json_attest(&att, &err, BODY("{\"key_id\":\"abc\"}")), "BAD_ARG",
	               "key_id: must be 32 hex digits");
	expect_refused(spod_http_json_attest(&att, &err, BODY("{\"user_data\":\"00\"}")), "BAD_ARG",
	               "user_data: unknown field");
	expect_refused(spod_http_json_attest(&att, &err, BODY("{\"nonce\":\"00\",}")), "BAD_JSON",
	               "line 1");
	assert_int_equal(att.has_key_id, 0);
}

/* {"envelope":"<base64 of n bytes 0, 1, 2, ...>"} into text; returns its length. */
static size_t envelope_body(size_t n)
{
	static uint8_t bytes[2 * SPOD_ENVELOPE_MAX_WIRE_BYTES];
	size_t len = (size_t)snprintf(text, sizeof(text), "{\"envelope\":\"");

	assert_true(n <= sizeof(bytes));
	for (size_t i = 0; i < n; i++)
		bytes[i] = (uint8_t)i;
	assert_int_equal(spod_b64_encode(text + len, sizeof(text) - len, bytes, n), SPOD_OK);
	len += strlen(text + len);
	len += (size_t)snprintf(text + len, sizeof(text) - len, "\"}");
	return len;
}

static void test_envelope(void **state)
{
	size_t len;

	(void)state;
	assert_int_equal(spod_http_json_envelope(&env, &err, BODY("{\"envelope\":\"AAEC/w==\"}")),
	                 SPOD_OK);
	assert_int_equal(env.len, 4);
	assert_memory_equal(env.data, "\x00\x01\x02\xff", 4);

	len = envelope_body(SPOD_ENVELOPE_MAX_WIRE_BYTES);
	assert_int_equal(spod_http_json_envelope(&env, &err, text, len), SPOD_OK);
	assert_int_equal(env.len, SPOD_ENVELOPE_MAX_WIRE_BYTES);
	assert_int_equal(env.data[SPOD_ENVELOPE_MAX_WIRE_BYTES - 1], 0xff);

	len = envelope_body(SPOD_ENVELOPE_MAX_WIRE_BYTES + 1);
	expect_refused(spod_http_json_envelope(&env, &err, text, len), "BAD_ARG",
	               "envelope: longer than 4096 bytes");
	assert_int_equal(env.len, 0);
}

static void test_envelope_bad(void **state)
{
	static const char *const bad[][2] = {
	    {"{}", "envelope: required"},
	    {"{\"envelope\":\"\"}", "envelope: must not be empty"},
	    {"{\"envelope\":null}", "envelope: must be a string"},
	    {"{\"envelope\":[\"AAEC\"]}", "envelope: must be a string"},
	    {"{\"envelope\":\"AAE\"}", "envelope: not valid base64"},
	    {"{\"envelope\":\"AA-_\"}", "envelope: not valid base64"},
	    {"{\"envelope\":\"AAEC\\n\"}", "envelope: not valid base64"},
	    {"{\"envelope\":\"AAEC\",\"encoding\":\"base64\"}", "encoding: unknown field"},
	    {"{\"share\":\"AAEC\"}", "share: unknown field"},
	    {"[\"AAEC\"]", "body: must be a JSON object"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(
		    spod_http_json_envelope(&env, &err, BODY("{\"envelope\":\"AAEC\"}")), SPOD_OK);
		expect_refused(spod_http_json_envelope(&env, &err, bad[i][0], strlen(bad[i][0])),
		               "BAD_ARG", bad[i][1]);
		assert_int_equal(env.len, 0);
	}
	expect_refused(spod_http_json_envelope(&env, &err, BODY("{\"envelope\":\"AAEC\"")),
	               "BAD_JSON", "line 1");
	expect_refused(spod_http_json_envelope(
	                   &env, &err, BODY("{\"envelope\":\"AAEC\",\"envelope\":\"AAEC\"}")),
	               "BAD_JSON", "duplicate");
	assert_int_equal(env.len, 0);
}

static void test_key_id_parse(void **state)
{
	uint8_t id[SPOD_KEY_ID_BYTES];

	(void)state;
	assert_int_equal(spod_http_key_id_parse(id, BODY("00112233445566778899aabbccddeeff")),
	                 SPOD_OK);
	assert_int_equal(id[10], 0xaa);
	assert_int_equal(spod_http_key_id_parse(id, BODY("00112233445566778899AABBCCDDEEFF")),
	                 SPOD_OK);
	assert_int_equal(id[15], 0xff);
	/* The length is explicit: the text may go on (the id is a path segment). */
	assert_int_equal(spod_http_key_id_parse(id, "00112233445566778899aabbccddeeff/sign", 32),
	                 SPOD_OK);
	assert_int_equal(spod_http_key_id_parse(id, BODY("00112233445566778899aabbccddeef")),
	                 SPOD_E_BAD_HEX);
	assert_int_equal(id[0], 0);
	assert_int_equal(id[15], 0);
	assert_int_equal(spod_http_key_id_parse(id, BODY("00112233445566778899aabbccddeeff0")),
	                 SPOD_E_BAD_HEX);
	assert_int_equal(spod_http_key_id_parse(id, BODY("0x112233445566778899aabbccddeeff")),
	                 SPOD_E_BAD_HEX);
	assert_int_equal(spod_http_key_id_parse(id, BODY("00112233445566778899aabbccddeefg")),
	                 SPOD_E_BAD_HEX);
	assert_int_equal(spod_http_key_id_parse(id, NULL, 0), SPOD_E_BAD_HEX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_generate_good),
	    cmocka_unit_test(test_generate_label_length),
	    cmocka_unit_test(test_generate_bad),
	    cmocka_unit_test(test_sign_modes),
	    cmocka_unit_test(test_sign_tx),
	    cmocka_unit_test(test_sign_message_or_digest),
	    cmocka_unit_test(test_sign_bad_fields),
	    cmocka_unit_test(test_sign_digest_rules),
	    cmocka_unit_test(test_sign_message_length),
	    cmocka_unit_test(test_batch_good),
	    cmocka_unit_test(test_batch_counts),
	    cmocka_unit_test(test_batch_items),
	    cmocka_unit_test(test_batch_data_budget),
	    cmocka_unit_test(test_attest),
	    cmocka_unit_test(test_envelope),
	    cmocka_unit_test(test_envelope_bad),
	    cmocka_unit_test(test_key_id_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
