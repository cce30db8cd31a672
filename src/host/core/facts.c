/*
 * The audit facts of requests in flight (struct host_audit): captured at admission, owned by
 * the in-flight slot, handed to the journal with the answer. Also what they reserve until
 * then: the label of a key.generate (so no two requests can give one label to two keys) and,
 * for a token with keys-max, a place in its quota (docs/auth.md).
 */
#include <stdlib.h>
#include <string.h>

#include "host/core/host_int.h"

#define AUDIT_SPARE_MAX 4096 /* single-item audits kept for reuse */

/*
 * Single-item audit facts (every sign, generate and delete) come from a free list, so the
 * signing path does not allocate per request.
 */
struct host_audit *host_audit_new(struct spod_host *h, uint8_t opcode, uint32_t n,
                                  const uint8_t token_id[SPOD_STORE_TOKEN_ID_BYTES])
{
	size_t size =
	    sizeof(struct host_audit) + (size_t)(n > 1 ? n : 1) * sizeof(struct host_audit_item);
	struct host_audit *a = h->spare_audits;

	if (n <= 1 && a != NULL) {
		h->spare_audits = a->next_label;
		h->nspare_audits--;
		memset(a, 0, size);
	} else {
		a = calloc(1, size);
		if (a == NULL)
			return NULL;
	}
	a->opcode = opcode;
	a->n = n;
	memcpy(a->token_id, token_id, sizeof(a->token_id));
	return a;
}

void host_audit_set_creator(struct host_audit *a, struct host_token *t)
{
	a->creator = t;
	t->keys_pending++;
}

void host_audit_free(struct spod_host *h, struct host_audit *a)
{
	if (a == NULL)
		return;
	if (a->creator != NULL)
		a->creator->keys_pending--;
	if (a->label[0] != '\0')
		for (struct host_audit **p = &h->pending_labels; *p != NULL; p = &(*p)->next_label)
			if (*p == a) {
				*p = a->next_label;
				break;
			}
	if (a->n <= 1 && h->nspare_audits < AUDIT_SPARE_MAX) {
		a->next_label = h->spare_audits;
		h->spare_audits = a;
		h->nspare_audits++;
		return;
	}
	free(a);
}

void host_audit_spares_free(struct spod_host *h)
{
	while (h->spare_audits != NULL) {
		struct host_audit *a = h->spare_audits;
		h->spare_audits = a->next_label;
		free(a);
	}
	h->nspare_audits = 0;
}

int host_label_queued(const struct spod_host *h, const char *label)
{
	for (uint32_t i = 0; i < h->npkeys; i++)
		if (strcmp(h->pkeys[i].key.label, label) == 0)
			return 1;
	return 0;
}

uint32_t host_keys_queued(const struct spod_host *h,
                          const uint8_t token_id[SPOD_STORE_TOKEN_ID_BYTES])
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < h->npkeys; i++)
		if (h->pkeys[i].key.has_creator &&
		    memcmp(h->pkeys[i].key.created_by, token_id, SPOD_STORE_TOKEN_ID_BYTES) == 0)
			n++;
	return n;
}

int host_audit_claim_label(struct spod_host *h, struct host_audit *a)
{
	struct spod_store_key k;
	int rc;

	if (host_label_queued(h, a->label))
		return SPOD_E_LABEL_TAKEN;
	for (const struct host_audit *p = h->pending_labels; p != NULL; p = p->next_label)
		if (strcmp(p->label, a->label) == 0)
			return SPOD_E_LABEL_TAKEN;
	rc = spod_store_key_find_label(h->store, &k, a->label);
	if (rc == SPOD_OK)
		return SPOD_E_LABEL_TAKEN;
	if (rc != SPOD_E_KEY_NOT_FOUND)
		return rc;
	a->next_label = h->pending_labels;
	h->pending_labels = a;
	return SPOD_OK;
}
