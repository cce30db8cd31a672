#include "host/forward.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "transport/conn.h"
#include "transport/loop.h"
#include "transport/socket.h"

#define CLIENT_RX_BYTES  (2u * SPOD_FRAME_MAX_BYTES)
#define CLIENT_TX_BYTES  (8u * SPOD_FRAME_MAX_BYTES) /* a client this far behind is dropped */
#define ENCLAVE_RX_BYTES (4u * SPOD_FRAME_MAX_BYTES)
#define ENCLAVE_TX_BYTES (8u * SPOD_FRAME_MAX_BYTES)
#define INFLIGHT_SLOTS   65536u /* requests in flight across all clients */
#define ERR_FRAME_MAX    (SPOD_HDR_BYTES + SPOD_ERRMSG_MAX_BYTES)
#define BACKOFF_MIN_MS   20
#define BACKOFF_MAX_MS   2000

/*
 * Flow control: before forwarding a request the host reserves, in the client's send buffer,
 * room for the largest possible answer (spod_wire_resp_max). A client whose answers would
 * not fit is paused (its requests stay unread in rx) until it reads what it is owed, so a
 * slow reader is slowed down, never disconnected, and no answer is ever dropped.
 */
struct host_client {
	struct spod_conn c;
	struct spod_host *h;
	uint32_t index;    /* in h->clients */
	uint32_t gen;      /* matches h->client_gen[index] while open */
	uint32_t inflight; /* requests forwarded and not yet answered */
	size_t reserved;   /* send-buffer bytes promised to those answers */
	uint32_t events;   /* SPOD_EV_* currently watched */
	int dirty;         /* responses committed, flush pending this iteration */
	int paused;        /* out of credit: not reading until answers drain */
	int eof;           /* peer shut down its writing side: answer, then close */
};

struct host_enclave {
	struct spod_conn c;
	struct spod_host *h;
	int up;
	unsigned index;
	uint32_t inflight;
	int dirty;
	int backoff_ms;
	struct timespec retry_at;
};

/* One forwarded request waiting for its response. */
struct inflight {
	uint64_t client_rid;
	uint32_t reserve; /* credit held in the client's send buffer */
	uint32_t client_index;
	uint32_t client_gen;
	uint32_t gen; /* bumps on every reuse so stale ids are detected */
	uint16_t enclave;
	uint8_t opcode;
	uint8_t used;
};

struct spod_host {
	struct spod_host_config cfg;
	struct spod_loop *loop;
	int listen_fd[SPOD_HOST_MAX_LISTENERS];
	int signal_fd;
	int timer_fd;
	struct host_client **clients;
	uint32_t *client_gen;
	uint32_t nclients;
	struct host_enclave enclave[SPOD_HOST_MAX_ENCLAVE_CONNS];
	struct inflight *slots;
	uint32_t *free_slots;
	uint32_t nfree;
	struct host_client **dirty_clients;
	uint32_t ndirty;
	uint32_t nwaiting; /* clients paused or half-closed, revisited after each wake-up */
	int was_ready;
};

/* ---- in-flight table: host request id = gen << 16 | slot ---- */

static int slot_alloc(struct spod_host *h, uint32_t *slot)
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

static void slot_free(struct spod_host *h, uint32_t slot)
{
	h->slots[slot].used = 0;
	h->free_slots[h->nfree++] = slot;
}

static uint64_t slot_rid(const struct spod_host *h, uint32_t slot)
{
	return (uint64_t)h->slots[slot].gen << 16 | slot;
}

static struct inflight *slot_lookup(struct spod_host *h, uint64_t rid, uint32_t *slot)
{
	*slot = (uint32_t)(rid & 0xffffu);
	struct inflight *s = &h->slots[*slot];
	if (!s->used || (uint64_t)s->gen != rid >> 16)
		return NULL;
	return s;
}

/* ---- clients ---- */

static struct host_client *client_get(struct spod_host *h, uint32_t index, uint32_t gen)
{
	if (index >= h->cfg.max_clients || h->clients[index] == NULL || h->client_gen[index] != gen)
		return NULL;
	return h->clients[index];
}

