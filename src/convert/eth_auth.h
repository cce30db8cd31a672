/*
 * EIP-7702 authorizations as the CLI (spod sign-authorization) and the HTTP API
 * (POST /v1/keys/{id}/sign-authorization) build them, so both sign the same bytes: the
 * delegate's address text and the tuple rlp([chain_id, address, nonce]) that sign.tx's form
 * AUTHORIZATION takes (the enclave hashes 0x05 || tuple, docs/transactions.md).
 */
#ifndef SPOD_CONVERT_ETH_AUTH_H
#define SPOD_CONVERT_ETH_AUTH_H

#include <stddef.h>
#include <stdint.h>

/* "0x" and 40 hex digits. */
#define SPOD_ETH_ADDR_TEXT_LEN 42u
/* Room for the longest tuple: a 1-byte list header, two 9-byte integers, a 21-byte address. */
#define SPOD_ETH_AUTH_RLP_MAX_BYTES 40u

/*
 * Parses an Ethereum address text[0..len) (no NUL needed): "0x" and 40 hex digits, all lower
 * case, all upper case, or mixed case carrying its EIP-55 checksum. Returns SPOD_OK, or
 * SPOD_E_BAD_ARG (addr zeroed).
 */
int spod_eth_addr_parse(uint8_t addr[20], const char *text, size_t len)
    __attribute__((warn_unused_result, nonnull(1)));

/*
 * Writes rlp([chain_id, address, nonce]) to out[0..cap) and its length to *len. Returns
 * SPOD_OK, or SPOD_E_TOO_LARGE when cap is below what the tuple needs (at most
 * SPOD_ETH_AUTH_RLP_MAX_BYTES).
 */
int spod_eth_auth_rlp(uint8_t *out, size_t cap, size_t *len, uint64_t chain_id,
                      const uint8_t addr[20], uint64_t nonce)
    __attribute__((warn_unused_result, nonnull));

#endif
