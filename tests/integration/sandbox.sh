#!/usr/bin/env bash
# spod-enclave's seccomp sandbox (src/enclave/sandbox.c, docs/threat-model.md):
#  1. the pod serves the whole request flow (keys of every algorithm, every sign mode,
#     attestation, pipelined signing, sign.batch) with the filter on, and it is on (/proc says
#     Seccomp 2 and NoNewPrivs 1), and the enclave still exits cleanly on SIGTERM;
#  2. spod-enclave-testops (the enclave built with SPOD_TEST_OPS) dies with SIGSYS, status
#     128+31, on each forbidden call of debug.forbidden: openat, socket(AF_INET), execve;
#  3. with --no-sandbox the same three calls are answered with an error response instead, so
#     it is the filter that stops them;
#  4. an enclave started with --no-sandbox serves the same flow and exits cleanly, which in
#     the sanitizer build is the enclave's leak check (LeakSanitizer cannot run under the
#     filter);
#  5. a tcp:// listener is refused while the sandbox is on.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

TESTOPS=$SPOD_TESTS_BIN/spod-enclave-testops
PIPELINE=$SPOD_TESTS_BIN/it_pipeline
OP_HELPER=$SPOD_SRC/tests/integration/sandbox_op.py
SIGSYS_STATUS=$((128 + 31))
[[ -x $TESTOPS ]] || fail "$TESTOPS not built"
[[ -x $PIPELINE ]] || fail "$PIPELINE not built"

# status_field PID NAME: the value of NAME in /proc/PID/status.
status_field() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

forget_bg() { # PID: no longer a background process for t_cleanup to stop
	local p keep=()
	for p in "${T_BG_PIDS[@]}"; do
		[[ $p == "$1" ]] || keep+=("$p")
	done
	T_BG_PIDS=("${keep[@]}")
}

# Every request type through spod-host, each signature verified offline.
flow() {
	local alg h id pub sig msg digest nonce ids=()
	msg=$(random_hex 48)
	digest=$(random_hex 32)
	run "$SPOD" info
	for alg in ed25519 secp256k1 p256; do
		run "$SPOD" --json keys generate --alg "$alg"
		id=$(json_get 'd["id"]' <<<"$OUT")
		pub=$(json_get 'd["public"]' <<<"$OUT")
		ids+=("$id")
		run "$SPOD" keys public "$id"
		[[ $OUT == "$pub" ]] || fail "$alg: keys public differs from generate"
		if [[ $alg == ed25519 ]]; then
			run "$SPOD" sign "$id" --message "$msg"
			sig=$(head -n1 <<<"$OUT")
			run "$SPOD" verify --alg "$alg" --public "$pub" --message "$msg" --signature "$sig"
			continue
		fi
		run "$SPOD" sign "$id" --digest "$digest"
		sig=$(head -n1 <<<"$OUT")
		run "$SPOD" verify --alg "$alg" --public "$pub" --digest "$digest" --signature "$sig"
		for h in sha256 keccak256; do
			run "$SPOD" sign "$id" --message "$msg" --hash "$h"
			sig=$(head -n1 <<<"$OUT")
			run "$SPOD" verify --alg "$alg" --public "$pub" --message "$msg" --hash "$h" \
				--signature "$sig"
		done
	done
	run "$SPOD" keys list
	for id in "${ids[@]}"; do
		grep -q "^$id " <<<"$OUT" || fail "key $id missing from keys list"
	done
	# An attestation document binding the last key, checked against the development root.
	nonce=$(random_hex 16)
	run "$SPOD" attest --key "$id" --nonce "$nonce" --out "$T_DIR/attest.cbor"
	run "$SPOD" attest verify "$T_DIR/attest.cbor" --root dev --nonce "$nonce"
	# Pipelined signing and sign.batch (tests/integration/pipeline.c).
	run timeout -k 5 240 "$PIPELINE" "$HOST_URI" check 200
	for id in "${ids[@]}"; do
		run "$SPOD" keys delete "$id"
	done
	[[ $("$SPOD" --json info | json_get 'd["keys"]') == 0 ]] || fail "keys left behind"
	log "flow: 3 keys, 7 signatures and an attestation verified, 200 pipelined requests"
}

