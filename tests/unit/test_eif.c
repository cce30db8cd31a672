/*
 * EIF building, parsing and measurement (src/attest/eif*.c) and `spod measure`
 * (src/cli/cmd_measure.c).
 *
 * Expected values come from outside the code under test: header fields from AWS's
 * EifBuilder (src/utils/mod.rs, see docs/attestation.md), the CRC from a bit-at-a-time
 * CRC-32 written here and one value computed with Python's zlib, the PCRs from the formula
 * evaluated with OpenSSL's EVP directly, and the synthetic vector of docs/research/nitro.md.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "attest/eif.h"
#include "cli/cli.h"
#include "common/hex.h"
#include "spod/err.h"

int cmd_measure(struct cli *cli);

#define HDR_OFFSETS 28u
#define HDR_SIZES   284u

struct img {
	uint8_t *p;
	size_t len;
};

static const uint8_t kernel[] = "kernel";
static const uint8_t ram0[] = "ramdisk0";
static const uint8_t ram1[] = "ramdisk1";
static const uint8_t meta[] = "{\"ImageName\":\"t\",\"ImageVersion\":\"1\"}";
static const char cmdline[] = "console=ttyS0";

/* The synthetic vector of docs/research/nitro.md §4.3 (derived from the formula there). */
static const char vec_pcr0[] = "d83479617748abeab851276f775e8e6daf65b50ff712781738b07707fea638e8"
                               "a409f42073234d1c5c990a787dbf0b61";
static const char vec_pcr1[] = "fd73f54410dbf232bc7b66664cc18e9145505715707e0077bc0f2a5adf645db5"
                               "485b81f11b18fdf0ad431595d4368310";
static const char vec_pcr2[] = "361b4f176971a5893fc98afbed75853fdc33c130370ca7cf9fa27578446d3708"
                               "611d899a2703095c7335733c0d099d46";
static const char vec_pcr2_one[] = "21b9efbc184807662e966d34f390821309eeac6802309798826296bf3e8b"
                                   "ec7c10edb30948c90ba67310f7b964fc500a";

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get_be64(const uint8_t *p)
{
	return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void set_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void set_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* CRC-32 one bit at a time, straight from the polynomial: independent of the table code. */
static uint32_t crc_bitwise(uint32_t crc, const uint8_t *p, size_t n)
{
	crc = ~crc;
	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc & 1) ? (crc >> 1) ^ 0xedb88320u : crc >> 1;
	}
	return ~crc;
}

static uint32_t expected_crc(const uint8_t *img, size_t len)
{
	return crc_bitwise(crc_bitwise(0, img, 544), img + 548, len - 548);
}

/* Stores the right CRC, so that a test sees the structural error it set up. */
static void fix_crc(struct img *m)
{
	uint32_t crc = expected_crc(m->p, m->len);

	m->p[544] = (uint8_t)(crc >> 24);
	m->p[545] = (uint8_t)(crc >> 16);
	m->p[546] = (uint8_t)(crc >> 8);
	m->p[547] = (uint8_t)crc;
}

static void sha384(uint8_t out[48], const uint8_t *p, size_t n)
{
	unsigned int len = 0;

	assert_int_equal(EVP_Digest(p, n, out, &len, EVP_sha384(), NULL), 1);
	assert_int_equal(len, 48);
}

/* SHA384(0^48 || SHA384(concatenation of the parts)). */
static void pcr_of(uint8_t out[48], const uint8_t *const *parts, const size_t *lens, size_t n)
{
	uint8_t buf[96] = {0};
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int len = 0;

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha384(), NULL), 1);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(EVP_DigestUpdate(ctx, parts[i], lens[i]), 1);
	assert_int_equal(EVP_DigestFinal_ex(ctx, buf + 48, &len), 1);
	EVP_MD_CTX_free(ctx);
	sha384(out, buf, sizeof buf);
}

static void assert_hex(const uint8_t *got, const char *want_hex)
{
	uint8_t want[48];
	size_t n = 0;

	assert_int_equal(spod_hex_decode(want, sizeof want, &n, want_hex), SPOD_OK);
	assert_int_equal(n, 48);
	assert_memory_equal(got, want, 48);
}

static struct spod_eif_build_in std_in(const uint8_t *const *rams, const size_t *lens, size_t n)
{
	struct spod_eif_build_in in = {0};

	in.kernel = kernel;
	in.kernel_len = sizeof kernel - 1;
	in.cmdline = cmdline;
	in.ramdisks = rams;
	in.ramdisk_lens = lens;
	in.nramdisks = n;
	return in;
}

static struct img build(const struct spod_eif_build_in *in)
{
	struct img m = {0};
	size_t need = 0;

	assert_int_equal(spod_eif_build(NULL, 0, &need, in), SPOD_E_TOO_LARGE);
	m.p = malloc(need);
	assert_non_null(m.p);
	assert_int_equal(spod_eif_build(m.p, need, &m.len, in), SPOD_OK);
	assert_int_equal(m.len, need);
	return m;
}

/* kernel, cmdline, metadata, ramdisk0, ramdisk1: every section AWS's builder writes. */
static struct img build_std(int with_meta)
{
	static const uint8_t *const rams[] = {ram0, ram1};
	static const size_t lens[] = {sizeof ram0 - 1, sizeof ram1 - 1};
	struct spod_eif_build_in in = std_in(rams, lens, 2);

	if (with_meta) {
		in.metadata = meta;
		in.metadata_len = sizeof meta - 1;
	}
	return build(&in);
}

static void expect_parse_error(struct img *m, int want, const char *error_part)
{
	struct spod_eif e;

	memset(&e, 0xa5, sizeof e);
	assert_int_equal(spod_eif_parse(&e, m->p, m->len), want);
	assert_non_null(e.error);
	if (error_part != NULL && strstr(e.error, error_part) == NULL)
		fail_msg("error \"%s\" does not mention \"%s\"", e.error, error_part);
	assert_int_equal(e.nsections, 0);
	assert_null(e.sections[0].data);
	assert_null(e.cert_cbor);
}

