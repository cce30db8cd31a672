/*
 * PEM key files for `spod keys import` (src/cli/keyfile_pem.c).
 *
 * Fixed vectors: RFC 8410 §10.3, the example Ed25519 private key (private key
 * d4ee72db…5842) in its plain form and with an attribute and the public key (§10.3, whose
 * public key 19bf4409…66e1 is §10.1's example).
 *
 * Everything else is made by the openssl command line in a temporary directory when the test
 * runs, and the key spod reads is compared with what `openssl pkey -text` prints for that
 * file: PKCS#8 for each algorithm, SEC1 with and without an EC PARAMETERS block, a
 * compressed public point, a named curve written as explicit parameters, CRLF line ends;
 * then encrypted keys, other curves and types, a public key alone, two keys in one file,
 * and a SEC1 key whose public point was replaced by another key's.
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
#include <openssl/crypto.h>
#include <openssl/pem.h>

#include "cli/keyfile.h"
#include "common/hex.h"
#include "crypto/sign.h"
#include "spod/err.h"

#define TEST_SECURE_HEAP_BYTES (64u * 1024u)
#define FILE_CAP               8192u

static const char rfc8410_plain[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n"
    "-----END PRIVATE KEY-----\n";
static const char rfc8410_with_pub[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MHICAQEwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n"
    "oB8wHQYKKoZIhvcNAQkJFDEPDA1DdXJkbGUgQ2hhaXJzgSEAGb9ECWmEzf6FQbrB\n"
    "Z9w7lshQhqowtrbLDFw4rXAxZuE=\n"
    "-----END PRIVATE KEY-----\n";
static const char rfc8410_secret[] =
    "d4ee72dbf913584ad5b6d8f1f769f8ad3afe7c28cbf1d4fbe097a88f44755842";
static const char rfc8410_pub[] =
    "19bf44096984cdfe8541bac167dc3b96c85086aa30b6b6cb0c5c38ad703166e1";

static char dir[] = "/tmp/spod-keyfile-XXXXXX";

/* Runs a shell command in the temporary directory; it must succeed. */
static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int n = snprintf(cmd, sizeof cmd, "cd '%s' && ", dir);

	va_start(ap, fmt);
	vsnprintf(cmd + n, sizeof cmd - (size_t)n, fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("command failed: %s", cmd);
}

static size_t slurp(const char *name, char *buf, size_t cap)
{
	char path[256];
	FILE *f;
	size_t n;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	n = fread(buf, 1, cap - 1, f);
	fclose(f);
	buf[n] = '\0';
	return n;
}

/* The hex digits after "label:" in `openssl pkey -text` output, as bytes. */
static size_t text_field(uint8_t *out, size_t cap, const char *text, const char *label)
{
	char hex[512];
	size_t h = 0, n = 0;
	const char *p = strstr(text, label);

	assert_non_null(p);
	p = strchr(p, '\n') + 1;
	while (*p == ' ') {
		for (; *p != '\n' && *p != '\0'; p++) {
			if (*p != ' ' && *p != ':' && h < sizeof hex - 1)
				hex[h++] = *p;
		}
		p += *p == '\n';
	}
	hex[h] = '\0';
	assert_int_equal(spod_hex_decode(out, cap, &n, hex), SPOD_OK);
	return n;
}

/* The private key and public key openssl reports for a file (the scalar left-padded). */
static void openssl_view(const char *name, uint8_t priv[32], uint8_t *pub, size_t *pub_len)
{
	char cmd[512], text[FILE_CAP];
	uint8_t raw[40];
	size_t n, len;
	FILE *p;

	snprintf(cmd, sizeof cmd, "openssl pkey -in '%s/%s' -text -noout", dir, name);
	p = popen(cmd, "r");
	assert_non_null(p);
	len = fread(text, 1, sizeof text - 1, p);
	assert_int_equal(pclose(p), 0);
	text[len] = '\0';
	n = text_field(raw, sizeof raw, text, "priv:");
	while (n > 32 && raw[0] == 0)
		memmove(raw, raw + 1, --n);
	assert_true(n <= 32);
	memset(priv, 0, 32 - n);
	memcpy(priv + 32 - n, raw, n);
	*pub_len = text_field(pub, SPOD_PUB_MAX_BYTES, text, "pub:");
	OPENSSL_cleanse(text, sizeof text);
}

