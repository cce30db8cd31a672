#!/usr/bin/env bash
# `spod policy` end to end (docs/policy.md, docs/cli.md): two policy admins with keys made by
# `openssl genpkey`, a pod whose spod-host registers both with a threshold of 2. Approvals are
# made offline with `spod policy approve` (checked here against OpenSSL's own verification of
# the signed message laid out by hand); `policy set` with one approval, a tampered one, one
# given twice or one for another key or policy is NOT_APPROVED (exit 5); with both it binds the
# policy, `policy show` prints it with its hash and the admin set's hash (computed here);
# `sign-tx` is then refused by the deny rule (POLICY_DENIED, exit 5, the rule named) and
# allowed by the allow rule; `policy remove` with removal approvals lifts it.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

command -v openssl >/dev/null || fail "openssl is needed (scripts/install-deps.sh installs it)"
ETH=$SPOD_SRC/tests/data/ethereum/ethers.txt
A=$T_DIR/admins
mkdir -m 700 "$A"

# eth_field NAME FIELD: a field of a vector of ethers.txt.
eth_field() {
	awk -v n="$1" -v f="$2" '$1 == "name" { cur = $2 } cur == n && $1 == f { print $2; exit }' "$ETH"
}
# sha256_hex FILE: the SHA-256 of FILE, hex.
sha256_hex() { sha256sum "$1" | cut -c1-64; }

log "two admin keys (openssl genpkey) and their public keys"
for n in 1 2 3; do
	openssl genpkey -algorithm ed25519 -out "$A/admin$n.pem" 2>/dev/null
	run "$SPOD" policy admin-pub --admin-key "$A/admin$n.pem"
	[[ $OUT =~ ^[0-9a-f]{64}$ ]] || fail "admin-pub: $OUT"
	# the same key as OpenSSL derives it (the last 32 bytes of the DER SubjectPublicKeyInfo)
	[[ $OUT == "$(openssl pkey -in "$A/admin$n.pem" -pubout -outform DER | tail -c 32 | od -An -tx1 | tr -d ' \n')" ]] ||
		fail "admin-pub of admin$n differs from OpenSSL's"
	declare "PUB$n=$OUT"
done
run "$SPOD" --json policy admin-pub --admin-key "$A/admin1.pem"
[[ $(json_get 'd["admin"]' <<<"$OUT") == "$PUB1" ]] || fail "admin-pub --json: $OUT"
# an admin key of another algorithm, a missing file: refused before anything is signed
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$A/p256.pem" 2>/dev/null
expect_exit 2 "$SPOD" policy admin-pub --admin-key "$A/p256.pem"
expect_exit 2 "$SPOD" policy admin-pub --admin-key "$A/missing.pem"

start_pod --policy-admins "$PUB1,$PUB2" --policy-threshold 2

run "$SPOD" --json keys generate --alg secp256k1
ID=$(json_get 'd["id"]' <<<"$OUT")
run "$SPOD" --json keys generate --alg secp256k1
OTHER_ID=$(json_get 'd["id"]' <<<"$OUT")
DENIED_TX=$(eth_field legacy_eip155_example unsigned) # 1 ETH to 0x3535...35 on chain 1
ALLOWED_TX=$(eth_field eip1559_native unsigned)       # to 0x3c44... on chain 1

log "no policy yet: both transactions sign, show says so"
run "$SPOD" policy show "$ID"
[[ $OUT == "no policy"* ]] || fail "show without a policy: $OUT"
run "$SPOD" --json policy show "$ID"
[[ $(json_get 'd' <<<"$OUT") == "{\"key_id\": \"$ID\", \"policy\": null}" ]] ||
	fail "show --json without a policy: $OUT"
run "$SPOD" sign-tx "$ID" --chain ethereum --tx "$DENIED_TX"
run "$SPOD" sign-tx "$ID" --chain ethereum --tx "$ALLOWED_TX"

cat >"$T_DIR/policy.json" <<'EOF'
{"version": 1, "rules": [
  {"id": "blocked-payee", "effect": "deny", "to_deny": ["0x3535353535353535353535353535353535353535"]},
  {"id": "mainnet", "effect": "allow", "chain": "ethereum", "kinds": ["transaction"], "chain_ids": [1]}
]}
EOF

