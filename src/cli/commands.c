/* The spod subcommands that talk to the pod: info, keys and sign (verify: cmd_verify.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/hex.h"
#include "convert/base58.h"
#include "crypto/sign.h"

#define OPT(o) (1ull << (o))

/*
 * The fields of a key as the HTTP API names them (docs/openapi.yaml, Key): "id", "alg",
 * "public_key" (hex), "label" (null without one) and, for an Ed25519 key, "solana_address"
 * (base58 of the public key, docs/solana.md), without the closing brace.
 */
static void print_key_json(const struct spod_key_info *k)
{
	char id[2 * SPOD_KEY_ID_BYTES + 1], addr[64];

	spod_key_id_text(id, k->id);
	printf("{\"id\":\"%s\",\"alg\":\"%s\",\"public_key\":\"", id, spod_alg_name(k->alg));
	cli_hex(stdout, k->pub, k->pub_len);
	if (k->alg == SPOD_ALG_ED25519 &&
	    spod_base58_encode(addr, sizeof(addr), k->pub, k->pub_len) == SPOD_OK)
		printf("\",\"solana_address\":\"%s", addr);
	printf("\",\"label\":");
	if (k->label[0] != '\0')
		cli_json_str(stdout, k->label, strlen(k->label));
	else
		printf("null");
}

/*
 * A key as "ID  ALG  PUBLIC[  LABEL]", or as JSON with the HTTP API's names; "public" is
 * the CLI's old name for public_key, kept as an alias for one release (docs/cli.md).
 */
void cli_print_key(const struct cli *cli, const struct spod_key_info *k, int last)
{
	char id[2 * SPOD_KEY_ID_BYTES + 1];

	spod_key_id_text(id, k->id);
	if (cli->json) {
		print_key_json(k);
		printf(",\"public\":\"");
		cli_hex(stdout, k->pub, k->pub_len);
		printf("\"}%s", last ? "" : ",");
	} else {
		printf("%s  %-9s  ", id, spod_alg_name(k->alg) ? spod_alg_name(k->alg) : "?");
		cli_hex(stdout, k->pub, k->pub_len);
		if (k->label[0] != '\0')
			printf("  %s", k->label);
		putchar('\n');
	}
}

static const char *nsm_name(uint32_t flags)
{
	if (flags & SPOD_INFO_NSM_NITRO)
		return "nitro";
	return (flags & SPOD_INFO_NSM_SIM) ? "sim" : "none";
}

static const char *seal_mode_name(uint8_t mode)
{
	return mode == SPOD_SEAL_EPHEMERAL    ? "ephemeral"
	       : mode == SPOD_SEAL_CUSTODIANS ? "custodians"
	                                      : "unset";
}

static void info_json(const struct cli *cli, const struct spod_pod_info *info,
                      const struct spod_seal_info *seal, int have_seal)
{
	printf("{\"version\":");
	cli_json_str(stdout, info->version, strlen(info->version));
	printf(",\"protocol\":%u,\"algorithms\":[", info->proto_version);
	for (uint8_t a = SPOD_ALG_ED25519, first = 1; a <= SPOD_ALG_P256; a++) {
		if (info->alg_mask & (1u << a)) {
			printf("%s\"%s\"", first ? "" : ",", spod_alg_name(a));
			first = 0;
		}
	}
	printf("],\"nsm\":\"%s\"", nsm_name(info->flags));
	printf(",\"keys\":%u,\"capacity\":%u,\"ephemeral\":%s", info->key_count, info->key_capacity,
	       (info->flags & SPOD_INFO_EPHEMERAL) ? "true" : "false");
	if (have_seal) {
		printf(",\"seal\":{\"mode\":\"%s\",\"ready\":%s,\"seal_key_id\":\"",
		       seal_mode_name(seal->mode), seal->ready ? "true" : "false");
		cli_hex(stdout, seal->seal_key_id, sizeof(seal->seal_key_id));
		printf("\",\"shares_present\":%u,\"shares_needed\":%u,\"shares_total\":%u}",
		       seal->present, seal->threshold, seal->shares);
	}
	printf(",\"uri\":");
	cli_json_str(stdout, cli->uri, strlen(cli->uri));
	printf("}\n");
}

