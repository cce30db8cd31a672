/* A JSON-RPC transaction object to its unsigned RLP serialization (eth_tx_json.h). */
#include "host/http/eth_tx_json.h"

#include <stdio.h>
#include <string.h>

#include "common/hex.h"
#include "convert/eth_auth.h"
#include "spod/err.h"
#include "txn/rlp.h"

#define LIST_RESERVE 9u /* the longest list header: 0xf7 + 8 length bytes */
#define U256_BYTES   32u
#define ETH_V_BASE   27u /* v of a signature without EIP-155 */

/* Fields a transaction object may carry; anything else is refused (a typo is not ignored). */
static const char *const known_fields[] = {
    "from",
    "to",
    "gas",
    "gasLimit",
    "gasPrice",
    "maxFeePerGas",
    "value",
    "data",
    "input",
    "nonce",
    "chainId",
    "maxPriorityFeePerGas",
    "type",
    "accessList",
    "maxFeePerBlobGas",
    "blobVersionedHashes",
    "authorizationList",
};

static int bad(char *err, const char *field, const char *why)
{
	snprintf(err, SPOD_ETH_TX_ERR_BYTES, "%s: %s", field, why);
	return SPOD_E_BAD_ARG;
}

int spod_eth_tx_quantity(uint8_t be[U256_BYTES], const json_t *v)
{
	memset(be, 0, U256_BYTES);
	if (json_is_integer(v)) {
		json_int_t n = json_integer_value(v);

		if (n < 0)
			return SPOD_E_BAD_ARG;
		for (unsigned i = 0; i < 8; i++)
			be[U256_BYTES - 1 - i] = (uint8_t)((uint64_t)n >> (8 * i));
		return SPOD_OK;
	}
	if (!json_is_string(v))
		return SPOD_E_BAD_ARG;
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);

	if (len < 3 || len > 2 + 2 * U256_BYTES || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return SPOD_E_BAD_ARG;
	for (size_t i = len; i > 2; i--) {
		size_t digit = len - i; /* 0 = least significant */
		char c = s[i - 1];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return SPOD_E_BAD_ARG;
		be[U256_BYTES - 1 - digit / 2] |= (uint8_t)(d << (4 * (digit % 2)));
	}
	return SPOD_OK;
}

int spod_eth_tx_address(uint8_t addr[20], const json_t *v)
{
	if (!json_is_string(v))
		return SPOD_E_BAD_ARG;
	return spod_eth_addr_parse(addr, json_string_value(v), json_string_length(v)) < 0
	           ? SPOD_E_BAD_ARG
	           : SPOD_OK;
}

/* Opens a list: room for its longest header, filled in by list_end. */
static int list_begin(struct spod_rlp_w *w, size_t *mark)
{
	if (w->cap - w->len < LIST_RESERVE)
		return SPOD_E_TOO_LARGE;
	*mark = w->len;
	w->len += LIST_RESERVE;
	return SPOD_OK;
}

/* Closes the list opened at mark: writes its header and moves the payload up to it. */
static int list_end(struct spod_rlp_w *w, size_t mark)
{
	size_t payload = w->len - mark - LIST_RESERVE;
	struct spod_rlp_w h = {w->p + mark, LIST_RESERVE, 0};

	if (spod_rlp_put_header(&h, 1, payload) < 0)
		return SPOD_E_TOO_LARGE;
	memmove(w->p + mark + h.len, w->p + mark + LIST_RESERVE, payload);
	w->len = mark + h.len + payload;
	return SPOD_OK;
}

