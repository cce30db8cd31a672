/*
 * Key files for `spod keys import`: format names, detection, the hex and solana-keypair
 * readers, and the steps every format shares (deriving the public key through the crypto
 * layer, checking what the file claims, wiping on failure). PEM is in keyfile_pem.c, the
 * Ethereum keystore in keyfile_eth.c.
 */
#include "cli/keyfile.h"

#include <string.h>

#include <sodium.h>

#include "cli/keyfile_int.h"
#include "crypto/secmem.h"
#include "crypto/sign.h"

#define HEX_KEY_DIGITS        (2u * SPOD_KEYFILE_SECRET_BYTES)
#define SOLANA_KEYPAIR_BYTES  64u
#define SOLANA_MAX_DIGITS     3u
#define ED25519_PUB_BYTES     32u
#define SEC1_COMPRESSED_BYTES 33u
#define SEC1_FULL_BYTES       65u

static const char *const format_names[] = {
    [SPOD_KEYFILE_AUTO] = "auto",
    [SPOD_KEYFILE_HEX] = "hex",
    [SPOD_KEYFILE_PEM] = "pem",
    [SPOD_KEYFILE_ETH_KEYSTORE] = "eth-keystore",
    [SPOD_KEYFILE_SOLANA] = "solana-keypair",
};

#define FORMAT_COUNT (sizeof format_names / sizeof format_names[0])

const char *spod_keyfile_format_name(enum spod_keyfile_format fmt)
{
	if ((unsigned)fmt >= FORMAT_COUNT)
		return NULL;
	return format_names[fmt];
}

int spod_keyfile_format_parse(enum spod_keyfile_format *fmt, const char *name)
{
	for (size_t i = 0; i < FORMAT_COUNT; i++) {
		if (strcmp(name, format_names[i]) == 0) {
			*fmt = (enum spod_keyfile_format)i;
			return SPOD_OK;
		}
	}
	*fmt = SPOD_KEYFILE_AUTO;
	return SPOD_E_BAD_ARG;
}

int spod_keyfile_unhex(uint8_t *out, size_t n, const char *text, size_t text_len)
{
	size_t bin_len = 0;
	const char *end = NULL;

	if (text_len != 2 * n)
		return SPOD_E_BAD_HEX;
	if (sodium_hex2bin(out, n, text, text_len, NULL, &bin_len, &end) != 0 || bin_len != n ||
	    end != text + text_len)
		return SPOD_E_BAD_HEX;
	return SPOD_OK;
}

/* JSON's whitespace, which is also what may surround a hex key. */
static int is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t skip_space(const uint8_t *d, size_t len, size_t i)
{
	while (i < len && is_space(d[i]))
		i++;
	return i;
}

