/* spod-host lifecycle: set-up, the event loop with its once-per-wake-up flush, teardown. */
#include <signal.h>
#include <stdlib.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "common/log.h"
#include "host/core/host_int.h"
#include "transport/socket.h"

/* Every HOST_REFRESH_MS: token records are re-read, so revocations reach open connections. */
static void on_refresh(struct spod_loop *loop, int fd, uint32_t events, void *arg)
{
	uint64_t ticks;

	(void)loop;
	(void)events;
	if (read(fd, &ticks, sizeof(ticks)) < 0) {
		/* spurious wake-up */
	}
	host_tokens_refresh(arg);
}

/* Every HOST_WATCH_MS: hello deadlines, stalled enclave connections, an accept pause. */
static void on_watch(struct spod_loop *loop, int fd, uint32_t events, void *arg)
{
	struct spod_host *h = arg;
	uint64_t ticks, now;

	(void)loop;
	(void)events;
	if (read(fd, &ticks, sizeof(ticks)) < 0) {
		/* spurious wake-up */
	}
	now = host_now_ns();
	host_clients_watch(h, now);
	host_pool_watch(h, now);
}

/* Every HOST_POLICY_SYNC_MS: the dirty policy keys are re-sealed (policy_sync.c). */
static void on_policy_sync(struct spod_loop *loop, int fd, uint32_t events, void *arg)
{
	uint64_t ticks;

	(void)loop;
	(void)events;
	if (read(fd, &ticks, sizeof(ticks)) < 0) {
		/* spurious wake-up */
	}
	host_psync_tick(arg);
}

/* Every audit_head_interval_ms: the enclave signs the audit head if it moved (evidence.c). */
static void on_head(struct spod_loop *loop, int fd, uint32_t events, void *arg)
{
	uint64_t ticks;

	(void)loop;
	(void)events;
	if (read(fd, &ticks, sizeof(ticks)) < 0) {
		/* spurious wake-up */
	}
	host_head_tick(arg);
}

/* A periodic timer of ms milliseconds calling cb, in *fd. */
static int periodic_timer(struct spod_host *h, int *fd, unsigned ms, spod_loop_cb cb)
{
	struct itimerspec its = {
	    .it_interval = {ms / 1000, (long)(ms % 1000) * 1000000L},
	    .it_value = {ms / 1000, (long)(ms % 1000) * 1000000L},
	};

	*fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (*fd < 0 || timerfd_settime(*fd, 0, &its, NULL) < 0)
		return SPOD_E_IO;
	return spod_loop_add(h->loop, *fd, SPOD_EV_READ, cb, h);
}

/* One write per connection that got data, enclave connections first. */
static void flush_dirty(struct spod_host *h)
{
	host_pool_flush(h);
	host_clients_flush(h);
}

int spod_host_new(struct spod_host **out, const struct spod_host_config *cfg)
{
	struct spod_host *h;
	int rc;

	*out = NULL;
	if (cfg->nlisten == 0 || cfg->nlisten > SPOD_HOST_MAX_LISTENERS ||
	    cfg->enclave_conns == 0 || cfg->enclave_conns > SPOD_HOST_MAX_ENCLAVE_CONNS ||
	    cfg->max_clients == 0 || cfg->max_unauth == 0 || cfg->max_unauth_per_peer == 0 ||
	    cfg->hello_timeout_ms == 0 || cfg->enclave_timeout_ms == 0)
		return SPOD_E_BAD_ARG;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return SPOD_E_NOMEM;
	h->cfg = *cfg;
	pthread_mutex_init(&h->seal.lock, NULL);
	h->signal_fd = -1;
	h->timer_fd = -1;
	h->refresh_fd = -1;
	h->watch_fd = -1;
	h->psync_fd = -1;
	h->head_fd = -1;
	host_metrics_set(&h->metrics.enclave_conns, cfg->enclave_conns);
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

	SPOD_GUARD(rc, host_db_open(h));
	SPOD_GUARD(rc, spod_loop_new(&h->loop));
	spod_loop_set_spin(h->loop, cfg->spin_us);
	for (unsigned i = 0; i < cfg->nlisten; i++) {
		SPOD_GUARD(rc, spod_listen(&h->listen_fd[i], &cfg->listen[i]));
		SPOD_GUARD(
		    rc, spod_loop_add(h->loop, h->listen_fd[i], SPOD_EV_READ, host_on_accept, h));
	}
	SPOD_GUARD(rc, host_inproc_start(h));
	SPOD_GUARD(rc, spod_loop_stop_on_signals(h->loop, &h->signal_fd));
	h->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (h->timer_fd < 0) {
		rc = SPOD_E_IO;
		goto out;
	}
	SPOD_GUARD(rc, spod_loop_add(h->loop, h->timer_fd, SPOD_EV_READ, host_on_timer, h));
	SPOD_GUARD(rc, periodic_timer(h, &h->refresh_fd, HOST_REFRESH_MS, on_refresh));
	SPOD_GUARD(rc, periodic_timer(h, &h->watch_fd, HOST_WATCH_MS, on_watch));
	SPOD_GUARD(rc, periodic_timer(h, &h->psync_fd, HOST_POLICY_SYNC_MS, on_policy_sync));
	if (cfg->audit_head_interval_ms > 0)
		SPOD_GUARD(rc,
		           periodic_timer(h, &h->head_fd, cfg->audit_head_interval_ms, on_head));
	for (unsigned i = 0; i < cfg->enclave_conns; i++) {
		struct host_enclave *e = &h->enclave[i];
		e->h = h;
		e->index = i;
		e->c.fd = -1;
		e->backoff_ms = BACKOFF_MIN_MS;
		/* First attempt right away; failures retry with backoff from the timer. */
		if (host_enclave_connect(e) < 0)
			e->retry_ns = host_now_ns();
	}
	if (!host_ready(h))
		spod_warn("NOT READY: enclave not reachable yet; retrying with backoff");
	host_arm_timer(h);
	flush_dirty(h); /* admission requests queued by the first connects */
	*out = h;
	return SPOD_OK;
out:
	spod_host_free(h);
	return rc;
}

