/*
 * The gate (gate.h): the listening socket, the thread and its epoll loop, accept(2) with its
 * limits, and the reaping of served connections past their header deadline. gate_wait.c has
 * the connections waiting for their header.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/log.h"
#include "host/http/clock.h"
#include "host/http/gate_int.h"
#include "spod/err.h"

#define GATE_EVENTS       64
#define GATE_ACCEPT_BATCH 64 /* accepts per wake-up, so waiting connections are read too */

static int listen_on(struct spod_http_gate *g, const struct spod_http_gate_config *cfg)
{
	union {
		struct sockaddr_storage ss;
		struct sockaddr_in v4;
		struct sockaddr_in6 v6;
	} bound;
	socklen_t len = sizeof(bound);
	int one = 1;

	g->lfd = socket(cfg->addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (g->lfd < 0) {
		spod_error("http: socket: %s", strerror(errno));
		return SPOD_E_IO;
	}
	(void)setsockopt(g->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (cfg->addr->sa_family == AF_INET6)
		(void)setsockopt(g->lfd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(g->lfd, cfg->addr, cfg->addr_len) != 0) {
		if (errno == EADDRINUSE)
			return SPOD_E_UNAVAILABLE;
		spod_error("http: bind: %s", strerror(errno));
		return SPOD_E_IO;
	}
	if (listen(g->lfd, SOMAXCONN) != 0 ||
	    getsockname(g->lfd, (struct sockaddr *)&bound, &len) != 0) {
		spod_error("http: listen: %s", strerror(errno));
		return SPOD_E_IO;
	}
	g->port = ntohs(bound.ss.ss_family == AF_INET ? bound.v4.sin_port : bound.v6.sin6_port);
	return SPOD_OK;
}

/* Adds fd to the epoll set, level-triggered, tagged with tag. */
static int watch(struct spod_http_gate *g, int fd, void *tag)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = tag};

	return epoll_ctl(g->ep, EPOLL_CTL_ADD, fd, &ev) == 0 ? SPOD_OK : SPOD_E_IO;
}

int spod_http_gate_new(struct spod_http_gate **out, const struct spod_http_gate_config *cfg)
{
	struct spod_http_gate *g = calloc(1, sizeof(*g));
	int rc;

	*out = NULL;
	if (g == NULL)
		return SPOD_E_NOMEM;
	g->lfd = g->ep = g->wake_fd = -1;
	g->tls = cfg->tls;
	g->metrics = cfg->metrics;
	g->header_ms = cfg->header_ms;
	g->header_ns = (uint64_t)cfg->header_ms * SPOD_HTTP_NS_PER_MS;
	g->reap_ns = UINT64_MAX;
	g->nwaits = cfg->max_connections;
	g->waits = calloc(g->nwaits, sizeof(*g->waits));
	g->ep = epoll_create1(EPOLL_CLOEXEC);
	g->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	rc = g->waits == NULL ? SPOD_E_NOMEM : g->ep < 0 || g->wake_fd < 0 ? SPOD_E_IO : SPOD_OK;
	if (rc == SPOD_OK)
		rc = spod_http_conns_new(&g->conns, cfg->max_connections, cfg->max_per_address,
		                         cfg->header_ms, cfg->idle_ms, g->wake_fd);
	if (rc == SPOD_OK)
		rc = listen_on(g, cfg);
	if (rc == SPOD_OK &&
	    (watch(g, g->lfd, &g->lfd) < 0 || watch(g, g->wake_fd, &g->wake_fd) < 0))
		rc = SPOD_E_IO;
	if (rc < 0) {
		spod_http_gate_free(g);
		return rc;
	}
	for (unsigned i = g->nwaits; i-- > 0;) {
		g->waits[i].fd = -1;
		g->waits[i].next = g->free;
		g->free = &g->waits[i];
	}
	g->listening = 1;
	*out = g;
	return SPOD_OK;
}

uint16_t spod_http_gate_port(const struct spod_http_gate *g)
{
	return g->port;
}

struct spod_http_conns *spod_http_gate_conns(struct spod_http_gate *g)
{
	return g->conns;
}

/* No descriptor to accept with and none waiting to free: stop accepting for a moment. */
static void pause_accepting(struct spod_http_gate *g, int err)
{
	static struct spod_log_limit lim;

	spod_log_limited(&lim, SPOD_LOG_EVERY_MS, SPOD_LOG_WARN,
	                 "http: cannot accept connections (%s); pausing %u ms", strerror(err),
	                 SPOD_HTTP_GATE_PAUSE_MS);
	if (g->listening && epoll_ctl(g->ep, EPOLL_CTL_DEL, g->lfd, NULL) == 0)
		g->listening = 0;
	g->resume_ns = spod_http_now_ns() + SPOD_HTTP_GATE_PAUSE_MS * SPOD_HTTP_NS_PER_MS;
}

/* Counts the new connection fd, making room if need be, and starts waiting for its header. */
static void admit(struct spod_http_gate *g, int fd, const struct sockaddr_storage *sa,
                  socklen_t len)
{
	static struct spod_log_limit lim_addr, lim_full;
	struct spod_http_addr a;
	enum spod_http_admit rc;
	char text[64];

	spod_http_addr_from(&a, (const struct sockaddr *)sa, len);
	rc = spod_http_conns_admit(g->conns, &a);
	if (rc == SPOD_HTTP_ADMIT_FULL && g->oldest != NULL) {
		spod_http_metrics_drop(g->metrics, SPOD_HTTP_DROP_MADE_ROOM, 1);
		gate_wait_drop(g, g->oldest, "every connection is taken; it waited longest");
		rc = spod_http_conns_admit(g->conns, &a);
	}
	if (rc == SPOD_HTTP_ADMIT_OK) {
		gate_wait_add(g, fd, &a, sa, len);
		return;
	}
	close(fd);
	spod_http_metrics_drop(
	    g->metrics,
	    rc == SPOD_HTTP_ADMIT_ADDR ? SPOD_HTTP_DROP_PER_ADDRESS : SPOD_HTTP_DROP_FULL, 1);
	spod_http_addr_text(text, sizeof(text), &a);
	if (rc == SPOD_HTTP_ADMIT_ADDR)
		spod_log_limited(
		    &lim_addr, SPOD_LOG_EVERY_MS, SPOD_LOG_WARN,
		    "http: refused a connection from %s: it holds the most connections "
		    "one address may (http-max-per-address)",
		    text);
	else
		spod_log_limited(&lim_full, SPOD_LOG_EVERY_MS, SPOD_LOG_WARN,
		                 "http: refused a connection from %s: every connection is taken "
		                 "(http-max-connections)",
		                 text);
}

