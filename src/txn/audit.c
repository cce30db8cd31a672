/* The sign.tx audit digest (txn/audit.h), moved out of spod-host's admission unchanged. */
#include "txn/audit.h"

#include <string.h>

#include "crypto/hash.h"
#include "txn/eip712.h"
#include "txn/eth.h"
#include "txn/sol.h"

static void eth_digest(uint8_t digest[32], uint8_t form, const uint8_t *tx, size_t len)
{
	struct spod_tx_summary sum;
	int rc = SPOD_E_BAD_FIELD;

	if (form == SPOD_TXN_FORM_EIP191)
		rc = spod_txn_eth_eip191(tx, len, &sum);
	else if (form == SPOD_TXN_FORM_EIP712)
		rc = spod_txn_eip712_decode(tx, len, &sum);
	else if (form == SPOD_TXN_FORM_AUTHORIZATION)
		rc = spod_txn_eth_auth_hash(tx, len, &sum);
	if (rc == SPOD_OK)
		memcpy(digest, sum.digest, 32);
	else
		spod_keccak256(digest, tx, len); /* a transaction's signing hash, or the bytes' */
}

void spod_txn_audit_digest(uint8_t chain, uint8_t form, const uint8_t *tx, size_t len,
                           uint8_t out[32])
{
	size_t sigs_off, n_sigs, msg_off = 0, msg_len = len;

	if (chain == SPOD_CHAIN_ETHEREUM) {
		eth_digest(out, form, tx, len);
		return;
	}
	if (spod_txn_sol_split(tx, len, &sigs_off, &n_sigs, &msg_off, &msg_len) < 0) {
		msg_off = 0;
		msg_len = len;
	}
	spod_sha256(out, tx + msg_off, msg_len);
}
