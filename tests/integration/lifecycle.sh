#!/usr/bin/env bash
# Key lifecycle through the spod CLI for every algorithm: generate, list, public (hex, pem,
# eth-address), sign in every mode, verify, --json output, delete; plus the CLI's error
# paths and their documented exit codes (src/common/err.c).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

start_pod

key_count() { "$SPOD" --json info | json_get 'd["keys"]'; }

# keccak256 / sha256 of hex data, computed outside spod.
keccak_hex() {
	$PY -c 'import sys; from Cryptodome.Hash import keccak
print(keccak.new(digest_bits=256, data=bytes.fromhex(sys.argv[1])).hexdigest())' "$1"
}
sha256_hex() {
	$PY -c 'import sys, hashlib; print(hashlib.sha256(bytes.fromhex(sys.argv[1])).hexdigest())' "$1"
}

# ---- info ----
run "$SPOD" info
[[ $OUT == *"wire protocol v1"* ]] || fail "info text lacks the protocol: $OUT"
[[ $OUT == *EPHEMERAL* ]] || fail "info does not report ephemeral mode: $OUT"
run "$SPOD" --json info
echo "$OUT" | $PY -c '
import json, sys
d = json.load(sys.stdin)
assert d["protocol"] == 1, d
assert sorted(d["algorithms"]) == ["ed25519", "p256", "secp256k1"], d
assert d["keys"] == 0 and d["capacity"] > 0 and d["ephemeral"] is True, d
' || fail "info --json: $OUT"
# Default URI: unix://$SPOD_DATA_DIR/spod.sock when neither --uri nor SPOD_URI is given.
expect_exit 0 env -u SPOD_URI "$SPOD" info
# --uri wins over SPOD_URI.
expect_exit 0 env SPOD_URI="unix://$T_DIR/nope.sock" "$SPOD" --uri "$HOST_URI" info

n0=$(key_count)
((n0 == 0)) || fail "fresh pod has $n0 keys"

MSG=$(random_hex 100)
printf 'a message from a file\n\x00\xff binary too' >"$T_DIR/msg.bin"
MSGFILE_HEX=$(od -An -tx1 -v "$T_DIR/msg.bin" | tr -d ' \n')
DIGEST=$(random_hex 32)

for alg in ed25519 secp256k1 p256; do
	log "lifecycle $alg"
	before=$(key_count)

	# generate (text and --json)
	run "$SPOD" --json keys generate --alg "$alg"
	id=$(echo "$OUT" | json_get 'd["id"]')
	pub=$(echo "$OUT" | json_get 'd["public"]')
	[[ $(echo "$OUT" | json_get 'd["alg"]') == "$alg" ]] || fail "generate --json alg: $OUT"
	[[ $id =~ ^[0-9a-f]{32}$ ]] || fail "bad key id '$id'"
	if [[ $alg == ed25519 ]]; then
		[[ $pub =~ ^[0-9a-f]{64}$ ]] || fail "ed25519 public key '$pub'"
	else
		[[ $pub =~ ^04[0-9a-f]{128}$ ]] || fail "$alg public key '$pub'"
	fi
	(($(key_count) == before + 1)) || fail "info key count did not go up after generate"

	run "$SPOD" keys generate --alg "$alg"
	read -r id2 alg2 pub2 <<<"$OUT"
	[[ $id2 =~ ^[0-9a-f]{32}$ && $alg2 == "$alg" && $id2 != "$id" && $pub2 != "$pub" ]] ||
		fail "second generate: $OUT"
	(($(key_count) == before + 2)) || fail "info key count after two generates"

	# list (text and --json)
	run "$SPOD" keys list
	grep -qx "$id  $(printf '%-9s' "$alg")  $pub" <<<"$OUT" || fail "keys list lacks $id: $OUT"
	run "$SPOD" --json keys list
	echo "$OUT" | $PY -c '
