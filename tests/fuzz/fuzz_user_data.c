/*
 * libFuzzer target for spod's attestation user_data layouts (src/attest/user_data.c).
 *
 * The input is copied into a buffer of exactly its length, so a view past it lands in an
 * ASan redzone. What spod_attest_user_data_parse accepts must hold together: version 0 only
 * without records, a key view inside the input with the length its header gives, a seal
 * record within its documented ranges. Version 2 input whose records are exactly the key
 * and seal records re-encodes (spod_attest_user_data_encode) to the same bytes, and version
 * 1 to spod_attest_key_binding's; whatever the encoder writes parses back to the same
 * fields. A refusal leaves the output zeroed.
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

#define INPUT_MAX_BYTES 4096u
#define KEY_HEAD_BYTES  (1u + SPOD_ATTEST_BINDING_KEY_ID_BYTES + 1u)
#define RECORD_HEAD     3u

static uint8_t enc[INPUT_MAX_BYTES];

static void check_view(const struct spod_attest_user_data *ud, const uint8_t *in, size_t len)
{
	if (ud->has_key) {
		CHECK(ud->key_id >= in &&
		      ud->key_id + SPOD_ATTEST_BINDING_KEY_ID_BYTES <= in + len);
		CHECK(ud->key_pub.ptr == ud->key_id + SPOD_ATTEST_BINDING_KEY_ID_BYTES + 1);
		CHECK(ud->key_pub.len == ud->key_id[SPOD_ATTEST_BINDING_KEY_ID_BYTES]);
		CHECK(ud->key_pub.ptr + ud->key_pub.len <= in + len);
	} else {
		CHECK(ud->key_id == NULL && ud->key_pub.ptr == NULL && ud->key_pub.len == 0);
	}
	if (ud->has_seal) {
		CHECK(ud->version == 2);
		CHECK(ud->seal.mode <= 2 && ud->seal.ready <= 1);
		CHECK(ud->seal.threshold <= ud->seal.shares && ud->seal.present <= ud->seal.shares);
	}
}

/* Encodes ud again and checks what comes back; exact 1 when in must be those very bytes. */
static void check_reencode(const struct spod_attest_user_data *ud, const uint8_t *in, size_t len,
                           int exact)
{
	struct spod_attest_user_data back;
	size_t n;

	if (ud->version == 1)
		CHECK(spod_attest_key_binding(enc, sizeof enc, &n, ud->key_alg, ud->key_id,
		                              ud->key_pub.ptr, ud->key_pub.len) == SPOD_OK);
	else
		CHECK(spod_attest_user_data_encode(enc, sizeof enc, &n,
		                                   ud->has_seal ? &ud->seal : NULL, ud->key_alg,
		                                   ud->has_key ? ud->key_id : NULL, ud->key_pub.ptr,
		                                   ud->key_pub.len) == SPOD_OK);
	if (exact)
		CHECK(n == len && memcmp(enc, in, len) == 0);
	CHECK(spod_attest_user_data_parse(&back, enc, n) == SPOD_OK);
	CHECK(back.version == ud->version && back.has_key == ud->has_key &&
	      back.has_seal == ud->has_seal);
	if (ud->has_key)
		CHECK(back.key_alg == ud->key_alg &&
		      memcmp(back.key_id, ud->key_id, SPOD_ATTEST_BINDING_KEY_ID_BYTES) == 0 &&
		      back.key_pub.len == ud->key_pub.len &&
		      memcmp(back.key_pub.ptr, ud->key_pub.ptr, ud->key_pub.len) == 0);
	if (ud->has_seal)
		CHECK(memcmp(&back.seal, &ud->seal, sizeof ud->seal) == 0);
}

/* The bytes the key and seal records take in version 2, so exact re-encoding applies. */
static size_t v2_known_len(const struct spod_attest_user_data *ud)
{
	size_t n = 8;

	if (ud->has_key)
		n += RECORD_HEAD + KEY_HEAD_BYTES + ud->key_pub.len;
	if (ud->has_seal)
		n += RECORD_HEAD + SPOD_ATTEST_UD_SEAL_BYTES;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct spod_attest_user_data zero;
	struct spod_attest_user_data ud;
	uint8_t *in;
	int rc;

	if (size > INPUT_MAX_BYTES)
		return 0;
	in = malloc(size ? size : 1);
	CHECK(in != NULL);
	memcpy(in, data, size);

	rc = spod_attest_user_data_parse(&ud, in, size);
	if (rc != SPOD_OK) {
		CHECK(rc == SPOD_E_BAD_FIELD);
		CHECK(memcmp(&ud, &zero, sizeof ud) == 0);
		CHECK(size >= 8);
		free(in);
		return 0;
	}
	CHECK(ud.version >= 0 && ud.version <= 2);
	if (ud.version == 0)
		CHECK(memcmp(&ud, &zero, sizeof ud) == 0);
	if (ud.version == 1)
		CHECK(ud.has_key && !ud.has_seal);
	check_view(&ud, in, size);
	if (ud.version == 1)
		check_reencode(&ud, in, size, 1);
	else if (ud.version == 2 && (ud.has_key || ud.has_seal))
		check_reencode(&ud, in, size,
		               v2_known_len(&ud) == size && ud.has_key + ud.has_seal > 0);
	free(in);
	return 0;
}
