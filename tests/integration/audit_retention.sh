#!/usr/bin/env bash
# Audit growth and retention (docs/storage.md "Retention", docs/host.md "Metrics"):
# 1. /metrics shows the storage gauges with plausible values: spod_db_bytes near the size of
#    spod.db and its WAL, spod_disk_free_bytes near what statvfs says, the audit head.
# 2. While a client keeps signing, `spod audit export` and `spod audit prune` work on the
#    live database: no answer is withheld, `spod audit verify` then checks the database from
#    the anchor and `--file` the export (and so does an independent Python check), a
#    tampered export prunes nothing, signing goes on, and a second export chains to the first.
# 3. Low disk: with disk-warn-free above the free space the host warns, once, and not again
#    within the interval although the gauges are sampled meanwhile.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

ACKED=$SPOD_TESTS_BIN/it_acked
[[ -x $ACKED ]] || fail "$ACKED not built"

start_pod
URL=$(http_url)
metric() { "$PY" "$SPOD_SRC/tests/integration/http_api.py" metric "$URL" "$SPOD_SRC" "$1"; }
db_head() { "$PY" -c 'import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("SELECT max(seq) FROM audit").fetchone()[0])' "$T_DIR/spod.db"; }
gauge_is() { [[ $(metric "$1") == "$2" ]]; }
run "$SPOD" --json keys generate --alg ed25519
KEY=$(json_get 'd["id"]' <<<"$OUT")
for _ in 1 2 3; do
	run "$SPOD" sign "$KEY" --message "$(random_hex 16)"
done

