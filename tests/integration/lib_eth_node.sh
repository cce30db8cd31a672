# shellcheck shell=bash
# A real Ethereum development node for the integration tests (issue 16): Hardhat Network
# (`hardhat node`, chain 31337, the Prague fork) from the npm packages locked in
# tests/integration/eth_node, with the npm solc compiler and ethers beside it. Sourced after
# lib.sh and lib_js.sh. Loopback only; nothing is downloaded at run time but the locked
# packages by `npm ci` (which lib_js.sh bounds and reuses across runs).
#
#   eth_node_install          npm ci of tests/integration/eth_node into $ETH_NODE_JS
#                             ($SPOD_BIN/eth-node; ETH_NODE_NPM_TIMEOUT s, default 300) and a
#                             fresh copy of its config, contracts and scripts there
#   eth_node_start            starts the node on a port the kernel picks on 127.0.0.1, waits
#                             (ETH_NODE_START_TIMEOUT s, default 60) until eth_chainId answers
#                             31337; sets ETH_NODE_URL (exported) and ETH_NODE_PID; lib.sh's
#                             cleanup stops it, its log is $T_DIR/eth_node.log
#   eth_node_stop             stops it now (SIGTERM, then SIGKILL after 10 s)
#   eth_node_rpc METHOD PARAMS_JSON
#                             one JSON-RPC call; prints the result (a string as is, anything
#                             else as JSON); a JSON-RPC error goes to stderr, status 1
#   eth_node_fund ADDR WEI    sets ADDR's balance to WEI (decimal or 0x hex: hardhat_setBalance)
#   eth_node_compile FILE.sol CONTRACT OUT.json
#                             compiles with solc-js (compile.js): {contract, abi, bytecode, solc}
#
# The node's accounts are Hardhat's well-known ones (mnemonic "test test ... junk"), unlocked
# on the node (eth_sendTransaction from them works), each with 10000 ETH:
# shellcheck disable=SC2034 # for the scripts that source this file
ETH_NODE_ACCOUNT0=0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266
# shellcheck disable=SC2034
ETH_NODE_KEY0=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
ETH_NODE_CHAIN_ID=31337

ETH_NODE_SRC=$SPOD_SRC/tests/integration/eth_node
ETH_NODE_JS=$SPOD_BIN/eth-node
ETH_NODE_URL=""
ETH_NODE_PID=""

eth_node_install() {
	# lib_js.sh's globals, for this package only
	local JS_SRC=$ETH_NODE_SRC JS=$ETH_NODE_JS NPM_TIMEOUT=${ETH_NODE_NPM_TIMEOUT:-300} lock f
	[[ -n ${NODE_VERSION:-} ]] || js_node_check "the Ethereum development node (hardhat)"
	# every test of the node installs into the same directory, and ctest runs them in
	# parallel: one npm ci at a time (the others then reuse what it installed)
	exec {lock}>"$ETH_NODE_JS.lock"
	flock -w $((NPM_TIMEOUT + 30)) "$lock" || fail "$ETH_NODE_JS.lock: another npm ci holds it"
	js_install
	# the config, contracts and scripts, rewritten only when changed (a node another test
	# started may be reading them)
	for f in hardhat.config.js compile.js check_node.js engines.js spod_eth.js Token.sol; do
		cmp -s "$ETH_NODE_SRC/$f" "$ETH_NODE_JS/$f" || cp "$ETH_NODE_SRC/$f" "$ETH_NODE_JS/$f"
	done
	flock -u "$lock"
	exec {lock}>&-
	log "hardhat $(json_get 'd["version"]' <"$ETH_NODE_JS/node_modules/hardhat/package.json")," \
		"solc $(json_get 'd["version"]' <"$ETH_NODE_JS/node_modules/solc/package.json")," \
		"ethers $(json_get 'd["version"]' <"$ETH_NODE_JS/node_modules/ethers/package.json")"
}

