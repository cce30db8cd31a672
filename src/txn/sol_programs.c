/*
 * The Solana programs spod recognises, and spod_txn_sol_summarize over a message sol_parse
 * validated (sol.h). Instruction layouts are the programs' own: System Program instructions
 * are bincode (u32 LE discriminant, u64 LE amounts, strings as u64 LE length then bytes),
 * SPL Token and Compute Budget ones a u8 discriminant then little-endian fields.
 */
#include <string.h>

#include "common/bytes.h"
#include "spod/err.h"
#include "txn/sol.h"
#include "txn/sol_int.h"

/* 11111111111111111111111111111111 */
static const uint8_t system_program[SPOD_SOL_PUBKEY_BYTES] = {0};
/* TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA */
static const uint8_t token_program[SPOD_SOL_PUBKEY_BYTES] = {
    0x06, 0xdd, 0xf6, 0xe1, 0xd7, 0x65, 0xa1, 0x93, 0xd9, 0xcb, 0xe1, 0x46, 0xce, 0xeb, 0x79, 0xac,
    0x1c, 0xb4, 0x85, 0xed, 0x5f, 0x5b, 0x37, 0x91, 0x3a, 0x8c, 0xf5, 0x85, 0x7e, 0xff, 0x00, 0xa9};
/* TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb */
static const uint8_t token_2022_program[SPOD_SOL_PUBKEY_BYTES] = {
    0x06, 0xdd, 0xf6, 0xe1, 0xee, 0x75, 0x8f, 0xde, 0x18, 0x42, 0x5d, 0xbc, 0xe4, 0x6c, 0xcd, 0xda,
    0xb6, 0x1a, 0xfc, 0x4d, 0x83, 0xb9, 0x0d, 0x27, 0xfe, 0xbd, 0xf9, 0x28, 0xd8, 0xa1, 0x8b, 0xfc};
/* ComputeBudget111111111111111111111111111111 */
static const uint8_t compute_budget_program[SPOD_SOL_PUBKEY_BYTES] = {
    0x03, 0x06, 0x46, 0x6f, 0xe5, 0x21, 0x17, 0x32, 0xff, 0xec, 0xad, 0xba, 0x72, 0xc3, 0x9b, 0xe7,
    0xbc, 0x8c, 0xe5, 0xbb, 0xc5, 0xf7, 0x12, 0x6b, 0x2c, 0x43, 0x9b, 0x3a, 0x40, 0x00, 0x00, 0x00};

/* System Program instructions (solana_program::system_instruction), u32 discriminants. */
#define SYS_CREATE_ACCOUNT           0
#define SYS_TRANSFER                 2
#define SYS_CREATE_ACCOUNT_WITH_SEED 3
#define SYS_TRANSFER_WITH_SEED       11
#define SYS_MAX_SEED_BYTES           32 /* MAX_SEED_LEN: longer seeds fail on chain */

/* SPL Token (and Token-2022) instructions, u8 discriminants. */
#define TOKEN_TRANSFER         3
#define TOKEN_TRANSFER_CHECKED 12

/* Compute Budget instructions and their data lengths (discriminant included). */
#define CB_REQUEST_HEAP_FRAME          1 /* u32 bytes */
#define CB_SET_COMPUTE_UNIT_LIMIT      2 /* u32 units */
#define CB_SET_COMPUTE_UNIT_PRICE      3 /* u64 micro-lamports */
#define CB_SET_LOADED_ACCOUNTS_DATA_SZ 4 /* u32 bytes */

/* A transfer whose instruction does not carry decimals (summary.h): native, SPL Transfer. */
#define SOL_NO_DECIMALS 0xffu

struct summarizer {
	const struct sol_msg *m;
	struct spod_tx_summary *out;
};

/* The account an instruction names at position pos; empty when a lookup table loads it. */
static struct spod_view ix_account(const struct summarizer *s, const struct sol_ix *ix, size_t pos)
{
	struct spod_view v = {NULL, 0};
	uint8_t idx = ix->accounts[pos];
	if (idx < s->m->n_static) {
		v.ptr = sol_key(s->m, idx);
		v.len = SPOD_SOL_PUBKEY_BYTES;
	}
	return v;
}

