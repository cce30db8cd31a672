/*
 * Share payloads (parse, encode) and the enclave's collector of shares (share.h). Messages
 * that name a share come from static tables, one entry per index, so every *why stays a
 * static string.
 */
#include "crypto/share.h"

#include <string.h>

#include <sodium.h>

#include "crypto/secmem.h"

#define OFF_VERSION     0u
#define OFF_K           1u
#define OFF_N           2u
#define OFF_INDEX       3u
#define OFF_SEAL_KEY_ID 4u
#define OFF_SHARE       (OFF_SEAL_KEY_ID + SPOD_SEAL_KEY_ID_BYTES)
#define OFF_COMMITMENTS (OFF_SHARE + SPOD_SHARE_BYTES)

_Static_assert(OFF_COMMITMENTS == SPOD_SHARE_PAYLOAD_HEAD_BYTES, "layout v1: 52-byte head");
_Static_assert(SPOD_SHARES_MAX == 32u, "the index tables and the present mask have 32 entries");

/* clang-format off */
#define SHARE_INDEXES(M)                                                                           \
	M(1) M(2) M(3) M(4) M(5) M(6) M(7) M(8) M(9) M(10) M(11) M(12) M(13) M(14) M(15) M(16)     \
	M(17) M(18) M(19) M(20) M(21) M(22) M(23) M(24) M(25) M(26) M(27) M(28) M(29) M(30)        \
	M(31) M(32)
/* clang-format on */

#define MISMATCH_MSG(i)  [i] = "share " #i " does not match its commitment",
#define DUPLICATE_MSG(i) [i] = "share " #i " is here already",
#define OTHER_SET_MSG(i)                                                                           \
	[i] = "share " #i " belongs to another set of shares or its commitments were altered",

static const char *const mismatch_msgs[SPOD_SHARES_MAX + 1] = {SHARE_INDEXES(MISMATCH_MSG)};
static const char *const duplicate_msgs[SPOD_SHARES_MAX + 1] = {SHARE_INDEXES(DUPLICATE_MSG)};
static const char *const other_set_msgs[SPOD_SHARES_MAX + 1] = {SHARE_INDEXES(OTHER_SET_MSG)};

static int refuse(const char **why, const char *msg)
{
	*why = msg;
	return SPOD_E_BAD_SHARE;
}

/* Ranges of k, n and index: NULL when they are valid, else what is wrong. */
static const char *params_error(unsigned k, unsigned n, unsigned index)
{
	if (n < 1 || n > SPOD_SHARES_MAX)
		return "share payload: the share count n is not 1..32";
	if (k < 1 || k > n)
		return "share payload: the threshold k is not 1..n";
	if (index < 1 || index > n)
		return "share payload: the share index is not 1..n";
	return NULL;
}

/* 1 when the share's commitment is commitments[index - 1]. */
static int commitment_matches(const struct spod_share_view *v)
{
	uint8_t c[SPOD_SHARE_COMMIT_BYTES];
	int ok;

	spod_share_commitment(c, v->seal_key_id, v->index, v->k, v->n, v->share);
	ok = sodium_memcmp(c, v->commitments + (size_t)(v->index - 1) * SPOD_SHARE_COMMIT_BYTES,
	                   sizeof c) == 0;
	sodium_memzero(c, sizeof c);
	return ok;
}