static void test_crc32(void **state)
{
	const uint8_t *check = (const uint8_t *)"123456789";
	uint8_t buf[1000];

	(void)state;
	/* The CRC-32/ISO-HDLC check value (the zlib crc32 of "123456789"). */
	assert_int_equal(spod_eif_crc32(0, check, 9), 0xcbf43926u);
	assert_int_equal(spod_eif_crc32(0, NULL, 0), 0);
	assert_int_equal(spod_eif_crc32(0x12345678u, NULL, 0), 0x12345678u);
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	assert_int_equal(spod_eif_crc32(spod_eif_crc32(0, buf, 333), buf + 333, 667),
	                 spod_eif_crc32(0, buf, sizeof buf));
	assert_int_equal(spod_eif_crc32(0, buf, sizeof buf), crc_bitwise(0, buf, sizeof buf));
}

/* Every header field and section header against EifBuilder's layout. */
static void test_build_layout(void **state)
{
	struct img m = build_std(1);
	const size_t sizes[] = {6, 13, sizeof meta - 1, 8, 8};
	const uint16_t types[] = {1, 2, 5, 3, 3};
	const uint8_t *datas[] = {kernel, (const uint8_t *)cmdline, meta, ram0, ram1};
	uint64_t off = 548;

	(void)state;
	assert_int_equal(m.len, 548 + 5 * 12 + 6 + 13 + (sizeof meta - 1) + 8 + 8);
	assert_memory_equal(m.p, ".eif", 4);
	assert_int_equal(get_be16(m.p + 4), 4);          /* CURRENT_VERSION */
	assert_int_equal(get_be16(m.p + 6), 0);          /* flags: x86_64 */
	assert_true(get_be64(m.p + 8) == 1073741824ull); /* default_mem */
	assert_true(get_be64(m.p + 16) == 2);            /* default_cpus */
	assert_int_equal(get_be16(m.p + 24), 0);         /* reserved */
	assert_int_equal(get_be16(m.p + 26), 5);         /* num_sections */
	for (unsigned i = 0; i < 32; i++) {
		uint64_t o = get_be64(m.p + HDR_OFFSETS + 8 * i);
		uint64_t s = get_be64(m.p + HDR_SIZES + 8 * i);

		if (i >= 5) {
			assert_true(o == 0 && s == 0);
			continue;
		}
		assert_true(o == off);
		assert_true(s == sizes[i]);
		assert_int_equal(get_be16(m.p + off), types[i]);
		assert_int_equal(get_be16(m.p + off + 2), 0);
		assert_true(get_be64(m.p + off + 4) == sizes[i]);
		assert_memory_equal(m.p + off + 12, datas[i], sizes[i]);
		off += 12 + sizes[i];
	}
	assert_true(off == m.len);
	assert_int_equal(get_be32(m.p + 540), 0); /* unused */
	assert_int_equal(get_be32(m.p + 544), expected_crc(m.p, m.len));
	free(m.p);
}

/* Without metadata (version 3): the CRC Python's zlib.crc32 gives for the same bytes. */
static void test_build_crc_zlib(void **state)
{
	static const uint8_t *const rams[] = {ram0, ram1};
	static const size_t lens[] = {8, 8};
	struct spod_eif_build_in in = std_in(rams, lens, 2);
	struct img m = build(&in);

	(void)state;
	assert_int_equal(m.len, 631);
	assert_int_equal(get_be16(m.p + 4), 3);
	assert_int_equal(get_be16(m.p + 26), 4);
	/* zlib.crc32(img[548:], zlib.crc32(img[:544])), as tests/interop/eif_pcrs.py --layout */
	assert_int_equal(get_be32(m.p + 544), 2758713966u);
	free(m.p);
}

static void test_parse_view(void **state)
{
	struct img m = build_std(1);
	struct spod_eif e;

	(void)state;
	assert_int_equal(spod_eif_parse(&e, m.p, m.len), SPOD_OK);
	assert_null(e.error);
	assert_int_equal(e.version, 4);
	assert_int_equal(e.flags, 0);
	assert_true(e.default_mem == SPOD_EIF_DEFAULT_MEM_BYTES);
	assert_true(e.default_cpus == 2);
	assert_int_equal(e.crc32, get_be32(m.p + 544));
	assert_int_equal(e.nsections, 5);
	assert_null(e.cert_cbor);
	assert_int_equal(e.sections[0].type, SPOD_EIF_SECTION_KERNEL);
	assert_ptr_equal(e.sections[0].data, m.p + 560);
	assert_int_equal(e.sections[0].len, 6);
	assert_true(e.sections[1].offset == 566);
	assert_int_equal(e.sections[1].type, SPOD_EIF_SECTION_CMDLINE);
	assert_memory_equal(e.sections[1].data, cmdline, 13);
	assert_int_equal(e.sections[2].type, SPOD_EIF_SECTION_METADATA);
	assert_int_equal(e.sections[3].type, SPOD_EIF_SECTION_RAMDISK);
	assert_int_equal(e.sections[4].type, SPOD_EIF_SECTION_RAMDISK);
	assert_ptr_equal(e.sections[4].data + e.sections[4].len, m.p + m.len);
	free(m.p);
}

static void test_header_options(void **state)
{
	static const uint8_t *const rams[] = {ram0};
	static const size_t lens[] = {8};
	struct spod_eif_build_in in = std_in(rams, lens, 1);
	struct spod_eif e;
	struct img m;

	(void)state;
	in.flags = SPOD_EIF_ARCH_ARM64;
	in.default_mem = 512ull << 20;
	in.default_cpus = 4;
	m = build(&in);
	assert_int_equal(get_be16(m.p + 6), 1);
	assert_int_equal(spod_eif_parse(&e, m.p, m.len), SPOD_OK);
	assert_int_equal(e.flags, SPOD_EIF_ARCH_ARM64);
	assert_int_equal(e.version, 3);
	assert_true(e.default_mem == 512ull << 20);
	assert_true(e.default_cpus == 4);
	assert_int_equal(e.nsections, 3);
	free(m.p);
}

