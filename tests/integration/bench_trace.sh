#!/usr/bin/env bash
# The trace build of the benchmark (bench/README.md, "Trace build"; issue 14): a normal build
# carries no trace code at all, and a -DSPOD_TRACE=ON build driven by bench/run.sh --trace
# prints where the time of a sync sign goes, heap allocations and system calls per request,
# with the pod's loops spinning (--spin-us) and the raw rows that spin alike. The trace build
# is made here, once, in SPOD_BIN/trace-test (a Debug build of the five targets it needs:
# about a minute the first time, seconds after); the run itself uses tiny counts. Speed is
# never asserted: only that every table is there and whole.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

# 1. Off (the default): no trace symbol in any binary, and spod-bench refuses --trace.
if ! grep -q '^SPOD_TRACE:BOOL=ON' "$SPOD_BIN/CMakeCache.txt"; then
	for b in spod-host spod-enclave spod bench/spod-bench libspod.so; do
		[[ -e $SPOD_BIN/$b ]] || fail "$SPOD_BIN/$b not built"
		syms=$(nm "$SPOD_BIN/$b" 2>/dev/null; nm -D "$SPOD_BIN/$b" 2>/dev/null) || true
		[[ $syms == *"T spod_"* ]] || fail "cannot read the symbols of $b"
		[[ $syms != *spod_trace* ]] || fail "$b has trace code in a build without SPOD_TRACE"
	done
	expect_exit 2 "$SPOD_BIN/bench/spod-bench" --trace
	[[ $ERR == *"-DSPOD_TRACE=ON"* ]] || fail "spod-bench --trace in a normal build: $ERR"
fi

# 2. The spin option's bounds, in both daemons.
expect_exit 2 "$SPOD_ENCLAVE" --listen "$ENCLAVE_URI" --spin-us 10001
[[ $ERR == *"--spin-us must be 0..10000"* ]] || fail "enclave --spin-us 10001: $ERR"
expect_exit 2 "$SPOD_HOST" --spin-us 10001
[[ $ERR == *"spin-us"* ]] || fail "host --spin-us 10001: $ERR"

# 3. A trace build, and one run of bench/run.sh --trace against it.
TB=$SPOD_BIN/trace-test
log "trace build in $TB"
cmake -S "$SPOD_SRC" -B "$TB" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSPOD_TRACE=ON \
	>"$T_DIR/cmake.log" 2>&1 || { cat "$T_DIR/cmake.log" >&2; fail "cmake"; }
nice ninja -C "$TB" spod spod-host spod-enclave spod-bench alloc_count >"$T_DIR/ninja.log" 2>&1 ||
	{ tail -n 30 "$T_DIR/ninja.log" >&2; fail "the trace build failed"; }
[[ $(nm "$TB/spod-host") == *spod_trace_mark* ]] || fail "the trace build has no trace code"

log "bench/run.sh --trace"
TMPDIR=$T_DIR "$SPOD_SRC/bench/run.sh" "$TB" --trace --spin-us 20,30 --syscall-n 30 \
	--rows raw --n 60 --warmup 10 --out "$T_DIR/results" >"$T_DIR/bench.out" 2>"$T_DIR/bench.err" ||
	{ cat "$T_DIR/bench.err" "$T_DIR/bench.out" >&2; fail "bench/run.sh --trace failed"; }
OUT=$(<"$T_DIR/bench.out")
for want in "where the time of one sync sign goes" "client -> host" "host admission" \
	"host -> enclave" "enclave decode + sign" "enclave -> host" "audit commit wait" \
	"host -> client" "median end to end" "heap allocations per request" \
	"raw RTT client-host, spin 0/20 us" "raw RTT host-enclave, spin 20/30 us"; do
	[[ $OUT == *"$want"* ]] || { echo "$OUT" >&2; fail "no '$want' in the output"; }
done
# Every sync request was seen by all three processes and joined.
grep -q "requests (complete/seen) *60/60 *60/60 *60/60" <<<"$OUT" ||
	{ echo "$OUT" >&2; fail "not every algorithm's requests joined"; }
# The allocation counter was preloaded: numbers, not "-".
grep -Eq "^  ed25519 +[0-9]+\.[0-9]+ (PASS|MISS) +[0-9]+\.[0-9]+ (PASS|MISS)" <<<"$OUT" ||
	{ echo "$OUT" >&2; fail "no allocation counts"; }
if command -v strace >/dev/null; then
	grep -Eq "spod-host +[0-9]+\.[0-9]+ per request" <<<"$OUT" &&
		grep -Eq "spod-enclave +[0-9]+\.[0-9]+ per request" <<<"$OUT" ||
		{ echo "$OUT" >&2; fail "no system-call table"; }
fi
log "ok"
