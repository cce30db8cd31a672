/*
 * eth_signTypedData_v4 JSON → the deterministic CBOR form of txn/eip712.h. Values are written
 * as the walk of the JSON meets them, by their declared types; spod_txn_eip712_decode then
 * checks the result, so what leaves here is always what the enclave accepts.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "attest/cbor.h"
#include "common/hex.h"
#include "convert/eip55.h"
#include "convert/typed_data_json.h"
#include "txn/eip712.h"

#define PATH_BYTES 192u

struct conv {
	struct spod_cbor_writer w;
	json_t *types; /* name → [{name, type}, ...], EIP712Domain included */
	char path[PATH_BYTES];
	size_t path_len;
	char *err;
	size_t err_cap;
};

__attribute__((format(printf, 3, 4))) static int fail(struct conv *c, int rc, const char *fmt, ...)
{
	char msg[SPOD_TYPED_DATA_JSON_ERR_BYTES];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->err_cap == 0)
		return rc;
	if (c->path_len)
		snprintf(c->err, c->err_cap, "%s: %s", c->path, msg);
	else
		snprintf(c->err, c->err_cap, "%s", msg);
	return rc;
}

/* Appends ".key" (or "key" at the start) or "[i]" to the path; returns the length to restore. */
static size_t path_push(struct conv *c, const char *key, size_t index)
{
	size_t was = c->path_len;
	int n;
	if (key)
		n = snprintf(c->path + was, PATH_BYTES - was, "%s%.64s", was ? "." : "", key);
	else
		n = snprintf(c->path + was, PATH_BYTES - was, "[%zu]", index);
	if (n > 0)
		c->path_len = was + (size_t)n < PATH_BYTES ? was + (size_t)n : PATH_BYTES - 1;
	return was;
}

static void path_pop(struct conv *c, size_t was)
{
	c->path_len = was;
	c->path[was] = '\0';
}

static int put(struct conv *c, int rc)
{
	if (rc == SPOD_E_TOO_LARGE)
		return fail(c, rc, "the CBOR form does not fit in %zu bytes", c->w.cap);
	return rc;
}

