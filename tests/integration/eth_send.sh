#!/usr/bin/env bash
# POST /eth in front of a real Ethereum node (issue 16): spod-host runs with
# --eth-downstream pointing at the Hardhat node of lib_eth_node.sh and --eth-listen (the
# JSON-RPC signer on a port of its own, at POST /), and ethers' own JsonRpcProvider /
# JsonRpcSigner talk to that port's root (eth_node/spod_eth.js): an
# EIP-1559 transfer, the ERC-20's deployment and a token transfer are filled by spod (nonce,
# fees, gas, chain id), signed in the enclave, sent and mined, with balances read from the
# node itself; typed data and a personal message verify with ethers; an EIP-7702 set-code
# transaction delegates an account; a key's deny rule reaches ethers as a JSON-RPC error with
# the rule and its reason; a node error while filling comes back as the node gave it.
# Then, with curl: methods spod does not serve are passed on (and a token the pod refuses
# proxies nothing), and a node that is gone is a -32000 UNAVAILABLE error, the host serving on.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=lib_js.sh
source "$(dirname "$0")/lib_js.sh"
# shellcheck source-path=SCRIPTDIR source=lib_eth_node.sh
source "$(dirname "$0")/lib_eth_node.sh"

DENY_TO=0x000000000000000000000000000000000000dead
DENY_RULE=blocked
DENY_REASON="blocked counterparty"

js_node_check "the Ethereum development node (hardhat)"
eth_node_install
eth_node_start
run eth_node_compile "$ETH_NODE_JS/Token.sol" Token "$T_DIR/Token.json"

start_pod --eth-downstream "$ETH_NODE_URL" --eth-listen 127.0.0.1:0
URL=$(http_url)
[[ $URL == http* ]] || fail "no HTTP address in host.log"
RPC_URL=$(grep -oE 'Ethereum JSON-RPC on https?://[^ ]+' "$T_DIR/host.log" | tail -n1 |
	sed -e 's/^Ethereum JSON-RPC on //')
