/*
 * Open addressing with linear probing over a power-of-two slot array at most half full,
 * so probe runs stay short. Ids are 128 uniformly random bits, so their first four bytes
 * already make a good hash.
 *
 * Deleting leaves a tombstone, so the probe runs of other keys stay intact, and inserts
 * reuse the first tombstone on their path. Entries never move: returned pointers stay
 * valid until their key is deleted and iteration cursors (slot indexes) survive deletes.
 * To keep tombstones from silting up the table without moving entries, a delete turns
 * its tombstone, and the run of tombstones before it, back into empty slots when the
 * next slot is empty: a probe reaching such a slot would stop one slot later anyway.
 */
#include "enclave/keystore.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/bytes.h"
#include "crypto/secmem.h"

#define KEYSTORE_MAX_KEYS (1u << 20)
/* Tries for a fresh id; a 128-bit collision even once means a broken CSPRNG. */
#define KEYSTORE_ID_TRIES 4

enum slot_state {
	SLOT_EMPTY = 0,
	SLOT_LIVE = 1,
	SLOT_TOMBSTONE = 2,
};

struct spod_keystore {
	struct spod_key_entry *slots; /* nslots entries in one spod_secmem allocation */
	uint32_t nslots;              /* power of two, >= 2 * capacity */
	uint32_t capacity;
	uint32_t count;
};

int spod_keystore_new(struct spod_keystore **out, uint32_t capacity)
{
	struct spod_keystore *ks;
	uint32_t nslots = 1;

	*out = NULL;
	if (capacity == 0 || capacity > KEYSTORE_MAX_KEYS)
		return SPOD_E_BAD_ARG;
	while (nslots < 2 * capacity)
		nslots <<= 1;

	ks = calloc(1, sizeof *ks);
	if (ks == NULL)
		return SPOD_E_NOMEM;
	ks->slots = spod_secmem_alloc((size_t)nslots * sizeof *ks->slots);
	if (ks->slots == NULL) {
		free(ks);
		return SPOD_E_NOMEM;
	}
	ks->nslots = nslots;
	ks->capacity = capacity;
	*out = ks;
	return SPOD_OK;
}

void spod_keystore_free(struct spod_keystore *ks)
{
	if (ks == NULL)
		return;
	for (uint32_t i = 0; i < ks->nslots; i++) {
		if (ks->slots[i].used == SLOT_LIVE)
			spod_key_wipe(&ks->slots[i].sk);
	}
	spod_secmem_free(ks->slots); /* wipes every slot */
	free(ks);
}

/*
 * Walks id's probe run. Returns the slot holding id, or nslots when it is absent; then
 * *free_slot (if given) gets the first tombstone or empty slot on the run, where id
 * belongs. The walk is bounded by nslots, though a run always ends at an empty slot.
 */
static uint32_t probe(const struct spod_keystore *ks, const uint8_t id[SPOD_KEY_ID_BYTES],
                      uint32_t *free_slot)
{
	uint32_t mask = ks->nslots - 1;
	uint32_t i = spod_le32(id) & mask;
	uint32_t first_free = ks->nslots;

	for (uint32_t n = 0; n < ks->nslots; n++, i = (i + 1) & mask) {
		const struct spod_key_entry *e = &ks->slots[i];

		if (e->used != SLOT_LIVE) {
			if (first_free == ks->nslots)
				first_free = i;
			if (e->used == SLOT_EMPTY)
				break;
			continue;
		}
		/* Ids are bearer handles for keys: compare without leaking where they differ. */
		if (sodium_memcmp(e->id, id, SPOD_KEY_ID_BYTES) == 0)
			return i;
	}
	if (free_slot != NULL)
		*free_slot = first_free;
	return ks->nslots;
}

/* Finds where a new key with id goes. Returns SPOD_OK, SPOD_E_BAD_FIELD or KEYSTORE_FULL. */
static int claim_slot(struct spod_keystore *ks, struct spod_key_entry **e,
                      const uint8_t id[SPOD_KEY_ID_BYTES])
{
	uint32_t slot = ks->nslots;

	if (probe(ks, id, &slot) != ks->nslots)
		return SPOD_E_BAD_FIELD;
	if (ks->count == ks->capacity)
		return SPOD_E_KEYSTORE_FULL;
	/* count < capacity <= nslots / 2, so the walk met a free slot. */
	if (slot == ks->nslots)
		return SPOD_E_INTERNAL;
	*e = &ks->slots[slot];
	return SPOD_OK;
}

