#!/usr/bin/env bash
# Assembles the tests/vsock guest: a Debian kernel and a small initramfs.
#
#   build-guest.sh OUT_DIR
#
# Environment: SPOD_BIN (build directory: spod-enclave, spod-host, spod, tests/it_pipeline,
# tests/vsock_*), SPOD_SRC (source tree). Optional: SPOD_VSOCK_CACHE (where the kernel
# package is kept between runs, default OUT_DIR/kernel), SPOD_VSOCK_PIPELINE (pipelined
# requests, default 10000), SPOD_VSOCK_RTT_N (echo round trips per transport, default 2000).
# SPOD_VSOCK_MODE=bench makes /init run tests/vsock/bench-init.sh instead of the test
# (bench/vsock.sh; it reads SPOD_VSOCK_BENCH_N and SPOD_VSOCK_BENCH_WARMUP); the mode is a
# line of /etc/spod-vsock.conf in the initramfs, not a kernel argument.
#
# Writes OUT_DIR/vmlinux (the uncompressed kernel), OUT_DIR/initramfs.cpio and
# OUT_DIR/kernel.txt (the package it came from).
#
# Why vmlinux and not the bzImage: QEMU's -kernel boots Debian's bzImage with -M pc too, but
# the guest then spends about 3 s of emulated time decompressing its xz payload (5-6 s from
# start to /init against 2-3 s). So the payload is extracted here once, as the kernel's
# scripts/extract-vmlinux does, except that its position comes from the boot protocol
# header (payload_offset, payload_length) instead of a search for magic bytes; QEMU boots
# the ELF through its PVH entry point.
#
# The kernel is Debian's own, fetched and unpacked by image/lib.sh (shared with
# image/build.sh, the enclave image that tests/vsock/vsock.sh boots; this plain guest is
# what bench/vsock.sh boots).
set -euo pipefail

OUT=${1:?usage: build-guest.sh OUT_DIR}
: "${SPOD_BIN:?SPOD_BIN must name the build directory}"
: "${SPOD_SRC:?SPOD_SRC must name the source directory}"
CACHE=${SPOD_VSOCK_CACHE:-$OUT/kernel}

say() { printf '[build-guest] %s\n' "$*" >&2; }
die() {
	printf '[build-guest] ERROR: %s\n' "$*" >&2
	exit 1
}

for tool in dpkg-deb tar cpio ldd xz; do
	command -v $tool >/dev/null || die "$tool is missing (run scripts/install-deps.sh)"
done
BUSYBOX=$(command -v busybox || true)
[[ -n $BUSYBOX ]] || die "busybox is missing (scripts/install-deps.sh installs busybox-static)"

mkdir -p "$OUT" "$CACHE"

# ---------------------------------------------------------------- the kernel package

# shellcheck source-path=SCRIPTDIR/../../image source=lib.sh
source "$SPOD_SRC/image/lib.sh" # fetch/unpack Debian's kernel, modules, copy_with_libs
kernel_prepare vmlinux
ln -f "$KROOT/vmlinux" "$OUT/vmlinux" 2>/dev/null || cp -f "$KROOT/vmlinux" "$OUT/vmlinux"
printf '%s %s\n' "$(basename "$KERNEL_DEB")" "$KVER" >"$OUT/kernel.txt"

# ---------------------------------------------------------------- the initramfs tree

ROOT=$OUT/initramfs
rm -rf "$ROOT"
mkdir -p "$ROOT"/{bin,dev,etc,lib/modules,proc,sys,tmp,spod/bin}
chmod 1777 "$ROOT/tmp"

copy_with_libs "$BUSYBOX" "$ROOT/bin/busybox" "$ROOT"
ln -s busybox "$ROOT/bin/sh" # /init installs the other applets

copy_vsock_modules "$ROOT/lib/modules"

for b in spod-enclave spod-host spod tests/it_pipeline tests/vsock_badframes tests/vsock_rtt \
	tests/vsock_bench; do
	[[ -x $SPOD_BIN/$b ]] || die "$SPOD_BIN/$b is not built"
	copy_with_libs "$SPOD_BIN/$b" "$ROOT/spod/bin/$(basename "$b")" "$ROOT"
done

install -m 755 "$SPOD_SRC/tests/vsock/init.sh" "$ROOT/init"
install -m 644 "$SPOD_SRC/tests/vsock/bench-init.sh" "$ROOT/spod/bench-init.sh" # bench mode
cat >"$ROOT/etc/spod-vsock.conf" <<EOF
SPOD_VSOCK_PORT=5005
SPOD_VSOCK_PIPELINE=${SPOD_VSOCK_PIPELINE:-10000}
SPOD_VSOCK_RTT_N=${SPOD_VSOCK_RTT_N:-2000}
SPOD_VSOCK_MODE=${SPOD_VSOCK_MODE:-test}
SPOD_VSOCK_BENCH_N=${SPOD_VSOCK_BENCH_N:-2000}
SPOD_VSOCK_BENCH_WARMUP=${SPOD_VSOCK_BENCH_WARMUP:-200}
EOF

# ---------------------------------------------------------------- the archive

# newc_node NAME MODE MAJOR MINOR: one cpio "newc" entry without data (a device node or a
# directory), so /dev/console exists when the kernel starts /init, without mknod here.
newc_node() {
	local name=$1 mode=$2 major=$3 minor=$4 hdr pad
	hdr=$(printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		$((RANDOM + 100000)) "$mode" 0 0 1 0 0 0 0 "$major" "$minor" $((${#name} + 1)) 0)
	printf '%s%s\0' "$hdr" "$name"
	pad=$(((4 - (110 + ${#name} + 1) % 4) % 4))
	head -c "$pad" /dev/zero
}

(
	cd "$ROOT"
	find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet
	# A second archive (the kernel unpacks concatenated ones): the console device node.
	newc_node dev/console $((0020600)) 5 1
	newc_node TRAILER!!! 0 0 0
) >"$OUT/initramfs.cpio"

say "guest ready in $OUT: kernel $KVER, initramfs $(du -h "$OUT/initramfs.cpio" | cut -f1)"
