/*
 * Application connections: accepting them, reading their requests, flow control, and
 * forwarding admitted requests to an enclave connection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "common/trace.h"
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
	if (cl->ip != NULL) {
		/* Level-triggered like a socket: input left unread brings the channel back. */
		if ((want & SPOD_EV_READ) && (spod_inproc_loop_events(cl->ip) & SPOD_EV_READ))
			spod_inproc_loop_rearm(cl->ip);
		cl->events = want; /* a full answer ring brings it back too (inproc.h) */
		return SPOD_OK;
	}
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
	in->front = cl->front;
	memcpy(out, f->body - SPOD_HDR_BYTES, f->frame_len);
	spod_wire_set_request_id(out, host_slot_rid(h, slot));
	spod_conn_tx_commit(&e->c, f->frame_len);
	if (e->inflight++ == 0)
		e->progress_ns = t0_ns; /* the enclave's clock to answer starts now */
	cl->inflight++;
	cl->reserved += reserve;
	host_enclave_mark_dirty(e);
	SPOD_TRACE_AT_WAKE(SPOD_TR_H_RECV, in->client_rid, 0);
	SPOD_TRACE_MARK(SPOD_TR_H_ADMIT, in->client_rid, host_slot_rid(h, slot));
	SPOD_TRACE_DEFER(SPOD_TR_H_ESEND, in->client_rid, 0);
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

/* Reads what the client sent and acts on it. Returns 1 when the client was closed. */
static int client_read(struct host_client *cl)
{
	static struct spod_log_limit unframeable;
	long n = host_client_fill(cl);
	int rc;

	if (n == SPOD_E_IO) {
		host_client_close(cl);
		return 1;
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
		spod_log_limited(&unframeable, SPOD_LOG_EVERY_MS, SPOD_LOG_WARN,
		                 "closing client %u: %s", cl->index, spod_strerror(rc));
		host_client_close(cl);
		return 1;
	}
	if (client_update_events(cl) < 0) {
		host_client_close(cl);
		return 1;
	}
	return 0;
}

void host_client_event(struct host_client *cl, uint32_t events)
{
	SPOD_TRACE_WAKE();
	if ((events & SPOD_EV_HUP) && (cl->paused || cl->eof)) {
		/* Not reading, so this is a full hang-up: nobody is left to answer. */
		host_client_close(cl);
		return;
	}
	if (events & SPOD_EV_WRITE)
		host_client_mark_dirty(cl);
	if ((events & (SPOD_EV_READ | SPOD_EV_HUP)) && !cl->paused && !cl->eof)
		(void)client_read(cl);
	/* Writes happen once per wake-up, in host_tick. */
}

