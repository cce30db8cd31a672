/*
 * The records of a failed audit commit (journal.c, docs/storage.md "What spod-host records"):
 * every answer of that commit was withheld (UNAVAILABLE to its client), but the enclave acted on
 * each request, and its signed evidence (docs/evidence.md) records every signature it made.
 * So the records are not thrown away: they stay queued, their result UNAVAILABLE and their
 * detail saying why, and go into the next commit that succeeds. `spod audit verify` then finds
 * an audit record for each such evidence record.
 */
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "host/core/host_int.h"

#define WITHHELD "withheld, audit log unavailable"

void host_journal_withhold(struct spod_host *h)
{
	for (uint32_t i = 0; i < h->nrecs; i++) {
		struct host_rec *r = &h->recs[i];
		char was[sizeof(r->detail)];

		if (r->keep)
			continue; /* a sign.request, or the outcome of an answer that went out */
		if (r->result == SPOD_E_UNAVAILABLE && strncmp(r->detail, WITHHELD, 8) == 0)
			continue; /* already marked by an earlier failure */
		snprintf(was, sizeof(was), "%s", r->detail);
		snprintf(r->detail, sizeof(r->detail), WITHHELD " (was %s%s%.140s)",
		         spod_err_name(r->result), was[0] ? ": " : "", was);
		r->result = SPOD_E_UNAVAILABLE;
	}
	if (h->nrecs > HOST_WITHHELD_MAX) {
		spod_error("audit: %u withheld records could not be kept (at most %u wait for the "
		           "store); they are lost",
		           h->nrecs - HOST_WITHHELD_MAX, HOST_WITHHELD_MAX);
		h->nrecs = HOST_WITHHELD_MAX;
	}
}
