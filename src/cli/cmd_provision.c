/*
 * Sending secrets to the enclave (docs/keys.md): a custodian's share of the seal key
 * (spod custodian provision), a private key to import (spod keys import), and the seal
 * status (spod custodian status).
 *
 * Nothing secret leaves this process before the pod proved what it runs: a fresh attestation
 * document (our own random nonce) must verify against the pinned root and the expected PCR0
 * (cli_attest_pod); the secret is then encrypted to the provisioning key that very document
 * carries, with its nonce bound in (crypto/envelope.h), so only that enclave boot can open
 * it, once. spod-host only ever carries the envelope.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/keyfile.h"
#include "cli/share_file.h"
#include "common/hex.h"
#include "crypto/envelope.h"
#include "crypto/secmem.h"
#include "crypto/sign.h"

#define OPT(o)               (1ull << (o))
#define PASSPHRASE_MAX_BYTES 1024u

static const char *mode_name(uint8_t mode)
{
	return mode == SPOD_SEAL_EPHEMERAL    ? "ephemeral"
	       : mode == SPOD_SEAL_CUSTODIANS ? "custodians"
	                                      : "unset";
}

static int all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

static void print_seal(const struct cli *cli, const struct spod_seal_info *s, const char *what)
{
	char id[33] = "";

	if (!all_zero(s->seal_key_id, sizeof(s->seal_key_id)) &&
	    spod_hex_encode(id, sizeof(id), s->seal_key_id, sizeof(s->seal_key_id)) < 0)
		id[0] = '\0';
	if (cli->json) {
		printf("{\"mode\":\"%s\",\"ready\":%s,\"seal_key_id\":", mode_name(s->mode),
		       s->ready ? "true" : "false");
		if (id[0] != '\0')
			printf("\"%s\"", id);
		else
			printf("null");
		printf(",\"shares_present\":%u,\"shares_needed\":%u,\"shares_total\":%u,"
		       "\"keys\":%u}\n",
		       s->present, s->threshold, s->shares, s->key_count);
		return;
	}
	if (what != NULL)
		printf("%s\n", what);
	printf("mode:        %s\n", mode_name(s->mode));
	printf("seal key id: %s\n", id[0] != '\0' ? id : "(not known yet)");
	if (s->mode == SPOD_SEAL_CUSTODIANS) {
		if (s->ready)
			printf("shares:      seal key rebuilt from %u of %u\n", s->threshold,
			       s->shares);
		else if (s->threshold == 0)
			printf("shares:      none received yet\n");
		else
			printf("shares:      %u of %u needed present (%u more)\n", s->present,
			       s->threshold, (unsigned)(s->threshold - s->present));
	}
	printf("ready:       %s\n", s->ready ? "yes: keys can be made and loaded"
	                                     : "NO: waiting for the custodians' shares");
	printf("keys:        %u\n", s->key_count);
}

int cli_custodian_status(struct cli *cli)
{
	struct spod_seal_info s;
	int rc;

	if ((rc = cli_only(cli, 0, "custodian status")) != 0)
		return rc;
	if (cli->npos != 1)
		return cli_usage_error("'custodian status' takes no arguments");
	if ((rc = cli_connect(cli)) < 0)
		return spod_err_exit_code(rc);
	rc = spod_client_seal_status(cli->client, &s);
	if (rc < 0)
		return cli_fail(cli, rc, "custodian status");
	print_seal(cli, &s, NULL);
	return 0;
}

/*
 * Encrypts payload for purpose to the enclave the verified document res describes, into
 * env[0..cap). Returns 0 or an exit code after saying why.
 */
static int seal_to(const struct spod_attest_result *res, uint8_t purpose, const uint8_t *payload,
                   size_t len, uint8_t *env, size_t cap, size_t *env_len)
{
	const struct spod_bytes *pk = &res->doc.public_key, *nonce = &res->doc.nonce;
	int rc;

	if (pk->ptr == NULL || pk->len != SPOD_X25519_BYTES) {
		fprintf(stderr, "spod: the enclave's document carries no provisioning key\n");
		return spod_err_exit_code(SPOD_E_PROTOCOL);
	}
	rc = spod_envelope_seal(env, cap, env_len, purpose, pk->ptr, nonce->ptr, nonce->len,
	                        payload, len);
	if (rc < 0) {
		fprintf(stderr, "spod: cannot encrypt to the enclave: %s\n", spod_strerror(rc));
		return spod_err_exit_code(rc);
	}
	return 0;
}

/*
 * A custodian sends its share only to an enclave in custodian mode that is rebuilding this
 * share's seal key (or none yet): the document says which (its user_data seal record).
 */