/* A 0x-prefixed hex string of bytes; want (SIZE_MAX any) its length. */
static int put_hex_bytes(struct conv *c, json_t *v, size_t want, const char *what)
{
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	if (!s || n < 2 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return fail(c, SPOD_E_BAD_FIELD, "not %s (0x-prefixed hex)", what);
	n -= 2;
	if (n % 2 != 0)
		return fail(c, SPOD_E_BAD_FIELD, "not %s (odd number of hex digits)", what);
	if (want != SIZE_MAX && n / 2 != want)
		return fail(c, SPOD_E_BAD_FIELD, "not %s (%zu bytes, not %zu)", what, n / 2, want);
	uint8_t *b = malloc(n / 2 + 1);
	if (!b)
		return fail(c, SPOD_E_NOMEM, "out of memory");
	int rc = spod_hex_decode_exact(b, n / 2, s + 2, n);
	if (rc != SPOD_OK) {
		free(b);
		return fail(c, SPOD_E_BAD_FIELD, "not %s (not hex)", what);
	}
	rc = put(c, spod_cbor_put_str(&c->w, SPOD_CBOR_MT_BSTR, b, n / 2));
	free(b);
	return rc;
}

static int put_address(struct conv *c, json_t *v)
{
	const char *s = json_string_value(v);
	if (!s || json_string_length(v) != 42 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return fail(c, SPOD_E_BAD_FIELD, "not an address");
	for (size_t i = 2; i < 42; i++)
		if (!isxdigit((unsigned char)s[i]))
			return fail(c, SPOD_E_BAD_FIELD, "not an address");
	if (!spod_eip55_ok(s + 2))
		return fail(c, SPOD_E_BAD_FIELD, "address has a wrong EIP-55 checksum");
	return put_hex_bytes(c, v, 20, "an address");
}

/* mag = mag * base + digit over 32 big-endian bytes; returns -1 past 2^256 - 1. */
static int mag_muladd(uint8_t mag[32], unsigned base, unsigned digit)
{
	unsigned carry = digit;
	for (int i = 31; i >= 0; i--) {
		unsigned x = mag[i] * base + carry;
		mag[i] = (uint8_t)x;
		carry = x >> 8;
	}
	return carry ? -1 : 0;
}

static unsigned mag_bits(const uint8_t mag[32])
{
	for (unsigned i = 0; i < 32; i++) {
		if (mag[i]) {
			unsigned b = 8;
			while (!(mag[i] & (1u << (b - 1))))
				b--;
			return (31 - i) * 8 + b;
		}
	}
	return 0;
}

/* A JSON integer, decimal string or 0x-hex string (each maybe negative) as sign and magnitude. */
static int read_int(struct conv *c, json_t *v, uint8_t mag[32], int *neg)
{
	memset(mag, 0, 32);
	*neg = 0;
	if (json_is_integer(v)) {
		json_int_t x = json_integer_value(v);
		unsigned long long m = x < 0 ? 0ull - (unsigned long long)x : (unsigned long long)x;
		*neg = x < 0;
		for (int i = 31; i >= 24; i--, m >>= 8)
			mag[i] = (uint8_t)m;
		return SPOD_OK;
	}
	const char *s = json_string_value(v);
	if (!s)
		return fail(c, SPOD_E_BAD_FIELD, "not an integer (a JSON integer or string)");
	size_t n = json_string_length(v), i = 0;
	if (i < n && s[i] == '-') {
		*neg = 1;
		i++;
	}
	unsigned base = 10;
	if (n - i >= 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
		base = 16;
		i += 2;
	}
	if (i == n)
		return fail(c, SPOD_E_BAD_FIELD, "not an integer");
	for (; i < n; i++) {
		unsigned d;
		if (s[i] >= '0' && s[i] <= '9')
			d = (unsigned)(s[i] - '0');
		else if (base == 16 && isxdigit((unsigned char)s[i]))
			d = (unsigned)(tolower((unsigned char)s[i]) - 'a' + 10);
		else
			return fail(c, SPOD_E_BAD_FIELD, "not an integer");
		if (mag_muladd(mag, base, d) != 0)
			return fail(c, SPOD_E_TOO_LARGE, "integer above 2^256");
	}
	return SPOD_OK;
}

/* uintN / intN (bits) as the decoder wants them: minimal unsigned / two's complement bytes. */
static int put_int(struct conv *c, json_t *v, int is_signed, unsigned bits)
{
	uint8_t m[32];
	int neg;
	SPOD_TRY(read_int(c, v, m, &neg));
	unsigned nb = mag_bits(m);
	if (nb == 0)
		neg = 0;
	const char *t = is_signed ? "int" : "uint";
	if (!is_signed && neg)
		return fail(c, SPOD_E_TOO_LARGE, "negative value for uint%u", bits);
	/* int: -2^(bits-1) <= v <= 2^(bits-1) - 1; uint: v < 2^bits */
	int lowest = neg && nb == bits && mag_bits(m) == bits;
	if (lowest) {
		for (unsigned i = 0; i < 32; i++)
			if (m[i] != (i == 32 - bits / 8 ? 0x80 : 0))
				lowest = 0;
	}
	if (nb > (is_signed ? bits - 1 : bits) && !lowest)
		return fail(c, SPOD_E_TOO_LARGE, "out of range for %s%u", t, bits);
	if (neg) { /* two's complement over 256 bits */
		unsigned carry = 1;
		for (int i = 31; i >= 0; i--) {
			unsigned x = (uint8_t)~m[i] + carry;
			m[i] = (uint8_t)x;
			carry = x >> 8;
		}
	}
	size_t i = 0;
	if (is_signed) {
		/* drop a leading byte that only repeats the sign of the next one */
		while (i < 31 && ((m[i] == 0x00 && !(m[i + 1] & 0x80)) ||
		                  (m[i] == 0xff && (m[i + 1] & 0x80))))
			i++;
		if (i == 31 && m[31] == 0)
			i = 32; /* zero is the empty string */
	} else {
		while (i < 32 && m[i] == 0)
			i++;
	}
	return put(c, spod_cbor_put_str(&c->w, SPOD_CBOR_MT_BSTR, m + i, 32 - i));
}

static int put_value(struct conv *c, json_t *v, const char *type, size_t tlen, unsigned depth);

/* A struct value: a JSON object with exactly the members of the type, written in order. */
static int put_struct(struct conv *c, json_t *v, const char *name, size_t nlen, unsigned depth)
{
	json_t *members = json_object_getn(c->types, name, nlen);
	if (!json_is_array(members))
		return fail(c, SPOD_E_BAD_FIELD, "unknown type %.*s", (int)(nlen > 64 ? 64 : nlen),
		            name);
	if (!json_is_object(v))
		return fail(c, SPOD_E_BAD_FIELD, "not an object (a %.*s)",
		            (int)(nlen > 64 ? 64 : nlen), name);
	if (depth > SPOD_EIP712_MAX_DEPTH)
		return fail(c, SPOD_E_TOO_LARGE, "nested deeper than %u", SPOD_EIP712_MAX_DEPTH);
	const char *key;
	json_t *val;
	json_object_foreach(v, key, val)
	{
		size_t i;
		json_t *m;
		int found = 0;
		json_array_foreach(members, i, m)
		{
			const char *mn = json_string_value(json_object_get(m, "name"));
			found |= mn && strcmp(mn, key) == 0;
		}
		if (!found) {
			path_push(c, key, 0);
			return fail(c, SPOD_E_BAD_FIELD, "not a member of %.*s",
			            (int)(nlen > 64 ? 64 : nlen), name);
		}
	}
	SPOD_TRY(put(c, spod_cbor_put_head(&c->w, SPOD_CBOR_MT_ARRAY, json_array_size(members))));
	size_t i;
	json_t *m;
	json_array_foreach(members, i, m)
	{
		const char *mn = json_string_value(json_object_get(m, "name"));
		json_t *mt = json_object_get(m, "type");
		size_t was = path_push(c, mn, 0);
		json_t *mv = json_object_get(v, mn);
		if (!mv)
			return fail(c, SPOD_E_BAD_FIELD, "missing");
		SPOD_TRY(
		    put_value(c, mv, json_string_value(mt), json_string_length(mt), depth + 1));
		path_pop(c, was);
	}
	return SPOD_OK;
}

static int type_is(const char *t, size_t n, const char *s)
{
	return strlen(s) == n && memcmp(t, s, n) == 0;
}

/* A decimal number of the type text t[0..n) in [lo, hi], or -1. */
static long type_num(const char *t, size_t n, long lo, long hi)
{
	long v = 0;
	if (n == 0 || n > 4)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)t[i]))
			return -1;
		v = v * 10 + (t[i] - '0');
	}
	return v >= lo && v <= hi ? v : -1;
}

