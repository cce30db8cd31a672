/*
 * EIF validation, PCR measurement and building. The format, the formulas and where each
 * rule comes from in AWS's sources are in docs/attestation-eif.md.
 */
#include "attest/eif.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "attest/cbor.h"
#include "spod/err.h"

/* Header fields, in the order EifHeader::to_be_bytes writes them (src/defs/mod.rs). */
#define HDR_VERSION      4u
#define HDR_FLAGS        6u
#define HDR_DEFAULT_MEM  8u
#define HDR_DEFAULT_CPUS 16u
#define HDR_NUM_SECTIONS 26u
#define HDR_OFFSETS      28u
#define HDR_SIZES        (HDR_OFFSETS + 8u * SPOD_EIF_MAX_SECTIONS)

_Static_assert(HDR_SIZES + 8u * SPOD_EIF_MAX_SECTIONS + 4u == SPOD_EIF_CRC_OFFSET,
               "the unused field sits between the size table and the CRC");
_Static_assert(SPOD_EIF_CRC_OFFSET + 4u == SPOD_EIF_HEADER_BYTES, "the CRC ends the header");

#define SEC_HDR SPOD_EIF_SECTION_HEADER_BYTES
#define PCR     SPOD_EIF_PCR_BYTES

static const uint8_t eif_magic[4] = {'.', 'e', 'i', 'f'};

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	put_be16(p, (uint16_t)(v >> 16));
	put_be16(p + 2, (uint16_t)v);
}

static void put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, (uint32_t)(v >> 32));
	put_be32(p + 4, (uint32_t)v);
}

/*
 * The table is rebuilt on every call (2048 shifts, about a microsecond next to hashing a
 * kernel) so there is no shared state to initialise.
 */
uint32_t spod_eif_crc32(uint32_t crc, const uint8_t *p, size_t n)
{
	uint32_t table[256];

	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
		table[i] = c;
	}
	crc = ~crc;
	for (size_t i = 0; i < n; i++)
		crc = table[(crc ^ p[i]) & 0xffu] ^ (crc >> 8);
	return ~crc;
}

/* The CRC AWS's builder stores: header without its CRC field, then every section. */
static uint32_t image_crc(const uint8_t *img, size_t len)
{
	uint32_t crc = spod_eif_crc32(0, img, SPOD_EIF_CRC_OFFSET);
	return spod_eif_crc32(crc, img + SPOD_EIF_HEADER_BYTES, len - SPOD_EIF_HEADER_BYTES);
}

/*
 * Reads a Rust Vec<u8> as serde_cbor writes it: an array of unsigned integers 0..255 (any
 * head width, definite or indefinite; serde rejects a CBOR byte string here). Sets *n to
 * the element count and, when out is not NULL, stores the bytes there (out then has room
 * for the count a previous call on the same bytes returned). On failure r does not move.
 */
static int read_u8_vec(struct spod_cbor_reader *r, uint8_t *out, size_t *n)
{
	struct spod_cbor_reader t = *r;
	struct spod_cbor_container arr;
	struct spod_cbor_item it;
	size_t count = 0;
	int more;

	SPOD_TRY(spod_cbor_next(&t, &it));
	if (it.kind != SPOD_CBOR_ARRAY)
		return SPOD_E_BAD_FIELD;
	spod_cbor_container_init(&arr, &it);
	for (;;) {
		SPOD_TRY(spod_cbor_more(&t, &arr, &more));
		if (!more)
			break;
		SPOD_TRY(spod_cbor_next(&t, &it));
		if (it.kind != SPOD_CBOR_UINT || it.value > UINT8_MAX)
			return SPOD_E_BAD_FIELD;
		if (out != NULL)
			out[count] = (uint8_t)it.value;
		count++;
	}
	*n = count;
	*r = t;
	return SPOD_OK;
}

static int fail(const char **why, int rc, const char *text)
{
	*why = text;
	return rc;
}

