#!/usr/bin/env bash
# Back-pressure: pipelined requests whose answers are far larger than the requests
# (sign.batch, full key.list pages) fill the servers' send buffers; every request is still
# answered, straight to the enclave and through the host (tests/integration/flood.py).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

start_pod

run "$SPOD" --json keys generate --alg ed25519
ED=$(echo "$OUT" | json_get 'd["id"]')

log "flood straight to the enclave"
run timeout -k 5 240 "$PY" "$SPOD_SRC/tests/integration/flood.py" "$T_DIR/enclave.sock" \
	"$SPOD_SRC" "$ED"
printf '%s\n' "$OUT" >&2
log "flood through the host"
run timeout -k 5 240 "$PY" "$SPOD_SRC/tests/integration/flood.py" "$T_DIR/spod.sock" \
	"$SPOD_SRC" "$ED" --via-host
printf '%s\n' "$OUT" >&2

run "$SPOD" --json info
[[ $(echo "$OUT" | json_get 'd["keys"]') == 1 ]] || fail "keys left behind: $OUT"
run "$SPOD" sign "$ED" --message 00
pod_alive || fail "a daemon died"
