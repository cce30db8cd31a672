#!/usr/bin/env bash
# `make bench`, vsock rows: the round trip over real AF_VSOCK and the full sign path, next
# to the same paths over unix sockets, all measured inside one QEMU guest (the tests/vsock
# guest in bench mode, tests/vsock/bench-init.sh + vsock_bench).
#
#   bench/vsock.sh BUILD_DIR [--n N] [--warmup N]
#
# Builds nothing but the guest: BUILD_DIR must hold spod-enclave, spod-host, spod and
# tests/vsock_* (the Makefile builds it first; `make bench` uses the Release build). The
# guest is assembled in BUILD_DIR/vsock-bench/ with tests/vsock/build-guest.sh (kernel
# package cache shared with the ctest's BUILD_DIR/vsock/kernel unless SPOD_VSOCK_CACHE is
# set) and booted with tests/vsock/run-guest.sh, bounded by SPOD_VSOCK_TIMEOUT (300 s).
# N timed requests per row (default 2000), after the warm-up (default 200).
#
# Prints a table, writes bench/results/<UTC timestamp>-vsock.json and adds the same object
# as "vsock_guest" to bench/results/latest.json when that file exists. Under emulation
# absolute times are slow; the ratios to the unix rows are what counts.
# This machine's vsock is never used: only the guest opens AF_VSOCK sockets.
set -euo pipefail

usage() { sed -n '2,19s/^# \{0,1\}//p' "$0" >&2; exit 2; }
[ $# -ge 1 ] || usage
build=$1; shift
n=2000 warmup=200
while [ $# -gt 0 ]; do
	case $1 in
	--n) n=${2:?}; shift 2 ;;
	--n=*) n=${1#--n=}; shift ;;
	--warmup) warmup=${2:?}; shift 2 ;;
	--warmup=*) warmup=${1#--warmup=}; shift ;;
	*) usage ;;
	esac
