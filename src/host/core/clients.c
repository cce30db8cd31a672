/*
 * Application connections: accepting them, reading their requests, flow control, and
 * forwarding admitted requests to an enclave connection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/log.h"
#include "host/core/host_int.h"
#include "transport/socket.h"

static void client_set_waiting(struct host_client *cl, int paused, int eof)
{
	int was = cl->paused || cl->eof;

	cl->paused = paused;
	cl->eof = eof;
	if (was && !(paused || eof))
		cl->h->nwaiting--;
	else if (!was && (paused || eof))
		cl->h->nwaiting++;
}

/* Watches read unless paused or at end of input, and write while answers are pending. */
static int client_update_events(struct host_client *cl)
{
	uint32_t want = 0;

	if (!cl->paused && !cl->eof)
		want |= SPOD_EV_READ;
	if (spod_conn_tx_pending(&cl->c) > 0)
		want |= SPOD_EV_WRITE;
	if (want == cl->events)
		return SPOD_OK;
	SPOD_TRY(spod_loop_mod(cl->h->loop, cl->c.fd, want));
	cl->events = want;
	return SPOD_OK;
}

/*
 * Forwards one request frame (already framed and header-checked) to an enclave, holding
 * reserve bytes of the client's send buffer for its answer.
 */
static int forward_request(struct host_client *cl, const struct spod_frame *f, size_t reserve,
                           struct host_audit *audit, uint64_t t0_ns)
{
	struct spod_host *h = cl->h;
	struct host_enclave *e;
	struct inflight *in;
	uint32_t slot;
	uint8_t *out;

	SPOD_TRY(host_enclave_pick(h, f->hdr.opcode, &e));
	SPOD_TRY(host_slot_alloc(h, &slot));
	out = spod_conn_tx_reserve(&e->c, f->frame_len);
	if (out == NULL) {
		host_slot_free(h, slot);
		return SPOD_E_BUSY;
	}
	in = &h->slots[slot];
	in->audit = audit;
	in->t0_ns = t0_ns;
	in->client_rid = f->hdr.request_id;
	in->reserve = (uint32_t)reserve;
	in->client_index = cl->index;
	in->client_gen = cl->gen;
	in->enclave = (uint16_t)e->index;
	in->opcode = f->hdr.opcode;
	memcpy(out, f->body - SPOD_HDR_BYTES, f->frame_len);
	spod_wire_set_request_id(out, host_slot_rid(h, slot));
	spod_conn_tx_commit(&e->c, f->frame_len);
	e->inflight++;
	cl->inflight++;
	cl->reserved += reserve;
	host_enclave_mark_dirty(e);
	return SPOD_OK;
}

/*
 * Forwards the client's buffered requests while its send buffer has credit for their
 * answers. Returns SPOD_OK (possibly paused) or a fatal framing error.
 */
static int client_pump(struct host_client *cl)
{
	struct spod_frame f;
	int rc;

	while (!cl->closing) {
		struct host_audit *audit = NULL;
		const char *what = "forward";
		uint64_t t0;
		size_t need;

		rc = spod_conn_peek(&cl->c, &f);
		if (rc == SPOD_E_AGAIN)
			break;
		if (rc < 0)
			return rc;
		need = spod_wire_resp_max(f.hdr.opcode, f.frame_len);
		if (need > CLIENT_TX_BYTES - spod_conn_tx_pending(&cl->c) - cl->reserved) {
			client_set_waiting(cl, 1, cl->eof);
			return SPOD_OK;
		}
		t0 = host_now_ns();
		rc = spod_wire_check_hdr(&f.hdr, 0);
		if (rc == SPOD_OK)
			rc = host_admit(cl, &f, &audit, &what);
		if (rc == HOST_HANDLED) {
			spod_conn_consume(&cl->c, f.frame_len);
			continue;
		}
		if (rc == SPOD_OK) {
			rc = forward_request(cl, &f, need, audit, t0);
			what = "forward";
			if (rc < 0)
				host_audit_free(cl->h, audit);
		}
		/* A connection without a valid token gets its answer, then is closed. */
		if (rc == SPOD_E_UNAUTHENTICATED) {
			cl->closing = 1;
			client_set_waiting(cl, cl->paused, 1);
		}
		/* Cannot fail: the credit checked above covers an error frame. */
		if (rc < 0 && host_client_error(cl, f.hdr.opcode, f.hdr.request_id, rc, what) < 0)
			return SPOD_E_INTERNAL;
		spod_conn_consume(&cl->c, f.frame_len);
	}
	client_set_waiting(cl, 0, cl->eof);
	spod_conn_compact(&cl->c);
	return SPOD_OK;
}

