/*
 * The value readers of the policy JSON converter (policy_json_int.h): texts, addresses,
 * integers, amounts, address lists and closed objects, each refusing with a message that
 * names the key. policy_json.c reads the rules with them.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "convert/base58.h"
#include "convert/eip55.h"
#include "convert/policy_json_int.h"
#include "spod/err.h"

int pj_fail(struct conv *c, int rc, const char *fmt, ...)
{
	char msg[SPOD_POLICY_JSON_ERR_BYTES];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->err_cap == 0)
		return rc;
	if (c->rule_no && c->rule_id)
		snprintf(c->err, c->err_cap, "rule %zu (\"%.64s\"): %s", c->rule_no, c->rule_id,
		         msg);
	else if (c->rule_no)
		snprintf(c->err, c->err_cap, "rule %zu: %s", c->rule_no, msg);
	else
		snprintf(c->err, c->err_cap, "%s", msg);
	return rc;
}

uint8_t *pj_arena_take(struct conv *c, size_t n)
{
	if (n > ARENA_BYTES - c->arena_len)
		return NULL;
	uint8_t *at = c->arena + c->arena_len;
	c->arena_len += n;
	return at;
}

int pj_get_text(struct conv *c, const char *key, json_t *v, const char **s, size_t *n)
{
	*s = "";
	*n = 0;
	if (!json_is_string(v))
		return pj_fail(c, SPOD_E_BAD_FIELD, "\"%s\" must be a string", key);
	*s = json_string_value(v);
	*n = json_string_length(v);
	return SPOD_OK;
}

static int is_hex_digit(char ch)
{
	return isxdigit((unsigned char)ch) != 0;
}

/*
 * An address: 0x + 40 hex digits (Ethereum, 20 bytes) or base58 of 32 bytes (Solana). chain
 * (0 any) picks the form; want (0 any) a length.
 */
int pj_get_addr(struct conv *c, const char *key, json_t *v, unsigned chain, size_t want,
                struct spod_view *out)
{
	const char *s;
	size_t n;
	SPOD_TRY(pj_get_text(c, key, v, &s, &n));
	int hex = n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	if (hex && chain != SPOD_CHAIN_SOLANA && want != 32) {
		if (n != 42)
			return pj_fail(c, SPOD_E_BAD_FIELD,
			               "\"%s\": %.80s is not 0x and 40 hex digits", key, s);
		for (size_t i = 2; i < 42; i++)
			if (!is_hex_digit(s[i]))
				return pj_fail(c, SPOD_E_BAD_FIELD, "\"%s\": %.80s is not hex", key,
				               s);
		if (!spod_eip55_ok(s + 2))
			return pj_fail(c, SPOD_E_BAD_FIELD,
			               "\"%s\": %.80s has a wrong EIP-55 checksum", key, s);
		uint8_t *b = pj_arena_take(c, 20);
		if (b == NULL || spod_hex_decode_exact(b, 20, s + 2, 40) != SPOD_OK)
			return pj_fail(c, SPOD_E_TOO_LARGE, "too many addresses");
		out->ptr = b;
		out->len = 20;
		return SPOD_OK;
	}
	if (!hex && chain != SPOD_CHAIN_ETHEREUM && want != 20) {
		uint8_t *b = pj_arena_take(c, 32);
		if (b == NULL)
			return pj_fail(c, SPOD_E_TOO_LARGE, "too many addresses");
		if (spod_base58_decode(b, 32, s, n) != SPOD_OK)
			return pj_fail(c, SPOD_E_BAD_FIELD,
			               "\"%s\": %.80s is not base58 of 32 bytes", key, s);
		out->ptr = b;
		out->len = 32;
		return SPOD_OK;
	}
	if (chain == SPOD_CHAIN_SOLANA || want == 32)
		return pj_fail(c, SPOD_E_BAD_FIELD,
		               "\"%s\": %.80s is not a Solana address (base58)", key, s);
	return pj_fail(c, SPOD_E_BAD_FIELD, "\"%s\": %.80s is not an Ethereum address (0x...)", key,
	               s);
}

