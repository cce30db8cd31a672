#!/usr/bin/env bash
# `make run`: start spod-enclave and spod-host on unix sockets in ./.run with embedded
# defaults, then show the pod working. The pod keeps running; `make stop` ends it.
# HTTP=ADDR:PORT (make run HTTP=127.0.0.1:8791) puts the HTTP API on another address than
# spod-host's default 127.0.0.1:8790, e.g. for a second pod.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
export SPOD_DATA_DIR="$root/.run"
export PATH="$root/$build:$PATH"
spod=spod
bold=""; plain=""
if [ -t 1 ]; then bold=$(tput bold 2>/dev/null || true); plain=$(tput sgr0 2>/dev/null || true); fi

mkdir -p "$SPOD_DATA_DIR"; chmod 700 "$SPOD_DATA_DIR"

running() { [ -f "$SPOD_DATA_DIR/$1.pid" ] && kill -0 "$(cat "$SPOD_DATA_DIR/$1.pid")" 2>/dev/null; }

start() { # name, command...
	local name=$1; shift
	if running "$name"; then
		echo "$name already running (pid $(cat "$SPOD_DATA_DIR/$name.pid"))"
		return
	fi
	nohup "$@" >>"$SPOD_DATA_DIR/$name.log" 2>&1 </dev/null &
	echo $! >"$SPOD_DATA_DIR/$name.pid"
	echo "started $name (pid $!, log .run/$name.log)"
}

start spod-enclave "$root/$build/spod-enclave" --listen "unix://$SPOD_DATA_DIR/enclave.sock"
start spod-host "$root/$build/spod-host" ${HTTP:+--http "$HTTP"}

# Wait (bounded) until the pod answers.
for _ in $(seq 1 200); do
	"$spod" info >/dev/null 2>&1 && break
	sleep 0.05
done
if ! "$spod" info >/dev/null 2>&1; then
	echo "the pod did not become ready; logs:" >&2
	tail -n 20 "$SPOD_DATA_DIR"/*.log >&2
	exit 1
fi

step() { printf '\n%s$ %s%s\n' "$bold" "$*" "$plain"; "$@"; }
msg=$(printf 'hello from spod' | od -An -tx1 | tr -d ' \n')

step "$spod" info
ed=$("$spod" keys generate --alg ed25519 | cut -d' ' -f1)
k1=$("$spod" keys generate --alg secp256k1 | cut -d' ' -f1)
step "$spod" keys list
printf '\n%s# Ed25519 signs the message itself%s\n' "$bold" "$plain"
ed_sig=$("$spod" sign "$ed" --message "$msg")
echo "$ spod sign $ed --message $msg"; echo "$ed_sig"
step "$spod" verify --alg ed25519 --public "$("$spod" keys public "$ed")" --message "$msg" --signature "$ed_sig"
printf '\n%s# secp256k1 signs the Keccak-256 of the message, Ethereum style%s\n' "$bold" "$plain"
k1_out=$("$spod" sign "$k1" --message "$msg" --hash keccak256)
echo "$ spod sign $k1 --message $msg --hash keccak256"; echo "$k1_out"
step "$spod" keys public "$k1" --format eth-address
step "$spod" verify --alg secp256k1 --public "$("$spod" keys public "$k1")" --message "$msg" \
	--hash keccak256 --signature "$(echo "$k1_out" | head -n1)"

printf '\n%s# the enclave attests that it holds this key (simulated NSM off Nitro)%s\n' "$bold" "$plain"
"$spod" attest --key "$k1" --nonce 0102030405060708 --out "$SPOD_DATA_DIR/demo-attestation.cbor" 2>/dev/null
step "$spod" attest verify .run/demo-attestation.cbor --root dev --nonce 0102030405060708 \
	--key "$k1" --public "$("$spod" keys public "$k1")"

# The HTTP/JSON API (docs/openapi.yaml), with a token that may only sign with k1.
url=$(grep -oE 'HTTP API on https?://[^ ]+' "$SPOD_DATA_DIR/spod-host.log" | tail -n1 | sed -e 's/^HTTP API on //' -e 's|/$||')
app_token=$("$spod" --json token create --scope "ops=sign;keys=id:$k1" --expires 1h |
	python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
printf '\n%s# an application token that may only sign with that key, for one hour%s\n' "$bold" "$plain"
echo "$ spod token create --scope 'ops=sign;keys=id:$k1' --expires 1h"
printf '\n%s# the same signature over HTTP (%s)%s\n' "$bold" "$url" "$plain"
echo "$ POST $url/v1/keys/$k1/sign {\"message\":\"$msg\",\"hash\":\"keccak256\"}"
python3 - "$url" "$k1" "$msg" "$app_token" <<'PY'
import http.client, json, sys, urllib.parse
url, key, msg, tok = sys.argv[1:]
u = urllib.parse.urlsplit(url)
c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
c.request("POST", f"/v1/keys/{key}/sign", json.dumps({"message": msg, "hash": "keccak256"}),
          {"Authorization": f"Bearer {tok}", "Content-Type": "application/json"})
r = c.getresponse()
print(r.status, r.read().decode())
PY
step "$spod" audit tail --limit 4

cat <<MSG

${bold}The pod is running${plain} (keys live only in the enclave's memory: this is ephemeral mode).
  call it:   export SPOD_DATA_DIR=$SPOD_DATA_DIR PATH=$root/$build:\$PATH
             spod info; spod keys generate --alg p256; spod --help
  HTTP API:  $url  (docs/openapi.yaml; Authorization: Bearer <token>)
  tokens:    the admin token is .run/admin.token (mode 0600); spod token create --scope ...
  audit:     spod audit tail; spod audit verify
  logs:      .run/spod-enclave.log, .run/spod-host.log
  stop it:   make stop
MSG
