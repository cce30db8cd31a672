/*
 * Listening and connecting sockets for every URI kind behind one interface.
 * All returned descriptors are close-on-exec and non-blocking; TCP sockets have
 * TCP_NODELAY. AF_VSOCK is used only for vsock:// URIs (production and the QEMU test guest).
 */
#ifndef SPOD_TRANSPORT_SOCKET_H
#define SPOD_TRANSPORT_SOCKET_H

#include "transport/uri.h"

/*
 * Creates a listening socket for u. unix: removes a stale socket file first (only if it is
 * a socket; anything else at the path is an SPOD_E_IO), creates the new one with mode 0600.
 * Returns SPOD_OK with *fd set, SPOD_E_BAD_URI if u is not a parsed URI, or SPOD_E_IO.
 */
int spod_listen(int *fd, const struct spod_uri *u) __attribute__((warn_unused_result, nonnull));

/*
 * For a tcp (or vsock) listener bound to port 0: the port the kernel chose. Returns SPOD_OK
 * or SPOD_E_IO (also for a unix socket).
 */
int spod_listen_port(uint32_t *port, int fd) __attribute__((warn_unused_result, nonnull));

/*
 * Accepts one pending connection (non-blocking). Returns SPOD_OK with *fd set, SPOD_E_AGAIN
 * when none is pending, or SPOD_E_IO.
 */
int spod_accept(int *fd, int listen_fd) __attribute__((warn_unused_result, nonnull));

/*
 * Connects to u, waiting at most timeout_ms (<0: no limit). Returns SPOD_OK with a
 * non-blocking *fd, SPOD_E_UNAVAILABLE (refused / no such socket / unreachable),
 * SPOD_E_TIMEOUT, SPOD_E_BAD_URI if u is not a parsed URI, or SPOD_E_IO.
 */
int spod_connect(int *fd, const struct spod_uri *u, int timeout_ms)
    __attribute__((warn_unused_result, nonnull));

#endif
