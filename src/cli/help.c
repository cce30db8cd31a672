/*
 * The spod CLI's help: the overview (spod --help), one page per command (spod CMD --help,
 * spod help CMD) with its options and limits, and the version line. docs/cli.md is the
 * long form of the same text.
 */
#include <string.h>

#include "cli/cli.h"

/* The pages quote these limits as numbers; they must not drift from the protocol's. */
_Static_assert(SPOD_MSG_MAX_BYTES == 65536 && SPOD_LABEL_MAX_BYTES == 128 &&
                   SPOD_NONCE_MAX_BYTES == 512 && SPOD_DOC_MAX_BYTES == 16384 &&
                   SPOD_KEY_ID_BYTES == 16,
               "the help text quotes these limits");

static const char overview[] =
    "usage: spod [--uri URI] [--json] [--timeout MS] [--token-file FILE] COMMAND ...\n"
    "       spod COMMAND --help | spod help COMMAND | spod --version\n"
    "\n"
    "commands (spod help COMMAND for each one's options and limits):\n"
    "  info                  version, algorithms, key count, mode\n"
    "  keys                  generate, import, list, public, delete keys in the enclave\n"
    "  sign                  sign a message (at most 65536 bytes) or a 32-byte digest\n"
    "  sign-tx               sign an Ethereum or Solana transaction the enclave decodes\n"
    "  sign-message          sign an EIP-191 personal message (the enclave adds the prefix)\n"
    "  sign-typed-data       sign EIP-712 typed data (the enclave hashes its structure)\n"
    "  sign-authorization    sign an EIP-7702 authorization (chain id, delegate, nonce)\n"
    "  verify                verify a signature offline (Ethereum r||s||v included)\n"
    "  attest                attestation documents: fetch, verify, the dev root\n"
    "  measure               PCR0/1/2 of an enclave image (EIF), as nitro-cli\n"
    "  token                 API tokens: create, list, revoke (on the database)\n"
    "  audit                 the hash-chained audit log: verify, tail, export, prune\n"
    "                        (on the database)\n"
    "  custodian             the seal key's custodians: the offline ceremony (init,\n"
    "                        inspect), sending a share (provision), the seal state (status)\n"
    "  policy                a key's policy: approvals (offline), set, remove, show\n"
    "\n"
    "global options:\n"
    "  --uri URI             the pod: unix:///path, tcp://127.0.0.1:PORT (else $SPOD_URI,\n"
    "                        else unix://$SPOD_DATA_DIR/spod.sock)\n"
    "  --json                one JSON document on stdout, errors as JSON on stderr\n"
    "  --timeout MS          bound on the connection and each request, 1..3600000\n"
    "                        (default 30000)\n"
    "  --token-file FILE     the API token; else $SPOD_TOKEN, else the file\n"
    "                        $SPOD_TOKEN_FILE, else $SPOD_DATA_DIR/admin.token\n"
    "  --expect-pcr0 HEX [--root aws|dev|FILE]   before info, keys or sign: verify a fresh\n"
    "                        attestation of the pod first\n"
    "\n"
    "Exit codes: 0 ok, 1 internal, 2 usage (also a file that cannot be read), 3 pod\n"
    "unavailable, 4 key not found, 5 request rejected, 6 signature invalid, 7 not authorized.\n";

static const char help_info[] =
    "usage: spod info [--expect-pcr0 HEX [--root aws|dev|FILE]]\n"
    "\n"
    "The pod's version and wire protocol, its algorithms, how many keys it holds of how\n"
    "many it can, whether keys are ephemeral, and which NSM attests it. Needs a token with\n"
    "the 'list' op.\n";

