#!/usr/bin/env bash
# The provisioning envelope from outside spod: tests/integration/provision_wire.py implements
# src/crypto/envelope.h again in Python (cryptography's X25519 + HKDF-SHA256, pycryptodome's
# XChaCha20-Poly1305), checks each attestation document as a custodian would, and talks the
# wire protocol to spod-host by hand (see its docstring for the cases: interop, the envelope's
# purpose, replays, unknown and forgotten nonces, the wrong recipient, every single-byte
# change and truncation, payloads the enclave refuses, key.load and seal.setup FORBIDDEN).
# Here: a custodian-mode pod provisioned with the CLI; afterwards the keys the Python client
# imported sign through the CLI (RFC 8032 TEST 1 gives its exact signature), are recorded
# with their sealed blobs and audited, and come back after an enclave restart.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

run "$SPOD" custodian init --threshold 2 --shares 3 --out "$T_DIR/shares"
start_pod --seal custodians
PCR0=$(pod_pcr0)
provision "$T_DIR/shares/share-3.json"
provision "$T_DIR/shares/share-2.json"
wait_until 20 keys_served || fail "keys not served after provisioning"
run "$SPOD" attest dev-root
printf '%s\n' "$OUT" >"$T_DIR/dev-root.pem"
run "$SPOD" --json keys generate --alg secp256k1 --label cli-made

run "$PY" "$SPOD_SRC/tests/integration/provision_wire.py" "${HOST_URI#unix://}" "$SPOD_SRC" \
	"$PCR0" "$T_DIR/dev-root.pem" "$T_DIR/imported.json"
log "$OUT"
IMPORTED=$(<"$T_DIR/imported.json")
# RFC 8032 TEST 1, RFC 6979 P-256, and the random key imported through the 1023-old nonce
[[ $(json_get '[len(d), sorted(k["public_key"][:8] for k in d if k["label"])]' <<<"$IMPORTED") == '[3, ["0460fed4", "d75a9801"]]' ]] ||
	fail "imported: $IMPORTED"
ED=$(json_get '[k["id"] for k in d if k["label"] == "py-import"][0]' <<<"$IMPORTED")
: >"$T_DIR/empty"
rfc8032_test1() {
	run "$SPOD" sign "$ED" --message-file "$T_DIR/empty"
	[[ $(head -n1 <<<"$OUT") == e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b ]] ||
		fail "RFC 8032 TEST 1 signature of the Python-imported key: $OUT"
}
rfc8032_test1
KEYS=$(keys_json)
[[ $(json_get 'len(d)' <<<"$KEYS") == 4 ]] || fail "keys: $KEYS"
sign_check_all "$KEYS"
"$PY" - "$T_DIR/spod.db" "$IMPORTED" <<'PY' || fail "the imported keys are not recorded with their blobs"
import json, sqlite3, sys
con = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
for k in json.loads(sys.argv[2]):
    row = con.execute("SELECT k.public_key, k.label, length(b.blob) FROM keys k JOIN sealed_blobs b"
                      " ON b.key_id = k.id WHERE k.id = ?", (bytes.fromhex(k["id"]),)).fetchone()
    assert row and row[0].hex() == k["public_key"] and row[1] == k["label"] and row[2] > 100, (k, row)
PY
run "$SPOD" --json audit tail --limit 1000
printf '%s\n' "$OUT" >"$T_DIR/audit.json"
run "$PY" - "$T_DIR/audit.json" <<'PY'
import json, sys
recs = json.load(open(sys.argv[1]))
imp = [r for r in recs if r["kind"] == "key.import"]
ok = [r for r in imp if r["result"] == "OK"]
assert len(ok) == 3, ok
assert {r["result"] for r in imp} >= {"OK", "REPLAYED", "BAD_FIELD", "BAD_KEY"}, {r["result"] for r in imp}
# a refusal says why (the enclave's reason), an import names its key
assert any("used already" in (r["detail"] or "") for r in imp if r["result"] == "REPLAYED"), imp[:5]
assert any("out of range" in (r["detail"] or "") for r in imp if r["result"] == "BAD_KEY"), imp[-12:]
assert {r["detail"] for r in ok} == {"alg=ed25519 label=py-import", "alg=ed25519", "alg=p256 label=py-flip"}, ok
shares = [r for r in recs if r["kind"] == "custodian.share"]
assert any(r["result"] == "BAD_FIELD" for r in shares), shares
print(f"{len(imp)} key.import records, {len(shares)} custodian.share records")
PY
log "audit: $OUT"

log "the Python-imported keys survive an enclave restart"
kill9_enclave
start_enclave
wait_until 30 seal_waiting || fail "the new enclave boot is not waiting"
provision "$T_DIR/shares/share-1.json"
provision "$T_DIR/shares/share-2.json"
wait_until 20 keys_served || fail "keys not served after the restart"
[[ $(keys_json) == "$KEYS" ]] || fail "keys after the restart: $(keys_json), want $KEYS"
rfc8032_test1
sign_check_all "$KEYS"
run "$SPOD" audit verify
pod_alive || fail "a daemon died"
log "ok"
