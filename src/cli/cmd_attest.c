/*
 * spod attest: fetch an attestation document from the pod, verify one (offline), print the
 * simulated NSM's development root, and the --expect-pcr0 end-to-end check other commands
 * use so that an application need not trust the host.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/hex.h"
#include "common/paths.h"
#include "crypto/sign.h"
#include "nsm/nsm.h"
#include "spod/attest.h"

#define OPT(o)          (1ull << (o))
#define ROOT_MAX_BYTES  (16u * 1024u)
#define CHECK_MAX_AGE_S 300u

/* Reads a whole file of at most cap bytes. Returns 0 or a usage exit code after saying why. */
static int slurp(const char *path, uint8_t *buf, size_t cap, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	*len = 0;
	if (f == NULL)
		return cli_usage_error("cannot open %s", path);
	n = fread(buf, 1, cap, f);
	if (ferror(f) || (n == cap && fgetc(f) != EOF)) {
		fclose(f);
		return cli_usage_error("%s is unreadable or larger than %zu bytes", path, cap);
	}
	fclose(f);
	*len = n;
	return 0;
}

/* --root aws (default: the embedded AWS root), dev (this data directory's sim root), FILE. */
int cli_load_root(const struct cli *cli, struct spod_bytes *root, uint8_t *buf, size_t cap)
{
	const char *r = cli->opt[OPT_ROOT];
	char dir[256];
	size_t len;
	int rc;

	*root = (struct spod_bytes){NULL, 0};
	if (r == NULL || strcmp(r, "aws") == 0)
		return 0;
	if (strcmp(r, "dev") == 0) {
		if (spod_data_dir(dir, sizeof(dir)) < 0)
			return cli_usage_error("data directory path too long");
		rc = spod_nsm_sim_root_pem((char *)buf, cap, dir);
		if (rc < 0)
			return cli_usage_error(
			    "no development root in %s (%s); start a pod with the "
			    "simulated NSM first",
			    dir, spod_strerror(rc));
		*root = (struct spod_bytes){buf, strlen((char *)buf)};
		return 0;
	}
	if ((rc = slurp(r, buf, cap, &len)) != 0)
		return rc;
	*root = (struct spod_bytes){buf, len};
	return 0;
}

static int parse_u64(uint64_t *out, const char *s)
{
	char *end;
	unsigned long long v;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	v = strtoull(s, &end, 10);
	if (*end != '\0')
		return -1;
	*out = v;
	return 0;
}

static const char *seal_mode(uint8_t mode)
{
	return mode == 1 ? "ephemeral" : mode == 2 ? "custodians" : "unset";
}

/* spod's user_data (key binding, seal, policy and evidence records) as JSON members. */
static void json_user_data(const struct spod_attest_user_data *ud)
{
	if (ud->has_key) {
		char id[2 * SPOD_KEY_ID_BYTES + 1];
		spod_key_id_text(id, ud->key_id);
		printf(",\"binds_key\":{\"id\":\"%s\",\"alg\":\"%s\",\"public_key\":\"", id,
		       spod_alg_name(ud->key_alg) ? spod_alg_name(ud->key_alg) : "?");
		cli_hex(stdout, ud->key_pub.ptr, ud->key_pub.len);
		printf("\"}");
	}
	if (ud->has_seal) {
		printf(",\"seal\":{\"mode\":\"%s\",\"ready\":%s,\"seal_key_id\":\"",
		       seal_mode(ud->seal.mode), ud->seal.ready ? "true" : "false");
		cli_hex(stdout, ud->seal.seal_key_id, sizeof(ud->seal.seal_key_id));
		printf("\",\"shares_present\":%u,\"shares_needed\":%u,\"shares_total\":%u}",
		       ud->seal.present, ud->seal.threshold, ud->seal.shares);
	}
	if (ud->has_policy) {
		printf(",\"policy\":{\"hash\":\"");
		cli_hex(stdout, ud->policy_hash, 32);
		printf("\",\"admin_set\":\"");
		cli_hex(stdout, ud->policy_admins, 32);
		printf("\"}");
	}
	if (ud->evidence_pub != NULL) {
		printf(",\"evidence_key\":\"");
		cli_hex(stdout, ud->evidence_pub, 32);
		putchar('"');
	}
}

