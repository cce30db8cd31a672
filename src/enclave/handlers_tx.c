/*
 * sign.tx (docs/transactions.md, "Signing"): the enclave decodes the unsigned transaction
 * itself and signs only what its decoder computed from those bytes (the Ethereum signing hash,
 * the Solana message), never a digest the caller supplied. For Ethereum the request's form may
 * instead be an EIP-191 personal message, EIP-712 typed data (its CBOR form) or an EIP-7702
 * authorization; their answer carries the signature r || s || v. The answer carries the decoded
 * fields and the signed transaction, written in place into the response frame.
 */
#include <string.h>

#include "crypto/sign.h"
#include "enclave/handlers_int.h"
#include "txn/audit.h"
#include "txn/eip712.h"
#include "txn/eth.h"
#include "txn/sol.h"

_Static_assert(SPOD_TX_MAX_TRANSFERS == SPOD_TX_XFER_MAX,
               "a sign.tx answer holds every transfer a decoder can report");
_Static_assert(SPOD_TX_CHAIN_ETHEREUM == SPOD_CHAIN_ETHEREUM &&
                   SPOD_TX_CHAIN_SOLANA == SPOD_CHAIN_SOLANA,
               "the wire's chain ids are txn/summary.h's");
_Static_assert(SPOD_TX_FORM_TRANSACTION == SPOD_TXN_FORM_TRANSACTION &&
                   SPOD_TX_FORM_EIP191 == SPOD_TXN_FORM_EIP191 &&
                   SPOD_TX_FORM_EIP712 == SPOD_TXN_FORM_EIP712 &&
                   SPOD_TX_FORM_AUTHORIZATION == SPOD_TXN_FORM_AUTHORIZATION,
               "the wire's sign.tx forms are txn/audit.h's");

/* What one chain's signing left for the answer: the signed transaction's length. */
struct tx_signing {
	const struct spod_sign_tx_req *req;
	const struct spod_key_entry *key;
	struct spod_tx_summary sum;
	struct spod_txn_eth eth; /* Ethereum: where the fields are, for write_signed */
	size_t sol_slot;         /* Solana: the key's signature slot */
	size_t sol_msg_off;      /* Solana: the message inside req->tx */
};

/*
 * Decodes the request's transaction into t->sum and checks the key may sign it; *why says
 * what was wrong when the decoder's code alone would not.
 */
static int decode(struct tx_signing *t, const char **why)
{
	const struct spod_sign_tx_req *r = t->req;
	size_t sigs_off, n_sigs, msg_len;
	int rc;

	if (r->chain == SPOD_TX_CHAIN_ETHEREUM) {
		if (t->key->sk.alg != SPOD_ALG_SECP256K1) {
			*why = "Ethereum transactions are signed by a secp256k1 key (BAD_MODE)";
			return SPOD_E_BAD_MODE;
		}
		switch (r->form) {
		case SPOD_TX_FORM_EIP191:
			return spod_txn_eth_eip191(r->tx, r->tx_len, &t->sum);
		case SPOD_TX_FORM_EIP712:
			return spod_txn_eip712_decode(r->tx, r->tx_len, &t->sum);
		case SPOD_TX_FORM_AUTHORIZATION:
			return spod_txn_eth_auth_hash(r->tx, r->tx_len, &t->sum);
		default:
			return spod_txn_eth_decode(r->tx, r->tx_len, &t->sum, &t->eth);
		}
	}
	if (t->key->sk.alg != SPOD_ALG_ED25519) {
		*why = "Solana transactions are signed by an ed25519 key (BAD_MODE)";
		return SPOD_E_BAD_MODE;
	}
	SPOD_TRY(
	    spod_txn_sol_split(r->tx, r->tx_len, &sigs_off, &n_sigs, &t->sol_msg_off, &msg_len));
	SPOD_TRY(spod_txn_sol_summarize(r->tx + t->sol_msg_off, msg_len, &t->sum));
	/* The key must be one of the message's required signers; BAD_ARG when it is not. */
	rc = spod_txn_sol_signer_slot(t->sum.message.ptr, t->sum.message.len, t->key->pub,
	                              &t->sol_slot);
	if (rc == SPOD_E_BAD_ARG)
		*why = "the key is not a required signer of this transaction (BAD_ARG)";
	return rc;
}

