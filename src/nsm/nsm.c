/* The backend-independent entry points: argument checks, then the backend's ops. */
#include "nsm/backend.h"

#include <stdlib.h>

#include "crypto/secmem.h"
#include "spod/err.h"

enum spod_nsm_kind spod_nsm_kind(const struct spod_nsm *n)
{
	return n->ops->kind;
}

/* A field is absent (ptr NULL, len 0) or present with at most max bytes. */
static int field_ok(struct spod_bytes b, size_t max)
{
	if (b.ptr == NULL)
		return b.len == 0;
	return b.len <= max;
}

int spod_nsm_attest(struct spod_nsm *n, uint8_t *doc, size_t cap, size_t *doc_len,
                    struct spod_bytes user_data, struct spod_bytes nonce,
                    struct spod_bytes public_key)
{
	*doc_len = 0;
	if (!field_ok(user_data, SPOD_ATTEST_USER_DATA_MAX) ||
	    !field_ok(nonce, SPOD_ATTEST_NONCE_MAX) ||
	    !field_ok(public_key, SPOD_ATTEST_PUBLIC_KEY_MAX))
		return SPOD_E_BAD_ARG;
	return n->ops->attest(n, doc, cap, doc_len, user_data, nonce, public_key);
}

int spod_nsm_describe_pcr(struct spod_nsm *n, uint8_t out[SPOD_ATTEST_PCR_BYTES], int *locked,
                          uint16_t index)
{
	int rc;

	rc = n->ops->describe_pcr(n, out, locked, index);
	if (rc < 0) {
		spod_secmem_wipe(out, SPOD_ATTEST_PCR_BYTES);
		*locked = 0;
	}
	return rc;
}

int spod_nsm_get_random(struct spod_nsm *n, uint8_t *out, size_t len)
{
	size_t off = 0, got;
	int rc;

	while (off < len) {
		got = 0;
		rc = n->ops->get_random(n, out + off, len - off, &got);
		if (rc < 0) {
			spod_secmem_wipe(out, len);
			return rc;
		}
		if (got == 0 || got > len - off)
			abort(); /* a backend broke its contract; looping would never end */
		off += got;
	}
	return SPOD_OK;
}

void spod_nsm_close(struct spod_nsm *n)
{
	if (n != NULL)
		n->ops->close(n);
}
