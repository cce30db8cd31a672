/*
 * Integration helper: drives a pod through libspod's pipelined API.
 *
 *   it_pipeline URI check [N [WINDOW]]
 *       Generates one key per algorithm, submits N (default 1000) sign requests with
 *       distinct messages on one connection (about 10% for a key id that does not exist),
 *       flushes once, then polls until every request completed. Each response must match
 *       its request id exactly once; signatures are verified in-process (spod_verify) and
 *       the missing-key requests, and only those, must fail with KEY_NOT_FOUND. Then one
 *       sign.batch of 256 items mixing the algorithms with one bad item, and smaller
 *       batches pinning per-item and whole-frame errors.
 *       With WINDOW > 0 the N requests are not queued all at once (libspod's send buffer
 *       holds about 7 000 of them): submission interleaves with polling and keeps up to
 *       WINDOW requests in flight, so N can be any size (tests/vsock runs 10 000).
 *
 *   it_pipeline URI load KEY_ID STATUS_FILE STOP_FILE MAX_SECONDS
 *       Keeps up to 64 sign requests for KEY_ID in flight until STOP_FILE exists or
 *       MAX_SECONDS pass, then drains. Every request must be answered (success,
 *       UNAVAILABLE or KEY_NOT_FOUND) exactly once; nothing may hang. Writes running
 *       counters to STATUS_FILE ("submitted=.. ok=.. unavailable=.. notfound=.. bad=..").
 *
 * Exit status 0 when every check passed, 1 otherwise (reasons on stderr).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crypto/hash.h"
#include "crypto/sign.h"
#include "spod/client.h"

#define POLL_MS           200
#define CHECK_DEADLINE_MS 180000
#define DRAIN_DEADLINE_MS 30000
#define MAX_MSG           200

static int failures;

static void failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void failf(const char *fmt, ...)
{
	va_list ap;

	if (++failures > 20)
		return; /* enough said */
	fputs("it_pipeline: FAIL: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *mode_name(uint8_t mode)
{
	static const char *const names[] = {"raw", "digest", "sha256", "keccak256"};
	return mode < 4 ? names[mode] : "?";
}

/* ------------------------------------------------------------------ check mode */

struct req {
	uint64_t rid;
	const struct spod_key_info *key; /* NULL: the missing key */
	uint8_t mode;
	uint8_t data[MAX_MSG];
	size_t len;
	int done;
};

struct check_ctx {
	struct req *reqs;
	size_t n;
	size_t submitted; /* reqs[0..submitted) carry their request ids */
	size_t completed;
	size_t ok;
	size_t not_found;
	uint8_t missing_id[SPOD_KEY_ID_BYTES];
};

static struct req *find_req(struct check_ctx *cx, uint64_t rid)
{
	size_t lo = 0, hi = cx->submitted;

	/* Request ids were recorded in submission order and are increasing. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cx->reqs[mid].rid == rid)
			return &cx->reqs[mid];
		if (cx->reqs[mid].rid < rid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int check_sig(const struct spod_key_info *k, uint8_t mode, const uint8_t *data, size_t len,
                     const struct spod_signature *sig, const char *what)
{
	int rc;

	if (sig->alg != k->alg || sig->sig_len != 64) {
		failf("%s: alg %u len %zu, want alg %u len 64", what, sig->alg, sig->sig_len,
		      k->alg);
		return -1;
	}
	if (k->alg == SPOD_ALG_SECP256K1 ? sig->recid > 1 : sig->recid != SPOD_RECID_NONE) {
		failf("%s: recid %u for alg %u", what, sig->recid, k->alg);
		return -1;
	}
	rc = spod_verify(k->alg, k->pub, k->pub_len, mode, data, len, sig->sig, sig->sig_len);
	if (rc != SPOD_OK) {
		failf("%s: signature does not verify (%s, mode %s)", what, spod_err_name(rc),
		      mode_name(mode));
		return -1;
	}
	return 0;
}

static void on_check(void *arg, uint64_t rid, int status, const struct spod_signature *sig)
{
	struct check_ctx *cx = arg;
	struct req *r = find_req(cx, rid);
	char what[64];

	cx->completed++;
	if (r == NULL) {
		failf("response for unknown request id %" PRIu64, rid);
		return;
	}
	if (r->done) {
		failf("second response for request id %" PRIu64, rid);
		return;
	}
	r->done = 1;
	snprintf(what, sizeof(what), "request %" PRIu64, rid);
	if (r->key == NULL) {
		if (status != SPOD_E_KEY_NOT_FOUND)
			failf("%s (missing key): status %s, want KEY_NOT_FOUND", what,
			      spod_err_name(status));
		else
			cx->not_found++;
		return;
	}
	if (status != SPOD_OK) {
		failf("%s: status %s, want OK", what, spod_err_name(status));
		return;
	}
	if (sig == NULL) {
		failf("%s: OK without a signature", what);
		return;
	}
	if (check_sig(r->key, r->mode, r->data, r->len, sig, what) == 0)
		cx->ok++;
}

static const uint8_t ecdsa_modes[] = {SPOD_MODE_DIGEST, SPOD_MODE_SHA256, SPOD_MODE_KECCAK256};

/* Fills r with a message unique to i (its index is in the first bytes) for key k. */
static void make_req(struct req *r, size_t i, const struct spod_key_info *k)
{
	uint8_t buf[MAX_MSG];
	size_t len = 1 + (i * 37) % (MAX_MSG - 16);

	memset(r, 0, sizeof(*r));
	r->key = k;
	len = len < 12 ? 12 : len;
	snprintf((char *)buf, sizeof(buf), "req%08zu", i);
	spod_random(buf + 11, len - 11);
	if (k == NULL || k->alg == SPOD_ALG_ED25519) {
		r->mode = SPOD_MODE_RAW;
	} else {
		r->mode = ecdsa_modes[(i / 3) % 3]; /* keys rotate with i % 3 */
	}
	if (r->mode == SPOD_MODE_DIGEST) {
		spod_sha256(r->data, buf, len); /* a distinct 32-byte digest */
		r->len = SPOD_DIGEST_BYTES;
	} else {
		memcpy(r->data, buf, len);
		r->len = len;
	}
}

static int run_batches(struct spod_client *c, const struct spod_key_info keys[3],
                       const uint8_t missing[SPOD_KEY_ID_BYTES])
{
	static struct req breq[SPOD_BATCH_MAX_ITEMS];
	static struct spod_sign_item items[SPOD_BATCH_MAX_ITEMS];
	static struct spod_signature out[SPOD_BATCH_MAX_ITEMS];
	static int status[SPOD_BATCH_MAX_ITEMS];
	const size_t n = SPOD_BATCH_MAX_ITEMS, bad = 137;
	size_t ok = 0;
	char what[64];
	int rc;

	/* 256 items over the three algorithms; item `bad` names a key that does not exist. */
	for (size_t i = 0; i < n; i++) {
		make_req(&breq[i], 100000 + i, &keys[i % 3]);
		items[i].key_id = i == bad ? missing : keys[i % 3].id;
		items[i].mode = breq[i].mode;
		items[i].data = breq[i].data;
		items[i].data_len = breq[i].len;
		status[i] = 12345;
	}
	rc = spod_client_sign_batch(c, out, status, items, n);
	if (rc != SPOD_OK) {
		failf("sign.batch of %zu: %s (%s)", n, spod_err_name(rc),
		      spod_client_last_error(c));
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		snprintf(what, sizeof(what), "batch item %zu", i);
		if (i == bad) {
			if (status[i] != SPOD_E_KEY_NOT_FOUND)
				failf("%s (missing key): %s, want KEY_NOT_FOUND", what,
				      spod_err_name(status[i]));
			continue;
		}
		if (status[i] != SPOD_OK) {
			failf("%s: %s, want OK", what, spod_err_name(status[i]));
			continue;
		}
		if (check_sig(&keys[i % 3], breq[i].mode, breq[i].data, breq[i].len, &out[i],
		              what) == 0)
			ok++;
	}
	if (ok != n - 1)
		failf("sign.batch: %zu of %zu items verified", ok, n - 1);
	else
		printf("sign.batch: %zu items, %zu signatures verified, item %zu KEY_NOT_FOUND\n",
		       n, ok, bad);

	/* Per-item errors: a mode the key's algorithm does not have. */
	{
		const uint8_t digest[32] = {1, 2, 3};
		struct spod_sign_item mix[4] = {
		    {keys[0].id, SPOD_MODE_RAW, digest, 5},     /* ed25519 raw: ok */
		    {keys[2].id, SPOD_MODE_RAW, digest, 5},     /* p256 raw: BAD_MODE */
		    {keys[0].id, SPOD_MODE_DIGEST, digest, 32}, /* ed25519 digest: BAD_MODE */
		    {keys[1].id, SPOD_MODE_DIGEST, digest, 32}, /* secp256k1 digest: ok */
		};
		const int want[4] = {SPOD_OK, SPOD_E_BAD_MODE, SPOD_E_BAD_MODE, SPOD_OK};

		rc = spod_client_sign_batch(c, out, status, mix, 4);
		if (rc != SPOD_OK) {
			failf("mixed sign.batch: %s", spod_err_name(rc));
		} else {
			for (size_t i = 0; i < 4; i++)
				if (status[i] != want[i])
					failf("mixed batch item %zu: %s, want %s", i,
					      spod_err_name(status[i]), spod_err_name(want[i]));
			if (status[0] == SPOD_OK)
				(void)check_sig(&keys[0], SPOD_MODE_RAW, digest, 5, &out[0],
				                "mix 0");
			if (status[3] == SPOD_OK)
				(void)check_sig(&keys[1], SPOD_MODE_DIGEST, digest, 32, &out[3],
				                "mix 3");
		}
	}

	/* A malformed item (31-byte digest) rejects the whole frame. */
	{
		const uint8_t digest[32] = {9};
		struct spod_sign_item mix[2] = {
		    {keys[1].id, SPOD_MODE_DIGEST, digest, 32},
		    {keys[2].id, SPOD_MODE_DIGEST, digest, 31},
		};
		rc = spod_client_sign_batch(c, out, status, mix, 2);
		if (rc != SPOD_E_BAD_DIGEST)
			failf("batch with a 31-byte digest: %s, want BAD_DIGEST",
			      spod_err_name(rc));
	}
	return 0;
}

/* Queues request i; SPOD_E_BUSY when the send buffer is full (nothing queued then). */
static int submit_one(struct spod_client *c, struct check_ctx *cx, size_t i)
{
	struct req *r = &cx->reqs[i];
	int rc;

	rc = spod_client_submit_sign(c, &r->rid, r->key ? r->key->id : cx->missing_id, r->mode,
	                             r->data, r->len);
	if (rc == SPOD_E_BUSY)
		return rc;
	if (rc != SPOD_OK) {
		failf("submit %zu: %s", i, spod_err_name(rc));
		return rc;
	}
	if (i > 0 && r->rid <= cx->reqs[i - 1].rid) {
		failf("request ids not increasing: %" PRIu64 " after %" PRIu64, r->rid,
		      cx->reqs[i - 1].rid);
		return SPOD_E_PROTOCOL;
	}
	cx->submitted = i + 1;
	return SPOD_OK;
}

static int run_check(const char *uri, size_t n, size_t window)
{
	static const uint8_t algs[3] = {SPOD_ALG_ED25519, SPOD_ALG_SECP256K1, SPOD_ALG_P256};
	struct spod_key_info keys[3], probe;
	struct spod_pod_info info;
	struct spod_client *c = NULL;
	struct check_ctx cx = {0};
	size_t per_alg[3] = {0}, per_mode[4] = {0}, expect_missing = 0;
	int64_t t0, deadline;
	int rc;

	rc = spod_client_open(&c, uri, getenv("SPOD_TOKEN"), 30000);
	if (rc != SPOD_OK) {
		failf("connect %s: %s", uri, spod_err_name(rc));
		return 1;
	}
	for (int a = 0; a < 3; a++) {
		rc = spod_client_generate(c, &keys[a], algs[a]);
		if (rc != SPOD_OK) {
			failf("generate %s: %s", spod_alg_name(algs[a]), spod_err_name(rc));
			goto out;
		}
	}
	/* A key id that does not exist (checked, not assumed). */
	do {
		spod_random(cx.missing_id, sizeof(cx.missing_id));
		rc = spod_client_public(c, &probe, cx.missing_id);
	} while (rc == SPOD_OK);
	if (rc != SPOD_E_KEY_NOT_FOUND) {
		failf("public of a random id: %s", spod_err_name(rc));
		goto out;
	}

	cx.n = n;
	cx.reqs = calloc(n, sizeof(*cx.reqs));
	if (cx.reqs == NULL) {
		failf("out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		int missing = i % 10 == 7;
		const struct spod_key_info *k = missing ? NULL : &keys[i % 3];

		make_req(&cx.reqs[i], i, k);
		if (missing) {
			expect_missing++;
		} else {
			per_alg[i % 3]++;
			per_mode[cx.reqs[i].mode]++;
		}
	}

	/*
	 * Submit everything, then one flush, then poll until all are answered; or, with a
	 * window, keep submitting between polls with at most `window` requests in flight.
	 */
	t0 = now_ms();
	if (window == 0) {
		for (size_t i = 0; i < n; i++) {
			if ((rc = submit_one(c, &cx, i)) != SPOD_OK) {
				if (rc == SPOD_E_BUSY)
					failf("submit %zu: BUSY (give a WINDOW for this many)", i);
				goto out;
			}
		}
		if (spod_client_in_flight(c) != n)
			failf("in flight %zu after %zu submits", spod_client_in_flight(c), n);
		rc = spod_client_flush(c);
		if (rc != SPOD_OK) {
			failf("flush: %s", spod_err_name(rc));
			goto out;
		}
	}
	deadline = t0 + CHECK_DEADLINE_MS;
	while (cx.completed < n) {
		size_t got;

		if (now_ms() > deadline) {
			failf("timed out: %zu of %zu responses after %d ms", cx.completed, n,
			      CHECK_DEADLINE_MS);
			goto out;
		}
		while (window > 0 && cx.submitted < n && spod_client_in_flight(c) < window) {
			rc = submit_one(c, &cx, cx.submitted);
			if (rc == SPOD_E_BUSY)
				break; /* the poll below flushes */
			if (rc != SPOD_OK)
				goto out;
		}
		rc = spod_client_poll(c, POLL_MS, on_check, &cx, &got);
		if (rc != SPOD_OK) {
			failf("poll: %s after %zu responses", spod_err_name(rc), cx.completed);
			goto out;
		}
		if (spod_client_in_flight(c) == 0 && cx.completed < cx.submitted) {
			failf("client says nothing in flight with %zu of %zu answered",
			      cx.completed, n);
			goto out;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (!cx.reqs[i].done)
			failf("request %zu (id %" PRIu64 ") never answered", i, cx.reqs[i].rid);
	if (cx.not_found != expect_missing || cx.ok != n - expect_missing)
		failf("%zu ok (want %zu), %zu KEY_NOT_FOUND (want %zu)", cx.ok, n - expect_missing,
		      cx.not_found, expect_missing);
	printf("pipelined: %zu requests in %" PRId64 " ms: %zu signatures verified "
	       "(ed25519 %zu, secp256k1 %zu, p256 %zu; raw %zu, digest %zu, sha256 %zu, "
	       "keccak256 %zu), %zu KEY_NOT_FOUND\n",
	       n, now_ms() - t0, cx.ok, per_alg[0], per_alg[1], per_alg[2], per_mode[0],
	       per_mode[1], per_mode[2], per_mode[3], cx.not_found);
	for (int m = 0; m < 4; m++)
		if (n >= 100 && per_mode[m] == 0)
			failf("mode %s never exercised", mode_name((uint8_t)m));

	/* The connection is usable for synchronous calls again. */
	rc = spod_client_info(c, &info);
	if (rc != SPOD_OK)
		failf("info after the pipeline: %s", spod_err_name(rc));
	else if (info.key_count < 3)
		failf("info after the pipeline: %u keys", info.key_count);

	run_batches(c, keys, cx.missing_id);
	for (int a = 0; a < 3; a++)
		if ((rc = spod_client_delete(c, keys[a].id)) != SPOD_OK)
			failf("delete: %s", spod_err_name(rc));
out:
	free(cx.reqs);
	spod_client_close(c);
	return failures ? 1 : 0;
}

/* ------------------------------------------------------------------ load mode */

#define WINDOW 64u
#define RING   1024u

struct load_slot {
	uint64_t rid;
	int pending;
	uint8_t data[32];
	size_t len;
};

struct load_ctx {
	struct load_slot ring[RING];
	struct spod_key_info key;
	uint8_t mode;
	uint64_t submitted, answered, ok, unavailable, not_found, bad;
};

static void on_load(void *arg, uint64_t rid, int status, const struct spod_signature *sig)
{
	struct load_ctx *lx = arg;
	struct load_slot *s = &lx->ring[rid % RING];

	lx->answered++;
	if (s->rid != rid || !s->pending) {
		failf("load: unexpected or duplicate response for request id %" PRIu64, rid);
		lx->bad++;
		return;
	}
	s->pending = 0;
	switch (status) {
	case SPOD_OK:
		if (sig == NULL || check_sig(&lx->key, lx->mode, s->data, s->len, sig, "load") < 0)
			lx->bad++;
		else
			lx->ok++;
		break;
	case SPOD_E_UNAVAILABLE:
		lx->unavailable++;
		break;
	case SPOD_E_KEY_NOT_FOUND:
		lx->not_found++;
		break;
	default:
		failf("load: request %" PRIu64 " answered %s", rid, spod_err_name(status));
		lx->bad++;
	}
}

static void write_status(const char *path, const struct load_ctx *lx, const char *state)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (f == NULL)
		return;
	fprintf(f,
	        "state=%s submitted=%" PRIu64 " answered=%" PRIu64 " ok=%" PRIu64
	        " unavailable=%" PRIu64 " notfound=%" PRIu64 " bad=%" PRIu64 "\n",
	        state, lx->submitted, lx->answered, lx->ok, lx->unavailable, lx->not_found,
	        lx->bad);
	fclose(f);
	rename(tmp, path);
}

static int run_load(const char *uri, const char *key_text, const char *status_path,
                    const char *stop_path, long max_seconds)
{
	static struct load_ctx lx;
	struct spod_client *c = NULL;
	uint8_t id[SPOD_KEY_ID_BYTES];
	int64_t end, drain_end, last_status = 0;
	int rc;

	if (spod_key_id_parse(id, key_text) != SPOD_OK) {
		failf("bad key id %s", key_text);
		return 1;
	}
	rc = spod_client_open(&c, uri, getenv("SPOD_TOKEN"), 10000);
	if (rc == SPOD_OK)
		rc = spod_client_public(c, &lx.key, id);
	if (rc != SPOD_OK) {
		failf("load: connect/public: %s", spod_err_name(rc));
		spod_client_close(c);
		return 1;
	}
	lx.mode = lx.key.alg == SPOD_ALG_ED25519 ? SPOD_MODE_RAW : SPOD_MODE_SHA256;
	end = now_ms() + max_seconds * 1000;
	write_status(status_path, &lx, "running");
	while (now_ms() < end && access(stop_path, F_OK) != 0) {
		size_t got;

		while (spod_client_in_flight(c) < WINDOW) {
			uint64_t rid;
			uint8_t data[32];

			spod_random(data, sizeof(data));
			memcpy(data, &lx.submitted, sizeof(lx.submitted)); /* distinct */
			rc = spod_client_submit_sign(c, &rid, id, lx.mode, data, sizeof(data));
			if (rc == SPOD_E_BUSY)
				break;
			if (rc != SPOD_OK) {
				failf("load: submit: %s", spod_err_name(rc));
				goto out;
			}
			if (lx.ring[rid % RING].pending) {
				failf("load: request id ring overflow");
				goto out;
			}
			lx.ring[rid % RING] =
			    (struct load_slot){.rid = rid, .pending = 1, .len = 32};
			memcpy(lx.ring[rid % RING].data, data, 32);
			lx.submitted++;
		}
		rc = spod_client_poll(c, 50, on_load, &lx, &got);
		if (rc != SPOD_OK) {
			failf("load: poll: %s (the host must keep client connections open)",
			      spod_err_name(rc));
			goto out;
		}
		if (now_ms() - last_status >= 20) {
			write_status(status_path, &lx, "running");
			last_status = now_ms();
		}
	}
	/* Drain: every request submitted must be answered, bounded. */
	drain_end = now_ms() + DRAIN_DEADLINE_MS;
	while (spod_client_in_flight(c) > 0 && now_ms() < drain_end) {
		size_t got;

		rc = spod_client_poll(c, POLL_MS, on_load, &lx, &got);
		if (rc != SPOD_OK) {
			failf("load: poll while draining: %s", spod_err_name(rc));
			goto out;
		}
	}
	if (spod_client_in_flight(c) > 0)
		failf("load: HANG: %zu requests unanswered %d ms after the load stopped",
		      spod_client_in_flight(c), DRAIN_DEADLINE_MS);
	if (lx.answered != lx.submitted)
		failf("load: %" PRIu64 " submitted, %" PRIu64 " answered", lx.submitted,
		      lx.answered);
	if (lx.bad)
		failf("load: %" PRIu64 " bad answers", lx.bad);
out:
	write_status(status_path, &lx, failures ? "failed" : "done");
	printf("load: submitted %" PRIu64 ", ok %" PRIu64 ", unavailable %" PRIu64
	       ", notfound %" PRIu64 ", bad %" PRIu64 "\n",
	       lx.submitted, lx.ok, lx.unavailable, lx.not_found, lx.bad);
	spod_client_close(c);
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (spod_crypto_init(0) != SPOD_OK) {
		fprintf(stderr, "it_pipeline: crypto init failed\n");
		return 1;
	}
	if (argc >= 3 && strcmp(argv[2], "check") == 0 && argc <= 5) {
		size_t n = argc >= 4 ? strtoul(argv[3], NULL, 10) : 1000;
		size_t window = argc == 5 ? strtoul(argv[4], NULL, 10) : 0;
		rc = n > 0 ? run_check(argv[1], n, window) : 2;
	} else if (argc == 7 && strcmp(argv[2], "load") == 0) {
		rc = run_load(argv[1], argv[3], argv[4], argv[5], strtol(argv[6], NULL, 10));
	} else {
		fprintf(stderr, "usage: it_pipeline URI check [N [WINDOW]]\n"
		                "       it_pipeline URI load KEY_ID STATUS_FILE STOP_FILE "
		                "MAX_SECONDS\n");
		rc = 2;
	}
	spod_crypto_cleanup();
	return rc;
}