/* Makes a claimed slot live once its key is in place. */
static void commit_slot(struct spod_keystore *ks, struct spod_key_entry *e,
                        const uint8_t id[SPOD_KEY_ID_BYTES], size_t pub_len)
{
	memcpy(e->id, id, SPOD_KEY_ID_BYTES);
	e->pub_len = (uint8_t)pub_len;
	e->used = SLOT_LIVE;
	ks->count++;
}

/* Undoes a claimed slot whose key could not be made; it keeps its empty/tombstone state. */
static void abandon_slot(struct spod_key_entry *e)
{
	uint8_t state = e->used;

	spod_secmem_wipe(e, sizeof *e);
	e->used = state;
}

int spod_keystore_generate(struct spod_keystore *ks, const struct spod_key_entry **out, uint8_t alg,
                           const char *label, size_t label_len)
{
	uint8_t id[SPOD_KEY_ID_BYTES];
	struct spod_key_entry *e = NULL;
	size_t pub_len;
	int rc = SPOD_E_INTERNAL;

	*out = NULL;
	if (!spod_alg_valid(alg))
		return SPOD_E_UNKNOWN_ALG;
	if (label_len > 0 && (label == NULL || !spod_label_valid(label, label_len)))
		return SPOD_E_BAD_FIELD;
	for (int i = 0; i < KEYSTORE_ID_TRIES; i++) {
		spod_random(id, sizeof id);
		rc = claim_slot(ks, &e, id);
		if (rc != SPOD_E_BAD_FIELD)
			break;
	}
	if (rc < 0)
		return rc == SPOD_E_BAD_FIELD ? SPOD_E_INTERNAL : rc;

	rc = spod_key_generate(&e->sk, e->pub, &pub_len, alg);
	if (rc < 0) {
		abandon_slot(e);
		return rc;
	}
	if (label_len > 0)
		memcpy(e->label, label, label_len);
	e->label_len = (uint8_t)label_len;
	commit_slot(ks, e, id, pub_len);
	*out = e;
	return SPOD_OK;
}

int spod_keystore_import(struct spod_keystore *ks, const struct spod_key_entry **out,
                         const uint8_t id[SPOD_KEY_ID_BYTES], uint8_t alg, const uint8_t *secret,
                         size_t secret_len)
{
	struct spod_key_entry *e = NULL;
	size_t pub_len;
	int rc;

	*out = NULL;
	SPOD_TRY(claim_slot(ks, &e, id));
	rc = spod_key_import(&e->sk, e->pub, &pub_len, alg, secret, secret_len);
	if (rc < 0) {
		abandon_slot(e);
		return rc;
	}
	commit_slot(ks, e, id, pub_len);
	*out = e;
	return SPOD_OK;
}

const struct spod_key_entry *spod_keystore_find(const struct spod_keystore *ks,
                                                const uint8_t id[SPOD_KEY_ID_BYTES])
{
	uint32_t i = probe(ks, id, NULL);

	return i == ks->nslots ? NULL : &ks->slots[i];
}

int spod_keystore_delete(struct spod_keystore *ks, const uint8_t id[SPOD_KEY_ID_BYTES])
{
	uint32_t mask = ks->nslots - 1;
	uint32_t i = probe(ks, id, NULL);
	struct spod_key_entry *e;

	if (i == ks->nslots)
		return SPOD_E_KEY_NOT_FOUND;
	e = &ks->slots[i];
	spod_key_wipe(&e->sk);
	spod_secmem_wipe(e, sizeof *e);
	e->used = SLOT_TOMBSTONE;
	ks->count--;

	/*
	 * Walk back over tombstones that now end at an empty slot. The walk stops at a live
	 * slot, or, in a table with no live key left, at a slot it has already emptied.
	 */
	while (ks->slots[i].used == SLOT_TOMBSTONE &&
	       ks->slots[(i + 1) & mask].used == SLOT_EMPTY) {
		ks->slots[i].used = SLOT_EMPTY;
		i = (i - 1) & mask;
	}
	return SPOD_OK;
}

uint32_t spod_keystore_count(const struct spod_keystore *ks)
{
	return ks->count;
}

uint32_t spod_keystore_capacity(const struct spod_keystore *ks)
{
	return ks->capacity;
}

const struct spod_key_entry *spod_keystore_next(const struct spod_keystore *ks, uint32_t *cursor)
{
	for (uint32_t i = *cursor; i < ks->nslots; i++) {
		if (ks->slots[i].used == SLOT_LIVE) {
			*cursor = i + 1;
			return &ks->slots[i];
		}
	}
	*cursor = 0;
	return NULL;
}
