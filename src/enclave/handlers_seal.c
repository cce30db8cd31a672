/*
 * The sealing opcodes of spod-enclave (docs/keys.md): keys made or imported here leave only as
 * sealed blobs; key.load takes a blob back; seal.setup chooses the seal mode;
 * custodian.share brings a share of the seal key. Envelopes are opened into locked scratch
 * memory that is wiped before the handler returns, whatever the outcome.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/seal.h"
#include "crypto/secmem.h"
#include "enclave/handlers_int.h"

_Static_assert(SPOD_SEAL_MAX_BYTES <= SPOD_BLOB_MAX_BYTES, "a sealed blob fits key.load");
_Static_assert(SPOD_ENVELOPE_MAX_BYTES <= SPOD_ENVELOPE_MAX_WIRE_BYTES,
               "a provisioning envelope fits its frame");

#define ID_TRIES 4

uint32_t spod_enclave_info_flags(const struct spod_enclave_state *st)
{
	uint32_t flags = st->seal.key != NULL ? SPOD_INFO_SEALED : 0;

	if (st->seal.mode == SPOD_SEAL_EPHEMERAL)
		flags |= SPOD_INFO_EPHEMERAL;
	else if (st->seal.mode == SPOD_SEAL_CUSTODIANS)
		flags |= SPOD_INFO_CUSTODIANS;
	return flags;
}

void spod_enclave_drop_key(struct spod_enclave_state *st, const struct spod_key_entry *k)
{
	uint8_t id[SPOD_KEY_ID_BYTES];

	memcpy(id, k->id, sizeof(id)); /* the entry is wiped by the delete */
	if (spod_keystore_delete(st->keys, id) < 0)
		abort(); /* the key was just made: it must be there */
}

int spod_enclave_put_sealed(struct spod_enclave_state *st, uint8_t *out, size_t cap, size_t *len,
                            const struct spod_frame *f, const struct spod_key_entry *k,
                            const uint8_t *seal_key)
{
	uint8_t blob[SPOD_SEAL_MAX_BYTES];
	size_t blob_len = 0;
	struct spod_key_view v = {
	    .key_id = k->id,
	    .alg = k->sk.alg,
	    .pub = k->pub,
	    .pub_len = k->pub_len,
	    .label = k->label,
	    .label_len = k->label_len,
	    .blob = blob,
	};

	int rc = spod_seal(blob, sizeof(blob), &blob_len, seal_key, st->seal.key_id, &k->sk, k->id,
	                   k->pub, k->pub_len, k->label, k->label_len);

	v.blob_len = (uint32_t)blob_len;
	if (rc == SPOD_OK)
		rc = spod_wire_put_sealed_key(out, cap, len, f->hdr.opcode, f->hdr.request_id, &v);
	if (rc < 0)
		spod_enclave_drop_key(st, k); /* never a key without its blob */
	return rc;
}

static int put_key(const struct spod_frame *f, uint8_t *out, size_t cap, size_t *len,
                   const struct spod_key_entry *k)
{
	return spod_wire_put_key(out, cap, len, f->hdr.opcode, f->hdr.request_id, k->id, k->sk.alg,
	                         k->pub, k->pub_len, k->label, k->label_len);
}

/*
 * A blob for a key already held (each pool connection replays): it must describe the same
 * key and still open to the same secret, so a blob damaged in storage is noticed now, not at
 * the next enclave restart. The policy the enclave holds stays: while it runs, only
 * policy.set changes a key's policy, never an older blob handed back.
 */
static int load_again(struct spod_enclave_state *st, const struct spod_key_entry *k,
                      const struct spod_blob_view *b, const uint8_t *seal_key)
{
	int same;

	if (!(k->sk.alg == b->alg && k->pub_len == b->pub_len &&
	      memcmp(k->pub, b->pub, b->pub_len) == 0 && k->label_len == b->label_len &&
	      (b->label_len == 0 || memcmp(k->label, b->label, b->label_len) == 0))) {
		st->why = "another key with this id is loaded already";
		return SPOD_E_BAD_BLOB;
	}
	SPOD_TRY(spod_blob_open(st->scratch, &st->why, b, seal_key, st->seal.key_id));
	same = sodium_memcmp(st->scratch, k->sk.secret, 32) == 0;
	spod_secmem_wipe(st->scratch, 32);
	if (!same) {
		st->why = "the blob opens to another secret than the key held under its id";
		return SPOD_E_BAD_BLOB;
	}
	return SPOD_OK;
}

int spod_enclave_do_load(struct spod_enclave_state *st, const struct spod_frame *f, uint8_t *out,
                         size_t cap, size_t *len)
{
	const struct spod_key_entry *held;
	struct spod_key_entry *e;
	struct spod_item_req req;
	struct spod_blob_view b;
	const uint8_t *seal_key;
	size_t pub_len;
	int rc;

	SPOD_TRY(spod_wire_item_req(&req, f));
	SPOD_TRY(spod_enclave_seal_key(&st->seal, &seal_key, &st->why));
	SPOD_TRY(spod_blob_parse(&b, &st->why, req.data, req.len));
	held = spod_keystore_find(st->keys, b.key_id);
	if (held != NULL) {
		SPOD_TRY(load_again(st, held, &b, seal_key));
		return put_key(f, out, cap, len, held);
	}
	SPOD_TRY(spod_keystore_claim(st->keys, &e, b.key_id));
	rc = spod_unseal(&e->sk, &st->why, &b, seal_key, st->seal.key_id);
	/* A version 2 blob opened: its policy is the one approved for this key (docs/policy.md). */
	if (rc == SPOD_OK && b.policy != NULL &&
	    spod_key_policy_make(&e->policy, b.policy, b.policy_len, b.admin_hash, &st->why) < 0) {
		st->why = "the sealed blob's policy does not load in this enclave version";
		rc = SPOD_E_BAD_BLOB;
	}
	/* ... and its windows and rates as policy.sync sealed them. */
	if (rc == SPOD_OK && b.state != NULL &&
	    spod_policy_state_decode(&e->policy->st, &e->policy->p, b.state, b.state_len) < 0) {
		st->why = "the sealed blob's policy state does not load in this enclave version";
		rc = SPOD_E_BAD_BLOB;
	}
	if (rc < 0) {
		spod_keystore_abandon(st->keys, e);
		return rc;
	}
	pub_len = b.pub_len;
	memcpy(e->pub, b.pub, pub_len);
	e->pub_len = (uint8_t)pub_len;
	if (b.label_len > 0)
		memcpy(e->label, b.label, b.label_len);
	e->label_len = (uint8_t)b.label_len;
	spod_keystore_commit(st->keys, e);
	return put_key(f, out, cap, len, e);
}

