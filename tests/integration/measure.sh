#!/usr/bin/env bash
# `spod measure` against independent implementations. Images written by spod-eif (tools/eif.c)
# (spod_eif_build, tests/integration/mkeif.c) are measured by the spod CLI and by
# tests/interop/eif_pcrs.py (Python standard library, written from AWS's format
# definition); PCR0 and PCR1 are also recomputed from the raw inputs with `openssl dgst`,
# PCR8 from `openssl x509 -outform DER`. No pod runs: measure works offline.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

MKEIF=$SPOD_BIN/tools/spod-eif
EIF_PCRS=$SPOD_SRC/tests/interop/eif_pcrs.py
[[ -x $MKEIF ]] || fail "$MKEIF not built"
# Nothing listens here: a measure that tried to reach a pod would fail.
export SPOD_URI=unix://$T_DIR/no-pod-here.sock

D=$T_DIR
CMDLINE="reboot=k panic=30 pci=off nomodules console=ttyS0 random.trust_cpu=on"
head -c 3000000 /dev/urandom >"$D/kernel"
head -c 1000000 /dev/urandom >"$D/init"
head -c 4000000 /dev/urandom >"$D/app"
: >"$D/empty"
cat >"$D/meta.json" <<'EOF'
{"ImageName":"spod-measure-test","ImageVersion":"1.0","BuildMetadata":{"BuildTime":"2025-01-01T00:00:00Z","BuildTool":"it_mkeif","BuildToolVersion":"0","OperatingSystem":"Linux","KernelVersion":"6.1"},"DockerInfo":{},"CustomMetadata":null}
EOF
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:secp384r1 -nodes -days 1 \
	-subj /CN=spod-measure-test -keyout "$D/key.pem" -out "$D/cert.pem" 2>/dev/null ||
	fail "openssl could not make a certificate"
# Opaque to measurement (nothing verifies it): stands in for the COSE_Sign1 of PCR0.
head -c 200 /dev/urandom >"$D/cose.bin"

# sha384(48 zero bytes || sha384(stdin)): the extend nitro-cli applies to each PCR.
extend() {
	{
		head -c 48 /dev/zero
		openssl dgst -sha384 -binary
	} | openssl dgst -sha384 -r | cut -d' ' -f1
}

