/*
 * The pool of pipelined enclave connections: connect, set each one up (attestation, then the
 * key records), fail fast on loss, reconnect with backoff.
 */
#include <poll.h>
#include <stdio.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "common/log.h"
#include "common/trace.h"
#include "host/core/host_int.h"
#include "transport/socket.h"

#define NS_PER_MS 1000000ull

/* Opcodes a connection waiting for the custodians carries: what provisioning needs. */
static int before_seal(uint8_t opcode)
{
	return opcode == SPOD_OP_ATTEST || opcode == SPOD_OP_SEAL_STATUS ||
	       opcode == SPOD_OP_CUSTODIAN_SHARE || opcode == SPOD_OP_INFO ||
	       opcode == SPOD_OP_ECHO || opcode == SPOD_OP_AUDIT_HEAD;
}

int host_enclave_pick(struct spod_host *h, uint8_t opcode, struct host_enclave **out)
{
	struct host_enclave *best = NULL;
	int waiting = 0;

	for (unsigned i = 0; i < h->cfg.enclave_conns; i++) {
		struct host_enclave *e = &h->enclave[i];
		int usable = e->stage == HOST_ENCLAVE_READY ||
		             (e->stage == HOST_ENCLAVE_WAITING && before_seal(opcode));

		waiting |= e->stage == HOST_ENCLAVE_WAITING;
		if (usable && (best == NULL || e->inflight < best->inflight))
			best = e;
	}
	*out = best;
	if (best != NULL)
		return SPOD_OK;
	return waiting ? SPOD_E_NOT_PROVISIONED : SPOD_E_UNAVAILABLE;
}

int host_ready(const struct spod_host *h)
{
	for (unsigned i = 0; i < h->cfg.enclave_conns; i++)
		if (h->enclave[i].stage == HOST_ENCLAVE_READY)
			return 1;
	return 0;
}

/* Publishes the pool's state to the metrics (and so to /readyz) and logs a change. */
static void note_readiness(struct spod_host *h)
{
	uint64_t up = 0, ready = 0;
	int now_ready;

	for (unsigned i = 0; i < h->cfg.enclave_conns; i++) {
		up += h->enclave[i].stage != HOST_ENCLAVE_DOWN;
		ready += h->enclave[i].stage == HOST_ENCLAVE_READY;
	}
	host_metrics_set(&h->metrics.enclave_up, up);
	host_metrics_set(&h->metrics.enclave_ready, ready);
	now_ready = ready > 0;
	if (now_ready != h->was_ready)
		spod_info("%s", now_ready ? "ready: enclave connected"
		                          : "NOT READY: no enclave connection");
	h->was_ready = now_ready;
}

/* Every request the connection carried gets an answer now, never a hang. */
static void fail_inflight(struct host_enclave *e)
{
	struct spod_host *h = e->h;

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
			host_client_release(cl, in->reserve);
			/* Cannot fail: the credit just released covers an error frame. */
			if (host_client_error(cl, in->opcode, in->client_rid, SPOD_E_UNAVAILABLE,
			                      "enclave connection lost") < 0)
				host_client_close(cl);
		}
		host_slot_free(h, s);
		e->inflight--;
	}
	e->inflight = 0;
}

void host_enclave_down(struct host_enclave *e, const char *why)
{
	struct spod_host *h = e->h;

	spod_warn("enclave connection %u lost (%s); failing its requests", e->index, why);
	host_metrics_add(&h->metrics.enclave_losses, 1);
	spod_loop_del(h->loop, e->c.fd);
	spod_conn_free(&e->c);
	e->stage = HOST_ENCLAVE_DOWN;
	e->dirty = 0;
	host_reconcile_free(e);
	fail_inflight(e);
	host_psync_lost(e);
	host_evidence_lost(e);
	/*
	 * An enclave that failed attestation is not hammered with new attempts; one that fails
	 * its set-up in another way waits twice as long each time; one that served starts over.
	 */
	if (e->refused)
		e->backoff_ms = BACKOFF_MAX_MS;
	else if (!e->served)
		e->backoff_ms =
		    e->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : e->backoff_ms * 2;
	else
		e->backoff_ms = BACKOFF_MIN_MS;
	e->retry_ns = host_now_ns() + (uint64_t)e->backoff_ms * NS_PER_MS;
	note_readiness(h);
	host_arm_timer(h);
}

