/* The in-flight table: host request id = generation << 16 | slot. */

#include "host/core/host_int.h"

int host_slot_alloc(struct spod_host *h, uint32_t *slot)
{
	if (h->nfree == 0)
		return SPOD_E_BUSY;
	*slot = h->free_slots[--h->nfree];
	h->slots[*slot].used = 1;
	h->slots[*slot].gen++;
	if (h->slots[*slot].gen == 0)
		h->slots[*slot].gen = 1; /* request id 0 is never issued */
	return SPOD_OK;
}

void host_slot_free(struct spod_host *h, uint32_t slot)
{
	h->slots[slot].used = 0;
	h->free_slots[h->nfree++] = slot;
}

uint64_t host_slot_rid(const struct spod_host *h, uint32_t slot)
{
	return (uint64_t)h->slots[slot].gen << 16 | slot;
}

struct inflight *host_slot_lookup(struct spod_host *h, uint64_t rid, uint32_t *slot)
{
	*slot = (uint32_t)(rid & 0xffffu);
	struct inflight *s = &h->slots[*slot];
	if (!s->used || (uint64_t)s->gen != rid >> 16)
		return NULL;
	return s;
}
