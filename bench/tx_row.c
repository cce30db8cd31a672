/*
 * The sign.tx rows (docs/policy.md, bench/README.md): an EIP-1559 transfer signed by a
 * secp256k1 key and a Solana System Program transfer signed by an Ed25519 key, one request at
 * a time through libspod -> spod-host -> spod-enclave, first without a policy, then with a
 * 10-rule policy on the key whose first rules do not match (other chains, chain ids, kinds,
 * selectors, a deny list) and whose matching rule has a value limit, a 24 h window and a rate.
 * Next to the raw sign row (b) of the same run, the rows show what decoding and the policy
 * cost per signature. The last answer of each row is checked: the enclave's decoder saw the
 * transfer, and the policy allowed it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "common/hex.h"
#include "convert/base58.h"
#include "convert/policy_json.h"
#include "spod/wire.h"

/* An unsigned EIP-1559 transfer on chain 1 (tests/data/ethereum/ethers.txt, eip1559_native). */
static const char eth_tx_hex[] = "02f2012a847735940085174876e800825208943c44cdddb6a900fa2b585dd299e"
                                 "03d12fa4293bc8a1a249b1f10a06c96aff280c0";
static const char eth_to[] = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
static const uint8_t sol_to[32] = {0x70, 0x61, 0x79, 0x65, 0x65, 1, 2, 3, 4, 5, 6};

/* Ten rules; %s: the Ethereum recipient, then the Solana one (base58). */
static const char policy_fmt[] =
    "{\"version\":1,\"rules\":["
    "{\"id\":\"r1\",\"effect\":\"deny\",\"to_deny\":["
    "\"0x8589427373D6D84E98730D7795D8f6f8731FDA16\"]},"
    "{\"id\":\"r2\",\"effect\":\"allow\",\"chain_ids\":[10,137,42161]},"
    "{\"id\":\"r3\",\"effect\":\"allow\",\"kinds\":[\"message\",\"typed_data\"]},"
    "{\"id\":\"r4\",\"effect\":\"allow\",\"selectors\":[\"0x095ea7b3\",\"0x23b872dd\"]},"
    "{\"id\":\"r5\",\"effect\":\"allow\",\"contracts\":["
    "\"0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48\"]},"
    "{\"id\":\"r6\",\"effect\":\"allow\",\"kinds\":[\"authorization\"]},"
    "{\"id\":\"r7\",\"effect\":\"allow\",\"to\":[\"0x71C7656EC7ab88b098defB751B7401B5f6d8976F\"],"
    "\"chain_ids\":[8453]},"
    "{\"id\":\"r8\",\"effect\":\"allow\",\"kinds\":[\"raw\"],\"chain\":\"solana\","
    "\"rate\":{\"count\":1,\"seconds\":60}},"
    "{\"id\":\"r9\",\"effect\":\"allow\",\"chain\":\"ethereum\",\"kinds\":[\"transaction\"],"
    "\"chain_ids\":[1],\"to\":[\"%s\"],\"max_value\":\"1000000000000000000000000\","
    "\"window\":{\"asset\":\"native\",\"limit\":\"1000000000000000000000000000000000\","
    "\"seconds\":86400},\"rate\":{\"count\":4000000000,\"seconds\":60}},"
    "{\"id\":\"r10\",\"effect\":\"allow\",\"chain\":\"solana\",\"kinds\":[\"transaction\"],"
    "\"programs\":[\"11111111111111111111111111111111\"],\"to\":[\"%s\"],"
    "\"max_value\":\"1000000000000\",\"window\":{\"asset\":\"native\","
    "\"limit\":\"1000000000000000000000\",\"seconds\":86400},"
    "\"rate\":{\"count\":4000000000,\"seconds\":60}}]}";

