#!/usr/bin/env bash
# `spod keys import` end to end (docs/keys.md): a private key from a file goes to the enclave
# only encrypted to the provisioning key of a freshly attested document. Known keys in every
# format come out with their known public keys and sign as those keys: hex (RFC 8032 TEST 2,
# the Web3 Secret Storage secret, RFC 6979 A.2.5's P-256 key), PEM made by `openssl genpkey`
# (Ed25519, secp256k1, P-256: the public key equals `openssl pkey -pubout`), the Web3 Secret
# Storage Definition's PBKDF2 keystore (read from tests/unit/test_keyfile.c: its address) and
# RFC 8032 TEST 1 as a Solana keypair (its public key and its exact signature); signatures are
# checked by tests/interop/verify.py (Python cryptography, ecdsa, pycryptodome). In ephemeral
# mode the CLI warns. Refusals send nothing or leave nothing behind: a wrong --expect-pcr0
# (exit 6, no key.import reaches spod-host), a wrong passphrase (exit 6, said clearly), zero
# and out-of-range scalars (the parser's BAD_KEY, exit 2), a label a live key has
# (LABEL_TAKEN, exit 5, and the enclave drops the key it made: key count unchanged, no record).
# Then the same database under a custodian-mode pod: imports wait for the custodians
# (NOT_PROVISIONED), then work without the warning and survive an enclave restart with their
# ids, public keys and labels; the ephemeral imports are recorded as lost (another seal key).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

VERIFY=$SPOD_SRC/tests/interop/verify.py
K=$T_DIR/keyfiles
mkdir -m 700 "$K"

start_pod
URL=$(http_url)
metric() { "$PY" "$SPOD_SRC/tests/integration/http_api.py" metric "$URL" "$SPOD_SRC" "$1"; }
# key.import requests that reached spod-host, whatever their outcome
imports_seen() {
	"$PY" - "$URL" <<'PY'
import re, sys, urllib.request
text = urllib.request.urlopen(sys.argv[1] + "/metrics", timeout=10).read().decode()
print(sum(int(v) for v in re.findall(r'^spod_requests_total\{op="key\.import",[^}]*\} (\d+)$',
                                     text, re.M)))
PY
}
key_count() { "$SPOD" --json info | json_get 'd["keys"]'; }
db_keys() { "$PY" -c 'import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' "$T_DIR/spod.db" "$1"; }
PCR0=$(pod_pcr0)

# import_key FILE ARGS...: imports FILE; sets ID, PUB (hex), LABEL and keeps the key's JSON.
import_key() {
	run "$SPOD" --json keys import --key-file "$1" --expect-pcr0 "$PCR0" --root dev "${@:2}"
	ID=$(json_get 'd["id"]' <<<"$OUT")
	PUB=$(json_get 'd["public_key"]' <<<"$OUT")
	[[ $ID =~ ^[0-9a-f]{32}$ ]] || fail "import of $1: $OUT"
}
# verified ALG MODE DATA_HEX [ARGS]: signs DATA with $ID in MODE and checks it with verify.py
# against $PUB. Sets SIG.
verified() {
	local alg=$1 mode=$2 data=$3 args=()
	case $mode in
	raw) args=(--message "$data") ;;
	sha256 | keccak256) args=(--message "$data" --hash "$mode") ;;
	digest) args=(--digest "$data") ;;
	esac
	run "$SPOD" --json sign "$ID" "${args[@]}"
	SIG=$(json_get 'd["signature"]' <<<"$OUT")
	local recid
	recid=$(json_get 'd.get("recid")' <<<"$OUT")
	[[ $recid == null ]] && recid=""
	run "$PY" "$VERIFY" "$alg" "$PUB" "$mode" "$data" "$SIG" ${recid:+"$recid"} "${@:4}"
}

log "hex: RFC 8032 TEST 2, the Web3 Secret Storage secret, RFC 6979 A.2.5"
echo 4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb >"$K/ed.hex"
import_key "$K/ed.hex" --alg ed25519 --label rfc8032-2
[[ $ERR == *WARNING*"ephemeral mode"* ]] || fail "no warning in ephemeral mode: $ERR"
[[ $PUB == 3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c ]] || fail "RFC 8032 TEST 2 public key: $PUB"
verified ed25519 raw 72
[[ $SIG == 92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00 ]] ||
	fail "RFC 8032 TEST 2 signature: $SIG"