static void measure(struct spod_eif_pcrs *p, const struct img *m)
{
	struct spod_eif e;

	assert_int_equal(spod_eif_parse(&e, m->p, m->len), SPOD_OK);
	assert_int_equal(spod_eif_measure(p, &e), SPOD_OK);
}

static void test_pcrs_formula(void **state)
{
	const uint8_t *all[] = {kernel, (const uint8_t *)cmdline, ram0, ram1};
	const size_t lens[] = {6, 13, 8, 8};
	uint8_t want[48];
	struct spod_eif_pcrs p, q;
	struct img m = build_std(0), with_meta = build_std(1);

	(void)state;
	measure(&p, &m);
	pcr_of(want, all, lens, 4);
	assert_memory_equal(p.pcr0, want, 48);
	pcr_of(want, all, lens, 3);
	assert_memory_equal(p.pcr1, want, 48);
	pcr_of(want, all + 3, lens + 3, 1);
	assert_memory_equal(p.pcr2, want, 48);
	assert_int_equal(p.has_pcr8, 0);
	memset(want, 0, sizeof want);
	assert_memory_equal(p.pcr8, want, 48);
	assert_hex(p.pcr0, vec_pcr0);
	assert_hex(p.pcr1, vec_pcr1);
	assert_hex(p.pcr2, vec_pcr2);
	/* The metadata section is not measured. */
	measure(&q, &with_meta);
	assert_memory_equal(&p, &q, sizeof p);
	free(m.p);
	free(with_meta.p);
}

static void test_pcr2_one_ramdisk(void **state)
{
	static const uint8_t *const rams[] = {ram0};
	static const size_t lens[] = {8};
	struct spod_eif_build_in in = std_in(rams, lens, 1);
	struct img m = build(&in);
	struct spod_eif_pcrs p;
	uint8_t want[48];

	(void)state;
	measure(&p, &m);
	pcr_of(want, NULL, NULL, 0); /* the extend of SHA384("") */
	assert_memory_equal(p.pcr2, want, 48);
	assert_hex(p.pcr2, vec_pcr2_one);
	assert_hex(p.pcr1, vec_pcr1); /* PCR1 does not depend on the application ramdisks */
	free(m.p);
}

/* 30 ramdisks fill the 32-entry table; PCR2 covers ramdisks 1..29 in order. */
static void test_max_sections(void **state)
{
	uint8_t bytes[30];
	const uint8_t *rams[30] = {0};
	size_t lens[30] = {0};
	struct spod_eif_build_in in = std_in(rams, lens, 30);
	struct spod_eif_pcrs p;
	struct spod_eif e;
	uint8_t want[48];
	size_t need = 0;
	struct img m;

	(void)state;
	for (int i = 0; i < 30; i++) {
		bytes[i] = (uint8_t)('A' + i);
		rams[i] = &bytes[i];
		lens[i] = 1;
	}
	m = build(&in);
	assert_int_equal(get_be16(m.p + 26), 32);
	assert_int_equal(spod_eif_parse(&e, m.p, m.len), SPOD_OK);
	assert_int_equal(e.nsections, 32);
	assert_int_equal(spod_eif_measure(&p, &e), SPOD_OK);
	pcr_of(want, rams + 1, lens + 1, 29);
	assert_memory_equal(p.pcr2, want, 48);
	/* One more section does not fit the table. */
	in.metadata = meta;
	in.metadata_len = 1;
	assert_int_equal(spod_eif_build(NULL, 0, &need, &in), SPOD_E_BAD_ARG);
	in.metadata = NULL;
	in.nramdisks = 31;
	assert_int_equal(spod_eif_build(NULL, 0, &need, &in), SPOD_E_BAD_ARG);
	free(m.p);
}

static void make_cert(char **pem, size_t *pem_len, uint8_t **der, size_t *der_len)
{
	EVP_PKEY *key = EVP_EC_gen("P-384");
	X509 *x = X509_new();
	BIO *b = BIO_new(BIO_s_mem());
	X509_NAME *name;
	char *data = NULL;
	uint8_t *q;
	long n;
	int dl;

	assert_non_null(key);
	assert_non_null(x);
	assert_non_null(b);
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 7), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
	assert_int_equal(X509_set_pubkey(x, key), 1);
	name = X509_get_subject_name(x);
	assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	                                            (const unsigned char *)"spod-eif-test", -1, -1,
	                                            0),
	                 1);
	assert_int_equal(X509_set_issuer_name(x, name), 1);
	assert_true(X509_sign(x, key, EVP_sha384()) > 0);
	/* Text before the PEM block, as `openssl x509` prints it: the reader must skip it. */
	assert_true(BIO_puts(b, "subject=CN = spod-eif-test\n") > 0);
	assert_int_equal(PEM_write_bio_X509(b, x), 1);
	n = BIO_get_mem_data(b, &data);
	assert_true(n > 0);
	*pem = malloc((size_t)n);
	assert_non_null(*pem);
	memcpy(*pem, data, (size_t)n);
	*pem_len = (size_t)n;
	dl = i2d_X509(x, NULL);
	assert_true(dl > 0);
	*der = malloc((size_t)dl);
	assert_non_null(*der);
	q = *der;
	assert_int_equal(i2d_X509(x, &q), dl);
	*der_len = (size_t)dl;
	BIO_free(b);
	X509_free(x);
	EVP_PKEY_free(key);
}

static struct img build_signed_raw(const uint8_t *sig, size_t sig_len)
{
	static const uint8_t *const rams[] = {ram0, ram1};
	static const size_t lens[] = {8, 8};
	struct spod_eif_build_in in = std_in(rams, lens, 2);

	in.metadata = meta;
	in.metadata_len = sizeof meta - 1;
	in.signature = sig;
	in.signature_len = sig_len;
	return build(&in);
}

