/*
 * Share payloads and the enclave's collector (src/crypto/share.c): the layout byte by byte,
 * every truncation and out-of-range field, tampered shares and commitments, and the
 * collector's refusals (duplicate, another set, another seal key, a made-up set, too few).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "crypto/shamir.h"
#include "crypto/share.h"
#include "spod/err.h"

/* A split seal key with each share's payload. */
struct made {
	uint8_t key[32];
	uint8_t id[16];
	unsigned k, n;
	uint8_t shares[SPOD_SHARES_MAX][32];
	uint8_t commitments[SPOD_SHARES_MAX][32];
	uint8_t payload[SPOD_SHARES_MAX][SPOD_SHARE_PAYLOAD_MAX_BYTES];
	size_t len;
};

static struct made made_a, made_b;

/* Commitments and payloads of m->shares as they are now. */
static void make_payloads(struct made *m)
{
	for (unsigned i = 0; i < m->n; i++)
		spod_share_commitment(m->commitments[i], m->id, (uint8_t)(i + 1), (uint8_t)m->k,
		                      (uint8_t)m->n, m->shares[i]);
	for (unsigned i = 0; i < m->n; i++) {
		struct spod_share_view v = {(uint8_t)m->k, (uint8_t)m->n, (uint8_t)(i + 1),
		                            m->id,         m->shares[i],  &m->commitments[0][0]};
		assert_int_equal(
		    spod_share_encode(m->payload[i], sizeof m->payload[i], &m->len, &v), SPOD_OK);
	}
}

static void make(struct made *m, const uint8_t *key, unsigned k, unsigned n)
{
	memset(m, 0, sizeof *m);
	if (key != NULL)
		memcpy(m->key, key, 32);
	else
		randombytes_buf(m->key, 32);
	m->k = k;
	m->n = n;
	spod_seal_key_id(m->id, m->key);
	assert_int_equal(spod_shamir_split(&m->shares[0][0], m->key, k, n), SPOD_OK);
	make_payloads(m);
}

static int parse_err(const uint8_t *buf, size_t len, const char **why)
{
	struct spod_share_view v;
	int rc;

	memset(&v, 0x5a, sizeof v);
	rc = spod_share_parse(&v, buf, len, why);
	if (rc != SPOD_OK) {
		assert_int_equal(v.k, 0); /* zero-filled on failure */
		assert_null(v.share);
		assert_non_null(*why);
	}
	return rc;
}

static void test_layout(void **state)
{
	struct spod_share_view v;
	uint8_t out[SPOD_SHARE_PAYLOAD_MAX_BYTES];
	const char *why = "x";
	size_t len;

	(void)state;
	make(&made_a, NULL, 3, 5);
	const uint8_t *p = made_a.payload[3];
	assert_int_equal(made_a.len, 52 + 5 * 32);
	assert_int_equal(p[0], 1);
	assert_int_equal(p[1], 3);
	assert_int_equal(p[2], 5);
	assert_int_equal(p[3], 4);
	assert_memory_equal(p + 4, made_a.id, 16);
	assert_memory_equal(p + 20, made_a.shares[3], 32);
	assert_memory_equal(p + 52, made_a.commitments, 5 * 32);

	assert_int_equal(spod_share_parse(&v, p, made_a.len, &why), SPOD_OK);
	assert_null(why);
	assert_int_equal(v.k, 3);
	assert_int_equal(v.n, 5);
	assert_int_equal(v.index, 4);
	assert_ptr_equal(v.seal_key_id, p + 4);
	assert_ptr_equal(v.share, p + 20);
	assert_ptr_equal(v.commitments, p + 52);
	/* encode(parse(x)) == x */
	assert_int_equal(spod_share_encode(out, sizeof out, &len, &v), SPOD_OK);
	assert_int_equal(len, made_a.len);
	assert_memory_equal(out, p, len);
	assert_int_equal(spod_share_encode(out, len - 1, &len, &v), SPOD_E_TOO_LARGE);
	assert_int_equal(len, 0);
}

static void test_every_truncation(void **state)
{
	uint8_t buf[SPOD_SHARE_PAYLOAD_MAX_BYTES + 1];
	const char *why;

	(void)state;
	make(&made_a, NULL, 2, 3);
	memcpy(buf, made_a.payload[1], made_a.len);
	for (size_t len = 0; len < made_a.len; len++)
		assert_int_equal(parse_err(buf, len, &why), SPOD_E_BAD_SHARE);
	assert_int_equal(parse_err(NULL, 0, &why), SPOD_E_BAD_SHARE);
	assert_string_equal(why, "share payload is empty");
	assert_int_equal(parse_err(buf, 51, &why), SPOD_E_BAD_SHARE);
	assert_string_equal(why, "share payload is truncated");
	assert_int_equal(parse_err(buf, made_a.len - 1, &why), SPOD_E_BAD_SHARE);
	assert_string_equal(why, "share payload is truncated");
	buf[made_a.len] = 0;
	assert_int_equal(parse_err(buf, made_a.len + 1, &why), SPOD_E_BAD_SHARE);
	assert_string_equal(why, "share payload has bytes after its n commitments");
	assert_int_equal(parse_err(buf, made_a.len, &why), SPOD_OK);
}

