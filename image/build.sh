#!/usr/bin/env bash
# Builds the spod enclave image, reproducibly (docs/image.md):
#
#   image/build.sh BUILD_DIR OUT_DIR        (`make image`: BUILD_DIR=build, OUT_DIR=build/image)
#
# OUT_DIR/spod-enclave.eif is an Enclave Image File written by the project's own EIF code
# (BUILD_DIR/tools/spod-eif, spod_eif_build) from
#   kernel     Debian 12's bzImage, the package linux-image-amd64 depends on (image/lib.sh;
#              the same cached package as tests/vsock)
#   cmdline    $SPOD_IMAGE_CMDLINE (fixed, below)
#   ramdisk 0  init: /init (image/init.sh), static busybox, the vsock modules, /dev/console
#   ramdisk 1  application: spod-enclave from BUILD_DIR (strip --strip-all) and the shared
#              libraries and loader ldd names
#   metadata   fixed JSON (not measured)
# and OUT_DIR/pcrs.json / pcrs.txt are `spod measure` of it, which is also printed.
# Two runs from the same commit on the same system give byte-identical images: ramdisks
# are image/mkcpio.py archives (sorted, mtime = SOURCE_DATE_EPOCH, uid/gid 0, normalized
# modes, no inode or device numbers of this machine), and nothing else varies.
#
# Environment: SOURCE_DATE_EPOCH (default: the commit time of HEAD, else 1704067200),
# SPOD_VSOCK_CACHE (the kernel package cache, default BUILD_DIR/vsock/kernel), SPOD_SRC.
set -euo pipefail

BUILD=$(cd "${1:?usage: image/build.sh BUILD_DIR OUT_DIR}" && pwd)
OUT=${2:?usage: image/build.sh BUILD_DIR OUT_DIR}
SPOD_SRC=${SPOD_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck disable=SC2034 # read by image/lib.sh
CACHE=${SPOD_VSOCK_CACHE:-$BUILD/vsock/kernel}
PY=/usr/bin/python3
# What the guest needs: the serial console; panic=-1 reboots at once on a panic, which
# QEMU's -no-reboot turns into an exit (Nitro's own default is panic=30); pci=off: the
# guest has no PCI device; quiet keeps the emulated serial console short.
CMDLINE=${SPOD_IMAGE_CMDLINE:-"console=ttyS0 reboot=k panic=-1 oops=panic pci=off quiet"}

say() { printf '[image] %s\n' "$*" >&2; }
die() {
	printf '[image] ERROR: %s\n' "$*" >&2
	exit 1
}

for tool in dpkg-deb tar ldd strip "$PY"; do
	command -v "$tool" >/dev/null || die "$tool is missing (run scripts/install-deps.sh)"
done
BUSYBOX=$(command -v busybox || true)
[[ -n $BUSYBOX ]] || die "busybox is missing (scripts/install-deps.sh installs busybox-static)"
for b in spod-enclave spod tools/spod-eif; do
	[[ -x $BUILD/$b ]] || die "$BUILD/$b is not built (ninja -C $BUILD)"
done

if [[ -z ${SOURCE_DATE_EPOCH:-} ]]; then
	SOURCE_DATE_EPOCH=$(git -C "$SPOD_SRC" log -1 --format=%ct 2>/dev/null || echo 1704067200)
fi
export SOURCE_DATE_EPOCH LC_ALL=C TZ=UTC

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$SPOD_SRC/image/lib.sh"
kernel_prepare bzimage # VMLINUZ: the bzImage goes into the EIF as it is

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
STAGE=$OUT/stage
rm -rf "$STAGE"
mkdir -p "$STAGE"

# ---------------------------------------------------------------- ramdisk 0: init
INITRD=$STAGE/init
mkdir -p "$INITRD"/{bin,dev,etc,lib/modules,proc,sys,tmp,spod}
chmod 1777 "$INITRD/tmp"
install -m 755 "$SPOD_SRC/image/init.sh" "$INITRD/init"
if ldd "$BUSYBOX" >/dev/null 2>&1; then # dynamic (not busybox-static): its libraries too
	copy_with_libs "$BUSYBOX" "$INITRD/bin/busybox" "$INITRD"
else
	install -m 755 "$BUSYBOX" "$INITRD/bin/busybox" # Debian's bytes, as shipped
fi
ln -s busybox "$INITRD/bin/sh" # /init installs the other applets
copy_vsock_modules "$INITRD/lib/modules"
"$PY" "$SPOD_SRC/image/mkcpio.py" "$OUT/ramdisk-init.cpio" "$INITRD" \
	--mtime "$SOURCE_DATE_EPOCH" --node dev/console:c:5:1:0600

# ---------------------------------------------------------------- ramdisk 1: application
APPRD=$STAGE/app
mkdir -p "$APPRD/spod/bin"
copy_with_libs "$BUILD/spod-enclave" "$APPRD/spod/bin/spod-enclave" "$APPRD" --strip-all
# No build or source directory may end up in the image (file names in __FILE__, DWARF):
# CMakeLists.txt maps them away and the binary is stripped; this checks that it held.
# Sanitizer builds (the vsock test of `make sanitize`) are exempt: clang's ASan/UBSan keep
# the full source path of every instrumented location whatever the prefix maps say.
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
