/* Machine facts, the printed table and the JSON record of a run. */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

/* Copies the first line of path (without its newline) to out; "" when unreadable. */
static void read_line(char *out, size_t cap, const char *path)
{
	FILE *f = fopen(path, "r");

	out[0] = '\0';
	if (f == NULL)
		return;
	if (fgets(out, (int)cap, f) != NULL)
		out[strcspn(out, "\n")] = '\0';
	fclose(f);
}

static void cpu_model(char *out, size_t cap)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];

	snprintf(out, cap, "unknown");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) != 0 || colon == NULL)
			continue;
		colon += strspn(colon + 1, " \t") + 1;
		colon[strcspn(colon, "\n")] = '\0';
		snprintf(out, cap, "%s", colon);
		break;
	}
	fclose(f);
}

void bench_loadavg(char *out, size_t cap)
{
	int n = 0;

	read_line(out, cap, "/proc/loadavg");
	/* The first three fields: the 1, 5 and 15 minute averages. */
	for (char *p = out; *p != '\0'; p++)
		if (*p == ' ' && ++n == 3) {
			*p = '\0';
			break;
		}
}

/* Sums of the aggregate "cpu" line of /proc/stat: all ticks, and idle + iowait ticks. */
static int cpu_ticks(unsigned long long *total, unsigned long long *idle)
{
	unsigned long long v[8] = {0};
	FILE *f = fopen("/proc/stat", "r");
	int n;

	if (f == NULL)
		return -1;
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
	           &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n < 5)
		return -1;
	*total = 0;
	for (int i = 0; i < 8; i++)
		*total += v[i];
	*idle = v[3] + v[4];
	return 0;
}

double bench_busy_pct(int window_ms)
{
	unsigned long long t0, i0, t1, i1;
	struct timespec ts = {window_ms / 1000, (long)(window_ms % 1000) * 1000000L};

	if (cpu_ticks(&t0, &i0) < 0)
		return -1;
	nanosleep(&ts, NULL);
	if (cpu_ticks(&t1, &i1) < 0 || t1 <= t0)
		return -1;
	return 100.0 * (double)((t1 - t0) - (i1 - i0)) / (double)(t1 - t0);
}

static void affinity(char *out, size_t cap)
{
	cpu_set_t set;
	size_t len = 0;

	out[0] = '\0';
	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return;
	for (int cpu = 0; cpu < CPU_SETSIZE && len + 8 < cap; cpu++)
		if (CPU_ISSET(cpu, &set))
			len += (size_t)snprintf(out + len, cap - len, "%s%d", len ? "," : "", cpu);
}

void bench_machine_probe(struct bench_machine *m)
{
	struct utsname u;

	m->nproc = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_model(m->cpu_model, sizeof(m->cpu_model));
	if (uname(&u) == 0)
		snprintf(m->kernel, sizeof(m->kernel), "%s %s %s", u.sysname, u.release, u.machine);
	read_line(m->clocksource, sizeof(m->clocksource),
	          "/sys/devices/system/clocksource/clocksource0/current_clocksource");
	bench_loadavg(m->loadavg_start, sizeof(m->loadavg_start));
	affinity(m->bench_cpus, sizeof(m->bench_cpus));
	m->clock_overhead_ns = bench_clock_overhead_ns();
	m->busy_pct_start = bench_busy_pct(500);
}

/*
 * The raw round trip standing for the hop between CPUs a and b: when the pod is pinned the
 * one-CPU or two-CPU measurement, else the scheduler-placed one. Returns 0 if not measured.
 */
static int hop_rtt(double *out, const struct bench_run *r, int a, int b, int spin_kind)
{
	int k = BENCH_RAW_SCHED;

	if (r->cfg.pinned)
		k = a == b ? BENCH_RAW_SAME_CPU : BENCH_RAW_TWO_CPUS;
	if (r->cfg.spin_us[0] > 0 || r->cfg.spin_us[1] > 0)
		k = spin_kind; /* the hop with the pod's spin, placed as the pod */
	*out = r->raw[k].p50_us;
	return r->have_raw[k];
}