/* Sets byte off of a copy of made_a's share 2 payload to value and parses it. */
static int parse_with(size_t off, uint8_t value, const char **why)
{
	uint8_t buf[SPOD_SHARE_PAYLOAD_MAX_BYTES];

	memcpy(buf, made_a.payload[1], made_a.len);
	buf[off] = value;
	return parse_err(buf, made_a.len, why);
}

static void test_bad_fields(void **state)
{
	const char *why;

	(void)state;
	make(&made_a, NULL, 2, 3);
	assert_int_equal(parse_with(0, 0, &why), SPOD_E_BAD_SHARE);
	assert_string_equal(why, "share payload version is not 1");
	assert_int_equal(parse_with(0, 2, &why), SPOD_E_BAD_SHARE);
	assert_int_equal(parse_with(1, 0, &why), SPOD_E_BAD_SHARE);
	assert_string_equal(why, "share payload: the threshold k is not 1..n");
	assert_int_equal(parse_with(1, 4, &why), SPOD_E_BAD_SHARE);
	assert_int_equal(parse_with(2, 0, &why), SPOD_E_BAD_SHARE);
	assert_string_equal(why, "share payload: the share count n is not 1..32");
	assert_int_equal(parse_with(2, 33, &why), SPOD_E_BAD_SHARE);
	assert_int_equal(parse_with(2, 255, &why), SPOD_E_BAD_SHARE);
	/* n = 4 is in range but the length is then that of 3 commitments */
	assert_int_equal(parse_with(2, 4, &why), SPOD_E_BAD_SHARE);
	assert_string_equal(why, "share payload is truncated");
	assert_int_equal(parse_with(2, 2, &why), SPOD_E_BAD_SHARE);
	assert_string_equal(why, "share payload has bytes after its n commitments");
	assert_int_equal(parse_with(3, 0, &why), SPOD_E_BAD_SHARE);
	assert_string_equal(why, "share payload: the share index is not 1..n");
	assert_int_equal(parse_with(3, 4, &why), SPOD_E_BAD_SHARE);
	/* k, n, index in range but other than committed to: the commitment no longer matches */
	assert_int_equal(parse_with(1, 3, &why), SPOD_E_BAD_SHARE);
	assert_string_equal(why, "share 2 does not match its commitment");
	assert_int_equal(parse_with(3, 1, &why), SPOD_E_BAD_SHARE);
	assert_string_equal(why, "share 1 does not match its commitment");
	assert_int_equal(parse_with(4, made_a.payload[1][4] ^ 1, &why), SPOD_E_BAD_SHARE);
	assert_string_equal(why, "share 2 does not match its commitment");
}

/* Every bit of the share and of its own commitment; another share's commitment parses. */
static void test_tampered_bits(void **state)
{
	const char *why;
	const uint8_t *p;

	(void)state;
	make(&made_a, NULL, 2, 3);
	p = made_a.payload[1];
	for (unsigned bit = 0; bit < 8 * 32; bit++) {
		size_t share_off = 20 + bit / 8, own_off = 52 + 32 + bit / 8;
		uint8_t flip = (uint8_t)(1u << (bit % 8));
		assert_int_equal(parse_with(share_off, p[share_off] ^ flip, &why),
		                 SPOD_E_BAD_SHARE);
		assert_string_equal(why, "share 2 does not match its commitment");
		assert_int_equal(parse_with(own_off, p[own_off] ^ flip, &why), SPOD_E_BAD_SHARE);
		assert_int_equal(parse_with(52 + bit / 8, p[52 + bit / 8] ^ flip, &why), SPOD_OK);
	}
}

static void test_encode_refusals(void **state)
{
	uint8_t out[SPOD_SHARE_PAYLOAD_MAX_BYTES];
	struct spod_share_view v;
	size_t len = 7;

	(void)state;
	make(&made_a, NULL, 2, 3);
	v = (struct spod_share_view){
	    2, 3, 2, made_a.id, made_a.shares[1], &made_a.commitments[0][0]};
	v.index = 4;
	assert_int_equal(spod_share_encode(out, sizeof out, &len, &v), SPOD_E_BAD_ARG);
	assert_int_equal(len, 0);
	v.index = 2;
	v.k = 0;
	assert_int_equal(spod_share_encode(out, sizeof out, &len, &v), SPOD_E_BAD_ARG);
	v.k = 2;
	v.share = made_a.shares[0]; /* share 1's bytes under index 2 */
	assert_int_equal(spod_share_encode(out, sizeof out, &len, &v), SPOD_E_BAD_SHARE);
}

