/*
 * The in-enclave policy engine (docs/policy.md): a key's policy, read from its deterministic
 * CBOR form, decides whether a decoded transaction or message may be signed.
 *
 * The engine reads only a struct spod_tx_summary (src/txn/summary.h), never an encoding, and
 * links no JSON: users write policies as JSON, which the host side converts (src/convert/) to
 * the one CBOR encoding spod_policy_load accepts. The loader refuses every other encoding of
 * the same policy (non-shortest heads, indefinite lengths, keys out of order or repeated,
 * trailing bytes), so a policy has exactly one encoding and its SHA-256 is its identity.
 *
 * Evaluation is pure: spod_policy_eval reads the policy, the state and the summary and writes
 * a decision. Only spod_policy_commit, called by the signer after it signed what an allowing
 * decision allowed, changes the state (window sums and signing rates).
 */
#ifndef SPOD_POLICY_POLICY_H
#define SPOD_POLICY_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "txn/summary.h"

/* Format version in the policy's key 1 and in the state encoding. */
#define SPOD_POLICY_VERSION 1u

/* Caps of one policy; more is SPOD_E_TOO_LARGE at load. */
#define SPOD_POLICY_MAX_BYTES        65536u /* the whole CBOR encoding */
#define SPOD_POLICY_MAX_RULES        64u
#define SPOD_POLICY_MAX_LIST         64u   /* entries of any one list in a rule */
#define SPOD_POLICY_MAX_VIEWS        1024u /* address/program/selector/token entries in all rules */
#define SPOD_POLICY_MAX_NUMS         256u  /* chain_ids entries in all rules */
#define SPOD_POLICY_MAX_DOMAINS      128u  /* domains entries in all rules */
#define SPOD_POLICY_MAX_TOKEN_LIMITS 128u  /* max_token_amount entries in all rules */
#define SPOD_POLICY_MAX_WINDOWS      8u    /* rules with a window limit */
#define SPOD_POLICY_MAX_RATES        8u    /* rules with a rate limit */
#define SPOD_POLICY_ID_MAX_BYTES     64u
#define SPOD_POLICY_REASON_MAX_BYTES 128u
#define SPOD_POLICY_TEXT_MAX_BYTES   256u /* an EIP-712 domain name or version */
/* Window and rate periods: 1 s to 400 days. */
#define SPOD_POLICY_MAX_SECONDS 34560000u

/* A window or rate period is cut into this many buckets (docs/policy.md, State). */
#define SPOD_POLICY_BUCKETS 64u

/* Rule effects (CBOR key 2). */
enum spod_policy_effect {
	SPOD_POLICY_ALLOW = 1,
	SPOD_POLICY_DENY = 2,
};

/* Kinds a rule may list (CBOR key 5); see spod_policy_kind_of. */
enum spod_policy_kind {
	SPOD_POLICY_KIND_TRANSACTION = 1, /* Ethereum transactions of every type, Solana messages */
	SPOD_POLICY_KIND_MESSAGE = 2,     /* EIP-191 personal message */
	SPOD_POLICY_KIND_TYPED_DATA = 3,  /* EIP-712 typed data */
	SPOD_POLICY_KIND_RAW = 4,         /* raw digest or raw message sign (SPOD_TX_RAW) */
	SPOD_POLICY_KIND_AUTHORIZATION = 5, /* EIP-7702 authorization tuple */
};

/* The summary flags that only a rule with allow_unknown may allow. */
#define SPOD_POLICY_UNKNOWN_FLAGS                                                                  \
	(SPOD_TXF_CONTRACT_CREATE | SPOD_TXF_UNKNOWN_CALL | SPOD_TXF_UNKNOWN_PROGRAM |             \
	 SPOD_TXF_LOOKUP_TABLES)

/* A list inside one of the policy's pools: entries [off, off + n). n 0 = absent. */
struct spod_policy_list {
	uint16_t off;
	uint16_t n;
};

struct spod_policy_domain {
	struct spod_view name;     /* len 0: any (an empty name cannot be required) */
	struct spod_view version;  /* len 0: any */
	struct spod_view contract; /* len 0: any, else 20 bytes */
	uint64_t chain_id;
	int has_chain_id;
};

struct spod_policy_token_limit {
	struct spod_view token;
	struct spod_u256 amount;
};

