/*
 * spod_policy_eval and spod_policy_commit: first matching rule decides (docs/policy.md,
 * "Evaluation"). Nothing here allocates; a decision costs a walk over the rules and, for the
 * deciding allow rule, over its 64 window and rate buckets.
 */
#include <stdio.h>
#include <string.h>

#include "policy/policy_int.h"
#include "spod/err.h"

#define MAX_SUBJECTS (SPOD_TX_MAX_TRANSFERS + 1u)

unsigned spod_policy_kind_of(uint8_t tx_kind)
{
	switch (tx_kind) {
	case SPOD_TX_ETH_LEGACY:
	case SPOD_TX_ETH_2930:
	case SPOD_TX_ETH_1559:
	case SPOD_TX_ETH_4844:
	case SPOD_TX_ETH_7702:
	case SPOD_TX_SOL_LEGACY:
	case SPOD_TX_SOL_V0:
		return SPOD_POLICY_KIND_TRANSACTION;
	case SPOD_TX_ETH_7702_AUTH:
		return SPOD_POLICY_KIND_AUTHORIZATION;
	case SPOD_TX_ETH_EIP191:
		return SPOD_POLICY_KIND_MESSAGE;
	case SPOD_TX_ETH_EIP712:
		return SPOD_POLICY_KIND_TYPED_DATA;
	case SPOD_TX_RAW:
		return SPOD_POLICY_KIND_RAW;
	default:
		return 0;
	}
}

static int view_eq(const struct spod_view *a, const uint8_t *ptr, size_t len)
{
	return a->len == len && (len == 0 || memcmp(a->ptr, ptr, len) == 0);
}

static int in_views(const struct spod_policy *p, struct spod_policy_list l, const uint8_t *ptr,
                    size_t len)
{
	if (len == 0)
		return 0;
	for (uint16_t i = 0; i < l.n; i++)
		if (view_eq(&p->views[l.off + i], ptr, len))
			return 1;
	return 0;
}

static int is_token_of_transfer(const struct spod_tx_summary *tx, const struct spod_view *v)
{
	for (size_t i = 0; i < tx->n_transfers; i++) {
		const struct spod_tx_transfer *t = &tx->transfers[i];
		if (t->asset == SPOD_ASSET_TOKEN && view_eq(&t->token, v->ptr, v->len))
			return 1;
	}
	return 0;
}

/*
 * The recipients: every transfer's destination, and an Ethereum transaction's `to` unless it
 * is the contract of one of its token transfers (then the recipient is in the transfer).
 */
static size_t recipients(const struct spod_tx_summary *tx, unsigned kind,
                         struct spod_view out[MAX_SUBJECTS])
{
	size_t n = 0;
	for (size_t i = 0; i < tx->n_transfers && i < SPOD_TX_MAX_TRANSFERS; i++)
		out[n++] = tx->transfers[i].to;
	if (tx->chain == SPOD_CHAIN_ETHEREUM && kind == SPOD_POLICY_KIND_TRANSACTION &&
	    tx->to.len > 0 && !is_token_of_transfer(tx, &tx->to))
		out[n++] = tx->to;
	return n;
}

/*
 * The contracts: every token transfer's token (ERC-20 contract, SPL mint; empty when an SPL
 * Transfer does not name its mint), and the `to` of an Ethereum transaction with calldata
 * that is not one of those tokens (the contract called).
 */
static size_t contracts(const struct spod_tx_summary *tx, unsigned kind,
                        struct spod_view out[MAX_SUBJECTS])
{
	size_t n = 0;
	for (size_t i = 0; i < tx->n_transfers && i < SPOD_TX_MAX_TRANSFERS; i++)
		if (tx->transfers[i].asset == SPOD_ASSET_TOKEN)
			out[n++] = tx->transfers[i].token;
	if (tx->chain == SPOD_CHAIN_ETHEREUM && kind == SPOD_POLICY_KIND_TRANSACTION &&
	    tx->selector.len > 0 && tx->to.len > 0 && !is_token_of_transfer(tx, &tx->to))
		out[n++] = tx->to;
	return n;
}

