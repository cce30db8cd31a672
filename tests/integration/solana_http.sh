#!/usr/bin/env bash
# The Solana routes of the HTTP API (docs/solana.md), end to end with the real binaries and
# curl. Ed25519 keys made over HTTP; legacy transfers built here in Python with a pod key as
# fee payer. POST /v1/solana/sign-transaction finds the token's key that signs (none: 403,
# several: 400, an explicit key_id that does not sign: 400), answers the transaction with
# that slot filled, the signer's base58 address and the base58 signature, which verifies
# over the message (python3-cryptography). A token limited to one of two signers picks that
# one. POST /v1/solana/sign-message signs raw bytes by key_id or address and refuses bytes
# that are a transaction or a message. A key with a policy: a transfer over its max_value is
# 403 POLICY_DENIED naming the rule, and a raw message is refused (no rule allows raw).
# GET /v1/keys/{id} and the list show solana_address; `spod keys public --format
# solana-address` prints the same.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

URL=

# soltx LAMPORTS PAYER_HEX [SIGNER2_HEX]: base64 of an unsigned legacy System transfer
# (bench/tx_row.c's layout) with empty signature slots, paid by PAYER.
soltx() {
	"$PY" - "$@" <<'PY'
import base64, struct, sys
lamports, signers = int(sys.argv[1]), [bytes.fromhex(h) for h in sys.argv[2:]]
to, system = bytes([0x10]) * 32, bytes(32)
keys = signers + [to, system]
msg = bytes([len(signers), 0, 1, len(keys)]) + b"".join(keys) + bytes([0x42]) * 32
msg += bytes([1, len(keys) - 1, 2, 0, len(signers), 12]) + struct.pack("<IQ", 2, lamports)
print(base64.b64encode(bytes([len(signers)]) + bytes(64 * len(signers)) + msg).decode())
PY
}

# b58 HEX: base58 of the bytes, computed here independently of spod's encoder.
b58() {
	"$PY" -c 'import sys
b = bytes.fromhex(sys.argv[1]); n = int.from_bytes(b, "big")
a = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"; s = ""
while n: n, r = divmod(n, 58); s = a[r] + s
print("1" * (len(b) - len(b.lstrip(b"\0"))) + s)' "$1"
}

# check_tx UNSIGNED_B64 PUB_HEX: the answer in BODY_OUT is UNSIGNED with the slot of PUB
# filled by a valid signature over the message, and names PUB and that signature in base58.
check_tx() {
	"$PY" - "$1" "$2" "$BODY_OUT" <<'PY' || fail "sign-transaction answer: $BODY_OUT"
import base64, json, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
unsigned, pub, d = base64.b64decode(sys.argv[1]), bytes.fromhex(sys.argv[2]), json.loads(sys.argv[3])
A = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
def b58(b):
    n, s = int.from_bytes(b, "big"), ""
    while n: n, r = divmod(n, 58); s = A[r] + s
    return "1" * (len(b) - len(b.lstrip(b"\0"))) + s
signed, n = base64.b64decode(d["transaction"]), unsigned[0]
msg = unsigned[1 + 64 * n:]
assert len(signed) == len(unsigned) and signed[1 + 64 * n:] == msg, "message changed"
keys = [msg[4 + 32 * i:4 + 32 * (i + 1)] for i in range(msg[0])]
slot = keys.index(pub)
sig = signed[1 + 64 * slot:1 + 64 * (slot + 1)]
Ed25519PublicKey.from_public_bytes(pub).verify(sig, msg)
for i in range(n):
    if i != slot:
        assert signed[1 + 64 * i:1 + 64 * (i + 1)] == bytes(64), "another slot was filled"
assert d["signer"] == b58(pub) and d["signature"] == b58(sig), "signer or signature"
assert d["summary"]["transfers"][0]["to"] == b58(bytes([0x10]) * 32)
PY
}

start_pod
URL=$(http_url)
ADMIN=$(<"$T_DIR/admin.token")

