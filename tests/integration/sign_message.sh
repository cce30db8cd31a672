#!/usr/bin/env bash
# `spod sign-message --eip191`, `spod sign-typed-data` and `spod sign-authorization` end to
# end (docs/transactions.md):
# through the real binaries, with imported known keys. EIP-191: the enclave adds the prefix and
# its signatures equal ethers 6's byte for byte (tests/data/ethereum/ethers.txt: text, and
# 1000 binary bytes from a file). EIP-712: every typed-data vector of
# tests/data/ethereum/eip712.txt (ethers 6's TypedDataEncoder) is signed from its JSON and the
# signature verifies against the published digest with the key's public key (`spod verify`,
# recovery id included). An EIP-7702 authorization equals ethers' authorizeSync byte for byte.
# The audit records the EIP-191 digest. Under a policy: a message rule
# and a typed-data rule with an allowed domain sign; typed data of another domain, and a raw
# sign, are refused (POLICY_DENIED, exit 5) naming the rule; the pod keeps serving; an
# authorization rule allows one delegate and a deny rule refuses the others. The same
# through the HTTP API (POST /v1/keys/{id}/sign-message, /sign-typed-data and
# /sign-authorization, 403 with the rule, 400 for malformed bodies); an authorization signed
# over HTTP equals the CLI's (RFC 6979: the same r, s and y_parity).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

ETH=$SPOD_SRC/tests/data/ethereum/ethers.txt
TD=$SPOD_SRC/tests/data/ethereum/eip712.txt
K=$T_DIR/keyfiles
mkdir -m 700 "$K"

# field FILE NAME FIELD: a field of a vector.
field() {
	awk -v n="$2" -v f="$3" '$1 == "name" { cur = $2 } cur == n && $1 == f {
		sub(/^[^ ]+ /, ""); print; exit }' "$1"
}
import_hex() {
	echo "$2" >"$K/key.hex"
	run "$SPOD" --json keys import --key-file "$K/key.hex" --alg "$1" --expect-pcr0 "$PCR0" \
		--root dev
	ID=$(json_get 'd["id"]' <<<"$OUT")
	PUB=$(json_get 'd["public_key"]' <<<"$OUT")
	[[ $ID =~ ^[0-9a-f]{32}$ && $PUB =~ ^04[0-9a-f]{128}$ ]] || fail "import: $OUT"
}

start_pod
PCR0=$(pod_pcr0)

log "EIP-191 text message (ethers 6 signMessage)"
import_hex secp256k1 "$(field "$ETH" eip191_hello key)"
HELLO_ID=$ID
TEXT=$("$PY" -c "import sys; print(bytes.fromhex(sys.argv[1]).decode())" "$(field "$ETH" eip191_hello unsigned)")
run "$SPOD" sign-message "$ID" --eip191 --text "$TEXT"
[[ $OUT == "0x$(field "$ETH" eip191_hello signed)" ]] || fail "EIP-191 hello: $OUT"
run "$SPOD" --json sign-message "$ID" --eip191 --message "$(field "$ETH" eip191_hello unsigned)"
[[ $(json_get 'd["type"] + " " + d["signature"]' <<<"$OUT") == "eip191 0x$(field "$ETH" eip191_hello signed)" ]] ||
	fail "EIP-191 hello as hex, --json: $OUT"

log "EIP-191 binary message from a file"
import_hex secp256k1 "$(field "$ETH" eip191_binary_1000 key)"
"$PY" -c "import sys; open(sys.argv[2], 'wb').write(bytes.fromhex(sys.argv[1]))" \
	"$(field "$ETH" eip191_binary_1000 unsigned)" "$T_DIR/msg.bin"
run "$SPOD" sign-message "$ID" --eip191 --message-file "$T_DIR/msg.bin"
[[ $OUT == "0x$(field "$ETH" eip191_binary_1000 signed)" ]] || fail "EIP-191 binary: $OUT"

