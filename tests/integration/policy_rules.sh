#!/usr/bin/env bash
# Every policy rule type (docs/policy.md, the rule JSON table) end to end, allowed and refused,
# through both fronts: the CLI (`spod policy set`, `sign-tx`, `sign-message --eip191`,
# `sign-typed-data`, `sign`; a refusal is exit 5 with `denied by rule "ID"`) and the HTTP API
# (PUT /v1/keys/{id}/policy, POST .../sign-transaction, .../sign-message, .../sign-typed-data,
# .../sign; a refusal is 403 POLICY_DENIED with the rule in "rule"). One ephemeral pod (policies
# need no approvals), a secp256k1 key and the Solana key of seed 01..01; for each rule type a
# policy where that condition decides, a request it allows and one it refuses (the deciding
# rule's id, or `default` where an allow-list condition leaves no rule matching): chain, kinds,
# chain_ids, to, to_deny, contracts, selectors, programs, delegates (an EIP-7702 transaction's
# authorization list), domains (EIP-712), max_value, max_token_amount, window (native and a
# token: two signings fill it, the third is over), rate and allow_unknown (an unknown call and
# an unknown Solana program refused without it, signed with it). Each case runs once through
# the CLI, then once through HTTP. At the end the policies are removed (CLI and DELETE) and raw
# signing works again; every signing request and policy change, refusals included, is in the
# audit log in order (`audit tail` and an `audit export` file), which verifies.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

ETH=$SPOD_SRC/tests/data/ethereum/ethers.txt
TD=$SPOD_SRC/tests/data/ethereum/eip712.txt
SOL=$SPOD_SRC/tests/data/solana/web3js.txt
K=$T_DIR/keyfiles
mkdir -m 700 "$K"

# Ethereum addresses (lowercase hex, no 0x) and amounts used below.
A_3C44=3c44cdddb6a900fa2b585dd299e03d12fa4293bc
A_7099=70997970c51812dc3a010c7d01b50e0d17dc79c8
A_F39F=f39fd6e51aad88f6f4ce6ab8827279cfffb92266
USDC=a0b86991c6218b36c1d19d4a2e9eb0ce3606eb48
USDT=dac17f958d2ee523a2206206994597c13d831ec7
ONE_ETH=1000000000000000000
SYSTEM_PROGRAM=11111111111111111111111111111111

# eth_field NAME FIELD: a field of a vector of ethers.txt.
eth_field() {
	awk -v n="$1" -v f="$2" '$1 == "name" { cur = $2 } cur == n && $1 == f { print $2; exit }' "$ETH"
}
# td_json NAME: the typed-data JSON of a vector of eip712.txt.
td_json() {
	awk -v n="$1" '$1 == "name" { cur = $2 } cur == n && $1 == "json" { sub(/^[^ ]+ /, ""); print; exit }' "$TD"
}
# sol_tx NAME: the unsigned transaction (base64) of a vector of web3js.txt.
sol_tx() { awk -v n="$1" '$1 == n { print $2; exit }' "$SOL"; }

