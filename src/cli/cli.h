/* Shared pieces of the spod command-line tool: parsed arguments and output helpers. */
#ifndef SPOD_CLI_CLI_H
#define SPOD_CLI_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "spod/client.h"

#define CLI_MAX_POS       4
#define CLI_MAX_PCRS      32
#define CLI_MAX_APPROVALS 16 /* SPOD_POLICY_ADMINS_MAX */

/* Every option the tool knows; a command rejects the ones it does not use. */
enum cli_opt {
	OPT_URI,
	OPT_JSON,
	OPT_TIMEOUT,
	OPT_ALG,
	OPT_FORMAT,
	OPT_MESSAGE,
	OPT_MESSAGE_FILE,
	OPT_DIGEST,
	OPT_HASH,
	OPT_PUBLIC,
	OPT_SIGNATURE,
	OPT_KEY,
	OPT_NONCE,
	OPT_OUT,
	OPT_ROOT,
	OPT_PCR, /* repeatable: collected in cli->pcr_args */
	OPT_MAX_AGE,
	OPT_AT,
	OPT_EXPECT_PCR0,
	OPT_TOKEN_FILE,
	OPT_LABEL,
	OPT_SCOPE,
	OPT_EXPIRES,
	OPT_DB,
	OPT_LIMIT,
	OPT_CHAIN_ID,
	OPT_THRESHOLD,
	OPT_SHARES,
	OPT_SHARE,
	OPT_KEY_FILE,
	OPT_PASSPHRASE_FILE,
	OPT_UPTO,
	OPT_FILE,
	OPT_EXPORTED,
	OPT_CHAIN,
	OPT_TX,
	OPT_TX_FILE,
	OPT_VACUUM, /* a flag: no value */
	OPT_ADMIN_KEY,
	OPT_APPROVAL, /* repeatable: collected in cli->approval_args */
	OPT_REMOVE,   /* a flag: no value */
	OPT_EIP191,   /* a flag: no value */
	OPT_TEXT,
	OPT_ADDRESS,
	OPT_LIVE, /* a flag: no value */
	OPT_HELP,
	OPT_VERSION,
	OPT__COUNT
};

struct cli {
	const char *pos[CLI_MAX_POS]; /* positional words after the command */
	int npos;
	const char *opt[OPT__COUNT];        /* value of each option given, or NULL */
	const char *pcr_args[CLI_MAX_PCRS]; /* every --pcr N=HEX, in order */
	int npcr;
	const char *approval_args[CLI_MAX_APPROVALS]; /* every --approval FILE, in order */
	int napproval;
	int json;
	int timeout_ms;
	char uri[320];
	struct spod_client *client; /* connected lazily by cli_connect */
};

/* Reports a usage problem and returns exit code 2. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Fails with a usage error if an option outside allowed_mask (1 << OPT_*) was given. */
int cli_only(const struct cli *cli, uint64_t allowed_mask, const char *cmd);

/* The key id of `spod GROUP SUB ID` (pos[1]) into id: 0, or a usage error naming cmd. */
int cli_need_key_id(const struct cli *cli, uint8_t id[SPOD_KEY_ID_BYTES], const char *cmd);

/*
 * Connects to the pod and, when a token is found, authenticates with it: --token-file FILE,
 * else $SPOD_TOKEN, else $SPOD_TOKEN_FILE, else $SPOD_DATA_DIR/admin.token if it exists.
 * Returns SPOD_OK or prints the reason and returns the error.
 */
int cli_connect(struct cli *cli);

/*
 * Reports err for action (with the pod's message when there is one) as text or JSON on
 * stderr and returns the documented exit code.
 */
int cli_fail(const struct cli *cli, int err, const char *action);

/* Writes s as a JSON string literal (with quotes) to out. */
void cli_json_str(FILE *out, const char *s, size_t len);

/* Prints bytes as lowercase hex. */
void cli_hex(FILE *out, const uint8_t *p, size_t len);

