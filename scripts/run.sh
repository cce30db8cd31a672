#!/usr/bin/env bash
# `make run`: start spod-enclave and spod-host on unix sockets in ./.run with embedded
# defaults, then show the pod working. The pod keeps running; `make stop` ends it.
# HTTP=ADDR:PORT (make run HTTP=127.0.0.1:8791) puts the HTTP API on another address than
# spod-host's default 127.0.0.1:8790, e.g. for a second pod.
# SPOD_RUN_DIR puts the pod somewhere else than ./.run (the tests do).
# The simulated NSM measures the enclave image of `make image` (BUILD/image/spod-enclave.eif,
# or SPOD_IMAGE) when there is one, so the PCR0 printed at the end is that image's: the one
# image/expected-pcrs.json holds for the locked image, which --expect-pcr0 users pin.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
case $build in /*) bin=$build ;; *) bin=$root/$build ;; esac
export SPOD_DATA_DIR="${SPOD_RUN_DIR:-$root/.run}"
export PATH="$bin:$PATH"
# This pod, whatever the caller's environment names: its socket, its admin token, its database.
unset SPOD_URI SPOD_TOKEN SPOD_TOKEN_FILE SPOD_DB
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
	echo "started $name (pid $!, log $SPOD_DATA_DIR/$name.log)"
}

image=${SPOD_IMAGE:-$bin/image/spod-enclave.eif}
image_args=()
if [ -f "$image" ]; then
	image_args=(--image "$image")
	pcr0_of="the image $image (make image; the simulated NSM measures it)"
else
	pcr0_of="this spod-enclave binary (no $image yet: make image builds it)"
fi
# The release's PCR0: that of the locked image (image/expected-pcrs.json, docs/image.md).
release_pcr0=$(sed -n 's/^ *"PCR0": *"\([0-9a-f]*\)".*/\1/p' "$root/image/expected-pcrs.json" 2>/dev/null || true)
start spod-enclave "$bin/spod-enclave" --listen "unix://$SPOD_DATA_DIR/enclave.sock" "${image_args[@]}"
start spod-host "$bin/spod-host" ${HTTP:+--http "$HTTP"}

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
# jq-less JSON: json EXPR evaluates a Python expression over d, the document on stdin.
json() { python3 -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

# demo_key ALG LABEL: sets key to the id of the key this script signs with for ALG. A live
# key with that label, from an earlier make run, is reused. Otherwise a new one is made (in
# ephemeral mode an enclave restart loses the old one: spod-host marks its record lost and
# frees the label; the old id kept in demo-keys is deleted too, to close its record).
keys_made=$SPOD_DATA_DIR/demo-keys
demo_key() {
	local alg=$1 label=$2 old
	key=$("$spod" --json keys list | json "next((k['id'] for k in d if k.get('label') == '$label'), '')")
	if [ -n "$key" ]; then
		echo "reusing key $label $key (made by an earlier make run)"
		return
	fi
	old=$(sed -n "s/^$label //p" "$keys_made" 2>/dev/null || true)
	[ -z "$old" ] || "$spod" keys delete "$old" >/dev/null 2>&1 || true
	if key=$("$spod" keys generate --alg "$alg" --label "$label" 2>/dev/null | cut -d' ' -f1) &&
		[ -n "$key" ]; then
		echo "made key $label $key"
	else
		key=$("$spod" keys generate --alg "$alg" | cut -d' ' -f1)
		echo "made key $key without a label: a record spod-host keeps holds $label"
	fi
	{ grep -v "^$label " "$keys_made" 2>/dev/null || true; echo "$label $key"; } >"$keys_made.tmp"
	mv "$keys_made.tmp" "$keys_made"
}

step "$spod" info
echo
demo_key ed25519 demo-ed25519
ed=$key
demo_key secp256k1 demo-secp256k1
k1=$key
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
step "$spod" attest verify "$SPOD_DATA_DIR/demo-attestation.cbor" --root dev --nonce 0102030405060708 \
	--key "$k1" --public "$("$spod" keys public "$k1")"

# The HTTP/JSON API (docs/openapi.yaml), with a token that may only sign with the key
# labelled demo-secp256k1, kept in demo-app.token and reused while it is active.
url=$(grep -oE 'HTTP API on https?://[^ ]+' "$SPOD_DATA_DIR/spod-host.log" | tail -n1 | sed -e 's/^HTTP API on //' -e 's|/$||')
app_file=$SPOD_DATA_DIR/demo-app.token
app_scope='ops=sign;keys=label:demo-secp256k1'
printf '\n%s# an application token that may only sign with the key labelled demo-secp256k1%s\n' "$bold" "$plain"
app_token=""
if [ -s "$app_file" ] && [ -s "$app_file.id" ]; then
	app_id=$(cat "$app_file.id")
	state=$("$spod" --json token list | json "next((t['state'] for t in d if t['id'] == '$app_id'), '')")
	if [ "$state" = active ]; then
		app_token=$(cat "$app_file")
		echo "reusing the application token in $app_file (id $app_id, made by an earlier make run)"
	fi
fi
if [ -z "$app_token" ]; then
	echo "$ spod token create --scope '$app_scope' --expires 7d"
	created=$("$spod" --json token create --scope "$app_scope" --expires 7d)
	app_token=$(echo "$created" | json 'd["token"]')
	(umask 077; echo "$app_token" >"$app_file"; echo "$created" | json 'd["id"]' >"$app_file.id")
	echo "new application token, kept in $app_file (id $(cat "$app_file.id"))"
fi
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
# the chain, and the enclave's signed evidence of every signature above (docs/evidence.md;
# spod-host stores evidence with the next audit commit, or alone within 100 ms)
sleep 0.3
step "$spod" audit verify --root dev

# The PCR0 of the running enclave image, which --expect-pcr0 pins (custodian provision, keys
# import, any command): from a fresh document, verified against the development root.
"$spod" attest --nonce 0a0b0c0d --out "$SPOD_DATA_DIR/pcr0.cbor" >/dev/null 2>&1
pcr0=$("$spod" --json attest verify "$SPOD_DATA_DIR/pcr0.cbor" --root dev --nonce 0a0b0c0d |
	json 'd["pcrs"]["0"]')

cat <<MSG

${bold}The pod is running in EPHEMERAL mode: every key dies when the enclave stops.${plain}
  (Keys that last: spod-host --seal custodians and K custodians' shares, docs/keys.md.)
  PCR0:      $pcr0
             of $pcr0_of
             (what --expect-pcr0 pins; with the simulated NSM add --root dev)
  release:   PCR0 ${release_pcr0:-unknown} of the locked image
             (image/expected-pcrs.json: what users of this commit's enclave image pin)
  call it:   export SPOD_DATA_DIR=$SPOD_DATA_DIR PATH=$bin:\$PATH
             spod info; spod keys generate --alg p256; spod --help
  HTTP API:  $url  (docs/openapi.yaml; Authorization: Bearer <token>)
  tokens:    the admin token is $SPOD_DATA_DIR/admin.token (mode 0600); spod token create --scope ...
  audit:     spod audit tail; spod audit verify --root dev (chain, evidence, signed heads)
  logs:      $SPOD_DATA_DIR/spod-enclave.log, $SPOD_DATA_DIR/spod-host.log
  stop it:   make stop
MSG