import json, sys
keys = {k["id"]: k for k in json.load(sys.stdin)}
k = keys[sys.argv[1]]
assert k["alg"] == sys.argv[2] and k["public"] == sys.argv[3], k
assert sys.argv[4] in keys
' "$id" "$alg" "$pub" "$id2" || fail "keys list --json: $OUT"

	# public: hex, pem, json, eth-address
	run "$SPOD" keys public "$id"
	[[ $OUT == "$pub" ]] || fail "keys public hex '$OUT' != '$pub'"
	run "$SPOD" keys public "$id" --format hex
	[[ $OUT == "$pub" ]] || fail "keys public --format hex"
	run "$SPOD" keys public "$id" --format pem
	[[ $OUT == "-----BEGIN PUBLIC KEY-----"*"-----END PUBLIC KEY-----" ]] || fail "pem: $OUT"
	echo "$OUT" >"$T_DIR/$alg.pem"
	# The PEM holds the same key: its DER ends with the raw public key.
	der_tail=$(openssl pkey -pubin -in "$T_DIR/$alg.pem" -outform DER | od -An -tx1 -v | tr -d ' \n')
	[[ $der_tail == *"$pub" ]] || fail "PEM does not encode $pub"
	run "$SPOD" --json keys public "$id" --format pem
	[[ $(echo "$OUT" | json_get 'd["public"]') == "$(cat "$T_DIR/$alg.pem")" ]] ||
		fail "keys public --json --format pem: $OUT"
	if [[ $alg == secp256k1 ]]; then
		run "$SPOD" keys public "$id" --format eth-address
		[[ $OUT =~ ^0x[0-9a-fA-F]{40}$ ]] || fail "eth-address '$OUT'"
		want=$(keccak_hex "${pub:2}")
		[[ ${OUT,,} == "0x${want:24}" ]] || fail "eth-address $OUT != keccak(pub)[12:] 0x${want:24}"
		run "$SPOD" --json keys public "$id" --format eth-address
		[[ $(echo "$OUT" | json_get 'd["format"]') == eth-address ]] || fail "json eth: $OUT"
	else
		expect_exit 2 "$SPOD" keys public "$id" --format eth-address
		[[ $ERR == *secp256k1* ]] || fail "eth-address on $alg: unhelpful message '$ERR'"
	fi
	expect_exit 2 "$SPOD" keys public "$id" --format der

	# sign + verify
	if [[ $alg == ed25519 ]]; then
		run "$SPOD" sign "$id" --message "$MSG"
		sig=$OUT
		ED_PUB=$pub ED_SIG=$sig
		[[ $sig =~ ^[0-9a-f]{128}$ ]] || fail "ed25519 signature '$sig'"
		run "$SPOD" verify --alg ed25519 --public "$pub" --message "$MSG" --signature "$sig"
		[[ $OUT == valid ]] || fail "verify output '$OUT'"
		expect_exit 6 "$SPOD" verify --alg ed25519 --public "$pub" --message "$MSG" \
			--signature "$(flip_hex "$sig" 5)"
		expect_exit 6 "$SPOD" verify --alg ed25519 --public "$pub" --message "$MSG" \
			--signature "$(flip_hex "$sig" 40)"
		expect_exit 6 "$SPOD" verify --alg ed25519 --public "$pub" \
			--message "$(flip_hex "$MSG" 99)" --signature "$sig"
		expect_exit 6 "$SPOD" verify --alg ed25519 --public "$pub2" --message "$MSG" \
			--signature "$sig"
		# Ed25519 is deterministic: same message, same signature.
		run "$SPOD" sign "$id" --message "$MSG"
		[[ $OUT == "$sig" ]] || fail "ed25519 signature not deterministic"
		# --message-file signs the file's bytes, equal to --message of their hex.
		run "$SPOD" sign "$id" --message-file "$T_DIR/msg.bin"
		fsig=$OUT
		run "$SPOD" sign "$id" --message "$MSGFILE_HEX"
		[[ $OUT == "$fsig" ]] || fail "--message-file and --message disagree"
		run "$SPOD" verify --alg ed25519 --public "$pub" --message-file "$T_DIR/msg.bin" \
			--signature "$fsig"
		expect_exit 6 "$SPOD" verify --alg ed25519 --public "$pub" --message "$MSG" \
			--signature "$fsig"
		# Empty message.
		printf '' >"$T_DIR/empty.bin"
		run "$SPOD" sign "$id" --message-file "$T_DIR/empty.bin"
		run "$SPOD" verify --alg ed25519 --public "$pub" --message-file "$T_DIR/empty.bin" \
			--signature "$OUT"
		# --json
		run "$SPOD" --json sign "$id" --message "$MSG"
		echo "$OUT" | $PY -c '
