/*
 * Private to src/attest/eif*.c: what the EIF files share. eif.c validates images,
 * eif_sig.c reads and writes the signature section (serde_cbor of Vec<PcrSignature>),
 * eif_measure.c computes the PCRs and eif_build.c writes images. The format is in
 * attest/eif.h and docs/attestation.md ("Image measurement").
 */
#ifndef SPOD_ATTEST_EIF_INT_H
#define SPOD_ATTEST_EIF_INT_H

#include <stddef.h>
#include <stdint.h>

#include "attest/eif.h"

/* Header fields, in the order EifHeader::to_be_bytes writes them (src/defs/mod.rs). */
#define EIF_HDR_VERSION      4u
#define EIF_HDR_FLAGS        6u
#define EIF_HDR_DEFAULT_MEM  8u
#define EIF_HDR_DEFAULT_CPUS 16u
#define EIF_HDR_NUM_SECTIONS 26u
#define EIF_HDR_OFFSETS      28u
#define EIF_HDR_SIZES        (EIF_HDR_OFFSETS + 8u * SPOD_EIF_MAX_SECTIONS)

_Static_assert(EIF_HDR_SIZES + 8u * SPOD_EIF_MAX_SECTIONS + 4u == SPOD_EIF_CRC_OFFSET,
               "the unused field sits between the size table and the CRC");
_Static_assert(SPOD_EIF_CRC_OFFSET + 4u == SPOD_EIF_HEADER_BYTES, "the CRC ends the header");

/* ".eif", the first 4 bytes of every image. */
extern const uint8_t spod_eif_magic[4];

static inline uint16_t eif_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t eif_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t eif_be64(const uint8_t *p)
{
	return (uint64_t)eif_be32(p) << 32 | eif_be32(p + 4);
}

static inline void eif_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void eif_put_be32(uint8_t *p, uint32_t v)
{
	eif_put_be16(p, (uint16_t)(v >> 16));
	eif_put_be16(p + 2, (uint16_t)v);
}

static inline void eif_put_be64(uint8_t *p, uint64_t v)
{
	eif_put_be32(p, (uint32_t)(v >> 32));
	eif_put_be32(p + 4, (uint32_t)v);
}

/* Records why a parse failed (static text for people) and returns rc. */
static inline int eif_fail(const char **why, int rc, const char *text)
{
	*why = text;
	return rc;
}

/* The CRC-32 AWS's builder stores for img[0..len) (len >= SPOD_EIF_HEADER_BYTES): the
 * header without its CRC field, then every section. */
uint32_t spod_eif_image_crc(const uint8_t *img, size_t len) __attribute__((nonnull));

/*
 * Checks a signature section p[0..len) as nitro-cli reads it and records in e where the
 * first PcrSignature's certificate is (cert_cbor, cert_cbor_len, cert_pem_len). Returns
 * SPOD_OK or SPOD_E_BAD_FIELD with *why set.
 */
int spod_eif_sig_check(struct spod_eif *e, const uint8_t *p, size_t len, const char **why)
    __attribute__((warn_unused_result, nonnull(1, 4)));

/*
 * Copies the PEM bytes of the certificate spod_eif_sig_check located into
 * pem[0..eif->cert_pem_len). Returns SPOD_OK, or SPOD_E_INTERNAL when eif->cert_cbor no
 * longer reads as the array of eif->cert_pem_len bytes that the parse found.
 */
int spod_eif_sig_cert_pem(uint8_t *pem, const struct spod_eif *eif)
    __attribute__((warn_unused_result, nonnull));

#endif
