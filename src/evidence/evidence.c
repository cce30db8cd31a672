/*
 * Evidence records, their Merkle tree and the messages the evidence key signs
 * (evidence/evidence.h, docs/evidence.md). The tree is RFC 9162's (Certificate Transparency
 * v2): leaf SHA-256(0x00 || record), node SHA-256(0x01 || left || right), split at the largest
 * power of two below n. Written by hand: no library the project links has one.
 */
#include "evidence/evidence.h"

#include <string.h>

#include "common/bytes.h"
#include "crypto/hash.h"

static const char ROOT_TAG[] = "spod evidence root v1"; /* with its NUL: 22 bytes */
static const char HEAD_TAG[] = "spod audit head v1";    /* with its NUL: 19 bytes */

void spod_evidence_rec_encode(uint8_t out[SPOD_EVIDENCE_RECORD_BYTES],
                              const struct spod_evidence_rec *r)
{
	size_t n = strnlen(r->rule_id, SPOD_EVIDENCE_RULE_ID_BYTES);

	memset(out, 0, SPOD_EVIDENCE_RECORD_BYTES);
	out[EVREC_VERSION] = SPOD_EVIDENCE_VERSION;
	out[EVREC_OPCODE] = r->opcode;
	out[EVREC_MODE] = r->mode;
	out[EVREC_FORM] = r->form;
	spod_put_le32(out + EVREC_STATUS, (uint32_t)r->status);
	spod_put_le64(out + EVREC_COUNTER, r->counter);
	memcpy(out + EVREC_KEY_ID, r->key_id, 16);
	memcpy(out + EVREC_DIGEST, r->digest, 32);
	memcpy(out + EVREC_POLICY, r->policy_hash, 32);
	memcpy(out + EVREC_RULE_ID, r->rule_id, n);
}

int spod_evidence_rec_decode(struct spod_evidence_rec *r,
                             const uint8_t in[SPOD_EVIDENCE_RECORD_BYTES])
{
	const uint8_t *id = in + EVREC_RULE_ID;
	size_t n = 0;

	memset(r, 0, sizeof(*r));
	if (in[EVREC_VERSION] != SPOD_EVIDENCE_VERSION)
		return SPOD_E_BAD_FIELD;
	while (n < SPOD_EVIDENCE_RULE_ID_BYTES && id[n] != 0) {
		if (id[n] < 0x20 || id[n] == 0x7f)
			return SPOD_E_BAD_FIELD;
		n++;
	}
	if (!spod_all_zero(id + n, SPOD_EVIDENCE_RULE_ID_BYTES - n))
		return SPOD_E_BAD_FIELD;
	r->opcode = in[EVREC_OPCODE];
	r->mode = in[EVREC_MODE];
	r->form = in[EVREC_FORM];
	r->status = (int32_t)spod_le32(in + EVREC_STATUS);
	r->counter = spod_le64(in + EVREC_COUNTER);
	memcpy(r->key_id, in + EVREC_KEY_ID, 16);
	memcpy(r->digest, in + EVREC_DIGEST, 32);
	memcpy(r->policy_hash, in + EVREC_POLICY, 32);
	memcpy(r->rule_id, id, n);
	return SPOD_OK;
}

void spod_evidence_sign_digest(uint8_t out[32], uint8_t mode, const uint8_t *data, size_t len)
{
	if (mode == 1 /* SPOD_MODE_DIGEST */ && len == 32 && data != NULL)
		memcpy(out, data, 32);
	else
		spod_sha256(out, data != NULL ? data : (const uint8_t *)"", data != NULL ? len : 0);
}

void spod_evidence_leaf(uint8_t out[32], const uint8_t rec[SPOD_EVIDENCE_RECORD_BYTES])
{
	uint8_t buf[1 + SPOD_EVIDENCE_RECORD_BYTES];

	buf[0] = 0x00;
	memcpy(buf + 1, rec, SPOD_EVIDENCE_RECORD_BYTES);
	spod_sha256(out, buf, sizeof(buf));
}

static void node(uint8_t out[32], const uint8_t left[32], const uint8_t right[32])
{
	uint8_t buf[65];

	buf[0] = 0x01;
	memcpy(buf + 1, left, 32);
	memcpy(buf + 33, right, 32);
	spod_sha256(out, buf, sizeof(buf));
}

/* The largest power of two strictly below n (n >= 2). */
static size_t split(size_t n)
{
	size_t k = 1;

	while (k * 2 < n)
		k *= 2;
	return k;
}

/* MTH(leaves[0..n)), recursively (depth <= log2(SPOD_EVIDENCE_BATCH_MAX) + 1). */
static void mth(uint8_t out[32], const uint8_t *leaves, size_t n)
{
	uint8_t l[32], r[32];
	size_t k;

	if (n == 1) {
		memcpy(out, leaves, 32);
		return;
	}
	k = split(n);
	mth(l, leaves, k);
	mth(r, leaves + k * 32, n - k);
	node(out, l, r);
}

int spod_evidence_root(uint8_t out[32], const uint8_t *leaves, size_t n)
{
	if (n == 0 || n > SPOD_EVIDENCE_BATCH_MAX)
		return SPOD_E_BAD_ARG;
	mth(out, leaves, n);
	return SPOD_OK;
}

