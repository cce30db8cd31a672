/*
 * EIP-712 typed data in its deterministic CBOR form (txn/eip712.h): one pass validates the
 * types, computes every typeHash, then walks the domain and the message, hashing as it reads.
 * Nothing is copied or allocated: names and values are views into the input, and each struct
 * or array level being hashed keeps one Keccak context on the stack (the depth is capped).
 */
#include <string.h>

#include "attest/cbor.h"
#include "common/utf8.h"
#include "crypto/hash.h"
#include "txn/eip712.h"

enum base_kind { B_UINT = 1, B_INT, B_BOOL, B_ADDRESS, B_BYTESN, B_BYTES, B_STRING, B_STRUCT };

/* A member type without its array suffixes: n is the bit width of an integer, the byte
 * width of bytesN, the index of a struct type. */
struct base {
	enum base_kind kind;
	unsigned n;
};

struct e_type {
	struct spod_view name;
	size_t first; /* index of its first member in e_ctx.mname / mtype */
	size_t n_members;
	uint64_t direct; /* bit j: a member's base type is type j */
	uint64_t deps;   /* bit j: type j is reachable from this one */
	uint8_t hash[32];
};

struct e_ctx {
	size_t n_types;
	struct e_type types[SPOD_EIP712_MAX_TYPES];
	size_t n_all;
	struct spod_view mname[SPOD_EIP712_MAX_ALL_MEMBERS];
	struct spod_view mtype[SPOD_EIP712_MAX_ALL_MEMBERS];
	size_t nodes;
};

static int view_is(struct spod_view v, const char *s)
{
	size_t n = strlen(s);
	return v.len == n && memcmp(v.ptr, s, n) == 0;
}

/* [A-Za-z_$][A-Za-z0-9_$]*: what ethers and Solidity accept as names. */
static int is_ident(struct spod_view v)
{
	if (v.len == 0)
		return 0;
	for (size_t i = 0; i < v.len; i++) {
		uint8_t ch = v.ptr[i];
		int alpha =
		    (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' || ch == '$';
		if (!alpha && !(i > 0 && ch >= '0' && ch <= '9'))
			return 0;
	}
	return 1;
}

/* A decimal number without leading zeros in [1, max]. */
static int parse_dec(const uint8_t *p, size_t n, unsigned max, unsigned *out)
{
	unsigned v = 0;
	if (n == 0 || p[0] == '0')
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		v = v * 10u + (unsigned)(p[i] - '0');
		if (v > max)
			return 0;
	}
	*out = v;
	return 1;
}

static int has_prefix(struct spod_view v, const char *pre, size_t *rest)
{
	size_t n = strlen(pre);
	if (v.len < n || memcmp(v.ptr, pre, n) != 0)
		return 0;
	*rest = n;
	return 1;
}

/* The atomic and dynamic types of EIP-712; returns 1 and fills *b when t is one of them. */
static int parse_atomic(struct spod_view t, struct base *b)
{
	size_t k;
	unsigned w;

	if (view_is(t, "bool") || view_is(t, "address") || view_is(t, "bytes") ||
	    view_is(t, "string")) {
		b->kind = view_is(t, "bool")      ? B_BOOL
		          : view_is(t, "address") ? B_ADDRESS
		          : view_is(t, "bytes")   ? B_BYTES
		                                  : B_STRING;
		b->n = 0;
		return 1;
	}
	if (has_prefix(t, "uint", &k) || has_prefix(t, "int", &k)) {
		if (!parse_dec(t.ptr + k, t.len - k, 256, &w) || w % 8 != 0)
			return 0;
		b->kind = t.ptr[0] == 'u' ? B_UINT : B_INT;
		b->n = w;
		return 1;
	}
	if (has_prefix(t, "bytes", &k)) {
		if (!parse_dec(t.ptr + k, t.len - k, 32, &w))
			return 0;
		b->kind = B_BYTESN;
		b->n = w;
		return 1;
	}
	return 0;
}

/*
 * When t ends in an array suffix ("[]" or "[n]"), sets *inner to t without it and *n to the
 * fixed length (0 for a dynamic array) and returns 1; returns 0 when t has no suffix and -1
 * when the suffix is malformed.
 */