/* One PcrSignature map; the certificate's position is kept for the first entry only. */
static int check_pcr_signature(struct spod_eif *e, struct spod_cbor_reader *r, int first,
                               const char **why)
{
	static const char bad[] = "signature section: an entry is not a map of byte vectors "
	                          "keyed \"signing_certificate\" and \"signature\"";
	struct spod_cbor_container map;
	struct spod_cbor_item key;
	int more, is_cert, is_sig, seen_cert = 0, seen_sig = 0;
	size_t start, n;

	if (spod_cbor_next(r, &key) < 0 || key.kind != SPOD_CBOR_MAP)
		return fail(why, SPOD_E_BAD_FIELD, bad);
	spod_cbor_container_init(&map, &key);
	for (;;) {
		if (spod_cbor_more(r, &map, &more) < 0)
			return fail(why, SPOD_E_BAD_FIELD, bad);
		if (!more)
			break;
		if (spod_cbor_next(r, &key) < 0 || key.kind != SPOD_CBOR_TSTR)
			return fail(why, SPOD_E_BAD_FIELD, bad);
		is_cert = spod_cbor_is_text(&key, "signing_certificate");
		is_sig = spod_cbor_is_text(&key, "signature");
		start = r->off;
		if (!is_cert && !is_sig) {
			if (spod_cbor_skip(r) < 0) /* serde ignores unknown fields */
				return fail(why, SPOD_E_BAD_FIELD, bad);
			continue;
		}
		if ((is_cert && seen_cert) || (is_sig && seen_sig))
			return fail(why, SPOD_E_BAD_FIELD,
			            "signature section: duplicate key in a PcrSignature");
		if (read_u8_vec(r, NULL, &n) < 0)
			return fail(why, SPOD_E_BAD_FIELD, bad);
		seen_cert |= is_cert;
		seen_sig |= is_sig;
		if (is_cert && first) {
			e->cert_cbor = r->buf + start;
			e->cert_cbor_len = r->off - start;
			e->cert_pem_len = n;
		}
	}
	if (!seen_cert || !seen_sig)
		return fail(
		    why, SPOD_E_BAD_FIELD,
		    "signature section: a PcrSignature lacks signing_certificate or signature");
	return SPOD_OK;
}

/*
 * AWS's reader deserialises the section as serde_cbor Vec<PcrSignature> and hashes the
 * certificate of entry 0 (src/utils/eif_reader.rs); accept what that accepts, with text
 * keys only (serde would also take field indices) and nothing after the array.
 */
static int check_signature(struct spod_eif *e, const uint8_t *p, size_t len, const char **why)
{
	struct spod_cbor_reader r;
	struct spod_cbor_container arr;
	struct spod_cbor_item it;
	uint64_t i;
	int more;

	spod_cbor_reader_init(&r, p, len);
	if (spod_cbor_next(&r, &it) < 0 || it.kind != SPOD_CBOR_ARRAY)
		return fail(why, SPOD_E_BAD_FIELD, "signature section is not a CBOR array");
	spod_cbor_container_init(&arr, &it);
	for (i = 0;; i++) {
		if (spod_cbor_more(&r, &arr, &more) < 0)
			return fail(why, SPOD_E_BAD_FIELD,
			            "signature section: the CBOR array is not closed");
		if (!more)
			break;
		SPOD_TRY(check_pcr_signature(e, &r, i == 0, why));
	}
	if (i == 0)
		return fail(why, SPOD_E_BAD_FIELD, "signature section holds no PcrSignature");
	if (!spod_cbor_at_end(&r))
		return fail(why, SPOD_E_BAD_FIELD, "signature section: bytes after the CBOR array");
	return SPOD_OK;
}