/* Rule flags (which optional members are present). */
#define SPOD_POLICY_R_CHAIN         0x001u
#define SPOD_POLICY_R_MAX_VALUE     0x002u
#define SPOD_POLICY_R_WINDOW        0x004u
#define SPOD_POLICY_R_WINDOW_TOKEN  0x008u /* window.asset is a token (else native) */
#define SPOD_POLICY_R_RATE          0x010u
#define SPOD_POLICY_R_ALLOW_UNKNOWN 0x020u

struct spod_policy_rule {
	struct spod_view id;     /* ASCII, views the policy buffer */
	struct spod_view reason; /* ASCII, len 0 when absent */
	uint8_t effect;          /* enum spod_policy_effect */
	uint8_t chain;           /* enum spod_chain when SPOD_POLICY_R_CHAIN */
	uint8_t kinds;           /* bit (1 << kind) per listed kind; 0 = absent */
	uint8_t window_slot;     /* index into the state's windows when SPOD_POLICY_R_WINDOW */
	uint8_t rate_slot;       /* index into the state's rates when SPOD_POLICY_R_RATE */
	uint32_t flags;          /* SPOD_POLICY_R_* */
	struct spod_policy_list chain_ids;    /* nums pool */
	struct spod_policy_list to;           /* views pool */
	struct spod_policy_list to_deny;      /* views pool */
	struct spod_policy_list contracts;    /* views pool */
	struct spod_policy_list programs;     /* views pool */
	struct spod_policy_list selectors;    /* views pool */
	struct spod_policy_list delegates;    /* views pool */
	struct spod_policy_list domains;      /* domains pool */
	struct spod_policy_list token_limits; /* token_limits pool */
	struct spod_u256 max_value;
	struct spod_view window_token;
	struct spod_u256 window_limit;
	uint64_t window_seconds;
	uint64_t rate_count;
	uint64_t rate_seconds;
};

/*
 * A loaded policy: every view points into the buffer spod_policy_load read, which must
 * outlive the policy and not change. About 40 KiB; callers keep it off small stacks.
 */
struct spod_policy {
	uint8_t hash[32]; /* SHA-256 of the whole CBOR encoding */
	size_t n_rules;
	size_t n_windows;
	size_t n_rates;
	uint8_t windows_rule[SPOD_POLICY_MAX_WINDOWS]; /* rule index of each window, in order */
	uint8_t rates_rule[SPOD_POLICY_MAX_RATES];     /* rule index of each rate, in order */
	struct spod_policy_rule rules[SPOD_POLICY_MAX_RULES];
	size_t n_views, n_nums, n_domains, n_token_limits;
	struct spod_view views[SPOD_POLICY_MAX_VIEWS];
	uint64_t nums[SPOD_POLICY_MAX_NUMS];
	struct spod_policy_domain domains[SPOD_POLICY_MAX_DOMAINS];
	struct spod_policy_token_limit token_limits[SPOD_POLICY_MAX_TOKEN_LIMITS];
};

/*
 * Validates cbor[0..len) as a policy in its deterministic CBOR form (docs/policy.md) and
 * fills *out with views into it. Returns SPOD_OK, or:
 *   SPOD_E_TRUNCATED  the input ends inside an item;
 *   SPOD_E_TOO_LARGE  more than a cap above (bytes, rules, list entries, pools, limits);
 *   SPOD_E_BAD_FIELD  anything else: ill-formed or non-canonical CBOR (a head not in its
 *                     shortest form, an indefinite length, map keys not in ascending order or
 *                     repeated, bytes after the policy), an unknown key, a value of the wrong
 *                     type or range, an empty list, a duplicate rule id, limits on a deny rule.
 * On failure *out is zeroed.
 */
int spod_policy_load(const uint8_t *cbor, size_t len, struct spod_policy *out)
    __attribute__((warn_unused_result, nonnull(3)));

/*
 * Writes the rules of p (not its hash) in the deterministic CBOR form to out[0..cap) (out may
 * be NULL with cap SIZE_MAX to learn the length) and the length to *out_len. For a policy
 * spod_policy_load filled, the output is the loaded input byte for byte. It does not check
 * that the rules are valid: spod_policy_load the output to know. Returns SPOD_OK,
 * SPOD_E_TOO_LARGE (out too small) or SPOD_E_BAD_ARG (a list outside its pool).
 */
int spod_policy_encode(const struct spod_policy *p, uint8_t *out, size_t cap, size_t *out_len)
    __attribute__((warn_unused_result, nonnull(1, 4)));

/* The kind (enum spod_policy_kind) a summary's kind belongs to; 0 for an unknown kind. */
unsigned spod_policy_kind_of(uint8_t tx_kind);

