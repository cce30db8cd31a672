/*
 * The Solana routes' exec step (sol_http.h): find the key that signs, then sign through
 * the enclave's sign.tx or raw sign, so the key's policy decides as on every other route.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "host/http/handlers.h"
#include "host/http/sol_http.h"
#include "spod/err.h"

/* key.list page size while looking for the signer: small, it lives on the stack. */
#define LIST_PAGE 64u

/* Returns rc with call->err set: a refusal of the HTTP layer's own. */
__attribute__((format(printf, 3, 4))) static int refuse(struct spod_http_call *call, int rc,
                                                        const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(call->err, sizeof(call->err), fmt, ap);
	va_end(ap);
	return rc;
}

/* key.public of id, which must be an Ed25519 key: Solana signs with nothing else. */
static int key_by_id(struct spod_http_call *call, struct spod_client *c,
                     const uint8_t id[SPOD_KEY_ID_BYTES], struct spod_key_info *k)
{
	char text[2 * SPOD_KEY_ID_BYTES + 1];
	const char *alg;

	SPOD_TRY(spod_client_public(c, k, id));
	if (k->alg == SPOD_ALG_ED25519 && k->pub_len == SPOD_SOL_PUBKEY_BYTES)
		return SPOD_OK;
	spod_key_id_text(text, id);
	alg = spod_alg_name(k->alg);
	return refuse(call, SPOD_E_BAD_MODE, "key %s is a %s key: Solana signs with Ed25519 keys",
	              text, alg != NULL ? alg : "non-Ed25519");
}

/* The fee payer of a validated message: the first static account key. */
static const uint8_t *fee_payer(const uint8_t *msg)
{
	size_t off = (msg[0] & 0x80u) ? 4 : 3; /* a v0 message's version byte, then the header */

	/* The account count is a compact-u16 of 1 to 3 bytes, each but the last >= 0x80. */
	for (int i = 0; i < 2 && (msg[off] & 0x80u); i++)
		off++;
	return msg + off + 1;
}

/* The one key of the token (key.list, every page) that is a required signer of msg. */
static int pick_signer(struct spod_http_call *call, struct spod_client *c, const uint8_t *msg,
                       size_t msg_len, struct spod_key_info *k)
{
	struct spod_key_info page[LIST_PAGE];
	struct spod_http_sol_pick p = {0};
	char a[SPOD_HTTP_SOL_ADDR_TEXT_BYTES], b[SPOD_HTTP_SOL_ADDR_TEXT_BYTES];
	uint32_t cursor = 0;
	size_t n;

	do {
		SPOD_TRY(spod_client_list(c, page, LIST_PAGE, &n, &cursor));
		spod_http_sol_pick_add(&p, msg, msg_len, page, n);
	} while (cursor != 0);
	if (p.found == 1) {
		*k = p.key[0];
		return SPOD_OK;
	}
	if (p.found == 0) {
		if (spod_http_sol_address(a, fee_payer(msg)) < 0)
			a[0] = '\0';
		return refuse(call, SPOD_E_FORBIDDEN,
		              "no key this token may use is a required signer of the transaction "
		              "(fee payer %s)",
		              a);
	}
	if (spod_http_sol_address(a, p.key[0].pub) < 0 ||
	    spod_http_sol_address(b, p.key[1].pub) < 0)
		a[0] = b[0] = '\0';
	return refuse(call, SPOD_E_BAD_ARG,
	              "%zu keys of this token sign the transaction (%s, %s, ...): say which "
	              "with key_id",
	              p.found, a, b);
}