# eth_tx CHAIN_ID TO VALUE [DATA]: an unsigned EIP-1559 transaction ("0x" hex), RLP by hand.
cat >"$T_DIR/ethtx.py" <<'PY'
import sys
def ln(n):
    return n.to_bytes((n.bit_length() + 7) // 8, "big")
def enc(x):
    if isinstance(x, list):
        body = b"".join(enc(i) for i in x)
        return (bytes([0xc0 + len(body)]) if len(body) < 56 else
                bytes([0xf7 + len(ln(len(body)))]) + ln(len(body))) + body
    if len(x) == 1 and x[0] < 0x80:
        return x
    return (bytes([0x80 + len(x)]) if len(x) < 56 else bytes([0xb7 + len(ln(len(x)))]) + ln(len(x))) + x
chain, to, value = int(sys.argv[1]), bytes.fromhex(sys.argv[2]), int(sys.argv[3])
data = bytes.fromhex(sys.argv[4]) if len(sys.argv) > 4 else b""
fields = [ln(chain), ln(7), ln(2_000_000_000), ln(100_000_000_000), ln(100_000), to, ln(value), data, []]
print("0x" + (b"\x02" + enc(fields)).hex())
PY
eth_tx() { "$PY" "$T_DIR/ethtx.py" "$@"; }
# erc20 CHAIN_ID TOKEN TO AMOUNT: an ERC-20 transfer(TO, AMOUNT) call on TOKEN, no value.
erc20() { eth_tx "$1" "$2" 0 "$(printf 'a9059cbb%024d%s%064x' 0 "$3" "$4")"; }

URL=
ADMIN=
EXPECT=$T_DIR/expect.txt # the audit records expected, in order: KIND KEY RESULT DETAIL-PREFIX
: >"$EXPECT"
N_ALLOWED=0
N_DENIED=0

# http METHOD PATH [BODY or @FILE]: sets CODE and BODY_OUT.
http() {
	local args=(-sS --max-time 20 -o "$T_DIR/http.out" -w '%{http_code}' -X "$1"
		-H "Authorization: Bearer $ADMIN")
	[[ -n ${3:-} ]] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
	CODE=$(curl "${args[@]}" "$URL$2") || fail "curl $1 $2"
	BODY_OUT=$(<"$T_DIR/http.out")
}

# set_policy FRONT KEY POLICY-JSON: attaches (replaces) the key's policy without approvals.
set_policy() {
	local front=$1 key=$2 hash
	if [[ $front == cli ]]; then
		printf '%s\n' "$3" >"$T_DIR/policy.json"
		run "$SPOD" policy set "$key" --file "$T_DIR/policy.json"
		hash=$OUT
	else
		http PUT "/v1/keys/$key/policy" "{\"policy\":$3}"
		[[ $CODE == 200 ]] || fail "PUT policy: $CODE $BODY_OUT"
		hash=$(json_get 'd["policy_hash"]' <<<"$BODY_OUT")
	fi
	[[ $hash =~ ^[0-9a-f]{64}$ ]] || fail "policy set ($front) answered $hash"
	echo "policy.set $key OK policy=$hash" >>"$EXPECT"
}

# sign_req FRONT KEY WHAT ARG: one signing request. WHAT: eth (unsigned tx hex), sol
# (unsigned tx base64), msg (EIP-191 text), typed (EIP-712 JSON file), raw-eth (32-byte
# digest hex), raw-sol (message hex). Sets R_RC (CLI exit status or HTTP status), R_ERR
# (stderr or the body).
sign_req() {
	local front=$1 key=$2 what=$3 arg=$4 cmd path body
	if [[ $front == cli ]]; then
		case $what in
		eth) cmd=(sign-tx "$key" --chain ethereum --tx "$arg") ;;
		sol) cmd=(sign-tx "$key" --chain solana --tx "$arg") ;;
		msg) cmd=(sign-message "$key" --eip191 --text "$arg") ;;
		typed) cmd=(sign-typed-data "$key" --file "$arg") ;;
		raw-eth) cmd=(sign "$key" --digest "$arg") ;;
		raw-sol) cmd=(sign "$key" --message "$arg") ;;
		*) fail "sign_req: $what" ;;
		esac
		R_RC=0
		timeout -k 5 60 "$SPOD" "${cmd[@]}" >"$T_DIR/.out" 2>"$T_DIR/.err" || R_RC=$?
		R_ERR=$(<"$T_DIR/.err")
		R_OUT=$(<"$T_DIR/.out")
	else
		case $what in
		eth) path=sign-transaction body="{\"chain\":\"ethereum\",\"tx\":\"$arg\"}" ;;
		sol) path=sign-transaction body="{\"chain\":\"solana\",\"tx\":\"$arg\"}" ;;
		msg) path=sign-message body="{\"message\":\"$arg\"}" ;;
		typed) path=sign-typed-data body="@$arg" ;;
		raw-eth) path=sign body="{\"digest\":\"$arg\"}" ;;
		raw-sol) path=sign body="{\"message\":\"$arg\"}" ;;
		*) fail "sign_req: $what" ;;
		esac
		http POST "/v1/keys/$key/$path" "$body"
		R_RC=$CODE
		R_ERR=$BODY_OUT
		R_OUT=$BODY_OUT
	fi
	case $what in
	raw-*) R_DETAIL=mode= ;;
	sol) R_DETAIL=tx=solana ;;
	*) R_DETAIL=tx=ethereum ;;
	esac
}

