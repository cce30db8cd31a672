#!/usr/bin/env bash
# Key policies through the HTTP API (docs/policy.md, docs/openapi.yaml), end to end with the
# real binaries. An ephemeral pod without policy admins: PUT /v1/keys/{id}/policy attaches a
# policy to a secp256k1 key without approvals; sign-transaction then signs an EIP-1559
# transfer the policy allows (200) and refuses one over its max_value (403 POLICY_DENIED
# naming the rule and the reason); raw signing, which no rule allows, is refused too; GET
# shows the policy as JSON with its hash; DELETE removes it and raw signing works again. A
# second pod with policy-admins configured (K = 1 of 1) refuses a policy change without
# approvals (403 NOT_APPROVED) and takes one approved by the admin's Ed25519 key (made with
# openssl, over "spod policy approval v1" 0x00 || key id || SHA-256 of the policy's CBOR).
# The audit log holds the policy.set records, the refusals included, and verifies.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

ETH=$SPOD_SRC/tests/data/ethereum/ethers.txt
K=$T_DIR/keyfiles
mkdir -m 700 "$K"
ONE_ETH=1000000000000000000

eth_field() {
	awk -v n="$1" -v f="$2" '$1 == "name" { cur = $2 } cur == n && $1 == f { print $2; exit }' "$ETH"
}
# eip1559 VALUE_WEI: an unsigned EIP-1559 transfer on chain 1 of that value (hex, no 0x).
eip1559() {
	"$PY" - "$1" <<'PY'
import sys
def enc(x):
    if isinstance(x, list):
        body = b"".join(enc(i) for i in x)
        return (bytes([0xc0 + len(body)]) if len(body) < 56 else
                bytes([0xf7 + len(ln(len(body)))]) + ln(len(body))) + body
    if len(x) == 1 and x[0] < 0x80:
        return x
    return (bytes([0x80 + len(x)]) if len(x) < 56 else bytes([0xb7 + len(ln(len(x)))]) + ln(len(x))) + x
def ln(n):
    return n.to_bytes((n.bit_length() + 7) // 8, "big")
to = bytes.fromhex("3c44cdddb6a900fa2b585dd299e03d12fa4293bc")
fields = [ln(1), ln(7), ln(2_000_000_000), ln(100_000_000_000), ln(21000), to, ln(int(sys.argv[1])), b"", []]
print((b"\x02" + enc(fields)).hex())
PY
}

URL=
ADMIN=

POLICY="{\"version\":1,\"rules\":[{\"id\":\"cap\",\"effect\":\"allow\",\"chain\":\"ethereum\",\"kinds\":[\"transaction\"],\"chain_ids\":[1],\"max_value\":\"$ONE_ETH\"}]}"
DIGEST=$(random_hex 32)

start_pod
URL=$(http_url)
ADMIN=$(<"$T_DIR/admin.token")
PCR0=$(pod_pcr0)

log "a secp256k1 key, and a policy without approvals (ephemeral mode, no admins)"
eth_field eip1559_native key >"$K/key.hex"
run "$SPOD" --json keys import --key-file "$K/key.hex" --alg secp256k1 --expect-pcr0 "$PCR0" --root dev
ID=$(json_get 'd["id"]' <<<"$OUT")
[[ $ID =~ ^[0-9a-f]{32}$ ]] || fail "import: $OUT"
http "$ADMIN" GET "/v1/keys/$ID/policy"
want 200
[[ $(json_get '[d["key_id"], d["policy"]]' <<<"$BODY_OUT") == "[\"$ID\", null]" ]] || fail "no policy yet: $BODY_OUT"
http "$ADMIN" POST "/v1/keys/$ID/sign" "{\"digest\":\"$DIGEST\"}"
want 200
http "$ADMIN" PUT "/v1/keys/$ID/policy" "{\"policy\":$POLICY,\"approvals\":[]}"
want 200
HASH=$(json_get 'd["policy_hash"]' <<<"$BODY_OUT")
[[ $HASH =~ ^[0-9a-f]{64}$ && $(json_get 'd["key_id"]' <<<"$BODY_OUT") == "$ID" ]] || fail "PUT answer: $BODY_OUT"

log "sign-transaction: within the policy 200, over max_value 403 naming the rule"
http "$ADMIN" POST "/v1/keys/$ID/sign-transaction" "{\"chain\":\"ethereum\",\"tx\":\"0x$(eip1559 500000000000000000)\"}"
want 200
[[ $(json_get 'd["signed_tx"]' <<<"$BODY_OUT") == 0x02* ]] || fail "signed tx: $BODY_OUT"
http "$ADMIN" POST "/v1/keys/$ID/sign-transaction" "{\"chain\":\"ethereum\",\"tx\":\"0x$(eip1559 2000000000000000000)\"}"
want 403 POLICY_DENIED
[[ $(json_get 'd["error"]["rule"]' <<<"$BODY_OUT") == cap ]] || fail "denial without its rule: $BODY_OUT"
[[ $(json_get 'd["error"]["reason"]' <<<"$BODY_OUT") == *max_value* ]] || fail "denial reason: $BODY_OUT"
[[ $(json_get 'd["error"]["message"]' <<<"$BODY_OUT") == *'denied by rule "cap"'* ]] || fail "denial message: $BODY_OUT"
log "raw signing: no rule allows it"
http "$ADMIN" POST "/v1/keys/$ID/sign" "{\"digest\":\"$DIGEST\"}"
want 403 POLICY_DENIED

log "GET: the policy as JSON, its hash, no admin set"
http "$ADMIN" GET "/v1/keys/$ID/policy"
want 200
[[ $(json_get '[d["policy"]["rules"][0]["id"], d["policy"]["rules"][0]["max_value"], d["policy_hash"], d["admin_set"]]' <<<"$BODY_OUT") == \
	"[\"cap\", \"$ONE_ETH\", \"$HASH\", null]" ]] || fail "GET policy: $BODY_OUT"

log "refusals of the body and of the token"
http "$ADMIN" PUT "/v1/keys/$ID/policy" '{"policy":{"version":1,"rules":[{"id":"x","effect":"allow","bogus":1}]}}'
want 400 BAD_ARG
[[ $(json_get 'd["error"]["message"]' <<<"$BODY_OUT") == *bogus* ]] || fail "converter message: $BODY_OUT"
http "$ADMIN" PUT "/v1/keys/$ID/policy" '{"approvals":[]}'
want 400 BAD_ARG
http "$ADMIN" PUT "/v1/keys/$ID/policy" "{\"policy\":$POLICY,\"approvals\":[\"abcd\"]}"
want 400 BAD_ARG
run "$SPOD" --json token create --scope 'ops=sign,list;keys=*'
NOADMIN=$(json_get 'd["token"]' <<<"$OUT")
http "$NOADMIN" PUT "/v1/keys/$ID/policy" "{\"policy\":$POLICY}"
want 403 FORBIDDEN
http "$NOADMIN" GET "/v1/keys/$ID/policy"
want 200
http "$ADMIN" GET "/v1/keys/$(random_hex 16)/policy"
want 404 KEY_NOT_FOUND

log "DELETE (no body): raw signing works again"
http "$ADMIN" DELETE "/v1/keys/$ID/policy"
want 200
[[ $(json_get '[d["key_id"], d["policy_hash"]]' <<<"$BODY_OUT") == "[\"$ID\", null]" ]] || fail "DELETE answer: $BODY_OUT"
http "$ADMIN" GET "/v1/keys/$ID/policy"
[[ $(json_get 'd["policy"]' <<<"$BODY_OUT") == null ]] || fail "after DELETE: $BODY_OUT"
http "$ADMIN" POST "/v1/keys/$ID/sign" "{\"digest\":\"$DIGEST\"}"
want 200
pod_alive || fail "the pod died"

log "audit: policy.set records and the refusals"
wait_audit
run "$SPOD" --json audit tail --limit 1000
echo "$OUT" >"$T_DIR/audit1.json"
"$PY" - "$T_DIR/audit1.json" "$ID" "$HASH" <<'PY' || fail "audit records of the policy"
import json, sys
recs, key, h = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
sets = [(r["result"], r["detail"]) for r in recs if r["kind"] == "policy.set" and r["key_id"] == key]
assert ("OK", "policy=" + h) in sets, sets
assert ("OK", "removed") in sets, sets
assert any(r["kind"] == "sign" and r["key_id"] == key and r["result"] == "POLICY_DENIED" and
           (r["detail"] or "").startswith("tx=") for r in recs), "no refused sign.tx"
assert any(r["kind"] == "sign" and r["key_id"] == key and r["result"] == "POLICY_DENIED" and
           (r["detail"] or "").startswith("mode=") for r in recs), "no refused raw sign"
PY
run "$SPOD" audit verify

log "a pod with one policy admin: a change needs its approval"
openssl genpkey -algorithm ed25519 -out "$K/admin.pem" 2>/dev/null || fail "openssl genpkey"
ADMIN_PUB=$(openssl pkey -in "$K/admin.pem" -pubout -outform DER | tail -c 32 | od -An -tx1 | tr -d ' \n')
[[ $ADMIN_PUB =~ ^[0-9a-f]{64}$ ]] || fail "admin public key: $ADMIN_PUB"
stop_daemon "$HOST_PID" spod-host || fail "spod-host exit"
stop_daemon "$ENCLAVE_PID" spod-enclave || fail "spod-enclave exit"
HOST_PID=
ENCLAVE_PID=
start_pod --policy-admins "$ADMIN_PUB" --policy-threshold 1
URL=$(http_url)
grep -q "policy admins: 1 of 1, admin set [0-9a-f]\{64\}" "$T_DIR/host.log" || fail "admin set not logged"
run "$SPOD" --json keys generate --alg secp256k1
ID2=$(json_get 'd["id"]' <<<"$OUT")
http "$ADMIN" PUT "/v1/keys/$ID2/policy" "{\"policy\":$POLICY}"
want 403 NOT_APPROVED
# approve: Ed25519 over the domain, the key id and the policy's hash (the same policy: the
# same CBOR and hash as on the first pod)
{ printf 'spod policy approval v1\0'; "$PY" -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.argv[1] + sys.argv[2]))' "$ID2" "$HASH"; } >"$K/msg.bin"
openssl pkeyutl -sign -rawin -inkey "$K/admin.pem" -in "$K/msg.bin" -out "$K/sig.bin" || fail "openssl sign"
APPROVAL=$ADMIN_PUB$(od -An -tx1 "$K/sig.bin" | tr -d ' \n')
[[ ${#APPROVAL} == 192 ]] || fail "approval: $APPROVAL"
http "$ADMIN" PUT "/v1/keys/$ID2/policy" "{\"policy\":$POLICY,\"approvals\":[\"$APPROVAL\"]}"
want 200
[[ $(json_get 'd["policy_hash"]' <<<"$BODY_OUT") == "$HASH" ]] || fail "approved PUT: $BODY_OUT"
http "$ADMIN" GET "/v1/keys/$ID2/policy"
[[ $(json_get 'd["admin_set"]' <<<"$BODY_OUT") =~ ^[0-9a-f]{64}$ ]] || fail "admin set of the policy: $BODY_OUT"
# an approval is for one policy on one key: removing needs its own
http "$ADMIN" DELETE "/v1/keys/$ID2/policy" "{\"approvals\":[\"$APPROVAL\"]}"
want 403 NOT_APPROVED
run "$SPOD" --json audit tail --limit 50
[[ $(json_get '[r["result"] for r in d if r["kind"] == "policy.set" and r["key_id"] == "'"$ID2"'"]' <<<"$OUT") == \
	'["NOT_APPROVED", "OK", "NOT_APPROVED"]' ]] || fail "audit of the approved pod: $OUT"
run "$SPOD" audit verify
pod_alive || fail "the pod died"
log "ok"
