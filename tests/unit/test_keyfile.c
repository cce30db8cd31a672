/*
 * Key files for `spod keys import` (src/cli/keyfile.h): Ethereum keystore v3 files against
 * published vectors, and every refusal. Hex, Solana keypair files and detection are in
 * test_keyfile_plain.c, PEM files in test_keyfile_pem.c.
 *
 * Vectors and where they come from:
 *  - Web3 Secret Storage Definition, "Test Vectors" (ethereum.org,
 *    developers/docs/data-structures-and-encoding/web3-secret-storage): password
 *    "testpassword", secret 7a28b5ba…fe9d, address 008aeeda4d805471df9b2a5b0f38a0c3bcba786b
 *    (the page's "Details"; go-ethereum's v3_test_vector.json has the same secret). The
 *    PBKDF2 file is copied exactly. The scrypt file is copied exactly too, but its numbers
 *    were computed with the salt's hex *text* as the salt bytes (ethereum-org-website PR
 *    #10825, which replaced the earlier r=1/p=8 vector that breaks RFC 7914's n < 2^(16 r)):
 *    `openssl kdf -keylen 32 -kdfopt pass:testpassword -kdfopt salt:25710c2c…1034 -kdfopt
 *    n:262144 -kdfopt r:8 -kdfopt p:1 SCRYPT` prints the page's "Derived key" 7446f59e…6c2d,
 *    while the salt's bytes (hexsalt:) give b4130dc8…20ec. A reader that follows the
 *    definition must refuse the page's file (MAC mismatch); the same file with that salt
 *    text written as hex is a correct keystore whose MAC, iv and ciphertext are the page's.
 *  - go-ethereum accounts/keystore/testdata: very-light-scrypt.json (password "", address
 *    45dea0fb…cbb8, from passphrase_test.go TestKeyEncryptDecrypt), keystore/aaa (password
 *    "foobar", address f466859e…648a, testdata/keystore/README) and v3_test_vector.json's
 *    "wikipage_test_vector_scrypt" (the old page's r=1, p=8 file) and "31_byte_key".
 *  - The secp256k1 group order (SEC 2 §2.4.1), for keystores holding out-of-range scalars.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "cli/keyfile.h"
#include "common/hex.h"
#include "crypto/hash.h"
#include "crypto/sign.h"
#include "spod/err.h"

#define TEST_SECURE_HEAP_BYTES (64u * 1024u)

static const char spec_secret[] =
    "7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d";
static const char spec_address[] = "008aeeda4d805471df9b2a5b0f38a0c3bcba786b";

static const char spec_pbkdf2[] =
    "{\n"
    "  \"crypto\": {\n"
    "    \"cipher\": \"aes-128-ctr\",\n"
    "    \"cipherparams\": {\n"
    "      \"iv\": \"6087dab2f9fdbbfaddc31a909735c1e6\"\n"
    "    },\n"
    "    \"ciphertext\": \"5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46\",\n"
    "    \"kdf\": \"pbkdf2\",\n"
    "    \"kdfparams\": {\n"
    "      \"c\": 262144,\n"
    "      \"dklen\": 32,\n"
    "      \"prf\": \"hmac-sha256\",\n"
    "      \"salt\": \"ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd\"\n"
    "    },\n"
    "    \"mac\": \"517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2\"\n"
    "  },\n"
    "  \"id\": \"3198bc9c-6672-5ab3-d995-4942343ae5b6\",\n"
    "  \"version\": 3\n"
    "}\n";

#define SPEC_SCRYPT_HEAD                                                                           \
	"{\n"                                                                                      \
	"  \"crypto\": {\n"                                                                        \
	"    \"cipher\": \"aes-128-ctr\",\n"                                                       \
	"    \"cipherparams\": {\n"                                                                \
	"      \"iv\": \"740770fce12ce862af21264dab25f1da\"\n"                                     \
	"    },\n"                                                                                 \
	"    \"ciphertext\": "                                                                     \
	"\"dd8a1132cf57db67c038c6763afe2cbe6ea1949a86abc5843f8ca656ebbb1ea2\",\n"                  \
	"    \"kdf\": \"scrypt\",\n"                                                               \
	"    \"kdfparams\": {\n"                                                                   \
	"      \"dklen\": 32,\n"                                                                   \
	"      \"n\": 262144,\n"                                                                   \
	"      \"p\": 1,\n"                                                                        \
	"      \"r\": 8,\n"
#define SPEC_SCRYPT_TAIL                                                                           \
	"    },\n"                                                                                 \
	"    \"mac\": \"337aeb86505d2d0bb620effe57f18381377d67d76dac1090626aa5cd20886a7c\"\n"      \
	"  },\n"                                                                                   \
	"  \"id\": \"3198bc9c-6672-5ab3-d995-4942343ae5b6\",\n"                                    \
	"  \"version\": 3\n"                                                                       \
	"}\n"

/* The page's file, exactly. */
static const char spec_scrypt[] = SPEC_SCRYPT_HEAD
    "      \"salt\": "
    "\"25710c2ccd7c610b24d068af83b959b7a0e5f40641f0c82daeb1345766191034\"\n" SPEC_SCRYPT_TAIL;