static void client_close(struct host_client *cl)
{
	struct spod_host *h = cl->h;

	spod_loop_del(h->loop, cl->c.fd);
	if (cl->paused || cl->eof)
		h->nwaiting--;
	h->clients[cl->index] = NULL;
	h->client_gen[cl->index]++; /* responses still in flight for it are dropped */
	h->nclients--;
	if (cl->dirty) {
		for (uint32_t i = 0; i < h->ndirty; i++)
			if (h->dirty_clients[i] == cl)
				h->dirty_clients[i] = NULL;
	}
	spod_conn_free(&cl->c);
	free(cl);
}

static void client_mark_dirty(struct host_client *cl)
{
	if (!cl->dirty) {
		cl->dirty = 1;
		cl->h->dirty_clients[cl->h->ndirty++] = cl;
	}
}

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

/* Gives back the credit of one answered (or failed) request. */
static void client_release(struct host_client *cl, const struct inflight *in)
{
	cl->inflight--;
	cl->reserved -= in->reserve;
}

/* Writes an error response for one client request. Returns SPOD_OK or SPOD_E_BUSY. */
static int client_error(struct host_client *cl, uint8_t opcode, uint64_t rid, int err,
                        const char *what)
{
	uint8_t *out = spod_conn_tx_reserve(&cl->c, ERR_FRAME_MAX);
	char msg[SPOD_ERRMSG_MAX_BYTES];
	size_t len;

	if (out == NULL)
		return SPOD_E_BUSY;
	snprintf(msg, sizeof(msg), "%s: %s", what, spod_strerror(err));
	if (spod_wire_put_error(out, ERR_FRAME_MAX, &len, opcode, rid, err, msg) < 0)
		return SPOD_E_INTERNAL;
	spod_conn_tx_commit(&cl->c, len);
	client_mark_dirty(cl);
	return SPOD_OK;
}

/* ---- enclave pool ---- */

static void enclave_mark_dirty(struct host_enclave *e)
{
	e->dirty = 1;
}

static struct host_enclave *enclave_pick(struct spod_host *h)
{
	struct host_enclave *best = NULL;

	for (unsigned i = 0; i < h->cfg.enclave_conns; i++) {
		struct host_enclave *e = &h->enclave[i];
		if (e->up && (best == NULL || e->inflight < best->inflight))
			best = e;
	}
	return best;
}

static int host_ready(const struct spod_host *h)
{
	for (unsigned i = 0; i < h->cfg.enclave_conns; i++)
		if (h->enclave[i].up)
			return 1;
	return 0;
}

static void note_readiness(struct spod_host *h)
{
	int ready = host_ready(h);

	if (ready != h->was_ready)
		spod_info("%s",
		          ready ? "ready: enclave connected" : "NOT READY: no enclave connection");
	h->was_ready = ready;
}

static void arm_timer(struct spod_host *h);

static void enclave_down(struct host_enclave *e, const char *why)
{
	struct spod_host *h = e->h;

	spod_warn("enclave connection %u lost (%s); failing its requests", e->index, why);
	spod_loop_del(h->loop, e->c.fd);
	spod_conn_free(&e->c);
	e->up = 0;
	e->dirty = 0;
	/* Every request this connection carried gets an answer now, never a hang. */
	for (uint32_t s = 0; s < INFLIGHT_SLOTS && e->inflight > 0; s++) {
		struct inflight *in = &h->slots[s];
		struct host_client *cl;

		if (!in->used || in->enclave != e->index)
			continue;
		cl = client_get(h, in->client_index, in->client_gen);
		if (cl != NULL) {
			client_release(cl, in);
			/* Cannot fail: the credit just released covers an error frame. */
			if (client_error(cl, in->opcode, in->client_rid, SPOD_E_UNAVAILABLE,
			                 "enclave connection lost") < 0)
				client_close(cl);
		}
		slot_free(h, s);
		e->inflight--;
	}
	e->inflight = 0;
	e->backoff_ms = BACKOFF_MIN_MS;
	clock_gettime(CLOCK_MONOTONIC, &e->retry_at);
	e->retry_at.tv_nsec += (long)e->backoff_ms * 1000000L;
	if (e->retry_at.tv_nsec >= 1000000000L) {
		e->retry_at.tv_sec++;
		e->retry_at.tv_nsec -= 1000000000L;
	}
	note_readiness(h);
	arm_timer(h);
}

