#!/usr/bin/env bash
# Custodian mode end to end (docs/keys.md): a 2-of-3 ceremony, then a pod started with
# --seal custodians serves no key until two custodians have provisioned their shares through
# `spod custodian provision`. Checked on the way: before any share the pod is not ready (keys
# exit 3 NOT_PROVISIONED, the seal status shows 0 shares, /readyz is a 503 JSON); a provision
# against the wrong PCR0 is refused before anything is sent (exit 6; no custodian.share request
# reaches spod-host, the enclave holds no share); one share is not enough and the status says
# one more is needed; the same share twice is BAD_SHARE (exit 5); two make the pod ready. Keys
# of every algorithm (one labelled) sign and verify offline. Then the enclave restarts three
# times: SIGKILL and SIGTERM, each followed by two shares (another pair each time), after which
# every key is back with its id, public key and label and signs; and once with one share only,
# which leaves the pod waiting and saying one share is missing. Before that, a share of another
# ceremony sent first after a restart is refused (WRONG_SEAL_KEY, nothing sent: spod-host
# recorded the seal key at the first rebuild and the new boot expects it from the start), and
# the pod's own shares still make it ready. The audit log holds the
# provisioning (custodian.share, accepted and refused) and seal.state records, and verifies.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

S=$T_DIR/ceremony
run "$SPOD" custodian init --threshold 2 --shares 3 --out "$S"
SEAL_ID=$(json_get 'd["seal_key_id"]' <"$S/share-1.json")

start_pod --seal custodians
URL=$(http_url)
api() { "$PY" "$SPOD_SRC/tests/integration/http_api.py" "$1" "$URL" "$SPOD_SRC" "${@:2}"; }
# Requests of one op that reached spod-host (every status), from /metrics.
op_count() {
	api metric "spod_requests_total{op=\"$1\",status=\"OK\"}" | tr -d '\n'
	printf '+'
	api metric "spod_requests_total{op=\"$1\",status=\"BAD_SHARE\"}"
}
shares_sent() { $PY -c "print($(op_count custodian.share))"; }

