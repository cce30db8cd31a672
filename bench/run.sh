#!/usr/bin/env bash
# `make bench`: start a throw-away pod (spod-enclave and spod-host on unix sockets in a
# temporary directory, spod-host's HTTP API on a loopback port the kernel picks), run
# spod-bench against both with the bootstrap admin token, stop the pod and clean up.
#
#   bench/run.sh BUILD_DIR [--pin | --pin=CLIENT,HOST,ENCLAVE] [--enclave-threads N]
#                [spod-bench options...]
#
# Builds nothing: the Makefile builds BUILD_DIR first. Other options go to spod-bench
# (--n N, --quick, --warmup N, --depth N, --rows LIST). Nothing is pinned by default.
# --pin pins the benchmark client, spod-host and spod-enclave with taskset, by default
# client and host on CPU 0 and the enclave on CPU 1 (as on Nitro, where the enclave has
# CPUs of its own); the floor then counts each hop as a one-CPU or two-CPU round trip.
# --enclave-threads N starts spod-enclave with --threads N (default 1) and tells spod-bench,
# which records it and aims the pipelined row at >= 130 % of the in-process rate.
set -euo pipefail

usage() { sed -n '2,16s/^# \{0,1\}//p' "$0" >&2; exit 2; }
[ $# -ge 1 ] || usage
build=$1; shift
root=$(cd "$(dirname "$0")/.." && pwd)
case $build in /*) ;; *) build=$root/$build ;; esac

pin=""
threads=1
args=()
while [ $# -gt 0 ]; do
	case $1 in
	--pin) pin=0,0,1 ;;
	--pin=*) pin=${1#--pin=} ;;
	--enclave-threads)
		[ $# -ge 2 ] || usage
		threads=$2
		shift
		;;
	--enclave-threads=*) threads=${1#--enclave-threads=} ;;
	*) args+=("$1") ;;
	esac
	shift
done
[[ $threads =~ ^[1-9][0-9]*$ ]] || { echo "bench/run.sh: --enclave-threads needs N >= 1" >&2; exit 2; }

for b in spod-enclave spod-host spod bench/spod-bench; do
	if [ ! -x "$build/$b" ]; then
		echo "bench/run.sh: $build/$b is missing; build first (make bench)" >&2
		exit 1
	fi
done

client_pre=() host_pre=() enclave_pre=() layout=()
if [ -n "$pin" ]; then
	IFS=, read -r cpu_c cpu_h cpu_e <<<"$pin"
	for cpu in "$cpu_c" "$cpu_h" "$cpu_e"; do
		if ! [[ $cpu =~ ^[0-9]+$ ]] || [ "$cpu" -ge "$(nproc)" ]; then
			echo "bench/run.sh: --pin=CLIENT,HOST,ENCLAVE needs three CPU numbers < $(nproc)" >&2
			exit 2
		fi
	done
	command -v taskset >/dev/null || { echo "bench/run.sh: --pin needs taskset" >&2; exit 1; }
	client_pre=(taskset -c "$cpu_c") host_pre=(taskset -c "$cpu_h")
	enclave_pre=(taskset -c "$cpu_e")
	layout=(--layout "$cpu_c,$cpu_h,$cpu_e")
fi

commit=$(git -C "$root" rev-parse --short=12 HEAD 2>/dev/null || true)
if [ -n "$commit" ] && [ -n "$(git -C "$root" --no-optional-locks status --porcelain \
	--untracked-files=no 2>/dev/null)" ]; then
	commit="$commit-dirty"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/spod-bench.XXXXXX")
chmod 700 "$tmp"
pids=()
bench_pid=""

# Stops the benchmark if it still runs, then SIGTERMs each server, waits at most 5 s for
# it, SIGKILLs it if need be, and removes the directory. Runs from the EXIT trap.
# shellcheck disable=SC2317
stop() {
	local pid
	if [ -n "$bench_pid" ]; then
		kill -TERM "$bench_pid" 2>/dev/null || true
		wait "$bench_pid" 2>/dev/null || true
	fi
	for pid in "${pids[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do
		for _ in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			echo "bench/run.sh: pid $pid ignored SIGTERM; killing it" >&2
			kill -KILL "$pid" 2>/dev/null || true
		fi
		wait "$pid" 2>/dev/null || true
	done
	pids=()
	rm -rf "$tmp"
}
trap stop EXIT
trap 'exit 130' INT TERM

fail() {
	echo "bench/run.sh: $*; server logs:" >&2
	tail -n 20 "$tmp"/*.log >&2 2>/dev/null || true
	exit 1
}

enclave_uri="unix://$tmp/enclave.sock"
host_uri="unix://$tmp/spod.sock"
export SPOD_DATA_DIR="$tmp"

"${enclave_pre[@]}" "$build/spod-enclave" --listen "$enclave_uri" --threads "$threads" --log-level warn \
	>"$tmp/enclave.log" 2>&1 </dev/null &
pids+=($!)
for _ in $(seq 1 100); do
	[ -S "$tmp/enclave.sock" ] && break
	kill -0 "${pids[0]}" 2>/dev/null || fail "spod-enclave exited"
	sleep 0.05
done
[ -S "$tmp/enclave.sock" ] || fail "spod-enclave did not listen within 5 s"

# Log level info: the HTTP API's port is only in its "HTTP API on http://..." line (requests
# are logged at debug, so nothing is written while measuring).
"${host_pre[@]}" "$build/spod-host" --listen "$host_uri" --enclave "$enclave_uri" \
	--http 127.0.0.1:0 --log-level info >"$tmp/host.log" 2>&1 </dev/null &
pids+=($!)
ready=0
for _ in $(seq 1 100); do
	if "$build/spod" --uri "$host_uri" --timeout 500 info >/dev/null 2>&1; then
		ready=1
		break
	fi
	kill -0 "${pids[1]}" 2>/dev/null || fail "spod-host exited"
	sleep 0.05
done
[ "$ready" = 1 ] || fail "the pod did not answer info within ~5 s"

http_url=""
for _ in $(seq 1 100); do
	http_url=$(sed -n 's|.*HTTP API on \(http://[^ ]*\).*|\1|p' "$tmp/host.log" | tail -n 1)
	[ -n "$http_url" ] && break
	kill -0 "${pids[1]}" 2>/dev/null || fail "spod-host exited"
	sleep 0.05
done
[ -n "$http_url" ] || fail "spod-host logged no \"HTTP API on http://...\" line within ~5 s"

# spod-host wrote the bootstrap admin token on first start; libspod and the HTTP row use it.
[ -s "$tmp/admin.token" ] || fail "spod-host wrote no $tmp/admin.token"
SPOD_TOKEN=$(<"$tmp/admin.token")
export SPOD_TOKEN

# In the background so that a signal to this script is handled at once (bash runs traps
# only between foreground commands), not after a run of several minutes.
"${client_pre[@]}" "$build/bench/spod-bench" --uri "$host_uri" --http "$http_url" \
	--out "$root/bench/results" --commit "$commit" --enclave-threads "$threads" \
	"${layout[@]}" "${args[@]}" </dev/null &
bench_pid=$!
rc=0
wait "$bench_pid" || rc=$?
bench_pid=""
exit "$rc"
