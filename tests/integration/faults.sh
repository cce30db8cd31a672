#!/usr/bin/env bash
# Faults around sealed keys (DESIGN.md §8: each with an expected outcome and no lost or
# corrupted key), on a custodian-mode pod holding keys of every algorithm:
#  a) storage full while a new key and its blob are stored: spod-host's file-size limit is set
#     (prlimit) to the size of its emptied WAL, so the commit of the record fails. The key is
#     not reported created (non-zero exit, clear error); once the limit is lifted the enclave
#     holds no orphan key (key count and list unchanged) and the database has no record or blob
#     of it, and the next key works;
#  b) the enclave killed mid-provisioning (1 of 2 shares in): the new boot needs both shares
#     again and the pod is not ready until then;
#  c) one byte of one key's sealed blob flipped in the database: a spod-host restart replays it
#     to the enclave that still holds the key, which opens it anyway and refuses it, so the host
#     warns by key id (and audits key.unseal, BAD_BLOB) while the key still serves; after an
#     enclave restart that
#     key is lost (key.lost, BAD_BLOB, "does not open") and signs no more, every other key loads
#     and signs; with the byte restored and another restart it is found again (key.found) and
#     signs;
#  d) the blobs of two keys swapped between their rows: after a restart both are refused, the
#     pod still becomes ready and the others load; swapped back, both are found again.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