/* A required or optional (absent: zero) quantity field. */
static int put_qty(struct spod_rlp_w *w, const json_t *obj, const char *field, int required,
                   char *err)
{
	const json_t *v = json_object_get(obj, field);
	uint8_t be[U256_BYTES];

	if (v == NULL && required)
		return bad(err, field,
		           "required (spod fills nothing in without a downstream node)");
	if (v != NULL && spod_eth_tx_quantity(be, v) < 0)
		return bad(err, field, "not a quantity (0x hex of at most 256 bits)");
	if (v == NULL)
		memset(be, 0, sizeof(be));
	return spod_rlp_put_uint_be(w, be, sizeof(be)) < 0 ? SPOD_E_TOO_LARGE : SPOD_OK;
}

/* "0x" hex of even length, written as an RLP string without a copy. */
static int put_hex(struct spod_rlp_w *w, const json_t *v, const char *field, char *err)
{
	const char *s = json_string_value(v);
	size_t len = json_string_length(v), n;
	uint8_t one;

	if (!json_is_string(v) || len < 2 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') ||
	    len % 2 != 0)
		return bad(err, field, "not 0x hex bytes");
	n = (len - 2) / 2;
	if (n == 1) {
		if (spod_hex_decode_exact(&one, 1, s + 2, 2) < 0)
			return bad(err, field, "not 0x hex bytes");
		return spod_rlp_put_string(w, &one, 1) < 0 ? SPOD_E_TOO_LARGE : SPOD_OK;
	}
	if (spod_rlp_put_header(w, 0, n) < 0 || w->cap - w->len < n)
		return SPOD_E_TOO_LARGE;
	if (spod_hex_decode_exact(w->p + w->len, n, s + 2, len - 2) < 0)
		return bad(err, field, "not 0x hex bytes");
	w->len += n;
	return SPOD_OK;
}

/* "to": an address, or absent / null for a contract creation (the empty string). */
static int put_to(struct spod_rlp_w *w, const json_t *obj, unsigned type, char *err)
{
	const json_t *v = json_object_get(obj, "to");
	uint8_t addr[20];

	if (v == NULL || json_is_null(v)) {
		if (type >= 3)
			return bad(err, "to", "required for a blob or set-code transaction");
		return spod_rlp_put_string(w, NULL, 0) < 0 ? SPOD_E_TOO_LARGE : SPOD_OK;
	}
	if (spod_eth_tx_address(addr, v) < 0)
		return bad(err, "to",
		           "not an address (0x and 40 hex digits, EIP-55 if mixed case)");
	return spod_rlp_put_string(w, addr, sizeof(addr)) < 0 ? SPOD_E_TOO_LARGE : SPOD_OK;
}

/* "data" or "input" (both: they must agree); absent: empty. */
static int put_data(struct spod_rlp_w *w, const json_t *obj, char *err)
{
	const json_t *d = json_object_get(obj, "data"), *in = json_object_get(obj, "input");

	if (d != NULL && json_is_null(d))
		d = NULL;
	if (in != NULL && json_is_null(in))
		in = NULL;
	if (d != NULL && in != NULL && !json_equal(d, in))
		return bad(err, "input", "differs from data");
	if (d == NULL)
		d = in;
	if (d == NULL)
		return spod_rlp_put_string(w, NULL, 0) < 0 ? SPOD_E_TOO_LARGE : SPOD_OK;
	return put_hex(w, d, json_object_get(obj, "data") != NULL ? "data" : "input", err);
}

/* A list of 32-byte hashes: accessList's storageKeys, blobVersionedHashes. */
static int put_hashes(struct spod_rlp_w *w, const json_t *arr, const char *field, char *err)
{
	size_t mark, i;
	const json_t *h;
	int rc;

	if (!json_is_array(arr))
		return bad(err, field, "not an array");
	if ((rc = list_begin(w, &mark)) < 0)
		return rc;
	json_array_foreach(arr, i, h)
	{
		if (!json_is_string(h) || json_string_length(h) != 2 + 2 * U256_BYTES)
			return bad(err, field, "an item is not 0x and 64 hex digits");
		if ((rc = put_hex(w, h, field, err)) < 0)
			return rc;
	}
	return list_end(w, mark);
}