/*
 * Reads the data to sign or verify from --message HEX, --message-file PATH or --digest HEX
 * (exactly one) and picks the sign mode: digest → SPOD_MODE_DIGEST, message with --hash →
 * SPOD_MODE_SHA256/KECCAK256, message alone → SPOD_MODE_RAW. buf has SPOD_MSG_MAX_BYTES.
 * Returns SPOD_OK or a usage/IO error after printing why.
 */
int cli_read_payload(const struct cli *cli, uint8_t *buf, size_t *len, uint8_t *mode);

/*
 * With --expect-pcr0: asks the pod for a fresh attestation (random nonce; key_id binds
 * that key when not NULL, whose public key must then be pub) and verifies it against
 * --root (default aws), PCR0, the nonce and a 5-minute freshness window. Prints why and
 * returns the exit code on failure; 0 when it verified or no check was asked for.
 */
int cli_check_pod(struct cli *cli, const uint8_t *key_id, uint8_t alg, const uint8_t *pub,
                  size_t pub_len);

/*
 * The same check, required (--expect-pcr0 must be given): *res gets the verified document's
 * view into doc[0..cap), whose public_key is the enclave's provisioning key and whose
 * user_data says how it seals (res->user_data). Returns 0, or the exit code after saying
 * why: nothing may be sent to a pod whose document did not verify.
 */
int cli_attest_pod(struct cli *cli, struct spod_attest_result *res, uint8_t *doc, size_t cap,
                   const uint8_t *key_id, uint8_t alg, const uint8_t *pub, size_t pub_len);

/*
 * A key as "ID  ALG  PUBLIC[  LABEL]", or as JSON with the HTTP API's names (one object,
 * followed by a comma unless last).
 */
void cli_print_key(const struct cli *cli, const struct spod_key_info *k, int last);

/* spod keys import, spod custodian provision, spod custodian status (cmd_provision.c). */
int cli_keys_import(struct cli *cli);
int cli_custodian_provision(struct cli *cli);
int cli_custodian_status(struct cli *cli);

/*
 * The database commands (cmd_admin.c): cli_open_db opens the existing database named by
 * --db, $SPOD_DB or the data directory's spod.db (never creating one) and returns 0 or the
 * exit code after saying why; cli_store_fail reports a failed store call with the store's
 * message and returns the exit code; cli_print_time prints milliseconds since the epoch as
 * UTC ISO 8601 ("-" for 0) on stdout.
 */
/*
 * --root aws (the embedded AWS root: root set to NULL, 0), dev (the data directory's simulated
 * NSM root) or FILE, into buf[0..cap) (cmd_attest.c). 0, or the exit code after saying why.
 */
struct spod_bytes;
int cli_load_root(const struct cli *cli, struct spod_bytes *root, uint8_t *buf, size_t cap);

struct spod_store;
int cli_open_db(const struct cli *cli, struct spod_store **s);
int cli_store_fail(struct spod_store *s, int rc, const char *action);
void cli_print_time(int64_t ms);

/* The overview of every command (spod --help). */
void cli_help_overview(FILE *out);

/* The help page of one command (spod CMD --help, spod help CMD); -1 for an unknown one. */
int cli_help(FILE *out, const char *cmd);

/* "spod VERSION (wire protocol vN)" (spod --version). */
void cli_version(FILE *out);

int cmd_info(struct cli *cli);
int cmd_attest(struct cli *cli);
int cmd_measure(struct cli *cli);
int cmd_keys(struct cli *cli);
int cmd_sign(struct cli *cli);
int cmd_sign_tx(struct cli *cli);
int cmd_sign_message(struct cli *cli);
int cmd_sign_typed_data(struct cli *cli);
int cmd_sign_authorization(struct cli *cli);
int cmd_verify(struct cli *cli);
int cmd_token(struct cli *cli);
int cmd_audit(struct cli *cli);
int cmd_custodian(struct cli *cli);
int cmd_policy(struct cli *cli);

#endif
