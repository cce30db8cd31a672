/*
 * Deterministic CBOR → JSON for key policies (`policy show`): spod_policy_load validates,
 * then the loaded rules are written back in the documented key order. Converting the result
 * with spod_policy_from_json gives back the same CBOR, byte for byte.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/hex.h"
#include "convert/base58.h"
#include "convert/policy_json.h"
#include "crypto/hash.h"
#include "policy/policy.h"
#include "spod/err.h"

/* json_object_set_new that remembers a failure in *ok. */
static void put(json_t *o, const char *key, json_t *v, int *ok)
{
	if (v == NULL || json_object_set_new(o, key, v) != 0)
		*ok = 0;
}

static void append(json_t *a, json_t *v, int *ok)
{
	if (v == NULL || json_array_append_new(a, v) != 0)
		*ok = 0;
}

/* 20 bytes as EIP-55 mixed-case hex, 32 (and any other length) as base58. */
static json_t *addr_json(const struct spod_view *v)
{
	char text[96];
	if (v->len == 20) {
		char hex[41];
		uint8_t h[32];
		if (spod_hex_encode(hex, sizeof(hex), v->ptr, 20) != SPOD_OK)
			return NULL;
		spod_keccak256(h, (const uint8_t *)hex, 40);
		text[0] = '0';
		text[1] = 'x';
		for (size_t i = 0; i < 40; i++) {
			unsigned nib = (h[i / 2] >> (i % 2 ? 0 : 4)) & 0xfu;
			char ch = hex[i];
			text[2 + i] = (ch >= 'a' && nib >= 8) ? (char)(ch - 'a' + 'A') : ch;
		}
		text[42] = '\0';
		return json_string(text);
	}
	if (spod_base58_encode(text, sizeof(text), v->ptr, v->len) != SPOD_OK)
		return NULL;
	return json_string(text);
}

static json_t *amount_json(const struct spod_u256 *a)
{
	char dec[SPOD_U256_DEC_BYTES];
	spod_u256_to_dec(dec, a);
	return json_string(dec);
}

static json_t *text_json(const struct spod_view *v)
{
	return json_stringn((const char *)v->ptr, v->len);
}

static json_t *views_json(const struct spod_policy *p, struct spod_policy_list l, int sel)
{
	json_t *a = json_array();
	int ok = a != NULL;
	for (uint16_t i = 0; ok && i < l.n; i++) {
		const struct spod_view *v = &p->views[l.off + i];
		if (sel) {
			char hex[11] = "0x";
			ok = spod_hex_encode(hex + 2, sizeof(hex) - 2, v->ptr, v->len) == SPOD_OK;
			append(a, ok ? json_string(hex) : NULL, &ok);
		} else {
			append(a, addr_json(v), &ok);
		}
	}
	if (!ok) {
		json_decref(a);
		return NULL;
	}
	return a;
}