static void on_client(struct spod_loop *loop, int fd, uint32_t events, void *arg)
{
	(void)loop;
	(void)fd;
	host_client_event(arg, events);
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

/* Whether bytes the host has not read yet wait on the connection (a hello on its way). */
static int has_input(const struct host_client *cl)
{
	int n = 0;

	if (cl->ip != NULL)
		return cl->c.rx_end > cl->c.rx_start || spod_inproc_loop_pending(cl->ip) > 0;
	return cl->c.rx_end > cl->c.rx_start || (ioctl(cl->c.fd, FIONREAD, &n) == 0 && n > 0);
}

/*
 * The unauthenticated connection to close to make room (of peer only, when peer is not
 * NULL): the oldest that has sent nothing, else the oldest that has sent part of a hello.
 * One with bytes waiting is read first: a complete hello takes it off the list, so a client
 * with a token is never displaced by connections opened after it, however fast they come.
 * NULL when there is none.
 */
static struct host_client *pick_victim(struct spod_host *h, const struct spod_peer *peer)
{
	struct host_client *talking = NULL, *next;

	for (struct host_client *c = h->unauth_head; c != NULL; c = next) {
		next = c->unauth_next; /* c may leave the list or close below; next stays */
		if (peer != NULL && !spod_peer_same(&c->peer, peer))
			continue;
		if (!has_input(c))
			return c;
		if (c->closing || c->paused || c->eof || client_read(c) || !c->unauth)
			continue; /* answered, closed, or authenticated now */
		if (talking == NULL)
			talking = c;
	}
	return talking;
}

/*
 * Room for a newcomer from peer among the connections that have not said hello (docs/host.md,
 * "Hostile clients"): at most max_unauth of them, max_unauth_per_peer from one peer, and
 * max_clients in all. When a limit is reached an unauthenticated connection (of that peer,
 * for the per-peer limit) is closed (pick_victim). Returns SPOD_OK, or SPOD_E_BUSY: refuse
 * the newcomer (every connection is authenticated).
 */
static int limits_hit(const struct spod_host *h, const struct spod_peer *peer, int *per_peer)
{
	uint32_t same = 0;

	for (const struct host_client *c = h->unauth_head; c != NULL; c = c->unauth_next)
		same += spod_peer_same(&c->peer, peer);
	*per_peer = same >= h->cfg.max_unauth_per_peer;
	return *per_peer || h->nunauth >= h->cfg.max_unauth || h->nclients >= h->cfg.max_clients;
}

static int make_room(struct spod_host *h, const struct spod_peer *peer)
{
	static struct spod_log_limit displaced, refused;
	struct host_client *victim;
	int per_peer;
	char who[48];

	if (!limits_hit(h, peer, &per_peer))
		return SPOD_OK;
	victim = pick_victim(h, per_peer ? peer : NULL);
	if (!limits_hit(h, peer, &per_peer))
		return SPOD_OK; /* reading the waiting ones made room */
	spod_peer_text(who, sizeof(who), peer);
	if (victim == NULL) {
		host_metrics_add(&h->metrics.conns_refused, 1);
		spod_log_limited(&refused, SPOD_LOG_EVERY_MS, SPOD_LOG_WARN,
		                 "refusing a connection from %s: %u open, %u of them not "
		                 "authenticated (max-clients %u)",
		                 who, h->nclients, h->nunauth, h->cfg.max_clients);
		return SPOD_E_BUSY;
	}
	host_metrics_add(&h->metrics.unauth_displaced, 1);
	spod_log_limited(&displaced, SPOD_LOG_EVERY_MS, SPOD_LOG_WARN,
	                 "closing an unauthenticated connection to make room for one from %s "
	                 "(%u not authenticated%s)",
	                 who, h->nunauth, per_peer ? "; max-unauth-per-peer reached" : "");
	host_client_close(victim);
	return SPOD_OK;
}

/* Out of descriptors: the listeners rest instead of waking the loop again at once. */
static void pause_accepting(struct spod_host *h, uint64_t now)
{
	static struct spod_log_limit out_of_fds;

	if (h->accept_resume_ns != 0)
		return;
	for (unsigned i = 0; i < h->cfg.nlisten; i++)
		if (spod_loop_mod(h->loop, h->listen_fd[i], 0) < 0)
			spod_error("cannot rest listener %u", i);
	h->accept_resume_ns = now + (uint64_t)HOST_ACCEPT_PAUSE_MS * 1000000u;
	host_metrics_add(&h->metrics.accept_pauses, 1);
	spod_log_limited(&out_of_fds, SPOD_LOG_EVERY_MS, SPOD_LOG_ERROR,
	                 "out of file descriptors (%u connections open): not accepting for %u ms",
	                 h->nclients, HOST_ACCEPT_PAUSE_MS);
}

/* A connection on cfd (a socket), or on the channel ip with cfd -1; *out set if not NULL. */
static int add_client(struct spod_host *h, int cfd, struct spod_inproc *ip,
                      const struct spod_peer *peer, uint64_t now, struct host_client **out)
{
	struct host_client *cl;
	uint32_t idx;

	for (idx = 0; idx < h->cfg.max_clients && h->clients[idx] != NULL; idx++)
		;
	if (idx == h->cfg.max_clients)
		return SPOD_E_BUSY; /* cannot happen: make_room kept one free */
	cl = calloc(1, sizeof(*cl));
	if (cl == NULL)
		return SPOD_E_NOMEM;
	if (spod_conn_init(&cl->c, cfd, CLIENT_RX_BYTES, CLIENT_TX_BYTES) < 0) {
		free(cl);
		return SPOD_E_IO; /* cfd closed by spod_conn_init */
	}
	cl->h = h;
	cl->events = SPOD_EV_READ;
	cl->index = idx;
	cl->gen = h->client_gen[idx];
	cl->peer = *peer;
	cl->front = ip != NULL ? HOST_FRONT_HTTP : HOST_FRONT_BINARY; /* the HTTP layer's channel */
	cl->accepted_ns = now;
	cl->ip = ip;
	if (ip != NULL)
		spod_inproc_set_owner(ip, cl);
	else if (spod_loop_add(h->loop, cfd, SPOD_EV_READ, on_client, cl) < 0) {
		spod_conn_free(&cl->c); /* closes cfd */
		free(cl);
		return SPOD_E_IO;
	}
	h->clients[idx] = cl;
	h->nclients++;
	host_metrics_set(&h->metrics.clients, h->nclients);
	host_client_unauth_add(cl);
	if (out != NULL)
		*out = cl;
	return SPOD_OK;
}

int host_client_add_inproc(struct spod_host *h, struct spod_inproc *ip,
                           const struct spod_peer *peer, struct host_client **out)
{
	SPOD_TRY(make_room(h, peer));
	return add_client(h, -1, ip, peer, host_now_ns(), out);
}

void host_on_accept(struct spod_loop *loop, int fd, uint32_t events, void *arg)
{
	struct spod_host *h = arg;
	struct spod_peer peer;
	uint64_t now = host_now_ns();
	int cfd, rc;

	(void)loop;
	(void)events;
	for (unsigned n = 0;
	     n < HOST_ACCEPT_BATCH && (rc = spod_accept(&cfd, fd, &peer)) == SPOD_OK; n++) {
		rc = make_room(h, &peer);
		if (rc == SPOD_OK)
			rc = add_client(h, cfd, NULL, &peer, now, NULL);
		if (rc == SPOD_E_BUSY || rc == SPOD_E_NOMEM)
			close(cfd);
	}
	if (rc == SPOD_E_BUSY)
		pause_accepting(h, now);
}

void host_clients_watch(struct spod_host *h, uint64_t now)
{
	static struct spod_log_limit timeouts;
	const uint64_t limit = (uint64_t)h->cfg.hello_timeout_ms * 1000000u;

	while (h->unauth_head != NULL && now - h->unauth_head->accepted_ns >= limit) {
		char who[48];

		spod_peer_text(who, sizeof(who), &h->unauth_head->peer);
		host_metrics_add(&h->metrics.hello_timeouts, 1);
		spod_log_limited(&timeouts, SPOD_LOG_EVERY_MS, SPOD_LOG_WARN,
		                 "closing a connection from %s: no hello within %u ms", who,
		                 h->cfg.hello_timeout_ms);
		host_client_close(h->unauth_head);
	}
	if (h->accept_resume_ns != 0 && now >= h->accept_resume_ns) {
		h->accept_resume_ns = 0;
		for (unsigned i = 0; i < h->cfg.nlisten; i++)
			if (spod_loop_mod(h->loop, h->listen_fd[i], SPOD_EV_READ) < 0)
				spod_error("cannot watch listener %u again", i);
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
		rc = host_client_flush(cl);
		if (rc == SPOD_OK || rc == SPOD_E_AGAIN)
			rc = client_update_events(cl);
		if (rc < 0)
			host_client_close(cl);
	}
	h->ndirty = 0;
	SPOD_TRACE_STAMP(SPOD_TR_H_CSEND);
}
