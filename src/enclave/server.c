#include "enclave/server.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "common/log.h"
#include "common/trace.h"
#include "enclave/workers.h"
#include "transport/conn.h"
#include "transport/loop.h"
#include "transport/socket.h"

#define ENCLAVE_RX_BYTES  (2u * SPOD_FRAME_MAX_BYTES)
#define ENCLAVE_TX_BYTES  (4u * SPOD_FRAME_MAX_BYTES)
#define ENCLAVE_MAX_CONNS 256

/* conn_dispatch's and conn_collect's outcomes besides 0 (nothing more to do) and errors */
#define CONN_TX_FULL  1 /* stopped for send space: flush, then go on */
#define CONN_WAIT_JOB 2 /* stopped until a worker finishes one of this connection's jobs */
/* Records a connection's batch signs while its jobs are still out (see conn_pump). */
#define CONN_EV_EARLY SPOD_BATCH_MAX_ITEMS

struct enclave_conn {
	struct spod_conn c;
	struct spod_enclave_server *srv;
	struct enclave_conn *prev, *next;
	uint32_t events; /* what the loop watches: SPOD_EV_READ, SPOD_EV_WRITE or nothing */
	int want_write;
	int closed;                 /* the socket is gone; kept only until its jobs come back */
	struct spod_ev_batch batch; /* evidence of this connection's answers, not signed yet */
	/* Requests on workers, in request order: answered in that order (docs/protocol.md). */
	struct spod_enclave_job *jobs, *jobs_tail;
	unsigned njobs;
	uint32_t ev_promised;         /* evidence records the jobs' answers may still add */
	struct enclave_conn *touched; /* the wake-up's list of connections with finished jobs */
	int is_touched;
};

struct spod_enclave_server {
	struct spod_enclave_state *st;
	struct spod_loop *loop;
	int listen_fd;
	int signal_fd;
	unsigned nconns;
	struct enclave_conn *conns;
	struct spod_workers *workers; /* NULL: the loop signs (--threads 1) */
	struct enclave_conn *zombies; /* closed connections whose jobs are still out */
};

static void conn_unlink(struct enclave_conn **head, struct enclave_conn *ec)
{
	if (ec->prev)
		ec->prev->next = ec->next;
	else
		*head = ec->next;
	if (ec->next)
		ec->next->prev = ec->prev;
	ec->prev = ec->next = NULL;
}

/* Returns every job of a closed connection that came back; frees it once none is out. */
static int zombie_reap(struct enclave_conn *ec)
{
	struct spod_enclave_server *srv = ec->srv;
	struct spod_enclave_job *j;

	while ((j = ec->jobs) != NULL && j->done) {
		ec->jobs = j->cnext;
		ec->njobs--;
		spod_workers_recycle(srv->workers, srv->st->keys, j);
	}
	if (ec->njobs > 0)
		return 0;
	conn_unlink(&srv->zombies, ec);
	free(ec);
	return 1;
}

static void conn_close(struct enclave_conn *ec)
{
	struct spod_enclave_server *srv = ec->srv;

	spod_loop_del(srv->loop, ec->c.fd);
	conn_unlink(&srv->conns, ec);
	srv->nconns--;
	/* Records not signed yet die with the connection: their audit rows stay without
	 * evidence, which `spod audit verify` counts as benign (docs/evidence.md). */
	spod_ev_batch_free(&ec->batch);
	spod_conn_free(&ec->c);
	ec->closed = 1;
	/* Workers may still be signing for it: it waits for them among the zombies. */
	ec->next = srv->zombies;
	if (srv->zombies)
		srv->zombies->prev = ec;
	srv->zombies = ec;
	(void)zombie_reap(ec);
}

/* Watches events on the connection's socket (nothing: wait for its jobs). */
static int conn_watch(struct enclave_conn *ec, uint32_t events)
{
	if (ec->events == events)
		return SPOD_OK;
	SPOD_TRY(spod_loop_mod(ec->srv->loop, ec->c.fd, events));
	ec->events = events;
	return SPOD_OK;
}

/*
 * Signs the connection's pending evidence records into one evidence frame at the end of tx
 * (docs/evidence.md). Returns 0 (written, or nothing pending), 1 when tx has no room for it
 * (back-pressure: the records stay pending) or an error (the records are dropped).
 */
static int conn_evidence(struct enclave_conn *ec)
{
	size_t need = spod_ev_batch_frame_bytes(&ec->batch), n;
	uint8_t *out;
	int rc;

	if (need == 0)
		return 0;
	out = spod_conn_tx_reserve(&ec->c, need);
	if (out == NULL)
		return 1;
	rc = spod_enclave_evidence_seal(&ec->srv->st->ev, &ec->batch, out, need, &n);
	if (rc < 0) {
		spod_error("cannot sign %u evidence records: %s", ec->batch.count,
		           spod_strerror(rc));
		ec->batch.count = 0;
		return rc;
	}
	spod_conn_tx_commit(&ec->c, n);
	return 0;
}

