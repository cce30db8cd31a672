/*
 * spod-enclave's signing workers (src/enclave/workers.c) against key deletion: two workers
 * sign continuously while this thread, playing the event loop, deletes the keys they sign
 * with and makes new ones, which reuse freed keystore entries. Every signature must verify
 * under the public key of the key the request named, and nothing may read a wiped or freed
 * key: without the keystore's pins a worker signs with the key that took its entry (a wrong
 * signature) or with a freed OpenSSL key (AddressSanitizer: heap-use-after-free).
 */
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "crypto/sign.h"
#include "enclave/workers.h"
#include "spod/err.h"
#include "spod/wire.h"

#define NKEYS    6
#define INFLIGHT 24
#define ROUNDS   600

struct slot {
	uint8_t id[SPOD_KEY_ID_BYTES];
	uint8_t alg;
	uint8_t pub[SPOD_PUB_MAX_BYTES];
	size_t pub_len;
};

/* What a request expects: the key it named, as it was when the request was made. */
struct track {
	struct track *next;
	uint8_t alg;
	uint8_t pub[SPOD_PUB_MAX_BYTES];
	size_t pub_len;
	uint8_t data[32];
};

static int setup(void **state)
{
	(void)state;
	return spod_crypto_init(0) == SPOD_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	spod_crypto_cleanup();
	return 0;
}

static void make_key(struct spod_keystore *ks, struct slot *s, uint8_t alg)
{
	const struct spod_key_entry *e;

	assert_int_equal(spod_keystore_generate(ks, &e, alg, NULL, 0), SPOD_OK);
	memcpy(s->id, e->id, sizeof(s->id));
	s->alg = alg;
	memcpy(s->pub, e->pub, e->pub_len);
	s->pub_len = e->pub_len;
}

static uint8_t mode_of(uint8_t alg)
{
	return alg == SPOD_ALG_ED25519 ? SPOD_MODE_RAW : SPOD_MODE_DIGEST;
}

/* Checks one finished job's answer against what its request expected. */
static void check_answer(const struct spod_enclave_job *j, int with_evidence)
{
	const struct track *t = j->owner;
	struct spod_sig_view v;
	struct spod_frame f;

	assert_int_equal(spod_wire_frame(&f, j->resp, j->resp_len), SPOD_OK);
	assert_int_equal(f.hdr.status, 0);
	assert_int_equal(spod_wire_sig_resp(&v, &f), SPOD_OK);
	assert_int_equal(v.alg, t->alg);
	assert_int_equal(spod_verify(t->alg, t->pub, t->pub_len, mode_of(t->alg), t->data,
	                             sizeof(t->data), v.sig, v.sig_len),
	                 SPOD_OK);
	assert_int_equal(j->ev.count, with_evidence ? 1 : 0);
}

/*
 * Takes what finished, as the event loop does: when nothing has, says it sleeps and waits
 * (bounded) for the workers' wake-up. Checks and recycles every finished job.
 */
static unsigned collect(struct spod_workers *w, struct spod_keystore *ks, struct track **free_tr,
                        int with_evidence)
{
	struct pollfd p = {.fd = spod_workers_wake_fd(w), .events = POLLIN};
	struct spod_enclave_job *j, *next;
	struct track *t;
	uint64_t count;
	unsigned n = 0;

	j = spod_workers_collect(w, 1);
	if (j == NULL) {
		assert_int_equal(poll(&p, 1, 10000), 1);
		assert_true(read(p.fd, &count, sizeof(count)) == (ssize_t)sizeof(count));
		j = spod_workers_collect(w, 0);
	}
	for (; j != NULL; j = next) {
		next = j->qnext;
		check_answer(j, with_evidence);
		t = j->owner;
		t->next = *free_tr;
		*free_tr = t;
		spod_workers_recycle(w, ks, j);
		n++;
	}
	return n;
}