static void test_signed_image(void **state)
{
	static const uint8_t cose[] = {0x84, 0x44, 0xa1, 0x01, 0x38, 0x22, 0xa0, 0xf6, 0x40};
	char *pem = NULL;
	uint8_t *der = NULL, *sig;
	size_t pem_len, der_len, sig_len = 0;
	struct spod_eif_pcrs p, unsigned_p;
	struct spod_eif e;
	uint8_t want[48];
	struct img m, plain = build_std(1);

	(void)state;
	make_cert(&pem, &pem_len, &der, &der_len);
	assert_int_equal(spod_eif_sig_encode(NULL, 0, &sig_len, (const uint8_t *)pem, pem_len, cose,
	                                     sizeof cose),
	                 SPOD_E_TOO_LARGE);
	sig = malloc(sig_len);
	assert_non_null(sig);
	assert_int_equal(spod_eif_sig_encode(sig, sig_len, &sig_len, (const uint8_t *)pem, pem_len,
	                                     cose, sizeof cose),
	                 SPOD_OK);
	m = build_signed_raw(sig, sig_len);
	/* The signature section comes last. */
	assert_int_equal(get_be16(m.p + m.len - sig_len - 12), SPOD_EIF_SECTION_SIGNATURE);
	assert_int_equal(spod_eif_parse(&e, m.p, m.len), SPOD_OK);
	assert_int_equal(e.nsections, 6);
	assert_non_null(e.cert_cbor);
	assert_int_equal(e.cert_pem_len, pem_len);
	assert_int_equal(spod_eif_measure(&p, &e), SPOD_OK);
	assert_int_equal(p.has_pcr8, 1);
	pcr_of(want, (const uint8_t *const *)&der, &der_len, 1);
	assert_memory_equal(p.pcr8, want, 48);
	/* Signing changes no other PCR. */
	measure(&unsigned_p, &plain);
	assert_memory_equal(p.pcr0, unsigned_p.pcr0, 48);
	assert_memory_equal(p.pcr1, unsigned_p.pcr1, 48);
	assert_memory_equal(p.pcr2, unsigned_p.pcr2, 48);
	free(m.p);
	free(plain.p);
	free(sig);
	free(pem);
	free(der);
}

/* CBOR pieces as string literals (sizeof - 1 is the length): text keys of PcrSignature. */
#define SC_CERT                                                                                    \
	"\x73"                                                                                     \
	"signing_certificate"
#define SC_SIG                                                                                     \
	"\x69"                                                                                     \
	"signature"

/* serde_cbor of [PcrSignature{signing_certificate: b"AB", signature: [1, 0x20]}]. */
static const char sig_golden[] =
    "\x81\xa2" SC_CERT "\x82\x18\x41\x18\x42" SC_SIG "\x82\x01\x18\x20";
#define GOLDEN     ((const uint8_t *)sig_golden)
#define GOLDEN_LEN (sizeof sig_golden - 1)

static void test_sig_encode(void **state)
{
	static const uint8_t cose[] = {0x01, 0x20};
	const uint8_t *ab = (const uint8_t *)"AB";
	uint8_t out[GOLDEN_LEN + 4];
	size_t n = 0;

	(void)state;
	memset(out, 0xee, sizeof out);
	assert_int_equal(spod_eif_sig_encode(out, GOLDEN_LEN - 1, &n, ab, 2, cose, 2),
	                 SPOD_E_TOO_LARGE);
	assert_int_equal(n, GOLDEN_LEN);
	assert_int_equal(out[0], 0xee);
	assert_int_equal(spod_eif_sig_encode(out, sizeof out, &n, ab, 2, cose, 2), SPOD_OK);
	assert_int_equal(n, GOLDEN_LEN);
	assert_memory_equal(out, GOLDEN, GOLDEN_LEN);
	assert_int_equal(spod_eif_sig_encode(out, sizeof out, &n, ab, 0, cose, 2), SPOD_E_BAD_ARG);
	assert_int_equal(spod_eif_sig_encode(out, sizeof out, &n, ab, 2, NULL, 2), SPOD_E_BAD_ARG);
	/* A 256-element vector takes a three-byte array head (0x99 0x01 0x00). */
	{
		uint8_t pem[256], big[600];
		memset(pem, 'A', sizeof pem);
		assert_int_equal(spod_eif_sig_encode(big, sizeof big, &n, pem, 256, NULL, 0),
		                 SPOD_OK);
		assert_memory_equal(big + 22, "\x99\x01\x00", 3);
		assert_int_equal(n, 2 + 20 + 3 + 2 * 256 + 10 + 1);
	}
}

struct sig_case {
	const char *name;
	const char *cbor;
	size_t len;
	int want;
};

#define SIG_CASE(name, lit, want)                                                                  \
	{                                                                                          \
		name, lit, sizeof lit - 1, want                                                    \
	}

static const char sig_trailing[] = "\x81\xa2" SC_CERT "\x82\x18\x41\x18\x42" SC_SIG "\x80\x00";