static void print_user_data(const struct spod_attest_user_data *ud)
{
	if (ud->has_key) {
		char id[2 * SPOD_KEY_ID_BYTES + 1];
		spod_key_id_text(id, ud->key_id);
		printf("  binds key:  %s (%s)\n", id,
		       spod_alg_name(ud->key_alg) ? spod_alg_name(ud->key_alg) : "?");
	}
	if (ud->has_seal) {
		printf("  seal:       %s, %s, seal key id ", seal_mode(ud->seal.mode),
		       ud->seal.ready ? "ready" : "NOT ready");
		cli_hex(stdout, ud->seal.seal_key_id, sizeof(ud->seal.seal_key_id));
		printf(", shares %u of %u\n", ud->seal.present, ud->seal.threshold);
	}
	if (ud->has_policy) {
		printf("  policy:     ");
		cli_hex(stdout, ud->policy_hash, 32);
		printf(" (admin set ");
		cli_hex(stdout, ud->policy_admins, 32);
		printf(")\n");
	}
	/* The key that signs this enclave's evidence (docs/evidence.md). */
	if (ud->evidence_pub != NULL) {
		printf("  evidence key: ");
		cli_hex(stdout, ud->evidence_pub, 32);
		putchar('\n');
	}
}

static void print_result(const struct cli *cli, const struct spod_attest_result *res, int ok)
{
	const struct spod_attest_doc *d = &res->doc;
	int parsed = res->status != SPOD_ATTEST_MALFORMED && res->status != SPOD_ATTEST_BAD_POLICY;

	if (cli->json) {
		printf("{\"verified\":%s,\"status\":\"%s\",\"message\":", ok ? "true" : "false",
		       spod_attest_status_name(res->status));
		cli_json_str(stdout, res->message, strlen(res->message));
		printf(",\"at\":%llu", (unsigned long long)res->at);
		if (parsed) {
			printf(",\"module_id\":");
			cli_json_str(stdout, (const char *)d->module_id.ptr, d->module_id.len);
			printf(",\"timestamp_ms\":%llu,\"pcrs\":{",
			       (unsigned long long)d->timestamp_ms);
			for (uint32_t i = 0, first = 1; i < SPOD_ATTEST_MAX_PCRS; i++) {
				if (d->pcrs[i].ptr == NULL)
					continue;
				printf("%s\"%u\":\"", first ? "" : ",", i);
				cli_hex(stdout, d->pcrs[i].ptr, d->pcrs[i].len);
				putchar('"');
				first = 0;
			}
			printf("},\"user_data\":\"");
			if (d->user_data.ptr)
				cli_hex(stdout, d->user_data.ptr, d->user_data.len);
			printf("\",\"nonce\":\"");
			if (d->nonce.ptr)
				cli_hex(stdout, d->nonce.ptr, d->nonce.len);
			printf("\",\"public_key\":\"");
			if (d->public_key.ptr)
				cli_hex(stdout, d->public_key.ptr, d->public_key.len);
			putchar('"');
			json_user_data(&res->user_data);
		}
		printf("}\n");
		return;
	}
	if (ok)
		printf("VERIFIED: %s\n", res->message);
	else
		printf("REJECTED [%s]: %s\n", spod_attest_status_name(res->status), res->message);
	if (!parsed)
		return;
	printf("  module_id:  %.*s\n", (int)d->module_id.len, (const char *)d->module_id.ptr);
	printf("  timestamp:  %llu ms\n", (unsigned long long)d->timestamp_ms);
	for (uint32_t i = 0; i < 3; i++) {
		if (d->pcrs[i].ptr == NULL)
			continue;
		printf("  PCR%u:       ", i);
		cli_hex(stdout, d->pcrs[i].ptr, d->pcrs[i].len);
		putchar('\n');
	}
	print_user_data(&res->user_data);
}

