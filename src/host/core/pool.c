/* The pool of pipelined enclave connections: connect, fail fast on loss, reconnect with backoff. */
#include <sys/timerfd.h>
#include <unistd.h>

#include "common/log.h"
#include "host/core/host_int.h"
#include "transport/socket.h"

/* Moves t forward by ms milliseconds, keeping tv_nsec in range. */
static void retry_after(struct timespec *t, int ms)
{
	t->tv_sec += ms / 1000;
	t->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000L;
	}
}

void host_enclave_mark_dirty(struct host_enclave *e)
{
	e->dirty = 1;
}

struct host_enclave *host_enclave_pick(struct spod_host *h)
{
	struct host_enclave *best = NULL;

	for (unsigned i = 0; i < h->cfg.enclave_conns; i++) {
		struct host_enclave *e = &h->enclave[i];
		if (e->up && e->admitted && (best == NULL || e->inflight < best->inflight))
			best = e;
	}
	return best;
}

int host_ready(const struct spod_host *h)
{
	for (unsigned i = 0; i < h->cfg.enclave_conns; i++)
		if (h->enclave[i].up && h->enclave[i].admitted)
			return 1;
	return 0;
}

/* Publishes the pool's state to the metrics (and so to /readyz). */
static void pool_gauges(struct spod_host *h)
{
	uint64_t up = 0, ready = 0;

	for (unsigned i = 0; i < h->cfg.enclave_conns; i++) {
		up += h->enclave[i].up != 0;
		ready += h->enclave[i].up && h->enclave[i].admitted;
	}
	host_metrics_set(&h->metrics.enclave_up, up);
	host_metrics_set(&h->metrics.enclave_ready, ready);
}

void host_note_readiness(struct spod_host *h)
{
	int ready = host_ready(h);

	pool_gauges(h);
	if (ready != h->was_ready)
		spod_info("%s",
		          ready ? "ready: enclave connected" : "NOT READY: no enclave connection");
	h->was_ready = ready;
}

