#!/usr/bin/env bash
# More than a thousand malformed frames against spod-host (tests/integration/bad_frames.py):
# each is answered with the documented status and request id or closes the connection as
# docs/protocol.md says, and afterwards the pod still holds and uses every key.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

start_pod

declare -A KEY PUB
MSG=$(random_hex 48)
DIGEST=$(random_hex 32)

sign_and_verify() { # ALG: signs with KEY[ALG] and verifies offline
	local alg=$1 sig
	if [[ $alg == ed25519 ]]; then
		run "$SPOD" sign "${KEY[$alg]}" --message "$MSG"
		sig=$(head -n1 <<<"$OUT")
		run "$SPOD" verify --alg "$alg" --public "${PUB[$alg]}" --message "$MSG" --signature "$sig"
	else
		run "$SPOD" sign "${KEY[$alg]}" --digest "$DIGEST"
		sig=$(head -n1 <<<"$OUT")
		run "$SPOD" verify --alg "$alg" --public "${PUB[$alg]}" --digest "$DIGEST" --signature "$sig"
	fi
}

for alg in ed25519 secp256k1 p256; do
	run "$SPOD" --json keys generate --alg "$alg"
	KEY[$alg]=$(echo "$OUT" | json_get 'd["id"]')
	PUB[$alg]=$(echo "$OUT" | json_get 'd["public"]')
	sign_and_verify "$alg"
done

run timeout -k 5 240 "$PY" "$SPOD_SRC/tests/integration/bad_frames.py" "$T_DIR/spod.sock" \
	"$SPOD_SRC" "${KEY[ed25519]}" "${KEY[secp256k1]}" "${KEY[p256]}"
printf '%s\n' "$OUT" >&2
if ! [[ $OUT =~ ([0-9]+)\ malformed\ frames ]] || ((BASH_REMATCH[1] < 1000)); then
	fail "fewer than 1000 malformed frames: $OUT"
fi
pod_alive || fail "a daemon died under malformed frames"

# The enclave's own socket follows the same rules (the host is not its only shield).
run timeout -k 5 240 "$PY" "$SPOD_SRC/tests/integration/bad_frames.py" "$T_DIR/enclave.sock" \
	"$SPOD_SRC" "${KEY[ed25519]}" "${KEY[secp256k1]}" "${KEY[p256]}"
printf 'direct to the enclave: %s\n' "$OUT" >&2

pod_alive || fail "a daemon died under malformed frames"
run "$SPOD" --json info
[[ $(echo "$OUT" | json_get 'd["keys"]') == 3 ]] || fail "key count changed: $OUT"
run "$SPOD" keys list
LIST=$OUT
for alg in ed25519 secp256k1 p256; do
	grep -q "^${KEY[$alg]}  $alg " <<<"$LIST" || fail "$alg key ${KEY[$alg]} is gone"
	run "$SPOD" keys public "${KEY[$alg]}"
	[[ $OUT == "${PUB[$alg]}" ]] || fail "$alg public key changed"
	sign_and_verify "$alg"
done
pod_alive || fail "a daemon died"