static int check_custodian_enclave(const struct spod_attest_result *res,
                                   const struct spod_share_view *share)
{
	const struct spod_attest_user_data *ud = &res->user_data;

	if (!ud->has_seal) {
		fprintf(stderr,
		        "spod: refused to send the share: the enclave's document does not say "
		        "how it seals (an older spod-enclave?)\n");
		return spod_err_exit_code(SPOD_E_MODE_CONFLICT);
	}
	if (ud->seal.mode != SPOD_SEAL_CUSTODIANS) {
		fprintf(stderr,
		        "spod: refused to send the share: the enclave is in %s mode, not "
		        "custodians\n",
		        mode_name(ud->seal.mode));
		return spod_err_exit_code(SPOD_E_MODE_CONFLICT);
	}
	if (!all_zero(ud->seal.seal_key_id, 16) &&
	    memcmp(ud->seal.seal_key_id, share->seal_key_id, 16) != 0) {
		char want[33] = "", have[33] = "";
		if (spod_hex_encode(want, sizeof(want), ud->seal.seal_key_id, 16) < 0 ||
		    spod_hex_encode(have, sizeof(have), share->seal_key_id, 16) < 0)
			want[0] = have[0] = '\0';
		fprintf(stderr,
		        "spod: refused to send the share: the pod's keys are sealed under seal key "
		        "%s, this share is of seal key %s (another custodian ceremony) "
		        "[WRONG_SEAL_KEY]\n",
		        want, have);
		return spod_err_exit_code(SPOD_E_WRONG_SEAL_KEY);
	}
	return 0;
}

int cli_custodian_provision(struct cli *cli)
{
	static uint8_t doc[SPOD_ATTEST_DOC_MAX_BYTES], env[SPOD_ENVELOPE_MAX_BYTES];
	struct spod_share_file share = {0};
	struct spod_attest_result res;
	struct spod_seal_info after;
	char what[96];
	const char *why = NULL;
	size_t env_len = 0;
	int rc;

	if ((rc = cli_only(cli, OPT(OPT_SHARE) | OPT(OPT_EXPECT_PCR0), "custodian provision")) != 0)
		return rc;
	if ((rc = spod_crypto_init(0)) < 0)
		return cli_fail(cli, rc, "custodian provision");
	if (cli->npos != 1 || cli->opt[OPT_SHARE] == NULL)
		return cli_usage_error(
		    "'custodian provision' needs --share FILE and --expect-pcr0 HEX");
	rc = spod_share_file_read(&share, cli->opt[OPT_SHARE], &why);
	if (rc < 0)
		return cli_usage_error("%s: %s", cli->opt[OPT_SHARE],
		                       why ? why : spod_strerror(rc));
	if ((rc = cli_connect(cli)) < 0) {
		rc = spod_err_exit_code(rc);
		goto out;
	}
	rc = cli_attest_pod(cli, &res, doc, sizeof(doc), NULL, 0, NULL, 0);
	if (rc == 0)
		rc = check_custodian_enclave(&res, &share.view);
	if (rc == 0)
		rc = seal_to(&res, SPOD_PURPOSE_SHARE, share.payload, share.payload_len, env,
		             sizeof(env), &env_len);
	if (rc != 0)
		goto out;
	rc = spod_client_custodian_share(cli->client, &after, env, env_len);
	if (rc < 0) {
		rc = cli_fail(cli, rc, "custodian provision");
		goto out;
	}
	snprintf(what, sizeof(what), "share %u of %u accepted%s", share.view.index, share.view.n,
	         after.ready ? "; the seal key is rebuilt and the pod loads its keys" : "");
	print_seal(cli, &after, what);
	rc = 0;
out:
	spod_share_file_free(&share);
	return rc;
}

/* Reads a whole file into locked memory (it may be a secret in clear). */
static int read_secret_file(const char *path, uint8_t **buf, size_t cap, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	*len = 0;
	*buf = NULL;
	if (fd < 0)
		return cli_usage_error("cannot open %s: %s", path, strerror(errno));
	*buf = spod_secmem_alloc(cap + 1);
	if (*buf == NULL) {
		close(fd);
		return spod_err_exit_code(SPOD_E_NOMEM);
	}
	while ((n = read(fd, *buf + *len, cap + 1 - *len)) > 0 && *len + (size_t)n <= cap)
		*len += (size_t)n;
	close(fd);
	if (n != 0)
		return cli_usage_error("%s is unreadable or larger than %zu bytes", path, cap);
	return 0;
}

/* The passphrase of an Ethereum keystore: --passphrase-file (its first line), else stdin. */
static int read_passphrase(const struct cli *cli, uint8_t **buf, size_t *len)
{
	const char *path =
	    cli->opt[OPT_PASSPHRASE_FILE] ? cli->opt[OPT_PASSPHRASE_FILE] : "/dev/stdin";
	int rc = read_secret_file(path, buf, PASSPHRASE_MAX_BYTES, len);

	if (rc != 0)
		return rc;
	while (*len > 0 && ((*buf)[*len - 1] == '\n' || (*buf)[*len - 1] == '\r'))
		(*len)--;
	return 0;
}

