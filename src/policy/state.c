/*
 * The policy state (docs/policy.md, "State"): one ring of SPOD_POLICY_BUCKETS buckets per
 * window rule and per rate rule, and its canonical CBOR form, so that a later change can seal
 * it with the key.
 */
#include <string.h>

#include "policy/policy_int.h"
#include "spod/err.h"

void spod_policy_state_init(struct spod_policy_state *st, const struct spod_policy *p)
{
	memset(st, 0, sizeof(*st));
	memcpy(st->policy_hash, p->hash, sizeof(st->policy_hash));
	st->n_windows = p->n_windows;
	st->n_rates = p->n_rates;
	for (size_t i = 0; i < p->n_windows && i < SPOD_POLICY_MAX_WINDOWS; i++) {
		st->windows[i].rule = p->windows_rule[i];
		st->windows[i].width =
		    pol_bucket_width(p->rules[p->windows_rule[i]].window_seconds);
	}
	for (size_t i = 0; i < p->n_rates && i < SPOD_POLICY_MAX_RATES; i++) {
		st->rates[i].rule = p->rates_rule[i];
		st->rates[i].width = pol_bucket_width(p->rules[p->rates_rule[i]].rate_seconds);
	}
}

/* The used buckets of ring in ascending index order (at most SPOD_POLICY_BUCKETS). */
static size_t sorted_buckets(const struct spod_policy_ring *ring,
                             const struct spod_policy_bucket *out[SPOD_POLICY_BUCKETS])
{
	size_t n = 0;
	for (size_t i = 0; i < SPOD_POLICY_BUCKETS; i++) {
		const struct spod_policy_bucket *b = &ring->b[i];
		if (!b->used)
			continue;
		size_t j = n++;
		while (j > 0 && out[j - 1]->index > b->index) {
			out[j] = out[j - 1];
			j--;
		}
		out[j] = b;
	}
	return n;
}

static int put_rings(struct spod_cbor_writer *w, const struct spod_policy_ring *rings, size_t n)
{
	SPOD_TRY(spod_cbor_put_head(w, SPOD_CBOR_MT_ARRAY, n));
	for (size_t i = 0; i < n; i++) {
		const struct spod_policy_bucket *b[SPOD_POLICY_BUCKETS];
		size_t nb = sorted_buckets(&rings[i], b);
		SPOD_TRY(spod_cbor_put_head(w, SPOD_CBOR_MT_ARRAY, 3));
		SPOD_TRY(spod_cbor_put_head(w, SPOD_CBOR_MT_UINT, rings[i].rule));
		SPOD_TRY(spod_cbor_put_head(w, SPOD_CBOR_MT_UINT, rings[i].width));
		SPOD_TRY(spod_cbor_put_head(w, SPOD_CBOR_MT_ARRAY, nb));
		for (size_t j = 0; j < nb; j++) {
			SPOD_TRY(spod_cbor_put_head(w, SPOD_CBOR_MT_ARRAY, 2));
			SPOD_TRY(spod_cbor_put_head(w, SPOD_CBOR_MT_UINT, b[j]->index));
			SPOD_TRY(pol_put_amount(w, &b[j]->sum));
		}
	}
	return SPOD_OK;
}

int spod_policy_state_encode(const struct spod_policy_state *st, uint8_t *out, size_t cap,
                             size_t *out_len)
{
	struct spod_cbor_writer w;

	*out_len = 0;
	if (st->n_windows > SPOD_POLICY_MAX_WINDOWS || st->n_rates > SPOD_POLICY_MAX_RATES)
		return SPOD_E_INTERNAL;
	spod_cbor_writer_init(&w, out, cap);
	SPOD_TRY(spod_cbor_put_head(&w, SPOD_CBOR_MT_MAP, 4));
	SPOD_TRY(spod_cbor_put_head(&w, SPOD_CBOR_MT_UINT, SK_VERSION));
	SPOD_TRY(spod_cbor_put_head(&w, SPOD_CBOR_MT_UINT, SPOD_POLICY_VERSION));
	SPOD_TRY(spod_cbor_put_head(&w, SPOD_CBOR_MT_UINT, SK_POLICY));
	SPOD_TRY(spod_cbor_put_str(&w, SPOD_CBOR_MT_BSTR, st->policy_hash, 32));
	SPOD_TRY(spod_cbor_put_head(&w, SPOD_CBOR_MT_UINT, SK_WINDOWS));
	SPOD_TRY(put_rings(&w, st->windows, st->n_windows));
	SPOD_TRY(spod_cbor_put_head(&w, SPOD_CBOR_MT_UINT, SK_RATES));
	SPOD_TRY(put_rings(&w, st->rates, st->n_rates));
	*out_len = w.len;
	return SPOD_OK;
}

