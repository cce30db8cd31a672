#!/usr/bin/env bash
# The Ethereum development node of lib_eth_node.sh on its own (issue 16), before any test
# puts spod in front of it: Hardhat Network from tests/integration/eth_node's lock, on the
# `node` in PATH (Debian 12's Node 18 in make test), on a loopback port.
# - every installed package admits Node 18.19 (engines) and needs no install script;
# - the node answers chain 31337 and serves its unlocked, funded accounts;
# - eth_node_fund sets a fresh EOA's balance (hardhat_setBalance);
# - Token.sol compiles with the npm solc package (compile.js) for the Prague EVM;
# - check_node.js (ethers): an EIP-1559 ether transfer, the token deployed, transfer,
#   approve, transferFrom and an overdraft revert, with balances checked, and an EIP-7702
#   (type 4) delegation signed by the EOA, whose code becomes 0xef0100 || token address:
#   the node knows Prague;
# - a JSON-RPC error of the node reaches eth_node_rpc's caller; eth_node_stop stops it.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=lib_js.sh
source "$(dirname "$0")/lib_js.sh"
# shellcheck source-path=SCRIPTDIR source=lib_eth_node.sh
source "$(dirname "$0")/lib_eth_node.sh"

js_node_check "the Ethereum development node (hardhat)"
eth_node_install
# the lock stays installable on Debian 12's Node 18.19 with npm ci --ignore-scripts
run node "$ETH_NODE_JS/engines.js" "$ETH_NODE_JS/node_modules" 18.19.0
log "$OUT"
eth_node_start

run eth_node_rpc eth_accounts '[]'
[[ $(json_get 'd[0].lower()' <<<"$OUT") == "${ETH_NODE_ACCOUNT0,,}" ]] || fail "eth_accounts: $OUT"
run eth_node_rpc eth_getBalance "[\"$ETH_NODE_ACCOUNT0\",\"latest\"]"
[[ $OUT == 0x21e19e0c9bab2400000 ]] || fail "account #0 balance: $OUT"

# a fixed key nobody funds but this test (the EOA that delegates itself below)
EOA_KEY=0x$(printf 'spod eth_node test EOA' | sha256sum | cut -d' ' -f1)
run node -e 'const { ethers } = require(process.argv[1] + "/node_modules/ethers");
console.log(new ethers.Wallet(process.argv[2]).address)' "$ETH_NODE_JS" "$EOA_KEY"
EOA=$OUT
run eth_node_fund "$EOA" 2000000000000000000
run eth_node_rpc eth_getBalance "[\"$EOA\",\"latest\"]"
[[ $OUT == 0x1bc16d674ec80000 ]] || fail "eth_node_fund: balance $OUT"

log "Token.sol with solc-js"
run eth_node_compile "$ETH_NODE_JS/Token.sol" Token "$T_DIR/token.json"
log "$(json_get 'd["solc"] + ", " + str(len(d["bytecode"]) // 2 - 1) + " bytes"' <"$T_DIR/token.json")"

log "ethers: transfers, the token, an EIP-7702 delegation"
run node "$ETH_NODE_JS/check_node.js" "$ETH_NODE_URL" "$T_DIR/token.json" "$EOA_KEY"
printf '%s\n' "$OUT" >&2
(($(grep -c '^ok ' <<<"$OUT") == 4)) || fail "check_node: $OUT"
[[ $OUT == *"ok eip7702 "*" -> 0xef0100"* ]] || fail "no EIP-7702 delegation: $OUT"

# Hardhat answers a method it does not know with -32004 (EIP-1474's "method not supported"),
# not JSON-RPC's -32601: what spod relays from this node for a proxied unknown method
expect_exit 1 eth_node_rpc eth_noSuchMethod '[]'
[[ $ERR == *eth_noSuchMethod* && $ERR == *'"code": -32004'* ]] || fail "an unknown method: $ERR"

pid=$ETH_NODE_PID
eth_node_stop
dead "$pid" || fail "the node still runs after eth_node_stop"
log "ok"