/* PATH(m, leaves[0..n)) appended at proof[*len], deepest hash first (RFC 9162 §2.1.3.1). */
static void path(uint8_t *proof, size_t *len, const uint8_t *leaves, size_t n, size_t m)
{
	size_t k;

	if (n == 1)
		return;
	k = split(n);
	if (m < k) {
		path(proof, len, leaves, k, m);
		mth(proof + *len * 32, leaves + k * 32, n - k);
	} else {
		path(proof, len, leaves + k * 32, n - k, m - k);
		mth(proof + *len * 32, leaves, k);
	}
	(*len)++;
}

int spod_evidence_proof(uint8_t proof[SPOD_EVIDENCE_PROOF_MAX * 32], size_t *len,
                        const uint8_t *leaves, size_t n, size_t m)
{
	*len = 0;
	if (n == 0 || n > SPOD_EVIDENCE_BATCH_MAX || m >= n)
		return SPOD_E_BAD_ARG;
	path(proof, len, leaves, n, m);
	return SPOD_OK;
}

size_t spod_evidence_tree_hashes(size_t n)
{
	size_t total = n;

	while (n > 1) {
		n = (n + 1) / 2;
		total += n;
	}
	return total;
}

int spod_evidence_tree_build(uint8_t *tree, size_t n)
{
	uint8_t *level = tree;

	if (n == 0 || n > SPOD_EVIDENCE_BATCH_MAX)
		return SPOD_E_BAD_ARG;
	while (n > 1) {
		uint8_t *up = level + n * 32;

		for (size_t j = 0; 2 * j < n; j++) {
			if (2 * j + 1 < n)
				node(up + j * 32, level + 2 * j * 32, level + (2 * j + 1) * 32);
			else
				memcpy(up + j * 32, level + 2 * j * 32, 32);
		}
		level = up;
		n = (n + 1) / 2;
	}
	return SPOD_OK;
}

int spod_evidence_tree_proof(uint8_t proof[SPOD_EVIDENCE_PROOF_MAX * 32], size_t *len,
                             const uint8_t *tree, size_t n, size_t m)
{
	const uint8_t *level = tree;

	*len = 0;
	if (n == 0 || n > SPOD_EVIDENCE_BATCH_MAX || m >= n)
		return SPOD_E_BAD_ARG;
	while (n > 1) {
		size_t sib = m ^ 1u;

		if (sib < n)
			memcpy(proof + (*len)++ * 32, level + sib * 32, 32);
		level += n * 32;
		m >>= 1;
		n = (n + 1) / 2;
	}
	return SPOD_OK;
}

int spod_evidence_proof_check(const uint8_t leaf[32], size_t m, size_t n, const uint8_t *proof,
                              size_t proof_len, const uint8_t root[32])
{
	size_t fn = m, sn = n - 1;
	uint8_t r[32];

	if (m >= n || proof_len > SPOD_EVIDENCE_PROOF_MAX || (proof_len > 0 && proof == NULL))
		return SPOD_E_BAD_ARG;
	memcpy(r, leaf, 32);
	for (size_t i = 0; i < proof_len; i++) {
		const uint8_t *p = proof + i * 32;

		if (sn == 0)
			return SPOD_E_BAD_SIGNATURE;
		if ((fn & 1) || fn == sn) {
			node(r, p, r);
			if (!(fn & 1))
				while (fn != 0 && !(fn & 1)) {
					fn >>= 1;
					sn >>= 1;
				}
		} else {
			node(r, r, p);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && memcmp(r, root, 32) == 0 ? SPOD_OK : SPOD_E_BAD_SIGNATURE;
}

void spod_evidence_root_msg(uint8_t out[SPOD_EVIDENCE_ROOT_MSG_BYTES],
                            const uint8_t pub[SPOD_EVIDENCE_PUB_BYTES], uint64_t first,
                            uint32_t count, const uint8_t root[32])
{
	uint8_t *p = out;

	memcpy(p, ROOT_TAG, sizeof(ROOT_TAG));
	p += sizeof(ROOT_TAG);
	memcpy(p, pub, SPOD_EVIDENCE_PUB_BYTES);
	p += SPOD_EVIDENCE_PUB_BYTES;
	spod_put_le64(p, first);
	spod_put_le32(p + 8, count);
	memcpy(p + 12, root, 32);
}

int spod_evidence_head_msg(uint8_t out[SPOD_EVIDENCE_HEAD_MSG_MAX], size_t *len,
                           const uint8_t pub[SPOD_EVIDENCE_PUB_BYTES], uint64_t seq,
                           const uint8_t hash[32], uint64_t counter, const uint8_t *nonce,
                           size_t nonce_len)
{
	uint8_t *p = out;

	*len = 0;
	if (nonce_len > SPOD_EVIDENCE_NONCE_MAX || (nonce_len > 0 && nonce == NULL))
		return SPOD_E_BAD_ARG;
	memcpy(p, HEAD_TAG, sizeof(HEAD_TAG));
	p += sizeof(HEAD_TAG);
	memcpy(p, pub, SPOD_EVIDENCE_PUB_BYTES);
	p += SPOD_EVIDENCE_PUB_BYTES;
	spod_put_le64(p, seq);
	memcpy(p + 8, hash, 32);
	spod_put_le64(p + 40, counter);
	p[48] = (uint8_t)nonce_len;
	if (nonce_len > 0)
		memcpy(p + 49, nonce, nonce_len);
	*len = (size_t)(p + 49 + nonce_len - out);
	return SPOD_OK;
}