/* Parses payload i of m and adds it to set. */
static int add(struct spod_share_set *set, struct spod_share_progress *pr, const uint8_t *buf,
               size_t len, const char **why)
{
	struct spod_share_view v;

	assert_int_equal(spod_share_parse(&v, buf, len, why), SPOD_OK);
	return spod_share_set_add(set, pr, &v, why);
}

static void test_set_rebuilds(void **state)
{
	struct spod_share_set set;
	struct spod_share_progress pr;
	uint8_t key[32];
	const char *why;
	const unsigned order[3] = {4, 1, 2};

	(void)state;
	make(&made_a, NULL, 3, 5);
	assert_int_equal(spod_share_set_init(&set, NULL), SPOD_OK);
	assert_int_equal(spod_share_set_rebuild(&set, key, &why), SPOD_E_NOT_PROVISIONED);
	for (unsigned j = 0; j < 3; j++) {
		unsigned i = order[j];
		assert_int_equal(add(&set, &pr, made_a.payload[i], made_a.len, &why), SPOD_OK);
		assert_null(why);
		assert_int_equal(pr.present, j + 1);
		assert_int_equal(pr.threshold, 3);
		assert_int_equal(pr.needed, 2 - j);
		if (j == 1) { /* fewer than k: refused, the set kept as it is */
			assert_int_equal(spod_share_set_rebuild(&set, key, &why),
			                 SPOD_E_NOT_PROVISIONED);
			assert_string_equal(why, "fewer shares than the threshold are here");
			assert_true(sodium_is_zero(key, 32));
		}
	}
	assert_memory_equal(set.seal_key_id, made_a.id, 16);
	assert_int_equal(spod_share_set_rebuild(&set, key, &why), SPOD_OK);
	assert_null(why);
	assert_memory_equal(key, made_a.key, 32);
	/* Emptied: shares wiped, parameters forgotten, ready for another round. */
	assert_int_equal(set.present, 0);
	assert_int_equal(set.k, 0);
	assert_int_equal(set.have_id, 0);
	assert_true(sodium_is_zero(set.shares, SPOD_SHARES_MAX * 32));
	assert_int_equal(spod_share_set_rebuild(&set, key, &why), SPOD_E_NOT_PROVISIONED);

	/* All five (beyond the threshold) are taken; k = n = 32 too. */
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(add(&set, &pr, made_a.payload[i], made_a.len, &why), SPOD_OK);
	assert_int_equal(pr.needed, 0);
	assert_int_equal(spod_share_set_rebuild(&set, key, &why), SPOD_OK);
	assert_memory_equal(key, made_a.key, 32);
	make(&made_b, NULL, 32, 32);
	for (unsigned i = 32; i-- > 0;)
		assert_int_equal(add(&set, &pr, made_b.payload[i], made_b.len, &why), SPOD_OK);
	assert_int_equal(spod_share_set_rebuild(&set, key, &why), SPOD_OK);
	assert_memory_equal(key, made_b.key, 32);
	spod_share_set_free(&set);
	assert_null(set.shares);
}