ETH_SECRET=7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d
ETH_ADDRESS=008aeeda4d805471df9b2a5b0f38a0c3bcba786b
echo "0x$ETH_SECRET" >"$K/eth.hex"
import_key "$K/eth.hex" --alg secp256k1
ETH_PUB=$PUB
run "$SPOD" keys public "$ID" --format eth-address
[[ ${OUT,,} == "0x$ETH_ADDRESS" ]] || fail "eth address of the hex key: $OUT"
verified secp256k1 keccak256 "$(random_hex 50)" --eth-address "$OUT"
echo C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721 >"$K/p256.hex"
import_key "$K/p256.hex" --alg p256
[[ $PUB == 0460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299 ]] ||
	fail "RFC 6979 A.2.5 public key: $PUB"
verified p256 sha256 "$(printf sample | od -An -tx1 | tr -d ' \n')"
verified p256 digest "$(random_hex 32)"

log "PEM from openssl genpkey: Ed25519, secp256k1, P-256"
for alg in ed25519 secp256k1 p256; do
	case $alg in
	ed25519) gen=(-algorithm ed25519) mode=raw n=32 ;;
	secp256k1) gen=(-algorithm EC -pkeyopt ec_paramgen_curve:secp256k1) mode=keccak256 n=65 ;;
	p256) gen=(-algorithm EC -pkeyopt ec_paramgen_curve:P-256) mode=sha256 n=65 ;;
	esac
	openssl genpkey "${gen[@]}" -out "$K/$alg.pem" 2>/dev/null || fail "openssl genpkey $alg"
	openssl pkey -in "$K/$alg.pem" -pubout -out "$K/$alg.pub.pem" || fail "openssl pkey -pubout"
	OSSL_PUB=$(openssl pkey -pubin -in "$K/$alg.pub.pem" -outform DER | od -An -tx1 -v | tr -d ' \n' | tail -c $((2 * n)))
	import_key "$K/$alg.pem" --label "pem-$alg"
	[[ $(json_get 'd["alg"]' <<<"$OUT") == "$alg" ]] || fail "PEM $alg detected as: $OUT"
	[[ $PUB == "$OSSL_PUB" ]] || fail "PEM $alg: public key $PUB, openssl says $OSSL_PUB"
	run "$SPOD" keys public "$ID" --format pem
	[[ $OUT == "$(<"$K/$alg.pub.pem")" ]] || fail "PEM $alg: spod's PEM differs from openssl's"
	verified "$alg" "$mode" "$(random_hex 33)"
done

log "Ethereum keystore v3: the Web3 Secret Storage Definition's PBKDF2 vector"
"$PY" - "$SPOD_SRC/tests/unit/test_keyfile.c" "$K/keystore.json" <<'PY' || fail "no spec_pbkdf2 in test_keyfile.c"
import codecs, re, sys
src = open(sys.argv[1]).read()
m = re.search(r'static const char spec_pbkdf2\[\] =\s*((?:"(?:[^"\\]|\\.)*"\s*)+);', src)
text = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1)))
open(sys.argv[2], "w").write(codecs.decode(text, "unicode_escape"))
PY
grep -q '"c": 262144' "$K/keystore.json" || fail "not the spec's PBKDF2 file"
echo testpassword >"$K/pass"
echo testpassworD >"$K/wrong-pass"
SEEN=$(imports_seen)
COUNT=$(key_count)
expect_exit 6 "$SPOD" keys import --key-file "$K/keystore.json" --passphrase-file "$K/wrong-pass" \
	--expect-pcr0 "$PCR0" --root dev