/* A legacy Solana transfer of 1000 lamports from payer to sol_to, one empty signature. */
static size_t sol_tx(uint8_t *out, const uint8_t payer[32])
{
	size_t n = 0;

	out[n++] = 1; /* one signature */
	memset(out + n, 0, 64);
	n += 64;
	out[n++] = 1; /* required signatures */
	out[n++] = 0; /* read-only signed */
	out[n++] = 1; /* read-only unsigned: the System Program */
	out[n++] = 3; /* accounts */
	memcpy(out + n, payer, 32);
	memcpy(out + n + 32, sol_to, 32);
	memset(out + n + 64, 0, 32); /* System Program: 32 zero bytes */
	n += 96;
	memset(out + n, 0x42, 32); /* recent blockhash */
	n += 32;
	out[n++] = 1; /* instructions */
	out[n++] = 2; /* program: account 2 */
	out[n++] = 2; /* two accounts: 0, 1 */
	out[n++] = 0;
	out[n++] = 1;
	out[n++] = 12; /* data: Transfer (2), lamports u64 */
	memcpy(out + n, "\x02\x00\x00\x00\xe8\x03\x00\x00\x00\x00\x00\x00", 12);
	return n + 12;
}

/* One row: sign.tx one at a time; the last answer must show one transfer. */
static int tx_sync(struct bench_stats *out, struct bench_samples *s, struct spod_client *c,
                   const uint8_t *key_id, uint8_t chain, const uint8_t *tx, size_t tx_len,
                   size_t warmup, size_t n)
{
	static uint8_t signed_tx[SPOD_TX_SIGNED_MAX_BYTES];
	struct spod_tx_info info = {0};
	size_t signed_len;
	int rc;

	memset(out, 0, sizeof(*out));
	s->n = 0;
	for (size_t i = 0; i < warmup + n; i++) {
		uint64_t t0 = bench_now_ns(), t1;

		rc = spod_client_sign_tx(c, &info, signed_tx, sizeof(signed_tx), &signed_len,
		                         key_id, chain, tx, tx_len);
		t1 = bench_now_ns();
		if (rc < 0) {
			fprintf(stderr, "spod-bench: sign.tx: %s (%s)\n", spod_strerror(rc),
			        spod_client_last_error(c));
			return rc;
		}
		if (i >= warmup)
			s->ns[s->n++] = t1 - t0;
	}
	if (info.n_transfers != 1) {
		fprintf(stderr, "spod-bench: sign.tx: the decoder saw %u transfers, not 1\n",
		        (unsigned)info.n_transfers);
		return SPOD_E_PROTOCOL;
	}
	bench_stats_compute(out, s);
	return SPOD_OK;
}

/* The 10-rule policy for these recipients, in its CBOR form. */
static int make_policy(uint8_t *cbor, size_t cap, size_t *len)
{
	char json[sizeof(policy_fmt) + 128], to58[64], err[SPOD_POLICY_JSON_ERR_BYTES];
	int n;

	if (spod_base58_encode(to58, sizeof(to58), sol_to, sizeof(sol_to)) < 0)
		return SPOD_E_INTERNAL;
	n = snprintf(json, sizeof(json), policy_fmt, eth_to, to58);
	if (n < 0 || (size_t)n >= sizeof(json))
		return SPOD_E_INTERNAL;
	if (spod_policy_from_json(cbor, cap, len, json, (size_t)n, err, sizeof(err)) < 0) {
		fprintf(stderr, "spod-bench: the bench policy: %s\n", err);
		return SPOD_E_INTERNAL;
	}
	return SPOD_OK;
}

