#!/usr/bin/env bash
# `make bench`: start a throw-away pod (spod-enclave and spod-host on unix sockets in a
# temporary directory, spod-host's HTTP API on a loopback port the kernel picks) and a private
# ssh-agent holding an Ed25519 and a P-256 key (for the ssh-agent peer row, when OpenSSH's
# client tools are installed), run spod-bench against them with the bootstrap admin token,
# draw the latency CDF of every row with bench/plot.sh (when gnuplot is installed), stop the
# pod and the agent and clean up.
#
#   bench/run.sh BUILD_DIR [--pin | --pin=CLIENT,HOST,ENCLAVE] [--spin-us N|H,E]
#                [--enclave-threads N] [--trace [--syscall-n N]] [spod-bench options...]
#
# Builds nothing: the Makefile builds BUILD_DIR first. Other options go to spod-bench
# (--n N, --quick, --warmup N, --depth N, --rows LIST, --out DIR). Nothing is pinned by
# default. --pin pins the benchmark client, spod-host and spod-enclave with taskset, by
# default client and host on CPU 0 and the enclave on CPU 1 (as on Nitro, where the enclave
# has CPUs of its own; the ssh-agent runs where the enclave does); the floor then counts
# each hop as a one-CPU or two-CPU round trip.
# --spin-us H,E runs spod-host with --spin-us H and spod-enclave with --spin-us E (N: both;
# their event loops poll that long before blocking) and tells spod-bench, whose floor then
# uses a raw round trip per hop whose ends spin alike, placed as the pod.
# --trace needs a -DSPOD_TRACE=ON build (make bench-trace builds build-trace): the three
# processes stamp each request's stages (SPOD_TRACE_DIR), host and enclave count their heap
# allocations (bench/alloc_count.so preloaded), spod-bench adds the breakdown and allocation
# tables, and then an untimed pass of N pipelined signs per algorithm (--syscall-n, default
# 2000) runs with strace -c attached to host and enclave for system calls per request.
# --enclave-threads N starts spod-enclave with --threads N (default 1) and tells spod-bench,
# which records it and aims the pipelined row at >= 130 % of the in-process rate.
set -euo pipefail