/* The page's file with the salt the page actually used (its hex text) written as hex. */
static const char spec_scrypt_text_salt[] = SPEC_SCRYPT_HEAD
    "      \"salt\": \"32353731306332636364376336313062323464303638616638336239353962376130"
    "653566343036343166306338326461656231333435373636313931303334\"\n" SPEC_SCRYPT_TAIL;

static const char geth_very_light[] =
    "{\n"
    "  \"address\": \"45dea0fb0bba44f4fcf290bba71fd57d7117cbb8\",\n"
    "  \"crypto\": {\n"
    "    \"cipher\": \"aes-128-ctr\",\n"
    "    \"ciphertext\": \"b87781948a1befd247bff51ef4063f716cf6c2d3481163e9a8f42e1f9bb74145\",\n"
    "    \"cipherparams\": {\n"
    "      \"iv\": \"dc4926b48a105133d2f16b96833abf1e\"\n"
    "    },\n"
    "    \"kdf\": \"scrypt\",\n"
    "    \"kdfparams\": {\n"
    "      \"dklen\": 32,\n"
    "      \"n\": 2,\n"
    "      \"p\": 1,\n"
    "      \"r\": 8,\n"
    "      \"salt\": \"004244bbdc51cadda545b1cfa43cff9ed2ae88e08c61f1479dbb45410722f8f0\"\n"
    "    },\n"
    "    \"mac\": \"39990c1684557447940d4c69e06b1b82b2aceacb43f284df65c956daf3046b85\"\n"
    "  },\n"
    "  \"id\": \"ce541d8d-c79b-40f8-9f8c-20f59616faba\",\n"
    "  \"version\": 3\n"
    "}\n";

static const char geth_aaa[] =
    "{\"address\":\"f466859ead1932d743d622cb74fc058882e8648a\",\"crypto\":{\"cipher\":\"aes-128-"
    "ctr\",\"ciphertext\":\"cb664472deacb41a2e995fa7f96fe29ce744471deb8d146a0e43c7898c9ddd4d\","
    "\"cipherparams\":{\"iv\":\"dfd9ee70812add5f4b8f89d0811c9158\"},\"kdf\":\"scrypt\","
    "\"kdfparams\":{\"dklen\":32,\"n\":8,\"p\":16,\"r\":8,\"salt\":"
    "\"0d6769bf016d45c479213990d6a08d938469c4adad8a02ce507b4a4e7b7739f1\"},\"mac\":"
    "\"bac9af994b15a45dd39669fc66f9aa8a3b9dd8c22cb16e4d8d7ea089d0f1a1a9\"},\"id\":\"472e8b3d-"
    "afb6-45b5-8111-72c89895099a\",\"version\":3}";