/*
 * Moves a connection whose seal key is present on to registering the policy admins, then
 * (setup_answer) replaying the sealed keys.
 */
static int start_sync(struct host_enclave *e)
{
	return host_admins_begin(e);
}

/* An answer to the host's own requests; moves the connection to its next stage. */
static int setup_answer(struct host_enclave *e, const struct spod_frame *f)
{
	int rc;

	switch (e->stage) {
	case HOST_ENCLAVE_ATTESTING:
		/* Admission off, the attestation only tells the evidence key. */
		SPOD_TRY(e->h->cfg.admit ? host_admission_answer(e, f)
		                         : host_evidence_attest_answer(e, f));
		return host_seal_begin(e);
	case HOST_ENCLAVE_SETUP:
		rc = host_seal_answer(e, f);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			e->stage = HOST_ENCLAVE_WAITING;
			e->served = 1;
			spod_warn("enclave connection %u: NOT READY, waiting for the custodians' "
			          "shares of the seal key (spod custodian provision)",
			          e->index);
			note_readiness(e->h);
			return SPOD_OK;
		}
		return start_sync(e);
	case HOST_ENCLAVE_ADMINS:
		SPOD_TRY(host_admins_answer(e, f));
		return host_reconcile_begin(e);
	case HOST_ENCLAVE_SYNCING:
		rc = host_reconcile_answer(e, f);
		if (rc == 1) {
			e->stage = HOST_ENCLAVE_READY;
			e->served = 1;
			note_readiness(e->h);
		}
		return rc < 0 ? rc : SPOD_OK;
	default:
		/* READY: a policy.sync (policy_sync.c), or the answer to a key.delete of a key
		 * whose record was lost, or audit.head (evidence.c) */
		if (HOST_CTL_STEP(f->hdr.request_id) == HOST_STEP_HEAD)
			host_head_answer(e, f);
		else if (HOST_CTL_STEP(f->hdr.request_id) >= HOST_STEP_SYNC)
			host_psync_answer(e, f);
		else if (HOST_CTL_STEP(f->hdr.request_id) >= HOST_STEP_DELETE && f->hdr.status != 0)
			spod_warn(
			    "enclave connection %u: deleting an unrecorded key failed (status %u)",
			    e->index, f->hdr.status);
		return SPOD_OK;
	}
}

/*
 * After an answer that says the seal key is now present (the last custodian share), every
 * connection that waited for it replays the sealed keys.
 */
static void seal_arrived(struct spod_host *h, const struct spod_frame *f)
{
	struct spod_seal_view v;

	if (f->hdr.opcode != SPOD_OP_CUSTODIAN_SHARE && f->hdr.opcode != SPOD_OP_SEAL_STATUS)
		return;
	if (spod_wire_seal_resp(&v, f) < 0)
		return;
	host_seal_note(h, &v);
	if (!v.ready)
		return;
	for (unsigned i = 0; i < h->cfg.enclave_conns; i++) {
		struct host_enclave *e = &h->enclave[i];
		if (e->stage == HOST_ENCLAVE_WAITING && start_sync(e) < 0)
			host_enclave_down(e, "cannot replay the sealed keys");
	}
}

/* Handles every whole frame received; SPOD_OK, or an error once the connection is down. */
static int read_frames(struct host_enclave *e)
{
	struct spod_frame f;
	int rc;

	while ((rc = spod_conn_next(&e->c, &f)) == SPOD_OK) {
		if (f.hdr.opcode == SPOD_OP_EVIDENCE) {
			/* unasked, request id 0: before the in-flight table, which has no 0 */
			host_evidence_frame(e, &f);
		} else if (!HOST_CTL(f.hdr.request_id)) {
			/* an application request's answer, whatever the stage */
			host_route_answer(e, &f);
			seal_arrived(e->h, &f);
		} else if (setup_answer(e, &f) < 0) {
			host_enclave_down(e, e->stage == HOST_ENCLAVE_ATTESTING
			                         ? "attestation failed"
			                         : "set-up failed");
			return SPOD_E_PROTOCOL;
		}
	}
	if (rc != SPOD_E_AGAIN) {
		host_enclave_down(e, "unframeable data from enclave");
		return rc;
	}
	return SPOD_OK;
}

