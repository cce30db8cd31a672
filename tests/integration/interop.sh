#!/usr/bin/env bash
# Interoperability: signatures made by the pod are verified by implementations other than
# the ones spod signs with: the OpenSSL command line (Ed25519 over the raw message, P-256 and
# secp256k1 over a DER signature), Python `cryptography` for all three algorithms, and for
# secp256k1 key recovery with python-ecdsa, low-S, the recovery id and the Ethereum address
# with its EIP-55 checksum (tests/interop/verify.py).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

VERIFY=("$PY" "$SPOD_SRC/tests/interop/verify.py")
W=$T_DIR/work
mkdir -p "$W"

# The independent verifier must itself pass published vectors before it judges spod.
run "${VERIFY[@]}" --self-test

start_pod

hex2bin() { perl -e 'print pack("H*", $ARGV[0])' "$1"; }
bin2hex() { od -An -tx1 -v "$1" | tr -d ' \n'; }
# r||s (hex) -> DER ECDSA-Sig-Value, written without any crypto library.
rs2der() {
	$PY -c '
import sys
sig = bytes.fromhex(sys.argv[1])
def integer(b):
    b = b.lstrip(b"\0") or b"\0"
    if b[0] & 0x80:
        b = b"\0" + b
    return b"\x02" + bytes([len(b)]) + b
body = integer(sig[:32]) + integer(sig[32:])
sys.stdout.buffer.write(b"\x30" + bytes([len(body)]) + body)
' "$1"
}
keccak_file() {
	$PY -c 'import sys; from Cryptodome.Hash import keccak
print(keccak.new(digest_bits=256, data=open(sys.argv[1], "rb").read()).hexdigest())' "$1"
}

gen_key() { # ALG -> sets KID, KPUB, writes $W/ALG.pem
	run "$SPOD" --json keys generate --alg "$1"
	KID=$(echo "$OUT" | json_get 'd["id"]')
	KPUB=$(echo "$OUT" | json_get 'd["public"]')
	run "$SPOD" keys public "$KID" --format pem
	echo "$OUT" >"$W/$1.pem"
	# OpenSSL reads the PEM and finds the same key in it.
	local der
	der=$(openssl pkey -pubin -in "$W/$1.pem" -outform DER | od -An -tx1 -v | tr -d ' \n')
	[[ $der == *"$KPUB" ]] || fail "$1 PEM does not hold $KPUB"
}

# Messages: empty, 1 byte, short, a few KiB, and the 64 KiB maximum.
msg_files=()
for size in 0 1 32 100 4097 65536; do
	f=$W/msg.$size
	head -c "$size" /dev/urandom >"$f"
	msg_files+=("$f")
done
BATCH=$W/python.batch
: >"$BATCH"

# ---------------- Ed25519 ----------------
gen_key ed25519
ED_ID=$KID ED_PUB=$KPUB
openssl pkey -pubin -in "$W/ed25519.pem" -noout -text | grep -q ED25519 ||
	fail "OpenSSL does not see an Ed25519 key"
for f in "${msg_files[@]}"; do
	run "$SPOD" sign "$ED_ID" --message-file "$f"
	sig=$OUT
	echo "ed25519 $ED_PUB raw @$f $sig -" >>"$BATCH"
	# openssl pkeyutl cannot read an empty -rawin file; Python checks that one.
	[[ -s $f ]] || continue
	hex2bin "$sig" >"$W/sig.bin"
	run openssl pkeyutl -verify -pubin -inkey "$W/ed25519.pem" -rawin -in "$f" \
		-sigfile "$W/sig.bin"
	[[ $OUT == *"Signature Verified Successfully"* ]] || fail "openssl ed25519: $OUT"
	hex2bin "$(flip_hex "$sig" 17)" >"$W/bad.bin"
	expect_exit 1 openssl pkeyutl -verify -pubin -inkey "$W/ed25519.pem" -rawin -in "$f" \
		-sigfile "$W/bad.bin"
done
log "ed25519: OpenSSL verified $((${#msg_files[@]} - 1)) signatures"

