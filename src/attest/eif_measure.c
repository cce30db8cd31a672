/*
 * EIF measurement: PCR0, PCR1, PCR2 and PCR8 of a parsed image, as `nitro-cli
 * describe-eif` computes them (the formulas are in attest/eif.h and docs/attestation.md,
 * "PCR formulas").
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "attest/eif_int.h"
#include "spod/err.h"

#define PCR SPOD_EIF_PCR_BYTES

/* pcr = SHA384(0^48 || digest of ctx): one TPM-style extend of a zeroed register. */
static int extend_from_zero(uint8_t pcr[PCR], EVP_MD_CTX *ctx)
{
	uint8_t buf[2 * PCR];
	unsigned int n = 0;

	memset(buf, 0, PCR);
	if (EVP_DigestFinal_ex(ctx, buf + PCR, &n) != 1 || n != PCR)
		return SPOD_E_CRYPTO;
	if (EVP_Digest(buf, sizeof buf, pcr, &n, EVP_sha384(), NULL) != 1 || n != PCR)
		return SPOD_E_CRYPTO;
	return SPOD_OK;
}

static int no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1;
}

/* PCR8 from the PEM certificate of the first PcrSignature, via DER as OpenSSL writes it. */
static int cert_pcr(uint8_t pcr[PCR], const struct spod_eif *eif, EVP_MD_CTX *ctx)
{
	uint8_t *pem = NULL, *der = NULL;
	BIO *bio = NULL;
	X509 *cert = NULL;
	int der_len, rc = SPOD_E_NOMEM;

	if (eif->cert_pem_len > INT_MAX) {
		rc = SPOD_E_BAD_KEY;
		goto out;
	}
	pem = malloc(eif->cert_pem_len + 1);
	if (pem == NULL)
		goto out;
	SPOD_GUARD(rc, spod_eif_sig_cert_pem(pem, eif)); /* spod_eif_parse checked these bytes */
	rc = SPOD_E_NOMEM;
	bio = BIO_new_mem_buf(pem, (int)eif->cert_pem_len);
	if (bio == NULL)
		goto out;
	cert = PEM_read_bio_X509(bio, NULL, no_password, NULL);
	if (cert == NULL) {
		rc = SPOD_E_BAD_KEY;
		goto out;
	}
	rc = SPOD_E_CRYPTO;
	der_len = i2d_X509(cert, &der);
	if (der_len <= 0 || EVP_DigestInit_ex(ctx, EVP_sha384(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, der, (size_t)der_len) != 1)
		goto out;
	rc = extend_from_zero(pcr, ctx);
out:
	if (rc < 0)
		ERR_clear_error();
	OPENSSL_free(der);
	X509_free(cert);
	BIO_free(bio);
	free(pem);
	return rc;
}

/* Feeds sections the way EifReader::from_eif does (src/utils/eif_reader.rs). */
static int hash_sections(EVP_MD_CTX *image, EVP_MD_CTX *boot, EVP_MD_CTX *app,
                         const struct spod_eif *eif)
{
	unsigned ramdisks = 0;

	for (unsigned i = 0; i < eif->nsections; i++) {
		const struct spod_eif_section *s = &eif->sections[i];
		EVP_MD_CTX *second;

		if (s->type == SPOD_EIF_SECTION_KERNEL || s->type == SPOD_EIF_SECTION_CMDLINE)
			second = boot;
		else if (s->type == SPOD_EIF_SECTION_RAMDISK)
			second = ramdisks++ == 0 ? boot : app;
		else
			continue; /* signature and metadata are not part of PCR0..2 */
		if (EVP_DigestUpdate(image, s->data, s->len) != 1 ||
		    EVP_DigestUpdate(second, s->data, s->len) != 1)
			return SPOD_E_CRYPTO;
	}
	return SPOD_OK;
}

int spod_eif_measure(struct spod_eif_pcrs *out, const struct spod_eif *eif)
{
	EVP_MD_CTX *image = EVP_MD_CTX_new(), *boot = EVP_MD_CTX_new(), *app = EVP_MD_CTX_new();
	struct spod_eif_pcrs p;
	int rc = SPOD_E_NOMEM;

	memset(&p, 0, sizeof p);
	memset(out, 0, sizeof *out);
	if (image == NULL || boot == NULL || app == NULL)
		goto out;
	rc = SPOD_E_CRYPTO;
	if (EVP_DigestInit_ex(image, EVP_sha384(), NULL) != 1 ||
	    EVP_DigestInit_ex(boot, EVP_sha384(), NULL) != 1 ||
	    EVP_DigestInit_ex(app, EVP_sha384(), NULL) != 1)
		goto out;
	SPOD_GUARD(rc, hash_sections(image, boot, app, eif));
	SPOD_GUARD(rc, extend_from_zero(p.pcr0, image));
	SPOD_GUARD(rc, extend_from_zero(p.pcr1, boot));
	SPOD_GUARD(rc, extend_from_zero(p.pcr2, app));
	if (eif->cert_cbor != NULL) {
		SPOD_GUARD(rc, cert_pcr(p.pcr8, eif, image));
		p.has_pcr8 = 1;
	}
	*out = p;
	rc = SPOD_OK;
out:
	EVP_MD_CTX_free(image);
	EVP_MD_CTX_free(boot);
	EVP_MD_CTX_free(app);
	return rc;
}