void host_enclave_down(struct host_enclave *e, const char *why)
{
	struct spod_host *h = e->h;

	spod_warn("enclave connection %u lost (%s); failing its requests", e->index, why);
	host_metrics_add(&h->metrics.enclave_losses, 1);
	spod_loop_del(h->loop, e->c.fd);
	spod_conn_free(&e->c);
	e->up = 0;
	e->admitted = 0;
	e->dirty = 0;
	/* Every request this connection carried gets an answer now, never a hang. */
	for (uint32_t s = 0; s < INFLIGHT_SLOTS && e->inflight > 0; s++) {
		struct inflight *in = &h->slots[s];
		struct host_client *cl;

		if (!in->used || in->enclave != e->index)
			continue;
		cl = host_client_get(h, in->client_index, in->client_gen);
		if (in->audit != NULL) {
			/* The enclave may have acted on it: the log says the outcome is unknown. */
			host_journal_lost(h, in->audit);
			host_audit_free(h, in->audit);
			in->audit = NULL;
		}
		if (cl != NULL) {
			host_client_release(cl, in);
			/* Cannot fail: the credit just released covers an error frame. */
			if (host_client_error(cl, in->opcode, in->client_rid, SPOD_E_UNAVAILABLE,
			                      "enclave connection lost") < 0)
				host_client_close(cl);
		}
		host_slot_free(h, s);
		e->inflight--;
	}
	e->inflight = 0;
	/* An enclave that failed attestation is not hammered with new attempts. */
	e->backoff_ms = e->refused ? BACKOFF_MAX_MS : BACKOFF_MIN_MS;
	clock_gettime(CLOCK_MONOTONIC, &e->retry_at);
	retry_after(&e->retry_at, e->backoff_ms);
	host_note_readiness(h);
	host_arm_timer(h);
}

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
			host_enclave_down(e, "write failed");
			host_flush_dirty(h);
			return;
		}
	}
	if (!(events & (SPOD_EV_READ | SPOD_EV_HUP)))
		return;
	long n = spod_conn_fill(&e->c);
	if (n == SPOD_E_CLOSED || n == SPOD_E_IO) {
		host_enclave_down(e, n == SPOD_E_CLOSED ? "closed by enclave" : "read failed");
		host_flush_dirty(h);
		return;
	}
	while ((rc = spod_conn_next(&e->c, &f)) == SPOD_OK) {
		uint8_t *frame = (uint8_t *)f.body - SPOD_HDR_BYTES;
		struct inflight *in;
		struct host_client *cl;
		uint32_t slot;
		uint8_t *out;

		if (!e->admitted) {
			if (host_admission_answer(e, &f) < 0) {
				host_enclave_down(e, "attestation failed");
				host_flush_dirty(h);
				return;
			}
			host_note_readiness(h);
			continue;
		}
		in = host_slot_lookup(h, f.hdr.request_id, &slot);
		if (in == NULL || in->enclave != e->index) {
			spod_warn("enclave sent a response for unknown request %llu (status %u)",
			          (unsigned long long)f.hdr.request_id, f.hdr.status);
			continue;
		}
		cl = host_client_get(h, in->client_index, in->client_gen);
		e->inflight--;
		if (in->audit != NULL) {
			/* Held until its audit records are committed (journal.c); recorded
			 * even when the client went away. */
			host_journal_answer(h, in, &f);
			host_audit_free(h, in->audit);
			in->audit = NULL;
			host_slot_free(h, slot);
			continue;
		}
		spod_wire_set_request_id(frame, in->client_rid);
		if (cl != NULL)
			host_client_release(cl, in);
		host_slot_free(h, slot);
		if (cl == NULL)
			continue; /* client went away; drop its answer */
		out = f.frame_len <= in->reserve ? spod_conn_tx_reserve(&cl->c, f.frame_len) : NULL;
		if (out == NULL) {
			/* Larger than the opcode's maximum, or no room despite the credit. */
			spod_error(
			    "enclave answer of %zu bytes for opcode %u does not fit; closing "
			    "client %u",
			    f.frame_len, f.hdr.opcode, cl->index);
			host_client_close(cl);
			continue;
		}
		memcpy(out, frame, f.frame_len);
		spod_conn_tx_commit(&cl->c, f.frame_len);
		host_client_mark_dirty(cl);
		host_answer_count(h, f.hdr.opcode,
		                  f.hdr.status ? spod_err_from_status(f.hdr.status) : SPOD_OK);
	}
	if (rc != SPOD_E_AGAIN) {
		host_enclave_down(e, "unframeable data from enclave");
		host_flush_dirty(h);
		return;
	}
	spod_conn_compact(&e->c);
	/* Writes happen once per wake-up, in host_tick. */
}

int host_enclave_connect(struct host_enclave *e)
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
	rc = host_admission_begin(e);
	if (rc < 0) {
		spod_loop_del(h->loop, fd);
		spod_conn_free(&e->c);
		e->up = 0;
		return rc;
	}
	spod_info("enclave connection %u up%s", e->index,
	          e->admitted ? "" : "; verifying its attestation");
	host_note_readiness(h);
	return SPOD_OK;
}

static int ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec <= b->tv_nsec);
}

/* Arms the reconnect timer for the earliest pending retry, or disarms it. */
void host_arm_timer(struct spod_host *h)
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

void host_on_timer(struct spod_loop *loop, int fd, uint32_t events, void *arg)
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
		if (host_enclave_connect(e) == SPOD_OK)
			continue;
		if (e->backoff_ms < BACKOFF_MAX_MS)
			e->backoff_ms *= 2;
		if (e->backoff_ms > BACKOFF_MAX_MS)
			e->backoff_ms = BACKOFF_MAX_MS;
		e->retry_at = now;
		retry_after(&e->retry_at, e->backoff_ms);
	}
	host_arm_timer(h);
}