static const char help_keys[] =
    "usage: spod keys generate --alg ed25519|secp256k1|p256 [--label LABEL]\n"
    "       spod keys import --key-file FILE --expect-pcr0 HEX [--root aws|dev|FILE]\n"
    "                        [--format auto|hex|pem|eth-keystore|solana-keypair]\n"
    "                        [--alg A] [--label LABEL] [--passphrase-file FILE]\n"
    "       spod keys list\n"
    "       spod keys public ID [--format hex|pem|eth-address|solana-address]\n"
    "       spod keys delete ID\n"
    "\n"
    "  generate   a new key inside the enclave; prints ID ALG PUBLIC [LABEL]. LABEL is 1..128\n"
    "             characters of A-Z a-z 0-9 . _ - and unique among live keys (a taken one\n"
    "             is LABEL_TAKEN, exit 5); scopes can name the key by it (label:LABEL).\n"
    "  import     a key you already have (a file of at most 65536 bytes: 64 hex digits\n"
    "             with --alg, PEM, an Ethereum keystore v3 whose passphrase comes from\n"
    "             --passphrase-file or stdin, a Solana keypair JSON), sent encrypted to the\n"
    "             enclave after its attestation verifies (as custodian provision); prints it\n"
    "             like generate. Needs the import op. No key ever leaves the enclave.\n"
    "  list       every key: ID ALG PUBLIC [LABEL] (256 per request, all pages).\n"
    "  public     the public key: hex (32 bytes Ed25519, 65-byte uncompressed point for\n"
    "             ECDSA), SubjectPublicKeyInfo PEM, or the EIP-55 address (secp256k1).\n"
    "  delete     wipes the key in the enclave.\n"
    "\n"
    "ID is the key id, 32 hex characters. --json prints id, alg, public_key, label.\n"
    "Ops needed: generate, import, list (list and public), delete.\n";

static const char help_sign[] =
    "usage: spod sign ID (--message HEX | --message-file PATH | --digest HEX)\n"
    "                    [--hash sha256|keccak256]\n"
    "\n"
    "Signs with key ID (32 hex characters) inside the enclave and prints the 64-byte\n"
    "signature as hex; secp256k1 also prints the recovery id and Ethereum v (27 + recid).\n"
    "\n"
    "  --message HEX         the message, at most 65536 bytes (131072 hex digits)\n"
    "  --message-file PATH   the message as raw bytes from a file, at most 65536 bytes\n"
    "  --digest HEX          a 32-byte digest (64 hex digits) you computed (ECDSA only)\n"
    "  --hash sha256|keccak256   the enclave hashes the message first (ECDSA only;\n"
    "                        keccak256 is Ethereum's Keccak-256)\n"
    "\n"
    "Ed25519 signs the message itself (no --hash, no --digest). ECDSA keys sign a digest:\n"
    "--digest, or --message with --hash; a bare message is refused (exit 5).\n"
    "--json prints key_id, alg, signature, r and s (ECDSA), recid and v (secp256k1).\n";

static const char help_sign_tx[] =
    "usage: spod sign-tx ID --chain ethereum|solana (--tx DATA | --tx-file PATH)\n"
    "\n"
    "The enclave decodes the unsigned transaction, signs what it decoded with key ID (32\n"
    "hex characters) and prints the signed transaction: Ethereum as 0x-hex, ready for\n"
    "eth_sendRawTransaction; Solana as base64, ready for sendTransaction.\n"
    "\n"
    "  --chain ethereum      DATA is the unsigned serialized transaction in hex (0x\n"
    "                        optional): legacy (EIP-155 or not), EIP-2930, EIP-1559,\n"
    "                        EIP-4844 or EIP-7702; the key must be secp256k1\n"
    "  --chain solana        DATA is the transaction in base64 with its signature slots\n"
    "                        empty (as web3.js serializes it unsigned); the key must be\n"
    "                        ed25519 and one of the message's required signers\n"
    "  --tx DATA             the transaction, at most 65536 bytes\n"
    "  --tx-file PATH        the same text read from a file (trailing whitespace ignored)\n"
    "\n"
    "A key of the other chain's algorithm is refused (exit 5), as is a transaction the\n"
    "decoder refuses, with its reason. --json prints key_id, chain, signed_tx and the\n"
    "summary the enclave decoded: type, kind, chain_id (Ethereum), flags and transfers\n"
    "(asset, token, to, amount in base units as a decimal string, decimals).\n";

static const char help_sign_message[] =
    "usage: spod sign-message ID --eip191 (--text TEXT | --message HEX | --message-file PATH)\n"
    "\n"
    "Signs an EIP-191 personal message (personal_sign, ethers' signMessage) with secp256k1\n"
    "key ID: the enclave hashes \"\\x19Ethereum Signed Message:\\n\" || length || message itself\n"
    "and prints the 65-byte signature r||s||v (v 27 or 28) as 0x-hex. A key's policy sees\n"
    "it as a message (docs/policy.md).\n"
    "\n"
    "  --text TEXT           the message is TEXT's bytes (UTF-8 as given)\n"
    "  --message HEX         the message as hex\n"
    "  --message-file PATH   the message is the file's bytes\n"
    "\n"
    "At most 65536 bytes, not empty. --json prints key_id, type and signature.\n";

