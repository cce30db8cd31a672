#!/usr/bin/env bash
# Assembles the tests/vsock guest: a Debian kernel and a small initramfs.
#
#   build-guest.sh OUT_DIR
#
# Environment: SPOD_BIN (build directory: spod-enclave, spod-host, spod, tests/it_pipeline,
# tests/vsock_*), SPOD_SRC (source tree). Optional: SPOD_VSOCK_CACHE (where the kernel
# package is kept between runs, default OUT_DIR/kernel), SPOD_VSOCK_PIPELINE (pipelined
# requests, default 10000), SPOD_VSOCK_RTT_N (echo round trips per transport, default 2000).
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
# The kernel is Debian's own: the package named by linux-image-amd64's Depends, fetched
# with `apt-get download` into the cache (never installed: nothing goes to /boot or
# /lib/modules of this machine) and unpacked with dpkg-deb, of which only the image and
# the three vsock modules are extracted. A cached package is reused without network.
set -euo pipefail

OUT=${1:?usage: build-guest.sh OUT_DIR}
: "${SPOD_BIN:?SPOD_BIN must name the build directory}"
: "${SPOD_SRC:?SPOD_SRC must name the source directory}"
CACHE=${SPOD_VSOCK_CACHE:-$OUT/kernel}
MODULES=(vsock vmw_vsock_virtio_transport_common vsock_loopback) # load order

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

# The versioned package linux-image-amd64 depends on, e.g. linux-image-6.1.0-56-amd64.
resolve_kernel_pkg() {
	local cand
	cand=$(apt-cache policy linux-image-amd64 2>/dev/null | sed -n 's/^ *Candidate: *//p')
	[[ -n $cand && $cand != "(none)" ]] || return 1
	apt-cache show "linux-image-amd64=$cand" 2>/dev/null |
		sed -n 's/^Depends:.*\(linux-image-[0-9][^ ,]*-amd64\).*/\1/p' | head -n1
}

fetch_kernel() {
	local pkg deb
	pkg=$(resolve_kernel_pkg || true)
	if [[ -n $pkg ]]; then
		deb=$(compgen -G "$CACHE/${pkg}_*_amd64.deb" | head -n1 || true)
		if [[ -z $deb ]]; then
			say "downloading $pkg into $CACHE"
			local apt_opts=()
			# As root apt drops privileges to _apt, which may not write here.
			[[ $(id -u) != 0 ]] || apt_opts=(-o APT::Sandbox::User=root)
			if (cd "$CACHE" && apt-get "${apt_opts[@]}" -q download "$pkg" >&2); then
				deb=$(compgen -G "$CACHE/${pkg}_*_amd64.deb" | head -n1 || true)
				# Older kernels cached before this one are not needed any more.
				for old in "$CACHE"/linux-image-*_amd64.deb; do
					[[ -z $deb || $old == "$deb" ]] || rm -f "$old"
				done
			else
				say "apt-get download $pkg failed"
			fi
		fi
	fi
	if [[ -z ${deb:-} ]]; then # offline or no apt lists: any package cached earlier
		deb=$(compgen -G "$CACHE/linux-image-*-amd64_*_amd64.deb" | sort -V | tail -n1 || true)
		[[ -n $deb ]] && say "using the cached $(basename "$deb")"
	fi
	[[ -n ${deb:-} ]] || die "no Debian kernel package: 'apt-get download linux-image-<ver>-amd64' failed and nothing is cached in $CACHE"
	KERNEL_DEB=$deb
}

