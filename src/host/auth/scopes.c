/* Scopes text: the grammar of auth.h, parsed into struct spod_auth_scopes and formatted back. */
#include <string.h>

#include "host/auth/auth.h"

#define ID_HEX_LEN   (2u * SPOD_AUTH_KEY_ID_BYTES)
#define COUNT_DIGITS 7u /* "1000000" */

_Static_assert(SPOD_AUTH_RATE_MAX < 10000000u && SPOD_AUTH_KEYS_MAX < 10000000u &&
                   SPOD_AUTH_AUDIT_RATE_MAX < 10000000u,
               "counts have at most COUNT_DIGITS digits");

/* Op names in canonical order. */
static const struct {
	const char *name;
	uint32_t bit;
} ops[] = {
    {"sign", SPOD_AUTH_OP_SIGN},           {"generate", SPOD_AUTH_OP_GENERATE},
    {"delete", SPOD_AUTH_OP_DELETE},       {"list", SPOD_AUTH_OP_LIST},
    {"attest", SPOD_AUTH_OP_ATTEST},       {"admin", SPOD_AUTH_OP_ADMIN},
    {"provision", SPOD_AUTH_OP_PROVISION}, {"import", SPOD_AUTH_OP_IMPORT},
};

const char *spod_auth_op_name(uint32_t bit)
{
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (ops[i].bit == bit)
			return ops[i].name;
	return NULL;
}

/* The fields, in canonical order: each one's name with its "=", and the error of a repeat. */
enum field { F_OPS, F_KEYS, F_LABELS, F_KEYS_MAX, F_RATE, F_AUDIT_RATE, F_COUNT };
static const struct {
	const char *prefix;
	const char *twice;
} fields[F_COUNT] = {
    [F_OPS] = {"ops=", "ops given twice"},
    [F_KEYS] = {"keys=", "keys given twice"},
    [F_LABELS] = {"labels=", "labels given twice"},
    [F_KEYS_MAX] = {"keys-max=", "keys-max given twice"},
    [F_RATE] = {"rate=", "rate given twice"},
    [F_AUDIT_RATE] = {"audit-rate=", "audit-rate given twice"},
};

/* A slice of the scopes text; parsing consumes it from the front. */
struct cursor {
	const char *p;
	size_t len;
};

static int is_label_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

/* Whether s[0..n) is 1..128 label characters. */
static int is_label(const char *s, size_t n)
{
	if (n == 0 || n > SPOD_AUTH_LABEL_MAX_BYTES)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!is_label_char(s[i]))
			return 0;
	return 1;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Splits the next item ending at sep (or the end) off c into item. */
static void next_item(struct cursor *c, struct cursor *item, char sep)
{
	const char *end = memchr(c->p, sep, c->len);
	size_t n = end ? (size_t)(end - c->p) : c->len;

	item->p = c->p;
	item->len = n;
	c->p += end ? n + 1 : n;
	c->len -= end ? n + 1 : n;
}

static int item_is(const struct cursor *item, const char *word)
{
	size_t n = strlen(word);

	return item->len == n && memcmp(item->p, word, n) == 0;
}

/* Consumes word from the front of c if it is there. */
static int eat(struct cursor *c, const char *word)
{
	size_t n = strlen(word);

	if (c->len < n || memcmp(c->p, word, n) != 0)
		return 0;
	c->p += n;
	c->len -= n;
	return 1;
}

static int parse_ops(uint32_t *out, const char **why, struct cursor v)
{
	struct cursor item;

	*out = 0;
	if (v.len == 0) {
		*why = "ops: empty list";
		return SPOD_E_BAD_ARG;
	}
	/* A trailing "," leaves an empty last item, caught as an unknown op. */
	for (int more = 1; more;) {
		size_t i;

		more = memchr(v.p, ',', v.len) != NULL;
		next_item(&v, &item, ',');
		for (i = 0; i < sizeof ops / sizeof ops[0]; i++)
			if (item_is(&item, ops[i].name))
				break;
		if (i == sizeof ops / sizeof ops[0]) {
			*why = "ops: unknown op";
			return SPOD_E_BAD_ARG;
		}
		if (*out & ops[i].bit) {
			*why = "ops: op listed twice";
			return SPOD_E_BAD_ARG;
		}
		*out |= ops[i].bit;
	}
	return SPOD_OK;
}

