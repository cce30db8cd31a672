/* In-process channels (src/transport/inproc.h): both ends, the hub's news, limits, shutdown. */
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "spod/err.h"
#include "transport/inproc.h"
#include "transport/loop.h"

static int readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, 0) == 1;
}

/* A request one way, an answer the other; the news list says which channel has something. */
static void test_inproc_roundtrip(void **state)
{
	struct spod_inproc_hub *hub;
	struct spod_inproc *ch;
	uint8_t buf[64];
	int owner;

	(void)state;
	assert_int_equal(spod_inproc_hub_new(&hub, 4), SPOD_OK);
	assert_false(readable(spod_inproc_hub_fd(hub)));
	assert_int_equal(spod_inproc_open(&ch, hub), SPOD_OK);
	assert_int_equal(spod_inproc_hub_count(hub), 1);
	assert_true(readable(spod_inproc_hub_fd(hub)));
	assert_int_equal(spod_inproc_send(ch, (const uint8_t *)"hello", 5), 5);

	spod_inproc_hub_begin(hub);
	assert_false(readable(spod_inproc_hub_fd(hub)));
	assert_ptr_equal(spod_inproc_hub_pop(hub), ch); /* queued once, for both news */
	assert_null(spod_inproc_hub_pop(hub));
	assert_null(spod_inproc_owner(ch));
	spod_inproc_set_owner(ch, &owner);
	assert_ptr_equal(spod_inproc_owner(ch), &owner);
	assert_int_equal(spod_inproc_loop_events(ch), SPOD_EV_READ | SPOD_EV_WRITE);
	assert_int_equal(spod_inproc_loop_pending(ch), 5);
	assert_int_equal(spod_inproc_loop_read(ch, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(spod_inproc_loop_read(ch, buf, sizeof(buf)), SPOD_E_AGAIN);

	assert_int_equal(spod_inproc_recv(ch, buf, sizeof(buf)), SPOD_E_AGAIN);
	assert_int_equal(spod_inproc_wait(ch, SPOD_EV_READ, 0), 0);
	assert_int_equal(spod_inproc_loop_write(ch, (const uint8_t *)"world", 5), 5);
	assert_int_equal(spod_inproc_wait(ch, SPOD_EV_READ, 0), SPOD_EV_READ);
	assert_int_equal(spod_inproc_recv(ch, buf, 3), 3);
	assert_int_equal(spod_inproc_recv(ch, buf + 3, sizeof(buf) - 3), 2);
	assert_memory_equal(buf, "world", 5);

	/* The worker closes: the loop hears of it and reads the end of the stream. */
	assert_int_equal(spod_inproc_send(ch, (const uint8_t *)"x", 1), 1);
	spod_inproc_close(ch);
	spod_inproc_hub_begin(hub);
	assert_ptr_equal(spod_inproc_hub_pop(hub), ch);
	assert_int_equal(spod_inproc_loop_events(ch), SPOD_EV_READ | SPOD_EV_WRITE | SPOD_EV_HUP);
	assert_int_equal(spod_inproc_loop_read(ch, buf, sizeof(buf)), 1);
	assert_int_equal(spod_inproc_loop_read(ch, buf, sizeof(buf)), SPOD_E_CLOSED);
	assert_int_equal(spod_inproc_loop_write(ch, buf, 1), SPOD_E_CLOSED);
	spod_inproc_loop_close(ch); /* the last end: freed */
	assert_int_equal(spod_inproc_hub_count(hub), 0);
	spod_inproc_hub_free(hub);
}

/* The loop lets go first: the worker reads what is left, then CLOSED; waits return. */
static void test_inproc_loop_closes(void **state)
{
	struct spod_inproc_hub *hub;
	struct spod_inproc *ch;
	uint8_t buf[8];

	(void)state;
	assert_int_equal(spod_inproc_hub_new(&hub, 4), SPOD_OK);
	assert_int_equal(spod_inproc_open(&ch, hub), SPOD_OK);
	spod_inproc_hub_begin(hub);
	assert_ptr_equal(spod_inproc_hub_pop(hub), ch);
	assert_int_equal(spod_inproc_loop_write(ch, (const uint8_t *)"ab", 2), 2);
	spod_inproc_loop_close(ch);
	assert_int_equal(spod_inproc_send(ch, buf, 1), SPOD_E_CLOSED);
	assert_int_equal(spod_inproc_wait(ch, SPOD_EV_READ, -1), SPOD_EV_READ);
	assert_int_equal(spod_inproc_recv(ch, buf, sizeof(buf)), 2);
	assert_int_equal(spod_inproc_recv(ch, buf, sizeof(buf)), SPOD_E_CLOSED);
	/* Sending after the loop's end went never puts the channel among the news. */
	spod_inproc_close(ch);
	spod_inproc_hub_begin(hub);
	assert_null(spod_inproc_hub_pop(hub));
	assert_int_equal(spod_inproc_hub_count(hub), 0);
	spod_inproc_hub_free(hub);
}

/* A channel the loop closes while it is among the news is freed when it is popped. */
static void test_inproc_closed_while_queued(void **state)
{
	struct spod_inproc_hub *hub;
	struct spod_inproc *ch;

	(void)state;
	assert_int_equal(spod_inproc_hub_new(&hub, 4), SPOD_OK);
	assert_int_equal(spod_inproc_open(&ch, hub), SPOD_OK); /* queued */
	spod_inproc_close(ch);                                 /* the worker goes */
	spod_inproc_loop_close(ch);                            /* still queued: kept */
	assert_int_equal(spod_inproc_hub_count(hub), 1);
	spod_inproc_hub_begin(hub);
	assert_null(spod_inproc_hub_pop(hub)); /* skipped and freed */
	assert_int_equal(spod_inproc_hub_count(hub), 0);
	spod_inproc_hub_free(hub);
}

/* Full rings: AGAIN, and the other end's read makes room (and brings the loop back). */
static void test_inproc_full_rings(void **state)
{
	static uint8_t big[SPOD_INPROC_RING_BYTES + 100];
	struct spod_inproc_hub *hub;
	struct spod_inproc *ch;

	(void)state;
	memset(big, 0x5a, sizeof(big));
	assert_int_equal(spod_inproc_hub_new(&hub, 4), SPOD_OK);
	assert_int_equal(spod_inproc_open(&ch, hub), SPOD_OK);
	spod_inproc_hub_begin(hub);
	assert_ptr_equal(spod_inproc_hub_pop(hub), ch);

	assert_int_equal(spod_inproc_send(ch, big, sizeof(big)), SPOD_INPROC_RING_BYTES);
	assert_int_equal(spod_inproc_send(ch, big, 1), SPOD_E_AGAIN);
	assert_int_equal(spod_inproc_wait(ch, SPOD_EV_WRITE, 10), 0);
	assert_int_equal(spod_inproc_loop_read(ch, big, 100), 100);
	assert_int_equal(spod_inproc_wait(ch, SPOD_EV_WRITE, 0), SPOD_EV_WRITE);
	assert_int_equal(spod_inproc_send(ch, big, 1000), 100); /* wraps around the ring */
	assert_int_equal(spod_inproc_loop_read(ch, big, sizeof(big)), SPOD_INPROC_RING_BYTES);

	spod_inproc_hub_begin(hub);
	assert_ptr_equal(spod_inproc_hub_pop(hub), ch); /* the sends were news */
	assert_int_equal(spod_inproc_loop_write(ch, big, sizeof(big)), SPOD_INPROC_RING_BYTES);
	assert_int_equal(spod_inproc_loop_write(ch, big, 1), SPOD_E_AGAIN);
	assert_null(spod_inproc_hub_pop(hub));
	assert_int_equal(spod_inproc_recv(ch, big, 10), 10);
	spod_inproc_hub_begin(hub);
	assert_ptr_equal(spod_inproc_hub_pop(hub), ch); /* room again: the loop comes back */
	spod_inproc_close(ch);
	spod_inproc_loop_close(ch);
	spod_inproc_hub_free(hub);
}

/* At most max_chans; after stop none opens, and the open ones are shut. */
static void test_inproc_limits_and_stop(void **state)
{
	struct spod_inproc_hub *hub;
	struct spod_inproc *a, *b, *c;
	uint8_t buf[4];

	(void)state;
	assert_int_equal(spod_inproc_hub_new(&hub, 2), SPOD_OK);
	assert_int_equal(spod_inproc_open(&a, hub), SPOD_OK);
	assert_int_equal(spod_inproc_open(&b, hub), SPOD_OK);
	assert_int_equal(spod_inproc_open(&c, hub), SPOD_E_BUSY);
	assert_null(c);
	spod_inproc_hub_stop(hub);
	assert_int_equal(spod_inproc_open(&c, hub), SPOD_E_UNAVAILABLE);
	assert_int_equal(spod_inproc_wait(a, SPOD_EV_READ, -1), SPOD_EV_READ);
	assert_int_equal(spod_inproc_recv(a, buf, sizeof(buf)), SPOD_E_CLOSED);
	assert_int_equal(spod_inproc_send(b, buf, 1), SPOD_E_CLOSED);
	spod_inproc_close(a);
	spod_inproc_close(b);
	spod_inproc_hub_free(hub); /* frees the channels the loop never took */
}

struct waiter {
	struct spod_inproc *ch;
	int ready;
	long got;
	uint8_t buf[8];
};

static void *wait_main(void *arg)
{
	struct waiter *w = arg;

	w->ready = spod_inproc_wait(w->ch, SPOD_EV_READ, 10000);
	w->got = spod_inproc_recv(w->ch, w->buf, sizeof(w->buf));
	return NULL;
}

/* A worker blocked in its wait is woken by the loop's answer, well before its deadline. */
static void test_inproc_wakes_waiter(void **state)
{
	struct spod_inproc_hub *hub;
	struct waiter w = {0};
	struct timespec t0, t1;
	pthread_t t;

	(void)state;
	assert_int_equal(spod_inproc_hub_new(&hub, 1), SPOD_OK);
	assert_int_equal(spod_inproc_open(&w.ch, hub), SPOD_OK);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(pthread_create(&t, NULL, wait_main, &w), 0);
	poll(NULL, 0, 20);
	assert_int_equal(spod_inproc_loop_write(w.ch, (const uint8_t *)"ok", 2), 2);
	assert_int_equal(pthread_join(t, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(w.ready, SPOD_EV_READ);
	assert_int_equal(w.got, 2);
	assert_memory_equal(w.buf, "ok", 2);
	assert_true(t1.tv_sec - t0.tv_sec < 5);
	spod_inproc_close(w.ch);
	spod_inproc_loop_close(w.ch);
	spod_inproc_hub_free(hub);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_inproc_roundtrip),
	    cmocka_unit_test(test_inproc_loop_closes),
	    cmocka_unit_test(test_inproc_closed_while_queued),
	    cmocka_unit_test(test_inproc_full_rings),
	    cmocka_unit_test(test_inproc_limits_and_stop),
	    cmocka_unit_test(test_inproc_wakes_waiter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
