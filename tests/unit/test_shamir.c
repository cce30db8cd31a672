/*
 * Shamir's scheme (src/crypto/shamir.c): vectors from an independent implementation, round
 * trips for every share count, the threshold property, argument checks, and interoperation
 * with libgfshare's own command-line tools in both directions.
 *
 * The vectors come from tests/interop/shamir_gf256.py, which implements GF(2^8) (0x11d) and
 * Lagrange interpolation in plain Python without libgfshare:
 *   /usr/bin/python3 tests/interop/shamir_gf256.py vector 3 5 spod-test-vector
 * and the digests from Python's hashlib (the commands are next to each expected value).
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "common/hex.h"
#include "crypto/shamir.h"
#include "spod/err.h"

static void unhex(uint8_t *out, size_t n, const char *hex)
{
	assert_int_equal(spod_hex_decode_exact(out, n, hex, strlen(hex)), SPOD_OK);
}

/* shamir_gf256.py vector 3 5 spod-test-vector */
static const char vec_secret[] = "054227eb8739380096e9fdec5f8887b906b63ecc92fcc4b6d5a48a333dea024f";
static const char *const vec_shares[5] = {
    "20cbf91d0ae4e4fd393475d3fb0e36adf079ab106b3d5d5afa7afdaff5522ec5",
    "b1edd6826d83c20e3bc055ac10b6d51f920d41f1803bcec08bcc1a41ed067b3f",
    "94640874e05e1ef3941ddd93b430640b64c2d42d79fa572ca4126ddd25be57b5",
    "afbb8563dd24b09f4eb91e94a94897eaba3dfdec651244ac69775296e9117456",
    "8a325b9550f96c62e16496ab0dce26fe4cf268309cd3dd4046a9250a21a958dc",
};

static void combine_subset(uint8_t out[32], const uint8_t all[][32], const uint8_t *xs, unsigned k)
{
	uint8_t picked[SPOD_SHARES_MAX][32];

	for (unsigned j = 0; j < k; j++)
		memcpy(picked[j], all[xs[j] - 1], 32);
	assert_int_equal(spod_shamir_combine(out, xs, &picked[0][0], k), SPOD_OK);
}

/* Every 3-subset of the independent 3-of-5 vector rebuilds its secret; no 2-subset does. */
static void test_vector_subsets(void **state)
{
	uint8_t secret[32], shares[5][32], out[32];

	(void)state;
	unhex(secret, 32, vec_secret);
	for (int i = 0; i < 5; i++)
		unhex(shares[i], 32, vec_shares[i]);
	for (uint8_t a = 1; a <= 5; a++) {
		for (uint8_t b = a + 1; b <= 5; b++) {
			uint8_t two[2] = {a, b};
			combine_subset(out, shares, two, 2);
			assert_memory_not_equal(out, secret, 32);
			for (uint8_t c = b + 1; c <= 5; c++) {
				uint8_t three[3] = {c, a, b}; /* any order */
				combine_subset(out, shares, three, 3);
				assert_memory_equal(out, secret, 32);
			}
		}
	}
	/* More shares than the threshold interpolate the same polynomial. */
	uint8_t five[5] = {1, 2, 3, 4, 5};
	combine_subset(out, shares, five, 5);
	assert_memory_equal(out, secret, 32);
}

/*
 * hashlib.sha256(b"spod seal key id v1\0" + bytes(range(32))).digest()[:16]
 * hashlib.sha256(b"spod share commitment v1\0" + kid + bytes([2, 5, 3]) + b"\xaa" * 32)
 */
static void test_digests(void **state)
{
	uint8_t key[32], id[16], want_id[16], share[32], c[32], want_c[32];

	(void)state;
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	spod_seal_key_id(id, key);
	unhex(want_id, 16, "f9f63fe7e6d1cee982c5de7bcd278ccb");
	assert_memory_equal(id, want_id, 16);

	memset(share, 0xaa, sizeof share);
	spod_share_commitment(c, id, 3, 2, 5, share);
	unhex(want_c, 32, "f7c02e7fbbc33507448a8d988580b92840dcc01a9d01ee5314f591ee8e488c9d");
	assert_memory_equal(c, want_c, 32);
	/* Each parameter is bound: index, k and n in their own bytes. */
	spod_share_commitment(c, id, 2, 3, 5, share);
	assert_memory_not_equal(c, want_c, 32);
	spod_share_commitment(c, id, 3, 2, 6, share);
	assert_memory_not_equal(c, want_c, 32);
}

