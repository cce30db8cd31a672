/* The key-policy routes' bodies and answers (policy_http.h). */
#include "host/http/policy_http.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "convert/policy_json.h"
#include "crypto/hash.h"
#include "spod/err.h"

static int parse_approvals(struct spod_http_policy_set *out, const json_t *v,
                           struct spod_http_perr *err)
{
	size_t i;
	json_t *a;

	if (!json_is_array(v))
		return spod_http_refuse(err, SPOD_E_BAD_ARG, "approvals: must be an array");
	if (json_array_size(v) > SPOD_POLICY_ADMINS_MAX)
		return spod_http_refuse(err, SPOD_E_BAD_ARG, "approvals: at most %u",
		                        SPOD_POLICY_ADMINS_MAX);
	json_array_foreach(v, i, a)
	{
		uint8_t *dst = out->approvals + i * SPOD_APPROVAL_BYTES;
		size_t n;

		if (!json_is_string(a) || json_string_length(a) != SPOD_HTTP_APPROVAL_HEX ||
		    spod_hex_decode(dst, SPOD_APPROVAL_BYTES, &n, json_string_value(a)) < 0 ||
		    n != SPOD_APPROVAL_BYTES)
			return spod_http_refuse(
			    err, SPOD_E_BAD_ARG,
			    "approvals[%zu]: must be %u hex digits (an approval from "
			    "`spod policy approve`)",
			    i, SPOD_HTTP_APPROVAL_HEX);
	}
	out->n_approvals = json_array_size(v);
	return SPOD_OK;
}

/* The policy object, serialised and converted to CBOR by src/convert. */
static int parse_policy(struct spod_http_policy_set *out, const json_t *v,
                        struct spod_http_perr *err)
{
	char why[SPOD_POLICY_JSON_ERR_BYTES];
	char *text;
	int rc;

	if (!json_is_object(v))
		return spod_http_refuse(err, SPOD_E_BAD_ARG,
		                        "policy: must be an object (docs/policy.md)");
	text = json_dumps(v, JSON_COMPACT);
	if (text == NULL)
		return spod_http_refuse(err, SPOD_E_NOMEM, "out of memory");
	why[0] = '\0';
	rc = spod_policy_from_json(out->policy, sizeof(out->policy), &out->policy_len, text,
	                           strlen(text), why, sizeof(why));
	free(text);
	if (rc == SPOD_E_NOMEM)
		return spod_http_refuse(err, rc, "out of memory");
	if (rc < 0) {
		spod_http_refuse(err, SPOD_E_BAD_ARG, "policy: %s",
		                 why[0] ? why : spod_strerror(rc));
		return rc == SPOD_E_TOO_LARGE ? rc : SPOD_E_BAD_ARG;
	}
	if (out->policy_len == 0)
		return spod_http_refuse(err, SPOD_E_BAD_ARG, "policy: empty");
	return SPOD_OK;
}

int spod_http_json_policy_set(struct spod_http_policy_set *out, struct spod_http_perr *err,
                              const char *body, size_t len, int remove)
{
	json_error_t je;
	const char *key;
	json_t *root, *v;
	int rc = SPOD_OK, have_policy = 0;

	out->policy_len = 0;
	out->n_approvals = 0;
	err->code = NULL;
	err->msg[0] = '\0';
	if (remove && len == 0)
		return SPOD_OK;
	root = json_loadb(len > 0 ? body : "", len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		if (json_error_code(&je) == json_error_out_of_memory)
			return spod_http_refuse(err, SPOD_E_NOMEM, "out of memory");
		spod_http_refuse(err, SPOD_E_BAD_ARG, "line %d, column %d: %s", je.line, je.column,
		                 je.text);
		err->code = "BAD_JSON";
		return SPOD_E_BAD_ARG;
	}
	if (!json_is_object(root)) {
		rc = spod_http_refuse(err, SPOD_E_BAD_ARG, "body: must be a JSON object");
		goto out;
	}
	json_object_foreach(root, key, v)
	{
		if (strcmp(key, "approvals") == 0)
			rc = parse_approvals(out, v, err);
		else if (strcmp(key, "policy") == 0 && !remove) {
			have_policy = 1;
			rc = parse_policy(out, v, err);
		} else
			rc = spod_http_refuse(err, SPOD_E_BAD_ARG, "%s: unknown field", key);
		if (rc < 0)
			goto out;
	}
	if (!remove && !have_policy)
		rc = spod_http_refuse(
		    err, SPOD_E_BAD_ARG,
		    "policy: required (DELETE /v1/keys/{id}/policy removes a policy)");
out:
	json_decref(root);
	if (rc < 0) {
		out->policy_len = 0;
		out->n_approvals = 0;
	}
	return rc;
}

