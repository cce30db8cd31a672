/*
 * The HTTP connection registry (conns.h): an open-addressing table of per-address counts
 * (linear probing, backward-shift deletion, seeded hash) and a list of the connections
 * libmicrohttpd serves, all under one mutex.
 */
#include "host/http/conns.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "host/http/clock.h"
#include "spod/err.h"

#define MIN_SLOTS 16u

struct addr_slot {
	struct spod_http_addr a;
	uint32_t n; /* connections counted; 0: the slot is free */
};

struct spod_http_conn {
	struct spod_http_conns *r;
	int fd;
	int counted; /* its address had a slot (the table can be full only past the limits) */
	struct spod_http_addr a;
	uint64_t deadline_ns; /* 0: none */
	struct spod_http_conn *prev, *next;
};

struct spod_http_conns {
	pthread_mutex_t lock;
	unsigned max_total;
	unsigned max_per_addr;
	uint64_t header_ns;
	uint64_t idle_ns;
	int wake_fd;
	uint64_t seed;
	size_t total;
	size_t mask; /* slots - 1 */
	struct addr_slot *slots;
	struct spod_http_conn *served;
	uint64_t next_ns; /* no deadline is before this (UINT64_MAX: none known) */
};

void spod_http_addr_from(struct spod_http_addr *a, const struct sockaddr *sa, socklen_t len)
{
	memset(a, 0, sizeof(*a));
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *v4 = (const struct sockaddr_in *)sa;

		a->b[10] = a->b[11] = 0xff;
		memcpy(a->b + 12, &v4->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		memcpy(a->b, &((const struct sockaddr_in6 *)sa)->sin6_addr, SPOD_HTTP_ADDR_BYTES);
	}
}

void spod_http_addr_text(char *out, size_t cap, const struct spod_http_addr *a)
{
	static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};

	if (memcmp(a->b, mapped, sizeof(mapped)) == 0 &&
	    inet_ntop(AF_INET, a->b + 12, out, (socklen_t)cap) != NULL)
		return;
	if (inet_ntop(AF_INET6, a->b, out, (socklen_t)cap) == NULL && cap > 0)
		out[0] = '\0';
}

int spod_http_conns_new(struct spod_http_conns **out, unsigned max_total, unsigned max_per_addr,
                        unsigned header_ms, unsigned idle_ms, int wake_fd)
{
	struct spod_http_conns *r = calloc(1, sizeof(*r));
	size_t slots = MIN_SLOTS;

	*out = NULL;
	if (r == NULL)
		return SPOD_E_NOMEM;
	/* Served and waiting connections are each at most max_total: half the slots stay free. */
	while (slots < 4 * (size_t)max_total)
		slots *= 2;
	r->slots = calloc(slots, sizeof(*r->slots));
	if (r->slots == NULL || pthread_mutex_init(&r->lock, NULL) != 0) {
		free(r->slots);
		free(r);
		return SPOD_E_NOMEM;
	}
	if (getrandom(&r->seed, sizeof(r->seed), 0) != (ssize_t)sizeof(r->seed))
		r->seed = (uint64_t)(uintptr_t)r ^ spod_http_now_ns();
	r->mask = slots - 1;
	r->max_total = max_total;
	r->max_per_addr = max_per_addr;
	r->header_ns = (uint64_t)header_ms * SPOD_HTTP_NS_PER_MS;
	r->idle_ns = (uint64_t)idle_ms * SPOD_HTTP_NS_PER_MS;
	r->wake_fd = wake_fd;
	r->next_ns = UINT64_MAX;
	*out = r;
	return SPOD_OK;
}

void spod_http_conns_free(struct spod_http_conns *r)
{
	if (r == NULL)
		return;
	pthread_mutex_destroy(&r->lock);
	free(r->slots);
	free(r);
}

/* FNV-1a over the address, started from the seed, then mixed (the low bits pick the slot). */
static size_t addr_hash(const struct spod_http_conns *r, const struct spod_http_addr *a)
{
	uint64_t h = 0xcbf29ce484222325ull ^ r->seed;

	for (size_t i = 0; i < SPOD_HTTP_ADDR_BYTES; i++)
		h = (h ^ a->b[i]) * 0x100000001b3ull;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return (size_t)h;
}

/* The slot holding a, or the free slot where it would go; NULL when the table is full. */
static struct addr_slot *slot_find(struct spod_http_conns *r, const struct spod_http_addr *a)
{
	size_t i = addr_hash(r, a) & r->mask;

	for (size_t probes = 0; probes <= r->mask; probes++, i = (i + 1) & r->mask) {
		struct addr_slot *s = &r->slots[i];

		if (s->n == 0 || memcmp(&s->a, a, sizeof(*a)) == 0)
			return s;
	}
	return NULL;
}

