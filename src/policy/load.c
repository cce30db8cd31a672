/*
 * spod_policy_load: one pass over the deterministic CBOR form (docs/policy.md), filling a
 * struct spod_policy whose views point into the input. Lists go to the policy's pools so the
 * struct has a fixed size whatever the rules hold.
 */
#include <string.h>

#include "common/utf8.h"
#include "crypto/hash.h"
#include "policy/policy_int.h"
#include "spod/err.h"

struct loader {
	struct spod_cbor_reader r;
	struct spod_policy *p;
};

/* A map or array head with a definite count in [min, max]; more than max is TOO_LARGE. */
static int open_container(struct loader *l, enum spod_cbor_kind kind, uint64_t min, uint64_t max,
                          uint64_t *n)
{
	struct spod_cbor_item it;
	SPOD_TRY(spod_cbor_expect_canon(&l->r, kind, &it));
	if (it.value < min)
		return SPOD_E_BAD_FIELD;
	if (it.value > max)
		return SPOD_E_TOO_LARGE;
	*n = it.value;
	return SPOD_OK;
}

static int read_uint(struct loader *l, uint64_t min, uint64_t max, uint64_t *v)
{
	struct spod_cbor_item it;
	SPOD_TRY(spod_cbor_expect_canon(&l->r, SPOD_CBOR_UINT, &it));
	if (it.value < min || it.value > max)
		return SPOD_E_BAD_FIELD;
	*v = it.value;
	return SPOD_OK;
}

/* Printable ASCII, no space when words is 0. */
static int ascii_ok(const uint8_t *s, size_t n, int spaces)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < (spaces ? 0x20 : 0x21) || s[i] > 0x7e)
			return 0;
	return 1;
}

static int read_text(struct loader *l, size_t min, size_t max, int ascii, int spaces,
                     struct spod_view *out)
{
	struct spod_cbor_item it;
	SPOD_TRY(spod_cbor_expect_canon(&l->r, SPOD_CBOR_TSTR, &it));
	if (it.len < min || it.len > max)
		return SPOD_E_BAD_FIELD;
	if (ascii ? !ascii_ok(it.ptr, it.len, spaces) : !spod_utf8_valid(it.ptr, it.len))
		return SPOD_E_BAD_FIELD;
	out->ptr = it.ptr;
	out->len = it.len;
	return SPOD_OK;
}

/* A byte string whose length is a or b (b 0: only a). */
static int read_bytes(struct loader *l, size_t a, size_t b, struct spod_view *out)
{
	struct spod_cbor_item it;
	SPOD_TRY(spod_cbor_expect_canon(&l->r, SPOD_CBOR_BSTR, &it));
	if (it.len != a && (b == 0 || it.len != b))
		return SPOD_E_BAD_FIELD;
	out->ptr = it.ptr;
	out->len = it.len;
	return SPOD_OK;
}

/* Address lengths a rule's chain allows: 20 (Ethereum), 32 (Solana), either without chain. */
static void addr_lens(const struct spod_policy_rule *rule, size_t *a, size_t *b)
{
	*a = 20;
	*b = 32;
	if (rule->flags & SPOD_POLICY_R_CHAIN) {
		*a = rule->chain == SPOD_CHAIN_ETHEREUM ? 20 : 32;
		*b = 0;
	}
}

static int read_view_list(struct loader *l, size_t a, size_t b, struct spod_policy_list *list)
{
	uint64_t n;
	SPOD_TRY(open_container(l, SPOD_CBOR_ARRAY, 1, SPOD_POLICY_MAX_LIST, &n));
	if (n > SPOD_POLICY_MAX_VIEWS - l->p->n_views)
		return SPOD_E_TOO_LARGE;
	list->off = (uint16_t)l->p->n_views;
	for (uint64_t i = 0; i < n; i++)
		SPOD_TRY(read_bytes(l, a, b, &l->p->views[l->p->n_views++]));
	list->n = (uint16_t)n;
	return SPOD_OK;
}

static int read_kinds(struct loader *l, uint8_t *kinds)
{
	uint64_t n, prev = 0, k;
	SPOD_TRY(open_container(l, SPOD_CBOR_ARRAY, 1, SPOD_POLICY_KIND_AUTHORIZATION, &n));
	*kinds = 0;
	for (uint64_t i = 0; i < n; i++) {
		SPOD_TRY(
		    read_uint(l, SPOD_POLICY_KIND_TRANSACTION, SPOD_POLICY_KIND_AUTHORIZATION, &k));
		if (k <= prev)
			return SPOD_E_BAD_FIELD; /* a set: strictly ascending */
		prev = k;
		*kinds |= (uint8_t)(1u << k);
	}
	return SPOD_OK;
}

