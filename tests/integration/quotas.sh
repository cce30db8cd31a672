#!/usr/bin/env bash
# Token quotas end to end (docs/auth.md): keys-max (sequential and pipelined generates, a
# deleted key frees its place, the admin token unaffected, imports counted too), labels=
# (generate inside and outside the patterns, an unlabelled key, an import whose label only the
# enclave's answer shows: refused and dropped by the enclave), audit-rate (a burst of signs
# without rate=, echo not counted, a batch larger than the bucket), attest bound to a key
# outside the token's keys, and the same refusals over HTTP (403, 429 with the message).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

K=$T_DIR/keyfiles
mkdir -m 700 "$K"
start_pod
URL=$(http_url)
PCR0=$(pod_pcr0)

declare -A TOK ID
mk() { # NAME SCOPES
	run "$SPOD" --json token create --scope "$2"
	TOK[$1]=$(json_get 'd["token"]' <<<"$OUT")
	ID[$1]=$(json_get 'd["id"]' <<<"$OUT")
}
as() { # NAME CMD...: runs CMD with that token
	local name=$1
	shift
	SPOD_TOKEN=${TOK[$name]} "$@"
}
quota() { "$PY" "$SPOD_SRC/tests/integration/quota_conn.py" "$T_DIR/spod.sock" "$SPOD_SRC" "$@"; }
key_count() { "$SPOD" --json info | json_get 'd["keys"]'; }
count_is() { [[ $(key_count) == "$1" ]]; }
db() { "$PY" -c 'import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' "$T_DIR/spod.db" "$1"; }
created_by() { db "SELECT count(*) FROM keys WHERE hex(created_by) = upper('$1') AND deleted_ms IS NULL AND lost_ms IS NULL"; }
# http NAME METHOD PATH [JSON [N]]: sends the request N times (default 1) with that token;
# prints a line per answer: the status code, the body and the Retry-After header if any
http() {
	"$PY" - "$URL" "${TOK[$1]}" "$2" "$3" "${4:-}" "${5:-1}" <<'PY'
import sys, urllib.request, urllib.error
url, tok, method, path, body, n = sys.argv[1:7]
for _ in range(int(n)):
    req = urllib.request.Request(url + path, method=method, data=body.encode() if body else None,
                                 headers={"Authorization": "Bearer " + tok,
                                          "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            print(r.status, r.read().decode())
    except urllib.error.HTTPError as e:
        print(e.code, e.read().decode(), e.headers.get("Retry-After", ""))
PY
}

log "keys-max: three keys, the fourth refused before the enclave, a deleted key frees a place"
mk three 'ops=generate,delete,list;keys=*;keys-max=3'
run "$SPOD" token list
[[ $OUT == *"ops=generate,delete,list;keys=*;keys-max=3"* ]] || fail "token list: $OUT"
for i in 1 2 3; do
	run as three "$SPOD" --json keys generate --alg ed25519
	MINE[i]=$(json_get 'd["id"]' <<<"$OUT")
done
COUNT=$(key_count)
expect_exit 7 as three "$SPOD" keys generate --alg ed25519
[[ $ERR == *"keys-max 3 reached: this token has 3 live keys"*FORBIDDEN* ]] || fail "the 4th key: $ERR"
[[ $(key_count) == "$COUNT" ]] || fail "the refused generate made a key"
[[ $(created_by "${ID[three]}") == 3 ]] || fail "created_by does not name the token"
run "$SPOD" --json audit tail --limit 5
[[ $(json_get '[r["result"] for r in d if r["kind"] == "key.generate"][-1]' <<<"$OUT") == OK ]] ||
	fail "the refused generate was audited: $OUT"
run "$SPOD" keys generate --alg ed25519 # the admin token has no quota
run as three "$SPOD" keys delete "${MINE[1]}"
run as three "$SPOD" keys generate --alg ed25519 --label three-4
expect_exit 7 as three "$SPOD" keys generate --alg ed25519
[[ $(http three POST /v1/keys '{"alg":"ed25519"}') == "403 "*"keys-max 3 reached"* ]] ||
	fail "keys-max over HTTP: $(http three POST /v1/keys '{"alg":"ed25519"}')"

log "keys-max: 50 generates pipelined over two connections make exactly 3 keys"
mk pipe 'ops=generate;keys=*;keys-max=3'
COUNT=$(key_count)
run quota generate "${TOK[pipe]}" 50 3
[[ $(key_count) == $((COUNT + 3)) ]] || fail "pipelined generates: $(key_count) keys, want $((COUNT + 3))"
[[ $(created_by "${ID[pipe]}") == 3 ]] || fail "pipelined generates recorded for the token: $(created_by "${ID[pipe]}")"
run quota generate "${TOK[pipe]}" 4 0

log "labels=: inside, outside, unlabelled; an import outside is dropped by the enclave"
mk hot 'ops=generate,import,attest;keys=*;labels=hot-*,exact'
run as hot "$SPOD" keys generate --alg ed25519 --label hot-1
run as hot "$SPOD" keys generate --alg ed25519 --label exact
run as hot "$SPOD" keys generate --alg ed25519
expect_exit 7 as hot "$SPOD" keys generate --alg ed25519 --label cold-1
[[ $ERR == *"label 'cold-1' is outside the token's labels="*FORBIDDEN* ]] || fail "cold-1: $ERR"
expect_exit 7 as hot "$SPOD" keys generate --alg ed25519 --label exact2
expect_exit 7 as hot "$SPOD" keys generate --alg ed25519 --label hot
[[ $(http hot POST /v1/keys '{"alg":"ed25519","label":"cold-2"}') == "403 "*"outside the token's labels="* ]] ||
	fail "labels= over HTTP"
echo 4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb >"$K/ed.hex"
echo c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721 >"$K/p256.hex"
COUNT=$(key_count)
ROWS=$(db "SELECT count(*) FROM keys")
expect_exit 7 as hot "$SPOD" keys import --key-file "$K/ed.hex" --alg ed25519 --label cold-3 \
	--expect-pcr0 "$PCR0" --root dev
[[ $ERR == *"outside the token's labels="*FORBIDDEN* ]] || fail "import outside labels=: $ERR"
wait_until 10 count_is "$COUNT" || fail "the enclave keeps the key imported outside labels=: $(key_count) keys"
[[ $(db "SELECT count(*) FROM keys") == "$ROWS" ]] || fail "a record of the refused import"
run "$SPOD" --json audit tail --limit 5
[[ $(json_get '[r["result"] for r in d if r["kind"] == "key.import"][-1]' <<<"$OUT") == FORBIDDEN ]] ||
	fail "the refused import is not audited: $OUT"
run as hot "$SPOD" keys import --key-file "$K/p256.hex" --alg p256 --label hot-2 \
	--expect-pcr0 "$PCR0" --root dev
# keys-max counts imports too
mk imp 'ops=import,attest;keys=*;keys-max=1'
run as imp "$SPOD" keys import --key-file "$K/ed.hex" --alg ed25519 --expect-pcr0 "$PCR0" --root dev
expect_exit 7 as imp "$SPOD" keys import --key-file "$K/ed.hex" --alg ed25519 --expect-pcr0 "$PCR0" --root dev
[[ $ERR == *"keys-max 1 reached"* ]] || fail "keys-max on import: $ERR"

log "audit-rate: a burst of signs without rate= is limited; echo is not audited"
run "$SPOD" --json keys generate --alg secp256k1 --label signer
SIGNER=$(json_get 'd["id"]' <<<"$OUT")
mk arate 'ops=sign;keys=*;audit-rate=5'
run quota audit "${TOK[arate]}" 5 "$SIGNER"
log "$OUT"
mk arate2 'ops=sign;keys=*;audit-rate=1'
run http arate2 POST "/v1/keys/$SIGNER/sign" "{\"digest\":\"$(random_hex 32)\"}" 4
[[ $(head -n1 <<<"$OUT") == "200 "* ]] || fail "a sign over HTTP: $OUT"
grep -qE '^429 .*audit-rate.* 1$' <<<"$OUT" || fail "audit-rate over HTTP (429, Retry-After 1): $OUT"

log "attest: bound to a key outside the token's keys is FORBIDDEN, to its own or unbound OK"
run "$SPOD" --json keys generate --alg ed25519 --label own
OWN=$(json_get 'd["id"]' <<<"$OUT")
mk att "ops=attest;keys=id:$OWN"
mk att_label 'ops=attest;keys=label:own'
expect_exit 7 as att "$SPOD" attest --key "$SIGNER" --out "$T_DIR/doc.cbor"
[[ $ERR == *"outside the token's keys"*FORBIDDEN* ]] || fail "attest bound to another key: $ERR"
expect_exit 7 as att_label "$SPOD" attest --key "$SIGNER" --out "$T_DIR/doc.cbor"
run as att "$SPOD" attest --key "$OWN" --out "$T_DIR/doc.cbor"
run as att_label "$SPOD" attest --key "$OWN" --out "$T_DIR/doc.cbor"
run as att "$SPOD" attest --nonce "$(random_hex 8)" --out "$T_DIR/doc.cbor"
[[ $(http att POST /v1/attest "{\"key_id\":\"$SIGNER\"}") == "403 "*"outside the token's keys"* ]] ||
	fail "attest over HTTP: $(http att POST /v1/attest "{\"key_id\":\"$SIGNER\"}")"
[[ $(http att POST /v1/attest "{\"key_id\":\"$OWN\"}") == "200 "* ]] || fail "attest of its own key over HTTP"
[[ $(http att POST /v1/attest '{}') == "200 "* ]] || fail "unbound attest over HTTP"

run "$SPOD" audit verify
pod_alive || fail "a daemon died"
log "keys-max, labels=, audit-rate and attest key scope: ok"
