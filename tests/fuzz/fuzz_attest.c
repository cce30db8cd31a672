/*
 * libFuzzer target for attestation documents (src/attest: CBOR reader, COSE_Sign1 parse,
 * ES384 signature, chain).
 *
 * The input is copied into a buffer of exactly its length, so a view that strays past the
 * document lands in an ASan redzone, then parsed and verified against the embedded AWS
 * root at a fixed time and at the document's own time. Beyond memory safety the target
 * checks the contracts of include/spod/attest.h: every view lies inside the input and is
 * read to its end, a failed parse leaves only the error set, verify agrees with parse,
 * and a return code matches its status.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spod/attest.h"
#include "spod/err.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

#define FIXED_TIME     1700000000u   /* 2023-11-14 */
#define LAST_X509_TIME 253402300799u /* 9999-12-31T23:59:59Z, the policy's limit */

static volatile uint32_t sink;

/* Reads v[0..len) and checks it lies in buf[0..len). */
static void touch(const uint8_t *buf, size_t len, struct spod_bytes v)
{
	uint32_t acc = 0;

	if (v.ptr == NULL) {
		CHECK(v.len == 0);
		return;
	}
	CHECK(v.ptr >= buf && v.ptr <= buf + len);
	CHECK(v.len <= (size_t)(buf + len - v.ptr));
	for (size_t i = 0; i < v.len; i++)
		acc += v.ptr[i];
	sink += acc;
}

static int all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

static void check_view(const uint8_t *buf, size_t len, const struct spod_attest_doc *d)
{
	uint32_t npcrs = 0;

	CHECK(d->error == NULL);
	CHECK(d->protected_hdr.ptr != NULL && d->payload.ptr != NULL);
	CHECK(d->signature.len == SPOD_ATTEST_SIG_BYTES);
	CHECK(d->module_id.len > 0 && d->timestamp_ms > 0);
	CHECK(d->certificate.len > 0 && d->certificate.len <= SPOD_ATTEST_CERT_MAX_BYTES);
	CHECK(d->ncabundle >= 1 && d->ncabundle <= SPOD_ATTEST_MAX_CABUNDLE);
	CHECK(d->public_key.len <= SPOD_ATTEST_PUBLIC_KEY_MAX);
	CHECK(d->user_data.len <= SPOD_ATTEST_USER_DATA_MAX);
	CHECK(d->nonce.len <= SPOD_ATTEST_NONCE_MAX);
	touch(buf, len, d->protected_hdr);
	touch(buf, len, d->payload);
	touch(buf, len, d->signature);
	touch(buf, len, d->module_id);
	touch(buf, len, d->certificate);
	touch(buf, len, d->public_key);
	touch(buf, len, d->user_data);
	touch(buf, len, d->nonce);
	for (uint32_t i = 0; i < SPOD_ATTEST_MAX_PCRS; i++) {
		if (d->pcrs[i].ptr == NULL)
			continue;
		CHECK(d->pcrs[i].len == 32 || d->pcrs[i].len == 48 || d->pcrs[i].len == 64);
		touch(buf, len, d->pcrs[i]);
		npcrs++;
	}
	CHECK(npcrs == d->npcrs && npcrs >= 1);
	for (uint32_t i = 0; i < d->ncabundle; i++) {
		CHECK(d->cabundle[i].len > 0);
		touch(buf, len, d->cabundle[i]);
	}
	for (uint32_t i = d->ncabundle; i < SPOD_ATTEST_MAX_CABUNDLE; i++)
		CHECK(d->cabundle[i].ptr == NULL);
}

static void verify_at(const uint8_t *buf, size_t len, int parse_rc, uint64_t at)
{
	struct spod_attest_policy pol = {0};
	struct spod_attest_result res;
	static const uint8_t pcr[48] = {1};
	struct spod_attest_pcr_expect want = {0, pcr, sizeof pcr};
	int rc;

	pol.at = at;
	pol.pcrs = &want;
	pol.npcrs = 1;
	rc = spod_attest_verify(&res, buf, len, &pol);
	CHECK((rc == SPOD_OK) == (res.status == SPOD_ATTEST_OK));
	CHECK(memchr(res.message, '\0', sizeof res.message) != NULL && res.message[0] != '\0');
	if (parse_rc < 0) {
		CHECK(rc == parse_rc && res.status == SPOD_ATTEST_MALFORMED);
		return;
	}
	CHECK(res.status != SPOD_ATTEST_MALFORMED && res.status != SPOD_ATTEST_BAD_POLICY);
	CHECK(rc == SPOD_OK || rc == SPOD_E_BAD_SIGNATURE);
	check_view(buf, len, &res.doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spod_attest_doc d;
	uint8_t *buf;
	int rc;

	buf = malloc(size > 0 ? size : 1);
	CHECK(buf != NULL);
	if (size > 0)
		memcpy(buf, data, size);
	rc = spod_attest_parse(&d, buf, size);
	if (rc == SPOD_OK) {
		check_view(buf, size, &d);
	} else {
		CHECK(rc < 0 && d.error != NULL);
		d.error = NULL;
		CHECK(all_zero(&d, sizeof d));
	}
	verify_at(buf, size, rc, FIXED_TIME);
	if (rc == SPOD_OK && d.timestamp_ms / 1000 < LAST_X509_TIME)
		verify_at(buf, size, rc, d.timestamp_ms / 1000 + 1);
	free(buf);
	return 0;
}