/* accessList: [{"address", "storageKeys"}] as [[address, [keys]]]. */
static int put_access_list(struct spod_rlp_w *w, const json_t *obj, char *err)
{
	const json_t *al = json_object_get(obj, "accessList"), *e;
	size_t mark, inner, i;
	uint8_t addr[20];
	int rc;

	if ((rc = list_begin(w, &mark)) < 0)
		return rc;
	if (al != NULL && !json_is_null(al) && !json_is_array(al))
		return bad(err, "accessList", "not an array");
	json_array_foreach(al, i, e)
	{
		const json_t *keys = json_object_get(e, "storageKeys");

		if (!json_is_object(e) || json_object_size(e) != 2 || keys == NULL ||
		    spod_eth_tx_address(addr, json_object_get(e, "address")) < 0)
			return bad(err, "accessList",
			           "an entry is not {\"address\", \"storageKeys\"}");
		if ((rc = list_begin(w, &inner)) < 0 ||
		    (rc = spod_rlp_put_string(w, addr, sizeof(addr))) < 0 ||
		    (rc = put_hashes(w, keys, "accessList.storageKeys", err)) < 0 ||
		    (rc = list_end(w, inner)) < 0)
			return rc == SPOD_E_BAD_ARG ? rc : SPOD_E_TOO_LARGE;
	}
	return list_end(w, mark);
}

/*
 * One EIP-7702 authorization {chainId, address, nonce, yParity (or v: 0, 1, 27 or 28), r, s}
 * as [chain_id, address, nonce, y_parity, r, s].
 */
static int put_auth(struct spod_rlp_w *w, const json_t *a, char *err)
{
	static const char *const fields[] = {"chainId", "address", "nonce", "yParity",
	                                     "v",       "r",       "s"};
	const json_t *y = json_object_get(a, "yParity"), *v = json_object_get(a, "v");
	uint8_t addr[20], be[U256_BYTES], vb[U256_BYTES];
	const char *key;
	json_t *x;
	size_t mark;
	int rc;

	if (!json_is_object(a))
		return bad(err, "authorizationList", "an entry is not an object");
	json_object_foreach((json_t *)a, key, x)
	{
		size_t i = 0;

		while (i < sizeof(fields) / sizeof(fields[0]) && strcmp(key, fields[i]) != 0)
			i++;
		if (i == sizeof(fields) / sizeof(fields[0]))
			return bad(err, "authorizationList", "an entry has an unknown field");
	}
	if (spod_eth_tx_address(addr, json_object_get(a, "address")) < 0)
		return bad(err, "authorizationList.address", "not an address");
	/* yParity, or v (27 and 28 meaning 0 and 1); both: they must agree. */
	if ((y == NULL && v == NULL) || (y != NULL && spod_eth_tx_quantity(be, y) < 0) ||
	    (v != NULL && spod_eth_tx_quantity(vb, v) < 0))
		return bad(err, "authorizationList.yParity", "required: 0x0 or 0x1");
	if (y == NULL)
		memcpy(be, vb, sizeof(be));
	if (memcmp(be, (uint8_t[U256_BYTES - 1]){0}, U256_BYTES - 1) != 0 ||
	    (be[31] > 1 && be[31] != ETH_V_BASE && be[31] != ETH_V_BASE + 1))
		return bad(err, "authorizationList.yParity", "not 0x0 or 0x1");
	be[31] = be[31] > 1 ? (uint8_t)(be[31] - ETH_V_BASE) : be[31];
	if (y != NULL && v != NULL &&
	    (memcmp(vb, (uint8_t[U256_BYTES - 1]){0}, U256_BYTES - 1) != 0 ||
	     (unsigned)(vb[31] > 1 ? vb[31] - ETH_V_BASE : vb[31]) != (unsigned)be[31]))
		return bad(err, "authorizationList.v", "differs from yParity");
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (fields[i][0] != 'v' && fields[i][0] != 'y' &&
		    json_object_get(a, fields[i]) == NULL)
			return bad(err, "authorizationList",
			           "an entry lacks chainId, nonce, r or s");
	if ((rc = list_begin(w, &mark)) < 0 || (rc = put_qty(w, a, "chainId", 1, err)) < 0 ||
	    (rc = spod_rlp_put_string(w, addr, sizeof(addr))) < 0 ||
	    (rc = put_qty(w, a, "nonce", 1, err)) < 0 ||
	    (rc = spod_rlp_put_uint_be(w, be, sizeof(be))) < 0 ||
	    (rc = put_qty(w, a, "r", 1, err)) < 0 || (rc = put_qty(w, a, "s", 1, err)) < 0)
		return rc == SPOD_E_BAD_ARG ? rc : SPOD_E_TOO_LARGE;
	return list_end(w, mark);
}