static const char geth_wiki_scrypt_r1p8[] =
    "{\"crypto\":{\"cipher\":\"aes-128-ctr\",\"cipherparams\":{\"iv\":"
    "\"83dbcc02d8ccb40e466191a123791e0e\"},\"ciphertext\":"
    "\"d172bf743a674da9cdad04534d56926ef8358534d458fffccd4e6ad2fbde479c\",\"kdf\":\"scrypt\","
    "\"kdfparams\":{\"dklen\":32,\"n\":262144,\"r\":1,\"p\":8,\"salt\":"
    "\"ab0c7876052600dd703518d6fc3fe8984592145b591fc8fb5c6d43190334ba19\"},\"mac\":"
    "\"2103ac29920d71da29f15d75b4a16dbe95cfd7ff8faea1056c33131d846e3097\"},\"id\":"
    "\"3198bc9c-6672-5ab3-d995-4942343ae5b6\",\"version\":3}";

static const char geth_31_byte_key[] =
    "{\"crypto\":{\"cipher\":\"aes-128-ctr\",\"cipherparams\":{\"iv\":"
    "\"e0c41130a323adc1446fc82f724bca2f\"},\"ciphertext\":"
    "\"9517cd5bdbe69076f9bf5057248c6c050141e970efa36ce53692d5d59a3984\",\"kdf\":\"scrypt\","
    "\"kdfparams\":{\"dklen\":32,\"n\":2,\"r\":8,\"p\":1,\"salt\":"
    "\"711f816911c92d649fb4c84b047915679933555030b3552c1212609b38208c63\"},\"mac\":"
    "\"d5e116151c6aa71470e67a7d42c9620c75c4d23229847dcc127794f0732b0db5\"},\"id\":"
    "\"fecfc4ce-e956-48fd-953b-30f8b52ed66c\",\"version\":3}";

static const char k1_order[] = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";
static const char k1_order_minus_1[] =
    "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140";

static size_t unhex(uint8_t *out, size_t cap, const char *text)
{
	size_t n;

	assert_int_equal(spod_hex_decode(out, cap, &n, text), SPOD_OK);
	return n;
}

static void assert_hex(const uint8_t *got, size_t got_len, const char *want)
{
	uint8_t buf[SPOD_PUB_MAX_BYTES];
	size_t n = unhex(buf, sizeof buf, want);

	assert_int_equal(got_len, n);
	assert_memory_equal(got, buf, n);
}

static int parse(struct spod_keyfile_secret *kf, const char *text, size_t len,
                 enum spod_keyfile_format fmt, uint8_t alg, const char *pass)
{
	struct spod_keyfile_opts opts = {.fmt = fmt,
	                                 .alg = alg,
	                                 .passphrase = (const uint8_t *)pass,
	                                 .passphrase_len = pass != NULL ? strlen(pass) : 0};
	const char *why = NULL;
	int rc = spod_keyfile_parse(kf, (const uint8_t *)text, len, &opts, &why);

	if (rc == SPOD_OK) {
		assert_null(why);
		assert_non_null(kf->secret);
	} else {
		static const struct spod_keyfile_secret empty;

		assert_non_null(why);
		assert_true(why[0] != '\0');
		assert_memory_equal(kf, &empty, sizeof empty);
	}
	return rc;
}

/* Parses text, expects rc, and frees what was parsed; failures name the caller's line. */
static void expect_at(int line, int want, const char *text, enum spod_keyfile_format fmt,
                      uint8_t alg, const char *pass)
{
	struct spod_keyfile_secret kf;
	int rc = parse(&kf, text, strlen(text), fmt, alg, pass);

	_assert_int_equal(cast_to_largest_integral_type(rc), cast_to_largest_integral_type(want),
	                  __FILE__, line);
	spod_keyfile_free(&kf);
}

#define expect(...) expect_at(__LINE__, __VA_ARGS__)

static void assert_address(const struct spod_keyfile_secret *kf, const char *want)
{
	uint8_t addr[20];

	assert_int_equal(spod_eth_address(addr, kf->pub, kf->pub_len), SPOD_OK);
	assert_hex(addr, sizeof addr, want);
}

