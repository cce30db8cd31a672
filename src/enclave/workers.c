/* spod-enclave's signing workers (enclave/workers.h). */
#include "enclave/workers.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/log.h"
#include "crypto/sign.h"
#include "enclave/sandbox.h"

/* Jobs in flight across all connections: enough to keep every worker busy between wake-ups
 * of the loop; memory is SPOD_ENCLAVE_RESP_MAX per job, taken as jobs are first needed. */
#define WORKERS_JOBS_PER_THREAD 16u

struct worker {
	pthread_t thread;
	struct spod_workers *w;
	struct spod_enclave_state st; /* this worker's requests: keys come pinned (st.pinned) */
	int started;
};

struct spod_workers {
	pthread_mutex_t lock;
	pthread_cond_t work; /* a job was queued, or stop */
	pthread_cond_t ready;
	struct spod_enclave_job *queue, *queue_tail; /* to do, in submit order */
	struct spod_enclave_job *finished;           /* done, not collected (any order) */
	int loop_asleep; /* the loop waits for the wake fd: the next finished job writes it */
	int stop;
	unsigned nstarted, nprimed, nfailed;
	/* the loop's own: */
	struct spod_enclave_job *staged, *staged_tail; /* submitted, not queued yet */
	unsigned nstaged;
	struct spod_enclave_job *free;
	unsigned njobs, max_jobs;
	unsigned out; /* jobs taken and not recycled yet */
	int wake_fd;
	int evidence;
	unsigned n;
	struct worker *workers;
};

static void job_free(struct spod_enclave_job *j)
{
	free(j->req);
	free(j->resp);
	spod_ev_batch_free(&j->ev);
	free(j);
}

static void job_run(struct worker *wk, struct spod_enclave_job *j)
{
	wk->st.pinned = j->keys;
	wk->st.npinned = j->nkeys;
	wk->st.next_pin = 0;
	j->ev.count = 0;
	wk->st.ev_batch = wk->w->evidence ? &j->ev : NULL;
	j->resp_len = spod_enclave_handle(&wk->st, &j->f, j->resp, SPOD_ENCLAVE_RESP_MAX);
	wk->st.ev_batch = NULL;
	wk->st.pinned = NULL;
}

static void *worker_main(void *arg)
{
	struct worker *wk = arg;
	struct spod_workers *w = wk->w;
	struct spod_enclave_job *j;
	const uint64_t one = 1;
	int primed, wake;

	/* Other workers sign with the same keys: P-256 must not share a key's cached context. */
	primed = spod_crypto_thread_shares_keys((unsigned)(wk - w->workers)) == SPOD_OK &&
	         spod_enclave_sandbox_prime() == SPOD_OK;

	pthread_mutex_lock(&w->lock);
	if (primed)
		w->nprimed++;
	else
		w->nfailed++;
	pthread_cond_broadcast(&w->ready);
	for (;;) {
		while (w->queue == NULL && !w->stop)
			pthread_cond_wait(&w->work, &w->lock);
		j = w->queue;
		if (j == NULL)
			break; /* stopping, and nothing left to do */
		w->queue = j->qnext;
		if (w->queue == NULL)
			w->queue_tail = NULL;
		pthread_mutex_unlock(&w->lock);

		job_run(wk, j);

		pthread_mutex_lock(&w->lock);
		j->qnext = w->finished;
		w->finished = j;
		/* A loop that is busy collects this before it sleeps: wake only a sleeping one. */
		wake = w->loop_asleep;
		w->loop_asleep = 0;
		if (wake) {
			pthread_mutex_unlock(&w->lock);
			if (write(w->wake_fd, &one, sizeof(one)) != (ssize_t)sizeof(one))
				spod_error("workers: cannot wake the event loop: %s",
				           strerror(errno));
			pthread_mutex_lock(&w->lock);
		}
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int spod_workers_new(struct spod_workers **out, unsigned n, const struct spod_enclave_state *st)
{
	struct spod_workers *w;
	int rc = SPOD_OK;

	*out = NULL;
	if (n < 2 || n > SPOD_WORKERS_MAX)
		return SPOD_E_BAD_ARG;
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return SPOD_E_NOMEM;
	w->wake_fd = -1;
	w->n = n;
	w->max_jobs = n * WORKERS_JOBS_PER_THREAD;
	w->evidence = st->ev.sk != NULL;
	w->loop_asleep = 1;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->ready, NULL);
	w->workers = calloc(n, sizeof(*w->workers));
	w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->workers == NULL || w->wake_fd < 0) {
		rc = w->workers == NULL ? SPOD_E_NOMEM : SPOD_E_IO;
		goto out;
	}
	for (unsigned i = 0; i < n; i++) {
		struct worker *wk = &w->workers[i];

		wk->w = w;
		wk->st.keys = st->keys;
		if (pthread_create(&wk->thread, NULL, worker_main, wk) != 0) {
			spod_error("workers: cannot start thread %u of %u", i + 1, n);
			rc = SPOD_E_IO;
			goto out;
		}
		wk->started = 1;
		w->nstarted++;
	}
	/* Every worker has made its first signatures before the sandbox is loaded. */
	pthread_mutex_lock(&w->lock);
	while (w->nprimed + w->nfailed < w->nstarted)
		pthread_cond_wait(&w->ready, &w->lock);
	if (w->nfailed > 0)
		rc = SPOD_E_CRYPTO;
	pthread_mutex_unlock(&w->lock);
out:
	if (rc < 0) {
		spod_workers_stop(w);
		spod_workers_free(w);
		return rc;
	}
	*out = w;
	return SPOD_OK;
}