static const char help_sign_typed_data[] =
    "usage: spod sign-typed-data ID --file TYPED.json\n"
    "\n"
    "Signs EIP-712 typed data (eth_signTypedData_v4's JSON: types, primaryType, domain,\n"
    "message) with secp256k1 key ID. The JSON is converted here to its CBOR form\n"
    "(docs/transactions.md); the enclave computes the domain separator and the struct hash\n"
    "from it, never from a digest, and prints the 65-byte signature r||s||v (v 27 or 28) as\n"
    "0x-hex. A key's policy sees the typed data's domain (docs/policy.md). --json prints\n"
    "key_id, type, signature and the domain's chain_id.\n";

static const char help_sign_authorization[] =
    "usage: spod sign-authorization ID --chain-id N --address 0xDELEGATE --nonce N\n"
    "\n"
    "Signs an EIP-7702 authorization with secp256k1 key ID: the enclave hashes\n"
    "0x05 || rlp([chain_id, address, nonce]) and signs it. Prints r||s||y_parity as 0x-hex;\n"
    "--json prints key_id, chain_id, address, nonce, y_parity, r and s, the fields of an\n"
    "authorization list entry. Chain id 0 makes it valid on every chain. A key's policy\n"
    "sees kind authorization with the address as its delegate (docs/policy.md).\n";

static const char help_verify[] =
    "usage: spod verify --alg ed25519|secp256k1|p256 --public HEX\n"
    "                   (--message HEX | --message-file PATH | --digest HEX)\n"
    "                   [--hash sha256|keccak256] --signature HEX [--chain-id N]\n"
    "\n"
    "Verifies a signature offline with the local libraries; no pod is contacted. Prints\n"
    "'valid' (exit 0) or 'INVALID: why' (exit 6).\n"
    "\n"
    "  --public HEX      32 bytes (Ed25519) or the 65-byte uncompressed point (ECDSA)\n"
    "  --signature HEX   64 bytes r||s (R||S for Ed25519), or secp256k1's 65-byte r||s||v\n"
    "  --chain-id N      the EIP-155 chain id when v is chain_id * 2 + 35 or 36\n"
    "\n"
    "The message is at most 65536 bytes. Modes as in sign: Ed25519 verifies the message\n"
    "itself; ECDSA a --digest, or the message with the --hash the signer used (exit 2\n"
    "otherwise). In r||s||v, v is 0/1, 27/28 or chain_id * 2 + 35/36 (that needs\n"
    "--chain-id; one byte holds chain ids up to 110), and the recovery id it encodes must\n"
    "recover --public.\n";

static const char help_attest[] =
    "usage: spod attest [--key ID] [--nonce HEX] [--out FILE]\n"
    "       spod attest verify DOC [--root aws|dev|FILE] [--pcr N=HEX ...] [--nonce HEX]\n"
    "                   [--max-age S] [--at UNIXTIME] [--key ID --public HEX [--alg ALG]]\n"
    "       spod attest dev-root\n"
    "\n"
    "  attest           an attestation document (raw CBOR, at most 16384 bytes) from the\n"
    "                   enclave's NSM, binding key ID when given; --nonce at most 512 bytes.\n"
    "                   Binary: give --out FILE or redirect stdout. Needs the 'attest' op,\n"
    "                   and with --key a token whose keys include ID.\n"
    "  attest verify    checks DOC offline: signature, chain to --root (aws by default),\n"
    "                   --pcr N=HEX (N 0..31, 48 bytes), nonce, age, key binding; prints\n"
    "                   VERIFIED or REJECTED [STATUS] (exit 6).\n"
    "  attest dev-root  the simulated NSM's development root (PEM), from the data directory.\n";

static const char help_measure[] =
    "usage: spod measure IMAGE.eif\n"
    "\n"
    "PCR0, PCR1, PCR2 (and PCR8 for a signed image) of an Enclave Image File, as\n"
    "`nitro-cli describe-eif` prints them; computed offline. A file that cannot be read is\n"
    "exit 2; a file that is not a well-formed EIF exit 5, a wrong checksum exit 6.\n"
    "--json prints nitro-cli's {\"Measurements\": ...} object.\n";

