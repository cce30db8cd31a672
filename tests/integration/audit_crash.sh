#!/usr/bin/env bash
# The audit guarantee (docs/storage.md, "What spod-host records, and when it answers"):
# spod-host is killed with SIGKILL while a client keeps 64 signatures in flight; afterwards
# every signature the client received has its audit record (same key, token and digest: the
# sign.request committed before the answer went out, and the sign record with result OK unless
# the kill came between the answer and that record's commit) in the database, and the hash
# chain verifies. Run with --audit-sync normal (the
# default: commits survive a crash of the process) and full. Then the chain is tampered with
# in the SQLite file and `spod audit verify` names the first broken record.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

ACKED=$SPOD_TESTS_BIN/it_acked
[[ -x $ACKED ]] || fail "$ACKED not built"

start_pod
run "$SPOD" --json keys generate --alg ed25519
KEY=$(json_get 'd["id"]' <<<"$OUT")

check_acked() { # FILE: every line's digest is a committed sign.request (and sign) record for KEY
	"$PY" - "$T_DIR/spod.db" "$1" "$KEY" <<'PY'
import sqlite3, sys
db, acked, key = sys.argv[1:]
want = [bytes.fromhex(l) for l in open(acked).read().split()]
con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
have = {"sign": {}, "sign.request": {}}
for kind, d, k, res in con.execute(
        "SELECT kind, digest, key_id, result FROM audit WHERE kind IN ('sign', 'sign.request')"):
    have[kind][d] = (k.hex(), res)
missing = [d.hex() for d in want if d not in have["sign.request"]]
wrong = [d.hex() for d in want
         if have["sign.request"].get(d, (key, 0)) != (key, 0) or have["sign"].get(d, (key, 0)) != (key, 0)]
only = sum(1 for d in want if d not in have["sign"])
if missing or wrong or not want:
    sys.exit(f"{len(want)} acknowledged: {len(missing)} without a sign.request record "
             f"{missing[:3]}, {len(wrong)} with a wrong record {wrong[:3]}")
print(f"{len(want)} acknowledged signatures, every one in the audit log "
      f"({only} by their sign.request only: the kill came before their outcome's commit)")
PY
}

round=0
for sync in normal full; do
	round=$((round + 1))
	if ((round > 1)); then
		start_host --audit-sync "$sync"
		wait_ready
	fi
	"$ACKED" "$HOST_URI" "$KEY" "$T_DIR/acked.$sync" 30 >"$T_DIR/acked.$sync.log" 2>&1 &
	CLIENT=$!
	wait_until 20 test -s "$T_DIR/acked.$sync" || fail "no signature acknowledged ($sync)"
	sleep 0.5
	kill -KILL "$HOST_PID"
	wait "$HOST_PID" 2>/dev/null || true
	HOST_PID="" # killed on purpose: not an unclean exit for the cleanup
	wait "$CLIENT" || fail "it_acked ($sync): $(cat "$T_DIR/acked.$sync.log")"
	log "audit-sync $sync: $(cat "$T_DIR/acked.$sync.log")"
	run check_acked "$T_DIR/acked.$sync"
	log "$OUT"
	run audit_pairs # every outcome after its own sign.request; some requests without one
	log "$OUT"
	run "$SPOD" audit verify
	log "$OUT"
done

