/*
 * libFuzzer target for EIF parsing and measurement (src/attest/eif*.c).
 *
 * Each input is copied into a buffer of exactly its own length (so a view straying past
 * the image lands in an ASan redzone) and parsed twice: as given, and with its CRC-32
 * field recomputed, since a fuzzer almost never guesses a CRC and the structural checks
 * and the measurement sit behind it. Beyond memory safety the target checks the contracts
 * of src/attest/eif.h: failures leave a zeroed view with a reason, accepted images are
 * tiled exactly by their sections, measurement succeeds unless the certificate is bad,
 * and an accepted image in the builder's own layout rebuilds to the same bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attest/eif.h"
#include "spod/err.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static volatile uint32_t sink;

static int is_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

/* Order EifBuilder::write_to uses: kernel, cmdline, [metadata], ramdisk*, [signature]. */
static int builder_order(const struct spod_eif *e)
{
	unsigned i = 2;

	if (e->sections[0].type != SPOD_EIF_SECTION_KERNEL ||
	    e->sections[1].type != SPOD_EIF_SECTION_CMDLINE)
		return 0;
	if (i < e->nsections && e->sections[i].type == SPOD_EIF_SECTION_METADATA)
		i++;
	while (i < e->nsections && e->sections[i].type == SPOD_EIF_SECTION_RAMDISK)
		i++;
	if (i < e->nsections && e->sections[i].type == SPOD_EIF_SECTION_SIGNATURE)
		i++;
	return i == e->nsections;
}

/* The fields spod_eif_build always writes as zero, and the version it picks. */
static int canonical_header(const struct spod_eif *e, const uint8_t *img)
{
	int has_meta = 0;

	for (unsigned i = 0; i < e->nsections; i++)
		has_meta |= e->sections[i].type == SPOD_EIF_SECTION_METADATA;
	return e->version == (has_meta ? SPOD_EIF_VERSION : 3) &&
	       (e->flags & ~SPOD_EIF_ARCH_ARM64) == 0 && e->default_mem != 0 &&
	       e->default_cpus != 0 && img[24] == 0 && img[25] == 0 &&
	       is_zero(img + 28 + 8 * e->nsections, 8 * (SPOD_EIF_MAX_SECTIONS - e->nsections)) &&
	       is_zero(img + 284 + 8 * e->nsections, 8 * (SPOD_EIF_MAX_SECTIONS - e->nsections)) &&
	       is_zero(img + 540, 4);
}

static void check_rebuild(const struct spod_eif *e, const uint8_t *img, size_t len)
{
	const uint8_t *rams[SPOD_EIF_MAX_SECTIONS];
	size_t lens[SPOD_EIF_MAX_SECTIONS], n = 0, out_len = 0;
	struct spod_eif_build_in in = {0};
	const struct spod_eif_section *cmd = &e->sections[1];
	char *cmdline;
	uint8_t *out;

	if (!canonical_header(e, img) || !builder_order(e) ||
	    memchr(cmd->data, 0, cmd->len) != NULL)
		return;
	for (unsigned i = 0; i < e->nsections; i++) {
		const struct spod_eif_section *s = &e->sections[i];

		if (s->flags != 0)
			return;
		if (s->type == SPOD_EIF_SECTION_RAMDISK) {
			rams[n] = s->data;
			lens[n++] = s->len;
		} else if (s->type == SPOD_EIF_SECTION_METADATA) {
			in.metadata = s->data;
			in.metadata_len = s->len;
		} else if (s->type == SPOD_EIF_SECTION_SIGNATURE) {
			in.signature = s->data;
			in.signature_len = s->len;
		}
	}
	cmdline = malloc(cmd->len + 1);
	out = malloc(len);
	CHECK(cmdline != NULL && out != NULL);
	memcpy(cmdline, cmd->data, cmd->len);
	cmdline[cmd->len] = '\0';
	in.kernel = e->sections[0].data;
	in.kernel_len = e->sections[0].len;
	in.cmdline = cmdline;
	in.ramdisks = rams;
	in.ramdisk_lens = lens;
	in.nramdisks = n;
	in.flags = e->flags;
	in.default_mem = e->default_mem;
	in.default_cpus = e->default_cpus;
	CHECK(spod_eif_build(out, len, &out_len, &in) == SPOD_OK);
	CHECK(out_len == len && memcmp(out, img, len) == 0);
	free(out);
	free(cmdline);
}

static void check_one(const uint8_t *img, size_t len)
{
	struct spod_eif e;
	struct spod_eif_pcrs p;
	size_t pos = SPOD_EIF_HEADER_BYTES;
	uint32_t acc = 0;
	int rc;

	rc = spod_eif_parse(&e, img, len);
	if (rc < 0) {
		CHECK(e.error != NULL);
		e.error = NULL;
		CHECK(is_zero(&e, sizeof e));
		return;
	}
	CHECK(rc == SPOD_OK && e.error == NULL);
	CHECK(e.nsections >= 2 && e.nsections <= SPOD_EIF_MAX_SECTIONS);
	CHECK(e.version >= SPOD_EIF_MIN_VERSION && e.version <= SPOD_EIF_VERSION);
	for (unsigned i = 0; i < e.nsections; i++) {
		const struct spod_eif_section *s = &e.sections[i];

		CHECK(s->offset == pos && s->data == img + pos + SPOD_EIF_SECTION_HEADER_BYTES);
		CHECK(s->len <= len - pos - SPOD_EIF_SECTION_HEADER_BYTES);
		CHECK(s->type >= SPOD_EIF_SECTION_KERNEL && s->type <= SPOD_EIF_SECTION_METADATA);
		for (size_t k = 0; k < s->len; k++)
			acc += s->data[k];
		pos += SPOD_EIF_SECTION_HEADER_BYTES + s->len;
	}
	sink = acc;
	CHECK(pos == len);
	CHECK(e.crc32 == spod_eif_crc32(spod_eif_crc32(0, img, SPOD_EIF_CRC_OFFSET),
	                                img + SPOD_EIF_HEADER_BYTES, len - SPOD_EIF_HEADER_BYTES));
	CHECK(e.cert_cbor == NULL ||
	      (e.cert_cbor > img && e.cert_cbor_len <= len - (size_t)(e.cert_cbor - img)));

	rc = spod_eif_measure(&p, &e);
	if (rc == SPOD_OK) {
		CHECK(p.has_pcr8 == (e.cert_cbor != NULL));
		CHECK(p.has_pcr8 || is_zero(p.pcr8, sizeof p.pcr8));
	} else {
		CHECK(rc == SPOD_E_BAD_KEY && e.cert_cbor != NULL);
		CHECK(is_zero(&p, sizeof p));
	}
	check_rebuild(&e, img, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *img = malloc(size ? size : 1);
	uint32_t crc;

	CHECK(img != NULL);
	if (size > 0)
		memcpy(img, data, size);
	check_one(img, size);
	if (size >= SPOD_EIF_HEADER_BYTES) {
		crc = spod_eif_crc32(spod_eif_crc32(0, img, SPOD_EIF_CRC_OFFSET),
		                     img + SPOD_EIF_HEADER_BYTES, size - SPOD_EIF_HEADER_BYTES);
		img[SPOD_EIF_CRC_OFFSET] = (uint8_t)(crc >> 24);
		img[SPOD_EIF_CRC_OFFSET + 1] = (uint8_t)(crc >> 16);
		img[SPOD_EIF_CRC_OFFSET + 2] = (uint8_t)(crc >> 8);
		img[SPOD_EIF_CRC_OFFSET + 3] = (uint8_t)crc;
		check_one(img, size);
	}
	free(img);
	return 0;
}