void bench_derive(struct bench_run *r)
{
	const int *l = r->cfg.layout;

	r->have_hops = hop_rtt(&r->hop_us[0], r, l[0], l[1], BENCH_RAW_SPIN_CH) &&
	               hop_rtt(&r->hop_us[1], r, l[1], l[2], BENCH_RAW_SPIN_HE);
	for (int i = 0; i < BENCH_ALGS; i++) {
		struct bench_alg_result *a = &r->alg[i];

		if (a->have_inproc) {
			a->inproc_rate = 1e6 / a->inproc.mean_us;
			if (r->have_hops)
				a->floor_us = a->inproc.p50_us + r->hop_us[0] + r->hop_us[1];
		}
		if (a->have_pod) {
			a->tail_ratio = a->pod.p99_us / a->pod.p50_us;
			if (a->floor_us > 0)
				a->floor_ratio = a->pod.p50_us / a->floor_us;
		}
		if (a->have_pipe && a->have_inproc)
			a->pipe_pct = 100.0 * a->pipe_sps / a->inproc_rate;
		if (a->have_http) {
			a->http_tail_ratio = a->http.p99_us / a->http.p50_us;
			if (a->floor_us > 0)
				a->http_floor_ratio = a->http.p50_us / a->floor_us;
			if (a->have_pod)
				a->http_pod_ratio = a->http.p50_us / a->pod.p50_us;
		}
	}
}

/* ---- table ---- */

/* Returns the marker and counts it. */
static const char *mark(int pass, int *npass, int *nmiss)
{
	++*(pass ? npass : nmiss);
	return pass ? "PASS" : "MISS";
}

static void cell(FILE *f, int have, double v, int width, int prec)
{
	if (have)
		fprintf(f, "%*.*f", width, prec, v);
	else
		fprintf(f, "%*s", width, "-");
}

static void ref_row(FILE *f, const char *name, int have, const struct bench_stats *s)
{
	fprintf(f, "  %-42s", name);
	cell(f, have, s->p50_us, 8, 1);
	cell(f, have, s->p99_us, 8, 1);
	cell(f, have, s->p999_us, 8, 1);
	cell(f, have, s->mean_us, 8, 1);
	fputc('\n', f);
}

/*
 * The HTTP row (h) under the main table, against the same floor as (b) and against (b)
 * itself. No aims: the aims are the binary path's.
 */
static void http_table(FILE *f, const struct bench_run *r)
{
	char title[96];

	fprintf(f, "\n%-17s%-24s%8s  %-12s  %-12s  %s\n", "", "HTTP sync (h), us", "floor",
	        "h p50/floor", "h p99/h p50", "h p50/b p50");
	fprintf(f, "%-17s%8s%8s%8s%8s\n", "algorithm", "p50", "p99", "p99.9", "us");
	for (int i = 0; i < BENCH_ALGS; i++) {
		const struct bench_alg_result *a = &r->alg[i];

		snprintf(title, sizeof(title), "%s/%s", a->alg->name, a->alg->mode_name);
		fprintf(f, "%-17s", title);
		cell(f, a->have_http, a->http.p50_us, 8, 1);
		cell(f, a->have_http, a->http.p99_us, 8, 1);
		cell(f, a->have_http, a->http.p999_us, 8, 1);
		cell(f, a->floor_us > 0, a->floor_us, 8, 1);
		fputs("  ", f);
		cell(f, a->have_http && a->floor_us > 0, a->http_floor_ratio, 7, 2);
		fprintf(f, "%7s", "");
		cell(f, a->have_http, a->http_tail_ratio, 7, 2);
		fprintf(f, "%7s", "");
		cell(f, a->have_http && a->have_pod, a->http_pod_ratio, 7, 2);
		fputc('\n', f);
	}
	fprintf(f,
	        "h = POST /v1/keys/{id}/sign to %s, one at a time on one keep-alive\n"
	        "    HTTP/1.1 connection: (b)'s path plus JSON, HTTP parsing and two thread "
	        "hand-offs\n    in the host (HTTP thread -> executor -> event loop through an "
	        "in-process channel)\n",
	        r->cfg.http_url);
}

