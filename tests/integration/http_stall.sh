#!/usr/bin/env bash
# A stalled enclave (issue 15): with spod-enclave stopped (SIGSTOP) and HTTP signs in flight,
# /healthz and /readyz answer at once, each sign answers 503 UNAVAILABLE within
# http-call-timeout (no HTTP thread waits for the pod), and after SIGCONT the pod serves
# again (tests/integration/http_attack.py).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

start_pod --http-call-timeout 1s
PORT=$(http_url | sed 's/.*://')
ADMIN=$(<"$T_DIR/admin.token")
export ADMIN
run "$SPOD" --json keys generate --alg ed25519
KEY=$(json_get 'd["id"]' <<<"$OUT")
signs_ok() { [[ $("$PY" "$SPOD_SRC/tests/integration/http_attack.py" sign "$PORT" "$KEY") == 200 ]]; }
signs_ok || fail "no HTTP sign before the stall"

kill -STOP "$ENCLAVE_PID"
STOPPED=1
# On the way out, the enclave runs again (so that it can stop), and the status is kept.
resume() {
	local rc=$?
	[[ -z ${STOPPED:-} ]] || kill -CONT "$ENCLAVE_PID" 2>/dev/null || true
	return "$rc"
}
trap 'resume; t_cleanup' EXIT
run timeout -k 5 60 "$PY" "$SPOD_SRC/tests/integration/http_attack.py" stall "$PORT" "$KEY" 1000
log "$ERR"
# Until spod-host detects a stalled enclave, its pool still counts the connection ready.
log "/readyz during the stall: $OUT"
kill -CONT "$ENCLAVE_PID"
STOPPED=""

wait_until 20 signs_ok || fail "the pod does not sign again after the enclave resumed"
pod_alive || fail "a daemon died"
