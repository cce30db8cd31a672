/*
 * The vsock rows of `make bench` (bench/vsock.sh), measured inside the tests/vsock guest.
 *
 *   vsock_bench [-n COUNT] [-w WARMUP] [-k ROUNDS] [-r A/B]... LABEL=echo:URI|LABEL=sign:URI...
 *
 * Each LABEL=KIND:URI is one row on its own connection, one request at a time:
 *   echo  64-byte ECHO round trips (spod_client_echo checks the echoed body);
 *   sign  Ed25519 signatures of a 32-byte message (SPOD_MODE_RAW) with a key generated for
 *         the run through URI and deleted afterwards; the first signature is verified
 *         in-process, every answer must be a 64-byte Ed25519 signature.
 * Every row gets WARMUP (default 100) untimed requests, then COUNT (default 2000) timed
 * ones. The timed requests run in ROUNDS (default 4) blocks, rows taking turns block by
 * block, so that a slow phase of the emulator falls on every row alike and the ratios
 * between rows stay meaningful.
 *
 * Output, one line per row and then one per -r A/B (microseconds, nearest rank):
 *   LABEL kind=KIND n=COUNT p50_us=.. p99_us=.. p999_us=.. mean_us=.. min_us=.. max_us=..
 *   ratio_A_B p50=.. p99=.. p999=..         (row A / row B)
 * Exit status 0 when every request succeeded, 1 otherwise (reasons on stderr), 2 on usage.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crypto/sign.h"
#include "spod/client.h"

#define MAX_ROWS    16
#define MAX_RATIOS  16
#define MAX_COUNT   1000000
#define ECHO_BYTES  64
#define MSG_BYTES   32
#define LABEL_CHARS "abcdefghijklmnopqrstuvwxyz0123456789_"

enum kind { KIND_ECHO, KIND_SIGN };

struct row {
	char label[48];
	enum kind kind;
	const char *uri;
	struct spod_client *c;
	struct spod_key_info key;
	int have_key;
	uint64_t *ns; /* COUNT samples */
	size_t n;
	double p50, p99, p999, mean, min, max; /* us */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* Value at per-mille q (0..1000) of sorted v[0..n), nearest rank, in microseconds. */
static double pct_us(const uint64_t *v, size_t n, unsigned q)
{
	size_t rank = (n * q + 999) / 1000;
	return (double)v[rank == 0 ? 0 : rank - 1] / 1000.0;
}

/* One request of the row; i varies the body. Returns SPOD_OK or an error code. */
static int one(struct row *r, size_t i, int check)
{
	uint8_t data[ECHO_BYTES];
	int rc;

	memset(data, 0x5a, sizeof(data));
	memcpy(data, &i, sizeof(i));
	if (r->kind == KIND_ECHO)
		return spod_client_echo(r->c, data, ECHO_BYTES);

	struct spod_signature sig;

	rc = spod_client_sign(r->c, &sig, r->key.id, SPOD_MODE_RAW, data, MSG_BYTES);
	if (rc != SPOD_OK)
		return rc;
	if (sig.alg != SPOD_ALG_ED25519 || sig.sig_len != 64)
		return SPOD_E_PROTOCOL;
	if (check)
		return spod_verify(SPOD_ALG_ED25519, r->key.pub, r->key.pub_len, SPOD_MODE_RAW,
		                   data, MSG_BYTES, sig.sig, sig.sig_len);
	return SPOD_OK;
}

static int fail(const struct row *r, const char *what, int rc)
{
	const char *msg = r->c != NULL ? spod_client_last_error(r->c) : "";

	fprintf(stderr, "vsock_bench: %s (%s): %s: %s%s%s\n", r->label, r->uri, what,
	        spod_err_name(rc), msg[0] ? ": " : "", msg);
	return -1;
}

static int setup(struct row *r, size_t count, size_t warmup)
{
	int rc;

	r->ns = calloc(count, sizeof(*r->ns));
	if (r->ns == NULL)
		return fail(r, "allocating samples", SPOD_E_NOMEM);
	rc = spod_client_open(&r->c, r->uri, getenv("SPOD_TOKEN"), 10000);
	if (rc != SPOD_OK)
		return fail(r, "connect", rc);
	if (r->kind == KIND_SIGN) {
		rc = spod_client_generate(r->c, &r->key, SPOD_ALG_ED25519);
		if (rc != SPOD_OK)
			return fail(r, "key generate", rc);
		r->have_key = 1;
		rc = one(r, 0, 1); /* verified in-process */
		if (rc != SPOD_OK)
			return fail(r, "first signature", rc);
	}
	for (size_t i = 0; i < warmup; i++) {
		rc = one(r, i, 0);
		if (rc != SPOD_OK)
			return fail(r, "warm-up request", rc);
	}
	return 0;
}

static void summarise(struct row *r)
{
	double sum = 0;

	qsort(r->ns, r->n, sizeof(*r->ns), cmp_u64);
	for (size_t i = 0; i < r->n; i++)
		sum += (double)r->ns[i];
	r->mean = sum / (double)r->n / 1000.0;
	r->min = (double)r->ns[0] / 1000.0;
	r->max = (double)r->ns[r->n - 1] / 1000.0;
	r->p50 = pct_us(r->ns, r->n, 500);
	r->p99 = pct_us(r->ns, r->n, 990);
	r->p999 = pct_us(r->ns, r->n, 999);
}

