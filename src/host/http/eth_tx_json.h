/*
 * The unsigned Ethereum transaction of a JSON-RPC transaction object (eth_signTransaction,
 * docs/ethereum.md), serialized with the RLP writer (txn/rlp.h) exactly as ethers and geth
 * serialize it for signing. Pure: no I/O, allocation only inside jansson.
 *
 * Fields: from, to, gas (or gasLimit), gasPrice | maxFeePerGas + maxPriorityFeePerGas,
 * value, data (or input), nonce, chainId, type, accessList; maxFeePerBlobGas and
 * blobVersionedHashes for type 3; authorizationList for type 4 (EIP-7702: entries
 * {chainId, address, nonce, yParity (or v), r, s}). Quantities are "0x" hex strings
 * (JSON-RPC's QUANTITY, leading zeros tolerated) or non-negative JSON integers, at most 256
 * bits; byte strings are "0x" hex of even length. Nothing is filled in here (eth_send.c
 * fills from the key's policy and the downstream node first): nonce, gas and the fees are
 * required, and chainId for every typed transaction.
 *
 * The type is "type" if given, else 4 with authorizationList, 2 with maxFeePerGas, 1 with
 * accessList, 0 otherwise. Type 0 with chainId is EIP-155's [.., chainId, 0, 0]; without it,
 * pre-EIP-155.
 */
#ifndef SPOD_HTTP_ETH_TX_JSON_H
#define SPOD_HTTP_ETH_TX_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define SPOD_ETH_TX_ERR_BYTES 160u

struct spod_eth_tx_out {
	int has_from;
	uint8_t from[20];
	unsigned type; /* 0..4 */
	size_t len;    /* bytes of the unsigned transaction in the caller's buffer */
};

/*
 * Builds the unsigned transaction of obj into buf[0..cap). Returns SPOD_OK with out filled,
 * SPOD_E_BAD_ARG (err names the field: "gas: required", "to: not an address") or
 * SPOD_E_TOO_LARGE (does not fit cap). err is always NUL-terminated.
 */
int spod_eth_tx_from_json(struct spod_eth_tx_out *out, uint8_t *buf, size_t cap, const json_t *obj,
                          char err[SPOD_ETH_TX_ERR_BYTES])
    __attribute__((warn_unused_result, nonnull(1, 2, 5)));

/*
 * A QUANTITY: "0x" hex (1..64 digits, leading zeros tolerated) or a non-negative JSON
 * integer, as 32 big-endian bytes. Returns SPOD_OK or SPOD_E_BAD_ARG.
 */
int spod_eth_tx_quantity(uint8_t be[32], const json_t *v) __attribute__((warn_unused_result));

/* Parses "0x" and 40 hex digits (EIP-55 checked when mixed case). SPOD_OK or SPOD_E_BAD_ARG. */
int spod_eth_tx_address(uint8_t addr[20], const json_t *v)
    __attribute__((warn_unused_result, nonnull(1)));

#endif
