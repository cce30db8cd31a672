/*
 * Key files for `spod keys import` (src/cli/keyfile.h): hex and Solana keypair files, and
 * the detection of every format.
 *
 * Vectors: RFC 8032 §7.1 TEST 1 (Ed25519 seed 9d61b19d…7f60, public key d75a9801…511a),
 * written as solana-keygen writes a keypair (a JSON array of the 64 bytes seed || public
 * key); RFC 6979 A.2.5 (P-256 private key x, public Ux, Uy); the Web3 Secret Storage
 * Definition's secret 7a28b5ba…fe9d and address 008aeeda…786b for secp256k1; the group
 * orders of secp256k1 (SEC 2 §2.4.1) and P-256 (FIPS 186-4 D.1.2.3).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cli/keyfile.h"
#include "common/hex.h"
#include "crypto/sign.h"
#include "spod/err.h"

#define TEST_SECURE_HEAP_BYTES (64u * 1024u)

static const char rfc8032_seed[] =
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
static const char rfc8032_pub[] =
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
static const char rfc6979_p256_x[] =
    "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721";
static const char rfc6979_p256_pub[] =
    "0460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6"
    "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299";
static const char spec_secret[] =
    "7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d";
static const char spec_address[] = "008aeeda4d805471df9b2a5b0f38a0c3bcba786b";
static const char k1_order[] = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";
static const char k1_order_minus_1[] =
    "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140";
static const char p256_order[] = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";
static const char zero[] = "0000000000000000000000000000000000000000000000000000000000000000";

/* RFC 8032 TEST 1 as solana-keygen writes it: no spaces, no newline. */
static const char solana_rfc8032[] =
    "[157,97,177,157,239,253,90,96,186,132,74,244,146,236,44,196,68,73,197,105,123,50,105,25,"
    "112,59,172,3,28,174,127,96,215,90,152,1,130,177,10,183,213,75,254,211,201,100,7,58,14,225,"
    "114,243,218,166,35,37,175,2,26,104,247,7,81,26]";

static void assert_hex(const uint8_t *got, size_t got_len, const char *want)
{
	uint8_t buf[SPOD_PUB_MAX_BYTES];
	size_t n;

	assert_int_equal(spod_hex_decode(buf, sizeof buf, &n, want), SPOD_OK);
	assert_int_equal(got_len, n);
	assert_memory_equal(got, buf, n);
}

static int parse_len(struct spod_keyfile_secret *kf, const char *text, size_t len,
                     enum spod_keyfile_format fmt, uint8_t alg)
{
	struct spod_keyfile_opts opts = {.fmt = fmt, .alg = alg};
	const char *why = NULL;
	int rc = spod_keyfile_parse(kf, (const uint8_t *)text, len, &opts, &why);

	if (rc == SPOD_OK) {
		assert_null(why);
	} else {
		static const struct spod_keyfile_secret empty;

		assert_non_null(why);
		assert_memory_equal(kf, &empty, sizeof empty);
	}
	return rc;
}

static void expect_at(int line, int want, const char *text, enum spod_keyfile_format fmt,
                      uint8_t alg)
{
	struct spod_keyfile_secret kf;
	int rc = parse_len(&kf, text, strlen(text), fmt, alg);

	_assert_int_equal(cast_to_largest_integral_type(rc), cast_to_largest_integral_type(want),
	                  __FILE__, line);
	spod_keyfile_free(&kf);
}

#define expect(...) expect_at(__LINE__, __VA_ARGS__)

static int setup(void **state)
{
	(void)state;
	return spod_crypto_init(TEST_SECURE_HEAP_BYTES) == SPOD_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	spod_crypto_cleanup();
	return 0;
}

