/*
 * libspod over an in-process channel (transport/inproc.h) instead of a socket: for a thread
 * of spod-host (its HTTP layer) talking to that process's own event loop. Every spod_client_*
 * call works on such a client as on a socket's; the host treats the channel like an accepted
 * connection (hello first, then each request admitted). Internal to spod-host: not part of
 * libspod's public API.
 */
#ifndef SPOD_CLIENT_INPROC_H
#define SPOD_CLIENT_INPROC_H

#include "spod/client.h"
#include "transport/inproc.h"

/*
 * spod_client_open over a new channel of hub: a channel the host closes before answering the
 * hello is opened again, as spod_client_open does. Returns spod_client_open's codes;
 * SPOD_E_UNAVAILABLE when the hub stopped, SPOD_E_BUSY when it holds its most channels.
 */
int spod_client_open_inproc(struct spod_client **out, struct spod_inproc_hub *hub,
                            const char *token, int timeout_ms)
    __attribute__((warn_unused_result, nonnull(1, 2)));

#endif