/*
 * Writes the answers of the connection's finished jobs, in request order, with their evidence
 * records. Returns 0, or CONN_TX_FULL when the next answer does not fit in tx yet.
 */
static int conn_collect(struct enclave_conn *ec)
{
	struct spod_enclave_server *srv = ec->srv;
	struct spod_enclave_job *j;
	uint8_t *out;

	while ((j = ec->jobs) != NULL && j->done) {
		out = spod_conn_tx_reserve(&ec->c, j->resp_len);
		if (out == NULL)
			return CONN_TX_FULL;
		memcpy(out, j->resp, j->resp_len);
		spod_conn_tx_commit(&ec->c, j->resp_len);
		/* conn_dispatch kept room for them (ev_promised). */
		if (j->ev.count > 0 && spod_ev_batch_append(&ec->batch, &j->ev) < 0)
			spod_warn("evidence of a worker's answer dropped (batch full or out of "
			          "memory)");
		ec->ev_promised -= j->nrecs;
		ec->jobs = j->cnext;
		if (ec->jobs == NULL)
			ec->jobs_tail = NULL;
		ec->njobs--;
		spod_workers_recycle(srv->workers, srv->st->keys, j);
	}
	return 0;
}

/*
 * Hands f to a worker when one may answer it: 1 (f consumed, job queued), 0 (the loop must
 * answer it), CONN_WAIT_JOB (every job is busy and this connection has some: answering here
 * would overtake them) or SPOD_E_NOMEM.
 */
static int conn_offload(struct enclave_conn *ec, const struct spod_frame *f)
{
	struct spod_enclave_server *srv = ec->srv;
	struct spod_enclave_job *j;
	int rc;

	if (srv->workers == NULL)
		return 0;
	/* A lone request while every worker is idle: signed here, which spares a synchronous
	 * caller two thread hand-offs; as soon as requests queue up, the workers take them. */
	if (spod_workers_out(srv->workers) == 0 && ec->c.rx_end - ec->c.rx_start == f->frame_len)
		return 0;
	/* Busy, out of memory or not for a worker: the loop answers, once the jobs are back. */
	rc = spod_workers_prepare(srv->workers, srv->st->keys, f, &j);
	if (rc <= 0)
		return ec->jobs != NULL ? CONN_WAIT_JOB : 0;
	spod_conn_consume(&ec->c, f->frame_len);
	srv->st->requests++;
	j->owner = ec;
	j->cnext = NULL;
	if (ec->jobs_tail != NULL)
		ec->jobs_tail->cnext = j;
	else
		ec->jobs = j;
	ec->jobs_tail = j;
	ec->njobs++;
	ec->ev_promised += j->nrecs;
	spod_workers_submit(srv->workers, j);
	return 1;
}

/*
 * Answers every complete frame in rx, on a worker (signing) or here, while the send buffer
 * has room for a worst-case response. Returns 0 when rx holds no complete frame,
 * CONN_TX_FULL when it stopped for lack of send space, CONN_WAIT_JOB when it stopped until
 * this connection's jobs come back (frames are left in rx), or a fatal framing error (the
 * stream cannot be resynchronised).
 */
static int conn_dispatch(struct enclave_conn *ec)
{
	struct spod_enclave_state *st = ec->srv->st;
	struct spod_frame f;
	uint8_t *out;
	int rc;

	for (;;) {
		/* A frame makes at most SPOD_BATCH_MAX_ITEMS records: sign the batch first when
		 * they might not fit under one root, with those the jobs may still add. */
		if (ec->batch.count + ec->ev_promised + SPOD_BATCH_MAX_ITEMS >
		    SPOD_EVIDENCE_BATCH_MAX) {
			if (ec->batch.count > 0 && conn_evidence(ec) == 1)
				return CONN_TX_FULL;
			if (ec->batch.count + ec->ev_promised + SPOD_BATCH_MAX_ITEMS >
			    SPOD_EVIDENCE_BATCH_MAX)
				return CONN_WAIT_JOB;
		}
		rc = spod_conn_peek(&ec->c, &f);
		if (rc == SPOD_E_AGAIN)
			return 0;
		if (rc == SPOD_OK) {
			rc = conn_offload(ec, &f);
			if (rc == 1)
				continue;
			if (rc != 0)
				return rc;
		} else if (ec->jobs != NULL) {
			return CONN_WAIT_JOB; /* the answers owed come before the error */
		}
		out = spod_conn_tx_reserve(&ec->c, SPOD_ENCLAVE_RESP_MAX);
		if (out == NULL)
			return CONN_TX_FULL; /* back-pressure: wait until the host reads */
		if (rc < 0) {
			/* Say why before closing; the request id is unknown, so 0. */
			size_t n =
			    spod_enclave_error(out, SPOD_ENCLAVE_RESP_MAX, 0, 0, rc, "frame");
			spod_conn_tx_commit(&ec->c, n);
			return rc;
		}
		spod_conn_consume(&ec->c, f.frame_len);
		/* The handlers add this connection's evidence records to its batch. */
		st->ev_batch = st->ev.sk != NULL ? &ec->batch : NULL;
		SPOD_TRACE_AT_WAKE(SPOD_TR_E_RECV, f.hdr.request_id, 0);
		spod_conn_tx_commit(&ec->c,
		                    spod_enclave_handle(st, &f, out, SPOD_ENCLAVE_RESP_MAX));
		SPOD_TRACE_MARK(SPOD_TR_E_SIGNED, f.hdr.request_id, 0);
		SPOD_TRACE_DEFER(SPOD_TR_E_SEND, f.hdr.request_id, 0);
		st->ev_batch = NULL;
	}
}