/* Both rows of one chain: without a policy, then with it. */
static void chain_rows(struct bench_run *r, struct bench_samples *s, struct spod_client *c,
                       int first, uint8_t alg, const uint8_t *cbor, size_t cbor_len)
{
	static uint8_t tx[512];
	struct spod_key_info key;
	size_t tx_len = 0;
	uint8_t chain = alg == SPOD_ALG_SECP256K1 ? SPOD_TX_CHAIN_ETHEREUM : SPOD_TX_CHAIN_SOLANA;
	int rc = spod_client_generate(c, &key, alg);

	if (rc < 0) {
		fprintf(stderr, "spod-bench: sign.tx rows: key: %s\n", spod_strerror(rc));
		r->errors += 2;
		return;
	}
	if (alg == SPOD_ALG_SECP256K1)
		rc = spod_hex_decode(tx, sizeof(tx), &tx_len, eth_tx_hex);
	else
		tx_len = sol_tx(tx, key.pub);
	for (int with = 0; rc == SPOD_OK && with < 2; with++) {
		struct bench_tx_result *t = &r->tx[first + with];

		if (with)
			rc = spod_client_policy_set(c, key.id, cbor, cbor_len, NULL, 0);
		if (rc == SPOD_OK)
			rc = tx_sync(&t->lat, s, c, key.id, chain, tx, tx_len, r->cfg.warmup,
			             r->cfg.n);
		t->have = rc == SPOD_OK;
	}
	if (rc < 0) {
		fprintf(stderr, "spod-bench: sign.tx rows: %s (%s)\n", spod_strerror(rc),
		        spod_client_last_error(c));
		r->errors++;
	}
	if (spod_client_delete(c, key.id) < 0)
		fprintf(stderr, "spod-bench: note: could not delete the sign.tx key\n");
}

void bench_tx_rows(struct bench_run *r, struct bench_samples *s)
{
	static uint8_t cbor[SPOD_POLICY_WIRE_MAX];
	struct spod_client *c = NULL;
	size_t cbor_len = 0;

	r->tx[0].name = "ethereum eip-1559, no policy";
	r->tx[1].name = "ethereum eip-1559, 10-rule policy";
	r->tx[2].name = "solana transfer, no policy";
	r->tx[3].name = "solana transfer, 10-rule policy";
	if (make_policy(cbor, sizeof(cbor), &cbor_len) < 0 ||
	    spod_client_open(&c, r->cfg.uri, getenv("SPOD_TOKEN"), r->cfg.timeout_ms) < 0) {
		fprintf(stderr, "spod-bench: sign.tx rows skipped\n");
		r->errors++;
		return;
	}
	chain_rows(r, s, c, 0, SPOD_ALG_SECP256K1, cbor, cbor_len);
	chain_rows(r, s, c, 2, SPOD_ALG_ED25519, cbor, cbor_len);
	spod_client_close(c);
}

void bench_tx_table(FILE *f, const struct bench_run *r)
{
	fprintf(f, "\n  %-42s%8s%8s%8s%8s  %s\n", "sign.tx sync (t), us", "p50", "p99", "p99.9",
	        "mean", "p50 vs no policy");
	for (int i = 0; i < BENCH_TX_ROWS; i++) {
		const struct bench_tx_result *t = &r->tx[i];
		const struct bench_tx_result *base = &r->tx[i & ~1];

		if (t->name == NULL)
			continue;
		fprintf(f, "  %-42s", t->name);
		if (t->have)
			fprintf(f, "%8.1f%8.1f%8.1f%8.1f", t->lat.p50_us, t->lat.p99_us,
			        t->lat.p999_us, t->lat.mean_us);
		else
			fprintf(f, "%8s%8s%8s%8s", "-", "-", "-", "-");
		if ((i & 1) && t->have && base->have)
			fprintf(f, "  %+.1f us (%+.1f %%)", t->lat.p50_us - base->lat.p50_us,
			        100.0 * (t->lat.p50_us - base->lat.p50_us) / base->lat.p50_us);
		fputc('\n', f);
	}
	fprintf(f, "t = spod_client_sign_tx one at a time: the enclave decodes, (with a policy) "
	           "decides, signs\n    and returns the signed transaction; compare with (b) above "
	           "for a raw sign\n");
}

void bench_tx_json(FILE *f, const struct bench_run *r,
                   void (*stats)(FILE *, int, const struct bench_stats *))
{
	static const char *const keys[BENCH_TX_ROWS] = {"eth_1559", "eth_1559_policy10",
	                                                "sol_transfer", "sol_transfer_policy10"};

	fputs(",\n  \"sign_tx_us\": {", f);
	for (int i = 0; i < BENCH_TX_ROWS; i++) {
		fprintf(f, "%s\"%s\": ", i ? ",\n    " : "", keys[i]);
		stats(f, r->tx[i].have, &r->tx[i].lat);
	}
	fputs("}", f);
}
