#!/usr/bin/env bash
# Attestation through the real binaries: the enclave's simulated NSM issues documents that
# spod attest verify accepts under the development root and rejects under the AWS root, with
# a wrong nonce, PCR or key, and accepts them under COSE_Sign1's tag 18 as well; an
# independent Python verifier (cbor2 + cryptography) accepts them too; --expect-pcr0 guards
# CLI calls end to end; spod-host admits an enclave only after its attestation verifies;
# the development root survives an enclave restart; and the simulator refuses to run where
# a Nitro device exists unless told explicitly.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

start_pod

run "$SPOD" --json info
[[ $(echo "$OUT" | json_get 'd["nsm"]') == sim ]] || fail "info does not report the sim NSM: $OUT"
run "$SPOD" info
[[ $OUT == *"SIMULATED NSM"* ]] || fail "info text does not say SIMULATED: $OUT"

run "$SPOD" --json keys generate --alg secp256k1
K1=$(echo "$OUT" | json_get 'd["id"]')
K1_PUB=$(echo "$OUT" | json_get 'd["public"]')
run "$SPOD" --json keys generate --alg ed25519
ED=$(echo "$OUT" | json_get 'd["id"]')
ED_PUB=$(echo "$OUT" | json_get 'd["public"]')
NONCE=$(random_hex 32)

run "$SPOD" attest --key "$K1" --nonce "$NONCE" --out "$T_DIR/doc.cbor"
run "$SPOD" attest dev-root
printf '%s\n' "$OUT" >"$T_DIR/dev-root.pem"
grep -q "BEGIN CERTIFICATE" "$T_DIR/dev-root.pem" || fail "dev-root printed no PEM"

log "accepted under the development root with nonce, key binding and freshness"
run "$SPOD" --json attest verify "$T_DIR/doc.cbor" --root "$T_DIR/dev-root.pem" \
	--nonce "$NONCE" --key "$K1" --public "$K1_PUB" --max-age 300
[[ $(echo "$OUT" | json_get 'd["verified"]') == true ]] || fail "not verified: $OUT"
[[ $(echo "$OUT" | json_get 'd["module_id"]') == spod-sim-* ]] || fail "module_id: $OUT"
PCR0=$(echo "$OUT" | json_get 'd["pcrs"]["0"]')
run "$SPOD" attest verify "$T_DIR/doc.cbor" --root dev --pcr "0=$PCR0"

log "rejected: AWS root, wrong nonce, wrong PCR, another key, tampered bytes"
reject() { # STATUS args...: exit 6 and the named failure
	local want=$1
	shift
	expect_exit 6 "$SPOD" --json attest verify "$@"
	[[ $(echo "$OUT" | json_get 'd["status"]') == "$want" ]] || fail "want $want: $OUT"
}
reject BAD_CHAIN "$T_DIR/doc.cbor"
reject BAD_CHAIN "$T_DIR/doc.cbor" --root aws
reject NONCE_MISMATCH "$T_DIR/doc.cbor" --root dev --nonce "$(flip_hex "$NONCE" 3)"
reject PCR_MISMATCH "$T_DIR/doc.cbor" --root dev --pcr "0=$(flip_hex "$PCR0" 47)"
reject PCR_ZERO "$T_DIR/doc.cbor" --root dev --pcr "3=$PCR0"
reject KEY_BINDING "$T_DIR/doc.cbor" --root dev --key "$ED" --public "$ED_PUB"
reject STALE "$T_DIR/doc.cbor" --root dev --max-age 1 --at $(($(date +%s) + 100))
# Any flipped byte and any truncation is a rejection (exit 6), never a crash or a pass.
size=$(stat -c %s "$T_DIR/doc.cbor")
for off in 0 1 7 100 $((size / 3)) $((size / 2)) $((size - 97)) $((size - 50)) $((size - 1)); do
	"$PY" -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[int(sys.argv[3])] ^= 0x40
open(sys.argv[2], "wb").write(b)' "$T_DIR/doc.cbor" "$T_DIR/bad.cbor" "$off"
	expect_exit 6 "$SPOD" attest verify "$T_DIR/bad.cbor" --root dev
done
for len in 1 100 $((size - 1)); do
	head -c "$len" "$T_DIR/doc.cbor" >"$T_DIR/short.cbor"
	expect_exit 6 "$SPOD" attest verify "$T_DIR/short.cbor" --root dev
done

log "under COSE_Sign1's tag 18 (RFC 9052) the document verifies too; under another tag it does not"
{ printf '\xd2'; cat "$T_DIR/doc.cbor"; } >"$T_DIR/tagged.cbor"
run "$SPOD" --json attest verify "$T_DIR/tagged.cbor" --root "$T_DIR/dev-root.pem" \
	--nonce "$NONCE" --key "$K1" --public "$K1_PUB" --pcr "0=$PCR0"