static void flush_dirty(struct spod_host *h);

static void on_enclave(struct spod_loop *loop, int fd, uint32_t events, void *arg)
{
	struct host_enclave *e = arg;
	struct spod_host *h = e->h;
	struct spod_frame f;
	int rc;

	(void)loop;
	(void)fd;
	if (events & SPOD_EV_WRITE) {
		rc = spod_conn_flush(&e->c);
		if (rc == SPOD_OK)
			rc = spod_loop_mod(h->loop, e->c.fd, SPOD_EV_READ);
		if (rc < 0 && rc != SPOD_E_AGAIN) {
			enclave_down(e, "write failed");
			flush_dirty(h);
			return;
		}
	}
	if (!(events & (SPOD_EV_READ | SPOD_EV_HUP)))
		return;
	long n = spod_conn_fill(&e->c);
	if (n == SPOD_E_CLOSED || n == SPOD_E_IO) {
		enclave_down(e, n == SPOD_E_CLOSED ? "closed by enclave" : "read failed");
		flush_dirty(h);
		return;
	}
	while ((rc = spod_conn_next(&e->c, &f)) == SPOD_OK) {
		uint8_t *frame = (uint8_t *)f.body - SPOD_HDR_BYTES;
		struct inflight *in;
		struct host_client *cl;
		uint32_t slot;
		uint8_t *out;

		in = slot_lookup(h, f.hdr.request_id, &slot);
		if (in == NULL || in->enclave != e->index) {
			spod_warn("enclave sent a response for unknown request %llu (status %u)",
			          (unsigned long long)f.hdr.request_id, f.hdr.status);
			continue;
		}
		cl = client_get(h, in->client_index, in->client_gen);
		spod_wire_set_request_id(frame, in->client_rid);
		if (cl != NULL)
			client_release(cl, in);
		slot_free(h, slot);
		e->inflight--;
		if (cl == NULL)
			continue; /* client went away; drop its answer */
		out = f.frame_len <= in->reserve ? spod_conn_tx_reserve(&cl->c, f.frame_len) : NULL;
		if (out == NULL) {
			/* Larger than the opcode's maximum, or no room despite the credit. */
			spod_error(
			    "enclave answer of %zu bytes for opcode %u does not fit; closing "
			    "client %u",
			    f.frame_len, f.hdr.opcode, cl->index);
			client_close(cl);
			continue;
		}
		memcpy(out, frame, f.frame_len);
		spod_conn_tx_commit(&cl->c, f.frame_len);
		client_mark_dirty(cl);
	}
	if (rc != SPOD_E_AGAIN) {
		enclave_down(e, "unframeable data from enclave");
		flush_dirty(h);
		return;
	}
	spod_conn_compact(&e->c);
	/* Writes happen once per wake-up, in host_tick. */
}

static int enclave_connect(struct host_enclave *e)
{
	struct spod_host *h = e->h;
	int fd, rc;

	rc = spod_connect(&fd, &h->cfg.enclave, h->cfg.connect_timeout_ms);
	if (rc < 0)
		return rc;
	rc = spod_conn_init(&e->c, fd, ENCLAVE_RX_BYTES, ENCLAVE_TX_BYTES);
	if (rc < 0)
		return rc;
	rc = spod_loop_add(h->loop, fd, SPOD_EV_READ, on_enclave, e);
	if (rc < 0) {
		spod_conn_free(&e->c);
		return rc;
	}
	e->up = 1;
	e->backoff_ms = BACKOFF_MIN_MS;
	spod_info("enclave connection %u up", e->index);
	note_readiness(h);
	return SPOD_OK;
}

static int ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec <= b->tv_nsec);
}