# allow FRONT KEY WHAT ARG: the request is signed (exit 0 / 200).
allow() {
	sign_req "$@"
	local ok=0
	if [[ $1 == cli ]]; then ((R_RC == 0)) && [[ -n $R_OUT ]] && ok=1; else [[ $R_RC == 200 ]] && ok=1; fi
	((ok)) || fail "$1: $3 should be allowed, got $R_RC: $R_ERR"
	echo "sign $2 OK $R_DETAIL" >>"$EXPECT"
	N_ALLOWED=$((N_ALLOWED + 1))
}

# deny FRONT KEY WHAT ARG RULE [REASON]: the request is refused by the policy, naming RULE
# (exit 5 and `denied by rule "RULE"` / 403 POLICY_DENIED with "rule": RULE), and REASON
# when given (`denied by rule "RULE": REASON` / "reason": REASON).
deny() {
	local rule=$5 reason=${6:-}
	sign_req "$1" "$2" "$3" "$4"
	if [[ $1 == cli ]]; then
		[[ $R_RC == 5 && $R_ERR == *POLICY_DENIED* && $R_ERR == *"denied by rule \"$rule\""* ]] ||
			fail "cli: $3 should be refused by rule $rule, got exit $R_RC: $R_ERR"
		[[ -z $reason || $R_ERR == *"denied by rule \"$rule\": $reason"* ]] ||
			fail "cli: refusal without the reason \"$reason\": $R_ERR"
	else
		[[ $R_RC == 403 && $(json_get '[d["error"]["code"], d["error"].get("rule")]' <<<"$R_ERR") == \
			"[\"POLICY_DENIED\", \"$rule\"]" &&
			$(json_get 'd["error"]["message"]' <<<"$R_ERR") == *"denied by rule \"$rule\""* ]] ||
			fail "http: $3 should be refused by rule $rule, got $R_RC: $R_ERR"
		[[ -z $reason || $(json_get 'd["error"]["reason"]' <<<"$R_ERR") == "$reason" ]] ||
			fail "http: refusal without the reason \"$reason\": $R_ERR"
	fi
	echo "sign $2 POLICY_DENIED $R_DETAIL" >>"$EXPECT"
	N_DENIED=$((N_DENIED + 1))
}

# policy RULE...: a policy of these rules (JSON objects).
policy() {
	local IFS=,
	printf '{"version":1,"rules":[%s]}' "$*"
}

CASES=()
begin() { # begin FRONT NAME
	log "case $2 ($1)"
	[[ $1 == cli ]] && CASES+=("$2")
	return 0
}

# ---- the cases; each takes the front (cli or http) ----

case_chain() {
	begin "$1" chain
	# a deny rule on the chain, the same policy on both keys: Solana passes, Ethereum not
	local p
	p=$(policy '{"id":"no-ethereum","effect":"deny","chain":"ethereum"}' \
		'{"id":"tx-or-raw","effect":"allow","kinds":["transaction","raw"]}')
	set_policy "$1" "$EK" "$p"
	set_policy "$1" "$SK" "$p"
	allow "$1" "$SK" sol "$(sol_tx sol_transfer_legacy)"
	allow "$1" "$SK" raw-sol "$(random_hex 40)"
	deny "$1" "$EK" eth "$(eth_tx 1 $A_3C44 1000)" no-ethereum
	deny "$1" "$EK" raw-eth "$(random_hex 32)" no-ethereum
	# an allow rule on the chain: the other chain matches no rule
	p=$(policy '{"id":"solana-only","effect":"allow","chain":"solana","kinds":["transaction"]}')
	set_policy "$1" "$EK" "$p"
	set_policy "$1" "$SK" "$p"
	allow "$1" "$SK" sol "$(sol_tx sol_transfer_v0)"
	deny "$1" "$EK" eth "$(eth_tx 1 $A_3C44 1000)" default
}

case_kinds() {
	begin "$1" kinds
	set_policy "$1" "$EK" "$(policy '{"id":"no-messages","effect":"deny","kinds":["message"]}' \
		'{"id":"tx-and-raw","effect":"allow","kinds":["transaction","raw"]}')"
	allow "$1" "$EK" eth "$(eth_tx 1 $A_3C44 1000)"
	allow "$1" "$EK" raw-eth "$(random_hex 32)"
	deny "$1" "$EK" msg "hello spod" no-messages
	deny "$1" "$EK" typed "$T_DIR/mail.json" default
	# raw is allowed only where a rule lists it
	set_policy "$1" "$EK" "$(policy '{"id":"messages","effect":"allow","kinds":["message"]}')"
	allow "$1" "$EK" msg "hello spod"
	deny "$1" "$EK" raw-eth "$(random_hex 32)" default
	deny "$1" "$EK" eth "$(eth_tx 1 $A_3C44 1000)" default
}