/* Chooses the algorithm of a bare public key for the key-binding check. */
static int binding_alg(uint8_t *alg, const struct cli *cli, const uint8_t *pub, size_t len)
{
	uint8_t addr[20];

	if (cli->opt[OPT_ALG] != NULL)
		return spod_alg_parse(alg, cli->opt[OPT_ALG]) < 0
		           ? cli_usage_error("--alg must be ed25519, secp256k1 or p256")
		           : 0;
	if (len == 32) {
		*alg = SPOD_ALG_ED25519;
		return 0;
	}
	/* 65 bytes: a point on secp256k1 (spod_eth_address checks) or else P-256. */
	*alg = spod_eth_address(addr, pub, len) == SPOD_OK ? SPOD_ALG_SECP256K1 : SPOD_ALG_P256;
	return 0;
}

static int attest_verify(struct cli *cli)
{
	static uint8_t doc[SPOD_ATTEST_DOC_MAX_BYTES], rootbuf[ROOT_MAX_BYTES];
	struct spod_attest_pcr_expect pcrs[CLI_MAX_PCRS];
	static uint8_t pcr_vals[CLI_MAX_PCRS][SPOD_ATTEST_PCR_MAX_BYTES];
	uint8_t nonce[SPOD_ATTEST_NONCE_MAX], key_id[SPOD_KEY_ID_BYTES], pub[SPOD_PUB_MAX_BYTES];
	struct spod_attest_policy pol = {0};
	struct spod_attest_result res;
	size_t doc_len, n;
	int rc;

	rc = cli_only(cli,
	              OPT(OPT_ROOT) | OPT(OPT_PCR) | OPT(OPT_NONCE) | OPT(OPT_MAX_AGE) |
	                  OPT(OPT_AT) | OPT(OPT_KEY) | OPT(OPT_PUBLIC) | OPT(OPT_ALG),
	              "attest verify");
	if (rc != 0)
		return rc;
	if (cli->npos != 2)
		return cli_usage_error("'attest verify' needs one document file");
	if ((rc = slurp(cli->pos[1], doc, sizeof(doc), &doc_len)) != 0)
		return rc;
	if ((rc = cli_load_root(cli, &pol.root, rootbuf, sizeof(rootbuf) - 1)) != 0)
		return rc;
	for (int i = 0; i < cli->npcr; i++) {
		const char *eq = strchr(cli->pcr_args[i], '=');
		char idx[8];
		uint64_t v;

		if (eq == NULL || eq == cli->pcr_args[i] ||
		    (size_t)(eq - cli->pcr_args[i]) >= sizeof(idx))
			return cli_usage_error("--pcr takes N=HEX, got '%s'", cli->pcr_args[i]);
		memcpy(idx, cli->pcr_args[i], (size_t)(eq - cli->pcr_args[i]));
		idx[eq - cli->pcr_args[i]] = '\0';
		if (parse_u64(&v, idx) < 0 || v >= SPOD_ATTEST_MAX_PCRS)
			return cli_usage_error("--pcr index must be 0..31, got '%s'", idx);
		if (spod_hex_decode(pcr_vals[i], SPOD_ATTEST_PCR_MAX_BYTES, &n, eq + 1) < 0 ||
		    n == 0)
			return cli_usage_error("--pcr %s: value must be hex (48 bytes for SHA-384)",
			                       idx);
		pcrs[i] = (struct spod_attest_pcr_expect){(uint32_t)v, pcr_vals[i], n};
	}
	pol.pcrs = pcrs;
	pol.npcrs = (size_t)cli->npcr;
	if (cli->opt[OPT_NONCE] != NULL) {
		if (spod_hex_decode(nonce, sizeof(nonce), &n, cli->opt[OPT_NONCE]) < 0)
			return cli_usage_error("--nonce must be hex, at most 512 bytes");
		pol.nonce = (struct spod_bytes){nonce, n};
	}
	if (cli->opt[OPT_MAX_AGE] != NULL &&
	    (parse_u64(&pol.max_age_s, cli->opt[OPT_MAX_AGE]) < 0 || pol.max_age_s == 0))
		return cli_usage_error("--max-age must be a positive number of seconds");
	if (cli->opt[OPT_AT] != NULL && (parse_u64(&pol.at, cli->opt[OPT_AT]) < 0 || pol.at == 0))
		return cli_usage_error("--at must be a Unix time in seconds");
	if ((cli->opt[OPT_KEY] != NULL) != (cli->opt[OPT_PUBLIC] != NULL))
		return cli_usage_error("--key and --public go together");
	if (cli->opt[OPT_KEY] != NULL) {
		if (spod_key_id_parse(key_id, cli->opt[OPT_KEY]) < 0)
			return cli_usage_error("--key must be a key id (32 hex characters)");
		if (spod_hex_decode(pub, sizeof(pub), &n, cli->opt[OPT_PUBLIC]) < 0 ||
		    (n != 32 && n != 65))
			return cli_usage_error(
			    "--public must be the key's hex public key (32 or 65 bytes)");
		if ((rc = binding_alg(&pol.key_alg, cli, pub, n)) != 0)
			return rc;
		pol.key_id = key_id;
		pol.key_pub = (struct spod_bytes){pub, n};
	}
	rc = spod_attest_verify(&res, doc, doc_len, &pol);
	print_result(cli, &res, rc == SPOD_OK);
	if (rc == SPOD_E_BAD_ARG)
		return 2;
	if (res.status == SPOD_ATTEST_INTERNAL)
		return 1;
	return rc == SPOD_OK ? 0 : spod_err_exit_code(SPOD_E_BAD_SIGNATURE);
}