static void race(int with_evidence)
{
	static const uint8_t algs[] = {SPOD_ALG_ED25519, SPOD_ALG_P256, SPOD_ALG_SECP256K1};
	struct spod_enclave_state st;
	struct spod_keystore *ks;
	struct spod_workers *w;
	struct slot slots[NKEYS];
	struct track tracks[INFLIGHT], *free_tr = NULL, *t;
	struct spod_enclave_job *j;
	struct spod_frame f;
	uint8_t req[256];
	unsigned inflight = 0, signed_ = 0, churned = 0;
	uint64_t rid = 1;
	size_t n;

	memset(&st, 0, sizeof(st));
	assert_int_equal(spod_keystore_new(&ks, 64), SPOD_OK);
	st.keys = ks;
	if (with_evidence)
		assert_int_equal(spod_enclave_evidence_init(&st.ev), SPOD_OK);
	for (unsigned i = 0; i < NKEYS; i++)
		make_key(ks, &slots[i], algs[i % sizeof(algs)]);
	for (unsigned i = 0; i < INFLIGHT; i++) {
		tracks[i].next = free_tr;
		free_tr = &tracks[i];
	}
	assert_int_equal(spod_workers_new(&w, 2, &st), SPOD_OK);

	for (unsigned round = 0; round < ROUNDS; round++) {
		while ((t = free_tr) != NULL) {
			const struct slot *s = &slots[rid % NKEYS];

			spod_random(t->data, sizeof(t->data));
			assert_int_equal(spod_wire_enc_sign(req, sizeof(req), &n, rid++, s->id,
			                                    mode_of(s->alg), t->data,
			                                    sizeof(t->data)),
			                 SPOD_OK);
			assert_int_equal(spod_wire_frame(&f, req, n), SPOD_OK);
			assert_int_equal(spod_workers_prepare(w, ks, &f, &j), 1);
			memset(req, 0, sizeof(req)); /* the job holds its own copy */
			free_tr = t->next;
			t->alg = s->alg;
			memcpy(t->pub, s->pub, s->pub_len);
			t->pub_len = s->pub_len;
			j->owner = t;
			spod_workers_submit(w, j);
			inflight++;
		}
		spod_workers_flush(w);
		/* While they sign: delete two keys that requests name, make two new ones. */
		for (unsigned k = 0; k < 2; k++) {
			struct slot *s = &slots[(round * 2 + k) % NKEYS];

			assert_int_equal(spod_keystore_delete(ks, s->id), SPOD_OK);
			make_key(ks, s, s->alg);
			churned++;
		}
		n = collect(w, ks, &free_tr, with_evidence);
		inflight -= (unsigned)n;
		signed_ += (unsigned)n;
	}
	while (inflight > 0) {
		n = collect(w, ks, &free_tr, with_evidence);
		inflight -= (unsigned)n;
		signed_ += (unsigned)n;
	}
	print_message("%u signatures verified while %u keys were deleted and replaced\n", signed_,
	              churned);
	/* Every deleted key was wiped once its last pin went. */
	assert_int_equal(spod_keystore_dying(ks), 0);
	assert_int_equal(spod_keystore_count(ks), NKEYS);
	spod_workers_stop(w);
	assert_null(spod_workers_collect(w, 0));
	spod_workers_free(w);
	spod_keystore_free(ks);
	spod_enclave_evidence_free(&st.ev);
}

static void test_sign_while_deleting(void **state)
{
	(void)state;
	race(0);
}

static void test_sign_while_deleting_with_evidence(void **state)
{
	(void)state;
	race(1);
}

/* Requests a worker must not take: other opcodes, malformed ones, keys with a policy. */
static void test_prepare_refuses(void **state)
{
	struct spod_enclave_state st;
	struct spod_keystore *ks;
	struct spod_workers *w;
	struct spod_enclave_job *j;
	struct spod_frame f;
	struct slot s;
	uint8_t req[256], data[32] = {1};
	size_t n;

	(void)state;
	memset(&st, 0, sizeof(st));
	assert_int_equal(spod_keystore_new(&ks, 4), SPOD_OK);
	st.keys = ks;
	make_key(ks, &s, SPOD_ALG_P256);
	assert_int_equal(spod_workers_new(&w, 2, &st), SPOD_OK);

	/* A missing key still goes to a worker (it answers KEY_NOT_FOUND), pinned as NULL. */
	memset(data, 7, sizeof(data));
	assert_int_equal(
	    spod_wire_enc_sign(req, sizeof(req), &n, 1, data, SPOD_MODE_DIGEST, data, 32), SPOD_OK);
	assert_int_equal(spod_wire_frame(&f, req, n), SPOD_OK);
	assert_int_equal(spod_workers_prepare(w, ks, &f, &j), 1);
	assert_int_equal(j->nkeys, 1);
	assert_null(j->keys[0]);
	spod_workers_recycle(w, ks, j);

	/* A malformed sign (digest mode, 5 bytes) is the loop's to refuse. */
	assert_int_equal(
	    spod_wire_enc_sign(req, sizeof(req), &n, 2, s.id, SPOD_MODE_DIGEST, data, 32), SPOD_OK);
	assert_int_equal(spod_wire_frame(&f, req, n), SPOD_OK);
	f.body_len -= 27;
	assert_int_equal(spod_workers_prepare(w, ks, &f, &j), 0);
	assert_null(j);

	/* A key with a policy: the loop signs (its windows and rates are the loop's). */
	{
		const struct spod_key_entry *e = spod_keystore_find(ks, s.id);
		struct spod_key_policy *kp = calloc(1, sizeof(*kp));

		assert_non_null(kp);
		spod_keystore_set_policy(ks, e, kp);
		f.body_len += 27;
		assert_int_equal(spod_workers_prepare(w, ks, &f, &j), 0);
		spod_keystore_set_policy(ks, e, NULL);
	}
	/* Nothing stays pinned: the key is deleted and wiped at once. */
	assert_int_equal(spod_keystore_delete(ks, s.id), SPOD_OK);
	assert_int_equal(spod_keystore_dying(ks), 0);
	spod_workers_stop(w);
	spod_workers_free(w);
	spod_keystore_free(ks);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sign_while_deleting),
	    cmocka_unit_test(test_sign_while_deleting_with_evidence),
	    cmocka_unit_test(test_prepare_refuses),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
