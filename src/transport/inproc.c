/*
 * In-process channels (inproc.h). One mutex per hub guards everything: the news list, the
 * list of all channels, each channel's rings and flags. Its critical sections are a few
 * hundred bytes of memcpy, so the few threads that share it hardly wait; the system calls
 * (the eventfd write, a condition variable's wake-up) happen after it is released where
 * they can.
 */
#include "transport/inproc.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "spod/err.h"
#include "transport/loop.h"

#define RING_MASK (SPOD_INPROC_RING_BYTES - 1u)

_Static_assert((SPOD_INPROC_RING_BYTES & RING_MASK) == 0, "ring size is a power of two");

/* A byte ring: head and tail count bytes ever read and written (they only grow). */
struct ring {
	size_t head, tail;
	uint8_t b[SPOD_INPROC_RING_BYTES];
};

struct spod_inproc {
	struct spod_inproc_hub *hub;
	struct spod_inproc *next_news;           /* on hub->news while queued */
	struct spod_inproc *all_prev, *all_next; /* hub->all */
	pthread_cond_t cond;                     /* the worker waits on it */
	void *owner;                             /* the loop's pointer */
	uint8_t w_open, l_open;                  /* the ends not let go */
	uint8_t queued;                          /* on hub->news */
	uint8_t shut;                            /* the loop's end shut: the worker sees CLOSED */
	uint8_t w_waiting;                       /* the worker waits on cond */
	uint8_t l_wants_write;                   /* the loop found the answer ring full */
	struct ring req;                         /* worker -> loop */
	struct ring resp;                        /* loop -> worker */
};

struct spod_inproc_hub {
	pthread_mutex_t lock;
	int efd;
	int stopped;
	unsigned max_chans, nchans;
	struct spod_inproc *news_head, *news_tail;
	struct spod_inproc *all;
};

static size_t ring_used(const struct ring *r)
{
	return r->tail - r->head;
}

static size_t ring_room(const struct ring *r)
{
	return SPOD_INPROC_RING_BYTES - ring_used(r);
}

static size_t ring_put(struct ring *r, const uint8_t *buf, size_t len)
{
	size_t n = len < ring_room(r) ? len : ring_room(r);
	size_t at = r->tail & RING_MASK, first = SPOD_INPROC_RING_BYTES - at;

	if (first > n)
		first = n;
	memcpy(r->b + at, buf, first);
	memcpy(r->b, buf + first, n - first);
	r->tail += n;
	return n;
}

static size_t ring_get(struct ring *r, uint8_t *buf, size_t cap)
{
	size_t n = cap < ring_used(r) ? cap : ring_used(r);
	size_t at = r->head & RING_MASK, first = SPOD_INPROC_RING_BYTES - at;

	if (first > n)
		first = n;
	memcpy(buf, r->b + at, first);
	memcpy(buf + first, r->b, n - first);
	r->head += n;
	return n;
}

static void wake_loop(struct spod_inproc_hub *hub)
{
	uint64_t one = 1;

	/* Fails only when the counter is saturated: the loop is woken anyway. */
	if (write(hub->efd, &one, sizeof(one)) < 0) {
		/* nothing to do */
	}
}

/* Under the lock: puts ch on the news list; 1 when the list was empty (wake the loop). */
static int queue_news(struct spod_inproc *ch)
{
	struct spod_inproc_hub *hub = ch->hub;
	int was_empty = hub->news_head == NULL;

	if (ch->queued || !ch->l_open)
		return 0;
	ch->queued = 1;
	ch->next_news = NULL;
	if (hub->news_tail != NULL)
		hub->news_tail->next_news = ch;
	else
		hub->news_head = ch;
	hub->news_tail = ch;
	return was_empty;
}

