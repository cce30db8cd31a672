#!/usr/bin/env bash
# `make image-lock`: a new image/lock from what Debian 12 serves today, then the image built
# from it and image/expected-pcrs.json rewritten (docs/image.md, "When Debian moves"). A new
# lock is a new release: its PCRs differ.
#
#   image/lock-refresh.sh BUILD_DIR
#
# The build root's package set is what `mmdebstrap --variant=buildd` installs from Debian
# (bookworm, bookworm-updates, bookworm-security) with ROOT_INCLUDE below: gcc and the rest
# of build-essential, cmake, ninja, pkgconf, the -dev packages of every library spod-enclave
# links, and busybox-static for the init ramdisk. The lock names every package of that root
# (dpkg-query inside it) and the kernel package linux-image-amd64 depends on, each with the
# sha256 of the .deb that `apt-get download` fetches (apt checks those against Debian's signed
# indexes). Needs root and network. Environment: SPOD_IMAGE_LOCK, SPOD_IMAGE_CACHE (lock.sh).
set -euo pipefail

BUILD=${1:?usage: image/lock-refresh.sh BUILD_DIR}
SPOD_SRC=${SPOD_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
ROOT_INCLUDE=(cmake ninja-build pkgconf libssl-dev libsodium-dev libsecp256k1-dev libcbor-dev
	libseccomp-dev libgfshare-dev busybox-static)

say() { printf '[image-lock] %s\n' "$*" >&2; }
die() {
	printf '[image-lock] ERROR: %s\n' "$*" >&2
	exit 1
}
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$SPOD_SRC/image/lib.sh"
# shellcheck source-path=SCRIPTDIR source=lock.sh
source "$SPOD_SRC/image/lock.sh"
[[ $(id -u) == 0 ]] || die "needs root (mmdebstrap, apt-get update)"
command -v mmdebstrap >/dev/null || die "mmdebstrap is missing (run scripts/install-deps.sh)"

T=$(mktemp -d /var/tmp/spod-image-lock.XXXXXX)
trap 'rm -rf --one-file-system "$T"' EXIT
say "apt-get update (the lock pins what Debian serves now)"
apt-get update -q >"$T/update.log" 2>&1 || {
	cat "$T/update.log" >&2
	die "apt-get update failed"
}
say "resolving the build root with mmdebstrap --variant=buildd (from Debian, a few minutes)"
mmdebstrap --mode=root --variant=buildd --include="$(
	IFS=,
	echo "${ROOT_INCLUDE[*]}"
)" "$LOCK_SUITE" "$T/root" >"$T/mmdebstrap.log" 2>&1 || {
	tail -n 20 "$T/mmdebstrap.log" >&2
	die "mmdebstrap failed"
}
# shellcheck disable=SC2016 # dpkg-query's fields
chroot "$T/root" dpkg-query -W -f 'root ${Package} ${Version} ${Architecture}\n' | LC_ALL=C sort -k2,2 >"$T/pkgs"
kpkg=$(resolve_kernel_pkg) || die "apt-cache cannot resolve linux-image-amd64"
kver=$(apt-cache policy "$kpkg" | sed -n 's/^ *Candidate: *//p')
[[ -n $kver && $kver != "(none)" ]] || die "no candidate version of $kpkg"
echo "kernel $kpkg $kver amd64" >>"$T/pkgs"

# Download every package and take its sha256: the lock is written with them afterwards.
mkdir -p "$T/debs"
mapfile -t specs < <(awk '{print $2 "=" $3}' "$T/pkgs")
say "downloading ${#specs[@]} packages"
(cd "$T/debs" && apt-get -o APT::Sandbox::User=root -q download "${specs[@]}" >"$T/download.log" 2>&1) || {
	grep '^E:' "$T/download.log" >&2 || tail -n 5 "$T/download.log" >&2
	die "apt-get download failed"
}
epoch=$(($(date -u +%s) / 86400 * 86400))
{
	printf '# The locked inputs of the enclave image (docs/image.md): every Debian package whose\n'
	printf '# files are in the image or build spod-enclave, with the sha256 of its .deb.\n'
	# shellcheck disable=SC2016 # literal backquotes
	printf '# Written by `make image-lock` (image/lock-refresh.sh) on %s; do not edit.\n' "$(date -u +%F)"
	printf '# Build root: mmdebstrap --variant=buildd --include=%s\n' "$(
		IFS=,
		echo "${ROOT_INCLUDE[*]}"
	)"
	printf 'epoch %s\n' "$epoch"
	while read -r role name ver arch; do
		deb=$T/debs/${name}_${ver//:/%3a}_${arch}.deb
		[[ -f $deb ]] || die "apt-get download gave no ${deb##*/}"
		printf '%s %s %s %s %s\n' "$role" "$name" "$ver" "$arch" "$(sha256sum "$deb" | cut -d' ' -f1)"
	done <"$T/pkgs"
} >"$T/lock"
mkdir -p "$LOCK_CACHE/debs"
mv "$T"/debs/*.deb "$LOCK_CACHE/debs/"
mv "$T/lock" "$LOCK_FILE"
say "wrote $LOCK_FILE: $(grep -c '^root ' "$LOCK_FILE") root packages and $kpkg $kver"

"$SPOD_SRC/image/build.sh" "$BUILD" "$BUILD/image" --write-expected
say "a new release: commit $LOCK_FILE and image/expected-pcrs.json together"