log "the audit names the EIP-191 digest"
run "$SPOD" --json audit tail --db "$SPOD_DATA_DIR/spod.db" --limit 1
grep -q "$(field "$ETH" eip191_binary_1000 hash)" <<<"$OUT" || fail "audit digest: $OUT"

log "EIP-712: every typed-data vector signs, and verifies against the published digest"
n=0
while read -r name; do
	field "$TD" "$name" json >"$T_DIR/td.json"
	run "$SPOD" sign-typed-data "$HELLO_ID" --file "$T_DIR/td.json"
	SIG=$OUT
	[[ $SIG =~ ^0x[0-9a-f]{128}(1b|1c)$ ]] || fail "$name: $SIG"
	import_pub=$("$SPOD" --json keys public "$HELLO_ID" | json_get 'd["public_key"]')
	run "$SPOD" verify --alg secp256k1 --public "$import_pub" --digest "$(field "$TD" "$name" hash)" \
		--signature "${SIG#0x}"
	n=$((n + 1))
done < <(awk '$1 == "name" { print $2 }' "$TD")
((n >= 10)) || fail "only $n typed-data vectors"
expect_exit 2 "$SPOD" sign-typed-data "$HELLO_ID" --file /nonexistent
echo '{"types":{},"primaryType":"Nope","domain":{},"message":{}}' >"$T_DIR/bad.json"
expect_exit 2 "$SPOD" sign-typed-data "$HELLO_ID" --file "$T_DIR/bad.json"
expect_exit 2 "$SPOD" sign-message "$HELLO_ID" --text hi
expect_exit 2 "$SPOD" sign-message "$HELLO_ID" --eip191 --text hi --message 00

log "EIP-7702 authorization (ethers 6 authorizeSync): the same r||s||y_parity"
[[ $(field "$ETH" auth_chain1 key) == "$(field "$ETH" eip191_hello key)" ]] || fail "auth vector key"
[[ $(field "$ETH" auth_chain1 unsigned) == d70194a0b86991c6218b36c1d19d4a2e9eb0ce3606eb4807 ]] ||
	fail "the vector file's authorization changed"
DELEGATE=0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48
OTHER_DELEGATE=0x000000000000000000000000000000000000dEaD
run "$SPOD" sign-authorization "$HELLO_ID" --chain-id 1 --address "$DELEGATE" --nonce 7
[[ $OUT == "0x$(field "$ETH" auth_chain1 signed)" ]] || fail "authorization: $OUT"
run "$SPOD" --json sign-authorization "$HELLO_ID" --chain-id 1 \
	--address 0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48 --nonce 7
# auth_json: "y_parity r s" of an authorization answer, as both the CLI and HTTP give it.
auth_json() { json_get 'str(d["y_parity"]) + " " + d["r"] + " " + d["s"]'; }
AUTH_SIG=$(field "$ETH" auth_chain1 signed)
AUTH_EXPECT="$(cut -c129-130 <<<"$AUTH_SIG" | sed 's/^0//') 0x${AUTH_SIG:0:64} 0x${AUTH_SIG:64:64}"
[[ $(auth_json <<<"$OUT") == "$AUTH_EXPECT" ]] || fail "authorization --json: $OUT"
expect_exit 2 "$SPOD" sign-authorization "$HELLO_ID" --chain-id 1 \
	--address 0xA0B86991c6218b36c1d19D4a2e9Eb0cE3606eB48 --nonce 7 # a bad EIP-55 checksum