/* The hex digits of a hex key file without whitespace and 0x, if that is all the file is. */
static int hex_body(const uint8_t *d, size_t len, const char **text)
{
	size_t start = skip_space(d, len, 0);
	size_t end = len;

	while (end > start && is_space(d[end - 1]))
		end--;
	if (end - start >= 2 && d[start] == '0' && (d[start + 1] == 'x' || d[start + 1] == 'X'))
		start += 2;
	if (end - start != HEX_KEY_DIGITS)
		return 0;
	for (size_t i = start; i < end; i++) {
		uint8_t c = d[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return 0;
	}
	*text = (const char *)d + start;
	return 1;
}

static int has_pem_begin(const uint8_t *d, size_t len)
{
	static const char begin[] = "-----BEGIN ";
	const size_t n = sizeof begin - 1;

	for (size_t i = 0; i < len && n <= len - i; i++) {
		if ((i == 0 || d[i - 1] == '\n') && memcmp(d + i, begin, n) == 0)
			return 1;
	}
	return 0;
}

int spod_keyfile_detect(enum spod_keyfile_format *fmt, const uint8_t *data, size_t len,
                        const char **why)
{
	const char *hex;
	size_t first;

	*fmt = SPOD_KEYFILE_AUTO;
	*why = NULL;
	if (len > SPOD_KEYFILE_MAX_BYTES) {
		*why = "key file larger than 64 KiB";
		return SPOD_E_TOO_LARGE;
	}
	if (data == NULL)
		len = 0;
	first = skip_space(data, len, 0);
	if (len > 0 && hex_body(data, len, &hex))
		*fmt = SPOD_KEYFILE_HEX;
	else if (first < len && data[first] == '{')
		*fmt = SPOD_KEYFILE_ETH_KEYSTORE;
	else if (first < len && data[first] == '[')
		*fmt = SPOD_KEYFILE_SOLANA;
	else if (has_pem_begin(data, len))
		*fmt = SPOD_KEYFILE_PEM;
	if (*fmt == SPOD_KEYFILE_AUTO) {
		*why = "not a key file spod knows: expected 64 hex digits, a PEM private key, an "
		       "Ethereum keystore (JSON object) or a Solana keypair (JSON array)";
		return SPOD_E_BAD_KEY;
	}
	return SPOD_OK;
}

static int read_hex(struct spod_keyfile_secret *out, const uint8_t *data, size_t len, uint8_t alg,
                    const char **why)
{
	const char *hex;

	if (len == 0 || !hex_body(data, len, &hex)) {
		*why = "hex key file: expected exactly 64 hex digits (optional 0x prefix)";
		return SPOD_E_BAD_KEY;
	}
	if (alg == 0) {
		*why =
		    "a hex key file does not say its algorithm: give --alg secp256k1, ed25519 or "
		    "p256";
		return SPOD_E_BAD_ARG;
	}
	out->alg = alg;
	if (spod_keyfile_unhex(out->secret, SPOD_KEYFILE_SECRET_BYTES, hex, HEX_KEY_DIGITS) < 0) {
		*why = "hex key file: expected exactly 64 hex digits (optional 0x prefix)";
		return SPOD_E_BAD_KEY;
	}
	return SPOD_OK;
}

/*
 * One decimal integer 0..255 of a Solana keypair at d[*i], in JSON's grammar (no sign, no
 * fraction, no leading zero). The digits are part of the secret: *value is the caller's.
 */
static int solana_int(const uint8_t *d, size_t len, size_t *i, unsigned *value, const char **why)
{
	size_t start = *i;
	unsigned v = 0;

	while (*i < len && d[*i] >= '0' && d[*i] <= '9') {
		if (*i - start == SOLANA_MAX_DIGITS) {
			*why = "solana keypair: an element is not an integer from 0 to 255";
			return SPOD_E_BAD_KEY;
		}
		v = v * 10u + (unsigned)(d[*i] - '0');
		(*i)++;
	}
	if (*i == start || v > 255u || (*i - start > 1 && d[start] == '0')) {
		*why = "solana keypair: an element is not an integer from 0 to 255";
		return SPOD_E_BAD_KEY;
	}
	*value = v;
	return SPOD_OK;
}

/* solana-keygen's file: [b0,b1,...,b63], whitespace allowed between tokens. */
static int solana_array(uint8_t pair[SOLANA_KEYPAIR_BYTES], const uint8_t *d, size_t len,
                        const char **why)
{
	size_t i = skip_space(d, len, 0);
	size_t count = 0;
	unsigned value = 0;
	int rc = SPOD_E_BAD_KEY;

	if (i == len || d[i] != '[') {
		*why = "solana keypair: expected a JSON array of 64 integers";
		return SPOD_E_BAD_KEY;
	}
	i = skip_space(d, len, i + 1);
	/* After '[' comes ']' (an empty array) or integers separated by commas. */
	while (count > 0 || i == len || d[i] != ']') {
		SPOD_GUARD(rc, solana_int(d, len, &i, &value, why));
		if (count == SOLANA_KEYPAIR_BYTES) {
			*why = "solana keypair: more than 64 integers";
			rc = SPOD_E_BAD_KEY;
			goto out;
		}
		pair[count++] = (uint8_t)value;
		i = skip_space(d, len, i);
		if (i < len && d[i] == ',') {
			i = skip_space(d, len, i + 1);
			continue;
		}
		if (i < len && d[i] == ']')
			break; /* i stays on ']' */
		*why = i == len ? "solana keypair: the array is not closed"
		                : "solana keypair: expected ',' or ']' after an integer";
		rc = SPOD_E_BAD_KEY;
		goto out;
	}
	rc = SPOD_E_BAD_KEY;
	if (skip_space(d, len, i + 1) != len)
		*why = "solana keypair: unexpected data after the array";
	else if (count != SOLANA_KEYPAIR_BYTES)
		*why = "solana keypair: fewer than 64 integers";
	else
		rc = SPOD_OK;
out:
	spod_secmem_wipe(&value, sizeof value);
	return rc;
}

static int read_solana(struct spod_keyfile_secret *out, struct keyfile_claims *claims,
                       const uint8_t *data, size_t len, const char **why)
{
	uint8_t *pair = spod_secmem_alloc(SOLANA_KEYPAIR_BYTES);
	int rc;

	if (pair == NULL) {
		*why = "out of locked memory";
		return SPOD_E_NOMEM;
	}
	rc = solana_array(pair, data, len, why);
	if (rc == SPOD_OK) {
		out->alg = SPOD_ALG_ED25519;
		memcpy(out->secret, pair, SPOD_KEYFILE_SECRET_BYTES);
		memcpy(claims->pub, pair + SPOD_KEYFILE_SECRET_BYTES, ED25519_PUB_BYTES);
		claims->pub_len = ED25519_PUB_BYTES;
		claims->has_pub = 1;
		claims->report = SPOD_KEYFILE_CLAIM_PUBLIC_KEY;
	}
	spod_secmem_free(pair);
	return rc;
}

/* out->pub from out->secret; spod_key_import refuses a zero or out-of-range scalar. */
static int derive_public(struct spod_keyfile_secret *out, const char **why)
{
	struct spod_secret_key *sk = spod_secmem_alloc(sizeof *sk);
	int rc;

	if (sk == NULL) {
		*why = "out of locked memory";
		return SPOD_E_NOMEM;
	}
	rc = spod_key_import(sk, out->pub, &out->pub_len, out->alg, out->secret,
	                     SPOD_KEYFILE_SECRET_BYTES);
	if (rc == SPOD_OK)
		spod_key_wipe(sk);
	else if (rc == SPOD_E_BAD_KEY)
		*why = "the private key is out of range (zero, or not below the curve order)";
	else
		*why = "could not derive the public key";
	spod_secmem_free(sk);
	return rc;
}

/* A stated public key equals the derived one; a compressed SEC1 point names the same point. */
static int pub_matches(const struct spod_keyfile_secret *out, const struct keyfile_claims *c)
{
	if (c->pub_len == out->pub_len)
		return memcmp(c->pub, out->pub, out->pub_len) == 0;
	if (c->pub_len == SEC1_COMPRESSED_BYTES && out->pub_len == SEC1_FULL_BYTES)
		return c->pub[0] == (0x02 | (out->pub[SEC1_FULL_BYTES - 1] & 1)) &&
		       memcmp(c->pub + 1, out->pub + 1, SEC1_COMPRESSED_BYTES - 1) == 0;
	return 0;
}

static int check_claims(struct spod_keyfile_secret *out, const struct keyfile_claims *claims,
                        const char **why)
{
	uint8_t addr[KEYFILE_ETH_ADDRESS_BYTES];

	if (claims->has_pub && !pub_matches(out, claims)) {
		*why = "the public key in the file does not match its private key";
		return SPOD_E_BAD_KEY;
	}
	if (claims->has_addr) {
		if (spod_eth_address(addr, out->pub, out->pub_len) < 0 ||
		    memcmp(addr, claims->addr, sizeof addr) != 0) {
			*why = "the keystore's address does not match the key it holds";
			return SPOD_E_BAD_KEY;
		}
	}
	out->claim = claims->report;
	return SPOD_OK;
}

static int check_opts(const struct spod_keyfile_opts *opts, const char **why)
{
	if ((unsigned)opts->fmt >= FORMAT_COUNT) {
		*why = "unknown key file format";
		return SPOD_E_BAD_ARG;
	}
	if (opts->alg != 0 && !spod_alg_valid(opts->alg)) {
		*why = "unknown algorithm";
		return SPOD_E_BAD_ARG;
	}
	if (opts->passphrase == NULL && opts->passphrase_len != 0) {
		*why = "passphrase length without a passphrase";
		return SPOD_E_BAD_ARG;
	}
	return SPOD_OK;
}

static int read_format(struct spod_keyfile_secret *out, struct keyfile_claims *claims,
                       const uint8_t *data, size_t len, const struct spod_keyfile_opts *opts,
                       const char **why)
{
	switch (out->fmt) {
	case SPOD_KEYFILE_HEX:
		return read_hex(out, data, len, opts->alg, why);
	case SPOD_KEYFILE_PEM:
		return spod_keyfile_read_pem(out, claims, data, len, why);
	case SPOD_KEYFILE_ETH_KEYSTORE:
		return spod_keyfile_read_eth(out, claims, data, len, opts, why);
	case SPOD_KEYFILE_SOLANA:
		return read_solana(out, claims, data, len, why);
	default:
		*why = "unknown key file format";
		return SPOD_E_BAD_ARG;
	}
}

int spod_keyfile_parse(struct spod_keyfile_secret *out, const uint8_t *data, size_t len,
                       const struct spod_keyfile_opts *opts, const char **why)
{
	struct keyfile_claims claims;
	int rc;

	memset(out, 0, sizeof *out);
	memset(&claims, 0, sizeof claims);
	*why = NULL;
	if (data == NULL)
		len = 0;
	SPOD_GUARD(rc, check_opts(opts, why));
	out->fmt = opts->fmt;
	if (out->fmt == SPOD_KEYFILE_AUTO)
		SPOD_GUARD(rc, spod_keyfile_detect(&out->fmt, data, len, why));
	if (len > SPOD_KEYFILE_MAX_BYTES) {
		*why = "key file larger than 64 KiB";
		rc = SPOD_E_TOO_LARGE;
		goto out;
	}
	out->secret = spod_secmem_alloc(SPOD_KEYFILE_SECRET_BYTES);
	if (out->secret == NULL) {
		*why = "out of locked memory";
		rc = SPOD_E_NOMEM;
		goto out;
	}
	SPOD_GUARD(rc, read_format(out, &claims, data, len, opts, why));
	if (opts->alg != 0 && opts->alg != out->alg) {
		*why = "--alg names another algorithm than the key file holds";
		rc = SPOD_E_BAD_ARG;
		goto out;
	}
	SPOD_GUARD(rc, derive_public(out, why));
	SPOD_GUARD(rc, check_claims(out, &claims, why));
out:
	if (rc < 0) {
		spod_keyfile_free(out);
		if (*why == NULL)
			*why = spod_strerror(rc);
	}
	return rc;
}

void spod_keyfile_free(struct spod_keyfile_secret *kf)
{
	spod_secmem_free(kf->secret); /* wipes */
	spod_secmem_wipe(kf, sizeof *kf);
}
