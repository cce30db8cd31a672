/*
 * EIF validation: the header, the section table and the sections it describes, the rules
 * of AWS's specification about which sections an image holds, and the CRC-32. The format
 * and where each rule comes from in AWS's sources are in docs/attestation.md ("Image
 * measurement"); the signature section's CBOR is read by eif_sig.c.
 */
#include "attest/eif.h"

#include <string.h>

#include "attest/eif_int.h"
#include "spod/err.h"

const uint8_t spod_eif_magic[4] = {'.', 'e', 'i', 'f'};

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

uint32_t spod_eif_image_crc(const uint8_t *img, size_t len)
{
	uint32_t crc = spod_eif_crc32(0, img, SPOD_EIF_CRC_OFFSET);
	return spod_eif_crc32(crc, img + SPOD_EIF_HEADER_BYTES, len - SPOD_EIF_HEADER_BYTES);
}

static int parse_header(struct spod_eif *e, const uint8_t *img, size_t len, const char **why)
{
	uint64_t pos = SPOD_EIF_HEADER_BYTES;
	uint16_t n;

	if (len < SPOD_EIF_HEADER_BYTES)
		return eif_fail(why, SPOD_E_TRUNCATED,
		                "image is shorter than the 548-byte EIF header");
	if (memcmp(img, spod_eif_magic, sizeof spod_eif_magic) != 0)
		return eif_fail(why, SPOD_E_BAD_MAGIC,
		                "not an EIF: it does not start with \".eif\"");
	e->version = eif_be16(img + EIF_HDR_VERSION);
	if (e->version < SPOD_EIF_MIN_VERSION || e->version > SPOD_EIF_VERSION)
		return eif_fail(why, SPOD_E_BAD_VERSION,
		                "EIF version not supported (spod reads 2 to 4)");
	/* Reserved flag bits, the reserved and unused fields and the table entries past
	 * num_sections are ignored, as the spec says the virtualization stack does. */
	e->flags = eif_be16(img + EIF_HDR_FLAGS);
	e->default_mem = eif_be64(img + EIF_HDR_DEFAULT_MEM);
	e->default_cpus = eif_be64(img + EIF_HDR_DEFAULT_CPUS);
	e->crc32 = eif_be32(img + SPOD_EIF_CRC_OFFSET);
	n = eif_be16(img + EIF_HDR_NUM_SECTIONS);
	if (n == 0)
		return eif_fail(why, SPOD_E_BAD_FIELD, "EIF header declares no sections");
	if (n > SPOD_EIF_MAX_SECTIONS)
		return eif_fail(why, SPOD_E_TOO_LARGE, "EIF header declares more than 32 sections");
	e->nsections = n;

	/*
	 * The table must describe sections back to back from the end of the header: AWS's
	 * reader ignores the table and walks the file that way, the loader uses the table.
	 */
	for (unsigned i = 0; i < n; i++) {
		uint64_t off = eif_be64(img + EIF_HDR_OFFSETS + 8u * i);
		uint64_t size = eif_be64(img + EIF_HDR_SIZES + 8u * i);

		if (off != pos)
			return eif_fail(
			    why, SPOD_E_BAD_REF,
			    "section offset table does not match the sections (gap, overlap "
			    "or outside the image)");
		if (size > UINT64_MAX - SPOD_EIF_SECTION_HEADER_BYTES - pos)
			return eif_fail(why, SPOD_E_BAD_REF,
			                "section size in the header table overflows");
		pos += SPOD_EIF_SECTION_HEADER_BYTES + size;
	}
	if (pos > len)
		return eif_fail(why, SPOD_E_TRUNCATED, "image ends inside a section");
	if (pos < len)
		return eif_fail(why, SPOD_E_BAD_LENGTH, "bytes after the last section");
	return SPOD_OK;
}

/* The section rules of the spec (README.md "Data sections"). */
static int check_sections(const struct spod_eif *e, const unsigned *count, const char **why)
{
	if (count[SPOD_EIF_SECTION_KERNEL] != 1 || count[SPOD_EIF_SECTION_CMDLINE] != 1)
		return eif_fail(why, SPOD_E_BAD_FIELD,
		                "image needs exactly one kernel and one cmdline section");
	if (count[SPOD_EIF_SECTION_METADATA] > 1 || count[SPOD_EIF_SECTION_SIGNATURE] > 1)
		return eif_fail(why, SPOD_E_BAD_FIELD,
		                "more than one metadata or signature section");
	if (e->version >= 4 && count[SPOD_EIF_SECTION_METADATA] == 0)
		return eif_fail(why, SPOD_E_BAD_FIELD,
		                "version 4 image without a metadata section");
	for (unsigned i = 0; i < e->nsections; i++) {
		if (e->sections[i].type == SPOD_EIF_SECTION_KERNEL)
			break;
		if (e->sections[i].type == SPOD_EIF_SECTION_RAMDISK)
			return eif_fail(why, SPOD_E_BAD_FIELD, "ramdisk section before the kernel");
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

		s->type = eif_be16(h);
		s->flags = eif_be16(h + 2);
		if (eif_be64(h + 4) != eif_be64(img + EIF_HDR_SIZES + 8u * i))
			return eif_fail(
			    why, SPOD_E_BAD_REF,
			    "section header size differs from the EIF header's size table");
		if (s->type == 0)
			return eif_fail(why, SPOD_E_BAD_FIELD,
			                "section of type 0 (EifSectionInvalid)");
		if (s->type > SPOD_EIF_SECTION_METADATA)
			return eif_fail(why, SPOD_E_BAD_FIELD, "unknown section type");
		s->offset = pos;
		s->data = h + SPOD_EIF_SECTION_HEADER_BYTES;
		s->len = (size_t)eif_be64(h + 4);
		count[s->type]++;
		pos += SPOD_EIF_SECTION_HEADER_BYTES + s->len;
	}
	SPOD_TRY(check_sections(e, count, why));
	for (unsigned i = 0; i < e->nsections; i++) {
		const struct spod_eif_section *s = &e->sections[i];

		if (s->type != SPOD_EIF_SECTION_SIGNATURE)
			continue;
		if (s->len > SPOD_EIF_SIGNATURE_MAX_BYTES)
			return eif_fail(why, SPOD_E_TOO_LARGE,
			                "signature section larger than 32768 bytes");
		SPOD_TRY(spod_eif_sig_check(e, s->data, s->len, why));
	}
	/* Last, so that a damaged image reports what is structurally wrong with it first. */
	if (spod_eif_image_crc(img, len) != e->crc32)
		return eif_fail(why, SPOD_E_BAD_SIGNATURE, "CRC-32 mismatch: the image is corrupt");
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