log "under a policy: messages and one EIP-712 domain allowed, the rest refused"
cat >"$T_DIR/policy.json" <<'JSON'
{"version": 1, "rules": [
  {"id": "messages", "effect": "allow", "kinds": ["message"]},
  {"id": "mail-only", "effect": "allow", "kinds": ["typed_data"],
   "domains": [{"name": "Ether Mail", "chain_id": 1}]},
  {"id": "usdc-delegate", "effect": "allow", "kinds": ["authorization"],
   "delegates": ["0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"]},
  {"id": "other-delegates", "effect": "deny", "kinds": ["authorization"],
   "reason": "delegate not listed"}
]}
JSON
run "$SPOD" policy set "$HELLO_ID" --file "$T_DIR/policy.json"
run "$SPOD" sign-message "$HELLO_ID" --eip191 --text "$TEXT"
[[ $OUT == "0x$(field "$ETH" eip191_hello signed)" ]] || fail "EIP-191 under the policy: $OUT"
field "$TD" eip712_mail json >"$T_DIR/mail.json"
run "$SPOD" sign-typed-data "$HELLO_ID" --file "$T_DIR/mail.json"
field "$TD" permit json >"$T_DIR/permit.json"
expect_exit 5 "$SPOD" sign-typed-data "$HELLO_ID" --file "$T_DIR/permit.json"
grep -q 'POLICY_DENIED' <<<"$ERR" && grep -q 'denied by rule "default"' <<<"$ERR" ||
	fail "permit under the policy: $ERR"
expect_exit 5 "$SPOD" sign "$HELLO_ID" --digest "$(field "$ETH" eip191_hello hash)"
grep -q 'POLICY_DENIED' <<<"$ERR" || fail "raw sign under the policy: $ERR"
run "$SPOD" --json sign-authorization "$HELLO_ID" --chain-id 1 --address "$DELEGATE" --nonce 7
CLI_AUTH=$(auth_json <<<"$OUT")
[[ $CLI_AUTH == "$AUTH_EXPECT" ]] || fail "authorization under the policy: $OUT"
expect_exit 5 "$SPOD" sign-authorization "$HELLO_ID" --chain-id 1 --address "$OTHER_DELEGATE" \
	--nonce 7
grep -q 'POLICY_DENIED' <<<"$ERR" && grep -q 'other-delegates' <<<"$ERR" ||
	fail "authorization of another delegate under the policy: $ERR"
run "$SPOD" sign-message "$HELLO_ID" --eip191 --text "still serving"

log "HTTP: POST /v1/keys/{id}/sign-message, /sign-typed-data and /sign-authorization, under the same policy"
URL=$(http_url)
ADMIN=$(<"$T_DIR/admin.token")
# http_post PATH BODY-FILE: sets CODE and BODY_OUT.
http_post() {
	CODE=$(curl -sS --max-time 20 -o "$T_DIR/http.out" -w '%{http_code}' -X POST \
		-H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
		--data-binary "@$2" "$URL$1") || fail "curl $1"
	BODY_OUT=$(<"$T_DIR/http.out")
}
printf '{"message": "%s"}' "$TEXT" >"$T_DIR/msg.json"
http_post "/v1/keys/$HELLO_ID/sign-message" "$T_DIR/msg.json"
[[ $CODE == 200 && $(json_get 'd["type"] + " " + d["signature"]' <<<"$BODY_OUT") == \
	"eip191 0x$(field "$ETH" eip191_hello signed)" ]] || fail "HTTP sign-message: $CODE $BODY_OUT"
printf '{"message_hex": "0x%s"}' "$(field "$ETH" eip191_hello unsigned)" >"$T_DIR/msg.json"
http_post "/v1/keys/$HELLO_ID/sign-message" "$T_DIR/msg.json"
[[ $CODE == 200 && $(json_get 'd["v"]' <<<"$BODY_OUT") == 28 ]] || fail "HTTP message_hex: $CODE $BODY_OUT"
http_post "/v1/keys/$HELLO_ID/sign-typed-data" "$T_DIR/mail.json"
[[ $CODE == 200 && $(json_get 'd["type"] + " " + str(d["chain_id"])' <<<"$BODY_OUT") == "eip712 1" ]] ||
	fail "HTTP sign-typed-data: $CODE $BODY_OUT"
http_post "/v1/keys/$HELLO_ID/sign-typed-data" "$T_DIR/permit.json"
[[ $CODE == 403 && $(json_get 'd["error"]["code"] + " " + d["error"]["rule"]' <<<"$BODY_OUT") == "POLICY_DENIED default" ]] ||
	fail "HTTP typed data refused by the policy: $CODE $BODY_OUT"
