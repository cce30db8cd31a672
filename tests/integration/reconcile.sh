#!/usr/bin/env bash
# Key records follow the enclave (docs/storage.md): in ephemeral mode an enclave restart loses
# every key, and on reconnecting spod-host marks the records of the keys the enclave no longer
# holds as lost (audited as key.lost). Their labels are free again, a label-scoped token's
# key.list (answered from the host's records) no longer shows them, and signing or deleting
# one is KEY_NOT_FOUND. Keys made after the restart are untouched, and a second connection
# to the same enclave loses nothing.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

start_pod
run "$SPOD" --json keys generate --alg secp256k1 --label hot-wallet
OLD=$(json_get 'd["id"]' <<<"$OUT")
run "$SPOD" --json keys generate --alg ed25519
OLD_ED=$(json_get 'd["id"]' <<<"$OUT")
run "$SPOD" --json token create --scope 'ops=list,sign;keys=label:hot-wallet'
SCOPED=$(json_get 'd["token"]' <<<"$OUT")
SPOD_TOKEN=$SCOPED run "$SPOD" --json keys list
[[ $(json_get '[k["id"] for k in d]' <<<"$OUT") == "[\"$OLD\"]" ]] || fail "scoped list: $OUT"

# ---- the enclave restarts: its keys are gone ----
kill9_enclave
start_enclave
wait_ready 30
# Reconciliation happens before the connection carries requests; its records commit with
# the next wake-up. Wait until both keys are recorded as lost.
lost_count() {
	"$SPOD" --json audit tail --limit 50 2>/dev/null |
		json_get 'sum(1 for r in d if r["kind"] == "key.lost")'
}
two_lost() { [[ $(lost_count) == 2 ]]; }
wait_until 20 two_lost || fail "expected 2 key.lost records, got $(lost_count)"

# The label is free: the README tour's second run works.
run "$SPOD" --json keys generate --alg secp256k1 --label hot-wallet
NEW=$(json_get 'd["id"]' <<<"$OUT")
[[ $NEW != "$OLD" ]] || fail "same id"
# The scoped token sees the new key only, never the lost one.
SPOD_TOKEN=$SCOPED run "$SPOD" --json keys list
[[ $(json_get '[k["id"] for k in d]' <<<"$OUT") == "[\"$NEW\"]" ]] || fail "scoped list after restart: $OUT"
SPOD_TOKEN=$SCOPED run "$SPOD" sign "$NEW" --digest "$(random_hex 32)"
# The lost keys: not found, for the scoped token too (its label now names another key).
expect_exit 4 "$SPOD" sign "$OLD" --digest "$(random_hex 32)"
SPOD_TOKEN=$SCOPED expect_exit 7 "$SPOD" sign "$OLD" --digest "$(random_hex 32)"
expect_exit 4 "$SPOD" keys delete "$OLD_ED"
run "$SPOD" --json keys list
[[ $(json_get '[k["id"] for k in d]' <<<"$OUT") == "[\"$NEW\"]" ]] || fail "admin list: $OUT"

# ---- a host restart reconnects to the same enclave: nothing more is lost ----
stop_daemon "$HOST_PID" spod-host || fail "host exited uncleanly"
start_host
wait_ready 30
run "$SPOD" sign "$NEW" --digest "$(random_hex 32)"
[[ $(lost_count) == 2 ]] || fail "a live key was marked lost: $(lost_count) key.lost records"
run "$SPOD" audit verify
pod_alive || fail "a daemon died"
log "ok"
