#!/usr/bin/env bash
# `spod custodian init` and `spod custodian inspect`, offline (no pod runs). The seal key is
# rebuilt from the share files by code spod does not use: tests/interop/shamir_gf256.py (GF(256)
# in plain Python) and libgfshare's own gfcombine; then every file the ceremony wrote and
# everything it printed is searched for that key as hex (either case), base64 and raw bytes.
# Also: file and directory modes, the JSON output, refusal to overwrite or reuse a directory
# with share files, usage errors (K > N is exit 2), and inspect on good, tampered and broken
# files.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

SHAMIR=$SPOD_SRC/tests/interop/shamir_gf256.py
# Nothing listens here: a command that tried to reach a pod would fail.
export SPOD_URI=unix://$T_DIR/no-pod-here.sock

mode_of() { stat -c %a "$1"; }

# --- a 3-of-5 ceremony into a directory that does not exist yet
C=$T_DIR/ceremony
run "$SPOD" custodian init --threshold 3 --shares 5 --out "$C"
printf '%s\n' "$OUT" >"$T_DIR/init.stdout"
printf '%s\n' "$ERR" >"$T_DIR/init.stderr"
ID=$(sed -n 's/^seal key id  \([0-9a-f]\{32\}\)$/\1/p' <<<"$OUT")
[[ ${#ID} == 32 ]] || fail "no seal key id in: $OUT"
grep -q "must show seal key id $ID" <<<"$OUT" || fail "next steps do not name the id"
[[ $(mode_of "$C") == 700 ]] || fail "directory mode $(mode_of "$C"), want 700"
[[ $(find "$C" -mindepth 1 | wc -l) == 5 ]] || fail "expected exactly 5 files: $(ls -la "$C")"
for i in 1 2 3 4 5; do
	f=$C/share-$i.json
	[[ -f $f ]] || fail "$f missing"
	[[ $(mode_of "$f") == 600 ]] || fail "$f mode $(mode_of "$f"), want 600"
	[[ $(json_get 'd["seal_key_id"]' <"$f") == "$ID" ]] || fail "$f names another seal key"
	[[ $(json_get '[d["threshold"], d["shares"], d["index"]]' <"$f") == "[3, 5, $i]" ]] ||
		fail "$f: wrong threshold, shares or index"
done

# --- the seal key, rebuilt independently: Python from two different subsets, and gfcombine
KEY=$($PY "$SHAMIR" combine "$C/share-1.json" "$C/share-3.json" "$C/share-5.json") ||
	fail "shamir_gf256.py could not rebuild the key"
[[ ${#KEY} == 64 ]] || fail "rebuilt key is not 32 bytes: $KEY"
[[ $($PY "$SHAMIR" combine "$C/share-4.json" "$C/share-2.json" "$C/share-3.json") == "$KEY" ]] ||
	fail "two subsets of 3 rebuild different keys"
TWO=$($PY "$SHAMIR" combine "$C/share-1.json" "$C/share-2.json" 2>&1) &&
	fail "two shares rebuilt a key with the right id: $TWO"
[[ $($PY -c 'import hashlib, sys
print(hashlib.sha256(b"spod seal key id v1\0" + bytes.fromhex(sys.argv[1])).hexdigest()[:32])' \
	"$KEY") == "$ID" ]] || fail "the rebuilt key's id is not the one printed"
G=$T_DIR/gf
mkdir "$G"
for i in 2 4 5; do # gfcombine's files: the raw share, named NAME.<x-coordinate>
	$PY -c 'import json, sys
sys.stdout.buffer.write(bytes.fromhex(json.load(sys.stdin)["share"]))' <"$C/share-$i.json" \
		>"$G/s.00$i"
done
gfcombine -o "$G/key" "$G/s.002" "$G/s.004" "$G/s.005" || fail "gfcombine failed"
[[ $($PY -c 'import sys; print(open(sys.argv[1], "rb").read().hex())' "$G/key") == "$KEY" ]] ||
	fail "gfcombine rebuilds another key"
rm -rf "$G"

# --- JSON output, and inspect on every file
run "$SPOD" --json custodian init --threshold 2 --shares 3 --out "$T_DIR/j"
printf '%s\n' "$OUT" >"$T_DIR/init-json.stdout"
[[ $(json_get '[d["threshold"], d["shares"], d["files"]]' <<<"$OUT") == \
	'[2, 3, ["share-1.json", "share-2.json", "share-3.json"]]' ]] || fail "init --json: $OUT"
JID=$(json_get 'd["seal_key_id"]' <<<"$OUT")
[[ $(json_get 'd["seal_key_id"]' <"$T_DIR/j/share-2.json") == "$JID" ]] || fail "--json id"
for i in 1 2 3 4 5; do
	run "$SPOD" custodian inspect "$C/share-$i.json"
	printf '%s\n' "$OUT" "$ERR" >>"$T_DIR/inspect.out"
	grep -q "^seal key id  $ID$" <<<"$OUT" || fail "inspect: $OUT"
	grep -q "^index        $i$" <<<"$OUT" || fail "inspect: $OUT"
	grep -q "^share        matches its commitment$" <<<"$OUT" || fail "inspect: $OUT"
	SHARE=$(json_get 'd["share"]' <"$C/share-$i.json")
	grep -qi "$SHARE" <<<"$OUT$ERR" && fail "inspect printed the share"
done
run "$SPOD" --json custodian inspect "$C/share-4.json"
[[ $(json_get '[d["seal_key_id"], d["threshold"], d["shares"], d["index"], d["share_matches"]]' \
	<<<"$OUT") == "[\"$ID\", 3, 5, 4, true]" ]] || fail "inspect --json: $OUT"

# --- the seal key is nowhere: not in any file, not in what was printed
$PY - "$KEY" "$C" "$T_DIR"/init.stdout "$T_DIR"/init.stderr "$T_DIR"/inspect.out <<'PY' ||
import base64, os, sys
key = bytes.fromhex(sys.argv[1])
needles = [key, key.hex().encode(), key.hex().upper().encode(), base64.b64encode(key),
           key[:16], key[16:], key.hex()[:32].encode(), key.hex()[32:].encode()]
paths = []
for p in sys.argv[2:]:
    if os.path.isdir(p):
        paths += [os.path.join(p, f) for f in os.listdir(p)]
    else:
        paths.append(p)
assert len(paths) == 8, paths
for p in paths:
    data = open(p, "rb").read()
    for n in needles:
        if n in data or n.lower() in data.lower():
            sys.exit("%s holds the seal key (%r)" % (p, n[:8]))
PY
	fail "the seal key was written or printed"

# --- never overwrite, never reuse a directory with share files
SUMS=$(sha256sum "$C"/*)
expect_exit 2 "$SPOD" custodian init --threshold 3 --shares 5 --out "$C"
grep -q "share files are never overwritten" <<<"$ERR" || fail "no reason given: $ERR"
[[ $(sha256sum "$C"/*) == "$SUMS" ]] || fail "a second init changed the share files"
mkdir "$T_DIR/other"
echo '{}' >"$T_DIR/other/share-9.json"
expect_exit 2 "$SPOD" custodian init --threshold 1 --shares 1 --out "$T_DIR/other"
[[ $(find "$T_DIR/other" -mindepth 1 | wc -l) == 1 ]] || fail "init wrote into a used directory"
echo x >"$T_DIR/plain-file"
expect_exit 2 "$SPOD" custodian init --threshold 1 --shares 1 --out "$T_DIR/plain-file"
expect_exit 2 "$SPOD" --json custodian init --threshold 1 --shares 1 --out "$T_DIR/no/such/dir"
[[ $(json_get 'd["error"]["code"]' <<<"$ERR") == BAD_ARG ]] || fail "JSON error: $ERR"

# --- usage errors: exit 2, nothing written
for args in "--threshold 4 --shares 3" "--threshold 0 --shares 3" "--threshold 2 --shares 33" \
	"--threshold 2" "--shares 2" "--threshold x --shares 3" "--threshold 2 --shares 3x" \
	"--threshold -1 --shares 3" "--threshold 2 --shares 3 --alg ed25519"; do
	# shellcheck disable=SC2086 # split on purpose
	expect_exit 2 "$SPOD" custodian init $args --out "$T_DIR/usage"
	[[ ! -e $T_DIR/usage ]] || fail "init $args created its directory"
done
expect_exit 2 "$SPOD" custodian init --threshold 2 --shares 3
expect_exit 2 "$SPOD" custodian frobnicate
expect_exit 2 "$SPOD" custodian
expect_exit 2 "$SPOD" custodian inspect
expect_exit 2 "$SPOD" custodian inspect "$T_DIR/missing.json"
run "$SPOD" custodian --help
grep -q "custodian init --threshold K --shares N --out DIR" <<<"$OUT" || fail "help: $OUT"

# --- extremes: 1 of 1 (warned: the file is the key), 32 of 32
run "$SPOD" custodian init --threshold 1 --shares 1 --out "$T_DIR/one"
grep -q "every share file is the seal key itself" <<<"$ERR" || fail "no warning for K = 1"
ONE_ID=$(sed -n 's/^seal key id  //p' <<<"$OUT")
[[ $($PY "$SHAMIR" combine "$T_DIR/one/share-1.json") == \
	$(json_get 'd["share"]' <"$T_DIR/one/share-1.json") ]] || fail "1 of 1: share is not the key"
[[ -n $ONE_ID ]] || fail "1 of 1: no id"
run "$SPOD" custodian init --threshold 32 --shares 32 --out "$T_DIR/all"
[[ $(find "$T_DIR/all" -name 'share-*.json' | wc -l) == 32 ]] || fail "32 of 32: files"
mapfile -t ALL < <(printf '%s\n' "$T_DIR"/all/share-*.json)
$PY "$SHAMIR" combine "${ALL[@]}" >/dev/null || fail "32 of 32 does not rebuild its key"

# --- inspect: a tampered share, a tampered commitment, a broken file
T=$T_DIR/tampered.json
$PY - "$C/share-2.json" "$T" share <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
h = d[sys.argv[3]]
d[sys.argv[3]] = ("0" if h[0] != "0" else "1") + h[1:]
json.dump(d, open(sys.argv[2], "w"))
PY
expect_exit 5 "$SPOD" custodian inspect "$T"
grep -q "DOES NOT MATCH its commitment" <<<"$OUT" || fail "tampered share: $OUT"
grep -q "BAD_SHARE" <<<"$ERR" || fail "tampered share, no error line: $ERR"
ln -s "$C" "$T_DIR/link"
expect_exit 2 "$SPOD" custodian init --threshold 1 --shares 1 --out "$T_DIR/link"
grep -q "symbolic link" <<<"$ERR" || fail "symlinked --out: $ERR"
expect_exit 5 "$SPOD" --json custodian inspect "$T"
[[ $(json_get 'd["share_matches"]' <<<"$OUT") == false ]] || fail "tampered --json: $OUT"
head -c 100 "$C/share-3.json" >"$T_DIR/cut.json"
expect_exit 5 "$SPOD" custodian inspect "$T_DIR/cut.json"
grep -q "BAD_SHARE" <<<"$ERR" || fail "cut file: $ERR"
sed 's/"index": 3/"index": 3, "note": "x"/' "$C/share-3.json" >"$T_DIR/extra.json"
expect_exit 5 "$SPOD" custodian inspect "$T_DIR/extra.json"
grep -q "a member other than" <<<"$ERR" || fail "unknown member: $ERR"

log "ok: ceremony $ID, key rebuilt by Python and gfcombine, found nowhere"
