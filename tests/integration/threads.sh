#!/usr/bin/env bash
# spod-enclave --threads 2 (docs/architecture.md, "More than one core"), sandboxed as in
# production: pipelined signing through the host and straight to the enclave gives the same
# answers as one thread; keys are deleted and replaced (their keystore entries reused) while
# workers sign with them, and every answer is a signature that verifies under the key the
# request named, or KEY_NOT_FOUND; clients killed while workers sign for them leave the
# enclave serving; the evidence the workers' answers made verifies.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

PIPELINE=$SPOD_TESTS_BIN/it_pipeline
[[ -x $PIPELINE ]] || fail "$PIPELINE not built"

expect_exit 2 "$SPOD_ENCLAVE" --listen "$ENCLAVE_URI" --threads 0
expect_exit 2 "$SPOD_ENCLAVE" --listen "$ENCLAVE_URI" --threads 65
run "$SPOD_ENCLAVE" --help
[[ $OUT == *"--threads N"* ]] || fail "--help does not describe --threads"

ENCLAVE_ARGS=(--threads 2)
start_pod
grep -q "2 signing threads" "$T_DIR/enclave.1.log" || fail "the enclave did not start 2 threads"
grep -q "sandbox on" "$T_DIR/enclave.1.log" || fail "the enclave is not sandboxed"

log "pipelined signing on two workers"
run timeout -k 5 240 "$PIPELINE" "$HOST_URI" check 1000
[[ $OUT == *"900 signatures verified"*"100 KEY_NOT_FOUND"* ]] || fail "host: $OUT"
[[ $OUT == *"sign.batch: 256 items, 255 signatures verified"* ]] || fail "batch: $OUT"
run timeout -k 5 240 "$PIPELINE" "$ENCLAVE_URI" check 1000
[[ $OUT == *"900 signatures verified"*"100 KEY_NOT_FOUND"* ]] || fail "enclave: $OUT"

# status_field FILE NAME: a counter from a load's status file (0 before it exists).
status_field() {
	local line
	line=$(cat "$1" 2>/dev/null) || { echo 0; return; }
	[[ $line =~ (^|\ )$2=([0-9a-z]+) ]] && echo "${BASH_REMATCH[2]}" || echo 0
}
ok_at_least() { (($(status_field "$1" ok) >= $2)); }
notfound_at_least() { (($(status_field "$1" notfound) >= $2)); }
load_done() { [[ $(status_field "$1" state) == done || $(status_field "$1" state) == failed ]]; }

log "deleting keys while workers sign with them"
for round in 1 2 3 4 5 6; do
	for alg in p256 ed25519 secp256k1; do
		run "$SPOD" --json keys generate --alg "$alg"
		K=$(json_get 'd["id"]' <<<"$OUT")
		st=$T_DIR/load.$round.$alg
		# Straight to the enclave: the host's own key check cannot stop a request first.
		timeout -k 5 60 "$PIPELINE" "$ENCLAVE_URI" load "$K" "$st" "$st.stop" 50 \
			>"$st.out" 2>&1 &
		T_BG_PIDS+=($!)
		wait_until 30 ok_at_least "$st" 50 || fail "load on $K made no progress: $(cat "$st")"
		run "$SPOD" keys delete "$K"
		# New keys take the freed entries while the old key's requests drain.
		run "$SPOD" --json keys generate --alg "$alg"
		run "$SPOD" --json keys generate --alg "$alg"
		wait_until 30 notfound_at_least "$st" 1 || fail "$st: the delete was never seen: $(cat "$st")"
		touch "$st.stop"
	done
done
for st in "$T_DIR"/load.*.*[0-9a-z]; do
	[[ $st == *.out || $st == *.stop || $st == *.tmp ]] && continue
	wait_until 60 load_done "$st" || fail "load $st did not finish: $(cat "$st")"
	[[ $(status_field "$st" state) == done ]] || fail "$st: $(cat "$st") $(cat "$st.out")"
	(($(status_field "$st" bad) == 0)) || fail "$st: wrong answers: $(cat "$st")"
done
pod_alive || fail "a daemon died"

log "clients that vanish while workers sign for them"
run "$SPOD" --json keys generate --alg p256
K=$(json_get 'd["id"]' <<<"$OUT")
for i in 1 2 3 4 5; do
	st=$T_DIR/gone.$i
	timeout -k 5 60 "$PIPELINE" "$ENCLAVE_URI" load "$K" "$st" "$st.stop" 30 >/dev/null 2>&1 &
	gone=$!
	T_BG_PIDS+=("$gone")
	wait_until 30 ok_at_least "$st" 20 || fail "load $i made no progress: $(cat "$st")"
	kill -9 "$gone"
	wait "$gone" 2>/dev/null || true
done
pod_alive || fail "a daemon died after its clients vanished"
run timeout -k 5 240 "$PIPELINE" "$HOST_URI" check 300
[[ $OUT == *"270 signatures verified"*"30 KEY_NOT_FOUND"* ]] || fail "after: $OUT"

log "the evidence of the workers' answers verifies"
run "$SPOD" audit verify --root dev
