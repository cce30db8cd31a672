/*
 * A framed connection: one non-blocking socket with a receive buffer that frames are read
 * from in place and a send buffer that responses are written straight into.
 *
 * Receive: spod_conn_fill reads as many bytes as fit with one read(2); spod_conn_next
 * yields complete frames as views into rx. Views stay valid until spod_conn_compact, which
 * the owner calls only after it is done with every view (typically once per fill).
 * Send: spod_conn_tx_reserve hands out space at the end of tx; spod_conn_tx_commit makes
 * it pending; spod_conn_flush writes pending bytes with as few send(2) calls as possible
 * (MSG_NOSIGNAL: a vanished peer is SPOD_E_CLOSED, never SIGPIPE).
 */
#ifndef SPOD_TRANSPORT_CONN_H
#define SPOD_TRANSPORT_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "spod/wire.h"

struct spod_conn {
	int fd;
	uint8_t *rx;
	size_t rx_cap;
	size_t rx_start; /* first byte not yet consumed by spod_conn_next */
	size_t rx_end;   /* one past the last byte received */
	uint8_t *tx;
	size_t tx_cap;
	size_t tx_start; /* first byte not yet written */
	size_t tx_end;   /* one past the last committed byte */
	/* rx and tx live in one private mapping of their own, between inaccessible guard
	 * pages, so a closed connection gives its pages back to the system at once (heap
	 * chunks this large would stay resident) and a write past either buffer faults. */
	uint8_t *map;
	size_t map_len;
};

/*
 * Initialises c around fd (ownership of fd passes to c). rx_cap must be at least
 * SPOD_FRAME_MAX_BYTES so any legal frame fits. The buffers are mapped, not allocated: their
 * pages become resident as they are first written and return to the system when c is freed.
 * Returns SPOD_OK, SPOD_E_BAD_ARG or SPOD_E_NOMEM (fd is closed on failure).
 */
int spod_conn_init(struct spod_conn *c, int fd, size_t rx_cap, size_t tx_cap)
    __attribute__((warn_unused_result, nonnull));

/* Closes the socket and unmaps the buffers; safe to call twice. */
void spod_conn_free(struct spod_conn *c) __attribute__((nonnull));

/*
 * One read(2) into the free tail of rx. Returns the byte count (> 0), SPOD_E_AGAIN when the
 * socket has nothing, SPOD_E_CLOSED at end of stream or on a reset, SPOD_E_TOO_LARGE when rx
 * is full (call spod_conn_compact first), or SPOD_E_IO.
 */
long spod_conn_fill(struct spod_conn *c) __attribute__((warn_unused_result, nonnull));

/*
 * Next complete frame in rx. Returns SPOD_OK (and consumes it), SPOD_E_AGAIN when no
 * complete frame is buffered, or spod_wire_frame's fatal errors (BAD_MAGIC, TOO_LARGE):
 * then the stream cannot be re-synchronised and the connection should be closed.
 */
int spod_conn_next(struct spod_conn *c, struct spod_frame *f)
    __attribute__((warn_unused_result, nonnull));

/*
 * Like spod_conn_next but leaves the frame in rx; spod_conn_consume(c, f->frame_len) then
 * takes it. Lets an owner decide whether it can accept a frame before consuming it.
 */
int spod_conn_peek(struct spod_conn *c, struct spod_frame *f)
    __attribute__((warn_unused_result, nonnull));
void spod_conn_consume(struct spod_conn *c, size_t len) __attribute__((nonnull));

/* Moves the unconsumed tail of rx to its start. Invalidates every view into rx. */
void spod_conn_compact(struct spod_conn *c) __attribute__((nonnull));

/*
 * Pointer to at least need writable bytes after the committed data, or NULL when tx cannot
 * hold them even after moving pending bytes to the front (flush first). need may not exceed
 * tx_cap.
 */
uint8_t *spod_conn_tx_reserve(struct spod_conn *c, size_t need) __attribute__((nonnull));

/* Marks n bytes written at the last reserved pointer as pending. */
void spod_conn_tx_commit(struct spod_conn *c, size_t n) __attribute__((nonnull));

/* Bytes pending in tx. */
static inline size_t spod_conn_tx_pending(const struct spod_conn *c)
{
	return c->tx_end - c->tx_start;
}

/*
 * Writes pending bytes. Returns SPOD_OK when tx is empty, SPOD_E_AGAIN when the socket
 * would block with bytes still pending (wait for EPOLLOUT), SPOD_E_CLOSED or SPOD_E_IO.
 */
int spod_conn_flush(struct spod_conn *c) __attribute__((warn_unused_result, nonnull));

#endif