/* Under the lock: frees ch when nothing holds it any more. */
static void maybe_free(struct spod_inproc *ch)
{
	struct spod_inproc_hub *hub = ch->hub;

	if (ch->w_open || ch->l_open || ch->queued)
		return;
	if (ch->all_prev != NULL)
		ch->all_prev->all_next = ch->all_next;
	else
		hub->all = ch->all_next;
	if (ch->all_next != NULL)
		ch->all_next->all_prev = ch->all_prev;
	hub->nchans--;
	pthread_cond_destroy(&ch->cond);
	free(ch);
}

int spod_inproc_hub_new(struct spod_inproc_hub **out, unsigned max_chans)
{
	struct spod_inproc_hub *hub = calloc(1, sizeof(*hub));

	*out = NULL;
	if (hub == NULL)
		return SPOD_E_NOMEM;
	hub->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (hub->efd < 0) {
		free(hub);
		return SPOD_E_IO;
	}
	if (pthread_mutex_init(&hub->lock, NULL) != 0) {
		close(hub->efd);
		free(hub);
		return SPOD_E_NOMEM;
	}
	hub->max_chans = max_chans;
	*out = hub;
	return SPOD_OK;
}

int spod_inproc_hub_fd(const struct spod_inproc_hub *hub)
{
	return hub->efd;
}

void spod_inproc_hub_stop(struct spod_inproc_hub *hub)
{
	pthread_mutex_lock(&hub->lock);
	hub->stopped = 1;
	for (struct spod_inproc *ch = hub->all; ch != NULL; ch = ch->all_next) {
		ch->shut = 1;
		pthread_cond_broadcast(&ch->cond);
	}
	pthread_mutex_unlock(&hub->lock);
}

void spod_inproc_hub_free(struct spod_inproc_hub *hub)
{
	if (hub == NULL)
		return;
	while (hub->all != NULL) {
		struct spod_inproc *ch = hub->all;

		ch->w_open = ch->l_open = ch->queued = 0;
		maybe_free(ch);
	}
	pthread_mutex_destroy(&hub->lock);
	close(hub->efd);
	free(hub);
}

unsigned spod_inproc_hub_count(struct spod_inproc_hub *hub)
{
	unsigned n;

	pthread_mutex_lock(&hub->lock);
	n = hub->nchans;
	pthread_mutex_unlock(&hub->lock);
	return n;
}

int spod_inproc_open(struct spod_inproc **out, struct spod_inproc_hub *hub)
{
	pthread_condattr_t attr;
	struct spod_inproc *ch;
	int rc = SPOD_OK, wake = 0;

	*out = NULL;
	ch = calloc(1, sizeof(*ch)); /* the rings' pages become resident as they are used */
	if (ch == NULL)
		return SPOD_E_NOMEM;
	if (pthread_condattr_init(&attr) != 0) {
		free(ch);
		return SPOD_E_NOMEM;
	}
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (pthread_cond_init(&ch->cond, &attr) != 0) {
		pthread_condattr_destroy(&attr);
		free(ch);
		return SPOD_E_NOMEM;
	}
	pthread_condattr_destroy(&attr);
	ch->hub = hub;
	ch->w_open = ch->l_open = 1;
	pthread_mutex_lock(&hub->lock);
	if (hub->stopped)
		rc = SPOD_E_UNAVAILABLE;
	else if (hub->nchans >= hub->max_chans)
		rc = SPOD_E_BUSY;
	else {
		hub->nchans++;
		ch->all_next = hub->all;
		if (hub->all != NULL)
			hub->all->all_prev = ch;
		hub->all = ch;
		wake = queue_news(ch);
	}
	pthread_mutex_unlock(&hub->lock);
	if (rc < 0) {
		pthread_cond_destroy(&ch->cond);
		free(ch);
		return rc;
	}
	if (wake)
		wake_loop(hub);
	*out = ch;
	return SPOD_OK;
}

