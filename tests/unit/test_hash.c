/* SHA-256 and Ethereum Keccak-256 against published and independently computed digests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/hex.h"
#include "crypto/hash.h"
#include "spod/err.h"

static void assert_digest(const uint8_t got[32], const char *want_hex)
{
	uint8_t want[32];
	size_t n;

	assert_int_equal(spod_hex_decode(want, sizeof want, &n, want_hex), SPOD_OK);
	assert_int_equal(n, 32);
	assert_memory_equal(got, want, 32);
}

static void test_keccak256_empty(void **state)
{
	uint8_t out[32];

	(void)state;
	spod_keccak256(out, NULL, 0);
	assert_digest(out, "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
}

static void test_keccak256_abc(void **state)
{
	uint8_t out[32];

	(void)state;
	spod_keccak256(out, (const uint8_t *)"abc", 3);
	assert_digest(out, "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
}

/*
 * Inputs around the 136-byte rate and over several blocks. Expected digests computed with
 * Debian's python3-pycryptodome (/usr/bin/python3; the package installs it as Cryptodome):
 *   from Cryptodome.Hash import keccak
 *   keccak.new(digest_bits=256, data=msg).hexdigest()
 */
static void test_keccak256_blocks(void **state)
{
	uint8_t msg[1000];
	uint8_t out[32];

	(void)state;
	/* bytes(i & 0xff for i in range(200)) */
	for (size_t i = 0; i < 200; i++)
		msg[i] = (uint8_t)i;
	spod_keccak256(out, msg, 200);
	assert_digest(out, "bfb0aa97863e797943cf7c33bb7e880bb4543f3d2703c0923c6901c2af57b890");

	/* b"a" * 135, * 136, * 137: padding in the last byte, a whole block, one byte over */
	memset(msg, 'a', 137);
	spod_keccak256(out, msg, 135);
	assert_digest(out, "34367dc248bbd832f4e3e69dfaac2f92638bd0bbd18f2912ba4ef454919cf446");
	spod_keccak256(out, msg, 136);
	assert_digest(out, "a6c4d403279fe3e0af03729caada8374b5ca54d8065329a3ebcaeb4b60aa386e");
	spod_keccak256(out, msg, 137);
	assert_digest(out, "d869f639c7046b4929fc92a4d988a8b22c55fbadb802c0c66ebcd484f1915f39");

	/* bytes((i * 7 + 3) & 0xff for i in range(1000)) */
	for (size_t i = 0; i < 1000; i++)
		msg[i] = (uint8_t)(i * 7 + 3);
	spod_keccak256(out, msg, 1000);
	assert_digest(out, "80cdc8dd52cbb3dbaea8f383209893fa2bb52efbd5aedbb4b26dcfe307fcdc9b");
}

/*
 * The incremental interface over the same 1000-byte message as above, split in three pieces
 * at every pair of cut points that straddles the rate, must give the published digest.
 */
static void test_keccak256_incremental(void **state)
{
	static const size_t cuts[] = {0, 1, 135, 136, 137, 271, 272, 273, 500, 1000};
	const size_t n_cuts = sizeof(cuts) / sizeof(cuts[0]);
	struct spod_keccak256_ctx ctx;
	uint8_t msg[1000];
	uint8_t out[32];

	(void)state;
	for (size_t i = 0; i < 1000; i++)
		msg[i] = (uint8_t)(i * 7 + 3);
	for (size_t a = 0; a < n_cuts; a++) {
		for (size_t b = a; b < n_cuts; b++) {
			spod_keccak256_init(&ctx);
			spod_keccak256_update(&ctx, msg, cuts[a]);
			spod_keccak256_update(&ctx, msg + cuts[a], cuts[b] - cuts[a]);
			spod_keccak256_update(&ctx, msg + cuts[b], 1000 - cuts[b]);
			spod_keccak256_final(&ctx, out);
			assert_digest(
			    out,
			    "80cdc8dd52cbb3dbaea8f383209893fa2bb52efbd5aedbb4b26dcfe307fcdc9b");
		}
	}
	/* One byte at a time, and final leaves the context ready for "abc". */
	for (size_t i = 0; i < 137; i++)
		spod_keccak256_update(&ctx, (const uint8_t *)"a", 1);
	spod_keccak256_final(&ctx, out);
	assert_digest(out, "d869f639c7046b4929fc92a4d988a8b22c55fbadb802c0c66ebcd484f1915f39");
	spod_keccak256_update(&ctx, (const uint8_t *)"abc", 3);
	spod_keccak256_final(&ctx, out);
	assert_digest(out, "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
}

/* FIPS 180-2 appendix B.1. */
static void test_sha256_abc(void **state)
{
	uint8_t out[32];

	(void)state;
	spod_sha256(out, (const uint8_t *)"abc", 3);
	assert_digest(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_keccak256_empty),  cmocka_unit_test(test_keccak256_abc),
	    cmocka_unit_test(test_keccak256_blocks), cmocka_unit_test(test_keccak256_incremental),
	    cmocka_unit_test(test_sha256_abc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