static void test_set_refusals(void **state)
{
	struct spod_share_set set;
	struct spod_share_progress pr;
	uint8_t buf[SPOD_SHARE_PAYLOAD_MAX_BYTES];
	const char *why;

	(void)state;
	make(&made_a, NULL, 3, 5);
	assert_int_equal(spod_share_set_init(&set, NULL), SPOD_OK);
	assert_int_equal(add(&set, &pr, made_a.payload[2], made_a.len, &why), SPOD_OK);

	/* the same share again */
	assert_int_equal(add(&set, &pr, made_a.payload[2], made_a.len, &why), SPOD_E_BAD_SHARE);
	assert_string_equal(why, "share 3 is here already");
	assert_int_equal(pr.present, 1);

	/* share 2 with share 5's commitment altered: it parses, but is not of this set */
	memcpy(buf, made_a.payload[1], made_a.len);
	buf[52 + 4 * 32] ^= 0x80;
	assert_int_equal(add(&set, &pr, buf, made_a.len, &why), SPOD_E_BAD_SHARE);
	assert_string_equal(
	    why, "share 2 belongs to another set of shares or its commitments were altered");

	/* another split of the same seal key: same id, other commitments (mixed sets) */
	make(&made_b, made_a.key, 3, 5);
	assert_int_equal(add(&set, &pr, made_b.payload[0], made_b.len, &why), SPOD_E_BAD_SHARE);
	assert_string_equal(
	    why, "share 1 belongs to another set of shares or its commitments were altered");
	/* same key split 3-of-6: k equal, n not */
	make(&made_b, made_a.key, 3, 6);
	assert_int_equal(add(&set, &pr, made_b.payload[0], made_b.len, &why), SPOD_E_BAD_SHARE);

	/* another seal key */
	make(&made_b, NULL, 3, 5);
	assert_int_equal(add(&set, &pr, made_b.payload[0], made_b.len, &why),
	                 SPOD_E_WRONG_SEAL_KEY);
	assert_string_equal(why, "the share is for another seal key");
	assert_int_equal(pr.present, 1);
	assert_int_equal(pr.needed, 2);

	/* nothing refused was stored: the right shares still rebuild the key */
	assert_int_equal(add(&set, &pr, made_a.payload[0], made_a.len, &why), SPOD_OK);
	assert_int_equal(add(&set, &pr, made_a.payload[4], made_a.len, &why), SPOD_OK);
	uint8_t key[32];
	assert_int_equal(spod_share_set_rebuild(&set, key, &why), SPOD_OK);
	assert_memory_equal(key, made_a.key, 32);
	spod_share_set_free(&set);
}

/* A set whose id is fixed at init refuses the first share already if it is another key's. */
static void test_set_fixed_id(void **state)
{
	struct spod_share_set set;
	struct spod_share_progress pr;
	uint8_t key[32];
	const char *why;

	(void)state;
	make(&made_a, NULL, 2, 2);
	make(&made_b, NULL, 2, 2);
	assert_int_equal(spod_share_set_init(&set, made_a.id), SPOD_OK);
	assert_int_equal(add(&set, &pr, made_b.payload[0], made_b.len, &why),
	                 SPOD_E_WRONG_SEAL_KEY);
	assert_int_equal(pr.threshold, 0);
	assert_int_equal(add(&set, &pr, made_a.payload[0], made_a.len, &why), SPOD_OK);
	assert_int_equal(add(&set, &pr, made_a.payload[1], made_a.len, &why), SPOD_OK);
	assert_int_equal(spod_share_set_rebuild(&set, key, &why), SPOD_OK);
	/* the fixed id outlives the rebuild */
	assert_int_equal(add(&set, &pr, made_b.payload[0], made_b.len, &why),
	                 SPOD_E_WRONG_SEAL_KEY);
	spod_share_set_free(&set);
}

/*
 * A made-up set: share 2 replaced by other bytes and its commitment recomputed, so every
 * payload parses and agrees with the others, yet together they rebuild another key.
 */
static void test_set_made_up(void **state)
{
	struct spod_share_set set;
	struct spod_share_progress pr;
	uint8_t key[32];
	const char *why;

	(void)state;
	make(&made_a, NULL, 2, 3);
	randombytes_buf(made_a.shares[1], 32);
	make_payloads(&made_a);
	assert_int_equal(spod_share_set_init(&set, NULL), SPOD_OK);
	assert_int_equal(add(&set, &pr, made_a.payload[0], made_a.len, &why), SPOD_OK);
	assert_int_equal(add(&set, &pr, made_a.payload[1], made_a.len, &why), SPOD_OK);
	memset(key, 0x33, sizeof key);
	assert_int_equal(spod_share_set_rebuild(&set, key, &why), SPOD_E_BAD_SHARE);
	assert_string_equal(why, "the shares rebuild a different seal key");
	assert_true(sodium_is_zero(key, 32));
	assert_int_equal(set.present, 0);
	assert_true(sodium_is_zero(set.shares, SPOD_SHARES_MAX * 32));
	/* shares 1 and 3 are genuine */
	assert_int_equal(add(&set, &pr, made_a.payload[0], made_a.len, &why), SPOD_OK);
	assert_int_equal(add(&set, &pr, made_a.payload[2], made_a.len, &why), SPOD_OK);
	assert_int_equal(spod_share_set_rebuild(&set, key, &why), SPOD_OK);
	assert_memory_equal(key, made_a.key, 32);
	spod_share_set_free(&set);
	spod_share_set_free(&set); /* harmless twice */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_layout),          cmocka_unit_test(test_every_truncation),
	    cmocka_unit_test(test_bad_fields),      cmocka_unit_test(test_tampered_bits),
	    cmocka_unit_test(test_encode_refusals), cmocka_unit_test(test_set_rebuilds),
	    cmocka_unit_test(test_set_refusals),    cmocka_unit_test(test_set_fixed_id),
	    cmocka_unit_test(test_set_made_up),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
