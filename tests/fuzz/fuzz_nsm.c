/*
 * libFuzzer target for the NSM API response decoders (src/nsm/api.c) and the nitro backend
 * around them (src/nsm/nitro.c), driven through its transport seam: /dev/nsm is never
 * opened.
 *
 * Each input is one answer as the driver hands it over. It is copied into a buffer of
 * exactly its length (a view straying past the answer lands in an ASan redzone) and decoded
 * as each of the three answers. Beyond memory safety the target checks the contracts of
 * src/nsm/api.h and src/nsm/nsm.h:
 *   - every code is one the header lists, and failures zero the outputs;
 *   - accepted views lie inside the input and are read to their end; a document and random
 *     bytes are non-empty, PCR data is 48 bytes and lock is 0 or 1;
 *   - at most one decoder accepts an input (the variants differ), and an {"Error": name}
 *     answer gives the same code whichever answer was expected;
 *   - an accepted answer (or an Error answer) is one whole CBOR item: without its last byte
 *     it is TRUNCATED, with a byte more it is PROTOCOL;
 *   - the nitro backend returns what the decoder returns on the bytes the driver delivers
 *     (at most SPOD_NSM_RESPONSE_MAX_BYTES, and an answer cut there is TOO_LARGE), copies
 *     exactly the decoded bytes, and wipes its outputs on failure.
 * Seeds: tests/fuzz/corpus/nsm (tests/fuzz/make_nsm_corpus.py).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "nsm/api.h"
#include "nsm/nsm.h"
#include "spod/err.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

/* What spod_nsm_get_random asks for: more than one 256-byte answer. */
#define RANDOM_ASK 300u

static volatile uint32_t sink;

/* The three decoders' results on one input. */
struct decoded {
	int rc[3]; /* attestation, describe_pcr, get_random */
	struct spod_bytes doc, pcr, rnd;
	int lock;
};

static int is_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

/* Checks v is a non-empty view inside buf[0..len) and reads all of it. */
static void touch(const uint8_t *buf, size_t len, struct spod_bytes v)
{
	uint32_t acc = 0;

	CHECK(v.ptr != NULL && v.len > 0);
	CHECK(v.ptr >= buf && v.ptr <= buf + len && v.len <= (size_t)(buf + len - v.ptr));
	for (size_t i = 0; i < v.len; i++)
		acc += v.ptr[i];
	sink += acc;
}

static int listed(int rc)
{
	return rc == SPOD_OK || rc == SPOD_E_TRUNCATED || rc == SPOD_E_PROTOCOL ||
	       rc == SPOD_E_BAD_ARG || rc == SPOD_E_TOO_LARGE || rc == SPOD_E_IO;
}

/* The codes only an {"Error": name} answer produces. */
static int error_answer(int rc)
{
	return rc == SPOD_E_BAD_ARG || rc == SPOD_E_TOO_LARGE || rc == SPOD_E_IO;
}

static void decode_all(struct decoded *d, const uint8_t *buf, size_t len)
{
	memset(d, 0x5a, sizeof *d);
	d->rc[0] = spod_nsm_api_decode_attestation(&d->doc, buf, len);
	d->rc[1] = spod_nsm_api_decode_describe_pcr(&d->pcr, &d->lock, buf, len);
	d->rc[2] = spod_nsm_api_decode_get_random(&d->rnd, buf, len);
}

static void check_decoded(const struct decoded *d, const uint8_t *buf, size_t len)
{
	int accepted = 0;

	for (int i = 0; i < 3; i++) {
		CHECK(listed(d->rc[i]));
		accepted += d->rc[i] == SPOD_OK;
		if (error_answer(d->rc[i]))
			CHECK(d->rc[0] == d->rc[i] && d->rc[1] == d->rc[i] && d->rc[2] == d->rc[i]);
	}
	CHECK(accepted <= 1);
	if (d->rc[0] == SPOD_OK)
		touch(buf, len, d->doc);
	else
		CHECK(d->doc.ptr == NULL && d->doc.len == 0);
	if (d->rc[1] == SPOD_OK) {
		CHECK(d->pcr.len == SPOD_ATTEST_PCR_BYTES && (d->lock == 0 || d->lock == 1));
		touch(buf, len, d->pcr);
	} else {
		CHECK(d->pcr.ptr == NULL && d->pcr.len == 0 && d->lock == 0);
	}
	if (d->rc[2] == SPOD_OK)
		touch(buf, len, d->rnd);
	else
		CHECK(d->rnd.ptr == NULL && d->rnd.len == 0);
}