int spod_workers_wake_fd(const struct spod_workers *w)
{
	return w->wake_fd;
}

/* A free job, made when the pool has room for one more. NULL: all busy, or no memory. */
static struct spod_enclave_job *job_take(struct spod_workers *w, int *nomem)
{
	struct spod_enclave_job *j = w->free;

	*nomem = 0;
	if (j != NULL) {
		w->free = j->qnext;
		w->out++;
		return j;
	}
	if (w->njobs >= w->max_jobs)
		return NULL;
	j = calloc(1, sizeof(*j));
	if (j != NULL)
		j->resp = malloc(SPOD_ENCLAVE_RESP_MAX);
	if (j == NULL || j->resp == NULL) {
		free(j);
		*nomem = 1;
		return NULL;
	}
	w->njobs++;
	w->out++;
	return j;
}

static void job_put(struct spod_workers *w, struct spod_enclave_job *j)
{
	j->nkeys = 0;
	j->done = 0;
	j->owner = NULL;
	j->cnext = NULL;
	j->qnext = w->free;
	w->free = j;
	w->out--;
}

unsigned spod_workers_out(const struct spod_workers *w)
{
	return w->out;
}

/*
 * The key ids a worker will look up for f, in order, into ids[] (*n of them) and the most
 * evidence records its answer makes. 0 when f is a well-formed signing request, else 1.
 */
static int signing_keys(const struct spod_frame *f, const uint8_t **ids, uint32_t *n,
                        uint32_t *nrecs)
{
	struct spod_sign_req sign;
	struct spod_batch_req batch;
	struct spod_sign_tx_req tx;

	if (spod_wire_check_hdr(&f->hdr, 0) != SPOD_OK)
		return 1;
	switch (f->hdr.opcode) {
	case SPOD_OP_SIGN:
		if (spod_wire_sign_req(&sign, f) != SPOD_OK)
			return 1;
		ids[0] = sign.key_id;
		*n = 1;
		break;
	case SPOD_OP_SIGN_BATCH:
		if (spod_wire_batch_req(&batch, f) != SPOD_OK)
			return 1;
		for (uint32_t i = 0; i < batch.count; i++) {
			spod_wire_batch_item(&sign, &batch, i);
			ids[i] = sign.key_id;
		}
		*n = batch.count;
		break;
	case SPOD_OP_SIGN_TX:
		if (spod_wire_sign_tx_req(&tx, f) != SPOD_OK)
			return 1;
		ids[0] = tx.key_id;
		*n = 1;
		break;
	default:
		return 1;
	}
	*nrecs = *n;
	return 0;
}