static struct row *find(struct row *rows, size_t n, const char *label, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(rows[i].label) == len && memcmp(rows[i].label, label, len) == 0)
			return &rows[i];
	return NULL;
}

static int usage(void)
{
	fprintf(stderr, "usage: vsock_bench [-n COUNT] [-w WARMUP] [-k ROUNDS] [-r A/B]... "
	                "LABEL=echo:URI|LABEL=sign:URI...\n");
	return 2;
}

int main(int argc, char **argv)
{
	static struct row rows[MAX_ROWS];
	const char *ratios[MAX_RATIOS];
	size_t count = 2000, warmup = 100, rounds = 4, nrows = 0, nratios = 0;
	int opt, failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "n:w:k:r:")) != -1) {
		switch (opt) {
		case 'n':
			count = strtoul(optarg, NULL, 10);
			break;
		case 'w':
			warmup = strtoul(optarg, NULL, 10);
			break;
		case 'k':
			rounds = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			if (nratios == MAX_RATIOS || strchr(optarg, '/') == NULL)
				return usage();
			ratios[nratios++] = optarg;
			break;
		default:
			return usage();
		}
	}
	if (optind >= argc || argc - optind > MAX_ROWS || count == 0 || count > MAX_COUNT ||
	    warmup > MAX_COUNT || rounds == 0 || rounds > count)
		return usage();
	for (int i = optind; i < argc; i++) {
		struct row *r = &rows[nrows++];
		const char *eq = strchr(argv[i], '=');
		size_t len = eq != NULL ? (size_t)(eq - argv[i]) : 0;

		if (len == 0 || len >= sizeof(r->label) || strspn(argv[i], LABEL_CHARS) != len) {
			fprintf(stderr, "vsock_bench: bad label in '%s' ([a-z0-9_]+)\n", argv[i]);
			return usage();
		}
		memcpy(r->label, argv[i], len);
		if (strncmp(eq + 1, "echo:", 5) == 0)
			r->kind = KIND_ECHO;
		else if (strncmp(eq + 1, "sign:", 5) == 0)
			r->kind = KIND_SIGN;
		else {
			fprintf(stderr, "vsock_bench: expected LABEL=KIND:URI, got '%s'\n",
			        argv[i]);
			return usage();
		}
		r->uri = eq + 6;
	}
	for (size_t i = 0; i < nratios; i++) {
		const char *slash = strchr(ratios[i], '/');

		if (find(rows, nrows, ratios[i], (size_t)(slash - ratios[i])) == NULL ||
		    find(rows, nrows, slash + 1, strlen(slash + 1)) == NULL) {
			fprintf(stderr, "vsock_bench: -r %s names an unknown row\n", ratios[i]);
			return usage();
		}
	}
	if (spod_crypto_init(0) != SPOD_OK) {
		fprintf(stderr, "vsock_bench: crypto init failed\n");
		return 1;
	}

	for (size_t i = 0; i < nrows && !failed; i++)
		failed = setup(&rows[i], count, warmup) < 0;
	/* Rows take turns, one block of about count / rounds requests each. */
	for (size_t k = 0; k < rounds && !failed; k++) {
		for (size_t i = 0; i < nrows && !failed; i++) {
			struct row *r = &rows[i];
			size_t end = count * (k + 1) / rounds;

			while (r->n < end) {
				uint64_t t0 = now_ns();
				int rc = one(r, warmup + r->n, 0);

				if (rc != SPOD_OK) {
					failed = fail(r, "timed request", rc) < 0;
					break;
				}
				r->ns[r->n++] = now_ns() - t0;
			}
		}
	}
	if (!failed) {
		for (size_t i = 0; i < nrows; i++) {
			struct row *r = &rows[i];

			summarise(r);
			printf("%s kind=%s n=%zu p50_us=%.1f p99_us=%.1f p999_us=%.1f mean_us=%.1f "
			       "min_us=%.1f max_us=%.1f\n",
			       r->label, r->kind == KIND_ECHO ? "echo" : "sign", r->n, r->p50,
			       r->p99, r->p999, r->mean, r->min, r->max);
		}
		for (size_t i = 0; i < nratios; i++) {
			const char *slash = strchr(ratios[i], '/');
			const struct row *a =
			    find(rows, nrows, ratios[i], (size_t)(slash - ratios[i]));
			const struct row *b = find(rows, nrows, slash + 1, strlen(slash + 1));

			printf("ratio_%s_%s p50=%.3f p99=%.3f p999=%.3f\n", a->label, b->label,
			       a->p50 / b->p50, a->p99 / b->p99, a->p999 / b->p999);
		}
	}
	for (size_t i = 0; i < nrows; i++) {
		struct row *r = &rows[i];

		int rc = r->have_key ? spod_client_delete(r->c, r->key.id) : SPOD_OK;

		if (rc != SPOD_OK)
			failed = fail(r, "key delete", rc) < 0;
		spod_client_close(r->c);
		free(r->ns);
	}
	spod_crypto_cleanup();
	return failed ? 1 : 0;
}
