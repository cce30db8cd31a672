/*
 * The simulated NSM: the nitro backend's API and document format without the hardware,
 * for development. Documents chain to a development root (sim_ca.c), never to AWS's,
 * and module_id starts with "spod-sim-" so nobody mistakes one for the real thing.
 *
 * PCR policy. When the image file is an Enclave Image File (it starts with the magic
 * ".eif"), it is validated and measured exactly as nitro-cli and `spod measure` do
 * (spod_eif_parse + spod_eif_measure): PCR0, PCR1, PCR2 and, for a signed image, PCR8;
 * a file that starts with ".eif" but does not parse is refused. That is how the QEMU test
 * (docs/image.md) gets documents carrying the PCRs of the image it booted. Any other file
 * (by default spod-enclave's own executable) is measured as an EIF whose only section is
 * the whole file. With the EIF formulas (docs/research/nitro.md §4.3) and Z = 48 zero
 * bytes:
 *   PCR0 = SHA384(Z || SHA384(file))   the whole image
 *   PCR1 = PCR0                        kernel + cmdline + first ramdisk = the whole file
 *   PCR2 = SHA384(Z || SHA384(""))     no application ramdisks
 *   PCR3..15 = zero                    no IAM role, instance, certificate (PCR8) ...
 * PCR0..15 are locked, as on Nitro; PCR16..31 exist, are zero and unlocked. Documents
 * carry PCR0..15, the locked ones, as AWS's do.
 *
 * Certificates: every open issues a new intermediate (30 days) and leaf (3 hours, like
 * AWS's). A leaf older than one hour is replaced before signing, so a document's leaf
 * always has two hours left, and a long-running simulator keeps producing documents
 * that verify at their own timestamp.
 */
#include "nsm/sim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "attest/eif.h"
#include "common/hex.h"
#include "common/log.h"
#include "common/paths.h"
#include "crypto/secmem.h"
#include "nsm/backend.h"
#include "nsm/sim_ca.h"
#include "spod/err.h"

#define SIM_PCRS                    32u
#define SIM_LOCKED_PCRS             16u
#define SIM_MODULE_PREFIX           "spod-sim-"
#define SIM_INSTANCE_ID_BYTES       8u
#define SIM_INTERMEDIATE_CN         "spod dev NSM intermediate"
#define SIM_INTERMEDIATE_LIFETIME_S (30 * 86400LL)
#define SIM_LEAF_LIFETIME_S         (3 * 3600LL)
#define SIM_LEAF_RENEW_AFTER_S      3600LL
#define SIM_RANDOM_MAX_PER_CALL     256u
#define SIM_READ_CHUNK_BYTES        (64u * 1024u)
#define SIM_EIF_MAX_BYTES           (2048ull * 1024 * 1024) /* larger EIFs are refused */

struct sim {
	struct spod_nsm base;
	char module_id[sizeof(SIM_MODULE_PREFIX) + 2 * SIM_INSTANCE_ID_BYTES];
	uint8_t pcrs[SIM_PCRS][SPOD_ATTEST_PCR_BYTES];
	struct spod_nsm_sim_cert root;
	struct spod_nsm_sim_cert intermediate;
	struct spod_nsm_sim_cert leaf;
	int64_t leaf_not_before; /* Unix seconds */
	int64_t clock_offset_ms; /* spod_nsm_sim_advance_clock (tests) */
};

static int64_t sim_now_ms(const struct sim *s)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + s->clock_offset_ms;
}

/* out = SHA384(Z || digest), the TPM-style extend of an all-zero register. */
static int pcr_extend_zero(uint8_t out[SPOD_ATTEST_PCR_BYTES],
                           const uint8_t digest[SPOD_ATTEST_PCR_BYTES])
{
	uint8_t buf[2 * SPOD_ATTEST_PCR_BYTES] = {0};
	unsigned int n = 0;

	memcpy(buf + SPOD_ATTEST_PCR_BYTES, digest, SPOD_ATTEST_PCR_BYTES);
	if (EVP_Digest(buf, sizeof(buf), out, &n, EVP_sha384(), NULL) != 1 ||
	    n != SPOD_ATTEST_PCR_BYTES)
		return SPOD_E_CRYPTO;
	return SPOD_OK;
}