/*
 * True when the rule names the token: in `contracts`, in `max_token_amount` or as its
 * window's asset. An empty token (an SPL Transfer, which does not name its mint) is never
 * named.
 */
static int token_named(const struct spod_policy *p, const struct spod_policy_rule *r,
                       const struct spod_view *token)
{
	if (token->len == 0)
		return 0;
	if (in_views(p, r->contracts, token->ptr, token->len))
		return 1;
	for (uint16_t i = 0; i < r->token_limits.n; i++)
		if (view_eq(&p->token_limits[r->token_limits.off + i].token, token->ptr,
		            token->len))
			return 1;
	return (r->flags & SPOD_POLICY_R_WINDOW_TOKEN) &&
	       view_eq(&r->window_token, token->ptr, token->len);
}

static int has_unnamed_token(const struct spod_policy *p, const struct spod_policy_rule *r,
                             const struct spod_tx_summary *tx)
{
	for (size_t i = 0; i < tx->n_transfers && i < SPOD_TX_MAX_TRANSFERS; i++)
		if (tx->transfers[i].asset == SPOD_ASSET_TOKEN &&
		    !token_named(p, r, &tx->transfers[i].token))
			return 1;
	return 0;
}

/* At least one subject, and every one in the list. */
static int all_in(const struct spod_policy *p, struct spod_policy_list l, const struct spod_view *s,
                  size_t n)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!in_views(p, l, s[i].ptr, s[i].len))
			return 0;
	return 1;
}

static int any_in(const struct spod_policy *p, struct spod_policy_list l, const struct spod_view *s,
                  size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (in_views(p, l, s[i].ptr, s[i].len))
			return 1;
	return 0;
}

static int domain_matches(const struct spod_policy_domain *d, const struct spod_tx_summary *tx)
{
	if (d->name.len && !view_eq(&tx->domain_name, d->name.ptr, d->name.len))
		return 0;
	if (d->version.len && !view_eq(&tx->domain_version, d->version.ptr, d->version.len))
		return 0;
	if (d->has_chain_id && tx->chain_id != d->chain_id)
		return 0;
	if (d->contract.len && !view_eq(&tx->domain_contract, d->contract.ptr, d->contract.len))
		return 0;
	return 1;
}

static int rule_matches(const struct spod_policy *p, const struct spod_policy_rule *r,
                        const struct spod_tx_summary *tx, unsigned kind)
{
	struct spod_view s[MAX_SUBJECTS];
	size_t n;

	if (r->effect == SPOD_POLICY_ALLOW) {
		/* What nothing describes completely is allowed only by a rule that says so. */
		if (kind == 0)
			return 0;
		uint32_t unknown = tx->flags & SPOD_POLICY_UNKNOWN_FLAGS;
		/* A rule that lists the calls or programs it allows is explicit about them. */
		if (r->selectors.n)
			unknown &= ~SPOD_TXF_UNKNOWN_CALL;
		if (r->programs.n)
			unknown &= ~SPOD_TXF_UNKNOWN_PROGRAM;
		if (unknown && !(r->flags & SPOD_POLICY_R_ALLOW_UNKNOWN))
			return 0;
		/* Tokens move only under a rule that names each of them (token_named): a rule
		 * that names none allows native value alone, whatever its recipients. */
		if (has_unnamed_token(p, r, tx))
			return 0;
		if (kind == SPOD_POLICY_KIND_RAW && !(r->kinds & (1u << SPOD_POLICY_KIND_RAW)))
			return 0;
	}
	if ((r->flags & SPOD_POLICY_R_CHAIN) && tx->chain != r->chain)
		return 0;
	if (r->kinds && (kind == 0 || !(r->kinds & (1u << kind))))
		return 0;
	if (r->chain_ids.n) {
		int found = 0;
		if (tx->chain == SPOD_CHAIN_ETHEREUM)
			for (uint16_t i = 0; i < r->chain_ids.n && !found; i++)
				found = p->nums[r->chain_ids.off + i] == tx->chain_id;
		if (!found)
			return 0;
	}
	if (r->to.n || r->to_deny.n) {
		n = recipients(tx, kind, s);
		if (r->to.n && !all_in(p, r->to, s, n))
			return 0;
		if (r->to_deny.n && !any_in(p, r->to_deny, s, n))
			return 0;
	}
	if (r->contracts.n) {
		n = contracts(tx, kind, s);
		if (!all_in(p, r->contracts, s, n))
			return 0;
	}
	if (r->programs.n) {
		size_t np =
		    tx->n_programs < SPOD_TX_MAX_PROGRAMS ? tx->n_programs : SPOD_TX_MAX_PROGRAMS;
		if (tx->chain != SPOD_CHAIN_SOLANA || !all_in(p, r->programs, tx->programs, np))
			return 0;
	}
	if (r->selectors.n && !in_views(p, r->selectors, tx->selector.ptr, tx->selector.len))
		return 0;
	if (r->delegates.n) {
		size_t nd = tx->n_delegates < SPOD_TX_MAX_DELEGATES ? tx->n_delegates
		                                                    : SPOD_TX_MAX_DELEGATES;
		if (!all_in(p, r->delegates, tx->delegates, nd))
			return 0;
	}
	if (r->domains.n) {
		int found = 0;
		if (kind == SPOD_POLICY_KIND_TYPED_DATA)
			for (uint16_t i = 0; i < r->domains.n && !found; i++)
				found = domain_matches(&p->domains[r->domains.off + i], tx);
		if (!found)
			return 0;
	}
	return 1;
}

