/* Internals of the simulated NSM that tests reach into; not for production callers. */
#ifndef SPOD_NSM_SIM_H
#define SPOD_NSM_SIM_H

#include <stdint.h>

#include "nsm/nsm.h"

/*
 * Moves the simulator's clock (document timestamps and certificate validity) by ms, so
 * tests can reach certificate renewal without waiting. No effect on other backends.
 */
void spod_nsm_sim_advance_clock(struct spod_nsm *n, int64_t ms) __attribute__((nonnull));

#endif
