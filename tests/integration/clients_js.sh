#!/usr/bin/env bash
# The JavaScript drop-in clients of clients/js (@spod/clients, issue 16) against a real pod:
# clients/js/test/*.test.js run under Node's built-in test runner (`node --test`, Node 18+)
# with the `node` in PATH and the libraries pinned in clients/js/package-lock.json
# (ethers, viem, @solana/web3.js). The tests sign through spod-host's HTTP API with
# SpodSigner (ethers v6), spodViemAccount (viem) and SpodSolanaSigner (web3.js) and verify
# every signature with the libraries themselves (verifyMessage, verifyTypedData,
# Transaction.from, recoverTransactionAddress, verifySignatures) or Node's Ed25519.
# A policy refusal (a deny rule attached over PUT /v1/keys/{id}/policy with the admin token,
# which an ephemeral pod allows) must reject with an Error naming the rule.
#
# As interop_js.sh: `npm ci` installs the locked packages into $SPOD_BIN/clients-js (never
# the source tree), with its cache there, bounded by CLIENTS_NPM_TIMEOUT seconds (default
# 300); a later run with the same lock file, node and npm reuses them. The package's sources
# and tests are copied beside them, so `require('..')` in a test is the package.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

JS_SRC=$SPOD_SRC/clients/js
JS=$SPOD_BIN/clients-js
NPM_TIMEOUT=${CLIENTS_NPM_TIMEOUT:-300}
DENY_RULE=no-messages

# shellcheck source-path=SCRIPTDIR source=lib_js.sh
source "$(dirname "$0")/lib_js.sh"
js_node_check "@spod/clients"

js_install
# the package itself, fresh each run (the installed node_modules stay)
rm -rf "$JS/src" "$JS/test"
cp -r "$JS_SRC/index.js" "$JS_SRC/index.d.ts" "$JS_SRC/src" "$JS_SRC/test" "$JS/"
for lib in ethers viem @solana/web3.js; do
	log "$lib $(json_get 'd["version"]' <"$JS/node_modules/$lib/package.json")"
done

start_pod
URL=$(http_url)
[[ $URL == http* ]] || fail "no HTTP address in host.log"

log "keys: secp256k1 (signing), secp256k1 with a deny policy, ed25519"
run "$SPOD" --json keys generate --alg secp256k1
ETH_KEY=$(json_get 'd["id"]' <<<"$OUT")
run "$SPOD" keys public "$ETH_KEY" --format eth-address
ETH_ADDRESS=$OUT
run "$SPOD" --json keys generate --alg secp256k1
DENY_KEY=$(json_get 'd["id"]' <<<"$OUT")
run "$SPOD" --json keys generate --alg ed25519
SOL_KEY=$(json_get 'd["id"]' <<<"$OUT")
SOL_ADDRESS=$(json_get 'd["solana_address"]' <<<"$OUT")
[[ $ETH_ADDRESS =~ ^0x[0-9a-fA-F]{40}$ && -n $SOL_ADDRESS ]] || fail "keys: $ETH_ADDRESS $SOL_ADDRESS"

POLICY="{\"version\":1,\"rules\":[{\"id\":\"$DENY_RULE\",\"effect\":\"deny\",\"reason\":\"this key signs no messages\",\"kinds\":[\"message\"]},{\"id\":\"txs\",\"effect\":\"allow\",\"chain\":\"ethereum\",\"kinds\":[\"transaction\"]}]}"
put_policy "$DENY_KEY" "$POLICY"

# a token of the application's kind: sign and list (the Solana route reads the key list)
run "$SPOD" --json token create --scope 'ops=sign,list;keys=*'
TOKEN=$(json_get 'd["token"]' <<<"$OUT")

log "node --test clients/js/test on $URL"
rc=0
(cd "$JS" && SPOD_URL=$URL SPOD_TOKEN=$TOKEN SPOD_ETH_KEY=$ETH_KEY SPOD_ETH_ADDRESS=$ETH_ADDRESS \
	SPOD_DENY_KEY=$DENY_KEY SPOD_DENY_RULE=$DENY_RULE SPOD_SOL_KEY=$SOL_KEY \
	SPOD_SOL_ADDRESS=$SOL_ADDRESS timeout -k 10 300 node --test test/*.test.js) \
	>"$T_DIR/node-test.out" 2>&1 || rc=$?
cat "$T_DIR/node-test.out" >&2
((rc == 0)) || fail "node --test failed (exit $rc)"
# every test of every file passed (none skipped): the TAP summary counts them
grep -Eq '^# fail 0$' "$T_DIR/node-test.out" || fail "node --test: failures"
WANT=$(cat "$JS"/test/*.test.js | grep -c '^test(')
grep -Eq "^# pass $WANT\$" "$T_DIR/node-test.out" || fail "node --test: not all $WANT tests passed"
pod_alive || fail "the pod died"
log "ok"
