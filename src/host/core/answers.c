/*
 * Answers from a ready enclave connection: each is matched to its request in the in-flight
 * table and goes back to its client with the client's own request id, or, for audited
 * requests, to the journal, which holds it until its audit records commit.
 */
#include "common/log.h"
#include "common/trace.h"
#include "host/core/host_int.h"

void host_route_answer(struct host_enclave *e, const struct spod_frame *f)
{
	struct spod_host *h = e->h;
	uint8_t *frame = (uint8_t *)f->body - SPOD_HDR_BYTES;
	struct host_client *cl;
	struct inflight *in;
	uint32_t slot;
	int status = f->hdr.status ? spod_err_from_status(f->hdr.status) : SPOD_OK;

	in = host_slot_lookup(h, f->hdr.request_id, &slot);
	if (in == NULL || in->enclave != e->index) {
		static struct spod_log_limit unknown;
		spod_log_limited(&unknown, SPOD_LOG_EVERY_MS, SPOD_LOG_WARN,
		                 "enclave sent a response for unknown request %llu (status %u)",
		                 (unsigned long long)f->hdr.request_id, f->hdr.status);
		return;
	}
	e->inflight--;
	SPOD_TRACE_AT_WAKE(SPOD_TR_H_ARECV, in->client_rid, 0);
	if (in->audit != NULL) {
		/* Held until its audit records are committed; recorded even when the client
		 * went away. */
		host_journal_answer(h, in, f);
		host_audit_free(h, in->audit);
		in->audit = NULL;
		host_slot_free(h, slot);
		return;
	}
	cl = host_client_get(h, in->client_index, in->client_gen);
	if (cl == NULL) {
		host_slot_free(h, slot); /* the client went away; its answer is dropped */
		return;
	}
	host_client_release(cl, in->reserve);
	spod_wire_set_request_id(frame, in->client_rid);
	if (f->frame_len > in->reserve ||
	    host_client_answer(cl, frame, f->frame_len, f->hdr.opcode, status) < 0) {
		/* Larger than the opcode's maximum, or no room despite the credit. */
		spod_error(
		    "enclave answer of %zu bytes for opcode %u does not fit; closing client %u",
		    f->frame_len, f->hdr.opcode, cl->index);
		host_client_close(cl);
	}
	host_slot_free(h, slot);
}