case_chain_ids() {
	begin "$1" chain_ids
	set_policy "$1" "$EK" "$(policy '{"id":"mainnet-base","effect":"allow","kinds":["transaction"],"chain_ids":[1,8453]}')"
	allow "$1" "$EK" eth "$(eth_tx 1 $A_3C44 1000)"
	allow "$1" "$EK" eth "$(eth_tx 8453 $A_3C44 1000)"
	deny "$1" "$EK" eth "$(eth_tx 10 $A_3C44 1000)" default
	set_policy "$1" "$EK" "$(policy '{"id":"no-optimism","effect":"deny","chain_ids":[10]}' \
		'{"id":"all","effect":"allow","kinds":["transaction"]}')"
	allow "$1" "$EK" eth "$(eth_tx 1 $A_3C44 1000)"
	deny "$1" "$EK" eth "$(eth_tx 10 $A_3C44 1000)" no-optimism
}

case_to() {
	begin "$1" to
	set_policy "$1" "$EK" "$(policy "{\"id\":\"payees\",\"effect\":\"allow\",\"kinds\":[\"transaction\"],\"to\":[\"0x$A_3C44\"]}")"
	allow "$1" "$EK" eth "$(eth_tx 1 $A_3C44 1000)"
	deny "$1" "$EK" eth "$(eth_tx 1 $A_7099 1000)" default
	# a payee list allows native value only, never a token to that payee
	deny "$1" "$EK" eth "$(erc20 1 $USDC $A_3C44 5)" default
}

case_to_deny() {
	begin "$1" to_deny
	set_policy "$1" "$EK" "$(policy "{\"id\":\"blocked\",\"effect\":\"deny\",\"reason\":\"recipient is blocked\",\"to_deny\":[\"0x$A_7099\"]}" \
		"{\"id\":\"all\",\"effect\":\"allow\",\"kinds\":[\"transaction\"],\"contracts\":[\"0x$USDC\"]}" \
		'{"id":"native","effect":"allow","kinds":["transaction"]}')"
	allow "$1" "$EK" eth "$(eth_tx 1 $A_3C44 1000)"
	allow "$1" "$EK" eth "$(erc20 1 $USDC $A_3C44 5)"
	deny "$1" "$EK" eth "$(eth_tx 1 $A_7099 1000)" blocked "recipient is blocked"
	# an ERC-20 transfer's recipient is the transfer's, not the token contract
	deny "$1" "$EK" eth "$(erc20 1 $USDC $A_7099 5)" blocked
}

case_contracts() {
	begin "$1" contracts
	set_policy "$1" "$EK" "$(policy "{\"id\":\"usdc\",\"effect\":\"allow\",\"kinds\":[\"transaction\"],\"contracts\":[\"0x$USDC\"]}")"
	allow "$1" "$EK" eth "$(erc20 1 $USDC $A_7099 5)"
	deny "$1" "$EK" eth "$(erc20 1 $USDT $A_7099 5)" default
}

case_selectors() {
	begin "$1" selectors
	# approve(...) on USDC: an unknown call, which a rule listing its selector is explicit about
	set_policy "$1" "$EK" "$(policy "{\"id\":\"approvals\",\"effect\":\"allow\",\"kinds\":[\"transaction\"],\"contracts\":[\"0x$USDC\"],\"selectors\":[\"0x095ea7b3\"]}")"
	allow "$1" "$EK" eth "$APPROVE_TX"
	deny "$1" "$EK" eth "$(erc20 1 $USDC $A_7099 5)" default
}

case_programs() {
	begin "$1" programs
	set_policy "$1" "$SK" "$(policy "{\"id\":\"system-only\",\"effect\":\"allow\",\"chain\":\"solana\",\"kinds\":[\"transaction\"],\"programs\":[\"$SYSTEM_PROGRAM\"]}")"
	allow "$1" "$SK" sol "$(sol_tx sol_transfer_legacy)"
	# ComputeBudget + System: not every program is listed
	deny "$1" "$SK" sol "$(sol_tx compute_budget)" default "no rule allows it"
}