/*
 * After every epoll_wait batch: the audit records of the answers that came in are committed
 * in one transaction and those answers released (journal.c), then one write per connection
 * that got data, however many ready descriptors contributed to it.
 */
static void host_tick(struct spod_loop *loop, void *arg)
{
	struct spod_host *h = arg;

	(void)loop;
	(void)host_journal_commit(h);
	flush_dirty(h);
	host_journal_observe(h); /* the signatures just written: their latency */
	if (h->nwaiting > 0) {
		host_resume_waiting(h);
		flush_dirty(h);
	}
}

struct spod_inproc_hub *spod_host_inproc(struct spod_host *h)
{
	return h->inproc;
}

int spod_host_ready(void *arg)
{
	const struct spod_host *h = arg;
	return atomic_load_explicit(&h->metrics.enclave_ready, memory_order_relaxed) > 0;
}

size_t spod_host_metrics(void *arg, char *buf, size_t cap)
{
	const struct spod_host *h = arg;
	return host_metrics_render(&h->metrics, buf, cap);
}

int spod_host_run(struct spod_host *h)
{
	int rc = spod_loop_run(h->loop, -1, host_tick, h);

	host_inproc_stop(h); /* the HTTP layer's calls end now, not at their deadlines */
	h->ev_flush = 1;     /* from now on every commit takes the pending evidence */
	/* A clean stop: the last records commit and the enclave signs the head they make. */
	if (rc == SPOD_OK && h->cfg.audit_head_interval_ms > 0)
		host_pool_final_head(h, HOST_HEAD_FINAL_WAIT_MS);
	(void)host_journal_commit(h);
	flush_dirty(h);
	host_journal_observe(h);
	return rc;
}

void spod_host_free(struct spod_host *h)
{
	if (h == NULL)
		return;
	for (uint32_t i = 0; h->clients && i < h->cfg.max_clients; i++)
		if (h->clients[i] != NULL)
			host_client_close(h->clients[i]);
	for (unsigned i = 0; i < h->cfg.enclave_conns; i++) {
		if (h->enclave[i].stage != HOST_ENCLAVE_DOWN) {
			spod_loop_del(h->loop, h->enclave[i].c.fd);
			spod_conn_free(&h->enclave[i].c);
		}
		host_reconcile_free(&h->enclave[i]);
	}
	for (unsigned i = 0; i < SPOD_HOST_MAX_LISTENERS; i++)
		if (h->listen_fd[i] >= 0)
			close(h->listen_fd[i]);
	host_inproc_free(h); /* after its channels' clients closed, above */
	if (h->signal_fd >= 0)
		close(h->signal_fd);
	if (h->timer_fd >= 0)
		close(h->timer_fd);
	if (h->refresh_fd >= 0)
		close(h->refresh_fd);
	if (h->watch_fd >= 0)
		close(h->watch_fd);
	if (h->psync_fd >= 0)
		close(h->psync_fd);
	if (h->head_fd >= 0)
		close(h->head_fd);
	spod_loop_free(h->loop);
	for (uint32_t s = 0; h->slots && s < INFLIGHT_SLOTS; s++)
		host_audit_free(h, h->slots[s].audit);
	host_journal_free(h);
	host_evidence_free(h);
	host_psync_free(h);
	host_tokens_free(h);
	host_db_close(h);
	free(h->clients);
	free(h->client_gen);
	free(h->dirty_clients);
	free(h->slots);
	free(h->free_slots);
	pthread_mutex_destroy(&h->seal.lock);
	free(h);
}
