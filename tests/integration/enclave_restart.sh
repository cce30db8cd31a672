#!/usr/bin/env bash
# Fault: spod-enclave is killed with SIGKILL while a pipelined load (it_pipeline load) and a
# loop of CLI calls run through the host. Every request gets an answer (a signature, or
# UNAVAILABLE / exit 3), none hangs; a new enclave on the same socket is picked up by the
# host by itself, and signing works again with new keys. The enclave is ephemeral: the old
# keys are gone (exit 4).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

PIPELINE=$SPOD_TESTS_BIN/it_pipeline
[[ -x $PIPELINE ]] || fail "$PIPELINE not built"

start_pod

run "$SPOD" --json keys generate --alg ed25519
OLD_ED=$(echo "$OUT" | json_get 'd["id"]')
run "$SPOD" --json keys generate --alg secp256k1
OLD_K1=$(echo "$OUT" | json_get 'd["id"]')
DIGEST=$(random_hex 32)
run "$SPOD" sign "$OLD_K1" --digest "$DIGEST"

# status_field NAME: a counter from the load's status file (0 before it exists).
status_field() {
	local line
	line=$(cat "$T_DIR/load.status" 2>/dev/null) || { echo 0; return; }
	[[ $line =~ (^|\ )$1=([0-9a-z]+) ]] && echo "${BASH_REMATCH[2]}" || echo 0
}
field_at_least() { (($(status_field "$1") >= $2)); }
cli_count() {
	local n
	n=$(grep -c "^$1\$" "$T_DIR/cli.codes" 2>/dev/null) || true
	echo "${n:-0}"
}
cli_at_least() { (($(cli_count "$1") >= $2)); }

# A loop of CLI signatures, each bounded; records every exit code.
cli_loop() {
	local i rc
	for ((i = 0; i < 5000; i++)); do
		[[ -e $T_DIR/cli.stop ]] && break
		rc=0
		timeout -k 2 30 "$SPOD" --timeout 20000 sign "$OLD_K1" --digest "$DIGEST" \
			>/dev/null 2>>"$T_DIR/cli.err" || rc=$?
		echo "$rc" >>"$T_DIR/cli.codes"
	done
}

timeout -k 5 200 "$PIPELINE" "$HOST_URI" load "$OLD_ED" "$T_DIR/load.status" \
	"$T_DIR/load.stop" 150 >"$T_DIR/load.out" 2>&1 &
LOAD_PID=$!
T_BG_PIDS+=("$LOAD_PID")
cli_loop &
CLI_PID=$!
T_BG_PIDS+=("$CLI_PID")

wait_until 30 field_at_least ok 300 || fail "load made no progress: $(cat "$T_DIR/load.status")"
wait_until 30 cli_at_least 0 3 || fail "CLI loop made no progress"
log "under load: $(cat "$T_DIR/load.status")"

# ---- kill -9 the enclave mid-load ----
kill9_enclave
log "enclave killed"
info_unavailable() {
	local rc=0
	"$SPOD" --timeout 5000 info >/dev/null 2>&1 || rc=$?
	((rc == 3))
}
wait_until 15 info_unavailable || fail "host still answers info after the enclave died"
# The dead enclave left its socket file behind: connecting to it is refused (exit 3).
[[ -S $T_DIR/enclave.sock ]] || fail "expected a stale enclave socket file"
expect_exit 3 "$SPOD" --uri "$ENCLAVE_URI" info
expect_exit 3 "$SPOD" sign "$OLD_K1" --digest "$DIGEST"
[[ $ERR == *UNAVAILABLE* ]] || fail "sign without an enclave: '$ERR'"
expect_exit 3 "$SPOD" keys list
expect_exit 3 "$SPOD" keys generate --alg p256
expect_exit 3 "$SPOD" --json keys public "$OLD_ED"
[[ $(echo "$ERR" | json_get 'd["error"]["code"]') == UNAVAILABLE ]] || fail "json: $ERR"
# The load sees UNAVAILABLE for its requests in flight and for new ones, and keeps going.
wait_until 20 field_at_least unavailable 1 ||
	fail "load saw no UNAVAILABLE: $(cat "$T_DIR/load.status")"
