#!/usr/bin/env bash
# `spod sign-tx` end to end (docs/transactions.md, "Signing"): the enclave decodes an unsigned
# transaction and signs what it decoded. Through the real binaries, with imported known keys,
# the signed bytes must equal the published ones exactly: the EIP-155 example (key 0x46..46),
# an EIP-1559 transfer from tests/data/ethereum/ethers.txt (ethers 6), a Solana legacy
# transfer and a two-signer transaction signed key by key from tests/data/solana/web3js.txt
# (web3.js). The --json summary shows what the decoder saw, and the audit records the
# signing hash (Ethereum) or SHA-256 of the message (Solana). Refusals: a key of the other
# chain's algorithm (BAD_MODE), a malformed transaction (the decoder's error, and the pod keeps
# serving), an Ed25519 key that is not a required signer (BAD_ARG), a token without the sign
# op or without the key (FORBIDDEN). The same through the HTTP API with curl:
# POST /v1/keys/{id}/sign-transaction answers the same bytes and summary, and its errors
# like the other endpoints'.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

ETH=$SPOD_SRC/tests/data/ethereum/ethers.txt
SOL=$SPOD_SRC/tests/data/solana/web3js.txt
K=$T_DIR/keyfiles
mkdir -m 700 "$K"

# eth_field NAME FIELD: a field of a vector of ethers.txt.
eth_field() {
	awk -v n="$1" -v f="$2" '$1 == "name" { cur = $2 } cur == n && $1 == f { print $2; exit }' "$ETH"
}
# sol_field NAME FIELD: a field (tx is the second column) of a vector of web3js.txt.
sol_field() {
	awk -v n="$1" -v f="$2" '$1 == n {
		if (f == "tx") { print $2; exit }
		for (i = 3; i <= NF; i++) if (index($i, f "=") == 1) { print substr($i, length(f) + 2); exit }
	}' "$SOL"
}
# import_hex ALG HEX: imports the secret HEX; sets ID.
import_hex() {
	echo "$2" >"$K/key.hex"
	run "$SPOD" --json keys import --key-file "$K/key.hex" --alg "$1" --expect-pcr0 "$PCR0" \
		--root dev
	ID=$(json_get 'd["id"]' <<<"$OUT")
	[[ $ID =~ ^[0-9a-f]{32}$ ]] || fail "import: $OUT"
}

start_pod
PCR0=$(pod_pcr0)

log "EIP-155 example (key 0x46..46): the published signed transaction"
import_hex secp256k1 4646464646464646464646464646464646464646464646464646464646464646
ETH_ID=$ID
UNSIGNED=$(eth_field legacy_eip155_example unsigned)
# The example of the EIP-155 text itself, independent of the vector file.
[[ $UNSIGNED == ec098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a764000080018080 ]] ||
	fail "the vector file's EIP-155 example changed"
WANT=0xf86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83
run "$SPOD" sign-tx "$ETH_ID" --chain ethereum --tx "0x$UNSIGNED"
[[ $OUT == "$WANT" ]] || fail "EIP-155 example: got $OUT"
# without the 0x prefix, from a file, as JSON with the decoded fields
echo "$UNSIGNED" >"$T_DIR/tx.hex"
run "$SPOD" --json sign-tx "$ETH_ID" --chain ethereum --tx-file "$T_DIR/tx.hex"
json_get 'd["signed_tx"]' <<<"$OUT" | grep -qx "$WANT" || fail "EIP-155 example from a file: $OUT"
[[ $(json_get '[d["chain"], d["summary"]["type"], d["summary"]["chain_id"], d["summary"]["flags"], d["summary"]["transfers"]]' <<<"$OUT") == \
	'["ethereum", "legacy", 1, [], [{"asset": "native", "token": null, "to": "0x3535353535353535353535353535353535353535", "amount": "1000000000000000000", "decimals": 18}]]' ]] ||
	fail "EIP-155 example summary: $OUT"

log "EIP-1559 transfer (ethers 6)"
import_hex secp256k1 "$(eth_field eip1559_native key)"
ETH2_ID=$ID
run "$SPOD" --json sign-tx "$ETH2_ID" --chain ethereum --tx "$(eth_field eip1559_native unsigned)"
[[ $(json_get 'd["signed_tx"]' <<<"$OUT") == "0x$(eth_field eip1559_native signed)" ]] ||
	fail "EIP-1559 signed bytes: $OUT"
[[ $(json_get '[d["summary"]["type"], d["summary"]["chain_id"], d["summary"]["transfers"][0]["amount"]]' <<<"$OUT") == \
	"[\"eip1559\", 1, \"$("$PY" -c "print(int('$(eth_field eip1559_native value)', 16))")\"]" ]] ||
	fail "EIP-1559 summary: $OUT"
