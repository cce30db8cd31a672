/*
 * Enclave Image File (EIF): validation, PCR measurement and building.
 *
 * The format is AWS's (aws/aws-nitro-enclaves-image-format: the specification in README.md,
 * the code in src/defs/mod.rs and src/utils); the layout, the PCR formulas and the sources
 * are in docs/attestation.md ("Image measurement"). In short, all integers big-endian:
 *
 *   header (548 bytes)  magic ".eif", version, flags, default_mem, default_cpus, reserved,
 *                       num_sections, section_offsets[32], section_sizes[32], unused, crc32
 *   sections            each a 12-byte header (type u16, flags u16, size u64) and its data,
 *                       back to back from byte 548 to the end of the file; AWS's builder
 *                       writes kernel, cmdline, metadata, ramdisk..., [signature]
 *
 *   PCR0 = SHA384(0^48 || SHA384(kernel || cmdline || ramdisk[0] || ... || ramdisk[n-1]))
 *   PCR1 = SHA384(0^48 || SHA384(kernel || cmdline || ramdisk[0]))
 *   PCR2 = SHA384(0^48 || SHA384(ramdisk[1] || ... || ramdisk[n-1]))
 *   PCR8 = SHA384(0^48 || SHA384(DER of the signing certificate))      (signed images only)
 *
 * The CRC-32 is the IEEE/zlib one. It is computed here by a 20-line table routine rather
 * than by linking zlib: spod_attest is linked by the enclave side (through spod_nsm), and
 * one small function is not worth a new library there. The unit test pins it to the
 * standard check value and the interop script re-checks every image with Python's
 * zlib.crc32.
 */
#ifndef SPOD_ATTEST_EIF_H
#define SPOD_ATTEST_EIF_H

#include <stddef.h>
#include <stdint.h>

#define SPOD_EIF_HEADER_BYTES         548u
#define SPOD_EIF_SECTION_HEADER_BYTES 12u
#define SPOD_EIF_MAX_SECTIONS         32u  /* MAX_NUM_SECTIONS: entries in the offset table */
#define SPOD_EIF_CRC_OFFSET           544u /* eif_crc32, the header's last field */
#define SPOD_EIF_VERSION              4u   /* CURRENT_VERSION, written by spod_eif_build */
#define SPOD_EIF_MIN_VERSION          2u   /* the first version with a CRC */
#define SPOD_EIF_ARCH_ARM64           0x1u /* header flag; clear means x86_64 */
#define SPOD_EIF_DEFAULT_MEM_BYTES    (1024ull * 1024 * 1024) /* what AWS's builder writes */
#define SPOD_EIF_DEFAULT_CPUS         2u
#define SPOD_EIF_SIGNATURE_MAX_BYTES  32768u /* SIGNATURE_MAX_SIZE in the spec */
#define SPOD_EIF_PCR_BYTES            48u    /* SHA-384 */
/*
 * nitro-cli prints format!("{:?}", Sha384::new()) as the hash algorithm: "Sha384 { ... }"
 * up to v1.4.5 (sha2 0.9, and AWS's documentation). v1.5.0 moved to sha2 0.10, whose
 * Debug output for the same type is "Sha512_48 { .. }"; the PCRs are the same.
 */
#define SPOD_EIF_HASH_ALGORITHM "Sha384 { ... }"

enum spod_eif_section_type {
	SPOD_EIF_SECTION_KERNEL = 1,
	SPOD_EIF_SECTION_CMDLINE = 2,
	SPOD_EIF_SECTION_RAMDISK = 3,
	SPOD_EIF_SECTION_SIGNATURE = 4, /* serde_cbor Vec<PcrSignature>, from version 3 */
	SPOD_EIF_SECTION_METADATA = 5,  /* JSON, from version 4; neither measured nor checked */
};

/* One section of a parsed image: a view into the caller's image bytes. */
struct spod_eif_section {
	uint16_t type;       /* enum spod_eif_section_type */
	uint16_t flags;      /* AWS's builder writes 0; nothing reads it */
	uint64_t offset;     /* of the section header within the image */
	const uint8_t *data; /* the section's bytes (after its 12-byte header) */
	size_t len;
};

/*
 * A validated image. Every pointer is a view into the bytes given to spod_eif_parse: valid
 * as long as they are (for the CLI, until the file is unmapped); nothing here is owned.
 */
struct spod_eif {
	uint16_t version;
	uint16_t flags;       /* SPOD_EIF_ARCH_ARM64; other bits are reserved (not checked) */
	uint64_t default_mem; /* bytes; unused by AWS's tools */
	uint64_t default_cpus;
	uint32_t crc32;     /* verified against the image */
	uint16_t nsections; /* 2..SPOD_EIF_MAX_SECTIONS */
	/* In file order. */
	struct spod_eif_section sections[SPOD_EIF_MAX_SECTIONS];
	/* Signed images: the CBOR array (a uint 0..255 per byte) holding the PEM certificate of
	 * the first PcrSignature, and its element count; cert_cbor is NULL when unsigned. */
	const uint8_t *cert_cbor;
	size_t cert_cbor_len;
	size_t cert_pem_len;
	/* On failure, the first problem found, as static text for people ("CRC-32 mismatch");
	 * NULL on success. */
	const char *error;
};

struct spod_eif_pcrs {
	uint8_t pcr0[SPOD_EIF_PCR_BYTES]; /* the whole image, signature excluded */
	uint8_t pcr1[SPOD_EIF_PCR_BYTES]; /* kernel, cmdline, first ramdisk */
	uint8_t pcr2[SPOD_EIF_PCR_BYTES]; /* the remaining ramdisks (the application) */
	uint8_t pcr8[SPOD_EIF_PCR_BYTES]; /* signing certificate; zero unless has_pcr8 */
	int has_pcr8;                     /* 1 when the image has a signature section */
};

