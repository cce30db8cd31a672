/*
 * Web3Signer's eth1 REST shape (src/host/http/web3signer.c): the routes, identifier parsing
 * and matching (public key or address, any case, "0x" optional), the public-key text, the
 * sign body, and the answers (text/plain "0x" r || s || v, "OK" for /upcheck).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* The identifier tables below build hex strings from pieces on purpose. */
#if defined(__clang__)
#pragma clang diagnostic ignored "-Wstring-concatenation"
#endif

#include "common/hex.h"
#include "host/http/routes.h"
#include "host/http/web3signer.h"
#include "spod/err.h"

#define BODY(text) text, sizeof(text) - 1

/* The secp256k1 key whose secret is 1: its point is the generator G. */
#define G_X    "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
#define G_Y    "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8"
#define G_ADDR "7e5f4552091a69125d5dfcb7b8c2659029395bdf"

static void g_key(struct spod_key_info *k)
{
	memset(k, 0, sizeof(*k));
	k->alg = SPOD_ALG_SECP256K1;
	k->pub_len = 65;
	k->pub[0] = 0x04;
	assert_int_equal(spod_hex_decode_exact(k->pub + 1, 64, BODY(G_X G_Y)), SPOD_OK);
	memset(k->id, 0xab, sizeof(k->id));
}

static void test_routes(void **state)
{
	struct spod_http_match m;

	(void)state;
	assert_int_equal(spod_http_route_match(&m, "GET", "/api/v1/eth1/publicKeys"),
	                 SPOD_HTTP_MATCH_OK);
	assert_int_equal(m.route->id, SPOD_HTTP_ROUTE_W3S_PUBLIC_KEYS);
	assert_int_equal(m.route->flags, SPOD_HTTP_ROUTE_TOKEN);
	assert_int_equal(spod_http_route_match(&m, "POST", "/api/v1/eth1/sign/0x" G_ADDR),
	                 SPOD_HTTP_MATCH_OK);
	assert_int_equal(m.route->id, SPOD_HTTP_ROUTE_W3S_SIGN);
	assert_int_equal(m.id_len, 42);
	assert_memory_equal(m.id, "0x" G_ADDR, 42);
	assert_int_equal(m.route->flags, SPOD_HTTP_ROUTE_TOKEN | SPOD_HTTP_ROUTE_BODY |
	                                     SPOD_HTTP_ROUTE_READY | SPOD_HTTP_ROUTE_W3S_ID);
	assert_int_equal(spod_http_route_match(&m, "GET", "/api/v1/eth1/sign/abc"),
	                 SPOD_HTTP_MATCH_NO_METHOD);
	assert_string_equal(m.allow, "POST");
	assert_int_equal(spod_http_route_match(&m, "POST", "/api/v1/eth1/sign/"),
	                 SPOD_HTTP_MATCH_NO_PATH);
	assert_int_equal(spod_http_route_match(&m, "POST", "/api/v1/eth1/sign/a/b"),
	                 SPOD_HTTP_MATCH_NO_PATH);
	assert_int_equal(spod_http_route_match(&m, "GET", "/upcheck"), SPOD_HTTP_MATCH_OK);
	assert_int_equal(m.route->id, SPOD_HTTP_ROUTE_W3S_UPCHECK);
	assert_int_equal(m.route->flags, 0);
}