[[ $(echo "$OUT" | json_get 'd["verified"]') == true ]] || fail "tagged not verified: $OUT"
{ printf '\xd9\xd9\xf7'; cat "$T_DIR/doc.cbor"; } >"$T_DIR/self-described.cbor"
reject MALFORMED "$T_DIR/self-described.cbor" --root dev
{ printf '\xd2\xd2'; cat "$T_DIR/doc.cbor"; } >"$T_DIR/tagged-twice.cbor"
reject MALFORMED "$T_DIR/tagged-twice.cbor" --root dev

log "an independent verifier (Python cbor2 + cryptography) accepts the document"
run "$PY" "$SPOD_SRC/tests/interop/verify_attest.py" --root "$T_DIR/dev-root.pem" "$T_DIR/doc.cbor"
expect_exit 1 "$PY" "$SPOD_SRC/tests/interop/verify_attest.py" "$T_DIR/doc.cbor"
run "$PY" "$SPOD_SRC/tests/interop/verify_attest.py" --root "$T_DIR/dev-root.pem" "$T_DIR/tagged.cbor"
expect_exit 1 "$PY" "$SPOD_SRC/tests/interop/verify_attest.py" --root "$T_DIR/dev-root.pem" \
	"$T_DIR/self-described.cbor"

log "--expect-pcr0 guards CLI calls end to end"
run "$SPOD" --expect-pcr0 "$PCR0" --root dev keys public "$K1" --format eth-address
run "$SPOD" --expect-pcr0 "$PCR0" --root dev sign "$K1" --digest "$(random_hex 32)"
expect_exit 6 "$SPOD" --expect-pcr0 "$(flip_hex "$PCR0" 0)" --root dev info
expect_exit 6 "$SPOD" --expect-pcr0 "$PCR0" info # the AWS root does not admit a simulator

log "spod-host admission: admitted with the right PCR0, refused with a wrong one"
H2="$T_DIR/admit.sock"
"$SPOD_HOST" --listen "unix://$H2" --enclave "$ENCLAVE_URI" --http off --expect-pcr "0=$PCR0" \
	--attest-root "$T_DIR/dev-root.pem" >"$T_DIR/host-admit.log" 2>&1 &
H2_PID=$!
H3="$T_DIR/refuse.sock"
"$SPOD_HOST" --listen "unix://$H3" --enclave "$ENCLAVE_URI" --http off --expect-pcr "0=$(flip_hex "$PCR0" 5)" \
	--attest-root "$T_DIR/dev-root.pem" >"$T_DIR/host-refuse.log" 2>&1 &
H3_PID=$!
admitted() { "$SPOD" --uri "unix://$H2" --timeout 2000 info >/dev/null 2>&1; }
wait_until 10 admitted || fail "admitting host never became ready: $(cat "$T_DIR/host-admit.log")"
refused() { grep -q "REFUSED: attestation failed \[PCR_MISMATCH\]" "$T_DIR/host-refuse.log"; }
wait_until 10 refused || fail "refusing host did not log the refusal: $(cat "$T_DIR/host-refuse.log")"
expect_exit 3 "$SPOD" --uri "unix://$H3" info
kill -TERM "$H2_PID" "$H3_PID"
wait "$H2_PID" || fail "admitting host exited uncleanly"
wait "$H3_PID" || fail "refusing host exited uncleanly"

log "the development root survives an enclave restart"
kill -TERM "$ENCLAVE_PID"
wait "$ENCLAVE_PID" || fail "enclave exited uncleanly"
start_enclave
wait_ready
run "$SPOD" attest --nonce "$NONCE" --out "$T_DIR/doc2.cbor"
run "$SPOD" attest verify "$T_DIR/doc2.cbor" --root "$T_DIR/dev-root.pem" --nonce "$NONCE" \
	--pcr "0=$PCR0"

log "the simulator refuses to run where a Nitro device exists, unless told explicitly"
touch "$T_DIR/fake-nsm"
expect_exit 1 "$SPOD_ENCLAVE" --listen "unix://$T_DIR/e2.sock" --nsm sim --nsm-device "$T_DIR/fake-nsm"
[[ $ERR == *"Nitro"* || $ERR == *"nsm"* ]] || fail "no reason given: $ERR"
expect_exit 1 "$SPOD_ENCLAVE" --listen "unix://$T_DIR/e2.sock" --nsm nitro --nsm-device "$T_DIR/none"
"$SPOD_ENCLAVE" --listen "unix://$T_DIR/e2.sock" --nsm sim --nsm-device "$T_DIR/fake-nsm" \
	--allow-sim-with-nsm >"$T_DIR/e2.log" 2>&1 &
E2_PID=$!
e2_up() { "$SPOD" --uri "unix://$T_DIR/e2.sock" --timeout 2000 --json info >"$T_DIR/e2.json" 2>/dev/null; }
wait_until 10 e2_up || fail "--allow-sim-with-nsm did not start: $(cat "$T_DIR/e2.log")"
[[ $(json_get 'd["nsm"]' <"$T_DIR/e2.json") == sim ]] || fail "not the simulator: $(cat "$T_DIR/e2.json")"
kill -TERM "$E2_PID"
wait "$E2_PID" || fail "second enclave exited uncleanly"
pod_alive || fail "a daemon died"
log "ok"