done
[[ $n =~ ^[1-9][0-9]*$ && $warmup =~ ^[0-9]+$ ]] || usage
root=$(cd "$(dirname "$0")/.." && pwd)
case $build in /*) ;; *) build=$root/$build ;; esac
out=$build/vsock-bench
results_dir=$root/bench/results
limit=${SPOD_VSOCK_TIMEOUT:-300}
PASS_CODE=107 # isa-debug-exit: (0x35 << 1) | 1

say() { printf '[bench/vsock %s] %s\n' "$(date +%T)" "$*" >&2; }
die() {
	say "ERROR: $*"
	exit 1
}

for b in spod-enclave spod-host spod tests/vsock_bench; do
	[ -x "$build/$b" ] || die "$build/$b is missing; build first (make bench)"
done
command -v python3 >/dev/null || die "python3 is missing (scripts/install-deps.sh)"

mkdir -p "$out" "$results_dir"
exec 9>"$out/.lock"
flock -w 600 9 || die "another run holds $out/.lock"

commit=$(git -C "$root" rev-parse --short=12 HEAD 2>/dev/null || true)
if [ -n "$commit" ] && [ -n "$(git -C "$root" --no-optional-locks status --porcelain \
	--untracked-files=no 2>/dev/null)" ]; then
	commit="$commit-dirty"
fi

console=$out/console.log
results=$out/results.log
rm -f "$console" "$results"
clean() { tr -d '\r' <"$1" | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1bc//g'; }

t0=$SECONDS
say "building the guest in $out ($n requests per row)"
SPOD_BIN=$build SPOD_SRC=$root SPOD_VSOCK_MODE=bench SPOD_VSOCK_BENCH_N=$n \
	SPOD_VSOCK_BENCH_WARMUP=$warmup SPOD_VSOCK_CACHE=${SPOD_VSOCK_CACHE:-$build/vsock/kernel} \
	bash "$root/tests/vsock/build-guest.sh" "$out" || die "could not build the guest"

say "booting QEMU (tcg, bounded by $limit s)"
rc=0
bash "$root/tests/vsock/run-guest.sh" "$out/vmlinux" "$out/initramfs.cpio" "$console" \
	"$results" "$limit" || rc=$?
elapsed=$((SECONDS - t0))

clean "$results" | grep -o 'RESULT .*' >"$out/lines.txt" || true
[ -s "$out/lines.txt" ] || clean "$console" | grep -o 'RESULT .*' >"$out/lines.txt" || true
if [ "$rc" != "$PASS_CODE" ] || grep -q ' FAIL' "$out/lines.txt"; then
	cat "$out/lines.txt" >&2
	say "guest console (last 60 lines of $console):"
	clean "$console" | tail -n 60 >&2
	case $rc in
	124 | 137) die "QEMU timed out after $limit s" ;;
	127) die "qemu-system-x86_64 is missing (scripts/install-deps.sh; or BENCH_VSOCK=0)" ;;
	*) die "the guest run failed (QEMU exit $rc)" ;;
	esac
fi

ts=$(date -u +%Y%m%dT%H%M%SZ)
qemu=$(qemu-system-x86_64 --version | head -n1)
kernel=$(cut -d' ' -f2 "$out/kernel.txt" 2>/dev/null || true)
LINES_FILE=$out/lines.txt RESULTS_DIR=$results_dir TS=$ts COMMIT=$commit QEMU=$qemu \
	KERNEL=$kernel SMP=${SPOD_VSOCK_SMP:-1} MEM=${SPOD_VSOCK_MEM:-512} WARMUP=$warmup \
	ELAPSED=$elapsed python3 - <<'EOF'
import json, os, sys

rows = {}   # label -> {key: value}
extra = {}  # other RESULT lines' key=values
for line in open(os.environ["LINES_FILE"]):
    w = line.split()
    if len(w) < 3 or w[0] != "RESULT" or w[2] != "ok":
        continue
    kv = dict(x.split("=", 1) for x in w[3:] if "=" in x)
    extra[w[1]] = kv
    if w[1].startswith("bench_") and "p50_us" in kv:
        rows[w[1][len("bench_"):]] = kv

order = [("echo_vsock", "echo_unix", "vsock echo (client -> enclave)"),
         ("echo_unix", "echo_unix", "unix echo (same guest)"),
         ("sign_vsock", "sign_unix", "sign via host over vsock"),
         ("sign_unix", "sign_unix", "sign via host over unix (same guest)")]
missing = [r for r, _, _ in order if r not in rows]
if missing:
    sys.exit("bench/vsock.sh: the guest printed no row for " + ", ".join(missing))

pcts = [("p50", "p50_us"), ("p99", "p99_us"), ("p99_9", "p999_us")]
obj = {
    "schema": 1,
    "timestamp": os.environ["TS"],
    "git_commit": os.environ["COMMIT"] or None,
    "guest": {"qemu": os.environ["QEMU"], "accel": "tcg", "smp": int(os.environ["SMP"]),
              "mem_mib": int(os.environ["MEM"]), "kernel": os.environ["KERNEL"] or None,
              "boot_uptime_s": float(extra.get("boot", {}).get("uptime_s", "0") or 0)},
    "n": int(rows["echo_vsock"]["n"]),
    "warmup": int(os.environ["WARMUP"]),
    "echo_bytes": 64, "sign": "ed25519 raw, 32-byte message, one request at a time",
    "rows_us": {},
    "ratio_to_unix": {},
    "wall_s": int(os.environ["ELAPSED"]),
}
for r, base, _ in order:
    kv = rows[r]
    obj["rows_us"][r] = {k: float(kv[s]) for k, s in
                         [("p50", "p50_us"), ("p99", "p99_us"), ("p99_9", "p999_us"),
                          ("mean", "mean_us"), ("min", "min_us"), ("max", "max_us")]}
    if r != base:
        obj["ratio_to_unix"][r] = {k: round(float(kv[s]) / float(rows[base][s]), 3)
                                   for k, s in pcts}

print()
print("vsock guest: QEMU TCG, %d vCPU, kernel %s; n = %d per row after %d warm-up; us"
      % (obj["guest"]["smp"], obj["guest"]["kernel"], obj["n"], obj["warmup"]))
print("%-38s %9s %9s %9s   %s" % ("row", "p50", "p99", "p99.9", "/ unix row (p50 p99 p99.9)"))
for r, base, name in order:
    s = obj["rows_us"][r]
    if r == base:
        ratio = "1 (reference)"
    else:
        q = obj["ratio_to_unix"][r]
        ratio = "%.2f  %.2f  %.2f" % (q["p50"], q["p99"], q["p99_9"])
    print("%-38s %9.1f %9.1f %9.1f   %s" % (name, s["p50"], s["p99"], s["p99_9"], ratio))
print("(ratios of the same path over vsock and over unix in one guest; absolute times are "
      "those of software emulation)")

def write(path, data):
    tmp = os.path.join(os.path.dirname(path), "." + os.path.basename(path) + ".tmp")
    with open(tmp, "w") as f:
        json.dump(data, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)

d = os.environ["RESULTS_DIR"]
name = os.path.join(d, obj["timestamp"] + "-vsock.json")
write(name, obj)
msg = "results: " + name
latest = os.path.join(d, "latest.json")
if os.path.exists(latest):
    try:
        with open(latest) as f:
            doc = json.load(f)
        doc["vsock_guest"] = obj
        write(latest, doc)
        msg += " (and \"vsock_guest\" in latest.json)"
    except (OSError, ValueError) as e:
        msg += " (latest.json left alone: %s)" % e
print(msg)
EOF
say "done in $elapsed s (guest console: $console)"