static int put_value(struct conv *c, json_t *v, const char *type, size_t tlen, unsigned depth)
{
	if (tlen > 0 && type[tlen - 1] == ']') {
		size_t open = tlen - 1;
		while (open > 0 && type[open - 1] != '[')
			open--;
		if (open == 0)
			return fail(c, SPOD_E_BAD_FIELD, "bad type %.64s", type);
		open--;
		long want = -1;
		if (tlen - open > 2) {
			want = type_num(type + open + 1, tlen - open - 2, 0,
			                SPOD_EIP712_MAX_ARRAY_LENGTH);
			if (want < 0)
				return fail(c, SPOD_E_BAD_FIELD, "bad array length in %.64s", type);
		}
		if (!json_is_array(v))
			return fail(c, SPOD_E_BAD_FIELD, "not an array");
		if (want >= 0 && json_array_size(v) != (size_t)want)
			return fail(c, SPOD_E_BAD_FIELD, "%zu elements, not %ld",
			            json_array_size(v), want);
		if (depth > SPOD_EIP712_MAX_DEPTH)
			return fail(c, SPOD_E_TOO_LARGE, "nested deeper than %u",
			            SPOD_EIP712_MAX_DEPTH);
		SPOD_TRY(put(c, spod_cbor_put_head(&c->w, SPOD_CBOR_MT_ARRAY, json_array_size(v))));
		size_t i;
		json_t *e;
		json_array_foreach(v, i, e)
		{
			size_t was = path_push(c, NULL, i);
			SPOD_TRY(put_value(c, e, type, open, depth + 1));
			path_pop(c, was);
		}
		return SPOD_OK;
	}
	long w;
	if (type_is(type, tlen, "bool")) {
		if (!json_is_boolean(v))
			return fail(c, SPOD_E_BAD_FIELD, "not a boolean");
		uint8_t b = json_is_true(v) ? 0xf5 : 0xf4;
		return put(c, spod_cbor_put_raw(&c->w, &b, 1));
	}
	if (type_is(type, tlen, "string")) {
		if (!json_is_string(v))
			return fail(c, SPOD_E_BAD_FIELD, "not a string");
		return put(c, spod_cbor_put_str(&c->w, SPOD_CBOR_MT_TSTR, json_string_value(v),
		                                json_string_length(v)));
	}
	if (type_is(type, tlen, "address"))
		return put_address(c, v);
	if (type_is(type, tlen, "bytes"))
		return put_hex_bytes(c, v, SIZE_MAX, "bytes");
	if (tlen > 5 && memcmp(type, "bytes", 5) == 0 &&
	    (w = type_num(type + 5, tlen - 5, 1, 32)) > 0)
		return put_hex_bytes(c, v, (size_t)w, "bytesN");
	if (tlen > 4 && memcmp(type, "uint", 4) == 0 &&
	    (w = type_num(type + 4, tlen - 4, 8, 256)) > 0 && w % 8 == 0)
		return put_int(c, v, 0, (unsigned)w);
	if (tlen > 3 && memcmp(type, "int", 3) == 0 &&
	    (w = type_num(type + 3, tlen - 3, 8, 256)) > 0 && w % 8 == 0)
		return put_int(c, v, 1, (unsigned)w);
	return put_struct(c, v, type, tlen, depth);
}