/* Makes the key an import payload describes, under a fresh random id. */
static int import_key(struct spod_enclave_state *st, const struct spod_key_entry **out,
                      const struct spod_import_view *v)
{
	uint8_t id[SPOD_KEY_ID_BYTES];
	struct spod_key_entry *e = NULL;
	size_t pub_len;
	int rc = SPOD_E_INTERNAL;

	for (int i = 0; i < ID_TRIES; i++) {
		spod_random(id, sizeof(id));
		rc = spod_keystore_claim(st->keys, &e, id);
		if (rc != SPOD_E_BAD_FIELD)
			break;
	}
	SPOD_TRY(rc);
	rc = spod_key_import(&e->sk, e->pub, &pub_len, v->alg, v->secret, 32);
	if (rc < 0) {
		spod_keystore_abandon(st->keys, e);
		st->why = rc == SPOD_E_BAD_KEY ? "the imported secret is not a valid key for its "
		                                 "algorithm (zero or out of range)"
		                               : NULL;
		return rc;
	}
	e->pub_len = (uint8_t)pub_len;
	if (v->label_len > 0)
		memcpy(e->label, v->label, v->label_len);
	e->label_len = (uint8_t)v->label_len;
	spod_keystore_commit(st->keys, e);
	*out = e;
	return SPOD_OK;
}

int spod_enclave_do_import(struct spod_enclave_state *st, const struct spod_frame *f, uint8_t *out,
                           size_t cap, size_t *len)
{
	const struct spod_key_entry *k = NULL;
	struct spod_import_view v;
	struct spod_item_req req;
	const uint8_t *seal_key;
	size_t plen = 0;
	int rc;

	SPOD_TRY(spod_wire_item_req(&req, f));
	SPOD_TRY(spod_enclave_seal_key(&st->seal, &seal_key, &st->why));
	rc = spod_enclave_seal_open(&st->seal, st->scratch, SPOD_ENVELOPE_PAYLOAD_MAX, &plen,
	                            &st->why, SPOD_PURPOSE_IMPORT, req.data, req.len);
	if (rc == SPOD_OK)
		rc = spod_import_payload_parse(&v, &st->why, st->scratch, plen);
	if (rc == SPOD_OK)
		rc = import_key(st, &k, &v);
	spod_secmem_wipe(st->scratch, SPOD_ENVELOPE_PAYLOAD_MAX);
	SPOD_TRY(rc);
	return spod_enclave_put_sealed(st, out, cap, len, f, k, seal_key);
}

static int put_status(struct spod_enclave_state *st, const struct spod_frame *f, uint8_t *out,
                      size_t cap, size_t *len)
{
	struct spod_seal_view v;

	spod_enclave_seal_status(&st->seal, &v);
	v.key_count = spod_keystore_count(st->keys);
	return spod_wire_put_seal(out, cap, len, f->hdr.opcode, f->hdr.request_id, &v);
}

int spod_enclave_do_seal(struct spod_enclave_state *st, const struct spod_frame *f, uint8_t *out,
                         size_t cap, size_t *len)
{
	const uint8_t *expect;
	uint8_t mode;

	if (f->hdr.opcode == SPOD_OP_SEAL_SETUP) {
		SPOD_TRY(spod_wire_seal_setup_req(&mode, &expect, f));
		SPOD_TRY(spod_enclave_seal_setup(&st->seal, mode, expect, &st->why));
	} else {
		SPOD_TRY(spod_wire_empty_req(f));
	}
	return put_status(st, f, out, cap, len);
}

int spod_enclave_do_share(struct spod_enclave_state *st, const struct spod_frame *f, uint8_t *out,
                          size_t cap, size_t *len)
{
	struct spod_item_req req;
	size_t plen = 0;
	int rc;

	SPOD_TRY(spod_wire_item_req(&req, f));
	if (st->seal.mode != SPOD_SEAL_CUSTODIANS) {
		st->why = "this enclave is not in custodian mode";
		return SPOD_E_MODE_CONFLICT;
	}
	rc = spod_enclave_seal_open(&st->seal, st->scratch, SPOD_ENVELOPE_PAYLOAD_MAX, &plen,
	                            &st->why, SPOD_PURPOSE_SHARE, req.data, req.len);
	if (rc == SPOD_OK)
		rc = spod_enclave_seal_add_share(&st->seal, st->scratch, plen, &st->why);
	spod_secmem_wipe(st->scratch, SPOD_ENVELOPE_PAYLOAD_MAX);
	SPOD_TRY(rc);
	return put_status(st, f, out, cap, len);
}
