/*
 * libFuzzer target for the HTTP API's request parsers (src/host/http/json_req.c, auth_req.c,
 * sol_http.c, b64.c).
 *
 * Every input goes to every JSON body parser and to the key id and base64 parsers. A parser
 * that accepts must produce output inside the protocol's limits (what the handlers pass to
 * libspod unchecked); one that refuses must name a code and a NUL-terminated message and
 * leave its output's lengths at zero.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/b64.h"
#include "host/http/json_req.h"
#include "host/http/sol_http.h"
#include "spod/err.h"
#include "spod/wire.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static struct spod_http_generate gen;
static struct spod_http_sign sign;
static struct spod_http_sign_tx stx;
static struct spod_http_sign_auth sauth;
static struct spod_http_batch batch;
static struct spod_http_attest att;
static struct spod_http_envelope env;
static struct spod_http_sol_tx soltx;
static struct spod_http_sol_msg solmsg;
static uint8_t decoded[SPOD_MSG_MAX_BYTES];

static void check_refusal(int rc, const struct spod_http_perr *err)
{
	CHECK(rc == SPOD_E_BAD_ARG || rc == SPOD_E_NOMEM);
	CHECK(err->code != NULL);
	CHECK(memchr(err->msg, '\0', sizeof(err->msg)) != NULL);
	CHECK(err->msg[0] != '\0');
}

static void check_mode(uint8_t mode, size_t data_len)
{
	CHECK(mode <= SPOD_MODE_KECCAK256);
	CHECK(data_len <= SPOD_MSG_MAX_BYTES);
	if (mode == SPOD_MODE_DIGEST)
		CHECK(data_len == SPOD_DIGEST_BYTES);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct spod_http_perr err;
	uint8_t id[SPOD_KEY_ID_BYTES];
	size_t n;
	int rc;

	rc = spod_http_json_generate(&gen, &err, text, size);
	if (rc == SPOD_OK) {
		CHECK(spod_alg_valid(gen.alg));
		CHECK(gen.label_len <= SPOD_LABEL_MAX_BYTES);
		CHECK(gen.label[gen.label_len] == '\0');
		CHECK(gen.label_len == 0 || spod_label_valid(gen.label, gen.label_len));
	} else {
		check_refusal(rc, &err);
		CHECK(gen.alg == 0 && gen.label_len == 0);
	}

	rc = spod_http_json_sign(&sign, &err, text, size);
	if (rc == SPOD_OK) {
		check_mode(sign.mode, sign.data_len);
	} else {
		check_refusal(rc, &err);
		CHECK(sign.data_len == 0);
	}

	rc = spod_http_json_sign_tx(&stx, &err, text, size);
	if (rc == SPOD_OK) {
		CHECK(stx.chain == SPOD_TX_CHAIN_ETHEREUM || stx.chain == SPOD_TX_CHAIN_SOLANA);
		CHECK(stx.tx_len >= 1 && stx.tx_len <= SPOD_TX_MAX_BYTES);
	} else {
		check_refusal(rc, &err);
		CHECK(stx.chain == 0 && stx.tx_len == 0);
	}

	rc = spod_http_json_sign_auth(&sauth, &err, text, size);
	if (rc == SPOD_OK) {
		CHECK(sauth.tx.chain == SPOD_TX_CHAIN_ETHEREUM);
		CHECK(sauth.tx.form == SPOD_TX_FORM_AUTHORIZATION);
		CHECK(sauth.tx.tx_len >= 24 && sauth.tx.tx_len <= 40);
		CHECK(sauth.chain_id <= INT64_MAX && sauth.nonce <= INT64_MAX);
		CHECK(strlen(sauth.address_text) == 42);
	} else {
		check_refusal(rc, &err);
		CHECK(sauth.tx.tx_len == 0 && sauth.chain_id == 0 && sauth.nonce == 0);
	}

	rc = spod_http_json_batch(&batch, &err, text, size);
	if (rc == SPOD_OK) {
		size_t end = 0;

		CHECK(batch.count >= 1 && batch.count <= SPOD_BATCH_MAX_ITEMS);
		CHECK(batch.data_len <= SPOD_BODY_MAX_BYTES - 8 - 32 * batch.count);
		for (size_t i = 0; i < batch.count; i++) {
			const struct spod_http_batch_item *it = &batch.items[i];

			check_mode(it->mode, it->data_len);
			CHECK(it->data_off == end);
			end += it->data_len;
		}
		CHECK(end == batch.data_len);
	} else {
		check_refusal(rc, &err);
		CHECK(batch.count == 0 && batch.data_len == 0);
	}

	rc = spod_http_json_attest(&att, &err, text, size);
	if (rc == SPOD_OK) {
		CHECK(att.nonce_len <= SPOD_NONCE_MAX_BYTES);
		CHECK(att.has_key_id == 0 || att.has_key_id == 1);
	} else {
		check_refusal(rc, &err);
		CHECK(att.nonce_len == 0 && att.has_key_id == 0);
	}

	rc = spod_http_json_envelope(&env, &err, text, size);
	if (rc == SPOD_OK) {
		CHECK(env.len >= 1 && env.len <= SPOD_ENVELOPE_MAX_WIRE_BYTES);
	} else {
		check_refusal(rc, &err);
		CHECK(env.len == 0);
	}

	/* Solana: an accepted transaction splits where the parser says; a message is no tx. */
	rc = spod_http_json_sol_tx(&soltx, &err, text, size);
	if (rc == SPOD_OK) {
		CHECK(soltx.tx_len >= 1 && soltx.tx_len <= SPOD_SOL_TX_MAX_BYTES);
		CHECK(soltx.sigs_off < soltx.msg_off &&
		      soltx.msg_off + soltx.msg_len == soltx.tx_len);
	} else {
		if (rc != SPOD_E_TOO_LARGE)
			check_refusal(rc, &err);
		CHECK(soltx.tx_len == 0 && soltx.has_key_id == 0);
	}
	rc = spod_http_json_sol_msg(&solmsg, &err, text, size);
	if (rc == SPOD_OK) {
		CHECK(solmsg.len >= 1 && solmsg.len <= SPOD_MSG_MAX_BYTES);
		CHECK(solmsg.has_key_id + solmsg.has_address == 1);
		CHECK(!spod_http_sol_is_tx(solmsg.msg, solmsg.len));
	} else {
		if (rc != SPOD_E_TOO_LARGE)
			check_refusal(rc, &err);
		CHECK(solmsg.len == 0);
	}

	rc = spod_http_key_id_parse(id, text, size);
	CHECK(rc == SPOD_OK || rc == SPOD_E_BAD_HEX);
	CHECK(rc != SPOD_OK || size == 2 * SPOD_KEY_ID_BYTES);

	/* base64 that decodes must encode back to the same text (one text per byte string). */
	rc = spod_b64_decode(decoded, sizeof(decoded), &n, text, size);
	if (rc == SPOD_OK) {
		size_t cap = spod_b64_len(n) + 1;
		char *again = malloc(cap);

		CHECK(again != NULL);
		CHECK(spod_b64_encode(again, cap, decoded, n) == SPOD_OK);
		CHECK(strlen(again) == size && memcmp(again, text, size) == 0);
		free(again);
	} else {
		CHECK((rc == SPOD_E_BAD_ARG || rc == SPOD_E_TOO_LARGE) && n == 0);
	}
	return 0;
}
