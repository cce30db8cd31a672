/*
 * libspod internals shared by its files (client.c: connections, key and signing calls,
 * pipelining; seal.c: sealing and provisioning calls; tx.c: sign.tx; policy.c: policy.set and
 * policy.get; inproc.c: the in-process transport and the I/O calls that choose between it and
 * a socket). Not exported from libspod.
 */
#ifndef SPOD_CLIENT_CLIENT_INT_H
#define SPOD_CLIENT_CLIENT_INT_H

#include "spod/client.h"
#include "transport/conn.h"
#include "transport/inproc.h"

struct spod_client {
	struct spod_conn c;     /* c.fd is -1 on an in-process channel */
	struct spod_inproc *ip; /* NULL: a socket */
	int timeout_ms;
	uint64_t next_rid;
	size_t in_flight;
	char last_error[SPOD_ERRMSG_MAX_BYTES + 1];
};

/*
 * A client around fd (owned from then on; -1 for an in-process channel, set by the caller),
 * with timeout_ms for its calls (<= 0: 30 s). SPOD_OK with *out set, or SPOD_E_NOMEM.
 */
int client_new(struct spod_client **out, int fd, int timeout_ms);

/* Makes a client connected to "to" within timeout_ms (spod_client_connect's contract). */
typedef int (*client_connect_fn)(struct spod_client **out, const void *to, int timeout_ms);

/* spod_client_open with connect: connect, then hello with token (when not NULL), retried. */
int client_open_with(struct spod_client **out, client_connect_fn connect, const void *to,
                     const char *token, int timeout_ms);

/* ---- inproc.c: the I/O below the calls, over a socket or an in-process channel ---- */

/* One read into rx's free tail: spod_conn_fill's contract. */
long client_io_fill(struct spod_client *c);

/* Writes what tx holds: spod_conn_flush's contract. */
int client_io_flush(struct spod_client *c);

/*
 * Waits at most timeout_ms (< 0: no limit) for SPOD_EV_READ / SPOD_EV_WRITE among events.
 * SPOD_OK with *ready the bits that hold (0: the time ran out), or SPOD_E_IO.
 */
int client_io_wait(struct spod_client *c, uint32_t events, int timeout_ms, uint32_t *ready);

/* Reserves a whole frame of at most need bytes in tx for a synchronous call; NULL when the
 * pipeline is busy or the buffer too small (see CLIENT_SYNC_BEGIN). */
uint8_t *client_sync_begin(struct spod_client *c, size_t need, uint64_t *rid);

/*
 * Sends the frame queued in tx and waits for the response with request id rid.
 * On SPOD_OK *f views rx until the next call on this client; a pod error is returned with
 * its message kept for spod_client_last_error.
 */
int client_roundtrip(struct spod_client *c, struct spod_frame *f, uint64_t rid);

/* A synchronous request with an empty body; the answer in *f as client_roundtrip gives it. */
int client_empty_call(struct spod_client *c, struct spod_frame *f, uint8_t opcode);

void client_copy_key(struct spod_key_info *out, const struct spod_key_view *v);

#define SYNC_BEGIN(c, need, rid, out)                                                              \
	do {                                                                                       \
		(out) = client_sync_begin((c), (need), &(rid));                                    \
		if ((out) == NULL)                                                                 \
			return (c)->in_flight > 0 ? SPOD_E_BUSY : SPOD_E_TOO_LARGE;                \
	} while (0)

#endif