static int parse_text(struct spod_keyfile_secret *kf, const char *text, size_t len, uint8_t alg,
                      const char **why)
{
	struct spod_keyfile_opts opts = {.alg = alg};

	return spod_keyfile_parse(kf, (const uint8_t *)text, len, &opts, why);
}

/* Reads the file with spod (auto-detected) and compares with openssl's view of `view`. */
static void check_file(const char *name, const char *view, uint8_t want_alg)
{
	struct spod_keyfile_secret kf;
	uint8_t priv[32], pub[SPOD_PUB_MAX_BYTES];
	char text[FILE_CAP];
	size_t pub_len, len = slurp(name, text, sizeof text);
	const char *why;

	openssl_view(view, priv, pub, &pub_len);
	assert_int_equal(parse_text(&kf, text, len, 0, &why), SPOD_OK);
	assert_int_equal(kf.fmt, SPOD_KEYFILE_PEM);
	assert_int_equal(kf.alg, want_alg);
	assert_int_equal(kf.claim, SPOD_KEYFILE_CLAIM_NONE);
	assert_memory_equal(kf.secret, priv, 32);
	assert_int_equal(kf.pub_len, pub_len);
	assert_memory_equal(kf.pub, pub, pub_len);
	spod_keyfile_free(&kf);
	OPENSSL_cleanse(priv, sizeof priv);
}

static void check_refused(const char *name, int want_rc, const char *why_part)
{
	struct spod_keyfile_secret kf;
	char text[FILE_CAP];
	size_t len = slurp(name, text, sizeof text);
	const char *why = NULL;

	assert_int_equal(parse_text(&kf, text, len, 0, &why), want_rc);
	assert_null(kf.secret);
	assert_non_null(why);
	if (why_part != NULL && strstr(why, why_part) == NULL)
		fail_msg("%s: \"%s\" does not mention \"%s\"", name, why, why_part);
}

static int setup(void **state)
{
	(void)state;
	if (spod_crypto_init(TEST_SECURE_HEAP_BYTES) != SPOD_OK || mkdtemp(dir) == NULL)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char cmd[256];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	spod_crypto_cleanup();
	return system(cmd) == 0 ? 0 : -1;
}

/*
 * RFC 8410's key in its two forms. OpenSSL 3.0 cannot decode the second (PKCS#8 v2, RFC 5958
 * OneAsymmetricKey with a public key), so where it does not, spod refuses that file; where it
 * does, the public key in it is checked. Returns whether the v2 form was read.
 */
static int read_rfc8410(void)
{
	struct spod_keyfile_secret kf;
	uint8_t want[32];
	char pub_hex[65];
	size_t n;
	const char *why;
	int rc;

	assert_int_equal(spod_hex_decode(want, sizeof want, &n, rfc8410_secret), SPOD_OK);
	for (int i = 0; i < 2; i++) {
		const char *pem = i == 0 ? rfc8410_plain : rfc8410_with_pub;

		rc = parse_text(&kf, pem, strlen(pem), 0, &why);
		if (i == 1 && rc == SPOD_E_BAD_KEY)
			return 0;
		assert_int_equal(rc, SPOD_OK);
		assert_int_equal(kf.alg, SPOD_ALG_ED25519);
		assert_memory_equal(kf.secret, want, 32);
		assert_int_equal(spod_hex_encode(pub_hex, sizeof pub_hex, kf.pub, kf.pub_len),
		                 SPOD_OK);
		assert_string_equal(pub_hex, rfc8410_pub);
		spod_keyfile_free(&kf);
	}
	return 1;
}

