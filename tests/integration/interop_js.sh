#!/usr/bin/env bash
# Interoperability with the wallets' JavaScript libraries (issue 13): transactions signed by
# `spod sign-tx` through a real pod are read by ethers v6 and @solana/web3.js, the versions
# pinned in tests/interop/js/package-lock.json, on the `node` in PATH (Debian 12's Node 18,
# which scripts/install-deps.sh installs with its npm).
# - Ethereum: a secp256k1 key of the pod signs every unsigned transaction of
#   tests/data/ethereum/ethers.txt (legacy with and without EIP-155, EIP-2930, EIP-1559,
#   EIP-4844, EIP-7702); tests/interop/js/check_eth.js parses each with ethers'
#   Transaction.from and requires the signer recovered to be the key (its public key and
#   spod's EIP-55 address, also computed by ethers) and the unsigned fields to be the input's.
# - Solana: tests/interop/js/check_sol.js builds legacy, v0, SPL, lookup-table and two-signer
#   transactions with web3.js for an Ed25519 key of the pod; spod signs them, and the script
#   verifies every signature (web3.js's verifySignatures, Node's Ed25519) and that the
#   message bytes and the other signer's slot are unchanged.
# Both checkers must also reject a signature with one flipped bit.
#
# `npm ci` installs the locked packages into $SPOD_BIN/interop-js (never the source tree),
# with its cache there, bounded by INTEROP_NPM_TIMEOUT seconds (default 300); a later run with
# the same lock file, node and npm reuses them. An npm that cannot reach the registry fails
# the test, naming the registry.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

JS_SRC=$SPOD_SRC/tests/interop/js
JS=$SPOD_BIN/interop-js
NPM_TIMEOUT=${INTEROP_NPM_TIMEOUT:-300}
ETH=$SPOD_SRC/tests/data/ethereum/ethers.txt

# shellcheck source-path=SCRIPTDIR source=lib_js.sh
source "$(dirname "$0")/lib_js.sh"
js_node_check "the pinned libraries"

# flip_b64 BASE64 BYTE_INDEX: the decoded bytes with the low bit of one byte flipped.
flip_b64() {
	"$PY" -c 'import base64, sys
b = bytearray(base64.b64decode(sys.argv[1])); b[int(sys.argv[2])] ^= 1
print(base64.b64encode(bytes(b)).decode())' "$1" "$2"
}

js_install
cp "$JS_SRC/check_eth.js" "$JS_SRC/check_sol.js" "$JS/"
# what npm installed, as the libraries themselves report it
run node -p 'require(process.argv[1] + "/node_modules/ethers").version' "$JS"
ETHERS_VERSION=$OUT
WEB3_VERSION=$(json_get 'd["version"]' <"$JS/node_modules/@solana/web3.js/package.json")
log "ethers $ETHERS_VERSION, @solana/web3.js $WEB3_VERSION"

start_pod

log "Ethereum: every transaction of ethers.txt signed by a new secp256k1 key, read by ethers"
run "$SPOD" --json keys generate --alg secp256k1
EID=$(json_get 'd["id"]' <<<"$OUT")
EPUB=$(json_get 'd["public_key"]' <<<"$OUT")
run "$SPOD" keys public "$EID" --format eth-address
EADDR=$OUT
[[ $EADDR =~ ^0x[0-9a-fA-F]{40}$ ]] || fail "eth-address: $EADDR"
# kinds 1-5 are transactions (6 and 7, authorizations and EIP-191 messages, are not)
awk '$1 == "name" { n = $2 } $1 == "kind" { k = $2 } $1 == "unsigned" && k <= 5 { print n, k, $2 }' \
	"$ETH" >"$T_DIR/eth.unsigned"
[[ $(cut -d' ' -f2 "$T_DIR/eth.unsigned" | sort -u | tr '\n' ' ') == "1 2 3 4 5 " ]] ||
	fail "ethers.txt lacks a transaction type: $(cut -d' ' -f1,2 "$T_DIR/eth.unsigned" | tr '\n' ' ')"
: >"$T_DIR/eth.signed"
while read -r name kind unsigned; do
	run "$SPOD" sign-tx "$EID" --chain ethereum --tx "$unsigned"
	echo "$name $kind $unsigned $OUT" >>"$T_DIR/eth.signed"
done <"$T_DIR/eth.unsigned"
run node "$JS/check_eth.js" --address "$EADDR" --public "$EPUB" "$T_DIR/eth.signed"
printf '%s\n' "$OUT" >&2
(($(grep -c '^ok ' <<<"$OUT") == $(wc -l <"$T_DIR/eth.unsigned"))) || fail "check_eth: $OUT"
# the checker itself: a flipped bit of S (the last byte) or another key is rejected
read -r name kind unsigned signed < <(awk '$2 == 2' "$T_DIR/eth.signed" | head -n1)
signed=${signed#0x}
echo "$name $kind $unsigned $(flip_hex "$signed" $((${#signed} / 2 - 1)))" >"$T_DIR/eth.bad"
expect_exit 1 node "$JS/check_eth.js" --address "$EADDR" --public "$EPUB" "$T_DIR/eth.bad"
log "a flipped bit: $ERR"
run "$SPOD" --json keys generate --alg secp256k1
OPUB=$(json_get 'd["public_key"]' <<<"$OUT")
run "$SPOD" keys public "$(json_get 'd["id"]' <<<"$OUT")" --format eth-address
expect_exit 1 node "$JS/check_eth.js" --address "$OUT" --public "$OPUB" "$T_DIR/eth.signed"
[[ $ERR == *"recovered public key"* ]] || fail "check_eth with another key: $ERR"

log "Solana: transactions built by web3.js for a new Ed25519 key, signed by spod, verified"
run "$SPOD" --json keys generate --alg ed25519
SID=$(json_get 'd["id"]' <<<"$OUT")
SPUB=$(json_get 'd["public_key"]' <<<"$OUT")
run node "$JS/check_sol.js" build "$SPUB"
printf '%s\n' "$OUT" >"$T_DIR/sol.unsigned"
(($(wc -l <"$T_DIR/sol.unsigned") >= 6)) || fail "check_sol build: $OUT"
: >"$T_DIR/sol.signed"
while read -r name tx; do
	run "$SPOD" sign-tx "$SID" --chain solana --tx "$tx"
	echo "$name $tx $OUT" >>"$T_DIR/sol.signed"
done <"$T_DIR/sol.unsigned"
run node "$JS/check_sol.js" verify "$SPUB" "$T_DIR/sol.signed"
printf '%s\n' "$OUT" >&2
(($(grep -c '^ok ' <<<"$OUT") == $(wc -l <"$T_DIR/sol.unsigned"))) || fail "check_sol: $OUT"
# the checker itself: a flipped bit in the key's signature (slot 0 of the first transaction)
read -r name unsigned signed <"$T_DIR/sol.signed"
echo "$name $unsigned $(flip_b64 "$signed" 1)" >"$T_DIR/sol.bad"
expect_exit 1 node "$JS/check_sol.js" verify "$SPUB" "$T_DIR/sol.bad"
[[ $ERR == *"does not verify"* ]] || fail "check_sol with a flipped bit: $ERR"
pod_alive || fail "the pod died"
log "ok"