static void u256_from_u64(struct spod_u256 *a, uint64_t v)
{
	memset(a->be, 0, sizeof(a->be));
	for (unsigned i = 0; i < 8; i++)
		a->be[31 - i] = (uint8_t)(v >> (8 * i));
}

static int add_transfer(struct summarizer *s, uint8_t asset, struct spod_view token,
                        struct spod_view to, uint64_t amount, uint8_t decimals)
{
	struct spod_tx_summary *out = s->out;
	if (out->n_transfers == SPOD_TX_MAX_TRANSFERS)
		return SPOD_E_TOO_LARGE;
	struct spod_tx_transfer *t = &out->transfers[out->n_transfers++];
	t->asset = asset;
	t->decimals = decimals;
	t->token = token;
	t->to = to;
	u256_from_u64(&t->amount, amount);
	return SPOD_OK;
}

static int add_program(struct summarizer *s, const uint8_t *id)
{
	struct spod_tx_summary *out = s->out;
	for (size_t i = 0; i < out->n_programs; i++)
		if (memcmp(out->programs[i].ptr, id, SPOD_SOL_PUBKEY_BYTES) == 0)
			return SPOD_OK;
	if (out->n_programs == SPOD_TX_MAX_PROGRAMS)
		return SPOD_E_TOO_LARGE;
	out->programs[out->n_programs].ptr = id;
	out->programs[out->n_programs].len = SPOD_SOL_PUBKEY_BYTES;
	out->n_programs++;
	return SPOD_OK;
}

static void unknown(struct summarizer *s)
{
	s->out->flags |= SPOD_TXF_UNKNOWN_PROGRAM;
}

/* A native transfer of le64(amount_at) lamports to the account at position to_pos. */
static int native(struct summarizer *s, const struct sol_ix *ix, size_t min_accounts, size_t to_pos,
                  const uint8_t *amount_at)
{
	static const struct spod_view none = {NULL, 0};
	if (ix->n_accounts < min_accounts)
		return SPOD_E_BAD_FIELD;
	return add_transfer(s, SPOD_ASSET_NATIVE, none, ix_account(s, ix, to_pos),
	                    spod_le64(amount_at), SOL_NO_DECIMALS);
}

/* The byte length of the bincode String at d[off..len), at most the seed limit. */
static int seed_len(const uint8_t *d, size_t len, size_t off, size_t *n)
{
	if (off > len || len - off < 8)
		return SPOD_E_BAD_FIELD;
	uint64_t v = spod_le64(d + off);
	if (v > SYS_MAX_SEED_BYTES)
		return SPOD_E_BAD_FIELD;
	*n = (size_t)v;
	return SPOD_OK;
}

static int system_ix(struct summarizer *s, const struct sol_ix *ix)
{
	const uint8_t *d = ix->data;
	size_t len = ix->data_len, n;

	if (len < 4) {
		unknown(s);
		return SPOD_OK;
	}
	switch (spod_le32(d)) {
	case SYS_CREATE_ACCOUNT: /* lamports u64, space u64, owner [32]; [funder, new] */
		if (len != 4 + 8 + 8 + 32)
			return SPOD_E_BAD_FIELD;
		return native(s, ix, 2, 1, d + 4);
	case SYS_TRANSFER: /* lamports u64; [from, to] */
		if (len != 4 + 8)
			return SPOD_E_BAD_FIELD;
		return native(s, ix, 2, 1, d + 4);
	case SYS_CREATE_ACCOUNT_WITH_SEED:
		/* base [32], seed String, lamports u64, space u64, owner [32]; [funder, new, base?]
		 */
		SPOD_TRY(seed_len(d, len, 4 + 32, &n));
		if (len != 4 + 32 + 8 + n + 8 + 8 + 32)
			return SPOD_E_BAD_FIELD;
		return native(s, ix, 2, 1, d + 4 + 32 + 8 + n);
	case SYS_TRANSFER_WITH_SEED:
		/* lamports u64, from_seed String, from_owner [32]; [from, base, to] */
		SPOD_TRY(seed_len(d, len, 4 + 8, &n));
		if (len != 4 + 8 + 8 + n + 32)
			return SPOD_E_BAD_FIELD;
		return native(s, ix, 3, 2, d + 4);
	default:
		unknown(s);
		return SPOD_OK;
	}
}

