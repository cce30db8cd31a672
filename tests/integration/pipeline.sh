#!/usr/bin/env bash
# libspod's pipelined API through the host: 1000 sign requests in flight on one connection
# (about 10% for a missing key), each answered exactly once and verified; sign.batch with
# 256 items and per-item statuses (tests/integration/pipeline.c).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

PIPELINE=$SPOD_TESTS_BIN/it_pipeline
[[ -x $PIPELINE ]] || fail "$PIPELINE not built"

start_pod

run timeout -k 5 240 "$PIPELINE" "$HOST_URI" check 1000
printf '%s\n' "$OUT" >&2
[[ $OUT == *"pipelined: 1000 requests"*"900 signatures verified"*"100 KEY_NOT_FOUND"* ]] ||
	fail "unexpected summary: $OUT"
[[ $OUT == *"sign.batch: 256 items, 255 signatures verified"* ]] || fail "batch summary: $OUT"

# Two pipelined clients at once share the host's enclave connections.
"$PIPELINE" "$HOST_URI" check 500 >"$T_DIR/p1.out" 2>&1 &
p1=$!
T_BG_PIDS+=("$p1")
"$PIPELINE" "$HOST_URI" check 500 >"$T_DIR/p2.out" 2>&1 &
p2=$!
T_BG_PIDS+=("$p2")
rc1=0 rc2=0
both_done() { ! alive "$p1" && ! alive "$p2"; }
wait_until 240 both_done ||
	fail "concurrent pipelines did not finish"
wait "$p1" || rc1=$?
wait "$p2" || rc2=$?
((rc1 == 0 && rc2 == 0)) || fail "concurrent pipelines: $rc1 $rc2: $(cat "$T_DIR"/p?.out)"

# Straight to the enclave as well (no host in between): same answers.
run timeout -k 5 240 "$PIPELINE" "$ENCLAVE_URI" check 1000

# Everything the program generated was deleted again.
[[ $("$SPOD" --json info | json_get 'd["keys"]') == 0 ]] || fail "keys left behind"
pod_alive || fail "a daemon died"