case_delegates() {
	begin "$1" delegates
	# the EIP-7702 vector: a token transfer on 0xf39f..., authorizations delegating to USDC
	# and to 0x3c44...; the refused one delegates to 0x7099... instead of 0x3c44...
	set_policy "$1" "$EK" "$(policy "{\"id\":\"delegates\",\"effect\":\"allow\",\"kinds\":[\"transaction\"],\"contracts\":[\"0x$A_F39F\"],\"delegates\":[\"0x$USDC\",\"0x$A_3C44\"]}")"
	allow "$1" "$EK" eth "$DELEGATE_TX"
	deny "$1" "$EK" eth "$OTHER_DELEGATE_TX" default
	set_policy "$1" "$EK" "$(policy "{\"id\":\"no-7099\",\"effect\":\"deny\",\"delegates\":[\"0x$A_7099\"]}" \
		"{\"id\":\"any\",\"effect\":\"allow\",\"kinds\":[\"transaction\"],\"contracts\":[\"0x$A_F39F\"]}")"
	allow "$1" "$EK" eth "$DELEGATE_TX"
	# delegates is "every delegate listed": the deny rule matches only a list of 0x7099 alone
	deny "$1" "$EK" eth "$ONLY_7099_TX" no-7099
}

case_domains() {
	begin "$1" domains
	set_policy "$1" "$EK" "$(policy '{"id":"no-usd-coin","effect":"deny","kinds":["typed_data"],"domains":[{"name":"USD Coin"}]}' \
		'{"id":"mail","effect":"allow","kinds":["typed_data"],"domains":[{"name":"Ether Mail","version":"1","chain_id":1,"verifying_contract":"0xcccccccccccccccccccccccccccccccccccccccc"}]}')"
	allow "$1" "$EK" typed "$T_DIR/mail.json"
	deny "$1" "$EK" typed "$T_DIR/permit.json" no-usd-coin
	deny "$1" "$EK" typed "$T_DIR/mail5.json" default
}

case_max_value() {
	begin "$1" max_value
	set_policy "$1" "$EK" "$(policy "{\"id\":\"cap\",\"effect\":\"allow\",\"kinds\":[\"transaction\"],\"max_value\":\"$ONE_ETH\"}")"
	allow "$1" "$EK" eth "$(eth_tx 1 $A_3C44 $ONE_ETH)"
	deny "$1" "$EK" eth "$(eth_tx 1 $A_3C44 $((ONE_ETH + 1)))" cap \
		"max_value: $ONE_ETH wei would be exceeded"
}

case_max_token_amount() {
	begin "$1" max_token_amount
	set_policy "$1" "$EK" "$(policy "{\"id\":\"usdc-cap\",\"effect\":\"allow\",\"kinds\":[\"transaction\"],\"max_token_amount\":[{\"token\":\"0x$USDC\",\"amount\":\"2000000000\"}]}")"
	allow "$1" "$EK" eth "$(erc20 1 $USDC $A_7099 2000000000)"
	deny "$1" "$EK" eth "$(erc20 1 $USDC $A_7099 2000000001)" usdc-cap
}

case_window() {
	begin "$1" window
	set_policy "$1" "$EK" "$(policy '{"id":"hourly","effect":"allow","kinds":["transaction"],"window":{"asset":"native","limit":"1000","seconds":3600}}')"
	allow "$1" "$EK" eth "$(eth_tx 1 $A_3C44 600)"
	allow "$1" "$EK" eth "$(eth_tx 1 $A_3C44 400)"
	deny "$1" "$EK" eth "$(eth_tx 1 $A_3C44 1)" hourly
	# a token window: its asset names the token
	set_policy "$1" "$EK" "$(policy "{\"id\":\"usdc-hourly\",\"effect\":\"allow\",\"kinds\":[\"transaction\"],\"window\":{\"asset\":\"0x$USDC\",\"limit\":\"2000\",\"seconds\":3600}}")"
	allow "$1" "$EK" eth "$(erc20 1 $USDC $A_7099 1500)"
	allow "$1" "$EK" eth "$(erc20 1 $USDC $A_7099 500)"
	deny "$1" "$EK" eth "$(erc20 1 $USDC $A_7099 1)" usdc-hourly
}