/*
 * Answer, write, and go round again while frames wait in rx: once they are in rx no read
 * event will announce them, so stopping for back-pressure with the socket drained would
 * leave them unanswered. A connection waiting for its jobs stops reading; their coming back
 * (on_wake) pumps it again.
 */
static void conn_pump(struct enclave_conn *ec)
{
	int fatal = 0, more, rc;

	for (;;) {
		more = conn_collect(ec);
		if (more == 0)
			more = conn_dispatch(ec);
		if (more < 0)
			fatal = 1;
		spod_conn_compact(&ec->c);
		rc = spod_conn_flush(&ec->c);
		SPOD_TRACE_STAMP(SPOD_TR_E_SEND);
		/* The answers are out; now sign what they decided (evidence never delays one).
		 * While workers still sign for this connection, their answers' records join the
		 * batch first: one evidence signature per wake-up would cost as much as the
		 * signing the workers take off the loop. */
		if (rc == SPOD_OK && !fatal && ec->batch.count > 0 &&
		    (ec->jobs == NULL || ec->batch.count >= CONN_EV_EARLY) &&
		    conn_evidence(ec) == 0)
			rc = spod_conn_flush(&ec->c);
		if (rc == SPOD_E_AGAIN && !fatal) {
			/* Stop reading until the host drains what we owe it. */
			if (!ec->want_write && conn_watch(ec, SPOD_EV_WRITE) == SPOD_OK)
				ec->want_write = 1;
			return;
		}
		if (rc < 0 || fatal) {
			if (fatal)
				spod_warn("closing connection %d: unframeable input", ec->c.fd);
			conn_close(ec);
			return;
		}
		/* Drained: read again, unless waiting for jobs (rx may be full). */
		ec->want_write = 0;
		if (conn_watch(ec, more == CONN_WAIT_JOB ? 0 : SPOD_EV_READ) < 0) {
			conn_close(ec);
			return;
		}
		if (more != CONN_TX_FULL)
			return;
	}
}

static void on_conn(struct spod_loop *loop, int fd, uint32_t events, void *arg)
{
	struct enclave_conn *ec = arg;
	struct spod_enclave_server *srv = ec->srv; /* conn_pump may free ec */

	(void)loop, (void)fd;
	SPOD_TRACE_WAKE();
	if (events & (SPOD_EV_READ | SPOD_EV_HUP)) {
		long n = spod_conn_fill(&ec->c);
		if (n == SPOD_E_CLOSED || n == SPOD_E_IO) {
			conn_close(ec);
			return;
		}
	}
	conn_pump(ec);
	/* The requests of this read start now, not after the rest of the wake-up's events. */
	if (srv->workers != NULL)
		spod_workers_flush(srv->workers);
}

/* Writes the answers of finished jobs, and goes on with the connections they held up. */
static void jobs_done(struct spod_enclave_job *list)
{
	struct enclave_conn *touched = NULL, *ec;
	struct spod_enclave_job *j;

	for (j = list; j != NULL; j = j->qnext) {
		ec = j->owner;
		j->done = 1;
		if (!ec->is_touched) {
			ec->is_touched = 1;
			ec->touched = touched;
			touched = ec;
		}
	}
	while ((ec = touched) != NULL) {
		touched = ec->touched;
		ec->is_touched = 0;
		if (ec->closed)
			(void)zombie_reap(ec);
		else
			conn_pump(ec);
	}
}