static int read_count(struct spod_cbor_reader *r, enum spod_cbor_kind kind, uint64_t want,
                      uint64_t max, uint64_t *n)
{
	struct spod_cbor_item it;
	SPOD_TRY(spod_cbor_expect_canon(r, kind, &it));
	if ((want != UINT64_MAX && it.value != want) || it.value > max)
		return SPOD_E_BAD_FIELD;
	*n = it.value;
	return SPOD_OK;
}

static int read_key(struct spod_cbor_reader *r, uint64_t *prev, uint64_t want)
{
	uint64_t key;
	SPOD_TRY(pol_key(r, prev, &key));
	return key == want ? SPOD_OK : SPOD_E_BAD_FIELD;
}

static int read_rings(struct spod_cbor_reader *r, struct spod_policy_ring *rings, size_t n)
{
	uint64_t count, v;
	SPOD_TRY(read_count(r, SPOD_CBOR_ARRAY, n, n, &count));
	for (size_t i = 0; i < n; i++) {
		struct spod_policy_ring *ring = &rings[i];
		uint64_t nb, prev_index = 0;
		SPOD_TRY(read_count(r, SPOD_CBOR_ARRAY, 3, 3, &count));
		SPOD_TRY(read_count(r, SPOD_CBOR_UINT, ring->rule, UINT64_MAX, &v));
		SPOD_TRY(read_count(r, SPOD_CBOR_UINT, ring->width, UINT64_MAX, &v));
		SPOD_TRY(read_count(r, SPOD_CBOR_ARRAY, UINT64_MAX, SPOD_POLICY_BUCKETS, &nb));
		for (uint64_t j = 0; j < nb; j++) {
			uint64_t index;
			struct spod_u256 sum;
			SPOD_TRY(read_count(r, SPOD_CBOR_ARRAY, 2, 2, &count));
			SPOD_TRY(read_count(r, SPOD_CBOR_UINT, UINT64_MAX, UINT64_MAX, &index));
			SPOD_TRY(pol_amount(r, &sum));
			struct spod_policy_bucket *b = &ring->b[index % SPOD_POLICY_BUCKETS];
			/* Ascending (one order, one encoding), and each in a slot of its own. */
			if ((j > 0 && index <= prev_index) || b->used)
				return SPOD_E_BAD_FIELD;
			prev_index = index;
			b->used = 1;
			b->index = index;
			b->sum = sum;
		}
	}
	return SPOD_OK;
}

static int decode(struct spod_policy_state *st, const struct spod_policy *p, const uint8_t *in,
                  size_t len)
{
	struct spod_cbor_reader r;
	struct spod_cbor_item it;
	uint64_t n, prev = 0, v;

	spod_cbor_reader_init(&r, in, len);
	SPOD_TRY(read_count(&r, SPOD_CBOR_MAP, 4, 4, &n));
	SPOD_TRY(read_key(&r, &prev, SK_VERSION));
	SPOD_TRY(read_count(&r, SPOD_CBOR_UINT, SPOD_POLICY_VERSION, SPOD_POLICY_VERSION, &v));
	SPOD_TRY(read_key(&r, &prev, SK_POLICY));
	SPOD_TRY(spod_cbor_expect_canon(&r, SPOD_CBOR_BSTR, &it));
	if (it.len != 32 || memcmp(it.ptr, p->hash, 32) != 0)
		return SPOD_E_BAD_FIELD;
	SPOD_TRY(read_key(&r, &prev, SK_WINDOWS));
	SPOD_TRY(read_rings(&r, st->windows, st->n_windows));
	SPOD_TRY(read_key(&r, &prev, SK_RATES));
	SPOD_TRY(read_rings(&r, st->rates, st->n_rates));
	if (!spod_cbor_at_end(&r))
		return SPOD_E_BAD_FIELD;
	return SPOD_OK;
}

int spod_policy_state_decode(struct spod_policy_state *st, const struct spod_policy *p,
                             const uint8_t *in, size_t len)
{
	int rc;

	spod_policy_state_init(st, p);
	rc = in == NULL ? SPOD_E_TRUNCATED : decode(st, p, in, len);
	if (rc < 0)
		memset(st, 0, sizeof(*st));
	return rc;
}