static void info_seal_text(const struct spod_seal_info *seal)
{
	printf("seal:       %s", seal_mode_name(seal->mode));
	if (seal->mode == SPOD_SEAL_EPHEMERAL)
		printf(" - EPHEMERAL: a random seal key for this enclave boot; every key is lost "
		       "when the enclave stops\n");
	else if (seal->mode == SPOD_SEAL_CUSTODIANS && seal->ready)
		printf(" - seal key rebuilt from %u of %u custodians' shares\n", seal->threshold,
		       seal->shares);
	else if (seal->mode == SPOD_SEAL_CUSTODIANS)
		printf(" - NOT READY: %u of %u shares present (spod custodian provision)\n",
		       seal->present, seal->threshold);
	else
		printf(" - not chosen yet\n");
	if (seal->ready) {
		printf("seal key:   ");
		cli_hex(stdout, seal->seal_key_id, sizeof(seal->seal_key_id));
		putchar('\n');
	}
}

int cmd_info(struct cli *cli)
{
	struct spod_pod_info info;
	struct spod_seal_info seal;
	int rc, have_seal;

	if ((rc = cli_only(cli, OPT(OPT_EXPECT_PCR0), "info")) != 0)
		return rc;
	if (cli->npos != 0)
		return cli_usage_error("'info' takes no arguments");
	if ((rc = cli_connect(cli)) < 0)
		return spod_err_exit_code(rc);
	rc = spod_client_info(cli->client, &info);
	if (rc < 0)
		return cli_fail(cli, rc, "info");
	have_seal = spod_client_seal_status(cli->client, &seal) == SPOD_OK;
	if (cli->json) {
		info_json(cli, &info, &seal, have_seal);
		return 0;
	}
	printf("pod:        %s\n", cli->uri);
	printf("version:    spod %s (wire protocol v%u)\n", info.version, info.proto_version);
	printf("algorithms:");
	for (uint8_t a = SPOD_ALG_ED25519; a <= SPOD_ALG_P256; a++)
		if (info.alg_mask & (1u << a))
			printf(" %s", spod_alg_name(a));
	printf("\nkeys:       %u of %u\n", info.key_count, info.key_capacity);
	if (info.flags & SPOD_INFO_NSM_NITRO)
		printf("attestation: AWS Nitro Secure Module\n");
	else if (info.flags & SPOD_INFO_NSM_SIM)
		printf("attestation: SIMULATED NSM - documents chain to a local development root, "
		       "not AWS\n");
	else
		printf("attestation: none\n");
	if (have_seal)
		info_seal_text(&seal);
	return 0;
}

int cli_need_key_id(const struct cli *cli, uint8_t id[SPOD_KEY_ID_BYTES], const char *cmd)
{
	if (cli->npos != 2)
		return cli_usage_error("'%s' needs exactly one key id", cmd);
	if (spod_key_id_parse(id, cli->pos[1]) < 0)
		return cli_usage_error("key id must be 32 hex characters, got '%s'", cli->pos[1]);
	return 0;
}

