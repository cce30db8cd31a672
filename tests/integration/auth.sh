#!/usr/bin/env bash
# API tokens end to end (docs/auth.md): the bootstrap admin token, `spod token create / list /
# revoke`, every op allowed and denied by scopes (by id and by label, a label following its
# key), expiry, revocation of new and open connections, rate limits, bad tokens, the hello
# rules of the binary path, and the audit records of token changes.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

start_pod

[[ -f $T_DIR/admin.token ]] || fail "no bootstrap admin token in the data directory"
[[ $(stat -c %a "$T_DIR/admin.token") == 600 ]] || fail "admin.token is not mode 0600"
grep -qE '^spod_[A-Za-z0-9_-]{43}$' "$T_DIR/admin.token" || fail "admin.token is not a token"
ADMIN=$(<"$T_DIR/admin.token")
! grep -q "$ADMIN" "$T_DIR"/*.log || fail "the admin token appears in a log"

conn() { "$PY" "$SPOD_SRC/tests/integration/auth_conn.py" "$T_DIR/spod.sock" "$SPOD_SRC" "$@"; }

# Keys: K1 is labelled "hot", K2 has no label.
run "$SPOD" --json keys generate --alg ed25519 --label hot
K1=$(json_get 'd["id"]' <<<"$OUT")
run "$SPOD" --json keys generate --alg secp256k1
K2=$(json_get 'd["id"]' <<<"$OUT")
expect_exit 5 "$SPOD" keys generate --alg ed25519 --label hot
[[ $ERR == *"label already used"*LABEL_TAKEN* ]] || fail "duplicate label: $ERR"
expect_exit 2 "$SPOD" keys generate --alg ed25519 --label 'no spaces'
D32=$(random_hex 32)

declare -A TOK ID
mk() { # NAME SCOPES [EXPIRES]
	run "$SPOD" --json token create --scope "$2" ${3:+--expires "$3"}
	TOK[$1]=$(json_get 'd["token"]' <<<"$OUT")
	ID[$1]=$(json_get 'd["id"]' <<<"$OUT")
}
as() { # NAME CMD...: runs CMD with that token
	local name=$1
	shift
	SPOD_TOKEN=${TOK[$name]} "$@"
}
mk sign_hot 'ops=sign;keys=label:hot'
mk sign_k2 "ops=sign;keys=id:$K2"
mk list 'ops=list;keys=*'
mk list_k1 "ops=list;keys=id:$K1"
mk gen 'ops=generate;keys=*'
mk del_k2 "ops=delete;keys=id:$K2"
mk attest 'ops=attest;keys=*'
mk all 'ops=sign,generate,delete,list,attest;keys=*'

# sign: by label and by id, allowed and denied
expect_exit 0 as sign_hot "$SPOD" sign "$K1" --message 61
expect_exit 7 as sign_hot "$SPOD" sign "$K2" --digest "$D32"
[[ $ERR == *FORBIDDEN* ]] || fail "out-of-scope sign: $ERR"
expect_exit 0 as sign_k2 "$SPOD" sign "$K2" --digest "$D32"
expect_exit 7 as sign_k2 "$SPOD" sign "$K1" --message 61
expect_exit 7 as list "$SPOD" sign "$K1" --message 61
# list: key.list needs keys=*, key.public is per key, info needs list
expect_exit 0 as list "$SPOD" keys list
expect_exit 0 as list "$SPOD" info
run as list_k1 "$SPOD" --json keys list
[[ $(json_get '[k["id"] for k in d]' <<<"$OUT") == "[\"$K1\"]" ]] ||
	fail "a token for K1 should list exactly K1: $OUT"
expect_exit 0 as list_k1 "$SPOD" keys public "$K1"
expect_exit 7 as list_k1 "$SPOD" keys public "$K2"
expect_exit 7 as sign_hot "$SPOD" keys list
expect_exit 7 as sign_hot "$SPOD" info
# generate
expect_exit 0 as gen "$SPOD" keys generate --alg p256
expect_exit 7 as list "$SPOD" keys generate --alg p256
# delete: only K2, only with delete
expect_exit 7 as del_k2 "$SPOD" keys delete "$K1"
expect_exit 7 as sign_k2 "$SPOD" keys delete "$K2"
expect_exit 0 as del_k2 "$SPOD" keys delete "$K2"
# attest
expect_exit 0 as attest "$SPOD" attest --out "$T_DIR/doc.cbor"
expect_exit 7 as list "$SPOD" attest --out "$T_DIR/doc.cbor"
expect_exit 0 as all "$SPOD" attest --out "$T_DIR/doc.cbor"

# A label: entry follows the label, not the key, also on a connection open meanwhile (the
# host's key index follows the deletion and the new key).
conn label-follows "${TOK[sign_hot]}" "$K1" "$T_DIR/relabel.now" "$T_DIR/relabel.id" &
CONN_PID=$!
wait_until 10 test -e "$T_DIR/relabel.now" || fail "label helper did not start"
run "$SPOD" keys delete "$K1"
run "$SPOD" --json keys generate --alg ed25519 --label hot
K3=$(json_get 'd["id"]' <<<"$OUT")
echo "$K3" >"$T_DIR/relabel.id.tmp" && mv "$T_DIR/relabel.id.tmp" "$T_DIR/relabel.id"
wait "$CONN_PID" || fail "a label-scoped token on an open connection did not follow the label"
expect_exit 7 as sign_hot "$SPOD" sign "$K1" --message 62
expect_exit 0 as sign_hot "$SPOD" sign "$K3" --message 62
expect_exit 4 as all "$SPOD" sign "$K1" --message 62

# Expiry
mk soon 'ops=list;keys=*' 2s
expect_exit 0 as soon "$SPOD" keys list
sleep 2.2
expect_exit 7 as soon "$SPOD" keys list
[[ $ERR == *UNAUTHENTICATED* ]] || fail "expired token: $ERR"

# Revocation: new connections at once, open ones within a second or so.
run "$SPOD" token revoke "${ID[list]}"
expect_exit 7 as list "$SPOD" keys list
expect_exit 4 "$SPOD" token revoke 00000000000000000000000000000000
expect_exit 2 "$SPOD" token revoke nothex
mk victim 'ops=list;keys=*'
conn revoke "${TOK[victim]}" "$T_DIR/revoke.now" &
CONN_PID=$!
wait_until 10 test -e "$T_DIR/revoke.now" || fail "revoke helper did not start"
run "$SPOD" token revoke "${ID[victim]}"
wait "$CONN_PID" || fail "an open connection kept a revoked token"

# Bad tokens and the hello rules
last=A
[[ ${ADMIN:47:1} == A ]] && last=Q
for bad in spod_nope "spod_$(random_hex 20)" "${ADMIN:0:47}$last" 'not a token at all'; do
	SPOD_TOKEN=$bad expect_exit 7 "$SPOD" keys list
done
echo "spod_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" >"$T_DIR/other.token"
expect_exit 7 "$SPOD" --token-file "$T_DIR/other.token" keys list
expect_exit 2 "$SPOD" --token-file "$T_DIR/missing.token" keys list
run conn no-hello
run conn bad-hello "${ADMIN}x"
run conn second-hello "${TOK[all]}"
# The hello answer names the ops a token may use: all of them for the admin token.
run conn hello-ops "$ADMIN" 0xff
run conn hello-ops "${TOK[sign_hot]}" 0x01
mk slow 'ops=list;keys=*;rate=5'
run conn rate "${TOK[slow]}" 5
log "$OUT"

# Token records and their audit trail
run "$SPOD" --json token list
N=$(json_get 'len(d)' <<<"$OUT")
((N == 12)) || fail "expected 12 token records, got $N"
REVOKED=$(json_get 'sum(1 for t in d if t["revoked_ms"])' <<<"$OUT")
((REVOKED == 2)) || fail "expected 2 revoked tokens, got $REVOKED"
! grep -q "${TOK[all]}" "$T_DIR/spod.db" "$T_DIR"/*.log 2>/dev/null || fail "a token secret was stored or logged"
run "$SPOD" --json audit tail --limit 1000
echo "$OUT" | "$PY" -c '
import json, sys
recs = json.load(sys.stdin)
kinds = [r["kind"] for r in recs]
assert kinds.count("token.create") == 12, kinds
assert kinds.count("token.revoke") == 2, kinds
assert all(r["result"] == "OK" for r in recs if r["kind"].startswith("token.")), recs
signs = [r for r in recs if r["kind"] == "sign"]
assert len(signs) >= 3 and all(r["token_id"] and r["key_id"] and r["digest"] for r in signs), signs
' || fail "audit records of the run are wrong"
run "$SPOD" audit verify

# An enclave error passes through unchanged, and is audited: a full keystore.
stop_daemon "$ENCLAVE_PID" spod-enclave || fail "enclave exited uncleanly"
start_enclave --capacity 1
wait_ready
run "$SPOD" keys generate --alg ed25519 --label solo
expect_exit 5 "$SPOD" keys generate --alg ed25519 --label second
[[ $ERR == *KEYSTORE_FULL* ]] || fail "a full keystore: $ERR"
run "$SPOD" --json audit tail --limit 1
[[ $(json_get 'd[0]["kind"] + " " + d[0]["result"]' <<<"$OUT") == "key.generate KEYSTORE_FULL" ]] ||
	fail "the failed generate is not audited: $OUT"
pod_alive || fail "a daemon died"
log "token lifecycle, scopes, expiry, revocation, rate limit and hello rules: ok"
