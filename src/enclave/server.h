/*
 * spod-enclave's event loop: accepts connections from the host on one listening socket
 * and answers frames in arrival order, many per read, all responses of a read in one write.
 * With workers, signing requests are answered on them and their answers still leave in
 * request order, per connection.
 */
#ifndef SPOD_ENCLAVE_SERVER_H
#define SPOD_ENCLAVE_SERVER_H

#include "enclave/handlers.h"
#include "transport/uri.h"

struct spod_enclave_server;

/*
 * Listens on uri and prepares the loop; with threads > 1, starts that many signing workers
 * (enclave/workers.h). st must outlive the server. Returns SPOD_OK, SPOD_E_IO, SPOD_E_NOMEM,
 * SPOD_E_BAD_ARG (threads above SPOD_WORKERS_MAX) or SPOD_E_CRYPTO.
 */
int spod_enclave_server_new(struct spod_enclave_server **out, struct spod_enclave_state *st,
                            const struct spod_uri *uri, unsigned threads)
    __attribute__((warn_unused_result, nonnull));

/* The workers' eventfd, which the sandbox lets them write, or -1 (no workers). */
int spod_enclave_server_wake_fd(const struct spod_enclave_server *srv) __attribute__((nonnull));

/* Serves until SIGTERM or SIGINT. Returns SPOD_OK on a clean stop or SPOD_E_IO. */
int spod_enclave_server_run(struct spod_enclave_server *srv) __attribute__((nonnull));

/* The event loop's bounded spin before it blocks (--spin-us; transport/loop.h). */
void spod_enclave_server_spin(struct spod_enclave_server *srv, unsigned spin_us)
    __attribute__((nonnull));

/* Stops the workers, closes every connection and the listener (NULL allowed); the workers'
 * errors are added to st->errors. */
void spod_enclave_server_free(struct spod_enclave_server *srv);

#endif