static void test_ident_parse(void **state)
{
	static const char *const good_pub[] = {
	    "0x" G_X G_Y,
	    G_X G_Y,
	    "0X79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798" G_Y,
	};
	static const char *const good_addr[] = {
	    "0x" G_ADDR, G_ADDR, "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf", /* EIP-55 */
	};
	static const char *const bad[] = {
	    "",
	    "0x",
	    "0x" G_ADDR "0",
	    "0x" G_ADDR "00",
	    "0x04" G_X G_Y,
	    "0x" G_X,
	    "0x7e5f4552091a69125d5dfcb7b8c2659029395bdg",
	    "0x 7e5f4552091a69125d5dfcb7b8c265902939",
	    "0x0x7e5f4552091a69125d5dfcb7b8c2659029395b",
	    "xx7e5f4552091a69125d5dfcb7b8c2659029395bdf",
	};
	struct spod_w3s_ident id;
	uint8_t want[64];

	(void)state;
	assert_int_equal(spod_hex_decode_exact(want, 64, BODY(G_X G_Y)), SPOD_OK);
	for (size_t i = 0; i < sizeof(good_pub) / sizeof(good_pub[0]); i++) {
		assert_int_equal(spod_w3s_ident_parse(&id, good_pub[i], strlen(good_pub[i])),
		                 SPOD_OK);
		assert_int_equal(id.kind, SPOD_W3S_PUBLIC_KEY);
		assert_int_equal(id.len, 64);
		assert_memory_equal(id.bytes, want, 64);
	}
	assert_int_equal(spod_hex_decode_exact(want, 20, BODY(G_ADDR)), SPOD_OK);
	for (size_t i = 0; i < sizeof(good_addr) / sizeof(good_addr[0]); i++) {
		assert_int_equal(spod_w3s_ident_parse(&id, good_addr[i], strlen(good_addr[i])),
		                 SPOD_OK);
		assert_int_equal(id.kind, SPOD_W3S_ADDRESS);
		assert_int_equal(id.len, 20);
		assert_memory_equal(id.bytes, want, 20);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (spod_w3s_ident_parse(&id, bad[i], strlen(bad[i])) != SPOD_E_BAD_ARG)
			fail_msg("\"%s\" was accepted", bad[i]);
		assert_int_equal(id.kind, SPOD_W3S_NONE);
	}
	assert_int_equal(spod_w3s_ident_parse(&id, NULL, 0), SPOD_E_BAD_ARG);
	/* Only len characters count: the path's segment is a view, not a C string. */
	assert_int_equal(spod_w3s_ident_parse(&id, "0x" G_ADDR "/sign", 42), SPOD_OK);
	assert_int_equal(id.kind, SPOD_W3S_ADDRESS);
}

static void test_ident_match(void **state)
{
	struct spod_w3s_ident id;
	struct spod_key_info k, other;

	(void)state;
	g_key(&k);
	assert_int_equal(spod_w3s_ident_parse(&id, BODY("0x" G_X G_Y)), SPOD_OK);
	assert_true(spod_w3s_ident_matches(&id, &k));
	assert_int_equal(
	    spod_w3s_ident_parse(&id, BODY("0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf")), SPOD_OK);
	assert_true(spod_w3s_ident_matches(&id, &k));

	/* Another point: neither form matches. */
	other = k;
	other.pub[64] ^= 1;
	assert_false(spod_w3s_ident_matches(&id, &other));
	assert_int_equal(spod_w3s_ident_parse(&id, BODY(G_X G_Y)), SPOD_OK);
	assert_false(spod_w3s_ident_matches(&id, &other));
	/* Only secp256k1 keys with an uncompressed point are Web3Signer's eth1 keys. */
	other = k;
	other.alg = SPOD_ALG_P256;
	assert_false(spod_w3s_ident_matches(&id, &other));
	other = k;
	other.pub_len = 33;
	assert_false(spod_w3s_ident_matches(&id, &other));
	other = k;
	other.pub[0] = 0x02;
	assert_false(spod_w3s_ident_matches(&id, &other));
	memset(&id, 0, sizeof(id));
	assert_false(spod_w3s_ident_matches(&id, &k));
}

static void test_pub_text(void **state)
{
	char text[SPOD_W3S_PUB_TEXT_BYTES];
	struct spod_key_info k;

	(void)state;
	g_key(&k);
	assert_int_equal(spod_w3s_pub_text(text, &k), SPOD_OK);
	assert_string_equal(text, "0x" G_X G_Y);
	k.alg = SPOD_ALG_ED25519;
	k.pub_len = 32;
	assert_int_equal(spod_w3s_pub_text(text, &k), SPOD_E_BAD_ARG);
}