int spod_workers_prepare(struct spod_workers *w, struct spod_keystore *ks,
                         const struct spod_frame *f, struct spod_enclave_job **out)
{
	const uint8_t *ids[SPOD_BATCH_MAX_ITEMS];
	struct spod_enclave_job *j;
	uint32_t n = 0, nrecs = 0;
	int nomem;

	*out = NULL;
	if (signing_keys(f, ids, &n, &nrecs) != 0)
		return 0;
	j = job_take(w, &nomem);
	if (j == NULL)
		return nomem ? SPOD_E_NOMEM : SPOD_E_AGAIN;
	if (f->body_len > j->req_cap) {
		uint8_t *req = realloc(j->req, f->body_len);

		if (req == NULL) {
			job_put(w, j);
			return SPOD_E_NOMEM;
		}
		j->req = req;
		j->req_cap = f->body_len;
	}
	for (uint32_t i = 0; i < n; i++) {
		j->keys[i] = spod_keystore_pin(ks, ids[i]);
		j->nkeys = i + 1;
		if (j->keys[i] != NULL && j->keys[i]->policy != NULL) {
			spod_workers_recycle(w, ks, j); /* a policy decides: the loop signs */
			return 0;
		}
	}
	if (f->body_len > 0)
		memcpy(j->req, f->body, f->body_len);
	j->f = *f;
	j->f.body = j->req;
	j->nrecs = nrecs;
	*out = j;
	return 1;
}

void spod_workers_submit(struct spod_workers *w, struct spod_enclave_job *j)
{
	j->qnext = NULL;
	if (w->staged_tail != NULL)
		w->staged_tail->qnext = j;
	else
		w->staged = j;
	w->staged_tail = j;
	w->nstaged++;
}

void spod_workers_flush(struct spod_workers *w)
{
	if (w->nstaged == 0)
		return;
	pthread_mutex_lock(&w->lock);
	if (w->queue_tail != NULL)
		w->queue_tail->qnext = w->staged;
	else
		w->queue = w->staged;
	w->queue_tail = w->staged_tail;
	if (w->nstaged > 1)
		pthread_cond_broadcast(&w->work);
	else
		pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->lock);
	w->staged = w->staged_tail = NULL;
	w->nstaged = 0;
}

struct spod_enclave_job *spod_workers_collect(struct spod_workers *w, int then_sleep)
{
	struct spod_enclave_job *list;

	pthread_mutex_lock(&w->lock);
	list = w->finished;
	w->finished = NULL;
	if (list == NULL && then_sleep)
		w->loop_asleep = 1;
	pthread_mutex_unlock(&w->lock);
	return list;
}

void spod_workers_recycle(struct spod_workers *w, struct spod_keystore *ks,
                          struct spod_enclave_job *j)
{
	for (uint32_t i = 0; i < j->nkeys; i++)
		if (j->keys[i] != NULL)
			spod_keystore_unpin(ks, j->keys[i]);
	job_put(w, j);
}

void spod_workers_stop(struct spod_workers *w)
{
	spod_workers_flush(w);
	pthread_mutex_lock(&w->lock);
	w->stop = 1;
	pthread_cond_broadcast(&w->work);
	pthread_mutex_unlock(&w->lock);
	for (unsigned i = 0; i < w->n; i++)
		if (w->workers != NULL && w->workers[i].started) {
			pthread_join(w->workers[i].thread, NULL);
			w->workers[i].started = 0;
		}
}

void spod_workers_counts(const struct spod_workers *w, uint64_t *requests, uint64_t *errors)
{
	*requests = 0;
	*errors = 0;
	for (unsigned i = 0; i < w->n; i++) {
		*requests += w->workers[i].st.requests;
		*errors += w->workers[i].st.errors;
	}
}

void spod_workers_free(struct spod_workers *w)
{
	struct spod_enclave_job *j;

	if (w == NULL)
		return;
	while ((j = w->free) != NULL) {
		w->free = j->qnext;
		job_free(j);
	}
	if (w->wake_fd >= 0)
		close(w->wake_fd);
	pthread_cond_destroy(&w->ready);
	pthread_cond_destroy(&w->work);
	pthread_mutex_destroy(&w->lock);
	free(w->workers);
	free(w);
}
