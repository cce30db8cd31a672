#!/usr/bin/env bash
# Assembles what tests/vsock/vsock.sh boots: the locked enclave image (image/build.sh, the
# same script and inputs as `make image`) taken apart again, plus the test's own archive.
#
#   build-image-guest.sh OUT_DIR
#
# Environment: SPOD_BIN (build directory), SPOD_SRC (source tree); SPOD_VSOCK_CACHE,
# SPOD_VSOCK_PIPELINE, SPOD_VSOCK_RTT_N as for build-guest.sh.
#
# Writes
#   OUT_DIR/image/spod-enclave.eif (+ pcrs.json ...)  the locked image (kind: "locked"), or
#                                                      the one of SPOD_BIN's binaries ("dev")
#                                                      when the lock cannot be had
#   OUT_DIR/boot/kernel, cmdline, ramdisk.0, ramdisk.1 its sections, extracted with spod-eif
#                                                      (which checks the header and CRC)
#   OUT_DIR/test.cpio    the test's archive: /test-init (tests/vsock/init.sh, which the
#                        image's /init execs), spod-host, spod, it_pipeline, vsock_* with
#                        the libraries the image lacks (never a file of the image's own),
#                        /etc/spod-vsock.conf, /spod/image.eif (the EIF
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

# The locked image of `make image` (its PCRs are checked against image/expected-pcrs.json by
# integration/image_lock, not here, so that an enclave change still boots before its new
# PCRs are committed). When the lock cannot be had (exit 3: a package Debian no longer
# serves, no network, not root), the image of this build tree's binaries instead, said loudly.
rc=0
SPOD_VSOCK_CACHE=$CACHE bash "$SPOD_SRC/image/build.sh" "$SPOD_BIN" "$OUT/image" --no-expect >&2 || rc=$?
if ((rc == 3)); then
	say "WARNING: the locked image cannot be built here (above); booting the image of $SPOD_BIN's binaries (--dev)"
	SPOD_VSOCK_CACHE=$CACHE bash "$SPOD_SRC/image/build.sh" "$SPOD_BIN" "$OUT/image" --dev >&2 ||
		die "image/build.sh --dev failed"
	echo dev >"$OUT/image/kind"
else
	((rc == 0)) || die "image/build.sh failed"
	echo locked >"$OUT/image/kind"
fi
EIF=$OUT/image/spod-enclave.eif

rm -rf "${OUT:?}/boot"
mkdir -p "$OUT/boot"
n=$("$SPOD_BIN/tools/spod-eif" extract "$EIF" "$OUT/boot") || die "spod-eif extract $EIF failed"
[[ $n == 2 ]] || die "$EIF has $n ramdisks, want 2"

# The image's own paths. The test's archive comes after the ramdisks in the initrd, so a
# path it shared with them would replace the image's file: it never does. A library the image
# has serves the test's programs too (the locked one); any other comes from the locked build
# root when that has it (libssl.so.3 beside the locked libcrypto.so.3), else from this machine.
for rd in 0 1; do cpio -it --quiet <"$OUT/boot/ramdisk.$rd"; done | sort -u >"$OUT/image.list"
LROOT=""
if [[ $(cat "$OUT/image/kind") == locked ]]; then
	# shellcheck source-path=SCRIPTDIR/../../image source=lock.sh
	source "$SPOD_SRC/image/lock.sh"
	lock_load
	LROOT=$LOCK_CACHE/root-${LOCK_HASH:0:16}
fi
ROOT=$OUT/test-root
# copy_test_program FILE DEST: FILE (debug info stripped) and the libraries it loads that the
# image lacks, at their paths under ROOT.
copy_test_program() {
	local lib src real
	install -m 755 "$1" "$2"
	strip --strip-debug "$2"
	while read -r lib; do
		grep -qxF "${lib#/}" "$OUT/image.list" && continue
		[[ -e $ROOT$lib ]] && continue
		src=$lib
		if [[ -n $LROOT ]] && real=$(chroot "$LROOT" readlink -e "$lib" 2>/dev/null); then
			src=$LROOT$real
		fi
		mkdir -p "$ROOT$(dirname "$lib")"
		cp -L "$src" "$ROOT$lib"
	done < <(ldd "$1" 2>/dev/null | grep -oE '(^|[[:space:]])/[^ ]+' | tr -d '[:blank:]' | sort -u)
}
rm -rf "$ROOT"
mkdir -p "$ROOT"/{etc,spod/bin,spod-test}
for b in spod-host spod tests/it_pipeline tests/vsock_badframes tests/vsock_rtt; do
	[[ -x $SPOD_BIN/$b ]] || die "$SPOD_BIN/$b is not built"
	copy_test_program "$SPOD_BIN/$b" "$ROOT/spod/bin/$(basename "$b")"
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
clash=$(cd "$ROOT" && find . ! -type d | sed 's|^\./||' | sort | comm -12 - "$OUT/image.list")
[[ -z $clash ]] || die "the test's archive would replace the image's $clash"
"$PY" "$SPOD_SRC/image/mkcpio.py" "$OUT/test.cpio" "$ROOT"
cat "$OUT/boot/ramdisk.0" "$OUT/boot/ramdisk.1" "$OUT/test.cpio" >"$OUT/initrd.cpio"
say "guest ready in $OUT: $(cat "$OUT/image/kind") EIF $(du -h "$EIF" | cut -f1), initrd $(du -h "$OUT/initrd.cpio" | cut -f1), PCR0 $(pcr 0 | cut -c1-16)..."