static void test_hex_vectors(void **state)
{
	struct spod_keyfile_secret kf;
	uint8_t addr[20];
	char text[128];

	(void)state;
	assert_int_equal(
	    parse_len(&kf, rfc8032_seed, strlen(rfc8032_seed), SPOD_KEYFILE_AUTO, SPOD_ALG_ED25519),
	    SPOD_OK);
	assert_int_equal(kf.fmt, SPOD_KEYFILE_HEX);
	assert_int_equal(kf.claim, SPOD_KEYFILE_CLAIM_NONE);
	assert_hex(kf.secret, SPOD_KEYFILE_SECRET_BYTES, rfc8032_seed);
	assert_hex(kf.pub, kf.pub_len, rfc8032_pub);
	spod_keyfile_free(&kf);

	/* 0x prefix, upper case, a trailing newline: as `cast wallet new` or an editor writes. */
	snprintf(text, sizeof text, "  0X%s\r\n", rfc6979_p256_x);
	for (char *c = text; *c != '\0'; c++)
		*c = (char)(*c >= 'a' && *c <= 'f' ? *c - 'a' + 'A' : *c);
	assert_int_equal(parse_len(&kf, text, strlen(text), SPOD_KEYFILE_HEX, SPOD_ALG_P256),
	                 SPOD_OK);
	assert_hex(kf.secret, SPOD_KEYFILE_SECRET_BYTES, rfc6979_p256_x);
	assert_hex(kf.pub, kf.pub_len, rfc6979_p256_pub);
	spod_keyfile_free(&kf);

	snprintf(text, sizeof text, "0x%s\n", spec_secret);
	assert_int_equal(parse_len(&kf, text, strlen(text), SPOD_KEYFILE_AUTO, SPOD_ALG_SECP256K1),
	                 SPOD_OK);
	assert_int_equal(spod_eth_address(addr, kf.pub, kf.pub_len), SPOD_OK);
	assert_hex(addr, sizeof addr, spec_address);
	spod_keyfile_free(&kf);
}

static void test_hex_refusals(void **state)
{
	const char *why = NULL;
	struct spod_keyfile_opts opts = {0};
	struct spod_keyfile_secret kf;
	char text[128];

	(void)state;
	/* No algorithm: refused with a hint naming --alg. */
	assert_int_equal(spod_keyfile_parse(&kf, (const uint8_t *)rfc8032_seed,
	                                    strlen(rfc8032_seed), &opts, &why),
	                 SPOD_E_BAD_ARG);
	assert_non_null(strstr(why, "--alg"));
	expect(SPOD_E_BAD_KEY, "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f6",
	       SPOD_KEYFILE_HEX, SPOD_ALG_ED25519);
	expect(SPOD_E_BAD_KEY, "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f600",
	       SPOD_KEYFILE_HEX, SPOD_ALG_ED25519);
	expect(SPOD_E_BAD_KEY, "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f6g",
	       SPOD_KEYFILE_HEX, SPOD_ALG_ED25519);
	snprintf(text, sizeof text, "%.32s %s", rfc8032_seed, rfc8032_seed + 32);
	expect(SPOD_E_BAD_KEY, text, SPOD_KEYFILE_HEX, SPOD_ALG_ED25519);
	snprintf(text, sizeof text, "0x0x%s", rfc8032_seed);
	expect(SPOD_E_BAD_KEY, text, SPOD_KEYFILE_HEX, SPOD_ALG_ED25519);
	expect(SPOD_E_BAD_KEY, "", SPOD_KEYFILE_HEX, SPOD_ALG_ED25519);
	opts.alg = 9;
	assert_int_equal(spod_keyfile_parse(&kf, (const uint8_t *)rfc8032_seed,
	                                    strlen(rfc8032_seed), &opts, &why),
	                 SPOD_E_BAD_ARG);
}

static void test_scalar_range(void **state)
{
	(void)state;
	expect(SPOD_E_BAD_KEY, zero, SPOD_KEYFILE_HEX, SPOD_ALG_SECP256K1);
	expect(SPOD_E_BAD_KEY, zero, SPOD_KEYFILE_HEX, SPOD_ALG_P256);
	expect(SPOD_E_BAD_KEY, k1_order, SPOD_KEYFILE_HEX, SPOD_ALG_SECP256K1);
	expect(SPOD_OK, k1_order_minus_1, SPOD_KEYFILE_HEX, SPOD_ALG_SECP256K1);
	expect(SPOD_E_BAD_KEY, p256_order, SPOD_KEYFILE_HEX, SPOD_ALG_P256);
	expect(SPOD_E_BAD_KEY, "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
	       SPOD_KEYFILE_HEX, SPOD_ALG_P256);
	/* Every 32-byte string is an Ed25519 seed, zero included. */
	expect(SPOD_OK, zero, SPOD_KEYFILE_HEX, SPOD_ALG_ED25519);
}