static int parse_header(struct spod_eif *e, const uint8_t *img, size_t len, const char **why)
{
	uint64_t pos = SPOD_EIF_HEADER_BYTES;
	uint16_t n;

	if (len < SPOD_EIF_HEADER_BYTES)
		return fail(why, SPOD_E_TRUNCATED, "image is shorter than the 548-byte EIF header");
	if (memcmp(img, eif_magic, sizeof eif_magic) != 0)
		return fail(why, SPOD_E_BAD_MAGIC, "not an EIF: it does not start with \".eif\"");
	e->version = be16(img + HDR_VERSION);
	if (e->version < SPOD_EIF_MIN_VERSION || e->version > SPOD_EIF_VERSION)
		return fail(why, SPOD_E_BAD_VERSION,
		            "EIF version not supported (spod reads 2 to 4)");
	/* Reserved flag bits, the reserved and unused fields and the table entries past
	 * num_sections are ignored, as the spec says the virtualization stack does. */
	e->flags = be16(img + HDR_FLAGS);
	e->default_mem = be64(img + HDR_DEFAULT_MEM);
	e->default_cpus = be64(img + HDR_DEFAULT_CPUS);
	e->crc32 = be32(img + SPOD_EIF_CRC_OFFSET);
	n = be16(img + HDR_NUM_SECTIONS);
	if (n == 0)
		return fail(why, SPOD_E_BAD_FIELD, "EIF header declares no sections");
	if (n > SPOD_EIF_MAX_SECTIONS)
		return fail(why, SPOD_E_TOO_LARGE, "EIF header declares more than 32 sections");
	e->nsections = n;

	/*
	 * The table must describe sections back to back from the end of the header: AWS's
	 * reader ignores the table and walks the file that way, the loader uses the table.
	 */
	for (unsigned i = 0; i < n; i++) {
		uint64_t off = be64(img + HDR_OFFSETS + 8u * i);
		uint64_t size = be64(img + HDR_SIZES + 8u * i);

		if (off != pos)
			return fail(
			    why, SPOD_E_BAD_REF,
			    "section offset table does not match the sections (gap, overlap "
			    "or outside the image)");
		if (size > UINT64_MAX - SEC_HDR - pos)
			return fail(why, SPOD_E_BAD_REF,
			            "section size in the header table overflows");
		pos += SEC_HDR + size;
	}
	if (pos > len)
		return fail(why, SPOD_E_TRUNCATED, "image ends inside a section");
	if (pos < len)
		return fail(why, SPOD_E_BAD_LENGTH, "bytes after the last section");
	return SPOD_OK;
}

/* The section rules of the spec (README.md "Data sections"). */
static int check_sections(const struct spod_eif *e, const unsigned *count, const char **why)
{
	if (count[SPOD_EIF_SECTION_KERNEL] != 1 || count[SPOD_EIF_SECTION_CMDLINE] != 1)
		return fail(why, SPOD_E_BAD_FIELD,
		            "image needs exactly one kernel and one cmdline section");
	if (count[SPOD_EIF_SECTION_METADATA] > 1 || count[SPOD_EIF_SECTION_SIGNATURE] > 1)
		return fail(why, SPOD_E_BAD_FIELD, "more than one metadata or signature section");
	if (e->version >= 4 && count[SPOD_EIF_SECTION_METADATA] == 0)
		return fail(why, SPOD_E_BAD_FIELD, "version 4 image without a metadata section");
	for (unsigned i = 0; i < e->nsections; i++) {
		if (e->sections[i].type == SPOD_EIF_SECTION_KERNEL)
			break;
		if (e->sections[i].type == SPOD_EIF_SECTION_RAMDISK)
			return fail(why, SPOD_E_BAD_FIELD, "ramdisk section before the kernel");
	}
	return SPOD_OK;
}

static int parse(struct spod_eif *e, const uint8_t *img, size_t len, const char **why)
{
	unsigned count[SPOD_EIF_SECTION_METADATA + 1] = {0};
	size_t pos = SPOD_EIF_HEADER_BYTES;

	SPOD_TRY(parse_header(e, img, len, why));
	/* parse_header proved the sections tile img exactly, so no bound is checked again. */
	for (unsigned i = 0; i < e->nsections; i++) {
		const uint8_t *h = img + pos;
		struct spod_eif_section *s = &e->sections[i];

		s->type = be16(h);
		s->flags = be16(h + 2);
		if (be64(h + 4) != be64(img + HDR_SIZES + 8u * i))
			return fail(why, SPOD_E_BAD_REF,
			            "section header size differs from the EIF header's size table");
		if (s->type == 0)
			return fail(why, SPOD_E_BAD_FIELD, "section of type 0 (EifSectionInvalid)");
		if (s->type > SPOD_EIF_SECTION_METADATA)
			return fail(why, SPOD_E_BAD_FIELD, "unknown section type");
		s->offset = pos;
		s->data = h + SEC_HDR;
		s->len = (size_t)be64(h + 4);
		count[s->type]++;
		pos += SEC_HDR + s->len;
	}
	SPOD_TRY(check_sections(e, count, why));
	for (unsigned i = 0; i < e->nsections; i++) {
		const struct spod_eif_section *s = &e->sections[i];

		if (s->type != SPOD_EIF_SECTION_SIGNATURE)
			continue;
		if (s->len > SPOD_EIF_SIGNATURE_MAX_BYTES)
			return fail(why, SPOD_E_TOO_LARGE,
			            "signature section larger than 32768 bytes");
		SPOD_TRY(check_signature(e, s->data, s->len, why));
	}
	/* Last, so that a damaged image reports what is structurally wrong with it first. */
	if (image_crc(img, len) != e->crc32)
		return fail(why, SPOD_E_BAD_SIGNATURE, "CRC-32 mismatch: the image is corrupt");
	return SPOD_OK;
}