static int keys_generate(struct cli *cli)
{
	struct spod_key_info k;
	uint8_t alg;
	int rc;

	if ((rc = cli_only(cli, OPT(OPT_ALG) | OPT(OPT_LABEL) | OPT(OPT_EXPECT_PCR0),
	                   "keys generate")) != 0)
		return rc;
	if (cli->npos != 1)
		return cli_usage_error("'keys generate' takes no arguments besides --alg");
	if (cli->opt[OPT_LABEL] != NULL &&
	    !spod_label_valid(cli->opt[OPT_LABEL], strlen(cli->opt[OPT_LABEL])))
		return cli_usage_error("--label must be 1..%u of A-Z a-z 0-9 . _ -",
		                       SPOD_LABEL_MAX_BYTES);
	if (cli->opt[OPT_ALG] == NULL || spod_alg_parse(&alg, cli->opt[OPT_ALG]) < 0)
		return cli_usage_error("--alg must be ed25519, secp256k1 or p256");
	if ((rc = cli_connect(cli)) < 0)
		return spod_err_exit_code(rc);
	rc = spod_client_generate_label(cli->client, &k, alg, cli->opt[OPT_LABEL]);
	if (rc < 0)
		return cli_fail(cli, rc, "keys generate");
	cli_print_key(cli, &k, 1);
	if (cli->json)
		putchar('\n');
	return 0;
}

static int keys_list(struct cli *cli)
{
	static struct spod_key_info page[256];
	uint32_t cursor = 0;
	size_t n;
	int rc, first = 1;

	if ((rc = cli_only(cli, OPT(OPT_EXPECT_PCR0), "keys list")) != 0)
		return rc;
	if (cli->npos != 1)
		return cli_usage_error("'keys list' takes no arguments");
	if ((rc = cli_connect(cli)) < 0)
		return spod_err_exit_code(rc);
	if (cli->json)
		printf("[");
	do {
		rc = spod_client_list(cli->client, page, 256, &n, &cursor);
		if (rc < 0) {
			if (cli->json)
				printf("]\n");
			return cli_fail(cli, rc, "keys list");
		}
		for (size_t i = 0; i < n; i++) {
			if (cli->json && !first)
				putchar(',');
			cli_print_key(cli, &page[i], 1);
			first = 0;
		}
	} while (cursor != 0);
	if (cli->json)
		printf("]\n");
	return 0;
}

static int keys_public(struct cli *cli)
{
	const char *fmt = cli->opt[OPT_FORMAT] ? cli->opt[OPT_FORMAT] : "hex";
	struct spod_key_info k;
	uint8_t id[SPOD_KEY_ID_BYTES];
	char text[512];
	int rc;

	if ((rc = cli_only(cli, OPT(OPT_FORMAT) | OPT(OPT_EXPECT_PCR0), "keys public")) != 0)
		return rc;
	if ((rc = cli_need_key_id(cli, id, "keys public")) != 0)
		return rc;
	if (strcmp(fmt, "hex") != 0 && strcmp(fmt, "pem") != 0 && strcmp(fmt, "eth-address") != 0 &&
	    strcmp(fmt, "solana-address") != 0)
		return cli_usage_error("--format must be hex, pem, eth-address or solana-address");
	if ((rc = cli_connect(cli)) < 0)
		return spod_err_exit_code(rc);
	rc = spod_client_public(cli->client, &k, id);
	if (rc < 0)
		return cli_fail(cli, rc, "keys public");
	/* End to end: the enclave attests that this exact key is the one it holds. */
	if ((rc = cli_check_pod(cli, k.id, k.alg, k.pub, k.pub_len)) != 0)
		return rc;
	if (strcmp(fmt, "pem") == 0) {
		rc = spod_pub_to_pem(text, sizeof(text), k.alg, k.pub, k.pub_len);
		if (rc < 0)
			return cli_fail(cli, rc, "keys public");
	} else if (strcmp(fmt, "eth-address") == 0) {
		uint8_t addr[20];
		if (k.alg != SPOD_ALG_SECP256K1)
			return cli_usage_error(
			    "--format eth-address needs a secp256k1 key, this is %s",
			    spod_alg_name(k.alg));
		rc = spod_eth_address(addr, k.pub, k.pub_len);
		if (rc < 0)
			return cli_fail(cli, rc, "keys public");
		spod_eth_address_text(text, addr);
	} else if (strcmp(fmt, "solana-address") == 0) {
		/* A Solana address is base58 of the Ed25519 public key itself. */
		if (k.alg != SPOD_ALG_ED25519)
			return cli_usage_error(
			    "--format solana-address needs an Ed25519 key, this is %s",
			    spod_alg_name(k.alg));
		rc = spod_base58_encode(text, sizeof(text), k.pub, k.pub_len);
		if (rc < 0)
			return cli_fail(cli, rc, "keys public");
	} else {
		rc = spod_hex_encode(text, sizeof(text), k.pub, k.pub_len);
		if (rc < 0)
			return cli_fail(cli, rc, "keys public");
	}
	if (cli->json) {
		/* public_key is always hex, as over HTTP; "public" is the key in --format. */
		print_key_json(&k);
		printf(",\"format\":\"%s\",\"public\":", fmt);
		cli_json_str(stdout, text, strlen(text));
		printf("}\n");
	} else {
		fputs(text, stdout);
		if (text[0] && text[strlen(text) - 1] != '\n')
			putchar('\n');
	}
	return 0;
}