/* authorizationList: a non-empty array of authorizations (EIP-7702). */
static int put_auth_list(struct spod_rlp_w *w, const json_t *list, char *err)
{
	const json_t *a;
	size_t mark, i;
	int rc;

	if (!json_is_array(list) || json_array_size(list) == 0)
		return bad(err, "authorizationList",
		           "required for a set-code transaction: a non-empty array");
	if ((rc = list_begin(w, &mark)) < 0)
		return rc;
	json_array_foreach(list, i, a)
	{
		if ((rc = put_auth(w, a, err)) < 0)
			return rc;
	}
	return list_end(w, mark);
}

/* The type: given, or what the fee fields imply. */
static int tx_type(unsigned *type, const json_t *obj, char *err)
{
	const json_t *t = json_object_get(obj, "type");
	uint8_t be[U256_BYTES];

	if (t != NULL && !json_is_null(t)) {
		if (spod_eth_tx_quantity(be, t) < 0 ||
		    memcmp(be, (uint8_t[U256_BYTES - 1]){0}, 31) != 0 || be[31] > 4)
			return bad(err, "type", "not 0x0, 0x1, 0x2, 0x3 or 0x4");
		*type = be[31];
	} else if (json_object_get(obj, "authorizationList") != NULL) {
		*type = 4;
	} else if (json_object_get(obj, "maxFeePerGas") != NULL ||
	           json_object_get(obj, "maxPriorityFeePerGas") != NULL) {
		*type = 2;
	} else if (json_object_get(obj, "accessList") != NULL) {
		*type = 1;
	} else {
		*type = 0;
	}
	if (*type >= 2 && json_object_get(obj, "gasPrice") != NULL)
		return bad(err, "gasPrice", "not with maxFeePerGas (an EIP-1559 transaction)");
	if (*type < 2 && (json_object_get(obj, "maxFeePerGas") != NULL ||
	                  json_object_get(obj, "maxPriorityFeePerGas") != NULL))
		return bad(err, "maxFeePerGas", "only for types 2 and 3");
	if (*type != 3 && (json_object_get(obj, "maxFeePerBlobGas") != NULL ||
	                   json_object_get(obj, "blobVersionedHashes") != NULL))
		return bad(err, "blobVersionedHashes", "only for type 3");
	if (*type == 0 && json_object_get(obj, "accessList") != NULL)
		return bad(err, "accessList", "not in a legacy transaction");
	if (*type != 4 && json_object_get(obj, "authorizationList") != NULL)
		return bad(err, "authorizationList", "only for type 4");
	return SPOD_OK;
}

