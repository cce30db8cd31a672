#!/usr/bin/env bash
# A key's policy survives an enclave restart in custodian mode (docs/policy.md, "Attaching a
# policy"): spod-host stores the version 2 blob policy.set answers with, and after the
# restart it registers the policy admins again (policy.admins) before it replays the blobs,
# so the key comes back with its policy and admin set. A spod-host restarted with another
# admin set while the enclave keeps its own is refused (MODE_CONFLICT, logged), and serves
# again with the right set. The policy's hash comes from a first, ephemeral pod (the same
# policy has the same CBOR everywhere); approvals are made with openssl.
# A rate limit consumed before the enclave restart stays consumed after it: spod-host has the
# key re-sealed with its policy state (policy.sync) within about a second of a signing and
# stores that blob, which the restarted enclave loads.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

K=$T_DIR/keyfiles
mkdir -m 700 "$K"
POLICY='{"version":1,"rules":[{"id":"cap","effect":"allow","chain":"ethereum","kinds":["transaction"],"chain_ids":[1],"max_value":"1000000000000000000"}]}'
# an EIP-1559 transfer of 2 ETH on chain 1 (policy_http.sh's encoder made it)
# raw signs allowed twice an hour
RATE_POLICY='{"version":1,"rules":[{"id":"twice","effect":"allow","chain":"ethereum","kinds":["raw"],"rate":{"count":2,"seconds":3600}}]}'
BIG_TX=02f00107847735940085174876e800825208943c44cdddb6a900fa2b585dd299e03d12fa4293bc881bc16d674ec8000080c0

stop_pod() {
	stop_daemon "$HOST_PID" spod-host || fail "spod-host exit"
	HOST_PID=
	if [[ -n $ENCLAVE_PID ]]; then
		stop_daemon "$ENCLAVE_PID" spod-enclave || fail "spod-enclave exit"
		ENCLAVE_PID=
	fi
}
# admin_key NAME: an Ed25519 admin key; prints its public key (hex)
admin_key() {
	openssl genpkey -algorithm ed25519 -out "$K/$1.pem" 2>/dev/null || fail "openssl genpkey"
	openssl pkey -in "$K/$1.pem" -pubout -outform DER | tail -c 32 | od -An -tx1 | tr -d ' \n'
}
# approve NAME KEY_ID HASH: the admin's approval of the policy with that hash for the key
approve() {
	{
		printf 'spod policy approval v1\0'
		"$PY" -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.argv[1] + sys.argv[2]))' "$2" "$3"
	} >"$K/msg.bin"
	openssl pkeyutl -sign -rawin -inkey "$K/$1.pem" -in "$K/msg.bin" -out "$K/sig.bin" || fail "openssl sign"
	printf '%s%s' "$(openssl pkey -in "$K/$1.pem" -pubout -outform DER | tail -c 32 | od -An -tx1 | tr -d ' \n')" \
		"$(od -An -tx1 "$K/sig.bin" | tr -d ' \n')"
}

log "the policy's hash, from an ephemeral pod"
start_pod
run "$SPOD" --json keys generate --alg secp256k1
ID0=$(json_get 'd["id"]' <<<"$OUT")
ADMIN=$(<"$T_DIR/admin.token")
http "$ADMIN" PUT "/v1/keys/$ID0/policy" "{\"policy\":$POLICY}"
[[ $CODE == 200 ]] || fail "ephemeral PUT: $CODE $BODY_OUT"
HASH=$(json_get 'd["policy_hash"]' <<<"$BODY_OUT")
http "$ADMIN" PUT "/v1/keys/$ID0/policy" "{\"policy\":$RATE_POLICY}"
[[ $CODE == 200 ]] || fail "ephemeral PUT of the rate policy: $CODE $BODY_OUT"
RATE_HASH=$(json_get 'd["policy_hash"]' <<<"$BODY_OUT")
stop_pod

log "custodian mode with one policy admin: an approved policy"
ALICE=$(admin_key alice)
BOB=$(admin_key bob)
run "$SPOD" custodian init --threshold 2 --shares 2 --out "$T_DIR/ceremony"
start_pod --seal custodians --policy-admins "$ALICE" --policy-threshold 1
PCR0=$(pod_pcr0)
provision "$T_DIR/ceremony/share-1.json"
provision "$T_DIR/ceremony/share-2.json"
wait_until 20 keys_served || fail "keys not served after provisioning"
grep -q "policy admins: 1 of 1, admin set" "$T_DIR/host.log" || fail "admin set not logged"
run "$SPOD" --json keys generate --alg secp256k1
ID=$(json_get 'd["id"]' <<<"$OUT")
http "$ADMIN" PUT "/v1/keys/$ID/policy" "{\"policy\":$POLICY}"
[[ $CODE == 403 && $(json_get 'd["error"]["code"]' <<<"$BODY_OUT") == NOT_APPROVED ]] ||
	fail "custodian mode without approvals: $CODE $BODY_OUT"