/* Forms serde_cbor also reads, and forms it rejects (or spod rejects as stricter). */
static const struct sig_case sig_cases[] = {
    SIG_CASE("golden", sig_golden, SPOD_OK),
    /* [_ {_ "signing_certificate": [_ 0x41, 0x42], "signature": [_ 1]}] */
    SIG_CASE("indefinite",
             "\x9f\xbf" SC_CERT "\x9f\x18\x41\x18\x42\xff" SC_SIG "\x9f\x01\xff\xff\xff", SPOD_OK),
    /* keys swapped, an unknown key skipped, a wide integer head */
    SIG_CASE("reordered",
             "\x81\xa3" SC_SIG "\x80"
             "\x63"
             "foo"
             "\x82\x01\xa1\x00\xf6" SC_CERT "\x82\x18\x41\x19\x00\x42",
             SPOD_OK),
    SIG_CASE("two entries",
             "\x82\xa2" SC_CERT "\x82\x18\x41\x18\x42" SC_SIG "\x80"
             "\xa2" SC_CERT "\x81\x18\x43" SC_SIG "\x80",
             SPOD_OK),
    /* an unknown key holding a tag 6..20, an indefinite byte string and a bool */
    SIG_CASE("unknown key, any item",
             "\x81\xa3" SC_CERT "\x82\x18\x41\x18\x42" SC_SIG "\x80"
             "\x61"
             "x"
             "\x83\xd2\x40\x5f\x41\x01\xff\xf5",
             SPOD_OK),
    SIG_CASE("empty array", "\x80", SPOD_E_BAD_FIELD),
    /* serde_cbor refuses unassigned simple values (UnassignedCode), even unknown ones */
    SIG_CASE("unassigned simple value",
             "\x81\xa3" SC_CERT "\x82\x18\x41\x18\x42" SC_SIG "\x80"
             "\x61"
             "x"
             "\xe0",
             SPOD_E_BAD_FIELD),
    SIG_CASE("not an array", "\xa0", SPOD_E_BAD_FIELD),
    SIG_CASE("empty section", "", SPOD_E_BAD_FIELD),
    SIG_CASE("byte string",
             "\x81\xa2" SC_CERT "\x42"
             "AB" SC_SIG "\x81\x01",
             SPOD_E_BAD_FIELD),
    SIG_CASE("missing key", "\x81\xa1" SC_CERT "\x82\x18\x41\x18\x42", SPOD_E_BAD_FIELD),
    SIG_CASE("duplicate key", "\x81\xa3" SC_CERT "\x81\x01" SC_CERT "\x81\x01" SC_SIG "\x80",
             SPOD_E_BAD_FIELD),
    SIG_CASE("element 256", "\x81\xa2" SC_CERT "\x81\x19\x01\x00" SC_SIG "\x80", SPOD_E_BAD_FIELD),
    SIG_CASE("negative", "\x81\xa2" SC_CERT "\x81\x20" SC_SIG "\x80", SPOD_E_BAD_FIELD),
    SIG_CASE("integer key", "\x81\xa2\x00\x81\x18\x41\x01\x80", SPOD_E_BAD_FIELD),
    SIG_CASE("deep",
             "\x81\xa3" SC_CERT "\x80" SC_SIG "\x80"
             "\x61"
             "x"
             "\x81\x81\x81\x81\x81\x81\x81\x81\x81\x81\x81\x81\x81\x81\x81\x81\x81\x81\x01",
             SPOD_E_BAD_FIELD),
    SIG_CASE("huge count", "\x81\xa2" SC_CERT "\x9b\xff\xff\xff\xff\xff\xff\xff\xff\x01",
             SPOD_E_BAD_FIELD),
    SIG_CASE("trailing", sig_trailing, SPOD_E_BAD_FIELD),
    {"truncated", sig_golden, sizeof sig_golden - 2, SPOD_E_BAD_FIELD},
};

static void test_signature_section_forms(void **state)
{
	const struct sig_case *cases = sig_cases;

	(void)state;
	for (size_t i = 0; i < sizeof sig_cases / sizeof sig_cases[0]; i++) {
		struct img m = build_signed_raw((const uint8_t *)cases[i].cbor, cases[i].len);
		struct spod_eif e;
		struct spod_eif_pcrs p;
		int rc = spod_eif_parse(&e, m.p, m.len);

		if (rc != cases[i].want)
			fail_msg("%s: parse gave %d, want %d (%s)", cases[i].name, rc,
			         cases[i].want, e.error ? e.error : "");
		if (rc == SPOD_OK) {
			/* "AB" is no PEM certificate: measured like nitro-cli, that fails. */
			assert_int_equal(e.cert_pem_len, 2);
			memset(&p, 0xa5, sizeof p);
			assert_int_equal(spod_eif_measure(&p, &e), SPOD_E_BAD_KEY);
			assert_int_equal(p.has_pcr8, 0);
			assert_int_equal(p.pcr0[0] | p.pcr0[47] | p.pcr8[0], 0);
		} else {
			assert_non_null(strstr(e.error, "signature section"));
		}
		free(m.p);
	}
}

static void test_truncated_every_length(void **state)
{
	struct img m = build_std(1);

	(void)state;
	for (size_t n = 0; n < m.len; n++) {
		struct img cut = {m.p, n};
		expect_parse_error(&cut, SPOD_E_TRUNCATED, n < 548 ? "shorter" : "ends inside");
	}
	free(m.p);
}

static void test_crc_mismatch(void **state)
{
	const size_t at[] = {15, 547, 560, 0};
	struct img m = build_std(1);

	(void)state;
	for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
		size_t pos = at[i] ? at[i] : m.len - 1;

		m.p[pos] ^= 0x01;
		expect_parse_error(&m, SPOD_E_BAD_SIGNATURE, "CRC");
		m.p[pos] ^= 0x01;
	}
	free(m.p);
}

/* Applies one header edit to a fresh image, fixes its CRC and expects the error. */
static void header_case(size_t off, uint16_t v16, int want, const char *error_part)
{
	struct img m = build_std(1);

	set_be16(m.p + off, v16);
	fix_crc(&m);
	if (want == SPOD_OK) {
		struct spod_eif e;
		assert_int_equal(spod_eif_parse(&e, m.p, m.len), SPOD_OK);
	} else {
		expect_parse_error(&m, want, error_part);
	}
	free(m.p);
}

static void test_header_fields(void **state)
{
	(void)state;
	header_case(0, 0x2e65, SPOD_OK, NULL); /* ".e" unchanged */
	header_case(2, 0x6967, SPOD_E_BAD_MAGIC, "\".eif\"");
	header_case(4, 0, SPOD_E_BAD_VERSION, "version");
	header_case(4, 1, SPOD_E_BAD_VERSION, "version");
	header_case(4, 2, SPOD_OK, NULL);
	header_case(4, 3, SPOD_OK, NULL);
	header_case(4, 5, SPOD_E_BAD_VERSION, "version");
	header_case(4, 0xffff, SPOD_E_BAD_VERSION, "version");
	/* Reserved flag bits and fields are ignored, as the specification says. */
	header_case(6, 0x8002, SPOD_OK, NULL);
	header_case(24, 1, SPOD_OK, NULL);
	header_case(542, 1, SPOD_OK, NULL);
}