log "approvals, made offline (no pod contacted: a URI where nothing listens)"
for n in 1 2 3; do
	run env "SPOD_URI=unix://$T_DIR/nothing.sock" "$SPOD" policy approve "$ID" \
		--admin-key "$A/admin$n.pem" --file "$T_DIR/policy.json"
	[[ $OUT =~ ^[0-9a-f]{192}$ ]] || fail "approve: $OUT"
	pub=PUB$n
	[[ ${OUT:0:64} == "${!pub}" ]] || fail "approval $n does not start with its admin's key"
	echo "$OUT" >"$A/ap$n"
done
run "$SPOD" --json policy approve "$ID" --admin-key "$A/admin1.pem" --file "$T_DIR/policy.json"
POLICY_HASH=$(json_get 'd["policy_hash"]' <<<"$OUT")
[[ $POLICY_HASH =~ ^[0-9a-f]{64}$ && $(json_get 'd["approval"]' <<<"$OUT") == "$(<"$A/ap1")" &&
	$(json_get 'd["admin"]' <<<"$OUT") == "$PUB1" ]] || fail "approve --json: $OUT"
# OpenSSL verifies the approval over "spod policy approval v1" NUL, the key id, the policy hash
{
	printf 'spod policy approval v1\0'
	printf '%s%s' "$ID" "$POLICY_HASH" | "$PY" -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.stdin.read()))'
} >"$T_DIR/approval.msg"
"$PY" -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.argv[1][64:]))' "$(<"$A/ap1")" >"$T_DIR/approval.sig"
openssl pkey -in "$A/admin1.pem" -pubout -out "$A/admin1.pub"
openssl pkeyutl -verify -pubin -inkey "$A/admin1.pub" -rawin -in "$T_DIR/approval.msg" \
	-sigfile "$T_DIR/approval.sig" >/dev/null || fail "OpenSSL does not verify the approval"
# approvals of another key and of another policy, for the refusals below
run "$SPOD" policy approve "$OTHER_ID" --admin-key "$A/admin2.pem" --file "$T_DIR/policy.json"
echo "$OUT" >"$A/ap2-other-key"
run "$SPOD" policy approve "$ID" --admin-key "$A/admin2.pem" --remove
echo "$OUT" >"$A/ap2-remove"
# usage errors: both or neither of --file and --remove, a key label, a policy the converter refuses
expect_exit 2 "$SPOD" policy approve "$ID" --admin-key "$A/admin1.pem"
expect_exit 2 "$SPOD" policy approve "$ID" --admin-key "$A/admin1.pem" --file "$T_DIR/policy.json" --remove
expect_exit 2 "$SPOD" policy approve hot-wallet --admin-key "$A/admin1.pem" --remove
echo '{"version": 1, "rules": [{"id": "x", "effect": "allow", "colour": "red"}]}' >"$T_DIR/bad.json"
expect_exit 5 "$SPOD" policy approve "$ID" --admin-key "$A/admin1.pem" --file "$T_DIR/bad.json"
[[ $ERR == *'rule 1 ("x"): unknown key "colour"'* ]] || fail "bad policy: $ERR"

log "too few approvals: NOT_APPROVED, exit 5"
expect_exit 5 "$SPOD" policy set "$ID" --file "$T_DIR/policy.json"
[[ $ERR == *NOT_APPROVED* ]] || fail "no approval: $ERR"
expect_exit 5 "$SPOD" policy set "$ID" --file "$T_DIR/policy.json" --approval "$A/ap1"
[[ $ERR == *NOT_APPROVED* ]] || fail "one approval: $ERR"
expect_exit 5 "$SPOD" policy set "$ID" --file "$T_DIR/policy.json" --approval "$A/ap1" --approval "$A/ap1"
[[ $ERR == *NOT_APPROVED* ]] || fail "one approval twice: $ERR"
# admin 3 is no policy admin of this pod
expect_exit 5 "$SPOD" policy set "$ID" --file "$T_DIR/policy.json" --approval "$A/ap1" --approval "$A/ap3"
[[ $ERR == *NOT_APPROVED* ]] || fail "an outsider's approval: $ERR"
expect_exit 5 "$SPOD" policy set "$ID" --file "$T_DIR/policy.json" --approval "$A/ap1" --approval "$A/ap2-other-key"
[[ $ERR == *NOT_APPROVED* ]] || fail "an approval for another key: $ERR"
expect_exit 5 "$SPOD" policy set "$ID" --file "$T_DIR/policy.json" --approval "$A/ap1" --approval "$A/ap2-remove"
[[ $ERR == *NOT_APPROVED* ]] || fail "an approval of another policy: $ERR"
# a tampered approval: one signature bit flipped, still well-formed
TAMPERED=$(flip_hex "$(<"$A/ap2")" 40)
echo "$TAMPERED" >"$A/ap2-tampered"
expect_exit 5 "$SPOD" --json policy set "$ID" --file "$T_DIR/policy.json" --approval "$A/ap1" --approval "$A/ap2-tampered"
[[ $(json_get 'd["error"]["code"]' <<<"$ERR") == NOT_APPROVED ]] || fail "tampered approval: $ERR"
# a file that is no approval at all: a usage error, nothing sent
echo "${TAMPERED:0:190}" >"$A/short"
expect_exit 2 "$SPOD" policy set "$ID" --file "$T_DIR/policy.json" --approval "$A/ap1" --approval "$A/short"
expect_exit 2 "$SPOD" policy set "$ID" --file "$T_DIR/policy.json" --approval "$A/missing"
# the refusals changed nothing
run "$SPOD" policy show "$ID"
[[ $OUT == "no policy"* ]] || fail "a refused set left a policy: $OUT"
run "$SPOD" sign-tx "$ID" --chain ethereum --tx "$DENIED_TX"