static const char *const domain_fields[][2] = {
    {"name", "string"},     {"version", "string"},
    {"chainId", "uint256"}, {"verifyingContract", "address"},
    {"salt", "bytes32"},
};

/* EIP712Domain from the domain's own fields, when types leaves it out. */
static int derive_domain(struct conv *c, json_t *domain)
{
	const char *key;
	json_t *val;
	json_object_foreach(domain, key, val)
	{
		size_t f = 0;
		while (f < 5 && strcmp(key, domain_fields[f][0]) != 0)
			f++;
		if (f == 5) {
			path_push(c, key, 0);
			return fail(c, SPOD_E_BAD_FIELD, "not an EIP712Domain field");
		}
	}
	json_t *arr = json_array();
	if (!arr)
		return fail(c, SPOD_E_NOMEM, "out of memory");
	for (size_t f = 0; f < 5; f++) {
		if (!json_object_get(domain, domain_fields[f][0]))
			continue;
		json_t *m = json_pack("{s:s,s:s}", "name", domain_fields[f][0], "type",
		                      domain_fields[f][1]);
		if (!m || json_array_append_new(arr, m) != 0) {
			json_decref(arr);
			return fail(c, SPOD_E_NOMEM, "out of memory");
		}
	}
	if (json_object_set_new(c->types, "EIP712Domain", arr) != 0)
		return fail(c, SPOD_E_NOMEM, "out of memory");
	return SPOD_OK;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Checks the shape of types and writes key 1: the types sorted by name. */
static int put_types(struct conv *c)
{
	const char *names[SPOD_EIP712_MAX_TYPES];
	size_t n = 0;
	const char *key;
	json_t *val;

	json_object_foreach(c->types, key, val)
	{
		size_t was = path_push(c, key, 0), i;
		json_t *m;
		if (n == SPOD_EIP712_MAX_TYPES)
			return fail(c, SPOD_E_TOO_LARGE, "more than %u types",
			            SPOD_EIP712_MAX_TYPES);
		if (!json_is_array(val))
			return fail(c, SPOD_E_BAD_FIELD, "not an array of members");
		json_array_foreach(val, i, m)
		{
			size_t w2 = path_push(c, NULL, i);
			if (!json_is_object(m) || json_object_size(m) != 2 ||
			    !json_is_string(json_object_get(m, "name")) ||
			    !json_is_string(json_object_get(m, "type")))
				return fail(c, SPOD_E_BAD_FIELD,
				            "not {\"name\": ..., \"type\": ...}");
			path_pop(c, w2);
		}
		path_pop(c, was);
		names[n++] = key;
	}
	qsort(names, n, sizeof(names[0]), cmp_names);
	SPOD_TRY(put(c, spod_cbor_put_head(&c->w, SPOD_CBOR_MT_ARRAY, n)));
	for (size_t t = 0; t < n; t++) {
		json_t *members = json_object_get(c->types, names[t]);
		size_t i;
		json_t *m;
		SPOD_TRY(put(c, spod_cbor_put_head(&c->w, SPOD_CBOR_MT_ARRAY, 2)));
		SPOD_TRY(put(
		    c, spod_cbor_put_str(&c->w, SPOD_CBOR_MT_TSTR, names[t], strlen(names[t]))));
		SPOD_TRY(put(
		    c, spod_cbor_put_head(&c->w, SPOD_CBOR_MT_ARRAY, json_array_size(members))));
		json_array_foreach(members, i, m)
		{
			json_t *mn = json_object_get(m, "name"), *mt = json_object_get(m, "type");
			SPOD_TRY(put(c, spod_cbor_put_head(&c->w, SPOD_CBOR_MT_ARRAY, 2)));
			SPOD_TRY(put(c, spod_cbor_put_str(&c->w, SPOD_CBOR_MT_TSTR,
			                                  json_string_value(mn),
			                                  json_string_length(mn))));
			SPOD_TRY(put(c, spod_cbor_put_str(&c->w, SPOD_CBOR_MT_TSTR,
			                                  json_string_value(mt),
			                                  json_string_length(mt))));
		}
	}
	return SPOD_OK;
}

static int convert(struct conv *c, json_t *root)
{
	const char *key;
	json_t *val;

	if (!json_is_object(root))
		return fail(c, SPOD_E_BAD_FIELD, "typed data must be a JSON object");
	json_object_foreach(root, key, val)
	{
		if (strcmp(key, "types") != 0 && strcmp(key, "primaryType") != 0 &&
		    strcmp(key, "domain") != 0 && strcmp(key, "message") != 0)
			return fail(c, SPOD_E_BAD_FIELD, "unknown key \"%.64s\"", key);
	}
	json_t *types = json_object_get(root, "types"),
	       *primary = json_object_get(root, "primaryType");
	json_t *domain = json_object_get(root, "domain"),
	       *message = json_object_get(root, "message");
	if (!json_is_object(types))
		return fail(c, SPOD_E_BAD_FIELD, "types: missing or not an object");
	if (!json_is_string(primary))
		return fail(c, SPOD_E_BAD_FIELD, "primaryType: missing or not a string");
	if (!json_is_object(domain))
		return fail(c, SPOD_E_BAD_FIELD, "domain: missing or not an object");
	if (!json_is_object(message))
		return fail(c, SPOD_E_BAD_FIELD, "message: missing or not an object");
	c->types = types;
	if (!json_object_get(types, "EIP712Domain")) {
		size_t was = path_push(c, "domain", 0);
		SPOD_TRY(derive_domain(c, domain));
		path_pop(c, was);
	}
	if (strcmp(json_string_value(primary), "EIP712Domain") == 0 ||
	    !json_object_get(types, json_string_value(primary)))
		return fail(c, SPOD_E_BAD_FIELD, "primaryType: %.64s is not a type of types",
		            json_string_value(primary));

	SPOD_TRY(put(c, spod_cbor_put_head(&c->w, SPOD_CBOR_MT_MAP, 4)));
	SPOD_TRY(put(c, spod_cbor_put_head(&c->w, SPOD_CBOR_MT_UINT, SPOD_EIP712_K_TYPES)));
	size_t was = path_push(c, "types", 0);
	SPOD_TRY(put_types(c));
	path_pop(c, was);
	SPOD_TRY(put(c, spod_cbor_put_head(&c->w, SPOD_CBOR_MT_UINT, SPOD_EIP712_K_PRIMARY_TYPE)));
	SPOD_TRY(put(c, spod_cbor_put_str(&c->w, SPOD_CBOR_MT_TSTR, json_string_value(primary),
	                                  json_string_length(primary))));
	SPOD_TRY(put(c, spod_cbor_put_head(&c->w, SPOD_CBOR_MT_UINT, SPOD_EIP712_K_DOMAIN)));
	was = path_push(c, "domain", 0);
	SPOD_TRY(put_struct(c, domain, "EIP712Domain", 12, 0));
	path_pop(c, was);
	SPOD_TRY(put(c, spod_cbor_put_head(&c->w, SPOD_CBOR_MT_UINT, SPOD_EIP712_K_MESSAGE)));
	was = path_push(c, "message", 0);
	SPOD_TRY(
	    put_struct(c, message, json_string_value(primary), json_string_length(primary), 0));
	path_pop(c, was);
	return SPOD_OK;
}

int spod_typed_data_from_json(uint8_t *out, size_t cap, size_t *out_len, const char *json,
                              size_t len, char *err, size_t err_cap)
{
	struct conv c;
	json_error_t jerr;
	int rc;

	*out_len = 0;
	if (err_cap)
		err[0] = '\0';
	memset(&c, 0, sizeof(c));
	spod_cbor_writer_init(&c.w, out, out ? cap : 0);
	c.err = err;
	c.err_cap = err_cap;
	json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return fail(&c, SPOD_E_BAD_FIELD, "not JSON: %s (line %d)", jerr.text, jerr.line);
	rc = convert(&c, root);
	json_decref(root);
	if (rc != SPOD_OK)
		return rc;
	struct spod_tx_summary s;
	rc = spod_txn_eip712_decode(out, c.w.len, &s);
	if (rc != SPOD_OK) {
		c.path_len = 0;
		return fail(&c, rc, "refused by the EIP-712 decoder: %s", spod_strerror(rc));
	}
	*out_len = c.w.len;
	return SPOD_OK;
}
