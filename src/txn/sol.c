/*
 * Solana transactions and messages (sol.h): the encoding, validated once in sol_parse; the
 * summary's recognition of programs is in sol_programs.c.
 */
#include <string.h>

#include "common/bytes.h"
#include "spod/err.h"
#include "txn/sol.h"
#include "txn/sol_int.h"

#define SOL_VERSION_PREFIX 0x80u
#define SOL_HDR_BYTES      3
#define SOL_BLOCKHASH      32

int sol_read_cu16(struct sol_reader *r, size_t *v)
{
	size_t val = 0;
	size_t off = r->off;
	for (unsigned i = 0; i < 3; i++) {
		if (off == r->len)
			return SPOD_E_TRUNCATED;
		uint8_t b = r->p[off++];
		if (i == 2 && b > 0x03)
			return SPOD_E_TOO_LARGE; /* more than 16 bits, or a fourth byte */
		val |= (size_t)(b & 0x7fu) << (7 * i);
		if ((b & 0x80u) == 0) {
			if (i > 0 && b == 0)
				return SPOD_E_BAD_FIELD; /* non-minimal: a zero last group */
			r->off = off;
			*v = val;
			return SPOD_OK;
		}
	}
	return SPOD_E_TOO_LARGE; /* not reached: a third byte with the high bit is > 0x03 */
}

int sol_read_bytes(struct sol_reader *r, size_t n, const uint8_t **p)
{
	if (n > r->len - r->off)
		return SPOD_E_TRUNCATED;
	*p = r->p + r->off;
	r->off += n;
	return SPOD_OK;
}

int sol_read_ix(struct sol_reader *r, struct sol_ix *ix)
{
	const uint8_t *p;
	SPOD_TRY(sol_read_bytes(r, 1, &p));
	ix->program = p[0];
	SPOD_TRY(sol_read_cu16(r, &ix->n_accounts));
	SPOD_TRY(sol_read_bytes(r, ix->n_accounts, &ix->accounts));
	SPOD_TRY(sol_read_cu16(r, &ix->data_len));
	SPOD_TRY(sol_read_bytes(r, ix->data_len, &ix->data));
	return SPOD_OK;
}

/* The header: a version prefix for v0, then the three counts. */
static int parse_header(struct sol_reader *r, struct sol_msg *m)
{
	const uint8_t *p;
	SPOD_TRY(sol_read_bytes(r, 1, &p));
	if (p[0] & SOL_VERSION_PREFIX) {
		if ((p[0] & ~SOL_VERSION_PREFIX) != 0)
			return SPOD_E_BAD_FIELD; /* only v0 exists */
		m->v0 = 1;
		SPOD_TRY(sol_read_bytes(r, 1, &p));
	}
	m->n_required = p[0];
	SPOD_TRY(sol_read_bytes(r, 2, &p));
	m->n_readonly_signed = p[0];
	m->n_readonly_unsigned = p[1];
	return SPOD_OK;
}

/* The header counts against the static accounts, and no static account twice. */
static int check_accounts(const struct sol_msg *m)
{
	if (m->n_required == 0 || m->n_readonly_signed >= m->n_required)
		return SPOD_E_BAD_FIELD; /* no fee payer, or a read-only one */
	if ((size_t)m->n_required + m->n_readonly_unsigned > m->n_static)
		return SPOD_E_BAD_FIELD;
	if (m->n_static > SPOD_SOL_MAX_ACCOUNTS)
		return SPOD_E_BAD_FIELD;
	for (size_t i = 1; i < m->n_static; i++)
		for (size_t j = 0; j < i; j++)
			if (memcmp(sol_key(m, i), sol_key(m, j), SPOD_SOL_PUBKEY_BYTES) == 0)
				return SPOD_E_BAD_FIELD;
	return SPOD_OK;
}

/* v0 address table lookups: each names a table and at least one index into it. */
static int parse_lookups(struct sol_reader *r, struct sol_msg *m)
{
	const uint8_t *p;
	SPOD_TRY(sol_read_cu16(r, &m->n_lookups));
	m->lookups_off = r->off;
	for (size_t i = 0; i < m->n_lookups; i++) {
		size_t n_w, n_r;
		SPOD_TRY(sol_read_bytes(r, SPOD_SOL_PUBKEY_BYTES, &p));
		SPOD_TRY(sol_read_cu16(r, &n_w));
		SPOD_TRY(sol_read_bytes(r, n_w, &p));
		SPOD_TRY(sol_read_cu16(r, &n_r));
		SPOD_TRY(sol_read_bytes(r, n_r, &p));
		if (n_w == 0 && n_r == 0)
			return SPOD_E_BAD_FIELD;
		/* Each count is below the message size, so the sum cannot wrap. */
		m->n_accounts += n_w + n_r;
		if (m->n_accounts > SPOD_SOL_MAX_ACCOUNTS)
			return SPOD_E_BAD_FIELD;
	}
	return SPOD_OK;
}

/* Every instruction's program a static account other than the payer; accounts in range. */
static int check_instructions(const uint8_t *msg, size_t msg_len, const struct sol_msg *m)
{
	struct sol_reader r = {msg, msg_len, m->ix_off};
	for (size_t i = 0; i < m->n_ix; i++) {
		struct sol_ix ix;
		SPOD_TRY(sol_read_ix(&r, &ix));
		if (ix.program == 0 || ix.program >= m->n_static)
			return SPOD_E_BAD_FIELD;
		for (size_t a = 0; a < ix.n_accounts; a++)
			if (ix.accounts[a] >= m->n_accounts)
				return SPOD_E_BAD_FIELD;
	}
	return SPOD_OK;
}

