/*
 * The digest a sign.tx request is recorded under (docs/transactions.md, "Signing"; docs/audit.md):
 * spod-host's audit row and spod-enclave's evidence record (docs/evidence.md) must carry the same
 * 32 bytes for the same request, so both compute it here.
 */
#ifndef SPOD_TXN_AUDIT_H
#define SPOD_TXN_AUDIT_H

#include <stddef.h>
#include <stdint.h>

/* The sign.tx forms (the wire's enum spod_tx_form; handlers_tx.c asserts they agree). */
#define SPOD_TXN_FORM_TRANSACTION   0u
#define SPOD_TXN_FORM_EIP191        1u
#define SPOD_TXN_FORM_EIP712        2u
#define SPOD_TXN_FORM_AUTHORIZATION 3u

/*
 * Writes to out what the key signs for tx[0..len) of chain (txn/summary.h's SPOD_CHAIN_*) and
 * form: Ethereum the transaction's signing hash (keccak256 of the unsigned transaction), the
 * EIP-191 or EIP-712 digest, the authorization's hash; Solana SHA-256 of the message. Input
 * that does not decode gets keccak256 of the bytes (Ethereum) or SHA-256 of the whole
 * transaction (Solana), so the record still names what was asked. Every chain other than
 * Ethereum is read as Solana. Never fails.
 */
void spod_txn_audit_digest(uint8_t chain, uint8_t form, const uint8_t *tx, size_t len,
                           uint8_t out[32]) __attribute__((nonnull(5)));

#endif
