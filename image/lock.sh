# shellcheck shell=bash
# The locked inputs of the enclave image (docs/image.md, "The lock"). Sourced by
# image/build.sh, image/lock-refresh.sh and image/inputs.sh, after image/lib.sh; the caller
# defines say and die and sets SPOD_SRC.
#
# image/lock names every Debian package whose files end up in the image or build
# spod-enclave, with its exact version and the sha256 of its .deb, one a line:
#   epoch SECONDS                      SOURCE_DATE_EPOCH of the image (archive mtimes)
#   root NAME VERSION ARCH SHA256      installed in the build root (mmdebstrap, buildd)
#   kernel NAME VERSION ARCH SHA256    the kernel package: only unpacked, never installed
# The cache (SPOD_IMAGE_CACHE, default SPOD_SRC/.cache/image) holds
#   debs/NAME_VERSION_ARCH.deb   the packages as `apt-get download` names them; every one is
#                                checked against the lock each time, a wrong one is refused
#   root-KEY/                    the build root made from exactly those packages, KEY = the
#                                lock's hash; reused while the lock stays the same
#   app-KEY/                     spod-enclave built in that root (stripped there) and the
#                                libraries it loads, copied out of the root; KEY = lock + sources
#   kernel/                      the locked kernel's bzImage and vsock modules (image/lib.sh)
# Nothing of this machine's own libraries, headers or compiler goes into the image.

LOCK_UNAVAILABLE=3 # exit status when a locked package cannot be had: not served, offline, not root
LOCK_SUITE=bookworm
LOCK_FILE=${SPOD_IMAGE_LOCK:-$SPOD_SRC/image/lock}
LOCK_CACHE=${SPOD_IMAGE_CACHE:-$SPOD_SRC/.cache/image}
LOCK_OFFLINE=${SPOD_IMAGE_OFFLINE:-0}
LOCK_REFRESH="make image-lock"

# unavailable WHY...: stops with LOCK_UNAVAILABLE (the image test reports this as skipped).
lock_unavailable() {
	printf '[image] UNAVAILABLE: %s\n' "$@" >&2
	exit "$LOCK_UNAVAILABLE"
}