import json, sys
d = json.load(sys.stdin)
assert d == {"key_id": sys.argv[1], "alg": "ed25519", "signature": sys.argv[2]}, d
' "$id" "$sig" || fail "sign --json: $OUT"
		run "$SPOD" --json verify --alg ed25519 --public "$pub" --message "$MSG" --signature "$sig"
		[[ $(echo "$OUT" | json_get 'd["valid"]') == true ]] || fail "verify --json: $OUT"
		expect_exit 6 "$SPOD" --json verify --alg ed25519 --public "$pub" --message "$MSG" \
			--signature "$(flip_hex "$sig" 1)"
		[[ $(echo "$OUT" | json_get 'd["valid"]') == false ]] || fail "verify --json bad: $OUT"
		[[ $(echo "$OUT" | json_get 'd["reason"]') == BAD_SIGNATURE ]] || fail "reason: $OUT"
		# Ed25519 has no digest or hash modes: the enclave rejects them (BAD_MODE).
		expect_exit 5 "$SPOD" sign "$id" --digest "$DIGEST"
		[[ $ERR == *BAD_MODE* ]] || fail "ed25519 --digest: '$ERR'"
		expect_exit 5 "$SPOD" sign "$id" --message "$MSG" --hash sha256
		expect_exit 5 "$SPOD" sign "$id" --message "$MSG" --hash keccak256
		expect_exit 5 "$SPOD" --json sign "$id" --digest "$DIGEST"
		[[ $(echo "$ERR" | json_get 'd["error"]["code"]') == BAD_MODE ]] || fail "json err: $ERR"
	else
		# digest mode
		run "$SPOD" sign "$id" --digest "$DIGEST"
		sig=$(head -n1 <<<"$OUT")
		[[ $sig =~ ^[0-9a-f]{128}$ ]] || fail "$alg signature '$OUT'"
		if [[ $alg == secp256k1 ]]; then
			[[ $(sed -n 2p <<<"$OUT") =~ ^recid\ [01]\ \(Ethereum\ v\ =\ 2[78]\)$ ]] ||
				fail "secp256k1 sign output lacks the recid: $OUT"
		else
			(($(wc -l <<<"$OUT") == 1)) || fail "p256 sign printed a recid: $OUT"
		fi
		run "$SPOD" verify --alg "$alg" --public "$pub" --digest "$DIGEST" --signature "$sig"
		[[ $OUT == valid ]] || fail "verify: $OUT"
		expect_exit 6 "$SPOD" verify --alg "$alg" --public "$pub" --digest "$DIGEST" \
			--signature "$(flip_hex "$sig" 10)"
		expect_exit 6 "$SPOD" verify --alg "$alg" --public "$pub" --digest "$DIGEST" \
			--signature "$(flip_hex "$sig" 63)"
		expect_exit 6 "$SPOD" verify --alg "$alg" --public "$pub" \
			--digest "$(flip_hex "$DIGEST" 31)" --signature "$sig"
		expect_exit 6 "$SPOD" verify --alg "$alg" --public "$pub2" --digest "$DIGEST" \
			--signature "$sig"

		# --message --hash sha256: equals signing sha256(message) as a digest
		run "$SPOD" sign "$id" --message "$MSG" --hash sha256
		sig=$(head -n1 <<<"$OUT")
		run "$SPOD" verify --alg "$alg" --public "$pub" --message "$MSG" --hash sha256 \
			--signature "$sig"
		run "$SPOD" verify --alg "$alg" --public "$pub" --digest "$(sha256_hex "$MSG")" \
			--signature "$sig"
		expect_exit 6 "$SPOD" verify --alg "$alg" --public "$pub" --message "$MSG" \
			--hash keccak256 --signature "$sig"
		expect_exit 6 "$SPOD" verify --alg "$alg" --public "$pub" \
			--message "$(flip_hex "$MSG" 0)" --hash sha256 --signature "$sig"

		# --message --hash keccak256
		run "$SPOD" sign "$id" --message "$MSG" --hash keccak256
		sig=$(head -n1 <<<"$OUT")
		run "$SPOD" verify --alg "$alg" --public "$pub" --message "$MSG" --hash keccak256 \
			--signature "$sig"
		run "$SPOD" verify --alg "$alg" --public "$pub" --digest "$(keccak_hex "$MSG")" \
			--signature "$sig"
		expect_exit 6 "$SPOD" verify --alg "$alg" --public "$pub" --message "$MSG" \
			--hash sha256 --signature "$sig"
		expect_exit 6 "$SPOD" verify --alg "$alg" --public "$pub" --message "$MSG" \
			--hash keccak256 --signature "$(flip_hex "$sig" 33)"

		# --message-file with a hash
		run "$SPOD" sign "$id" --message-file "$T_DIR/msg.bin" --hash sha256
		run "$SPOD" verify --alg "$alg" --public "$pub" --message-file "$T_DIR/msg.bin" \
			--hash sha256 --signature "$(head -n1 <<<"$OUT")"

		# --json
		run "$SPOD" --json sign "$id" --message "$MSG" --hash keccak256
		echo "$OUT" | $PY -c '