/* The native amount: Ethereum's value; Solana's lamport transfers summed. -1 on overflow. */
static int native_amount(const struct spod_tx_summary *tx, struct spod_u256 *out)
{
	if (tx->chain == SPOD_CHAIN_ETHEREUM) {
		*out = tx->value;
		return 0;
	}
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < tx->n_transfers && i < SPOD_TX_MAX_TRANSFERS; i++)
		if (tx->transfers[i].asset == SPOD_ASSET_NATIVE &&
		    u256_add(out, out, &tx->transfers[i].amount) < 0)
			return -1;
	return 0;
}

/* The amount of token moved by tx's token transfers. -1 on overflow. */
static int token_amount(const struct spod_tx_summary *tx, const struct spod_view *token,
                        struct spod_u256 *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < tx->n_transfers && i < SPOD_TX_MAX_TRANSFERS; i++) {
		const struct spod_tx_transfer *t = &tx->transfers[i];
		if (t->asset == SPOD_ASSET_TOKEN && view_eq(&t->token, token->ptr, token->len) &&
		    u256_add(out, out, &t->amount) < 0)
			return -1;
	}
	return 0;
}

static int window_amount(const struct spod_policy_rule *r, const struct spod_tx_summary *tx,
                         struct spod_u256 *out)
{
	if (r->flags & SPOD_POLICY_R_WINDOW_TOKEN)
		return token_amount(tx, &r->window_token, out);
	return native_amount(tx, out);
}

/* Whether bucket index i of width w may hold a commit less than seconds before now. */
static int bucket_live(uint64_t i, uint64_t w, uint64_t seconds, uint64_t now)
{
	uint64_t end = i >= UINT64_MAX / w ? UINT64_MAX : (i + 1) * w;
	if (end > now)
		return 1;
	return now - end + 1 < seconds;
}

/* Sum of the live buckets of ring; -1 on overflow. */
static int ring_total(const struct spod_policy_ring *ring, uint64_t seconds, uint64_t now,
                      struct spod_u256 *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < SPOD_POLICY_BUCKETS; i++) {
		const struct spod_policy_bucket *b = &ring->b[i];
		if (b->used && bucket_live(b->index, ring->width, seconds, now) &&
		    u256_add(out, out, &b->sum) < 0)
			return -1;
	}
	return 0;
}

