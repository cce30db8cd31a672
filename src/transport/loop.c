/* epoll event loop (see loop.h). */
#include "transport/loop.h"

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "common/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "spod/err.h"

#define LOOP_MAX_EVENTS 64

/*
 * One registration per fd. gen is 0 for a free slot; otherwise it is also stored in the
 * epoll data next to the fd, so an event that was already fetched for an fd that a callback
 * has since removed (and perhaps re-added under the same number) is recognised and dropped.
 */
struct loop_reg {
	spod_loop_cb cb;
	void *arg;
	uint32_t gen;
};

struct spod_loop {
	int epfd;
	int stop;
	uint32_t next_gen;
	struct loop_reg *regs;
	size_t nregs;
	uint64_t spin_ns; /* spod_loop_set_spin */
};

static uint64_t ev_data(int fd, uint32_t gen)
{
	return (uint64_t)gen << 32 | (uint32_t)fd;
}

/*
 * EPOLLRDHUP is asked for only together with reading: it is level-triggered, so an owner
 * that paused reading would otherwise be woken for a half-closed peer again and again.
 * EPOLLHUP and EPOLLERR are always reported by epoll.
 */
static uint32_t to_epoll(uint32_t events)
{
	uint32_t e = 0;

	if (events & SPOD_EV_READ)
		e |= EPOLLIN | EPOLLRDHUP;
	if (events & SPOD_EV_WRITE)
		e |= EPOLLOUT;
	return e;
}

static uint32_t from_epoll(uint32_t e)
{
	uint32_t events = 0;

	if (e & EPOLLIN)
		events |= SPOD_EV_READ;
	if (e & EPOLLOUT)
		events |= SPOD_EV_WRITE;
	/* The owner learns the details (EOF, error) from its next read. */
	if (e & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		events |= SPOD_EV_HUP | SPOD_EV_READ;
	return events;
}

static struct loop_reg *reg_get(struct spod_loop *loop, int fd)
{
	if (fd < 0 || (size_t)fd >= loop->nregs || loop->regs[fd].gen == 0)
		return NULL;
	return &loop->regs[fd];
}

static int reg_reserve(struct spod_loop *loop, int fd)
{
	struct loop_reg *regs;
	size_t n;

	if ((size_t)fd < loop->nregs)
		return SPOD_OK;
	n = loop->nregs ? loop->nregs : 64;
	while (n <= (size_t)fd)
		n *= 2;
	regs = realloc(loop->regs, n * sizeof(*regs));
	if (regs == NULL)
		return SPOD_E_NOMEM;
	memset(regs + loop->nregs, 0, (n - loop->nregs) * sizeof(*regs));
	loop->regs = regs;
	loop->nregs = n;
	return SPOD_OK;
}

int spod_loop_new(struct spod_loop **out)
{
	struct spod_loop *loop;

	*out = NULL;
	loop = calloc(1, sizeof(*loop));
	if (loop == NULL)
		return SPOD_E_NOMEM;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		free(loop);
		return SPOD_E_IO;
	}
	loop->next_gen = 1;
	*out = loop;
	return SPOD_OK;
}

void spod_loop_free(struct spod_loop *loop)
{
	if (loop == NULL)
		return;
	close(loop->epfd);
	free(loop->regs);
	free(loop);
}

int spod_loop_add(struct spod_loop *loop, int fd, uint32_t events, spod_loop_cb cb, void *arg)
{
	struct epoll_event ev = {0};
	uint32_t gen;

	if (fd < 0)
		return SPOD_E_BAD_ARG;
	if (reg_get(loop, fd) != NULL)
		return SPOD_E_IO;
	SPOD_TRY(reg_reserve(loop, fd));
	gen = loop->next_gen++;
	if (loop->next_gen == 0)
		loop->next_gen = 1;
	ev.events = to_epoll(events);
	ev.data.u64 = ev_data(fd, gen);
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return SPOD_E_IO;
	loop->regs[fd] = (struct loop_reg){.cb = cb, .arg = arg, .gen = gen};
	return SPOD_OK;
}

int spod_loop_mod(struct spod_loop *loop, int fd, uint32_t events)
{
	struct loop_reg *r = reg_get(loop, fd);
	struct epoll_event ev = {0};

	if (r == NULL)
		return SPOD_E_BAD_ARG;
	ev.events = to_epoll(events);
	ev.data.u64 = ev_data(fd, r->gen);
	if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
		return SPOD_E_IO;
	return SPOD_OK;
}

void spod_loop_del(struct spod_loop *loop, int fd)
{
	struct loop_reg *r = reg_get(loop, fd);

	if (r == NULL)
		return;
	/* Fails harmlessly if the owner already closed fd: the kernel removed it then. */
	(void)epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	memset(r, 0, sizeof(*r));
}

void spod_loop_set_spin(struct spod_loop *loop, unsigned spin_us)
{
	if (spin_us > SPOD_LOOP_SPIN_MAX_US)
		spin_us = SPOD_LOOP_SPIN_MAX_US;
	loop->spin_ns = (uint64_t)spin_us * 1000u;
}

static uint64_t loop_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* epoll_wait, after polling for up to spin_ns when nothing is ready yet. */
static int loop_wait(struct spod_loop *loop, struct epoll_event *evs, int wait)
{
	uint64_t until;
	int n;

	if (loop->spin_ns == 0 || wait == 0)
		return epoll_wait(loop->epfd, evs, LOOP_MAX_EVENTS, wait);
	until = loop_now_ns() + loop->spin_ns;
	do {
		n = epoll_wait(loop->epfd, evs, LOOP_MAX_EVENTS, 0);
		if (n != 0)
			return n;
	} while (loop_now_ns() < until);
	return epoll_wait(loop->epfd, evs, LOOP_MAX_EVENTS, wait);
}

int spod_loop_run(struct spod_loop *loop, int timeout_ms, void (*tick)(struct spod_loop *, void *),
                  void *tick_arg)
{
	struct epoll_event evs[LOOP_MAX_EVENTS];
	int wait = timeout_ms < 0 ? -1 : timeout_ms;

	loop->stop = 0;
	while (!loop->stop) {
		int n = loop_wait(loop, evs, wait);
		if (n < 0) {
			if (errno != EINTR)
				return SPOD_E_IO;
			n = 0;
		}
		for (int i = 0; i < n && !loop->stop; i++) {
			int fd = (int)(uint32_t)evs[i].data.u64;
			uint32_t gen = (uint32_t)(evs[i].data.u64 >> 32);
			const struct loop_reg *r = reg_get(loop, fd);

			/* Removed (or replaced) by an earlier callback of this batch. */
			if (r == NULL || r->gen != gen)
				continue;
			r->cb(loop, fd, from_epoll(evs[i].events), r->arg);
		}
		if (tick != NULL)
			tick(loop, tick_arg);
	}
	return SPOD_OK;
}

void spod_loop_stop(struct spod_loop *loop)
{
	loop->stop = 1;
}

static void on_stop_signal(struct spod_loop *loop, int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo si;

	(void)events;
	(void)arg;
	if (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		spod_info("signal %u: shutting down", si.ssi_signo);
	spod_loop_stop(loop);
}

int spod_loop_stop_on_signals(struct spod_loop *loop, int *fd)
{
	sigset_t mask;
	int rc;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 || signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		return SPOD_E_IO;
	*fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (*fd < 0)
		return SPOD_E_IO;
	rc = spod_loop_add(loop, *fd, SPOD_EV_READ, on_stop_signal, NULL);
	if (rc < 0) {
		close(*fd);
		*fd = -1;
	}
	return rc;
}
