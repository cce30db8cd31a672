/*
 * The simulated NSM's development CA. The root lives in the state directory as two PEM
 * files (certificate, PKCS#8 key), mode 0600, written to a temporary name and renamed so
 * a crash never leaves half a file; the key is written first, so a present certificate
 * means a complete root. Creation holds flock on the directory, so two simulators
 * started together agree on one root. Certificates follow AWS's chain: P-384 keys,
 * ecdsa-with-SHA384, critical basicConstraints and keyUsage.
 */
#include "nsm/sim_ca.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "common/log.h"
#include "crypto/secmem.h"
#include "nsm/nsm.h"
#include "spod/err.h"

#define SIM_FILE_MAX_BYTES (64u * 1024u)
#define SIM_SERIAL_BYTES   16u
/* A root this close to its end could not cover a 3-hour leaf: replace it. */
#define SIM_ROOT_MIN_REMAINING_S (3 * 3600LL)

enum cert_kind { CERT_ROOT, CERT_CA, CERT_LEAF };

void spod_nsm_sim_cert_free(struct spod_nsm_sim_cert *c)
{
	EVP_PKEY_free(c->key);
	X509_free(c->cert);
	OPENSSL_free(c->der);
	memset(c, 0, sizeof(*c));
}

/* Sets der and not_after from c->cert. */
static int cert_finish(struct spod_nsm_sim_cert *c)
{
	unsigned char *der = NULL;
	struct tm tm;
	int n;

	n = i2d_X509(c->cert, &der);
	if (n <= 0)
		return SPOD_E_CRYPTO;
	c->der = der;
	c->der_len = (size_t)n;
	if (!ASN1_TIME_to_tm(X509_get0_notAfter(c->cert), &tm))
		return SPOD_E_CRYPTO;
	c->not_after = (int64_t)timegm(&tm);
	return SPOD_OK;
}

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	ext = X509V3_EXT_nconf_nid(NULL, &ctx, nid, value);
	if (ext == NULL)
		return SPOD_E_CRYPTO;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? SPOD_OK : SPOD_E_CRYPTO;
}

/* A random positive 16-byte serial number. */
static int set_serial(X509 *x)
{
	uint8_t raw[SIM_SERIAL_BYTES];
	ASN1_INTEGER *ai = NULL;
	BIGNUM *bn = NULL;
	int rc = SPOD_E_CRYPTO;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return SPOD_E_CRYPTO;
	raw[0] = (uint8_t)((raw[0] & 0x7f) | 0x40);
	bn = BN_bin2bn(raw, sizeof(raw), NULL);
	if (bn != NULL && (ai = BN_to_ASN1_INTEGER(bn, NULL)) != NULL &&
	    X509_set_serialNumber(x, ai))
		rc = SPOD_OK;
	ASN1_INTEGER_free(ai);
	BN_free(bn);
	return rc;
}

/*
 * A certificate for key: self-signed when kind is CERT_ROOT (issuer and issuer_key are
 * then ignored), else signed by issuer_key under issuer's name; valid [now, not_after].
 */