/*
 * Continues a zlib-compatible CRC-32 (IEEE 802.3, reflected, init and final xor ~0):
 * spod_eif_crc32(0, p, n) equals zlib's crc32(0, p, n), and chaining two calls equals one
 * call over the concatenation. p may be NULL when n is 0.
 */
uint32_t spod_eif_crc32(uint32_t crc, const uint8_t *p, size_t n);

/*
 * Validates img[0..len) as an EIF and fills *out with views into it. Follows AWS's
 * specification and, where it leaves room, what AWS's reader can read (it walks the
 * sections to the end of the file): the header table must describe exactly the sections
 * in the file, back to back, with nothing after them. Reserved fields and flag bits are
 * ignored, as the specification says the virtualization stack does.
 * Returns SPOD_OK, or on the first problem (with out->error saying which):
 *   SPOD_E_TRUNCATED      img ends inside the header or inside a section
 *   SPOD_E_BAD_MAGIC      does not start with ".eif"
 *   SPOD_E_BAD_VERSION    version outside SPOD_EIF_MIN_VERSION..SPOD_EIF_VERSION
 *   SPOD_E_TOO_LARGE      num_sections above SPOD_EIF_MAX_SECTIONS, or a signature section
 *                         above SPOD_EIF_SIGNATURE_MAX_BYTES
 *   SPOD_E_BAD_FIELD      num_sections 0; section type 0 or unknown; not exactly one kernel
 *                         and one cmdline; more than one metadata or signature section; no
 *                         metadata section in a version 4 image; a ramdisk before the
 *                         kernel; a signature section that is not the CBOR nitro-cli reads
 *   SPOD_E_BAD_REF        offset/size table does not match the sections (gaps, overlaps,
 *                         outside the image, sizes differing from the section headers)
 *   SPOD_E_BAD_LENGTH     bytes after the last section
 *   SPOD_E_BAD_SIGNATURE  the stored CRC-32 does not match the image (checked last)
 * On failure *out is zeroed except out->error.
 */
int spod_eif_parse(struct spod_eif *out, const uint8_t *img, size_t len)
    __attribute__((warn_unused_result, nonnull(1)));

/*
 * Computes PCR0, PCR1, PCR2 and, for signed images, PCR8 of a parsed image exactly as
 * `nitro-cli describe-eif` does: section data in file order, headers and metadata excluded.
 * Returns SPOD_OK, SPOD_E_BAD_KEY (the signing certificate is not a PEM X.509 certificate
 * OpenSSL reads; nitro-cli fails on such images too), SPOD_E_NOMEM or SPOD_E_CRYPTO. On
 * failure *out is zeroed.
 */
int spod_eif_measure(struct spod_eif_pcrs *out, const struct spod_eif *eif)
    __attribute__((warn_unused_result, nonnull));

/* What to put in an image; every pointer is only read. */
struct spod_eif_build_in {
	const uint8_t *kernel;
	size_t kernel_len;
	const char *cmdline;            /* NUL-terminated; stored without the NUL */
	const uint8_t *const *ramdisks; /* ramdisks[0] is the bootstrap (init) ramdisk */
	const size_t *ramdisk_lens;
	size_t nramdisks;        /* 0..SPOD_EIF_MAX_SECTIONS - 2 */
	const uint8_t *metadata; /* JSON; NULL: no metadata section (see below) */
	size_t metadata_len;
	const uint8_t *signature; /* spod_eif_sig_encode's output; NULL: unsigned */
	size_t signature_len;
	uint16_t flags;        /* 0 or SPOD_EIF_ARCH_ARM64 */
	uint64_t default_mem;  /* 0: SPOD_EIF_DEFAULT_MEM_BYTES */
	uint64_t default_cpus; /* 0: SPOD_EIF_DEFAULT_CPUS */
};

/*
 * Writes the image to out[0..cap) in the layout of AWS's EifBuilder::write_to: sections
 * kernel, cmdline, metadata, ramdisks, signature, back to back without padding, section
 * flags 0, the offset/size table and the CRC-32, version 4. With in->metadata NULL there
 * is no metadata section and the version is 3, the layout nitro-cli wrote before v1.2.0
 * (the specification makes the metadata section mandatory from version 4 on).
 * Returns SPOD_OK with *out_len = bytes written; SPOD_E_TOO_LARGE with *out_len = bytes
 * needed when cap is too small (out untouched); SPOD_E_BAD_ARG for more sections than
 * SPOD_EIF_MAX_SECTIONS, an unknown flag, a signature above SPOD_EIF_SIGNATURE_MAX_BYTES
 * or a NULL pointer with a length.
 */
int spod_eif_build(uint8_t *out, size_t cap, size_t *out_len, const struct spod_eif_build_in *in)
    __attribute__((warn_unused_result, nonnull(3, 4)));

/*
 * Encodes a signature section holding one PcrSignature as nitro-cli writes it: serde_cbor
 * of [{"signing_certificate": cert_pem, "signature": cose_sign1}] where both byte strings
 * are CBOR arrays of small unsigned integers (Rust Vec<u8> without serde_bytes). The COSE
 * bytes are copied as given; nothing here signs or checks them.
 * Returns SPOD_OK with *out_len = bytes written, SPOD_E_TOO_LARGE with *out_len = bytes
 * needed (out untouched), or SPOD_E_BAD_ARG for an empty certificate.
 */
int spod_eif_sig_encode(uint8_t *out, size_t cap, size_t *out_len, const uint8_t *cert_pem,
                        size_t cert_pem_len, const uint8_t *cose, size_t cose_len)
    __attribute__((warn_unused_result, nonnull(3, 4)));

#endif