[[ $RPC_URL == http://127.0.0.1:*/ ]] || fail "no JSON-RPC port in host.log: $RPC_URL"
grep -q "$ETH_NODE_URL" "$T_DIR/host.log" && fail "host.log names the downstream URL"

run "$SPOD" --json keys generate --alg secp256k1
KEY=$(json_get 'd["id"]' <<<"$OUT")
run "$SPOD" keys public "$KEY" --format eth-address
ADDRESS=$OUT
run "$SPOD" --json keys generate --alg secp256k1
PKEY=$(json_get 'd["id"]' <<<"$OUT")
run "$SPOD" keys public "$PKEY" --format eth-address
PADDRESS=$OUT
# the guarded key: a deny rule for one address, and an allow rule naming one chain (31337),
# which is where its transactions' chain id comes from when the request has none
POLICY="{\"version\":1,\"rules\":[{\"id\":\"$DENY_RULE\",\"effect\":\"deny\",\"reason\":\"$DENY_REASON\",\"to_deny\":[\"$DENY_TO\"]},{\"id\":\"desk\",\"effect\":\"allow\",\"chain\":\"ethereum\",\"chain_ids\":[31337],\"kinds\":[\"transaction\"],\"allow_unknown\":true}]}"
put_policy "$PKEY" "$POLICY"
run "$SPOD" --json token create --scope 'ops=sign,list;keys=*'
TOKEN=$(json_get 'd["token"]' <<<"$OUT")

log "ethers JsonRpcSigner against $RPC_URL (node $ETH_NODE_URL)"
rc=0
(cd "$ETH_NODE_JS" && SPOD_ETH_URL=$RPC_URL SPOD_TOKEN=$TOKEN ETH_NODE_URL=$ETH_NODE_URL \
	TOKEN_ARTIFACT=$T_DIR/Token.json SPOD_ADDRESS=$ADDRESS SPOD_POLICY_ADDRESS=$PADDRESS \
	DENY_TO=$DENY_TO DENY_RULE=$DENY_RULE DENY_REASON=$DENY_REASON \
	timeout -k 10 300 node spod_eth.js) >"$T_DIR/spod_eth.out" 2>&1 || rc=$?
cat "$T_DIR/spod_eth.out" >&2
((rc == 0)) || fail "spod_eth.js failed (exit $rc)"
WANT=$(grep -c "check('" "$ETH_NODE_JS/spod_eth.js")
grep -qx "ok $WANT" "$T_DIR/spod_eth.out" || fail "spod_eth.js: not all $WANT checks ran"

log "proxied methods, in a batch with spod's own"
http "$TOKEN" POST /eth '[{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"},{"jsonrpc":"2.0","id":2,"method":"eth_accounts"},{"jsonrpc":"2.0","id":3,"method":"web3_clientVersion","params":[]}]'
[[ $CODE == 200 ]] || fail "batch: $CODE $BODY_OUT"
[[ $(json_get 'd[0]["result"]' <<<"$BODY_OUT") == 0x* ]] || fail "eth_blockNumber: $BODY_OUT"
[[ $(json_get 'len(d[1]["result"])' <<<"$BODY_OUT") == 2 ]] || fail "eth_accounts: $BODY_OUT"
[[ $(json_get 'd[2]["result"]' <<<"$BODY_OUT") == HardhatNetwork* ]] || fail "web3_clientVersion: $BODY_OUT"
# the node's own error for a method it does not know, as it gave it
http "$TOKEN" POST /eth '{"jsonrpc":"2.0","id":4,"method":"no_such_method","params":[]}'
[[ $(json_get 'd["error"]["code"]' <<<"$BODY_OUT") == -32004 ]] || fail "unknown method: $BODY_OUT"
# a token the pod refuses proxies nothing
http "not-a-token" POST /eth '{"jsonrpc":"2.0","id":5,"method":"eth_blockNumber"}'
[[ $CODE == 401 ]] || fail "bad token: $CODE $BODY_OUT"
# a scoped token sees only its key
run "$SPOD" --json token create --scope "ops=sign,list;keys=id:$KEY"
http "$(json_get 'd["token"]' <<<"$OUT")" POST /eth '{"jsonrpc":"2.0","id":6,"method":"eth_accounts"}'
[[ $(json_get 'd["result"][0].lower()' <<<"$BODY_OUT") == "${ADDRESS,,}" && $(json_get 'len(d["result"])' <<<"$BODY_OUT") == 1 ]] ||
	fail "scoped eth_accounts: $BODY_OUT"

log "the JSON-RPC port: POST / and /eth only"
CODE=$(curl -sS --max-time 20 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
	-H 'Content-Type: application/json' --data-binary '{"jsonrpc":"2.0","id":1,"method":"eth_accounts"}' \
	"${RPC_URL}eth") || fail "curl POST /eth on the JSON-RPC port"
[[ $CODE == 200 ]] || fail "POST /eth on the JSON-RPC port: $CODE"
CODE=$(curl -sS --max-time 20 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
	"${RPC_URL}") || fail "curl GET / on the JSON-RPC port"
[[ $CODE == 405 ]] || fail "GET / on the JSON-RPC port: $CODE"
CODE=$(curl -sS --max-time 20 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
	"${RPC_URL}v1/keys") || fail "curl GET /v1/keys on the JSON-RPC port"
[[ $CODE == 404 ]] || fail "GET /v1/keys on the JSON-RPC port: $CODE"

log "the node gone: -32000 UNAVAILABLE, the host serves on"
NODE_URL=$ETH_NODE_URL
eth_node_stop
http "$TOKEN" POST /eth "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"eth_sendTransaction\",\"params\":[{\"from\":\"$ADDRESS\",\"to\":\"$DENY_TO\"}]}"
[[ $CODE == 200 && $(json_get 'd["error"]["code"]' <<<"$BODY_OUT") == -32000 &&
	$(json_get 'd["error"]["data"]["code"]' <<<"$BODY_OUT") == UNAVAILABLE ]] || fail "node gone: $CODE $BODY_OUT"
[[ -n $NODE_URL && $BODY_OUT != *"$NODE_URL"* ]] || fail "the error names the node's URL: $BODY_OUT"
http "$TOKEN" POST /eth '{"jsonrpc":"2.0","id":8,"method":"health_status"}'
[[ $(json_get 'd["result"]' <<<"$BODY_OUT") == ok ]] || fail "health_status: $BODY_OUT"
pod_alive || fail "the pod died"
log "ok"