[[ $ERR == *"wrong passphrase"* ]] || fail "wrong passphrase not said clearly: $ERR"
import_key "$K/keystore.json" --passphrase-file "$K/pass" --label spec-keystore
[[ $PUB == "$ETH_PUB" ]] || fail "the keystore holds another key than the spec's secret"
run "$SPOD" keys public "$ID" --format eth-address
[[ ${OUT,,} == "0x$ETH_ADDRESS" ]] || fail "keystore address $OUT, want $ETH_ADDRESS"
verified secp256k1 keccak256 "$(random_hex 40)" --eth-address "$OUT"
# the passphrase from standard input when no file is named
"$SPOD" --json keys import --key-file "$K/keystore.json" --expect-pcr0 "$PCR0" --root dev \
	<"$K/pass" >"$T_DIR/stdin.out" 2>"$T_DIR/stdin.err" || fail "passphrase on stdin: $(<"$T_DIR/stdin.err")"
[[ $(json_get 'd["public_key"]' <"$T_DIR/stdin.out") == "$ETH_PUB" ]] || fail "passphrase on stdin"

log "Solana keypair: RFC 8032 TEST 1 as 64 integers"
"$PY" -c 'import json, sys
print(json.dumps(list(bytes.fromhex(sys.argv[1]))))' \
	9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a \
	>"$K/solana.json"
import_key "$K/solana.json" --format solana-keypair
[[ $PUB == d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a ]] || fail "Solana public key $PUB"
: >"$K/empty"
run "$SPOD" sign "$ID" --message-file "$K/empty"
[[ $(head -n1 <<<"$OUT") == e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b ]] ||
	fail "RFC 8032 TEST 1 signature: $OUT"
# a keypair whose public half is not its secret's
"$PY" -c 'import json; print(json.dumps([7] * 32 + [9] * 32))' >"$K/solana-bad.json"
expect_exit 2 "$SPOD" keys import --key-file "$K/solana-bad.json" --expect-pcr0 "$PCR0" --root dev
log "solana keypair with a foreign public half: $ERR"

log "refusals that send nothing"
[[ $(imports_seen) == "$((SEEN + 3))" ]] || fail "key.import requests: $(imports_seen), want $((SEEN + 3))"
SEEN=$(imports_seen)
COUNT=$(key_count)
expect_exit 6 "$SPOD" keys import --key-file "$K/ed.hex" --alg ed25519 \
	--expect-pcr0 "$(flip_hex "$PCR0" 47)" --root dev
[[ $ERR == *PCR_MISMATCH* ]] || fail "wrong PCR0: $ERR"
expect_exit 2 "$SPOD" keys import --key-file "$K/ed.hex" --alg ed25519
for bad in "0000000000000000000000000000000000000000000000000000000000000000 secp256k1" \
	"0000000000000000000000000000000000000000000000000000000000000000 p256" \
	"FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141 secp256k1" \
	"FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364142 secp256k1" \
	"FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551 p256" \
	"FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF p256"; do
	echo "${bad% *}" >"$K/bad.hex"
	expect_exit 2 "$SPOD" keys import --key-file "$K/bad.hex" --alg "${bad#* }" \
		--expect-pcr0 "$PCR0" --root dev
	[[ $ERR == *"out of range"* ]] || fail "scalar ${bad% *} (${bad#* }): $ERR"
done
[[ $(imports_seen) == "$SEEN" ]] || fail "a refused import reached spod-host"
[[ $(key_count) == "$COUNT" ]] || fail "key count changed by refused imports"

log "a label a live key has: LABEL_TAKEN, and no orphan key in the enclave"
run "$SPOD" --json keys generate --alg ed25519 --label taken
COUNT=$(key_count)
ROWS=$(db_keys "SELECT count(*) FROM keys")
BLOBS=$(db_keys "SELECT count(*) FROM sealed_blobs")
expect_exit 5 "$SPOD" keys import --key-file "$K/p256.hex" --alg p256 --label taken \
	--expect-pcr0 "$PCR0" --root dev
[[ $ERR == *LABEL_TAKEN* ]] || fail "duplicate label: $ERR"
count_is() { [[ $(key_count) == "$1" ]]; }
wait_until 10 count_is "$COUNT" || fail "the enclave keeps the key it imported: $(key_count) keys, want $COUNT"
[[ $(db_keys "SELECT count(*) FROM keys") == "$ROWS" ]] || fail "a record of the refused import"
[[ $(db_keys "SELECT count(*) FROM sealed_blobs") == "$BLOBS" ]] || fail "a blob of the refused import"
run "$SPOD" --json audit tail --limit 5
[[ $(json_get '[r["result"] for r in d if r["kind"] == "key.import"][-1]' <<<"$OUT") == LABEL_TAKEN ]] ||
	fail "the refused import is not audited: $OUT"
