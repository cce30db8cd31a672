/*
 * spod sign-tx: the enclave decodes an unsigned Ethereum or Solana transaction, signs it and
 * returns it signed, with the fields its decoder saw (docs/cli.md, docs/transactions.md).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/b64.h"
#include "common/hex.h"
#include "convert/tx_text.h"

#define OPT(o) (1ull << (o))

/* The longest text of a transaction: base64 of SPOD_TX_MAX_BYTES, or 0x and hex of it. */
#define TX_TEXT_MAX (2u * SPOD_TX_MAX_BYTES + 2u)

/* Reads --tx-file into text[0..cap) without its trailing whitespace; NUL-terminated. */
static int read_text(const char *path, char *text, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		return cli_usage_error("cannot open %s: %s", path, strerror(errno));
	n = fread(text, 1, cap - 1, f);
	if (ferror(f) || (n == cap - 1 && fgetc(f) != EOF)) {
		fclose(f);
		return cli_usage_error("cannot read %s, or it is larger than a transaction", path);
	}
	fclose(f);
	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' ' ||
	                 text[n - 1] == '\t'))
		n--;
	text[n] = '\0';
	return 0;
}

/* The unsigned transaction: hex (0x optional) for Ethereum, base64 for Solana. */
static int read_tx(const struct cli *cli, uint8_t chain, uint8_t *tx, size_t *len)
{
	static char text[TX_TEXT_MAX + 1];
	const char *arg = cli->opt[OPT_TX], *file = cli->opt[OPT_TX_FILE];
	int rc;

	*len = 0;
	if ((arg != NULL) == (file != NULL))
		return cli_usage_error("give exactly one of --tx, --tx-file");
	if (file != NULL) {
		if ((rc = read_text(file, text, sizeof(text))) != 0)
			return rc;
		arg = text;
	}
	if (chain == SPOD_TX_CHAIN_ETHEREUM) {
		rc = spod_hex_decode(tx, SPOD_TX_MAX_BYTES, len, arg);
		if (rc == SPOD_OK && *len == 0)
			rc = SPOD_E_BAD_HEX;
		if (rc == SPOD_E_TOO_LARGE)
			return cli_usage_error("the transaction is larger than %u bytes",
			                       SPOD_TX_MAX_BYTES);
		if (rc < 0)
			return cli_usage_error("an Ethereum transaction is hex (0x optional)");
		return 0;
	}
	rc = spod_b64_decode(tx, SPOD_TX_MAX_BYTES, len, arg, strlen(arg));
	if (rc == SPOD_OK && *len == 0)
		rc = SPOD_E_BAD_ARG;
	if (rc == SPOD_E_TOO_LARGE)
		return cli_usage_error("the transaction is larger than %u bytes",
		                       SPOD_TX_MAX_BYTES);
	if (rc < 0)
		return cli_usage_error("a Solana transaction is standard base64");
	return 0;
}

/* An address: 0x-hex on Ethereum, base58 on Solana; null when absent. */
static void print_addr(uint8_t chain, const uint8_t *p, size_t len)
{
	char text[SPOD_TX_ADDR_TEXT_BYTES];

	if (len == 0 || spod_tx_addr_text(text, chain, p, len) < 0)
		printf("null");
	else
		printf("\"%s\"", text);
}

static void print_signed(uint8_t chain, const uint8_t *tx, size_t len)
{
	static char b64[(SPOD_TX_SIGNED_MAX_BYTES + 2) / 3 * 4 + 1];

	if (chain == SPOD_TX_CHAIN_ETHEREUM) {
		printf("0x");
		cli_hex(stdout, tx, len);
	} else if (spod_b64_encode(b64, sizeof(b64), tx, len) == SPOD_OK) {
		fputs(b64, stdout);
	}
}

