#!/usr/bin/python3
"""The expected measurements of the locked enclave image (docs/image.md).

    pcrs.py check EXPECTED OUT_DIR KERNEL LOCK     compare a build with EXPECTED
    pcrs.py write EXPECTED OUT_DIR KERNEL LOCK     rewrite EXPECTED from a build

OUT_DIR is image/build.sh's output (pcrs.json from `spod measure`, cmdline,
ramdisk-init.cpio, ramdisk-app.cpio), KERNEL the bzImage that went into the EIF and LOCK the
lock it was built from. EXPECTED (image/expected-pcrs.json) holds PCR0/1/2 and, so that a
difference can be explained, a manifest of what they measure: the kernel's sha256, the
cmdline, and every entry of both ramdisks (type, mode and sha256 of the contents).

`check` prints the PCRs and exits 0 when they are EXPECTED's; otherwise it names every
section and every ramdisk file that differs and exits 1. Standard library only.
"""
import hashlib
import json
import os
import sys

RAMDISKS = (("ramdisk 0 (init)", "ramdisk-init.cpio"), ("ramdisk 1 (application)", "ramdisk-app.cpio"))
PCRS = ("PCR0", "PCR1", "PCR2")


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def cpio_entries(path):
    """{name: "type mode detail"} of a newc archive, as image/mkcpio.py writes them."""
    data, off, out = open(path, "rb").read(), 0, {}
    while True:
        h = data[off:off + 110]
        if h[:6] != b"070701":
            sys.exit("pcrs.py: %s: not a newc archive at offset %d" % (path, off))
        f = [int(h[6 + 8 * i:14 + 8 * i], 16) for i in range(13)]
        mode, size, rmaj, rmin, namesize = f[1], f[6], f[9], f[10], f[11]
        name = data[off + 110:off + 110 + namesize - 1].decode()
        off = (off + 110 + namesize + 3) & ~3
        if name == "TRAILER!!!":
            return out
        body = data[off:off + size]
        off = (off + size + 3) & ~3
        kind = mode & 0o170000
        perm = "%04o" % (mode & 0o7777)
        if kind == 0o100000:
            out[name] = "file %s %s" % (perm, hashlib.sha256(body).hexdigest())
        elif kind == 0o040000:
            out[name] = "dir %s" % perm
        elif kind == 0o120000:
            out[name] = "link %s %s" % (perm, body.decode())
        else:
            out[name] = "node %s %o %d:%d" % (perm, kind, rmaj, rmin)


def manifest(out_dir, kernel, lock):
    with open(os.path.join(out_dir, "pcrs.json")) as f:
        measured = json.load(f)["Measurements"]
    with open(os.path.join(out_dir, "cmdline")) as f:
        cmdline = f.read()
    m = {
        "comment": "PCRs of the locked enclave image (docs/image.md); written by make image-pcrs "
                   "or make image-lock, checked by make image",
        "lock_sha256": sha256_file(lock),
    }
    m.update({p: measured[p] for p in PCRS})
    m["kernel"] = {"file": os.path.basename(kernel), "sha256": sha256_file(kernel)}
    m["cmdline"] = cmdline
    for title, name in RAMDISKS:
        m[title] = cpio_entries(os.path.join(out_dir, name))
    return m


def differences(want, got):
    """Lines naming each section and ramdisk file in which got differs from want."""
    lines = []
    if want.get("lock_sha256") != got["lock_sha256"]:
        lines.append("the expected PCRs were written for another lock (image/lock changed since)")
    if want.get("kernel") != got["kernel"]:
        lines.append("kernel: expected %s, built %s" % (want.get("kernel"), got["kernel"]))
    if want.get("cmdline") != got["cmdline"]:
        lines.append("cmdline: expected %r, built %r" % (want.get("cmdline"), got["cmdline"]))
    for title, _ in RAMDISKS:
        w, g = want.get(title, {}), got[title]
        for name in sorted(set(w) | set(g)):
            if name not in g:
                lines.append("%s: %s is missing (expected %s)" % (title, name, w[name]))
            elif name not in w:
                lines.append("%s: %s is new (%s)" % (title, name, g[name]))
            elif w[name] != g[name]:
                lines.append("%s: %s differs: expected %s, built %s" % (title, name, w[name], g[name]))
    return lines


def main(argv):
    if len(argv) != 6 or argv[1] not in ("check", "write"):
        sys.exit(__doc__)
    cmd, expected, out_dir, kernel, lock = argv[1:]
    got = manifest(out_dir, kernel, lock)
    if cmd == "write":
        with open(expected + ".tmp", "w") as f:
            json.dump(got, f, indent=1, sort_keys=False)
            f.write("\n")
        os.replace(expected + ".tmp", expected)
        print("[image] wrote %s: PCR0 %s" % (expected, got["PCR0"]), file=sys.stderr)
        return 0
    try:
        with open(expected) as f:
            want = json.load(f)
    except (OSError, ValueError) as e:
        sys.exit("[image] cannot read the expected PCRs %s: %s" % (expected, e))
    bad = [p for p in PCRS if want.get(p) != got[p]]
    if not bad:
        print("[image] PCR0, PCR1 and PCR2 are those of %s" % expected, file=sys.stderr)
        return 0
    for p in bad:
        print("[image] %s differs: expected %s, built %s" % (p, want.get(p), got[p]), file=sys.stderr)
    lines = differences(want, got) or [
        "no file differs, so the archives' layout or mtimes do (image/mkcpio.py, the lock's epoch)"]
    for line in lines:
        print("[image]   %s" % line, file=sys.stderr)
    print("[image] If this change is intended (spod-enclave's sources, image/ or the lock changed), "
          "`make image-pcrs` rewrites %s: commit it with the change." % expected, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
