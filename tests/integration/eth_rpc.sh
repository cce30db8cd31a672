#!/usr/bin/env bash
# Ethereum JSON-RPC at POST /eth (docs/ethereum.md) through the real binaries, with ethers'
# known key (tests/data/ethereum/ethers.txt, Hardhat's key #0): eth_accounts lists its EIP-55
# address; personal_sign and eth_sign equal `spod sign-message --eip191` (RFC 6979: the same
# bytes) and ethers' signMessage; eth_signTypedData_v4 (object and string) equals
# `spod sign-typed-data`; eth_signTransaction of an EIP-1559 object equals `spod sign-tx` of
# ethers' unsigned bytes and ethers' signed transaction; a batch of 3 is answered in order;
# an unknown method is -32601, malformed JSON -32700, a missing nonce -32602 naming it, a
# policy refusal -32000 carrying the rule; a body over the limit is 413; the host keeps serving.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

ETH=$SPOD_SRC/tests/data/ethereum/ethers.txt
TD=$SPOD_SRC/tests/data/ethereum/eip712.txt
field() {
	awk -v n="$2" -v f="$3" '$1 == "name" { cur = $2 } cur == n && $1 == f {
		sub(/^[^ ]+ /, ""); print; exit }' "$1"
}

start_pod
PCR0=$(pod_pcr0)
mkdir -m 700 "$T_DIR/k"
field "$ETH" eip191_hello key >"$T_DIR/k/key.hex"
run "$SPOD" --json keys import --key-file "$T_DIR/k/key.hex" --alg secp256k1 --expect-pcr0 "$PCR0" \
	--root dev
ID=$(json_get 'd["id"]' <<<"$OUT")
ADDR=0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266
URL=$(http_url)
ADMIN=$(<"$T_DIR/admin.token")

# rpc BODY-FILE: POSTs it to /eth; sets CODE and BODY_OUT.
rpc() {
	CODE=$(curl -sS --max-time 20 -o "$T_DIR/rpc.out" -w '%{http_code}' -X POST \
		-H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
		--data-binary "@$1" "$URL/eth") || fail "curl /eth"
	BODY_OUT=$(<"$T_DIR/rpc.out")
}
# call METHOD PARAMS-JSON: one request; RESULT is its result (or "ERR code message").
call() {
	printf '{"jsonrpc":"2.0","id":7,"method":"%s","params":%s}' "$1" "$2" >"$T_DIR/req.json"
	rpc "$T_DIR/req.json"
	[[ $CODE == 200 ]] || fail "$1: HTTP $CODE $BODY_OUT"
	RESULT=$(json_get 'd["result"] if "result" in d else "ERR %d %s" % (d["error"]["code"], d["error"]["message"])' <<<"$BODY_OUT")
}

log "eth_accounts and health_status"
call eth_accounts '[]'
[[ $RESULT == "[\"$ADDR\"]" ]] || fail "eth_accounts: $BODY_OUT"
call health_status '[]'
[[ $RESULT == ok ]] || fail "health_status: $BODY_OUT"

log "personal_sign and eth_sign equal spod sign-message --eip191"
MSG_HEX=$(field "$ETH" eip191_hello unsigned)
run "$SPOD" sign-message "$ID" --eip191 --message "$MSG_HEX"
CLI_SIG=$OUT
[[ $CLI_SIG == "0x$(field "$ETH" eip191_hello signed)" ]] || fail "CLI EIP-191: $CLI_SIG"
call personal_sign "[\"0x$MSG_HEX\", \"$ADDR\"]"
[[ $RESULT == "$CLI_SIG" ]] || fail "personal_sign: $BODY_OUT"
call eth_sign "[\"${ADDR,,}\", \"0x$MSG_HEX\"]"
[[ $RESULT == "$CLI_SIG" ]] || fail "eth_sign: $BODY_OUT"

log "eth_signTypedData_v4 equals spod sign-typed-data"
field "$TD" eip712_mail json >"$T_DIR/mail.json"
run "$SPOD" sign-typed-data "$ID" --file "$T_DIR/mail.json"
CLI_TD=$OUT
call eth_signTypedData_v4 "[\"$ADDR\", $(<"$T_DIR/mail.json")]"
[[ $RESULT == "$CLI_TD" ]] || fail "eth_signTypedData_v4 (object): $BODY_OUT"
call eth_signTypedData_v4 "[\"$ADDR\", $("$PY" -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$T_DIR/mail.json")]"
[[ $RESULT == "$CLI_TD" ]] || fail "eth_signTypedData_v4 (string): $BODY_OUT"