int spod_http_sol_tx_exec(struct spod_http_call *call, struct spod_client *c)
{
	const struct spod_http_sol_tx *in = &call->in.sol_tx;
	struct spod_http_sol_out *out = &call->out.sol;
	const uint8_t *msg = in->tx + in->msg_off;
	struct spod_key_info k;
	char id[2 * SPOD_KEY_ID_BYTES + 1], addr[SPOD_HTTP_SOL_ADDR_TEXT_BYTES];
	size_t slot;

	call->err[0] = '\0';
	if (in->has_key_id) {
		SPOD_TRY(key_by_id(call, c, in->key_id, &k));
		if (spod_txn_sol_signer_slot(msg, in->msg_len, k.pub, &slot) != SPOD_OK) {
			spod_key_id_text(id, k.id);
			if (spod_http_sol_address(addr, k.pub) < 0)
				addr[0] = '\0';
			return refuse(call, SPOD_E_BAD_ARG,
			              "key %s (%s) is not a required signer of the transaction", id,
			              addr);
		}
	} else {
		SPOD_TRY(pick_signer(call, c, msg, in->msg_len, &k));
	}
	SPOD_TRY(spod_client_sign_tx(c, &out->info, out->signed_tx, sizeof(out->signed_tx),
	                             &out->len, k.id, SPOD_TX_CHAIN_SOLANA, in->tx, in->tx_len));
	/* The enclave fills one slot of this very message: anything else does not fit. */
	if (out->len != in->tx_len || memcmp(out->signed_tx + in->msg_off, msg, in->msg_len) != 0 ||
	    spod_txn_sol_signer_slot(msg, in->msg_len, k.pub, &slot) != SPOD_OK)
		return refuse(call, SPOD_E_PROTOCOL, "the signed transaction is not the one sent");
	memcpy(out->sig, out->signed_tx + in->sigs_off + slot * SPOD_SOL_SIG_BYTES,
	       SPOD_SOL_SIG_BYTES);
	memcpy(out->key_id, k.id, sizeof(out->key_id));
	memcpy(out->signer, k.pub, sizeof(out->signer));
	return SPOD_OK;
}

/* The token's Ed25519 key whose public key is address (key.list, every page). */
static int key_by_address(struct spod_http_call *call, struct spod_client *c,
                          const uint8_t address[SPOD_SOL_PUBKEY_BYTES], struct spod_key_info *k)
{
	struct spod_key_info page[LIST_PAGE];
	char text[SPOD_HTTP_SOL_ADDR_TEXT_BYTES];
	uint32_t cursor = 0;
	size_t n;

	do {
		SPOD_TRY(spod_client_list(c, page, LIST_PAGE, &n, &cursor));
		for (size_t i = 0; i < n; i++) {
			if (page[i].alg == SPOD_ALG_ED25519 &&
			    page[i].pub_len == SPOD_SOL_PUBKEY_BYTES &&
			    memcmp(page[i].pub, address, SPOD_SOL_PUBKEY_BYTES) == 0) {
				*k = page[i];
				return SPOD_OK;
			}
		}
	} while (cursor != 0);
	if (spod_http_sol_address(text, address) < 0)
		text[0] = '\0';
	return refuse(call, SPOD_E_KEY_NOT_FOUND, "no key this token may use has address %s", text);
}

int spod_http_sol_msg_exec(struct spod_http_call *call, struct spod_client *c)
{
	const struct spod_http_sol_msg *in = &call->in.sol_msg;
	struct spod_http_sol_out *out = &call->out.sol;
	struct spod_signature sig;
	struct spod_key_info k;

	call->err[0] = '\0';
	if (in->has_key_id)
		SPOD_TRY(key_by_id(call, c, in->key_id, &k));
	else
		SPOD_TRY(key_by_address(call, c, in->address, &k));
	SPOD_TRY(spod_client_sign(c, &sig, k.id, SPOD_MODE_RAW, in->msg, in->len));
	if (sig.alg != SPOD_ALG_ED25519 || sig.sig_len != SPOD_SOL_SIG_BYTES)
		return refuse(call, SPOD_E_PROTOCOL, "the pod's signature is not Ed25519");
	memcpy(out->sig, sig.sig, SPOD_SOL_SIG_BYTES);
	memcpy(out->key_id, k.id, sizeof(out->key_id));
	memcpy(out->signer, k.pub, sizeof(out->signer));
	out->len = 0;
	return SPOD_OK;
}