static int split_array(struct spod_view t, struct spod_view *inner, unsigned *n)
{
	if (t.len == 0 || t.ptr[t.len - 1] != ']')
		return 0;
	size_t open = t.len - 1;
	while (open > 0 && t.ptr[open - 1] != '[')
		open--;
	if (open == 0)
		return -1;
	open--; /* t.ptr[open] == '[' */
	size_t dlen = t.len - 2 - open;
	*n = 0;
	if (dlen > 0 && !parse_dec(t.ptr + open + 1, dlen, SPOD_EIP712_MAX_ARRAY_LENGTH, n))
		return -1;
	inner->ptr = t.ptr;
	inner->len = open;
	return 1;
}

static int find_type(const struct e_ctx *c, struct spod_view name, size_t *idx)
{
	for (size_t i = 0; i < c->n_types; i++) {
		if (c->types[i].name.len == name.len &&
		    memcmp(c->types[i].name.ptr, name.ptr, name.len) == 0) {
			*idx = i;
			return 1;
		}
	}
	return 0;
}

/* Resolves a member type without its array suffixes; SPOD_E_BAD_FIELD when it names nothing. */
static int resolve(const struct e_ctx *c, struct spod_view t, struct base *b)
{
	size_t idx;
	if (parse_atomic(t, b))
		return SPOD_OK;
	if (!find_type(c, t, &idx))
		return SPOD_E_BAD_FIELD;
	b->kind = B_STRUCT;
	b->n = (unsigned)idx;
	return SPOD_OK;
}

/* The base of a member type (all suffixes stripped), checking every suffix. */
static int base_of(struct spod_view t, struct spod_view *base)
{
	struct spod_view inner;
	unsigned n;
	int s;
	while ((s = split_array(t, &inner, &n)) == 1)
		t = inner;
	if (s < 0)
		return SPOD_E_BAD_FIELD;
	*base = t;
	return SPOD_OK;
}

static void put_view(struct spod_keccak256_ctx *k, struct spod_view v)
{
	spod_keccak256_update(k, v.ptr, v.len);
}

/* encodeType's piece for one type: Name(type1 name1,type2 name2). */
static void put_type(struct spod_keccak256_ctx *k, const struct e_ctx *c, size_t i)
{
	const struct e_type *t = &c->types[i];
	put_view(k, t->name);
	spod_keccak256_update(k, (const uint8_t *)"(", 1);
	for (size_t m = 0; m < t->n_members; m++) {
		if (m > 0)
			spod_keccak256_update(k, (const uint8_t *)",", 1);
		put_view(k, c->mtype[t->first + m]);
		spod_keccak256_update(k, (const uint8_t *)" ", 1);
		put_view(k, c->mname[t->first + m]);
	}
	spod_keccak256_update(k, (const uint8_t *)")", 1);
}

/* The EIP712Domain members EIP-712 defines, in the order a domain must list them. */
static const char *const domain_fields[][2] = {
    {"name", "string"},     {"version", "string"},
    {"chainId", "uint256"}, {"verifyingContract", "address"},
    {"salt", "bytes32"},
};

static int check_domain_type(const struct e_ctx *c, size_t d)
{
	const struct e_type *t = &c->types[d];
	size_t f = 0;
	for (size_t m = 0; m < t->n_members; m++) {
		while (f < 5 && !view_is(c->mname[t->first + m], domain_fields[f][0]))
			f++;
		if (f == 5 || !view_is(c->mtype[t->first + m], domain_fields[f][1]))
			return SPOD_E_BAD_FIELD;
		f++;
	}
	return SPOD_OK;
}

