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
 * Who is at the other end of an accepted connection: for unix sockets the peer process's
 * uid (SO_PEERCRED), for TCP its address (IPv4 in the first 4 bytes of addr). Used to cap
 * what one peer may hold; not an authentication.
 */
struct spod_peer {
	int family; /* AF_UNIX, AF_INET, AF_INET6 (AF_UNSPEC: unknown, e.g. vsock) */
	uint32_t uid;
	uint8_t addr[16];
};

/* Whether a and b are the same peer (two unknown peers are not). */
int spod_peer_same(const struct spod_peer *a, const struct spod_peer *b) __attribute__((nonnull));

/* "uid 1000", "127.0.0.2" or "::1" into buf (cap bytes; 48 are always enough). */
void spod_peer_text(char *buf, size_t cap, const struct spod_peer *p) __attribute__((nonnull));

/*
 * Accepts one pending connection (non-blocking). Returns SPOD_OK with *fd set (and *peer
 * when peer is not NULL), SPOD_E_AGAIN when none is pending, SPOD_E_BUSY when the process or
 * system is out of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM: the connection
 * stays queued, so stop accepting for a while rather than try again at once), or SPOD_E_IO.
 */
int spod_accept(int *fd, int listen_fd, struct spod_peer *peer)
    __attribute__((warn_unused_result, nonnull(1)));

/*
 * Connects to u, waiting at most timeout_ms (<0: no limit). Returns SPOD_OK with a
 * non-blocking *fd, SPOD_E_UNAVAILABLE (refused / no such socket / unreachable),
 * SPOD_E_TIMEOUT, SPOD_E_BUSY (a unix listener's queue stayed full until the timeout, or a
 * second when there is none), SPOD_E_BAD_URI if u is not a parsed URI, or SPOD_E_IO.
 */
int spod_connect(int *fd, const struct spod_uri *u, int timeout_ms)
    __attribute__((warn_unused_result, nonnull));

#endif