/* Closes a half-closed client once every answer it is owed has been written. */
static int client_finish(struct host_client *cl)
{
	if (!cl->eof || cl->inflight > 0 || spod_conn_tx_pending(&cl->c) > 0)
		return 0;
	host_client_close(cl);
	return 1;
}

static void on_client(struct spod_loop *loop, int fd, uint32_t events, void *arg)
{
	struct host_client *cl = arg;
	int rc;

	(void)loop;
	(void)fd;
	if ((events & SPOD_EV_HUP) && (cl->paused || cl->eof)) {
		/* Not reading, so this is a full hang-up: nobody is left to answer. */
		host_client_close(cl);
		return;
	}
	if (events & SPOD_EV_WRITE)
		host_client_mark_dirty(cl);
	if ((events & (SPOD_EV_READ | SPOD_EV_HUP)) && !cl->paused && !cl->eof) {
		long n = spod_conn_fill(&cl->c);
		if (n == SPOD_E_IO) {
			host_client_close(cl);
			return;
		}
		if (n == SPOD_E_CLOSED) {
			/* Half-close: the requests already sent still get their answers. */
			client_set_waiting(cl, cl->paused, 1);
			host_client_mark_dirty(cl);
		}
		rc = client_pump(cl);
		if (rc < 0) {
			/* Unframeable input: say why, then close once the error is written. */
			if (rc == SPOD_E_BAD_MAGIC || rc == SPOD_E_TOO_LARGE)
				(void)host_client_error(cl, 0, 0, rc, "frame");
			(void)host_client_flush(cl); /* best effort: the error, then close */
			spod_warn("closing client %u: %s", cl->index, spod_strerror(rc));
			host_client_close(cl);
			return;
		}
		if (client_update_events(cl) < 0) {
			host_client_close(cl);
			return;
		}
	}
	/* Writes happen once per wake-up, in host_tick. */
}

/* Revisits paused and half-closed clients after their answers moved. */
void host_resume_waiting(struct spod_host *h)
{
	for (uint32_t i = 0; i < h->cfg.max_clients && h->nwaiting > 0; i++) {
		struct host_client *cl = h->clients[i];

		if (cl == NULL || !(cl->paused || cl->eof))
			continue;
		if (cl->paused && client_pump(cl) < 0) {
			host_client_close(cl);
			continue;
		}
		if (client_finish(cl))
			continue;
		if (client_update_events(cl) < 0)
			host_client_close(cl);
	}
}

void host_on_accept(struct spod_loop *loop, int fd, uint32_t events, void *arg)
{
	struct spod_host *h = arg;
	struct host_client *cl;
	uint32_t idx;
	int cfd;

	(void)events;
	while (spod_accept(&cfd, fd) == SPOD_OK) {
		for (idx = 0; idx < h->cfg.max_clients && h->clients[idx] != NULL; idx++)
			;
		if (idx == h->cfg.max_clients) {
			spod_warn("refusing client: %u connections open", h->cfg.max_clients);
			close(cfd);
			continue;
		}
		cl = calloc(1, sizeof(*cl));
		if (cl == NULL) {
			close(cfd);
			continue;
		}
		if (spod_conn_init(&cl->c, cfd, CLIENT_RX_BYTES, CLIENT_TX_BYTES) < 0) {
			free(cl);
			continue;
		}
		cl->h = h;
		cl->events = SPOD_EV_READ;
		cl->index = idx;
		cl->gen = h->client_gen[idx];
		if (spod_loop_add(loop, cfd, SPOD_EV_READ, on_client, cl) < 0) {
			spod_conn_free(&cl->c);
			free(cl);
			continue;
		}
		h->clients[idx] = cl;
		h->nclients++;
		host_metrics_set(&h->metrics.clients, h->nclients);
	}
}

void host_clients_flush(struct spod_host *h)
{
	for (uint32_t i = 0; i < h->ndirty; i++) {
		struct host_client *cl = h->dirty_clients[i];
		int rc;

		if (cl == NULL)
			continue;
		cl->dirty = 0;
		rc = spod_conn_flush(&cl->c);
		if (rc == SPOD_OK || rc == SPOD_E_AGAIN)
			rc = client_update_events(cl);
		if (rc < 0)
			host_client_close(cl);
	}
	h->ndirty = 0;
}