static int out_of_descriptors(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

static void accept_some(struct spod_http_gate *g)
{
	for (int i = 0; i < GATE_ACCEPT_BATCH; i++) {
		struct sockaddr_storage sa;
		socklen_t len = sizeof(sa);
		int fd =
		    accept4(g->lfd, (struct sockaddr *)&sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0) {
			admit(g, fd, &sa, len);
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO || errno == EPERM)
			continue;
		if (out_of_descriptors(errno) && g->oldest != NULL) {
			spod_http_metrics_drop(g->metrics, SPOD_HTTP_DROP_MADE_ROOM, 1);
			gate_wait_drop(g, g->oldest, "out of descriptors; it waited longest");
			continue;
		}
		pause_accepting(g, errno);
		return;
	}
}

/* Milliseconds until the next deadline (rounded up), or -1 for none. */
static int wait_ms(const struct spod_http_gate *g, uint64_t now)
{
	uint64_t next = g->reap_ns, ms;

	if (g->oldest != NULL && g->oldest->deadline_ns < next)
		next = g->oldest->deadline_ns;
	if (!g->listening && g->resume_ns < next)
		next = g->resume_ns;
	if (next == UINT64_MAX)
		return -1;
	if (next <= now)
		return 0;
	ms = (next - now + SPOD_HTTP_NS_PER_MS - 1) / SPOD_HTTP_NS_PER_MS;
	return ms > INT32_MAX ? INT32_MAX : (int)ms;
}

/* After a wake-up: the deadlines, and accepting again after a pause. */
static void on_time(struct spod_http_gate *g, int woken)
{
	static struct spod_log_limit lim;
	uint64_t now = spod_http_now_ns();
	size_t n;

	gate_wait_expire(g, now);
	if (woken || now >= g->reap_ns) {
		n = spod_http_conns_reap(g->conns, now, &g->reap_ns);
		spod_http_metrics_drop(g->metrics, SPOD_HTTP_DROP_HEADER_TIMEOUT, n);
		if (n > 0)
			spod_log_limited(
			    &lim, SPOD_LOG_EVERY_MS, SPOD_LOG_WARN,
			    "http: closed %zu connection(s) libmicrohttpd served: no whole "
			    "request header in time",
			    n);
	}
	if (!g->listening && now >= g->resume_ns && watch(g, g->lfd, &g->lfd) == SPOD_OK)
		g->listening = 1;
}

/* Empties the eventfd; returns 1 (it was signalled). */
static int drain(int fd)
{
	uint64_t count;

	if (read(fd, &count, sizeof(count)) < 0) {
		/* EAGAIN: another wake-up emptied it first. */
	}
	return 1;
}

static void *gate_main(void *arg)
{
	struct spod_http_gate *g = arg;
	struct epoll_event ev[GATE_EVENTS];

	while (!atomic_load(&g->stop)) {
		int n = epoll_wait(g->ep, ev, GATE_EVENTS, wait_ms(g, spod_http_now_ns()));
		int accept_ready = 0, woken = 0;

		if (n < 0 && errno != EINTR) {
			spod_error("http: epoll_wait: %s; no more HTTP connections are accepted",
			           strerror(errno));
			break;
		}
		/* Waiting connections first: room is made by closing them, so read them before. */
		for (int i = 0; i < n; i++) {
			if (ev[i].data.ptr == &g->lfd)
				accept_ready = 1;
			else if (ev[i].data.ptr == &g->wake_fd)
				woken = drain(g->wake_fd);
			else
				gate_wait_feed(g, ev[i].data.ptr);
		}
		if (accept_ready)
			accept_some(g);
		on_time(g, woken);
	}
	return NULL;
}

int spod_http_gate_start(struct spod_http_gate *g, struct MHD_Daemon *d)
{
	g->daemon = d;
	if (pthread_create(&g->thread, NULL, gate_main, g) != 0)
		return SPOD_E_NOMEM;
	g->running = 1;
	return SPOD_OK;
}

void spod_http_gate_stop(struct spod_http_gate *g)
{
	uint64_t one = 1;

	if (g->running) {
		atomic_store(&g->stop, 1);
		if (write(g->wake_fd, &one, sizeof(one)) < 0) {
			/* Full: a wake-up is pending already. */
		}
		pthread_join(g->thread, NULL);
		g->running = 0;
	}
	while (g->oldest != NULL)
		gate_wait_drop(g, g->oldest, NULL);
	if (g->lfd >= 0)
		close(g->lfd);
	g->lfd = -1;
}

void spod_http_gate_free(struct spod_http_gate *g)
{
	if (g == NULL)
		return;
	spod_http_gate_stop(g);
	if (g->ep >= 0)
		close(g->ep);
	if (g->wake_fd >= 0)
		close(g->wake_fd);
	spod_http_conns_free(g->conns);
	free(g->waits);
	free(g);
}