import json, sys
d = json.load(sys.stdin)
assert d["key_id"] == sys.argv[1] and d["alg"] == sys.argv[2], d
assert len(bytes.fromhex(d["signature"])) == 64, d
if sys.argv[2] == "secp256k1":
    assert d["recid"] in (0, 1) and d["v"] == 27 + d["recid"], d
    assert set(d) == {"key_id", "alg", "signature", "r", "s", "recid", "v"}, d
else:
    assert set(d) == {"key_id", "alg", "signature", "r", "s"}, d
assert d["r"] + d["s"] == d["signature"], d
' "$id" "$alg" || fail "sign --json: $OUT"
		jsig=$(echo "$OUT" | json_get 'd["signature"]')
		jv=$(printf %02x "$(echo "$OUT" | json_get 'd.get("v", 0)')")
		run "$SPOD" --json verify --alg "$alg" --public "$pub" --message "$MSG" \
			--hash keccak256 --signature "$jsig"
		[[ $(echo "$OUT" | json_get 'd["valid"]') == true ]] || fail "verify --json: $OUT"
		if [[ $alg == secp256k1 ]]; then
			# Ethereum's 65-byte r||s||v form is accepted by verify, with the signer's v.
			run "$SPOD" verify --alg secp256k1 --public "$pub" --message "$MSG" \
				--hash keccak256 --signature "${jsig}${jv}"
		fi

		# ECDSA needs a digest or a hash: a bare message is BAD_MODE (rejected, 5).
		expect_exit 5 "$SPOD" sign "$id" --message "$MSG"
		[[ $ERR == *BAD_MODE* ]] || fail "ECDSA raw message: '$ERR'"
		expect_exit 5 "$SPOD" sign "$id" --message-file "$T_DIR/msg.bin"
		expect_exit 5 "$SPOD" --json sign "$id" --message "$MSG"
		[[ $(echo "$ERR" | json_get 'd["error"]["code"]') == BAD_MODE ]] || fail "json err: $ERR"
	fi

	# Digest of 31 or 33 bytes, or not hex: refused by the CLI before any request (2).
	expect_exit 2 "$SPOD" sign "$id" --digest "${DIGEST:0:62}"
	expect_exit 2 "$SPOD" sign "$id" --digest "${DIGEST}00"
	expect_exit 2 "$SPOD" sign "$id" --digest "zz${DIGEST:2}"
	expect_exit 2 "$SPOD" sign "$id" --digest "$DIGEST" --hash sha256
	expect_exit 2 "$SPOD" sign "$id" --message "$MSG" --hash sha512
	expect_exit 2 "$SPOD" sign "$id" --message "$MSG" --digest "$DIGEST"
	expect_exit 2 "$SPOD" sign "$id"
	expect_exit 2 "$SPOD" sign "$id" --message "abc"
	expect_exit 2 "$SPOD" sign "$id" --message-file "$T_DIR/does-not-exist"

	# delete
	run "$SPOD" keys delete "$id"
	[[ $OUT == "deleted $id" ]] || fail "delete output '$OUT'"
	(($(key_count) == before + 1)) || fail "info key count did not go down after delete"
	expect_exit 4 "$SPOD" keys public "$id"
	[[ $ERR == *KEY_NOT_FOUND* ]] || fail "public of deleted key: '$ERR'"
	expect_exit 4 "$SPOD" sign "$id" --message "$MSG" --hash sha256
	expect_exit 4 "$SPOD" sign "$id" --digest "$DIGEST"
	expect_exit 4 "$SPOD" sign "$id" --message "$MSG"
	expect_exit 4 "$SPOD" keys delete "$id"
	run "$SPOD" keys list
	grep -q "$id" <<<"$OUT" && fail "deleted key $id still listed"
	grep -q "$id2" <<<"$OUT" || fail "delete removed the wrong key"
	run "$SPOD" --json keys delete "$id2"
	[[ $(echo "$OUT" | json_get 'd["deleted"]') == true ]] || fail "delete --json: $OUT"
	(($(key_count) == before)) || fail "info key count after deleting both"
	expect_exit 4 "$SPOD" --json keys public "$id2"
	[[ $(echo "$ERR" | json_get 'd["error"]["code"]') == KEY_NOT_FOUND ]] || fail "json: $ERR"
