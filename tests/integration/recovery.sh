#!/usr/bin/env bash
# Disaster recovery (docs/keys.md, docs/storage.md): a custodian-mode pod holds keys of every
# algorithm, generated and imported, labelled and not. Both daemons stop cleanly; then ONLY
# its SQLite database is carried to a new, empty data directory (no token file, no dev root,
# no sockets: a new machine), where a new enclave and host start with --seal custodians. The
# pod waits for its custodians, and its documents name the seal key the database recorded:
# a share of another ceremony is refused before it is sent (WRONG_SEAL_KEY), no key is
# marked lost. Two custodians other than the first pair
# provision, and every key comes back with the same id, public key and label, and signs. The
# old admin token still works (tokens live in the database), and the audit chain verifies.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

run "$SPOD" custodian init --threshold 2 --shares 3 --out "$T_DIR/shares"
SEAL_ID=$(json_get 'd["seal_key_id"]' <"$T_DIR/shares/share-1.json")
start_pod --seal custodians
PCR0=$(pod_pcr0)
provision "$T_DIR/shares/share-1.json"
provision "$T_DIR/shares/share-2.json"
wait_until 20 keys_served || fail "keys not served after provisioning"

log "keys of every algorithm, generated and imported"
run "$SPOD" keys generate --alg ed25519 --label gen-ed
run "$SPOD" keys generate --alg secp256k1
run "$SPOD" keys generate --alg p256 --label gen.p256
mkdir -m 700 "$T_DIR/keyfiles"
echo 4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb >"$T_DIR/keyfiles/ed.hex"
echo 7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d >"$T_DIR/keyfiles/k1.hex"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T_DIR/keyfiles/p256.pem" 2>/dev/null ||
	fail "openssl genpkey"
run "$SPOD" keys import --key-file "$T_DIR/keyfiles/ed.hex" --alg ed25519 --label imp-ed \
	--expect-pcr0 "$PCR0" --root dev
run "$SPOD" keys import --key-file "$T_DIR/keyfiles/k1.hex" --alg secp256k1 \
	--expect-pcr0 "$PCR0" --root dev
run "$SPOD" keys import --key-file "$T_DIR/keyfiles/p256.pem" --label imp_p256 \
	--expect-pcr0 "$PCR0" --root dev
BEFORE=$(keys_json)
[[ $(json_get 'len(d)' <<<"$BEFORE") == 6 ]] || fail "keys: $BEFORE"
sign_check_all "$BEFORE"
TOKEN=$(<"$T_DIR/admin.token")

log "both daemons stop cleanly; only spod.db goes to a new data directory"
stop_daemon "$HOST_PID" spod-host || fail "spod-host exited uncleanly"
stop_daemon "$ENCLAVE_PID" spod-enclave || fail "spod-enclave exited uncleanly"
HOST_PID="" ENCLAVE_PID=""
# A clean stop of spod-host checkpoints the WAL into spod.db and removes spod.db-wal
# (docs/storage.md, "Checkpoints"), so spod.db alone holds every record and sealed blob. Were a
# -wal file left (a host that crashed), it would hold committed transactions not yet in
# spod.db and would have to travel with it; the -shm file is only an index and is rebuilt.
NEW=$T_DIR/new-machine
mkdir -m 700 "$NEW"
cp "$T_DIR/spod.db" "$NEW/spod.db"
if [[ -e $T_DIR/spod.db-wal ]]; then
	log "spod.db-wal was left after a clean stop: copied with the database"
	cp "$T_DIR/spod.db-wal" "$NEW/spod.db-wal"
fi
export SPOD_DATA_DIR=$NEW SPOD_TOKEN=$TOKEN
ENCLAVE_URI=unix://$NEW/enclave.sock
HOST_URI=unix://$NEW/spod.sock
export SPOD_URI=$HOST_URI
start_pod --seal custodians
[[ ! -e $NEW/admin.token ]] || fail "a new admin token was made for a database that has tokens"
[[ $(pod_pcr0) == "$PCR0" ]] || fail "the new enclave attests another PCR0"
expect_exit 3 "$SPOD" keys list
[[ $ERR == *NOT_PROVISIONED* ]] || fail "keys before the custodians: $ERR"

log "a share of another ceremony first: refused, the pod expects its own seal key"
# the database carried over recorded the seal key its keys are sealed under
[[ $(seal_get '[d["ready"], d["shares_present"], d["seal_key_id"]]') == "[false, 0, \"$SEAL_ID\"]" ]] ||
	fail "the new pod does not expect its seal key: $(seal_get 'd')"
run "$SPOD" custodian init --threshold 2 --shares 2 --out "$T_DIR/other"
expect_exit 5 "$SPOD" custodian provision --share "$T_DIR/other/share-1.json" --expect-pcr0 "$PCR0" --root dev
# the custodian's CLI sees the pod's seal key in the attestation document and sends nothing
[[ $ERR == *WRONG_SEAL_KEY* && $ERR == *"sealed under seal key $SEAL_ID"* ]] ||
	fail "a share of another ceremony: $ERR"
[[ $(seal_get '[d["ready"], d["shares_present"]]') == "[false, 0]" ]] || fail "seal status"
run "$SPOD" --json audit tail --limit 20
[[ $(json_get 'sum(r["kind"] in ("key.lost", "key.found") for r in d)' <<<"$OUT") == 0 ]] ||
	fail "keys marked lost or found while waiting: $OUT"

log "two other custodians: every key back"
provision "$T_DIR/shares/share-3.json"
provision "$T_DIR/shares/share-2.json"
wait_until 20 keys_served || fail "keys not served after provisioning the new pod"
[[ $(seal_get 'd["seal_key_id"]') == "$SEAL_ID" ]] || fail "another seal key"
AFTER=$(keys_json)
[[ $AFTER == "$BEFORE" ]] || fail "keys on the new machine: $AFTER, want $BEFORE"
sign_check_all "$AFTER"
run "$SPOD" --json audit tail --limit 100
[[ $(json_get 'sum(r["kind"] in ("key.lost", "key.found") for r in d)' <<<"$OUT") == 0 ]] ||
	fail "keys marked lost or found: $OUT"
run "$SPOD" --json audit verify
log "audit chain: $(json_get 'd["records"]' <<<"$OUT") records, intact"
pod_alive || fail "a daemon died"
log "ok"
