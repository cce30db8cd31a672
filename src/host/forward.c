/* spod-host lifecycle: set-up, the event loop with its once-per-wake-up flush, teardown. */
#include <signal.h>
#include <stdlib.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

#include "common/log.h"
#include "host/host_int.h"
#include "transport/socket.h"

int spod_host_new(struct spod_host **out, const struct spod_host_config *cfg)
{
	struct spod_host *h;
	int rc;

	*out = NULL;
	if (cfg->nlisten == 0 || cfg->nlisten > SPOD_HOST_MAX_LISTENERS ||
	    cfg->enclave_conns == 0 || cfg->enclave_conns > SPOD_HOST_MAX_ENCLAVE_CONNS ||
	    cfg->max_clients == 0)
		return SPOD_E_BAD_ARG;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return SPOD_E_NOMEM;
	h->cfg = *cfg;
	h->signal_fd = -1;
	h->timer_fd = -1;
	for (unsigned i = 0; i < SPOD_HOST_MAX_LISTENERS; i++)
		h->listen_fd[i] = -1;
	h->clients = calloc(cfg->max_clients, sizeof(*h->clients));
	h->client_gen = calloc(cfg->max_clients, sizeof(*h->client_gen));
	h->dirty_clients = calloc(cfg->max_clients, sizeof(*h->dirty_clients));
	h->slots = calloc(INFLIGHT_SLOTS, sizeof(*h->slots));
	h->free_slots = calloc(INFLIGHT_SLOTS, sizeof(*h->free_slots));
	if (!h->clients || !h->client_gen || !h->dirty_clients || !h->slots || !h->free_slots) {
		rc = SPOD_E_NOMEM;
		goto out;
	}
	/* Hand out low slots first (they are popped from the end). */
	for (uint32_t i = 0; i < INFLIGHT_SLOTS; i++)
		h->free_slots[i] = INFLIGHT_SLOTS - 1 - i;
	h->nfree = INFLIGHT_SLOTS;

	SPOD_GUARD(rc, spod_loop_new(&h->loop));
	for (unsigned i = 0; i < cfg->nlisten; i++) {
		SPOD_GUARD(rc, spod_listen(&h->listen_fd[i], &cfg->listen[i]));
		SPOD_GUARD(
		    rc, spod_loop_add(h->loop, h->listen_fd[i], SPOD_EV_READ, host_on_accept, h));
	}
	SPOD_GUARD(rc, spod_loop_stop_on_signals(h->loop, &h->signal_fd));
	h->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (h->timer_fd < 0) {
		rc = SPOD_E_IO;
		goto out;
	}
	SPOD_GUARD(rc, spod_loop_add(h->loop, h->timer_fd, SPOD_EV_READ, host_on_timer, h));
	for (unsigned i = 0; i < cfg->enclave_conns; i++) {
		struct host_enclave *e = &h->enclave[i];
		e->h = h;
		e->index = i;
		e->c.fd = -1;
		e->backoff_ms = BACKOFF_MIN_MS;
		/* First attempt right away; failures retry with backoff from the timer. */
		if (host_enclave_connect(e) < 0)
			clock_gettime(CLOCK_MONOTONIC, &e->retry_at);
	}
	if (!host_ready(h))
		spod_warn("NOT READY: enclave not reachable yet; retrying with backoff");
	host_arm_timer(h);
	host_flush_dirty(h); /* admission requests queued by the first connects */
	*out = h;
	return SPOD_OK;
out:
	spod_host_free(h);
	return rc;
}

/*
 * After every epoll_wait batch: one write per connection that got data, however many
 * ready descriptors contributed to it.
 */
static void host_tick(struct spod_loop *loop, void *arg)
{
	struct spod_host *h = arg;

	(void)loop;
	host_flush_dirty(h);
	if (h->nwaiting > 0) {
		host_resume_waiting(h);
		host_flush_dirty(h);
	}
}

int spod_host_run(struct spod_host *h)
{
	return spod_loop_run(h->loop, -1, host_tick, h);
}

void spod_host_free(struct spod_host *h)
{
	if (h == NULL)
		return;
	for (uint32_t i = 0; h->clients && i < h->cfg.max_clients; i++)
		if (h->clients[i] != NULL)
			host_client_close(h->clients[i]);
	for (unsigned i = 0; i < h->cfg.enclave_conns; i++)
		if (h->enclave[i].up) {
			spod_loop_del(h->loop, h->enclave[i].c.fd);
			spod_conn_free(&h->enclave[i].c);
		}
	for (unsigned i = 0; i < SPOD_HOST_MAX_LISTENERS; i++)
		if (h->listen_fd[i] >= 0)
			close(h->listen_fd[i]);
	if (h->signal_fd >= 0)
		close(h->signal_fd);
	if (h->timer_fd >= 0)
		close(h->timer_fd);
	spod_loop_free(h->loop);
	free(h->clients);
	free(h->client_gen);
	free(h->dirty_clients);
	free(h->slots);
	free(h->free_slots);
	free(h);
}
