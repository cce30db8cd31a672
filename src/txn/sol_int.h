/*
 * Module-private to src/txn/sol*.c: the reader over a Solana encoding and the message as
 * sol_parse validated it. Views point into the caller's message.
 */
#ifndef SPOD_TXN_SOL_INT_H
#define SPOD_TXN_SOL_INT_H

#include <stddef.h>
#include <stdint.h>

#include "txn/sol.h"

/* A cursor over p[0..len); off <= len always. */
struct sol_reader {
	const uint8_t *p;
	size_t len;
	size_t off;
};

/* One compact-encoded instruction, its arrays viewed in place. */
struct sol_ix {
	uint8_t program; /* index into the accounts */
	size_t n_accounts;
	const uint8_t *accounts; /* n_accounts u8 indexes */
	size_t data_len;
	const uint8_t *data;
};

/* A message sol_parse accepted. */
struct sol_msg {
	int v0;
	uint8_t n_required;
	uint8_t n_readonly_signed;
	uint8_t n_readonly_unsigned;
	size_t n_static;     /* account keys in the message */
	const uint8_t *keys; /* n_static * 32 bytes */
	size_t n_accounts;   /* n_static plus the accounts the lookups load */
	size_t n_ix;
	size_t ix_off; /* offset of the first instruction in the message */
	size_t n_lookups;
	size_t lookups_off;
};

/*
 * Each reader returns SPOD_OK and advances, or SPOD_E_TRUNCATED (SPOD_E_BAD_FIELD /
 * SPOD_E_TOO_LARGE for a bad compact-u16) and leaves the cursor where it was.
 */
int sol_read_cu16(struct sol_reader *r, size_t *v) __attribute__((warn_unused_result));
int sol_read_bytes(struct sol_reader *r, size_t n, const uint8_t **p)
    __attribute__((warn_unused_result));
/* Not atomic: on failure the cursor may have moved past the instruction's first fields. */
int sol_read_ix(struct sol_reader *r, struct sol_ix *ix) __attribute__((warn_unused_result));

/* Validate the whole message (sol.h, spod_txn_sol_summarize) and describe its layout. */
int sol_parse(const uint8_t *msg, size_t msg_len, struct sol_msg *m)
    __attribute__((warn_unused_result));

static inline const uint8_t *sol_key(const struct sol_msg *m, size_t i)
{
	return m->keys + i * SPOD_SOL_PUBKEY_BYTES;
}

#endif
