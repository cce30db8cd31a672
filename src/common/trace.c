/*
 * Request tracing for the benchmark build (see trace.h); empty unless SPOD_TRACE is defined.
 * Wake times and deferred stages belong to the thread of an event loop; marks may come from
 * any thread.
 */
#include "common/trace.h"

#ifdef SPOD_TRACE
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define TRACE_DEFER_MAX 4096u

struct trace_deferred {
	uint64_t rid, aux;
	unsigned stage;
};

static struct spod_trace_file *trace_hdr;
static struct spod_trace_event *trace_ring;
static uint64_t (*trace_alloc_fn)(void);
static _Thread_local uint64_t trace_wake;
static struct trace_deferred trace_defer[TRACE_DEFER_MAX];
static unsigned trace_ndefer;

static uint64_t trace_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void spod_trace_open(const char *name)
{
	const char *dir = getenv("SPOD_TRACE_DIR");
	size_t len =
	    sizeof(struct spod_trace_file) + SPOD_TRACE_CAP * sizeof(struct spod_trace_event);
	char path[PATH_MAX];
	void *map;
	int fd;

	trace_alloc_fn = (uint64_t(*)(void))dlsym(RTLD_DEFAULT, "spod_alloc_count");
	if (dir == NULL || dir[0] == '\0' || trace_hdr != NULL)
		return;
	if (snprintf(path, sizeof(path), "%s/%s.trace", dir, name) >= (int)sizeof(path))
		return;
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (ftruncate(fd, (off_t)len) < 0) {
		close(fd);
		return;
	}
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return;
	trace_hdr = map;
	trace_ring = (struct spod_trace_event *)(trace_hdr + 1);
	trace_hdr->cap = SPOD_TRACE_CAP;
	trace_hdr->pid = (uint64_t)getpid();
	trace_hdr->counting = trace_alloc_fn != NULL;
	__atomic_store_n(&trace_hdr->magic, SPOD_TRACE_MAGIC, __ATOMIC_RELEASE);
}

uint64_t spod_trace_allocs(void)
{
	return trace_alloc_fn != NULL ? trace_alloc_fn() : 0;
}

void spod_trace_mark_at(unsigned stage, uint64_t rid, uint64_t aux, uint64_t ns)
{
	struct spod_trace_event *e;
	uint64_t head;

	if (trace_hdr == NULL)
		return;
	/* Several threads may mark (spod-host's HTTP threads are libspod clients). */
	head = __atomic_fetch_add(&trace_hdr->head, 1, __ATOMIC_ACQ_REL);
	e = &trace_ring[head % SPOD_TRACE_CAP];
	*e = (struct spod_trace_event){
	    .ns = ns, .rid = rid, .aux = aux, .allocs = spod_trace_allocs(), .stage = stage};
}

void spod_trace_mark(unsigned stage, uint64_t rid, uint64_t aux)
{
	spod_trace_mark_at(stage, rid, aux, trace_now());
}

void spod_trace_wake(void)
{
	trace_wake = trace_now();
}

uint64_t spod_trace_wake_ns(void)
{
	return trace_wake;
}

void spod_trace_defer(unsigned stage, uint64_t rid, uint64_t aux)
{
	if (trace_hdr == NULL || trace_ndefer == TRACE_DEFER_MAX)
		return;
	trace_defer[trace_ndefer++] =
	    (struct trace_deferred){.rid = rid, .aux = aux, .stage = stage};
}

void spod_trace_stamp(unsigned stage)
{
	uint64_t now;
	unsigned kept = 0;

	if (trace_ndefer == 0)
		return;
	now = trace_now();
	for (unsigned i = 0; i < trace_ndefer; i++) {
		if (trace_defer[i].stage == stage)
			spod_trace_mark_at(stage, trace_defer[i].rid, trace_defer[i].aux, now);
		else
			trace_defer[kept++] = trace_defer[i];
	}
	trace_ndefer = kept;
}
#else
typedef int spod_trace_off; /* ISO C wants a declaration in every translation unit */
#endif