static int parse_key(struct spod_auth_key_sel *k, const char **why, struct cursor item)
{
	if (eat(&item, "id:")) {
		if (item.len != ID_HEX_LEN) {
			*why = "keys: id is not 32 lowercase hex digits";
			return SPOD_E_BAD_ARG;
		}
		for (size_t i = 0; i < SPOD_AUTH_KEY_ID_BYTES; i++) {
			int hi = hex_value(item.p[2 * i]), lo = hex_value(item.p[2 * i + 1]);

			if (hi < 0 || lo < 0) {
				*why = "keys: id is not 32 lowercase hex digits";
				return SPOD_E_BAD_ARG;
			}
			k->id[i] = (uint8_t)(hi << 4 | lo);
		}
		k->kind = SPOD_AUTH_KEY_ID;
		return SPOD_OK;
	}
	if (eat(&item, "label:")) {
		if (item.len == 0 || item.len > SPOD_AUTH_LABEL_MAX_BYTES) {
			*why = "keys: label must have 1..128 characters";
			return SPOD_E_BAD_ARG;
		}
		if (!is_label(item.p, item.len)) {
			*why = "keys: label may only contain A-Z a-z 0-9 . _ -";
			return SPOD_E_BAD_ARG;
		}
		memcpy(k->label, item.p, item.len);
		k->kind = SPOD_AUTH_KEY_LABEL;
		return SPOD_OK;
	}
	*why = "keys: entry is not *, id:<hex> or label:<name>";
	return SPOD_E_BAD_ARG;
}

static int same_key(const struct spod_auth_key_sel *a, const struct spod_auth_key_sel *b)
{
	if (a->kind != b->kind)
		return 0;
	if (a->kind == SPOD_AUTH_KEY_ID)
		return memcmp(a->id, b->id, sizeof a->id) == 0;
	return strcmp(a->label, b->label) == 0;
}

static int parse_keys(struct spod_auth_scopes *s, const char **why, struct cursor v)
{
	struct cursor item;

	if (item_is(&v, "*")) {
		s->all_keys = 1;
		return SPOD_OK;
	}
	if (v.len == 0) {
		*why = "keys: empty list";
		return SPOD_E_BAD_ARG;
	}
	for (int more = 1; more;) {
		struct spod_auth_key_sel *k;

		if (s->nkeys == SPOD_AUTH_MAX_KEYS) {
			*why = "keys: more than 64 entries";
			return SPOD_E_BAD_ARG;
		}
		k = &s->keys[s->nkeys];
		more = memchr(v.p, ',', v.len) != NULL;
		next_item(&v, &item, ',');
		SPOD_TRY(parse_key(k, why, item));
		for (size_t i = 0; i < s->nkeys; i++) {
			if (same_key(&s->keys[i], k)) {
				*why = "keys: entry listed twice";
				return SPOD_E_BAD_ARG;
			}
		}
		s->nkeys++;
	}
	return SPOD_OK;
}

static int same_pattern(const struct spod_auth_label_pat *a, const struct spod_auth_label_pat *b)
{
	return a->prefix == b->prefix && strcmp(a->text, b->text) == 0;
}

/* One labels= pattern: a label, or a label prefix and a trailing "*". */
static int parse_pattern(struct spod_auth_label_pat *p, const char **why, struct cursor item)
{
	if (item.len > 0 && item.p[item.len - 1] == '*') {
		p->prefix = 1;
		item.len--;
	}
	if (item.len == 0 || item.len > SPOD_AUTH_LABEL_MAX_BYTES) {
		*why = "labels: a pattern is 1..128 label characters and an optional trailing *";
		return SPOD_E_BAD_ARG;
	}
	if (!is_label(item.p, item.len)) {
		*why = "labels: a pattern may only contain A-Z a-z 0-9 . _ - and a trailing *";
		return SPOD_E_BAD_ARG;
	}
	memcpy(p->text, item.p, item.len);
	return SPOD_OK;
}

static int parse_labels(struct spod_auth_scopes *s, const char **why, struct cursor v)
{
	struct cursor item;

	if (v.len == 0) {
		*why = "labels: empty list";
		return SPOD_E_BAD_ARG;
	}
	for (int more = 1; more;) {
		struct spod_auth_label_pat *p;

		if (s->nlabels == SPOD_AUTH_MAX_LABELS) {
			*why = "labels: more than 64 entries";
			return SPOD_E_BAD_ARG;
		}
		p = &s->labels[s->nlabels];
		more = memchr(v.p, ',', v.len) != NULL;
		next_item(&v, &item, ',');
		SPOD_TRY(parse_pattern(p, why, item));
		for (size_t i = 0; i < s->nlabels; i++) {
			if (same_pattern(&s->labels[i], p)) {
				*why = "labels: entry listed twice";
				return SPOD_E_BAD_ARG;
			}
		}
		s->nlabels++;
	}
	return SPOD_OK;
}

