/*
 * A stand-in for spod-host's binary listener, for tests/unit/test_http_server.c: a thread of
 * the test process accepts libspod connections on a unix socket in a new temporary directory
 * and answers hello, key.public, key.delete, seal.status, custodian.share and key.import from
 * fixed data, steered by the token text and the first byte of the key id or the envelope, or
 * stalls (a stopped enclave, as far as the HTTP server can tell).
 */
#ifndef SPOD_TEST_HTTP_FAKE_H
#define SPOD_TEST_HTTP_FAKE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define FAKE_CONNS    32
#define FAKE_RX_BYTES 8192u /* a frame with the largest envelope fits */
#define KEY_MISSING   0xee  /* first byte of a key id the fake does not know */
#define KEY_FORBIDDEN 0xfb  /* first byte of a key id the fake refuses to delete */

/* First bytes of envelopes (custodian.share, key.import) and what the fake answers. */
#define ENV_SHARE_LAST     0x02 /* the second of two shares: the seal key is rebuilt */
#define ENV_MODE_CONFLICT  0xe1 /* MODE_CONFLICT */
#define ENV_REPLAYED       0xe2 /* REPLAYED */
#define ENV_WRONG_SEAL_KEY 0xe3 /* WRONG_SEAL_KEY */
#define ENV_BAD_SHARE      0xe4 /* BAD_SHARE */
#define ENV_FORBIDDEN      0xe5 /* FORBIDDEN, as spod-host answers a token without the op */
#define ENV_GARBAGE        0xbf /* BAD_FIELD: the envelope does not open */

/* The seal key id in the fake's seal answers. */
extern const uint8_t fake_seal_key_id[16];

struct fake {
	char dir[64];
	char uri[128];
	int lfd;
	pthread_t thread;
	atomic_int stop;
	atomic_int hellos;      /* hellos answered (accepted or refused) */
	atomic_int open_conns;  /* connections open now */
	atomic_int close_after; /* 1: close each connection after its first non-hello answer */
	atomic_int stall;       /* 1: key.public and key.delete are read, never answered */
	atomic_int stalled;     /* requests left unanswered so */
	int fds[FAKE_CONNS];
	uint8_t rx[FAKE_CONNS][FAKE_RX_BYTES];
	size_t rx_len[FAKE_CONNS];
};

/* Starts serving on f->uri (cmocka asserts on failure). */
void fake_start(struct fake *f);

/* Stops the thread, closes every connection and removes the socket and its directory. */
void fake_stop(struct fake *f);

/* Writes all of buf[0..len) to fd; 0, or -1 when the peer is gone. */
int fake_send_all(int fd, const void *buf, size_t len);

#endif
