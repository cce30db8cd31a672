#!/usr/bin/env bash
# `make image-inputs`: one tarball holding every package image/lock names, the lock and the
# expected PCRs, so that the image of a release can be rebuilt later without network, after
# Debian stopped serving its packages (docs/image.md): `make image INPUTS=FILE` on a checkout
# of that release.
#
#   image/inputs.sh OUT_DIR      writes OUT_DIR/spod-image-inputs-<lock sha256, 12 hex>.tar
#
# The packages are fetched (or taken from the cache) and checked as `make image` does. The
# tarball is reproducible: sorted names, mtimes at the lock's epoch, owner 0.
set -euo pipefail

OUT=${1:?usage: image/inputs.sh OUT_DIR}
SPOD_SRC=${SPOD_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
say() { printf '[image-inputs] %s\n' "$*" >&2; }
die() {
	printf '[image-inputs] ERROR: %s\n' "$*" >&2
	exit 1
}
# shellcheck source-path=SCRIPTDIR source=lock.sh
source "$SPOD_SRC/image/lock.sh"
lock_load
mkdir -p "$LOCK_CACHE"
exec {lock_fd}>"$LOCK_CACHE/.lock"
flock -w 900 "$lock_fd" || die "another build holds $LOCK_CACHE/.lock"
lock_fetch

T=$(mktemp -d "${TMPDIR:-/tmp}/spod-image-inputs.XXXXXX")
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/debs"
for i in "${!LOCK_NAME[@]}"; do
	deb=$(lock_deb "$i")
	ln "$deb" "$T/debs/" 2>/dev/null || cp "$deb" "$T/debs/"
done
cp "$LOCK_FILE" "$T/lock"
cp "$SPOD_SRC/image/expected-pcrs.json" "$T/expected-pcrs.json"
mkdir -p "$OUT"
file=$OUT/spod-image-inputs-${LOCK_HASH:0:12}.tar
tar -C "$T" --sort=name --mtime="@$LOCK_EPOCH" --owner=0 --group=0 --numeric-owner \
	--mode=u=rwX,go=rX --format=gnu -cf "$file.tmp" lock expected-pcrs.json debs
mv "$file.tmp" "$file"
say "$file: ${#LOCK_NAME[@]} packages, $(du -h "$file" | cut -f1), sha256 $(sha256sum "$file" | cut -d' ' -f1)"
echo "$file"
