/*
 * Round-trip latency of the echo opcode through libspod (spod_client_echo), per transport.
 *
 *   vsock_rtt [-n COUNT] [-s BYTES] LABEL=URI...
 *
 * For each LABEL=URI: connects, sends 100 warm-up echoes, then COUNT (default 2000) timed
 * echoes of BYTES (default 64) random bytes, one at a time on one connection, and checks
 * every answer (spod_client_echo compares the echoed body). Prints one line with, per label,
 *   rtt_LABEL_p50_us=.. rtt_LABEL_p99_us=.. rtt_LABEL_max_us=..
 * Exit status 0 when every round trip succeeded, 1 otherwise (reasons on stderr).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crypto/sign.h"
#include "spod/client.h"

#define WARMUP    100
#define MAX_COUNT 1000000

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Percentile p (0..100) of sorted v[0..n), nearest rank. */
static int64_t pct(const int64_t *v, size_t n, unsigned p)
{
	size_t rank = (n * p + 99) / 100;
	return v[rank == 0 ? 0 : rank - 1];
}

static int measure(const char *label, const char *uri, size_t count, size_t size, char *line,
                   size_t cap)
{
	struct spod_client *c = NULL;
	int64_t *t = calloc(count, sizeof(*t));
	uint8_t *data = malloc(size ? size : 1);
	int rc;

	if (t == NULL || data == NULL) {
		fprintf(stderr, "vsock_rtt: out of memory\n");
		free(t);
		free(data);
		return -1;
	}
	spod_random(data, size ? size : 1);
	rc = spod_client_open(&c, uri, getenv("SPOD_TOKEN"), 10000);
	if (rc != SPOD_OK) {
		fprintf(stderr, "vsock_rtt: connect %s: %s\n", uri, spod_err_name(rc));
		goto out;
	}
	for (size_t i = 0; i < WARMUP + count; i++) {
		int64_t t0 = now_ns();

		data[0] = (uint8_t)i; /* a different body each time */
		rc = spod_client_echo(c, data, size);
		if (rc != SPOD_OK) {
			fprintf(stderr, "vsock_rtt: %s echo %zu: %s\n", label, i,
			        spod_err_name(rc));
			goto out;
		}
		if (i >= WARMUP)
			t[i - WARMUP] = now_ns() - t0;
	}
	qsort(t, count, sizeof(*t), cmp_i64);
	snprintf(line, cap,
	         "rtt_%s_p50_us=%" PRId64 " rtt_%s_p99_us=%" PRId64 " rtt_%s_max_us=%" PRId64,
	         label, (pct(t, count, 50) + 500) / 1000, label, (pct(t, count, 99) + 500) / 1000,
	         label, (t[count - 1] + 500) / 1000);
out:
	spod_client_close(c);
	free(t);
	free(data);
	return rc == SPOD_OK ? 0 : -1;
}

int main(int argc, char **argv)
{
	size_t count = 2000, size = 64;
	char out[4096] = "", line[512];
	int opt, failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "n:s:")) != -1) {
		switch (opt) {
		case 'n':
			count = strtoul(optarg, NULL, 10);
			break;
		case 's':
			size = strtoul(optarg, NULL, 10);
			break;
		default:
			optind = argc + 1;
		}
	}
	if (optind >= argc || count == 0 || count > MAX_COUNT || size > SPOD_BODY_MAX_BYTES) {
		fprintf(stderr, "usage: vsock_rtt [-n COUNT] [-s BYTES] LABEL=URI...\n");
		return 2;
	}
	if (spod_crypto_init(0) != SPOD_OK) {
		fprintf(stderr, "vsock_rtt: crypto init failed\n");
		return 1;
	}
	for (int i = optind; i < argc; i++) {
		char label[64];
		const char *eq = strchr(argv[i], '=');

		if (eq == NULL || eq == argv[i] || (size_t)(eq - argv[i]) >= sizeof(label)) {
			fprintf(stderr, "vsock_rtt: expected LABEL=URI, got '%s'\n", argv[i]);
			failed = 1;
			continue;
		}
		memcpy(label, argv[i], (size_t)(eq - argv[i]));
		label[eq - argv[i]] = '\0';
		if (measure(label, eq + 1, count, size, line, sizeof(line)) < 0) {
			failed = 1;
			continue;
		}
		if (out[0] != '\0')
			strncat(out, " ", sizeof(out) - strlen(out) - 1);
		strncat(out, line, sizeof(out) - strlen(out) - 1);
	}
	printf("%s n=%zu size=%zu\n", out, count, size);
	spod_crypto_cleanup();
	return failed;
}
