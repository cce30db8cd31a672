/*
 * SoftHSM2 as a peer: its PKCS#11 module loaded into this process (dlopen, --softhsm PATH),
 * a token initialised in a private temporary token directory (SOFTHSM2_CONF points at a
 * configuration written here, so no token of the user's is touched), one session key pair per
 * algorithm made by C_GenerateKeyPair (P-256 and secp256k1 CKM_EC_KEY_PAIR_GEN, Ed25519
 * CKM_EC_EDWARDS_KEY_PAIR_GEN), then C_SignInit + C_Sign over the same 32 bytes as (b), one at a
 * time (CKM_ECDSA over the digest, CKM_EDDSA over the message). The last signature of each row
 * is verified. Built only when a PKCS#11 header was found (p11-kit's, SPOD_BENCH_PKCS11).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "crypto/sign.h"

#ifndef SPOD_BENCH_PKCS11

void bench_softhsm_rows(struct bench_run *r, struct bench_samples *s)
{
	(void)s;
	snprintf(r->peer_skipped[BENCH_PEER_SOFTHSM], BENCH_TEXT_MAX,
	         "spod-bench was built without a PKCS#11 header (libp11-kit-dev)");
}

#else

#include <dlfcn.h>
#include <ftw.h>
#include <p11-kit/pkcs11.h>
#include <sys/stat.h>
#include <unistd.h>

#define SO_PIN   "87654321"
#define USER_PIN "123456"

struct hsm {
	void *lib;
	CK_FUNCTION_LIST_PTR f;
	CK_SESSION_HANDLE session;
	int initialized;
	int have_session;
	char dir[64]; /* the private token directory's parent */
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 ? -1 : 0;
}

