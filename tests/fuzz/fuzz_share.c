/*
 * libFuzzer target for custodian shares: the share payload parser and the enclave's collector
 * (src/crypto/share.c), and the share file reader (src/cli/share_file*.c). The first byte of
 * an input picks the mode (modulo 3); seeds are written by make_share_corpus.py. To fuzz some
 * modes only, list them in SPOD_FUZZ_SHARE_MODES (e.g. "1"; the selector byte then picks
 * among those).
 *
 *   0  payloads: the rest is chunks of [2-byte little-endian length][payload], each parsed
 *      and, if valid, encoded again (the same bytes) and added to one collector, which then
 *      rebuilds. A refused payload leaves the view zeroed with a message; an accepted one
 *      obeys the layout; a rebuilt key always has the set's id.
 *   1  share files: the rest is a share file. One that parses has a payload that formats
 *      back to a file that parses to the same payload; inspect agrees with parse (a file
 *      parse refuses only for its commitment is one inspect reports as not matching).
 *   2  collector oracle: bytes 1-2 pick K and N, the rest are operations on three real
 *      splits (A, B = another seal key, C = the same seal key split again): add a genuine
 *      share, a share with another share's commitment altered, a share with a flipped bit.
 *      Shares of different sets never mix (with K = 1, C and A are one set: no coefficients);
 *      a flipped share is never accepted; once K shares of one set are in, rebuild gives
 *      exactly that set's seal key.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli/share_file.h"
#include "crypto/shamir.h"
#include "crypto/share.h"
#include "spod/err.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

#define MAX_CHUNKS 40u

/* The modes a run may use: all three, or those SPOD_FUZZ_SHARE_MODES lists ("1", "02"). */
static unsigned modes[3] = {0, 1, 2};
static unsigned mode_count = 3;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *only = getenv("SPOD_FUZZ_SHARE_MODES");

	(void)argc;
	(void)argv;
	if (only != NULL && only[0] != '\0') {
		mode_count = 0;
		for (; *only != '\0' && mode_count < 3; only++)
			if (*only >= '0' && *only <= '2')
				modes[mode_count++] = (unsigned)(*only - '0');
		if (mode_count == 0)
			return -1;
	}
	return sodium_init() < 0 ? -1 : 0;
}

static void check_view(const struct spod_share_view *v, const uint8_t *buf, size_t len)
{
	uint8_t out[SPOD_SHARE_PAYLOAD_MAX_BYTES];
	size_t out_len;

	CHECK(v->n >= 1 && v->n <= SPOD_SHARES_MAX && v->k >= 1 && v->k <= v->n);
	CHECK(v->index >= 1 && v->index <= v->n);
	CHECK(len == SPOD_SHARE_PAYLOAD_BYTES(v->n) && v->share == buf + 20);
	CHECK(spod_share_encode(out, sizeof out, &out_len, v) == SPOD_OK);
	CHECK(out_len == len && memcmp(out, buf, len) == 0);
}

static void fuzz_payloads(const uint8_t *d, size_t len)
{
	static const struct spod_share_view empty;
	struct spod_share_progress pr;
	struct spod_share_set set;
	uint8_t key[SPOD_SEAL_KEY_BYTES], id[SPOD_SEAL_KEY_ID_BYTES], want[SPOD_SEAL_KEY_ID_BYTES];
	const char *why;
	int rc;

	CHECK(spod_share_set_init(&set, NULL) == SPOD_OK);
	for (unsigned c = 0; c < MAX_CHUNKS && len >= 2; c++) {
		struct spod_share_view v;
		size_t n = (size_t)d[0] | (size_t)d[1] << 8;
		if (n > len - 2)
			n = len - 2;
		why = NULL;
		rc = spod_share_parse(&v, d + 2, n, &why);
		if (rc == SPOD_OK) {
			CHECK(why == NULL);
			check_view(&v, d + 2, n);
			rc = spod_share_set_add(&set, &pr, &v, &why);
			CHECK(rc == SPOD_OK || rc == SPOD_E_BAD_SHARE ||
			      rc == SPOD_E_WRONG_SEAL_KEY);
			CHECK(pr.present <= set.n && pr.threshold == set.k);
		} else {
			CHECK(rc == SPOD_E_BAD_SHARE && why != NULL);
			CHECK(memcmp(&v, &empty, sizeof v) == 0);
		}
		d += 2 + n;
		len -= 2 + n;
	}
	memcpy(want, set.seal_key_id, sizeof want);
	rc = spod_share_set_rebuild(&set, key, &why);
	CHECK(rc == SPOD_OK || rc == SPOD_E_BAD_SHARE || rc == SPOD_E_NOT_PROVISIONED);
	if (rc == SPOD_OK) {
		spod_seal_key_id(id, key);
		CHECK(memcmp(id, want, sizeof id) == 0);
	} else {
		CHECK(sodium_is_zero(key, sizeof key));
	}
	CHECK(set.present == 0 || rc == SPOD_E_NOT_PROVISIONED);
	spod_share_set_free(&set);
}