/* The pipelined aim: more than one enclave thread must beat one core (issue 14). */
static double pipe_aim(const struct bench_config *c)
{
	return c->enclave_threads > 1 ? BENCH_AIM_PIPE_PCT_THREADS : BENCH_AIM_PIPE_PCT;
}

/* One algorithm's row of the main table; counts its aims in *pass / *miss. */
static void alg_row(FILE *f, const struct bench_alg_result *a, double pipe_pct_aim, int *pass,
                    int *miss)
{
	char title[96];
	int have_floor = a->have_pod && a->floor_us > 0;

	snprintf(title, sizeof(title), "%s/%s", a->alg->name, a->alg->mode_name);
	fprintf(f, "%-17s", title);
	cell(f, a->have_inproc, a->inproc.p50_us, 8, 1);
	cell(f, a->have_inproc, a->inproc.p99_us, 8, 1);
	cell(f, a->have_inproc, a->inproc.p999_us, 8, 1);
	cell(f, a->have_pod, a->pod.p50_us, 8, 1);
	cell(f, a->have_pod, a->pod.p99_us, 8, 1);
	cell(f, a->have_pod, a->pod.p999_us, 8, 1);
	cell(f, a->floor_us > 0, a->floor_us, 8, 1);
	fputs("  ", f);
	cell(f, have_floor, a->floor_ratio, 7, 2);
	fprintf(f, " %-4s  ",
	        have_floor ? mark(a->floor_ratio <= BENCH_AIM_FLOOR_RATIO, pass, miss) : "");
	cell(f, a->have_pod, a->tail_ratio, 7, 2);
	fprintf(f, " %-4s  ",
	        a->have_pod ? mark(a->tail_ratio <= BENCH_AIM_TAIL_RATIO, pass, miss) : "");
	cell(f, a->have_pipe, a->pipe_sps, 9, 0);
	fputc(' ', f);
	cell(f, a->have_inproc, a->inproc_rate, 9, 0);
	fputc(' ', f);
	cell(f, a->have_pipe && a->have_inproc, a->pipe_pct, 6, 1);
	fprintf(f, "%s %s\n", a->have_pipe && a->have_inproc ? "%" : " ",
	        a->have_pipe && a->have_inproc ? mark(a->pipe_pct >= pipe_pct_aim, pass, miss)
	                                       : "");
}