alive "$HOST_PID" || fail "spod-host died with the enclave"
alive "$LOAD_PID" || fail "load program stopped: $(cat "$T_DIR/load.out")"

# ---- a new enclave on the same socket ----
t0=$(now_us)
start_enclave
wait_ready 30
log "host reconnected after $((($(now_us) - t0) / 1000)) ms"

# Ephemeral: the old keys died with the old enclave.
run "$SPOD" --json info
[[ $(echo "$OUT" | json_get 'd["keys"]') == 0 ]] || fail "new enclave has keys: $OUT"
expect_exit 4 "$SPOD" sign "$OLD_K1" --digest "$DIGEST"
expect_exit 4 "$SPOD" sign "$OLD_ED" --message 00
expect_exit 4 "$SPOD" keys public "$OLD_ED"
# The load's old key is now KEY_NOT_FOUND on the same, still open, client connection.
wait_until 20 field_at_least notfound 1 ||
	fail "load got no answer from the new enclave: $(cat "$T_DIR/load.status")"

# New keys sign again.
for alg in ed25519 secp256k1 p256; do
	run "$SPOD" --json keys generate --alg "$alg"
	id=$(echo "$OUT" | json_get 'd["id"]')
	pub=$(echo "$OUT" | json_get 'd["public"]')
	if [[ $alg == ed25519 ]]; then
		run "$SPOD" sign "$id" --message 68656c6c6f
		run "$SPOD" verify --alg "$alg" --public "$pub" --message 68656c6c6f --signature "$OUT"
	else
		run "$SPOD" sign "$id" --digest "$DIGEST"
		run "$SPOD" verify --alg "$alg" --public "$pub" --digest "$DIGEST" \
			--signature "$(head -n1 <<<"$OUT")"
	fi
done

# ---- stop the load: everything answered, nothing hung ----
touch "$T_DIR/load.stop" "$T_DIR/cli.stop"
load_done() { ! alive "$LOAD_PID"; }
wait_until 60 load_done || fail "load did not finish draining"
load_rc=0
wait "$LOAD_PID" || load_rc=$?
cat "$T_DIR/load.out" >&2
((load_rc == 0)) || fail "load program failed ($load_rc): $(cat "$T_DIR/load.out")"
[[ $(status_field state) == "done" ]] || fail "load state: $(cat "$T_DIR/load.status")"
(($(status_field submitted) == $(status_field answered))) || fail "unanswered requests"
(($(status_field ok) > 0 && $(status_field bad) == 0)) || fail "load: $(cat "$T_DIR/load.status")"

cli_done() { ! alive "$CLI_PID"; }
wait_until 60 cli_done || fail "CLI loop did not finish"
wait "$CLI_PID" || true
codes=$(sort "$T_DIR/cli.codes" | uniq -c | tr -s ' ' | tr '\n' ',')
log "CLI exit codes (count code): $codes"
if grep -qvxE '0|3|4' "$T_DIR/cli.codes"; then
	fail "CLI calls ended with codes other than 0/3/4 (124 = hung): $codes;" \
		"$(tail -n 5 "$T_DIR/cli.err")"
fi
(($(cli_count 0) > 0)) || fail "no CLI call succeeded before the kill"

# ---- a second cycle: kill, stay down a while, restart; the host keeps retrying ----
kill9_enclave
wait_until 15 info_unavailable || fail "second kill: host still answers"
# Stay down long enough for the reconnect backoff to reach its 2 s ceiling.
t0=$(now_us)
down_long_enough() { (($(now_us) - t0 > 4000000)) && info_unavailable; }
wait_until 10 down_long_enough || fail "host answered while the enclave was down"
start_enclave
t0=$(now_us)
wait_ready 30
log "second reconnect after $((($(now_us) - t0) / 1000)) ms"
run timeout -k 5 240 "$PIPELINE" "$HOST_URI" check 1000
pod_alive || fail "a daemon died"