int spod_share_parse(struct spod_share_view *v, const uint8_t *buf, size_t len, const char **why)
{
	struct spod_share_view t;
	const char *bad;

	memset(v, 0, sizeof *v);
	*why = NULL;
	if (buf == NULL || len == 0)
		return refuse(why, "share payload is empty");
	if (buf[OFF_VERSION] != SPOD_SHARE_PAYLOAD_VERSION)
		return refuse(why, "share payload version is not 1");
	if (len < SPOD_SHARE_PAYLOAD_HEAD_BYTES)
		return refuse(why, "share payload is truncated");
	bad = params_error(buf[OFF_K], buf[OFF_N], buf[OFF_INDEX]);
	if (bad != NULL)
		return refuse(why, bad);
	if (len != SPOD_SHARE_PAYLOAD_BYTES(buf[OFF_N]))
		return refuse(why, len < SPOD_SHARE_PAYLOAD_BYTES(buf[OFF_N])
		                       ? "share payload is truncated"
		                       : "share payload has bytes after its n commitments");
	t.k = buf[OFF_K];
	t.n = buf[OFF_N];
	t.index = buf[OFF_INDEX];
	t.seal_key_id = buf + OFF_SEAL_KEY_ID;
	t.share = buf + OFF_SHARE;
	t.commitments = buf + OFF_COMMITMENTS;
	if (!commitment_matches(&t))
		return refuse(why, mismatch_msgs[t.index]);
	*v = t;
	return SPOD_OK;
}

int spod_share_encode(uint8_t *out, size_t cap, size_t *len, const struct spod_share_view *v)
{
	size_t need;

	*len = 0;
	if (params_error(v->k, v->n, v->index) != NULL)
		return SPOD_E_BAD_ARG;
	if (!commitment_matches(v))
		return SPOD_E_BAD_SHARE;
	need = SPOD_SHARE_PAYLOAD_BYTES(v->n);
	if (cap < need)
		return SPOD_E_TOO_LARGE;
	out[OFF_VERSION] = SPOD_SHARE_PAYLOAD_VERSION;
	out[OFF_K] = v->k;
	out[OFF_N] = v->n;
	out[OFF_INDEX] = v->index;
	memcpy(out + OFF_SEAL_KEY_ID, v->seal_key_id, SPOD_SEAL_KEY_ID_BYTES);
	memcpy(out + OFF_SHARE, v->share, SPOD_SHARE_BYTES);
	memcpy(out + OFF_COMMITMENTS, v->commitments, (size_t)v->n * SPOD_SHARE_COMMIT_BYTES);
	*len = need;
	return SPOD_OK;
}

static unsigned popcount32(uint32_t x)
{
	unsigned c = 0;

	for (; x != 0; x &= x - 1)
		c++;
	return c;
}

static void progress_of(const struct spod_share_set *set, struct spod_share_progress *p)
{
	p->present = popcount32(set->present);
	p->threshold = set->k;
	p->needed = p->present < p->threshold ? p->threshold - p->present : 0;
}

/* Back to the state spod_share_set_init left: no share, no parameters, the fixed id kept. */
static void set_empty(struct spod_share_set *set)
{
	sodium_memzero(set->shares, (size_t)SPOD_SHARES_MAX * SPOD_SHARE_BYTES);
	set->present = 0;
	set->k = 0;
	set->n = 0;
	memset(set->commitments, 0, sizeof set->commitments);
	set->have_id = set->id_fixed;
	if (!set->id_fixed)
		memset(set->seal_key_id, 0, sizeof set->seal_key_id);
}

int spod_share_set_init(struct spod_share_set *set, const uint8_t *seal_key_id)
{
	memset(set, 0, sizeof *set);
	set->shares = spod_secmem_alloc((size_t)SPOD_SHARES_MAX * SPOD_SHARE_BYTES);
	if (set->shares == NULL)
		return SPOD_E_NOMEM;
	if (seal_key_id != NULL) {
		memcpy(set->seal_key_id, seal_key_id, SPOD_SEAL_KEY_ID_BYTES);
		set->id_fixed = 1;
		set->have_id = 1;
	}
	return SPOD_OK;
}

int spod_share_set_expect(struct spod_share_set *set,
                          const uint8_t seal_key_id[static SPOD_SEAL_KEY_ID_BYTES],
                          unsigned *dropped)
{
	const int same = sodium_memcmp(set->seal_key_id, seal_key_id, SPOD_SEAL_KEY_ID_BYTES) == 0;

	*dropped = 0;
	if (set->id_fixed)
		return same ? SPOD_OK : SPOD_E_WRONG_SEAL_KEY;
	if (set->have_id && !same) {
		*dropped = (unsigned)__builtin_popcount(set->present);
		set_empty(set);
	}
	memcpy(set->seal_key_id, seal_key_id, SPOD_SEAL_KEY_ID_BYTES);
	set->id_fixed = 1;
	set->have_id = 1;
	return SPOD_OK;
}