# Extracts boot/vmlinuz-* and the vsock modules of $KERNEL_DEB into $CACHE/root (once).
unpack_kernel() {
	local stamp=$CACHE/root/.from tmp list want=()
	if [[ -f $stamp && $(<"$stamp") == "$(basename "$KERNEL_DEB")" ]]; then
		return 0
	fi
	tmp=$(mktemp -d "$CACHE/unpack.XXXXXX")
	list=$(dpkg-deb --fsys-tarfile "$KERNEL_DEB" | tar -t) ||
		die "cannot read $KERNEL_DEB"
	mapfile -t want < <(grep -E '^\./boot/vmlinuz-|/kernel/net/vmw_vsock/[^/]+\.ko(\.(xz|zst|gz))?$' <<<"$list")
	((${#want[@]} > 0)) || die "$KERNEL_DEB holds no vmlinuz or vsock modules"
	dpkg-deb --fsys-tarfile "$KERNEL_DEB" | tar -x -C "$tmp" "${want[@]}" ||
		die "cannot unpack $KERNEL_DEB"
	rm -rf "$CACHE/root"
	chmod 755 "$tmp"
	mv "$tmp" "$CACHE/root"
	basename "$KERNEL_DEB" >"$stamp"
}

fetch_kernel
unpack_kernel
KROOT=$CACHE/root
VMLINUZ=$(compgen -G "$KROOT/boot/vmlinuz-*" | head -n1 || true)
[[ -n $VMLINUZ ]] || die "no boot/vmlinuz-* in $KERNEL_DEB"
KVER=${VMLINUZ##*/vmlinuz-}

# u8/u32 little-endian at an offset of a file.
rd_u8() { od -An -tu1 -j "$2" -N1 "$1" | tr -d ' '; }
rd_u32() { od -An -tu4 --endian=little -j "$2" -N4 "$1" | tr -d ' '; }

# extract_vmlinux BZIMAGE OUT: the compressed payload of an x86 bzImage (boot protocol
# >= 2.08), decompressed with the tool its magic bytes name.
extract_vmlinux() {
	local bz=$1 out=$2 setup_sects poff plen start magic dec size
	[[ $(od -An -c -j $((0x202)) -N4 "$bz" | tr -d ' ') == HdrS ]] || die "$bz is not a bzImage"
	setup_sects=$(rd_u8 "$bz" $((0x1f1)))
	((setup_sects != 0)) || setup_sects=4
	poff=$(rd_u32 "$bz" $((0x248)))
	plen=$(rd_u32 "$bz" $((0x24c)))
	start=$(((setup_sects + 1) * 512 + poff))
	magic=$(od -An -tx1 -j "$start" -N6 "$bz" | tr -d ' \n')
	case $magic in
	fd377a585a00*) dec="xz -dc --single-stream" ;;
	1f8b*) dec="gzip -dc" ;;
	28b52ffd*) dec="zstd -qdc" ;;
	02214c18*) dec="lz4 -dc" ;;
	425a68*) dec="bzip2 -dc" ;;
	5d0000*) dec="xz -dc --format=lzma" ;;
	*) die "$bz: unknown payload compression (magic $magic)" ;;
	esac
	command -v "${dec%% *}" >/dev/null || die "${dec%% *} is needed to extract the kernel"
	# The payload ends with the decompressed size (u32, appended by the kernel's build);
	# some tools complain about those trailing bytes, so the result is checked against it.
	size=$(rd_u32 "$bz" $((start + plen - 4)))
	dd if="$bz" iflag=skip_bytes,count_bytes skip="$start" count="$plen" status=none |
		$dec >"$out.tmp" 2>/dev/null || true
	[[ $(od -An -tx1 -N4 "$out.tmp" | tr -d ' \n') == 7f454c46 && $(stat -c %s "$out.tmp") == "$size" ]] ||
		die "extracting vmlinux from $bz ($dec) did not give a $size-byte ELF file"
	mv "$out.tmp" "$out"
}

if [[ ! -s $KROOT/vmlinux || $KROOT/vmlinux -ot $VMLINUZ ]]; then
	extract_vmlinux "$VMLINUZ" "$KROOT/vmlinux"
fi
ln -f "$KROOT/vmlinux" "$OUT/vmlinux" 2>/dev/null || cp -f "$KROOT/vmlinux" "$OUT/vmlinux"
printf '%s %s\n' "$(basename "$KERNEL_DEB")" "$KVER" >"$OUT/kernel.txt"

# ---------------------------------------------------------------- the initramfs tree

ROOT=$OUT/initramfs
rm -rf "$ROOT"
mkdir -p "$ROOT"/{bin,dev,etc,lib/modules,proc,sys,tmp,spod/bin}
chmod 1777 "$ROOT/tmp"

# copy_with_libs FILE DEST: FILE to DEST plus every shared library it loads (ldd), the
# dynamic loader included, at the same absolute paths inside the initramfs. Debug info is
# stripped (code addresses do not move, so sanitizer reports still map onto the build tree).
copy_with_libs() {
	local file=$1 dest=$2 lib
	install -m 755 "$file" "$dest"
	if command -v strip >/dev/null; then strip --strip-debug "$dest"; fi
	while read -r lib; do
		[[ -e $ROOT$lib ]] && continue
		mkdir -p "$ROOT$(dirname "$lib")"
		cp -L "$lib" "$ROOT$lib"
	done < <(ldd "$file" 2>/dev/null | grep -oE '(^|[[:space:]])/[^ ]+' | tr -d '[:blank:]' | sort -u)
}

copy_with_libs "$BUSYBOX" "$ROOT/bin/busybox"
ln -s busybox "$ROOT/bin/sh" # /init installs the other applets

for m in "${MODULES[@]}"; do
	src=$(compgen -G "$KROOT/lib/modules/*/kernel/net/vmw_vsock/$m.ko*" ||
		compgen -G "$KROOT/usr/lib/modules/*/kernel/net/vmw_vsock/$m.ko*" || true)
	src=$(head -n1 <<<"$src")
	[[ -n $src ]] || die "module $m.ko not found in $KERNEL_DEB"
	case $src in # busybox insmod wants plain ELF
	*.ko) cp "$src" "$ROOT/lib/modules/$m.ko" ;;
	*.ko.xz) xz -dc "$src" >"$ROOT/lib/modules/$m.ko" ;;
	*.ko.zst) zstd -qdc "$src" >"$ROOT/lib/modules/$m.ko" ;;
	*.ko.gz) gzip -dc "$src" >"$ROOT/lib/modules/$m.ko" ;;
	*) die "unknown module format: $src" ;;
	esac
done

for b in spod-enclave spod-host spod tests/it_pipeline tests/vsock_badframes tests/vsock_rtt; do
	[[ -x $SPOD_BIN/$b ]] || die "$SPOD_BIN/$b is not built"
	copy_with_libs "$SPOD_BIN/$b" "$ROOT/spod/bin/$(basename "$b")"
done

install -m 755 "$SPOD_SRC/tests/vsock/init.sh" "$ROOT/init"
cat >"$ROOT/etc/spod-vsock.conf" <<EOF
SPOD_VSOCK_PORT=5005
SPOD_VSOCK_PIPELINE=${SPOD_VSOCK_PIPELINE:-10000}
SPOD_VSOCK_RTT_N=${SPOD_VSOCK_RTT_N:-2000}
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
