/*
 * In-process channels: a byte stream between threads of one process and that process's event
 * loop, in place of a unix socket when both ends live in the same process (spod-host's HTTP
 * executor threads and its event loop, docs/architecture.md). Bytes go through two bounded
 * rings per channel; no system call moves them. The event loop learns of news through one
 * eventfd per hub (the hub's list of channels with news, each on it at most once); a thread
 * waits for its answers on its channel's condition variable.
 *
 * A channel is a stream like a socket: it carries whole spod frames only because both ends
 * write whole frames; each end reads what the other wrote, in order. It has two ends, the
 * thread's ("worker": spod_inproc_open ... spod_inproc_close) and the event loop's
 * (spod_inproc_loop_*); it is freed when both let go. Every function is safe from any
 * thread; the worker functions are meant for one thread at a time per channel, the loop
 * functions for the event loop's thread.
 *
 * Bounded: at most the hub's max_chans channels, each with two rings of
 * SPOD_INPROC_RING_BYTES allocated when it opens (once per connection, never per request).
 */
#ifndef SPOD_TRANSPORT_INPROC_H
#define SPOD_TRANSPORT_INPROC_H

#include <stddef.h>
#include <stdint.h>

#define SPOD_INPROC_RING_BYTES (64u * 1024u) /* each direction; a power of two */

struct spod_inproc_hub;
struct spod_inproc;

/* A hub for at most max_chans channels. Returns SPOD_OK with *out, SPOD_E_NOMEM or SPOD_E_IO. */
int spod_inproc_hub_new(struct spod_inproc_hub **out, unsigned max_chans)
    __attribute__((warn_unused_result, nonnull));

/* The eventfd the event loop watches for reading: readable when channels have news. */
int spod_inproc_hub_fd(const struct spod_inproc_hub *hub) __attribute__((nonnull));

/*
 * The event loop stops serving: no channel opens any more (SPOD_E_UNAVAILABLE), and every
 * open channel is shut (its worker reads what is left, then SPOD_E_CLOSED; waits return).
 */
void spod_inproc_hub_stop(struct spod_inproc_hub *hub) __attribute__((nonnull));

/* Frees hub and what is left of its channels: every worker must have closed its end. */
void spod_inproc_hub_free(struct spod_inproc_hub *hub);

/* Channels open now (both ends or one). */
unsigned spod_inproc_hub_count(struct spod_inproc_hub *hub) __attribute__((nonnull));

/* ---- the worker's end ---- */

/*
 * Opens a channel; the event loop finds it among its news (spod_inproc_hub_pop, with no
 * owner yet). Returns SPOD_OK with *out, SPOD_E_UNAVAILABLE (the hub stopped), SPOD_E_BUSY
 * (max_chans are open) or SPOD_E_NOMEM.
 */
int spod_inproc_open(struct spod_inproc **out, struct spod_inproc_hub *hub)
    __attribute__((warn_unused_result, nonnull));

/*
 * Copies up to len bytes of buf into the channel. Returns the count (> 0), SPOD_E_AGAIN when
 * the ring is full, or SPOD_E_CLOSED (the loop's end shut).
 */
long spod_inproc_send(struct spod_inproc *ch, const uint8_t *buf, size_t len)
    __attribute__((warn_unused_result, nonnull));

/*
 * Copies up to cap bytes the loop wrote into buf. Returns the count (> 0), SPOD_E_AGAIN when
 * there is none, or SPOD_E_CLOSED (none, and the loop's end shut).
 */
long spod_inproc_recv(struct spod_inproc *ch, uint8_t *buf, size_t cap)
    __attribute__((warn_unused_result, nonnull));

/*
 * Waits at most timeout_ms (< 0: no limit) until the channel is readable (SPOD_EV_READ in
 * events: bytes to receive, or shut) or writable (SPOD_EV_WRITE: room to send, or shut).
 * Returns the SPOD_EV_* bits that hold (> 0), or 0 when the time ran out.
 */
int spod_inproc_wait(struct spod_inproc *ch, uint32_t events, int timeout_ms)
    __attribute__((nonnull));

/* Lets go of the worker's end: the loop reads what is left, then end of stream. */
void spod_inproc_close(struct spod_inproc *ch);

/* ---- the event loop's end ---- */

/* Reads the hub's eventfd: call once per wake-up, before spod_inproc_hub_pop. */
void spod_inproc_hub_begin(struct spod_inproc_hub *hub) __attribute__((nonnull));

/*
 * The next channel with news (taken off the list), or NULL. A channel whose loop's end was
 * let go is never returned.
 */
struct spod_inproc *spod_inproc_hub_pop(struct spod_inproc_hub *hub) __attribute__((nonnull));

/* After popping fewer than all: makes the eventfd readable again if news are left. */
void spod_inproc_hub_again(struct spod_inproc_hub *hub) __attribute__((nonnull));

/* The loop's own pointer for the channel (NULL until set: a channel just opened). */
void spod_inproc_set_owner(struct spod_inproc *ch, void *owner) __attribute__((nonnull(1)));
void *spod_inproc_owner(struct spod_inproc *ch) __attribute__((nonnull));

/*
 * What the loop's end can do now, as SPOD_EV_* bits: READ (bytes to read, or the worker
 * closed), WRITE (room in the answer ring), HUP (the worker closed its end).
 */
uint32_t spod_inproc_loop_events(struct spod_inproc *ch) __attribute__((nonnull));

/* Bytes the worker sent that the loop has not read. */
size_t spod_inproc_loop_pending(struct spod_inproc *ch) __attribute__((nonnull));

/*
 * Like read(2) on a non-blocking socket: the count (> 0), SPOD_E_AGAIN, or SPOD_E_CLOSED (none
 * left and the worker closed).
 */
long spod_inproc_loop_read(struct spod_inproc *ch, uint8_t *buf, size_t cap)
    __attribute__((warn_unused_result, nonnull));

/*
 * Like send(2) on a non-blocking socket: the count (> 0), SPOD_E_AGAIN (the ring is full: the
 * channel comes back among the news when the worker made room), or SPOD_E_CLOSED (the worker
 * closed). Wakes the worker if it waits.
 */
long spod_inproc_loop_write(struct spod_inproc *ch, const uint8_t *buf, size_t len)
    __attribute__((warn_unused_result, nonnull));

/* Puts the channel back among the news (the loop wants to look at it again). */
void spod_inproc_loop_rearm(struct spod_inproc *ch) __attribute__((nonnull));

/* Lets go of the loop's end: the worker reads what is left, then SPOD_E_CLOSED. */
void spod_inproc_loop_close(struct spod_inproc *ch);

#endif