static int attest_fetch(struct cli *cli)
{
	static uint8_t doc[SPOD_ATTEST_DOC_MAX_BYTES];
	uint8_t nonce[SPOD_ATTEST_NONCE_MAX], key_id[SPOD_KEY_ID_BYTES];
	size_t nonce_len = 0, doc_len;
	const char *out = cli->opt[OPT_OUT];
	FILE *f;
	int rc;

	rc = cli_only(cli, OPT(OPT_KEY) | OPT(OPT_NONCE) | OPT(OPT_OUT), "attest");
	if (rc != 0)
		return rc;
	if (cli->npos != 0)
		return cli_usage_error(
		    "'attest' takes --key, --nonce and --out (or: attest verify, "
		    "attest dev-root)");
	if (cli->opt[OPT_KEY] != NULL && spod_key_id_parse(key_id, cli->opt[OPT_KEY]) < 0)
		return cli_usage_error("--key must be a key id (32 hex characters)");
	if (cli->opt[OPT_NONCE] != NULL &&
	    spod_hex_decode(nonce, sizeof(nonce), &nonce_len, cli->opt[OPT_NONCE]) < 0)
		return cli_usage_error("--nonce must be hex, at most 512 bytes");
	if (out == NULL && isatty(STDOUT_FILENO))
		return cli_usage_error("the document is binary CBOR: give --out FILE or redirect "
		                       "stdout");
	if ((rc = cli_connect(cli)) < 0)
		return spod_err_exit_code(rc);
	rc = spod_client_attest(cli->client, doc, sizeof(doc), &doc_len,
	                        cli->opt[OPT_KEY] ? key_id : NULL, nonce, nonce_len);
	if (rc < 0)
		return cli_fail(cli, rc, "attest");
	f = out ? fopen(out, "wb") : stdout;
	if (f == NULL || fwrite(doc, 1, doc_len, f) != doc_len || (out && fclose(f) != 0))
		return cli_usage_error("cannot write the document to %s", out ? out : "stdout");
	if (out != NULL)
		fprintf(stderr, "wrote %zu-byte attestation document to %s\n", doc_len, out);
	return 0;
}