/* An answer decoder i accepted or mapped from an Error is exactly one CBOR item. */
static void check_whole_item(const struct decoded *d, const uint8_t *buf, size_t len)
{
	struct decoded shorter, longer;
	uint8_t *more;

	if (d->rc[0] != SPOD_OK && d->rc[1] != SPOD_OK && d->rc[2] != SPOD_OK &&
	    !error_answer(d->rc[0]))
		return;
	CHECK(len > 0);
	decode_all(&shorter, buf, len - 1);
	more = malloc(len + 1);
	CHECK(more != NULL);
	memcpy(more, buf, len);
	more[len] = 0x00;
	decode_all(&longer, more, len + 1);
	for (int i = 0; i < 3; i++) {
		if (d->rc[i] != SPOD_OK && !error_answer(d->rc[i]))
			continue;
		CHECK(shorter.rc[i] == SPOD_E_TRUNCATED);
		CHECK(longer.rc[i] == SPOD_E_PROTOCOL);
	}
	free(more);
}

/* The fake device: every request is answered with the input, cut as the driver cuts. */
struct device {
	const uint8_t *answer;
	size_t len;
};

static int device_transport(void *ctx, const uint8_t *req, size_t req_len, uint8_t *resp,
                            size_t resp_cap, size_t *resp_len)
{
	const struct device *dev = ctx;
	size_t n = dev->len < resp_cap ? dev->len : resp_cap;

	CHECK(req_len > 0 && req_len <= SPOD_NSM_REQUEST_MAX_BYTES && req != NULL);
	if (n > 0)
		memcpy(resp, dev->answer, n);
	*resp_len = n;
	return SPOD_OK;
}

/* What the backend makes of a decoder's code on the delivered bytes. */
static int backend_rc(int rc, size_t delivered)
{
	return rc == SPOD_E_TRUNCATED && delivered == SPOD_NSM_RESPONSE_MAX_BYTES ? SPOD_E_TOO_LARGE
	                                                                          : rc;
}

static void check_backend(const uint8_t *buf, size_t len)
{
	static uint8_t doc[SPOD_ATTEST_DOC_MAX_BYTES], rnd[RANDOM_ASK];
	const struct spod_bytes absent = {NULL, 0};
	size_t delivered = len < SPOD_NSM_RESPONSE_MAX_BYTES ? len : SPOD_NSM_RESPONSE_MAX_BYTES;
	struct device dev = {buf, len};
	uint8_t pcr[SPOD_ATTEST_PCR_BYTES];
	struct spod_nsm *n = NULL;
	struct decoded d;
	size_t doc_len = 1;
	int rc, locked = 7;

	decode_all(&d, buf, delivered);
	CHECK(spod_nsm_open_nitro_with(&n, device_transport, &dev) == SPOD_OK);

	rc = spod_nsm_attest(n, doc, sizeof doc, &doc_len, absent, absent, absent);
	CHECK(rc == backend_rc(d.rc[0], delivered));
	if (rc == SPOD_OK)
		CHECK(doc_len == d.doc.len && memcmp(doc, d.doc.ptr, doc_len) == 0);
	else
		CHECK(doc_len == 0);

	rc = spod_nsm_describe_pcr(n, pcr, &locked, 0);
	CHECK(rc == backend_rc(d.rc[1], delivered));
	if (rc == SPOD_OK)
		CHECK(locked == d.lock && memcmp(pcr, d.pcr.ptr, sizeof pcr) == 0);
	else
		CHECK(locked == 0 && is_zero(pcr, sizeof pcr));

	/* Each GetRandom answer is the same, so the bytes repeat it; over 256 is refused. */
	rc = spod_nsm_get_random(n, rnd, sizeof rnd);
	if (d.rc[2] == SPOD_OK && d.rnd.len > 256)
		CHECK(rc == SPOD_E_PROTOCOL);
	else
		CHECK(rc == backend_rc(d.rc[2], delivered));
	if (rc == SPOD_OK) {
		for (size_t i = 0; i < sizeof rnd; i++)
			CHECK(rnd[i] == d.rnd.ptr[i % d.rnd.len]);
	} else {
		CHECK(is_zero(rnd, sizeof rnd));
	}
	spod_nsm_close(n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct decoded d;
	uint8_t *buf;

	/* Quiet: the decoders log every Error answer, which would flood the run. */
	spod_log_init("fuzz_nsm", (enum spod_log_level)(SPOD_LOG_ERROR + 1));
	buf = malloc(size > 0 ? size : 1);
	CHECK(buf != NULL);
	if (size > 0)
		memcpy(buf, data, size);
	decode_all(&d, buf, size);
	check_decoded(&d, buf, size);
	check_whole_item(&d, buf, size);
	check_backend(buf, size);
	free(buf);
	return 0;
}
