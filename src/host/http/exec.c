/* The executor's threads and bounded queue (exec.h). */
#include "host/http/exec.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "spod/err.h"

#define EXEC_MAX_THREADS 64u

struct exec_thread {
	struct spod_http_exec *ex;
	pthread_t thread;
	int started;
	struct spod_http_cache *cache;
	struct spod_http_call *call; /* large (handlers.h): one per thread, reused */
};

struct spod_http_exec {
	pthread_mutex_t lock;
	pthread_cond_t ready; /* a job was queued, or stop */
	struct spod_http_job *head, *tail;
	unsigned queued;
	unsigned queue_max;
	int stop;
	unsigned nthreads;
	struct exec_thread threads[EXEC_MAX_THREADS];
};

static void *exec_main(void *arg)
{
	struct exec_thread *t = arg;
	struct spod_http_exec *ex = t->ex;

	pthread_mutex_lock(&ex->lock);
	for (;;) {
		struct spod_http_job *job;
		int stopping;

		while (ex->head == NULL && !ex->stop)
			pthread_cond_wait(&ex->ready, &ex->lock);
		job = ex->head;
		if (job == NULL)
			break;
		ex->head = job->next;
		if (ex->head == NULL)
			ex->tail = NULL;
		ex->queued--;
		stopping = ex->stop;
		pthread_mutex_unlock(&ex->lock);
		if (stopping) {
			memset(&job->reply, 0, sizeof(job->reply));
			spod_http_reply_failure(&job->reply, SPOD_E_UNAVAILABLE,
			                        "spod-host is stopping");
		} else
			spod_http_job_run(job, t->cache, t->call);
		job->done(job);
		pthread_mutex_lock(&ex->lock);
	}
	pthread_mutex_unlock(&ex->lock);
	return NULL;
}

int spod_http_exec_new(struct spod_http_exec **out, const char *backend_uri,
                       struct spod_inproc_hub *inproc, unsigned threads, unsigned queue_max)
{
	struct spod_http_exec *ex;

	*out = NULL;
	if (threads == 0 || threads > EXEC_MAX_THREADS || (backend_uri == NULL && inproc == NULL))
		return SPOD_E_BAD_ARG;
	ex = calloc(1, sizeof(*ex));
	if (ex == NULL)
		return SPOD_E_NOMEM;
	if (pthread_mutex_init(&ex->lock, NULL) != 0) {
		free(ex);
		return SPOD_E_NOMEM;
	}
	if (pthread_cond_init(&ex->ready, NULL) != 0) {
		pthread_mutex_destroy(&ex->lock);
		free(ex);
		return SPOD_E_NOMEM;
	}
	ex->queue_max = queue_max;
	for (unsigned i = 0; i < threads; i++) {
		struct exec_thread *t = &ex->threads[i];

		t->ex = ex;
		t->call = malloc(sizeof(*t->call));
		if (t->call == NULL || spod_http_cache_new(&t->cache, backend_uri, inproc) < 0 ||
		    pthread_create(&t->thread, NULL, exec_main, t) != 0) {
			ex->nthreads = i + 1;
			spod_http_exec_free(ex);
			return SPOD_E_NOMEM;
		}
		t->started = 1;
	}
	ex->nthreads = threads;
	*out = ex;
	return SPOD_OK;
}

int spod_http_exec_submit(struct spod_http_exec *ex, struct spod_http_job *job)
{
	int rc = SPOD_OK;

	job->next = NULL;
	pthread_mutex_lock(&ex->lock);
	if (ex->stop || ex->queued >= ex->queue_max) {
		rc = SPOD_E_BUSY;
	} else {
		if (ex->tail != NULL)
			ex->tail->next = job;
		else
			ex->head = job;
		ex->tail = job;
		ex->queued++;
		pthread_cond_signal(&ex->ready);
	}
	pthread_mutex_unlock(&ex->lock);
	return rc;
}

unsigned spod_http_exec_waiting(struct spod_http_exec *ex)
{
	unsigned n;

	pthread_mutex_lock(&ex->lock);
	n = ex->queued;
	pthread_mutex_unlock(&ex->lock);
	return n;
}

void spod_http_exec_stop(struct spod_http_exec *ex)
{
	if (ex == NULL)
		return;
	pthread_mutex_lock(&ex->lock);
	ex->stop = 1;
	pthread_cond_broadcast(&ex->ready);
	pthread_mutex_unlock(&ex->lock);
	for (unsigned i = 0; i < ex->nthreads; i++) {
		struct exec_thread *t = &ex->threads[i];

		if (t->started)
			pthread_join(t->thread, NULL);
		t->started = 0;
		spod_http_cache_free(t->cache);
		t->cache = NULL;
		free(t->call);
		t->call = NULL;
	}
}

void spod_http_exec_free(struct spod_http_exec *ex)
{
	if (ex == NULL)
		return;
	spod_http_exec_stop(ex);
	pthread_cond_destroy(&ex->ready);
	pthread_mutex_destroy(&ex->lock);
	free(ex);
}
