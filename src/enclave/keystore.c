/*
 * Keys live in blocks of SPOD_KEYSTORE_BLOCK_KEYS entries, each one secure allocation, added
 * as the store fills and never moved: a returned pointer stays valid until its key is
 * deleted, and an entry number is a cursor that survives deletes. Deleted entries are wiped
 * and reused (a free stack).
 *
 * The index from id to entry is separate and holds no secret: an open-addressing table of
 * entry numbers (+1; 0 = empty) with linear probing, at most half full, doubled and rebuilt
 * when needed. Ids are 128 uniformly random bits, so their first four bytes make a good
 * hash. A delete shifts the rest of its probe run back (no tombstones).
 */
#include "enclave/keystore.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/bytes.h"
#include "crypto/secmem.h"

/* Tries for a fresh id; a 128-bit collision even once means a broken CSPRNG. */
#define KEYSTORE_ID_TRIES 4
#define INDEX_MIN_SLOTS   2048u

enum entry_state {
	ENTRY_FREE = 0,
	ENTRY_LIVE = 1,
	ENTRY_CLAIMED = 2,
	ENTRY_DYING = 3, /* deleted while pinned: wiped when the last pin goes */
};

struct spod_keystore {
	struct spod_key_entry **blocks; /* nblocks blocks of SPOD_KEYSTORE_BLOCK_KEYS */
	uint32_t nblocks;
	uint32_t used;  /* entries [0, used) have been handed out at least once */
	uint32_t *free; /* numbers of deleted entries, to reuse */
	uint32_t nfree;
	uint32_t *index; /* nindex slots: entry number + 1, or 0 */
	uint32_t nindex; /* power of two, >= 2 * (count + 1) */
	uint32_t capacity;
	uint32_t count;
	uint32_t dying; /* deleted entries still pinned */
};

static struct spod_key_entry *entry(const struct spod_keystore *ks, uint32_t n)
{
	return &ks->blocks[n / SPOD_KEYSTORE_BLOCK_KEYS][n % SPOD_KEYSTORE_BLOCK_KEYS];
}

int spod_keystore_new(struct spod_keystore **out, uint32_t capacity)
{
	struct spod_keystore *ks;
	uint32_t nblocks = (capacity + SPOD_KEYSTORE_BLOCK_KEYS - 1) / SPOD_KEYSTORE_BLOCK_KEYS;

	*out = NULL;
	if (capacity == 0 || capacity > SPOD_KEYSTORE_MAX_KEYS)
		return SPOD_E_BAD_ARG;
	ks = calloc(1, sizeof *ks);
	if (ks == NULL)
		return SPOD_E_NOMEM;
	ks->blocks = calloc(nblocks, sizeof *ks->blocks);
	ks->free = calloc(capacity, sizeof *ks->free);
	ks->index = calloc(INDEX_MIN_SLOTS, sizeof *ks->index);
	if (ks->blocks == NULL || ks->free == NULL || ks->index == NULL) {
		spod_keystore_free(ks);
		return SPOD_E_NOMEM;
	}
	ks->nindex = INDEX_MIN_SLOTS;
	ks->capacity = capacity;
	*out = ks;
	return SPOD_OK;
}

void spod_keystore_free(struct spod_keystore *ks)
{
	if (ks == NULL)
		return;
	for (uint32_t n = 0; n < ks->used; n++)
		if (entry(ks, n)->used != ENTRY_FREE) {
			spod_key_wipe(&entry(ks, n)->sk);
			spod_key_policy_free(entry(ks, n)->policy);
		}
	for (uint32_t b = 0; ks->blocks != NULL && b < ks->nblocks; b++)
		spod_secmem_free(ks->blocks[b]); /* wipes every entry */
	free(ks->blocks);
	free(ks->free);
	free(ks->index);
	free(ks);
}

/*
 * Walks id's probe run. Returns the index slot holding id, or nindex when it is absent;
 * then *empty (if given) gets the empty slot that ends the run, where id belongs.
 */