# The node's URL from its log ("Started HTTP and WebSocket JSON-RPC server at http://..."),
# empty while it has not started.
eth_node_url_from_log() {
	grep -oE 'JSON-RPC server at http://127\.0\.0\.1:[0-9]+' "$T_DIR/eth_node.log" 2>/dev/null |
		tail -n1 | sed -e 's/^JSON-RPC server at //' || true
}

eth_node_chain_ok() {
	[[ $(eth_node_rpc eth_chainId '[]' 2>/dev/null) == "0x$(printf %x "$ETH_NODE_CHAIN_ID")" ]]
}

eth_node_start() {
	local limit=${ETH_NODE_START_TIMEOUT:-60} deadline home=$T_DIR/hardhat-home
	[[ -f $ETH_NODE_JS/hardhat.config.js ]] || fail "eth_node_start before eth_node_install"
	[[ -z $ETH_NODE_PID ]] || fail "eth_node_start: a node is already running"
	mkdir -p "$home"
	# Hardhat's own files (telemetry id, vars) under T_DIR, never in $HOME; no prompt: its
	# stdout is not a terminal and HARDHAT_DISABLE_TELEMETRY_PROMPT says no. cli.js directly
	# (not the `hardhat` launcher) skips the launcher's warning about Node 18.
	(cd "$ETH_NODE_JS" && exec env XDG_CONFIG_HOME="$home/config" XDG_DATA_HOME="$home/data" \
		XDG_CACHE_HOME="$home/cache" HARDHAT_DISABLE_TELEMETRY_PROMPT=true NO_COLOR=1 \
		node node_modules/hardhat/internal/cli/cli.js --config hardhat.config.js \
		node --hostname 127.0.0.1 --port 0) </dev/null >>"$T_DIR/eth_node.log" 2>&1 &
	ETH_NODE_PID=$!
	T_BG_PIDS+=("$ETH_NODE_PID")
	deadline=$(($(now_us) + limit * 1000000))
	until [[ -n $ETH_NODE_URL ]] && eth_node_chain_ok; do
		alive "$ETH_NODE_PID" || fail "the Ethereum node exited during start-up"
		(($(now_us) < deadline)) || fail "the Ethereum node did not answer eth_chainId in $limit s"
		[[ -n $ETH_NODE_URL ]] || ETH_NODE_URL=$(eth_node_url_from_log)
		sleep 0.1
	done
	export ETH_NODE_URL
	log "Ethereum node (pid $ETH_NODE_PID) at $ETH_NODE_URL, chain $ETH_NODE_CHAIN_ID"
}

eth_node_stop() {
	local pid=$ETH_NODE_PID i
	[[ -n $pid ]] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	wait_until 10 dead "$pid" || kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	for i in "${!T_BG_PIDS[@]}"; do
		[[ ${T_BG_PIDS[i]} != "$pid" ]] || unset 'T_BG_PIDS[i]'
	done
	ETH_NODE_PID=""
	ETH_NODE_URL=""
	log "Ethereum node stopped"
}

eth_node_rpc() {
	local method=$1 params=${2:-[]} body
	[[ -n $ETH_NODE_URL ]] || {
		echo "eth_node_rpc: no node" >&2
		return 1
	}
	body=$(curl -sS --max-time 30 -H 'Content-Type: application/json' \
		--data-binary "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$method\",\"params\":$params}" \
		"$ETH_NODE_URL") || return 1
	"$PY" -c 'import json, sys
d = json.loads(sys.argv[1])
if "error" in d or "result" not in d:
    sys.exit("%s: %s" % (sys.argv[2], json.dumps(d.get("error", d))))
r = d["result"]
print(r if isinstance(r, str) else json.dumps(r))' "$body" "$method"
}

eth_node_fund() {
	local addr=$1 wei
	wei=$("$PY" -c 'import sys; print(hex(int(sys.argv[1], 0)))' "$2") || return 1
	eth_node_rpc hardhat_setBalance "[\"$addr\",\"$wei\"]" >/dev/null
}

eth_node_compile() {
	timeout -k 5 120 node "$ETH_NODE_JS/compile.js" "$1" "$2" "$3"
}