log "eth_signTransaction (EIP-1559) equals spod sign-tx of ethers' unsigned bytes"
TX='{"from":"'$ADDR'","to":"0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc","nonce":"0x2a","gas":"0x5208","maxPriorityFeePerGas":"0x77359400","maxFeePerGas":"0x174876e800","value":"0x1a249b1f10a06c96aff2","chainId":"0x1","type":"0x2"}'
run "$SPOD" sign-tx "$ID" --chain ethereum --tx "$(field "$ETH" eip1559_native unsigned)"
CLI_TX=$OUT
[[ $CLI_TX == "0x$(field "$ETH" eip1559_native signed)" ]] || fail "CLI sign-tx: $CLI_TX"
call eth_signTransaction "[$TX]"
[[ $RESULT == "$CLI_TX" ]] || fail "eth_signTransaction: $BODY_OUT"
call eth_signTransaction '[{"from":"'$ADDR'","gas":"0x5208","maxFeePerGas":"0x1","maxPriorityFeePerGas":"0x1","chainId":"0x1"}]'
[[ $RESULT == "ERR -32602 nonce: required"* ]] || fail "missing nonce: $BODY_OUT"
call eth_signTransaction '[{"from":"0x000000000000000000000000000000000000dEaD","nonce":"0x0","gas":"0x5208","gasPrice":"0x1"}]'
[[ $RESULT == "ERR -32000 "*"not an account of this token" ]] || fail "unknown from: $BODY_OUT"

log "a batch of 3 in order; unknown method; malformed JSON"
printf '[{"jsonrpc":"2.0","id":"c","method":"eth_accounts"},{"jsonrpc":"2.0","id":"a","method":"personal_sign","params":["0x%s","%s"]},{"jsonrpc":"2.0","id":"b","method":"health_status"}]' \
	"$MSG_HEX" "$ADDR" >"$T_DIR/batch.json"
rpc "$T_DIR/batch.json"
[[ $CODE == 200 && $(json_get '" ".join(x["id"] for x in d) + " " + d[1]["result"]' <<<"$BODY_OUT") == "c a b $CLI_SIG" ]] ||
	fail "batch: $CODE $BODY_OUT"
call eth_sendTransaction "[$TX]"
[[ $RESULT == "ERR -32601 "* ]] || fail "unknown method: $BODY_OUT"
printf '{"jsonrpc":"2.0","id":1,' >"$T_DIR/bad.json"
rpc "$T_DIR/bad.json"
[[ $CODE == 200 && $(json_get 'd["error"]["code"]' <<<"$BODY_OUT") == -32700 ]] || fail "parse error: $CODE $BODY_OUT"
printf '{"jsonrpc":"2.0","method":"health_status"}' >"$T_DIR/note.json"
rpc "$T_DIR/note.json"
[[ $CODE == 204 ]] || fail "notification: $CODE $BODY_OUT"
"$PY" -c 'import sys; open(sys.argv[1], "w").write("[" + "1," * 600000 + "1]")' "$T_DIR/big.json"
rpc "$T_DIR/big.json"
[[ $CODE == 413 ]] || fail "a body over the limit: $CODE"

log "a policy refusal carries the rule"
cat >"$T_DIR/policy.json" <<'JSON'
{"version": 1, "rules": [
  {"id": "messages", "effect": "allow", "kinds": ["message"]},
  {"id": "no-typed-data", "effect": "deny", "kinds": ["typed_data"], "reason": "no typed data here"}
]}
JSON
run "$SPOD" policy set "$ID" --file "$T_DIR/policy.json"
call personal_sign "[\"0x$MSG_HEX\", \"$ADDR\"]"
[[ $RESULT == "$CLI_SIG" ]] || fail "personal_sign under the policy: $BODY_OUT"
call eth_signTypedData_v4 "[\"$ADDR\", $(<"$T_DIR/mail.json")]"
[[ $RESULT == 'ERR -32000 denied by rule "no-typed-data": no typed data here' &&
	$(json_get 'd["error"]["data"]["rule"] + " " + d["error"]["data"]["code"]' <<<"$BODY_OUT") == \
	"no-typed-data POLICY_DENIED" ]] || fail "typed data under the policy: $BODY_OUT"
call eth_signTransaction "[$TX]"
[[ $RESULT == "ERR -32000 "* ]] || fail "a transaction under the policy: $BODY_OUT"
call health_status '[]'
[[ $RESULT == ok ]] && pod_alive || fail "the pod stopped serving"
log "ok"