/* 32 bytes as hex, or null when all zero and zero_null is set. */
static json_t *hash_value(const uint8_t h[32], int zero_null)
{
	char hex[65];
	int zero = 1;

	for (size_t i = 0; i < 32; i++)
		zero &= h[i] == 0;
	if (zero && zero_null)
		return json_null();
	if (spod_hex_encode(hex, sizeof(hex), h, 32) < 0)
		return NULL;
	return json_string(hex);
}

json_t *spod_http_policy_object(const uint8_t key_id[SPOD_KEY_ID_BYTES],
                                const struct spod_policy_info *info, const uint8_t *policy)
{
	char id[2 * SPOD_KEY_ID_BYTES + 1], *text = NULL;
	json_t *pol, *hash, *admins;
	json_error_t je;

	spod_key_id_text(id, key_id);
	if (!info->has_policy)
		return json_pack("{s:s,s:n}", "key_id", id, "policy");
	if (policy == NULL || spod_policy_to_json(&text, policy, info->policy_len) < 0)
		return NULL;
	pol = json_loads(text, 0, &je);
	free(text);
	hash = hash_value(info->hash, 0);
	admins = hash_value(info->admin_hash, 1);
	if (pol == NULL || hash == NULL || admins == NULL) {
		json_decref(pol);
		json_decref(hash);
		json_decref(admins);
		return NULL;
	}
	return json_pack("{s:s,s:o,s:o,s:o}", "key_id", id, "policy", pol, "policy_hash", hash,
	                 "admin_set", admins);
}

json_t *spod_http_policy_set_object(const uint8_t key_id[SPOD_KEY_ID_BYTES],
                                    const struct spod_http_policy_set *in)
{
	char id[2 * SPOD_KEY_ID_BYTES + 1];
	uint8_t h[32];
	json_t *hash;

	spod_key_id_text(id, key_id);
	if (in->policy_len == 0)
		return json_pack("{s:s,s:n}", "key_id", id, "policy_hash");
	spod_sha256(h, in->policy, in->policy_len);
	hash = hash_value(h, 0);
	if (hash == NULL)
		return NULL;
	return json_pack("{s:s,s:o}", "key_id", id, "policy_hash", hash);
}

int spod_http_denial_parse(char *rule, size_t rule_cap, char *reason, size_t reason_cap,
                           const char *msg)
{
	static const char mark[] = "denied by rule \"";
	const char *p = strstr(msg, mark), *end;

	if (rule_cap > 0)
		rule[0] = '\0';
	if (reason_cap > 0)
		reason[0] = '\0';
	if (p == NULL)
		return SPOD_E_BAD_ARG;
	p += sizeof(mark) - 1;
	end = strstr(p, "\": ");
	if (end != NULL) {
		snprintf(rule, rule_cap, "%.*s", (int)(end - p), p);
		snprintf(reason, reason_cap, "%s", end + 3);
		return SPOD_OK;
	}
	/* A deny rule without a reason of its own: `denied by rule "ID"` ends the message. */
	end = p + strlen(p);
	if (end == p || end[-1] != '"' || end - 1 == p)
		return SPOD_E_BAD_ARG;
	snprintf(rule, rule_cap, "%.*s", (int)(end - 1 - p), p);
	snprintf(reason, reason_cap, "denied by rule %.*s", (int)(end - 1 - p), p);
	return SPOD_OK;
}