static int keys_delete(struct cli *cli)
{
	uint8_t id[SPOD_KEY_ID_BYTES];
	int rc;

	if ((rc = cli_only(cli, OPT(OPT_EXPECT_PCR0), "keys delete")) != 0)
		return rc;
	if ((rc = cli_need_key_id(cli, id, "keys delete")) != 0)
		return rc;
	if ((rc = cli_connect(cli)) < 0)
		return spod_err_exit_code(rc);
	rc = spod_client_delete(cli->client, id);
	if (rc < 0)
		return cli_fail(cli, rc, "keys delete");
	if (cli->json)
		printf("{\"id\":\"%s\",\"deleted\":true}\n", cli->pos[1]);
	else
		printf("deleted %s\n", cli->pos[1]);
	return 0;
}

int cmd_keys(struct cli *cli)
{
	const char *sub = cli->npos > 0 ? cli->pos[0] : "";

	if (strcmp(sub, "generate") == 0)
		return keys_generate(cli);
	if (strcmp(sub, "list") == 0)
		return keys_list(cli);
	if (strcmp(sub, "public") == 0)
		return keys_public(cli);
	if (strcmp(sub, "delete") == 0)
		return keys_delete(cli);
	if (strcmp(sub, "import") == 0)
		return cli_keys_import(cli);
	return cli_usage_error("'keys' needs generate, import, list, public or delete");
}

static int read_file(const char *path, uint8_t *buf, size_t cap, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	*len = 0;
	if (f == NULL)
		return cli_usage_error("cannot open %s: %s", path, strerror(errno));
	n = fread(buf, 1, cap, f);
	if (ferror(f)) {
		fclose(f);
		return cli_usage_error("cannot read %s", path);
	}
	if (n == cap && fgetc(f) != EOF) {
		fclose(f);
		return cli_usage_error("%s is larger than the %zu-byte message limit", path, cap);
	}
	fclose(f);
	*len = n;
	return 0;
}

int cli_read_payload(const struct cli *cli, uint8_t *buf, size_t *len, uint8_t *mode)
{
	const char *msg = cli->opt[OPT_MESSAGE], *file = cli->opt[OPT_MESSAGE_FILE];
	const char *digest = cli->opt[OPT_DIGEST], *hash = cli->opt[OPT_HASH];
	int rc;

	*len = 0;
	if ((msg != NULL) + (file != NULL) + (digest != NULL) != 1)
		return cli_usage_error("give exactly one of --message, --message-file, --digest");
	if (digest != NULL) {
		if (hash != NULL)
			return cli_usage_error("--hash applies to messages, not to --digest");
		if (spod_hex_decode(buf, SPOD_DIGEST_BYTES, len, digest) < 0 ||
		    *len != SPOD_DIGEST_BYTES)
			return cli_usage_error("--digest must be 64 hex characters (32 bytes)");
		*mode = SPOD_MODE_DIGEST;
		return 0;
	}
	if (hash == NULL)
		*mode = SPOD_MODE_RAW;
	else if (strcmp(hash, "sha256") == 0)
		*mode = SPOD_MODE_SHA256;
	else if (strcmp(hash, "keccak256") == 0)
		*mode = SPOD_MODE_KECCAK256;
	else
		return cli_usage_error("--hash must be sha256 or keccak256");
	if (file != NULL)
		return read_file(file, buf, SPOD_MSG_MAX_BYTES, len);
	rc = spod_hex_decode(buf, SPOD_MSG_MAX_BYTES, len, msg);
	if (rc == SPOD_E_TOO_LARGE)
		return cli_usage_error("--message is larger than %u bytes", SPOD_MSG_MAX_BYTES);
	if (rc < 0)
		return cli_usage_error("--message must be hex (use --message-file for raw bytes)");
	return 0;
}

