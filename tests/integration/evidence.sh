#!/usr/bin/env bash
# Signed evidence and signed audit heads (docs/evidence.md), through the real binaries:
# - every answered signature and refusal (sign, sign.tx, a policy refusal) has an evidence
#   record whose inclusion proof and root signature verify against the evidence key of an
#   attestation document that chains to the dev root: `spod audit verify --root dev` finds as
#   many evidence records as audit sign rows and no row without one;
# - spod-host has the enclave sign the audit head every second and at a clean stop; deleting
#   the newest audit rows (with the append-only trigger dropped, as an attacker with the
#   file would) is caught by `spod audit verify`, offline and --live, and the enclave refuses to
#   sign the shorter head; a recomputed suffix (rows replaced, chain recomputed) is caught too;
# - a tampered evidence record is caught;
# - with no periodic head, the head spod-host has signed at a clean stop covers the last
#   record, and the last evidence batch is kept.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

DIGEST=$(random_hex 32)
RAW_DENY='{"version":1,"rules":[{"id":"no-raw","effect":"deny","chain":"ethereum","kinds":["raw"],"reason":"raw signing is off"}]}'
EIP1559=02f2012a847735940085174876e800825208943c44cdddb6a900fa2b585dd299e03d12fa4293bc8a1a249b1f10a06c96aff280c0 # tests/data/ethereum/ethers.txt eip1559_native

# verify_json [ARGS...]: `spod --json audit verify --root dev ARGS` into OUT, whatever its exit
verify_json() {
	OUT=$("$SPOD" --json audit verify --root dev "$@" 2>"$T_DIR/verify.err") && RC=0 || RC=$?
}
ev() { json_get "d[\"evidence\"][\"$1\"]" <<<"$OUT"; }
# evidence_count N: the database holds at least N evidence records
evidence_count() { verify_json && [[ $(ev records) -ge $1 ]]; }
sign_rows() {
	sqlite3 "$T_DIR/spod.db" "SELECT count(*) FROM audit WHERE kind = 'sign'"
}
# sql STATEMENTS: on the pod's database as a process with the file could
sql() { "$PY" - "$T_DIR/${DB:-spod.db}" "$1" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit()
PY
}

start_pod

log "signatures of every kind, and a policy refusal"
run "$SPOD" --json keys generate --alg secp256k1
K1=$(json_get 'd["id"]' <<<"$OUT")
run "$SPOD" --json keys generate --alg ed25519
K2=$(json_get 'd["id"]' <<<"$OUT")
run "$SPOD" sign "$K1" --digest "$DIGEST"
run "$SPOD" sign "$K1" --message 68656c6c6f --hash keccak256
run "$SPOD" sign "$K2" --message 68656c6c6f
run "$SPOD" sign-tx "$K1" --chain ethereum --tx "$EIP1559"
printf '%s' "$RAW_DENY" >"$T_DIR/policy.json"
run "$SPOD" policy set "$K1" --file "$T_DIR/policy.json"
expect_exit 5 "$SPOD" sign "$K1" --digest "$DIGEST"
grep -q "no-raw" <<<"$ERR" || fail "refusal without its rule: $ERR"
expect_exit 5 "$SPOD" sign-tx "$K1" --chain ethereum --tx "$EIP1559" # no rule allows it: default
wait_audit # the last outcome commits just after its answer
audit_pairs >/dev/null || fail "sign.request and sign records do not pair: $(audit_pairs 2>&1)"
ROWS=$(sign_rows)
log "$ROWS audit sign rows; waiting for their evidence"
wait_until 20 evidence_count "$ROWS" || fail "evidence: $OUT $(cat "$T_DIR/verify.err")"
[[ $RC == 0 ]] || fail "audit verify: $OUT"
[[ $(ev records) == "$ROWS" ]] || fail "evidence records $(ev records) for $ROWS sign rows: $OUT"
[[ $(ev unmatched_audit) == 0 ]] || fail "audit rows without evidence: $OUT"
[[ $(ev verified_against_root) == true ]] || fail "keys not checked against the root: $OUT"
run "$SPOD" audit verify --root dev
grep -q "evidence: $ROWS records" <<<"$OUT" || fail "text output: $OUT"

log "signed heads: within a second of the last record, and --live agrees"
head_covers() {
	verify_json && [[ $(ev heads) -ge 1 ]] &&
		[[ $(json_get 'd["evidence"]["newest_head_seq"]' <<<"$OUT") == $(json_get 'd["records"]' <<<"$OUT") ]]
}
wait_until 10 head_covers || fail "no signed head covers the log: $OUT"
verify_json --live
[[ $RC == 0 ]] || fail "--live on an intact log: $OUT $(cat "$T_DIR/verify.err")"