void bench_print_table(FILE *f, const struct bench_run *r)
{
	const struct bench_machine *m = &r->machine;
	int pass = 0, miss = 0;
	char title[96];

	fprintf(f, "\nspod-bench %s: N=%zu per row, warm-up %zu, %ld CPUs (%s), %s, commit %s",
	        r->timestamp, r->cfg.n, r->cfg.warmup, m->nproc, m->cpu_model, m->kernel,
	        r->cfg.commit ? r->cfg.commit : "unknown");
	fprintf(f,
	        "\n  enclave threads: %u; pinning: %s; clocksource %s, clock_gettime %.0f ns; load "
	        "%s -> %s; "
	        "CPUs busy before/after: %.0f %% / %.0f %%\n",
	        r->cfg.enclave_threads, r->cfg.label ? r->cfg.label : "none", m->clocksource,
	        m->clock_overhead_ns, m->loadavg_start, m->loadavg_end, m->busy_pct_start,
	        m->busy_pct_end);
	if (m->busy_pct_start > BENCH_BUSY_WARN_PCT || m->busy_pct_end > BENCH_BUSY_WARN_PCT)
		fprintf(f, "  WARNING: other work was using the CPUs around this run; its numbers "
		           "are not comparable with a quiet machine's\n");
	fputc('\n', f);

	fprintf(f, "  %-42s%8s%8s%8s%8s  (us)\n", "reference rows", "p50", "p99", "p99.9", "mean");
	snprintf(title, sizeof(title), "raw unix RTT %u B, scheduler-placed", BENCH_RAW_BYTES);
	ref_row(f, title, r->have_raw[BENCH_RAW_SCHED], &r->raw[BENCH_RAW_SCHED]);
	snprintf(title, sizeof(title), "raw unix RTT %u B, one CPU (0+0)", BENCH_RAW_BYTES);
	ref_row(f, title, r->have_raw[BENCH_RAW_SAME_CPU], &r->raw[BENCH_RAW_SAME_CPU]);
	snprintf(title, sizeof(title), "raw unix RTT %u B, two CPUs (0+1)", BENCH_RAW_BYTES);
	ref_row(f, title, r->have_raw[BENCH_RAW_TWO_CPUS], &r->raw[BENCH_RAW_TWO_CPUS]);
	if (r->cfg.spin_us[0] > 0 || r->cfg.spin_us[1] > 0) {
		snprintf(title, sizeof(title), "raw RTT client-host, spin 0/%u us",
		         r->cfg.spin_us[0]);
		ref_row(f, title, r->have_raw[BENCH_RAW_SPIN_CH], &r->raw[BENCH_RAW_SPIN_CH]);
		snprintf(title, sizeof(title), "raw RTT host-enclave, spin %u/%u us",
		         r->cfg.spin_us[0], r->cfg.spin_us[1]);
		ref_row(f, title, r->have_raw[BENCH_RAW_SPIN_HE], &r->raw[BENCH_RAW_SPIN_HE]);
	}
	snprintf(title, sizeof(title), "pod ECHO %u B, libspod->host->enclave", BENCH_ECHO_BYTES);
	ref_row(f, title, r->have_echo, &r->echo);

	fprintf(f, "\n%-17s%-24s%-24s%8s  %-12s  %-12s  pipelined (c), %zu in flight\n", "",
	        "in-process (a), us", "pod sync (b), us", "floor", "b p50/floor", "b p99/b p50",
	        r->cfg.depth);
	fprintf(f, "%-17s%8s%8s%8s%8s%8s%8s%8s  %-12s  %-12s  %9s %9s %7s\n", "algorithm", "p50",
	        "p99", "p99.9", "p50", "p99", "p99.9", "us", "aim <= 1.2", "aim <= 2.0", "sig/s",
	        "in-proc/s", r->cfg.enclave_threads > 1 ? "% (>=130)" : "% (>=80)");
	for (int i = 0; i < BENCH_ALGS; i++)
		alg_row(f, &r->alg[i], pipe_aim(&r->cfg), &pass, &miss);
	if ((r->cfg.rows & BENCH_ROW_HTTP) && r->cfg.http_url != NULL)
		http_table(f, r);
	if ((r->cfg.rows & BENCH_ROW_TX) && r->cfg.uri != NULL)
		bench_tx_table(f, r);
	if (r->cfg.rows & BENCH_ROW_EV)
		bench_evidence_table(f, r);
	bench_peer_table(f, r, &pass, &miss);
	if (!r->have_hops)
		fputs("\nfloor = in-process p50 + 2 x raw RTT p50 (raw rows not run)", f);
	else if (r->cfg.pinned)
		fprintf(f,
		        "\nfloor = in-process p50 + raw RTT p50 of each hop as pinned "
		        "(client-host %.1f + host-enclave %.1f us)",
		        r->hop_us[0], r->hop_us[1]);
	else
		fprintf(f, "\nfloor = in-process p50 + 2 x raw RTT p50 (scheduler-placed, %.1f us)",
		        r->hop_us[0]);
	if (r->have_hops && (r->cfg.spin_us[0] > 0 || r->cfg.spin_us[1] > 0))
		fprintf(f, " [per-hop raw rows with the pod's spin: host %u us, enclave %u us]",
		        r->cfg.spin_us[0], r->cfg.spin_us[1]);
	fprintf(f,
	        "; in-proc/s = 1e6 / in-process mean (one core).\naims: %d PASS, %d MISS (marks "
	        "only; they never change the exit "
	        "status)%s\n",
	        pass, miss, r->errors ? "; SOME ROWS FAILED, see above" : "");
	bench_trace_table(f, r);
}