static int attest_dev_root(struct cli *cli)
{
	char dir[256], pem[ROOT_MAX_BYTES];
	int rc;

	if ((rc = cli_only(cli, 0, "attest dev-root")) != 0)
		return rc;
	if (spod_data_dir(dir, sizeof(dir)) < 0)
		return cli_usage_error("data directory path too long");
	rc = spod_nsm_sim_root_pem(pem, sizeof(pem), dir);
	if (rc < 0) {
		fprintf(stderr,
		        "spod: no development root in %s: %s (it is created when a pod with "
		        "the simulated NSM starts there)\n",
		        dir, spod_strerror(rc));
		return spod_err_exit_code(rc);
	}
	fputs(pem, stdout);
	return 0;
}

int cmd_attest(struct cli *cli)
{
	const char *sub = cli->npos > 0 ? cli->pos[0] : "";

	if (strcmp(sub, "verify") == 0)
		return attest_verify(cli);
	if (strcmp(sub, "dev-root") == 0)
		return attest_dev_root(cli);
	return attest_fetch(cli);
}

int cli_attest_pod(struct cli *cli, struct spod_attest_result *res, uint8_t *doc, size_t cap,
                   const uint8_t *key_id, uint8_t alg, const uint8_t *pub, size_t pub_len)
{
	static uint8_t rootbuf[ROOT_MAX_BYTES];
	uint8_t pcr0[SPOD_ATTEST_PCR_MAX_BYTES];
	struct spod_attest_pcr_expect expect;
	struct spod_attest_policy pol = {0};
	size_t n;
	int rc;

	memset(res, 0, sizeof(*res));
	if (cli->opt[OPT_EXPECT_PCR0] == NULL)
		return cli_usage_error(
		    "--expect-pcr0 HEX is required: the PCR0 of the enclave image "
		    "you trust (make run prints it; docs/keys.md)");
	if (spod_hex_decode(pcr0, sizeof(pcr0), &n, cli->opt[OPT_EXPECT_PCR0]) < 0 || n == 0)
		return cli_usage_error("--expect-pcr0 must be hex (48 bytes)");
	if ((rc = cli_load_root(cli, &pol.root, rootbuf, sizeof(rootbuf) - 1)) != 0)
		return rc;
	expect = (struct spod_attest_pcr_expect){0, pcr0, n};
	pol.pcrs = &expect;
	pol.npcrs = 1;
	pol.max_age_s = CHECK_MAX_AGE_S;
	if (key_id != NULL) {
		pol.key_id = key_id;
		pol.key_alg = alg;
		pol.key_pub = (struct spod_bytes){pub, pub_len};
	}
	rc = spod_client_check_pod(cli->client, res, doc, cap, &pol, key_id);
	if (rc == SPOD_OK)
		return 0;
	if (rc != SPOD_E_BAD_SIGNATURE && res->status == SPOD_ATTEST_OK)
		return cli_fail(cli, rc, "attestation check"); /* never got a document */
	fprintf(stderr, "spod: the pod failed its attestation check [%s]: %s\n",
	        spod_attest_status_name(res->status), res->message);
	return spod_err_exit_code(SPOD_E_BAD_SIGNATURE);
}

int cli_check_pod(struct cli *cli, const uint8_t *key_id, uint8_t alg, const uint8_t *pub,
                  size_t pub_len)
{
	static uint8_t doc[SPOD_ATTEST_DOC_MAX_BYTES];
	struct spod_attest_result res;

	if (cli->opt[OPT_EXPECT_PCR0] == NULL)
		return 0;
	return cli_attest_pod(cli, &res, doc, sizeof(doc), key_id, alg, pub, pub_len);
}