/* Signs and writes the signed transaction to dst[0..room). */
static int sign_into(const struct tx_signing *t, uint8_t *dst, size_t room, size_t *signed_len)
{
	const struct spod_sign_tx_req *r = t->req;
	uint8_t sig[SPOD_SIG_MAX_BYTES];
	size_t sig_len;
	uint8_t recid;

	if (r->chain == SPOD_TX_CHAIN_ETHEREUM) {
		SPOD_TRY(spod_sign(sig, &sig_len, &recid, &t->key->sk, SPOD_MODE_DIGEST,
		                   t->sum.digest, sizeof(t->sum.digest)));
		if (r->form == SPOD_TX_FORM_TRANSACTION)
			return spod_txn_eth_write_signed(r->tx, r->tx_len, &t->eth, sig, recid, dst,
			                                 room, signed_len);
		/* A message, typed data or authorization: r || s || v, as wallets give it. */
		memcpy(dst, sig, 64);
		dst[64] = (uint8_t)(r->form == SPOD_TX_FORM_AUTHORIZATION ? recid : 27 + recid);
		*signed_len = 65;
		return SPOD_OK;
	}
	SPOD_TRY(spod_sign(sig, &sig_len, &recid, &t->key->sk, SPOD_MODE_RAW, t->sum.message.ptr,
	                   t->sum.message.len));
	return spod_txn_sol_write_signed(r->tx, r->tx_len, t->sol_slot, sig, dst, room, signed_len);
}

static int put_transfers(uint8_t *out, const struct spod_tx_summary *sum)
{
	for (size_t i = 0; i < sum->n_transfers; i++) {
		const struct spod_tx_transfer *x = &sum->transfers[i];
		struct spod_tx_xfer w = {
		    .asset = x->asset,
		    .decimals = x->decimals,
		    .token = x->token.ptr,
		    .token_len = (uint32_t)x->token.len,
		    .to = x->to.ptr,
		    .to_len = (uint32_t)x->to.len,
		    .amount = x->amount.be,
		};
		SPOD_TRY(
		    spod_wire_sign_tx_put_xfer(out, (uint32_t)sum->n_transfers, (uint32_t)i, &w));
	}
	return SPOD_OK;
}

/* Decodes, gates and signs t->req into the answer; g is the gate when the policy decided. */
static int sign_tx(struct spod_enclave_state *st, const struct spod_frame *f, struct tx_signing *t,
                   struct spod_gate *g, uint8_t *out, size_t cap, size_t *len)
{
	struct spod_sign_tx_view v;
	size_t room, signed_len;
	uint8_t *dst;

	if (t->key == NULL)
		return SPOD_E_KEY_NOT_FOUND;
	SPOD_TRY(decode(t, &st->why));

	/*
	 * POLICY GATE (docs/policy.md): the key's policy decides over t->sum, which the enclave
	 * decoded itself, before any signature exists; what it allowed is recorded in its windows
	 * and rates once signed.
	 */
	SPOD_TRY(spod_enclave_policy_gate(st, t->key, &t->sum, g));

	dst = spod_wire_sign_tx_reserve(out, cap, (uint32_t)t->sum.n_transfers, &room);
	if (dst == NULL)
		return SPOD_E_INTERNAL; /* cap >= SPOD_ENCLAVE_RESP_MAX holds the largest answer */
	SPOD_TRY(put_transfers(out, &t->sum));
	SPOD_TRY(sign_into(t, dst, room, &signed_len));
	spod_enclave_policy_done(&t->sum, g);
	v = (struct spod_sign_tx_view){
	    .chain = t->req->chain,
	    .kind = t->sum.kind,
	    .flags = t->sum.flags,
	    .chain_id = t->sum.chain_id,
	    .n_transfers = (uint32_t)t->sum.n_transfers,
	    .signed_len = (uint32_t)signed_len,
	};
	spod_wire_sign_tx_commit(out, len, f->hdr.request_id, &v);
	return SPOD_OK;
}

int spod_enclave_do_sign_tx(struct spod_enclave_state *st, const struct spod_frame *f, uint8_t *out,
                            size_t cap, size_t *len)
{
	struct spod_sign_tx_req req;
	struct tx_signing t;
	struct spod_gate g;
	uint8_t digest[32];
	int rc;

	SPOD_TRY(spod_wire_sign_tx_req(&req, f));
	memset(&t, 0, sizeof(t));
	memset(&g, 0, sizeof(g));
	t.req = &req;
	t.key = spod_enclave_find_key(st, req.key_id);
	rc = sign_tx(st, f, &t, &g, out, cap, len);
	/* Evidence, whatever the outcome, under the digest spod-host's audit computes too. */
	if (st->ev_batch != NULL) {
		spod_txn_audit_digest(req.chain, req.form, req.tx, req.tx_len, digest);
		spod_enclave_evidence_note(st, SPOD_OP_SIGN_TX, req.chain, req.form, rc, req.key_id,
		                           digest, t.key, &g);
	}
	return rc;
}
