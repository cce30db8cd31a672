#!/usr/bin/env bash
# HTTP descriptor flood (issue 15): spod-host runs with few descriptors (ulimit -n) and more
# plain TCP connections than that arrive on its HTTP port, sending nothing; they do not use
# its descriptors up (http-max-connections is fitted to the limit at start), /healthz from
# another address still answers, spod-host does not spin (its CPU time stays small) and its
# log stays small, every repeated line being rate-limited (tests/integration/http_attack.py).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

NOFILE=160
start_enclave
# The subshell's exec keeps the pid: HOST_PID is spod-host itself.
(
	ulimit -n "$NOFILE"
	exec "$SPOD_HOST" --listen "$HOST_URI" --enclave "$ENCLAVE_URI" --log-level info \
		--http 127.0.0.1:0
) >>"$T_DIR/host.log" 2>&1 &
HOST_PID=$!
wait_ready
PORT=$(http_url | sed 's/.*://')

run timeout -k 5 120 "$PY" "$SPOD_SRC/tests/integration/http_attack.py" flood "$PORT" 600 \
	"$HOST_PID" "$NOFILE"
log "$ERR"
SIZE=$(stat -c %s "$T_DIR/host.log")
((SIZE < 1000000)) || fail "the host log grew to $SIZE bytes"
pod_alive || fail "a daemon died"
wait_until 15 pod_info_ok || fail "the pod does not answer after the flood"