static int read_chain_ids(struct loader *l, struct spod_policy_list *list)
{
	uint64_t n;
	SPOD_TRY(open_container(l, SPOD_CBOR_ARRAY, 1, SPOD_POLICY_MAX_LIST, &n));
	if (n > SPOD_POLICY_MAX_NUMS - l->p->n_nums)
		return SPOD_E_TOO_LARGE;
	list->off = (uint16_t)l->p->n_nums;
	for (uint64_t i = 0; i < n; i++)
		SPOD_TRY(read_uint(l, 0, UINT64_MAX, &l->p->nums[l->p->n_nums++]));
	list->n = (uint16_t)n;
	return SPOD_OK;
}

static int read_domain(struct loader *l, struct spod_policy_domain *d)
{
	uint64_t n, prev = 0, key;
	SPOD_TRY(open_container(l, SPOD_CBOR_MAP, 1, 4, &n));
	memset(d, 0, sizeof(*d));
	for (uint64_t i = 0; i < n; i++) {
		SPOD_TRY(pol_key(&l->r, &prev, &key));
		switch (key) {
		case DK_NAME:
			SPOD_TRY(read_text(l, 1, SPOD_POLICY_TEXT_MAX_BYTES, 0, 0, &d->name));
			break;
		case DK_VERSION:
			SPOD_TRY(read_text(l, 1, SPOD_POLICY_TEXT_MAX_BYTES, 0, 0, &d->version));
			break;
		case DK_CHAIN_ID:
			SPOD_TRY(read_uint(l, 0, UINT64_MAX, &d->chain_id));
			d->has_chain_id = 1;
			break;
		case DK_CONTRACT:
			SPOD_TRY(read_bytes(l, 20, 0, &d->contract));
			break;
		default:
			return SPOD_E_BAD_FIELD;
		}
	}
	return SPOD_OK;
}

static int read_domains(struct loader *l, struct spod_policy_list *list)
{
	uint64_t n;
	SPOD_TRY(open_container(l, SPOD_CBOR_ARRAY, 1, SPOD_POLICY_MAX_LIST, &n));
	if (n > SPOD_POLICY_MAX_DOMAINS - l->p->n_domains)
		return SPOD_E_TOO_LARGE;
	list->off = (uint16_t)l->p->n_domains;
	for (uint64_t i = 0; i < n; i++)
		SPOD_TRY(read_domain(l, &l->p->domains[l->p->n_domains++]));
	list->n = (uint16_t)n;
	return SPOD_OK;
}

static int read_token_limits(struct loader *l, const struct spod_policy_rule *rule,
                             struct spod_policy_list *list)
{
	uint64_t n;
	size_t a, b;
	addr_lens(rule, &a, &b);
	SPOD_TRY(open_container(l, SPOD_CBOR_ARRAY, 1, SPOD_POLICY_MAX_LIST, &n));
	if (n > SPOD_POLICY_MAX_TOKEN_LIMITS - l->p->n_token_limits)
		return SPOD_E_TOO_LARGE;
	list->off = (uint16_t)l->p->n_token_limits;
	for (uint64_t i = 0; i < n; i++) {
		struct spod_policy_token_limit *t = &l->p->token_limits[l->p->n_token_limits++];
		uint64_t pairs, prev = 0, key;
		SPOD_TRY(open_container(l, SPOD_CBOR_MAP, 2, 2, &pairs));
		SPOD_TRY(pol_key(&l->r, &prev, &key));
		if (key != TK_TOKEN)
			return SPOD_E_BAD_FIELD;
		SPOD_TRY(read_bytes(l, a, b, &t->token));
		SPOD_TRY(pol_key(&l->r, &prev, &key));
		if (key != TK_AMOUNT)
			return SPOD_E_BAD_FIELD;
		SPOD_TRY(pol_amount(&l->r, &t->amount));
		/* One entry per token: a second would be dead or contradict the first. */
		for (uint16_t j = list->off; j < l->p->n_token_limits - 1; j++) {
			const struct spod_view *o = &l->p->token_limits[j].token;
			if (o->len == t->token.len && memcmp(o->ptr, t->token.ptr, o->len) == 0)
				return SPOD_E_BAD_FIELD;
		}
	}
	list->n = (uint16_t)n;
	return SPOD_OK;
}