static int setup(void **state)
{
	(void)state;
	return spod_crypto_init(TEST_SECURE_HEAP_BYTES) == SPOD_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	spod_crypto_cleanup();
	return 0;
}

static void test_format_names(void **state)
{
	enum spod_keyfile_format fmt;

	(void)state;
	for (int f = SPOD_KEYFILE_AUTO; f <= SPOD_KEYFILE_SOLANA; f++) {
		assert_int_equal(spod_keyfile_format_parse(&fmt, spod_keyfile_format_name(f)),
		                 SPOD_OK);
		assert_int_equal(fmt, f);
	}
	assert_string_equal(spod_keyfile_format_name(SPOD_KEYFILE_ETH_KEYSTORE), "eth-keystore");
	assert_string_equal(spod_keyfile_format_name(SPOD_KEYFILE_SOLANA), "solana-keypair");
	assert_null(spod_keyfile_format_name((enum spod_keyfile_format)5));
	assert_int_equal(spod_keyfile_format_parse(&fmt, "json"), SPOD_E_BAD_ARG);
	assert_int_equal(fmt, SPOD_KEYFILE_AUTO);
}

static void test_keystore_spec_pbkdf2(void **state)
{
	struct spod_keyfile_secret kf;

	(void)state;
	assert_int_equal(
	    parse(&kf, spec_pbkdf2, strlen(spec_pbkdf2), SPOD_KEYFILE_AUTO, 0, "testpassword"),
	    SPOD_OK);
	assert_int_equal(kf.fmt, SPOD_KEYFILE_ETH_KEYSTORE);
	assert_int_equal(kf.alg, SPOD_ALG_SECP256K1);
	assert_hex(kf.secret, SPOD_KEYFILE_SECRET_BYTES, spec_secret);
	assert_int_equal(kf.pub_len, 65);
	assert_int_equal(kf.claim, SPOD_KEYFILE_CLAIM_NONE);
	assert_address(&kf, spec_address);
	spod_keyfile_free(&kf);
	assert_null(kf.secret);

	expect(SPOD_E_BAD_SIGNATURE, spec_pbkdf2, SPOD_KEYFILE_ETH_KEYSTORE, 0, "testpassworD");
	expect(SPOD_E_BAD_SIGNATURE, spec_pbkdf2, SPOD_KEYFILE_ETH_KEYSTORE, 0, NULL);
	expect(SPOD_E_BAD_ARG, spec_pbkdf2, SPOD_KEYFILE_AUTO, SPOD_ALG_ED25519, "testpassword");
	expect(SPOD_OK, spec_pbkdf2, SPOD_KEYFILE_AUTO, SPOD_ALG_SECP256K1, "testpassword");
}

static void test_keystore_spec_scrypt(void **state)
{
	struct spod_keyfile_secret kf;

	(void)state;
	/* The page's file as printed: its MAC was made from the salt text, not its bytes. */
	expect(SPOD_E_BAD_SIGNATURE, spec_scrypt, SPOD_KEYFILE_AUTO, 0, "testpassword");

	assert_int_equal(parse(&kf, spec_scrypt_text_salt, strlen(spec_scrypt_text_salt),
	                       SPOD_KEYFILE_ETH_KEYSTORE, 0, "testpassword"),
	                 SPOD_OK);
	assert_int_equal(kf.alg, SPOD_ALG_SECP256K1);
	assert_hex(kf.secret, SPOD_KEYFILE_SECRET_BYTES, spec_secret);
	assert_address(&kf, spec_address);
	spod_keyfile_free(&kf);
}