static void test_rfc8410(void **state)
{
	struct spod_keyfile_secret kf;
	char bad[sizeof rfc8410_plain];
	const char *why;

	(void)state;
	read_rfc8410();
	assert_int_equal(parse_text(&kf, rfc8410_plain, strlen(rfc8410_plain), SPOD_ALG_P256, &why),
	                 SPOD_E_BAD_ARG);
	/* A base64 character that is not one: OpenSSL refuses to decode. */
	memcpy(bad, rfc8410_plain, sizeof bad);
	bad[40] = '*';
	assert_int_equal(parse_text(&kf, bad, strlen(bad), 0, &why), SPOD_E_BAD_KEY);
	/* No END line. */
	assert_int_equal(parse_text(&kf, rfc8410_plain, 40, 0, &why), SPOD_E_BAD_KEY);
	assert_string_equal(why, "PEM file: a BEGIN line without its matching END line");
}

static void test_generated(void **state)
{
	(void)state;
	sh("openssl genpkey -algorithm ED25519 -out ed.pem");
	check_file("ed.pem", "ed.pem", SPOD_ALG_ED25519);
	sh("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out p256.pem");
	check_file("p256.pem", "p256.pem", SPOD_ALG_P256);
	sh("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:secp256k1 -out k1.pem");
	check_file("k1.pem", "k1.pem", SPOD_ALG_SECP256K1);
	/* SEC1 "EC PRIVATE KEY", after an EC PARAMETERS block as `ecparam -genkey` writes. */
	sh("openssl ecparam -name prime256v1 -genkey -out p256_sec1.pem");
	sh("grep -q 'BEGIN EC PARAMETERS' p256_sec1.pem && grep -q 'BEGIN EC PRIVATE' "
	   "p256_sec1.pem");
	check_file("p256_sec1.pem", "p256_sec1.pem", SPOD_ALG_P256);
	sh("openssl ec -in k1.pem -out k1_sec1.pem 2>/dev/null && grep -q 'BEGIN EC PRIVATE' "
	   "k1_sec1.pem");
	check_file("k1_sec1.pem", "k1.pem", SPOD_ALG_SECP256K1);
	/* A compressed public point names the same key. */
	sh("openssl ec -in k1.pem -conv_form compressed -out k1_comp.pem 2>/dev/null");
	check_file("k1_comp.pem", "k1.pem", SPOD_ALG_SECP256K1);
	/* CRLF line ends and text before the block. */
	sh("{ printf 'my key\\r\\n'; sed 's/$/\\r/' p256.pem; } > p256_crlf.pem");
	check_file("p256_crlf.pem", "p256.pem", SPOD_ALG_P256);
}

static void test_encrypted(void **state)
{
	(void)state;
	sh("openssl genpkey -algorithm ED25519 -aes-128-cbc -pass pass:hunter2 -out enc8.pem");
	check_refused("enc8.pem", SPOD_E_BAD_ARG, "openssl pkey -in");
	sh("openssl ecparam -name secp256k1 -genkey -noout -out k1_plain.pem");
	sh("openssl ec -in k1_plain.pem -aes128 -passout pass:hunter2 -out enc_sec1.pem "
	   "2>/dev/null");
	sh("grep -q 'Proc-Type: 4,ENCRYPTED' enc_sec1.pem");
	check_refused("enc_sec1.pem", SPOD_E_BAD_ARG, "decrypt it first");
}

