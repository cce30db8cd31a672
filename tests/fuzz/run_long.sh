#!/bin/sh
# The long fuzzing run behind `make fuzz` (docs/testing.md, "Fuzzing"), and `make fuzz-minimize`.
#
#   sh tests/fuzz/run_long.sh [--minimize] BUILD-DIR
#
# Targets and their seed directories come from tests/fuzz/CMakeLists.txt (spod_fuzz_target
# lines); BUILD-DIR is a -DSPOD_FUZZ=ON build whose fuzzers are built.
#
# Run (default): each target alone, one after the other, with -runs=$FUZZ_RUNS (default
# 10000000) and -max_total_time=$FUZZ_CAP seconds (default $FUZZ_BUDGET / number of targets,
# FUZZ_BUDGET default 7200). Each target's working corpus is BUILD-DIR/fuzz-long/corpus/NAME:
# kept between runs, with the committed seeds copied in again before each run. Crash files go
# to BUILD-DIR/fuzz-long/artifacts/NAME/, libFuzzer's output to BUILD-DIR/fuzz-long/logs/.
# From libFuzzer's final lines ("Done N runs in S second(s)" and the last "#N ... cov: X ft: Y
# corp: Z/..." status line) it prints a markdown table and writes it to
# BUILD-DIR/fuzz-report.md. Exit status 1 when any target had a finding (after all ran).
#
# FUZZ_TARGETS="fuzz_a fuzz_b" runs (or minimises) only those; FUZZ_ARGS adds libFuzzer flags
# to every run (e.g. -dict=FILE, -rss_limit_mb=N).
#
# --minimize: for each target, merges its seeds and its working corpus (-merge=1) into a fresh
# directory and adds to tests/fuzz/corpus/CORPUS/ each input of that minimised set that is not
# already a seed; the named seeds are never removed (unit tests and generators rely on them). Every target owns its corpus
# directory (no two share one), so what one target found is never dropped by another's merge.
set -eu

minimize=0
if [ "${1:-}" = "--minimize" ]; then
	minimize=1
	shift
fi
if [ $# -ne 1 ]; then
	echo "usage: $0 [--minimize] BUILD-DIR" >&2
	exit 2
fi
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")" && pwd)
runs=${FUZZ_RUNS:-10000000}
budget=${FUZZ_BUDGET:-7200}
top=$build/fuzz-long
report=$build/fuzz-report.md

# "name corpus" per target, in the order of CMakeLists.txt.
targets=$(sed -n 's/^spod_fuzz_target(\([a-z0-9_]*\) \([a-z0-9_]*\).*/\1 \2/p' \
	"$src/CMakeLists.txt")
shared=$(printf '%s\n' "$targets" | awk '{print $2}' | sort | uniq -d)
if [ -n "$shared" ]; then
	echo "$0: corpus directories used by more than one target: $shared" >&2
	exit 2
fi
if [ -n "${FUZZ_TARGETS:-}" ]; then
	for t in $FUZZ_TARGETS; do
		printf '%s\n' "$targets" | grep -q "^$t " || {
			echo "$0: FUZZ_TARGETS: no target $t" >&2
			exit 2
		}
	done
	pick=" $(echo $FUZZ_TARGETS) "
	targets=$(printf '%s\n' "$targets" | awk -v pick="$pick" 'index(pick, " " $1 " ") > 0')
fi
count=$(printf '%s\n' "$targets" | grep -c .)
if [ "$count" -eq 0 ]; then
	echo "$0: no spod_fuzz_target in $src/CMakeLists.txt" >&2
	exit 2
fi
cap=${FUZZ_CAP:-$((budget / count))}
for t in $(printf '%s\n' "$targets" | awk '{print $1}'); do
	if [ ! -x "$build/tests/fuzz/$t" ]; then
		echo "$0: $build/tests/fuzz/$t is not built (ninja -C $build fuzzers)" >&2
		exit 2
	fi
done

export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
mkdir -p "$top/corpus" "$top/artifacts" "$top/logs"

