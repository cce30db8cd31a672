#!/usr/bin/env bash
# Builds the spod enclave image, reproducibly (docs/image.md):
#
#   image/build.sh BUILD_DIR OUT_DIR [--inputs FILE] [--no-expect | --write-expected]
#   image/build.sh BUILD_DIR OUT_DIR --dev
#
# OUT_DIR/spod-enclave.eif is an Enclave Image File written by the project's own EIF code
# (BUILD_DIR/tools/spod-eif, spod_eif_build) from
#   kernel     Debian 12's bzImage
#   cmdline    $SPOD_IMAGE_CMDLINE (fixed, below)
#   ramdisk 0  init: /init (image/init.sh), static busybox, the vsock modules, /dev/console
#   ramdisk 1  application: spod-enclave (strip --strip-all) and the shared libraries and
#              loader it loads
#   metadata   fixed JSON (not measured)
# and OUT_DIR/pcrs.json / pcrs.txt are `spod measure` of it, which is also printed.
#
# The locked image (the default, `make image`): every input comes from the Debian packages
# image/lock names, checked by sha256 (image/lock.sh): the kernel package, busybox-static,
# and spod-enclave compiled from this source tree inside a build root made of the locked
# packages, with the libraries of that root; SOURCE_DATE_EPOCH is the lock's. The PCRs are
# then compared with image/expected-pcrs.json (image/pcrs.py), and a difference is an error
# naming the file that differs; --no-expect skips that (the vsock test), --write-expected
# rewrites that file instead (make image-pcrs, make image-lock). --inputs FILE takes the
# packages from a `make image-inputs` tarball and uses no network. Exit status 3: a locked
# package cannot be had (not served any more, offline, or not root); the message names it
# and the command that refreshes the lock.
#
# --dev: the binaries of BUILD_DIR, this machine's busybox and libraries, and the kernel
# Debian ships today (SPOD_VSOCK_CACHE): reproducible on one machine only
# (tests/integration/image.sh; the vsock test when the lock cannot be had).
#
# Two runs give byte-identical images: ramdisks are image/mkcpio.py archives (sorted, mtime
# = SOURCE_DATE_EPOCH, uid/gid 0, normalized modes, no inode or device numbers of this
# machine), and nothing else varies.
#
# Environment: SPOD_IMAGE_LOCK, SPOD_IMAGE_EXPECTED, SPOD_IMAGE_CACHE, SPOD_IMAGE_OFFLINE
# (image/lock.sh); for --dev SOURCE_DATE_EPOCH (default: the commit time of HEAD, else
# 1704067200) and SPOD_VSOCK_CACHE (default BUILD_DIR/vsock/kernel); SPOD_SRC.
set -euo pipefail

say() { printf '[image] %s\n' "$*" >&2; }
die() {
	printf '[image] ERROR: %s\n' "$*" >&2
	exit 1
}

usage="usage: image/build.sh BUILD_DIR OUT_DIR [--inputs FILE] [--no-expect|--write-expected|--dev]"
BUILD=$(cd "${1:?$usage}" && pwd)
OUT=${2:?$usage}
shift 2
MODE=locked EXPECT=check INPUTS=""
while (($# > 0)); do
	case $1 in
	--dev) MODE=dev ;;
	--no-expect) EXPECT=none ;;
	--write-expected) EXPECT="write" ;;
	--inputs)
		INPUTS=$(realpath "${2:?$usage}")
		shift
		;;
	*) die "$usage" ;;
	esac
	shift
