/*
 * The text forms of a sign.tx summary shared by the CLI (spod sign-tx --json) and the HTTP API
 * (POST /v1/keys/{id}/sign-transaction), so both print the same words (docs/cli.md,
 * docs/openapi.yaml): type names, addresses, amounts.
 */
#ifndef SPOD_CONVERT_TX_TEXT_H
#define SPOD_CONVERT_TX_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* Digits of 2^256 - 1 (78) and a NUL. */
#define SPOD_TX_AMOUNT_TEXT_BYTES 80u
/* The longest address text: "0x" and 64 hex digits (base58 of 32 bytes is at most 44). */
#define SPOD_TX_ADDR_TEXT_BYTES 67u

/*
 * The type of a decoded transaction: "legacy", "eip2930", "eip1559", "eip4844", "eip7702"
 * for Ethereum kinds 1..5, "legacy" and "v0" for Solana kinds 16 and 17, "unknown" else.
 */
const char *spod_tx_type_name(uint8_t kind);

/* The 256-bit big-endian amount be in decimal, NUL-terminated. */
void spod_tx_amount_text(char out[SPOD_TX_AMOUNT_TEXT_BYTES], const uint8_t be[32])
    __attribute__((nonnull));

/*
 * An address of chain (SPOD_TX_CHAIN_*): base58 for a 32-byte Solana address, "0x" and
 * lowercase hex otherwise. Returns SPOD_OK, or SPOD_E_TOO_LARGE for len over 32.
 */
int spod_tx_addr_text(char out[SPOD_TX_ADDR_TEXT_BYTES], uint8_t chain, const uint8_t *addr,
                      size_t len) __attribute__((warn_unused_result, nonnull));

/* The names of the SPOD_TXF_* flags by bit (0..3), for JSON arrays. */
extern const char *const spod_tx_flag_names[4];

#endif