/* The fields after the type byte, in their type's order (EIP-155, 2930, 1559, 4844). */
static int put_fields(struct spod_rlp_w *w, const json_t *obj, unsigned type, char *err)
{
	const char *gas = json_object_get(obj, "gasLimit") != NULL ? "gasLimit" : "gas";
	int has_chain = json_object_get(obj, "chainId") != NULL;
	int rc = SPOD_OK;

	if (type > 0 && (rc = put_qty(w, obj, "chainId", 1, err)) < 0)
		return rc;
	if ((rc = put_qty(w, obj, "nonce", 1, err)) < 0)
		return rc;
	if (type < 2)
		rc = put_qty(w, obj, "gasPrice", 1, err);
	else if ((rc = put_qty(w, obj, "maxPriorityFeePerGas", 1, err)) == SPOD_OK)
		rc = put_qty(w, obj, "maxFeePerGas", 1, err);
	if (rc < 0 || (rc = put_qty(w, obj, gas, 1, err)) < 0 ||
	    (rc = put_to(w, obj, type, err)) < 0 || (rc = put_qty(w, obj, "value", 0, err)) < 0 ||
	    (rc = put_data(w, obj, err)) < 0)
		return rc;
	if (type == 0) {
		if (!has_chain)
			return SPOD_OK;
		if ((rc = put_qty(w, obj, "chainId", 1, err)) < 0)
			return rc;
		return spod_rlp_put_u64(w, 0) < 0 || spod_rlp_put_u64(w, 0) < 0 ? SPOD_E_TOO_LARGE
		                                                                : SPOD_OK;
	}
	if ((rc = put_access_list(w, obj, err)) < 0 || type < 3)
		return rc;
	if (type == 4)
		return put_auth_list(w, json_object_get(obj, "authorizationList"), err);
	if ((rc = put_qty(w, obj, "maxFeePerBlobGas", 1, err)) < 0)
		return rc;
	if (json_object_get(obj, "blobVersionedHashes") == NULL)
		return bad(err, "blobVersionedHashes", "required for a blob transaction");
	return put_hashes(w, json_object_get(obj, "blobVersionedHashes"), "blobVersionedHashes",
	                  err);
}

int spod_eth_tx_from_json(struct spod_eth_tx_out *out, uint8_t *buf, size_t cap, const json_t *obj,
                          char err[SPOD_ETH_TX_ERR_BYTES])
{
	struct spod_rlp_w w = {buf, cap, 0};
	const json_t *from;
	const char *key;
	json_t *v;
	size_t mark;
	int rc;

	memset(out, 0, sizeof(*out));
	err[0] = '\0';
	if (!json_is_object(obj))
		return bad(err, "transaction", "not an object");
	json_object_foreach((json_t *)obj, key, v)
	{
		size_t i;

		for (i = 0; i < sizeof(known_fields) / sizeof(known_fields[0]); i++)
			if (strcmp(key, known_fields[i]) == 0)
				break;
		if (i == sizeof(known_fields) / sizeof(known_fields[0]))
			return bad(err, "transaction", "unknown field");
	}
	if (json_object_get(obj, "gas") != NULL && json_object_get(obj, "gasLimit") != NULL)
		return bad(err, "gasLimit", "not with gas");
	from = json_object_get(obj, "from");
	if (from != NULL && !json_is_null(from)) {
		if (spod_eth_tx_address(out->from, from) < 0)
			return bad(err, "from", "not an address (0x and 40 hex digits)");
		out->has_from = 1;
	}
	if ((rc = tx_type(&out->type, obj, err)) < 0)
		return rc;
	if (out->type > 0) {
		uint8_t t = (uint8_t)out->type;

		if (spod_rlp_put_raw(&w, &t, 1) < 0)
			return SPOD_E_TOO_LARGE;
	}
	if ((rc = list_begin(&w, &mark)) < 0 || (rc = put_fields(&w, obj, out->type, err)) < 0 ||
	    (rc = list_end(&w, mark)) < 0) {
		if (rc == SPOD_E_TOO_LARGE && err[0] == '\0')
			bad(err, "transaction", "too large");
		return rc == SPOD_E_BAD_ARG ? rc : SPOD_E_TOO_LARGE;
	}
	out->len = w.len;
	return SPOD_OK;
}