static int read_types(struct e_ctx *c, struct spod_cbor_reader *r)
{
	struct spod_cbor_item it, name, mem;

	SPOD_TRY(spod_cbor_expect_canon(r, SPOD_CBOR_ARRAY, &it));
	if (it.value > SPOD_EIP712_MAX_TYPES)
		return SPOD_E_TOO_LARGE;
	for (uint64_t i = 0; i < it.value; i++) {
		struct e_type *t = &c->types[i];
		struct base b;
		SPOD_TRY(spod_cbor_expect_canon(r, SPOD_CBOR_ARRAY, &mem));
		if (mem.value != 2)
			return SPOD_E_BAD_FIELD;
		SPOD_TRY(spod_cbor_expect_canon(r, SPOD_CBOR_TSTR, &name));
		t->name = (struct spod_view){name.ptr, name.len};
		if (!is_ident(t->name) || parse_atomic(t->name, &b))
			return SPOD_E_BAD_FIELD;
		if (i > 0) {
			struct spod_view p = c->types[i - 1].name;
			size_t n = p.len < t->name.len ? p.len : t->name.len;
			int cmp = memcmp(p.ptr, t->name.ptr, n);
			if (cmp > 0 || (cmp == 0 && p.len >= t->name.len))
				return SPOD_E_BAD_FIELD;
		}
		SPOD_TRY(spod_cbor_expect_canon(r, SPOD_CBOR_ARRAY, &mem));
		if (mem.value > SPOD_EIP712_MAX_MEMBERS ||
		    mem.value > SPOD_EIP712_MAX_ALL_MEMBERS - c->n_all)
			return SPOD_E_TOO_LARGE;
		t->first = c->n_all;
		t->n_members = (size_t)mem.value;
		for (size_t m = 0; m < t->n_members; m++) {
			struct spod_cbor_item pair, mn, mt;
			SPOD_TRY(spod_cbor_expect_canon(r, SPOD_CBOR_ARRAY, &pair));
			if (pair.value != 2)
				return SPOD_E_BAD_FIELD;
			SPOD_TRY(spod_cbor_expect_canon(r, SPOD_CBOR_TSTR, &mn));
			SPOD_TRY(spod_cbor_expect_canon(r, SPOD_CBOR_TSTR, &mt));
			struct spod_view vn = {mn.ptr, mn.len}, vt = {mt.ptr, mt.len}, vb;
			if (!is_ident(vn))
				return SPOD_E_BAD_FIELD;
			for (size_t k = t->first; k < c->n_all; k++)
				if (c->mname[k].len == vn.len &&
				    memcmp(c->mname[k].ptr, vn.ptr, vn.len) == 0)
					return SPOD_E_BAD_FIELD;
			SPOD_TRY(base_of(vt, &vb));
			if (!parse_atomic(vb, &b) && !is_ident(vb))
				return SPOD_E_BAD_FIELD;
			c->mname[c->n_all] = vn;
			c->mtype[c->n_all] = vt;
			c->n_all++;
		}
		c->n_types++;
	}
	return SPOD_OK;
}

/* Resolves every member type, refuses cycles and computes each typeHash. */
static int link_types(struct e_ctx *c)
{
	for (size_t i = 0; i < c->n_types; i++) {
		struct e_type *t = &c->types[i];
		for (size_t m = 0; m < t->n_members; m++) {
			struct spod_view vb;
			struct base b;
			SPOD_TRY(base_of(c->mtype[t->first + m], &vb));
			SPOD_TRY(resolve(c, vb, &b));
			if (b.kind == B_STRUCT)
				t->direct |= UINT64_C(1) << b.n;
		}
		t->deps = t->direct;
	}
	for (int changed = 1; changed;) {
		changed = 0;
		for (size_t i = 0; i < c->n_types; i++) {
			uint64_t d = c->types[i].deps;
			for (size_t j = 0; j < c->n_types; j++)
				if (d & (UINT64_C(1) << j))
					d |= c->types[j].direct;
			if (d != c->types[i].deps) {
				c->types[i].deps = d;
				changed = 1;
			}
		}
	}
	for (size_t i = 0; i < c->n_types; i++) {
		struct spod_keccak256_ctx k;
		if (c->types[i].deps & (UINT64_C(1) << i))
			return SPOD_E_BAD_FIELD;
		spod_keccak256_init(&k);
		put_type(&k, c, i);
		/* types are sorted by name, so the dependencies come in encodeType's order */
		for (size_t j = 0; j < c->n_types; j++)
			if (c->types[i].deps & (UINT64_C(1) << j))
				put_type(&k, c, j);
		spod_keccak256_final(&k, c->types[i].hash);
	}
	return SPOD_OK;
}

static int hash_struct(struct e_ctx *c, struct spod_cbor_reader *r, size_t idx, unsigned depth,
                       uint8_t out[32], struct spod_tx_summary *dom);

