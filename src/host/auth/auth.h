/*
 * API tokens for spod-host: creation, hashing, scopes, authorization, expiry and rate limits.
 *
 * Pure functions over caller-owned memory: nothing here allocates, touches the store or keeps
 * state between calls. The host stores only spod_auth_token_hash() of a token and its scopes
 * text (src/host/store/store.h, tokens table); docs/auth.md describes the whole scheme.
 *
 * Every function that can fail returns SPOD_OK or a negative SPOD_E_* code.
 */
#ifndef SPOD_AUTH_AUTH_H
#define SPOD_AUTH_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "spod/err.h"

/*
 * Error codes of this module, in one place: no, malformed, unknown, expired or revoked
 * token; token valid but out of scope; over the token's rate.
 */
#define SPOD_AUTH_E_UNAUTHENTICATED SPOD_E_UNAUTHENTICATED
#define SPOD_AUTH_E_FORBIDDEN       SPOD_E_FORBIDDEN
#define SPOD_AUTH_E_RATE_LIMITED    SPOD_E_RATE_LIMITED

/*
 * Token text: "spod_" followed by the unpadded base64url encoding (RFC 4648 §5) of
 * SPOD_AUTH_SECRET_BYTES random bytes, 48 characters in all. The fixed prefix lets secret
 * scanners (and grep) find leaked tokens; the 43 characters after it carry 256 bits.
 */
#define SPOD_AUTH_TOKEN_PREFIX     "spod_"
#define SPOD_AUTH_SECRET_BYTES     32u
#define SPOD_AUTH_TOKEN_CHARS      48u /* strlen of a token, 5 + 43 */
#define SPOD_AUTH_TOKEN_BUF_BYTES  (SPOD_AUTH_TOKEN_CHARS + 1u)
#define SPOD_AUTH_HASH_BYTES       32u      /* SHA-256, = SPOD_STORE_HASH_BYTES */
#define SPOD_AUTH_TOKEN_ID_BYTES   16u      /* = SPOD_STORE_TOKEN_ID_BYTES */
#define SPOD_AUTH_KEY_ID_BYTES     16u      /* = SPOD_KEY_ID_BYTES */
#define SPOD_AUTH_SCOPES_MAX_BYTES 1024u    /* scopes text without the NUL, = store column cap */
#define SPOD_AUTH_MAX_KEYS         64u      /* entries in a keys= list */
#define SPOD_AUTH_LABEL_MAX_BYTES  128u     /* = SPOD_STORE_LABEL_MAX_BYTES */
#define SPOD_AUTH_RATE_MAX         1000000u /* requests per second */
#define SPOD_AUTH_MAX_LABELS       64u      /* patterns in a labels= list */
#define SPOD_AUTH_KEYS_MAX         1000000u /* keys-max */
#define SPOD_AUTH_AUDIT_RATE_MAX   1000000u /* audit records per second */

/*
 * Creates a token: writes its NUL-terminated text to text (shown to the user once, never
 * stored or logged), hash = SHA-256 of the text, and a random token id (the record's
 * primary key; not secret). Returns SPOD_OK, or SPOD_E_CRYPTO when the random generator or
 * the hash fails (then all three outputs are zeroed). The caller wipes text after showing it.
 */
int spod_auth_token_new(char text[static SPOD_AUTH_TOKEN_BUF_BYTES],
                        uint8_t hash[static SPOD_AUTH_HASH_BYTES],
                        uint8_t id[static SPOD_AUTH_TOKEN_ID_BYTES])
    __attribute__((warn_unused_result, nonnull));

/*
 * hash = SHA-256(text[0..len)), the value stored in tokens.hash and looked up on
 * authentication. A token carries 256 random bits, so a fast unsalted hash is enough: there
 * is nothing to brute-force, and the stored hash reveals nothing usable without a preimage.
 * Returns SPOD_OK; SPOD_E_BAD_ARG when text is not a well-formed token (prefix, length,
 * alphabet, or non-zero padding bits in the last character) — nothing is hashed then;
 * SPOD_E_CRYPTO if the hash fails. hash is zeroed on failure.
 */
int spod_auth_token_hash(uint8_t hash[static SPOD_AUTH_HASH_BYTES], const char *text, size_t len)
    __attribute__((warn_unused_result, nonnull));

/*
 * 1 when the two token hashes are equal, else 0, in time independent of their contents
 * (CRYPTO_memcmp). Use it whenever a presented hash is compared with a stored one.
 */
int spod_auth_hash_equal(const uint8_t a[static SPOD_AUTH_HASH_BYTES],
                         const uint8_t b[static SPOD_AUTH_HASH_BYTES])
    __attribute__((warn_unused_result, nonnull));

/*
 * Whether a token record may authenticate at now_ms (milliseconds since the Unix epoch).
 * expires_ms 0 = never expires, otherwise the token is expired from now_ms >= expires_ms on;
 * revoked_ms 0 = not revoked, any other value = revoked, whatever the clock says.
 * Returns SPOD_OK or SPOD_AUTH_E_UNAUTHENTICATED.
 */
