/*
 * Ethereum transactions and messages the enclave signs, decoded into a struct spod_tx_summary
 * (txn/summary.h) before any key touches them (docs/transactions.md, "Ethereum").
 *
 * Accepted: unsigned transactions as wallets serialise them for signing, in canonical RLP
 * only (txn/rlp.h):
 *   legacy   rlp([nonce, gasPrice, gas, to, value, data])                      pre-EIP-155
 *            rlp([nonce, gasPrice, gas, to, value, data, chainId, 0, 0])         EIP-155
 *   0x01 || rlp([chainId, nonce, gasPrice, gas, to, value, data, accessList])   EIP-2930
 *   0x02 || rlp([chainId, nonce, maxPriorityFee, maxFee, gas, to, value, data, accessList])
 *   0x03 || rlp([... as 0x02, maxFeePerBlobGas, blobVersionedHashes])          EIP-4844
 *   0x04 || rlp([... as 0x02, authorizationList])                              EIP-7702
 * The signing hash is keccak256 of exactly these bytes, so it is computed from the input
 * itself; the decoder only proves the input means what the summary says.
 *
 * Every function here validates its whole input before it returns SPOD_OK and fills the
 * summary with views into the input (valid as long as the input buffer). On failure the
 * summary is zeroed. Error codes: SPOD_E_TRUNCATED (an item runs past its container or the
 * input is empty), SPOD_E_TOO_LARGE (an integer wider than its field, a chain id above the
 * EIP-2294 bound, more authorizations than SPOD_TX_MAX_DELEGATES), SPOD_E_BAD_FIELD
 * (anything else: non-canonical RLP, unknown type byte, wrong field count or kind, wrong
 * length of an address, storage key or blob hash, trailing bytes, missing `to` where one is
 * required, chain id 0, a malformed ERC-20 transfer call).
 */
#ifndef SPOD_TXN_ETH_H
#define SPOD_TXN_ETH_H

#include <stddef.h>
#include <stdint.h>

#include "spod/err.h"
#include "txn/summary.h"

/* EIP-2294: the largest chain id for which an EIP-155 v = 2*chainId + 36 fits in 64 bits. */
#define SPOD_ETH_CHAIN_ID_MAX (UINT64_MAX / 2 - 36)

/* The ERC-20 transfer(address,uint256) selector, keccak256("transfer(address,uint256)")[0..4). */
#define SPOD_ETH_ERC20_TRANSFER 0xa9059cbbu

/*
 * What spod_txn_eth_write_signed needs from a decoded transaction: offsets into the
 * decoded buffer, not pointers, so the struct may be kept beside a copy of the bytes.
 */
struct spod_txn_eth {
	uint8_t type;      /* 0 legacy, else the EIP-2718 type byte 0x01..0x04 */
	uint8_t eip155;    /* legacy: 1 when [chainId, 0, 0] follow the six fields */
	uint64_t chain_id; /* 0 for pre-EIP-155 legacy */
	size_t fields_off; /* offset in the input of the first field of the list */
	size_t fields_len; /* bytes of the fields the signed transaction keeps */
};

/*
 * Decodes the unsigned transaction tx[0..len) into *out (and *eth, for signing), and writes
 * its signing hash to out->digest. chain is SPOD_CHAIN_ETHEREUM, kind one of
 * SPOD_TX_ETH_LEGACY .. SPOD_TX_ETH_7702. See the header comment for what is accepted and the
 * error codes; out and eth are zeroed on failure.
 *
 * Calldata: an ERC-20 transfer(address,uint256) is a token transfer (token = `to`; exactly
 * 4 + 64 bytes with a clean address word, else SPOD_E_BAD_FIELD); any other non-empty
 * calldata sets SPOD_TXF_UNKNOWN_CALL. An empty `to` (legacy, 0x01, 0x02 only) sets
 * SPOD_TXF_CONTRACT_CREATE and data is then init code (no selector). A non-zero value is a
 * native transfer (decimals 18) listed first.
 */
int spod_txn_eth_decode(const uint8_t *tx, size_t len, struct spod_tx_summary *out,
                        struct spod_txn_eth *eth)
    __attribute__((warn_unused_result, nonnull(3, 4)));

/*
 * Writes the signed transaction, ready for eth_sendRawTransaction, to out[0..cap) and its
 * length to *out_len: the fields of tx (decoded into eth by spod_txn_eth_decode from these
 * same bytes) followed by v, r, s (legacy: v = 27 + recid, or 2*chainId + 35 + recid under
 * EIP-155) or y_parity, r, s (typed: y_parity = recid), each a canonical integer.
 * sig64 is r||s as spod_sign writes it for secp256k1, recid its recovery id.
 * Returns SPOD_OK, SPOD_E_BAD_ARG (recid not 0 or 1, r or s zero, eth not from tx) or
 * SPOD_E_TOO_LARGE (cap too small); *out_len is 0 on failure.
 */
int spod_txn_eth_write_signed(const uint8_t *tx, size_t len, const struct spod_txn_eth *eth,
                              const uint8_t sig64[64], uint8_t recid, uint8_t *out, size_t cap,
                              size_t *out_len)
    __attribute__((warn_unused_result, nonnull(3, 4, 6, 8)));

/*
 * Decodes in[0..len) as an EIP-7702 authorization rlp([chain_id, address, nonce]) and writes
 * keccak256(0x05 || in) to out->digest. kind SPOD_TX_ETH_7702_AUTH, chain_id the tuple's (0
 * means any chain; above SPOD_ETH_CHAIN_ID_MAX is SPOD_E_TOO_LARGE), the address as the one
 * delegate. Errors as spod_txn_eth_decode; out zeroed on failure.
 */
int spod_txn_eth_auth_hash(const uint8_t *in, size_t len, struct spod_tx_summary *out)
    __attribute__((warn_unused_result, nonnull(3)));

/*
 * EIP-191 version 0x45 (personal_sign): out->digest = keccak256("\x19Ethereum Signed
 * Message:\n" || decimal len || msg), kind SPOD_TX_ETH_EIP191, data the message itself.
 * Returns SPOD_OK, or SPOD_E_BAD_ARG for a NULL msg with len > 0 (out zeroed).
 */
int spod_txn_eth_eip191(const uint8_t *msg, size_t len, struct spod_tx_summary *out)
    __attribute__((warn_unused_result, nonnull(3)));

#endif
