/*
 * spod verify: offline signature verification with the local libraries (no pod). For
 * secp256k1 it also takes Ethereum's 65-byte r||s||v and checks v: the recovery id it
 * encodes must recover the given public key, or the signature is invalid.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/hex.h"
#include "crypto/sign.h"

#define OPT(o) (1ull << (o))

#define ETH_V_LEGACY  27u /* v = 27 + recid */
#define ETH_V_EIP155  35u /* v = chain_id * 2 + 35 + recid */
#define ETH_SIG_BYTES 65u /* r || s || v */

/*
 * Usage errors for a sign mode the key's algorithm does not take: ECDSA verifies a digest
 * (given, or hashed here as the signer's pod did), Ed25519 the message itself.
 */
static int check_mode(uint8_t alg, uint8_t mode)
{
	if (alg != SPOD_ALG_ED25519 && mode == SPOD_MODE_RAW)
		return cli_usage_error(
		    "an ECDSA signature is over a 32-byte digest: give --digest HEX, or the "
		    "message "
		    "with the hash the signer used, --hash keccak256 (Ethereum) or --hash sha256");
	if (alg == SPOD_ALG_ED25519 && mode != SPOD_MODE_RAW)
		return cli_usage_error(
		    "Ed25519 signs the message itself: give the signed message with --message or "
		    "--message-file, without --hash or --digest");
	return 0;
}

/* Parses --chain-id: a decimal EIP-155 chain id. */
static int parse_chain_id(uint64_t *out, const char *text)
{
	char *end;
	unsigned long long v;

	if (text[0] < '0' || text[0] > '9')
		return -1;
	v = strtoull(text, &end, 10);
	if (*end != '\0' || v > UINT32_MAX)
		return -1;
	*out = v;
	return 0;
}

/*
 * The recovery id the v byte of r||s||v encodes: 0/1, 27/28, or chain_id*2 + 35/36 with
 * --chain-id. Returns 0 with *recid, -1 when v encodes none (the signature is then invalid,
 * *why says so), or a usage exit code (> 0).
 */
static int v_to_recid(const struct cli *cli, uint8_t v, uint8_t *recid, char *why, size_t cap)
{
	const char *chain = cli->opt[OPT_CHAIN_ID];
	uint64_t id, base;

	if (v <= 1 || v == ETH_V_LEGACY || v == ETH_V_LEGACY + 1) {
		*recid = v <= 1 ? v : (uint8_t)(v - ETH_V_LEGACY);
		return 0;
	}
	if (v >= ETH_V_EIP155 && chain == NULL)
		return cli_usage_error("v = %u is an EIP-155 v (chain_id * 2 + 35 or 36): give the "
		                       "chain id with --chain-id N",
		                       v);
	if (v >= ETH_V_EIP155) {
		if (parse_chain_id(&id, chain) < 0)
			return cli_usage_error("--chain-id must be a decimal chain id");
		base = id * 2 + ETH_V_EIP155;
		if (v == base || v == base + 1) {
			*recid = (uint8_t)(v - base);
			return 0;
		}
		snprintf(why, cap, "v = %u is not %llu or %llu (chain id %llu)", v,
		         (unsigned long long)base, (unsigned long long)base + 1,
		         (unsigned long long)id);
		return -1;
	}
	snprintf(why, cap, "v = %u is none of 0, 1, 27, 28 or chain_id * 2 + 35/36", v);
	return -1;
}

/* Prints the verdict and returns the exit code: 0 valid, 6 invalid. */
static int report(const struct cli *cli, int rc, const char *why)
{
	if (why == NULL || why[0] == '\0')
		why = rc < 0 ? spod_strerror(rc) : "";
	if (cli->json) {
		printf("{\"valid\":%s", rc == SPOD_OK ? "true" : "false");
		if (rc < 0) {
			printf(",\"reason\":\"%s\",\"message\":", spod_err_name(rc));
			cli_json_str(stdout, why, strlen(why));
		}
		printf("}\n");
	} else if (rc == SPOD_OK) {
		printf("valid\n");
	} else {
		printf("INVALID: %s\n", why);
	}
	return spod_err_exit_code(rc);
}