/* A count in 1..max without a leading zero; bad is the message when it is not. */
static int parse_count(uint32_t *out, const char **why, struct cursor v, uint32_t max,
                       const char *bad)
{
	uint32_t r = 0;

	if (v.len == 0 || v.len > COUNT_DIGITS || v.p[0] == '0') {
		*why = bad;
		return SPOD_E_BAD_ARG;
	}
	for (size_t i = 0; i < v.len; i++) {
		if (v.p[i] < '0' || v.p[i] > '9') {
			*why = bad;
			return SPOD_E_BAD_ARG;
		}
		r = r * 10u + (uint32_t)(v.p[i] - '0');
	}
	if (r > max) {
		*why = bad;
		return SPOD_E_BAD_ARG;
	}
	*out = r;
	return SPOD_OK;
}

static int parse_field(struct spod_auth_scopes *s, const char **why, enum field f, struct cursor v)
{
	switch (f) {
	case F_OPS:
		return parse_ops(&s->ops, why, v);
	case F_KEYS:
		return parse_keys(s, why, v);
	case F_LABELS:
		return parse_labels(s, why, v);
	case F_KEYS_MAX:
		return parse_count(&s->keys_max, why, v, SPOD_AUTH_KEYS_MAX,
		                   "keys-max: not a number in 1..1000000");
	case F_RATE:
		return parse_count(&s->rate_per_s, why, v, SPOD_AUTH_RATE_MAX,
		                   "rate: not a number in 1..1000000");
	default:
		return parse_count(&s->audit_rate, why, v, SPOD_AUTH_AUDIT_RATE_MAX,
		                   "audit-rate: not a number in 1..1000000");
	}
}

static int parse_fields(struct spod_auth_scopes *s, const char **why, struct cursor c)
{
	int seen[F_COUNT] = {0};
	struct cursor field;

	if (c.len > SPOD_AUTH_SCOPES_MAX_BYTES) {
		*why = "scopes text longer than 1024 bytes";
		return SPOD_E_BAD_ARG;
	}
	if (memchr(c.p, '\0', c.len) != NULL) {
		*why = "scopes text contains a NUL byte";
		return SPOD_E_BAD_ARG;
	}
	for (int more = 1; more;) {
		int f = 0;

		more = memchr(c.p, ';', c.len) != NULL;
		next_item(&c, &field, ';');
		while (f < F_COUNT && !eat(&field, fields[f].prefix))
			f++;
		if (f == F_COUNT) {
			*why = "unknown field (expected ops=, keys=, labels=, keys-max=, rate= or "
			       "audit-rate=)";
			return SPOD_E_BAD_ARG;
		}
		if (seen[f]++) {
			*why = fields[f].twice;
			return SPOD_E_BAD_ARG;
		}
		SPOD_TRY(parse_field(s, why, (enum field)f, field));
	}
	if (!seen[F_OPS]) {
		*why = "ops= missing";
		return SPOD_E_BAD_ARG;
	}
	if (!seen[F_KEYS]) {
		*why = "keys= missing";
		return SPOD_E_BAD_ARG;
	}
	return SPOD_OK;
}

int spod_auth_scopes_parse(struct spod_auth_scopes *out, const char **why, const char *text,
                           size_t len)
{
	struct cursor c = {text, len};
	int rc;

	memset(out, 0, sizeof *out);
	*why = NULL;
	if (text == NULL) {
		*why = "no scopes text";
		return SPOD_E_BAD_ARG;
	}
	rc = parse_fields(out, why, c);
	if (rc < 0)
		memset(out, 0, sizeof *out);
	return rc;
}

/* Appends s[0..n) to out if it fits below cap - 1 (room for the NUL). */
static int put(char *out, size_t cap, size_t *off, const char *s, size_t n)
{
	if (cap == 0 || n > cap - 1 - *off)
		return SPOD_E_TOO_LARGE;
	memcpy(out + *off, s, n);
	*off += n;
	return SPOD_OK;
}

static int put_str(char *out, size_t cap, size_t *off, const char *s)
{
	return put(out, cap, off, s, strlen(s));
}

/* ";name=N" when n is not 0. */
static int put_count(char *out, size_t cap, size_t *off, const char *name, uint32_t n)
{
	char digits[COUNT_DIGITS];
	size_t len = 0;

	if (n == 0)
		return SPOD_OK;
	SPOD_TRY(put_str(out, cap, off, name));
	for (; n > 0; n /= 10u)
		digits[COUNT_DIGITS - 1 - len++] = (char)('0' + n % 10u);
	return put(out, cap, off, digits + COUNT_DIGITS - len, len);
}

static int key_sel_valid(const struct spod_auth_key_sel *k)
{
	if (k->kind == SPOD_AUTH_KEY_ID)
		return 1;
	return k->kind == SPOD_AUTH_KEY_LABEL &&
	       is_label(k->label, strnlen(k->label, sizeof k->label));
}