static void test_solana_vector(void **state)
{
	struct spod_keyfile_secret kf;
	char text[1024];

	(void)state;
	assert_int_equal(
	    parse_len(&kf, solana_rfc8032, strlen(solana_rfc8032), SPOD_KEYFILE_AUTO, 0), SPOD_OK);
	assert_int_equal(kf.fmt, SPOD_KEYFILE_SOLANA);
	assert_int_equal(kf.alg, SPOD_ALG_ED25519);
	assert_int_equal(kf.claim, SPOD_KEYFILE_CLAIM_PUBLIC_KEY);
	assert_hex(kf.secret, SPOD_KEYFILE_SECRET_BYTES, rfc8032_seed);
	assert_hex(kf.pub, kf.pub_len, rfc8032_pub);
	spod_keyfile_free(&kf);

	/* Whitespace anywhere JSON allows it. */
	snprintf(text, sizeof text, "\n [ ");
	for (const char *c = solana_rfc8032 + 1; *c != '\0'; c++) {
		size_t n = strlen(text);
		snprintf(text + n, sizeof text - n, *c == ',' ? " ,\r\n\t" : "%c", *c);
	}
	strcat(text, " \n");
	expect(SPOD_OK, text, SPOD_KEYFILE_SOLANA, SPOD_ALG_ED25519);
	expect(SPOD_E_BAD_ARG, solana_rfc8032, SPOD_KEYFILE_AUTO, SPOD_ALG_SECP256K1);
}

/* Copies solana_rfc8032 with the first occurrence of from replaced by to. */
static const char *edit(char *buf, size_t cap, const char *from, const char *to)
{
	const char *at = strstr(solana_rfc8032, from);
	size_t head;

	assert_non_null(at);
	head = (size_t)(at - solana_rfc8032);
	snprintf(buf, cap, "%.*s%s%s", (int)head, solana_rfc8032, to, at + strlen(from));
	return buf;
}

static void test_solana_refusals(void **state)
{
	const char *s = solana_rfc8032;
	const enum spod_keyfile_format sol = SPOD_KEYFILE_SOLANA;
	char b[1024];

	(void)state;
	/* The public half of another key (one bit of the last byte flipped). */
	expect(SPOD_E_BAD_KEY, edit(b, sizeof b, ",26]", ",27]"), sol, 0);
	/* 63 and 65 elements. */
	expect(SPOD_E_BAD_KEY, edit(b, sizeof b, ",26]", "]"), sol, 0);
	expect(SPOD_E_BAD_KEY, edit(b, sizeof b, ",26]", ",26,0]"), sol, 0);
	/* Out of range or not an integer in JSON's grammar. */
	expect(SPOD_E_BAD_KEY, edit(b, sizeof b, "[157,", "[256,"), sol, 0);
	expect(SPOD_E_BAD_KEY, edit(b, sizeof b, "[157,", "[1570,"), sol, 0);
	expect(SPOD_E_BAD_KEY, edit(b, sizeof b, "[157,", "[-157,"), sol, 0);
	expect(SPOD_E_BAD_KEY, edit(b, sizeof b, "[157,", "[157.0,"), sol, 0);
	expect(SPOD_E_BAD_KEY, edit(b, sizeof b, "[157,", "[1.57e2,"), sol, 0);
	expect(SPOD_E_BAD_KEY, edit(b, sizeof b, "[157,97,", "[157,097,"), sol, 0);
	expect(SPOD_E_BAD_KEY, edit(b, sizeof b, "[157,", "[\"157\","), sol, 0);
	expect(SPOD_E_BAD_KEY, edit(b, sizeof b, "[157,", "[157,,"), sol, 0);
	expect(SPOD_E_BAD_KEY, edit(b, sizeof b, ",26]", ",26,]"), sol, 0);
	expect(SPOD_E_BAD_KEY, edit(b, sizeof b, "[157,", "[[157],"), sol, 0);
	expect(SPOD_E_BAD_KEY, edit(b, sizeof b, ",26]", ",26]]"), sol, 0);
	expect(SPOD_E_BAD_KEY, edit(b, sizeof b, ",26]", ",26] x"), sol, 0);
	expect(SPOD_E_BAD_KEY, "[]", sol, 0);
	expect(SPOD_E_BAD_KEY, "[", sol, 0);
	expect(SPOD_E_BAD_KEY, "{}", sol, 0);
	/* Every proper prefix. */
	for (size_t n = 0; n < strlen(s); n++) {
		struct spod_keyfile_secret kf;

		assert_int_equal(parse_len(&kf, s, n, sol, 0), SPOD_E_BAD_KEY);
	}
}