static json_t *rule_json(const struct spod_policy *p, const struct spod_policy_rule *r)
{
	static const char *const kind_names[] = {NULL,         "transaction", "message",
	                                         "typed_data", "raw",         "authorization"};
	json_t *o = json_object();
	int ok = o != NULL;

	if (!ok)
		return NULL;
	put(o, "id", text_json(&r->id), &ok);
	put(o, "effect", json_string(r->effect == SPOD_POLICY_ALLOW ? "allow" : "deny"), &ok);
	if (r->reason.len)
		put(o, "reason", text_json(&r->reason), &ok);
	if (r->flags & SPOD_POLICY_R_CHAIN)
		put(o, "chain",
		    json_string(r->chain == SPOD_CHAIN_ETHEREUM ? "ethereum" : "solana"), &ok);
	if (r->kinds) {
		json_t *a = json_array();
		for (unsigned k = SPOD_POLICY_KIND_TRANSACTION;
		     a && k <= SPOD_POLICY_KIND_AUTHORIZATION; k++)
			if (r->kinds & (1u << k))
				append(a, json_string(kind_names[k]), &ok);
		put(o, "kinds", a, &ok);
	}
	if (r->chain_ids.n) {
		json_t *a = json_array();
		for (uint16_t i = 0; a && i < r->chain_ids.n; i++) {
			uint64_t id = p->nums[r->chain_ids.off + i];
			append(a, id <= INT64_MAX ? json_integer((json_int_t)id) : NULL, &ok);
		}
		put(o, "chain_ids", a, &ok);
	}
	if (r->to.n)
		put(o, "to", views_json(p, r->to, 0), &ok);
	if (r->to_deny.n)
		put(o, "to_deny", views_json(p, r->to_deny, 0), &ok);
	if (r->contracts.n)
		put(o, "contracts", views_json(p, r->contracts, 0), &ok);
	if (r->programs.n)
		put(o, "programs", views_json(p, r->programs, 0), &ok);
	if (r->selectors.n)
		put(o, "selectors", views_json(p, r->selectors, 1), &ok);
	if (r->delegates.n)
		put(o, "delegates", views_json(p, r->delegates, 0), &ok);
	if (r->domains.n) {
		json_t *a = json_array();
		for (uint16_t i = 0; a && i < r->domains.n; i++) {
			const struct spod_policy_domain *d = &p->domains[r->domains.off + i];
			json_t *e = json_object();
			if (e && d->name.len)
				put(e, "name", text_json(&d->name), &ok);
			if (e && d->version.len)
				put(e, "version", text_json(&d->version), &ok);
			if (e && d->has_chain_id)
				put(e, "chain_id",
				    d->chain_id <= INT64_MAX ? json_integer((json_int_t)d->chain_id)
				                             : NULL,
				    &ok);
			if (e && d->contract.len)
				put(e, "verifying_contract", addr_json(&d->contract), &ok);
			append(a, e, &ok);
		}
		put(o, "domains", a, &ok);
	}
	if (r->flags & SPOD_POLICY_R_MAX_VALUE)
		put(o, "max_value", amount_json(&r->max_value), &ok);
	if (r->token_limits.n) {
		json_t *a = json_array();
		for (uint16_t i = 0; a && i < r->token_limits.n; i++) {
			const struct spod_policy_token_limit *t =
			    &p->token_limits[r->token_limits.off + i];
			json_t *e = json_object();
			if (e) {
				put(e, "token", addr_json(&t->token), &ok);
				put(e, "amount", amount_json(&t->amount), &ok);
			}
			append(a, e, &ok);
		}
		put(o, "max_token_amount", a, &ok);
	}
	if (r->flags & SPOD_POLICY_R_WINDOW) {
		json_t *w = json_object();
		if (w) {
			put(w, "asset",
			    (r->flags & SPOD_POLICY_R_WINDOW_TOKEN) ? addr_json(&r->window_token)
			                                            : json_string("native"),
			    &ok);
			put(w, "limit", amount_json(&r->window_limit), &ok);
			put(w, "seconds", json_integer((json_int_t)r->window_seconds), &ok);
		}
		put(o, "window", w, &ok);
	}
	if (r->flags & SPOD_POLICY_R_RATE) {
		json_t *q = json_object();
		if (q) {
			put(q, "count", json_integer((json_int_t)r->rate_count), &ok);
			put(q, "seconds", json_integer((json_int_t)r->rate_seconds), &ok);
		}
		put(o, "rate", q, &ok);
	}
	if (r->flags & SPOD_POLICY_R_ALLOW_UNKNOWN)
		put(o, "allow_unknown", json_true(), &ok);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int spod_policy_to_json(char **json_out, const uint8_t *cbor, size_t len)
{
	struct spod_policy *p = malloc(sizeof(*p));
	json_t *root = NULL, *rules;
	int rc, ok = 1;

	*json_out = NULL;
	if (p == NULL)
		return SPOD_E_NOMEM;
	SPOD_GUARD(rc, spod_policy_load(cbor, len, p));
	root = json_object();
	rules = json_array();
	if (root == NULL || rules == NULL) {
		json_decref(rules);
		rc = SPOD_E_NOMEM;
		goto out;
	}
	put(root, "version", json_integer(SPOD_POLICY_VERSION), &ok);
	for (size_t i = 0; ok && i < p->n_rules; i++)
		append(rules, rule_json(p, &p->rules[i]), &ok);
	put(root, "rules", rules, &ok);
	if (ok)
		*json_out = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	rc = *json_out != NULL ? SPOD_OK : SPOD_E_NOMEM;
out:
	json_decref(root);
	free(p);
	return rc;
}
