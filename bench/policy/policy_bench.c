/*
 * spod-bench-policy: the cost of a policy decision (docs/policy.md). A 10-rule policy whose
 * first nine rules do not match (other chain ids, recipients, selectors, kinds, a deny list)
 * and whose tenth allows with max_value, a 24 h window and a rate, against an EIP-1559-like
 * summary. Times spod_policy_eval alone and eval + commit, in ns per call (median of 5 runs
 * of N calls each). Usage: spod-bench-policy [N]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "convert/policy_json.h"
#include "policy/policy.h"
#include "spod/err.h"

static const char policy_json[] =
    "{\"version\":1,\"rules\":["
    "{\"id\":\"r1\",\"effect\":\"deny\",\"to_deny\":["
    "\"0x8589427373D6D84E98730D7795D8f6f8731FDA16\","
    "\"0x722122dF12D4e14e13Ac3b6895a86e84145b6967\"]},"
    "{\"id\":\"r2\",\"effect\":\"allow\",\"chain\":\"solana\"},"
    "{\"id\":\"r3\",\"effect\":\"allow\",\"chain_ids\":[10,137,42161]},"
    "{\"id\":\"r4\",\"effect\":\"allow\",\"kinds\":[\"message\",\"typed_data\"]},"
    "{\"id\":\"r5\",\"effect\":\"allow\",\"selectors\":[\"0x095ea7b3\",\"0x23b872dd\"]},"
    "{\"id\":\"r6\",\"effect\":\"allow\",\"contracts\":["
    "\"0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48\"]},"
    "{\"id\":\"r7\",\"effect\":\"allow\",\"kinds\":[\"authorization\"]},"
    "{\"id\":\"r8\",\"effect\":\"allow\",\"to\":[\"0x71C7656EC7ab88b098defB751B7401B5f6d8976F\"],"
    "\"chain_ids\":[8453]},"
    "{\"id\":\"r9\",\"effect\":\"allow\",\"kinds\":[\"raw\"]},"
    "{\"id\":\"r10\",\"effect\":\"allow\",\"chain\":\"ethereum\",\"kinds\":[\"transaction\"],"
    "\"chain_ids\":[1],\"to\":[\"0x2b5ad5c4795c026514f8317c7a215e218dccd6cf\","
    "\"0xd8dA6BF26964aF9D7eEd9e03E53415D37aA96045\"],\"max_value\":\"1000000000000000000\","
    "\"window\":{\"asset\":\"native\",\"limit\":\"1000000000000000000000000000000\",\"seconds\":"
    "86400},"
    "\"rate\":{\"count\":4000000000,\"seconds\":60}}]}";

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	static uint8_t cbor[SPOD_POLICY_MAX_BYTES];
	static struct spod_policy p;
	static struct spod_policy_state st;
	char err[SPOD_POLICY_JSON_ERR_BYTES];
	size_t len;
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
	static const uint8_t to[20] = {0xd8, 0xda, 0x6b, 0xf2, 0x69, 0x64, 0xaf, 0x9d, 0x7e, 0xed,
	                               0x9e, 0x03, 0xe5, 0x34, 0x15, 0xd3, 0x7a, 0xa9, 0x60, 0x45};
	struct spod_tx_summary tx;
	struct spod_policy_decision d;
	double eval_ns[5], commit_ns[5];

	if (n <= 0)
		return 2;
	if (spod_policy_from_json(cbor, sizeof(cbor), &len, policy_json, strlen(policy_json), err,
	                          sizeof(err)) != SPOD_OK ||
	    spod_policy_load(cbor, len, &p) != SPOD_OK) {
		fprintf(stderr, "policy: %s\n", err);
		return 1;
	}
	memset(&tx, 0, sizeof(tx));
	tx.chain = SPOD_CHAIN_ETHEREUM;
	tx.kind = SPOD_TX_ETH_1559;
	tx.chain_id = 1;
	tx.to.ptr = to;
	tx.to.len = 20;
	tx.value.be[31] = 1;

	for (int run = 0; run < 5; run++) {
		spod_policy_state_init(&st, &p);
		uint64_t t = 1700000000;
		double t0 = now_ns();
		for (long i = 0; i < n; i++)
			if (spod_policy_eval(&p, &st, &tx, t, &d) != SPOD_OK || !d.allowed)
				return 1;
		double t1 = now_ns();
		for (long i = 0; i < n; i++, t += (i % 64) == 0) {
			if (spod_policy_eval(&p, &st, &tx, t, &d) != SPOD_OK || !d.allowed ||
			    spod_policy_commit(&st, &p, &tx, &d, t) != SPOD_OK) {
				fprintf(stderr, "denied at %ld: %s\n", i, d.reason);
				return 1;
			}
		}
		double t2 = now_ns();
		eval_ns[run] = (t1 - t0) / (double)n;
		commit_ns[run] = (t2 - t1) / (double)n;
	}
	qsort(eval_ns, 5, sizeof(double), cmp_double);
	qsort(commit_ns, 5, sizeof(double), cmp_double);
	printf("policy: 10 rules, %zu CBOR bytes, decided by rule %d (%.*s)\n", len, d.rule,
	       (int)d.rule_id.len, (const char *)d.rule_id.ptr);
	printf("eval:          %.0f ns per call (median of 5 x %ld)\n", eval_ns[2], n);
	printf("eval + commit: %.0f ns per call (median of 5 x %ld)\n", commit_ns[2], n);
	return 0;
}