/* ---- JSON ---- */

static void json_str(FILE *f, const char *s)
{
	if (s == NULL) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void json_stats(FILE *f, int have, const struct bench_stats *s)
{
	if (!have) {
		fputs("null", f);
		return;
	}
	fprintf(f,
	        "{\"n\": %zu, \"min\": %.3f, \"mean\": %.3f, \"p50\": %.3f, \"p90\": %.3f, "
	        "\"p99\": %.3f, \"p99_9\": %.3f, \"max\": %.3f",
	        s->n, s->min_us, s->mean_us, s->p50_us, s->p90_us, s->p99_us, s->p999_us,
	        s->max_us);
	/* The full histogram: counts[i] is [lo_us * 10^(i / per_decade), the next edge). */
	fprintf(f,
	        ",\n        \"hist\": {\"lo_us\": 1, \"per_decade\": %d, \"under\": %u, "
	        "\"over\": %u, \"counts\": [",
	        BENCH_HIST_PER_DECADE, s->hist_under, s->hist_over);
	for (int b = 0; b < BENCH_HIST_BUCKETS; b++)
		fprintf(f, "%s%u", b ? "," : "", s->hist[b]);
	fputs("]}}", f);
}

static void json_num(FILE *f, int have, double v)
{
	if (have)
		fprintf(f, "%.4f", v);
	else
		fputs("null", f);
}

static void json_aim(FILE *f, const char *name, const char *rule, double target, int have,
                     double value, int pass, int last)
{
	fprintf(f, "        \"%s\": {\"rule\": ", name);
	json_str(f, rule);
	fprintf(f, ", \"target\": %.2f, \"value\": ", target);
	json_num(f, have, value);
	fprintf(f, ", \"pass\": %s}%s\n", have ? (pass ? "true" : "false") : "null",
	        last ? "" : ",");
}

static void json_alg(FILE *f, const struct bench_run *r, const struct bench_alg_result *a, int last)
{
	int have_floor = a->have_pod && a->floor_us > 0;
	int have_pct = a->have_pipe && a->have_inproc;

	fputs("    {\n      \"algorithm\": ", f);
	json_str(f, a->alg->name);
	fputs(", \"mode\": ", f);
	json_str(f, a->alg->mode_name);
	fprintf(f, ", \"message_bytes\": %u,\n      \"in_process_us\": ", BENCH_MSG_BYTES);
	json_stats(f, a->have_inproc, &a->inproc);
	fputs(",\n      \"pod_sync_us\": ", f);
	json_stats(f, a->have_pod, &a->pod);
	fputs(",\n      \"http_sync_us\": ", f);
	json_stats(f, a->have_http, &a->http);
	fprintf(f, ",\n      \"pipelined\": {\"depth\": %zu, \"seconds\": ", r->cfg.depth);
	json_num(f, a->have_pipe, a->pipe_seconds);
	fputs(", \"signatures_per_s\": ", f);
	json_num(f, a->have_pipe, a->pipe_sps);
	fputs(", \"latency_us\": ", f);
	json_stats(f, a->have_pipe, &a->pipe_lat);
	fputs("},\n      \"in_process_rate_per_s\": ", f);
	json_num(f, a->have_inproc, a->inproc_rate);
	fputs(", \"floor_us\": ", f);
	json_num(f, a->floor_us > 0, a->floor_us);
	fputs(",\n      \"pod_p50_over_floor\": ", f);
	json_num(f, have_floor, a->floor_ratio);
	fputs(", \"pod_p99_over_p50\": ", f);
	json_num(f, a->have_pod, a->tail_ratio);
	fputs(", \"pipelined_pct_of_in_process\": ", f);
	json_num(f, have_pct, a->pipe_pct);
	fputs(",\n      \"http_p50_over_floor\": ", f);
	json_num(f, a->have_http && a->floor_us > 0, a->http_floor_ratio);
	fputs(", \"http_p99_over_p50\": ", f);
	json_num(f, a->have_http, a->http_tail_ratio);
	fputs(", \"http_p50_over_pod_p50\": ", f);
	json_num(f, a->have_http && a->have_pod, a->http_pod_ratio);
	fputs(",\n      \"aims\": {\n", f);
	json_aim(f, "latency", "pod p50 <= 1.2 x floor", BENCH_AIM_FLOOR_RATIO, have_floor,
	         a->floor_ratio, a->floor_ratio <= BENCH_AIM_FLOOR_RATIO, 0);
	json_aim(f, "tail", "pod p99 <= 2 x pod p50", BENCH_AIM_TAIL_RATIO, a->have_pod,
	         a->tail_ratio, a->tail_ratio <= BENCH_AIM_TAIL_RATIO, 0);
	json_aim(f, "throughput",
	         r->cfg.enclave_threads > 1 ? "pipelined >= 130 % of in-process rate"
	                                    : "pipelined >= 80 % of in-process rate",
	         pipe_aim(&r->cfg), have_pct, a->pipe_pct, a->pipe_pct >= pipe_aim(&r->cfg), 1);
	fprintf(f, "      }\n    }%s\n", last ? "" : ",");
}

static void json_run(FILE *f, const struct bench_run *r)
{
	const struct bench_machine *m = &r->machine;

	fputs("{\n  \"schema\": 1,\n  \"timestamp\": ", f);
	json_str(f, r->timestamp);
	fprintf(f, ",\n  \"config\": {\"n\": %zu, \"warmup\": %zu, \"depth\": %zu, \"uri\": ",
	        r->cfg.n, r->cfg.warmup, r->cfg.depth);
	json_str(f, r->cfg.uri);
	fputs(", \"http_url\": ", f);
	json_str(f, r->cfg.http_url);
	fprintf(f, ", \"enclave_threads\": %u", r->cfg.enclave_threads);
	fputs(", \"pinning\": ", f);
	if (r->cfg.pinned)
		fprintf(f, "{\"client\": %d, \"host\": %d, \"enclave\": %d}", r->cfg.layout[0],
		        r->cfg.layout[1], r->cfg.layout[2]);
	else
		fputs("null", f);
	fprintf(f, ", \"all_rows\": %s, \"raw_bytes\": %u, \"echo_bytes\": %u},\n",
	        r->cfg.rows == BENCH_ROW_ALL ? "true" : "false", BENCH_RAW_BYTES, BENCH_ECHO_BYTES);
	fprintf(f, "  \"machine\": {\"nproc\": %ld, \"cpu_model\": ", m->nproc);
	json_str(f, m->cpu_model);
	fputs(", \"kernel\": ", f);
	json_str(f, m->kernel);
	fputs(", \"clocksource\": ", f);
	json_str(f, m->clocksource);
	fprintf(f, ", \"clock_gettime_ns\": %.1f,\n              \"bench_cpus\": ",
	        m->clock_overhead_ns);
	json_str(f, m->bench_cpus);
	fputs(", \"loadavg_start\": ", f);
	json_str(f, m->loadavg_start);
	fputs(", \"loadavg_end\": ", f);
	json_str(f, m->loadavg_end);
	fprintf(f, ",\n              \"busy_pct_start\": %.1f, \"busy_pct_end\": %.1f",
	        m->busy_pct_start, m->busy_pct_end);
	fputs(", \"git_commit\": ", f);
	json_str(f, r->cfg.commit);
	fputs("},\n  \"raw_unix_rtt_us\": {\"scheduler_placed\": ", f);
	json_stats(f, r->have_raw[BENCH_RAW_SCHED], &r->raw[BENCH_RAW_SCHED]);
	fputs(",\n    \"one_cpu\": ", f);
	json_stats(f, r->have_raw[BENCH_RAW_SAME_CPU], &r->raw[BENCH_RAW_SAME_CPU]);
	fputs(",\n    \"two_cpus\": ", f);
	json_stats(f, r->have_raw[BENCH_RAW_TWO_CPUS], &r->raw[BENCH_RAW_TWO_CPUS]);
	fprintf(f, ",\n    \"spin_us\": {\"host\": %u, \"enclave\": %u}, \"spin_client_host\": ",
	        r->cfg.spin_us[0], r->cfg.spin_us[1]);
	json_stats(f, r->have_raw[BENCH_RAW_SPIN_CH], &r->raw[BENCH_RAW_SPIN_CH]);
	fputs(",\n    \"spin_host_enclave\": ", f);
	json_stats(f, r->have_raw[BENCH_RAW_SPIN_HE], &r->raw[BENCH_RAW_SPIN_HE]);
	fputs("},\n  \"floor_hops_us\": ", f);
	if (r->have_hops)
		fprintf(f, "{\"client_host\": %.3f, \"host_enclave\": %.3f, \"basis\": \"%s\"}",
		        r->hop_us[0], r->hop_us[1],
		        r->cfg.pinned ? "pinned layout" : "scheduler-placed");
	else
		fputs("null", f);
	fputs(",\n  \"pod_echo_us\": ", f);
	json_stats(f, r->have_echo, &r->echo);
	fputs(",\n  \"algorithms\": [\n", f);
	for (int i = 0; i < BENCH_ALGS; i++)
		json_alg(f, r, &r->alg[i], i == BENCH_ALGS - 1);
	fputs("  ]", f);
	bench_tx_json(f, r, json_stats);
	bench_evidence_json(f, r, json_stats);
	bench_peer_json(f, r, json_stats);
	fprintf(f, ",\n  \"errors\": %d\n}\n", r->errors);
}

/* mkdir -p, mode 0755. */
static int make_dirs(const char *dir)
{
	char path[4096];
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof(path))
		return -1;
	memcpy(path, dir, len + 1);
	for (char *p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(path, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

/* Writes the record to dir/name through a temporary file, so readers never see half. */
static int write_one(const struct bench_run *r, const char *dir, const char *name)
{
	char tmp[4200], dst[4200];
	FILE *f;
	int bad;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name) >= sizeof(tmp) ||
	    (size_t)snprintf(dst, sizeof(dst), "%s/%s", dir, name) >= sizeof(dst))
		return -1;
	f = fopen(tmp, "w");
	if (f == NULL)
		return -1;
	json_run(f, r);
	bad = ferror(f);
	if (fclose(f) != 0 || bad || rename(tmp, dst) < 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

int bench_write_json(const struct bench_run *r)
{
	int complete = r->cfg.rows == BENCH_ROW_ALL && r->cfg.uri != NULL &&
	               r->cfg.http_url != NULL && r->errors == 0;
	char name[64];

	if (make_dirs(r->cfg.out_dir) < 0) {
		fprintf(stderr, "spod-bench: cannot create %s: %s\n", r->cfg.out_dir,
		        strerror(errno));
		return -1;
	}
	snprintf(name, sizeof(name), "%s.json", r->timestamp);
	/* latest.json is the last complete, error-free run only. */
	if (write_one(r, r->cfg.out_dir, name) < 0 ||
	    (complete && write_one(r, r->cfg.out_dir, "latest.json") < 0)) {
		fprintf(stderr, "spod-bench: cannot write results to %s\n", r->cfg.out_dir);
		return -1;
	}
	printf("results: %s/%s%s\n", r->cfg.out_dir, name,
	       complete ? " (and latest.json)" : " (incomplete run: latest.json left alone)");
	return 0;
}