static void print_json(const struct spod_tx_info *info, const uint8_t id[SPOD_KEY_ID_BYTES],
                       const uint8_t *tx, size_t len)
{
	char amount[SPOD_TX_AMOUNT_TEXT_BYTES];
	int first = 1;

	printf("{\"key_id\":\"");
	cli_hex(stdout, id, SPOD_KEY_ID_BYTES);
	printf("\",\"chain\":\"%s\",\"signed_tx\":\"",
	       info->chain == SPOD_TX_CHAIN_ETHEREUM ? "ethereum" : "solana");
	print_signed(info->chain, tx, len);
	printf("\",\"summary\":{\"type\":\"%s\",\"kind\":%u", spod_tx_type_name(info->kind),
	       info->kind);
	if (info->chain == SPOD_TX_CHAIN_ETHEREUM)
		printf(",\"chain_id\":%llu", (unsigned long long)info->chain_id);
	printf(",\"flags\":[");
	for (unsigned b = 0; b < 4; b++) {
		if (info->flags & (1u << b)) {
			printf("%s\"%s\"", first ? "" : ",", spod_tx_flag_names[b]);
			first = 0;
		}
	}
	printf("],\"transfers\":[");
	for (size_t i = 0; i < info->n_transfers; i++) {
		const struct spod_tx_transfer_info *t = &info->transfers[i];

		printf("%s{\"asset\":\"%s\",\"token\":", i ? "," : "",
		       t->asset == 1 ? "native" : "token");
		print_addr(info->chain, t->token, t->token_len);
		printf(",\"to\":");
		print_addr(info->chain, t->to, t->to_len);
		spod_tx_amount_text(amount, t->amount);
		printf(",\"amount\":\"%s\"", amount);
		if (t->decimals != 0xff)
			printf(",\"decimals\":%u", t->decimals);
		printf("}");
	}
	printf("]}}\n");
}

int cmd_sign_tx(struct cli *cli)
{
	static uint8_t tx[SPOD_TX_MAX_BYTES], signed_tx[SPOD_TX_SIGNED_MAX_BYTES];
	static struct spod_tx_info info;
	const char *chain_arg = cli->opt[OPT_CHAIN];
	uint8_t id[SPOD_KEY_ID_BYTES], chain;
	size_t len, signed_len;
	int rc;

	rc = cli_only(cli, OPT(OPT_CHAIN) | OPT(OPT_TX) | OPT(OPT_TX_FILE) | OPT(OPT_EXPECT_PCR0),
	              "sign-tx");
	if (rc != 0)
		return rc;
	if (cli->npos != 1 || spod_key_id_parse(id, cli->pos[0]) < 0)
		return cli_usage_error("'sign-tx' needs one key id (32 hex characters)");
	if (chain_arg == NULL)
		return cli_usage_error("'sign-tx' needs --chain ethereum|solana");
	if (strcmp(chain_arg, "ethereum") == 0)
		chain = SPOD_TX_CHAIN_ETHEREUM;
	else if (strcmp(chain_arg, "solana") == 0)
		chain = SPOD_TX_CHAIN_SOLANA;
	else
		return cli_usage_error("--chain must be ethereum or solana");
	if ((rc = read_tx(cli, chain, tx, &len)) != 0)
		return rc;
	if ((rc = cli_connect(cli)) < 0)
		return spod_err_exit_code(rc);
	rc = spod_client_sign_tx(cli->client, &info, signed_tx, sizeof(signed_tx), &signed_len, id,
	                         chain, tx, len);
	if (rc == SPOD_E_BAD_MODE && !cli->json)
		fprintf(stderr, "spod: hint: Ethereum transactions need a secp256k1 key, Solana "
		                "transactions an ed25519 key\n");
	if (rc < 0)
		return cli_fail(cli, rc, "sign-tx");
	if (cli->json) {
		print_json(&info, id, signed_tx, signed_len);
		return 0;
	}
	print_signed(chain, signed_tx, signed_len);
	putchar('\n');
	return 0;
}
