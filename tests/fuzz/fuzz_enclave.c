/*
 * libFuzzer target for spod-enclave's request path: every frame in the input goes through
 * spod_enclave_handle with a real keystore, so validators, handlers and the signers all see
 * hostile bytes. Key ids in key and sign requests are steered onto the store's known keys
 * (the first id byte picks one, or leaves the id unknown), because a fuzzer cannot guess
 * 128 random bits; every response must be a well-formed frame for the same request id.
 * Signing requests leave evidence records; at the end of each input they are sealed into an
 * evidence frame as the server does after a wake-up, which must validate and whose root
 * signature must verify under the evidence key.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/secmem.h"
#include "crypto/sign.h"
#include "enclave/handlers.h"
#include "evidence/evidence.h"
#include "spod/wire.h"
#include "wire/layout.h"

#define FUZZ_CAPACITY 8u

static struct spod_enclave_state st;
static uint8_t known_ids[3][SPOD_KEY_ID_BYTES];
static uint8_t resp[SPOD_ENCLAVE_RESP_MAX];
static struct spod_ev_batch batch;
static uint8_t ev_frame[SPOD_FRAME_MAX_BYTES];

/* A fresh store per input holding one known key of each algorithm: no state carries over. */
static void keys_begin(void)
{
	static const uint8_t secret[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
	                                   12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
	                                   23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
	const struct spod_key_entry *k;
	static int crypto_ready;

	if (!crypto_ready) {
		if (spod_crypto_init(1u << 20) < 0)
			abort();
		for (int i = 0; i < 3; i++)
			memset(known_ids[i], 0xa0 + i, SPOD_KEY_ID_BYTES);
		if (spod_enclave_evidence_init(&st.ev) < 0)
			abort();
		crypto_ready = 1;
	}
	/* no evidence state carries over either */
	st.ev.counter = 0;
	st.ev.head_seq = 0;
	memset(st.ev.head_hash, 0, sizeof(st.ev.head_hash));
	st.ev_batch = &batch;
	if (spod_keystore_new(&st.keys, FUZZ_CAPACITY) < 0 || spod_enclave_seal_init(&st.seal) < 0)
		abort();
	st.scratch = spod_secmem_alloc(SPOD_ENVELOPE_PAYLOAD_MAX);
	if (st.scratch == NULL)
		abort();
	for (uint8_t a = SPOD_ALG_ED25519; a <= SPOD_ALG_P256; a++)
		if (spod_keystore_import(st.keys, &k, known_ids[a - 1], a, secret, sizeof(secret)) <
		    0)
			abort();
}

/* The input's records, sealed as after a wake-up: a valid frame whose root signature verifies. */
static void evidence_end(void)
{
	uint8_t leaves[SPOD_EVIDENCE_BATCH_MAX * 32], root[32], msg[SPOD_EVIDENCE_ROOT_MSG_BYTES];
	struct spod_evidence_view v;
	struct spod_frame f;
	size_t len;

	if (batch.count == 0)
		return;
	if (spod_enclave_evidence_seal(&st.ev, &batch, ev_frame, sizeof(ev_frame), &len) < 0 ||
	    spod_wire_frame(&f, ev_frame, len) != SPOD_OK ||
	    spod_wire_evidence(&v, &f) != SPOD_OK || batch.count != 0 || v.first != 1)
		abort();
	for (uint32_t i = 0; i < v.count; i++) {
		struct spod_evidence_rec r;

		if (spod_evidence_rec_decode(&r, v.records + i * SPOD_EVIDENCE_RECORD_BYTES) < 0 ||
		    r.counter != v.first + i)
			abort();
		spod_evidence_leaf(leaves + i * 32, v.records + i * SPOD_EVIDENCE_RECORD_BYTES);
	}
	if (spod_evidence_root(root, leaves, v.count) < 0)
		abort();
	spod_evidence_root_msg(msg, v.pub, v.first, v.count, root);
	if (spod_verify(SPOD_ALG_ED25519, st.ev.pub, 32, SPOD_MODE_RAW, msg, sizeof(msg), v.sig,
	                64) != SPOD_OK)
		abort();
}

static void keys_end(void)
{
	spod_keystore_free(st.keys);
	st.keys = NULL;
	spod_enclave_seal_free(&st.seal);
	spod_secmem_free(st.scratch);
	st.scratch = NULL;
}

/* Points the 16-byte id at p to a known key when its first byte selects one. */
static void steer_id(uint8_t *p)
{
	uint8_t pick = p[0] % 4;
	if (pick < 3)
		memcpy(p, known_ids[pick], SPOD_KEY_ID_BYTES);
}

static void steer(uint8_t *frame, size_t len)
{
	uint8_t op = frame[HDR_OPCODE];
	uint8_t *body = frame + SPOD_HDR_BYTES;
	size_t body_len = len - SPOD_HDR_BYTES;

	if ((op == SPOD_OP_SIGN || op == SPOD_OP_SIGN_TX || op == SPOD_OP_KEY_PUBLIC ||
	     op == SPOD_OP_KEY_DELETE || op == SPOD_OP_POLICY_SET || op == SPOD_OP_POLICY_GET ||
	     op == SPOD_OP_POLICY_SYNC) &&
	    body_len >= SPOD_KEY_ID_BYTES)
		steer_id(body);
	if (op == SPOD_OP_SIGN_BATCH)
		for (size_t off = BATCH_ITEMS; off + BATCH_ITEM_BYTES <= body_len;
		     off += BATCH_ITEM_BYTES)
			steer_id(body + off);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spod_frame f, r;
	size_t off = 0;

	keys_begin();
	while (off < size) {
		uint8_t *frame;
		size_t n;

		if (spod_wire_frame(&f, data + off, size - off) != SPOD_OK)
			break;
		/* An exact-size private copy: ASan sees any read past the frame. */
		frame = malloc(f.frame_len);
		if (frame == NULL)
			abort();
		memcpy(frame, data + off, f.frame_len);
		steer(frame, f.frame_len);
		if (spod_wire_frame(&f, frame, f.frame_len) != SPOD_OK)
			abort();
		n = spod_enclave_handle(&st, &f, resp, sizeof(resp));
		/* The answer is one whole response frame for the same request. */
		if (n < SPOD_HDR_BYTES || spod_wire_frame(&r, resp, n) != SPOD_OK ||
		    r.frame_len != n || spod_wire_check_hdr(&r.hdr, 1) != SPOD_OK ||
		    r.hdr.request_id != f.hdr.request_id)
			abort();
		/* A signed transaction is a whole sign.tx answer of the request's chain. */
		if (f.hdr.opcode == SPOD_OP_SIGN_TX && r.hdr.status == 0) {
			struct spod_sign_tx_view v;

			if (spod_wire_sign_tx_resp(&v, &r) != SPOD_OK ||
			    v.chain != f.body[SIGNTX_CHAIN])
				abort();
		}
		off += f.frame_len;
		free(frame);
	}
	evidence_end();
	keys_end();
	return 0;
}