static const char help_token[] =
    "usage: spod [--db PATH] token create --scope SCOPES [--expires DURATION|never]\n"
    "       spod [--db PATH] token list\n"
    "       spod [--db PATH] token revoke ID\n"
    "\n"
    "Works on spod-host's database directly (--db PATH, else $SPOD_DB, else\n"
    "$SPOD_DATA_DIR/spod.db), host running or stopped; the database must exist (spod-host\n"
    "creates it on first start).\n"
    "\n"
    "  create   a new token, shown only this once. SCOPES (docs/auth.md), e.g.\n"
    "           'ops=sign,list;keys=label:hot-wallet,id:HEX;rate=100': ops among sign,\n"
    "           generate, delete, list, attest, admin, provision, import; keys * or a list\n"
    "           of id:/label: entries; rate 1..1000000 requests per second. Quotas:\n"
    "           labels=app1-*,exact (labels new keys may get; set it on every token that\n"
    "           generates or imports), keys-max=N (live keys this token made), audit-rate=N\n"
    "           (audit records per second), e.g.\n"
    "           'ops=generate,sign;keys=*;labels=app1-*;keys-max=100;audit-rate=50'.\n"
    "           DURATION: 90s, 30m, 12h, 7d (at most 3650 days); default never.\n"
    "  list     every token: id, created, expiry, active/expired/REVOKED, scopes (with\n"
    "           their quotas).\n"
    "  revoke   revokes token ID: all 32 hex digits, or a unique prefix of at least 8 (audit\n"
    "           tail shows 8); new connections at once, open ones within 1 s.\n";

static const char help_audit[] =
    "usage: spod [--db PATH] audit verify [--root aws|dev|FILE] [--live]\n"
    "       spod audit verify --file FILE\n"
    "       spod [--db PATH] audit tail [--limit N]\n"
    "       spod [--db PATH] audit export --upto SEQ --out FILE\n"
    "       spod [--db PATH] audit prune --upto SEQ --exported FILE [--vacuum]\n"
    "\n"
    "Works on spod-host's database directly (as token does), host running or stopped.\n"
    "\n"
    "  verify   re-walks the hash chain: the record count and head hash, or the first\n"
    "           broken seq (exit 6). After a prune it starts from the anchor (the last\n"
    "           pruned seq and hash) and says so. --file FILE re-walks an export file\n"
    "           instead (no database needed): its records, first seq and prev_hash, last\n"
    "           hash, or where it breaks (exit 6).\n"
    "           It also checks the enclave's signed evidence (docs/evidence.md): every\n"
    "           batch's signature and every record's proof; every record must have its\n"
    "           audit sign record (else exit 6); every head the enclave signed must be in\n"
    "           the log with its hash (else exit 6: truncated or rewritten). --root checks\n"
    "           each evidence key's attestation document against that root (as attest\n"
    "           does); --live also asks the running pod's enclave for its last signed head\n"
    "           (a fresh nonce) and checks it the same way.\n"
    "  tail     the newest N records (1..1000000, default 20), oldest first; the text shows\n"
    "           the first 8 hex digits of token ids, --json the whole ids.\n"
    "  export   writes the records from the oldest in the database up to SEQ (a record it\n"
    "           holds) to FILE: JSON lines, mode 0600, never over an existing file, checked\n"
    "           on the way (exit 6 for a broken chain) and fsync'ed.\n"
    "  prune    deletes the records up to SEQ, only if FILE verifies, ends at SEQ with the\n"
    "           database's hash for SEQ and holds every record to be deleted (exit 2 if\n"
    "           not, 6 if FILE is broken); records SEQ as the anchor and an audit.prune\n"
    "           record. --vacuum then gives the space back to the file system (needs free\n"
    "           space of about the database's size and holds the database meanwhile).\n"
    "\n"
    "Keep export files off the pod; each one's first prev_hash is the last hash of the one\n"
    "before (docs/storage.md, Retention).\n";