log "two Ed25519 keys and a secp256k1 key; the key views show solana_address"
http "$ADMIN" POST /v1/keys '{"alg":"ed25519"}'
want 201
A_ID=$(json_get 'd["id"]' <<<"$BODY_OUT")
A_PUB=$(json_get 'd["public_key"]' <<<"$BODY_OUT")
A_ADDR=$(b58 "$A_PUB")
[[ $(json_get 'd["solana_address"]' <<<"$BODY_OUT") == "$A_ADDR" ]] || fail "POST /v1/keys: $BODY_OUT"
http "$ADMIN" POST /v1/keys '{"alg":"ed25519"}'
want 201
B_ID=$(json_get 'd["id"]' <<<"$BODY_OUT")
B_PUB=$(json_get 'd["public_key"]' <<<"$BODY_OUT")
http "$ADMIN" POST /v1/keys '{"alg":"secp256k1"}'
want 201
E_ID=$(json_get 'd["id"]' <<<"$BODY_OUT")
[[ $(json_get '"solana_address" in d' <<<"$BODY_OUT") == false ]] || fail "secp256k1 with a Solana address: $BODY_OUT"
http "$ADMIN" GET "/v1/keys/$A_ID"
want 200
[[ $(json_get 'd["solana_address"]' <<<"$BODY_OUT") == "$A_ADDR" ]] || fail "GET key: $BODY_OUT"
http "$ADMIN" GET /v1/keys
want 200
[[ $(json_get "[k['solana_address'] for k in d['keys'] if k['id'] == '$A_ID'][0]" <<<"$BODY_OUT") == "$A_ADDR" ]] ||
	fail "key list: $BODY_OUT"

log "keys public --format solana-address"
run "$SPOD" keys public "$A_ID" --format solana-address
[[ $OUT == "$A_ADDR" ]] || fail "--format solana-address: $OUT, want $A_ADDR"
expect_exit 2 "$SPOD" keys public "$E_ID" --format solana-address
[[ $ERR == *"needs an Ed25519 key"* ]] || fail "secp256k1 --format solana-address: $ERR"

log "sign-transaction: the pod key that pays signs, whichever the token's keys are"
TX=$(soltx 1000000000 "$A_PUB")
http "$ADMIN" POST /v1/solana/sign-transaction "{\"transaction\":\"$TX\"}"
want 200
check_tx "$TX" "$A_PUB"
[[ $(json_get 'd["key_id"]' <<<"$BODY_OUT") == "$A_ID" ]] || fail "key_id: $BODY_OUT"
# An explicit key_id gives the same (Ed25519 is deterministic).
FIRST=$BODY_OUT
http "$ADMIN" POST /v1/solana/sign-transaction "{\"transaction\":\"$TX\",\"key_id\":\"$A_ID\"}"
want 200
[[ $BODY_OUT == "$FIRST" ]] || fail "with key_id: $BODY_OUT, without: $FIRST"

log "no pod key signs: 403 naming the fee payer; a key_id that does not sign: 400"
TX_NONE=$(soltx 5 "$(random_hex 32)")
http "$ADMIN" POST /v1/solana/sign-transaction "{\"transaction\":\"$TX_NONE\"}"
want 403 FORBIDDEN
[[ $(json_get 'd["error"]["message"]' <<<"$BODY_OUT") == *"required signer"*"fee payer"* ]] || fail "no signer: $BODY_OUT"
http "$ADMIN" POST /v1/solana/sign-transaction "{\"transaction\":\"$TX_NONE\",\"key_id\":\"$A_ID\"}"
want 400 BAD_ARG
[[ $(json_get 'd["error"]["message"]' <<<"$BODY_OUT") == *"$A_ADDR"*"not a required signer"* ]] || fail "key_id not a signer: $BODY_OUT"
http "$ADMIN" POST /v1/solana/sign-transaction "{\"transaction\":\"$TX\",\"key_id\":\"$E_ID\"}"
want 400 BAD_MODE

log "two pod keys sign: 400 without key_id; a token limited to one of them picks it"
TX2=$(soltx 7 "$A_PUB" "$B_PUB")
http "$ADMIN" POST /v1/solana/sign-transaction "{\"transaction\":\"$TX2\"}"
want 400 BAD_ARG
[[ $(json_get 'd["error"]["message"]' <<<"$BODY_OUT") == *"key_id"* ]] || fail "several signers: $BODY_OUT"
http "$ADMIN" POST /v1/solana/sign-transaction "{\"transaction\":\"$TX2\",\"key_id\":\"$B_ID\"}"
want 200
check_tx "$TX2" "$B_PUB"
run "$SPOD" --json token create --scope "ops=sign,list;keys=id:$B_ID"
ONLY_B=$(json_get 'd["token"]' <<<"$OUT")
http "$ONLY_B" POST /v1/solana/sign-transaction "{\"transaction\":\"$TX2\"}"
want 200
check_tx "$TX2" "$B_PUB"
http "$ONLY_B" POST /v1/solana/sign-transaction "{\"transaction\":\"$TX\"}"
want 403 FORBIDDEN