/* A signature as hex (and recid, v), or as JSON with the HTTP API's Signature fields. */
static void print_sig(const struct cli *cli, const uint8_t id[SPOD_KEY_ID_BYTES],
                      const struct spod_signature *sig)
{
	char hex_id[2 * SPOD_KEY_ID_BYTES + 1];

	spod_key_id_text(hex_id, id);
	if (cli->json) {
		/* The HTTP API's Signature: r and s for ECDSA, recid and v for secp256k1. */
		printf("{\"key_id\":\"%s\",\"alg\":\"%s\",\"signature\":\"", hex_id,
		       spod_alg_name(sig->alg));
		cli_hex(stdout, sig->sig, sig->sig_len);
		putchar('"');
		if (sig->alg != SPOD_ALG_ED25519 && sig->sig_len == SPOD_SIG_MAX_BYTES) {
			printf(",\"r\":\"");
			cli_hex(stdout, sig->sig, SPOD_SIG_MAX_BYTES / 2);
			printf("\",\"s\":\"");
			cli_hex(stdout, sig->sig + SPOD_SIG_MAX_BYTES / 2, SPOD_SIG_MAX_BYTES / 2);
			putchar('"');
		}
		if (sig->recid != SPOD_RECID_NONE)
			printf(",\"recid\":%u,\"v\":%u", sig->recid, 27u + sig->recid);
		printf("}\n");
	} else {
		cli_hex(stdout, sig->sig, sig->sig_len);
		putchar('\n');
		if (sig->recid != SPOD_RECID_NONE)
			printf("recid %u (Ethereum v = %u)\n", sig->recid, 27u + sig->recid);
	}
}

int cmd_sign(struct cli *cli)
{
	static uint8_t data[SPOD_MSG_MAX_BYTES];
	struct spod_signature sig;
	uint8_t id[SPOD_KEY_ID_BYTES], mode;
	size_t len;
	int rc;

	rc = cli_only(cli,
	              OPT(OPT_MESSAGE) | OPT(OPT_MESSAGE_FILE) | OPT(OPT_DIGEST) | OPT(OPT_HASH) |
	                  OPT(OPT_EXPECT_PCR0),
	              "sign");
	if (rc != 0)
		return rc;
	if (cli->npos != 1 || spod_key_id_parse(id, cli->pos[0]) < 0)
		return cli_usage_error("'sign' needs one key id (32 hex characters)");
	if ((rc = cli_read_payload(cli, data, &len, &mode)) != 0)
		return rc;
	if ((rc = cli_connect(cli)) < 0)
		return spod_err_exit_code(rc);
	rc = spod_client_sign(cli->client, &sig, id, mode, data, len);
	if (rc == SPOD_E_BAD_MODE && mode == SPOD_MODE_RAW && !cli->json)
		fprintf(stderr, "spod: hint: ECDSA keys sign a --digest, or a message with "
		                "--hash sha256|keccak256\n");
	if (rc < 0)
		return cli_fail(cli, rc, "sign");
	print_sig(cli, id, &sig);
	return 0;
}
