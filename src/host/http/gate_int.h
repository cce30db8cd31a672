/*
 * The gate's state, shared by gate.c (the listening socket, the thread, accept) and
 * gate_wait.c (the connections waiting for their header). Private to src/host/http.
 */
#ifndef SPOD_HTTP_GATE_INT_H
#define SPOD_HTTP_GATE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/socket.h>

#include "host/http/gate.h"
#include "host/http/head.h"

#define GATE_PEEK_BYTES 4096u

/* A connection accepted and waiting for its whole header. */
struct gate_wait {
	int fd; /* -1: the slot is free */
	struct spod_http_addr a;
	struct sockaddr_storage sa;
	socklen_t sa_len;
	uint64_t deadline_ns;
	struct spod_http_head head;
	struct gate_wait *prev, *next; /* oldest first; free slots chain through next */
};

struct spod_http_gate {
	int lfd;
	int ep;
	int wake_fd; /* eventfd: stop, or a header deadline earlier than planned (conns.h) */
	int tls;
	uint16_t port;
	unsigned header_ms;
	uint64_t header_ns;
	struct spod_http_conns *conns;
	struct spod_http_metrics *metrics;
	struct MHD_Daemon *daemon;
	pthread_t thread;
	int running;
	atomic_int stop;
	int listening;      /* the listening socket is in the epoll set */
	uint64_t resume_ns; /* while not listening: when to start again */
	uint64_t reap_ns;   /* the earliest deadline of a served connection (UINT64_MAX: none) */
	struct gate_wait *waits;
	unsigned nwaits;
	struct gate_wait *oldest, *newest, *free;
	uint8_t peek[GATE_PEEK_BYTES];
};

/*
 * Starts waiting for the header of fd, accepted from sa and counted for a: registers it with
 * the epoll set, its deadline header_ms from now. On failure closes fd and uncounts it.
 */
void gate_wait_add(struct spod_http_gate *g, int fd, const struct spod_http_addr *a,
                   const struct sockaddr_storage *sa, socklen_t sa_len);

/* Reads what arrived on w (peeking): hands it to libmicrohttpd once its header is whole. */
void gate_wait_feed(struct spod_http_gate *g, struct gate_wait *w);

/* Closes w and uncounts it; why (static text) is logged, rate-limited, unless NULL. */
void gate_wait_drop(struct spod_http_gate *g, struct gate_wait *w, const char *why);

/* Closes every waiting connection whose deadline passed at now_ns. */
void gate_wait_expire(struct spod_http_gate *g, uint64_t now_ns);

#endif