static const char *native_unit(const struct spod_tx_summary *tx)
{
	return tx->chain == SPOD_CHAIN_SOLANA ? "lamports" : "wei";
}

/* Checks the limits of matched allow rule r; 0 when within, else -1 with d->reason set. */
static int check_limits(const struct spod_policy *p, const struct spod_policy_state *st,
                        const struct spod_policy_rule *r, const struct spod_tx_summary *tx,
                        uint64_t now, struct spod_policy_decision *d)
{
	struct spod_u256 amt, total;
	char dec[SPOD_U256_DEC_BYTES];

	if (r->flags & SPOD_POLICY_R_MAX_VALUE) {
		if (native_amount(tx, &amt) < 0 || u256_cmp(&amt, &r->max_value) > 0) {
			spod_u256_to_dec(dec, &r->max_value);
			snprintf(d->reason, sizeof(d->reason), "max_value: %s %s would be exceeded",
			         dec, native_unit(tx));
			return -1;
		}
	}
	if (r->token_limits.n) {
		for (size_t i = 0; i < tx->n_transfers && i < SPOD_TX_MAX_TRANSFERS; i++) {
			const struct spod_tx_transfer *t = &tx->transfers[i];
			const struct spod_policy_token_limit *lim = NULL;
			if (t->asset != SPOD_ASSET_TOKEN)
				continue;
			for (uint16_t j = 0; j < r->token_limits.n && !lim; j++) {
				const struct spod_policy_token_limit *c =
				    &p->token_limits[r->token_limits.off + j];
				if (view_eq(&c->token, t->token.ptr, t->token.len))
					lim = c;
			}
			if (lim == NULL) {
				snprintf(d->reason, sizeof(d->reason),
				         "max_token_amount: a token transfer of a token it does "
				         "not list");
				return -1;
			}
			if (token_amount(tx, &lim->token, &amt) < 0 ||
			    u256_cmp(&amt, &lim->amount) > 0) {
				spod_u256_to_dec(dec, &lim->amount);
				snprintf(d->reason, sizeof(d->reason),
				         "max_token_amount: %s base units would be exceeded", dec);
				return -1;
			}
		}
	}
	if (r->flags & SPOD_POLICY_R_WINDOW) {
		const struct spod_policy_ring *ring = &st->windows[r->window_slot];
		if (window_amount(r, tx, &amt) < 0 ||
		    ring_total(ring, r->window_seconds, now, &total) < 0 ||
		    u256_add(&total, &total, &amt) < 0 || u256_cmp(&total, &r->window_limit) > 0) {
			spod_u256_to_dec(dec, &r->window_limit);
			snprintf(d->reason, sizeof(d->reason),
			         "window %llu s: %s %s would be exceeded",
			         (unsigned long long)r->window_seconds, dec,
			         (r->flags & SPOD_POLICY_R_WINDOW_TOKEN) ? "token base units"
			                                                 : native_unit(tx));
			return -1;
		}
	}
	if (r->flags & SPOD_POLICY_R_RATE) {
		const struct spod_policy_ring *ring = &st->rates[r->rate_slot];
		struct spod_u256 one, limit;
		u256_from_u64(&one, 1);
		u256_from_u64(&limit, r->rate_count);
		if (ring_total(ring, r->rate_seconds, now, &total) < 0 ||
		    u256_add(&total, &total, &one) < 0 || u256_cmp(&total, &limit) > 0) {
			snprintf(d->reason, sizeof(d->reason),
			         "rate %llu per %llu s: signings would be exceeded",
			         (unsigned long long)r->rate_count,
			         (unsigned long long)r->rate_seconds);
			return -1;
		}
	}
	return 0;
}

static void set_reason(struct spod_policy_decision *d, const struct spod_policy_rule *r,
                       const char *verb)
{
	if (r->reason.len)
		snprintf(d->reason, sizeof(d->reason), "%.*s", (int)r->reason.len,
		         (const char *)r->reason.ptr);
	else
		snprintf(d->reason, sizeof(d->reason), "%s by rule %.*s", verb, (int)r->id.len,
		         (const char *)r->id.ptr);
}

