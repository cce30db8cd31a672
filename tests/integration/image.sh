#!/usr/bin/env bash
# The image tooling is reproducible (docs/image.md, "The development image"): image/build.sh
# --dev (the build tree's binaries; the locked image is integration/image_lock's) runs twice
# from the same build tree into two directories, the second time with another umask, time zone and working
# directory and with the inputs' mtimes changed, and both runs must give byte-identical
# ramdisks and EIFs and the same `spod measure` output. Also checks the EIF's structure: its
# sections are exactly the kernel, the cmdline and the two ramdisks (extracted with
# spod-eif), the archives are sorted with every mtime at SOURCE_DATE_EPOCH and owner 0, and
# tests/interop/eif_pcrs.py (independent, Python standard library) agrees with spod
# measure. Finally another SOURCE_DATE_EPOCH must change PCR1 and PCR2 (the mtimes are in
# the ramdisks) and leave the kernel alone.
set -euo pipefail
: "${SPOD_BIN:?SPOD_BIN must name the build directory}"
: "${SPOD_SRC:?SPOD_SRC must name the source directory}"
PY=/usr/bin/python3
SPOD=$SPOD_BIN/spod
T=$(mktemp -d "${TMPDIR:-/tmp}/spod-image.XXXXXXXX")
trap 'rm -rf "$T"' EXIT
log() { printf '[image %s] %s\n' "$(date +%T)" "$*" >&2; }
fail() {
	printf '[image] FAIL: %s\n' "$*" >&2
	exit 1
}
# The ASan build's binaries are what its vsock test boots; build.sh handles both.
t0=$SECONDS

log "build 1 -> $T/a"
bash "$SPOD_SRC/image/build.sh" "$SPOD_BIN" "$T/a" --dev >"$T/a.log" 2>&1 || {
	cat "$T/a.log" >&2
	fail "image/build.sh failed"
}
t1=$SECONDS
# The second run: other umask, time zone, locale and working directory; fresh mtimes on
# the files that go into the image (only their contents may count).
touch "$SPOD_SRC/image/init.sh" 2>/dev/null || true
log "build 2 -> $T/b (umask 077, TZ=Pacific/Kiritimati, from /)"
(cd / && umask 077 && TZ=Pacific/Kiritimati LANG=C.UTF-8 \
	bash "$SPOD_SRC/image/build.sh" "$SPOD_BIN" "$T/b" --dev >"$T/b.log" 2>&1) || {
	cat "$T/b.log" >&2
	fail "image/build.sh failed (second run)"
}

for f in ramdisk-init.cpio ramdisk-app.cpio cmdline metadata.json spod-enclave.eif pcrs.json; do
	cmp "$T/a/$f" "$T/b/$f" || fail "$f differs between two builds of the same tree"
done
"$SPOD" --json measure "$T/a/spod-enclave.eif" >"$T/a.json"
"$SPOD" --json measure "$T/b/spod-enclave.eif" >"$T/b.json"
cmp "$T/a.json" "$T/b.json" || fail "spod measure differs: $(cat "$T/a.json" "$T/b.json")"
log "two builds identical: $(stat -c %s "$T/a/spod-enclave.eif") bytes, sha256 $(sha256sum "$T/a/spod-enclave.eif" | cut -c1-16)..."

# Independent measurement.
"$PY" "$SPOD_SRC/tests/interop/eif_pcrs.py" "$T/a/spod-enclave.eif" >"$T/py.json"
"$PY" -c 'import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
sys.exit(0 if a == b else 1)' "$T/a.json" "$T/py.json" ||
	fail "spod measure and eif_pcrs.py disagree: $(cat "$T/a.json" "$T/py.json")"

# Structure: the sections are the inputs, in nitro-cli's order.
mkdir "$T/x"
n=$("$SPOD_BIN/tools/spod-eif" extract "$T/a/spod-enclave.eif" "$T/x")
[[ $n == 2 ]] || fail "the EIF has $n ramdisks, want 2"
cmp "$T/x/ramdisk.0" "$T/a/ramdisk-init.cpio" || fail "ramdisk 0 is not the init ramdisk"
cmp "$T/x/ramdisk.1" "$T/a/ramdisk-app.cpio" || fail "ramdisk 1 is not the application ramdisk"
cmp "$T/x/cmdline" "$T/a/cmdline" || fail "cmdline section differs"
[[ $(od -An -c -j $((0x202)) -N4 "$T/x/kernel" | tr -d ' ') == HdrS ]] ||
	fail "the kernel section is not a bzImage"