static int make_cert(X509 **out, EVP_PKEY *key, const char *cn, enum cert_kind kind, X509 *issuer,
                     EVP_PKEY *issuer_key, int64_t now, int64_t not_after)
{
	static const char *const constraints[] = {"critical,CA:TRUE", "critical,CA:TRUE,pathlen:0",
	                                          "critical,CA:FALSE"};
	static const char *const usages[] = {"critical,keyCertSign,cRLSign",
	                                     "critical,keyCertSign,cRLSign",
	                                     "critical,digitalSignature"};
	X509_NAME *name = NULL;
	X509 *x = NULL;
	time_t t = (time_t)now;
	int64_t life = not_after - now;
	int rc = SPOD_E_CRYPTO;

	*out = NULL;
	if (kind == CERT_ROOT)
		issuer_key = key;
	x = X509_new();
	name = X509_NAME_new();
	if (x == NULL || name == NULL || life <= 0 || !X509_set_version(x, X509_VERSION_3))
		goto out;
	SPOD_GUARD(rc, set_serial(x));
	rc = SPOD_E_CRYPTO;
	if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1,
	                                -1, 0) ||
	    !X509_set_subject_name(x, name))
		goto out;
	if (kind == CERT_ROOT)
		issuer = x;
	if (!X509_set_issuer_name(x, X509_get_subject_name(issuer)))
		goto out;
	if (X509_time_adj_ex(X509_getm_notBefore(x), 0, 0, &t) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), (int)(life / 86400), (long)(life % 86400),
	                     &t) == NULL)
		goto out;
	if (!X509_set_pubkey(x, key))
		goto out;
	SPOD_GUARD(rc, add_ext(x, issuer, NID_basic_constraints, constraints[kind]));
	SPOD_GUARD(rc, add_ext(x, issuer, NID_key_usage, usages[kind]));
	SPOD_GUARD(rc, add_ext(x, issuer, NID_subject_key_identifier, "hash"));
	if (kind != CERT_ROOT)
		SPOD_GUARD(rc, add_ext(x, issuer, NID_authority_key_identifier, "keyid:always"));
	rc = SPOD_E_CRYPTO;
	if (X509_sign(x, issuer_key, EVP_sha384()) <= 0)
		goto out;
	*out = x;
	x = NULL;
	rc = SPOD_OK;
out:
	X509_NAME_free(name);
	X509_free(x);
	if (rc < 0)
		ERR_clear_error();
	return rc;
}

int spod_nsm_sim_issue(struct spod_nsm_sim_cert *out, const struct spod_nsm_sim_cert *issuer,
                       const char *cn, int ca, int64_t now, int64_t lifetime_s)
{
	int64_t not_after = now + lifetime_s;
	int rc;

	memset(out, 0, sizeof(*out));
	if (not_after > issuer->not_after)
		not_after = issuer->not_after;
	out->key = EVP_EC_gen("P-384");
	if (out->key == NULL) {
		rc = SPOD_E_CRYPTO;
		goto out;
	}
	SPOD_GUARD(rc, make_cert(&out->cert, out->key, cn, ca ? CERT_CA : CERT_LEAF, issuer->cert,
	                         issuer->key, now, not_after));
	rc = cert_finish(out);
out:
	if (rc < 0) {
		ERR_clear_error();
		spod_nsm_sim_cert_free(out);
	}
	return rc;
}

/*
 * Reads dirfd/name (a regular file, not a symlink, at most SIM_FILE_MAX_BYTES) into a
 * NUL-terminated malloc'ed buffer; *mode gets its permission bits. Returns SPOD_OK,
 * SPOD_E_UNAVAILABLE (absent) or SPOD_E_IO.
 */
static int read_small_file(int dirfd, const char *name, char **out, size_t *out_len, mode_t *mode)
{
	struct stat st;
	char *buf = NULL;
	size_t off = 0;
	ssize_t r;
	int fd, rc = SPOD_E_IO;

	*out = NULL;
	*out_len = 0;
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? SPOD_E_UNAVAILABLE : SPOD_E_IO;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (uint64_t)st.st_size > SIM_FILE_MAX_BYTES)
		goto out;
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		rc = SPOD_E_NOMEM;
		goto out;
	}
	while (off < (size_t)st.st_size) {
		r = read(fd, buf + off, (size_t)st.st_size - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			goto out;
		off += (size_t)r;
	}
	buf[off] = '\0';
	*out = buf;
	*out_len = off;
	*mode = st.st_mode & 07777;
	buf = NULL;
	rc = SPOD_OK;
out:
	if (buf != NULL) {
		spod_secmem_wipe(buf, (size_t)st.st_size + 1);
		free(buf);
	}
	close(fd);
	return rc;
}

static void free_file(char *buf, size_t len)
{
	if (buf != NULL) {
		spod_secmem_wipe(buf, len);
		free(buf);
	}
}