http_post "/v1/keys/$HELLO_ID/sign-typed-data" "$T_DIR/bad.json"
[[ $CODE == 400 ]] || fail "HTTP malformed typed data: $CODE $BODY_OUT"
echo '{"message": "a", "message_hex": "00"}' >"$T_DIR/msg.json"
http_post "/v1/keys/$HELLO_ID/sign-message" "$T_DIR/msg.json"
[[ $CODE == 400 ]] || fail "HTTP message and message_hex: $CODE $BODY_OUT"
# sign-authorization: the CLI's r, s and y_parity (RFC 6979), from decimal strings as well as
# integers; another delegate is refused by the deny rule, with its id and reason.
printf '{"chain_id": 1, "address": "%s", "nonce": 7}' "$DELEGATE" >"$T_DIR/auth.json"
http_post "/v1/keys/$HELLO_ID/sign-authorization" "$T_DIR/auth.json"
[[ $CODE == 200 && $(auth_json <<<"$BODY_OUT") == "$CLI_AUTH" ]] ||
	fail "HTTP sign-authorization: $CODE $BODY_OUT (CLI: $CLI_AUTH)"
[[ $(json_get '" ".join(str(d[k]) for k in ("key_id", "chain_id", "address", "nonce")) + " " + str(len(d))' <<<"$BODY_OUT") == \
	"$HELLO_ID 1 $DELEGATE 7 7" ]] || fail "HTTP sign-authorization fields: $BODY_OUT"
printf '{"nonce": "7", "chain_id": "1", "address": "%s"}' "${DELEGATE,,}" >"$T_DIR/auth.json"
http_post "/v1/keys/$HELLO_ID/sign-authorization" "$T_DIR/auth.json"
[[ $CODE == 200 && $(auth_json <<<"$BODY_OUT") == "$CLI_AUTH" ]] ||
	fail "HTTP sign-authorization, decimal strings: $CODE $BODY_OUT"
printf '{"chain_id": 1, "address": "%s", "nonce": 7}' "$OTHER_DELEGATE" >"$T_DIR/auth.json"
http_post "/v1/keys/$HELLO_ID/sign-authorization" "$T_DIR/auth.json"
[[ $CODE == 403 && $(json_get 'd["error"]["code"] + " " + d["error"]["rule"] + " " + d["error"]["reason"]' <<<"$BODY_OUT") == \
	"POLICY_DENIED other-delegates delegate not listed" ]] ||
	fail "HTTP authorization refused by the policy: $CODE $BODY_OUT"
printf '{"chain_id": 1, "address": "%s", "nonce": 7}' 0xA0B86991c6218b36c1d19D4a2e9Eb0cE3606eB48 \
	>"$T_DIR/auth.json" # a bad EIP-55 checksum
http_post "/v1/keys/$HELLO_ID/sign-authorization" "$T_DIR/auth.json"
[[ $CODE == 400 && $(json_get 'd["error"]["code"]' <<<"$BODY_OUT") == BAD_ARG && $BODY_OUT == *address* ]] ||
	fail "HTTP authorization with a bad EIP-55 checksum: $CODE $BODY_OUT"
printf '{"chain_id": 1, "address": "%s", "nonce": 7, "gas": 1}' "$DELEGATE" >"$T_DIR/auth.json"
http_post "/v1/keys/$HELLO_ID/sign-authorization" "$T_DIR/auth.json"
[[ $CODE == 400 && $BODY_OUT == *"gas: unknown field"* ]] ||
	fail "HTTP authorization with an unknown field: $CODE $BODY_OUT"
printf '{"chain_id": -1, "address": "%s", "nonce": 7}' "$DELEGATE" >"$T_DIR/auth.json"
http_post "/v1/keys/$HELLO_ID/sign-authorization" "$T_DIR/auth.json"
[[ $CODE == 400 && $BODY_OUT == *chain_id* ]] || fail "HTTP authorization, chain_id -1: $CODE $BODY_OUT"
log "ok"
