/*
 * The WAL checkpointer: a thread with its own database connection that copies committed
 * pages from spod.db-wal into spod.db every HOST_CHECKPOINT_MS, so the event loop's commits
 * never run a checkpoint (and its fsync) themselves. Without it, one commit in a few hundred
 * took milliseconds: the p99.9 of signing. SQLite's PASSIVE checkpoints do not block the
 * writer; a checkpoint that finds the writer busy simply copies what it can. Under steady
 * writes that never catches up, so once the WAL holds HOST_WAL_RESTART_FRAMES pages a RESTART
 * checkpoint holds the writer back for one copy and fsync and the WAL starts over: one stall
 * of a few milliseconds per ~4 000 commits instead of one per few hundred.
 * Every HOST_DBSTAT_MS the same thread samples the storage gauges (dbstat.c) with its
 * connection: a few system calls that must stay off the signing path.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>

#include "common/log.h"
#include "host/core/host_int.h"

struct host_checkpointer {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stop;
	struct spod_store *store;
	struct host_dbstat stat;
	uint64_t next_stat_ns; /* host_now_ns() of the next sample */
};

static void *run(void *arg)
{
	struct host_checkpointer *c = arg;
	int warned = 0;

	pthread_mutex_lock(&c->lock);
	while (!c->stop) {
		struct timespec until;
		int wal = 0, done = 0, rc;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += (long)HOST_CHECKPOINT_MS * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		while (!c->stop && pthread_cond_timedwait(&c->wake, &c->lock, &until) != ETIMEDOUT)
			;
		if (c->stop)
			break;
		pthread_mutex_unlock(&c->lock);
		rc = spod_store_checkpoint(c->store, 0, &wal, &done);
		/* Grown past HOST_WAL_RESTART_FRAMES: one short stall of the writer to start over.
		 */
		if (rc == SPOD_OK && wal > HOST_WAL_RESTART_FRAMES)
			rc = spod_store_checkpoint(c->store, 1, &wal, &done);
		if (rc < 0 && rc != SPOD_E_UNAVAILABLE && !warned) {
			spod_warn("WAL checkpoint failed (retrying): %s",
			          spod_store_last_error(c->store));
			warned = 1;
		} else if (rc == SPOD_OK) {
			warned = 0;
		}
		if (host_now_ns() >= c->next_stat_ns) {
			host_dbstat_sample(&c->stat, c->store);
			c->next_stat_ns = host_now_ns() + (uint64_t)HOST_DBSTAT_MS * 1000000u;
		}
		pthread_mutex_lock(&c->lock);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

int host_checkpointer_start(struct host_checkpointer **out, const struct spod_host_config *cfg,
                            struct host_metrics *m)
{
	struct host_checkpointer *c = calloc(1, sizeof(*c));
	sigset_t all, old;
	int rc, created;

	*out = NULL;
	if (c == NULL)
		return SPOD_E_NOMEM;
	rc = host_dbstat_init(&c->stat, cfg, m);
	if (rc == SPOD_OK)
		rc = spod_store_open(&c->store, cfg->db_path);
	if (rc < 0) {
		free(c);
		return rc;
	}
	/* The first sample now: /metrics has the gauges from the first scrape on. */
	host_dbstat_sample(&c->stat, c->store);
	c->next_stat_ns = host_now_ns() + (uint64_t)HOST_DBSTAT_MS * 1000000u;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->wake, NULL);
	/* Signals are the event loop's (signalfd): the thread must never take one. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	created = pthread_create(&c->thread, NULL, run, c) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!created) {
		pthread_cond_destroy(&c->wake);
		pthread_mutex_destroy(&c->lock);
		spod_store_close(c->store);
		free(c);
		return SPOD_E_NOMEM;
	}
	*out = c;
	return SPOD_OK;
}

void host_checkpointer_stop(struct host_checkpointer *c)
{
	int wal = 0, done = 0;

	if (c == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	c->stop = 1;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	/* A last copy, so a clean stop leaves a short WAL behind. */
	if (spod_store_checkpoint(c->store, 1, &wal, &done) < 0)
		spod_warn("final WAL checkpoint failed: %s", spod_store_last_error(c->store));
	spod_store_close(c->store);
	pthread_cond_destroy(&c->wake);
	pthread_mutex_destroy(&c->lock);
	free(c);
}
