/* spod's attestation user_data, versions 1 and 2 (include/spod/attest.h). */
#include <string.h>

#include "common/bytes.h"
#include "spod/attest.h"

#define MAGIC_BYTES 8u
#define KEY_HEAD    (1u + SPOD_ATTEST_BINDING_KEY_ID_BYTES + 1u)

static int put_record(uint8_t *out, size_t cap, size_t *off, uint8_t type, const uint8_t *value,
                      size_t len)
{
	if (len > UINT16_MAX || 3u + len > cap - *off)
		return SPOD_E_TOO_LARGE;
	out[*off] = type;
	spod_put_le16(out + *off + 1, (uint16_t)len);
	memcpy(out + *off + 3, value, len);
	*off += 3 + len;
	return SPOD_OK;
}

int spod_attest_user_data_encode(uint8_t *out, size_t cap, size_t *out_len,
                                 const struct spod_attest_seal *seal, uint8_t alg,
                                 const uint8_t *key_id, const uint8_t *pub, size_t pub_len)
{
	uint8_t rec[KEY_HEAD + UINT8_MAX];
	size_t off = MAGIC_BYTES;

	*out_len = 0;
	if ((seal == NULL && key_id == NULL) || (key_id != NULL && (pub == NULL || pub_len > 255)))
		return SPOD_E_BAD_ARG;
	if (cap < MAGIC_BYTES)
		return SPOD_E_TOO_LARGE;
	memcpy(out, SPOD_ATTEST_UD2_MAGIC, MAGIC_BYTES);
	if (key_id != NULL) {
		rec[0] = alg;
		memcpy(rec + 1, key_id, SPOD_ATTEST_BINDING_KEY_ID_BYTES);
		rec[1 + SPOD_ATTEST_BINDING_KEY_ID_BYTES] = (uint8_t)pub_len;
		memcpy(rec + KEY_HEAD, pub, pub_len);
		SPOD_TRY(put_record(out, cap, &off, SPOD_ATTEST_UD_KEY, rec, KEY_HEAD + pub_len));
	}
	if (seal != NULL) {
		memset(rec, 0, SPOD_ATTEST_UD_SEAL_BYTES);
		rec[0] = seal->mode;
		rec[1] = seal->ready;
		rec[2] = seal->threshold;
		rec[3] = seal->shares;
		rec[4] = seal->present;
		memcpy(rec + 8, seal->seal_key_id, 16);
		SPOD_TRY(put_record(out, cap, &off, SPOD_ATTEST_UD_SEAL, rec,
		                    SPOD_ATTEST_UD_SEAL_BYTES));
	}
	*out_len = off;
	return SPOD_OK;
}

int spod_attest_user_data_add_policy(uint8_t *out, size_t cap, size_t *out_len,
                                     const uint8_t policy_hash[32], const uint8_t admin_hash[32])
{
	uint8_t rec[SPOD_ATTEST_UD_POLICY_BYTES];
	size_t off = *out_len;

	if (off < MAGIC_BYTES || off > cap || memcmp(out, SPOD_ATTEST_UD2_MAGIC, MAGIC_BYTES) != 0)
		return SPOD_E_BAD_ARG;
	memcpy(rec, policy_hash, 32);
	memcpy(rec + 32, admin_hash, 32);
	SPOD_TRY(put_record(out, cap, &off, SPOD_ATTEST_UD_POLICY, rec, sizeof(rec)));
	*out_len = off;
	return SPOD_OK;
}

int spod_attest_user_data_add_evidence(uint8_t *out, size_t cap, size_t *out_len,
                                       const uint8_t pub[SPOD_ATTEST_UD_EVIDENCE_BYTES])
{
	size_t off = *out_len;

	if (off < MAGIC_BYTES || off > cap || memcmp(out, SPOD_ATTEST_UD2_MAGIC, MAGIC_BYTES) != 0)
		return SPOD_E_BAD_ARG;
	SPOD_TRY(put_record(out, cap, &off, SPOD_ATTEST_UD_EVIDENCE, pub,
	                    SPOD_ATTEST_UD_EVIDENCE_BYTES));
	*out_len = off;
	return SPOD_OK;
}

/* A key binding's fields, from value[0..len) (the part after the v1 magic, or a v2 record). */
static int read_key(struct spod_attest_user_data *out, const uint8_t *v, size_t len)
{
	if (len < KEY_HEAD || len != KEY_HEAD + (size_t)v[KEY_HEAD - 1])
		return SPOD_E_BAD_FIELD;
	out->has_key = 1;
	out->key_alg = v[0];
	out->key_id = v + 1;
	out->key_pub = (struct spod_bytes){v + KEY_HEAD, v[KEY_HEAD - 1]};
	return SPOD_OK;
}

static int read_seal(struct spod_attest_user_data *out, const uint8_t *v, size_t len)
{
	if (len != SPOD_ATTEST_UD_SEAL_BYTES || v[0] > 2 || v[1] > 1 || !spod_all_zero(v + 5, 3) ||
	    v[2] > v[3] || v[4] > v[3])
		return SPOD_E_BAD_FIELD;
	out->has_seal = 1;
	out->seal.mode = v[0];
	out->seal.ready = v[1];
	out->seal.threshold = v[2];
	out->seal.shares = v[3];
	out->seal.present = v[4];
	memcpy(out->seal.seal_key_id, v + 8, 16);
	return SPOD_OK;
}

static int parse_v2(struct spod_attest_user_data *out, const uint8_t *ud, size_t len)
{
	size_t off = MAGIC_BYTES;
	unsigned last = 0;

	out->version = 2;
	while (off < len) {
		unsigned type;
		size_t n;

		if (len - off < 3)
			return SPOD_E_BAD_FIELD;
		type = ud[off];
		n = spod_le16(ud + off + 1);
		if (n > len - off - 3 || type <= last)
			return SPOD_E_BAD_FIELD;
		if (type == SPOD_ATTEST_UD_KEY)
			SPOD_TRY(read_key(out, ud + off + 3, n));
		else if (type == SPOD_ATTEST_UD_SEAL)
			SPOD_TRY(read_seal(out, ud + off + 3, n));
		else if (type == SPOD_ATTEST_UD_POLICY) {
			if (n != SPOD_ATTEST_UD_POLICY_BYTES)
				return SPOD_E_BAD_FIELD;
			out->has_policy = 1;
			out->policy_hash = ud + off + 3;
			out->policy_admins = ud + off + 3 + 32;
		} else if (type == SPOD_ATTEST_UD_EVIDENCE) {
			if (n != SPOD_ATTEST_UD_EVIDENCE_BYTES)
				return SPOD_E_BAD_FIELD;
			out->evidence_pub = ud + off + 3;
		}
		/* Later record types are skipped: a newer enclave may say more. */
		last = type;
		off += 3 + n;
	}
	return SPOD_OK;
}

int spod_attest_user_data_parse(struct spod_attest_user_data *out, const uint8_t *ud, size_t len)
{
	int rc = SPOD_OK;

	memset(out, 0, sizeof(*out));
	if (ud == NULL || len < MAGIC_BYTES)
		return SPOD_OK;
	if (memcmp(ud, SPOD_ATTEST_BINDING_MAGIC, MAGIC_BYTES) == 0) {
		out->version = 1;
		rc = read_key(out, ud + MAGIC_BYTES, len - MAGIC_BYTES);
	} else if (memcmp(ud, SPOD_ATTEST_UD2_MAGIC, MAGIC_BYTES) == 0) {
		rc = parse_v2(out, ud, len);
	}
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}