/* Reads --public and --signature. Returns 0 or a usage exit code. */
static int read_key_and_sig(const struct cli *cli, uint8_t alg, uint8_t *pub, size_t *pub_len,
                            uint8_t *sig, size_t *sig_len)
{
	if (cli->opt[OPT_PUBLIC] == NULL ||
	    spod_hex_decode(pub, SPOD_PUB_MAX_BYTES, pub_len, cli->opt[OPT_PUBLIC]) < 0)
		return cli_usage_error("--public must be the hex public key (32 or 65 bytes)");
	if (cli->opt[OPT_SIGNATURE] == NULL ||
	    spod_hex_decode(sig, ETH_SIG_BYTES, sig_len, cli->opt[OPT_SIGNATURE]) < 0)
		return cli_usage_error("--signature must be 64 bytes of hex (r||s, or 65 with v)");
	if (*sig_len == ETH_SIG_BYTES && alg != SPOD_ALG_SECP256K1)
		return cli_usage_error("a 65-byte r||s||v signature is secp256k1's; %s signatures "
		                       "are 64 bytes",
		                       spod_alg_name(alg));
	if (cli->opt[OPT_CHAIN_ID] != NULL && *sig_len != ETH_SIG_BYTES)
		return cli_usage_error(
		    "--chain-id applies to a 65-byte r||s||v secp256k1 signature");
	return 0;
}

int cmd_verify(struct cli *cli)
{
	static uint8_t data[SPOD_MSG_MAX_BYTES];
	uint8_t pub[SPOD_PUB_MAX_BYTES], sig[ETH_SIG_BYTES], alg, mode, recid = 0;
	size_t len, pub_len, sig_len;
	char why[128] = "";
	int rc, has_v;

	rc = cli_only(cli,
	              OPT(OPT_ALG) | OPT(OPT_PUBLIC) | OPT(OPT_SIGNATURE) | OPT(OPT_MESSAGE) |
	                  OPT(OPT_MESSAGE_FILE) | OPT(OPT_DIGEST) | OPT(OPT_HASH) |
	                  OPT(OPT_CHAIN_ID),
	              "verify");
	if (rc != 0)
		return rc;
	if (cli->npos != 0)
		return cli_usage_error("'verify' takes only options");
	if (cli->opt[OPT_ALG] == NULL || spod_alg_parse(&alg, cli->opt[OPT_ALG]) < 0)
		return cli_usage_error("--alg must be ed25519, secp256k1 or p256");
	if ((rc = read_key_and_sig(cli, alg, pub, &pub_len, sig, &sig_len)) != 0)
		return rc;
	if ((rc = cli_read_payload(cli, data, &len, &mode)) != 0)
		return rc;
	if ((rc = check_mode(alg, mode)) != 0)
		return rc;
	has_v = sig_len == ETH_SIG_BYTES;
	if (has_v) {
		rc = v_to_recid(cli, sig[ETH_SIG_BYTES - 1], &recid, why, sizeof(why));
		if (rc > 0)
			return rc;
		if (rc < 0)
			return report(cli, SPOD_E_BAD_SIGNATURE, why);
		sig_len = SPOD_SIG_MAX_BYTES;
	}
	rc = spod_verify(alg, pub, pub_len, mode, data, len, sig, sig_len);
	/* r||s verifies; v must name the recovery id that gives this very key. */
	if (rc == SPOD_OK && has_v) {
		rc = spod_verify_recid(pub, pub_len, mode, data, len, sig, recid);
		if (rc == SPOD_E_BAD_SIGNATURE)
			snprintf(why, sizeof(why),
			         "v = %u (recovery id %u) does not recover this public key",
			         sig[ETH_SIG_BYTES - 1], recid);
	}
	return report(cli, rc, why);
}