int spod_auth_token_valid(int64_t expires_ms, int64_t revoked_ms, int64_t now_ms)
    __attribute__((warn_unused_result));

/*
 * Scopes, stored as text in tokens.scopes. Grammar (ABNF, RFC 5234), case-sensitive, no
 * spaces, at most SPOD_AUTH_SCOPES_MAX_BYTES bytes:
 *
 *   scopes = field *( ";" field )      ; each field name at most once, in any order
 *   field  = "ops=" op *( "," op ) / "keys=" keys / "labels=" labels /
 *            "keys-max=" count / "rate=" count / "audit-rate=" count
 *   op     = "sign" / "generate" / "delete" / "list" / "attest" / "admin" / "provision" /
 *            "import"
 *   keys   = "*" / key *( "," key )    ; 1..SPOD_AUTH_MAX_KEYS entries, no duplicates
 *   key    = "id:" 32lowhex / "label:" 1*128labelchar
 *   labels = pattern *( "," pattern )  ; 1..SPOD_AUTH_MAX_LABELS entries, no duplicates
 *   pattern = 1*128labelchar [ "*" ]   ; a label, or a label prefix with a trailing "*"
 *   lowhex = DIGIT / %x61-66           ; lowercase only
 *   labelchar = ALPHA / DIGIT / "." / "_" / "-"
 *   count  = %x31-39 *DIGIT            ; 1..1000000, no leading zero
 *
 * ops and keys are required (a list of no operations, or of no keys, is an error, not an
 * empty grant); the others are optional, absent meaning no limit: labels (the labels the
 * token may give new keys), keys-max (live keys the token created), rate (requests per
 * second), audit-rate (audit records per second the token's requests cause). An op listed
 * twice is an error. Canonical form (spod_auth_scopes_format): fields in the order ops,
 * keys, labels, keys-max, rate, audit-rate; ops in the order above; keys and labels in the
 * order given. Parsing canonical text and formatting it again gives the same text; any
 * accepted text formats to text of the same length.
 */
enum spod_auth_op {
	SPOD_AUTH_OP_SIGN = 1u << 0,
	SPOD_AUTH_OP_GENERATE = 1u << 1,
	SPOD_AUTH_OP_DELETE = 1u << 2,
	SPOD_AUTH_OP_LIST = 1u << 3,
	SPOD_AUTH_OP_ATTEST = 1u << 4,
	SPOD_AUTH_OP_ADMIN = 1u << 5,
	SPOD_AUTH_OP_PROVISION = 1u << 6, /* custodian.share: a custodian's share of the seal key */
	SPOD_AUTH_OP_IMPORT = 1u << 7,    /* key.import: an encrypted private key */
};
#define SPOD_AUTH_OPS_ALL 0xffu

/* The scopes name of one op bit ("sign"), or NULL when bit is not exactly one op. */
const char *spod_auth_op_name(uint32_t bit);

enum spod_auth_key_kind {
	SPOD_AUTH_KEY_ID = 1,
	SPOD_AUTH_KEY_LABEL = 2,
};

struct spod_auth_key_sel {
	uint8_t kind;                              /* SPOD_AUTH_KEY_ID or SPOD_AUTH_KEY_LABEL */
	uint8_t id[SPOD_AUTH_KEY_ID_BYTES];        /* kind ID; zero otherwise */
	char label[SPOD_AUTH_LABEL_MAX_BYTES + 1]; /* kind LABEL, NUL-terminated; zero otherwise */
};

/* One labels= pattern: the label itself, or (prefix) every label that starts with text. */
struct spod_auth_label_pat {
	uint8_t prefix;                           /* 1 when written with a trailing "*" */
	char text[SPOD_AUTH_LABEL_MAX_BYTES + 1]; /* 1..128 label characters, NUL-terminated */
};

struct spod_auth_scopes {
	uint32_t ops;        /* SPOD_AUTH_OP_* bits, non-zero */
	int all_keys;        /* 1 for keys=*, then nkeys is 0 */
	size_t nkeys;        /* 1..SPOD_AUTH_MAX_KEYS unless all_keys */
	size_t nlabels;      /* 0 = any label, else 1..SPOD_AUTH_MAX_LABELS patterns */
	uint32_t keys_max;   /* 0 = no quota, else 1..SPOD_AUTH_KEYS_MAX */
	uint32_t rate_per_s; /* 0 = no limit, else 1..SPOD_AUTH_RATE_MAX */
	uint32_t audit_rate; /* 0 = no limit, else 1..SPOD_AUTH_AUDIT_RATE_MAX */
	struct spod_auth_key_sel keys[SPOD_AUTH_MAX_KEYS];
	struct spod_auth_label_pat labels[SPOD_AUTH_MAX_LABELS];
};

/*
 * Parses scopes text text[0..len) (no NUL needed; a NUL byte inside is an error).
 * Returns SPOD_OK with *out filled, every unused byte zero (so two parses of equal scopes
 * compare equal with memcmp). Returns SPOD_E_BAD_ARG when the text does not follow the
 * grammar, with *out zeroed and *why pointing to a static message ("unknown op", ...);
 * *why is NULL on success.
 */
