/*
 * Solana transactions and messages: split a serialized transaction, summarise its message for
 * the policy engine, find a signer's slot and fill it (docs/transactions.md, "Solana").
 *
 * The encoding is the one @solana/web3.js and the validators use: a transaction is a
 * compact-u16 signature count, that many 64-byte signature slots (all zero while unsigned),
 * then the message; the message is a legacy message or a v0 message (first byte 0x80), and
 * Ed25519 signs the message bytes themselves. compact-u16 ("short_vec") is 1 to 3 bytes of 7
 * bits each, little-endian, high bit = more; a non-minimal encoding (a trailing 0x00 group)
 * is SPOD_E_BAD_FIELD, one that does not fit in 16 bits (a third byte above 0x03) is
 * SPOD_E_TOO_LARGE, as the validators' short_vec refuses both.
 *
 * Every function validates its whole input before it returns SPOD_OK; the views it produces
 * point into the caller's buffer and live as long as that buffer. Nothing is copied and
 * nothing is allocated. On failure the outputs are zeroed.
 */
#ifndef SPOD_TXN_SOL_H
#define SPOD_TXN_SOL_H

#include <stddef.h>
#include <stdint.h>

#include "txn/summary.h"

/* The validators' packet limit: no transaction above it can be sent, so none is signed. */
#define SPOD_SOL_TX_MAX_BYTES 1232
/* The largest message a transaction of SPOD_SOL_TX_MAX_BYTES can carry (one signature). */
#define SPOD_SOL_MSG_MAX_BYTES (SPOD_SOL_TX_MAX_BYTES - 1 - SPOD_SOL_SIG_BYTES)
#define SPOD_SOL_SIG_BYTES     64
#define SPOD_SOL_PUBKEY_BYTES  32
/* A message addresses at most 256 accounts (instruction account indexes are u8). */
#define SPOD_SOL_MAX_ACCOUNTS 256

/*
 * Split a serialized transaction tx[0..tx_len) into its signature slots and its message.
 * Checks the compact-u16 count, that the slots and a message header are present, and that the
 * number of slots equals the message header's num_required_signatures; the message itself is
 * validated by spod_txn_sol_summarize, which the caller must run on [msg_off, msg_off+msg_len).
 * Returns SPOD_OK with *sigs_off, *n_sigs, *msg_off, *msg_len set; SPOD_E_TOO_LARGE when
 * tx_len exceeds SPOD_SOL_TX_MAX_BYTES or the count overflows 16 bits; SPOD_E_TRUNCATED when
 * the slots or the header are cut short; SPOD_E_BAD_FIELD for a non-minimal count, an
 * unknown message version, no slot, or a slot count that differs from num_required_signatures.
 */
int spod_txn_sol_split(const uint8_t *tx, size_t tx_len, size_t *sigs_off, size_t *n_sigs,
                       size_t *msg_off, size_t *msg_len)
    __attribute__((warn_unused_result, nonnull));

/*
 * Validate the message msg[0..msg_len) completely and describe it in *out (chain SOLANA, kind
 * SOL_LEGACY or SOL_V0, from = the fee payer, message = the whole of msg, programs = each
 * distinct program id in order of first use, transfers = each recognised movement of value).
 *
 * Validation (the validators' sanitize rules): a legacy or v0 header; num_required_signatures
 * at least 1 and the fee payer writable; the header counts within the static account list;
 * no duplicate static account; at most SPOD_SOL_MAX_ACCOUNTS accounts with the lookup tables'
 * ones; each instruction's program index a static account other than the fee payer; each
 * account index within the accounts; each lookup naming at least one index; every length in
 * bounds and no trailing byte.
 *
 * Recognised (docs/transactions.md): System Program CreateAccount (0), Transfer (2),
 * CreateAccountWithSeed (3) and TransferWithSeed (11) as native transfers (to = the account
 * credited); SPL Token and Token-2022 Transfer (3) (token empty, decimals 0xff, to = the
 * destination token account) and TransferChecked (12) (token = the mint, decimals as
 * signed); Compute Budget instructions 1 to 4 as harmless. A recognised instruction with the
 * wrong data length or too few accounts is SPOD_E_BAD_FIELD. Any other instruction, of any
 * program, sets SPOD_TXF_UNKNOWN_PROGRAM.
 *
 * Lookup tables: a v0 message that loads any account from a lookup table sets
 * SPOD_TXF_LOOKUP_TABLES; the enclave cannot know those addresses, so a transfer whose
 * recipient or mint is a lookup-table account reports that view empty (len 0) rather than a
 * guess. Program ids cannot come from lookup tables (the validators refuse it; so does this).
 *
 * Returns SPOD_OK; SPOD_E_TOO_LARGE when msg_len exceeds SPOD_SOL_MSG_MAX_BYTES, a count
 * overflows, or the message has more transfers or distinct programs than the caps of
 * summary.h; SPOD_E_TRUNCATED when a field is cut short; SPOD_E_BAD_FIELD for any other
 * encoding or sanitize error. On failure *out is zeroed.
 */
int spod_txn_sol_summarize(const uint8_t *msg, size_t msg_len, struct spod_tx_summary *out)
    __attribute__((warn_unused_result, nonnull));

/*
 * The signature slot the Ed25519 public key pub fills for the message msg[0..msg_len): its
 * index among the message's required signers. The message's structure is validated as by
 * spod_txn_sol_summarize (not its recognition caps). Returns SPOD_OK with *slot set;
 * SPOD_E_BAD_ARG when pub is not a required signer of the message; the validation errors
 * otherwise.
 */
int spod_txn_sol_signer_slot(const uint8_t *msg, size_t msg_len,
                             const uint8_t pub[static SPOD_SOL_PUBKEY_BYTES], size_t *slot)
    __attribute__((warn_unused_result, nonnull));

/*
 * Write into out[0..out_cap) the transaction tx[0..tx_len) with signature slot `slot` set to
 * sig (the other slots as they were); out may be tx itself. The transaction is validated as
 * by spod_txn_sol_split and its message's structure as by spod_txn_sol_signer_slot; the
 * signature is not verified here. Returns SPOD_OK with *out_len = tx_len; SPOD_E_BAD_ARG when
 * slot is not below the number of slots; SPOD_E_TOO_LARGE when out_cap < tx_len; the
 * validation errors otherwise (then *out_len is 0 and out is untouched).
 */
int spod_txn_sol_write_signed(const uint8_t *tx, size_t tx_len, size_t slot,
                              const uint8_t sig[static SPOD_SOL_SIG_BYTES], uint8_t *out,
                              size_t out_cap, size_t *out_len)
    __attribute__((warn_unused_result, nonnull));

#endif
