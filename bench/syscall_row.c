/*
 * System calls per request (bench/run.sh --trace): a separate pass that is not timed. run.sh
 * attaches `strace -c -f` to spod-host and spod-enclave, runs `spod-bench --syscall-pass`
 * (bench_syscall_pass: N pipelined signs per algorithm), detaches, and runs
 * `spod-bench --syscall-report HOST,ENCLAVE` on the two summaries. The counts include the
 * pass's own key generation and deletion and the host's timers while it runs: a few dozen
 * calls, nothing next to N requests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

int bench_syscall_pass(const struct bench_config *cfg, const struct bench_alg *algs)
{
	struct bench_samples s;
	struct spod_client *c = NULL;
	int rc;

	if (bench_samples_init(&s, cfg->n) < 0)
		return SPOD_E_NOMEM;
	rc = spod_client_open(&c, cfg->uri, getenv("SPOD_TOKEN"), cfg->timeout_ms);
	for (int i = 0; i < BENCH_ALGS && rc == SPOD_OK; i++) {
		struct spod_key_info key;
		struct bench_stats st;
		double sps, secs;

		rc = spod_client_generate(c, &key, algs[i].alg);
		if (rc < 0)
			break;
		rc = bench_pod_pipelined(&sps, &secs, &st, &s, c, &algs[i], &key, cfg->depth, 0,
		                         cfg->n, cfg->timeout_ms);
		if (spod_client_delete(c, key.id) < 0 && rc == SPOD_OK)
			rc = SPOD_E_IO;
	}
	if (rc < 0)
		fprintf(stderr, "spod-bench: syscall pass: %s\n", spod_strerror(rc));
	spod_client_close(c);
	bench_samples_free(&s);
	return rc;
}

#define SYS_TOP 6

struct sys_count {
	char name[32];
	unsigned long calls;
};

/*
 * Reads strace -c's table: "% time seconds usecs/call calls [errors] syscall" rows, then a
 * "total" row. Fills the SYS_TOP most frequent calls into top (sorted) and the total.
 */
static int read_strace(const char *path, struct sys_count top[SYS_TOP], unsigned long *total)
{
	char line[256];
	FILE *f = fopen(path, "r");

	memset(top, 0, SYS_TOP * sizeof(*top));
	*total = 0;
	if (f == NULL) {
		fprintf(stderr, "spod-bench: cannot read %s\n", path);
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *tok[8], *save = NULL, *p;
		int n = 0;
		unsigned long calls;
		int j;

		for (p = strtok_r(line, " \t\n", &save); p != NULL && n < 8;
		     p = strtok_r(NULL, " \t\n", &save))
			tok[n++] = p;
		if (n < 5 || (tok[0][0] < '0' || tok[0][0] > '9'))
			continue;
		calls = strtoul(tok[3], NULL, 10);
		if (strcmp(tok[n - 1], "total") == 0) {
			*total = calls;
			continue;
		}
		for (j = SYS_TOP; j > 0 && top[j - 1].calls < calls; j--)
			if (j < SYS_TOP)
				top[j] = top[j - 1];
		if (j < SYS_TOP) {
			top[j].calls = calls;
			snprintf(top[j].name, sizeof(top[j].name), "%s", tok[n - 1]);
		}
	}
	fclose(f);
	return 0;
}

int bench_syscall_report(FILE *f, const char *host_file, const char *enclave_file, size_t requests)
{
	static const char *const who[2] = {"spod-host", "spod-enclave"};
	static const unsigned hops[2] = {2, 1}; /* client and enclave sides; the host side */
	const char *files[2] = {host_file, enclave_file};
	int rc = 0;

	fprintf(f,
	        "\n  system calls per request, pipelined, %zu requests (strace -c, untimed "
	        "pass; aim <= %.0f per hop)\n",
	        requests, BENCH_AIM_SYSCALLS_PER_HOP);
	for (int k = 0; k < 2; k++) {
		struct sys_count top[SYS_TOP];
		unsigned long total;
		double per;

		if (read_strace(files[k], top, &total) < 0 || total == 0) {
			fprintf(f, "  %-13s no strace summary\n", who[k]);
			rc = -1;
			continue;
		}
		per = (double)total / (double)requests;
		fprintf(f, "  %-13s %6.2f per request, %u hop%s: %.2f per hop %s  (", who[k], per,
		        hops[k], hops[k] > 1 ? "s" : "", per / hops[k],
		        per / hops[k] <= BENCH_AIM_SYSCALLS_PER_HOP ? "PASS" : "MISS");
		for (int j = 0; j < SYS_TOP && top[j].calls > 0; j++)
			fprintf(f, "%s%s %.2f", j ? ", " : "", top[j].name,
			        (double)top[j].calls / (double)requests);
		fputs(")\n", f);
	}
	return rc;
}
