/*
 * The key index (host_int.h, "keyindex.c"): the labels of the keys in the store that are not
 * deleted, and whether each is lost, in memory, so that a token's label: scopes are checked
 * on the event loop without a SQLite query per request (docs/auth.md, "Key sets").
 *
 * Only keys with a label are held: a key absent from the index has no label the scopes could
 * match (no label, deleted, or unknown to the host). An open-addressing table of key ids with
 * linear probing, at most half full, of at most HOST_KEYINDEX_MAX_SLOTS slots; labels are
 * copies of their own. It changes where the store's keys change, all on the event loop:
 * new keys when their commit returned (journal.c), deletion (journal.c), lost and found
 * (reconcile.c). Removing and marking never allocate and never fail; only an insertion can
 * (out of memory, or the table at its bound): then the index is marked incomplete and
 * lookups go to the store again (host_key_label), so a failure costs speed, never a wrong
 * answer.
 */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "host/core/host_int.h"

static uint32_t home_of(const struct host_keyindex *x, const uint8_t *id)
{
	uint64_t a, b;

	memcpy(&a, id, sizeof(a));
	memcpy(&b, id + sizeof(a), sizeof(b));
	a ^= b * 0xff51afd7ed558ccdull;
	a ^= a >> 33;
	a *= 0x9e3779b97f4a7c15ull;
	return (uint32_t)(a >> 32) & (x->cap - 1);
}

static struct host_keyindex_slot *find(const struct host_keyindex *x, const uint8_t *id)
{
	if (x->n == 0)
		return NULL;
	for (uint32_t i = home_of(x, id);; i = (i + 1) & (x->cap - 1)) {
		struct host_keyindex_slot *s = &x->slots[i];
		if (s->label == NULL)
			return NULL;
		if (memcmp(s->id, id, SPOD_KEY_ID_BYTES) == 0)
			return s;
	}
}

/* Moves s (not in the table) into its first free slot. */
static void place(struct host_keyindex *x, const struct host_keyindex_slot *s)
{
	uint32_t i = home_of(x, s->id);

	while (x->slots[i].label != NULL)
		i = (i + 1) & (x->cap - 1);
	x->slots[i] = *s;
}

/* Room for one more entry at most half full; SPOD_E_NOMEM leaves the table as it was. */
static int reserve_one(struct host_keyindex *x)
{
	struct host_keyindex_slot *old = x->slots, *q;
	uint32_t cap = x->cap ? x->cap : HOST_KEYINDEX_MIN_SLOTS, ocap = x->cap;

	if (x->n < x->cap / 2)
		return SPOD_OK;
	while (x->n >= cap / 2) {
		if (cap >= HOST_KEYINDEX_MAX_SLOTS)
			return SPOD_E_NOMEM;
		cap *= 2;
	}
	q = calloc(cap, sizeof(*q));
	if (q == NULL)
		return SPOD_E_NOMEM;
	x->slots = q;
	x->cap = cap;
	for (uint32_t i = 0; i < ocap; i++)
		if (old[i].label != NULL)
			place(x, &old[i]);
	free(old);
	return SPOD_OK;
}

void host_keyindex_init(struct host_keyindex *x)
{
	memset(x, 0, sizeof(*x));
	x->complete = 1;
}

int host_keyindex_put(struct host_keyindex *x, const uint8_t *id, const char *label, int lost)
{
	size_t len = strnlen(label, SPOD_LABEL_MAX_BYTES + 1);
	struct host_keyindex_slot *s = find(x, id), e = {.lost = (uint8_t)(lost != 0)};
	int rc;

	if (len > SPOD_LABEL_MAX_BYTES)
		return SPOD_E_BAD_ARG;
	if (len == 0) {
		host_keyindex_remove(x, id); /* no label: nothing to match */
		return SPOD_OK;
	}
	if (s != NULL && strcmp(s->label, label) == 0) {
		s->lost = e.lost;
		return SPOD_OK;
	}
	e.label = malloc(len + 1);
	if (e.label == NULL) {
		rc = SPOD_E_NOMEM;
		goto fail;
	}
	memcpy(e.label, label, len + 1);
	if (s != NULL) { /* the same id with another label: not made by spod, but kept right */
		free(s->label);
		s->label = e.label;
		s->lost = e.lost;
		return SPOD_OK;
	}
	rc = reserve_one(x);
	if (rc < 0) {
		free(e.label);
		goto fail;
	}
	memcpy(e.id, id, SPOD_KEY_ID_BYTES);
	place(x, &e);
	x->n++;
	return SPOD_OK;
fail:
	x->complete = 0;
	return rc;
}

void host_keyindex_remove(struct host_keyindex *x, const uint8_t *id)
{
	struct host_keyindex_slot *s = find(x, id);
	uint32_t i, j;

	if (s == NULL)
		return;
	i = j = (uint32_t)(s - x->slots);
	free(s->label);
	s->label = NULL;
	x->n--;
	for (;;) {
		uint32_t home;
		j = (j + 1) & (x->cap - 1);
		if (x->slots[j].label == NULL)
			return;
		home = home_of(x, x->slots[j].id);
		/* j's entry may fill the hole at i unless its home lies in (i, j] */
		if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
			continue;
		x->slots[i] = x->slots[j];
		x->slots[j].label = NULL;
		i = j;
	}
}

void host_keyindex_set_lost(struct host_keyindex *x, const uint8_t *id, int lost)
{
	struct host_keyindex_slot *s = find(x, id);

	if (s != NULL)
		s->lost = (uint8_t)(lost != 0);
}

const char *host_keyindex_label(const struct host_keyindex *x, const uint8_t *id)
{
	const struct host_keyindex_slot *s = find(x, id);

	return s != NULL && !s->lost ? s->label : NULL;
}

void host_keyindex_free(struct host_keyindex *x)
{
	for (uint32_t i = 0; i < x->cap; i++)
		free(x->slots[i].label);
	free(x->slots);
	host_keyindex_init(x);
}

static int load_one(void *ctx, const struct spod_store_key *k)
{
	struct host_keyindex *x = ctx;

	if (k->label[0] == '\0')
		return SPOD_OK;
	return host_keyindex_put(x, k->id, k->label, k->lost_ms != 0);
}

int host_keyindex_load(struct spod_host *h)
{
	int rc;

	host_keyindex_free(&h->keys);
	rc = spod_store_key_list(h->store, SPOD_STORE_KEYS_HELD, load_one, &h->keys);
	if (rc < 0) {
		h->keys.complete = 0;
		spod_warn("key index: %s; label scopes are checked against the key records",
		          rc == SPOD_E_NOMEM ? "out of memory" : spod_store_last_error(h->store));
	}
	return rc;
}

int host_key_label(struct spod_host *h, const uint8_t *id, char *buf, size_t cap,
                   const char **label)
{
	struct spod_store_key k;
	int rc;

	*label = NULL;
	if (h->keys.complete) {
		*label = host_keyindex_label(&h->keys, id);
		return SPOD_OK;
	}
	rc = spod_store_key_get(h->store, &k, id);
	if (rc == SPOD_E_KEY_NOT_FOUND)
		return SPOD_OK;
	if (rc < 0)
		return rc;
	if (k.deleted_ms == 0 && k.lost_ms == 0 && k.label[0] != '\0' && strlen(k.label) < cap) {
		memcpy(buf, k.label, strlen(k.label) + 1);
		*label = buf;
	}
	return SPOD_OK;
}