static int token_ix(struct summarizer *s, const struct sol_ix *ix)
{
	static const struct spod_view none = {NULL, 0};
	const uint8_t *d = ix->data;

	if (ix->data_len < 1) {
		unknown(s);
		return SPOD_OK;
	}
	switch (d[0]) {
	case TOKEN_TRANSFER: /* amount u64; [source, destination, owner, signers...] */
		if (ix->data_len != 1 + 8 || ix->n_accounts < 3)
			return SPOD_E_BAD_FIELD;
		return add_transfer(s, SPOD_ASSET_TOKEN, none, ix_account(s, ix, 1),
		                    spod_le64(d + 1), SOL_NO_DECIMALS);
	case TOKEN_TRANSFER_CHECKED: /* amount u64, decimals u8; [source, mint, dest, owner...] */
		if (ix->data_len != 1 + 8 + 1 || ix->n_accounts < 4)
			return SPOD_E_BAD_FIELD;
		return add_transfer(s, SPOD_ASSET_TOKEN, ix_account(s, ix, 1), ix_account(s, ix, 2),
		                    spod_le64(d + 1), d[9]);
	default:
		unknown(s);
		return SPOD_OK;
	}
}

static int compute_budget_ix(struct summarizer *s, const struct sol_ix *ix)
{
	size_t want;
	if (ix->data_len < 1) {
		unknown(s);
		return SPOD_OK;
	}
	switch (ix->data[0]) {
	case CB_REQUEST_HEAP_FRAME:
	case CB_SET_COMPUTE_UNIT_LIMIT:
	case CB_SET_LOADED_ACCOUNTS_DATA_SZ:
		want = 1 + 4;
		break;
	case CB_SET_COMPUTE_UNIT_PRICE:
		want = 1 + 8;
		break;
	default:
		unknown(s);
		return SPOD_OK;
	}
	return ix->data_len == want ? SPOD_OK : SPOD_E_BAD_FIELD;
}

static int instruction(struct summarizer *s, const struct sol_ix *ix)
{
	const uint8_t *program = sol_key(s->m, ix->program); /* static: sol_parse checked */
	SPOD_TRY(add_program(s, program));
	if (memcmp(program, system_program, SPOD_SOL_PUBKEY_BYTES) == 0)
		return system_ix(s, ix);
	if (memcmp(program, token_program, SPOD_SOL_PUBKEY_BYTES) == 0 ||
	    memcmp(program, token_2022_program, SPOD_SOL_PUBKEY_BYTES) == 0)
		return token_ix(s, ix);
	if (memcmp(program, compute_budget_program, SPOD_SOL_PUBKEY_BYTES) == 0)
		return compute_budget_ix(s, ix);
	unknown(s);
	return SPOD_OK;
}

static int summarize(const uint8_t *msg, size_t msg_len, struct spod_tx_summary *out)
{
	struct sol_msg m;
	struct summarizer s = {&m, out};

	SPOD_TRY(sol_parse(msg, msg_len, &m));
	out->chain = SPOD_CHAIN_SOLANA;
	out->kind = m.v0 ? SPOD_TX_SOL_V0 : SPOD_TX_SOL_LEGACY;
	out->from.ptr = sol_key(&m, 0);
	out->from.len = SPOD_SOL_PUBKEY_BYTES;
	out->message.ptr = msg;
	out->message.len = msg_len;
	if (m.n_lookups > 0) /* each lookup loads at least one account (sol_parse) */
		out->flags |= SPOD_TXF_LOOKUP_TABLES;

	struct sol_reader r = {msg, msg_len, m.ix_off};
	for (size_t i = 0; i < m.n_ix; i++) {
		struct sol_ix ix;
		SPOD_TRY(sol_read_ix(&r, &ix));
		SPOD_TRY(instruction(&s, &ix));
	}
	return SPOD_OK;
}

int spod_txn_sol_summarize(const uint8_t *msg, size_t msg_len, struct spod_tx_summary *out)
{
	memset(out, 0, sizeof(*out));
	int rc = summarize(msg, msg_len, out);
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}