/* The key file as the options describe it, into *kf (locked). */
static int load_key_file(const struct cli *cli, struct spod_keyfile_secret *kf)
{
	struct spod_keyfile_opts opts = {0};
	uint8_t *data = NULL, *pass = NULL;
	size_t len = 0, pass_len = 0;
	const char *why = NULL;
	int rc;

	if (cli->opt[OPT_FORMAT] != NULL &&
	    spod_keyfile_format_parse(&opts.fmt, cli->opt[OPT_FORMAT]) < 0)
		return cli_usage_error(
		    "--format must be auto, hex, pem, eth-keystore or solana-keypair");
	if (cli->opt[OPT_ALG] != NULL && spod_alg_parse(&opts.alg, cli->opt[OPT_ALG]) < 0)
		return cli_usage_error("--alg must be ed25519, secp256k1 or p256");
	rc = read_secret_file(cli->opt[OPT_KEY_FILE], &data, SPOD_KEYFILE_MAX_BYTES, &len);
	if (rc == 0 && spod_keyfile_detect(&opts.fmt, data, len, &why) == SPOD_OK &&
	    opts.fmt == SPOD_KEYFILE_ETH_KEYSTORE)
		rc = read_passphrase(cli, &pass, &pass_len);
	if (rc == 0) {
		opts.passphrase = pass;
		opts.passphrase_len = pass_len;
		rc = spod_keyfile_parse(kf, data, len, &opts, &why);
		if (rc < 0) {
			fprintf(stderr, "spod: %s: %s\n", cli->opt[OPT_KEY_FILE],
			        why ? why : spod_strerror(rc));
			rc = spod_err_exit_code(rc);
		}
	}
	spod_secmem_free(data);
	spod_secmem_free(pass);
	return rc;
}

/* Sends the import envelope and checks that the enclave made the key the file holds. */
static int import_send(struct cli *cli, const struct spod_keyfile_secret *kf,
                       const struct spod_attest_result *res)
{
	static uint8_t env[SPOD_ENVELOPE_MAX_BYTES];
	const char *label = cli->opt[OPT_LABEL];
	uint8_t *payload = spod_secmem_alloc(SPOD_IMPORT_PAYLOAD_MAX);
	struct spod_key_info k;
	size_t plen = 0, env_len = 0;
	int rc;

	if (payload == NULL)
		return spod_err_exit_code(SPOD_E_NOMEM);
	rc = spod_import_payload_encode(payload, &plen, kf->alg, kf->secret, label,
	                                label ? strlen(label) : 0);
	rc = rc < 0 ? spod_err_exit_code(rc)
	            : seal_to(res, SPOD_PURPOSE_IMPORT, payload, plen, env, sizeof(env), &env_len);
	spod_secmem_free(payload);
	if (rc != 0)
		return rc;
	if (res->user_data.has_seal && res->user_data.seal.mode != SPOD_SEAL_CUSTODIANS)
		fprintf(stderr,
		        "spod: WARNING: the pod is in %s mode: the imported key dies with the "
		        "enclave process unless you keep the key file\n",
		        mode_name(res->user_data.seal.mode));
	rc = spod_client_import(cli->client, &k, env, env_len);
	if (rc < 0)
		return cli_fail(cli, rc, "keys import");
	if (k.alg != kf->alg || k.pub_len != kf->pub_len ||
	    memcmp(k.pub, kf->pub, k.pub_len) != 0) {
		fprintf(stderr,
		        "spod: the enclave made a key with another public key than the file's; "
		        "delete it (spod keys delete)\n");
		return spod_err_exit_code(SPOD_E_PROTOCOL);
	}
	cli_print_key(cli, &k, 1);
	if (cli->json)
		putchar('\n');
	return 0;
}

int cli_keys_import(struct cli *cli)
{
	static uint8_t doc[SPOD_ATTEST_DOC_MAX_BYTES];
	struct spod_keyfile_secret kf = {0};
	struct spod_attest_result res;
	const char *label = cli->opt[OPT_LABEL];
	int rc;

	if ((rc = cli_only(cli,
	                   OPT(OPT_KEY_FILE) | OPT(OPT_FORMAT) | OPT(OPT_ALG) | OPT(OPT_LABEL) |
	                       OPT(OPT_PASSPHRASE_FILE) | OPT(OPT_EXPECT_PCR0),
	                   "keys import")) != 0)
		return rc;
	if (cli->npos != 1 || cli->opt[OPT_KEY_FILE] == NULL)
		return cli_usage_error("'keys import' needs --key-file FILE and --expect-pcr0 HEX");
	if (label != NULL && !spod_label_valid(label, strlen(label)))
		return cli_usage_error("--label must be 1..%u of A-Z a-z 0-9 . _ -",
		                       SPOD_LABEL_MAX_BYTES);
	if (cli->opt[OPT_EXPECT_PCR0] == NULL)
		return cli_usage_error("--expect-pcr0 HEX is required: the key goes only to an "
		                       "enclave whose attestation verifies (docs/keys.md)");
	if ((rc = spod_crypto_init(0)) < 0)
		return cli_fail(cli, rc, "keys import");
	if ((rc = load_key_file(cli, &kf)) != 0)
		return rc;
	if ((rc = cli_connect(cli)) < 0)
		rc = spod_err_exit_code(rc);
	else if ((rc = cli_attest_pod(cli, &res, doc, sizeof(doc), NULL, 0, NULL, 0)) == 0)
		rc = import_send(cli, &kf, &res);
	spod_keyfile_free(&kf);
	return rc;
}
