#!/usr/bin/env bash
# Web3Signer's eth1 REST shape (docs/ethereum.md) end to end through the real binaries:
# GET /api/v1/eth1/publicKeys lists the token's secp256k1 keys as 0x || X || Y (no other
# algorithm, no key outside a restricted token's keys); POST /api/v1/eth1/sign/{identifier}
# signs keccak256(data) with the key named by its public key or its address (any case, 0x
# optional), answering text/plain 0x r||s||v; the signature verifies and recovers to the key
# (`spod verify`) and equals `spod sign --hash keccak256`'s (RFC 6979). An unknown or
# malformed identifier, and a key outside the token's keys, are 404; bad bodies 400; no
# token 401; a key policy that denies raw signing 403 POLICY_DENIED naming the rule.
# GET /upcheck is "OK".
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

URL=
# w3s TOKEN METHOD PATH [BODY [CONTENT_TYPE]]: sets CODE, TYPE (Content-Type) and BODY_OUT.
# TOKEN "-": no Authorization header; CONTENT_TYPE "-": none.
w3s() {
	local args=(-sS --max-time 20 -o "$T_DIR/http.out" -w '%{http_code} %{content_type}' -X "$2")
	[[ $1 != - ]] && args+=(-H "Authorization: Bearer $1")
	if [[ $# -ge 4 ]]; then
		if [[ ${5:-application/json} == - ]]; then
			args+=(-H 'Content-Type:')
		else
			args+=(-H "Content-Type: ${5:-application/json}")
		fi
		args+=(--data-binary "$4")
	fi
	local out
	out=$(curl "${args[@]}" "$URL$3") || fail "curl $2 $3"
	CODE=${out%% *}
	TYPE=${out#* }
	BODY_OUT=$(<"$T_DIR/http.out")
}
# keygen ALG: a new key; sets ID and PUB (hex, the SEC1 point for ECDSA).
keygen() {
	run "$SPOD" --json keys generate --alg "$1"
	ID=$(json_get 'd["id"]' <<<"$OUT")
	PUB=$(json_get 'd["public_key"]' <<<"$OUT")
}

# shellcheck disable=SC2119 # no arguments: an ephemeral pod without policy admins
start_pod
URL=$(http_url)
ADMIN=$(<"$T_DIR/admin.token")

log "/upcheck: OK as text, no token"
w3s - GET /upcheck
want 200
[[ $BODY_OUT == OK && $TYPE == "text/plain; charset=utf-8" ]] || fail "upcheck: $TYPE $BODY_OUT"

log "keys: two secp256k1 and one Ed25519"
keygen secp256k1
ID1=$ID PUB1=$PUB
[[ $PUB1 =~ ^04[0-9a-f]{128}$ ]] || fail "secp256k1 public key: $PUB1"
W3S1=0x${PUB1:2}
ADDR1=$("$SPOD" keys public "$ID1" --format eth-address) || fail "address of $ID1"
[[ $ADDR1 =~ ^0x[0-9a-fA-F]{40}$ ]] || fail "address: $ADDR1"
keygen secp256k1
W3S2=0x${PUB:2}
keygen ed25519
ED_PUB=$PUB

log "publicKeys: the secp256k1 keys as 0x || X || Y, JSON"
w3s "$ADMIN" GET /api/v1/eth1/publicKeys
want 200
[[ $TYPE == application/json* ]] || fail "publicKeys type: $TYPE"
[[ $(json_get "sorted(d) == sorted(['$W3S1', '$W3S2'])" <<<"$BODY_OUT") == true ]] ||
	fail "publicKeys: $BODY_OUT (want $W3S1 and $W3S2)"
grep -q "$ED_PUB" <<<"$BODY_OUT" && fail "an Ed25519 key listed: $BODY_OUT"
w3s - GET /api/v1/eth1/publicKeys
want 401 UNAUTHENTICATED

log "a token restricted to one key sees and signs only that key"
TOK1=$("$SPOD" --json token create --scope "ops=sign,list;keys=id:$ID1" | json_get 'd["token"]') ||
	fail "token create"
w3s "$TOK1" GET /api/v1/eth1/publicKeys
want 200
[[ $(json_get 'd' <<<"$BODY_OUT") == "[\"$W3S1\"]" ]] || fail "restricted publicKeys: $BODY_OUT"
w3s "$TOK1" POST "/api/v1/eth1/sign/$W3S2" '{"data":"0x00"}'
want 404 KEY_NOT_FOUND

log "sign by public key: text/plain 0x r||s||v, as spod sign --hash keccak256 gives it"
DATA=48656c6c6f2c20776f726c6421
w3s "$TOK1" POST "/api/v1/eth1/sign/$W3S1" "{\"data\":\"0x$DATA\"}"
want 200
SIG=$BODY_OUT
[[ $TYPE == "text/plain; charset=utf-8" ]] || fail "sign type: $TYPE"
[[ $SIG =~ ^0x[0-9a-f]{128}(1b|1c)$ ]] || fail "sign answer: $SIG"
run "$SPOD" --json sign "$ID1" --message "$DATA" --hash keccak256
[[ "0x$(json_get 'd["signature"] + "%02x" % d["v"]' <<<"$OUT")" == "$SIG" ]] ||
	fail "HTTP $SIG differs from spod sign: $OUT"
run "$SPOD" verify --alg secp256k1 --public "$PUB1" --message "$DATA" --hash keccak256 \
	--signature "${SIG#0x}"
[[ $OUT == valid ]] || fail "verify: $OUT"
# The v byte must recover this key, not only some key: flip it and recovery fails.
FLIPPED=${SIG:0:130}$([[ ${SIG:130:2} == 1b ]] && echo 1c || echo 1b)
expect_exit 6 "$SPOD" verify --alg secp256k1 --public "$PUB1" --message "$DATA" \
	--hash keccak256 --signature "${FLIPPED#0x}"

log "sign by address (EIP-55, lower and upper case, with and without 0x), without Content-Type"
LOWER=$(tr 'A-F' 'a-f' <<<"${ADDR1#0x}")
UPPER=$(tr 'a-f' 'A-F' <<<"$LOWER")
for ident in "$ADDR1" "$LOWER" "0x$UPPER" "${W3S1#0x}" "0X$(tr 'a-f' 'A-F' <<<"${W3S1#0x}")"; do
	w3s "$TOK1" POST "/api/v1/eth1/sign/$ident" "{\"data\":\"$DATA\"}"
	want 200
	[[ $BODY_OUT == "$SIG" ]] || fail "sign by $ident: $BODY_OUT, want $SIG"
done
w3s "$TOK1" POST "/api/v1/eth1/sign/$ADDR1" "{\"data\":\"0x$DATA\",\"extra\":\"ignored\"}" -
want 200
[[ $BODY_OUT == "$SIG" ]] || fail "sign without Content-Type: $BODY_OUT"
w3s "$TOK1" POST "/api/v1/eth1/sign/$ADDR1" '{"data":"0x"}'
want 200
run "$SPOD" verify --alg secp256k1 --public "$PUB1" --message "" --hash keccak256 \
	--signature "${BODY_OUT#0x}"

log "unknown and malformed identifiers: 404"
for ident in "0x$(random_hex 64)" "0x$(random_hex 20)" "$ID1" "0x04${W3S1#0x}" nothex "0x${LOWER}0"; do
	w3s "$ADMIN" POST "/api/v1/eth1/sign/$ident" "{\"data\":\"0x$DATA\"}"
	want 404 KEY_NOT_FOUND
done
w3s - POST "/api/v1/eth1/sign/$ADDR1" "{\"data\":\"0x$DATA\"}"
want 401 UNAUTHENTICATED

log "bad bodies: 400"
for body in '' 'not json' '[]' '{}' '{"data":1}' '{"data":"0x123"}' '{"data":"0xzz"}' \
	'{"message":"0x00"}'; do
	w3s "$ADMIN" POST "/api/v1/eth1/sign/$ADDR1" "$body"
	[[ $CODE == 400 ]] || fail "body '$body': want 400, got $CODE $BODY_OUT"
	[[ $(json_get 'd["error"]["code"]' <<<"$BODY_OUT") == BAD_* ]] || fail "body '$body': $BODY_OUT"
done
w3s "$ADMIN" GET "/api/v1/eth1/sign/$ADDR1"
want 405 METHOD_NOT_ALLOWED

log "a policy that denies raw signing: 403 POLICY_DENIED naming the rule"
POLICY='{"version":1,"rules":[{"id":"no-raw","effect":"deny","kinds":["raw"],"reason":"raw signing is off"},{"id":"msgs","effect":"allow","kinds":["message"]}]}'
w3s "$ADMIN" PUT "/v1/keys/$ID1/policy" "{\"policy\":$POLICY,\"approvals\":[]}"
want 200
w3s "$TOK1" POST "/api/v1/eth1/sign/$ADDR1" "{\"data\":\"0x$DATA\"}"
want 403 POLICY_DENIED
[[ $(json_get 'd["error"]["rule"]' <<<"$BODY_OUT") == no-raw ]] || fail "denial rule: $BODY_OUT"
[[ $(json_get 'd["error"]["reason"]' <<<"$BODY_OUT") == *'raw signing is off'* ]] ||
	fail "denial reason: $BODY_OUT"
log "the other key, without a policy, still signs"
w3s "$ADMIN" POST "/api/v1/eth1/sign/$W3S2" "{\"data\":\"0x$DATA\"}"
want 200
w3s "$ADMIN" DELETE "/v1/keys/$ID1/policy"
want 200
w3s "$TOK1" POST "/api/v1/eth1/sign/$W3S1" "{\"data\":\"0x$DATA\"}"
want 200
[[ $BODY_OUT == "$SIG" ]] || fail "after DELETE policy: $BODY_OUT"

log "a token without the list op cannot find keys: 403"
TOKS=$("$SPOD" --json token create --scope "ops=sign;keys=*" | json_get 'd["token"]') ||
	fail "token create"
w3s "$TOKS" POST "/api/v1/eth1/sign/$ADDR1" "{\"data\":\"0x$DATA\"}"
want 403 FORBIDDEN

pod_alive || fail "a daemon died"
log "ok"