usage() { sed -n '2,23s/^# \{0,1\}//p' "$0" >&2; exit 2; }
[ $# -ge 1 ] || usage
build=$1; shift
root=$(cd "$(dirname "$0")/.." && pwd)
case $build in /*) ;; *) build=$root/$build ;; esac

pin=""
threads=1
trace=0
spin=0
syscall_n=2000
args=()
while [ $# -gt 0 ]; do
	case $1 in
	--pin) pin=0,0,1 ;;
	--pin=*) pin=${1#--pin=} ;;
	--trace) trace=1 ;;
	--spin-us)
		[ $# -ge 2 ] && [[ $2 =~ ^[0-9]+(,[0-9]+)?$ ]] || usage
		spin=$2
		shift
		;;
	--syscall-n)
		[ $# -ge 2 ] && [[ $2 =~ ^[0-9]+$ ]] || usage
		syscall_n=$2
		shift
		;;
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

spin_host=${spin%,*} spin_enclave=${spin#*,}
trace_env=()
if [ "$trace" = 1 ]; then
	if ! grep -q '^SPOD_TRACE:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null ||
		[ ! -f "$build/bench/alloc_count.so" ]; then
		echo "bench/run.sh: --trace needs a -DSPOD_TRACE=ON build; $build is not one" \
			"(make bench-trace builds build-trace)" >&2
		exit 1
	fi
	trace_env=(env "LD_PRELOAD=$build/bench/alloc_count.so")
	args+=(--trace)
fi

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

# The untimed system-call pass of --trace: strace -c on host and enclave around
# `spod-bench --syscall-pass`, then the table. A failure here is reported, not fatal.
# shellcheck disable=SC2317
syscall_pass() {
	local st_pids=() who
	if ! command -v strace >/dev/null; then
		echo "bench/run.sh: no strace (scripts/install-deps.sh installs it): system calls" \
			"per request not measured" >&2
		return 0
	fi
	for who in host enclave; do
		local pid=${pids[1]}
		[ "$who" = enclave ] && pid=${pids[0]}
		strace -c -f -o "$tmp/$who.strace" -p "$pid" 2>"$tmp/$who.strace.log" &
		st_pids+=($!)
	done
	# strace says "Process N attached" once it holds every thread.
	for who in host enclave; do
		for _ in $(seq 1 100); do
			grep -q attached "$tmp/$who.strace.log" 2>/dev/null && break
			sleep 0.05
		done
	done
	sleep 0.2
	echo "bench/run.sh: system-call pass, $syscall_n pipelined signs per algorithm under strace" >&2
	"$build/bench/spod-bench" --uri "$host_uri" --syscall-pass --n "$syscall_n" </dev/null ||
		echo "bench/run.sh: the system-call pass failed" >&2
	for pid in "${st_pids[@]}"; do
		kill -INT "$pid" 2>/dev/null || true
	done
	for pid in "${st_pids[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	"$build/bench/spod-bench" --syscall-report "$tmp/host.strace,$tmp/enclave.strace" \
		--n "$syscall_n" || echo "bench/run.sh: no system-call table" >&2
}

fail() {
	echo "bench/run.sh: $*; server logs:" >&2
	tail -n 20 "$tmp"/*.log >&2 2>/dev/null || true
	exit 1
}

enclave_uri="unix://$tmp/enclave.sock"
host_uri="unix://$tmp/spod.sock"
export SPOD_DATA_DIR="$tmp"
# Read only by a -DSPOD_TRACE=ON build: where each process maps its trace ring.
[ "$trace" = 1 ] && export SPOD_TRACE_DIR="$tmp"

"${trace_env[@]}" "${enclave_pre[@]}" "$build/spod-enclave" --listen "$enclave_uri" --log-level warn --spin-us "$spin_enclave" \
	--threads "$threads" \
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
"${trace_env[@]}" "${host_pre[@]}" "$build/spod-host" --listen "$host_uri" --enclave "$enclave_uri" \
	--http 127.0.0.1:0 --log-level info --spin-us "$spin_host" >"$tmp/host.log" 2>&1 </dev/null &
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

# The ssh-agent peer: a private agent on a socket in $tmp with two fresh keys. Without
# OpenSSH's client tools spod-bench reports the row as skipped.
agent_args=()
if command -v ssh-agent >/dev/null && command -v ssh-keygen >/dev/null &&
	command -v ssh-add >/dev/null; then
	"${enclave_pre[@]}" ssh-agent -D -a "$tmp/agent.sock" >"$tmp/agent.log" 2>&1 </dev/null &
	pids+=($!)
	for _ in $(seq 1 100); do
		[ -S "$tmp/agent.sock" ] && break
		sleep 0.05
	done
	[ -S "$tmp/agent.sock" ] || fail "ssh-agent did not listen within 5 s"
	ssh-keygen -q -t ed25519 -N '' -C spod-bench -f "$tmp/agent_ed25519" </dev/null
	ssh-keygen -q -t ecdsa -b 256 -N '' -C spod-bench -f "$tmp/agent_p256" </dev/null
	SSH_AUTH_SOCK=$tmp/agent.sock ssh-add -q "$tmp/agent_ed25519" "$tmp/agent_p256" \
		</dev/null 2>>"$tmp/agent.log" || fail "ssh-add failed"
	agent_args=(--ssh-agent "$tmp/agent.sock")
else
	echo "bench/run.sh: ssh-agent, ssh-keygen or ssh-add is missing (Debian: openssh-client):" \
		"the ssh-agent row is skipped" >&2
fi

# In the background so that a signal to this script is handled at once (bash runs traps
# only between foreground commands), not after a run of several minutes. The table goes to
# a file first: its "results: FILE" line names the JSON to plot.
"${client_pre[@]}" "$build/bench/spod-bench" --uri "$host_uri" --http "$http_url" \
	--out "$root/bench/results" --commit "$commit" --spin-us "$spin" "${layout[@]}" \
	--enclave-threads "$threads" \
	"${agent_args[@]}" "${args[@]}" </dev/null >"$tmp/bench.out" &
bench_pid=$!
rc=0
wait "$bench_pid" || rc=$?
bench_pid=""
cat "$tmp/bench.out"
json=$(sed -n 's/^results: \([^ ]*\.json\).*/\1/p' "$tmp/bench.out" | tail -n 1)
if [ -n "$json" ] && [ -f "$json" ]; then
	"$root/bench/plot.sh" "$json" || echo "bench/run.sh: the plot failed" >&2
fi
[ "$trace" = 1 ] && [ "$syscall_n" -gt 0 ] && syscall_pass
exit "$rc"