static void fuzz_file(const uint8_t *d, size_t len)
{
	struct spod_share_file f, g;
	struct spod_share_file_info info;
	static char text[SPOD_SHARE_FILE_TEXT_MAX_BYTES];
	const char *why = NULL, *why2 = NULL;
	size_t tlen;
	int rc, irc;

	rc = spod_share_file_parse(&f, d, len, &why);
	irc = spod_share_file_inspect(&info, d, len, &why2);
	if (rc != SPOD_OK) {
		CHECK(rc == SPOD_E_BAD_SHARE || rc == SPOD_E_TOO_LARGE);
		CHECK(why != NULL && f.payload == NULL);
		/* inspect refuses the same files, but for a share that fails its commitment */
		CHECK(irc == rc || (irc == SPOD_OK && !info.share_matches));
		return;
	}
	CHECK(irc == SPOD_OK && info.share_matches && info.index == f.view.index &&
	      info.threshold == f.view.k && info.shares == f.view.n &&
	      memcmp(info.seal_key_id, f.view.seal_key_id, SPOD_SEAL_KEY_ID_BYTES) == 0);
	check_view(&f.view, f.payload, f.payload_len);
	CHECK(spod_share_file_format(text, sizeof text, &tlen, f.payload, f.payload_len, &why) ==
	      SPOD_OK);
	CHECK(spod_share_file_parse(&g, (const uint8_t *)text, tlen, &why) == SPOD_OK);
	CHECK(g.payload_len == f.payload_len && memcmp(g.payload, f.payload, f.payload_len) == 0);
	spod_share_file_free(&g);
	spod_share_file_free(&f);
	sodium_memzero(text, sizeof text);
}

/* A real split with its payloads. */
struct split {
	uint8_t key[SPOD_SEAL_KEY_BYTES];
	uint8_t id[SPOD_SEAL_KEY_ID_BYTES];
	uint8_t shares[SPOD_SHARES_MAX][SPOD_SHARE_BYTES];
	uint8_t commitments[SPOD_SHARES_MAX * SPOD_SHARE_COMMIT_BYTES];
	uint8_t payload[SPOD_SHARES_MAX][SPOD_SHARE_PAYLOAD_MAX_BYTES];
	size_t len;
};

static struct split splits[3];

static void make_split(struct split *s, const uint8_t *key, unsigned k, unsigned n)
{
	memcpy(s->key, key, sizeof s->key);
	spod_seal_key_id(s->id, s->key);
	CHECK(spod_shamir_split(&s->shares[0][0], s->key, k, n) == SPOD_OK);
	for (unsigned i = 0; i < n; i++)
		spod_share_commitment(s->commitments + i * 32u, s->id, (uint8_t)(i + 1), (uint8_t)k,
		                      (uint8_t)n, s->shares[i]);
	for (unsigned i = 0; i < n; i++) {
		const struct spod_share_view v = {(uint8_t)k, (uint8_t)n,   (uint8_t)(i + 1),
		                                  s->id,      s->shares[i], s->commitments};
		CHECK(spod_share_encode(s->payload[i], sizeof s->payload[i], &s->len, &v) ==
		      SPOD_OK);
	}
}

/* Which set a share belongs to: the split and the commitment it altered (0: none). */
struct origin {
	unsigned split;
	unsigned altered; /* 1 + 8 * 32 * entry + bit, or 0 */
};

static void fuzz_oracle(const uint8_t *d, size_t len)
{
	uint8_t buf[SPOD_SHARE_PAYLOAD_MAX_BYTES], key[SPOD_SEAL_KEY_BYTES], k0[32] = {1},
	                                                                     k1[32] = {2};
	struct spod_share_progress pr;
	struct spod_share_set set;
	struct origin first = {0, 0};
	unsigned k, n, accepted = 0;
	const char *why;

	if (len < 2)
		return;
	n = 1u + d[0] % SPOD_SHARES_MAX;
	k = 1u + d[1] % n;
	make_split(&splits[0], k0, k, n);
	make_split(&splits[1], k1, k, n);
	make_split(&splits[2], k0, k, n);
	CHECK(spod_share_set_init(&set, NULL) == SPOD_OK);
	for (size_t i = 2; i + 2 < len; i += 3) {
		const struct split *s = &splits[d[i] % 3];
		unsigned op = (d[i] >> 2) % 3, index = 1u + d[i + 1] % n;
		unsigned entry = d[i + 2] % n, bit = (d[i + 2] >> 5) & 7;
		/* With K = 1 there are no random coefficients: C is A, share for share. */
		struct origin o = {k == 1 && s == &splits[2] ? 0u : (unsigned)(s - splits), 0};
		struct spod_share_view v;
		int rc;

		memcpy(buf, s->payload[index - 1], s->len);
		if (op == 1 && entry + 1 != index) {
			buf[52 + entry * 32] ^= (uint8_t)(1u << bit);
			o.altered = 1 + 8 * 32 * entry + bit;
		} else if (op == 2) {
			buf[20 + entry % 32] ^= (uint8_t)(1u << bit);
			CHECK(spod_share_parse(&v, buf, s->len, &why) == SPOD_E_BAD_SHARE);
			continue;
		}
		CHECK(spod_share_parse(&v, buf, s->len, &why) == SPOD_OK);
		rc = spod_share_set_add(&set, &pr, &v, &why);
		if (rc == SPOD_OK) {
			if (accepted++ == 0)
				first = o;
			/* never two sets in one collector: C has A's id, not A's commitments */
			CHECK(o.split == first.split && o.altered == first.altered);
		}
		CHECK(pr.present == accepted);
	}
	int rc = spod_share_set_rebuild(&set, key, &why);
	if (accepted >= k)
		CHECK(rc == SPOD_OK && memcmp(key, splits[first.split].key, sizeof key) == 0);
	else
		CHECK(rc == SPOD_E_NOT_PROVISIONED);
	spod_share_set_free(&set);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (modes[data[0] % mode_count]) {
	case 0:
		fuzz_payloads(data + 1, size - 1);
		break;
	case 1:
		fuzz_file(data + 1, size - 1);
		break;
	default:
		fuzz_oracle(data + 1, size - 1);
		break;
	}
	return 0;
}