static void test_keystore_geth(void **state)
{
	struct spod_keyfile_secret kf;

	(void)state;
	assert_int_equal(
	    parse(&kf, geth_very_light, strlen(geth_very_light), SPOD_KEYFILE_AUTO, 0, ""),
	    SPOD_OK);
	assert_int_equal(kf.claim, SPOD_KEYFILE_CLAIM_ETH_ADDRESS);
	assert_address(&kf, "45dea0fb0bba44f4fcf290bba71fd57d7117cbb8");
	spod_keyfile_free(&kf);
	expect(SPOD_E_BAD_SIGNATURE, geth_very_light, SPOD_KEYFILE_AUTO, 0, "bad");

	assert_int_equal(parse(&kf, geth_aaa, strlen(geth_aaa), SPOD_KEYFILE_AUTO, 0, "foobar"),
	                 SPOD_OK);
	assert_int_equal(kf.claim, SPOD_KEYFILE_CLAIM_ETH_ADDRESS);
	assert_address(&kf, "f466859ead1932d743d622cb74fc058882e8648a");
	spod_keyfile_free(&kf);

	/* r = 1 with n = 2^18 breaks RFC 7914 (n < 2^(16 r)); OpenSSL cannot compute it. */
	expect(SPOD_E_BAD_KEY, geth_wiki_scrypt_r1p8, SPOD_KEYFILE_AUTO, 0, "testpassword");
	/* A key written without its leading zero byte: spod reads 32-byte ciphertexts only. */
	expect(SPOD_E_BAD_KEY, geth_31_byte_key, SPOD_KEYFILE_AUTO, 0, "foo");
}

/* Copies text to buf with the first occurrence of from replaced by to. */
static const char *edit(char *buf, size_t cap, const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	size_t head;

	assert_non_null(at);
	head = (size_t)(at - text);
	assert_true(head + strlen(to) + strlen(at + strlen(from)) < cap);
	memcpy(buf, text, head);
	strcpy(buf + head, to);
	strcat(buf, at + strlen(from));
	return buf;
}

static void test_keystore_address(void **state)
{
	char buf[2048];

	(void)state;
	/* The spec's address added to its PBKDF2 file, as geth writes it and with 0x. */
	expect(SPOD_OK,
	       edit(buf, sizeof buf, spec_pbkdf2, "\"version\"",
	            "\"address\": \"008aeeda4d805471df9b2a5b0f38a0c3bcba786b\", \"version\""),
	       SPOD_KEYFILE_AUTO, 0, "testpassword");
	expect(SPOD_OK,
	       edit(buf, sizeof buf, spec_pbkdf2, "\"version\"",
	            "\"address\": \"0x008AEEDA4D805471DF9B2A5B0F38A0C3BCBA786B\", \"version\""),
	       SPOD_KEYFILE_AUTO, 0, "testpassword");
	expect(SPOD_E_BAD_KEY, edit(buf, sizeof buf, geth_very_light, "45dea0fb", "45dea0fc"),
	       SPOD_KEYFILE_AUTO, 0, "");
	expect(SPOD_E_BAD_KEY, edit(buf, sizeof buf, geth_very_light, "bb8\"", "b\""),
	       SPOD_KEYFILE_AUTO, 0, "");
	expect(SPOD_E_BAD_KEY, edit(buf, sizeof buf, geth_very_light, "\"45dea0fb", "7, \"x"),
	       SPOD_KEYFILE_AUTO, 0, "");
}

static void test_keystore_tampered(void **state)
{
	char buf[2048];

	(void)state;
	expect(SPOD_E_BAD_SIGNATURE, edit(buf, sizeof buf, geth_very_light, "39990c16", "39990c17"),
	       SPOD_KEYFILE_AUTO, 0, "");
	expect(SPOD_E_BAD_SIGNATURE, edit(buf, sizeof buf, geth_very_light, "b8778194", "b8778195"),
	       SPOD_KEYFILE_AUTO, 0, "");
	/* The iv is not under the MAC: a changed iv decrypts to another scalar, whose address
	 * then differs from the file's. */
	expect(SPOD_E_BAD_KEY, edit(buf, sizeof buf, geth_very_light, "dc4926b4", "dc4926b5"),
	       SPOD_KEYFILE_AUTO, 0, "");
	expect(SPOD_E_BAD_SIGNATURE, edit(buf, sizeof buf, geth_very_light, "004244bb", "004244bc"),
	       SPOD_KEYFILE_AUTO, 0, "");
	/* Every proper prefix up to the closing brace is refused. */
	for (size_t n = 0; n < strlen(geth_very_light) - 1; n++) {
		struct spod_keyfile_secret kf;

		assert_int_not_equal(
		    parse(&kf, geth_very_light, n, SPOD_KEYFILE_ETH_KEYSTORE, 0, ""), SPOD_OK);
	}
}

