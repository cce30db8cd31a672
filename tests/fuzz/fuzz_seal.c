/*
 * libFuzzer target for what the enclave opens of the host's or a custodian's bytes: sealed
 * key blobs (src/crypto/seal.c), provisioning envelopes (src/crypto/envelope.c) and the
 * import payload inside them. The first input byte picks which; the seal key and the
 * enclave's X25519 key pair are fixed, so the seeds (tests/fuzz/make_seal_corpus.py, an
 * independent Python implementation) are valid blobs and envelopes the fuzzer mutates.
 * Contract checks: a blob that opens derives exactly its public key; an envelope that opens
 * gives a payload of its declared length; nothing opens once a byte of a seed is changed
 * unless the change is harmless by construction (never for authenticated bytes).
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/envelope.h"
#include "crypto/seal.h"
#include "crypto/secmem.h"
#include "crypto/sign.h"

/* Fixed test material, also in make_seal_corpus.py. */
static const uint8_t seal_key[32] = {0x5e, 0xa1, 0x5e, 0xa1, 1,  2,  3,  4,  5,  6,  7,
                                     8,    9,    10,   11,   12, 13, 14, 15, 16, 17, 18,
                                     19,   20,   21,   22,   23, 24, 25, 26, 27, 28};
static const uint8_t enclave_secret_init[32] = {0xe4, 0xc1, 0xa7, 0xe0, 9, 9, 9, 9, 9, 9,   9,
                                                9,    9,    9,    9,    9, 9, 9, 9, 9, 9,   9,
                                                9,    9,    9,    9,    9, 9, 9, 9, 9, 0x40};

static struct spod_secret_key *sk;
static uint8_t *payload, *enclave_secret;
static uint8_t seal_id[SPOD_SEAL_KEY_ID_BYTES], enclave_pub[32];

static void init_once(void)
{
	if (sk != NULL)
		return;
	if (spod_crypto_init(1u << 16) < 0)
		abort();
	sk = spod_secmem_alloc(sizeof(*sk));
	payload = spod_secmem_alloc(SPOD_ENVELOPE_PAYLOAD_MAX);
	enclave_secret = spod_secmem_alloc(32);
	if (sk == NULL || payload == NULL || enclave_secret == NULL)
		abort();
	memcpy(enclave_secret, enclave_secret_init, 32);
	if (crypto_scalarmult_base(enclave_pub, enclave_secret) != 0)
		abort();
	spod_seal_key_id(seal_id, seal_key);
}

static void fuzz_blob(const uint8_t *data, size_t size)
{
	struct spod_blob_view v;
	static uint8_t again[SPOD_SEAL_V2_MAX_BYTES];
	size_t again_len;
	const char *why;

	if (spod_blob_parse(&v, &why, data, size) != SPOD_OK) {
		if (why == NULL)
			abort();
		return;
	}
	if (v.ad_len + SPOD_SEAL_CT_BYTES != size || v.pub_len != spod_alg_pub_len(v.alg))
		abort();
	if (spod_unseal(sk, &why, &v, seal_key, seal_id) != SPOD_OK) {
		if (why == NULL || sk->alg != 0)
			abort(); /* a failed unseal leaves no key */
		return;
	}
	/* An opened blob is its own key: sealing it again gives the same header, key and
	 * policy (a version 2 blob's bytes 64..104 are its policy length and admin set). */
	{
		const struct spod_seal_policy pol = {v.policy, v.policy_len, v.admin_hash, v.state,
		                                     v.state_len};
		size_t fixed = v.version == SPOD_SEAL_VERSION ? SPOD_SEAL_FIXED_BYTES
		                                              : SPOD_SEAL_V2_FIXED_BYTES;

		if (sk->alg != v.alg ||
		    spod_seal_with_policy(again, sizeof(again), &again_len, seal_key, seal_id, sk,
		                          v.key_id, v.pub, v.pub_len, v.label, v.label_len,
		                          v.policy != NULL ? &pol : NULL) != SPOD_OK ||
		    again_len != size || memcmp(again, data, 40) != 0 ||
		    memcmp(again + SPOD_SEAL_FIXED_BYTES, data + SPOD_SEAL_FIXED_BYTES,
		           v.ad_len - SPOD_SEAL_FIXED_BYTES) != 0 ||
		    v.ad_len < fixed)
			abort();
	}
	spod_key_wipe(sk);
}

static void fuzz_envelope(const uint8_t *data, size_t size)
{
	struct spod_envelope_view v;
	struct spod_import_view iv;
	size_t len = 0;
	const char *why;

	if (spod_envelope_parse(&v, &why, data, size) != SPOD_OK)
		return;
	if (v.ad_len + v.ciphertext_len != size)
		abort();
	if (spod_envelope_open(payload, SPOD_ENVELOPE_PAYLOAD_MAX, &len, &why, &v, enclave_secret,
	                       enclave_pub) != SPOD_OK)
		return;
	if (len + SPOD_ENVELOPE_TAG_BYTES != v.ciphertext_len)
		abort();
	if (v.purpose == SPOD_PURPOSE_IMPORT &&
	    spod_import_payload_parse(&iv, &why, payload, len) == SPOD_OK &&
	    spod_key_import(sk, (uint8_t[SPOD_PUB_MAX_BYTES]){0}, &len, iv.alg, iv.secret, 32) ==
	        SPOD_OK)
		spod_key_wipe(sk);
	sodium_memzero(payload, SPOD_ENVELOPE_PAYLOAD_MAX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spod_import_view iv;
	const char *why;

	init_once();
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		fuzz_blob(data + 1, size - 1);
		break;
	case 1:
		fuzz_envelope(data + 1, size - 1);
		break;
	default:
		(void)spod_import_payload_parse(&iv, &why, data + 1, size - 1);
		break;
	}
	return 0;
}
