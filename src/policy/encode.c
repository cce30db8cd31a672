/*
 * spod_policy_encode: the deterministic CBOR form of a policy's rules, the one encoding
 * spod_policy_load accepts. The host-side converter (src/convert/) fills a struct
 * spod_policy from JSON and writes it with this; the fuzzer checks load then encode gives
 * back the input.
 */
#include <string.h>

#include "policy/policy_int.h"
#include "spod/err.h"

static int put_uint(struct spod_cbor_writer *w, uint64_t v)
{
	return spod_cbor_put_head(w, SPOD_CBOR_MT_UINT, v);
}

static int put_bytes(struct spod_cbor_writer *w, const struct spod_view *v)
{
	return spod_cbor_put_str(w, SPOD_CBOR_MT_BSTR, v->ptr, v->len);
}

static int put_text(struct spod_cbor_writer *w, const struct spod_view *v)
{
	return spod_cbor_put_str(w, SPOD_CBOR_MT_TSTR, v->ptr, v->len);
}

static int put_views(struct spod_cbor_writer *w, const struct spod_policy *p, uint64_t key,
                     struct spod_policy_list l)
{
	if (l.n == 0)
		return SPOD_OK;
	if (l.off > SPOD_POLICY_MAX_VIEWS || l.n > SPOD_POLICY_MAX_VIEWS - l.off)
		return SPOD_E_BAD_ARG;
	SPOD_TRY(put_uint(w, key));
	SPOD_TRY(spod_cbor_put_head(w, SPOD_CBOR_MT_ARRAY, l.n));
	for (uint16_t i = 0; i < l.n; i++)
		SPOD_TRY(put_bytes(w, &p->views[l.off + i]));
	return SPOD_OK;
}

static size_t rule_pairs(const struct spod_policy_rule *r)
{
	size_t n = 2; /* id, effect */
	n += r->reason.len > 0;
	n += (r->flags & SPOD_POLICY_R_CHAIN) != 0;
	n += r->kinds != 0;
	n += r->chain_ids.n > 0;
	n += r->to.n > 0;
	n += r->to_deny.n > 0;
	n += r->contracts.n > 0;
	n += r->programs.n > 0;
	n += r->selectors.n > 0;
	n += r->delegates.n > 0;
	n += r->domains.n > 0;
	n += (r->flags & SPOD_POLICY_R_MAX_VALUE) != 0;
	n += r->token_limits.n > 0;
	n += (r->flags & SPOD_POLICY_R_WINDOW) != 0;
	n += (r->flags & SPOD_POLICY_R_RATE) != 0;
	n += (r->flags & SPOD_POLICY_R_ALLOW_UNKNOWN) != 0;
	return n;
}

static int put_domain(struct spod_cbor_writer *w, const struct spod_policy_domain *d)
{
	size_t n = (d->name.len > 0) + (d->version.len > 0) + (d->has_chain_id != 0) +
	           (d->contract.len > 0);
	SPOD_TRY(spod_cbor_put_head(w, SPOD_CBOR_MT_MAP, n));
	if (d->name.len) {
		SPOD_TRY(put_uint(w, DK_NAME));
		SPOD_TRY(put_text(w, &d->name));
	}
	if (d->version.len) {
		SPOD_TRY(put_uint(w, DK_VERSION));
		SPOD_TRY(put_text(w, &d->version));
	}
	if (d->has_chain_id) {
		SPOD_TRY(put_uint(w, DK_CHAIN_ID));
		SPOD_TRY(put_uint(w, d->chain_id));
	}
	if (d->contract.len) {
		SPOD_TRY(put_uint(w, DK_CONTRACT));
		SPOD_TRY(put_bytes(w, &d->contract));
	}
	return SPOD_OK;
}

