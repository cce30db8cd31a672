/*
 * The log limiter (src/common/log.c): a message repeated without bound is written at most
 * once per interval, from any number of threads, and the next line written says how many
 * were held back. stderr goes to a temporary file the test reads.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/log.h"

static char g_path[] = "/tmp/spod-test-log.XXXXXX";

static int setup(void **state)
{
	int fd = mkstemp(g_path);

	(void)state;
	if (fd < 0)
		return -1;
	close(fd);
	spod_log_init("spod-test", SPOD_LOG_INFO);
	return freopen(g_path, "w", stderr) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	unlink(g_path);
	return 0;
}

/* The lines written since the last call (stderr is truncated after reading). */
static size_t read_lines(char *buf, size_t cap)
{
	FILE *f;
	size_t n, lines = 0;

	fflush(stderr);
	f = fopen(g_path, "r");
	assert_non_null(f);
	n = fread(buf, 1, cap - 1, f);
	fclose(f);
	buf[n] = '\0';
	for (size_t i = 0; i < n; i++)
		lines += buf[i] == '\n';
	assert_non_null(freopen(g_path, "w", stderr));
	return lines;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static void test_once_per_interval(void **state)
{
	static struct spod_log_limit lim;
	char buf[4096];

	(void)state;
	for (int i = 0; i < 100; i++)
		spod_log_limited(&lim, 200, SPOD_LOG_WARN, "refusing client %d", i);
	assert_int_equal(read_lines(buf, sizeof buf), 1);
	assert_non_null(strstr(buf, "WARN refusing client 0\n"));
	sleep_ms(250);
	spod_log_limited(&lim, 200, SPOD_LOG_WARN, "refusing client %d", 100);
	assert_int_equal(read_lines(buf, sizeof buf), 1);
	assert_non_null(strstr(buf, "refusing client 100; 99 more like this in between\n"));
	/* nothing held back since: no tail */
	sleep_ms(250);
	spod_log_limited(&lim, 200, SPOD_LOG_WARN, "refusing client %d", 101);
	assert_int_equal(read_lines(buf, sizeof buf), 1);
	assert_non_null(strstr(buf, "refusing client 101\n"));
	/* below the minimum level: neither written nor counted */
	spod_log_limited(&lim, 0, SPOD_LOG_DEBUG, "debug %d", 1);
	assert_int_equal(read_lines(buf, sizeof buf), 0);
}

#define THREADS 4
#define CALLS   5000

static struct spod_log_limit g_shared;

static void *hammer(void *arg)
{
	(void)arg;
	for (int i = 0; i < CALLS; i++)
		spod_log_limited(&g_shared, 60000, SPOD_LOG_ERROR, "descriptor limit reached");
	return NULL;
}

static void test_threads(void **state)
{
	pthread_t t[THREADS];
	char buf[4096];

	(void)state;
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hammer, NULL), 0);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(read_lines(buf, sizeof buf), 1);
	/* the interval over: the next line counts every call held back by every thread */
	g_shared.next_ns = 0;
	spod_log_limited(&g_shared, 60000, SPOD_LOG_ERROR, "descriptor limit reached");
	assert_int_equal(read_lines(buf, sizeof buf), 1);
	assert_non_null(strstr(buf, "; 19999 more like this in between\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_once_per_interval),
	    cmocka_unit_test(test_threads),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