# 1. The gauges, sampled every 2 s by the checkpointer thread.
HEAD=$(db_head)
wait_until 10 gauge_is spod_audit_head_seq "$HEAD" || fail "spod_audit_head_seq is not $HEAD"
gauge_is spod_audit_records "$HEAD" || fail "spod_audit_records: $(metric spod_audit_records)"
gauge_is spod_disk_warn_free_bytes $((1 << 30)) || fail "default disk-warn-free is not 1 GiB"
run "$PY" - "$T_DIR/spod.db" "$(metric spod_db_bytes)" "$(metric spod_disk_free_bytes)" <<'PY'
import os, sys
db, db_bytes, free = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
size = sum(os.path.getsize(p) for p in (db, db + "-wal") if os.path.exists(p))
vfs = os.statvfs(os.path.dirname(db))
avail = vfs.f_bavail * vfs.f_frsize
# the WAL grows and is checkpointed all the time; other tests write to the same disk
assert 4096 <= db_bytes <= size + (32 << 20), (db_bytes, size)
assert abs(free - avail) <= max(avail // 20, 256 << 20), (free, avail)
print(f"spod_db_bytes {db_bytes} (files {size}), spod_disk_free_bytes {free} (statvfs {avail})")
PY
log "$OUT"

# 2. Export and prune while a client signs as fast as it can. A first run fills the log
# (tens of thousands of records: the prune then takes several batches).
run "$ACKED" "$HOST_URI" "$KEY" "$T_DIR/fill" 5
log "fill: $OUT"
FILLED=$(db_head)
"$ACKED" "$HOST_URI" "$KEY" "$T_DIR/acked" 120 "$T_DIR/stop" >"$T_DIR/acked.log" 2>&1 &
CLIENT=$!
T_BG_PIDS+=("$CLIENT")
head_above() { (($(db_head) >= $1)); }
wait_until 20 head_above $((FILLED + 100)) || fail "the client got no signatures"
UPTO=$(db_head)
E1=$T_DIR/audit-1.jsonl
run "$SPOD" --json audit export --upto "$UPTO" --out "$E1"
[[ $(json_get '[d["first_seq"], d["last_seq"], d["records"]]' <<<"$OUT") == "[1, $UPTO, $UPTO]" ]] ||
	fail "export 1: $OUT"
LAST1=$(json_get 'd["last_hash"]' <<<"$OUT")
[[ $(stat -c %a "$E1") == 600 ]] || fail "export file mode $(stat -c %a "$E1")"
expect_exit 2 "$SPOD" audit export --upto "$UPTO" --out "$E1"
[[ $ERR == *"never replaces"* ]] || fail "export over a file: $ERR"
run "$SPOD" audit verify --file "$E1"
[[ $OUT == "export file intact: $UPTO records (1..$UPTO)"* ]] || fail "verify --file: $OUT"

# A tampered copy (one byte of a record in the middle) prunes nothing: exit 6.
MID=$((UPTO / 2))
"$PY" - "$E1" "$T_DIR/tampered.jsonl" "$MID" <<'PY'
import sys
lines = open(sys.argv[1]).read().split("\n")
i = int(sys.argv[3])  # line 0 is the header, line i record i
lines[i] = lines[i].replace('"time_ms":1', '"time_ms":2', 1)
assert lines[i] != open(sys.argv[1]).read().split("\n")[i]
open(sys.argv[2], "w").write("\n".join(lines))
PY
expect_exit 6 "$SPOD" audit verify --file "$T_DIR/tampered.jsonl"
[[ $OUT == *"BROKEN at seq $MID"* ]] || fail "tampered export: $OUT"
expect_exit 6 "$SPOD" audit prune --upto "$UPTO" --exported "$T_DIR/tampered.jsonl"
expect_exit 2 "$SPOD" audit prune --upto $((UPTO - 1)) --exported "$E1"
[[ $("$PY" -c 'import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("SELECT min(seq) FROM audit").fetchone()[0])' "$T_DIR/spod.db") == 1 ]] ||
	fail "a refused prune deleted records"

run "$SPOD" --json audit prune --upto "$UPTO" --exported "$E1"
[[ $(json_get '[d["deleted"], d["anchor"]["seq"], d["anchor"]["hash"]]' <<<"$OUT") == \
	"[$UPTO, $UPTO, \"$LAST1\"]" ]] || fail "prune 1: $OUT"
alive "$CLIENT" || fail "the client stopped before the prune ended: $(cat "$T_DIR/acked.log")"
touch "$T_DIR/stop"
wait "$CLIENT" || fail "it_acked: $(cat "$T_DIR/acked.log")"
log "pruned 1..$UPTO while signing: $(cat "$T_DIR/acked.log")"
grep -q " 0 unavailable" "$T_DIR/acked.log" || fail "answers were withheld during the prune"

# The database verifies from the anchor; signing continues the chain.
run "$SPOD" audit verify
[[ $OUT == *"from anchor seq $UPTO hash $LAST1"* ]] || fail "verify after prune: $OUT"
for _ in 1 2 3; do
	run "$SPOD" sign "$KEY" --message "$(random_hex 16)"
done
wait_audit
run "$SPOD" --json audit verify
[[ $(json_get '[d["intact"], d["first_seq"], d["anchor"]["seq"], d["prev_hash"]]' <<<"$OUT") == \
	"[true, $((UPTO + 1)), $UPTO, \"$LAST1\"]" ]] || fail "verify after signing: $OUT"
HEAD=$(json_get 'd["last_seq"]' <<<"$OUT")
wait_until 10 gauge_is spod_audit_records $((HEAD - UPTO)) ||
	fail "spod_audit_records $(metric spod_audit_records), want $((HEAD - UPTO))"

# A second export starts at the anchor and links to the first; prune it with --vacuum.
E2=$T_DIR/audit-2.jsonl
run "$SPOD" --json audit export --upto "$HEAD" --out "$E2"
[[ $(json_get '[d["first_seq"], d["prev_hash"]]' <<<"$OUT") == "[$((UPTO + 1)), \"$LAST1\"]" ]] ||
	fail "export 2 does not chain to export 1: $OUT"
run "$SPOD" audit verify --file "$E2"
run "$SPOD" --json audit prune --upto "$HEAD" --exported "$E2" --vacuum
[[ $(json_get '[d["anchor"]["seq"], d["vacuumed"]]' <<<"$OUT") == "[$HEAD, true]" ]] ||
	fail "prune 2: $OUT"
run "$SPOD" sign "$KEY" --message "$(random_hex 16)"
run "$SPOD" audit verify
[[ $OUT == *"from anchor seq $HEAD"* ]] || fail "verify after prune 2: $OUT"

# Both files, re-walked by an independent implementation (docs/storage.md, "Export files").
run "$PY" - "$E1" "$E2" <<'PY'
import hashlib, json, struct, sys
s = lambda b: struct.pack("<I", len(b)) + b
prev_last = bytes(32)
for path in sys.argv[1:]:
    lines = open(path).read().splitlines()
    h = json.loads(lines[0])
    assert h["format"] == "spod-audit-export" and h["version"] == 1, h
    prev = bytes.fromhex(h["prev_hash"])
    assert prev == prev_last, "files do not chain"
    for n, line in enumerate(lines[1:]):
        r = json.loads(line)
        opt = lambda k: bytes.fromhex(r[k]) if r[k] is not None else b""
        txt = lambda k: r[k].encode("latin-1") if r[k] is not None else b""
        assert r["seq"] == h["first_seq"] + n and bytes.fromhex(r["prev_hash"]) == prev
        enc = struct.pack("<Qqi", r["seq"], r["time_ms"], r["result"]) + s(txt("kind")) \
            + s(opt("key_id")) + s(opt("token_id")) + s(opt("digest")) + s(txt("detail"))
        prev = hashlib.sha256(prev + enc).digest()
        assert prev == bytes.fromhex(r["hash"]), r["seq"]
    assert r["seq"] == h["last_seq"] and prev.hex() == h["last_hash"]
    prev_last = prev
print("export files re-walked independently")
PY

# 3. The low-disk warning: a threshold far above any disk (1 EiB), set through the environment.
stop_daemon "$HOST_PID" spod-host || fail "spod-host did not stop cleanly"
HOST_PID=""
SPOD_HOST_DISK_WARN_FREE=1048576T start_host
wait_ready
URL=$(http_url)
warnings() { grep -c "low disk space" "$T_DIR/host.log" || true; }
warned() { (($(warnings) >= 1)); }
wait_until 10 warned || fail "no low-disk warning"
gauge_is spod_disk_warn_free_bytes $((1 << 60)) || fail "spod_disk_warn_free_bytes $(metric spod_disk_warn_free_bytes)"
# Two more samples (each shows the head moved) without another warning.
for _ in 1 2; do
	run "$SPOD" sign "$KEY" --message "$(random_hex 16)"
	HEAD=$(db_head)
	wait_until 10 gauge_is spod_audit_head_seq "$HEAD" || fail "no sample after the warning"
done
[[ $(warnings) == 1 ]] || fail "the low-disk warning repeated within a minute: $(grep "low disk" "$T_DIR/host.log")"
log "$(grep -m1 "low disk space" "$T_DIR/host.log")"