static int put_rule(struct spod_cbor_writer *w, const struct spod_policy *p,
                    const struct spod_policy_rule *r)
{
	SPOD_TRY(spod_cbor_put_head(w, SPOD_CBOR_MT_MAP, rule_pairs(r)));
	SPOD_TRY(put_uint(w, RK_ID));
	SPOD_TRY(put_text(w, &r->id));
	SPOD_TRY(put_uint(w, RK_EFFECT));
	SPOD_TRY(put_uint(w, r->effect));
	if (r->reason.len) {
		SPOD_TRY(put_uint(w, RK_REASON));
		SPOD_TRY(put_text(w, &r->reason));
	}
	if (r->flags & SPOD_POLICY_R_CHAIN) {
		SPOD_TRY(put_uint(w, RK_CHAIN));
		SPOD_TRY(put_uint(w, r->chain));
	}
	if (r->kinds) {
		unsigned n = 0;
		for (unsigned k = 1; k < 8; k++)
			n += (r->kinds >> k) & 1u;
		SPOD_TRY(put_uint(w, RK_KINDS));
		SPOD_TRY(spod_cbor_put_head(w, SPOD_CBOR_MT_ARRAY, n));
		for (unsigned k = 1; k < 8; k++)
			if ((r->kinds >> k) & 1u)
				SPOD_TRY(put_uint(w, k));
	}
	if (r->chain_ids.n) {
		if (r->chain_ids.off > SPOD_POLICY_MAX_NUMS ||
		    r->chain_ids.n > SPOD_POLICY_MAX_NUMS - r->chain_ids.off)
			return SPOD_E_BAD_ARG;
		SPOD_TRY(put_uint(w, RK_CHAIN_IDS));
		SPOD_TRY(spod_cbor_put_head(w, SPOD_CBOR_MT_ARRAY, r->chain_ids.n));
		for (uint16_t i = 0; i < r->chain_ids.n; i++)
			SPOD_TRY(put_uint(w, p->nums[r->chain_ids.off + i]));
	}
	SPOD_TRY(put_views(w, p, RK_TO, r->to));
	SPOD_TRY(put_views(w, p, RK_TO_DENY, r->to_deny));
	SPOD_TRY(put_views(w, p, RK_CONTRACTS, r->contracts));
	SPOD_TRY(put_views(w, p, RK_PROGRAMS, r->programs));
	SPOD_TRY(put_views(w, p, RK_SELECTORS, r->selectors));
	SPOD_TRY(put_views(w, p, RK_DELEGATES, r->delegates));
	if (r->domains.n) {
		if (r->domains.off > SPOD_POLICY_MAX_DOMAINS ||
		    r->domains.n > SPOD_POLICY_MAX_DOMAINS - r->domains.off)
			return SPOD_E_BAD_ARG;
		SPOD_TRY(put_uint(w, RK_DOMAINS));
		SPOD_TRY(spod_cbor_put_head(w, SPOD_CBOR_MT_ARRAY, r->domains.n));
		for (uint16_t i = 0; i < r->domains.n; i++)
			SPOD_TRY(put_domain(w, &p->domains[r->domains.off + i]));
	}
	if (r->flags & SPOD_POLICY_R_MAX_VALUE) {
		SPOD_TRY(put_uint(w, RK_MAX_VALUE));
		SPOD_TRY(pol_put_amount(w, &r->max_value));
	}
	if (r->token_limits.n) {
		if (r->token_limits.off > SPOD_POLICY_MAX_TOKEN_LIMITS ||
		    r->token_limits.n > SPOD_POLICY_MAX_TOKEN_LIMITS - r->token_limits.off)
			return SPOD_E_BAD_ARG;
		SPOD_TRY(put_uint(w, RK_MAX_TOKEN_AMOUNT));
		SPOD_TRY(spod_cbor_put_head(w, SPOD_CBOR_MT_ARRAY, r->token_limits.n));
		for (uint16_t i = 0; i < r->token_limits.n; i++) {
			const struct spod_policy_token_limit *t =
			    &p->token_limits[r->token_limits.off + i];
			SPOD_TRY(spod_cbor_put_head(w, SPOD_CBOR_MT_MAP, 2));
			SPOD_TRY(put_uint(w, TK_TOKEN));
			SPOD_TRY(put_bytes(w, &t->token));
			SPOD_TRY(put_uint(w, TK_AMOUNT));
			SPOD_TRY(pol_put_amount(w, &t->amount));
		}
	}
	if (r->flags & SPOD_POLICY_R_WINDOW) {
		int token = (r->flags & SPOD_POLICY_R_WINDOW_TOKEN) != 0;
		SPOD_TRY(put_uint(w, RK_WINDOW));
		SPOD_TRY(spod_cbor_put_head(w, SPOD_CBOR_MT_MAP, 2u + (unsigned)token));
		if (token) {
			SPOD_TRY(put_uint(w, WK_TOKEN));
			SPOD_TRY(put_bytes(w, &r->window_token));
		}
		SPOD_TRY(put_uint(w, WK_LIMIT));
		SPOD_TRY(pol_put_amount(w, &r->window_limit));
		SPOD_TRY(put_uint(w, WK_SECONDS));
		SPOD_TRY(put_uint(w, r->window_seconds));
	}
	if (r->flags & SPOD_POLICY_R_RATE) {
		SPOD_TRY(put_uint(w, RK_RATE));
		SPOD_TRY(spod_cbor_put_head(w, SPOD_CBOR_MT_MAP, 2));
		SPOD_TRY(put_uint(w, QK_COUNT));
		SPOD_TRY(put_uint(w, r->rate_count));
		SPOD_TRY(put_uint(w, QK_SECONDS));
		SPOD_TRY(put_uint(w, r->rate_seconds));
	}
	if (r->flags & SPOD_POLICY_R_ALLOW_UNKNOWN) {
		static const uint8_t cbor_true = 0xf5;
		SPOD_TRY(put_uint(w, RK_ALLOW_UNKNOWN));
		SPOD_TRY(spod_cbor_put_raw(w, &cbor_true, 1));
	}
	return SPOD_OK;
}

int spod_policy_encode(const struct spod_policy *p, uint8_t *out, size_t cap, size_t *out_len)
{
	struct spod_cbor_writer w;

	*out_len = 0;
	if (p->n_rules > SPOD_POLICY_MAX_RULES)
		return SPOD_E_BAD_ARG;
	spod_cbor_writer_init(&w, out, cap);
	SPOD_TRY(spod_cbor_put_head(&w, SPOD_CBOR_MT_MAP, 2));
	SPOD_TRY(put_uint(&w, PK_VERSION));
	SPOD_TRY(put_uint(&w, SPOD_POLICY_VERSION));
	SPOD_TRY(put_uint(&w, PK_RULES));
	SPOD_TRY(spod_cbor_put_head(&w, SPOD_CBOR_MT_ARRAY, p->n_rules));
	for (size_t i = 0; i < p->n_rules; i++)
		SPOD_TRY(put_rule(&w, p, &p->rules[i]));
	*out_len = w.len;
	return SPOD_OK;
}
