/*
 * libFuzzer target for Solana transactions and messages (src/txn/sol.c, sol_programs.c).
 *
 * The input, copied into an exact-size buffer (ASan catches any read past it), is taken both
 * as a transaction and as a bare message. Properties: summarize never reads out of bounds and
 * every view it returns lies inside its input; a failure leaves the summary zeroed; when split
 * accepts a transaction and summarize its message, they agree (slots = required signers, each
 * signer key's slot is its index), and write_signed gives a transaction that splits and
 * summarises the same way, with only the chosen slot changed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spod/err.h"
#include "txn/sol.h"
#include "txn/summary.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static struct spod_tx_summary first, second;
static const struct spod_tx_summary zero;

static int within(struct spod_view v, const uint8_t *base, size_t len)
{
	if (v.len == 0)
		return v.ptr == NULL;
	return v.ptr >= base && v.len <= len && (size_t)(v.ptr - base) <= len - v.len;
}

static int known_error(int rc)
{
	return rc == SPOD_E_TRUNCATED || rc == SPOD_E_TOO_LARGE || rc == SPOD_E_BAD_FIELD;
}

/* Summarise msg[0..len): on success every view inside it, on failure a zeroed summary. */
static int summarize_checked(const uint8_t *msg, size_t len, struct spod_tx_summary *s)
{
	int rc = spod_txn_sol_summarize(msg, len, s);
	if (rc != SPOD_OK) {
		CHECK(known_error(rc));
		CHECK(memcmp(s, &zero, sizeof(*s)) == 0);
		return rc;
	}
	CHECK(s->chain == SPOD_CHAIN_SOLANA);
	CHECK(s->kind == SPOD_TX_SOL_LEGACY || s->kind == SPOD_TX_SOL_V0);
	CHECK((s->flags & ~(SPOD_TXF_UNKNOWN_PROGRAM | SPOD_TXF_LOOKUP_TABLES)) == 0);
	CHECK(s->kind == SPOD_TX_SOL_V0 || (s->flags & SPOD_TXF_LOOKUP_TABLES) == 0);
	CHECK(s->message.ptr == msg && s->message.len == len);
	CHECK(s->from.len == 32 && within(s->from, msg, len));
	CHECK(s->n_transfers <= SPOD_TX_MAX_TRANSFERS && s->n_programs <= SPOD_TX_MAX_PROGRAMS);
	for (size_t i = 0; i < s->n_transfers; i++) {
		const struct spod_tx_transfer *t = &s->transfers[i];
		CHECK(t->asset == SPOD_ASSET_NATIVE || t->asset == SPOD_ASSET_TOKEN);
		CHECK(within(t->token, msg, len) && within(t->to, msg, len));
		CHECK(t->token.len == 0 || t->token.len == 32);
		CHECK(t->to.len == 0 || t->to.len == 32);
		/* An empty recipient only when lookup tables hold it. */
		CHECK(t->to.len == 32 || (s->flags & SPOD_TXF_LOOKUP_TABLES));
		for (size_t b = 0; b < 24; b++)
			CHECK(t->amount.be[b] == 0); /* Solana amounts are u64 */
	}
	for (size_t i = 0; i < s->n_programs; i++) {
		CHECK(s->programs[i].len == 32 && within(s->programs[i], msg, len));
		for (size_t j = 0; j < i; j++)
			CHECK(memcmp(s->programs[i].ptr, s->programs[j].ptr, 32) != 0);
	}
	CHECK(s->to.len == 0 && s->data.len == 0 && s->n_delegates == 0);
	return rc;
}

/* The summaries of two copies of one message agree field by field, views by offset. */
static void same_summary(const struct spod_tx_summary *a, const uint8_t *abase,
                         const struct spod_tx_summary *b, const uint8_t *bbase)
{
#define SAME_VIEW(x, y)                                                                            \
	CHECK((x).len == (y).len && ((x).len == 0 || (x).ptr - abase == (y).ptr - bbase))
	CHECK(a->kind == b->kind && a->flags == b->flags);
	SAME_VIEW(a->from, b->from);
	SAME_VIEW(a->message, b->message);
	CHECK(a->n_transfers == b->n_transfers && a->n_programs == b->n_programs);
	for (size_t i = 0; i < a->n_transfers; i++) {
		CHECK(a->transfers[i].asset == b->transfers[i].asset);
		CHECK(a->transfers[i].decimals == b->transfers[i].decimals);
		SAME_VIEW(a->transfers[i].token, b->transfers[i].token);
		SAME_VIEW(a->transfers[i].to, b->transfers[i].to);
		CHECK(memcmp(a->transfers[i].amount.be, b->transfers[i].amount.be, 32) == 0);
	}
	for (size_t i = 0; i < a->n_programs; i++)
		SAME_VIEW(a->programs[i], b->programs[i]);
#undef SAME_VIEW
}

static void as_transaction(const uint8_t *tx, size_t size)
{
	size_t sigs_off, n_sigs, msg_off, msg_len, slot, out_len;
	uint8_t sig[64];
	int rc = spod_txn_sol_split(tx, size, &sigs_off, &n_sigs, &msg_off, &msg_len);
	if (rc != SPOD_OK) {
		CHECK(known_error(rc));
		CHECK(sigs_off == 0 && n_sigs == 0 && msg_off == 0 && msg_len == 0);
		return;
	}
	CHECK(n_sigs >= 1 && sigs_off >= 1 && sigs_off <= 3);
	CHECK(msg_off == sigs_off + 64 * n_sigs && msg_len == size - msg_off);
	const uint8_t *msg = tx + msg_off;
	if (summarize_checked(msg, msg_len, &first) != SPOD_OK)
		return;

	/* The signers are the first n_sigs static accounts, each in its own slot. */
	for (size_t i = 0; i < n_sigs; i++) {
		CHECK(spod_txn_sol_signer_slot(msg, msg_len, first.from.ptr + 32 * i, &slot) ==
		      SPOD_OK);
		CHECK(slot == i);
	}

	uint8_t *out = malloc(size);
	CHECK(out != NULL);
	slot = size % n_sigs;
	memset(sig, 0xa7, sizeof(sig));
	CHECK(spod_txn_sol_write_signed(tx, size, slot, sig, out, size, &out_len) == SPOD_OK);
	CHECK(out_len == size);
	CHECK(memcmp(out + sigs_off + 64 * slot, sig, 64) == 0);
	CHECK(memcmp(out, tx, sigs_off + 64 * slot) == 0);
	CHECK(memcmp(out + sigs_off + 64 * (slot + 1), tx + sigs_off + 64 * (slot + 1),
	             size - sigs_off - 64 * (slot + 1)) == 0);
	CHECK(spod_txn_sol_write_signed(tx, size, n_sigs, sig, out, size, &out_len) ==
	      SPOD_E_BAD_ARG);
	size_t so2, ns2, mo2, ml2;
	CHECK(spod_txn_sol_split(out, size, &so2, &ns2, &mo2, &ml2) == SPOD_OK);
	CHECK(so2 == sigs_off && ns2 == n_sigs && mo2 == msg_off && ml2 == msg_len);
	CHECK(summarize_checked(out + mo2, ml2, &second) == SPOD_OK);
	same_summary(&first, tx, &second, out);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1);
	CHECK(copy != NULL);
	memcpy(copy, data, size);
	as_transaction(copy, size);
	(void)summarize_checked(copy, size, &first);
	free(copy);
	return 0;
}