/* encodeData's 32-byte word for one value of type t at nesting depth (root members: 1). */
static int enc_value(struct e_ctx *c, struct spod_cbor_reader *r, struct spod_view t,
                     unsigned depth, uint8_t word[32])
{
	struct spod_cbor_item it;
	struct spod_view inner;
	struct base b;
	unsigned n;

	if (++c->nodes > SPOD_EIP712_MAX_NODES)
		return SPOD_E_TOO_LARGE;
	int s = split_array(t, &inner, &n);
	if (s < 0)
		return SPOD_E_BAD_FIELD;
	if (s == 1) {
		struct spod_keccak256_ctx k;
		uint8_t w[32];
		if (depth > SPOD_EIP712_MAX_DEPTH)
			return SPOD_E_TOO_LARGE;
		SPOD_TRY(spod_cbor_expect_canon(r, SPOD_CBOR_ARRAY, &it));
		if (n != 0 && it.value != n)
			return SPOD_E_BAD_FIELD;
		spod_keccak256_init(&k);
		for (uint64_t i = 0; i < it.value; i++) {
			SPOD_TRY(enc_value(c, r, inner, depth + 1, w));
			spod_keccak256_update(&k, w, 32);
		}
		spod_keccak256_final(&k, word);
		return SPOD_OK;
	}
	SPOD_TRY(resolve(c, t, &b));
	memset(word, 0, 32);
	switch (b.kind) {
	case B_STRUCT:
		if (depth > SPOD_EIP712_MAX_DEPTH)
			return SPOD_E_TOO_LARGE;
		return hash_struct(c, r, b.n, depth, word, NULL);
	case B_BOOL:
		SPOD_TRY(spod_cbor_expect_canon(r, SPOD_CBOR_BOOL, &it));
		word[31] = (uint8_t)it.value;
		return SPOD_OK;
	case B_STRING:
		SPOD_TRY(spod_cbor_expect_canon(r, SPOD_CBOR_TSTR, &it));
		if (!spod_utf8_valid(it.ptr, it.len))
			return SPOD_E_BAD_FIELD;
		spod_keccak256(word, it.ptr, it.len);
		return SPOD_OK;
	default:
		break;
	}
	SPOD_TRY(spod_cbor_expect_canon(r, SPOD_CBOR_BSTR, &it));
	switch (b.kind) {
	case B_BYTES:
		spod_keccak256(word, it.ptr, it.len);
		return SPOD_OK;
	case B_ADDRESS:
	case B_BYTESN:
		if (it.len != (b.kind == B_ADDRESS ? 20u : b.n))
			return SPOD_E_BAD_FIELD;
		memcpy(word + (b.kind == B_ADDRESS ? 12 : 0), it.ptr, it.len);
		return SPOD_OK;
	case B_UINT:
		if (it.len > 0 && it.ptr[0] == 0)
			return SPOD_E_BAD_FIELD;
		break;
	default: /* B_INT */
		if ((it.len == 1 && it.ptr[0] == 0) ||
		    (it.len >= 2 && ((it.ptr[0] == 0x00 && !(it.ptr[1] & 0x80)) ||
		                     (it.ptr[0] == 0xff && (it.ptr[1] & 0x80)))))
			return SPOD_E_BAD_FIELD;
		if (it.len > 0 && (it.ptr[0] & 0x80))
			memset(word, 0xff, 32);
		break;
	}
	if (it.len > b.n / 8)
		return SPOD_E_TOO_LARGE;
	if (it.len > 0)
		memcpy(word + 32 - it.len, it.ptr, it.len);
	return SPOD_OK;
}

/* Records the domain's name, version, chainId and verifyingContract read at from. */
static int note_domain(struct spod_tx_summary *dom, struct spod_view member,
                       struct spod_cbor_reader from)
{
	struct spod_cbor_item it;
	SPOD_TRY(spod_cbor_next_canon(&from, &it));
	struct spod_view v = {it.ptr, it.len};
	if (view_is(member, "name")) {
		dom->domain_name = v;
	} else if (view_is(member, "version")) {
		dom->domain_version = v;
	} else if (view_is(member, "verifyingContract")) {
		dom->domain_contract = v;
	} else if (view_is(member, "chainId")) {
		if (v.len > 8)
			return SPOD_E_TOO_LARGE;
		dom->chain_id = 0;
		for (size_t i = 0; i < v.len; i++)
			dom->chain_id = (dom->chain_id << 8) | v.ptr[i];
	}
	return SPOD_OK;
}

