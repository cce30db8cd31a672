#!/usr/bin/env bash
# Assembles what tests/vsock/vsock.sh boots: the enclave image (image/build.sh, the same
# script as `make image`) taken apart again, plus the test's own archive.
#
#   build-image-guest.sh OUT_DIR
#
# Environment: SPOD_BIN (build directory), SPOD_SRC (source tree); SPOD_VSOCK_CACHE,
# SPOD_VSOCK_PIPELINE, SPOD_VSOCK_RTT_N as for build-guest.sh.
#
# Writes
#   OUT_DIR/image/spod-enclave.eif (+ pcrs.json ...)  the image, built from SPOD_BIN
#   OUT_DIR/boot/kernel, cmdline, ramdisk.0, ramdisk.1 its sections, extracted with spod-eif
#                                                      (which checks the header and CRC)
#   OUT_DIR/test.cpio    the test's archive: /test-init (tests/vsock/init.sh, which the
#                        image's /init execs), spod-host, spod, it_pipeline, vsock_* with
#                        their libraries, /etc/spod-vsock.conf, /spod/image.eif (the EIF
#                        itself, read-only, for the simulated NSM to measure) and
#                        /spod-test/expected.conf (the PCRs of `spod measure` and the
#                        cmdline: a file, since the kernel cmdline is itself measured)
#   OUT_DIR/initrd.cpio  ramdisk.0 + ramdisk.1 + test.cpio, concatenated: QEMU takes one
#                        -initrd and the kernel unpacks the archives in order
# QEMU boots OUT_DIR/boot/kernel (the bzImage as measured) with the cmdline of
# OUT_DIR/boot/cmdline. spod-enclave is the image's own; the test's archive carries none.
set -euo pipefail

OUT=${1:?usage: build-image-guest.sh OUT_DIR}
: "${SPOD_BIN:?SPOD_BIN must name the build directory}"
: "${SPOD_SRC:?SPOD_SRC must name the source directory}"
CACHE=${SPOD_VSOCK_CACHE:-$OUT/kernel}
PY=/usr/bin/python3

say() { printf '[build-image-guest] %s\n' "$*" >&2; }
die() {
	printf '[build-image-guest] ERROR: %s\n' "$*" >&2
	exit 1
}
mkdir -p "$OUT"

SPOD_VSOCK_CACHE=$CACHE bash "$SPOD_SRC/image/build.sh" "$SPOD_BIN" "$OUT/image" >&2 ||
	die "image/build.sh failed"
EIF=$OUT/image/spod-enclave.eif

rm -rf "${OUT:?}/boot"
mkdir -p "$OUT/boot"
n=$("$SPOD_BIN/tools/spod-eif" extract "$EIF" "$OUT/boot") || die "spod-eif extract $EIF failed"
[[ $n == 2 ]] || die "$EIF has $n ramdisks, want 2"

# shellcheck source-path=SCRIPTDIR/../../image source=lib.sh
source "$SPOD_SRC/image/lib.sh" # copy_with_libs
ROOT=$OUT/test-root
rm -rf "$ROOT"
mkdir -p "$ROOT"/{etc,spod/bin,spod-test}
for b in spod-host spod tests/it_pipeline tests/vsock_badframes tests/vsock_rtt; do
	[[ -x $SPOD_BIN/$b ]] || die "$SPOD_BIN/$b is not built"
	copy_with_libs "$SPOD_BIN/$b" "$ROOT/spod/bin/$(basename "$b")" "$ROOT"
done
install -m 755 "$SPOD_SRC/tests/vsock/init.sh" "$ROOT/test-init"
install -m 444 "$EIF" "$ROOT/spod/image.eif"
cat >"$ROOT/etc/spod-vsock.conf" <<EOF
SPOD_VSOCK_PORT=5005
SPOD_VSOCK_PIPELINE=${SPOD_VSOCK_PIPELINE:-10000}
SPOD_VSOCK_RTT_N=${SPOD_VSOCK_RTT_N:-2000}
EOF
json=$("$SPOD_BIN/spod" --json measure "$EIF") || die "spod measure $EIF failed"
pcr() { sed -n "s/.*\"PCR$1\":\"\([0-9a-f]*\)\".*/\1/p" <<<"$json"; }
{
	printf 'EXPECT_PCR%s=%s\n' 0 "$(pcr 0)" 1 "$(pcr 1)" 2 "$(pcr 2)"
	printf "EXPECT_CMDLINE='%s'\n" "$(cat "$OUT/boot/cmdline")"
} >"$ROOT/spod-test/expected.conf"
grep -q '^EXPECT_PCR0=[0-9a-f]\{96\}$' "$ROOT/spod-test/expected.conf" || die "no PCR0 from spod measure"
"$PY" "$SPOD_SRC/image/mkcpio.py" "$OUT/test.cpio" "$ROOT"
cat "$OUT/boot/ramdisk.0" "$OUT/boot/ramdisk.1" "$OUT/test.cpio" >"$OUT/initrd.cpio"
say "guest ready in $OUT: EIF $(du -h "$EIF" | cut -f1), initrd $(du -h "$OUT/initrd.cpio" | cut -f1), PCR0 $(pcr 0 | cut -c1-16)..."