static void assert_detect_at(int line, enum spod_keyfile_format want, const char *text)
{
	enum spod_keyfile_format fmt;
	const char *why = NULL;
	int rc = spod_keyfile_detect(&fmt, (const uint8_t *)text, strlen(text), &why);

	_assert_int_equal(
	    cast_to_largest_integral_type(rc),
	    cast_to_largest_integral_type(want == SPOD_KEYFILE_AUTO ? SPOD_E_BAD_KEY : SPOD_OK),
	    __FILE__, line);
	_assert_int_equal(fmt, want, __FILE__, line);
	if (want == SPOD_KEYFILE_AUTO)
		assert_non_null(why);
	else
		assert_null(why);
}

#define assert_detect(...) assert_detect_at(__LINE__, __VA_ARGS__)

static void test_detect(void **state)
{
	static uint8_t big[SPOD_KEYFILE_MAX_BYTES + 1];
	struct spod_keyfile_opts opts = {.alg = SPOD_ALG_ED25519};
	struct spod_keyfile_secret kf;
	enum spod_keyfile_format fmt;
	const char *why;

	(void)state;
	assert_detect(SPOD_KEYFILE_HEX, rfc8032_seed);
	assert_detect(SPOD_KEYFILE_HEX, "\n0x9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac"
	                                "031cae7f60\n");
	assert_detect(SPOD_KEYFILE_SOLANA, solana_rfc8032);
	assert_detect(SPOD_KEYFILE_SOLANA, " \n[1,2]");
	assert_detect(SPOD_KEYFILE_ETH_KEYSTORE, "{\"version\": 3}");
	assert_detect(SPOD_KEYFILE_ETH_KEYSTORE,
	              "\r\n{\"pem\": \"\n-----BEGIN PRIVATE KEY-----\"}");
	assert_detect(SPOD_KEYFILE_PEM, "-----BEGIN PRIVATE KEY-----\n");
	assert_detect(SPOD_KEYFILE_PEM, "Key for x\n-----BEGIN EC PRIVATE KEY-----\n");
	/* Neither: too short or long for hex, a BEGIN not at a line start, a bare word. */
	assert_detect(SPOD_KEYFILE_AUTO, "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac");
	assert_detect(SPOD_KEYFILE_AUTO, " -----BEGIN PRIVATE KEY-----\n");
	assert_detect(SPOD_KEYFILE_AUTO, "-----BEGIN");
	assert_detect(SPOD_KEYFILE_AUTO, "secret");
	assert_detect(SPOD_KEYFILE_AUTO, "");
	assert_detect(SPOD_KEYFILE_AUTO, " \n\t");

	assert_int_equal(spod_keyfile_detect(&fmt, big, sizeof big, &why), SPOD_E_TOO_LARGE);
	assert_int_equal(spod_keyfile_parse(&kf, big, sizeof big, &opts, &why), SPOD_E_TOO_LARGE);
	opts.fmt = SPOD_KEYFILE_HEX;
	assert_int_equal(spod_keyfile_parse(&kf, big, sizeof big, &opts, &why), SPOD_E_TOO_LARGE);
	assert_int_equal(spod_keyfile_parse(&kf, NULL, 0, &opts, &why), SPOD_E_BAD_KEY);
	opts.fmt = (enum spod_keyfile_format)7;
	assert_int_equal(spod_keyfile_parse(&kf, big, 10, &opts, &why), SPOD_E_BAD_ARG);

	/* A format named by the caller is not second-guessed. */
	expect(SPOD_E_BAD_KEY, solana_rfc8032, SPOD_KEYFILE_HEX, SPOD_ALG_ED25519);
	expect(SPOD_E_BAD_KEY, rfc8032_seed, SPOD_KEYFILE_SOLANA, 0);
	expect(SPOD_E_BAD_KEY, rfc8032_seed, SPOD_KEYFILE_ETH_KEYSTORE, 0);
	expect(SPOD_E_BAD_KEY, rfc8032_seed, SPOD_KEYFILE_PEM, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hex_vectors),     cmocka_unit_test(test_hex_refusals),
	    cmocka_unit_test(test_scalar_range),    cmocka_unit_test(test_solana_vector),
	    cmocka_unit_test(test_solana_refusals), cmocka_unit_test(test_detect),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
