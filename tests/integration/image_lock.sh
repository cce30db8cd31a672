#!/usr/bin/env bash
# The locked enclave image (docs/image.md): `make image` (image/build.sh) builds it from the
# Debian packages of image/lock, and its PCRs must be those of image/expected-pcrs.json.
# When a locked package cannot be had (Debian no longer serves it, no network, not root) the
# test is skipped (exit 77, ctest's SKIP_RETURN_CODE) with build.sh's reason, which names the
# package and `make image-lock`, also written to $SPOD_BIN/skipped/ for `make test` to show.
# Any other failure, a PCR mismatch above all, fails it. Then, on copies of the cache (the
# real one is never changed):
#   - another version of a locked library in the cache under the locked file name is refused
#     by its sha256, and no image is written;
#   - a lock naming a version Debian does not serve stops with exit status 3, the package's
#     name and `make image-lock`;
#   - an expected-pcrs.json in which one library differs: the error names that file and its
#     ramdisk;
#   - `image/inputs.sh` (make image-inputs) and `build.sh --inputs` (make image INPUTS=) with
#     an empty package cache and no fetching give the same EIF.
set -euo pipefail
: "${SPOD_BIN:?SPOD_BIN must name the build directory}"
: "${SPOD_SRC:?SPOD_SRC must name the source directory}"
CACHE=${SPOD_IMAGE_CACHE:-$SPOD_SRC/.cache/image}
T=$(mktemp -d /var/tmp/spod-image-lock.XXXXXXXX) # next to the cache: hard links work
trap 'rm -rf --one-file-system "$T"' EXIT
log() { printf '[image_lock %s] %s\n' "$(date +%T)" "$*" >&2; }
fail() {
	printf '[image_lock] FAIL: %s\n' "$*" >&2
	exit 1
}
build() { bash "$SPOD_SRC/image/build.sh" "$SPOD_BIN" "$@"; }
# clone DIR DEST: hard links where the file system allows, else a copy.
clone() { cp -al "$1" "$2" 2>/dev/null || { rm -rf "$2" && cp -a "$1" "$2"; }; }
t0=$SECONDS

log "make image: the locked image and image/expected-pcrs.json"
rc=0
build "$T/a" >"$T/a.log" 2>&1 || rc=$?
if ((rc == 3)); then
	mkdir -p "$SPOD_BIN/skipped"
	{
		echo "integration/image_lock skipped: the locked image cannot be built here"
		grep -E '^\[image\] UNAVAILABLE|^E:' "$T/a.log" | sed 's/^/  /'
	} | tee "$SPOD_BIN/skipped/image_lock.txt" >&2
	exit 77
fi
cat "$T/a.log" >&2
((rc == 0)) || fail "make image failed (exit $rc)"
rm -f "$SPOD_BIN/skipped/image_lock.txt"
grep -q 'PCR0, PCR1 and PCR2 are those of' "$T/a.log" || fail "build.sh did not compare the PCRs"
/usr/bin/python3 - "$T/a/pcrs.json" "$SPOD_SRC/image/expected-pcrs.json" <<'PY' || fail "PCRs differ from image/expected-pcrs.json"
import json, sys
got = json.load(open(sys.argv[1]))["Measurements"]
want = json.load(open(sys.argv[2]))
sys.exit(0 if all(got[p] == want[p] for p in ("PCR0", "PCR1", "PCR2")) else 1)
PY
t1=$SECONDS