static int pattern_valid(const struct spod_auth_label_pat *p)
{
	return p->prefix <= 1 && is_label(p->text, strnlen(p->text, sizeof p->text));
}

static int keys_valid(const struct spod_auth_scopes *s)
{
	if (s->all_keys)
		return s->nkeys == 0;
	if (s->nkeys == 0 || s->nkeys > SPOD_AUTH_MAX_KEYS)
		return 0;
	for (size_t i = 0; i < s->nkeys; i++) {
		if (!key_sel_valid(&s->keys[i]))
			return 0;
		for (size_t j = 0; j < i; j++)
			if (same_key(&s->keys[i], &s->keys[j]))
				return 0;
	}
	return 1;
}

static int scopes_valid(const struct spod_auth_scopes *s)
{
	if (s->ops == 0 || (s->ops & ~SPOD_AUTH_OPS_ALL) != 0 ||
	    s->rate_per_s > SPOD_AUTH_RATE_MAX || s->keys_max > SPOD_AUTH_KEYS_MAX ||
	    s->audit_rate > SPOD_AUTH_AUDIT_RATE_MAX || s->nlabels > SPOD_AUTH_MAX_LABELS)
		return 0;
	for (size_t i = 0; i < s->nlabels; i++) {
		if (!pattern_valid(&s->labels[i]))
			return 0;
		for (size_t j = 0; j < i; j++)
			if (same_pattern(&s->labels[i], &s->labels[j]))
				return 0;
	}
	return keys_valid(s);
}

static int format_keys(char *out, size_t cap, size_t *off, const struct spod_auth_scopes *s)
{
	static const char hex[] = "0123456789abcdef";

	SPOD_TRY(put_str(out, cap, off, ";keys="));
	if (s->all_keys)
		return put_str(out, cap, off, "*");
	for (size_t i = 0; i < s->nkeys; i++) {
		const struct spod_auth_key_sel *k = &s->keys[i];

		if (i > 0)
			SPOD_TRY(put_str(out, cap, off, ","));
		if (k->kind == SPOD_AUTH_KEY_ID) {
			char idhex[ID_HEX_LEN];

			for (size_t j = 0; j < SPOD_AUTH_KEY_ID_BYTES; j++) {
				idhex[2 * j] = hex[k->id[j] >> 4];
				idhex[2 * j + 1] = hex[k->id[j] & 0xf];
			}
			SPOD_TRY(put_str(out, cap, off, "id:"));
			SPOD_TRY(put(out, cap, off, idhex, sizeof idhex));
		} else {
			SPOD_TRY(put_str(out, cap, off, "label:"));
			SPOD_TRY(put_str(out, cap, off, k->label));
		}
	}
	return SPOD_OK;
}

static int format_into(char *out, size_t cap, size_t *off, const struct spod_auth_scopes *s)
{
	const char *sep = "ops=";

	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		if (s->ops & ops[i].bit) {
			SPOD_TRY(put_str(out, cap, off, sep));
			SPOD_TRY(put_str(out, cap, off, ops[i].name));
			sep = ",";
		}
	}
	SPOD_TRY(format_keys(out, cap, off, s));
	for (size_t i = 0; i < s->nlabels; i++) {
		SPOD_TRY(put_str(out, cap, off, i == 0 ? ";labels=" : ","));
		SPOD_TRY(put_str(out, cap, off, s->labels[i].text));
		if (s->labels[i].prefix)
			SPOD_TRY(put_str(out, cap, off, "*"));
	}
	SPOD_TRY(put_count(out, cap, off, ";keys-max=", s->keys_max));
	SPOD_TRY(put_count(out, cap, off, ";rate=", s->rate_per_s));
	return put_count(out, cap, off, ";audit-rate=", s->audit_rate);
}

int spod_auth_scopes_format(char *out, size_t cap, size_t *len, const struct spod_auth_scopes *s)
{
	size_t off = 0;
	int rc;

	*len = 0;
	if (cap > 0)
		out[0] = '\0';
	if (!scopes_valid(s))
		return SPOD_E_BAD_ARG;
	if (out == NULL)
		return SPOD_E_TOO_LARGE;
	/* Never longer than the store's column, whatever cap the caller has. */
	rc = format_into(
	    out, cap < SPOD_AUTH_SCOPES_MAX_BYTES + 1 ? cap : SPOD_AUTH_SCOPES_MAX_BYTES + 1, &off,
	    s);
	if (rc < 0) {
		if (cap > 0)
			out[0] = '\0';
		return rc;
	}
	out[off] = '\0';
	*len = off;
	return SPOD_OK;
}
