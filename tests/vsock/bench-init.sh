# shellcheck shell=sh
# The benchmark run of the tests/vsock guest (bench/vsock.sh), sourced by /init
# (tests/vsock/init.sh) once the vsock modules are loaded, when /etc/spod-vsock.conf says
# SPOD_VSOCK_MODE=bench. Uses /init's helpers (result, wait_for, alive, dead, run_step,
# finish) and ends the run with finish, so nothing after the hook in /init runs.
#
# Two pods in the same guest, same binaries, one request at a time:
#   - vsock pod: spod-enclave on vsock://any:PORT, spod-host on unix:///tmp/spod.sock
#     in front of it over vsock://1:PORT (as on Nitro: unix to the host, vsock behind);
#   - unix pod:  spod-enclave on unix:///tmp/enclave-unix.sock, spod-host on
#     unix:///tmp/spod-unix.sock in front of it.
# vsock_bench (tests/vsock/bench.c) then measures, rows taking turns:
#   echo_vsock  ECHO straight to the vsock enclave          (client -vsock-> enclave)
#   echo_unix   ECHO straight to the unix enclave           (client -unix-> enclave)
#   sign_vsock  Ed25519 sign through the vsock pod's host   (client -unix-> host -vsock-> enclave)
#   sign_unix   Ed25519 sign through the unix pod's host    (client -unix-> host -unix-> enclave)
# and prints each as "RESULT bench_<row> ok n=.. p50_us=.. p99_us=.. p999_us=.. ..." plus
# "RESULT bench_ratio_<a>_<b> ok p50=.. p99=.. p999=..". Settings: SPOD_VSOCK_BENCH_N
# (timed requests per row, default 2000), SPOD_VSOCK_BENCH_WARMUP (default 200).

BENCH_N=${SPOD_VSOCK_BENCH_N:-2000}
BENCH_WARMUP=${SPOD_VSOCK_BENCH_WARMUP:-200}
B_ENCLAVE_LISTEN=vsock://any:${SPOD_VSOCK_PORT:-5005}
B_ENCLAVE_VSOCK=vsock://1:${SPOD_VSOCK_PORT:-5005}
B_ENCLAVE_UNIX=unix:///tmp/enclave-unix.sock
B_HOST_VSOCK=unix:///tmp/spod.sock
B_HOST_UNIX=unix:///tmp/spod-unix.sock
B_PIDS=

# bench_start NAME READY_URI CMD...: starts a daemon (log /tmp/NAME.log) and waits until
# `spod info` answers on READY_URI.
bench_start() {
	b_name=$1 b_ready=$2
	shift 2
	"$@" --log-level warn >/tmp/"$b_name".log 2>&1 &
	b_pid=$!
	B_PIDS="$B_PIDS $b_pid"
	wait_for 30 spod --uri "$b_ready" --timeout 2000 info && alive "$b_pid"
}

b_ok=1
b_t0=$(uptime_cs)
bench_start bench-enclave-vsock "$B_ENCLAVE_VSOCK" spod-enclave --listen "$B_ENCLAVE_LISTEN" &&
	bench_start bench-enclave-unix "$B_ENCLAVE_UNIX" spod-enclave --listen "$B_ENCLAVE_UNIX" &&
	bench_start bench-host-vsock "$B_HOST_VSOCK" spod-host --listen "$B_HOST_VSOCK" \
		--enclave "$B_ENCLAVE_VSOCK" --http off &&
	bench_start bench-host-unix "$B_HOST_UNIX" spod-host --listen "$B_HOST_UNIX" \
		--enclave "$B_ENCLAVE_UNIX" --http off || b_ok=0
if [ $b_ok = 1 ]; then
	SPOD_TOKEN=$(cat "$SPOD_DATA_DIR/admin.token")
	export SPOD_TOKEN
	result bench_ready ok "ms=$((($(uptime_cs) - b_t0) * 10))"
else
	result bench_ready FAIL "a daemon did not start (see the logs)"
	finish
fi

b_t0=$(uptime_cs)
if run_step bench 240 vsock_bench -n "$BENCH_N" -w "$BENCH_WARMUP" \
	-r echo_vsock/echo_unix -r sign_vsock/sign_unix \
	echo_vsock=echo:"$B_ENCLAVE_VSOCK" echo_unix=echo:"$B_ENCLAVE_UNIX" \
	sign_vsock=sign:"$B_HOST_VSOCK" sign_unix=sign:"$B_HOST_UNIX"; then
	grep -E '^[a-z0-9_]+ [a-z0-9_]+=' /tmp/bench.out >/tmp/bench.rows
	while read -r b_row b_rest; do
		# shellcheck disable=SC2086 # key=value words, split on purpose
		result "bench_$b_row" ok $b_rest
	done </tmp/bench.rows
	result bench_run ok "s=$((($(uptime_cs) - b_t0) / 100))"
else
	# shellcheck disable=SC2154 # rc: set by /init's run_step
	result bench_run FAIL "exit $rc: $(tail -n3 /tmp/bench.out | tr '\n' ' ')"
fi

b_st=
for b_pid in $B_PIDS; do
	alive "$b_pid" || b_st="$b_st $b_pid:dead"
	kill -TERM "$b_pid" 2>/dev/null
	wait_for 20 dead "$b_pid" || kill -KILL "$b_pid" 2>/dev/null
	wait "$b_pid"
	b_rc=$?
	[ "$b_rc" = 0 ] || b_st="$b_st $b_pid:exit=$b_rc"
done
if [ -z "$b_st" ]; then
	result bench_shutdown ok
else
	result bench_shutdown FAIL "$b_st"
fi
finish
