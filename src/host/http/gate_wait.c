/*
 * The gate's connections waiting for their request header (gate_int.h): peeked at as bytes
 * arrive, handed to libmicrohttpd once the header is whole, closed at their deadline.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "common/log.h"
#include "host/http/clock.h"
#include "host/http/gate_int.h"

#define DRAIN_MAX_BYTES (2u * SPOD_HTTP_HEAD_MAX_BYTES)

/* What a header over SPOD_HTTP_HEAD_MAX_BYTES gets before the connection is closed. */
#define TOO_LONG_BODY                                                                              \
	"{\"error\":{\"code\":\"TOO_LARGE\",\"message\":\"request header larger than 16384 "       \
	"bytes\"}}\n"
static const char too_long_answer[] = "HTTP/1.1 431 Request Header Fields Too Large\r\n"
                                      "Content-Type: application/json\r\n"
                                      "Cache-Control: no-store\r\n"
                                      "Connection: close\r\n"
                                      "Content-Length: 82\r\n"
                                      "\r\n" TOO_LONG_BODY;

_Static_assert(sizeof(TOO_LONG_BODY) - 1 == 82, "Content-Length of the 431 answer");
_Static_assert(SPOD_HTTP_HEAD_MAX_BYTES == 16384u, "the 431 answer names the limit");

static void unlink_wait(struct spod_http_gate *g, struct gate_wait *w)
{
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		g->oldest = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	else
		g->newest = w->prev;
	w->fd = -1;
	w->prev = NULL;
	w->next = g->free;
	g->free = w;
}

void gate_wait_drop(struct spod_http_gate *g, struct gate_wait *w, const char *why)
{
	static struct spod_log_limit lim;
	char addr[64];

	if (why != NULL) {
		spod_http_addr_text(addr, sizeof(addr), &w->a);
		spod_log_limited(&lim, SPOD_LOG_EVERY_MS, SPOD_LOG_WARN,
		                 "http: closed a connection from %s: %s", addr, why);
	}
	close(w->fd);
	spod_http_conns_release(g->conns, &w->a);
	unlink_wait(g, w);
}

void gate_wait_add(struct spod_http_gate *g, int fd, const struct spod_http_addr *a,
                   const struct sockaddr_storage *sa, socklen_t sa_len)
{
	static struct spod_log_limit lim;
	struct gate_wait *w = g->free;
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET};
	int zero = 0;

	/* The registry admitted it, so there is a slot: waiting ones are at most the total. */
	if (w == NULL || setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &zero, sizeof(zero)) != 0) {
		spod_log_limited(&lim, SPOD_LOG_EVERY_MS, SPOD_LOG_WARN,
		                 "http: cannot watch a new connection: %s",
		                 w == NULL ? "no free slot" : strerror(errno));
		close(fd);
		spod_http_conns_release(g->conns, a);
		return;
	}
	g->free = w->next;
	w->fd = fd;
	w->a = *a;
	memcpy(&w->sa, sa, sa_len);
	w->sa_len = sa_len;
	w->deadline_ns = spod_http_now_ns() + g->header_ns;
	spod_http_head_init(&w->head, g->tls);
	w->next = NULL;
	w->prev = g->newest;
	if (g->newest != NULL)
		g->newest->next = w;
	else
		g->oldest = w;
	g->newest = w;
	ev.data.ptr = w;
	/* Bytes already there are reported at once: an edge is the state at the time of adding. */
	if (epoll_ctl(g->ep, EPOLL_CTL_ADD, fd, &ev) != 0)
		gate_wait_drop(g, w, "epoll_ctl failed");
}

/* The header is whole: libmicrohttpd takes the socket (and closes it whatever happens). */
static void hand_over(struct spod_http_gate *g, struct gate_wait *w)
{
	static struct spod_log_limit lim;
	struct sockaddr_storage sa = w->sa;
	socklen_t sa_len = w->sa_len;
	int fd = w->fd, off = -1;

	(void)setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off));
	(void)epoll_ctl(g->ep, EPOLL_CTL_DEL, fd, NULL);
	/* libmicrohttpd's "started" notice counts it again. */
	spod_http_conns_release(g->conns, &w->a);
	unlink_wait(g, w);
	if (MHD_add_connection(g->daemon, fd, (const struct sockaddr *)&sa, sa_len) != MHD_YES)
		spod_log_limited(&lim, SPOD_LOG_EVERY_MS, SPOD_LOG_WARN,
		                 "http: libmicrohttpd refused a connection: %s", strerror(errno));
}

/* A header over the limit: read what came (so that closing does not reset), answer 431. */
static void refuse_too_long(struct spod_http_gate *g, struct gate_wait *w)
{
	size_t drained = 0;

	while (drained < DRAIN_MAX_BYTES) {
		ssize_t n = recv(w->fd, g->peek, sizeof(g->peek), MSG_DONTWAIT);

		if (n <= 0)
			break;
		drained += (size_t)n;
	}
	spod_http_metrics_drop(g->metrics, SPOD_HTTP_DROP_HEADER_TOO_LONG, 1);
	if (!g->tls)
		(void)send(w->fd, too_long_answer, sizeof(too_long_answer) - 1,
		           MSG_DONTWAIT | MSG_NOSIGNAL);
	gate_wait_drop(g, w, g->tls ? "first TLS record too long" : "request header too long");
}

void gate_wait_feed(struct spod_http_gate *g, struct gate_wait *w)
{
	for (;;) {
		/* SO_PEEK_OFF: each peek returns the bytes after the last one peeked. */
		ssize_t n = recv(w->fd, g->peek, sizeof(g->peek), MSG_PEEK | MSG_DONTWAIT);

		if (n > 0) {
			switch (spod_http_head_feed(&w->head, g->peek, (size_t)n)) {
			case SPOD_HTTP_HEAD_DONE:
				hand_over(g, w);
				return;
			case SPOD_HTTP_HEAD_TOO_LONG:
				refuse_too_long(g, w);
				return;
			case SPOD_HTTP_HEAD_MORE:
				continue;
			}
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		/* The client closed (or reset) before its header was whole: nothing to say. */
		gate_wait_drop(g, w, NULL);
		return;
	}
}

void gate_wait_expire(struct spod_http_gate *g, uint64_t now_ns)
{
	static struct spod_log_limit lim;
	char addr[64];

	while (g->oldest != NULL && g->oldest->deadline_ns <= now_ns) {
		spod_http_addr_text(addr, sizeof(addr), &g->oldest->a);
		spod_log_limited(&lim, SPOD_LOG_EVERY_MS, SPOD_LOG_WARN,
		                 "http: closed a connection from %s: no whole %s within %u ms",
		                 addr, g->tls ? "TLS ClientHello" : "request header", g->header_ms);
		spod_http_metrics_drop(g->metrics, SPOD_HTTP_DROP_HEADER_TIMEOUT, 1);
		gate_wait_drop(g, g->oldest, NULL);
	}
}
