/*
 * spod-enclave's event loop: accepts connections from the host on one listening socket
 * and answers frames in arrival order, many per read, all responses of a read in one write.
 */
#ifndef SPOD_ENCLAVE_SERVER_H
#define SPOD_ENCLAVE_SERVER_H

#include "enclave/handlers.h"
#include "transport/uri.h"

struct spod_enclave_server;

/*
 * Listens on uri and prepares the loop. st must outlive the server.
 * Returns SPOD_OK, SPOD_E_IO or SPOD_E_NOMEM.
 */
int spod_enclave_server_new(struct spod_enclave_server **out, struct spod_enclave_state *st,
                            const struct spod_uri *uri)
    __attribute__((warn_unused_result, nonnull));

/* Serves until SIGTERM or SIGINT. Returns SPOD_OK on a clean stop or SPOD_E_IO. */
int spod_enclave_server_run(struct spod_enclave_server *srv) __attribute__((nonnull));

/* The event loop's bounded spin before it blocks (--spin-us; transport/loop.h). */
void spod_enclave_server_spin(struct spod_enclave_server *srv, unsigned spin_us)
    __attribute__((nonnull));

/* Closes every connection and the listener (NULL allowed). */
void spod_enclave_server_free(struct spod_enclave_server *srv);

#endif