static void test_sign_parse(void **state)
{
	static const char *const bad[] = {
	    "",
	    "not json",
	    "[]",
	    "{}",
	    "{\"data\": 1}",
	    "{\"data\": null}",
	    "{\"data\": \"0x123\"}",
	    "{\"data\": \"0xzz\"}",
	    "{\"data\": \"0x00\", \"data\": \"0x01\"}",
	    "{\"digest\": \"0x00\"}",
	};
	struct spod_http_sign *s = malloc(sizeof(*s));
	struct spod_http_perr err;
	char *big;
	size_t n;

	(void)state;
	assert_non_null(s);
	assert_int_equal(spod_w3s_sign_parse(s, &err, BODY("{\"data\": \"0x48656c6c6f\"}")),
	                 SPOD_OK);
	assert_int_equal(s->mode, SPOD_MODE_KECCAK256);
	assert_int_equal(s->data_len, 5);
	assert_memory_equal(s->data, "Hello", 5);
	/* no 0x, upper case, and other members (Web3Signer ignores them) */
	assert_int_equal(spod_w3s_sign_parse(s, &err, BODY("{\"data\": \"48656C\", \"x\": \"y\"}")),
	                 SPOD_OK);
	assert_int_equal(s->data_len, 3);
	assert_memory_equal(s->data, "Hel", 3);
	/* empty data: keccak256 of nothing */
	assert_int_equal(spod_w3s_sign_parse(s, &err, BODY("{\"data\": \"0x\"}")), SPOD_OK);
	assert_int_equal(s->data_len, 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (spod_w3s_sign_parse(s, &err, bad[i], strlen(bad[i])) != SPOD_E_BAD_ARG)
			fail_msg("\"%s\" was accepted", bad[i]);
		assert_non_null(err.code);
		assert_true(err.msg[0] != '\0');
		assert_int_equal(s->data_len, 0);
	}
	assert_int_equal(spod_w3s_sign_parse(s, &err, BODY("{}")), SPOD_E_BAD_ARG);
	assert_string_equal(err.msg, "data: required");
	/* the largest message one sign request carries, and one byte more */
	n = 2 * SPOD_MSG_MAX_BYTES + 2;
	big = malloc(n + 32);
	assert_non_null(big);
	memcpy(big, "{\"data\": \"", 10);
	memset(big + 10, 'a', 2 * SPOD_MSG_MAX_BYTES);
	memcpy(big + 10 + 2 * SPOD_MSG_MAX_BYTES, "\"}", 2);
	assert_int_equal(spod_w3s_sign_parse(s, &err, big, 12 + 2 * SPOD_MSG_MAX_BYTES), SPOD_OK);
	assert_int_equal(s->data_len, SPOD_MSG_MAX_BYTES);
	memcpy(big + 10 + 2 * SPOD_MSG_MAX_BYTES, "aa\"}", 4);
	assert_int_equal(spod_w3s_sign_parse(s, &err, big, 14 + 2 * SPOD_MSG_MAX_BYTES),
	                 SPOD_E_BAD_ARG);
	free(big);
	free(s);
}

static void test_replies(void **state)
{
	struct spod_http_reply r;
	struct spod_signature sig;

	(void)state;
	memset(&r, 0, sizeof(r));
	memset(&sig, 0, sizeof(sig));
	sig.alg = SPOD_ALG_SECP256K1;
	sig.sig_len = 64;
	memset(sig.sig, 0x11, 32);
	memset(sig.sig + 32, 0x22, 32);
	sig.recid = 1;
	spod_w3s_reply_sign(&r, &sig);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.content_type, "text/plain; charset=utf-8");
	assert_int_equal(r.body_len, 132);
	assert_memory_equal(r.body, "0x1111", 6);
	assert_memory_equal(r.body + 2 + 64, "2222", 4);
	assert_memory_equal(r.body + 130, "1c", 2);
	spod_http_reply_free(&r);
	sig.recid = 0;
	spod_w3s_reply_sign(&r, &sig);
	assert_memory_equal(r.body + 130, "1b", 2);
	spod_http_reply_free(&r);
	/* an answer that is not a secp256k1 signature: 502 */
	sig.alg = SPOD_ALG_ED25519;
	spod_w3s_reply_sign(&r, &sig);
	assert_int_equal(r.status, 502);
	spod_http_reply_free(&r);

	spod_w3s_reply_upcheck(&r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.content_type, "text/plain; charset=utf-8");
	assert_int_equal(r.body_len, 2);
	assert_memory_equal(r.fixed_body, "OK", 2);
	spod_http_reply_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_routes),      cmocka_unit_test(test_ident_parse),
	    cmocka_unit_test(test_ident_match), cmocka_unit_test(test_pub_text),
	    cmocka_unit_test(test_sign_parse),  cmocka_unit_test(test_replies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