/* SHA-384 of the file at path, read in chunks. */
static int hash_file(uint8_t out[SPOD_ATTEST_PCR_BYTES], const char *path)
{
	EVP_MD_CTX *md = NULL;
	uint8_t *chunk = NULL;
	struct stat st;
	unsigned int n = 0;
	ssize_t r;
	int fd, rc = SPOD_E_IO;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		spod_error("nsm-sim: cannot measure the image %s: %s", path,
		           fd < 0 ? strerror(errno) : "not a regular file");
		goto out;
	}
	rc = SPOD_E_NOMEM;
	chunk = malloc(SIM_READ_CHUNK_BYTES);
	if (chunk == NULL)
		goto out;
	rc = SPOD_E_CRYPTO;
	md = EVP_MD_CTX_new();
	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha384(), NULL) != 1)
		goto out;
	for (;;) {
		r = read(fd, chunk, SIM_READ_CHUNK_BYTES);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			spod_error("nsm-sim: reading the image %s: %s", path, strerror(errno));
			rc = SPOD_E_IO;
			goto out;
		}
		if (r == 0)
			break;
		if (EVP_DigestUpdate(md, chunk, (size_t)r) != 1)
			goto out;
	}
	if (EVP_DigestFinal_ex(md, out, &n) != 1 || n != SPOD_ATTEST_PCR_BYTES)
		goto out;
	rc = SPOD_OK;
out:
	EVP_MD_CTX_free(md);
	free(chunk);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* 1 when the file at path starts with the EIF magic ".eif", 0 when not (or when it is
 * shorter), SPOD_E_IO when it cannot be read (hash_file reports why). */
