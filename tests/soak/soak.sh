#!/usr/bin/env bash
# The soak (docs/testing.md, "Soak"; `make soak`, not part of `make test`): SOAK_CLIENTS
# (10) client processes each make SOAK_REQUESTS (100 000) mixed requests to a custodian-mode
# pod, over the binary unix socket and the HTTP API on 127.0.0.1, reopening their connections
# every few hundred requests and minting, using, revoking (or letting expire) API tokens
# (tests/soak/soak_client.py), while spod-enclave is killed with SIGKILL every
# SOAK_RESTART_S (20; 5 in the short mode) seconds, restarted and given two of the three custodians' shares, after
# which spod-host replays the sealed keys (as tests/integration/custodian.sh does).
# soak_driver.py samples spod-host's RSS and descriptors from /proc into samples.csv (every
# SOAK_SAMPLE_S = 1 s; a line printed every minute); soak_check.py joins every acknowledged
# signature with the audit log, judges the outcomes, the token refusals and whether RSS and
# descriptors stayed flat, and prints the summary. SOAK_OUT=DIR keeps the samples, the
# summary and the host log there.
# shellcheck disable=SC2119 # start_enclave: no extra enclave flags here
# shellcheck source-path=SCRIPTDIR source=../integration/lib.sh
source "$(dirname "$0")/../integration/lib.sh"

CLIENTS=${SOAK_CLIENTS:-10}
REQUESTS=${SOAK_REQUESTS:-100000}
# The short mode (fewer than 10 000 requests a client, about a minute) restarts every 5 s so
# it sees restarts too.
RESTART_S=${SOAK_RESTART_S:-$((REQUESTS < 10000 ? 5 : 20))}
HTTP_THREADS=2
T_STOP_GRACE=60 # a host with a long audit log may take a while to close
SOAK_DIR=$T_DIR/soak
mkdir -p "$SOAK_DIR"

log "$CLIENTS clients x $REQUESTS requests, enclave SIGKILL every $RESTART_S s"
S=$T_DIR/ceremony
run "$SPOD" custodian init --threshold 2 --shares 3 --out "$S"
start_pod --seal custodians --http-threads "$HTTP_THREADS"
URL=$(http_url)
PCR0=$(pod_pcr0)
[[ $PCR0 =~ ^[0-9a-f]{96}$ ]] || fail "no PCR0: $PCR0"
provision "$S/share-1.json"
provision "$S/share-2.json"
wait_until 30 keys_served || fail "keys not served after two shares"
for alg in ed25519 secp256k1 p256; do
	run "$SPOD" --json keys generate --alg "$alg" --label "soak-$alg"
done
KEYS=$(keys_json)
printf '%s\n' "$KEYS" >"$SOAK_DIR/keys.json"
run "$SPOD" --json token create --scope 'ops=sign,list;keys=*'
(umask 077 && json_get 'd["token"]' <<<"$OUT" >"$SOAK_DIR/work.token")
export SOAK_TOKEN_FILE=$SOAK_DIR/work.token SPOD_BIN

# ---- the chaos loop: SIGKILL, a new boot, two shares (another pair each time), keys back
chaos_loop() {
	local n=0 next kill_us pairs=("1 2" "2 3" "3 1") a b
	next=$(($(now_us) + RESTART_S * 1000000))
	while [[ ! -e $SOAK_DIR/chaos.stop ]]; do
		if (($(now_us) < next)); then
			sleep 0.2
			continue
		fi
		kill_us=$(now_us)
		next=$((kill_us + RESTART_S * 1000000))
		kill9_enclave
		start_enclave
		echo "$ENCLAVE_PID" >"$SOAK_DIR/enclave.pid"
		wait_until 30 seal_waiting || fail "restart $((n + 1)): the new boot is not waiting for shares"
		read -r a b <<<"${pairs[n % 3]}"
		provision "$S/share-$a.json"
		provision "$S/share-$b.json"
		wait_until 60 keys_served || fail "restart $((n + 1)): keys not served after the shares"
		n=$((n + 1))
		echo "$n $((($(now_us) - kill_us) / 1000))" >>"$SOAK_DIR/restarts"
	done
}
{
	rc=0
	(chaos_loop) || rc=$?
	echo "$rc" >"$SOAK_DIR/chaos.rc"
} &
CHAOS_PID=$!
T_BG_PIDS+=("$CHAOS_PID")

driver_rc=0
"$PY" "$SPOD_SRC/tests/soak/soak_driver.py" "$HOST_PID" "$CLIENTS" "$REQUESTS" \
	"$T_DIR/spod.sock" "$URL" "$SPOD_SRC" "$SOAK_DIR/keys.json" "$SOAK_DIR" || driver_rc=$?
touch "$SOAK_DIR/chaos.stop"
wait_until 120 dead "$CHAOS_PID" || fail "the chaos loop did not stop"
wait "$CHAOS_PID" || true
[[ $(cat "$SOAK_DIR/chaos.rc") == 0 ]] || fail "the enclave restart loop failed"
((driver_rc == 0)) || fail "the soak driver failed ($driver_rc)"

# ---- a last restart from this shell (its enclave is then this shell's child): every key back
[[ -e $SOAK_DIR/enclave.pid ]] && ENCLAVE_PID=$(<"$SOAK_DIR/enclave.pid")
kill -KILL "$ENCLAVE_PID"
wait_until 10 dead "$ENCLAVE_PID" || fail "the enclave did not die"
ENCLAVE_PID=""
start_enclave
wait_until 30 seal_waiting || fail "final restart: the new boot is not waiting for shares"
provision "$S/share-3.json"
provision "$S/share-1.json"
wait_until 60 keys_served || fail "final restart: keys not served"
[[ $(keys_json) == "$KEYS" ]] || fail "keys after the soak: $(keys_json), want $KEYS"
sign_check_all "$KEYS"

FINAL_RSS=$(awk '/^VmRSS:/ {print $2}' "/proc/$HOST_PID/status")
FINAL_FDS=$(find "/proc/$HOST_PID/fd" -mindepth 1 -maxdepth 1 | wc -l)
GAUGE=$("$PY" "$SPOD_SRC/tests/integration/http_api.py" metric "$URL" "$SPOD_SRC" spod_clients)
AUDIT=$("$SPOD" audit verify 2>&1) || true
cp "$SOAK_DIR/samples.csv" "$SOAK_DIR/restarts" "$T_DIR/host.log" "${SOAK_OUT:-$SOAK_DIR}/" \
	2>/dev/null || true
rc=0
"$PY" "$SPOD_SRC/tests/soak/soak_check.py" "$SOAK_DIR" "$T_DIR/spod.db" "$FINAL_RSS" \
	"$FINAL_FDS" "${GAUGE%.*}" "$HTTP_THREADS" "$AUDIT" | tee "$SOAK_DIR/summary.txt" || rc=$?
[[ -n ${SOAK_OUT:-} ]] && cp "$SOAK_DIR/summary.txt" "$SOAK_OUT/"
((rc == 0)) || fail "the soak failed (summary above)"
pod_alive || fail "a daemon died"