# readyz_is CODE PRESENT READY: /readyz answers CODE with the seal state as JSON.
readyz_is() {
	local code body
	run api readyz
	code=${OUT%% *}
	body=${OUT#* }
	[[ $code == "$1" ]] || fail "/readyz: want $1, got $OUT"
	[[ $(json_get '[d["mode"], d["shares_present"], d["ready"]]' <<<"$body") == \
		"[\"custodians\", $2, $3]" ]] || fail "/readyz seal state: $OUT"
	if [[ $1 == 503 ]]; then
		[[ $(json_get 'd["error"]["code"]' <<<"$body") == NOT_PROVISIONED ]] ||
			fail "/readyz 503 without NOT_PROVISIONED: $OUT"
	fi
}

# the help pages name the provisioning commands
run "$SPOD" custodian --help
[[ $OUT == *"custodian provision --share FILE --expect-pcr0 HEX"* && $OUT == *"custodian status"* ]] ||
	fail "custodian --help: $OUT"
run "$SPOD" keys --help
[[ $OUT == *"keys import --key-file FILE"* ]] || fail "keys --help: $OUT"

# ---- waiting for the custodians
log "no share yet: not ready"
expect_exit 3 "$SPOD" keys generate --alg ed25519
[[ $ERR == *NOT_PROVISIONED* ]] || fail "keys generate before any share: $ERR"
expect_exit 3 "$SPOD" keys list
[[ $(seal_get '[d["mode"], d["ready"], d["shares_present"], d["seal_key_id"]]') == \
	'["custodians", false, 0, null]' ]] || fail "seal status before any share"
readyz_is 503 0 false
PCR0=$(pod_pcr0)
[[ $PCR0 =~ ^[0-9a-f]{96}$ ]] || fail "no PCR0: $PCR0"

log "a wrong PCR0: refused before anything is sent"
SENT0=$(shares_sent)
expect_exit 6 "$SPOD" custodian provision --share "$S/share-1.json" \
	--expect-pcr0 "$(flip_hex "$PCR0" 0)" --root dev
[[ $ERR == *PCR_MISMATCH* ]] || fail "wrong PCR0 refused without naming it: $ERR"
[[ $(shares_sent) == "$SENT0" ]] || fail "a custodian.share request was sent to a pod that failed its attestation"
[[ $(seal_get 'd["shares_present"]') == 0 ]] || fail "the enclave holds a share after a refused provision"
grep -q "custodian share" "$T_DIR/enclave.1.log" && fail "the enclave logged a share"
# --expect-pcr0 is required
expect_exit 2 "$SPOD" custodian provision --share "$S/share-1.json" --root dev
[[ $(shares_sent) == "$SENT0" ]] || fail "a share was sent without --expect-pcr0"

log "share 1: one of two"
provision "$S/share-1.json"
[[ $OUT == *"share 1 of 3 accepted"* && $OUT == *"1 of 2 needed present (1 more)"* ]] ||
	fail "after share 1: $OUT"
[[ $(seal_get '[d["ready"], d["shares_present"], d["shares_needed"], d["shares_total"], d["seal_key_id"]]') == \
	"[false, 1, 2, 3, \"$SEAL_ID\"]" ]] || fail "seal status after share 1"
expect_exit 3 "$SPOD" keys generate --alg ed25519
readyz_is 503 1 false
log "share 1 again: BAD_SHARE"
expect_exit 5 "$SPOD" custodian provision --share "$S/share-1.json" --expect-pcr0 "$PCR0" --root dev
[[ $ERR == *BAD_SHARE* && $ERR == *"here already"* ]] || fail "a repeated share: $ERR"
[[ $(seal_get 'd["shares_present"]') == 1 ]] || fail "a repeated share changed the count"

log "share 2: ready"
provision "$S/share-2.json"
[[ $OUT == *"seal key is rebuilt"* ]] || fail "after share 2: $OUT"
wait_until 20 keys_served || fail "keys not served after the second share"
[[ $(seal_get '[d["ready"], d["seal_key_id"]]') == "[true, \"$SEAL_ID\"]" ]] ||
	fail "seal status once ready"
readyz_is 200 2 true

for spec in "ed25519 --label treasury-1" "secp256k1" "p256 --label ops.p256"; do
	# shellcheck disable=SC2086 # split on purpose
	run "$SPOD" --json keys generate --alg $spec
done
KEYS=$(keys_json)
[[ $(json_get 'sorted([k["alg"], k["label"] or ""] for k in d)' <<<"$KEYS") == \
	'[["ed25519", "treasury-1"], ["p256", "ops.p256"], ["secp256k1", ""]]' ]] || fail "keys made: $KEYS"
sign_check_all "$KEYS"

# restart_enclave HOW SHARE SHARE: a new enclave boot, provisioned with two shares; every key
# comes back as it was and signs.
restart_enclave() {
	local how=$1
	if [[ $how == KILL ]]; then
		kill9_enclave
	else
		stop_daemon "$ENCLAVE_PID" spod-enclave || fail "the enclave exited uncleanly on SIGTERM"
	fi
	start_enclave
	wait_until 30 seal_waiting || fail "the new enclave boot is not waiting for shares ($how)"
	expect_exit 3 "$SPOD" keys list
	[[ $ERR == *NOT_PROVISIONED* ]] || fail "keys list while waiting ($how): $ERR"
	readyz_is 503 0 false
	# a new boot attests the same image: same PCR0
	[[ $(pod_pcr0) == "$PCR0" ]] || fail "PCR0 changed across an enclave restart"
	[[ $# -gt 1 ]] || return 0
	shift
	for f in "$@"; do
		provision "$f"
	done
	wait_until 20 keys_served || fail "keys not served after the shares ($how)"
	[[ $(keys_json) == "$KEYS" ]] || fail "keys after the restart ($how): $(keys_json), want $KEYS"
	sign_check_all "$KEYS"
	readyz_is 200 2 true
}

log "enclave SIGKILL, shares 3 and 1"
restart_enclave KILL "$S/share-3.json" "$S/share-1.json"
log "enclave SIGTERM, shares 2 and 3"
restart_enclave TERM "$S/share-2.json" "$S/share-3.json"
log "another ceremony's share, first after a restart: refused, the pod's own shares still work"
run "$SPOD" custodian init --threshold 2 --shares 2 --out "$T_DIR/other"
OTHER_ID=$(json_get 'd["seal_key_id"]' <"$T_DIR/other/share-1.json")
kill9_enclave
start_enclave
wait_until 30 seal_waiting || fail "the new enclave boot is not waiting for shares"
# spod-host recorded the seal key its keys are sealed under: the new boot expects it at once
[[ $(seal_get '[d["shares_present"], d["seal_key_id"]]') == "[0, \"$SEAL_ID\"]" ]] ||
	fail "the new boot does not expect the pod's seal key: $(seal_get 'd')"
SENT0=$(shares_sent)
expect_exit 5 "$SPOD" custodian provision --share "$T_DIR/other/share-1.json" \
	--expect-pcr0 "$PCR0" --root dev
[[ $ERR == *WRONG_SEAL_KEY* && $ERR == *"$SEAL_ID"* && $ERR == *"$OTHER_ID"* ]] ||
	fail "another ceremony's share: $ERR"
[[ $(shares_sent) == "$SENT0" ]] || fail "another ceremony's share was sent"
[[ $(seal_get 'd["shares_present"]') == 0 ]] || fail "another ceremony's share was taken"
for f in "$S/share-1.json" "$S/share-3.json"; do
	provision "$f"
done
wait_until 20 keys_served || fail "keys not served after the pod's own shares"
[[ $(keys_json) == "$KEYS" ]] || fail "keys after the foreign share: $(keys_json), want $KEYS"
grep -q "seal key $SEAL_ID recorded as this pod's" "$T_DIR/host.log" ||
	fail "spod-host did not record the seal key"

log "enclave SIGKILL, one share only"
restart_enclave KILL
provision "$S/share-2.json"
[[ $OUT == *"1 of 2 needed present (1 more)"* ]] || fail "one share after the restart: $OUT"
run "$SPOD" custodian status
[[ $OUT == *"(1 more)"* && $OUT == *"NO: waiting"* ]] || fail "custodian status: $OUT"
expect_exit 3 "$SPOD" sign "$(json_get 'd[0]["id"]' <<<"$KEYS")" --message 00
readyz_is 503 1 false

log "the audit log"
run "$SPOD" --json audit tail --limit 1000
printf '%s\n' "$OUT" >"$T_DIR/audit.json"
"$PY" - "$T_DIR/audit.json" "$SEAL_ID" <<'PY' || fail "audit records"
import json, sys
recs = json.load(open(sys.argv[1]))
seal_id = sys.argv[2]
shares = [r for r in recs if r["kind"] == "custodian.share"]
ok = [r for r in shares if r["result"] == "OK"]
bad = [r for r in shares if r["result"] == "BAD_SHARE"]
# 2 + 2 + 2 + 2 + 1 accepted, share 1 refused once; the wrong-PCR0 attempt and the other
# ceremony's share never reached the pod
assert len(ok) == 9 and len(bad) == 1 and len(shares) == 10, shares
assert sum("seal key rebuilt" in (r["detail"] or "") for r in ok) == 4, ok
assert all(r["token_id"] for r in shares), shares
states = [r["detail"] for r in recs if r["kind"] == "seal.state"]
assert sum(f"ready=1 seal_key_id={seal_id}" in s for s in states) == 4, states
assert sum(f"seal key {seal_id} recorded as this pod's" in s for s in states) == 1, states
assert sum("mode=custodians ready=0" in s for s in states) >= 4, states
gens = [r for r in recs if r["kind"] == "key.generate" and r["result"] == "OK"]
assert len(gens) == 3, gens
assert not [r for r in recs if r["kind"] in ("key.lost", "key.found")], "a key was lost"
print(f"{len(ok)} shares accepted, {len(bad)} refused, {len(states)} seal states")
PY
log "$OUT"
run "$SPOD" audit verify
pod_alive || fail "a daemon died"
log "ok"