/* hashStruct of the value of type idx at r; dom, for the domain only, receives its fields. */
static int hash_struct(struct e_ctx *c, struct spod_cbor_reader *r, size_t idx, unsigned depth,
                       uint8_t out[32], struct spod_tx_summary *dom)
{
	const struct e_type *t = &c->types[idx];
	struct spod_keccak256_ctx k;
	struct spod_cbor_item it;
	uint8_t w[32];

	SPOD_TRY(spod_cbor_expect_canon(r, SPOD_CBOR_ARRAY, &it));
	if (it.value != t->n_members)
		return SPOD_E_BAD_FIELD;
	spod_keccak256_init(&k);
	spod_keccak256_update(&k, t->hash, 32);
	for (size_t m = 0; m < t->n_members; m++) {
		struct spod_cbor_reader at = *r;
		SPOD_TRY(enc_value(c, r, c->mtype[t->first + m], depth + 1, w));
		if (dom)
			SPOD_TRY(note_domain(dom, c->mname[t->first + m], at));
		spod_keccak256_update(&k, w, 32);
	}
	spod_keccak256_final(&k, out);
	return SPOD_OK;
}

static int expect_key(struct spod_cbor_reader *r, uint64_t key)
{
	struct spod_cbor_item it;
	SPOD_TRY(spod_cbor_expect_canon(r, SPOD_CBOR_UINT, &it));
	return it.value == key ? SPOD_OK : SPOD_E_BAD_FIELD;
}

static int decode(const uint8_t *cbor, size_t len, struct spod_tx_summary *out, uint8_t ds[32],
                  uint8_t mh[32])
{
	struct e_ctx c;
	struct spod_cbor_reader r;
	struct spod_cbor_item it;
	size_t domain, primary;

	memset(&c, 0, sizeof(c));
	spod_cbor_reader_init(&r, cbor, len);
	SPOD_TRY(spod_cbor_expect_canon(&r, SPOD_CBOR_MAP, &it));
	if (it.value != 4)
		return SPOD_E_BAD_FIELD;
	SPOD_TRY(expect_key(&r, SPOD_EIP712_K_TYPES));
	SPOD_TRY(read_types(&c, &r));
	SPOD_TRY(link_types(&c));
	if (!find_type(&c, (struct spod_view){(const uint8_t *)"EIP712Domain", 12}, &domain))
		return SPOD_E_BAD_FIELD;
	SPOD_TRY(check_domain_type(&c, domain));

	SPOD_TRY(expect_key(&r, SPOD_EIP712_K_PRIMARY_TYPE));
	SPOD_TRY(spod_cbor_expect_canon(&r, SPOD_CBOR_TSTR, &it));
	if (!find_type(&c, (struct spod_view){it.ptr, it.len}, &primary) || primary == domain)
		return SPOD_E_BAD_FIELD;

	out->chain = SPOD_CHAIN_ETHEREUM;
	out->kind = SPOD_TX_ETH_EIP712;
	SPOD_TRY(expect_key(&r, SPOD_EIP712_K_DOMAIN));
	SPOD_TRY(hash_struct(&c, &r, domain, 0, ds, out));
	SPOD_TRY(expect_key(&r, SPOD_EIP712_K_MESSAGE));
	SPOD_TRY(hash_struct(&c, &r, primary, 0, mh, NULL));
	if (!spod_cbor_at_end(&r))
		return SPOD_E_BAD_FIELD;

	struct spod_keccak256_ctx k;
	spod_keccak256_init(&k);
	spod_keccak256_update(&k, (const uint8_t *)"\x19\x01", 2);
	spod_keccak256_update(&k, ds, 32);
	spod_keccak256_update(&k, mh, 32);
	spod_keccak256_final(&k, out->digest);
	return SPOD_OK;
}

int spod_txn_eip712_decode_parts(const uint8_t *cbor, size_t len, struct spod_tx_summary *out,
                                 uint8_t domain_separator[static 32],
                                 uint8_t message_hash[static 32])
{
	memset(out, 0, sizeof(*out));
	int rc = cbor ? decode(cbor, len, out, domain_separator, message_hash) : SPOD_E_TRUNCATED;
	if (rc != SPOD_OK) {
		memset(out, 0, sizeof(*out));
		memset(domain_separator, 0, 32);
		memset(message_hash, 0, 32);
	}
	return rc;
}

int spod_txn_eip712_decode(const uint8_t *cbor, size_t len, struct spod_tx_summary *out)
{
	uint8_t ds[32], mh[32];
	return spod_txn_eip712_decode_parts(cbor, len, out, ds, mh);
}