static void test_section_count(void **state)
{
	(void)state;
	header_case(26, 0, SPOD_E_BAD_FIELD, "no sections");
	header_case(26, 33, SPOD_E_TOO_LARGE, "more than 32");
	header_case(26, 0xffff, SPOD_E_TOO_LARGE, "more than 32");
	header_case(26, 4, SPOD_E_BAD_LENGTH, "after the last"); /* the 5th is left over */
	header_case(26, 6, SPOD_E_BAD_REF, "offset table");      /* entry 5 is zero */
}

static void table_case(size_t off, uint64_t v, int want, const char *error_part)
{
	struct img m = build_std(1);

	set_be64(m.p + off, v);
	fix_crc(&m);
	expect_parse_error(&m, want, error_part);
	free(m.p);
}

static void test_section_bounds(void **state)
{
	struct img m = build_std(1);
	uint64_t last = get_be64(m.p + HDR_OFFSETS + 8 * 4);
	uint64_t last_size = get_be64(m.p + HDR_SIZES + 8 * 4);
	struct spod_eif e;

	(void)state;
	table_case(HDR_OFFSETS + 8, 1ull << 63, SPOD_E_BAD_REF, "offset table");
	table_case(HDR_OFFSETS + 8, 560, SPOD_E_BAD_REF, "offset table"); /* overlaps the kernel */
	table_case(HDR_OFFSETS + 0, 0, SPOD_E_BAD_REF, "offset table");   /* over the header */
	table_case(HDR_SIZES + 8 * 4, UINT64_MAX, SPOD_E_BAD_REF, "overflows");
	table_case(HDR_SIZES + 8 * 4, UINT64_MAX - 700, SPOD_E_TRUNCATED, "ends inside");
	/* The section header disagrees with the table. */
	table_case(566 + 4, 14, SPOD_E_BAD_REF, "size differs");
	/* Last section one byte longer in both places: it runs past the end of the file. */
	set_be64(m.p + HDR_SIZES + 8 * 4, last_size + 1);
	set_be64(m.p + last + 4, last_size + 1);
	fix_crc(&m);
	expect_parse_error(&m, SPOD_E_TRUNCATED, "ends inside");
	/* Entries past num_sections are not looked at. */
	set_be64(m.p + HDR_SIZES + 8 * 4, last_size);
	set_be64(m.p + last + 4, last_size);
	set_be64(m.p + HDR_OFFSETS + 8 * 7, 1);
	set_be64(m.p + HDR_SIZES + 8 * 31, 1);
	fix_crc(&m);
	assert_int_equal(spod_eif_parse(&e, m.p, m.len), SPOD_OK);
	/* Back as built, plus one byte after the last section. */
	set_be64(m.p + HDR_SIZES + 8 * 4, last_size);
	set_be64(m.p + last + 4, last_size);
	m.p = realloc(m.p, m.len + 1);
	assert_non_null(m.p);
	m.p[m.len++] = 0;
	fix_crc(&m);
	expect_parse_error(&m, SPOD_E_BAD_LENGTH, "after the last section");
	free(m.p);
}

static void type_case(int with_meta, unsigned section, uint16_t type, int want,
                      const char *error_part)
{
	struct img m = build_std(with_meta);

	set_be16(m.p + get_be64(m.p + HDR_OFFSETS + 8 * section), type);
	fix_crc(&m);
	expect_parse_error(&m, want, error_part);
	free(m.p);
}

static void test_section_types(void **state)
{
	(void)state;
	type_case(1, 1, 0, SPOD_E_BAD_FIELD, "type 0");
	type_case(1, 1, 6, SPOD_E_BAD_FIELD, "unknown section type");
	type_case(1, 4, 0xffff, SPOD_E_BAD_FIELD, "unknown section type");
	type_case(1, 1, SPOD_EIF_SECTION_KERNEL, SPOD_E_BAD_FIELD, "one kernel");
	type_case(1, 0, SPOD_EIF_SECTION_RAMDISK, SPOD_E_BAD_FIELD, "one kernel");
	type_case(1, 3, SPOD_EIF_SECTION_CMDLINE, SPOD_E_BAD_FIELD, "one cmdline");
	type_case(1, 3, SPOD_EIF_SECTION_METADATA, SPOD_E_BAD_FIELD, "more than one metadata");
	type_case(1, 2, SPOD_EIF_SECTION_KERNEL, SPOD_E_BAD_FIELD, "one kernel");
}

static void test_section_rules(void **state)
{
	struct img m = build_std(0);
	static const uint8_t big_meta[SPOD_EIF_SIGNATURE_MAX_BYTES + 1];

	(void)state;
	/* kernel, cmdline, ramdisk, ramdisk -> ramdisk, cmdline, kernel, ramdisk */
	set_be16(m.p + get_be64(m.p + HDR_OFFSETS), SPOD_EIF_SECTION_RAMDISK);
	set_be16(m.p + get_be64(m.p + HDR_OFFSETS + 16), SPOD_EIF_SECTION_KERNEL);
	fix_crc(&m);
	expect_parse_error(&m, SPOD_E_BAD_FIELD, "ramdisk section before the kernel");
	free(m.p);
	/* Version 4 makes the metadata section mandatory. */
	m = build_std(0);
	assert_int_equal(get_be16(m.p + 4), 3);
	set_be16(m.p + 4, 4);
	fix_crc(&m);
	expect_parse_error(&m, SPOD_E_BAD_FIELD, "version 4 image without a metadata section");
	free(m.p);
	/* A second signature section (the metadata one retyped). */
	m = build_signed_raw(GOLDEN, GOLDEN_LEN);
	set_be16(m.p + get_be64(m.p + HDR_OFFSETS + 16), SPOD_EIF_SECTION_SIGNATURE);
	fix_crc(&m);
	expect_parse_error(&m, SPOD_E_BAD_FIELD, "more than one metadata or signature");
	free(m.p);
	/* A signature section over the specification's 32768 bytes (a metadata one retyped). */
	{
		static const uint8_t *const rams[] = {ram0};
		static const size_t lens[] = {8};
		struct spod_eif_build_in in = std_in(rams, lens, 1);

		in.metadata = big_meta;
		in.metadata_len = sizeof big_meta;
		m = build(&in);
		set_be16(m.p + 4, 3);
		set_be16(m.p + get_be64(m.p + HDR_OFFSETS + 16), SPOD_EIF_SECTION_SIGNATURE);
		fix_crc(&m);
		expect_parse_error(&m, SPOD_E_TOO_LARGE, "larger than 32768");
		free(m.p);
	}
}