case_rate() {
	begin "$1" rate
	set_policy "$1" "$EK" "$(policy '{"id":"twice","effect":"allow","kinds":["transaction"],"rate":{"count":2,"seconds":3600}}')"
	allow "$1" "$EK" eth "$(eth_tx 1 $A_3C44 1)"
	allow "$1" "$EK" eth "$(eth_tx 1 $A_3C44 2)"
	deny "$1" "$EK" eth "$(eth_tx 1 $A_3C44 3)" twice
}

case_allow_unknown() {
	begin "$1" allow_unknown
	set_policy "$1" "$EK" "$(policy "{\"id\":\"usdc\",\"effect\":\"allow\",\"kinds\":[\"transaction\"],\"contracts\":[\"0x$USDC\"]}")"
	allow "$1" "$EK" eth "$(erc20 1 $USDC $A_7099 5)"
	deny "$1" "$EK" eth "$APPROVE_TX" default
	set_policy "$1" "$EK" "$(policy "{\"id\":\"usdc\",\"effect\":\"allow\",\"kinds\":[\"transaction\"],\"contracts\":[\"0x$USDC\"],\"allow_unknown\":true}")"
	allow "$1" "$EK" eth "$APPROVE_TX"
	# Solana: an instruction of an unknown program
	set_policy "$1" "$SK" "$(policy '{"id":"sol","effect":"allow","chain":"solana","kinds":["transaction"]}')"
	allow "$1" "$SK" sol "$(sol_tx sol_transfer_legacy)"
	deny "$1" "$SK" sol "$(sol_tx unknown_program)" default
	set_policy "$1" "$SK" "$(policy '{"id":"sol","effect":"allow","chain":"solana","kinds":["transaction"],"allow_unknown":true}')"
	allow "$1" "$SK" sol "$(sol_tx unknown_program)"
}

# ---- the pod and the keys ----

# shellcheck disable=SC2119 # no arguments: an ephemeral pod without policy admins
start_pod
URL=$(http_url)
ADMIN=$(<"$T_DIR/admin.token")
PCR0=$(pod_pcr0)
run "$SPOD" --json keys generate --alg secp256k1
EK=$(json_get 'd["id"]' <<<"$OUT")
echo 0101010101010101010101010101010101010101010101010101010101010101 >"$K/sol.hex"
run "$SPOD" --json keys import --key-file "$K/sol.hex" --alg ed25519 --expect-pcr0 "$PCR0" --root dev
SK=$(json_get 'd["id"]' <<<"$OUT")
[[ $EK =~ ^[0-9a-f]{32}$ && $SK =~ ^[0-9a-f]{32}$ ]] || fail "keys: $EK $SK"

# the vectors, checked for what the rules above rely on
APPROVE_TX=0x$(eth_field eip1559_unknown_call unsigned) # approve(0x3c44..., max) on USDC, chain 1
[[ $(eth_field eip1559_unknown_call selector) == 095ea7b3 && $(eth_field eip1559_unknown_call to) == "$USDC" ]] ||
	fail "the unknown-call vector changed"
DELEGATE_TX=$(eth_field eip7702_delegate unsigned)
[[ $(eth_field eip7702_delegate to) == "$A_F39F" &&
	$(awk '$1 == "name" { c = $2 } c == "eip7702_delegate" && $1 == "delegate" { printf "%s ", $2 }' "$ETH") == "$USDC $A_3C44 " &&
	$(grep -o "$A_3C44" <<<"$DELEGATE_TX" | wc -l) == 1 && $(grep -o "$USDC" <<<"$DELEGATE_TX" | wc -l) == 1 ]] ||
	fail "the EIP-7702 vector changed"
