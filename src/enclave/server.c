#include "enclave/server.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "common/log.h"
#include "common/trace.h"
#include "transport/conn.h"
#include "transport/loop.h"
#include "transport/socket.h"

#define ENCLAVE_RX_BYTES  (2u * SPOD_FRAME_MAX_BYTES)
#define ENCLAVE_TX_BYTES  (4u * SPOD_FRAME_MAX_BYTES)
#define ENCLAVE_MAX_CONNS 256

struct enclave_conn {
	struct spod_conn c;
	struct spod_enclave_server *srv;
	struct enclave_conn *prev, *next;
	int want_write;
	struct spod_ev_batch batch; /* evidence of this connection's answers, not signed yet */
};

struct spod_enclave_server {
	struct spod_enclave_state *st;
	struct spod_loop *loop;
	int listen_fd;
	int signal_fd;
	unsigned nconns;
	struct enclave_conn *conns;
};

static void conn_close(struct enclave_conn *ec)
{
	spod_loop_del(ec->srv->loop, ec->c.fd);
	if (ec->prev)
		ec->prev->next = ec->next;
	else
		ec->srv->conns = ec->next;
	if (ec->next)
		ec->next->prev = ec->prev;
	ec->srv->nconns--;
	/* Records not signed yet die with the connection: their audit rows stay without
	 * evidence, which `spod audit verify` counts as benign (docs/evidence.md). */
	spod_ev_batch_free(&ec->batch);
	spod_conn_free(&ec->c);
	free(ec);
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
 * Answers every complete frame in rx while the send buffer has room for a worst-case
 * response. Returns 0 when rx holds no complete frame, 1 when it stopped for lack of send
 * space (frames are left in rx), or a fatal framing error (the stream cannot be
 * resynchronised).
 */
static int conn_dispatch(struct enclave_conn *ec)
{
	struct spod_enclave_state *st = ec->srv->st;
	struct spod_frame f;
	uint8_t *out;
	int rc;

	for (;;) {
		/* A frame makes at most SPOD_BATCH_MAX_ITEMS records: sign the batch first when
		 * they might not fit under one root. */
		if (ec->batch.count + SPOD_BATCH_MAX_ITEMS > SPOD_EVIDENCE_BATCH_MAX &&
		    conn_evidence(ec) == 1)
			return 1;
		out = spod_conn_tx_reserve(&ec->c, SPOD_ENCLAVE_RESP_MAX);
		if (out == NULL)
			return 1; /* back-pressure: wait until the host reads */
		rc = spod_conn_next(&ec->c, &f);
		if (rc == SPOD_E_AGAIN)
			return 0;
		if (rc < 0) {
			/* Say why before closing; the request id is unknown, so 0. */
			size_t n =
			    spod_enclave_error(out, SPOD_ENCLAVE_RESP_MAX, 0, 0, rc, "frame");
			spod_conn_tx_commit(&ec->c, n);
			return rc;
		}
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

static void on_conn(struct spod_loop *loop, int fd, uint32_t events, void *arg)
{
	struct enclave_conn *ec = arg;
	int fatal = 0, more, rc;

	(void)fd;
	SPOD_TRACE_WAKE();
	if (events & (SPOD_EV_READ | SPOD_EV_HUP)) {
		long n = spod_conn_fill(&ec->c);
		if (n == SPOD_E_CLOSED || n == SPOD_E_IO) {
			conn_close(ec);
			return;
		}
	}
	/*
	 * Answer, write, and go round again while frames wait in rx: once they are in rx no
	 * read event will announce them, so stopping for back-pressure with the socket
	 * drained would leave them unanswered.
	 */
	for (;;) {
		more = conn_dispatch(ec);
		if (more < 0)
			fatal = 1;
		spod_conn_compact(&ec->c);
		rc = spod_conn_flush(&ec->c);
		SPOD_TRACE_STAMP(SPOD_TR_E_SEND);
		/* The answers are out; now sign what they decided (evidence never delays one). */
		if (rc == SPOD_OK && !fatal && ec->batch.count > 0 && conn_evidence(ec) == 0)
			rc = spod_conn_flush(&ec->c);
		if (rc == SPOD_E_AGAIN && !fatal) {
			/* Stop reading until the host drains what we owe it. */
			if (!ec->want_write &&
			    spod_loop_mod(loop, ec->c.fd, SPOD_EV_WRITE) == SPOD_OK)
				ec->want_write = 1;
			return;
		}
		if (rc < 0 || fatal) {
			if (fatal)
				spod_warn("closing connection %d: unframeable input", ec->c.fd);
			conn_close(ec);
			return;
		}
		if (ec->want_write) {
			/* Drained: read again. */
			ec->want_write = 0;
			if (spod_loop_mod(loop, ec->c.fd, SPOD_EV_READ) < 0) {
				conn_close(ec);
				return;
			}
		}
		if (more == 0)
			return;
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
                            const struct spod_uri *uri)
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
	return spod_loop_run(srv->loop, -1, NULL, NULL);
}

void spod_enclave_server_free(struct spod_enclave_server *srv)
{
	if (srv == NULL)
		return;
	while (srv->conns)
		conn_close(srv->conns);
	if (srv->listen_fd >= 0)
		close(srv->listen_fd);
	if (srv->signal_fd >= 0)
		close(srv->signal_fd);
	spod_loop_free(srv->loop);
	free(srv);
}