if [ "$minimize" -eq 1 ]; then
	printf '%s\n' "$targets" | while read -r name corpus; do
		seeds=$src/corpus/$corpus
		work=$top/corpus/$name
		fresh=$top/min/$name
		rm -rf "$fresh"
		mkdir -p "$fresh" "$work"
		"$build/tests/fuzz/$name" -merge=1 -max_len=65536 -timeout=10 ${FUZZ_ARGS:-} \
			"$fresh" "$seeds" \
			"$work" >"$top/logs/$name.merge.log" 2>&1 || {
			echo "$name: merge failed, see $top/logs/$name.merge.log" >&2
			exit 1
		}
		before=$(find "$seeds" -type f | wc -l)
		after=$(find "$fresh" -type f | wc -l)
		if [ "$after" -eq 0 ]; then
			echo "$name: merge kept nothing; $seeds left as it is" >&2
			exit 1
		fi
		# The named seeds stay: unit tests read some of them (test_seal, test_store,
		# test_policy_json, test_txn_eip712) and generator scripts write them. libFuzzer names
		# each merged file by the SHA-1 of its content, so a merged file is new exactly when no
		# seed has that content; only those are added.
		added=0
		known=$(find "$seeds" -type f -exec sha1sum {} + | awk '{print $1}')
		for f in "$fresh"/*; do
			if ! printf '%s\n' "$known" | grep -qx "$(basename "$f")"; then
				cp "$f" "$seeds"/
				added=$((added + 1))
			fi
		done
		echo "$name: tests/fuzz/corpus/$corpus: $before seeds kept, $added inputs added ($after in the minimised set)"
	done
	exit 0
fi

rows=$top/rows
: >"$rows"
findings=0
echo "fuzz: $count targets, one at a time, -runs=$runs, at most $cap s each"
for pair in $(printf '%s\n' "$targets" | tr ' ' ':'); do
	name=${pair%%:*}
	corpus=${pair#*:}
	work=$top/corpus/$name
	art=$top/artifacts/$name
	log=$top/logs/$name.log
	mkdir -p "$work" "$art"
	cp "$src/corpus/$corpus"/* "$work"/
	echo "fuzz: $name ..."
	start=$(date +%s)
	rc=0
	"$build/tests/fuzz/$name" -runs="$runs" -max_total_time="$cap" -max_len=65536 \
		-timeout=10 -print_final_stats=1 -artifact_prefix="$art/" ${FUZZ_ARGS:-} "$work" \
		>"$log" 2>&1 ||
		rc=$?
	wall=$(($(date +%s) - start))
	# One row: target, runs, seconds, exec/s, cov, ft, corpus, result.
	awk -v name="$name" -v rc="$rc" -v wall="$wall" -v want="$runs" -v logf="$log" '
		/^Done [0-9]+ runs in [0-9]+ second/ { done_runs = $2; secs = $5 }
		/^#[0-9]+\t/ {
			last_runs = substr($1, 2)
			for (i = 2; i < NF; i++) {
				if ($i == "cov:") cov = $(i + 1)
				if ($i == "ft:") ft = $(i + 1)
				if ($i == "corp:") { corp = $(i + 1); sub(/\/.*/, "", corp) }
			}
		}
		/^stat::average_exec_per_sec:/ { avg = $2 }
		/Test unit written to / { crash = $NF }
		END {
			n = done_runs != "" ? done_runs : last_runs
			s = secs != "" ? secs : wall
			if (n == "") n = 0
			# libFuzzer rounds to whole seconds: under one, the rate is only a bound.
			rate = avg + 0 > 0 ? avg : (s > 0 ? int(n / s) : (n > 0 ? ">" n : "-"))
			if (rc != 0 || crash != "")
				res = "FINDING: " (crash != "" ? crash : "exit " rc ", see " logf)
			else if (n + 0 >= want + 0)
				res = "ok"
			else
				res = "reached cap"
			printf "| %s | %d | %d | %s | %s | %s | %s | %s |\n", name, n, s, rate,
			       cov == "" ? "-" : cov, ft == "" ? "-" : ft, corp == "" ? "-" : corp, res
		}' "$log" >>"$rows"
	tail -n 1 "$rows"
	case $(tail -n 1 "$rows") in
	*"| FINDING"*) findings=$((findings + 1)) ;;
	esac
done

{
	echo "fuzz run of $(date -u +%Y-%m-%dT%H:%MZ), commit $(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo unknown): -runs=$runs, cap $cap s per target"
	echo
	echo "| target | executions | seconds | exec/s | cov | ft | corpus | result |"
	echo "|---|---:|---:|---:|---:|---:|---:|---|"
	cat "$rows"
} >"$report"
echo
cat "$report"
echo
echo "fuzz: report in $report"
if [ "$findings" -gt 0 ]; then
	echo "fuzz: $findings target(s) with findings" >&2
	exit 1
fi