/* Arms the reconnect timer for the earliest pending retry, or disarms it. */
static void arm_timer(struct spod_host *h)
{
	struct itimerspec its = {0};
	const struct timespec *first = NULL;

	for (unsigned i = 0; i < h->cfg.enclave_conns; i++) {
		struct host_enclave *e = &h->enclave[i];
		if (!e->up && (first == NULL || ts_before(&e->retry_at, first)))
			first = &e->retry_at;
	}
	if (first != NULL) {
		its.it_value = *first;
		if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
			its.it_value.tv_nsec = 1;
	}
	if (timerfd_settime(h->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		spod_error("timerfd_settime failed");
}

static void on_timer(struct spod_loop *loop, int fd, uint32_t events, void *arg)
{
	struct spod_host *h = arg;
	struct timespec now;
	uint64_t ticks;

	(void)loop;
	(void)events;
	if (read(fd, &ticks, sizeof(ticks)) < 0) {
		/* spurious wake-up: nothing expired */
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	for (unsigned i = 0; i < h->cfg.enclave_conns; i++) {
		struct host_enclave *e = &h->enclave[i];
		if (e->up || !ts_before(&e->retry_at, &now))
			continue;
		if (enclave_connect(e) == SPOD_OK)
			continue;
		if (e->backoff_ms < BACKOFF_MAX_MS)
			e->backoff_ms *= 2;
		if (e->backoff_ms > BACKOFF_MAX_MS)
			e->backoff_ms = BACKOFF_MAX_MS;
		e->retry_at = now;
		e->retry_at.tv_nsec += (long)e->backoff_ms * 1000000L;
		e->retry_at.tv_sec += e->retry_at.tv_nsec / 1000000000L;
		e->retry_at.tv_nsec %= 1000000000L;
	}
	arm_timer(h);
}

/* ---- forwarding ---- */

/*
 * The seam where authentication and per-token scopes (the host issue) will decide whether
 * a frame may pass. Today every well-formed request is admitted.
 */
static int host_admit(const struct host_client *cl, const struct spod_frame *f)
{
	(void)cl;
	(void)f;
	return SPOD_OK;
}

/*
 * Forwards one request frame (already framed and header-checked) to an enclave, holding
 * reserve bytes of the client's send buffer for its answer.
 */
static int forward_request(struct host_client *cl, const struct spod_frame *f, size_t reserve)
{
	struct spod_host *h = cl->h;
	struct host_enclave *e = enclave_pick(h);
	struct inflight *in;
	uint32_t slot;
	uint8_t *out;

	if (e == NULL)
		return SPOD_E_UNAVAILABLE;
	SPOD_TRY(slot_alloc(h, &slot));
	out = spod_conn_tx_reserve(&e->c, f->frame_len);
	if (out == NULL) {
		slot_free(h, slot);
		return SPOD_E_BUSY;
	}
	in = &h->slots[slot];
	in->client_rid = f->hdr.request_id;
	in->reserve = (uint32_t)reserve;
	in->client_index = cl->index;
	in->client_gen = cl->gen;
	in->enclave = (uint16_t)e->index;
	in->opcode = f->hdr.opcode;
	memcpy(out, f->body - SPOD_HDR_BYTES, f->frame_len);
	spod_wire_set_request_id(out, slot_rid(h, slot));
	spod_conn_tx_commit(&e->c, f->frame_len);
	e->inflight++;
	cl->inflight++;
	cl->reserved += reserve;
	enclave_mark_dirty(e);
	return SPOD_OK;
}

static void flush_dirty(struct spod_host *h)
{
	for (unsigned i = 0; i < h->cfg.enclave_conns; i++) {
		struct host_enclave *e = &h->enclave[i];
		int rc;

		if (!e->dirty || !e->up)
			continue;
		e->dirty = 0;
		rc = spod_conn_flush(&e->c);
		if (rc == SPOD_E_AGAIN)
			rc = spod_loop_mod(h->loop, e->c.fd, SPOD_EV_READ | SPOD_EV_WRITE);
		if (rc < 0)
			enclave_down(e, "write failed");
	}
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
			client_close(cl);
	}
	h->ndirty = 0;
}

/*
 * Forwards the client's buffered requests while its send buffer has credit for their
 * answers. Returns SPOD_OK (possibly paused) or a fatal framing error.
 */
static int client_pump(struct host_client *cl)
{
	struct spod_frame f;
	int rc;

	for (;;) {
		const char *what = "forward";
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
		spod_conn_consume(&cl->c, f.frame_len);
		rc = spod_wire_check_hdr(&f.hdr, 0);
		if (rc == SPOD_OK) {
			what = "admission";
			rc = host_admit(cl, &f);
		}
		if (rc == SPOD_OK) {
			what = "forward";
			rc = forward_request(cl, &f, need);
		}
		/* Cannot fail: the credit checked above covers an error frame. */
		if (rc < 0 && client_error(cl, f.hdr.opcode, f.hdr.request_id, rc, what) < 0)
			return SPOD_E_INTERNAL;
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
	client_close(cl);
	return 1;
}

static void on_client(struct spod_loop *loop, int fd, uint32_t events, void *arg)
{
	struct host_client *cl = arg;
	struct spod_host *h = cl->h;
	int rc;

	(void)loop;
	(void)fd;
	if ((events & SPOD_EV_HUP) && (cl->paused || cl->eof)) {
		/* Not reading, so this is a full hang-up: nobody is left to answer. */
		client_close(cl);
		return;
	}
	if (events & SPOD_EV_WRITE)
		client_mark_dirty(cl);
	if ((events & (SPOD_EV_READ | SPOD_EV_HUP)) && !cl->paused && !cl->eof) {
		long n = spod_conn_fill(&cl->c);
		if (n == SPOD_E_IO) {
			client_close(cl);
			return;
		}
		if (n == SPOD_E_CLOSED) {
			/* Half-close: the requests already sent still get their answers. */
			client_set_waiting(cl, cl->paused, 1);
			client_mark_dirty(cl);
		}
		rc = client_pump(cl);
		if (rc < 0) {
			/* Unframeable input: say why, then close once the error is written. */
			if (rc == SPOD_E_BAD_MAGIC || rc == SPOD_E_TOO_LARGE)
				(void)client_error(cl, 0, 0, rc, "frame");
			flush_dirty(h);
			if (client_get(h, cl->index, cl->gen) != NULL) {
				spod_warn("closing client %u: %s", cl->index, spod_strerror(rc));
				client_close(cl);
			}
			return;
		}
		if (client_update_events(cl) < 0) {
			client_close(cl);
			return;
		}
	}
	/* Writes happen once per wake-up, in host_tick. */
}

/* Revisits paused and half-closed clients after their answers moved. */
static void resume_waiting(struct spod_host *h)
{
	for (uint32_t i = 0; i < h->cfg.max_clients && h->nwaiting > 0; i++) {
		struct host_client *cl = h->clients[i];

		if (cl == NULL || !(cl->paused || cl->eof))
			continue;
		if (cl->paused && client_pump(cl) < 0) {
			client_close(cl);
			continue;
		}
		if (client_finish(cl))
			continue;
		if (client_update_events(cl) < 0)
			client_close(cl);
	}
}

static void on_accept(struct spod_loop *loop, int fd, uint32_t events, void *arg)
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
	}
}

static void on_signal(struct spod_loop *loop, int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo si;

	(void)events;
	(void)arg;
	if (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		spod_info("signal %u: shutting down", si.ssi_signo);
	spod_loop_stop(loop);
}

int spod_host_new(struct spod_host **out, const struct spod_host_config *cfg)
{
	struct spod_host *h;
	sigset_t mask;
	int rc;

	*out = NULL;
	if (cfg->nlisten == 0 || cfg->nlisten > SPOD_HOST_MAX_LISTENERS ||
	    cfg->enclave_conns == 0 || cfg->enclave_conns > SPOD_HOST_MAX_ENCLAVE_CONNS ||
	    cfg->max_clients == 0)
		return SPOD_E_BAD_ARG;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return SPOD_E_NOMEM;
	h->cfg = *cfg;
	h->signal_fd = -1;
	h->timer_fd = -1;
	for (unsigned i = 0; i < SPOD_HOST_MAX_LISTENERS; i++)
		h->listen_fd[i] = -1;
	h->clients = calloc(cfg->max_clients, sizeof(*h->clients));
	h->client_gen = calloc(cfg->max_clients, sizeof(*h->client_gen));
	h->dirty_clients = calloc(cfg->max_clients, sizeof(*h->dirty_clients));
	h->slots = calloc(INFLIGHT_SLOTS, sizeof(*h->slots));
	h->free_slots = calloc(INFLIGHT_SLOTS, sizeof(*h->free_slots));
	if (!h->clients || !h->client_gen || !h->dirty_clients || !h->slots || !h->free_slots) {
		rc = SPOD_E_NOMEM;
		goto out;
	}
	/* Hand out low slots first (they are popped from the end). */
	for (uint32_t i = 0; i < INFLIGHT_SLOTS; i++)
		h->free_slots[i] = INFLIGHT_SLOTS - 1 - i;
	h->nfree = INFLIGHT_SLOTS;

	SPOD_GUARD(rc, spod_loop_new(&h->loop));
	for (unsigned i = 0; i < cfg->nlisten; i++) {
		SPOD_GUARD(rc, spod_listen(&h->listen_fd[i], &cfg->listen[i]));
		SPOD_GUARD(rc, spod_loop_add(h->loop, h->listen_fd[i], SPOD_EV_READ, on_accept, h));
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	h->signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	h->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (h->signal_fd < 0 || h->timer_fd < 0) {
		rc = SPOD_E_IO;
		goto out;
	}
	SPOD_GUARD(rc, spod_loop_add(h->loop, h->signal_fd, SPOD_EV_READ, on_signal, h));
	SPOD_GUARD(rc, spod_loop_add(h->loop, h->timer_fd, SPOD_EV_READ, on_timer, h));
	for (unsigned i = 0; i < cfg->enclave_conns; i++) {
		struct host_enclave *e = &h->enclave[i];
		e->h = h;
		e->index = i;
		e->c.fd = -1;
		e->backoff_ms = BACKOFF_MIN_MS;
		/* First attempt right away; failures retry with backoff from the timer. */
		if (enclave_connect(e) < 0)
			clock_gettime(CLOCK_MONOTONIC, &e->retry_at);
	}
	if (!host_ready(h))
		spod_warn("NOT READY: enclave not reachable yet; retrying with backoff");
	arm_timer(h);
	*out = h;
	return SPOD_OK;
out:
	spod_host_free(h);
	return rc;
}

/*
 * After every epoll_wait batch: one write per connection that got data, however many
 * ready descriptors contributed to it.
 */
static void host_tick(struct spod_loop *loop, void *arg)
{
	struct spod_host *h = arg;

	(void)loop;
	flush_dirty(h);
	if (h->nwaiting > 0) {
		resume_waiting(h);
		flush_dirty(h);
	}
}

int spod_host_run(struct spod_host *h)
{
	return spod_loop_run(h->loop, -1, host_tick, h);
}

void spod_host_free(struct spod_host *h)
{
	if (h == NULL)
		return;
	for (uint32_t i = 0; h->clients && i < h->cfg.max_clients; i++)
		if (h->clients[i] != NULL)
			client_close(h->clients[i]);
	for (unsigned i = 0; i < h->cfg.enclave_conns; i++)
		if (h->enclave[i].up) {
			spod_loop_del(h->loop, h->enclave[i].c.fd);
			spod_conn_free(&h->enclave[i].c);
		}
	for (unsigned i = 0; i < SPOD_HOST_MAX_LISTENERS; i++)
		if (h->listen_fd[i] >= 0)
			close(h->listen_fd[i]);
	if (h->signal_fd >= 0)
		close(h->signal_fd);
	if (h->timer_fd >= 0)
		close(h->timer_fd);
	spod_loop_free(h->loop);
	free(h->clients);
	free(h->client_gen);
	free(h->dirty_clients);
	free(h->slots);
	free(h->free_slots);
	free(h);
}
