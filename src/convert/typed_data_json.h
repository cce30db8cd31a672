/*
 * Host-side conversion of EIP-712 typed data from the JSON of eth_signTypedData_v4 (as
 * ethers and MetaMask send it: {types, primaryType, domain, message}) to the deterministic
 * CBOR form the enclave decodes and hashes (src/txn/eip712.h, docs/transactions.md). The
 * enclave never sees JSON.
 *
 * Accepted beyond the strict form: EIP712Domain may be left out of types, and is then derived
 * from the domain's fields in the order name, version, chainId, verifyingContract, salt;
 * integers may be JSON integers, decimal strings or 0x-hex strings, each with an optional
 * leading '-' (as ethers' getBigInt); addresses may be any case, and a mixed-case one must
 * carry its EIP-55 checksum. bytes and bytesN are 0x-hex strings, bool a JSON boolean.
 */
#ifndef SPOD_CONVERT_TYPED_DATA_JSON_H
#define SPOD_CONVERT_TYPED_DATA_JSON_H

#include <stddef.h>
#include <stdint.h>

/* Room for any message the converter writes. */
#define SPOD_TYPED_DATA_JSON_ERR_BYTES 256u

/*
 * Converts the typed-data JSON text json[0..len) to its CBOR form in out[0..cap) and sets
 * *out_len. The output is exactly what spod_txn_eip712_decode accepts (checked before
 * returning). On failure *out_len is 0 and err (NUL-terminated) names the path of what was
 * wrong, e.g. `message.to.wallet: not an address`. Returns SPOD_OK, SPOD_E_BAD_FIELD (not
 * JSON, or not valid typed data), SPOD_E_TOO_LARGE (an integer out of its type's range, over
 * a cap of txn/eip712.h, or out too small) or SPOD_E_NOMEM.
 */
int spod_typed_data_from_json(uint8_t *out, size_t cap, size_t *out_len, const char *json,
                              size_t len, char *err, size_t err_cap)
    __attribute__((warn_unused_result, nonnull(3, 6)));

#endif