/* Frees slot s, moving later entries of its probe run back so that lookups still find them. */
static void slot_remove(struct spod_http_conns *r, struct addr_slot *s)
{
	size_t i = (size_t)(s - r->slots), j = i;

	for (;;) {
		size_t home;

		j = (j + 1) & r->mask;
		if (r->slots[j].n == 0)
			break;
		home = addr_hash(r, &r->slots[j].a) & r->mask;
		/* Entry j may move to i unless its home lies cyclically in (i, j]. */
		if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
			r->slots[i] = r->slots[j];
			i = j;
		}
	}
	r->slots[i].n = 0;
}

enum spod_http_admit spod_http_conns_admit(struct spod_http_conns *r,
                                           const struct spod_http_addr *a)
{
	enum spod_http_admit rc = SPOD_HTTP_ADMIT_OK;
	struct addr_slot *s;

	pthread_mutex_lock(&r->lock);
	s = slot_find(r, a);
	if (s == NULL || r->total >= r->max_total)
		rc = SPOD_HTTP_ADMIT_FULL;
	if (s != NULL && s->n >= r->max_per_addr)
		rc = SPOD_HTTP_ADMIT_ADDR;
	if (s != NULL && rc == SPOD_HTTP_ADMIT_OK) {
		s->a = *a;
		s->n++;
		r->total++;
	}
	pthread_mutex_unlock(&r->lock);
	return rc;
}

/* Uncounts a connection from a; the caller holds the lock. */
static void release_locked(struct spod_http_conns *r, const struct spod_http_addr *a, int counted)
{
	struct addr_slot *s = counted ? slot_find(r, a) : NULL;

	if (r->total > 0)
		r->total--;
	if (s != NULL && s->n > 0 && --s->n == 0)
		slot_remove(r, s);
}

void spod_http_conns_release(struct spod_http_conns *r, const struct spod_http_addr *a)
{
	pthread_mutex_lock(&r->lock);
	release_locked(r, a, 1);
	pthread_mutex_unlock(&r->lock);
}

/* Sets c's deadline and wakes the reaper if it planned to sleep past it; lock held. */
static void set_deadline(struct spod_http_conn *c, uint64_t deadline_ns)
{
	struct spod_http_conns *r = c->r;
	uint64_t one = 1;

	c->deadline_ns = deadline_ns;
	if (deadline_ns == 0 || deadline_ns >= r->next_ns)
		return;
	r->next_ns = deadline_ns;
	if (r->wake_fd >= 0 && write(r->wake_fd, &one, sizeof(one)) < 0) {
		/* Full (EAGAIN) means a wake-up is pending already. */
	}
}

struct spod_http_conn *spod_http_conns_started(struct spod_http_conns *r, int fd,
                                               const struct sockaddr *sa, socklen_t len)
{
	struct spod_http_conn *c = calloc(1, sizeof(*c));
	struct addr_slot *s;

	if (c == NULL)
		return NULL;
	c->r = r;
	c->fd = fd;
	spod_http_addr_from(&c->a, sa, len);
	pthread_mutex_lock(&r->lock);
	s = slot_find(r, &c->a);
	if (s != NULL) {
		s->a = c->a;
		s->n++;
		c->counted = 1;
	}
	r->total++;
	c->next = r->served;
	if (r->served != NULL)
		r->served->prev = c;
	r->served = c;
	set_deadline(c, spod_http_now_ns() + r->header_ns);
	pthread_mutex_unlock(&r->lock);
	return c;
}

void spod_http_conns_header(struct spod_http_conn *c)
{
	pthread_mutex_lock(&c->r->lock);
	c->deadline_ns = 0;
	pthread_mutex_unlock(&c->r->lock);
}

void spod_http_conns_answered(struct spod_http_conn *c)
{
	struct spod_http_conns *r = c->r;

	pthread_mutex_lock(&r->lock);
	set_deadline(c, spod_http_now_ns() + r->idle_ns + r->header_ns);
	pthread_mutex_unlock(&r->lock);
}

void spod_http_conns_closed(struct spod_http_conn *c)
{
	struct spod_http_conns *r = c->r;

	pthread_mutex_lock(&r->lock);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		r->served = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	release_locked(r, &c->a, c->counted);
	pthread_mutex_unlock(&r->lock);
	free(c);
}

size_t spod_http_conns_reap(struct spod_http_conns *r, uint64_t now_ns, uint64_t *next_ns)
{
	uint64_t next = UINT64_MAX;
	size_t n = 0;

	pthread_mutex_lock(&r->lock);
	for (struct spod_http_conn *c = r->served; c != NULL; c = c->next) {
		if (c->deadline_ns == 0)
			continue;
		if (c->deadline_ns > now_ns) {
			next = c->deadline_ns < next ? c->deadline_ns : next;
			continue;
		}
		/* Under the lock: libmicrohttpd says "closed" before it closes the socket. */
		(void)shutdown(c->fd, SHUT_RDWR);
		c->deadline_ns = 0;
		n++;
	}
	r->next_ns = next;
	pthread_mutex_unlock(&r->lock);
	*next_ns = next;
	return n;
}

size_t spod_http_conns_count(struct spod_http_conns *r)
{
	size_t n;

	pthread_mutex_lock(&r->lock);
	n = r->total;
	pthread_mutex_unlock(&r->lock);
	return n;
}