static void on_enclave(struct spod_loop *loop, int fd, uint32_t events, void *arg)
{
	struct host_enclave *e = arg;
	long n;
	int rc;

	(void)loop;
	(void)fd;
	if (events & SPOD_EV_WRITE) {
		rc = spod_conn_flush(&e->c);
		if (rc == SPOD_OK)
			rc = spod_loop_mod(e->h->loop, e->c.fd, SPOD_EV_READ);
		if (rc < 0 && rc != SPOD_E_AGAIN) {
			host_enclave_down(e, "write failed");
			return;
		}
	}
	if (!(events & (SPOD_EV_READ | SPOD_EV_HUP)))
		return;
	SPOD_TRACE_WAKE();
	n = spod_conn_fill(&e->c);
	if (n == SPOD_E_CLOSED || n == SPOD_E_IO) {
		host_enclave_down(e, n == SPOD_E_CLOSED ? "closed by enclave" : "read failed");
		return;
	}
	if (n > 0)
		e->progress_ns = host_now_ns();
	if (read_frames(e) == SPOD_OK)
		spod_conn_compact(&e->c);
	/* Writes happen once per wake-up, in the loop's tick (forward.c). */
}

int host_enclave_connect(struct host_enclave *e)
{
	struct spod_host *h = e->h;
	int fd, rc;

	SPOD_TRY(spod_connect(&fd, &h->cfg.enclave, h->cfg.connect_timeout_ms));
	SPOD_TRY(spod_conn_init(&e->c, fd, ENCLAVE_RX_BYTES, ENCLAVE_TX_BYTES));
	rc = spod_loop_add(h->loop, fd, SPOD_EV_READ, on_enclave, e);
	if (rc < 0) {
		spod_conn_free(&e->c);
		return rc;
	}
	e->served = 0;
	e->progress_ns = host_now_ns();
	rc = h->cfg.admit ? host_admission_begin(e) : host_evidence_attest_begin(e);
	if (rc < 0) {
		spod_loop_del(h->loop, fd);
		spod_conn_free(&e->c);
		host_reconcile_free(e);
		e->stage = HOST_ENCLAVE_DOWN;
		return rc;
	}
	spod_info("enclave connection %u up; %s", e->index,
	          h->cfg.admit ? "verifying its attestation" : "asking for its evidence key");
	note_readiness(h);
	return SPOD_OK;
}

