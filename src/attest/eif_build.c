/*
 * EIF building: an image in the layout of AWS's EifBuilder::write_to (attest/eif.h,
 * docs/attestation.md "Building images").
 */
#include <stdint.h>
#include <string.h>

#include "attest/eif_int.h"
#include "spod/err.h"

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
		if (s[i].len > SIZE_MAX - SPOD_EIF_SECTION_HEADER_BYTES - total) {
			*out_len = SIZE_MAX;
			return SPOD_E_TOO_LARGE;
		}
		total += SPOD_EIF_SECTION_HEADER_BYTES + s[i].len;
	}
	*out_len = total;
	if (cap < total)
		return SPOD_E_TOO_LARGE;

	memset(out, 0, SPOD_EIF_HEADER_BYTES);
	memcpy(out, spod_eif_magic, sizeof spod_eif_magic);
	eif_put_be16(out + EIF_HDR_VERSION, in->metadata != NULL ? SPOD_EIF_VERSION : 3);
	eif_put_be16(out + EIF_HDR_FLAGS, in->flags);
	eif_put_be64(out + EIF_HDR_DEFAULT_MEM,
	             in->default_mem ? in->default_mem : SPOD_EIF_DEFAULT_MEM_BYTES);
	eif_put_be64(out + EIF_HDR_DEFAULT_CPUS,
	             in->default_cpus ? in->default_cpus : SPOD_EIF_DEFAULT_CPUS);
	eif_put_be16(out + EIF_HDR_NUM_SECTIONS, (uint16_t)ns);
	pos = SPOD_EIF_HEADER_BYTES;
	for (size_t i = 0; i < ns; i++) {
		eif_put_be64(out + EIF_HDR_OFFSETS + 8 * i, pos);
		eif_put_be64(out + EIF_HDR_SIZES + 8 * i, s[i].len);
		eif_put_be16(out + pos, s[i].type);
		eif_put_be16(out + pos + 2, 0);
		eif_put_be64(out + pos + 4, s[i].len);
		if (s[i].len > 0)
			memcpy(out + pos + SPOD_EIF_SECTION_HEADER_BYTES, s[i].data, s[i].len);
		pos += SPOD_EIF_SECTION_HEADER_BYTES + s[i].len;
	}
	eif_put_be32(out + SPOD_EIF_CRC_OFFSET, spod_eif_image_crc(out, total));
	return SPOD_OK;
}