int spod_eif_parse(struct spod_eif *out, const uint8_t *img, size_t len)
{
	struct spod_eif e;
	const char *why = NULL;
	int rc;

	memset(&e, 0, sizeof e);
	rc = img == NULL && len > 0 ? SPOD_E_BAD_ARG : parse(&e, img, len, &why);
	if (rc < 0) {
		memset(out, 0, sizeof *out);
		out->error = why ? why : "invalid argument";
		return rc;
	}
	*out = e;
	return SPOD_OK;
}

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
	struct spod_cbor_reader c;
	uint8_t *pem = NULL, *der = NULL;
	BIO *bio = NULL;
	X509 *cert = NULL;
	size_t n;
	int der_len, rc = SPOD_E_NOMEM;

	if (eif->cert_pem_len > INT_MAX) {
		rc = SPOD_E_BAD_KEY;
		goto out;
	}
	pem = malloc(eif->cert_pem_len + 1);
	if (pem == NULL)
		goto out;
	spod_cbor_reader_init(&c, eif->cert_cbor, eif->cert_cbor_len);
	if (read_u8_vec(&c, pem, &n) < 0 || n != eif->cert_pem_len) {
		rc = SPOD_E_INTERNAL; /* spod_eif_parse checked these bytes */
		goto out;
	}
	bio = BIO_new_mem_buf(pem, (int)n);
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

/* A Rust Vec<u8> as serde_cbor writes it: an array of small unsigned integers. */
static int put_u8_vec(struct spod_cbor_writer *w, const uint8_t *p, size_t n)
{
	SPOD_TRY(spod_cbor_put_head(w, SPOD_CBOR_MT_ARRAY, n));
	for (size_t i = 0; i < n; i++)
		SPOD_TRY(spod_cbor_put_head(w, SPOD_CBOR_MT_UINT, p[i]));
	return SPOD_OK;
}

static int put_text(struct spod_cbor_writer *w, const char *s)
{
	return spod_cbor_put_str(w, SPOD_CBOR_MT_TSTR, s, strlen(s));
}

/* [{"signing_certificate": cert, "signature": cose}], field order as serde writes it. */
static int put_signature(struct spod_cbor_writer *w, const uint8_t *cert_pem, size_t cert_pem_len,
                         const uint8_t *cose, size_t cose_len)
{
	SPOD_TRY(spod_cbor_put_head(w, SPOD_CBOR_MT_ARRAY, 1));
	SPOD_TRY(spod_cbor_put_head(w, SPOD_CBOR_MT_MAP, 2));
	SPOD_TRY(put_text(w, "signing_certificate"));
	SPOD_TRY(put_u8_vec(w, cert_pem, cert_pem_len));
	SPOD_TRY(put_text(w, "signature"));
	return put_u8_vec(w, cose, cose_len);
}

int spod_eif_sig_encode(uint8_t *out, size_t cap, size_t *out_len, const uint8_t *cert_pem,
                        size_t cert_pem_len, const uint8_t *cose, size_t cose_len)
{
	struct spod_cbor_writer w;

	*out_len = 0;
	if (cert_pem_len == 0 || (cose == NULL && cose_len > 0))
		return SPOD_E_BAD_ARG;
	/* An element takes at most 2 bytes: with both below SIZE_MAX / 4 the sum cannot wrap. */
	if (cert_pem_len > SIZE_MAX / 4 || cose_len > SIZE_MAX / 4) {
		*out_len = SIZE_MAX;
		return SPOD_E_TOO_LARGE;
	}
	spod_cbor_writer_init(&w, NULL, SIZE_MAX); /* counts only: the size to report */
	SPOD_TRY(put_signature(&w, cert_pem, cert_pem_len, cose, cose_len));
	*out_len = w.len;
	if (cap < w.len)
		return SPOD_E_TOO_LARGE;
	spod_cbor_writer_init(&w, out, cap);
	SPOD_TRY(put_signature(&w, cert_pem, cert_pem_len, cose, cose_len));
	return w.len == *out_len ? SPOD_OK : SPOD_E_INTERNAL;
}