int pj_get_uint(struct conv *c, const char *key, json_t *v, uint64_t min, uint64_t max,
                uint64_t *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) < min || (uint64_t)json_integer_value(v) > max)
		return pj_fail(c, SPOD_E_BAD_FIELD, "\"%s\" must be an integer from %llu to %llu",
		               key, (unsigned long long)min, (unsigned long long)max);
	*out = (uint64_t)json_integer_value(v);
	return SPOD_OK;
}

/* A decimal string without sign or leading zeros, at most 2^256 - 1. */
int pj_get_amount(struct conv *c, const char *key, json_t *v, struct spod_u256 *out)
{
	const char *s;
	size_t n;
	SPOD_TRY(pj_get_text(c, key, v, &s, &n));
	if (n == 0 || n > 78 || (n > 1 && s[0] == '0'))
		return pj_fail(
		    c, SPOD_E_BAD_FIELD,
		    "\"%s\" must be a decimal string without leading zeros, up to 2^256-1", key);
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return pj_fail(c, SPOD_E_BAD_FIELD, "\"%s\": %.80s is not a decimal string",
			               key, s);
		unsigned carry = (unsigned)(s[i] - '0');
		for (int j = 31; j >= 0; j--) {
			carry += 10u * out->be[j];
			out->be[j] = (uint8_t)carry;
			carry >>= 8;
		}
		if (carry)
			return pj_fail(c, SPOD_E_BAD_FIELD, "\"%s\": %.80s is more than 2^256-1",
			               key, s);
	}
	return SPOD_OK;
}

int pj_get_array(struct conv *c, const char *key, json_t *v)
{
	if (!json_is_array(v))
		return pj_fail(c, SPOD_E_BAD_FIELD, "\"%s\" must be an array", key);
	if (json_array_size(v) == 0)
		return pj_fail(c, SPOD_E_BAD_FIELD,
		               "\"%s\" must not be empty (leave it out to match any)", key);
	if (json_array_size(v) > SPOD_POLICY_MAX_LIST)
		return pj_fail(c, SPOD_E_TOO_LARGE, "\"%s\" has more than %u entries", key,
		               SPOD_POLICY_MAX_LIST);
	return SPOD_OK;
}

/* A list of addresses (or selectors when sel) into the views pool. */
int pj_get_views(struct conv *c, const char *key, json_t *v, unsigned chain, size_t want, int sel,
                 struct spod_policy_list *l)
{
	struct spod_policy *p = c->p;
	size_t i;
	json_t *e;

	SPOD_TRY(pj_get_array(c, key, v));
	if (json_array_size(v) > SPOD_POLICY_MAX_VIEWS - p->n_views)
		return pj_fail(c, SPOD_E_TOO_LARGE, "more than %u list entries in the policy",
		               SPOD_POLICY_MAX_VIEWS);
	l->off = (uint16_t)p->n_views;
	json_array_foreach(v, i, e)
	{
		struct spod_view *out = &p->views[p->n_views++];
		if (sel) {
			const char *s;
			size_t n;
			SPOD_TRY(pj_get_text(c, key, e, &s, &n));
			uint8_t *b = pj_arena_take(c, 4);
			if (n != 10 || s[0] != '0' || s[1] != 'x' || b == NULL ||
			    spod_hex_decode_exact(b, 4, s + 2, 8) != SPOD_OK)
				return pj_fail(c, SPOD_E_BAD_FIELD,
				               "\"%s\": %.80s is not 0x and 8 hex digits", key, s);
			out->ptr = b;
			out->len = 4;
		} else {
			SPOD_TRY(pj_get_addr(c, key, e, chain, want, out));
		}
	}
	l->n = (uint16_t)json_array_size(v);
	return SPOD_OK;
}

/* Checks obj's keys against the NULL-terminated names. */
int pj_known_keys(struct conv *c, const char *what, json_t *obj, const char *const *names)
{
	const char *k;
	json_t *v;
	json_object_foreach(obj, k, v)
	{
		size_t i = 0;
		while (names[i] && strcmp(names[i], k) != 0)
			i++;
		if (names[i] == NULL)
			return pj_fail(c, SPOD_E_BAD_FIELD, "unknown key \"%.64s\"%s", k, what);
	}
	return SPOD_OK;
}