/* Kernel and cmdline alone are an image (num_sections 2): PCR2 is the empty extend. */
static void test_no_ramdisk(void **state)
{
	const uint8_t *parts[] = {kernel, (const uint8_t *)cmdline};
	const size_t lens[] = {6, 13};
	struct spod_eif_build_in in = std_in(NULL, NULL, 0);
	struct spod_eif_pcrs p;
	uint8_t want[48];
	struct img m = build(&in);

	(void)state;
	assert_int_equal(get_be16(m.p + 26), 2);
	measure(&p, &m);
	pcr_of(want, parts, lens, 2);
	assert_memory_equal(p.pcr0, want, 48);
	assert_memory_equal(p.pcr1, want, 48);
	pcr_of(want, NULL, NULL, 0);
	assert_memory_equal(p.pcr2, want, 48);
	free(m.p);
}

static void test_build_args(void **state)
{
	static const uint8_t *const rams[] = {ram0};
	static const size_t lens[] = {8};
	static const uint8_t *const null_ram[] = {NULL};
	struct spod_eif_build_in in = std_in(rams, lens, 1);
	uint8_t out[700];
	size_t n = 1, need = 0;
	struct spod_eif e;

	(void)state;
	assert_int_equal(spod_eif_build(out, sizeof out, &need, &in), SPOD_OK);
	assert_int_equal(need, 548 + 3 * 12 + 6 + 13 + 8);
	memset(out, 0xee, sizeof out);
	assert_int_equal(spod_eif_build(out, need - 1, &n, &in), SPOD_E_TOO_LARGE);
	assert_int_equal(n, need);
	assert_int_equal(out[0], 0xee);
	in = std_in(rams, lens, 1);
	in.signature = out;
	in.signature_len = SPOD_EIF_SIGNATURE_MAX_BYTES + 1;
	assert_int_equal(spod_eif_build(out, sizeof out, &n, &in), SPOD_E_BAD_ARG);
	assert_int_equal(n, 0);
	in = std_in(rams, NULL, 1);
	assert_int_equal(spod_eif_build(out, sizeof out, &n, &in), SPOD_E_BAD_ARG);
	in = std_in(rams, lens, 1);
	in.flags = 2;
	assert_int_equal(spod_eif_build(out, sizeof out, &n, &in), SPOD_E_BAD_ARG);
	in = std_in(rams, lens, 1);
	in.cmdline = NULL;
	assert_int_equal(spod_eif_build(out, sizeof out, &n, &in), SPOD_E_BAD_ARG);
	in = std_in(null_ram, lens, 1);
	assert_int_equal(spod_eif_build(out, sizeof out, &n, &in), SPOD_E_BAD_ARG);
	in = std_in(rams, lens, 1);
	in.kernel = NULL;
	assert_int_equal(spod_eif_build(out, sizeof out, &n, &in), SPOD_E_BAD_ARG);
	/* Empty sections are allowed and still measured (as empty input). */
	in.kernel_len = 0;
	in.cmdline = "";
	assert_int_equal(spod_eif_build(out, sizeof out, &n, &in), SPOD_OK);
	assert_int_equal(spod_eif_parse(&e, out, n), SPOD_OK);
	assert_int_equal(e.sections[0].len, 0);
	/* The parser refuses a NULL image with a length. */
	assert_int_equal(spod_eif_parse(&e, NULL, 10), SPOD_E_BAD_ARG);
	assert_int_equal(spod_eif_parse(&e, NULL, 0), SPOD_E_TRUNCATED);
}

/*
 * `spod measure`: cmd_measure against a file, output captured. The CLI helpers live in
 * src/cli/main.c, which is not in spod_cli_core, so minimal stand-ins follow.
 */
int cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

int cli_only(const struct cli *cli, uint64_t allowed_mask, const char *cmd)
{
	allowed_mask |= 1ull << OPT_URI | 1ull << OPT_JSON | 1ull << OPT_TIMEOUT;
	for (int i = 0; i < OPT__COUNT; i++)
		if (cli->opt[i] != NULL && !(allowed_mask & (1ull << i)))
			return cli_usage_error("'%s' does not take option %d", cmd, i);
	return 0;
}

void cli_json_str(FILE *out, const char *s, size_t len)
{
	fputc('"', out);
	fwrite(s, 1, len, out);
	fputc('"', out);
}

void cli_hex(FILE *out, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		fprintf(out, "%02x", p[i]);
}

static char cap_out[4096], cap_err[4096];

static void read_all(FILE *f, char *buf, size_t cap)
{
	size_t n;

	rewind(f);
	n = fread(buf, 1, cap - 1, f);
	buf[n] = '\0';
	fclose(f);
}

static int run_measure(const char *path, int json, int with_alg)
{
	struct cli cli;
	FILE *fo = tmpfile(), *fe = tmpfile();
	int so, se, rc;

	assert_non_null(fo);
	assert_non_null(fe);
	memset(&cli, 0, sizeof cli);
	if (path != NULL)
		cli.pos[cli.npos++] = path;
	cli.json = json;
	cli.opt[OPT_JSON] = json ? "" : NULL;
	cli.opt[OPT_ALG] = with_alg ? "p256" : NULL;
	fflush(stdout);
	fflush(stderr);
	so = dup(1);
	se = dup(2);
	assert_true(so >= 0 && se >= 0);
	assert_true(dup2(fileno(fo), 1) >= 0 && dup2(fileno(fe), 2) >= 0);
	rc = cmd_measure(&cli);
	fflush(stdout);
	fflush(stderr);
	assert_true(dup2(so, 1) >= 0 && dup2(se, 2) >= 0);
	close(so);
	close(se);
	read_all(fo, cap_out, sizeof cap_out);
	read_all(fe, cap_err, sizeof cap_err);
	return rc;
}