/* A configuration whose only token directory is a fresh one of ours; sets SOFTHSM2_CONF. */
static int private_config(struct hsm *h, char *why)
{
	char path[128];
	FILE *f;

	snprintf(h->dir, sizeof(h->dir), "%s/spod-bench-hsm.XXXXXX",
	         getenv("TMPDIR") != NULL && strlen(getenv("TMPDIR")) < 32 ? getenv("TMPDIR")
	                                                                   : "/tmp");
	if (mkdtemp(h->dir) == NULL) {
		snprintf(why, BENCH_TEXT_MAX, "mkdtemp: %s", strerror(errno));
		h->dir[0] = '\0';
		return -1;
	}
	snprintf(path, sizeof(path), "%s/tokens", h->dir);
	if (mkdir(path, 0700) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/softhsm2.conf", h->dir);
	f = fopen(path, "w");
	if (f == NULL)
		return -1;
	fprintf(f,
	        "directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n",
	        h->dir);
	if (fclose(f) != 0)
		return -1;
	return setenv("SOFTHSM2_CONF", path, 1);
}

/* Loads the module, initialises a token and logs a read-write session in as its user. */
static int hsm_open(struct hsm *h, const char *module, char *why)
{
	CK_C_GetFunctionList get;
	CK_SLOT_ID slots[16];
	CK_ULONG count = 16;
	CK_UTF8CHAR label[32];
	CK_RV rv;

	if (private_config(h, why) < 0) {
		if (why[0] == '\0')
			snprintf(why, BENCH_TEXT_MAX, "cannot write a SoftHSM2 configuration");
		return -1;
	}
	h->lib = dlopen(module, RTLD_NOW | RTLD_LOCAL);
	if (h->lib == NULL) {
		snprintf(why, BENCH_TEXT_MAX, "no SoftHSM2 module (%.200s)", dlerror());
		return -1;
	}
	*(void **)&get = dlsym(h->lib, "C_GetFunctionList");
	if (get == NULL || get(&h->f) != CKR_OK) {
		snprintf(why, BENCH_TEXT_MAX, "%.160s has no C_GetFunctionList", module);
		return -1;
	}
	/* From here on a failure is the module's, not a missing tool: an error. */
	rv = h->f->C_Initialize(NULL_PTR);
	h->initialized = rv == CKR_OK;
	if (rv == CKR_OK)
		rv = h->f->C_GetSlotList(CK_FALSE, slots, &count);
	if (rv == CKR_OK && count == 0)
		rv = CKR_SLOT_ID_INVALID;
	memset(label, ' ', sizeof(label));
	memcpy(label, "spod-bench", 10);
	if (rv == CKR_OK)
		rv = h->f->C_InitToken(slots[0], (CK_UTF8CHAR_PTR)SO_PIN, 8, label);
	/* SoftHSM2 gives an initialised token a new slot id: find it by its label. */
	count = 16;
	if (rv == CKR_OK)
		rv = h->f->C_GetSlotList(CK_TRUE, slots, &count);
	for (CK_ULONG i = 0; rv == CKR_OK && i < count; i++) {
		CK_TOKEN_INFO info;

		if (h->f->C_GetTokenInfo(slots[i], &info) == CKR_OK &&
		    memcmp(info.label, label, sizeof(label)) == 0) {
			rv = h->f->C_OpenSession(slots[i], CKF_SERIAL_SESSION | CKF_RW_SESSION,
			                         NULL_PTR, NULL_PTR, &h->session);
			h->have_session = rv == CKR_OK;
			break;
		}
	}
	if (rv == CKR_OK && !h->have_session)
		rv = CKR_TOKEN_NOT_PRESENT;
	if (rv == CKR_OK)
		rv = h->f->C_Login(h->session, CKU_SO, (CK_UTF8CHAR_PTR)SO_PIN, 8);
	if (rv == CKR_OK)
		rv = h->f->C_InitPIN(h->session, (CK_UTF8CHAR_PTR)USER_PIN, 6);
	if (rv == CKR_OK)
		rv = h->f->C_Logout(h->session);
	if (rv == CKR_OK)
		rv = h->f->C_Login(h->session, CKU_USER, (CK_UTF8CHAR_PTR)USER_PIN, 6);
	if (rv != CKR_OK) {
		fprintf(stderr, "spod-bench: SoftHSM2: setting up a token failed, CK_RV 0x%lx\n",
		        (unsigned long)rv);
		return -2;
	}
	return 0;
}

static void hsm_close(struct hsm *h)
{
	if (h->have_session) {
		h->f->C_Logout(h->session);
		h->f->C_CloseSession(h->session);
	}
	if (h->initialized)
		h->f->C_Finalize(NULL_PTR);
	/* The module stays loaded: unloading libraries that use OpenSSL is not always safe. */
	if (h->dir[0] != '\0')
		nftw(h->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* A session key pair for alg; its public key as spod writes it (raw 32 bytes, or 0x04||X||Y). */
static CK_RV make_key(struct hsm *h, uint8_t alg, CK_OBJECT_HANDLE *priv, uint8_t *pub,
                      size_t *pub_len)
{
	static const uint8_t oid_p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48,
	                                   0xce, 0x3d, 0x03, 0x01, 0x07};
	static const uint8_t oid_k1[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a};
	static const uint8_t oid_ed[] = {0x06, 0x03, 0x2b, 0x65, 0x70};
	CK_MECHANISM mech = {CKM_EC_KEY_PAIR_GEN, NULL_PTR, 0};
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	const uint8_t *oid = alg == SPOD_ALG_P256 ? oid_p256 : oid_k1;
	CK_ULONG oid_len = alg == SPOD_ALG_P256 ? sizeof(oid_p256) : sizeof(oid_k1);
	uint8_t point[128];
	CK_OBJECT_HANDLE pubh;
	CK_RV rv;

	if (alg == SPOD_ALG_ED25519) {
		mech.mechanism = CKM_EC_EDWARDS_KEY_PAIR_GEN;
		oid = oid_ed;
		oid_len = sizeof(oid_ed);
	}
	CK_ATTRIBUTE pub_t[] = {
	    {CKA_EC_PARAMS, (void *)oid, oid_len},
	    {CKA_VERIFY, &yes, sizeof(yes)},
	    {CKA_TOKEN, &no, sizeof(no)},
	};
	CK_ATTRIBUTE priv_t[] = {
	    {CKA_SIGN, &yes, sizeof(yes)},      {CKA_TOKEN, &no, sizeof(no)},
	    {CKA_PRIVATE, &yes, sizeof(yes)},   {CKA_SENSITIVE, &yes, sizeof(yes)},
	    {CKA_EXTRACTABLE, &no, sizeof(no)},
	};
	CK_ATTRIBUTE get = {CKA_EC_POINT, point, sizeof(point)};

	rv = h->f->C_GenerateKeyPair(h->session, &mech, pub_t, 3, priv_t, 5, &pubh, priv);
	if (rv == CKR_OK)
		rv = h->f->C_GetAttributeValue(h->session, pubh, &get, 1);
	if (rv != CKR_OK)
		return rv;
	/* CKA_EC_POINT is a DER OCTET STRING around the point (or, for some modules, the point). */
	if (get.ulValueLen >= 2 && point[0] == 0x04 && point[1] == get.ulValueLen - 2 &&
	    (get.ulValueLen == 34 || get.ulValueLen == 67)) {
		memmove(point, point + 2, get.ulValueLen - 2);
		get.ulValueLen -= 2;
	}
	if (get.ulValueLen > SPOD_PUB_MAX_BYTES)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	memcpy(pub, point, get.ulValueLen);
	*pub_len = get.ulValueLen;
	return CKR_OK;
}

/* secp256k1's verifier takes low-S only; SoftHSM2 does not normalise: s = n - s if s > n/2. */
static void low_s(uint8_t sig[64])
{
	static const uint8_t n[32] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	                              0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
	                              0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b,
	                              0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41};
	static const uint8_t half[32] = {0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	                                 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	                                 0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d,
	                                 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0};
	uint8_t *s = sig + 32;
	int borrow = 0;

	if (memcmp(s, half, 32) <= 0)
		return;
	for (int i = 31; i >= 0; i--) {
		int v = n[i] - s[i] - borrow;

		borrow = v < 0;
		s[i] = (uint8_t)(v + (borrow ? 256 : 0));
	}
}

static int hsm_row(struct bench_stats *out, struct bench_samples *s, struct hsm *h,
                   const struct bench_alg *a, size_t warmup, size_t n)
{
	CK_MECHANISM mech = {a->alg == SPOD_ALG_ED25519 ? CKM_EDDSA : CKM_ECDSA, NULL_PTR, 0};
	uint8_t pub[SPOD_PUB_MAX_BYTES], sig[128], msg[BENCH_MSG_BYTES];
	CK_ULONG sig_len = 0;
	CK_OBJECT_HANDLE priv;
	size_t pub_len = 0;
	CK_RV rv;

	rv = make_key(h, a->alg, &priv, pub, &pub_len);
	if (rv != CKR_OK) {
		fprintf(stderr, "spod-bench: SoftHSM2: no %s key pair, CK_RV 0x%lx\n", a->name,
		        (unsigned long)rv);
		return SPOD_E_CRYPTO;
	}
	spod_random(msg, sizeof(msg));
	s->n = 0;
	for (size_t i = 0; i < warmup + n; i++) {
		uint64_t t0, t1;

		memcpy(msg, &i, sizeof(i));
		sig_len = sizeof(sig);
		t0 = bench_now_ns();
		rv = h->f->C_SignInit(h->session, &mech, priv);
		if (rv == CKR_OK)
			rv = h->f->C_Sign(h->session, msg, sizeof(msg), sig, &sig_len);
		t1 = bench_now_ns();
		if (rv != CKR_OK) {
			fprintf(stderr, "spod-bench: SoftHSM2: C_Sign %s, CK_RV 0x%lx\n", a->name,
			        (unsigned long)rv);
			return SPOD_E_CRYPTO;
		}
		if (i >= warmup)
			s->ns[s->n++] = t1 - t0;
	}
	h->f->C_DestroyObject(h->session, priv);
	if (sig_len != 64)
		return SPOD_E_BAD_SIGNATURE;
	if (a->alg == SPOD_ALG_SECP256K1)
		low_s(sig);
	if (spod_verify(a->alg, pub, pub_len, a->mode, msg, sizeof(msg), sig, sig_len) != SPOD_OK)
		return SPOD_E_BAD_SIGNATURE;
	bench_stats_compute(out, s);
	return SPOD_OK;
}

void bench_softhsm_rows(struct bench_run *r, struct bench_samples *s)
{
	static struct hsm h;
	int rc;

	memset(&h, 0, sizeof(h));
	rc = hsm_open(&h, r->cfg.softhsm, r->peer_skipped[BENCH_PEER_SOFTHSM]);
	if (rc == -2)
		r->errors++;
	for (int i = 0; i < BENCH_ALGS && rc == 0; i++) {
		struct bench_peer_result *x = &r->peer[BENCH_PEER_SOFTHSM][i];
		int row;

		fprintf(stderr, "spod-bench: peer SoftHSM2 C_Sign %s\n", r->alg[i].alg->name);
		row = hsm_row(&x->lat, s, &h, r->alg[i].alg, r->cfg.warmup, r->cfg.n);
		x->have = row == SPOD_OK;
		if (row < 0) {
			fprintf(stderr, "spod-bench: SoftHSM2 %s: %s\n", r->alg[i].alg->name,
			        spod_strerror(row));
			r->errors++;
		}
	}
	hsm_close(&h);
}

#endif