# check NAME INPUTS...: builds $D/NAME.eif from spod-eif build arguments, then compares the
# measurements of spod (JSON and text), eif_pcrs.py and openssl.
check() {
	local name=$1 img=$D/$1.eif ramdisks=() a prev=""
	shift
	run "$MKEIF" build "$img" "$@"
	for a in "$@"; do
		[[ $prev == --ramdisk ]] && ramdisks+=("$a")
		prev=$a
	done

	run "$PY" "$EIF_PCRS" "$img"
	printf '%s\n' "$OUT" >"$D/$name.py.json"
	run "$SPOD" --json measure "$img"
	printf '%s\n' "$OUT" >"$D/$name.spod.json"
	$PY -c 'import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
sys.exit(0 if a == b else 1)' "$D/$name.py.json" "$D/$name.spod.json" ||
		fail "$name: spod and eif_pcrs.py disagree: $(cat "$D/$name".*.json)"

	# Text output: the same values, one "KEY: value" line each, in nitro-cli's key order.
	run "$SPOD" measure "$img"
	[[ $OUT == "$($PY -c 'import json, sys
m = json.load(open(sys.argv[1]))["Measurements"]
print("\n".join("%s: %s" % kv for kv in sorted(m.items())))' "$D/$name.py.json")" ]] ||
		fail "$name: text output differs: $OUT"

	local pcr0 pcr1 pcr2
	pcr0=$(cat "$D/kernel" <(printf '%s' "$CMDLINE") "${ramdisks[@]}" | extend)
	pcr1=$(cat "$D/kernel" <(printf '%s' "$CMDLINE") "${ramdisks[0]}" | extend)
	pcr2=$(cat "${ramdisks[@]:1}" </dev/null | extend)
	[[ $(json_get 'd["Measurements"]["PCR0"]' <"$D/$name.spod.json") == "$pcr0" ]] ||
		fail "$name: PCR0 differs from openssl's $pcr0"
	[[ $(json_get 'd["Measurements"]["PCR1"]' <"$D/$name.spod.json") == "$pcr1" ]] ||
		fail "$name: PCR1 differs from openssl's $pcr1"
	[[ $(json_get 'd["Measurements"]["PCR2"]' <"$D/$name.spod.json") == "$pcr2" ]] ||
		fail "$name: PCR2 differs from openssl's $pcr2"
	log "$name: $(stat -c %s "$img") bytes, PCR0 ${pcr0:0:16}..."
}

check bootstrap_only --kernel "$D/kernel" --cmdline "$CMDLINE" --ramdisk "$D/init"
[[ $(json_get 'd["Measurements"]["PCR2"]' <"$D/bootstrap_only.spod.json") == \
	"$(extend </dev/null)" ]] || fail "PCR2 of an image without application ramdisk"
check aws_layout --kernel "$D/kernel" --cmdline "$CMDLINE" --metadata "$D/meta.json" \
	--ramdisk "$D/init" --ramdisk "$D/app"
check signed --kernel "$D/kernel" --cmdline "$CMDLINE" --metadata "$D/meta.json" \
	--ramdisk "$D/init" --ramdisk "$D/app" --ramdisk "$D/empty" --arm64 \
	--sign-cert "$D/cert.pem" --sign-cose "$D/cose.bin"

# Metadata is not measured; signing adds PCR8 and changes nothing else.
run "$MKEIF" build "$D/no_meta.eif" --kernel "$D/kernel" --cmdline "$CMDLINE" --ramdisk "$D/init" \
	--ramdisk "$D/app"
run "$SPOD" --json measure "$D/no_meta.eif"
[[ $OUT == "$(<"$D/aws_layout.spod.json")" ]] || fail "metadata changed the measurements"
pcr8=$(openssl x509 -in "$D/cert.pem" -outform DER | extend)
[[ $(json_get 'd["Measurements"]["PCR8"]' <"$D/signed.spod.json") == "$pcr8" ]] ||
	fail "PCR8 differs from openssl's $pcr8"
[[ $(json_get '"PCR8" in d["Measurements"]' <"$D/aws_layout.spod.json") == false ]] ||
	fail "PCR8 reported for an unsigned image"

# Damaged images: a specific error on stderr, nothing on stdout, the documented exit code.
cp "$D/aws_layout.eif" "$D/flipped.eif"
printf '\x00' | dd of="$D/flipped.eif" bs=1 seek=$(($(stat -c %s "$D/flipped.eif") - 1)) \
	conv=notrunc status=none
expect_exit 6 "$SPOD" measure "$D/flipped.eif"
[[ -z $OUT && $ERR == *"CRC-32 mismatch"*"[BAD_SIGNATURE]"* ]] || fail "flipped byte: $ERR"
expect_exit 1 "$PY" "$EIF_PCRS" "$D/flipped.eif"
[[ $ERR == *"CRC-32 mismatch"* ]] || fail "eif_pcrs.py missed the flipped byte: $ERR"
expect_exit 6 "$SPOD" --json measure "$D/flipped.eif"
[[ $(json_get 'd["error"]["code"]' <<<"$ERR") == BAD_SIGNATURE ]] || fail "JSON error: $ERR"

head -c 5000 "$D/aws_layout.eif" >"$D/truncated.eif"
expect_exit 5 "$SPOD" measure "$D/truncated.eif"
[[ $ERR == *"ends inside a section"*"[TRUNCATED]"* ]] || fail "truncated: $ERR"
head -c 100 "$D/aws_layout.eif" >"$D/short.eif"
expect_exit 5 "$SPOD" measure "$D/short.eif"
[[ $ERR == *"shorter than the 548-byte EIF header"* ]] || fail "short: $ERR"
head -c 4096 /dev/zero >"$D/zeros.eif"
expect_exit 5 "$SPOD" measure "$D/zeros.eif"
[[ $ERR == *"[BAD_MAGIC]"* ]] || fail "zeros: $ERR"
expect_exit 2 "$SPOD" measure "$D/missing.eif"
[[ $ERR == *"No such file"* ]] || fail "missing file: $ERR"
expect_exit 2 "$SPOD" measure "$D"
[[ $ERR == *"not a regular file"* ]] || fail "a directory: $ERR"
expect_exit 2 "$SPOD" measure
expect_exit 2 "$SPOD" measure "$D/aws_layout.eif" "$D/signed.eif"