static void write_file(char *path, const uint8_t *p, size_t n)
{
	int fd;

	strcpy(path, "/tmp/spod-test-eif-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	close(fd);
}

static void test_cmd_measure(void **state)
{
	static const char text[] = "HashAlgorithm: Sha384 { ... }\nPCR0: %s\nPCR1: %s\nPCR2: %s\n";
	static const char json[] = "{\"Measurements\":{\"HashAlgorithm\":\"Sha384 { ... }\","
	                           "\"PCR0\":\"%s\",\"PCR1\":\"%s\",\"PCR2\":\"%s\"}}\n";
	struct img m = build_std(1);
	char path[64], want[1024];

	(void)state;
	write_file(path, m.p, m.len);
	assert_int_equal(run_measure(path, 0, 0), 0);
	snprintf(want, sizeof want, text, vec_pcr0, vec_pcr1, vec_pcr2);
	assert_string_equal(cap_out, want);
	assert_string_equal(cap_err, "");
	assert_int_equal(run_measure(path, 1, 0), 0);
	snprintf(want, sizeof want, json, vec_pcr0, vec_pcr1, vec_pcr2);
	assert_string_equal(cap_out, want);

	/* Usage errors: no path, an option measure does not take. */
	assert_int_equal(run_measure(NULL, 0, 0), 2);
	assert_int_equal(run_measure(path, 0, 1), 2);
	assert_string_equal(cap_out, "");

	/* A corrupt image: nothing on stdout, the reason on stderr, exit as the table says. */
	m.p[m.len - 1] ^= 0x80; /* in ramdisk1's data */
	unlink(path);
	write_file(path, m.p, m.len);
	assert_int_equal(run_measure(path, 0, 0), spod_err_exit_code(SPOD_E_BAD_SIGNATURE));
	assert_string_equal(cap_out, "");
	assert_non_null(strstr(cap_err, "CRC-32 mismatch"));
	assert_non_null(strstr(cap_err, "[BAD_SIGNATURE]"));
	assert_int_equal(run_measure(path, 1, 0), spod_err_exit_code(SPOD_E_BAD_SIGNATURE));
	assert_non_null(strstr(cap_err, "{\"error\":{\"code\":\"BAD_SIGNATURE\""));
	unlink(path);

	/* Missing and empty files: a file that cannot be read is a usage error, not the pod's. */
	assert_int_equal(run_measure(path, 0, 0), 2);
	assert_non_null(strstr(cap_err, "No such file"));
	write_file(path, m.p, 0);
	assert_int_equal(run_measure(path, 0, 0), spod_err_exit_code(SPOD_E_TRUNCATED));
	assert_non_null(strstr(cap_err, "shorter than"));
	unlink(path);
	assert_int_equal(run_measure("/", 0, 0), 2);
	assert_non_null(strstr(cap_err, "not a regular file"));
	free(m.p);
}

static void test_cmd_measure_signed(void **state)
{
	static const uint8_t cose[] = {0x84, 0x40, 0xa0, 0xf6, 0x40};
	char *pem = NULL, path[64], want[256], hex[97];
	uint8_t *der = NULL, *sig, pcr8[48];
	size_t pem_len, der_len, sig_len = 0;
	struct img m;

	(void)state;
	make_cert(&pem, &pem_len, &der, &der_len);
	assert_int_equal(spod_eif_sig_encode(NULL, 0, &sig_len, (const uint8_t *)pem, pem_len, cose,
	                                     sizeof cose),
	                 SPOD_E_TOO_LARGE);
	sig = malloc(sig_len);
	assert_non_null(sig);
	assert_int_equal(spod_eif_sig_encode(sig, sig_len, &sig_len, (const uint8_t *)pem, pem_len,
	                                     cose, sizeof cose),
	                 SPOD_OK);
	m = build_signed_raw(sig, sig_len);
	write_file(path, m.p, m.len);
	pcr_of(pcr8, (const uint8_t *const *)&der, &der_len, 1);
	assert_int_equal(spod_hex_encode(hex, sizeof hex, pcr8, 48), SPOD_OK);
	assert_int_equal(run_measure(path, 0, 0), 0);
	snprintf(want, sizeof want, "PCR2: %s\nPCR8: %s\n", vec_pcr2, hex);
	assert_non_null(strstr(cap_out, want));
	assert_int_equal(run_measure(path, 1, 0), 0);
	snprintf(want, sizeof want, "\"PCR8\":\"%s\"}}\n", hex);
	assert_non_null(strstr(cap_out, want));
	unlink(path);
	free(m.p);
	free(sig);
	free(pem);
	free(der);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_crc32),
	    cmocka_unit_test(test_build_layout),
	    cmocka_unit_test(test_build_crc_zlib),
	    cmocka_unit_test(test_parse_view),
	    cmocka_unit_test(test_header_options),
	    cmocka_unit_test(test_pcrs_formula),
	    cmocka_unit_test(test_pcr2_one_ramdisk),
	    cmocka_unit_test(test_max_sections),
	    cmocka_unit_test(test_signed_image),
	    cmocka_unit_test(test_sig_encode),
	    cmocka_unit_test(test_signature_section_forms),
	    cmocka_unit_test(test_truncated_every_length),
	    cmocka_unit_test(test_crc_mismatch),
	    cmocka_unit_test(test_header_fields),
	    cmocka_unit_test(test_section_count),
	    cmocka_unit_test(test_section_bounds),
	    cmocka_unit_test(test_section_types),
	    cmocka_unit_test(test_section_rules),
	    cmocka_unit_test(test_no_ramdisk),
	    cmocka_unit_test(test_build_args),
	    cmocka_unit_test(test_cmd_measure),
	    cmocka_unit_test(test_cmd_measure_signed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