static int read_window(struct loader *l, struct spod_policy_rule *rule)
{
	uint64_t n, prev = 0, key;
	size_t a, b;
	int have_limit = 0, have_seconds = 0;
	addr_lens(rule, &a, &b);
	SPOD_TRY(open_container(l, SPOD_CBOR_MAP, 2, 3, &n));
	for (uint64_t i = 0; i < n; i++) {
		SPOD_TRY(pol_key(&l->r, &prev, &key));
		switch (key) {
		case WK_TOKEN:
			SPOD_TRY(read_bytes(l, a, b, &rule->window_token));
			rule->flags |= SPOD_POLICY_R_WINDOW_TOKEN;
			break;
		case WK_LIMIT:
			SPOD_TRY(pol_amount(&l->r, &rule->window_limit));
			have_limit = 1;
			break;
		case WK_SECONDS:
			SPOD_TRY(read_uint(l, 1, SPOD_POLICY_MAX_SECONDS, &rule->window_seconds));
			have_seconds = 1;
			break;
		default:
			return SPOD_E_BAD_FIELD;
		}
	}
	if (!have_limit || !have_seconds)
		return SPOD_E_BAD_FIELD;
	if (l->p->n_windows >= SPOD_POLICY_MAX_WINDOWS)
		return SPOD_E_TOO_LARGE;
	rule->window_slot = (uint8_t)l->p->n_windows++;
	rule->flags |= SPOD_POLICY_R_WINDOW;
	return SPOD_OK;
}

static int read_rate(struct loader *l, struct spod_policy_rule *rule)
{
	uint64_t n, prev = 0, key;
	SPOD_TRY(open_container(l, SPOD_CBOR_MAP, 2, 2, &n));
	SPOD_TRY(pol_key(&l->r, &prev, &key));
	if (key != QK_COUNT)
		return SPOD_E_BAD_FIELD;
	SPOD_TRY(read_uint(l, 1, UINT32_MAX, &rule->rate_count));
	SPOD_TRY(pol_key(&l->r, &prev, &key));
	if (key != QK_SECONDS)
		return SPOD_E_BAD_FIELD;
	SPOD_TRY(read_uint(l, 1, SPOD_POLICY_MAX_SECONDS, &rule->rate_seconds));
	if (l->p->n_rates >= SPOD_POLICY_MAX_RATES)
		return SPOD_E_TOO_LARGE;
	rule->rate_slot = (uint8_t)l->p->n_rates++;
	rule->flags |= SPOD_POLICY_R_RATE;
	return SPOD_OK;
}

static int read_rule_member(struct loader *l, struct spod_policy_rule *rule, uint64_t key)
{
	size_t a, b;
	uint64_t v;
	struct spod_cbor_item it;

	addr_lens(rule, &a, &b);
	switch (key) {
	case RK_ID:
		return read_text(l, 1, SPOD_POLICY_ID_MAX_BYTES, 1, 0, &rule->id);
	case RK_EFFECT:
		SPOD_TRY(read_uint(l, SPOD_POLICY_ALLOW, SPOD_POLICY_DENY, &v));
		rule->effect = (uint8_t)v;
		return SPOD_OK;
	case RK_REASON:
		return read_text(l, 1, SPOD_POLICY_REASON_MAX_BYTES, 1, 1, &rule->reason);
	case RK_CHAIN:
		SPOD_TRY(read_uint(l, SPOD_CHAIN_ETHEREUM, SPOD_CHAIN_SOLANA, &v));
		rule->chain = (uint8_t)v;
		rule->flags |= SPOD_POLICY_R_CHAIN;
		return SPOD_OK;
	case RK_KINDS:
		return read_kinds(l, &rule->kinds);
	case RK_CHAIN_IDS:
		return read_chain_ids(l, &rule->chain_ids);
	case RK_TO:
		return read_view_list(l, a, b, &rule->to);
	case RK_TO_DENY:
		return read_view_list(l, a, b, &rule->to_deny);
	case RK_CONTRACTS:
		return read_view_list(l, a, b, &rule->contracts);
	case RK_PROGRAMS:
		if ((rule->flags & SPOD_POLICY_R_CHAIN) && rule->chain != SPOD_CHAIN_SOLANA)
			return SPOD_E_BAD_FIELD;
		return read_view_list(l, 32, 0, &rule->programs);
	case RK_SELECTORS:
		return read_view_list(l, 4, 0, &rule->selectors);
	case RK_DELEGATES:
		return read_view_list(l, 20, 0, &rule->delegates);
	case RK_DOMAINS:
		return read_domains(l, &rule->domains);
	case RK_MAX_VALUE:
		SPOD_TRY(pol_amount(&l->r, &rule->max_value));
		rule->flags |= SPOD_POLICY_R_MAX_VALUE;
		return SPOD_OK;
	case RK_MAX_TOKEN_AMOUNT:
		return read_token_limits(l, rule, &rule->token_limits);
	case RK_WINDOW:
		return read_window(l, rule);
	case RK_RATE:
		return read_rate(l, rule);
	case RK_ALLOW_UNKNOWN:
		/* Only true: false is written by leaving the key out, so it has one encoding. */
		SPOD_TRY(spod_cbor_expect_canon(&l->r, SPOD_CBOR_BOOL, &it));
		if (it.value != 1)
			return SPOD_E_BAD_FIELD;
		rule->flags |= SPOD_POLICY_R_ALLOW_UNKNOWN;
		return SPOD_OK;
	default:
		return SPOD_E_BAD_FIELD;
	}
}