# Tampering: change the digest of one record in the middle of the chain.
COUNT=$("$PY" -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT max(seq) FROM audit").fetchone()[0])' "$T_DIR/spod.db")
MID=$((COUNT / 2))
cp "$T_DIR/spod.db" "$T_DIR/tampered.db"
"$PY" - "$T_DIR/tampered.db" "$MID" <<'PY'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
con.execute("DROP TRIGGER IF EXISTS audit_no_update")
for (name,) in con.execute("SELECT name FROM sqlite_schema WHERE type = 'trigger'").fetchall():
    con.execute(f"DROP TRIGGER {name}")
con.execute("UPDATE audit SET result = -14 WHERE seq = ?", (int(sys.argv[2]),))
con.commit()
PY
expect_exit 6 "$SPOD" audit verify --db "$T_DIR/tampered.db"
[[ $OUT == *"BROKEN at seq $MID"* ]] || fail "tampering not located at seq $MID: $OUT"
run "$SPOD" --json audit verify
[[ $(json_get 'd["intact"]' <<<"$OUT") == true ]] || fail "the real log is not intact: $OUT"

# A locked database: the signature is withheld with a clear error, nothing committed is lost,
# signing works again once the lock is gone, and the withheld signature is recorded as such.
start_host
wait_ready
BEFORE=$("$SPOD" --json audit verify | json_get 'd["records"]')
lock_db 4
expect_exit 3 "$SPOD" sign "$KEY" --message 61
[[ $ERR == *"audit log unavailable"*"locked"* ]] || fail "no clear error while locked: $ERR"
wait "$LOCKER" || fail "the lock holder failed"
run "$SPOD" sign "$KEY" --message 62
wait_audit
run "$SPOD" --json audit verify
AFTER=$(json_get 'd["records"]' <<<"$OUT")
# the withheld signature's records too (its sign.request and sign), in the commit after the lock:
# the enclave signed it (its evidence says so), the client got UNAVAILABLE, and the log says both
((AFTER == BEFORE + 4)) || fail "expected $((BEFORE + 4)) records after the lock, got $AFTER"
run "$SPOD" --json audit tail --limit 4
[[ $(json_get '" ".join(r["kind"] + ":" + r["result"] for r in d)' <<<"$OUT") == \
	"sign.request:OK sign:UNAVAILABLE sign.request:OK sign:OK" &&
	$(json_get 'd[1]["detail"]' <<<"$OUT") == "withheld, audit log unavailable (was OK: mode=raw len=1 req="* &&
	$(json_get 'd[0]["detail"].split("req=")[1] == d[1]["detail"].split("req=")[1][:16]' <<<"$OUT") == true ]] ||
	fail "the withheld signature is not recorded as such: $OUT"

# A full disk: spod-host runs under a file-size limit just above its database's size, so its
# writes soon fail (EFBIG, as ENOSPC would). Signatures are then withheld with a clear error;
# after a restart without the limit every acknowledged one is in the log and the chain holds.
stop_daemon "$HOST_PID" spod-host || fail "spod-host exited uncleanly"
BIGGEST=$(stat -c %s "$T_DIR"/spod.db* | sort -n | tail -n1)
(
	ulimit -f $((BIGGEST / 1024 + 48))
	exec "$SPOD_HOST" --listen "$HOST_URI" --enclave "$ENCLAVE_URI" --http off \
		>>"$T_DIR/host.log" 2>&1
) &
HOST_PID=$!
wait_ready
"$ACKED" "$HOST_URI" "$KEY" "$T_DIR/acked.full-disk" 3 >"$T_DIR/acked.full-disk.log" 2>&1 || true
FULL=$(cat "$T_DIR/acked.full-disk.log")
log "under the size limit: $FULL"
[[ $FULL =~ \ ([1-9][0-9]*)\ unavailable ]] || fail "no signature was withheld with the disk full"
grep -q "audit log unavailable, answer withheld: commit: disk I/O error" "$T_DIR/host.log" ||
	fail "no clear error logged with the disk full"
pod_alive || fail "spod-host died when its disk filled"
stop_daemon "$HOST_PID" spod-host || fail "spod-host exited uncleanly"
start_host
wait_ready
[[ -s $T_DIR/acked.full-disk ]] && run check_acked "$T_DIR/acked.full-disk"
run "$SPOD" audit verify
run "$SPOD" sign "$KEY" --message 64
log "every acknowledged signature audited across SIGKILL; tampering at seq $MID detected; a locked database and a full disk withhold signatures and lose nothing"