static void test_unsupported(void **state)
{
	(void)state;
	sh("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out p384.pem");
	check_refused("p384.pem", SPOD_E_UNKNOWN_ALG, "curve");
	sh("openssl ecparam -name secp384r1 -genkey -noout -out p384_sec1.pem");
	check_refused("p384_sec1.pem", SPOD_E_UNKNOWN_ALG, "curve");
	sh("openssl genpkey -algorithm X25519 -out x25519.pem");
	check_refused("x25519.pem", SPOD_E_UNKNOWN_ALG, NULL);
	sh("openssl genpkey -algorithm ED448 -out ed448.pem");
	check_refused("ed448.pem", SPOD_E_UNKNOWN_ALG, NULL);
	sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa.pem 2>/dev/null");
	check_refused("rsa.pem", SPOD_E_UNKNOWN_ALG, NULL);
	sh("openssl rsa -in rsa.pem -traditional -out rsa_trad.pem 2>/dev/null");
	check_refused("rsa_trad.pem", SPOD_E_UNKNOWN_ALG, "RSA");
	/* secp256k1 spelled out as explicit parameters: OpenSSL recognises the named curve. */
	sh("openssl ecparam -name secp256k1 -genkey -noout -out k1_named.pem");
	sh("openssl ec -in k1_named.pem -param_enc explicit -out k1_explicit.pem 2>/dev/null");
	sh("openssl asn1parse -in k1_explicit.pem | grep -q prime-field");
	check_file("k1_explicit.pem", "k1_named.pem", SPOD_ALG_SECP256K1);
	/* A public key alone. */
	sh("openssl genpkey -algorithm ED25519 -out ed_pub_src.pem");
	sh("openssl pkey -in ed_pub_src.pem -pubout -out ed_pub.pem");
	check_refused("ed_pub.pem", SPOD_E_BAD_KEY, "no PRIVATE KEY");
	/* Two keys in one file. */
	sh("openssl genpkey -algorithm ED25519 -out two_a.pem");
	sh("openssl genpkey -algorithm ED25519 -out two_b.pem && cat two_a.pem two_b.pem > "
	   "two.pem");
	check_refused("two.pem", SPOD_E_BAD_KEY, "more than one");
}

/* DER of the only PEM block of a file. */
static long pem_der(const char *name, unsigned char **der)
{
	char text[FILE_CAP];
	size_t len = slurp(name, text, sizeof text);
	BIO *bio = BIO_new_mem_buf(text, (int)len);
	char *label = NULL, *header = NULL;
	long n = 0;

	assert_non_null(bio);
	assert_int_equal(PEM_read_bio(bio, &label, &header, der, &n), 1);
	OPENSSL_free(label);
	OPENSSL_free(header);
	BIO_free(bio);
	return n;
}

static void write_pem(const char *name, const char *label, const unsigned char *der, long len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_true(PEM_write(f, label, "", der, len) > 0);
	fclose(f);
}

/* SEC1 ends with the public point: [1] { BIT STRING { 0, 04 || X || Y } }. */
static void test_mismatched_public(void **state)
{
	unsigned char *a = NULL, *b = NULL;
	long a_len, b_len;

	(void)state;
	sh("openssl ecparam -name prime256v1 -genkey -noout -out mix_a.pem");
	sh("openssl ecparam -name prime256v1 -genkey -noout -out mix_b.pem");
	a_len = pem_der("mix_a.pem", &a);
	b_len = pem_der("mix_b.pem", &b);
	assert_true(a_len > 65 && b_len > 65);
	assert_int_equal(a[a_len - 65], 0x04);
	assert_int_equal(b[b_len - 65], 0x04);
	memcpy(a + a_len - 64, b + b_len - 64, 64);
	write_pem("mix.pem", "EC PRIVATE KEY", a, a_len);
	check_refused("mix.pem", SPOD_E_BAD_KEY, "does not match");
	OPENSSL_clear_free(a, (size_t)a_len);
	OPENSSL_clear_free(b, (size_t)b_len);

	/* RFC 8410's key with its stated public key changed in the last byte. */
	if (read_rfc8410()) {
		BIO *bio = BIO_new_mem_buf(rfc8410_with_pub, -1);
		char *label = NULL, *header = NULL;
		unsigned char *der = NULL;
		long n = 0;

		assert_int_equal(PEM_read_bio(bio, &label, &header, &der, &n), 1);
		der[n - 1] ^= 1;
		write_pem("rfc8410_mix.pem", "PRIVATE KEY", der, n);
		check_refused("rfc8410_mix.pem", SPOD_E_BAD_KEY, "does not match");
		OPENSSL_free(label);
		OPENSSL_free(header);
		OPENSSL_free(der);
		BIO_free(bio);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc8410),           cmocka_unit_test(test_generated),
	    cmocka_unit_test(test_encrypted),         cmocka_unit_test(test_unsupported),
	    cmocka_unit_test(test_mismatched_public),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