int spod_auth_scopes_parse(struct spod_auth_scopes *out, const char **why, const char *text,
                           size_t len) __attribute__((warn_unused_result, nonnull(1, 2)));

/*
 * Writes the canonical text of s and a NUL to out (cap bytes) and its length, without the
 * NUL, to *len. Returns SPOD_OK; SPOD_E_BAD_ARG when s is not something parse could produce;
 * SPOD_E_TOO_LARGE when cap is short or the text would exceed SPOD_AUTH_SCOPES_MAX_BYTES.
 * On failure *len is 0 and out holds an empty string if cap > 0.
 */
int spod_auth_scopes_format(char *out, size_t cap, size_t *len, const struct spod_auth_scopes *s)
    __attribute__((warn_unused_result, nonnull(3, 4)));

/*
 * Whether a key is in the scopes' key set: keys=*, an id: entry equal to key_id, or a label:
 * entry equal to label (the key's current label as the host's store records it, never a
 * label taken from the request). key_id and label may each be NULL (unknown); both NULL
 * matches only keys=*. Admin tokens match every key. Returns 1 or 0.
 */
int spod_auth_key_allowed(const struct spod_auth_scopes *s, const uint8_t *key_id,
                          const char *label) __attribute__((warn_unused_result, nonnull(1)));

/*
 * Whether a token with scopes s may give a new key (key.generate, key.import) this label:
 * 1 when s has no labels= field, when label is NULL or "" (an unlabelled key: no label:
 * entry of any token can match it), or when a pattern matches it (equal to the label, or,
 * written with a trailing "*", a prefix of it). Applies to admin tokens too. Returns 1 or 0.
 */
int spod_auth_label_allowed(const struct spod_auth_scopes *s, const char *label)
    __attribute__((warn_unused_result, nonnull(1)));

/*
 * Whether a request with this opcode may be served for a token with scopes s, by the opcode
 * table (src/wire/ops.h: each opcode's op and whether it names keys):
 *   sign, sign.batch          -> sign     (key-scoped)
 *   key.delete                -> delete   (key-scoped)
 *   key.public                -> list     (key-scoped)
 *   key.list, info            -> list     (the host filters key.list pages with
 *                                          spod_auth_key_allowed)
 *   key.generate              -> generate
 *   attest                    -> attest   (key-scoped when it binds a key)
 *   custodian.share           -> provision
 *   key.import                -> import
 *   echo, hello, seal.status  -> any authenticated token
 *   key.load, seal.setup      -> nobody: spod-host sends them itself (FORBIDDEN, admin too)
 * admin implies every op on every key. For key-scoped opcodes the target key must pass
 * spod_auth_key_allowed(s, key_id, label); attest checks its key only when it names one
 * (key_id or label not NULL); other opcodes ignore key_id and label. The limits that depend
 * on the host's state (labels, keys-max, rate, audit-rate) are not checked here.
 * Returns SPOD_OK, SPOD_AUTH_E_FORBIDDEN, or SPOD_E_UNKNOWN_OP for an undefined opcode.
 */
int spod_auth_check(const struct spod_auth_scopes *s, uint8_t opcode, const uint8_t *key_id,
                    const char *label) __attribute__((warn_unused_result, nonnull(1)));

/*
 * Per-token rate limit: a token bucket holding up to rate tokens (the burst), refilled
 * continuously at rate tokens per second. Integer arithmetic in units of 1e-9 token; no
 * allocation. Times are CLOCK_MONOTONIC nanoseconds; a clock that goes backwards refills
 * nothing. rate 0 means no limit.
 */
struct spod_auth_bucket {
	uint32_t rate;    /* tokens per second, 0..SPOD_AUTH_RATE_MAX */
	uint64_t level;   /* in 1e-9 tokens, 0..rate * 1e9 */
	uint64_t last_ns; /* time of the last refill */
};

/* Starts a full bucket at now_ns. rate above SPOD_AUTH_RATE_MAX is clamped to it. */
void spod_auth_bucket_init(struct spod_auth_bucket *b, uint32_t rate, uint64_t now_ns)
    __attribute__((nonnull));

/*
 * Refills for the time since the last call, then takes one token.
 * Returns SPOD_OK, or SPOD_AUTH_E_RATE_LIMITED when less than one token is left (nothing
 * taken). Always SPOD_OK when rate is 0.
 */
int spod_auth_bucket_take(struct spod_auth_bucket *b, uint64_t now_ns)
    __attribute__((warn_unused_result, nonnull));

/*
 * The same for n tokens at once (a sign.batch of n items under audit-rate): all n, or none.
 * Returns SPOD_AUTH_E_RATE_LIMITED when fewer than n are left, and always when n exceeds
 * the rate (the bucket never holds that many). Always SPOD_OK when rate is 0.
 */
int spod_auth_bucket_take_n(struct spod_auth_bucket *b, uint64_t now_ns, uint32_t n)
    __attribute__((warn_unused_result, nonnull));

#endif