/* A random k-subset of 1..n, in random order. */
static void random_subset(uint8_t *xs, unsigned k, unsigned n)
{
	uint8_t all[SPOD_SHARES_MAX] = {0};

	for (unsigned i = 0; i < n; i++)
		all[i] = (uint8_t)(i + 1);
	for (unsigned i = n - 1; i > 0; i--) {
		unsigned j = randombytes_uniform(i + 1);
		uint8_t t = all[i];
		all[i] = all[j];
		all[j] = t;
	}
	memcpy(xs, all, k);
}

static void round_trip(unsigned k, unsigned n)
{
	uint8_t secret[32], shares[SPOD_SHARES_MAX][32], out[32], xs[SPOD_SHARES_MAX];

	randombytes_buf(secret, sizeof secret);
	assert_int_equal(spod_shamir_split(&shares[0][0], secret, k, n), SPOD_OK);
	for (int trial = 0; trial < 4; trial++) {
		random_subset(xs, k, n);
		combine_subset(out, shares, xs, k);
		assert_memory_equal(out, secret, 32);
		if (k > 1) { /* one share short: another key (2^-256 to be equal by chance) */
			combine_subset(out, shares, xs, k - 1);
			assert_memory_not_equal(out, secret, 32);
		}
	}
	if (k == 1)
		for (unsigned i = 0; i < n; i++)
			assert_memory_equal(shares[i], secret, 32);
}

static void test_round_trips(void **state)
{
	(void)state;
	for (unsigned n = 1; n <= SPOD_SHARES_MAX; n++) {
		unsigned ks[] = {1, 2, n / 2, n - 1, n};
		for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++)
			if (ks[i] >= 1 && ks[i] <= n)
				round_trip(ks[i], n);
	}
}

/*
 * The threshold, statistically: 2 shares of a 3-of-5 split plus any share that is not from
 * the split rebuild another key, whose id differs from the seal key's.
 */
static void test_threshold(void **state)
{
	uint8_t secret[32], shares[5][32], out[32], id[16], got_id[16];
	uint8_t picked[3][32];
	const uint8_t xs[3] = {1, 4, 5};

	(void)state;
	randombytes_buf(secret, sizeof secret);
	spod_seal_key_id(id, secret);
	assert_int_equal(spod_shamir_split(&shares[0][0], secret, 3, 5), SPOD_OK);
	memcpy(picked[0], shares[0], 32);
	memcpy(picked[1], shares[3], 32);
	for (int trial = 0; trial < 200; trial++) {
		randombytes_buf(picked[2], 32);
		assert_int_equal(spod_shamir_combine(out, xs, &picked[0][0], 3), SPOD_OK);
		spod_seal_key_id(got_id, out);
		assert_memory_not_equal(got_id, id, 16);
	}
	/* One flipped bit anywhere in one share changes the key, and so its id. */
	for (int bit = 0; bit < 256; bit++) {
		memcpy(picked[2], shares[4], 32);
		picked[2][bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_int_equal(spod_shamir_combine(out, xs, &picked[0][0], 3), SPOD_OK);
		spod_seal_key_id(got_id, out);
		assert_memory_not_equal(got_id, id, 16);
	}
}

static void test_bad_args(void **state)
{
	uint8_t secret[32] = {1}, shares[SPOD_SHARES_MAX + 1][32], out[32];
	uint8_t xs[SPOD_SHARES_MAX + 1];

	(void)state;
	memset(shares, 0x5a, sizeof shares);
	assert_int_equal(spod_shamir_split(&shares[0][0], secret, 0, 3), SPOD_E_BAD_ARG);
	assert_int_equal(spod_shamir_split(&shares[0][0], secret, 4, 3), SPOD_E_BAD_ARG);
	assert_int_equal(spod_shamir_split(&shares[0][0], secret, 1, 0), SPOD_E_BAD_ARG);
	assert_int_equal(spod_shamir_split(&shares[0][0], secret, 2, 33), SPOD_E_BAD_ARG);
	assert_int_equal(shares[0][0], 0x5a); /* untouched */

	for (unsigned i = 0; i <= SPOD_SHARES_MAX; i++)
		xs[i] = (uint8_t)(i + 1);
	memset(out, 0x77, sizeof out);
	assert_int_equal(spod_shamir_combine(out, xs, &shares[0][0], 0), SPOD_E_BAD_ARG);
	assert_true(sodium_is_zero(out, sizeof out));
	assert_int_equal(spod_shamir_combine(out, xs, &shares[0][0], 33), SPOD_E_BAD_ARG);
	xs[1] = 0;
	assert_int_equal(spod_shamir_combine(out, xs, &shares[0][0], 3), SPOD_E_BAD_ARG);
	xs[1] = 3; /* = xs[2] */
	memset(out, 0x77, sizeof out);
	assert_int_equal(spod_shamir_combine(out, xs, &shares[0][0], 3), SPOD_E_BAD_ARG);
	assert_true(sodium_is_zero(out, sizeof out));
	/* x-coordinates beyond 32 are standard Shamir shares too (gfsplit draws them 1..255). */
	xs[0] = 200;
	xs[1] = 255;
	assert_int_equal(spod_shamir_combine(out, xs, &shares[0][0], 3), SPOD_OK);
}

/* Runs a shell command line made of fixed words and mkdtemp paths (no quoting needed). */
static void run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	assert_true((size_t)vsnprintf(cmd, sizeof cmd, fmt, ap) < sizeof cmd);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("'%s' failed (gfsplit and gfcombine come with Debian's libgfshare-bin, "
		         "which scripts/install-deps.sh installs)",
		         cmd);
}