static uint32_t probe(const struct spod_keystore *ks, const uint8_t id[SPOD_KEY_ID_BYTES],
                      uint32_t *empty)
{
	uint32_t mask = ks->nindex - 1;
	uint32_t i = spod_le32(id) & mask;

	for (uint32_t n = 0; n < ks->nindex; n++, i = (i + 1) & mask) {
		if (ks->index[i] == 0)
			break;
		/* Ids are bearer handles for keys: compare without leaking where they differ. */
		if (sodium_memcmp(entry(ks, ks->index[i] - 1)->id, id, SPOD_KEY_ID_BYTES) == 0)
			return i;
	}
	if (empty != NULL)
		*empty = i;
	return ks->nindex;
}

/* Doubles the index and puts every live key back in. SPOD_OK or SPOD_E_NOMEM. */
static int index_grow(struct spod_keystore *ks)
{
	uint32_t *old = ks->index, nold = ks->nindex, slot;

	ks->index = calloc((size_t)nold * 2, sizeof *ks->index);
	if (ks->index == NULL) {
		ks->index = old;
		return SPOD_E_NOMEM;
	}
	ks->nindex = nold * 2;
	for (uint32_t i = 0; i < nold; i++)
		if (old[i] != 0) {
			(void)probe(ks, entry(ks, old[i] - 1)->id, &slot);
			ks->index[slot] = old[i];
		}
	free(old);
	return SPOD_OK;
}

/* An unused entry number: a deleted one, or the next fresh one (adding a block). */
static int take_entry(struct spod_keystore *ks, uint32_t *n)
{
	if (ks->nfree > 0) {
		*n = ks->free[--ks->nfree];
		return SPOD_OK;
	}
	if (ks->used % SPOD_KEYSTORE_BLOCK_KEYS == 0) {
		uint32_t b = ks->used / SPOD_KEYSTORE_BLOCK_KEYS;
		ks->blocks[b] = spod_secmem_alloc((size_t)SPOD_KEYSTORE_BLOCK_KEYS *
		                                  sizeof(struct spod_key_entry));
		if (ks->blocks[b] == NULL)
			return SPOD_E_NOMEM;
		ks->nblocks = b + 1;
	}
	*n = ks->used++;
	return SPOD_OK;
}

int spod_keystore_claim(struct spod_keystore *ks, struct spod_key_entry **e,
                        const uint8_t id[SPOD_KEY_ID_BYTES])
{
	uint32_t n;

	*e = NULL;
	if (probe(ks, id, NULL) != ks->nindex)
		return SPOD_E_BAD_FIELD;
	if (ks->count == ks->capacity)
		return SPOD_E_KEYSTORE_FULL;
	if (2 * (ks->count + 1) > ks->nindex)
		SPOD_TRY(index_grow(ks));
	SPOD_TRY(take_entry(ks, &n));
	*e = entry(ks, n);
	spod_secmem_wipe(*e, sizeof **e);
	memcpy((*e)->id, id, SPOD_KEY_ID_BYTES);
	(*e)->used = ENTRY_CLAIMED;
	return SPOD_OK;
}

/* The number of an entry of this store. */
static uint32_t entry_number(const struct spod_keystore *ks, const struct spod_key_entry *e)
{
	for (uint32_t b = 0; b < ks->nblocks; b++) {
		const struct spod_key_entry *base = ks->blocks[b];
		if (e >= base && e < base + SPOD_KEYSTORE_BLOCK_KEYS)
			return b * SPOD_KEYSTORE_BLOCK_KEYS + (uint32_t)(e - base);
	}
	abort(); /* not one of ours: a bug in the caller */
}

/* Wipes entry n (its key, its policy, the entry itself) and puts it on the free stack. */
static void entry_release(struct spod_keystore *ks, struct spod_key_entry *e, uint32_t n)
{
	spod_key_wipe(&e->sk);
	spod_key_policy_free(e->policy);
	spod_secmem_wipe(e, sizeof *e);
	ks->free[ks->nfree++] = n;
}

void spod_keystore_commit(struct spod_keystore *ks, struct spod_key_entry *e)
{
	uint32_t slot;

	if (e->used != ENTRY_CLAIMED || probe(ks, e->id, &slot) != ks->nindex)
		abort();
	ks->index[slot] = entry_number(ks, e) + 1;
	e->used = ENTRY_LIVE;
	ks->count++;
}

