#!/usr/bin/env bash
# What a new user ran into, end to end through the CLI and the HTTP API: each case below is
# one defect that was reported, checked against the real binaries. Cases run one after the
# other on one pod; a failing case is reported and the others still run.
# NEWUSER_CASES="name ..." runs only those cases (e.g. against an older build, to see which
# defects it still has).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

start_pod
URL=$(http_url)
[[ $URL == http://127.0.0.1:* ]] || fail "no HTTP URL in the host log"
ADMIN=$(<"$T_DIR/admin.token")
export ADMIN

# status METHOD PATH [BODY]: prints "STATUS BODY" of one request made with $ADMIN.
http_status() { "$PY" "$SPOD_SRC/tests/integration/http_api.py" status "$URL" "$SPOD_SRC" "$@"; }

# A second key with a label a live key has is LABEL_TAKEN: exit 5 on the CLI, 409 over HTTP.
case_label_taken() {
	run "$SPOD" keys generate --alg ed25519 --label taken-1
	expect_exit 5 "$SPOD" keys generate --alg secp256k1 --label taken-1
	[[ $ERR == *"label already used by a live key"*"[LABEL_TAKEN]"* ]] ||
		fail "duplicate label on the CLI: $ERR"
	run http_status POST /v1/keys '{"alg":"ed25519","label":"taken-1"}'
	[[ $OUT == "409 "*'"LABEL_TAKEN"'* ]] || fail "duplicate label over HTTP: $OUT"
}

# 429 says when to come back: Retry-After in seconds, after which the token may ask again.
case_retry_after() {
	local slow kid
	run "$SPOD" --json keys generate --alg ed25519
	kid=$(json_get 'd["id"]' <<<"$OUT")
	slow=$("$SPOD" --json token create --scope 'ops=sign;keys=*;rate=1' | json_get 'd["token"]')
	"$PY" - "$URL" "$slow" "$kid" <<'PY' || fail "Retry-After on 429"
import http.client, json, sys, time, urllib.parse
url, tok, kid = sys.argv[1:]
u = urllib.parse.urlsplit(url)
def sign():
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    c.request("POST", f"/v1/keys/{kid}/sign", json.dumps({"message": "aa"}),
              {"Authorization": f"Bearer {tok}", "Content-Type": "application/json"})
    r = c.getresponse()
    r.read()
    return r.status, r.getheader("Retry-After")
answers = [sign() for _ in range(4)]
limited = [a for a in answers if a[0] == 429]
assert limited, f"no 429 from a token allowed 1 request per second: {answers}"
assert all(a[1] is None for a in answers if a[0] != 429), answers
after = limited[0][1]
assert after is not None and after.isdigit() and int(after) == 1, f"Retry-After: {after!r}"
deadline = time.monotonic() + int(after) + 2
while sign()[0] != 200:
    assert time.monotonic() < deadline, "still refused well after Retry-After"
    time.sleep(0.05)
PY
}

# Labels show wherever keys do: keys generate --json, keys list (text and JSON), HTTP
# GET /v1/keys and /v1/keys/{id}, and the host's own list for a token limited to some keys.
case_labels() {
	local lab nolab some
	run "$SPOD" --json keys generate --alg secp256k1 --label lab-1
	[[ $(json_get 'd["label"]' <<<"$OUT") == lab-1 ]] || fail "generate --json: $OUT"
	lab=$(json_get 'd["id"]' <<<"$OUT")
	run "$SPOD" --json keys generate --alg ed25519
	[[ $(json_get 'd["label"]' <<<"$OUT") == null ]] || fail "generate --json, no label: $OUT"
	nolab=$(json_get 'd["id"]' <<<"$OUT")
	run "$SPOD" keys list
	grep -qE "^$lab  secp256k1  [0-9a-f]{130}  lab-1\$" <<<"$OUT" || fail "keys list text: $OUT"
	grep -qE "^$nolab  ed25519    [0-9a-f]{64}\$" <<<"$OUT" || fail "keys list text: $OUT"
	run "$SPOD" --json keys list
	[[ $(json_get "[{k['id']: k['label'] for k in d}[i] for i in ('$lab', '$nolab')]" \
		<<<"$OUT") == '["lab-1", null]' ]] || fail "keys list --json: $OUT"
	run http_status GET "/v1/keys/$lab"
	[[ $OUT == "200 "*'"label":"lab-1"'* ]] || fail "GET /v1/keys/{id}: $OUT"
	run http_status GET "/v1/keys/$nolab"
	[[ $OUT == "200 "*'"label":null'* ]] || fail "GET /v1/keys/{id} without a label: $OUT"
	run http_status GET "/v1/keys?limit=1024"
	json_get "[k['label'] for k in d['keys'] if k['id'] == '$lab']" <<<"${OUT#200 }" |
		grep -qx '\["lab-1"\]' || fail "GET /v1/keys: $OUT"
	# spod-host answers key.list itself for a token limited to some keys
	some=$("$SPOD" --json token create --scope "ops=list;keys=label:lab-1,id:$nolab" |
		json_get 'd["token"]')
	SPOD_TOKEN=$some run "$SPOD" --json keys list
	[[ $(json_get "sorted([str(k['label']) for k in d])" <<<"$OUT") == '["None", "lab-1"]' ]] ||
		fail "scoped keys list: $OUT"
}

# The CLI never creates a database: a mistyped --db, $SPOD_DB or data directory is a usage
# error (exit 2) that says what is missing, and leaves nothing behind.
case_db_missing() {
	expect_exit 2 "$SPOD" --db "$T_DIR/typo.db" token create --scope 'ops=sign;keys=*'
	[[ $ERR == *"no database at $T_DIR/typo.db (from --db)"* ]] || fail "typo --db: $ERR"
	[[ ! -e $T_DIR/typo.db ]] || fail "spod --db created a database"
	expect_exit 2 "$SPOD" --db "$T_DIR/nodir/spod.db" token list
	[[ $ERR == *"the directory $T_DIR/nodir does not exist"* ]] || fail "missing directory: $ERR"
	[[ ! -e $T_DIR/nodir ]] || fail "spod --db created a directory"
	expect_exit 2 env SPOD_DB="$T_DIR/typo2.db" "$SPOD" audit tail
	[[ $ERR == *"(from \$SPOD_DB)"* && ! -e $T_DIR/typo2.db ]] || fail "SPOD_DB: $ERR"
	expect_exit 2 env SPOD_DATA_DIR="$T_DIR/absent" "$SPOD" audit verify
	[[ $ERR == *"\$SPOD_DATA_DIR"*"does not exist"* && ! -e $T_DIR/absent ]] ||
		fail "SPOD_DATA_DIR: $ERR"
	: >"$T_DIR/empty.db"
	expect_exit 2 "$SPOD" --db "$T_DIR/empty.db" token list
	[[ ! -s $T_DIR/empty.db ]] || fail "spod wrote a schema into an empty file"
	# the pod's own database still works
	run "$SPOD" --db "$T_DIR/spod.db" token list
}

# token list tells expired tokens from active ones (text and JSON).
case_token_expired() {
	local short long
	short=$("$SPOD" --json token create --scope 'ops=list;keys=*' --expires 1s | json_get 'd["id"]')
	long=$("$SPOD" --json token create --scope 'ops=list;keys=*' --expires 1h | json_get 'd["id"]')
	token_shows() { "$SPOD" token list | grep -qE "^$1 .* $2 +ops="; }
	wait_until 10 token_shows "$short" expired || fail "expired token: $("$SPOD" token list)"
	token_shows "$long" active || fail "active token: $("$SPOD" token list)"
	run "$SPOD" --json token list
	[[ $(json_get "[{t['id']: t['state'] for t in d}[i] for i in ('$short', '$long')]" \
		<<<"$OUT") == '["expired", "active"]' ]] || fail "token list --json: $OUT"
}

# verify checks the v of a 65-byte secp256k1 r||s||v: its recovery id must recover the given
# public key. v may be 0/1, 27/28 or, with --chain-id, EIP-155's chain_id * 2 + 35/36.
case_verify_v() {
	local id pub sig recid other msg=68656c6c6f
	run "$SPOD" --json keys generate --alg secp256k1
	id=$(json_get 'd["id"]' <<<"$OUT")
	pub=$("$SPOD" keys public "$id")
	run "$SPOD" --json sign "$id" --message "$msg" --hash keccak256
	sig=$(json_get 'd["signature"]' <<<"$OUT")
	recid=$(json_get 'd["recid"]' <<<"$OUT")
	other=$((1 - recid))
	vfy() { "$SPOD" verify --alg secp256k1 --public "$pub" --message "$msg" --hash keccak256 "$@"; }
	# the other recovery id, and v values that encode none, are invalid (exit 6)
	for v in $((other)) $((27 + other)) 2 26 29 34; do
		expect_exit 6 vfy --signature "$sig$(printf %02x "$v")"
		[[ $OUT == INVALID:* ]] || fail "v=$v: $OUT"
	done
	for v in $((recid)) $((27 + recid)); do
		expect_exit 0 vfy --signature "$sig$(printf %02x "$v")"
		[[ $OUT == valid ]] || fail "v=$v: $OUT"
	done
	expect_exit 0 vfy --signature "$sig$(printf %02x $((37 + recid)))" --chain-id 1
	expect_exit 0 vfy --signature "$sig$(printf %02x $((2 * 56 + 35 + recid)))" --chain-id 56
	expect_exit 6 vfy --signature "$sig$(printf %02x $((37 + other)))" --chain-id 1
	[[ $OUT == *"does not recover this public key"* ]] || fail "EIP-155 wrong parity: $OUT"
	expect_exit 6 vfy --signature "$sig$(printf %02x $((37 + recid)))" --chain-id 5
	expect_exit 6 vfy --signature "${sig}ff" --chain-id 1
	expect_exit 6 "$SPOD" --json verify --alg secp256k1 --public "$pub" --message "$msg" \
		--hash keccak256 --signature "$sig$(printf %02x $((27 + other)))"
	[[ $(json_get 'd["valid"]' <<<"$OUT") == false ]] || fail "verify --json: $OUT"
	# a v of 35 or more means EIP-155: without the chain id it cannot be checked (usage, 2)
	for v in $((37 + recid)) 255; do
		expect_exit 2 vfy --signature "$sig$(printf %02x "$v")"
		[[ $ERR == *"--chain-id"* ]] || fail "EIP-155 v without --chain-id: $ERR"
	done
	expect_exit 2 vfy --signature "$sig" --chain-id 1
}

# verify explains a sign mode the algorithm does not take (usage, exit 2), not INVALID (5).
case_verify_hints() {
	local k1 ed sig msg=68656c6c6f
	run "$SPOD" --json keys generate --alg secp256k1
	k1=$(json_get 'd["public"]' <<<"$OUT")
	expect_exit 2 "$SPOD" verify --alg secp256k1 --public "$k1" --message "$msg" \
		--signature "$(printf '11%.0s' {1..64})"
	[[ $ERR == *"--digest"*"--hash keccak256"* ]] || fail "ECDSA without a hash: $ERR"
	run "$SPOD" --json keys generate --alg ed25519
	ed=$(json_get 'd["id"]' <<<"$OUT")
	sig=$("$SPOD" sign "$ed" --message "$msg")
	expect_exit 2 "$SPOD" verify --alg ed25519 --public "$("$SPOD" keys public "$ed")" \
		--message "$msg" --hash sha256 --signature "$sig"
	[[ $ERR == *"Ed25519 signs the message itself"* ]] || fail "Ed25519 with --hash: $ERR"
}

# measure reads a local file: a missing or unreadable one is a usage error (2), not "pod
# unavailable" (3), in text and JSON.
case_measure_missing() {
	expect_exit 2 "$SPOD" measure "$T_DIR/missing.eif"
	[[ $ERR == *"missing.eif: No such file or directory"* ]] || fail "missing EIF: $ERR"
	expect_exit 2 "$SPOD" --json measure "$T_DIR/missing.eif"
	[[ $(json_get 'd["error"]["action"]' <<<"$ERR") == measure ]] || fail "--json: $ERR"
	expect_exit 2 "$SPOD" measure "$T_DIR"
}

# CLI JSON uses the HTTP API's field names (public_key; r and s in signatures), with the old
# CLI name "public" still there as an alias.
case_json_vocab() {
	local alg id http
	for alg in ed25519 secp256k1 p256; do
		run "$SPOD" --json keys generate --alg "$alg" --label "vocab-$alg"
		id=$(json_get 'd["id"]' <<<"$OUT")
		http=$(http_status GET "/v1/keys/$id")
		"$PY" - "$OUT" "${http#200 }" <<'PY' || fail "keys generate --json vs HTTP: $OUT / $http"
import json, sys
cli, http = json.loads(sys.argv[1]), json.loads(sys.argv[2])
assert all(cli[k] == v for k, v in http.items()), (cli, http)
assert cli["public"] == cli["public_key"], cli
PY
		run "$SPOD" --json keys list
		json_get "[k for k in d if k['id'] == '$id'][0]" <<<"$OUT" |
			json_get 'd["public_key"] == d["public"] and d["label"]' | grep -qx "vocab-$alg" ||
			fail "keys list --json: $OUT"
		run "$SPOD" --json keys public "$id" --format pem
		json_get '[d["public_key"], d["public"].startswith("-----BEGIN PUBLIC KEY")]' <<<"$OUT" |
			grep -q "\"$(json_get 'd["public_key"]' <<<"${http#200 }")\", true" ||
			fail "keys public --json: $OUT"
		[[ $alg == ed25519 ]] && continue
		run "$SPOD" --json sign "$id" --digest "$(printf '22%.0s' {1..32})"
		json_get 'd["r"] + d["s"] == d["signature"] and len(d["r"]) == 64' <<<"$OUT" |
			grep -qx true || fail "sign --json has no r, s: $OUT"
	done
}

# spod --version; every command has its own help page (spod CMD --help = spod help CMD),
# and the pages state the limits the errors cite.
case_help() {
	local overview cmd
	run "$SPOD" --version
	[[ $OUT =~ ^spod\ [0-9]+\.[0-9]+\.[0-9]+\ \(wire\ protocol\ v1\)$ ]] || fail "--version: $OUT"
	run "$SPOD" --help
	overview=$OUT
	for cmd in info keys sign verify attest measure token audit policy; do
		run "$SPOD" "$cmd" --help
		[[ $OUT == "usage: spod "*"$cmd"* && $OUT != "$overview" ]] || fail "$cmd --help: $OUT"
		[[ $(env -u SPOD_URI "$SPOD" help "$cmd") == "$OUT" ]] || fail "help $cmd differs"
		[[ $overview == *"  $cmd "* ]] || fail "the overview does not list $cmd"
	done
	run "$SPOD" sign --help
	[[ $OUT == *"65536 bytes"* ]] || fail "sign --help does not state the message limit"
	run "$SPOD" keys generate --help
	[[ $OUT == *"1..128"*"A-Z a-z 0-9 . _ -"* ]] || fail "keys --help: label rules"
	run "$SPOD" verify --help
	[[ $OUT == *"--chain-id"*"65536"* ]] || fail "verify --help: $OUT"
	expect_exit 2 "$SPOD" help frobnicate
	expect_exit 2 "$SPOD" sign
	[[ $ERR == *"(see spod sign --help)"* ]] || fail "a usage error points at the page: $ERR"
}

# audit tail shows 8 hex digits of a token id; token revoke takes such a prefix (a unique
# one, at least 8 digits), and audit tail --json shows the whole id.
case_revoke_prefix() {
	local tok id short
	tok=$("$SPOD" --json token create --scope 'ops=list;keys=*')
	id=$(json_get 'd["id"]' <<<"$tok")
	run "$SPOD" audit tail --limit 1
	short=$(grep -oE 'token [0-9a-f]{8}' <<<"$OUT" | cut -d' ' -f2)
	[[ $short == "${id:0:8}" ]] || fail "audit tail shows token $short, id $id"
	run "$SPOD" --json audit tail --limit 1
	[[ $(json_get 'd[0]["token_id"]' <<<"$OUT") == "$id" ]] || fail "audit tail --json: $OUT"
	run "$SPOD" token revoke "${short^^}"
	[[ $OUT == "revoked $id" ]] || fail "revoke by prefix: $OUT"
	expect_exit 7 env SPOD_TOKEN="$(json_get 'd["token"]' <<<"$tok")" "$SPOD" info
	expect_exit 2 "$SPOD" token revoke "${id:0:7}"
	[[ $ERR == *"at least 8"* ]] || fail "short prefix: $ERR"
	expect_exit 4 "$SPOD" token revoke "$(flip_hex "${id:0:8}" 0)ffff"
	# two ids with the same first 8 digits: the prefix is ambiguous, the whole ids are not
	"$PY" - "$T_DIR/spod.db" <<'PY' || fail "could not add token records"
import os, sqlite3
con = sqlite3.connect(os.sys.argv[1])
for tail in ("aa", "bb"):
    con.execute("INSERT INTO tokens (id, hash, scopes, created_ms) VALUES (?, ?, ?, 1)",
                (bytes.fromhex("0badcafe" + "00" * 11 + tail), os.urandom(32), "ops=list;keys=*"))
con.commit()
PY
	expect_exit 2 "$SPOD" token revoke 0badcafe
	[[ $ERR == *"2 token ids start with 0badcafe"* ]] || fail "ambiguous prefix: $ERR"
	run "$SPOD" token revoke 0badcafe0000000000000000000000aa
	run "$SPOD" token revoke 0badcafe0000000000000000000000b
}

# A second pod on the HTTP port of the first: spod-host says the address is in use and
# which setting to change, instead of "input/output error".
case_http_in_use() {
	local port dir=$T_DIR/second rc=0
	port=${URL##*:}
	mkdir -m 700 "$dir"
	timeout -k 5 60 "$SPOD_HOST" --data-dir "$dir" --listen "unix://$dir/spod.sock" \
		--enclave "$ENCLAVE_URI" --http "127.0.0.1:$port" >"$dir/host.log" 2>&1 || rc=$?
	((rc == 1)) || fail "second spod-host on port $port: exit $rc: $(<"$dir/host.log")"
	grep -q "127.0.0.1 port $port is already in use" "$dir/host.log" ||
		fail "no 'in use': $(<"$dir/host.log")"
	grep -q -- "--http ADDR:PORT or SPOD_HOST_HTTP=ADDR:PORT" "$dir/host.log" ||
		fail "the setting is not named: $(<"$dir/host.log")"
	! grep -q "input/output error" "$dir/host.log" || fail "still IO: $(<"$dir/host.log")"
	# the first pod is unharmed
	run http_status GET /healthz
}

# docs/cli.md's command table is one table (a blank line used to end it after verify) and
# names every command the CLI has.
case_docs_cli() {
	"$PY" - "$SPOD_SRC/docs/cli.md" <<'PY' || fail "docs/cli.md command table"
import re, sys
lines = open(sys.argv[1]).read().splitlines()
start = lines.index("| command | does |")
rows = []
for line in lines[start + 2:]:
    if not line.startswith("|"):
        break
    rows.append(line)
named = {re.match(r"\| `(\w+)", r).group(1) for r in rows}
want = {"info", "keys", "sign", "verify", "attest", "measure", "token", "audit", "policy"}
assert want <= named, f"the table ends before {sorted(want - named)}"
PY
}

CASES=(label_taken retry_after labels db_missing token_expired verify_v verify_hints
	measure_missing json_vocab help revoke_prefix http_in_use docs_cli)
FAILED=()
for c in "${CASES[@]}"; do
	if [[ -n ${NEWUSER_CASES:-} && " $NEWUSER_CASES " != *" $c "* ]]; then
		continue
	fi
	log "case $c"
	set +e
	(
		set -e
		"case_$c"
	)
	rc=$?
	set -e
	((rc == 0)) || FAILED+=("$c")
done
((${#FAILED[@]} == 0)) || fail "cases failed: ${FAILED[*]}"
