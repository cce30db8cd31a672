/*
 * spod policy: a key's policy (docs/policy.md, docs/cli.md). approve and admin-pub run offline
 * at a policy admin's desk; set, remove and show talk to the pod.
 *
 *   approve KEY_ID --admin-key FILE (--file POLICY.json | --remove)   prints an approval
 *   admin-pub --admin-key FILE                                         the admin's public key
 *   set KEY_ID --file POLICY.json [--approval FILE]...                 attaches or replaces
 *   remove KEY_ID [--approval FILE]...                                 removes
 *   show KEY_ID                                                        the policy, its hash
 *
 * The JSON is converted here with the converter spod-host's HTTP API uses, so an approval made
 * from a file signs the hash of the very CBOR any later `set` or HTTP request sends.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/approval_file.h"
#include "cli/cli.h"
#include "common/hex.h"
#include "convert/policy_json.h"
#include "crypto/hash.h"
#include "crypto/secmem.h"
#include "crypto/sign.h"

#define OPT(o) (1ull << (o))

/* Larger policy files are refused unread (a policy's CBOR is at most 64 KiB). */
#define POLICY_JSON_MAX (1024u * 1024u)
/* An approval file: the text, a CR LF, and room to notice more. */
#define APPROVAL_FILE_MAX (SPOD_APPROVAL_TEXT_CHARS + 8u)

/*
 * Reads the whole file into buf[0..cap) (NUL-terminated after *len bytes). Returns 0, or
 * prints why and returns the usage exit code.
 */
static int read_file(const char *path, char *buf, size_t cap, size_t *len, const char *what)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = 0;

	*len = 0;
	if (fd < 0)
		return cli_usage_error("cannot open %s %s: %s", what, path, strerror(errno));
	while (*len < cap - 1 && (n = read(fd, buf + *len, cap - 1 - *len)) > 0)
		*len += (size_t)n;
	if (n >= 0 && *len == cap - 1) {
		char more;
		n = read(fd, &more, 1) == 0 ? 0 : -1; /* anything past cap - 1: too large */
	}
	close(fd);
	buf[*len] = '\0';
	if (n < 0)
		return cli_usage_error("%s %s is unreadable or larger than %zu bytes", what, path,
		                       cap - 1);
	return 0;
}

/* The admin key of --admin-key into *kf: the file is read into locked memory and wiped. */
static int load_admin_key(const struct cli *cli, struct spod_keyfile_secret *kf)
{
	const char *path = cli->opt[OPT_ADMIN_KEY];
	char *data;
	const char *why = NULL;
	size_t len;
	int rc;

	if (path == NULL)
		return cli_usage_error(
		    "--admin-key FILE is required (an Ed25519 private key in PEM)");
	data = spod_secmem_alloc(SPOD_KEYFILE_MAX_BYTES + 1);
	if (data == NULL)
		return spod_err_exit_code(SPOD_E_NOMEM);
	rc = read_file(path, data, SPOD_KEYFILE_MAX_BYTES + 1, &len, "the admin key");
	if (rc == 0 && (rc = spod_admin_key_parse(kf, (const uint8_t *)data, len, &why)) < 0) {
		fprintf(stderr, "spod: %s: %s\n", path, why ? why : spod_strerror(rc));
		rc = spod_err_exit_code(rc);
	}
	spod_secmem_free(data);
	return rc;
}

/*
 * The policy of --file in its CBOR form, into cbor[0..SPOD_POLICY_WIRE_MAX) with *len, and
 * its SHA-256; without --file (removing), the empty policy and the hash of the empty string.
 */
static int load_policy(const struct cli *cli, uint8_t *cbor, size_t *len, uint8_t hash[32])
{
	static char json[POLICY_JSON_MAX + 1];
	char err[SPOD_POLICY_JSON_ERR_BYTES];
	const char *path = cli->opt[OPT_FILE];
	size_t json_len;
	int rc;

	*len = 0;
	if (path != NULL) {
		if ((rc = read_file(path, json, sizeof(json), &json_len, "the policy")) != 0)
			return rc;
		err[0] = '\0';
		rc = spod_policy_from_json(cbor, SPOD_POLICY_WIRE_MAX, len, json, json_len, err,
		                           sizeof(err));
		if (rc < 0) {
			fprintf(stderr, "spod: %s: %s [%s]\n", path,
			        err[0] ? err : spod_strerror(rc), spod_err_name(rc));
			return spod_err_exit_code(rc);
		}
	}
	spod_sha256(hash, cbor, *len);
	return 0;
}

