/*
 * Signing and verification against the libraries' standard vectors: RFC 8032 §7.1 for
 * Ed25519, RFC 6979 A.2.5 for P-256, RFC 6979 secp256k1 vectors for libsecp256k1; then
 * fresh keys of every algorithm, the error paths, and PEM output.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "common/hex.h"
#include "crypto/hash.h"
#include "crypto/sign.h"
#include "spod/err.h"
#include "spod/wire.h"

/* Enough for the tests' P-256 keys; a power of two, as OpenSSL requires. */
#define TEST_SECURE_HEAP_BYTES (64u * 1024u)

static const char k1_order_hex[] =
    "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";
static const char p256_order_hex[] =
    "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";

/* Decodes hex that the test itself supplies; returns the byte count. */
static size_t unhex(uint8_t *out, size_t cap, const char *text)
{
	size_t n;

	assert_int_equal(spod_hex_decode(out, cap, &n, text), SPOD_OK);
	return n;
}

/* out = a - b for 32-byte big-endian numbers with a >= b. */
static void sub256(uint8_t out[32], const uint8_t a[32], const uint8_t b[32])
{
	int borrow = 0;

	for (int i = 31; i >= 0; i--) {
		int d = a[i] - b[i] - borrow;

		borrow = d < 0;
		out[i] = (uint8_t)(d + (borrow ? 256 : 0));
	}
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

/* RFC 8032 §7.1: TEST 1, 2, 3, 1024 and SHA(abc), with their exact signatures. */
struct ed25519_vector {
	const char *name;
	const char *seed;
	const char *pub;
	const char *msg;
	const char *sig;
};

static const char rfc8032_test1024_msg[] =
    "08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98fa6e264bf09efe12"
    "ee50f8f54e9f77b1e355f6c50544e23fb1433ddf73be84d879de7c0046dc4996d9e773f4bc9efe57"
    "38829adb26c81b37c93a1b270b20329d658675fc6ea534e0810a4432826bf58c941efb65d57a338b"
    "bd2e26640f89ffbc1a858efcb8550ee3a5e1998bd177e93a7363c344fe6b199ee5d02e82d522c4fe"
    "ba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a36553e06203b33890cc9b8"
    "32f79ef80560ccb9a39ce767967ed628c6ad573cb116dbefefd75499da96bd68a8a97b928a8bbc10"
    "3b6621fcde2beca1231d206be6cd9ec7aff6f6c94fcd7204ed3455c68c83f4a41da4af2b74ef5c53"
    "f1d8ac70bdcb7ed185ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2"
    "d17ba70eb6248e594e1a2297acbbb39d502f1a8c6eb6f1ce22b3de1a1f40cc24554119a831a9aad6"
    "079cad88425de6bde1a9187ebb6092cf67bf2b13fd65f27088d78b7e883c8759d2c4f5c65adb7553"
    "878ad575f9fad878e80a0c9ba63bcbcc2732e69485bbc9c90bfbd62481d9089beccf80cfe2df16a2"
    "cf65bd92dd597b0707e0917af48bbb75fed413d238f5555a7a569d80c3414a8d0859dc65a46128ba"
    "b27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51addd3b75a2b1ae078"
    "4504df543af8969be3ea7082ff7fc9888c144da2af58429ec96031dbcad3dad9af0dcbaaaf268cb8"
    "fcffead94f3c7ca495e056a9b47acdb751fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301"
    "651339e22904cc8c42f58c30c04aafdb038dda0847dd988dcda6f3bfd15c4b4c4525004aa06eeff8"
    "ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34dff7310fdc82aebfd9"
    "04b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08d78ff4ef5d63653a65040cf9bfd4aca7"
    "984a74d37145986780fc0b16ac451649de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a"
    "3ca8e1b939ae49e488acba6b965610b5480109c8b17b80e1b7b750dfc7598d5d5011fd2dcc5600a3"
    "2ef5b52a1ecc820e308aa342721aac0943bf6686b64b2579376504ccc493d97e6aed3fb0f9cd71a4"
    "3dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5fb93246f6b1116398a346f1a641f3b041"
    "e989f7914f90cc2c7fff357876e506b50d334ba77c225bc307ba537152f3f1610e4eafe595f6d9d9"
    "0d11faa933a15ef1369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb68606937380d"
    "b2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c0618983f8741c5ef"
    "68d3a101e8a3b8cac60c905c15fc910840b94c00a0b9d0";

static const struct ed25519_vector rfc8032[] = {
    {"TEST 1", "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
     "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
    {"TEST 2", "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
     "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"TEST 3", "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
     "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
    {"TEST 1024", "f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5",
     "278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e", rfc8032_test1024_msg,
     "0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350"
     "aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03"},
    {"TEST SHA(abc)", "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
     "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
     "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
     "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
     "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b589"
     "09351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704"},
};

static void test_ed25519_rfc8032(void **state)
{
	static uint8_t msg[1024];
	uint8_t seed[32], want_pub[32], want_sig[64];
	uint8_t pub[SPOD_PUB_MAX_BYTES], sig[SPOD_SIG_MAX_BYTES];
	struct spod_secret_key sk;
	size_t pub_len, sig_len, msg_len;
	uint8_t recid;

	(void)state;
	for (size_t i = 0; i < sizeof rfc8032 / sizeof rfc8032[0]; i++) {
		const struct ed25519_vector *v = &rfc8032[i];

		print_message("%s\n", v->name);
		assert_int_equal(unhex(seed, sizeof seed, v->seed), 32);
		assert_int_equal(unhex(want_pub, sizeof want_pub, v->pub), 32);
		assert_int_equal(unhex(want_sig, sizeof want_sig, v->sig), 64);
		msg_len = unhex(msg, sizeof msg, v->msg);

		assert_int_equal(spod_key_import(&sk, pub, &pub_len, SPOD_ALG_ED25519, seed, 32),
		                 SPOD_OK);
		assert_int_equal(pub_len, 32);
		assert_memory_equal(pub, want_pub, 32);

		assert_int_equal(spod_sign(sig, &sig_len, &recid, &sk, SPOD_MODE_RAW, msg, msg_len),
		                 SPOD_OK);
		assert_int_equal(sig_len, 64);
		assert_int_equal(recid, SPOD_RECID_NONE);
		assert_memory_equal(sig, want_sig, 64);

		assert_int_equal(
		    spod_verify(SPOD_ALG_ED25519, pub, 32, SPOD_MODE_RAW, msg, msg_len, sig, 64),
		    SPOD_OK);
		sig[17] ^= 0x04;
		assert_int_equal(
		    spod_verify(SPOD_ALG_ED25519, pub, 32, SPOD_MODE_RAW, msg, msg_len, sig, 64),
		    SPOD_E_BAD_SIGNATURE);
		spod_key_wipe(&sk);
	}
	assert_int_equal(rfc8032[3].msg == rfc8032_test1024_msg, 1);
	assert_int_equal(strlen(rfc8032_test1024_msg), 2 * 1023);
}

/* RFC 6979 A.2.5: the P-256 key, and the SHA-256 signatures of "sample" and "test". */
static const char rfc6979_p256_x[] =
    "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721";
static const char rfc6979_p256_pub[] =
    "04"
    "60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6"
    "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299";
static const struct {
	const char *msg;
	const char *sig; /* r || s */
} rfc6979_p256_sha256[] = {
    {"sample", "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716"
               "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8"},
    {"test", "f1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d38367"
             "019f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083"},
};

static void test_p256_rfc6979(void **state)
{
	uint8_t x[32], want_pub[65], want_sig[64], digest[32];
	uint8_t pub[SPOD_PUB_MAX_BYTES], sig[SPOD_SIG_MAX_BYTES], sig2[SPOD_SIG_MAX_BYTES];
	struct spod_secret_key sk;
	size_t pub_len, sig_len, secure_before;
	uint8_t recid;

	(void)state;
	unhex(x, sizeof x, rfc6979_p256_x);
	unhex(want_pub, sizeof want_pub, rfc6979_p256_pub);
	secure_before = CRYPTO_secure_used();
	assert_int_equal(spod_key_import(&sk, pub, &pub_len, SPOD_ALG_P256, x, 32), SPOD_OK);
	/* The cached EVP_PKEY keeps its scalar in OpenSSL's secure heap. */
	assert_true(CRYPTO_secure_used() > secure_before);
	assert_int_equal(pub_len, 65);
	assert_memory_equal(pub, want_pub, 65);
	assert_non_null(sk.ossl);
	assert_non_null(sk.ossl_ctx);

	for (size_t i = 0; i < 2; i++) {
		const uint8_t *m = (const uint8_t *)rfc6979_p256_sha256[i].msg;
		size_t m_len = strlen(rfc6979_p256_sha256[i].msg);

		unhex(want_sig, sizeof want_sig, rfc6979_p256_sha256[i].sig);
		assert_int_equal(spod_verify(SPOD_ALG_P256, want_pub, 65, SPOD_MODE_SHA256, m,
		                             m_len, want_sig, 64),
		                 SPOD_OK);
		spod_sha256(digest, m, m_len);
		assert_int_equal(spod_verify(SPOD_ALG_P256, want_pub, 65, SPOD_MODE_DIGEST, digest,
		                             32, want_sig, 64),
		                 SPOD_OK);
		want_sig[40] ^= 0x01;
		assert_int_equal(spod_verify(SPOD_ALG_P256, want_pub, 65, SPOD_MODE_SHA256, m,
		                             m_len, want_sig, 64),
		                 SPOD_E_BAD_SIGNATURE);
		/* The other message's signature does not verify this one. */
		unhex(want_sig, sizeof want_sig, rfc6979_p256_sha256[1 - i].sig);
		assert_int_equal(spod_verify(SPOD_ALG_P256, want_pub, 65, SPOD_MODE_SHA256, m,
		                             m_len, want_sig, 64),
		                 SPOD_E_BAD_SIGNATURE);

		/* Our own signature: OpenSSL 3.0's random nonce, so only verifiable. */
		assert_int_equal(spod_sign(sig, &sig_len, &recid, &sk, SPOD_MODE_SHA256, m, m_len),
		                 SPOD_OK);
		assert_int_equal(sig_len, 64);
		assert_int_equal(recid, SPOD_RECID_NONE);
		assert_int_equal(
		    spod_verify(SPOD_ALG_P256, pub, 65, SPOD_MODE_SHA256, m, m_len, sig, 64),
		    SPOD_OK);
		assert_int_equal(
		    spod_sign(sig2, &sig_len, &recid, &sk, SPOD_MODE_DIGEST, digest, 32), SPOD_OK);
		assert_int_equal(
		    spod_verify(SPOD_ALG_P256, pub, 65, SPOD_MODE_SHA256, m, m_len, sig2, 64),
		    SPOD_OK);
	}
	/* Wiping frees the key's share of the secure heap (OpenSSL's DRBG keeps its own). */
	secure_before = CRYPTO_secure_used();
	spod_key_wipe(&sk);
	assert_true(CRYPTO_secure_used() < secure_before);
	assert_null(sk.ossl);
	assert_null(sk.ossl_ctx);
	assert_int_equal(sk.alg, 0);
}

/*
 * secp256k1, private key 1. libsecp256k1 signs with RFC 6979 (HMAC-SHA256) nonces, so the
 * signatures are exact. "Satoshi Nakamoto" (SHA-256) is the widely published vector of
 * python-ecdsa, trezor-crypto and bitcoinjs; the Keccak-256 one was computed with an
 * independent pure-Python RFC 6979 + ECDSA implementation (low-S normalised).
 */
static const char k1_g_uncompressed[] =
    "04"
    "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
    "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8";
static const struct {
	uint8_t mode;
	const char *msg;
	const char *sig;
	uint8_t recid;
} k1_key1_vectors[] = {
    {SPOD_MODE_SHA256, "Satoshi Nakamoto",
     "934b1ea10a4b3c1757e2b0c017d0b6143ce3c9a7e6a4a49860d7a6ab210ee3d8"
     "2442ce9d2b916064108014783e923ec36b49743e2ffa1c4496f01a512aafd9e5",
     1},
    {SPOD_MODE_SHA256, "All those moments will be lost in time, like tears in rain. Time to die...",
     "8600dbd41e348fe5c9465ab92d23e3db8b98b873beecd930736488696438cb6b"
     "547fe64427496db33bf66019dacbf0039c04199abb0122918601db38a72cfc21",
     0},
    {SPOD_MODE_KECCAK256, "hello",
     "433ec3d37e4f1253df15e2dea412fed8e915737730f74b3dfb1353268f932ef5"
     "557c9158e0b34bce39de28d11797b42e9b1acb2749230885fe075aedc3e491a4",
     0},
};

/* Half the secp256k1 order: low-S means s <= this. */
static const char k1_half_order_hex[] =
    "7fffffffffffffffffffffffffffffff5d576e73574a501ddfe92f46681b20a0";

static void test_secp256k1_vectors(void **state)
{
	uint8_t one[32] = {0}, want_pub[65], want_sig[64], half[32], digest[32];
	uint8_t pub[SPOD_PUB_MAX_BYTES], sig[SPOD_SIG_MAX_BYTES], sig2[SPOD_SIG_MAX_BYTES];
	uint8_t recovered[65], addr[20];
	char addr_text[43];
	struct spod_secret_key sk;
	size_t pub_len, sig_len;
	uint8_t recid;

	(void)state;
	one[31] = 1;
	unhex(want_pub, sizeof want_pub, k1_g_uncompressed);
	unhex(half, sizeof half, k1_half_order_hex);
	assert_int_equal(spod_key_import(&sk, pub, &pub_len, SPOD_ALG_SECP256K1, one, 32), SPOD_OK);
	assert_int_equal(pub_len, 65);
	assert_memory_equal(pub, want_pub, 65);

	for (size_t i = 0; i < sizeof k1_key1_vectors / sizeof k1_key1_vectors[0]; i++) {
		const uint8_t *m = (const uint8_t *)k1_key1_vectors[i].msg;
		size_t m_len = strlen(k1_key1_vectors[i].msg);
		uint8_t mode = k1_key1_vectors[i].mode;

		unhex(want_sig, sizeof want_sig, k1_key1_vectors[i].sig);
		assert_int_equal(spod_sign(sig, &sig_len, &recid, &sk, mode, m, m_len), SPOD_OK);
		assert_int_equal(sig_len, 64);
		assert_memory_equal(sig, want_sig, 64);
		assert_int_equal(recid, k1_key1_vectors[i].recid);
		assert_true(memcmp(sig + 32, half, 32) <= 0);

		/* Hashing ourselves and signing in DIGEST mode gives the same signature. */
		if (mode == SPOD_MODE_SHA256)
			spod_sha256(digest, m, m_len);
		else
			spod_keccak256(digest, m, m_len);
		assert_int_equal(
		    spod_sign(sig2, &sig_len, &recid, &sk, SPOD_MODE_DIGEST, digest, 32), SPOD_OK);
		assert_memory_equal(sig2, want_sig, 64);

		assert_int_equal(spod_verify(SPOD_ALG_SECP256K1, pub, 65, mode, m, m_len, sig, 64),
		                 SPOD_OK);
		assert_int_equal(spod_secp256k1_recover(recovered, digest, sig, recid), SPOD_OK);
		assert_memory_equal(recovered, want_pub, 65);
		/* The wrong recovery id yields another key (or none). */
		if (spod_secp256k1_recover(recovered, digest, sig, recid ^ 1) == SPOD_OK)
			assert_memory_not_equal(recovered, want_pub, 65);
		assert_int_equal(spod_secp256k1_recover(recovered, digest, sig, 4),
		                 SPOD_E_BAD_SIGNATURE);
		/* What an Ethereum v claims: only the signer's recovery id names this key. */
		assert_int_equal(spod_verify_recid(pub, 65, mode, m, m_len, sig, recid), SPOD_OK);
		assert_int_equal(
		    spod_verify_recid(pub, 65, SPOD_MODE_DIGEST, digest, 32, sig, recid), SPOD_OK);
		for (uint8_t bad = 0; bad < 8; bad++)
			if (bad != recid)
				assert_int_equal(
				    spod_verify_recid(pub, 65, mode, m, m_len, sig, bad),
				    SPOD_E_BAD_SIGNATURE);
		assert_int_equal(spod_verify_recid(pub, 64, mode, m, m_len, sig, recid),
		                 SPOD_E_BAD_KEY);
		assert_int_equal(spod_verify_recid(pub, 65, SPOD_MODE_RAW, m, m_len, sig, recid),
		                 SPOD_E_BAD_MODE);
		assert_int_equal(spod_verify_recid(pub, 65, SPOD_MODE_DIGEST, m, 31, sig, recid),
		                 SPOD_E_BAD_DIGEST);
	}

	assert_int_equal(spod_eth_address(addr, pub, pub_len), SPOD_OK);
	spod_eth_address_text(addr_text, addr);
	assert_string_equal(addr_text, "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf");
	spod_key_wipe(&sk);
}

/* secp256k1 signatures are accepted only in low-S form, by verify and by recover. */
static void test_secp256k1_high_s(void **state)
{
	uint8_t n[32], digest[32], high[64], recovered[65];
	uint8_t pub[SPOD_PUB_MAX_BYTES], sig[SPOD_SIG_MAX_BYTES];
	struct spod_secret_key sk;
	size_t pub_len, sig_len;
	uint8_t recid;

	(void)state;
	unhex(n, sizeof n, k1_order_hex);
	assert_int_equal(spod_key_generate(&sk, pub, &pub_len, SPOD_ALG_SECP256K1), SPOD_OK);
	spod_keccak256(digest, (const uint8_t *)"malleable", 9);
	assert_int_equal(spod_sign(sig, &sig_len, &recid, &sk, SPOD_MODE_DIGEST, digest, 32),
	                 SPOD_OK);
	assert_int_equal(
	    spod_verify(SPOD_ALG_SECP256K1, pub, 65, SPOD_MODE_DIGEST, digest, 32, sig, 64),
	    SPOD_OK);

	/* (r, n - s) is the same signature in high-S form; its recovery id flips. */
	memcpy(high, sig, 32);
	sub256(high + 32, n, sig + 32);
	assert_int_equal(
	    spod_verify(SPOD_ALG_SECP256K1, pub, 65, SPOD_MODE_DIGEST, digest, 32, high, 64),
	    SPOD_E_BAD_SIGNATURE);
	assert_int_equal(spod_secp256k1_recover(recovered, digest, high, recid ^ 1),
	                 SPOD_E_BAD_SIGNATURE);

	/* s >= n and r >= n do not parse. */
	memcpy(high + 32, n, 32);
	assert_int_equal(
	    spod_verify(SPOD_ALG_SECP256K1, pub, 65, SPOD_MODE_DIGEST, digest, 32, high, 64),
	    SPOD_E_BAD_SIGNATURE);
	memcpy(high, n, 32);
	memcpy(high + 32, sig + 32, 32);
	assert_int_equal(
	    spod_verify(SPOD_ALG_SECP256K1, pub, 65, SPOD_MODE_DIGEST, digest, 32, high, 64),
	    SPOD_E_BAD_SIGNATURE);
	spod_key_wipe(&sk);
}

/* The examples in EIP-55 itself. */
static void test_eip55_text(void **state)
{
	static const char *const examples[] = {
	    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
	    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
	    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
	    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
	};
	uint8_t addr[20];
	char text[43];

	(void)state;
	for (size_t i = 0; i < sizeof examples / sizeof examples[0]; i++) {
		assert_int_equal(unhex(addr, sizeof addr, examples[i]), 20);
		spod_eth_address_text(text, addr);
		assert_string_equal(text, examples[i]);
	}
}

static const uint8_t modes_for_alg[][4] = {
    [SPOD_ALG_ED25519] = {SPOD_MODE_RAW},
    [SPOD_ALG_SECP256K1] = {SPOD_MODE_DIGEST, SPOD_MODE_SHA256, SPOD_MODE_KECCAK256},
    [SPOD_ALG_P256] = {SPOD_MODE_DIGEST, SPOD_MODE_SHA256, SPOD_MODE_KECCAK256},
};

/* Fresh keys of every algorithm sign in every mode they allow and verify. */
static void test_generate_sign_verify(void **state)
{
	uint8_t msg[32], digest[32], recovered[65];
	uint8_t pub[SPOD_PUB_MAX_BYTES], pub2[SPOD_PUB_MAX_BYTES], sig[SPOD_SIG_MAX_BYTES];
	struct spod_secret_key sk, sk2;
	size_t pub_len, pub2_len, sig_len;
	uint8_t recid;

	(void)state;
	spod_random(msg, sizeof msg);
	for (uint8_t alg = SPOD_ALG_ED25519; alg <= SPOD_ALG_P256; alg++) {
		size_t n_modes = alg == SPOD_ALG_ED25519 ? 1 : 3;

		assert_int_equal(spod_key_generate(&sk, pub, &pub_len, alg), SPOD_OK);
		assert_int_equal(sk.alg, alg);
		assert_int_equal(pub_len, spod_alg_pub_len(alg));
		assert_int_equal(spod_key_generate(&sk2, pub2, &pub2_len, alg), SPOD_OK);
		assert_memory_not_equal(pub, pub2, pub_len);

		for (size_t j = 0; j < n_modes; j++) {
			uint8_t mode = modes_for_alg[alg][j];

			assert_int_equal(
			    spod_sign(sig, &sig_len, &recid, &sk, mode, msg, sizeof msg), SPOD_OK);
			assert_int_equal(
			    spod_verify(alg, pub, pub_len, mode, msg, sizeof msg, sig, sig_len),
			    SPOD_OK);
			assert_int_equal(
			    spod_verify(alg, pub2, pub2_len, mode, msg, sizeof msg, sig, sig_len),
			    SPOD_E_BAD_SIGNATURE);
			if (alg == SPOD_ALG_SECP256K1) {
				assert_true(recid <= 1);
				if (mode == SPOD_MODE_DIGEST)
					memcpy(digest, msg, 32);
				else if (mode == SPOD_MODE_SHA256)
					spod_sha256(digest, msg, sizeof msg);
				else
					spod_keccak256(digest, msg, sizeof msg);
				assert_int_equal(
				    spod_secp256k1_recover(recovered, digest, sig, recid), SPOD_OK);
				assert_memory_equal(recovered, pub, 65);
			} else {
				assert_int_equal(recid, SPOD_RECID_NONE);
			}
		}
		/* Ed25519 signs the empty message too. */
		if (alg == SPOD_ALG_ED25519) {
			assert_int_equal(
			    spod_sign(sig, &sig_len, &recid, &sk, SPOD_MODE_RAW, NULL, 0), SPOD_OK);
			assert_int_equal(
			    spod_verify(alg, pub, pub_len, SPOD_MODE_RAW, NULL, 0, sig, 64),
			    SPOD_OK);
		}
		spod_key_wipe(&sk);
		spod_key_wipe(&sk2);
	}
}

static void test_bad_mode(void **state)
{
	uint8_t digest[32] = {1};
	uint8_t pub[SPOD_PUB_MAX_BYTES], sig[SPOD_SIG_MAX_BYTES] = {0};
	struct spod_secret_key sk;
	size_t pub_len, sig_len;
	uint8_t recid;

	(void)state;
	assert_int_equal(spod_key_generate(&sk, pub, &pub_len, SPOD_ALG_ED25519), SPOD_OK);
	for (uint8_t mode = SPOD_MODE_DIGEST; mode <= SPOD_MODE_KECCAK256 + 1; mode++) {
		assert_int_equal(spod_sign(sig, &sig_len, &recid, &sk, mode, digest, 32),
		                 SPOD_E_BAD_MODE);
		assert_int_equal(sig_len, 0);
		assert_int_equal(spod_verify(SPOD_ALG_ED25519, pub, 32, mode, digest, 32, sig, 64),
		                 SPOD_E_BAD_MODE);
	}
	spod_key_wipe(&sk);

	for (uint8_t alg = SPOD_ALG_SECP256K1; alg <= SPOD_ALG_P256; alg++) {
		assert_int_equal(spod_key_generate(&sk, pub, &pub_len, alg), SPOD_OK);
		assert_int_equal(spod_sign(sig, &sig_len, &recid, &sk, SPOD_MODE_RAW, digest, 32),
		                 SPOD_E_BAD_MODE);
		assert_int_equal(spod_sign(sig, &sig_len, &recid, &sk, 4, digest, 32),
		                 SPOD_E_BAD_MODE);
		assert_int_equal(spod_verify(alg, pub, 65, SPOD_MODE_RAW, digest, 32, sig, 64),
		                 SPOD_E_BAD_MODE);
		spod_key_wipe(&sk);
	}

	/* A wiped key signs nothing. */
	assert_int_equal(spod_sign(sig, &sig_len, &recid, &sk, SPOD_MODE_RAW, digest, 32),
	                 SPOD_E_UNKNOWN_ALG);
	assert_int_equal(spod_verify(9, pub, 65, SPOD_MODE_DIGEST, digest, 32, sig, 64),
	                 SPOD_E_UNKNOWN_ALG);
}

static void test_bad_digest(void **state)
{
	uint8_t digest[33] = {7};
	uint8_t pub[SPOD_PUB_MAX_BYTES], sig[SPOD_SIG_MAX_BYTES];
	struct spod_secret_key sk;
	size_t pub_len, sig_len;
	uint8_t recid;

	(void)state;
	for (uint8_t alg = SPOD_ALG_SECP256K1; alg <= SPOD_ALG_P256; alg++) {
		assert_int_equal(spod_key_generate(&sk, pub, &pub_len, alg), SPOD_OK);
		assert_int_equal(
		    spod_sign(sig, &sig_len, &recid, &sk, SPOD_MODE_DIGEST, digest, 32), SPOD_OK);
		assert_int_equal(
		    spod_sign(sig, &sig_len, &recid, &sk, SPOD_MODE_DIGEST, digest, 31),
		    SPOD_E_BAD_DIGEST);
		assert_int_equal(sig_len, 0);
		assert_int_equal(
		    spod_sign(sig, &sig_len, &recid, &sk, SPOD_MODE_DIGEST, digest, 33),
		    SPOD_E_BAD_DIGEST);
		assert_int_equal(spod_sign(sig, &sig_len, &recid, &sk, SPOD_MODE_DIGEST, NULL, 0),
		                 SPOD_E_BAD_DIGEST);
		assert_int_equal(spod_verify(alg, pub, 65, SPOD_MODE_DIGEST, digest, 31, sig, 64),
		                 SPOD_E_BAD_DIGEST);
		spod_key_wipe(&sk);
	}
}

static void test_bad_signature(void **state)
{
	uint8_t msg[] = "flip me";
	uint8_t pub[SPOD_PUB_MAX_BYTES], sig[SPOD_SIG_MAX_BYTES], zero[64] = {0};
	struct spod_secret_key sk;
	size_t pub_len, sig_len;
	uint8_t recid;

	(void)state;
	for (uint8_t alg = SPOD_ALG_ED25519; alg <= SPOD_ALG_P256; alg++) {
		uint8_t mode = modes_for_alg[alg][alg == SPOD_ALG_ED25519 ? 0 : 1];

		assert_int_equal(spod_key_generate(&sk, pub, &pub_len, alg), SPOD_OK);
		assert_int_equal(spod_sign(sig, &sig_len, &recid, &sk, mode, msg, sizeof msg),
		                 SPOD_OK);
		assert_int_equal(spod_verify(alg, pub, pub_len, mode, msg, sizeof msg, sig, 63),
		                 SPOD_E_BAD_SIGNATURE);
		assert_int_equal(spod_verify(alg, pub, pub_len, mode, msg, sizeof msg, zero, 64),
		                 SPOD_E_BAD_SIGNATURE);
		for (size_t bit = 0; bit < 512; bit += 37) {
			sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			assert_int_equal(
			    spod_verify(alg, pub, pub_len, mode, msg, sizeof msg, sig, 64),
			    SPOD_E_BAD_SIGNATURE);
			sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
		msg[0] ^= 0x20;
		assert_int_equal(spod_verify(alg, pub, pub_len, mode, msg, sizeof msg, sig, 64),
		                 SPOD_E_BAD_SIGNATURE);
		msg[0] ^= 0x20;
		assert_int_equal(spod_verify(alg, pub, pub_len, mode, msg, sizeof msg, sig, 64),
		                 SPOD_OK);
		spod_key_wipe(&sk);
	}
}

static void test_bad_key(void **state)
{
	uint8_t scalar[33] = {0}, n[32], digest[32] = {0}, sig[64] = {1};
	uint8_t pub[SPOD_PUB_MAX_BYTES], addr[20];
	struct spod_secret_key sk;
	size_t pub_len;

	(void)state;
	/* Zero, n and all-ones are not scalars; n - 1 is the largest that is. */
	for (uint8_t alg = SPOD_ALG_SECP256K1; alg <= SPOD_ALG_P256; alg++) {
		unhex(n, sizeof n, alg == SPOD_ALG_SECP256K1 ? k1_order_hex : p256_order_hex);
		memset(scalar, 0, 32);
		assert_int_equal(spod_key_import(&sk, pub, &pub_len, alg, scalar, 32),
		                 SPOD_E_BAD_KEY);
		assert_int_equal(pub_len, 0);
		assert_int_equal(sk.alg, 0);
		assert_null(sk.ossl);
		assert_int_equal(spod_key_import(&sk, pub, &pub_len, alg, n, 32), SPOD_E_BAD_KEY);
		memset(scalar, 0xff, 32);
		assert_int_equal(spod_key_import(&sk, pub, &pub_len, alg, scalar, 32),
		                 SPOD_E_BAD_KEY);
		memcpy(scalar, n, 32);
		scalar[31] -= 1;
		assert_int_equal(spod_key_import(&sk, pub, &pub_len, alg, scalar, 32), SPOD_OK);
		spod_key_wipe(&sk);
		assert_int_equal(spod_key_import(&sk, pub, &pub_len, alg, scalar, 31),
		                 SPOD_E_BAD_KEY);
		assert_int_equal(spod_key_import(&sk, pub, &pub_len, alg, scalar, 33),
		                 SPOD_E_BAD_KEY);
	}
	assert_int_equal(spod_key_import(&sk, pub, &pub_len, SPOD_ALG_ED25519, scalar, 31),
	                 SPOD_E_BAD_KEY);
	assert_int_equal(spod_key_import(&sk, pub, &pub_len, 0, scalar, 32), SPOD_E_UNKNOWN_ALG);
	assert_int_equal(spod_key_import(&sk, pub, &pub_len, 4, scalar, 32), SPOD_E_UNKNOWN_ALG);
	assert_int_equal(spod_key_generate(&sk, pub, &pub_len, 9), SPOD_E_UNKNOWN_ALG);

	/* Public keys: wrong length, not uncompressed, not on the curve. */
	for (uint8_t alg = SPOD_ALG_SECP256K1; alg <= SPOD_ALG_P256; alg++) {
		assert_int_equal(spod_key_generate(&sk, pub, &pub_len, alg), SPOD_OK);
		spod_key_wipe(&sk);
		assert_int_equal(spod_verify(alg, pub, 64, SPOD_MODE_DIGEST, digest, 32, sig, 64),
		                 SPOD_E_BAD_KEY);
		assert_int_equal(spod_verify(alg, NULL, 65, SPOD_MODE_DIGEST, digest, 32, sig, 64),
		                 SPOD_E_BAD_KEY);
		pub[0] = 0x06 | (pub[64] & 1); /* hybrid encoding of the same point */
		assert_int_equal(spod_verify(alg, pub, 65, SPOD_MODE_DIGEST, digest, 32, sig, 64),
		                 SPOD_E_BAD_KEY);
		pub[0] = 0x04;
		pub[64] ^= 0x01;
		assert_int_equal(spod_verify(alg, pub, 65, SPOD_MODE_DIGEST, digest, 32, sig, 64),
		                 SPOD_E_BAD_KEY);
		if (alg == SPOD_ALG_SECP256K1) {
			assert_int_equal(spod_eth_address(addr, pub, 65), SPOD_E_BAD_KEY);
			pub[64] ^= 0x01;
			assert_int_equal(spod_eth_address(addr, pub, 65), SPOD_OK);
			assert_int_equal(spod_eth_address(addr, pub, 33), SPOD_E_BAD_KEY);
		}
	}
}

static void test_pem(void **state)
{
	static const char rfc8032_test1_pem[] =
	    "-----BEGIN PUBLIC KEY-----\n"
	    "MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
	    "-----END PUBLIC KEY-----\n";
	uint8_t pub[SPOD_PUB_MAX_BYTES], back[SPOD_PUB_MAX_BYTES];
	char pem[512];
	struct spod_secret_key sk;
	size_t pub_len, back_len;

	(void)state;
	unhex(pub, sizeof pub, rfc8032[0].pub);
	assert_int_equal(spod_pub_to_pem(pem, sizeof pem, SPOD_ALG_ED25519, pub, 32), SPOD_OK);
	assert_string_equal(pem, rfc8032_test1_pem);
	assert_int_equal(spod_pub_to_pem(pem, strlen(rfc8032_test1_pem), SPOD_ALG_ED25519, pub, 32),
	                 SPOD_E_TOO_LARGE);
	assert_int_equal(
	    spod_pub_to_pem(pem, strlen(rfc8032_test1_pem) + 1, SPOD_ALG_ED25519, pub, 32),
	    SPOD_OK);

	for (uint8_t alg = SPOD_ALG_ED25519; alg <= SPOD_ALG_P256; alg++) {
		BIO *bio;
		EVP_PKEY *pkey;

		assert_int_equal(spod_key_generate(&sk, pub, &pub_len, alg), SPOD_OK);
		spod_key_wipe(&sk);
		assert_int_equal(spod_pub_to_pem(pem, sizeof pem, alg, pub, pub_len), SPOD_OK);

		bio = BIO_new_mem_buf(pem, -1);
		assert_non_null(bio);
		pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
		assert_non_null(pkey);
		back_len = sizeof back;
		if (alg == SPOD_ALG_ED25519) {
			assert_int_equal(EVP_PKEY_get_raw_public_key(pkey, back, &back_len), 1);
		} else {
			assert_int_equal(EVP_PKEY_get_octet_string_param(
			                     pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, back,
			                     sizeof back, &back_len),
			                 1);
			assert_true(EVP_PKEY_is_a(pkey, "EC"));
		}
		assert_int_equal(back_len, pub_len);
		assert_memory_equal(back, pub, pub_len);
		EVP_PKEY_free(pkey);
		BIO_free(bio);

		assert_int_equal(spod_pub_to_pem(pem, sizeof pem, alg, pub, pub_len - 1),
		                 SPOD_E_BAD_KEY);
		if (alg != SPOD_ALG_ED25519) {
			pub[40] ^= 0x10;
			assert_int_equal(spod_pub_to_pem(pem, sizeof pem, alg, pub, pub_len),
			                 SPOD_E_BAD_KEY);
			assert_string_equal(pem, "");
		}
	}
	assert_int_equal(spod_pub_to_pem(pem, sizeof pem, 0, pub, 32), SPOD_E_UNKNOWN_ALG);
}

/* Threads that share keys (spod-enclave's workers) sign P-256 with contexts of their own. */
static struct spod_secret_key g_shared;
static uint8_t g_shared_pub[SPOD_PUB_MAX_BYTES];
static size_t g_shared_pub_len;

struct sharer {
	unsigned index;
	int bad;
};

static void *sign_shared(void *arg)
{
	struct sharer *t = arg;
	uint8_t digest[32], sig[SPOD_SIG_MAX_BYTES], recid;
	size_t sig_len;

	if (spod_crypto_thread_shares_keys(t->index) != SPOD_OK)
		t->bad++;
	for (int i = 0; i < 200; i++) {
		spod_random(digest, sizeof(digest));
		if (spod_sign(sig, &sig_len, &recid, &g_shared, SPOD_MODE_DIGEST, digest, 32) !=
		        SPOD_OK ||
		    spod_verify(SPOD_ALG_P256, g_shared_pub, g_shared_pub_len, SPOD_MODE_DIGEST,
		                digest, 32, sig, sig_len) != SPOD_OK)
			t->bad++;
	}
	return NULL;
}

static void test_threads_share_keys(void **state)
{
	struct sharer t[2] = {{0, 0}, {1, 0}};
	pthread_t th[2];

	(void)state;
	assert_int_equal(spod_crypto_thread_shares_keys(SPOD_CRYPTO_THREADS_MAX), SPOD_E_BAD_ARG);
	memset(&g_shared, 0, sizeof(g_shared));
	assert_int_equal(
	    spod_key_generate(&g_shared, g_shared_pub, &g_shared_pub_len, SPOD_ALG_P256), SPOD_OK);
	for (unsigned i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, sign_shared, &t[i]), 0);
	for (unsigned i = 0; i < 2; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	assert_int_equal(t[0].bad + t[1].bad, 0);
	assert_non_null(g_shared.ossl_ctxs); /* the threads' own contexts, freed by the wipe */
	spod_key_wipe(&g_shared);
	assert_null(g_shared.ossl_ctxs);
}

static void test_init_twice(void **state)
{
	(void)state;
	assert_int_equal(spod_crypto_init(TEST_SECURE_HEAP_BYTES), SPOD_OK);
	assert_int_equal(CRYPTO_secure_malloc_initialized(), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ed25519_rfc8032),
	    cmocka_unit_test(test_p256_rfc6979),
	    cmocka_unit_test(test_secp256k1_vectors),
	    cmocka_unit_test(test_secp256k1_high_s),
	    cmocka_unit_test(test_eip55_text),
	    cmocka_unit_test(test_generate_sign_verify),
	    cmocka_unit_test(test_bad_mode),
	    cmocka_unit_test(test_bad_digest),
	    cmocka_unit_test(test_bad_signature),
	    cmocka_unit_test(test_bad_key),
	    cmocka_unit_test(test_pem),
	    cmocka_unit_test(test_threads_share_keys),
	    cmocka_unit_test(test_init_twice),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
