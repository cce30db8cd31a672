/*
 * spod sign-message --eip191, spod sign-typed-data and spod sign-authorization (docs/cli.md,
 * docs/transactions.md):
 * the enclave adds the EIP-191 prefix itself, or computes the EIP-712 domain separator and
 * struct hash from the typed data's structure (converted here from JSON to its CBOR form),
 * or hashes an EIP-7702 authorization tuple built here, so the caller never hands it a digest;
 * a key's policy sees the message, the typed data's domain or the authorization's delegate.
 * They print the 65-byte signature r || s || v (v 27 or 28; the y parity for an authorization).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "convert/eth_auth.h"
#include "convert/typed_data_json.h"

#define OPT(o) (1ull << (o))

/* The largest typed-data JSON file read (its CBOR must fit a sign.tx request). */
#define TYPED_JSON_MAX (4u * SPOD_TX_MAX_BYTES)

static int sign_eth(struct cli *cli, const uint8_t id[SPOD_KEY_ID_BYTES], uint8_t form,
                    const uint8_t *data, size_t len, const char *what)
{
	uint8_t sig[SPOD_TX_SIGNED_MAX_BYTES];
	struct spod_tx_info info;
	size_t sig_len;
	int rc;

	if ((rc = cli_connect(cli)) < 0)
		return spod_err_exit_code(rc);
	rc = spod_client_sign_tx_form(cli->client, &info, sig, sizeof(sig), &sig_len, id,
	                              SPOD_TX_CHAIN_ETHEREUM, form, data, len);
	if (rc == SPOD_E_BAD_MODE && !cli->json)
		fprintf(stderr, "spod: hint: Ethereum messages are signed by a secp256k1 key\n");
	if (rc < 0)
		return cli_fail(cli, rc, what);
	if (sig_len != 65)
		return cli_fail(cli, SPOD_E_PROTOCOL, what);
	if (cli->json) {
		printf("{\"key_id\":\"");
		cli_hex(stdout, id, SPOD_KEY_ID_BYTES);
		printf("\",\"type\":\"%s\",\"signature\":\"0x",
		       form == SPOD_TX_FORM_EIP191 ? "eip191" : "eip712");
		cli_hex(stdout, sig, sig_len);
		printf("\"");
		if (form == SPOD_TX_FORM_EIP712)
			printf(",\"chain_id\":%llu", (unsigned long long)info.chain_id);
		printf("}\n");
		return 0;
	}
	printf("0x");
	cli_hex(stdout, sig, sig_len);
	putchar('\n');
	return 0;
}

int cmd_sign_message(struct cli *cli)
{
	static uint8_t msg[SPOD_MSG_MAX_BYTES];
	const char *text = cli->opt[OPT_TEXT];
	uint8_t id[SPOD_KEY_ID_BYTES], mode;
	size_t len;
	int rc;

	rc = cli_only(cli,
	              OPT(OPT_EIP191) | OPT(OPT_MESSAGE) | OPT(OPT_MESSAGE_FILE) | OPT(OPT_TEXT) |
	                  OPT(OPT_EXPECT_PCR0),
	              "sign-message");
	if (rc != 0)
		return rc;
	if (cli->npos != 1 || spod_key_id_parse(id, cli->pos[0]) < 0)
		return cli_usage_error("'sign-message' needs one key id (32 hex characters)");
	if (cli->opt[OPT_EIP191] == NULL)
		return cli_usage_error("'sign-message' needs --eip191 (the only message format)");
	if (text != NULL) {
		if (cli->opt[OPT_MESSAGE] != NULL || cli->opt[OPT_MESSAGE_FILE] != NULL)
			return cli_usage_error(
			    "give exactly one of --text, --message, --message-file");
		len = strlen(text);
		if (len > SPOD_MSG_MAX_BYTES)
			return cli_usage_error("--text is longer than %u bytes",
			                       SPOD_MSG_MAX_BYTES);
		memcpy(msg, text, len);
	} else if ((rc = cli_read_payload(cli, msg, &len, &mode)) != 0) {
		return rc;
	}
	if (len == 0)
		return cli_usage_error("the message is empty");
	return sign_eth(cli, id, SPOD_TX_FORM_EIP191, msg, len, "sign-message");
}