log "malformed bodies"
http "$ADMIN" POST /v1/solana/sign-transaction '{"transaction":"AAAA"}'
want 400 BAD_ARG
http "$ADMIN" POST /v1/solana/sign-transaction '{"transaction":"not base64!"}'
want 400 BAD_ARG
http "$ADMIN" POST /v1/solana/sign-transaction "{\"transaction\":\"$TX\",\"chain\":\"solana\"}"
want 400 BAD_ARG
http "$ADMIN" POST /v1/solana/sign-transaction '{}'
want 400 BAD_ARG

log "sign-message: by address and by key_id; a transaction or its message is refused"
MSG_B64=$(printf 'hello from spod' | base64)
http "$ADMIN" POST /v1/solana/sign-message "{\"message\":\"$MSG_B64\",\"address\":\"$A_ADDR\"}"
want 200
"$PY" - "$A_PUB" "$BODY_OUT" <<'PY' || fail "sign-message answer: $BODY_OUT"
import json, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
A = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
def unb58(s):
    n = 0
    for c in s: n = n * 58 + A.index(c)
    return n.to_bytes(64, "big")
pub, d = bytes.fromhex(sys.argv[1]), json.loads(sys.argv[2])
Ed25519PublicKey.from_public_bytes(pub).verify(unb58(d["signature"]), b"hello from spod")
PY
[[ $(json_get 'd["signer"]' <<<"$BODY_OUT") == "$A_ADDR" && $(json_get 'd["key_id"]' <<<"$BODY_OUT") == "$A_ID" ]] ||
	fail "sign-message signer: $BODY_OUT"
BY_ADDR=$BODY_OUT
http "$ADMIN" POST /v1/solana/sign-message "{\"message\":\"$MSG_B64\",\"key_id\":\"$A_ID\"}"
want 200
[[ $BODY_OUT == "$BY_ADDR" ]] || fail "by key_id: $BODY_OUT, by address: $BY_ADDR"
http "$ADMIN" POST /v1/solana/sign-message "{\"message\":\"$TX\",\"key_id\":\"$A_ID\"}"
want 400 BAD_ARG
[[ $(json_get 'd["error"]["message"]' <<<"$BODY_OUT") == *"looks like a transaction"* ]] || fail "a transaction as message: $BODY_OUT"
MSG_ONLY=$("$PY" -c 'import base64, sys; print(base64.b64encode(base64.b64decode(sys.argv[1])[65:]).decode())' "$TX")
http "$ADMIN" POST /v1/solana/sign-message "{\"message\":\"$MSG_ONLY\",\"address\":\"$A_ADDR\"}"
want 400 BAD_ARG
http "$ADMIN" POST /v1/solana/sign-message "{\"message\":\"$MSG_B64\",\"address\":\"$(b58 "$(random_hex 32)")\"}"
want 404 KEY_NOT_FOUND
http "$ADMIN" POST /v1/solana/sign-message "{\"message\":\"$MSG_B64\",\"key_id\":\"$A_ID\",\"address\":\"$A_ADDR\"}"
want 400 BAD_ARG
http "$ADMIN" POST /v1/solana/sign-message "{\"message\":\"$MSG_B64\",\"address\":\"0OIl\"}"
want 400 BAD_ARG

log "a policy on the key: a transfer over max_value is 403 with the rule; raw messages too"
POLICY='{"version":1,"rules":[{"id":"sol-cap","effect":"allow","chain":"solana","kinds":["transaction"],"max_value":"1000000"}]}'
http "$ADMIN" PUT "/v1/keys/$A_ID/policy" "{\"policy\":$POLICY,\"approvals\":[]}"
want 200
SMALL=$(soltx 5000 "$A_PUB")
http "$ADMIN" POST /v1/solana/sign-transaction "{\"transaction\":\"$SMALL\"}"
want 200
check_tx "$SMALL" "$A_PUB"
http "$ADMIN" POST /v1/solana/sign-transaction "{\"transaction\":\"$TX\"}"
want 403 POLICY_DENIED
[[ $(json_get 'd["error"]["rule"]' <<<"$BODY_OUT") == sol-cap ]] || fail "denial without its rule: $BODY_OUT"
[[ $(json_get 'd["error"]["reason"]' <<<"$BODY_OUT") == *max_value* ]] || fail "denial reason: $BODY_OUT"
http "$ADMIN" POST /v1/solana/sign-message "{\"message\":\"$MSG_B64\",\"address\":\"$A_ADDR\"}"
want 403 POLICY_DENIED

log "the routes are listed"
"$SPOD_HOST" --list-routes | grep -qx 'POST /v1/solana/sign-transaction' || fail "route list"
"$SPOD_HOST" --list-routes | grep -qx 'POST /v1/solana/sign-message' || fail "route list"
log "ok"