int sol_parse(const uint8_t *msg, size_t msg_len, struct sol_msg *m)
{
	struct sol_reader r = {msg, msg_len, 0};
	const uint8_t *p;

	memset(m, 0, sizeof(*m));
	if (msg_len > SPOD_SOL_MSG_MAX_BYTES)
		return SPOD_E_TOO_LARGE;
	SPOD_TRY(parse_header(&r, m));
	SPOD_TRY(sol_read_cu16(&r, &m->n_static));
	if (m->n_static > (r.len - r.off) / SPOD_SOL_PUBKEY_BYTES)
		return SPOD_E_TRUNCATED;
	SPOD_TRY(sol_read_bytes(&r, m->n_static * SPOD_SOL_PUBKEY_BYTES, &m->keys));
	SPOD_TRY(check_accounts(m));
	m->n_accounts = m->n_static;
	SPOD_TRY(sol_read_bytes(&r, SOL_BLOCKHASH, &p));

	SPOD_TRY(sol_read_cu16(&r, &m->n_ix));
	m->ix_off = r.off;
	for (size_t i = 0; i < m->n_ix; i++) {
		struct sol_ix ix;
		SPOD_TRY(sol_read_ix(&r, &ix));
	}
	if (m->v0)
		SPOD_TRY(parse_lookups(&r, m));
	if (r.off != r.len)
		return SPOD_E_BAD_FIELD; /* trailing bytes */
	return check_instructions(msg, msg_len, m);
}

/* The header of the message at msg: its num_required_signatures, without the rest. */
static int required_signatures(const uint8_t *msg, size_t msg_len, size_t *n)
{
	struct sol_reader r = {msg, msg_len, 0};
	struct sol_msg m;
	memset(&m, 0, sizeof(m));
	SPOD_TRY(parse_header(&r, &m));
	*n = m.n_required;
	return SPOD_OK;
}

static int split(const uint8_t *tx, size_t tx_len, size_t *sigs_off, size_t *n_sigs,
                 size_t *msg_off, size_t *msg_len)
{
	struct sol_reader r = {tx, tx_len, 0};
	const uint8_t *p;
	size_t n, required;

	if (tx_len > SPOD_SOL_TX_MAX_BYTES)
		return SPOD_E_TOO_LARGE;
	SPOD_TRY(sol_read_cu16(&r, &n));
	if (n > (r.len - r.off) / SPOD_SOL_SIG_BYTES)
		return SPOD_E_TRUNCATED;
	*sigs_off = r.off;
	SPOD_TRY(sol_read_bytes(&r, n * SPOD_SOL_SIG_BYTES, &p));
	SPOD_TRY(required_signatures(tx + r.off, r.len - r.off, &required));
	if (required != n || n == 0)
		return SPOD_E_BAD_FIELD; /* the fee payer always signs */
	*n_sigs = n;
	*msg_off = r.off;
	*msg_len = r.len - r.off;
	return SPOD_OK;
}

int spod_txn_sol_split(const uint8_t *tx, size_t tx_len, size_t *sigs_off, size_t *n_sigs,
                       size_t *msg_off, size_t *msg_len)
{
	int rc = split(tx, tx_len, sigs_off, n_sigs, msg_off, msg_len);
	if (rc < 0)
		*sigs_off = *n_sigs = *msg_off = *msg_len = 0;
	return rc;
}

int spod_txn_sol_signer_slot(const uint8_t *msg, size_t msg_len,
                             const uint8_t pub[static SPOD_SOL_PUBKEY_BYTES], size_t *slot)
{
	struct sol_msg m;
	*slot = 0;
	SPOD_TRY(sol_parse(msg, msg_len, &m));
	for (size_t i = 0; i < m.n_required; i++) {
		if (memcmp(sol_key(&m, i), pub, SPOD_SOL_PUBKEY_BYTES) == 0) {
			*slot = i; /* static keys are distinct (check_accounts) */
			return SPOD_OK;
		}
	}
	return SPOD_E_BAD_ARG;
}

int spod_txn_sol_write_signed(const uint8_t *tx, size_t tx_len, size_t slot,
                              const uint8_t sig[static SPOD_SOL_SIG_BYTES], uint8_t *out,
                              size_t out_cap, size_t *out_len)
{
	size_t sigs_off, n_sigs, msg_off, msg_len;
	struct sol_msg m;

	*out_len = 0;
	SPOD_TRY(spod_txn_sol_split(tx, tx_len, &sigs_off, &n_sigs, &msg_off, &msg_len));
	SPOD_TRY(sol_parse(tx + msg_off, msg_len, &m));
	if (slot >= n_sigs)
		return SPOD_E_BAD_ARG;
	if (out_cap < tx_len)
		return SPOD_E_TOO_LARGE;
	memmove(out, tx, tx_len);
	memmove(out + sigs_off + slot * SPOD_SOL_SIG_BYTES, sig, SPOD_SOL_SIG_BYTES);
	*out_len = tx_len;
	return SPOD_OK;
}
