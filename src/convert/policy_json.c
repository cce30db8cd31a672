/*
 * JSON → deterministic CBOR for key policies (docs/policy.md). The JSON is read into a
 * struct spod_policy whose views point into the jansson tree (texts) and into an arena
 * (decoded addresses); spod_policy_encode writes it and spod_policy_load checks the result,
 * so what leaves here is always what the enclave accepts.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/hex.h"
#include "convert/base58.h"
#include "convert/eip55.h"
#include "convert/policy_json_int.h"
#include "crypto/hash.h"
#include "policy/policy.h"
#include "spod/err.h"

static int get_kinds(struct conv *c, json_t *v, uint8_t *kinds)
{
	static const char *const names[] = {NULL,         "transaction", "message",
	                                    "typed_data", "raw",         "authorization"};
	size_t i;
	json_t *e;
	SPOD_TRY(pj_get_array(c, "kinds", v));
	json_array_foreach(v, i, e)
	{
		const char *s;
		size_t n;
		unsigned k = 1;
		SPOD_TRY(pj_get_text(c, "kinds", e, &s, &n));
		while (k <= SPOD_POLICY_KIND_AUTHORIZATION && strcmp(names[k], s) != 0)
			k++;
		if (k > SPOD_POLICY_KIND_AUTHORIZATION)
			return pj_fail(
			    c, SPOD_E_BAD_FIELD,
			    "\"kinds\": unknown kind \"%.40s\" (transaction, message, typed_data, "
			    "raw, authorization)",
			    s);
		if (*kinds & (1u << k))
			return pj_fail(c, SPOD_E_BAD_FIELD, "\"kinds\": \"%s\" listed twice", s);
		*kinds |= (uint8_t)(1u << k);
	}
	return SPOD_OK;
}

static int get_chain_ids(struct conv *c, json_t *v, struct spod_policy_list *l)
{
	struct spod_policy *p = c->p;
	size_t i;
	json_t *e;
	SPOD_TRY(pj_get_array(c, "chain_ids", v));
	if (json_array_size(v) > SPOD_POLICY_MAX_NUMS - p->n_nums)
		return pj_fail(c, SPOD_E_TOO_LARGE, "more than %u chain ids in the policy",
		               SPOD_POLICY_MAX_NUMS);
	l->off = (uint16_t)p->n_nums;
	json_array_foreach(v, i, e)
	    SPOD_TRY(pj_get_uint(c, "chain_ids", e, 0, INT64_MAX, &p->nums[p->n_nums++]));
	l->n = (uint16_t)json_array_size(v);
	return SPOD_OK;
}

static int get_text_view(struct conv *c, const char *key, json_t *v, size_t max,
                         struct spod_view *out)
{
	const char *s;
	size_t n;
	SPOD_TRY(pj_get_text(c, key, v, &s, &n));
	if (n == 0 || n > max)
		return pj_fail(c, SPOD_E_BAD_FIELD, "\"%s\" must be 1 to %zu bytes", key, max);
	out->ptr = (const uint8_t *)s;
	out->len = n;
	return SPOD_OK;
}

static int get_domains(struct conv *c, json_t *v, struct spod_policy_list *l)
{
	static const char *const names[] = {"name", "version", "chain_id", "verifying_contract",
	                                    NULL};
	struct spod_policy *p = c->p;
	size_t i;
	json_t *e, *f;
	SPOD_TRY(pj_get_array(c, "domains", v));
	if (json_array_size(v) > SPOD_POLICY_MAX_DOMAINS - p->n_domains)
		return pj_fail(c, SPOD_E_TOO_LARGE, "more than %u domains in the policy",
		               SPOD_POLICY_MAX_DOMAINS);
	l->off = (uint16_t)p->n_domains;
	json_array_foreach(v, i, e)
	{
		struct spod_policy_domain *d = &p->domains[p->n_domains++];
		if (!json_is_object(e) || json_object_size(e) == 0)
			return pj_fail(c, SPOD_E_BAD_FIELD,
			               "\"domains\" entries must be non-empty objects");
		SPOD_TRY(pj_known_keys(c, " in a domain", e, names));
		if ((f = json_object_get(e, "name")) != NULL)
			SPOD_TRY(get_text_view(c, "name", f, SPOD_POLICY_TEXT_MAX_BYTES, &d->name));
		if ((f = json_object_get(e, "version")) != NULL)
			SPOD_TRY(get_text_view(c, "version", f, SPOD_POLICY_TEXT_MAX_BYTES,
			                       &d->version));
		if ((f = json_object_get(e, "chain_id")) != NULL) {
			SPOD_TRY(pj_get_uint(c, "chain_id", f, 0, INT64_MAX, &d->chain_id));
			d->has_chain_id = 1;
		}
		if ((f = json_object_get(e, "verifying_contract")) != NULL)
			SPOD_TRY(pj_get_addr(c, "verifying_contract", f, SPOD_CHAIN_ETHEREUM, 20,
			                     &d->contract));
	}
	l->n = (uint16_t)json_array_size(v);
	return SPOD_OK;
}

static int get_token_limits(struct conv *c, json_t *v, unsigned chain, struct spod_policy_list *l)
{
	static const char *const names[] = {"token", "amount", NULL};
	struct spod_policy *p = c->p;
	size_t i;
	json_t *e, *tok, *amt;
	SPOD_TRY(pj_get_array(c, "max_token_amount", v));
	if (json_array_size(v) > SPOD_POLICY_MAX_TOKEN_LIMITS - p->n_token_limits)
		return pj_fail(c, SPOD_E_TOO_LARGE,
		               "more than %u max_token_amount entries in the policy",
		               SPOD_POLICY_MAX_TOKEN_LIMITS);
	l->off = (uint16_t)p->n_token_limits;
	json_array_foreach(v, i, e)
	{
		struct spod_policy_token_limit *t = &p->token_limits[p->n_token_limits++];
		if (!json_is_object(e))
			return pj_fail(c, SPOD_E_BAD_FIELD,
			               "\"max_token_amount\" entries must be objects");
		SPOD_TRY(pj_known_keys(c, " in max_token_amount", e, names));
		tok = json_object_get(e, "token");
		amt = json_object_get(e, "amount");
		if (tok == NULL || amt == NULL)
			return pj_fail(
			    c, SPOD_E_BAD_FIELD,
			    "\"max_token_amount\" entries need \"token\" and \"amount\"");
		SPOD_TRY(pj_get_addr(c, "token", tok, chain, 0, &t->token));
		SPOD_TRY(pj_get_amount(c, "amount", amt, &t->amount));
		for (uint16_t j = l->off; j < p->n_token_limits - 1; j++)
			if (p->token_limits[j].token.len == t->token.len &&
			    memcmp(p->token_limits[j].token.ptr, t->token.ptr, t->token.len) == 0)
				return pj_fail(c, SPOD_E_BAD_FIELD,
				               "\"max_token_amount\": a token listed twice");
	}
	l->n = (uint16_t)json_array_size(v);
	return SPOD_OK;
}

static int get_window(struct conv *c, json_t *v, unsigned chain, struct spod_policy_rule *r)
{
	static const char *const names[] = {"asset", "limit", "seconds", NULL};
	json_t *asset, *limit, *secs;
	if (!json_is_object(v))
		return pj_fail(c, SPOD_E_BAD_FIELD, "\"window\" must be an object");
	SPOD_TRY(pj_known_keys(c, " in window", v, names));
	asset = json_object_get(v, "asset");
	limit = json_object_get(v, "limit");
	secs = json_object_get(v, "seconds");
	if (asset == NULL || limit == NULL || secs == NULL)
		return pj_fail(c, SPOD_E_BAD_FIELD,
		               "\"window\" needs \"asset\", \"limit\" and \"seconds\"");
	if (!(json_is_string(asset) && strcmp(json_string_value(asset), "native") == 0)) {
		SPOD_TRY(pj_get_addr(c, "asset", asset, chain, 0, &r->window_token));
		r->flags |= SPOD_POLICY_R_WINDOW_TOKEN;
	}
	SPOD_TRY(pj_get_amount(c, "limit", limit, &r->window_limit));
	SPOD_TRY(pj_get_uint(c, "seconds", secs, 1, SPOD_POLICY_MAX_SECONDS, &r->window_seconds));
	if (c->p->n_windows >= SPOD_POLICY_MAX_WINDOWS)
		return pj_fail(c, SPOD_E_TOO_LARGE, "more than %u rules with a window",
		               SPOD_POLICY_MAX_WINDOWS);
	r->window_slot = (uint8_t)c->p->n_windows++;
	r->flags |= SPOD_POLICY_R_WINDOW;
	return SPOD_OK;
}

static int get_rate(struct conv *c, json_t *v, struct spod_policy_rule *r)
{
	static const char *const names[] = {"count", "seconds", NULL};
	json_t *count, *secs;
	if (!json_is_object(v))
		return pj_fail(c, SPOD_E_BAD_FIELD, "\"rate\" must be an object");
	SPOD_TRY(pj_known_keys(c, " in rate", v, names));
	count = json_object_get(v, "count");
	secs = json_object_get(v, "seconds");
	if (count == NULL || secs == NULL)
		return pj_fail(c, SPOD_E_BAD_FIELD, "\"rate\" needs \"count\" and \"seconds\"");
	SPOD_TRY(pj_get_uint(c, "count", count, 1, UINT32_MAX, &r->rate_count));
	SPOD_TRY(pj_get_uint(c, "seconds", secs, 1, SPOD_POLICY_MAX_SECONDS, &r->rate_seconds));
	if (c->p->n_rates >= SPOD_POLICY_MAX_RATES)
		return pj_fail(c, SPOD_E_TOO_LARGE, "more than %u rules with a rate",
		               SPOD_POLICY_MAX_RATES);
	r->rate_slot = (uint8_t)c->p->n_rates++;
	r->flags |= SPOD_POLICY_R_RATE;
	return SPOD_OK;
}

static const char *const rule_keys[] = {
    "id",        "effect",    "reason",        "chain",     "kinds",
    "chain_ids", "to",        "to_deny",       "contracts", "programs",
    "selectors", "delegates", "domains",       "max_value", "max_token_amount",
    "window",    "rate",      "allow_unknown", NULL};

static int get_rule(struct conv *c, json_t *o, struct spod_policy_rule *r)
{
	json_t *v;
	const char *s;
	size_t n;
	unsigned chain = 0;

	memset(r, 0, sizeof(*r));
	if (!json_is_object(o))
		return pj_fail(c, SPOD_E_BAD_FIELD, "must be an object");
	v = json_object_get(o, "id");
	if (v == NULL)
		return pj_fail(c, SPOD_E_BAD_FIELD, "\"id\" is missing");
	SPOD_TRY(pj_get_text(c, "id", v, &s, &n));
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			n = 0;
	if (n == 0 || n > SPOD_POLICY_ID_MAX_BYTES)
		return pj_fail(c, SPOD_E_BAD_FIELD,
		               "\"id\" must be 1 to %u printable ASCII characters "
		               "without spaces",
		               SPOD_POLICY_ID_MAX_BYTES);
	c->rule_id = s;
	if (strcmp(s, "default") == 0)
		return pj_fail(c, SPOD_E_BAD_FIELD,
		               "\"id\" \"default\" is reserved for the default deny");
	r->id.ptr = (const uint8_t *)s;
	r->id.len = n;
	c->rule_id = s;
	SPOD_TRY(pj_known_keys(c, "", o, rule_keys));

	v = json_object_get(o, "effect");
	if (v == NULL)
		return pj_fail(c, SPOD_E_BAD_FIELD, "\"effect\" is missing");
	SPOD_TRY(pj_get_text(c, "effect", v, &s, &n));
	if (strcmp(s, "allow") == 0)
		r->effect = SPOD_POLICY_ALLOW;
	else if (strcmp(s, "deny") == 0)
		r->effect = SPOD_POLICY_DENY;
	else
		return pj_fail(c, SPOD_E_BAD_FIELD, "\"effect\" must be \"allow\" or \"deny\"");
	if ((v = json_object_get(o, "reason")) != NULL) {
		SPOD_TRY(pj_get_text(c, "reason", v, &s, &n));
		for (size_t i = 0; i < n; i++)
			if (s[i] < 0x20 || s[i] > 0x7e)
				n = 0;
		if (n == 0 || n > SPOD_POLICY_REASON_MAX_BYTES)
			return pj_fail(c, SPOD_E_BAD_FIELD,
			               "\"reason\" must be 1 to %u printable ASCII "
			               "characters",
			               SPOD_POLICY_REASON_MAX_BYTES);
		r->reason.ptr = (const uint8_t *)s;
		r->reason.len = n;
	}
	if ((v = json_object_get(o, "chain")) != NULL) {
		SPOD_TRY(pj_get_text(c, "chain", v, &s, &n));
		if (strcmp(s, "ethereum") == 0)
			chain = SPOD_CHAIN_ETHEREUM;
		else if (strcmp(s, "solana") == 0)
			chain = SPOD_CHAIN_SOLANA;
		else
			return pj_fail(c, SPOD_E_BAD_FIELD,
			               "\"chain\" must be \"ethereum\" or \"solana\"");
		r->chain = (uint8_t)chain;
		r->flags |= SPOD_POLICY_R_CHAIN;
	}
	if ((v = json_object_get(o, "kinds")) != NULL)
		SPOD_TRY(get_kinds(c, v, &r->kinds));
	if ((v = json_object_get(o, "chain_ids")) != NULL)
		SPOD_TRY(get_chain_ids(c, v, &r->chain_ids));
	if ((v = json_object_get(o, "to")) != NULL)
		SPOD_TRY(pj_get_views(c, "to", v, chain, 0, 0, &r->to));
	if ((v = json_object_get(o, "to_deny")) != NULL)
		SPOD_TRY(pj_get_views(c, "to_deny", v, chain, 0, 0, &r->to_deny));
	if ((v = json_object_get(o, "contracts")) != NULL)
		SPOD_TRY(pj_get_views(c, "contracts", v, chain, 0, 0, &r->contracts));
	if ((v = json_object_get(o, "programs")) != NULL) {
		if (chain == SPOD_CHAIN_ETHEREUM)
			return pj_fail(c, SPOD_E_BAD_FIELD, "\"programs\" is for Solana rules");
		SPOD_TRY(pj_get_views(c, "programs", v, SPOD_CHAIN_SOLANA, 32, 0, &r->programs));
	}
	if ((v = json_object_get(o, "selectors")) != NULL)
		SPOD_TRY(pj_get_views(c, "selectors", v, 0, 4, 1, &r->selectors));
	if ((v = json_object_get(o, "delegates")) != NULL)
		SPOD_TRY(
		    pj_get_views(c, "delegates", v, SPOD_CHAIN_ETHEREUM, 20, 0, &r->delegates));
	if ((v = json_object_get(o, "domains")) != NULL)
		SPOD_TRY(get_domains(c, v, &r->domains));

	int limits = 0;
	if ((v = json_object_get(o, "max_value")) != NULL) {
		SPOD_TRY(pj_get_amount(c, "max_value", v, &r->max_value));
		r->flags |= SPOD_POLICY_R_MAX_VALUE;
		limits = 1;
	}
	if ((v = json_object_get(o, "max_token_amount")) != NULL) {
		SPOD_TRY(get_token_limits(c, v, chain, &r->token_limits));
		limits = 1;
	}
	if ((v = json_object_get(o, "window")) != NULL) {
		SPOD_TRY(get_window(c, v, chain, r));
		limits = 1;
	}
	if ((v = json_object_get(o, "rate")) != NULL) {
		SPOD_TRY(get_rate(c, v, r));
		limits = 1;
	}
	if ((v = json_object_get(o, "allow_unknown")) != NULL) {
		if (!json_is_boolean(v))
			return pj_fail(c, SPOD_E_BAD_FIELD,
			               "\"allow_unknown\" must be true or false");
		if (json_is_true(v)) {
			r->flags |= SPOD_POLICY_R_ALLOW_UNKNOWN;
			limits = 1;
		}
	}
	if (limits && r->effect == SPOD_POLICY_DENY)
		return pj_fail(c, SPOD_E_BAD_FIELD,
		               "max_value, max_token_amount, window, rate and "
		               "allow_unknown are for allow rules");
	return SPOD_OK;
}

static int convert(struct conv *c, json_t *root)
{
	static const char *const top_keys[] = {"version", "rules", NULL};
	struct spod_policy *p = c->p;
	json_t *v, *rules;
	uint64_t version;
	size_t i;

	if (!json_is_object(root))
		return pj_fail(c, SPOD_E_BAD_FIELD, "a policy is a JSON object");
	SPOD_TRY(pj_known_keys(c, " at the top level", root, top_keys));
	v = json_object_get(root, "version");
	if (v == NULL)
		return pj_fail(c, SPOD_E_BAD_FIELD, "\"version\" is missing");
	SPOD_TRY(pj_get_uint(c, "version", v, SPOD_POLICY_VERSION, SPOD_POLICY_VERSION, &version));
	rules = json_object_get(root, "rules");
	if (rules == NULL || !json_is_array(rules) || json_array_size(rules) == 0)
		return pj_fail(c, SPOD_E_BAD_FIELD, "\"rules\" must be a non-empty array");
	if (json_array_size(rules) > SPOD_POLICY_MAX_RULES)
		return pj_fail(c, SPOD_E_TOO_LARGE, "more than %u rules", SPOD_POLICY_MAX_RULES);
	json_array_foreach(rules, i, v)
	{
		c->rule_no = i + 1;
		c->rule_id = NULL;
		SPOD_TRY(get_rule(c, v, &p->rules[i]));
		for (size_t j = 0; j < i; j++)
			if (p->rules[j].id.len == p->rules[i].id.len &&
			    memcmp(p->rules[j].id.ptr, p->rules[i].id.ptr, p->rules[i].id.len) == 0)
				return pj_fail(c, SPOD_E_BAD_FIELD,
				               "\"id\" is the id of rule %zu too", j + 1);
		p->n_rules = i + 1;
	}
	c->rule_no = 0;
	return SPOD_OK;
}

int spod_policy_from_json(uint8_t *out, size_t cap, size_t *out_len, const char *json, size_t len,
                          char *err, size_t err_cap)
{
	struct conv c = {.err = err, .err_cap = err_cap};
	struct spod_policy *check = NULL;
	json_error_t je;
	json_t *root = NULL;
	int rc;

	*out_len = 0;
	if (err_cap)
		err[0] = '\0';
	c.p = calloc(1, sizeof(*c.p));
	c.arena = malloc(ARENA_BYTES);
	check = malloc(sizeof(*check));
	if (c.p == NULL || c.arena == NULL || check == NULL) {
		rc = pj_fail(&c, SPOD_E_NOMEM, "out of memory");
		goto out;
	}
	root = json_loadb(json != NULL ? json : "", json != NULL ? len : 0, JSON_REJECT_DUPLICATES,
	                  &je);
	if (root == NULL) {
		rc = pj_fail(&c, SPOD_E_BAD_FIELD, "not JSON: %s (line %d, column %d)", je.text,
		             je.line, je.column);
		goto out;
	}
	SPOD_GUARD(rc, convert(&c, root));
	rc = spod_policy_encode(c.p, out, out != NULL ? cap : 0, out_len);
	if (rc < 0) {
		rc = pj_fail(&c, SPOD_E_TOO_LARGE, "the CBOR form does not fit in %zu bytes", cap);
		goto out;
	}
	rc = spod_policy_load(out, *out_len, check);
	if (rc < 0) {
		rc = pj_fail(&c, rc, "the CBOR form is refused: %s", spod_err_name(rc));
		goto out;
	}
out:
	if (rc < 0)
		*out_len = 0;
	json_decref(root);
	free(check);
	free(c.arena);
	free(c.p);
	return rc;
}
