/*
 * Private to the policy JSON converter (policy_json.c, policy_json_fields.c): the conversion
 * state and the value readers. Every reader returns SPOD_OK or a SPOD_E_* code after writing
 * the message (with the rule's number and id) through pj_fail.
 */
#ifndef SPOD_CONVERT_POLICY_JSON_INT_H
#define SPOD_CONVERT_POLICY_JSON_INT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "convert/policy_json.h"
#include "policy/policy.h"

#define ARENA_BYTES                                                                                \
	(SPOD_POLICY_MAX_VIEWS * 32u + SPOD_POLICY_MAX_DOMAINS * 20u +                             \
	 SPOD_POLICY_MAX_TOKEN_LIMITS * 32u + SPOD_POLICY_MAX_RULES * 32u)

struct conv {
	struct spod_policy *p;
	uint8_t *arena;
	size_t arena_len;
	char *err;
	size_t err_cap;
	size_t rule_no; /* 1-based; 0 outside the rules */
	const char *rule_id;
};

__attribute__((format(printf, 3, 4))) int pj_fail(struct conv *c, int rc, const char *fmt, ...);
uint8_t *pj_arena_take(struct conv *c, size_t n);
int pj_get_text(struct conv *c, const char *key, json_t *v, const char **s, size_t *n);
int pj_get_addr(struct conv *c, const char *key, json_t *v, unsigned chain, size_t want,
                struct spod_view *out);
int pj_get_uint(struct conv *c, const char *key, json_t *v, uint64_t min, uint64_t max,
                uint64_t *out);
int pj_get_amount(struct conv *c, const char *key, json_t *v, struct spod_u256 *out);
int pj_get_array(struct conv *c, const char *key, json_t *v);
int pj_get_views(struct conv *c, const char *key, json_t *v, unsigned chain, size_t want, int sel,
                 struct spod_policy_list *l);
int pj_known_keys(struct conv *c, const char *what, json_t *obj, const char *const *names);

#endif