static void test_keystore_fields(void **state)
{
	const char *f = geth_very_light;
	char b[2048];

	(void)state;
	expect(SPOD_E_BAD_KEY, edit(b, sizeof b, f, "\"version\": 3", "\"version\": 1"), 0, 0, "");
	expect(SPOD_E_BAD_KEY, edit(b, sizeof b, f, "\"version\": 3", "\"version\": \"3\""), 0, 0,
	       "");
	expect(SPOD_OK, edit(b, sizeof b, f, "\"crypto\"", "\"Crypto\""), 0, 0, "");
	expect(SPOD_E_BAD_KEY, edit(b, sizeof b, f, "\"id\"", "\"Crypto\": {}, \"id\""), 0, 0, "");
	expect(SPOD_E_BAD_KEY, edit(b, sizeof b, f, "\"id\"", "\"version\": 3, \"id\""), 0, 0, "");
	expect(SPOD_E_UNKNOWN_ALG, edit(b, sizeof b, f, "aes-128-ctr", "aes-128-cbc"), 0, 0, "");
	expect(SPOD_E_UNKNOWN_ALG, edit(b, sizeof b, f, "\"scrypt\"", "\"argon2id\""), 0, 0, "");
	expect(SPOD_E_UNKNOWN_ALG, edit(b, sizeof b, spec_pbkdf2, "hmac-sha256", "hmac-sha512"), 0,
	       0, "testpassword");
	expect(SPOD_E_BAD_KEY, edit(b, sizeof b, f, "\"dklen\": 32", "\"dklen\": 64"), 0, 0, "");
	expect(SPOD_E_BAD_KEY, edit(b, sizeof b, f, "\"n\": 2", "\"n\": 2.0"), 0, 0, "");
	expect(SPOD_E_BAD_KEY, edit(b, sizeof b, f, "\"n\": 2", "\"n\": -2"), 0, 0, "");
	expect(SPOD_E_BAD_KEY, edit(b, sizeof b, f, "\"n\": 2", "\"n\": 3"), 0, 0, "");
	expect(SPOD_E_BAD_KEY, edit(b, sizeof b, f, "\"n\": 2", "\"n\": 1"), 0, 0, "");
	expect(SPOD_E_BAD_KEY, edit(b, sizeof b, f, "\"r\": 8", "\"r\": 0"), 0, 0, "");
	expect(SPOD_E_BAD_KEY, edit(b, sizeof b, f, "\"p\": 1", "\"p\": 0"), 0, 0, "");
	expect(SPOD_E_BAD_KEY, edit(b, sizeof b, f, "\"salt\": \"0042", "\"salt\": \"042"), 0, 0,
	       "");
	expect(SPOD_E_BAD_KEY, edit(b, sizeof b, f, "\"iv\": \"dc", "\"iv\": \""), 0, 0, "");
	expect(SPOD_E_BAD_KEY, edit(b, sizeof b, f, "\"iv\": \"dc", "\"iv\": \"zz"), 0, 0, "");
	expect(SPOD_E_BAD_KEY, edit(b, sizeof b, f, "\"mac\": \"39", "\"mac\": \"3"), 0, 0, "");
	expect(SPOD_E_BAD_KEY, edit(b, sizeof b, f, "\"ciphertext\"", "\"ciphertexT\""), 0, 0, "");
	expect(SPOD_E_BAD_KEY, edit(b, sizeof b, f, "{", "["), SPOD_KEYFILE_ETH_KEYSTORE, 0, "");
}