/* Every --approval FILE, in order, into approvals[0..n * SPOD_APPROVAL_BYTES). */
static int load_approvals(const struct cli *cli, uint8_t *approvals, size_t *n)
{
	char text[APPROVAL_FILE_MAX + 1];
	size_t len;
	int rc;

	*n = 0;
	for (int i = 0; i < cli->napproval; i++) {
		const char *path = cli->approval_args[i];

		if ((rc = read_file(path, text, sizeof(text), &len, "the approval")) != 0)
			return rc;
		if (spod_approval_parse(approvals + *n * SPOD_APPROVAL_BYTES, text, len) < 0)
			return cli_usage_error("%s is not an approval (%u hex characters, as `spod "
			                       "policy approve` prints)",
			                       path, SPOD_APPROVAL_TEXT_CHARS);
		(*n)++;
	}
	return 0;
}

static int policy_approve(struct cli *cli)
{
	static uint8_t cbor[SPOD_POLICY_WIRE_MAX];
	struct spod_keyfile_secret kf = {0};
	uint8_t id[SPOD_KEY_ID_BYTES], hash[32], approval[SPOD_APPROVAL_BYTES];
	char text[SPOD_APPROVAL_TEXT_CHARS + 1];
	size_t len;
	int rc;

	rc = cli_only(cli, OPT(OPT_ADMIN_KEY) | OPT(OPT_FILE) | OPT(OPT_REMOVE), "policy approve");
	if (rc != 0)
		return rc;
	if ((rc = cli_need_key_id(cli, id, "policy approve")) != 0)
		return rc;
	if ((cli->opt[OPT_FILE] != NULL) == (cli->opt[OPT_REMOVE] != NULL))
		return cli_usage_error("give exactly one of --file POLICY.json, --remove");
	if ((rc = load_policy(cli, cbor, &len, hash)) != 0)
		return rc;
	if ((rc = load_admin_key(cli, &kf)) != 0)
		return rc;
	rc = spod_approval_make(approval, &kf, id, hash);
	spod_keyfile_free(&kf);
	if (rc < 0)
		return cli_fail(cli, rc, "policy approve");
	spod_approval_text(text, approval);
	if (cli->json) {
		printf("{\"key_id\":\"%s\",\"policy_hash\":\"", cli->pos[1]);
		cli_hex(stdout, hash, sizeof(hash));
		printf("\",\"admin\":\"");
		cli_hex(stdout, approval, 32);
		printf("\",\"approval\":\"%s\"}\n", text);
	} else {
		printf("%s\n", text);
	}
	return 0;
}

static int policy_admin_pub(struct cli *cli)
{
	struct spod_keyfile_secret kf = {0};
	int rc;

	if ((rc = cli_only(cli, OPT(OPT_ADMIN_KEY), "policy admin-pub")) != 0)
		return rc;
	if (cli->npos != 1)
		return cli_usage_error("'policy admin-pub' takes no arguments besides --admin-key");
	if ((rc = load_admin_key(cli, &kf)) != 0)
		return rc;
	if (cli->json)
		printf("{\"admin\":\"");
	cli_hex(stdout, kf.pub, 32);
	printf(cli->json ? "\"}\n" : "\n");
	spod_keyfile_free(&kf);
	return 0;
}

/* set (cli->opt[OPT_FILE] given) and remove. */
static int policy_change(struct cli *cli, const char *cmd)
{
	static uint8_t cbor[SPOD_POLICY_WIRE_MAX];
	uint8_t id[SPOD_KEY_ID_BYTES], hash[32], approvals[CLI_MAX_APPROVALS * SPOD_APPROVAL_BYTES];
	int removing = cli->opt[OPT_FILE] == NULL;
	size_t len, n;
	int rc;

	rc = cli_only(
	    cli, (removing ? 0 : OPT(OPT_FILE)) | OPT(OPT_APPROVAL) | OPT(OPT_EXPECT_PCR0), cmd);
	if (rc != 0)
		return rc;
	if ((rc = cli_need_key_id(cli, id, cmd)) != 0)
		return rc;
	if ((rc = load_policy(cli, cbor, &len, hash)) != 0)
		return rc;
	if ((rc = load_approvals(cli, approvals, &n)) != 0)
		return rc;
	if ((rc = cli_connect(cli)) < 0)
		return spod_err_exit_code(rc);
	rc = spod_client_policy_set(cli->client, id, cbor, len, approvals, n);
	if (rc < 0)
		return cli_fail(cli, rc, cmd);
	if (cli->json && removing) {
		printf("{\"key_id\":\"%s\",\"policy_hash\":null}\n", cli->pos[1]);
	} else if (cli->json) {
		printf("{\"key_id\":\"%s\",\"policy_hash\":\"", cli->pos[1]);
		cli_hex(stdout, hash, sizeof(hash));
		printf("\"}\n");
	} else if (removing) {
		printf("removed the policy of %s\n", cli->pos[1]);
	} else {
		cli_hex(stdout, hash, sizeof(hash));
		putchar('\n');
	}
	return 0;
}