long spod_inproc_send(struct spod_inproc *ch, const uint8_t *buf, size_t len)
{
	struct spod_inproc_hub *hub = ch->hub;
	long rc;
	int wake = 0;

	pthread_mutex_lock(&hub->lock);
	if (ch->shut || !ch->l_open)
		rc = SPOD_E_CLOSED;
	else if (ring_room(&ch->req) == 0)
		rc = SPOD_E_AGAIN;
	else {
		rc = (long)ring_put(&ch->req, buf, len);
		wake = queue_news(ch);
	}
	pthread_mutex_unlock(&hub->lock);
	if (wake)
		wake_loop(hub);
	return rc;
}

long spod_inproc_recv(struct spod_inproc *ch, uint8_t *buf, size_t cap)
{
	struct spod_inproc_hub *hub = ch->hub;
	long rc;
	int wake = 0;

	pthread_mutex_lock(&hub->lock);
	if (ring_used(&ch->resp) > 0) {
		rc = (long)ring_get(&ch->resp, buf, cap);
		if (ch->l_wants_write) {
			/* The loop has more for us: it comes back to the channel. */
			ch->l_wants_write = 0;
			wake = queue_news(ch);
		}
	} else
		rc = ch->shut || !ch->l_open ? SPOD_E_CLOSED : SPOD_E_AGAIN;
	pthread_mutex_unlock(&hub->lock);
	if (wake)
		wake_loop(hub);
	return rc;
}

/* Under the lock: the worker-side events of ch among want. */
static int worker_ready(const struct spod_inproc *ch, uint32_t want)
{
	int ready = 0, shut = ch->shut || !ch->l_open;

	if ((want & SPOD_EV_READ) && (ring_used(&ch->resp) > 0 || shut))
		ready |= SPOD_EV_READ;
	if ((want & SPOD_EV_WRITE) && (ring_room(&ch->req) > 0 || shut))
		ready |= SPOD_EV_WRITE;
	return ready;
}

int spod_inproc_wait(struct spod_inproc *ch, uint32_t events, int timeout_ms)
{
	struct spod_inproc_hub *hub = ch->hub;
	struct timespec until;
	int ready;

	clock_gettime(CLOCK_MONOTONIC, &until);
	if (timeout_ms > 0) {
		until.tv_sec += timeout_ms / 1000;
		until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
	}
	pthread_mutex_lock(&hub->lock);
	while ((ready = worker_ready(ch, events)) == 0 && timeout_ms != 0) {
		int rc;

		ch->w_waiting = 1;
		if (timeout_ms < 0)
			rc = pthread_cond_wait(&ch->cond, &hub->lock);
		else
			rc = pthread_cond_timedwait(&ch->cond, &hub->lock, &until);
		ch->w_waiting = 0;
		if (rc == ETIMEDOUT) {
			ready = worker_ready(ch, events);
			break;
		}
	}
	pthread_mutex_unlock(&hub->lock);
	return ready;
}

void spod_inproc_close(struct spod_inproc *ch)
{
	struct spod_inproc_hub *hub;
	int wake;

	if (ch == NULL)
		return;
	hub = ch->hub;
	pthread_mutex_lock(&hub->lock);
	ch->w_open = 0;
	wake = queue_news(ch); /* the loop sees the end of the stream */
	maybe_free(ch);
	pthread_mutex_unlock(&hub->lock);
	if (wake)
		wake_loop(hub);
}

void spod_inproc_hub_begin(struct spod_inproc_hub *hub)
{
	uint64_t n;

	/* Before the list is read: a channel queued after this read writes the eventfd again. */
	if (read(hub->efd, &n, sizeof(n)) < 0) {
		/* EAGAIN: woken by a channel already taken */
	}
}

struct spod_inproc *spod_inproc_hub_pop(struct spod_inproc_hub *hub)
{
	struct spod_inproc *ch;

