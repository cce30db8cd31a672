/*
 * A small epoll event loop in the spirit of redis' ae.c: level-triggered readiness
 * callbacks per file descriptor, plus a stop flag checked between iterations. Signals are
 * delivered through a signalfd the owner registers like any other descriptor.
 * A peer's half-close is reported (as HUP) only while SPOD_EV_READ is watched, so an owner
 * that pauses reading is not woken again and again.
 */
#ifndef SPOD_TRANSPORT_LOOP_H
#define SPOD_TRANSPORT_LOOP_H

#include <stdint.h>

struct spod_loop;

#define SPOD_EV_READ  0x1u
#define SPOD_EV_WRITE 0x2u
#define SPOD_EV_HUP   0x4u /* peer hung up or error; always reported, with SPOD_EV_READ */

/* Called with the ready events (SPOD_EV_*) for fd. */
typedef void (*spod_loop_cb)(struct spod_loop *loop, int fd, uint32_t events, void *arg);

int spod_loop_new(struct spod_loop **out) __attribute__((warn_unused_result, nonnull));
void spod_loop_free(struct spod_loop *loop);

/*
 * Registers fd for events (SPOD_EV_READ|SPOD_EV_WRITE). Returns SPOD_OK, SPOD_E_BAD_ARG for a
 * negative fd, SPOD_E_NOMEM, or SPOD_E_IO (epoll refused it, or fd is already registered).
 */
int spod_loop_add(struct spod_loop *loop, int fd, uint32_t events, spod_loop_cb cb, void *arg)
    __attribute__((warn_unused_result, nonnull(1, 4)));

/*
 * Changes the events watched for fd. Returns SPOD_OK, SPOD_E_BAD_ARG if fd is not registered,
 * or SPOD_E_IO.
 */
int spod_loop_mod(struct spod_loop *loop, int fd, uint32_t events)
    __attribute__((warn_unused_result, nonnull));

/* Unregisters fd (does not close it). Safe to call from inside a callback for any fd. */
void spod_loop_del(struct spod_loop *loop, int fd) __attribute__((nonnull));

/*
 * Runs until spod_loop_stop is called (from a callback or tick of this run; a stop before
 * the run is forgotten). timeout_ms bounds each wait (<0: none) and tick, if not NULL, is
 * called after every wake-up. Events left in a batch after a stop are not delivered.
 * Returns SPOD_OK after stop, SPOD_E_IO on epoll failure.
 */
int spod_loop_run(struct spod_loop *loop, int timeout_ms, void (*tick)(struct spod_loop *, void *),
                  void *tick_arg) __attribute__((nonnull(1)));

void spod_loop_stop(struct spod_loop *loop) __attribute__((nonnull));

/*
 * Bounded spin before blocking (spod-host's and spod-enclave's --spin-us): when nothing is
 * ready, poll without waiting (epoll_wait with timeout 0) for up to spin_us microseconds
 * before the blocking wait, so an answer that comes within that time is taken without the
 * cost of sleeping and being woken. 0 (the default) never spins; at most SPOD_LOOP_SPIN_MAX_US.
 */
#define SPOD_LOOP_SPIN_MAX_US 10000
void spod_loop_set_spin(struct spod_loop *loop, unsigned spin_us) __attribute__((nonnull));

/*
 * The daemons' shutdown path: blocks SIGTERM and SIGINT, ignores SIGPIPE (writes use
 * MSG_NOSIGNAL anyway), and registers a signalfd whose first signal logs a line and stops
 * the loop. *fd gets the signalfd, which the caller closes after the loop ends.
 * Returns SPOD_OK or SPOD_E_IO.
 */
int spod_loop_stop_on_signals(struct spod_loop *loop, int *fd)
    __attribute__((warn_unused_result, nonnull));

#endif