static int all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

static int policy_show(struct cli *cli)
{
	static uint8_t cbor[SPOD_POLICY_WIRE_MAX];
	struct spod_policy_info info;
	uint8_t id[SPOD_KEY_ID_BYTES], hash[32];
	char *json = NULL;
	int rc;

	if ((rc = cli_only(cli, OPT(OPT_EXPECT_PCR0), "policy show")) != 0)
		return rc;
	if ((rc = cli_need_key_id(cli, id, "policy show")) != 0)
		return rc;
	if ((rc = cli_connect(cli)) < 0)
		return spod_err_exit_code(rc);
	rc = spod_client_policy_get(cli->client, &info, cbor, sizeof(cbor), id);
	if (rc < 0)
		return cli_fail(cli, rc, "policy show");
	if (!info.has_policy) {
		if (cli->json)
			printf("{\"key_id\":\"%s\",\"policy\":null}\n", cli->pos[1]);
		else
			printf("no policy: the key signs whatever its token's scopes allow\n");
		return 0;
	}
	/* The pod's hash must be the CBOR's, and the CBOR a policy the loader takes. */
	spod_sha256(hash, cbor, info.policy_len);
	if (memcmp(hash, info.hash, sizeof(hash)) != 0)
		return cli_fail(cli, SPOD_E_PROTOCOL, "policy show");
	if ((rc = spod_policy_to_json(&json, cbor, info.policy_len)) < 0)
		return cli_fail(cli, rc == SPOD_E_NOMEM ? rc : SPOD_E_PROTOCOL, "policy show");
	if (cli->json) {
		printf("{\"key_id\":\"%s\",\"policy\":%s,\"policy_hash\":\"", cli->pos[1], json);
		cli_hex(stdout, info.hash, sizeof(info.hash));
		printf("\",\"admin_set\":");
		if (all_zero(info.admin_hash, sizeof(info.admin_hash))) {
			printf("null}\n");
		} else {
			putchar('"');
			cli_hex(stdout, info.admin_hash, sizeof(info.admin_hash));
			printf("\"}\n");
		}
	} else {
		printf("%s\npolicy_hash: ", json);
		cli_hex(stdout, info.hash, sizeof(info.hash));
		printf("\nadmin_set:   ");
		if (all_zero(info.admin_hash, sizeof(info.admin_hash)))
			printf("none (set without approvals: ephemeral mode)");
		else
			cli_hex(stdout, info.admin_hash, sizeof(info.admin_hash));
		putchar('\n');
	}
	free(json);
	return 0;
}

int cmd_policy(struct cli *cli)
{
	const char *sub = cli->npos > 0 ? cli->pos[0] : "";
	int rc;

	/* libsodium for the hashes and the admin key; OpenSSL reads the PEM. */
	if ((rc = spod_crypto_init(0)) < 0)
		return cli_fail(cli, rc, "policy");
	if (strcmp(sub, "approve") == 0)
		return policy_approve(cli);
	if (strcmp(sub, "admin-pub") == 0)
		return policy_admin_pub(cli);
	if (strcmp(sub, "set") == 0) {
		if (cli->opt[OPT_FILE] == NULL)
			return cli_usage_error("'policy set' needs --file POLICY.json (to remove a "
			                       "policy: policy remove)");
		return policy_change(cli, "policy set");
	}
	if (strcmp(sub, "remove") == 0)
		return policy_change(cli, "policy remove");
	if (strcmp(sub, "show") == 0)
		return policy_show(cli);
	return cli_usage_error("'policy' needs approve, admin-pub, set, remove or show");
}