static int read_rule(struct loader *l, struct spod_policy_rule *rule)
{
	uint64_t n, prev = 0, key;
	SPOD_TRY(open_container(l, SPOD_CBOR_MAP, 2, RK_ALLOW_UNKNOWN, &n));
	memset(rule, 0, sizeof(*rule));
	for (uint64_t i = 0; i < n; i++) {
		SPOD_TRY(pol_key(&l->r, &prev, &key));
		SPOD_TRY(read_rule_member(l, rule, key));
	}
	if (rule->id.len == 0 || rule->effect == 0)
		return SPOD_E_BAD_FIELD;
	if (rule->id.len == 7 && memcmp(rule->id.ptr, "default", 7) == 0)
		return SPOD_E_BAD_FIELD; /* the name of the default deny */
	const uint32_t allow_only = SPOD_POLICY_R_MAX_VALUE | SPOD_POLICY_R_WINDOW |
	                            SPOD_POLICY_R_RATE | SPOD_POLICY_R_ALLOW_UNKNOWN;
	if (rule->effect == SPOD_POLICY_DENY &&
	    ((rule->flags & allow_only) || rule->token_limits.n))
		return SPOD_E_BAD_FIELD;
	return SPOD_OK;
}

static int load(struct loader *l)
{
	uint64_t n, prev = 0, key, v, n_rules;
	struct spod_policy *p = l->p;

	SPOD_TRY(open_container(l, SPOD_CBOR_MAP, 2, 2, &n));
	SPOD_TRY(pol_key(&l->r, &prev, &key));
	if (key != PK_VERSION)
		return SPOD_E_BAD_FIELD;
	SPOD_TRY(read_uint(l, SPOD_POLICY_VERSION, SPOD_POLICY_VERSION, &v));
	SPOD_TRY(pol_key(&l->r, &prev, &key));
	if (key != PK_RULES)
		return SPOD_E_BAD_FIELD;
	SPOD_TRY(open_container(l, SPOD_CBOR_ARRAY, 1, SPOD_POLICY_MAX_RULES, &n_rules));
	for (uint64_t i = 0; i < n_rules; i++) {
		struct spod_policy_rule *rule = &p->rules[i];
		SPOD_TRY(read_rule(l, rule));
		p->n_rules++;
		if (rule->flags & SPOD_POLICY_R_WINDOW)
			p->windows_rule[rule->window_slot] = (uint8_t)i;
		if (rule->flags & SPOD_POLICY_R_RATE)
			p->rates_rule[rule->rate_slot] = (uint8_t)i;
		for (uint64_t j = 0; j < i; j++) {
			const struct spod_view *o = &p->rules[j].id;
			if (o->len == rule->id.len && memcmp(o->ptr, rule->id.ptr, o->len) == 0)
				return SPOD_E_BAD_FIELD;
		}
	}
	if (!spod_cbor_at_end(&l->r))
		return SPOD_E_BAD_FIELD;
	return SPOD_OK;
}

int spod_policy_load(const uint8_t *cbor, size_t len, struct spod_policy *out)
{
	struct loader l;
	int rc;

	memset(out, 0, sizeof(*out));
	if (cbor == NULL)
		return len == 0 ? SPOD_E_TRUNCATED : SPOD_E_BAD_ARG;
	if (len > SPOD_POLICY_MAX_BYTES)
		return SPOD_E_TOO_LARGE;
	spod_cbor_reader_init(&l.r, cbor, len);
	l.p = out;
	rc = load(&l);
	if (rc < 0) {
		memset(out, 0, sizeof(*out));
		return rc;
	}
	spod_sha256(out->hash, cbor, len);
	return SPOD_OK;
}