log "1. the whole flow with the filter on"
start_pod
[[ $(status_field "$ENCLAVE_PID" Seccomp) == 2 ]] ||
	fail "spod-enclave runs without a seccomp filter: $(grep -i seccomp "/proc/$ENCLAVE_PID/status")"
[[ $(status_field "$ENCLAVE_PID" NoNewPrivs) == 1 ]] || fail "spod-enclave lacks no_new_privs"
grep -q "sandbox on" "$T_DIR/enclave.$ENCLAVE_RUNS.log" || fail "no 'sandbox on' in the log"
# With CAP_IPC_LOCK (root here and in the enclave VM) all memory is locked; sanitizer
# builds never call mlockall and say so.
if ! grep -q "sanitizer build: not calling mlockall" "$T_DIR/enclave.$ENCLAVE_RUNS.log" &&
	(($((16#$(status_field $$ CapEff))) & (1 << 14))); then
	(($(status_field "$ENCLAVE_PID" VmLck) > 0)) || fail "spod-enclave did not lock its memory"
	grep -q "all memory locked" "$T_DIR/enclave.$ENCLAVE_RUNS.log" || fail "no mlockall line"
fi
flow
pod_alive || fail "a daemon died during the sandboxed flow"
rc=0
stop_daemon "$ENCLAVE_PID" spod-enclave || rc=$?
ENCLAVE_PID=""
((rc == 0)) || fail "the sandboxed spod-enclave exited with $rc after SIGTERM"

log "2. each forbidden system call kills spod-enclave-testops with SIGSYS"
for sel in 0 1 2; do
	sock=$T_DIR/testops.$sel.sock
	"$TESTOPS" --listen "unix://$sock" --log-level info >"$T_DIR/testops.$sel.log" 2>&1 &
	pid=$!
	T_BG_PIDS+=("$pid")
	run "$PY" "$OP_HELPER" "$sock" "$SPOD_SRC" killed "$sel"
	log "$OUT"
	wait_until 20 dead "$pid" || fail "selector $sel: spod-enclave-testops still running"
	rc=0
	wait "$pid" || rc=$?
	forget_bg "$pid"
	((rc == SIGSYS_STATUS)) ||
		fail "selector $sel: spod-enclave-testops exited with $rc, want $SIGSYS_STATUS (SIGSYS)"
	grep -q "sandbox on" "$T_DIR/testops.$sel.log" || fail "selector $sel: no 'sandbox on'"
	! grep -q "did not stop" "$T_DIR/testops.$sel.log" || fail "selector $sel: call not stopped"
done

log "3. without the filter the same calls return and are answered"
sock=$T_DIR/testops.nosandbox.sock
"$TESTOPS" --listen "unix://$sock" --log-level info --no-sandbox \
	>"$T_DIR/testops.nosandbox.log" 2>&1 &
pid=$!
T_BG_PIDS+=("$pid")
run "$PY" "$OP_HELPER" "$sock" "$SPOD_SRC" answered 0 1 2
log "$OUT"
alive "$pid" || fail "spod-enclave-testops --no-sandbox died"
grep -q "NO SANDBOX" "$T_DIR/testops.nosandbox.log" || fail "--no-sandbox gave no warning"
rc=0
stop_daemon "$pid" spod-enclave-testops || rc=$?
forget_bg "$pid"
((rc == 0)) || fail "spod-enclave-testops --no-sandbox exited with $rc after SIGTERM"

log "4. the whole flow with --no-sandbox (LeakSanitizer's turn in the sanitizer build)"
ENCLAVE_RUNS=$((ENCLAVE_RUNS + 1))
"$SPOD_ENCLAVE" --listen "$ENCLAVE_URI" --log-level info --no-sandbox \
	>"$T_DIR/enclave.$ENCLAVE_RUNS.log" 2>&1 &
ENCLAVE_PID=$!
wait_ready
[[ $(status_field "$ENCLAVE_PID" Seccomp) == 0 ]] || fail "--no-sandbox still has a filter"
flow
pod_alive || fail "a daemon died during the unsandboxed flow"

log "5. no tcp listener under the sandbox"
expect_exit 2 "$SPOD_ENCLAVE" --listen tcp://127.0.0.1:0
[[ $ERR == *"vsock and unix listeners only"* ]] || fail "tcp refusal does not say why: $ERR"
