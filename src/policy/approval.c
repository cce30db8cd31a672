/* Policy-admin sets and approvals (approval.h); Ed25519 through libsodium. */
#include "policy/approval.h"

#include <string.h>

#include <sodium.h>

#include "crypto/hash.h"

_Static_assert(sizeof(SPOD_APPROVAL_DOMAIN) == 24, "the approval domain is 24 bytes with NUL");
_Static_assert(SPOD_APPROVAL_BYTES == 32 + crypto_sign_BYTES, "an approval is a key and a sig");

void spod_approval_msg(uint8_t out[SPOD_APPROVAL_MSG_BYTES],
                       const uint8_t key_id[SPOD_KEY_ID_BYTES], const uint8_t policy_hash[32])
{
	memcpy(out, SPOD_APPROVAL_DOMAIN, sizeof(SPOD_APPROVAL_DOMAIN));
	memcpy(out + 24, key_id, SPOD_KEY_ID_BYTES);
	memcpy(out + 24 + SPOD_KEY_ID_BYTES, policy_hash, 32);
}

void spod_admins_hash(uint8_t out[32], uint8_t threshold, uint8_t count, const uint8_t *keys)
{
	uint8_t buf[sizeof(SPOD_ADMINS_DOMAIN) + 2 + SPOD_POLICY_ADMINS_MAX * 32];
	size_t n = sizeof(SPOD_ADMINS_DOMAIN);

	if (count > SPOD_POLICY_ADMINS_MAX)
		count = SPOD_POLICY_ADMINS_MAX; /* checked sets never are; the hash stays defined */
	memcpy(buf, SPOD_ADMINS_DOMAIN, n);
	buf[n++] = threshold;
	buf[n++] = count;
	if (count > 0)
		memcpy(buf + n, keys, (size_t)count * 32);
	n += (size_t)count * 32;
	spod_sha256(out, buf, n);
}

/* Index of pub in keys[0..count), or -1. */
static int member(uint8_t count, const uint8_t *keys, const uint8_t *pub)
{
	for (int i = 0; i < count; i++)
		if (memcmp(keys + (size_t)i * 32, pub, 32) == 0)
			return i;
	return -1;
}

int spod_admins_check(uint8_t threshold, uint8_t count, const uint8_t *keys, const char **why)
{
	*why = NULL;
	if (count == 0 || count > SPOD_POLICY_ADMINS_MAX || threshold == 0 || threshold > count) {
		*why = "an admin set needs 1 <= threshold <= keys <= 16";
		return SPOD_E_BAD_FIELD;
	}
	for (uint8_t i = 0; i < count; i++) {
		const uint8_t *k = keys + (size_t)i * 32;
		if (crypto_core_ed25519_is_valid_point(k) != 1) {
			*why = "an admin key is not a valid Ed25519 public key";
			return SPOD_E_BAD_FIELD;
		}
		if (member(i, keys, k) >= 0) {
			*why = "an admin key is listed twice";
			return SPOD_E_BAD_FIELD;
		}
	}
	return SPOD_OK;
}

int spod_approvals_check(uint8_t threshold, uint8_t count, const uint8_t *keys,
                         const uint8_t key_id[SPOD_KEY_ID_BYTES], const uint8_t policy_hash[32],
                         const uint8_t *approvals, size_t n, const char **why)
{
	uint8_t msg[SPOD_APPROVAL_MSG_BYTES];
	uint32_t seen = 0; /* bit i: admin i approved */
	unsigned valid = 0;

	*why = NULL;
	spod_approval_msg(msg, key_id, policy_hash);
	for (size_t i = 0; i < n; i++) {
		const uint8_t *a = approvals + i * SPOD_APPROVAL_BYTES;
		int m = member(count, keys, a);

		if (m < 0 || (seen & (1u << m)) != 0)
			continue;
		if (crypto_sign_verify_detached(a + 32, msg, sizeof(msg), a) != 0)
			continue;
		seen |= 1u << m;
		valid++;
	}
	if (valid >= threshold && threshold > 0)
		return SPOD_OK;
	*why = valid == 0 ? "no valid approval by a policy admin of this key"
	                  : "fewer valid approvals by distinct policy admins than the threshold";
	return SPOD_E_NOT_APPROVED;
}