http "$ADMIN" PUT "/v1/keys/$ID/policy" "{\"policy\":$POLICY,\"approvals\":[\"$(approve bob "$ID" "$HASH")\"]}"
[[ $CODE == 403 ]] || fail "an approval by a key outside the set: $CODE $BODY_OUT"
http "$ADMIN" PUT "/v1/keys/$ID/policy" "{\"policy\":$POLICY,\"approvals\":[\"$(approve alice "$ID" "$HASH")\"]}"
[[ $CODE == 200 ]] || fail "approved PUT: $CODE $BODY_OUT"
http "$ADMIN" GET "/v1/keys/$ID/policy"
SET=$(json_get 'd["admin_set"]' <<<"$BODY_OUT")
[[ $SET =~ ^[0-9a-f]{64}$ ]] || fail "admin set: $BODY_OUT"
http "$ADMIN" POST "/v1/keys/$ID/sign-transaction" "{\"chain\":\"ethereum\",\"tx\":\"0x$BIG_TX\"}"
[[ $CODE == 403 && $(json_get 'd["error"]["rule"]' <<<"$BODY_OUT") == cap ]] || fail "2 ETH: $CODE $BODY_OUT"

log "a rate limit consumed before the restart"
run "$SPOD" --json keys generate --alg secp256k1
RID=$(json_get 'd["id"]' <<<"$OUT")
http "$ADMIN" PUT "/v1/keys/$RID/policy" "{\"policy\":$RATE_POLICY,\"approvals\":[\"$(approve alice "$RID" "$RATE_HASH")\"]}"
[[ $CODE == 200 ]] || fail "approved PUT of the rate policy: $CODE $BODY_OUT"
metric() { "$PY" "$SPOD_SRC/tests/integration/http_api.py" metric "$(http_url)" "$SPOD_SRC" "$1"; }
SYNCS0=$(metric spod_policy_syncs_total)
for i in 1 2; do
	http "$ADMIN" POST "/v1/keys/$RID/sign" "{\"digest\":\"$(random_hex 32)\"}"
	[[ $CODE == 200 ]] || fail "raw sign $i of 2: $CODE $BODY_OUT"
done
http "$ADMIN" POST "/v1/keys/$RID/sign" "{\"digest\":\"$(random_hex 32)\"}"
[[ $CODE == 403 && $(json_get 'd["error"]["rule"]' <<<"$BODY_OUT") == twice ]] || fail "raw sign 3 of 2: $CODE $BODY_OUT"
# the signings are re-sealed within about a second (HOST_POLICY_SYNC_MS)
synced() { (($(metric spod_policy_syncs_total) > SYNCS0)); }
wait_until 10 synced || fail "no policy.sync stored the key's state"
sleep 2 # and the sync of the last signing, if the first one came before it

log "the enclave restarts: the key comes back with its policy"
kill9_enclave
# shellcheck disable=SC2119 # start_enclave takes optional arguments
start_enclave
wait_until 20 seal_waiting || fail "the new enclave boot does not wait for its shares"
provision "$T_DIR/ceremony/share-1.json"
provision "$T_DIR/ceremony/share-2.json"
wait_until 20 keys_served || fail "keys not served after the restart"
http "$ADMIN" GET "/v1/keys/$ID/policy"
[[ $CODE == 200 && $(json_get '[d["policy_hash"], d["admin_set"], d["policy"]["rules"][0]["id"]]' <<<"$BODY_OUT") == \
	"[\"$HASH\", \"$SET\", \"cap\"]" ]] || fail "policy after the restart: $CODE $BODY_OUT"
http "$ADMIN" POST "/v1/keys/$ID/sign-transaction" "{\"chain\":\"ethereum\",\"tx\":\"0x$BIG_TX\"}"
[[ $CODE == 403 && $(json_get 'd["error"]["rule"]' <<<"$BODY_OUT") == cap ]] ||
	fail "2 ETH after the restart: $CODE $BODY_OUT"
http "$ADMIN" POST "/v1/keys/$ID/sign" "{\"digest\":\"$(random_hex 32)\"}"
[[ $CODE == 403 ]] || fail "raw signing after the restart: $CODE $BODY_OUT"
http "$ADMIN" POST "/v1/keys/$RID/sign" "{\"digest\":\"$(random_hex 32)\"}"
[[ $CODE == 403 && $(json_get '[d["error"]["code"], d["error"]["rule"]]' <<<"$BODY_OUT") == '["POLICY_DENIED", "twice"]' ]] ||
	fail "the rate limit was reset by the restart: $CODE $BODY_OUT"

log "spod-host with another admin set: refused while the enclave holds its own"
stop_daemon "$HOST_PID" spod-host || fail "spod-host exit"
start_host --seal custodians --policy-admins "$BOB" --policy-threshold 1
wait_until 20 grep -q "REFUSED: policy.admins" "$T_DIR/host.log" || fail "no refusal logged"
grep "REFUSED: policy.admins" "$T_DIR/host.log" | head -n1 | grep -q MODE_CONFLICT ||
	fail "refusal without its reason: $(grep REFUSED "$T_DIR/host.log")"
expect_exit 3 "$SPOD" --timeout 3000 keys list
stop_daemon "$HOST_PID" spod-host || fail "spod-host exit"
start_host --seal custodians --policy-admins "$ALICE" --policy-threshold 1
wait_until 20 keys_served || fail "keys not served with the right admin set"
http "$ADMIN" GET "/v1/keys/$ID/policy"
[[ $CODE == 200 && $(json_get 'd["policy_hash"]' <<<"$BODY_OUT") == "$HASH" ]] || fail "policy: $CODE $BODY_OUT"
run "$SPOD" --json audit tail --limit 200
[[ $(json_get 'sorted({r["result"] for r in d if r["kind"] == "policy.admins"})' <<<"$OUT") == '["MODE_CONFLICT"]' ]] ||
	fail "the refused policy.admins is not audited: $OUT"
run "$SPOD" audit verify
pod_alive || fail "the pod died"
log "ok"