static int is_eif(const char *path)
{
	uint8_t magic[4];
	size_t got = 0;
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return SPOD_E_IO;
	while (got < sizeof(magic)) {
		r = read(fd, magic + got, sizeof(magic) - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	return got == sizeof(magic) && memcmp(magic, ".eif", sizeof(magic)) == 0;
}

/* Reads the whole file (regular, up to SIM_EIF_MAX_BYTES) into *out (malloc'd). */
static int read_file(uint8_t **out, size_t *out_len, const char *path)
{
	uint8_t *buf = NULL;
	struct stat st;
	size_t len = 0, cap = 0;
	ssize_t r;
	int fd, rc = SPOD_E_IO;

	*out = NULL;
	*out_len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		spod_error("nsm-sim: cannot measure the image %s: %s", path,
		           fd < 0 ? strerror(errno) : "not a regular file");
		goto out;
	}
	for (;;) {
		if (len == cap) {
			size_t ncap = cap ? 2 * cap : (size_t)st.st_size + SIM_READ_CHUNK_BYTES;
			uint8_t *p;

			if (ncap > SIM_EIF_MAX_BYTES + 1)
				ncap = SIM_EIF_MAX_BYTES + 1;
			if (ncap <= cap) {
				spod_error("nsm-sim: the image %s is larger than %llu bytes", path,
				           (unsigned long long)SIM_EIF_MAX_BYTES);
				goto out;
			}
			p = realloc(buf, ncap);
			if (p == NULL) {
				rc = SPOD_E_NOMEM;
				goto out;
			}
			buf = p;
			cap = ncap;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			spod_error("nsm-sim: reading the image %s: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	*out = buf;
	*out_len = len;
	buf = NULL;
	rc = SPOD_OK;
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* PCR0/1/2 (and PCR8 when signed) of the EIF at path, as `spod measure` computes them. */
static int sim_measure_eif(struct sim *s, const char *path)
{
	struct spod_eif eif;
	struct spod_eif_pcrs pcrs;
	uint8_t *img = NULL;
	size_t len = 0;
	int rc;

	SPOD_TRY(read_file(&img, &len, path));
	rc = spod_eif_parse(&eif, img, len);
	if (rc != SPOD_OK) {
		spod_error("nsm-sim: %s starts like an EIF but is not a valid one: %s", path,
		           eif.error != NULL ? eif.error : spod_strerror(rc));
		rc = SPOD_E_IO;
		goto out;
	}
	rc = spod_eif_measure(&pcrs, &eif);
	if (rc != SPOD_OK) {
		spod_error("nsm-sim: cannot measure the EIF %s: %s", path, spod_strerror(rc));
		goto out;
	}
	memcpy(s->pcrs[0], pcrs.pcr0, SPOD_ATTEST_PCR_BYTES);
	memcpy(s->pcrs[1], pcrs.pcr1, SPOD_ATTEST_PCR_BYTES);
	memcpy(s->pcrs[2], pcrs.pcr2, SPOD_ATTEST_PCR_BYTES);
	if (pcrs.has_pcr8)
		memcpy(s->pcrs[8], pcrs.pcr8, SPOD_ATTEST_PCR_BYTES);
	spod_info("nsm-sim: measured the EIF %s (%zu bytes, %u sections)", path, len,
	          (unsigned)eif.nsections);
out:
	free(img);
	return rc;
}

static int sim_measure(struct sim *s, const char *image_path)
{
	uint8_t digest[SPOD_ATTEST_PCR_BYTES];
	unsigned int n = 0;
	int eif;

	memset(s->pcrs, 0, sizeof(s->pcrs));
	eif = is_eif(image_path);
	if (eif == 1)
		return sim_measure_eif(s, image_path);
	SPOD_TRY(hash_file(digest, image_path));
	SPOD_TRY(pcr_extend_zero(s->pcrs[0], digest));
	memcpy(s->pcrs[1], s->pcrs[0], SPOD_ATTEST_PCR_BYTES);
	if (EVP_Digest("", 0, digest, &n, EVP_sha384(), NULL) != 1)
		return SPOD_E_CRYPTO;
	return pcr_extend_zero(s->pcrs[2], digest);
}

/* Issues a new intermediate when the current one cannot cover a leaf, and a new leaf
 * when the current one is older than SIM_LEAF_RENEW_AFTER_S. */
static int sim_refresh(struct sim *s, int64_t now)
{
	struct spod_nsm_sim_cert fresh;
	int new_intermediate = 0;

	if (s->intermediate.cert == NULL || s->intermediate.not_after - now < SIM_LEAF_LIFETIME_S) {
		SPOD_TRY(spod_nsm_sim_issue(&fresh, &s->root, SIM_INTERMEDIATE_CN, 1, now,
		                            SIM_INTERMEDIATE_LIFETIME_S));
		spod_nsm_sim_cert_free(&s->intermediate);
		s->intermediate = fresh;
		new_intermediate = 1;
	}
	if (new_intermediate || s->leaf.cert == NULL ||
	    now - s->leaf_not_before >= SIM_LEAF_RENEW_AFTER_S || now < s->leaf_not_before) {
		SPOD_TRY(spod_nsm_sim_issue(&fresh, &s->intermediate, s->module_id, 0, now,
		                            SIM_LEAF_LIFETIME_S));
		spod_nsm_sim_cert_free(&s->leaf);
		s->leaf = fresh;
		s->leaf_not_before = now;
	}
	return SPOD_OK;
}

static int sim_attest(struct spod_nsm *base, uint8_t *doc, size_t cap, size_t *doc_len,
                      struct spod_bytes user_data, struct spod_bytes nonce,
                      struct spod_bytes public_key)
{
	struct sim *s = (struct sim *)base;
	struct spod_attest_doc_in in;
	struct spod_bytes cabundle[2];
	int64_t now_ms = sim_now_ms(s);

	SPOD_TRY(sim_refresh(s, now_ms / 1000));
	cabundle[0] = (struct spod_bytes){s->root.der, s->root.der_len};
	cabundle[1] = (struct spod_bytes){s->intermediate.der, s->intermediate.der_len};
	memset(&in, 0, sizeof(in));
	in.module_id = s->module_id;
	in.timestamp_ms = (uint64_t)now_ms;
	in.pcrs = (const uint8_t(*)[SPOD_ATTEST_PCR_BYTES])s->pcrs;
	in.npcrs = SIM_LOCKED_PCRS;
	in.certificate = (struct spod_bytes){s->leaf.der, s->leaf.der_len};
	in.cabundle = cabundle;
	in.ncabundle = 2;
	in.public_key = public_key;
	in.user_data = user_data;
	in.nonce = nonce;
	return spod_attest_doc_sign(doc, cap, doc_len, &in, s->leaf.key);
}

static int sim_describe_pcr(struct spod_nsm *base, uint8_t out[SPOD_ATTEST_PCR_BYTES], int *locked,
                            uint16_t index)
{
	struct sim *s = (struct sim *)base;

	if (index >= SIM_PCRS)
		return SPOD_E_BAD_ARG;
	memcpy(out, s->pcrs[index], SPOD_ATTEST_PCR_BYTES);
	*locked = index < SIM_LOCKED_PCRS;
	return SPOD_OK;
}

static int sim_get_random(struct spod_nsm *base, uint8_t *out, size_t len, size_t *got)
{
	size_t n = len < SIM_RANDOM_MAX_PER_CALL ? len : SIM_RANDOM_MAX_PER_CALL;

	(void)base;
	if (RAND_bytes(out, (int)n) != 1) {
		ERR_clear_error();
		return SPOD_E_CRYPTO;
	}
	*got = n;
	return SPOD_OK;
}

static void sim_close(struct spod_nsm *base)
{
	struct sim *s = (struct sim *)base;

	spod_nsm_sim_cert_free(&s->leaf);
	spod_nsm_sim_cert_free(&s->intermediate);
	spod_nsm_sim_cert_free(&s->root);
	spod_secmem_wipe(s, sizeof(*s));
	free(s);
}

static const struct spod_nsm_ops sim_ops = {
    .kind = SPOD_NSM_SIM,
    .attest = sim_attest,
    .describe_pcr = sim_describe_pcr,
    .get_random = sim_get_random,
    .close = sim_close,
};

static int sim_module_id(struct sim *s)
{
	uint8_t id[SIM_INSTANCE_ID_BYTES];
	size_t prefix = sizeof(SIM_MODULE_PREFIX) - 1;

	if (RAND_bytes(id, sizeof(id)) != 1) {
		ERR_clear_error();
		return SPOD_E_CRYPTO;
	}
	memcpy(s->module_id, SIM_MODULE_PREFIX, prefix);
	return spod_hex_encode(s->module_id + prefix, sizeof(s->module_id) - prefix, id,
	                       sizeof(id));
}

int spod_nsm_open_sim(struct spod_nsm **out, const char *state_dir, const char *image_path)
{
	struct sim *s;
	int rc;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return SPOD_E_NOMEM;
	s->base.ops = &sim_ops;
	if (spod_data_dir_ensure(state_dir) < 0) {
		spod_error("nsm-sim: %s is not a private directory of this user (mode 0700)",
		           state_dir);
		rc = SPOD_E_IO;
		goto out;
	}
	SPOD_GUARD(rc, sim_module_id(s));
	SPOD_GUARD(rc, sim_measure(s, image_path));
	SPOD_GUARD(rc, spod_nsm_sim_root_load(&s->root, state_dir, sim_now_ms(s) / 1000));
	SPOD_GUARD(rc, sim_refresh(s, sim_now_ms(s) / 1000));
	spod_warn("nsm: SIMULATED NSM %s: attestation documents are signed by the development "
	          "root in %s, not by AWS",
	          s->module_id, state_dir);
	*out = &s->base;
	rc = SPOD_OK;
out:
	if (rc < 0)
		sim_close(&s->base);
	return rc;
}

void spod_nsm_sim_advance_clock(struct spod_nsm *n, int64_t ms)
{
	struct sim *s = (struct sim *)n;

	if (n->ops == &sim_ops)
		s->clock_offset_ms += ms;
}