done
SPOD_SRC=${SPOD_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
EXPECTED=${SPOD_IMAGE_EXPECTED:-$SPOD_SRC/image/expected-pcrs.json}
PY=/usr/bin/python3
# What the guest needs: the serial console; panic=-1 reboots at once on a panic, which
# QEMU's -no-reboot turns into an exit (Nitro's own default is panic=30); pci=off: the
# guest has no PCI device; quiet keeps the emulated serial console short.
CMDLINE=${SPOD_IMAGE_CMDLINE:-"console=ttyS0 reboot=k panic=-1 oops=panic pci=off quiet"}

for tool in dpkg-deb tar ldd strip "$PY"; do
	command -v "$tool" >/dev/null || die "$tool is missing (run scripts/install-deps.sh)"
done
for b in spod tools/spod-eif; do
	[[ -x $BUILD/$b ]] || die "$BUILD/$b is not built (ninja -C $BUILD)"
done
export LC_ALL=C TZ=UTC

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$SPOD_SRC/image/lib.sh"
if [[ $MODE == locked ]]; then
	# shellcheck source-path=SCRIPTDIR source=lock.sh
	source "$SPOD_SRC/image/lock.sh"
	lock_prepare "$INPUTS" # LOCK_APP, LOCK_BUSYBOX, KROOT, VMLINUZ, KVER
	SOURCE_DATE_EPOCH=$LOCK_EPOCH
	say "locked inputs: ${#LOCK_NAME[@]} packages of $LOCK_FILE (sha256 ${LOCK_HASH:0:16}...), all checked"
else
	[[ -x $BUILD/spod-enclave ]] || die "$BUILD/spod-enclave is not built (ninja -C $BUILD)"
	command -v busybox >/dev/null || die "busybox is missing (scripts/install-deps.sh installs busybox-static)"
	if [[ -z ${SOURCE_DATE_EPOCH:-} ]]; then
		SOURCE_DATE_EPOCH=$(git -C "$SPOD_SRC" log -1 --format=%ct 2>/dev/null || echo 1704067200)
	fi
	# shellcheck disable=SC2034 # read by image/lib.sh
	CACHE=${SPOD_VSOCK_CACHE:-$BUILD/vsock/kernel}
	kernel_prepare bzimage # VMLINUZ: the bzImage goes into the EIF as it is
fi
export SOURCE_DATE_EPOCH

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
STAGE=$OUT/stage
rm -rf "$STAGE" "$OUT/spod-enclave.eif" "$OUT/pcrs.json" "$OUT/pcrs.txt"
mkdir -p "$STAGE"

# ---------------------------------------------------------------- ramdisk 0: init
INITRD=$STAGE/init
mkdir -p "$INITRD"/{bin,dev,etc,lib/modules,proc,sys,tmp,spod}
chmod 1777 "$INITRD/tmp"
install -m 755 "$SPOD_SRC/image/init.sh" "$INITRD/init"
if [[ $MODE == locked ]]; then
	install -m 755 "$LOCK_BUSYBOX" "$INITRD/bin/busybox" # busybox-static's bytes, as shipped
else
	BUSYBOX=$(command -v busybox)
	if ldd "$BUSYBOX" >/dev/null 2>&1; then # dynamic (not busybox-static): its libraries too
		copy_with_libs "$BUSYBOX" "$INITRD/bin/busybox" "$INITRD"
	else
		install -m 755 "$BUSYBOX" "$INITRD/bin/busybox" # Debian's bytes, as shipped
	fi
fi
ln -s busybox "$INITRD/bin/sh" # /init installs the other applets
copy_vsock_modules "$INITRD/lib/modules"
"$PY" "$SPOD_SRC/image/mkcpio.py" "$OUT/ramdisk-init.cpio" "$INITRD" \
	--mtime "$SOURCE_DATE_EPOCH" --node dev/console:c:5:1:0600

# ---------------------------------------------------------------- ramdisk 1: application
APPRD=$STAGE/app
mkdir -p "$APPRD"
if [[ $MODE == locked ]]; then
	cp -a "$LOCK_APP/." "$APPRD/" # built and stripped in the build root, with its libraries
	rm -f "$APPRD/.spod-ok"
else
	mkdir -p "$APPRD/spod/bin"
	copy_with_libs "$BUILD/spod-enclave" "$APPRD/spod/bin/spod-enclave" "$APPRD" --strip-all
fi
# No build or source directory may end up in the image (file names in __FILE__, DWARF):
# CMakeLists.txt maps them away and the binary is stripped; this checks that it held.
# Sanitizer builds (the vsock test of `make sanitize` with --dev) are exempt: clang's
# ASan/UBSan keep the full source path of every instrumented location whatever the prefix
# maps say.
for dir in "$BUILD" "$SPOD_SRC"; do
	if grep -qaF "$dir/" "$APPRD/spod/bin/spod-enclave"; then
		if grep -qaF AddressSanitizer "$APPRD/spod/bin/spod-enclave"; then
			say "note: the sanitizer build's spod-enclave names $dir (not reproducible across trees)"
			break
		fi
		die "spod-enclave names $dir (strings -a $APPRD/spod/bin/spod-enclave | grep $dir)"
	fi
done
"$PY" "$SPOD_SRC/image/mkcpio.py" "$OUT/ramdisk-app.cpio" "$APPRD" --mtime "$SOURCE_DATE_EPOCH"

# ---------------------------------------------------------------- the EIF
printf '%s' "$CMDLINE" >"$OUT/cmdline"
commit=$(git -C "$SPOD_SRC" rev-parse HEAD 2>/dev/null || echo unknown)
build_time=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
# nitro-cli's metadata fields; not measured, but fixed so that the bytes are too.
printf '{"ImageName":"spod-enclave","ImageVersion":"%s","BuildMetadata":{"BuildTime":"%s","BuildTool":"spod image/build.sh","BuildToolVersion":"1","OperatingSystem":"Linux","KernelVersion":"%s"},"DockerInfo":{},"CustomMetadata":{"kernel_package":"%s"}}' \
	"$commit" "$build_time" "$KVER" "$(basename "$KERNEL_DEB")" >"$OUT/metadata.json"
"$BUILD/tools/spod-eif" build "$OUT/spod-enclave.eif.tmp" --kernel "$VMLINUZ" \
	--cmdline "$CMDLINE" --ramdisk "$OUT/ramdisk-init.cpio" --ramdisk "$OUT/ramdisk-app.cpio" \
	--metadata "$OUT/metadata.json"
mv "$OUT/spod-enclave.eif.tmp" "$OUT/spod-enclave.eif"
rm -rf "$STAGE"

"$BUILD/spod" --json measure "$OUT/spod-enclave.eif" >"$OUT/pcrs.json"
"$BUILD/spod" measure "$OUT/spod-enclave.eif" >"$OUT/pcrs.txt"
say "$OUT/spod-enclave.eif: $(stat -c %s "$OUT/spod-enclave.eif") bytes; kernel $KVER" \
	"($(basename "$KERNEL_DEB")), SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH"
cat "$OUT/pcrs.txt"

# ---------------------------------------------------------------- the expected PCRs
if [[ $MODE == locked && $EXPECT != none ]]; then
	"$PY" "$SPOD_SRC/image/pcrs.py" "$EXPECT" "$EXPECTED" "$OUT" "$VMLINUZ" "$LOCK_FILE" ||
		die "the image's PCRs are not those of $EXPECTED (above); the image is in $OUT"
fi