void spod_share_set_free(struct spod_share_set *set)
{
	spod_secmem_free(set->shares);
	sodium_memzero(set, sizeof *set);
}

int spod_share_set_add(struct spod_share_set *set, struct spod_share_progress *progress,
                       const struct spod_share_view *share, const char **why)
{
	const size_t clen = (size_t)share->n * SPOD_SHARE_COMMIT_BYTES;
	uint32_t bit;
	int rc = SPOD_E_BAD_SHARE;

	*why = NULL;
	if (params_error(share->k, share->n, share->index) != NULL) {
		/* Not a view from spod_share_parse: a caller's bug, refused all the same. */
		progress_of(set, progress);
		return refuse(why, "share payload: k, n or index out of range");
	}
	bit = UINT32_C(1) << (share->index - 1);
	if (set->have_id &&
	    memcmp(set->seal_key_id, share->seal_key_id, SPOD_SEAL_KEY_ID_BYTES) != 0) {
		*why = "the share is for another seal key";
		rc = SPOD_E_WRONG_SEAL_KEY;
	} else if (set->k != 0 && (share->k != set->k || share->n != set->n ||
	                           memcmp(set->commitments, share->commitments, clen) != 0)) {
		*why = other_set_msgs[share->index];
	} else if (set->present & bit) {
		*why = duplicate_msgs[share->index];
	} else {
		if (set->k == 0) {
			set->k = share->k;
			set->n = share->n;
			memcpy(set->commitments, share->commitments, clen);
			memcpy(set->seal_key_id, share->seal_key_id, SPOD_SEAL_KEY_ID_BYTES);
			set->have_id = 1;
		}
		memcpy(set->shares + (size_t)(share->index - 1) * SPOD_SHARE_BYTES, share->share,
		       SPOD_SHARE_BYTES);
		set->present |= bit;
		rc = SPOD_OK;
	}
	progress_of(set, progress);
	return rc;
}

int spod_share_set_rebuild(struct spod_share_set *set, uint8_t seal_key[static SPOD_SEAL_KEY_BYTES],
                           const char **why)
{
	uint8_t xs[SPOD_SHARES_MAX];
	uint8_t id[SPOD_SEAL_KEY_ID_BYTES];
	unsigned k = set->k, got = 0;
	int rc;

	sodium_memzero(seal_key, SPOD_SEAL_KEY_BYTES);
	*why = NULL;
	if (k == 0 || popcount32(set->present) < k) {
		*why = "fewer shares than the threshold are here";
		return SPOD_E_NOT_PROVISIONED;
	}
	/* The k lowest indexes, moved to the front (slot i - 1 >= got, so nothing is lost). */
	for (unsigned i = 1; i <= set->n && got < k; i++) {
		if (!(set->present & (UINT32_C(1) << (i - 1))))
			continue;
		xs[got] = (uint8_t)i;
		memmove(set->shares + (size_t)got * SPOD_SHARE_BYTES,
		        set->shares + (size_t)(i - 1) * SPOD_SHARE_BYTES, SPOD_SHARE_BYTES);
		got++;
	}
	rc = spod_shamir_combine(seal_key, xs, set->shares, k);
	if (rc == SPOD_OK) {
		spod_seal_key_id(id, seal_key);
		if (memcmp(id, set->seal_key_id, sizeof id) != 0) {
			sodium_memzero(seal_key, SPOD_SEAL_KEY_BYTES);
			*why = "the shares rebuild a different seal key";
			rc = SPOD_E_BAD_SHARE;
		}
	} else {
		*why = spod_strerror(rc);
	}
	set_empty(set);
	return rc;
}