/* Writes data to dirfd/name, mode 0600, through a temporary file and rename. */
static int write_file_atomic(int dirfd, const char *name, const void *data, size_t len)
{
	char tmp[128];
	size_t off = 0;
	ssize_t w;
	int fd, n;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return SPOD_E_INTERNAL;
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return SPOD_E_IO;
	if (fchmod(fd, 0600) < 0)
		goto fail;
	while (off < len) {
		w = write(fd, (const uint8_t *)data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		off += (size_t)w;
	}
	if (fsync(fd) < 0)
		goto fail;
	close(fd);
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		unlinkat(dirfd, tmp, 0);
		return SPOD_E_IO;
	}
	return SPOD_OK;
fail:
	close(fd);
	unlinkat(dirfd, tmp, 0);
	return SPOD_E_IO;
}

/* Writes the PEM produced into bio to dirfd/name. */
static int write_bio_file(int dirfd, const char *name, BIO *bio)
{
	char *text;
	long len;

	len = BIO_get_mem_data(bio, &text);
	if (len <= 0)
		return SPOD_E_CRYPTO;
	return write_file_atomic(dirfd, name, text, (size_t)len);
}

static int key_is_p384(EVP_PKEY *key)
{
	char group[32];
	size_t n = 0;

	return EVP_PKEY_is_a(key, "EC") &&
	       EVP_PKEY_get_group_name(key, group, sizeof(group), &n) == 1 &&
	       strcmp(group, "secp384r1") == 0;
}

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return 0;
}

/* Loads an existing root; SPOD_E_UNAVAILABLE when there is none or it must be replaced. */
static int root_read(struct spod_nsm_sim_cert *root, int dirfd, const char *dir, int64_t now)
{
	char *cert_pem = NULL, *key_pem = NULL;
	size_t cert_len = 0, key_len = 0;
	BIO *bio = NULL;
	mode_t mode = 0;
	int rc;

	rc = read_small_file(dirfd, SPOD_NSM_SIM_ROOT_CERT_FILE, &cert_pem, &cert_len, &mode);
	if (rc == SPOD_E_UNAVAILABLE)
		goto out;
	if (rc < 0) {
		spod_error("nsm-sim: cannot read %s/%s", dir, SPOD_NSM_SIM_ROOT_CERT_FILE);
		goto out;
	}
	rc = SPOD_E_IO;
	bio = BIO_new_mem_buf(cert_pem, (int)cert_len);
	if (bio == NULL ||
	    (root->cert = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL)) == NULL) {
		spod_error("nsm-sim: %s/%s is not a PEM certificate", dir,
		           SPOD_NSM_SIM_ROOT_CERT_FILE);
		goto out;
	}
	BIO_free(bio);
	bio = NULL;
	SPOD_GUARD(rc, cert_finish(root));
	if (root->not_after - now < SIM_ROOT_MIN_REMAINING_S) {
		spod_warn("nsm-sim: the development root in %s has expired; creating a new one",
		          dir);
		spod_nsm_sim_cert_free(root);
		rc = SPOD_E_UNAVAILABLE;
		goto out;
	}

	rc = read_small_file(dirfd, SPOD_NSM_SIM_ROOT_KEY_FILE, &key_pem, &key_len, &mode);
	if (rc < 0) {
		spod_error("nsm-sim: %s/%s is missing or unreadable; remove %s too to start over",
		           dir, SPOD_NSM_SIM_ROOT_KEY_FILE, SPOD_NSM_SIM_ROOT_CERT_FILE);
		rc = SPOD_E_IO;
		goto out;
	}
	if ((mode & 0077) != 0)
		spod_warn("nsm-sim: %s/%s is accessible to other users (mode %03o)", dir,
		          SPOD_NSM_SIM_ROOT_KEY_FILE, (unsigned)mode);
	rc = SPOD_E_IO;
	bio = BIO_new_mem_buf(key_pem, (int)key_len);
	if (bio == NULL ||
	    (root->key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL)) == NULL ||
	    !key_is_p384(root->key) || X509_check_private_key(root->cert, root->key) != 1 ||
	    X509_check_issued(root->cert, root->cert) != X509_V_OK ||
	    X509_verify(root->cert, root->key) != 1) {
		spod_error("nsm-sim: %s/%s and %s are not a P-384 self-signed root and its key",
		           dir, SPOD_NSM_SIM_ROOT_CERT_FILE, SPOD_NSM_SIM_ROOT_KEY_FILE);
		goto out;
	}
	rc = SPOD_OK;