struct piece {
	uint16_t type;
	const uint8_t *data;
	size_t len;
};

/* The sections of in, in the order EifBuilder::write_to writes them (src/utils/mod.rs). */
static int plan(struct piece *s, size_t *ns, const struct spod_eif_build_in *in)
{
	size_t n = 0;

	if (in->nramdisks > SPOD_EIF_MAX_SECTIONS - 2 ||
	    2 + (in->metadata != NULL) + in->nramdisks + (in->signature != NULL) >
	        SPOD_EIF_MAX_SECTIONS)
		return SPOD_E_BAD_ARG;
	if ((in->flags & ~SPOD_EIF_ARCH_ARM64) != 0 || in->cmdline == NULL ||
	    (in->nramdisks > 0 && (in->ramdisks == NULL || in->ramdisk_lens == NULL)) ||
	    (in->kernel == NULL && in->kernel_len > 0) ||
	    (in->signature != NULL && in->signature_len > SPOD_EIF_SIGNATURE_MAX_BYTES))
		return SPOD_E_BAD_ARG;
	s[n++] = (struct piece){SPOD_EIF_SECTION_KERNEL, in->kernel, in->kernel_len};
	s[n++] = (struct piece){SPOD_EIF_SECTION_CMDLINE, (const uint8_t *)in->cmdline,
	                        strlen(in->cmdline)};
	if (in->metadata != NULL)
		s[n++] = (struct piece){SPOD_EIF_SECTION_METADATA, in->metadata, in->metadata_len};
	for (size_t i = 0; i < in->nramdisks; i++) {
		if (in->ramdisks[i] == NULL && in->ramdisk_lens[i] > 0)
			return SPOD_E_BAD_ARG;
		s[n++] =
		    (struct piece){SPOD_EIF_SECTION_RAMDISK, in->ramdisks[i], in->ramdisk_lens[i]};
	}
	if (in->signature != NULL)
		s[n++] =
		    (struct piece){SPOD_EIF_SECTION_SIGNATURE, in->signature, in->signature_len};
	*ns = n;
	return SPOD_OK;
}

int spod_eif_build(uint8_t *out, size_t cap, size_t *out_len, const struct spod_eif_build_in *in)
{
	struct piece s[SPOD_EIF_MAX_SECTIONS];
	size_t ns = 0, total = SPOD_EIF_HEADER_BYTES, pos;

	*out_len = 0;
	SPOD_TRY(plan(s, &ns, in));
	for (size_t i = 0; i < ns; i++) {
		if (s[i].len > SIZE_MAX - SEC_HDR - total) {
			*out_len = SIZE_MAX;
			return SPOD_E_TOO_LARGE;
		}
		total += SEC_HDR + s[i].len;
	}
	*out_len = total;
	if (cap < total)
		return SPOD_E_TOO_LARGE;

	memset(out, 0, SPOD_EIF_HEADER_BYTES);
	memcpy(out, eif_magic, sizeof eif_magic);
	put_be16(out + HDR_VERSION, in->metadata != NULL ? SPOD_EIF_VERSION : 3);
	put_be16(out + HDR_FLAGS, in->flags);
	put_be64(out + HDR_DEFAULT_MEM,
	         in->default_mem ? in->default_mem : SPOD_EIF_DEFAULT_MEM_BYTES);
	put_be64(out + HDR_DEFAULT_CPUS,
	         in->default_cpus ? in->default_cpus : SPOD_EIF_DEFAULT_CPUS);
	put_be16(out + HDR_NUM_SECTIONS, (uint16_t)ns);
	pos = SPOD_EIF_HEADER_BYTES;
	for (size_t i = 0; i < ns; i++) {
		put_be64(out + HDR_OFFSETS + 8 * i, pos);
		put_be64(out + HDR_SIZES + 8 * i, s[i].len);
		put_be16(out + pos, s[i].type);
		put_be16(out + pos + 2, 0);
		put_be64(out + pos + 4, s[i].len);
		if (s[i].len > 0)
			memcpy(out + pos + SEC_HDR, s[i].data, s[i].len);
		pos += SEC_HDR + s[i].len;
	}
	put_be32(out + SPOD_EIF_CRC_OFFSET, image_crc(out, total));
	return SPOD_OK;
}