/* A worker woke the sleeping loop (spod_workers_collect). */
static void on_wake(struct spod_loop *loop, int fd, uint32_t events, void *arg)
{
	struct spod_enclave_server *srv = arg;
	uint64_t count;

	(void)loop, (void)events;
	if (read(fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		spod_warn("workers' eventfd: %s", strerror(errno));
	jobs_done(spod_workers_collect(srv->workers, 0));
	spod_workers_flush(srv->workers);
}

/*
 * Before the loop sleeps: hand the workers what was submitted, and take what they finished
 * meanwhile; only when nothing is left may it sleep, and a worker then wakes it.
 */
static void on_tick(struct spod_loop *loop, void *arg)
{
	struct spod_enclave_server *srv = arg;
	struct spod_enclave_job *list;

	(void)loop;
	for (;;) {
		spod_workers_flush(srv->workers);
		list = spod_workers_collect(srv->workers, 1);
		if (list == NULL)
			return;
		jobs_done(list);
	}
}

static void on_accept(struct spod_loop *loop, int fd, uint32_t events, void *arg)
{
	struct spod_enclave_server *srv = arg;
	struct enclave_conn *ec;
	int cfd;

	(void)events;
	while (spod_accept(&cfd, fd, NULL) == SPOD_OK) {
		if (srv->nconns >= ENCLAVE_MAX_CONNS) {
			spod_warn("refusing connection: %d already open", ENCLAVE_MAX_CONNS);
			close(cfd);
			continue;
		}
		ec = calloc(1, sizeof(*ec));
		if (ec == NULL) {
			close(cfd);
			continue;
		}
		if (spod_conn_init(&ec->c, cfd, ENCLAVE_RX_BYTES, ENCLAVE_TX_BYTES) < 0) {
			free(ec);
			continue;
		}
		ec->srv = srv;
		ec->events = SPOD_EV_READ;
		if (spod_loop_add(loop, cfd, SPOD_EV_READ, on_conn, ec) < 0) {
			spod_conn_free(&ec->c);
			free(ec);
			continue;
		}
		ec->next = srv->conns;
		if (srv->conns)
			srv->conns->prev = ec;
		srv->conns = ec;
		srv->nconns++;
		spod_debug("accepted connection %d", cfd);
	}
}

int spod_enclave_server_new(struct spod_enclave_server **out, struct spod_enclave_state *st,
                            const struct spod_uri *uri, unsigned threads)
{
	struct spod_enclave_server *srv;
	int rc;

	*out = NULL;
	srv = calloc(1, sizeof(*srv));
	if (srv == NULL)
		return SPOD_E_NOMEM;
	srv->st = st;
	srv->listen_fd = -1;
	srv->signal_fd = -1;
	SPOD_GUARD(rc, spod_loop_new(&srv->loop));
	SPOD_GUARD(rc, spod_listen(&srv->listen_fd, uri));
	SPOD_GUARD(rc, spod_loop_add(srv->loop, srv->listen_fd, SPOD_EV_READ, on_accept, srv));
	SPOD_GUARD(rc, spod_loop_stop_on_signals(srv->loop, &srv->signal_fd));
	if (threads > 1) {
		SPOD_GUARD(rc, spod_workers_new(&srv->workers, threads, st));
		SPOD_GUARD(rc, spod_loop_add(srv->loop, spod_workers_wake_fd(srv->workers),
		                             SPOD_EV_READ, on_wake, srv));
	}
	*out = srv;
	return SPOD_OK;
out:
	spod_enclave_server_free(srv);
	return rc;
}

void spod_enclave_server_spin(struct spod_enclave_server *srv, unsigned spin_us)
{
	spod_loop_set_spin(srv->loop, spin_us);
}

int spod_enclave_server_run(struct spod_enclave_server *srv)
{
	return spod_loop_run(srv->loop, -1, srv->workers != NULL ? on_tick : NULL, srv);
}

int spod_enclave_server_wake_fd(const struct spod_enclave_server *srv)
{
	return srv->workers != NULL ? spod_workers_wake_fd(srv->workers) : -1;
}

void spod_enclave_server_free(struct spod_enclave_server *srv)
{
	struct spod_enclave_job *j;
	uint64_t requests, errors;

	if (srv == NULL)
		return;
	if (srv->workers != NULL) {
		/* Every job comes back once the workers are joined; none is answered now. */
		spod_workers_stop(srv->workers);
		for (j = spod_workers_collect(srv->workers, 0); j != NULL; j = j->qnext)
			j->done = 1;
	}
	while (srv->conns)
		conn_close(srv->conns);
	while (srv->zombies)
		if (!zombie_reap(srv->zombies))
			abort(); /* a job neither queued nor finished: a bug */
	if (srv->workers != NULL) {
		spod_workers_counts(srv->workers, &requests, &errors);
		srv->st->errors += errors;
		spod_workers_free(srv->workers);
	}
	if (srv->listen_fd >= 0)
		close(srv->listen_fd);
	if (srv->signal_fd >= 0)
		close(srv->signal_fd);
	spod_loop_free(srv->loop);
	free(srv);
}