static void test_keystore_limits(void **state)
{
	const char *f = geth_very_light;
	struct spod_keyfile_limits tiny = {.scrypt_max_n = 1, .pbkdf2_max_iter = 1};
	struct spod_keyfile_limits huge = {.pbkdf2_max_iter = UINT64_MAX};
	struct spod_keyfile_opts opts = {.limits = &tiny};
	struct spod_keyfile_secret kf;
	const char *why;
	char b[2048];

	(void)state;
	/* Refused before any derivation runs, so these return at once. */
	expect(SPOD_E_TOO_LARGE, edit(b, sizeof b, f, "\"n\": 2", "\"n\": 2097152"), 0, 0, "");
	expect(SPOD_E_TOO_LARGE, edit(b, sizeof b, f, "\"n\": 2", "\"n\": 4611686018427387904"), 0,
	       0, "");
	expect(SPOD_E_TOO_LARGE,
	       edit(b, sizeof b, f, "\"n\": 2,\n      \"p\": 1,\n      \"r\": 8",
	            "\"n\": 1048576, \"p\": 1, \"r\": 9"),
	       0, 0, "");
	expect(SPOD_E_TOO_LARGE,
	       edit(b, sizeof b, f, "\"n\": 2,\n      \"p\": 1", "\"n\": 1048576, \"p\": 2"), 0, 0,
	       "");
	expect(SPOD_E_TOO_LARGE, edit(b, sizeof b, f, "\"p\": 1", "\"p\": 134217727"), 0, 0, "");
	expect(SPOD_E_BAD_KEY, edit(b, sizeof b, f, "\"p\": 1", "\"p\": 134217728"), 0, 0, "");
	expect(SPOD_E_BAD_KEY, edit(b, sizeof b, f, "\"r\": 8", "\"r\": 1099511627776"), 0, 0, "");
	expect(SPOD_E_BAD_KEY, edit(b, sizeof b, f, "\"n\": 2", "\"n\": 99999999999999999999"), 0,
	       0, "");
	expect(SPOD_E_TOO_LARGE, edit(b, sizeof b, spec_pbkdf2, "\"c\": 262144", "\"c\": 10000001"),
	       0, 0, "x");
	expect(SPOD_E_BAD_KEY, edit(b, sizeof b, spec_pbkdf2, "\"c\": 262144", "\"c\": 0"), 0, 0,
	       "x");

	/* A caller may lower the caps, never raise them. */
	assert_int_equal(spod_keyfile_parse(&kf, (const uint8_t *)f, strlen(f), &opts, &why),
	                 SPOD_E_TOO_LARGE);
	edit(b, sizeof b, spec_pbkdf2, "\"c\": 262144", "\"c\": 10000001");
	opts.limits = &huge;
	assert_int_equal(spod_keyfile_parse(&kf, (const uint8_t *)b, strlen(b), &opts, &why),
	                 SPOD_E_TOO_LARGE);
}

/*
 * A keystore of secret under the passphrase pw[0..pw_len) (PBKDF2, c = 1), for secrets and
 * passphrases no published file holds.
 */