EPHEMERAL_KEYS=$(keys_json)
run "$SPOD" --json audit tail --limit 100
IMPORTED=$(json_get 'sum(r["kind"] == "key.import" and r["result"] == "OK" for r in d)' <<<"$OUT")
((IMPORTED == 9)) || fail "$IMPORTED key.import records, want 9"

log "custodian mode, same database: imports wait for the custodians, then survive a restart"
stop_daemon "$HOST_PID" spod-host || fail "spod-host exited uncleanly"
stop_daemon "$ENCLAVE_PID" spod-enclave || fail "spod-enclave exited uncleanly"
HOST_PID="" ENCLAVE_PID=""
run "$SPOD" custodian init --threshold 2 --shares 3 --out "$T_DIR/shares"
start_pod --seal custodians
URL=$(http_url)
[[ $(pod_pcr0) == "$PCR0" ]] || fail "another PCR0"
expect_exit 3 "$SPOD" keys import --key-file "$K/ed.hex" --alg ed25519 --expect-pcr0 "$PCR0" --root dev
[[ $ERR == *NOT_PROVISIONED* ]] || fail "import before the custodians: $ERR"
provision "$T_DIR/shares/share-1.json"
provision "$T_DIR/shares/share-3.json"
wait_until 20 keys_served || fail "keys not served after provisioning"
# the ephemeral boot's keys are gone: sealed under another seal key
run "$SPOD" --json audit tail --limit 100
[[ $(json_get 'sum(r["kind"] == "key.lost" and "another seal key" in r["detail"] for r in d)' <<<"$OUT") == \
	"$(json_get 'len(d)' <<<"$EPHEMERAL_KEYS")" ]] || fail "ephemeral keys not recorded as lost: $OUT"
[[ $(keys_json) == "[]" ]] || fail "keys of the ephemeral boot still listed: $(keys_json)"
import_key "$K/ed.hex" --alg ed25519 --label rfc8032-2
[[ $ERR != *WARNING* ]] || fail "a warning in custodian mode: $ERR"
import_key "$K/keystore.json" --passphrase-file "$K/pass" --label spec-keystore
import_key "$K/p256.pem" --label pem-p256
import_key "$K/solana.json"
import_key "$K/secp256k1.pem"
BEFORE=$(keys_json)
sign_check_all "$BEFORE"
[[ $(db_keys "SELECT count(*) FROM sealed_blobs b JOIN keys k ON k.id = b.key_id WHERE k.lost_ms IS NULL AND k.deleted_ms IS NULL") == 5 ]] ||
	fail "the imported keys are not stored with their sealed blobs"
kill9_enclave
start_enclave
wait_until 30 seal_waiting || fail "the new enclave boot is not waiting"
provision "$T_DIR/shares/share-2.json"
provision "$T_DIR/shares/share-1.json"
wait_until 20 keys_served || fail "keys not served after the restart"
[[ $(keys_json) == "$BEFORE" ]] || fail "imported keys after the restart: $(keys_json), want $BEFORE"
sign_check_all "$BEFORE"
ID=$(json_get '[k["id"] for k in d if k["public_key"].startswith("d75a98")][0]' <<<"$BEFORE")
run "$SPOD" sign "$ID" --message-file "$K/empty"
[[ $(head -n1 <<<"$OUT") == e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b ]] ||
	fail "RFC 8032 TEST 1 after the restart: $OUT"
ID=$(json_get '[k["id"] for k in d if k["label"] == "spec-keystore"][0]' <<<"$BEFORE")
run "$SPOD" keys public "$ID" --format eth-address
[[ ${OUT,,} == "0x$ETH_ADDRESS" ]] || fail "keystore address after the restart: $OUT"
run "$SPOD" audit verify
pod_alive || fail "a daemon died"
log "ok"