/* One bucket of a window or rate: the sum (or count) committed in [index*w, (index+1)*w). */
struct spod_policy_bucket {
	uint64_t index; /* bucket number: commit time / width; meaningful when used */
	int used;
	struct spod_u256 sum; /* windows: base units; rates: the count in the last 8 bytes */
};

struct spod_policy_ring {
	uint8_t rule;   /* the rule this ring belongs to */
	uint64_t width; /* bucket width in seconds */
	struct spod_policy_bucket b[SPOD_POLICY_BUCKETS];
};

/* What commits have recorded for one policy: a fixed size (about 24 KiB), no allocation. */
struct spod_policy_state {
	uint8_t policy_hash[32];
	size_t n_windows;
	size_t n_rates;
	struct spod_policy_ring windows[SPOD_POLICY_MAX_WINDOWS];
	struct spod_policy_ring rates[SPOD_POLICY_MAX_RATES];
};

/* Empties st for p: no amounts, no signings. */
void spod_policy_state_init(struct spod_policy_state *st, const struct spod_policy *p)
    __attribute__((nonnull));

#define SPOD_POLICY_REASON_BYTES 192u

struct spod_policy_decision {
	int allowed;
	int rule;                 /* index of the deciding rule; -1 for the default deny */
	struct spod_view rule_id; /* views the policy buffer, or the static "default" */
	char reason[SPOD_POLICY_REASON_BYTES]; /* NUL-terminated, ASCII */
};

/*
 * Decides tx under p at time now_s (seconds, any epoch as long as it is the same for every
 * call with this state): rules in order, the first whose conditions all hold decides; an
 * allow rule whose limit tx would exceed (given st) denies with the limit as its reason; no
 * rule matching denies with rule id "default". Changes nothing but *d.
 * Returns SPOD_OK with *d filled, whatever the decision, or SPOD_E_BAD_ARG when st is not
 * p's state (its hash differs).
 */
int spod_policy_eval(const struct spod_policy *p, const struct spod_policy_state *st,
                     const struct spod_tx_summary *tx, uint64_t now_s,
                     struct spod_policy_decision *d) __attribute__((warn_unused_result, nonnull));

/*
 * Records an allowed decision of spod_policy_eval(p, st, tx, now_s) in st: tx's amount in the
 * deciding rule's window and one signing in its rate. Call it once the signature was made.
 * Returns SPOD_OK (nothing to record is fine), SPOD_E_BAD_ARG for a denying decision, one
 * whose rule is out of range or a state that is not p's; SPOD_E_INTERNAL when a sum would
 * overflow (cannot happen for the decision eval made). On failure st does not change.
 */
int spod_policy_commit(struct spod_policy_state *st, const struct spod_policy *p,
                       const struct spod_tx_summary *tx, const struct spod_policy_decision *d,
                       uint64_t now_s) __attribute__((warn_unused_result, nonnull));

/*
 * Writes st in its canonical CBOR form (docs/policy.md, State) to out[0..cap) and its length
 * to *out_len. Returns SPOD_OK or SPOD_E_TOO_LARGE (out too small; SPOD_POLICY_STATE_MAX_BYTES
 * is always enough).
 */
#define SPOD_POLICY_STATE_MAX_BYTES                                                                \
	(64u +                                                                                     \
	 (SPOD_POLICY_MAX_WINDOWS + SPOD_POLICY_MAX_RATES) * (16u + SPOD_POLICY_BUCKETS * 48u))
int spod_policy_state_encode(const struct spod_policy_state *st, uint8_t *out, size_t cap,
                             size_t *out_len) __attribute__((warn_unused_result, nonnull));

/*
 * Reads a state spod_policy_state_encode wrote for p. Returns SPOD_OK, SPOD_E_TRUNCATED,
 * SPOD_E_BAD_FIELD (not canonical, another version, another policy's hash, rings that do not
 * match p's window and rate rules, a bucket out of order or a count over its limit).
 * On failure *st is zeroed.
 */
int spod_policy_state_decode(struct spod_policy_state *st, const struct spod_policy *p,
                             const uint8_t *in, size_t len)
    __attribute__((warn_unused_result, nonnull(1, 2)));

/* Decimal text of a (NUL-terminated, up to 78 digits); out_cap must be at least 79. */
#define SPOD_U256_DEC_BYTES 79u
void spod_u256_to_dec(char out[SPOD_U256_DEC_BYTES], const struct spod_u256 *a)
    __attribute__((nonnull));

#endif