out:
	BIO_free(bio);
	free_file(cert_pem, cert_len);
	free_file(key_pem, key_len);
	if (rc < 0) {
		ERR_clear_error();
		spod_nsm_sim_cert_free(root);
	}
	return rc;
}

static int root_create(struct spod_nsm_sim_cert *root, int dirfd, const char *dir, int64_t now)
{
	BIO *bio = NULL;
	int rc = SPOD_E_CRYPTO;

	root->key = EVP_EC_gen("P-384");
	if (root->key == NULL)
		goto out;
	SPOD_GUARD(rc, make_cert(&root->cert, root->key, SPOD_NSM_SIM_ROOT_CN, CERT_ROOT, NULL,
	                         NULL, now, now + SPOD_NSM_SIM_ROOT_LIFETIME_S));
	rc = SPOD_E_CRYPTO;
	bio = BIO_new(BIO_s_secmem());
	if (bio == NULL || !PEM_write_bio_PrivateKey(bio, root->key, NULL, NULL, 0, NULL, NULL))
		goto out;
	SPOD_GUARD(rc, write_bio_file(dirfd, SPOD_NSM_SIM_ROOT_KEY_FILE, bio));
	BIO_free(bio);
	rc = SPOD_E_CRYPTO;
	bio = BIO_new(BIO_s_mem());
	if (bio == NULL || !PEM_write_bio_X509(bio, root->cert))
		goto out;
	SPOD_GUARD(rc, write_bio_file(dirfd, SPOD_NSM_SIM_ROOT_CERT_FILE, bio));
	SPOD_GUARD(rc, cert_finish(root));
	spod_info("nsm-sim: created the development root CA %s/%s (not AWS)", dir,
	          SPOD_NSM_SIM_ROOT_CERT_FILE);
out:
	BIO_free(bio);
	if (rc < 0) {
		if (rc == SPOD_E_IO)
			spod_error("nsm-sim: cannot write the development root CA to %s: %s", dir,
			           strerror(errno));
		ERR_clear_error();
		spod_nsm_sim_cert_free(root);
	}
	return rc;
}

int spod_nsm_sim_root_load(struct spod_nsm_sim_cert *root, const char *state_dir, int64_t now)
{
	int dirfd, rc;

	memset(root, 0, sizeof(*root));
	dirfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		spod_error("nsm-sim: cannot open %s: %s", state_dir, strerror(errno));
		return SPOD_E_IO;
	}
	if (flock(dirfd, LOCK_EX) < 0) {
		spod_error("nsm-sim: cannot lock %s: %s", state_dir, strerror(errno));
		rc = SPOD_E_IO;
		goto out;
	}
	rc = root_read(root, dirfd, state_dir, now);
	if (rc == SPOD_E_UNAVAILABLE)
		rc = root_create(root, dirfd, state_dir, now);
out:
	close(dirfd); /* releases the lock */
	return rc;
}

int spod_nsm_sim_root_pem(char *out, size_t cap, const char *state_dir)
{
	char *pem = NULL;
	size_t len = 0;
	BIO *bio = NULL;
	X509 *cert = NULL, *extra = NULL;
	mode_t mode;
	int dirfd, rc;

	if (cap > 0)
		out[0] = '\0';
	dirfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return errno == ENOENT ? SPOD_E_UNAVAILABLE : SPOD_E_IO;
	rc = read_small_file(dirfd, SPOD_NSM_SIM_ROOT_CERT_FILE, &pem, &len, &mode);
	close(dirfd);
	if (rc < 0)
		return rc;
	rc = SPOD_E_IO;
	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio == NULL || (cert = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL)) == NULL)
		goto out;
	extra = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL);
	if (extra != NULL)
		goto out;
	if (len >= cap) {
		rc = SPOD_E_TOO_LARGE;
		goto out;
	}
	memcpy(out, pem, len + 1);
	rc = SPOD_OK;
out:
	ERR_clear_error();
	X509_free(extra);
	X509_free(cert);
	BIO_free(bio);
	free_file(pem, len);
	return rc;
}