# Reads LOCK_FILE into LOCK_EPOCH, LOCK_HASH and the arrays LOCK_ROLE, LOCK_NAME, LOCK_VER,
# LOCK_ARCH, LOCK_SHA (one entry per package, in the file's order).
lock_load() {
	local role name ver arch sha extra n=0
	[[ -r $LOCK_FILE ]] || die "no lock file $LOCK_FILE (make image-lock writes one)"
	LOCK_EPOCH="" LOCK_ROLE=() LOCK_NAME=() LOCK_VER=() LOCK_ARCH=() LOCK_SHA=()
	while read -r role name ver arch sha extra; do
		n=$((n + 1))
		case $role in
		"" | "#"*) continue ;;
		epoch)
			[[ $name =~ ^[0-9]+$ && -z $ver ]] || die "$LOCK_FILE:$n: bad epoch line"
			LOCK_EPOCH=$name
			;;
		root | kernel)
			[[ -n $arch && $sha =~ ^[0-9a-f]{64}$ && -z $extra ]] || die "$LOCK_FILE:$n: bad package line"
			LOCK_ROLE+=("$role") LOCK_NAME+=("$name") LOCK_VER+=("$ver") LOCK_ARCH+=("$arch")
			LOCK_SHA+=("$sha")
			;;
		*) die "$LOCK_FILE:$n: unknown line '$role'" ;;
		esac
	done <"$LOCK_FILE"
	[[ -n $LOCK_EPOCH ]] || die "$LOCK_FILE has no epoch line"
	((${#LOCK_NAME[@]} > 0)) || die "$LOCK_FILE names no package"
	[[ $(printf '%s\n' "${LOCK_ROLE[@]}" | grep -c '^kernel$') == 1 ]] ||
		die "$LOCK_FILE must name exactly one kernel package"
	LOCK_HASH=$(sha256sum "$LOCK_FILE" | cut -d' ' -f1)
}

# The cache path of package I, named as `apt-get download` names it (':' of an epoch as %3a).
lock_deb() { printf '%s/debs/%s_%s_%s.deb' "$LOCK_CACHE" "${LOCK_NAME[$1]}" "${LOCK_VER[$1]//:/%3a}" "${LOCK_ARCH[$1]}"; }

# lock_check_deb I FILE: refuses FILE unless its sha256 is the lock's for package I.
lock_check_deb() {
	local got
	got=$(sha256sum "$2" | cut -d' ' -f1)
	[[ $got == "${LOCK_SHA[$1]}" ]] && return 0
	die "refusing $2: its sha256 is $got, but the lock wants ${LOCK_SHA[$1]} for ${LOCK_NAME[$1]} ${LOCK_VER[$1]} ($LOCK_FILE). Remove the file to fetch the locked package again."
}

# apt-get download of the packages whose indexes are given, into DIR; on failure names the
# packages apt could not get and stops as unavailable.
lock_download() {
	local dir=$1 i apt_opts=() specs=() gone=()
	shift
	# As root apt drops privileges to _apt, which may not write here.
	[[ $(id -u) != 0 ]] || apt_opts=(-o APT::Sandbox::User=root)
	for i in "$@"; do specs+=("${LOCK_NAME[$i]}=${LOCK_VER[$i]}"); done
	say "downloading ${#specs[@]} locked packages into $LOCK_CACHE/debs"
	(cd "$dir" && apt-get "${apt_opts[@]}" -q download "${specs[@]}" >"$dir/apt.log" 2>&1) && return 0
	for i in "$@"; do # which ones: one by one, only on this path
		(cd "$dir" && apt-get "${apt_opts[@]}" -q download "${LOCK_NAME[$i]}=${LOCK_VER[$i]}" \
			>>"$dir/apt.log" 2>&1) || gone+=("${LOCK_NAME[$i]} ${LOCK_VER[$i]}")
	done
	((${#gone[@]} > 0)) || return 0
	grep '^E:' "$dir/apt.log" | sort -u | head -n 5 >&2 || true
	lock_unavailable "Debian does not serve the locked package $(printf '%s, ' "${gone[@]}" | sed 's/, $//')" \
		"(or this machine cannot reach it; if its apt lists are old, run apt-get update first)." \
		"Refresh the lock, a new release with new PCRs: $LOCK_REFRESH" \
		"An older release rebuilds from its inputs without network: make image INPUTS=FILE"
}

# Every locked package in LOCK_CACHE/debs with the lock's sha256: cached ones are checked,
# missing ones fetched with apt-get download (unless LOCK_OFFLINE=1) and checked.
lock_fetch() {
	local i deb missing=() tmp
	mkdir -p "$LOCK_CACHE/debs"
	for i in "${!LOCK_NAME[@]}"; do
		deb=$(lock_deb "$i")
		if [[ -e $deb ]]; then lock_check_deb "$i" "$deb"; else missing+=("$i"); fi
	done
	((${#missing[@]} > 0)) || return 0
	if [[ $LOCK_OFFLINE == 1 ]]; then
		i=${missing[0]}
		lock_unavailable "${#missing[@]} locked packages are not in $LOCK_CACHE/debs," \
			"e.g. ${LOCK_NAME[$i]} ${LOCK_VER[$i]}, and SPOD_IMAGE_OFFLINE=1 (or INPUTS=) forbids fetching them"
	fi
	tmp=$(mktemp -d "$LOCK_CACHE/download.XXXXXX")
	lock_download "$tmp" "${missing[@]}"
	for i in "${missing[@]}"; do
		deb=$(lock_deb "$i")
		[[ -e $tmp/${deb##*/} ]] || die "apt-get download gave no ${deb##*/} (see $tmp/apt.log)"
		lock_check_deb "$i" "$tmp/${deb##*/}"
		mv "$tmp/${deb##*/}" "$deb"
	done
	rm -rf "$tmp"
}

# lock_import FILE: the packages of an inputs tarball (make image-inputs) into the cache, for
# a build without network. Its lock must be this checkout's.
lock_import() {
	local file=$1
	[[ -r $file ]] || die "INPUTS=$file: no such file"
	tar -xOf "$file" lock 2>/dev/null | cmp -s - "$LOCK_FILE" ||
		die "INPUTS=$file was not made for this checkout's $LOCK_FILE (check out the release it belongs to)"
	mkdir -p "$LOCK_CACHE"
	say "importing the locked packages of $file"
	tar -xf "$file" -C "$LOCK_CACHE" debs || die "cannot unpack $file"
	LOCK_OFFLINE=1
}

# The locked root packages, "NAME VERSION ARCH" sorted, as dpkg-query lists an installed root.
lock_root_list() {
	local i
	for i in "${!LOCK_NAME[@]}"; do
		[[ ${LOCK_ROLE[$i]} != root ]] || printf '%s %s %s\n' "${LOCK_NAME[$i]}" "${LOCK_VER[$i]}" "${LOCK_ARCH[$i]}"
	done | LC_ALL=C sort
}

# lock_repo DIR: a local apt repository in DIR holding exactly the locked root packages (hard
# links into the cache), with a Release file that names the suite so mmdebstrap's variants
# find their packages. Unsigned: every file in it was just checked against the lock.
lock_repo() {
	local dir=$1 i
	rm -rf "$dir"
	mkdir -p "$dir"
	for i in "${!LOCK_NAME[@]}"; do
		[[ ${LOCK_ROLE[$i]} == root ]] || continue
		ln "$(lock_deb "$i")" "$dir/" 2>/dev/null || cp "$(lock_deb "$i")" "$dir/"
	done
	(cd "$dir" && dpkg-scanpackages -m . /dev/null >Packages 2>/dev/null) || die "dpkg-scanpackages failed in $dir"
	cat >"$dir/Release" <<REL
Origin: spod
Label: spod image lock
Suite: $LOCK_SUITE
Codename: $LOCK_SUITE
Architectures: amd64 all
Components: main
Date: $(date -u -R -d "@$LOCK_EPOCH")
SHA256:
 $(sha256sum "$dir/Packages" | cut -d' ' -f1) $(stat -c %s "$dir/Packages") Packages
REL
}

# Sets LOCK_ROOT to the build root of this lock: made once with mmdebstrap (buildd variant
# plus every locked root package by name) from a local repository that holds exactly the
# locked packages, so apt has no other version to choose; then checked to hold exactly them.
lock_root() {
	local tmp n log=$LOCK_CACHE/mmdebstrap.log
	LOCK_ROOT=$LOCK_CACHE/root-${LOCK_HASH:0:16}
	[[ -f $LOCK_ROOT/.spod-lock && $(<"$LOCK_ROOT/.spod-lock") == "$LOCK_HASH" ]] && return 0
	[[ $(id -u) == 0 ]] || lock_unavailable "the locked build root needs root (mmdebstrap, chroot)"
	for tool in mmdebstrap dpkg-scanpackages; do
		command -v "$tool" >/dev/null || die "$tool is missing (run scripts/install-deps.sh)"
	done
	rm -rf --one-file-system "$LOCK_CACHE"/root-* # older locks' roots
	lock_repo "$LOCK_CACHE/repo"
	tmp=$LOCK_ROOT.tmp
	n=$(lock_root_list | wc -l)
	say "making the build root from the $n locked packages (mmdebstrap, about a minute)"
	mmdebstrap --mode=root --variant=buildd --include="$(lock_root_list | cut -d' ' -f1 | paste -sd,)" \
		"$LOCK_SUITE" "$tmp" "deb [trusted=yes] copy://$LOCK_CACHE/repo ./" >"$log" 2>&1 || {
		tail -n 20 "$log" >&2
		die "mmdebstrap failed (log: $log)"
	}
	# shellcheck disable=SC2016 # dpkg-query's fields
	chroot "$tmp" dpkg-query -W -f '${Package} ${Version} ${Architecture}\n' | LC_ALL=C sort >"$tmp/.spod-packages"
	diff <(lock_root_list) "$tmp/.spod-packages" >&2 ||
		die "the build root's packages are not exactly the lock's ('<' lock, '>' root)"
	printf '%s\n' "$LOCK_HASH" >"$tmp/.spod-lock"
	mv "$tmp" "$LOCK_ROOT"
	rm -rf "$LOCK_CACHE/repo"
}

# lock_chroot CMD...: CMD in the build root with a fixed, minimal environment.
lock_chroot() {
	chroot "$LOCK_ROOT" /usr/bin/env -i PATH=/usr/bin:/bin LC_ALL=C TZ=UTC HOME=/nonexistent \
		SOURCE_DATE_EPOCH="$LOCK_EPOCH" "$@"
}

# What spod-enclave is built from (CMake's SPOD_ENCLAVE_ONLY configures nothing else).
LOCK_SOURCES=(CMakeLists.txt cmake include src)

# The key of the built application: the lock, this file (the recipe) and the sources.
lock_app_key() {
	{
		printf '%s\n' "$LOCK_HASH"
		sha256sum "$SPOD_SRC/image/lock.sh" | cut -d' ' -f1
		(cd "$SPOD_SRC" && find "${LOCK_SOURCES[@]}" -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
	} | sha256sum | cut -c1-16
}

# spod-enclave from SPOD_SRC, built in the build root at the fixed paths /spod/src and
# /spod/build (so no path of this machine is in it) and stripped there with the locked binutils.
lock_compile() {
	local log=$LOCK_CACHE/compile.log dir
	rm -rf "$LOCK_ROOT/spod"
	mkdir -p "$LOCK_ROOT/spod/src"
	tar -C "$SPOD_SRC" -cf - "${LOCK_SOURCES[@]}" | tar -C "$LOCK_ROOT/spod/src" -xf -
	say "building spod-enclave in the build root (gcc $(lock_chroot gcc -dumpfullversion))"
	lock_chroot sh -ec 'umask 022
		cmake -S /spod/src -B /spod/build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSPOD_ENCLAVE_ONLY=ON
		ninja -C /spod/build spod-enclave
		mkdir -p /spod/out
		strip --strip-all -o /spod/out/spod-enclave /spod/build/spod-enclave' >"$log" 2>&1 || {
		tail -n 30 "$log" >&2
		die "building spod-enclave in $LOCK_ROOT failed (log: $log)"
	}
	for dir in /spod/src/ /spod/build/ "$SPOD_SRC/"; do
		! grep -qaF "$dir" "$LOCK_ROOT/spod/out/spod-enclave" || die "the locked spod-enclave names $dir"
	done
}

# Sets LOCK_APP to a directory holding spod/bin/spod-enclave (lock_compile) and every shared
# library and the loader it loads, copied out of the build root at their paths (symbolic
# links resolved inside the root, never on this machine).
lock_app() {
	local tmp lib real
	LOCK_APP=$LOCK_CACHE/app-$(lock_app_key)
	[[ -f $LOCK_APP/.spod-ok ]] && return 0
	lock_root
	rm -rf "$LOCK_CACHE"/app-*
	lock_compile
	tmp=$LOCK_APP.tmp
	mkdir -p "$tmp/spod/bin"
	cp "$LOCK_ROOT/spod/out/spod-enclave" "$tmp/spod/bin/spod-enclave"
	chmod 755 "$tmp/spod/bin/spod-enclave"
	while read -r lib; do
		real=$(lock_chroot readlink -f "$lib") || die "no $lib in the build root"
		mkdir -p "$tmp$(dirname "$lib")"
		cp "$LOCK_ROOT$real" "$tmp$lib"
	done < <(lock_chroot ldd /spod/out/spod-enclave | grep -oE '(^|[[:space:]])/[^ ]+' | tr -d '[:blank:]' | sort -u)
	[[ -n $(compgen -G "$tmp/lib*/ld-linux*") ]] || die "ldd named no dynamic loader for spod-enclave"
	touch "$tmp/.spod-ok"
	mv "$tmp" "$LOCK_APP"
	rm -rf "$LOCK_ROOT/spod"
}

# The locked kernel package, unpacked (image/lib.sh): sets KERNEL_DEB, KROOT, VMLINUZ, KVER.
lock_kernel() {
	local i
	for i in "${!LOCK_ROLE[@]}"; do
		# shellcheck disable=SC2034 # read by image/lib.sh
		[[ ${LOCK_ROLE[$i]} != kernel ]] || KERNEL_DEB=$(lock_deb "$i")
	done
	CACHE=$LOCK_CACHE/kernel
	mkdir -p "$CACHE"
	unpack_kernel
	kernel_found
}

# lock_prepare [INPUTS]: everything the locked image is made of, under LOCK_CACHE/.lock (held
# until the caller exits, so parallel builds of one tree share the cache): the packages
# (imported from INPUTS when given, else fetched) checked against the lock, the build root,
# spod-enclave and its libraries (LOCK_APP), the kernel (KROOT, VMLINUZ, KVER), and busybox
# from the root (LOCK_BUSYBOX).
lock_prepare() {
	lock_load
	mkdir -p "$LOCK_CACHE"
	exec {_spod_lock_fd}>"$LOCK_CACHE/.lock"
	flock -w 900 "$_spod_lock_fd" || die "another build holds $LOCK_CACHE/.lock"
	[[ -z ${1:-} ]] || lock_import "$1"
	lock_fetch
	lock_app
	lock_root
	lock_kernel
	LOCK_BUSYBOX=$LOCK_ROOT/$(lock_chroot readlink -f /bin/busybox)
	[[ -x $LOCK_BUSYBOX ]] || die "the build root has no busybox (busybox-static must be in the lock)"
}
