/*
 * The body of POST /v1/keys/{id}/sign-authorization (json_req.h): an EIP-7702 authorization
 * turned into the tuple the CLI's spod sign-authorization signs (convert/eth_auth.h).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "convert/eth_auth.h"
#include "host/http/json_req.h"
#include "host/http/json_req_int.h"
#include "spod/err.h"

/* Digits of 2^63 - 1, the largest value a JSON integer holds here. */
#define U63_DIGITS 19u

/*
 * A JSON integer 0..2^63-1, or a string of its decimal digits without sign or leading zeros:
 * a string keeps a large nonce exact for clients whose numbers are doubles.
 */
static int parse_uint(uint64_t *out, const json_t *v, const char *field, struct spod_http_perr *err)
{
	const char *s;
	size_t len;
	uint64_t n = 0;

	*out = 0;
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = (uint64_t)json_integer_value(v);
		return SPOD_OK;
	}
	if (!json_is_string(v))
		goto bad;
	s = json_string_value(v);
	len = json_string_length(v);
	if (len == 0 || len > U63_DIGITS || (s[0] == '0' && len > 1))
		goto bad;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (d > 9 || n > ((uint64_t)INT64_MAX - d) / 10)
			goto bad;
		n = n * 10 + d;
	}
	*out = n;
	return SPOD_OK;
bad:
	return spod_http_refuse(err, SPOD_E_BAD_ARG,
	                        "%s: must be an integer 0..%lld, or its decimal digits as a string",
	                        field, (long long)INT64_MAX);
}

/* The three fields' values into out (all but the tuple); NULL: the field is missing. */
static int parse_fields(struct spod_http_sign_auth *out, const json_t *chain_id,
                        const json_t *address, const json_t *nonce, struct spod_http_perr *err)
{
	if (chain_id == NULL || address == NULL || nonce == NULL)
		return spod_http_refuse(err, SPOD_E_BAD_ARG, "%s: missing",
		                        chain_id == NULL  ? "chain_id"
		                        : address == NULL ? "address"
		                                          : "nonce");
	SPOD_TRY(parse_uint(&out->chain_id, chain_id, "chain_id", err));
	SPOD_TRY(parse_uint(&out->nonce, nonce, "nonce", err));
	if (!json_is_string(address) ||
	    spod_eth_addr_parse(out->address, json_string_value(address),
	                        json_string_length(address)) < 0)
		return spod_http_refuse(err, SPOD_E_BAD_ARG,
		                        "address: must be 0x and 40 hex digits (EIP-55 checksum "
		                        "if mixed case)");
	memcpy(out->address_text, json_string_value(address), SPOD_ETH_ADDR_TEXT_LEN);
	out->address_text[SPOD_ETH_ADDR_TEXT_LEN] = '\0';
	return SPOD_OK;
}

int spod_http_json_sign_auth(struct spod_http_sign_auth *out, struct spod_http_perr *err,
                             const char *body, size_t len)
{
	const json_t *chain_id = NULL, *address = NULL, *nonce = NULL;
	const struct spod_http_place at = {"", "body"};
	const struct spod_http_field fields[] = {
	    {"chain_id", &chain_id}, {"address", &address}, {"nonce", &nonce}};
	json_t *root;
	int rc;

	memset(out, 0, offsetof(struct spod_http_sign_auth, tx));
	out->tx.chain = SPOD_TX_CHAIN_ETHEREUM;
	out->tx.form = SPOD_TX_FORM_AUTHORIZATION;
	out->tx.tx_len = 0;
	SPOD_TRY(spod_http_json_load(&root, err, body, len));
	rc = spod_http_json_take(root, fields, 3, &at, err);
	if (rc == SPOD_OK)
		rc = parse_fields(out, chain_id, address, nonce, err);
	/* The tuple is at most SPOD_ETH_AUTH_RLP_MAX_BYTES: it always fits. */
	if (rc == SPOD_OK && spod_eth_auth_rlp(out->tx.tx, sizeof(out->tx.tx), &out->tx.tx_len,
	                                       out->chain_id, out->address, out->nonce) < 0)
		rc = spod_http_refuse(err, SPOD_E_INTERNAL, "the authorization does not encode");
	json_decref(root);
	if (rc < 0) {
		memset(out, 0, offsetof(struct spod_http_sign_auth, tx));
		out->tx.tx_len = 0;
	}
	return rc;
}