# the same authorization list with 0x3c44 replaced by 0x7099 (same length: the RLP holds),
# and with both delegates 0x7099
OTHER_DELEGATE_TX=0x${DELEGATE_TX//$A_3C44/$A_7099}
ONLY_7099_TX=${OTHER_DELEGATE_TX//$USDC/$A_7099}
DELEGATE_TX=0x$DELEGATE_TX
td_json eip712_mail >"$T_DIR/mail.json"
td_json permit >"$T_DIR/permit.json"
"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1])); d["domain"]["chainId"] = 5; json.dump(d, open(sys.argv[2], "w"))' \
	"$T_DIR/mail.json" "$T_DIR/mail5.json"
grep -q '"name":"Ether Mail","version":"1","chainId":1,"verifyingContract":"0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"' "$T_DIR/mail.json" ||
	fail "the mail vector's domain changed"

log "no policy: everything signs"
allow cli "$EK" raw-eth "$(random_hex 32)"
allow http "$SK" raw-sol "$(random_hex 40)"

for FRONT in cli http; do
	case_chain "$FRONT"
	case_kinds "$FRONT"
	case_chain_ids "$FRONT"
	case_to "$FRONT"
	case_to_deny "$FRONT"
	case_contracts "$FRONT"
	case_selectors "$FRONT"
	case_programs "$FRONT"
	case_delegates "$FRONT"
	case_domains "$FRONT"
	case_max_value "$FRONT"
	case_max_token_amount "$FRONT"
	case_window "$FRONT"
	case_rate "$FRONT"
	case_allow_unknown "$FRONT"
done
pod_alive || fail "the pod died"

log "policies removed (CLI and DELETE): raw signing works again"
run "$SPOD" --json policy remove "$EK"
[[ $(json_get 'd["policy_hash"]' <<<"$OUT") == null ]] || fail "remove: $OUT"
echo "policy.set $EK OK removed" >>"$EXPECT"
http DELETE "/v1/keys/$SK/policy"
[[ $CODE == 200 && $(json_get 'd["policy_hash"]' <<<"$BODY_OUT") == null ]] || fail "DELETE: $CODE $BODY_OUT"
echo "policy.set $SK OK removed" >>"$EXPECT"
run "$SPOD" policy show "$EK"
[[ $OUT == "no policy"* ]] || fail "show after remove: $OUT"
allow cli "$EK" raw-eth "$(random_hex 32)"
allow http "$EK" raw-eth "$(random_hex 32)"
allow cli "$SK" raw-sol "$(random_hex 40)"
allow http "$SK" raw-sol "$(random_hex 40)"
allow cli "$EK" msg "after the policy"

log "audit: every signing request and policy change of both keys, in order, refusals included"
wait_audit
run "$SPOD" --json audit tail --limit 100000
echo "$OUT" >"$T_DIR/audit.json"
LAST_SEQ=$(json_get 'd[-1]["seq"]' <<<"$OUT")
run "$SPOD" audit export --upto "$LAST_SEQ" --out "$T_DIR/export.jsonl"
run "$SPOD" audit verify --file "$T_DIR/export.jsonl"
run "$SPOD" audit verify
cat >"$T_DIR/check_audit.py" <<'PY'
import json, sys
path, expect_path, keys = sys.argv[1], sys.argv[2], set(sys.argv[3:])
# the export file: a header line, then records whose result is the integer code
CODES = {0: "OK", -39: "POLICY_DENIED"}
if path.endswith(".jsonl"):
    lines = [json.loads(line) for line in open(path)]
    assert lines[0]["format"] == "spod-audit-export", lines[0]
    recs = lines[1:]
    for r in recs:
        r["result"] = CODES.get(r["result"], str(r["result"]))
else:
    recs = json.load(open(path))
recs.sort(key=lambda r: r["seq"])
got = [(r["kind"], r["key_id"], r["result"], r["detail"] or "") for r in recs
       if r["kind"] in ("sign", "policy.set") and r["key_id"] in keys]
want = [line.split() for line in open(expect_path)]
assert len(got) == len(want), f"{len(got)} records, {len(want)} expected"
for i, (g, w) in enumerate(zip(got, want)):
    ok = g[0] == w[0] and g[1] == w[1] and g[2] == w[2] and (
        g[3] == w[3] if w[0] == "policy.set" else g[3].startswith(w[3]))
    assert ok, f"record {i}: {g}, expected {w}"
print(sum(1 for g in got if g[2] == "POLICY_DENIED"))
PY
for f in "$T_DIR/audit.json" "$T_DIR/export.jsonl"; do
	n=$("$PY" "$T_DIR/check_audit.py" "$f" "$EXPECT" "$EK" "$SK") || fail "audit records ($(basename "$f"))"
	[[ $n == "$N_DENIED" ]] || fail "$(basename "$f"): $n refusals recorded, $N_DENIED made"
done

log "rule types: ${CASES[*]}"
log "ok: $N_ALLOWED signed, $N_DENIED refused, each case through the CLI and HTTP"