/* Arms the reconnect timer for the earliest pending retry, or disarms it. */
void host_arm_timer(struct spod_host *h)
{
	struct itimerspec its = {0};
	uint64_t first = 0;

	for (unsigned i = 0; i < h->cfg.enclave_conns; i++) {
		const struct host_enclave *e = &h->enclave[i];
		if (e->stage == HOST_ENCLAVE_DOWN && (first == 0 || e->retry_ns < first))
			first = e->retry_ns;
	}
	if (first != 0) {
		its.it_value.tv_sec = (time_t)(first / 1000000000u);
		its.it_value.tv_nsec = (long)(first % 1000000000u);
	}
	if (timerfd_settime(h->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		spod_error("timerfd_settime failed");
}

void host_on_timer(struct spod_loop *loop, int fd, uint32_t events, void *arg)
{
	struct spod_host *h = arg;
	uint64_t ticks, now;

	(void)loop;
	(void)events;
	if (read(fd, &ticks, sizeof(ticks)) < 0) {
		/* spurious wake-up: nothing expired */
	}
	now = host_now_ns();
	for (unsigned i = 0; i < h->cfg.enclave_conns; i++) {
		struct host_enclave *e = &h->enclave[i];
		if (e->stage != HOST_ENCLAVE_DOWN || e->retry_ns > now)
			continue;
		if (host_enclave_connect(e) == SPOD_OK)
			continue;
		if (e->backoff_ms < BACKOFF_MAX_MS)
			e->backoff_ms *= 2;
		if (e->backoff_ms > BACKOFF_MAX_MS)
			e->backoff_ms = BACKOFF_MAX_MS;
		e->retry_ns = now + (uint64_t)e->backoff_ms * NS_PER_MS;
	}
	host_arm_timer(h);
}

/* Whether the connection owes answers: its set-up's, or forwarded requests'. */
static int awaiting(const struct host_enclave *e)
{
	return e->stage == HOST_ENCLAVE_ATTESTING || e->stage == HOST_ENCLAVE_SETUP ||
	       e->stage == HOST_ENCLAVE_ADMINS || e->stage == HOST_ENCLAVE_SYNCING ||
	       e->inflight > 0 || e->syncs_out > 0;
}

void host_pool_watch(struct spod_host *h, uint64_t now)
{
	const uint64_t limit = (uint64_t)h->cfg.enclave_timeout_ms * NS_PER_MS;
	int down = 0;

	for (unsigned i = 0; i < h->cfg.enclave_conns; i++) {
		struct host_enclave *e = &h->enclave[i];
		char why[96];

		if (e->stage == HOST_ENCLAVE_DOWN || !awaiting(e) || now - e->progress_ns < limit)
			continue;
		snprintf(why, sizeof(why),
		         "no answer for %u ms with %u request(s) waiting: stalled",
		         h->cfg.enclave_timeout_ms, e->inflight);
		host_metrics_add(&h->metrics.enclave_stalls, 1);
		host_enclave_down(e, why);
		down = 1;
	}
	if (down)
		host_arm_timer(h);
}

void host_pool_flush(struct spod_host *h)
{
	for (unsigned i = 0; i < h->cfg.enclave_conns; i++) {
		struct host_enclave *e = &h->enclave[i];
		int rc;

		if (!e->dirty || e->stage == HOST_ENCLAVE_DOWN)
			continue;
		e->dirty = 0;
		rc = spod_conn_flush(&e->c);
		if (rc == SPOD_E_AGAIN)
			rc = spod_loop_mod(h->loop, e->c.fd, SPOD_EV_READ | SPOD_EV_WRITE);
		if (rc < 0)
			host_enclave_down(e, "write failed");
	}
	SPOD_TRACE_STAMP(SPOD_TR_H_ESEND);
}

void host_pool_final_head(struct spod_host *h, unsigned wait_ms)
{
	const uint64_t deadline = host_now_ns() + (uint64_t)wait_ms * NS_PER_MS;
	struct host_enclave *e;
	int writing;

	(void)host_journal_commit(h);
	/* A periodic SIGN still unanswered is given up: the last head supersedes it. */
	h->head_out = 0;
	if (!host_head_send(h))
		return;
	e = &h->enclave[h->head_enclave];
	writing = spod_conn_flush(&e->c) == SPOD_E_AGAIN;
	/* The loop has stopped: this connection alone is served, answers and evidence alike,
	 * until the head's answer is in or the time is up. */
	while (h->head_out && e->stage != HOST_ENCLAVE_DOWN) {
		uint64_t now = host_now_ns();
		struct pollfd p = {.fd = e->c.fd, .events = POLLIN | (writing ? POLLOUT : 0)};
		long n;

		if (now >= deadline || poll(&p, 1, (int)((deadline - now) / NS_PER_MS) + 1) <= 0)
			break;
		if (p.revents & POLLOUT) {
			int rc = spod_conn_flush(&e->c);
			if (rc < 0 && rc != SPOD_E_AGAIN) {
				host_enclave_down(e, "write failed");
				break;
			}
			writing = rc == SPOD_E_AGAIN;
		}
		if (!(p.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = spod_conn_fill(&e->c);
		if (n == SPOD_E_CLOSED || n == SPOD_E_IO) {
			host_enclave_down(e,
			                  n == SPOD_E_CLOSED ? "closed by enclave" : "read failed");
			break;
		}
		if (read_frames(e) != SPOD_OK)
			break;
		spod_conn_compact(&e->c);
	}
	if (h->head_out) {
		spod_warn(
		    "audit.head: no answer to the last head (seq %llu) within %u ms; not signed",
		    (unsigned long long)h->head_out_seq, wait_ms);
		h->head_out = 0;
	}
	(void)host_journal_commit(h);
}