DB=$T_DIR/spod.db
sql() { "$PY" -c 'import sqlite3, sys
con = sqlite3.connect(sys.argv[1], timeout=10)
for row in con.execute(sys.argv[2], [bytes.fromhex(a) for a in sys.argv[3:]]):
    print(*[v.hex() if isinstance(v, bytes) else v for v in row])
con.commit()' "$DB" "$@"; }
key_count() { "$SPOD" --json info | json_get 'd["keys"]'; }
audit_of() { # KIND: the newest audit records of that kind, as JSON
	"$SPOD" --json audit tail --limit 200 | json_get "[r for r in d if r['kind'] == '$1']"
}

run "$SPOD" custodian init --threshold 2 --shares 3 --out "$T_DIR/shares"
SH=$T_DIR/shares
start_enclave
# spod-host's log goes through a pipe: a file-size limit on the host must hit its database
# files only, not its log.
start_fault_host() {
	"$SPOD_HOST" --listen "$HOST_URI" --enclave "$ENCLAVE_URI" --log-level info --http off \
		--seal custodians > >(exec cat >>"$T_DIR/host.log") 2>&1 &
	HOST_PID=$!
}
start_fault_host
wait_ready
PCR0=$(pod_pcr0)
provision "$SH/share-1.json"
provision "$SH/share-2.json"
wait_until 20 keys_served || fail "keys not served after provisioning"
for spec in "ed25519 --label f-ed" "secp256k1 --label f-k1" "p256" "ed25519" "secp256k1"; do
	# shellcheck disable=SC2086 # split on purpose
	run "$SPOD" keys generate --alg $spec
done
KEYS=$(keys_json)
sign_check_all "$KEYS"

# restart_provisioned SHARE SHARE: a new enclave boot given two shares; waits until served.
restart_provisioned() {
	kill9_enclave
	start_enclave
	wait_until 30 seal_waiting || fail "the new enclave boot is not waiting for shares"
	provision "$1"
	provision "$2"
	wait_until 20 keys_served || fail "keys not served after the shares"
}

log "a) storage full while a new key and its blob are stored"
COUNT=$(key_count)
ROWS=$(sql "SELECT count(*) FROM keys")
BLOBS=$(sql "SELECT count(*) FROM sealed_blobs")
# Empty the WAL (an outside TRUNCATE checkpoint), so that the next commit must grow it; then
# spod-host may not write past the WAL's current size.
wal_emptied() { [[ $(sql "PRAGMA wal_checkpoint(TRUNCATE)") == "0 0 0" ]]; }
wait_until 10 wal_emptied || fail "the WAL could not be emptied"
WAL_SIZE=$(stat -c %s "$DB-wal")
prlimit --fsize="$WAL_SIZE": --pid "$HOST_PID" || fail "prlimit"
expect_exit 3 "$SPOD" keys generate --alg p256 --label full-disk
log "refused with: $ERR"
[[ $ERR == *"not stored"* || $ERR == *"audit log unavailable"* ]] || fail "no clear error: $ERR"
[[ $OUT != *[0-9a-f][0-9a-f][0-9a-f][0-9a-f]* ]] || fail "a key was printed: $OUT"
prlimit --fsize=unlimited: --pid "$HOST_PID" || fail "prlimit"
pod_alive || fail "a daemon died with the disk full"
grep -q "key made but its record not stored" "$T_DIR/host.log" || fail "no clear error in the host log"
count_is() { [[ $(key_count) == "$1" ]]; }
wait_until 10 count_is "$COUNT" || fail "an orphan key: the enclave holds $(key_count) keys, want $COUNT"
[[ $(keys_json) == "$KEYS" ]] || fail "keys list changed: $(keys_json)"
[[ $(sql "SELECT count(*) FROM keys") == "$ROWS" ]] || fail "a record of the refused key"
[[ $(sql "SELECT count(*) FROM sealed_blobs") == "$BLOBS" ]] || fail "a blob of the refused key"
[[ -z $(sql "SELECT hex(id) FROM keys WHERE label = 'full-disk'") ]] || fail "the refused key's label is recorded"
run "$SPOD" --json keys generate --alg p256 --label full-disk
NEWKEY=$(json_get 'd["id"]' <<<"$OUT")
wait_until 10 count_is $((COUNT + 1)) || fail "key count after the disk came back: $(key_count)"
run "$SPOD" keys delete "$NEWKEY"
wait_until 10 count_is "$COUNT" || fail "key count after the delete"
run "$SPOD" audit verify

log "b) the enclave killed after 1 of 2 shares"
kill9_enclave
start_enclave
wait_until 30 seal_waiting || fail "the new enclave boot is not waiting"
provision "$SH/share-3.json"
[[ $(seal_get 'd["shares_present"]') == 1 ]] || fail "share 3 not counted"
kill9_enclave
start_enclave
wait_until 30 seal_waiting || fail "the enclave after the kill is not waiting for both shares"
expect_exit 3 "$SPOD" keys list
provision "$SH/share-3.json"
[[ $OUT == *"(1 more)"* ]] || fail "one share after the kill: $OUT"
expect_exit 3 "$SPOD" keys list
[[ $ERR == *NOT_PROVISIONED* ]] || fail "keys with 1 of 2 shares: $ERR"
provision "$SH/share-1.json"
wait_until 20 keys_served || fail "keys not served"
[[ $(keys_json) == "$KEYS" ]] || fail "keys after the interrupted provisioning: $(keys_json)"
sign_check_all "$KEYS"

log "c) one byte of a sealed blob flipped"
VICTIM=$(json_get '[k["id"] for k in d if k["label"] == "f-k1"][0]' <<<"$KEYS")
ORIG=$(sql "SELECT blob FROM sealed_blobs WHERE key_id = ?" "$VICTIM")
[[ ${ORIG:0:8} == 53505342 ]] || fail "not a sealed blob: $ORIG"
BYTE=$((${#ORIG} / 2 - 30)) # inside the ciphertext
sql "UPDATE sealed_blobs SET blob = ? WHERE key_id = ?" "$(flip_hex "$ORIG" "$BYTE")" "$VICTIM" >/dev/null
# spod-host restarted first: the enclave still holds the key, its replay opens the blob anyway
kill "$HOST_PID"
wait "$HOST_PID" 2>/dev/null || true
start_fault_host
wait_until 20 keys_served || fail "keys not served after a spod-host restart"
[[ $(keys_json) == "$KEYS" ]] || fail "keys held by the enclave after a host restart: $(keys_json)"
grep -q "key $VICTIM: its sealed copy does not open.*still holds the key" "$T_DIR/host.log" ||
	fail "no warning that a held key's stored blob does not open"
UNSEAL=$(audit_of key.unseal)
[[ $(json_get "sorted(set((r['key_id'], r['result']) for r in d))" <<<"$UNSEAL") == "[[\"$VICTIM\", \"BAD_BLOB\"]]" ]] ||
	fail "key.unseal records: $UNSEAL"
restart_provisioned "$SH/share-2.json" "$SH/share-3.json"
OTHERS=$(json_get "[k for k in d if k['id'] != '$VICTIM']" <<<"$KEYS")
[[ $(keys_json) == "$OTHERS" ]] || fail "keys with one blob tampered: $(keys_json), want $OTHERS"
sign_check_all "$OTHERS"
expect_exit 4 "$SPOD" sign "$VICTIM" --digest "$(random_hex 32)"
LOST=$(audit_of key.lost)
[[ $(json_get "[(r['key_id'], r['result']) for r in d]" <<<"$LOST") == "[[\"$VICTIM\", \"BAD_BLOB\"]]" ]] ||
	fail "key.lost records: $LOST"
[[ $(json_get 'd[0]["detail"]' <<<"$LOST") == *"does not open"* ]] || fail "key.lost without the reason: $LOST"
log "key.lost: $(json_get 'd[0]["detail"]' <<<"$LOST")"
sql "UPDATE sealed_blobs SET blob = ? WHERE key_id = ?" "$ORIG" "$VICTIM" >/dev/null
restart_provisioned "$SH/share-1.json" "$SH/share-3.json"
[[ $(keys_json) == "$KEYS" ]] || fail "keys with the byte restored: $(keys_json), want $KEYS"
sign_check_all "$KEYS"
[[ $(json_get "[r['key_id'] for r in d]" <<<"$(audit_of key.found)") == "[\"$VICTIM\"]" ]] ||
	fail "key.found records: $(audit_of key.found)"

log "d) the blobs of two keys swapped between their rows"
A=$(json_get '[k["id"] for k in d if k["label"] == "f-ed"][0]' <<<"$KEYS")
B=$(json_get '[k["id"] for k in d if k["alg"] == "p256"][0]' <<<"$KEYS")
BLOB_A=$(sql "SELECT blob FROM sealed_blobs WHERE key_id = ?" "$A")
BLOB_B=$(sql "SELECT blob FROM sealed_blobs WHERE key_id = ?" "$B")
sql "UPDATE sealed_blobs SET blob = ? WHERE key_id = ?" "$BLOB_B" "$A" >/dev/null
sql "UPDATE sealed_blobs SET blob = ? WHERE key_id = ?" "$BLOB_A" "$B" >/dev/null
restart_provisioned "$SH/share-2.json" "$SH/share-1.json"
OTHERS=$(json_get "[k for k in d if k['id'] not in ('$A', '$B')]" <<<"$KEYS")
[[ $(keys_json) == "$OTHERS" ]] || fail "keys with two blobs swapped: $(keys_json), want $OTHERS"
sign_check_all "$OTHERS"
expect_exit 4 "$SPOD" sign "$A" --message 00
expect_exit 4 "$SPOD" sign "$B" --digest "$(random_hex 32)"
[[ $(json_get "sorted({r['key_id'] for r in d if r['result'] == 'BAD_BLOB'} & {'$A', '$B'})" <<<"$(audit_of key.lost)") == \
	"$(json_get 'sorted(d)' <<<"[\"$A\", \"$B\"]")" ]] || fail "key.lost records for the swapped keys: $(audit_of key.lost)"
sql "UPDATE sealed_blobs SET blob = ? WHERE key_id = ?" "$BLOB_A" "$A" >/dev/null
sql "UPDATE sealed_blobs SET blob = ? WHERE key_id = ?" "$BLOB_B" "$B" >/dev/null
restart_provisioned "$SH/share-3.json" "$SH/share-2.json"
[[ $(keys_json) == "$KEYS" ]] || fail "keys with the blobs swapped back: $(keys_json), want $KEYS"
sign_check_all "$KEYS"
run "$SPOD" audit verify
pod_alive || fail "a daemon died"
log "ok"