static const char help_custodian[] =
    "usage: spod custodian init --threshold K --shares N --out DIR\n"
    "       spod custodian inspect FILE\n"
    "       spod custodian provision --share FILE --expect-pcr0 HEX [--root aws|dev|FILE]\n"
    "       spod custodian status\n"
    "\n"
    "init and inspect run offline: no pod is contacted (docs/keys.md).\n"
    "\n"
    "  init      makes a new 32-byte seal key in locked memory, splits it into N shares of\n"
    "            which any K rebuild it (Shamir over GF(256); 1 <= K <= N <= 32), writes\n"
    "            DIR/share-1.json ... share-N.json (mode 0600; DIR is created 0700 if\n"
    "            missing and must not hold share-*.json files already), reads them back and\n"
    "            rebuilds the key from them as the enclave will, then prints the seal key id\n"
    "            and the next steps. The seal key is never written or shown. K > N is a\n"
    "            usage error (exit 2); K = 1 makes every file the seal key itself.\n"
    "  inspect   a share file's seal key id, K, N, index, and whether its share matches its\n"
    "            commitment (exit 5 if not, or if the file is malformed); never the share.\n"
    "  provision sends this custodian's share to a pod in custodian mode. First a fresh\n"
    "            attestation document (a random nonce of ours) must verify: the chain to\n"
    "            --root (default aws), PCR0 = --expect-pcr0 (required), freshness (5 min),\n"
    "            custodian mode, and no seal key yet or this share's. Otherwise nothing is\n"
    "            sent (exit 6, or 5 for another mode or seal key). The share goes encrypted\n"
    "            to the document's provisioning key. Needs the provision op.\n"
    "  status    the seal mode, seal key id, shares present and needed, and whether keys\n"
    "            can be made (every key operation answers NOT_PROVISIONED, exit 3, until\n"
    "            K shares are in).\n"
    "\n"
    "Give each custodian one file and keep no two in one place. --json prints seal_key_id,\n"
    "threshold, shares, dir and files (init); file, seal_key_id, threshold, shares, index\n"
    "and share_matches (inspect).\n";

static const char help_policy[] =
    "usage: spod policy approve ID --admin-key FILE (--file POLICY.json | --remove)\n"
    "       spod policy admin-pub --admin-key FILE\n"
    "       spod policy set ID --file POLICY.json [--approval FILE]...\n"
    "       spod policy remove ID [--approval FILE]...\n"
    "       spod policy show ID\n"
    "\n"
    "A key's policy decides inside the enclave what the key may sign (docs/policy.md). A\n"
    "change needs the approvals of the pod's policy admins (spod-host's policy_admins and\n"
    "policy_threshold): each admin signs the key id and the SHA-256 of the policy's CBOR.\n"
    "\n"
    "  approve    offline, at an admin's desk (no pod): converts POLICY.json as the pod will\n"
    "             (or, with --remove, approves removing the policy) and prints the approval,\n"
    "             192 hex characters; save it to a file for set/remove. FILE is the admin's\n"
    "             Ed25519 private key in PEM (openssl genpkey -algorithm ed25519 -out FILE).\n"
    "  admin-pub  offline: the admin's public key, 64 hex characters, as policy_admins\n"
    "             lists it.\n"
    "  set        attaches POLICY.json to key ID or replaces its policy; prints the policy's\n"
    "             hash. Too few valid approvals is NOT_APPROVED (exit 5).\n"
    "  remove     removes the key's policy (approvals made with approve --remove).\n"
    "  show       the policy as JSON, its hash and the admin set that approved it (its hash;\n"
    "             'none': set without approvals, in ephemeral mode).\n"
    "\n"
    "ID is the key id, 32 hex characters; at most 16 --approval. A policy the converter\n"
    "refuses is exit 5 with its reason (rule and key). Ops needed: admin (set, remove),\n"
    "list (show). --json prints the HTTP API's fields: key_id and policy_hash (set;\n"
    "approve adds admin and approval; null after remove), key_id, policy, policy_hash and\n"
    "admin_set (show; policy null without one, admin_set null when set without\n"
    "approvals), admin (admin-pub).\n";

static const struct {
	const char *name;
	const char *text;
} pages[] = {
    {"info", help_info},
    {"keys", help_keys},
    {"sign", help_sign},
    {"sign-tx", help_sign_tx},
    {"verify", help_verify},
    {"attest", help_attest},
    {"measure", help_measure},
    {"token", help_token},
    {"audit", help_audit},
    {"custodian", help_custodian},
    {"policy", help_policy},
    {"sign-message", help_sign_message},
    {"sign-typed-data", help_sign_typed_data},
    {"sign-authorization", help_sign_authorization},
};

void cli_help_overview(FILE *out)
{
	fputs(overview, out);
}

int cli_help(FILE *out, const char *cmd)
{
	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		if (strcmp(cmd, pages[i].name) == 0) {
			fputs(pages[i].text, out);
			return 0;
		}
	}
	return -1;
}

void cli_version(FILE *out)
{
	fprintf(out, "spod %s (wire protocol v%u)\n", SPOD_VERSION, (unsigned)SPOD_WIRE_VERSION);
}