void spod_keystore_abandon(struct spod_keystore *ks, struct spod_key_entry *e)
{
	if (e->used != ENTRY_CLAIMED)
		abort();
	entry_release(ks, e, entry_number(ks, e));
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
		rc = spod_keystore_claim(ks, &e, id);
		if (rc != SPOD_E_BAD_FIELD)
			break;
	}
	if (rc < 0)
		return rc == SPOD_E_BAD_FIELD ? SPOD_E_INTERNAL : rc;
	rc = spod_key_generate(&e->sk, e->pub, &pub_len, alg);
	if (rc < 0) {
		spod_keystore_abandon(ks, e);
		return rc;
	}
	e->pub_len = (uint8_t)pub_len;
	if (label_len > 0)
		memcpy(e->label, label, label_len);
	e->label_len = (uint8_t)label_len;
	spod_keystore_commit(ks, e);
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
	SPOD_TRY(spod_keystore_claim(ks, &e, id));
	rc = spod_key_import(&e->sk, e->pub, &pub_len, alg, secret, secret_len);
	if (rc < 0) {
		spod_keystore_abandon(ks, e);
		return rc;
	}
	e->pub_len = (uint8_t)pub_len;
	spod_keystore_commit(ks, e);
	*out = e;
	return SPOD_OK;
}

const struct spod_key_entry *spod_keystore_find(const struct spod_keystore *ks,
                                                const uint8_t id[SPOD_KEY_ID_BYTES])
{
	uint32_t i = probe(ks, id, NULL);

	return i == ks->nindex ? NULL : entry(ks, ks->index[i] - 1);
}

void spod_keystore_set_policy(struct spod_keystore *ks, const struct spod_key_entry *e,
                              struct spod_key_policy *kp)
{
	struct spod_key_entry *m = entry(ks, entry_number(ks, e));

	if (m->used != ENTRY_LIVE && m->used != ENTRY_CLAIMED)
		abort();
	spod_key_policy_free(m->policy);
	m->policy = kp;
}

/* Backward-shift deletion: the keys after slot i on its run move up to keep runs whole. */
static void index_remove(struct spod_keystore *ks, uint32_t i)
{
	uint32_t mask = ks->nindex - 1, j = i;

	for (;;) {
		uint32_t home;

		j = (j + 1) & mask;
		if (ks->index[j] == 0)
			break;
		home = spod_le32(entry(ks, ks->index[j] - 1)->id) & mask;
		/* Move j into the hole at i unless j's home lies cyclically in (i, j]. */
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		ks->index[i] = ks->index[j];
		i = j;
	}
	ks->index[i] = 0;
}

int spod_keystore_delete(struct spod_keystore *ks, const uint8_t id[SPOD_KEY_ID_BYTES])
{
	uint32_t i = probe(ks, id, NULL), n;
	struct spod_key_entry *e;

	if (i == ks->nindex)
		return SPOD_E_KEY_NOT_FOUND;
	n = ks->index[i] - 1;
	e = entry(ks, n);
	index_remove(ks, i);
	ks->count--;
	if (e->pins > 0) {
		/* A worker signs with it: out of the index now, wiped when the last pin goes. */
		e->used = ENTRY_DYING;
		ks->dying++;
		return SPOD_OK;
	}
	entry_release(ks, e, n);
	return SPOD_OK;
}

const struct spod_key_entry *spod_keystore_pin(struct spod_keystore *ks,
                                               const uint8_t id[SPOD_KEY_ID_BYTES])
{
	uint32_t i = probe(ks, id, NULL);
	struct spod_key_entry *e;

	if (i == ks->nindex)
		return NULL;
	e = entry(ks, ks->index[i] - 1);
	e->pins++;
	return e;
}

void spod_keystore_unpin(struct spod_keystore *ks, const struct spod_key_entry *e)
{
	uint32_t n = entry_number(ks, e);
	struct spod_key_entry *m = entry(ks, n);

	if (m->pins == 0 || (m->used != ENTRY_LIVE && m->used != ENTRY_DYING))
		abort(); /* unbalanced: a bug in the caller */
	if (--m->pins > 0 || m->used != ENTRY_DYING)
		return;
	ks->dying--;
	entry_release(ks, m, n);
}

uint32_t spod_keystore_dying(const struct spod_keystore *ks)
{
	return ks->dying;
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
	for (uint32_t n = *cursor; n < ks->used; n++) {
		if (entry(ks, n)->used == ENTRY_LIVE) {
			*cursor = n + 1;
			return entry(ks, n);
		}
	}
	*cursor = 0;
	return NULL;
}