# copies of the database as it is now, for the tampering below (the live one is in WAL mode)
for copy in ev rewrite; do
	"$PY" -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).backup(sqlite3.connect(sys.argv[2]))' \
		"$T_DIR/spod.db" "$T_DIR/$copy.db" || fail "copy"
done

log "a tampered evidence record is caught (in a copy)"
"$PY" - "$T_DIR/ev.db" <<'PY' || fail "tamper"
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
for (name,) in c.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'evidence'").fetchall():
    c.execute("DROP TRIGGER " + name)
rec = bytearray(c.execute("SELECT record FROM evidence WHERE counter = 1").fetchone()[0])
rec[40] ^= 0xff  # a byte of the request digest
c.execute("UPDATE evidence SET record = ? WHERE counter = 1", (bytes(rec),))
c.commit()
PY
expect_exit 6 "$SPOD" audit verify --db "$T_DIR/ev.db"

log "deleting the newest audit rows while the pod runs"
LAST=$(sqlite3 "$T_DIR/spod.db" "SELECT max(seq) FROM audit")
sql "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE seq > $LAST - 2;"
expect_exit 6 "$SPOD" audit verify
grep -qi "truncated" <<<"$OUT$ERR" || fail "truncation not named: $OUT $ERR"
verify_json --live
[[ $RC == 6 ]] || fail "--live missed the truncation: $OUT"
run "$SPOD" sign "$K2" --message 6869 # the head moves back then forward: the enclave refuses
wait_until 10 grep -q "audit head goes back" "$T_DIR/host.log" || fail "the enclave signed a shorter head"

log "a recomputed suffix is caught (in the copy made before the deletion)"
"$PY" - "$T_DIR/rewrite.db" <<'PY' || fail "rewrite"
# Replace the newest record with another and recompute its hash (docs/storage.md's encoding).
import sqlite3, struct, hashlib, sys
c = sqlite3.connect(sys.argv[1])
c.executescript("DROP TRIGGER audit_no_delete; DROP TRIGGER audit_no_update;")
seq, t, res, kind, kid, tid, dig, det, prev = c.execute(
    "SELECT seq, time_ms, result, kind, key_id, token_id, digest, detail, prev_hash FROM audit"
    " ORDER BY seq DESC LIMIT 1").fetchone()
det = (det or "") + " (rewritten)"
s = lambda b: struct.pack('<I', len(b or b'')) + (b or b'')
enc = struct.pack('<Qqi', seq, t, res) + s(kind.encode()) + s(kid) + s(tid) + s(dig) + s(det.encode())
c.execute("UPDATE audit SET detail = ?, hash = ? WHERE seq = ?",
          (det, hashlib.sha256(prev + enc).digest(), seq))
c.commit()
PY
expect_exit 6 "$SPOD" audit verify --db "$T_DIR/rewrite.db"
grep -qi "rewritten" <<<"$OUT$ERR" || fail "rewrite not named: $OUT $ERR"

log "a clean stop: the host's final head is refused (the log went back), and says so"
stop_daemon "$HOST_PID" spod-host || fail "spod-host exit"
HOST_PID=
[[ $(grep -c "audit head goes back" "$T_DIR/host.log") -ge 2 ]] || fail "the final head was not refused"

log "a fresh pod that signs heads only at a clean stop: the last record is covered"
stop_daemon "$ENCLAVE_PID" spod-enclave || fail "spod-enclave exit"
ENCLAVE_PID=
mkdir "$T_DIR/second"
mv "$T_DIR"/spod.db* "$T_DIR/admin.token" "$T_DIR/second/"
unset SPOD_TOKEN # the new pod writes a new admin token
start_pod --audit-head-interval 3600s
run "$SPOD" --json keys generate --alg ed25519
run "$SPOD" sign "$(json_get 'd["id"]' <<<"$OUT")" --message 6869
verify_json
[[ $RC == 0 && $(ev heads) == 0 ]] || fail "a head before the stop: $OUT"
stop_daemon "$HOST_PID" spod-host || fail "spod-host exit"
HOST_PID=
verify_json
[[ $RC == 0 && $(ev heads) == 1 && $(ev newest_head_seq) == $(json_get 'd["records"]' <<<"$OUT") ]] ||
	fail "no final head covering the log: $OUT"
[[ $(ev records) == 1 && $(ev unmatched_audit) == 0 ]] || fail "the last evidence was not kept: $OUT"
log "evidence ok"