log "both admins: the policy is bound"
run "$SPOD" policy set "$ID" --file "$T_DIR/policy.json" --approval "$A/ap2" --approval "$A/ap1"
[[ $OUT == "$POLICY_HASH" ]] || fail "set printed $OUT, not the approved hash $POLICY_HASH"
ADMIN_HASH=$("$PY" -c 'import hashlib, sys
print(hashlib.sha256(b"spod policy admins v1\0" + bytes([2, 2]) + bytes.fromhex(sys.argv[1] + sys.argv[2])).hexdigest())' "$PUB1" "$PUB2")
run "$SPOD" --json policy show "$ID"
[[ $(json_get '[d["key_id"], d["policy_hash"], d["admin_set"], [r["id"] for r in d["policy"]["rules"]]]' <<<"$OUT") == \
	"[\"$ID\", \"$POLICY_HASH\", \"$ADMIN_HASH\", [\"blocked-payee\", \"mainnet\"]]" ]] ||
	fail "show --json: $OUT"
run "$SPOD" policy show "$ID"
[[ $OUT == *'"blocked-payee"'* && $OUT == *"policy_hash: $POLICY_HASH"* && $OUT == *"admin_set:   $ADMIN_HASH"* ]] ||
	fail "show: $OUT"
# the other key has none
run "$SPOD" policy show "$OTHER_ID"
[[ $OUT == "no policy"* ]] || fail "the other key got a policy: $OUT"

log "sign-tx under the policy: the deny rule refuses, the allow rule signs"
expect_exit 5 "$SPOD" sign-tx "$ID" --chain ethereum --tx "$DENIED_TX"
[[ $ERR == *POLICY_DENIED* && $ERR == *blocked-payee* ]] || fail "denied transaction: $ERR"
run "$SPOD" sign-tx "$ID" --chain ethereum --tx "$ALLOWED_TX"
[[ $OUT == 0x02* ]] || fail "allowed transaction: $OUT"
run "$SPOD" sign-tx "$OTHER_ID" --chain ethereum --tx "$DENIED_TX"

log "removing needs approvals of the removal"
expect_exit 5 "$SPOD" policy remove "$ID" --approval "$A/ap1" --approval "$A/ap2"
[[ $ERR == *NOT_APPROVED* ]] || fail "remove with the set's approvals: $ERR"
run "$SPOD" policy approve "$ID" --admin-key "$A/admin1.pem" --remove
echo "$OUT" >"$A/ap1-remove"
run "$SPOD" --json policy remove "$ID" --approval "$A/ap1-remove" --approval "$A/ap2-remove"
[[ $(json_get 'd' <<<"$OUT") == "{\"key_id\": \"$ID\", \"policy_hash\": null}" ]] || fail "remove --json: $OUT"
run "$SPOD" policy show "$ID"
[[ $OUT == "no policy"* ]] || fail "show after remove: $OUT"
run "$SPOD" sign-tx "$ID" --chain ethereum --tx "$DENIED_TX"

log "usage: unknown subcommand, no key id, a key that does not exist"
expect_exit 2 "$SPOD" policy frobnicate
expect_exit 2 "$SPOD" policy show
expect_exit 2 "$SPOD" policy set "$ID" --approval "$A/ap1"
expect_exit 4 "$SPOD" policy show "$(random_hex 16)"

log "ok"