int cmd_sign_typed_data(struct cli *cli)
{
	static char json[TYPED_JSON_MAX + 1];
	static uint8_t cbor[SPOD_TX_MAX_BYTES];
	char err[SPOD_TYPED_DATA_JSON_ERR_BYTES];
	const char *path = cli->opt[OPT_FILE];
	uint8_t id[SPOD_KEY_ID_BYTES];
	size_t n, cbor_len;
	FILE *f;
	int rc;

	rc = cli_only(cli, OPT(OPT_FILE) | OPT(OPT_EXPECT_PCR0), "sign-typed-data");
	if (rc != 0)
		return rc;
	if (cli->npos != 1 || spod_key_id_parse(id, cli->pos[0]) < 0)
		return cli_usage_error("'sign-typed-data' needs one key id (32 hex characters)");
	if (path == NULL)
		return cli_usage_error("'sign-typed-data' needs --file typed-data.json");
	f = fopen(path, "rb");
	if (f == NULL)
		return cli_usage_error("cannot open %s: %s", path, strerror(errno));
	n = fread(json, 1, TYPED_JSON_MAX, f);
	if (ferror(f) || (n == TYPED_JSON_MAX && fgetc(f) != EOF)) {
		fclose(f);
		return cli_usage_error("cannot read %s, or it is larger than %u bytes", path,
		                       TYPED_JSON_MAX);
	}
	fclose(f);
	rc = spod_typed_data_from_json(cbor, sizeof(cbor), &cbor_len, json, n, err, sizeof(err));
	if (rc < 0)
		return cli_usage_error("%s: %s", path, err);
	return sign_eth(cli, id, SPOD_TX_FORM_EIP712, cbor, cbor_len, "sign-typed-data");
}

static int parse_u64(uint64_t *out, const char *text)
{
	char *end;

	if (text == NULL || *text < '0' || *text > '9')
		return -1;
	errno = 0;
	*out = strtoull(text, &end, 10);
	return errno == 0 && *end == '\0' ? 0 : -1;
}

int cmd_sign_authorization(struct cli *cli)
{
	uint8_t id[SPOD_KEY_ID_BYTES], addr[20], rlp[SPOD_ETH_AUTH_RLP_MAX_BYTES],
	    sig[SPOD_TX_SIGNED_MAX_BYTES];
	const char *address = cli->opt[OPT_ADDRESS];
	struct spod_tx_info info;
	uint64_t chain_id, nonce;
	size_t rlp_len, sig_len;
	int rc;

	rc = cli_only(cli,
	              OPT(OPT_CHAIN_ID) | OPT(OPT_ADDRESS) | OPT(OPT_NONCE) | OPT(OPT_EXPECT_PCR0),
	              "sign-authorization");
	if (rc != 0)
		return rc;
	if (cli->npos != 1 || spod_key_id_parse(id, cli->pos[0]) < 0)
		return cli_usage_error("'sign-authorization' needs one key id (32 hex characters)");
	if (parse_u64(&chain_id, cli->opt[OPT_CHAIN_ID]) < 0 ||
	    parse_u64(&nonce, cli->opt[OPT_NONCE]) < 0)
		return cli_usage_error(
		    "--chain-id N and --nonce N are decimal integers (chain id 0: "
		    "any chain)");
	if (address == NULL || spod_eth_addr_parse(addr, address, strlen(address)) < 0)
		return cli_usage_error("--address is 0x and 40 hex digits (EIP-55 if mixed case)");
	/* rlp([chain_id, address, nonce]): the enclave hashes 0x05 || this */
	if (spod_eth_auth_rlp(rlp, sizeof(rlp), &rlp_len, chain_id, addr, nonce) < 0)
		return cli_fail(cli, SPOD_E_INTERNAL, "sign-authorization");
	if ((rc = cli_connect(cli)) < 0)
		return spod_err_exit_code(rc);
	rc = spod_client_sign_tx_form(cli->client, &info, sig, sizeof(sig), &sig_len, id,
	                              SPOD_TX_CHAIN_ETHEREUM, SPOD_TX_FORM_AUTHORIZATION, rlp,
	                              rlp_len);
	if (rc < 0)
		return cli_fail(cli, rc, "sign-authorization");
	if (sig_len != 65 || sig[64] > 1)
		return cli_fail(cli, SPOD_E_PROTOCOL, "sign-authorization");
	if (cli->json) {
		printf("{\"key_id\":\"");
		cli_hex(stdout, id, SPOD_KEY_ID_BYTES);
		printf("\",\"chain_id\":%llu,\"address\":\"%s\",\"nonce\":%llu,\"y_parity\":%u,"
		       "\"r\":\"0x",
		       (unsigned long long)chain_id, address, (unsigned long long)nonce, sig[64]);
		cli_hex(stdout, sig, 32);
		printf("\",\"s\":\"0x");
		cli_hex(stdout, sig + 32, 32);
		printf("\"}\n");
		return 0;
	}
	printf("0x");
	cli_hex(stdout, sig, sig_len);
	putchar('\n');
	return 0;
}