# The archives: sorted names, mtime SOURCE_DATE_EPOCH, root-owned, the expected files.
epoch=$(sed -n 's/.*SOURCE_DATE_EPOCH=\([0-9]*\).*/\1/p' "$T/a.log" | head -n1)
[[ -n $epoch ]] || fail "build.sh did not report SOURCE_DATE_EPOCH"
for rd in ramdisk-init ramdisk-app; do
	"$PY" - "$T/a/$rd.cpio" "$epoch" <<'PYEOF' || fail "$rd.cpio is not normalized"
import sys
data, epoch = open(sys.argv[1], "rb").read(), int(sys.argv[2])
off, names = 0, []
while True:
    h = data[off:off + 110]
    assert h[:6] == b"070701", "not newc at %d" % off
    f = [int(h[6 + 8 * i:14 + 8 * i], 16) for i in range(13)]
    ino, mode, uid, gid, nlink, mtime, size, namesize = f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[11]
    name = data[off + 110:off + 110 + namesize - 1].decode()
    off = (off + 110 + namesize + 3) & ~3
    if name == "TRAILER!!!":
        break
    assert uid == 0 and gid == 0, "%s: owner %d:%d" % (name, uid, gid)
    assert mtime == epoch, "%s: mtime %d, want %d" % (name, mtime, epoch)
    names.append(name)
    off = (off + size + 3) & ~3
assert names == sorted(names, key=lambda n: n.encode()), "entries not sorted"
assert len(data) % 512 == 0, "not padded to 512 bytes"
print("%s: %d entries" % (sys.argv[1].rsplit("/", 1)[1], len(names)))
PYEOF
done
cpio -it --quiet <"$T/a/ramdisk-init.cpio" >"$T/init.list"
cpio -it --quiet <"$T/a/ramdisk-app.cpio" >"$T/app.list"
for want in init bin/busybox dev/console lib/modules/vsock.ko lib/modules/vsock_loopback.ko \
	lib/modules/vmw_vsock_virtio_transport_common.ko; do
	grep -qx "$want" "$T/init.list" || fail "the init ramdisk lacks $want"
done
grep -qx spod/bin/spod-enclave "$T/app.list" || fail "the application ramdisk lacks spod-enclave"
grep -q 'ld-linux' "$T/app.list" || fail "the application ramdisk lacks the dynamic loader"
if ! grep -qaF AddressSanitizer "$T/a/ramdisk-app.cpio" &&
	grep -qaF -e "$SPOD_BIN/" -e "$SPOD_SRC/" "$T/a/ramdisk-app.cpio"; then
	fail "the application ramdisk names the build or source directory"
fi

# Another SOURCE_DATE_EPOCH: the same kernel, other ramdisks (so the timestamps are the
# only thing that moved).
SOURCE_DATE_EPOCH=1000000000 bash "$SPOD_SRC/image/build.sh" "$SPOD_BIN" "$T/c" --dev >"$T/c.log" 2>&1 ||
	fail "image/build.sh with SOURCE_DATE_EPOCH=1000000000 failed"
"$SPOD" --json measure "$T/c/spod-enclave.eif" >"$T/c.json"
pcr() { sed -n "s/.*\"PCR$2\":\"\([0-9a-f]*\)\".*/\1/p" "$1"; }
[[ $(pcr "$T/a.json" 1) != "$(pcr "$T/c.json" 1)" && $(pcr "$T/a.json" 2) != "$(pcr "$T/c.json" 2)" ]] ||
	fail "SOURCE_DATE_EPOCH did not change PCR1/PCR2"
cmp -s "$T/a/ramdisk-app.cpio" "$T/c/ramdisk-app.cpio" && fail "the mtimes are not in the archive"

log "PCR0 $(pcr "$T/a.json" 0)"
log "PCR1 $(pcr "$T/a.json" 1)"
log "PCR2 $(pcr "$T/a.json" 2)"
log "PASS: reproducible image in $((t1 - t0)) s per build, $((SECONDS - t0)) s in all"
