# shellcheck shell=bash
# Shell functions shared by image/build.sh (the enclave image), image/lock.sh and
# tests/vsock/build-guest.sh (the plain QEMU guest): Debian's kernel package, its vsock
# modules, and copying a program with the shared libraries it loads. Sourced, not run. The
# caller defines say and die and sets CACHE (where the kernel package is kept) before
# calling fetch_kernel.
#
# fetch_kernel takes the kernel Debian ships today (the plain guest and `image/build.sh
# --dev`; the locked image takes the lock's, image/lock.sh): the package named by
# linux-image-amd64's Depends, fetched with `apt-get download` into CACHE (never installed:
# nothing goes to /boot or /lib/modules of this machine) and unpacked with dpkg-deb, of
# which only the image and the vsock modules are extracted. A cached package is reused
# without network. The fetch and the unpacking hold CACHE/.lock, so the image test and the
# vsock test of one build tree can share a cache while ctest runs them in parallel.

SPOD_VSOCK_MODULES=(vsock vmw_vsock_virtio_transport_common vsock_loopback) # load order

# The versioned package linux-image-amd64 depends on, e.g. linux-image-6.1.0-56-amd64.
resolve_kernel_pkg() {
	local cand
	cand=$(apt-cache policy linux-image-amd64 2>/dev/null | sed -n 's/^ *Candidate: *//p')
	[[ -n $cand && $cand != "(none)" ]] || return 1
	apt-cache show "linux-image-amd64=$cand" 2>/dev/null |
		sed -n 's/^Depends:.*\(linux-image-[0-9][^ ,]*-amd64\).*/\1/p' | head -n1
}

# Sets KERNEL_DEB to the cached (or freshly downloaded) kernel package.
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

# u8/u32 little-endian at an offset of a file.
rd_u8() { od -An -tu1 -j "$2" -N1 "$1" | tr -d ' '; }
rd_u32() { od -An -tu4 --endian=little -j "$2" -N4 "$1" | tr -d ' '; }

# extract_vmlinux BZIMAGE OUT: the compressed payload of an x86 bzImage (boot protocol
# >= 2.08), decompressed with the tool its magic bytes name. The payload's position comes
# from the boot protocol header (payload_offset, payload_length) instead of a search for
# magic bytes as in the kernel's scripts/extract-vmlinux.
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

# kernel_prepare vmlinux|bzimage: fetches and unpacks the kernel package under CACHE/.lock and
# sets KROOT (the unpacked tree), VMLINUZ (the bzImage) and KVER; with the argument
# "vmlinux", also extracts KROOT/vmlinux once.
kernel_prepare() {
	mkdir -p "$CACHE"
	exec {_spod_kernel_lock}>"$CACHE/.lock"
	flock -w 600 "$_spod_kernel_lock" || die "another build holds $CACHE/.lock"
	fetch_kernel
	unpack_kernel
	kernel_found
	if [[ ${1:-} == vmlinux ]] && [[ ! -s $KROOT/vmlinux || $KROOT/vmlinux -ot $VMLINUZ ]]; then
		extract_vmlinux "$VMLINUZ" "$KROOT/vmlinux"
	fi
	exec {_spod_kernel_lock}>&-
}

# After unpack_kernel: sets KROOT (the unpacked tree), VMLINUZ (the bzImage) and KVER.
kernel_found() {
	KROOT=$CACHE/root
	VMLINUZ=$(compgen -G "$KROOT/boot/vmlinuz-*" | head -n1 || true)
	[[ -n $VMLINUZ ]] || die "no boot/vmlinuz-* in $KERNEL_DEB"
	# shellcheck disable=SC2034 # for the caller
	KVER=${VMLINUZ##*/vmlinuz-}
}

# copy_vsock_modules DIR: the vsock modules of KROOT as plain ELF DIR/NAME.ko (busybox insmod
# wants them uncompressed).
copy_vsock_modules() {
	local dir=$1 m src
	mkdir -p "$dir"
	for m in "${SPOD_VSOCK_MODULES[@]}"; do
		src=$(compgen -G "$KROOT/lib/modules/*/kernel/net/vmw_vsock/$m.ko*" ||
			compgen -G "$KROOT/usr/lib/modules/*/kernel/net/vmw_vsock/$m.ko*" || true)
		src=$(head -n1 <<<"$src")
		[[ -n $src ]] || die "module $m.ko not found in $KERNEL_DEB"
		case $src in
		*.ko) cp "$src" "$dir/$m.ko" ;;
		*.ko.xz) xz -dc "$src" >"$dir/$m.ko" ;;
		*.ko.zst) zstd -qdc "$src" >"$dir/$m.ko" ;;
		*.ko.gz) gzip -dc "$src" >"$dir/$m.ko" ;;
		*) die "unknown module format: $src" ;;
		esac
	done
}

# copy_with_libs FILE DEST ROOT [STRIP_OPTION]: FILE to DEST plus every shared library it
# loads (ldd), the dynamic loader included, at the same absolute paths under ROOT. strip
# runs with STRIP_OPTION (default --strip-debug: code addresses do not move, so sanitizer
# reports still map onto the build tree's binaries). Libraries already under ROOT are kept.
copy_with_libs() {
	local file=$1 dest=$2 root=$3 strip_opt=${4:---strip-debug} lib
	install -m 755 "$file" "$dest"
	if command -v strip >/dev/null; then strip "$strip_opt" "$dest"; fi
	while read -r lib; do
		[[ -e $root$lib ]] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done < <(ldd "$file" 2>/dev/null | grep -oE '(^|[[:space:]])/[^ ]+' | tr -d '[:blank:]' | sort -u)
}