int spod_policy_eval(const struct spod_policy *p, const struct spod_policy_state *st,
                     const struct spod_tx_summary *tx, uint64_t now_s,
                     struct spod_policy_decision *d)
{
	static const uint8_t default_id[] = "default";
	unsigned kind = spod_policy_kind_of(tx->kind);

	memset(d, 0, sizeof(*d));
	d->rule = -1;
	if (memcmp(st->policy_hash, p->hash, sizeof(p->hash)) != 0)
		return SPOD_E_BAD_ARG;
	for (size_t i = 0; i < p->n_rules && i < SPOD_POLICY_MAX_RULES; i++) {
		const struct spod_policy_rule *r = &p->rules[i];
		if (!rule_matches(p, r, tx, kind))
			continue;
		d->rule = (int)i;
		d->rule_id = r->id;
		if (r->effect == SPOD_POLICY_DENY) {
			set_reason(d, r, "denied");
			return SPOD_OK;
		}
		if (check_limits(p, st, r, tx, now_s, d) < 0)
			return SPOD_OK;
		d->allowed = 1;
		set_reason(d, r, "allowed");
		return SPOD_OK;
	}
	d->rule_id.ptr = default_id;
	d->rule_id.len = sizeof(default_id) - 1;
	snprintf(d->reason, sizeof(d->reason), "no rule allows it");
	return SPOD_OK;
}

/*
 * Adds amt at time now to ring (see docs/policy.md, State), or with apply 0 only checks that
 * it can. Returns -1, changing nothing, when the bucket's sum would overflow.
 */
static int ring_add(struct spod_policy_ring *ring, uint64_t now, const struct spod_u256 *amt,
                    int apply)
{
	uint64_t i = now / ring->width;
	struct spod_policy_bucket *b = &ring->b[i % SPOD_POLICY_BUCKETS];
	struct spod_u256 sum;

	if (!b->used || b->index < i) {
		/* Empty, or a bucket at least 64 widths old: no longer in any window. */
		if (apply) {
			b->used = 1;
			b->index = i;
			b->sum = *amt;
		}
		return 0;
	}
	/* The same bucket, or a later one (the clock went back): kept the longer, conservatively.
	 */
	if (u256_add(&sum, &b->sum, amt) < 0)
		return -1;
	if (apply)
		b->sum = sum;
	return 0;
}

int spod_policy_commit(struct spod_policy_state *st, const struct spod_policy *p,
                       const struct spod_tx_summary *tx, const struct spod_policy_decision *d,
                       uint64_t now_s)
{
	struct spod_u256 amt, one;

	if (memcmp(st->policy_hash, p->hash, sizeof(p->hash)) != 0 || !d->allowed || d->rule < 0 ||
	    (size_t)d->rule >= p->n_rules)
		return SPOD_E_BAD_ARG;
	const struct spod_policy_rule *r = &p->rules[d->rule];
	if (r->effect != SPOD_POLICY_ALLOW)
		return SPOD_E_BAD_ARG;
	struct spod_policy_ring *win = NULL, *rate = NULL;
	memset(&amt, 0, sizeof(amt));
	u256_from_u64(&one, 1);
	if (r->flags & SPOD_POLICY_R_WINDOW) {
		win = &st->windows[r->window_slot];
		if (window_amount(r, tx, &amt) < 0 || ring_add(win, now_s, &amt, 0) < 0)
			return SPOD_E_INTERNAL;
	}
	if (r->flags & SPOD_POLICY_R_RATE) {
		rate = &st->rates[r->rate_slot];
		if (ring_add(rate, now_s, &one, 0) < 0)
			return SPOD_E_INTERNAL;
	}
	/* Both checked first, so a failure leaves st as it was. */
	if (win != NULL)
		(void)ring_add(win, now_s, &amt, 1);
	if (rate != NULL)
		(void)ring_add(rate, now_s, &one, 1);
	return SPOD_OK;
}