log "ERC-20 in EIP-1559: the token transfer is in the summary"
import_hex secp256k1 "$(eth_field eip1559_erc20 key)"
run "$SPOD" --json sign-tx "$ID" --chain ethereum --tx "$(eth_field eip1559_erc20 unsigned)"
[[ $(json_get 'd["signed_tx"]' <<<"$OUT") == "0x$(eth_field eip1559_erc20 signed)" ]] ||
	fail "ERC-20 signed bytes: $OUT"
[[ $(json_get 'd["summary"]["transfers"][0]["asset"]' <<<"$OUT") == token ]] || fail "ERC-20 summary: $OUT"

log "Solana legacy transfer (web3.js): the seed's key signs the published bytes"
import_hex ed25519 0101010101010101010101010101010101010101010101010101010101010101
SOL_ID=$ID
run "$SPOD" sign-tx "$SOL_ID" --chain solana --tx "$(sol_field sol_transfer_legacy tx)"
[[ $OUT == "$(sol_field sol_transfer_legacy signed)" ]] || fail "Solana legacy transfer: got $OUT"
run "$SPOD" --json sign-tx "$SOL_ID" --chain solana --tx "$(sol_field sol_transfer_legacy tx)"
# base58 of the recipient (0x10 x 32), computed here independently of the CLI's encoder
B58_TO=$("$PY" -c 'n = int("10" * 32, 16); a = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
s = ""
while n: n, r = divmod(n, 58); s = a[r] + s
print(s)')
[[ $(json_get '[d["chain"], d["summary"]["type"], d["summary"]["transfers"][0]["amount"], d["summary"]["transfers"][0]["to"]]' <<<"$OUT") == \
	"[\"solana\", \"legacy\", \"1000000000\", \"$B58_TO\"]" ]] ||
	fail "Solana summary: $OUT"
log "Solana v0 transfer"
run "$SPOD" sign-tx "$SOL_ID" --chain solana --tx "$(sol_field sol_transfer_v0 tx)"
[[ $OUT == "$(sol_field sol_transfer_v0 signed)" ]] || fail "Solana v0 transfer: got $OUT"

log "two signers: each key fills its own slot, in turn"
import_hex ed25519 0202020202020202020202020202020202020202020202020202020202020202
SOL2_ID=$ID
run "$SPOD" sign-tx "$SOL_ID" --chain solana --tx "$(sol_field two_signers tx)"
run "$SPOD" sign-tx "$SOL2_ID" --chain solana --tx "$OUT"
[[ $OUT == "$(sol_field two_signers signed)" ]] || fail "two signers: got $OUT"

log "refusals: wrong chain for the key, malformed transactions, not a signer"
expect_exit 5 "$SPOD" sign-tx "$SOL_ID" --chain ethereum --tx "$UNSIGNED"
[[ $ERR == *BAD_MODE* && $ERR == *"signed by a secp256k1 key"* ]] || fail "Ed25519 key on Ethereum: $ERR"
expect_exit 5 "$SPOD" sign-tx "$ETH_ID" --chain solana --tx "$(sol_field sol_transfer_legacy tx)"
[[ $ERR == *BAD_MODE* && $ERR == *"signed by an ed25519 key"* ]] || fail "secp256k1 key on Solana: $ERR"
expect_exit 5 "$SPOD" sign-tx "$ETH_ID" --chain ethereum --tx "${UNSIGNED:0:40}"
[[ $ERR == *"sign.tx: "*TRUNCATED* ]] || fail "truncated Ethereum transaction: $ERR"
expect_exit 5 "$SPOD" sign-tx "$ETH_ID" --chain ethereum --tx "${UNSIGNED}00"
[[ $ERR == *"sign.tx: "*BAD_FIELD* ]] || fail "trailing byte: $ERR"
expect_exit 5 "$SPOD" sign-tx "$ETH_ID" --chain ethereum --tx 05c0
[[ $ERR == *BAD_FIELD* ]] || fail "unknown type byte: $ERR"
expect_exit 5 "$SPOD" sign-tx "$SOL_ID" --chain solana --tx AQAA
[[ $ERR == *"sign.tx: "* ]] || fail "malformed Solana transaction: $ERR"
expect_exit 2 "$SPOD" sign-tx "$ETH_ID" --chain ethereum --tx 0xzz
expect_exit 2 "$SPOD" sign-tx "$SOL_ID" --chain solana --tx 'not base64'
expect_exit 2 "$SPOD" sign-tx "$SOL_ID" --chain bitcoin --tx AQAA
run "$SPOD" --json keys generate --alg ed25519
OTHER_ID=$(json_get 'd["id"]' <<<"$OUT")
# BAD_ARG's exit code is 2 (docs/cli.md); the message says what was wrong
expect_exit 2 "$SPOD" sign-tx "$OTHER_ID" --chain solana --tx "$(sol_field sol_transfer_legacy tx)"
[[ $ERR == *"not a required signer"*BAD_ARG* ]] || fail "a key that is not a required signer: $ERR"
pod_alive || fail "the pod died on a refused transaction"
run "$SPOD" sign-tx "$ETH_ID" --chain ethereum --tx "$UNSIGNED"
[[ $OUT == "$WANT" ]] || fail "signing after the refusals: $OUT"

log "scopes: sign.tx needs the sign op on the key"
run "$SPOD" --json token create --scope 'ops=list;keys=*'
NOSIGN=$(json_get 'd["token"]' <<<"$OUT")
SPOD_TOKEN=$NOSIGN expect_exit 7 "$SPOD" sign-tx "$ETH_ID" --chain ethereum --tx "$UNSIGNED"
[[ $ERR == *"lacks the 'sign' op"* ]] || fail "token without sign: $ERR"
run "$SPOD" --json token create --scope "ops=sign;keys=id:$SOL_ID"
OTHERKEY=$(json_get 'd["token"]' <<<"$OUT")
SPOD_TOKEN=$OTHERKEY expect_exit 7 "$SPOD" sign-tx "$ETH_ID" --chain ethereum --tx "$UNSIGNED"
[[ $ERR == *"outside the token's keys"* ]] || fail "token without the key: $ERR"
SPOD_TOKEN=$OTHERKEY run "$SPOD" sign-tx "$SOL_ID" --chain solana --tx "$(sol_field sol_transfer_legacy tx)"
[[ $OUT == "$(sol_field sol_transfer_legacy signed)" ]] || fail "scoped token on its key: $OUT"

log "HTTP: POST /v1/keys/{id}/sign-transaction"
URL=$(http_url)
ADMIN=$(<"$T_DIR/admin.token")
# http_post TOKEN PATH BODY: sets CODE and BODY_OUT.
http_post() {
	local out
	out=$(curl -sS --max-time 20 -o "$T_DIR/http.out" -w '%{http_code}' -X POST \
		-H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
		--data-binary "$3" "$URL$2") || fail "curl $2"
	CODE=$out
	BODY_OUT=$(<"$T_DIR/http.out")
}
http_post "$ADMIN" "/v1/keys/$ETH_ID/sign-transaction" "{\"chain\":\"ethereum\",\"tx\":\"0x$UNSIGNED\"}"
[[ $CODE == 200 ]] || fail "HTTP EIP-155 example: $CODE $BODY_OUT"
[[ $(json_get '[d["key_id"], d["chain"], d["signed_tx"], d["summary"]["type"], d["summary"]["chain_id"], d["summary"]["transfers"][0]["amount"]]' <<<"$BODY_OUT") == \
	"[\"$ETH_ID\", \"ethereum\", \"$WANT\", \"legacy\", 1, \"1000000000000000000\"]" ]] ||
	fail "HTTP EIP-155 example: $BODY_OUT"
# the CLI's --json and the HTTP answer are the same object
run "$SPOD" --json sign-tx "$ETH_ID" --chain ethereum --tx "$UNSIGNED"
[[ $(json_get 'json.dumps(d, sort_keys=True)' <<<"$OUT") == "$(json_get 'json.dumps(d, sort_keys=True)' <<<"$BODY_OUT")" ]] ||
	fail "CLI and HTTP answers differ: $OUT vs $BODY_OUT"
http_post "$ADMIN" "/v1/keys/$SOL_ID/sign-transaction" "{\"chain\":\"solana\",\"tx\":\"$(sol_field sol_transfer_v0 tx)\"}"
[[ $CODE == 200 && $(json_get 'd["signed_tx"]' <<<"$BODY_OUT") == "$(sol_field sol_transfer_v0 signed)" ]] ||
	fail "HTTP Solana v0: $CODE $BODY_OUT"
[[ $(json_get '[d["summary"]["type"], "chain_id" in d["summary"]]' <<<"$BODY_OUT") == '["v0", false]' ]] ||
	fail "HTTP Solana summary: $BODY_OUT"
# the Ethereum transaction as base64 with "encoding"
B64=$("$PY" -c 'import base64, sys; print(base64.b64encode(bytes.fromhex(sys.argv[1])).decode())' "$UNSIGNED")
http_post "$ADMIN" "/v1/keys/$ETH_ID/sign-transaction" "{\"chain\":\"ethereum\",\"tx\":\"$B64\",\"encoding\":\"base64\"}"
[[ $CODE == 200 && $(json_get 'd["signed_tx"]' <<<"$BODY_OUT") == "$WANT" ]] || fail "HTTP base64 tx: $CODE $BODY_OUT"
# errors: the body's shape (400 BAD_ARG), the enclave's refusals, scopes, an unknown key
http_err() { # CODE ERROR_CODE TOKEN PATH BODY
	http_post "$3" "$4" "$5"
	[[ $CODE == "$1" && $(json_get 'd["error"]["code"]' <<<"$BODY_OUT") == "$2" ]] ||
		fail "HTTP $4 $5: want $1 $2, got $CODE $BODY_OUT"
}
http_err 400 BAD_ARG "$ADMIN" "/v1/keys/$ETH_ID/sign-transaction" '{"chain":"bitcoin","tx":"00"}'
http_err 400 BAD_ARG "$ADMIN" "/v1/keys/$ETH_ID/sign-transaction" '{"chain":"ethereum"}'
http_err 400 BAD_ARG "$ADMIN" "/v1/keys/$ETH_ID/sign-transaction" '{"chain":"ethereum","tx":"0xzz"}'
http_err 400 BAD_ARG "$ADMIN" "/v1/keys/$ETH_ID/sign-transaction" '{"chain":"ethereum","tx":""}'
http_err 400 BAD_ARG "$ADMIN" "/v1/keys/$ETH_ID/sign-transaction" '{"chain":"ethereum","tx":"00","x":1}'
http_err 400 BAD_JSON "$ADMIN" "/v1/keys/$ETH_ID/sign-transaction" '{"chain":'
http_err 400 BAD_MODE "$ADMIN" "/v1/keys/$SOL_ID/sign-transaction" "{\"chain\":\"ethereum\",\"tx\":\"$UNSIGNED\"}"
[[ $(json_get 'd["error"]["message"]' <<<"$BODY_OUT") == *"signed by a secp256k1 key"* ]] || fail "HTTP BAD_MODE message: $BODY_OUT"
http_post "$ADMIN" "/v1/keys/$ETH_ID/sign-transaction" "{\"chain\":\"ethereum\",\"tx\":\"${UNSIGNED:0:40}\"}"
[[ $CODE == 400 && $(json_get 'd["error"]["code"]' <<<"$BODY_OUT") == TRUNCATED ]] || fail "HTTP truncated tx: $CODE $BODY_OUT"
http_err 400 BAD_ARG "$ADMIN" "/v1/keys/$OTHER_ID/sign-transaction" "{\"chain\":\"solana\",\"tx\":\"$(sol_field sol_transfer_legacy tx)\"}"
http_err 403 FORBIDDEN "$NOSIGN" "/v1/keys/$ETH_ID/sign-transaction" "{\"chain\":\"ethereum\",\"tx\":\"$UNSIGNED\"}"
http_err 403 FORBIDDEN "$OTHERKEY" "/v1/keys/$ETH_ID/sign-transaction" "{\"chain\":\"ethereum\",\"tx\":\"$UNSIGNED\"}"
http_err 404 KEY_NOT_FOUND "$ADMIN" "/v1/keys/$(random_hex 16)/sign-transaction" "{\"chain\":\"ethereum\",\"tx\":\"$UNSIGNED\"}"
http_err 401 UNAUTHENTICATED "spod_bogus" "/v1/keys/$ETH_ID/sign-transaction" "{\"chain\":\"ethereum\",\"tx\":\"$UNSIGNED\"}"
pod_alive || fail "the pod died during the HTTP refusals"

log "audit: the signing hash, SHA-256 of the Solana message, refusals recorded"
wait_audit
run "$SPOD" --json audit tail --limit 1000
echo "$OUT" >"$T_DIR/audit.json"
"$PY" - "$T_DIR/audit.json" "$ETH_ID" "$(eth_field legacy_eip155_example hash)" "$SOL_ID" "$(sol_field sol_transfer_legacy tx)" <<'PY' || fail "audit records of sign.tx"
import base64, hashlib, json, sys
path, eth_id, eth_hash, sol_id, sol_tx = sys.argv[1:6]
recs = [r for r in json.load(open(path)) if r["kind"] == "sign" and (r["detail"] or "").startswith("tx=")]
for r in recs:  # " req=ID": the sign.request record committed before the answer
    r["detail"] = r["detail"].split(" req=")[0]
eth_ok = [r for r in recs if r["key_id"] == eth_id and r["result"] == "OK"]
assert eth_ok and all(r["digest"] == eth_hash and r["detail"] == "tx=ethereum len=45" for r in eth_ok), eth_ok
tx = base64.b64decode(sol_tx)
msg_hash = hashlib.sha256(tx[1 + 64:]).hexdigest()
sol_ok = [r for r in recs if r["key_id"] == sol_id and r["result"] == "OK" and r["detail"] == f"tx=solana len={len(tx)}"]
assert sol_ok and all(r["digest"] == msg_hash for r in sol_ok), sol_ok
results = {r["result"] for r in recs}
assert {"BAD_MODE", "TRUNCATED", "BAD_FIELD", "BAD_ARG"} <= results, results
PY
run "$SPOD" audit verify
log "ok"