# ---------------- P-256 and secp256k1 through OpenSSL ----------------
for alg in p256 secp256k1; do
	gen_key "$alg"
	id=$KID pub=$KPUB
	eval "${alg^^}_ID=\$id ${alg^^}_PUB=\$pub"
	curve=$([[ $alg == p256 ]] && echo prime256v1 || echo secp256k1)
	openssl pkey -pubin -in "$W/$alg.pem" -noout -text | grep -q "$curve" ||
		fail "OpenSSL does not see a $curve key"
	for f in "${msg_files[@]}"; do
		# --hash sha256: OpenSSL hashes the message itself.
		run "$SPOD" --json sign "$id" --message-file "$f" --hash sha256
		sig=$(echo "$OUT" | json_get 'd["signature"]')
		recid=$(echo "$OUT" | json_get 'd.get("recid", "-")')
		rs2der "$sig" >"$W/sig.der"
		run openssl dgst -sha256 -verify "$W/$alg.pem" -signature "$W/sig.der" "$f"
		[[ $OUT == "Verified OK" ]] || fail "openssl $alg sha256: $OUT"
		rs2der "$(flip_hex "$sig" 45)" >"$W/bad.der"
		expect_exit 1 openssl dgst -sha256 -verify "$W/$alg.pem" -signature "$W/bad.der" "$f"
		echo "$alg $pub sha256 @$f $sig $recid" >>"$BATCH"

		# --hash keccak256: OpenSSL verifies over the Keccak-256 digest.
		run "$SPOD" --json sign "$id" --message-file "$f" --hash keccak256
		sig=$(echo "$OUT" | json_get 'd["signature"]')
		recid=$(echo "$OUT" | json_get 'd.get("recid", "-")')
		rs2der "$sig" >"$W/sig.der"
		hex2bin "$(keccak_file "$f")" >"$W/digest.bin"
		run openssl pkeyutl -verify -pubin -inkey "$W/$alg.pem" -in "$W/digest.bin" \
			-sigfile "$W/sig.der"
		[[ $OUT == *"Signature Verified Successfully"* ]] || fail "openssl $alg keccak: $OUT"
		echo "$alg $pub keccak256 @$f $sig $recid" >>"$BATCH"
	done
	# --digest: the caller's 32 bytes are signed as given.
	for i in 1 2 3 4; do
		digest=$(random_hex 32)
		run "$SPOD" --json sign "$id" --digest "$digest"
		sig=$(echo "$OUT" | json_get 'd["signature"]')
		recid=$(echo "$OUT" | json_get 'd.get("recid", "-")')
		hex2bin "$digest" >"$W/digest.bin"
		rs2der "$sig" >"$W/sig.der"
		run openssl pkeyutl -verify -pubin -inkey "$W/$alg.pem" -in "$W/digest.bin" \
			-sigfile "$W/sig.der"
		hex2bin "$(flip_hex "$digest" $((i * 7)))" >"$W/digest.bin"
		expect_exit 1 openssl pkeyutl -verify -pubin -inkey "$W/$alg.pem" \
			-in "$W/digest.bin" -sigfile "$W/sig.der"
		echo "$alg $pub digest $digest $sig $recid" >>"$BATCH"
	done
	log "$alg: OpenSSL verified $((2 * ${#msg_files[@]} + 4)) signatures"
done

# ---------------- secp256k1: recovery, recid, low-S, Ethereum address ----------------
run "$SPOD" keys public "$SECP256K1_ID" --format eth-address
ETH=$OUT
[[ $ETH =~ ^0x[0-9a-fA-F]{40}$ ]] || fail "eth-address '$ETH'"
# Every secp256k1 line carries the address: verify.py recovers the key with the recid,
# derives the address, and compares it case-insensitively and with its EIP-55 casing.
sed -i -E "s/^(secp256k1 .*)\$/\\1 $ETH/" "$BATCH"
declare -A seen_recid=()
for i in $(seq 1 32); do
	msg=$(random_hex $((i * 3)))
	if ((i % 2)); then mode=keccak256; else mode=sha256; fi
	run "$SPOD" --json sign "$SECP256K1_ID" --message "$msg" --hash "$mode"
	sig=$(echo "$OUT" | json_get 'd["signature"]')
	recid=$(echo "$OUT" | json_get 'd["recid"]')
	v=$(echo "$OUT" | json_get 'd["v"]')
	((v == 27 + recid)) || fail "v $v for recid $recid"
	seen_recid[$recid]=1
	echo "secp256k1 $SECP256K1_PUB $mode $msg $sig $recid $ETH" >>"$BATCH"
done
# Both parities occur (probability of a false failure: 2^-31 over 32 signatures).
[[ -n ${seen_recid[0]:-} && -n ${seen_recid[1]:-} ]] ||
	fail "recid never varied over 32 signatures: ${!seen_recid[*]}"

# A single call with the eth-address, as a person would run it.
run "$SPOD" --json sign "$SECP256K1_ID" --message 68656c6c6f --hash keccak256
sig=$(echo "$OUT" | json_get 'd["signature"]')
recid=$(echo "$OUT" | json_get 'd["recid"]')
run "${VERIFY[@]}" secp256k1 "$SECP256K1_PUB" keccak256 68656c6c6f "$sig" "$recid" \
	--eth-address "$ETH"
echo "$OUT" | $PY -c '
import json, sys
d = json.load(sys.stdin)
assert d["valid"] and d["low_s"] and d["recid_ok"] and d["address_matches"], d
assert d["address_checksum_ok"] and d["recovered_address"] == sys.argv[1], d
' "$ETH" || fail "secp256k1 single check: $OUT"
# The wrong recid, a wrong-case address and a tampered signature are all caught.
expect_exit 1 "${VERIFY[@]}" secp256k1 "$SECP256K1_PUB" keccak256 68656c6c6f "$sig" \
	$((recid ^ 1)) --eth-address "$ETH"
expect_exit 1 "${VERIFY[@]}" secp256k1 "$SECP256K1_PUB" keccak256 68656c6c6f "$sig" \
	"$recid" --eth-address "${ETH,,}"
expect_exit 1 "${VERIFY[@]}" secp256k1 "$SECP256K1_PUB" keccak256 68656c6c6f \
	"$(flip_hex "$sig" 20)" "$recid"
expect_exit 1 "${VERIFY[@]}" ed25519 "$ED_PUB" raw 00 "${sig}"

# ---------------- Python `cryptography` over everything ----------------
run "${VERIFY[@]}" --batch "$BATCH"
checked=$(echo "$OUT" | tail -n1 | json_get 'd["checked"]')
[[ $checked == "$(wc -l <"$BATCH")" ]] || fail "python checked $checked lines: $OUT"
log "python cryptography/ecdsa verified $checked signatures"

# A message one byte over the limit is refused by the CLI.
head -c 65537 /dev/urandom >"$W/toolarge"
expect_exit 2 "$SPOD" sign "$ED_ID" --message-file "$W/toolarge"

pod_alive || fail "a daemon died"