done

(($(key_count) == 0)) || fail "keys left over"
run "$SPOD" --json keys list
[[ $OUT == "[]" ]] || fail "empty list --json: '$OUT'"
run "$SPOD" keys list
[[ -z $OUT ]] || fail "empty list: '$OUT'"

# ---- error cases ----
unknown=$(random_hex 16)
expect_exit 4 "$SPOD" keys public "$unknown"
expect_exit 4 "$SPOD" keys delete "$unknown"
expect_exit 4 "$SPOD" sign "$unknown" --message "$MSG"
expect_exit 4 "$SPOD" sign "$unknown" --digest "$DIGEST"
for bad in xyz "${unknown:0:31}" "${unknown:0:30}" "${unknown}00" "g${unknown:1}" ""; do
	expect_exit 2 "$SPOD" keys public "$bad"
	expect_exit 2 "$SPOD" keys delete "$bad"
	expect_exit 2 "$SPOD" sign "$bad" --digest "$DIGEST"
done
expect_exit 2 "$SPOD" keys public
expect_exit 2 "$SPOD" keys generate
expect_exit 2 "$SPOD" keys generate --alg rsa
expect_exit 2 "$SPOD" keys generate --alg ed25519 extra
expect_exit 2 "$SPOD" keys frobnicate
expect_exit 2 "$SPOD" frobnicate
expect_exit 2 "$SPOD" info --bogus
expect_exit 2 "$SPOD" info --alg p256
expect_exit 2 "$SPOD" --timeout 0 info
expect_exit 2 "$SPOD"
expect_exit 0 "$SPOD" --help
[[ $OUT == usage:* ]] || fail "--help: $OUT"
expect_exit 2 "$SPOD" verify --alg p256 --public zz --digest "$DIGEST" --signature 00
expect_exit 2 "$SPOD" --uri "bogus://x" info

# Pod unreachable: a socket that does not exist.
for cmd in "info" "keys list" "keys generate --alg ed25519" "keys public $unknown" \
	"sign $unknown --digest $DIGEST"; do
	# shellcheck disable=SC2086
	expect_exit 3 env SPOD_URI="unix://$T_DIR/missing.sock" "$SPOD" $cmd
done
expect_exit 3 "$SPOD" --uri "unix://$T_DIR/missing.sock" --json info
[[ $(echo "$ERR" | json_get 'd["error"]["code"]') == UNAVAILABLE ]] || fail "json unreachable: $ERR"
# verify works offline.
expect_exit 0 env SPOD_URI="unix://$T_DIR/missing.sock" "$SPOD" verify --alg ed25519 \
	--public "$ED_PUB" --message "$MSG" --signature "$ED_SIG"

pod_alive || fail "a daemon died"