# The packages of the lock, by sha256 and name.
lock_line() { grep "^root $1 " "$SPOD_SRC/image/lock"; }
read -r _ name ver arch _ < <(lock_line libssl3)
deb=${name}_${ver//:/%3a}_${arch}.deb
[[ -f $CACHE/debs/$deb ]] || fail "no $deb in $CACHE/debs"

log "another version of libssl3 in the cache must be refused by its sha256"
mkdir -p "$T/c1"
clone "$CACHE/debs" "$T/c1/debs"
rm "$T/c1/debs/$deb"
other=$(apt-cache madison libssl3 2>/dev/null | awk -v v="$ver" '$3 != v {print $3; exit}')
if [[ -n $other ]] && (cd "$T" && apt-get -o APT::Sandbox::User=root -q download "libssl3=$other" >/dev/null 2>&1); then
	mv "$T/libssl3_${other//:/%3a}_$arch.deb" "$T/c1/debs/$deb"
	log "  libssl3 $other from Debian, as $deb"
else # no other version served (or offline): the locked one repacked as another version
	dpkg-deb -R "$CACHE/debs/$deb" "$T/re"
	sed -i "s/^Version: .*/Version: $ver+spodtest1/" "$T/re/DEBIAN/control"
	dpkg-deb -b "$T/re" "$T/c1/debs/$deb" >/dev/null
	log "  libssl3 $ver+spodtest1 (repacked), as $deb"
fi
rc=0
SPOD_IMAGE_CACHE=$T/c1 build "$T/b" >"$T/b.log" 2>&1 || rc=$?
cat "$T/b.log" >&2
((rc == 1)) || fail "a changed libssl3 package gave exit $rc, want 1"
grep -q "refusing .*$deb: its sha256 is .*libssl3 $ver" "$T/b.log" || fail "the refusal does not name libssl3 and its sha256"
[[ ! -e $T/b/spod-enclave.eif ]] || fail "an image was written from a refused package"

log "a locked version Debian does not serve: exit 3, its name and make image-lock"
sed "s/^root libsodium23 [^ ]* /root libsodium23 9.9.9-0spodtest /" "$SPOD_SRC/image/lock" >"$T/lock.gone"
mkdir -p "$T/c2"
clone "$CACHE/debs" "$T/c2/debs"
rc=0
SPOD_IMAGE_CACHE=$T/c2 SPOD_IMAGE_LOCK=$T/lock.gone build "$T/c" >"$T/c.log" 2>&1 || rc=$?
cat "$T/c.log" >&2
((rc == 3)) || fail "a version Debian does not serve gave exit $rc, want 3"
grep -q 'UNAVAILABLE: Debian does not serve the locked package libsodium23 9.9.9-0spodtest' "$T/c.log" &&
	grep -q 'make image-lock' "$T/c.log" || fail "the message does not name libsodium23 and make image-lock"

log "a different file in a ramdisk is named"
lib=$(/usr/bin/python3 -c 'import json, sys
m = json.load(open(sys.argv[1]))["ramdisk 1 (application)"]
print(next(n for n in sorted(m) if "libsodium" in n and m[n].startswith("file")))' "$SPOD_SRC/image/expected-pcrs.json")
/usr/bin/python3 - "$SPOD_SRC/image/expected-pcrs.json" "$T/expected.json" "$lib" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
rd = m["ramdisk 1 (application)"]
rd[sys.argv[3]] = rd[sys.argv[3]][:-64] + "0" * 64
m["PCR2"] = m["PCR0"] = "0" * 96
json.dump(m, open(sys.argv[2], "w"))
PY
rc=0
SPOD_IMAGE_EXPECTED=$T/expected.json build "$T/d" >"$T/d.log" 2>&1 || rc=$?
cat "$T/d.log" >&2
((rc == 1)) || fail "a PCR mismatch gave exit $rc, want 1"
grep -qF "ramdisk 1 (application): $lib differs" "$T/d.log" || fail "the mismatch does not name $lib"
grep -q 'PCR1 differs' "$T/d.log" && fail "PCR1 was reported although it matches"

log "make image-inputs, then make image INPUTS=FILE with an empty package cache and no fetching"
tarball=$(SPOD_IMAGE_CACHE=$CACHE bash "$SPOD_SRC/image/inputs.sh" "$T/inputs" 2>"$T/e.log" | tail -n1) || {
	cat "$T/e.log" >&2
	fail "image/inputs.sh failed"
}
mkdir -p "$T/c3"
for d in "$CACHE"/root-* "$CACHE"/app-* "$CACHE"/kernel; do # what the packages were made into
	clone "$d" "$T/c3/${d##*/}"
done
rc=0
SPOD_IMAGE_CACHE=$T/c3 build "$T/e" --inputs "$tarball" >"$T/e.log" 2>&1 || rc=$?
cat "$T/e.log" >&2
((rc == 0)) || fail "make image INPUTS=$tarball failed (exit $rc)"
grep -q 'downloading' "$T/e.log" && fail "make image INPUTS= fetched packages"
cmp "$T/a/spod-enclave.eif" "$T/e/spod-enclave.eif" || fail "the image from INPUTS differs"
{ cat "$SPOD_SRC/image/lock"; echo "# another lock"; } >"$T/lock.other"
rc=0
SPOD_IMAGE_CACHE=$T/c3 SPOD_IMAGE_LOCK=$T/lock.other build "$T/f" --inputs "$tarball" >"$T/f.log" 2>&1 || rc=$?
((rc == 1)) && grep -q 'was not made for this checkout' "$T/f.log" ||
	fail "INPUTS of another lock were not refused (exit $rc): $(cat "$T/f.log")"

log "PCR0 $(sed -n 's/^PCR0: //p' "$T/a/pcrs.txt")"
log "PASS: locked image in $((t1 - t0)) s, $((SECONDS - t0)) s in all"