	pthread_mutex_lock(&hub->lock);
	while ((ch = hub->news_head) != NULL) {
		hub->news_head = ch->next_news;
		if (hub->news_head == NULL)
			hub->news_tail = NULL;
		ch->next_news = NULL;
		ch->queued = 0;
		if (ch->l_open)
			break;
		maybe_free(ch);
	}
	pthread_mutex_unlock(&hub->lock);
	return ch;
}

void spod_inproc_hub_again(struct spod_inproc_hub *hub)
{
	int left;

	pthread_mutex_lock(&hub->lock);
	left = hub->news_head != NULL;
	pthread_mutex_unlock(&hub->lock);
	if (left)
		wake_loop(hub);
}

void spod_inproc_set_owner(struct spod_inproc *ch, void *owner)
{
	ch->owner = owner; /* only the loop's thread reads or writes it */
}

void *spod_inproc_owner(struct spod_inproc *ch)
{
	return ch->owner;
}

uint32_t spod_inproc_loop_events(struct spod_inproc *ch)
{
	struct spod_inproc_hub *hub = ch->hub;
	uint32_t ev = 0;

	pthread_mutex_lock(&hub->lock);
	if (ring_used(&ch->req) > 0 || !ch->w_open)
		ev |= SPOD_EV_READ;
	if (ring_room(&ch->resp) > 0)
		ev |= SPOD_EV_WRITE;
	if (!ch->w_open)
		ev |= SPOD_EV_HUP;
	pthread_mutex_unlock(&hub->lock);
	return ev;
}

size_t spod_inproc_loop_pending(struct spod_inproc *ch)
{
	struct spod_inproc_hub *hub = ch->hub;
	size_t n;

	pthread_mutex_lock(&hub->lock);
	n = ring_used(&ch->req);
	pthread_mutex_unlock(&hub->lock);
	return n;
}

long spod_inproc_loop_read(struct spod_inproc *ch, uint8_t *buf, size_t cap)
{
	struct spod_inproc_hub *hub = ch->hub;
	long rc;
	int signal = 0;

	pthread_mutex_lock(&hub->lock);
	if (ring_used(&ch->req) > 0) {
		int was_full = ring_room(&ch->req) == 0;

		rc = (long)ring_get(&ch->req, buf, cap);
		signal = was_full && ch->w_waiting;
	} else
		rc = ch->w_open ? SPOD_E_AGAIN : SPOD_E_CLOSED;
	if (signal)
		pthread_cond_signal(&ch->cond);
	pthread_mutex_unlock(&hub->lock);
	return rc;
}

long spod_inproc_loop_write(struct spod_inproc *ch, const uint8_t *buf, size_t len)
{
	struct spod_inproc_hub *hub = ch->hub;
	long rc;

	pthread_mutex_lock(&hub->lock);
	if (!ch->w_open)
		rc = SPOD_E_CLOSED;
	else {
		size_t n = ring_put(&ch->resp, buf, len);

		ch->l_wants_write = n < len;
		rc = n > 0 ? (long)n : SPOD_E_AGAIN;
		/* Signalled under the lock: the worker cannot miss it between its check and wait.
		 */
		if (n > 0 && ch->w_waiting)
			pthread_cond_signal(&ch->cond);
	}
	pthread_mutex_unlock(&hub->lock);
	return rc;
}

void spod_inproc_loop_rearm(struct spod_inproc *ch)
{
	struct spod_inproc_hub *hub = ch->hub;
	int wake;

	pthread_mutex_lock(&hub->lock);
	wake = queue_news(ch);
	pthread_mutex_unlock(&hub->lock);
	if (wake)
		wake_loop(hub);
}

void spod_inproc_loop_close(struct spod_inproc *ch)
{
	struct spod_inproc_hub *hub;

	if (ch == NULL)
		return;
	hub = ch->hub;
	pthread_mutex_lock(&hub->lock);
	ch->l_open = 0;
	ch->shut = 1;
	ch->owner = NULL;
	pthread_cond_broadcast(&ch->cond);
	maybe_free(ch);
	pthread_mutex_unlock(&hub->lock);
}
