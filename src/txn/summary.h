/*
 * What a decoded transaction or message means, in the terms the policy engine reasons about.
 *
 * The contract between the decoders (txn/eth*.c, txn/sol*.c, txn/eip712*.c) and the policy
 * engine (policy/): a decoder validates its input once and fills a struct spod_tx_summary
 * whose views point into the caller's buffer (no copies, as for wire frames), so the
 * summary lives exactly as long as that buffer. The policy engine reads only the summary,
 * never the encoding, so one rule ("at most 10 ETH per 24 h to these addresses") applies to
 * every transaction type that moves ETH.
 *
 * Decoders refuse what they cannot describe completely rather than summarise part of it:
 * more transfers, programs or delegates than the caps below is SPOD_E_TOO_LARGE, an
 * encoding error SPOD_E_BAD_FIELD (or SPOD_E_TRUNCATED / SPOD_E_TOO_LARGE for lengths).
 * What a decoder does not recognise (an unknown Solana program, calldata that is not an
 * ERC-20 transfer) is reported as such (flags below) so a policy can refuse it; it is never
 * guessed at.
 */
#ifndef SPOD_TXN_SUMMARY_H
#define SPOD_TXN_SUMMARY_H

#include <stddef.h>
#include <stdint.h>

enum spod_chain {
	SPOD_CHAIN_ETHEREUM = 1,
	SPOD_CHAIN_SOLANA = 2,
};

/* What was decoded; the values are stable (they appear in evidence records and audit). */
enum spod_tx_kind {
	SPOD_TX_ETH_LEGACY = 1,    /* pre-EIP-155 or EIP-155 (chain_id 0 when pre-155) */
	SPOD_TX_ETH_2930 = 2,      /* type 0x01 */
	SPOD_TX_ETH_1559 = 3,      /* type 0x02 */
	SPOD_TX_ETH_4844 = 4,      /* type 0x03, the payload without blobs/commitments/proofs */
	SPOD_TX_ETH_7702 = 5,      /* type 0x04 */
	SPOD_TX_ETH_7702_AUTH = 6, /* an EIP-7702 authorization tuple (0x05 || rlp(...)) */
	SPOD_TX_ETH_EIP191 = 7,    /* EIP-191 personal message (version 0x45) */
	SPOD_TX_ETH_EIP712 = 8,    /* EIP-712 typed data */
	SPOD_TX_SOL_LEGACY = 16,   /* Solana legacy message */
	SPOD_TX_SOL_V0 = 17,       /* Solana v0 message (address lookup tables) */
	/*
	 * A raw digest or raw message sign: nothing was decoded, so only chain (when the key's
	 * algorithm names one) and the bytes in digest/message are meaningful. A policy allows it
	 * only with a rule that lists the "raw" kind (docs/policy.md).
	 */
	SPOD_TX_RAW = 32,
};

/* A view of bytes inside the decoded buffer; len 0 means absent. */
struct spod_view {
	const uint8_t *ptr;
	size_t len;
};

/* An unsigned 256-bit amount, big-endian (wei, token base units, lamports). */
struct spod_u256 {
	uint8_t be[32];
};

enum spod_asset_kind {
	SPOD_ASSET_NATIVE = 1, /* ETH (wei) or SOL (lamports) */
	SPOD_ASSET_TOKEN = 2,  /* ERC-20 or SPL Token / Token-2022 */
};

/*
 * One movement of value. For ERC-20, token is the contract (20 bytes) and to the recipient
 * from the calldata. For SPL, token is the mint when the instruction names it
 * (TransferChecked) and empty otherwise (Transfer names only token accounts), and to is the
 * destination token account; decimals is 0xff when the instruction does not carry it.
 */
struct spod_tx_transfer {
	uint8_t asset; /* enum spod_asset_kind */
	uint8_t decimals;
	struct spod_view token;
	struct spod_view to;
	struct spod_u256 amount;
};

#define SPOD_TX_MAX_TRANSFERS 16
#define SPOD_TX_MAX_PROGRAMS  32
#define SPOD_TX_MAX_DELEGATES 16

/* Flags: what a policy may want to refuse outright. */
#define SPOD_TXF_CONTRACT_CREATE 0x01u /* Ethereum: no `to`, the data is init code */
#define SPOD_TXF_UNKNOWN_CALL    0x02u /* Ethereum: calldata that is not a recognised transfer */
#define SPOD_TXF_UNKNOWN_PROGRAM 0x04u /* Solana: an instruction of an unrecognised program */
#define SPOD_TXF_LOOKUP_TABLES   0x08u /* Solana v0: accounts loaded from lookup tables */

struct spod_tx_summary {
	uint8_t chain; /* enum spod_chain */
	uint8_t kind;  /* enum spod_tx_kind */
	uint32_t flags;
	uint64_t chain_id; /* Ethereum chain id; 0 when the encoding has none (pre-155, EIP-191) */

	struct spod_view from;     /* Solana fee payer (32 bytes); Ethereum: empty (the key's) */
	struct spod_view to;       /* Ethereum `to` (20 bytes), empty for contract creation */
	struct spod_u256 value;    /* Ethereum native value in wei */
	struct spod_view selector; /* first 4 bytes of Ethereum calldata, empty if shorter */
	struct spod_view data;     /* Ethereum calldata; EIP-191 message; empty otherwise */

	/* EIP-712: the domain's name, version, chainId (above) and verifyingContract. */
	struct spod_view domain_name;
	struct spod_view domain_version;
	struct spod_view domain_contract;

	size_t n_transfers;
	struct spod_tx_transfer transfers[SPOD_TX_MAX_TRANSFERS];
	size_t n_programs; /* Solana: each distinct program id invoked (32 bytes each) */
	struct spod_view programs[SPOD_TX_MAX_PROGRAMS];
	size_t n_delegates; /* EIP-7702: each authorization's delegate address (20 bytes) */
	struct spod_view delegates[SPOD_TX_MAX_DELEGATES];

	/*
	 * What the key signs, computed by the decoder from the decoded input, never supplied
	 * by the caller: Ethereum the 32-byte keccak256 signing hash in digest; Solana the
	 * message bytes (Ed25519 signs the message itself) in message.
	 */
	uint8_t digest[32];
	struct spod_view message;
};

#endif
