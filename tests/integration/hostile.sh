#!/usr/bin/env bash
# Hostile clients and a stalled enclave (issue 15; docs/host.md "Hostile clients"): spod-host
# runs with a soft and hard descriptor limit of 1024 (as under `ulimit -n 1024`), listening
# on a unix socket and on loopback TCP.
#  1. An attacker (tests/integration/conn_flood.py) opens 1050 connections that never say
#     hello: 600 on the unix socket (the same uid as the legitimate client) and 150 from each
#     of 127.0.0.2-4 over TCP, and reopens each one the host closes, for 6 s. Meanwhile an
#     authenticated `spod info` answers every time, over the unix socket and over TCP from
#     127.0.0.1, and so does /healthz.
#  2. Then the attacker stops reopening: every connection it still holds is closed by the host
#     within the hello deadline (2 s here), the host is not spinning (under 1 s of CPU in 2 s
#     of the attacker holding its connections), and its log grew by under 1 MB.
#  3. The enclave is stopped (SIGSTOP) with four signs in flight: each is answered UNAVAILABLE
#     within seconds (enclave-timeout 1 s) instead of hanging until the client gives up,
#     /healthz still answers, and after SIGCONT the pod serves again; the audit log says the
#     four signs' outcome is unknown.
# Liveness bounds only (seconds, generous for ASan on a busy machine), no speed assertions.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
start_enclave
prlimit --nofile=1024:1024 "$SPOD_HOST" --listen "$HOST_URI" --listen "tcp://127.0.0.1:$PORT" \
	--enclave "$ENCLAVE_URI" --log-level info --http 127.0.0.1:0 --hello-timeout 2s \
	--enclave-timeout 1s >>"$T_DIR/host.log" 2>&1 &
HOST_PID=$!
wait_ready
URL=$(http_url)
grep -q "max-clients 1024 lowered to" "$T_DIR/host.log" ||
	fail "max-clients was not fitted to the 1024 descriptors"
run "$SPOD" --json keys generate --alg ed25519
KEY=$(json_get 'd["id"]' <<<"$OUT")

healthz() {
	"$PY" - "$URL" <<'PY'
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1] + "/healthz", timeout=5) as r:
    assert r.status == 200, r.status
PY
}
metric() { "$PY" "$SPOD_SRC/tests/integration/http_api.py" metric "$URL" "$SPOD_SRC" "$1"; }
host_cpu_ticks() { awk '{print $14 + $15}' "/proc/$HOST_PID/stat"; }

log "1. 1050 connections that never say hello, reopened as the host closes them"
LOG0=$(stat -c %s "$T_DIR/host.log")
"$PY" "$SPOD_SRC/tests/integration/conn_flood.py" "$T_DIR/spod.sock" "$PORT" 600 150 \
	127.0.0.2,127.0.0.3,127.0.0.4 6 15 "$T_DIR/flood.ready" >"$T_DIR/flood.json" &
FLOOD=$!
T_BG_PIDS+=("$FLOOD")
wait_until 30 test -e "$T_DIR/flood.ready" || fail "the attacker did not start"
for i in 1 2 3; do
	run timeout 10 "$SPOD" --timeout 8000 info
	SPOD_URI=tcp://127.0.0.1:$PORT run timeout 10 "$SPOD" --timeout 8000 info
	healthz || fail "/healthz during the flood (round $i)"
	sleep 0.5
done
log "served during the flood: $(metric spod_clients_unauthenticated) unauthenticated now, $(metric spod_unauthenticated_displaced_total) displaced, $(metric spod_connections_refused_total) refused"

log "2. the attacker holds what it has: closed by the hello deadline, no spinning"
sleep 6.5 # the churn is over
T0=$(host_cpu_ticks)
sleep 2
T1=$(host_cpu_ticks)
HZ=$(getconf CLK_TCK)
((T1 - T0 < HZ)) || fail "spod-host used $(((T1 - T0) * 100 / HZ)) % CPU while the attacker held idle connections"
wait "$FLOOD" || fail "the attacker failed"
FLOODED=$(<"$T_DIR/flood.json")
log "attacker: $FLOODED"
[[ $(json_get 'd["still_open"]' <<<"$FLOODED") == 0 ]] ||
	fail "connections without a hello still open after the deadline: $FLOODED"
"$PY" -c 'import json, sys; d = json.loads(sys.argv[1]); assert d["hold_s"] <= 6, d' "$FLOODED" ||
	fail "held connections closed late (hello-timeout 2 s): $FLOODED"
(($(metric spod_hello_timeouts_total) > 0)) || fail "no hello timeout counted"
LOG1=$(stat -c %s "$T_DIR/host.log")
((LOG1 - LOG0 < 1000000)) || fail "the host log grew by $((LOG1 - LOG0)) bytes during the flood"
log "host log grew by $((LOG1 - LOG0)) bytes; CPU $(((T1 - T0) * 100 / HZ)) % while held"
run "$SPOD" info

log "3. a stalled enclave: requests fail fast, health answers, then it serves again"
kill -STOP "$ENCLAVE_PID"
for i in 1 2 3 4; do
	(
		rc=0
		timeout -k 5 60 "$SPOD" sign "$KEY" --message-file /dev/null >/dev/null 2>"$T_DIR/stall.$i.err" || rc=$?
		echo "$rc" >"$T_DIR/stall.$i.rc"
	) &
done
T0=$(now_us)
for i in 1 2 3 4; do
	wait_until 20 test -s "$T_DIR/stall.$i.rc" || fail "sign $i still hangs with the enclave stopped"
	[[ $(<"$T_DIR/stall.$i.rc") == 3 ]] || fail "sign $i with the enclave stopped: exit $(<"$T_DIR/stall.$i.rc"): $(<"$T_DIR/stall.$i.err")"
done
log "4 signs answered $(grep -ho 'UNAVAILABLE' "$T_DIR"/stall.*.err | head -n1) after $((($(now_us) - T0) / 1000)) ms"
healthz || fail "/healthz with the enclave stopped"
expect_exit 3 timeout 20 "$SPOD" --timeout 15000 info
kill -CONT "$ENCLAVE_PID"
wait_ready
wait_until 20 keys_served || fail "keys not served after SIGCONT"
run "$SPOD" sign "$KEY" --message-file /dev/null
(($(metric spod_enclave_stalls_total) > 0)) || fail "no stall counted"
run "$SPOD" --json audit tail --limit 50
[[ $(json_get 'sum(r["kind"] == "sign" and r["result"] == "UNAVAILABLE" and "outcome unknown" in (r["detail"] or "") for r in d)' <<<"$OUT") == 4 ]] ||
	fail "the four stalled signs are not audited as outcome unknown: $OUT"
run "$SPOD" audit verify
pod_alive || fail "a daemon died"
log "ok"
