/*
 * EIP-712 typed data (eth_signTypedData_v4), decoded and hashed inside the enclave from its
 * structure, never from a digest the host supplies (docs/transactions.md, "EIP-712 typed
 * data"). The enclave links no JSON parser: the host converts the JSON to the deterministic
 * CBOR form below (src/convert/typed_data_json.h) and this decoder validates it.
 *
 * The form: a map with the unsigned keys 1..4, all present, in this order, every head in its
 * shortest form (attest/cbor.h, spod_cbor_next_canon):
 *   1 types        array of [name, [[member name, member type], ...]], sorted by name
 *                  (bytewise, strictly ascending); it must hold EIP712Domain
 *   2 primaryType  text, a type of 1 other than EIP712Domain
 *   3 domain       the EIP712Domain value
 *   4 message      the primaryType value
 * A struct value is an array of its members' values in declared order; an array value (T[],
 * T[n]) an array of its elements; uintN a byte string, big-endian, no leading zero byte (0 is
 * the empty string); intN a byte string, minimal big-endian two's complement (no leading 0x00
 * before a byte below 0x80, no leading 0xff before a byte from 0x80; 0 is the empty string);
 * bool a CBOR boolean; address a 20-byte, bytesN an N-byte and bytes any byte string; string
 * a text string (valid UTF-8).
 *
 * Error codes: SPOD_E_TRUNCATED (the input ends inside an item), SPOD_E_TOO_LARGE (an integer
 * wider than its type, a chainId above 2^64 - 1, or over a cap below), SPOD_E_BAD_FIELD
 * (anything else: a non-canonical head, a wrong key or kind, a type name that is not an
 * identifier, types not sorted, a duplicate member, a member type that names no type, a
 * cycle among the types, EIP712Domain members other than an ordered subset of name, version,
 * chainId, verifyingContract, salt with their standard types, a struct value with a missing or
 * extra member, a fixed array of the wrong length, an address or bytesN of the wrong length,
 * a non-minimal integer, invalid UTF-8, trailing bytes).
 */
#ifndef SPOD_TXN_EIP712_H
#define SPOD_TXN_EIP712_H

#include <stddef.h>
#include <stdint.h>

#include "spod/err.h"
#include "txn/summary.h"

/* Caps (beyond them SPOD_E_TOO_LARGE). */
#define SPOD_EIP712_MAX_TYPES        32u   /* entries of types, EIP712Domain included */
#define SPOD_EIP712_MAX_MEMBERS      32u   /* members of one type */
#define SPOD_EIP712_MAX_ALL_MEMBERS  256u  /* members of all types together */
#define SPOD_EIP712_MAX_DEPTH        16u   /* nested struct and array values below the root */
#define SPOD_EIP712_MAX_NODES        4096u /* values of domain and message together */
#define SPOD_EIP712_MAX_ARRAY_LENGTH 4096u /* n of a fixed array type T[n] */

/* Keys of the CBOR form. */
enum {
	SPOD_EIP712_K_TYPES = 1,
	SPOD_EIP712_K_PRIMARY_TYPE = 2,
	SPOD_EIP712_K_DOMAIN = 3,
	SPOD_EIP712_K_MESSAGE = 4,
};

/*
 * Decodes the typed data cbor[0..len) into *out: chain SPOD_CHAIN_ETHEREUM, kind
 * SPOD_TX_ETH_EIP712, domain_name / domain_version (text) and domain_contract (20 bytes) as
 * views into cbor (empty when the domain lacks them), chain_id the domain's chainId (0 when it
 * has none) and digest = keccak256(0x19 0x01 || domainSeparator || hashStruct(message)).
 * Returns SPOD_OK or a code of the header comment; on failure *out is zeroed.
 */
int spod_txn_eip712_decode(const uint8_t *cbor, size_t len, struct spod_tx_summary *out)
    __attribute__((warn_unused_result, nonnull(3)));

/*
 * As spod_txn_eip712_decode, and also writes the domain separator and hashStruct(message)
 * (zeroed on failure) for tests and evidence.
 */
int spod_txn_eip712_decode_parts(const uint8_t *cbor, size_t len, struct spod_tx_summary *out,
                                 uint8_t domain_separator[static 32],
                                 uint8_t message_hash[static 32])
    __attribute__((warn_unused_result, nonnull(3, 4, 5)));

#endif