static void write_file(const char *path, const uint8_t *p, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void read_file(const char *path, uint8_t *p, size_t len)
{
	FILE *f = fopen(path, "rb");

	assert_non_null(f);
	assert_int_equal(fread(p, 1, len, f), len);
	assert_int_equal(fgetc(f), EOF);
	fclose(f);
}

/* spod splits, libgfshare's gfcombine rebuilds (its files are NAME.NNN, NNN = x). */
static void test_gfcombine_reads_spod_shares(void **state)
{
	char dir[] = "/tmp/spod-test-shamir.XXXXXX", path[256];
	uint8_t secret[32], shares[7][32], out[32];

	(void)state;
	assert_non_null(mkdtemp(dir));
	randombytes_buf(secret, sizeof secret);
	assert_int_equal(spod_shamir_split(&shares[0][0], secret, 4, 7), SPOD_OK);
	for (int i = 0; i < 7; i++) {
		snprintf(path, sizeof path, "%s/s.%03d", dir, i + 1);
		write_file(path, shares[i], 32);
	}
	run("gfcombine -o %s/out %s/s.007 %s/s.002 %s/s.005 %s/s.003", dir, dir, dir, dir, dir);
	snprintf(path, sizeof path, "%s/out", dir);
	read_file(path, out, sizeof out);
	assert_memory_equal(out, secret, 32);
	run("rm -rf %s", dir);
}

/* gfsplit splits (random x-coordinates in 1..255), spod combines. */
static void test_spod_reads_gfsplit_shares(void **state)
{
	char dir[] = "/tmp/spod-test-shamir.XXXXXX", path[512];
	uint8_t secret[32], shares[5][32], xs[5], out[32];
	struct dirent *e;
	unsigned k = 0;
	DIR *d;

	(void)state;
	assert_non_null(mkdtemp(dir));
	randombytes_buf(secret, sizeof secret);
	snprintf(path, sizeof path, "%s/secret", dir);
	write_file(path, secret, sizeof secret);
	run("gfsplit -n 3 -m 5 %s/secret %s/g", dir, dir);
	d = opendir(dir);
	assert_non_null(d);
	while ((e = readdir(d)) != NULL && k < 3) {
		unsigned x;
		char tail;
		if (sscanf(e->d_name, "g.%3u%c", &x, &tail) != 1)
			continue;
		assert_true(x >= 1 && x <= 255);
		xs[k] = (uint8_t)x;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		read_file(path, shares[k], 32);
		k++;
	}
	closedir(d);
	assert_int_equal(k, 3);
	assert_int_equal(spod_shamir_combine(out, xs, &shares[0][0], 3), SPOD_OK);
	assert_memory_equal(out, secret, 32);
	run("rm -rf %s", dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vector_subsets),
	    cmocka_unit_test(test_digests),
	    cmocka_unit_test(test_round_trips),
	    cmocka_unit_test(test_threshold),
	    cmocka_unit_test(test_bad_args),
	    cmocka_unit_test(test_gfcombine_reads_spod_shares),
	    cmocka_unit_test(test_spod_reads_gfsplit_shares),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