static void make_keystore_pw(char *out, size_t cap, const uint8_t secret[32], const char *pw,
                             int pw_len)
{
	static const uint8_t salt[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	static const uint8_t iv[16] = {16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1};
	uint8_t dk[32], mac_in[48], mac[32];
	char hex_salt[33], hex_iv[33], hex_ct[65], hex_mac[65];
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0;

	assert_int_equal(PKCS5_PBKDF2_HMAC(pw, pw_len, salt, sizeof salt, 1, EVP_sha256(), 32, dk),
	                 1);
	assert_int_equal(EVP_EncryptInit_ex2(ctx, EVP_aes_128_ctr(), dk, iv, NULL), 1);
	assert_int_equal(EVP_EncryptUpdate(ctx, mac_in + 16, &n, secret, 32), 1);
	EVP_CIPHER_CTX_free(ctx);
	memcpy(mac_in, dk + 16, 16);
	spod_keccak256(mac, mac_in, sizeof mac_in);
	assert_int_equal(spod_hex_encode(hex_salt, sizeof hex_salt, salt, 16), SPOD_OK);
	assert_int_equal(spod_hex_encode(hex_iv, sizeof hex_iv, iv, 16), SPOD_OK);
	assert_int_equal(spod_hex_encode(hex_ct, sizeof hex_ct, mac_in + 16, 32), SPOD_OK);
	assert_int_equal(spod_hex_encode(hex_mac, sizeof hex_mac, mac, 32), SPOD_OK);
	snprintf(out, cap,
	         "{\"crypto\":{\"cipher\":\"aes-128-ctr\",\"cipherparams\":{\"iv\":\"%s\"},"
	         "\"ciphertext\":\"%s\",\"kdf\":\"pbkdf2\",\"kdfparams\":{\"c\":1,\"dklen\":32,"
	         "\"prf\":\"hmac-sha256\",\"salt\":\"%s\"},\"mac\":\"%s\"},\"version\":3}",
	         hex_iv, hex_ct, hex_salt, hex_mac);
}

static void make_keystore(char *out, size_t cap, const uint8_t secret[32])
{
	make_keystore_pw(out, cap, secret, "pw", 2);
}

static void test_keystore_scalar_range(void **state)
{
	uint8_t secret[32];
	char json[1024];

	(void)state;
	memset(secret, 0, sizeof secret);
	make_keystore(json, sizeof json, secret);
	expect(SPOD_E_BAD_KEY, json, SPOD_KEYFILE_AUTO, 0, "pw");
	unhex(secret, sizeof secret, k1_order);
	make_keystore(json, sizeof json, secret);
	expect(SPOD_E_BAD_KEY, json, SPOD_KEYFILE_AUTO, 0, "pw");
	unhex(secret, sizeof secret, k1_order_minus_1);
	make_keystore(json, sizeof json, secret);
	expect(SPOD_OK, json, SPOD_KEYFILE_AUTO, 0, "pw");
}

static void test_keystore_passphrase_bytes(void **state)
{
	static const uint8_t pw_nul[] = {'p', 0, 'w'};
	struct spod_keyfile_opts opts = {.passphrase = pw_nul, .passphrase_len = sizeof pw_nul};
	struct spod_keyfile_secret kf;
	uint8_t secret[32];
	const char *why;
	char json[1024];

	(void)state;
	unhex(secret, sizeof secret, spec_secret);
	make_keystore_pw(json, sizeof json, secret, (const char *)pw_nul, sizeof pw_nul);
	/* The passphrase is bytes with a length: a NUL inside it is part of it. */
	assert_int_equal(spod_keyfile_parse(&kf, (const uint8_t *)json, strlen(json), &opts, &why),
	                 SPOD_OK);
	assert_hex(kf.secret, SPOD_KEYFILE_SECRET_BYTES, spec_secret);
	spod_keyfile_free(&kf);
	opts.passphrase_len = 1;
	assert_int_equal(spod_keyfile_parse(&kf, (const uint8_t *)json, strlen(json), &opts, &why),
	                 SPOD_E_BAD_SIGNATURE);
	assert_string_equal(why, "wrong passphrase or corrupted keystore (MAC mismatch)");
	/* A length without bytes is a caller error. */
	opts.passphrase = NULL;
	assert_int_equal(spod_keyfile_parse(&kf, (const uint8_t *)json, strlen(json), &opts, &why),
	                 SPOD_E_BAD_ARG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_format_names),
	    cmocka_unit_test(test_keystore_spec_pbkdf2),
	    cmocka_unit_test(test_keystore_spec_scrypt),
	    cmocka_unit_test(test_keystore_geth),
	    cmocka_unit_test(test_keystore_address),
	    cmocka_unit_test(test_keystore_tampered),
	    cmocka_unit_test(test_keystore_fields),
	    cmocka_unit_test(test_keystore_limits),
	    cmocka_unit_test(test_keystore_scalar_range),
	    cmocka_unit_test(test_keystore_passphrase_bytes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
